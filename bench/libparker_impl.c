/*
 * libparker_impl.c - libparker as a contender.  Compiled once per backend
 * (BENCH_VARIANT = futex, posix), each time together with that backend's
 * copy of the library, with every parker_* identifier renamed by a
 * force-included header that bench/CMakeLists.txt generates (see there), so
 * that both backends live in one process and are measured side by side.
 */
#include "contender.h"

#include <parker.h>
#if defined(BENCH_HAVE_LOT)
#  include <parker_lot.h>
#endif
#if defined(BENCH_HAVE_LOCK)
#  include <parker_sync.h>
#endif

#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define STR2(x) #x
#define STR(x) STR2(x)
#define V(name) CAT(name, BENCH_VARIANT)

static void *lp_self(void)
{
    return parker_new();
}

static void lp_release(void *h)
{
    parker_free((parker_t *)h);
}

static void lp_park(void *h)
{
    parker_park((parker_t *)h);
}

static int lp_park_timeout(void *h, uint64_t ns)
{
    return parker_park_timeout((parker_t *)h, ns) == PARKER_OK ? 0 : 1;
}

static void lp_unpark(void *h)
{
    parker_unpark((parker_t *)h);
}

static void lp_fast_loop(void *h, uint64_t n)
{
    parker_t *p = (parker_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++) {
        parker_unpark(p);
        parker_park(p);
    }
}

static void lp_idle_loop(void *h, uint64_t n)
{
    parker_t *p = (parker_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++)
        parker_unpark(p);
    parker_park(p);
}

const bench_contender V(bench_libparker_) = {
    "libparker-" STR(BENCH_VARIANT),
    lp_self, lp_release, lp_park, lp_park_timeout, lp_unpark,
    lp_fast_loop, lp_idle_loop, sizeof(parker_t), NULL,
};

#if defined(BENCH_HAVE_LOT)
/*
 * The lot as a per-thread parker: the owner's 4-byte word goes
 * EMPTY -> PARKED before parker_lot_park compares it, and an unpark that
 * exchanges PARKED for NOTIFIED owes the lot an unpark_one.  This is how a
 * runtime would build an event on the lot, and the cost above the per-thread
 * parker is the lot's bucket lock and queue.
 */
enum { LOT_EMPTY = 0, LOT_NOTIFIED = 1, LOT_PARKED = 2 };

static void *lot_self(void)
{
    uint32_t *w = (uint32_t *)malloc(sizeof *w);
    if (w != NULL)
        __atomic_store_n(w, LOT_EMPTY, __ATOMIC_RELAXED);
    return w;
}

static void lot_release(void *h)
{
    free(h);
}

static int lot_wait(uint32_t *w, uint64_t timeout_ns)
{
    uint64_t deadline = timeout_ns == PARKER_FOREVER ? PARKER_FOREVER
                                                      : parker_now_ns() + timeout_ns;
    for (;;) {
        uint32_t s = LOT_NOTIFIED;
        uint32_t parked = LOT_PARKED;
        int r;
        if (__atomic_compare_exchange_n(w, &s, LOT_EMPTY, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return 0;
        if (s == LOT_EMPTY &&
            !__atomic_compare_exchange_n(w, &s, LOT_PARKED, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            continue; /* became NOTIFIED */
        r = parker_lot_park_until(w, &parked, sizeof *w, deadline, NULL);
        if (r == PARKER_TIMEDOUT) {
            /* Withdraw; a NOTIFIED found here is a token we just missed. */
            return __atomic_exchange_n(w, LOT_EMPTY, __ATOMIC_ACQUIRE) == LOT_NOTIFIED ? 0 : 1;
        }
    }
}

static void lot_park(void *h)
{
    (void)lot_wait((uint32_t *)h, PARKER_FOREVER);
}

static int lot_park_timeout(void *h, uint64_t ns)
{
    return lot_wait((uint32_t *)h, ns);
}

static void lot_unpark(void *h)
{
    if (__atomic_exchange_n((uint32_t *)h, LOT_NOTIFIED, __ATOMIC_RELEASE) == LOT_PARKED)
        (void)parker_lot_unpark_one(h, NULL, NULL);
}

static void lot_fast_loop(void *h, uint64_t n)
{
    uint64_t i;
    for (i = 0; i < n; i++) {
        lot_unpark(h);
        lot_park(h);
    }
}

static void lot_idle_loop(void *h, uint64_t n)
{
    uint64_t i;
    for (i = 0; i < n; i++)
        lot_unpark(h);
    lot_park(h);
}

const bench_contender V(bench_lot_) = {
    "lot-" STR(BENCH_VARIANT),
    lot_self, lot_release, lot_park, lot_park_timeout, lot_unpark,
    lot_fast_loop, lot_idle_loop, sizeof(uint32_t), "4-byte word + parker_lot_park/unpark_one",
};
#endif

#if defined(BENCH_HAVE_LOCK)
/* The library's 1-byte mutex (parker_sync.h), built on the lot. */
static void *el_create(void)
{
    parker_mutex_t *m = (parker_mutex_t *)calloc(1, sizeof *m);
    return m;
}

static void el_destroy(void *l)
{
    free(l);
}

static void el_lock(void *l)
{
    parker_mutex_lock((parker_mutex_t *)l);
}

static void el_unlock(void *l)
{
    parker_mutex_unlock((parker_mutex_t *)l);
}

const bench_lock_ops bench_lock_example = {
    "parker_mutex_t (" STR(BENCH_VARIANT) ")", el_create, el_destroy, el_lock, el_unlock,
    sizeof(parker_mutex_t),
};
#endif
