/*
 * parker_sync.h - small locks built on the parking lot: a one-byte mutex, a
 * one-pointer condition variable, a one-byte once flag and a one-byte event.
 *
 * What Rust's parking_lot (Mutex, Condvar, Once), WebKit WTF (Lock,
 * Condition) and CPython (PyMutex, the once flag, PyEvent) ship on their
 * lots, for C.  The objects keep only a few bits; every queue of waiting
 * threads lives in the parking lot (parker_lot.h), keyed by the object's
 * address.  They are built on the public lot API only, so they behave the
 * same on every backend (futex, pthread, WaitOnAddress, NT keyed events).
 *
 * Common rules (every object in this header):
 *   - All-zero is the initial state: static storage, memset or the
 *     PARKER_*_INIT initialisers.  There is no init and no destroy call; an
 *     object needs nothing released and may be freed or reused as soon as no
 *     thread uses it.  Nothing here allocates memory.
 *   - Objects may be embedded anywhere (structures, arrays, shared headers),
 *     need no alignment beyond their type's and must not be copied or moved
 *     while any thread uses them (the address is the key of their queue).
 *     Not shared between processes.
 *   - Results are the pinned values of parker.h and parker_lot.h:
 *     PARKER_OK, PARKER_TIMEDOUT (a deadline passed; never returned before
 *     parker_now_ns() has reached the deadline) and PARKER_AGAIN (a try
 *     failed).  Relative timeouts are nanoseconds on parker_now_ns()'s
 *     clock, deadlines are absolute values of parker_now_ns(); PARKER_FOREVER
 *     means no limit, and a timeout so large that now + timeout overflows
 *     never expires either.
 *   - Misuse that cannot be returned (unlocking a mutex that is not locked,
 *     one condition variable used with two mutexes at once, NULL objects)
 *     prints "libparker: <function>: <problem>" to stderr and aborts, in
 *     every build.  Only cheap checks are made: unlocking a mutex another
 *     thread holds is undefined, not detected.
 *   - Blocking calls are not async-signal-safe (they take queue locks of the
 *     lot).  Callbacks given to these calls (parker_once's init, the lock
 *     functions of parker_cond_wait_with) run in the calling thread, outside
 *     every lot lock, and may block; they must not unwind (longjmp, C++
 *     exceptions) through the library.
 *   - fork: a child process may use every object that was unlocked (not
 *     held, no once running) in the parent when it forked; the lot forgets
 *     the parent's dead waiters by itself (parker_lot_after_fork).  An object
 *     held by another parent thread at the fork stays held forever in the
 *     child, as with pthread_mutex_t.
 *   - Memory ordering: as pthread's.  Unlocking a mutex happens-before the
 *     next lock of it; a once's successful init happens-before every
 *     parker_once that returns 0; parker_event_set happens-before every wait
 *     that returns PARKER_OK.
 *
 * Calls made from C++ work as from C (extern "C", no C-only constructs).
 */
#ifndef PARKER_SYNC_H
#define PARKER_SYNC_H

#include "parker.h"
#include "parker_lot.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ========================================================================
 * Mutex
 *
 * One byte: bit 0 "locked", bit 1 "threads may be parked on it".  Not
 * recursive; not owner-checked beyond "is it locked at all".
 *
 * Policy:
 *   - Barging with eventual fairness.  An unlock does not hand the lock to a
 *     waiter; it wakes the longest waiter and lets it compete with threads
 *     that are running (the fast choice: a running thread that takes the lock
 *     at once saves a context switch).  But a waiter that has been waiting
 *     for about 1 ms (PARKER_LOT_FAIR_NS) or more, counted from its first
 *     park in this lock call, is handed the lock directly at the next unlock
 *     (the lock stays locked and the woken thread owns it on return), so a
 *     thread that loops on lock/unlock cannot starve the others.  The rule
 *     is per waiter (CPython's), not a per-bucket timer (parking_lot,
 *     WebKit): it bounds every waiter's wait, not just the average.
 *   - parker_mutex_unlock_fair always hands the lock to the longest waiter
 *     if there is one.
 *   - Spinning: a locker spins for a bounded few microseconds before it
 *     parks, and only while no thread is parked.
 *   - Timeouts: a timed lock that gives up leaves the mutex as if it had
 *     never asked: when the last parked waiter leaves by timeout it clears
 *     the "parked" bit, and a timeout can never swallow an unlock's wake-up
 *     (the lot reports a waiter that was chosen as woken, not timed out).
 *   - No spurious returns: every lock call that returns PARKER_OK holds the
 *     mutex; no call ever returns without the lock and without a result
 *     saying so.
 * ======================================================================== */
