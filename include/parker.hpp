// parker.hpp - the sync objects of parker_sync.h as C++ types that meet the
// standard library's named requirements, so that std::lock_guard,
// std::unique_lock, std::scoped_lock, std::shared_lock and std::lock take
// them as they take std::mutex.
//
// Header-only, C++11 (nothing here needs a later standard; the C++20 names
// are provided in every mode).  Link the C library (parker::parker).
//
//   parker::mutex                 Lockable, TimedLockable; 1 byte (parker_mutex_t)
//   parker::timed_mutex           the same type (every parker::mutex is timed)
//   parker::fair_mutex            as mutex, every unlock hands off (FIFO)
//   parker::recursive_mutex       Lockable, TimedLockable (parker_remutex_t)
//   parker::recursive_timed_mutex the same type
//   parker::shared_mutex          SharedTimedMutex (parker_rwlock_t)
//   parker::shared_timed_mutex    the same type
//   parker::upgrade_mutex         SharedTimedMutex plus Boost's upgradable
//                                 read (parker_uprwlock_t)
//   parker::condition_variable    condition_variable_any's interface: waits
//                                 with any BasicLockable (parker_cond_t)
//   parker::once_flag, call_once  (parker_once_t)
//   parker::counting_semaphore<N>, binary_semaphore   (parker_sem_t)
//   parker::latch                 (parker_waitgroup_t)
//   parker::barrier<F>            C++20 std::barrier's members
//
// Rules every type here follows:
//   - No exceptions of its own and no allocation: the library aborts on
//     misuse (see parker_sync.h) where std would throw system_error.  Only
//     user code (a call_once callable) can throw, and that is passed on.
//   - The layout of the C type: each class holds exactly its C object
//     (static_asserts below), is standard-layout, and native_handle()
//     returns a pointer to it, so C code can lock what C++ code locks.  A C
//     struct that holds the C object can be locked from C++ through the
//     *_ref views (mutex_ref, shared_mutex_ref), which meet the same
//     requirements without owning the object.
//   - Timed calls take any std::chrono clock and never report a timeout
//     before the target clock has reached the time point: each wait is
//     converted to a relative wait on the library's monotonic clock
//     (rounded up), and after every wake the target clock is read again and
//     the wait resumed if its time has not come (as libc++ does for a clock
//     it cannot wait on natively).  A system_clock that jumps back therefore
//     makes the wait longer, never shorter.  *_for calls wait on
//     std::chrono::steady_clock, as the standard specifies.
//   - Not copyable or movable (the object's address is its queue key).
#ifndef PARKER_HPP
#define PARKER_HPP

#include "parker_sync.h"

#include <chrono>
#include <condition_variable> // std::cv_status
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex> // std::unique_lock, std::defer_lock (for the cv fast path)
#include <type_traits>
#include <utility>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#  define PARKER_HPP_EXCEPTIONS 1
#  include <exception>
#else
#  define PARKER_HPP_EXCEPTIONS 0
#endif

#if defined(__has_cpp_attribute)
#  if __has_cpp_attribute(nodiscard) && __cplusplus >= 201703L
#    define PARKER_HPP_NODISCARD [[nodiscard]]
#  endif
#endif
#ifndef PARKER_HPP_NODISCARD
#  define PARKER_HPP_NODISCARD
#endif

