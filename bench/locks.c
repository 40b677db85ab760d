/*
 * locks.c - libparker's sync objects against their peers, all in one process:
 * mutexes, condition variables (a bounded producer/consumer queue), once,
 * reader-writer locks, semaphores and barriers.
 *
 * Modelled on WebKit's LockSpeedTest and parking_lot's benchmark mutex.rs:
 * threads loop { lock; work inside; unlock; work between } on one lock for a
 * fixed time, over a grid of thread counts and work amounts, and the harness
 * reports throughput, how evenly the acquisitions were shared (Jain's
 * fairness index over the per-thread counts: 1 = all equal, 1/n = one
 * thread got everything) and acquire latency (p99 and max).
 *
 * The VM this runs on (2 vCPUs, shared) changes speed by several times within
 * minutes, so, as in bench.c: every contender runs in the same process,
 * repetitions are interleaved (repetition 1 of every cell and contender,
 * then repetition 2, ... with the contender order rotated), each table cell
 * is the median of the repetitions with [min-max] beside it, and ratios are
 * taken between medians of the same run.  With 64 threads on 2 cores most
 * threads are asleep or preempted at any time; that is part of what the
 * grid measures (a lock whose holder is preempted).
 *
 * Latency is sampled: every 8th acquisition of each thread is timed (two
 * clock reads cost ~50 ns, which would otherwise land inside the critical
 * section of every acquisition), so p99 and max are over those samples.
 * The hog workload times every acquisition of its occasional threads.
 *
 *   parker_locks [--quick] [--only mutex|map|queue|pool|rw|sem|barrier] [--reps N] [--csv FILE] [--datdir DIR]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "locks.h"
#define BENCH_PROG "parker_locks"
#include "util.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define INC(p) __atomic_fetch_add((p), 1, __ATOMIC_ACQ_REL)
#define MAXREPS 32
#define MAXC 16

/* ---- helpers ------------------------------------------------------------- */
static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Busy work that the compiler cannot remove, calibrated to nanoseconds. */
static double iters_per_ns = 1.0;
static uint64_t work_sink;
static inline void work(uint64_t iters)
{
    uint64_t i, x = 0;
    for (i = 0; i < iters; i++) {
        x += i;
        __asm__ volatile("" : "+r"(x));
    }
    if (x == 1)
        work_sink++;
}
static uint64_t iters_for(unsigned ns)
{
    return (uint64_t)(ns * iters_per_ns + 0.5);
}
static void calibrate(void)
{
    double v[5];
    int k;
    for (k = 0; k < 5; k++) {
        uint64_t n = 20000000, t0 = now_ns();
        work(n);
        v[k] = (double)n / (double)(now_ns() - t0);
    }
    qsort(v, 5, sizeof v[0], cmp_double);
    iters_per_ns = v[2];
}

static struct {
    uint64_t grid_ns, hog_ns, rw_ns, pc_ns, sem_ns;
    unsigned barrier_phases;
    uint64_t loop_n;
    unsigned loop_bursts;
} cfg = { 60000000u, 250000000u, 60000000u, 80000000u, 80000000u, 3000, 1000000u, 8 };
static int reps = 5;
static const char *only; /* --only GROUP: mutex, map, queue, pool, rw, sem or barrier; NULL: all */
static int want(const char *group)
{
    return only == NULL || strcmp(only, group) == 0;
}

/* ---- contenders ------------------------------------------------------------ */
#define GATHER(type, out, n, ...)                                                  \
    do {                                                                           \
        const type *const *lists_[] = { __VA_ARGS__ };                             \
        size_t li_, k_;                                                            \
        for (li_ = 0; li_ < sizeof lists_ / sizeof lists_[0]; li_++)               \
            for (k_ = 0; lists_[li_][k_] != NULL; k_++)                            \
                if ((n) < MAXC)                                                    \
                    (out)[(n)++] = lists_[li_][k_];                                \
    } while (0)

static const bench_mutex_ops *mutexes[MAXC];
static const bench_rwlock_ops *rwlocks[MAXC];
static const bench_queue_ops *queues[MAXC];
static const bench_sem_ops *sems[MAXC];
static const bench_barrier_ops *barriers[MAXC];
static const bench_once_ops *onces[MAXC];
static size_t nmutex, nrw, nqueue, nsem, nbarrier, nonce;

static void gather(void)
{
    GATHER(bench_mutex_ops, mutexes, nmutex, bench_parker_mutexes, bench_c_mutexes,
           bench_cxx_mutexes, bench_rust_mutexes);
    GATHER(bench_rwlock_ops, rwlocks, nrw, bench_parker_rwlocks, bench_c_rwlocks,
           bench_cxx_rwlocks, bench_rust_rwlocks);
    GATHER(bench_queue_ops, queues, nqueue, bench_parker_queues, bench_c_queues,
           bench_cxx_queues, bench_rust_queues);
    GATHER(bench_sem_ops, sems, nsem, bench_parker_sems, bench_c_sems, bench_cxx_sems);
    GATHER(bench_barrier_ops, barriers, nbarrier, bench_parker_barriers, bench_c_barriers,
           bench_cxx_barriers);
    GATHER(bench_once_ops, onces, nonce, bench_parker_onces, bench_c_onces, bench_cxx_onces,
           bench_rust_onces);
}

/* The contenders of a section in their list order (libparker first). */
static size_t names_for(const char *section, const char **out)
{
    size_t i, n = 0;
    if (!strcmp(section, "uncontended") || !strcmp(section, "mutex") || !strcmp(section, "hog") ||
        !strcmp(section, "map"))
        for (i = 0; i < nmutex; i++)
            out[n++] = mutexes[i]->name;
    else if (!strcmp(section, "condvar") || !strcmp(section, "pool"))
        for (i = 0; i < nqueue; i++)
            out[n++] = queues[i]->name;
    else if (!strcmp(section, "once"))
        for (i = 0; i < nonce; i++)
            out[n++] = onces[i]->name;
    else if (!strcmp(section, "rwlock"))
        for (i = 0; i < nrw; i++)
            out[n++] = rwlocks[i]->name;
    else if (!strcmp(section, "semaphore"))
        for (i = 0; i < nsem; i++)
            out[n++] = sems[i]->name;
    else if (!strcmp(section, "barrier"))
        for (i = 0; i < nbarrier; i++)
            out[n++] = barriers[i]->name;
    return n;
}

/* ---- results ------------------------------------------------------------------
 * One record per (section, workload, contender, metric), a value per
 * repetition, kept in insertion order for the report. */
struct rec {
    char section[24], workload[40], contender[32], metric[24], unit[16];
    double v[MAXREPS];
};
static struct rec *recs;
static size_t nrecs, caprecs;

static struct rec *find_rec(const char *s, const char *w, const char *c, const char *m)
{
    size_t i;
    for (i = 0; i < nrecs; i++)
        if (!strcmp(recs[i].section, s) && !strcmp(recs[i].workload, w) &&
            !strcmp(recs[i].contender, c) && !strcmp(recs[i].metric, m))
            return &recs[i];
    return NULL;
}

static void put(const char *s, const char *w, const char *c, const char *m, const char *unit,
                int rep, double v)
{
    struct rec *r = find_rec(s, w, c, m);
    if (r == NULL) {
        int k;
        if (nrecs == caprecs) {
            caprecs = caprecs ? 2 * caprecs : 256;
            recs = (struct rec *)realloc(recs, caprecs * sizeof *recs);
            if (recs == NULL)
                die("out of memory");
        }
        r = &recs[nrecs++];
        memset(r, 0, sizeof *r);
        snprintf(r->section, sizeof r->section, "%s", s);
        snprintf(r->workload, sizeof r->workload, "%s", w);
        snprintf(r->contender, sizeof r->contender, "%s", c);
        snprintf(r->metric, sizeof r->metric, "%s", m);
        snprintf(r->unit, sizeof r->unit, "%s", unit);
        for (k = 0; k < MAXREPS; k++)
            r->v[k] = NAN;
    }
    r->v[rep] = v;
}