typedef struct parker_mutex {
    uint8_t private_state_;
} parker_mutex_t;

#define PARKER_MUTEX_INIT {0}

/*
 * Block until the calling thread holds m.  Any thread; the caller must not
 * already hold m (that deadlocks: the mutex is not recursive).  Acquire:
 * everything written before the previous unlock of m is visible after this
 * returns.  NULL aborts with a message.
 */
PARKER_API void parker_mutex_lock(parker_mutex_t *m);

/*
 * Take m if it is not locked.  Returns PARKER_OK (the caller now holds m) or
 * PARKER_AGAIN (m was locked; nothing changed).  Never blocks, never parks.
 * A trylock may succeed while threads are parked on m (they were woken and
 * lost the race, or are about to be).  NULL aborts with a message.
 */
PARKER_API int parker_mutex_trylock(parker_mutex_t *m);

/*
 * As parker_mutex_lock, giving up after timeout_ns nanoseconds.  Returns
 * PARKER_OK (the caller holds m) or PARKER_TIMEDOUT (the caller does not
 * hold m; at least timeout_ns elapsed since the call began).  timeout_ns 0
 * tries once without blocking (PARKER_TIMEDOUT, not PARKER_AGAIN, if m was
 * locked).  PARKER_FOREVER never expires.  NULL aborts with a message.
 */
PARKER_API int parker_mutex_lock_timeout(parker_mutex_t *m, uint64_t timeout_ns);

/*
 * As parker_mutex_lock_timeout with an absolute deadline on
 * parker_now_ns()'s clock.  A deadline at or before now tries once without
 * blocking.  PARKER_FOREVER never expires.
 */
PARKER_API int parker_mutex_lock_until(parker_mutex_t *m, uint64_t deadline_ns);

/*
 * Release m, which the calling thread holds.  If threads are parked on m,
 * wake the longest waiter; if that waiter has waited PARKER_LOT_FAIR_NS or
 * longer, hand m to it (it returns from its lock call owning m, and no other
 * thread can take m in between).  Release: everything written before this
 * call is visible to the next thread that locks m.  Never blocks for long
 * (it may take a lot queue lock briefly).  Unlocking a mutex that is not
 * locked aborts with "libparker: parker_mutex_unlock: mutex is not locked";
 * unlocking one that another thread holds is undefined.  NULL aborts.
 */
PARKER_API void parker_mutex_unlock(parker_mutex_t *m);

/*
 * As parker_mutex_unlock, but always hand m to the longest waiter if a
 * thread is parked on m (like pthread's "fair" or parking_lot's
 * unlock_fair): m stays locked and that waiter owns it when its lock call
 * returns, so the calling thread cannot take m back before it (a trylock
 * right after returns PARKER_AGAIN).  With no thread parked, a plain unlock.
 * Misuse as for parker_mutex_unlock.
 */
PARKER_API void parker_mutex_unlock_fair(parker_mutex_t *m);

/*
 * 1 if m is locked by some thread at the moment of the call, else 0.  A
 * snapshot only (for assertions and heuristics); no ordering.  Any thread.
 */
PARKER_API int parker_mutex_is_locked(const parker_mutex_t *m);

/* ========================================================================
 * Condition variable
 *
 * One pointer: while threads wait, it records the mutex they use (or a
 * marker for parker_cond_wait_with); it is NULL again when the last waiter
 * has left.
 *
 * Policy:
 *   - No spurious returns: a wait returns PARKER_OK only when a
 *     parker_cond_signal or parker_cond_broadcast chose this waiter (it was
 *     counted in that call's result).  Each chosen waiter returns PARKER_OK
 *     exactly once, even if its deadline passes after it was chosen.
 *     Callers should still re-check their predicate in a loop, as with any
 *     condition variable: another thread may have consumed the state change
 *     before the woken thread re-acquired the mutex.
 *   - Wait morphing: while the mutex is locked, signal and broadcast move the
 *     chosen waiters from the condition variable's queue to the mutex's
 *     queue without waking them (parker_lot_requeue_ex), so a broadcast does
 *     not stampede a held mutex; each moved waiter wakes when the mutex is
 *     unlocked to it, one at a time.  A waiter handed the mutex by an unlock
 *     owns it on waking.
 *   - One mutex at a time: all threads waiting on a condition variable at the
 *     same moment must use the same mutex (aborts with a message otherwise,
 *     as parking_lot panics).  Once no thread waits, it may be used with
 *     another one.  parker_cond_wait_with and parker_cond_wait may not be
 *     mixed on one condition variable at the same moment (aborts).
 *   - Timeouts: a timed wait re-acquires the mutex before returning, also
 *     when it returns PARKER_TIMEDOUT, so the caller always holds the mutex
 *     after a wait; the time spent re-acquiring it may extend past the
 *     deadline.  A waiter that times out leaves nothing behind (the last one
 *     clears the recorded mutex; one that times out after being moved to the
 *     mutex's queue was chosen by a signal and returns PARKER_OK).
 * ======================================================================== */
