/*
 * test_deadline.c - property test of the timeout and deadline arithmetic,
 * through the public API only: random and edge uint64_t timeouts and
 * deadlines, each checked against a reference computation.
 *
 *   - never early: PARKER_TIMEDOUT only once parker_now_ns() has reached the
 *     deadline (for park_timeout: at least timeout_ns after the call began);
 *   - PARKER_FOREVER and timeouts whose now + timeout overflows never expire;
 *   - deadlines far beyond what the OS's time types hold (32-bit time_t, a
 *     32-bit kernel timespec, 2^31 or 2^32 seconds) are not cut short.
 *
 * "Does not expire" is checked by parking with that deadline while another
 * thread unparks a little later: the park must return PARKER_OK, and one
 * that returned PARKER_TIMEDOUT (a wrapped, truncated or clamped-into-the-
 * past deadline) fails.  Runs on every target, including the 32-bit cross
 * builds under qemu.  PARKER_TEST_SEED=<n> repeats a run.
 */
#include "common.h"

#include <inttypes.h>
#include <stdbool.h>

#define NS_PER_S UINT64_C(1000000000)
/* Deadlines further than this from now are "far": the park must not time out
 * while the test waits for it (the test waits a few milliseconds). */
#define FAR_NS (3600u * NS_PER_S)
/* Largest timeout that is actually waited for in the "near" cases. */
#define NEAR_MAX_NS (2u * NS_PER_MS)

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static int seed_setup(void **state)
{
    const char *env = getenv("PARKER_TEST_SEED");
    (void)state;
    rng_state = env != NULL ? strtoull(env, NULL, 0) : parker_now_ns() ^ UINT64_C(0x9E3779B97F4A7C15);
    if (rng_state == 0)
        rng_state = 1;
    printf("test_deadline: PARKER_TEST_SEED=%" PRIu64 "\n", rng_state);
    return 0;
}

/* The reference: the absolute deadline of park_timeout(timeout) called at
 * `now`, or PARKER_FOREVER for none. */
static uint64_t reference_deadline(uint64_t now, uint64_t timeout)
{
    if (timeout == PARKER_FOREVER || timeout > UINT64_MAX - now)
        return PARKER_FOREVER;
    return now + timeout;
}

/* A thread that unparks `p` after `delay_ms`. */
struct late_unpark {
    parker_t *p;
    unsigned delay_ms;
};

static void *late_unpark_main(void *arg)
{
    struct late_unpark *u = (struct late_unpark *)arg;
    test_sleep_ms(u->delay_ms);
    parker_unpark(u->p);
    return NULL;
}

enum call { CALL_TIMEOUT, CALL_UNTIL };

static int call_park(parker_t *p, enum call c, uint64_t value)
{
    return c == CALL_TIMEOUT ? parker_park_timeout(p, value) : parker_park_until(p, value);
}

/* The park must not time out: it returns PARKER_OK once the late unpark
 * arrives, and leaves no token behind. */
static void expect_no_expiry(enum call c, uint64_t value)
{
    parker_t p;
    struct late_unpark u;
    pthread_t t;
    int r;

    assert_int_equal(0, parker_init(&p));
    u.p = &p;
    u.delay_ms = 2;
    t = test_thread_start(late_unpark_main, &u);
    r = call_park(&p, c, value);
    test_thread_join(t);
    if (r != PARKER_OK)
        fail_msg("%s(%" PRIu64 ") returned %d; it must not expire",
                 c == CALL_TIMEOUT ? "park_timeout" : "park_until", value, r);
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&p, 0));
    parker_destroy(&p);
}

/* The park, with no token around, must time out, and not before `deadline`
 * (for park_timeout: not before `timeout` after the call began). */
static void expect_expiry(enum call c, uint64_t value)
{
    parker_t p;
    uint64_t start, end;
    int r;

    assert_int_equal(0, parker_init(&p));
    start = parker_now_ns();
    r = call_park(&p, c, value);
    end = parker_now_ns();
    assert_int_equal(PARKER_TIMEDOUT, r);
    if (c == CALL_TIMEOUT) {
        if (end - start < value)
            fail_msg("park_timeout(%" PRIu64 ") returned after %" PRIu64 " ns", value, end - start);
    } else if (end < value) {
        fail_msg("park_until(%" PRIu64 ") returned at %" PRIu64, value, end);
    }
    parker_destroy(&p);
}

/* With the token present, every timeout and deadline, even 0 or past ones,
 * consumes it and returns PARKER_OK without blocking. */
static void expect_token_consumed(enum call c, uint64_t value)
{
    parker_t p;
    assert_int_equal(0, parker_init(&p));
    parker_unpark(&p);
    assert_int_equal(PARKER_OK, call_park(&p, c, value));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&p, 0));
    parker_destroy(&p);
}

/* Classify one value by the reference and check the library against it. */
static void check_timeout(uint64_t timeout)
{
    uint64_t now = parker_now_ns();
    uint64_t deadline = reference_deadline(now, timeout);

    expect_token_consumed(CALL_TIMEOUT, timeout);
    if (deadline == PARKER_FOREVER || timeout >= FAR_NS)
        expect_no_expiry(CALL_TIMEOUT, timeout);
    else if (timeout <= NEAR_MAX_NS)
        expect_expiry(CALL_TIMEOUT, timeout);
    /* between: too long to wait for, too short to call "far" */
}

