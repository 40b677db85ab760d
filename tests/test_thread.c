/*
 * test_thread.c - each thread's own parker and its counted references.
 */
#include "common.h"

#include <stdatomic.h>

static void test_self_is_stable_and_usable(void **state)
{
    parker_t *a = parker_self();
    parker_t *b = parker_self();
    parker_thread_t *ref = parker_thread_self();
    (void)state;
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_non_null(ref);
    assert_ptr_equal(a, parker_thread_parker(ref));
    parker_thread_unpark(ref);
    assert_int_equal(PARKER_OK, parker_park_timeout(a, 0));
    assert_int_equal(PARKER_TIMEDOUT, parker_park_timeout(a, 0));
    parker_thread_release(ref);
    parker_thread_release(NULL);
}

/* retain and release agree on NULL: both pass it through, neither aborts
 * (retain(parker_thread_self()) needs no check of its own). */
static void test_retain_and_release_accept_null(void **state)
{
    parker_thread_t *ref;
    (void)state;
    assert_null(parker_thread_retain(NULL));
    parker_thread_release(NULL);
    ref = parker_thread_retain(parker_thread_self());
    assert_non_null(ref);
    assert_ptr_equal(parker_self(), parker_thread_parker(ref));
    parker_thread_release(ref);
    parker_thread_release(ref); /* one for thread_self, one for retain */
}

struct publish {
    parker_thread_t *_Atomic ref;
    parker_t *_Atomic self;
    atomic_long tid;
};

static void *publish_self_and_park(void *arg)
{
    struct publish *pub = (struct publish *)arg;
    atomic_store(&pub->self, parker_self());
    atomic_store(&pub->tid, test_gettid() ? test_gettid() : 1);
    atomic_store(&pub->ref, parker_thread_self());
    parker_park(parker_self());
    return NULL;
}

static void test_unpark_through_reference_wakes_thread(void **state)
{
    struct publish pub;
    pthread_t t;
    parker_thread_t *ref;
    (void)state;
    memset(&pub, 0, sizeof pub);
    t = test_thread_start(publish_self_and_park, &pub);
    while ((ref = atomic_load(&pub.ref)) == NULL)
        test_yield();
    assert_ptr_not_equal(parker_self(), atomic_load(&pub.self));
    test_wait_blocked(atomic_load(&pub.tid));
    parker_thread_unpark(ref);
    test_thread_join(t); /* hangs (ctest timeout) if the unpark was lost */
    parker_thread_release(ref);
}

static void *publish_self_and_exit(void *arg)
{
    struct publish *pub = (struct publish *)arg;
    atomic_store(&pub->ref, parker_thread_self());
    return NULL;
}

static void test_unpark_after_thread_exit_is_safe(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < 200; i++) {
        struct publish pub;
        pthread_t t;
        parker_thread_t *ref, *extra;
        memset(&pub, 0, sizeof pub);
        t = test_thread_start(publish_self_and_exit, &pub);
        test_thread_join(t);
        ref = atomic_load(&pub.ref);
        assert_non_null(ref);
        extra = parker_thread_retain(ref);
        assert_ptr_equal(ref, extra);
        /* The thread is gone; its own reference was dropped at exit.  These
         * must touch live memory (ASan) and only set a token. */
        parker_thread_unpark(ref);
        parker_thread_release(ref);
        parker_thread_unpark(extra);
        assert_int_equal(PARKER_OK, parker_park_timeout(parker_thread_parker(extra), 0));
        parker_thread_release(extra); /* last reference: freed (LSan checks) */
    }
}

/* Unparks racing the thread's exit: the thread's own reference is dropped
 * by its TLS destructor while another thread is inside parker_thread_unpark
 * through its own reference.  ASan catches a touch of freed memory; the
 * final reference count must free the parker exactly once (LSan). */
struct exit_race {
    parker_thread_t *_Atomic ref;
    atomic_int go;
};

static void *publish_and_exit_at_once(void *arg)
{
    struct exit_race *r = (struct exit_race *)arg;
    atomic_store(&r->ref, parker_thread_self());
    while (!atomic_load(&r->go))
        test_yield();
    return NULL; /* exits while the main thread unparks */
}

static void test_thread_exit_while_being_unparked(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < 300; i++) {
        struct exit_race r;
        pthread_t t;
        parker_thread_t *ref;
        int n;
        memset(&r, 0, sizeof r);
        t = test_thread_start(publish_and_exit_at_once, &r);
        while ((ref = atomic_load(&r.ref)) == NULL)
            test_yield();
        atomic_store(&r.go, 1);
        for (n = 0; n < 2000; n++)
            parker_thread_unpark(ref);
        test_thread_join(t);
        parker_thread_unpark(ref);
        assert_int_equal(PARKER_OK, parker_park_timeout(parker_thread_parker(ref), 0));
        parker_thread_release(ref);
    }
}

/* A thread-local destructor that runs at thread exit and uses the API. */
static pthread_key_t late_key;
static atomic_int late_ok;

static void late_destructor(void *value)
{
    parker_t *self = parker_self();
    parker_thread_t *ref = parker_thread_self();
    (void)value;
    if (self != NULL && ref != NULL && parker_thread_parker(ref) == self) {
        parker_thread_unpark(ref);
        if (parker_park_timeout(self, 0) == PARKER_OK)
            atomic_fetch_add(&late_ok, 1);
    }
    parker_thread_release(ref);
}

static void *use_then_exit(void *arg)
{
    (void)arg;
    pthread_setspecific(late_key, (void *)1);
    /* Our TLS slot exists before the test's key in some threads and not in
     * others; both orders must work. */
    if (((uintptr_t)arg & 1u) != 0)
        (void)parker_self();
    return NULL;
}

static void test_api_works_from_thread_exit_destructor(void **state)
{
    int i;
    (void)state;
    assert_int_equal(0, pthread_key_create(&late_key, late_destructor));
    atomic_store(&late_ok, 0);
    for (i = 0; i < 20; i++) {
        pthread_t t = test_thread_start(use_then_exit, (void *)(uintptr_t)i);
        test_thread_join(t);
    }
    assert_int_equal(20, atomic_load(&late_ok));
    pthread_key_delete(late_key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_self_is_stable_and_usable),
        cmocka_unit_test(test_retain_and_release_accept_null),
        cmocka_unit_test(test_unpark_through_reference_wakes_thread),
        cmocka_unit_test(test_unpark_after_thread_exit_is_safe),
        cmocka_unit_test(test_thread_exit_while_being_unparked),
        cmocka_unit_test(test_api_works_from_thread_exit_destructor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
