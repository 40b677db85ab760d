/*
 * barrier.c - the reusable barrier: two counters changed only under the
 * lot's queue lock of the barrier's address.
 *
 * An arriving thread parks with a validate callback that counts it in, under
 * the queue lock, unless it would be the last of the phase; then it does not
 * park but calls parker_lot_requeue_ex, whose validate (under the same
 * lock) checks again that the phase still lacks exactly one arrival, resets
 * the count and releases the whole queue: one thread is woken, the rest
 * move to a release key from which the woken threads wake each other (see
 * FAN_OUT).  Because counting in, queueing and the reset-and-release are
 * each done under that one lock:
 *   - the queue only ever holds threads of the current phase, so the
 *     release takes every thread of the phase and no thread of the next one
 *     (no generation counter, nothing that could wrap), and the release key
 *     only ever holds released threads;
 *   - two threads that both found themselves last (possible with more than
 *     `count` threads) are serialised: the first completes the phase, the
 *     second finds a fresh phase and arrives in it (the extra thread of
 *     count + 1 arrivals belongs to the next phase).
 * The counters need no atomic read-modify-write: the queue lock serialises
 * every change.  They are read and written with relaxed atomics only so
 * that parker_barrier_init racing a wait (misuse) is not undefined
 * behaviour inside the library.
 *
 * Audit for issue 23 (a state change that takes no lock while a thread has
 * begun its call but is not queued): there is none.  Arriving (validate),
 * completing a phase (the filter or callback) and waking all happen under
 * the one queue lock, and a thread's arrival is its validate, not the
 * start of its call: a thread whose call has begun but whose validate has
 * not run has not arrived, so a phase completed meanwhile was not its
 * phase (it is counted into the next one, as the policy says for count + 1
 * arrivals), and it cannot be missed by it.
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

/* The key on which the threads of a completed phase wait to be woken: an
 * address inside the barrier, distinct from b (= &b->count), used only as a
 * lot key (never read or written through it). */
#define RELEASE_KEY(b) ((const void *)&(b)->arrived)

/* How many threads each released thread wakes.  The thread that completes a
 * phase does not wake the other count - 1 itself, one system call after
 * another (each parked thread sleeps on a parker of its own, so the lot
 * cannot wake them with one call): it wakes one and moves the rest, in one
 * lot call, to RELEASE_KEY, then wakes one more from there; every thread
 * woken from a phase wakes up to FAN_OUT more before it returns.  The wake-
 * ups form a tree: the completer makes 2 of them instead of count - 1 and
 * the last thread wakes after about log2(count) wake-up latencies instead of
 * count - 1, each thread's share of the work done on its own CPU. */
#define FAN_OUT 2u

/* Under both queue locks: this thread completes the phase only if the
 * phase still lacks exactly one arrival (another thread may have completed
 * it first); then reset the count and release the queue. */
static int decide_validate(void *arg)
{
    struct arrive_ctx *c = arg;
    uint32_t a = parker__load_relaxed_u32(&c->b->arrived);
    c->completed = a + 1 >= c->count;
    if (!c->completed)
        return PARKER_LOT_REQUEUE_ABORT;
    parker__store_relaxed_u32(&c->b->arrived, 0);
    return PARKER_LOT_REQUEUE_UNPARK_ONE_REQUEUE_REST;
}

static uintptr_t released_token(void *arg, const parker_lot_unpark_result_t *r)
{
    (void)arg;
    (void)r;
    return TOKEN_RELEASED;
}

static int take_fan_out(void *arg, void *park_arg)
{
    unsigned *taken = arg;
    (void)park_arg;
    if (*taken == FAN_OUT)
        return PARKER_LOT_FILTER_STOP;
    ++*taken;
    return PARKER_LOT_FILTER_UNPARK;
}

/* Wake up to n (1 or FAN_OUT) released threads of b.  Everything on
 * RELEASE_KEY belongs to a completed phase, so which ones is immaterial, and
 * every thread there is reached: each wake-up makes one more waker. */
static void release_more(parker_barrier_t *b, unsigned n)
{
    unsigned taken = FAN_OUT - n;
    (void)parker_lot_unpark_filter(RELEASE_KEY(b), take_fan_out, released_token, &taken);
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
        int r = parker_lot_park_ex(b, validate_arrive, NULL, NULL, &c, PARKER_FOREVER, NULL, 0,
                                   &token);
        if (r == PARKER_OK) {
            if (token == TOKEN_RELEASED) {
                release_more(b, FAN_OUT);
                return 0;
            }
            /* Not ours (a foreign unpark of this address): we were counted
             * in and taken off the queue; there is no way to re-queue
             * without counting twice, so treat it as misuse. */
            parker__misuse("parker_barrier_wait",
                           "woken by a foreign unpark of the barrier's address");
        }
        /* PARKER_AGAIN: we looked like the last arrival. */
        (void)parker_lot_requeue_ex(b, RELEASE_KEY(b), decide_validate, released_token, &c, NULL);
        if (c.completed) {
            release_more(b, 1);
            return 1;
        }
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
