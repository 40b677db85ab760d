/*
 * test_sync_fork.c - after fork, the child can use every sync object that
 * was unlocked in the parent, also ones that parent threads were parked on
 * (those threads do not exist in the child; the lot forgets them).
 */
#include "sync_common.h"

#if !defined(_WIN32)

static parker_mutex_t m;
static parker_cond_t c;
static parker_event_t e;
static parker_once_t once_done, once_new;
static atomic_int parent_waiters_ready;

static int init_ok(void *arg)
{
    ++*(int *)arg;
    return 0;
}

static void *parent_cond_waiter(void *arg)
{
    (void)arg;
    parker_mutex_lock(&m);
    atomic_fetch_add(&parent_waiters_ready, 1);
    parker_cond_wait(&c, &m);
    parker_mutex_unlock(&m);
    return NULL;
}

static void *parent_event_waiter(void *arg)
{
    (void)arg;
    atomic_fetch_add(&parent_waiters_ready, 1);
    if (parker_event_wait(&e, PARKER_FOREVER) != PARKER_OK)
        abort();
    return NULL;
}

/* In the child, on a new thread: the objects still wake threads. */
static atomic_int child_flag;

static void *child_thread(void *arg)
{
    (void)arg;
    parker_mutex_lock(&m);
    atomic_store(&child_flag, 1);
    while (atomic_load(&child_flag) != 2)
        parker_cond_wait(&c, &m);
    parker_mutex_unlock(&m);
    if (parker_event_wait(&e, PARKER_FOREVER) != PARKER_OK)
        return (void *)1;
    return NULL;
}

static int child_main(void)
{
    int calls = 0;
    uint64_t t0;
    alarm(60); /* a hang in the child fails instead of stalling */
    /* Mutex. */
    if (parker_mutex_trylock(&m) != PARKER_OK)
        return 10;
    if (parker_mutex_lock_timeout(&m, NS_PER_MS) != PARKER_TIMEDOUT)
        return 11;
    parker_mutex_unlock(&m);
    parker_mutex_lock(&m);
    parker_mutex_unlock(&m);
    /* Condition variable whose parent waiter is gone. */
    if (parker_cond_signal(&c) != 0)
        return 20;
    parker_mutex_lock(&m);
    if (parker_cond_wait_timeout(&c, &m, NS_PER_MS) != PARKER_TIMEDOUT)
        return 21;
    parker_mutex_unlock(&m);
    if (c.private_lock_ != 0)
        return 22;
    /* Event whose parent waiter is gone. */
    if (parker_event_wait(&e, NS_PER_MS) != PARKER_TIMEDOUT)
        return 30;
    /* Once flags. */
    if (parker_once(&once_done, init_ok, &calls) != 0 || calls != 0)
        return 40;
    if (parker_once(&once_new, init_ok, &calls) != 0 || calls != 1)
        return 41;
    /* qemu-user 7.2 aborts when a child of a threaded guest starts a thread. */
    if (test_emulator() == NULL) {
        static char stack[1 << 20] __attribute__((aligned(64)));
        pthread_attr_t attr;
        pthread_t t;
        void *result = (void *)1;
        if (pthread_attr_init(&attr) != 0 || pthread_attr_setstack(&attr, stack, sizeof stack) != 0)
            return 50;
        if (pthread_create(&t, &attr, child_thread, NULL) != 0)
            return 51;
        t0 = parker_now_ns();
        while (sync_lot_waiters(&c) != 1) {
            if (parker_now_ns() - t0 > 10000 * NS_PER_MS)
                return 52;
            test_yield();
        }
        parker_mutex_lock(&m);
        atomic_store(&child_flag, 2);
        if (parker_cond_signal(&c) != 1)
            return 53;
        parker_mutex_unlock(&m);
        parker_event_set(&e);
        pthread_join(t, &result);
        if (result != NULL)
            return 54;
    }
    return 0;
}

static void test_child_can_use_every_object_unlocked_at_fork(void **state)
{
    pthread_t t[2];
    int status = 0, i;
    pid_t pid;
    (void)state;
    test_skip_if_wasm("fork (WebAssembly has no processes)");
    assert_int_equal(0, parker_once(&once_done, init_ok, &i));
    t[0] = test_thread_start(parent_cond_waiter, NULL);
    t[1] = test_thread_start(parent_event_waiter, NULL);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&c) == 1 && sync_lot_waiters(&e) == 1);
    /* Contend the mutex a little so that its state is a used one. */
    parker_mutex_lock(&m);
    parker_mutex_unlock(&m);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_main());
    assert_int_equal(pid, waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child failed: status 0x%x", status);
    /* The parent's waiters are untouched by the child. */
    assert_int_equal(1, sync_lot_waiters(&c));
    assert_int_equal(1, sync_lot_waiters(&e));
    assert_int_equal(1, parker_cond_signal(&c));
    parker_event_set(&e);
    for (i = 0; i < 2; i++)
        test_thread_join(t[i]);
    assert_int_equal(0, parker_once_is_done(&once_new));
    test_skip_if_emulated("the child's checks on a new thread; its single-threaded checks "
                          "passed");
}

