/*
 * futex.pml - the Linux backend (src/linux/futex.c) under the shared core.
 *
 * FUTEX_WAIT_BITSET compares the word with PARKED and queues the caller in
 * one atomic step (the kernel holds its hash-bucket lock across both);
 * FUTEX_WAKE dequeues one waiter, or does nothing.  A wait may also return
 * on its (absolute) timeout, on EINTR or spuriously.
 */
#include "defs.pml"

bool in_wait = false;   /* kernel: the owner is queued on the futex word */
#define SLEEPING in_wait

inline sys_wait(timed, cw) {
  cw = false;
  atomic {
    if
    :: state == PARKED -> in_wait = true
    :: else -> skip                              /* EAGAIN */
    fi
  }
end_sleep:
  if
  :: atomic { !in_wait -> skip }                 /* FUTEX_WAKE (or EAGAIN) */
  :: atomic { timed && in_wait -> in_wait = false }              /* ETIMEDOUT */
  :: atomic { spurious < MAXSPUR && in_wait -> spurious++; in_wait = false }  /* EINTR */
  fi
}

/* FUTEX_WAKE of one waiter on the address: kernel state only, never the
 * parker's memory. */
inline sys_wake(me) {
  atomic {
    if
    :: in_wait -> in_wait = false
    :: else -> skip
    fi
  }
}

inline sys_absorb() {
  skip
}

#include "core.pml"
