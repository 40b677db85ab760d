/*
 * test_sync_cond.c - parker_cond_t keeps the promises of parker_sync.h.
 * One test per guarantee, named after it.
 */
#include "sync_common.h"

#include <errno.h>

/* ---------------------------------------------------------- a waiter */

struct cwaiter {
    parker_cond_t *c;
    parker_mutex_t *m;
    uint64_t timeout;   /* PARKER_FOREVER: parker_cond_wait */
    int result;
    int held_after;     /* the mutex was held when the wait returned */
    uint64_t elapsed;
    atomic_int done;
    atomic_int *inside; /* optional: mutual exclusion check after waking */
    atomic_int bad;
    pthread_t thread;
};

static void *cwaiter_main(void *arg)
{
    struct cwaiter *w = (struct cwaiter *)arg;
    uint64_t t0;
    parker_mutex_lock(w->m);
    t0 = parker_now_ns();
    if (w->timeout == PARKER_FOREVER) {
        parker_cond_wait(w->c, w->m);
        w->result = PARKER_OK;
    } else {
        w->result = parker_cond_wait_timeout(w->c, w->m, w->timeout);
    }
    w->elapsed = parker_now_ns() - t0;
    w->held_after = parker_mutex_is_locked(w->m);
    if (w->inside != NULL) {
        if (atomic_fetch_add(w->inside, 1) != 0)
            atomic_store(&w->bad, 1);
        sync_busy_ns(200 * NS_PER_US);
        atomic_fetch_sub(w->inside, 1);
    }
    parker_mutex_unlock(w->m);
    atomic_store(&w->done, 1);
    return NULL;
}

static void cwaiter_start(struct cwaiter *w, parker_cond_t *c, parker_mutex_t *m,
                          uint64_t timeout, atomic_int *inside)
{
    w->c = c;
    w->m = m;
    w->timeout = timeout;
    w->result = -1;
    w->held_after = 0;
    w->elapsed = 0;
    w->inside = inside;
    atomic_store(&w->done, 0);
    atomic_store(&w->bad, 0);
    w->thread = test_thread_start(cwaiter_main, w);
}

/* Join n waiters: each must have returned PARKER_OK holding the mutex, and
 * never found another waiter inside the mutex with it. */
static void cwaiters_join_ok(struct cwaiter *w, int n)
{
    int i;
    for (i = 0; i < n; i++) {
        test_thread_join(w[i].thread);
        assert_int_equal(PARKER_OK, w[i].result);
        assert_int_equal(1, w[i].held_after);
        assert_int_equal(0, atomic_load(&w[i].bad));
    }
}

/* ----------------------------------------------------------- tests */

static void test_signal_without_waiters_returns_zero_and_is_not_remembered(void **state)
{
    parker_cond_t c = PARKER_COND_INIT;
    parker_mutex_t m = PARKER_MUTEX_INIT;
    (void)state;
    assert_int_equal(0, parker_cond_signal(&c));
    assert_int_equal(0, parker_cond_broadcast(&c));
    parker_mutex_lock(&m);
    assert_int_equal(PARKER_TIMEDOUT, parker_cond_wait_timeout(&c, &m, 10 * NS_PER_MS));
    parker_mutex_unlock(&m);
    assert_int_equal(0, c.private_lock_);
}

/* No spurious returns: with nobody signalling, every wait times out, never
 * early, and holds the mutex again when it returns.  (The spurious-* presets
 * make the backend wake up at random underneath.) */
static void test_wait_returns_ok_only_when_chosen(void **state)
{
    parker_cond_t c = PARKER_COND_INIT;
    parker_mutex_t m = PARKER_MUTEX_INIT;
    struct cwaiter w[4];
    int i;
    (void)state;
    for (i = 0; i < 4; i++)
        cwaiter_start(&w[i], &c, &m, (uint64_t)(30 + 10 * i) * NS_PER_MS, NULL);
    for (i = 0; i < 4; i++) {
        test_thread_join(w[i].thread);
        assert_int_equal(PARKER_TIMEDOUT, w[i].result);
        assert_true(w[i].elapsed >= (uint64_t)(30 + 10 * i) * NS_PER_MS);
        assert_int_equal(1, w[i].held_after);
    }
    assert_int_equal(0, c.private_lock_); /* the last one to leave cleared it */
    assert_int_equal(0, SYNC_BYTE(&m));
}

