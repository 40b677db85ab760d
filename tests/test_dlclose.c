/*
 * test_dlclose.c - dlclose of libparker while a thread that used
 * parker_self() is alive (parker.h, "Unloading").  The library is linked
 * with -z nodelete, so dlclose leaves it mapped and the thread's exit (which
 * runs libparker's pthread key destructor) is safe.  A library that did get
 * unloaded makes the thread's exit jump into unmapped code.
 *
 * The module is libparker's own sources linked the way the shared library
 * is (tests/CMakeLists.txt); this program does not use its own copy.
 */
#include "common.h"

#include <dlfcn.h>
#include <stdatomic.h>

typedef parker_t *(*self_fn)(void);
typedef void (*unpark_fn)(parker_t *);
typedef void (*park_fn)(parker_t *);

struct user {
    self_fn self;
    park_fn park;
    parker_t *_Atomic mine;
};

static void *user_main(void *arg)
{
    struct user *u = (struct user *)arg;
    parker_t *p = u->self(); /* registers the module's key destructor */
    atomic_store(&u->mine, p);
    u->park(p); /* until main has dlclosed the module */
    return NULL; /* thread exit: the module's destructor runs */
}

static void test_dlclose_keeps_library_while_its_threads_live(void **state)
{
    struct user u;
    unpark_fn unpark;
    void *h, *again, *sym;
    pthread_t t;
    (void)state;
    memset(&u, 0, sizeof u);
    h = dlopen(PARKER_TEST_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        fail_msg("dlopen: %s", dlerror());
    /* POSIX guarantees a data pointer from dlsym converts to a function
     * pointer; memcpy says so without a cast ISO C forbids. */
    sym = dlsym(h, "parker_self");
    memcpy(&u.self, &sym, sizeof sym);
    sym = dlsym(h, "parker_park");
    memcpy(&u.park, &sym, sizeof sym);
    sym = dlsym(h, "parker_unpark");
    memcpy(&unpark, &sym, sizeof sym);
    assert_non_null(u.self);
    assert_non_null(u.park);
    assert_non_null(unpark);
    t = test_thread_start(user_main, &u);
    while (atomic_load(&u.mine) == NULL)
        test_yield();
    assert_int_equal(0, dlclose(h));
    /* Still mapped: RTLD_NOLOAD finds it (and takes a reference we drop). */
    again = dlopen(PARKER_TEST_MODULE, RTLD_NOW | RTLD_NOLOAD);
    if (again == NULL)
        fail_msg("dlclose unloaded libparker while a thread that used parker_self() lives");
    dlclose(again);
    unpark(atomic_load(&u.mine));
    test_thread_join(t); /* the exit ran the destructor in mapped code */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dlclose_keeps_library_while_its_threads_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
