# The parking lot's tests (included by tests/CMakeLists.txt).  test_lot.c
# includes the private src/lot_hash.h to pick addresses that share a bucket.
parker_add_test(test_lot test_lot.c)
target_include_directories(test_lot PRIVATE ${PROJECT_SOURCE_DIR}/src)
# The extended calls for building locks (tokens, be_fair, timed_out, filter,
# requeue_ex).
parker_add_test(test_lot_ex test_lot_ex.c)
target_include_directories(test_lot_ex PRIVATE ${PROJECT_SOURCE_DIR}/src)
