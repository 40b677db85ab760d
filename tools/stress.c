/*
 * stress.c - a long randomised stress of the parker (and of the parking lot
 * when the build has include/parker_lot.h), outside the unit suite.
 *
 * Threads:
 *   owners      each parks on its own parker at random: park, park_timeout,
 *               park_until (short or zero timeouts, and no timeout at all);
 *   unparkers   unpark random owners, with random pauses so that owners
 *               really block;
 *   lot waiters park on a few shared words of 1, 2, 4 and 8 bytes, with a
 *               zero, short or no timeout, passing themselves as park_arg;
 *   lot wakers  change the words, unpark_one (with a callback) or unpark_all;
 *   sync        (when the build has include/parker_sync.h) threads that use
 *               one parker_mutex_t, a parker_cond_t over it, a parker_event_t
 *               and a set of parker_once_t at random: lock / trylock / timed
 *               lock with short timeouts / unlock / unlock_fair, timed and
 *               untimed condition waits for "tickets", signal and broadcast
 *               with and without the mutex held, event set / reset / wait,
 *               and once calls whose init fails now and then;
 *   sync2       threads that use one parker_rwlock_t (every lock flavour,
 *               downgrade), one parker_sem_t (post n / wait / trywait /
 *               timed waits) and one parker_waitgroup_t (add, done, timed
 *               waits) at random, plus three threads that run phases of a
 *               parker_barrier_t of 3;
 *   a watchdog  turns a hang into a failure: a thread that stays in one
 *               operation longer than --hang-seconds, or a shutdown that
 *               does not finish, prints who is parked where and exits 2.
 *
 * Invariants checked (exit 1 on a violation):
 *   - tokens <= unparks: each park that returns PARKER_OK consumed a token,
 *     so an owner's OK count never exceeds the unparks started on its parker;
 *   - timeouts never return early (PARKER_TIMEDOUT before the deadline);
 *   - lot, exactly once: the PARKER_OK returns of all lot parks equal the
 *     wake-ups that unpark_one and unpark_all reported; the callback runs
 *     once per unpark_one, with the woken waiter's park_arg when it returned 1
 *     and NULL when it returned 0; a waiter is never claimed by a callback
 *     more often than it returned PARKER_OK;
 *   - sync: never two threads inside the mutex (and a plain counter
 *     incremented under it comes out exact); timed locks, condition waits
 *     and event waits never time out early; condition waits return with
 *     the mutex held, and the waits that return PARKER_OK equal the sum of
 *     what signal and broadcast reported (no spurious returns, no chosen
 *     waiter lost); a once's init succeeds at most once per flag, and a
 *     flag reported done had exactly one successful init;
 *   - sync2: a writer is alone in the rwlock (and a plain counter written
 *     under it comes out exact); timed rwlock, semaphore and wait-group
 *     waits never time out early; no semaphore unit is taken before it was
 *     posted, and at the end units posted == units taken + the count; the
 *     wait group's count ends at 0; each barrier phase has exactly one
 *     serial thread and every thread sees the others' writes of the phase.
 *
 *   stress [--seconds N] [--owners N] [--unparkers N] [--lot-waiters N]
 *          [--lot-wakers N] [--sync-threads N] [--sync2-threads N]
 *          [--hang-seconds N] [--seed N] [--selftest-hang]
 *
 * --selftest-hang makes the unparkers and lot wakers quit after one second,
 * so that parks without a timeout hang: the run must end with the
 * watchdog's report and exit status 2 (scripts/stages/stress.sh checks it).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "parker.h"
#if defined(PARKER_STRESS_LOT)
#include "parker_lot.h"
#endif
#if defined(PARKER_STRESS_SYNC)
#include "parker_sync.h"
#endif

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_US UINT64_C(1000)
#define NS_PER_S UINT64_C(1000000000)
#define MAX_THREADS 256
#define S2_THREADS_EXTRA 3 /* the sync2 barrier threads */

enum op {
    OP_IDLE,
    OP_PARK,
    OP_PARK_TIMEOUT,
    OP_PARK_UNTIL,
    OP_UNPARK,
    OP_LOT_PARK,
    OP_LOT_UNPARK_ONE,
    OP_LOT_UNPARK_ALL,
    OP_JOIN,
    OP_MUTEX_LOCK,
    OP_COND_WAIT,
    OP_COND_NOTIFY,
    OP_EVENT_WAIT,
    OP_ONCE,
    OP_RWLOCK,
    OP_SEM_WAIT,
    OP_WG_WAIT,
    OP_BARRIER_WAIT,
};

static const char *const op_names[] = {
    "idle", "parker_park", "parker_park_timeout", "parker_park_until", "parker_unpark",
    "parker_lot_park", "parker_lot_unpark_one", "parker_lot_unpark_all", "pthread_join",
    "parker_mutex_lock*", "parker_cond_wait*", "parker_cond_signal/broadcast",
    "parker_event_wait*", "parker_once", "parker_rwlock_*lock*", "parker_sem_wait*",
    "parker_waitgroup_wait", "parker_barrier_wait",
};

/* What each thread is doing, for the watchdog's report. */
struct slot {
    const char *role;
    int id;
    _Atomic int op;
    _Atomic uint64_t since;     /* parker_now_ns() when op began */
    _Atomic uintptr_t target;   /* parker or lot address */
    _Atomic uint64_t arg;       /* timeout / deadline */
    _Atomic uint64_t iterations;
};

struct owner {
    parker_t parker;
    _Atomic uint64_t unparks;   /* unparks started on this parker */
    _Atomic uint64_t oks;       /* parks that returned PARKER_OK */
    struct slot *slot;
};

struct options {
    unsigned seconds, owners, unparkers, lot_waiters, lot_wakers, hang_seconds;
    uint64_t seed;
    unsigned sync_threads;
    unsigned sync2_threads;
};

static struct options opt = {180, 8, 3, 6, 2, 20, 0, 6, 4};
static struct slot slots[MAX_THREADS];
static _Atomic int n_slots;
static struct owner *owners;
static atomic_int stop;             /* the run's time is up */
static atomic_int owners_alive;
static atomic_int lot_waiters_alive;
static atomic_int finished;         /* everything joined: the watchdog ends */
static atomic_int failures;
static _Atomic uint64_t total_ops;
static int selftest_hang;
static uint64_t run_start;

