/*
 * mutex.c - the one-byte mutex (parker_sync.h) on the parking lot.
 *
 * The protocol is in lock_algorithm.h: LOCKED and PARKED bits, PARKED only
 * cleared under the queue lock by whoever knows the queue is empty.
 *
 * Fairness: barging, with forced hand-offs whose RATE is bounded.  An
 * unlock normally clears LOCKED and wakes the front waiter, which then
 * competes with running threads: a running thread usually wins, which saves
 * a context switch per acquisition (why barging locks have the throughput
 * they have).  The price is starvation, so now and then an unlock keeps
 * LOCKED set and hands the mutex to a sleeping waiter with a token.
 *
 * The earlier rule forced a hand-off whenever the woken waiter had waited
 * 1 ms.  With many waiters every one of them is 1 ms old, so every unlock
 * became a hand-off and the lock ran at one context switch per acquisition
 * (the convoy Go's mutex has, golang/go#33747).  Now each waiter carries a
 * fairness time, fair_at, in a struct on its stack (its park_arg): its first
 * park plus PARKER_LOT_FAIR_NS.  A slow unlock looks only at the front
 * waiter: if its fair_at has not come, it is woken to compete (O(1), the
 * common case).  If it has, the unlock walks the queue once, finds the lock
 * caller with the earliest first park, sets every queued waiter's fair_at to
 * now + PARKER_LOT_FAIR_NS, and hands the mutex to that oldest waiter with a
 * second, targeted unpark.  So a forced hand-off restarts the clock of the
 * whole queue (about one per millisecond per mutex, as parking_lot's and
 * WebKit's per-bucket timers give, but per mutex and without random state),
 * and it always goes to the oldest caller, not to whoever the front happens
 * to be: a waiter that lost races re-parks at the back, so the queue order
 * is not the age order, and choosing the oldest is what bounds every
 * waiter's wait (parker_sync.h states the bound).  The walk costs O(waiters)
 * under the queue lock at most once per millisecond.
 *
 * Audit for issue 23 (a state change that takes no lock while a thread has
 * begun its call but is not queued): unlock's fast path clears LOCKED with
 * a CAS, no lock, when PARKED is clear.  A locker on its way to park re-reads
 * the byte in mutex_validate under the queue lock and does not sleep unless
 * it sees LOCKED|PARKED, so it cannot sleep on a free mutex; and the mutex
 * makes no "was free at some moment after the call began" promise: a
 * thread not yet queued is a newcomer that barges like any other.
 */
#include "sync/lock_algorithm.h"
#include "annotate.h"

#if defined(_MSC_VER)
#  define MUTEX_THREAD_LOCAL __declspec(thread)
#else
#  define MUTEX_THREAD_LOCAL _Thread_local
#endif

/* A lock caller's entry for the fairness rule, on its stack, passed to the
 * lot as park_arg.  Threads that a condition variable moved onto the mutex
 * have park_arg NULL: they take part as "not yet due" and are never chosen
 * as the oldest (their cond wait returns either way; see cond.c). */
struct mutex_waiter {
    uint64_t wait_since; /* first park of this lock call */
    uint64_t fair_at;    /* written only under the queue lock once queued */
};

/* Spinning before parking.
 *
 * A lock is often released within the time a system call takes, so a
 * locker that finds it held spins a little first.  Three limits keep the
 * spin from hurting:
 *   - it stops as soon as a thread is parked (PARKED set): from then on
 *     newcomers queue.  So on any machine at most one budget per thread is
 *     burnt per contention burst: the first spinner to give up parks, sets
 *     PARKED, and every other spinner sees that at its next look and parks.
 *     The spinners never grow with the number of cores into a herd.
 *   - the budget is time, per thread, adaptive: it grows 1.5x when a spin
 *     saw the lock free and shrinks 4x when it ran out.  When threads
 *     outnumber cores the holder is often preempted, spins fail, and each
 *     thread's budget falls to the minimum within a few lock calls: it then
 *     parks almost at once instead of burning the holder's CPU.  On a big
 *     machine with short critical sections spins succeed and the budget
 *     stays up.  (glibc's adaptive mutex keeps the estimate per lock; a
 *     one-byte mutex has no room, and a thread's recent history is as good
 *     a predictor for the locks it takes.)
 *   - the pauses between looks double up to 32, so many spinners do not
 *     keep pulling the line away from the holder.
 * It never calls sched_yield: with more spinners than cores a yield just
 * hands the core to another spinner, and on large machines the yield storms
 * are what make parking_lot collapse (its issues #201, #338, #418). */
