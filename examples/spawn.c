/*
 * spawn.c - start a thread and get its parker_thread_t back, without a
 * mutex + condition variable handshake (Rust's JoinHandle::thread()).
 *
 * The pattern: the creator passes a small start record on its own stack.
 * The new thread stores parker_thread_self() in it and unparks the record's
 * parker, which only the creator parks on.  That parker is fresh and
 * private to this one hand-over, so the creator's single park cannot
 * consume a stale token: when it returns, the child's store is visible
 * (unpark happens-before the park that consumes its token).
 *
 * The child must not touch the record after its unpark: the creator may
 * already have returned and popped it.  That is safe because libparker lets
 * the owner destroy a parker as soon as a park returns, even while the
 * unparker is still inside parker_unpark.  For the same reason the creator
 * must NOT wait for a flag instead of parking: seeing the flag early, it
 * could return while the child is about to unpark a parker that is gone.
 *
 * Built and run by ctest (example_spawn): a pool of workers is started this
 * way, each parks until the creator unparks it through its handle, and one
 * handle is unparked after its thread has exited.
 */
#define _POSIX_C_SOURCE 200809L
#include <parker.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* --- the pattern ------------------------------------------------------- */

struct spawn_start {
    parker_t ready;          /* parked on by the creator only */
    parker_thread_t *handle; /* written by the child before it unparks */
    void *(*fn)(void *);
    void *arg;
};

static void *spawn_trampoline(void *p)
{
    struct spawn_start *s = p;
    void *(*fn)(void *) = s->fn;
    void *arg = s->arg;
    s->handle = parker_thread_self(); /* NULL only when out of memory */
    parker_unpark(&s->ready);         /* s may be gone from here on */
    return fn(arg);
}

/*
 * Start fn(arg) on a new thread.  On success *tid is the thread and *handle
 * a counted reference to its parker (release it with parker_thread_release,
 * also after the thread has exited).  Returns 0 or an errno value.
 */
static int spawn(pthread_t *tid, parker_thread_t **handle, void *(*fn)(void *), void *arg)
{
    struct spawn_start s;
    int err = parker_init(&s.ready);
    if (err != 0)
        return err;
    s.handle = NULL;
    s.fn = fn;
    s.arg = arg;
    err = pthread_create(tid, NULL, spawn_trampoline, &s);
    if (err != 0) {
        parker_destroy(&s.ready);
        return err;
    }
    parker_park(&s.ready); /* exactly one token: the child's */
    parker_destroy(&s.ready);
    *handle = s.handle;
    return 0;
}

/* --- a test of it --------------------------------------------------------- */

#define WORKERS 16
#define LIMIT_NS (30ull * 1000 * 1000 * 1000) /* a lost wake-up fails, not hangs */

struct worker {
    int go;     /* set by main before it unparks the worker */
    int result; /* written by the worker */
    int failed;
};

static void *work(void *p)
{
    struct worker *w = p;
    uint64_t deadline = parker_now_ns() + LIMIT_NS;
    /* Re-check in a loop: a token on parker_self() may be stale. */
    while (!__atomic_load_n(&w->go, __ATOMIC_ACQUIRE)) {
        if (parker_park_until(parker_self(), deadline) == PARKER_TIMEDOUT) {
            w->failed = 1;
            return NULL;
        }
    }
    w->result = 42;
    return NULL;
}

static int fail(const char *what)
{
    fprintf(stderr, "example_spawn: FAIL: %s\n", what);
    return 1;
}

int main(void)
{
    static struct worker w[WORKERS];
    pthread_t tid[WORKERS];
    parker_thread_t *h[WORKERS];

    for (int i = 0; i < WORKERS; i++) {
        if (spawn(&tid[i], &h[i], work, &w[i]) != 0)
            return fail("pthread_create");
        if (h[i] == NULL)
            return fail("parker_thread_self returned NULL in the child");
    }
    for (int i = 0; i < WORKERS; i++) {
        __atomic_store_n(&w[i].go, 1, __ATOMIC_RELEASE);
        parker_thread_unpark(h[i]);
    }
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(tid[i], NULL);
        if (w[i].failed || w[i].result != 42)
            return fail("a worker was not woken through its handle");
        /* The thread is gone; its handle still works (the token is unused). */
        parker_thread_unpark(h[i]);
        parker_thread_release(h[i]);
    }
    printf("example_spawn: %d threads started and woken through their handles\n", WORKERS);
    return 0;
}
