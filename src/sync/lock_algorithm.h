/*
 * lock_algorithm.h - the mutex protocol, written once, and what the other
 * sync objects share with it.  Private to src/sync/.
 *
 * A mutex is one byte with two bits:
 *   LOCKED  the mutex is held;
 *   PARKED  threads may be queued in the lot under the byte's address, so an
 *           unlock must go through the lot.
 * The invariant that makes it work: PARKED is only ever cleared under the
 * byte's queue lock, by the thread that knows the queue is then empty (the
 * unlock callback from have_more_waiters, the timed-out hook from
 * was_last_waiter), and a thread parks only after a validate, under that
 * same queue lock, has seen LOCKED|PARKED.  So "PARKED clear" implies "no
 * thread is queued", which is what lets unlock's fast path skip the lot.
 * Setting PARKED needs no lock (a stale PARKED bit only costs one slow
 * unlock, which finds nobody and clears it).
 *
 * The condition variable (cond.c) moves its waiters onto a mutex's queue
 * and therefore needs the same bits, the hand-off token and the slow lock.
 */
#ifndef PARKER_SYNC_LOCK_ALGORITHM_H
#define PARKER_SYNC_LOCK_ALGORITHM_H

#include "backend.h" /* parker__misuse, PARKER__HIDDEN */
#include "parker_sync.h"
#include "atomics.h" /* width-generic: parker__<op>_<order>_u8 / _uptr */

#define PARKER__MUTEX_LOCKED 1u
#define PARKER__MUTEX_PARKED 2u

/* The unpark token an unlock gives a waiter it hands the mutex to: the
 * waiter owns the mutex when its park returns (LOCKED was never cleared). */
#define PARKER__TOKEN_HANDOFF ((uintptr_t)1)

#define PARKER__MUTEX_WORD(m) (&(m)->private_state_)

/* Acquire m, parking until deadline_ns (absolute, PARKER_FOREVER: none).
 * Returns PARKER_OK (held) or PARKER_TIMEDOUT (not held). */
PARKER__HIDDEN int parker__mutex_lock_slow(parker_mutex_t *m, uint64_t deadline_ns);

/* Under m's queue lock: if m is locked, make sure PARKED is set (so that its
 * unlock will unpark the waiters about to be moved onto it) and return 1;
 * if it is not locked, return 0.  The check and the set are one CAS, so an
 * unlock cannot slip in between and miss the moved waiters. */
static inline int parker__mutex_mark_parked_if_locked(parker_mutex_t *m)
{
    uint8_t *w = PARKER__MUTEX_WORD(m);
    uint8_t v = parker__load_relaxed_u8(w);
    for (;;) {
        if (!(v & PARKER__MUTEX_LOCKED))
            return 0;
        if (v & PARKER__MUTEX_PARKED)
            return 1;
        if (parker__cas_weak_relaxed_u8(w, &v, (uint8_t)(v | PARKER__MUTEX_PARKED)))
            return 1;
    }
}

/* Under m's queue lock, from a timed-out hook: the last queued waiter left. */
static inline void parker__mutex_clear_parked(parker_mutex_t *m)
{
    (void)parker__fetch_and_relaxed_u8(PARKER__MUTEX_WORD(m), (uint8_t)~PARKER__MUTEX_PARKED);
}

/* An absolute deadline timeout_ns from now; PARKER_FOREVER when it would
 * overflow, so that huge timeouts never expire. */
static inline uint64_t parker__sync_deadline(uint64_t timeout_ns)
{
    uint64_t now;
    if (timeout_ns == PARKER_FOREVER)
        return PARKER_FOREVER;
    now = parker_now_ns();
    return timeout_ns > PARKER_FOREVER - now ? PARKER_FOREVER : now + timeout_ns;
}

/* Abort with "libparker: <func>: NULL <what>" when p is NULL. */
#define PARKER__SYNC_NOT_NULL(func, p, what)   \
    do {                                       \
        if ((p) == NULL)                       \
            parker__misuse((func), "NULL " what); \
    } while (0)

/* Called each time a lock call is about to sleep.  The first time, it
 * stamps *since: the start of this call's wait, which every later re-park
 * passes to the lot as wait_since so that the 1 ms fairness rule counts from
 * here, and the one clock read of the slow path.  Returns 0 if the deadline
 * has already passed then: the caller gives up before it marks anything
 * (no parked bit set by a waiter that never queued). */
static inline int parker__sync_begin_wait(uint64_t *since, uint64_t deadline_ns)
{
    if (*since != 0)
        return 1;
    *since = parker_now_ns();
    return deadline_ns == PARKER_FOREVER || *since < deadline_ns;
}

#endif /* PARKER_SYNC_LOCK_ALGORITHM_H */
