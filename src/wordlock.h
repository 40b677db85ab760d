/*
 * wordlock.h - a one-word mutex built on the per-thread parker: the lock of
 * each parking-lot bucket (src/lot.c), in the style of WebKit's WordLock and
 * parking_lot's internal word lock.
 *
 * A zero uintptr_t is an unlocked lock; there is nothing to initialise or
 * destroy, and resetting a lock is storing zero (the lot does that in a
 * child after fork, where the owner and every queued thread are gone).  Not
 * a pthread mutex: a mutex held by another thread at fork stays held in the
 * child, and Windows has none that fits in a word without initialisation.
 *
 * Not fair (a woken thread competes again); meant for critical sections of
 * a few dozen instructions.  Not recursive; unlocking a lock the caller does
 * not hold is undefined.  Never allocates.  Internal to the library.
 */
#ifndef PARKER_WORDLOCK_H
#define PARKER_WORDLOCK_H

#include "atomics.h"
#include "backend.h"

#include <stdint.h>

/* Bits of the word; the rest points at the newest queued thread's node. */
#define PARKER__WL_LOCKED ((uintptr_t)1)
#define PARKER__WL_QUEUE_LOCKED ((uintptr_t)2)
#define PARKER__WL_QUEUE_MASK (~(uintptr_t)3)

/* pre: the fast path failed.  Spin briefly, then queue and park. */
PARKER__HIDDEN void parker__wordlock_lock_slow(uintptr_t *word);
/* pre: the caller just released the lock and saw queued threads and no
 * QUEUE_LOCKED holder.  Wake the oldest queued thread, if any still needs it. */
PARKER__HIDDEN void parker__wordlock_unlock_slow(uintptr_t *word);

static inline void parker__wordlock_lock(uintptr_t *word)
{
    uintptr_t s = 0;
    /* Acquire: the critical section sees what the previous holder wrote. */
    if (!parker__cas_weak_acquire_uptr(word, &s, PARKER__WL_LOCKED))
        parker__wordlock_lock_slow(word);
}

static inline void parker__wordlock_unlock(uintptr_t *word)
{
    /* Release: publishes the critical section to the next holder. */
    uintptr_t old = parker__fetch_and_release_uptr(word, ~PARKER__WL_LOCKED);
    if ((old & PARKER__WL_QUEUE_MASK) != 0 && !(old & PARKER__WL_QUEUE_LOCKED))
        parker__wordlock_unlock_slow(word);
}

#endif /* PARKER_WORDLOCK_H */
