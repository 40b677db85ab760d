/*
 * test_sync_hooks.c - interleavings of the sync objects that only a
 * preemption at one exact point produces, forced with the test hooks of
 * src/test_hooks.h.  Linked against parker_hooked (tests/sync2.cmake), the
 * library's own sources built with PARKER_TEST_HOOKS; the installed library
 * has no hooks.
 *
 * Issue 23: parker_waitgroup_wait promises PARKER_OK once the count has been
 * zero at some moment after the call began.  A waiter stopped after the load
 * that began its call and before it is queued in the lot must still return
 * for a 1 -> 0 -> 1 that happens meanwhile (with nobody queued that zero
 * takes no lock at all; with another waiter queued it takes the queue lock,
 * but the stopped waiter is not in the queue either way).
 */
#include "sync_common.h"

#include "test_hooks.h"

/* ------------------------------------------------ holding one waiter */

/* The next hooked call to pass (armed == 1) stops until released; every
 * other call passes through.  Set before the threads start, cleared after
 * they are joined. */
static atomic_int hold_armed, hold_held, hold_release;

static void hold_hook(void *waitgroup)
{
    int one = 1;
    (void)waitgroup;
    if (!atomic_compare_exchange_strong(&hold_armed, &one, 0))
        return;
    atomic_store(&hold_held, 1);
    while (!atomic_load(&hold_release))
        test_yield();
}

static void hold_arm(void)
{
    atomic_store(&hold_armed, 1);
    atomic_store(&hold_held, 0);
    atomic_store(&hold_release, 0);
    parker__test_hook_waitgroup_wait = hold_hook;
    parker__test_hook_event_wait = hold_hook;
}

static void hold_disarm(void)
{
    parker__test_hook_waitgroup_wait = NULL;
    parker__test_hook_event_wait = NULL;
    atomic_store(&hold_armed, 0);
}

static void wg_call_start(struct wg_call *c, parker_waitgroup_t *w, uint64_t timeout_ns)
{
    c->w = w;
    c->timeout_ns = timeout_ns;
    atomic_init(&c->result, -1);
    c->thread = test_thread_start(wg_call_main, c);
}

/*
 * How long the held waiter may wait at most.  Only a wrong library ever
 * waits at all here (a right one returns as soon as it is released, without
 * parking: its validate sees the zero), so this is not a bound on anyone's
 * speed: it only turns the old bug's sleep into a failing PARKER_TIMEDOUT
 * instead of a hang.
 */
#define HELD_TIMEOUT_NS (2000 * NS_PER_MS)

/* The interleaving: count 1, W begins its wait and is stopped before
 * it is queued; the count goes 1 -> 0 -> 1 with nobody queued; W runs on and
 * must return PARKER_OK. */
static void test_held_waiter_returns_for_a_zero_with_nobody_queued(void **state)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT;
    struct wg_call c;
    (void)state;
    parker_waitgroup_add(&w, 1);
    hold_arm();
    wg_call_start(&c, &w, HELD_TIMEOUT_NS);
    SYNC_WAIT_UNTIL(atomic_load(&hold_held));
    assert_int_equal(0, (int)sync_lot_waiters(&w)); /* W is not queued */
    parker_waitgroup_done(&w);                      /* 1 -> 0: no lock taken */
    parker_waitgroup_add(&w, 1);                    /* 0 -> 1 before W runs on */
    atomic_store(&hold_release, 1);
    test_thread_join(c.thread);
    hold_disarm();
    assert_int_equal(PARKER_OK, atomic_load(&c.result));
    assert_int_equal(1, parker_waitgroup_count(&w));
    parker_waitgroup_done(&w);
}

/* The same while another waiter is queued: the zero then goes through the
 * queue lock and wakes the queued one, and the held one, which is not in the
 * queue, must still see it. */
