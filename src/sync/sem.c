/*
 * sem.c - the counting semaphore: a 32-bit word, waiters in the lot.
 *
 * The word is count << 1 | PARKED.  The one invariant everything rests on:
 *
 *     PARKED is set  =>  the count is 0.
 *
 * PARKED is set only by a waiter's validate callback, under the queue lock,
 * and only when the count is 0; the count rises only through a CAS that
 * finds PARKED clear (post's fast path) or inside post's unpark callback,
 * under the queue lock, after it has handed a unit to every queued waiter it
 * could, clearing PARKED in the same CAS when nobody is left.
 *
 * So a unit posted while threads are queued never shows up in the count: it
 * goes to the oldest waiter as an unpark token (TOKEN_UNIT), which the lot
 * delivers exactly once (a waiter whose deadline expires as it is chosen
 * still returns PARKER_OK).  Nobody can barge past a queued waiter, and a
 * queued waiter cannot time out while later threads take the posts.  A
 * barging port of a semaphore on this lot let a waiter time out after being
 * woken about 1000 times in one second; with hand-off a waiter is woken once,
 * with its unit.
 *
 * Memory ordering: wait's decrement is an acquire CAS, post's increment a
 * release CAS; a unit handed over publishes through the lot.
 *
 * Audit for issue 23 (a state change that takes no lock while a waiter has
 * begun its call but is not queued): post's fast path (PARKED clear) raises
 * the count with a CAS and no lock.  A waiter on its way to park cannot
 * lose that post: a unit is state, not an event.  It stays in the count
 * until some wait takes it, and the waiter's validate, under the queue
 * lock, refuses to sleep while the count is positive (then it tries to take
 * a unit again).  If another thread took the unit first, that thread was
 * its consumer: the policy promises that no post is lost and that queued
 * waiters are served first, not that a waiter not yet queued gets a unit
 * posted after its call began.
 */
#include "parker_sync.h"

#include "sync/lock_algorithm.h"
#include "annotate.h"
#include "atomics.h"

#define PARKED    1u
#define ONE_UNIT  2u
#define count_of(s) ((s) >> 1)

#define TOKEN_UNIT 1
#define SPIN_LIMIT 64u

static int try_take(parker_sem_t *s)
{
    uint32_t v = parker__load_relaxed_u32(&s->v);
    while (count_of(v) != 0) {
        /* Acquire: pairs with the post that raised the count. */
        if (parker__cas_weak_acquire_u32(&s->v, &v, v - ONE_UNIT))
            return 1;
    }
    return 0;
}

int parker_sem_trywait(parker_sem_t *s)
{
    PARKER__SYNC_NOT_NULL("parker_sem_trywait", s, "semaphore");
    return parker__ann_acquire_if_ok(s, try_take(s) ? PARKER_OK : PARKER_AGAIN);
}

/* Under the queue lock: sleep only with the count at 0 and PARKED set. */
static int validate_wait(void *arg)
{
    parker_sem_t *s = arg;
    uint32_t v = parker__load_relaxed_u32(&s->v);
    for (;;) {
        if (count_of(v) != 0)
            return 0;
        if (v & PARKED)
            return 1;
        if (parker__cas_weak_relaxed_u32(&s->v, &v, v | PARKED))
            return 1;
    }
}

/* Under the queue lock: the last waiter to leave by timeout clears PARKED
 * (the count is 0 by the invariant, so the word becomes 0). */
static void timed_out_wait(void *arg, const void *address, int was_last_waiter)
{
    parker_sem_t *s = arg;
    (void)address;
    if (was_last_waiter)
        parker__fetch_and_relaxed_u32(&s->v, ~PARKED);
}

