/*
 * test_lot_fork.c - fork and the lot's pthread_atfork handler, in processes
 * whose first lot call is still to come.
 *
 * The lot's child handler must be registered before any lot call can race
 * a fork.  These tests need "fresh" processes: the test program itself
 * never calls the lot, so every child it forks starts as if the lot had
 * never been used; the child then makes its first lot call in the way under
 * test.  POSIX only.
 */
#include "common.h"

#include "parker_lot.h"
#include "lot_hash.h" /* private: to keep two words in different queues */

#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

/* Wait for pid at most bound_ms; a child still running then is killed.
 * Returns its status, or -1 if it had to be killed (it hung). */
static int wait_bounded(pid_t pid, unsigned bound_ms)
{
    uint64_t end = parker_now_ns() + (uint64_t)bound_ms * NS_PER_MS;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0)
            return -2;
        if (parker_now_ns() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        test_sleep_ms(1);
    }
}

static uint32_t word;

/* A lot call that would spin or block forever if the lot were unusable. */
static int use_the_lot(void)
{
    uint32_t expected = 0;
    if (parker_lot_unpark_one(&word, NULL, NULL) != 0)
        return 1;
    if (parker_lot_park(&word, &expected, 4, 0, NULL) != PARKER_TIMEDOUT)
        return 2;
    return 0;
}

/* ------------------------------------------- first lot call racing a fork */

static atomic_int go;
static unsigned first_call_delay;

static void *first_lot_call(void *arg)
{
    unsigned i;
    (void)arg;
    while (!atomic_load(&go)) {
    }
    for (i = 0; i < first_call_delay; i++)
        __asm__ __volatile__("" ::: "memory");
    use_the_lot();
    return NULL;
}

/* In a fresh child: a thread makes the first lot call while the main
 * thread forks; the grandchild must be able to use the lot.  Exit status:
 * 0 fine, 1 the grandchild hung, 2 it failed, 3 set-up failed. */
static int first_call_races_fork(unsigned delay)
{
    pthread_t t;
    pid_t g;
    int st;
    first_call_delay = delay;
    atomic_store(&go, 0);
    if (pthread_create(&t, NULL, first_lot_call, NULL) != 0)
        return 3;
    atomic_store(&go, 1);
    g = fork();
    if (g < 0)
        return 3;
    if (g == 0)
        _exit(use_the_lot() == 0 ? 0 : 2);
    st = wait_bounded(g, 2000);
    pthread_join(t, NULL);
    if (st == -1)
        return 1;
    return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 2;
}

/* Under valgrind every round forks two valgrinded processes (seconds each),
 * and valgrind runs one thread at a time, so the race this test hunts is not
 * reachable there anyway: a few rounds still put the child's path through
 * memcheck. */
#define RACE_ROUNDS 400
#define RACE_ROUNDS_VALGRIND 12

static void test_first_lot_call_racing_a_fork_never_hangs_the_child(void **state)
{
    int round, rounds, hung = 0, failed = 0;
    (void)state;
    test_skip_if_wasm("fork (WebAssembly has no processes)");
    if (test_emulator() != NULL) {
        print_message("SKIPPED under %s: threads in forked children\n", test_emulator());
        skip();
    }
    rounds = getenv("PARKER_TEST_VALGRIND") != NULL ? RACE_ROUNDS_VALGRIND : RACE_ROUNDS;
    for (round = 0; round < rounds; round++) {
        pid_t c = fork();
        int st;
        assert_true(c >= 0);
        if (c == 0)
            _exit(first_call_races_fork((unsigned)(round % 16) * 64u));
        st = wait_bounded(c, 30000);
        if (st == -1 || !WIFEXITED(st))
            fail_msg("round %d: the child itself hung or died (status %d)", round, st);
        if (WEXITSTATUS(st) == 1)
            hung++;
        else if (WEXITSTATUS(st) != 0)
            failed++;
    }
    print_message("first lot call racing fork: %d of %d grandchildren hung, %d failed\n", hung,
                  rounds, failed);
    assert_int_equal(0, hung);
    assert_int_equal(0, failed);
}

