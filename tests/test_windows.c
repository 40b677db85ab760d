/*
 * test_windows.c - what only the Windows backend has to get right, run on
 * both of its paths (WaitOnAddress and forced keyed events):
 *   - an unpark racing a timing-out park never leaves the unparker blocked in
 *     NtReleaseKeyedEvent (a watchdog fails the test instead of hanging) and
 *     never loses or duplicates a token;
 *   - the process-wide keyed-event handle and the API lookup, raced by many
 *     threads at first use in a fresh process, end with one handle;
 *   - first use before main: from a constructor and from DllMain under the
 *     loader lock;
 *   - an unpark during process exit, whose owner was killed while parked,
 *     does not block ExitProcess.
 *
 * Fresh-process tests re-run this program with an argument (child modes
 * below) and give it a time limit.  Built a second time with
 * PARKER_TEST_WINDOWS_DLL as test_windows_dll.dll, which holds its own copy
 * of the static library, for the DllMain tests.
 */
#if defined(PARKER_TEST_WINDOWS_DLL)

#ifndef WIN32_LEAN_AND_MEAN
#  define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "parker.h"

static parker_t early;
static int early_result = -1;
static const char *early_backend = "";

static parker_t exit_parker;
static volatile LONG exit_armed;

static DWORD WINAPI park_forever(LPVOID arg)
{
    (void)arg;
    parker_park(&exit_parker); /* killed here by ExitProcess */
    return 0;
}

/* 0 if the parker worked inside DllMain; the backend it used. */
__declspec(dllexport) int early_check(const char **backend);
int early_check(const char **backend)
{
    *backend = early_backend;
    return early_result;
}

/* Start a thread parked on exit_parker; return 0 once it is parked, so that
 * the unpark in DLL_PROCESS_DETACH meets a PARKED owner that is dead. */
__declspec(dllexport) int exit_arm(void);
int exit_arm(void)
{
    HANDLE t;
    DWORD waited = 0;
    if (parker_init(&exit_parker) != 0)
        return 1;
    t = CreateThread(NULL, 0, park_forever, NULL, 0, NULL);
    if (t == NULL)
        return 2;
    CloseHandle(t);
    /* The private word reads PARKED (all ones) once the owner committed to
     * blocking; a white-box peek, only here. */
    while (InterlockedCompareExchange((volatile LONG *)&exit_parker.private_state_, 0, 0) != -1) {
        if (waited++ > 30000)
            return 3;
        Sleep(1);
    }
    InterlockedExchange(&exit_armed, 1);
    return 0;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved);
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    if (reason == DLL_PROCESS_ATTACH) {
        /* Under the loader lock: the library's first use resolves the API
         * and (keyed events) creates the handle here. */
        early_result = 10;
        if (parker_init(&early) == 0) {
            int timed = parker_park_timeout(&early, 1000000u); /* blocks 1 ms */
            int token;
            parker_unpark(&early);
            token = parker_park_timeout(&early, 1000000u);
            early_backend = parker_backend();
            early_result = (timed == PARKER_TIMEDOUT ? 0 : 1) + (token == PARKER_OK ? 0 : 2);
        }
    } else if (reason == DLL_PROCESS_DETACH && reserved != NULL && exit_armed) {
        /* Process exit: the owner was killed while parked.  A keyed-event
         * release here would wait for it forever. */
        parker_unpark(&exit_parker);
    }
    return TRUE;
}

#else /* the test program */

#include "common.h"

#include <stdatomic.h>

#ifndef PARKER_EXPECT_BACKEND
#error "the build defines PARKER_EXPECT_BACKEND"
#endif

/* ------------------------------------------------ helpers */

static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Re-run this program with `mode` as its argument; fail the test if it does
 * not exit within limit_ms or exits with a non-zero code. */
