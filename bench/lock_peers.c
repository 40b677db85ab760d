/*
 * lock_peers.c - the C contenders of the lock benchmark: pthreads (mutex,
 * rwlock, condvar, barrier, once), POSIX sem_t, a test-and-test-and-set
 * spinlock (a reference: the fastest possible uncontended lock and what pure
 * spinning does when threads outnumber cores) and Google's nsync (mu in
 * writer and reader mode, cv, once) when libnsync-dev is there.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "locks.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#if defined(BENCH_HAVE_NSYNC)
#  include <nsync.h>
#endif

void *bench_padded_alloc(size_t size)
{
    size_t n = (size + 127) / 128 * 128;
    void *p = aligned_alloc(128, n ? n : 128);
    if (p != NULL)
        memset(p, 0, n ? n : 128);
    return p;
}

void bench_padded_free(void *p)
{
    free(p);
}

int bench_ring_init(bench_ring *r, size_t cap)
{
    r->buf = (uint64_t *)calloc(cap, sizeof *r->buf);
    r->cap = cap;
    r->head = r->len = 0;
    return r->buf != NULL ? 0 : -1;
}

void bench_ring_fini(bench_ring *r)
{
    free(r->buf);
}

/* ---- pthread_mutex_t ----------------------------------------------------- */
static void *pm_create(void)
{
    pthread_mutex_t *m = (pthread_mutex_t *)bench_padded_alloc(sizeof *m);
    if (m != NULL)
        pthread_mutex_init(m, NULL);
    return m;
}
static void pm_destroy(void *m)
{
    pthread_mutex_destroy((pthread_mutex_t *)m);
    bench_padded_free(m);
}
static void pm_lock(void *m)
{
    pthread_mutex_lock((pthread_mutex_t *)m);
}
static void pm_unlock(void *m)
{
    pthread_mutex_unlock((pthread_mutex_t *)m);
}
static void pm_loop(void *v, uint64_t n)
{
    pthread_mutex_t *m = (pthread_mutex_t *)v;
    uint64_t i;
    for (i = 0; i < n; i++) {
        pthread_mutex_lock(m);
        pthread_mutex_unlock(m);
    }
}
static void *pm_array_new(size_t n)
{
    pthread_mutex_t *a = (pthread_mutex_t *)malloc(n * sizeof *a);
    size_t i;
    for (i = 0; a != NULL && i < n; i++)
        pthread_mutex_init(&a[i], NULL);
    return a;
}
static void pm_array_free(void *v, size_t n)
{
    pthread_mutex_t *a = (pthread_mutex_t *)v;
    size_t i;
    for (i = 0; i < n; i++)
        pthread_mutex_destroy(&a[i]);
    free(a);
}
static const bench_mutex_ops pthread_mutex_ops = {
    "pthread_mutex_t", sizeof(pthread_mutex_t), pm_create, pm_destroy, pm_lock, pm_unlock,
    pm_loop, 0, pm_array_new, pm_array_free,
};

/* ---- TTAS spinlock (reference) -------------------------------------------
 * Read until free, then exchange; pause between reads; never sleeps. */
