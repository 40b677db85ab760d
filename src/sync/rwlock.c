/*
 * rwlock.c - the reader-writer lock: one word, waiters in the parking lot.
 *
 * The word (parker_rwlock_t.v):
 *
 *   bits 3..   number of read locks held (ONE_READER each)
 *   WRITER     a writer holds the lock (reader count 0), or has reserved it
 *              and waits for the readers to leave (reader count > 0)
 *   WRITER_PARKED  that reserving writer sleeps on key2 (the address + 1)
 *   PARKED     threads (readers or writers) sleep on key1 (the address)
 *
 * A writer takes the lock in two phases.  Phase 1 sets WRITER while WRITER
 * is clear (readers may hold the lock then): from that moment new readers
 * wait, which is what keeps a stream of overlapping readers from starving
 * it.  Phase 2 waits for the reader count to drain to zero; the reader that
 * drops it to zero wakes the writer if WRITER_PARKED is set.  Only one
 * writer can be in phase 2 (it holds WRITER), so key2 has at most one
 * waiter.
 *
 * Everyone else waits on key1: readers while WRITER is set, writers while
 * another writer has WRITER.  Whoever clears WRITER while PARKED is set owes
 * those threads a wake-up (wrunlock, downgrade, a writer giving up in phase
 * 2).  They wake, oldest first, the readers up to and including the first
 * writer (parker_lot_unpark_filter), so a stream of writers cannot lock
 * queued readers out.  A woken writer always retries before it looks at its
 * deadline, so the rest of the queue, which now depends on it, cannot be
 * forgotten (the parking_lot #465 class of lock-up: waiters asleep behind a
 * state that nobody will clear).
 *
 * Fairness.  Normally the woken threads retry and newcomers may barge (fast
 * when a thread re-locks right away).  When the first woken thread has
 * waited PARKER_LOT_FAIR_NS (be_fair, per waiter: a thread that re-parks
 * passes the time of its first park), wrunlock hands the lock over instead:
 * it sets the readers' count and the writer's WRITER bit itself, under the
 * queue lock, and the token tells the woken threads they own it.
 *
 * The parked bits are set only by the validate callbacks, under the queue
 * lock of their key, and cleared only under it (unpark callbacks, the
 * timed_out hook of the last waiter): a bit and the queue it describes
 * change together, so a sleeper is never left without its bit.  A stale bit
 * with an empty queue costs one slow unlock, never a lost wake-up.
 *
 * Audit for issue 23 (a state change that takes no lock while a thread has
 * begun its call but is not queued): wrunlock and downgrade with PARKED
 * clear, rdunlock that does not empty a draining writer's readers, and
 * both fast paths change the word with a CAS and no lock.  None can be
 * missed: the lock makes no "has been free at some moment" promise, only
 * that a holder's release lets the next thread in, and a thread on its way
 * to park re-reads the word in its validate under key1's (or key2's) queue
 * lock and does not sleep while it could take the lock (or, for a draining
 * writer, while the readers are gone).  If another thread took the lock in
 * between (a writer reserving WRITER after a downgrade, say), the thread on
 * its way is a newcomer, as the policy treats every thread not yet queued:
 * downgrade gives read locks to the *queued* readers only, and whoever gets
 * the lock first is then owed the wake-up through PARKED as usual.
 *
 * The protocol (both phases, the wakes, the hooks, abandon) is model-checked
 * in verify/rwlock.pml, with mutants for the bugs named above.
 *
 * Memory ordering: every acquisition is an acquire CAS or load of the word,
 * every release a release RMW or store of it, so the usual lock ordering
 * holds between the holders.  A hand-off publishes through the lot (the
 * waker's writes are visible to the woken thread when its park returns).
 */
#include "parker_sync.h"

#include "sync/lock_algorithm.h"
#include "annotate.h"
#include "atomics.h"

#define PARKED        ((uintptr_t)1)
#define WRITER_PARKED ((uintptr_t)2)
#define WRITER        ((uintptr_t)4)
#define READER_SHIFT  3
#define ONE_READER    ((uintptr_t)1 << READER_SHIFT)
#define READERS_MASK  (~(uintptr_t)(ONE_READER - 1))
#define MAX_READERS   (UINTPTR_MAX >> READER_SHIFT)