/* median, min, max over the repetitions (NaN if none) */
static void stats(const struct rec *r, double *med, double *mn, double *mx)
{
    double s[MAXREPS];
    int k, n = 0;
    for (k = 0; k < reps; k++)
        if (!isnan(r->v[k]))
            s[n++] = r->v[k];
    if (n == 0) {
        *med = *mn = *mx = NAN;
        return;
    }
    qsort(s, (size_t)n, sizeof s[0], cmp_double);
    *med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    *mn = s[0];
    *mx = s[n - 1];
}

static double med_of(const char *s, const char *w, const char *c, const char *m)
{
    const struct rec *r = find_rec(s, w, c, m);
    double md, mn, mx;
    if (r == NULL)
        return NAN;
    stats(r, &md, &mn, &mx);
    return md;
}

static char *fmtw(char *buf, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, n, f, ap);
    va_end(ap);
    return buf;
}

/* ---- latency samples ---------------------------------------------------------- */
struct lat {
    uint32_t *v;
    size_t n, cap;
    uint64_t max;
};
static void lat_add(struct lat *l, uint64_t ns)
{
    if (ns > l->max)
        l->max = ns;
    if (l->n < l->cap)
        l->v[l->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}
/* p99 over the union of several threads' samples. */
static double lat_p99(struct lat *ls, size_t nl)
{
    size_t i, total = 0, k = 0;
    uint32_t *all;
    double p;
    for (i = 0; i < nl; i++)
        total += ls[i].n;
    if (total == 0)
        return NAN;
    all = (uint32_t *)malloc(total * sizeof *all);
    if (all == NULL)
        die("out of memory");
    for (i = 0; i < nl; i++) {
        memcpy(all + k, ls[i].v, ls[i].n * sizeof *all);
        k += ls[i].n;
    }
    qsort(all, total, sizeof *all, cmp_u32);
    p = all[(size_t)((double)(total - 1) * 0.99)];
    free(all);
    return p;
}
static uint64_t lat_max(struct lat *ls, size_t nl)
{
    uint64_t m = 0;
    size_t i;
    for (i = 0; i < nl; i++)
        if (ls[i].max > m)
            m = ls[i].max;
    return m;
}

#define MAXT 64
#define LAT_CAP (1u << 16)
static uint32_t *lat_pool; /* MAXT * LAT_CAP */

static void lat_reset(struct lat *l, size_t idx)
{
    l->v = lat_pool + idx * LAT_CAP;
    l->n = 0;
    l->cap = LAT_CAP;
    l->max = 0;
}

static double jain(const uint64_t *x, size_t n)
{
    double s = 0, s2 = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        s += (double)x[i];
        s2 += (double)x[i] * (double)x[i];
    }
    return s2 > 0 ? s * s / ((double)n * s2) : NAN;
}

/* ---- a timed run of n threads --------------------------------------------------- */
struct run {
    unsigned n;
    unsigned ready;
    int go, stop;
    uint64_t counter; /* protected by the lock under test */
    void *obj;
    const void *ops;
    uint64_t in_iters, out_iters;
    unsigned param; /* workload-specific */
    uint64_t count[MAXT];
    struct lat lat[MAXT];
    struct lat wlat[MAXT]; /* rwlock: writers */
};
struct targ {
    struct run *r;
    unsigned idx;
};

static void wait_go(struct run *r)
{
    INC(&r->ready);
    while (!LOAD(&r->go))
        sched_yield();
}

/* Start n threads of fn, let them run for ns, stop them; returns the
 * measured seconds (go to stop). */
