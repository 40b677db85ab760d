/*
 * test_sync_rwlock.c - parker_rwlock_t: one test per guarantee of its
 * policy comment in parker_sync.h (issue 12).
 *
 * "Queued" is observed through the lot (sync_lot_waiters on the lock's
 * address), so the tests that need a thread to be waiting do not guess with
 * sleeps.  Progress guarantees are checked with bounds far above what a
 * correct lock needs (SYNC_BOUND_NS, scaled for slow environments); no test
 * asserts that anything is fast.
 */
#include "sync_common.h"

/* Internal layout, for white-box checks that nothing is left behind. */
#define RW_WRITER ((uintptr_t)4)

static uintptr_t rw_word(parker_rwlock_t *l)
{
    return __atomic_load_n(&l->v, __ATOMIC_RELAXED);
}

/* A waiter on key 1 of the lock (readers, and writers that wait for
 * another writer) is queued on the lock's own address. */
static size_t queued_on(parker_rwlock_t *l)
{
    return sync_lot_waiters(l);
}

/* ------------------------------------------------ a thread doing one call */

enum rw_op { OP_RDLOCK, OP_WRLOCK, OP_RDLOCK_TIMEOUT, OP_WRLOCK_TIMEOUT, OP_RDLOCK_RECURSIVE };

struct rw_call {
    parker_rwlock_t *l;
    enum rw_op op;
    uint64_t timeout_ns;
    atomic_int started;
    atomic_int result;  /* -1 until the call returned */
    atomic_int release; /* the thread holds the lock until this is set */
    uint64_t elapsed_ns;
    pthread_t thread;
};

static void *rw_call_main(void *arg)
{
    struct rw_call *c = arg;
    uint64_t t0;
    int r = PARKER_OK;
    atomic_store(&c->started, 1);
    t0 = parker_now_ns();
    switch (c->op) {
    case OP_RDLOCK:
        parker_rwlock_rdlock(c->l);
        break;
    case OP_RDLOCK_RECURSIVE:
        parker_rwlock_rdlock_recursive(c->l);
        break;
    case OP_WRLOCK:
        parker_rwlock_wrlock(c->l);
        break;
    case OP_RDLOCK_TIMEOUT:
        r = parker_rwlock_rdlock_timeout(c->l, c->timeout_ns);
        break;
    case OP_WRLOCK_TIMEOUT:
        r = parker_rwlock_wrlock_timeout(c->l, c->timeout_ns);
        break;
    }
    c->elapsed_ns = parker_now_ns() - t0;
    atomic_store(&c->result, r);
    if (r == PARKER_OK) {
        while (!atomic_load(&c->release))
            test_yield();
        if (c->op == OP_WRLOCK || c->op == OP_WRLOCK_TIMEOUT)
            parker_rwlock_wrunlock(c->l);
        else
            parker_rwlock_rdunlock(c->l);
    }
    return NULL;
}

static void rw_call_start(struct rw_call *c, parker_rwlock_t *l, enum rw_op op,
                          uint64_t timeout_ns)
{
    c->l = l;
    c->op = op;
    c->timeout_ns = timeout_ns;
    atomic_init(&c->started, 0);
    atomic_init(&c->result, -1);
    atomic_init(&c->release, 0);
    c->elapsed_ns = 0;
    c->thread = test_thread_start(rw_call_main, c);
}

static void rw_call_finish(struct rw_call *c)
{
    atomic_store(&c->release, 1);
    test_thread_join(c->thread);
}

/* Start a call and wait until it is queued on the lock's address (n = how
 * many threads are queued there once it is), or has returned already. */
static void rw_call_start_queued(struct rw_call *c, parker_rwlock_t *l, enum rw_op op,
                                 uint64_t timeout_ns, size_t n)
{
    rw_call_start(c, l, op, timeout_ns);
    SYNC_WAIT_UNTIL(queued_on(l) >= n || atomic_load(&c->result) != -1);
}

/* ------------------------------------------------------------- basics */

