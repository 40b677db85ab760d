/*
 * lot.c - the parking lot: queues of parked threads keyed by address, built
 * only on the per-thread parker (parker.h), so it works unchanged on every
 * backend.  No OS call in this file except pthread_atfork.  The bucket lock
 * is wordlock.c; the atomics are atomics.h.
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
 * after fork is a loop.  Many addresses then share a bucket once thousands
 * of threads park; the structure inside a bucket (below) keeps that from
 * costing a walk over their waiters.  There is no global lock: each bucket
 * has its own.
 *
 * Inside a bucket: one queue per address, the queues in a treap
 * --------------------------------------------------------------
 * Each address that has waiters has one FIFO queue (doubly linked through
 * the entries' next/prev).  Its oldest entry is the queue's head: prev is
 * NULL exactly there, and the head also carries the queue's tail pointer
 * and the links of a treap (a binary search tree ordered by address, and a
 * heap ordered by a priority derived from the address by a hash that is
 * independent of the bucket index).  The treap holds only heads, so a
 * bucket's search costs O(log(distinct addresses in the bucket)), whatever
 * the number of waiters on each; finding the queue is all that a miss,
 * unpark_one and has_more_waiters need (has_more_waiters is "the head has a
 * next").  All of it lives in the waiters' own stack entries: the bucket
 * holds a lock and a root pointer, and the lot never allocates.
 *
 * The first LOT_SLOTS (3 with 64-bit pointers) queues of a bucket do not
 * go into the treap: their addresses and heads sit in slots in the
 * bucket's own cache line, so that while a bucket holds few addresses (the
 * common case: up to a few thousand parked threads over 1024 buckets), a
 * search never leaves the line it has just locked; a miss then costs the
 * lock alone.  Heads that find no free slot go into the treap; a slot
 * freed later is taken by the next new queue.
 *
 * The priority is a function of the address, not a random number: no
 * random state to seed, keep per thread or reset after fork, and a head
 * that leaves is replaced by the next waiter of the same address, which
 * has the same priority, so promotion takes the old head's links as they
 * are (O(1), no rotation).  A treap keeps its expected depth logarithmic
 * for any set of keys whose hashed priorities look random, which the
 * 64-bit mixing below gives for addresses of real objects.  Insertion is
 * top-down (descend while the nodes outrank the new one, then split the
 * rest by address under it), deletion merges the two subtrees in place, so
 * neither needs parent pointers or recursion.
 *
 * requeue detaches a whole queue by its head and appends it to the target
 * queue (or makes it the target's queue, its first entry becoming a head in
 * the target bucket's treap): O(log) for the queues plus one store per
 * moved entry, to rewrite the key that a timed-out waiter uses to find its
 * bucket again.
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
 * the child, and Windows has none): the one-word lock of wordlock.h, built
 * on parkers like the rest of the lot, one uintptr_t per bucket, which a
 * child after fork resets by storing zero.
 *
 * Tokens, fairness and timeouts (the extended calls)
 * -------------------------------------------------
 * The waker writes its unpark token into the entry under the bucket lock,
 * after its callback returned it and before it releases the lock: the
 * woken thread reads it after its park returned (ordered by the parker's
 * release/acquire), and a waiter that timed out but finds itself claimed
 * reads it after taking the lock the waker released, so both paths see it.
 * Fairness is per waiter: the entry holds when its wait began (the
 * caller's wait_since, or the clock at enqueue), and a waker reads the
 * clock only when it has taken a waiter and has a callback to tell.
 * timed_out runs under the lock of the bucket the waiter leaves, with the
 * key it leaves from (requeue may have changed it), after unlinking it, so
 * was_last_waiter is exact.  A deadline that has passed before the call
 * never queues: compare, timed_out, before_sleep, PARKER_TIMEDOUT.
 *
 * Memory ordering
 * ---------------
 * Everything under a bucket lock is ordered as under a mutex (wordlock.c).
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
 * pthread_atfork when the library is loaded (a constructor), so that no lot
 * call ever registers it: see lot_register_atfork_at_load.
 */
#include "parker_lot.h"

#include "atomics.h"
#include "backend.h"
#include "lot_hash.h"
#include "wordlock.h"

#include <string.h>

#if !defined(_WIN32)
#  include <pthread.h>
#endif

#if defined(_MSC_VER)
#  define LOT_THREAD_LOCAL __declspec(thread)
#else
#  define LOT_THREAD_LOCAL _Thread_local
#endif

/* ------------------------------------------------------------------------
 * Buckets and waiters.
 * ---------------------------------------------------------------------- */
struct waiter {
    /* The address's FIFO, oldest first.  next and key side by side: a
     * requeue's walk over the moved entries touches only them. */
    struct waiter *next;
    uintptr_t key;       /* atomic: requeue rewrites it holding both buckets' locks */
    struct waiter *prev; /* NULL exactly in the queue's head */
    /* Meaningful in the head only: the bucket's treap of heads (NULL in a
     * head kept in a slot), and the newest waiter of this address. */
    struct waiter *left;
    struct waiter *right;
    struct waiter *tail;
    void *park_arg;
    uint64_t wait_since; /* parker_now_ns() when the wait began, for be_fair */
    uintptr_t token;     /* under the bucket lock: the waker's unpark token */
    int dequeued;        /* under the bucket lock: a waker owns this entry now */
    parker_t parker;
};