static double timed_run(struct run *r, void *(*fn)(void *), unsigned n, uint64_t ns)
{
    pthread_t t[MAXT];
    struct targ a[MAXT];
    unsigned i;
    uint64_t t0, t1;
    r->n = n;
    for (i = 0; i < n; i++) {
        a[i].r = r;
        a[i].idx = i;
        lat_reset(&r->lat[i], i);
        r->wlat[i].v = NULL;
        r->wlat[i].n = r->wlat[i].cap = 0;
        r->wlat[i].max = 0;
        t[i] = spawn(fn, &a[i]);
    }
    while (LOAD(&r->ready) != n)
        sleep_ns(100000);
    t0 = now_ns();
    STORE(&r->go, 1);
    sleep_ns(ns);
    STORE(&r->stop, 1);
    t1 = now_ns();
    for (i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return (double)(t1 - t0) / 1e9;
}

/* ---- mutex: uncontended ----------------------------------------------------------- */
static double mutex_uncontended(const bench_mutex_ops *ops)
{
    void *m = ops->create();
    double v[64];
    unsigned b, nb = cfg.loop_bursts < 64 ? cfg.loop_bursts : 64;
    if (m == NULL)
        die("out of memory");
    ops->loop(m, cfg.loop_n / 10);
    for (b = 0; b < nb; b++) {
        uint64_t t0 = cpu_ns();
        ops->loop(m, cfg.loop_n);
        v[b] = (double)(cpu_ns() - t0) / (double)cfg.loop_n;
    }
    ops->destroy(m);
    qsort(v, nb, sizeof v[0], cmp_double);
    return v[nb / 2];
}

/* ---- mutex: the grid --------------------------------------------------------------- */
static void *mutex_thread(void *arg)
{
    struct targ *a = (struct targ *)arg;
    struct run *r = a->r;
    const bench_mutex_ops *ops = (const bench_mutex_ops *)r->ops;
    struct lat *l = &r->lat[a->idx];
    uint64_t i = 0;
    wait_go(r);
    while (!LOAD(&r->stop)) {
        if ((i & 7) == 0) {
            uint64_t t0 = now_ns();
            ops->lock(r->obj);
            lat_add(l, now_ns() - t0);
        } else {
            ops->lock(r->obj);
        }
        r->counter++;
        work(r->in_iters);
        ops->unlock(r->obj);
        work(r->out_iters);
        i++;
    }
    r->count[a->idx] = i;
    return NULL;
}

static const unsigned grid_threads[] = { 1, 2, 4, 8, 16, 64 };
static const unsigned grid_in[] = { 0, 100, 1000 };
static const unsigned grid_out[] = { 0, 1000 };
#define NGT (sizeof grid_threads / sizeof grid_threads[0])
#define NGI (sizeof grid_in / sizeof grid_in[0])
#define NGO (sizeof grid_out / sizeof grid_out[0])

static void grid_label(char *b, size_t n, unsigned t, unsigned in, unsigned out)
{
    fmtw(b, n, "t=%u in=%uns out=%uns", t, in, out);
}

static void mutex_grid_cell(const bench_mutex_ops *ops, unsigned t, unsigned in, unsigned out,
                            int rep)
{
    struct run *r = (struct run *)calloc(1, sizeof *r);
    char w[40];
    uint64_t total = 0;
    unsigned i;
    double secs;
    if (r == NULL)
        die("out of memory");
    r->ops = ops;
    r->obj = ops->create();
    r->in_iters = iters_for(in);
    r->out_iters = iters_for(out);
    secs = timed_run(r, mutex_thread, t, cfg.grid_ns);
    for (i = 0; i < t; i++)
        total += r->count[i];
    if (total != r->counter)
        die("a mutex lost an update: mutual exclusion broken");
    grid_label(w, sizeof w, t, in, out);
    put("mutex", w, ops->name, "Mops/s", "Mops/s", rep, (double)total / secs / 1e6);
    put("mutex", w, ops->name, "jain", "index", rep, t > 1 ? jain(r->count, t) : 1.0);
    put("mutex", w, ops->name, "p99_us", "us", rep, lat_p99(r->lat, t) / 1e3);
    put("mutex", w, ops->name, "max_us", "us", rep, (double)lat_max(r->lat, t) / 1e3);
    ops->destroy(r->obj);
    free(r);
}

/* ---- mutex: the hog ------------------------------------------------------------------
 * Thread 0 loops lock / tiny work / unlock with nothing between; threads 1..3
 * sleep ~200 us, then take the lock once and time how long that took.  A
 * lock that lets a running thread barge forever starves them. */
#define HOG_WAITERS 3
static void *hog_thread(void *arg)
{
    struct targ *a = (struct targ *)arg;
    struct run *r = a->r;
    const bench_mutex_ops *ops = (const bench_mutex_ops *)r->ops;
    uint64_t i = 0;
    wait_go(r);
    if (a->idx == 0) {
        while (!LOAD(&r->stop)) {
            ops->lock(r->obj);
            r->counter++;
            work(r->in_iters);
            ops->unlock(r->obj);
            i++;
        }
    } else {
        while (!LOAD(&r->stop)) {
            uint64_t t0;
            sleep_ns(200000);
            t0 = now_ns();
            ops->lock(r->obj);
            lat_add(&r->lat[a->idx], now_ns() - t0);
            r->counter++;
            ops->unlock(r->obj);
            i++;
        }
    }
    r->count[a->idx] = i;
    return NULL;
}

static void mutex_hog(const bench_mutex_ops *ops, int rep)
{
    struct run *r = (struct run *)calloc(1, sizeof *r);
    double secs;
    if (r == NULL)
        die("out of memory");
    r->ops = ops;
    r->obj = ops->create();
    r->in_iters = iters_for(20);
    secs = timed_run(r, hog_thread, 1 + HOG_WAITERS, cfg.hog_ns);
    put("hog", "1 hog + 3 occasional", ops->name, "worst_us", "us", rep,
        (double)lat_max(&r->lat[1], HOG_WAITERS) / 1e3);
    put("hog", "1 hog + 3 occasional", ops->name, "p99_us", "us", rep,
        lat_p99(&r->lat[1], HOG_WAITERS) / 1e3);
    put("hog", "1 hog + 3 occasional", ops->name, "hog_Mops/s", "Mops/s", rep,
        (double)r->count[0] / secs / 1e6);
    put("hog", "1 hog + 3 occasional", ops->name, "waiter_acq/s", "1/s", rep,
        (double)(r->count[1] + r->count[2] + r->count[3]) / secs);
    ops->destroy(r->obj);
    free(r);
}

/* ---- striped hash map: 4096 locks at their natural size ----------------------------------
 * 1M keys in a flat table, key k guarded by lock k % 4096; 90% get, 10% put.
 * Contention is low (4096 stripes), so what differs between contenders is
 * the cost of the lock itself and the cache footprint of the lock array:
 * 4 KiB of 1-byte locks against 160 KiB of pthread_mutex_t. */
#define MAP_STRIPES 4096u
#define MAP_KEYS (1u << 20)
static uint64_t *map_vals;
static uint64_t map_sink;

static void *map_thread(void *arg)
{
    struct targ *a = (struct targ *)arg;
    struct run *r = a->r;
    const bench_mutex_ops *ops = (const bench_mutex_ops *)r->ops;
    char *locks = (char *)r->obj;
    uint64_t i = 0, sum = 0, rng = 0x9e3779b97f4a7c15ull * (a->idx + 1);
    wait_go(r);
    while (!LOAD(&r->stop)) {
        unsigned j;
        for (j = 0; j < 64; j++, i++) {
            uint32_t key;
            void *l;
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            key = (uint32_t)rng & (MAP_KEYS - 1);
            l = locks + (size_t)(key % MAP_STRIPES) * ops->size;
            ops->lock(l);
            if ((rng >> 40) % 10 == 0)
                map_vals[key] = rng;
            else
                sum += map_vals[key];
            ops->unlock(l);
        }
    }
    r->count[a->idx] = i;
    __atomic_fetch_add(&map_sink, sum, __ATOMIC_RELAXED);
    return NULL;
}

static void map_cell(const bench_mutex_ops *ops, unsigned t, int rep)
{
    struct run *r = (struct run *)calloc(1, sizeof *r);
    uint64_t total = 0;
    unsigned i;
    double secs;
    char w[40];
    if (r == NULL)
        die("out of memory");
    if (map_vals == NULL) {
        /* Written once here, so the first contender does not pay the
         * table's page faults. */
        map_vals = (uint64_t *)malloc(MAP_KEYS * sizeof *map_vals);
        if (map_vals == NULL)
            die("out of memory");
        memset(map_vals, 0x5a, MAP_KEYS * sizeof *map_vals);
    }
    r->ops = ops;
    r->obj = ops->array_new(MAP_STRIPES);
    if (r->obj == NULL)
        die("out of memory");
    secs = timed_run(r, map_thread, t, cfg.grid_ns);
    for (i = 0; i < t; i++)
        total += r->count[i];
    fmtw(w, sizeof w, "t=%u", t);
    put("map", w, ops->name, "Mops/s", "Mops/s", rep, (double)total / secs / 1e6);
    ops->array_free(r->obj, MAP_STRIPES);
    free(r);
}

/* ---- condvar: bounded producer/consumer ---------------------------------------------- */
#define QCAP 16
#define POISON UINT64_MAX
static void *queue_thread(void *arg)
{
    struct targ *a = (struct targ *)arg;
    struct run *r = a->r;
    const bench_queue_ops *ops = (const bench_queue_ops *)r->ops;
    uint64_t i = 0;
    unsigned producers = r->param;
    wait_go(r);
    if (a->idx < producers) {
        while (!LOAD(&r->stop))
            ops->put(r->obj, i++);
    } else {
        /* out_iters: a thread pool's task, run outside the lock (0 for the
         * plain queue) */
        while (ops->take(r->obj) != POISON) {
            work(r->out_iters);
            i++;
        }
    }
    r->count[a->idx] = i;
    return NULL;
}

/* p producers and c consumers on one bounded queue; c consumers running a
 * task of task_ns after each take make it the thread-pool workload. */
static void queue_cell(const bench_queue_ops *ops, unsigned p, unsigned c, unsigned task_ns,
                       int rep)
{
    struct run *r = (struct run *)calloc(1, sizeof *r);
    pthread_t t[MAXT];
    struct targ a[MAXT];
    unsigned i, n = p + c;
    uint64_t t0, t1, produced = 0, consumed = 0;
    char w[40];
    if (r == NULL)
        die("out of memory");
    r->ops = ops;
    r->param = p;
    r->out_iters = iters_for(task_ns);
    r->obj = ops->create(QCAP);
    if (r->obj == NULL)
        die("out of memory");
    r->n = n;
    for (i = 0; i < n; i++) {
        a[i].r = r;
        a[i].idx = i;
        t[i] = spawn(queue_thread, &a[i]);
    }
    while (LOAD(&r->ready) != n)
        sleep_ns(100000);
    t0 = now_ns();
    STORE(&r->go, 1);
    sleep_ns(cfg.pc_ns);
    STORE(&r->stop, 1);
    t1 = now_ns();
    for (i = 0; i < p; i++)
        pthread_join(t[i], NULL);
    for (i = p; i < n; i++)
        ops->put(r->obj, POISON); /* one per consumer */
    for (i = p; i < n; i++)
        pthread_join(t[i], NULL);
    for (i = 0; i < p; i++)
        produced += r->count[i];
    for (i = p; i < n; i++)
        consumed += r->count[i];
    if (produced != consumed)
        die("a queue lost or duplicated an item");
    if (task_ns == 0) {
        fmtw(w, sizeof w, "%up%uc cap=%u", p, c, QCAP);
        put("condvar", w, ops->name, "Mitems/s", "Mitems/s", rep,
            (double)produced / ((double)(t1 - t0) / 1e9) / 1e6);
    } else {
        fmtw(w, sizeof w, "%up %uw %uns/task", p, c, task_ns);
        put("pool", w, ops->name, "Mtasks/s", "Mtasks/s", rep,
            (double)produced / ((double)(t1 - t0) / 1e9) / 1e6);
    }
    ops->destroy(r->obj);
    free(r);
}

/* ---- rwlock ------------------------------------------------------------------------------ */
static void *rw_thread(void *arg)
{
    struct targ *a = (struct targ *)arg;
    struct run *r = a->r;
    const bench_rwlock_ops *ops = (const bench_rwlock_ops *)r->ops;
    unsigned write_every = r->param; /* 1 write per write_every ops */
    uint64_t i = 0, rng = 0x9e3779b97f4a7c15ull * (a->idx + 1);
    struct lat *wl = &r->wlat[a->idx];
    wait_go(r);
    while (!LOAD(&r->stop)) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        if (rng % write_every == 0) {
            uint64_t t0 = now_ns();
            ops->wrlock(r->obj);
            lat_add(wl, now_ns() - t0);
            r->counter++;
            work(r->in_iters);
            ops->wrunlock(r->obj);
        } else if ((i & 7) == 0) {
            uint64_t t0 = now_ns();
            ops->rdlock(r->obj);
            lat_add(&r->lat[a->idx], now_ns() - t0);
            work(r->in_iters);
            ops->rdunlock(r->obj);
        } else {
            ops->rdlock(r->obj);
            work(r->in_iters);
            ops->rdunlock(r->obj);
        }
        work(r->out_iters);
        i++;
    }
    r->count[a->idx] = i;
    return NULL;
}

