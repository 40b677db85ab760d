/*
 * parker_lot.h - the parking lot: park on any address, wake by address.
 *
 * The futex idea on every OS and for 1-, 2-, 4- and 8-byte words: a thread
 * parks on an address while the word there holds an expected value, another
 * thread changes the word and unparks by the same address.  A lock or an
 * event built on it can be a single byte, because the queue of waiting
 * threads lives in the lot (a process-wide hash table), not in the object.
 * This is CPython's _PyParkingLot, WebKit's WTF::ParkingLot and Rust's
 * parking_lot_core, for C, built on the per-thread parker (parker.h) and
 * working the same on every backend.
 *
 * Guarantees (each covered by a test in tests/test_lot.c):
 *   - Atomic compare: parker_lot_park reads the word and enqueues the caller
 *     under the same queue lock that parker_lot_unpark_* take, so a thread
 *     that changes the word and then unparks the address can never slip in
 *     between the compare and the sleep (no lost wake-ups).
 *   - FIFO per address: unpark_one wakes the thread that has waited longest
 *     on that address.  Addresses that share a hash bucket never wake each
 *     other, and has_more_waiters is exact for the address.
 *   - Exactly once: every unpark_one that returns 1 makes exactly one park
 *     return PARKER_OK, also when that waiter's timeout expires at the same
 *     moment (it then reports PARKER_OK, never PARKER_TIMEDOUT).
 *   - No spurious returns: PARKER_OK only after an unpark chose this thread;
 *     PARKER_TIMEDOUT only once parker_now_ns() has reached the deadline.
 *   - Memory ordering: everything the waking thread wrote before calling
 *     unpark (and everything its callback wrote) is visible to the woken
 *     thread when its park returns PARKER_OK.
 *   - No allocation, ever: a waiter's queue entry lives on its own stack.
 *
 * Usage rules
 * -----------
 *   - Callbacks run under a queue lock: every validate, timed_out, unpark,
 *     filter and requeue callback (not before_sleep, which runs outside the
 *     lock and may call the lot).  They must not call any parker_lot_*
 *     function: the lot detects that (a thread-local flag) and aborts with
 *     "libparker: parker_lot_...: called from a lot callback".  They must not
 *     block or run long (the lock is shared with unrelated addresses that
 *     hash to the same queue) and must not unwind (longjmp, C++ exceptions)
 *     out of the library; doing so is undefined.
 *   - A lot wait uses a parker of its own, on the waiter's stack: it never
 *     consumes the token of the thread's parker_self() parker, and a
 *     parker_unpark of that parker does not end a lot wait.
 *   - unpark_one wakes the longest waiter whatever it waits for: if threads
 *     wait on one address for different things (a reader and a writer, a
 *     lock and a condition), an unpark_one meant for one kind can wake the
 *     other, which re-checks and parks again while the thread that should
 *     have woken sleeps on.  Give each kind its own address, or wake with
 *     unpark_all or unpark_filter.
 *   - The atomic compare is the lot's only protection against lost
 *     wake-ups.  A validate that always agrees (or park_ex's NULL validate)
 *     parks unconditionally: a wake that came before the thread was queued
 *     is lost.  Use that only when the waker can know that the thread is
 *     queued (before_sleep told it) or when a timeout re-checks.
 *   - An address is a key while a thread waits on it: its memory may be
 *     reused or freed only after every wait on it has returned (a new
 *     object at the same address would share the old one's queue).
 *     parker_lot_park reads the word, so it must also stay mapped.
 *
 * fork: in a child process only the forking thread exists, so every queued
 * entry and every held queue lock belongs to a dead thread.  On POSIX
 * systems the lot registers parker_lot_after_fork with pthread_atfork when
 * the library is loaded (a constructor; before any lot call, so a fork can
 * never catch the registration half done, and a user's prepare handler may
 * use the lot), so a child can use the lot at once.
 *
 * Results are the pinned values of parker.h plus PARKER_AGAIN.
 */
#ifndef PARKER_LOT_H
#define PARKER_LOT_H

#include "parker.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The word at the address did not hold the expected value (or a validate
 * callback returned 0): the caller did not sleep. */
#define PARKER_AGAIN 2

