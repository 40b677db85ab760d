/*
 * sync_atomics.h - the atomic operations the sync objects use, on 8-bit
 * words and pointers.
 *
 * A stop-gap: src/atomics.h covers only uint32_t today and is being made
 * width-generic on the lot branch.  Until that lands, these wrappers keep
 * every access of the sync layer in one place, so switching them over is a
 * one-file change.  GCC and clang (also mingw) only: the __atomic builtins
 * are type-generic and understood by TSan.
 */
#ifndef PARKER_SYNC_ATOMICS_H
#define PARKER_SYNC_ATOMICS_H

#include "atomics.h" /* parker__cpu_relax */

#if !defined(__GNUC__) && !defined(__clang__)
#error "the sync layer needs the GCC/clang __atomic builtins (until src/atomics.h covers them)"
#endif

#define sync_load_relaxed(a)       __atomic_load_n((a), __ATOMIC_RELAXED)
#define sync_load_acquire(a)       __atomic_load_n((a), __ATOMIC_ACQUIRE)
#define sync_store_relaxed(a, v)   __atomic_store_n((a), (v), __ATOMIC_RELAXED)
#define sync_store_release(a, v)   __atomic_store_n((a), (v), __ATOMIC_RELEASE)
#define sync_xchg_acq_rel(a, v)    __atomic_exchange_n((a), (v), __ATOMIC_ACQ_REL)
#define sync_fetch_or_relaxed(a, v)  __atomic_fetch_or((a), (v), __ATOMIC_RELAXED)
#define sync_fetch_and_relaxed(a, v) __atomic_fetch_and((a), (v), __ATOMIC_RELAXED)
/* Compare-and-swap; on failure *(e) receives the current value. */
#define sync_cas_weak_acquire(a, e, v) \
    __atomic_compare_exchange_n((a), (e), (v), 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
#define sync_cas_weak_relaxed(a, e, v) \
    __atomic_compare_exchange_n((a), (e), (v), 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define sync_cas_acquire(a, e, v) \
    __atomic_compare_exchange_n((a), (e), (v), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
#define sync_cas_release(a, e, v) \
    __atomic_compare_exchange_n((a), (e), (v), 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED)
#define sync_cas_relaxed(a, e, v) \
    __atomic_compare_exchange_n((a), (e), (v), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)

#endif /* PARKER_SYNC_ATOMICS_H */
