/*
 * test_sync_mutex.c - parker_mutex_t keeps the promises of parker_sync.h.
 * One test per guarantee, named after it.
 */
#include "sync_common.h"

/* ------------------------------------------------------------- sizes */

static void test_objects_are_one_byte_and_cond_is_one_pointer(void **state)
{
    (void)state;
    assert_int_equal(1, sizeof(parker_mutex_t));
    assert_int_equal(1, sizeof(parker_once_t));
    assert_int_equal(1, sizeof(parker_event_t));
    assert_true(sizeof(parker_cond_t) <= sizeof(void *));
}

static parker_mutex_t static_mutex; /* all-zero: static storage */

static void test_all_zero_is_an_unlocked_mutex(void **state)
{
    parker_mutex_t init = PARKER_MUTEX_INIT, zeroed;
    (void)state;
    memset(&zeroed, 0, sizeof zeroed);
    assert_int_equal(PARKER_OK, parker_mutex_trylock(&static_mutex));
    parker_mutex_unlock(&static_mutex);
    assert_int_equal(0, parker_mutex_is_locked(&init));
    assert_int_equal(PARKER_OK, parker_mutex_trylock(&init));
    assert_int_equal(1, parker_mutex_is_locked(&init));
    parker_mutex_unlock(&init);
    parker_mutex_lock(&zeroed);
    parker_mutex_unlock(&zeroed);
    assert_int_equal(0, SYNC_BYTE(&zeroed));
}

/* ------------------------------------------------- mutual exclusion */

#define EXCL_THREADS 4

struct excl {
    parker_mutex_t m;
    long counter;      /* plain: only touched under m */
    long x, y;         /* plain: always equal outside the lock */
    atomic_int inside; /* how many threads are in the critical section */
    atomic_int bad;
    atomic_int ready;
    long rounds;
};

static void excl_critical_section(struct excl *e)
{
    long v;
    if (atomic_fetch_add(&e->inside, 1) != 0)
        atomic_store(&e->bad, 1);
    /* A read-modify-write spread out in time, so that two threads inside
     * at once would lose an increment; x == y checks that every write of
     * the previous holder is visible (unlock happens-before lock). */
    v = e->counter;
    if (e->x != e->y)
        atomic_store(&e->bad, 2);
    e->x = v + 1;
    sync_compiler_barrier();
    e->counter = v + 1;
    e->y = v + 1;
    atomic_fetch_sub(&e->inside, 1);
}

struct excl_arg {
    struct excl *e;
    int kind;
};

static void *excl_thread(void *arg)
{
    struct excl_arg *a = (struct excl_arg *)arg;
    struct excl *e = a->e;
    long i;
    atomic_fetch_add(&e->ready, 1);
    while (atomic_load(&e->ready) < EXCL_THREADS)
        test_yield();
    for (i = 0; i < e->rounds; i++) {
        switch ((a->kind + (int)(i % 7 == 0)) % 4) {
        case 0:
            parker_mutex_lock(&e->m);
            break;
        case 1:
            while (parker_mutex_trylock(&e->m) != PARKER_OK)
                test_yield();
            break;
        case 2:
            assert_int_equal(PARKER_OK, parker_mutex_lock_timeout(&e->m, PARKER_FOREVER));
            break;
        default:
            while (parker_mutex_lock_timeout(&e->m, 50 * NS_PER_US) != PARKER_OK) {
            }
            break;
        }
        excl_critical_section(e);
        if (i % 5 == 0)
            parker_mutex_unlock_fair(&e->m);
        else
            parker_mutex_unlock(&e->m);
    }
    return NULL;
}

