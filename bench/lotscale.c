/*
 * lotscale.c - the parking lot with thousands of waiters, beside Rust's
 * parking_lot_core, in one process.
 *
 * libparker's lot has a fixed table of PARKER__LOT_BUCKETS (1024) buckets,
 * each holding one queue per address with the queues' heads in a treap;
 * parking_lot_core grows its table to about 3 buckets per thread.  With N
 * waiters on distinct addresses a bucket holds about N/1024 addresses, and
 * every operation on an address searches its bucket's treap, so this is
 * where the fixed table must show a cost if it has one.  Per waiter count
 * (1k, 10k, 50k) and per contender:
 *
 *   miss       unpark_one of an address nobody waits on, while N threads
 *              wait on distinct addresses: a pure search of one bucket (no
 *              wake-up), ns per call
 *   one-dist   unpark_one of each of the N distinct addresses in turn,
 *              ns per waiter (includes the wake-up system call)
 *   one-same   N threads on one address, unpark_one N times, ns per waiter
 *   all-same   N threads on one address, one unpark_all, ns per waiter
 *   requeue    N threads on one address, one requeue of all of them to
 *              another address without waking any, ns per waiter (no
 *              system call: the lot's own cost)
 *
 * Every number is the unparker's CPU time (CLOCK_THREAD_CPUTIME_ID, so
 * that a preemption by another process on the shared VM is not counted;
 * the wake-up system calls are the unparker's CPU time too) divided by the
 * count.  The
 * unparker runs on the first CPU and every waiter on the last, so the woken
 * threads never preempt the unparker (on 2 cores they otherwise take its
 * CPU after each wake-up, and the scheduler's cost swamps the lot's).  The
 * waiters park through the conditional park (park_if / parking_lot_core's
 * park) whose validate callback counts them under the bucket lock, so the
 * harness knows every one is queued before it times anything.  Repetitions
 * interleave the contenders; the table shows medians and the spread.
 *
 *   parker_lotscale [--quick] [--reps N] [--sizes N,N,...] [--csv FILE] [--datdir DIR]
 *
 * 50k threads need a kernel.pid_max above 50k (Debian's default is 32768
 * on small machines): --sizes runs other counts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <parker_lot.h>

#include <limits.h>
#include <sched.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BENCH_PROG "parker_lotscale"
#include "util.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define INC(p) __atomic_fetch_add((p), 1, __ATOMIC_ACQ_REL)

typedef struct scale_ops {
    const char *name;
    void (*park)(uintptr_t key, size_t *queued); /* returns when woken */
    int (*unpark_one)(uintptr_t key);
    size_t (*unpark_all)(uintptr_t key);
    size_t (*requeue_all)(uintptr_t from, uintptr_t to);
} scale_ops;

/* ---- libparker ---------------------------------------------------------- */
static int lp_count(void *arg)
{
    __atomic_fetch_add((size_t *)arg, 1, __ATOMIC_RELAXED);
    return 1;
}
static void lp_park(uintptr_t key, size_t *queued)
{
    while (parker_lot_park_if((const void *)key, lp_count, NULL, queued, PARKER_FOREVER, NULL) !=
           PARKER_OK) {
    }
}
static int lp_unpark_one(uintptr_t key)
{
    return parker_lot_unpark_one((const void *)key, NULL, NULL);
}
static size_t lp_unpark_all(uintptr_t key)
{
    return parker_lot_unpark_all((const void *)key);
}
static size_t lp_requeue_all(uintptr_t from, uintptr_t to)
{
    size_t moved = 0;
    (void)parker_lot_requeue((const void *)from, (const void *)to, 0, SIZE_MAX, NULL, NULL,
                             &moved);
    return moved;
}
static const scale_ops lp_ops = { "libparker-lot", lp_park, lp_unpark_one, lp_unpark_all,
                                  lp_requeue_all };

/* ---- parking_lot_core (bench/rust/lib.rs) ------------------------------- */
#if defined(BENCH_HAVE_PLC)
int bench_plc_park_key(uintptr_t key, size_t *queued);
int bench_plc_unpark_one_key(uintptr_t key);
size_t bench_plc_unpark_all_key(uintptr_t key);
size_t bench_plc_requeue_all_key(uintptr_t from, uintptr_t to);
static void plc_park(uintptr_t key, size_t *queued)
{
    while (bench_plc_park_key(key, queued) != 0) {
    }
}
static const scale_ops plc_ops = { "parking_lot_core", plc_park, bench_plc_unpark_one_key,
                                   bench_plc_unpark_all_key, bench_plc_requeue_all_key };
#endif

static const scale_ops *const all_ops[] = {
    &lp_ops,
#if defined(BENCH_HAVE_PLC)
    &plc_ops,
#endif
};
#define NOPS (sizeof all_ops / sizeof all_ops[0])

