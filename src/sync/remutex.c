/*
 * remutex.c - the reentrant mutex (parker_sync.h): a parker_mutex_t plus an
 * owner word and a depth.
 *
 * Owner identity is the address of the caller's parker_self(): the library
 * already keeps one such object per thread in its thread-local slot (the
 * backends' parker__tls_*), it lives as long as the thread, and so it is
 * unique among living threads without a thread-id API per platform.
 *
 * Why the owner check is sound with a relaxed load: the owner word only ever
 * holds the address of the thread that holds the inner mutex, or 0.  A
 * thread compares it with its own address; the only thread that can store
 * its own address there is itself, so "equal" can only be read by the owner,
 * which wrote it (program order).  Any other thread reads some other value
 * (another owner, or 0) and correctly concludes it is not the owner.  The
 * depth is touched only by the owner while it holds the inner mutex, whose
 * acquire/release orders it between successive owners.
 */
#include "sync/lock_algorithm.h"

static uintptr_t self_id(const char *func)
{
    parker_t *me = parker_self();
    if (me == NULL)
        parker__misuse(func, "no per-thread object (out of memory)");
    return (uintptr_t)me;
}

/* Called with the inner mutex just acquired. */
static void become_owner(parker_remutex_t *r, uintptr_t me)
{
    parker__store_relaxed_uptr(&r->private_owner_, me);
    r->private_count_ = 1;
}

/* 1 if the caller owns r (and then one level was added), else 0. */
static int relock_if_owner(parker_remutex_t *r, uintptr_t me, const char *func)
{
    if (parker__load_relaxed_uptr(&r->private_owner_) != me)
        return 0;
    if (r->private_count_ == UINT32_MAX)
        parker__misuse(func, "too many recursive locks");
    r->private_count_++;
    return 1;
}

void parker_remutex_lock(parker_remutex_t *r)
{
    uintptr_t me;
    PARKER__SYNC_NOT_NULL("parker_remutex_lock", r, "mutex");
    me = self_id("parker_remutex_lock");
    if (relock_if_owner(r, me, "parker_remutex_lock"))
        return;
    parker_mutex_lock(&r->private_mutex_);
    become_owner(r, me);
}

int parker_remutex_trylock(parker_remutex_t *r)
{
    uintptr_t me;
    PARKER__SYNC_NOT_NULL("parker_remutex_trylock", r, "mutex");
    me = self_id("parker_remutex_trylock");
    if (relock_if_owner(r, me, "parker_remutex_trylock"))
        return PARKER_OK;
    if (parker_mutex_trylock(&r->private_mutex_) != PARKER_OK)
        return PARKER_AGAIN;
    become_owner(r, me);
    return PARKER_OK;
}

int parker_remutex_lock_until(parker_remutex_t *r, uint64_t deadline_ns)
{
    uintptr_t me;
    PARKER__SYNC_NOT_NULL("parker_remutex_lock_until", r, "mutex");
    me = self_id("parker_remutex_lock_until");
    if (relock_if_owner(r, me, "parker_remutex_lock_until"))
        return PARKER_OK;
    if (parker_mutex_lock_until(&r->private_mutex_, deadline_ns) != PARKER_OK)
        return PARKER_TIMEDOUT;
    become_owner(r, me);
    return PARKER_OK;
}

int parker_remutex_lock_timeout(parker_remutex_t *r, uint64_t timeout_ns)
{
    uintptr_t me;
    PARKER__SYNC_NOT_NULL("parker_remutex_lock_timeout", r, "mutex");
    me = self_id("parker_remutex_lock_timeout");
    if (relock_if_owner(r, me, "parker_remutex_lock_timeout"))
        return PARKER_OK;
    /* The relative form of the inner mutex: 0 means one try. */
    if (parker_mutex_lock_timeout(&r->private_mutex_, timeout_ns) != PARKER_OK)
        return PARKER_TIMEDOUT;
    become_owner(r, me);
    return PARKER_OK;
}

void parker_remutex_unlock(parker_remutex_t *r)
{
    PARKER__SYNC_NOT_NULL("parker_remutex_unlock", r, "mutex");
    if (parker__load_relaxed_uptr(&r->private_owner_) != self_id("parker_remutex_unlock"))
        parker__misuse("parker_remutex_unlock", "not held by the calling thread");
    if (--r->private_count_ != 0)
        return;
    /* Clear the owner before the release: the next owner's store must not
     * be overwritten by ours. */
    parker__store_relaxed_uptr(&r->private_owner_, 0);
    parker_mutex_unlock(&r->private_mutex_);
}

uint32_t parker_remutex_depth(const parker_remutex_t *r)
{
    PARKER__SYNC_NOT_NULL("parker_remutex_depth", r, "mutex");
    if (parker__load_relaxed_uptr(&r->private_owner_) != self_id("parker_remutex_depth"))
        return 0;
    return r->private_count_;
}
