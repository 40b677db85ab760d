/*
 * parker_example_lock.h - a one-byte mutex and a one-byte one-shot event,
 * built only on the parking lot's public API (parker_lot.h), in the style of
 * CPython's PyMutex/PyEvent and WebKit's Lock.  An example and a benchmark
 * subject, not part of the installed API.
 *
 * Both objects are a single byte that must start zeroed (static storage, or
 * memset, or the *_init functions).  Every queue of waiting threads lives in
 * the lot, keyed by the byte's address, so the objects can be packed into
 * other structures at no cost beyond that byte.
 */
#ifndef PARKER_EXAMPLE_LOCK_H
#define PARKER_EXAMPLE_LOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Mutex.  Bit 0 (LOCKED): held.  Bit 1 (HAS_PARKED): threads may be parked
 * on the byte, so unlock must go through the lot.  Not recursive; barging
 * (a running thread may take the lock before a woken one), like WebKit's
 * Lock.  Unlocking a mutex the caller does not hold is undefined.
 */
typedef struct parker_example_mutex {
    uint8_t v;
} parker_example_mutex_t;

void parker_example_mutex_init(parker_example_mutex_t *m);
/* Block until the caller holds m.  Any thread. */
void parker_example_mutex_lock(parker_example_mutex_t *m);
/* 1 if the caller now holds m, 0 if it was held.  Never blocks. */
int parker_example_mutex_trylock(parker_example_mutex_t *m);
/* 1 if the caller now holds m, 0 after timeout_ns nanoseconds without it
 * (never earlier).  UINT64_MAX never times out. */
int parker_example_mutex_lock_timed(parker_example_mutex_t *m, uint64_t timeout_ns);
/* Release m; the caller must hold it.  Wakes one parked thread if any. */
void parker_example_mutex_unlock(parker_example_mutex_t *m);

/*
 * One-shot event: starts unset; set() wakes every waiter and stays set.
 */
typedef struct parker_example_event {
    uint8_t v;
} parker_example_event_t;

void parker_example_event_init(parker_example_event_t *e);
/* Set the event (idempotent) and wake every thread waiting on it.  Writes
 * made before set() are visible to a waiter that sees the event set. */
void parker_example_event_set(parker_example_event_t *e);
/* 1 if set, else 0.  Never blocks. */
int parker_example_event_is_set(const parker_example_event_t *e);
/* Wait until the event is set (returns 1) or timeout_ns nanoseconds have
 * passed (returns 0, never earlier).  UINT64_MAX waits forever. */
int parker_example_event_wait(parker_example_event_t *e, uint64_t timeout_ns);

#ifdef __cplusplus
}
#endif

#endif /* PARKER_EXAMPLE_LOCK_H */
