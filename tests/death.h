/*
 * death.h - run a piece of code in a child process that must abort with a
 * given message (misuse checks).  POSIX only (fork).
 */
#ifndef PARKER_TESTS_DEATH_H
#define PARKER_TESTS_DEATH_H

#include "common.h"

#if !defined(_WIN32)
#include <signal.h>
#include <sys/wait.h>

/* Run fn in a child with stderr captured; the child must die of SIGABRT and
 * its stderr must contain `message`.  A child that hangs instead is killed
 * by an alarm after 60 s (slow emulators included), which fails the check
 * (it was not caught).  The lot, sync and parker tests all use this one. */
static inline void expect_abort_with(void (*fn)(void), const char *message)
{
    int fds[2];
    pid_t pid;
    char buf[1024];
    size_t len = 0;
    ssize_t n;
    int status = 0;
    test_skip_if_wasm("misuse aborts in a forked child (WebAssembly has no processes; the "
                      "parker's checks run as programs of their own, tests/wasm.cmake)");
    assert_int_equal(0, pipe(fds));
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        alarm(60);
        fn();
        _exit(0); /* not reached if the misuse was caught */
    }
    close(fds[1]);
    while (len < sizeof buf - 1 && (n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = 0;
    close(fds[0]);
    assert_int_equal(pid, waitpid(pid, &status, 0));
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
        fail_msg("misuse was not caught (%s %d, stderr \"%s\")",
                 WIFSIGNALED(status) ? "signal" : "exit status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), buf);
    if (strstr(buf, message) == NULL)
        fail_msg("abort message \"%s\" lacks \"%s\"", buf, message);
}
#endif

#endif /* PARKER_TESTS_DEATH_H */
