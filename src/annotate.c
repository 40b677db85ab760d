/*
 * annotate.c - the out-of-line part of annotate.h: whether this process runs
 * under Valgrind, asked once.
 *
 * A Valgrind client request costs no branch, but it is a chain of register
 * rotates plus an argument block on the stack; measured in bench/
 * (parker_annotate_cost) two of them made an uncontended lock+unlock ~2 ns
 * (15-20%) slower.  A cached flag instead costs one load and one predicted
 * branch, like the TSan hooks' weak-symbol test.  It is probed lazily, not
 * in a constructor: a lock taken by another library's constructor before
 * ours ran must already be announced, or Helgrind would later see an
 * unlock of a lock it never saw taken.
 */
#include "annotate.h"

#if PARKER__ANN_VALGRIND
#include <valgrind/helgrind.h>

unsigned char parker__ann_vg = PARKER__ANN_VG_UNKNOWN;

int parker__ann_vg_probe(void)
{
    /* Racing first calls compute the same answer: a relaxed store is enough. */
    int on = RUNNING_ON_VALGRIND != 0;
    __atomic_store_n(&parker__ann_vg, (unsigned char)(on ? PARKER__ANN_VG_YES : PARKER__ANN_VG_NO),
                     __ATOMIC_RELAXED);
    return on;
}

/* helgrind.h's requests; DRD answers to the same numbers. */
void parker__ann_vg_request(int what, const void *a, int is_w)
{
    (void)is_w; /* a release does not say which kind it releases */
    switch (what) {
    case PARKER__ANN_VG_ACQUIRED: ANNOTATE_RWLOCK_ACQUIRED(a, is_w); break;
    case PARKER__ANN_VG_RELEASED: ANNOTATE_RWLOCK_RELEASED(a, is_w); break;
    case PARKER__ANN_VG_BEFORE: ANNOTATE_HAPPENS_BEFORE(a); break;
    default: ANNOTATE_HAPPENS_AFTER(a); break;
    }
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int parker__annotate_c_is_not_empty;
#endif
