/*
 * atomic_wait.c - the WebAssembly backend (Emscripten with -pthread): the
 * parker's 32-bit state word is waited on with memory.atomic.wait32 and woken
 * with memory.atomic.notify, the wasm counterparts of FUTEX_WAIT/FUTEX_WAKE
 * (JavaScript's Atomics.wait/notify on the shared memory).
 *
 * wait: memory.atomic.wait32 compares the word with PARKED and blocks
 * atomically with that compare, so an unpark between the core's store of
 * PARKED and the block makes it return at once ("not-equal").  It takes a
 * relative timeout in nanoseconds (negative: none), so the core's absolute
 * deadline is turned into "deadline - now" at each call; a retry after a
 * spurious or early return recomputes it from the same deadline (no drift).
 *
 * wake: memory.atomic.notify of one waiter on the word's address.  Like a
 * futex, the address is only a key: notifying freed or reused memory wakes
 * nobody, or somebody who re-checks.
 *
 * The browser's main thread must not block: memory.atomic.wait32 traps there
 * (Atomics.wait throws on a window's thread).  It is also the thread that
 * runs the calls other threads proxy to it (stdout and file system writes,
 * pthread_create and thread clean-up in Emscripten's runtime), so a worker
 * that writes to stdout while the main thread is parked blocks until the main
 * thread serves it.  On that thread (also under node, where it may block) the
 * park therefore waits through emscripten_futex_wait in slices of at most
 * MAIN_SLICE_NS: that call first runs the queued proxied calls, then blocks
 * with memory.atomic.wait32 where the thread may block (node) and busy-waits
 * polling the word where it may not (a browser), as Emscripten's own
 * pthread_mutex_lock and pthread_join do there.  The slice ends the wait
 * often enough to serve proxied calls; the core re-checks the word and the
 * deadline and waits again.  Before the first wait, the main thread calls
 * emscripten_check_blocking_allowed(), which aborts when the program was
 * linked with -sALLOW_BLOCKING_ON_MAIN_THREAD=0 (and warns once in a browser
 * otherwise), so a program that forbids blocking its main thread learns it
 * at the first park instead of freezing its page.
 *
 * Clock: emscripten_get_now() (process.hrtime under node; performance.now()
 * corrected to the main thread's origin on a browser's workers), in ms as a
 * double, monotonic.
 */
#include "../backend.h"

#include <emscripten/emscripten.h>
#include <emscripten/threading.h>

#if !defined(__EMSCRIPTEN_PTHREADS__) || !defined(__wasm_atomics__)
#  error "libparker's wasm backend needs threads: compile and link everything with -pthread"
#endif

/* The main browser thread's longest single wait (1 ms), see above. */
#define MAIN_SLICE_NS INT64_C(1000000)

/*
 * V8's baseline compiler (Liftoff, node 20) corrupts a value that sits on the
 * wasm operand stack underneath memory.atomic.wait32's operands: with the
 * wait's result stored straight into memory ("*p = wait32(...)", which clang
 * emits at -O1 and above) the store went to address 0 and the result read 0.
 * Each instruction therefore lives alone in a function that is never
 * inlined, so nothing is on the stack under it.
 */
__attribute__((noinline)) static int wait32(uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
    return __builtin_wasm_memory_atomic_wait32((int32_t *)word, (int32_t)expected, timeout_ns);
}

__attribute__((noinline)) static void notify1(uint32_t *word)
{
    (void)__builtin_wasm_memory_atomic_notify((int32_t *)word, 1u);
}

int parker__sys_init(void)
{
    return 0;
}

/* The time left until deadline_ns in the wait's terms: -1 for none, else
 * nanoseconds, at least 0 and at most INT64_MAX (292 years; a longer
 * deadline returns early and the core waits again). */
static int64_t relative_timeout(uint64_t deadline_ns)
{
    uint64_t now;
    if (deadline_ns == PARKER__NO_DEADLINE)
        return -1;
    now = parker__sys_now_ns();
    if (deadline_ns <= now)
        return 0;
    return deadline_ns - now > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(deadline_ns - now);
}

int parker__sys_wait(parker_t *p, uint64_t deadline_ns)
{
    int64_t timeout_ns = relative_timeout(deadline_ns);

    if (timeout_ns == 0)
        return 0;
    if (emscripten_is_main_browser_thread()) {
        emscripten_check_blocking_allowed();
        if (timeout_ns < 0 || timeout_ns > MAIN_SLICE_NS)
            timeout_ns = MAIN_SLICE_NS;
        (void)emscripten_futex_wait(PARKER__WORD(p), PARKER__PARKED, (double)timeout_ns / 1e6);
        return 0;
    }
    /* "ok", "not-equal" or "timed-out": the core re-reads the word and the
     * clock either way. */
    (void)wait32(PARKER__WORD(p), PARKER__PARKED, timeout_ns);
    return 0;
}

void parker__sys_wake(parker_t *p)
{
    /* A main thread in emscripten_futex_wait's busy loop needs no notify: it
     * polls the word, which the unparker's exchange has already changed. */
    notify1(PARKER__WORD(p));
}

void parker__sys_absorb(parker_t *p)
{
    (void)p;
}

uint64_t parker__sys_now_ns(void)
{
    double ms = emscripten_get_now();
    /* ns as a double is exact to the ns for 104 days of uptime and a
     * monotonic function of ms beyond; the conversion keeps it monotonic. */
    return ms > 0 ? (uint64_t)(ms * 1e6) : 0u;
}

const char *parker__sys_name(void)
{
    return "wasm";
}

void parker__sys_after_fork(void)
{
    /* No process-wide state to reset, and WebAssembly has no fork. */
}
