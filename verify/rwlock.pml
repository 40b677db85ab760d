/*
 * rwlock.pml - the reader-writer lock's protocol (src/sync/rwlock.c) on the
 * extended lot calls: NR readers and NWR writers each take the lock once,
 * with or without a deadline; a writer then unlocks or downgrades.
 *
 * The word's fields are separate variables; every CAS / RMW of the C code
 * is one atomic block over them.  The lot is modelled by its contract
 * (parker_lot.h, checked by lot.pml and the cmocka suite):
 *   - park_ex: under the key's queue lock, validate decides; if it agrees
 *     the thread is queued (FIFO) and the lock is released; it then returns
 *     OK with the waker's token once a waker has taken it off the queue, or
 *     (timed) leaves by timeout: under the lock, if still queued it unlinks
 *     itself and the timed_out hook runs with was_last_waiter; if a waker
 *     took it first it waits for that wake and returns OK (exactly once);
 *   - unpark_filter / unpark_one_ex: under the queue lock, take waiters,
 *     run the callback (which may change the word and returns the token),
 *     release the lock, then wake the taken threads;
 *   - be_fair is any value (nondeterministic): every timing is explored.
 * Each key's queue lock is an atomic test-and-set (key1 and key2 may share
 * a bucket or not; separate locks are the weaker assumption).
 *
 * Properties (spin -a, cc -DSAFETY, ./pan: safety + invalid end states):
 *   - exclusion: a writer in its critical section is alone, with no read
 *     lock granted (rd == 0); readers never overlap a writer;
 *   - no lost wake-up: no thread can block forever (a process blocked
 *     anywhere but at its end is an invalid end state); timed waiters may
 *     give up, untimed ones must get the lock;
 *   - nothing left behind: when every thread has finished, the word is 0
 *     (no reader count, no WRITER, no stale parked bit).
 *
 * Mutants (each must be rejected; scripts/stages/models.sh):
 *   MUTANT_ABANDON_NO_WAKE   a writer that times out in phase 2 clears
 *                            WRITER but does not wake the threads it held
 *                            back (parking_lot #465): a reader sleeps forever
 *   MUTANT_FILTER_SKIPS_WRITER  the unlock wakes queued readers but no
 *                            writer: a queued writer sleeps forever
 *   MUTANT_VALIDATE_NO_RECHECK  a reader parks on what it saw before taking
 *                            the queue lock: an unlock in between is missed
 */

#define OK       0
#define TIMEDOUT 1
#define AGAIN    2

#define T_RETRY   0
#define T_HANDOFF 1
#define T_READ    2

#define W_UNLOCK    0
#define W_DOWNGRADE 1
#define W_ABANDON   2

#ifndef NR
#define NR 2
#endif
#ifndef NWR
#define NWR 2
#endif
#define NP (NR + NWR)

/* the word */
byte rd = 0;         /* read locks held */
bool wr = false;     /* WRITER */
bool pk = false;     /* PARKED (key1) */
bool wpk = false;    /* WRITER_PARKED (key2) */

/* the lot: two keys, FIFO queues, queue locks */
bool l1 = false, l2 = false;
byte q1[NP];
byte q1len = 0;
byte q2[1];
byte q2len = 0;
bool isw[NP];        /* park_arg: the waiter is a writer */
bool dq[NP];         /* taken off a queue by a waker */
bool woken[NP];      /* the waker's unpark has arrived */
byte tok[NP];

/* ghosts */
byte rin = 0, win = 0;
byte finished = 0;

inline lock1() { atomic { !l1 -> l1 = true } }
inline unlock1() { l1 = false }
inline lock2() { atomic { !l2 -> l2 = true } }
inline unlock2() { l2 = false }

inline q1_remove(w) {
  k = 0;
  do
  :: k < q1len && q1[k] != w -> k++
  :: else -> break
  od;
  assert(k < q1len);
  do
  :: k + 1 < q1len -> q1[k] = q1[k + 1]; k++
  :: else -> break
  od;
  q1len--
}

/* Wait for the waker's unpark, or leave by timeout (lot contract). */
inline wait1(i, timed, r) {
  if
  :: woken[i] -> woken[i] = false; r = OK
  :: timed ->
    lock1();
    if
    :: !dq[i] ->
      q1_remove(i);
      /* timed_out_key1: the last waiter clears PARKED */
      if
      :: q1len == 0 -> pk = false
      :: else -> skip
      fi;
      unlock1();
      r = TIMEDOUT
    :: else ->
      unlock1();
      woken[i];
      woken[i] = false;
      r = OK
    fi
  fi
}

/* wake_waiters: unpark_filter on key1 with wake_filter + wake_callback */
inline wake(mode) {
  lock1();
  nread = 0; tookw = false; n = 0;
  do
  :: n < q1len && !tookw ->
    j = q1[n];
#ifdef MUTANT_FILTER_SKIPS_WRITER
    if
    :: isw[j] -> n++        /* SKIP */
    :: else ->
      nread++; q1_remove(j); dq[j] = true; taken[j] = true
    fi
#else
    if
    :: isw[j] -> tookw = true
    :: else -> nread++
    fi;
    q1_remove(j); dq[j] = true; taken[j] = true
#endif
  :: else -> break
  od;
  more = (q1len > 0);
#ifndef MUTANT_FILTER_SKIPS_WRITER
  assert(!more || tookw);  /* waiters left behind depend on the woken writer */
#endif
  if
  :: mode == W_UNLOCK ->
    assert(wr && rd == 0);
    if
    :: (nread > 0 || tookw) -> /* be_fair: hand over */
      atomic { rd = nread; wr = tookw; pk = more; wpk = false };
      token = T_HANDOFF
    :: true ->                 /* not fair (or nobody): release, retry */
      atomic { rd = 0; wr = false; pk = more; wpk = false };
      token = T_RETRY
    fi
  :: mode == W_DOWNGRADE ->
    atomic { rd = rd + nread; if :: !more -> pk = false :: else -> skip fi };
    token = T_READ
  :: else ->
    atomic { if :: !more -> pk = false :: else -> skip fi };
    token = T_RETRY
  fi;
  for (j : 0 .. NP - 1) {
    if
    :: taken[j] -> tok[j] = token
    :: else -> skip
    fi
  };
  unlock1();
  for (j : 0 .. NP - 1) {
    if
    :: taken[j] -> taken[j] = false; woken[j] = true
    :: else -> skip
    fi
  }
}

