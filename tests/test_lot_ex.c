/*
 * test_lot_ex.c - the lot's extended calls for building locks
 * (parker_lot.h, "Extended calls"): unpark tokens, be_fair, timed_out,
 * filters and requeue decided under both queue locks; the same tests for
 * every backend.  Threads only record what happened; the cmocka assertions
 * run on the main thread.
 */
#include "common.h"

#include "parker_lot.h"
#include "lot_hash.h" /* private: to pick addresses that do or do not share a bucket */

#include <stdatomic.h>

/* Bound on every "wait until" loop: a hang is a failure, not a timeout. */
#define BOUND_NS (20000 * NS_PER_MS)

#define WAIT_UNTIL(cond)                                                        \
    do {                                                                        \
        uint64_t wait_until_t0_ = parker_now_ns();                              \
        while (!(cond)) {                                                       \
            if (parker_now_ns() - wait_until_t0_ > BOUND_NS)                    \
                fail_msg("timed out waiting for: %s", #cond);                   \
            test_yield();                                                       \
        }                                                                       \
    } while (0)

/* Words to park on; 4096 of them over 1024 buckets: collisions exist. */
static _Alignas(8) uint32_t pool[4096];

static int same_bucket(const void *a, const void *b)
{
    return parker__lot_bucket_index((uintptr_t)a) == parker__lot_bucket_index((uintptr_t)b);
}

/* Two distinct pool words that share a bucket (wanted = 1) or do not. */
static void pick_pair(size_t from, int wanted, uint32_t **a, uint32_t **b)
{
    size_t i, j;
    for (i = from; i < 4096; i++)
        for (j = i + 1; j < 4096; j++)
            if (same_bucket(&pool[i], &pool[j]) == wanted) {
                *a = &pool[i];
                *b = &pool[j];
                return;
            }
    fail_msg("%s", "no such pair in the pool");
}

/* ---------------------------------------------------------------- waiters */

/*
 * A thread that parks once with parker_lot_park_ex and records everything
 * the lot told it.  before_sleep counts it in *queued, so the test knows it
 * is in the queue, in order.
 */
struct exw {
    const void *address;
    uint64_t timeout_ns; /* relative; PARKER_FOREVER */
    uint64_t wait_since_ns;
    void *park_arg;
    atomic_int *queued;
    /* results, written by the waiter's thread */
    int result;
    uintptr_t token;
    int timed_out_calls;
    const void *timed_out_address;
    int timed_out_last;
    uint64_t elapsed_ns;
    atomic_int done;
    pthread_t thread;
};

static void exw_before_sleep(void *arg)
{
    struct exw *w = (struct exw *)arg;
    atomic_fetch_add(w->queued, 1);
}

static void exw_timed_out(void *arg, const void *address, int was_last)
{
    struct exw *w = (struct exw *)arg;
    w->timed_out_calls++;
    w->timed_out_address = address;
    w->timed_out_last = was_last;
}

static void *exw_main(void *arg)
{
    struct exw *w = (struct exw *)arg;
    uint64_t t0 = parker_now_ns();
    uint64_t deadline = w->timeout_ns == PARKER_FOREVER ? PARKER_FOREVER : t0 + w->timeout_ns;
    w->result = parker_lot_park_ex(w->address, NULL, exw_before_sleep, exw_timed_out, w, deadline,
                                   w->park_arg, w->wait_since_ns, &w->token);
    w->elapsed_ns = parker_now_ns() - t0;
    atomic_store(&w->done, 1);
    return NULL;
}

/* Start a waiter and wait until it is queued (so FIFO order is start order). */
static void exw_start(struct exw *w, const void *address, uint64_t timeout_ns,
                      uint64_t wait_since_ns, atomic_int *queued)
{
    int before = atomic_load(queued);
    memset(w, 0, sizeof *w);
    w->address = address;
    w->timeout_ns = timeout_ns;
    w->wait_since_ns = wait_since_ns;
    w->park_arg = w;
    w->queued = queued;
    w->result = -1;
    w->token = (uintptr_t)0xDEAD; /* must be overwritten on PARKER_OK */
    w->thread = test_thread_start(exw_main, w);
    WAIT_UNTIL(atomic_load(queued) >= before + 1);
}

static void exw_join(struct exw *w)
{
    test_thread_join(w->thread);
}

/* Records what an extended unpark's callback saw, and returns `token`. */
struct ex_record {
    int calls;
    parker_lot_unpark_result_t r;
    uintptr_t token;
};

static uintptr_t ex_record_fn(void *arg, const parker_lot_unpark_result_t *r)
{
    struct ex_record *rec = (struct ex_record *)arg;
    rec->calls++;
    rec->r = *r;
    return rec->token;
}

static struct ex_record ex_record_make(uintptr_t token)
{
    struct ex_record rec;
    memset(&rec, 0, sizeof rec);
    rec.r.unparked = 99;
    rec.r.requeued = 99;
    rec.r.have_more_waiters = -1;
    rec.r.be_fair = -1;
    rec.r.park_arg = &rec;
    rec.token = token;
    return rec;
}

/* ------------------------------------------------------------ park_ex basics */

static void test_park_ex_rejects_a_null_address(void **state)
{
    uintptr_t token = 7;
    (void)state;
    assert_int_equal(PARKER_INVALID, parker_lot_park_ex(NULL, NULL, NULL, NULL, NULL,
                                                        PARKER_FOREVER, NULL, 0, &token));
    assert_int_equal(7, token);
}

static int validate_no(void *arg)
{
    (void)arg;
    return 0;
}

static int validate_yes(void *arg)
{
    (void)arg;
    return 1;
}

struct past_park {
    int before_sleep_calls;
    int self_unpark;
    int timed_out_calls;
    int timed_out_last;
    const void *timed_out_address;
    const void *address;
};

static void past_before_sleep(void *arg)
{
    struct past_park *p = (struct past_park *)arg;
    p->before_sleep_calls++;
    /* If the caller were queued, this would find it and wake it. */
    p->self_unpark = parker_lot_unpark_one(p->address, NULL, NULL);
}

static void past_timed_out(void *arg, const void *address, int was_last)
{
    struct past_park *p = (struct past_park *)arg;
    p->timed_out_calls++;
    p->timed_out_address = address;
    p->timed_out_last = was_last;
}

/*
 * A deadline at or before now: validate, then return without ever being in
 * the queue (an unpark from before_sleep finds nobody), with before_sleep
 * run (a condition variable unlocks there) and timed_out run with
 * was_last_waiter exact; validate failing gives AGAIN and neither callback.
 */
static void test_past_deadline_compares_and_never_queues(void **state)
{
    uint32_t *a = NULL, *b = NULL;
    struct exw other;
    atomic_int queued = 0;
    uint64_t deadlines[2];
    int i;
    (void)state;
    pick_pair(0, 1, &a, &b);
    deadlines[0] = 0;
    deadlines[1] = parker_now_ns();
    for (i = 0; i < 2; i++) {
        struct past_park p;
        uintptr_t token = 5;
        memset(&p, 0, sizeof p);
        p.address = a;
        p.self_unpark = -1;
        assert_int_equal(PARKER_TIMEDOUT,
                         parker_lot_park_ex(a, NULL, past_before_sleep, past_timed_out, &p,
                                            deadlines[i], NULL, 0, &token));
        assert_int_equal(1, p.before_sleep_calls);
        assert_int_equal(0, p.self_unpark);
        assert_int_equal(1, p.timed_out_calls);
        assert_ptr_equal(a, p.timed_out_address);
        assert_int_equal(1, p.timed_out_last);
        assert_int_equal(5, token); /* only PARKER_OK writes it */

        memset(&p, 0, sizeof p);
        p.address = a;
        p.self_unpark = -1;
        assert_int_equal(PARKER_TIMEDOUT, parker_lot_park_if(a, validate_yes,
                                                             past_before_sleep, &p, deadlines[i],
                                                             NULL));
        assert_int_equal(1, p.before_sleep_calls);
        assert_int_equal(0, p.self_unpark);

        memset(&p, 0, sizeof p);
        p.address = a;
        assert_int_equal(PARKER_AGAIN, parker_lot_park_ex(a, validate_no, past_before_sleep,
                                                          past_timed_out, &p, deadlines[i], NULL,
                                                          0, NULL));
        assert_int_equal(0, p.before_sleep_calls);
        assert_int_equal(0, p.timed_out_calls);
    }
    /* With another thread waiting on a (and none on b): was_last is 0 for a. */
    exw_start(&other, a, PARKER_FOREVER, 0, &queued);
    {
        struct past_park p;
        memset(&p, 0, sizeof p);
        p.address = b;
        assert_int_equal(PARKER_TIMEDOUT, parker_lot_park_ex(a, NULL, NULL, past_timed_out, &p, 0,
                                                             NULL, 0, NULL));
        assert_int_equal(1, p.timed_out_calls);
        assert_int_equal(0, p.timed_out_last);
        memset(&p, 0, sizeof p);
        assert_int_equal(PARKER_TIMEDOUT, parker_lot_park_ex(b, NULL, NULL, past_timed_out, &p, 0,
                                                             NULL, 0, NULL));
        assert_int_equal(1, p.timed_out_last);
    }
    assert_int_equal(1, parker_lot_unpark_all(a));
    exw_join(&other);
    assert_int_equal(PARKER_OK, other.result);
}

/* ------------------------------------------------------------------ tokens */

/* The token of the waker's callback reaches the woken thread; plain unparks
 * and a NULL callback give 0. */
static void test_unpark_token_reaches_the_woken_thread(void **state)
{
    uint32_t word = 0;
    struct exw w[4];
    struct ex_record rec = ex_record_make((uintptr_t)0xC0FFEE);
    atomic_int queued = 0;
    int i;
    (void)state;
    for (i = 0; i < 4; i++)
        exw_start(&w[i], &word, PARKER_FOREVER, 0, &queued);
    assert_int_equal(1, parker_lot_unpark_one_ex(&word, ex_record_fn, &rec));
    assert_int_equal(1, rec.calls);
    assert_int_equal(1, (int)rec.r.unparked);
    assert_int_equal(0, (int)rec.r.requeued);
    assert_int_equal(1, rec.r.have_more_waiters);
    assert_ptr_equal(&w[0], rec.r.park_arg);
    exw_join(&w[0]);
    assert_int_equal(PARKER_OK, w[0].result);
    assert_true(w[0].token == (uintptr_t)0xC0FFEE);

    assert_int_equal(1, parker_lot_unpark_one_ex(&word, NULL, NULL));
    exw_join(&w[1]);
    assert_int_equal(PARKER_OK, w[1].result);
    assert_true(w[1].token == 0);

    assert_int_equal(1, parker_lot_unpark_one(&word, NULL, NULL));
    exw_join(&w[2]);
    assert_int_equal(PARKER_OK, w[2].result);
    assert_true(w[2].token == 0);

    rec = ex_record_make(UINTPTR_MAX);
    assert_int_equal(1, parker_lot_unpark_one_ex(&word, ex_record_fn, &rec));
    assert_int_equal(0, rec.r.have_more_waiters);
    exw_join(&w[3]);
    assert_true(w[3].token == UINTPTR_MAX);

    /* Nobody: the callback still runs once, with an empty result. */
    rec = ex_record_make(1);
    assert_int_equal(0, parker_lot_unpark_one_ex(&word, ex_record_fn, &rec));
    assert_int_equal(1, rec.calls);
    assert_int_equal(0, (int)rec.r.unparked);
    assert_int_equal(0, rec.r.have_more_waiters);
    assert_int_equal(0, rec.r.be_fair);
    assert_null(rec.r.park_arg);
}

static void test_unpark_all_ex_gives_every_woken_thread_the_token(void **state)
{
    uint32_t *a = NULL, *b = NULL;
    struct exw wa[3], wb;
    atomic_int queued = 0;
    int i;
    (void)state;
    pick_pair(300, 1, &a, &b);
    exw_start(&wa[0], a, PARKER_FOREVER, 0, &queued);
    exw_start(&wb, b, PARKER_FOREVER, 0, &queued);
    exw_start(&wa[1], a, PARKER_FOREVER, 0, &queued);
    exw_start(&wa[2], a, PARKER_FOREVER, 0, &queued);
    assert_int_equal(3, parker_lot_unpark_all_ex(a, 42));
    for (i = 0; i < 3; i++) {
        exw_join(&wa[i]);
        assert_int_equal(PARKER_OK, wa[i].result);
        assert_true(wa[i].token == 42);
    }
    assert_int_equal(0, atomic_load(&wb.done));
    assert_int_equal(1, parker_lot_unpark_all(b));
    exw_join(&wb);
    assert_true(wb.token == 0);
}

/* -------------------------------------------------------------------- be_fair */

static int requeue_op_unpark_one(void *arg)
{
    (void)arg;
    return PARKER_LOT_REQUEUE_UNPARK_ONE;
}

static int requeue_op_all(void *arg)
{
    (void)arg;
    return PARKER_LOT_REQUEUE_ALL;
}

static int filter_unpark_all(void *arg, void *park_arg)
{
    (void)arg;
    (void)park_arg;
    return PARKER_LOT_FILTER_UNPARK;
}

/* A waiter whose wait began more than PARKER_LOT_FAIR_NS ago is reported
 * fair by every extended wake: unpark_one_ex, requeue_ex, unpark_filter;
 * and a requeued waiter keeps its wait_since. */
static void test_be_fair_is_set_for_a_waiter_waiting_since_long_ago(void **state)
{
    uint32_t *a = NULL, *b = NULL;
    struct exw w[4];
    atomic_int queued = 0;
    struct ex_record rec;
    uint64_t old;
    size_t moved = 99;
    int i;
    (void)state;
    pick_pair(400, 0, &a, &b);
    old = parker_now_ns() - 2 * (uint64_t)PARKER_LOT_FAIR_NS;
    for (i = 0; i < 4; i++)
        exw_start(&w[i], a, PARKER_FOREVER, old, &queued);

    rec = ex_record_make(1);
    assert_int_equal(1, parker_lot_unpark_one_ex(a, ex_record_fn, &rec));
    assert_int_equal(1, rec.r.be_fair);
    assert_ptr_equal(&w[0], rec.r.park_arg);

    rec = ex_record_make(2);
    assert_int_equal(1, parker_lot_requeue_ex(a, b, requeue_op_unpark_one, ex_record_fn, &rec,
                                              &moved));
    assert_int_equal(0, (int)moved);
    assert_int_equal(1, rec.r.be_fair);
    assert_ptr_equal(&w[1], rec.r.park_arg);

    /* Moved to b: still fair there. */
    assert_int_equal(0, parker_lot_requeue_ex(a, b, requeue_op_all, NULL, NULL, &moved));
    assert_int_equal(2, (int)moved);
    rec = ex_record_make(3);
    assert_int_equal(1, parker_lot_unpark_one_ex(b, ex_record_fn, &rec));
    assert_int_equal(1, rec.r.be_fair);
    assert_ptr_equal(&w[2], rec.r.park_arg);

    rec = ex_record_make(4);
    assert_int_equal(1, parker_lot_unpark_filter(b, filter_unpark_all, ex_record_fn, &rec));
    assert_int_equal(1, rec.r.be_fair);
    assert_ptr_equal(&w[3], rec.r.park_arg);

    for (i = 0; i < 4; i++) {
        exw_join(&w[i]);
        assert_int_equal(PARKER_OK, w[i].result);
        assert_true(w[i].token == (uintptr_t)(i + 1));
    }
}

/*
 * A waiter that passes wait_since 0 is stamped when it queues, so it is not
 * fair right away.  The check cannot flake: the waiter wakes itself from
 * before_sleep, and the sample counts only if less than PARKER_LOT_FAIR_NS
 * passed between the call and the callback (the lot's stamp is after the
 * first reading, its clock reading before the second), else it is retried.
 */
struct fresh {
    const void *address;
    uint64_t t_call, t_callback;
    int be_fair, woke;
};

static uintptr_t fresh_fn(void *arg, const parker_lot_unpark_result_t *r)
{
    struct fresh *f = (struct fresh *)arg;
    f->be_fair = r->be_fair;
    f->t_callback = parker_now_ns();
    return 0;
}

static void fresh_before_sleep(void *arg)
{
    struct fresh *f = (struct fresh *)arg;
    f->woke = parker_lot_unpark_one_ex(f->address, fresh_fn, f);
}

static void test_be_fair_is_clear_for_a_fresh_waiter(void **state)
{
    uint32_t word = 0;
    int tries, conclusive = 0;
    uint64_t t0 = parker_now_ns();
    (void)state;
    for (tries = 0; conclusive < 20; tries++) {
        struct fresh f;
        memset(&f, 0, sizeof f);
        f.address = &word;
        f.be_fair = -1;
        f.t_call = parker_now_ns();
        assert_int_equal(PARKER_OK,
                         parker_lot_park_ex(&word, NULL, fresh_before_sleep, NULL, &f,
                                            f.t_call + BOUND_NS, NULL, 0, NULL));
        assert_int_equal(1, f.woke);
        if (f.t_callback - f.t_call < (uint64_t)PARKER_LOT_FAIR_NS) {
            assert_int_equal(0, f.be_fair);
            conclusive++;
        }
        if (parker_now_ns() - t0 > BOUND_NS)
            fail_msg("only %d of %d samples took less than PARKER_LOT_FAIR_NS", conclusive, tries);
    }
}

/* --------------------------------------------------------------- timed_out */

/* timed_out runs exactly once when the waiter leaves by timeout, never
 * before its deadline, with the address and an exact was_last_waiter
 * (another address in the same bucket does not count); never when woken. */
static void test_timed_out_runs_once_on_timeout_with_exact_was_last(void **state)
{
    uint32_t *a = NULL, *b = NULL;
    struct exw w1, w2, wb, forever;
    atomic_int queued = 0;
    (void)state;
    pick_pair(600, 1, &a, &b);

    /* Alone on a, with a waiter on b in the same bucket. */
    exw_start(&wb, b, PARKER_FOREVER, 0, &queued);
    exw_start(&w1, a, 30 * NS_PER_MS, 0, &queued);
    exw_join(&w1);
    assert_int_equal(PARKER_TIMEDOUT, w1.result);
    assert_true(w1.elapsed_ns >= 30 * NS_PER_MS);
    assert_int_equal(1, w1.timed_out_calls);
    assert_ptr_equal(a, w1.timed_out_address);
    assert_int_equal(1, w1.timed_out_last);
    assert_true(w1.token == (uintptr_t)0xDEAD);

    /* Another waiter stays on a: not the last. */
    exw_start(&forever, a, PARKER_FOREVER, 0, &queued);
    exw_start(&w2, a, 30 * NS_PER_MS, 0, &queued);
    exw_join(&w2);
    assert_int_equal(PARKER_TIMEDOUT, w2.result);
    assert_int_equal(1, w2.timed_out_calls);
    assert_ptr_equal(a, w2.timed_out_address);
    assert_int_equal(0, w2.timed_out_last);

    /* Woken: no timed_out. */
    assert_int_equal(1, parker_lot_unpark_one(a, NULL, NULL));
    exw_join(&forever);
    assert_int_equal(PARKER_OK, forever.result);
    assert_int_equal(0, forever.timed_out_calls);
    assert_int_equal(1, parker_lot_unpark_all(b));
    exw_join(&wb);
    assert_int_equal(0, wb.timed_out_calls);
}

/* A requeued waiter that times out reports the address it was moved to. */
static void test_timed_out_reports_the_address_a_requeued_waiter_left(void **state)
{
    uint32_t *a = NULL, *b = NULL;
    struct exw w;
    atomic_int queued = 0;
    size_t moved = 0;
    (void)state;
    pick_pair(700, 0, &a, &b);
    exw_start(&w, a, 200 * NS_PER_MS, 0, &queued);
    assert_int_equal(0, parker_lot_requeue_ex(a, b, requeue_op_all, NULL, NULL, &moved));
    exw_join(&w);
    assert_int_equal(PARKER_TIMEDOUT, w.result);
    assert_int_equal(1, w.timed_out_calls);
    assert_int_equal(1, w.timed_out_last);
    if (moved == 1)
        assert_ptr_equal(b, w.timed_out_address);
    else /* it had timed out before the requeue: a very slow machine */
        assert_ptr_equal(a, w.timed_out_address);
    assert_int_equal(0, parker_lot_unpark_all(a));
    assert_int_equal(0, parker_lot_unpark_all(b));
}

/* ----------------------------------- timeout racing a wake: token, timed_out */

#define RACE_WAITERS 3
#define RACE_WAKERS 2

struct race_waiter {
    long ok, timeouts, timed_out_calls, other;
    uintptr_t tokens_received; /* sum */
    /* written by wakers' callbacks, under the bucket lock */
    long chosen;
    uintptr_t tokens_given; /* sum */
};

static uint32_t race_word;
static atomic_int race_stop;
static struct race_waiter race_w[RACE_WAITERS];
static long race_unparked[RACE_WAKERS];
static uintptr_t race_next_token; /* under the bucket lock */
static unsigned race_calls;       /* under the bucket lock */

static uintptr_t race_fn(void *arg, const parker_lot_unpark_result_t *r)
{
    struct race_waiter *w = (struct race_waiter *)r->park_arg;
    uintptr_t token;
    (void)arg;
    if (w == NULL)
        return 0;
    token = ++race_next_token;
    w->chosen++;
    w->tokens_given += token;
    /* Now and then hold the lock with the waiter already dequeued for
     * longer than its timeout, so that it times out, finds itself claimed,
     * and must take the token from the waker instead of leaving. */
    if (++race_calls % 4 == 0) {
        uint64_t until = parker_now_ns() + 40 * NS_PER_US;
        while (parker_now_ns() < until) {
        }
    }
    return token;
}

static void race_timed_out(void *arg, const void *address, int was_last)
{
    struct race_waiter *w = (struct race_waiter *)arg;
    (void)was_last;
    if (address != &race_word)
        w->other++;
    w->timed_out_calls++;
}

static void *race_waiter_main(void *arg)
{
    struct race_waiter *w = (struct race_waiter *)arg;
    uint32_t n = 0;
    while (!atomic_load(&race_stop)) {
        /* 0 to ~30 us: timeouts that expire while wakers are busy. */
        uint64_t timeout = (uint64_t)((n++ * 2654435761u) >> 27) * 1000u;
        uintptr_t token = 0;
        int r = parker_lot_park_ex(&race_word, NULL, NULL, race_timed_out, w,
                                   parker_now_ns() + timeout, w, 0, &token);
        if (r == PARKER_OK) {
            w->ok++;
            w->tokens_received += token;
        } else if (r == PARKER_TIMEDOUT) {
            w->timeouts++;
        } else {
            w->other++;
        }
    }
    return NULL;
}

static void *race_waker_main(void *arg)
{
    long *count = (long *)arg;
    uint64_t end = parker_now_ns() + 400 * NS_PER_MS;
    unsigned i = 0;
    while (parker_now_ns() < end) {
        *count += parker_lot_unpark_one_ex(&race_word, race_fn, NULL);
        if (++i % 8 == 0)
            test_yield();
    }
    return NULL;
}

/* Every wake is reported exactly once with its token, also when the
 * waiter's timeout expired meanwhile; timed_out runs exactly for the
 * PARKER_TIMEDOUT results. */
static void test_timeout_racing_a_wake_keeps_token_and_timed_out_exact(void **state)
{
    pthread_t tw[RACE_WAITERS], tk[RACE_WAKERS];
    long unparked = 0, ok = 0, timeouts = 0;
    int i;
    (void)state;
    atomic_store(&race_stop, 0);
    memset(race_w, 0, sizeof race_w);
    memset(race_unparked, 0, sizeof race_unparked);
    race_next_token = 0;
    race_calls = 0;
    for (i = 0; i < RACE_WAITERS; i++)
        tw[i] = test_thread_start(race_waiter_main, &race_w[i]);
    for (i = 0; i < RACE_WAKERS; i++)
        tk[i] = test_thread_start(race_waker_main, &race_unparked[i]);
    for (i = 0; i < RACE_WAKERS; i++) {
        test_thread_join(tk[i]);
        unparked += race_unparked[i];
    }
    atomic_store(&race_stop, 1);
    for (i = 0; i < RACE_WAITERS; i++)
        test_thread_join(tw[i]);
    for (i = 0; i < RACE_WAITERS; i++) {
        struct race_waiter *w = &race_w[i];
        if (w->ok != w->chosen || w->tokens_received != w->tokens_given ||
            w->timed_out_calls != w->timeouts || w->other != 0)
            fail_msg("waiter %d: %ld OK, chosen %ld; tokens %lu received, %lu given; "
                     "%ld timeouts, %ld timed_out calls; %ld other",
                     i, w->ok, w->chosen, (unsigned long)w->tokens_received,
                     (unsigned long)w->tokens_given, w->timeouts, w->timed_out_calls, w->other);
        ok += w->ok;
        timeouts += w->timeouts;
    }
    print_message("race: %ld unparks, %ld OK, %ld timeouts\n", unparked, ok, timeouts);
    assert_int_equal(unparked, ok);
    assert_true(ok > 0);
    assert_true(timeouts > 0);
}

/* ------------------------------------------------------------------ filter */

/* Waiters tagged 'R' (reader) or 'W' (writer) through their park_arg. */
struct tagged {
    struct exw w; /* first: park_arg (&w) is the struct */
    char tag;
};

/* One arg for both callbacks of unpark_filter: rec first, for ex_record_fn. */
struct filter_ctx {
    struct ex_record rec;
    int calls;
    char seen[16];
    int skip_writers; /* 0: readers up to the first writer; 1: every reader */
};

static int filter_readers(void *arg, void *park_arg)
{
    struct filter_ctx *f = (struct filter_ctx *)arg;
    char tag = ((struct tagged *)park_arg)->tag;
    if (f->calls < 15)
        f->seen[f->calls] = tag;
    f->calls++;
    if (tag == 'R')
        return PARKER_LOT_FILTER_UNPARK;
    return f->skip_writers ? PARKER_LOT_FILTER_SKIP : PARKER_LOT_FILTER_STOP;
}

static void tagged_start(struct tagged *t, const void *address, char tag, atomic_int *queued)
{
    t->tag = tag; /* before the thread can be seen by a filter */
    exw_start(&t->w, address, PARKER_FOREVER, 0, queued);
    t->w.park_arg = t; /* exw_start set it to &t->w, the same pointer */
}

static struct filter_ctx filter_ctx_make(int skip_writers, uintptr_t token)
{
    struct filter_ctx f;
    memset(&f, 0, sizeof f);
    f.rec = ex_record_make(token);
    f.skip_writers = skip_writers;
    return f;
}

/*
 * Queue on a: R0 R1 W2 R3 W4 (and a waiter on b, same bucket, in between).
 * Readers up to the first writer wakes R0 R1 and stops at W2 (the filter
 * sees R R W, never b's waiter); skipping writers then wakes R3 and leaves
 * W2 W4; the token reaches exactly the woken.
 */
static void test_filter_unparks_skips_and_stops_oldest_first(void **state)
{
    static const char tags[5] = {'R', 'R', 'W', 'R', 'W'};
    uint32_t *a = NULL, *b = NULL;
    struct tagged t[5], other;
    atomic_int queued = 0;
    struct filter_ctx f;
    int i;
    (void)state;
    pick_pair(800, 1, &a, &b);
    for (i = 0; i < 5; i++) {
        tagged_start(&t[i], a, tags[i], &queued);
        if (i == 1)
            tagged_start(&other, b, 'R', &queued);
    }

    f = filter_ctx_make(0, 21);
    assert_int_equal(2, parker_lot_unpark_filter(a, filter_readers, ex_record_fn, &f));
    assert_int_equal(3, f.calls);
    assert_memory_equal("RRW", f.seen, 3);
    assert_int_equal(1, f.rec.calls);
    assert_int_equal(2, (int)f.rec.r.unparked);
    assert_int_equal(1, f.rec.r.have_more_waiters);
    assert_ptr_equal(&t[0], f.rec.r.park_arg);
    for (i = 0; i < 2; i++) {
        exw_join(&t[i].w);
        assert_int_equal(PARKER_OK, t[i].w.result);
        assert_true(t[i].w.token == 21);
    }

    f = filter_ctx_make(1, 22);
    assert_int_equal(1, parker_lot_unpark_filter(a, filter_readers, ex_record_fn, &f));
    assert_int_equal(3, f.calls);
    assert_memory_equal("WRW", f.seen, 3);
    assert_int_equal(1, (int)f.rec.r.unparked);
    assert_int_equal(1, f.rec.r.have_more_waiters);
    assert_ptr_equal(&t[3], f.rec.r.park_arg);
    exw_join(&t[3].w);
    assert_true(t[3].w.token == 22);
    assert_int_equal(0, atomic_load(&t[2].w.done));
    assert_int_equal(0, atomic_load(&t[4].w.done));

    /* Only writers left: nothing woken, fn still runs once; have_more 1. */
    f = filter_ctx_make(1, 23);
    assert_int_equal(0, parker_lot_unpark_filter(a, filter_readers, ex_record_fn, &f));
    assert_int_equal(1, f.rec.calls);
    assert_int_equal(0, (int)f.rec.r.unparked);
    assert_int_equal(1, f.rec.r.have_more_waiters);
    assert_null(f.rec.r.park_arg);

    /* Wake the writers with a filter that takes everything: have_more 0. */
    f = filter_ctx_make(0, 24);
    assert_int_equal(2, parker_lot_unpark_filter(a, filter_unpark_all, ex_record_fn, &f));
    assert_int_equal(0, f.rec.r.have_more_waiters);
    assert_ptr_equal(&t[2], f.rec.r.park_arg);
    exw_join(&t[2].w);
    exw_join(&t[4].w);
    assert_true(t[2].w.token == 24 && t[4].w.token == 24);

    /* b's waiter was never touched; no waiters: fn runs with zeros. */
    assert_int_equal(0, atomic_load(&other.w.done));
    f = filter_ctx_make(0, 25);
    assert_int_equal(0, parker_lot_unpark_filter(a, filter_readers, ex_record_fn, &f));
    assert_int_equal(0, f.calls);
    assert_int_equal(1, f.rec.calls);
    assert_int_equal(0, f.rec.r.have_more_waiters);
    assert_int_equal(1, parker_lot_unpark_filter(b, filter_readers, NULL, &f));
    exw_join(&other.w);
    assert_true(other.w.token == 0);
}

/* ----------------------------------------------------------------- requeue_ex */

struct requeue_ctx {
    struct ex_record rec; /* first, for ex_record_fn */
    int op;
    int validate_calls;
};

static int requeue_validate_op(void *arg)
{
    struct requeue_ctx *c = (struct requeue_ctx *)arg;
    c->validate_calls++;
    return c->op;
}

/* Which of w[0..n) are still parked, as a bit mask. */
static unsigned still_parked(struct exw *w, int n)
{
    unsigned m = 0;
    int i;
    for (i = 0; i < n; i++)
        if (!atomic_load(&w[i].done))
            m |= 1u << i;
    return m;
}

/* Wake the waiters of address one by one and check their order. */
static void expect_queue(const void *address, struct exw **order, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        struct ex_record rec = ex_record_make(0);
        assert_int_equal(1, parker_lot_unpark_one_ex(address, ex_record_fn, &rec));
        assert_ptr_equal(order[i], rec.r.park_arg);
        assert_int_equal(i < n - 1, rec.r.have_more_waiters);
        exw_join(order[i]);
        assert_int_equal(PARKER_OK, order[i]->result);
    }
    assert_int_equal(0, parker_lot_unpark_all(address));
}

