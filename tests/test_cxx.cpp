// test_cxx.cpp - parker.hpp's types against the requirements the standard
// sets for std::mutex, std::timed_mutex, std::recursive_mutex,
// std::shared_timed_mutex, std::condition_variable_any, std::call_once,
// std::counting_semaphore, std::latch and std::barrier: the behaviours the
// libc++ and libstdc++ conformance suites check (blocking, try and timed
// forms, never early, notify_one/notify_all, predicates, phases), written
// anew for the parker:: types, plus what the C++ layer adds (any clock, a
// clock that jumps back, the layout shared with C).
//
// A plain program (cmocka is C): every check prints file:line and counts a
// failure; the exit status is non-zero if any check failed.
#include <parker.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>
#if __cplusplus >= 201703L
#include <shared_mutex>
#endif

namespace {

// Atomic: checks run in the test threads too.
std::atomic<int> failures(0);
std::atomic<int> checks(0);

#define CHECK(cond)                                                            \
    do {                                                                       \
        ++checks;                                                              \
        if (!(cond)) {                                                         \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,        \
                         __LINE__, #cond);                                     \
            ++failures;                                                        \
        }                                                                      \
    } while (0)

typedef std::chrono::steady_clock sclock;
typedef std::chrono::milliseconds ms;

// Slow environments (sanitizers, valgrind, emulators) stretch every wait;
// "must happen" bounds are generous, "must not happen early" ones exact.
const ms kShort(30);
const ms kLong(5000);

void sleep_ms(int n) { std::this_thread::sleep_for(ms(n)); }

// Spin (yielding) until cond holds or kLong passes; returns cond.
template <class F>
bool eventually(F cond)
{
    const sclock::time_point end = sclock::now() + kLong;
    while (!cond()) {
        if (sclock::now() > end)
            return false;
        std::this_thread::yield();
    }
    return true;
}

// ------------------------------------------------------------ requirements
static_assert(!std::is_copy_constructible<parker::mutex>::value, "mutex not copyable");
static_assert(!std::is_copy_assignable<parker::mutex>::value, "mutex not assignable");
static_assert(!std::is_move_constructible<parker::shared_mutex>::value, "not movable");
static_assert(std::is_nothrow_default_constructible<parker::mutex>::value, "noexcept ctor");
static_assert(std::is_nothrow_default_constructible<parker::condition_variable>::value, "noexcept ctor");
static_assert(sizeof(parker::mutex) == 1, "one byte");
static_assert(std::is_same<parker::timed_mutex, parker::mutex>::value, "timed_mutex alias");
static_assert(parker::counting_semaphore<>::max() >= 0x7fffffff, "default LeastMaxValue");
static_assert(parker::binary_semaphore::max() == 1, "binary_semaphore::max");
static_assert(parker::latch::max() > 0, "latch::max");
static_assert(parker::barrier<>::max() > 0, "barrier::max");

// constexpr construction: static objects need no dynamic initialisation.
constexpr parker::counting_semaphore<10> kConstSem(3);
parker::mutex g_static_mutex;

// ------------------------------------------------------------ mutex
template <class M>
void test_lockable()
{
    M m;
    m.lock();
    std::atomic<int> stage(0);
    sclock::time_point got;
    std::thread t([&] {
        CHECK(!m.try_lock()); // held by main: try_lock fails, does not block
        stage = 1;
        m.lock(); // blocks until main unlocks
        got = sclock::now();
        stage = 2;
        m.unlock();
    });
    CHECK(eventually([&] { return stage.load() == 1; }));
    sleep_ms(20);
    CHECK(stage.load() == 1); // still blocked
    const sclock::time_point released = sclock::now();
    m.unlock();
    t.join();
    CHECK(stage.load() == 2);
    CHECK(got >= released);
    CHECK(m.try_lock());
    m.unlock();
    { std::lock_guard<M> g(m); }
    { std::unique_lock<M> u(m, std::try_to_lock); CHECK(u.owns_lock()); }
}

template <class M>
void test_timed_lockable()
{
    M m;
    m.lock();
    std::thread t([&] {
        // Held for the whole wait: never early, always false.
        sclock::time_point t0 = sclock::now();
        CHECK(!m.try_lock_for(kShort));
        CHECK(sclock::now() - t0 >= kShort);
        std::chrono::system_clock::time_point until = std::chrono::system_clock::now() + kShort;
        CHECK(!m.try_lock_until(until));
        CHECK(std::chrono::system_clock::now() >= until);
        sclock::time_point su = sclock::now() + kShort;
        CHECK(!m.try_lock_until(su));
        CHECK(sclock::now() >= su);
        // A time point in the past or a zero / negative duration: one try.
        CHECK(!m.try_lock_for(ms(0)));
        CHECK(!m.try_lock_for(ms(-5)));
        CHECK(!m.try_lock_until(sclock::now() - ms(10)));
        // Floating-point durations round up.
        t0 = sclock::now();
        CHECK(!m.try_lock_for(std::chrono::duration<double, std::milli>(10.5)));
        CHECK(sclock::now() - t0 >= std::chrono::microseconds(10500));
    });
    t.join();
    std::atomic<bool> got(false);
    std::thread t2([&] {
        got = m.try_lock_for(kLong); // released meanwhile: succeeds
        if (got)
            m.unlock();
    });
    sleep_ms(10);
    m.unlock();
    t2.join();
    CHECK(got.load());
    // Past time point on a free mutex succeeds (it is a try_lock).
    CHECK(m.try_lock_until(sclock::now() - ms(1)));
    m.unlock();
    CHECK(m.try_lock_for(std::chrono::hours(1000000))); // saturates, no overflow
    m.unlock();
    { std::unique_lock<M> u(m, kShort); CHECK(u.owns_lock()); }
}

void test_mutex_exclusion()
{
    parker::mutex m;
    long counter = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i)
        ts.emplace_back([&] {
            for (int k = 0; k < 20000; ++k) {
                std::lock_guard<parker::mutex> g(m);
                ++counter;
            }
        });
    for (auto &t : ts)
        t.join();
    CHECK(counter == 80000);
    // std::lock with two parker mutexes (deadlock avoidance uses try_lock).
    parker::mutex a, b;
    std::thread t1([&] { for (int k = 0; k < 2000; ++k) { std::lock(a, b); a.unlock(); b.unlock(); } });
    std::thread t2([&] { for (int k = 0; k < 2000; ++k) { std::lock(b, a); a.unlock(); b.unlock(); } });
    t1.join();
    t2.join();
    g_static_mutex.lock();
    g_static_mutex.unlock();
}

