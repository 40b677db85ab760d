/*
 * deadlock.c - parker_deadlock_check() against a libparker configured with
 * -DPARKER_DEADLOCK_DETECTION=ON (scripts/stages/annotate.sh builds it).
 *
 * Real deadlocks, made harmless by timed second locks: each thread takes
 * its first lock, waits until every thread has its first, then asks for the
 * next thread's lock with a timeout of a few seconds.  While they wait, the
 * main thread must find exactly that cycle (its length, each member waiting
 * for the lock the next member holds); after the timeouts let them go, and
 * after they exit, no cycle may remain.  Cases: mutexes (2 and 3 threads),
 * rwlocks (write/write; a read holder against a writer), and mixed.
 */
#include "parker_sync.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXT 3
#define TIMEOUT_NS 2000000000ull /* the deadlock lasts this long */

enum kind { MUTEX, RW_WRITE, RW_READ };

struct lockref {
    enum kind kind;
    void *lock;
};

struct thread_plan {
    struct lockref first, second;
};

static atomic_int holding;
static int nthreads;
static struct thread_plan plan[MAXT];
static int failures;

#define CHECK(c)                                                            \
    do {                                                                    \
        if (!(c)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                                     \
        }                                                                   \
    } while (0)

static void take(const struct lockref *l)
{
    switch (l->kind) {
    case MUTEX: parker_mutex_lock((parker_mutex_t *)l->lock); break;
    case RW_WRITE: parker_rwlock_wrlock((parker_rwlock_t *)l->lock); break;
    case RW_READ: parker_rwlock_rdlock((parker_rwlock_t *)l->lock); break;
    }
}

static int take_timed(const struct lockref *l)
{
    switch (l->kind) {
    case MUTEX: return parker_mutex_lock_timeout((parker_mutex_t *)l->lock, TIMEOUT_NS);
    case RW_WRITE: return parker_rwlock_wrlock_timeout((parker_rwlock_t *)l->lock, TIMEOUT_NS);
    default: return parker_rwlock_rdlock_timeout((parker_rwlock_t *)l->lock, TIMEOUT_NS);
    }
}

static void release(const struct lockref *l)
{
    switch (l->kind) {
    case MUTEX: parker_mutex_unlock((parker_mutex_t *)l->lock); break;
    case RW_WRITE: parker_rwlock_wrunlock((parker_rwlock_t *)l->lock); break;
    case RW_READ: parker_rwlock_rdunlock((parker_rwlock_t *)l->lock); break;
    }
}

static void *run_plan(void *arg)
{
    struct thread_plan *p = (struct thread_plan *)arg;
    take(&p->first);
    atomic_fetch_add(&holding, 1);
    while (atomic_load(&holding) < nthreads)
        sched_yield();
    if (take_timed(&p->second) == PARKER_OK) /* only if the cycle was not closed */
        release(&p->second);
    release(&p->first);
    return NULL;
}

/* Run the plan; expect one cycle of n threads, member i waiting for
 * plan[i].second. */
static void expect_cycle(const char *name, int n)
{
    pthread_t t[MAXT];
    parker_deadlock_cycle_t c[4];
    size_t found = 0;
    int i, tries;

    nthreads = n;
    atomic_store(&holding, 0);
    for (i = 0; i < n; i++)
        pthread_create(&t[i], NULL, run_plan, &plan[i]);
    /* Until every thread is waiting (the check sees it), at most ~1.5 s. */
    for (tries = 0; tries < 1500 && found == 0; tries++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        found = parker_deadlock_check(c, 4);
    }
    CHECK(found == 1);
    if (found >= 1) {
        size_t j, k;
        CHECK(c[0].length == (size_t)n);
        /* Members in cycle order from any start: each waits for the lock of
         * some plan entry, and every plan's second lock appears once. */
        for (i = 0; i < n; i++) {
            int seen = 0;
            for (j = 0; j < c[0].length; j++)
                if (c[0].member[j].waits_for == plan[i].second.lock &&
                    c[0].member[j].waits_for_read == (plan[i].second.kind == RW_READ))
                    seen++;
            CHECK(seen == 1);
        }
        for (j = 0; j < c[0].length; j++)
            for (k = j + 1; k < c[0].length; k++)
                CHECK(c[0].member[j].thread != c[0].member[k].thread);
    }
    for (i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    CHECK(parker_deadlock_check(c, 4) == 0);
    printf("%-34s %s (%zu cycle%s, length %zu)\n", name, failures ? "FAILED" : "found",
           found, found == 1 ? "" : "s", found ? c[0].length : (size_t)0);
}

static parker_mutex_t ma, mb, mc;
static parker_rwlock_t ra, rb;

static struct lockref M(parker_mutex_t *m) { struct lockref l = {MUTEX, m}; return l; }
static struct lockref W(parker_rwlock_t *r) { struct lockref l = {RW_WRITE, r}; return l; }
static struct lockref R(parker_rwlock_t *r) { struct lockref l = {RW_READ, r}; return l; }

int main(void)
{
    parker_deadlock_cycle_t none[1];

    if (parker_deadlock_check(none, 1) == PARKER_DEADLOCK_UNAVAILABLE) {
        fprintf(stderr, "deadlock: library built without PARKER_DEADLOCK_DETECTION\n");
        return 1;
    }
    CHECK(parker_deadlock_check(none, 1) == 0);

    plan[0].first = M(&ma); plan[0].second = M(&mb);
    plan[1].first = M(&mb); plan[1].second = M(&ma);
    expect_cycle("mutex, 2 threads", 2);

    plan[0].first = M(&ma); plan[0].second = M(&mb);
    plan[1].first = M(&mb); plan[1].second = M(&mc);
    plan[2].first = M(&mc); plan[2].second = M(&ma);
    expect_cycle("mutex, 3 threads", 3);

    plan[0].first = W(&ra); plan[0].second = W(&rb);
    plan[1].first = W(&rb); plan[1].second = W(&ra);
    expect_cycle("rwlock write/write, 2 threads", 2);

    plan[0].first = R(&ra); plan[0].second = W(&rb);
    plan[1].first = R(&rb); plan[1].second = W(&ra);
    expect_cycle("rwlock read held, write wanted", 2);

    plan[0].first = M(&ma); plan[0].second = W(&ra);
    plan[1].first = R(&ra); plan[1].second = M(&ma);
    expect_cycle("mixed mutex + rwlock, 2 threads", 2);

    plan[0].first = M(&ma); plan[0].second = R(&ra);
    plan[1].first = W(&ra); plan[1].second = M(&mb);
    plan[2].first = M(&mb); plan[2].second = M(&ma);
    expect_cycle("mixed, 3 threads", 3);

    /* Two readers of one rwlock wait for nobody: no cycle. */
    {
        parker_rwlock_rdlock(&ra);
        parker_rwlock_rdlock(&rb);
        CHECK(parker_deadlock_check(none, 1) == 0);
        parker_rwlock_rdunlock(&rb);
        parker_rwlock_rdunlock(&ra);
    }
    if (failures) {
        fprintf(stderr, "deadlock: %d check(s) failed\n", failures);
        return 1;
    }
    printf("deadlock: every cycle found\n");
    return 0;
}
