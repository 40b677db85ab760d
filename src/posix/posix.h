/*
 * posix.h - what the POSIX-family backends (src/linux, src/posix) share
 * beyond backend.h.
 */
#ifndef PARKER_POSIX_H
#define PARKER_POSIX_H

#include "../backend.h"

#include <stdint.h>

/* The longest step of the fallback sleep: a wake-up that the failing wait
 * cannot deliver is seen within this long. */
#define PARKER__POSIX_SLEEP_STEP_NS 1000000u

/* pre: the backend's wait call failed.  Sleep for at most one step, never
 * past deadline_ns (PARKER__NO_DEADLINE: no deadline); not a cancellation
 * point.  The caller returns and the core re-checks state and clock. */
PARKER__HIDDEN void parker__posix_sleep_step(uint64_t deadline_ns);

#endif /* PARKER_POSIX_H */