void test_recursive()
{
    parker::recursive_mutex m;
    m.lock();
    CHECK(m.try_lock());
    CHECK(m.try_lock_for(ms(1)));
    CHECK(m.depth() == 3);
    std::thread t([&] {
        CHECK(m.depth() == 0);
        CHECK(!m.try_lock());
        CHECK(!m.try_lock_for(ms(5)));
    });
    t.join();
    m.unlock();
    m.unlock();
    std::thread t2([&] { CHECK(!m.try_lock()); }); // one level still held
    t2.join();
    m.unlock();
    std::thread t3([&] { CHECK(m.try_lock()); m.unlock(); });
    t3.join();
    CHECK(m.depth() == 0);
}

void test_fair_mutex()
{
    parker::fair_mutex m;
    test_lockable<parker::fair_mutex>();
    long counter = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; ++i)
        ts.emplace_back([&] {
            for (int k = 0; k < 2000; ++k) {
                std::lock_guard<parker::fair_mutex> g(m);
                ++counter;
            }
        });
    for (auto &t : ts)
        t.join();
    CHECK(counter == 6000);
}

// ------------------------------------------------------------ shared
void test_shared()
{
    parker::shared_mutex m;
    // Many readers at once.
    m.lock_shared();
    std::thread r([&] {
        CHECK(m.try_lock_shared());
        m.unlock_shared();
        CHECK(!m.try_lock()); // readers exclude a writer
        sclock::time_point t0 = sclock::now();
        CHECK(!m.try_lock_for(kShort));
        CHECK(sclock::now() - t0 >= kShort);
        std::chrono::system_clock::time_point su = std::chrono::system_clock::now() + kShort;
        CHECK(!m.try_lock_until(su));
        CHECK(std::chrono::system_clock::now() >= su);
    });
    r.join();
    m.unlock_shared();
    // A writer excludes readers and writers.
    m.lock();
    std::thread w([&] {
        CHECK(!m.try_lock_shared());
        sclock::time_point t0 = sclock::now();
        CHECK(!m.try_lock_shared_for(kShort));
        CHECK(sclock::now() - t0 >= kShort);
        CHECK(!m.try_lock_shared_until(sclock::now() - ms(1)));
        CHECK(!m.try_lock());
    });
    w.join();
    std::atomic<bool> got(false);
    std::thread w2([&] {
        got = m.try_lock_shared_for(kLong);
        if (got)
            m.unlock_shared();
    });
    sleep_ms(10);
    m.unlock();
    w2.join();
    CHECK(got.load());
    // Downgrade: the writer becomes a reader, other readers may join.
    m.lock();
    m.unlock_and_lock_shared();
    std::thread r2([&] { CHECK(m.try_lock_shared()); m.unlock_shared(); });
    r2.join();
    m.unlock_shared();
#if __cplusplus >= 201703L
    { std::shared_lock<parker::shared_mutex> s(m); CHECK(s.owns_lock()); }
    { std::shared_lock<parker::shared_mutex> s(m, kShort); CHECK(s.owns_lock()); }
#endif
    // Readers and writers keep an invariant.
    int a = 0, b = 0;
    std::atomic<bool> bad(false);
    std::vector<std::thread> ts;
    for (int i = 0; i < 2; ++i)
        ts.emplace_back([&] {
            for (int k = 0; k < 5000; ++k) {
                std::lock_guard<parker::shared_mutex> g(m);
                ++a;
                ++b;
            }
        });
    for (int i = 0; i < 2; ++i)
        ts.emplace_back([&] {
            for (int k = 0; k < 5000; ++k) {
                m.lock_shared();
                if (a != b)
                    bad = true;
                m.unlock_shared();
            }
        });
    for (auto &t : ts)
        t.join();
    CHECK(!bad.load());
    CHECK(a == 10000 && b == 10000);
}

