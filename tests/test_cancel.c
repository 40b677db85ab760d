/*
 * test_cancel.c - parks are not cancellation points (parker.h, "Thread
 * cancellation"), on every backend.
 *
 * A thread parked in parker_park / parker_park_timeout gets a deferred
 * pthread_cancel.  The park must not return early, must not die inside the
 * park (which, with the pthread backend, left the stripe mutex locked and the
 * word PARKED: any other parker hashing to the same stripe then blocked
 * forever), and the pending cancel must be acted on at the thread's next
 * cancellation point after an unpark.  Everything is bounded, so a
 * regression fails instead of hanging.
 *
 * Windows (mingw's winpthreads, under wine): the backend never calls a
 * pthread function, so a cancel cannot be acted on during a park there; the
 * same test checks that.
 */
#include "common.h"

#include <stdatomic.h>

/* Bound for every "must happen" wait below; generous for qemu and TSan. */
#define MUST_HAPPEN_MS 20000u

struct victim {
    parker_t parkers[256]; /* [0] is parked on; a neighbour shares its stripe */
    int timed;
    atomic_long tid;
    atomic_int parked_returned; /* the park returned (it must, after unpark) */
    atomic_int passed_testcancel; /* must stay 0: testcancel acts first */
    int result;
};

/* The cancel unwinds victim_main's frame without running its epilogue, so
 * ASan's poisoning of that frame (C11 atomics' temporaries) would stay and
 * be reported when the thread's exit reuses the stack (a known ASan false
 * positive with pthread_cancel, google/sanitizers#1399).  The frame is
 * therefore not instrumented; everything it calls returns normally. */
#if defined(__SANITIZE_ADDRESS__)
#  define NO_ASAN_FRAME __attribute__((no_sanitize_address))
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define NO_ASAN_FRAME __attribute__((no_sanitize_address))
#  endif
#endif
#ifndef NO_ASAN_FRAME
#  define NO_ASAN_FRAME
#endif

NO_ASAN_FRAME static void *victim_main(void *arg)
{
    struct victim *v = (struct victim *)arg;
    atomic_store(&v->tid, test_gettid() ? test_gettid() : 1);
    if (v->timed) {
        /* Long but finite: exercises the timed wait (pthread_cond_timedwait). */
        v->result = parker_park_timeout(&v->parkers[0], 600000 * NS_PER_MS);
    } else {
        parker_park(&v->parkers[0]);
        v->result = PARKER_OK;
    }
    atomic_store(&v->parked_returned, 1);
    pthread_testcancel(); /* the pending cancel is acted on here */
    atomic_store(&v->passed_testcancel, 1);
    return NULL;
}

/* The pthread backend's stripe choice (src/posix/pthread.c): a parker with
 * the same stripe as parkers[0].  The test is meaningful for the other
 * backends too (any neighbour), and still catches a wedged stripe if the
 * hash changes, because all 255 neighbours are tried below. */
static size_t same_stripe_neighbour(const struct victim *v)
{
    uint64_t h0 = (uint64_t)(uintptr_t)&v->parkers[0] * UINT64_C(0x9E3779B97F4A7C15);
    size_t i;
    for (i = 1; i < sizeof v->parkers / sizeof v->parkers[0]; i++) {
        uint64_t h = (uint64_t)(uintptr_t)&v->parkers[i] * UINT64_C(0x9E3779B97F4A7C15);
        if (h >> 58 == h0 >> 58)
            return i;
    }
    return 1;
}

struct prober {
    struct victim *v;
    size_t first;
    atomic_int done;
    int bad_result;
};

/* Parks with a short timeout on the same-stripe neighbour, then on every
 * other parker of the array (so every stripe they hash to is probed). */
static void *prober_main(void *arg)
{
    struct prober *pr = (struct prober *)arg;
    size_t i, n = sizeof pr->v->parkers / sizeof pr->v->parkers[0];
    if (parker_park_timeout(&pr->v->parkers[pr->first], 20 * NS_PER_MS) != PARKER_TIMEDOUT)
        pr->bad_result = 1;
    for (i = 1; i < n; i++) {
        if (parker_park_timeout(&pr->v->parkers[i], NS_PER_US) != PARKER_TIMEDOUT)
            pr->bad_result = 1;
    }
    atomic_store(&pr->done, 1);
    return NULL;
}

