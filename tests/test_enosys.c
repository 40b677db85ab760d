/*
 * test_enosys.c - a wait system call that does not exist never turns a park
 * into a spin (Linux).
 *
 * A forked child installs a seccomp filter (raw BPF through prctl, so that
 * no library is needed on cross targets) and then measures its own CPU time
 * while parks sleep:
 *   - "old kernel": futex_time64 fails with ENOSYS, as on kernels before 5.1
 *     (32-bit ABIs only; 64-bit ABIs have no futex_time64).  The futex
 *     backend must fall back to the old futex call; the pthread backend's
 *     C library does the same, and a huge deadline must not make its timed
 *     wait fail at once (EOVERFLOW) either.
 *   - "no futex wait": every futex wait on the parker's PARKED value fails
 *     with ENOSYS (a kernel without futexes, or a sandbox that forbids them).
 *     The futex backend must still block (it sleeps in bounded steps).
 * In each case a park that sleeps 300 ms of wall time must use well under
 * 50 ms of CPU: a spinning park uses about 300 ms.  The bound is an upper
 * bound on the CPU of a sleeping process, so it cannot flake on a slow or
 * busy machine (a busy machine gives the child less CPU, not more).
 *
 * qemu-user refuses seccomp filters (it needs every system call itself):
 * there the cases are reported SKIPPED with that reason.
 */
#include "common.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define WINDOW_MS 300u
#define CPU_LIMIT_MS 50u

enum filter_mode { OLD_KERNEL, NO_PARKER_FUTEX_WAIT };

/* Where the low 32 bits of a 64-bit seccomp argument are. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#  define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8u * (i) + 4u))
#else
#  define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8u * (i)))
#endif

#if defined(SYS_futex_time64) && !defined(__LP64__) && !(defined(__x86_64__) && defined(__ILP32__))
#  define HAVE_FUTEX_TIME64_ABI 1
#  define NR_FUTEX_B SYS_futex_time64
#else
#  define HAVE_FUTEX_TIME64_ABI 0
#  define NR_FUTEX_B SYS_futex
#endif

/* 0, or -1 with errno set (EINVAL under qemu-user). */
static int install_filter(enum filter_mode mode)
{
    /* The test process makes only native-ABI calls, so the filter need not
     * check seccomp_data.arch. */
    struct sock_filter no_wait[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)SYS_futex, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)NR_FUTEX_B, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xFFFFFFFFu, 0, 3), /* val == PARKED */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x7Fu), /* the command, without flags */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FUTEX_WAIT_BITSET, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    };
#if HAVE_FUTEX_TIME64_ABI
    struct sock_filter old_kernel[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)SYS_futex_time64, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