void test_upgrade_mutex()
{
    parker::upgrade_mutex m;
    m.lock_shared(); // a plain reader the upgrade must wait for
    m.lock_upgrade();
    std::thread t([&] {
        CHECK(!m.try_lock_upgrade()); // one upgradable reader at a time
        CHECK(m.try_lock_shared());   // alongside plain readers
        m.unlock_shared();
        CHECK(!m.try_lock());
        sclock::time_point t0 = sclock::now();
        CHECK(!m.try_lock_upgrade_for(kShort));
        CHECK(sclock::now() - t0 >= kShort);
    });
    t.join();
    CHECK(!m.try_unlock_upgrade_and_lock());
    sclock::time_point t0 = sclock::now();
    CHECK(!m.try_unlock_upgrade_and_lock_for(kShort)); // the reader stays
    CHECK(sclock::now() - t0 >= kShort);
    std::chrono::system_clock::time_point su = std::chrono::system_clock::now() + kShort;
    CHECK(!m.try_unlock_upgrade_and_lock_until(su));
    CHECK(std::chrono::system_clock::now() >= su);
    std::thread t2([&] { CHECK(m.try_lock_shared()); m.unlock_shared(); }); // let in again
    t2.join();
    m.unlock_shared();
    CHECK(m.try_unlock_upgrade_and_lock_for(kLong));
    std::thread t3([&] { CHECK(!m.try_lock_shared()); });
    t3.join();
    m.unlock_and_lock_upgrade();
    std::thread t4([&] { CHECK(m.try_lock_shared()); m.unlock_shared(); CHECK(!m.try_lock_upgrade()); });
    t4.join();
    m.unlock_upgrade_and_lock_shared();
    std::thread t5([&] { CHECK(m.try_lock_upgrade()); m.unlock_upgrade(); });
    t5.join();
    m.unlock_shared();
    // Atomicity under load: an upgrade never sees a write in between.
    long version = 0;
    std::atomic<bool> stop(false), broken(false);
    std::thread w([&] {
        while (!stop.load()) {
            std::lock_guard<parker::upgrade_mutex> g(m);
            ++version;
        }
    });
    for (int k = 0; k < 2000; ++k) {
        m.lock_upgrade();
        const long seen = version;
        std::this_thread::yield();
        m.unlock_upgrade_and_lock();
        if (version != seen)
            broken = true;
        ++version;
        m.unlock();
    }
    stop = true;
    w.join();
    CHECK(!broken.load());
}

// ------------------------------------------------------------ condvar
// A clock that the test moves: real steady time plus an offset, and a
// "slow" mode that runs at half speed.  Waiting on it checks that the
// header re-reads the target clock and never returns early, whatever that
// clock does relative to the library's own.
struct test_clock {
    typedef std::chrono::nanoseconds duration;
    typedef duration::rep rep;
    typedef duration::period period;
    typedef std::chrono::time_point<test_clock> time_point;
    static const bool is_steady = false;
    static bool steady() { return is_steady; } // uses it (clang -Wunused)
    static std::atomic<long long> offset_ns;
    static std::atomic<bool> slow;
    static time_point now()
    {
        long long n = std::chrono::duration_cast<duration>(sclock::now().time_since_epoch()).count();
        if (slow.load())
            n /= 2;
        return time_point(duration(n + offset_ns.load()));
    }
};
std::atomic<long long> test_clock::offset_ns(0);
std::atomic<bool> test_clock::slow(false);

