/*
 * thread.c - each thread's own parker, reference counted, so that another
 * thread can keep a handle and unpark it even after the thread has exited.
 *
 * The thread itself holds one reference, stored in a backend TLS slot whose
 * exit hook (parker__thread_exit) drops it.  Every parker_thread_self() adds
 * one.  The parker's memory lives until the last reference goes, so an
 * unpark through a reference never touches freed memory; an unpark after the
 * owner exited just leaves a token that nobody consumes.
 */
#include "backend.h"
#include "atomics.h"

#include <stdlib.h>

struct parker_thread {
    parker_t parker;
    uint32_t refs;
};

static struct parker_thread *current(void)
{
    void *value = NULL;
    struct parker_thread *t;

    if (parker__tls_get(&value) != 0)
        return NULL;
    if (value != NULL)
        return (struct parker_thread *)value;

    t = (struct parker_thread *)malloc(sizeof *t);
    if (t == NULL)
        return NULL;
    if (parker_init(&t->parker) != 0) {
        free(t);
        return NULL;
    }
    t->refs = 1; /* the thread's own, dropped by parker__thread_exit */
    if (parker__tls_set(t) != 0) {
        parker_destroy(&t->parker);
        free(t);
        return NULL;
    }
    return t;
}

parker_t *parker_self(void)
{
    struct parker_thread *t = current();
    return t != NULL ? &t->parker : NULL;
}

parker_thread_t *parker_thread_self(void)
{
    struct parker_thread *t = current();
    if (t != NULL)
        parker__fetch_add_relaxed(&t->refs, 1u);
    return t;
}

parker_thread_t *parker_thread_retain(parker_thread_t *t)
{
    /* NULL passes through, as parker_thread_release(NULL) is ignored, so
     * that retain(parker_thread_self()) needs no check of its own. */
    if (t == NULL)
        return NULL;
    /* Relaxed suffices: the caller already holds a reference, so the count
     * cannot reach zero concurrently. */
    parker__fetch_add_relaxed(&t->refs, 1u);
    return t;
}

void parker_thread_release(parker_thread_t *t)
{
    if (t == NULL)
        return;
    /* acq_rel: every holder's last use of the parker happens-before the
     * free done by whoever drops the count to zero. */
    if (parker__fetch_sub_acq_rel(&t->refs, 1u) == 1u) {
        parker_destroy(&t->parker);
        free(t);
    }
}

void parker_thread_unpark(parker_thread_t *t)
{
    if (t == NULL)
        parker__misuse("parker_thread_unpark", "NULL reference");
    parker_unpark(&t->parker);
}

parker_t *parker_thread_parker(parker_thread_t *t)
{
    if (t == NULL)
        parker__misuse("parker_thread_parker", "NULL reference");
    return &t->parker;
}

void parker__thread_exit(void *value)
{
    parker_thread_release((struct parker_thread *)value);
}
