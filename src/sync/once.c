/*
 * once.c - the one-byte once flag (parker_sync.h), CPython's rule: init
 * returning non-zero leaves the flag not done, and the next caller (a
 * waiting one or a later one) runs init again.
 *
 * States: NEW (0), DONE, RUNNING, and RUNNING|PARKED while threads wait.
 * The thread that moves NEW -> RUNNING runs init; it publishes the outcome
 * with one exchange (release: init's writes happen-before every acquire load
 * that sees DONE) and, if the exchange shows PARKED, wakes every waiter.  A
 * waiter parks only while a validate under the queue lock sees
 * RUNNING|PARKED, so that exchange + unpark_all cannot miss it.  Waiters
 * park at once (no spinning): init may take arbitrarily long.
 *
 * Audit for issue 23 (a state change that takes no lock while a caller has
 * begun its call but is not queued): NEW -> RUNNING (the CAS that elects
 * the runner) and RUNNING -> DONE/NEW with PARKED clear (the exchange, no
 * unpark) take no lock.  A caller on its way to park cannot miss either in
 * a way the policy forbids: DONE is final, and every step of the caller
 * (the loop's load, the CAS that sets PARKED, the validate under the lock)
 * looks at the byte again, so it returns 0 whenever the once is done, by
 * whichever run.  A failed run (RUNNING -> NEW) that it did not see because
 * another caller has already moved NEW -> RUNNING again means that caller
 * is the one retrying init, which the policy allows ("the next caller, one
 * of the waiting ones or a later one"); the waiter then parks with PARKED
 * set under the lock, and that run's exchange wakes it.  Nothing here is a
 * "has been X at some moment" promise that could be lost.
 */
#include "sync/lock_algorithm.h"
#include "annotate.h"

#define ONCE_NEW     0u
#define ONCE_DONE    1u
#define ONCE_RUNNING 2u
#define ONCE_PARKED  4u

#define ONCE_WORD(o) (&(o)->private_state_)

static int once_validate(void *arg)
{
    return parker__load_relaxed_u8(ONCE_WORD((parker_once_t *)arg)) == (ONCE_RUNNING | ONCE_PARKED);
}

static int once_slow(parker_once_t *o, int (*init)(void *), void *arg)
{
    uint8_t *w = ONCE_WORD(o);
    for (;;) {
        uint8_t v = parker__load_acquire_u8(w);
        if (v == ONCE_DONE)
            return 0;
        if (v == ONCE_NEW) {
            int r;
            uint8_t old;
            /* Acquire: a failed earlier attempt's writes are visible to the
             * retry, as if the attempts ran under one lock. */
            if (!parker__cas_strong_acquire_u8(w, &v, (uint8_t)ONCE_RUNNING))
                continue;
            parker__ann_acquire(o); /* a failed attempt's writes reach the retry */
            r = init(arg);
            parker__ann_release(o);
            old = parker__xchg_acq_rel_u8(w, (uint8_t)(r == 0 ? ONCE_DONE : ONCE_NEW));
            if (old & ONCE_PARKED)
                (void)parker_lot_unpark_all(w); /* after a failure they race to retry */
            return r;
        }
        if (!(v & ONCE_PARKED) &&
            !parker__cas_strong_relaxed_u8(w, &v, (uint8_t)(v | ONCE_PARKED)))
            continue;
        /* park_if, not park: no watching of the word before queueing. */
        (void)parker_lot_park_if(w, once_validate, NULL, o, PARKER_FOREVER, NULL);
    }
}

int parker_once(parker_once_t *o, int (*init)(void *), void *arg)
{
    int r;
    PARKER__SYNC_NOT_NULL("parker_once", o, "once flag");
    PARKER__SYNC_NOT_NULL("parker_once", init, "init function");
    if (parker__load_acquire_u8(ONCE_WORD(o)) == ONCE_DONE) {
        parker__ann_acquire(o); /* init's writes happen-before every return */
        return 0;
    }
    r = once_slow(o, init, arg);
    parker__ann_acquire(o);
    return r;
}

int parker_once_is_done(const parker_once_t *o)
{
    PARKER__SYNC_NOT_NULL("parker_once_is_done", o, "once flag");
    if (parker__load_acquire_u8(&o->private_state_) != ONCE_DONE)
        return 0;
    parker__ann_acquire(o);
    return 1;
}
