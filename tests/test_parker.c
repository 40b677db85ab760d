/*
 * test_parker.c - the per-thread parker's contract, the same tests for every
 * backend (the build links whichever backend was configured).
 */
#include "common.h"

#include <errno.h>
#include <stdatomic.h>

#ifndef PARKER_EXPECT_BACKEND
#error "the build defines PARKER_EXPECT_BACKEND"
#endif

/* ---------------------------------------------------------------- basics */

static void test_backend_is_the_configured_one(void **state)
{
    (void)state;
    const char *name = parker_backend();
    assert_non_null(name);
    assert_non_null(strstr(PARKER_EXPECT_BACKEND, name));
}

static void test_parker_is_four_bytes(void **state)
{
    (void)state;
    assert_int_equal(4, sizeof(parker_t));
    assert_int_equal(sizeof(parker_t), parker_sizeof());
    assert_int_equal(_Alignof(parker_t), parker_alignof());
}

static void test_version_matches_header(void **state)
{
    char expect[32];
    (void)state;
    assert_int_equal(PARKER_VERSION_NUMBER, parker_version());
    snprintf(expect, sizeof expect, "%d.%d.%d", PARKER_VERSION_MAJOR, PARKER_VERSION_MINOR,
             PARKER_VERSION_PATCH);
    assert_string_equal(expect, parker_version_string());
}

static void test_invalid_arguments_are_reported(void **state)
{
    (void)state;
    assert_int_equal(EINVAL, parker_init(NULL));
    assert_int_equal(PARKER_INVALID, parker_park_timeout(NULL, 0));
    assert_int_equal(PARKER_INVALID, parker_park_timeout(NULL, 1000));
    assert_int_equal(PARKER_INVALID, parker_park_until(NULL, 0));
    assert_int_equal(PARKER_INVALID, parker_park_until(NULL, PARKER_FOREVER));
    parker_free(NULL); /* documented as ignored */
}

static void test_result_values_are_pinned(void **state)
{
    (void)state;
    assert_int_equal(0, PARKER_OK);
    assert_int_equal(1, PARKER_TIMEDOUT);
    assert_int_equal(3, PARKER_INVALID);
}

static void test_result_str_names_every_result(void **state)
{
    (void)state;
    assert_string_equal("PARKER_OK", parker_result_str(PARKER_OK));
    assert_string_equal("PARKER_TIMEDOUT", parker_result_str(PARKER_TIMEDOUT));
    assert_string_equal("PARKER_AGAIN", parker_result_str(2));
    assert_string_equal("PARKER_INVALID", parker_result_str(PARKER_INVALID));
    /* Unknown values: one fixed string, never NULL. */
    assert_string_equal("PARKER_UNKNOWN_RESULT", parker_result_str(4));
    assert_string_equal("PARKER_UNKNOWN_RESULT", parker_result_str(-1));
    assert_string_equal("PARKER_UNKNOWN_RESULT", parker_result_str(INT32_MIN));
    assert_string_equal("PARKER_UNKNOWN_RESULT", parker_result_str(INT32_MAX));
}

static void test_new_parker_has_no_token(void **state)
{
    parker_t p;
    (void)state;
    assert_int_equal(0, parker_init(&p));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&p, 0));
    parker_destroy(&p);
}

static void test_park_consumes_the_token(void **state)
{
    parker_t p;
    (void)state;
    assert_int_equal(0, parker_init(&p));
    parker_unpark(&p);
    parker_park(&p); /* would hang without the token */
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&p, 0));
    parker_destroy(&p);
}

static void test_many_unparks_leave_one_token(void **state)
{
    parker_t p;
    int i;
    (void)state;
    assert_int_equal(0, parker_init(&p));
    for (i = 0; i < 5; i++)
        parker_unpark(&p);
    assert_int_equal(PARKER_OK, parker_park_timeout(&p, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&p, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&p, 2 * NS_PER_MS));
    parker_destroy(&p);
}

