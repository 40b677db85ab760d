/*
 * test_posix.c - guarantees that need POSIX processes and signals to test:
 * signal storms during park, fork, fast paths with no system call (Linux
 * seccomp), and the misuse checks that abort with a message.
 */
#include "common.h"
#include "death.h"
#include <parker_lot.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/seccomp.h>
#include <sys/prctl.h>
#endif

/* --------------------------------------------------------- signal storm */

static atomic_long signals_seen;

static void on_sigusr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals_seen, 1);
}

static void install_handler_without_restart(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the wait sees EINTR */
    assert_int_equal(0, sigaction(SIGUSR1, &sa, NULL));
}

struct storm {
    parker_t p;
    uint64_t timeout;
    atomic_int started, returned;
    atomic_long tid;
    int result;
    uint64_t elapsed;
};

static void *storm_sleeper(void *arg)
{
    struct storm *s = (struct storm *)arg;
    uint64_t t0;
    atomic_store(&s->tid, test_gettid() ? test_gettid() : 1);
    atomic_store(&s->started, 1);
    t0 = parker_now_ns();
    if (s->timeout == 0) {
        parker_park(&s->p);
        s->result = PARKER_OK;
    } else {
        s->result = parker_park_timeout(&s->p, s->timeout);
    }
    s->elapsed = parker_now_ns() - t0;
    atomic_store(&s->returned, 1);
    return NULL;
}

static long send_storm(pthread_t target, unsigned ms)
{
    long sent = 0;
    uint64_t end = parker_now_ns() + ms * NS_PER_MS;
    while (parker_now_ns() < end) {
        assert_int_equal(0, pthread_kill(target, SIGUSR1));
        sent++;
        if ((sent & 15) == 0)
            test_yield();
    }
    return sent;
}

static void test_signal_storm_does_not_end_park(void **state)
{
    struct storm s;
    pthread_t t;
    long before;
    (void)state;
    test_skip_if_wasm("signals between threads (Emscripten's pthread_kill of another thread fails)");
    install_handler_without_restart();
    memset(&s, 0, sizeof s);
    assert_int_equal(0, parker_init(&s.p));
    t = test_thread_start(storm_sleeper, &s);
    while (!atomic_load(&s.started))
        test_yield();
    test_wait_blocked(atomic_load(&s.tid));
    before = atomic_load(&signals_seen);
    send_storm(t, 300);
    if (atomic_load(&s.returned))
        fail_msg("park returned during a signal storm without an unpark");
    assert_true(atomic_load(&signals_seen) > before);
    parker_unpark(&s.p);
    test_thread_join(t);
    assert_int_equal(PARKER_OK, s.result);
    parker_destroy(&s.p);
}

static void test_signal_storm_does_not_shorten_timeout(void **state)
{
    struct storm s;
    pthread_t t;
    long before;
    (void)state;
    test_skip_if_wasm("signals between threads (Emscripten's pthread_kill of another thread fails)");
    install_handler_without_restart();
    memset(&s, 0, sizeof s);
    assert_int_equal(0, parker_init(&s.p));
    s.timeout = 200 * NS_PER_MS;
    t = test_thread_start(storm_sleeper, &s);
    while (!atomic_load(&s.started))
        test_yield();
    before = atomic_load(&signals_seen);
    /* Storm for longer than the timeout, so that signals land throughout. */
    while (!atomic_load(&s.returned))
        send_storm(t, 10);
    test_thread_join(t);
    assert_true(atomic_load(&signals_seen) > before);
    assert_int_equal(PARKER_TIMEDOUT, s.result);
    if (s.elapsed < s.timeout)
        fail_msg("park_timeout(200 ms) returned after %llu ns under signals",
                 (unsigned long long)s.elapsed);
    parker_destroy(&s.p);
}

/* parker.h: unpark is async-signal-safe with the futex backend.  The
 * handler runs on the parked owner itself, inside parker_park. */
static parker_t handler_parker;

static void unpark_from_handler(int sig)
{
    (void)sig;
    parker_unpark(&handler_parker);
}

static void *park_handler_parker(void *arg)
{
    atomic_int *returned = (atomic_int *)arg;
    parker_park(&handler_parker);
    atomic_store(returned, 1);
    return NULL;
}

