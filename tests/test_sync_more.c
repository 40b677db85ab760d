/*
 * test_sync_more.c - the objects of issue 20: the reentrant mutex, the fair
 * mutex, parker_mutex_bump and the rwlock with upgradable reads.
 */
#include "sync_common.h"

#include <stdatomic.h>
#include <string.h>

/* ------------------------------------------------------------ remutex */

static void test_remutex_size_and_zero(void **state)
{
    parker_remutex_t r;
    (void)state;
    assert_int_equal(sizeof(parker_remutex_t), sizeof(uintptr_t) + 8);
    assert_int_equal(sizeof(parker_fairmutex_t), 1);
    memset(&r, 0, sizeof r);
    assert_int_equal(0, parker_remutex_depth(&r));
    assert_int_equal(PARKER_OK, parker_remutex_trylock(&r));
    parker_remutex_unlock(&r);
}

struct re_probe {
    parker_remutex_t *r;
    int try_result;
    int timed_result;
    uint32_t depth_seen;
    uint64_t waited_ns;
};

static void *re_probe_main(void *arg)
{
    struct re_probe *p = arg;
    uint64_t t0 = parker_now_ns();
    p->depth_seen = parker_remutex_depth(p->r);
    p->try_result = parker_remutex_trylock(p->r);
    p->timed_result = parker_remutex_lock_timeout(p->r, 20 * NS_PER_MS);
    p->waited_ns = parker_now_ns() - t0;
    if (p->try_result == PARKER_OK)
        parker_remutex_unlock(p->r);
    if (p->timed_result == PARKER_OK)
        parker_remutex_unlock(p->r);
    return NULL;
}

static void test_remutex_depth(void **state)
{
    static parker_remutex_t r = PARKER_REMUTEX_INIT;
    struct re_probe p;
    pthread_t t;
    uint32_t i;
    (void)state;
    for (i = 1; i <= 100; i++) {
        if (i % 3 == 0)
            assert_int_equal(PARKER_OK, parker_remutex_trylock(&r));
        else if (i % 3 == 1)
            parker_remutex_lock(&r);
        else
            assert_int_equal(PARKER_OK, parker_remutex_lock_until(&r, 0));
        assert_int_equal(i, parker_remutex_depth(&r));
    }
    /* Another thread sees depth 0 and cannot take it at any depth > 0. */
    for (i = 100; i >= 1; i--) {
        if (i == 100 || i == 1) {
            memset(&p, 0, sizeof p);
            p.r = &r;
            t = test_thread_start(re_probe_main, &p);
            test_thread_join(t);
            assert_int_equal(0, p.depth_seen);
            assert_int_equal(PARKER_AGAIN, p.try_result);
            assert_int_equal(PARKER_TIMEDOUT, p.timed_result);
            assert_true(p.waited_ns >= 20 * NS_PER_MS);
        }
        parker_remutex_unlock(&r);
        assert_int_equal(i - 1, parker_remutex_depth(&r));
    }
    /* Released after the last level: the other thread takes it now. */
    memset(&p, 0, sizeof p);
    p.r = &r;
    t = test_thread_start(re_probe_main, &p);
    test_thread_join(t);
    assert_int_equal(PARKER_OK, p.try_result);
    assert_int_equal(PARKER_OK, p.timed_result); /* a second level of it */
    assert_int_equal(0, SYNC_BYTE(&r.private_mutex_));
    assert_int_equal(0, r.private_owner_);
}

struct re_count {
    parker_remutex_t *r;
    long *counter;
    int rounds;
};

static void *re_count_main(void *arg)
{
    struct re_count *c = arg;
    int k;
    for (k = 0; k < c->rounds; k++) {
        parker_remutex_lock(c->r);
        parker_remutex_lock(c->r);
        ++*c->counter;
        parker_remutex_unlock(c->r);
        ++*c->counter;
        parker_remutex_unlock(c->r);
    }
    return NULL;
}

static void test_remutex_mutual_exclusion(void **state)
{
    static parker_remutex_t r;
    long counter = 0;
    struct re_count c;
    pthread_t t[4];
    int i;
    (void)state;
    c.r = &r;
    c.counter = &counter;
    c.rounds = (int)(20000 / sync_slowdown());
    for (i = 0; i < 4; i++)
        t[i] = test_thread_start(re_count_main, &c);
    for (i = 0; i < 4; i++)
        test_thread_join(t[i]);
    assert_int_equal(counter, 8L * c.rounds);
}

#if !defined(_WIN32)
static parker_remutex_t death_r;