static void test_zero_timeout_and_past_deadlines_consume_a_present_token(void **state)
{
    parker_t p;
    uint64_t now;
    (void)state;
    assert_int_equal(0, parker_init(&p));
    parker_unpark(&p);
    assert_int_equal(PARKER_OK, parker_park_timeout(&p, 0));
    parker_unpark(&p);
    assert_int_equal(PARKER_OK, parker_park_until(&p, 0));
    now = parker_now_ns();
    parker_unpark(&p);
    assert_int_equal(PARKER_OK, parker_park_until(&p, now));
    parker_destroy(&p);
}

static void test_zero_timeout_and_past_deadlines_never_block(void **state)
{
    parker_t p;
    uint64_t now = parker_now_ns();
    (void)state;
    assert_int_equal(0, parker_init(&p));
    /* Each of these would block forever if it waited for a token. */
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&p, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_until(&p, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_until(&p, 1));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_until(&p, now));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_until(&p, now > 5 ? now - 5 : 0));
    parker_destroy(&p);
}

static void test_clock_is_monotonic(void **state)
{
    uint64_t prev = parker_now_ns();
    int i;
    (void)state;
    assert_true(prev > 0);
    for (i = 0; i < 100000; i++) {
        uint64_t now = parker_now_ns();
        assert_true(now >= prev);
        prev = now;
    }
}

/* ---------------------------------------------------------------- timeouts */

static const uint64_t timeouts_ns[] = {
    1, 999, NS_PER_US, 10 * NS_PER_US, 50 * NS_PER_US, 100 * NS_PER_US, NS_PER_MS,
    3 * NS_PER_MS, 10 * NS_PER_MS, 25 * NS_PER_MS,
};

static void test_timeout_never_returns_early(void **state)
{
    parker_t p;
    size_t i;
    int rep;
    (void)state;
    assert_int_equal(0, parker_init(&p));
    for (rep = 0; rep < 5; rep++) {
        for (i = 0; i < sizeof timeouts_ns / sizeof timeouts_ns[0]; i++) {
            uint64_t t0 = parker_now_ns();
            int r = parker_park_timeout(&p, timeouts_ns[i]);
            uint64_t elapsed = parker_now_ns() - t0;
            assert_int_equal(PARKER_TIMEDOUT, r);
            if (elapsed < timeouts_ns[i])
                fail_msg("park_timeout(%llu ns) returned after %llu ns",
                         (unsigned long long)timeouts_ns[i], (unsigned long long)elapsed);
        }
    }
    parker_destroy(&p);
}

static void test_deadline_never_returns_early(void **state)
{
    parker_t p;
    size_t i;
    int rep;
    (void)state;
    assert_int_equal(0, parker_init(&p));
    for (rep = 0; rep < 5; rep++) {
        for (i = 0; i < sizeof timeouts_ns / sizeof timeouts_ns[0]; i++) {
            uint64_t deadline = parker_now_ns() + timeouts_ns[i];
            int r = parker_park_until(&p, deadline);
            uint64_t now = parker_now_ns();
            assert_int_equal(PARKER_TIMEDOUT, r);
            if (now < deadline)
                fail_msg("park_until returned %llu ns before its deadline",
                         (unsigned long long)(deadline - now));
        }
    }
    parker_destroy(&p);
}

/* --------------------------------------------- a parked thread and a waker */

struct sleeper {
    parker_t p;
    int mode;        /* 0 park, 1 park_timeout, 2 park_until */
    uint64_t arg;
    atomic_long tid;
    atomic_int returned;
    int result;
};

static void *sleeper_main(void *arg)
{
    struct sleeper *s = (struct sleeper *)arg;
    atomic_store(&s->tid, test_gettid() ? test_gettid() : 1);
    switch (s->mode) {
    case 0:
        parker_park(&s->p);
        s->result = PARKER_OK;
        break;
    case 1:
        s->result = parker_park_timeout(&s->p, s->arg);
        break;
    default:
        s->result = parker_park_until(&s->p, s->arg);
        break;
    }
    atomic_store(&s->returned, 1);
    return NULL;
}

/* Start a sleeper, wait until it blocks, check it has not returned, wake it
 * and check it reports a consumed token. */