static void run_child(const char *mode, DWORD limit_ms)
{
    char exe[MAX_PATH], cmd[MAX_PATH + 64];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    DWORD code = 99, waited;
    assert_true(GetModuleFileNameA(NULL, exe, sizeof exe) > 0);
    snprintf(cmd, sizeof cmd, "\"%s\" %s", exe, mode);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    memset(&pi, 0, sizeof pi);
    assert_true(CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
    waited = WaitForSingleObject(pi.hProcess, limit_ms);
    if (waited != WAIT_OBJECT_0) {
        TerminateProcess(pi.hProcess, 98);
        WaitForSingleObject(pi.hProcess, INFINITE);
    }
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    if (waited != WAIT_OBJECT_0)
        fail_msg("child '%s' still running after %lu ms (blocked)", mode, (unsigned long)limit_ms);
    if (code != 0)
        fail_msg("child '%s' exited with %lu", mode, (unsigned long)code);
}

/* Keyed-event handles open in this process, counted by asking the kernel
 * each small handle value's object type.  -1 if NtQueryObject is missing. */
struct unicode_string {
    USHORT length;
    USHORT maximum_length;
    PWSTR buffer;
};
typedef LONG(NTAPI *nt_query_object_fn)(HANDLE, int, PVOID, ULONG, PULONG);

static int count_keyed_event_handles(void)
{
    static const WCHAR keyed[] = L"KeyedEvent";
    union {
        FARPROC farproc;
        nt_query_object_fn query;
    } f;
    union {
        struct unicode_string name;
        unsigned char bytes[1024];
    } info;
    uintptr_t h;
    int count = 0;
    f.farproc = GetProcAddress(GetModuleHandleA("ntdll.dll"), "NtQueryObject");
    if (f.farproc == NULL)
        return -1;
    for (h = 4; h < 0x10000; h += 4) {
        ULONG len = 0;
        /* 2 = ObjectTypeInformation: a UNICODE_STRING type name first. */
        if (f.query((HANDLE)h, 2, &info, sizeof info, &len) != 0)
            continue;
        if (info.name.length == sizeof keyed - sizeof(WCHAR) &&
            memcmp(info.name.buffer, keyed, info.name.length) == 0)
            count++;
    }
    return count;
}

/* -------------------------------- child: first use raced by many threads */

#define FIRST_USE_THREADS 16

static parker_t first_parkers[FIRST_USE_THREADS];
static atomic_int first_arrived, first_go, first_inited, first_failures;

static void *first_use_main(void *arg)
{
    int i = (int)(intptr_t)arg;
    int peer = i ^ 1;
    int phase;
    atomic_fetch_add(&first_arrived, 1);
    while (!atomic_load(&first_go)) {
    }
    /* All at once: resolve the API and create the keyed-event handle. */
    if (parker_init(&first_parkers[i]) != 0)
        atomic_fetch_add(&first_failures, 1);
    atomic_fetch_add(&first_inited, 1);
    while (atomic_load(&first_inited) < FIRST_USE_THREADS)
        test_yield();
    /* Phase 0: even threads park, odd ones wake them; phase 1 the other way
     * round.  A wake sent through another handle than the wait used would
     * never arrive: the 20 s park reports it (and the child hangs). */
    for (phase = 0; phase < 2; phase++) {
        if ((i & 1) == phase) {
            if (parker_park_timeout(&first_parkers[i], 20000 * NS_PER_MS) != PARKER_OK)
                atomic_fetch_add(&first_failures, 1);
        } else {
            test_sleep_ms(5);
            parker_unpark(&first_parkers[peer]);
        }
        test_sleep_ms(10);
    }
    return NULL;
}

static int child_first_use(void)
{
    pthread_t threads[FIRST_USE_THREADS];
    int i, before, after, expect;
    before = count_keyed_event_handles();
    for (i = 0; i < FIRST_USE_THREADS; i++)
        threads[i] = test_thread_start(first_use_main, (void *)(intptr_t)i);
    while (atomic_load(&first_arrived) < FIRST_USE_THREADS)
        test_yield();
    atomic_store(&first_go, 1);
    for (i = 0; i < FIRST_USE_THREADS; i++)
        test_thread_join(threads[i]);
    if (atomic_load(&first_failures) != 0) {
        fprintf(stderr, "first use: %d failures\n", atomic_load(&first_failures));
        return 1;
    }
    after = count_keyed_event_handles();
    expect = strcmp(parker_backend(), "keyedevent") == 0 ? 1 : 0;
    /* A delta: the system may hold keyed events of its own (wine does). */
    if (before < 0 || after - before != expect) {
        fprintf(stderr, "first use: %d keyed-event handles before, %d after (want +%d)\n",
                before, after, expect);
        return 2;
    }
    return 0;
}

/* ----------------------------- child: unpark during ExitProcess */

static int child_exit_while_parked(void)
{
    union {
        FARPROC farproc;
        int (*arm)(void);
    } f;
    HMODULE dll = LoadLibraryA("test_windows_dll.dll");
    if (dll == NULL)
        return 10;
    f.farproc = GetProcAddress(dll, "exit_arm");
    if (f.farproc == NULL)
        return 11;
    if (f.arm() != 0)
        return 12;
    /* Returning runs ExitProcess: the parked thread is killed, then the
     * DLL's detach unparks it. */
    return 0;
}

/* ------------------------------------------------ first use before main */

#if defined(__GNUC__)
static int ctor_init = -1, ctor_timed = -1, ctor_woken = -1;
static const char *ctor_backend;
static parker_t ctor_parker;

static DWORD WINAPI ctor_unparker(LPVOID arg)
{
    (void)arg;
    Sleep(10);
    parker_unpark(&ctor_parker);
    return 0;
}

__attribute__((constructor)) static void use_before_main(void)
{
    HANDLE t;
    /* Fresh-process children must see the library untouched. */
    if (strstr(GetCommandLineA(), "--child-") != NULL)
        return;
    ctor_init = parker_init(&ctor_parker);
    if (ctor_init != 0)
        return;
    ctor_timed = parker_park_timeout(&ctor_parker, NS_PER_MS);
    t = CreateThread(NULL, 0, ctor_unparker, NULL, 0, NULL);
    if (t == NULL)
        return;
    ctor_woken = parker_park_timeout(&ctor_parker, 30000 * NS_PER_MS);
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    ctor_backend = parker_backend();
}

static void test_first_use_in_constructor_works(void **state)
{
    (void)state;
    assert_int_equal(0, ctor_init);
    assert_int_equal(PARKER_TIMEDOUT, ctor_timed);
    assert_int_equal(PARKER_OK, ctor_woken);
    assert_non_null(ctor_backend);
    assert_string_equal(parker_backend(), ctor_backend);
}
#endif

/* ------------------------------------------------ tests */

static void test_backend_is_exactly_the_configured_path(void **state)
{
    (void)state;
    assert_string_equal(PARKER_EXPECT_BACKEND, parker_backend());
}

#if !defined(PARKER_TEST_NO_DLL)
static void test_first_use_in_dllmain_works(void **state)
{
    union {
        FARPROC farproc;
        int (*check)(const char **);
    } f;
    const char *backend = NULL;
    HMODULE dll;
    (void)state;
    dll = LoadLibraryA("test_windows_dll.dll");
    assert_non_null(dll);
    f.farproc = GetProcAddress(dll, "early_check");
    assert_non_null(f.farproc);
    assert_int_equal(0, f.check(&backend));
    /* The DLL's own copy of the library chose the same path. */
    assert_string_equal(parker_backend(), backend);
}

#endif

static void test_first_use_race_creates_one_handle(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < 5; i++)
        run_child("--child-first-use", 60000);
}