namespace parker {

namespace detail {

// A relative wait of d, in nanoseconds for the C calls: rounded up (a wait
// rounded down could end before d), 0 for d <= 0, PARKER_FOREVER when it
// does not fit.  Works for floating-point and integer durations of any
// period without overflowing: the comparison is done in long double first.
template <class Rep, class Period>
inline std::uint64_t timeout_ns(const std::chrono::duration<Rep, Period> &d)
{
    typedef std::chrono::duration<long double, std::nano> fns;
    const long double n = std::chrono::duration_cast<fns>(d).count();
    if (!(n > 0)) // also NaN
        return 0;
    // 2^64 - 2^11 (exact in a 53-bit double): anything larger, and
    // PARKER_FOREVER itself, means "no limit".
    if (n >= 18446744073709549568.0L)
        return PARKER_FOREVER;
    std::uint64_t r = static_cast<std::uint64_t>(n);
    if (static_cast<long double>(r) < n)
        ++r;
    return r;
}

// try_for(ns) makes one attempt that may wait up to ns nanoseconds (0: no
// waiting) and returns true on success.  Runs it until it succeeds or
// Clock has reached abs; read Clock again after every attempt so that the
// result never says "timed out" early on any clock.
template <class Clock, class Duration, class TryFor>
inline bool until(const std::chrono::time_point<Clock, Duration> &abs, TryFor try_for)
{
    for (;;) {
        const typename Clock::time_point now = Clock::now();
        if (now >= abs)
            return try_for(std::uint64_t(0)); // a time point past: one try
        if (try_for(timeout_ns(abs - now)))
            return true;
    }
}

// std::chrono::steady_clock::now() + d, saturated (a huge d would overflow
// the time point; saturating keeps "wait for ever" meaning for ever).
template <class Rep, class Period>
inline std::chrono::steady_clock::time_point steady_after(const std::chrono::duration<Rep, Period> &d)
{
    typedef std::chrono::steady_clock sc;
    const sc::time_point now = sc::now();
    const std::uint64_t ns = timeout_ns(d);
    const long double left =
        std::chrono::duration_cast<std::chrono::duration<long double, std::nano> >(sc::time_point::max() - now)
            .count();
    if (ns == PARKER_FOREVER || static_cast<long double>(ns) >= left ||
        ns > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return sc::time_point::max();
    const std::chrono::nanoseconds exact(static_cast<std::chrono::nanoseconds::rep>(ns));
    sc::duration step = std::chrono::duration_cast<sc::duration>(exact);
    if (step < exact) // a coarser clock: round up, never early
        step += sc::duration(1);
    return now + step;
}

// An absolute deadline on parker_now_ns()'s clock, ns from now (saturated).
inline std::uint64_t deadline_after(std::uint64_t ns) noexcept
{
    if (ns == PARKER_FOREVER)
        return PARKER_FOREVER;
    const std::uint64_t now = parker_now_ns();
    return ns > PARKER_FOREVER - now ? PARKER_FOREVER : now + ns;
}

template <class Clock, class Duration>
inline bool is_max(const std::chrono::time_point<Clock, Duration> &t)
{
    return t == std::chrono::time_point<Clock, Duration>::max();
}

} // namespace detail

// ------------------------------------------------------------------ mutex
// parker_mutex_t: barging with a 1 ms hand-off rule (parker_sync.h).
class mutex {
public:
    typedef parker_mutex_t *native_handle_type;

    constexpr mutex() noexcept : m_() {}
    mutex(const mutex &) = delete;
    mutex &operator=(const mutex &) = delete;

    void lock() noexcept { parker_mutex_lock(&m_); }
    PARKER_HPP_NODISCARD bool try_lock() noexcept { return parker_mutex_trylock(&m_) == PARKER_OK; }
    void unlock() noexcept { parker_mutex_unlock(&m_); }
    // Hand the mutex to the longest waiter if there is one (parker_sync.h).
    void unlock_fair() noexcept { parker_mutex_unlock_fair(&m_); }
    // Let a waiter in and take the mutex again (parker_mutex_bump).
    void bump() noexcept { parker_mutex_bump(&m_); }

    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_lock_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_lock_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_lock_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_mutex_t *m = &m_;
        if (detail::is_max(t)) {
            parker_mutex_lock(m);
            return true;
        }
        return detail::until(t, [m](std::uint64_t ns) {
            return parker_mutex_lock_timeout(m, ns) == PARKER_OK;
        });
    }

