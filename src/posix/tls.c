/*
 * tls.c - the thread-local slot behind parker_self(), with a pthread key
 * whose destructor drops the thread's reference at exit.  Shared by the
 * futex and pthread backends (any POSIX system).
 *
 * A destructor that runs before ours and calls parker_self() simply finds
 * our slot still set.  One that runs after ours finds it cleared (POSIX
 * clears the value before calling the destructor), gets a fresh parker, and
 * POSIX calls our destructor again in its next round.
 */
#include "../backend.h"

#include <pthread.h>

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_error;

static void destructor(void *value)
{
    parker__thread_exit(value);
}

static void make_key(void)
{
    key_error = pthread_key_create(&key, destructor);
}

int parker__tls_get(void **value)
{
    int err = pthread_once(&key_once, make_key);
    if (err != 0)
        return err;
    if (key_error != 0)
        return key_error;
    *value = pthread_getspecific(key);
    return 0;
}

int parker__tls_set(void *value)
{
    /* parker__tls_get has run the pthread_once on this path. */
    return pthread_setspecific(key, value);
}
