/*
 * event.c - the one-byte manual-reset event (parker_sync.h).
 *
 * States: UNSET (0), SET, and PARKED (unset, threads may be waiting).
 * set exchanges SET in (release: the writes before it happen-before every
 * acquire load that sees SET, and the lot carries them to the threads it
 * wakes) and, if the old value was PARKED, wakes every waiter.  A waiter
 * parks only while a validate under the queue lock sees PARKED, so set's
 * exchange + unpark_all cannot miss it.  reset only turns SET back into
 * UNSET; PARKED is cleared by the last waiter that times out (under the
 * queue lock) or by the next set.
 *
 * reset racing wait: a waiter woken by unpark_all returns PARKER_OK without
 * looking at the byte again, so a set quickly followed by reset still
 * releases every thread that was waiting (none goes back to sleep).  A wait
 * that starts after the reset, while that set is still inside unpark_all,
 * may be queued in time to be woken by it too; it also returns PARKER_OK,
 * and the set happened-before it, so the ordering guarantee still holds.
 *
 * Audit for issue 23 (a state change that takes no lock while the waiter
 * has begun its call but is not queued):
 *   - set with the byte UNSET (nobody announced) and reset (SET -> UNSET)
 *     take no lock.  A waiter that loaded UNSET and has not yet CASed in
 *     PARKED, or has but is not yet past its validate, can see neither:
 *     its CAS or validate finds UNSET again (or its own PARKED after the
 *     set's exchange has already found nobody to wake), and it sleeps until
 *     the next set.  So a set that is undone by a reset before a waiter on
 *     its way in has queued is missed by that waiter, also if its call
 *     began before the set.  This is not the wait group's promise and the
 *     header does not make it: it promises the pair only to waiters that
 *     were parked when set ran ("reset racing wait"), and says so.  While
 *     nobody resets, nothing is missed: SET stays until a reset, and every
 *     path of a waiter (first load, CAS, validate, the loop after AGAIN)
 *     looks at the byte again and returns on SET.  Giving the pair to every
 *     begun call would need a generation of sets, as the wait group has
 *     (issue 23); in one byte that would be 6 bits, wrapping within one
 *     preemption of a fast set/reset loop.
 *   - The last waiter's timed_out hook (PARKED -> UNSET) runs under the
 *     queue lock; it cannot hide a set (it only replaces PARKED).
 */
#include "sync/lock_algorithm.h"
#include "annotate.h"

#define EVENT_UNSET  0u
#define EVENT_SET    1u
#define EVENT_PARKED 2u

#define EVENT_WORD(e) (&(e)->private_state_)

static int event_validate(void *arg)
{
    return parker__load_relaxed_u8(EVENT_WORD((parker_event_t *)arg)) == EVENT_PARKED;
}

static void event_timed_out(void *arg, const void *address, int was_last_waiter)
{
    uint8_t v = EVENT_PARKED;
    (void)address;
    if (was_last_waiter) /* nobody left to wake: the next set can be fast */
        (void)parker__cas_strong_relaxed_u8(EVENT_WORD((parker_event_t *)arg), &v, (uint8_t)EVENT_UNSET);
}

void parker_event_set(parker_event_t *e)
{
    PARKER__SYNC_NOT_NULL("parker_event_set", e, "event");
    parker__ann_release(e);
    if (parker__xchg_acq_rel_u8(EVENT_WORD(e), (uint8_t)EVENT_SET) == EVENT_PARKED)
        (void)parker_lot_unpark_all(EVENT_WORD(e));
}

void parker_event_reset(parker_event_t *e)
{
    uint8_t v = EVENT_SET;
    PARKER__SYNC_NOT_NULL("parker_event_reset", e, "event");
    (void)parker__cas_strong_relaxed_u8(EVENT_WORD(e), &v, (uint8_t)EVENT_UNSET);
}

int parker_event_is_set(const parker_event_t *e)
{
    PARKER__SYNC_NOT_NULL("parker_event_is_set", e, "event");
    if (parker__load_acquire_u8(&e->private_state_) != EVENT_SET)
        return 0;
    parker__ann_acquire(e);
    return 1;
}

static int wait_until(parker_event_t *e, uint64_t deadline_ns)
{
    uint8_t *w = EVENT_WORD(e);
    for (;;) {
        uint8_t v = parker__load_acquire_u8(w);
        int r;
        if (v == EVENT_SET)
            return PARKER_OK;
        if (deadline_ns == 0) /* before any clock value: only check */
            return PARKER_TIMEDOUT;
        if (v == EVENT_UNSET && !parker__cas_strong_relaxed_u8(w, &v, (uint8_t)EVENT_PARKED))
            continue;
        r = parker_lot_park_ex(w, event_validate, NULL, event_timed_out, e, deadline_ns, NULL, 0,
                               NULL);
        if (r == PARKER_OK)
            return PARKER_OK; /* woken by a set: it happened-before (the lot orders it) */
        if (r == PARKER_TIMEDOUT)
            return parker__load_acquire_u8(w) == EVENT_SET ? PARKER_OK : PARKER_TIMEDOUT;
        /* PARKER_AGAIN: the byte changed before we slept; look again. */
    }
}

int parker_event_wait_until(parker_event_t *e, uint64_t deadline_ns)
{
    PARKER__SYNC_NOT_NULL("parker_event_wait_until", e, "event");
    return parker__ann_acquire_if_ok(e, wait_until(e, deadline_ns));
}

int parker_event_wait(parker_event_t *e, uint64_t timeout_ns)
{
    PARKER__SYNC_NOT_NULL("parker_event_wait", e, "event");
    return parker_event_wait_until(e, timeout_ns == 0 ? 0 : parker__sync_deadline(timeout_ns));
}