static void test_held_waiter_returns_for_a_zero_that_woke_the_queue(void **state)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT;
    struct wg_call queued, held;
    (void)state;
    parker_waitgroup_add(&w, 1);
    wg_call_start(&queued, &w, PARKER_FOREVER);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&w) == 1);
    hold_arm();
    wg_call_start(&held, &w, HELD_TIMEOUT_NS);
    SYNC_WAIT_UNTIL(atomic_load(&hold_held));
    assert_int_equal(1, (int)sync_lot_waiters(&w));
    parker_waitgroup_done(&w);
    parker_waitgroup_add(&w, 1);
    atomic_store(&hold_release, 1);
    test_thread_join(queued.thread);
    test_thread_join(held.thread);
    hold_disarm();
    assert_int_equal(PARKER_OK, atomic_load(&queued.result));
    assert_int_equal(PARKER_OK, atomic_load(&held.result));
    parker_waitgroup_done(&w);
}

/* Several zeros while held (any number must do), then the waiter's
 * deadline passes while it is still held: the zeros came first, so it
 * returns PARKER_OK, not PARKER_TIMEDOUT. */
static void test_held_waiter_returns_for_zeros_even_past_its_deadline(void **state)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT;
    struct wg_call c;
    int i;
    (void)state;
    parker_waitgroup_add(&w, 1);
    hold_arm();
    wg_call_start(&c, &w, 5 * NS_PER_MS);
    SYNC_WAIT_UNTIL(atomic_load(&hold_held));
    for (i = 0; i < 1000; i++) {
        parker_waitgroup_done(&w);
        parker_waitgroup_add(&w, 1);
    }
    test_sleep_ms(10); /* its deadline is past now */
    atomic_store(&hold_release, 1);
    test_thread_join(c.thread);
    hold_disarm();
    assert_int_equal(PARKER_OK, atomic_load(&c.result));
    parker_waitgroup_done(&w);
}

/* The other half of the promise: a zero that came and went before the call
 * began is not seen, also if the waiter is held before parking. */
static void test_held_waiter_ignores_a_zero_before_its_call(void **state)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT;
    struct wg_call c;
    uint64_t timeout = 30 * NS_PER_MS;
    (void)state;
    parker_waitgroup_add(&w, 1);
    parker_waitgroup_done(&w);
    parker_waitgroup_add(&w, 1);
    hold_arm();
    wg_call_start(&c, &w, timeout);
    SYNC_WAIT_UNTIL(atomic_load(&hold_held));
    atomic_store(&hold_release, 1);
    test_thread_join(c.thread);
    hold_disarm();
    assert_int_equal(PARKER_TIMEDOUT, atomic_load(&c.result));
    assert_true(c.elapsed_ns >= timeout);
    parker_waitgroup_done(&w);
}

/* ------------------------------------------------ the event */

struct ev_call {
    parker_event_t *e;
    uint64_t timeout_ns;
    atomic_int result;
    uint64_t elapsed_ns;
    pthread_t thread;
};

static void *ev_call_main(void *arg)
{
    struct ev_call *c = arg;
    uint64_t t0 = parker_now_ns();
    int r = parker_event_wait(c->e, c->timeout_ns);
    c->elapsed_ns = parker_now_ns() - t0;
    atomic_store(&c->result, r);
    return NULL;
}

static void ev_call_start(struct ev_call *c, parker_event_t *e, uint64_t timeout_ns)
{
    c->e = e;
    c->timeout_ns = timeout_ns;
    atomic_init(&c->result, -1);
    c->thread = test_thread_start(ev_call_main, c);
}

/* The event's "reset racing wait" promise, for a waiter not yet queued: it
 * has begun its wait (found the event unset) and is stopped before it
 * parks; set then reset run with nobody queued (no lock taken, the byte's
 * SET bit back where it was); it must return PARKER_OK for that set. */
static void test_held_event_waiter_returns_for_a_set_undone_by_reset(void **state)
{
    parker_event_t e = PARKER_EVENT_INIT;
    struct ev_call c;
    (void)state;
    hold_arm();
    ev_call_start(&c, &e, HELD_TIMEOUT_NS);
    SYNC_WAIT_UNTIL(atomic_load(&hold_held));
    assert_int_equal(0, (int)sync_lot_waiters(&e));
    parker_event_set(&e);
    parker_event_reset(&e);
    atomic_store(&hold_release, 1);
    test_thread_join(c.thread);
    hold_disarm();
    assert_int_equal(PARKER_OK, atomic_load(&c.result));
    assert_int_equal(0, parker_event_is_set(&e));
}

