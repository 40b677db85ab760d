/*
 * pthread.c - the portable POSIX backend: a mutex and a condition variable,
 * for systems without a futex-like call.
 *
 * The mutexes and condition variables are not in the parker.  They live in a
 * fixed process-wide table of stripes selected by hashing the parker's
 * address.  This keeps parker_t at 4 bytes on every backend, and it is what
 * makes "destroy right after park" hold: an unparker that has just turned the
 * state into NOTIFIED may be preempted before it locks and signals, and if
 * the mutex and condvar were inside the parker, the owner could meanwhile
 * return and free them.  The stripe's objects live for the whole process, so
 * the unparker touches only them and uses the parker's address as a number.
 *
 * Lost wake-ups: the owner reads the state under the stripe's mutex before
 * waiting; the unparker exchanges the state before it takes the same mutex.
 * Either the owner's read is after the unparker's unlock (and sees NOTIFIED)
 * or the owner is already inside pthread_cond_wait when the unparker
 * broadcasts.  Broadcast, because parkers that hash to the same stripe share
 * its condvar; each re-checks its own word and sleeps again.
 *
 * Clock: CLOCK_MONOTONIC through pthread_condattr_setclock.  Where that does
 * not exist (macOS), the fallback is the relative wait
 * pthread_cond_timedwait_relative_np computed from the same deadline; the
 * core re-checks the deadline on parker_now_ns(), so an early return there
 * only costs another wait.
 *
 * fork: a stripe mutex held by a thread of the parent is held forever in the
 * child; the child re-initialises the table (no other thread exists there, so
 * no parker can be waiting).  fork() does that through pthread_atfork; a raw
 * clone/fork system call runs no atfork handler, so its child must call
 * parker_after_fork(), which does the same.
 *
 * Lazy set-up: PARKER_INITIALIZER parkers never pass through parker_init, so
 * wait and wake set the table up themselves (pthread_once; after the first
 * call that is one load and a branch).
 *
 * Cancellation: pthread_cond_wait and pthread_cond_timedwait are
 * cancellation points, and a thread cancelled inside one dies holding the
 * stripe mutex with its word still PARKED; every parker of that stripe then
 * blocks forever.  Parks are documented as not being cancellation points, so
 * the wait runs with cancellation disabled and restores the caller's state
 * afterwards; a pending cancel is acted on at the caller's next cancellation
 * point.
 *
 * A wait that fails (anything but a wake-up or ETIMEDOUT) must not become a
 * spin of the core's re-check loop: the thread sleeps a bounded step instead.
 * Deadlines are clamped to INT32_MAX seconds of the monotonic clock (68 years
 * of uptime) even with a 64-bit time_t: a 32-bit C library on a kernel
 * without the time64 calls fails larger ones with EOVERFLOW at once.
 */
#include "../backend.h"
#include "posix.h"
#include "../atomics.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__APPLE__)
#  define PARKER__COND_RELATIVE 1
#else
#  define PARKER__COND_RELATIVE 0
#endif

#define STRIPE_BITS 6u
#define STRIPES (1u << STRIPE_BITS)

struct stripe {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    char pad[64]; /* keep neighbouring stripes' mutexes off one cache line */
};

static struct stripe stripes[STRIPES];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static int table_error;
static uint32_t table_ready; /* 1 once init_once succeeded */

static int init_table(void)
{
    pthread_condattr_t attr;
    unsigned i;
    int err = pthread_condattr_init(&attr);
    if (err != 0)
        return err;
#if !PARKER__COND_RELATIVE
    err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (err != 0) {
        pthread_condattr_destroy(&attr);
        return err;
    }
#endif
    for (i = 0; i < STRIPES && err == 0; i++) {
        err = pthread_mutex_init(&stripes[i].mutex, NULL);
        if (err == 0)
            err = pthread_cond_init(&stripes[i].cond, &attr);
    }
    pthread_condattr_destroy(&attr);
    return err;
}

static void after_fork_child(void)
{
    (void)init_table();
}

