/*
 * parker.c - the shared core: the three-state word, the fast paths, the
 * bounded adaptive spin, deadline arithmetic and misuse checks.  Every
 * backend shares this file; a backend (backend.h) only waits and wakes.
 *
 * The state word holds EMPTY (no token, owner not blocked), NOTIFIED (a
 * token) or PARKED (the owner is blocked or about to block in the backend).
 *
 *   unpark:  old = exchange(NOTIFIED); if old == PARKED, wake the backend.
 *   park:    NOTIFIED -> EMPTY (CAS) returns at once; otherwise spin a little
 *            watching for NOTIFIED; then EMPTY -> PARKED and loop
 *            { backend wait; NOTIFIED -> EMPTY returns OK;
 *              deadline passed: exchange(EMPTY) decides OK or TIMEDOUT }.
 *
 * Why the unparker never touches the parker after its exchange: the exchange
 * is the moment the owner can observe the token, return and free the memory.
 * Only the address is handed to the backend's wake, and every backend's wake
 * treats it as a key (futex word address, keyed-event key, table index), so a
 * wake on freed or reused memory is at worst a spurious wake-up for somebody
 * who re-checks.
 *
 * Spinning happens in the EMPTY state, before PARKED is published: an
 * unpark that lands during the spin sees EMPTY and makes no system call, so
 * a successful spin saves the system call on both sides.
 *
 * Notes about memory ordering
 * ---------------------------
 * The one guarantee: an unpark happens-before the park that consumes its
 * token returns.  unpark's exchange is a release; every way park consumes a
 * token (the fast CAS, the CAS after a wait, the exchange on timeout) is an
 * acquire on the same word.  Because each unpark is a read-modify-write, all
 * unparks that left NOTIFIED in place belong to one release sequence, so the
 * consuming acquire synchronises with every one of them, not only the first:
 * "every unpark synchronises, also when the token was already set".
 * Publishing PARKED needs no ordering of its own: it is only ever examined
 * by an unparker's exchange (same word, total modification order) and by the
 * kernel's compare in the backend's wait, which is atomic with the block.
 */
#include "backend.h"
#include "atomics.h"
#include "annotate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(_MSC_VER)
#  define PARKER__THREAD_LOCAL __declspec(thread)
#else
#  define PARKER__THREAD_LOCAL _Thread_local
#endif

void parker__misuse(const char *func, const char *what)
{
    fprintf(stderr, "libparker: %s: %s\n", func, what);
    fflush(stderr);
    abort();
}

/* A word that reads PARKED where the caller is the only possible parker: a
 * second thread is parked, or the word is garbage that happens to be all
 * ones (uninitialised or overwritten memory).  The two look the same. */
#define MISUSE_PARKED                                                            \
    "two threads parked on one parker at once (only its owner thread may park), " \
    "or the parker is not initialised or was corrupted"

#define PARKER__CHECK_NOT_NULL(p, func) \
    do { if ((p) == NULL) parker__misuse(func, "NULL parker"); } while (0)

/* ------------------------------------------------------------------------
 * Test-only spurious wake-ups (CMake PARKER_TEST_SPURIOUS).  Wraps the
 * backend's wait so that it sometimes returns at once (as after EINTR) and
 * sometimes waits against a deadline earlier than the real one, so that every
 * loop in the core is exercised re-checking its state and its deadline.
 * ---------------------------------------------------------------------- */
#if defined(PARKER_TEST_SPURIOUS)
static PARKER__THREAD_LOCAL uint32_t spurious_rng;

static uint32_t spurious_next(void)
{
    uint32_t x = spurious_rng;
    if (x == 0)
        x = (uint32_t)(uintptr_t)&spurious_rng | 1u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    spurious_rng = x;
    return x;
}

static int backend_wait(parker_t *p, uint64_t deadline)
{
    uint32_t r = spurious_next();
    switch (r & 3u) {
    case 0:
        return 0;
    case 1: {
        uint64_t early = parker__sys_now_ns() + (r >> 8) % 200000u;
        return parker__sys_wait(p, early < deadline ? early : deadline);
    }
    default:
        return parker__sys_wait(p, deadline);
    }
}
#else
#  define backend_wait(p, deadline) parker__sys_wait((p), (deadline))
#endif