/*
 * Every op on from: w0 w1 w2, to: t.  Expected (woken, moved, have_more,
 * then the queues):
 *   ABORT                       0 0 -  fn not called; from w0 w1 w2, to t
 *   UNPARK_ONE_REQUEUE_REST     1 2 0  w0 woken with the token; to t w1 w2
 *   ALL                         0 3 0  to t w0 w1 w2
 *   UNPARK_ONE                  1 0 1  from w1 w2
 *   ONE                         0 1 1  from w1 w2; to t w0
 */
static void test_requeue_ex_does_what_validate_decides(void **state)
{
    static const struct {
        int op;
        int woken, moved, have_more;
    } cases[] = {
        {PARKER_LOT_REQUEUE_ABORT, 0, 0, -1},
        {PARKER_LOT_REQUEUE_UNPARK_ONE_REQUEUE_REST, 1, 2, 0},
        {PARKER_LOT_REQUEUE_ALL, 0, 3, 0},
        {PARKER_LOT_REQUEUE_UNPARK_ONE, 1, 0, 1},
        {PARKER_LOT_REQUEUE_ONE, 0, 1, 1},
    };
    size_t k;
    (void)state;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint32_t *from = NULL, *to = NULL;
        struct exw w[3], t;
        struct exw *on_from[3], *on_to[4];
        int n_from = 0, n_to = 0, i;
        atomic_int queued = 0;
        struct requeue_ctx c;
        size_t moved = 99, woken;

        pick_pair(1000 + 40 * k, (int)(k % 2), &from, &to); /* shared bucket or not */
        exw_start(&t, to, PARKER_FOREVER, 0, &queued);
        for (i = 0; i < 3; i++)
            exw_start(&w[i], from, PARKER_FOREVER, 0, &queued);
        memset(&c, 0, sizeof c);
        c.rec = ex_record_make(0x77);
        c.op = cases[k].op;
        woken = parker_lot_requeue_ex(from, to, requeue_validate_op, ex_record_fn, &c, &moved);
        assert_int_equal(1, c.validate_calls);
        assert_int_equal(cases[k].woken, (int)woken);
        assert_int_equal(cases[k].moved, (int)moved);
        if (cases[k].op == PARKER_LOT_REQUEUE_ABORT) {
            assert_int_equal(0, c.rec.calls);
        } else {
            assert_int_equal(1, c.rec.calls);
            assert_int_equal(cases[k].woken, (int)c.rec.r.unparked);
            assert_int_equal(cases[k].moved, (int)c.rec.r.requeued);
            assert_int_equal(cases[k].have_more, c.rec.r.have_more_waiters);
            assert_int_equal(0, c.rec.r.be_fair);
            if (cases[k].woken)
                assert_ptr_equal(&w[0], c.rec.r.park_arg);
            else
                assert_null(c.rec.r.park_arg);
        }
        if (cases[k].woken) {
            exw_join(&w[0]);
            assert_int_equal(PARKER_OK, w[0].result);
            assert_true(w[0].token == 0x77);
            assert_int_equal(6, (int)still_parked(w, 3));
        } else {
            assert_int_equal(7, (int)still_parked(w, 3));
        }
        /* The queues, in order. */
        on_to[n_to++] = &t;
        for (i = cases[k].woken; i < 3; i++) {
            if (i < cases[k].woken + cases[k].moved)
                on_to[n_to++] = &w[i];
            else
                on_from[n_from++] = &w[i];
        }
        expect_queue(to, on_to, n_to);
        expect_queue(from, on_from, n_from);
    }
}