#define LOT_CACHE_LINE 64

/* As many (address, head) slots as fit in the bucket's cache line beside
 * the lock and the root: 3 with 64-bit pointers, 7 with 32-bit ones. */
#define LOT_SLOTS ((LOT_CACHE_LINE - 2 * sizeof(void *)) / (2 * sizeof(void *)))

struct bucket {
    uintptr_t lock;      /* a word lock (wordlock.h) */
    struct waiter *root; /* the treap of the heads that found no free slot */
    /* The first queues of the bucket, kept in its own line: while a bucket
     * has at most LOT_SLOTS addresses, a search compares keys in the line
     * it has just locked and touches no waiter's stack (a miss costs the
     * lock and nothing else).  slot_key 0 is a free slot: 0 is never
     * queued on (NULL is no address). */
    uintptr_t slot_key[LOT_SLOTS];
    struct waiter *slot_head[LOT_SLOTS];
};

union padded_bucket {
    struct bucket b;
    char pad[LOT_CACHE_LINE];
};

static _Alignas(LOT_CACHE_LINE) union padded_bucket table[PARKER__LOT_BUCKETS];

static inline struct bucket *bucket_of(uintptr_t key)
{
    return &table[parker__lot_bucket_index(key)].b;
}

static inline uintptr_t key_of(const struct waiter *w)
{
    return parker__load_relaxed_uptr(&w->key);
}

/* The treap priority of an address.  Addresses in one bucket agree in the
 * top bits of key * golden ratio (lot_hash.h), so the priority must not
 * come from that product: a full 64-bit mix (MurmurHash3's finaliser
 * constants) makes it independent of the bucket index. */
static inline uint64_t prio_of(uintptr_t key)
{
    uint64_t x = (uint64_t)key;
    x ^= x >> 33;
    x *= UINT64_C(0xFF51AFD7ED558CCD);
    x ^= x >> 33;
    x *= UINT64_C(0xC4CEB9FE1A85EC53);
    x ^= x >> 33;
    return x;
}

/* Under b's lock: the link (the root pointer or a head's left/right) that
 * holds, or would hold, the head of key's queue.  *result is NULL if no
 * thread waits on key. */
static struct waiter **find_link(struct bucket *b, uintptr_t key)
{
    struct waiter **link = &b->root;
    struct waiter *h;
    size_t i;
    for (i = 0; i < LOT_SLOTS; i++)
        if (b->slot_key[i] == key)
            return &b->slot_head[i];
    while ((h = *link) != NULL) {
        uintptr_t k = key_of(h);
        if (k == key)
            break;
        link = key < k ? &h->left : &h->right;
    }
    return link;
}

/* Under b's lock: make w, whose key has no queue in b, a head in b's treap.
 * Descend while the nodes outrank w; the subtree found there holds keys on
 * both sides of w's, so split it by key into w's two children (the split
 * keeps each side's shape, so its heap order holds), and hang w in its
 * place. */
static void treap_insert(struct bucket *b, struct waiter *w, uintptr_t key)
{
    uint64_t p = prio_of(key);
    struct waiter **link = &b->root, **l = &w->left, **r = &w->right;
    struct waiter *h;

    while ((h = *link) != NULL && prio_of(key_of(h)) >= p)
        link = key < key_of(h) ? &h->left : &h->right;
    while (h != NULL) {
        if (key_of(h) < key) {
            *l = h;
            l = &h->right;
            h = h->right;
        } else {
            *r = h;
            r = &h->left;
            h = h->left;
        }
    }
    *l = NULL;
    *r = NULL;
    *link = w;
}

/* Under the bucket lock: take the head h out of the treap; *link == h.
 * Its two subtrees are merged in place (every key on the left is smaller
 * than every key on the right, so only the heap order decides who goes up). */
static void treap_remove(struct waiter **link, struct waiter *h)
{
    struct waiter *a = h->left, *c = h->right;
    while (a != NULL && c != NULL) {
        if (prio_of(key_of(a)) >= prio_of(key_of(c))) {
            *link = a;
            link = &a->right;
            a = a->right;
        } else {
            *link = c;
            link = &c->left;
            c = c->left;
        }
    }
    *link = a != NULL ? a : c;
}

/* Under b's lock: w (prev, tail and its queue's next chain set) heads a
 * new queue for key, which has none in b: in a free slot, else in the
 * treap. */
static void new_queue(struct bucket *b, struct waiter *w, uintptr_t key)
{
    size_t i;
    for (i = 0; i < LOT_SLOTS; i++) {
        if (b->slot_key[i] == 0) {
            b->slot_key[i] = key;
            b->slot_head[i] = w;
            w->left = NULL;
            w->right = NULL;
            return;
        }
    }
    treap_insert(b, w, key);
}