#define SPIN_MIN_NS 200u
#define SPIN_START_NS 2000u
#define SPIN_MAX_NS 10000u
#define SPIN_MAX_PAUSES 32u

static MUTEX_THREAD_LOCAL uint32_t spin_budget_ns; /* 0: not yet set */

/* Spin while m is held and nobody is parked.  Returns with *v the last
 * value seen: not LOCKED (go and take it), PARKED set, or the budget ran
 * out. */
static void spin_while_held(uint8_t *w, uint8_t *v)
{
    uint32_t budget = spin_budget_ns ? spin_budget_ns : SPIN_START_NS;
    uint64_t start = 0;
    unsigned pauses = 1, i;
    for (;;) {
        uint64_t now;
        for (i = 0; i < pauses; i++)
            parker__cpu_relax();
        *v = parker__load_relaxed_u8(w);
        if (!(*v & PARKER__MUTEX_LOCKED)) {
            uint32_t grown = budget + budget / 2u;
            spin_budget_ns = grown < SPIN_MAX_NS ? grown : SPIN_MAX_NS;
            return;
        }
        if (*v & PARKER__MUTEX_PARKED)
            return; /* not the spin's fault: leave the budget */
        if (pauses < SPIN_MAX_PAUSES)
            pauses *= 2u;
        /* The first looks are free of clock reads: most locks that will be
         * released soon are released within them. */
        if (pauses < 8u)
            continue;
        now = parker__sys_now_ns();
        if (start == 0) {
            start = now;
        } else if (now - start >= budget) {
            spin_budget_ns = budget / 4u > SPIN_MIN_NS ? budget / 4u : SPIN_MIN_NS;
            return;
        }
    }
}

static int mutex_validate(void *arg)
{
    /* Under the queue lock: park only if the unlock that will wake us has
     * not happened yet.  An unlock clears LOCKED (fast path, only possible
     * while PARKED is clear) or rewrites the byte under this lock, so if we
     * see LOCKED|PARKED here, its unpark will find us queued. */
    parker_mutex_t *m = (parker_mutex_t *)arg;
    return parker__load_relaxed_u8(PARKER__MUTEX_WORD(m)) ==
           (PARKER__MUTEX_LOCKED | PARKER__MUTEX_PARKED);
}

static void mutex_timed_out(void *arg, const void *address, int was_last_waiter)
{
    (void)address;
    /* Under the queue lock, so an unlock or a new parker cannot interleave:
     * clearing PARKED here is what keeps it exact (parking_lot #465 was a
     * parked bit cleared after a timeout without this lock). */
    if (was_last_waiter)
        parker__mutex_clear_parked((parker_mutex_t *)arg);
}

int parker__mutex_lock_slow(parker_mutex_t *m, uint64_t deadline_ns)
{
    uint8_t *w = PARKER__MUTEX_WORD(m);
    struct mutex_waiter me;
    int spun = 0;
    uint8_t v = parker__load_relaxed_u8(w);

    me.wait_since = 0;
    me.fair_at = 0;
    for (;;) {
        uintptr_t token = 0;
        int r;

        if (!(v & PARKER__MUTEX_LOCKED)) {
            /* Keep PARKED as it is: others may still be queued. */
            if (parker__cas_weak_acquire_u8(w, &v, (uint8_t)(v | PARKER__MUTEX_LOCKED)))
                return PARKER_OK;
            continue;
        }
        if (!(v & PARKER__MUTEX_PARKED) && !spun) {
            spun = 1; /* one spin per wake-up: a lost race after it parks */
            spin_while_held(w, &v);
            continue;
        }
        if (!parker__sync_begin_wait(&me.wait_since, deadline_ns))
            return PARKER_TIMEDOUT; /* before setting PARKED: leave no trace */
        if (me.fair_at == 0)
            me.fair_at = me.wait_since + PARKER_LOT_FAIR_NS;
        if (!(v & PARKER__MUTEX_PARKED) &&
            !parker__cas_weak_relaxed_u8(w, &v, (uint8_t)(v | PARKER__MUTEX_PARKED)))
            continue;

        r = parker_lot_park_ex(w, mutex_validate, NULL, mutex_timed_out, m, deadline_ns, &me,
                               me.wait_since, &token);
        if (r == PARKER_OK && token == PARKER__TOKEN_HANDOFF)
            return PARKER_OK; /* the unlocker kept LOCKED set for us */
        if (r == PARKER_TIMEDOUT)
            return PARKER_TIMEDOUT; /* the hook cleared PARKED if we were last */
        /* Woken to compete (the lock is free for whoever is first), or the
         * byte changed before we slept: try again, spinning afresh. */
        spun = 0;
        v = parker__load_relaxed_u8(w);
    }
}