/* ---- helpers ------------------------------------------------------------ */
static void pin_to_cpu(pthread_attr_t *attr, int last)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    if (n < 2)
        return;
    CPU_ZERO(&set);
    CPU_SET(last ? (int)n - 1 : 0, &set);
    if (attr != NULL)
        (void)pthread_attr_setaffinity_np(attr, sizeof set, &set);
    else
        (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}


/* ---- the waiter pool ----------------------------------------------------
 * Between phases the waiters sleep on a generation word with a raw futex
 * (not on the lot being measured); in a phase each parks once on its key. */
enum { MODE_DISTINCT, MODE_SAME };

struct pool {
    size_t n;
    const scale_ops *ops;
    int mode;
    int stop;
    uint32_t gen;
    size_t queued, woken;
    uint64_t *words;      /* distinct keys: &words[i * 8] (own cache line each) */
    uint64_t *miss;       /* keys nobody parks on */
    uint64_t same, other; /* the one address and the requeue target */
};
struct waiter_arg {
    struct pool *p;
    size_t idx;
};

static void *waiter(void *arg)
{
    struct waiter_arg *wa = (struct waiter_arg *)arg;
    struct pool *p = wa->p;
    uint32_t seen = 0;
    for (;;) {
        uint32_t g;
        while ((g = LOAD(&p->gen)) == seen)
            (void)syscall(SYS_futex, &p->gen, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
        seen = g;
        if (LOAD(&p->stop))
            return NULL;
        p->ops->park(p->mode == MODE_SAME ? (uintptr_t)&p->same : (uintptr_t)&p->words[wa->idx * 8],
                     &p->queued);
        INC(&p->woken);
    }
}

static void next_phase(struct pool *p)
{
    INC(&p->gen);
    (void)syscall(SYS_futex, &p->gen, FUTEX_WAKE_PRIVATE, INT_MAX);
}

/* Start a phase and return once all n waiters are queued and asleep. */
static void park_all(struct pool *p, const scale_ops *ops, int mode)
{
    p->ops = ops;
    p->mode = mode;
    STORE(&p->queued, 0);
    STORE(&p->woken, 0);
    next_phase(p);
    while (LOAD(&p->queued) < p->n)
        sleep_ns(1000000);
    /* Past every waiter's spin in its parker (at most ~20 us), so each
     * wake-up measured below is one of a sleeping thread. */
    sleep_ns(20000000);
}

static void wait_woken(struct pool *p)
{
    uint64_t t0 = now_ns();
    while (LOAD(&p->woken) < p->n) {
        if (now_ns() - t0 > 60000000000ull)
            die("waiters were not woken within 60 s (lost wake-up?)");
        sleep_ns(1000000);
    }
}

enum { S_MISS, S_ONE_DIST, S_ONE_SAME, S_ALL_SAME, S_REQUEUE, NS };
static const char *const s_key[NS] = { "miss", "one-dist", "one-same", "all-same", "requeue" };

static void measure(struct pool *p, const scale_ops *ops, double out[NS])
{
    size_t i, n = p->n;
    uint64_t t0;

    park_all(p, ops, MODE_DISTINCT);
    t0 = cpu_ns();
    for (i = 0; i < n; i++)
        if (ops->unpark_one((uintptr_t)&p->miss[i * 8]) != 0)
            die("an address nobody parks on had a waiter");
    out[S_MISS] = (double)(cpu_ns() - t0) / (double)n;
    t0 = cpu_ns();
    for (i = 0; i < n; i++)
        if (ops->unpark_one((uintptr_t)&p->words[i * 8]) != 1)
            die("a queued waiter was not found");
    out[S_ONE_DIST] = (double)(cpu_ns() - t0) / (double)n;
    wait_woken(p);

    park_all(p, ops, MODE_SAME);
    t0 = cpu_ns();
    for (i = 0; i < n; i++)
        if (ops->unpark_one((uintptr_t)&p->same) != 1)
            die("a queued waiter was not found");
    out[S_ONE_SAME] = (double)(cpu_ns() - t0) / (double)n;
    wait_woken(p);

    park_all(p, ops, MODE_SAME);
    t0 = cpu_ns();
    if (ops->unpark_all((uintptr_t)&p->same) != n)
        die("unpark_all did not wake every waiter");
    out[S_ALL_SAME] = (double)(cpu_ns() - t0) / (double)n;
    wait_woken(p);

    park_all(p, ops, MODE_SAME);
    t0 = cpu_ns();
    if (ops->requeue_all((uintptr_t)&p->same, (uintptr_t)&p->other) != n)
        die("requeue did not move every waiter");
    out[S_REQUEUE] = (double)(cpu_ns() - t0) / (double)n;
    if (ops->unpark_all((uintptr_t)&p->other) != n)
        die("the requeued waiters were not all on the target");
    wait_woken(p);
}

/* A value from /proc/sys, or 0 if it cannot be read. */
static unsigned long read_proc_sys(const char *path)
{
    unsigned long v = 0;
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%lu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

/* Whether this machine lets the process start n more threads: every thread
 * takes a PID (kernel.pid_max), counts against kernel.threads-max and the
 * user's RLIMIT_NPROC.  These are settings of the machine, not of the code,
 * so a size they forbid is skipped with the reason, never cut short by a
 * failing pthread_create.  The margin leaves room for the rest of the
 * system's tasks. */
static int machine_allows_threads(size_t n, char *why, size_t len)
{
    const unsigned long margin = 2048;
    unsigned long pid_max = read_proc_sys("/proc/sys/kernel/pid_max");
    unsigned long threads_max = read_proc_sys("/proc/sys/kernel/threads-max");
    struct rlimit rl;
    if (pid_max != 0 && n + margin > pid_max) {
        snprintf(why, len, "kernel.pid_max is %lu, needs %lu (sysctl -w kernel.pid_max=%lu)",
                 pid_max, (unsigned long)n + margin, (unsigned long)n * 2 + margin);
        return 0;
    }
    if (threads_max != 0 && n + margin > threads_max) {
        snprintf(why, len, "kernel.threads-max is %lu, needs %lu", threads_max,
                 (unsigned long)n + margin);
        return 0;
    }
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)(n + margin) > rl.rlim_cur) {
        snprintf(why, len, "RLIMIT_NPROC (ulimit -u) is %lu, needs %lu",
                 (unsigned long)rl.rlim_cur, (unsigned long)n + margin);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    static const size_t full_sizes[] = { 1000, 10000, 50000 };
    static const size_t quick_sizes[] = { 1000, 4000 };
    static size_t arg_sizes[16];
    const size_t *sizes = full_sizes;
    size_t nsizes = sizeof full_sizes / sizeof full_sizes[0];
    int reps = 3, r, i;
    const char *csv_path = NULL, *dat_dir = NULL;
    FILE *csv = NULL;
    double *res;
    size_t si, o, k;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            sizes = quick_sizes;
            nsizes = sizeof quick_sizes / sizeof quick_sizes[0];
            reps = 1;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1)
                reps = 1;
        } else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
            char *p = argv[++i];
            nsizes = 0;
            while (*p != 0 && nsizes < sizeof arg_sizes / sizeof arg_sizes[0]) {
                arg_sizes[nsizes++] = (size_t)strtoul(p, &p, 10);
                if (*p == ',')
                    p++;
            }
            sizes = arg_sizes;
        } else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
            csv_path = argv[++i];
        } else if (strcmp(argv[i], "--datdir") == 0 && i + 1 < argc) {
            dat_dir = argv[++i];
        } else {
            fprintf(stderr, "usage: parker_lotscale [--quick] [--reps N] [--sizes N,N,...] "
                            "[--csv FILE] [--datdir DIR]\n");
            return 2;
        }
    }
    {
        /* Drop the sizes the machine's thread limits forbid, saying so. */
        static size_t kept[16];
        size_t nk = 0;
        for (si = 0; si < nsizes && nk < sizeof kept / sizeof kept[0]; si++) {
            char why[160];
            if (machine_allows_threads(sizes[si], why, sizeof why))
                kept[nk++] = sizes[si];
            else
                printf("SKIPPED (machine, not code): %zu waiters: %s\n", sizes[si], why);
        }
        sizes = kept;
        nsizes = nk;
    }
    res = (double *)calloc(nsizes * NOPS * NS * (size_t)reps + 1, sizeof *res);
    if (res == NULL)
        die("out of memory");
    pin_to_cpu(NULL, 0);