static uint32_t *wlat_pool; /* MAXT * LAT_CAP */

static void rw_cell(const bench_rwlock_ops *ops, unsigned t, int mix, int rep)
{
    struct run *r = (struct run *)calloc(1, sizeof *r);
    pthread_t th[MAXT];
    struct targ a[MAXT];
    unsigned i;
    uint64_t total = 0, t0, t1;
    char w[40];
    if (r == NULL)
        die("out of memory");
    r->ops = ops;
    r->obj = ops->create();
    r->param = mix ? 2 : 101;
    r->in_iters = iters_for(200);
    r->out_iters = iters_for(100);
    r->n = t;
    for (i = 0; i < t; i++) {
        a[i].r = r;
        a[i].idx = i;
        lat_reset(&r->lat[i], i);
        r->wlat[i].v = wlat_pool + (size_t)i * LAT_CAP;
        r->wlat[i].n = 0;
        r->wlat[i].cap = LAT_CAP;
        r->wlat[i].max = 0;
        th[i] = spawn(rw_thread, &a[i]);
    }
    while (LOAD(&r->ready) != t)
        sleep_ns(100000);
    t0 = now_ns();
    STORE(&r->go, 1);
    sleep_ns(cfg.rw_ns);
    STORE(&r->stop, 1);
    t1 = now_ns();
    for (i = 0; i < t; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < t; i++)
        total += r->count[i];
    fmtw(w, sizeof w, "%s t=%u", mix ? "write-heavy" : "read-mostly", t);
    put("rwlock", w, ops->name, "Mops/s", "Mops/s", rep,
        (double)total / ((double)(t1 - t0) / 1e9) / 1e6);
    put("rwlock", w, ops->name, "wr_worst_us", "us", rep, (double)lat_max(r->wlat, t) / 1e3);
    put("rwlock", w, ops->name, "wr_p99_us", "us", rep, lat_p99(r->wlat, t) / 1e3);
    put("rwlock", w, ops->name, "rd_p99_us", "us", rep, lat_p99(r->lat, t) / 1e3);
    ops->destroy(r->obj);
    free(r);
}

/* ---- semaphore: producer/consumer over two semaphores ----------------------------------- */
struct semrun {
    struct run r;
    void *slots, *items;
    int done;
};
static void *sem_thread(void *arg)
{
    struct targ *a = (struct targ *)arg;
    struct semrun *s = (struct semrun *)a->r;
    const bench_sem_ops *ops = (const bench_sem_ops *)s->r.ops;
    uint64_t i = 0;
    wait_go(&s->r);
    if (a->idx < s->r.param) {
        while (!LOAD(&s->r.stop)) {
            ops->wait(s->slots);
            ops->post(s->items);
            i++;
        }
    } else {
        for (;;) {
            ops->wait(s->items);
            if (LOAD(&s->done))
                break;
            ops->post(s->slots);
            i++;
        }
    }
    s->r.count[a->idx] = i;
    return NULL;
}

static void sem_cell(const bench_sem_ops *ops, unsigned p, int rep)
{
    struct semrun *s = (struct semrun *)calloc(1, sizeof *s);
    pthread_t t[MAXT];
    struct targ a[MAXT];
    unsigned i, n = 2 * p;
    uint64_t t0, t1, produced = 0;
    char w[40];
    if (s == NULL)
        die("out of memory");
    s->r.ops = ops;
    s->r.param = p;
    s->slots = ops->create(QCAP);
    s->items = ops->create(0);
    for (i = 0; i < n; i++) {
        a[i].r = &s->r;
        a[i].idx = i;
        t[i] = spawn(sem_thread, &a[i]);
    }
    while (LOAD(&s->r.ready) != n)
        sleep_ns(100000);
    t0 = now_ns();
    STORE(&s->r.go, 1);
    sleep_ns(cfg.sem_ns);
    STORE(&s->r.stop, 1);
    t1 = now_ns();
    /* Producers may wait for a slot that only a consumer frees: free them
     * by posting slots, then end the consumers with one item each. */
    for (i = 0; i < p; i++)
        ops->post(s->slots);
    for (i = 0; i < p; i++)
        pthread_join(t[i], NULL);
    STORE(&s->done, 1);
    for (i = 0; i < p; i++)
        ops->post(s->items);
    for (i = p; i < n; i++)
        pthread_join(t[i], NULL);
    for (i = 0; i < p; i++)
        produced += s->r.count[i];
    fmtw(w, sizeof w, "%up%uc slots=%u", p, p, QCAP);
    put("semaphore", w, ops->name, "Mitems/s", "Mitems/s", rep,
        (double)produced / ((double)(t1 - t0) / 1e9) / 1e6);
    ops->destroy(s->slots);
    ops->destroy(s->items);
    free(s);
}

/* ---- barrier ------------------------------------------------------------------------------ */
static void *barrier_thread(void *arg)
{
    struct targ *a = (struct targ *)arg;
    struct run *r = a->r;
    const bench_barrier_ops *ops = (const bench_barrier_ops *)r->ops;
    unsigned k;
    wait_go(r);
    for (k = 0; k < r->param; k++)
        ops->wait(r->obj);
    return NULL;
}

static void barrier_cell(const bench_barrier_ops *ops, unsigned t, int rep)
{
    struct run *r = (struct run *)calloc(1, sizeof *r);
    pthread_t th[MAXT];
    struct targ a[MAXT];
    unsigned i;
    uint64_t t0;
    char w[40];
    if (r == NULL)
        die("out of memory");
    r->ops = ops;
    r->param = cfg.barrier_phases;
    r->obj = ops->create(t);
    if (r->obj == NULL)
        die("barrier create failed");
    for (i = 0; i < t; i++) {
        a[i].r = r;
        a[i].idx = i;
        th[i] = spawn(barrier_thread, &a[i]);
    }
    while (LOAD(&r->ready) != t)
        sleep_ns(100000);
    t0 = now_ns();
    STORE(&r->go, 1);
    for (i = 0; i < t; i++)
        pthread_join(th[i], NULL);
    fmtw(w, sizeof w, "t=%u", t);
    put("barrier", w, ops->name, "kphases/s", "kphases/s", rep,
        (double)cfg.barrier_phases / ((double)(now_ns() - t0) / 1e9) / 1e3);
    ops->destroy(r->obj);
    free(r);
}

