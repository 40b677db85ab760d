/*
 * barrier.c - the reusable barrier: two counters changed only under the
 * lot's queue lock of the barrier's address.
 *
 * An arriving thread parks with a validate callback that counts it in, under
 * the queue lock, unless it would be the last of the phase; then it does not
 * park but calls parker_lot_unpark_filter, whose filter (under the same
 * lock) checks again that the phase still lacks exactly one arrival, resets
 * the count and wakes the whole queue.  Because counting in, queueing and
 * the reset-and-wake are each done under that one lock:
 *   - the queue only ever holds threads of the current phase, so the wake
 *     takes every thread of the phase and no thread of the next one (no
 *     generation counter, nothing that could wrap);
 *   - two threads that both found themselves last (possible with more than
 *     `count` threads) are serialised: the first completes the phase, the
 *     second finds a fresh phase and arrives in it (the extra thread of
 *     count + 1 arrivals belongs to the next phase).
 * The counters need no atomic read-modify-write: the queue lock serialises
 * every change.  They are read and written with relaxed atomics only so
 * that parker_barrier_init racing a wait (misuse) is not undefined
 * behaviour inside the library.
 *
 * Memory ordering: the queue lock orders every arrival before the reset,
 * and the lot publishes the waker's view to every woken thread, so every
 * thread's writes before its arrival are visible after the phase ends.
 */
#include "parker_sync.h"

#include "sync/lock_algorithm.h"
#include "annotate.h"
#include "atomics.h"

#define TOKEN_RELEASED 1

int parker_barrier_init(parker_barrier_t *b, uint32_t count)
{
    if (b == NULL || count == 0)
        return PARKER_INVALID;
    parker__store_relaxed_u32(&b->arrived, 0);
    parker__store_release_u32(&b->count, count);
    return PARKER_OK;
}

struct arrive_ctx {
    parker_barrier_t *b;
    uint32_t count;
    int completed; /* the filter found the phase one short and ended it */
};

/* Under the queue lock: count this thread in and sleep, unless it is the
 * last arrival (then it completes the phase instead). */
static int validate_arrive(void *arg)
{
    struct arrive_ctx *c = arg;
    uint32_t a = parker__load_relaxed_u32(&c->b->arrived);
    if (a + 1 >= c->count)
        return 0;
    parker__store_relaxed_u32(&c->b->arrived, a + 1);
    return 1;
}

struct decide_ctx {
    struct arrive_ctx *c;
    int first;
};

/* The first call of the filter, or the callback when nobody is queued (the
 * filter then never runs), decides under the queue lock whether this
 * thread completes the phase: only if the phase still lacks one arrival. */
static void decide_once(struct decide_ctx *d)
{
    struct arrive_ctx *c = d->c;
    uint32_t a;
    if (!d->first)
        return;
    d->first = 0;
    a = parker__load_relaxed_u32(&c->b->arrived);
    c->completed = a + 1 >= c->count;
    if (c->completed)
        parker__store_relaxed_u32(&c->b->arrived, 0);
}

static int decide_filter(void *arg, void *park_arg)
{
    struct decide_ctx *d = arg;
    (void)park_arg;
    decide_once(d);
    return d->c->completed ? PARKER_LOT_FILTER_UNPARK : PARKER_LOT_FILTER_STOP;
}

static uintptr_t decide_callback(void *arg, const parker_lot_unpark_result_t *r)
{
    (void)r;
    decide_once(arg);
    return TOKEN_RELEASED;
}

static int barrier_wait(parker_barrier_t *b)
{
    struct arrive_ctx c;
    c.b = b;
    c.count = parker__load_acquire_u32(&b->count);
    c.completed = 0;
    if (c.count == 0)
        parker__misuse("parker_barrier_wait", "barrier not initialised (count 0)");
    for (;;) {
        uintptr_t token = 0;
        struct decide_ctx d;
        int r = parker_lot_park_ex(b, validate_arrive, NULL, NULL, &c, PARKER_FOREVER, NULL, 0,
                                   &token);
        if (r == PARKER_OK) {
            if (token == TOKEN_RELEASED)
                return 0;
            /* Not ours (a foreign unpark of this address): we were counted
             * in and taken off the queue; there is no way to re-queue
             * without counting twice, so treat it as misuse. */
            parker__misuse("parker_barrier_wait",
                           "woken by a foreign unpark of the barrier's address");
        }
        /* PARKER_AGAIN: we looked like the last arrival. */
        d.c = &c;
        d.first = 1;
        parker_lot_unpark_filter(b, decide_filter, decide_callback, &d);
        if (c.completed)
            return 1;
        /* Another thread completed the phase first: arrive in the next one. */
    }
}

int parker_barrier_wait(parker_barrier_t *b)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_barrier_wait", b, "barrier");
    /* Everything before any thread's arrival happens-before every thread's
     * return from the same phase. */
    parker__ann_release(b);
    r = barrier_wait(b);
    parker__ann_acquire(b);
    return r;
}
