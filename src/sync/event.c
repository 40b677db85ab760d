/*
 * event.c - the one-byte manual-reset event (parker_sync.h).
 *
 * The byte: bit 0 SET, bit 1 PARKED (unset, threads may be queued), bits
 * 2..7 a generation that every set which finds the event unset advances
 * (mod 64).  set turns SET on (release: the writes before it happen-before
 * every acquire load that sees what it wrote, and the lot carries them to
 * the threads it wakes) and, if PARKED was on, clears it and wakes every
 * waiter.  A waiter parks only while a validate under the queue lock sees
 * PARKED with SET off and the generation it began with, so set's RMW +
 * unpark_all cannot miss it.  reset only turns SET off; PARKED is cleared by
 * the last waiter that times out (under the queue lock) or by the next set.
 *
 * reset racing wait (the promise of parker_sync.h): a wait returns
 * PARKER_OK for every set after its call began, also one that a reset
 * undid before the waiter was queued.  A waiter woken by unpark_all returns
 * PARKER_OK without looking at the byte again.  A waiter that is not queued
 * yet when set runs (between the load that began its call and its park)
 * finds, at its validate or any later look, a generation other than the
 * one it began with, and returns PARKER_OK (acquire: reset is an RMW, so
 * the byte it leaves still carries the set's release).  Without the
 * generation, set + reset with nobody queued take no lock and leave the
 * byte as it was, and such a waiter would sleep through them (the shape of
 * issue 23).  The one gap: exactly a multiple of 64 sets, each undone by a
 * reset, between a waiter's first load and its validate (the header says
 * so); a wait group, with 32 bits to spare, keeps 2^32.
 *
 * Issue 23 audit: set with nobody queued and reset take no lock; the
 * generation above is why a waiter on its way cannot miss either.  The
 * last waiter's timed_out hook (PARKED off) runs under the queue lock and
 * keeps the generation, so it cannot hide a set.
 */
#include "sync/lock_algorithm.h"
#include "annotate.h"
#include "test_hooks.h"

#if defined(PARKER_TEST_HOOKS)
void (*parker__test_hook_event_wait)(void *event);
#endif

#define EVENT_SET     1u
#define EVENT_PARKED  2u
#define EVENT_GEN_ONE 4u

#define EVENT_WORD(e) (&(e)->private_state_)
#define gen_of(v)     ((uint8_t)((v) & ~(EVENT_SET | EVENT_PARKED)))

struct wait_ctx {
    uint8_t *word;
    uint8_t gen; /* the generation at the load that began the call */
};

static int event_validate(void *arg)
{
    struct wait_ctx *c = arg;
    return parker__load_relaxed_u8(c->word) == (uint8_t)(c->gen | EVENT_PARKED);
}

static void event_timed_out(void *arg, const void *address, int was_last_waiter)
{
    struct wait_ctx *c = arg;
    uint8_t v = parker__load_relaxed_u8(c->word);
    (void)address;
    /* Nobody left to wake: the next set can be fast.  Only PARKED goes; a
     * set since (SET, or another generation) is left alone. */
    if (was_last_waiter && (v & EVENT_PARKED) && !(v & EVENT_SET))
        (void)parker__cas_strong_relaxed_u8(c->word, &v, (uint8_t)(v & ~EVENT_PARKED));
}

void parker_event_set(parker_event_t *e)
{
    uint8_t *w, v, n;
    PARKER__SYNC_NOT_NULL("parker_event_set", e, "event");
    parker__ann_release(e);
    w = EVENT_WORD(e);
    v = parker__load_relaxed_u8(w);
    do {
        /* Already set: write the same byte anyway, so that this set's
         * release reaches every wait that sees SET from now on. */
        n = (v & EVENT_SET) ? v : (uint8_t)(gen_of(v) + EVENT_GEN_ONE) | EVENT_SET;
    } while (!parker__cas_weak_acq_rel_u8(w, &v, n));
    if (v & EVENT_PARKED)
        (void)parker_lot_unpark_all(w);
}

void parker_event_reset(parker_event_t *e)
{
    uint8_t *w, v;
    PARKER__SYNC_NOT_NULL("parker_event_reset", e, "event");
    w = EVENT_WORD(e);
    v = parker__load_relaxed_u8(w);
    while ((v & EVENT_SET) && !parker__cas_weak_relaxed_u8(w, &v, (uint8_t)(v & ~EVENT_SET))) {
    }
}

int parker_event_is_set(const parker_event_t *e)
{
    PARKER__SYNC_NOT_NULL("parker_event_is_set", e, "event");
    if (!(parker__load_acquire_u8(&e->private_state_) & EVENT_SET))
        return 0;
    parker__ann_acquire(e);
    return 1;
}

static int wait_until(parker_event_t *e, uint64_t deadline_ns)
{
    struct wait_ctx c;
    /* The call begins here.  Acquire: pairs with the set's release. */
    uint8_t v = parker__load_acquire_u8(EVENT_WORD(e));
    if (v & EVENT_SET)
        return PARKER_OK;
    if (deadline_ns == 0) /* before any clock value: only check */
        return PARKER_TIMEDOUT;
    c.word = EVENT_WORD(e);
    c.gen = gen_of(v);
    PARKER__TEST_HOOK(event_wait, e);
    for (;;) {
        int r;
        if ((v & EVENT_SET) || gen_of(v) != c.gen)
            return PARKER_OK; /* a set since the call began (perhaps reset since) */
        if (!(v & EVENT_PARKED) &&
            !parker__cas_strong_acquire_u8(c.word, &v, (uint8_t)(v | EVENT_PARKED)))
            continue;
        r = parker_lot_park_ex(c.word, event_validate, NULL, event_timed_out, &c, deadline_ns,
                               NULL, 0, NULL);
        if (r == PARKER_OK)
            return PARKER_OK; /* woken by a set: it happened-before (the lot orders it) */
        v = parker__load_acquire_u8(c.word);
        if (r == PARKER_TIMEDOUT)
            return (v & EVENT_SET) || gen_of(v) != c.gen ? PARKER_OK : PARKER_TIMEDOUT;
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