    native_handle_type native_handle() noexcept { return &m_; }

private:
    parker_mutex_t m_;
};
typedef mutex timed_mutex;

// A Lockable / TimedLockable view of a parker_mutex_t that lives elsewhere
// (in a C struct): the C++ side of a lock that C code also takes.
class mutex_ref {
public:
    explicit mutex_ref(parker_mutex_t &m) noexcept : m_(&m) {}
    explicit mutex_ref(mutex &m) noexcept : m_(m.native_handle()) {}
    void lock() noexcept { parker_mutex_lock(m_); }
    PARKER_HPP_NODISCARD bool try_lock() noexcept { return parker_mutex_trylock(m_) == PARKER_OK; }
    void unlock() noexcept { parker_mutex_unlock(m_); }
    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_lock_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_lock_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_lock_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_mutex_t *m = m_;
        if (detail::is_max(t)) {
            parker_mutex_lock(m);
            return true;
        }
        return detail::until(t, [m](std::uint64_t ns) {
            return parker_mutex_lock_timeout(m, ns) == PARKER_OK;
        });
    }
    parker_mutex_t *native_handle() const noexcept { return m_; }

private:
    parker_mutex_t *m_;
};

// ------------------------------------------------------------------ fair mutex
class fair_mutex {
public:
    typedef parker_fairmutex_t *native_handle_type;
    constexpr fair_mutex() noexcept : m_() {}
    fair_mutex(const fair_mutex &) = delete;
    fair_mutex &operator=(const fair_mutex &) = delete;

    void lock() noexcept { parker_fairmutex_lock(&m_); }
    PARKER_HPP_NODISCARD bool try_lock() noexcept { return parker_fairmutex_trylock(&m_) == PARKER_OK; }
    void unlock() noexcept { parker_fairmutex_unlock(&m_); }
    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_lock_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_lock_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_lock_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_fairmutex_t *m = &m_;
        if (detail::is_max(t)) {
            parker_fairmutex_lock(m);
            return true;
        }
        return detail::until(t, [m](std::uint64_t ns) {
            return parker_fairmutex_lock_timeout(m, ns) == PARKER_OK;
        });
    }
    native_handle_type native_handle() noexcept { return &m_; }

private:
    parker_fairmutex_t m_;
};

// ------------------------------------------------------------------ recursive
class recursive_mutex {
public:
    typedef parker_remutex_t *native_handle_type;
    constexpr recursive_mutex() noexcept : m_() {}
    recursive_mutex(const recursive_mutex &) = delete;
    recursive_mutex &operator=(const recursive_mutex &) = delete;

    void lock() noexcept { parker_remutex_lock(&m_); }
    PARKER_HPP_NODISCARD bool try_lock() noexcept { return parker_remutex_trylock(&m_) == PARKER_OK; }
    // Aborts with a message if the calling thread does not own the mutex.
    void unlock() noexcept { parker_remutex_unlock(&m_); }
    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_lock_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_lock_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_lock_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_remutex_t *m = &m_;
        if (detail::is_max(t)) {
            parker_remutex_lock(m);
            return true;
        }
        return detail::until(t, [m](std::uint64_t ns) {
            return parker_remutex_lock_timeout(m, ns) == PARKER_OK;
        });
    }
    // The calling thread's depth (0: it does not own the mutex).
    std::uint32_t depth() const noexcept { return parker_remutex_depth(&m_); }
    native_handle_type native_handle() noexcept { return &m_; }

private:
    parker_remutex_t m_;
};
typedef recursive_mutex recursive_timed_mutex;

// ------------------------------------------------------------------ shared
// parker_rwlock_t: writer-preferring, no starvation either way.  lock_shared
// while the same thread holds a shared lock can deadlock if a writer waits
// (parker_sync.h, "Recursion"), as with std::shared_mutex on glibc's
// writer-preferring setting.
class shared_mutex {
public:
    typedef parker_rwlock_t *native_handle_type;
    constexpr shared_mutex() noexcept : l_() {}
    shared_mutex(const shared_mutex &) = delete;
    shared_mutex &operator=(const shared_mutex &) = delete;

