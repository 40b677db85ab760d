/*
 * waitgroup.pml - the wait group's protocol (src/sync/waitgroup.c) on the
 * extended lot calls: NW waiters each wait once (with or without a
 * deadline) while a master thread, starting from count 1, makes NZ fast
 * cycles done (1 -> 0), add(1) (0 -> 1).  The count ends at 1, so a waiter
 * that began after the last add sleeps for good, legitimately.
 *
 * The word's fields (count, WAITERS, generation) are separate variables;
 * every RMW of the C code is one atomic block over them.  The lot is
 * modelled by its contract, as in rwlock.pml: validate + enqueue under the
 * queue lock; unpark_filter takes the queued waiters and runs its callback
 * under the lock, then wakes them; a timed waiter may leave by timeout at
 * any moment (under the lock, running the timed_out hook with
 * was_last_waiter), or, if a waker took it first, waits for that wake.
 *
 * Each waiter's first load (the moment its call begins) may be followed by
 * any number of the master's steps before its validate runs: the waiter is
 * "not yet queued" there, which is the window of issue 23.
 *
 * Properties (spin -a, cc -DSAFETY, ./pan):
 *   - no missed zero: when nothing can move any more, a waiter still asleep
 *     began its call after the last zero (ghost: zeros seen at its first
 *     load == zeros made);
 *   - not early: a waiter returns PARKER_OK only if the count was zero at
 *     its first load or a zero was made after it;
 *   - no lost wake-up / nothing left behind: a queued waiter always has
 *     WAITERS set, and WAITERS is clear once nobody is queued.
 *
 * Mutant (must be rejected; scripts/stages/models.sh):
 *   MUTANT_NO_GENERATION  the 1.x protocol: no generation; validate looks
 *                         only at the count, and a waiter whose validate
 *                         refused looks at the count again.  A 1 -> 0 -> 1
 *                         between a waiter's first load and its validate
 *                         is missed: that waiter sleeps through the zero.
 */

#ifndef NW
#define NW 2
#endif
#ifndef NZ
#define NZ 2
#endif

#define OK       0
#define TIMEDOUT 1

/* the word */
byte count = 1;
bool wt = false;     /* WAITERS */
byte gen = 0;        /* generation of zeros (no wrap within NZ) */

/* the lot: one address */
bool lk = false;
byte q[NW];
byte qlen = 0;
bool dq[NW];         /* taken off the queue by the zero's maker */
bool woken[NW];      /* its unpark has arrived */
bool asleep[NW];     /* ghost: queued and not yet returned */

/* ghosts */
byte zeros = 0;      /* zeros made so far */
byte began[NW];      /* zeros made before the waiter's first load */
byte finished = 0;
bool master_done = false;

inline lock() { atomic { !lk -> lk = true } }
inline unlock() { lk = false }

inline q_remove(w) {
  k = 0;
  do
  :: k < qlen && q[k] != w -> k++
  :: else -> break
  od;
  assert(k < qlen);
  do
  :: k + 1 < qlen -> q[k] = q[k + 1]; k++
  :: else -> break
  od;
  qlen--
}

/* next_word with delta -1 / +1, in one atomic step with the decision.
 * Returns in `slow` whether the zero must be made under the queue lock. */
inline done_fast() {
  atomic {
    assert(count > 0);
    if
    :: count == 1 && wt -> slow = true
    :: count == 1 && !wt -> count = 0; gen++; zeros++; slow = false
    :: count > 1 -> count--; slow = false
    fi
  }
}

/* parker_lot_unpark_filter(zero_filter, zero_callback): decide under the
 * lock, then take every queued waiter if the count became zero. */
inline done_slow() {
  lock();
  atomic {
    assert(count > 0);
    count--;
    if
    :: count == 0 -> gen++; zeros++; wt = false; zero = true
    :: else -> zero = false
    fi
  };
  n = 0;
  do
  :: zero && qlen > 0 -> j = q[0]; q_remove(j); dq[j] = true; taken[j] = true; n++
  :: else -> break
  od;
  unlock();
  for (j : 0 .. NW - 1) {
    if
    :: taken[j] -> taken[j] = false; woken[j] = true
    :: else -> skip
    fi
  }
}

active proctype master() {
  byte c = 0, k, j, n;
  bool slow, zero;
  bool taken[NW];
  do
  :: c < NZ ->
    done_fast();
    if
    :: slow -> done_slow()
    :: else -> skip
    fi;
    /* add(1): from zero, WAITERS is clear, so always the lock-free CAS */
    atomic { assert(!wt || count > 0); count++ };
    c++
  :: else -> break
  od;
  master_done = true
}

proctype waiter(byte i) {
  bool timed, v, fast = false;
  byte g, r, k;
  if
  :: timed = true
  :: timed = false
  fi;
  /* the call begins: one load */
  atomic {
    began[i] = zeros;
    if
    :: count == 0 -> fast = true
    :: else -> g = gen
    fi
  };
  if
  :: fast -> r = OK; goto done
  :: else -> skip
  fi;
  /* a deadline already past: give up before WAITERS is set */
  if
  :: timed -> r = TIMEDOUT; goto done
  :: true -> skip
  fi;
park:
  lock();
  /* validate_wait */
  atomic {
#ifdef MUTANT_NO_GENERATION
    if
    :: count == 0 -> v = false
    :: else -> wt = true; v = true
    fi
#else
    if
    :: gen != g || count == 0 -> v = false
    :: else -> wt = true; v = true
    fi
#endif
  };
  if
  :: !v ->
    unlock();
#ifdef MUTANT_NO_GENERATION
    /* 1.x: look at the count again; park again if it is positive */
    if
    :: count == 0 -> r = OK; goto done
    :: else -> goto park
    fi
#else
    r = OK; goto done   /* a zero came after the call began */
#endif
  :: else ->
    dq[i] = false; q[qlen] = i; qlen++; asleep[i] = true;
    unlock()
  fi;
  /* the only place a waiter may stay for good (the monitor checks why) */
end_sleep:
  if
  :: woken[i] -> woken[i] = false; r = OK
  :: timed ->
    lock();
    if
    :: !dq[i] ->
      q_remove(i);
      if
      :: qlen == 0 -> wt = false   /* timed_out_wait, was_last_waiter */
      :: else -> skip
      fi;
      unlock();
      r = TIMEDOUT
    :: else ->
      unlock();
      woken[i];
      woken[i] = false;
      r = OK
    fi
  fi;
  asleep[i] = false;
done:
  /* not early: OK only for a zero seen at the first load or made after it */
  assert(r != OK || fast || zeros > began[i]);
  finished++
}

init {
  byte i;
  atomic {
    for (i : 0 .. NW - 1) {
      run waiter(i)
    }
  }
}

active proctype monitor() {
  byte i;
  timeout ->
    assert(master_done);
    for (i : 0 .. NW - 1) {
      /* asleep for good only if no zero came after its call began */
      assert(!asleep[i] || began[i] == zeros)
    };
    /* a sleeper always has its bit; no bit without a sleeper */
    assert(qlen == 0 || wt);
    assert(qlen > 0 || !wt)
}