/* Under b's lock: the queue headed by h, at *link, leaves b as a whole. */
static void drop_queue(struct bucket *b, struct waiter **link, struct waiter *h)
{
    /* Compared as integers: link may point into a waiter, not the array. */
    uintptr_t off = (uintptr_t)link - (uintptr_t)&b->slot_head[0];
    if (off < sizeof b->slot_head) {
        b->slot_key[off / sizeof b->slot_head[0]] = 0;
        *link = NULL;
    } else {
        treap_remove(link, h);
    }
}

/* Under b's lock: queue w at the tail of key's queue, or make it the head
 * of a new one. */
static void enqueue(struct bucket *b, struct waiter *w, uintptr_t key)
{
    struct waiter **link = find_link(b, key), *h = *link;
    w->next = NULL;
    if (h != NULL) {
        w->prev = h->tail;
        h->tail->next = w;
        h->tail = w;
    } else {
        w->prev = NULL;
        w->tail = w;
        new_queue(b, w, key);
    }
}

/* Under the bucket lock: unlink w from the queue whose head is *link.  A
 * head that leaves is replaced in the treap by the next waiter of its
 * address, which has the same key and so the same priority: it takes the
 * old head's place and links unchanged.  The last waiter's head leaves the
 * treap.  w's own next is left as it was (wake lists reuse it). */
static void queue_remove(struct bucket *b, struct waiter **link, struct waiter *w)
{
    struct waiter *h = *link, *s;
    if (w != h) {
        w->prev->next = w->next;
        if (w->next != NULL)
            w->next->prev = w->prev;
        else
            h->tail = w->prev;
        return;
    }
    s = w->next;
    if (s == NULL) {
        drop_queue(b, link, w);
        return;
    }
    s->prev = NULL;
    s->left = w->left;
    s->right = w->right;
    s->tail = w->tail;
    *link = s;
}

/* The head of key's queue if link (from find_link) still holds it. */
static inline struct waiter *queue_at(struct waiter *const *link, uintptr_t key)
{
    struct waiter *h = *link;
    return h != NULL && key_of(h) == key ? h : NULL;
}

/* Under b's lock: is any thread queued on key? */
static int has_waiter(struct bucket *b, uintptr_t key)
{
    return *find_link(b, key) != NULL;
}

/* Lock the bucket that w is queued in now (requeue may have moved it). */
static struct bucket *lock_bucket_of_waiter(struct waiter *w)
{
    for (;;) {
        struct bucket *b = bucket_of(key_of(w));
        parker__wordlock_lock(&b->lock);
        if (bucket_of(key_of(w)) == b)
            return b;
        parker__wordlock_unlock(&b->lock);
    }
}

/* Under the lock of w's bucket, only when w is being taken to be woken:
 * the one place a waker reads the clock. */
static int waited_long_enough(const struct waiter *w)
{
    uint64_t now = parker_now_ns();
    return now >= w->wait_since && now - w->wait_since >= (uint64_t)PARKER_LOT_FAIR_NS;
}

/* ------------------------------------------------------------------------
 * Callbacks and re-entry.
 *
 * A callback that runs under a queue lock and calls the lot would take a
 * queue lock it may already hold: a silent hang (or, for another bucket, a
 * lock-order deadlock with a requeue).  Each user callback that runs under
 * a lock is bracketed by this thread-local flag, and every lot entry point
 * checks it, so the mistake aborts with a message instead.  before_sleep
 * runs outside the lock and may call the lot.
 * ---------------------------------------------------------------------- */
static LOT_THREAD_LOCAL unsigned char in_callback;

#define RUN_CALLBACK(stmt)   \
    do {                     \
        in_callback = 1;     \
        stmt;                \
        in_callback = 0;     \
    } while (0)

static inline void check_not_in_callback(const char *func)
{
    if (in_callback)
        parker__misuse(func, "called from a lot callback (validate, timed_out, unpark, filter "
                             "or requeue callback); these run under a queue lock and must not "
                             "call the lot");
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
        size_t k;
        int used = parker__load_relaxed_uptr(&b->lock) != 0 || b->root != NULL;
        for (k = 0; k < LOT_SLOTS; k++)
            used |= b->slot_key[k] != 0;
        if (used)
            memset(b, 0, sizeof *b);
    }
    /* A fork from inside a callback leaves the flag set in the child. */
    in_callback = 0;
    /* One call after a raw fork resets every layer: the backend's
     * process-wide state (pthread stripes) as well. */
    parker_after_fork();
}

#if !defined(_WIN32)
static void register_atfork(void)
{
    /* Fails only without memory for the handler slot; then a child must
     * call parker_lot_after_fork itself, as after a raw fork. */
    (void)pthread_atfork(NULL, NULL, parker_lot_after_fork);
}
#  if defined(__GNUC__) || defined(__clang__)
/*
 * Registered when the library is loaded, before any lot call can run: a
 * registration done by the first lot call instead can be cut in half by a
 * fork on another thread (the child then finds it "in progress" forever),
 * and it deadlocks when that first call comes from a pthread_atfork prepare
 * handler (pthread_atfork cannot run while fork runs handlers).  This object
 * file is linked in exactly when a lot function is used.
 */