static void init_once(void)
{
    table_error = init_table();
    if (table_error == 0)
        table_error = pthread_atfork(NULL, NULL, after_fork_child);
    if (table_error == 0)
        parker__store_release(&table_ready, 1u);
}

int parker__sys_init(void)
{
    int err = pthread_once(&table_once, init_once);
    return err != 0 ? err : table_error;
}

void parker__sys_after_fork(void)
{
    /* Only a table that exists can hold a dead thread's lock.  One not yet
     * set up is set up by the first park or unpark as usual. */
    if (parker__load_acquire(&table_ready))
        after_fork_child();
}

/* Wait and wake on a PARKER_INITIALIZER parker come here without a
 * parker_init.  Without its table this backend cannot block at all. */
static void ensure_table(void)
{
    int err = parker__sys_init();
    if (err != 0) {
        fprintf(stderr, "libparker: pthread backend: cannot set up its mutexes and condition "
                        "variables (error %d)\n", err);
        fflush(stderr);
        abort();
    }
}

static struct stripe *stripe_of(const parker_t *p)
{
    /* Fibonacci hashing of the address; the low bits of an address are
     * mostly alignment, the multiply spreads the rest into the top bits. */
    uint64_t h = (uint64_t)(uintptr_t)p * UINT64_C(0x9E3779B97F4A7C15);
    return &stripes[h >> (64u - STRIPE_BITS)];
}

int parker__sys_wait(parker_t *p, uint64_t deadline_ns)
{
    struct stripe *s;
    int cancel_state, ignored, err = 0;

    ensure_table();
    s = stripe_of(p);
    (void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    pthread_mutex_lock(&s->mutex);
    /* Relaxed is enough under the mutex: see "Lost wake-ups" above. */
    if (parker__load_relaxed(PARKER__WORD(p)) == PARKER__PARKED) {
        if (deadline_ns == PARKER__NO_DEADLINE) {
            err = pthread_cond_wait(&s->cond, &s->mutex);
        } else {
            struct timespec ts;
#if PARKER__COND_RELATIVE
            uint64_t now = parker__sys_now_ns();
            uint64_t rel = deadline_ns > now ? deadline_ns - now : 0;
            if (rel / 1000000000u > INT32_MAX)
                rel = (uint64_t)INT32_MAX * 1000000000u;
            ts.tv_sec = (time_t)(rel / 1000000000u);
            ts.tv_nsec = (long)(rel % 1000000000u);
            err = pthread_cond_timedwait_relative_np(&s->cond, &s->mutex, &ts);
#else
            uint64_t sec = deadline_ns / 1000000000u;
            /* Clamp (see the top of the file); the core waits again. */
            if (sec > (uint64_t)INT32_MAX) {
                ts.tv_sec = (time_t)INT32_MAX;
                ts.tv_nsec = 999999999;
            } else {
                ts.tv_sec = (time_t)sec;
                ts.tv_nsec = (long)(deadline_ns % 1000000000u);
            }
            err = pthread_cond_timedwait(&s->cond, &s->mutex, &ts);
#endif
            if (err == ETIMEDOUT)
                err = 0;
        }
    }
    pthread_mutex_unlock(&s->mutex);
    if (err != 0)
        parker__posix_sleep_step(deadline_ns); /* polls, never spins */
    (void)pthread_setcancelstate(cancel_state, &ignored);
    return 0;
}

void parker__sys_wake(parker_t *p)
{
    struct stripe *s;
    ensure_table();
    s = stripe_of(p);
    /* Lock/unlock orders our exchange before the owner's check, or puts the
     * owner in the condvar's wait before our broadcast. */
    pthread_mutex_lock(&s->mutex);
    pthread_mutex_unlock(&s->mutex);
    pthread_cond_broadcast(&s->cond);
}

void parker__sys_absorb(parker_t *p)
{
    (void)p;
}

uint64_t parker__sys_now_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *parker__sys_name(void)
{
    return "pthread";
}
