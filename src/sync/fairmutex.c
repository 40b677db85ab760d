/*
 * fairmutex.c - the fair mutex and parker_mutex_bump (parker_sync.h), both
 * on the plain mutex's protocol through its public calls only, so that they
 * follow whatever spin and barging policy mutex.c has.
 *
 * Why hand-off on every unlock gives strict FIFO: with the plain mutex's
 * protocol a queued waiter exists only while PARKED is set, and an unlock
 * that finds a waiter and hands off keeps LOCKED set: the lock is never
 * free while anybody is queued, so a trylock, a spinner or a newcomer
 * cannot take it out of turn, and the lot wakes queued threads oldest
 * first.  A timed-out waiter is removed under the queue lock and a waiter
 * that was chosen always owns the lock (the lot reports it woken), so no
 * hand-off is lost to a timeout either.
 */
#include "sync/lock_algorithm.h"

void parker_fairmutex_lock(parker_fairmutex_t *m)
{
    PARKER__SYNC_NOT_NULL("parker_fairmutex_lock", m, "mutex");
    parker_mutex_lock(&m->private_mutex_);
}

int parker_fairmutex_trylock(parker_fairmutex_t *m)
{
    PARKER__SYNC_NOT_NULL("parker_fairmutex_trylock", m, "mutex");
    return parker_mutex_trylock(&m->private_mutex_);
}

int parker_fairmutex_lock_timeout(parker_fairmutex_t *m, uint64_t timeout_ns)
{
    PARKER__SYNC_NOT_NULL("parker_fairmutex_lock_timeout", m, "mutex");
    return parker_mutex_lock_timeout(&m->private_mutex_, timeout_ns);
}

int parker_fairmutex_lock_until(parker_fairmutex_t *m, uint64_t deadline_ns)
{
    PARKER__SYNC_NOT_NULL("parker_fairmutex_lock_until", m, "mutex");
    return parker_mutex_lock_until(&m->private_mutex_, deadline_ns);
}

void parker_fairmutex_unlock(parker_fairmutex_t *m)
{
    PARKER__SYNC_NOT_NULL("parker_fairmutex_unlock", m, "mutex");
    parker_mutex_unlock_fair(&m->private_mutex_);
}

int parker_fairmutex_is_locked(const parker_fairmutex_t *m)
{
    PARKER__SYNC_NOT_NULL("parker_fairmutex_is_locked", m, "mutex");
    return parker_mutex_is_locked(&m->private_mutex_);
}

void parker_mutex_bump(parker_mutex_t *m)
{
    uint8_t v;
    PARKER__SYNC_NOT_NULL("parker_mutex_bump", m, "mutex");
    v = parker__load_relaxed_u8(PARKER__MUTEX_WORD(m));
    if (!(v & PARKER__MUTEX_LOCKED))
        parker__misuse("parker_mutex_bump", "mutex is not locked");
    /* PARKED clear: nobody is queued (lock_algorithm.h), nothing to do.  A
     * stale PARKED bit only costs one fair unlock that finds nobody and a
     * re-lock that is then uncontended. */
    if (!(v & PARKER__MUTEX_PARKED))
        return;
    parker_mutex_unlock_fair(m);
    parker_mutex_lock(m);
}
