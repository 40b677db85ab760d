/*
 * uprwlock.c - the reader-writer lock with upgradable reads (parker_sync.h):
 * a parker_rwlock_t plus an "upgrade" mutex, composed from their public
 * calls only, so the rwlock's word, its model and its writer-preference and
 * hand-off rules stay exactly as they are.
 *
 * The one invariant everything rests on: the upgrade mutex is held by the
 * upgradable reader for its whole hold and by every writer from before it
 * reserves the write lock until it has released it (or given up).  Hence
 * while the upgradable reader holds it, no thread holds or has reserved the
 * inner write lock, and no thread can take it, so the upgrade may drop its
 * read lock and take the write lock in two steps without any writer
 * getting in between; plain readers that slip into the gap change nothing
 * (the upgrader's write lock then waits for them).  The read lock it keeps
 * until then is what makes "no writer in between" hold also for writers
 * that already waited, and it cannot block on re-taking a read lock after a
 * timed-out upgrade: nobody can hold or reserve the write lock meanwhile.
 *
 * Why writers keep the upgrade mutex for their whole hold (not only while
 * they acquire): a writer downgrading to an upgradable read needs it, and
 * taking it then could deadlock against an upgradable reader that holds it
 * while it waits for the writer's read lock.
 *
 * The protocol is model-checked in verify/uprwlock.pml, with a mutant whose
 * writer skips the upgrade mutex (and so gets in between an upgrade).
 */
#include "sync/lock_algorithm.h"

#define UP(l) (&(l)->private_up_)
#define RW(l) (&(l)->private_rw_)

void parker_uprwlock_rdlock(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_rdlock", l, "rwlock");
    parker_rwlock_rdlock(RW(l));
}

int parker_uprwlock_tryrdlock(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_tryrdlock", l, "rwlock");
    return parker_rwlock_tryrdlock(RW(l));
}

int parker_uprwlock_rdlock_until(parker_uprwlock_t *l, uint64_t deadline_ns)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_rdlock_until", l, "rwlock");
    return parker_rwlock_rdlock_until(RW(l), deadline_ns);
}

void parker_uprwlock_rdunlock(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_rdunlock", l, "rwlock");
    parker_rwlock_rdunlock(RW(l));
}

void parker_uprwlock_wrlock(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_wrlock", l, "rwlock");
    parker_mutex_lock(UP(l));
    parker_rwlock_wrlock(RW(l));
}

int parker_uprwlock_trywrlock(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_trywrlock", l, "rwlock");
    if (parker_mutex_trylock(UP(l)) != PARKER_OK)
        return PARKER_AGAIN;
    if (parker_rwlock_trywrlock(RW(l)) != PARKER_OK) {
        parker_mutex_unlock(UP(l));
        return PARKER_AGAIN;
    }
    return PARKER_OK;
}

int parker_uprwlock_wrlock_until(parker_uprwlock_t *l, uint64_t deadline_ns)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_wrlock_until", l, "rwlock");
    if (parker_mutex_lock_until(UP(l), deadline_ns) != PARKER_OK)
        return PARKER_TIMEDOUT;
    if (parker_rwlock_wrlock_until(RW(l), deadline_ns) != PARKER_OK) {
        /* The rwlock already undid its reservation (and let the readers it
         * held back in); give the upgrade mutex back too. */
        parker_mutex_unlock(UP(l));
        return PARKER_TIMEDOUT;
    }
    return PARKER_OK;
}

void parker_uprwlock_wrunlock(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_wrunlock", l, "rwlock");
    if (!parker_mutex_is_locked(UP(l)))
        parker__misuse("parker_uprwlock_wrunlock", "the lock is not write-locked");
    parker_rwlock_wrunlock(RW(l)); /* aborts if not write-locked */
    parker_mutex_unlock(UP(l));
}

void parker_uprwlock_uplock(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_uplock", l, "rwlock");
    parker_mutex_lock(UP(l));
    /* No writer holds or reserves the write lock now (it would hold the
     * upgrade mutex), so this read lock waits for nobody. */
    parker_rwlock_rdlock(RW(l));
}

int parker_uprwlock_tryuplock(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_tryuplock", l, "rwlock");
    if (parker_mutex_trylock(UP(l)) != PARKER_OK)
        return PARKER_AGAIN;
    parker_rwlock_rdlock(RW(l)); /* never waits, as in uplock */
    return PARKER_OK;
}

int parker_uprwlock_uplock_until(parker_uprwlock_t *l, uint64_t deadline_ns)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_uplock_until", l, "rwlock");
    if (parker_mutex_lock_until(UP(l), deadline_ns) != PARKER_OK)
        return PARKER_TIMEDOUT;
    parker_rwlock_rdlock(RW(l)); /* never waits, as in uplock */
    return PARKER_OK;
}

static void check_upgradable(parker_uprwlock_t *l, const char *func)
{
    PARKER__SYNC_NOT_NULL(func, l, "rwlock");
    if (!parker_mutex_is_locked(UP(l)))
        parker__misuse(func, "no upgradable read lock is held");
}

void parker_uprwlock_upunlock(parker_uprwlock_t *l)
{
    check_upgradable(l, "parker_uprwlock_upunlock");
    parker_rwlock_rdunlock(RW(l));
    parker_mutex_unlock(UP(l));
}

void parker_uprwlock_upgrade(parker_uprwlock_t *l)
{
    check_upgradable(l, "parker_uprwlock_upgrade");
    /* Drop the read lock and reserve the write lock: only plain readers can
     * come in between, since every writer needs the upgrade mutex. */
    parker_rwlock_rdunlock(RW(l));
    parker_rwlock_wrlock(RW(l));
}

int parker_uprwlock_tryupgrade(parker_uprwlock_t *l)
{
    check_upgradable(l, "parker_uprwlock_tryupgrade");
    parker_rwlock_rdunlock(RW(l));
    if (parker_rwlock_trywrlock(RW(l)) == PARKER_OK)
        return PARKER_OK;
    /* Other readers hold it: back to where we were.  Nobody holds or
     * reserves the write lock, so this read lock waits for nobody. */
    parker_rwlock_rdlock(RW(l));
    return PARKER_AGAIN;
}

int parker_uprwlock_upgrade_until(parker_uprwlock_t *l, uint64_t deadline_ns)
{
    check_upgradable(l, "parker_uprwlock_upgrade_until");
    parker_rwlock_rdunlock(RW(l));
    if (parker_rwlock_wrlock_until(RW(l), deadline_ns) == PARKER_OK)
        return PARKER_OK;
    /* The rwlock dropped the reservation and woke the readers it held back;
     * take our read lock again (waits for nobody, as above). */
    parker_rwlock_rdlock(RW(l));
    return PARKER_TIMEDOUT;
}

void parker_uprwlock_downgrade_to_upgradable(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_downgrade_to_upgradable", l, "rwlock");
    parker_rwlock_downgrade(RW(l)); /* aborts if not write-locked */
}

void parker_uprwlock_downgrade(parker_uprwlock_t *l)
{
    PARKER__SYNC_NOT_NULL("parker_uprwlock_downgrade", l, "rwlock");
    parker_rwlock_downgrade(RW(l));
    parker_mutex_unlock(UP(l));
}

void parker_uprwlock_downgrade_upgradable(parker_uprwlock_t *l)
{
    check_upgradable(l, "parker_uprwlock_downgrade_upgradable");
    parker_mutex_unlock(UP(l));
}
