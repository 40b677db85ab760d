/*
 * test_lot.c - the parking lot's contract (parker_lot.h), the same tests for
 * every backend.  Threads only record what happened; the cmocka assertions
 * run on the main thread.
 */
#include "common.h"
#include "death.h"

#include "parker_lot.h"
#include "lot_hash.h" /* private: to pick addresses that share a bucket */

#include <stdatomic.h>

#if !defined(_WIN32)
#include <signal.h>
#include <sys/wait.h>
#endif

/* Bound on every "wait until" loop: a hang is a failure, not a timeout. */
#define BOUND_NS (20000 * NS_PER_MS)

#define WAIT_UNTIL(cond)                                                        \
    do {                                                                        \
        uint64_t wait_until_t0_ = parker_now_ns();                              \
        while (!(cond)) {                                                       \
            if (parker_now_ns() - wait_until_t0_ > BOUND_NS)                    \
                fail_msg("timed out waiting for: %s", #cond);                   \
            test_yield();                                                       \
        }                                                                       \
    } while (0)

/* A compiler barrier: keeps a plain read and write apart in time. */
static inline void test_cpu_pause_hint(void)
{
    __asm__ __volatile__("" ::: "memory");
}

/* ------------------------------------------------------------- addresses */

/* Words to park on.  4096 of them over 1024 buckets: collisions exist. */
static _Alignas(8) uint32_t pool[4096];

/* Two distinct pool words that hash to the same bucket, starting the search
 * at index `from` (so that different tests get different pairs). */
static void colliding_pair(size_t from, uint32_t **a, uint32_t **b)
{
    size_t i, j;
    for (i = from; i < 4096; i++)
        for (j = i + 1; j < 4096; j++)
            if (parker__lot_bucket_index((uintptr_t)&pool[i]) ==
                parker__lot_bucket_index((uintptr_t)&pool[j])) {
                *a = &pool[i];
                *b = &pool[j];
                return;
            }
    fail_msg("%s", "no colliding pair in the pool");
}

/* ---------------------------------------------------------------- waiters */

/*
 * A thread that parks once.  With `signal_queued`, it parks through
 * parker_lot_park_if (validate compares the 4-byte word), whose before_sleep
 * callback counts it in *queued: then the test knows it is in the queue, in
 * order.  Otherwise it uses parker_lot_park with the given size.
 */
struct waiter {
    const void *address;
    uint64_t expected;
    size_t size;
    uint64_t timeout_ns; /* relative; PARKER_FOREVER */
    void *park_arg;
    atomic_int *queued;
    /* results */
    int result;
    uint64_t elapsed_ns;
    atomic_int done;
    pthread_t thread;
};

static int validate_word(void *arg)
{
    struct waiter *w = (struct waiter *)arg;
    return __atomic_load_n((const uint32_t *)w->address, __ATOMIC_RELAXED) == (uint32_t)w->expected;
}

static int validate_word_always(void *arg)
{
    (void)arg;
    return 1;
}

static void count_queued(void *arg)
{
    struct waiter *w = (struct waiter *)arg;
    atomic_fetch_add(w->queued, 1);
}

static void *waiter_main(void *arg)
{
    struct waiter *w = (struct waiter *)arg;
    uint64_t t0 = parker_now_ns();
    if (w->queued != NULL) {
        uint64_t deadline = w->timeout_ns == PARKER_FOREVER ? PARKER_FOREVER : t0 + w->timeout_ns;
        w->result = parker_lot_park_if(w->address, validate_word, count_queued, w, deadline,
                                       w->park_arg);
    } else {
        w->result = parker_lot_park(w->address, &w->expected, w->size, w->timeout_ns, w->park_arg);
    }
    w->elapsed_ns = parker_now_ns() - t0;
    atomic_store(&w->done, 1);
    return NULL;
}

static void waiter_start(struct waiter *w, const void *address, void *park_arg, atomic_int *queued)
{
    memset(w, 0, sizeof *w);
    w->address = address;
    w->expected = 0;
    w->size = 4;
    w->timeout_ns = PARKER_FOREVER;
    w->park_arg = park_arg;
    w->queued = queued;
    w->result = -1;
    w->thread = test_thread_start(waiter_main, w);
}

/* Start n waiters on address, one after the other, each known to be queued
 * before the next starts (so FIFO order is the start order). */
static void waiters_start_in_order(struct waiter *w, int n, const void *address, void **args,
                                   atomic_int *queued)
{
    int i, base = atomic_load(queued);
    for (i = 0; i < n; i++) {
        waiter_start(&w[i], address, args != NULL ? args[i] : NULL, queued);
        WAIT_UNTIL(atomic_load(queued) >= base + i + 1);
    }
}

static void waiter_join(struct waiter *w)
{
    test_thread_join(w->thread);
}

/* Records what a parker_lot_unpark_fn saw. */
struct unpark_record {
    int calls;
    void *park_arg;
    int has_more;
};

static void record_unpark(void *arg, void *park_arg, int has_more_waiters)
{
    struct unpark_record *r = (struct unpark_record *)arg;
    r->calls++;
    r->park_arg = park_arg;
    r->has_more = has_more_waiters;
}

/* Wake one waiter of address and return what the callback saw. */
static struct unpark_record unpark_one_recorded(const void *address, int expect_result)
{
    struct unpark_record r = {0, (void *)&r, -1};
    assert_int_equal(expect_result, parker_lot_unpark_one(address, record_unpark, &r));
    assert_int_equal(1, r.calls);
    return r;
}

/* ----------------------------------------------------------------- basics */

static void test_result_values_are_pinned(void **state)
{
    (void)state;
    assert_int_equal(0, PARKER_OK);
    assert_int_equal(1, PARKER_TIMEDOUT);
    assert_int_equal(2, PARKER_AGAIN);
    assert_int_equal(3, PARKER_INVALID);
}

static void test_invalid_arguments_are_rejected(void **state)
{
    _Alignas(8) unsigned char buf[16] = {0};
    uint64_t expected = 0;
    (void)state;
    assert_int_equal(PARKER_INVALID, parker_lot_park(NULL, &expected, 4, 0, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park(buf, NULL, 4, 0, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park(buf, &expected, 0, 0, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park(buf, &expected, 3, 0, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park(buf, &expected, 5, 0, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park(buf, &expected, 16, 0, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park(buf + 1, &expected, 2, 0, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park(buf + 2, &expected, 4, 0, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park(buf + 4, &expected, 8, 0, NULL));
    /* Invalid arguments are reported before any wait, even "forever". */
    assert_int_equal(PARKER_INVALID, parker_lot_park(buf + 1, &expected, 4, PARKER_FOREVER, NULL));
    assert_int_equal(PARKER_INVALID,
                     parker_lot_park_until(NULL, &expected, 4, PARKER_FOREVER, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park_until(buf, NULL, 4, PARKER_FOREVER, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park_until(buf, &expected, 6, PARKER_FOREVER, NULL));
    assert_int_equal(PARKER_INVALID,
                     parker_lot_park_until(buf + 4, &expected, 8, PARKER_FOREVER, NULL));
    assert_int_equal(PARKER_INVALID,
                     parker_lot_park_if(NULL, validate_word, NULL, NULL, PARKER_FOREVER, NULL));
    assert_int_equal(PARKER_INVALID, parker_lot_park_if(buf, NULL, NULL, NULL, PARKER_FOREVER, NULL));
    /* Aligned 1-byte words at odd addresses are fine. */
    assert_int_equal(PARKER_TIMEDOUT, parker_lot_park(buf + 1, &expected, 1, 0, NULL));
}

/* Each size compares exactly `size` bytes: equal -> it would sleep (zero
 * timeout: TIMEDOUT), any differing byte inside -> AGAIN, bytes outside
 * ignored; then a real sleep and wake-up at that size. */
static void test_park_compares_exactly_size_bytes_for_every_size(void **state)
{
    static const size_t sizes[] = {1, 2, 4, 8};
    static _Alignas(8) unsigned char word[16];
    size_t s, k;
    (void)state;
    for (s = 0; s < 4; s++) {
        size_t size = sizes[s];
        unsigned char expected[17]; /* expected+1: deliberately unaligned */
        struct waiter w;
        for (k = 0; k < sizeof word; k++)
            __atomic_store_n(&word[k], (unsigned char)(0xA0u + k), __ATOMIC_RELAXED);
        memset(expected, 0x5A, sizeof expected);
        for (k = 0; k < size; k++)
            expected[1 + k] = (unsigned char)(0xA0u + 8u + k);
        /* word + 8: the bytes after it differ from expected's, must not matter */
        assert_int_equal(PARKER_TIMEDOUT, parker_lot_park(word + 8, expected + 1, size, 0, NULL));
        for (k = 0; k < size; k++) {
            expected[1 + k] ^= 0x01;
            assert_int_equal(PARKER_AGAIN,
                             parker_lot_park(word + 8, expected + 1, size, PARKER_FOREVER, NULL));
            expected[1 + k] ^= 0x01;
        }

        memset(&w, 0, sizeof w);
        w.address = word + 8;
        memcpy(&w.expected, expected + 1, size);
        w.size = size;
        w.timeout_ns = PARKER_FOREVER;
        w.result = -1;
        w.thread = test_thread_start(waiter_main, &w);
        WAIT_UNTIL(parker_lot_unpark_one(word + 8, NULL, NULL) == 1);
        waiter_join(&w);
        assert_int_equal(PARKER_OK, w.result);
    }
}

static void test_park_returns_again_without_sleeping_when_word_differs(void **state)
{
    uint32_t word = 7, expected = 8;
    uint8_t byte = 1, expected_byte = 0;
    (void)state;
    /* Forever: would hang if it slept. */
    assert_int_equal(PARKER_AGAIN, parker_lot_park(&word, &expected, 4, PARKER_FOREVER, NULL));
    assert_int_equal(PARKER_AGAIN,
                     parker_lot_park_until(&byte, &expected_byte, 1, PARKER_FOREVER, NULL));
    /* AGAIN wins over an expired deadline: the compare comes first. */
    assert_int_equal(PARKER_AGAIN, parker_lot_park(&word, &expected, 4, 0, NULL));
    /* Nobody was left queued. */
    assert_int_equal(0, parker_lot_unpark_all(&word));
}

/* ---------------------------------------------------------------- timeouts */

static void test_timeout_never_returns_early(void **state)
{
    uint32_t word = 0, expected = 0;
    uint64_t t0, deadline;
    int i;
    (void)state;
    for (i = 0; i < 5; i++) {
        uint64_t timeout = (uint64_t)(i + 1) * 4 * NS_PER_MS;
        t0 = parker_now_ns();
        assert_int_equal(PARKER_TIMEDOUT, parker_lot_park(&word, &expected, 4, timeout, NULL));
        if (parker_now_ns() - t0 < timeout)
            fail_msg("park(%llu ns) returned early", (unsigned long long)timeout);

        deadline = parker_now_ns() + timeout;
        assert_int_equal(PARKER_TIMEDOUT,
                         parker_lot_park_until(&word, &expected, 4, deadline, NULL));
        if (parker_now_ns() < deadline)
            fail_msg("%s", "park_until returned before its deadline");

        deadline = parker_now_ns() + timeout;
        assert_int_equal(PARKER_TIMEDOUT,
                         parker_lot_park_if(&word, validate_word_always, NULL, NULL, deadline, NULL));
        if (parker_now_ns() < deadline)
            fail_msg("%s", "park_if returned before its deadline");
    }
    assert_int_equal(0, parker_lot_unpark_all(&word));
}

static void test_zero_timeout_and_past_deadline_do_not_sleep(void **state)
{
    uint16_t word = 3, expected = 3;
    uint64_t now = parker_now_ns();
    (void)state;
    /* Each would hang if it slept: nobody unparks. */
    assert_int_equal(PARKER_TIMEDOUT, parker_lot_park(&word, &expected, 2, 0, NULL));
    assert_int_equal(PARKER_TIMEDOUT, parker_lot_park_until(&word, &expected, 2, 0, NULL));
    assert_int_equal(PARKER_TIMEDOUT, parker_lot_park_until(&word, &expected, 2, now, NULL));
    assert_int_equal(PARKER_TIMEDOUT,
                     parker_lot_park_if(&word, validate_word_always, NULL, NULL, now, NULL));
    assert_int_equal(0, parker_lot_unpark_all(&word));
}

/* ------------------------------------------------------------- unparking */

static void test_unpark_with_no_waiters_calls_fn_with_null(void **state)
{
    uint32_t word = 0;
    struct unpark_record r;
    (void)state;
    r = unpark_one_recorded(&word, 0);
    assert_null(r.park_arg);
    assert_int_equal(0, r.has_more);
    /* NULL and never-used addresses have no waiters either. */
    r = unpark_one_recorded(NULL, 0);
    assert_null(r.park_arg);
    assert_int_equal(0, r.has_more);
    assert_int_equal(0, parker_lot_unpark_one(&word, NULL, NULL));
    assert_int_equal(0, parker_lot_unpark_all(&word));
    assert_int_equal(0, parker_lot_unpark_all(NULL));
}

/* One waiter on a, one on b in the same bucket: has_more is about a only. */
static void test_has_more_waiters_is_exact_with_one_waiter(void **state)
{
    uint32_t *a = NULL, *b = NULL;
    struct waiter wa, wb;
    struct unpark_record r;
    atomic_int queued = 0;
    int arg_a, arg_b;
    (void)state;
    colliding_pair(0, &a, &b);
    /* b's waiter queued after a's: a bucket-wide answer would say "more". */
    waiters_start_in_order(&wa, 1, a, (void *[]){&arg_a}, &queued);
    waiters_start_in_order(&wb, 1, b, (void *[]){&arg_b}, &queued);
    r = unpark_one_recorded(a, 1);
    assert_ptr_equal(&arg_a, r.park_arg);
    assert_int_equal(0, r.has_more);
    waiter_join(&wa);
    assert_int_equal(PARKER_OK, wa.result);
    assert_int_equal(0, atomic_load(&wb.done));
    r = unpark_one_recorded(b, 1);
    assert_ptr_equal(&arg_b, r.park_arg);
    assert_int_equal(0, r.has_more);
    waiter_join(&wb);
    assert_int_equal(PARKER_OK, wb.result);
}

#define N_WAITERS 5

/* N waiters on a, interleaved with waiters on b in the same bucket:
 * has_more_waiters is 1 until a's last waiter is taken, whatever b has. */
static void test_has_more_waiters_is_exact_with_n_waiters(void **state)
{
    uint32_t *a = NULL, *b = NULL;
    struct waiter wa[N_WAITERS], wb[N_WAITERS];
    int args[N_WAITERS];
    atomic_int queued = 0;
    int i;
    (void)state;
    colliding_pair(100, &a, &b);
    for (i = 0; i < N_WAITERS; i++) {
        waiters_start_in_order(&wa[i], 1, a, (void *[]){&args[i]}, &queued);
        waiters_start_in_order(&wb[i], 1, b, NULL, &queued);
    }
    for (i = 0; i < N_WAITERS; i++) {
        struct unpark_record r = unpark_one_recorded(a, 1);
        assert_ptr_equal(&args[i], r.park_arg);
        assert_int_equal(i < N_WAITERS - 1, r.has_more);
    }
    unpark_one_recorded(a, 0);
    assert_int_equal(N_WAITERS, parker_lot_unpark_all(b));
    for (i = 0; i < N_WAITERS; i++) {
        waiter_join(&wa[i]);
        waiter_join(&wb[i]);
        assert_int_equal(PARKER_OK, wa[i].result);
        assert_int_equal(PARKER_OK, wb[i].result);
    }
}

static void test_waiters_on_one_address_wake_in_fifo_order(void **state)
{
    uint32_t word = 0;
    struct waiter w[N_WAITERS];
    void *args[N_WAITERS];
    atomic_int queued = 0;
    int i;
    (void)state;
    for (i = 0; i < N_WAITERS; i++)
        args[i] = &w[i];
    waiters_start_in_order(w, N_WAITERS, &word, args, &queued);
    for (i = 0; i < N_WAITERS; i++) {
        struct unpark_record r = unpark_one_recorded(&word, 1);
        assert_ptr_equal(&w[i], r.park_arg);
        /* The one chosen is the one that returns. */
        waiter_join(&w[i]);
        assert_int_equal(PARKER_OK, w[i].result);
    }
}

static void test_unpark_all_wakes_exactly_the_waiters_of_the_address(void **state)
{
    uint32_t *a = NULL, *b = NULL;
    struct waiter wa[N_WAITERS], wb[2];
    atomic_int queued = 0;
    int i;
    (void)state;
    colliding_pair(200, &a, &b);
    waiters_start_in_order(wb, 1, b, NULL, &queued);
    waiters_start_in_order(wa, N_WAITERS, a, NULL, &queued);
    waiters_start_in_order(wb + 1, 1, b, NULL, &queued);
    assert_int_equal(N_WAITERS, parker_lot_unpark_all(a));
    for (i = 0; i < N_WAITERS; i++) {
        waiter_join(&wa[i]);
        assert_int_equal(PARKER_OK, wa[i].result);
    }
    assert_int_equal(0, parker_lot_unpark_all(a));
    assert_int_equal(2, parker_lot_unpark_all(b));
    waiter_join(&wb[0]);
    waiter_join(&wb[1]);
    assert_int_equal(PARKER_OK, wb[0].result);
    assert_int_equal(PARKER_OK, wb[1].result);
}

/* --------------------------------------------- distinct addresses, isolation */

#define N_ADDR 16

struct isolated {
    uint32_t *address;
    atomic_int *released; /* set by the test just before unparking address */
    int woken_early;
    int result;
    atomic_int done;
};

/* A thread that returned although its address was not unparked yet. */
static int find_woken_early(struct isolated *x, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (atomic_load(&x[i].done) && x[i].woken_early)
            return i;
    return -1;
}

static void *isolated_main(void *arg)
{
    struct isolated *x = (struct isolated *)arg;
    uint32_t expected = 0;
    x->result = parker_lot_park(x->address, &expected, 4, PARKER_FOREVER, NULL);
    x->woken_early = !atomic_load(x->released);
    atomic_store(&x->done, 1);
    return NULL;
}

/* 16 threads on 16 addresses, 8 pairs of which share a bucket; woken one by
 * one in a scrambled order.  A thread that returns before its own address
 * was unparked was woken by somebody else's unpark. */
static void test_waking_one_address_never_wakes_another(void **state)
{
    struct isolated x[N_ADDR];
    atomic_int released[N_ADDR];
    pthread_t t[N_ADDR];
    int pending[PARKER__LOT_BUCKETS];
    int pairs = 0, i;
    size_t k;
    (void)state;
    /* Greedy: the first two unused words of each bucket form a pair. */
    for (i = 0; i < (int)PARKER__LOT_BUCKETS; i++)
        pending[i] = -1;
    for (k = 0; k < 4096 && pairs < N_ADDR / 2; k++) {
        uint32_t b = parker__lot_bucket_index((uintptr_t)&pool[k]);
        if (pending[b] < 0) {
            pending[b] = (int)k;
        } else {
            x[2 * pairs].address = &pool[pending[b]];
            x[2 * pairs + 1].address = &pool[k];
            pending[b] = -1;
            pairs++;
        }
    }
    assert_int_equal(N_ADDR / 2, pairs);
    for (i = 0; i < N_ADDR; i++) {
        int j;
        for (j = 0; j < i; j++)
            if (x[j].address == x[i].address)
                fail_msg("%s", "address reused");
        atomic_init(&released[i], 0);
        x[i].released = &released[i];
        x[i].result = -1;
        x[i].woken_early = 0;
        atomic_init(&x[i].done, 0);
        t[i] = test_thread_start(isolated_main, &x[i]);
    }
    for (i = 0; i < N_ADDR; i++) {
        int n = (i * 7 + 3) % N_ADDR; /* 7 is coprime with 16: a permutation */
        atomic_store(&released[n], 1);
        WAIT_UNTIL(parker_lot_unpark_one(x[n].address, NULL, NULL) == 1);
        WAIT_UNTIL(atomic_load(&x[n].done) || find_woken_early(x, N_ADDR) >= 0);
        if (find_woken_early(x, N_ADDR) >= 0)
            fail_msg("unparking address %d woke thread %d", n, find_woken_early(x, N_ADDR));
        test_thread_join(t[n]);
        assert_int_equal(PARKER_OK, x[n].result);
    }
    for (i = 0; i < N_ADDR; i++)
        if (x[i].woken_early)
            fail_msg("thread %d woke before its address was unparked", i);
}

/* --------------------------------------------- atomic compare, no lost wake */

#define PINGPONG_ROUNDS 20000

struct pingpong {
    uint32_t turn4; /* 4-byte word: whose turn, 0 or 1 */
    uint8_t turn1;  /* the same on a 1-byte word */
    int lost;       /* a park timed out with the word unchanged */
};

/* Each side waits for its turn with a 10 s timeout, then passes the turn and
 * unparks.  If the compare and the sleep were not atomic with the unpark, a
 * turn handed over in between would be lost and the park would time out. */
static void pingpong_side(struct pingpong *pp, uint32_t me)
{
    int i;
    for (i = 0; i < PINGPONG_ROUNDS; i++) {
        uint32_t other = 1u - me;
        uint8_t other1 = (uint8_t)other;
        if (i % 2 == 0) {
            while (__atomic_load_n(&pp->turn4, __ATOMIC_ACQUIRE) != me)
                if (parker_lot_park(&pp->turn4, &other, 4, 10000 * NS_PER_MS, NULL) ==
                    PARKER_TIMEDOUT)
                    pp->lost = 1;
            __atomic_store_n(&pp->turn4, other, __ATOMIC_RELEASE);
            parker_lot_unpark_one(&pp->turn4, NULL, NULL);
        } else {
            while (__atomic_load_n(&pp->turn1, __ATOMIC_ACQUIRE) != (uint8_t)me)
                if (parker_lot_park(&pp->turn1, &other1, 1, 10000 * NS_PER_MS, NULL) ==
                    PARKER_TIMEDOUT)
                    pp->lost = 1;
            __atomic_store_n(&pp->turn1, other1, __ATOMIC_RELEASE);
            parker_lot_unpark_one(&pp->turn1, NULL, NULL);
        }
        if (pp->lost)
            return;
    }
}

static struct pingpong pp_shared;

static void *pingpong_other(void *arg)
{
    (void)arg;
    pingpong_side(&pp_shared, 1);
    return NULL;
}

static void test_compare_and_sleep_are_atomic_with_unpark(void **state)
{
    pthread_t t;
    int lost_main;
    (void)state;
    memset(&pp_shared, 0, sizeof pp_shared);
    t = test_thread_start(pingpong_other, NULL);
    pingpong_side(&pp_shared, 0);
    lost_main = pp_shared.lost;
    test_thread_join(t);
    assert_int_equal(0, lost_main);
    assert_int_equal(0, pp_shared.lost);
}

/* ----------------------------------------- timeout racing unpark: exactly once */

#define RACE_WAITERS 3
#define RACE_WAKERS 2

struct race_waiter {
    long ok;          /* its parks that returned PARKER_OK */
    long timeouts;
    long chosen;      /* times an unpark_one callback named it (under the bucket lock) */
};

static uint32_t race_word;
static atomic_int race_stop;
static struct race_waiter race_w[RACE_WAITERS];
static long race_unparked[RACE_WAKERS];

static void race_fn(void *arg, void *park_arg, int has_more)
{
    static unsigned calls; /* under the bucket lock */
    (void)arg;
    (void)has_more;
    if (park_arg != NULL) {
        ((struct race_waiter *)park_arg)->chosen++;
        /* Now and then hold the lock with the waiter already dequeued for
         * longer than its timeout, so that it times out, finds itself
         * claimed, and must wait for this waker instead of leaving. */
        if (++calls % 4 == 0) {
            uint64_t until = parker_now_ns() + 40 * NS_PER_US;
            while (parker_now_ns() < until) {
            }
        }
    }
}

static void *race_waiter_main(void *arg)
{
    struct race_waiter *w = (struct race_waiter *)arg;
    uint32_t expected = 0, n = 0;
    while (!atomic_load(&race_stop)) {
        /* 0 to ~30 us: timeouts that expire while wakers are busy. */
        uint64_t timeout = (uint64_t)((n++ * 2654435761u) >> 27) * 1000u;
        int r = parker_lot_park(&race_word, &expected, 4, timeout, w);
        if (r == PARKER_OK)
            w->ok++;
        else if (r == PARKER_TIMEDOUT)
            w->timeouts++;
        else
            w->ok = -1000000000L; /* impossible result: poison the count */
    }
    return NULL;
}

static void *race_waker_main(void *arg)
{
    long *count = (long *)arg;
    uint64_t end = parker_now_ns() + 400 * NS_PER_MS;
    unsigned i = 0;
    while (parker_now_ns() < end) {
        *count += parker_lot_unpark_one(&race_word, race_fn, NULL);
        if (++i % 8 == 0)
            test_yield();
    }
    return NULL;
}

static void test_timeout_racing_unpark_is_counted_exactly_once(void **state)
{
    pthread_t tw[RACE_WAITERS], tk[RACE_WAKERS];
    long unparked = 0, ok = 0, timeouts = 0;
    int i;
    (void)state;
    atomic_store(&race_stop, 0);
    memset(race_w, 0, sizeof race_w);
    memset(race_unparked, 0, sizeof race_unparked);
    for (i = 0; i < RACE_WAITERS; i++)
        tw[i] = test_thread_start(race_waiter_main, &race_w[i]);
    for (i = 0; i < RACE_WAKERS; i++)
        tk[i] = test_thread_start(race_waker_main, &race_unparked[i]);
    for (i = 0; i < RACE_WAKERS; i++) {
        test_thread_join(tk[i]);
        unparked += race_unparked[i];
    }
    atomic_store(&race_stop, 1);
    /* Remaining waiters leave by timeout (at most ~30 us each). */
    for (i = 0; i < RACE_WAITERS; i++)
        test_thread_join(tw[i]);
    for (i = 0; i < RACE_WAITERS; i++) {
        if (race_w[i].ok != race_w[i].chosen)
            fail_msg("waiter %d: %ld PARKER_OK but chosen %ld times", i, race_w[i].ok,
                     race_w[i].chosen);
        ok += race_w[i].ok;
        timeouts += race_w[i].timeouts;
    }
    print_message("race: %ld unparks, %ld OK, %ld timeouts\n", unparked, ok, timeouts);
    assert_int_equal(unparked, ok);
    /* Both outcomes happened, so the race was really exercised. */
    assert_true(ok > 0);
    assert_true(timeouts > 0);
}

/* ------------------------------------------------- the queue lock itself */

#define LOCK_THREADS 4
#define LOCK_ROUNDS 20000

static uint32_t *lock_addr[2];
static long lock_counter; /* plain: only touched under the bucket lock */

static void lock_count_fn(void *arg, void *park_arg, int has_more)
{
    int i;
    (void)arg;
    (void)park_arg;
    (void)has_more;
    /* A read-modify-write spread out in time: two threads inside at once
     * would lose increments (and TSan would report the race). */
    for (i = 0; i < 8; i++) {
        long v = lock_counter;
        test_cpu_pause_hint();
        lock_counter = v + (i == 7);
    }
}

static void *lock_hammer(void *arg)
{
    int i;
    uintptr_t me = (uintptr_t)arg;
    for (i = 0; i < LOCK_ROUNDS; i++)
        parker_lot_unpark_one(lock_addr[(me + (uintptr_t)i) % 2], lock_count_fn, NULL);
    return NULL;
}

/* Unparks on two addresses of one bucket from 4 threads: the bucket lock
 * (a word lock built on parkers, not a pthread mutex) excludes them all,
 * also once threads queue on it and park. */
static void test_queue_lock_excludes_under_contention(void **state)
{
    pthread_t t[LOCK_THREADS];
    uintptr_t i;
    (void)state;
    colliding_pair(900, &lock_addr[0], &lock_addr[1]);
    lock_counter = 0;
    for (i = 0; i < LOCK_THREADS; i++)
        t[i] = test_thread_start(lock_hammer, (void *)i);
    for (i = 0; i < LOCK_THREADS; i++)
        test_thread_join(t[i]);
    assert_int_equal((long)LOCK_THREADS * LOCK_ROUNDS, lock_counter);
}

/* --------------------------------------------------------------- requeue */

struct requeue_record {
    int calls;
    size_t woken, requeued;
};

static void record_requeue(void *arg, size_t woken, size_t requeued)
{
    struct requeue_record *r = (struct requeue_record *)arg;
    r->calls++;
    r->woken = woken;
    r->requeued = requeued;
}

static void test_requeue_moves_waiters_without_waking_them(void **state)
{
    uint32_t from = 0, to = 0;
    struct waiter w[N_WAITERS];
    void *args[N_WAITERS];
    struct requeue_record rec = {0, 99, 99};
    atomic_int queued = 0;
    size_t moved = 99;
    int i;
    (void)state;
    for (i = 0; i < N_WAITERS; i++)
        args[i] = &w[i];
    waiters_start_in_order(w, N_WAITERS, &from, args, &queued);
    assert_int_equal(0, parker_lot_requeue(&from, &to, 0, SIZE_MAX, record_requeue, &rec, &moved));
    assert_int_equal(N_WAITERS, moved);
    assert_int_equal(1, rec.calls);
    assert_int_equal(0, rec.woken);
    assert_int_equal(N_WAITERS, rec.requeued);
    /* Nobody left on `from`; on `to` in the same order, none woken (a woken
     * thread would not be in the queue any more). */
    unpark_one_recorded(&from, 0);
    for (i = 0; i < N_WAITERS; i++) {
        struct unpark_record r;
        assert_int_equal(0, atomic_load(&w[i].done));
        r = unpark_one_recorded(&to, 1);
        assert_ptr_equal(&w[i], r.park_arg);
        assert_int_equal(i < N_WAITERS - 1, r.has_more);
        waiter_join(&w[i]);
        assert_int_equal(PARKER_OK, w[i].result);
    }
}

/* Condition-variable notify_all: wake the first, move the rest behind the
 * threads already waiting on the target, in order; max_requeue is a limit. */
static void test_requeue_wakes_first_and_appends_rest_in_order(void **state)
{
    uint32_t *from = NULL, *to = NULL;
    struct waiter wt, wf[4];
    void *args[4];
    struct requeue_record rec = {0, 0, 0};
    atomic_int queued = 0;
    size_t moved = 0;
    int i;
    (void)state;
    colliding_pair(500, &from, &to); /* same bucket: the harder case */
    for (i = 0; i < 4; i++)
        args[i] = &wf[i];
    waiters_start_in_order(&wt, 1, to, (void *[]){&wt}, &queued);
    waiters_start_in_order(wf, 4, from, args, &queued);

    assert_int_equal(1, parker_lot_requeue(from, to, 1, 2, record_requeue, &rec, &moved));
    assert_int_equal(2, moved);
    assert_int_equal(1, rec.woken);
    assert_int_equal(2, rec.requeued);
    waiter_join(&wf[0]);
    assert_int_equal(PARKER_OK, wf[0].result);

    /* to: wt, wf[1], wf[2]; from: wf[3] */
    assert_ptr_equal(&wt, unpark_one_recorded(to, 1).park_arg);
    assert_ptr_equal(&wf[1], unpark_one_recorded(to, 1).park_arg);
    {
        struct unpark_record r = unpark_one_recorded(to, 1);
        assert_ptr_equal(&wf[2], r.park_arg);
        assert_int_equal(0, r.has_more);
    }
    assert_ptr_equal(&wf[3], unpark_one_recorded(from, 1).park_arg);
    waiter_join(&wt);
    for (i = 1; i < 4; i++)
        waiter_join(&wf[i]);
    assert_int_equal(PARKER_OK, wt.result);
    for (i = 1; i < 4; i++)
        assert_int_equal(PARKER_OK, wf[i].result);
    /* Nothing to do: fn still called once, with zeros. */
    rec.calls = 0;
    assert_int_equal(0, parker_lot_requeue(from, to, 1, 1, record_requeue, &rec, &moved));
    assert_int_equal(1, rec.calls);
    assert_int_equal(0, moved);
}

/* A moved waiter times out from its new queue and leaves it clean. */
static void test_requeued_waiter_times_out_from_its_new_queue(void **state)
{
    uint32_t *from = &pool[4000], *to = &pool[4001];
    struct waiter w;
    atomic_int queued = 0;
    size_t moved = 0;
    (void)state;
    memset(&w, 0, sizeof w);
    w.address = from;
    w.timeout_ns = 100 * NS_PER_MS;
    w.queued = &queued;
    w.result = -1;
    w.thread = test_thread_start(waiter_main, &w);
    WAIT_UNTIL(atomic_load(&queued) == 1);
    assert_int_equal(0, parker_lot_requeue(from, to, 0, 1, NULL, NULL, &moved));
    if (moved == 1) {
        waiter_join(&w);
        assert_int_equal(PARKER_TIMEDOUT, w.result);
        assert_true(w.elapsed_ns >= 100 * NS_PER_MS);
    } else {
        /* It had already timed out before the requeue (a very slow machine). */
        waiter_join(&w);
        assert_int_equal(PARKER_TIMEDOUT, w.result);
    }
    assert_int_equal(0, parker_lot_unpark_all(to));
    assert_int_equal(0, parker_lot_unpark_all(from));
}

/* ----------------------------------------------------- conditional park */

struct cond_park {
    int validate_result;
    int validate_calls;
    int before_sleep_calls;
    const void *address;
    int self_unpark_result;
};

static int cond_validate(void *arg)
{
    struct cond_park *c = (struct cond_park *)arg;
    c->validate_calls++;
    return c->validate_result;
}

static void cond_before_sleep(void *arg)
{
    struct cond_park *c = (struct cond_park *)arg;
    c->before_sleep_calls++;
    /* We are queued and the queue lock is free: waking ourselves works. */
    c->self_unpark_result = parker_lot_unpark_one(c->address, NULL, NULL);
}

static void test_conditional_park_returns_again_when_validate_fails(void **state)
{
    uint32_t word = 0;
    struct cond_park c = {0, 0, 0, &word, -1};
    (void)state;
    assert_int_equal(PARKER_AGAIN, parker_lot_park_if(&word, cond_validate, cond_before_sleep, &c,
                                                      PARKER_FOREVER, NULL));
    assert_int_equal(1, c.validate_calls);
    assert_int_equal(0, c.before_sleep_calls);
    assert_int_equal(0, parker_lot_unpark_all(&word));
}

static void test_before_sleep_runs_once_queued_and_outside_the_lock(void **state)
{
    uint32_t word = 0;
    struct cond_park c = {1, 0, 0, &word, -1};
    (void)state;
    /* Would deadlock if before_sleep ran under the queue lock, and would
     * hang (until the bound) if the caller were not queued yet. */
    assert_int_equal(PARKER_OK, parker_lot_park_if(&word, cond_validate, cond_before_sleep, &c,
                                                   parker_now_ns() + BOUND_NS, NULL));
    assert_int_equal(1, c.validate_calls);
    assert_int_equal(1, c.before_sleep_calls);
    assert_int_equal(1, c.self_unpark_result);
    assert_int_equal(0, parker_lot_unpark_all(&word));
}

/* validate runs under the queue lock: an unpark of the address cannot run
 * while validate runs.  validate here takes long, and a thread that started
 * an unpark meanwhile must find the caller queued (so it returns 1). */
struct slow_validate {
    atomic_int inside;
    atomic_int unpark_started;
};

static struct slow_validate slow_v;
static uint32_t slow_word;
static int slow_unpark_result;

static int slow_validate_fn(void *arg)
{
    (void)arg;
    atomic_store(&slow_v.inside, 1);
    while (!atomic_load(&slow_v.unpark_started))
        test_yield();
    test_sleep_ms(20); /* give the unpark every chance to overtake us */
    return 1;
}

static void *slow_unparker(void *arg)
{
    (void)arg;
    while (!atomic_load(&slow_v.inside))
        test_yield();
    atomic_store(&slow_v.unpark_started, 1);
    slow_unpark_result = parker_lot_unpark_one(&slow_word, NULL, NULL);
    return NULL;
}

static void test_validate_runs_under_the_queue_lock(void **state)
{
    pthread_t t;
    int r;
    (void)state;
    atomic_store(&slow_v.inside, 0);
    atomic_store(&slow_v.unpark_started, 0);
    t = test_thread_start(slow_unparker, NULL);
    r = parker_lot_park_if(&slow_word, slow_validate_fn, NULL, NULL, parker_now_ns() + BOUND_NS,
                           NULL);
    test_thread_join(t);
    assert_int_equal(PARKER_OK, r);
    assert_int_equal(1, slow_unpark_result);
}

/* ------------------------------------------------- contracts of issue 10 */

/* NULL is no address: requeue to NULL wakes as asked and moves nobody (the
 * rest stay on `from`); requeue from NULL finds nobody. */
static void test_requeue_to_null_moves_nobody(void **state)
{
    uint32_t from = 0;
    struct waiter w[3];
    void *args[3];
    struct requeue_record rec = {0, 99, 99};
    atomic_int queued = 0;
    size_t moved = 99;
    int i;
    (void)state;
    for (i = 0; i < 3; i++)
        args[i] = &w[i];
    waiters_start_in_order(w, 3, &from, args, &queued);
    assert_int_equal(1, parker_lot_requeue(&from, NULL, 1, SIZE_MAX, record_requeue, &rec, &moved));
    assert_int_equal(0, (int)moved);
    assert_int_equal(1, rec.calls);
    assert_int_equal(1, (int)rec.woken);
    assert_int_equal(0, (int)rec.requeued);
    waiter_join(&w[0]);
    assert_int_equal(PARKER_OK, w[0].result);
    assert_int_equal(0, parker_lot_unpark_all(NULL));
    assert_int_equal(2, parker_lot_unpark_all(&from));
    for (i = 1; i < 3; i++) {
        waiter_join(&w[i]);
        assert_int_equal(PARKER_OK, w[i].result);
    }
    rec.calls = 0;
    moved = 99;
    assert_int_equal(0, parker_lot_requeue(NULL, &from, SIZE_MAX, SIZE_MAX, record_requeue, &rec,
                                           &moved));
    assert_int_equal(0, (int)moved);
    assert_int_equal(1, rec.calls);
    assert_int_equal(0, (int)rec.woken);
}

/* A deadline that has passed compares and is never queued: an unpark from
 * before_sleep (which still runs, validate having agreed) finds nobody. */
static void test_past_deadline_is_never_queued(void **state)
{
    uint32_t word = 0;
    uint64_t deadlines[2];
    int i;
    (void)state;
    deadlines[0] = 0;
    deadlines[1] = parker_now_ns();
    for (i = 0; i < 2; i++) {
        struct cond_park c = {1, 0, 0, &word, -1};
        assert_int_equal(PARKER_TIMEDOUT, parker_lot_park_if(&word, cond_validate,
                                                             cond_before_sleep, &c, deadlines[i],
                                                             NULL));
        assert_int_equal(1, c.validate_calls);
        assert_int_equal(1, c.before_sleep_calls);
        assert_int_equal(0, c.self_unpark_result);
    }
}

/* park with timeout 0 (and park_until with a past deadline) in a loop while
 * another thread unparks the address in a loop: no unpark may ever find the
 * caller, which never waits (a thread that queues and then must wait for a
 * waker that chose it is what timeout 0 must not do). */
struct zero_race {
    uint32_t word;
    atomic_int stop;
    long found;   /* unparks that returned 1 */
    long parks;
    long not_timedout;
};

static void *zero_race_unparker(void *arg)
{
    struct zero_race *z = (struct zero_race *)arg;
    while (!atomic_load(&z->stop))
        z->found += parker_lot_unpark_one(&z->word, NULL, NULL);
    return NULL;
}

static void test_zero_timeout_is_never_found_by_an_unpark(void **state)
{
    static struct zero_race z;
    uint32_t expected = 0;
    uint64_t end;
    pthread_t t;
    (void)state;
    memset(&z, 0, sizeof z);
    t = test_thread_start(zero_race_unparker, &z);
    end = parker_now_ns() + 300 * NS_PER_MS;
    while (parker_now_ns() < end) {
        int r = (z.parks % 2) ? parker_lot_park(&z.word, &expected, 4, 0, NULL)
                              : parker_lot_park_until(&z.word, &expected, 4, 0, NULL);
        if (r != PARKER_TIMEDOUT)
            z.not_timedout++;
        z.parks++;
    }
    atomic_store(&z.stop, 1);
    test_thread_join(t);
    print_message("zero timeout: %ld parks, %ld found by an unpark, %ld not TIMEDOUT\n", z.parks,
                  z.found, z.not_timedout);
    assert_int_equal(0, z.found);
    assert_int_equal(0, z.not_timedout);
}

/* A lot wait has its own parker: a token on the thread's parker_self()
 * neither ends it nor is consumed by it, and unparking parker_self() of a
 * thread in a lot wait does not end that wait. */
struct self_token {
    uint32_t word;
    parker_t *self;
    atomic_int published;
    int first, second, after;
    uint64_t second_elapsed;
};

static void *self_token_main(void *arg)
{
    struct self_token *x = (struct self_token *)arg;
    uint32_t expected = 0;
    uint64_t t0;
    x->self = parker_self();
    parker_unpark(x->self); /* a token of our own, pending */
    x->first = parker_lot_park(&x->word, &expected, 4, 20 * NS_PER_MS, NULL);
    atomic_store(&x->published, 1);
    t0 = parker_now_ns();
    x->second = parker_lot_park(&x->word, &expected, 4, 200 * NS_PER_MS, NULL);
    x->second_elapsed = parker_now_ns() - t0;
    /* Both tokens (ours and the main thread's) are one pending token. */
    x->after = parker_park_timeout(x->self, 0);
    return NULL;
}

static void test_a_lot_wait_ignores_the_parker_self_token(void **state)
{
    static struct self_token x;
    pthread_t t;
    (void)state;
    memset(&x, 0, sizeof x);
    t = test_thread_start(self_token_main, &x);
    WAIT_UNTIL(atomic_load(&x.published));
    parker_unpark(x.self); /* while (or just before) it waits in the lot */
    test_thread_join(t);
    assert_int_equal(PARKER_TIMEDOUT, x.first);
    assert_int_equal(PARKER_TIMEDOUT, x.second);
    assert_true(x.second_elapsed >= 200 * NS_PER_MS);
    assert_int_equal(PARKER_OK, x.after);
    assert_int_equal(0, parker_lot_unpark_all(&x.word));
}

#if !defined(_WIN32)
/* A callback that runs under a queue lock and calls the lot aborts with a
 * message naming the rule (it used to hang, or deadlock across buckets). */
static uint32_t reenter_word, reenter_other;

static void reenter_unpark_fn_same(void *arg, void *park_arg, int has_more)
{
    (void)arg;
    (void)park_arg;
    (void)has_more;
    parker_lot_unpark_one(&reenter_word, NULL, NULL); /* its own queue: hung */
}

static void reenter_unpark_fn_other(void *arg, void *park_arg, int has_more)
{
    (void)arg;
    (void)park_arg;
    (void)has_more;
    parker_lot_unpark_all(&reenter_other);
}

static int reenter_validate(void *arg)
{
    uint32_t expected = 1;
    (void)arg;
    return parker_lot_park(&reenter_other, &expected, 4, 0, NULL) == PARKER_AGAIN;
}

static void reenter_requeue_fn(void *arg, size_t woken, size_t requeued)
{
    (void)arg;
    (void)woken;
    (void)requeued;
    parker_lot_requeue(&reenter_other, &reenter_word, 1, 1, NULL, NULL, NULL);
}

static void reenter_from_unpark_same(void)
{
    parker_lot_unpark_one(&reenter_word, reenter_unpark_fn_same, NULL);
}

static void reenter_from_unpark_other(void)
{
    parker_lot_unpark_one(&reenter_word, reenter_unpark_fn_other, NULL);
}

static void reenter_from_validate(void)
{
    parker_lot_park_if(&reenter_word, reenter_validate, NULL, NULL, 0, NULL);
}

static void reenter_from_requeue(void)
{
    parker_lot_requeue(&reenter_word, &reenter_other, 1, 1, reenter_requeue_fn, NULL, NULL);
}

static void test_a_callback_that_calls_the_lot_aborts(void **state)
{
    (void)state;
    expect_abort_with(reenter_from_unpark_same,
                      "libparker: parker_lot_unpark_one: called from a lot callback");
    expect_abort_with(reenter_from_unpark_other,
                      "libparker: parker_lot_unpark_all: called from a lot callback");
    expect_abort_with(reenter_from_validate,
                      "libparker: parker_lot_park: called from a lot callback");
    expect_abort_with(reenter_from_requeue,
                      "libparker: parker_lot_requeue: called from a lot callback");
}
#endif

/* -------------------------------------------------------------------- fork */

#if !defined(_WIN32)

static void expect_child_exit_zero(pid_t pid)
{
    int status = 0;
    assert_int_equal(pid, waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child failed: status 0x%x", status);
}

static void *child_parker_main(void *arg)
{
    uint32_t expected = 0;
    return (void *)(intptr_t)parker_lot_park(arg, &expected, 4, 10000 * NS_PER_MS, NULL);
}

/* In a child: the queue of `address` is empty (the parent's waiters died
 * with their threads), and a new thread parks and is woken on it. */
static int child_uses_the_lot(uint32_t *address)
{
    uint32_t expected = 0;
    pthread_t t;
    pthread_attr_t attr;
    void *result = NULL;
    /* A stack of our own: glibc would reuse a parent thread's stack (and
     * TSan would see that thread's id twice). */
    static char stack[1 << 20] __attribute__((aligned(64)));
    uint64_t t0;

    alarm(60); /* a held queue lock would hang the child: die instead */
    if (parker_lot_unpark_one(address, NULL, NULL) != 0)
        return 10;
    if (parker_lot_park(address, &expected, 4, 0, NULL) != PARKER_TIMEDOUT)
        return 11;
    /* qemu-user 7.2 itself aborts when a child of a multi-threaded guest
     * creates a thread; the callers report SKIPPED there. */
    if (test_emulator() != NULL)
        return 0;
    if (pthread_attr_init(&attr) != 0 || pthread_attr_setstack(&attr, stack, sizeof stack) != 0)
        return 12;
    if (pthread_create(&t, &attr, child_parker_main, address) != 0)
        return 13;
    pthread_attr_destroy(&attr);
    t0 = parker_now_ns();
    while (parker_lot_unpark_one(address, NULL, NULL) == 0) {
        if (parker_now_ns() - t0 > 10000 * NS_PER_MS)
            return 14;
        test_yield();
    }
    pthread_join(t, &result);
    if ((intptr_t)result != PARKER_OK)
        return 15;
    return 0;
}

static void test_fork_while_threads_are_parked(void **state)
{
    uint32_t *a = NULL, *b = NULL;
    struct waiter w[3];
    atomic_int queued = 0;
    pid_t pid;
    int i;
    (void)state;
    test_skip_if_wasm("fork (WebAssembly has no processes)");
    colliding_pair(700, &a, &b);
    waiters_start_in_order(w, 2, a, NULL, &queued);
    waiters_start_in_order(w + 2, 1, b, NULL, &queued);
    for (i = 0; i < 10; i++) {
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(child_uses_the_lot(i % 2 ? a : b));
        expect_child_exit_zero(pid);
    }
    /* The parent's queues are untouched. */
    assert_int_equal(2, parker_lot_unpark_all(a));
    assert_int_equal(1, parker_lot_unpark_all(b));
    for (i = 0; i < 3; i++) {
        waiter_join(&w[i]);
        assert_int_equal(PARKER_OK, w[i].result);
    }
    test_skip_if_emulated("the children's park and wake-up on a new thread; their "
                          "single-threaded checks passed");
}

/* A thread holds a queue lock (inside an unpark callback) while another
 * forks: the child must still be able to use that queue. */
static atomic_int hold_inside, hold_release;
static uint32_t hold_word;

static void hold_fn(void *arg, void *park_arg, int has_more)
{
    (void)arg;
    (void)park_arg;
    (void)has_more;
    atomic_store(&hold_inside, 1);
    while (!atomic_load(&hold_release))
        test_yield();
}

static void *hold_main(void *arg)
{
    (void)arg;
    parker_lot_unpark_one(&hold_word, hold_fn, NULL);
    return NULL;
}

static void test_fork_while_a_queue_lock_is_held(void **state)
{
    pthread_t t;
    pid_t pid;
    (void)state;
    test_skip_if_wasm("fork (WebAssembly has no processes)");
    atomic_store(&hold_inside, 0);
    atomic_store(&hold_release, 0);
    t = test_thread_start(hold_main, NULL);
    WAIT_UNTIL(atomic_load(&hold_inside));
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int r = child_uses_the_lot(&hold_word);
        /* Calling it by hand again is harmless in a one-thread child. */
        parker_lot_after_fork();
        if (r == 0)
            r = child_uses_the_lot(&hold_word);
        _exit(r);
    }
    atomic_store(&hold_release, 1);
    test_thread_join(t);
    expect_child_exit_zero(pid);
    test_skip_if_emulated("the child's park and wake-up on a new thread; its "
                          "single-threaded checks passed");
}
#endif /* !_WIN32 */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_values_are_pinned),
        cmocka_unit_test(test_invalid_arguments_are_rejected),
        cmocka_unit_test(test_park_compares_exactly_size_bytes_for_every_size),
        cmocka_unit_test(test_park_returns_again_without_sleeping_when_word_differs),
        cmocka_unit_test(test_timeout_never_returns_early),
        cmocka_unit_test(test_zero_timeout_and_past_deadline_do_not_sleep),
        cmocka_unit_test(test_unpark_with_no_waiters_calls_fn_with_null),
        cmocka_unit_test(test_has_more_waiters_is_exact_with_one_waiter),
        cmocka_unit_test(test_has_more_waiters_is_exact_with_n_waiters),
        cmocka_unit_test(test_waiters_on_one_address_wake_in_fifo_order),
        cmocka_unit_test(test_unpark_all_wakes_exactly_the_waiters_of_the_address),
        cmocka_unit_test(test_waking_one_address_never_wakes_another),
        cmocka_unit_test(test_compare_and_sleep_are_atomic_with_unpark),
        cmocka_unit_test(test_timeout_racing_unpark_is_counted_exactly_once),
        cmocka_unit_test(test_queue_lock_excludes_under_contention),
        cmocka_unit_test(test_requeue_moves_waiters_without_waking_them),
        cmocka_unit_test(test_requeue_wakes_first_and_appends_rest_in_order),
        cmocka_unit_test(test_requeued_waiter_times_out_from_its_new_queue),
        cmocka_unit_test(test_conditional_park_returns_again_when_validate_fails),
        cmocka_unit_test(test_before_sleep_runs_once_queued_and_outside_the_lock),
        cmocka_unit_test(test_validate_runs_under_the_queue_lock),
        cmocka_unit_test(test_requeue_to_null_moves_nobody),
        cmocka_unit_test(test_past_deadline_is_never_queued),
        cmocka_unit_test(test_zero_timeout_is_never_found_by_an_unpark),
        cmocka_unit_test(test_a_lot_wait_ignores_the_parker_self_token),
#if !defined(_WIN32)
        cmocka_unit_test(test_a_callback_that_calls_the_lot_aborts),
#endif
#if !defined(_WIN32)
        cmocka_unit_test(test_fork_while_threads_are_parked),
        cmocka_unit_test(test_fork_while_a_queue_lock_is_held),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
