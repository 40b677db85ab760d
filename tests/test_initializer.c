/*
 * test_initializer.c - PARKER_INITIALIZER is a valid parker without
 * parker_init, on every backend, also as the very first thing the process
 * does with the library (the pthread backend then has to set up its
 * process-wide table by itself).  The first test below must stay first: it
 * runs before any other call of the library in this program.
 */
#include "common.h"

#include <stdatomic.h>
#if defined(_WIN32)
#include <windows.h>
#endif

static parker_t first_parker = PARKER_INITIALIZER;
static parker_t woken_parker = PARKER_INITIALIZER;

static uint64_t process_cpu_ns(void)
{
#if defined(_WIN32)
    FILETIME c, e, k, u;
    ULARGE_INTEGER kk, uu;
    if (!GetProcessTimes(GetCurrentProcess(), &c, &e, &k, &u))
        return 0;
    kk.LowPart = k.dwLowDateTime;
    kk.HighPart = k.dwHighDateTime;
    uu.LowPart = u.dwLowDateTime;
    uu.HighPart = u.dwHighDateTime;
    return (kk.QuadPart + uu.QuadPart) * 100u;
#else
    struct timespec ts;
    (void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* First use of the library in this process: a timed park on a statically
 * initialised parker must sleep (not spin, not return early). */
static void test_initializer_parker_sleeps_as_first_use(void **state)
{
    uint64_t t0, c0, wall, cpu;
    int r;
    (void)state;
    c0 = process_cpu_ns();
    t0 = parker_now_ns();
    r = parker_park_timeout(&first_parker, 300 * NS_PER_MS);
    wall = parker_now_ns() - t0;
    cpu = process_cpu_ns() - c0;
    print_message("park_timeout(300 ms) on PARKER_INITIALIZER as first use: %.1f ms wall, "
                  "%.2f ms CPU\n", (double)wall / 1e6, (double)cpu / 1e6);
    assert_int_equal(PARKER_TIMEDOUT, r);
    if (wall < 300 * NS_PER_MS)
        fail_msg("returned early: %llu ns", (unsigned long long)wall);
    /* A sleeping park uses next to no CPU; a spinning one uses ~300 ms. */
    if (cpu > 50 * NS_PER_MS)
        fail_msg("the park spun: %.1f ms of CPU in a 300 ms sleep", (double)cpu / 1e6);
}

struct sleeper {
    atomic_long tid;
    atomic_int returned;
};

static void *park_woken(void *arg)
{
    struct sleeper *s = (struct sleeper *)arg;
    atomic_store(&s->tid, test_gettid() ? test_gettid() : 1);
    parker_park(&woken_parker);
    atomic_store(&s->returned, 1);
    return NULL;
}

static void test_initializer_parker_is_woken_by_unpark(void **state)
{
    struct sleeper s;
    pthread_t t;
    (void)state;
    memset(&s, 0, sizeof s);
    t = test_thread_start(park_woken, &s);
    while (atomic_load(&s.tid) == 0)
        test_yield();
    test_wait_blocked(atomic_load(&s.tid));
    assert_int_equal(0, atomic_load(&s.returned));
    parker_unpark(&woken_parker);
    test_thread_join(t);
    assert_int_equal(1, atomic_load(&s.returned));
    parker_destroy(&woken_parker);
}

static void test_initializer_equals_a_fresh_parker(void **state)
{
    parker_t a = PARKER_INITIALIZER, b;
    (void)state;
    assert_int_equal(0, parker_init(&b));
    assert_memory_equal(&a, &b, sizeof a);
    /* No token, and a token is kept and consumed as usual. */
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&a, 0));
    parker_unpark(&a);
    assert_int_equal(PARKER_OK, parker_park_timeout(&a, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(&a, NS_PER_MS));
    parker_destroy(&a);
    parker_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initializer_parker_sleeps_as_first_use), /* must stay first */
        cmocka_unit_test(test_initializer_parker_is_woken_by_unpark),
        cmocka_unit_test(test_initializer_equals_a_fresh_parker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
