/*
 * backend.h - the seam between the shared core (src/parker.c) and a
 * platform backend (src/linux, src/posix, src/windows).
 *
 * The core owns the three-state word, the fast paths, the deadline
 * arithmetic, the spin and the misuse checks.  A backend only blocks and
 * wakes.  It never changes the state word and never decides whether a park
 * returns: the core re-checks the state and the clock after every wait, so a
 * backend may return early for any reason (EINTR, a spurious kernel wake-up,
 * a clamped timeout).
 *
 * Two kinds of backend fit this seam:
 *   - check-and-block (futex, WaitOnAddress, mutex+condvar): the wait blocks
 *     only while the state still reads PARKER__PARKED, and a wake with nobody
 *     waiting is lost harmlessly.  wait returns 0; absorb does nothing.
 *   - rendezvous (NT keyed events): the wait blocks unconditionally and a
 *     wake blocks until some thread waits for it.  wait returns 1 when it
 *     consumed a wake.  Whenever the core consumes a PARKED -> NOTIFIED
 *     transition without the wait having reported it, it calls absorb, which
 *     must take the wake that the unparker is (or will be) delivering, so that
 *     the unparker never blocks forever.
 */
#ifndef PARKER_BACKEND_H
#define PARKER_BACKEND_H

#include "parker.h"

#include <stdint.h>

#if defined(__GNUC__) && !defined(_WIN32)
#  define PARKER__HIDDEN __attribute__((visibility("hidden")))
#else
#  define PARKER__HIDDEN
#endif

/* The state word's values.  PARKED is all ones so that any other value is a
 * small number, which makes a corrupted or uninitialised word easy to spot. */
#define PARKER__EMPTY    0u
#define PARKER__NOTIFIED 1u
#define PARKER__PARKED   0xFFFFFFFFu

/* No deadline. */
#define PARKER__NO_DEADLINE UINT64_MAX

/* The state word as the backend and the core see it.  parker_t's field is a
 * plain uint32_t so that the public header needs no <stdatomic.h> (C++ and
 * C99 users include it); the core accesses it only through the atomic
 * builtins in atomics.h, never as a plain variable. */
#define PARKER__WORD(p) (&(p)->private_state_)

/* pre: none.  Process-wide backend set-up, called by parker_init; must be
 * idempotent and thread-safe.  Returns 0 or an errno value. */
PARKER__HIDDEN int parker__sys_init(void);

/* pre: the calling process is the child of a fork or raw clone and has one
 * thread.  Re-create whatever process-wide state a thread of the parent may
 * have left locked (parker_after_fork). */
PARKER__HIDDEN void parker__sys_after_fork(void);

/* pre: the caller is p's owner and has just stored PARKED (the state may have
 * changed since).  Block until parker__sys_wake(p), until deadline_ns on
 * parker__sys_now_ns() (PARKER__NO_DEADLINE: no deadline), or spuriously.
 * Returns 1 if it consumed a wake (rendezvous backends), else 0.  p may never
 * have passed through parker_init (PARKER_INITIALIZER): set up lazily.  It
 * must not act on a pthread cancel, and a failing OS wait must block for a
 * bounded step rather than return at once (the core would spin). */
PARKER__HIDDEN int parker__sys_wait(parker_t *p, uint64_t deadline_ns);

/* pre: the caller's own atomic exchange turned p's state from PARKED into
 * NOTIFIED.  Wake p's owner.  p is used only as an address: its memory may
 * already have been freed by the owner. */
PARKER__HIDDEN void parker__sys_wake(parker_t *p);

/* pre: the owner consumed a PARKED -> NOTIFIED transition that no wait
 * reported.  Rendezvous backends take the pending wake; others return. */
PARKER__HIDDEN void parker__sys_absorb(parker_t *p);

/* The monotonic clock the waits use, in nanoseconds. */
PARKER__HIDDEN uint64_t parker__sys_now_ns(void);

/* The backend's name as parker_backend() reports it. */
PARKER__HIDDEN const char *parker__sys_name(void);

/*
 * Thread-local slot for parker_self()/parker_thread_self().  set registers
 * value for the calling thread; at thread exit the backend calls
 * parker__thread_exit(value) for a non-NULL value (and may call it again if
 * the slot was set anew during exit).  Return 0 or an errno value.
 */
PARKER__HIDDEN int parker__tls_get(void **value);
PARKER__HIDDEN int parker__tls_set(void *value);
PARKER__HIDDEN void parker__thread_exit(void *value);

/*
 * The bounded adaptive spin (src/parker.c), shared by the parker and the
 * lot.  Calls done(arg) between pauses until it returns non-zero (then
 * returns 1) or the caller's per-thread budget in *budget_ns is spent (then
 * returns 0).  *budget_ns (0 = not yet set: start_ns) grows 1.5x after a
 * success, up to max_ns, and shrinks 4x after a failure, down to min_ns.
 */
struct parker__spin_limits {
    uint32_t min_ns, start_ns, max_ns;
};
PARKER__HIDDEN int parker__spin(uint32_t *budget_ns, const struct parker__spin_limits *limits,
                                int (*done)(void *), void *arg);

/* Print "libparker: <func>: <what>" to stderr and abort(). */
PARKER__HIDDEN void parker__misuse(const char *func, const char *what);

#endif /* PARKER_BACKEND_H */
