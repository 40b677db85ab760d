/*
 * uprwlock.pml - the composition in src/sync/uprwlock.c: upgradable reads
 * from a parker_rwlock_t and an "upgrade" mutex.
 *
 * The two parts are modelled by their contracts, each step atomic (their
 * own protocols are checked in rwlock.pml and mutex.pml):
 *   - the upgrade mutex: lock waits until free; a timed lock may give up;
 *   - the rwlock: rdlock waits while WRITER is set (reserved or held);
 *     wrlock is phase 1 (set WRITER while clear) then phase 2 (wait for
 *     the readers to leave), and a timed wrlock may give up in either
 *     phase, clearing WRITER again (abandon_writer); rdunlock/wrunlock and
 *     downgrade (WRITER off, one reader on, in one step).
 *
 * Processes: an upgrader (uplock, read the version, upgrade in one of the
 * three forms, check the version, write, then wrunlock or downgrade to
 * upgradable and upunlock), a writer (wrlock, blocking or timed; write;
 * wrunlock or downgrade to read) and a plain reader that may hold its read
 * lock across the upgrade.  Ghost "version" is bumped by every write.
 *
 * Properties: the version the upgrader read is unchanged when its upgrade
 * returns (no writer in between); nobody writes while a reader or another
 * writer holds the lock; every process ends (no deadlock, no lost wake-up:
 * a blocked step stays blocked for ever and spin reports it as an invalid
 * end state); the lock is free at the end.
 *
 * Mutants (must be rejected):
 *   MUTANT_WRITER_SKIPS_UP   a writer that does not take the upgrade mutex
 *                            gets in between an upgrade;
 *   MUTANT_UPGRADE_DROPS_UP  an upgrade that lets go of the upgrade mutex
 *                            while it switches from read to write;
 *   MUTANT_TIMEOUT_NO_RELOCK a timed upgrade that gives up without taking
 *                            its read lock back (the upunlock underflows).
 */

bit up;          /* the upgrade mutex */
bit writer;      /* WRITER: reserved or held */
byte readers;    /* read locks held */
bit write_held;  /* ghost: a writer is past phase 2 */
byte version;    /* ghost */
byte done;

inline up_lock() { atomic { up == 0 -> up = 1 } }
inline up_unlock() { assert(up == 1); up = 0 }

inline rd_lock() { atomic { writer == 0 -> readers++ } }
inline rd_unlock() { atomic { assert(readers > 0); readers-- } }

/* Blocking wrlock: phase 1 then phase 2. */
inline wr_lock() {
    atomic { writer == 0 -> writer = 1 };
    atomic { readers == 0 -> assert(write_held == 0); write_held = 1 }
}

/* Timed wrlock: ok = 1 if taken; may give up in either phase. */
inline wr_lock_timed(ok) {
    ok = 0;
    if
    :: atomic { writer == 0 -> writer = 1 };
       if
       :: atomic { readers == 0 -> assert(write_held == 0); write_held = 1; ok = 1 }
       :: atomic { readers != 0 -> writer = 0 } /* abandon_writer */
       fi
    :: skip /* the deadline passed in phase 1 */
    fi
}

inline wr_try(ok) {
    atomic {
        if
        :: writer == 0 && readers == 0 -> writer = 1; write_held = 1; ok = 1
        :: else -> ok = 0
        fi
    }
}

inline wr_unlock() { atomic { assert(write_held == 1 && readers == 0); write_held = 0; writer = 0 } }
inline downgrade() { atomic { assert(write_held == 1); write_held = 0; writer = 0; readers++ } }

/* The uprwlock calls. */
inline uwrlock() {
#ifdef MUTANT_WRITER_SKIPS_UP
    skip;
#else
    up_lock();
#endif
    wr_lock()
}
inline uwrunlock() {
    wr_unlock();
#ifndef MUTANT_WRITER_SKIPS_UP
    up_unlock()
#endif
}

active proctype upgrader()
{
    byte seen;
    bit ok;
    up_lock();
    rd_lock();
    seen = version;
    if
    :: /* parker_uprwlock_upgrade */
       rd_unlock();
#ifdef MUTANT_UPGRADE_DROPS_UP
       up_unlock();
       up_lock();
#endif
       wr_lock()
    :: /* parker_uprwlock_tryupgrade, retried as callers do */
       do
       :: rd_unlock();
          wr_try(ok);
          if
          :: ok -> break
          :: else -> rd_lock() /* back to upgradable */
          fi
       od
    :: /* parker_uprwlock_upgrade_until, retried after a timeout */
       do
       :: rd_unlock();
          wr_lock_timed(ok);
          if
          :: ok -> break
          :: else ->
#ifndef MUTANT_TIMEOUT_NO_RELOCK
             rd_lock();
#endif
             assert(version == seen); /* still valid while upgradable */
             if
             :: skip /* try again */
             :: rd_unlock(); up_unlock(); goto out /* give up: upunlock */
             fi
          fi
       od
    fi;
    assert(version == seen); /* no writer in between */
    version++;
    if
    :: wr_unlock(); up_unlock() /* wrunlock */
    :: downgrade(); /* to upgradable */
       assert(version == seen + 1);
       rd_unlock(); /* upunlock */
       up_unlock()
    fi;
out:
    done++
}

active proctype plain_writer()
{
    bit ok;
    if
    :: uwrlock(); version++; uwrunlock()
    :: /* timed */
#ifdef MUTANT_WRITER_SKIPS_UP
       wr_lock_timed(ok);
       if
       :: ok -> version++; wr_unlock()
       :: else -> skip
       fi
#else
       if
       :: up_lock();
          wr_lock_timed(ok);
          if
          :: ok -> version++; wr_unlock()
          :: else -> skip
          fi;
          up_unlock()
       :: skip /* gave up waiting for the upgrade mutex */
       fi
#endif
    :: uwrlock(); version++; downgrade();
#ifndef MUTANT_WRITER_SKIPS_UP
       up_unlock();
#endif
       rd_unlock()
    fi;
    done++
}

active proctype plain_reader()
{
    byte v;
    rd_lock();
    v = version;
    assert(write_held == 0);
    rd_unlock();
    done++
}

/* Runs last: everything ended and left the lock free. */
active proctype monitor()
{
    done == 3;
    assert(up == 0 && writer == 0 && readers == 0 && write_held == 0)
}