static int wait_slow(parker_sem_t *s, uint64_t deadline_ns)
{
    unsigned spins = 0;
    int checked_clock = 0;
    for (;;) {
        uintptr_t token = 0;
        uint32_t v;
        int r;
        if (try_take(s))
            return PARKER_OK;
        v = parker__load_relaxed_u32(&s->v);
        if ((v & PARKED) == 0 && spins < SPIN_LIMIT) {
            spins++;
            parker__cpu_relax();
            continue;
        }
        if (!checked_clock && deadline_ns != PARKER_FOREVER) {
            /* A deadline already past gives up before PARKED is set. */
            checked_clock = 1;
            if (parker_now_ns() >= deadline_ns)
                return PARKER_TIMEDOUT;
        }
        r = parker_lot_park_ex(s, validate_wait, NULL, timed_out_wait, s, deadline_ns, NULL, 0,
                               &token);
        if (r == PARKER_OK && token == TOKEN_UNIT)
            return PARKER_OK;
        if (r == PARKER_TIMEDOUT)
            return PARKER_TIMEDOUT;
        spins = 0;
    }
}

void parker_sem_wait(parker_sem_t *s)
{
    PARKER__SYNC_NOT_NULL("parker_sem_wait", s, "semaphore");
    if (!try_take(s))
        (void)wait_slow(s, PARKER_FOREVER);
    parker__ann_acquire(s); /* the posts happen-before the wait that took a unit */
}

int parker_sem_wait_until(parker_sem_t *s, uint64_t deadline_ns)
{
    PARKER__SYNC_NOT_NULL("parker_sem_wait_until", s, "semaphore");
    return parker__ann_acquire_if_ok(s, try_take(s) ? PARKER_OK : wait_slow(s, deadline_ns));
}

int parker_sem_wait_timeout(parker_sem_t *s, uint64_t timeout_ns)
{
    PARKER__SYNC_NOT_NULL("parker_sem_wait_timeout", s, "semaphore");
    return parker__ann_acquire_if_ok(
        s, try_take(s) ? PARKER_OK : wait_slow(s, parker__sync_deadline(timeout_ns)));
}

struct post_ctx {
    parker_sem_t *s;
    uint32_t n;     /* units to post */
    uint32_t taken; /* waiters chosen by the filter, one unit each */
};

static int post_filter(void *arg, void *park_arg)
{
    struct post_ctx *c = arg;
    (void)park_arg;
    if (c->taken == c->n)
        return PARKER_LOT_FILTER_STOP;
    c->taken++;
    return PARKER_LOT_FILTER_UNPARK;
}

/* Under the queue lock: the units not handed over raise the count.  Waiters
 * remain only if every unit was handed over, so a positive leftover always
 * comes with PARKED cleared (the invariant). */
static uintptr_t post_callback(void *arg, const parker_lot_unpark_result_t *r)
{
    struct post_ctx *c = arg;
    uint32_t left = c->n - (uint32_t)r->unparked;
    uint32_t v = parker__load_relaxed_u32(&c->s->v);
    for (;;) {
        uint32_t n;
        if (left > PARKER_SEM_VALUE_MAX - count_of(v))
            parker__misuse("parker_sem_post", "count would exceed PARKER_SEM_VALUE_MAX");
        n = v + left * ONE_UNIT;
        if (!r->have_more_waiters)
            n &= ~PARKED;
        /* Release: a later try_take that finds these units sees our writes. */
        if (parker__cas_weak_release_u32(&c->s->v, &v, n))
            return TOKEN_UNIT;
    }
}

void parker_sem_post(parker_sem_t *s, uint32_t n)
{
    uint32_t v;
    struct post_ctx c;
    PARKER__SYNC_NOT_NULL("parker_sem_post", s, "semaphore");
    if (n == 0)
        return;
    parker__ann_release(s);
    v = parker__load_relaxed_u32(&s->v);
    while ((v & PARKED) == 0) {
        if (n > PARKER_SEM_VALUE_MAX - count_of(v))
            parker__misuse("parker_sem_post", "count would exceed PARKER_SEM_VALUE_MAX");
        /* Release: pairs with the acquire of the wait that takes a unit. */
        if (parker__cas_weak_release_u32(&s->v, &v, v + n * ONE_UNIT))
            return;
    }
    c.s = s;
    c.n = n;
    c.taken = 0;
    parker_lot_unpark_filter(s, post_filter, post_callback, &c);
}

uint32_t parker_sem_value(const parker_sem_t *s)
{
    PARKER__SYNC_NOT_NULL("parker_sem_value", s, "semaphore");
    return count_of(parker__load_relaxed_u32(&s->v));
}