static void test_mutual_exclusion_with_a_plain_counter(void **state)
{
    static struct excl e;
    struct excl_arg args[EXCL_THREADS];
    pthread_t t[EXCL_THREADS];
    int i;
    (void)state;
    memset(&e, 0, sizeof e);
    e.rounds = 40000 / (long)sync_slowdown();
    for (i = 0; i < EXCL_THREADS; i++) {
        args[i].e = &e;
        args[i].kind = i;
        t[i] = test_thread_start(excl_thread, &args[i]);
    }
    for (i = 0; i < EXCL_THREADS; i++)
        test_thread_join(t[i]);
    assert_int_equal(0, atomic_load(&e.bad));
    assert_int_equal(EXCL_THREADS * e.rounds, e.counter);
    /* No stale LOCKED or PARKED bit: every waiter got the lock and left. */
    assert_int_equal(0, SYNC_BYTE(&e.m));
}

/* ------------------------------------------------------------ holder */

/* A thread that holds a mutex until told to let go. */
struct holder {
    parker_mutex_t *m;
    atomic_int holding, release;
    pthread_t thread;
};

static void *holder_main(void *arg)
{
    struct holder *h = (struct holder *)arg;
    parker_mutex_lock(h->m);
    atomic_store(&h->holding, 1);
    while (!atomic_load(&h->release))
        test_yield();
    parker_mutex_unlock(h->m);
    return NULL;
}

static void holder_start(struct holder *h, parker_mutex_t *m)
{
    h->m = m;
    atomic_store(&h->holding, 0);
    atomic_store(&h->release, 0);
    h->thread = test_thread_start(holder_main, h);
    SYNC_WAIT_UNTIL(atomic_load(&h->holding));
}

static void holder_stop(struct holder *h)
{
    atomic_store(&h->release, 1);
    test_thread_join(h->thread);
}

/* ------------------------------------------------------- try / timed */

static void test_trylock_returns_again_when_locked(void **state)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    struct holder h;
    (void)state;
    holder_start(&h, &m);
    assert_int_equal(PARKER_AGAIN, parker_mutex_trylock(&m));
    assert_int_equal(1, parker_mutex_is_locked(&m));
    holder_stop(&h);
    assert_int_equal(0, parker_mutex_is_locked(&m));
    assert_int_equal(PARKER_OK, parker_mutex_trylock(&m));
    parker_mutex_unlock(&m);
}