    void lock() noexcept { parker_rwlock_wrlock(&l_); }
    PARKER_HPP_NODISCARD bool try_lock() noexcept { return parker_rwlock_trywrlock(&l_) == PARKER_OK; }
    void unlock() noexcept { parker_rwlock_wrunlock(&l_); }
    void lock_shared() noexcept { parker_rwlock_rdlock(&l_); }
    PARKER_HPP_NODISCARD bool try_lock_shared() noexcept { return parker_rwlock_tryrdlock(&l_) == PARKER_OK; }
    void unlock_shared() noexcept { parker_rwlock_rdunlock(&l_); }
    // The exclusive lock the caller holds becomes a shared one, atomically.
    void unlock_and_lock_shared() noexcept { parker_rwlock_downgrade(&l_); }

    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_lock_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_lock_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_lock_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_rwlock_t *l = &l_;
        if (detail::is_max(t)) {
            parker_rwlock_wrlock(l);
            return true;
        }
        return detail::until(t, [l](std::uint64_t ns) {
            return ns == 0 ? parker_rwlock_trywrlock(l) == PARKER_OK
                           : parker_rwlock_wrlock_timeout(l, ns) == PARKER_OK;
        });
    }
    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_lock_shared_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_lock_shared_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_lock_shared_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_rwlock_t *l = &l_;
        if (detail::is_max(t)) {
            parker_rwlock_rdlock(l);
            return true;
        }
        return detail::until(t, [l](std::uint64_t ns) {
            return ns == 0 ? parker_rwlock_tryrdlock(l) == PARKER_OK
                           : parker_rwlock_rdlock_timeout(l, ns) == PARKER_OK;
        });
    }
    native_handle_type native_handle() noexcept { return &l_; }

private:
    parker_rwlock_t l_;
};
typedef shared_mutex shared_timed_mutex;

// ------------------------------------------------------------------ upgrade
// parker_uprwlock_t with Boost.Thread's UpgradeLockable names: a shared
// mutex with one upgradable reader alongside the plain ones, which can
// become the writer atomically (parker_sync.h says how it interacts with
// writer preference and hand-off).  Works with std::unique_lock,
// std::shared_lock and (for the upgradable read) any lock type that calls
// lock_upgrade / unlock_upgrade.
class upgrade_mutex {
public:
    typedef parker_uprwlock_t *native_handle_type;
    constexpr upgrade_mutex() noexcept : l_() {}
    upgrade_mutex(const upgrade_mutex &) = delete;
    upgrade_mutex &operator=(const upgrade_mutex &) = delete;

    void lock() noexcept { parker_uprwlock_wrlock(&l_); }
    PARKER_HPP_NODISCARD bool try_lock() noexcept { return parker_uprwlock_trywrlock(&l_) == PARKER_OK; }
    void unlock() noexcept { parker_uprwlock_wrunlock(&l_); }
    void lock_shared() noexcept { parker_uprwlock_rdlock(&l_); }
    PARKER_HPP_NODISCARD bool try_lock_shared() noexcept { return parker_uprwlock_tryrdlock(&l_) == PARKER_OK; }
    void unlock_shared() noexcept { parker_uprwlock_rdunlock(&l_); }
    void lock_upgrade() noexcept { parker_uprwlock_uplock(&l_); }
    PARKER_HPP_NODISCARD bool try_lock_upgrade() noexcept { return parker_uprwlock_tryuplock(&l_) == PARKER_OK; }
    void unlock_upgrade() noexcept { parker_uprwlock_upunlock(&l_); }