#define readers_of(s) ((s) >> READER_SHIFT)

/* Tokens from the waker (parker_lot_park_ex's unpark_token). */
#define TOKEN_RETRY       0 /* plain wake: try again */
#define TOKEN_HANDOFF     1 /* reader: you hold a read lock; writer: you hold WRITER */
#define TOKEN_READ_HANDOFF 2 /* downgrade: readers hold a read lock, a writer retries */

/* A short bounded spin before parking while nobody sleeps yet: the lock is
 * often released within the time a park would take. */
#define SPIN_LIMIT 64u

struct rw_waiter {
    int writer;
};

static const void *key1(parker_rwlock_t *l) { return l; }
static const void *key2(parker_rwlock_t *l) { return (const char *)l + 1; }

static int can_read(uintptr_t s, int recursive)
{
    return (s & WRITER) == 0 || (recursive && readers_of(s) != 0);
}

/* ------------------------------------------------------------ waking key1 */

enum wake_mode { WAKE_UNLOCK, WAKE_DOWNGRADE, WAKE_ABANDON };

struct wake_ctx {
    parker_rwlock_t *l;
    enum wake_mode mode;
    uintptr_t readers;
    int writer;
};

/* Oldest first: readers, up to and including the first writer. */
static int wake_filter(void *arg, void *park_arg)
{
    struct wake_ctx *c = arg;
    const struct rw_waiter *w = park_arg;
    if (c->writer)
        return PARKER_LOT_FILTER_STOP;
    if (w->writer)
        c->writer = 1;
    else
        c->readers++;
    return PARKER_LOT_FILTER_UNPARK;
}

/* Runs under key1's queue lock, after the filter, before anyone woken runs.
 * If waiters remain, the filter took a writer (it only stops after one), so
 * the remaining ones now depend on that writer and PARKED stays set. */
static uintptr_t wake_callback(void *arg, const parker_lot_unpark_result_t *r)
{
    struct wake_ctx *c = arg;
    parker_rwlock_t *l = c->l;
    uintptr_t more = r->have_more_waiters ? PARKED : 0;
    uintptr_t s;

    switch (c->mode) {
    case WAKE_UNLOCK:
        /* The unlocking writer still holds WRITER, so nobody else can change
         * the word now: readers and writers need WRITER clear, the parked
         * bits of key1 change only under this queue lock, and there is no
         * phase-2 writer.  (A late rdunlock callback may clear
         * WRITER_PARKED concurrently; it is clear here anyway.)  A plain
         * store is the release of the write lock. */
        if (r->unparked != 0 && r->be_fair) {
            parker__store_release_uptr(&l->v,
                                       c->readers * ONE_READER | (c->writer ? WRITER : 0) | more);
            return TOKEN_HANDOFF;
        }
        parker__store_release_uptr(&l->v, more);
        return TOKEN_RETRY;
    case WAKE_DOWNGRADE:
        /* The downgrading thread holds a read lock throughout, so no writer
         * can own the lock: adding read locks for the woken readers is as
         * safe as a recursive read, even if a writer has just set WRITER. */
        s = parker__load_relaxed_uptr(&l->v);
        for (;;) {
            uintptr_t n = s + c->readers * ONE_READER;
            if (!more)
                n &= ~PARKED;
            if (parker__cas_weak_relaxed_uptr(&l->v, &s, n))
                break;
        }
        return TOKEN_READ_HANDOFF;
    case WAKE_ABANDON:
    default:
        if (!more)
            parker__fetch_and_relaxed_uptr(&l->v, ~PARKED);
        return TOKEN_RETRY;
    }
}

static void wake_waiters(parker_rwlock_t *l, enum wake_mode mode)
{
    struct wake_ctx c;
    c.l = l;
    c.mode = mode;
    c.readers = 0;
    c.writer = 0;
    parker_lot_unpark_filter(key1(l), wake_filter, wake_callback, &c);
}

/* ---------------------------------------------------- park callbacks */

