/*
 * test_sync_sem.c - parker_sem_t: one test per guarantee of its policy
 * comment in parker_sync.h (issue 12).
 */
#include "sync_common.h"

static uint32_t sem_word(parker_sem_t *s)
{
    return __atomic_load_n(&s->v, __ATOMIC_RELAXED);
}

/* ------------------------------------------------ a thread doing one wait */

struct sem_call {
    parker_sem_t *s;
    uint64_t timeout_ns; /* PARKER_FOREVER: parker_sem_wait */
    atomic_int result;   /* -1 until the call returned */
    atomic_int order;    /* position among the returns (see sem_returns) */
    uint64_t elapsed_ns;
    pthread_t thread;
};

static atomic_int sem_returns;

static void *sem_call_main(void *arg)
{
    struct sem_call *c = arg;
    uint64_t t0 = parker_now_ns();
    int r = PARKER_OK;
    if (c->timeout_ns == PARKER_FOREVER)
        parker_sem_wait(c->s);
    else
        r = parker_sem_wait_timeout(c->s, c->timeout_ns);
    c->elapsed_ns = parker_now_ns() - t0;
    atomic_store(&c->order, atomic_fetch_add(&sem_returns, 1));
    atomic_store(&c->result, r);
    return NULL;
}

/* Start a wait and return once it is queued (n threads queued then), or
 * has returned already (it found a unit). */
static void sem_call_start_queued(struct sem_call *c, parker_sem_t *s, uint64_t timeout_ns,
                                  size_t n)
{
    c->s = s;
    c->timeout_ns = timeout_ns;
    atomic_init(&c->result, -1);
    atomic_init(&c->order, -1);
    c->thread = test_thread_start(sem_call_main, c);
    SYNC_WAIT_UNTIL(sync_lot_waiters(s) >= n || atomic_load(&c->result) != -1);
}

/* ------------------------------------------------------------- basics */

static void test_sem_fits_in_8_bytes_and_zero_has_count_0(void **state)
{
    parker_sem_t s = PARKER_SEM_INIT, z;
    (void)state;
    assert_true(sizeof(parker_sem_t) <= 8);
    memset(&z, 0, sizeof z);
    assert_int_equal(0, parker_sem_value(&z));
    assert_int_equal(PARKER_AGAIN, parker_sem_trywait(&z));
    parker_sem_post(&s, 3);
    parker_sem_post(&s, 0);
    assert_int_equal(3, parker_sem_value(&s));
    assert_int_equal(PARKER_OK, parker_sem_trywait(&s));
    assert_int_equal(PARKER_OK, parker_sem_wait_timeout(&s, 0));
    parker_sem_wait(&s);
    assert_int_equal(PARKER_AGAIN, parker_sem_trywait(&s));
    assert_int_equal(0, sem_word(&s));
}

static void test_timed_wait_never_returns_early(void **state)
{
    parker_sem_t s = PARKER_SEM_INIT;
    int i;
    (void)state;
    for (i = 0; i < 5; i++) {
        uint64_t timeout = (uint64_t)(i * 3 + 1) * NS_PER_MS, t0 = parker_now_ns(), deadline;
        assert_int_equal(PARKER_TIMEDOUT, parker_sem_wait_timeout(&s, timeout));
        assert_true(parker_now_ns() - t0 >= timeout);
        deadline = parker_now_ns() + timeout;
        assert_int_equal(PARKER_TIMEDOUT, parker_sem_wait_until(&s, deadline));
        assert_true(parker_now_ns() >= deadline);
    }
    assert_int_equal(PARKER_TIMEDOUT, parker_sem_wait_until(&s, 0));
    assert_int_equal(0, sem_word(&s)); /* no parked bit left behind */
    parker_sem_post(&s, 1);
    assert_int_equal(PARKER_OK, parker_sem_wait_until(&s, 0)); /* a unit is taken even so */
}

/* ------------------------------------------------ conservation */

/* Producers post random batches while consumers take units by every kind of
 * wait: every posted unit is taken exactly once (none lost, none doubled),
 * and every post happens-before the wait that takes its unit. */
#define CONS_PRODUCERS 2
#define CONS_CONSUMERS 3
static parker_sem_t cons_sem;
static atomic_long cons_taken, cons_posted;
static long cons_total;
static atomic_int cons_stop;