/* ---- once ------------------------------------------------------------------------------------ */
static double once_done_path(const bench_once_ops *ops)
{
    double v[64];
    unsigned b, nb = cfg.loop_bursts < 64 ? cfg.loop_bursts : 64;
    (void)ops->loop(1); /* runs init, once ever */
    for (b = 0; b < nb; b++) {
        uint64_t t0 = cpu_ns();
        if (ops->loop(cfg.loop_n) != 0)
            die("a once ran its init twice");
        v[b] = (double)(cpu_ns() - t0) / (double)cfg.loop_n;
    }
    qsort(v, nb, sizeof v[0], cmp_double);
    return v[nb / 2];
}

/* ---- one repetition ------------------------------------------------------------------------- */
static void run_rep(int rep)
{
    size_t k, c;
    unsigned ti, ii, oi, p;
    int mix;
    for (k = 0; k < nmutex && want("mutex"); k++) {
        c = (k + (size_t)rep) % nmutex;
        put("uncontended", "lock+unlock, 1 thread", mutexes[c]->name, "ns", "ns", rep,
            mutex_uncontended(mutexes[c]));
    }
    for (k = 0; k < nonce && want("mutex"); k++) {
        c = (k + (size_t)rep) % nonce;
        put("once", "done path, 1 thread", onces[c]->name, "ns", "ns", rep,
            once_done_path(onces[c]));
    }
    for (ti = 0; ti < NGT && want("map"); ti++)
        for (k = 0; k < nmutex; k++) {
            c = (k + (size_t)rep + ti) % nmutex;
            if (mutexes[c]->array_new != NULL)
                map_cell(mutexes[c], grid_threads[ti], rep);
        }
    for (ti = 0; ti < NGT && want("mutex"); ti++)
        for (ii = 0; ii < NGI; ii++)
            for (oi = 0; oi < NGO; oi++)
                for (k = 0; k < nmutex; k++) {
                    c = (k + (size_t)rep + ti + ii + oi) % nmutex;
                    mutex_grid_cell(mutexes[c], grid_threads[ti], grid_in[ii], grid_out[oi], rep);
                }
    for (k = 0; k < nmutex && want("mutex"); k++) {
        c = (k + (size_t)rep) % nmutex;
        mutex_hog(mutexes[c], rep);
    }
    for (p = 1; p <= 4 && want("queue"); p *= 2)
        for (k = 0; k < nqueue; k++) {
            c = (k + (size_t)rep + p) % nqueue;
            queue_cell(queues[c], p, p, 0, rep);
        }
    /* The thread pool: P producers submit to W workers (W = 4P) through the
     * queue; each task is ~500 ns of work outside the lock. */
    for (p = 1; p <= 4 && want("pool"); p *= 2)
        for (k = 0; k < nqueue; k++) {
            c = (k + (size_t)rep + p) % nqueue;
            queue_cell(queues[c], p, 4 * p, 500, rep);
        }
    for (mix = 0; mix < 2 && want("rw"); mix++)
        for (ti = 2; ti <= 16; ti *= 2)
            for (k = 0; k < nrw; k++) {
                c = (k + (size_t)rep + ti) % nrw;
                rw_cell(rwlocks[c], ti, mix, rep);
            }
    for (p = 1; p <= 4 && want("sem"); p *= 2)
        for (k = 0; k < nsem; k++) {
            c = (k + (size_t)rep + p) % nsem;
            sem_cell(sems[c], p, rep);
        }
    for (ti = 2; ti <= 8 && want("barrier"); ti *= 2)
        for (k = 0; k < nbarrier; k++) {
            c = (k + (size_t)rep + ti) % nbarrier;
            barrier_cell(barriers[c], ti, rep);
        }
}

/* ---- the report ---------------------------------------------------------------------------- */
struct section {
    const char *name, *title, *primary, *reference;
    int higher_better;
    const char *metrics[5];
};
static const struct section sections[] = {
    { "uncontended", "Mutex, uncontended (CPU ns per lock+unlock; lower is better)", "ns",
      "pthread_mutex_t", 0, { "ns" } },
    { "mutex", "Mutex, contended grid (throughput; Jain's fairness; sampled acquire latency)",
      "Mops/s", "pthread_mutex_t", 1, { "Mops/s", "jain", "p99_us", "max_us" } },
    { "hog", "Mutex under a hog (worst and p99 acquire wait of the occasional threads)",
      "worst_us", "pthread_mutex_t", 0, { "worst_us", "p99_us", "hog_Mops/s", "waiter_acq/s" } },
    { "condvar", "Condition variable: bounded producer/consumer queue (items/s)", "Mitems/s",
      "pthread_cond_t", 1, { "Mitems/s" } },
    { "map", "Striped hash map: 4096 locks at natural size, 1M keys, 90% get / 10% put (ops/s)",
      "Mops/s", "pthread_mutex_t", 1, { "Mops/s" } },
    { "pool", "Thread pool: P producers, 4P workers, one mutex + two condvars, queue of 16, ~500 ns task (tasks/s)",
      "Mtasks/s", "pthread_cond_t", 1, { "Mtasks/s" } },
    { "once", "Once, done path (CPU ns per call; lower is better)", "ns", "pthread_once", 0,
      { "ns" } },
    { "rwlock", "Reader-writer lock (read-mostly = 1 write per 100 reads; write-heavy = 1 in 2)",
      "Mops/s", "pthread_rwlock_t", 1, { "Mops/s", "wr_worst_us", "wr_p99_us", "rd_p99_us" } },
    { "semaphore", "Semaphore: producer/consumer over two semaphores (items/s)", "Mitems/s",
      "sem_t", 1, { "Mitems/s" } },
    { "barrier", "Barrier (phases/s)", "kphases/s", "pthread_barrier_t", 1, { "kphases/s" } },
};
#define NSECT (sizeof sections / sizeof sections[0])

static int is_parker(const char *name)
{
    return strncmp(name, "parker_", 7) == 0;
}
static int is_reference(const char *name)
{
    return strcmp(name, "ttas_spinlock") == 0;
}

/* Best peer's median of the primary metric for a workload (not libparker,
 * not a reference lock); *who receives its name. */
static double best_peer(const struct section *s, const char *w, const char **who)
{
    size_t i;
    double best = NAN;
    *who = "-";
    for (i = 0; i < nrecs; i++) {
        const struct rec *r = &recs[i];
        double v;
        if (strcmp(r->section, s->name) || strcmp(r->workload, w) ||
            strcmp(r->metric, s->primary) || is_parker(r->contender) ||
            is_reference(r->contender))
            continue;
        v = med_of(s->name, w, r->contender, s->primary);
        if (isnan(best) || (s->higher_better ? v > best : v < best)) {
            best = v;
            *who = r->contender;
        }
    }
    return best;
}

static void fmtv(char *b, size_t n, double v)
{
    if (isnan(v))
        snprintf(b, n, "-");
    else if (fabs(v) >= 100)
        snprintf(b, n, "%.0f", v);
    else if (fabs(v) >= 10)
        snprintf(b, n, "%.1f", v);
    else
        snprintf(b, n, "%.2f", v);
}

static void print_row(const struct section *s, const struct rec *r)
{
    const char *who;
    double ref, best, md, mn, mx;
    char b1[24], b2[24], b3[24], cell[80];
    int m;
    stats(r, &md, &mn, &mx);
    fmtv(b1, sizeof b1, md);
    fmtv(b2, sizeof b2, mn);
    fmtv(b3, sizeof b3, mx);
    snprintf(cell, sizeof cell, "%s [%s-%s]", b1, b2, b3);
    printf("  %-24s %22s", r->contender, cell);
    for (m = 1; m < 5 && s->metrics[m]; m++) {
        fmtv(b1, sizeof b1, med_of(s->name, r->workload, r->contender, s->metrics[m]));
        printf(" %12s", b1);
    }
    ref = med_of(s->name, r->workload, s->reference, s->primary);
    best = best_peer(s, r->workload, &who);
    snprintf(b1, sizeof b1, "%.2fx", md / ref);
    snprintf(b2, sizeof b2, "%.2fx", md / best);
    printf(" %8s %8s\n", isnan(ref) ? "-" : b1, isnan(best) ? "-" : b2);
}

