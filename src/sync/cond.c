/*
 * cond.c - the one-pointer condition variable (parker_sync.h).
 *
 * Waiters queue in the lot under the condition variable's address.  The
 * pointer records, while anybody waits, what they wait with: the
 * parker_mutex_t (parker_cond_wait*) or the address of `foreign_lock` below
 * (parker_cond_wait_with, whose lock the library cannot park on).  It is
 * written only under the condition variable's queue lock: set by a waiter's
 * validate before it is queued, cleared by whoever empties the queue (a
 * signal's or broadcast's validate/callback, the last waiter's timed-out
 * hook).  So under that lock, "pointer not NULL" means "somebody is queued",
 * and a signaller that finds NULL outside the lock can return at once: a
 * waiter it must not miss stored the pointer before releasing the mutex the
 * signaller then acquired.
 *
 * Audit for issue 23 (a state change that takes no lock while a waiter has
 * begun its call but is not queued): a signal or broadcast that finds the
 * word 0 returns without the lock.  The promise is not "a signal after the
 * call began" but "a signal by a thread that locked the mutex after this
 * call released it" (parker_sync.h), and a waiter releases the mutex only in
 * before_sleep, after it is queued and has stored the word under the queue
 * lock.  A signal that comes between the start of the call and that unlock
 * is made either by a thread that does not hold the mutex (the header says
 * such signals may be missed) or not at all (the waiter holds the mutex).
 * parker_cond_wait_with calls unlock() at the same point.
 *
 * Wait morphing: signal and broadcast use parker_lot_requeue_ex, whose
 * validate runs under both queue locks (the condition variable's and the
 * mutex's).  If the mutex is locked there, the validate sets the mutex's
 * PARKED bit in the same CAS that sees LOCKED, and the waiters are moved to
 * the mutex's queue: its owner's unlock will take the slow path and unpark
 * them one at a time.  Setting the bit later (in the callback) would not do:
 * the owner could unlock through the fast path in between and the moved
 * waiters would sleep on a free mutex.  If the mutex is free, the oldest
 * waiter is woken to take it and the rest are moved behind it (broadcast),
 * with PARKED set in the callback, after the move: the woken waiter is then
 * certain to lock and unlock the mutex, which passes the wake-up on.
 *
 * Who owns the mutex when a waiter returns: a moved waiter may be handed the
 * mutex by an unlock (token PARKER__TOKEN_HANDOFF) and then owns it; in
 * every other case it takes the mutex itself with the mutex's slow path.
 *
 * No spurious returns: the lot's park returns PARKER_OK only when an unpark
 * chose the waiter, and only signal and broadcast unpark or move waiters of
 * this address.  A waiter that was moved and then times out on the mutex's
 * queue was chosen (the signal counted it), so it reports PARKER_OK.
 */
#include "sync/lock_algorithm.h"
#include "annotate.h"

/* What waiters of parker_cond_wait_with record: their lock is not a
 * parker_mutex_t, so they are never moved.  Only its address is used. */
static const char foreign_lock = 0;
#define FOREIGN ((uintptr_t)&foreign_lock)

#define COND_WORD(c) (&(c)->private_lock_)

struct waiter_ctx {
    parker_cond_t *c;
    uintptr_t lock;        /* the parker_mutex_t's address, or FOREIGN */
    const char *func;
    void (*unlock)(void *);
    void *lock_arg;
    int moved;             /* timed out from the mutex's queue */
};

/* Under c's queue lock, just before the caller is queued. */
static int wait_validate(void *arg)
{
    struct waiter_ctx *w = (struct waiter_ctx *)arg;
    uintptr_t cur = parker__load_relaxed_uptr(COND_WORD(w->c));
    if (cur == 0)
        parker__store_relaxed_uptr(COND_WORD(w->c), w->lock);
    else if (cur != w->lock) {
        if (cur == FOREIGN || w->lock == FOREIGN)
            parker__misuse(w->func, "condition variable used with parker_cond_wait and "
                                    "parker_cond_wait_with at once");
        parker__misuse(w->func, "condition variable used with two different mutexes at once");
    }
    return 1;
}

/* After the caller is queued and the queue lock released: from here on a
 * signal can find it, so the lock may go. */
static void wait_before_sleep(void *arg)
{
    struct waiter_ctx *w = (struct waiter_ctx *)arg;
    if (w->lock == FOREIGN)
        w->unlock(w->lock_arg);
    else
        parker_mutex_unlock((parker_mutex_t *)w->lock);
}

