/*
 * peers.c - the C contenders written here: raw_futex (the minimal
 * three-state futex parker, no spin: the lower bound for a sleeping
 * wake-up), spin_then_futex (the same word with the parker's spin budget:
 * the like-for-like baseline when the partner answers fast), pthread_cond
 * (mutex + condvar + counter, the HotSpot Parker's shape) and glibc's sem_t
 * behind a flag.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "peers.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#if defined(__linux__)
/* ---- raw_futex: EMPTY 0 / NOTIFIED 1 / PARKED -1 -------------------- */
typedef struct { int32_t state; } raw_futex_t;

static void *rf_self(void)
{
    return calloc(1, sizeof(raw_futex_t));
}

static void rf_release(void *h)
{
    free(h);
}

static inline void rf_park_inl(raw_futex_t *p)
{
    /* NOTIFIED -> EMPTY returns; EMPTY -> PARKED sleeps. */
    if (__atomic_fetch_sub(&p->state, 1, __ATOMIC_ACQUIRE) == 1)
        return;
    for (;;) {
        int32_t one = 1;
        (void)syscall(SYS_futex, &p->state, FUTEX_WAIT_PRIVATE, -1, NULL, NULL, 0);
        if (__atomic_compare_exchange_n(&p->state, &one, 0, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return;
    }
}

static inline void rf_unpark_inl(raw_futex_t *p)
{
    if (__atomic_exchange_n(&p->state, 1, __ATOMIC_RELEASE) == -1)
        (void)syscall(SYS_futex, &p->state, FUTEX_WAKE_PRIVATE, 1);
}

static void rf_park(void *h)
{
    rf_park_inl((raw_futex_t *)h);
}

static void rf_unpark(void *h)
{
    rf_unpark_inl((raw_futex_t *)h);
}

static int rf_park_timeout(void *h, uint64_t ns)
{
    raw_futex_t *p = (raw_futex_t *)h;
    struct timespec ts;
    if (__atomic_fetch_sub(&p->state, 1, __ATOMIC_ACQUIRE) == 1)
        return 0;
    ts.tv_sec = (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    (void)syscall(SYS_futex, &p->state, FUTEX_WAIT_PRIVATE, -1, &ts, NULL, 0);
    return __atomic_exchange_n(&p->state, 0, __ATOMIC_ACQUIRE) == 1 ? 0 : 1;
}

static void rf_fast(void *h, uint64_t n)
{
    raw_futex_t *p = (raw_futex_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++) {
        rf_unpark_inl(p);
        rf_park_inl(p);
    }
}

static void rf_idle(void *h, uint64_t n)
{
    raw_futex_t *p = (raw_futex_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++)
        rf_unpark_inl(p);
    rf_park_inl(p);
}

const bench_contender bench_raw_futex = {
    "raw_futex", rf_self, rf_release, rf_park, rf_park_timeout, rf_unpark,
    rf_fast, rf_idle, sizeof(raw_futex_t), "inline three-state futex parker",
};

/* ---- spin_then_futex: raw_futex plus the parker's spin budget --------
 * raw_futex never spins, so in a ping-pong on two cores each round trip
 * pays two futex sleeps and two cross-CPU wake-ups, while a contender that
 * spins first sees the token arrive in a few hundred ns.  This is the like-
 * for-like baseline: the same three-state word, with the same spin policy
 * as libparker's parker (src/parker.c) written out here: a per-thread time
 * budget that starts at 2 us, grows 1.5x after a spin that saw the token
 * (to at most 20 us) and shrinks 4x after one that did not (to at least
 * 500 ns); pause between looks, the clock read once per 16 pauses. */
enum { SF_MIN_NS = 500, SF_START_NS = 2000, SF_MAX_NS = 20000, SF_CHUNK = 16 };

static __thread uint32_t sf_budget;

static uint64_t sf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void sf_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* 1 if the token (state 1) was taken while spinning. */
static int sf_spin(raw_futex_t *p)
{
    uint32_t budget = sf_budget ? sf_budget : SF_START_NS;
    uint64_t start = 0;
    for (;;) {
        unsigned i;
        uint64_t now;
        for (i = 0; i < SF_CHUNK; i++) {
            sf_pause();
            if (__atomic_load_n(&p->state, __ATOMIC_RELAXED) == 1) {
                int32_t one = 1;
                if (__atomic_compare_exchange_n(&p->state, &one, 0, 0, __ATOMIC_ACQUIRE,
                                                __ATOMIC_RELAXED)) {
                    uint32_t grown = budget + budget / 2;
                    sf_budget = grown < SF_MAX_NS ? grown : SF_MAX_NS;
                    return 1;
                }
            }
        }
        now = sf_now();
        if (start == 0)
            start = now;
        else if (now - start >= budget)
            break;
    }
    sf_budget = budget / 4 > SF_MIN_NS ? budget / 4 : SF_MIN_NS;
    return 0;
}

static inline void sf_park_inl(raw_futex_t *p)
{
    int32_t one = 1;
    if (__atomic_compare_exchange_n(&p->state, &one, 0, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    if (sf_spin(p))
        return;
    rf_park_inl(p);
}

static void sf_park(void *h)
{
    sf_park_inl((raw_futex_t *)h);
}

static int sf_park_timeout(void *h, uint64_t ns)
{
    raw_futex_t *p = (raw_futex_t *)h;
    int32_t one = 1;
    if (__atomic_compare_exchange_n(&p->state, &one, 0, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return 0;
    /* As the parker: no spin that could outlast a short timeout. */
    if (ns > 2u * SF_MAX_NS) {
        uint64_t t0 = sf_now(), spent;
        if (sf_spin(p))
            return 0;
        spent = sf_now() - t0;
        ns = spent < ns ? ns - spent : 0;
    }
    return rf_park_timeout(h, ns);
}

static void sf_fast(void *h, uint64_t n)
{
    raw_futex_t *p = (raw_futex_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++) {
        rf_unpark_inl(p);
        sf_park_inl(p);
    }
}

static void sf_idle(void *h, uint64_t n)
{
    raw_futex_t *p = (raw_futex_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++)
        rf_unpark_inl(p);
    sf_park_inl(p);
}

const bench_contender bench_spin_futex = {
    "spin_then_futex", rf_self, rf_release, sf_park, sf_park_timeout, rf_unpark,
    sf_fast, sf_idle, sizeof(raw_futex_t), "raw_futex + the parker's adaptive spin budget",
};
#endif /* __linux__ */

/* ---- pthread_cond: HotSpot's Parker shape --------------------------- */
typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int counter;
} cond_parker_t;

static void *cp_self(void)
{
    cond_parker_t *p = (cond_parker_t *)malloc(sizeof *p);
    pthread_condattr_t a;
    if (p == NULL)
        return NULL;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_mutex_init(&p->mutex, NULL);
    pthread_cond_init(&p->cond, &a);
    pthread_condattr_destroy(&a);
    p->counter = 0;
    return p;
}

static void cp_release(void *h)
{
    cond_parker_t *p = (cond_parker_t *)h;
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->mutex);
    free(p);
}

static inline int cp_wait(cond_parker_t *p, const struct timespec *deadline)
{
    int r = 0;
    /* Fast path without the lock, as HotSpot does. */
    if (__atomic_exchange_n(&p->counter, 0, __ATOMIC_ACQUIRE) > 0)
        return 0;
    pthread_mutex_lock(&p->mutex);
    while (p->counter == 0 && r == 0)
        r = deadline ? pthread_cond_timedwait(&p->cond, &p->mutex, deadline)
                     : pthread_cond_wait(&p->cond, &p->mutex);
    r = p->counter > 0 ? 0 : 1;
    __atomic_store_n(&p->counter, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&p->mutex);
    return r;
}

static inline void cp_unpark_inl(cond_parker_t *p)
{
    int s;
    pthread_mutex_lock(&p->mutex);
    s = p->counter;
    __atomic_store_n(&p->counter, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&p->mutex);
    if (s < 1)
        pthread_cond_signal(&p->cond);
}

static void cp_park(void *h)
{
    (void)cp_wait((cond_parker_t *)h, NULL);
}

static int cp_park_timeout(void *h, uint64_t ns)
{
    struct timespec ts;
    uint64_t t;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + ns;
    ts.tv_sec = (time_t)(t / 1000000000u);
    ts.tv_nsec = (long)(t % 1000000000u);
    return cp_wait((cond_parker_t *)h, &ts);
}

static void cp_unpark(void *h)
{
    cp_unpark_inl((cond_parker_t *)h);
}

static void cp_fast(void *h, uint64_t n)
{
    cond_parker_t *p = (cond_parker_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++) {
        cp_unpark_inl(p);
        (void)cp_wait(p, NULL);
    }
}

static void cp_idle(void *h, uint64_t n)
{
    cond_parker_t *p = (cond_parker_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++)
        cp_unpark_inl(p);
    (void)cp_wait(p, NULL);
}

const bench_contender bench_pthread_cond = {
    "pthread_cond", cp_self, cp_release, cp_park, cp_park_timeout, cp_unpark,
    cp_fast, cp_idle, sizeof(cond_parker_t), "mutex + condvar + counter (HotSpot)",
};

/* ---- sem_t behind a flag (the flag keeps at most one token) ---------- */
typedef struct {
    int flag;
    sem_t sem;
} sem_parker_t;

static void *sp_self(void)
{
    sem_parker_t *p = (sem_parker_t *)malloc(sizeof *p);
    if (p == NULL)
        return NULL;
    p->flag = 0;
    sem_init(&p->sem, 0, 0);
    return p;
}

static void sp_release(void *h)
{
    sem_parker_t *p = (sem_parker_t *)h;
    sem_destroy(&p->sem);
    free(p);
}

static inline void sp_park_inl(sem_parker_t *p)
{
    while (sem_wait(&p->sem) != 0 && errno == EINTR) {
    }
    __atomic_store_n(&p->flag, 0, __ATOMIC_RELEASE);
}

static inline void sp_unpark_inl(sem_parker_t *p)
{
    if (__atomic_exchange_n(&p->flag, 1, __ATOMIC_ACQ_REL) == 0)
        sem_post(&p->sem);
}

static void sp_park(void *h)
{
    sp_park_inl((sem_parker_t *)h);
}

static int sp_park_timeout(void *h, uint64_t ns)
{
    sem_parker_t *p = (sem_parker_t *)h;
    struct timespec ts;
    uint64_t t;
    int r;
#if defined(__linux__)
    clock_gettime(CLOCK_MONOTONIC, &ts);
#else
    /* sem_clockwait is glibc's; sem_timedwait takes a CLOCK_REALTIME time. */
    clock_gettime(CLOCK_REALTIME, &ts);
#endif
    t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + ns;
    ts.tv_sec = (time_t)(t / 1000000000u);
    ts.tv_nsec = (long)(t % 1000000000u);
#if defined(__linux__)
    while ((r = sem_clockwait(&p->sem, CLOCK_MONOTONIC, &ts)) != 0 && errno == EINTR) {
    }
#else
    while ((r = sem_timedwait(&p->sem, &ts)) != 0 && errno == EINTR) {
    }
#endif
    if (r != 0)
        return 1;
    __atomic_store_n(&p->flag, 0, __ATOMIC_RELEASE);
    return 0;
}

static void sp_unpark(void *h)
{
    sp_unpark_inl((sem_parker_t *)h);
}

static void sp_fast(void *h, uint64_t n)
{
    sem_parker_t *p = (sem_parker_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++) {
        sp_unpark_inl(p);
        sp_park_inl(p);
    }
}

static void sp_idle(void *h, uint64_t n)
{
    sem_parker_t *p = (sem_parker_t *)h;
    uint64_t i;
    for (i = 0; i < n; i++)
        sp_unpark_inl(p);
    sp_park_inl(p);
}

const bench_contender bench_sem = {
    "sem_t", sp_self, sp_release, sp_park, sp_park_timeout, sp_unpark,
    sp_fast, sp_idle, sizeof(sem_parker_t), "glibc sem_t behind a flag",
};

/* ---- Rust, through the staticlib's C entry points --------------------- */
#if defined(BENCH_HAVE_RUST_STD)
void *bench_rust_std_self(void);
void bench_rust_std_release(void *h);
void bench_rust_std_park(void *h);
int bench_rust_std_park_timeout(void *h, uint64_t ns);
void bench_rust_std_unpark(void *h);
void bench_rust_std_fast(void *h, uint64_t n);
void bench_rust_std_idle(void *h, uint64_t n);

const bench_contender bench_rust_std = {
    "rust-std", bench_rust_std_self, bench_rust_std_release, bench_rust_std_park,
    bench_rust_std_park_timeout, bench_rust_std_unpark, bench_rust_std_fast,
    bench_rust_std_idle, 0, "std::thread::park/unpark",
};
#endif

#if defined(BENCH_HAVE_PLC)
void *bench_plc_self(void);
void bench_plc_release(void *h);
void bench_plc_park(void *h);
int bench_plc_park_timeout(void *h, uint64_t ns);
void bench_plc_unpark(void *h);
void bench_plc_fast(void *h, uint64_t n);
void bench_plc_idle(void *h, uint64_t n);

const bench_contender bench_plc = {
    "parking_lot_core", bench_plc_self, bench_plc_release, bench_plc_park,
    bench_plc_park_timeout, bench_plc_unpark, bench_plc_fast, bench_plc_idle, 4,
    "4-byte word + park/unpark_one",
};
#endif
