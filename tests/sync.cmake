# The sync objects' tests (parker_sync.h), one program per object, and the
# fork test (POSIX only).  Included by tests/CMakeLists.txt.
parker_add_test(test_sync_mutex test_sync_mutex.c)
parker_add_test(test_sync_cond test_sync_cond.c)
parker_add_test(test_sync_once test_sync_once.c)
parker_add_test(test_sync_event test_sync_event.c)
if(NOT WIN32)
  parker_add_test(test_sync_fork test_sync_fork.c)
endif()
