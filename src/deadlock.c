/*
 * deadlock.c - opt-in deadlock detection (CMake PARKER_DEADLOCK_DETECTION,
 * off by default; parker_sync.h, "Deadlock detection").
 *
 * Each thread keeps a record: the libparker mutexes and rwlocks it holds
 * (as the hooks in annotate.h report them) and the one it is waiting for.
 * parker_deadlock_check() takes a snapshot of every record and looks for a
 * cycle in "waits for a lock held by": such a cycle among threads that are
 * all blocked is a deadlock.
 *
 * Cost is not a concern here (it is a debugging build): one process-wide
 * pthread mutex guards every record, and each lock and unlock takes it.
 * Without the option none of this is compiled: parker_deadlock_check() is a
 * stub that returns PARKER_DEADLOCK_UNAVAILABLE, and the lock paths have no
 * hook for it (annotate.h compiles them out).
 *
 * What counts as "held by" for a waiter: a writer (or a mutex locker) is
 * held up by every holder of the lock; a reader by write holders and by
 * waiting writers, because the rwlock makes new readers queue behind a
 * writer that waits (that is how a recursive read lock deadlocks).
 */
#include "annotate.h"
#include "parker_sync.h"

#if PARKER__ANN_DEADLOCK

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define HELD_MAX 64

struct dd_thread {
    struct dd_thread *next;
    uintptr_t id;            /* pthread_self() */
    const void *waiting;     /* NULL: not waiting */
    int waiting_read;
    size_t nheld;
    const void *held[HELD_MAX];
    unsigned char held_read[HELD_MAX];
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dd_thread *registry;
static pthread_key_t registry_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct dd_thread *self;

/* At thread exit: the record goes (a dead thread holds nothing we can see). */
static void forget_thread(void *arg)
{
    struct dd_thread *t = (struct dd_thread *)arg, **p;
    pthread_mutex_lock(&registry_lock);
    for (p = &registry; *p != NULL; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
    free(t);
}

static void make_key(void)
{
    (void)pthread_key_create(&registry_key, forget_thread);
}

/* The caller's record, created on its first lock; NULL if out of memory
 * (that thread is then simply not tracked). */
static struct dd_thread *me(void)
{
    struct dd_thread *t = self;
    if (t != NULL)
        return t;
    (void)pthread_once(&key_once, make_key);
    t = (struct dd_thread *)calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->id = (uintptr_t)pthread_self();
    (void)pthread_setspecific(registry_key, t);
    pthread_mutex_lock(&registry_lock);
    t->next = registry;
    registry = t;
    pthread_mutex_unlock(&registry_lock);
    self = t;
    return t;
}

void parker__dd_wait(const void *lock, int read)
{
    struct dd_thread *t = me();
    if (t == NULL)
        return;
    pthread_mutex_lock(&registry_lock);
    t->waiting = lock;
    t->waiting_read = read;
    pthread_mutex_unlock(&registry_lock);
}

void parker__dd_gave_up(const void *lock)
{
    struct dd_thread *t = me();
    (void)lock;
    if (t == NULL)
        return;
    pthread_mutex_lock(&registry_lock);
    t->waiting = NULL;
    pthread_mutex_unlock(&registry_lock);
}

void parker__dd_locked(const void *lock, int read)
{
    struct dd_thread *t = me();
    if (t == NULL)
        return;
    pthread_mutex_lock(&registry_lock);
    t->waiting = NULL;
    if (t->nheld < HELD_MAX) { /* beyond that, untracked (a finite record) */
        t->held[t->nheld] = lock;
        t->held_read[t->nheld] = (unsigned char)read;
        t->nheld++;
    }
    pthread_mutex_unlock(&registry_lock);
}

void parker__dd_unlocked(const void *lock)
{
    struct dd_thread *t = me();
    size_t i;
    if (t == NULL)
        return;
    pthread_mutex_lock(&registry_lock);
    /* The most recent hold of it (locks are usually released in reverse). */
    for (i = t->nheld; i-- > 0;)
        if (t->held[i] == lock) {
            memmove(&t->held[i], &t->held[i + 1], (t->nheld - i - 1) * sizeof t->held[0]);
            memmove(&t->held_read[i], &t->held_read[i + 1], t->nheld - i - 1);
            t->nheld--;
            break;
        }
    pthread_mutex_unlock(&registry_lock);
}

/* ---------------------------------------------------------------- check */

struct graph {
    struct dd_thread **t; /* the snapshot's threads (records stay while we hold the lock) */
    size_t n;
    parker_deadlock_cycle_t *out;
    size_t max, found;
    size_t path[PARKER_DEADLOCK_CYCLE_MAX];
    unsigned char *on_path;
};

/* Does thread a's wait wait for thread b? */
static int blocks(const struct dd_thread *a, const struct dd_thread *b)
{
    size_t i;
    if (a->waiting == NULL || a == b)
        return 0;
    for (i = 0; i < b->nheld; i++)
        if (b->held[i] == a->waiting && (!a->waiting_read || !b->held_read[i]))
            return 1;
    /* A reader queues behind a writer that waits for the same rwlock. */
    return a->waiting_read && b->waiting == a->waiting && !b->waiting_read;
}

static void report(struct graph *g, size_t len)
{
    size_t i;
    if (g->found < g->max) {
        parker_deadlock_cycle_t *c = &g->out[g->found];
        c->length = len;
        for (i = 0; i < len; i++) {
            const struct dd_thread *t = g->t[g->path[i]];
            c->member[i].thread = t->id;
            c->member[i].waits_for = t->waiting;
            c->member[i].waits_for_read = t->waiting_read;
        }
    }
    g->found++;
}

/* Elementary cycles through `start` whose other threads all come later in
 * the snapshot: each cycle is found once, from its first thread. */
static void search(struct graph *g, size_t start, size_t at, size_t depth)
{
    size_t next;
    g->path[depth] = at;
    g->on_path[at] = 1;
    for (next = start; next < g->n; next++) {
        if (!blocks(g->t[at], g->t[next]))
            continue;
        if (next == start)
            report(g, depth + 1);
        else if (!g->on_path[next] && depth + 1 < PARKER_DEADLOCK_CYCLE_MAX)
            search(g, start, next, depth + 1);
    }
    g->on_path[at] = 0;
}

size_t parker_deadlock_check(parker_deadlock_cycle_t *cycles, size_t max)
{
    struct graph g;
    struct dd_thread *t;
    size_t i;

    memset(&g, 0, sizeof g);
    g.out = cycles;
    g.max = cycles != NULL ? max : 0;
    pthread_mutex_lock(&registry_lock);
    for (t = registry; t != NULL; t = t->next)
        g.n++;
    g.t = (struct dd_thread **)malloc((g.n + 1) * sizeof *g.t);
    g.on_path = (unsigned char *)calloc(g.n + 1, 1);
    if (g.t == NULL || g.on_path == NULL) {
        pthread_mutex_unlock(&registry_lock);
        free(g.t);
        free(g.on_path);
        return 0;
    }
    for (t = registry, i = 0; t != NULL; t = t->next)
        g.t[i++] = t;
    for (i = 0; i < g.n; i++)
        if (g.t[i]->waiting != NULL)
            search(&g, i, i, 0);
    pthread_mutex_unlock(&registry_lock);
    free(g.t);
    free(g.on_path);
    return g.found;
}
#else
/* Off: the call exists (every build exports the same symbols) and says so. */
size_t parker_deadlock_check(parker_deadlock_cycle_t *cycles, size_t max)
{
    (void)cycles;
    (void)max;
    return PARKER_DEADLOCK_UNAVAILABLE;
}
#endif
