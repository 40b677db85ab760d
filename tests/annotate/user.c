/*
 * user.c - a user program for the race-detector stage
 * (scripts/stages/annotate.sh): built with -fsanitize=thread (or plain, for
 * Helgrind and DRD) and linked against a libparker built WITHOUT any
 * sanitizer.  One scenario a run: `user SCENARIO`.
 *
 * The clean scenarios share plain (non-atomic) data between threads whose
 * only ordering comes from one libparker object, so a detector that cannot
 * see inside the library reports a race in each of them: the stage checks
 * that each is silent against the annotated library AND reports a race
 * against a library built with -DPARKER_NO_ANNOTATIONS (so every scenario
 * is shown to depend on its object's annotation).  Threads never use atomics
 * or pthread sync of their own between the accesses (join and create do
 * order, so the racy accesses are all between create and join).
 *
 * "race" is a deliberate race next to correctly locked data; "inversion"
 * takes two mutexes in both orders (one thread after the other, so it
 * never deadlocks) for TSan's lock-order-inversion report; "inversion-rw"
 * the same with a mutex and a rwlock.
 */
#include "parker.h"
#include "parker_lot.h"
#include "parker_sync.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define ROUNDS 2000

static long counter;
static long data;
static long slots[THREADS];

static void run(void *(*fn)(void *), int n)
{
    pthread_t t[THREADS];
    long i;
    for (i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, fn, (void *)i) != 0)
            abort();
    for (i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* ---------------------------------------------------------------- mutex */
static parker_mutex_t mu = PARKER_MUTEX_INIT;

static void *mutex_thread(void *arg)
{
    long id = (long)arg, i;
    for (i = 0; i < ROUNDS; i++) {
        /* Every way in: lock, trylock, timed lock; both unlocks. */
        switch ((id + i) % 3) {
        case 0: parker_mutex_lock(&mu); break;
        case 1: while (parker_mutex_trylock(&mu) != PARKER_OK) sched_yield(); break;
        default: while (parker_mutex_lock_timeout(&mu, 1000000) != PARKER_OK) {} break;
        }
        counter++;
        if (i & 1)
            parker_mutex_unlock(&mu);
        else
            parker_mutex_unlock_fair(&mu);
    }
    return NULL;
}

static int scenario_mutex(void)
{
    run(mutex_thread, THREADS);
    return counter == (long)THREADS * ROUNDS ? 0 : 1;
}

/* --------------------------------------------------------------- rwlock */
static parker_rwlock_t rw = PARKER_RWLOCK_INIT;

static void *rw_writer(void *arg)
{
    long i;
    (void)arg;
    for (i = 0; i < ROUNDS; i++) {
        switch (i % 4) {
        case 0: parker_rwlock_wrlock(&rw); break;
        case 1: while (parker_rwlock_trywrlock(&rw) != PARKER_OK) sched_yield(); break;
        default: while (parker_rwlock_wrlock_timeout(&rw, 1000000) != PARKER_OK) {} break;
        }
        data++;
        if (i % 4 == 3) {
            parker_rwlock_downgrade(&rw); /* still reading: no write now */
            counter = data;
            (void)counter;
            parker_rwlock_rdunlock(&rw);
        } else {
            parker_rwlock_wrunlock(&rw);
        }
    }
    return NULL;
}

static void *rw_reader(void *arg)
{
    long i, sum = 0;
    (void)arg;
    for (i = 0; i < ROUNDS; i++) {
        switch (i % 4) {
        case 0: parker_rwlock_rdlock(&rw); break;
        case 1: while (parker_rwlock_tryrdlock(&rw) != PARKER_OK) sched_yield(); break;
        case 2: parker_rwlock_rdlock_recursive(&rw); break;
        default: while (parker_rwlock_rdlock_timeout(&rw, 1000000) != PARKER_OK) {} break;
        }
        sum += data;
        parker_rwlock_rdunlock(&rw);
    }
    return (void *)sum;
}

static void *rw_thread(void *arg)
{
    return (long)arg == 0 ? rw_writer(arg) : rw_reader(arg);
}

static int scenario_rwlock(void)
{
    run(rw_thread, THREADS);
    return data == ROUNDS ? 0 : 1;
}

/* ----------------------------------------------------------------- cond */
static parker_cond_t cv = PARKER_COND_INIT;
static int full; /* one-slot queue: `data` is the item; both under mu */

static void *cond_thread(void *arg)
{
    long id = (long)arg, i;
    for (i = 0; i < ROUNDS / 4; i++) {
        parker_mutex_lock(&mu);
        if (id == 0) { /* producer */
            while (full)
                parker_cond_wait(&cv, &mu);
            data = i;
            full = 1;
        } else { /* consumer */
            while (!full)
                while (parker_cond_wait_timeout(&cv, &mu, 1000000) != PARKER_OK && !full) {}
            counter += data;
            full = 0;
        }
        parker_cond_broadcast(&cv);
        parker_mutex_unlock(&mu);
    }
    return NULL;
}

static int scenario_cond(void)
{
    run(cond_thread, 2);
    return counter == (long)(ROUNDS / 4) * (ROUNDS / 4 - 1) / 2 ? 0 : 1;
}

/* ----------------------------------------------------------------- once */
static parker_once_t once = PARKER_ONCE_INIT;

static int once_init(void *arg)
{
    (void)arg;
    data = 42;
    return 0;
}

static void *once_thread(void *arg)
{
    (void)arg;
    parker_once(&once, once_init, NULL);
    return (void *)data;
}

static int scenario_once(void)
{
    run(once_thread, THREADS);
    return data == 42 ? 0 : 1;
}

/* ---------------------------------------------------------------- event */
static parker_event_t ev = PARKER_EVENT_INIT;

static void *event_thread(void *arg)
{
    if ((long)arg == 0) {
        data = 7;
        parker_event_set(&ev);
    } else {
        while ((long)arg == 1 ? !parker_event_is_set(&ev)
                              : parker_event_wait(&ev, 1000000) != PARKER_OK)
            sched_yield();
        slots[(long)arg] = data;
    }
    return NULL;
}

static int scenario_event(void)
{
    run(event_thread, THREADS);
    return slots[1] == 7 && slots[THREADS - 1] == 7 ? 0 : 1;
}

/* ------------------------------------------------------------ semaphore */
static parker_sem_t sem = PARKER_SEM_INIT;

static void *sem_thread(void *arg)
{
    long id = (long)arg;
    if (id == 0) {
        long i;
        for (i = 1; i < THREADS; i++)
            slots[i] = i * 10;
        parker_sem_post(&sem, THREADS - 1);
    } else {
        switch (id % 3) {
        case 0: parker_sem_wait(&sem); break;
        case 1: while (parker_sem_trywait(&sem) != PARKER_OK) sched_yield(); break;
        default: while (parker_sem_wait_timeout(&sem, 1000000) != PARKER_OK) {} break;
        }
        return (void *)slots[id]; /* read: all the writes came before the post */
    }
    return NULL;
}

static int scenario_sem(void)
{
    run(sem_thread, THREADS);
    return 0;
}

/* ------------------------------------------------------------ waitgroup */
static parker_waitgroup_t wg = PARKER_WAITGROUP_INIT;

static void *wg_thread(void *arg)
{
    long id = (long)arg;
    if (id == 0) {
        long i, sum = 0;
        parker_waitgroup_wait(&wg, PARKER_FOREVER);
        for (i = 1; i < THREADS; i++)
            sum += slots[i];
        data = sum;
    } else {
        slots[id] = id;
        parker_waitgroup_done(&wg);
    }
    return NULL;
}

static int scenario_waitgroup(void)
{
    parker_waitgroup_add(&wg, THREADS - 1);
    run(wg_thread, THREADS);
    return data == (long)THREADS * (THREADS - 1) / 2 ? 0 : 1;
}

/* -------------------------------------------------------------- barrier */
static parker_barrier_t bar;

static void *barrier_thread(void *arg)
{
    long id = (long)arg, round, sum = 0;
    for (round = 0; round < 20; round++) {
        slots[id] = round + id;
        parker_barrier_wait(&bar);
        sum += slots[(id + 1) % THREADS];
        parker_barrier_wait(&bar); /* nobody writes before everybody read */
    }
    return (void *)sum;
}

static int scenario_barrier(void)
{
    if (parker_barrier_init(&bar, THREADS) != PARKER_OK)
        return 1;
    run(barrier_thread, THREADS);
    return 0;
}

/* --------------------------------------------------------------- parker */
static parker_t pk = PARKER_INITIALIZER;

static void *parker_thread(void *arg)
{
    if ((long)arg == 0) {
        data = 5;
        parker_unpark(&pk);
    } else {
        parker_park(&pk); /* returns only with the token: after the unpark */
        counter = data;
    }
    return NULL;
}

static int scenario_parker(void)
{
    run(parker_thread, 2);
    return counter == 5 ? 0 : 1;
}

/* ------------------------------------------------------------------ lot */
static char lot_key;

static int always(void *arg)
{
    (void)arg;
    return 1;
}

static void *lot_thread(void *arg)
{
    if ((long)arg == 0) {
        data = 9;
        /* Until the other thread is queued: a wake of nobody is lost. */
        while (parker_lot_unpark_one(&lot_key, NULL, NULL) == 0)
            sched_yield();
    } else {
        /* Park until woken (the lot has no spurious wakes). */
        if (parker_lot_park_if(&lot_key, always, NULL, NULL, PARKER_FOREVER, NULL) != PARKER_OK)
            abort();
        counter = data;
    }
    return NULL;
}

static int scenario_lot(void)
{
    run(lot_thread, 2);
    return counter == 9 ? 0 : 1;
}

/* ------------------------------------------------------- must report */
static void *race_thread(void *arg)
{
    long i;
    (void)arg;
    for (i = 0; i < ROUNDS; i++) {
        parker_mutex_lock(&mu);
        counter++; /* locked: fine */
        parker_mutex_unlock(&mu);
        data++; /* the deliberate race */
    }
    return NULL;
}

static int scenario_race(void)
{
    run(race_thread, 2);
    return 0;
}

static parker_mutex_t mu_a = PARKER_MUTEX_INIT, mu_b = PARKER_MUTEX_INIT;

static void *inversion_thread(void *arg)
{
    parker_mutex_t *first = (long)arg == 0 ? &mu_a : &mu_b;
    parker_mutex_t *second = (long)arg == 0 ? &mu_b : &mu_a;
    parker_mutex_lock(first);
    parker_mutex_lock(second);
    counter++;
    parker_mutex_unlock(second);
    parker_mutex_unlock(first);
    return NULL;
}

static int scenario_inversion(void)
{
    /* One after the other: the order A->B is recorded, then B->A closes
     * the cycle, with no chance of really deadlocking. */
    run(inversion_thread, 1);
    {
        pthread_t t;
        pthread_create(&t, NULL, inversion_thread, (void *)1L);
        pthread_join(t, NULL);
    }
    return 0;
}

static void *inversion_rw_thread(void *arg)
{
    if ((long)arg == 0) {
        parker_mutex_lock(&mu);
        parker_rwlock_rdlock(&rw);
        parker_rwlock_rdunlock(&rw);
        parker_mutex_unlock(&mu);
    } else {
        parker_rwlock_wrlock(&rw);
        parker_mutex_lock(&mu);
        parker_mutex_unlock(&mu);
        parker_rwlock_wrunlock(&rw);
    }
    return NULL;
}

static int scenario_inversion_rw(void)
{
    pthread_t t;
    run(inversion_rw_thread, 1);
    pthread_create(&t, NULL, inversion_rw_thread, (void *)1L);
    pthread_join(t, NULL);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(void);
} scenarios[] = {
    {"mutex", scenario_mutex},         {"rwlock", scenario_rwlock},
    {"cond", scenario_cond},           {"once", scenario_once},
    {"event", scenario_event},         {"sem", scenario_sem},
    {"waitgroup", scenario_waitgroup}, {"barrier", scenario_barrier},
    {"parker", scenario_parker},       {"lot", scenario_lot},
    {"race", scenario_race},           {"inversion", scenario_inversion},
    {"inversion-rw", scenario_inversion_rw},
};

int main(int argc, char **argv)
{
    size_t i;
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
            printf("%s\n", scenarios[i].name);
        return 0;
    }
    for (i = 0; argc == 2 && i < sizeof scenarios / sizeof scenarios[0]; i++) {
        if (strcmp(argv[1], scenarios[i].name) == 0) {
            int r = scenarios[i].fn();
            printf("%s: %s\n", argv[1], r == 0 ? "done" : "WRONG RESULT");
            return r == 0 ? 0 : 3;
        }
    }
    fprintf(stderr, "usage: %s list | SCENARIO\n", argv[0]);
    return 2;
}
