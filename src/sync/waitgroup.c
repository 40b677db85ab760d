/*
 * waitgroup.c - Go's WaitGroup: a 32-bit word, waiters in the lot.
 *
 * The word is count << 1 | WAITERS.  WAITERS is set by a waiter's validate
 * callback under the queue lock, only while the count is positive.
 *
 * The step that brings the count to zero while WAITERS is set is done under
 * the queue lock (inside parker_lot_unpark_filter's filter, or its callback
 * when nobody is queued), together with choosing the waiters to wake.  So
 * the threads woken are exactly the ones that were queued before the count
 * reached zero: a waiter that queues after a later add has raised the count
 * again cannot be woken by that old zero (it waits for the next one), and a
 * waiter that was queued before the zero is woken even if an add raises the
 * count before it runs.  That is what makes the group reusable without
 * Go's rule that all waits must return before the next add.  Bringing the
 * count to zero with WAITERS clear needs no lock: nobody is queued.
 *
 * Memory ordering: every change of the count is an acq_rel RMW.  A wait
 * that sees zero loads it with acquire and so synchronises with every
 * earlier add/done (they form one release sequence).  A woken waiter is
 * published to through the lot by the thread that made the count zero, so
 * that thread's RMW must also *acquire* the earlier adds/dones, or their
 * writes would not reach the waiter (TSan catches exactly this).
 */
#include "parker_sync.h"

#include "sync/lock_algorithm.h"
#include "annotate.h"
#include "atomics.h"

#define WAITERS 1u
#define count_of(s) ((int32_t)((s) >> 1))

#define TOKEN_ZERO 1

static uint32_t new_count(uint32_t v, int32_t delta)
{
    int64_t c = (int64_t)count_of(v) + delta;
    if (c < 0)
        parker__misuse("parker_waitgroup_add", "count would go negative");
    if (c > INT32_MAX)
        parker__misuse("parker_waitgroup_add", "count would exceed INT32_MAX");
    return (uint32_t)c;
}

struct zero_ctx {
    parker_waitgroup_t *w;
    int32_t delta;
    int decided;
    int zero; /* this add brought the count to zero: wake the queue */
};

/* Apply the add under the queue lock (once). */
static void decide(struct zero_ctx *c)
{
    uint32_t v;
    if (c->decided)
        return;
    c->decided = 1;
    v = parker__load_relaxed_u32(&c->w->v);
    for (;;) {
        uint32_t n = new_count(v, c->delta);
        uint32_t nv = n == 0 ? 0 : (n << 1 | (v & WAITERS));
        if (parker__cas_weak_acq_rel_u32(&c->w->v, &v, nv)) {
            c->zero = n == 0;
            return;
        }
    }
}

static int zero_filter(void *arg, void *park_arg)
{
    struct zero_ctx *c = arg;
    (void)park_arg;
    decide(c);
    return c->zero ? PARKER_LOT_FILTER_UNPARK : PARKER_LOT_FILTER_STOP;
}

static uintptr_t zero_callback(void *arg, const parker_lot_unpark_result_t *r)
{
    (void)r;
    decide(arg);
    return TOKEN_ZERO;
}

void parker_waitgroup_add(parker_waitgroup_t *w, int32_t delta)
{
    uint32_t v;
    struct zero_ctx c;
    PARKER__SYNC_NOT_NULL("parker_waitgroup_add", w, "wait group");
    parker__ann_release(w); /* every add and done happens-before a wait that returns */
    v = parker__load_relaxed_u32(&w->v);
    for (;;) {
        uint32_t n = new_count(v, delta);
        if (n == 0 && (v & WAITERS))
            break;
        /* acq_rel: see "Memory ordering" above. */
        if (parker__cas_weak_acq_rel_u32(&w->v, &v, n << 1 | (v & WAITERS)))
            return;
    }
    c.w = w;
    c.delta = delta;
    c.decided = 0;
    c.zero = 0;
    parker_lot_unpark_filter(w, zero_filter, zero_callback, &c);
}

void parker_waitgroup_done(parker_waitgroup_t *w)
{
    parker_waitgroup_add(w, -1);
}

static int validate_wait(void *arg)
{
    parker_waitgroup_t *w = arg;
    uint32_t v = parker__load_relaxed_u32(&w->v);
    for (;;) {
        if (count_of(v) == 0)
            return 0;
        if (v & WAITERS)
            return 1;
        if (parker__cas_weak_relaxed_u32(&w->v, &v, v | WAITERS))
            return 1;
    }
}

static void timed_out_wait(void *arg, const void *address, int was_last_waiter)
{
    parker_waitgroup_t *w = arg;
    (void)address;
    if (was_last_waiter)
        parker__fetch_and_relaxed_u32(&w->v, ~WAITERS);
}

static int wait_until(parker_waitgroup_t *w, uint64_t deadline_ns)
{
    if (count_of(parker__load_acquire_u32(&w->v)) != 0 && deadline_ns != PARKER_FOREVER &&
        parker_now_ns() >= deadline_ns)
        return PARKER_TIMEDOUT; /* before WAITERS is set: leave no trace */
    for (;;) {
        uintptr_t token = 0;
        int r;
        /* Acquire: pairs with the release of the add that made it zero. */
        if (count_of(parker__load_acquire_u32(&w->v)) == 0)
            return PARKER_OK;
        r = parker_lot_park_ex(w, validate_wait, NULL, timed_out_wait, w, deadline_ns, NULL, 0,
                               &token);
        if (r == PARKER_OK && token == TOKEN_ZERO)
            return PARKER_OK;
        if (r == PARKER_TIMEDOUT)
            return PARKER_TIMEDOUT;
    }
}

int parker_waitgroup_wait_until(parker_waitgroup_t *w, uint64_t deadline_ns)
{
    PARKER__SYNC_NOT_NULL("parker_waitgroup_wait_until", w, "wait group");
    return parker__ann_acquire_if_ok(w, wait_until(w, deadline_ns));
}

int parker_waitgroup_wait(parker_waitgroup_t *w, uint64_t timeout_ns)
{
    PARKER__SYNC_NOT_NULL("parker_waitgroup_wait", w, "wait group");
    if (count_of(parker__load_acquire_u32(&w->v)) == 0)
        return parker__ann_acquire_if_ok(w, PARKER_OK);
    return parker_waitgroup_wait_until(w, parker__sync_deadline(timeout_ns));
}

int32_t parker_waitgroup_count(const parker_waitgroup_t *w)
{
    PARKER__SYNC_NOT_NULL("parker_waitgroup_count", w, "wait group");
    return count_of(parker__load_relaxed_u32(&w->v));
}