/*
 * Called by parker_lot_unpark_one exactly once, while the address's queue is
 * still locked and before the woken thread can run.  park_arg is the woken
 * waiter's park_arg, or NULL if no thread was waiting (the callback is still
 * called then).  has_more_waiters is 1 if other threads are still waiting on
 * the same address after this one was taken off, else 0 (exact per address).
 * This is where a lock clears or keeps its "has parked" bit without racing
 * threads that are about to park: they cannot enqueue until fn returns.
 */
typedef void (*parker_lot_unpark_fn)(void *arg, void *park_arg, int has_more_waiters);

/*
 * Park the calling thread on `address` if the `size` bytes there equal the
 * `size` bytes at `expected`.
 *
 * size is 1, 2, 4 or 8 and address must be aligned to size; the word is read
 * with an atomic load of that size, under the queue lock of the address, so
 * the compare and the enqueue are atomic with respect to every
 * parker_lot_unpark_* on the same address.  The other threads must access
 * the word atomically too (any memory order); the lot never writes it.
 * expected is read with a plain load and may be unaligned.
 *
 * timeout_ns is relative, on parker_now_ns()'s clock; 0 compares under the
 * queue lock and returns without ever being queued (PARKER_TIMEDOUT if
 * equal, PARKER_AGAIN if not), so no unpark can pick the caller;
 * PARKER_FOREVER (UINT64_MAX) never expires.  park_arg is handed to the
 * unparker's parker_lot_unpark_fn.
 *
 * Returns
 *   PARKER_OK       an unpark_one, unpark_all or requeue-with-wake chose
 *                   this thread (never spuriously);
 *   PARKER_AGAIN    the word did not equal *expected; did not sleep.
 *                   Before queueing, the call watches the word for a few
 *                   microseconds (not when the timeout is shorter than
 *                   20 us): a change seen then also gives PARKER_AGAIN,
 *                   as if the compare under the lock had come a moment
 *                   later.  Such a thread was never queued, so an unpark
 *                   in that window finds no waiter;
 *   PARKER_TIMEDOUT the word was equal but no unpark came before the
 *                   timeout; never before timeout_ns have passed;
 *   PARKER_INVALID  address or expected is NULL, size is not 1, 2, 4 or 8,
 *                   or address is not a multiple of size; nothing happened.
 *
 * Any thread; any number of threads may park on one address.  Not
 * async-signal-safe (it takes a queue lock).  The word must stay mapped
 * while threads can park on it (it is read, never written); the address is
 * only a key afterwards.
 */
PARKER_API int parker_lot_park(const void *address, const void *expected, size_t size,
                               uint64_t timeout_ns, void *park_arg);

/*
 * As parker_lot_park with an absolute deadline on parker_now_ns()'s clock.
 * A deadline at or before now never sleeps and is never queued
 * (PARKER_TIMEDOUT after an equal compare, PARKER_AGAIN after an unequal
 * one); PARKER_FOREVER never expires.
 */
PARKER_API int parker_lot_park_until(const void *address, const void *expected, size_t size,
                                     uint64_t deadline_ns, void *park_arg);

/*
 * Wake the thread that has waited longest on `address`.  Returns 1 if a
 * thread was taken off the queue (its park will return PARKER_OK, exactly
 * once), 0 if none was waiting.
 *
 * If fn is not NULL it is called exactly once, under the queue lock, before
 * the woken thread can run: fn(arg, park_arg of the woken waiter or NULL if
 * there was none, has_more_waiters).  The woken thread is unparked after the
 * queue lock is released, so it never wakes up only to block on that lock.
 *
 * Any thread, any address (NULL and never-parked addresses simply have no
 * waiters).  fn must follow the callback rules at the top of this header.
 */
PARKER_API int parker_lot_unpark_one(const void *address, parker_lot_unpark_fn fn, void *arg);

/*
 * Wake every thread waiting on `address`; returns how many.  Threads that
 * start parking after the queue was emptied are not woken.  Any thread.
 */
PARKER_API size_t parker_lot_unpark_all(const void *address);

/*
 * Forget every queued waiter and reset every queue lock.  For a child
 * process right after fork(), whose other threads are gone: their entries
 * are dead and a lock one of them held would otherwise stay held forever.
 *
 * On POSIX systems the lot registers this function with pthread_atfork (as a
 * child handler) when the library is loaded, so a program does not need to
 * call it.  Call it yourself only in a child created by a fork that
 * bypassed pthread_atfork handlers (a raw clone/fork system call), before
 * any other lot call, while the child has one thread.  It also calls
 * parker_after_fork() (parker.h), so this one call resets every layer.
 * Calling it while other threads of the process use the lot is undefined
 * (their waits would never end).
 */
