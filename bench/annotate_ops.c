/*
 * annotate_ops.c - the uncontended operations that bench/annotate_cost.c
 * times, compiled twice by bench/CMakeLists.txt: once against the futex
 * copy of libparker as built (TSan/Valgrind hooks in, inactive) and once
 * against a copy built with -DPARKER_NO_ANNOTATIONS (the hooks compiled
 * out).  The force-included rename header picks the copy; OPS_NAME names
 * this copy's entry point.
 */
#include "parker.h"
#include "parker_sync.h"

#include <stdint.h>

#include "annotate_cost.h"

/* One loop per operation, n iterations; the object lives in static storage
 * of this copy, touched by one thread only. */
static parker_mutex_t mu;
static parker_rwlock_t rw;
static parker_sem_t sem;
static parker_t pk;

static void mutex_loop(uint64_t n)
{
    while (n--) {
        parker_mutex_lock(&mu);
        parker_mutex_unlock(&mu);
    }
}

static void wrlock_loop(uint64_t n)
{
    while (n--) {
        parker_rwlock_wrlock(&rw);
        parker_rwlock_wrunlock(&rw);
    }
}

static void rdlock_loop(uint64_t n)
{
    while (n--) {
        parker_rwlock_rdlock(&rw);
        parker_rwlock_rdunlock(&rw);
    }
}

static void sem_loop(uint64_t n)
{
    while (n--) {
        parker_sem_post(&sem, 1);
        parker_sem_wait(&sem);
    }
}

static void parker_loop(uint64_t n)
{
    while (n--) {
        parker_unpark(&pk); /* a token, then a park that takes it at once */
        parker_park(&pk);
    }
}

const struct cost_ops OPS_NAME = {
    {mutex_loop, wrlock_loop, rdlock_loop, sem_loop, parker_loop},
};