#if !defined(PARKER_TEST_NO_DLL)
static void test_unpark_during_exit_does_not_block(void **state)
{
    (void)state;
    run_child("--child-exit-while-parked", 30000);
}
#endif

/*
 * The keyed-event race: the owner parks with a timeout of a few
 * microseconds, the unparker unparks at a random moment around its expiry.
 * Every round must end with exactly one token consumed (by the timed park or
 * by the check after it), and the unparker must return from parker_unpark:
 * if its NtReleaseKeyedEvent waited for an owner that had withdrawn, the
 * watchdog fails the test.
 */
#define RACE_ROUNDS 20000u
#define RACE_WATCHDOG_NS (20000u * NS_PER_MS)

static struct {
    parker_t p;
    atomic_uint round;
    atomic_uint done;
    atomic_uint delay_ns;
    atomic_int stop;
} race; /* static: a stuck unparker may outlive a failed test */

static void *race_unparker(void *arg)
{
    unsigned r;
    (void)arg;
    for (r = 1; r <= RACE_ROUNDS; r++) {
        uint64_t start, delay;
        while (atomic_load(&race.round) != r) {
            if (atomic_load(&race.stop))
                return NULL;
        }
        delay = atomic_load(&race.delay_ns);
        start = parker_now_ns();
        while (parker_now_ns() - start < delay) {
        }
        parker_unpark(&race.p);
        atomic_store(&race.done, r);
    }
    return NULL;
}