typedef struct parker_cond {
    void *private_lock_;
} parker_cond_t;

#define PARKER_COND_INIT {0}

/*
 * Atomically release m (which the caller holds) and wait until a signal or
 * broadcast chooses this thread; re-acquire m before returning.  "Atomically":
 * a signal or broadcast made by a thread that locked m after this call
 * released it will find this waiter.  NULL arguments, or m not locked,
 * abort with a message; waiting with a different mutex than threads already
 * waiting on c aborts with "libparker: parker_cond_wait: condition variable
 * used with two different mutexes at once".
 */
PARKER_API void parker_cond_wait(parker_cond_t *c, parker_mutex_t *m);

/*
 * As parker_cond_wait, giving up after timeout_ns nanoseconds.  Returns
 * PARKER_OK (a signal or broadcast chose this thread) or PARKER_TIMEDOUT (at
 * least timeout_ns elapsed and none did).  Either way the caller holds m on
 * return.  timeout_ns 0 releases m, re-acquires it and returns
 * PARKER_TIMEDOUT (unless a signal chose the thread in between).
 * PARKER_FOREVER never expires.
 */
PARKER_API int parker_cond_wait_timeout(parker_cond_t *c, parker_mutex_t *m,
                                        uint64_t timeout_ns);

/*
 * As parker_cond_wait_timeout with an absolute deadline on parker_now_ns()'s
 * clock; PARKER_FOREVER never expires.
 */
PARKER_API int parker_cond_wait_until(parker_cond_t *c, parker_mutex_t *m,
                                      uint64_t deadline_ns);

/*
 * Choose the longest waiter on c, if any.  If its mutex is locked, move the
 * waiter to the mutex's queue (it wakes when the mutex is unlocked to it);
 * otherwise wake it.  Returns 1 if a waiter was woken or moved, 0 if no
 * thread was waiting.  Any thread; the mutex need not be held (holding it is
 * what makes "no waiter missed" reasoning easy, as with pthread).  A signal
 * with no waiter is not remembered.  NULL aborts with a message.
 */
PARKER_API int parker_cond_signal(parker_cond_t *c);

/*
 * Choose every thread waiting on c.  If their mutex is locked, move them all
 * to the mutex's queue, keeping their order; otherwise wake the longest
 * waiter and move the rest (with parker_cond_wait_with waiters: wake all).
 * Returns how many waiters were woken or moved.  Threads that start waiting
 * after the call are not chosen.  Any thread.  NULL aborts with a message.
 */
PARKER_API size_t parker_cond_broadcast(parker_cond_t *c);

/*
 * Wait on c with any lock (a pthread_mutex_t, a spinlock, a reader-writer
 * lock held for writing, ...): the lock is passed as two functions and their
 * argument.  The caller holds the lock.  unlock(lock_arg) is called once,
 * after this thread is queued on c (so a signal made after the unlock
 * cannot be missed); lock(lock_arg) is called once before returning, after
 * the wait ended for any reason.  Both run in the calling thread outside
 * every lot lock.
 *
 * Waiters of wait_with are never moved to a lock's queue (the library cannot
 * park on a foreign lock): signal wakes one, broadcast wakes all, and each
 * then calls lock() itself.
 *
 * deadline_ns is absolute on parker_now_ns()'s clock (PARKER_FOREVER: no
 * limit).  Returns PARKER_OK (a signal or broadcast chose this thread) or
 * PARKER_TIMEDOUT (the deadline passed; never early).  NULL c, unlock or lock
 * aborts with a message.  Waiting on c with wait_with while other threads wait
 * on c with parker_cond_wait (or the reverse) aborts with a message; the
 * threads that wait with wait_with at one moment must use the same lock
 * (not checked).
 */