static void test_timed_lock_never_returns_early(void **state)
{
    static const uint64_t timeouts[] = {1 * NS_PER_MS, 20 * NS_PER_MS, 50 * NS_PER_MS};
    parker_mutex_t m = PARKER_MUTEX_INIT;
    struct holder h;
    size_t i;
    (void)state;
    holder_start(&h, &m);
    for (i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        uint64_t t0 = parker_now_ns(), deadline;
        assert_int_equal(PARKER_TIMEDOUT, parker_mutex_lock_timeout(&m, timeouts[i]));
        assert_true(parker_now_ns() - t0 >= timeouts[i]);
        deadline = parker_now_ns() + timeouts[i];
        assert_int_equal(PARKER_TIMEDOUT, parker_mutex_lock_until(&m, deadline));
        assert_true(parker_now_ns() >= deadline);
    }
    /* Zero and past deadlines try once and do not wait. */
    assert_int_equal(PARKER_TIMEDOUT, parker_mutex_lock_timeout(&m, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_mutex_lock_until(&m, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_mutex_lock_until(&m, parker_now_ns()));
    holder_stop(&h);
    /* Re-use after timeouts: nothing was left behind. */
    assert_int_equal(0, SYNC_BYTE(&m));
    assert_int_equal(PARKER_OK, parker_mutex_lock_timeout(&m, 0));
    parker_mutex_unlock(&m);
    assert_int_equal(PARKER_OK, parker_mutex_lock_until(&m, parker_now_ns() + NS_PER_MS));
    parker_mutex_unlock(&m);
}

struct timed_locker {
    parker_mutex_t *m;
    uint64_t timeout;
    int result;
    atomic_int done;
    pthread_t thread;
};

static void *timed_locker_main(void *arg)
{
    struct timed_locker *t = (struct timed_locker *)arg;
    t->result = parker_mutex_lock_timeout(t->m, t->timeout);
    if (t->result == PARKER_OK)
        parker_mutex_unlock(t->m);
    atomic_store(&t->done, 1);
    return NULL;
}

static void timed_locker_start(struct timed_locker *t, parker_mutex_t *m, uint64_t timeout)
{
    t->m = m;
    t->timeout = timeout;
    t->result = -1;
    atomic_store(&t->done, 0);
    t->thread = test_thread_start(timed_locker_main, t);
}

static void test_parked_bit_is_cleared_when_the_last_timed_waiter_leaves(void **state)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    struct holder h;
    struct timed_locker t[3];
    int i;
    (void)state;
    holder_start(&h, &m);
    for (i = 0; i < 3; i++)
        timed_locker_start(&t[i], &m, (uint64_t)(20 + 15 * i) * NS_PER_MS);
    for (i = 0; i < 3; i++) {
        test_thread_join(t[i].thread);
        assert_int_equal(PARKER_TIMEDOUT, t[i].result);
    }
    /* Still held, nobody queued, and no PARKED bit left behind: the unlock
     * can take its fast path. */
    assert_int_equal(0, sync_lot_waiters(&m));
    assert_int_equal(1, SYNC_BYTE(&m));
    holder_stop(&h);
    assert_int_equal(0, SYNC_BYTE(&m));
}

/* parking_lot #465's class of bug: a timed waiter leaving must never clear
 * the PARKED bit while an untimed waiter is still queued (its wake-up would
 * be lost: the unlock would take the fast path). */
static void test_mixed_timed_and_untimed_waiters_lose_no_wakeup(void **state)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    int round;
    (void)state;
    for (round = 0; round < 6; round++) {
        struct holder h;
        struct timed_locker untimed, timed[2];
        int i;
        holder_start(&h, &m);
        if (round % 2 == 0) {
            /* The untimed waiter queues first, the timed ones behind it. */
            timed_locker_start(&untimed, &m, PARKER_FOREVER);
            SYNC_WAIT_UNTIL(sync_lot_waiters(&m) == 1);
            for (i = 0; i < 2; i++)
                timed_locker_start(&timed[i], &m, (uint64_t)(5 + 5 * i) * NS_PER_MS);
        } else {
            /* The timed ones queue first and leave from the head.  Their
             * timeouts are long enough (scaled for slow environments) for
             * the untimed one to queue behind them; if one still runs out
             * before it is seen queued, the round only checks less. */
            for (i = 0; i < 2; i++) {
                timed_locker_start(&timed[i], &m,
                                   (uint64_t)(100 + 20 * i) * NS_PER_MS * sync_slowdown());
                SYNC_WAIT_UNTIL(sync_lot_waiters(&m) == (size_t)i + 1 ||
                                atomic_load(&timed[i].done));
            }
            timed_locker_start(&untimed, &m, PARKER_FOREVER);
        }
        for (i = 0; i < 2; i++) {
            test_thread_join(timed[i].thread);
            assert_int_equal(PARKER_TIMEDOUT, timed[i].result);
        }
        SYNC_WAIT_UNTIL(sync_lot_waiters(&m) == 1);
        assert_int_equal(3, SYNC_BYTE(&m)); /* LOCKED | PARKED: the wake-up is owed */
        holder_stop(&h);
        SYNC_WAIT_UNTIL(atomic_load(&untimed.done));
        test_thread_join(untimed.thread);
        assert_int_equal(PARKER_OK, untimed.result);
        assert_int_equal(0, SYNC_BYTE(&m));
    }
}

/* A storm of lock, timed lock (short random timeouts) and trylock: every
 * thread finishes (no lost wake-up), the count is exact, nothing is left. */
#define STORM_THREADS 6

struct storm {
    parker_mutex_t m;
    long counter; /* plain */
    atomic_long acquired;
    atomic_int done;
    long rounds;
};

struct storm_arg {
    struct storm *s;
    unsigned seed;
};

