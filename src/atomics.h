/*
 * atomics.h - the atomic operations of the core, the lot and the sync layer,
 * on plain integers of every width they use: uint8_t, uint16_t, uint32_t,
 * uint64_t and uintptr_t.  Public types hold plain integers (never
 * _Atomic), so that their headers work from C99, C++ and FFI; every
 * concurrent access to such a field goes through these functions.
 *
 * Names: parker__<op>_<order>_<width>, width u8 u16 u32 u64 uptr.
 *   load_{relaxed,acquire,seq_cst}(const T *a)
 *   store_{relaxed,release,seq_cst}(T *a, T v)
 *   xchg_{relaxed,acquire,release,acq_rel,seq_cst}(T *a, T v)       -> old
 *   cas_weak_<order>(T *a, T *expected, T v), cas_strong_<order>(...) -> 1/0
 *   fetch_{add,sub,and,or}_<order>(T *a, T v)                        -> old
 * with <order> relaxed, acquire, release, acq_rel or seq_cst for the
 * read-modify-writes.  A CAS that fails stores the value it saw in
 * *expected, read with the success order minus its release part (as C11's
 * one-order compare_exchange does): acquire for acquire and acq_rel, relaxed
 * for relaxed and release, seq_cst for seq_cst.  A weak CAS may fail
 * spuriously; use it only in a loop that retries.
 * Fences: parker__fence_{acquire,release,seq_cst}().
 *
 * GCC and clang (also mingw) use the __atomic builtins with constant orders,
 * which TSan understands.  MSVC uses the _Interlocked intrinsics (full
 * barriers: stronger than any order asked for) and volatile accesses with
 * explicit barriers for loads and stores; 64-bit read-modify-writes on
 * 32-bit x86 go through _InterlockedCompareExchange64, the one 64-bit
 * intrinsic that target has.  The MSVC branch is not built by our CI with
 * MSVC; defining PARKER__ATOMICS_INTERLOCKED selects it under mingw too,
 * which is how it was compiled and tested (see the lot's report).
 *
 * The older 32-bit names (parker__load_acquire, parker__cas_acquire, ...)
 * stay at the end of the file for src/parker.c and the backends.
 */
#ifndef PARKER_ATOMICS_H
#define PARKER_ATOMICS_H

#include <stdint.h>

#if (defined(__GNUC__) || defined(__clang__)) && !defined(PARKER__ATOMICS_INTERLOCKED)

/* Failure order of a CAS for each success order (see above). */
#define PARKER__FAIL_relaxed __ATOMIC_RELAXED
#define PARKER__FAIL_acquire __ATOMIC_ACQUIRE
#define PARKER__FAIL_release __ATOMIC_RELAXED
#define PARKER__FAIL_acq_rel __ATOMIC_ACQUIRE
#define PARKER__FAIL_seq_cst __ATOMIC_SEQ_CST
#define PARKER__ORDER_relaxed __ATOMIC_RELAXED
#define PARKER__ORDER_acquire __ATOMIC_ACQUIRE
#define PARKER__ORDER_release __ATOMIC_RELEASE
#define PARKER__ORDER_acq_rel __ATOMIC_ACQ_REL
#define PARKER__ORDER_seq_cst __ATOMIC_SEQ_CST

