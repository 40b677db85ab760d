/*
 * test_wasm.c - what the wasm backend adds to the shared suite, run under
 * node (src/wasm/atomic_wait.c):
 *
 *   - the main-thread rule: a park on the main browser thread keeps serving
 *     the calls that workers proxy to that thread (stdout writes and other
 *     syscalls, explicit emscripten_sync_run_in_main_runtime_thread), so a
 *     worker that needs the main thread before it unparks it does not
 *     deadlock.  Node lets its main thread block, so what node cannot show
 *     is only the browser's busy-wait (memory.atomic.wait32 traps there);
 *   - the worker path, where the absolute deadline becomes the relative
 *     timeout of memory.atomic.wait32: never early, and deadlines too far
 *     for an int64_t of nanoseconds still wait for the unpark.
 */
#include "common.h"

#include <emscripten/threading.h>
#include <stdatomic.h>

/* How long the main thread parks waiting for a worker that first needs the
 * main thread; a park that does not serve proxied calls times out here. */
#define PROXY_PARK_NS (10000u * NS_PER_MS)

struct proxy_case {
    parker_t *main_parker;
    int use_stdout; /* else an explicit synchronous proxied call */
    atomic_int ran_on_main;
};

static struct proxy_case *current_case;

static int run_on_main(void)
{
    atomic_store(&current_case->ran_on_main, emscripten_is_main_browser_thread() ? 1 : -1);
    return 0;
}

static void *proxying_worker(void *arg)
{
    struct proxy_case *c = (struct proxy_case *)arg;
    /* Give the main thread time to block first (not needed for the verdict:
     * a proxied call served before the park proves nothing, after it is
     * what is tested, and either way the park must return OK). */
    test_sleep_ms(50);
    if (c->use_stdout) {
        /* Emscripten proxies a worker's write() to the main thread and
         * waits for it to be done. */
        printf("test_wasm: a worker writes to stdout while the main thread is parked\n");
        fflush(stdout);
        atomic_store(&c->ran_on_main, 1);
    } else {
        emscripten_sync_run_in_main_runtime_thread(EM_FUNC_SIG_I, run_on_main);
    }
    parker_unpark(c->main_parker);
    return NULL;
}

static void check_main_park_serves_proxied_calls(int use_stdout)
{
    struct proxy_case c;
    pthread_t t;
    int r;
    assert_true(emscripten_is_main_browser_thread());
    c.main_parker = parker_self();
    assert_non_null(c.main_parker);
    c.use_stdout = use_stdout;
    atomic_store(&c.ran_on_main, 0);
    current_case = &c;
    t = test_thread_start(proxying_worker, &c);
    r = parker_park_timeout(c.main_parker, PROXY_PARK_NS);
    /* Join before any verdict, so that c outlives the worker (pthread_join
     * serves the proxied call if the park did not); then drop the token of
     * an unpark that came after a timeout. */
    test_thread_join(t);
    (void)parker_park_timeout(c.main_parker, 0);
    if (r != PARKER_OK)
        fail_msg("the parked main thread did not serve the worker's proxied %s",
                 use_stdout ? "stdout write" : "call");
    assert_int_equal(1, atomic_load(&c.ran_on_main));
}

static void test_main_thread_park_serves_proxied_calls(void **state)
{
    (void)state;
    check_main_park_serves_proxied_calls(0);
}

static void test_main_thread_park_serves_worker_stdout(void **state)
{
    (void)state;
    check_main_park_serves_proxied_calls(1);
}

/* -------------------------------------------------- the worker path */

struct timed {
    parker_t p;
    uint64_t timeout, deadline; /* deadline used when timeout == 0 */
    int result, on_main;
    uint64_t start, end;
    atomic_int started;
};

static void *timed_parker(void *arg)
{
    struct timed *w = (struct timed *)arg;
    w->on_main = emscripten_is_main_browser_thread();
    atomic_store(&w->started, 1);
    w->start = parker_now_ns();
    if (w->timeout != 0)
        w->result = parker_park_timeout(&w->p, w->timeout);
    else
        w->result = parker_park_until(&w->p, w->deadline);
    w->end = parker_now_ns();
    return NULL;
}

static void test_worker_timeout_never_returns_early(void **state)
{
    static const uint64_t timeouts[] = {1 * NS_PER_US, 300 * NS_PER_US, 2 * NS_PER_MS, 25 * NS_PER_MS};
    (void)state;
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        struct timed w;
        pthread_t t;
        memset(&w, 0, sizeof w);
        assert_int_equal(0, parker_init(&w.p));
        w.timeout = timeouts[i];
        t = test_thread_start(timed_parker, &w);
        test_thread_join(t);
        assert_false(w.on_main);
        assert_int_equal(PARKER_TIMEDOUT, w.result);
        if (w.end - w.start < timeouts[i])
            fail_msg("park_timeout(%llu ns) on a worker returned after %llu ns",
                     (unsigned long long)timeouts[i], (unsigned long long)(w.end - w.start));
        parker_destroy(&w.p);
    }
}

static void test_worker_far_deadlines_wait_for_unpark(void **state)
{
    /* Relative timeouts past INT64_MAX ns, and deadlines near the top of
     * the clock: none may expire while the test waits for it. */
    const uint64_t timeouts[] = {(uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1u, UINT64_MAX - 1u};
    const uint64_t deadlines[] = {(uint64_t)INT64_MAX + 12345u, UINT64_MAX - 1u};
    (void)state;
    for (size_t i = 0; i < 5; i++) {
        struct timed w;
        pthread_t t;
        memset(&w, 0, sizeof w);
        assert_int_equal(0, parker_init(&w.p));
        if (i < 3)
            w.timeout = timeouts[i];
        else
            w.deadline = deadlines[i - 3];
        t = test_thread_start(timed_parker, &w);
        while (!atomic_load(&w.started))
            test_yield();
        test_sleep_ms(5);
        parker_unpark(&w.p);
        test_thread_join(t);
        assert_int_equal(PARKER_OK, w.result);
        parker_destroy(&w.p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_main_thread_park_serves_proxied_calls),
        cmocka_unit_test(test_main_thread_park_serves_worker_stdout),
        cmocka_unit_test(test_worker_timeout_never_returns_early),
        cmocka_unit_test(test_worker_far_deadlines_wait_for_unpark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
