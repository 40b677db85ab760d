/*
 * lot.c - the parking lot: queues of parked threads keyed by address, built
 * only on the per-thread parker (parker.h), so it works unchanged on every
 * backend.  No OS call in this file except pthread_atfork.
 *
 * The table: fixed, not growing
 * -----------------------------
 * Waiters queue in PARKER__LOT_BUCKETS (1024) buckets, chosen by a Fibonacci
 * hash of the address (lot_hash.h), each padded to its own 64-byte cache
 * line: 64 KiB of zero-initialised data.  parking_lot_core and WebKit grow
 * their table with the number of threads instead; that needs an allocation
 * when a thread first parks, a rehash that locks every bucket, and old
 * tables that can never be freed because a parked thread may still read
 * them.  A fixed table needs none of that: no allocation ever, no
 * initialisation (all zero bytes is a valid empty table), and resetting it
 * after fork is a loop.  The price is that above roughly a thousand parked
 * threads, unrelated addresses start to share bucket locks and queue walks;
 * a thread only touches its own bucket, so that costs a few more list steps
 * under a lock held for a few instructions, never a wrong wake-up (every
 * operation compares the exact address).  CPython makes the same choice with
 * 257 buckets; 1024 keeps chains short for the thread counts that a process
 * actually parks at once, and untouched pages of the table cost nothing.
 * There is no global lock: each bucket has its own.
 *
 * Bucket queues
 * -------------
 * One doubly linked FIFO list per bucket holds the waiters of every address
 * that hashes there.  unpark_one takes the first entry with the exact address
 * and keeps walking to learn whether another one follows (has_more_waiters
 * exact per address).  Entries live on the waiter's stack; the lot never
 * allocates.
 *
 * Two-phase wake and the timeout race
 * -----------------------------------
 * A waker, holding the bucket lock, unlinks the entry and sets its
 * `dequeued` flag; from then on the entry belongs to the waker.  It releases
 * the lock and only then calls parker_unpark on the entry's parker, so the
 * woken thread never wakes up just to block on the bucket lock.  parker_unpark
 * touches the parker only until the atomic exchange that the owner can
 * observe ("destroy right after park" in parker.h), so the entry may vanish
 * as soon as the owner's park returns.
 *
 * A waiter whose park timed out locks its bucket and looks at `dequeued`.
 * Clear: it unlinks itself and reports PARKER_TIMEDOUT; no waker can find it
 * any more.  Set: a waker has already claimed it and counted it (its
 * unpark_one returned or will return 1), and that waker's parker_unpark is
 * still to come.  The waiter then parks without a deadline to take that
 * token: it reports PARKER_OK, as the waker counted, and it cannot leave (and
 * pop its entry off the stack) before the waker has finished with it.  That
 * extra wait is short: the waker is between its unlock and its unpark.
 *
 * requeue moves entries between buckets and rewrites their `key`; a waiter
 * that must find its own bucket again reads the key, locks that bucket and
 * checks the key still hashes there (moving needs both buckets' locks, so
 * the check under the lock is stable).
 *
 * The bucket lock
 * ---------------
 * Not a pthread mutex (a mutex held by another thread at fork stays held in
 * the child, and Windows has none): a word lock in the style of WebKit's
 * WordLock and parking_lot's internal lock, one uintptr_t per bucket.  Bit 0
 * is LOCKED, bit 1 QUEUE_LOCKED, the rest points at the newest node of a
 * queue of threads waiting for the lock; each node is on its waiter's stack
 * and holds a parker.  Locking spins briefly while nobody queues, then pushes
 * a node with one CAS and parks.  Unlocking clears LOCKED; only if threads
 * are queued and nobody holds QUEUE_LOCKED does it take QUEUE_LOCKED, find
 * the oldest node (back pointers are filled in lazily from the newest node;
 * the newest node caches the oldest), remove it, drop QUEUE_LOCKED and
 * unpark it.  Pushing never needs QUEUE_LOCKED, so there is nothing to spin
 * or yield on.  The woken thread competes for the lock again (no hand-off:
 * the critical sections here are a few instructions, throughput matters
 * more than fairness).  If the lock was taken again meanwhile, the unlocker
 * leaves the queue alone: the new owner's unlock will wake somebody.
 *
 * Memory ordering
 * ---------------
 * Every change of a lock word is a read-modify-write, so all of them form
 * one release sequence.  Taking the lock is an acquire (CAS), releasing it a
 * release (fetch_and): everything under a bucket lock is ordered as under a
 * mutex.  Pushing a node is a release so that the QUEUE_LOCKED holder, which
 * takes QUEUE_LOCKED with an acquire, sees the node's fields; QUEUE_LOCKED is
 * dropped with a release so that the next holder sees the back pointers.
 * The waker's writes before unpark, and its callback's writes under the
 * bucket lock, reach the woken thread through parker_unpark (release) and
 * the park that consumes the token (acquire).  An entry's key is accessed
 * atomically because a timed-out waiter reads it before it holds any lock.
 *
 * fork
 * ----
 * In the child only the forking thread exists: every queued entry and every
 * queue node belong to dead threads, and a lock one of them held would stay
 * held.  parker_lot_after_fork zeroes every bucket.  It is registered with
 * pthread_atfork the first time any lot function runs.
 */
