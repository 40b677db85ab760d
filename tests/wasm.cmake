# WebAssembly-only tests (included by tests/CMakeLists.txt under Emscripten).
#
# test_wasm: the main-thread rule (src/wasm/atomic_wait.c) as far as node can
# show it, and the relative-timeout conversion on a worker thread.
parker_add_test(test_wasm test_wasm.c)

# The misuse checks: elsewhere test_posix runs each in a forked child; wasm
# has no fork, so each is its own program run.  It passes only if the
# library's message is printed and the program then aborts (Emscripten's
# abort() prints "Aborted(").
foreach(misuse IN ITEMS
    "two_parkers|parker_park: two threads parked"
    "two_timed_parkers|parker_park_timeout: two threads parked"
    "destroy_while_parked|parker_destroy: a thread is parked"
    "park_null|parker_park: NULL parker"
    "unpark_null|parker_unpark: NULL parker"
    "destroy_null|parker_destroy: NULL parker"
    "park_destroyed|parker_park: parker is not initialised"
    "unpark_destroyed|parker_unpark: parker is not initialised or was corrupted"
    "unpark_garbage|parker_unpark: parker is not initialised or was corrupted"
    "park_all_ones|parker_park: two threads parked.*not initialised or was corrupted")
  string(REPLACE "|" ";" misuse "${misuse}")
  list(GET misuse 0 name)
  list(GET misuse 1 message)
  add_test(NAME test_posix_abort_${name} COMMAND test_posix --abort ${name})
  set_tests_properties(test_posix_abort_${name} PROPERTIES
    TIMEOUT ${PARKER_TEST_TIMEOUT}
    PASS_REGULAR_EXPRESSION "libparker: ${message}.*Aborted\\("
    FAIL_REGULAR_EXPRESSION "NOT CAUGHT")
endforeach()
