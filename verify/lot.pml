/*
 * lot.pml - the parking lot's two-phase wake and its timeout race
 * (src/lot.c: park_common, parker_lot_unpark_one, parker_lot_unpark_all /
 * wake_list), for NW waiters on one address, with the extended calls'
 * unpark token and timed_out hook: the token a waker hands over must reach
 * the waiter it claimed, also when that waiter's deadline passed meanwhile,
 * and timed_out must run exactly when the park reports PARKER_TIMEDOUT.
 *
 * Each waiter's queue entry (struct waiter) lives on its stack and holds its
 * own parker; `freed[i]` is set when waiter i returns and its entry goes out
 * of scope.  The entry's parker is modelled by its contract, which the
 * futex/keyed/posix models check: park_until returns OK iff it consumed the
 * token, TIMEDOUT only once the deadline has passed, and an unpark touches
 * the parker only in the exchange that publishes the token.
 *
 * The bucket lock (src/lot.c's word lock) is modelled as an atomic
 * test-and-set lock that blocks; its own queueing is not modelled.
 */
#define OK       0
#define TIMEDOUT 1
#define AGAIN    2
#define NOBODY   255

#ifndef NW
#define NW 2
#endif

bool blk = false;        /* the bucket's lock */
byte q[NW];              /* the bucket's FIFO of waiters on the address */
byte qlen = 0;
bool queued[NW];
bool dequeued[NW];       /* struct waiter.dequeued */
bool ptok[NW];           /* the entry parker's token */
bool asleep[NW];         /* ghost: waiter i is blocked in its parker */
bool freed[NW];          /* ghost: waiter i has returned; its entry is gone */
byte wakes = 0;          /* ghost: wake-ups counted by unpark_one/unpark_all */
byte oks = 0;            /* ghost: parks that returned PARKER_OK */
byte finished = 0;       /* ghost: processes that have finished */
byte token[NW];          /* struct waiter.token, written by the waker under the lock */
byte claimed_by[NW];     /* ghost: the token of the waker that dequeued waiter i */
byte tocalls[NW];        /* ghost: timed_out calls of waiter i */

inline lock() {
  atomic { !blk -> blk = true }
}

inline unlock() {
  blk = false
}

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
  qlen--;
  queued[w] = false
}

/* parker_unpark(&w->parker): the exchange is its last access to the entry */
inline entry_unpark(w) {
  atomic { assert(!freed[w]); ptok[w] = true }
}

/* parker_park_until / parker_park on the entry's own parker */
inline entry_park(i, timed, r) {
  if
  :: atomic { ptok[i] -> ptok[i] = false; r = OK }
  :: atomic { timed && !ptok[i] -> r = TIMEDOUT }
  :: atomic { !ptok[i] -> asleep[i] = true };
end_park:
    if
    :: atomic { ptok[i] -> ptok[i] = false; asleep[i] = false; r = OK }
    :: atomic { timed && !ptok[i] -> asleep[i] = false; r = TIMEDOUT }
    fi
  fi
}

