/*
 * tls.c - the thread-local slot behind parker_self() on Windows: a
 * fiber-local storage slot whose callback drops the thread's reference when
 * the thread exits.
 *
 * Why FLS and not TLS callbacks or DllMain: FlsAlloc's callback works the
 * same in a static library, a DLL and an executable, needs no linker section
 * tricks (.CRT$XL*) and no DllMain of ours.  The callback runs at thread
 * exit for every non-NULL value (and when a fiber is deleted, for the
 * fiber's value).
 *
 * Windows leaves the slot's value in place while the callback runs, so the
 * callback clears it first: an FLS callback of another library that runs
 * after ours and calls parker_self() then gets a fresh parker instead of the
 * one being freed.  Such a late parker is not released (Windows does not run
 * a callback twice); it is one small allocation per such thread.
 *
 * Unloading: the FLS callback is code of the module that contains this file
 * (libparker's DLL, or the user's DLL or program it is linked into).  If that
 * module were unloaded while threads that used parker_self() still run, their
 * exit would call into unmapped memory.  So allocating the slot pins the
 * module (GetModuleHandleEx ..._PIN): FreeLibrary no longer unloads it.
 *
 * The slot index is allocated on first use and published with a CAS (stored
 * as index + 1 so that 0 means "none yet"); the loser of a race frees its own
 * index, which holds no values yet.  Nothing waits, so first use before main
 * or under the loader lock is safe.
 */
#ifndef WIN32_LEAN_AND_MEAN
#  define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "../backend.h"
#include "../atomics.h"

#include <errno.h>

static uint32_t slot_plus_one;

static void WINAPI on_exit(PVOID value)
{
    uint32_t s = parker__load_acquire(&slot_plus_one);
    if (value == NULL)
        return;
    if (s != 0)
        (void)FlsSetValue(s - 1u, NULL);
    parker__thread_exit(value);
}

static int slot(DWORD *index)
{
    uint32_t s = parker__load_acquire(&slot_plus_one);
    uint32_t expected = 0;
    DWORD mine;
    if (s != 0) {
        *index = s - 1u;
        return 0;
    }
    mine = FlsAlloc(on_exit);
    if (mine == FLS_OUT_OF_INDEXES)
        return EAGAIN;
    if (parker__cas_acq_rel(&slot_plus_one, &expected, (uint32_t)mine + 1u)) {
        HMODULE self;
        /* Any address inside this module names it; pin it (see above).  A
         * failure only leaves the module unloadable as before. */
        (void)GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                     GET_MODULE_HANDLE_EX_FLAG_PIN,
                                 (LPCWSTR)(const void *)&slot_plus_one, &self);
        *index = mine;
        return 0;
    }
    (void)FlsFree(mine);
    *index = expected - 1u;
    return 0;
}

int parker__tls_get(void **value)
{
    DWORD index;
    int err = slot(&index);
    if (err != 0)
        return err;
    *value = FlsGetValue(index);
    return 0;
}

int parker__tls_set(void *value)
{
    DWORD index;
    int err = slot(&index);
    if (err != 0)
        return err;
    return FlsSetValue(index, value) ? 0 : ENOMEM;
}