static void *cons_producer(void *arg)
{
    uint64_t rng = (uint64_t)(intptr_t)arg * 7919 + 17;
    long my_share = cons_total / CONS_PRODUCERS, sent = 0;
    while (sent < my_share) {
        long n;
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        n = (long)(rng % 4) + 1;
        if (n > my_share - sent)
            n = my_share - sent;
        atomic_fetch_add(&cons_posted, n);
        parker_sem_post(&cons_sem, (uint32_t)n);
        sent += n;
        if (rng % 16 == 0)
            test_yield();
    }
    return NULL;
}

static void *cons_consumer(void *arg)
{
    int id = (int)(intptr_t)arg, i = 0;
    while (!atomic_load(&cons_stop)) {
        int r;
        switch ((i++ + id) % 3) {
        case 0:
            r = parker_sem_trywait(&cons_sem);
            break;
        case 1:
            r = parker_sem_wait_timeout(&cons_sem, 100 * NS_PER_US);
            break;
        default:
            r = parker_sem_wait_timeout(&cons_sem, 5 * NS_PER_MS);
            break;
        }
        if (r == PARKER_OK) {
            /* A unit is never taken before it was posted. */
            long taken = atomic_fetch_add(&cons_taken, 1) + 1;
            if (taken > atomic_load(&cons_posted))
                atomic_store(&cons_stop, 2);
        }
    }
    return NULL;
}

static void test_never_loses_a_post_or_gives_a_unit_twice(void **state)
{
    pthread_t p[CONS_PRODUCERS], c[CONS_CONSUMERS];
    int i;
    (void)state;
    cons_total = 200000 / (long)sync_slowdown();
    for (i = 0; i < CONS_CONSUMERS; i++)
        c[i] = test_thread_start(cons_consumer, (void *)(intptr_t)i);
    for (i = 0; i < CONS_PRODUCERS; i++)
        p[i] = test_thread_start(cons_producer, (void *)(intptr_t)i);
    for (i = 0; i < CONS_PRODUCERS; i++)
        test_thread_join(p[i]);
    SYNC_WAIT_UNTIL(atomic_load(&cons_taken) >= cons_total || atomic_load(&cons_stop) != 0);
    atomic_store(&cons_stop, 1);
    for (i = 0; i < CONS_CONSUMERS; i++)
        test_thread_join(c[i]);
    assert_int_equal(cons_total, atomic_load(&cons_posted));
    assert_int_equal(cons_total, atomic_load(&cons_taken));
    assert_int_equal(0, parker_sem_value(&cons_sem));
    assert_int_equal(PARKER_AGAIN, parker_sem_trywait(&cons_sem));
    assert_int_equal(0, sem_word(&cons_sem));
}

/* ------------------------------------------------ fairness */

/* Posts go to queued waiters oldest first, one unit each; a post of n wakes
 * exactly n of them and raises the count only by what is left. */
static void test_posts_go_to_the_oldest_waiters_one_unit_each(void **state)
{
    parker_sem_t s = PARKER_SEM_INIT;
    struct sem_call w[3];
    int i;
    (void)state;
    atomic_store(&sem_returns, 0);
    for (i = 0; i < 3; i++)
        sem_call_start_queued(&w[i], &s, PARKER_FOREVER, (size_t)i + 1);
    parker_sem_post(&s, 1);
    SYNC_WAIT_UNTIL(atomic_load(&w[0].result) == PARKER_OK);
    parker_sem_post(&s, 4); /* two waiters, two left over */
    SYNC_WAIT_UNTIL(atomic_load(&w[1].result) == PARKER_OK &&
                    atomic_load(&w[2].result) == PARKER_OK);
    for (i = 0; i < 3; i++)
        test_thread_join(w[i].thread);
    assert_int_equal(0, atomic_load(&w[0].order));
    assert_int_equal(2, parker_sem_value(&s));
    assert_int_equal(0, sync_lot_waiters(&s));
}

/* Nobody barges past a queued waiter: a unit posted while a thread waits
 * is that thread's, so an immediate trywait by the poster fails. */
static void test_trywait_cannot_take_a_unit_from_a_queued_waiter(void **state)
{
    parker_sem_t s = PARKER_SEM_INIT;
    struct sem_call w;
    int i;
    (void)state;
    for (i = 0; i < 20; i++) {
        sem_call_start_queued(&w, &s, PARKER_FOREVER, 1);
        parker_sem_post(&s, 1);
        assert_int_equal(PARKER_AGAIN, parker_sem_trywait(&s));
        test_thread_join(w.thread);
        assert_int_equal(PARKER_OK, atomic_load(&w.result));
        assert_int_equal(0, sem_word(&s));
    }
}