static void test_rwlock_is_one_word_and_zero_is_unlocked(void **state)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    parker_rwlock_t z;
    (void)state;
    assert_int_equal(sizeof(uintptr_t), sizeof(parker_rwlock_t));
    memset(&z, 0, sizeof z);
    assert_int_equal(PARKER_OK, parker_rwlock_trywrlock(&z));
    parker_rwlock_wrunlock(&z);
    assert_int_equal(PARKER_OK, parker_rwlock_tryrdlock(&l));
    assert_int_equal(PARKER_OK, parker_rwlock_tryrdlock(&l));
    assert_int_equal(PARKER_AGAIN, parker_rwlock_trywrlock(&l));
    parker_rwlock_rdunlock(&l);
    parker_rwlock_rdunlock(&l);
    assert_int_equal(PARKER_OK, parker_rwlock_trywrlock(&l));
    assert_int_equal(PARKER_AGAIN, parker_rwlock_tryrdlock(&l));
    assert_int_equal(PARKER_AGAIN, parker_rwlock_trywrlock(&l));
    parker_rwlock_wrunlock(&l);
    assert_int_equal(0, rw_word(&l));
}

/* Readers share: N threads all hold a read lock at the same moment (an
 * exclusive lock would leave them waiting for each other forever). */
#define MEET_READERS 4
static parker_rwlock_t meet_lock;
static atomic_int meet_in;
static atomic_int meet_failed;

static void *meet_reader(void *arg)
{
    uint64_t t0 = parker_now_ns();
    (void)arg;
    parker_rwlock_rdlock(&meet_lock);
    atomic_fetch_add(&meet_in, 1);
    while (atomic_load(&meet_in) < MEET_READERS) {
        if (parker_now_ns() - t0 > SYNC_BOUND_NS) {
            atomic_store(&meet_failed, 1);
            break;
        }
        test_yield();
    }
    parker_rwlock_rdunlock(&meet_lock);
    return NULL;
}

static void test_many_readers_hold_the_lock_at_once(void **state)
{
    pthread_t t[MEET_READERS];
    int i;
    (void)state;
    for (i = 0; i < MEET_READERS; i++)
        t[i] = test_thread_start(meet_reader, NULL);
    for (i = 0; i < MEET_READERS; i++)
        test_thread_join(t[i]);
    assert_int_equal(0, atomic_load(&meet_failed));
    assert_int_equal(0, rw_word(&meet_lock));
}

/* ------------------------------------------------ exclusion and ordering */

static parker_rwlock_t ex_lock;
static atomic_int ex_readers, ex_writers, ex_bad;
static unsigned long ex_a, ex_b; /* plain data, written only under the write lock */
static int ex_iters;

static void ex_write_section(void)
{
    if (atomic_fetch_add(&ex_writers, 1) != 0 || atomic_load(&ex_readers) != 0)
        atomic_store(&ex_bad, 1);
    ex_a++;
    sync_compiler_barrier();
    ex_b = ex_a;
    atomic_fetch_sub(&ex_writers, 1);
}

static void ex_read_section(void)
{
    atomic_fetch_add(&ex_readers, 1);
    if (atomic_load(&ex_writers) != 0)
        atomic_store(&ex_bad, 2);
    if (ex_a != ex_b)
        atomic_store(&ex_bad, 3);
    atomic_fetch_sub(&ex_readers, 1);
}

static void *ex_writer(void *arg)
{
    int i, id = (int)(intptr_t)arg;
    for (i = 0; i < ex_iters; i++) {
        switch ((i + id) % 4) {
        case 0:
            parker_rwlock_wrlock(&ex_lock);
            break;
        case 1:
            while (parker_rwlock_trywrlock(&ex_lock) != PARKER_OK)
                test_yield();
            break;
        case 2:
            while (parker_rwlock_wrlock_timeout(&ex_lock, 50 * NS_PER_US) != PARKER_OK) {
            }
            break;
        default:
            parker_rwlock_wrlock(&ex_lock);
            ex_write_section();
            /* Downgrade: still no writer may enter while we read. */
            parker_rwlock_downgrade(&ex_lock);
            ex_read_section();
            parker_rwlock_rdunlock(&ex_lock);
            continue;
        }
        ex_write_section();
        parker_rwlock_wrunlock(&ex_lock);
    }
    return NULL;
}

