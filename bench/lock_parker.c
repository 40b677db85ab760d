/*
 * lock_parker.c - libparker's sync objects (parker_sync.h) as lock
 * benchmark contenders.  Compiled with the futex copy of the library and its
 * rename header (see bench/CMakeLists.txt), so every parker_* name here is
 * that copy's.  Each object is only listed when the header declares it
 * (BENCH_PARKER_<OBJECT>, found by CMake), so the benchmark builds on trees
 * where the sync layer is partly or not at all there.
 */
#include "locks.h"

#include <stdlib.h>

#if defined(BENCH_HAVE_SYNC)
#  include <parker_sync.h>
#endif

#if defined(BENCH_PARKER_MUTEX)
static void *xm_create(void)
{
    return bench_padded_alloc(sizeof(parker_mutex_t)); /* all-zero is unlocked */
}
static void xm_lock(void *m)
{
    parker_mutex_lock((parker_mutex_t *)m);
}
static void xm_unlock(void *m)
{
    parker_mutex_unlock((parker_mutex_t *)m);
}
static void xm_loop(void *v, uint64_t n)
{
    parker_mutex_t *m = (parker_mutex_t *)v;
    uint64_t i;
    for (i = 0; i < n; i++) {
        parker_mutex_lock(m);
        parker_mutex_unlock(m);
    }
}
static void *xm_array_new(size_t n)
{
    return calloc(n, sizeof(parker_mutex_t)); /* all-zero is unlocked */
}
static void xm_array_free(void *a, size_t n)
{
    (void)n;
    free(a);
}
static const bench_mutex_ops parker_mutex_ops = {
    "parker_mutex", sizeof(parker_mutex_t), xm_create, bench_padded_free, xm_lock, xm_unlock,
    xm_loop, 0, xm_array_new, xm_array_free,
};
#endif

#if defined(BENCH_PARKER_MUTEX) && defined(BENCH_PARKER_COND)
struct xq {
    parker_mutex_t m;
    parker_cond_t not_empty, not_full;
    bench_ring r;
};
static void *xq_create(size_t cap)
{
    struct xq *q = (struct xq *)bench_padded_alloc(sizeof *q);
    if (q != NULL && bench_ring_init(&q->r, cap) != 0) {
        bench_padded_free(q);
        return NULL;
    }
    return q;
}
static void xq_destroy(void *v)
{
    bench_ring_fini(&((struct xq *)v)->r);
    bench_padded_free(v);
}
static void xq_put(void *v, uint64_t x)
{
    struct xq *q = (struct xq *)v;
    parker_mutex_lock(&q->m);
    while (q->r.len == q->r.cap)
        parker_cond_wait(&q->not_full, &q->m);
    bench_ring_push(&q->r, x);
    (void)parker_cond_signal(&q->not_empty);
    parker_mutex_unlock(&q->m);
}
static uint64_t xq_take(void *v)
{
    struct xq *q = (struct xq *)v;
    uint64_t x;
    parker_mutex_lock(&q->m);
    while (q->r.len == 0)
        parker_cond_wait(&q->not_empty, &q->m);
    x = bench_ring_pop(&q->r);
    (void)parker_cond_signal(&q->not_full);
    parker_mutex_unlock(&q->m);
    return x;
}
static const bench_queue_ops parker_queue_ops = {
    "parker_cond", sizeof(parker_cond_t), xq_create, xq_destroy, xq_put, xq_take,
};
#endif

#if defined(BENCH_PARKER_ONCE)
static parker_once_t xo_once;
static uint64_t xo_runs;
static int xo_init(void *arg)
{
    (void)arg;
    xo_runs++;
    return 0;
}
static uint64_t xo_loop(uint64_t n)
{
    uint64_t i, before = xo_runs;
    for (i = 0; i < n; i++)
        (void)parker_once(&xo_once, xo_init, NULL);
    return xo_runs - before;
}
static const bench_once_ops parker_once_ops = { "parker_once", sizeof(parker_once_t), xo_loop };
#endif

#if defined(BENCH_PARKER_RWLOCK)
static void *xr_create(void)
{
    return bench_padded_alloc(sizeof(parker_rwlock_t));
}
static void xr_rdlock(void *l)
{
    parker_rwlock_rdlock((parker_rwlock_t *)l);
}
static void xr_rdunlock(void *l)
{
    parker_rwlock_rdunlock((parker_rwlock_t *)l);
}
static void xr_wrlock(void *l)
{
    parker_rwlock_wrlock((parker_rwlock_t *)l);
}
static void xr_wrunlock(void *l)
{
    parker_rwlock_wrunlock((parker_rwlock_t *)l);
}
static const bench_rwlock_ops parker_rwlock_ops = {
    "parker_rwlock", sizeof(parker_rwlock_t), xr_create, bench_padded_free,
    xr_rdlock, xr_rdunlock, xr_wrlock, xr_wrunlock,
};
#endif