static void sleep_then_wake(int mode, uint64_t arg)
{
    struct sleeper s;
    pthread_t t;
    long tid;
    memset(&s, 0, sizeof s);
    assert_int_equal(0, parker_init(&s.p));
    s.mode = mode;
    s.arg = arg;
    t = test_thread_start(sleeper_main, &s);
    while ((tid = atomic_load(&s.tid)) == 0)
        test_yield();
    test_wait_blocked(tid);
    if (atomic_load(&s.returned))
        fail_msg("mode %d arg %llu returned (%d) before any unpark", mode,
                 (unsigned long long)arg, s.result);
    parker_unpark(&s.p);
    test_thread_join(t);
    assert_int_equal(PARKER_OK, s.result);
    parker_destroy(&s.p);
}

static void test_park_blocks_until_unpark(void **state)
{
    (void)state;
    sleep_then_wake(0, 0);
}

static void test_huge_timeouts_wait_for_unpark(void **state)
{
    uint64_t now = parker_now_ns();
    (void)state;
    sleep_then_wake(1, UINT64_MAX);
    sleep_then_wake(1, UINT64_MAX - 1);
    sleep_then_wake(1, UINT64_C(1) << 63);
    sleep_then_wake(1, UINT64_MAX - now + 12345); /* now + timeout overflows */
    sleep_then_wake(1, (uint64_t)INT64_MAX);
    sleep_then_wake(1, UINT64_C(1) << 32);         /* ~4.3 s: a real finite wait */
}

static void test_huge_deadlines_wait_for_unpark(void **state)
{
    (void)state;
    sleep_then_wake(2, UINT64_MAX);
    sleep_then_wake(2, UINT64_MAX - 1);
    sleep_then_wake(2, UINT64_C(1) << 63);
    sleep_then_wake(2, (uint64_t)INT32_MAX * 1000000000u + 5u); /* past 32-bit time_t */
    sleep_then_wake(2, (uint64_t)UINT32_MAX * 1000000000u + 5u);
}

/* ------------------------------------------------------------- ping-pong */

#define PINGPONG_ROUNDS 100000

struct pingpong {
    parker_t a, b;
    long payload; /* deliberately not atomic: park/unpark must order it */
};

static void *pong_main(void *arg)
{
    struct pingpong *pp = (struct pingpong *)arg;
    long i;
    for (i = 0; i < PINGPONG_ROUNDS; i++) {
        parker_park(&pp->b);
        if (pp->payload != 2 * i + 1) {
            fprintf(stderr, "pong saw %ld, expected %ld\n", pp->payload, 2 * i + 1);
            abort();
        }
        pp->payload++;
        parker_unpark(&pp->a);
    }
    return NULL;
}

static void test_pingpong_orders_plain_payload(void **state)
{
    struct pingpong pp;
    pthread_t t;
    long i;
    (void)state;
    assert_int_equal(0, parker_init(&pp.a));
    assert_int_equal(0, parker_init(&pp.b));
    pp.payload = 0;
    t = test_thread_start(pong_main, &pp);
    for (i = 0; i < PINGPONG_ROUNDS; i++) {
        pp.payload++;
        parker_unpark(&pp.b);
        parker_park(&pp.a);
        assert_int_equal(2 * i + 2, pp.payload);
    }
    test_thread_join(t);
    parker_destroy(&pp.a);
    parker_destroy(&pp.b);
}

/* A second unpark after the token is already set must still publish the
 * writes made before it. */
struct double_unpark {
    parker_t p;
    long first, second; /* plain */
    atomic_int done;
};

static void *double_unpark_main(void *arg)
{
    struct double_unpark *d = (struct double_unpark *)arg;
    d->first = 1;
    parker_unpark(&d->p);
    d->second = 2;
    parker_unpark(&d->p); /* token already present */
    atomic_store_explicit(&d->done, 1, memory_order_relaxed);
    return NULL;
}

static void test_every_unpark_synchronizes(void **state)
{
    int rep;
    (void)state;
    for (rep = 0; rep < 2000; rep++) {
        struct double_unpark d;
        pthread_t t;
        memset(&d, 0, sizeof d);
        assert_int_equal(0, parker_init(&d.p));
        t = test_thread_start(double_unpark_main, &d);
        /* Relaxed: only the park below may provide the ordering. */
        while (!atomic_load_explicit(&d.done, memory_order_relaxed))
            test_yield();
        parker_park(&d.p);
        assert_int_equal(1, d.first);
        assert_int_equal(2, d.second);
        test_thread_join(t);
        parker_destroy(&d.p);
    }
}