static void test_timed_wait_reacquires_the_mutex_also_on_timeout(void **state)
{
    parker_cond_t c = PARKER_COND_INIT;
    parker_mutex_t m = PARKER_MUTEX_INIT;
    uint64_t deadline;
    (void)state;
    parker_mutex_lock(&m);
    assert_int_equal(PARKER_TIMEDOUT, parker_cond_wait_timeout(&c, &m, 0));
    assert_int_equal(1, parker_mutex_is_locked(&m));
    assert_int_equal(PARKER_TIMEDOUT, parker_cond_wait_timeout(&c, &m, 5 * NS_PER_MS));
    assert_int_equal(1, parker_mutex_is_locked(&m));
    deadline = parker_now_ns() + 5 * NS_PER_MS;
    assert_int_equal(PARKER_TIMEDOUT, parker_cond_wait_until(&c, &m, deadline));
    assert_true(parker_now_ns() >= deadline);
    assert_int_equal(1, parker_mutex_is_locked(&m));
    parker_mutex_unlock(&m); /* would abort if the wait had not relocked */
    assert_int_equal(0, SYNC_BYTE(&m));
}

/*
 * Exactly the chosen waiters return PARKER_OK: over a long run of signals
 * and broadcasts (with and without the mutex held) and waiters with short
 * timeouts, the PARKER_OK returns equal the sum of what signal and
 * broadcast reported.  A spurious return would make the left side larger,
 * a chosen waiter reporting a timeout would make it smaller.
 */
#define ACCT_WAITERS 4

struct acct {
    parker_cond_t c;
    parker_mutex_t m;
    atomic_int stop;
    atomic_long oks;
    atomic_long timeouts;
};

struct acct_arg {
    struct acct *a;
    unsigned seed;
};

static void *acct_waiter(void *arg)
{
    struct acct_arg *aa = (struct acct_arg *)arg;
    struct acct *a = aa->a;
    unsigned x = aa->seed * 2654435761u + 7u;
    parker_mutex_lock(&a->m);
    while (!atomic_load(&a->stop)) {
        int r;
        x = x * 1103515245u + 12345u;
        if ((x >> 16) % 5 == 0)
            r = parker_cond_wait_until(&a->c, &a->m, parker_now_ns() + ((x >> 8) % 300) * NS_PER_US);
        else
            r = parker_cond_wait_timeout(&a->c, &a->m, ((x >> 8) % 2000) * NS_PER_US);
        if (!parker_mutex_is_locked(&a->m))
            fail_msg("wait returned without the mutex");
        if (r == PARKER_OK)
            atomic_fetch_add(&a->oks, 1);
        else
            atomic_fetch_add(&a->timeouts, 1);
        if ((x >> 24) % 4 == 0) {
            parker_mutex_unlock(&a->m);
            sync_busy_ns(10 * NS_PER_US);
            parker_mutex_lock(&a->m);
        }
    }
    parker_mutex_unlock(&a->m);
    return NULL;
}

static void test_each_signal_chooses_exactly_one_waiter(void **state)
{
    static struct acct a;
    struct acct_arg args[ACCT_WAITERS];
    pthread_t t[ACCT_WAITERS];
    long chosen = 0, i, rounds = 20000 / (long)sync_slowdown();
    unsigned x = 99;
    int k;
    (void)state;
    memset(&a, 0, sizeof a);
    for (k = 0; k < ACCT_WAITERS; k++) {
        args[k].a = &a;
        args[k].seed = (unsigned)k + 1u;
        t[k] = test_thread_start(acct_waiter, &args[k]);
    }
    for (i = 0; i < rounds; i++) {
        int held;
        x = x * 1103515245u + 12345u;
        held = (x >> 16) % 2;
        if (held)
            parker_mutex_lock(&a.m);
        if ((x >> 20) % 8 == 0)
            chosen += (long)parker_cond_broadcast(&a.c);
        else
            chosen += parker_cond_signal(&a.c);
        if (held)
            parker_mutex_unlock(&a.m);
        if ((x >> 24) % 16 == 0)
            test_yield();
    }
    parker_mutex_lock(&a.m);
    atomic_store(&a.stop, 1);
    parker_mutex_unlock(&a.m);
    for (k = 0; k < ACCT_WAITERS; k++)
        test_thread_join(t[k]);
    print_message("accounting: %ld chosen by signal/broadcast, %ld ok, %ld timed out\n", chosen,
                  (long)atomic_load(&a.oks), (long)atomic_load(&a.timeouts));
    assert_int_equal(chosen, atomic_load(&a.oks));
    assert_int_equal(0, a.c.private_lock_);
    assert_int_equal(0, SYNC_BYTE(&a.m));
}

