/*
 * bench.c - libparker against its peers, all in one process.
 *
 * The VM this runs on (2 vCPUs, shared) changes its cross-CPU wake-up cost by
 * up to 10x within minutes, so numbers from separate runs cannot be compared.
 * Here every contender runs in the same process, repetitions are interleaved
 * (rep 1 of every contender and measurement, then rep 2, ... with the
 * contender order rotated each time), each table cell is the median of the
 * repetitions, and every repetition's value is printed so the spread shows.
 *
 *   parker_bench [--quick] [--reps N] [--csv FILE] [--datdir DIR]
 *   parker_bench --count pingpong|fast|idle CONTENDER N
 *       run exactly N operations and nothing else (scripts/bench.sh wraps
 *       this in `perf stat` to count system calls per operation)
 *   parker_bench --list
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "peers.h"
#define BENCH_PROG "parker_bench"
#include "util.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
static const bench_contender *const all_contenders[] = {
#if defined(__linux__)
    &bench_raw_futex,
    &bench_spin_futex,
#endif
#if defined(BENCH_HAVE_LIBPARKER_WASM)
    &bench_libparker_wasm,
#endif
#if defined(BENCH_HAVE_LOT) && defined(BENCH_HAVE_LIBPARKER_WASM)
    &bench_lot_wasm,
#endif
#if defined(BENCH_HAVE_LIBPARKER_FUTEX)
    &bench_libparker_futex,
#endif
#if defined(BENCH_HAVE_LIBPARKER_POSIX)
    &bench_libparker_posix,
#endif
#if defined(BENCH_HAVE_LOT) && defined(BENCH_HAVE_LIBPARKER_FUTEX)
    &bench_lot_futex,
#endif
#if defined(BENCH_HAVE_LOT) && defined(BENCH_HAVE_LIBPARKER_POSIX)
    &bench_lot_posix,
#endif
    &bench_pthread_cond,
    &bench_sem,
#if defined(BENCH_HAVE_CXX)
    &bench_cxx_atomic_wait,
    &bench_cxx_binary_semaphore,
#endif
#if defined(BENCH_HAVE_RUST_STD)
    &bench_rust_std,
#endif
#if defined(BENCH_HAVE_PLC)
    &bench_plc,
#endif
};
#define NCONT (sizeof all_contenders / sizeof all_contenders[0])

/* Why a contender is missing, from bench/CMakeLists.txt. */
static const char *const skipped[] = {
#if !defined(BENCH_HAVE_LIBPARKER_FUTEX)
    "libparker-futex: " BENCH_SKIP_FUTEX,
#endif
#if !defined(BENCH_HAVE_LOT)
    "lot-*: include/parker_lot.h or src/lot.c not present in this tree",
#endif
#if !defined(BENCH_HAVE_CXX)
    "cxx-*: " BENCH_SKIP_CXX,
#endif
#if !defined(BENCH_HAVE_RUST_STD)
    "rust-std: " BENCH_SKIP_RUST,
#endif
#if !defined(BENCH_HAVE_PLC)
    "parking_lot_core: " BENCH_SKIP_PLC,
#endif
#if !defined(BENCH_HAVE_LOCK)
    "parker_mutex_t: include/parker_sync.h or the lot not present",
#endif
    NULL,
};

/* ------------------------------------------------------------------ */
static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static double median(double *v, size_t n)
{
    double *s;
    double m;
    size_t k = 0, i;
    s = (double *)malloc((n ? n : 1) * sizeof *s);
    for (i = 0; i < n; i++)
        if (!isnan(v[i]))
            s[k++] = v[i];
    if (k == 0) {
        free(s);
        return NAN;
    }
    qsort(s, k, sizeof *s, cmp_double);
    m = k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
    free(s);
    return m;
}

/* Sizes, scaled down by --quick.  Every measurement is split into bursts
 * that rotate through the contenders, so that a contender never gets a
 * quiet or a busy stretch of the machine to itself. */
static struct {
    unsigned bursts;            /* per repetition and measurement */
    uint64_t pingpong_burst_ns; /* per burst and contender */
    uint64_t fast_n;            /* operations per burst */
    unsigned wake_samples;      /* per burst and contender */
    unsigned timeout_samples;   /* per burst and contender */
    unsigned bcast_rounds;      /* per burst and contender */
    uint64_t oversub_burst_ns;  /* per burst and contender */
    uint64_t lock_ns;
} cfg = { 6, 8000000u, 100000u, 20, 10, 5, 15000000u, 100000000u };

/* ---- ping-pong (also the oversubscribed one) ------------------------- */
struct pingpong {
    const bench_contender *c;
    void *ha, *hb;
    int stop;
    uint64_t b_cpu;
};

static void *pp_partner(void *arg)
{
    struct pingpong *pp = (struct pingpong *)arg;
    const bench_contender *c = pp->c;
    void *hb = c->self();
    uint64_t cpu0;
    void *ha;
    if (hb == NULL)
        die("out of memory");
    STORE(&pp->hb, hb);
    while ((ha = LOAD(&pp->ha)) == NULL)
        relax();
    cpu0 = cpu_ns();
    for (;;) {
        c->park(hb);
        if (LOAD(&pp->stop))
            break;
        c->unpark(ha);
    }
    pp->b_cpu = cpu_ns() - cpu0;
    return NULL;
}

