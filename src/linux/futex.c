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
 * musl >= 1.2) must call futex_time64 with a 64-bit kernel timespec; those
 * with a 32-bit time_t call the old futex with a 32-bit one.  The choice is
 * made at build time from sizeof(time_t); nothing is probed at run time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../backend.h"
#include "../atomics.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct kernel_timespec64 { int64_t tv_sec; int64_t tv_nsec; }; /* __kernel_timespec */
struct kernel_timespec32 { int32_t tv_sec; int32_t tv_nsec; }; /* old_timespec32 */

#if defined(__LP64__) || (defined(__x86_64__) && defined(__ILP32__))
/* 64-bit kernels' futex (and x32's) take the 64-bit timespec. */
#  define PARKER__FUTEX_WAIT_NR SYS_futex
#  define PARKER__FUTEX_TS64 1
#elif defined(SYS_futex_time64) && defined(SYS_futex)
/* 32-bit: follow the C library's time_t.  A compile-time constant. */
#  define PARKER__FUTEX_WAIT_NR (sizeof(time_t) > 4 ? SYS_futex_time64 : SYS_futex)
#  define PARKER__FUTEX_TS64 (sizeof(time_t) > 4)
#elif defined(SYS_futex_time64)
/* 32-bit targets born after 2038-proofing (riscv32) have only the new call. */
#  define PARKER__FUTEX_WAIT_NR SYS_futex_time64
#  define PARKER__FUTEX_TS64 1
#  define SYS_futex SYS_futex_time64
#else
#  define PARKER__FUTEX_WAIT_NR SYS_futex
#  define PARKER__FUTEX_TS64 0
#endif

int parker__sys_init(void)
{
    return 0;
}

int parker__sys_wait(parker_t *p, uint64_t deadline_ns)
{
    const int op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;
    uint64_t sec = deadline_ns / 1000000000u;
    uint32_t nsec = (uint32_t)(deadline_ns % 1000000000u);

    if (PARKER__FUTEX_TS64) {
        struct kernel_timespec64 ts;
        ts.tv_sec = (int64_t)sec; /* < 2^35 for any uint64_t ns value */
        ts.tv_nsec = nsec;
        (void)syscall(PARKER__FUTEX_WAIT_NR, PARKER__WORD(p), op, PARKER__PARKED,
                      deadline_ns == PARKER__NO_DEADLINE ? NULL : &ts, NULL,
                      FUTEX_BITSET_MATCH_ANY);
    } else {
        struct kernel_timespec32 ts;
        /* Past 2^31 s on the monotonic clock: wait until the largest
         * representable time; the core sees the deadline has not passed and
         * waits again. */
        ts.tv_sec = sec > INT32_MAX ? INT32_MAX : (int32_t)sec;
        ts.tv_nsec = sec > INT32_MAX ? 999999999 : (int32_t)nsec;
        (void)syscall(PARKER__FUTEX_WAIT_NR, PARKER__WORD(p), op, PARKER__PARKED,
                      deadline_ns == PARKER__NO_DEADLINE ? NULL : &ts, NULL,
                      FUTEX_BITSET_MATCH_ANY);
    }
    /* EINTR, EAGAIN (already unparked), ETIMEDOUT or a wake: the core
     * re-reads the word and the clock either way. */
    return 0;
}

void parker__sys_wake(parker_t *p)
{
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