static void *lock_and_exit(void *arg)
{
    (void)arg;
    parker_remutex_lock(&death_r);
    return NULL;
}

static void unlock_by_non_owner(void)
{
    /* This thread's own per-thread object first, so that it cannot reuse
     * the memory of the exited thread's (which would make it the owner). */
    assert_non_null(parker_self());
    test_thread_join(test_thread_start(lock_and_exit, NULL));
    parker_remutex_unlock(&death_r); /* owned by the thread that exited */
}

static void unlock_unlocked(void)
{
    static parker_remutex_t r;
    parker_remutex_unlock(&r);
}
#endif

static void test_remutex_misuse_aborts(void **state)
{
    (void)state;
#if defined(_WIN32)
    skip();
#else
    expect_abort_with(unlock_by_non_owner,
                      "libparker: parker_remutex_unlock: not held by the calling thread");
    expect_abort_with(unlock_unlocked,
                      "libparker: parker_remutex_unlock: not held by the calling thread");
#endif
}

/* ------------------------------------------------------------ fair mutex */

#define FIFO_WAITERS 6

struct fifo {
    parker_fairmutex_t m;
    int order[FIFO_WAITERS + 1];
    int n;
    atomic_int barger_done;
    atomic_int barger_started;
};

struct fifo_arg {
    struct fifo *f;
    int id;
};

static void *fifo_waiter(void *arg)
{
    struct fifo_arg *a = arg;
    parker_fairmutex_lock(&a->f->m);
    a->f->order[a->f->n++] = a->id;
    parker_fairmutex_unlock(&a->f->m);
    return NULL;
}

/* Tries to take the lock all the time: a fair mutex must not let it in
 * while any thread is queued. */
static void *fifo_barger(void *arg)
{
    struct fifo *f = arg;
    atomic_store(&f->barger_started, 1);
    for (;;) {
        if (parker_fairmutex_trylock(&f->m) == PARKER_OK) {
            f->order[f->n++] = -1;
            parker_fairmutex_unlock(&f->m);
            break;
        }
        test_yield();
    }
    atomic_store(&f->barger_done, 1);
    return NULL;
}

static void test_fairmutex_strict_fifo(void **state)
{
    static struct fifo f;
    struct fifo_arg args[FIFO_WAITERS];
    pthread_t t[FIFO_WAITERS], b;
    int i;
    (void)state;
    memset(&f, 0, sizeof f);
    parker_fairmutex_lock(&f.m);
    /* Queue the waiters one at a time, so their queue order is known. */
    for (i = 0; i < FIFO_WAITERS; i++) {
        args[i].f = &f;
        args[i].id = i;
        t[i] = test_thread_start(fifo_waiter, &args[i]);
        SYNC_WAIT_UNTIL(sync_lot_waiters(&f.m) == (size_t)i + 1);
    }
    b = test_thread_start(fifo_barger, &f);
    SYNC_WAIT_UNTIL(atomic_load(&f.barger_started));
    parker_fairmutex_unlock(&f.m);
    for (i = 0; i < FIFO_WAITERS; i++)
        test_thread_join(t[i]);
    test_thread_join(b);
    assert_int_equal(FIFO_WAITERS + 1, f.n);
    for (i = 0; i < FIFO_WAITERS; i++)
        assert_int_equal(i, f.order[i]); /* queue order, nobody overtook */
    assert_int_equal(-1, f.order[FIFO_WAITERS]); /* the barger came last */
    assert_int_equal(0, SYNC_BYTE(&f.m.private_mutex_));
}

static void test_fairmutex_timed(void **state)
{
    static parker_fairmutex_t m;
    uint64_t t0;
    (void)state;
    parker_fairmutex_lock(&m);
    assert_true(parker_fairmutex_is_locked(&m));
    assert_int_equal(PARKER_AGAIN, parker_fairmutex_trylock(&m));
    t0 = parker_now_ns();
    assert_int_equal(PARKER_TIMEDOUT, parker_fairmutex_lock_timeout(&m, 10 * NS_PER_MS));
    assert_true(parker_now_ns() - t0 >= 10 * NS_PER_MS);
    assert_int_equal(PARKER_TIMEDOUT, parker_fairmutex_lock_until(&m, parker_now_ns() + NS_PER_MS));
    parker_fairmutex_unlock(&m);
    assert_false(parker_fairmutex_is_locked(&m));
}

/* ------------------------------------------------------------ bump */

struct bump {
    parker_mutex_t m;
    atomic_int ran;
};

