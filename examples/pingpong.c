/* pingpong.c - two threads hand a token back and forth with parkers. */
#include <parker.h>

#include <pthread.h>
#include <stdio.h>

#define ROUNDS 100000

static parker_t ping, pong;
static long payload; /* plain: park/unpark order it */

static void *ponger(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        parker_park(&pong);
        payload++;
        parker_unpark(&ping);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    uint64_t t0;
    if (parker_init(&ping) != 0 || parker_init(&pong) != 0)
        return 1;
    pthread_create(&t, NULL, ponger, NULL);
    t0 = parker_now_ns();
    for (int i = 0; i < ROUNDS; i++) {
        payload++;
        parker_unpark(&pong);
        parker_park(&ping);
    }
    pthread_join(t, NULL);
    printf("backend %s: %d round trips, %.2f us each, payload %ld\n", parker_backend(), ROUNDS,
           (double)(parker_now_ns() - t0) / ROUNDS / 1000.0, payload);
    parker_destroy(&ping);
    parker_destroy(&pong);
    return payload == 2 * ROUNDS ? 0 : 1;
}
