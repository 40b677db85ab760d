/*
 * test_sync_waitgroup.c - parker_waitgroup_t and parker_barrier_t: one test
 * per guarantee of their policy comments in parker_sync.h (issue 12).
 */
#include "sync_common.h"

/* The word's low half: count << 1 | waiters bit (the high half counts the
 * zeros so far). */
static uint32_t wg_word(parker_waitgroup_t *w)
{
    return (uint32_t)__atomic_load_n(&w->v, __ATOMIC_RELAXED);
}

static uint32_t wg_generation(parker_waitgroup_t *w)
{
    return (uint32_t)(__atomic_load_n(&w->v, __ATOMIC_RELAXED) >> 32);
}

/* ================================================= wait group */

static void wg_call_start_queued(struct wg_call *c, parker_waitgroup_t *w, uint64_t timeout_ns,
                                 size_t n)
{
    c->w = w;
    c->timeout_ns = timeout_ns;
    atomic_init(&c->result, -1);
    c->thread = test_thread_start(wg_call_main, c);
    SYNC_WAIT_UNTIL(sync_lot_waiters(w) >= n || atomic_load(&c->result) != -1);
}

/* 8 bytes, 8-aligned on every target (the word is a 64-bit atomic), also
 * inside a structure after a smaller member. */
struct wg_holder {
    char c;
    parker_waitgroup_t w;
};

static void test_waitgroup_is_eight_bytes_and_eight_aligned(void **state)
{
    struct wg_holder h;
    (void)state;
    assert_int_equal(8, sizeof(parker_waitgroup_t));
    assert_int_equal(8, _Alignof(parker_waitgroup_t));
    assert_int_equal(8, offsetof(struct wg_holder, w));
    assert_int_equal(0, (uintptr_t)&h.w % 8);
}

/* Every step that makes the count zero counts one generation; steps that
 * do not, and a wait, leave it. */
static void test_each_zero_counts_one_generation(void **state)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT;
    (void)state;
    parker_waitgroup_add(&w, 0);
    assert_int_equal(0, wg_generation(&w));
    parker_waitgroup_add(&w, 2);
    parker_waitgroup_done(&w);
    assert_int_equal(0, wg_generation(&w));
    parker_waitgroup_done(&w);
    assert_int_equal(1, wg_generation(&w));
    assert_int_equal(PARKER_OK, parker_waitgroup_wait(&w, 0));
    parker_waitgroup_add(&w, 0);
    assert_int_equal(1, wg_generation(&w));
    parker_waitgroup_add(&w, 5);
    parker_waitgroup_add(&w, -5);
    assert_int_equal(2, wg_generation(&w));
    assert_int_equal(0, wg_word(&w));
}

static void test_zero_waitgroup_is_done(void **state)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT, z;
    (void)state;
    memset(&z, 0, sizeof z);
    assert_int_equal(0, parker_waitgroup_count(&z));
    assert_int_equal(PARKER_OK, parker_waitgroup_wait(&z, 0));
    assert_int_equal(PARKER_OK, parker_waitgroup_wait(&w, PARKER_FOREVER));
    parker_waitgroup_add(&w, 3);
    assert_int_equal(3, parker_waitgroup_count(&w));
    parker_waitgroup_add(&w, -2);
    parker_waitgroup_done(&w);
    assert_int_equal(0, parker_waitgroup_count(&w));
    assert_int_equal(PARKER_OK, parker_waitgroup_wait(&w, 0));
}

/* Workers write their results and call done; after wait returns, every
 * result is visible (plain data; TSan checks the ordering too). */
#define WG_WORKERS 6
static parker_waitgroup_t work_wg;
static unsigned long work_result[WG_WORKERS];
static int work_round;

static void *worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    work_result[i] = (unsigned long)(work_round * 1000 + i);
    parker_waitgroup_done(&work_wg);
    return NULL;
}

static void test_writes_before_done_are_visible_after_wait_and_group_is_reusable(void **state)
{
    pthread_t t[WG_WORKERS];
    int i, rounds = 200 / (int)sync_slowdown();
    (void)state;
    for (work_round = 1; work_round <= rounds; work_round++) {
        parker_waitgroup_add(&work_wg, WG_WORKERS);
        for (i = 0; i < WG_WORKERS; i++)
            t[i] = test_thread_start(worker, (void *)(intptr_t)i);
        assert_int_equal(PARKER_OK, parker_waitgroup_wait(&work_wg, PARKER_FOREVER));
        for (i = 0; i < WG_WORKERS; i++)
            assert_int_equal((unsigned long)(work_round * 1000 + i), work_result[i]);
        for (i = 0; i < WG_WORKERS; i++)
            test_thread_join(t[i]);
    }
    assert_int_equal(0, wg_word(&work_wg));
}