template <class Lock, class M>
void test_cv_with()
{
    M m;
    parker::condition_variable cv;
    bool ready = false;
    int woken = 0;
    // notify_one wakes one waiter; the predicate form re-checks.
    std::thread t([&] {
        Lock lk(m);
        cv.wait(lk, [&] { return ready; });
        CHECK(lk.owns_lock());
        ++woken;
    });
    sleep_ms(10);
    {
        Lock lk(m);
        ready = true;
    }
    cv.notify_one();
    t.join();
    CHECK(woken == 1);

    // notify_all wakes every waiter.
    ready = false;
    std::atomic<int> waiting(0);
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; ++i)
        ts.emplace_back([&] {
            Lock lk(m);
            ++waiting;
            while (!ready)
                cv.wait(lk);
            ++woken;
        });
    CHECK(eventually([&] { return waiting.load() == 3; }));
    {
        Lock lk(m);
        ready = true;
        cv.notify_all();
    }
    for (auto &x : ts)
        x.join();
    CHECK(woken == 4);

    // Timed waits with nobody notifying: timeout, never early, lock held.
    {
        Lock lk(m);
        sclock::time_point t0 = sclock::now();
        CHECK(cv.wait_for(lk, kShort) == std::cv_status::timeout);
        CHECK(sclock::now() - t0 >= kShort);
        CHECK(lk.owns_lock());
        std::chrono::system_clock::time_point su = std::chrono::system_clock::now() + kShort;
        CHECK(cv.wait_until(lk, su) == std::cv_status::timeout);
        CHECK(std::chrono::system_clock::now() >= su);
        t0 = sclock::now();
        CHECK(!cv.wait_for(lk, kShort, [] { return false; }));
        CHECK(sclock::now() - t0 >= kShort);
        CHECK(cv.wait_for(lk, kShort, [] { return true; })); // no wait
        CHECK(cv.wait_until(lk, sclock::now() - ms(1)) == std::cv_status::timeout);
    }
    // A timed wait that is notified returns no_timeout / true.
    ready = false;
    std::atomic<bool> result(false);
    std::thread tw([&] {
        Lock lk(m);
        result = cv.wait_for(lk, kLong, [&] { return ready; });
    });
    sleep_ms(10);
    {
        Lock lk(m);
        ready = true;
    }
    cv.notify_all();
    tw.join();
    CHECK(result.load());
}

void test_cv_clocks()
{
    parker::mutex m;
    parker::condition_variable cv;
    std::unique_lock<parker::mutex> lk(m);
    // The clock jumps back during the wait: the wait goes on until that
    // clock reaches the time point (a system_clock set back must not make a
    // wait_until return early, nor is "timeout" decided on another clock).
    test_clock::time_point target = test_clock::now() + ms(40);
    std::atomic<bool> done(false);
    std::thread jumper([&] {
        sleep_ms(10);
        test_clock::offset_ns -= 300000000LL; // 300 ms back
        sleep_ms(100);                          // the wait must still be on
        CHECK(!done.load());
        test_clock::offset_ns += 300000000LL;  // back to normal: target passed
    });
    CHECK(cv.wait_until(lk, target) == std::cv_status::timeout);
    done = true;
    CHECK(test_clock::now() >= target);
    jumper.join();
    // A clock at half speed: the wait lasts twice as long in real time.
    CHECK(!test_clock::steady());
    test_clock::slow = true;
    sclock::time_point t0 = sclock::now();
    target = test_clock::now() + ms(20);
    CHECK(cv.wait_until(lk, target) == std::cv_status::timeout);
    CHECK(test_clock::now() >= target);
    CHECK(sclock::now() - t0 >= ms(40));
    test_clock::slow = false;
    // The same for a mutex's try_lock_until on that clock.
    parker::mutex busy;
    busy.lock();
    std::thread t([&] {
        test_clock::time_point tt = test_clock::now() + ms(20);
        CHECK(!busy.try_lock_until(tt));
        CHECK(test_clock::now() >= tt);
    });
    t.join();
    busy.unlock();
}

