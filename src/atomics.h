/*
 * atomics.h - the handful of atomic operations the core needs, on a plain
 * uint32_t.  The public parker_t holds a plain uint32_t so that its header
 * works from C99, C++ and FFI; every access to it goes through these.
 *
 * GCC and clang (also mingw) use the __atomic builtins, which TSan
 * understands.  MSVC uses the Interlocked family (full barriers, stronger than
 * asked for) and volatile loads (acquire on x86/x64 with /volatile:ms); that
 * branch is written for MSVC but not built by our CI.
 */
#ifndef PARKER_ATOMICS_H
#define PARKER_ATOMICS_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)

#define parker__load_relaxed(a)   __atomic_load_n((a), __ATOMIC_RELAXED)
#define parker__load_acquire(a)   __atomic_load_n((a), __ATOMIC_ACQUIRE)
#define parker__store_relaxed(a, v) __atomic_store_n((a), (v), __ATOMIC_RELAXED)
#define parker__store_release(a, v) __atomic_store_n((a), (v), __ATOMIC_RELEASE)
#define parker__xchg_release(a, v) __atomic_exchange_n((a), (v), __ATOMIC_RELEASE)
#define parker__xchg_acquire(a, v) __atomic_exchange_n((a), (v), __ATOMIC_ACQUIRE)
#define parker__xchg_acq_rel(a, v) __atomic_exchange_n((a), (v), __ATOMIC_ACQ_REL)
/* Strong CAS; on failure *expected receives the current value. */
#define parker__cas_acquire(a, expected, v) \
    __atomic_compare_exchange_n((a), (expected), (v), 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
#define parker__cas_relaxed(a, expected, v) \
    __atomic_compare_exchange_n((a), (expected), (v), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define parker__cas_acq_rel(a, expected, v) \
    __atomic_compare_exchange_n((a), (expected), (v), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
#define parker__fetch_add_relaxed(a, v) __atomic_fetch_add((a), (v), __ATOMIC_RELAXED)
#define parker__fetch_sub_acq_rel(a, v) __atomic_fetch_sub((a), (v), __ATOMIC_ACQ_REL)

#if defined(__x86_64__) || defined(__i386__)
#  define parker__cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
#  define parker__cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#elif defined(__powerpc64__) || defined(__powerpc__)
#  define parker__cpu_relax() __asm__ __volatile__("or 27,27,27" ::: "memory")
#else
#  define parker__cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

#elif defined(_MSC_VER)

#include <intrin.h>
#include <windows.h>

static __inline uint32_t parker__msvc_load(const volatile uint32_t *a) { return *a; }
static __inline int parker__msvc_cas(volatile uint32_t *a, uint32_t *expected, uint32_t v)
{
    uint32_t seen = (uint32_t)InterlockedCompareExchange((volatile LONG *)a, (LONG)v, (LONG)*expected);
    if (seen == *expected)
        return 1;
    *expected = seen;
    return 0;
}
#define parker__load_relaxed(a)   parker__msvc_load(a)
#define parker__load_acquire(a)   parker__msvc_load(a)
#define parker__store_relaxed(a, v) ((void)InterlockedExchange((volatile LONG *)(a), (LONG)(v)))
#define parker__store_release(a, v) ((void)InterlockedExchange((volatile LONG *)(a), (LONG)(v)))
#define parker__xchg_release(a, v) ((uint32_t)InterlockedExchange((volatile LONG *)(a), (LONG)(v)))
#define parker__xchg_acquire(a, v) ((uint32_t)InterlockedExchange((volatile LONG *)(a), (LONG)(v)))
#define parker__xchg_acq_rel(a, v) ((uint32_t)InterlockedExchange((volatile LONG *)(a), (LONG)(v)))
#define parker__cas_acquire(a, e, v) parker__msvc_cas((a), (e), (v))
#define parker__cas_relaxed(a, e, v) parker__msvc_cas((a), (e), (v))
#define parker__cas_acq_rel(a, e, v) parker__msvc_cas((a), (e), (v))
#define parker__fetch_add_relaxed(a, v) ((uint32_t)InterlockedExchangeAdd((volatile LONG *)(a), (LONG)(v)))
#define parker__fetch_sub_acq_rel(a, v) ((uint32_t)InterlockedExchangeAdd((volatile LONG *)(a), -(LONG)(v)))
#define parker__cpu_relax() YieldProcessor()

#else
#error "libparker needs GCC/clang __atomic builtins or MSVC Interlocked functions"
#endif

#endif /* PARKER_ATOMICS_H */