inline rdunlock() {
  atomic { assert(rd > 0); oldrd = rd; oldwpk = wpk; rd-- };
  if
  :: oldrd == 1 && oldwpk ->
    /* unpark_one_ex(key2, clear_writer_parked) */
    lock2();
    if
    :: q2len > 0 -> j = q2[0]; q2len = 0; dq[j] = true; wpk = false; unlock2(); woken[j] = true
    :: else -> wpk = false; unlock2()
    fi
  :: else -> skip
  fi
}

inline read_section() {
  atomic { rin++; assert(win == 0) };
  rin--
}

proctype reader(byte i) {
  bool timed, got = false, v;
  byte r, k, j, n, nread, oldrd, token;
  bool oldwpk, tookw, more;
  bool taken[NP];        /* wake()'s list of threads it took (local) */
  isw[i] = false;
  if
  :: timed = true
  :: timed = false
  fi;
  do
  :: atomic { if :: !wr -> rd++; got = true :: else -> skip fi };
     if
     :: got -> break
     :: else -> skip
     fi;
     lock1();
#ifdef MUTANT_VALIDATE_NO_RECHECK
     atomic { pk = true; v = true };
#else
     atomic { if :: wr -> pk = true; v = true :: else -> v = false fi };
#endif
     if
     :: v ->
       dq[i] = false; q1[q1len] = i; q1len++;
       unlock1();
       wait1(i, timed, r);
       if
       :: r == OK && tok[i] != T_RETRY -> got = true; break
       :: r == TIMEDOUT -> break
       :: else -> skip
       fi
     :: else -> unlock1()
     fi
  od;
  if
  :: got -> read_section(); rdunlock()
  :: else -> skip
  fi;
  finished++
}

proctype writer(byte i) {
  bool timed, got = false, v, oldpk;
  byte r, k, j, n, nread, oldrd, token;
  bool oldwpk, tookw, more;
  bool taken[NP];
  isw[i] = true;
  if
  :: timed = true
  :: timed = false
  fi;
  /* phase 1: reserve WRITER */
  do
  :: atomic { if :: !wr -> wr = true; got = true :: else -> skip fi };
     if
     :: got -> break
     :: else -> skip
     fi;
     lock1();
     atomic { if :: wr -> pk = true; v = true :: else -> v = false fi };
     if
     :: v ->
       dq[i] = false; q1[q1len] = i; q1len++;
       unlock1();
       wait1(i, timed, r);
       if
       :: r == OK && tok[i] == T_HANDOFF -> got = true; break
       :: r == TIMEDOUT -> break
       :: else -> skip
       fi
     :: else -> unlock1()
     fi
  od;
  if
  :: !got -> goto done
  :: else -> skip
  fi;
  /* phase 2: wait for the readers to leave */
  do
  :: rd == 0 -> break
  :: else ->
    lock2();
    atomic { if :: rd > 0 -> wpk = true; v = true :: else -> v = false fi };
    if
    :: v ->
      dq[i] = false; q2[0] = i; q2len = 1;
      unlock2();
      if
      :: woken[i] -> woken[i] = false
      :: timed ->
        lock2();
        if
        :: !dq[i] -> q2len = 0; wpk = false; unlock2();
          if
          :: rd == 0 -> skip            /* they left just in time: keep it */
          :: else ->
            /* abandon_writer */
            atomic { oldpk = pk; wr = false; wpk = false };
#ifndef MUTANT_ABANDON_NO_WAKE
            if
            :: oldpk -> wake(W_ABANDON)
            :: else -> skip
            fi;
#endif
            got = false;
            goto done
          fi
        :: else -> unlock2(); woken[i]; woken[i] = false
        fi
      fi
    :: else -> unlock2()
    fi
  od;
  /* critical section */
  atomic { win++; assert(win == 1 && rin == 0 && rd == 0) };
  win--;
  if
  :: true -> /* wrunlock */
    atomic { assert(wr && rd == 0); oldpk = pk; if :: !pk -> wr = false :: else -> skip fi };
    if
    :: oldpk -> wake(W_UNLOCK)
    :: else -> skip
    fi
  :: true -> /* downgrade */
    atomic { assert(wr && rd == 0); oldpk = pk; wr = false; rd++ };
    if
    :: oldpk -> wake(W_DOWNGRADE)
    :: else -> skip
    fi;
    read_section();
    rdunlock()
  fi;
done:
  finished++
}

init {
  byte i;
  atomic {
    for (i : 0 .. NR - 1) {
      run reader(i)
    }
    for (i : NR .. NP - 1) {
      run writer(i)
    }
  }
}

active proctype monitor() {
  timeout ->
    /* nothing blocked for good, nothing left behind */
    assert(finished == NP);
    assert(rd == 0 && !wr && !pk && !wpk);
    assert(q1len == 0 && q2len == 0)
}
