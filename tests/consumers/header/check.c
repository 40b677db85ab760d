/*
 * The public headers must compile cleanly as C99 and C11 with
 * -Wall -Wextra -Wpedantic -Werror in a consumer's build.  The stage script
 * compiles this file once per standard and compiler, links it and runs it.
 * CONSUMER_HAVE_LOT is defined when include/parker_lot.h exists,
 * CONSUMER_HAVE_SYNC when include/parker_sync.h does.
 */
#include <parker.h>
#ifdef CONSUMER_HAVE_LOT
#include <parker_lot.h>
#endif
#ifdef CONSUMER_HAVE_SYNC
#include <parker_sync.h>
#include <parker_sync.h>
#endif
/* Twice: the include guards must hold. */
#include <parker.h>

#include <stdio.h>

/* Every function can be taken by address: nothing is a macro. */
typedef void (*parker_fn)(parker_t *);
static const parker_fn by_address[] = {parker_park, parker_unpark, parker_destroy,
                                       parker_free};

#ifdef CONSUMER_HAVE_SYNC
static int init_once(void *arg)
{
    return arg == NULL ? 0 : 1;
}
#endif

int main(void)
{
    parker_t p;
    if (parker_init(&p) != 0)
        return 1;
    parker_unpark(&p);
    if (parker_park_timeout(&p, 0) != PARKER_OK)
        return 2;
    if (parker_park_until(&p, 0) != PARKER_TIMEDOUT)
        return 3;
    if (parker_park_timeout(NULL, 0) != PARKER_INVALID)
        return 4;
    parker_destroy(&p);
    if (parker_version() != PARKER_VERSION_NUMBER || by_address[0] == NULL)
        return 5;
#ifdef CONSUMER_HAVE_SYNC
    {
        /* The static initialisers, and one call of each object. */
        static parker_mutex_t m = PARKER_MUTEX_INIT;
        static parker_cond_t c = PARKER_COND_INIT;
        static parker_once_t o = PARKER_ONCE_INIT;
        static parker_event_t e = PARKER_EVENT_INIT;
        void (*lock_fn)(parker_mutex_t *) = parker_mutex_lock; /* not a macro */
        lock_fn(&m);
        if (parker_cond_wait_timeout(&c, &m, 0) != PARKER_TIMEDOUT || !parker_mutex_is_locked(&m))
            return 6;
        parker_mutex_unlock(&m);
        if (parker_once(&o, init_once, NULL) != 0 || !parker_once_is_done(&o))
            return 7;
        parker_event_set(&e);
        if (parker_event_wait(&e, 0) != PARKER_OK || parker_mutex_trylock(&m) != PARKER_OK)
            return 8;
        parker_mutex_unlock(&m);
        if (sizeof(parker_mutex_t) != 1 || sizeof(parker_cond_t) > sizeof(void *))
            return 9;
    }
#endif
    printf("header check (C %ld) OK\n", (long)__STDC_VERSION__);
    return 0;
}