/* The measured failure: a waiter with a deadline queued first, then
 * threads that loop post(1); wait() as fast as they can.  On a barging
 * semaphore the loopers take back their own posts and the waiter times out;
 * here the first post after it queued is its unit. */
#define LOOPERS 2
static parker_sem_t loop_sem;
static atomic_int loop_stop;
static atomic_ulong loop_rounds;

static void *looper(void *arg)
{
    (void)arg;
    while (!atomic_load(&loop_stop)) {
        parker_sem_post(&loop_sem, 1);
        parker_sem_wait(&loop_sem);
        atomic_fetch_add(&loop_rounds, 1);
    }
    return NULL;
}

static void test_queued_waiter_gets_a_unit_while_later_threads_loop(void **state)
{
    struct sem_call w;
    pthread_t t[LOOPERS];
    int i;
    (void)state;
    sem_call_start_queued(&w, &loop_sem, 2000 * NS_PER_MS * sync_slowdown(), 1);
    for (i = 0; i < LOOPERS; i++)
        t[i] = test_thread_start(looper, NULL);
    SYNC_WAIT_UNTIL(atomic_load(&w.result) != -1);
    test_thread_join(w.thread);
    assert_int_equal(PARKER_OK, atomic_load(&w.result));
    atomic_store(&loop_stop, 1);
    parker_sem_post(&loop_sem, LOOPERS); /* release loopers blocked in wait */
    for (i = 0; i < LOOPERS; i++)
        test_thread_join(t[i]);
    print_message("waiter got its unit after %.3f ms\n", (double)w.elapsed_ns / 1e6);
}

/* A waiter handed a unit as its deadline passes reports PARKER_OK, and the
 * unit is not also left in the count: over many short timed waits racing
 * posts, units taken + count left == units posted. */
static void test_unit_handed_at_the_deadline_is_not_lost(void **state)
{
    parker_sem_t s = PARKER_SEM_INIT;
    int i, n = 300 / (int)sync_slowdown(), ok = 0;
    (void)state;
    for (i = 0; i < n; i++) {
        struct sem_call w;
        sem_call_start_queued(&w, &s, (uint64_t)(i % 5) * 100 * NS_PER_US + 50 * NS_PER_US, 1);
        sync_busy_ns((uint64_t)(i % 7) * 40 * NS_PER_US);
        parker_sem_post(&s, 1);
        test_thread_join(w.thread);
        if (atomic_load(&w.result) == PARKER_OK)
            ok++;
        else
            assert_true(w.elapsed_ns >= (uint64_t)(i % 5) * 100 * NS_PER_US + 50 * NS_PER_US);
    }
    assert_int_equal(n, ok + (int)parker_sem_value(&s));
}

/* ------------------------------------------------ misuse */

#if !defined(_WIN32)
static void misuse_overflow(void)
{
    parker_sem_t s = PARKER_SEM_INIT;
    parker_sem_post(&s, PARKER_SEM_VALUE_MAX);
    parker_sem_post(&s, 1);
}

static void misuse_null(void)
{
    parker_sem_post(NULL, 1);
}

static void test_post_beyond_the_maximum_aborts_with_a_message(void **state)
{
    (void)state;
    sync_expect_abort_with(misuse_overflow,
                           "libparker: parker_sem_post: count would exceed PARKER_SEM_VALUE_MAX");
    sync_expect_abort_with(misuse_null, "libparker: parker_sem_post: NULL semaphore");
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sem_fits_in_8_bytes_and_zero_has_count_0),
        cmocka_unit_test(test_timed_wait_never_returns_early),
        cmocka_unit_test(test_never_loses_a_post_or_gives_a_unit_twice),
        cmocka_unit_test(test_posts_go_to_the_oldest_waiters_one_unit_each),
        cmocka_unit_test(test_trywait_cannot_take_a_unit_from_a_queued_waiter),
        cmocka_unit_test(test_queued_waiter_gets_a_unit_while_later_threads_loop),
        cmocka_unit_test(test_unit_handed_at_the_deadline_is_not_lost),
#if !defined(_WIN32)
        cmocka_unit_test(test_post_beyond_the_maximum_aborts_with_a_message),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
