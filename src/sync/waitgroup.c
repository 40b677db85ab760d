/*
 * waitgroup.c - Go's WaitGroup: a 64-bit word, waiters in the lot.
 *
 * The word:
 *
 *   bits 32..63  generation: how many times an add/done has brought the
 *                count to zero (mod 2^32)
 *   bits 1..31   count (0 .. INT32_MAX)
 *   bit 0        WAITERS: threads may be queued in the lot on the address
 *
 * The promise (parker_sync.h): a wait returns PARKER_OK once the count has
 * been zero at some moment after the call began.  The call begins with one
 * acquire load of the word.  If the count is zero there, it is done.
 * Otherwise it keeps the generation it saw, and from then on "a zero came"
 * means "the generation is no longer that one": every step that makes the
 * count zero also adds one to the generation, in the same atomic RMW, so no
 * zero can happen without the waiter being able to tell, whether or not it
 * was queued at that moment.  The validate callback of its park compares
 * the generation under the queue lock and refuses to sleep if it moved.
 *
 * (The 1.x word, count << 1 | WAITERS in 32 bits, had no generation: a
 * waiter that had loaded a positive count but was not queued yet slept
 * through a 1 -> 0 -> 1 made meanwhile, because its validate saw only the
 * count, positive again; issue 23, tests/test_sync_hooks.c,
 * verify/waitgroup.pml.)
 *
 * Who is woken, and when:
 *   - WAITERS is set by a waiter's validate under the queue lock, only while
 *     the count is positive and the generation is the one the waiter began
 *     with; it is cleared by the step that makes the count zero and by the
 *     last waiter that times out.  So "WAITERS clear" implies "nobody is
 *     queued", and a zero made with WAITERS clear needs no lock: it has
 *     nobody to wake, and a waiter on its way to the queue sees the new
 *     generation in its validate.
 *   - A zero made with WAITERS set is made under the queue lock, inside
 *     parker_lot_unpark_filter's filter (or its callback when nobody is
 *     queued), together with choosing whom to wake: exactly the threads
 *     queued before it.  A waiter queued before the zero is woken even if an
 *     add raises the count before it runs; a waiter whose call begins after
 *     that add sees the new generation at its first load and waits for the
 *     next zero.
 * Together: the group is reusable at once, without Go's rule that every
 * wait must return before the next add.
 *
 * The generation wraps after 2^32 zeros.  A waiter misses a zero only if
 * an exact multiple of 2^32 zeros happens between its first load and its
 * validate (a window of a few instructions plus a queue lock; at one zero
 * per 10 ns that is 43 s per wrap, stopped between two instructions).  The
 * same bound as every 32-bit futex sequence counter.
 *
 * Memory ordering: every change of the word is an RMW, so all of them form
 * one release sequence.  The count changes with acq_rel CASes: the one that
 * makes it zero acquires every earlier add/done and releases them.  A wait
 * that returns PARKER_OK does so after an acquire that reads that zero or a
 * later value of the word (its first load, or validate's load/CAS, which are
 * acquire for that reason), or after a wake by the zero's maker, which the
 * lot publishes to it.  So everything done before the adds/dones that made
 * the zero it returns for is visible to the waiter (TSan checks this path:
 * the zero's maker must *acquire* too, or the other dones' writes would not
 * reach a waiter that it wakes).
 */
#include "parker_sync.h"

#include "sync/lock_algorithm.h"
#include "annotate.h"
#include "atomics.h"
#include "test_hooks.h"

#if defined(PARKER_TEST_HOOKS)
void (*parker__test_hook_waitgroup_wait)(void *waitgroup);
#endif

#define WAITERS    ((uint64_t)1)
#define COUNT_MASK ((uint64_t)0xfffffffe)
#define GEN_ONE    ((uint64_t)1 << 32)

#define count_of(s) ((int32_t)(((s) & COUNT_MASK) >> 1))
#define gen_of(s)   ((uint32_t)((s) >> 32))

#define TOKEN_ZERO 1

/* The word after adding delta to v's count: the same generation and
 * WAITERS with the new count, or, if the count becomes zero, the next
 * generation with count 0 and WAITERS clear.  *zero says which. */
