/*
 * test_lot_diff.c - randomized differential test of the parking lot
 * against a reference model of per-address FIFO queues.
 *
 * The program links a copy of the library whose table has only
 * 2^PARKER_TEST_LOT_BUCKET_BITS buckets (tests/lot_diff.cmake), so that the
 * sixteen addresses used here crowd into two buckets: every bucket holds the
 * queues of several addresses, more than its in-line slots take, and each
 * operation has to find the right one among them (the slots and the treap
 * of src/lot.c, with promotions, removals and requeues between and within
 * buckets).
 *
 * Two controller threads each own eight addresses and twelve worker threads.
 * A controller picks random operations: tell an idle worker to park (with
 * no deadline, a short one, or one already past; its validate sometimes
 * refuses), unpark_one, unpark_one_ex, unpark_all, unpark_all_ex,
 * unpark_filter (random verdicts), requeue and requeue_ex (random counts,
 * random source and target, also the same address).  Parked workers time
 * out on their own, concurrently with everything else.
 *
 * The model (one FIFO of workers per address) is updated at each
 * operation's linearisation point, which is under the lot's bucket lock:
 * in validate (enqueue), in timed_out (leave), in the unpark, filter and
 * requeue callbacks (which also check what the lot reports against it:
 * who is taken, in what order, have_more_waiters, the counts).  unpark_all
 * has no callback: the controller updates the model right after the call,
 * which is exact because only this controller parks on its addresses and a
 * waiter that unpark_all claimed can no longer time out.  Each worker then
 * checks its park's result against the model: PARKER_OK exactly if the
 * model woke it, with the token of the operation that did, PARKER_TIMEDOUT
 * exactly if its timed_out ran, PARKER_AGAIN exactly if validate refused.
 *
 * PARKER_TEST_SEED=<n> repeats a run (the interleaving is the OS's, so a
 * seed repeats the operations, not the races).
 */
#include "common.h"

#include "parker_lot.h"

#include <inttypes.h>

#define NCTL 2
#define NADDR 8
#define NWORK 12

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* Checks run in every thread, under lot locks too: print and abort rather
 * than longjmp out of the library. */
#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "test_lot_diff: %s:%d: check failed: %s (seed %" PRIu64 ")\n", \
                    __FILE__, __LINE__, #cond, seed);                                       \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

static uint64_t seed;

enum mstate { M_IDLE, M_QUEUED, M_WOKEN, M_TIMEDOUT, M_AGAIN };

struct ctl;

struct worker {
    struct ctl *c;
    int id;
    pthread_t thread;
    /* The command, written by the controller before it bumps cmd. */
    unsigned cmd;     /* atomic: generation; the worker parks once per bump */
    int stop;         /* atomic */
    int addr;         /* the address to park on */
    uint64_t deadline;
    int agree;        /* what validate returns */
    int validated;    /* atomic: validate has run for the current command */
    int done;         /* atomic: the park has returned; result and token set */
    int result;
    uintptr_t token;
    /* The model's view of this worker, written under the lot's lock of the
     * bucket of the address concerned (or by the controller after
     * unpark_all, see the top). */
    enum mstate mstate;
    int maddr;
    uintptr_t mtoken;
    int tocalls;
};

struct ctl {
    int id;
    uint64_t rng;
    uint32_t words[NADDR]; /* the addresses: keys only (park_ex) */
    int q[NADDR][NWORK];   /* the model: a FIFO of worker ids per address */
    int qlen[NADDR];
    struct worker w[NWORK];
    uintptr_t next_token;
    /* the operation in progress, for its callbacks */
    int op_addr, op_to;
    uintptr_t op_token;
    size_t op_taken;
    void *op_first;
    int filter_stopped;
    size_t op_max_wake, op_max_requeue; /* plain requeue */
    int requeue_op;                     /* requeue_ex's validate result */
    int active[NWORK]; /* the controller's own: a park was started and not collected */
    /* counts */
    unsigned long ops, parks, agains, oks, timeouts, model_wakes, model_timeouts;
};

static struct ctl ctls[NCTL];

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static unsigned rnd(struct ctl *c, unsigned n)
{
    return (unsigned)(rng_next(&c->rng) % n);
}