#define RES(s, o, m, r) res[(((s) * NOPS + (o)) * NS + (m)) * (size_t)reps + (size_t)(r)]

    for (si = 0; si < nsizes; si++) {
        struct pool p;
        struct waiter_arg *wa;
        pthread_t *t;
        pthread_attr_t attr;
        size_t n = sizes[si];
        memset(&p, 0, sizeof p);
        p.n = n;
        p.words = (uint64_t *)calloc(n * 8, sizeof *p.words);
        p.miss = (uint64_t *)calloc(n * 8, sizeof *p.miss);
        wa = (struct waiter_arg *)calloc(n, sizeof *wa);
        t = (pthread_t *)calloc(n, sizeof *t);
        if (!p.words || !p.miss || !wa || !t)
            die("out of memory");
        pthread_attr_init(&attr);
        /* 64 KiB stacks and no guard page: a guard is a mapping of its own,
         * and 50k threads with guards would pass Linux's default limit of
         * 65530 mappings per process (vm.max_map_count); guard-less stacks
         * merge into few mappings.  The waiters' frames are small. */
        pthread_attr_setstacksize(&attr, 64 * 1024);
        pthread_attr_setguardsize(&attr, 0);
        pin_to_cpu(&attr, 1);
        for (k = 0; k < n; k++) {
            wa[k].p = &p;
            wa[k].idx = k;
            if (pthread_create(&t[k], &attr, waiter, &wa[k]) != 0)
                die("pthread_create failed (too many threads for this system?)");
        }
        pthread_attr_destroy(&attr);
        fprintf(stderr, "%zu waiters\n", n);
        for (r = 0; r < reps; r++)
            for (o = 0; o < NOPS; o++) {
                size_t c = (o + (size_t)r) % NOPS;
                double out[NS];
                measure(&p, all_ops[c], out);
                for (k = 0; k < NS; k++)
                    RES(si, c, k, r) = out[k];
            }
        STORE(&p.stop, 1);
        next_phase(&p);
        for (k = 0; k < n; k++)
            pthread_join(t[k], NULL);
        free(p.words);
        free(p.miss);
        free(wa);
        free(t);
    }

    if (csv_path && (csv = fopen(csv_path, "w")) == NULL)
        die("cannot write the CSV file");
    printf("The lot at scale: ns per waiter (miss: ns per call); median [min-max] of %d "
           "interleaved repetitions\n\n",
           reps);
    printf("%-7s %-17s", "waiters", "contender");
    for (k = 0; k < NS; k++)
        printf(" %20s", s_key[k]);
    printf("\n");
    if (csv) {
        fprintf(csv, "measurement,contender,waiters,unit,median");
        for (r = 0; r < reps; r++)
            fprintf(csv, ",rep%d", r + 1);
        fprintf(csv, "\n");
    }
    for (si = 0; si < nsizes; si++)
        for (o = 0; o < NOPS; o++) {
            printf("%-7zu %-17s", sizes[si], all_ops[o]->name);
            for (k = 0; k < NS; k++) {
                double v[64], med;
                char cell[64];
                int nr = reps < 64 ? reps : 64;
                for (r = 0; r < nr; r++)
                    v[r] = RES(si, o, k, r);
                qsort(v, (size_t)nr, sizeof v[0], cmp_double);
                med = nr % 2 ? v[nr / 2] : (v[nr / 2 - 1] + v[nr / 2]) / 2;
                snprintf(cell, sizeof cell, "%.0f [%.0f-%.0f]", med, v[0], v[nr - 1]);
                printf(" %20s", cell);
                if (csv) {
                    fprintf(csv, "lotscale_%s,%s,%zu,%s,%.1f", s_key[k], all_ops[o]->name,
                            sizes[si], k == S_MISS ? "ns/call" : "ns/waiter", med);
                    for (r = 0; r < reps; r++)
                        fprintf(csv, ",%.1f", RES(si, o, k, r));
                    fprintf(csv, "\n");
                }
            }
            printf("\n");
        }
    printf("\nmiss = unpark_one of an address nobody waits on with N waiters\n"
           "on distinct addresses (searches one bucket); one-dist = unpark_one of each of N distinct addresses;\n"
           "one-same / all-same = N waiters on one address woken by N unpark_one / one\n"
           "unpark_all; requeue = move all N to another address without waking them.\n"
           "libparker's lot has 1024 fixed buckets, each a treap of per-address queues;\n"
           "parking_lot_core grows its table with the thread count.\n");