static void test_unpark_from_signal_handler_wakes_park(void **state)
{
    struct sigaction sa;
    atomic_int returned;
    pthread_t t;
    (void)state;
    test_skip_if_wasm("signals between threads (Emscripten's pthread_kill of another thread fails)");
    if (strcmp(parker_backend(), "futex") != 0)
        skip(); /* documented as async-signal-safe only with futex/Windows */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = unpark_from_handler;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(0, sigaction(SIGUSR2, &sa, NULL));
    assert_int_equal(0, parker_init(&handler_parker));
    atomic_store(&returned, 0);
    t = test_thread_start(park_handler_parker, &returned);
    /* Until the handler has run once on the parked thread, only signals can
     * end its park; one signal suffices, more are harmless. */
    while (!atomic_load(&returned)) {
        assert_int_equal(0, pthread_kill(t, SIGUSR2));
        test_sleep_ms(5);
    }
    test_thread_join(t);
    parker_destroy(&handler_parker);
}

/* ----------------------------------------------------------------- fork */

struct child_pingpong {
    parker_t a, b;
    int rounds;
};

static void *child_pong(void *arg)
{
    struct child_pingpong *c = (struct child_pingpong *)arg;
    int i;
    for (i = 0; i < c->rounds; i++) {
        parker_park(&c->b);
        parker_unpark(&c->a);
    }
    return NULL;
}

/* Runs in a child: threads, parkers, the thread's own parker. */
static int child_uses_parkers(void)
{
    struct child_pingpong c;
    pthread_t t;
    int i;
    if (parker_init(&c.a) != 0 || parker_init(&c.b) != 0)
        return 10;
    c.rounds = 2000;
    {
        /* A stack of our own: glibc would hand the child the stack of a
         * thread that was parked in the parent, and TSan then sees the same
         * pthread_t twice ("dup thread with used id"). */
        static char stack[1 << 20] __attribute__((aligned(64)));
        pthread_attr_t attr;
        if (pthread_attr_init(&attr) != 0 || pthread_attr_setstack(&attr, stack, sizeof stack) != 0)
            return 15;
        if (pthread_create(&t, &attr, child_pong, &c) != 0)
            return 11;
        pthread_attr_destroy(&attr);
    }
    for (i = 0; i < c.rounds; i++) {
        parker_unpark(&c.b);
        if (parker_park_timeout(&c.a, 10000 * NS_PER_MS) != PARKER_OK)
            return 12;
    }
    pthread_join(t, NULL);
    if (parker_self() == NULL)
        return 13;
    if (parker_park_timeout(parker_self(), NS_PER_MS) != PARKER_TIMEDOUT)
        return 14;
    return 0;
}

/* The part of child_uses_parkers that needs no new thread. */
static int child_uses_parkers_single_threaded(void)
{
    parker_t a;
    if (parker_init(&a) != 0)
        return 10;
    parker_unpark(&a);
    if (parker_park_timeout(&a, 10000 * NS_PER_MS) != PARKER_OK)
        return 12;
    if (parker_park_timeout(&a, NS_PER_MS) != PARKER_TIMEDOUT)
        return 16;
    if (parker_self() == NULL)
        return 13;
    if (parker_park_timeout(parker_self(), NS_PER_MS) != PARKER_TIMEDOUT)
        return 14;
    return 0;
}

static void expect_child_exit_zero(pid_t pid)
{
    int status = 0;
    assert_int_equal(pid, waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child failed: status 0x%x", status);
}

static void test_forked_child_can_park(void **state)
{
    pid_t pid;
    (void)state;
    test_skip_if_wasm("fork (WebAssembly has no processes)");
    (void)parker_self(); /* the parent's TLS slot exists before fork */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_uses_parkers());
    expect_child_exit_zero(pid);
}

static void *park_on(void *arg)
{
    parker_park((parker_t *)arg);
    return NULL;
}

static void test_fork_while_a_thread_is_parked(void **state)
{
    parker_t p;
    pthread_t t;
    pid_t pid;
    /* qemu-user 7.2 itself aborts (cpu_exec: "cpu == current_cpu") when the
     * child of a multi-threaded guest creates a thread: there the child runs
     * only the single-threaded checks and the test reports SKIPPED. */
    const char *emulator = test_emulator();
    (void)state;
    test_skip_if_wasm("fork (WebAssembly has no processes)");
    assert_int_equal(0, parker_init(&p));
    t = test_thread_start(park_on, &p);
    test_sleep_ms(1);
    for (int i = 0; i < 50; i++) {
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(emulator ? child_uses_parkers_single_threaded() : child_uses_parkers());
        expect_child_exit_zero(pid);
    }
    parker_unpark(&p);
    test_thread_join(t);
    parker_destroy(&p);
    test_skip_if_emulated("the forked children's checks with a new thread (a child of a "
                          "multi-threaded process cannot create threads there); their "
                          "single-threaded checks passed");
}

