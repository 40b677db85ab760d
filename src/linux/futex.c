/*
 * futex.c - the Linux backend: the parker's 32-bit state word is the futex.
 *
 * wait: FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline, so a
 * retry after EINTR or a spurious wake-up waits for the same deadline (no
 * drift) and the kernel's compare of the word with PARKED is atomic with the
 * block (an unpark between the core's store of PARKED and the sleep makes the
 * wait return at once with EAGAIN).  FUTEX_PRIVATE_FLAG: parkers are not
 * shared between processes, and private futexes skip the mm lookup.
 *
 * wake: FUTEX_WAKE of one waiter on the word's address.  The address is only
 * a key to the kernel; if the owner has already freed the parker, the wake
 * finds nobody (or wakes an unrelated waiter spuriously, which every futex
 * user must tolerate).
 *
 * Time types: the kernel's timespec is built here, never the C library's.
 * 32-bit targets whose C library uses a 64-bit time_t (glibc _TIME_BITS=64,
 * musl >= 1.2) call futex_time64 with a 64-bit kernel timespec; those with a
 * 32-bit time_t call the old futex with a 32-bit one.  The first choice is
 * made at build time from sizeof(time_t).
 *
 * Missing system calls: kernels before 5.1 have no futex_time64 and answer
 * ENOSYS.  The first ENOSYS moves the process, for good, to the old futex
 * with a 32-bit timespec (deadlines past 2^31 s of uptime are clamped and
 * waited for in steps, as glibc does).  Where no futex wait works at all (a
 * kernel built without futexes, a sandbox that forbids them) the backend
 * sleeps in steps of at most 1 ms and lets the core re-check the word: an
 * unpark is then seen within a step, and a park still costs no CPU.  The
 * choice lives in one word, read and written relaxed: it orders nothing, and
 * a thread that reads a stale value only repeats the ENOSYS once.  No error
 * of the wait ever returns at once into the core's loop (that loop would
 * spin): errors other than EINTR, EAGAIN and ETIMEDOUT sleep a step too.
 *
 * Cancellation: syscall() is not a cancellation point (glibc and musl act on
 * a deferred cancel only in their cancellable wrappers), so a park never
 * acts on pthread_cancel; nanosleep is one, so the step sleep runs with
 * cancellation disabled.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../backend.h"
#include "../posix/posix.h"
#include "../atomics.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct kernel_timespec64 { int64_t tv_sec; int64_t tv_nsec; }; /* __kernel_timespec */
struct kernel_timespec32 { int32_t tv_sec; int32_t tv_nsec; }; /* old_timespec32 */

/* The wait calls, best first.  CALL_TS64: a 64-bit timespec (futex on
 * 64-bit ABIs and x32, futex_time64 on 32-bit ones); CALL_TS32: the old
 * futex with a 32-bit timespec; CALL_NONE: sleep in steps. */
#define CALL_TS64 0u
#define CALL_TS32 1u
#define CALL_NONE 2u

#if defined(__LP64__) || (defined(__x86_64__) && defined(__ILP32__))
#  define PARKER__FUTEX_TS64_NR SYS_futex
#  define PARKER__FUTEX_FIRST CALL_TS64
#  define PARKER__FUTEX_HAS_TS32 0
#elif defined(SYS_futex_time64) && defined(SYS_futex)
/* 32-bit: follow the C library's time_t.  A compile-time constant. */
#  define PARKER__FUTEX_TS64_NR SYS_futex_time64
#  define PARKER__FUTEX_FIRST (sizeof(time_t) > 4 ? CALL_TS64 : CALL_TS32)
#  define PARKER__FUTEX_HAS_TS32 1
#elif defined(SYS_futex_time64)
/* 32-bit targets born after 2038-proofing (riscv32) have only the new call. */
#  define PARKER__FUTEX_TS64_NR SYS_futex_time64
#  define PARKER__FUTEX_FIRST CALL_TS64
#  define PARKER__FUTEX_HAS_TS32 0
#  define SYS_futex SYS_futex_time64
#else
#  define PARKER__FUTEX_TS64_NR SYS_futex
#  define PARKER__FUTEX_FIRST CALL_TS32
#  define PARKER__FUTEX_HAS_TS32 1
#endif