/* ------------------------------------------------ atfork handlers use the lot */

/*
 * A program registers its own atfork handlers early (before its first lot
 * call), and they use the lot: the prepare handler, and the child handler on
 * a queue whose lock another thread holds at the fork.  The lot's child
 * handler must run before the program's (it resets that lock), so it must
 * have been registered first: at load time, not by the first lot call.  A
 * prepare handler that makes the first lot call must not deadlock either
 * (a C library that holds its handler-list lock while prepare handlers run,
 * as musl does, would deadlock on a pthread_atfork made from inside one;
 * Debian 12's glibc 2.36 does not).
 */
static uint32_t words[64];
static uint32_t *hold_word; /* its queue lock is held across the fork */
static atomic_int hold_inside, hold_release;
static int prepare_result = -1;

static int use_the_lot_on(uint32_t *w)
{
    uint32_t expected = 0;
    if (parker_lot_unpark_one(w, NULL, NULL) != 0)
        return 1;
    if (parker_lot_park(w, &expected, 4, 0, NULL) != PARKER_TIMEDOUT)
        return 2;
    return 0;
}

static void prepare_uses_lot(void)
{
    prepare_result = use_the_lot();
}

static void child_uses_lot(void)
{
    /* alarm: a held queue lock would hang the child */
    alarm(5);
    if (use_the_lot_on(hold_word) != 0 || use_the_lot() != 0)
        _exit(5);
    alarm(0);
}

static void hold_fn(void *arg, void *park_arg, int has_more)
{
    (void)arg;
    (void)park_arg;
    (void)has_more;
    atomic_store(&hold_inside, 1);
    while (!atomic_load(&hold_release))
        test_yield();
}

static void *hold_main(void *arg)
{
    (void)arg;
    parker_lot_unpark_one(hold_word, hold_fn, NULL);
    return NULL;
}

/* Exit status: 0 fine, 3 set-up failed, 4 the grandchild hung or failed,
 * 2 the prepare handler's lot call failed. */
static int handlers_use_the_lot(int threaded)
{
    pid_t g;
    pthread_t holder;
    int st;
    if (pthread_atfork(prepare_uses_lot, NULL, child_uses_lot) != 0)
        return 3;
    hold_word = &words[0];
    while (parker__lot_bucket_index((uintptr_t)hold_word) ==
           parker__lot_bucket_index((uintptr_t)&word))
        hold_word++; /* the prepare handler uses `word`: not the held queue */
    if (threaded) {
        if (pthread_create(&holder, NULL, hold_main, NULL) != 0)
            return 3;
        while (!atomic_load(&hold_inside))
            test_yield();
    }
    g = fork();
    if (g == 0)
        _exit(use_the_lot_on(hold_word) == 0 && prepare_result == 0 ? 0 : 2);
    if (threaded) {
        atomic_store(&hold_release, 1);
        pthread_join(holder, NULL);
    }
    if (g < 0)
        return 3;
    st = wait_bounded(g, 10000);
    if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 4;
    return prepare_result == 0 ? 0 : 2;
}

static void test_atfork_handlers_may_use_the_lot(void **state)
{
    pid_t c;
    int st;
    (void)state;
    test_skip_if_wasm("fork (WebAssembly has no processes)");
    c = fork();
    assert_true(c >= 0);
    if (c == 0)
        _exit(handlers_use_the_lot(test_emulator() == NULL));
    st = wait_bounded(c, 30000);
    if (st == -1)
        fail_msg("%s", "fork with atfork handlers that use the lot hung");
    assert_true(WIFEXITED(st));
    assert_int_equal(0, WEXITSTATUS(st));
    test_skip_if_emulated("the queue lock held across the fork (needs a thread in a child)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atfork_handlers_may_use_the_lot),
        cmocka_unit_test(test_first_lot_call_racing_a_fork_never_hangs_the_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