struct park_ctx {
    parker_rwlock_t *l;
    int recursive; /* reader: may join other readers past a reserving writer */
};

/* Under key1's queue lock: sleep only if still blocked, and publish PARKED
 * first so that whoever unblocks us sees it and comes to this queue. */
static int validate_reader(void *arg)
{
    struct park_ctx *c = arg;
    uintptr_t s = parker__load_relaxed_uptr(&c->l->v);
    for (;;) {
        if (can_read(s, c->recursive))
            return 0;
        if (s & PARKED)
            return 1;
        if (parker__cas_weak_relaxed_uptr(&c->l->v, &s, s | PARKED))
            return 1;
    }
}

static int validate_writer(void *arg)
{
    struct park_ctx *c = arg;
    uintptr_t s = parker__load_relaxed_uptr(&c->l->v);
    for (;;) {
        if ((s & WRITER) == 0)
            return 0;
        if (s & PARKED)
            return 1;
        if (parker__cas_weak_relaxed_uptr(&c->l->v, &s, s | PARKED))
            return 1;
    }
}

/* Under key1's queue lock: the last waiter to time out clears PARKED, so no
 * stale bit survives a burst of timeouts. */
static void timed_out_key1(void *arg, const void *address, int was_last_waiter)
{
    struct park_ctx *c = arg;
    (void)address;
    if (was_last_waiter)
        parker__fetch_and_relaxed_uptr(&c->l->v, ~PARKED);
}

/* Under key2's queue lock (phase 2): sleep while readers remain, with
 * WRITER_PARKED set so that the last reader wakes us.  The CAS makes setting
 * the bit atomic with the reader count: either it sees readers and the
 * last one will see the bit (and then wait for this queue lock, so finds us
 * queued), or it sees none and we do not sleep. */
static int validate_drain(void *arg)
{
    parker_rwlock_t *l = arg;
    uintptr_t s = parker__load_relaxed_uptr(&l->v);
    for (;;) {
        if (readers_of(s) == 0)
            return 0;
        if (s & WRITER_PARKED)
            return 1;
        if (parker__cas_weak_relaxed_uptr(&l->v, &s, s | WRITER_PARKED))
            return 1;
    }
}

static void timed_out_key2(void *arg, const void *address, int was_last_waiter)
{
    parker_rwlock_t *l = arg;
    (void)address;
    (void)was_last_waiter; /* key2 has at most one waiter */
    parker__fetch_and_relaxed_uptr(&l->v, ~WRITER_PARKED);
}

/* rdunlock's wake of the phase-2 writer: clear the bit under key2's lock, so
 * that clearing it and waking whoever sleeps there are one step (a writer
 * that set the bit again and is queued is woken, and merely re-checks). */
static uintptr_t clear_writer_parked(void *arg, const parker_lot_unpark_result_t *r)
{
    parker_rwlock_t *l = arg;
    (void)r;
    parker__fetch_and_relaxed_uptr(&l->v, ~WRITER_PARKED);
    return TOKEN_RETRY;
}

/* ------------------------------------------------------------ readers */

/* What rdlock_slow and wrlock_slow do when the word s did not let them in:
 * spin while nobody is parked (bounded), else park on key1 until a wake.
 * Returns WAIT_AGAIN to look at the word again, PARKER_TIMEDOUT, or
 * PARKER_OK after a wake, with the waker's token in *token (TOKEN_RETRY
 * when the wake handed nothing over). */
#define WAIT_AGAIN (-1)

static int spin_or_park(parker_rwlock_t *l, uintptr_t s, parker_lot_validate_fn validate,
                        struct park_ctx *ctx, struct rw_waiter *me, unsigned *spins,
                        uint64_t *since, uint64_t deadline_ns, uintptr_t *token)
{
    int r;
    if ((s & PARKED) == 0 && *spins < SPIN_LIMIT) {
        ++*spins;
        parker__cpu_relax();
        return WAIT_AGAIN;
    }
    if (!parker__sync_begin_wait(since, deadline_ns))
        return PARKER_TIMEDOUT;
    *token = TOKEN_RETRY;
    r = parker_lot_park_ex(key1(l), validate, NULL, timed_out_key1, ctx, deadline_ns, me, *since,
                           token);
    if (r == PARKER_TIMEDOUT)
        return PARKER_TIMEDOUT;
    *spins = 0;
    return r == PARKER_OK ? PARKER_OK : WAIT_AGAIN; /* AGAIN: validate said look again */
}