void test_cv_lost_wakeup()
{
    // Producer/consumer ping-pong: no notify is lost between a waiter's
    // unlock and its park (the atomicity condition_variable_any promises).
    parker::mutex m;
    parker::condition_variable cv;
    int turn = 0;
    const int rounds = 2000;
    std::thread a([&] {
        for (int i = 0; i < rounds; ++i) {
            std::unique_lock<parker::mutex> lk(m);
            cv.wait(lk, [&] { return turn == 0; });
            turn = 1;
            cv.notify_one();
        }
    });
    std::thread b([&] {
        for (int i = 0; i < rounds; ++i) {
            std::unique_lock<std::mutex> dummy; // unrelated lock type in scope
            std::unique_lock<parker::mutex> lk(m);
            cv.wait(lk, [&] { return turn == 1; });
            turn = 0;
            cv.notify_one();
        }
    });
    a.join();
    b.join();
    CHECK(turn == 0);
}

// ------------------------------------------------------------ once
void test_call_once()
{
    parker::once_flag flag;
    std::atomic<int> runs(0);
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; ++i)
        ts.emplace_back([&] {
            parker::call_once(flag, [&](int add) { sleep_ms(5); runs += add; }, 1);
            CHECK(runs.load() == 1); // done before anyone returns
        });
    for (auto &t : ts)
        t.join();
    CHECK(runs.load() == 1);
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
    // An exception leaves the flag not done and reaches this caller only;
    // the next call runs the callable again.
    parker::once_flag f2;
    int attempts = 0;
    bool caught = false;
    try {
        parker::call_once(f2, [&] { ++attempts; throw std::runtime_error("first"); });
    } catch (const std::runtime_error &) {
        caught = true;
    }
    CHECK(caught);
    parker::call_once(f2, [&] { ++attempts; });
    parker::call_once(f2, [&] { ++attempts; });
    CHECK(attempts == 2);
#endif
}

// ------------------------------------------------------------ semaphore
void test_semaphore()
{
    CHECK(parker_sem_value(const_cast<parker::counting_semaphore<10> &>(kConstSem).native_handle()) == 3);
    parker::counting_semaphore<> s(2);
    CHECK(s.try_acquire());
    CHECK(s.try_acquire());
    CHECK(!s.try_acquire());
    sclock::time_point t0 = sclock::now();
    CHECK(!s.try_acquire_for(kShort));
    CHECK(sclock::now() - t0 >= kShort);
    std::chrono::system_clock::time_point su = std::chrono::system_clock::now() + kShort;
    CHECK(!s.try_acquire_until(su));
    CHECK(std::chrono::system_clock::now() >= su);
    s.release(3);
    CHECK(parker_sem_value(s.native_handle()) == 3);
    s.acquire();
    s.acquire();
    s.acquire();
    // acquire blocks until a release.
    std::atomic<int> got(0);
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; ++i)
        ts.emplace_back([&] { s.acquire(); ++got; });
    sleep_ms(10);
    CHECK(got.load() == 0);
    s.release(2);
    CHECK(eventually([&] { return got.load() == 2; }));
    sleep_ms(5);
    CHECK(got.load() == 2);
    s.release();
    for (auto &t : ts)
        t.join();
    CHECK(got.load() == 3);
    std::atomic<bool> ok(false);
    std::thread tw([&] { ok = s.try_acquire_for(kLong); });
    sleep_ms(5);
    s.release();
    tw.join();
    CHECK(ok.load());

    parker::binary_semaphore b(0);
    std::thread pb([&] { b.release(); });
    b.acquire();
    pb.join();
    CHECK(!b.try_acquire());
}

// ------------------------------------------------------------ latch
void test_latch()
{
    parker::latch l0(0);
    CHECK(l0.try_wait());
    l0.wait();
    parker::latch l(3);
    CHECK(parker_waitgroup_count(l.native_handle()) == 3);
    CHECK(!l.try_wait());
    l.count_down();
    CHECK(!l.try_wait());
    std::atomic<int> passed(0);
    std::thread t([&] { l.wait(); ++passed; });
    sleep_ms(10);
    CHECK(passed.load() == 0);
    l.count_down(2);
    t.join();
    CHECK(passed.load() == 1);
    CHECK(l.try_wait());
    parker::latch start(4);
    std::vector<std::thread> ts;
    for (int i = 0; i < 3; ++i)
        ts.emplace_back([&] { start.arrive_and_wait(); ++passed; });
    sleep_ms(5);
    CHECK(passed.load() == 1);
    start.arrive_and_wait();
    for (auto &x : ts)
        x.join();
    CHECK(passed.load() == 4);
}

