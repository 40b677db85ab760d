/*
 * sync.c - the Windows backend: WaitOnAddress where the system has it, NT
 * keyed events where it does not (Vista/7, or a build that forces them).
 *
 * Choosing the path
 * -----------------
 * WaitOnAddress/WakeByAddressSingle (Windows 8+) are looked up at run time so
 * that one binary runs everywhere.  The lookup uses GetModuleHandleW and
 * GetProcAddress only, never LoadLibrary: the first park or unpark may run
 * before main (a C++ static initialiser, a DLL's start-up under the loader
 * lock), where loading a library can deadlock.  The API set
 * api-ms-win-core-synch-l1-2-0.dll and its host kernelbase.dll are mapped in
 * every process that has the functions, so asking for the already loaded
 * module is enough; when neither answers we fall back to keyed events rather
 * than fail.
 *
 * Every parker in the process must use the same path (an unparker wakes the
 * way the owner waits), so the choice is one process-wide word set by a single
 * compare-and-swap from "unknown": whoever resolves first decides, later
 * resolvers adopt the decision.  A resolver publishes the function pointers
 * it found before its CAS (release), so a thread that reads the mode
 * (acquire) also sees the pointers that mode needs.  Resolvers may run
 * concurrently; they store identical values with atomic stores, never wait
 * for each other, and so cannot deadlock under the loader lock.
 *
 * WaitOnAddress path
 * ------------------
 * A check-and-block wait, like a futex: WaitOnAddress blocks only while the
 * state word still reads PARKED, and a WakeByAddressSingle with nobody
 * waiting is lost harmlessly.  It takes milliseconds: the remaining time is
 * rounded up (never early), a finite wait never passes INFINITE, and waits
 * longer than 0x7FFFFFFE ms are cut into chunks; the core re-checks the
 * clock and calls again against the same absolute deadline.
 *
 * Keyed-event path
 * ----------------
 * NtWaitForKeyedEvent(handle, key) blocks unconditionally until a
 * NtReleaseKeyedEvent(handle, key), and the release blocks until a waiter
 * takes it: a rendezvous.  Keys are the parker's address, which is 4-aligned
 * (keys must be even: the kernel uses bit 0).  The two consequences of the
 * rendezvous are handled by the core through backend.h: wait reports when it
 * consumed a release, and whenever the owner takes a token whose release it
 * did not consume (timed out just as an unpark arrived), absorb performs an
 * untimed wait that takes the release the unparker is delivering.  So an
 * unparker only releases after its exchange saw PARKED, and that owner always
 * waits exactly once more for it: the release never blocks for long.  The
 * owner returns from park only after its release was taken, so after the
 * release returns the unparker holds no reference to the parker's memory.
 *
 * One keyed-event handle serves the whole process.  It is created lazily on
 * the first parker_init that needs it, with a CAS from NULL; the loser of a
 * creation race closes its own handle.  Waits and wakes look it up again
 * with a CAS, which reads the latest value, so they find the handle even
 * without synchronising with the thread that created it.
 *
 * Process exit: once ExitProcess has begun (RtlDllShutdownInProgress), every
 * other thread is gone, so a parked owner cannot take a release and
 * NtReleaseKeyedEvent would block forever.  Wakes are skipped then.
 *
 * Failing waits: a WaitOnAddress that fails for another reason than its
 * timeout, or a keyed-event wait that returns an error status, would send
 * the core straight back into the wait, a spin.  Both sleep 1 ms instead.
 * Cancellation: nothing here is a pthread cancellation point (winpthreads
 * acts on a deferred cancel only inside its own functions), so a park never
 * acts on pthread_cancel.
 *
 * The clock is QueryPerformanceCounter, monotonic and the one parker_now_ns()
 * reports.  Windows' timer waits are not measured against it, so a wait may
 * end a little before the QPC deadline; the core re-checks and waits again.
 */
