/*
 * sync.pml - the parking lot as the sync layer sees it (parker_lot.h's
 * extended calls, by their contract) and the mutex protocol of
 * src/sync/mutex.c, shared by mutex.pml and cond.pml.
 *
 * The lot: one queue lock `blk` for every address (the mutex's and the
 * condition variable's may share a bucket, and requeue holds both bucket
 * locks anyway).  A queued thread i has where[i] = the address it waits on
 * and a stamp for FIFO order; a waker that takes it sets dequeued[i] and
 * the token value under the lock, then publishes ptok[i] after unlocking
 * (parker_unpark).  A waiter whose deadline passes locks, and either finds
 * itself dequeued (then waits for the token, without deadline: the lot's
 * "exactly once") or unlinks itself and runs its timed-out hook under the
 * lock with was_last_waiter.  lot.pml checks that the lot keeps this
 * contract; here it is the ground the objects stand on.
 *
 * The mutex byte `m`: LOCKED = 1, PARKED = 2.  Every step that is one
 * atomic instruction in C is one atomic step here.  The clock is
 * abstracted: a timed wait may time out at any moment, and the lot's
 * be_fair may be true or false at any unlock (the hand-off must be correct
 * either way).
 *
 * Ghost state: holders (threads inside the mutex), finished.
 */
#define OK       0
#define TIMEDOUT 1
#define AGAIN    2
#define NONE     3

#define LOCKED   1
#define PARKED   2

#define MUTEX_ADDR 0
#define COND_ADDR  1
#define NOWHERE    255
#define NOBODY     255

#define TOKEN_NORMAL  0
#define TOKEN_HANDOFF 1

/* Which timed-out hook a queued thread runs (its park's timed_out fn). */
#define HOOK_MUTEX 0
#define HOOK_COND  1

/* The condition variable's word when it records the mutex. */
#define COND_M 1

#ifndef NT
#define NT 3
#endif

bool blk = false;
byte where[NT];
byte stamp_of[NT];
bool dequeued[NT];
bool ptok[NT];
byte tokv[NT];
byte hook[NT];
bool moved[NT];          /* cond waiter: left the mutex's queue by timeout */

byte m = 0;              /* parker_mutex_t.private_state_ */
byte c = 0;              /* parker_cond_t's word: 0, or COND_M (the mutex) */
byte holders = 0;        /* ghost: threads that hold the mutex */
byte finished = 0;       /* ghost */

inline lot_lock() {
  atomic { !blk -> blk = true }
}

inline lot_unlock() {
  blk = false
}

/* The stamps are kept small (1 + the largest queued one) so that states
 * that differ only in how many enqueues happened before are the same. */
inline enqueue(i, a) {
  d_step {
    stamp_of[i] = 0;
    k = 0;
    do
    :: k < NT ->
      if
      :: where[k] != NOWHERE && stamp_of[k] > stamp_of[i] -> stamp_of[i] = stamp_of[k]
      :: else -> skip
      fi;
      k++
    :: else -> break
    od;
    stamp_of[i]++;
    k = 0;
    where[i] = a;
    dequeued[i] = false
  }
}

/* Thread i leaves the queues (taken by a waker or by its timeout). */
inline unqueue(i) {
  d_step { where[i] = NOWHERE; stamp_of[i] = 0 }
}

/* The longest waiter on address a (NOBODY if none), and how many wait. */
inline head(a, w, n) {
  d_step {
    w = NOBODY;
    n = 0;
    k = 0;
    do
    :: k < NT ->
      if
      :: where[k] == a ->
        n++;
        if
        :: w == NOBODY || stamp_of[k] < stamp_of[w] -> w = k
        :: else -> skip
        fi
      :: else -> skip
      fi;
      k++
    :: else -> break
    od;
    k = 0
  }
}

/* The timed-out hooks, under the lock (mutex.c mutex_timed_out, cond.c
 * wait_timed_out). */
inline run_timed_out_hook(i, left, last) {
  if
  :: hook[i] == HOOK_MUTEX ->
#ifndef MUTANT_MUTEX_CLEAR_OUTSIDE
    if
    :: last -> m = m & ~PARKED
    :: else -> skip
    fi
#endif
    skip
  :: hook[i] == HOOK_COND ->
    if
    :: left == COND_ADDR ->
      if
      :: last -> c = 0
      :: else -> skip
      fi
    :: else ->
      moved[i] = true;
      if
      :: last -> m = m & ~PARKED
      :: else -> skip
      fi
    fi
  fi
}

/* After the queue lock was released: sleep on the entry's parker until
 * the token comes or (timed) the deadline passes; then the lot's timeout
 * path.  r = OK (token value in tokv[i]) or TIMEDOUT. */
inline lot_sleep(i, timed, r) {
  if
  :: atomic { ptok[i] -> ptok[i] = false; r = OK }
  :: timed ->
    lot_lock();
    if
    :: dequeued[i] ->
      /* a waker claimed us as the deadline passed: take its token */
      lot_unlock();
      atomic { ptok[i] -> ptok[i] = false; r = OK }
    :: else ->
      left = where[i];
      unqueue(i);
      head(left, w2, n2);
      last = (n2 == 0);
      run_timed_out_hook(i, left, last);
      lot_unlock();
      w2 = 0;
      n2 = 0;
      left = 0;
#ifdef MUTANT_MUTEX_CLEAR_OUTSIDE
      /* parking_lot #465: the parked bit cleared after the queue lock */
      if
      :: hook[i] == HOOK_MUTEX && last -> m = m & ~PARKED
      :: else -> skip
      fi;
#endif
      last = false;
      r = TIMEDOUT
    fi
  fi;
  dequeued[i] = false
}