/* lock and unlock as announced to race detectors (annotate.h); the public
 * calls come here only when one may be listening. */
static PARKER__ANN_COLD void lock_announced(parker_mutex_t *m)
{
    uint8_t v = 0;
    parker__ann_lock_pre(m, 0);
    if (!parker__cas_strong_acquire_u8(PARKER__MUTEX_WORD(m), &v, PARKER__MUTEX_LOCKED))
        (void)parker__mutex_lock_slow(m, PARKER_FOREVER);
    parker__ann_lock_post(m, 0, 1);
}

static void unlock_slow(parker_mutex_t *m, uint8_t seen, int force_fair, const char *func);

static PARKER__ANN_COLD void unlock_announced(parker_mutex_t *m, int fair, const char *func)
{
    uint8_t v = PARKER__MUTEX_LOCKED;
    parker__ann_unlock_pre(m, 0, parker_mutex_is_locked(m), func, "mutex is not locked");
    if (!parker__cas_strong_release_u8(PARKER__MUTEX_WORD(m), &v, 0))
        unlock_slow(m, v, fair, func);
    parker__ann_unlock_post(m, 0);
}

void parker_mutex_lock(parker_mutex_t *m)
{
    uint8_t v = 0;
    PARKER__SYNC_NOT_NULL("parker_mutex_lock", m, "mutex");
    if (PARKER__ANN_ANY()) {
        lock_announced(m);
        return;
    }
    if (!parker__cas_strong_acquire_u8(PARKER__MUTEX_WORD(m), &v, PARKER__MUTEX_LOCKED))
        (void)parker__mutex_lock_slow(m, PARKER_FOREVER);
}

/* The public calls annotate (annotate.h); these do not, so that one lock
 * operation is announced once even when one call is made of another. */
static int try_lock(parker_mutex_t *m)
{
    uint8_t *w = PARKER__MUTEX_WORD(m);
    uint8_t v;
    v = parker__load_relaxed_u8(w);
    while (!(v & PARKER__MUTEX_LOCKED)) {
        if (parker__cas_weak_acquire_u8(w, &v, (uint8_t)(v | PARKER__MUTEX_LOCKED)))
            return PARKER_OK;
    }
    return PARKER_AGAIN;
}

int parker_mutex_trylock(parker_mutex_t *m)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_mutex_trylock", m, "mutex");
    parker__ann_lock_pre(m, PARKER__ANN_TRY | PARKER__ANN_NOWAIT);
    r = try_lock(m);
    parker__ann_lock_post(m, PARKER__ANN_TRY | PARKER__ANN_NOWAIT, r == PARKER_OK);
    return r;
}

static int lock_until(parker_mutex_t *m, uint64_t deadline_ns)
{
    uint8_t v = 0;
    if (parker__cas_strong_acquire_u8(PARKER__MUTEX_WORD(m), &v, PARKER__MUTEX_LOCKED))
        return PARKER_OK;
    if (deadline_ns == 0) /* before any clock value: one try, no spin */
        return try_lock(m) == PARKER_OK ? PARKER_OK : PARKER_TIMEDOUT;
    return parker__mutex_lock_slow(m, deadline_ns);
}