static void test_wait_timeout_never_returns_early(void **state)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT;
    int i;
    (void)state;
    parker_waitgroup_add(&w, 1);
    for (i = 0; i < 5; i++) {
        uint64_t timeout = (uint64_t)(i * 3 + 1) * NS_PER_MS, t0 = parker_now_ns(), deadline;
        assert_int_equal(PARKER_TIMEDOUT, parker_waitgroup_wait(&w, timeout));
        assert_true(parker_now_ns() - t0 >= timeout);
        deadline = parker_now_ns() + timeout;
        assert_int_equal(PARKER_TIMEDOUT, parker_waitgroup_wait_until(&w, deadline));
        assert_true(parker_now_ns() >= deadline);
    }
    assert_int_equal(PARKER_TIMEDOUT, parker_waitgroup_wait(&w, 0));
    assert_int_equal(2, wg_word(&w)); /* count 1, no waiters bit left behind */
    parker_waitgroup_done(&w);
    assert_int_equal(PARKER_OK, parker_waitgroup_wait(&w, 0));
}

/* Every waiter queued when the count reaches zero returns PARKER_OK, even
 * if an add raises the count again before it runs; a waiter that starts
 * after that add waits for the next zero. */
static void test_waiters_of_a_zero_return_even_if_the_count_rises_again(void **state)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT;
    struct wg_call a, b, late;
    (void)state;
    parker_waitgroup_add(&w, 1);
    wg_call_start_queued(&a, &w, PARKER_FOREVER, 1);
    wg_call_start_queued(&b, &w, 10 * SYNC_BOUND_NS, 2);
    parker_waitgroup_done(&w);
    parker_waitgroup_add(&w, 1); /* next round, before a and b have run */
    test_thread_join(a.thread);
    test_thread_join(b.thread);
    assert_int_equal(PARKER_OK, atomic_load(&a.result));
    assert_int_equal(PARKER_OK, atomic_load(&b.result));
    wg_call_start_queued(&late, &w, 30 * NS_PER_MS, 1);
    test_thread_join(late.thread);
    assert_int_equal(PARKER_TIMEDOUT, atomic_load(&late.result));
    assert_true(late.elapsed_ns >= 30 * NS_PER_MS);
    parker_waitgroup_done(&w);
    assert_int_equal(0, wg_word(&w));
}

/* Many rounds with waiters and workers racing: no waiter hangs (a missed
 * zero hangs the test into its ctest TIMEOUT) and none returns while the
 * work of its round is still outstanding. */
static parker_waitgroup_t race_wg;
static atomic_int race_pending, race_bad;

static void *race_waiter(void *arg)
{
    (void)arg;
    if (parker_waitgroup_wait(&race_wg, PARKER_FOREVER) != PARKER_OK)
        atomic_store(&race_bad, 1);
    return NULL;
}

static void *race_worker(void *arg)
{
    (void)arg;
    atomic_fetch_sub(&race_pending, 1);
    parker_waitgroup_done(&race_wg);
    return NULL;
}

static void test_rounds_of_racing_waiters_and_workers_complete(void **state)
{
    int round, i, rounds = 300 / (int)sync_slowdown();
    (void)state;
    for (round = 0; round < rounds; round++) {
        pthread_t wt[2], kt[3];
        atomic_store(&race_pending, 3);
        parker_waitgroup_add(&race_wg, 3);
        for (i = 0; i < 2; i++)
            wt[i] = test_thread_start(race_waiter, NULL);
        for (i = 0; i < 3; i++)
            kt[i] = test_thread_start(race_worker, NULL);
        assert_int_equal(PARKER_OK, parker_waitgroup_wait(&race_wg, PARKER_FOREVER));
        assert_int_equal(0, atomic_load(&race_pending));
        for (i = 0; i < 2; i++)
            test_thread_join(wt[i]);
        for (i = 0; i < 3; i++)
            test_thread_join(kt[i]);
    }
    assert_int_equal(0, atomic_load(&race_bad));
    assert_int_equal(0, wg_word(&race_wg));
}

/* ================================================= barrier */