static int rdlock_slow(parker_rwlock_t *l, uint64_t deadline_ns, int recursive, const char *func)
{
    struct rw_waiter me;
    struct park_ctx ctx;
    uint64_t since = 0;
    unsigned spins = 0;
    uintptr_t token;
    int r;

    me.writer = 0;
    ctx.l = l;
    ctx.recursive = recursive;
    for (;;) {
        uintptr_t s = parker__load_relaxed_uptr(&l->v);
        if (can_read(s, recursive)) {
            if (readers_of(s) == MAX_READERS)
                parker__misuse(func, "too many readers");
            /* Acquire: pairs with the release of the last writer. */
            if (parker__cas_weak_acquire_uptr(&l->v, &s, s + ONE_READER))
                return PARKER_OK;
            continue;
        }
        r = spin_or_park(l, s, validate_reader, &ctx, &me, &spins, &since, deadline_ns, &token);
        if (r == PARKER_TIMEDOUT)
            return PARKER_TIMEDOUT;
        if (r == PARKER_OK && token != TOKEN_RETRY)
            return PARKER_OK; /* handed a read lock */
    }
}

static int rdlock_fast(parker_rwlock_t *l)
{
    uintptr_t s = parker__load_relaxed_uptr(&l->v);
    return (s & WRITER) == 0 && readers_of(s) != MAX_READERS &&
           parker__cas_weak_acquire_uptr(&l->v, &s, s + ONE_READER);
}

void parker_rwlock_rdlock(parker_rwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_rwlock_rdlock", l, "rwlock");
    parker__ann_lock_pre(l, PARKER__ANN_READ);
    if (!rdlock_fast(l))
        (void)rdlock_slow(l, PARKER_FOREVER, 0, "parker_rwlock_rdlock");
    parker__ann_lock_post(l, PARKER__ANN_READ, 1);
}

void parker_rwlock_rdlock_recursive(parker_rwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_rwlock_rdlock_recursive", l, "rwlock");
    parker__ann_lock_pre(l, PARKER__ANN_READ);
    if (!rdlock_fast(l))
        (void)rdlock_slow(l, PARKER_FOREVER, 1, "parker_rwlock_rdlock_recursive");
    parker__ann_lock_post(l, PARKER__ANN_READ, 1);
}

int parker_rwlock_rdlock_until(parker_rwlock_t *l, uint64_t deadline_ns)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_rwlock_rdlock_until", l, "rwlock");
    parker__ann_lock_pre(l, PARKER__ANN_READ | PARKER__ANN_TRY);
    r = rdlock_fast(l) ? PARKER_OK : rdlock_slow(l, deadline_ns, 0, "parker_rwlock_rdlock_until");
    parker__ann_lock_post(l, PARKER__ANN_READ | PARKER__ANN_TRY, r == PARKER_OK);
    return r;
}

int parker_rwlock_rdlock_timeout(parker_rwlock_t *l, uint64_t timeout_ns)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_rwlock_rdlock_timeout", l, "rwlock");
    parker__ann_lock_pre(l, PARKER__ANN_READ | PARKER__ANN_TRY);
    r = rdlock_fast(l) ? PARKER_OK : rdlock_slow(l, parker__sync_deadline(timeout_ns), 0, "parker_rwlock_rdlock_timeout");
    parker__ann_lock_post(l, PARKER__ANN_READ | PARKER__ANN_TRY, r == PARKER_OK);
    return r;
}

static int try_rdlock(parker_rwlock_t *l)
{
    uintptr_t s = parker__load_relaxed_uptr(&l->v);
    for (;;) {
        if (s & WRITER)
            return PARKER_AGAIN;
        if (readers_of(s) == MAX_READERS)
            parker__misuse("parker_rwlock_tryrdlock", "too many readers");
        if (parker__cas_weak_acquire_uptr(&l->v, &s, s + ONE_READER))
            return PARKER_OK;
    }
}