PARKER_API void parker_lot_after_fork(void);

/*
 * Conditional park (parking_lot_core's park, WebKit's parkConditionally).
 *
 * validate(arg) runs with the queue of `address` locked; it returns nonzero
 * to park, 0 to give up (result PARKER_AGAIN, before_sleep is not called).
 * Because unparks of the address take the same lock, whatever validate
 * checks cannot change under it by a thread that then unparks `address`.
 *
 * before_sleep(arg), if not NULL, runs after the caller was queued and the
 * queue lock was released, just before the caller sleeps: the place to
 * release a user-level lock that the waker needs (condition variables).  It
 * may call the lot, including an unpark of `address` that wakes the caller
 * itself (its park then returns PARKER_OK at once).  It runs exactly when
 * validate returned nonzero, so exactly when the result is PARKER_OK or
 * PARKER_TIMEDOUT: also when the deadline had passed before the call.  Then
 * the caller is not queued (nobody could pick a thread that will not wait):
 * the call validates, runs before_sleep and returns PARKER_TIMEDOUT, and an
 * unpark from before_sleep finds nobody.  A condition variable relies on
 * this: its before_sleep unlocks the mutex, so every PARKER_OK or
 * PARKER_TIMEDOUT return means "it was unlocked; lock it again".
 *
 * address is any non-NULL pointer, used only as a key (no alignment needed,
 * never dereferenced).  deadline_ns as in parker_lot_park_until.
 *
 * Returns PARKER_OK, PARKER_TIMEDOUT (never early), PARKER_AGAIN (validate
 * returned 0), or PARKER_INVALID (address or validate is NULL).  Any thread.
 */
typedef int (*parker_lot_validate_fn)(void *arg);
typedef void (*parker_lot_before_sleep_fn)(void *arg);

PARKER_API int parker_lot_park_if(const void *address, parker_lot_validate_fn validate,
                                  parker_lot_before_sleep_fn before_sleep, void *arg,
                                  uint64_t deadline_ns, void *park_arg);

/*
 * Requeue: wake up to max_wake of the longest waiters on `from`, then move up
 * to max_requeue of the following ones, without waking them, to the tail of
 * `to`'s queue, keeping their order.  What a condition variable's notify_all
 * needs: wake one thread and let the others wait on the mutex instead of
 * stampeding it (parking_lot_core's unpark_requeue; CPython and WebKit have
 * none).
 *
 * Both queues are locked together.  If fn is not NULL it is called exactly
 * once under both locks, before any woken thread can run, with the numbers
 * of threads woken and moved: fn(arg, woken, requeued).  A lock typically
 * sets its "has parked" bit there when requeued > 0, so that its next unlock
 * unparks the moved threads.  A moved thread keeps its deadline and park_arg
 * and returns PARKER_OK when an unpark of `to` wakes it.
 *
 * Returns the number of threads woken; *requeued (if not NULL) receives the
 * number moved.  from == to is allowed (moved threads go to the tail).  NULL
 * is no address: from == NULL has no waiters, and to == NULL moves nobody
 * (as max_requeue == 0; the wake-ups still happen).  Any thread.
 */
typedef void (*parker_lot_requeue_fn)(void *arg, size_t woken, size_t requeued);

PARKER_API size_t parker_lot_requeue(const void *from, const void *to, size_t max_wake,
                                     size_t max_requeue, parker_lot_requeue_fn fn, void *arg,
                                     size_t *requeued);


/* ------------------------------------------------------------------------
 * Extended calls for building locks (parking_lot_core's full API).
 *
 * Three things a lock needs that the calls above do not give:
 *   - a hook when a waiter leaves by timeout, run under the queue lock, so
 *     that the last waiter to leave can clear the lock's "has parked" bit
 *     without racing a thread that is about to park;
 *   - a fairness signal to the waker: the woken waiter has been waiting for
 *     PARKER_LOT_FAIR_NS or longer (eventual fairness, see be_fair);
 *   - a token from the waker to the woken waiter (hand-off: "you already own
 *     the lock"), and a filter / a requeue that decide under the queue locks.
 *
 * All callbacks follow the callback rules at the top of this header, and the
 * unpark callbacks (parker_lot_unpark_token_fn) run exactly once per call,
 * also when nobody was woken.
 * ---------------------------------------------------------------------- */