#if defined(BENCH_PARKER_SEM)
static void *xs_create(unsigned initial)
{
    parker_sem_t *s = (parker_sem_t *)bench_padded_alloc(sizeof *s);
    if (s != NULL && initial > 0)
        parker_sem_post(s, initial);
    return s;
}
static void xs_post(void *s)
{
    parker_sem_post((parker_sem_t *)s, 1);
}
static void xs_wait(void *s)
{
    parker_sem_wait((parker_sem_t *)s);
}
static const bench_sem_ops parker_sem_ops = {
    "parker_sem", sizeof(parker_sem_t), xs_create, bench_padded_free, xs_post, xs_wait,
};
#endif

#if defined(BENCH_PARKER_BARRIER)
static void *xb_create(unsigned count)
{
    parker_barrier_t *b = (parker_barrier_t *)bench_padded_alloc(sizeof *b);
    if (b != NULL && parker_barrier_init(b, count) != PARKER_OK) {
        bench_padded_free(b);
        return NULL;
    }
    return b;
}
static void xb_wait(void *b)
{
    (void)parker_barrier_wait((parker_barrier_t *)b);
}
static const bench_barrier_ops parker_barrier_ops = {
    "parker_barrier", sizeof(parker_barrier_t), xb_create, bench_padded_free, xb_wait,
};
#endif

const bench_mutex_ops *const bench_parker_mutexes[] = {
#if defined(BENCH_PARKER_MUTEX)
    &parker_mutex_ops,
#endif
    NULL,
};
const bench_queue_ops *const bench_parker_queues[] = {
#if defined(BENCH_PARKER_MUTEX) && defined(BENCH_PARKER_COND)
    &parker_queue_ops,
#endif
    NULL,
};
const bench_once_ops *const bench_parker_onces[] = {
#if defined(BENCH_PARKER_ONCE)
    &parker_once_ops,
#endif
    NULL,
};
const bench_rwlock_ops *const bench_parker_rwlocks[] = {
#if defined(BENCH_PARKER_RWLOCK)
    &parker_rwlock_ops,
#endif
    NULL,
};
const bench_sem_ops *const bench_parker_sems[] = {
#if defined(BENCH_PARKER_SEM)
    &parker_sem_ops,
#endif
    NULL,
};
const bench_barrier_ops *const bench_parker_barriers[] = {
#if defined(BENCH_PARKER_BARRIER)
    &parker_barrier_ops,
#endif
    NULL,
};

#if defined(BENCH_PARKER_MUTEX)
#  define SZ_MUTEX sizeof(parker_mutex_t)
#else
#  define SZ_MUTEX 0
#endif
#if defined(BENCH_PARKER_COND)
#  define SZ_COND sizeof(parker_cond_t)
#else
#  define SZ_COND 0
#endif
#if defined(BENCH_PARKER_ONCE)
#  define SZ_ONCE sizeof(parker_once_t)
#else
#  define SZ_ONCE 0
#endif
#if defined(BENCH_PARKER_EVENT)
#  define SZ_EVENT sizeof(parker_event_t)
#else
#  define SZ_EVENT 0
#endif
#if defined(BENCH_PARKER_RWLOCK)
#  define SZ_RWLOCK sizeof(parker_rwlock_t)
#else
#  define SZ_RWLOCK 0
#endif
#if defined(BENCH_PARKER_SEM)
#  define SZ_SEM sizeof(parker_sem_t)
#else
#  define SZ_SEM 0
#endif
#if defined(BENCH_PARKER_WAITGROUP)
#  define SZ_WG sizeof(parker_waitgroup_t)
#else
#  define SZ_WG 0
#endif
#if defined(BENCH_PARKER_BARRIER)
#  define SZ_BARRIER sizeof(parker_barrier_t)
#else
#  define SZ_BARRIER 0
#endif
const struct bench_parker_sizes bench_parker_sizes = {
    SZ_MUTEX, SZ_COND, SZ_ONCE, SZ_EVENT, SZ_RWLOCK, SZ_SEM, SZ_WG, SZ_BARRIER,
};
