/*
 * mutex.pml - the one-byte mutex of src/sync/mutex.c: barging, the forced
 * hand-off by token in two passes (choose the oldest waiter, then take
 * exactly it; start over if it left) or in one for unlock_fair, timed locks
 * whose last leaving waiter clears PARKED under the queue lock.
 *
 * NT threads each lock (with or without a deadline, chosen
 * nondeterministically) and unlock (plain or fair) ITER times.
 *
 * Checked:
 *   - mutual exclusion: holders <= 1 (asserted when a lock returns OK);
 *   - a hand-off leaves the mutex LOCKED for the woken thread;
 *   - no lost wake-up: no thread stays asleep in the lot (it has no end
 *     label there, so spin reports an invalid end state), and the monitor
 *     sees every thread finish;
 *   - nothing left behind: at the end the byte is 0 (no stale LOCKED or
 *     PARKED) and nobody is queued.
 *
 * Mutants (must be rejected):
 *   MUTANT_MUTEX_HANDOFF_UNLOCKS  the hand-off path clears LOCKED like a
 *                                 plain unlock: a barging thread and the
 *                                 woken owner are both inside;
 *   MUTANT_MUTEX_CLEAR_OUTSIDE    a timed-out waiter clears PARKED after
 *                                 releasing the queue lock (parking_lot
 *                                 #465): a waiter that queued in between
 *                                 loses its wake-up;
 *   MUTANT_MUTEX_SCAN_RELEASES    the first pass of a forced hand-off
 *                                 releases the byte: a barging thread and
 *                                 the chosen owner are both inside;
 *   MUTANT_MUTEX_GONE_RELEASES    the chosen waiter timed out between the
 *                                 passes and the unlock releases without
 *                                 waking anyone: the others sleep for ever.
 */
#include "sync.pml"

#ifndef ITER
#define ITER 1
#endif

proctype locker(byte i) {
  byte k, w, n, w2, n2, left, r, res, it = 0;
  bool last, done, timed;
  do
  :: it < ITER ->
    if
    :: timed = true
    :: timed = false
    fi;
    mutex_lock(i, timed, res);
    if
    :: res == OK ->
      if
      :: mutex_unlock(false)
      :: mutex_unlock(true)
      fi
    :: else -> skip
    fi;
    it++
  :: else -> break
  od;
  finished++
}

init {
  byte k, i;
  atomic {
    sync_init();
    for (i : 0 .. NT - 1) {
      run locker(i)
    }
  }
}

active proctype monitor() {
  byte k;
  timeout ->
    assert(finished == NT);        /* nobody asleep for ever */
    assert(m == 0);                /* nothing left behind */
    for (k : 0 .. NT - 1) {
      assert(where[k] == NOWHERE)
    }
}