/* ------------------------------------------------- destroy right after park */

#define DESTROY_ROUNDS 5000

struct handoff {
    parker_t worker;
    parker_t *_Atomic slot;
    atomic_int stop;
};

static void *unparker_main(void *arg)
{
    struct handoff *h = (struct handoff *)arg;
    for (;;) {
        parker_t *p;
        parker_park(&h->worker);
        if (atomic_load(&h->stop))
            return NULL;
        p = atomic_exchange(&h->slot, NULL);
        if (p != NULL)
            parker_unpark(p); /* the owner may free p while this runs */
    }
}

static void run_destroy_after_park(int timed)
{
    struct handoff h;
    pthread_t t;
    int i;
    memset(&h, 0, sizeof h);
    assert_int_equal(0, parker_init(&h.worker));
    t = test_thread_start(unparker_main, &h);
    for (i = 0; i < DESTROY_ROUNDS; i++) {
        parker_t *p = parker_new();
        assert_non_null(p);
        atomic_store(&h.slot, p);
        parker_unpark(&h.worker);
        if (timed) {
            while (parker_park_timeout(p, 1000u * (uint64_t)(i % 50)) != PARKER_OK) {
            }
        } else {
            parker_park(p);
        }
        parker_free(p); /* ASan reports any later touch by the unparker */
    }
    atomic_store(&h.stop, 1);
    parker_unpark(&h.worker);
    test_thread_join(t);
    parker_destroy(&h.worker);
}

static void test_destroy_right_after_park(void **state)
{
    (void)state;
    run_destroy_after_park(0);
}

static void test_destroy_right_after_timed_park(void **state)
{
    (void)state;
    run_destroy_after_park(1);
}

/* ------------------------------------------- sixteen threads, one waker */

#define FAN_THREADS 16
#define FAN_ROUNDS 300

struct fan {
    parker_t parkers[FAN_THREADS];
    atomic_int ready;
    atomic_long consumed[FAN_THREADS];
};

struct fan_arg {
    struct fan *fan;
    int index;
};

static void *fan_main(void *arg)
{
    struct fan_arg *a = (struct fan_arg *)arg;
    int r;
    for (r = 0; r < FAN_ROUNDS; r++) {
        atomic_fetch_add(&a->fan->ready, 1);
        parker_park(&a->fan->parkers[a->index]);
        atomic_fetch_add(&a->fan->consumed[a->index], 1);
    }
    return NULL;
}

static void test_sixteen_threads_one_waker(void **state)
{
    struct fan fan;
    struct fan_arg args[FAN_THREADS];
    pthread_t threads[FAN_THREADS];
    int i, r;
    (void)state;
    memset(&fan, 0, sizeof fan);
    for (i = 0; i < FAN_THREADS; i++) {
        assert_int_equal(0, parker_init(&fan.parkers[i]));
        args[i].fan = &fan;
        args[i].index = i;
        threads[i] = test_thread_start(fan_main, &args[i]);
    }
    for (r = 0; r < FAN_ROUNDS; r++) {
        /* Each round: every thread announced it is about to park, gets exactly
         * one unpark, and must consume it (a lost wake-up hangs -> ctest
         * timeout).  The next round waits for all of them again. */
        while (atomic_load(&fan.ready) < (r + 1) * FAN_THREADS)
            test_yield();
        for (i = 0; i < FAN_THREADS; i++)
            parker_unpark(&fan.parkers[i]);
    }
    for (i = 0; i < FAN_THREADS; i++) {
        test_thread_join(threads[i]);
        assert_int_equal(FAN_ROUNDS, atomic_load(&fan.consumed[i]));
        assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&fan.parkers[i], 0));
        parker_destroy(&fan.parkers[i]);
    }
}

/* ------------------------------------------------------- random stress */

#define STRESS_UNPARKERS 3
#define STRESS_MS 1500