int parker_rwlock_tryrdlock(parker_rwlock_t *l)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_rwlock_tryrdlock", l, "rwlock");
    parker__ann_lock_pre(l, PARKER__ANN_READ | PARKER__ANN_TRY | PARKER__ANN_NOWAIT);
    r = try_rdlock(l);
    parker__ann_lock_post(l, PARKER__ANN_READ | PARKER__ANN_TRY | PARKER__ANN_NOWAIT,
                          r == PARKER_OK);
    return r;
}

void parker_rwlock_rdunlock(parker_rwlock_t *l)
{
    uintptr_t old;
    PARKER__SYNC_NOT_NULL("parker_rwlock_rdunlock", l, "rwlock");
    parker__ann_unlock_pre(l, PARKER__ANN_READ, readers_of(parker__load_relaxed_uptr(&l->v)) != 0,
                           "parker_rwlock_rdunlock", "no read lock is held");
    /* Release: the writer that sees the count reach zero (acquire load in
     * phase 2, or through the lot's wake) sees this reader's accesses. */
    old = parker__fetch_sub_release_uptr(&l->v, ONE_READER);
    if (readers_of(old) == 0)
        parker__misuse("parker_rwlock_rdunlock", "no read lock is held");
    if ((old & (READERS_MASK | WRITER_PARKED)) == (ONE_READER | WRITER_PARKED))
        parker_lot_unpark_one_ex(key2(l), clear_writer_parked, l);
    parker__ann_unlock_post(l, PARKER__ANN_READ);
}

/* ------------------------------------------------------------ writers */

/* Give up a reservation (phase 2 timed out): clear WRITER and let in the
 * threads it was holding back. */
static void abandon_writer(parker_rwlock_t *l)
{
    uintptr_t old = parker__fetch_and_relaxed_uptr(&l->v, ~(WRITER | WRITER_PARKED));
    if (old & PARKED)
        wake_waiters(l, WAKE_ABANDON);
}

/* Phase 2: we hold WRITER; wait for the readers to leave. */
static int wait_for_readers(parker_rwlock_t *l, uint64_t deadline_ns)
{
    unsigned spins = 0;
    for (;;) {
        /* Acquire: pairs with the readers' release decrements. */
        uintptr_t s = parker__load_acquire_uptr(&l->v);
        int r;
        if (readers_of(s) == 0)
            return PARKER_OK;
        if (spins < SPIN_LIMIT) {
            spins++;
            parker__cpu_relax();
            continue;
        }
        r = parker_lot_park_ex(key2(l), validate_drain, NULL, timed_out_key2, l, deadline_ns, NULL,
                               0, NULL);
        if (r == PARKER_TIMEDOUT) {
            if (readers_of(parker__load_acquire_uptr(&l->v)) == 0)
                return PARKER_OK; /* they left just in time: keep it */
            abandon_writer(l);
            return PARKER_TIMEDOUT;
        }
    }
}

static int wrlock_slow(parker_rwlock_t *l, uint64_t deadline_ns)
{
    struct rw_waiter me;
    struct park_ctx ctx;
    uint64_t since = 0;
    unsigned spins = 0;
    uintptr_t token;
    int r;

    me.writer = 1;
    ctx.l = l;
    ctx.recursive = 0;
    for (;;) { /* phase 1: reserve WRITER */
        uintptr_t s = parker__load_relaxed_uptr(&l->v);
        if ((s & WRITER) == 0) {
            /* Acquire: if no readers remain we own the lock now. */
            if (parker__cas_weak_acquire_uptr(&l->v, &s, s | WRITER))
                break;
            continue;
        }
        r = spin_or_park(l, s, validate_writer, &ctx, &me, &spins, &since, deadline_ns, &token);
        if (r == PARKER_TIMEDOUT)
            return PARKER_TIMEDOUT;
        if (r == PARKER_OK && token == TOKEN_HANDOFF)
            break; /* WRITER was set for us */
    }
    return wait_for_readers(l, deadline_ns);
}