/* --selftest-hang: the wakers desert after a second. */
static int deserting(void)
{
    return selftest_hang && parker_now_ns() - run_start > NS_PER_S;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#include <stdarg.h>
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "STRESS FAILURE: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (atomic_fetch_add(&failures, 1) > 20) {
        fprintf(stderr, "too many failures, giving up\n");
        _exit(1);
    }
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static void pause_ns(uint64_t ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / NS_PER_S);
    ts.tv_nsec = (long)(ns % NS_PER_S);
    nanosleep(&ts, NULL);
}

static struct slot *new_slot(const char *role, int id)
{
    int i = atomic_fetch_add(&n_slots, 1);
    if (i >= MAX_THREADS) {
        fprintf(stderr, "stress: too many threads (max %d)\n", MAX_THREADS);
        exit(1);
    }
    slots[i].role = role;
    slots[i].id = id;
    return &slots[i];
}

static void enter(struct slot *s, enum op op, const void *target, uint64_t arg)
{
    atomic_store_explicit(&s->target, (uintptr_t)target, memory_order_relaxed);
    atomic_store_explicit(&s->arg, arg, memory_order_relaxed);
    atomic_store_explicit(&s->since, parker_now_ns(), memory_order_relaxed);
    atomic_store_explicit(&s->op, (int)op, memory_order_release);
}

static void leave(struct slot *s)
{
    atomic_store_explicit(&s->op, OP_IDLE, memory_order_release);
    atomic_fetch_add_explicit(&s->iterations, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&total_ops, 1, memory_order_relaxed);
}

/* ------------------------------------------------------------- the parker */

static void *owner_main(void *arg)
{
    struct owner *o = (struct owner *)arg;
    uint64_t rng = opt.seed ^ ((uint64_t)(uintptr_t)o * UINT64_C(0x9E3779B97F4A7C15)) ^ 1u;

    while (!atomic_load(&stop)) {
        uint64_t r = rng_next(&rng);
        uint64_t t = (r >> 8) % 4u == 0 ? 0 : (r >> 16) % (200u * NS_PER_US);
        int res;

        switch (r % 3u) {
        case 0:
            enter(o->slot, OP_PARK, &o->parker, 0);
            parker_park(&o->parker);
            res = PARKER_OK;
            break;
        case 1: {
            uint64_t start = parker_now_ns(), end;
            enter(o->slot, OP_PARK_TIMEOUT, &o->parker, t);
            res = parker_park_timeout(&o->parker, t);
            end = parker_now_ns();
            if (res == PARKER_TIMEDOUT && end - start < t)
                fail("%s %d: park_timeout(%" PRIu64 ") timed out after %" PRIu64 " ns",
                     o->slot->role, o->slot->id, t, end - start);
            break;
        }
        default: {
            uint64_t deadline = parker_now_ns() + t, end;
            enter(o->slot, OP_PARK_UNTIL, &o->parker, deadline);
            res = parker_park_until(&o->parker, deadline);
            end = parker_now_ns();
            if (res == PARKER_TIMEDOUT && end < deadline)
                fail("%s %d: park_until timed out %" PRIu64 " ns early", o->slot->role,
                     o->slot->id, deadline - end);
            break;
        }
        }
        leave(o->slot);
        if (res == PARKER_OK) {
            uint64_t oks = atomic_fetch_add(&o->oks, 1) + 1;
            /* The unparks counter is raised before each unpark, so every
             * token this park consumed is already counted there. */
            uint64_t unparks = atomic_load(&o->unparks);
            if (oks > unparks)
                fail("%s %d: %" PRIu64 " tokens consumed but only %" PRIu64 " unparks",
                     o->slot->role, o->slot->id, oks, unparks);
        } else if (res != PARKER_TIMEDOUT) {
            fail("%s %d: park returned %d", o->slot->role, o->slot->id, res);
        }
    }
    atomic_fetch_sub(&owners_alive, 1);
    return NULL;
}

