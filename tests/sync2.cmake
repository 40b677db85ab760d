# Tests of the second set of sync objects (issue 12): rwlock, semaphore,
# wait group and barrier.  Included by tests/CMakeLists.txt.
parker_add_test(test_sync_rwlock test_sync_rwlock.c)
parker_add_test(test_sync_sem test_sync_sem.c)
parker_add_test(test_sync_waitgroup test_sync_waitgroup.c)