static inline void ttas_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}
static void *ttas_create(void)
{
    return bench_padded_alloc(1);
}
static inline void ttas_lock_inl(unsigned char *l)
{
    for (;;) {
        if (!__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
            return;
        while (__atomic_load_n(l, __ATOMIC_RELAXED))
            ttas_pause();
    }
}
static inline void ttas_unlock_inl(unsigned char *l)
{
    __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}
static void ttas_lock(void *l)
{
    ttas_lock_inl((unsigned char *)l);
}
static void ttas_unlock(void *l)
{
    ttas_unlock_inl((unsigned char *)l);
}
static void ttas_loop(void *v, uint64_t n)
{
    unsigned char *l = (unsigned char *)v;
    uint64_t i;
    for (i = 0; i < n; i++) {
        ttas_lock_inl(l);
        ttas_unlock_inl(l);
    }
}
static void *ttas_array_new(size_t n)
{
    return calloc(n, 1);
}
static void ttas_array_free(void *a, size_t n)
{
    (void)n;
    free(a);
}
static const bench_mutex_ops ttas_ops = {
    "ttas_spinlock", 1, ttas_create, bench_padded_free, ttas_lock, ttas_unlock, ttas_loop, 1,
    ttas_array_new, ttas_array_free,
};

/* ---- pthread_rwlock_t (glibc's default: prefers readers) ------------------ */
static void *prw_create(void)
{
    pthread_rwlock_t *l = (pthread_rwlock_t *)bench_padded_alloc(sizeof *l);
    if (l != NULL)
        pthread_rwlock_init(l, NULL);
    return l;
}
static void prw_destroy(void *l)
{
    pthread_rwlock_destroy((pthread_rwlock_t *)l);
    bench_padded_free(l);
}
static void prw_rdlock(void *l)
{
    pthread_rwlock_rdlock((pthread_rwlock_t *)l);
}
static void prw_wrlock(void *l)
{
    pthread_rwlock_wrlock((pthread_rwlock_t *)l);
}
static void prw_unlock(void *l)
{
    pthread_rwlock_unlock((pthread_rwlock_t *)l);
}
static const bench_rwlock_ops pthread_rwlock_ops = {
    "pthread_rwlock_t", sizeof(pthread_rwlock_t), prw_create, prw_destroy,
    prw_rdlock, prw_unlock, prw_wrlock, prw_unlock,
};

/* ---- pthread_cond_t queue ------------------------------------------------ */
struct pq {
    pthread_mutex_t m;
    pthread_cond_t not_empty, not_full;
    bench_ring r;
};
static void *pq_create(size_t cap)
{
    struct pq *q = (struct pq *)bench_padded_alloc(sizeof *q);
    if (q == NULL)
        return NULL;
    pthread_mutex_init(&q->m, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    if (bench_ring_init(&q->r, cap) != 0) {
        bench_padded_free(q);
        return NULL;
    }
    return q;
}
static void pq_destroy(void *v)
{
    struct pq *q = (struct pq *)v;
    bench_ring_fini(&q->r);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    pthread_mutex_destroy(&q->m);
    bench_padded_free(q);
}
static void pq_put(void *v, uint64_t x)
{
    struct pq *q = (struct pq *)v;
    pthread_mutex_lock(&q->m);
    while (q->r.len == q->r.cap)
        pthread_cond_wait(&q->not_full, &q->m);
    bench_ring_push(&q->r, x);
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->m);
}
static uint64_t pq_take(void *v)
{
    struct pq *q = (struct pq *)v;
    uint64_t x;
    pthread_mutex_lock(&q->m);
    while (q->r.len == 0)
        pthread_cond_wait(&q->not_empty, &q->m);
    x = bench_ring_pop(&q->r);
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->m);
    return x;
}
static const bench_queue_ops pthread_queue_ops = {
    "pthread_cond_t", sizeof(pthread_cond_t), pq_create, pq_destroy, pq_put, pq_take,
};

/* ---- sem_t ----------------------------------------------------------------- */
static void *ps_create(unsigned initial)
{
    sem_t *s = (sem_t *)bench_padded_alloc(sizeof *s);
    if (s != NULL)
        sem_init(s, 0, initial);
    return s;
}
static void ps_destroy(void *s)
{
    sem_destroy((sem_t *)s);
    bench_padded_free(s);
}
static void ps_post(void *s)
{
    sem_post((sem_t *)s);
}
static void ps_wait(void *s)
{
    while (sem_wait((sem_t *)s) != 0 && errno == EINTR) {
    }
}
static const bench_sem_ops sem_ops = {
    "sem_t", sizeof(sem_t), ps_create, ps_destroy, ps_post, ps_wait,
};

/* ---- pthread_barrier_t ------------------------------------------------------ */
static void *pb_create(unsigned count)
{
    pthread_barrier_t *b = (pthread_barrier_t *)bench_padded_alloc(sizeof *b);
    if (b != NULL)
        pthread_barrier_init(b, NULL, count);
    return b;
}
static void pb_destroy(void *b)
{
    pthread_barrier_destroy((pthread_barrier_t *)b);
    bench_padded_free(b);
}
static void pb_wait(void *b)
{
    (void)pthread_barrier_wait((pthread_barrier_t *)b);
}
static const bench_barrier_ops pthread_barrier_ops = {
    "pthread_barrier_t", sizeof(pthread_barrier_t), pb_create, pb_destroy, pb_wait,
};

/* ---- pthread_once ------------------------------------------------------------ */
static pthread_once_t po_once = PTHREAD_ONCE_INIT;
static uint64_t po_runs;
static void po_init(void)
{
    po_runs++;
}
static uint64_t po_loop(uint64_t n)
{
    uint64_t i, before = po_runs;
    for (i = 0; i < n; i++)
        pthread_once(&po_once, po_init);
    return po_runs - before;
}
static const bench_once_ops pthread_once_ops = { "pthread_once", sizeof(pthread_once_t), po_loop };

