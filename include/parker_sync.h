/*
 * parker_sync.h - small locks built on the parking lot: a one-byte mutex, a
 * one-pointer condition variable, a one-byte once flag and a one-byte event;
 * a one-word reader-writer lock, a 4-byte semaphore, an 8-byte wait group
 * and an 8-byte barrier.
 *
 * What Rust's parking_lot (Mutex, Condvar, Once, RwLock), WebKit WTF (Lock,
 * Condition) and CPython (PyMutex, the once flag, PyEvent) ship on their
 * lots, for C; and what C programs otherwise take from pthreads (rwlock,
 * barrier), POSIX sem_t, C++20 (counting_semaphore, latch, barrier) and Go
 * (sync.RWMutex, WaitGroup).  The objects keep only a few bits; every queue of waiting
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
 *     child, as with pthread_mutex_t.  A condition variable that parent
 *     threads were waiting on still records their mutex: in the child, use
 *     it with that mutex until one signal or broadcast (or a timed-out wait)
 *     has cleared it.
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
 *   - Barging with a bounded rate of forced hand-offs.  An unlock does not
 *     hand the lock to a waiter; it wakes the front waiter and lets it
 *     compete with threads that are running (the fast choice: a running
 *     thread that takes the lock at once saves a context switch).  Now and
 *     then it hands the lock over instead (the lock stays locked and the
 *     woken thread owns it on return), so that a thread looping on
 *     lock/unlock cannot starve the others.  The rule, exactly: each lock
 *     call that parks gets a fairness time, its first park plus
 *     PARKER_LOT_FAIR_NS (1 ms).  An unlock that finds threads parked looks
 *     at the front one.  If its fairness time has not come, the unlock wakes
 *     it to compete.  If it has, the unlock hands the mutex to the queued
 *     lock call that first parked earliest (not necessarily the front one:
 *     a waiter that loses a race parks again at the back) and sets the
 *     fairness time of every thread still queued to now + PARKER_LOT_FAIR_NS.
 *     So forced hand-offs come about once per millisecond per mutex, not at
 *     every unlock, however many threads wait (a per-waiter 1 ms rule hands
 *     off at nearly every unlock once many threads wait: a convoy).
 *   - The bound on each wait that follows.  Let N be the most threads parked
 *     on m at once during a lock call's wait and U the longest time from an
 *     unlock of m to the next while threads are parked (a critical section
 *     plus a wake-up).  Once that call is parked and its fairness time has
 *     come, a forced hand-off happens within N unlocks (by then it or an
 *     older waiter that is due is at the front); forced hand-offs go in the
 *     order of first parks, so at most N - 1 go to others first, and each
 *     restarts its fairness time at most PARKER_LOT_FAIR_NS ahead.  So a
 *     lock call waits at most N * (PARKER_LOT_FAIR_NS + N * U): with one
 *     waiter, 1 ms plus one critical section and a wake-up.
 *     tests/test_sync_mutex.c checks the two halves of this exactly (the
 *     oldest is chosen over the front; no second forced hand-off within the
 *     interval) and fails on the mutants that break them (verify/README.md).
 *   - parker_mutex_unlock_fair always hands the lock to the front waiter if
 *     there is one.
 *   - Spinning: a locker that finds the mutex held spins before it parks,
 *     only while no thread is parked on it (once one is, newcomers queue,
 *     so at most one spin budget per thread is spent per contention burst on
 *     any number of cores), with the pauses between looks doubling up to
 *     32, for a per-thread time budget between 0.2 and 10 us that grows
 *     1.5x after a spin that saw the mutex free and shrinks 4x after one
 *     that ran out (so where threads outnumber cores and holders get
 *     preempted, it falls to the minimum).  It never yields the CPU
 *     (sched_yield): a yield hands the core to another spinner, and yield
 *     storms are what collapse spin-yield locks on large machines.
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
 * wake the front waiter to compete, or, when that waiter's fairness time
 * has come, hand m to the waiter that has waited longest (it returns from
 * its lock call owning m, and no other thread can take m in between): the
 * rule and the bound it gives are in "Policy" above.  Reads the clock once
 * when threads are parked.  Release: everything written before this
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
 * One pointer-sized word: while threads wait, it records the address of the
 * mutex they use (or a marker for parker_cond_wait_with); it is 0 again when
 * the last waiter has left.
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
    uintptr_t private_lock_; /* a pointer's size; 0 when nobody waits */
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
/* C++ spells the tag parker_once_tag: a struct named like the function
 * parker_once is a -Wshadow warning there.  Use the typedef. */