#define PARKER__DEF_LOAD(w, T, o)                                                  \
    static inline T parker__load_##o##_##w(const T *a)                             \
    {                                                                              \
        return __atomic_load_n(a, PARKER__ORDER_##o);                              \
    }
#define PARKER__DEF_STORE(w, T, o)                                                 \
    static inline void parker__store_##o##_##w(T *a, T v)                          \
    {                                                                              \
        __atomic_store_n(a, v, PARKER__ORDER_##o);                                 \
    }
#define PARKER__DEF_RMW(w, T, o)                                                   \
    static inline T parker__xchg_##o##_##w(T *a, T v)                              \
    {                                                                              \
        return __atomic_exchange_n(a, v, PARKER__ORDER_##o);                       \
    }                                                                              \
    static inline int parker__cas_weak_##o##_##w(T *a, T *expected, T v)           \
    {                                                                              \
        return __atomic_compare_exchange_n(a, expected, v, 1, PARKER__ORDER_##o,   \
                                           PARKER__FAIL_##o);                      \
    }                                                                              \
    static inline int parker__cas_strong_##o##_##w(T *a, T *expected, T v)         \
    {                                                                              \
        return __atomic_compare_exchange_n(a, expected, v, 0, PARKER__ORDER_##o,   \
                                           PARKER__FAIL_##o);                      \
    }                                                                              \
    static inline T parker__fetch_add_##o##_##w(T *a, T v)                         \
    {                                                                              \
        return __atomic_fetch_add(a, v, PARKER__ORDER_##o);                        \
    }                                                                              \
    static inline T parker__fetch_sub_##o##_##w(T *a, T v)                         \
    {                                                                              \
        return __atomic_fetch_sub(a, v, PARKER__ORDER_##o);                        \
    }                                                                              \
    static inline T parker__fetch_and_##o##_##w(T *a, T v)                         \
    {                                                                              \
        return __atomic_fetch_and(a, v, PARKER__ORDER_##o);                        \
    }                                                                              \
    static inline T parker__fetch_or_##o##_##w(T *a, T v)                          \
    {                                                                              \
        return __atomic_fetch_or(a, v, PARKER__ORDER_##o);                         \
    }

static inline void parker__fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void parker__fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void parker__fence_seq_cst(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

#if defined(__x86_64__) || defined(__i386__)
#  define parker__cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
#  define parker__cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#elif defined(__powerpc64__) || defined(__powerpc__)
#  define parker__cpu_relax() __asm__ __volatile__("or 27,27,27" ::: "memory")
#else
#  define parker__cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

#elif defined(_MSC_VER) || defined(PARKER__ATOMICS_INTERLOCKED)

#include <intrin.h>
#include <windows.h>

/* Orders on a weakly ordered CPU need a real barrier next to a volatile
 * access; x86 and x64 need only the compiler not to reorder (MSVC's x86
 * volatile accesses are acquire/release anyway, /volatile:ms). */
#if defined(_M_ARM64) || defined(_M_ARM)
#  define PARKER__MSVC_BARRIER() __dmb(0xB) /* DMB ISH */
#else
#  define PARKER__MSVC_BARRIER() _ReadWriteBarrier()
#endif

static __inline void parker__fence_acquire(void) { PARKER__MSVC_BARRIER(); }
static __inline void parker__fence_release(void) { PARKER__MSVC_BARRIER(); }
static __inline void parker__fence_seq_cst(void) { MemoryBarrier(); }
#define parker__cpu_relax() YieldProcessor()

/*
 * The primitives per width: IT is the intrinsics' type, S their suffix
 * (8, 16, none for long, 64).  Only CAS, exchange, add, and, or are needed;
 * every order maps to them (all full barriers).
 */
#define PARKER__MSVC_PRIMS(w, T, IT, S)                                            \
    static __inline T parker__msvc_cas_##w(T *a, T e, T v)                         \
    {                                                                              \
        return (T)_InterlockedCompareExchange##S((IT volatile *)a, (IT)v, (IT)e);  \
    }                                                                              \
    static __inline T parker__msvc_xchg_##w(T *a, T v)                             \
    {                                                                              \
        return (T)_InterlockedExchange##S((IT volatile *)a, (IT)v);                \
    }                                                                              \
    static __inline T parker__msvc_add_##w(T *a, T v)                              \
    {                                                                              \
        return (T)_InterlockedExchangeAdd##S((IT volatile *)a, (IT)v);             \
    }                                                                              \
    static __inline T parker__msvc_and_##w(T *a, T v)                              \
    {                                                                              \
        return (T)_InterlockedAnd##S((IT volatile *)a, (IT)v);                     \
    }                                                                              \
    static __inline T parker__msvc_or_##w(T *a, T v)                               \
    {                                                                              \
        return (T)_InterlockedOr##S((IT volatile *)a, (IT)v);                      \
    }                                                                              \
    static __inline T parker__msvc_load_##w(const T *a)                            \
    {                                                                              \
        return *(const volatile T *)a;                                             \
    }                                                                              \
    static __inline void parker__msvc_store_##w(T *a, T v)                         \
    {                                                                              \
        *(volatile T *)a = v;                                                      \
    }

PARKER__MSVC_PRIMS(u8, uint8_t, char, 8)
PARKER__MSVC_PRIMS(u16, uint16_t, short, 16)
PARKER__MSVC_PRIMS(u32, uint32_t, long, )

#if defined(_WIN64)
PARKER__MSVC_PRIMS(u64, uint64_t, __int64, 64)
#else
/* 32-bit x86: a 64-bit plain access may tear and only the CAS intrinsic
 * exists, so everything 64-bit is a CAS (loop). */
static __inline uint64_t parker__msvc_cas_u64(uint64_t *a, uint64_t e, uint64_t v)
{
    return (uint64_t)_InterlockedCompareExchange64((__int64 volatile *)a, (__int64)v, (__int64)e);
}
static __inline uint64_t parker__msvc_load_u64(const uint64_t *a)
{
    return parker__msvc_cas_u64((uint64_t *)a, 0, 0);
}
#define PARKER__MSVC_RMW64(name, expr)                                             \
    static __inline uint64_t parker__msvc_##name##_u64(uint64_t *a, uint64_t v)    \
    {                                                                              \
        uint64_t old = parker__msvc_load_u64(a), seen;                             \
        while ((seen = parker__msvc_cas_u64(a, old, (expr))) != old)               \
            old = seen;                                                            \
        return old;                                                                \
    }
PARKER__MSVC_RMW64(xchg, v)
PARKER__MSVC_RMW64(add, old + v)
PARKER__MSVC_RMW64(and, old & v)
PARKER__MSVC_RMW64(or, old | v)
static __inline void parker__msvc_store_u64(uint64_t *a, uint64_t v)
{
    (void)parker__msvc_xchg_u64(a, v);
}
#endif

#if defined(_WIN64)
#  define PARKER__MSVC_UPTR u64
#else
#  define PARKER__MSVC_UPTR u32
#endif

/* The ordered operations on top of the primitives.  P is the primitive
 * width (u8 ... u64) that T maps to. */
#define PARKER__MSVC_CAT3(a, b, c) a##b##c
#define PARKER__MSVC_PRIM(op, P) PARKER__MSVC_CAT3(parker__msvc_, op, P)

#endif /* compiler */

/* ------------------------------------------------------------------------
 * Instantiation for every width.
 * ---------------------------------------------------------------------- */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(PARKER__ATOMICS_INTERLOCKED)

#define PARKER__DEF_ALL(w, T)                                                      \
    PARKER__DEF_LOAD(w, T, relaxed)                                                \
    PARKER__DEF_LOAD(w, T, acquire)                                                \
    PARKER__DEF_LOAD(w, T, seq_cst)                                                \
    PARKER__DEF_STORE(w, T, relaxed)                                               \
    PARKER__DEF_STORE(w, T, release)                                               \
    PARKER__DEF_STORE(w, T, seq_cst)                                               \
    PARKER__DEF_RMW(w, T, relaxed)                                                 \
    PARKER__DEF_RMW(w, T, acquire)                                                 \
    PARKER__DEF_RMW(w, T, release)                                                 \
    PARKER__DEF_RMW(w, T, acq_rel)                                                 \
    PARKER__DEF_RMW(w, T, seq_cst)

#else /* MSVC / Interlocked */

#define PARKER__MSVC_DEF_LOAD(w, T, P, o, barrier)                                 \
    static __inline T parker__load_##o##_##w(const T *a)                           \
    {                                                                              \
        T v = (T)PARKER__MSVC_PRIM(load_, P)((const void *)a);                     \
        barrier;                                                                   \
        return v;                                                                  \
    }
#define PARKER__MSVC_DEF_STORE(w, T, P, o, barrier)                                \
    static __inline void parker__store_##o##_##w(T *a, T v)                        \
    {                                                                              \
        barrier;                                                                   \
        PARKER__MSVC_PRIM(store_, P)((void *)a, v);                                \
    }
#define PARKER__MSVC_DEF_RMW(w, T, P, o)                                           \
    static __inline T parker__xchg_##o##_##w(T *a, T v)                            \
    {                                                                              \
        return (T)PARKER__MSVC_PRIM(xchg_, P)((void *)a, v);                       \
    }                                                                              \
    static __inline int parker__cas_strong_##o##_##w(T *a, T *expected, T v)       \
    {                                                                              \
        T seen = (T)PARKER__MSVC_PRIM(cas_, P)((void *)a, *expected, v);           \
        if (seen == *expected)                                                     \
            return 1;                                                              \
        *expected = seen;                                                          \
        return 0;                                                                  \
    }                                                                              \
    static __inline int parker__cas_weak_##o##_##w(T *a, T *expected, T v)         \
    {                                                                              \
        return parker__cas_strong_##o##_##w(a, expected, v);                       \
    }                                                                              \
    static __inline T parker__fetch_add_##o##_##w(T *a, T v)                       \
    {                                                                              \
        return (T)PARKER__MSVC_PRIM(add_, P)((void *)a, v);                        \
    }                                                                              \
    static __inline T parker__fetch_sub_##o##_##w(T *a, T v)                       \
    {                                                                              \
        return (T)PARKER__MSVC_PRIM(add_, P)((void *)a, (T)(0u - v));              \
    }                                                                              \
    static __inline T parker__fetch_and_##o##_##w(T *a, T v)                       \
    {                                                                              \
        return (T)PARKER__MSVC_PRIM(and_, P)((void *)a, v);                        \
    }                                                                              \
    static __inline T parker__fetch_or_##o##_##w(T *a, T v)                        \
    {                                                                              \
        return (T)PARKER__MSVC_PRIM(or_, P)((void *)a, v);                         \
    }

#define PARKER__DEF_ALL_P(w, T, P)                                                 \
    PARKER__MSVC_DEF_LOAD(w, T, P, relaxed, (void)0)                               \
    PARKER__MSVC_DEF_LOAD(w, T, P, acquire, PARKER__MSVC_BARRIER())                \
    PARKER__MSVC_DEF_LOAD(w, T, P, seq_cst, MemoryBarrier())                       \
    PARKER__MSVC_DEF_STORE(w, T, P, relaxed, (void)0)                              \
    PARKER__MSVC_DEF_STORE(w, T, P, release, PARKER__MSVC_BARRIER())               \
    static __inline void parker__store_seq_cst_##w(T *a, T v)                      \
    {                                                                              \
        (void)PARKER__MSVC_PRIM(xchg_, P)((void *)a, v);                           \
    }                                                                              \
    PARKER__MSVC_DEF_RMW(w, T, P, relaxed)                                         \
    PARKER__MSVC_DEF_RMW(w, T, P, acquire)                                         \
    PARKER__MSVC_DEF_RMW(w, T, P, release)                                         \
    PARKER__MSVC_DEF_RMW(w, T, P, acq_rel)                                         \
    PARKER__MSVC_DEF_RMW(w, T, P, seq_cst)
#define PARKER__DEF_ALL_X(w, T, P) PARKER__DEF_ALL_P(w, T, P)
#define PARKER__DEF_ALL(w, T) PARKER__DEF_ALL_P(w, T, w)

#endif

PARKER__DEF_ALL(u8, uint8_t)
PARKER__DEF_ALL(u16, uint16_t)
PARKER__DEF_ALL(u32, uint32_t)
PARKER__DEF_ALL(u64, uint64_t)
#if (defined(__GNUC__) || defined(__clang__)) && !defined(PARKER__ATOMICS_INTERLOCKED)
PARKER__DEF_ALL(uptr, uintptr_t)
#else
PARKER__DEF_ALL_X(uptr, uintptr_t, PARKER__MSVC_UPTR)
#endif

/* ------------------------------------------------------------------------
 * The older 32-bit names, used by src/parker.c, src/thread.c and the
 * backends on uint32_t words.
 * ---------------------------------------------------------------------- */
#define parker__load_relaxed(a) parker__load_relaxed_u32(a)
#define parker__load_acquire(a) parker__load_acquire_u32(a)
#define parker__store_relaxed(a, v) parker__store_relaxed_u32((a), (v))
#define parker__store_release(a, v) parker__store_release_u32((a), (v))
#define parker__xchg_release(a, v) parker__xchg_release_u32((a), (v))
#define parker__xchg_acquire(a, v) parker__xchg_acquire_u32((a), (v))
#define parker__xchg_acq_rel(a, v) parker__xchg_acq_rel_u32((a), (v))
/* Strong CAS; on failure *expected receives the current value. */
#define parker__cas_acquire(a, expected, v) parker__cas_strong_acquire_u32((a), (expected), (v))
#define parker__cas_relaxed(a, expected, v) parker__cas_strong_relaxed_u32((a), (expected), (v))
#define parker__cas_acq_rel(a, expected, v) parker__cas_strong_acq_rel_u32((a), (expected), (v))
#define parker__fetch_add_relaxed(a, v) parker__fetch_add_relaxed_u32((a), (v))
#define parker__fetch_sub_acq_rel(a, v) parker__fetch_sub_acq_rel_u32((a), (v))

#endif /* PARKER_ATOMICS_H */