struct pp_total {
    uint64_t ns, rts, cpu_ns;
};

/* Round trips until cap_ns has passed (or exactly n if n != 0), added to
 * *tot: wall time, round trips, CPU time of both threads. */
static void pingpong_run(const bench_contender *c, uint64_t cap_ns, uint64_t n,
                         struct pp_total *tot)
{
    struct pingpong pp;
    pthread_t t;
    uint64_t i, t0, cpu0, elapsed, a_cpu;
    void *ha = c->self();
    if (ha == NULL)
        die("out of memory");
    memset(&pp, 0, sizeof pp);
    pp.c = c;
    t = spawn(pp_partner, &pp);
    while (LOAD(&pp.hb) == NULL)
        relax();
    STORE(&pp.ha, ha);
    t0 = now_ns();
    cpu0 = cpu_ns();
    for (i = 0;; i++) {
        if (n ? i == n : (i % 16 == 0 && now_ns() - t0 >= cap_ns))
            break;
        c->unpark(pp.hb);
        c->park(ha);
    }
    elapsed = now_ns() - t0;
    a_cpu = cpu_ns() - cpu0;
    STORE(&pp.stop, 1);
    c->unpark(pp.hb);
    pthread_join(t, NULL);
    c->release(pp.hb);
    c->release(ha);
    if (tot) {
        tot->ns += elapsed;
        tot->rts += i;
        tot->cpu_ns += a_cpu + pp.b_cpu;
    }
}

/* ---- fast path and idle unpark ---------------------------------------- */
struct fast_arg {
    const bench_contender *c;
    int idle;
    uint64_t n;
    double result;
};

static int no_warmup; /* --count: exactly the operations asked for */

static void *fast_thread(void *arg)
{
    struct fast_arg *fa = (struct fast_arg *)arg;
    void *h = fa->c->self();
    uint64_t t0;
    if (h == NULL)
        die("out of memory");
    /* warm up */
    if (no_warmup)
        ;
    else if (fa->idle)
        fa->c->idle_loop(h, fa->n / 10 + 1);
    else
        fa->c->fast_loop(h, fa->n / 10 + 1);
    t0 = now_ns();
    if (fa->n == 0)
        ; /* --count baseline: only start-up (idle_loop always ends in a park) */
    else if (fa->idle)
        fa->c->idle_loop(h, fa->n);
    else
        fa->c->fast_loop(h, fa->n);
    fa->result = fa->n ? (double)(now_ns() - t0) / (double)fa->n : NAN;
    fa->c->release(h);
    return NULL;
}

static double fast_run(const bench_contender *c, int idle, uint64_t n)
{
    struct fast_arg fa = { c, idle, n, 0 };
    pthread_join(spawn(fast_thread, &fa), NULL);
    return fa.result;
}

/* ---- wake latency ---------------------------------------------------- */
/* One sleeper per contender, all alive at once; the waker visits them in
 * turn, so consecutive samples of different contenders are taken under the
 * same machine conditions.  The waker runs on the first CPU and the sleepers
 * on the last: left to the scheduler, a sleeper sometimes sits on the
 * waker's CPU, where it waits for the spinning waker to be preempted, and
 * that placement (fixed per thread, so per contender) skewed whole
 * repetitions.  Pinned, every sample is one cross-CPU wake-up. */
