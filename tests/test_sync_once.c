/*
 * test_sync_once.c - parker_once_t keeps the promises of parker_sync.h.
 * One test per guarantee, named after it.
 */
#include "sync_common.h"

#include <time.h>

#define ONCE_THREADS 6

struct once_case {
    parker_once_t once;
    atomic_int runs;     /* how many times init ran */
    atomic_int fail_first; /* init fails (returns 5) while this is > 0 */
    atomic_int ready;
    uint64_t init_ns;    /* how long init takes */
    int payload[16];     /* plain: written by the successful init */
    int results[ONCE_THREADS];
    int saw[ONCE_THREADS];
    double cpu_ms[ONCE_THREADS];
};

static int slow_init(void *arg)
{
    struct once_case *oc = (struct once_case *)arg;
    int i;
    atomic_fetch_add(&oc->runs, 1);
    if (oc->init_ns != 0)
        test_sleep_ms((unsigned)(oc->init_ns / NS_PER_MS));
    if (atomic_load(&oc->fail_first) > 0) {
        atomic_fetch_sub(&oc->fail_first, 1);
        return 5;
    }
    for (i = 0; i < 16; i++)
        oc->payload[i] = 100 + i;
    return 0;
}

static double thread_cpu_ms(void)
{
#if defined(CLOCK_THREAD_CPUTIME_ID)
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
#endif
    return -1.0;
}

struct once_arg {
    struct once_case *oc;
    int index;
};

static void *once_caller(void *arg)
{
    struct once_arg *a = (struct once_arg *)arg;
    struct once_case *oc = a->oc;
    double cpu0;
    int r, i, sum = 0;
    atomic_fetch_add(&oc->ready, 1);
    while (atomic_load(&oc->ready) < ONCE_THREADS)
        test_yield();
    cpu0 = thread_cpu_ms();
    /* Retry as a caller of a fallible once does. */
    while ((r = parker_once(&oc->once, slow_init, oc)) != 0)
        oc->results[a->index] = r;
    oc->cpu_ms[a->index] = cpu0 < 0 ? -1.0 : thread_cpu_ms() - cpu0;
    for (i = 0; i < 16; i++)
        sum += oc->payload[i]; /* plain reads: init's writes must be visible */
    oc->saw[a->index] = sum;
    return NULL;
}

static void run_callers(struct once_case *oc)
{
    struct once_arg args[ONCE_THREADS];
    pthread_t t[ONCE_THREADS];
    int i;
    for (i = 0; i < ONCE_THREADS; i++) {
        args[i].oc = oc;
        args[i].index = i;
        t[i] = test_thread_start(once_caller, &args[i]);
    }
    for (i = 0; i < ONCE_THREADS; i++)
        test_thread_join(t[i]);
}

static const int payload_sum = 16 * 100 + 15 * 16 / 2;

static void test_init_runs_exactly_once_under_contention(void **state)
{
    static struct once_case oc;
    int i, round;
    (void)state;
    for (round = 0; round < 20; round++) {
        memset(&oc, 0, sizeof oc);
        oc.init_ns = round % 4 == 0 ? 5 * NS_PER_MS : 0;
        run_callers(&oc);
        assert_int_equal(1, atomic_load(&oc.runs));
        assert_int_equal(1, parker_once_is_done(&oc.once));
        for (i = 0; i < ONCE_THREADS; i++)
            assert_int_equal(0, oc.results[i]);
        /* Later calls return 0 without running init. */
        assert_int_equal(0, parker_once(&oc.once, slow_init, &oc));
        assert_int_equal(1, atomic_load(&oc.runs));
    }
}

static void test_init_writes_are_visible_to_every_caller(void **state)
{
    static struct once_case oc;
    int i, round;
    (void)state;
    for (round = 0; round < 20; round++) {
        memset(&oc, 0, sizeof oc);
        run_callers(&oc);
        for (i = 0; i < ONCE_THREADS; i++)
            assert_int_equal(payload_sum, oc.saw[i]);
    }
}

static int count_init(void *arg)
{
    int *calls = (int *)arg;
    return ++*calls == 1 ? 7 : 0;
}

static void test_failed_init_is_retried_and_its_value_returned(void **state)
{
    parker_once_t o = PARKER_ONCE_INIT;
    int calls = 0;
    (void)state;
    assert_int_equal(7, parker_once(&o, count_init, &calls)); /* to the caller that ran it */
    assert_int_equal(0, parker_once_is_done(&o));
    assert_int_equal(0, parker_once(&o, count_init, &calls)); /* the next caller retries */
    assert_int_equal(2, calls);
    assert_int_equal(1, parker_once_is_done(&o));
    assert_int_equal(0, parker_once(&o, count_init, &calls));
    assert_int_equal(2, calls);
}

/* Failures while others wait: the waiters wake and one of them retries; in
 * the end exactly one init succeeded and every failure went to the thread
 * that ran that init. */
static void test_waiting_callers_retry_after_a_failure(void **state)
{
    static struct once_case oc;
    int i, failures = 0;
    (void)state;
    memset(&oc, 0, sizeof oc);
    oc.init_ns = 10 * NS_PER_MS;
    atomic_store(&oc.fail_first, 3);
    run_callers(&oc);
    assert_int_equal(4, atomic_load(&oc.runs)); /* 3 failures, 1 success */
    for (i = 0; i < ONCE_THREADS; i++) {
        if (oc.results[i] == 5)
            failures++;
        else
            assert_int_equal(0, oc.results[i]);
        assert_int_equal(payload_sum, oc.saw[i]);
    }
    /* A thread may have failed more than once; at least one thread failed. */
    assert_true(failures >= 1 && failures <= 3);
    assert_int_equal(1, parker_once_is_done(&oc.once));
}

/* Concurrent callers park while init runs: over a 300 ms init, a waiting
 * thread uses a small fraction of that in CPU time.  A spinning waiter
 * would use nearly all of it (the bound is half, and the machine has cores
 * for the sleeping init and the waiters). */
static void test_concurrent_callers_park_and_never_spin(void **state)
{
    static struct once_case oc;
    int i;
    double worst = 0;
    (void)state;
    if (thread_cpu_ms() < 0) {
        print_message("SKIPPED: no per-thread CPU clock on this platform\n");
        skip();
    }
    memset(&oc, 0, sizeof oc);
    oc.init_ns = 300 * NS_PER_MS;
    run_callers(&oc);
    for (i = 0; i < ONCE_THREADS; i++)
        if (oc.cpu_ms[i] > worst)
            worst = oc.cpu_ms[i];
    print_message("once: worst CPU time of a caller during a 300 ms init: %.2f ms\n", worst);
    assert_true(worst < 150.0);
    assert_int_equal(1, atomic_load(&oc.runs));
}

#if !defined(_WIN32)
static void misuse_once_null(void)
{
    (void)parker_once(NULL, count_init, NULL);
}

static void test_misuse_aborts_with_a_message(void **state)
{
    (void)state;
    sync_expect_abort_with(misuse_once_null, "libparker: parker_once: NULL once flag");
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_runs_exactly_once_under_contention),
        cmocka_unit_test(test_init_writes_are_visible_to_every_caller),
        cmocka_unit_test(test_failed_init_is_retried_and_its_value_returned),
        cmocka_unit_test(test_waiting_callers_retry_after_a_failure),
        cmocka_unit_test(test_concurrent_callers_park_and_never_spin),
#if !defined(_WIN32)
        cmocka_unit_test(test_misuse_aborts_with_a_message),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