static void *storm_main(void *arg)
{
    struct storm_arg *a = (struct storm_arg *)arg;
    struct storm *s = a->s;
    unsigned x = a->seed * 2654435761u + 1u;
    long i;
    for (i = 0; i < s->rounds; i++) {
        int got;
        x = x * 1103515245u + 12345u;
        switch ((x >> 16) % 4) {
        case 0:
            parker_mutex_lock(&s->m);
            got = 1;
            break;
        case 1:
            got = parker_mutex_trylock(&s->m) == PARKER_OK;
            break;
        default:
            got = parker_mutex_lock_timeout(&s->m, ((x >> 8) % 200) * NS_PER_US) == PARKER_OK;
            break;
        }
        if (!got)
            continue;
        s->counter++;
        atomic_fetch_add(&s->acquired, 1);
        if ((x >> 20) % 8 == 0)
            sync_busy_ns(20 * NS_PER_US);
        parker_mutex_unlock(&s->m);
    }
    atomic_fetch_add(&s->done, 1);
    return NULL;
}

static void test_timed_lock_storm_loses_no_wakeup(void **state)
{
    static struct storm s;
    struct storm_arg args[STORM_THREADS];
    pthread_t t[STORM_THREADS];
    int i;
    (void)state;
    memset(&s, 0, sizeof s);
    s.rounds = 20000 / (long)sync_slowdown();
    for (i = 0; i < STORM_THREADS; i++) {
        args[i].s = &s;
        args[i].seed = (unsigned)i + 1u;
        t[i] = test_thread_start(storm_main, &args[i]);
    }
    /* A lost wake-up leaves a thread asleep forever: fail, do not hang. */
    SYNC_WAIT_UNTIL(atomic_load(&s.done) == STORM_THREADS);
    for (i = 0; i < STORM_THREADS; i++)
        test_thread_join(t[i]);
    assert_int_equal(atomic_load(&s.acquired), s.counter);
    assert_int_equal(0, SYNC_BYTE(&s.m));
}

/* ---------------------------------------------------------- fairness */

struct fair_waiter {
    parker_mutex_t *m;
    atomic_int got, may_unlock;
};

static void *fair_waiter_main(void *arg)
{
    struct fair_waiter *w = (struct fair_waiter *)arg;
    parker_mutex_lock(w->m);
    atomic_store(&w->got, 1);
    while (!atomic_load(&w->may_unlock))
        test_yield();
    parker_mutex_unlock(w->m);
    return NULL;
}

/* unlock_fair hands the mutex to the parked waiter: the unlocker cannot take
 * it back, even at once and without the waiter having run yet. */
static void test_unlock_fair_always_hands_off(void **state)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    int round;
    (void)state;
    for (round = 0; round < 20; round++) {
        struct fair_waiter w;
        pthread_t t;
        w.m = &m;
        atomic_store(&w.got, 0);
        atomic_store(&w.may_unlock, 0);
        parker_mutex_lock(&m);
        t = test_thread_start(fair_waiter_main, &w);
        SYNC_WAIT_UNTIL(sync_lot_waiters(&m) == 1);
        parker_mutex_unlock_fair(&m);
        assert_int_equal(PARKER_AGAIN, parker_mutex_trylock(&m));
        assert_int_equal(1, parker_mutex_is_locked(&m));
        SYNC_WAIT_UNTIL(atomic_load(&w.got));
        assert_int_equal(PARKER_AGAIN, parker_mutex_trylock(&m));
        atomic_store(&w.may_unlock, 1);
        test_thread_join(t);
        assert_int_equal(0, SYNC_BYTE(&m));
    }
    /* With nobody parked it is a plain unlock. */
    parker_mutex_lock(&m);
    parker_mutex_unlock_fair(&m);
    assert_int_equal(PARKER_OK, parker_mutex_trylock(&m));
    parker_mutex_unlock(&m);
}

