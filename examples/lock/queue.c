/*
 * queue.c - a bounded blocking queue on parker_sync.h: what the library's
 * one-byte mutex, its condition variable, a once flag and an event look like
 * in use.  (This directory used to hold a hand-written one-byte lock on the
 * parking lot; that lock is now part of the library as parker_mutex_t.)
 *
 * Producers push numbers into a ring of QUEUE_SLOTS slots and wait on
 * `not_full` while it is full; consumers pop and wait on `not_empty` while it
 * is empty.  Every thread starts at an event (so that they really contend),
 * and the first thread to arrive sets the queue up through a once flag.
 * A plain program: exit status 0 means every item arrived exactly once.
 */
#include <parker_sync.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define QUEUE_SLOTS 8
#define PRODUCERS 2
#define CONSUMERS 2
#define ITEMS_PER_PRODUCER 50000L

struct queue {
    parker_mutex_t lock; /* guards everything below; one byte */
    parker_cond_t not_empty, not_full;
    long slots[QUEUE_SLOTS];
    unsigned head, count;
};

static struct queue q; /* all-zero: every object in it is ready to use */
static parker_once_t setup_once = PARKER_ONCE_INIT;
static parker_event_t start = PARKER_EVENT_INIT;
static int64_t received_sum; /* under q.lock; 64 bits: the sum passes 2^32 */
static long received_count;   /* under q.lock */

static void queue_push(struct queue *qu, long v)
{
    parker_mutex_lock(&qu->lock);
    while (qu->count == QUEUE_SLOTS)
        parker_cond_wait(&qu->not_full, &qu->lock); /* releases and re-takes the lock */
    qu->slots[(qu->head + qu->count) % QUEUE_SLOTS] = v;
    qu->count++;
    /* Signalling with the lock held is fine: the woken consumer is moved
     * onto the lock's queue and runs when we unlock, not before. */
    (void)parker_cond_signal(&qu->not_empty);
    parker_mutex_unlock(&qu->lock);
}

static long queue_pop(struct queue *qu)
{
    long v;
    parker_mutex_lock(&qu->lock);
    while (qu->count == 0)
        parker_cond_wait(&qu->not_empty, &qu->lock);
    v = qu->slots[qu->head];
    qu->head = (qu->head + 1) % QUEUE_SLOTS;
    qu->count--;
    (void)parker_cond_signal(&qu->not_full);
    parker_mutex_unlock(&qu->lock);
    return v;
}

/* Runs exactly once, in whichever thread gets there first; the others wait
 * for it (parked, not spinning) and then see its writes. */
static int setup(void *arg)
{
    struct queue *qu = (struct queue *)arg;
    qu->head = 0;
    qu->count = 0;
    return 0;
}

static void *producer(void *arg)
{
    long base = (long)(intptr_t)arg * ITEMS_PER_PRODUCER, i;
    (void)parker_once(&setup_once, setup, &q);
    (void)parker_event_wait(&start, PARKER_FOREVER);
    for (i = 1; i <= ITEMS_PER_PRODUCER; i++)
        queue_push(&q, base + i);
    return NULL;
}

static void *consumer(void *arg)
{
    long i;
    (void)arg;
    (void)parker_once(&setup_once, setup, &q);
    (void)parker_event_wait(&start, PARKER_FOREVER);
    for (i = 0; i < PRODUCERS * ITEMS_PER_PRODUCER / CONSUMERS; i++) {
        long v = queue_pop(&q);
        parker_mutex_lock(&q.lock);
        received_sum += (int64_t)v;
        received_count++;
        parker_mutex_unlock(&q.lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[PRODUCERS + CONSUMERS];
    long n = PRODUCERS * ITEMS_PER_PRODUCER;
    int64_t expected_sum;
    int i;
    for (i = 0; i < PRODUCERS; i++)
        if (pthread_create(&t[i], NULL, producer, (void *)(intptr_t)i) != 0)
            return 1;
    for (i = 0; i < CONSUMERS; i++)
        if (pthread_create(&t[PRODUCERS + i], NULL, consumer, NULL) != 0)
            return 1;
    parker_event_set(&start); /* everybody go */
    for (i = 0; i < PRODUCERS + CONSUMERS; i++)
        pthread_join(t[i], NULL);
    expected_sum = (int64_t)n * (n + 1) / 2; /* the producers together push 1..n */
    if (received_count != n || received_sum != expected_sum || q.count != 0) {
        fprintf(stderr, "queue: got %ld items summing to %.0f, expected %ld summing to %.0f\n",
                received_count, (double)received_sum, n, (double)expected_sum);
        return 1;
    }
    printf("queue: %ld items through a %d-slot queue, each exactly once\n", n, QUEUE_SLOTS);
    return 0;
}
