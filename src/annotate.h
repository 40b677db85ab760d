/*
 * annotate.h - tell race and deadlock detectors what the sync objects and
 * the parker do.  Private to the library.
 *
 * Why: ThreadSanitizer, Helgrind and DRD see synchronisation only where
 * they can observe it.  A libparker built without -fsanitize=thread (a
 * distribution's or a vendored Release build) is invisible to a TSan
 * program, so every variable a parker_mutex_t protects looks racy to it,
 * and lock-order inversions go unseen.  Valgrind tools do not understand
 * the lock-free fast paths either.  So each object says, at its public
 * entry points, "locked", "unlocked", "released", "acquired".
 *
 * ThreadSanitizer: through WEAK references to the runtime's public
 * interface (sanitizer/tsan_interface.h).  A weak undefined symbol resolves
 * to NULL unless the program links the TSan runtime, so one and the same
 * libparker.a / libparker.so is annotated inside a -fsanitize=thread program
 * and otherwise costs a not-taken branch on a link-time constant (static) or
 * on one GOT load (shared) per hook.  The flag values below are the
 * runtime's ABI (they have not changed since the interface appeared in
 * LLVM 5 / GCC 8); we declare them ourselves so that the library builds
 * where the sanitizer headers are absent.
 *
 * When the library is itself built with TSan (the tsan-* presets), its
 * atomics are instrumented too.  The annotations are still right: the
 * pre/post pairs make TSan ignore the synchronisation inside them (that is
 * what they are for: instrumented lock implementations), so each lock
 * operation is seen once, as a lock operation, not also as the atomics it
 * is made of.
 *
 * Helgrind and DRD: through Valgrind client requests (helgrind.h's
 * ANNOTATE_RWLOCK_* and ANNOTATE_HAPPENS_*; DRD accepts the same request
 * numbers), compiled in only when CMake found valgrind/helgrind.h
 * (PARKER_HAVE_VALGRIND), and issued only when a cached "running on
 * Valgrind" flag says so (annotate.c explains why the flag).
 *
 * Deadlock detection: when built with PARKER_DEADLOCK_DETECTION the lock
 * hooks also keep the per-thread records of deadlock.c.  Otherwise none of
 * its code or symbols exist.
 *
 * Windows and wasm compile all of this out: no TSan runtime with weak
 * symbols there, no Valgrind.
 *
 * The hooks, and the order they are called in (TSan's contract):
 *   lock:    lock_pre(m, f)   <take the lock>   lock_post(m, f, took)
 *   unlock:  unlock_pre(m, f) <release it>      unlock_post(m, f)
 *   other:   release(a) before a publishing store / wake,
 *            acquire(a) after the wait or load that observed it.
 * f is 0 (exclusive) or PARKER__ANN_READ, plus PARKER__ANN_TRY for a lock
 * that may give up (trylock, and timed locks: a timeout is a way out of a
 * lock-order cycle, so TSan must not report one through it).
 */
#ifndef PARKER_ANNOTATE_H
#define PARKER_ANNOTATE_H

#include "backend.h" /* PARKER__HIDDEN */

/* PARKER_NO_ANNOTATIONS: test only, the stage's "without annotations"
 * library that proves each scenario needs its annotation. */
#if !defined(_WIN32) && !defined(__EMSCRIPTEN__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(PARKER_NO_ANNOTATIONS)
#  define PARKER__ANN_TSAN 1
#else
#  define PARKER__ANN_TSAN 0
#endif

#if defined(PARKER_HAVE_VALGRIND) && !defined(_WIN32) && !defined(__EMSCRIPTEN__) && \
    !defined(PARKER_NO_ANNOTATIONS)
#  define PARKER__ANN_VALGRIND 1
#else
#  define PARKER__ANN_VALGRIND 0
#endif

#if defined(PARKER_DEADLOCK_DETECTION)
#  define PARKER__ANN_DEADLOCK 1
#else
#  define PARKER__ANN_DEADLOCK 0
#endif

/* TSan's flag bits (tsan_interface.h). */
#define PARKER__ANN_READ       (1u << 3) /* __tsan_mutex_read_lock */
#define PARKER__ANN_TRY        (1u << 4) /* __tsan_mutex_try_lock */
#define PARKER__ANN_TRY_FAILED (1u << 5) /* __tsan_mutex_try_lock_failed */
/* Ours, never passed to TSan: a try that never waits (trylock), so the
 * deadlock records need not say "waiting". */
#define PARKER__ANN_NOWAIT     (1u << 16)
#define PARKER__ANN_TSAN_FLAGS(f) ((f) & 0xFFFFu)

#if PARKER__ANN_TSAN
/* Weak: NULL unless the TSan runtime is in the program.  Declared here, not
 * taken from the sanitizer header, which non-sanitizer builds may lack. */