/* The same while another waiter is parked (the set then wakes the queue),
 * and the converse: a set and reset before the call began are not seen. */
static void test_held_event_waiter_with_a_parked_one_and_a_pulse_before(void **state)
{
    parker_event_t e = PARKER_EVENT_INIT;
    struct ev_call parked, held, late;
    uint64_t timeout = 30 * NS_PER_MS;
    (void)state;
    ev_call_start(&parked, &e, PARKER_FOREVER);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&e) == 1);
    hold_arm();
    ev_call_start(&held, &e, HELD_TIMEOUT_NS);
    SYNC_WAIT_UNTIL(atomic_load(&hold_held));
    parker_event_set(&e);
    parker_event_reset(&e);
    atomic_store(&hold_release, 1);
    test_thread_join(parked.thread);
    test_thread_join(held.thread);
    hold_disarm();
    assert_int_equal(PARKER_OK, atomic_load(&parked.result));
    assert_int_equal(PARKER_OK, atomic_load(&held.result));
    /* That pulse is over: a wait that begins now waits for the next set. */
    hold_arm();
    ev_call_start(&late, &e, timeout);
    SYNC_WAIT_UNTIL(atomic_load(&hold_held));
    atomic_store(&hold_release, 1);
    test_thread_join(late.thread);
    hold_disarm();
    assert_int_equal(PARKER_TIMEDOUT, atomic_load(&late.result));
    assert_true(late.elapsed_ns >= timeout);
    assert_int_equal(0, (int)sync_lot_waiters(&e));
}

/* ------------------------------------------------ stress */

/*
 * Many waiters loop on wait while the main thread runs bursts of fast
 * 1 -> 0 -> 1 cycles, each burst once some of them (1 to all) are inside a
 * wait that did not find zero.  The hook does not stop anyone here: it records, per
 * waiter, the number of the call that has begun without finding the count
 * at zero (its first load is done).  Before each burst the main thread
 * takes a snapshot of those numbers; after the burst it makes no further
 * zero until every call in the snapshot has returned.  The hook also
 * yields or dawdles on most calls, where a preemption would, so that zeros
 * often fall between a waiter's first load and its park.  A call that began
 * before the burst's first zero and slept through it would therefore sleep
 * for good: that is reported as a failure after SYNC_BOUND_NS, never waited
 * out.  Each waiter also checks the other side: a call that did not find
 * zero at once returns only after a zero that began after the call did.
 */
#define ST_WAITERS 6

static parker_waitgroup_t st_wg;
static atomic_uint st_call[ST_WAITERS];     /* number of the waiter's current call */
static atomic_uint st_begun[ST_WAITERS];    /* last call that passed the hook */
static atomic_uint st_returned[ST_WAITERS]; /* last call that returned */
static atomic_uint st_zeros_started, st_zeros_done, st_slow_calls;
static atomic_int st_stop, st_bad;
static _Thread_local int st_slot = -1;
static _Thread_local int st_slow;

static void st_hook(void *waitgroup)
{
    unsigned n;
    (void)waitgroup;
    if (st_slot < 0)
        return;
    st_slow = 1;
    atomic_fetch_add(&st_slow_calls, 1);
    n = atomic_load(&st_call[st_slot]);
    atomic_store(&st_begun[st_slot], n);
    /* Widen the window a preemption would open here: give the core away,
     * or stay in it a little, on two calls of three. */
    if (n % 3 == 0)
        test_yield();
    else if (n % 3 == 1)
        sync_busy_ns(2 * NS_PER_US);
}

static void *st_waiter(void *arg)
{
    int i = (int)(intptr_t)arg;
    unsigned n = 0;
    st_slot = i;
    while (!atomic_load(&st_stop)) {
        unsigned d0 = atomic_load(&st_zeros_done);
        int r;
        atomic_store(&st_call[i], ++n);
        st_slow = 0;
        r = parker_waitgroup_wait(&st_wg, PARKER_FOREVER);
        if (r != PARKER_OK)
            atomic_store(&st_bad, 1);
        /* Not early: the zero it returned for began after d0 was read. */
        if (st_slow && atomic_load(&st_zeros_started) < d0 + 1)
            atomic_store(&st_bad, 2);
        atomic_store(&st_returned[i], n);
    }
    return NULL;
}

