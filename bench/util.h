/*
 * util.h - the small helpers every benchmark program shares (clocks, sleep,
 * thread start, sort order, fatal errors).  Define BENCH_PROG (the program's
 * name, for error messages) before including it.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef BENCH_PROG
#  error "define BENCH_PROG before including bench/util.h"
#endif

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The calling thread's CPU time: single-threaded loops are timed in it, so
 * that a preemption by another process on the shared VM is not counted.
 * 0 where there is no per-thread CPU clock (Emscripten). */
static inline uint64_t cpu_ns(void)
{
    struct timespec ts = {0, 0};
    (void)clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static inline void die(const char *what)
{
    fprintf(stderr, BENCH_PROG ": %s\n", what);
    exit(2);
}

static inline pthread_t spawn(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0)
        die("pthread_create failed");
    return t;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif /* BENCH_UTIL_H */