static int addr_index(struct ctl *c, const void *address)
{
    int i;
    for (i = 0; i < NADDR; i++)
        if (address == (const void *)&c->words[i])
            return i;
    return -1;
}

/* ---- model operations (under the bucket lock of the address) ---------- */
static struct worker *model_pop(struct ctl *c, int a)
{
    struct worker *w;
    int k;
    CHECK(c->qlen[a] > 0);
    w = &c->w[c->q[a][0]];
    for (k = 1; k < c->qlen[a]; k++)
        c->q[a][k - 1] = c->q[a][k];
    c->qlen[a]--;
    return w;
}

static void model_remove(struct ctl *c, int a, int id)
{
    int k, found = -1;
    for (k = 0; k < c->qlen[a]; k++)
        if (c->q[a][k] == id)
            found = k;
    CHECK(found >= 0);
    for (k = found + 1; k < c->qlen[a]; k++)
        c->q[a][k - 1] = c->q[a][k];
    c->qlen[a]--;
}

static void model_wake(struct ctl *c, struct worker *w, uintptr_t token)
{
    CHECK(w->mstate == M_QUEUED);
    w->mstate = M_WOKEN;
    w->mtoken = token;
    c->model_wakes++;
}

/* ---- the worker ---------------------------------------------------------- */
static int w_validate(void *arg)
{
    struct worker *w = (struct worker *)arg;
    struct ctl *c = w->c;
    CHECK(w->mstate == M_IDLE);
    if (w->agree) {
        c->q[w->addr][c->qlen[w->addr]++] = w->id;
        w->mstate = M_QUEUED;
        w->maddr = w->addr;
    } else {
        w->mstate = M_AGAIN;
    }
    STORE(&w->validated, 1);
    return w->agree;
}

static void w_timed_out(void *arg, const void *address, int was_last_waiter)
{
    struct worker *w = (struct worker *)arg;
    struct ctl *c = w->c;
    int a = addr_index(c, address);
    CHECK(a >= 0);
    CHECK(w->mstate == M_QUEUED);
    CHECK(w->maddr == a);
    model_remove(c, a, w->id);
    CHECK(was_last_waiter == (c->qlen[a] == 0));
    w->mstate = M_TIMEDOUT;
    w->tocalls++;
    /* Workers time out under different buckets' locks: atomic. */
    __atomic_fetch_add(&c->model_timeouts, 1ul, __ATOMIC_RELAXED);
}

static void *worker_main(void *arg)
{
    struct worker *w = (struct worker *)arg;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        while ((g = LOAD(&w->cmd)) == seen) {
            if (LOAD(&w->stop))
                return NULL;
            test_yield();
        }
        seen = g;
        w->token = 0xdead;
        w->result = parker_lot_park_ex(&w->c->words[w->addr], w_validate, NULL, w_timed_out, w,
                                       w->deadline, w, 0, &w->token);
        STORE(&w->done, 1);
    }
}

/* ---- the controller ------------------------------------------------------ */

/* Check the result of a worker whose park returned, against the model, and
 * make it idle again. */
static void collect(struct ctl *c, struct worker *w)
{
    switch (w->result) {
    case PARKER_OK:
        CHECK(w->mstate == M_WOKEN);
        CHECK(w->token == w->mtoken);
        CHECK(w->tocalls == 0);
        c->oks++;
        break;
    case PARKER_TIMEDOUT:
        CHECK(w->mstate == M_TIMEDOUT);
        CHECK(w->tocalls == 1);
        CHECK(w->token == 0xdead); /* untouched */
        c->timeouts++;
        break;
    case PARKER_AGAIN:
        CHECK(w->mstate == M_AGAIN);
        CHECK(w->tocalls == 0);
        c->agains++;
        break;
    default:
        CHECK(!"unexpected park result");
    }
    w->mstate = M_IDLE;
    w->tocalls = 0;
    c->active[w->id] = 0;
    STORE(&w->done, 0);
}

static void collect_done(struct ctl *c)
{
    int i;
    for (i = 0; i < NWORK; i++)
        if (LOAD(&c->w[i].done))
            collect(c, &c->w[i]);
}

static uintptr_t new_token(struct ctl *c)
{
    return ((uintptr_t)c->id << 24) + ++c->next_token;
}