/* Wait morphing: a broadcast while the mutex is held moves every waiter to
 * the mutex's queue (none wakes to find the mutex held), and it returns how
 * many it moved; the unlock then lets them in one at a time. */
static void test_broadcast_requeues_waiters_onto_the_held_mutex(void **state)
{
    enum { N = 4 };
    parker_cond_t c = PARKER_COND_INIT;
    parker_mutex_t m = PARKER_MUTEX_INIT;
    struct cwaiter w[N];
    atomic_int inside = 0;
    int i;
    (void)state;
    for (i = 0; i < N; i++)
        cwaiter_start(&w[i], &c, &m, PARKER_FOREVER, &inside);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&c) == N);
    parker_mutex_lock(&m);
    assert_int_equal(N, parker_cond_broadcast(&c));
    assert_int_equal(0, sync_lot_waiters(&c));
    assert_int_equal(N, sync_lot_waiters(&m)); /* moved, not woken */
    assert_int_equal(3, SYNC_BYTE(&m));        /* LOCKED | PARKED */
    assert_int_equal(0, c.private_lock_);
    for (i = 0; i < N; i++)
        assert_int_equal(0, atomic_load(&w[i].done));
    parker_mutex_unlock(&m);
    cwaiters_join_ok(w, N);
    assert_int_equal(0, SYNC_BYTE(&m));
}

static void test_signal_moves_one_waiter_while_the_mutex_is_held(void **state)
{
    parker_cond_t c = PARKER_COND_INIT;
    parker_mutex_t m = PARKER_MUTEX_INIT;
    struct cwaiter w[2];
    int i;
    (void)state;
    for (i = 0; i < 2; i++) {
        cwaiter_start(&w[i], &c, &m, PARKER_FOREVER, NULL);
        SYNC_WAIT_UNTIL(sync_lot_waiters(&c) == (size_t)i + 1);
    }
    parker_mutex_lock(&m);
    assert_int_equal(1, parker_cond_signal(&c));
    assert_int_equal(1, sync_lot_waiters(&c));
    assert_int_equal(1, sync_lot_waiters(&m));
    assert_int_equal((uintptr_t)&m, c.private_lock_); /* one still waits */
    parker_mutex_unlock(&m);
    test_thread_join(w[0].thread); /* FIFO: the longest waiter was chosen */
    assert_int_equal(PARKER_OK, w[0].result);
    assert_int_equal(0, atomic_load(&w[1].done));
    /* Without the mutex held the waiter is woken directly. */
    assert_int_equal(1, parker_cond_signal(&c));
    test_thread_join(w[1].thread);
    assert_int_equal(PARKER_OK, w[1].result);
    assert_int_equal(0, c.private_lock_);
    assert_int_equal(0, parker_cond_signal(&c));
    assert_int_equal(0, SYNC_BYTE(&m));
}

static void test_broadcast_with_a_free_mutex_wakes_one_and_moves_the_rest(void **state)
{
    enum { N = 5 };
    parker_cond_t c = PARKER_COND_INIT;
    parker_mutex_t m = PARKER_MUTEX_INIT;
    struct cwaiter w[N];
    atomic_int inside = 0;
    int i;
    (void)state;
    for (i = 0; i < N; i++)
        cwaiter_start(&w[i], &c, &m, PARKER_FOREVER, &inside);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&c) == N);
    assert_int_equal(N, parker_cond_broadcast(&c));
    cwaiters_join_ok(w, N);
    assert_int_equal(0, c.private_lock_);
    assert_int_equal(0, SYNC_BYTE(&m));
}

/* A waiter moved to the mutex by a signal was chosen: if its deadline then
 * passes while the mutex is still held, it reports PARKER_OK (and holds the
 * mutex), and the PARKED bit it leaves is owed to nobody else. */
static void test_moved_waiter_whose_deadline_passes_reports_ok(void **state)
{
    /* Long enough (scaled for slow environments) to be seen queued and
     * signalled before the deadline. */
    const unsigned timeout_ms = 200u * sync_slowdown();
    parker_cond_t c = PARKER_COND_INIT;
    parker_mutex_t m = PARKER_MUTEX_INIT;
    struct cwaiter w;
    (void)state;
    cwaiter_start(&w, &c, &m, (uint64_t)timeout_ms * NS_PER_MS, NULL);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&c) == 1);
    parker_mutex_lock(&m);
    assert_int_equal(1, parker_cond_signal(&c));
    assert_int_equal(1, sync_lot_waiters(&m));
    test_sleep_ms(timeout_ms + 20); /* past the waiter's deadline while it waits for m */
    parker_mutex_unlock(&m);
    test_thread_join(w.thread);
    assert_int_equal(PARKER_OK, w.result);
    assert_int_equal(1, w.held_after);
    assert_int_equal(0, SYNC_BYTE(&m));
    assert_int_equal(0, c.private_lock_);
}