/* The fairness interval: a woken waiter whose wait began this many
 * nanoseconds (or more) before the unpark is reported with be_fair = 1. */
#define PARKER_LOT_FAIR_NS 1000000u

/* What an extended unpark did, given to its callback under the queue lock(s)
 * before any woken thread can run. */
typedef struct parker_lot_unpark_result {
    size_t unparked;       /* threads taken off the queue to be woken */
    size_t requeued;       /* threads moved to another address (requeue_ex) */
    int have_more_waiters; /* 1 if waiters remain on the (source) address */
    int be_fair;           /* 1 if the first woken waiter has waited since
                              PARKER_LOT_FAIR_NS or more before now: a lock
                              should hand off to it rather than let others barge */
    void *park_arg;        /* park_arg of the first woken waiter, NULL if none */
} parker_lot_unpark_result_t;

/* An extended unpark's callback: returns the token that every thread woken
 * by this call receives in *unpark_token (0 if a plain call woke it). */
typedef uintptr_t (*parker_lot_unpark_token_fn)(void *arg, const parker_lot_unpark_result_t *r);

/* Run under the queue lock when a waiter's deadline passed and it leaves the
 * queue of `address` (the address it was on when it left: a requeued waiter
 * reports the address it was moved to).  was_last_waiter is 1 if no other
 * thread waits on that address any more. */
typedef void (*parker_lot_timed_out_fn)(void *arg, const void *address, int was_last_waiter);

/*
 * parker_lot_park_if with the extras:
 *   validate      NULL means "always park" (see the usage rules);
 *   timed_out     NULL or a hook as above (arg is passed to it); it runs
 *                 exactly when the result is PARKER_TIMEDOUT, under the
 *                 queue lock, after the caller left the queue; with a
 *                 deadline that had passed before the call (never queued)
 *                 it runs right after validate, was_last_waiter then saying
 *                 whether nobody else waits on `address`;
 *   wait_since_ns when the caller's wait began on parker_now_ns()'s clock, for
 *                 be_fair: a lock whose waiter wakes, loses the race and parks
 *                 again passes the time of its first park, so that its wait is
 *                 measured from there; 0 means "now";
 *   unpark_token  if not NULL, receives the token of the waker's callback
 *                 when the result is PARKER_OK (0 from plain unparks), also
 *                 when the waker chose the caller just as its deadline
 *                 passed; untouched for other results.
 * Order of the callbacks: validate (under the lock), before_sleep (outside),
 * then timed_out (under the lock) if the deadline passes first; with a
 * deadline already past: validate, timed_out, before_sleep.
 * Returns as parker_lot_park_if; address is a key only (never dereferenced).
 */
PARKER_API int parker_lot_park_ex(const void *address, parker_lot_validate_fn validate,
                                  parker_lot_before_sleep_fn before_sleep,
                                  parker_lot_timed_out_fn timed_out, void *arg,
                                  uint64_t deadline_ns, void *park_arg, uint64_t wait_since_ns,
                                  uintptr_t *unpark_token);

/*
 * As parker_lot_unpark_one, with the result and the token.  fn (may be NULL:
 * token 0) runs exactly once under the queue lock with unparked 0 or 1,
 * have_more_waiters, be_fair and the woken waiter's park_arg.  Returns 1 if
 * a thread was woken, else 0.  The clock is read only when a waiter was
 * taken and fn is not NULL (to compute be_fair).
 */
PARKER_API int parker_lot_unpark_one_ex(const void *address, parker_lot_unpark_token_fn fn,
                                        void *arg);

/* As parker_lot_unpark_all; every woken thread receives `token`. */
PARKER_API size_t parker_lot_unpark_all_ex(const void *address, uintptr_t token);

/*
 * Selective wake (parking_lot_core's unpark_filter): walks the waiters of
 * `address` oldest first under the queue lock and asks filter(arg, park_arg)
 * about each: PARKER_LOT_FILTER_UNPARK takes it, PARKER_LOT_FILTER_SKIP
 * leaves it queued, PARKER_LOT_FILTER_STOP ends the walk.  Then fn (may be
 * NULL) runs once with the result (park_arg of the first taken waiter,
 * have_more_waiters counting the ones left), and its token goes to every
 * taken thread.  Returns how many were woken.  A reader-writer lock wakes
 * "all readers up to the first writer" this way.  filter and fn share arg.
 * A NULL filter, or a filter result other than the three below, aborts
 * with a message.
 */
