/*
 * A program that uses libparker the way a downstream project would.  Built by
 * every consumer test (add_subdirectory, find_package, pkg-config, plain cc)
 * with -Wall -Wextra -Werror; exits non-zero if the library it got is not the
 * one its header describes or if a hand-off is lost.
 *
 * Two threads hand a token back and forth.  Every wait has a generous timeout
 * so a lost wake-up fails the run instead of hanging it.
 */
#define _POSIX_C_SOURCE 200809L
#include <parker.h>

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 2000
#define WAIT_NS (30ull * 1000 * 1000 * 1000)

#define STR2(x) #x
#define STR(x) STR2(x)

struct pair {
    parker_t ping; /* owned by main */
    parker_t pong; /* owned by the partner thread */
    unsigned long sent;
    unsigned long echoed;
    int timed_out;
};

static int fail(const char *what)
{
    fprintf(stderr, "consumer: FAIL: %s\n", what);
    return 1;
}

static void *partner(void *arg)
{
    struct pair *s = arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (parker_park_timeout(&s->pong, WAIT_NS) != PARKER_OK) {
            s->timed_out = 1;
            return NULL;
        }
        /* Plain accesses: the park/unpark pair orders them. */
        s->echoed = s->sent;
        parker_unpark(&s->ping);
    }
    return NULL;
}

struct align_probe {
    char c;
    parker_t p;
};

int main(void)
{
    const char *expect = STR(PARKER_VERSION_MAJOR) "." STR(PARKER_VERSION_MINOR) "." STR(
        PARKER_VERSION_PATCH);
    if (parker_version() != PARKER_VERSION_NUMBER)
        return fail("parker_version() differs from the header's PARKER_VERSION_NUMBER");
    if (strcmp(parker_version_string(), expect) != 0)
        return fail("parker_version_string() differs from the header's version");
#ifdef CONSUMER_PACKAGE_VERSION
    if (strcmp(CONSUMER_PACKAGE_VERSION, expect) != 0)
        return fail("the CMake package version differs from the header's version");
#endif
    if (parker_sizeof() != sizeof(parker_t))
        return fail("parker_sizeof() != sizeof(parker_t)");
    if (parker_alignof() != offsetof(struct align_probe, p))
        return fail("parker_alignof() differs from the compiler's alignment");

    parker_t *h = parker_new();
    if (h == NULL)
        return fail("parker_new");
    parker_unpark(h);
    if (parker_park_timeout(h, 0) != PARKER_OK)
        return fail("a token deposited on a parker_new parker was not consumed");
    parker_free(h);

    static struct pair s;
    if (parker_init(&s.ping) != 0 || parker_init(&s.pong) != 0)
        return fail("parker_init");
    pthread_t t;
    if (pthread_create(&t, NULL, partner, &s) != 0)
        return fail("pthread_create");
    for (int i = 0; i < ROUNDS; i++) {
        s.sent = (unsigned long)i + 1;
        parker_unpark(&s.pong);
        if (parker_park_timeout(&s.ping, WAIT_NS) != PARKER_OK)
            return fail("hand-off lost: no token came back within 30 s");
        if (s.echoed != (unsigned long)i + 1)
            return fail("the partner's write was not visible after park");
    }
    pthread_join(t, NULL);
    if (s.timed_out)
        return fail("the partner timed out");
    parker_destroy(&s.ping);
    parker_destroy(&s.pong);

    printf("consumer OK: libparker %s, backend %s, %d round trips\n", parker_version_string(),
           parker_backend(), ROUNDS);
    return 0;
}
