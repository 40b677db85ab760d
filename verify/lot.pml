/*
 * lot.pml - the parking lot's two-phase wake, its timeout race and the
 * locking protocol of its per-address queues (src/lot.c: park_common,
 * lock_bucket_of_waiter, parker_lot_unpark_one, parker_lot_unpark_all /
 * wake_list, requeue_common), for NW waiters that park on address A, with
 * the extended calls' unpark token and timed_out hook: the token a waker
 * hands over must reach the waiter it claimed, also when that waiter's
 * deadline passed meanwhile, and timed_out must run exactly when the park
 * reports PARKER_TIMEDOUT.
 *
 * Two addresses, A and B, in two buckets, each with its own lock.  Each
 * address has one FIFO queue, changed only under its bucket's lock (in
 * src/lot.c the queue's head is a node of the bucket's treap; which entry
 * heads the queue and the promotion of the next one are steps inside one
 * lock hold, so a queue is modelled as an array).  A requeuer takes both
 * locks in table order and moves A's queue to the tail of B's, rewriting
 * each moved entry's key.  A waiter whose park timed out finds its bucket
 * from its key, read without a lock, so it must check the key again once
 * it holds the lock (lock_bucket_of_waiter); every change of a queue
 * asserts that the process holds that queue's bucket lock and that the
 * entry is where it thinks.
 *
 * Each waiter's queue entry (struct waiter) lives on its stack and holds its
 * own parker; `freed[i]` is set when waiter i returns and its entry goes out
 * of scope.  The entry's parker is modelled by its contract, which the
 * futex/keyed/posix models check: park_until returns OK iff it consumed the
 * token, TIMEDOUT only once the deadline has passed, and an unpark touches
 * the parker only in the exchange that publishes the token.
 *
 * The bucket locks (src/wordlock.c) are modelled as atomic test-and-set
 * locks that block; their own queueing is not modelled.
 */
#define OK       0
#define TIMEDOUT 1
#define AGAIN    2
#define NOBODY   255

#ifndef NW
#define NW 2
#endif

#define A 0
#define B 1
#define NOPID 255

bool blk[2];             /* the buckets' locks: A's bucket is 0, B's is 1 */
byte holder[2];          /* ghost: the process that holds each lock */
byte q[2 * NW];          /* per address a FIFO of waiters: q[a * NW + k] */
byte qlen[2];
byte key[NW];            /* struct waiter.key: the address w is queued on */
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

inline lock(b) {
  atomic { !blk[b] -> blk[b] = true; holder[b] = _pid }
}

inline unlock(b) {
  atomic { assert(holder[b] == _pid); holder[b] = NOPID; blk[b] = false }
}

/* queue_remove: w must be in a's queue, and a's bucket lock held */
inline q_remove(a, w) {
  assert(holder[a] == _pid);
  k = 0;
  do
  :: k < qlen[a] && q[a * NW + k] != w -> k++
  :: else -> break
  od;
  assert(k < qlen[a]);           /* w is in the queue it is taken from */
  do
  :: k + 1 < qlen[a] -> q[a * NW + k] = q[a * NW + k + 1]; k++
  :: else -> break
  od;
  qlen[a]--;
  queued[w] = false
}