/* CALL_* + 1; 0 = not yet decided (the build's first choice). */
static uint32_t call_plus_one;

int parker__sys_init(void)
{
    return 0;
}

void parker__sys_after_fork(void)
{
}

static long wait_ts64(parker_t *p, uint64_t deadline_ns)
{
    struct kernel_timespec64 ts;
    ts.tv_sec = (int64_t)(deadline_ns / 1000000000u); /* < 2^35 for any uint64_t ns value */
    ts.tv_nsec = (int64_t)(deadline_ns % 1000000000u);
    return syscall(PARKER__FUTEX_TS64_NR, PARKER__WORD(p), FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                   PARKER__PARKED, deadline_ns == PARKER__NO_DEADLINE ? NULL : &ts, NULL,
                   FUTEX_BITSET_MATCH_ANY);
}

static long wait_ts32(parker_t *p, uint64_t deadline_ns)
{
#if PARKER__FUTEX_HAS_TS32
    struct kernel_timespec32 ts;
    uint64_t sec = deadline_ns / 1000000000u;
    /* Past 2^31 s on the monotonic clock: wait until the largest
     * representable time; the core sees the deadline has not passed and
     * waits again. */
    ts.tv_sec = sec > INT32_MAX ? INT32_MAX : (int32_t)sec;
    ts.tv_nsec = sec > INT32_MAX ? 999999999 : (int32_t)(deadline_ns % 1000000000u);
    return syscall(SYS_futex, PARKER__WORD(p), FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                   PARKER__PARKED, deadline_ns == PARKER__NO_DEADLINE ? NULL : &ts, NULL,
                   FUTEX_BITSET_MATCH_ANY);
#else
    (void)p;
    (void)deadline_ns;
    errno = ENOSYS;
    return -1;
#endif
}

/* Sleep one step (src/posix/sleep.c) unless the word has already changed;
 * the core re-checks it afterwards. */
static void sleep_step(parker_t *p, uint64_t deadline_ns)
{
    if (parker__load_relaxed(PARKER__WORD(p)) == PARKER__PARKED)
        parker__posix_sleep_step(deadline_ns);
}

int parker__sys_wait(parker_t *p, uint64_t deadline_ns)
{
    for (;;) {
        uint32_t seen = parker__load_relaxed(&call_plus_one);
        uint32_t call = seen != 0 ? seen - 1u : PARKER__FUTEX_FIRST;
        long r;
        int err;

        if (call == CALL_TS64)
            r = wait_ts64(p, deadline_ns);
        else if (call == CALL_TS32)
            r = wait_ts32(p, deadline_ns);
        else {
            sleep_step(p, deadline_ns);
            return 0;
        }
        if (r == 0)
            return 0;
        err = errno;
        /* EINTR, EAGAIN (already unparked), ETIMEDOUT: the core re-reads
         * the word and the clock. */
        if (err == EINTR || err == EAGAIN || err == ETIMEDOUT)
            return 0;
        if (err == ENOSYS) {
            uint32_t next = call == CALL_TS64 && PARKER__FUTEX_HAS_TS32 ? CALL_TS32 : CALL_NONE;
            /* A CAS, so that a thread with a stale view cannot move the
             * choice back to a call already found missing. */
            (void)parker__cas_relaxed(&call_plus_one, &seen, next + 1u);
            continue;
        }
        sleep_step(p, deadline_ns);
        return 0;
    }
}

void parker__sys_wake(parker_t *p)
{
    /* Also when no futex wait works: a kernel without futexes answers
     * ENOSYS at once, and the sleeping owner sees the word within a step. */
    (void)syscall(SYS_futex, PARKER__WORD(p), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1);
}

void parker__sys_absorb(parker_t *p)
{
    (void)p;
}

uint64_t parker__sys_now_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *parker__sys_name(void)
{
    return "futex";
}
