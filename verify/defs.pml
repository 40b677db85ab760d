/*
 * defs.pml - the state word's values, results, bounds and ghost variables
 * shared by core.pml and the backend models (values as in src/backend.h
 * and include/parker.h; PARKED is 0xFFFFFFFF in C, 2 here).
 */
#define EMPTY    0
#define NOTIFIED 1
#define PARKED   2

#define OK       0
#define TIMEDOUT 1
#define NONE     2

#ifndef NPARKS
#define NPARKS 2
#endif
#ifndef NUNPARKERS
#define NUNPARKERS 2
#endif
#ifndef MAXSPUR
#define MAXSPUR 1
#endif

byte state = EMPTY;     /* parker_t.private_state_ */
bool token = false;
bool freed = false;
bool expired = false;
byte xchgs = 0;
byte spurious = 0;      /* spurious returns used so far (bounded) */

