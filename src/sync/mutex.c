/*
 * mutex.c - the one-byte mutex (parker_sync.h) on the parking lot.
 *
 * The protocol is in lock_algorithm.h: LOCKED and PARKED bits, PARKED only
 * cleared under the queue lock by whoever knows the queue is empty.
 *
 * Fairness: barging, with a per-waiter hand-off rule.  An unlock normally
 * clears LOCKED and wakes the longest waiter, which then competes with
 * running threads: under contention a running thread usually wins, which
 * saves a context switch per acquisition and is why barging locks have the
 * throughput they have.  The price is starvation: a thread that loops on
 * lock/unlock re-takes the lock every time before the woken waiter has even
 * been scheduled.  So the waiter passes the lot the time of its first park
 * in this lock call (wait_since_ns) on every park, and the lot tells the
 * unlock (be_fair) when that waiter has been waiting PARKER_LOT_FAIR_NS
 * (1 ms) or more; the unlock then keeps LOCKED set and hands the lock over
 * with a token.  We chose the per-waiter rule (CPython's) over a random
 * per-bucket timer (parking_lot, WebKit) because it bounds each waiter's
 * wait, not the bucket's average, is deterministic (the tests can state a
 * bound) and needs no random state; its cost, a clock read, is paid only by
 * waiters about to sleep and by the lot on a slow unlock.  Measuring from
 * the first park, not the latest, is what makes it work: a waiter that loses
 * the race after every wake-up would otherwise restart its clock each time
 * and never become "old" enough.
 */
#include "sync/lock_algorithm.h"
#include "annotate.h"

/* Spin this many pause steps (a few microseconds) before parking, but only
 * while nobody is parked: a lock is often released within the time a system
 * call takes, and once a thread is parked, newcomers should queue behind it
 * rather than burn a core.  The same bound the example lock measured best
 * in bench/ (4 threads on 2 cores); never a yield, which hands the core to
 * a busy thread. */
#define SPIN_LIMIT 100

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
    uint64_t wait_since = 0;
    unsigned spins = 0;
    uint8_t v = parker__load_relaxed_u8(w);

    for (;;) {
        uintptr_t token = 0;
        int r;

        if (!(v & PARKER__MUTEX_LOCKED)) {
            /* Keep PARKED as it is: others may still be queued. */
            if (parker__cas_weak_acquire_u8(w, &v, (uint8_t)(v | PARKER__MUTEX_LOCKED)))
                return PARKER_OK;
            continue;
        }
        if (!(v & PARKER__MUTEX_PARKED) && spins < SPIN_LIMIT) {
            spins++;
            parker__cpu_relax();
            v = parker__load_relaxed_u8(w);
            continue;
        }
        if (!parker__sync_begin_wait(&wait_since, deadline_ns))
            return PARKER_TIMEDOUT; /* before setting PARKED: leave no trace */
        if (!(v & PARKER__MUTEX_PARKED) &&
            !parker__cas_weak_relaxed_u8(w, &v, (uint8_t)(v | PARKER__MUTEX_PARKED)))
            continue;

        r = parker_lot_park_ex(w, mutex_validate, NULL, mutex_timed_out, m, deadline_ns, NULL,
                               wait_since, &token);
        if (r == PARKER_OK && token == PARKER__TOKEN_HANDOFF)
            return PARKER_OK; /* the unlocker kept LOCKED set for us */
        if (r == PARKER_TIMEDOUT)
            return PARKER_TIMEDOUT; /* the hook cleared PARKED if we were last */
        /* Woken to compete (the lock is free for whoever is first), or the
         * byte changed before we slept: try again, spinning afresh. */
        spins = 0;
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

struct unlock_ctx {
    parker_mutex_t *m;
    int force_fair;
};

/* Runs under the queue lock of m, with m still LOCKED (so no thread can take
 * it) and nobody able to queue or leave: the byte can be rewritten from the
 * exact result. */
static uintptr_t unlock_callback(void *arg, const parker_lot_unpark_result_t *r)
{
    const struct unlock_ctx *ctx = (const struct unlock_ctx *)arg;
    uint8_t *w = PARKER__MUTEX_WORD(ctx->m);

    if (r->unparked != 0 && (ctx->force_fair || r->be_fair)) {
        /* Hand-off: LOCKED stays set and the woken thread owns the mutex.
         * The lot makes our writes (the critical section) visible to it. */
        if (!r->have_more_waiters)
            parker__store_relaxed_u8(w, (uint8_t)PARKER__MUTEX_LOCKED);
        return PARKER__TOKEN_HANDOFF;
    }
    /* Release: this store is the unlock. */
    parker__store_release_u8(w, (uint8_t)(r->have_more_waiters ? PARKER__MUTEX_PARKED : 0u));
    return 0;
}

static void unlock_slow(parker_mutex_t *m, uint8_t seen, int force_fair, const char *func)
{
    struct unlock_ctx ctx;
    if (!(seen & PARKER__MUTEX_LOCKED))
        parker__misuse(func, "mutex is not locked");
    ctx.m = m;
    ctx.force_fair = force_fair;
    (void)parker_lot_unpark_one_ex(PARKER__MUTEX_WORD(m), unlock_callback, &ctx);
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