#endif
    struct sock_fprog prog;
    if (mode == NO_PARKER_FUTEX_WAIT) {
        prog.len = (unsigned short)(sizeof no_wait / sizeof no_wait[0]);
        prog.filter = no_wait;
    } else {
#if HAVE_FUTEX_TIME64_ABI
        prog.len = (unsigned short)(sizeof old_kernel / sizeof old_kernel[0]);
        prog.filter = old_kernel;
#else
        errno = ENOSYS;
        return -1;
#endif
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The machine probe: a filter that allows every call.  If the kernel refuses
 * it, seccomp is missing here; if it takes it but refuses ours, ours is
 * wrong, and that is a failure, not a skip. */
static int install_allow_all(void)
{
    static struct sock_filter allow[] = {
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog;
    if (test_assume_no_seccomp()) {
        errno = EINVAL;
        return -1;
    }
    prog.len = 1;
    prog.filter = allow;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What the child reports through its pipe. */
struct report {
    int probe_errno;   /* != 0: even an allow-all filter was refused */
    int filter_errno;  /* != 0: the filter could not be installed */
    int bad;           /* a wrong result: which check (see child_main) */
    uint64_t timeout_wall_ns, timeout_cpu_ns;   /* park_timeout(300 ms) */
    uint64_t huge_cpu_ns, forever_cpu_ns;       /* a parked thread over 300 ms */
};

struct parked {
    parker_t p;
    uint64_t timeout;
    atomic_int returned;
    int result;
};

static void *parked_main(void *arg)
{
    struct parked *pk = (struct parked *)arg;
    pk->result = parker_park_timeout(&pk->p, pk->timeout);
    atomic_store(&pk->returned, 1);
    return NULL;
}

/* A thread parks with the given timeout; the CPU the process uses while
 * the main thread sleeps WINDOW_MS is the parked thread's.  Then an unpark
 * must end the park. */
static int measure_parked_thread(uint64_t timeout, uint64_t *cpu)
{
    static struct parked pk;
    pthread_t t;
    uint64_t c0;
    memset(&pk, 0, sizeof pk);
    if (parker_init(&pk.p) != 0)
        return 1;
    pk.timeout = timeout;
    if (pthread_create(&t, NULL, parked_main, &pk) != 0)
        return 2;
    test_sleep_ms(20); /* let it block; a later start only lowers the CPU seen */
    c0 = cpu_ns();
    test_sleep_ms(WINDOW_MS);
    *cpu = cpu_ns() - c0;
    if (atomic_load(&pk.returned))
        return 3; /* returned without an unpark */
    parker_unpark(&pk.p);
    pthread_join(t, NULL); /* the parent's watchdog bounds this */
    if (pk.result != PARKER_OK)
        return 4;
    parker_destroy(&pk.p);
    return 0;
}

static void child_main(enum filter_mode mode, int fd)
{
    struct report r;
    parker_t p;
    uint64_t t0, c0;
    memset(&r, 0, sizeof r);
    if (parker_init(&p) != 0)
        r.bad = 10;
    if (install_allow_all() != 0) {
        r.probe_errno = errno ? errno : -1;
    } else if (install_filter(mode) != 0) {
        r.filter_errno = errno ? errno : -1;
    } else if (r.bad == 0) {
        c0 = cpu_ns();
        t0 = parker_now_ns();
        if (parker_park_timeout(&p, WINDOW_MS * NS_PER_MS) != PARKER_TIMEDOUT)
            r.bad = 11;
        r.timeout_wall_ns = parker_now_ns() - t0;
        r.timeout_cpu_ns = cpu_ns() - c0;
        if (r.bad == 0)
            r.bad = measure_parked_thread(UINT64_C(1) << 62, &r.huge_cpu_ns) * 10 + 0;
        if (r.bad == 0)
            r.bad = measure_parked_thread(PARKER_FOREVER, &r.forever_cpu_ns) * 100;
    }
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(3);
    _exit(0);
}

static void run_case(enum filter_mode mode, const char *name)
{
    struct report r;
    int fds[2], status = 0;
    pid_t pid;
    ssize_t n;
    unsigned waited = 0;

    assert_int_equal(0, pipe(fds));
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_main(mode, fds[1]);
    }
    close(fds[1]);
    /* Watchdog: a child that hangs (a lost wake-up in the fallback) fails. */
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (waited >= 30000u) {
            kill(pid, SIGKILL);
            (void)waitpid(pid, &status, 0);
            close(fds[0]);
            fail_msg("%s: the child hung", name);
        }
        test_sleep_ms(5);
        waited += 5;
    }
    memset(&r, 0, sizeof r);
    n = read(fds[0], &r, sizeof r);
    close(fds[0]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || n != (ssize_t)sizeof r)
        fail_msg("%s: the child died (status 0x%x)", name, status);
    if (r.probe_errno != 0 && test_emulator() == NULL)
        test_skip_seccomp_refused(name, r.probe_errno);
    if (r.filter_errno != 0 || r.probe_errno != 0) {
        if (test_emulator() != NULL) {
            print_message("SKIPPED under %s: %s (seccomp filters are refused: errno %d)\n",
                          test_emulator(), name, r.filter_errno | r.probe_errno);
            skip();
        }
        fail_msg("%s: could not install the seccomp filter (errno %d)", name, r.filter_errno);
    }
    print_message("%s [%s]: park_timeout(%u ms) took %.1f ms wall, %.2f ms CPU; a parked "
                  "thread used %.2f ms (huge timeout) and %.2f ms (no timeout) CPU in %u ms\n",
                  name, parker_backend(), WINDOW_MS, (double)r.timeout_wall_ns / 1e6,
                  (double)r.timeout_cpu_ns / 1e6, (double)r.huge_cpu_ns / 1e6,
                  (double)r.forever_cpu_ns / 1e6, WINDOW_MS);
    if (r.bad != 0)
        fail_msg("%s: wrong park result (check %d)", name, r.bad);
    if (r.timeout_wall_ns < WINDOW_MS * NS_PER_MS)
        fail_msg("%s: park_timeout returned early", name);
    if (r.timeout_cpu_ns > CPU_LIMIT_MS * NS_PER_MS || r.huge_cpu_ns > CPU_LIMIT_MS * NS_PER_MS ||
        r.forever_cpu_ns > CPU_LIMIT_MS * NS_PER_MS)
        fail_msg("%s: a park spun (CPU above %u ms in a %u ms sleep)", name, CPU_LIMIT_MS,
                 WINDOW_MS);
}

static void test_missing_futex_wait_never_spins(void **state)
{
    (void)state;
    run_case(NO_PARKER_FUTEX_WAIT, "futex wait ENOSYS");
}

static void test_old_kernel_without_futex_time64_never_spins(void **state)
{
    (void)state;
    if (!HAVE_FUTEX_TIME64_ABI) {
        print_message("SKIPPED: this ABI has no futex_time64 (64-bit time everywhere)\n");
        skip();
    }
    run_case(OLD_KERNEL, "futex_time64 ENOSYS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_futex_wait_never_spins),
        cmocka_unit_test(test_old_kernel_without_futex_time64_never_spins),
    };
    printf("backend: %s, time_t %u bits\n", parker_backend(), (unsigned)(sizeof(time_t) * 8));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
