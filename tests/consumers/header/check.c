/*
 * The public headers must compile cleanly as C99 and C11 with
 * -Wall -Wextra -Wpedantic -Werror in a consumer's build.  The stage script
 * compiles this file once per standard and compiler, links it and runs it.
 * CONSUMER_HAVE_LOT is defined when include/parker_lot.h exists.
 */
#include <parker.h>
#ifdef CONSUMER_HAVE_LOT
#include <parker_lot.h>
#endif
/* Twice: the include guards must hold. */
#include <parker.h>

#include <stdio.h>

/* Every function can be taken by address: nothing is a macro. */
typedef void (*parker_fn)(parker_t *);
static const parker_fn by_address[] = {parker_park, parker_unpark, parker_destroy,
                                       parker_free};

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
    printf("header check (C %ld) OK\n", (long)__STDC_VERSION__);
    return 0;
}