// ------------------------------------------------------------ barrier
struct counting_completion {
    std::atomic<int> *phases;
    void operator()() noexcept { ++*phases; }
};

void test_barrier()
{
    std::atomic<int> phases(0);
    const int threads = 3, rounds = 50;
    parker::barrier<counting_completion> b(threads, counting_completion{&phases});
    std::atomic<int> arrived(0);
    std::atomic<bool> bad(false);
    std::vector<std::thread> ts;
    for (int i = 0; i < threads; ++i)
        ts.emplace_back([&] {
            for (int r = 0; r < rounds; ++r) {
                ++arrived;
                b.arrive_and_wait();
                // The completion of phase r ran before anyone returned.
                if (phases.load() < r + 1)
                    bad = true;
                if (arrived.load() < (r + 1) * threads)
                    bad = true;
            }
        });
    for (auto &t : ts)
        t.join();
    CHECK(!bad.load());
    CHECK(phases.load() == rounds);

    // arrive + wait with tokens; arrive(n); arrive_and_drop.
    parker::barrier<> b2(2);
    auto tok = b2.arrive();
    std::thread other([&] { sleep_ms(5); b2.wait(b2.arrive()); });
    b2.wait(std::move(tok));
    other.join();
    auto tok2 = b2.arrive(2); // completes the phase alone
    b2.wait(std::move(tok2));
    std::thread dropper([&] { b2.arrive_and_drop(); });
    dropper.join();
    b2.arrive_and_wait(); // expected is 1 from this phase on
    b2.arrive_and_wait();
}

// ------------------------------------------------------------ layout / C
struct c_struct { // what a C header declares
    int value;
    parker_mutex_t lock;
    parker_rwlock_t rw;
};

void test_layout()
{
    c_struct s = {0, PARKER_MUTEX_INIT, PARKER_RWLOCK_INIT};
    parker::mutex_ref ref(s.lock);
    {
        std::lock_guard<parker::mutex_ref> g(ref);
        CHECK(parker_mutex_is_locked(&s.lock));
        CHECK(parker_mutex_trylock(&s.lock) == PARKER_AGAIN); // C sees it held
    }
    CHECK(!parker_mutex_is_locked(&s.lock));
    parker_mutex_lock(&s.lock); // C locks, C++ sees it
    CHECK(!ref.try_lock());
    CHECK(!ref.try_lock_for(ms(1)));
    parker_mutex_unlock(&s.lock);
    // The condition variable's fast path with a mutex_ref.
    parker::condition_variable cv;
    std::unique_lock<parker::mutex_ref> lk(ref);
    CHECK(cv.wait_for(lk, ms(1)) == std::cv_status::timeout);
    lk.unlock();
    parker::mutex m;
    CHECK(static_cast<void *>(m.native_handle()) == static_cast<void *>(&m));
}

} // namespace

int main()
{
    test_lockable<parker::mutex>();
    test_timed_lockable<parker::mutex>();
    test_mutex_exclusion();
    test_lockable<parker::recursive_mutex>();
    test_timed_lockable<parker::fair_mutex>();
    test_timed_lockable<parker::recursive_mutex>();
    test_recursive();
    test_fair_mutex();
    test_lockable<parker::shared_mutex>();
    test_timed_lockable<parker::shared_mutex>();
    test_shared();
    test_lockable<parker::upgrade_mutex>();
    test_timed_lockable<parker::upgrade_mutex>();
    test_upgrade_mutex();
    test_cv_with<std::unique_lock<parker::mutex>, parker::mutex>();
    test_cv_with<std::unique_lock<std::mutex>, std::mutex>();
    test_cv_with<std::unique_lock<parker::shared_mutex>, parker::shared_mutex>();
    test_cv_with<std::unique_lock<parker::recursive_mutex>, parker::recursive_mutex>();
    test_cv_with<std::unique_lock<parker::upgrade_mutex>, parker::upgrade_mutex>();
    test_cv_clocks();
    test_cv_lost_wakeup();
    test_call_once();
    test_semaphore();
    test_latch();
    test_barrier();
    test_layout();
    std::printf("test_cxx (C++%ld): %d checks, %d failed\n", static_cast<long>(__cplusplus / 100 % 100),
                checks.load(), failures.load());
    return failures == 0 ? 0 : 1;
}
