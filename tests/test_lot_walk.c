/*
 * test_lot_walk.c - parker_lot_walk (parker_lot.h, "Introspection"): K
 * threads parked on known addresses are each reported once, with their
 * park_arg and a wait time that matches the clock; none is reported after
 * it has been woken; a walk that stops early stops.
 */
#include "common.h"

#include "parker_lot.h"

#include <stdatomic.h>

#define K 6
#define BOUND_NS (20000 * NS_PER_MS)
#define NAP_MS 30

static _Alignas(8) uint32_t words[K]; /* the addresses: one a thread */
static uint64_t t_spawn;              /* parker_now_ns() before any park */
static atomic_int woken;

static void *parked_thread(void *arg)
{
    size_t i = (size_t)(uintptr_t)arg;
    uint32_t zero = 0;
    /* park_arg: the thread's number + 1 (never NULL), to check the copy. */
    while (parker_lot_park(&words[i], &zero, sizeof zero, PARKER_FOREVER,
                           (void *)(uintptr_t)(i + 1)) != PARKER_OK) {
    }
    atomic_fetch_add(&woken, 1);
    return NULL;
}

struct seen {
    int count[K];
    int foreign;       /* other addresses (none in this program) */
    int bad_arg;       /* park_arg not the thread's */
    int bad_time;      /* wait began before the threads existed, or after now */
    uint64_t min_waited_ns;
    uint64_t now;
};

static int record(void *arg, const parker_lot_waiter_info_t *info)
{
    struct seen *s = (struct seen *)arg;
    size_t i;
    for (i = 0; i < K; i++)
        if (info->address == (const void *)&words[i])
            break;
    if (i == K) {
        s->foreign++;
        return 0;
    }
    s->count[i]++;
    if (info->park_arg != (void *)(uintptr_t)(i + 1))
        s->bad_arg++;
    if (info->parker == NULL || info->wait_since_ns < t_spawn || info->wait_since_ns > s->now ||
        info->waited_ns > s->now - t_spawn + BOUND_NS)
        s->bad_time++;
    if (info->waited_ns < s->min_waited_ns)
        s->min_waited_ns = info->waited_ns;
    return 0;
}

static size_t walk(struct seen *s)
{
    memset(s, 0, sizeof *s);
    s->min_waited_ns = UINT64_MAX;
    s->now = parker_now_ns();
    return parker_lot_walk(record, s);
}

static int all_parked(struct seen *s)
{
    size_t i;
    walk(s);
    for (i = 0; i < K; i++)
        if (s->count[i] != 1)
            return 0;
    return 1;
}

static int stop_at_first(void *arg, const parker_lot_waiter_info_t *info)
{
    (void)info;
    ++*(int *)arg;
    return 1;
}

static void test_parked_threads_are_reported_then_not_after_waking(void **state)
{
    pthread_t t[K];
    struct seen s;
    size_t i;
    uint64_t t0;
    int calls = 0;
    (void)state;

    t_spawn = parker_now_ns();
    for (i = 0; i < K; i++)
        t[i] = test_thread_start(parked_thread, (void *)(uintptr_t)i);
    t0 = parker_now_ns();
    while (!all_parked(&s)) {
        if (parker_now_ns() - t0 > BOUND_NS)
            fail_msg("%s", "not every parked thread was reported");
        test_yield();
    }
    /* They stay parked: a walk after a nap sees the nap in their times. */
    test_sleep_ms(NAP_MS);
    assert_int_equal(walk(&s), K);
    for (i = 0; i < K; i++)
        assert_int_equal(s.count[i], 1);
    assert_int_equal(s.foreign, 0);
    assert_int_equal(s.bad_arg, 0);
    assert_int_equal(s.bad_time, 0);
    assert_true(s.min_waited_ns >= NAP_MS * NS_PER_MS);

    /* A callback that returns nonzero ends the walk. */
    assert_int_equal(parker_lot_walk(stop_at_first, &calls), 1);
    assert_int_equal(calls, 1);

    /* Wake them one by one: each woken one disappears from the walk. */
    for (i = 0; i < K; i++) {
        size_t j;
        assert_int_equal(parker_lot_unpark_one(&words[i], NULL, NULL), 1);
        assert_int_equal(walk(&s), K - 1 - i);
        for (j = 0; j <= i; j++)
            assert_int_equal(s.count[j], 0);
    }
    for (i = 0; i < K; i++)
        test_thread_join(t[i]);
    assert_int_equal(atomic_load(&woken), K);
    assert_int_equal(walk(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parked_threads_are_reported_then_not_after_waking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