static int wrlock_fast(parker_rwlock_t *l)
{
    uintptr_t s = 0;
    return parker__cas_weak_acquire_uptr(&l->v, &s, WRITER);
}

void parker_rwlock_wrlock(parker_rwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_rwlock_wrlock", l, "rwlock");
    parker__ann_lock_pre(l, 0);
    if (!wrlock_fast(l))
        (void)wrlock_slow(l, PARKER_FOREVER);
    parker__ann_lock_post(l, 0, 1);
}

int parker_rwlock_wrlock_until(parker_rwlock_t *l, uint64_t deadline_ns)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_rwlock_wrlock_until", l, "rwlock");
    parker__ann_lock_pre(l, PARKER__ANN_TRY);
    r = wrlock_fast(l) ? PARKER_OK : wrlock_slow(l, deadline_ns);
    parker__ann_lock_post(l, PARKER__ANN_TRY, r == PARKER_OK);
    return r;
}

int parker_rwlock_wrlock_timeout(parker_rwlock_t *l, uint64_t timeout_ns)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_rwlock_wrlock_timeout", l, "rwlock");
    parker__ann_lock_pre(l, PARKER__ANN_TRY);
    r = wrlock_fast(l) ? PARKER_OK : wrlock_slow(l, parker__sync_deadline(timeout_ns));
    parker__ann_lock_post(l, PARKER__ANN_TRY, r == PARKER_OK);
    return r;
}

static int try_wrlock(parker_rwlock_t *l)
{
    uintptr_t s = parker__load_relaxed_uptr(&l->v);
    for (;;) {
        if (s & (WRITER | READERS_MASK))
            return PARKER_AGAIN;
        if (parker__cas_weak_acquire_uptr(&l->v, &s, s | WRITER))
            return PARKER_OK;
    }
}

int parker_rwlock_trywrlock(parker_rwlock_t *l)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_rwlock_trywrlock", l, "rwlock");
    parker__ann_lock_pre(l, PARKER__ANN_TRY | PARKER__ANN_NOWAIT);
    r = try_wrlock(l);
    parker__ann_lock_post(l, PARKER__ANN_TRY | PARKER__ANN_NOWAIT, r == PARKER_OK);
    return r;
}

static uintptr_t check_write_locked(parker_rwlock_t *l, const char *func)
{
    uintptr_t s;
    PARKER__SYNC_NOT_NULL(func, l, "rwlock");
    s = parker__load_relaxed_uptr(&l->v);
    if ((s & WRITER) == 0 || readers_of(s) != 0)
        parker__misuse(func, "the lock is not write-locked");
    return s;
}

void parker_rwlock_wrunlock(parker_rwlock_t *l)
{
    uintptr_t s = check_write_locked(l, "parker_rwlock_wrunlock");
    parker__ann_unlock_pre(l, 0, 1, NULL, NULL); /* checked above */
    for (;;) {
        if (s & PARKED) {
            wake_waiters(l, WAKE_UNLOCK);
            break;
        }
        /* Release: pairs with the next holder's acquire. */
        if (parker__cas_weak_release_uptr(&l->v, &s, s & ~WRITER))
            break;
    }
    parker__ann_unlock_post(l, 0);
}

void parker_rwlock_downgrade(parker_rwlock_t *l)
{
    uintptr_t s = check_write_locked(l, "parker_rwlock_downgrade");
    /* Announced as an unlock and a read lock that cannot block. */
    parker__ann_unlock_pre(l, 0, 1, NULL, NULL); /* checked above */
    while (!parker__cas_weak_release_uptr(&l->v, &s, (s & ~WRITER) + ONE_READER)) {
    }
    if (s & PARKED)
        wake_waiters(l, WAKE_DOWNGRADE);
    parker__ann_unlock_post(l, 0);
    parker__ann_lock_pre(l, PARKER__ANN_READ | PARKER__ANN_TRY | PARKER__ANN_NOWAIT);
    parker__ann_lock_post(l, PARKER__ANN_READ | PARKER__ANN_TRY | PARKER__ANN_NOWAIT, 1);
}