#if !defined(BENCH_HAVE_PLC)
    printf("parking_lot_core: not built (" BENCH_SKIP_PLC ")\n");
#endif
    if (csv)
        fclose(csv);
    /* Plot data for bench/plot.gp: per measurement, a row per waiter count
     * and per contender median min max (ns). */
    for (k = 0; dat_dir != NULL && k < NS; k++) {
        char path[512];
        FILE *f;
        snprintf(path, sizeof path, "%s/lotscale-%s.dat", dat_dir, s_key[k]);
        if ((f = fopen(path, "w")) == NULL)
            die("cannot write a plot data file");
        fprintf(f, "waiters");
        for (o = 0; o < NOPS; o++)
            fprintf(f, " %s min max", all_ops[o]->name);
        fprintf(f, "\n");
        for (si = 0; si < nsizes; si++) {
            fprintf(f, "%zu", sizes[si]);
            for (o = 0; o < NOPS; o++) {
                double v[64];
                int nr = reps < 64 ? reps : 64;
                for (r = 0; r < nr; r++)
                    v[r] = RES(si, o, k, r);
                qsort(v, (size_t)nr, sizeof v[0], cmp_double);
                fprintf(f, " %.1f %.1f %.1f", nr % 2 ? v[nr / 2] : (v[nr / 2 - 1] + v[nr / 2]) / 2,
                        v[0], v[nr - 1]);
            }
            fprintf(f, "\n");
        }
        fclose(f);
    }
    free(res);
    return 0;
}