__attribute__((constructor)) static void lot_register_atfork_at_load(void)
{
    register_atfork();
}
static inline void lot_prepare(void)
{
}
#  else
/* No constructors: the first lot call registers.  glibc's pthread_once
 * restarts an initialisation that a fork interrupted. */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static inline void lot_prepare(void)
{
    (void)pthread_once(&atfork_once, register_atfork);
}
#  endif
#else
static inline void lot_prepare(void)
{
}
#endif

/* ------------------------------------------------------------------------
 * Parking.
 * ---------------------------------------------------------------------- */
struct park_args {
    const char *func;
    uintptr_t key;
    parker_lot_validate_fn validate; /* NULL: always park */
    void *validate_arg;
    int validate_is_user; /* run it as a user callback (re-entry flag) */
    parker_lot_before_sleep_fn before_sleep;
    parker_lot_timed_out_fn timed_out;
    void *arg;            /* for before_sleep and timed_out */
    uint64_t deadline_ns; /* absolute; PARKER_FOREVER */
    uint64_t now_ns;      /* a clock reading of the caller's, or 0 */
    void *park_arg;
    uint64_t wait_since_ns; /* 0: now */
    uintptr_t *unpark_token;
};

static int park_common(const struct park_args *a)
{
    struct waiter w;
    struct bucket *b;
    uint64_t now = a->now_ns;
    int past = 0, valid = 1, dequeued;

    lot_prepare();
    if (a->deadline_ns != PARKER_FOREVER) {
        if (a->deadline_ns != 0 && now == 0)
            now = parker_now_ns();
        past = a->deadline_ns <= now;
    }
    if (!past) {
        if (a->wait_since_ns != 0) {
            w.wait_since = a->wait_since_ns;
        } else {
            if (now == 0)
                now = parker_now_ns();
            w.wait_since = now;
        }
        if (parker_init(&w.parker) != 0)
            parker__misuse(a->func, "the backend could not initialise a parker");
    }

    b = bucket_of(a->key);
    parker__wordlock_lock(&b->lock);
    if (a->validate != NULL) {
        if (a->validate_is_user)
            RUN_CALLBACK(valid = a->validate(a->validate_arg));
        else
            valid = a->validate(a->validate_arg);
    }
    if (!valid) {
        parker__wordlock_unlock(&b->lock);
        if (!past)
            parker_destroy(&w.parker);
        return PARKER_AGAIN;
    }
    if (past) {
        /* The deadline has passed: compare, never queue (a waker must not
         * pick a thread that is not going to wait).  The caller leaves by
         * timeout, so timed_out runs as for any other timeout, and
         * before_sleep runs as it does whenever validate agreed, so that a
         * condition variable always releases (and then re-takes) its lock. */
        if (a->timed_out != NULL) {
            int last = !has_waiter(b, a->key);
            RUN_CALLBACK(a->timed_out(a->arg, (const void *)a->key, last));
        }
        parker__wordlock_unlock(&b->lock);
        if (a->before_sleep != NULL)
            a->before_sleep(a->arg);
        return PARKER_TIMEDOUT;
    }
    parker__store_relaxed_uptr(&w.key, a->key);
    w.park_arg = a->park_arg;
    w.token = 0;
    w.dequeued = 0;
    enqueue(b, &w, a->key);
    parker__wordlock_unlock(&b->lock);

    if (a->before_sleep != NULL)
        a->before_sleep(a->arg);

    /* Only a waker that has dequeued w unparks w.parker, and parkers have no
     * spurious returns, so PARKER_OK means we were chosen.  The token was
     * written before that unpark, which orders it before our return. */
    if (parker_park_until(&w.parker, a->deadline_ns) == PARKER_OK) {
        parker_destroy(&w.parker);
        if (a->unpark_token != NULL)
            *a->unpark_token = w.token;
        return PARKER_OK;
    }

    b = lock_bucket_of_waiter(&w);
    dequeued = w.dequeued;
    if (!dequeued) {
        uintptr_t key = key_of(&w); /* requeue may have changed it */
        /* Alone in its queue exactly when it is the head with no next. */
        int last = w.prev == NULL && w.next == NULL;
        queue_remove(b, find_link(b, key), &w);
        if (a->timed_out != NULL)
            RUN_CALLBACK(a->timed_out(a->arg, (const void *)key, last));
    }
    parker__wordlock_unlock(&b->lock);
    if (dequeued) {
        /* A waker claimed us just as the deadline passed; it counted this as
         * a wake-up (and gave us its token) and its parker_unpark is on the
         * way.  Take it: report what the waker reported, and do not pop w
         * off the stack while the waker may still use it. */
        parker_park(&w.parker);
        parker_destroy(&w.parker);
        if (a->unpark_token != NULL)
            *a->unpark_token = w.token;
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
        return parker__load_acquire_u8((const uint8_t *)c->address) == e;
    }
    case 2: {
        uint16_t e;
        memcpy(&e, c->expected, 2);
        return parker__load_acquire_u16((const uint16_t *)c->address) == e;
    }
    case 4: {
        uint32_t e;
        memcpy(&e, c->expected, 4);
        return parker__load_acquire_u32((const uint32_t *)c->address) == e;
    }
    default: {
        uint64_t e;
        memcpy(&e, c->expected, 8);
        return parker__load_acquire_u64((const uint64_t *)c->address) == e;
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
static const struct parker__spin_limits lot_spin_limits = {250u, 2000u, 10000u};

static LOT_THREAD_LOCAL uint32_t lot_spin_budget; /* ns; 0 = not yet set */

static int word_changed(void *arg)
{
    /* word_equals loads with acquire, as the compare under the lock does:
     * AGAIN orders the same either way. */
    return !word_equals(arg);
}

/* 1 if the word stopped equalling the expected value within the budget.
 * *now receives the clock reading made for the deadline, or stays 0. */
static int spin_for_change(const struct word_compare *c, uint64_t deadline_ns, uint64_t *now)
{
    if (deadline_ns != PARKER_FOREVER) {
        if (deadline_ns == 0)
            return 0;
        *now = parker_now_ns();
        /* A spin longer than the remaining time would overshoot it. */
        if (deadline_ns <= *now || deadline_ns - *now <= 2u * (uint64_t)lot_spin_limits.max_ns)
            return 0;
        /* The spin takes time: the reading is stale if we go on to park. */
        if (parker__spin(&lot_spin_budget, &lot_spin_limits, word_changed, (void *)(uintptr_t)c))
            return 1;
        *now = 0;
        return 0;
    }
    return parker__spin(&lot_spin_budget, &lot_spin_limits, word_changed, (void *)(uintptr_t)c);
}

static int word_args_valid(const void *address, const void *expected, size_t size)
{
    if (address == NULL || expected == NULL)
        return 0;
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return 0;
    return ((uintptr_t)address & (size - 1u)) == 0;
}

static int park_word(const char *func, const void *address, const void *expected, size_t size,
                     uint64_t deadline_ns, void *park_arg)
{
    struct word_compare c;
    struct park_args a;
    uint64_t now = 0;
    c.address = address;
    c.expected = expected;
    c.size = size;
    if (word_equals(&c) && spin_for_change(&c, deadline_ns, &now))
        return PARKER_AGAIN;
    memset(&a, 0, sizeof a);
    a.func = func;
    a.key = (uintptr_t)address;
    a.validate = word_equals;
    a.validate_arg = &c;
    a.deadline_ns = deadline_ns;
    a.now_ns = now;
    a.park_arg = park_arg;
    return park_common(&a);
}

int parker_lot_park_until(const void *address, const void *expected, size_t size,
                          uint64_t deadline_ns, void *park_arg)
{
    check_not_in_callback("parker_lot_park_until");
    if (!word_args_valid(address, expected, size))
        return PARKER_INVALID;
    return park_word("parker_lot_park_until", address, expected, size, deadline_ns, park_arg);
}

int parker_lot_park(const void *address, const void *expected, size_t size,
                    uint64_t timeout_ns, void *park_arg)
{
    uint64_t deadline;
    check_not_in_callback("parker_lot_park");
    if (!word_args_valid(address, expected, size))
        return PARKER_INVALID;
    if (timeout_ns == 0) {
        deadline = 0; /* at or before any clock value: compare, never queue */
    } else if (timeout_ns == PARKER_FOREVER) {
        deadline = PARKER_FOREVER;
    } else {
        uint64_t now = parker_now_ns();
        deadline = timeout_ns > PARKER_FOREVER - now ? PARKER_FOREVER : now + timeout_ns;
    }
    return park_word("parker_lot_park", address, expected, size, deadline, park_arg);
}

/* park_if and park_ex: the callbacks are the caller's. */
static int park_user(const char *func, const void *address, parker_lot_validate_fn validate,
                     parker_lot_before_sleep_fn before_sleep, parker_lot_timed_out_fn timed_out,
                     void *arg, uint64_t deadline_ns, void *park_arg, uint64_t wait_since_ns,
                     uintptr_t *unpark_token)
{
    struct park_args a;
    memset(&a, 0, sizeof a);
    a.func = func;
    a.key = (uintptr_t)address;
    a.validate = validate;
    a.validate_arg = arg;
    a.validate_is_user = 1;
    a.before_sleep = before_sleep;
    a.timed_out = timed_out;
    a.arg = arg;
    a.deadline_ns = deadline_ns;
    a.park_arg = park_arg;
    a.wait_since_ns = wait_since_ns;
    a.unpark_token = unpark_token;
    return park_common(&a);
}

int parker_lot_park_if(const void *address, parker_lot_validate_fn validate,
                       parker_lot_before_sleep_fn before_sleep, void *arg, uint64_t deadline_ns,
                       void *park_arg)
{
    check_not_in_callback("parker_lot_park_if");
    if (address == NULL || validate == NULL)
        return PARKER_INVALID;
    return park_user("parker_lot_park_if", address, validate, before_sleep, NULL, arg,
                     deadline_ns, park_arg, 0, NULL);
}

int parker_lot_park_ex(const void *address, parker_lot_validate_fn validate,
                       parker_lot_before_sleep_fn before_sleep, parker_lot_timed_out_fn timed_out,
                       void *arg, uint64_t deadline_ns, void *park_arg, uint64_t wait_since_ns,
                       uintptr_t *unpark_token)
{
    check_not_in_callback("parker_lot_park_ex");
    if (address == NULL)
        return PARKER_INVALID;
    return park_user("parker_lot_park_ex", address, validate, before_sleep, timed_out, arg,
                     deadline_ns, park_arg, wait_since_ns, unpark_token);
}

/* ------------------------------------------------------------------------
 * Waking.
 * ---------------------------------------------------------------------- */

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

/* Exactly one of plain and fn may be non-NULL. */
static int unpark_one_common(const char *func, const void *address, parker_lot_unpark_fn plain,
                             parker_lot_unpark_token_fn fn, void *arg)
{
    uintptr_t key = (uintptr_t)address;
    struct bucket *b = bucket_of(key);
    struct waiter **link, *w, *more = NULL;
    uintptr_t token = 0;

    check_not_in_callback(func);
    lot_prepare();
    parker__wordlock_lock(&b->lock);
    link = find_link(b, key);
    w = *link; /* the head: the longest waiter on key */
    if (w != NULL) {
        more = w->next;
        queue_remove(b, link, w);
        w->dequeued = 1;
    }
    if (plain != NULL) {
        RUN_CALLBACK(plain(arg, w != NULL ? w->park_arg : NULL, more != NULL));
    } else if (fn != NULL) {
        parker_lot_unpark_result_t r;
        r.unparked = w != NULL;
        r.requeued = 0;
        r.have_more_waiters = more != NULL;
        r.be_fair = w != NULL && waited_long_enough(w);
        r.park_arg = w != NULL ? w->park_arg : NULL;
        RUN_CALLBACK(token = fn(arg, &r));
    }
    if (w != NULL)
        w->token = token;
    parker__wordlock_unlock(&b->lock);

    if (w == NULL)
        return 0;
    parker_unpark(&w->parker); /* w may be gone from here on */
    return 1;
}

int parker_lot_unpark_one(const void *address, parker_lot_unpark_fn fn, void *arg)
{
    return unpark_one_common("parker_lot_unpark_one", address, fn, NULL, arg);
}

int parker_lot_unpark_one_ex(const void *address, parker_lot_unpark_token_fn fn, void *arg)
{
    return unpark_one_common("parker_lot_unpark_one_ex", address, NULL, fn, arg);
}

static size_t unpark_all_common(const char *func, const void *address, uintptr_t token)
{
    uintptr_t key = (uintptr_t)address;
    struct bucket *b = bucket_of(key);
    struct waiter **link, *w, *list;
    size_t n = 0;

    check_not_in_callback(func);
    lot_prepare();
    parker__wordlock_lock(&b->lock);
    link = find_link(b, key);
    list = *link;
    /* The whole queue leaves at once; its next chain is the wake list. */
    if (list != NULL)
        drop_queue(b, link, list);
    for (w = list; w != NULL; w = w->next) {
        w->dequeued = 1;
        w->token = token;
        n++;
    }
    parker__wordlock_unlock(&b->lock);
    wake_list(list);
    return n;
}

size_t parker_lot_unpark_all(const void *address)
{
    return unpark_all_common("parker_lot_unpark_all", address, 0);
}

size_t parker_lot_unpark_all_ex(const void *address, uintptr_t token)
{
    return unpark_all_common("parker_lot_unpark_all_ex", address, token);
}

size_t parker_lot_unpark_filter(const void *address, parker_lot_filter_fn filter,
                                parker_lot_unpark_token_fn fn, void *arg)
{
    static const char func[] = "parker_lot_unpark_filter";
    uintptr_t key = (uintptr_t)address;
    struct bucket *b = bucket_of(key);
    struct waiter **link, *w, *next, *list = NULL, **last = &list;
    uintptr_t token = 0;
    size_t n = 0;
    int left = 0;

    check_not_in_callback(func);
    if (filter == NULL)
        parker__misuse(func, "NULL filter");
    lot_prepare();
    parker__wordlock_lock(&b->lock);
    /* The link stays the queue's place in the treap while its head leaves:
     * a promoted successor takes the same link, and once the last waiter
     * has gone the walk has ended too. */
    link = find_link(b, key);
    for (w = *link; w != NULL; w = next) {
        int verdict;
        next = w->next;
        RUN_CALLBACK(verdict = filter(arg, w->park_arg));
        if (verdict == PARKER_LOT_FILTER_STOP) {
            left = 1; /* w itself stays */
            break;
        }
        if (verdict == PARKER_LOT_FILTER_SKIP) {
            left = 1;
            continue;
        }
        if (verdict != PARKER_LOT_FILTER_UNPARK)
            parker__misuse(func, "the filter returned a value other than "
                                 "PARKER_LOT_FILTER_UNPARK, _SKIP or _STOP");
        queue_remove(b, link, w);
        w->dequeued = 1;
        w->next = NULL;
        *last = w;
        last = &w->next;
        n++;
    }
    if (fn != NULL) {
        parker_lot_unpark_result_t r;
        r.unparked = n;
        r.requeued = 0;
        r.have_more_waiters = left;
        r.be_fair = list != NULL && waited_long_enough(list);
        r.park_arg = list != NULL ? list->park_arg : NULL;
        RUN_CALLBACK(token = fn(arg, &r));
    }
    for (w = list; w != NULL; w = w->next)
        w->token = token;
    parker__wordlock_unlock(&b->lock);
    wake_list(list);
    return n;
}

/* ------------------------------------------------------------------------
 * Requeue.
 * ---------------------------------------------------------------------- */
struct requeue_args {
    const char *func;
    uintptr_t from, to;
    size_t max_wake, max_requeue;            /* when validate is NULL */
    parker_lot_requeue_validate_fn validate; /* requeue_ex */
    parker_lot_requeue_fn plain;             /* requeue */
    parker_lot_unpark_token_fn fn;           /* requeue_ex */
    void *arg;
    size_t *requeued;
};

static size_t requeue_common(const struct requeue_args *a)
{
    struct bucket *bf = bucket_of(a->from), *bt = bucket_of(a->to);
    struct waiter **link, *w;
    struct waiter *woken = NULL, **woken_last = &woken;
    struct waiter *moved = NULL, *moved_tail = NULL;
    size_t n_woken = 0, n_moved = 0, max_wake = a->max_wake, max_requeue = a->max_requeue;
    uintptr_t token = 0;

    check_not_in_callback(a->func);
    lot_prepare();
    /* Two bucket locks: always in table order, so two requeues in opposite
     * directions cannot deadlock. */
    if (bf == bt) {
        parker__wordlock_lock(&bf->lock);
    } else if (bf < bt) {
        parker__wordlock_lock(&bf->lock);
        parker__wordlock_lock(&bt->lock);
    } else {
        parker__wordlock_lock(&bt->lock);
        parker__wordlock_lock(&bf->lock);
    }

    if (a->validate != NULL) {
        int op;
        RUN_CALLBACK(op = a->validate(a->arg));
        switch (op) {
        case PARKER_LOT_REQUEUE_ABORT:
            max_wake = 0;
            max_requeue = 0;
            break;
        case PARKER_LOT_REQUEUE_UNPARK_ONE_REQUEUE_REST:
            max_wake = 1;
            max_requeue = SIZE_MAX;
            break;
        case PARKER_LOT_REQUEUE_ALL:
            max_wake = 0;
            max_requeue = SIZE_MAX;
            break;
        case PARKER_LOT_REQUEUE_UNPARK_ONE:
            max_wake = 1;
            max_requeue = 0;
            break;
        case PARKER_LOT_REQUEUE_ONE:
            max_wake = 0;
            max_requeue = 1;
            break;
        default:
            parker__misuse(a->func, "validate returned a value that is no PARKER_LOT_REQUEUE_*");
        }
        if (op == PARKER_LOT_REQUEUE_ABORT) {
            parker__wordlock_unlock(&bf->lock);
            if (bt != bf)
                parker__wordlock_unlock(&bt->lock);
            if (a->requeued != NULL)
                *a->requeued = 0;
            return 0;
        }
    }

    /* Take the oldest waiters of `from` one by one: each leaves as its
     * queue's head, so the next one is promoted in its place (O(1)).  When
     * the last one leaves, the link passes to whatever the treap merges
     * into it, so the queue is "there" only while the link holds `from`. */
    link = find_link(bf, a->from);
    while ((w = queue_at(link, a->from)) != NULL && n_woken < max_wake) {
        queue_remove(bf, link, w);
        w->dequeued = 1;
        w->next = NULL;
        *woken_last = w;
        woken_last = &w->next;
        n_woken++;
    }
    if ((w = queue_at(link, a->from)) != NULL && max_requeue > 0) {
        /* The moved entries stay chained through next/prev as they were;
         * only the cut between the last moved one and the rest changes. */
        struct waiter *last = w->tail, *rest;
        moved = w;
        if (max_requeue == SIZE_MAX) {
            /* Everyone left goes: the queue leaves the treap as a whole. */
            drop_queue(bf, link, w);
            rest = NULL;
        } else {
            size_t k;
            for (k = 1, last = w; k < max_requeue && last->next != NULL; k++)
                last = last->next;
            rest = last->next;
            if (rest != NULL) {
                /* rest becomes the head of what stays on `from`, in the
                 * old head's place in the treap (same key, same priority). */
                rest->prev = NULL;
                rest->left = w->left;
                rest->right = w->right;
                rest->tail = w->tail;
                *link = rest;
                last->next = NULL;
            } else {
                drop_queue(bf, link, w);
            }
        }
        moved_tail = last;
        /* Each moved entry gets its new key, under both locks, so that a
         * waiter that times out finds the bucket it is in now. */
        for (w = moved; w != NULL; w = w->next) {
            parker__store_relaxed_uptr(&w->key, a->to);
            n_moved++;
        }
    }
    /* Append after `from` is settled, so that with from == to the moved
     * entries go behind the ones that stay, and a shared bucket's treap is
     * consistent before it is searched for `to`. */
    if (moved != NULL) {
        struct waiter *h = *find_link(bt, a->to);
        if (h != NULL) {
            moved->prev = h->tail;
            h->tail->next = moved;
            h->tail = moved_tail;
        } else {
            moved->prev = NULL;
            moved->tail = moved_tail;
            new_queue(bt, moved, a->to);
        }
    }
    if (a->plain != NULL) {
        RUN_CALLBACK(a->plain(a->arg, n_woken, n_moved));
    } else if (a->fn != NULL) {
        parker_lot_unpark_result_t r;
        r.unparked = n_woken;
        r.requeued = n_moved;
        r.have_more_waiters = has_waiter(bf, a->from);
        r.be_fair = woken != NULL && waited_long_enough(woken);
        r.park_arg = woken != NULL ? woken->park_arg : NULL;
        RUN_CALLBACK(token = a->fn(a->arg, &r));
    }
    for (w = woken; w != NULL; w = w->next)
        w->token = token;

    parker__wordlock_unlock(&bf->lock);
    if (bt != bf)
        parker__wordlock_unlock(&bt->lock);

    wake_list(woken);
    if (a->requeued != NULL)
        *a->requeued = n_moved;
    return n_woken;
}

size_t parker_lot_requeue(const void *from, const void *to, size_t max_wake, size_t max_requeue,
                          parker_lot_requeue_fn fn, void *arg, size_t *requeued)
{
    struct requeue_args a;
    memset(&a, 0, sizeof a);
    a.func = "parker_lot_requeue";
    a.from = (uintptr_t)from;
    a.to = (uintptr_t)to;
    a.max_wake = max_wake;
    /* NULL is no address anybody waits on, so nobody may be moved there
     * (they could never be woken by a valid unpark). */
    a.max_requeue = to != NULL ? max_requeue : 0;
    a.plain = fn;
    a.arg = arg;
    a.requeued = requeued;
    return requeue_common(&a);
}

size_t parker_lot_requeue_ex(const void *from, const void *to,
                             parker_lot_requeue_validate_fn validate, parker_lot_unpark_token_fn fn,
                             void *arg, size_t *requeued)
{
    struct requeue_args a;
    static const char func[] = "parker_lot_requeue_ex";
    if (from == NULL || to == NULL)
        parker__misuse(func, "NULL address");
    if (validate == NULL)
        parker__misuse(func, "NULL validate");
    memset(&a, 0, sizeof a);
    a.func = func;
    a.from = (uintptr_t)from;
    a.to = (uintptr_t)to;
    a.validate = validate;
    a.fn = fn;
    a.arg = arg;
    a.requeued = requeued;
    return requeue_common(&a);
}

/* ------------------------------------------------------------------------
 * Introspection (parker_lot_walk).  Kept apart from the rest on purpose: it
 * only needs "lock a bucket, read its entries, unlock".  It copies before
 * reporting so that the callback never runs under a bucket lock (it may
 * then use the lot, and a slow callback holds up no park or unpark).
 * ---------------------------------------------------------------------- */
#define WALK_CHUNK 32

/* One chunk of a bucket, under its lock: the queues in a fixed order (the
 * slots, then the treap in address order), skipping the first `skip`
 * entries that earlier chunks reported. */
struct walk_chunk {
    parker_lot_waiter_info_t snap[WALK_CHUNK];
    size_t n, k, skip;
    uint64_t now;
};

static void walk_queue(struct walk_chunk *c, const struct waiter *w)
{
    for (; w != NULL && c->n < WALK_CHUNK; w = w->next) {
        if (c->k++ < c->skip)
            continue;
        c->snap[c->n].address = (const void *)key_of(w);
        c->snap[c->n].parker = &w->parker;
        c->snap[c->n].park_arg = w->park_arg;
        c->snap[c->n].wait_since_ns = w->wait_since;
        c->snap[c->n].waited_ns = c->now > w->wait_since ? c->now - w->wait_since : 0;
        c->n++;
    }
}

/* Recursive: the treap's depth is O(log heads) expected, and this is a
 * debugging call, never on a park or unpark path. */
static void walk_treap(struct walk_chunk *c, const struct waiter *h)
{
    if (h == NULL || c->n == WALK_CHUNK)
        return;
    walk_treap(c, h->left);
    walk_queue(c, h);
    walk_treap(c, h->right);
}

size_t parker_lot_walk(parker_lot_walk_fn fn, void *arg)
{
    struct walk_chunk c;
    size_t i, reported = 0;

    check_not_in_callback("parker_lot_walk");
    if (fn == NULL)
        return 0;
    lot_prepare();
    for (i = 0; i < PARKER__LOT_BUCKETS; i++) {
        struct bucket *b = &table[i].b;
        size_t s, k;
        c.skip = 0;
        do {
            c.n = 0;
            c.k = 0;
            c.now = parker_now_ns();
            parker__wordlock_lock(&b->lock);
            for (s = 0; s < LOT_SLOTS; s++)
                if (b->slot_key[s] != 0)
                    walk_queue(&c, b->slot_head[s]);
            walk_treap(&c, b->root);
            parker__wordlock_unlock(&b->lock);
            for (k = 0; k < c.n; k++) {
                reported++;
                if (fn(arg, &c.snap[k]) != 0)
                    return reported;
            }
            c.skip += c.n; /* a bucket with more than a chunk: the next chunk */
        } while (c.n == WALK_CHUNK);
    }
    return reported;
}