static void test_timeout_unpark_race_never_blocks_unparker(void **state)
{
    pthread_t t;
    unsigned r;
    unsigned long ok = 0, timedout = 0;
    uint32_t seed = 0x9E3779B9u;
    (void)state;
    memset(&race, 0, sizeof race);
    assert_int_equal(0, parker_init(&race.p));
    t = test_thread_start(race_unparker, NULL);
    for (r = 1; r <= RACE_ROUNDS; r++) {
        uint32_t x = rng_next(&seed);
        uint64_t timeout = 1000u + (x % 100u) * 1000u; /* 1..100 us */
        uint64_t watch;
        int res, extra;
        uint64_t delay = (x >> 8) % (2u * timeout + 50000u); /* around the expiry */
        /* One round in 16 unparks well after the expiry, so that timeouts
         * happen also where waits are rounded up to milliseconds. */
        if ((x >> 28) == 0)
            delay = timeout + 2 * NS_PER_MS + (x >> 8) % NS_PER_MS;
        atomic_store(&race.delay_ns, (unsigned)delay);
        atomic_store(&race.round, r);
        res = parker_park_timeout(&race.p, timeout);
        watch = parker_now_ns();
        while (atomic_load(&race.done) != r) {
            if (parker_now_ns() - watch > RACE_WATCHDOG_NS) {
                atomic_store(&race.stop, 1);
                fail_msg("round %u: parker_unpark did not return within 20 s "
                         "(blocked in the backend's wake)", r);
            }
            test_yield();
        }
        /* The unpark has completed: its token was consumed by the timed park
         * (PARKER_OK) or is still there (PARKER_TIMEDOUT), never both. */
        extra = parker_park_timeout(&race.p, 0);
        if (res == PARKER_OK) {
            ok++;
            assert_int_equal(PARKER_TIMEDOUT, extra);
        } else {
            timedout++;
            assert_int_equal(PARKER_TIMEDOUT, res);
            assert_int_equal(PARKER_OK, extra);
        }
    }
    test_thread_join(t);
    parker_destroy(&race.p);
    printf("race: %lu woken, %lu timed out of %u rounds\n", ok, timedout, RACE_ROUNDS);
    /* Both sides of the race were reached. */
    assert_true(ok > 0);
    assert_true(timedout > 0);
}

/*
 * Many parkers timing out while unparks land: the same race with several
 * owners at once, each with its own unparker, on parkers that are freed and
 * reallocated between rounds (keys are reused addresses).
 */
#define MULTI_PAIRS 4
#define MULTI_ROUNDS 3000

struct multi {
    parker_t *_Atomic slot;
    atomic_int stop;
    atomic_uint unparks;
};

static void *multi_unparker(void *arg)
{
    struct multi *m = (struct multi *)arg;
    uint32_t seed = (uint32_t)(uintptr_t)arg | 1u;
    while (!atomic_load(&m->stop)) {
        parker_t *p = atomic_exchange(&m->slot, NULL);
        if (p == NULL) {
            test_yield();
            continue;
        }
        {
            uint64_t start = parker_now_ns(), delay = rng_next(&seed) % 60000u;
            while (parker_now_ns() - start < delay) {
            }
        }
        parker_unpark(p);
        atomic_fetch_add(&m->unparks, 1u);
    }
    return NULL;
}