    // Upgradable read -> write, atomically.
    void unlock_upgrade_and_lock() noexcept { parker_uprwlock_upgrade(&l_); }
    PARKER_HPP_NODISCARD bool try_unlock_upgrade_and_lock() noexcept
    {
        return parker_uprwlock_tryupgrade(&l_) == PARKER_OK;
    }
    // On false the caller still holds the upgradable read.
    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_unlock_upgrade_and_lock_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_unlock_upgrade_and_lock_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_unlock_upgrade_and_lock_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_uprwlock_t *l = &l_;
        if (detail::is_max(t)) {
            parker_uprwlock_upgrade(l);
            return true;
        }
        return detail::until(t, [l](std::uint64_t ns) {
            return parker_uprwlock_upgrade_until(l, ns == 0 ? 0 : detail::deadline_after(ns)) == PARKER_OK;
        });
    }
    void unlock_and_lock_upgrade() noexcept { parker_uprwlock_downgrade_to_upgradable(&l_); }
    void unlock_and_lock_shared() noexcept { parker_uprwlock_downgrade(&l_); }
    void unlock_upgrade_and_lock_shared() noexcept { parker_uprwlock_downgrade_upgradable(&l_); }

    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_lock_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_lock_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_lock_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_uprwlock_t *l = &l_;
        if (detail::is_max(t)) {
            parker_uprwlock_wrlock(l);
            return true;
        }
        return detail::until(t, [l](std::uint64_t ns) {
            return parker_uprwlock_wrlock_until(l, ns == 0 ? 0 : detail::deadline_after(ns)) == PARKER_OK;
        });
    }
    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_lock_shared_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_lock_shared_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_lock_shared_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_uprwlock_t *l = &l_;
        if (detail::is_max(t)) {
            parker_uprwlock_rdlock(l);
            return true;
        }
        return detail::until(t, [l](std::uint64_t ns) {
            return parker_uprwlock_rdlock_until(l, ns == 0 ? 0 : detail::deadline_after(ns)) == PARKER_OK;
        });
    }
    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_lock_upgrade_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_lock_upgrade_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_lock_upgrade_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_uprwlock_t *l = &l_;
        if (detail::is_max(t)) {
            parker_uprwlock_uplock(l);
            return true;
        }
        return detail::until(t, [l](std::uint64_t ns) {
            return parker_uprwlock_uplock_until(l, ns == 0 ? 0 : detail::deadline_after(ns)) == PARKER_OK;
        });
    }
    native_handle_type native_handle() noexcept { return &l_; }

private:
    parker_uprwlock_t l_;
};

// ------------------------------------------------------------------ condvar
// condition_variable_any's interface on parker_cond_t.  With a
// std::unique_lock<parker::mutex> the wait uses parker_cond_wait (waiters
// are moved onto the mutex's queue by notify: no stampede); with any other
// BasicLockable it uses parker_cond_wait_with.  As parker_sync.h requires,
// the threads waiting at one moment must all use the same lock, and either
// all std::unique_lock<parker::mutex> or all some other lock type (the
// library aborts with a message otherwise).  The lock's lock() and unlock()
// are called from inside the library and must not throw (std::terminate).
// No spurious wake-ups from the library, but re-check the predicate anyway
// (another thread may have taken what the notify announced).
class condition_variable {
public:
    constexpr condition_variable() noexcept : c_() {}
    condition_variable(const condition_variable &) = delete;
    condition_variable &operator=(const condition_variable &) = delete;

    void notify_one() noexcept { (void)parker_cond_signal(&c_); }
    void notify_all() noexcept { (void)parker_cond_broadcast(&c_); }

    template <class Lock>
    void wait(Lock &lock) noexcept
    {
        (void)wait_ns(lock, PARKER_FOREVER);
    }
    template <class Lock, class Predicate>
    void wait(Lock &lock, Predicate pred)
    {
        while (!pred())
            wait(lock);
    }