static void check_deadline(uint64_t deadline)
{
    uint64_t now = parker_now_ns();

    expect_token_consumed(CALL_UNTIL, deadline);
    if (deadline <= now + NEAR_MAX_NS)
        expect_expiry(CALL_UNTIL, deadline); /* past ones return at once */
    else if (deadline == PARKER_FOREVER || deadline - now >= FAR_NS)
        expect_no_expiry(CALL_UNTIL, deadline);
}

/* Values where a conversion to seconds + nanoseconds, to a signed type, to a
 * 32-bit time_t or to a 32-bit kernel timespec goes wrong if done naively. */
static const uint64_t edge_values[] = {
    0,
    1,
    999,
    NS_PER_S - 1,
    NS_PER_S,
    NS_PER_S + 1,
    (uint64_t)INT32_MAX * NS_PER_S,                 /* 2^31 s: 32-bit time_t limit */
    (uint64_t)INT32_MAX * NS_PER_S + NS_PER_S - 1,
    ((uint64_t)INT32_MAX + 1) * NS_PER_S,
    (uint64_t)UINT32_MAX * NS_PER_S,                /* 2^32 s */
    ((uint64_t)UINT32_MAX + 1) * NS_PER_S,
    (uint64_t)INT32_MAX,                            /* 2^31 ns */
    (uint64_t)UINT32_MAX,
    (uint64_t)UINT32_MAX + 1,
    (uint64_t)INT64_MAX - 1,
    (uint64_t)INT64_MAX,                            /* signed 64-bit limit */
    (uint64_t)INT64_MAX + 1,
    (UINT64_MAX / NS_PER_S) * NS_PER_S,             /* whole seconds near the top */
    UINT64_MAX - NS_PER_S,
    UINT64_MAX - 2,
    UINT64_MAX - 1,
    UINT64_MAX,                                     /* PARKER_FOREVER */
};

#define N_EDGES (sizeof edge_values / sizeof edge_values[0])

static void test_edge_timeouts_match_the_reference(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < N_EDGES; i++)
        check_timeout(edge_values[i]);
}

static void test_edge_deadlines_match_the_reference(void **state)
{
    size_t i;
    uint64_t now = parker_now_ns();
    (void)state;
    for (i = 0; i < N_EDGES; i++)
        check_deadline(edge_values[i]);
    /* relative to now: just past, now itself, just ahead */
    check_deadline(now - 1);
    check_deadline(now);
    check_deadline(parker_now_ns() + 1000u);
    check_deadline(parker_now_ns() + NEAR_MAX_NS);
}

/* now + timeout overflows: no deadline, never a wrapped one in the past. */
static void test_overflowing_timeouts_never_expire(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < 8; i++) {
        uint64_t now = parker_now_ns();
        /* just enough to overflow, and a little more */
        check_timeout(UINT64_MAX - now + 1u + (rng_next() % 1000u));
        check_timeout(UINT64_MAX - now / 2u);
    }
}

/* A random value: any 64-bit number, or one with a random bit length (so
 * that every magnitude is drawn), or a short one that is actually waited. */
static uint64_t random_value(void)
{
    uint64_t r = rng_next();
    switch (r & 3u) {
    case 0:
        return rng_next();
    case 1:
        return rng_next() >> (rng_next() % 64u);
    default:
        return rng_next() % (NEAR_MAX_NS + 1u);
    }
}

static void test_random_timeouts_match_the_reference(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < 120; i++)
        check_timeout(random_value());
}

static void test_random_deadlines_match_the_reference(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < 120; i++) {
        uint64_t r = random_value();
        /* around now as often as anywhere else */
        uint64_t now = parker_now_ns();
        switch (rng_next() % 3u) {
        case 0:
            check_deadline(r);
            break;
        case 1:
            check_deadline(now + (r % (NEAR_MAX_NS + 1u)));
            break;
        default:
            check_deadline(r > now ? now - (r % (now + 1u)) : now - r); /* past */
            break;
        }
    }
}

/* The reference itself, on values where the answer is known. */
static void test_reference_computation(void **state)
{
    (void)state;
    assert_true(reference_deadline(5, 7) == 12);
    assert_true(reference_deadline(5, UINT64_MAX - 5) == UINT64_MAX); /* = FOREVER */
    assert_true(reference_deadline(5, UINT64_MAX - 4) == PARKER_FOREVER);
    assert_true(reference_deadline(0, UINT64_MAX) == PARKER_FOREVER);
    assert_true(reference_deadline(UINT64_MAX - 1, 1) == PARKER_FOREVER);
    assert_true(reference_deadline(UINT64_MAX - 1, 2) == PARKER_FOREVER);
}

/* The clock the deadlines use never goes backwards. */
static void test_clock_is_monotonic(void **state)
{
    uint64_t prev = parker_now_ns();
    int i;
    (void)state;
    for (i = 0; i < 100000; i++) {
        uint64_t now = parker_now_ns();
        assert_true(now >= prev);
        prev = now;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_computation),
        cmocka_unit_test(test_clock_is_monotonic),
        cmocka_unit_test(test_edge_timeouts_match_the_reference),
        cmocka_unit_test(test_edge_deadlines_match_the_reference),
        cmocka_unit_test(test_overflowing_timeouts_never_expire),
        cmocka_unit_test(test_random_timeouts_match_the_reference),
        cmocka_unit_test(test_random_deadlines_match_the_reference),
    };
    return cmocka_run_group_tests(tests, seed_setup, NULL);
}