/* ------------------------------------------------- raw fork (no atfork) */

#if defined(__linux__)
#define RAW_FORK_PARKERS 512
static parker_t raw_parkers[RAW_FORK_PARKERS];
static size_t raw_same[4]; /* parkers of one pthread-backend stripe */
static atomic_int raw_stop;

static unsigned raw_stripe(size_t i)
{
    /* src/posix/pthread.c's stripe of a parker; meaningless but harmless
     * with the other backends. */
    return (unsigned)(((uint64_t)(uintptr_t)&raw_parkers[i] * UINT64_C(0x9E3779B97F4A7C15)) >> 58);
}

static void *raw_hammer(void *arg)
{
    parker_t *p = (parker_t *)arg;
    while (!atomic_load_explicit(&raw_stop, memory_order_relaxed))
        (void)parker_park_timeout(p, 1000);
    return NULL;
}

static long raw_fork(void)
{
#if defined(SYS_fork)
    return syscall(SYS_fork);
#elif defined(__s390__)
    return syscall(SYS_clone, 0, SIGCHLD, 0, 0, 0);
#else
    return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
}

/* The child of a raw fork system call (no atfork handlers ran) calls
 * parker_after_fork (or parker_lot_after_fork) and then parks and unparks on the stripe that threads of
 * the parent were using (parked on, and locking and unlocking at the moment
 * of the fork).  Bounded: a child that hangs fails the test. */
static void test_raw_fork_child_after_fork_can_park(void **state)
{
    pthread_t hammers[2], parked;
    int n = 0, k;
    size_t i;
    (void)state;
#if defined(__SANITIZE_THREAD__)
    print_message("SKIPPED under TSan: a raw fork bypasses TSan's fork handling\n");
    skip();
#endif
    for (i = 0; i < RAW_FORK_PARKERS; i++) {
        assert_int_equal(0, parker_init(&raw_parkers[i]));
        if (n < 4 && raw_stripe(i) == raw_stripe(0))
            raw_same[n++] = i;
    }
    assert_int_equal(4, n);
    atomic_store(&raw_stop, 0);
    parked = test_thread_start(park_on, &raw_parkers[raw_same[0]]);
    hammers[0] = test_thread_start(raw_hammer, &raw_parkers[raw_same[1]]);
    hammers[1] = test_thread_start(raw_hammer, &raw_parkers[raw_same[2]]);
    test_sleep_ms(5);
    for (k = 0; k < 20; k++) {
        int status = 0;
        unsigned waited = 0;
        long pid = raw_fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            parker_t *q = &raw_parkers[raw_same[3]];
            /* Either reset must do: parker_lot_after_fork resets every
             * layer, the backend's stripes included. */
            if (k % 2 == 0)
                parker_after_fork();
            else
                parker_lot_after_fork();
            if (parker_park_timeout(q, NS_PER_MS) != PARKER_TIMEDOUT)
                syscall(SYS_exit_group, 40);
            parker_unpark(q);
            if (parker_park_timeout(q, 10000 * NS_PER_MS) != PARKER_OK)
                syscall(SYS_exit_group, 41);
            syscall(SYS_exit_group, 0);
        }
        while (waitpid((pid_t)pid, &status, WNOHANG) == 0) {
            if (waited >= 10000u) {
                kill((pid_t)pid, SIGKILL);
                (void)waitpid((pid_t)pid, &status, 0);
                fail_msg("raw-fork child %d hung on the stripe", k);
            }
            test_sleep_ms(1);
            waited++;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("raw-fork child %d failed: status 0x%x", k, status);
    }
    atomic_store(&raw_stop, 1);
    test_thread_join(hammers[0]);
    test_thread_join(hammers[1]);
    parker_unpark(&raw_parkers[raw_same[0]]);
    test_thread_join(parked);
}
#endif

/* ------------------------------------------- fast paths: no system call */