    // Returns std::cv_status::timeout only once Clock has reached t.
    template <class Lock, class Clock, class Duration>
    std::cv_status wait_until(Lock &lock, const std::chrono::time_point<Clock, Duration> &t)
    {
        if (detail::is_max(t)) {
            wait(lock);
            return std::cv_status::no_timeout;
        }
        for (;;) {
            const typename Clock::time_point now = Clock::now();
            if (now >= t)
                return std::cv_status::timeout;
            // Notified: done.  Timed out on the library's clock: the target
            // clock may disagree (it was set back, or runs slower); the lock
            // is held again here, so read it again and wait for the rest.
            if (wait_ns(lock, detail::timeout_ns(t - now)) == PARKER_OK)
                return std::cv_status::no_timeout;
        }
    }
    template <class Lock, class Clock, class Duration, class Predicate>
    bool wait_until(Lock &lock, const std::chrono::time_point<Clock, Duration> &t, Predicate pred)
    {
        while (!pred()) {
            if (wait_until(lock, t) == std::cv_status::timeout)
                return pred();
        }
        return true;
    }
    template <class Lock, class Rep, class Period>
    std::cv_status wait_for(Lock &lock, const std::chrono::duration<Rep, Period> &d)
    {
        return wait_until(lock, detail::steady_after(d));
    }
    template <class Lock, class Rep, class Period, class Predicate>
    bool wait_for(Lock &lock, const std::chrono::duration<Rep, Period> &d, Predicate pred)
    {
        return wait_until(lock, detail::steady_after(d), std::move(pred));
    }

    parker_cond_t *native_handle() noexcept { return &c_; }

private:
    template <class Lock>
    static void unlock_fn(void *l) noexcept
    {
        static_cast<Lock *>(l)->unlock();
    }
    template <class Lock>
    static void lock_fn(void *l) noexcept
    {
        static_cast<Lock *>(l)->lock();
    }

    template <class Lock>
    int wait_ns(Lock &lock, std::uint64_t timeout) noexcept
    {
        return parker_cond_wait_with(&c_, &unlock_fn<Lock>, &lock_fn<Lock>, &lock,
                                     detail::deadline_after(timeout));
    }
    int wait_ns(std::unique_lock<mutex> &lock, std::uint64_t timeout) noexcept
    {
        return parker_cond_wait_timeout(&c_, lock.mutex()->native_handle(), timeout);
    }
    int wait_ns(std::unique_lock<mutex_ref> &lock, std::uint64_t timeout) noexcept
    {
        return parker_cond_wait_timeout(&c_, lock.mutex()->native_handle(), timeout);
    }

    parker_cond_t c_;
};
typedef condition_variable condition_variable_any;

// ------------------------------------------------------------------ once
class once_flag {
public:
    constexpr once_flag() noexcept : o_() {}
    once_flag(const once_flag &) = delete;
    once_flag &operator=(const once_flag &) = delete;
    parker_once_t *native_handle() noexcept { return &o_; }

private:
    parker_once_t o_;
};

namespace detail {
template <class F>
struct once_call {
    F *f;
#if PARKER_HPP_EXCEPTIONS
    std::exception_ptr error;
#endif
    static int run(void *arg) noexcept
    {
        once_call *self = static_cast<once_call *>(arg);
#if PARKER_HPP_EXCEPTIONS
        // An exception must not unwind through the C library: keep it, fail
        // this attempt (the flag stays not done, the next caller retries, as
        // std::call_once specifies), and rethrow it in the caller.
        try {
            (*self->f)();
        } catch (...) {
            self->error = std::current_exception();
            return 1;
        }
#else
        (*self->f)();
#endif
        return 0;
    }
};
} // namespace detail

// std::call_once: f runs exactly once successfully; an exception from f
// leaves the flag not done and is rethrown to this caller only.
template <class Callable, class... Args>
void call_once(once_flag &flag, Callable &&f, Args &&...args)
{
    if (parker_once_is_done(flag.native_handle()))
        return;
    auto bound = [&]() { std::forward<Callable>(f)(std::forward<Args>(args)...); };
    detail::once_call<decltype(bound)> call;
    call.f = &bound;
    if (parker_once(flag.native_handle(), &detail::once_call<decltype(bound)>::run, &call) != 0) {
#if PARKER_HPP_EXCEPTIONS
        std::rethrow_exception(call.error);
#endif
    }
}