int parker_mutex_lock_until(parker_mutex_t *m, uint64_t deadline_ns)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_mutex_lock_until", m, "mutex");
    parker__ann_lock_pre(m, PARKER__ANN_TRY);
    r = lock_until(m, deadline_ns);
    parker__ann_lock_post(m, PARKER__ANN_TRY, r == PARKER_OK);
    return r;
}

int parker_mutex_lock_timeout(parker_mutex_t *m, uint64_t timeout_ns)
{
    PARKER__SYNC_NOT_NULL("parker_mutex_lock_timeout", m, "mutex");
    if (timeout_ns == 0)
        return parker_mutex_trylock(m) == PARKER_OK ? PARKER_OK : PARKER_TIMEDOUT;
    return parker_mutex_lock_until(m, parker__sync_deadline(timeout_ns));
}

/* What a slow unlock decided, in the order its filter and callback see it. */
enum unlock_mode {
    MODE_NONE,    /* no waiter seen yet */
    MODE_COMPETE, /* the front waiter is taken and woken to compete */
    MODE_SCAN,    /* the front waiter is due: walk the queue for the oldest */
    MODE_TARGET,  /* second pass: take exactly ctx->oldest */
    MODE_TAKEN    /* second pass: it was taken, stop */
};

struct unlock_ctx {
    parker_mutex_t *m;
    uint64_t now;
    enum unlock_mode mode;
    const struct mutex_waiter *oldest;
    int done; /* the mutex was released or handed over */
};

/* Both passes' filter, under the queue lock, oldest queued first. */
static int unlock_filter(void *arg, void *park_arg)
{
    struct unlock_ctx *ctx = (struct unlock_ctx *)arg;
    struct mutex_waiter *w = (struct mutex_waiter *)park_arg;

    switch (ctx->mode) {
    case MODE_NONE:
#ifdef PARKER_MUTANT_FAIR_PER_WAITER
        /* mutant: the old per-waiter rule (no restart of the others' clocks) */
        if (w != NULL && ctx->now >= w->wait_since + PARKER_LOT_FAIR_NS) {
            ctx->mode = MODE_TAKEN;
            ctx->done = 1;
            return PARKER_LOT_FILTER_UNPARK;
        }
#else
        if (w != NULL && ctx->now >= w->fair_at) {
            ctx->mode = MODE_SCAN;
            ctx->oldest = w;
            w->fair_at = ctx->now + PARKER_LOT_FAIR_NS;
            return PARKER_LOT_FILTER_SKIP;
        }
#endif
        ctx->mode = MODE_COMPETE;
        return PARKER_LOT_FILTER_UNPARK;
    case MODE_SCAN:
        if (w != NULL) {
#ifndef PARKER_MUTANT_FAIR_TO_FRONT
            if (w->wait_since < ctx->oldest->wait_since)
                ctx->oldest = w;
#endif
#ifndef PARKER_MUTANT_FAIR_NO_RESTART
            w->fair_at = ctx->now + PARKER_LOT_FAIR_NS;
#endif
        }
        return PARKER_LOT_FILTER_SKIP;
    case MODE_TARGET:
        if (w == ctx->oldest) {
            ctx->mode = MODE_TAKEN;
            return PARKER_LOT_FILTER_UNPARK;
        }
        return PARKER_LOT_FILTER_SKIP;
    default: /* MODE_COMPETE, MODE_TAKEN: one waiter is enough */
        return PARKER_LOT_FILTER_STOP;
    }
}

/* Keep LOCKED for the woken thread, which owns the mutex on return.  The lot
 * makes our writes (the critical section) visible to it. */
static uintptr_t hand_off(uint8_t *w, const parker_lot_unpark_result_t *r)
{
    if (!r->have_more_waiters)
        parker__store_relaxed_u8(w, (uint8_t)PARKER__MUTEX_LOCKED);
    return PARKER__TOKEN_HANDOFF;
}

/* Release: this store is the unlock. */
static uintptr_t release(uint8_t *w, const parker_lot_unpark_result_t *r)
{
    parker__store_release_u8(w, (uint8_t)(r->have_more_waiters ? PARKER__MUTEX_PARKED : 0u));
    return 0;
}

