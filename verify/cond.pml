/*
 * cond.pml - the condition variable of src/sync/cond.c over the mutex of
 * src/sync/mutex.c: wait (validate records the mutex, before_sleep unlocks
 * it), signal and broadcast by parker_lot_requeue_ex with the mutex check
 * under the queue lock (wait morphing), hand-off to moved waiters, timeouts
 * on either queue.
 *
 * NW waiters each lock the mutex and, if `flag` is not yet set, wait once
 * (with or without a deadline).  A notifier locks the mutex, sets `flag`,
 * and either notifies before unlocking or after (chosen
 * nondeterministically), by NW signals or one broadcast.  With -DLOCKER a
 * further thread locks and unlocks the mutex (plain or fair) meanwhile.
 *
 * Checked:
 *   - no lost wake-up: every waiter finishes (no thread asleep for ever:
 *     invalid end state / monitor), also a waiter moved onto a held mutex;
 *   - exactly the chosen waiters return OK: the waits that return OK equal
 *     the sum of what signal and broadcast reported (no spurious return, no
 *     chosen waiter reporting a timeout);
 *   - a wait returns holding the mutex (holders <= 1 throughout);
 *   - nothing left behind: at the end the mutex byte and the condition
 *     variable's word are 0 and nobody is queued.
 *
 * Mutant (must be rejected):
 *   MUTANT_COND_PARKED_IN_CALLBACK  signal's validate sees the mutex locked
 *     and chooses "move", but the PARKED bit is set later, in the callback:
 *     the holder can unlock through the fast path in between, and the moved
 *     waiter sleeps on a free mutex for ever.
 */
#ifndef NW
#define NW 2
#endif
#ifdef LOCKER
#define NT (NW + 2)
#else
#define NT (NW + 1)
#endif
#include "sync.pml"

#define REQ_ABORT       0
#define REQ_UNPARK_ONE  1
#define REQ_ONE         2
#define REQ_ALL         3
#define REQ_UNPARK_REST 4

bool flag = false;       /* the predicate, under the mutex */
byte chosen = 0;         /* ghost: sum of signal/broadcast results */
byte oks = 0;            /* ghost: waits that returned OK */

/* parker_cond_wait_until for thread i, which holds the mutex. */
inline cond_wait(i, timed, cres) {
  hook[i] = HOOK_COND;
  moved[i] = false;
  lot_lock();
  if                              /* wait_validate */
  :: c == 0 -> c = COND_M
  :: else -> assert(c == COND_M)
  fi;
  enqueue(i, COND_ADDR);
  lot_unlock();
  mutex_unlock(false);            /* wait_before_sleep */
  lot_sleep(i, timed, cr);
  if
  :: cr == OK && tokv[i] == TOKEN_HANDOFF ->
    assert(m & LOCKED);
    atomic { assert(holders == 0); holders++ }
  :: else ->
    mutex_lock(i, false, res2)
  fi;
  if
  :: cr == OK || moved[i] -> cres = OK
  :: else -> cres = TIMEDOUT
  fi;
  tokv[i] = TOKEN_NORMAL;
  moved[i] = false;
  cr = 0
}

/* Move the longest waiter of the condition variable to the mutex's queue. */
inline move_head() {
  head(COND_ADDR, w, n);
  if
  :: w != NOBODY -> enqueue(w, MUTEX_ADDR); nmoved++
  :: else -> skip
  fi
}

/* parker_cond_signal */
inline cond_signal() {
  nmoved = 0;
  woken = NOBODY;
  if
  :: c == 0 -> skip               /* nobody waits */
  :: else ->
    lot_lock();
    if                            /* signal_validate, under both locks */
    :: c != COND_M -> op = REQ_ABORT
    :: else ->
      atomic {                    /* parker__mutex_mark_parked_if_locked */
        if
        :: m & LOCKED ->
#ifndef MUTANT_COND_PARKED_IN_CALLBACK
          m = m | PARKED;
#endif
          op = REQ_ONE
        :: else -> op = REQ_UNPARK_ONE
        fi
      }
    fi;
    if
    :: op == REQ_ONE -> move_head()
    :: op == REQ_UNPARK_ONE ->
      head(COND_ADDR, w, n);
      if
      :: w != NOBODY ->
        unqueue(w); dequeued[w] = true; tokv[w] = TOKEN_NORMAL; woken = w
      :: else -> skip
      fi
    :: else -> skip
    fi;
    if                            /* signal_callback: clear_if_empty */
    :: op != REQ_ABORT ->
#ifdef MUTANT_COND_PARKED_IN_CALLBACK
      if
      :: op == REQ_ONE && nmoved > 0 -> m = m | PARKED
      :: else -> skip
      fi;
#endif
      head(COND_ADDR, w, n);
      if
      :: n == 0 -> c = 0
      :: else -> skip
      fi
    :: else -> skip
    fi;
    lot_unlock();
    if
    :: woken != NOBODY -> ptok[woken] = true; chosen++
    :: else -> skip
    fi;
    chosen = chosen + nmoved
  fi
}