static void *bump_waiter(void *arg)
{
    struct bump *b = arg;
    parker_mutex_lock(&b->m);
    atomic_store(&b->ran, 1);
    parker_mutex_unlock(&b->m);
    return NULL;
}

static void test_mutex_bump(void **state)
{
    static struct bump b;
    pthread_t t;
    (void)state;
    parker_mutex_lock(&b.m);
    parker_mutex_bump(&b.m); /* nobody parked: still held, nothing else */
    assert_true(parker_mutex_is_locked(&b.m));
    t = test_thread_start(bump_waiter, &b);
    SYNC_WAIT_UNTIL(sync_lot_waiters(&b.m) == 1);
    parker_mutex_bump(&b.m);
    /* The waiter had its turn before we got the mutex back. */
    assert_int_equal(1, atomic_load(&b.ran));
    assert_true(parker_mutex_is_locked(&b.m));
    parker_mutex_unlock(&b.m);
    test_thread_join(t);
    assert_int_equal(0, SYNC_BYTE(&b.m));
}

#if !defined(_WIN32)
static void bump_unlocked(void)
{
    static parker_mutex_t m;
    parker_mutex_bump(&m);
}
#endif

static void test_mutex_bump_unlocked_aborts(void **state)
{
    (void)state;
#if defined(_WIN32)
    skip();
#else
    expect_abort_with(bump_unlocked, "libparker: parker_mutex_bump: mutex is not locked");
#endif
}

/* ------------------------------------------------------------ upgradable */

static parker_uprwlock_t ul;

struct up_shared {
    parker_uprwlock_t *l;
    long version;    /* written under the write lock only */
    atomic_long broken; /* upgrades that saw a writer in between */
    atomic_long upgrades;
    atomic_int stop;
    int rounds;
};

static void *up_upgrader(void *arg)
{
    struct up_shared *s = arg;
    int k;
    for (k = 0; k < s->rounds; k++) {
        long seen;
        int r = k % 3;
        parker_uprwlock_uplock(s->l);
        seen = s->version;
        test_yield(); /* let writers and readers pile up */
        if (r == 0) {
            parker_uprwlock_upgrade(s->l);
        } else if (r == 1) {
            while (parker_uprwlock_upgrade_until(s->l, parker_now_ns() + NS_PER_US * 50) !=
                   PARKER_OK) {
                /* Still upgradable after a timeout: nothing may have changed. */
                if (s->version != seen)
                    atomic_fetch_add(&s->broken, 1);
            }
        } else {
            /* Readers overlap all the time: a few tries, then block. */
            int tries = 0;
            while (parker_uprwlock_tryupgrade(s->l) != PARKER_OK) {
                if (++tries == 50) {
                    parker_uprwlock_upgrade(s->l);
                    break;
                }
                test_yield();
            }
        }
        if (s->version != seen)
            atomic_fetch_add(&s->broken, 1);
        s->version++;
        atomic_fetch_add(&s->upgrades, 1);
        if (k % 2)
            parker_uprwlock_wrunlock(s->l);
        else {
            parker_uprwlock_downgrade_to_upgradable(s->l);
            if (s->version != seen + 1)
                atomic_fetch_add(&s->broken, 1);
            parker_uprwlock_upunlock(s->l);
        }
    }
    return NULL;
}

static void *up_writer(void *arg)
{
    struct up_shared *s = arg;
    while (!atomic_load(&s->stop)) {
        parker_uprwlock_wrlock(s->l);
        s->version++;
        parker_uprwlock_wrunlock(s->l);
    }
    return NULL;
}

static void *up_reader(void *arg)
{
    struct up_shared *s = arg;
    while (!atomic_load(&s->stop)) {
        long v;
        parker_uprwlock_rdlock(s->l);
        v = s->version;
        test_yield();
        if (v != s->version) /* nobody writes while we read */
            atomic_fetch_add(&s->broken, 1);
        parker_uprwlock_rdunlock(s->l);
    }
    return NULL;
}

static void test_upgrade_is_atomic(void **state)
{
    static struct up_shared s;
    pthread_t up[2], w[2], r[2];
    int i;
    (void)state;
    memset(&s, 0, sizeof s);
    s.l = &ul;
    s.rounds = (int)(3000 / sync_slowdown());
    for (i = 0; i < 2; i++) {
        w[i] = test_thread_start(up_writer, &s);
        r[i] = test_thread_start(up_reader, &s);
    }
    for (i = 0; i < 2; i++)
        up[i] = test_thread_start(up_upgrader, &s);
    for (i = 0; i < 2; i++)
        test_thread_join(up[i]);
    atomic_store(&s.stop, 1);
    for (i = 0; i < 2; i++) {
        test_thread_join(w[i]);
        test_thread_join(r[i]);
    }
    assert_int_equal(0, atomic_load(&s.broken));
    assert_int_equal(2L * s.rounds, atomic_load(&s.upgrades));
    assert_int_equal(0, ul.private_rw_.v);
    assert_int_equal(0, SYNC_BYTE(&ul.private_up_));
}

