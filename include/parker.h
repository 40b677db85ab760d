/*
 * parker.h - per-thread parking for C.
 *
 * A parker is a one-token semaphore that exactly one thread (its owner) waits
 * on.  `parker_unpark` deposits the token (at most one is ever held: many
 * unparks before a park leave one token), `parker_park` blocks until a token
 * is present and consumes it.  This is the primitive that Rust's
 * std::thread::park, parking_lot_core, CPython's _PyParkingLot and WebKit's
 * ParkingLot are built on; lock, queue and runtime authors build their waits
 * on top of it.
 *
 * Guarantees (every backend, each covered by a test in tests/):
 *   - No spurious returns: parker_park returns only after consuming a token;
 *     the timed calls return PARKER_OK only after consuming a token and
 *     PARKER_TIMEDOUT only once parker_now_ns() >= the deadline, also when
 *     signals interrupt the wait or the OS wakes the thread spuriously.
 *     Retries wait against the same absolute deadline.
 *   - Memory ordering: everything a thread wrote before parker_unpark is
 *     visible to the owner after the park that consumes that token returns.
 *     Every unpark is a release operation, also when the token was already
 *     present.
 *   - Destroy right after park: the owner may parker_destroy and free the
 *     parker as soon as a park returns PARKER_OK, even while the unparking
 *     thread is still inside parker_unpark.  No backend touches the parker's
 *     memory after the atomic store that the owner observes.
 *   - Fast paths make no system call: a park that finds the token, and an
 *     unpark while the owner is not blocked, are one atomic instruction.
 *
 * Misuse that cannot be reported through a return value (two threads parked
 * on one parker at once, destroying a parker a thread is parked on, a NULL
 * parker passed to a void function, an uninitialised parker) prints a message
 * naming the function to stderr and calls abort().  These checks cost one
 * comparison on slow paths and are always compiled in; they catch the common
 * cases, not every possible race.
 *
 * Results are small stable integers (below), identical on every platform; the
 * values are pinned and will not change in 1.x.
 *
 * Using a parker: a token says "something may have changed", not what.  A
 * token can be stale (left by an unpark meant for an earlier wait), and
 * parker_park_timeout may time out just as the condition becomes true.  So
 * wait in a loop that re-checks your own condition:
 *
 *     while (!condition_holds())   // an atomic load with acquire, say
 *         parker_park(me);
 *
 * and make the condition true before you unpark.
 *
 * Thread cancellation (POSIX pthread_cancel): parks are NOT cancellation
 * points, on every backend.  A deferred cancel that arrives while a thread is
 * parked neither ends the park nor kills the thread inside it: the park
 * returns only as documented (a token, or the deadline), and the cancel is
 * acted on at the thread's next cancellation point.  (The pthread backend
 * disables cancellation around its condition-variable wait and restores the
 * caller's state; the futex and Windows backends never call a cancellation
 * point.)  The parking lot (parker_lot.h) and everything built on it inherit
 * this: a lot park, and a wait of any object built on the lot, is not a
 * cancellation point either.  To cancel a parked thread, pthread_cancel it
 * and then unpark it (or let its timeout pass).  No libparker function is
 * async-cancel-safe: do not call them with PTHREAD_CANCEL_ASYNCHRONOUS.
 *
 * fork: the child of fork() may use every parker it sees, including parker
 * words copied from the parent, as long as no thread of the parent was
 * parked on them (that thread does not exist in the child).  fork() runs the
 * library's pthread_atfork handlers.  A child made by a raw clone/fork system
 * call runs none: it must call parker_after_fork() (and, if it uses the lot,
 * parker_lot_after_fork(), which includes it) before any other libparker
 * call, while it has only one thread.
 *
 * Unloading (dlclose/FreeLibrary): a thread that used parker_self() or
 * parker_thread_self() runs libparker code when it exits (a pthread key
 * destructor, a fiber-local storage callback).  So the code must stay mapped
 * while such threads live.  The shared library is linked with -z nodelete
 * where the linker supports it (ELF systems), and on Windows the first use of
 * parker_self() pins the module that contains libparker: dlclose/FreeLibrary
 * then leave it loaded.  If you link the static library into a shared object
 * of your own that you dlclose, link that object with -z nodelete too, or do
 * not unload it while threads that used parker_self() are alive.
 *
 * The backend is chosen when the library is built (PARKER_BACKEND in CMake):
 * "futex" (Linux), "waitonaddress"/"keyedevent" (Windows, chosen at run time),
 * "pthread" (any POSIX system), "wasm" (Emscripten with -pthread).  The
 * header and the ABI are the same for all.
 */
#ifndef PARKER_H
#define PARKER_H

#include <stddef.h>
#include <stdint.h>