#ifdef __cplusplus
typedef struct parker_once_tag {
#else
typedef struct parker_once {
#endif
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
 *   - reset racing wait: a wait returns PARKER_OK for every set that ran
 *     after its call began, even if a reset undid it before the waiter ran
 *     again: a waiter that was parked was woken by that set and does not go
 *     back to sleep, and one that had begun but was not parked yet (still
 *     on its way into the lot) sees that a set happened (the event counts
 *     its sets).  So a set followed at once by a reset is never missed by a
 *     wait whose call began before the set.  The count has 6 bits: only if
 *     exactly a multiple of 64 set/reset pairs run between a waiter's first
 *     look and its park could that waiter miss them (for a pulse that every
 *     waiter must see whatever the timing, a wait group keeps 2^32).  A wait
 *     that starts after reset returned waits for the next set, with one
 *     exception: while the earlier set is still waking its waiters, a wait
 *     that has just started may be woken by it too (it returns PARKER_OK,
 *     and that set happened-before it).
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
 * The common rules above hold, with one exception: a barrier needs
 * parker_barrier_init (an all-zero barrier has no thread count).  NULL
 * objects abort with a message, like every misuse below.
 * ======================================================================== */

/* ------------------------------------------------------------------------
 * parker_rwlock_t: a reader-writer lock in one word.
 *
 * Policy:
 *   - Many readers or one writer.  Acquiring either side is an acquire
 *     operation, releasing it a release operation, as for pthread_rwlock_t:
 *     everything a writer wrote before parker_rwlock_wrunlock is visible to
 *     every later reader and writer, and everything readers did before
 *     their rdunlock is visible to the next writer.
 *   - No starvation either way.  A writer that waits for the readers to
 *     leave stops new readers (parker_rwlock_rdlock blocks from then on),
 *     so a stream of overlapping readers cannot keep a writer out.  When a writer unlocks,
 *     the threads that have waited longest are woken in order: the queued
 *     readers up to and including the first queued writer.  Newcomers may
 *     still barge for throughput, but a waiter that has waited 1 ms or more
 *     (PARKER_LOT_FAIR_NS) gets the lock handed to it directly at the next
 *     wrunlock, so a stream of writers cannot keep readers out either.
 *   - Recursion: because a waiting writer stops new readers, a thread that
 *     already holds a read lock and calls parker_rwlock_rdlock again while a
 *     writer waits DEADLOCKS (the writer waits for the first read lock, the
 *     second read waits for the writer).  This is pthread's
 *     writer-preferring mode and parking_lot's `read`.  A thread that needs
 *     to read-lock recursively uses parker_rwlock_rdlock_recursive, which
 *     does not wait for a queued writer while other read locks are held
 *     (parking_lot's `read_recursive`).  Taking the write lock twice, or the
 *     write lock while holding a read lock, deadlocks.
 *   - Timed locks never return PARKER_TIMEDOUT before their deadline, and a
 *     timeout leaves nothing behind: a writer that gives up clears its
 *     "writer waiting" state and wakes the readers it was holding back; the
 *     last waiter to time out clears the "parked" bits.
 *   - No spurious wake-ups are visible: the lock calls return only holding
 *     the lock, or with PARKER_TIMEDOUT / PARKER_AGAIN where documented.
 *
 * All-zero (PARKER_RWLOCK_INIT) is an unlocked lock; no destroy, no
 * allocation; it may be copied only while unlocked and unused.  Waiting
 * threads are queued in the parking lot, keyed by the lock's address and the
 * address one byte past it.  sizeof(parker_rwlock_t) == sizeof(uintptr_t).
 * Misuse that cannot be returned aborts with "libparker: <function>: ...":
 * unlocking a lock that is not held that way, more than 2^29 - 1 (32-bit)
 * or 2^61 - 1 (64-bit) simultaneous read locks, NULL.  Any thread may
 * unlock a lock that some other thread locked (no owner is recorded), but
 * a thread cannot tell whether it holds a read lock itself: recursion and
 * self-deadlock are not detected.
 * ---------------------------------------------------------------------- */
typedef struct parker_rwlock {
    uintptr_t v; /* private: reader count, WRITER and parked bits */
} parker_rwlock_t;

#define PARKER_RWLOCK_INIT {0}

/* Take a read lock, waiting as long as needed.  Waits while a writer holds
 * the lock or waits for it (see "Recursion" above). */
PARKER_API void parker_rwlock_rdlock(parker_rwlock_t *l);

/* As parker_rwlock_rdlock, but does not wait for a queued writer while at
 * least one read lock is held: safe for a thread that already holds a read
 * lock.  Waits only while a writer holds the lock, or waits for it with no
 * reader left.  Used in a loop by many threads it can delay writers
 * indefinitely, so use parker_rwlock_rdlock unless recursion is needed. */
PARKER_API void parker_rwlock_rdlock_recursive(parker_rwlock_t *l);

/* Take a read lock only if that needs no waiting.  Returns PARKER_OK (read
 * lock taken) or PARKER_AGAIN (a writer holds the lock or waits for it). */
PARKER_API int parker_rwlock_tryrdlock(parker_rwlock_t *l);

/* Take a read lock, waiting until the absolute deadline_ns on
 * parker_now_ns()'s clock (PARKER_FOREVER: no limit).  Returns PARKER_OK
 * (read lock taken) or PARKER_TIMEDOUT (not taken; only once the clock has
 * reached the deadline; a deadline already past still takes a free lock). */
PARKER_API int parker_rwlock_rdlock_until(parker_rwlock_t *l, uint64_t deadline_ns);

/* As parker_rwlock_rdlock_until with a timeout relative to now. */
PARKER_API int parker_rwlock_rdlock_timeout(parker_rwlock_t *l, uint64_t timeout_ns);

/* Take the write lock, waiting as long as needed. */
PARKER_API void parker_rwlock_wrlock(parker_rwlock_t *l);

/* Take the write lock only if the lock is free (no reader, no writer).
 * Returns PARKER_OK or PARKER_AGAIN. */
PARKER_API int parker_rwlock_trywrlock(parker_rwlock_t *l);

/* Take the write lock, waiting until deadline_ns (as rdlock_until).  On
 * PARKER_TIMEDOUT the lock is as if this call had never been made: readers
 * it held back are let in. */
PARKER_API int parker_rwlock_wrlock_until(parker_rwlock_t *l, uint64_t deadline_ns);

/* As parker_rwlock_wrlock_until with a timeout relative to now. */
PARKER_API int parker_rwlock_wrlock_timeout(parker_rwlock_t *l, uint64_t timeout_ns);

/* Release one read lock.  Aborts if no read lock is held. */
PARKER_API void parker_rwlock_rdunlock(parker_rwlock_t *l);

/* Release the write lock.  Aborts if the lock is not write-locked. */
PARKER_API void parker_rwlock_wrunlock(parker_rwlock_t *l);

/* Turn the write lock the caller holds into a read lock, atomically: no
 * writer can get in between.  Queued readers (up to the first queued
 * writer) are given read locks at once.  Release with rdunlock.  Aborts if
 * the lock is not write-locked. */
PARKER_API void parker_rwlock_downgrade(parker_rwlock_t *l);

/* ------------------------------------------------------------------------
 * parker_sem_t: a counting semaphore (POSIX sem_t, C++20
 * counting_semaphore) in 4 bytes.
 *
 * Policy:
 *   - Never loses a post, never hands one unit to two waits.  The count is
 *     at most PARKER_SEM_VALUE_MAX (2^31 - 1); a post beyond it aborts.
 *   - FIFO-fair for waiters: a post made while threads are queued hands its
 *     units directly to the oldest queued waiters (one each); only units left
 *     over raise the count.  So parker_sem_trywait, and a wait that finds a
 *     unit, take a unit at once only when no thread is queued: nobody barges
 *     past a queued waiter, and a queued waiter cannot time out while posts
 *     go to threads that came after it.  A waiter that was handed a unit
 *     returns PARKER_OK even if its deadline passes at the same moment.
 *   - Memory: a post happens-before the wait that takes its unit.
 *   - Timed waits return PARKER_TIMEDOUT only once the clock has reached the
 *     deadline, and take no unit then.  No spurious returns.
 *
 * All-zero (PARKER_SEM_INIT) is a semaphore with count 0; set another
 * initial count with parker_sem_post before sharing it.  No destroy, no
 * allocation.  Queued waiters live in the parking lot, keyed by its address.
 * ---------------------------------------------------------------------- */
typedef struct parker_sem {
    uint32_t v; /* private: count << 1 | parked bit */
} parker_sem_t;

#define PARKER_SEM_INIT {0}
#define PARKER_SEM_VALUE_MAX 0x7fffffffu

/* Add n units (n == 0 does nothing): the oldest queued waiters get one each,
 * the rest raise the count.  Aborts if the count would exceed
 * PARKER_SEM_VALUE_MAX.  Any thread; not async-signal-safe when threads
 * wait (it takes a queue lock). */
PARKER_API void parker_sem_post(parker_sem_t *s, uint32_t n);

/* Take one unit, waiting as long as needed. */
PARKER_API void parker_sem_wait(parker_sem_t *s);

/* Take one unit if the count is positive.  PARKER_OK or PARKER_AGAIN. */
PARKER_API int parker_sem_trywait(parker_sem_t *s);

/* Take one unit, waiting until the absolute deadline_ns (PARKER_FOREVER: no
 * limit).  PARKER_OK (a unit taken) or PARKER_TIMEDOUT (none taken; only
 * once the clock has reached the deadline). */
PARKER_API int parker_sem_wait_until(parker_sem_t *s, uint64_t deadline_ns);

/* As parker_sem_wait_until with a timeout relative to now. */
PARKER_API int parker_sem_wait_timeout(parker_sem_t *s, uint64_t timeout_ns);

/* The current count (0 while threads wait).  A snapshot: it may have
 * changed by the time the caller looks at it. */
PARKER_API uint32_t parker_sem_value(const parker_sem_t *s);

/* ------------------------------------------------------------------------
 * parker_waitgroup_t: wait until a count of outstanding tasks reaches zero
 * (Go's sync.WaitGroup; C++20's latch when used once).
 *
 * Policy:
 *   - parker_waitgroup_wait returns PARKER_OK once the count has been zero
 *     at some moment after the call began (at once if it is zero), also if a
 *     later add has raised it again before the waiter ran, and also if the
 *     waiter was not yet asleep when that happened (preempted on its way
 *     into the wait).  Waiters that start after the count went up again wait
 *     for the next zero: the group is reusable, no matter whether the
 *     previous waiters have returned.  The word counts the zeros in 32 bits
 *     (a generation): a waiter stopped between two of its instructions while
 *     other threads make an exact multiple of 2^32 zeros could miss them, as
 *     with any 32-bit futex sequence counter.
 *   - Memory: everything done before the adds/dones that bring the count to
 *     zero is visible after every wait that returns PARKER_OK for that zero
 *     (an add/done is a release, the one that makes the count zero also an
 *     acquire, and a wait returning PARKER_OK an acquire).
 *   - The count is an int32_t: a count below zero, or above INT32_MAX,
 *     aborts with a message.  Timed waits never return early: PARKER_TIMEDOUT
 *     only once parker_now_ns() has reached the deadline.
 *
 * 8 bytes, 8-byte aligned on every target (since 2.0.0; 4 bytes in 1.x):
 * the generation of zeros, the count and a "waiters" bit.  All-zero
 * (PARKER_WAITGROUP_INIT) has count 0.  No destroy, no allocation.
 * ---------------------------------------------------------------------- */
#if defined(__GNUC__) || defined(__clang__)
/* 32-bit x86 and m68k ABIs align a uint64_t member to 4 only; the word is
 * accessed with 8-byte atomics, which must not straddle a cache line.
 * (MSVC already aligns it to 8.) */
#  define PARKER__ALIGN8 __attribute__((aligned(8)))
#else
#  define PARKER__ALIGN8
#endif
typedef struct parker_waitgroup {
    uint64_t v PARKER__ALIGN8; /* private: generation << 32 | count << 1 | waiters bit */
} parker_waitgroup_t;

#define PARKER_WAITGROUP_INIT {0}

/* Add delta (may be negative) to the count.  Reaching zero wakes every
 * waiter.  Aborts if the count would go below 0 or above INT32_MAX. */
PARKER_API void parker_waitgroup_add(parker_waitgroup_t *w, int32_t delta);

/* parker_waitgroup_add(w, -1). */
PARKER_API void parker_waitgroup_done(parker_waitgroup_t *w);

/* Wait until the count is zero, at most timeout_ns (PARKER_FOREVER: no
 * limit; 0: just test).  PARKER_OK or PARKER_TIMEDOUT (never early). */
PARKER_API int parker_waitgroup_wait(parker_waitgroup_t *w, uint64_t timeout_ns);

/* As parker_waitgroup_wait with an absolute deadline. */
PARKER_API int parker_waitgroup_wait_until(parker_waitgroup_t *w, uint64_t deadline_ns);

/* The current count (a snapshot). */
PARKER_API int32_t parker_waitgroup_count(const parker_waitgroup_t *w);

/* ------------------------------------------------------------------------
 * parker_barrier_t: a reusable barrier for a fixed number of threads
 * (pthread_barrier_t, C++20 std::barrier).
 *
 * Policy:
 *   - A phase completes when `count` calls of parker_barrier_wait have
 *     arrived; then all of them return: exactly one (the last to arrive)
 *     returns 1, like PTHREAD_BARRIER_SERIAL_THREAD, the others 0.  The
 *     barrier is then ready for the next phase at once (no need for the
 *     threads of the previous phase to have returned).
 *   - More arrivals than `count` (count + 1 threads): arrivals are counted
 *     in arrival order, so the extra thread belongs to the next phase and
 *     waits for count - 1 more arrivals.
 *   - Memory: everything every thread did before its wait of a phase is
 *     visible to every thread after it returns from that phase.
 *   - No timeout, no spurious return; waiting threads park (never spin).
 *   - Wake-ups: each waiting thread sleeps on a parker of its own, so no
 *     backend can wake a phase with one system call through the lot.  The
 *     last arrival wakes 2 threads and every woken thread wakes up to 2
 *     more before it returns (a tree): the last arrival's cost does not
 *     grow with `count`, and the last thread of a phase runs after about
 *     log2(count) wake-up latencies.  The woken threads also return before
 *     the whole phase is awake; a later phase can start meanwhile.
 *
 * Needs parker_barrier_init: an all-zero barrier (count 0) is "not
 * initialised", and parker_barrier_wait on it aborts with a message.  No
 * destroy, no allocation.
 * ---------------------------------------------------------------------- */
typedef struct parker_barrier {
    uint32_t count;   /* private: threads per phase */
    uint32_t arrived; /* private: arrivals in the current phase */
} parker_barrier_t;

/* Set the number of threads per phase.  Returns PARKER_OK, or
 * PARKER_INVALID (nothing changed) if b is NULL or count is 0.  Must not be
 * called while threads wait on b. */
PARKER_API int parker_barrier_init(parker_barrier_t *b, uint32_t count);

/* Arrive and wait for the phase to complete.  Returns 1 in exactly one
 * thread of each phase (the last arrival), 0 in the others.  Aborts if b was
 * not initialised. */
PARKER_API int parker_barrier_wait(parker_barrier_t *b);

/* ------------------------------------------------------------------------
 * Deadlock detection (debug builds only).
 *
 * Works in a libparker configured with -DPARKER_DEADLOCK_DETECTION=ON (off
 * by default, as parking_lot's deadlock_detection feature).  Otherwise the
 * locks carry no record-keeping at all and the call only returns
 * PARKER_DEADLOCK_UNAVAILABLE (so that every build exports the same
 * symbols; test for that value, it is not a count).  With it, every parker_mutex_t and
 * parker_rwlock_t lock, unlock and wait updates a per-thread record (a
 * process-wide mutex guards them: expect slower locks), and
 * parker_deadlock_check() looks for cycles of threads each waiting for a
 * lock that the next one holds.  Timed waits count while they wait.
 *
 * Fills up to max cycles (each with up to PARKER_DEADLOCK_CYCLE_MAX
 * threads) and returns how many it found (possibly more than max).  A
 * snapshot: call it again to confirm a cycle (a real deadlock stays).  Any
 * thread; not async-signal-safe.
 */
#define PARKER_DEADLOCK_CYCLE_MAX 16
#define PARKER_DEADLOCK_UNAVAILABLE ((size_t)-1)
typedef struct parker_deadlock_cycle {
    size_t length; /* threads in the cycle */
    struct {
        uintptr_t thread;      /* the thread's pthread_t, as an integer */
        const void *waits_for; /* the lock it waits for: held by the next member */
        int waits_for_read;    /* 1: a read lock of a rwlock */
    } member[PARKER_DEADLOCK_CYCLE_MAX];
} parker_deadlock_cycle_t;

PARKER_API size_t parker_deadlock_check(parker_deadlock_cycle_t *cycles, size_t max);

/* ========================================================================
 * Reentrant mutex, fair mutex, bump
 * ======================================================================== */

/* ------------------------------------------------------------------------
 * parker_remutex_t: a reentrant (recursive) mutex: an owner and a count
 * around a parker_mutex_t (parking_lot's ReentrantMutex, C++'s
 * std::recursive_mutex).
 *
 * Policy:
 *   - The owning thread may lock it again any number of times (up to
 *     UINT32_MAX - 1 levels; one more aborts); it is released when the
 *     owner has unlocked it as many times as it locked it.  Other threads
 *     wait as for parker_mutex_t (same barging-with-1-ms-hand-off rule, same
 *     timeouts, no spurious returns).  Memory ordering as parker_mutex_t.
 *   - Owner identity: the address of the calling thread's parker_self()
 *     (the library's per-thread object, kept in its thread-local slot: a
 *     pthread key on the futex and posix backends, a TLS slot / fiber-local
 *     slot on Windows, a thread-local on wasm).  It is unique among living
 *     threads, which is all an owner check needs.  A thread must not exit
 *     while it holds the lock: it stays held, and a later thread whose
 *     per-thread object reuses the dead one's memory would be taken for
 *     its owner (undefined, as for pthread_mutex_t).  The first
 *     lock call of a thread may allocate that object (once per thread, as
 *     parker_self does); if that fails the call aborts with a message.
 *   - Misuse aborts with "libparker: <function>: ...": unlocking it from a
 *     thread that does not own it ("not held by the calling thread"),
 *     unlocking it when it is not locked, NULL.
 *
 * sizeof(parker_remutex_t) == sizeof(uintptr_t) + 8 (16 bytes on 64-bit
 * targets, 12 on 32-bit ones).  All-zero (PARKER_REMUTEX_INIT) is unlocked.
 * ---------------------------------------------------------------------- */
typedef struct parker_remutex {
    uintptr_t private_owner_;  /* the owner's parker_self(), 0 when unowned */
    uint32_t private_count_;   /* lock depth; only the owner touches it */
    parker_mutex_t private_mutex_;
} parker_remutex_t;

#define PARKER_REMUTEX_INIT {0, 0, PARKER_MUTEX_INIT}

/* Lock r, waiting as long as needed; at once (one level deeper) if the
 * calling thread owns it. */
PARKER_API void parker_remutex_lock(parker_remutex_t *r);

/* Lock r if that needs no waiting: PARKER_OK or PARKER_AGAIN. */
PARKER_API int parker_remutex_trylock(parker_remutex_t *r);

/* As parker_remutex_lock, giving up after timeout_ns (PARKER_OK or
 * PARKER_TIMEDOUT, never early; 0 only tries; PARKER_FOREVER: no limit). */
PARKER_API int parker_remutex_lock_timeout(parker_remutex_t *r, uint64_t timeout_ns);

/* As parker_remutex_lock_timeout with an absolute deadline on
 * parker_now_ns()'s clock. */
PARKER_API int parker_remutex_lock_until(parker_remutex_t *r, uint64_t deadline_ns);

/* Drop one level; the last one releases r (as parker_mutex_unlock).  Aborts
 * if the calling thread does not own r. */
PARKER_API void parker_remutex_unlock(parker_remutex_t *r);

/* The calling thread's lock depth on r: 0 if it does not own r. */
PARKER_API uint32_t parker_remutex_depth(const parker_remutex_t *r);

/* ------------------------------------------------------------------------
 * parker_fairmutex_t: a one-byte mutex whose every unlock hands the lock to
 * the longest-queued waiter (parker_mutex_unlock_fair each time).
 *
 * Policy:
 *   - Strict FIFO among queued waiters: while a thread is queued, the lock
 *     is never free (every unlock with a queued waiter keeps it locked and
 *     gives it to the oldest one), so no trylock, spinner or newcomer can
 *     take it before the queued threads, and the queued threads get it in
 *     the order they queued.  A thread that has not yet queued (it is about
 *     to park) has no place in the order yet.
 *   - The price: every contended unlock is a context switch (no barging),
 *     several times slower than parker_mutex_t under contention.  Use it
 *     when a bounded, ordered wait matters more than throughput.
 *   - Timeouts, spurious returns, memory ordering, misuse: as parker_mutex_t.
 * sizeof(parker_fairmutex_t) == 1; all-zero (PARKER_FAIRMUTEX_INIT) is
 * unlocked.
 * ---------------------------------------------------------------------- */
typedef struct parker_fairmutex {
    parker_mutex_t private_mutex_;
} parker_fairmutex_t;

#define PARKER_FAIRMUTEX_INIT {PARKER_MUTEX_INIT}

PARKER_API void parker_fairmutex_lock(parker_fairmutex_t *m);
/* PARKER_OK or PARKER_AGAIN; fails while any thread is queued. */
PARKER_API int parker_fairmutex_trylock(parker_fairmutex_t *m);
PARKER_API int parker_fairmutex_lock_timeout(parker_fairmutex_t *m, uint64_t timeout_ns);
PARKER_API int parker_fairmutex_lock_until(parker_fairmutex_t *m, uint64_t deadline_ns);
/* Release m, handing it to the longest-queued waiter if there is one. */
PARKER_API void parker_fairmutex_unlock(parker_fairmutex_t *m);
PARKER_API int parker_fairmutex_is_locked(const parker_fairmutex_t *m);

/*
 * Let a waiter in, then take m again (parking_lot's MutexGuard::bump): if
 * threads are parked on m (the caller holds it), hand m to the longest
 * waiter as parker_mutex_unlock_fair does and then lock it again (the
 * caller queues behind the waiters that are there); if nobody is parked,
 * return at once, still holding m.  For a long critical section that
 * should not keep waiters out for its whole length.  The caller must hold
 * m (aborts if m is not locked).  Holds m when it returns.
 */
PARKER_API void parker_mutex_bump(parker_mutex_t *m);

/* ------------------------------------------------------------------------
 * parker_uprwlock_t: a reader-writer lock with upgradable reads
 * (parking_lot's upgradable_read, Boost's upgrade_mutex): a parker_rwlock_t
 * and a one-byte "upgrade" mutex.
 *
 * Three ways to hold it: read (any number), upgradable read (at most one
 * thread, alongside any number of plain readers) and write (alone).  The
 * upgradable reader can become the writer atomically: no other writer can
 * take the lock between its read and its write, so what it read stays
 * valid (a plain reader cannot do this: two readers that both want to
 * upgrade would deadlock, which is why only one reader may be upgradable).
 *
 * How it works, and so how it interacts with the rwlock's rules: the
 * upgrade mutex is held by the upgradable reader for its whole hold, and
 * by every writer for its whole hold (a writer takes it before the write
 * lock).  So while an upgradable reader holds the lock, no writer can
 * reserve the write lock, and its upgrade (drop the read lock, take the
 * write lock) cannot be overtaken by one.
 *   - Writer preference: as parker_rwlock_t's once a writer holds the
 *     upgrade mutex: it reserves the write lock at once, and new plain
 *     readers wait from then on.  A writer that waits for the upgrade
 *     mutex (an upgradable reader or another writer holds it) does not
 *     stop plain readers yet; it is not starved, because the upgradable
 *     reader's hold ends and the upgrade mutex has parker_mutex_t's 1 ms
 *     hand-off rule, after which the writer stops new readers.
 *   - Hand-off: writers and upgradable readers queue on the upgrade mutex
 *     (parker_mutex_t's policy: barging, a waiter of 1 ms or more is handed
 *     the mutex); plain readers and the write lock itself follow
 *     parker_rwlock_t's policy (wrunlock wakes the oldest readers up to the
 *     first writer, with the same 1 ms hand-off).
 *   - An upgrade waits only for the plain readers present when it began
 *     (new ones are stopped as by any writer).  A timed upgrade that gives
 *     up leaves the caller an upgradable reader again, as if it had never
 *     asked (the readers it held back are let in).
 *   - Recursion deadlocks as with parker_rwlock_t (a read lock while the
 *     same thread holds the upgradable one is fine while no writer waits,
 *     since no writer can reserve; an upgrade while the same thread also
 *     holds a plain read lock deadlocks).  Taking the upgradable lock
 *     while holding a plain read lock can deadlock against a writer, which
 *     takes the upgrade mutex first and then waits for the readers (TSan
 *     reports that order as a lock-order inversion).
 *
 * The private members must not be used directly (a write lock taken on the
 * inner rwlock without the upgrade mutex would break the upgrade's
 * atomicity).  All-zero (PARKER_UPRWLOCK_INIT) is unlocked; size
 * sizeof(uintptr_t) * 2 with the usual padding.  Misuse aborts with a
 * message (unlocking what is not held that way; as parker_rwlock_t, an
 * upgradable unlock by a thread that does not hold it is not detected).
 * ---------------------------------------------------------------------- */
typedef struct parker_uprwlock {
    parker_rwlock_t private_rw_;
    parker_mutex_t private_up_;
} parker_uprwlock_t;

#define PARKER_UPRWLOCK_INIT {PARKER_RWLOCK_INIT, PARKER_MUTEX_INIT}

/* Plain reads: as the parker_rwlock_t calls of the same names. */
PARKER_API void parker_uprwlock_rdlock(parker_uprwlock_t *l);
PARKER_API int parker_uprwlock_tryrdlock(parker_uprwlock_t *l);
PARKER_API int parker_uprwlock_rdlock_until(parker_uprwlock_t *l, uint64_t deadline_ns);
PARKER_API void parker_uprwlock_rdunlock(parker_uprwlock_t *l);

/* Writes: the upgrade mutex, then the write lock.  The timed form returns
 * PARKER_OK or PARKER_TIMEDOUT (never early; nothing held then), try
 * PARKER_OK or PARKER_AGAIN. */
PARKER_API void parker_uprwlock_wrlock(parker_uprwlock_t *l);
PARKER_API int parker_uprwlock_trywrlock(parker_uprwlock_t *l);
PARKER_API int parker_uprwlock_wrlock_until(parker_uprwlock_t *l, uint64_t deadline_ns);
PARKER_API void parker_uprwlock_wrunlock(parker_uprwlock_t *l);

/* The upgradable read: the upgrade mutex, then a read lock. */
PARKER_API void parker_uprwlock_uplock(parker_uprwlock_t *l);
PARKER_API int parker_uprwlock_tryuplock(parker_uprwlock_t *l);
PARKER_API int parker_uprwlock_uplock_until(parker_uprwlock_t *l, uint64_t deadline_ns);
PARKER_API void parker_uprwlock_upunlock(parker_uprwlock_t *l);

/* Upgradable read -> write, atomically (no other writer in between): waits
 * for the plain readers to leave.  try: only if no other reader holds the
 * lock (PARKER_OK or PARKER_AGAIN); until: PARKER_OK or PARKER_TIMEDOUT, and
 * on PARKER_TIMEDOUT the caller still holds the upgradable read. */
PARKER_API void parker_uprwlock_upgrade(parker_uprwlock_t *l);
PARKER_API int parker_uprwlock_tryupgrade(parker_uprwlock_t *l);
PARKER_API int parker_uprwlock_upgrade_until(parker_uprwlock_t *l, uint64_t deadline_ns);

/* Write -> upgradable read, atomically (no writer in between); queued
 * plain readers are let in. */
PARKER_API void parker_uprwlock_downgrade_to_upgradable(parker_uprwlock_t *l);
/* Write -> plain read, atomically. */
PARKER_API void parker_uprwlock_downgrade(parker_uprwlock_t *l);
/* Upgradable read -> plain read (lets a writer or another upgradable
 * reader take the upgrade mutex). */
PARKER_API void parker_uprwlock_downgrade_upgradable(parker_uprwlock_t *l);

#ifdef __cplusplus
}
#endif

#endif /* PARKER_SYNC_H */