#ifndef WIN32_LEAN_AND_MEAN
#  define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "../backend.h"
#include "../atomics.h"

#include <errno.h>

/* Pointer-sized atomics for the cached function pointers and the handle.
 * Function pointers are kept as void * (the same size on every Windows ABI)
 * and converted through a union, which ISO C allows, unlike a cast. */
#if defined(__GNUC__) || defined(__clang__)
#  define ptr_load_acquire(a) __atomic_load_n((a), __ATOMIC_ACQUIRE)
#  define ptr_store_relaxed(a, v) __atomic_store_n((a), (v), __ATOMIC_RELAXED)
static void *ptr_cas_acq_rel(void **a, void *expected, void *desired)
{
    (void)__atomic_compare_exchange_n(a, &expected, desired, 0, __ATOMIC_ACQ_REL,
                                      __ATOMIC_ACQUIRE);
    return expected;
}
#else
#  define ptr_load_acquire(a) InterlockedCompareExchangePointer((PVOID volatile *)(a), NULL, NULL)
#  define ptr_store_relaxed(a, v) ((void)InterlockedExchangePointer((PVOID volatile *)(a), (v)))
static void *ptr_cas_acq_rel(void **a, void *expected, void *desired)
{
    return InterlockedCompareExchangePointer((PVOID volatile *)a, desired, expected);
}
#endif

typedef LONG nt_status;
#define NT_SUCCESS_CODE 0L
#define NT_TIMEOUT_CODE 0x102L

typedef BOOL(WINAPI *wait_on_address_fn)(volatile VOID *, PVOID, SIZE_T, DWORD);
typedef VOID(WINAPI *wake_by_address_fn)(PVOID);
typedef nt_status(NTAPI *nt_create_keyed_event_fn)(PHANDLE, ACCESS_MASK, PVOID, ULONG);
typedef nt_status(NTAPI *nt_keyed_event_fn)(HANDLE, PVOID, BOOLEAN, PLARGE_INTEGER);
typedef BOOLEAN(NTAPI *rtl_dll_shutdown_fn)(VOID);

union proc {
    void *ptr;
    FARPROC farproc;
    wait_on_address_fn wait_on_address;
    wake_by_address_fn wake_by_address;
    nt_create_keyed_event_fn nt_create;
    nt_keyed_event_fn nt_keyed;
    rtl_dll_shutdown_fn rtl_shutdown;
};

#define MODE_UNKNOWN       0u
#define MODE_WAITONADDRESS 1u
#define MODE_KEYEDEVENT    2u
#define MODE_NONE          3u /* neither found: parker_init fails */

static uint32_t mode;
static void *fn_wait_on_address;
static void *fn_wake_by_address;
static void *fn_nt_create_keyed_event;
static void *fn_nt_wait_for_keyed_event;
static void *fn_nt_release_keyed_event;
static void *fn_rtl_dll_shutdown_in_progress;
static void *keyed_handle;

static void *lookup(HMODULE module, const char *name)
{
    union proc u;
    u.ptr = NULL;
    if (module != NULL)
        u.farproc = GetProcAddress(module, name);
    return u.ptr;
}