struct overlap {
    parker_uprwlock_t *l;
    atomic_int stop;
};

/* Two of these keep the lock read-locked at every moment (their holds
 * overlap), which is what would starve a writer without writer preference. */
static void *overlapping_reader(void *arg)
{
    struct overlap *o = arg;
    while (!atomic_load(&o->stop)) {
        parker_uprwlock_rdlock(o->l);
        test_sleep_ms(1);
        parker_uprwlock_rdunlock(o->l);
    }
    return NULL;
}

static void test_no_writer_starvation(void **state)
{
    static struct overlap o;
    pthread_t t[3];
    uint64_t t0;
    int i, k;
    (void)state;
    o.l = &ul;
    atomic_store(&o.stop, 0);
    for (i = 0; i < 3; i++)
        t[i] = test_thread_start(overlapping_reader, &o);
    test_sleep_ms(5);
    for (k = 0; k < 20; k++) {
        t0 = parker_now_ns();
        parker_uprwlock_wrlock(&ul);
        /* One reader's hold (1 ms) plus scheduling: far below the bound. */
        assert_true(parker_now_ns() - t0 < SYNC_BOUND_NS);
        parker_uprwlock_wrunlock(&ul);
        /* The same through an upgrade. */
        parker_uprwlock_uplock(&ul);
        parker_uprwlock_upgrade(&ul);
        parker_uprwlock_wrunlock(&ul);
    }
    atomic_store(&o.stop, 1);
    for (i = 0; i < 3; i++)
        test_thread_join(t[i]);
}

struct holder {
    parker_uprwlock_t *l;
    atomic_int go;
    int result;
};

static void *try_read(void *arg)
{
    struct holder *h = arg;
    h->result = parker_uprwlock_tryrdlock(h->l);
    if (h->result == PARKER_OK)
        parker_uprwlock_rdunlock(h->l);
    return NULL;
}

static void *try_up(void *arg)
{
    struct holder *h = arg;
    h->result = parker_uprwlock_tryuplock(h->l);
    if (h->result == PARKER_OK)
        parker_uprwlock_upunlock(h->l);
    return NULL;
}

static void *try_write(void *arg)
{
    struct holder *h = arg;
    h->result = parker_uprwlock_trywrlock(h->l);
    if (h->result == PARKER_OK)
        parker_uprwlock_wrunlock(h->l);
    return NULL;
}

static int other_thread(void *(*fn)(void *))
{
    struct holder h;
    h.l = &ul;
    h.result = -1;
    test_thread_join(test_thread_start(fn, &h));
    return h.result;
}

/* A plain reader in a thread of its own: one thread that holds a read lock
 * and then takes the upgradable one can deadlock against a writer (which
 * takes the upgrade mutex first), and TSan rightly reports that order. */
static atomic_int plain_reader_in;
static parker_event_t plain_reader_go;

static void *plain_reader(void *arg)
{
    (void)arg;
    parker_uprwlock_rdlock(&ul);
    atomic_store(&plain_reader_in, 1);
    assert_int_equal(PARKER_OK, parker_event_wait(&plain_reader_go, PARKER_FOREVER));
    parker_uprwlock_rdunlock(&ul);
    return NULL;
}