/* Once nobody waits, the condition variable may be used with another mutex
 * (re-use after timeouts). */
static void test_cond_can_change_mutex_once_nobody_waits(void **state)
{
    parker_cond_t c = PARKER_COND_INIT;
    parker_mutex_t m1 = PARKER_MUTEX_INIT, m2 = PARKER_MUTEX_INIT;
    struct cwaiter w;
    (void)state;
    cwaiter_start(&w, &c, &m1, 5 * NS_PER_MS, NULL);
    test_thread_join(w.thread);
    assert_int_equal(PARKER_TIMEDOUT, w.result);
    cwaiter_start(&w, &c, &m2, PARKER_FOREVER, NULL);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&c) == 1);
    assert_int_equal((uintptr_t)&m2, c.private_lock_);
    assert_int_equal(1, parker_cond_signal(&c));
    test_thread_join(w.thread);
    assert_int_equal(PARKER_OK, w.result);
}

/* ------------------------------------------------------- wait_with */

struct queue {
    pthread_mutex_t mu;
    parker_cond_t nonempty;
    int items; /* plain: under mu */
    int taken;
};

static void pmutex_lock(void *arg)
{
    if (pthread_mutex_lock((pthread_mutex_t *)arg) != 0)
        abort();
}

static void pmutex_unlock(void *arg)
{
    if (pthread_mutex_unlock((pthread_mutex_t *)arg) != 0)
        abort();
}

static void *queue_consumer(void *arg)
{
    struct queue *q = (struct queue *)arg;
    int i;
    for (i = 0; i < 1000; i++) {
        pthread_mutex_lock(&q->mu);
        while (q->items == 0) {
            if (parker_cond_wait_with(&q->nonempty, pmutex_unlock, pmutex_lock, &q->mu,
                                      PARKER_FOREVER) != PARKER_OK)
                abort(); /* an untimed wait only returns when chosen */
        }
        q->items--;
        q->taken++;
        pthread_mutex_unlock(&q->mu);
    }
    return NULL;
}

static void test_wait_with_works_with_a_pthread_mutex(void **state)
{
    static struct queue q;
    pthread_t t[2];
    int i;
    uint64_t deadline;
    (void)state;
    memset(&q, 0, sizeof q);
    assert_int_equal(0, pthread_mutex_init(&q.mu, NULL));
    /* Timed out: the pthread mutex is held again on return. */
    pthread_mutex_lock(&q.mu);
    deadline = parker_now_ns() + 10 * NS_PER_MS;
    assert_int_equal(PARKER_TIMEDOUT, parker_cond_wait_with(&q.nonempty, pmutex_unlock,
                                                            pmutex_lock, &q.mu, deadline));
    assert_true(parker_now_ns() >= deadline);
    assert_int_equal(EBUSY, pthread_mutex_trylock(&q.mu));
    pthread_mutex_unlock(&q.mu);
    /* Producer / two consumers. */
    for (i = 0; i < 2; i++)
        t[i] = test_thread_start(queue_consumer, &q);
    for (i = 0; i < 2000; i++) {
        pthread_mutex_lock(&q.mu);
        q.items++;
        if (i % 3 == 0)
            (void)parker_cond_broadcast(&q.nonempty);
        else
            (void)parker_cond_signal(&q.nonempty);
        pthread_mutex_unlock(&q.mu);
        if (i % 8 == 0)
            test_yield();
    }
    for (i = 0; i < 2; i++)
        test_thread_join(t[i]);
    assert_int_equal(2000, q.taken);
    assert_int_equal(0, q.items);
    assert_int_equal(0, q.nonempty.private_lock_);
    pthread_mutex_destroy(&q.mu);
}

/* wait_with waiters are woken (never moved), and broadcast counts them. */
struct with_waiter {
    parker_cond_t *c;
    pthread_mutex_t *mu;
    int result;
    pthread_t thread;
};

static void *with_waiter_main(void *arg)
{
    struct with_waiter *w = (struct with_waiter *)arg;
    pthread_mutex_lock(w->mu);
    w->result = parker_cond_wait_with(w->c, pmutex_unlock, pmutex_lock, w->mu, PARKER_FOREVER);
    pthread_mutex_unlock(w->mu);
    return NULL;
}