struct stress {
    parker_t p;
    atomic_long unparks;
    atomic_int stop;
};

static void *stress_unparker(void *arg)
{
    struct stress *s = (struct stress *)arg;
    uint32_t x = (uint32_t)(uintptr_t)&x | 1u;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        /* Count before unparking so that the count always bounds the
         * tokens the owner can have consumed. */
        atomic_fetch_add(&s->unparks, 1);
        parker_unpark(&s->p);
        if ((x & 7u) == 0)
            test_yield();
        else if ((x & 63u) == 1)
            test_sleep_ms(1);
    }
    return NULL;
}

static void test_random_stress_tokens_never_exceed_unparks(void **state)
{
    struct stress s;
    pthread_t t[STRESS_UNPARKERS];
    long consumed = 0, timeouts = 0;
    uint32_t x = 0x9e3779b9u;
    uint64_t end;
    int i;
    (void)state;
    memset(&s, 0, sizeof s);
    assert_int_equal(0, parker_init(&s.p));
    for (i = 0; i < STRESS_UNPARKERS; i++)
        t[i] = test_thread_start(stress_unparker, &s);
    end = parker_now_ns() + STRESS_MS * NS_PER_MS;
    while (parker_now_ns() < end) {
        int r;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        switch (x % 3u) {
        case 0:
            r = parker_park_timeout(&s.p, x % 50000u);
            break;
        case 1:
            r = parker_park_until(&s.p, parker_now_ns() + x % 20000u);
            break;
        default:
            r = parker_park_timeout(&s.p, 0);
            break;
        }
        if (r == PARKER_OK)
            consumed++;
        else
            timeouts++;
        if (consumed > atomic_load(&s.unparks))
            fail_msg("consumed %ld tokens from %ld unparks", consumed, atomic_load(&s.unparks));
    }
    atomic_store(&s.stop, 1);
    for (i = 0; i < STRESS_UNPARKERS; i++)
        test_thread_join(t[i]);
    /* Quiescent now: one more unpark leaves exactly one token. */
    atomic_fetch_add(&s.unparks, 1);
    parker_unpark(&s.p);
    parker_unpark(&s.p);
    assert_int_equal(PARKER_OK, parker_park_timeout(&s.p, 0));
    consumed++;
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&s.p, 0));
    assert_true(consumed <= atomic_load(&s.unparks));
    assert_true(consumed > 0);
    print_message("stress: %ld consumed, %ld timeouts, %ld unparks\n", consumed, timeouts,
                  (long)atomic_load(&s.unparks));
    parker_destroy(&s.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend_is_the_configured_one),
        cmocka_unit_test(test_parker_is_four_bytes),
        cmocka_unit_test(test_version_matches_header),
        cmocka_unit_test(test_invalid_arguments_are_reported),
        cmocka_unit_test(test_result_values_are_pinned),
        cmocka_unit_test(test_result_str_names_every_result),
        cmocka_unit_test(test_new_parker_has_no_token),
        cmocka_unit_test(test_park_consumes_the_token),
        cmocka_unit_test(test_many_unparks_leave_one_token),
        cmocka_unit_test(test_zero_timeout_and_past_deadlines_consume_a_present_token),
        cmocka_unit_test(test_zero_timeout_and_past_deadlines_never_block),
        cmocka_unit_test(test_clock_is_monotonic),
        cmocka_unit_test(test_timeout_never_returns_early),
        cmocka_unit_test(test_deadline_never_returns_early),
        cmocka_unit_test(test_park_blocks_until_unpark),
        cmocka_unit_test(test_huge_timeouts_wait_for_unpark),
        cmocka_unit_test(test_huge_deadlines_wait_for_unpark),
        cmocka_unit_test(test_pingpong_orders_plain_payload),
        cmocka_unit_test(test_every_unpark_synchronizes),
        cmocka_unit_test(test_destroy_right_after_park),
        cmocka_unit_test(test_destroy_right_after_timed_park),
        cmocka_unit_test(test_sixteen_threads_one_waker),
        cmocka_unit_test(test_random_stress_tokens_never_exceed_unparks),
    };
    printf("backend: %s\n", parker_backend());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