static void *unparker_main(void *arg)
{
    struct slot *s = (struct slot *)arg;
    uint64_t rng = opt.seed ^ ((uint64_t)(uintptr_t)s * UINT64_C(0xD1B54A32D192ED03)) ^ 2u;

    /* Keep going until every owner has left, so that a park without a
     * timeout always ends. */
    while (atomic_load(&owners_alive) > 0 && !deserting()) {
        uint64_t r = rng_next(&rng);
        struct owner *o = &owners[r % opt.owners];
        atomic_fetch_add(&o->unparks, 1);
        enter(s, OP_UNPARK, &o->parker, 0);
        parker_unpark(&o->parker);
        leave(s);
        switch ((r >> 32) % 4u) {
        case 0:
            break;
        case 1:
            sched_yield();
            break;
        default:
            pause_ns((r >> 40) % (100u * NS_PER_US));
            break;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ the lot */

#if defined(PARKER_STRESS_LOT)
static uint8_t word8;
static uint16_t word16;
static uint32_t word32;
static uint64_t word64;
static void *const words[] = {&word8, &word16, &word32, &word64};
static const size_t word_sizes[] = {1, 2, 4, 8};
#define N_WORDS 4u

struct lot_waiter {
    struct slot *slot;
    _Atomic uint64_t oks;
    _Atomic uint64_t claimed;   /* callbacks that named this waiter */
};

static _Atomic uint64_t lot_oks, lot_wakes, lot_agains, lot_timeouts;

static void load_word(unsigned w, void *out)
{
    switch (word_sizes[w]) {
    case 1: { uint8_t v = __atomic_load_n(&word8, __ATOMIC_SEQ_CST); memcpy(out, &v, 1); break; }
    case 2: { uint16_t v = __atomic_load_n(&word16, __ATOMIC_SEQ_CST); memcpy(out, &v, 2); break; }
    case 4: { uint32_t v = __atomic_load_n(&word32, __ATOMIC_SEQ_CST); memcpy(out, &v, 4); break; }
    default: { uint64_t v = __atomic_load_n(&word64, __ATOMIC_SEQ_CST); memcpy(out, &v, 8); break; }
    }
}

static void bump_word(unsigned w)
{
    switch (word_sizes[w]) {
    case 1: __atomic_fetch_add(&word8, 1, __ATOMIC_SEQ_CST); break;
    case 2: __atomic_fetch_add(&word16, 1, __ATOMIC_SEQ_CST); break;
    case 4: __atomic_fetch_add(&word32, 1, __ATOMIC_SEQ_CST); break;
    default: __atomic_fetch_add(&word64, 1, __ATOMIC_SEQ_CST); break;
    }
}

static void *lot_waiter_main(void *arg)
{
    struct lot_waiter *me = (struct lot_waiter *)arg;
    uint64_t rng = opt.seed ^ ((uint64_t)(uintptr_t)me * UINT64_C(0xA0761D6478BD642F)) ^ 3u;

    while (!atomic_load(&stop)) {
        uint64_t r = rng_next(&rng);
        unsigned w = (unsigned)(r % N_WORDS);
        uint64_t expected = 0, timeout, start, end;
        int res;

        switch ((r >> 8) % 4u) {
        case 0: timeout = 0; break;
        case 1: timeout = PARKER_FOREVER; break;
        default: timeout = (r >> 16) % (300u * NS_PER_US); break;
        }
        load_word(w, &expected);
        start = parker_now_ns();
        enter(me->slot, OP_LOT_PARK, words[w], timeout);
        res = parker_lot_park(words[w], &expected, word_sizes[w], timeout, me);
        end = parker_now_ns();
        leave(me->slot);
        switch (res) {
        case PARKER_OK:
            atomic_fetch_add(&me->oks, 1);
            atomic_fetch_add(&lot_oks, 1);
            break;
        case PARKER_AGAIN:
            atomic_fetch_add(&lot_agains, 1);
            break;
        case PARKER_TIMEDOUT:
            atomic_fetch_add(&lot_timeouts, 1);
            if (timeout == PARKER_FOREVER || end - start < timeout)
                fail("lot waiter %d: timeout %" PRIu64 " ended after %" PRIu64 " ns",
                     me->slot->id, timeout, end - start);
            break;
        default:
            fail("lot waiter %d: parker_lot_park returned %d", me->slot->id, res);
        }
    }
    atomic_fetch_sub(&lot_waiters_alive, 1);
    return NULL;
}

struct unpark_ctx {
    int calls;
    void *park_arg;
};

static void on_unpark(void *arg, void *park_arg, int has_more)
{
    struct unpark_ctx *c = (struct unpark_ctx *)arg;
    (void)has_more;
    c->calls++;
    c->park_arg = park_arg;
    if (park_arg != NULL)
        atomic_fetch_add(&((struct lot_waiter *)park_arg)->claimed, 1);
}

static void *lot_waker_main(void *arg)
{
    struct slot *s = (struct slot *)arg;
    uint64_t rng = opt.seed ^ ((uint64_t)(uintptr_t)s * UINT64_C(0xE7037ED1A0B428DB)) ^ 4u;

    while (atomic_load(&lot_waiters_alive) > 0 && !deserting()) {
        uint64_t r = rng_next(&rng);
        unsigned w = (unsigned)(r % N_WORDS);
        int stopping = atomic_load(&stop);

        if ((r >> 8) % 4u == 0)
            bump_word(w);
        if (!stopping && (r >> 16) % 4u != 0) {
            struct unpark_ctx c = {0, NULL};
            int n;
            enter(s, OP_LOT_UNPARK_ONE, words[w], 0);
            n = parker_lot_unpark_one(words[w], on_unpark, &c);
            leave(s);
            if (c.calls != 1)
                fail("lot waker %d: callback ran %d times", s->id, c.calls);
            if ((n == 1) != (c.park_arg != NULL) || (n != 0 && n != 1))
                fail("lot waker %d: unpark_one returned %d, callback park_arg %p", s->id, n,
                     c.park_arg);
            atomic_fetch_add(&lot_wakes, (uint64_t)n);
        } else {
            size_t n;
            enter(s, OP_LOT_UNPARK_ALL, words[w], 0);
            n = parker_lot_unpark_all(words[w]);
            leave(s);
            atomic_fetch_add(&lot_wakes, (uint64_t)n);
        }
        switch ((r >> 24) % 3u) {
        case 0: break;
        case 1: sched_yield(); break;
        default: pause_ns((r >> 40) % (150u * NS_PER_US)); break;
        }
    }
    return NULL;
}
#endif /* PARKER_STRESS_LOT */

/* ------------------------------------------------------------ the sync layer */

#if defined(PARKER_STRESS_SYNC)
#define N_ONCES 64u

static parker_mutex_t sync_mutex;
static parker_cond_t sync_cond;
static parker_event_t sync_event;
static parker_once_t sync_onces[N_ONCES];
static _Atomic uint64_t once_successes[N_ONCES];
static long sync_counter;            /* plain: only under sync_mutex */
static long sync_tickets;            /* plain: only under sync_mutex */
static int sync_stopping;            /* plain: only under sync_mutex */
static atomic_int sync_inside;       /* threads inside sync_mutex: 0 or 1 */
static atomic_int sync_alive;
static _Atomic uint64_t sync_locks, sync_chosen, sync_cond_oks, sync_cond_timeouts,
    sync_lock_timeouts, sync_event_oks, sync_once_calls;

struct once_arg {
    unsigned k;
    uint64_t r;
};

static int stress_once_init(void *arg)
{
    struct once_arg *a = (struct once_arg *)arg;
    if (a->r % 4u == 0)
        return 3; /* a failure: the flag stays not done and a later call retries */
    if (atomic_fetch_add(&once_successes[a->k], 1) != 0)
        fail("once %u: init succeeded twice", a->k);
    return 0;
}

static void sync_enter_cs(struct slot *s)
{
    (void)s;
    if (atomic_fetch_add(&sync_inside, 1) != 0)
        fail("sync: two threads inside the mutex");
}

static void sync_leave_cs(void)
{
    atomic_fetch_sub(&sync_inside, 1);
}

/* Lock sync_mutex with a random flavour; returns 0 if a timed lock gave up. */
static int sync_lock(struct slot *s, uint64_t r)
{
    uint64_t t = (r >> 20) % (100u * NS_PER_US), start, end;
    int res;
    enter(s, OP_MUTEX_LOCK, &sync_mutex, t);
    switch ((r >> 12) % 4u) {
    case 0:
    case 1:
        parker_mutex_lock(&sync_mutex);
        res = PARKER_OK;
        break;
    case 2:
        res = parker_mutex_trylock(&sync_mutex) == PARKER_OK ? PARKER_OK : PARKER_TIMEDOUT;
        t = 0;
        break;
    default:
        start = parker_now_ns();
        res = parker_mutex_lock_timeout(&sync_mutex, t);
        end = parker_now_ns();
        if (res == PARKER_TIMEDOUT && end - start < t)
            fail("sync %d: lock_timeout(%" PRIu64 ") gave up after %" PRIu64 " ns", s->id, t,
                 end - start);
        break;
    }
    leave(s);
    if (res != PARKER_OK) {
        atomic_fetch_add(&sync_lock_timeouts, 1);
        return 0;
    }
    sync_enter_cs(s);
    atomic_fetch_add(&sync_locks, 1);
    return 1;
}

static void sync_unlock(uint64_t r)
{
    sync_leave_cs();
    if ((r >> 30) % 5u == 0)
        parker_mutex_unlock_fair(&sync_mutex);
    else
        parker_mutex_unlock(&sync_mutex);
}

static void *sync_main(void *arg)
{
    struct slot *s = (struct slot *)arg;
    uint64_t rng = opt.seed ^ ((uint64_t)(uintptr_t)s * UINT64_C(0x8EBC6AF09C88C6E3)) ^ 5u;

    while (!atomic_load(&stop)) {
        uint64_t r = rng_next(&rng);
        switch (r % 10u) {
        default: /* 0-3: a critical section */
            if (sync_lock(s, r)) {
                sync_counter++;
                sync_unlock(r);
            }
            break;
        case 4:
        case 5: { /* wait for a ticket */
            uint64_t t = (r >> 8) % 4u == 0 ? PARKER_FOREVER : (r >> 16) % (500u * NS_PER_US);
            parker_mutex_lock(&sync_mutex);
            sync_enter_cs(s);
            while (sync_tickets == 0 && !sync_stopping) {
                uint64_t start = parker_now_ns(), end;
                int res;
                sync_leave_cs();
                enter(s, OP_COND_WAIT, &sync_cond, t);
                res = parker_cond_wait_timeout(&sync_cond, &sync_mutex, t);
                leave(s);
                end = parker_now_ns();
                if (!parker_mutex_is_locked(&sync_mutex))
                    fail("sync %d: condition wait returned without the mutex", s->id);
                sync_enter_cs(s);
                if (res == PARKER_OK) {
                    atomic_fetch_add(&sync_cond_oks, 1);
                } else {
                    atomic_fetch_add(&sync_cond_timeouts, 1);
                    if (t == PARKER_FOREVER || end - start < t)
                        fail("sync %d: condition wait (%" PRIu64 ") timed out after %" PRIu64
                             " ns", s->id, t, end - start);
                    break;
                }
            }
            if (sync_tickets > 0)
                sync_tickets--;
            sync_leave_cs();
            parker_mutex_unlock(&sync_mutex);
            break;
        }
        case 6: { /* hand out tickets */
            int held = (r >> 8) % 2u == 0, all = (r >> 9) % 4u == 0;
            uint64_t n;
            parker_mutex_lock(&sync_mutex);
            sync_enter_cs(s);
            sync_tickets += all ? 3 : 1;
            if (!held) {
                sync_leave_cs();
                parker_mutex_unlock(&sync_mutex);
            }
            enter(s, OP_COND_NOTIFY, &sync_cond, 0);
            n = all ? (uint64_t)parker_cond_broadcast(&sync_cond)
                    : (uint64_t)parker_cond_signal(&sync_cond);
            leave(s);
            atomic_fetch_add(&sync_chosen, n);
            if (held) {
                sync_leave_cs();
                parker_mutex_unlock(&sync_mutex);
            }
            break;
        }
        case 7: { /* event wait */
            uint64_t t = (r >> 8) % 8u == 0 ? PARKER_FOREVER : (r >> 16) % (300u * NS_PER_US);
            uint64_t start = parker_now_ns(), end;
            int res;
            enter(s, OP_EVENT_WAIT, &sync_event, t);
            res = parker_event_wait(&sync_event, t);
            leave(s);
            end = parker_now_ns();
            if (res == PARKER_OK)
                atomic_fetch_add(&sync_event_oks, 1);
            else if (t == PARKER_FOREVER || end - start < t)
                fail("sync %d: event wait (%" PRIu64 ") timed out after %" PRIu64 " ns", s->id, t,
                     end - start);
            break;
        }
        case 8: /* event set / reset */
            if ((r >> 8) % 2u == 0)
                parker_event_set(&sync_event);
            else
                parker_event_reset(&sync_event);
            break;
        case 9: { /* once */
            struct once_arg a;
            int res;
            a.k = (unsigned)((r >> 8) % N_ONCES);
            a.r = r >> 20;
            enter(s, OP_ONCE, &sync_onces[a.k], 0);
            res = parker_once(&sync_onces[a.k], stress_once_init, &a);
            leave(s);
            atomic_fetch_add(&sync_once_calls, 1);
            if (res == 0 && atomic_load(&once_successes[a.k]) != 1)
                fail("once %u: returned 0 after %" PRIu64 " successful inits", a.k,
                     atomic_load(&once_successes[a.k]));
            else if (res != 0 && res != 3)
                fail("once %u: returned %d", a.k, res);
            break;
        }
        }
    }
    atomic_fetch_sub(&sync_alive, 1);
    return NULL;
}

/* Keeps untimed waits from piling up: every sync thread may be inside an
 * untimed condition or event wait at once, so one thread that never waits
 * hands out a ticket and sets the event every few hundred microseconds,
 * until the sync threads are gone. */
static void *sync_ticker_main(void *arg)
{
    struct slot *s = (struct slot *)arg;
    uint64_t rng = opt.seed ^ 6u, n;
    while (atomic_load(&sync_alive) > 0) {
        uint64_t r = rng_next(&rng);
        int held = r % 2u == 0;
        parker_mutex_lock(&sync_mutex);
        sync_enter_cs(s);
        sync_tickets++;
        if (!held) {
            sync_leave_cs();
            parker_mutex_unlock(&sync_mutex);
        }
        enter(s, OP_COND_NOTIFY, &sync_cond, 0);
        n = (uint64_t)parker_cond_signal(&sync_cond);
        leave(s);
        atomic_fetch_add(&sync_chosen, n);
        if (held) {
            sync_leave_cs();
            parker_mutex_unlock(&sync_mutex);
        }
        if ((r >> 8) % 4u == 0)
            parker_event_set(&sync_event);
        pause_ns((r >> 16) % (400u * NS_PER_US));
    }
    return NULL;
}

/* After stop: release every untimed wait of the sync threads. */
static void sync_release_all(void)
{
    parker_mutex_lock(&sync_mutex);
    sync_stopping = 1;
    atomic_fetch_add(&sync_chosen, (uint64_t)parker_cond_broadcast(&sync_cond));
    parker_mutex_unlock(&sync_mutex);
    parker_event_set(&sync_event);
}

static void sync_check_end(void)
{
    uint64_t chosen = atomic_load(&sync_chosen), oks = atomic_load(&sync_cond_oks);
    unsigned k, done = 0;
    printf("stress: sync: %" PRIu64 " locks (%" PRIu64 " timed/try gave up), cond %" PRIu64
           " chosen by signal/broadcast, %" PRIu64 " PARKER_OK, %" PRIu64
           " PARKER_TIMEDOUT; event %" PRIu64 " PARKER_OK; %" PRIu64 " once calls\n",
           atomic_load(&sync_locks), atomic_load(&sync_lock_timeouts), chosen, oks,
           atomic_load(&sync_cond_timeouts), atomic_load(&sync_event_oks),
           atomic_load(&sync_once_calls));
    if (chosen != oks)
        fail("sync: signal/broadcast chose %" PRIu64 " waiters but %" PRIu64
             " waits returned PARKER_OK",
             chosen, oks);
    if ((uint64_t)sync_counter > atomic_load(&sync_locks))
        fail("sync: counter %ld above the %" PRIu64 " critical sections", sync_counter,
             atomic_load(&sync_locks));
    if (parker_mutex_is_locked(&sync_mutex))
        fail("sync: the mutex is still locked at the end");
    for (k = 0; k < N_ONCES; k++) {
        if (parker_once_is_done(&sync_onces[k])) {
            done++;
            if (atomic_load(&once_successes[k]) != 1)
                fail("once %u: done with %" PRIu64 " successful inits", k,
                     atomic_load(&once_successes[k]));
        } else if (atomic_load(&once_successes[k]) != 0) {
            fail("once %u: not done after a successful init", k);
        }
    }
    if (opt.sync_threads > 0 && (atomic_load(&sync_locks) == 0 || done == 0))
        fail("sync: no traffic at all");
}

/* ----------------------------------------- rwlock, semaphore, wait group */

static parker_rwlock_t s2_rw;
static atomic_int s2_readers, s2_writers; /* inside s2_rw */
static long s2_rw_counter;                /* plain: only under the write lock */
static _Atomic uint64_t s2_rw_writes, s2_rw_reads, s2_rw_timeouts;
static parker_sem_t s2_sem;
static _Atomic uint64_t s2_posted, s2_taken, s2_sem_timeouts;
static parker_waitgroup_t s2_wg;
static _Atomic uint64_t s2_wg_oks, s2_wg_timeouts;
static atomic_int s2_alive;

static void s2_check_timeout(const char *what, int id, uint64_t t, uint64_t start)
{
    uint64_t end = parker_now_ns();
    if (end - start < t)
        fail("sync2 %d: %s(%" PRIu64 ") timed out after %" PRIu64 " ns", id, what, t,
             end - start);
}

static void s2_write_section(void)
{
    if (atomic_fetch_add(&s2_writers, 1) != 0 || atomic_load(&s2_readers) != 0)
        fail("sync2: a writer is not alone in the rwlock");
    s2_rw_counter++;
    atomic_fetch_add(&s2_rw_writes, 1);
    atomic_fetch_sub(&s2_writers, 1);
}

static void s2_read_section(void)
{
    atomic_fetch_add(&s2_readers, 1);
    if (atomic_load(&s2_writers) != 0)
        fail("sync2: a reader is inside the rwlock with a writer");
    atomic_fetch_add(&s2_rw_reads, 1);
    atomic_fetch_sub(&s2_readers, 1);
}

static void s2_rwlock_op(struct slot *s, uint64_t r)
{
    uint64_t t = (r >> 20) % (300u * NS_PER_US), start = parker_now_ns();
    int res = PARKER_OK, write = (r >> 8) % 3u == 0;
    enter(s, OP_RWLOCK, &s2_rw, t);
    switch ((r >> 12) % 4u) {
    case 0:
        if (write)
            parker_rwlock_wrlock(&s2_rw);
        else
            parker_rwlock_rdlock(&s2_rw);
        break;
    case 1:
        res = write ? parker_rwlock_trywrlock(&s2_rw) : parker_rwlock_tryrdlock(&s2_rw);
        break;
    default:
        res = write ? parker_rwlock_wrlock_timeout(&s2_rw, t)
                    : parker_rwlock_rdlock_timeout(&s2_rw, t);
        if (res == PARKER_TIMEDOUT)
            s2_check_timeout(write ? "wrlock_timeout" : "rdlock_timeout", s->id, t, start);
        break;
    }
    leave(s);
    if (res != PARKER_OK) {
        atomic_fetch_add(&s2_rw_timeouts, 1);
        return;
    }
    if (write) {
        s2_write_section();
        if ((r >> 16) % 4u == 0) {
            parker_rwlock_downgrade(&s2_rw);
            s2_read_section();
            parker_rwlock_rdunlock(&s2_rw);
        } else {
            parker_rwlock_wrunlock(&s2_rw);
        }
    } else {
        s2_read_section();
        parker_rwlock_rdunlock(&s2_rw);
    }
}

static void s2_sem_op(struct slot *s, uint64_t r)
{
    uint64_t t = (r >> 20) % (300u * NS_PER_US), start = parker_now_ns();
    int res = PARKER_OK;
    /* Posts bring 0.5 units per operation and waits ask for 0.67, so the
     * count keeps running dry and waiters really queue. */
    if ((r >> 8) % 3u == 0) {
        uint32_t n = (uint32_t)((r >> 12) % 2u) + 1u;
        atomic_fetch_add(&s2_posted, n); /* counted before: a take never outruns it */
        parker_sem_post(&s2_sem, n);
        return;
    }
    enter(s, OP_SEM_WAIT, &s2_sem, t);
    switch ((r >> 12) % 4u) {
    case 0:
        parker_sem_wait(&s2_sem);
        break;
    case 1:
        res = parker_sem_trywait(&s2_sem);
        break;
    default:
        res = parker_sem_wait_timeout(&s2_sem, t);
        if (res == PARKER_TIMEDOUT)
            s2_check_timeout("sem_wait_timeout", s->id, t, start);
        break;
    }
    leave(s);
    if (res == PARKER_OK) {
        uint64_t taken = atomic_fetch_add(&s2_taken, 1) + 1;
        if (taken > atomic_load(&s2_posted))
            fail("sync2: %" PRIu64 " semaphore units taken but only %" PRIu64 " posted", taken,
                 atomic_load(&s2_posted));
    } else {
        atomic_fetch_add(&s2_sem_timeouts, 1);
    }
}

static void s2_waitgroup_op(struct slot *s, uint64_t r)
{
    if ((r >> 8) % 2u == 0) {
        int32_t k = (int32_t)((r >> 12) % 3u) + 1;
        parker_waitgroup_add(&s2_wg, k);
        pause_ns((r >> 24) % (50u * NS_PER_US));
        while (k-- > 0)
            parker_waitgroup_done(&s2_wg);
    } else {
        /* Only timed waits: other threads may keep the count above zero. */
        uint64_t t = (r >> 20) % (500u * NS_PER_US), start = parker_now_ns();
        int res;
        enter(s, OP_WG_WAIT, &s2_wg, t);
        res = parker_waitgroup_wait(&s2_wg, t);
        leave(s);
        if (res == PARKER_OK) {
            atomic_fetch_add(&s2_wg_oks, 1);
        } else {
            atomic_fetch_add(&s2_wg_timeouts, 1);
            s2_check_timeout("waitgroup_wait", s->id, t, start);
        }
    }
}

static void *s2_main(void *arg)
{
    struct slot *s = (struct slot *)arg;
    uint64_t rng = opt.seed ^ ((uint64_t)(uintptr_t)s * UINT64_C(0x8EBC6AF09C88C6E3)) ^ 7u;
    while (!atomic_load(&stop)) {
        uint64_t r = rng_next(&rng);
        switch (r % 3u) {
        case 0:
            s2_rwlock_op(s, r);
            break;
        case 1:
            s2_sem_op(s, r);
            break;
        default:
            s2_waitgroup_op(s, r);
            break;
        }
        if ((r >> 40) % 8u == 0)
            pause_ns((r >> 44) % (100u * NS_PER_US));
    }
    atomic_fetch_sub(&s2_alive, 1);
    return NULL;
}

/* Three threads, phases of a barrier of 3.  They leave together: after each
 * phase the serial thread publishes whether to stop, and a second wait
 * orders that write before everyone reads it. */
#define S2_BARRIER_THREADS 3
static parker_barrier_t s2_bar;
static unsigned s2_bar_data[S2_BARRIER_THREADS];
static int s2_bar_quit;                  /* plain: written by the serial thread */
static _Atomic uint64_t s2_bar_phases, s2_bar_returns;

static void *s2_barrier_main(void *arg)
{
    struct slot *s = (struct slot *)arg;
    unsigned round, k;
    for (round = 1;; round++) {
        int serial;
        s2_bar_data[s->id] = round;
        enter(s, OP_BARRIER_WAIT, &s2_bar, round);
        serial = parker_barrier_wait(&s2_bar);
        leave(s);
        atomic_fetch_add(&s2_bar_returns, 1);
        for (k = 0; k < S2_BARRIER_THREADS; k++)
            if (s2_bar_data[k] != round)
                fail("barrier %d: phase %u sees thread %u at %u", s->id, round, k,
                     s2_bar_data[k]);
        if (serial) {
            atomic_fetch_add(&s2_bar_phases, 1);
            s2_bar_quit = atomic_load(&stop);
            /* A steady supply of semaphore units, so that untimed waits of
             * the sync2 threads always end (they may all be waiting). */
            atomic_fetch_add(&s2_posted, 1);
            parker_sem_post(&s2_sem, 1);
        }
        enter(s, OP_BARRIER_WAIT, &s2_bar, round);
        serial = parker_barrier_wait(&s2_bar);
        leave(s);
        if (s2_bar_quit)
            break;
    }
    return NULL;
}

/* After stop: untimed semaphore waits end only when units come. */
static void s2_release_all(void)
{
    atomic_fetch_add(&s2_posted, opt.sync2_threads);
    parker_sem_post(&s2_sem, opt.sync2_threads);
}

static void s2_check_end(void)
{
    uint64_t posted = atomic_load(&s2_posted), taken = atomic_load(&s2_taken);
    uint64_t phases = atomic_load(&s2_bar_phases);
    printf("stress: sync2: rwlock %" PRIu64 " writes, %" PRIu64 " reads, %" PRIu64
           " timed/try gave up; sem %" PRIu64 " posted, %" PRIu64 " taken, %" PRIu64
           " gave up; waitgroup %" PRIu64 " PARKER_OK, %" PRIu64
           " PARKER_TIMEDOUT; barrier %" PRIu64 " phases\n",
           atomic_load(&s2_rw_writes), atomic_load(&s2_rw_reads), atomic_load(&s2_rw_timeouts),
           posted, taken, atomic_load(&s2_sem_timeouts), atomic_load(&s2_wg_oks),
           atomic_load(&s2_wg_timeouts), phases);
    if ((uint64_t)s2_rw_counter != atomic_load(&s2_rw_writes))
        fail("sync2: rwlock counter %ld, %" PRIu64 " write sections", s2_rw_counter,
             atomic_load(&s2_rw_writes));
    if (parker_rwlock_trywrlock(&s2_rw) != PARKER_OK)
        fail("sync2: the rwlock is not free at the end");
    else
        parker_rwlock_wrunlock(&s2_rw);
    if (posted != taken + parker_sem_value(&s2_sem))
        fail("sync2: %" PRIu64 " units posted, %" PRIu64 " taken, %u left", posted, taken,
             parker_sem_value(&s2_sem));
    if (parker_waitgroup_count(&s2_wg) != 0)
        fail("sync2: wait group count %d at the end", (int)parker_waitgroup_count(&s2_wg));
    if (atomic_load(&s2_bar_returns) != S2_BARRIER_THREADS * phases)
        fail("sync2: %" PRIu64 " barrier returns for %" PRIu64 " phases",
             atomic_load(&s2_bar_returns), phases);
    if (opt.sync2_threads > 0 &&
        (atomic_load(&s2_rw_writes) == 0 || taken == 0 || atomic_load(&s2_wg_oks) == 0 ||
         phases == 0))
        fail("sync2: no traffic at all");
}
#endif /* PARKER_STRESS_SYNC */

/* ------------------------------------------------------------ watchdog */

static void report_and_die(const char *why, int culprit)
{
    uint64_t now = parker_now_ns();
    int i, n = atomic_load(&n_slots);

    fprintf(stderr, "\nSTRESS HANG: %s\nthread states (op, for how long, on what):\n", why);
    for (i = 0; i < n; i++) {
        struct slot *s = &slots[i];
        int op = atomic_load(&s->op);
        uint64_t since = atomic_load(&s->since);
        uintptr_t target = atomic_load(&s->target);
        fprintf(stderr, "  %c %-11s %3d  %-22s", i == culprit ? '*' : ' ', s->role, s->id,
                op_names[op]);
        if (op != OP_IDLE) {
            fprintf(stderr, " for %.3f s on %p", (double)(now - since) / 1e9, (void *)target);
            if (op == OP_PARK || op == OP_PARK_TIMEOUT || op == OP_PARK_UNTIL) {
                const parker_t *p = (const parker_t *)target;
                fprintf(stderr, " (state word 0x%08" PRIx32 ", arg %" PRIu64 ")",
                        __atomic_load_n(&p->private_state_, __ATOMIC_RELAXED),
                        atomic_load(&s->arg));
            } else if (op == OP_LOT_PARK) {
                fprintf(stderr, " (timeout %" PRIu64 ")", atomic_load(&s->arg));
            }
        }
        fprintf(stderr, ", %" PRIu64 " ops done\n", atomic_load(&s->iterations));
    }
    if (owners != NULL) {
        unsigned k;
        fprintf(stderr, "owners' parkers (unparks started / tokens consumed):\n");
        for (k = 0; k < opt.owners; k++)
            fprintf(stderr, "  owner %u at %p: %" PRIu64 " / %" PRIu64 "\n", k,
                    (void *)&owners[k].parker, atomic_load(&owners[k].unparks),
                    atomic_load(&owners[k].oks));
    }
    fflush(stderr);
    _exit(2);
}

#if defined(PARKER_STRESS_SYNC)
/* Deadlock checks (a library built with -DPARKER_DEADLOCK_DETECTION=ON;
 * otherwise every check answers PARKER_DEADLOCK_UNAVAILABLE).  The stress
 * threads never hold two locks at once, so any cycle is the detector's
 * error.  A timed wait may sit in a cycle that its timeout breaks, so only
 * a cycle seen in 10 checks in a row (1 s) is reported. */
static uint64_t deadlock_checks;
static unsigned deadlock_seen_in_a_row, deadlock_cycles_max;

static void check_deadlocks(void)
{
    parker_deadlock_cycle_t cycles[2];
    size_t n = parker_deadlock_check(cycles, 2);
    if (n == PARKER_DEADLOCK_UNAVAILABLE)
        return;
    deadlock_checks++;
    deadlock_seen_in_a_row = n == 0 ? 0 : deadlock_seen_in_a_row + 1;
    if (n > deadlock_cycles_max)
        deadlock_cycles_max = (unsigned)n;
    if (deadlock_seen_in_a_row >= 10)
        report_and_die("parker_deadlock_check reported a cycle for 1 s", -1);
}
#endif

static void *watchdog_main(void *arg)
{
    uint64_t hang_ns = (uint64_t)opt.hang_seconds * NS_PER_S;
    uint64_t end_by = *(uint64_t *)arg;
    (void)arg;

    while (!atomic_load(&finished)) {
#if defined(PARKER_STRESS_SYNC)
        check_deadlocks();
#endif
        uint64_t now = parker_now_ns();
        int i, n = atomic_load(&n_slots);
        for (i = 0; i < n; i++) {
            int op = atomic_load_explicit(&slots[i].op, memory_order_acquire);
            uint64_t since = atomic_load_explicit(&slots[i].since, memory_order_relaxed);
            if (op != OP_IDLE && op != OP_JOIN && now > since && now - since > hang_ns) {
                char why[160];
                snprintf(why, sizeof why, "%s %d has been in %s for more than %u s",
                         slots[i].role, slots[i].id, op_names[op], opt.hang_seconds);
                report_and_die(why, i);
            }
        }
        if (now > end_by)
            report_and_die("the run did not shut down in time", -1);
        pause_ns(100u * 1000u * NS_PER_US);
    }
    return NULL;
}

/* ------------------------------------------------------------------ main */

static unsigned parse_uint(const char *flag, const char *v)
{
    char *end;
    unsigned long x = strtoul(v != NULL ? v : "", &end, 0);
    if (v == NULL || *end != 0) {
        fprintf(stderr, "stress: %s needs a number\n", flag);
        exit(64);
    }
    return (unsigned)x;
}

int main(int argc, char **argv)
{
    pthread_t threads[MAX_THREADS], watchdog;
    int n_threads = 0, i;
    unsigned k;
    uint64_t start, end_by;
    struct slot *main_slot;
#if defined(PARKER_STRESS_LOT)
    struct lot_waiter *waiters;
#endif

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--seconds") == 0) opt.seconds = parse_uint(a, v);
        else if (strcmp(a, "--owners") == 0) opt.owners = parse_uint(a, v);
        else if (strcmp(a, "--unparkers") == 0) opt.unparkers = parse_uint(a, v);
        else if (strcmp(a, "--lot-waiters") == 0) opt.lot_waiters = parse_uint(a, v);
        else if (strcmp(a, "--lot-wakers") == 0) opt.lot_wakers = parse_uint(a, v);
        else if (strcmp(a, "--sync-threads") == 0) opt.sync_threads = parse_uint(a, v);
        else if (strcmp(a, "--sync2-threads") == 0) opt.sync2_threads = parse_uint(a, v);
        else if (strcmp(a, "--hang-seconds") == 0) opt.hang_seconds = parse_uint(a, v);
        else if (strcmp(a, "--seed") == 0) opt.seed = parse_uint(a, v);
        else if (strcmp(a, "--selftest-hang") == 0) { selftest_hang = 1; continue; }
        else {
            fprintf(stderr, "usage: stress [--seconds N] [--owners N] [--unparkers N] "
                            "[--lot-waiters N] [--lot-wakers N] [--sync-threads N] "
                            "[--sync2-threads N] "
                            "[--hang-seconds N] [--seed N] [--selftest-hang]\n");
            return 64;
        }
        i++;
    }
    if (opt.owners == 0 || opt.unparkers == 0 || opt.hang_seconds == 0 ||
        opt.owners + opt.unparkers + opt.lot_waiters + opt.lot_wakers + opt.sync_threads +
                opt.sync2_threads + 2 + S2_THREADS_EXTRA >
            MAX_THREADS) {
        fprintf(stderr, "stress: need owners, unparkers, hang-seconds > 0 and < %d threads\n",
                MAX_THREADS);
        return 64;
    }
#if defined(PARKER_STRESS_LOT)
    if ((opt.lot_waiters == 0) != (opt.lot_wakers == 0)) {
        fprintf(stderr, "stress: lot waiters and lot wakers go together\n");
        return 64;
    }
#else
    opt.lot_waiters = opt.lot_wakers = 0;
#endif
#if !defined(PARKER_STRESS_SYNC)
    opt.sync_threads = 0;
    opt.sync2_threads = 0;
#endif
    if (opt.seed == 0)
        opt.seed = parker_now_ns() | 1u;

    printf("stress: backend %s, %u s, %u owners, %u unparkers, %u lot waiters, %u lot wakers, "
           "%u sync threads, %u sync2 threads%s, hang limit %u s, seed %" PRIu64 "\n",
           parker_backend(), opt.seconds, opt.owners, opt.unparkers, opt.lot_waiters,
           opt.lot_wakers, opt.sync_threads, opt.sync2_threads,
#if defined(PARKER_STRESS_LOT)
           "",
#else
           " (no parker_lot.h in this build: lot part off)",
#endif
           opt.hang_seconds, opt.seed);
    fflush(stdout);

    main_slot = new_slot("main", 0);
    owners = (struct owner *)calloc(opt.owners, sizeof *owners);
    if (owners == NULL)
        return 1;
    atomic_store(&owners_alive, (int)opt.owners);
    for (k = 0; k < opt.owners; k++) {
        if (parker_init(&owners[k].parker) != 0)
            return 1;
        owners[k].slot = new_slot("owner", (int)k);
    }
    start = parker_now_ns();
    run_start = start;
    end_by = start + ((uint64_t)opt.seconds + 2u * opt.hang_seconds) * NS_PER_S;
    if (pthread_create(&watchdog, NULL, watchdog_main, &end_by) != 0)
        return 1;
    for (k = 0; k < opt.owners; k++)
        if (pthread_create(&threads[n_threads++], NULL, owner_main, &owners[k]) != 0)
            return 1;
    for (k = 0; k < opt.unparkers; k++)
        if (pthread_create(&threads[n_threads++], NULL, unparker_main,
                           new_slot("unparker", (int)k)) != 0)
            return 1;
#if defined(PARKER_STRESS_LOT)
    waiters = (struct lot_waiter *)calloc(opt.lot_waiters + 1u, sizeof *waiters);
    if (waiters == NULL)
        return 1;
    atomic_store(&lot_waiters_alive, (int)opt.lot_waiters);
    for (k = 0; k < opt.lot_waiters; k++) {
        waiters[k].slot = new_slot("lot-waiter", (int)k);
        if (pthread_create(&threads[n_threads++], NULL, lot_waiter_main, &waiters[k]) != 0)
            return 1;
    }
    for (k = 0; k < opt.lot_wakers; k++)
        if (pthread_create(&threads[n_threads++], NULL, lot_waker_main,
                           new_slot("lot-waker", (int)k)) != 0)
            return 1;
#endif
#if defined(PARKER_STRESS_SYNC)
    atomic_store(&sync_alive, (int)opt.sync_threads);
    for (k = 0; k < opt.sync_threads; k++)
        if (pthread_create(&threads[n_threads++], NULL, sync_main, new_slot("sync", (int)k)) != 0)
            return 1;
    if (opt.sync_threads > 0 &&
        pthread_create(&threads[n_threads++], NULL, sync_ticker_main, new_slot("sync-ticker", 0)) != 0)
        return 1;
    atomic_store(&s2_alive, (int)opt.sync2_threads);
    for (k = 0; k < opt.sync2_threads; k++)
        if (pthread_create(&threads[n_threads++], NULL, s2_main, new_slot("sync2", (int)k)) != 0)
            return 1;
    if (opt.sync2_threads > 0) {
        if (parker_barrier_init(&s2_bar, S2_BARRIER_THREADS) != PARKER_OK)
            return 1;
        for (k = 0; k < S2_BARRIER_THREADS; k++)
            if (pthread_create(&threads[n_threads++], NULL, s2_barrier_main,
                               new_slot("barrier", (int)k)) != 0)
                return 1;
    }
#endif

    pause_ns((uint64_t)opt.seconds * NS_PER_S);
    atomic_store(&stop, 1);
#if defined(PARKER_STRESS_SYNC)
    /* Untimed condition and event waits end only when released. */
    while (atomic_load(&sync_alive) > 0) {
        sync_release_all();
        pause_ns(NS_PER_S / 1000u);
    }
    while (atomic_load(&s2_alive) > 0) {
        s2_release_all();
        pause_ns(NS_PER_S / 1000u);
    }
#endif
    for (i = 0; i < n_threads; i++) {
        enter(main_slot, OP_JOIN, NULL, (uint64_t)i);
        pthread_join(threads[i], NULL);
        leave(main_slot);
    }
    atomic_store(&finished, 1);
    pthread_join(watchdog, NULL);
#if defined(PARKER_STRESS_SYNC)
    if (parker_deadlock_check(NULL, 0) != PARKER_DEADLOCK_UNAVAILABLE)
        printf("stress: deadlock detection: %" PRIu64 " checks, at most %u cycle(s) in one "
               "snapshot, none lasting\n",
               deadlock_checks, deadlock_cycles_max);
#endif

    {
        uint64_t unparks = 0, oks = 0;
        for (k = 0; k < opt.owners; k++) {
            unparks += atomic_load(&owners[k].unparks);
            oks += atomic_load(&owners[k].oks);
            parker_destroy(&owners[k].parker);
        }
        printf("stress: %" PRIu64 " operations; parker: %" PRIu64 " unparks, %" PRIu64
               " tokens consumed\n",
               atomic_load(&total_ops), unparks, oks);
        if (oks == 0 || unparks == 0)
            fail("no parker traffic at all");
    }
#if defined(PARKER_STRESS_LOT)
    {
        uint64_t oks = atomic_load(&lot_oks), wakes = atomic_load(&lot_wakes);
        printf("stress: lot: %" PRIu64 " wake-ups reported, %" PRIu64 " PARKER_OK, %" PRIu64
               " PARKER_TIMEDOUT, %" PRIu64 " PARKER_AGAIN\n",
               wakes, oks, atomic_load(&lot_timeouts), atomic_load(&lot_agains));
        if (oks != wakes)
            fail("lot: %" PRIu64 " wake-ups reported but %" PRIu64 " parks returned PARKER_OK",
                 wakes, oks);
        for (k = 0; k < opt.lot_waiters; k++)
            if (atomic_load(&waiters[k].claimed) > atomic_load(&waiters[k].oks))
                fail("lot waiter %u: named by %" PRIu64 " callbacks, woken %" PRIu64 " times", k,
                     atomic_load(&waiters[k].claimed), atomic_load(&waiters[k].oks));
        if (opt.lot_waiters > 0 && oks == 0)
            fail("lot: no wake-up at all");
        free(waiters);
    }
#endif
#if defined(PARKER_STRESS_SYNC)
    sync_check_end();
    s2_check_end();
#endif
    free(owners);
    if (atomic_load(&failures) != 0) {
        printf("stress: FAILED (%d invariant violations)\n", atomic_load(&failures));
        return 1;
    }
    printf("stress: passed\n");
    return 0;
}