static void test_wait_with_broadcast_wakes_every_waiter(void **state)
{
    enum { N = 3 };
    parker_cond_t c = PARKER_COND_INIT;
    pthread_mutex_t mu;
    struct with_waiter w[N];
    int i;
    (void)state;
    assert_int_equal(0, pthread_mutex_init(&mu, NULL));
    for (i = 0; i < N; i++) {
        w[i].c = &c;
        w[i].mu = &mu;
        w[i].result = -1;
        w[i].thread = test_thread_start(with_waiter_main, &w[i]);
    }
    SYNC_WAIT_UNTIL(sync_lot_waiters(&c) == N);
    pthread_mutex_lock(&mu);
    assert_int_equal(N, parker_cond_broadcast(&c));
    pthread_mutex_unlock(&mu);
    for (i = 0; i < N; i++) {
        test_thread_join(w[i].thread);
        assert_int_equal(PARKER_OK, w[i].result);
    }
    assert_int_equal(0, c.private_lock_);
    pthread_mutex_destroy(&mu);
}

/* ------------------------------------------------------------ misuse */

#if !defined(_WIN32)
static parker_cond_t misuse_c;
static parker_mutex_t misuse_m1, misuse_m2;

static void *misuse_first_waiter(void *arg)
{
    (void)arg;
    parker_mutex_lock(&misuse_m1);
    parker_cond_wait(&misuse_c, &misuse_m1);
    return NULL;
}

static void misuse_two_mutexes(void)
{
    pthread_t t;
    pthread_create(&t, NULL, misuse_first_waiter, NULL);
    while (sync_lot_waiters(&misuse_c) == 0)
        test_yield();
    parker_mutex_lock(&misuse_m2);
    parker_cond_wait(&misuse_c, &misuse_m2);
}

static void noop(void *arg)
{
    (void)arg;
}

static void misuse_mixed_wait_with(void)
{
    pthread_t t;
    pthread_create(&t, NULL, misuse_first_waiter, NULL);
    while (sync_lot_waiters(&misuse_c) == 0)
        test_yield();
    (void)parker_cond_wait_with(&misuse_c, noop, noop, NULL, PARKER_FOREVER);
}

static void misuse_wait_unlocked(void)
{
    parker_cond_t c = PARKER_COND_INIT;
    parker_mutex_t m = PARKER_MUTEX_INIT;
    parker_cond_wait(&c, &m);
}

static void misuse_signal_null(void)
{
    (void)parker_cond_signal(NULL);
}

static void test_misuse_aborts_with_a_message(void **state)
{
    (void)state;
    /* In a child: the threads it starts are not run under qemu-user. */
    if (test_emulator() == NULL) {
        sync_expect_abort_with(misuse_two_mutexes,
                               "libparker: parker_cond_wait: condition variable used with two "
                               "different mutexes at once");
        sync_expect_abort_with(misuse_mixed_wait_with,
                               "libparker: parker_cond_wait_with: condition variable used with "
                               "parker_cond_wait and parker_cond_wait_with at once");
    }
    sync_expect_abort_with(misuse_wait_unlocked, "libparker: parker_cond_wait: mutex is not locked");
    sync_expect_abort_with(misuse_signal_null,
                           "libparker: parker_cond_signal: NULL condition variable");
    test_skip_if_emulated("the two-thread misuse checks (a forked child of a threaded "
                          "guest cannot start threads); the single-thread ones passed");
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_without_waiters_returns_zero_and_is_not_remembered),
        cmocka_unit_test(test_wait_returns_ok_only_when_chosen),
        cmocka_unit_test(test_timed_wait_reacquires_the_mutex_also_on_timeout),
        cmocka_unit_test(test_each_signal_chooses_exactly_one_waiter),
        cmocka_unit_test(test_broadcast_requeues_waiters_onto_the_held_mutex),
        cmocka_unit_test(test_signal_moves_one_waiter_while_the_mutex_is_held),
        cmocka_unit_test(test_broadcast_with_a_free_mutex_wakes_one_and_moves_the_rest),
        cmocka_unit_test(test_moved_waiter_whose_deadline_passes_reports_ok),
        cmocka_unit_test(test_cond_can_change_mutex_once_nobody_waits),
        cmocka_unit_test(test_wait_with_works_with_a_pthread_mutex),
        cmocka_unit_test(test_wait_with_broadcast_wakes_every_waiter),
#if !defined(_WIN32)
        cmocka_unit_test(test_misuse_aborts_with_a_message),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