static void test_barrier_init_rejects_zero_and_null(void **state)
{
    parker_barrier_t b;
    (void)state;
    assert_int_equal(PARKER_INVALID, parker_barrier_init(&b, 0));
    assert_int_equal(PARKER_INVALID, parker_barrier_init(NULL, 2));
    assert_int_equal(PARKER_OK, parker_barrier_init(&b, 1));
    /* count 1: every wait completes a phase alone and is its serial thread */
    assert_int_equal(1, parker_barrier_wait(&b));
    assert_int_equal(1, parker_barrier_wait(&b));
}

/* N threads, many phases: in each phase exactly one wait returns 1, no
 * thread leaves a phase before all have arrived, and every thread's writes
 * before the wait are visible to every thread after it. */
#define BAR_THREADS 4
#define BAR_MAX_PHASES 2000
static parker_barrier_t bar;
static int bar_phases;
static unsigned bar_data[BAR_THREADS];
static atomic_int bar_serial[BAR_MAX_PHASES];
static atomic_int bar_bad;

static void *bar_thread(void *arg)
{
    int id = (int)(intptr_t)arg, p, i;
    for (p = 0; p < bar_phases; p++) {
        bar_data[id] = (unsigned)(p * 16 + id);
        if (parker_barrier_wait(&bar))
            atomic_fetch_add(&bar_serial[p], 1);
        for (i = 0; i < BAR_THREADS; i++)
            if (bar_data[i] != (unsigned)(p * 16 + i))
                atomic_store(&bar_bad, 1);
        /* Nobody rewrites bar_data before everyone has checked it. */
        (void)parker_barrier_wait(&bar);
    }
    return NULL;
}

static void test_one_serial_thread_per_phase_and_barrier_is_reusable(void **state)
{
    pthread_t t[BAR_THREADS];
    int i, p;
    (void)state;
    bar_phases = 1000 / (int)sync_slowdown();
    assert_int_equal(PARKER_OK, parker_barrier_init(&bar, BAR_THREADS));
    for (i = 0; i < BAR_THREADS; i++)
        t[i] = test_thread_start(bar_thread, (void *)(intptr_t)i);
    for (i = 0; i < BAR_THREADS; i++)
        test_thread_join(t[i]);
    assert_int_equal(0, atomic_load(&bar_bad));
    for (p = 0; p < bar_phases; p++)
        assert_int_equal(1, atomic_load(&bar_serial[p]));
    assert_int_equal(0, bar.arrived);
}

/* count + 1 arrivals: the extra thread belongs to the next phase and waits
 * for count - 1 more. */
struct bar_call {
    parker_barrier_t *b;
    atomic_int result;
    pthread_t thread;
};

static void *bar_call_main(void *arg)
{
    struct bar_call *c = arg;
    atomic_store(&c->result, parker_barrier_wait(c->b));
    return NULL;
}

static void bar_call_start(struct bar_call *c, parker_barrier_t *b)
{
    c->b = b;
    atomic_init(&c->result, -1);
    c->thread = test_thread_start(bar_call_main, c);
}

static void test_extra_arrival_waits_for_the_next_phase(void **state)
{
    parker_barrier_t b;
    struct bar_call c[4];
    int i;
    (void)state;
    assert_int_equal(PARKER_OK, parker_barrier_init(&b, 2));
    bar_call_start(&c[0], &b);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&b) == 1);
    bar_call_start(&c[1], &b); /* completes phase 1 */
    SYNC_WAIT_UNTIL(atomic_load(&c[0].result) != -1 && atomic_load(&c[1].result) != -1);
    assert_int_equal(0, atomic_load(&c[0].result));
    assert_int_equal(1, atomic_load(&c[1].result));
    bar_call_start(&c[2], &b); /* the third arrival: phase 2 */
    SYNC_WAIT_UNTIL(sync_lot_waiters(&b) == 1);
    test_sleep_ms(20);
    assert_int_equal(-1, atomic_load(&c[2].result));
    bar_call_start(&c[3], &b);
    SYNC_WAIT_UNTIL(atomic_load(&c[2].result) != -1 && atomic_load(&c[3].result) != -1);
    assert_int_equal(0, atomic_load(&c[2].result));
    assert_int_equal(1, atomic_load(&c[3].result));
    for (i = 0; i < 4; i++)
        test_thread_join(c[i].thread);
}

/* The last arrival wakes only a couple of threads and the woken ones wake
 * the rest (parker_sync.h, barrier "Wake-ups"): every one of a large phase
 * must still return, with nobody left parked on the barrier or on its
 * release key, and the completer returns at once whatever the count. */