static void plain_unpark_cb(void *arg, void *park_arg, int has_more_waiters)
{
    struct ctl *c = (struct ctl *)arg;
    int a = c->op_addr;
    if (c->qlen[a] == 0) {
        CHECK(park_arg == NULL);
        CHECK(!has_more_waiters);
        c->op_taken = 0;
        return;
    }
    CHECK(park_arg == (void *)&c->w[c->q[a][0]]);
    model_wake(c, model_pop(c, a), 0);
    CHECK(has_more_waiters == (c->qlen[a] > 0));
    c->op_taken = 1;
}

static uintptr_t ex_unpark_cb(void *arg, const parker_lot_unpark_result_t *r)
{
    struct ctl *c = (struct ctl *)arg;
    int a = c->op_addr;
    CHECK(r->requeued == 0);
    if (c->qlen[a] == 0) {
        CHECK(r->unparked == 0);
        CHECK(r->park_arg == NULL);
        CHECK(!r->have_more_waiters);
        c->op_taken = 0;
        return c->op_token;
    }
    CHECK(r->unparked == 1);
    CHECK(r->park_arg == (void *)&c->w[c->q[a][0]]);
    model_wake(c, model_pop(c, a), c->op_token);
    CHECK(r->have_more_waiters == (c->qlen[a] > 0));
    c->op_taken = 1;
    return c->op_token;
}

/* The filter sees the waiters of the address oldest first: the model's
 * order, less the ones it already took. */
static int filter_cb(void *arg, void *park_arg)
{
    struct ctl *c = (struct ctl *)arg;
    int a = c->op_addr, k, pos = -1;
    unsigned v = rnd(c, 20);
    struct worker *w = (struct worker *)park_arg;
    CHECK(!c->filter_stopped);
    for (k = 0; k < c->qlen[a]; k++)
        if (&c->w[c->q[a][k]] == w)
            pos = k;
    /* Position in the model: the skipped ones so far stay in front. */
    CHECK(pos == (int)c->op_to);
    if (v < 10) {
        model_remove(c, a, w->id);
        model_wake(c, w, c->op_token);
        if (c->op_taken++ == 0)
            c->op_first = w;
        return PARKER_LOT_FILTER_UNPARK;
    }
    if (v < 17) {
        c->op_to++; /* skipped: the next one is one further back */
        return PARKER_LOT_FILTER_SKIP;
    }
    c->filter_stopped = 1;
    return PARKER_LOT_FILTER_STOP;
}

static uintptr_t filter_fn(void *arg, const parker_lot_unpark_result_t *r)
{
    struct ctl *c = (struct ctl *)arg;
    CHECK(r->unparked == c->op_taken);
    CHECK(r->requeued == 0);
    CHECK(r->park_arg == c->op_first);
    CHECK(r->have_more_waiters == (c->qlen[c->op_addr] > 0));
    return c->op_token;
}

/* Requeue in the model: wake up to max_wake from `from`, then move up to
 * max_requeue to the tail of `to`.  Returns the first woken, or NULL. */
static struct worker *model_requeue(struct ctl *c, int from, int to, size_t max_wake,
                                    size_t max_requeue, uintptr_t token, size_t *woken,
                                    size_t *moved)
{
    struct worker *first = NULL;
    int tmp[NWORK], n = 0, k;
    *woken = 0;
    *moved = 0;
    while (*woken < max_wake && c->qlen[from] > 0) {
        struct worker *w = model_pop(c, from);
        model_wake(c, w, token);
        if (first == NULL)
            first = w;
        ++*woken;
    }
    while (*moved < max_requeue && c->qlen[from] > 0) {
        tmp[n++] = model_pop(c, from)->id;
        ++*moved;
    }
    for (k = 0; k < n; k++) {
        c->q[to][c->qlen[to]++] = tmp[k];
        c->w[tmp[k]].maddr = to;
    }
    return first;
}

static void requeue_cb(void *arg, size_t woken, size_t requeued)
{
    struct ctl *c = (struct ctl *)arg;
    size_t w, m;
    (void)model_requeue(c, c->op_addr, c->op_to, c->op_max_wake, c->op_max_requeue, 0, &w, &m);
    CHECK(woken == w);
    CHECK(requeued == m);
    c->op_taken = w;
}

