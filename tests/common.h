/*
 * common.h - helpers shared by the test programs: threads (pthreads, also
 * mingw's winpthreads), sleeping, waiting until a thread is really blocked,
 * and running a piece of code in a child process that must die.
 */
#ifndef PARKER_TESTS_COMMON_H
#define PARKER_TESTS_COMMON_H

#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parker.h"

#if defined(_WIN32)
#include <windows.h>
#else
#include <sched.h>
#include <time.h>
#include <unistd.h>
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_US UINT64_C(1000)

static inline void test_sleep_ms(unsigned ms)
{
#if defined(_WIN32)
    Sleep(ms);
#else
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
    }
#endif
}

static inline void test_yield(void)
{
#if defined(_WIN32)
    SwitchToThread();
#else
    sched_yield();
#endif
}

static inline pthread_t test_thread_start(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int err = pthread_create(&t, NULL, fn, arg);
    assert_int_equal(0, err);
    return t;
}

static inline void test_thread_join(pthread_t t)
{
    assert_int_equal(0, pthread_join(t, NULL));
}

/* The calling thread's kernel id, so another thread can see whether it is
 * blocked.  0 where that cannot be observed. */
static inline long test_gettid(void)
{
#if defined(__linux__)
    return (long)syscall(SYS_gettid);
#else
    return 0;
#endif
}

/*
 * Wait until thread `tid` is asleep in the kernel (Linux: /proc state S).
 * Used so that a test exercises the blocking path rather than the token fast
 * path; the tests' verdicts never depend on it (an unpark that arrives
 * before the block is still a valid wake-up).  Elsewhere: a short sleep.
 * The extra read after "S" guards against a momentary sleep elsewhere (e.g.
 * inside a malloc lock) by requiring it twice, 1 ms apart.
 */
static inline void test_wait_blocked(long tid)
{
#if defined(__linux__)
    char path[64], buf[256];
    int seen = 0, tries;
    if (tid == 0) {
        test_sleep_ms(20);
        return;
    }
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    for (tries = 0; tries < 20000 && seen < 2; tries++) {
        FILE *f = fopen(path, "r");
        char *rp;
        if (f == NULL)
            return;
        buf[0] = 0;
        if (fgets(buf, sizeof buf, f) == NULL)
            buf[0] = 0;
        fclose(f);
        rp = strrchr(buf, ')');
        if (rp != NULL && rp[1] == ' ' && rp[2] == 'S')
            seen++;
        else
            seen = 0;
        test_sleep_ms(1);
    }
#else
    (void)tid;
    test_sleep_ms(20);
#endif
}

/*
 * Set (to the emulator's name) when ctest runs the programs under qemu-user
 * (cmake/toolchains/linux-cross.cmake passes it with qemu's -E); "node
 * (wasm)" under Emscripten; NULL when they run natively.  A check that the
 * emulator cannot run ends its test with test_skip_if_emulated: SKIPPED
 * with the reason printed, never passed.
 */
static inline const char *test_emulator(void)
{
#if defined(__EMSCRIPTEN__)
    /* Under node, which cannot pass its environment on: threads are JS
     * workers and timing is as loose as under qemu. */
    return "node (wasm)";
#endif
    const char *e = getenv("PARKER_TEST_EMULATOR");
    return e != NULL && e[0] != 0 ? e : NULL;
}

static inline void test_skip_if_emulated(const char *what_did_not_run)
{
    if (test_emulator() != NULL) {
        print_message("SKIPPED under %s: %s\n", test_emulator(), what_did_not_run);
        skip();
    }
}

/*
 * seccomp filters depend on the kernel (CONFIG_SECCOMP_FILTER) and on the
 * container the tests run in, not on the code.  A check that needs them
 * first installs a filter that allows everything; if the kernel refuses even
 * that (or PARKER_TEST_ASSUME_NO_SECCOMP=1 forces that answer, to test this
 * path), the check ends SKIPPED with the reason printed, never passed.
 */
static inline int test_assume_no_seccomp(void)
{
    const char *e = getenv("PARKER_TEST_ASSUME_NO_SECCOMP");
    return e != NULL && strcmp(e, "1") == 0;
}

static inline void test_skip_seccomp_refused(const char *what_did_not_run, int err)
{
    print_message("SKIPPED (machine, not code): %s: the kernel refuses seccomp "
                  "(errno %d%s)\n", what_did_not_run, err,
                  test_assume_no_seccomp() ? ", forced by PARKER_TEST_ASSUME_NO_SECCOMP=1" : "");
    skip();
}

/*
 * WebAssembly (Emscripten, run by node) has no processes (fork fails) and no
 * signals between threads (pthread_kill of another thread fails).  A test
 * that needs them starts with test_skip_if_wasm: SKIPPED with the reason
 * printed, never passed.  Its misuse-abort checks run instead as separate
 * ctest programs (tests/wasm.cmake).
 */
static inline void test_skip_if_wasm(const char *what_did_not_run)
{
#if defined(__EMSCRIPTEN__)
    print_message("SKIPPED on wasm: %s\n", what_did_not_run);
    skip();
#else
    (void)what_did_not_run;
#endif
}

#endif /* PARKER_TESTS_COMMON_H */