/* A lock holder that wants the mutex back at once: returns whether its
 * trylock right after the unlock failed (the waiter owns the mutex). */
static int unlock_then_trylock_fails(parker_mutex_t *m)
{
    parker_mutex_unlock(m);
    return parker_mutex_trylock(m) == PARKER_AGAIN;
}

/*
 * The 1 ms rule, deterministically: once a waiter has been waiting
 * PARKER_LOT_FAIR_NS, a plain unlock hands it the mutex, so the unlocker's
 * immediate trylock fails.  The wait counts from the waiter's first park in
 * its lock call: each round makes the waiter lose a race 0.6 ms after it
 * was first seen queued (it is woken while younger than 1 ms, finds the
 * mutex re-taken and parks again), then unlocks 1.5 ms after that first
 * sighting.  The waiter's first park came before the sighting, so the hand-
 * off is certain; a rule that restarted the clock at every park would see a
 * waiter parked for under 1 ms and usually not hand off.  Rounds where the
 * waiter wins the first race or is already 1 ms old then are inconclusive.
 */
static void test_waiter_parked_over_1ms_is_handed_the_lock_even_after_losing_a_race(void **state)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    int round, conclusive = 0;
    (void)state;
    for (round = 0; round < 40 && conclusive < 10; round++) {
        struct fair_waiter w;
        pthread_t t;
        uint64_t seen;
        w.m = &m;
        atomic_store(&w.got, 0);
        atomic_store(&w.may_unlock, 0); /* it holds the mutex until we have looked */
        parker_mutex_lock(&m);
        t = test_thread_start(fair_waiter_main, &w);
        SYNC_WAIT_UNTIL(sync_lot_waiters(&m) == 1);
        seen = parker_now_ns();
        while (parker_now_ns() - seen < PARKER_LOT_FAIR_NS * 6 / 10)
            test_yield();
        if (!unlock_then_trylock_fails(&m)) {
            /* We re-took it; the waiter lost and parks again, keeping the
             * time of its first park. */
            SYNC_WAIT_UNTIL(sync_lot_waiters(&m) == 1);
            while (parker_now_ns() - seen < PARKER_LOT_FAIR_NS + PARKER_LOT_FAIR_NS / 2)
                test_yield();
            assert_true(unlock_then_trylock_fails(&m));
            conclusive++;
        }
        atomic_store(&w.may_unlock, 1);
        SYNC_WAIT_UNTIL(atomic_load(&w.got));
        test_thread_join(t);
        assert_int_equal(0, SYNC_BYTE(&m));
    }
    print_message("1 ms rule: %d conclusive rounds of %d\n", conclusive, round);
    if (conclusive == 0 && sync_slowdown() > 1) {
        print_message("SKIPPED: in this slow environment the waiter was never young enough "
                      "to lose the first race; the rule was not exercised\n");
        skip();
    }
    if (conclusive == 0)
        fail_msg("the waiter won every first race: the rule was never exercised");
}

/* Starts a fair_waiter and returns once it is queued on the mutex, that is
 * once `queued` threads are. */
static pthread_t start_queued_waiter(struct fair_waiter *w, parker_mutex_t *m, size_t queued)
{
    pthread_t t;
    w->m = m;
    atomic_store(&w->got, 0);
    atomic_store(&w->may_unlock, 0);
    t = test_thread_start(fair_waiter_main, w);
    SYNC_WAIT_UNTIL(sync_lot_waiters(m) == queued);
    return t;
}

/*
 * A forced hand-off goes to the lock caller that has waited longest, not to
 * whoever is at the front of the queue: that choice is what bounds every
 * waiter's wait (parker_sync.h).  W1 parks, then W2; W1 is woken while
 * younger than PARKER_LOT_FAIR_NS, loses the race to us and parks again,
 * now behind W2.  Once W2, the front, is due, our unlock must hand the
 * mutex to W1.  Deterministic once set up: the hand-off leaves the mutex
 * locked for W1 until we let it go, so W2 cannot have it.  Rounds in which
 * W1 wins its race, or is already due when woken, are inconclusive.  A
 * rule that hands off to the front waiter fails here, and so does the old
 * per-waiter rule (W2 has waited over 1 ms: it would be chosen).
 */