static void *ex_reader(void *arg)
{
    int i, id = (int)(intptr_t)arg;
    for (i = 0; i < ex_iters; i++) {
        switch ((i + id) % 4) {
        case 0:
            parker_rwlock_rdlock(&ex_lock);
            break;
        case 1:
            while (parker_rwlock_tryrdlock(&ex_lock) != PARKER_OK)
                test_yield();
            break;
        case 2:
            while (parker_rwlock_rdlock_timeout(&ex_lock, 50 * NS_PER_US) != PARKER_OK) {
            }
            break;
        default:
            parker_rwlock_rdlock_recursive(&ex_lock);
            break;
        }
        ex_read_section();
        parker_rwlock_rdunlock(&ex_lock);
    }
    return NULL;
}

/* One writer at a time, never with readers; a writer's writes are seen
 * whole by every later reader (plain data, checked by TSan too). */
static void test_writers_exclude_everyone_and_publish_their_writes(void **state)
{
    pthread_t w[2], r[3];
    int i;
    (void)state;
    ex_iters = 20000 / (int)sync_slowdown();
    for (i = 0; i < 2; i++)
        w[i] = test_thread_start(ex_writer, (void *)(intptr_t)i);
    for (i = 0; i < 3; i++)
        r[i] = test_thread_start(ex_reader, (void *)(intptr_t)i);
    for (i = 0; i < 2; i++)
        test_thread_join(w[i]);
    for (i = 0; i < 3; i++)
        test_thread_join(r[i]);
    assert_int_equal(0, atomic_load(&ex_bad));
    assert_int_equal((unsigned long)(2 * ex_iters), ex_a);
    assert_int_equal(0, rw_word(&ex_lock));
}

/* ------------------------------------------------ writer preference */

/* A writer that waits stops new readers: with a read lock held and a writer
 * queued behind it, tryrdlock fails and a timed rdlock times out; when the
 * reader leaves, the writer gets the lock. */
static void test_waiting_writer_stops_new_readers(void **state)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    struct rw_call w;
    (void)state;
    parker_rwlock_rdlock(&l);
    rw_call_start(&w, &l, OP_WRLOCK, 0);
    /* The writer has reserved the lock once a new reader is refused. */
    SYNC_WAIT_UNTIL(rw_word(&l) & RW_WRITER);
    assert_int_equal(PARKER_AGAIN, parker_rwlock_tryrdlock(&l));
    assert_int_equal(PARKER_TIMEDOUT, parker_rwlock_rdlock_timeout(&l, 20 * NS_PER_MS));
    assert_int_equal(-1, atomic_load(&w.result));
    parker_rwlock_rdunlock(&l);
    SYNC_WAIT_UNTIL(atomic_load(&w.result) == PARKER_OK);
    rw_call_finish(&w);
    assert_int_equal(0, rw_word(&l));
}

/* The documented recursion rule: rdlock_recursive does not wait for a
 * queued writer while read locks are held (plain rdlock would deadlock). */
static void test_recursive_read_passes_a_waiting_writer(void **state)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    struct rw_call w;
    (void)state;
    parker_rwlock_rdlock(&l);
    rw_call_start(&w, &l, OP_WRLOCK, 0);
    SYNC_WAIT_UNTIL(rw_word(&l) & RW_WRITER);
    parker_rwlock_rdlock_recursive(&l); /* must not deadlock */
    parker_rwlock_rdunlock(&l);
    assert_int_equal(-1, atomic_load(&w.result));
    parker_rwlock_rdunlock(&l);
    SYNC_WAIT_UNTIL(atomic_load(&w.result) == PARKER_OK);
    rw_call_finish(&w);
    assert_int_equal(0, rw_word(&l));
}

/* nsync-style reader hog: four readers whose read sections always overlap
 * (each leaves only once another reader is inside, or after 1 ms), so the
 * reader count would never reach zero on a reader-preferring lock.  A
 * writer must still get in, again and again. */
#define HOG_READERS 4
static parker_rwlock_t hog_lock;
static atomic_int hog_stop, hog_in;
static atomic_ulong hog_reads;

static void *hog_reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&hog_stop)) {
        uint64_t t0;
        parker_rwlock_rdlock(&hog_lock);
        t0 = parker_now_ns();
        atomic_fetch_add(&hog_in, 1);
        while (atomic_load(&hog_in) < 2 && parker_now_ns() - t0 < NS_PER_MS)
            test_yield();
        atomic_fetch_sub(&hog_in, 1);
        parker_rwlock_rdunlock(&hog_lock);
        atomic_fetch_add(&hog_reads, 1);
    }
    return NULL;
}