#define PARKER_VERSION_MAJOR 2
#define PARKER_VERSION_MINOR 0
#define PARKER_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, comparable with parker_version(). */
#define PARKER_VERSION_NUMBER \
    (PARKER_VERSION_MAJOR * 10000 + PARKER_VERSION_MINOR * 100 + PARKER_VERSION_PATCH)

/*
 * PARKER_API marks the public functions.  Static builds need nothing.  The
 * shared library is built with PARKER_BUILDING_SHARED and hidden visibility,
 * so only these functions are exported; Windows users of the DLL define
 * PARKER_SHARED (the CMake target does that for them).
 */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(PARKER_BUILDING_SHARED)
#    define PARKER_API __declspec(dllexport)
#  elif defined(PARKER_SHARED)
#    define PARKER_API __declspec(dllimport)
#  else
#    define PARKER_API
#  endif
#elif defined(__GNUC__) && defined(PARKER_BUILDING_SHARED)
#  define PARKER_API __attribute__((visibility("default")))
#else
#  define PARKER_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Results. */
#define PARKER_OK        0  /* a token was consumed (lot: woken by an unpark) */
#define PARKER_TIMEDOUT  1  /* the deadline passed; no token was consumed */
/* 2 is PARKER_AGAIN, defined in parker_lot.h. */
#define PARKER_INVALID   3  /* a bad argument; nothing happened */

/* A deadline or timeout that never expires. */
#define PARKER_FOREVER   UINT64_MAX

/*
 * The parker.  A complete type so that it can live on the stack, inside
 * other structures or in arrays; the field is private.  4 bytes, 4-byte
 * aligned, with every backend (the pthread backend keeps its mutexes and
 * condition variables in a process-wide table keyed by the parker's address).
 * It holds no pointers: an initialised parker with no thread parked on it may
 * be copied bitwise only if no thread can unpark the source concurrently.
 * Not shared between processes.
 */
/* C++ spells the tag parker_tag: parker.hpp's namespace is named parker,
 * and a namespace cannot share its name with a class.  Both languages use
 * the typedef parker_t (the tag never appears in the API). */
