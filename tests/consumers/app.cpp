// The C++ consumer: parker.hpp used as a downstream C++ project would, with
// the standard's lock wrappers.  Built by every consumer path of
// scripts/stages/consumers.sh (find_package, build tree, add_subdirectory,
// FetchContent, pkg-config + plain c++) with -Wall -Wextra -Werror; exits
// non-zero if a hand-off is lost or the types do not behave.
#include <parker.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

int main()
{
    parker::mutex m;
    parker::condition_variable cv;
    int turn = 0, rounds = 1000;
    bool timed_out = false;
    std::thread partner([&] {
        std::unique_lock<parker::mutex> lk(m);
        for (int i = 0; i < rounds; ++i) {
            if (!cv.wait_for(lk, std::chrono::seconds(30), [&] { return turn == 1; }))
                timed_out = true;
            turn = 0;
            cv.notify_one();
        }
    });
    {
        std::unique_lock<parker::mutex> lk(m);
        for (int i = 0; i < rounds; ++i) {
            turn = 1;
            cv.notify_one();
            if (!cv.wait_for(lk, std::chrono::seconds(30), [&] { return turn == 0; }))
                timed_out = true;
        }
    }
    partner.join();

    parker::shared_mutex rw;
    { std::lock_guard<parker::shared_mutex> w(rw); }
    parker::recursive_mutex rm;
    { std::lock_guard<parker::recursive_mutex> a(rm); std::lock_guard<parker::recursive_mutex> b(rm); }
    parker::once_flag once;
    int inits = 0;
    parker::call_once(once, [&] { ++inits; });
    parker::call_once(once, [&] { ++inits; });
    parker::counting_semaphore<4> sem(1);
    const bool sem_ok = sem.try_acquire() && !sem.try_acquire();
    parker::latch done(1);
    done.count_down();
    done.wait();

    if (timed_out || inits != 1 || !sem_ok || sizeof(parker::mutex) != 1) {
        std::fprintf(stderr, "C++ consumer: FAILED\n");
        return 1;
    }
    std::printf("C++ consumer: %d hand-offs, libparker %s\n", 2 * rounds, parker_version_string());
    return 0;
}