static void test_timed_upgrade_gives_up_cleanly(void **state)
{
    uint64_t t0;
    pthread_t reader;
    (void)state;
    atomic_store(&plain_reader_in, 0);
    parker_event_reset(&plain_reader_go);
    reader = test_thread_start(plain_reader, NULL); /* a plain reader the upgrade must wait for */
    SYNC_WAIT_UNTIL(atomic_load(&plain_reader_in));
    parker_uprwlock_uplock(&ul);
    assert_int_equal(PARKER_AGAIN, other_thread(try_up)); /* one upgradable */
    assert_int_equal(PARKER_OK, other_thread(try_read));  /* alongside readers */
    assert_int_equal(PARKER_AGAIN, other_thread(try_write));
    assert_int_equal(PARKER_AGAIN, parker_uprwlock_tryupgrade(&ul));
    t0 = parker_now_ns();
    assert_int_equal(PARKER_TIMEDOUT, parker_uprwlock_upgrade_until(&ul, t0 + 20 * NS_PER_MS));
    assert_true(parker_now_ns() - t0 >= 20 * NS_PER_MS);
    /* Still the upgradable reader, and readers are let in again. */
    assert_int_equal(PARKER_OK, other_thread(try_read));
    assert_int_equal(PARKER_AGAIN, other_thread(try_up));
    assert_int_equal(PARKER_TIMEDOUT, parker_uprwlock_upgrade_until(&ul, 0));
    assert_int_equal(PARKER_OK, other_thread(try_read));
    parker_event_set(&plain_reader_go); /* the plain read lock goes */
    test_thread_join(reader);
    assert_int_equal(PARKER_OK, parker_uprwlock_tryupgrade(&ul));
    assert_int_equal(PARKER_AGAIN, other_thread(try_read));
    parker_uprwlock_wrunlock(&ul);
    assert_int_equal(0, ul.private_rw_.v);
    assert_int_equal(0, SYNC_BYTE(&ul.private_up_));
}

static void test_downgrades(void **state)
{
    (void)state;
    /* write -> upgradable: readers in, no writer, no second upgradable. */
    parker_uprwlock_wrlock(&ul);
    assert_int_equal(PARKER_AGAIN, other_thread(try_read));
    parker_uprwlock_downgrade_to_upgradable(&ul);
    assert_int_equal(PARKER_OK, other_thread(try_read));
    assert_int_equal(PARKER_AGAIN, other_thread(try_up));
    assert_int_equal(PARKER_AGAIN, other_thread(try_write));
    /* upgradable -> plain read: another thread may be upgradable now. */
    parker_uprwlock_downgrade_upgradable(&ul);
    assert_int_equal(PARKER_OK, other_thread(try_up));
    assert_int_equal(PARKER_AGAIN, other_thread(try_write));
    parker_uprwlock_rdunlock(&ul);
    /* write -> plain read. */
    parker_uprwlock_wrlock(&ul);
    parker_uprwlock_downgrade(&ul);
    assert_int_equal(PARKER_OK, other_thread(try_read));
    assert_int_equal(PARKER_OK, other_thread(try_up));
    assert_int_equal(PARKER_AGAIN, other_thread(try_write));
    parker_uprwlock_rdunlock(&ul);
    assert_int_equal(PARKER_OK, other_thread(try_write));
    /* Timed forms on a free lock. */
    assert_int_equal(PARKER_OK, parker_uprwlock_uplock_until(&ul, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_uprwlock_wrlock_until(&ul, parker_now_ns() + NS_PER_MS));
    assert_int_equal(PARKER_OK, parker_uprwlock_rdlock_until(&ul, 0));
    parker_uprwlock_rdunlock(&ul);
    parker_uprwlock_upunlock(&ul);
    assert_int_equal(0, ul.private_rw_.v);
    assert_int_equal(0, SYNC_BYTE(&ul.private_up_));
}

#if !defined(_WIN32)
static void upunlock_not_held(void)
{
    static parker_uprwlock_t l;
    parker_uprwlock_upunlock(&l);
}
static void upgrade_not_held(void)
{
    static parker_uprwlock_t l;
    parker_uprwlock_upgrade(&l);
}
#endif

static void test_upgradable_misuse_aborts(void **state)
{
    (void)state;
#if defined(_WIN32)
    skip();
#else
    expect_abort_with(upunlock_not_held,
                      "libparker: parker_uprwlock_upunlock: no upgradable read lock is held");
    expect_abort_with(upgrade_not_held,
                      "libparker: parker_uprwlock_upgrade: no upgradable read lock is held");
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remutex_size_and_zero),
        cmocka_unit_test(test_remutex_depth),
        cmocka_unit_test(test_remutex_mutual_exclusion),
        cmocka_unit_test(test_remutex_misuse_aborts),
        cmocka_unit_test(test_fairmutex_strict_fifo),
        cmocka_unit_test(test_fairmutex_timed),
        cmocka_unit_test(test_mutex_bump),
        cmocka_unit_test(test_mutex_bump_unlocked_aborts),
        cmocka_unit_test(test_upgrade_is_atomic),
        cmocka_unit_test(test_no_writer_starvation),
        cmocka_unit_test(test_timed_upgrade_gives_up_cleanly),
        cmocka_unit_test(test_downgrades),
        cmocka_unit_test(test_upgradable_misuse_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