/* ---- nsync -------------------------------------------------------------------- */
#if defined(BENCH_HAVE_NSYNC)
static void *nm_create(void)
{
    return bench_padded_alloc(sizeof(nsync_mu)); /* zero is NSYNC_MU_INIT */
}
static void nm_lock(void *m)
{
    nsync_mu_lock((nsync_mu *)m);
}
static void nm_unlock(void *m)
{
    nsync_mu_unlock((nsync_mu *)m);
}
static void nm_rlock(void *m)
{
    nsync_mu_rlock((nsync_mu *)m);
}
static void nm_runlock(void *m)
{
    nsync_mu_runlock((nsync_mu *)m);
}
static void nm_loop(void *v, uint64_t n)
{
    nsync_mu *m = (nsync_mu *)v;
    uint64_t i;
    for (i = 0; i < n; i++) {
        nsync_mu_lock(m);
        nsync_mu_unlock(m);
    }
}
static const bench_mutex_ops nsync_mutex_ops = {
    "nsync_mu", sizeof(nsync_mu), nm_create, bench_padded_free, nm_lock, nm_unlock, nm_loop, 0,
    NULL, NULL,
};
static const bench_rwlock_ops nsync_rwlock_ops = {
    "nsync_mu", sizeof(nsync_mu), nm_create, bench_padded_free, nm_rlock, nm_runlock,
    nm_lock, nm_unlock,
};

struct nq {
    nsync_mu m;
    nsync_cv not_empty, not_full;
    bench_ring r;
};
static void *nq_create(size_t cap)
{
    struct nq *q = (struct nq *)bench_padded_alloc(sizeof *q);
    if (q != NULL && bench_ring_init(&q->r, cap) != 0) {
        bench_padded_free(q);
        return NULL;
    }
    return q;
}
static void nq_destroy(void *v)
{
    bench_ring_fini(&((struct nq *)v)->r);
    bench_padded_free(v);
}
static void nq_put(void *v, uint64_t x)
{
    struct nq *q = (struct nq *)v;
    nsync_mu_lock(&q->m);
    while (q->r.len == q->r.cap)
        nsync_cv_wait(&q->not_full, &q->m);
    bench_ring_push(&q->r, x);
    nsync_cv_signal(&q->not_empty);
    nsync_mu_unlock(&q->m);
}
static uint64_t nq_take(void *v)
{
    struct nq *q = (struct nq *)v;
    uint64_t x;
    nsync_mu_lock(&q->m);
    while (q->r.len == 0)
        nsync_cv_wait(&q->not_empty, &q->m);
    x = bench_ring_pop(&q->r);
    nsync_cv_signal(&q->not_full);
    nsync_mu_unlock(&q->m);
    return x;
}
static const bench_queue_ops nsync_queue_ops = {
    "nsync_cv", sizeof(nsync_cv), nq_create, nq_destroy, nq_put, nq_take,
};

static nsync_once no_once = NSYNC_ONCE_INIT;
static uint64_t no_runs;
static void no_init(void)
{
    no_runs++;
}
static uint64_t no_loop(uint64_t n)
{
    uint64_t i, before = no_runs;
    for (i = 0; i < n; i++)
        nsync_run_once(&no_once, no_init);
    return no_runs - before;
}
static const bench_once_ops nsync_once_ops = { "nsync_once", sizeof(nsync_once), no_loop };
#endif

const bench_mutex_ops *const bench_c_mutexes[] = {
    &pthread_mutex_ops,
#if defined(BENCH_HAVE_NSYNC)
    &nsync_mutex_ops,
#endif
    &ttas_ops, NULL,
};
const bench_rwlock_ops *const bench_c_rwlocks[] = {
    &pthread_rwlock_ops,
#if defined(BENCH_HAVE_NSYNC)
    &nsync_rwlock_ops,
#endif
    NULL,
};
const bench_queue_ops *const bench_c_queues[] = {
    &pthread_queue_ops,
#if defined(BENCH_HAVE_NSYNC)
    &nsync_queue_ops,
#endif
    NULL,
};
const bench_sem_ops *const bench_c_sems[] = { &sem_ops, NULL };
const bench_barrier_ops *const bench_c_barriers[] = { &pthread_barrier_ops, NULL };
const bench_once_ops *const bench_c_onces[] = {
    &pthread_once_ops,
#if defined(BENCH_HAVE_NSYNC)
    &nsync_once_ops,
#endif
    NULL,
};