static uint64_t next_word(uint64_t v, int32_t delta, int *zero)
{
    int64_t c = (int64_t)count_of(v) + delta;
    if (c < 0)
        parker__misuse("parker_waitgroup_add", "count would go negative");
    if (c > INT32_MAX)
        parker__misuse("parker_waitgroup_add", "count would exceed INT32_MAX");
    *zero = c == 0 && count_of(v) != 0;
    if (*zero)
        return (v & ~(COUNT_MASK | WAITERS)) + GEN_ONE;
    return (v & ~COUNT_MASK) | (uint64_t)c << 1;
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
    uint64_t v;
    if (c->decided)
        return;
    c->decided = 1;
    v = parker__load_relaxed_u64(&c->w->v);
    for (;;) {
        uint64_t nv = next_word(v, c->delta, &c->zero);
        /* acq_rel: see "Memory ordering" above. */
        if (parker__cas_weak_acq_rel_u64(&c->w->v, &v, nv))
            return;
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
    uint64_t v;
    struct zero_ctx c;
    PARKER__SYNC_NOT_NULL("parker_waitgroup_add", w, "wait group");
    parker__ann_release(w); /* every add and done happens-before a wait that returns */
    v = parker__load_relaxed_u64(&w->v);
    for (;;) {
        int zero;
        uint64_t nv = next_word(v, delta, &zero);
        if (zero && (v & WAITERS))
            break; /* threads may be queued: decide and wake under the lock */
        /* acq_rel: see "Memory ordering" above.  With WAITERS clear a zero
         * needs no lock: nobody is queued, and a waiter on its way sees the
         * generation move in its validate. */
        if (parker__cas_weak_acq_rel_u64(&w->v, &v, nv))
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

struct wait_ctx {
    parker_waitgroup_t *w;
    uint32_t gen; /* the generation at the load that began the call */
};

/* Under the queue lock: sleep only if no zero has happened since the call
 * began, announcing the sleeper with WAITERS in the same CAS that checks it.
 * Acquire: a refusal (a zero came) makes the caller return PARKER_OK, so it
 * must see what was done before that zero. */
static int validate_wait(void *arg)
{
    struct wait_ctx *c = arg;
    uint64_t v = parker__load_acquire_u64(&c->w->v);
    for (;;) {
        if (gen_of(v) != c->gen || count_of(v) == 0)
            return 0;
        if (v & WAITERS)
            return 1;
        if (parker__cas_weak_acquire_u64(&c->w->v, &v, v | WAITERS))
            return 1;
    }
}

static void timed_out_wait(void *arg, const void *address, int was_last_waiter)
{
    struct wait_ctx *c = arg;
    (void)address;
    if (was_last_waiter)
        parker__fetch_and_relaxed_u64(&c->w->v, ~WAITERS);
}

/* v: the word as the call's first load saw it, count not zero. */
static int wait_slow(parker_waitgroup_t *w, uint64_t v, uint64_t deadline_ns)
{
    struct wait_ctx c;
    c.w = w;
    c.gen = gen_of(v);
    if (deadline_ns != PARKER_FOREVER && parker_now_ns() >= deadline_ns)
        return PARKER_TIMEDOUT; /* before WAITERS is set: leave no trace */
    PARKER__TEST_HOOK(waitgroup_wait, w);
    for (;;) {
        uintptr_t token = 0;
        int r = parker_lot_park_ex(w, validate_wait, NULL, timed_out_wait, &c, deadline_ns, NULL,
                                   0, &token);
        if (r == PARKER_AGAIN)
            return PARKER_OK; /* validate saw a zero after the call began */
        if (r == PARKER_TIMEDOUT)
            return PARKER_TIMEDOUT;
        if (token == TOKEN_ZERO)
            return PARKER_OK; /* woken by the zero's maker (the lot orders it) */
        /* Woken by a foreign unpark of the address: sleep on, still waiting
         * for a zero after the same first load. */
    }
}

static int wait_until(parker_waitgroup_t *w, uint64_t deadline_ns)
{
    /* The call begins here.  Acquire: pairs with the zero's release. */
    uint64_t v = parker__load_acquire_u64(&w->v);
    if (count_of(v) == 0)
        return PARKER_OK;
    return wait_slow(w, v, deadline_ns);
}

int parker_waitgroup_wait_until(parker_waitgroup_t *w, uint64_t deadline_ns)
{
    PARKER__SYNC_NOT_NULL("parker_waitgroup_wait_until", w, "wait group");
    return parker__ann_acquire_if_ok(w, wait_until(w, deadline_ns));
}

int parker_waitgroup_wait(parker_waitgroup_t *w, uint64_t timeout_ns)
{
    uint64_t v;
    PARKER__SYNC_NOT_NULL("parker_waitgroup_wait", w, "wait group");
    v = parker__load_acquire_u64(&w->v); /* as in wait_until */
    if (count_of(v) == 0)
        return parker__ann_acquire_if_ok(w, PARKER_OK);
    return parker__ann_acquire_if_ok(w, wait_slow(w, v, parker__sync_deadline(timeout_ns)));
}

int32_t parker_waitgroup_count(const parker_waitgroup_t *w)
{
    PARKER__SYNC_NOT_NULL("parker_waitgroup_count", w, "wait group");
    return count_of(parker__load_relaxed_u64(&w->v));
}