static void test_forced_hand_off_goes_to_the_oldest_waiter_not_the_front_one(void **state)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    int round, conclusive = 0;
    (void)state;
    for (round = 0; round < 40 && conclusive < 5; round++) {
        struct fair_waiter w1, w2;
        pthread_t t1, t2;
        uint64_t start1, seen2;
        int took;
        parker_mutex_lock(&m);
        start1 = parker_now_ns(); /* before W1's first park */
        t1 = start_queued_waiter(&w1, &m, 1);
        t2 = start_queued_waiter(&w2, &m, 2);
        seen2 = parker_now_ns(); /* after W2's first park */
        parker_mutex_unlock(&m);
        /* W1 was not due (started under 1 ms ago): it was woken to compete. */
        took = parker_mutex_trylock(&m) == PARKER_OK;
        if (took && parker_now_ns() - start1 < PARKER_LOT_FAIR_NS / 2) {
            SYNC_WAIT_UNTIL(sync_lot_waiters(&m) == 2); /* W1 parked again */
            while (parker_now_ns() - seen2 < PARKER_LOT_FAIR_NS + PARKER_LOT_FAIR_NS / 2)
                test_yield();
            parker_mutex_unlock(&m); /* W2, the front, is due: hand off */
            SYNC_WAIT_UNTIL(atomic_load(&w1.got) || atomic_load(&w2.got));
            assert_true(atomic_load(&w1.got));
            assert_false(atomic_load(&w2.got));
            conclusive++;
        } else if (took) {
            parker_mutex_unlock(&m); /* we took it, but too late to count */
        }
        atomic_store(&w1.may_unlock, 1);
        atomic_store(&w2.may_unlock, 1);
        test_thread_join(t1);
        test_thread_join(t2);
        assert_int_equal(0, SYNC_BYTE(&m));
    }
    print_message("oldest first: %d conclusive rounds of %d\n", conclusive, round);
    if (conclusive == 0 && sync_slowdown() > 1) {
        print_message("SKIPPED: in this slow environment W1 never lost its first race in "
                      "time; the rule was not exercised\n");
        skip();
    }
    if (conclusive == 0)
        fail_msg("W1 never lost its first race: the rule was never exercised");
}

struct retaker {
    parker_mutex_t *m;
    atomic_int got, may_unlock;
    uint64_t t_unlock; /* when it unlocked */
    int retook;        /* its trylock right after the unlock succeeded */
};

static void *retaker_main(void *arg)
{
    struct retaker *r = (struct retaker *)arg;
    parker_mutex_lock(r->m);
    atomic_store(&r->got, 1);
    while (!atomic_load(&r->may_unlock))
        test_yield();
    r->t_unlock = parker_now_ns();
    parker_mutex_unlock(r->m);
    r->retook = parker_mutex_trylock(r->m) == PARKER_OK;
    if (r->retook)
        parker_mutex_unlock(r->m);
    return NULL;
}

/*
 * Forced hand-offs are rate-bounded: one restarts the fairness clock of
 * every queued waiter, so the next PARKER_LOT_FAIR_NS of unlocks let
 * running threads barge (what keeps many waiters from turning every unlock
 * into a context switch).  R and W both wait over 1 ms; our unlock hands
 * off to R (the oldest); R unlocks at once and tries to take the mutex
 * back.  If R's unlock came within PARKER_LOT_FAIR_NS of ours, W was only
 * woken to compete, and R's trylock, a few instructions later, wins
 * (unless W has already run, which takes a wake-up: such rounds fail the
 * trylock and count for nothing).  The rule that forced a hand-off for
 * every waiter over 1 ms old (no restart) hands the mutex to W every time,
 * so R never retakes it, and the test fails.
 */