/* from == to: the moved waiters go to the tail of the same queue. */
static void test_requeue_ex_onto_the_same_address_moves_to_the_tail(void **state)
{
    uint32_t word = 0;
    struct exw w[3];
    struct exw *order[3];
    atomic_int queued = 0;
    struct requeue_ctx c;
    size_t moved = 0;
    int i;
    (void)state;
    for (i = 0; i < 3; i++)
        exw_start(&w[i], &word, PARKER_FOREVER, 0, &queued);
    memset(&c, 0, sizeof c);
    c.rec = ex_record_make(0);
    c.op = PARKER_LOT_REQUEUE_ONE;
    assert_int_equal(0, parker_lot_requeue_ex(&word, &word, requeue_validate_op, ex_record_fn, &c,
                                              &moved));
    assert_int_equal(1, (int)moved);
    assert_int_equal(1, c.rec.r.have_more_waiters);
    order[0] = &w[1];
    order[1] = &w[2];
    order[2] = &w[0];
    expect_queue(&word, order, 3);
}

/*
 * validate runs with both queues locked: two threads start a park_ex on
 * `from` and on `to` (different buckets) while validate runs and waits; their
 * own validate cannot run before the requeue's returns.
 */
static struct {
    uint32_t *from, *to;
    atomic_int inside, started, ran_from, ran_to, leaving;
    int ran_while_inside;
} both;