/* Both passes' callback, under the queue lock, with m still LOCKED (so no
 * thread can take it) and nobody able to queue or leave: the byte can be
 * rewritten from the exact result. */
static uintptr_t unlock_callback(void *arg, const parker_lot_unpark_result_t *r)
{
    struct unlock_ctx *ctx = (struct unlock_ctx *)arg;
    uint8_t *w = PARKER__MUTEX_WORD(ctx->m);

    switch (ctx->mode) {
    case MODE_SCAN:
        /* First pass of a forced hand-off: nobody taken, the mutex stays
         * LOCKED|PARKED for the second pass. */
        return 0;
    case MODE_TAKEN:
        if (r->unparked != 0) {
            ctx->done = 1;
            return hand_off(w, r);
        }
        /* The oldest left by timeout between the passes: nothing was
         * done; the caller starts over (the others are no longer due). */
        return 0;
    case MODE_TARGET:
        return 0; /* the oldest was not found (it timed out): start over */
    default: /* MODE_NONE (nobody queued: a stale PARKED), MODE_COMPETE */
        ctx->done = 1;
        return release(w, r);
    }
}

/* unlock_fair's callback: hand off to the front waiter if there is one. */
static uintptr_t unlock_fair_callback(void *arg, const parker_lot_unpark_result_t *r)
{
    uint8_t *w = PARKER__MUTEX_WORD((parker_mutex_t *)arg);
    if (r->unparked != 0)
        return hand_off(w, r);
    return release(w, r);
}

static void unlock_slow(parker_mutex_t *m, uint8_t seen, int force_fair, const char *func)
{
    struct unlock_ctx ctx;
    if (!(seen & PARKER__MUTEX_LOCKED))
        parker__misuse(func, "mutex is not locked");
    if (force_fair) {
        (void)parker_lot_unpark_one_ex(PARKER__MUTEX_WORD(m), unlock_fair_callback, m);
        return;
    }
    ctx.m = m;
    ctx.now = parker_now_ns();
    ctx.oldest = NULL;
    ctx.done = 0;
    /* Another round only when the chosen oldest waiter left by timeout
     * between the passes; the first pass restarted the clocks of all it
     * saw, so the next round normally just wakes the front one. */
    while (!ctx.done) {
        ctx.mode = MODE_NONE;
        (void)parker_lot_unpark_filter(PARKER__MUTEX_WORD(m), unlock_filter, unlock_callback, &ctx);
        if (ctx.mode == MODE_SCAN) {
            ctx.mode = MODE_TARGET;
            (void)parker_lot_unpark_filter(PARKER__MUTEX_WORD(m), unlock_filter, unlock_callback,
                                           &ctx);
        }
    }
}

void parker_mutex_unlock(parker_mutex_t *m)
{
    uint8_t v = PARKER__MUTEX_LOCKED;
    PARKER__SYNC_NOT_NULL("parker_mutex_unlock", m, "mutex");
    if (PARKER__ANN_ANY()) {
        unlock_announced(m, 0, "parker_mutex_unlock");
        return;
    }
    if (!parker__cas_strong_release_u8(PARKER__MUTEX_WORD(m), &v, 0))
        unlock_slow(m, v, 0, "parker_mutex_unlock");
}

void parker_mutex_unlock_fair(parker_mutex_t *m)
{
    /* PARKED clear means nobody is queued (see lock_algorithm.h), so the
     * fast path is fair too. */
    uint8_t v = PARKER__MUTEX_LOCKED;
    PARKER__SYNC_NOT_NULL("parker_mutex_unlock_fair", m, "mutex");
    if (PARKER__ANN_ANY()) {
        unlock_announced(m, 1, "parker_mutex_unlock_fair");
        return;
    }
    if (!parker__cas_strong_release_u8(PARKER__MUTEX_WORD(m), &v, 0))
        unlock_slow(m, v, 1, "parker_mutex_unlock_fair");
}

int parker_mutex_is_locked(const parker_mutex_t *m)
{
    PARKER__SYNC_NOT_NULL("parker_mutex_is_locked", m, "mutex");
    return (parker__load_relaxed_u8(&m->private_state_) & PARKER__MUTEX_LOCKED) != 0;
}