// ------------------------------------------------------------------ semaphore
// parker_sem_t: FIFO hand-off to queued waiters.  LeastMaxValue is at most
// PARKER_SEM_VALUE_MAX (2^31 - 1); a release beyond max() aborts.
template <std::ptrdiff_t LeastMaxValue = static_cast<std::ptrdiff_t>(PARKER_SEM_VALUE_MAX)>
class counting_semaphore {
    static_assert(LeastMaxValue >= 0, "counting_semaphore: LeastMaxValue must be >= 0");
    static_assert(static_cast<unsigned long long>(LeastMaxValue) <= PARKER_SEM_VALUE_MAX,
                  "counting_semaphore: LeastMaxValue above PARKER_SEM_VALUE_MAX");

public:
    // The count in the layout parker_sync.h gives (count << 1, no parked
    // bit): constexpr like std's, so a static semaphore needs no dynamic
    // initialisation.  The test checks it against parker_sem_value().
    constexpr explicit counting_semaphore(std::ptrdiff_t desired) noexcept
        : s_{static_cast<std::uint32_t>(static_cast<std::uint32_t>(desired) << 1)}
    {
    }
    counting_semaphore(const counting_semaphore &) = delete;
    counting_semaphore &operator=(const counting_semaphore &) = delete;

    static constexpr std::ptrdiff_t max() noexcept { return LeastMaxValue; }

    void release(std::ptrdiff_t update = 1) noexcept
    {
        parker_sem_post(&s_, static_cast<std::uint32_t>(update));
    }
    void acquire() noexcept { parker_sem_wait(&s_); }
    PARKER_HPP_NODISCARD bool try_acquire() noexcept { return parker_sem_trywait(&s_) == PARKER_OK; }
    template <class Rep, class Period>
    PARKER_HPP_NODISCARD bool try_acquire_for(const std::chrono::duration<Rep, Period> &d) noexcept
    {
        return try_acquire_until(detail::steady_after(d));
    }
    template <class Clock, class Duration>
    PARKER_HPP_NODISCARD bool try_acquire_until(const std::chrono::time_point<Clock, Duration> &t) noexcept
    {
        parker_sem_t *s = &s_;
        if (detail::is_max(t)) {
            parker_sem_wait(s);
            return true;
        }
        return detail::until(t, [s](std::uint64_t ns) {
            return parker_sem_wait_timeout(s, ns) == PARKER_OK;
        });
    }
    parker_sem_t *native_handle() noexcept { return &s_; }

private:
    parker_sem_t s_;
};
typedef counting_semaphore<1> binary_semaphore;

// ------------------------------------------------------------------ latch
// parker_waitgroup_t used once.  expected is at most max() (INT32_MAX).
class latch {
public:
    // The count in parker_waitgroup_t's documented layout (count << 1):
    // constexpr like std::latch's constructor.
    constexpr explicit latch(std::ptrdiff_t expected) noexcept
        : w_{static_cast<std::uint32_t>(static_cast<std::uint32_t>(expected) << 1)}
    {
    }
    latch(const latch &) = delete;
    latch &operator=(const latch &) = delete;

    static constexpr std::ptrdiff_t max() noexcept { return INT32_MAX; }

    void count_down(std::ptrdiff_t update = 1) noexcept
    {
        parker_waitgroup_add(&w_, -static_cast<std::int32_t>(update));
    }
    PARKER_HPP_NODISCARD bool try_wait() const noexcept { return parker_waitgroup_count(&w_) == 0; }
    void wait() const noexcept { (void)parker_waitgroup_wait(const_cast<parker_waitgroup_t *>(&w_), PARKER_FOREVER); }
    void arrive_and_wait(std::ptrdiff_t update = 1) noexcept
    {
        count_down(update);
        wait();
    }
    parker_waitgroup_t *native_handle() noexcept { return &w_; }

private:
    parker_waitgroup_t w_;
};