static int requeue_validate(void *arg)
{
    return ((struct ctl *)arg)->requeue_op;
}

static uintptr_t requeue_ex_cb(void *arg, const parker_lot_unpark_result_t *r)
{
    struct ctl *c = (struct ctl *)arg;
    size_t w, m, mw = 0, mr = 0;
    struct worker *first;
    switch (c->requeue_op) {
    case PARKER_LOT_REQUEUE_UNPARK_ONE_REQUEUE_REST: mw = 1; mr = SIZE_MAX; break;
    case PARKER_LOT_REQUEUE_ALL: mw = 0; mr = SIZE_MAX; break;
    case PARKER_LOT_REQUEUE_UNPARK_ONE: mw = 1; mr = 0; break;
    case PARKER_LOT_REQUEUE_ONE: mw = 0; mr = 1; break;
    default: CHECK(!"fn called after ABORT");
    }
    first = model_requeue(c, c->op_addr, c->op_to, mw, mr, c->op_token, &w, &m);
    CHECK(r->unparked == w);
    CHECK(r->requeued == m);
    CHECK(r->park_arg == (void *)first);
    CHECK(r->have_more_waiters == (c->qlen[c->op_addr] > 0));
    c->op_taken = w;
    return c->op_token;
}

static void start_park(struct ctl *c, struct worker *w)
{
    unsigned kind = rnd(c, 20);
    w->addr = (int)rnd(c, NADDR);
    w->agree = rnd(c, 10) != 0;
    if (kind < 9)
        w->deadline = PARKER_FOREVER;
    else if (kind < 10)
        w->deadline = 0; /* already past: validate, timed_out, never queued */
    else
        w->deadline = parker_now_ns() + 50u * NS_PER_US + rnd(c, 3000) * NS_PER_US;
    c->active[w->id] = 1;
    STORE(&w->validated, 0);
    STORE(&w->cmd, LOAD(&w->cmd) + 1u);
    /* Wait until it is queued (or refused), so that the model's queue has
     * it before the next operation: the controller owns the order of its
     * own addresses. */
    while (!LOAD(&w->validated))
        test_yield();
    c->parks++;
}

static void one_op(struct ctl *c)
{
    unsigned op = rnd(c, 100);
    int a = (int)rnd(c, NADDR);
    c->op_addr = a;
    c->op_taken = 0;
    c->ops++;

    if (op < 40) {
        int i, start = (int)rnd(c, NWORK);
        for (i = 0; i < NWORK; i++) {
            struct worker *w = &c->w[(start + i) % NWORK];
            if (!c->active[w->id]) {
                start_park(c, w);
                return;
            }
        }
        return; /* nobody idle: fall through to another operation next time */
    } else if (op < 52) {
        int r = parker_lot_unpark_one(&c->words[a], plain_unpark_cb, c);
        CHECK((size_t)r == c->op_taken);
    } else if (op < 64) {
        int r;
        c->op_token = new_token(c);
        r = parker_lot_unpark_one_ex(&c->words[a], ex_unpark_cb, c);
        CHECK((size_t)r == c->op_taken);
    } else if (op < 70) {
        uintptr_t token = rnd(c, 2) ? new_token(c) : 0;
        size_t n = token ? parker_lot_unpark_all_ex(&c->words[a], token)
                         : parker_lot_unpark_all(&c->words[a]);
        /* Exact: see the top of the file. */
        CHECK(n == (size_t)c->qlen[a]);
        while (c->qlen[a] > 0)
            model_wake(c, model_pop(c, a), token);
    } else if (op < 80) {
        size_t n;
        c->op_token = new_token(c);
        c->op_to = 0;
        c->op_first = NULL;
        c->filter_stopped = 0;
        n = parker_lot_unpark_filter(&c->words[a], filter_cb, filter_fn, c);
        CHECK(n == c->op_taken);
    } else if (op < 90) {
        size_t moved = 0, n;
        size_t mw = rnd(c, 3), mr = rnd(c, 4) == 0 ? SIZE_MAX : rnd(c, 4);
        c->op_to = (int)rnd(c, NADDR);
        c->op_max_wake = mw;
        c->op_max_requeue = mr;
        n = parker_lot_requeue(&c->words[a], &c->words[c->op_to], mw, mr, requeue_cb, c, &moved);
        CHECK(n == c->op_taken);
    } else {
        size_t moved = 0, n;
        int rop = (int)rnd(c, 5);
        c->op_to = (int)rnd(c, NADDR);
        c->op_token = new_token(c);
        c->requeue_op = rop;
        n = parker_lot_requeue_ex(&c->words[a], &c->words[c->op_to], requeue_validate,
                                  requeue_ex_cb, c, &moved);
        CHECK(n == c->op_taken);
        if (rop == PARKER_LOT_REQUEUE_ABORT)
            CHECK(moved == 0 && n == 0);
    }
}