/* park_common, one park with or without a deadline */
proctype waiter(byte i) {
  byte r, k;
  bool timed, dq;
  if
  :: timed = true
  :: timed = false
  fi;
  lock();
  if
  :: true ->                     /* validate() says the word changed */
    unlock();
    r = AGAIN
  :: true ->
    dequeued[i] = false;
    q[qlen] = i; qlen++; queued[i] = true;   /* enqueue */
    unlock();
    entry_park(i, timed, r);
    if
    :: r == OK ->
      /* only a waker that dequeued us unparks our parker; its token was
       * written before that unpark */
      assert(dequeued[i]);
      assert(claimed_by[i] != 0 && token[i] == claimed_by[i])
    :: else ->
      lock();                    /* lock_bucket_of_waiter */
      dq = dequeued[i];
      if
      :: !dq ->
        q_remove(i);
        tocalls[i]++             /* timed_out(arg, key, qlen == 0) */
      :: else ->
#ifdef MUTANT_LOT_TIMED_OUT_WHEN_CLAIMED
        tocalls[i]++;            /* mutant: the hook also for a claimed waiter */
#endif
        skip
      fi;
      unlock();
      if
      :: dq ->
#ifndef MUTANT_LOT_LEAVE_EARLY
        /* a waker claimed us: wait for its unpark (no deadline) */
        ptok[i];
        ptok[i] = false;
#endif
        /* the token, also here */
        assert(claimed_by[i] != 0 && token[i] == claimed_by[i]);
        r = OK
      :: else -> skip
      fi
    fi
  fi;
  atomic {
    if
    :: r == OK -> oks++
    :: else -> skip
    fi;
    /* timed_out runs exactly for PARKER_TIMEDOUT, once */
    assert((r == TIMEDOUT && tocalls[i] == 1) || (r != TIMEDOUT && tocalls[i] == 0));
    freed[i] = true;
    finished++
  }
}

/* parker_lot_unpark_one */
proctype waker_one() {
  byte w = NOBODY, k;
  bool more;
  lock();
  if
  :: qlen > 0 ->
    w = q[0];
    assert(!freed[w]);
    q_remove(w);
    more = (qlen > 0);           /* has_more_waiters: exact for one address */
#ifndef MUTANT_LOT_DEQUEUED_LATE
    dequeued[w] = true;
#endif
    claimed_by[w] = 1;
    wakes++
  :: else -> skip
  fi;
  /* token = fn(arg, &result); w->token = token */
  if
  :: w != NOBODY ->
    assert(!freed[w]);
#ifndef MUTANT_LOT_TOKEN_AFTER_UNPARK
    token[w] = 1
#else
    skip
#endif
  :: else -> skip
  fi;
  unlock();
#ifdef MUTANT_LOT_DEQUEUED_LATE
  /* mutant: claims the entry only after dropping the bucket lock */
  if
  :: w != NOBODY -> atomic { assert(!freed[w]); dequeued[w] = true }
  :: else -> skip
  fi;
#endif
  if
  :: w != NOBODY ->
    entry_unpark(w);
#ifdef MUTANT_LOT_TOKEN_AFTER_UNPARK
    /* mutant: hands the token over after waking the waiter */
    atomic { assert(!freed[w]); token[w] = 1 }
#endif
    skip
  :: else -> skip
  fi;
  finished++
}

/* parker_lot_unpark_all: dequeue everything under the lock, then wake_list */
proctype waker_all() {
  byte list[NW], n = 0, j = 0, w, next, k;
  lock();
  do
  :: qlen > 0 ->
    w = q[0];
    q_remove(w);
    dequeued[w] = true;
    claimed_by[w] = 2;
    token[w] = 2;                /* unpark_all_ex's token */
    list[n] = w; n++;
    wakes++
  :: else -> break
  od;
  unlock();
  do
  :: j < n ->
    w = list[j];
#ifndef MUTANT_LOT_NEXT_AFTER_UNPARK
    atomic { assert(!freed[w]); next = j + 1 };     /* next = w->next */
    entry_unpark(w);
#else
    entry_unpark(w);
    atomic { assert(!freed[w]); next = j + 1 };     /* mutant: read after */
#endif
    j = next
  :: else -> break
  od;
  finished++
}

init {
  byte i;
  atomic {
    for (i : 0 .. NW - 1) {
      run waiter(i)
    }
    run waker_one();
    run waker_all()
  }
}

active proctype monitor() {
  byte i;
  timeout ->
    for (i : 0 .. NW - 1) {
      /* no lost wake-up: nobody asleep with its token waiting */
      assert(!(asleep[i] && ptok[i]));
      /* a dequeued waiter is always woken */
      assert(!(dequeued[i] && !freed[i]))
    }
    /* exactly once: every counted wake-up is one PARKER_OK, and back */
    assert(finished < NW + 2 || oks == wakes)
}
