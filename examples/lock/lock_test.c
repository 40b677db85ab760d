/*
 * lock_test.c - the example mutex and event keep their promises.
 * A plain program (exit status 0 = pass) so that it needs no test framework.
 */
#include "parker_example_lock.h"

#include <parker.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 4
#define ROUNDS 100000

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

static parker_example_mutex_t mutex;
static long counter; /* plain: only ever touched under the mutex */
static int ready;    /* start gate, so that the threads really contend */

static void *hammer(void *arg)
{
    int i;
    (void)arg;
    __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < THREADS) {
    }
    for (i = 0; i < ROUNDS; i++) {
        parker_example_mutex_lock(&mutex);
        /* A read-modify-write spread out in time, so that two threads
         * inside at once would lose an increment. */
        {
            long v = counter;
            __asm__ __volatile__("" ::: "memory");
            counter = v + 1;
        }
        parker_example_mutex_unlock(&mutex);
    }
    return NULL;
}

/* Mutual exclusion and no lost wake-up: an exact count, and no hang. */
static void test_mutex_counts_exactly_under_contention(void)
{
    pthread_t t[THREADS];
    int i;
    parker_example_mutex_init(&mutex);
    for (i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, hammer, NULL) == 0);
    for (i = 0; i < THREADS; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    CHECK(counter == (long)THREADS * ROUNDS);
    CHECK(mutex.v == 0); /* no stale LOCKED or HAS_PARKED bit left */
}

static void test_mutex_trylock_and_timed_lock(void)
{
    uint64_t t0, elapsed;
    parker_example_mutex_init(&mutex);
    CHECK(parker_example_mutex_trylock(&mutex) == 1);
    CHECK(parker_example_mutex_trylock(&mutex) == 0);
    t0 = parker_now_ns();
    CHECK(parker_example_mutex_lock_timed(&mutex, 20000000u) == 0);
    elapsed = parker_now_ns() - t0;
    CHECK(elapsed >= 20000000u); /* never early */
    CHECK(parker_example_mutex_lock_timed(&mutex, 0) == 0);
    parker_example_mutex_unlock(&mutex); /* clears the stale HAS_PARKED bit */
    CHECK(mutex.v == 0);
    CHECK(parker_example_mutex_lock_timed(&mutex, 1000000u) == 1);
    parker_example_mutex_unlock(&mutex);
}

static parker_example_event_t event;
static int payload; /* plain: published by event_set */

static void *event_waiter(void *arg)
{
    int *seen = (int *)arg;
    CHECK(parker_example_event_wait(&event, UINT64_MAX) == 1);
    *seen = payload;
    return NULL;
}

static void test_event_wakes_every_waiter_and_publishes(void)
{
    pthread_t t[THREADS];
    int seen[THREADS] = {0};
    int i;
    parker_example_event_init(&event);
    for (i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, event_waiter, &seen[i]) == 0);
    payload = 42;
    parker_example_event_set(&event);
    for (i = 0; i < THREADS; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK(seen[i] == 42);
    }
    CHECK(parker_example_event_is_set(&event));
    CHECK(parker_example_event_wait(&event, 0) == 1); /* stays set */
}

static void test_event_wait_times_out_never_early(void)
{
    uint64_t t0;
    parker_example_event_init(&event);
    CHECK(parker_example_event_wait(&event, 0) == 0);
    t0 = parker_now_ns();
    CHECK(parker_example_event_wait(&event, 20000000u) == 0);
    CHECK(parker_now_ns() - t0 >= 20000000u);
    CHECK(!parker_example_event_is_set(&event));
}

int main(void)
{
    test_mutex_counts_exactly_under_contention();
    test_mutex_trylock_and_timed_lock();
    test_event_wakes_every_waiter_and_publishes();
    test_event_wait_times_out_never_early();
    printf("example lock: all checks passed\n");
    return 0;
}