// ------------------------------------------------------------------ barrier
// std::barrier: phases of `expected` arrivals; the completion function runs
// once per phase, in the last arriving thread, before any waiter of the
// phase is released.  parker_barrier_t has no arrive-without-wait, drop or
// completion step, so this one is a parker::mutex, a parker_cond_t and
// three counters (no allocation).
namespace detail {
struct empty_completion {
    void operator()() noexcept {}
};
} // namespace detail

template <class CompletionFunction = detail::empty_completion>
class barrier {
public:
    class arrival_token {
    public:
        arrival_token(arrival_token &&) = default;
        arrival_token &operator=(arrival_token &&) = default;

    private:
        friend class barrier;
        explicit arrival_token(std::uint64_t phase) noexcept : phase_(phase) {}
        std::uint64_t phase_;
    };

    static constexpr std::ptrdiff_t max() noexcept { return INT32_MAX; }

    explicit barrier(std::ptrdiff_t expected, CompletionFunction f = CompletionFunction())
        : completion_(std::move(f)), cond_(), expected_(expected), left_(expected), phase_(0)
    {
    }
    barrier(const barrier &) = delete;
    barrier &operator=(const barrier &) = delete;

    PARKER_HPP_NODISCARD arrival_token arrive(std::ptrdiff_t update = 1)
    {
        std::unique_lock<mutex> lk(m_);
        const std::uint64_t phase = phase_;
        arrive_locked(update);
        return arrival_token(phase);
    }
    void wait(arrival_token &&token) const
    {
        std::unique_lock<mutex> lk(m_);
        while (phase_ == token.phase_)
            parker_cond_wait(&cond_, m_.native_handle());
    }
    void arrive_and_wait() { wait(arrive()); }
    void arrive_and_drop()
    {
        std::unique_lock<mutex> lk(m_);
        --expected_;
        arrive_locked(1);
    }

private:
    void arrive_locked(std::ptrdiff_t update)
    {
        left_ -= update;
        if (left_ > 0)
            return;
        // Phase completion: under the lock, so no waiter of this phase can
        // return before it finishes and no arrival of the next phase counts
        // against this one.
        completion_();
        left_ = expected_;
        ++phase_;
        (void)parker_cond_broadcast(&cond_);
    }

    CompletionFunction completion_;
    mutable mutex m_;
    mutable parker_cond_t cond_;
    std::ptrdiff_t expected_;
    std::ptrdiff_t left_;
    std::uint64_t phase_;
};

// ------------------------------------------------------------------ layout
static_assert(sizeof(mutex) == 1 && sizeof(mutex) == sizeof(parker_mutex_t),
              "parker::mutex is the one-byte parker_mutex_t");
static_assert(sizeof(fair_mutex) == sizeof(parker_fairmutex_t), "layout of parker_fairmutex_t");
static_assert(sizeof(recursive_mutex) == sizeof(parker_remutex_t), "layout of parker_remutex_t");
static_assert(sizeof(shared_mutex) == sizeof(parker_rwlock_t), "layout of parker_rwlock_t");
static_assert(sizeof(upgrade_mutex) == sizeof(parker_uprwlock_t), "layout of parker_uprwlock_t");
static_assert(sizeof(condition_variable) == sizeof(parker_cond_t), "layout of parker_cond_t");
static_assert(sizeof(once_flag) == sizeof(parker_once_t), "layout of parker_once_t");
static_assert(sizeof(counting_semaphore<>) == sizeof(parker_sem_t), "layout of parker_sem_t");
static_assert(sizeof(latch) == sizeof(parker_waitgroup_t), "layout of parker_waitgroup_t");
static_assert(std::is_standard_layout<mutex>::value && std::is_standard_layout<shared_mutex>::value &&
                  std::is_standard_layout<recursive_mutex>::value &&
                  std::is_standard_layout<condition_variable>::value,
              "standard layout: the C object is at the start of the C++ one");

} // namespace parker

#endif // PARKER_HPP
