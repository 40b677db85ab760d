/*
 * sync_common.h - helpers for the tests of parker_sync.h: how many threads
 * the lot has queued on an address (so a test knows a waiter is really
 * parked, not about to park), bounded waiting, how slow the environment is,
 * and death tests for misuse.
 */
#ifndef PARKER_TESTS_SYNC_COMMON_H
#define PARKER_TESTS_SYNC_COMMON_H

#include "common.h"

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

#if !defined(_WIN32)
/* Run fn in a child with stderr captured; the child must die of SIGABRT and
 * its stderr must contain `message`. */
static inline void sync_expect_abort_with(void (*fn)(void), const char *message)
{
    int fds[2];
    pid_t pid;
    char buf[1024];
    size_t len = 0;
    ssize_t n;
    int status = 0;
    assert_int_equal(0, pipe(fds));
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        alarm(60);
        fn();
        _exit(0); /* not reached if the misuse was caught */
    }
    close(fds[1]);
    while (len < sizeof buf - 1 && (n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = 0;
    close(fds[0]);
    assert_int_equal(pid, waitpid(pid, &status, 0));
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
        fail_msg("misuse was not caught (status 0x%x, stderr \"%s\")", status, buf);
    if (strstr(buf, message) == NULL)
        fail_msg("abort message \"%s\" lacks \"%s\"", buf, message);
}
#endif

#endif /* PARKER_TESTS_SYNC_COMMON_H */