/* Workloads in the order they were first measured, contenders in list
 * order. */
static void print_section(const struct section *s)
{
    size_t i, j, k, nn;
    const char *names[MAXC];
    printf("\n== %s\n", s->title);
    nn = names_for(s->name, names);
    for (i = 0; i < nrecs; i++) {
        const struct rec *r = &recs[i];
        const char *who;
        int m, first = 1;
        if (strcmp(r->section, s->name) || strcmp(r->metric, s->primary))
            continue;
        for (j = 0; j < i; j++)
            if (!strcmp(recs[j].section, s->name) && !strcmp(recs[j].metric, s->primary) &&
                !strcmp(recs[j].workload, r->workload))
                first = 0;
        if (!first)
            continue;
        (void)best_peer(s, r->workload, &who);
        printf("\n  %s   (best peer: %s)\n  %-24s %22s", r->workload, who, "contender",
               s->primary);
        for (m = 1; m < 5 && s->metrics[m]; m++)
            printf(" %12s", s->metrics[m]);
        printf(" %8s %8s\n", "vs ref", "vs best");
        for (k = 0; k < nn; k++) {
            const struct rec *c = find_rec(s->name, r->workload, names[k], s->primary);
            if (c != NULL)
                print_row(s, c);
        }
    }
}

/* The mutex grid at a glance: one row per cell, a column per contender
 * (median Mops/s), and libparker's ratio to the best peer. */
static void print_grid_summary(void)
{
    size_t k, ti, ii, oi;
    char w[40], b[24];
    const char *who;
    printf("\n== Mutex grid at a glance: median Mops/s per cell (higher is better)\n\n  %-22s",
           "threads/inside/between");
    for (k = 0; k < nmutex; k++)
        printf(" %10.10s", mutexes[k]->name);
    printf(" %9s %9s\n", "ours/best", "our jain");
    for (ti = 0; ti < NGT; ti++)
        for (ii = 0; ii < NGI; ii++)
            for (oi = 0; oi < NGO; oi++) {
                double mine, best;
                grid_label(w, sizeof w, grid_threads[ti], grid_in[ii], grid_out[oi]);
                printf("  %2u / %4u ns / %4u ns ", grid_threads[ti], grid_in[ii], grid_out[oi]);
                for (k = 0; k < nmutex; k++) {
                    fmtv(b, sizeof b, med_of("mutex", w, mutexes[k]->name, "Mops/s"));
                    printf(" %10s", b);
                }
                mine = med_of("mutex", w, "parker_mutex", "Mops/s");
                best = best_peer(&sections[1], w, &who);
                snprintf(b, sizeof b, "%.2fx", mine / best);
                printf(" %9s", isnan(mine) ? "-" : b);
                fmtv(b, sizeof b, med_of("mutex", w, "parker_mutex", "jain"));
                printf(" %9s\n", b);
            }
    printf("\n== Mutex grid at a glance: Jain's fairness index per cell (1 = equal shares)\n\n  %-22s",
           "threads/inside/between");
    for (k = 0; k < nmutex; k++)
        printf(" %10.10s", mutexes[k]->name);
    printf("\n");
    for (ti = 1; ti < NGT; ti++)
        for (ii = 0; ii < NGI; ii++)
            for (oi = 0; oi < NGO; oi++) {
                grid_label(w, sizeof w, grid_threads[ti], grid_in[ii], grid_out[oi]);
                printf("  %2u / %4u ns / %4u ns ", grid_threads[ti], grid_in[ii], grid_out[oi]);
                for (k = 0; k < nmutex; k++) {
                    fmtv(b, sizeof b, med_of("mutex", w, mutexes[k]->name, "jain"));
                    printf(" %10s", b);
                }
                printf("\n");
            }
    printf("  (column names cut to 10 characters; order: ");
    for (k = 0; k < nmutex; k++)
        printf("%s%s", mutexes[k]->name, k + 1 < nmutex ? ", " : ")\n");
}

/* ---- targets ------------------------------------------------------------------------------ */
static void target(int met, const char *what, const char *how)
{
    printf("  %-5s %-62s %s\n", met < 0 ? "n/a" : met ? "met" : "MISS", what, how);
}

