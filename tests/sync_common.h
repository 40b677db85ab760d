/*
 * sync_common.h - helpers for the tests of parker_sync.h: how many threads
 * the lot has queued on an address (so a test knows a waiter is really
 * parked, not about to park), bounded waiting, how slow the environment is,
 * and death tests for misuse.
 */
#ifndef PARKER_TESTS_SYNC_COMMON_H
#define PARKER_TESTS_SYNC_COMMON_H

#include "common.h"
#include "death.h"

#include "parker_lot.h"
#include "parker_sync.h"

#include <stdatomic.h>

#if !defined(_WIN32)
#include <signal.h>
#include <sys/wait.h>
#endif

/*
 * Slow environments (valgrind serialises threads, qemu emulates, TSan and
 * wine add their own costs): generous bounds are multiplied by this, and
 * iteration counts divided by it, so that no bound can flake there.
 */
static inline unsigned sync_slowdown(void)
{
    if (getenv("PARKER_TEST_VALGRIND") != NULL || test_emulator() != NULL)
        return 10;
#if defined(__SANITIZE_THREAD__)
    return 5;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
    return 5;
#endif
#endif
#if defined(_WIN32)
    return 5;
#else
    return 1;
#endif
}

/* A bound for "this must happen" waits: long enough never to be reached by
 * a correct library, so reaching it is a failure, not a flake. */
#define SYNC_BOUND_NS ((uint64_t)30000 * NS_PER_MS * sync_slowdown())

#define SYNC_WAIT_UNTIL(cond)                                                   \
    do {                                                                        \
        uint64_t sync_wait_t0_ = parker_now_ns();                               \
        while (!(cond)) {                                                       \
            if (parker_now_ns() - sync_wait_t0_ > SYNC_BOUND_NS)                \
                fail_msg("timed out waiting for: %s", #cond);                   \
            test_yield();                                                       \
        }                                                                       \
    } while (0)

static inline int sync_count_filter(void *arg, void *park_arg)
{
    (void)park_arg;
    ++*(size_t *)arg;
    return PARKER_LOT_FILTER_SKIP;
}

/* How many threads are queued in the lot on `address` right now (walks the
 * queue with a filter that takes nobody). */
static inline size_t sync_lot_waiters(const void *address)
{
    size_t n = 0;
    (void)parker_lot_unpark_filter(address, sync_count_filter, NULL, &n);
    return n;
}

/* The byte behind an object, for white-box checks of "nothing left behind". */
#define SYNC_BYTE(obj) (__atomic_load_n(&(obj)->private_state_, __ATOMIC_RELAXED))

/* Keeps a plain read and write of the tests apart in time. */
static inline void sync_compiler_barrier(void)
{
    __asm__ __volatile__("" ::: "memory");
}

/* Spin (not sleep) for about ns nanoseconds: work inside a lock. */
static inline void sync_busy_ns(uint64_t ns)
{
    uint64_t t0 = parker_now_ns();
    while (parker_now_ns() - t0 < ns) {
    }
}

/* A parker_waitgroup_wait on a thread of its own: its result (-1 until it
 * returns) and how long it took. */
struct wg_call {
    parker_waitgroup_t *w;
    uint64_t timeout_ns;
    atomic_int result;
    uint64_t elapsed_ns;
    pthread_t thread;
};

static inline void *wg_call_main(void *arg)
{
    struct wg_call *c = arg;
    uint64_t t0 = parker_now_ns();
    int r = parker_waitgroup_wait(c->w, c->timeout_ns);
    c->elapsed_ns = parker_now_ns() - t0;
    atomic_store(&c->result, r);
    return NULL;
}

/* The sync tests' name for the shared death test (tests/death.h). */
#define sync_expect_abort_with expect_abort_with

#endif /* PARKER_TESTS_SYNC_COMMON_H */