static void st_cycle(void)
{
    atomic_fetch_add(&st_zeros_started, 1);
    parker_waitgroup_done(&st_wg); /* 1 -> 0 */
    atomic_fetch_add(&st_zeros_done, 1);
    parker_waitgroup_add(&st_wg, 1); /* 0 -> 1 at once */
}

static void test_stress_every_waiter_returns_for_the_first_zero_after_its_call(void **state)
{
    pthread_t t[ST_WAITERS];
    int i, cycles = 0, bursts = 0, max_cycles = 20000 / (int)sync_slowdown();
    uint64_t t_end = parker_now_ns() + 3000 * NS_PER_MS; /* run time, not a bound */
    (void)state;
    parker_waitgroup_add(&st_wg, 1);
    parker__test_hook_waitgroup_wait = st_hook;
    for (i = 0; i < ST_WAITERS; i++)
        t[i] = test_thread_start(st_waiter, (void *)(intptr_t)i);
    while (cycles < max_cycles && parker_now_ns() < t_end) {
        unsigned snap[ST_WAITERS];
        int b, burst = 1 + cycles % 3, want = 1 + bursts % ST_WAITERS, in;
        uint64_t t0 = parker_now_ns();
        /* Not vacuous: wait until `want` waiters are inside a call that did
         * not find zero (the count is 1 now, so every call they make is
         * one, and each stays in it until the next zero). */
        for (;;) {
            for (i = 0, in = 0; i < ST_WAITERS; i++) {
                unsigned call = atomic_load(&st_call[i]);
                in += atomic_load(&st_begun[i]) == call && atomic_load(&st_returned[i]) != call;
            }
            if (in >= want)
                break;
            if (parker_now_ns() - t0 > SYNC_BOUND_NS)
                fail_msg("only %d waiters came back to wait", in);
            test_yield();
        }
        bursts++;
        for (i = 0; i < ST_WAITERS; i++)
            snap[i] = atomic_load(&st_begun[i]);
        for (b = 0; b < burst; b++, cycles++)
            st_cycle();
        t0 = parker_now_ns();
        for (i = 0; i < ST_WAITERS; i++) {
            while (atomic_load(&st_returned[i]) < snap[i]) {
                if (parker_now_ns() - t0 > SYNC_BOUND_NS)
                    fail_msg("waiter %d: call %u began before zero %u and slept through it", i,
                             snap[i], atomic_load(&st_zeros_done) - (unsigned)burst + 1);
                test_yield();
            }
        }
    }
    atomic_store(&st_stop, 1);
    atomic_fetch_add(&st_zeros_started, 1); /* a zero like the others */
    parker_waitgroup_done(&st_wg);          /* for good: every waiter leaves */
    for (i = 0; i < ST_WAITERS; i++)
        test_thread_join(t[i]);
    parker__test_hook_waitgroup_wait = NULL;
    assert_int_equal(0, atomic_load(&st_bad));
    assert_int_equal(0, parker_waitgroup_count(&st_wg));
    print_message("stress: %d zeros in %d bursts; %u waits did not find the count at zero\n",
                  cycles, bursts, atomic_load(&st_slow_calls));
    assert_true(atomic_load(&st_slow_calls) >= (unsigned)bursts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_held_waiter_returns_for_a_zero_with_nobody_queued),
        cmocka_unit_test(test_held_waiter_returns_for_a_zero_that_woke_the_queue),
        cmocka_unit_test(test_held_waiter_returns_for_zeros_even_past_its_deadline),
        cmocka_unit_test(test_held_waiter_ignores_a_zero_before_its_call),
        cmocka_unit_test(test_held_event_waiter_returns_for_a_set_undone_by_reset),
        cmocka_unit_test(test_held_event_waiter_with_a_parked_one_and_a_pulse_before),
        cmocka_unit_test(test_stress_every_waiter_returns_for_the_first_zero_after_its_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