static void targets(void)
{
    char how[200], w[96];
    const char *who;
    double a, b;
    unsigned ti, ii, oi;
    printf("\nTargets (ratios of medians within this run):\n");

    /* std::mutex is a pthread_mutex_t in libstdc++ on glibc, so their ratio
     * per cell shows how far this run's noise alone moves a ratio. */
    {
        double rs[NGT * NGI * NGO];
        size_t nr = 0;
        for (ti = 0; ti < NGT; ti++)
            for (ii = 0; ii < NGI; ii++)
                for (oi = 0; oi < NGO; oi++) {
                    grid_label(w, 40, grid_threads[ti], grid_in[ii], grid_out[oi]);
                    a = med_of("mutex", w, "std::mutex", "Mops/s");
                    b = med_of("mutex", w, "pthread_mutex_t", "Mops/s");
                    if (!isnan(a) && !isnan(b) && b > 0)
                        rs[nr++] = a / b;
                }
        if (nr > 0) {
            size_t out = 0, q;
            for (q = 0; q < nr; q++)
                out += rs[q] < 0.8 || rs[q] > 1.25;
            qsort(rs, nr, sizeof rs[0], cmp_double);
            printf("  noise gauge: std::mutex / pthread_mutex_t (the same glibc lock) over the %zu grid\n"
                   "  cells: median %.2fx, range %.2fx-%.2fx, %zu of %zu cells outside 0.8x-1.25x\n",
                   nr, rs[nr / 2], rs[0], rs[nr - 1],
                   out, nr);
        }
    }

    a = med_of("uncontended", "lock+unlock, 1 thread", "parker_mutex", "ns");
    b = med_of("uncontended", "lock+unlock, 1 thread", "pthread_mutex_t", "ns");
    snprintf(how, sizeof how, "%.2fx (%.1f vs %.1f ns)", a / b, a, b);
    target(isnan(a) ? -1 : a <= 0.8 * b, "mutex uncontended <= 0.8x pthread_mutex_t", how);

    for (ti = 0; ti < NGT; ti++) {
        unsigned cells = 0, won = 0, fair = 0;
        double worst = INFINITY, minjain = INFINITY;
        char wc[64] = "";
        for (ii = 0; ii < NGI; ii++)
            for (oi = 0; oi < NGO; oi++) {
                double mine, best, j;
                grid_label(w, 40, grid_threads[ti], grid_in[ii], grid_out[oi]);
                mine = med_of("mutex", w, "parker_mutex", "Mops/s");
                if (isnan(mine))
                    continue;
                best = best_peer(&sections[1], w, &who);
                j = med_of("mutex", w, "parker_mutex", "jain");
                cells++;
                won += mine >= best;
                fair += !(j < 0.9);
                if (mine / best < worst) {
                    worst = mine / best;
                    snprintf(wc, sizeof wc, "in=%u out=%u", grid_in[ii], grid_out[oi]);
                }
                if (j < minjain)
                    minjain = j;
            }
        snprintf(w, sizeof w, "mutex contended, %u threads: >= best peer, Jain >= 0.9",
                 grid_threads[ti]);
        snprintf(how, sizeof how, ">= best in %u/%u cells (worst %.2fx at %s); Jain >= 0.9 in %u/%u (min %.2f)",
                 won, cells, worst, wc, fair, cells, minjain);
        target(cells == 0 ? -1 : won == cells && fair == cells, w, how);
    }

    a = med_of("hog", "1 hog + 3 occasional", "parker_mutex", "worst_us");
    b = med_of("hog", "1 hog + 3 occasional", "pthread_mutex_t", "worst_us");
    snprintf(how, sizeof how, "%.0f us (pthread_mutex_t: %.0f us)", a, b);
    target(isnan(a) ? -1 : a <= 5000, "worst acquire wait under the hog <= 5 ms", how);

    for (ti = 1; ti <= 4; ti *= 2) {
        fmtw(w, sizeof w, "%up%uc cap=%u", ti, ti, QCAP);
        a = med_of("condvar", w, "parker_cond", "Mitems/s");
        b = med_of("condvar", w, "pthread_cond_t", "Mitems/s");
        snprintf(how, sizeof how, "%.2fx pthread_cond_t", a / b);
        fmtw(w, sizeof w, "producer/consumer %up%uc >= 1.5x pthread_cond_t", ti, ti);
        target(isnan(a) ? -1 : a >= 1.5 * b, w, how);
    }

    for (ti = 2; ti <= 16; ti *= 2) {
        double best;
        fmtw(w, sizeof w, "read-mostly t=%u", ti);
        a = med_of("rwlock", w, "parker_rwlock", "Mops/s");
        b = med_of("rwlock", w, "pthread_rwlock_t", "Mops/s");
        best = best_peer(&sections[5], w, &who);
        snprintf(how, sizeof how, "%.2fx pthread_rwlock_t, %.2fx best (%s)", a / b, a / best, who);
        fmtw(w, sizeof w, "rwlock read-mostly t=%u >= 1.5x pthread and >= best", ti);
        target(isnan(a) ? -1 : a >= 1.5 * b && a >= best, w, how);
    }
    /* Writer starvation shows in the read-mostly mix: glibc's default
     * rwlock prefers readers, so a writer waits while readers overlap. */
    for (ti = 2; ti <= 16; ti *= 2) {
        double aw, bw;
        fmtw(w, sizeof w, "read-mostly t=%u", ti);
        a = med_of("rwlock", w, "parker_rwlock", "wr_worst_us");
        b = med_of("rwlock", w, "pthread_rwlock_t", "wr_worst_us");
        fmtw(w, sizeof w, "write-heavy t=%u", ti);
        aw = med_of("rwlock", w, "parker_rwlock", "wr_worst_us");
        bw = med_of("rwlock", w, "pthread_rwlock_t", "wr_worst_us");
        snprintf(how, sizeof how, "read-mostly %.0f vs %.0f us; write-heavy %.0f vs %.0f us", a, b,
                 aw, bw);
        fmtw(w, sizeof w, "rwlock worst writer wait t=%u <= pthread_rwlock_t's", ti);
        target(isnan(a) ? -1 : a <= b, w, how);
    }
    for (ti = 1; ti <= 4; ti *= 2) {
        fmtw(w, sizeof w, "%up%uc slots=%u", ti, ti, QCAP);
        a = med_of("semaphore", w, "parker_sem", "Mitems/s");
        b = med_of("semaphore", w, "sem_t", "Mitems/s");
        snprintf(how, sizeof how, "%.2fx sem_t", a / b);
        fmtw(w, sizeof w, "semaphore %up%uc >= sem_t", ti, ti);
        target(isnan(a) ? -1 : a >= b, w, how);
    }
    for (ti = 2; ti <= 8; ti *= 2) {
        fmtw(w, sizeof w, "t=%u", ti);
        a = med_of("barrier", w, "parker_barrier", "kphases/s");
        b = med_of("barrier", w, "pthread_barrier_t", "kphases/s");
        snprintf(how, sizeof how, "%.2fx pthread_barrier_t", a / b);
        fmtw(w, sizeof w, "barrier t=%u >= pthread_barrier_t", ti);
        target(isnan(a) ? -1 : a >= b, w, how);
    }
    a = med_of("once", "done path, 1 thread", "parker_once", "ns");
    b = med_of("once", "done path, 1 thread", "pthread_once", "ns");
    snprintf(how, sizeof how, "%.2fx (%.2f vs %.2f ns)", a / b, a, b);
    target(isnan(a) ? -1 : a <= b, "once done path <= pthread_once (reported)", how);
}

static void print_sizes(void)
{
    size_t k;
    const struct bench_parker_sizes *z = &bench_parker_sizes;
    printf("\nSizes (bytes):\n  libparker:");
    if (z->mutex)
        printf(" mutex %zu, cond %zu, once %zu, event %zu", z->mutex, z->cond, z->once, z->event);
    if (z->rwlock)
        printf(", rwlock %zu, sem %zu, waitgroup %zu, barrier %zu", z->rwlock, z->sem,
               z->waitgroup, z->barrier);
    if (!z->mutex && !z->rwlock)
        printf(" (parker_sync.h not in this tree)");
    printf("\n  mutexes:");
    for (k = 0; k < nmutex; k++)
        printf(" %s %zu%s", mutexes[k]->name, mutexes[k]->size, k + 1 < nmutex ? "," : "");
    printf("\n  striped map lock arrays (%u locks):", MAP_STRIPES);
    for (k = 0; k < nmutex; k++)
        if (mutexes[k]->array_new != NULL)
            printf(" %s %zu", mutexes[k]->name, MAP_STRIPES * mutexes[k]->size);
    printf("\n  condition variables:");
    for (k = 0; k < nqueue; k++)
        printf(" %s %zu%s", queues[k]->name, queues[k]->cond_size, k + 1 < nqueue ? "," : "");
    printf("\n  rwlocks:");
    for (k = 0; k < nrw; k++)
        printf(" %s %zu%s", rwlocks[k]->name, rwlocks[k]->size, k + 1 < nrw ? "," : "");
    printf("\n  semaphores:");
    for (k = 0; k < nsem; k++)
        printf(" %s %zu%s", sems[k]->name, sems[k]->size, k + 1 < nsem ? "," : "");
    printf("\n  barriers:");
    for (k = 0; k < nbarrier; k++)
        printf(" %s %zu%s", barriers[k]->name, barriers[k]->size, k + 1 < nbarrier ? "," : "");
    printf("\n  once:");
    for (k = 0; k < nonce; k++)
        printf(" %s %zu%s", onces[k]->name, onces[k]->size, k + 1 < nonce ? "," : "");
    printf("\n");
    if (z->mutex) {
        printf("  size targets: mutex %s, once %s, event %s (1 byte each); cond %s (<= 8)\n",
               z->mutex == 1 ? "met" : "MISS", z->once == 1 ? "met" : "MISS",
               z->event == 1 ? "met" : z->event ? "MISS" : "n/a", z->cond <= 8 ? "met" : "MISS");
    }
}

static void write_csv(FILE *f)
{
    size_t i;
    int k;
    fprintf(f, "section,workload,contender,metric,unit,median,min,max");
    for (k = 0; k < reps; k++)
        fprintf(f, ",rep%d", k + 1);
    fprintf(f, "\n");
    for (i = 0; i < nrecs; i++) {
        double md, mn, mx;
        stats(&recs[i], &md, &mn, &mx);
        fprintf(f, "%s,%s,%s,%s,%s,%.4g,%.4g,%.4g", recs[i].section, recs[i].workload,
                recs[i].contender, recs[i].metric, recs[i].unit, md, mn, mx);
        for (k = 0; k < reps; k++)
            fprintf(f, ",%.4g", recs[i].v[k]);
        fprintf(f, "\n");
    }
}

/* Plot data for bench/plot.gp: a matrix with one row per workload (the
 * label in column 1, no spaces) and, per contender, median min max. */
