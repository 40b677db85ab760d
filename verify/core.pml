/*
 * core.pml - the shared core of src/parker.c (try_consume, park_slow,
 * parker_unpark and the PARKER_TEST_SPURIOUS wrapper backend_wait), written
 * against the backend seam of src/backend.h.  A backend model defines, before
 * including this file:
 *
 *   inline sys_wait(timed, cw)  parker__sys_wait: block, or return early;
 *                               cw = 1 if it consumed a rendezvous wake
 *   inline sys_wake(me)         parker__sys_wake, called by unparker `me`
 *   inline sys_absorb()         parker__sys_absorb
 *   SLEEPING                    true while the owner is blocked in sys_wait
 *
 * Ghost state (not in the C code, used only by the assertions):
 *   token    an unpark's token is outstanding (set by the exchange that
 *            publishes NOTIFIED, cleared when a park consumes it)
 *   freed    the owner has destroyed and freed the parker
 *   expired  parker__sys_now_ns() has reached the current park's deadline
 *   xchgs    unparks whose exchange has happened
 *
 * Mutants (spin -DMUTANT_...): see README.md.
 */
/* A park consumes a token: there must be one (no spurious OK). */
inline consume() {
  assert(token);
  token = false
}

/* parker__sys_now_ns() >= deadline.  The clock may pass the deadline at any
 * moment, and once passed it stays passed (monotonic). */
inline clock_check(timed, passed) {
  atomic {
    if
    :: timed && !expired -> expired = true
    :: true -> skip
    fi;
    passed = (timed && expired)
  }
}

/* backend_wait in parker.c: with PARKER_TEST_SPURIOUS the wait may return
 * at once (case 0) or wait against an earlier deadline (case 1).  Both are
 * also what EINTR and clamped timeouts do, so the model always allows them,
 * a bounded number of times so that a lost wake-up still shows as a hang. */
inline backend_wait(timed, cw) {
  if
  :: spurious < MAXSPUR -> spurious++; cw = false
  :: spurious < MAXSPUR -> spurious++; sys_wait(true, cw)
  :: true -> sys_wait(timed, cw)
  fi
}

/* park_slow(p, deadline) from the first deadline check to the return. */
inline park_slow(timed, res) {
  clock_check(timed, passed);
  if
  :: passed -> res = TIMEDOUT
  :: else ->
    /* spin_for_token: relaxed looks, a CAS NOTIFIED -> EMPTY when one is
     * seen; or the budget runs out.  Only the owner moves the word away from
     * NOTIFIED, so look + CAS is one step here. */
    if
    :: atomic { state == NOTIFIED -> state = EMPTY; consume() }; res = OK
    :: true -> res = NONE
    fi;
    if
    :: res == NONE ->
      /* cas_relaxed(EMPTY -> PARKED) */
      atomic {
        seen = state;
        if
        :: state == EMPTY -> state = PARKED
        :: else -> skip
        fi
      }
      if
      :: seen == NOTIFIED ->
        /* cas_acquire(NOTIFIED -> EMPTY) must succeed, else misuse abort */
        atomic { assert(state == NOTIFIED); state = EMPTY; consume() };
        res = OK
      :: seen == EMPTY ->
        do
        :: true ->
          backend_wait(timed, cw);
          /* cas_acquire(NOTIFIED -> EMPTY) */
          atomic {
            seen = state;
            if
            :: state == NOTIFIED -> state = EMPTY; consume()
            :: else -> skip
            fi
          }
          if
          :: seen == NOTIFIED ->
#ifndef MUTANT_ALWAYS_ABSORB
            if
            :: !cw -> sys_absorb()
            :: else -> skip
            fi;
#else
            sys_absorb();
#endif
            res = OK;
            break
          :: seen == PARKED ->
            clock_check(timed, passed);
            if
            :: passed ->
#ifndef MUTANT_TIMEOUT_STORE
              /* xchg_acquire(EMPTY): decides OK or TIMEDOUT */
              atomic {
                seen = state;
                state = EMPTY;
                if
                :: seen == NOTIFIED -> consume()
                :: else -> skip
                fi
              }
#else
              /* mutant: load, then a plain store of EMPTY */
              seen = state;
              state = EMPTY;
#endif
              if
              :: seen == NOTIFIED ->
#ifndef MUTANT_NO_ABSORB
                sys_absorb();
#endif
                res = OK
              :: else ->
                assert(seen != EMPTY);
                res = TIMEDOUT
              fi;
              break
            :: else -> skip   /* early, spurious or clamped: wait again */
            fi
          :: else -> assert(false)  /* "state changed under a parked thread" */
          fi
        od
      :: else -> assert(false)      /* "two threads parked" / corrupted */
      fi
    :: else -> skip
    fi
  fi
}

/* parker_park / parker_park_timeout / parker_park_until: try_consume, then
 * park_slow. */
inline park(timed, res) {
  expired = false;
  atomic {
    if
    :: state == NOTIFIED -> state = EMPTY; consume(); res = OK
    :: else -> assert(state == EMPTY); res = NONE
    fi
  }
  if
  :: res == NONE -> park_slow(timed, res)
  :: else -> skip
  fi;
  /* never early: TIMEDOUT only once the deadline has passed */
  assert(res == OK || (res == TIMEDOUT && timed && expired))
}

/* parker_unpark.  After the exchange only the backend's wake runs, and it
 * may use the parker's address only as a key. */
inline unpark(me) {
#ifndef MUTANT_UNPARK_LOADSTORE
  atomic {
    assert(!freed);
    old = state;
    state = NOTIFIED;
    token = true;
    xchgs++
  }
#else
  /* mutant: a load, then a store (not one exchange) */
  atomic { assert(!freed); old = state };
  atomic { assert(!freed); state = NOTIFIED; token = true; xchgs++ };
#endif
  if
  :: old == PARKED -> sys_wake(me)
  :: else -> skip
  fi
}

/* The owner: NPARKS parks, each with or without a deadline; after the last
 * one returned OK and every unpark has made its token visible, it frees the
 * parker ("destroy right after park"). */
active proctype owner() {
  byte res, seen, i, rid;
  bool timed, passed, cw, acw;
  for (i : 1 .. NPARKS) {
    if
    :: timed = true
    :: timed = false
    fi;
    park(timed, res)
  }
  if
  :: res == OK && xchgs == NUNPARKERS -> freed = true
  :: else -> skip
  fi
}

active [NUNPARKERS] proctype unparker() {
  byte old;
  unpark(_pid - 1)
}

/* Runs only when nothing else can move (a hang, or everybody finished). */
active proctype monitor() {
  timeout ->
    /* no lost wake-up: never asleep with a token waiting */
    assert(!(SLEEPING && state == NOTIFIED));
    /* tokens are neither lost nor invented */
    assert(freed || token == (state == NOTIFIED))
}