PARKER_API int parker_cond_wait_with(parker_cond_t *c, void (*unlock)(void *),
                                     void (*lock)(void *), void *lock_arg,
                                     uint64_t deadline_ns);

/* ========================================================================
 * Once
 *
 * One byte: not done / running / running with parked threads / done.
 *
 * Policy (CPython's once-flag rule):
 *   - Exactly one successful init: the first caller runs init(arg); if it
 *     returns 0 the once is done forever and every call, concurrent or later,
 *     returns 0 without running init.
 *   - Failures are retried: if init returns non-zero the once is not done;
 *     that value is returned to the caller that ran init, and the next
 *     caller (one of the waiting ones, or a later one) runs init again.
 *   - Concurrent callers park while init runs (they never spin) and are all
 *     woken when it ends.
 *   - No spurious returns: parker_once returns 0 only when the once is done.
 * ======================================================================== */
typedef struct parker_once {
    uint8_t private_state_;
} parker_once_t;

#define PARKER_ONCE_INIT {0}

/*
 * Run init(arg) unless a call on o already succeeded.  Returns 0 when o is
 * done (by this call's init or an earlier one; init's writes are then
 * visible to the caller), or the non-zero value init returned in this call
 * (o stays not done; a later call tries again).  The done path is one
 * acquire load.  Any thread.  init runs outside every lot lock and may
 * block; calling parker_once on the same o from inside init deadlocks
 * (undefined); init must return (not longjmp or throw).  NULL o or init
 * aborts with a message.
 */
PARKER_API int parker_once(parker_once_t *o, int (*init)(void *), void *arg);

/* 1 if o is done (a parker_once on it returned 0), else 0; acquire: init's
 * writes are visible when it returns 1.  Never blocks.  Any thread. */
PARKER_API int parker_once_is_done(const parker_once_t *o);

/* ========================================================================
 * Event (manual reset)
 *
 * One byte: unset / unset with parked threads / set.
 *
 * Policy:
 *   - set wakes every thread waiting at that moment and leaves the event set
 *     until reset; waits that start while it is set return at once.
 *   - set happens-before every wait that returns PARKER_OK.
 *   - reset racing wait: a wait that was parked when set ran was woken by
 *     that set and returns PARKER_OK even if reset runs before it gets to
 *     run (it does not go back to sleep); a wait that starts after reset
 *     waits for the next set.  A set followed by a reset can therefore never
 *     be missed by a thread that was already waiting.
 *   - No spurious returns: PARKER_OK only after a set; PARKER_TIMEDOUT never
 *     early.  A waiter that times out leaves nothing behind (the last one
 *     clears the "parked" bit).
 * ======================================================================== */
typedef struct parker_event {
    uint8_t private_state_;
} parker_event_t;

#define PARKER_EVENT_INIT {0}

/* Set e and wake every thread waiting on it.  Idempotent.  Release: writes
 * made before this call are visible to every wait that returns PARKER_OK
 * because of it.  Any thread.  NULL aborts with a message. */
PARKER_API void parker_event_set(parker_event_t *e);

/* Unset e (nothing happens if it is not set).  Threads that are waiting stay
 * waiting; see "reset racing wait" above.  Any thread.  NULL aborts. */
PARKER_API void parker_event_reset(parker_event_t *e);

/* 1 if e is set, else 0.  Acquire: when it returns 1, the writes made before
 * the set are visible.  Never blocks.  Any thread. */
PARKER_API int parker_event_is_set(const parker_event_t *e);

/*
 * Wait until e is set or timeout_ns nanoseconds have passed.  Returns
 * PARKER_OK (e was set: now, or by a set that woke this thread) or
 * PARKER_TIMEDOUT (at least timeout_ns elapsed and e was not set).
 * timeout_ns 0 only checks; PARKER_FOREVER never expires.  Any thread; any
 * number of waiters.  NULL aborts with a message.
 */
PARKER_API int parker_event_wait(parker_event_t *e, uint64_t timeout_ns);

/* As parker_event_wait with an absolute deadline on parker_now_ns()'s clock;
 * a deadline at or before now only checks. */
PARKER_API int parker_event_wait_until(parker_event_t *e, uint64_t deadline_ns);

/* ========================================================================
 * Reader-writer lock, semaphore, wait group, barrier
 *
 * (Reserved for the second set of objects; filled on the sync2 branch.)
 * ======================================================================== */

#ifdef __cplusplus
}
#endif

#endif /* PARKER_SYNC_H */