static void test_a_large_phase_is_released_entirely(void **state)
{
    enum { N = 9 };
    parker_barrier_t b;
    struct bar_call c[N - 1];
    int i, round;
    (void)state;
    assert_int_equal(PARKER_OK, parker_barrier_init(&b, N));
    for (round = 0; round < 10; round++) {
        for (i = 0; i < N - 1; i++)
            bar_call_start(&c[i], &b);
        SYNC_WAIT_UNTIL(sync_lot_waiters(&b) == N - 1);
        assert_int_equal(1, parker_barrier_wait(&b));
        for (i = 0; i < N - 1; i++) {
            SYNC_WAIT_UNTIL(atomic_load(&c[i].result) != -1);
            assert_int_equal(0, atomic_load(&c[i].result));
            test_thread_join(c[i].thread);
        }
        assert_int_equal(0, sync_lot_waiters(&b));
        assert_int_equal(0, sync_lot_waiters(&b.arrived));
        assert_int_equal(0, b.arrived);
    }
}

/* Racing version: count 3 and four threads, so every phase has a thread
 * too many and two threads can both believe they are the last arrival.
 * Each arrival first takes one of 3 * phases tickets; a thread only takes
 * a ticket when it is free to arrive, so the arrivals form exactly that many
 * whole phases and nobody can be stranded: all threads return, exactly one
 * serial return per phase, and the barrier ends empty. */
static parker_barrier_t skew_bar;
static atomic_int skew_serial, skew_tickets, skew_returns;

static void *skew_thread(void *arg)
{
    (void)arg;
    while (atomic_fetch_sub(&skew_tickets, 1) > 0) {
        atomic_fetch_add(&skew_serial, parker_barrier_wait(&skew_bar));
        atomic_fetch_add(&skew_returns, 1);
    }
    return NULL;
}

static void test_more_threads_than_count_form_whole_phases(void **state)
{
    int round, i, rounds = 100 / (int)sync_slowdown(), phases = 50;
    (void)state;
    for (round = 0; round < rounds; round++) {
        pthread_t t[4];
        atomic_store(&skew_serial, 0);
        atomic_store(&skew_returns, 0);
        atomic_store(&skew_tickets, 3 * phases);
        assert_int_equal(PARKER_OK, parker_barrier_init(&skew_bar, 3));
        for (i = 0; i < 4; i++)
            t[i] = test_thread_start(skew_thread, NULL);
        for (i = 0; i < 4; i++)
            test_thread_join(t[i]);
        assert_int_equal(phases, atomic_load(&skew_serial));
        assert_int_equal(3 * phases, atomic_load(&skew_returns));
        assert_int_equal(0, skew_bar.arrived);
    }
}

#if !defined(_WIN32)
static void misuse_negative(void)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT;
    parker_waitgroup_add(&w, 1);
    parker_waitgroup_add(&w, -2);
}

static void misuse_done_at_zero(void)
{
    parker_waitgroup_t w = PARKER_WAITGROUP_INIT;
    parker_waitgroup_done(&w);
}

static void misuse_zero_barrier(void)
{
    parker_barrier_t b;
    memset(&b, 0, sizeof b);
    (void)parker_barrier_wait(&b);
}

static void test_negative_count_and_uninitialised_barrier_abort_with_a_message(void **state)
{
    (void)state;
    sync_expect_abort_with(misuse_negative,
                           "libparker: parker_waitgroup_add: count would go negative");
    sync_expect_abort_with(misuse_done_at_zero,
                           "libparker: parker_waitgroup_add: count would go negative");
    sync_expect_abort_with(misuse_zero_barrier,
                           "libparker: parker_barrier_wait: barrier not initialised");
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waitgroup_is_eight_bytes_and_eight_aligned),
        cmocka_unit_test(test_each_zero_counts_one_generation),
        cmocka_unit_test(test_zero_waitgroup_is_done),
        cmocka_unit_test(test_writes_before_done_are_visible_after_wait_and_group_is_reusable),
        cmocka_unit_test(test_wait_timeout_never_returns_early),
        cmocka_unit_test(test_waiters_of_a_zero_return_even_if_the_count_rises_again),
        cmocka_unit_test(test_rounds_of_racing_waiters_and_workers_complete),
        cmocka_unit_test(test_barrier_init_rejects_zero_and_null),
        cmocka_unit_test(test_one_serial_thread_per_phase_and_barrier_is_reusable),
        cmocka_unit_test(test_extra_arrival_waits_for_the_next_phase),
        cmocka_unit_test(test_a_large_phase_is_released_entirely),
        cmocka_unit_test(test_more_threads_than_count_form_whole_phases),
#if !defined(_WIN32)
        cmocka_unit_test(test_negative_count_and_uninitialised_barrier_abort_with_a_message),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
