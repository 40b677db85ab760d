/*
 * test_hooks.h - points inside the library where a test can stop a thread,
 * to force an interleaving that a preemption would otherwise produce only
 * by luck.
 *
 * They exist only when PARKER_TEST_HOOKS is defined, which the library
 * itself never is: tests/sync2.cmake builds a separate static copy of the
 * sources with it (parker_hooked) for the test programs that need a hook.
 * Without it every PARKER__TEST_HOOK is ((void)0), so the shipped library
 * has no hook, no extra symbol and no extra load.
 *
 * A hook is a plain function pointer that a test sets before it starts the
 * threads concerned and clears after joining them (thread creation and join
 * order those accesses); the hook itself may block.
 */
#ifndef PARKER_TEST_HOOKS_H
#define PARKER_TEST_HOOKS_H

#if defined(PARKER_TEST_HOOKS)

/* parker_waitgroup_wait*: called once per call that did not find the count
 * at zero, after the load that began the call (and fixed the generation it
 * waits past) and before the first park, with the wait group's address.
 * Exactly the window in which a waiter is not yet queued in the lot. */
extern void (*parker__test_hook_waitgroup_wait)(void *waitgroup);

/* parker_event_wait*: called once per call that did not find the event set,
 * after the load that began the call (and fixed the generation of sets it
 * waits past) and before it announces itself or parks, with the event's
 * address. */
extern void (*parker__test_hook_event_wait)(void *event);

#  define PARKER__TEST_HOOK(name, arg)             \
      do {                                         \
          if (parker__test_hook_##name != 0)       \
              parker__test_hook_##name(arg);       \
      } while (0)
#else
#  define PARKER__TEST_HOOK(name, arg) ((void)0)
#endif

#endif /* PARKER_TEST_HOOKS_H */