/* Wait up to MUST_HAPPEN_MS for *flag; 1 if it was set. */
static int wait_flag(atomic_int *flag)
{
    unsigned ms;
    for (ms = 0; ms < MUST_HAPPEN_MS; ms++) {
        if (atomic_load(flag))
            return 1;
        test_sleep_ms(1);
    }
    return atomic_load(flag);
}

static void cancel_parked_thread(int timed)
{
    static struct victim v; /* static: a thread that wedges keeps using it */
    struct prober pr;
    pthread_t t, tp;
    void *ret = NULL;
    size_t i;

    memset(&v, 0, sizeof v);
    memset(&pr, 0, sizeof pr);
    for (i = 0; i < sizeof v.parkers / sizeof v.parkers[0]; i++)
        assert_int_equal(0, parker_init(&v.parkers[i]));
    v.timed = timed;
    t = test_thread_start(victim_main, &v);
    while (atomic_load(&v.tid) == 0)
        test_yield();
    test_wait_blocked(atomic_load(&v.tid));

    assert_int_equal(0, pthread_cancel(t));
    /* Give a (wrong) cancellation time to act, then check the park is
     * still in progress: no early return. */
    test_sleep_ms(50);
    test_wait_blocked(atomic_load(&v.tid));
    if (atomic_load(&v.parked_returned))
        fail_msg("%s returned (%d) after pthread_cancel without an unpark",
                 timed ? "parker_park_timeout" : "parker_park", v.result);

    /* The stripe (and every other stripe) must still work. */
    pr.v = &v;
    pr.first = same_stripe_neighbour(&v);
    tp = test_thread_start(prober_main, &pr);
    if (!wait_flag(&pr.done))
        fail_msg("a park_timeout on a parker sharing the cancelled thread's stripe did not "
                 "return within %u ms: the stripe is wedged", MUST_HAPPEN_MS);
    test_thread_join(tp);
    assert_int_equal(0, pr.bad_result);

    /* Now the park ends, and the pending cancel is acted on at the next
     * cancellation point. */
    parker_unpark(&v.parkers[0]);
    if (!wait_flag(&v.parked_returned))
        fail_msg("the cancelled thread never returned from its park after the unpark "
                 "(it was cancelled inside the park)");
    assert_int_equal(0, pthread_join(t, &ret));
    assert_ptr_equal(PTHREAD_CANCELED, ret);
    assert_int_equal(0, atomic_load(&v.passed_testcancel));
    assert_int_equal(PARKER_OK, v.result);

    for (i = 0; i < sizeof v.parkers / sizeof v.parkers[0]; i++)
        parker_destroy(&v.parkers[i]);
}

static void test_cancel_does_not_end_or_kill_park(void **state)
{
    (void)state;
    cancel_parked_thread(0);
}

static void test_cancel_does_not_end_or_kill_timed_park(void **state)
{
    (void)state;
    cancel_parked_thread(1);
}

/* The caller's cancel state is restored by the park: a thread with
 * cancellation disabled keeps it disabled, one with it enabled keeps it. */
static void *state_probe(void *arg)
{
    int old, *out = (int *)arg;
    parker_t p;
    if (parker_init(&p) != 0)
        return NULL;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    (void)parker_park_timeout(&p, NS_PER_MS);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &out[0]);
    (void)parker_park_timeout(&p, NS_PER_MS);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &out[1]);
    parker_destroy(&p);
    return NULL;
}

static void test_park_restores_the_cancel_state(void **state)
{
    int out[2] = {-1, -1};
    (void)state;
    test_thread_join(test_thread_start(state_probe, out));
    assert_int_equal(PTHREAD_CANCEL_DISABLE, out[0]);
    assert_int_equal(PTHREAD_CANCEL_ENABLE, out[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cancel_does_not_end_or_kill_park),
        cmocka_unit_test(test_cancel_does_not_end_or_kill_timed_park),
        cmocka_unit_test(test_park_restores_the_cancel_state),
    };
    printf("backend: %s\n", parker_backend());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