static void test_reader_hog_cannot_starve_a_writer(void **state)
{
    pthread_t t[HOG_READERS];
    int i, acquisitions = 50;
    uint64_t worst = 0, start;
    (void)state;
    for (i = 0; i < HOG_READERS; i++)
        t[i] = test_thread_start(hog_reader, NULL);
    SYNC_WAIT_UNTIL(atomic_load(&hog_reads) > 100);
    start = parker_now_ns();
    for (i = 0; i < acquisitions; i++) {
        uint64_t t0 = parker_now_ns();
        int r = parker_rwlock_wrlock_timeout(&hog_lock, SYNC_BOUND_NS);
        uint64_t waited = parker_now_ns() - t0;
        assert_int_equal(PARKER_OK, r);
        assert_int_equal(0, atomic_load(&hog_in));
        parker_rwlock_wrunlock(&hog_lock);
        if (waited > worst)
            worst = waited;
    }
    atomic_store(&hog_stop, 1);
    for (i = 0; i < HOG_READERS; i++)
        test_thread_join(t[i]);
    print_message("reader hog: %d writer acquisitions in %.1f ms, worst wait %.2f ms\n",
                  acquisitions, (double)(parker_now_ns() - start) / 1e6, (double)worst / 1e6);
    assert_int_equal(0, rw_word(&hog_lock));
}

/* Writer hog: writers that re-lock at once after each unlock.  A reader
 * must still get in, again and again (eventual fairness hands the lock to
 * it once it has waited 1 ms). */
#define HOG_WRITERS 2
static atomic_ulong hog_writes;

static void *hog_writer(void *arg)
{
    (void)arg;
    while (!atomic_load(&hog_stop)) {
        parker_rwlock_wrlock(&hog_lock);
        sync_busy_ns(20 * NS_PER_US);
        parker_rwlock_wrunlock(&hog_lock);
        atomic_fetch_add(&hog_writes, 1);
    }
    return NULL;
}

static void test_writer_hog_cannot_starve_a_reader(void **state)
{
    pthread_t t[HOG_WRITERS];
    int i, acquisitions = 50;
    uint64_t worst = 0, start;
    (void)state;
    atomic_store(&hog_stop, 0);
    for (i = 0; i < HOG_WRITERS; i++)
        t[i] = test_thread_start(hog_writer, NULL);
    SYNC_WAIT_UNTIL(atomic_load(&hog_writes) > 100);
    start = parker_now_ns();
    for (i = 0; i < acquisitions; i++) {
        uint64_t t0 = parker_now_ns();
        int r = parker_rwlock_rdlock_timeout(&hog_lock, SYNC_BOUND_NS);
        uint64_t waited = parker_now_ns() - t0;
        assert_int_equal(PARKER_OK, r);
        parker_rwlock_rdunlock(&hog_lock);
        if (waited > worst)
            worst = waited;
    }
    atomic_store(&hog_stop, 1);
    for (i = 0; i < HOG_WRITERS; i++)
        test_thread_join(t[i]);
    print_message("writer hog: %d reader acquisitions in %.1f ms, worst wait %.2f ms\n",
                  acquisitions, (double)(parker_now_ns() - start) / 1e6, (double)worst / 1e6);
    assert_int_equal(0, rw_word(&hog_lock));
}

/* Queued readers are woken in order up to the first queued writer: with
 * R1 R2 W R3 queued behind a writer, R1 and R2 get in before W, and R3
 * only after W. */