static unsigned long n_ops;

static void *ctl_main(void *arg)
{
    struct ctl *c = (struct ctl *)arg;
    unsigned long i;
    int a, k, busy;
    for (i = 0; i < n_ops; i++) {
        collect_done(c);
        one_op(c);
        if (rnd(c, 64) == 0)
            test_sleep_ms(1); /* let deadlines pass */
    }
    /* Drain: wake everybody still queued, collect every result. */
    do {
        for (a = 0; a < NADDR; a++) {
            size_t n = parker_lot_unpark_all(&c->words[a]);
            CHECK(n == (size_t)c->qlen[a]);
            while (c->qlen[a] > 0)
                model_wake(c, model_pop(c, a), 0);
        }
        collect_done(c);
        busy = 0;
        for (k = 0; k < NWORK; k++)
            if (c->active[k])
                busy = 1;
        if (busy)
            test_yield();
    } while (busy);
    return NULL;
}

static void test_differential(void **state)
{
    pthread_t t[NCTL];
    int i, k;
    unsigned long total_ops = 0, total_parks = 0, total_ok = 0, total_to = 0, total_again = 0;
    (void)state;
    n_ops = test_emulator() != NULL || getenv("PARKER_TEST_VALGRIND") != NULL ? 3000 : 40000;
    memset(ctls, 0, sizeof ctls);
    for (i = 0; i < NCTL; i++) {
        struct ctl *c = &ctls[i];
        c->id = i;
        c->rng = seed + (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15);
        if (c->rng == 0)
            c->rng = 1;
        for (k = 0; k < NWORK; k++) {
            c->w[k].c = c;
            c->w[k].id = k;
            c->w[k].thread = test_thread_start(worker_main, &c->w[k]);
        }
    }
    for (i = 0; i < NCTL; i++)
        t[i] = test_thread_start(ctl_main, &ctls[i]);
    for (i = 0; i < NCTL; i++)
        test_thread_join(t[i]);
    for (i = 0; i < NCTL; i++) {
        struct ctl *c = &ctls[i];
        for (k = 0; k < NWORK; k++)
            STORE(&c->w[k].stop, 1);
        for (k = 0; k < NWORK; k++)
            test_thread_join(c->w[k].thread);
        /* Every wake and every timeout the model saw is one result. */
        assert_int_equal(c->model_wakes, c->oks);
        assert_int_equal(LOAD(&c->model_timeouts), c->timeouts);
        assert_int_equal(c->parks, c->oks + c->timeouts + c->agains);
        total_ops += c->ops;
        total_parks += c->parks;
        total_ok += c->oks;
        total_to += c->timeouts;
        total_again += c->agains;
    }
    print_message("%lu operations, %lu parks: %lu woken, %lu timed out, %lu refused\n",
                  total_ops, total_parks, total_ok, total_to, total_again);
    assert_true(total_ok > 0 && total_to > 0 && total_again > 0);
}

int main(void)
{
    const char *env = getenv("PARKER_TEST_SEED");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential),
    };
    seed = env != NULL ? strtoull(env, NULL, 0) : parker_now_ns() ^ UINT64_C(0x9E3779B97F4A7C15);
    if (seed == 0)
        seed = 1;
    printf("test_lot_diff: PARKER_TEST_SEED=%" PRIu64 " buckets=%u\n", seed,
           1u << PARKER_TEST_LOT_BUCKET_BITS);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