static uint32_t resolve(void)
{
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    uint32_t chosen = MODE_NONE;
    uint32_t expected = MODE_UNKNOWN;
    void *f;

    /* Optional: without it we cannot tell that the process is exiting. */
    f = lookup(ntdll, "RtlDllShutdownInProgress");
    if (f != NULL)
        ptr_store_relaxed(&fn_rtl_dll_shutdown_in_progress, f);

#if !defined(PARKER_WINDOWS_FORCE_KEYED_EVENTS)
    {
        HMODULE synch = GetModuleHandleW(L"api-ms-win-core-synch-l1-2-0.dll");
        void *w, *k;
        if (synch == NULL || lookup(synch, "WaitOnAddress") == NULL)
            synch = GetModuleHandleW(L"kernelbase.dll");
        w = lookup(synch, "WaitOnAddress");
        k = lookup(synch, "WakeByAddressSingle");
        if (w != NULL && k != NULL) {
            ptr_store_relaxed(&fn_wait_on_address, w);
            ptr_store_relaxed(&fn_wake_by_address, k);
            chosen = MODE_WAITONADDRESS;
        }
    }
#endif
    if (chosen == MODE_NONE) {
        void *c = lookup(ntdll, "NtCreateKeyedEvent");
        void *w = lookup(ntdll, "NtWaitForKeyedEvent");
        void *r = lookup(ntdll, "NtReleaseKeyedEvent");
        if (c != NULL && w != NULL && r != NULL) {
            ptr_store_relaxed(&fn_nt_create_keyed_event, c);
            ptr_store_relaxed(&fn_nt_wait_for_keyed_event, w);
            ptr_store_relaxed(&fn_nt_release_keyed_event, r);
            chosen = MODE_KEYEDEVENT;
        }
    }
    /* Release: the pointers stored above are visible to whoever reads the
     * mode with acquire.  A lost CAS returns the winner's decision. */
    if (parker__cas_acq_rel(&mode, &expected, chosen))
        return chosen;
    return expected;
}

static uint32_t current_mode(void)
{
    uint32_t m = parker__load_acquire(&mode);
    return m != MODE_UNKNOWN ? m : resolve();
}

/* The process-wide keyed-event handle, created on first call.  NULL only if
 * it does not exist and could not be created. */
static HANDLE keyed_event(void)
{
    union proc create;
    HANDLE mine = NULL;
    void *h = ptr_load_acquire(&keyed_handle);
    if (h != NULL)
        return (HANDLE)h;
    create.ptr = ptr_load_acquire(&fn_nt_create_keyed_event);
    if (create.ptr == NULL ||
        create.nt_create(&mine, GENERIC_READ | GENERIC_WRITE, NULL, 0) != NT_SUCCESS_CODE)
        mine = NULL;
    /* With mine == NULL this CAS only reads the latest value (an RMW), so a
     * handle created by any thread before is found. */
    h = ptr_cas_acq_rel(&keyed_handle, NULL, mine);
    if (h == NULL)
        return mine;
    if (mine != NULL)
        CloseHandle(mine); /* lost the race: use the winner's */
    return (HANDLE)h;
}

void parker__sys_after_fork(void)
{
    /* No fork on Windows. */
}

int parker__sys_init(void)
{
    switch (current_mode()) {
    case MODE_WAITONADDRESS:
        return 0;
    case MODE_KEYEDEVENT:
        return keyed_event() != NULL ? 0 : EAGAIN;
    default:
        return ENOSYS;
    }
}

/* Negative 100 ns units = relative time for NT waits.  Rounded up. */
static LARGE_INTEGER relative_100ns(uint64_t remaining_ns)
{
    LARGE_INTEGER t;
    t.QuadPart = -(LONGLONG)(remaining_ns / 100u + (remaining_ns % 100u != 0));
    return t;
}