/* Under the queue lock of the address the waiter left by timeout. */
static void wait_timed_out(void *arg, const void *address, int was_last_waiter)
{
    struct waiter_ctx *w = (struct waiter_ctx *)arg;
    if (address == (const void *)w->c) {
        if (was_last_waiter)
            parker__store_relaxed_uptr(COND_WORD(w->c), 0);
    } else {
        /* Moved to the mutex by a signal: chosen, and now leaving the
         * mutex's queue, whose PARKED bit is ours to clear if we were last. */
        w->moved = 1;
        if (was_last_waiter)
            parker__mutex_clear_parked((parker_mutex_t *)w->lock);
    }
}

static int cond_wait_mutex(parker_cond_t *c, parker_mutex_t *m, uint64_t deadline_ns,
                           const char *func)
{
    struct waiter_ctx w;
    uintptr_t token = 0;
    int r;

    PARKER__SYNC_NOT_NULL(func, c, "condition variable");
    PARKER__SYNC_NOT_NULL(func, m, "mutex");
    if (!(parker__load_relaxed_u8(PARKER__MUTEX_WORD(m)) & PARKER__MUTEX_LOCKED))
        parker__misuse(func, "mutex is not locked");
    w.c = c;
    w.lock = (uintptr_t)m;
    w.func = func;
    w.unlock = NULL;
    w.lock_arg = NULL;
    w.moved = 0;
    r = parker_lot_park_ex(COND_WORD(c), wait_validate, wait_before_sleep, wait_timed_out, &w,
                           deadline_ns, NULL, 0, &token);
    /* The wait released m through parker_mutex_unlock, which announced it;
     * taking it back is announced here. */
    parker__ann_lock_pre(m, 0);
    if (r != PARKER_OK || token != PARKER__TOKEN_HANDOFF) /* else an unlock handed m to us */
        (void)parker__mutex_lock_slow(m, PARKER_FOREVER);
    parker__ann_lock_post(m, 0, 1);
    return r == PARKER_OK || w.moved ? PARKER_OK : PARKER_TIMEDOUT;
}

void parker_cond_wait(parker_cond_t *c, parker_mutex_t *m)
{
    (void)cond_wait_mutex(c, m, PARKER_FOREVER, "parker_cond_wait");
}

int parker_cond_wait_until(parker_cond_t *c, parker_mutex_t *m, uint64_t deadline_ns)
{
    return cond_wait_mutex(c, m, deadline_ns, "parker_cond_wait_until");
}

int parker_cond_wait_timeout(parker_cond_t *c, parker_mutex_t *m, uint64_t timeout_ns)
{
    return cond_wait_mutex(c, m, timeout_ns == 0 ? 0 : parker__sync_deadline(timeout_ns),
                           "parker_cond_wait_timeout");
}

int parker_cond_wait_with(parker_cond_t *c, void (*unlock)(void *), void (*lock)(void *),
                          void *lock_arg, uint64_t deadline_ns)
{
    static const char func[] = "parker_cond_wait_with";
    struct waiter_ctx w;
    int r;

    PARKER__SYNC_NOT_NULL(func, c, "condition variable");
    PARKER__SYNC_NOT_NULL(func, unlock, "unlock function");
    PARKER__SYNC_NOT_NULL(func, lock, "lock function");
    w.c = c;
    w.lock = FOREIGN;
    w.func = func;
    w.unlock = unlock;
    w.lock_arg = lock_arg;
    w.moved = 0;
    r = parker_lot_park_ex(COND_WORD(c), wait_validate, wait_before_sleep, wait_timed_out, &w,
                           deadline_ns, NULL, 0, NULL);
    lock(lock_arg);
    return r == PARKER_OK ? PARKER_OK : PARKER_TIMEDOUT;
}

/* ------------------------------------------------------------ signalling */

struct notify_ctx {
    parker_cond_t *c;
    parker_mutex_t *m;
    int op;      /* what validate chose */
    int changed; /* validate found another lock recorded: retry */
};

/* Under c's queue lock (unpark_one_ex / unpark_filter of FOREIGN waiters,
 * and after a signal's requeue): the pointer goes when the queue is empty. */