/* ------------------------------------------------------------------------
 * Adaptive spin.  Per thread (only the owner parks, so the owner's history
 * is the right one): a spin that ended with a token grows the next budget, a
 * spin that had to block shrinks it fast, so that when the unparker is not
 * running (cores oversubscribed, or both threads on one CPU) the spin costs
 * almost nothing.  pause only; never sched_yield (a yield hands the core to
 * a busy thread and adds its timeslice to the wake latency).
 *
 * Only a successful spin grows the budget.  Growing it also when the token
 * came soon after blocking looks attractive (it would let a ping-pong that
 * has fallen asleep climb back into spinning) but was measured to backfire:
 * when the scheduler puts both threads on one CPU, the reply always comes
 * right after the spinner blocks, because the spinner was what kept the
 * replier off the CPU; the budget then grows to the maximum and every round
 * trip pays two full spins (3x slower than no spin at all in bench/).
 *
 * The budget is time, not a count of pauses: one pause takes ~3 ns on older
 * Intel cores and 30-45 ns on Skylake-and-later Intel and on AMD Zen (30 ns
 * on the EPYC VM the benchmarks ran on), so a count that is right on one CPU
 * spins 10x too long or too short on another.  The clock is read only after
 * each SPIN_CHUNK pauses, never before the first chunk: a partner that
 * answers within a chunk (a ping-pong on two cores) pays no clock read.
 *
 * The parker's limits (the lot has its own, src/lot.c): the maximum, 20 us,
 * bounds what one failed spin can burn after a run of
 * successes.  Spinning only wins when the token comes sooner than blocking
 * would deliver it; blocking costs a futex wait, a cross-CPU wake-up (3-40 us
 * on a VM, a few us on bare metal) and the unparker's wake call, and a spin
 * longer than that cannot win more than it burns (the spin-then-block rule).
 * The minimum, 500 ns, keeps about one chunk of spinning after many
 * failures: a few hundred ns is noise next to a sleep, and it still catches
 * an unpark that is already on its way.
 * ---------------------------------------------------------------------- */
#define SPIN_CHUNK 16u
#define SPIN_MAX_NS 20000u

static const struct parker__spin_limits parker_spin_limits = {500u, 2000u, SPIN_MAX_NS};

static PARKER__THREAD_LOCAL uint32_t spin_budget; /* ns; 0 = not yet set */

int parker__spin(uint32_t *budget_ns, const struct parker__spin_limits *limits,
                 int (*done)(void *), void *arg)
{
    uint32_t budget = *budget_ns ? *budget_ns : limits->start_ns;
    uint64_t start = 0;
    uint32_t i;
    for (;;) {
        uint64_t now;
        for (i = 0; i < SPIN_CHUNK; i++) {
            parker__cpu_relax();
            if (done(arg)) {
                uint32_t grown = budget + budget / 2u;
                *budget_ns = grown < limits->max_ns ? grown : limits->max_ns;
                return 1;
            }
        }
        now = parker__sys_now_ns();
        if (start == 0)
            start = now; /* the first chunk is free: see above */
        else if (now - start >= budget)
            break;
    }
    *budget_ns = budget / 4u > limits->min_ns ? budget / 4u : limits->min_ns;
    return 0;
}

static int token_arrived(void *arg)
{
    uint32_t *word = (uint32_t *)arg;
    /* A relaxed load first, so that waiting does not pull the line away
     * from the unparker with a write; the CAS takes it once. */
    if (parker__load_relaxed(word) == PARKER__NOTIFIED) {
        uint32_t expected = PARKER__NOTIFIED;
        return parker__cas_acquire(word, &expected, PARKER__EMPTY);
    }
    return 0;
}

static int spin_for_token(uint32_t *word)
{
    return parker__spin(&spin_budget, &parker_spin_limits, token_arrived, word);
}

/* ------------------------------------------------------------------------
 * The park loop.  deadline is absolute on parker__sys_now_ns(), or
 * PARKER__NO_DEADLINE.  Returns PARKER_OK or PARKER_TIMEDOUT.
 * ---------------------------------------------------------------------- */