#include "parker_lot.h"

#include "atomics.h"
#include "backend.h"
#include "lot_hash.h"

#include <string.h>

#if !defined(_WIN32)
#  include <pthread.h>
#endif

#if !defined(__GNUC__) && !defined(__clang__)
#  error "src/lot.c needs the GCC/clang __atomic builtins"
#endif

/* ------------------------------------------------------------------------
 * Atomics on uintptr_t and on the user's word.
 * ---------------------------------------------------------------------- */
#define lot_load_relaxed(a) __atomic_load_n((a), __ATOMIC_RELAXED)
#define lot_store_relaxed(a, v) __atomic_store_n((a), (v), __ATOMIC_RELAXED)
#define lot_load_acquire(a) __atomic_load_n((a), __ATOMIC_ACQUIRE)
#define lot_store_release(a, v) __atomic_store_n((a), (v), __ATOMIC_RELEASE)
/* Weak CAS is enough: every caller loops. */
#define lot_cas_acquire(a, e, v) \
    __atomic_compare_exchange_n((a), (e), (v), 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
#define lot_cas_release(a, e, v) \
    __atomic_compare_exchange_n((a), (e), (v), 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED)
#define lot_cas_acq_rel(a, e, v) \
    __atomic_compare_exchange_n((a), (e), (v), 1, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
#define lot_fetch_and_release(a, v) __atomic_fetch_and((a), (v), __ATOMIC_RELEASE)

/* ------------------------------------------------------------------------
 * The word lock.
 * ---------------------------------------------------------------------- */
#define WL_LOCKED ((uintptr_t)1)
#define WL_QUEUE_LOCKED ((uintptr_t)2)
#define WL_QUEUE_MASK (~(uintptr_t)3)
/* Spin iterations while nobody is queued; a bucket is held for a few dozen
 * instructions, so a short spin usually sees it released. */
#define WL_SPINS 100u

struct wl_node {
    struct wl_node *next; /* older node (towards the tail) */
    struct wl_node *prev; /* newer node; filled in by the QUEUE_LOCKED holder */
    struct wl_node *tail; /* on the newest node: the oldest node, or NULL */
    parker_t parker;
};

static void wl_lock_slow(uintptr_t *word)
{
    unsigned spins = 0;
    uintptr_t s = lot_load_relaxed(word);

    for (;;) {
        struct wl_node node;

        if (!(s & WL_LOCKED)) {
            if (lot_cas_acquire(word, &s, s | WL_LOCKED))
                return;
            continue;
        }
        if ((s & WL_QUEUE_MASK) == 0 && spins < WL_SPINS) {
            spins++;
            parker__cpu_relax();
            s = lot_load_relaxed(word);
            continue;
        }
        if (parker_init(&node.parker) != 0) {
            /* The backend has no resources for a parker: spin instead. */
            parker__cpu_relax();
            s = lot_load_relaxed(word);
            continue;
        }
        node.next = (struct wl_node *)(s & WL_QUEUE_MASK);
        node.prev = NULL;
        node.tail = node.next != NULL ? NULL : &node;
        /* Release: the unlocker that finds the node must see its fields. */
        if (!lot_cas_release(word, &s, (uintptr_t)&node | (s & ~WL_QUEUE_MASK))) {
            parker_destroy(&node.parker);
            continue;
        }
        /* Only an unlocker that has removed the node from the queue unparks
         * it, so after this the node is nobody's and may go out of scope. */
        parker_park(&node.parker);
        parker_destroy(&node.parker);
        spins = 0;
        s = lot_load_relaxed(word);
    }
}

static inline void wl_lock(uintptr_t *word)
{
    uintptr_t s = 0;
    if (!lot_cas_acquire(word, &s, WL_LOCKED))
        wl_lock_slow(word);
}

static void wl_unlock_slow(uintptr_t *word)
{
    uintptr_t s = lot_load_relaxed(word);
    struct wl_node *head, *tail, *cur;

    /* Take QUEUE_LOCKED, unless nobody waits or another thread has it (that
     * thread will see that the lock is free and wake somebody). */
    for (;;) {
        if ((s & WL_QUEUE_MASK) == 0 || (s & WL_QUEUE_LOCKED))
            return;
        if (lot_cas_acq_rel(word, &s, s | WL_QUEUE_LOCKED))
            break;
    }
    s |= WL_QUEUE_LOCKED;

    for (;;) {
        head = (struct wl_node *)(s & WL_QUEUE_MASK);
        for (cur = head; (tail = cur->tail) == NULL; cur = cur->next)
            cur->next->prev = cur;
        head->tail = tail;

        if (s & WL_LOCKED) {
            /* Taken again: its owner's unlock will wake the oldest node. */
            if (lot_cas_acq_rel(word, &s, s & ~WL_QUEUE_LOCKED))
                return;
            continue;
        }
        if (tail->prev != NULL) {
            head->tail = tail->prev;
            lot_fetch_and_release(word, ~WL_QUEUE_LOCKED);
            break;
        }
        /* tail is the only node: empty the queue and drop QUEUE_LOCKED in
         * one step, unless a node was pushed meanwhile. */
        for (;;) {
            if (lot_cas_acq_rel(word, &s, s & WL_LOCKED))
                goto wake;
            if ((struct wl_node *)(s & WL_QUEUE_MASK) != head)
                break; /* new nodes: walk again from the new head */
        }
    }
wake:
    parker_unpark(&tail->parker);
}

static inline void wl_unlock(uintptr_t *word)
{
    uintptr_t old = lot_fetch_and_release(word, ~WL_LOCKED);
    if ((old & WL_QUEUE_MASK) != 0 && !(old & WL_QUEUE_LOCKED))
        wl_unlock_slow(word);
}

/* ------------------------------------------------------------------------
 * Buckets and waiters.
 * ---------------------------------------------------------------------- */
struct waiter {
    struct waiter *next;
    struct waiter *prev;
    uintptr_t key;    /* atomic: requeue rewrites it holding both buckets' locks */
    void *park_arg;
    int dequeued;     /* under the bucket lock: a waker owns this entry now */
    parker_t parker;
};

struct bucket {
    uintptr_t lock;
    struct waiter *head;
    struct waiter *tail;
};

#define LOT_CACHE_LINE 64

union padded_bucket {
    struct bucket b;
    char pad[LOT_CACHE_LINE];
};

static _Alignas(LOT_CACHE_LINE) union padded_bucket table[PARKER__LOT_BUCKETS];

static inline struct bucket *bucket_of(uintptr_t key)
{
    return &table[parker__lot_bucket_index(key)].b;
}

static inline uintptr_t key_of(struct waiter *w)
{
    return lot_load_relaxed(&w->key);
}

static void enqueue(struct bucket *b, struct waiter *w)
{
    w->next = NULL;
    w->prev = b->tail;
    if (b->tail != NULL)
        b->tail->next = w;
    else
        b->head = w;
    b->tail = w;
}

static void unlink_waiter(struct bucket *b, struct waiter *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        b->head = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        b->tail = w->prev;
}

/* Lock the bucket that w is queued in now (requeue may have moved it). */
static struct bucket *lock_bucket_of_waiter(struct waiter *w)
{
    for (;;) {
        struct bucket *b = bucket_of(key_of(w));
        wl_lock(&b->lock);
        if (bucket_of(key_of(w)) == b)
            return b;
        wl_unlock(&b->lock);
    }
}

/* ------------------------------------------------------------------------
 * fork.
 * ---------------------------------------------------------------------- */
void parker_lot_after_fork(void)
{
    unsigned i;
    for (i = 0; i < PARKER__LOT_BUCKETS; i++) {
        struct bucket *b = &table[i].b;
        /* Only write buckets that were used, so that the untouched part of
         * the table stays shared zero pages in the child. */
        if (lot_load_relaxed(&b->lock) != 0 || b->head != NULL || b->tail != NULL) {
            lot_store_relaxed(&b->lock, (uintptr_t)0);
            b->head = NULL;
            b->tail = NULL;
        }
    }
}

#if !defined(_WIN32)
/* 0: not registered, 1: being registered, 2: registered. */
static uint32_t atfork_state;

static void register_atfork_slow(void)
{
    uint32_t s = 0;
    if (lot_cas_acquire(&atfork_state, &s, 1u)) {
        /* On failure (out of memory) try again on the next call. */
        lot_store_release(&atfork_state,
                          pthread_atfork(NULL, NULL, parker_lot_after_fork) == 0 ? 2u : 0u);
        return;
    }
    /* Another thread is registering; do not return before it has, so that no
     * caller can fork with the lot in use and the handler missing. */
    while (lot_load_acquire(&atfork_state) == 1u)
        parker__cpu_relax();
}

static inline void lot_prepare(void)
{
    if (lot_load_acquire(&atfork_state) != 2u)
        register_atfork_slow();
}
#else
static inline void lot_prepare(void)
{
}
#endif

/* ------------------------------------------------------------------------
 * Parking.
 * ---------------------------------------------------------------------- */
static int park_common(const char *func, uintptr_t key, parker_lot_validate_fn validate,
                       void *arg, parker_lot_before_sleep_fn before_sleep,
                       uint64_t deadline_ns, void *park_arg)
{
    struct waiter w;
    struct bucket *b;
    int dequeued;

    lot_prepare();
    if (parker_init(&w.parker) != 0)
        parker__misuse(func, "the backend could not initialise a parker");

    b = bucket_of(key);
    wl_lock(&b->lock);
    if (!validate(arg)) {
        wl_unlock(&b->lock);
        parker_destroy(&w.parker);
        return PARKER_AGAIN;
    }
    lot_store_relaxed(&w.key, key);
    w.park_arg = park_arg;
    w.dequeued = 0;
    enqueue(b, &w);
    wl_unlock(&b->lock);

    if (before_sleep != NULL)
        before_sleep(arg);

    /* Only a waker that has dequeued w unparks w.parker, and parkers have no
     * spurious returns, so PARKER_OK means we were chosen. */
    if (parker_park_until(&w.parker, deadline_ns) == PARKER_OK) {
        parker_destroy(&w.parker);
        return PARKER_OK;
    }

    b = lock_bucket_of_waiter(&w);
    dequeued = w.dequeued;
    if (!dequeued)
        unlink_waiter(b, &w);
    wl_unlock(&b->lock);
    if (dequeued) {
        /* A waker claimed us just as the deadline passed; it counted this as
         * a wake-up and its parker_unpark is on the way.  Take it: report
         * what the waker reported, and do not pop w off the stack while the
         * waker may still use it. */
        parker_park(&w.parker);
        parker_destroy(&w.parker);
        return PARKER_OK;
    }
    parker_destroy(&w.parker);
    return PARKER_TIMEDOUT;
}

struct word_compare {
    const void *address;
    const void *expected;
    size_t size;
};

/* Runs under the bucket lock.  The expected value is copied with memcpy
 * because it may be unaligned; the word is read with an atomic load of its
 * own size. */
static int word_equals(void *arg)
{
    const struct word_compare *c = (const struct word_compare *)arg;
    switch (c->size) {
    case 1: {
        uint8_t e;
        memcpy(&e, c->expected, 1);
        return __atomic_load_n((const uint8_t *)c->address, __ATOMIC_ACQUIRE) == e;
    }
    case 2: {
        uint16_t e;
        memcpy(&e, c->expected, 2);
        return __atomic_load_n((const uint16_t *)c->address, __ATOMIC_ACQUIRE) == e;
    }
    case 4: {
        uint32_t e;
        memcpy(&e, c->expected, 4);
        return __atomic_load_n((const uint32_t *)c->address, __ATOMIC_ACQUIRE) == e;
    }
    default: {
        uint64_t e;
        memcpy(&e, c->expected, 8);
        return __atomic_load_n((const uint64_t *)c->address, __ATOMIC_ACQUIRE) == e;
    }
    }
}

/* ------------------------------------------------------------------------
 * Spinning on the word before queueing.
 *
 * A parked thread is woken by a thread that first changes the word and then
 * unparks its address.  Watching the word for a short while before taking
 * the bucket lock catches that change with no queue traffic at all: the
 * unparker finds an empty queue (its unpark_one returns 0) and we return
 * PARKER_AGAIN, exactly as if the compare under the lock had failed a moment
 * later.  That is the point of spinning here rather than only in the
 * per-thread parker after queueing: a thread that spins there has already
 * written its bucket and its queue entry, so every hand-over moves the
 * bucket line, the entry and the parker between cores (3-4 cache lines,
 * measured 2-3x the per-thread parker's ping-pong); spinning here moves only
 * the word, which the caller's protocol moves anyway.
 *
 * Returning AGAIN early is invisible to the queue protocol: it is the same
 * outcome as a compare that failed, and a thread that has not queued yet
 * cannot be chosen by an unpark (it is indistinguishable from one that has
 * not called park yet).  The spin is the core's parker__spin with its own
 * per-thread budget (a lot hand-over and a parker hand-over succeed at
 * different rates): it grows after a spin saw the word change and shrinks
 * fast after one that had to queue, so on oversubscribed cores, where the
 * changer is not running, it costs next to nothing.
 * ---------------------------------------------------------------------- */
#if defined(_MSC_VER)
#  define LOT_THREAD_LOCAL __declspec(thread)
#else
#  define LOT_THREAD_LOCAL _Thread_local
#endif

static const struct parker__spin_limits lot_spin_limits = {250u, 2000u, 10000u};

static LOT_THREAD_LOCAL uint32_t lot_spin_budget; /* ns; 0 = not yet set */

static int word_changed(void *arg)
{
    /* word_equals loads with acquire, as the compare under the lock does:
     * AGAIN orders the same either way. */
    return !word_equals(arg);
}

/* 1 if the word stopped equalling the expected value within the budget. */
static int spin_for_change(const struct word_compare *c, uint64_t deadline_ns)
{
    lot_prepare(); /* the atfork handler is registered by the first lot call */
    if (deadline_ns != PARKER_FOREVER) {
        uint64_t now = parker_now_ns();
        /* A spin longer than the remaining time would overshoot it. */
        if (deadline_ns <= now || deadline_ns - now <= 2u * (uint64_t)lot_spin_limits.max_ns)
            return 0;
    }
    return parker__spin(&lot_spin_budget, &lot_spin_limits, word_changed,
                        (void *)(uintptr_t)c);
}

static int word_args_valid(const void *address, const void *expected, size_t size)
{
    if (address == NULL || expected == NULL)
        return 0;
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return 0;
    return ((uintptr_t)address & (size - 1u)) == 0;
}

int parker_lot_park_until(const void *address, const void *expected, size_t size,
                          uint64_t deadline_ns, void *park_arg)
{
    struct word_compare c;
    if (!word_args_valid(address, expected, size))
        return PARKER_INVALID;
    c.address = address;
    c.expected = expected;
    c.size = size;
    if (word_equals(&c) && spin_for_change(&c, deadline_ns))
        return PARKER_AGAIN;
    return park_common("parker_lot_park_until", (uintptr_t)address, word_equals, &c, NULL,
                       deadline_ns, park_arg);
}

int parker_lot_park(const void *address, const void *expected, size_t size,
                    uint64_t timeout_ns, void *park_arg)
{
    struct word_compare c;
    uint64_t deadline;
    if (!word_args_valid(address, expected, size))
        return PARKER_INVALID;
    if (timeout_ns == 0) {
        deadline = 0; /* at or before any clock value: compare, never sleep */
    } else if (timeout_ns == PARKER_FOREVER) {
        deadline = PARKER_FOREVER;
    } else {
        uint64_t now = parker_now_ns();
        deadline = timeout_ns > PARKER_FOREVER - now ? PARKER_FOREVER : now + timeout_ns;
    }
    c.address = address;
    c.expected = expected;
    c.size = size;
    if (word_equals(&c) && spin_for_change(&c, deadline))
        return PARKER_AGAIN;
    return park_common("parker_lot_park", (uintptr_t)address, word_equals, &c, NULL, deadline,
                       park_arg);
}

int parker_lot_park_if(const void *address, parker_lot_validate_fn validate,
                       parker_lot_before_sleep_fn before_sleep, void *arg, uint64_t deadline_ns,
                       void *park_arg)
{
    if (address == NULL || validate == NULL)
        return PARKER_INVALID;
    return park_common("parker_lot_park_if", (uintptr_t)address, validate, arg, before_sleep,
                       deadline_ns, park_arg);
}

/* ------------------------------------------------------------------------
 * Waking.
 * ---------------------------------------------------------------------- */
int parker_lot_unpark_one(const void *address, parker_lot_unpark_fn fn, void *arg)
{
    uintptr_t key = (uintptr_t)address;
    struct bucket *b = bucket_of(key);
    struct waiter *w, *more = NULL;

    lot_prepare();
    wl_lock(&b->lock);
    for (w = b->head; w != NULL && key_of(w) != key; w = w->next) {
    }
    if (w != NULL) {
        for (more = w->next; more != NULL && key_of(more) != key; more = more->next) {
        }
        unlink_waiter(b, w);
        w->dequeued = 1;
    }
    if (fn != NULL)
        fn(arg, w != NULL ? w->park_arg : NULL, more != NULL);
    wl_unlock(&b->lock);

    if (w == NULL)
        return 0;
    parker_unpark(&w->parker); /* w may be gone from here on */
    return 1;
}

/* Unpark a list built under a bucket lock, oldest first.  Each entry's
 * `next` is read before its parker is unparked: after that the entry may
 * already be popped off its owner's stack. */
static void wake_list(struct waiter *w)
{
    while (w != NULL) {
        struct waiter *next = w->next;
        parker_unpark(&w->parker);
        w = next;
    }
}

size_t parker_lot_unpark_all(const void *address)
{
    uintptr_t key = (uintptr_t)address;
    struct bucket *b = bucket_of(key);
    struct waiter *w, *next, *list = NULL, **last = &list;
    size_t n = 0;

    lot_prepare();
    wl_lock(&b->lock);
    for (w = b->head; w != NULL; w = next) {
        next = w->next;
        if (key_of(w) != key)
            continue;
        unlink_waiter(b, w);
        w->dequeued = 1;
        w->next = NULL;
        *last = w;
        last = &w->next;
        n++;
    }
    wl_unlock(&b->lock);
    wake_list(list);
    return n;
}

size_t parker_lot_requeue(const void *from, const void *to, size_t max_wake, size_t max_requeue,
                          parker_lot_requeue_fn fn, void *arg, size_t *requeued)
{
    uintptr_t kf = (uintptr_t)from, kt = (uintptr_t)to;
    struct bucket *bf = bucket_of(kf), *bt = bucket_of(kt);
    struct waiter *w, *next;
    struct waiter *woken = NULL, **woken_last = &woken;
    struct waiter *moved = NULL, **moved_last = &moved;
    size_t n_woken = 0, n_moved = 0;

    lot_prepare();
    /* Two bucket locks: always in table order, so two requeues in opposite
     * directions cannot deadlock. */
    if (bf == bt) {
        wl_lock(&bf->lock);
    } else if (bf < bt) {
        wl_lock(&bf->lock);
        wl_lock(&bt->lock);
    } else {
        wl_lock(&bt->lock);
        wl_lock(&bf->lock);
    }

    for (w = bf->head; w != NULL && (n_woken < max_wake || n_moved < max_requeue); w = next) {
        next = w->next;
        if (key_of(w) != kf)
            continue;
        unlink_waiter(bf, w);
        w->next = NULL;
        if (n_woken < max_wake) {
            w->dequeued = 1;
            *woken_last = w;
            woken_last = &w->next;
            n_woken++;
        } else {
            *moved_last = w;
            moved_last = &w->next;
            n_moved++;
        }
    }
    /* Append after the loop, so that with from == to (or a shared bucket) the
     * walk above never meets an entry it has just moved. */
    for (w = moved; w != NULL; w = next) {
        next = w->next;
        lot_store_relaxed(&w->key, kt);
        enqueue(bt, w);
    }
    if (fn != NULL)
        fn(arg, n_woken, n_moved);

    wl_unlock(&bf->lock);
    if (bt != bf)
        wl_unlock(&bt->lock);

    wake_list(woken);
    if (requeued != NULL)
        *requeued = n_moved;
    return n_woken;
}