static void test_a_forced_hand_off_lets_others_barge_for_the_next_interval(void **state)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    int round, in_time = 0, retook = 0;
    (void)state;
    for (round = 0; round < 20 && retook < 3; round++) {
        struct retaker r;
        struct fair_waiter w;
        pthread_t tr, tw;
        uint64_t seen, t_forced;
        parker_mutex_lock(&m);
        r.m = &m;
        atomic_store(&r.got, 0);
        atomic_store(&r.may_unlock, 0);
        tr = test_thread_start(retaker_main, &r);
        SYNC_WAIT_UNTIL(sync_lot_waiters(&m) == 1);
        tw = start_queued_waiter(&w, &m, 2);
        seen = parker_now_ns();
        while (parker_now_ns() - seen < PARKER_LOT_FAIR_NS + PARKER_LOT_FAIR_NS / 2)
            test_yield();
        t_forced = parker_now_ns();
        parker_mutex_unlock(&m); /* both due: the oldest, R, is handed it */
        assert_int_equal(PARKER_AGAIN, parker_mutex_trylock(&m));
        SYNC_WAIT_UNTIL(atomic_load(&r.got));
        assert_false(atomic_load(&w.got));
        atomic_store(&r.may_unlock, 1);
        test_thread_join(tr);
        if (r.t_unlock - t_forced < PARKER_LOT_FAIR_NS) {
            in_time++;
            retook += r.retook;
        }
        atomic_store(&w.may_unlock, 1);
        SYNC_WAIT_UNTIL(atomic_load(&w.got));
        test_thread_join(tw);
        assert_int_equal(0, SYNC_BYTE(&m));
    }
    print_message("rate bound: %d of %d rounds in time, %d retook the mutex\n", in_time, round,
                  retook);
    if (in_time == 0 && sync_slowdown() > 1) {
        print_message("SKIPPED: in this slow environment no unlock came within 1 ms of the "
                      "hand-off\n");
        skip();
    }
    if (in_time == 0)
        fail_msg("no unlock came within 1 ms of the hand-off: not exercised");
    if (retook == 0)
        fail_msg("a forced hand-off was followed by another within 1 ms in every round "
                 "(%d): the rate of hand-offs is not bounded", in_time);
}

struct hog {
    parker_mutex_t *m;
    atomic_int stop;
    atomic_long rounds;
    uint64_t cap_ns;
};

/* Takes the lock back the moment it lets go, as a thread looping over a
 * critical section does.  Without eventual fairness the waiter, which needs
 * a wake-up's worth of time to run, would lose nearly every race. */
static void *hog_main(void *arg)
{
    struct hog *h = (struct hog *)arg;
    uint64_t t0 = parker_now_ns();
    while (!atomic_load(&h->stop) && parker_now_ns() - t0 < h->cap_ns) {
        parker_mutex_lock(h->m);
        /* Longer than the parker's own spin before sleeping (20 us), so a
         * parked waiter really sleeps and needs a kernel wake-up. */
        sync_busy_ns(100 * NS_PER_US);
        parker_mutex_unlock(h->m);
        atomic_fetch_add(&h->rounds, 1);
    }
    return NULL;
}

/*
 * A waiter's worst wait for the mutex under a hog stays far below a starving
 * lock's.  The bound cannot flake: a starving lock keeps the waiter out for
 * as long as the hog runs (it stops by itself after cap_ns, 30 s or more),
 * while the 1 ms hand-off rule bounds each wait by about 1 ms plus a
 * wake-up; the assertion is 1 s (times the slowdown of valgrind, qemu,
 * TSan, wine), hundreds of times the expected wait and far below the cap.
 */