struct multi_owner {
    struct multi m;
    pthread_t unparker;
};

static void *multi_owner_main(void *arg)
{
    struct multi_owner *o = (struct multi_owner *)arg;
    uint32_t seed = (uint32_t)(uintptr_t)arg | 3u;
    int r;
    for (r = 0; r < MULTI_ROUNDS; r++) {
        parker_t *p = parker_new();
        if (p == NULL)
            return (void *)1;
        atomic_store(&o->m.slot, p);
        if (parker_park_timeout(p, 1000u + rng_next(&seed) % 40000u) != PARKER_OK) {
            /* Timed out: the unparker still holds p (or is inside unpark).
             * Its token must arrive; then p may be freed. */
            uint64_t watch = parker_now_ns();
            while (parker_park_timeout(p, NS_PER_MS) != PARKER_OK) {
                if (parker_now_ns() - watch > RACE_WATCHDOG_NS)
                    return (void *)2;
            }
        }
        /* Destroy right after park: the unparker may still be returning. */
        parker_free(p);
    }
    return NULL;
}

static void test_many_owners_racing_timeouts_and_reused_keys(void **state)
{
    static struct multi_owner owners[MULTI_PAIRS];
    pthread_t threads[MULTI_PAIRS];
    int i;
    (void)state;
    memset(owners, 0, sizeof owners);
    for (i = 0; i < MULTI_PAIRS; i++)
        owners[i].unparker = test_thread_start(multi_unparker, &owners[i].m);
    for (i = 0; i < MULTI_PAIRS; i++)
        threads[i] = test_thread_start(multi_owner_main, &owners[i]);
    for (i = 0; i < MULTI_PAIRS; i++) {
        void *res = (void *)1;
        assert_int_equal(0, pthread_join(threads[i], &res));
        assert_null(res);
    }
    for (i = 0; i < MULTI_PAIRS; i++) {
        atomic_store(&owners[i].m.stop, 1);
        test_thread_join(owners[i].unparker);
        assert_int_equal(MULTI_ROUNDS, atomic_load(&owners[i].m.unparks));
    }
}

static void test_clock_is_qpc_nanoseconds(void **state)
{
    LARGE_INTEGER c, f;
    uint64_t a, b, qpc_ns;
    (void)state;
    a = parker_now_ns();
    QueryPerformanceCounter(&c);
    QueryPerformanceFrequency(&f);
    b = parker_now_ns();
    qpc_ns = (uint64_t)(c.QuadPart / f.QuadPart) * 1000000000u +
             (uint64_t)(c.QuadPart % f.QuadPart) * 1000000000u / (uint64_t)f.QuadPart;
    assert_true(a <= qpc_ns);
    assert_true(qpc_ns <= b);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backend_is_exactly_the_configured_path),
        cmocka_unit_test(test_clock_is_qpc_nanoseconds),
#if defined(__GNUC__)
        cmocka_unit_test(test_first_use_in_constructor_works),
#endif
#if !defined(PARKER_TEST_NO_DLL)
        cmocka_unit_test(test_first_use_in_dllmain_works),
        cmocka_unit_test(test_unpark_during_exit_does_not_block),
#endif
        cmocka_unit_test(test_first_use_race_creates_one_handle),
        cmocka_unit_test(test_timeout_unpark_race_never_blocks_unparker),
        cmocka_unit_test(test_many_owners_racing_timeouts_and_reused_keys),
    };
    if (argc > 1 && strcmp(argv[1], "--child-first-use") == 0)
        return child_first_use();
    if (argc > 1 && strcmp(argv[1], "--child-exit-while-parked") == 0)
        return child_exit_while_parked();
    printf("backend: %s\n", parker_backend());
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
