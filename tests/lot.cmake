# The parking lot's tests (included by tests/CMakeLists.txt).  test_lot.c
# includes the private src/lot_hash.h to pick addresses that share a bucket.
parker_add_test(test_lot test_lot.c)
target_include_directories(test_lot PRIVATE ${PROJECT_SOURCE_DIR}/src)
# The extended calls for building locks (tokens, be_fair, timed_out, filter,
# requeue_ex).
parker_add_test(test_lot_ex test_lot_ex.c)
# parker_lot_walk: who is parked where.
parker_add_test(test_lot_walk test_lot_walk.c)
target_include_directories(test_lot_ex PRIVATE ${PROJECT_SOURCE_DIR}/src)
# fork racing the lot's first call, and atfork handlers that use the lot
# (processes whose first lot call is still to come; POSIX only).
if(NOT WIN32)
  parker_add_test(test_lot_fork test_lot_fork.c)
  target_include_directories(test_lot_fork PRIVATE ${PROJECT_SOURCE_DIR}/src)
  if(PARKER_SANITIZER STREQUAL "thread")
    # A grandchild forked while its parent's thread runs (or has finished
    # but is not joined yet) can never join that thread: TSan would call it
    # a leak when the grandchild exits and fail its exit status.
    set_tests_properties(test_lot_fork PROPERTIES ENVIRONMENT
      "TSAN_OPTIONS=die_after_fork=0 halt_on_error=1 second_deadlock_stack=1 report_thread_leaks=0")
  endif()
endif()
# The randomized differential test against a model of per-address FIFOs,
# on a copy of the library with a 2-bucket table.
include(${CMAKE_CURRENT_SOURCE_DIR}/lot_diff.cmake)
