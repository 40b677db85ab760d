/*
 * wordlock.c - the slow paths of the one-word lock (wordlock.h).
 *
 * The word: bit 0 LOCKED, bit 1 QUEUE_LOCKED, the other bits point at the
 * newest node of a queue of threads waiting for the lock.  Each node lives
 * on its waiter's stack and holds a parker.  Locking spins briefly while
 * nobody queues, then pushes a node with one CAS and parks.  Unlocking
 * clears LOCKED; only if threads are queued and nobody holds QUEUE_LOCKED
 * does it take QUEUE_LOCKED, find the oldest node (back pointers are filled
 * in lazily from the newest node; the newest node caches the oldest),
 * remove it, drop QUEUE_LOCKED and unpark it.  Pushing never needs
 * QUEUE_LOCKED, so there is nothing to spin or yield on.  The woken thread
 * competes for the lock again (no hand-off: the critical sections this lock
 * protects are a few instructions, throughput matters more than fairness).
 * If the lock was taken again meanwhile, the unlocker leaves the queue
 * alone: the new owner's unlock will wake somebody.
 *
 * Memory ordering
 * ---------------
 * Every change of the word is a read-modify-write, so all of them form one
 * release sequence.  Taking the lock is an acquire (CAS), releasing it a
 * release (fetch_and in wordlock.h): the lock orders like a mutex.  Pushing
 * a node is a release so that the QUEUE_LOCKED holder, which takes
 * QUEUE_LOCKED with an acquire, sees the node's fields; QUEUE_LOCKED is
 * dropped with a release so that the next holder sees the back pointers.
 */
#include "wordlock.h"

#include "parker.h"

#include <stddef.h>

/* Spin iterations while nobody is queued; a bucket is held for a few dozen
 * instructions, so a short spin usually sees it released. */
#define WL_SPINS 100u

struct wl_node {
    struct wl_node *next; /* older node (towards the tail) */
    struct wl_node *prev; /* newer node; filled in by the QUEUE_LOCKED holder */
    struct wl_node *tail; /* on the newest node: the oldest node, or NULL */
    parker_t parker;
};

void parker__wordlock_lock_slow(uintptr_t *word)
{
    unsigned spins = 0;
    uintptr_t s = parker__load_relaxed_uptr(word);

    for (;;) {
        struct wl_node node;

        if (!(s & PARKER__WL_LOCKED)) {
            if (parker__cas_weak_acquire_uptr(word, &s, s | PARKER__WL_LOCKED))
                return;
            continue;
        }
        if ((s & PARKER__WL_QUEUE_MASK) == 0 && spins < WL_SPINS) {
            spins++;
            parker__cpu_relax();
            s = parker__load_relaxed_uptr(word);
            continue;
        }
        if (parker_init(&node.parker) != 0) {
            /* The backend has no resources for a parker: spin instead. */
            parker__cpu_relax();
            s = parker__load_relaxed_uptr(word);
            continue;
        }
        node.next = (struct wl_node *)(s & PARKER__WL_QUEUE_MASK);
        node.prev = NULL;
        node.tail = node.next != NULL ? NULL : &node;
        /* Release: the unlocker that finds the node must see its fields. */
        if (!parker__cas_weak_release_uptr(word, &s,
                                           (uintptr_t)&node | (s & ~PARKER__WL_QUEUE_MASK))) {
            parker_destroy(&node.parker);
            continue;
        }
        /* Only an unlocker that has removed the node from the queue unparks
         * it, so after this the node is nobody's and may go out of scope. */
        parker_park(&node.parker);
        parker_destroy(&node.parker);
        spins = 0;
        s = parker__load_relaxed_uptr(word);
    }
}

void parker__wordlock_unlock_slow(uintptr_t *word)
{
    uintptr_t s = parker__load_relaxed_uptr(word);
    struct wl_node *head, *tail, *cur;

    /* Take QUEUE_LOCKED, unless nobody waits or another thread has it (that
     * thread will see that the lock is free and wake somebody). */
    for (;;) {
        if ((s & PARKER__WL_QUEUE_MASK) == 0 || (s & PARKER__WL_QUEUE_LOCKED))
            return;
        if (parker__cas_weak_acq_rel_uptr(word, &s, s | PARKER__WL_QUEUE_LOCKED))
            break;
    }
    s |= PARKER__WL_QUEUE_LOCKED;

    for (;;) {
        head = (struct wl_node *)(s & PARKER__WL_QUEUE_MASK);
        for (cur = head; (tail = cur->tail) == NULL; cur = cur->next)
            cur->next->prev = cur;
        head->tail = tail;

        if (s & PARKER__WL_LOCKED) {
            /* Taken again: its owner's unlock will wake the oldest node. */
            if (parker__cas_weak_acq_rel_uptr(word, &s, s & ~PARKER__WL_QUEUE_LOCKED))
                return;
            continue;
        }
        if (tail->prev != NULL) {
            head->tail = tail->prev;
            parker__fetch_and_release_uptr(word, ~PARKER__WL_QUEUE_LOCKED);
            break;
        }
        /* tail is the only node: empty the queue and drop QUEUE_LOCKED in
         * one step, unless a node was pushed meanwhile. */
        for (;;) {
            if (parker__cas_weak_acq_rel_uptr(word, &s, s & PARKER__WL_LOCKED))
                goto wake;
            if ((struct wl_node *)(s & PARKER__WL_QUEUE_MASK) != head)
                break; /* new nodes: walk again from the new head */
        }
    }
wake:
    parker_unpark(&tail->parker);
}