static void test_writer_unlock_wakes_readers_up_to_the_first_writer(void **state)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    struct rw_call r1, r2, w, r3;
    (void)state;
    parker_rwlock_wrlock(&l);
    rw_call_start_queued(&r1, &l, OP_RDLOCK, 0, 1);
    rw_call_start_queued(&r2, &l, OP_RDLOCK, 0, 2);
    rw_call_start_queued(&w, &l, OP_WRLOCK, 0, 3);
    rw_call_start_queued(&r3, &l, OP_RDLOCK, 0, 4);
    /* Let R1 wait past PARKER_LOT_FAIR_NS: the unlock then hands over
     * (readers in, W's reservation set) instead of letting them race. */
    test_sleep_ms(5);
    parker_rwlock_wrunlock(&l);
    SYNC_WAIT_UNTIL(atomic_load(&r1.result) == PARKER_OK && atomic_load(&r2.result) == PARKER_OK);
    /* W has reserved the lock (or will): R3 cannot be in while R1, R2 hold. */
    SYNC_WAIT_UNTIL(rw_word(&l) & RW_WRITER);
    assert_int_equal(-1, atomic_load(&r3.result));
    rw_call_finish(&r1);
    rw_call_finish(&r2);
    SYNC_WAIT_UNTIL(atomic_load(&w.result) == PARKER_OK);
    assert_int_equal(-1, atomic_load(&r3.result));
    rw_call_finish(&w);
    SYNC_WAIT_UNTIL(atomic_load(&r3.result) == PARKER_OK);
    rw_call_finish(&r3);
    assert_int_equal(0, rw_word(&l));
}

/* ------------------------------------------------ timeouts */

static void test_timed_locks_never_return_early(void **state)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    uint64_t t0, deadline;
    int i;
    (void)state;
    parker_rwlock_wrlock(&l);
    for (i = 0; i < 5; i++) {
        uint64_t timeout = (uint64_t)(i * 3 + 1) * NS_PER_MS;
        t0 = parker_now_ns();
        assert_int_equal(PARKER_TIMEDOUT, parker_rwlock_rdlock_timeout(&l, timeout));
        assert_true(parker_now_ns() - t0 >= timeout);
        t0 = parker_now_ns();
        assert_int_equal(PARKER_TIMEDOUT, parker_rwlock_wrlock_timeout(&l, timeout));
        assert_true(parker_now_ns() - t0 >= timeout);
        deadline = parker_now_ns() + timeout;
        assert_int_equal(PARKER_TIMEDOUT, parker_rwlock_rdlock_until(&l, deadline));
        assert_true(parker_now_ns() >= deadline);
        deadline = parker_now_ns() + timeout;
        assert_int_equal(PARKER_TIMEDOUT, parker_rwlock_wrlock_until(&l, deadline));
        assert_true(parker_now_ns() >= deadline);
    }
    /* A deadline already past still takes a free lock, and times out at
     * once on a held one. */
    assert_int_equal(PARKER_TIMEDOUT, parker_rwlock_rdlock_until(&l, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_rwlock_wrlock_timeout(&l, 0));
    parker_rwlock_wrunlock(&l);
    assert_int_equal(0, rw_word(&l));
    assert_int_equal(PARKER_OK, parker_rwlock_wrlock_until(&l, 0));
    parker_rwlock_wrunlock(&l);
    assert_int_equal(PARKER_OK, parker_rwlock_rdlock_timeout(&l, 0));
    parker_rwlock_rdunlock(&l);
    assert_int_equal(0, rw_word(&l));
}

/* The parking_lot #465 / LLVM libc #201937 class: a writer that times out
 * while waiting for readers must leave no "writer waiting" state behind.
 * Readers it was holding back get in at once, while the first reader still
 * holds its read lock, and the word ends up clean. */
static void test_timed_out_writer_lets_held_back_readers_in(void **state)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    struct rw_call w, r1, r2;
    uint64_t timeout = 300 * NS_PER_MS * sync_slowdown();
    (void)state;
    parker_rwlock_rdlock(&l);
    rw_call_start(&w, &l, OP_WRLOCK_TIMEOUT, timeout);
    SYNC_WAIT_UNTIL(rw_word(&l) & RW_WRITER);
    rw_call_start_queued(&r1, &l, OP_RDLOCK, 0, 1);
    rw_call_start_queued(&r2, &l, OP_RDLOCK_TIMEOUT, SYNC_BOUND_NS, 2);
    SYNC_WAIT_UNTIL(atomic_load(&w.result) != -1);
    assert_int_equal(PARKER_TIMEDOUT, atomic_load(&w.result));
    assert_true(w.elapsed_ns >= timeout);
    SYNC_WAIT_UNTIL(atomic_load(&r1.result) == PARKER_OK && atomic_load(&r2.result) == PARKER_OK);
    assert_int_equal(PARKER_OK, parker_rwlock_tryrdlock(&l));
    parker_rwlock_rdunlock(&l);
    rw_call_finish(&w);
    rw_call_finish(&r1);
    rw_call_finish(&r2);
    parker_rwlock_rdunlock(&l);
    assert_int_equal(0, rw_word(&l));
    assert_int_equal(PARKER_OK, parker_rwlock_trywrlock(&l));
    parker_rwlock_wrunlock(&l);
}