#  define PARKER__WEAK __attribute__((weak))
void __tsan_mutex_pre_lock(void *addr, unsigned flags) PARKER__WEAK;
void __tsan_mutex_post_lock(void *addr, unsigned flags, int recursion) PARKER__WEAK;
int __tsan_mutex_pre_unlock(void *addr, unsigned flags) PARKER__WEAK;
void __tsan_mutex_post_unlock(void *addr, unsigned flags) PARKER__WEAK;
void __tsan_acquire(void *addr) PARKER__WEAK;
void __tsan_release(void *addr) PARKER__WEAK;
/* Inside pre/post pairs TSan ignores the thread's accesses and
 * synchronisation: right for an uninstrumented library (nothing to see),
 * wrong for one built with TSan, whose lot and word locks are shared with
 * objects that announce no lock (once, event, the parker): an edge ignored
 * here is missing there, and TSan reports the library's own stack reuse as
 * a race.  So an instrumented build "diverts" the whole operation back to
 * normal instrumentation and only the lock events themselves come from the
 * annotations. */
#  if defined(__SANITIZE_THREAD__)
#    define PARKER__TSAN_BUILD 1
#  elif defined(__has_feature)
#    if __has_feature(thread_sanitizer)
#      define PARKER__TSAN_BUILD 1
#    endif
#  endif
#  ifdef PARKER__TSAN_BUILD
void __tsan_mutex_pre_divert(void *addr, unsigned flags);
void __tsan_mutex_post_divert(void *addr, unsigned flags);
#    define PARKER__TSAN_DIVERT_BEGIN(m) __tsan_mutex_pre_divert((void *)(m), 0)
#    define PARKER__TSAN_DIVERT_END(m) __tsan_mutex_post_divert((void *)(m), 0)
#  else
#    define PARKER__TSAN_DIVERT_BEGIN(m) ((void)0)
#    define PARKER__TSAN_DIVERT_END(m) ((void)0)
#  endif
/* Whether the TSan runtime is in the program.  Every hook tests the same
 * symbol (the runtime defines all of them or none), so that the compiler
 * can compute its address once for the hooks of one call: one GOT load and
 * one branch hinted not taken, the common case being no TSan. */
#  define PARKER__TSAN_HERE() __builtin_expect(__tsan_mutex_pre_lock != 0, 0)
#endif

#if PARKER__ANN_TSAN
#  define PARKER__ANN_TSAN_ACTIVE() PARKER__TSAN_HERE()
#else
#  define PARKER__ANN_TSAN_ACTIVE() 0
#endif

#if PARKER__ANN_VALGRIND
/* annotate.c: whether we run under Valgrind, probed on first use. */
#  define PARKER__ANN_VG_UNKNOWN 0
#  define PARKER__ANN_VG_NO      1
#  define PARKER__ANN_VG_YES     2
PARKER__HIDDEN extern unsigned char parker__ann_vg;
PARKER__HIDDEN int parker__ann_vg_probe(void);
/* The client requests, out of line: their argument block would otherwise
 * give every fast path a stack frame. */
#  define PARKER__ANN_VG_ACQUIRED 0
#  define PARKER__ANN_VG_RELEASED 1
#  define PARKER__ANN_VG_BEFORE   2
#  define PARKER__ANN_VG_AFTER    3
PARKER__HIDDEN void parker__ann_vg_request(int what, const void *a, int is_w);
static inline int parker__ann_vg_on(void)
{
    unsigned char s = __atomic_load_n(&parker__ann_vg, __ATOMIC_RELAXED);
    if (__builtin_expect(s == PARKER__ANN_VG_NO, 1))
        return 0;
    return s == PARKER__ANN_VG_YES || parker__ann_vg_probe();
}
#endif

#if PARKER__ANN_DEADLOCK
/* deadlock.c: per-thread held / waiting-for records. */
PARKER__HIDDEN void parker__dd_wait(const void *lock, int read);
PARKER__HIDDEN void parker__dd_locked(const void *lock, int read);
PARKER__HIDDEN void parker__dd_gave_up(const void *lock);
PARKER__HIDDEN void parker__dd_unlocked(const void *lock);
#endif

/* Whether any hook could do anything: for the hottest paths (the mutex's
 * uncontended lock and unlock), which test this once and take a separate,
 * cold, announced path, so that the fast path keeps its shape (no stack
 * frame, no register kept across the CAS for a post hook). */
#if PARKER__ANN_DEADLOCK
#  define PARKER__ANN_ANY() 1
#else
#  define PARKER__ANN_ANY() (PARKER__ANN_TSAN_ACTIVE() || PARKER__ANN_VG_MAYBE())
#endif
#if PARKER__ANN_VALGRIND
#  define PARKER__ANN_VG_MAYBE() \
    __builtin_expect(__atomic_load_n(&parker__ann_vg, __ATOMIC_RELAXED) != PARKER__ANN_VG_NO, 0)
