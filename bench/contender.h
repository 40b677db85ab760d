/*
 * contender.h - what the benchmark needs from each parker it compares.
 *
 * Every contender is a one-token "parker" with an owner thread, whatever it is
 * built from (libparker, a raw futex, a condvar, a semaphore, C++20 waits,
 * Rust).  The harness (bench.c) only calls through this table, so blocking
 * measurements pay the same indirect call for everybody.  The fast-path
 * loops are provided by each contender in its own language and translation
 * unit, so that the ~10 ns paths are measured with direct (inlinable) calls,
 * as a user of that API would write them.
 */
#ifndef BENCH_CONTENDER_H
#define BENCH_CONTENDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_contender {
    const char *name;
    /* Called by the owner thread: a handle for its parker (freed by release
     * from the same thread). */
    void *(*self)(void);
    void (*release)(void *h);
    void (*park)(void *h);                         /* owner only */
    /* Returns 0 when a token was consumed, 1 on timeout.  NULL: this API
     * has no timed wait. */
    int (*park_timeout)(void *h, uint64_t timeout_ns);
    void (*unpark)(void *h);                       /* any thread */
    /* n times { unpark(h); park(h); } by the owner, with direct calls. */
    void (*fast_loop)(void *h, uint64_t n);
    /* n times unpark(h) by the owner while it is not parked (the token is
     * consumed once at the end). */
    void (*idle_loop)(void *h, uint64_t n);
    size_t size;          /* bytes of the per-parker object (0: unknown) */
    const char *note;     /* shown in the table's legend, may be NULL */
} bench_contender;

/* Optional extra rows for libparker builds: the lot ping-pong and the
 * example lock.  NULL members mean "not built". */
typedef struct bench_lock_ops {
    const char *name;
    void *(*create)(void);
    void (*destroy)(void *l);
    void (*lock)(void *l);
    void (*unlock)(void *l);
    size_t size;
} bench_lock_ops;

#ifdef __cplusplus
}
#endif

#endif /* BENCH_CONTENDER_H */