/* Waiters that time out while queued behind a writer leave no parked bits:
 * after the writer unlocks, the word is clean and a reader queued behind
 * the timed-out ones still gets in. */
static void test_timed_out_waiters_leave_nothing_behind(void **state)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    struct rw_call tw, tr, r;
    (void)state;
    parker_rwlock_wrlock(&l);
    rw_call_start(&tw, &l, OP_WRLOCK_TIMEOUT, 30 * NS_PER_MS);
    rw_call_start(&tr, &l, OP_RDLOCK_TIMEOUT, 30 * NS_PER_MS);
    SYNC_WAIT_UNTIL(atomic_load(&tw.result) != -1 && atomic_load(&tr.result) != -1);
    assert_int_equal(PARKER_TIMEDOUT, atomic_load(&tw.result));
    assert_int_equal(PARKER_TIMEDOUT, atomic_load(&tr.result));
    assert_int_equal(RW_WRITER, rw_word(&l)); /* the last one cleared PARKED */
    rw_call_start_queued(&r, &l, OP_RDLOCK, 0, 1);
    parker_rwlock_wrunlock(&l);
    SYNC_WAIT_UNTIL(atomic_load(&r.result) == PARKER_OK);
    rw_call_finish(&tw);
    rw_call_finish(&tr);
    rw_call_finish(&r);
    assert_int_equal(0, rw_word(&l));
}

/* Mixed timed and untimed readers and writers, timeouts firing all the
 * time: everybody keeps making progress (no thread is left asleep behind a
 * stale bit), exclusion holds, and the word ends clean. */
static parker_rwlock_t mix_lock;
static atomic_int mix_readers, mix_writers, mix_bad;
static int mix_iters;

static void *mix_thread(void *arg)
{
    int id = (int)(intptr_t)arg, i, done = 0;
    uint64_t rng = (uint64_t)id * 0x9E3779B97F4A7C15u + 1;
    for (i = 0; done < mix_iters; i++) {
        int writer = id % 2 == 0, timed = id >= 2, r;
        uint64_t timeout;
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        timeout = rng % (200 * NS_PER_US);
        if (writer)
            r = timed ? parker_rwlock_wrlock_timeout(&mix_lock, timeout)
                      : (parker_rwlock_wrlock(&mix_lock), PARKER_OK);
        else
            r = timed ? parker_rwlock_rdlock_timeout(&mix_lock, timeout)
                      : (parker_rwlock_rdlock(&mix_lock), PARKER_OK);
        if (r != PARKER_OK)
            continue;
        done++;
        if (writer) {
            if (atomic_fetch_add(&mix_writers, 1) != 0 || atomic_load(&mix_readers) != 0)
                atomic_store(&mix_bad, 1);
            if (rng % 8 == 0)
                sync_busy_ns(50 * NS_PER_US);
            atomic_fetch_sub(&mix_writers, 1);
            parker_rwlock_wrunlock(&mix_lock);
        } else {
            atomic_fetch_add(&mix_readers, 1);
            if (atomic_load(&mix_writers) != 0)
                atomic_store(&mix_bad, 2);
            if (rng % 8 == 0)
                sync_busy_ns(50 * NS_PER_US);
            atomic_fetch_sub(&mix_readers, 1);
            parker_rwlock_rdunlock(&mix_lock);
        }
    }
    return NULL;
}

static void test_mixed_timed_and_untimed_waiters_make_progress(void **state)
{
    pthread_t t[6];
    int i;
    (void)state;
    mix_iters = 3000 / (int)sync_slowdown();
    for (i = 0; i < 6; i++)
        t[i] = test_thread_start(mix_thread, (void *)(intptr_t)i);
    for (i = 0; i < 6; i++)
        test_thread_join(t[i]); /* a lost wake-up hangs here: the ctest TIMEOUT fails it */
    assert_int_equal(0, atomic_load(&mix_bad));
    assert_int_equal(0, rw_word(&mix_lock));
}

/* ------------------------------------------------ downgrade */

