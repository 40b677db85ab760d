/*
 * lock_rust.c - Rust's parking_lot (Mutex, RwLock, Condvar, Once) as lock
 * benchmark contenders, through the C entry points of bench/rust/locks.rs.
 * Empty lists when the crate was not built (see bench/CMakeLists.txt).
 */
#include "locks.h"

#if defined(BENCH_HAVE_PL)
void *bench_pl_mutex_new(void);
void bench_pl_mutex_free(void *h);
void bench_pl_mutex_lock(void *h);
void bench_pl_mutex_unlock(void *h);
void bench_pl_mutex_loop(void *h, uint64_t n);
void *bench_pl_rwlock_new(void);
void bench_pl_rwlock_free(void *h);
void bench_pl_rwlock_rdlock(void *h);
void bench_pl_rwlock_rdunlock(void *h);
void bench_pl_rwlock_wrlock(void *h);
void bench_pl_rwlock_wrunlock(void *h);
void *bench_pl_mutex_array_new(size_t n);
void bench_pl_mutex_array_free(void *a, size_t n);
void *bench_pl_queue_new(size_t cap);
void bench_pl_queue_free(void *h);
void bench_pl_queue_put(void *h, uint64_t v);
uint64_t bench_pl_queue_take(void *h);
uint64_t bench_pl_once_loop(uint64_t n);

/* Sizes as the crate has them (RawMutex 1 byte, RawRwLock one word, Condvar
 * one pointer, Once 1 byte); locks.rs exports bench_pl_*_size to check. */
static const bench_mutex_ops pl_mutex_ops = {
    "parking_lot::Mutex", 1, bench_pl_mutex_new, bench_pl_mutex_free, bench_pl_mutex_lock,
    bench_pl_mutex_unlock, bench_pl_mutex_loop, 0, bench_pl_mutex_array_new,
    bench_pl_mutex_array_free,
};
static const bench_rwlock_ops pl_rwlock_ops = {
    "parking_lot::RwLock", sizeof(void *), bench_pl_rwlock_new, bench_pl_rwlock_free,
    bench_pl_rwlock_rdlock, bench_pl_rwlock_rdunlock, bench_pl_rwlock_wrlock,
    bench_pl_rwlock_wrunlock,
};
static const bench_queue_ops pl_queue_ops = {
    "parking_lot::Condvar", sizeof(void *), bench_pl_queue_new, bench_pl_queue_free,
    bench_pl_queue_put, bench_pl_queue_take,
};
static const bench_once_ops pl_once_ops = { "parking_lot::Once", 1, bench_pl_once_loop };

const bench_mutex_ops *const bench_rust_mutexes[] = { &pl_mutex_ops, NULL };
const bench_rwlock_ops *const bench_rust_rwlocks[] = { &pl_rwlock_ops, NULL };
const bench_queue_ops *const bench_rust_queues[] = { &pl_queue_ops, NULL };
const bench_once_ops *const bench_rust_onces[] = { &pl_once_ops, NULL };
#else
const bench_mutex_ops *const bench_rust_mutexes[] = { NULL };
const bench_rwlock_ops *const bench_rust_rwlocks[] = { NULL };
const bench_queue_ops *const bench_rust_queues[] = { NULL };
const bench_once_ops *const bench_rust_onces[] = { NULL };
#endif