static void pin_to_cpu(int last)
{
#if defined(__linux__)
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    if (n < 2)
        return;
    CPU_ZERO(&set);
    CPU_SET(last ? (int)n - 1 : 0, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
#else
    (void)last;
#endif
}

struct sleeper {
    const bench_contender *c;
    void *h;
    unsigned n;
    unsigned ready;     /* sample number the sleeper is about to park for */
    uint64_t woke;      /* its clock after park returned, 0 = not yet */
};

static void *wake_sleeper(void *arg)
{
    struct sleeper *w = (struct sleeper *)arg;
    void *h = w->c->self();
    unsigned i;
    if (h == NULL)
        die("out of memory");
    pin_to_cpu(1);
    STORE(&w->h, h);
    for (i = 1; i <= w->n; i++) {
        STORE(&w->ready, i);
        w->c->park(h);
        STORE(&w->woke, now_ns());
    }
    return NULL;
}

/* samples[c * n + i]: latency of sample i of contender c. */
static void wake_all_pinned(size_t first, unsigned n, double *samples)
{
    struct sleeper w[NCONT];
    pthread_t t[NCONT];
    size_t k, c;
    unsigned i;
    memset(w, 0, sizeof w);
    for (c = 0; c < NCONT; c++) {
        w[c].c = all_contenders[c];
        w[c].n = n;
        t[c] = spawn(wake_sleeper, &w[c]);
    }
    for (i = 1; i <= n; i++) {
        for (k = 0; k < NCONT; k++) {
            uint64_t t0, t1;
            c = (first + k) % NCONT;
            while (LOAD(&w[c].ready) != i)
                sleep_ns(10000);
            /* Long enough for any spin (also libstdc++'s spin + yield) to
             * give up: this measures a wake-up from a real sleep. */
            sleep_ns(200000);
            t0 = now_ns();
            w[c].c->unpark(w[c].h);
            while ((t1 = LOAD(&w[c].woke)) == 0)
                relax();
            STORE(&w[c].woke, 0);
            samples[c * n + i - 1] = (double)(t1 - t0);
        }
    }
    for (c = 0; c < NCONT; c++) {
        pthread_join(t[c], NULL);
        w[c].c->release(w[c].h);
    }
}

struct wake_all_arg {
    size_t first;
    unsigned n;
    double *samples;
};

static void *wake_all_thread(void *arg)
{
    struct wake_all_arg *a = (struct wake_all_arg *)arg;
    pin_to_cpu(0);
    wake_all_pinned(a->first, a->n, a->samples);
    return NULL;
}

static void wake_all(size_t first, unsigned n, double *samples)
{
    struct wake_all_arg a = { first, n, samples };
    pthread_join(spawn(wake_all_thread, &a), NULL);
}

/* ---- park_timeout(50 us) overshoot ------------------------------------ */
struct timeout_arg {
    size_t first;
    int slack1;
    unsigned n;
    double *samples;    /* [c * n + i] */
};

static void *timeout_thread(void *arg)
{
    struct timeout_arg *ta = (struct timeout_arg *)arg;
    void *h[NCONT];
    size_t k, c;
    unsigned i;
    /* Timer slack is per thread; a new thread starts with the default
     * (50 us), which dominates a 50 us timeout's overshoot. */
#if defined(__linux__)
    if (ta->slack1)
        prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
    for (c = 0; c < NCONT; c++)
        if ((h[c] = all_contenders[c]->self()) == NULL)
            die("out of memory");
    for (i = 0; i < ta->n; i++)
        for (k = 0; k < NCONT; k++) {
            uint64_t t0;
            c = (ta->first + k) % NCONT;
            if (all_contenders[c]->park_timeout == NULL) {
                ta->samples[c * ta->n + i] = NAN;
                continue;
            }
            t0 = now_ns();
            (void)all_contenders[c]->park_timeout(h[c], 50000);
            ta->samples[c * ta->n + i] = (double)(now_ns() - t0) - 50000.0;
        }
    for (c = 0; c < NCONT; c++)
        all_contenders[c]->release(h[c]);
    return NULL;
}

static void timeout_all(size_t first, int slack1, unsigned n, double *samples)
{
    struct timeout_arg ta = { first, slack1, n, samples };
    pthread_join(spawn(timeout_thread, &ta), NULL);
}

/* ---- 8-thread broadcast ------------------------------------------------ */
#define BCAST 8
struct bcast {
    const bench_contender *c;
    void *h[BCAST];
    unsigned ready;         /* waiters about to park, cumulative */
    unsigned done;          /* waiters woken, cumulative */
    uint64_t woke[BCAST];
    unsigned rounds;
};
struct bcast_waiter {
    struct bcast *b;
    unsigned idx;
};

static void *bcast_thread(void *arg)
{
    struct bcast_waiter *bw = (struct bcast_waiter *)arg;
    struct bcast *b = bw->b;
    void *h = b->c->self();
    unsigned r;
    if (h == NULL)
        die("out of memory");
    STORE(&b->h[bw->idx], h);
    for (r = 0; r < b->rounds; r++) {
        __atomic_fetch_add(&b->ready, 1, __ATOMIC_ACQ_REL);
        b->c->park(h);
        b->woke[bw->idx] = now_ns();
        __atomic_fetch_add(&b->done, 1, __ATOMIC_ACQ_REL);
    }
    return NULL;
}

/* Time from the first unpark until the last of 8 sleepers runs, for
 * `rounds` rounds, into v[0..rounds). */
static void bcast_run(const bench_contender *c, unsigned rounds, double *v)
{
    struct bcast b;
    struct bcast_waiter bw[BCAST];
    pthread_t t[BCAST];
    unsigned i, r;
    memset(&b, 0, sizeof b);
    b.c = c;
    b.rounds = rounds;
    for (i = 0; i < BCAST; i++) {
        bw[i].b = &b;
        bw[i].idx = i;
        t[i] = spawn(bcast_thread, &bw[i]);
    }
    for (r = 0; r < rounds; r++) {
        uint64_t t0, last = 0;
        while (LOAD(&b.ready) != BCAST * (r + 1))
            sleep_ns(20000);
        sleep_ns(200000);
        t0 = now_ns();
        for (i = 0; i < BCAST; i++)
            c->unpark(LOAD(&b.h[i]));
        while (LOAD(&b.done) != BCAST * (r + 1))
            relax();
        for (i = 0; i < BCAST; i++)
            if (b.woke[i] > last)
                last = b.woke[i];
        v[r] = (double)(last - t0);
    }
    for (i = 0; i < BCAST; i++) {
        pthread_join(t[i], NULL);
        c->release(b.h[i]);
    }
}

/* ---- oversubscription: one busy thread per core ---------------------- */
static int busy_stop;

static void *busy_thread(void *arg)
{
    volatile uint64_t x = 0;
    (void)arg;
    while (!LOAD(&busy_stop))
        x++;
    return NULL;
}

/* ---- locks: the 1-byte parker_mutex_t against pthread_mutex_t -------- */
static void *mx_create(void)
{
    pthread_mutex_t *m = (pthread_mutex_t *)malloc(sizeof *m);
    if (m != NULL)
        pthread_mutex_init(m, NULL);
    return m;
}
static void mx_destroy(void *l)
{
    pthread_mutex_destroy((pthread_mutex_t *)l);
    free(l);
}
static void mx_lock(void *l)
{
    pthread_mutex_lock((pthread_mutex_t *)l);
}
static void mx_unlock(void *l)
{
    pthread_mutex_unlock((pthread_mutex_t *)l);
}
const bench_lock_ops bench_lock_pthread_mutex = {
    "pthread_mutex_t", mx_create, mx_destroy, mx_lock, mx_unlock, sizeof(pthread_mutex_t),
};

static const bench_lock_ops *const all_locks[] = {
    &bench_lock_pthread_mutex,
#if defined(BENCH_HAVE_LOCK)
    &bench_lock_example,
#endif
};
#define NLOCK (sizeof all_locks / sizeof all_locks[0])

#define LOCK_THREADS 4
struct lock_run {
    const bench_lock_ops *ops;
    void *l;
    int stop;
    unsigned started;
    uint64_t counter;       /* protected by the lock */
    uint64_t count[LOCK_THREADS];
};
struct lock_worker {
    struct lock_run *lr;
    unsigned idx;
};

static void *lock_thread(void *arg)
{
    struct lock_worker *w = (struct lock_worker *)arg;
    struct lock_run *lr = w->lr;
    uint64_t n = 0;
    __atomic_fetch_add(&lr->started, 1, __ATOMIC_ACQ_REL);
    while (LOAD(&lr->started) != LOCK_THREADS)
        relax();
    while (!LOAD(&lr->stop)) {
        lr->ops->lock(lr->l);
        lr->counter++;
        lr->ops->unlock(lr->l);
        n++;
    }
    lr->count[w->idx] = n;
    return NULL;
}

/* Uncontended: ns per lock+unlock pair by one thread. */
static double lock_uncontended(const bench_lock_ops *ops)
{
    void *l = ops->create();
    uint64_t i, n = cfg.fast_n, t0;
    for (i = 0; i < n / 10; i++) {
        ops->lock(l);
        ops->unlock(l);
    }
    t0 = now_ns();
    for (i = 0; i < n; i++) {
        ops->lock(l);
        ops->unlock(l);
    }
    t0 = now_ns() - t0;
    ops->destroy(l);
    return (double)t0 / (double)n;
}

/* Contended: 4 threads for cfg.lock_ns; ns per acquisition (all threads)
 * and fairness = min/max of the per-thread counts (1 = perfectly fair). */
static double lock_contended(const bench_lock_ops *ops, double *fairness)
{
    struct lock_run lr;
    struct lock_worker w[LOCK_THREADS];
    pthread_t t[LOCK_THREADS];
    uint64_t total = 0, mn = UINT64_MAX, mx = 0, t0;
    unsigned i;
    memset(&lr, 0, sizeof lr);
    lr.ops = ops;
    lr.l = ops->create();
    for (i = 0; i < LOCK_THREADS; i++) {
        w[i].lr = &lr;
        w[i].idx = i;
        t[i] = spawn(lock_thread, &w[i]);
    }
    while (LOAD(&lr.started) != LOCK_THREADS)
        relax();
    t0 = now_ns();
    sleep_ns(cfg.lock_ns);
    STORE(&lr.stop, 1);
    for (i = 0; i < LOCK_THREADS; i++)
        pthread_join(t[i], NULL);
    t0 = now_ns() - t0;
    for (i = 0; i < LOCK_THREADS; i++) {
        total += lr.count[i];
        if (lr.count[i] < mn)
            mn = lr.count[i];
        if (lr.count[i] > mx)
            mx = lr.count[i];
    }
    if (total != lr.counter)
        die("lock lost an update: mutual exclusion broken");
    ops->destroy(lr.l);
    *fairness = mx ? (double)mn / (double)mx : NAN;
    return (double)t0 / (double)(total ? total : 1);
}

/* ---- the table --------------------------------------------------------- */
enum {
    M_PINGPONG, M_FAST, M_IDLE, M_WAKE, M_TIMEOUT, M_TIMEOUT1, M_BCAST,
    M_OVER_LAT, M_OVER_CPU, M_SIZE, NMEAS
};
static const struct {
    const char *key;    /* CSV name */
    const char *head;   /* table heading */
    const char *unit;
} meas[NMEAS] = {
    { "pingpong", "pingpong", "ns/round-trip" },
    { "fast_path", "fast", "ns/op" },
    { "idle_unpark", "idle-unp", "ns/op" },
    { "wake_latency", "wake", "ns" },
    { "timeout_overshoot", "tmo-over", "ns" },
    { "timeout_overshoot_slack1", "tmo-sl1", "ns" },
    { "broadcast8", "bcast8", "ns" },
    { "oversub_pingpong", "ovs-rt", "ns/round-trip" },
    { "oversub_cpu", "ovs-cpu", "cpu-ns/round-trip" },
    { "sizeof", "size", "bytes" },
};

enum { L_UNCONT, L_CONT, L_FAIR, NLMEAS };
static const struct {
    const char *key;
    const char *unit;
} lmeas[NLMEAS] = {
    { "lock_uncontended", "ns/lock+unlock" },
    { "lock_contended4", "ns/acquisition" },
    { "lock_fairness4", "min/max per-thread count" },
};

static int reps = 5;
static double *res;   /* [NMEAS][NCONT][reps] */
static double *lres;  /* [NLMEAS][NLOCK][reps] */
#define R(m, c, r) res[((size_t)(m) * NCONT + (c)) * (size_t)reps + (r)]
#define LR(m, l, r) lres[((size_t)(m) * NLOCK + (l)) * (size_t)reps + (r)]

static void fmt(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (v < 100 && v > -100)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.0f", v);
}

static double med(int m, size_t c)
{
    return median(&R(m, c, 0), (size_t)reps);
}

static int find(const char *name)
{
    size_t c;
    for (c = 0; c < NCONT; c++)
        if (strcmp(all_contenders[c]->name, name) == 0)
            return (int)c;
    return -1;
}

static void print_target(const char *what, double value, double limit, const char *how)
{
    if (isnan(value) || isnan(limit)) {
        printf("  n/a   %-58s (not measured)\n", what);
        return;
    }
    printf("  %-5s %-58s %s\n", value <= limit ? "met" : "MISS", what, how);
}

static void targets(void)
{
    int raw = find("raw_futex"), fx = find("libparker-futex"), px = find("libparker-posix");
    int aw = find("cxx-atomic-wait"), lf = find("lot-futex");
    char how[160];
    size_t c;
    double best = INFINITY;
    printf("\nTargets (ratios within this run):\n");
    if (raw < 0 || fx < 0)
        return;
    for (c = 0; c < NCONT; c++) {
        const char *n = all_contenders[c]->name;
        if (strncmp(n, "libparker", 9) == 0 || strncmp(n, "lot-", 4) == 0)
            continue;
        if (med(M_PINGPONG, c) < best)
            best = med(M_PINGPONG, c);
    }
    snprintf(how, sizeof how, "%.2fx best peer (%.0f vs %.0f ns)",
             med(M_PINGPONG, fx) / best, med(M_PINGPONG, fx), best);
    print_target("ping-pong <= best peer", med(M_PINGPONG, fx), best, how);
    {
        int sf = find("spin_then_futex");
        if (sf >= 0) {
            snprintf(how, sizeof how, "%.2fx spin_then_futex (%.0f vs %.0f ns)",
                     med(M_PINGPONG, fx) / med(M_PINGPONG, sf), med(M_PINGPONG, fx),
                     med(M_PINGPONG, sf));
            print_target("ping-pong <= 1.1x spin_then_futex (same spin budget)",
                         med(M_PINGPONG, fx), 1.1 * med(M_PINGPONG, sf), how);
        }
    }
    if (aw >= 0) {
        snprintf(how, sizeof how, "%.2fx", med(M_PINGPONG, fx) / med(M_PINGPONG, aw));
        print_target("ping-pong <= cxx-atomic-wait", med(M_PINGPONG, fx), med(M_PINGPONG, aw), how);
    }
#define RATIO_TARGET(label, m, who, k)                                                    \
    do {                                                                                  \
        snprintf(how, sizeof how, "%.2fx raw_futex (limit %.1fx)",                        \
                 med(m, who) / med(m, raw), (double)(k));                                 \
        print_target(label, med(m, who), (k) * med(m, raw), how);                         \
    } while (0)
    RATIO_TARGET("oversubscribed ping-pong latency <= 1.1x raw_futex", M_OVER_LAT, fx, 1.1);
    RATIO_TARGET("oversubscribed CPU per round trip <= 1.1x raw_futex", M_OVER_CPU, fx, 1.1);
    RATIO_TARGET("wake latency <= 1.1x raw_futex", M_WAKE, fx, 1.1);
    RATIO_TARGET("fast path <= 1.1x raw_futex", M_FAST, fx, 1.1);
    RATIO_TARGET("idle unpark <= 1.1x raw_futex", M_IDLE, fx, 1.1);
    if (px >= 0)
        RATIO_TARGET("posix backend fast path <= 1.2x raw_futex", M_FAST, px, 1.2);
    snprintf(how, sizeof how, "%+.0f ns vs raw_futex", med(M_TIMEOUT, fx) - med(M_TIMEOUT, raw));
    print_target("timeout overshoot <= raw_futex + 1 us (default slack)", med(M_TIMEOUT, fx),
                 med(M_TIMEOUT, raw) + 1000, how);
    snprintf(how, sizeof how, "%+.0f ns vs raw_futex", med(M_TIMEOUT1, fx) - med(M_TIMEOUT1, raw));
    print_target("timeout overshoot <= raw_futex + 1 us (slack 1 ns)", med(M_TIMEOUT1, fx),
                 med(M_TIMEOUT1, raw) + 1000, how);
    if (lf >= 0) {
        snprintf(how, sizeof how, "%.2fx libparker-futex",
                 med(M_PINGPONG, lf) / med(M_PINGPONG, fx));
        print_target("lot ping-pong <= 1.3x per-thread parker", med(M_PINGPONG, lf),
                     1.3 * med(M_PINGPONG, fx), how);
    }
    snprintf(how, sizeof how, "%.0f bytes", med(M_SIZE, fx));
    print_target("sizeof(parker_t) == 4 on futex", med(M_SIZE, fx), 4, how);
#if defined(BENCH_HAVE_LOCK)
    {
        double mu = median(&LR(L_UNCONT, 0, 0), (size_t)reps);
        double eu = median(&LR(L_UNCONT, 1, 0), (size_t)reps);
        double mc = median(&LR(L_CONT, 0, 0), (size_t)reps);
        double ec = median(&LR(L_CONT, 1, 0), (size_t)reps);
        snprintf(how, sizeof how, "%.2fx pthread_mutex_t", eu / mu);
        print_target("parker_mutex_t uncontended <= pthread_mutex_t", eu, mu, how);
        snprintf(how, sizeof how, "%.2fx pthread_mutex_t", ec / mc);
        print_target("parker_mutex_t 4-thread contended <= pthread_mutex_t", ec, mc, how);
    }
#endif
}

/* Plot data for bench/plot.gp: one row per measurement (the table's
 * heading), and per contender the median, min and max over the repetitions,
 * in ns (parkers-ns.dat: the fast paths) or us (parkers-us.dat: the
 * measurements that involve a wake-up, a sleep or a spin). */
static void write_dat(const char *dir, const char *file, const int *ms, size_t nm, double scale)
{
    char path[512];
    FILE *f;
    size_t c, k;
    int r;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if ((f = fopen(path, "w")) == NULL)
        die("cannot write a plot data file");
    fprintf(f, "measurement");
    for (c = 0; c < NCONT; c++)
        fprintf(f, " %s min max", all_contenders[c]->name);
    fprintf(f, "\n");
    for (k = 0; k < nm; k++) {
        fprintf(f, "%s", meas[ms[k]].head);
        for (c = 0; c < NCONT; c++) {
            double mn = INFINITY, mx = -INFINITY, md = med(ms[k], c);
            for (r = 0; r < reps; r++) {
                double v = R(ms[k], c, r);
                if (!isnan(v)) {
                    mn = v < mn ? v : mn;
                    mx = v > mx ? v : mx;
                }
            }
            if (isnan(md))
                fprintf(f, " NaN NaN NaN");
            else
                fprintf(f, " %.4g %.4g %.4g", md / scale, mn / scale, mx / scale);
        }
        fprintf(f, "\n");
    }
    fclose(f);
}

static void write_plot_data(const char *dir)
{
    static const int ns[] = { M_FAST, M_IDLE };
    static const int us[] = { M_PINGPONG, M_WAKE, M_TIMEOUT1, M_BCAST, M_OVER_LAT, M_OVER_CPU };
    write_dat(dir, "parkers-ns.dat", ns, sizeof ns / sizeof ns[0], 1.0);
    write_dat(dir, "parkers-us.dat", us, sizeof us / sizeof us[0], 1000.0);
}

static void report(FILE *csv)
{
    size_t c, l;
    int m, r;
    char buf[32];
    const char *const *s;

    printf("\nMedians of %d interleaved repetitions (ns; '-' = not available):\n\n", reps);
    printf("%-17s", "contender");
    for (m = 0; m < NMEAS; m++)
        printf(" %9s", meas[m].head);
    printf("\n");
    for (c = 0; c < NCONT; c++) {
        printf("%-17s", all_contenders[c]->name);
        for (m = 0; m < NMEAS; m++) {
            fmt(buf, sizeof buf, med(m, c));
            printf(" %9s", buf);
        }
        printf("\n");
    }
    printf("\nColumns: pingpong = round trip A->B->A; fast = unpark(self)+park(self);\n"
           "idle-unp = unpark while the owner is not parked; wake = clock before unpark\n"
           "to return from park (sleeper parked >= 200 us); tmo-over / tmo-sl1 =\n"
           "park_timeout(50 us) overshoot at default timer slack / PR_SET_TIMERSLACK 1;\n"
           "bcast8 = unpark 8 sleepers until the last one runs; ovs-rt / ovs-cpu =\n"
           "ping-pong with both cores busy: latency and CPU time (both threads) per\n"
           "round trip; size = bytes per parker object (0 = unknown).\n"
           "raw_futex never spins: in a ping-pong it sleeps every time, so it is the\n"
           "floor for a sleeping wake-up, not for a round trip; spin_then_futex is the\n"
           "same futex word with libparker's adaptive spin budget (the like-for-like\n"
           "baseline for pingpong and ovs-*).\n");

    {
        int raw = find("raw_futex");
        if (raw >= 0) {
            printf("\nRatio to raw_futex (median / median):\n\n%-17s", "contender");
            for (m = 0; m < M_SIZE; m++)
                printf(" %9s", meas[m].head);
            printf("\n");
            for (c = 0; c < NCONT; c++) {
                printf("%-17s", all_contenders[c]->name);
                for (m = 0; m < M_SIZE; m++) {
                    double a = med(m, c), b = med(m, (size_t)raw);
                    if (m == M_TIMEOUT || m == M_TIMEOUT1)
                        snprintf(buf, sizeof buf, isnan(a) ? "-" : "%+.0fns", a - b);
                    else
                        snprintf(buf, sizeof buf, isnan(a) ? "-" : "%.2f", a / b);
                    printf(" %9s", buf);
                }
                printf("\n");
            }
        }
    }

    printf("\nLocks (medians): %-14s %12s %12s %10s\n", "", "uncont ns", "4-thr ns/acq",
           "fairness");
    for (l = 0; l < NLOCK; l++) {
        printf("  %-29s", all_locks[l]->name);
        for (m = 0; m < NLMEAS; m++) {
            double v = median(&LR(m, l, 0), (size_t)reps);
            if (m == L_FAIR)
                printf(" %10.2f", v);
            else
                printf(" %12.1f", v);
        }
        printf("   (%zu bytes)\n", all_locks[l]->size);
    }
    printf("  fairness = min/max of per-thread acquisitions in %.0f ms (1 = fair)\n",
           (double)cfg.lock_ns / 1e6);

    printf("\nEvery repetition (in run order within each cell):\n");
    for (m = 0; m < NMEAS; m++) {
        if (m == M_SIZE)
            continue;
        printf("  %s [%s]\n", meas[m].key, meas[m].unit);
        for (c = 0; c < NCONT; c++) {
            printf("    %-17s", all_contenders[c]->name);
            for (r = 0; r < reps; r++) {
                fmt(buf, sizeof buf, R(m, c, r));
                printf(" %8s", buf);
            }
            printf("\n");
        }
    }
    for (m = 0; m < NLMEAS; m++) {
        printf("  %s [%s]\n", lmeas[m].key, lmeas[m].unit);
        for (l = 0; l < NLOCK; l++) {
            printf("    %-17s", all_locks[l]->name);
            for (r = 0; r < reps; r++)
                printf(" %8.2f", LR(m, l, r));
            printf("\n");
        }
    }

    targets();

    printf("\nContenders not built:%s\n", skipped[0] ? "" : " none");
    for (s = skipped; *s; s++)
        printf("  %s\n", *s);

    if (csv) {
        fprintf(csv, "measurement,contender,unit,median");
        for (r = 0; r < reps; r++)
            fprintf(csv, ",rep%d", r + 1);
        fprintf(csv, "\n");
        for (m = 0; m < NMEAS; m++)
            for (c = 0; c < NCONT; c++) {
                fprintf(csv, "%s,%s,%s,%.1f", meas[m].key, all_contenders[c]->name,
                        meas[m].unit, med(m, c));
                for (r = 0; r < reps; r++)
                    fprintf(csv, ",%.1f", R(m, c, r));
                fprintf(csv, "\n");
            }
        for (m = 0; m < NLMEAS; m++)
            for (l = 0; l < NLOCK; l++) {
                fprintf(csv, "%s,%s,%s,%.3f", lmeas[m].key, all_locks[l]->name, lmeas[m].unit,
                        median(&LR(m, l, 0), (size_t)reps));
                for (r = 0; r < reps; r++)
                    fprintf(csv, ",%.3f", LR(m, l, r));
                fprintf(csv, "\n");
            }
    }
}

/* ---- one repetition ---------------------------------------------------- */
static void run_rep(int r)
{
    size_t first, k, c;
    unsigned b;
    int i;
    size_t ncores = 2;
    pthread_t busy[8];
    struct pp_total tot[NCONT];
    unsigned nw = cfg.wake_samples * cfg.bursts;
    unsigned nt = cfg.timeout_samples * cfg.bursts;
    unsigned nb = cfg.bcast_rounds * cfg.bursts;
    double *samples = (double *)malloc(sizeof *samples * NCONT *
                                       (nw > nt ? (nw > nb ? nw : nb) : (nt > nb ? nt : nb)));
    if (samples == NULL)
        die("out of memory");

    /* ping-pong, with a warm-up burst for adaptive spins to settle */
    memset(tot, 0, sizeof tot);
    for (b = 0; b <= cfg.bursts; b++)
        for (k = 0; k < NCONT; k++) {
            c = (k + b + (size_t)r) % NCONT;
            pingpong_run(all_contenders[c], cfg.pingpong_burst_ns, 0, b ? &tot[c] : NULL);
        }
    for (c = 0; c < NCONT; c++)
        R(M_PINGPONG, c, r) = (double)tot[c].ns / (double)(tot[c].rts ? tot[c].rts : 1);

    /* fast path and idle unpark: the median of many short bursts, since a
     * burst of a few ms that gets preempted once is worth nothing at the
     * 5 ns scale */
    {
        unsigned nf = cfg.bursts * 4;
        double *f = (double *)malloc(sizeof *f * NCONT * nf * 2);
        if (f == NULL)
            die("out of memory");
        for (b = 0; b < nf; b++)
            for (k = 0; k < NCONT; k++) {
                c = (k + b + (size_t)r) % NCONT;
                f[c * nf + b] = fast_run(all_contenders[c], 0, cfg.fast_n);
                f[(NCONT + c) * nf + b] = fast_run(all_contenders[c], 1, cfg.fast_n);
            }
        for (c = 0; c < NCONT; c++) {
            R(M_FAST, c, r) = median(&f[c * nf], nf);
            R(M_IDLE, c, r) = median(&f[(NCONT + c) * nf], nf);
        }
        free(f);
    }

    /* wake latency: medians of interleaved samples */
    first = (size_t)r % NCONT;
    wake_all(first, nw, samples);
    for (c = 0; c < NCONT; c++)
        R(M_WAKE, c, r) = median(&samples[c * nw], nw);

    /* timeout overshoot */
    for (i = 0; i < 2; i++) {
        timeout_all(first, i, nt, samples);
        for (c = 0; c < NCONT; c++)
            R(i ? M_TIMEOUT1 : M_TIMEOUT, c, r) = median(&samples[c * nt], nt);
    }

    /* 8-thread broadcast */
    for (b = 0; b < cfg.bursts; b++)
        for (k = 0; k < NCONT; k++) {
            c = (k + b + (size_t)r) % NCONT;
            bcast_run(all_contenders[c], cfg.bcast_rounds, &samples[c * nb + b * cfg.bcast_rounds]);
        }
    for (c = 0; c < NCONT; c++)
        R(M_BCAST, c, r) = median(&samples[c * nb], nb);

    /* oversubscribed ping-pong: a busy thread per core for the whole
     * measurement, contenders interleaved in bursts */
    {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        ncores = n > 0 ? (size_t)n : 2;
        if (ncores > 8)
            ncores = 8;
    }
    STORE(&busy_stop, 0);
    for (k = 0; k < ncores; k++)
        busy[k] = spawn(busy_thread, NULL);
    sleep_ns(5000000);
    memset(tot, 0, sizeof tot);
    for (b = 0; b < cfg.bursts; b++)
        for (k = 0; k < NCONT; k++) {
            c = (k + b + (size_t)r) % NCONT;
            pingpong_run(all_contenders[c], cfg.oversub_burst_ns, 0, &tot[c]);
        }
    STORE(&busy_stop, 1);
    for (k = 0; k < ncores; k++)
        pthread_join(busy[k], NULL);
    for (c = 0; c < NCONT; c++) {
        double n = (double)(tot[c].rts ? tot[c].rts : 1);
        R(M_OVER_LAT, c, r) = (double)tot[c].ns / n;
        R(M_OVER_CPU, c, r) = (double)tot[c].cpu_ns / n;
        R(M_SIZE, c, r) = all_contenders[c]->size ? (double)all_contenders[c]->size : NAN;
    }
    free(samples);

    for (k = 0; k < NLOCK; k++) {
        size_t l = (k + (size_t)r) % NLOCK;
        double fair;
        LR(L_UNCONT, l, r) = lock_uncontended(all_locks[l]);
        LR(L_CONT, l, r) = lock_contended(all_locks[l], &fair);
        LR(L_FAIR, l, r) = fair;
    }
}

static int count_mode(const char *what, const char *name, uint64_t n)
{
    int c = find(name);
    if (c < 0) {
        fprintf(stderr, "parker_bench: no contender '%s' (see --list)\n", name);
        return 2;
    }
    no_warmup = 1;
    if (strcmp(what, "pingpong") == 0)
        pingpong_run(all_contenders[c], 0, n, NULL);
    else if (strcmp(what, "fast") == 0)
        (void)fast_run(all_contenders[c], 0, n);
    else if (strcmp(what, "idle") == 0)
        (void)fast_run(all_contenders[c], 1, n);
    else {
        fprintf(stderr, "parker_bench: --count pingpong|fast|idle CONTENDER N\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *csv_path = NULL, *dat_dir = NULL;
    FILE *csv = NULL;
    int i, r;
    size_t c;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            cfg.bursts = 2;
            cfg.pingpong_burst_ns = 1000000u;
            cfg.fast_n = 20000u;
            cfg.wake_samples = 3;
            cfg.timeout_samples = 3;
            cfg.bcast_rounds = 2;
            cfg.oversub_burst_ns = 2000000u;
            cfg.lock_ns = 5000000u;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1)
                reps = 1;
        } else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
            csv_path = argv[++i];
        } else if (strcmp(argv[i], "--datdir") == 0 && i + 1 < argc) {
            dat_dir = argv[++i];
        } else if (strcmp(argv[i], "--list") == 0) {
            for (c = 0; c < NCONT; c++)
                printf("%s\n", all_contenders[c]->name);
            return 0;
        } else if (strcmp(argv[i], "--count") == 0 && i + 3 < argc) {
            return count_mode(argv[i + 1], argv[i + 2], strtoull(argv[i + 3], NULL, 10));
        } else {
            fprintf(stderr, "usage: parker_bench [--quick] [--reps N] [--csv FILE] [--datdir DIR]"
                            " | --list | --count pingpong|fast|idle CONTENDER N\n");
            return 2;
        }
    }

    res = (double *)malloc(sizeof *res * NMEAS * NCONT * (size_t)reps);
    lres = (double *)malloc(sizeof *lres * NLMEAS * NLOCK * (size_t)reps);
    if (res == NULL || lres == NULL)
        die("out of memory");
    for (c = 0; c < NMEAS * NCONT * (size_t)reps; c++)
        res[c] = NAN;
    for (c = 0; c < NLMEAS * NLOCK * (size_t)reps; c++)
        lres[c] = NAN;

    printf("parker_bench: %zu contenders, %d repetitions%s\n", NCONT, reps,
           cfg.bursts < 3 ? " (quick mode: numbers are indicative only)" : "");
    for (r = 0; r < reps; r++) {
        fprintf(stderr, "repetition %d/%d\n", r + 1, reps);
        run_rep(r);
    }

    if (csv_path && (csv = fopen(csv_path, "w")) == NULL)
        die("cannot write the CSV file");
    report(csv);
    if (dat_dir)
        write_plot_data(dat_dir);
    if (csv)
        fclose(csv);
    free(res);
    free(lres);
    return 0;
}