#define PARKER_LOT_FILTER_UNPARK 0
#define PARKER_LOT_FILTER_SKIP   1
#define PARKER_LOT_FILTER_STOP   2
typedef int (*parker_lot_filter_fn)(void *arg, void *park_arg);

PARKER_API size_t parker_lot_unpark_filter(const void *address, parker_lot_filter_fn filter,
                                           parker_lot_unpark_token_fn fn, void *arg);

/*
 * Requeue decided under both queue locks (parking_lot_core's unpark_requeue).
 * validate(arg) runs with both queues locked and returns what to do:
 */
#define PARKER_LOT_REQUEUE_ABORT                   0 /* nothing; fn is not called */
#define PARKER_LOT_REQUEUE_UNPARK_ONE_REQUEUE_REST 1 /* wake the oldest, move the rest */
#define PARKER_LOT_REQUEUE_ALL                     2 /* move all, wake none */
#define PARKER_LOT_REQUEUE_UNPARK_ONE              3 /* wake the oldest, move none */
#define PARKER_LOT_REQUEUE_ONE                     4 /* move the oldest, wake none */
typedef int (*parker_lot_requeue_validate_fn)(void *arg);
/*
 * Then, unless it returned ABORT, fn (may be NULL) runs once under both locks
 * with unparked, requeued and have_more_waiters (left on `from`) and returns
 * the token for the woken thread.  Moved threads keep deadline, park_arg and
 * wait_since and go to the tail of `to`.  Returns the number woken; *requeued
 * (if not NULL) receives the number moved (0 after ABORT).  be_fair and
 * park_arg are the woken thread's (0 and NULL if none was woken).  from, to
 * and validate must not be NULL, and validate must return one of the five
 * values (PARKER_INVALID is not a size: these abort with a message).
 * from == to is allowed: moved threads go to the tail, and count in
 * have_more_waiters.
 */
PARKER_API size_t parker_lot_requeue_ex(const void *from, const void *to,
                                        parker_lot_requeue_validate_fn validate,
                                        parker_lot_unpark_token_fn fn, void *arg,
                                        size_t *requeued);

/* ------------------------------------------------------------------------
 * Introspection: who is parked where (debuggers, a "dump threads" signal).
 * ---------------------------------------------------------------------- */

typedef struct parker_lot_waiter_info {
    const void *address;     /* the key it parked on (after any requeue) */
    const parker_t *parker;  /* the parker it sleeps on (the lot's own, on its stack) */
    void *park_arg;          /* the park_arg it passed */
    uint64_t wait_since_ns;  /* parker_now_ns() when its wait began (a lock's waiter:
                                its first park in that lock call) */
    uint64_t waited_ns;      /* now minus wait_since_ns, now read once per bucket */
} parker_lot_waiter_info_t;

/* Return 0 to go on, nonzero to stop the walk. */
typedef int (*parker_lot_walk_fn)(void *arg, const parker_lot_waiter_info_t *info);

/*
 * Report every thread parked in the lot: fn(arg, info) once each.  Returns
 * how many were reported.
 *
 * A snapshot taken one bucket at a time: the walk locks a bucket, copies up
 * to 32 of its waiters, unlocks it and only then calls fn, so fn may do
 * anything, the lot included.  Threads that park or wake while the walk is
 * under way may or may not be reported; one that parked before the call and
 * is still parked when it returns is reported exactly once if its bucket
 * holds at most 32 waiters.  The pointers are for identification: by the
 * time fn runs the thread may have woken and its parker may be gone (do not
 * unpark it; wake it through the lot by its address).
 *
 * Locking: it takes each bucket's lock in turn, as a park or an unpark
 * does, so it is NOT async-signal-safe: called from a signal handler that
 * interrupted a thread inside the lot it would wait forever for a lock that
 * thread holds.  For a "dump threads" signal, let the handler only wake a
 * dedicated thread (write() to a pipe, sem_post(), or parker_unpark with the
 * futex and Windows backends: async-signal-safe calls) and walk from that
 * thread.  Not from inside a lot callback (it would take a lock the lot
 * already holds).
 */
PARKER_API size_t parker_lot_walk(parker_lot_walk_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* PARKER_LOT_H */