/* parker_cond_broadcast */
inline cond_broadcast() {
  nmoved = 0;
  woken = NOBODY;
  if
  :: c == 0 -> skip
  :: else ->
    lot_lock();
    if                            /* broadcast_validate */
    :: c != COND_M -> op = REQ_ABORT
    :: else ->
      c = 0;
      atomic {
        if
        :: m & LOCKED -> m = m | PARKED; op = REQ_ALL
        :: else -> op = REQ_UNPARK_REST
        fi
      }
    fi;
    if
    :: op == REQ_UNPARK_REST ->
      head(COND_ADDR, w, n);
      if
      :: w != NOBODY ->
        unqueue(w); dequeued[w] = true; tokv[w] = TOKEN_NORMAL; woken = w
      :: else -> skip
      fi
    :: else -> skip
    fi;
    if
    :: op != REQ_ABORT ->
      do                          /* move the rest, oldest first */
      :: true ->
        head(COND_ADDR, w, n);
        if
        :: w == NOBODY -> break
        :: else -> enqueue(w, MUTEX_ADDR); nmoved++
        fi
      od;
      if                          /* broadcast_callback */
      :: op == REQ_UNPARK_REST && nmoved > 0 -> m = m | PARKED
      :: else -> skip
      fi
    :: else -> skip
    fi;
    lot_unlock();
    if
    :: woken != NOBODY -> ptok[woken] = true; chosen++
    :: else -> skip
    fi;
    chosen = chosen + nmoved
  fi
}

proctype waiter(byte i) {
  byte k, w, n, w2, n2, left, r, res, res2, cr, cres;
  bool last, done, timed;
  if
  :: timed = true
  :: timed = false
  fi;
  mutex_lock(i, false, res);
  if
  :: !flag ->
    cond_wait(i, timed, cres);
    if
    :: cres == OK -> oks++
    :: else -> skip
    fi
  :: else -> skip
  fi;
  assert(holders == 1 && (m & LOCKED));
  mutex_unlock(false);
  finished++
}

proctype notifier(byte i) {
  byte k, w, n, w2, n2, left, r, res, op, nmoved, woken, j;
  bool last, done, before, all;
  mutex_lock(i, false, res);
  flag = true;
  if
  :: before = true
  :: before = false
  fi;
  if
  :: all = true
  :: all = false
  fi;
  if
  :: !before -> mutex_unlock(false)
  :: else -> skip
  fi;
  if
  :: all -> cond_broadcast()
  :: else ->
    j = 0;
    do
    :: j < NW -> cond_signal(); j++
    :: else -> break
    od
  fi;
  if
  :: before -> mutex_unlock(false)
  :: else -> skip
  fi;
  finished++
}

#ifdef LOCKER
proctype locker(byte i) {
  byte k, w, n, w2, n2, left, r, res;
  bool last, done;
  mutex_lock(i, false, res);
  if
  :: mutex_unlock(false)
  :: mutex_unlock(true)
  fi;
  finished++
}
#endif

init {
  byte k, i;
  atomic {
    sync_init();
    for (i : 0 .. NW - 1) {
      run waiter(i)
    }
    run notifier(NW);
#ifdef LOCKER
    run locker(NW + 1)
#endif
  }
}

active proctype monitor() {
  byte k;
  timeout ->
    assert(finished == NT);        /* nobody asleep for ever */
    assert(oks == chosen);         /* exactly the chosen waiters said OK */
    assert(m == 0 && c == 0);      /* nothing left behind */
    for (k : 0 .. NT - 1) {
      assert(where[k] == NOWHERE)
    }
}