static int park_slow(parker_t *p, uint64_t deadline, const char *func)
{
    uint32_t *word = PARKER__WORD(p);
    uint32_t seen;

    if (deadline != PARKER__NO_DEADLINE) {
        uint64_t now = parker__sys_now_ns();
        if (now >= deadline)
            return PARKER_TIMEDOUT;
        /* A spin longer than the remaining time would overshoot it; the
         * spin is at most SPIN_MAX_NS plus a chunk. */
        if (deadline - now > 2u * SPIN_MAX_NS && spin_for_token(word))
            return PARKER_OK;
    } else if (spin_for_token(word)) {
        return PARKER_OK;
    }

    seen = PARKER__EMPTY;
    if (!parker__cas_relaxed(word, &seen, PARKER__PARKED)) {
        if (seen == PARKER__NOTIFIED) {
            seen = PARKER__NOTIFIED;
            if (parker__cas_acquire(word, &seen, PARKER__EMPTY))
                return PARKER_OK;
        }
        if (seen == PARKER__PARKED)
            parker__misuse(func, MISUSE_PARKED);
        parker__misuse(func, "parker is not initialised or was corrupted");
    }

    for (;;) {
        int consumed_wake = backend_wait(p, deadline);
        uint32_t expected = PARKER__NOTIFIED;

        if (parker__cas_acquire(word, &expected, PARKER__EMPTY)) {
            if (!consumed_wake)
                parker__sys_absorb(p);
            return PARKER_OK;
        }
        if (expected != PARKER__PARKED)
            parker__misuse(func, "parker state changed under a parked thread "
                                 "(another thread parked or destroyed it)");
        if (deadline != PARKER__NO_DEADLINE && parker__sys_now_ns() >= deadline) {
            /* Withdraw.  If the exchange finds NOTIFIED, an unpark landed
             * between the wait's return and now: we just missed it, so the
             * token is ours and a rendezvous backend owes its wake to us. */
            if (parker__xchg_acquire(word, PARKER__EMPTY) == PARKER__NOTIFIED) {
                parker__sys_absorb(p);
                return PARKER_OK;
            }
            return PARKER_TIMEDOUT;
        }
        /* Spurious, EINTR, or an early/clamped timeout: wait again against
         * the same absolute deadline. */
    }
}

static int try_consume(uint32_t *word, const char *func)
{
    uint32_t seen = PARKER__NOTIFIED;
    if (parker__cas_acquire(word, &seen, PARKER__EMPTY))
        return 1;
    if (seen == PARKER__PARKED)
        parker__misuse(func, MISUSE_PARKED);
    if (seen != PARKER__EMPTY)
        parker__misuse(func, "parker is not initialised or was corrupted");
    return 0;
}

/* ------------------------------------------------------------------------
 * Public API.
 * ---------------------------------------------------------------------- */
int parker_init(parker_t *p)
{
    int err;
    if (p == NULL)
        return EINVAL;
    err = parker__sys_init();
    if (err != 0)
        return err;
    parker__store_relaxed(PARKER__WORD(p), PARKER__EMPTY);
    return 0;
}

void parker_destroy(parker_t *p)
{
    uint32_t s;
    PARKER__CHECK_NOT_NULL(p, "parker_destroy");
    s = parker__load_acquire(PARKER__WORD(p));
    if (s == PARKER__PARKED)
        parker__misuse("parker_destroy", "a thread is parked on this parker, "
                                          "or the parker is not initialised or was corrupted");
    if (s != PARKER__EMPTY && s != PARKER__NOTIFIED)
        parker__misuse("parker_destroy", "parker is not initialised or was corrupted");
    /* Poison so that a later use of the destroyed parker is caught. */
    parker__store_relaxed(PARKER__WORD(p), 0xDEADu);
}

void parker_park(parker_t *p)
{
    PARKER__CHECK_NOT_NULL(p, "parker_park");
    if (!try_consume(PARKER__WORD(p), "parker_park"))
        (void)park_slow(p, PARKER__NO_DEADLINE, "parker_park");
    parker__ann_acquire(p); /* the unpark whose token we took happens-before this */
}

