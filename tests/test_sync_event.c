/*
 * test_sync_event.c - parker_event_t keeps the promises of parker_sync.h.
 * One test per guarantee, named after it.
 */
#include "sync_common.h"

struct ewaiter {
    parker_event_t *e;
    uint64_t timeout;
    const int *payload; /* plain: read after the wait returns PARKER_OK */
    int seen;
    int result;
    uint64_t elapsed;
    pthread_t thread;
};

static void *ewaiter_main(void *arg)
{
    struct ewaiter *w = (struct ewaiter *)arg;
    uint64_t t0 = parker_now_ns();
    w->result = parker_event_wait(w->e, w->timeout);
    w->elapsed = parker_now_ns() - t0;
    if (w->result == PARKER_OK && w->payload != NULL)
        w->seen = *w->payload;
    return NULL;
}

static void ewaiter_start(struct ewaiter *w, parker_event_t *e, uint64_t timeout,
                          const int *payload)
{
    w->e = e;
    w->timeout = timeout;
    w->payload = payload;
    w->seen = 0;
    w->result = -1;
    w->thread = test_thread_start(ewaiter_main, w);
}

/* set happens-before every wait that returns PARKER_OK: a plain payload
 * written before set is seen by every woken waiter (TSan checks the
 * ordering), and set wakes every waiter of that moment. */
static void test_set_happens_before_every_wait_that_returns_ok(void **state)
{
    enum { N = 5 };
    static int payload;
    parker_event_t e = PARKER_EVENT_INIT;
    struct ewaiter w[N];
    int i, round;
    (void)state;
    for (round = 0; round < 10; round++) {
        parker_event_reset(&e);
        payload = 0;
        for (i = 0; i < N; i++)
            ewaiter_start(&w[i], &e, PARKER_FOREVER, &payload);
        if (round % 2 == 0) /* half the rounds: all really parked */
            SYNC_WAIT_UNTIL(sync_lot_waiters(&e) == N);
        payload = 1000 + round;
        parker_event_set(&e);
        for (i = 0; i < N; i++) {
            test_thread_join(w[i].thread);
            assert_int_equal(PARKER_OK, w[i].result);
            assert_int_equal(1000 + round, w[i].seen);
        }
        assert_int_equal(0, sync_lot_waiters(&e));
    }
}

static void test_event_stays_set_until_reset(void **state)
{
    parker_event_t e = PARKER_EVENT_INIT;
    (void)state;
    assert_int_equal(0, parker_event_is_set(&e));
    parker_event_set(&e);
    parker_event_set(&e); /* idempotent */
    assert_int_equal(1, parker_event_is_set(&e));
    assert_int_equal(PARKER_OK, parker_event_wait(&e, 0));
    assert_int_equal(PARKER_OK, parker_event_wait(&e, PARKER_FOREVER));
    assert_int_equal(PARKER_OK, parker_event_wait_until(&e, 0));
    parker_event_reset(&e);
    parker_event_reset(&e); /* idempotent */
    assert_int_equal(0, parker_event_is_set(&e));
    assert_int_equal(PARKER_TIMEDOUT, parker_event_wait(&e, 0));
    /* Neither SET nor PARKED is left; the generation (bits 2..7) counted
     * one set: the second found the event set already. */
    assert_int_equal(4, SYNC_BYTE(&e));
}

static void test_wait_times_out_never_early(void **state)
{
    parker_event_t e = PARKER_EVENT_INIT;
    uint64_t t0, deadline;
    (void)state;
    t0 = parker_now_ns();
    assert_int_equal(PARKER_TIMEDOUT, parker_event_wait(&e, 20 * NS_PER_MS));
    assert_true(parker_now_ns() - t0 >= 20 * NS_PER_MS);
    deadline = parker_now_ns() + 10 * NS_PER_MS;
    assert_int_equal(PARKER_TIMEDOUT, parker_event_wait_until(&e, deadline));
    assert_true(parker_now_ns() >= deadline);
    assert_int_equal(PARKER_TIMEDOUT, parker_event_wait_until(&e, parker_now_ns()));
    assert_int_equal(0, parker_event_is_set(&e));
}

/* The last waiter that times out clears the parked bit (nothing left
 * behind), and the event works afterwards (re-use after a timeout). */
static void test_last_timed_out_waiter_leaves_nothing_behind(void **state)
{
    parker_event_t e = PARKER_EVENT_INIT;
    struct ewaiter w[3];
    int i;
    (void)state;
    for (i = 0; i < 3; i++)
        ewaiter_start(&w[i], &e, (uint64_t)(10 + 10 * i) * NS_PER_MS, NULL);
    for (i = 0; i < 3; i++) {
        test_thread_join(w[i].thread);
        assert_int_equal(PARKER_TIMEDOUT, w[i].result);
        assert_true(w[i].elapsed >= (uint64_t)(10 + 10 * i) * NS_PER_MS);
    }
    assert_int_equal(0, SYNC_BYTE(&e));
    ewaiter_start(&w[0], &e, PARKER_FOREVER, NULL);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&e) == 1);
    parker_event_set(&e);
    test_thread_join(w[0].thread);
    assert_int_equal(PARKER_OK, w[0].result);
}

/* reset racing wait, as documented: a waiter that was parked when set ran
 * returns PARKER_OK even though reset ran before it could look; a wait that
 * starts after the reset waits for the next set. */
static void test_reset_right_after_set_still_releases_parked_waiters(void **state)
{
    enum { N = 4 };
    parker_event_t e = PARKER_EVENT_INIT;
    struct ewaiter w[N];
    int i, round;
    (void)state;
    for (round = 0; round < 10; round++) {
        for (i = 0; i < N; i++)
            ewaiter_start(&w[i], &e, PARKER_FOREVER, NULL);
        SYNC_WAIT_UNTIL(sync_lot_waiters(&e) == N);
        parker_event_set(&e);
        parker_event_reset(&e);
        for (i = 0; i < N; i++) {
            test_thread_join(w[i].thread);
            assert_int_equal(PARKER_OK, w[i].result);
        }
        assert_int_equal(0, parker_event_is_set(&e));
        assert_int_equal(PARKER_TIMEDOUT, parker_event_wait(&e, NS_PER_MS));
    }
}

#if !defined(_WIN32)
static void misuse_set_null(void)
{
    parker_event_set(NULL);
}

static void test_misuse_aborts_with_a_message(void **state)
{
    (void)state;
    sync_expect_abort_with(misuse_set_null, "libparker: parker_event_set: NULL event");
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_happens_before_every_wait_that_returns_ok),
        cmocka_unit_test(test_event_stays_set_until_reset),
        cmocka_unit_test(test_wait_times_out_never_early),
        cmocka_unit_test(test_last_timed_out_waiter_leaves_nothing_behind),
        cmocka_unit_test(test_reset_right_after_set_still_releases_parked_waiters),
#if !defined(_WIN32)
        cmocka_unit_test(test_misuse_aborts_with_a_message),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