/* The issue-12 objects: a semaphore and a wait group that parent threads
 * are parked on, a reader-writer lock and a barrier used in the parent. */
static parker_rwlock_t rw;
static parker_sem_t sem;
static parker_waitgroup_t wg;
static parker_barrier_t bar;

static void *parent_sem_waiter(void *arg)
{
    (void)arg;
    parker_sem_wait(&sem);
    return NULL;
}

static void *parent_wg_waiter(void *arg)
{
    (void)arg;
    if (parker_waitgroup_wait(&wg, PARKER_FOREVER) != PARKER_OK)
        abort();
    return NULL;
}

static int child_main2(void)
{
    alarm(60);
    if (parker_sem_trywait(&sem) != PARKER_AGAIN)
        return 10;
    if (parker_sem_wait_timeout(&sem, NS_PER_MS) != PARKER_TIMEDOUT)
        return 11;
    parker_sem_post(&sem, 1);
    if (parker_sem_value(&sem) != 1 || parker_sem_wait_timeout(&sem, 0) != PARKER_OK)
        return 12;
    if (parker_waitgroup_count(&wg) != 1)
        return 20;
    if (parker_waitgroup_wait(&wg, NS_PER_MS) != PARKER_TIMEDOUT)
        return 21;
    parker_waitgroup_done(&wg);
    if (parker_waitgroup_wait(&wg, 0) != PARKER_OK)
        return 22;
    parker_rwlock_wrlock(&rw);
    if (parker_rwlock_tryrdlock(&rw) != PARKER_AGAIN)
        return 30;
    parker_rwlock_downgrade(&rw);
    parker_rwlock_rdlock(&rw);
    if (parker_rwlock_trywrlock(&rw) != PARKER_AGAIN)
        return 31;
    parker_rwlock_rdunlock(&rw);
    parker_rwlock_rdunlock(&rw);
    if (parker_rwlock_wrlock_timeout(&rw, NS_PER_MS) != PARKER_OK)
        return 32;
    parker_rwlock_wrunlock(&rw);
    /* A barrier of 1 completes a phase at every call. */
    if (parker_barrier_init(&bar, 1) != PARKER_OK || parker_barrier_wait(&bar) != 1 ||
        parker_barrier_wait(&bar) != 1)
        return 40;
    return 0;
}

static void *barrier_peer(void *arg)
{
    (void)arg;
    (void)parker_barrier_wait(&bar);
    return NULL;
}

static void test_child_can_use_rwlock_sem_waitgroup_barrier_after_fork(void **state)
{
    pthread_t t[3];
    int status = 0, i;
    pid_t pid;
    (void)state;
    test_skip_if_wasm("fork (WebAssembly has no processes)");
    assert_int_equal(PARKER_OK, parker_barrier_init(&bar, 2));
    t[2] = test_thread_start(barrier_peer, NULL);
    (void)parker_barrier_wait(&bar);
    test_thread_join(t[2]);
    parker_rwlock_rdlock(&rw);
    parker_rwlock_rdunlock(&rw);
    parker_rwlock_wrlock(&rw);
    parker_rwlock_wrunlock(&rw);
    parker_waitgroup_add(&wg, 1);
    t[0] = test_thread_start(parent_sem_waiter, NULL);
    t[1] = test_thread_start(parent_wg_waiter, NULL);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&sem) == 1 && sync_lot_waiters(&wg) == 1);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_main2());
    assert_int_equal(pid, waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child failed: status 0x%x", status);
    /* The parent's waiters are untouched by the child. */
    assert_int_equal(1, sync_lot_waiters(&sem));
    assert_int_equal(1, parker_waitgroup_count(&wg));
    parker_sem_post(&sem, 1);
    parker_waitgroup_done(&wg);
    for (i = 0; i < 2; i++)
        test_thread_join(t[i]);
    assert_int_equal(0, (int)parker_sem_value(&sem));
}

#endif /* !_WIN32 */

int main(void)
{
    const struct CMUnitTest tests[] = {
#if !defined(_WIN32)
        cmocka_unit_test(test_child_can_use_every_object_unlocked_at_fork),
        cmocka_unit_test(test_child_can_use_rwlock_sem_waitgroup_barrier_after_fork),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
