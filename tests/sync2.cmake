# Tests of the second set of sync objects (issue 12): rwlock, semaphore,
# wait group and barrier.  Included by tests/CMakeLists.txt.
parker_add_test(test_sync_rwlock test_sync_rwlock.c)
parker_add_test(test_sync_sem test_sync_sem.c)
parker_add_test(test_sync_waitgroup test_sync_waitgroup.c)

# parker_hooked: the library's sources once more, as a static library built
# with PARKER_TEST_HOOKS (src/test_hooks.h), so that a test can stop a thread
# at an exact point inside a call (issue 23: a wait group waiter between its
# first load and its park).  Only test programs link it; the library that is
# installed and benchmarked never has the hooks.  It takes the real target's
# definitions, so it is built as that one is (backend, POSIX macros,
# sanitizer flags through CMAKE_C_FLAGS).
list(TRANSFORM PARKER_SOURCES PREPEND "${PROJECT_SOURCE_DIR}/" OUTPUT_VARIABLE _parker_hooked_sources)
add_library(parker_hooked STATIC ${_parker_hooked_sources})
target_include_directories(parker_hooked
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(parker_hooked
  PUBLIC PARKER_TEST_HOOKS
  PRIVATE $<TARGET_PROPERTY:parker,COMPILE_DEFINITIONS> ${PARKER_WINDOWS_DEFINITIONS})
set_target_properties(parker_hooked PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF C_VISIBILITY_PRESET hidden)
target_link_libraries(parker_hooked PUBLIC Threads::Threads)
if(NOT MSVC AND NOT PARKER_ATOMICS_INLINE)
  target_link_libraries(parker_hooked PUBLIC atomic)
endif()
parker_target_warnings(parker_hooked)
parker_add_test_with(parker_hooked test_sync_hooks test_sync_hooks.c)
target_include_directories(test_sync_hooks PRIVATE ${PROJECT_SOURCE_DIR}/src)