static void write_matrix(const char *dir, const char *file, const char *section,
                         const char *metric, const char *const *workloads,
                         const char *const *labels, size_t nw)
{
    char path[512], seen[MAXC][32];
    size_t ns = 0, i, k, wi;
    FILE *f;
    const char *names[MAXC];
    size_t nn = names_for(section, names);
    for (k = 0; k < nn; k++)
        for (i = 0; i < nrecs; i++)
            if (!strcmp(recs[i].section, section) && !strcmp(recs[i].metric, metric) &&
                !strcmp(recs[i].contender, names[k])) {
                snprintf(seen[ns++], sizeof seen[0], "%s", names[k]);
                break;
            }
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if ((f = fopen(path, "w")) == NULL)
        die("cannot write a plot data file");
    fprintf(f, "workload");
    for (k = 0; k < ns; k++)
        fprintf(f, " %s min max", seen[k]);
    fprintf(f, "\n");
    for (wi = 0; wi < nw; wi++) {
        fprintf(f, "%s", labels[wi]);
        for (k = 0; k < ns; k++) {
            const struct rec *r = find_rec(section, workloads[wi], seen[k], metric);
            double md = NAN, mn = NAN, mx = NAN;
            if (r)
                stats(r, &md, &mn, &mx);
            if (isnan(md))
                fprintf(f, " NaN NaN NaN");
            else
                fprintf(f, " %.4g %.4g %.4g", md, mn, mx);
        }
        fprintf(f, "\n");
    }
    fclose(f);
}

static void write_plot_data(const char *dir)
{
    static char wbuf[16][40], lbuf[16][24];
    const char *w[16], *l[16];
    size_t n, ii, ti;
    for (n = 0; n < 16; n++) {
        w[n] = wbuf[n];
        l[n] = lbuf[n];
    }
    snprintf(wbuf[0], 40, "lock+unlock, 1 thread");
    snprintf(lbuf[0], 24, "uncontended");
    write_matrix(dir, "locks-uncontended.dat", "uncontended", "ns", w, l, 1);
    snprintf(wbuf[0], 40, "done path, 1 thread");
    snprintf(lbuf[0], 24, "once");
    write_matrix(dir, "locks-once.dat", "once", "ns", w, l, 1);
    snprintf(wbuf[0], 40, "1 hog + 3 occasional");
    snprintf(lbuf[0], 24, "hog");
    write_matrix(dir, "locks-hog.dat", "hog", "worst_us", w, l, 1);
    for (ii = 0; ii < NGI; ii++) {
        char file[64];
        for (ti = 0; ti < NGT; ti++) {
            grid_label(wbuf[ti], 40, grid_threads[ti], grid_in[ii], 0);
            snprintf(lbuf[ti], 24, "%u", grid_threads[ti]);
        }
        snprintf(file, sizeof file, "locks-mutex-in%u.dat", grid_in[ii]);
        write_matrix(dir, file, "mutex", "Mops/s", w, l, NGT);
    }
    for (n = 0, ti = 1; ti <= 4; ti *= 2, n++) {
        fmtw(wbuf[n], 40, "%zup%zuc cap=%u", ti, ti, QCAP);
        fmtw(lbuf[n], 24, "%zup%zuc", ti, ti);
    }
    write_matrix(dir, "locks-condvar.dat", "condvar", "Mitems/s", w, l, n);
    for (n = 0, ti = 1; ti <= 4; ti *= 2, n++) {
        fmtw(wbuf[n], 40, "%zup%zuc slots=%u", ti, ti, QCAP);
        fmtw(lbuf[n], 24, "%zup%zuc", ti, ti);
    }
    write_matrix(dir, "locks-sem.dat", "semaphore", "Mitems/s", w, l, n);
    for (n = 0, ti = 2; ti <= 8; ti *= 2, n++) {
        fmtw(wbuf[n], 40, "t=%zu", ti);
        fmtw(lbuf[n], 24, "%zu", ti);
    }
    write_matrix(dir, "locks-barrier.dat", "barrier", "kphases/s", w, l, n);
    for (n = 0, ti = 2; ti <= 16; ti *= 2, n++) {
        fmtw(wbuf[n], 40, "read-mostly t=%zu", ti);
        fmtw(lbuf[n], 24, "%zu", ti);
    }
    write_matrix(dir, "locks-rw-read.dat", "rwlock", "Mops/s", w, l, n);
    for (n = 0, ti = 2; ti <= 16; ti *= 2, n++) {
        fmtw(wbuf[n], 40, "write-heavy t=%zu", ti);
        fmtw(lbuf[n], 24, "%zu", ti);
    }
    write_matrix(dir, "locks-rw-write.dat", "rwlock", "Mops/s", w, l, n);
}

int main(int argc, char **argv)
{
    const char *csv_path = NULL, *datdir = NULL;
    size_t k, s;
    int i, r;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            cfg.grid_ns = 10000000u;
            cfg.hog_ns = 60000000u;
            cfg.rw_ns = 15000000u;
            cfg.pc_ns = 15000000u;
            cfg.sem_ns = 15000000u;
            cfg.barrier_phases = 300;
            cfg.loop_n = 100000u;
            cfg.loop_bursts = 5;
            reps = 2;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            reps = reps < 1 ? 1 : reps > MAXREPS ? MAXREPS : reps;
        } else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
            csv_path = argv[++i];
        } else if (strcmp(argv[i], "--datdir") == 0 && i + 1 < argc) {
            datdir = argv[++i];
        } else {
            fprintf(stderr, "usage: parker_locks [--quick] [--only mutex|map|queue|pool|rw|sem|barrier] [--reps N] [--csv FILE] [--datdir DIR]\n");
            return 2;
        }
    }
    lat_pool = (uint32_t *)malloc((size_t)MAXT * LAT_CAP * sizeof *lat_pool);
    wlat_pool = (uint32_t *)malloc((size_t)MAXT * LAT_CAP * sizeof *wlat_pool);
    if (lat_pool == NULL || wlat_pool == NULL)
        die("out of memory");
    gather();
    calibrate();
    printf("parker_locks: %d interleaved repetitions%s; work calibrated at %.2f iterations/ns\n"
           "per cell: %.0f ms (grid), %.0f ms (hog), %.0f ms (rwlock), %.0f ms (queue, semaphore),"
           " %u barrier phases\n",
           reps, cfg.grid_ns < 50000000u ? " (quick mode: indicative only)" : "", iters_per_ns,
           cfg.grid_ns / 1e6, cfg.hog_ns / 1e6, cfg.rw_ns / 1e6, cfg.pc_ns / 1e6,
           cfg.barrier_phases);
    printf("contenders: mutex");
    for (k = 0; k < nmutex; k++)
        printf(" %s", mutexes[k]->name);
    printf("; rwlock");
    for (k = 0; k < nrw; k++)
        printf(" %s", rwlocks[k]->name);
    printf("\n");
    for (r = 0; r < reps; r++) {
        fprintf(stderr, "locks: repetition %d/%d\n", r + 1, reps);
        run_rep(r);
    }
    printf("\nEach cell: median [min-max] over the repetitions; 'vs ref' = ratio to the pthread\n"
           "(POSIX) object, 'vs best' = ratio to the best peer in this cell (libparker and the\n"
           "TTAS reference excluded from 'best').  For throughput higher is better, for\n"
           "times lower.  Latencies in us; jain = Jain's fairness index over per-thread counts.\n");
    print_grid_summary();
    for (s = 0; s < NSECT; s++)
        print_section(&sections[s]);
    print_sizes();
    targets();
#if !defined(BENCH_HAVE_SYNC)
    printf("\nlibparker contenders: not built (include/parker_sync.h not in this tree)\n");
#endif
#if !defined(BENCH_HAVE_PL)
    printf("parking_lot contenders: not built (" BENCH_SKIP_PL ")\n");
#endif
#if !defined(BENCH_HAVE_ABSL)
    printf("absl contenders: not built (libabsl-dev not found)\n");
#endif
#if !defined(BENCH_HAVE_NSYNC)
    printf("nsync contenders: not built (libnsync-dev not found)\n");
#endif
    if (csv_path) {
        FILE *f = fopen(csv_path, "w");
        if (f == NULL)
            die("cannot write the CSV file");
        write_csv(f);
        fclose(f);
    }
    if (datdir)
        write_plot_data(datdir);
    free(lat_pool);
    free(wlat_pool);
    return 0;
}
