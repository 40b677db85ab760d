// The public headers in a C++ translation unit: extern "C" linkage (a
// missing guard would fail at link time), no C-only constructs, clean under
// -Wall -Wextra -Wpedantic -Werror.  Linked against the C library and run.
#include <parker.h>
#ifdef CONSUMER_HAVE_LOT
#include <parker_lot.h>
#endif
#ifdef CONSUMER_HAVE_SYNC
#include <parker_sync.h>
#endif

#include <cstddef>
#include <cstdio>
#include <mutex>
#include <thread>

namespace {

// The kind of wrapper a C++ user writes: the parker embedded in an object.
class Event {
public:
    Event() { ok_ = parker_init(&p_) == 0; }
    ~Event() { parker_destroy(&p_); }
    Event(const Event &) = delete;
    Event &operator=(const Event &) = delete;
    bool ok() const { return ok_; }
    void set() { parker_unpark(&p_); }
    bool wait_for_ns(uint64_t ns) { return parker_park_timeout(&p_, ns) == PARKER_OK; }

private:
    parker_t p_;
    bool ok_;
};

#ifdef CONSUMER_HAVE_SYNC
// What a C++ user writes around parker_sync.h: a BasicLockable mutex (so
// std::lock_guard / std::unique_lock work) and a condition variable over it.
class Mutex {
public:
    void lock() { parker_mutex_lock(&m_); }
    bool try_lock() { return parker_mutex_trylock(&m_) == PARKER_OK; }
    void unlock() { parker_mutex_unlock(&m_); }
    parker_mutex_t *native() { return &m_; }

private:
    parker_mutex_t m_ = PARKER_MUTEX_INIT;
};

class CondVar {
public:
    void wait(std::unique_lock<Mutex> &lk) { parker_cond_wait(&c_, lk.mutex()->native()); }
    void notify_one() { parker_cond_signal(&c_); }
    std::size_t notify_all() { return parker_cond_broadcast(&c_); }

private:
    parker_cond_t c_ = PARKER_COND_INIT;
};

int sync_check()
{
    static_assert(sizeof(parker_mutex_t) == 1, "mutex is documented as one byte");
    static_assert(sizeof(parker_once_t) == 1 && sizeof(parker_event_t) == 1, "one byte");
    static_assert(sizeof(parker_cond_t) <= sizeof(void *), "cond is at most a pointer");
    static_assert(sizeof(parker_waitgroup_t) == 8 && alignof(parker_waitgroup_t) == 8,
                  "wait group is documented as 8 bytes, 8-byte aligned (2.0.0)");
    Mutex mu;
    CondVar cv;
    bool ready = false;
    long counter = 0;
    std::thread t([&] {
        for (int i = 0; i < 1000; i++) {
            std::lock_guard<Mutex> g(mu);
            counter++;
        }
        std::lock_guard<Mutex> g(mu);
        ready = true;
        cv.notify_one();
    });
    {
        std::unique_lock<Mutex> lk(mu);
        while (!ready)
            cv.wait(lk);
    }
    t.join();
    static parker_once_t once = PARKER_ONCE_INIT;
    static parker_event_t ev = PARKER_EVENT_INIT;
    int calls = 0;
    auto init = [](void *arg) -> int {
        ++*static_cast<int *>(arg);
        return 0;
    };
    if (parker_once(&once, init, &calls) != 0 || parker_once(&once, init, &calls) != 0 ||
        calls != 1)
        return 1;
    parker_event_set(&ev);
    if (parker_event_wait(&ev, 0) != PARKER_OK)
        return 1;
    return counter == 1000 ? 0 : 1;
}
#endif

}  // namespace

int main()
{
    static_assert(sizeof(parker_t) == 4, "parker_t is documented as 4 bytes");
    Event ev;
    if (!ev.ok() || parker_sizeof() != sizeof(parker_t) || parker_alignof() != alignof(parker_t))
        return 1;
    int value = 0;
    std::thread t([&] {
        value = 42;
        ev.set();
    });
    bool got = ev.wait_for_ns(30ull * 1000 * 1000 * 1000);
    t.join();
    if (!got || value != 42)
        return 2;
    if (parker_version() != PARKER_VERSION_NUMBER)
        return 3;
#ifdef CONSUMER_HAVE_SYNC
    if (sync_check() != 0)
        return 4;
#endif
    std::printf("header check (C++ %ld) OK\n", static_cast<long>(__cplusplus));
    return 0;
}
