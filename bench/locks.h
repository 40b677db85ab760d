/*
 * locks.h - what the lock benchmark (bench/locks.c) needs from each lock,
 * condition variable, semaphore, barrier and once it compares.
 *
 * Every object is created by its contender on storage of its own cache lines
 * (bench_padded_alloc: 128-byte aligned, a multiple of 128 bytes), so no two
 * contenders and no lock and its neighbour's data ever share a line.  The
 * harness calls through these tables, so the contended measurements pay the
 * same indirect call for everybody; the uncontended and once loops are
 * written in each contender's own translation unit with direct calls, as a
 * user of that API would write them.
 */
#ifndef BENCH_LOCKS_H
#define BENCH_LOCKS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_mutex_ops {
    const char *name;
    size_t size; /* bytes of the lock object itself */
    void *(*create)(void);
    void (*destroy)(void *m);
    void (*lock)(void *m);
    void (*unlock)(void *m);
    void (*loop)(void *m, uint64_t n); /* n x { lock; unlock } */
    int reference;                      /* 1: a reference, not a peer (TTAS) */
    /* Optional (NULL: not in the striped-map workload): n unlocked locks
     * packed at their natural size, `size` bytes apart, and their release. */
    void *(*array_new)(size_t n);
    void (*array_free)(void *a, size_t n);
} bench_mutex_ops;

typedef struct bench_rwlock_ops {
    const char *name;
    size_t size;
    void *(*create)(void);
    void (*destroy)(void *l);
    void (*rdlock)(void *l);
    void (*rdunlock)(void *l);
    void (*wrlock)(void *l);
    void (*wrunlock)(void *l);
} bench_rwlock_ops;

/* A bounded FIFO of uint64_t built from the contender's mutex and two
 * condition variables, the same protocol everywhere: put waits while full,
 * take waits while empty, and each signals the other side once, holding the
 * lock. */
typedef struct bench_queue_ops {
    const char *name;
    size_t cond_size; /* bytes of one condition variable */
    void *(*create)(size_t capacity);
    void (*destroy)(void *q);
    void (*put)(void *q, uint64_t v);
    uint64_t (*take)(void *q);
} bench_queue_ops;

typedef struct bench_sem_ops {
    const char *name;
    size_t size;
    void *(*create)(unsigned initial);
    void (*destroy)(void *s);
    void (*post)(void *s);
    void (*wait)(void *s);
} bench_sem_ops;

typedef struct bench_barrier_ops {
    const char *name;
    size_t size;
    void *(*create)(unsigned count);
    void (*destroy)(void *b);
    void (*wait)(void *b);
} bench_barrier_ops;

/* loop(n): n calls of the once on an object whose init already ran (the
 * first call of the first loop runs it); returns how many times init ran
 * in this loop, which must be 0 after the first. */
typedef struct bench_once_ops {
    const char *name;
    size_t size;
    uint64_t (*loop)(uint64_t n);
} bench_once_ops;

/* 128-byte aligned, size rounded up to 128, zero-filled. */
void *bench_padded_alloc(size_t size);
void bench_padded_free(void *p);

/* The ring of the C and C++ queues: the caller holds the lock. */
typedef struct bench_ring {
    uint64_t *buf;
    size_t cap, head, len;
} bench_ring;
int bench_ring_init(bench_ring *r, size_t cap);
void bench_ring_fini(bench_ring *r);
static inline void bench_ring_push(bench_ring *r, uint64_t v)
{
    r->buf[(r->head + r->len) % r->cap] = v;
    r->len++;
}
static inline uint64_t bench_ring_pop(bench_ring *r)
{
    uint64_t v = r->buf[r->head];
    r->head = (r->head + 1) % r->cap;
    r->len--;
    return v;
}

/* Each contender file exports NULL-terminated lists. */
extern const bench_mutex_ops *const bench_c_mutexes[];
extern const bench_rwlock_ops *const bench_c_rwlocks[];
extern const bench_queue_ops *const bench_c_queues[];
extern const bench_sem_ops *const bench_c_sems[];
extern const bench_barrier_ops *const bench_c_barriers[];
extern const bench_once_ops *const bench_c_onces[];

extern const bench_mutex_ops *const bench_cxx_mutexes[];
extern const bench_rwlock_ops *const bench_cxx_rwlocks[];
extern const bench_queue_ops *const bench_cxx_queues[];
extern const bench_sem_ops *const bench_cxx_sems[];
extern const bench_barrier_ops *const bench_cxx_barriers[];
extern const bench_once_ops *const bench_cxx_onces[];

extern const bench_mutex_ops *const bench_rust_mutexes[];
extern const bench_rwlock_ops *const bench_rust_rwlocks[];
extern const bench_queue_ops *const bench_rust_queues[];
extern const bench_once_ops *const bench_rust_onces[];

extern const bench_mutex_ops *const bench_parker_mutexes[];
extern const bench_rwlock_ops *const bench_parker_rwlocks[];
extern const bench_queue_ops *const bench_parker_queues[];
extern const bench_sem_ops *const bench_parker_sems[];
extern const bench_barrier_ops *const bench_parker_barriers[];
extern const bench_once_ops *const bench_parker_onces[];
/* Sizes of the libparker objects, for the size table (0 = not built). */
extern const struct bench_parker_sizes {
    size_t mutex, cond, once, event, rwlock, sem, waitgroup, barrier;
} bench_parker_sizes;

#ifdef __cplusplus
}
#endif

#endif /* BENCH_LOCKS_H */
