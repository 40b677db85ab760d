/*
 * posix.pml - the portable backend (src/posix/pthread.c) under the shared
 * core: a process-wide stripe (mutex + condition variable) chosen by the
 * parker's address.  The stripe outlives every parker; the parker's own
 * memory is only its state word, which the owner may free as soon as a park
 * returns OK ("destroy right after park").
 *
 * pthread_cond_wait releases the mutex and queues the caller in one step,
 * and re-acquires the mutex before returning; it may return spuriously (or
 * because another parker on the same stripe was woken: the broadcast is
 * shared).
 */
#include "defs.pml"

bool mtx = false;        /* the stripe's mutex is held */
bool cv_waiting = false; /* the owner is queued on the stripe's condvar */
#define SLEEPING cv_waiting

inline lock() {
  atomic { !mtx -> mtx = true }
}

inline unlock() {
  mtx = false
}

/* parker__sys_wait */
inline sys_wait(timed, cw) {
  cw = false;
  lock();
  if
  :: state == PARKED ->           /* relaxed load under the mutex */
    atomic { mtx = false; cv_waiting = true };   /* pthread_cond_(timed)wait */
end_cwait:
    if
    :: atomic { !cv_waiting -> skip }                          /* broadcast */
    :: atomic { timed && cv_waiting -> cv_waiting = false }    /* ETIMEDOUT */
    :: atomic { spurious < MAXSPUR && cv_waiting -> spurious++; cv_waiting = false }
    fi;
    lock()
  :: else -> skip
  fi;
  unlock()
}

/* parker__sys_wake: lock/unlock, then broadcast.  Only the stripe is
 * touched, never the parker. */
inline sys_wake(me) {
#ifndef MUTANT_POSIX_NO_LOCK
  lock();
#ifdef MUTANT_POSIX_TOUCH
  /* mutant: re-read the word under the mutex to skip a needless broadcast */
  atomic { assert(!freed); old = state };
#endif
  unlock();
#endif
  cv_waiting = false               /* pthread_cond_broadcast */
}

inline sys_absorb() {
  skip
}

#include "core.pml"