#if defined(__linux__)
static void test_fast_paths_make_no_system_call(void **state)
{
    parker_t p;
    pid_t pid;
    (void)state;
#if defined(__SANITIZE_THREAD__)
    /* TSan's runtime itself makes system calls (and hangs once seccomp kills
     * them); the plain, ASan and spurious builds run this check. */
    skip();
#endif
    if (getenv("PARKER_TEST_VALGRIND") != NULL) {
        /* valgrind's core makes system calls of its own in the child. */
        print_message("SKIPPED under valgrind: strict seccomp would kill valgrind itself\n");
        skip();
    }
    assert_int_equal(0, parker_init(&p));
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int i;
        /* Strict seccomp: any system call other than read, write, _exit and
         * sigreturn kills the process with SIGKILL. */
        /* Refused: exit 100 + errno (the results below use 21 to 23). */
        if (test_assume_no_seccomp())
            _exit(100 + EINVAL);
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
            _exit(100 + (errno > 0 && errno < 100 ? errno : 0));
        for (i = 0; i < 10000; i++) {
            parker_unpark(&p);             /* owner not parked */
            parker_unpark(&p);             /* token already there */
            parker_park(&p);               /* token present */
            parker_unpark(&p);
            if (parker_park_timeout(&p, 5 * NS_PER_MS) != PARKER_OK)
                syscall(SYS_exit, 21);
            parker_unpark(&p);
            if (parker_park_until(&p, PARKER_FOREVER) != PARKER_OK)
                syscall(SYS_exit, 22);
            if (parker_park_timeout(&p, 0) != PARKER_TIMEDOUT) /* no token, no wait */
                syscall(SYS_exit, 23);
        }
        syscall(SYS_exit, 0); /* exit_group is not allowed in strict mode */
    }
    {
        int status = 0;
        assert_int_equal(pid, waitpid(pid, &status, 0));
        if (WIFEXITED(status) && WEXITSTATUS(status) >= 100 && test_emulator() != NULL) {
            /* qemu-user refuses PR_SET_SECCOMP (it needs system calls of
             * its own to run the guest), so this check cannot run there. */
            parker_destroy(&p);
            test_skip_if_emulated("the no-system-call check (strict seccomp is refused)");
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) >= 100) {
            parker_destroy(&p);
            test_skip_seccomp_refused("the no-system-call check (strict mode)",
                                      WEXITSTATUS(status) - 100);
        }
        if (WIFSIGNALED(status))
            fail_msg("fast path made a system call (child killed by signal %d)",
                     WTERMSIG(status));
        assert_true(WIFEXITED(status));
        assert_int_equal(0, WEXITSTATUS(status));
    }
    parker_destroy(&p);
}
#endif

/* ------------------------------------------------- misuse aborts loudly */

static parker_t shared_parker;

static void *park_shared(void *arg)
{
    (void)arg;
    parker_park(&shared_parker);
    return NULL;
}

static void start_parked_thread(void)
{
    pthread_t t;
    if (parker_init(&shared_parker) != 0)
        _exit(30);
    if (pthread_create(&t, NULL, park_shared, NULL) != 0)
        _exit(31);
    /* The misuse is only detectable once the first thread has published
     * PARKED; wait until it is asleep. */
    for (int i = 0; i < 5000; i++) {
        test_sleep_ms(1);
        if (__atomic_load_n((uint32_t *)&shared_parker, __ATOMIC_RELAXED) == 0xFFFFFFFFu)
            break;
    }
}

static void misuse_two_parkers(void)
{
    start_parked_thread();
    parker_park(&shared_parker);
}

static void misuse_two_timed_parkers(void)
{
    start_parked_thread();
    (void)parker_park_timeout(&shared_parker, 1000 * NS_PER_MS);
}

static void misuse_destroy_while_parked(void)
{
    start_parked_thread();
    parker_destroy(&shared_parker);
}

static void misuse_park_null(void)
{
    parker_park(NULL);
}

static void misuse_unpark_null(void)
{
    parker_unpark(NULL);
}

static void misuse_destroy_null(void)
{
    parker_destroy(NULL);
}

static void misuse_park_destroyed(void)
{
    parker_t p;
    if (parker_init(&p) != 0)
        _exit(30);
    parker_destroy(&p);
    parker_park(&p);
}

static void misuse_unpark_destroyed(void)
{
    parker_t p;
    if (parker_init(&p) != 0)
        _exit(30);
    parker_destroy(&p);
    parker_unpark(&p);
}

static void misuse_unpark_garbage(void)
{
    parker_t p;
    memset(&p, 0x5A, sizeof p);
    parker_unpark(&p);
}

static void misuse_park_all_ones(void)
{
    parker_t p;
    memset(&p, 0xFF, sizeof p); /* reads as PARKED: cannot be told from a parked thread */
    parker_park(&p);
}

static void misuse_timed_park_all_ones(void)
{
    parker_t p;
    memset(&p, 0xFF, sizeof p);
    (void)parker_park_timeout(&p, NS_PER_MS);
}