/* enqueue: at the tail of a's queue, under a's bucket lock */
inline q_append(a, w) {
  assert(holder[a] == _pid);
  q[a * NW + qlen[a]] = w;
  qlen[a]++;
  queued[w] = true
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

/* park_common, one park on A with or without a deadline */
proctype waiter(byte i) {
  byte r, k, kb, kq;
  bool timed, dq;
  if
  :: timed = true
  :: timed = false
  fi;
  lock(A);
  if
  :: true ->                     /* validate() says the word changed */
    unlock(A);
    r = AGAIN
  :: true ->
    dequeued[i] = false;
    key[i] = A;
    q_append(A, i);              /* enqueue: a new head or behind the tail */
    unlock(A);
    entry_park(i, timed, r);
    if
    :: r == OK ->
      /* only a waker that dequeued us unparks our parker; its token was
       * written before that unpark */
      assert(dequeued[i]);
      assert(claimed_by[i] != 0 && token[i] == claimed_by[i])
    :: else ->
      /* lock_bucket_of_waiter: the key is read without a lock (a relaxed
       * atomic load in C); a requeue may rewrite it until we hold the
       * lock of the bucket it names */
      do
      :: kb = key[i];
         lock(kb);
#ifndef MUTANT_LOT_NO_RECHECK
         if
         :: key[i] == kb -> break
         :: else -> unlock(kb)
         fi
#else
         break                   /* mutant: trusts the key it read */
#endif
      od;
      dq = dequeued[i];
      if
      :: !dq ->
        kq = key[i];             /* the queue it leaves (requeue may have changed it) */
        q_remove(kq, i);
        tocalls[i]++             /* timed_out(arg, key, qlen[kq] == 0) */
      :: else ->
#ifdef MUTANT_LOT_TIMED_OUT_WHEN_CLAIMED
        tocalls[i]++;            /* mutant: the hook also for a claimed waiter */
#endif
        skip
      fi;
      unlock(kb);
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

/* parker_lot_unpark_one, on A or on B */
proctype waker_one() {
  byte w = NOBODY, k, a;
  bool more;
  if
  :: a = A
  :: a = B
  fi;
  lock(a);
  if
  :: qlen[a] > 0 ->
    w = q[a * NW];               /* the head: the oldest waiter on a */
    assert(!freed[w] && key[w] == a);
    q_remove(a, w);              /* the next one (if any) is promoted */
    more = (qlen[a] > 0);        /* has_more_waiters: the head had a next */
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
  unlock(a);
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

/* parker_lot_unpark_all on A: the whole queue leaves the treap under the
 * lock, then wake_list */
proctype waker_all() {
  byte list[NW], n = 0, j = 0, w, next, k;
  lock(A);
  do
  :: qlen[A] > 0 ->
    w = q[A * NW];
    q_remove(A, w);
    dequeued[w] = true;
    claimed_by[w] = 2;
    token[w] = 2;                /* unpark_all_ex's token */
    list[n] = w; n++;
    wakes++
  :: else -> break
  od;
  unlock(A);
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

/* parker_lot_requeue(A, B, 0, SIZE_MAX): both locks in table order, A's
 * queue detached by its head, each entry's key rewritten, appended to the
 * tail of B's queue */
proctype requeuer() {
  byte moved[NW], n = 0, j = 0, w, k;
  lock(A);
  lock(B);
  do
  :: qlen[A] > 0 ->
    w = q[A * NW];
    q_remove(A, w);
#ifndef MUTANT_LOT_KEY_AFTER_UNLOCK
    key[w] = B;
#endif
    moved[n] = w; n++
  :: else -> break
  od;
  do
  :: j < n -> q_append(B, moved[j]); j++
  :: else -> break
  od;
  unlock(B);
  unlock(A);
#ifdef MUTANT_LOT_KEY_AFTER_UNLOCK
  /* mutant: rewrites the keys once the locks are gone */
  j = 0;
  do
  :: j < n -> key[moved[j]] = B; j++
  :: else -> break
  od;
#endif
  finished++
}

init {
  byte i;
  atomic {
    holder[0] = NOPID;
    holder[1] = NOPID;
    for (i : 0 .. NW - 1) {
      run waiter(i)
    }
    run waker_one();
    run waker_all();
    run requeuer()
  }
}

active proctype monitor() {
  byte i;
  timeout ->
    for (i : 0 .. NW - 1) {
      /* no lost wake-up: nobody asleep with its token waiting */
      assert(!(asleep[i] && ptok[i]));
      /* a dequeued waiter is always woken */
      assert(!(dequeued[i] && !freed[i]));
      /* a waiter that is still asleep is queued on the address its key names */
      assert(freed[i] || !queued[i] || qlen[key[i]] > 0)
    }
    /* exactly once: every counted wake-up is one PARKER_OK, and back */
    assert(finished < NW + 3 || oks == wakes)
}