static void test_eventual_fairness_bounds_the_wait_under_a_hog(void **state)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    struct hog h;
    pthread_t t;
    uint64_t worst = 0, total = 0;
    const int acquisitions = 50;
    const uint64_t bound = (uint64_t)1000 * NS_PER_MS * sync_slowdown();
    int i;
    (void)state;
    h.m = &m;
    atomic_store(&h.stop, 0);
    atomic_store(&h.rounds, 0);
    h.cap_ns = SYNC_BOUND_NS;
    t = test_thread_start(hog_main, &h);
    SYNC_WAIT_UNTIL(atomic_load(&h.rounds) >= 10);
    for (i = 0; i < acquisitions; i++) {
        uint64_t t0 = parker_now_ns(), waited;
        parker_mutex_lock(&m);
        waited = parker_now_ns() - t0;
        parker_mutex_unlock(&m);
        total += waited;
        if (waited > worst)
            worst = waited;
        /* Let the hog have the lock again before the next attempt. */
        test_sleep_ms(1);
    }
    atomic_store(&h.stop, 1);
    test_thread_join(t);
    print_message("fairness: %d acquisitions under a hog, worst wait %.3f ms, mean %.3f ms, "
                  "hog rounds %ld\n",
                  acquisitions, (double)worst / 1e6, (double)total / acquisitions / 1e6,
                  (long)atomic_load(&h.rounds));
    if (worst >= bound)
        fail_msg("a waiter waited %.3f ms under a hog (bound %.3f ms): starvation",
                 (double)worst / 1e6, (double)bound / 1e6);
    assert_int_equal(0, SYNC_BYTE(&m));
}

/* ------------------------------------------------------------ misuse */

#if !defined(_WIN32)
static void misuse_unlock_unlocked(void)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    parker_mutex_unlock(&m);
}

static void misuse_unlock_fair_unlocked(void)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    parker_mutex_unlock_fair(&m);
}

static void misuse_unlock_twice(void)
{
    parker_mutex_t m = PARKER_MUTEX_INIT;
    parker_mutex_lock(&m);
    parker_mutex_unlock(&m);
    parker_mutex_unlock(&m);
}

static void misuse_lock_null(void)
{
    parker_mutex_lock(NULL);
}

static void test_unlocking_an_unlocked_mutex_aborts_with_a_message(void **state)
{
    (void)state;
    sync_expect_abort_with(misuse_unlock_unlocked,
                           "libparker: parker_mutex_unlock: mutex is not locked");
    sync_expect_abort_with(misuse_unlock_fair_unlocked,
                           "libparker: parker_mutex_unlock_fair: mutex is not locked");
    sync_expect_abort_with(misuse_unlock_twice,
                           "libparker: parker_mutex_unlock: mutex is not locked");
    sync_expect_abort_with(misuse_lock_null, "libparker: parker_mutex_lock: NULL mutex");
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_objects_are_one_byte_and_cond_is_one_pointer),
        cmocka_unit_test(test_all_zero_is_an_unlocked_mutex),
        cmocka_unit_test(test_mutual_exclusion_with_a_plain_counter),
        cmocka_unit_test(test_trylock_returns_again_when_locked),
        cmocka_unit_test(test_timed_lock_never_returns_early),
        cmocka_unit_test(test_parked_bit_is_cleared_when_the_last_timed_waiter_leaves),
        cmocka_unit_test(test_mixed_timed_and_untimed_waiters_lose_no_wakeup),
        cmocka_unit_test(test_timed_lock_storm_loses_no_wakeup),
        cmocka_unit_test(test_unlock_fair_always_hands_off),
        cmocka_unit_test(test_waiter_parked_over_1ms_is_handed_the_lock_even_after_losing_a_race),
        cmocka_unit_test(test_forced_hand_off_goes_to_the_oldest_waiter_not_the_front_one),
        cmocka_unit_test(test_a_forced_hand_off_lets_others_barge_for_the_next_interval),
        cmocka_unit_test(test_eventual_fairness_bounds_the_wait_under_a_hog),
#if !defined(_WIN32)
        cmocka_unit_test(test_unlocking_an_unlocked_mutex_aborts_with_a_message),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
