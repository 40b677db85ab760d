/*
 * keyed.pml - the Windows keyed-event fallback (NtWaitForKeyedEvent /
 * NtReleaseKeyedEvent, the parker's address as the key) under the shared
 * core: a rendezvous backend in the sense of src/backend.h.
 *
 * Unlike a futex, the wait does not look at the state word: it blocks until
 * a release with the same key arrives, or until its timeout.  A release
 * blocks until some waiter takes it; it has no timeout.  A waiter arriving
 * while a release is pending takes it at once.  So every release must be
 * matched by exactly one wait, or its unparker hangs: that is what the core's
 * sys_absorb (called when it consumed a PARKED -> NOTIFIED transition that no
 * wait reported) is for.
 */
#include "defs.pml"

bool kwaiting = false;   /* kernel: the owner is queued in NtWaitForKeyedEvent */
bool kgot = false;       /* kernel: a release was handed to the queued owner */
bool taken[NUNPARKERS];  /* kernel: unparker i's release has been taken */
chan pending = [NUNPARKERS] of { byte };  /* releases waiting for a waiter */
#define SLEEPING kwaiting

/* NtWaitForKeyedEvent(key, timeout or NULL).  Returns cw = 1 when it took a
 * release (STATUS_SUCCESS), 0 on STATUS_TIMEOUT. */
inline keyed_wait(timed, cw) {
  atomic {
    if
    :: nempty(pending) -> pending?rid; taken[rid] = true; cw = true
    :: empty(pending) -> kwaiting = true; kgot = false; cw = false
    fi
  }
  if
  :: !cw ->
end_kwait:
    if
    :: atomic { kgot -> kgot = false; cw = true }
    :: atomic { timed && kwaiting -> kwaiting = false }   /* STATUS_TIMEOUT */
    fi
  :: else -> skip
  fi
}

inline sys_wait(timed, cw) {
  keyed_wait(timed, cw)
}

/* NtReleaseKeyedEvent(key): hand the wake to a queued waiter, or queue it
 * and block until a waiter takes it.  The key is the parker's address, used
 * as a number: no access to the parker's memory.  Not an end state: an
 * unparker stuck here forever is an error. */
inline sys_wake(me) {
  atomic {
    if
    :: kwaiting -> kwaiting = false; kgot = true; taken[me] = true
    :: else -> pending!me
    fi
  }
  taken[me]
}

/* The core consumed PARKED -> NOTIFIED without a wait reporting a release:
 * the unparker that made that transition is (or will be) in
 * NtReleaseKeyedEvent; take its release with an untimed wait.  Not an end
 * state either: an owner stuck here forever is an error. */
inline sys_absorb() {
  atomic {
    if
    :: nempty(pending) -> pending?rid; taken[rid] = true; acw = true
    :: empty(pending) -> kwaiting = true; kgot = false; acw = false
    fi
  }
  if
  :: !acw -> atomic { kgot -> kgot = false }
  :: else -> skip
  fi
}


#include "core.pml"
