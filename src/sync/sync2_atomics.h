/*
 * sync2_atomics.h - the operations the rwlock, semaphore, wait group and
 * barrier need beyond src/sync/sync_atomics.h (same stop-gap, same rules:
 * GCC/clang __atomic builtins, any width; folded into src/atomics.h when it
 * covers every width).
 */
#ifndef PARKER_SYNC2_ATOMICS_H
#define PARKER_SYNC2_ATOMICS_H

#include "sync/sync_atomics.h"

#define sync_fetch_sub_release(a, v) __atomic_fetch_sub((a), (v), __ATOMIC_RELEASE)
#define sync_cas_weak_release(a, e, v) \
    __atomic_compare_exchange_n((a), (e), (v), 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED)

#endif /* PARKER_SYNC2_ATOMICS_H */
