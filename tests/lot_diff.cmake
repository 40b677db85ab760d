# The lot's randomized differential test (included by tests/CMakeLists.txt).
# It needs many addresses in few buckets, so it links a copy of the library
# of its own, built from the same sources with the test-only
# PARKER_TEST_LOT_BUCKET_BITS (src/lot_hash.h): a table of 2 buckets.  The
# library that the other tests and the users link never sees the macro, as
# PARKER_TEST_SPURIOUS is seen only by the builds of its own presets.
list(TRANSFORM PARKER_SOURCES PREPEND "${PROJECT_SOURCE_DIR}/" OUTPUT_VARIABLE _smalllot_sources)
add_library(parker_smalllot STATIC ${_smalllot_sources})
target_include_directories(parker_smalllot
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${PROJECT_SOURCE_DIR}/src)
# The library's own definitions (backend, POSIX feature macros, spurious
# wake-ups in those presets), less the shared-library export.
get_target_property(_smalllot_defs parker COMPILE_DEFINITIONS)
if(_smalllot_defs)
  list(REMOVE_ITEM _smalllot_defs PARKER_BUILDING_SHARED)
  target_compile_definitions(parker_smalllot PRIVATE ${_smalllot_defs})
endif()
target_compile_definitions(parker_smalllot PUBLIC PARKER_TEST_LOT_BUCKET_BITS=1)
get_target_property(_smalllot_libs parker LINK_LIBRARIES)
target_link_libraries(parker_smalllot PUBLIC ${_smalllot_libs})
set_target_properties(parker_smalllot PROPERTIES
  C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF C_VISIBILITY_PRESET hidden)
parker_target_warnings(parker_smalllot)

add_executable(test_lot_diff test_lot_diff.c)
target_link_libraries(test_lot_diff PRIVATE parker_smalllot parker_cmocka Threads::Threads)
target_include_directories(test_lot_diff PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
set_target_properties(test_lot_diff PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
parker_target_warnings(test_lot_diff)
add_test(NAME test_lot_diff COMMAND test_lot_diff)
set_tests_properties(test_lot_diff PROPERTIES TIMEOUT ${PARKER_TEST_TIMEOUT})
if(PARKER_SANITIZER STREQUAL "thread")
  set_tests_properties(test_lot_diff PROPERTIES ENVIRONMENT
    "TSAN_OPTIONS=halt_on_error=1 second_deadlock_stack=1")
elseif(PARKER_SANITIZER STREQUAL "address")
  set_tests_properties(test_lot_diff PROPERTIES ENVIRONMENT
    "ASAN_OPTIONS=detect_leaks=1 abort_on_error=0;UBSAN_OPTIONS=print_stacktrace=1 halt_on_error=1")
endif()