static void misuse_destroy_all_ones(void)
{
    parker_t p;
    memset(&p, 0xFF, sizeof p);
    parker_destroy(&p);
}

static void test_two_threads_parked_at_once_aborts(void **state)
{
    (void)state;
    expect_abort_with(misuse_two_parkers, "parker_park: two threads parked");
    expect_abort_with(misuse_two_timed_parkers, "parker_park_timeout: two threads parked");
}

static void test_destroy_with_thread_parked_aborts(void **state)
{
    (void)state;
    expect_abort_with(misuse_destroy_while_parked, "parker_destroy: a thread is parked");
}

static void test_null_parker_aborts(void **state)
{
    (void)state;
    expect_abort_with(misuse_park_null, "parker_park: NULL parker");
    expect_abort_with(misuse_unpark_null, "parker_unpark: NULL parker");
    expect_abort_with(misuse_destroy_null, "parker_destroy: NULL parker");
}

static void test_destroyed_parker_use_aborts(void **state)
{
    (void)state;
    expect_abort_with(misuse_park_destroyed, "not initialised");
}

/* The unpark's exchange returns the old word: anything but EMPTY, NOTIFIED
 * or PARKED means the parker was destroyed or never initialised. */
static void test_unpark_of_destroyed_or_garbage_parker_aborts(void **state)
{
    (void)state;
    expect_abort_with(misuse_unpark_destroyed,
                      "parker_unpark: parker is not initialised or was corrupted");
    expect_abort_with(misuse_unpark_garbage,
                      "parker_unpark: parker is not initialised or was corrupted");
}

/* An all-ones word is PARKED: the message must name both possible causes. */
static void test_all_ones_garbage_names_both_causes(void **state)
{
    (void)state;
    expect_abort_with(misuse_park_all_ones, "parker_park: two threads parked");
    expect_abort_with(misuse_park_all_ones, "not initialised or was corrupted");
    expect_abort_with(misuse_timed_park_all_ones, "parker_park_timeout: two threads parked");
    expect_abort_with(misuse_timed_park_all_ones, "not initialised or was corrupted");
    expect_abort_with(misuse_destroy_all_ones, "parker_destroy: a thread is parked");
    expect_abort_with(misuse_destroy_all_ones, "not initialised or was corrupted");
}


/* `test_posix --abort NAME` commits one misuse in this process, for
 * platforms without fork (tests/wasm.cmake checks the message and the
 * abort).  Prints NOT CAUGHT and exits 0 if the library let it pass. */
static const struct {
    const char *name;
    void (*fn)(void);
} misuses[] = {
    {"two_parkers", misuse_two_parkers},
    {"two_timed_parkers", misuse_two_timed_parkers},
    {"destroy_while_parked", misuse_destroy_while_parked},
    {"park_null", misuse_park_null},
    {"unpark_null", misuse_unpark_null},
    {"destroy_null", misuse_destroy_null},
    {"park_destroyed", misuse_park_destroyed},
    {"unpark_destroyed", misuse_unpark_destroyed},
    {"unpark_garbage", misuse_unpark_garbage},
    {"park_all_ones", misuse_park_all_ones},
};

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--abort") == 0) {
        for (size_t i = 0; i < sizeof misuses / sizeof misuses[0]; i++) {
            if (strcmp(argv[2], misuses[i].name) == 0) {
                misuses[i].fn();
                printf("NOT CAUGHT: %s returned\n", argv[2]);
                return 0;
            }
        }
        fprintf(stderr, "unknown misuse '%s'\n", argv[2]);
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signal_storm_does_not_end_park),
        cmocka_unit_test(test_signal_storm_does_not_shorten_timeout),
        cmocka_unit_test(test_unpark_from_signal_handler_wakes_park),
        cmocka_unit_test(test_forked_child_can_park),
        cmocka_unit_test(test_fork_while_a_thread_is_parked),
#if defined(__linux__)
        cmocka_unit_test(test_fast_paths_make_no_system_call),
        cmocka_unit_test(test_raw_fork_child_after_fork_can_park),
#endif
        cmocka_unit_test(test_two_threads_parked_at_once_aborts),
        cmocka_unit_test(test_destroy_with_thread_parked_aborts),
        cmocka_unit_test(test_null_parker_aborts),
        cmocka_unit_test(test_destroyed_parker_use_aborts),
        cmocka_unit_test(test_unpark_of_destroyed_or_garbage_parker_aborts),
        cmocka_unit_test(test_all_ones_garbage_names_both_causes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