/* parker__mutex_lock_slow (after the fast path failed), for thread i. */
inline mutex_lock(i, timed, res) {
  res = NONE;
  do
  :: res != NONE -> break
  :: else ->
    atomic {
      if
      :: !(m & LOCKED) -> m = m | LOCKED; res = OK
      :: else -> skip
      fi
    }
    if
    :: res == OK -> skip
    :: else ->
      if
      :: timed -> res = TIMEDOUT    /* deadline passed before PARKED was set */
      :: true -> skip
      fi;
      if
      :: res == TIMEDOUT -> skip
      :: else ->
        atomic {                   /* CAS v -> v | PARKED (or see a change) */
          if
          :: (m & LOCKED) && !(m & PARKED) -> m = m | PARKED
          :: else -> skip
          fi
        }
        hook[i] = HOOK_MUTEX;
        lot_lock();
        if
        :: m == (LOCKED | PARKED) ->      /* mutex_validate */
          enqueue(i, MUTEX_ADDR);
          lot_unlock();
          lot_sleep(i, timed, r);
          if
          :: r == OK && tokv[i] == TOKEN_HANDOFF ->
            assert(m & LOCKED);    /* the unlocker kept it locked for us */
            res = OK
          :: r == TIMEDOUT -> res = TIMEDOUT
          :: else -> skip          /* woken to compete */
          fi;
          tokv[i] = TOKEN_NORMAL;
          r = 0
        :: else -> lot_unlock()    /* PARKER_AGAIN: look again */
        fi
      fi
    fi
  od;
  if
  :: res == OK ->
    atomic { assert(holders == 0); holders++ }
  :: else -> skip
  fi
}

/* The unlock callback's release: this store is the unlock. */
inline unlock_release(w, n) {
  if
  :: n > 0 -> m = PARKED
  :: else -> m = 0
  fi;
  if
  :: w != NOBODY -> tokv[w] = TOKEN_NORMAL
  :: else -> skip
  fi
}

/* The hand-off: LOCKED stays set for the woken thread w. */
inline unlock_hand_off(w, n) {
#ifndef MUTANT_MUTEX_HANDOFF_UNLOCKS
  if
  :: n == 0 -> m = LOCKED
  :: else -> skip
  fi;
#else
  /* mutant: hands off but releases the byte as a plain unlock does */
  if
  :: n > 0 -> m = PARKED
  :: else -> m = 0
  fi;
#endif
  tokv[w] = TOKEN_HANDOFF
}

/* parker_mutex_unlock / _unlock_fair by a holder.
 *
 * unlock_fair: one pass, hand-off to the front waiter (release if none).
 * unlock: the clock is abstracted, so the front waiter is "due" or not at
 * will.  Not due: one pass, the front waiter is woken to compete.  Due:
 * pass 1 under the lock chooses a target among the queued lock callers
 * (the oldest in C; any of them here) and changes nothing else; pass 2
 * under the lock again hands the mutex to the target if it is still queued,
 * else (it timed out in between) the unlock starts over.  Between the passes
 * the mutex stays LOCKED|PARKED, so nobody can barge in and the target
 * cannot have left with a PARKED bit that misleads. */
inline mutex_unlock(force_fair) {
  holders--;
  atomic {
    if
    :: m == LOCKED -> m = 0; done = true      /* fast path: nobody parked */
    :: else -> done = false
    fi
  }
  do
  :: done -> break
  :: else ->
    assert(m & LOCKED);            /* "mutex is not locked" misuse check */
    lot_lock();
    head(MUTEX_ADDR, w, n);
    w2 = NOBODY;
    if
    :: force_fair || w == NOBODY -> skip
    :: !force_fair && w != NOBODY ->
      /* the front waiter's fairness time has come, or not */
      if
      :: true -> skip
      :: hook[w] == HOOK_MUTEX ->
        /* pass 1: choose a lock caller on the queue */
        k = 0;
        do
        :: k < NT && where[k] == MUTEX_ADDR && hook[k] == HOOK_MUTEX -> w2 = k; break
        :: k < NT -> k++
        :: else -> break
        od;
        k = 0
      fi
    fi;
    if
    :: w2 != NOBODY ->
#ifdef MUTANT_MUTEX_SCAN_RELEASES
      /* mutant: the first pass releases the byte as a compete wake does */
      if
      :: n > 1 || w != NOBODY -> m = PARKED
      :: else -> m = 0
      fi;
#endif
      lot_unlock();
      /* pass 2 */
      lot_lock();
      if
      :: where[w2] == MUTEX_ADDR ->
        unqueue(w2);
        dequeued[w2] = true;
        head(MUTEX_ADDR, w, n);
        unlock_hand_off(w2, n);
        lot_unlock();
        ptok[w2] = true;
        done = true
      :: else ->
#ifdef MUTANT_MUTEX_GONE_RELEASES
        /* mutant: the target left; release without waking anyone */
        head(MUTEX_ADDR, w, n);
        unlock_release(NOBODY, n);
        done = true;
#endif
        lot_unlock()               /* start over */
      fi
    :: else ->
      if
      :: w != NOBODY -> unqueue(w); dequeued[w] = true; n--
      :: else -> skip
      fi;
      if
      :: w != NOBODY && force_fair -> unlock_hand_off(w, n)
      :: else -> unlock_release(w, n)
      fi;
      lot_unlock();
      if
      :: w != NOBODY -> ptok[w] = true     /* parker_unpark after the lock */
      :: else -> skip
      fi;
      done = true
    fi;
    w = 0;
    n = 0;
    w2 = 0
  od;
  done = false
}

inline sync_init() {
  k = 0;
  do
  :: k < NT -> where[k] = NOWHERE; k++
  :: else -> break
  od
}