/* Downgrade is atomic (no writer gets in between) and lets the queued
 * readers in at once, while the downgrading thread still reads. */
static void test_downgrade_is_atomic_and_admits_queued_readers(void **state)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    struct rw_call r1, r2, w;
    (void)state;
    parker_rwlock_wrlock(&l);
    rw_call_start_queued(&r1, &l, OP_RDLOCK, 0, 1);
    rw_call_start_queued(&w, &l, OP_WRLOCK, 0, 2);
    rw_call_start_queued(&r2, &l, OP_RDLOCK, 0, 3);
    parker_rwlock_downgrade(&l);
    /* R1 is in while we still hold our read lock; W is not. */
    SYNC_WAIT_UNTIL(atomic_load(&r1.result) == PARKER_OK);
    assert_int_equal(-1, atomic_load(&w.result));
    assert_int_equal(PARKER_AGAIN, parker_rwlock_trywrlock(&l));
    rw_call_finish(&r1);
    parker_rwlock_rdunlock(&l);
    SYNC_WAIT_UNTIL(atomic_load(&w.result) == PARKER_OK);
    rw_call_finish(&w);
    SYNC_WAIT_UNTIL(atomic_load(&r2.result) == PARKER_OK);
    rw_call_finish(&r2);
    assert_int_equal(0, rw_word(&l));
}

/* ------------------------------------------------ misuse */

#if !defined(_WIN32)
static void misuse_rdunlock_unlocked(void)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    parker_rwlock_rdunlock(&l);
}

static void misuse_rdunlock_write_locked(void)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    parker_rwlock_wrlock(&l);
    parker_rwlock_rdunlock(&l);
}

static void misuse_wrunlock_unlocked(void)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    parker_rwlock_wrunlock(&l);
}

static void misuse_wrunlock_read_locked(void)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    parker_rwlock_rdlock(&l);
    parker_rwlock_wrunlock(&l);
}

static void misuse_downgrade_unlocked(void)
{
    parker_rwlock_t l = PARKER_RWLOCK_INIT;
    parker_rwlock_downgrade(&l);
}

static void misuse_null(void)
{
    parker_rwlock_rdlock(NULL);
}

static void test_unlocking_a_lock_not_held_aborts_with_a_message(void **state)
{
    (void)state;
    sync_expect_abort_with(misuse_rdunlock_unlocked,
                           "libparker: parker_rwlock_rdunlock: no read lock is held");
    sync_expect_abort_with(misuse_rdunlock_write_locked,
                           "libparker: parker_rwlock_rdunlock: no read lock is held");
    sync_expect_abort_with(misuse_wrunlock_unlocked,
                           "libparker: parker_rwlock_wrunlock: the lock is not write-locked");
    sync_expect_abort_with(misuse_wrunlock_read_locked,
                           "libparker: parker_rwlock_wrunlock: the lock is not write-locked");
    sync_expect_abort_with(misuse_downgrade_unlocked,
                           "libparker: parker_rwlock_downgrade: the lock is not write-locked");
    sync_expect_abort_with(misuse_null, "libparker: parker_rwlock_rdlock: NULL rwlock");
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rwlock_is_one_word_and_zero_is_unlocked),
        cmocka_unit_test(test_many_readers_hold_the_lock_at_once),
        cmocka_unit_test(test_writers_exclude_everyone_and_publish_their_writes),
        cmocka_unit_test(test_waiting_writer_stops_new_readers),
        cmocka_unit_test(test_recursive_read_passes_a_waiting_writer),
        cmocka_unit_test(test_reader_hog_cannot_starve_a_writer),
        cmocka_unit_test(test_writer_hog_cannot_starve_a_reader),
        cmocka_unit_test(test_writer_unlock_wakes_readers_up_to_the_first_writer),
        cmocka_unit_test(test_timed_locks_never_return_early),
        cmocka_unit_test(test_timed_out_writer_lets_held_back_readers_in),
        cmocka_unit_test(test_timed_out_waiters_leave_nothing_behind),
        cmocka_unit_test(test_mixed_timed_and_untimed_waiters_make_progress),
        cmocka_unit_test(test_downgrade_is_atomic_and_admits_queued_readers),
#if !defined(_WIN32)
        cmocka_unit_test(test_unlocking_a_lock_not_held_aborts_with_a_message),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
