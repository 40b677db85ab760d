/*
 * sleep.c - the one fallback the futex and pthread backends share for a
 * wait call that fails (futex without any working wait system call, a
 * condvar wait that reports an error): sleep in short steps instead of
 * returning at once, so that the core's re-check loop polls rather than
 * spins.  No backend may turn a failing wait into a spin.
 */
#include "posix.h"

#include <pthread.h>
#include <time.h>

void parker__posix_sleep_step(uint64_t deadline_ns)
{
    uint64_t step = PARKER__POSIX_SLEEP_STEP_NS, now = parker__sys_now_ns();
    struct timespec ts;
    int cancel_state, ignored;
    if (deadline_ns != PARKER__NO_DEADLINE) {
        if (now >= deadline_ns)
            return;
        if (deadline_ns - now < step)
            step = deadline_ns - now;
    }
    ts.tv_sec = 0;
    ts.tv_nsec = (long)step;
    /* nanosleep is a cancellation point, and parks are not (parker.h). */
    (void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    (void)nanosleep(&ts, NULL);
    (void)pthread_setcancelstate(cancel_state, &ignored);
}