static int both_validate_from(void *arg)
{
    (void)arg;
    atomic_store(&both.ran_from, 1);
    return 0;
}

static int both_validate_to(void *arg)
{
    (void)arg;
    atomic_store(&both.ran_to, 1);
    return 0;
}

static void *both_parker(void *arg)
{
    int to = arg != NULL;
    while (!atomic_load(&both.inside))
        test_yield();
    atomic_fetch_add(&both.started, 1);
    return (void *)(intptr_t)parker_lot_park_ex(to ? both.to : both.from, to ? both_validate_to
                                                                             : both_validate_from,
                                                NULL, NULL, NULL, PARKER_FOREVER, NULL, 0, NULL);
}

static int both_requeue_validate(void *arg)
{
    (void)arg;
    atomic_store(&both.inside, 1);
    while (atomic_load(&both.started) < 2)
        test_yield();
    test_sleep_ms(20); /* give the parks every chance to get in */
    both.ran_while_inside = atomic_load(&both.ran_from) + atomic_load(&both.ran_to);
    return PARKER_LOT_REQUEUE_ABORT;
}

static void test_requeue_ex_validate_runs_under_both_queue_locks(void **state)
{
    pthread_t t1, t2;
    void *r1 = NULL, *r2 = NULL;
    (void)state;
    memset(&both, 0, sizeof both);
    pick_pair(2000, 0, &both.from, &both.to);
    t1 = test_thread_start(both_parker, NULL);
    t2 = test_thread_start(both_parker, &both);
    assert_int_equal(0, parker_lot_requeue_ex(both.from, both.to, both_requeue_validate, NULL, NULL,
                                              NULL));
    assert_int_equal(0, pthread_join(t1, &r1));
    assert_int_equal(0, pthread_join(t2, &r2));
    assert_int_equal(0, both.ran_while_inside);
    assert_int_equal(PARKER_AGAIN, (int)(intptr_t)r1);
    assert_int_equal(PARKER_AGAIN, (int)(intptr_t)r2);
    assert_int_equal(1, atomic_load(&both.ran_from));
    assert_int_equal(1, atomic_load(&both.ran_to));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_park_ex_rejects_a_null_address),
        cmocka_unit_test(test_past_deadline_compares_and_never_queues),
        cmocka_unit_test(test_unpark_token_reaches_the_woken_thread),
        cmocka_unit_test(test_unpark_all_ex_gives_every_woken_thread_the_token),
        cmocka_unit_test(test_be_fair_is_set_for_a_waiter_waiting_since_long_ago),
        cmocka_unit_test(test_be_fair_is_clear_for_a_fresh_waiter),
        cmocka_unit_test(test_timed_out_runs_once_on_timeout_with_exact_was_last),
        cmocka_unit_test(test_timed_out_reports_the_address_a_requeued_waiter_left),
        cmocka_unit_test(test_timeout_racing_a_wake_keeps_token_and_timed_out_exact),
        cmocka_unit_test(test_filter_unparks_skips_and_stops_oldest_first),
        cmocka_unit_test(test_requeue_ex_does_what_validate_decides),
        cmocka_unit_test(test_requeue_ex_onto_the_same_address_moves_to_the_tail),
        cmocka_unit_test(test_requeue_ex_validate_runs_under_both_queue_locks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