#ifdef __cplusplus
typedef struct parker_tag {
#else
typedef struct parker {
#endif
    uint32_t private_state_;
} parker_t;

/*
 * A parker with no token, usable without parker_init (static storage,
 * structure members, arrays): `static parker_t p = PARKER_INITIALIZER;`.
 * All zero bits, so zero-filled memory (calloc, static storage) is a valid
 * parker too.  Every backend sets up what it needs on first use; the
 * pthread backend's process-wide table is then created by the first park or
 * unpark (aborting with a message if even that fails).  parker_destroy is
 * optional for such a parker, as for any parker that nobody uses any more.
 */
#define PARKER_INITIALIZER {0}

/*
 * Initialise *p with no token.  Returns 0, EINVAL if p is NULL, or an errno
 * value if the backend could not get its process-wide resources (only the
 * pthread backend has any, created once).  Any thread; not concurrently with
 * other calls on the same parker.
 */
PARKER_API int parker_init(parker_t *p);

/*
 * Release *p.  The parker must not be in use: no thread parked on it (checked:
 * aborts with a message) and no unpark that could still start.  An unpark that
 * has already made its token visible may still be returning: that is allowed
 * (see "Destroy right after park").  NULL aborts with a message.
 */
PARKER_API void parker_destroy(parker_t *p);

/*
 * Block until a token is present, then consume it.  Owner thread only: one
 * thread at a time may park on a given parker (two at once aborts with a
 * message).  Not async-signal-safe.  NULL aborts with a message.
 */
PARKER_API void parker_park(parker_t *p);

/*
 * As parker_park, but give up once timeout_ns nanoseconds have passed on
 * parker_now_ns().  Returns PARKER_OK (token consumed), PARKER_TIMEDOUT (no
 * token consumed; at least timeout_ns elapsed) or PARKER_INVALID (p is NULL).
 * timeout_ns == 0 never blocks but still consumes a present token.
 * PARKER_FOREVER (UINT64_MAX) never expires; a timeout so large that now +
 * timeout overflows also never expires.  Owner thread only.
 */
PARKER_API int parker_park_timeout(parker_t *p, uint64_t timeout_ns);

/*
 * As parker_park_timeout, with an absolute deadline on parker_now_ns()'s
 * clock.  A deadline at or before now never blocks (a present token is still
 * consumed).  PARKER_FOREVER never expires; deadlines beyond what the OS's
 * time types can hold are waited for in steps, never returned from early.
 */
PARKER_API int parker_park_until(parker_t *p, uint64_t deadline_ns);

/*
 * Make a token available, waking the owner if it is parked.  Any thread, any
 * number of times (the token does not accumulate).  Async-signal-safe with the
 * futex and Windows backends, not with the pthread backend.  Writes made
 * before the call are visible to the owner after the park that consumes the
 * token.  After this call has made the token visible it no longer touches *p.
 * NULL aborts with a message, and so does a parker that was destroyed or
 * never initialised when its word shows it (the check costs one compare).
 */
PARKER_API void parker_unpark(parker_t *p);

/*
 * The name of a result value: "PARKER_OK", "PARKER_TIMEDOUT", "PARKER_AGAIN"
 * or "PARKER_INVALID"; any other value gives "PARKER_UNKNOWN_RESULT".  Never
 * NULL; a static string; any thread.
 */
PARKER_API const char *parker_result_str(int result);

/*
 * Call in the child of a raw clone/fork system call (one that runs no
 * pthread_atfork handlers), before any other libparker call, while the child
 * has a single thread.  It re-creates the pthread backend's process-wide
 * mutexes and condition variables, which a thread of the parent may have held
 * at the moment of the fork; with the futex and Windows backends it does
 * nothing.  After an ordinary fork() it is not needed (the library's atfork
 * handler does the same) but harmless.  Parkers that a thread of the parent
 * was parked on must not be used in the child.
 */
PARKER_API void parker_after_fork(void);

/*
 * The monotonic clock that deadlines use, in nanoseconds from an unspecified
 * start (CLOCK_MONOTONIC on POSIX, QueryPerformanceCounter on Windows).
 * Any thread.
 */
PARKER_API uint64_t parker_now_ns(void);

/*
 * The name of the backend in use: "futex", "pthread", "waitonaddress",
 * "keyedevent" or "wasm".  A static string; any thread.
 */
PARKER_API const char *parker_backend(void);

/* PARKER_VERSION_NUMBER of the library actually linked; any thread. */
PARKER_API uint32_t parker_version(void);
/* "1.0.0"-style version string of the library actually linked. */
PARKER_API const char *parker_version_string(void);

/* For FFI bindings that embed a parker_t without knowing its layout. */
PARKER_API size_t parker_sizeof(void);
PARKER_API size_t parker_alignof(void);

/*
 * For FFI bindings that prefer handles: a heap parker, already initialised
 * (NULL if out of memory or the backend failed), and its release
 * (parker_destroy + free; NULL is ignored).
 */
PARKER_API parker_t *parker_new(void);
PARKER_API void parker_free(parker_t *p);

/*
 * A thread's own parker, with counted references.
 *
 * Every thread can have one parker_thread_t, created on first use and kept
 * until the thread exits.  Another thread may hold a counted reference to it
 * and unpark it at any time, also after the thread has exited (the unpark then
 * only sets a token nobody will consume), which is what Rust's Thread::unpark
 * allows.  The thread's own reference is dropped when the thread exits (a
 * pthread key destructor, a fiber-local callback on Windows); the memory goes
 * when the last reference is released.
 *
 * On Windows the slot is fiber-local storage (FLS): each fiber has its own
 * parker_self(), and a fiber's parker is released when the fiber is deleted.
 * Park a fiber's parker only from that fiber, and wake it only while the
 * fiber runs on some thread or will be switched to (a parked fiber blocks
 * the whole thread it runs on).
 *
 * Called from a thread-local destructor while the thread exits, these
 * functions still work: if this library's destructor already ran, a fresh
 * parker is made and the OS runs the destructor again (POSIX repeats
 * destructors up to PTHREAD_DESTRUCTOR_ITERATIONS times).  They return NULL
 * only when memory or the TLS slot cannot be obtained.
 */
typedef struct parker_thread parker_thread_t;

/* The calling thread's parker (created on first use), valid until the
 * calling thread exits; no reference is taken.  NULL on failure.  It is the
 * parker inside parker_thread_self(): parker_self() ==
 * parker_thread_parker(parker_thread_self()), so an unpark through a
 * reference wakes a park on parker_self(). */
PARKER_API parker_t *parker_self(void);

/* A new counted reference to the calling thread's parker.  NULL on failure.
 * Release it with parker_thread_release. */
PARKER_API parker_thread_t *parker_thread_self(void);

/* One more reference to t (returns t).  Any thread holding a reference.
 * NULL is passed through (returns NULL), as release ignores it. */
PARKER_API parker_thread_t *parker_thread_retain(parker_thread_t *t);

/* Drop one reference (NULL is ignored).  Any thread. */
PARKER_API void parker_thread_release(parker_thread_t *t);

/* parker_unpark on t's parker; any thread holding a reference, also after
 * t's thread has exited. */
PARKER_API void parker_thread_unpark(parker_thread_t *t);

/* The parker inside t, for parker_park* by t's own thread. */
PARKER_API parker_t *parker_thread_parker(parker_thread_t *t);

#ifdef __cplusplus
}
#endif

#endif /* PARKER_H */