#else
#  define PARKER__ANN_VG_MAYBE() 0
#endif
#if defined(__GNUC__)
#  define PARKER__ANN_COLD __attribute__((noinline, cold))
#else
#  define PARKER__ANN_COLD
#endif

static inline void parker__ann_lock_pre(const void *m, unsigned flags)
{
    (void)m;
    (void)flags;
#if PARKER__ANN_TSAN
    if (PARKER__TSAN_HERE()) {
        __tsan_mutex_pre_lock((void *)m, PARKER__ANN_TSAN_FLAGS(flags));
        PARKER__TSAN_DIVERT_BEGIN(m);
    }
#endif
#if PARKER__ANN_DEADLOCK
    if (!(flags & PARKER__ANN_NOWAIT))
        parker__dd_wait(m, (flags & PARKER__ANN_READ) != 0);
#endif
}

/* took: the lock is now held (0 only for a try or timed lock that gave up). */
static inline void parker__ann_lock_post(const void *m, unsigned flags, int took)
{
    (void)m;
    (void)flags;
    (void)took;
#if PARKER__ANN_TSAN
    if (PARKER__TSAN_HERE()) {
        PARKER__TSAN_DIVERT_END(m);
        __tsan_mutex_post_lock((void *)m,
                               PARKER__ANN_TSAN_FLAGS(took ? flags : flags | PARKER__ANN_TRY_FAILED),
                               0);
    }
#endif
#if PARKER__ANN_VALGRIND
    if (took && parker__ann_vg_on())
        parker__ann_vg_request(PARKER__ANN_VG_ACQUIRED, m, !(flags & PARKER__ANN_READ));
#endif
#if PARKER__ANN_DEADLOCK
    if (took)
        parker__dd_locked(m, (flags & PARKER__ANN_READ) != 0);
    else
        parker__dd_gave_up(m);
#endif
}

/* held: whether the caller holds the lock as far as the object can tell,
 * evaluated only under TSan: an unlock of an unlocked lock is our misuse
 * (func: what) and must abort with our message, not be reported (and,
 * with halt_on_error, ended) by TSan as its own error first. */
#define parker__ann_unlock_pre(m, flags, held, func, what) \
    parker__ann_unlock_pre_((m), (flags), PARKER__ANN_TSAN_ACTIVE() ? (held) : 1, (func), (what))

static inline void parker__ann_unlock_pre_(const void *m, unsigned flags, int held,
                                           const char *func, const char *what)
{
    (void)m;
    (void)flags;
    (void)held;
    (void)func;
    (void)what;
#if PARKER__ANN_TSAN
    if (PARKER__TSAN_HERE()) {
        if (!held)
            parker__misuse(func, what);
        (void)__tsan_mutex_pre_unlock((void *)m, flags);
        PARKER__TSAN_DIVERT_BEGIN(m);
    }
#endif
#if PARKER__ANN_VALGRIND
    if (parker__ann_vg_on())
        parker__ann_vg_request(PARKER__ANN_VG_RELEASED, m, !(flags & PARKER__ANN_READ));
#endif
#if PARKER__ANN_DEADLOCK
    parker__dd_unlocked(m);
#endif
}

static inline void parker__ann_unlock_post(const void *m, unsigned flags)
{
    (void)m;
    (void)flags;
#if PARKER__ANN_TSAN
    if (PARKER__TSAN_HERE()) {
        PARKER__TSAN_DIVERT_END(m);
        __tsan_mutex_post_unlock((void *)m, flags);
    }
#endif
}

/* Everything this thread did so far happens-before whoever later calls
 * parker__ann_acquire(a). */
static inline void parker__ann_release(const void *a)
{
    (void)a;
#if PARKER__ANN_TSAN
    if (PARKER__TSAN_HERE())
        __tsan_release((void *)a);
#endif
#if PARKER__ANN_VALGRIND
    if (parker__ann_vg_on())
        parker__ann_vg_request(PARKER__ANN_VG_BEFORE, a, 0);
#endif
}

static inline void parker__ann_acquire(const void *a)
{
    (void)a;
#if PARKER__ANN_TSAN
    if (PARKER__TSAN_HERE())
        __tsan_acquire((void *)a);
#endif
#if PARKER__ANN_VALGRIND
    if (parker__ann_vg_on())
        parker__ann_vg_request(PARKER__ANN_VG_AFTER, a, 0);
#endif
}

/* acquire(a) when r is PARKER_OK (0); returns r.  For waits whose success
 * means "the release on a happened". */
static inline int parker__ann_acquire_if_ok(const void *a, int r)
{
    if (r == 0)
        parker__ann_acquire(a);
    return r;
}

#endif /* PARKER_ANNOTATE_H */