static int park_timeout(parker_t *p, uint64_t timeout_ns)
{
    uint64_t now, deadline;
    if (p == NULL)
        return PARKER_INVALID;
    if (try_consume(PARKER__WORD(p), "parker_park_timeout"))
        return PARKER_OK;
    if (timeout_ns == 0)
        return PARKER_TIMEDOUT;
    if (timeout_ns == PARKER_FOREVER)
        return park_slow(p, PARKER__NO_DEADLINE, "parker_park_timeout");
    now = parker__sys_now_ns();
    /* now + timeout overflowing means "later than any clock value": no
     * deadline, rather than a wrapped one in the past. */
    deadline = timeout_ns > PARKER__NO_DEADLINE - now ? PARKER__NO_DEADLINE : now + timeout_ns;
    return park_slow(p, deadline, "parker_park_timeout");
}

int parker_park_timeout(parker_t *p, uint64_t timeout_ns)
{
    return parker__ann_acquire_if_ok(p, park_timeout(p, timeout_ns));
}

int parker_park_until(parker_t *p, uint64_t deadline_ns)
{
    if (p == NULL)
        return PARKER_INVALID;
    return parker__ann_acquire_if_ok(p, try_consume(PARKER__WORD(p), "parker_park_until")
                                            ? PARKER_OK
                                            : park_slow(p, deadline_ns, "parker_park_until"));
}

void parker_unpark(parker_t *p)
{
    uint32_t old;
    PARKER__CHECK_NOT_NULL(p, "parker_unpark");
    /* For race detectors: this unpark happens-before the park that consumes
     * its token, and through it a lot's wake happens-before the woken
     * park's return (the lot wakes only through parker_unpark). */
    parker__ann_release(p);
    /* Release, and an RMW even when NOTIFIED is already there, so that this
     * unpark joins the release sequence the consuming park acquires. */
    old = parker__xchg_release(PARKER__WORD(p), PARKER__NOTIFIED);
    if (old == PARKER__PARKED)
        parker__sys_wake(p);
    else if (old != PARKER__EMPTY && old != PARKER__NOTIFIED)
        /* Destroyed (poisoned) or never initialised.  The word now reads
         * NOTIFIED, which would bring it back to life: stop here. */
        parker__misuse("parker_unpark", "parker is not initialised or was corrupted "
                                        "(destroyed, freed or never set up)");
    /* p may be freed from here on. */
}

void parker_after_fork(void)
{
    parker__sys_after_fork();
}

const char *parker_result_str(int result)
{
    switch (result) {
    case PARKER_OK:
        return "PARKER_OK";
    case PARKER_TIMEDOUT:
        return "PARKER_TIMEDOUT";
    case 2: /* PARKER_AGAIN, parker_lot.h */
        return "PARKER_AGAIN";
    case PARKER_INVALID:
        return "PARKER_INVALID";
    default:
        return "PARKER_UNKNOWN_RESULT";
    }
}

uint64_t parker_now_ns(void)
{
    return parker__sys_now_ns();
}

const char *parker_backend(void)
{
    return parker__sys_name();
}

uint32_t parker_version(void)
{
    return PARKER_VERSION_NUMBER;
}

#define PARKER__STR2(x) #x
#define PARKER__STR(x) PARKER__STR2(x)
const char *parker_version_string(void)
{
    return PARKER__STR(PARKER_VERSION_MAJOR) "." PARKER__STR(PARKER_VERSION_MINOR) "." PARKER__STR(
        PARKER_VERSION_PATCH);
}

size_t parker_sizeof(void)
{
    return sizeof(parker_t);
}

size_t parker_alignof(void)
{
    struct probe { char c; parker_t p; };
    return offsetof(struct probe, p);
}

parker_t *parker_new(void)
{
    parker_t *p = (parker_t *)malloc(sizeof *p);
    if (p != NULL && parker_init(p) != 0) {
        free(p);
        p = NULL;
    }
    return p;
}

void parker_free(parker_t *p)
{
    if (p == NULL)
        return;
    parker_destroy(p);
    free(p);
}