static uintptr_t clear_if_empty(void *arg, const parker_lot_unpark_result_t *r)
{
    parker_cond_t *c = (parker_cond_t *)arg;
    if (!r->have_more_waiters)
        parker__store_relaxed_uptr(COND_WORD(c), 0);
    return 0;
}

/* Under both queue locks.  A different pointer than the caller read means
 * the waiters it saw all left and others came with another lock. */
static int signal_validate(void *arg)
{
    struct notify_ctx *n = (struct notify_ctx *)arg;
    if (parker__load_relaxed_uptr(COND_WORD(n->c)) != (uintptr_t)n->m) {
        n->changed = 1;
        return PARKER_LOT_REQUEUE_ABORT;
    }
    return parker__mutex_mark_parked_if_locked(n->m) ? PARKER_LOT_REQUEUE_ONE
                                                     : PARKER_LOT_REQUEUE_UNPARK_ONE;
}

static uintptr_t signal_callback(void *arg, const parker_lot_unpark_result_t *r)
{
    return clear_if_empty(((struct notify_ctx *)arg)->c, r);
}

static int take_every_waiter(void *arg, void *park_arg)
{
    (void)arg;
    (void)park_arg;
    return PARKER_LOT_FILTER_UNPARK;
}

/*
 * The notify loop that signal (all = 0) and broadcast (all = 1) share.  A
 * condition variable used through parker_cond_wait_with (FOREIGN) has no
 * mutex to requeue onto: its waiters are woken.  One used with a mutex
 * requeues onto that mutex, as validate decides under both queue locks;
 * validate sets `changed` when the recorded mutex is no longer the one
 * loaded here (the last waiter left and another mutex came), and the loop
 * starts over with the new one.  Returns how many were woken or moved.
 */
static size_t notify(parker_cond_t *c, int all, parker_lot_requeue_validate_fn validate,
                     parker_lot_unpark_token_fn callback)
{
    for (;;) {
        uintptr_t lock = parker__load_relaxed_uptr(COND_WORD(c));
        struct notify_ctx n;
        size_t woken, moved = 0;

        if (lock == 0)
            return 0;
        if (lock == FOREIGN)
            return all ? parker_lot_unpark_filter(COND_WORD(c), take_every_waiter,
                                                  clear_if_empty, c)
                       : (size_t)parker_lot_unpark_one_ex(COND_WORD(c), clear_if_empty, c);
        n.c = c;
        n.m = (parker_mutex_t *)lock;
        n.op = 0;
        n.changed = 0;
        woken = parker_lot_requeue_ex(COND_WORD(c), PARKER__MUTEX_WORD(n.m), validate, callback,
                                      &n, &moved);
        if (!n.changed)
            return woken + moved;
    }
}

int parker_cond_signal(parker_cond_t *c)
{
    PARKER__SYNC_NOT_NULL("parker_cond_signal", c, "condition variable");
    return notify(c, 0, signal_validate, signal_callback) != 0;
}

static int broadcast_validate(void *arg)
{
    struct notify_ctx *n = (struct notify_ctx *)arg;
    if (parker__load_relaxed_uptr(COND_WORD(n->c)) != (uintptr_t)n->m) {
        n->changed = 1;
        return PARKER_LOT_REQUEUE_ABORT;
    }
    /* Every waiter leaves c's queue in this call. */
    parker__store_relaxed_uptr(COND_WORD(n->c), 0);
    n->op = parker__mutex_mark_parked_if_locked(n->m)
                ? PARKER_LOT_REQUEUE_ALL
                : PARKER_LOT_REQUEUE_UNPARK_ONE_REQUEUE_REST;
    return n->op;
}

static uintptr_t broadcast_callback(void *arg, const parker_lot_unpark_result_t *r)
{
    struct notify_ctx *n = (struct notify_ctx *)arg;
    /* The mutex was free: the woken waiter will lock and unlock it, and that
     * unlock must see PARKED to wake the ones moved behind it. */
    if (n->op == PARKER_LOT_REQUEUE_UNPARK_ONE_REQUEUE_REST && r->requeued != 0)
        (void)parker__fetch_or_relaxed_u8(PARKER__MUTEX_WORD(n->m), (uint8_t)PARKER__MUTEX_PARKED);
    return 0;
}

size_t parker_cond_broadcast(parker_cond_t *c)
{
    PARKER__SYNC_NOT_NULL("parker_cond_broadcast", c, "condition variable");
    return notify(c, 1, broadcast_validate, broadcast_callback);
}