int parker__sys_wait(parker_t *p, uint64_t deadline_ns)
{
    uint64_t remaining = 0;

    if (deadline_ns != PARKER__NO_DEADLINE) {
        uint64_t now = parker__sys_now_ns();
        if (now >= deadline_ns)
            return 0;
        remaining = deadline_ns - now;
    }

    switch (current_mode()) {
    case MODE_WAITONADDRESS: {
        union proc wait;
        ULONG compare = PARKER__PARKED;
        DWORD ms = INFINITE;
        if (deadline_ns != PARKER__NO_DEADLINE) {
            uint64_t up = remaining / 1000000u + (remaining % 1000000u != 0);
            ms = up > 0x7FFFFFFEu ? 0x7FFFFFFEu : (DWORD)up;
        }
        wait.ptr = ptr_load_acquire(&fn_wait_on_address);
        /* FALSE with ERROR_TIMEOUT, or TRUE on a wake, a changed word or
         * spuriously: the core re-reads the word and the clock either way.
         * FALSE for any other reason did not wait at all: sleep a step. */
        if (!wait.wait_on_address(PARKER__WORD(p), &compare, sizeof compare, ms) &&
            GetLastError() != ERROR_TIMEOUT)
            Sleep(1);
        return 0;
    }
    case MODE_KEYEDEVENT: {
        union proc wait;
        HANDLE h = keyed_event();
        LARGE_INTEGER timeout;
        if (h == NULL) {
            /* Unreachable after a successful parker_init; poll rather than
             * block on nothing. */
            Sleep(1);
            return 0;
        }
        timeout = relative_100ns(remaining);
        wait.ptr = ptr_load_acquire(&fn_nt_wait_for_keyed_event);
        /* Only STATUS_SUCCESS means a release was taken; STATUS_TIMEOUT and
         * anything else mean none was.  An error status did not wait at
         * all: sleep a step rather than let the core spin. */
        {
            nt_status st = wait.nt_keyed(h, (PVOID)p, FALSE,
                                         deadline_ns == PARKER__NO_DEADLINE ? NULL : &timeout);
            if (st == NT_SUCCESS_CODE)
                return 1;
            if (st != NT_TIMEOUT_CODE)
                Sleep(1);
            return 0;
        }
    }
    default:
        Sleep(1);
        return 0;
    }
}

static int process_is_exiting(void)
{
    union proc f;
    f.ptr = ptr_load_acquire(&fn_rtl_dll_shutdown_in_progress);
    return f.ptr != NULL && f.rtl_shutdown();
}

void parker__sys_wake(parker_t *p)
{
    switch (current_mode()) {
    case MODE_WAITONADDRESS: {
        union proc wake;
        wake.ptr = ptr_load_acquire(&fn_wake_by_address);
        wake.wake_by_address(PARKER__WORD(p));
        break;
    }
    case MODE_KEYEDEVENT: {
        union proc release;
        HANDLE h;
        if (process_is_exiting())
            break; /* the owner is gone; releasing would block forever */
        h = keyed_event();
        if (h == NULL)
            break;
        release.ptr = ptr_load_acquire(&fn_nt_release_keyed_event);
        (void)release.nt_keyed(h, (PVOID)p, FALSE, NULL);
        break;
    }
    default:
        break;
    }
}

void parker__sys_absorb(parker_t *p)
{
    union proc wait;
    HANDLE h;
    if (current_mode() != MODE_KEYEDEVENT)
        return;
    /* During exit the unparker may have been killed before its release (or
     * skipped it, see parker__sys_wake): nobody else is left to deliver it. */
    if (process_is_exiting())
        return;
    h = keyed_event();
    if (h == NULL)
        return;
    /* The unparker's exchange saw PARKED, so its release is coming (or is
     * already waiting for us): take it, or it blocks forever. */
    wait.ptr = ptr_load_acquire(&fn_nt_wait_for_keyed_event);
    (void)wait.nt_keyed(h, (PVOID)p, FALSE, NULL);
}

uint64_t parker__sys_now_ns(void)
{
    LARGE_INTEGER count, freq;
    uint64_t c, f;
    /* Both calls always succeed on XP and later.  The frequency is fixed at
     * boot and cheap to read, so it is not cached. */
    (void)QueryPerformanceCounter(&count);
    (void)QueryPerformanceFrequency(&freq);
    c = (uint64_t)count.QuadPart;
    f = (uint64_t)freq.QuadPart;
    /* Split so that c * 1e9 cannot overflow: (c % f) * 1e9 < f * 1e9, which
     * fits for any frequency below 18 GHz. */
    return c / f * 1000000000u + c % f * 1000000000u / f;
}

const char *parker__sys_name(void)
{
    switch (current_mode()) {
    case MODE_WAITONADDRESS:
        return "waitonaddress";
    default:
        return "keyedevent";
    }
}
