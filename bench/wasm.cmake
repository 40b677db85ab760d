# The benchmark under Emscripten (included by bench/CMakeLists.txt instead of
# the Linux build): one backend, so the library links directly (no renamed
# copies), with the peers that exist there (pthread_cond, sem_t).  Its
# numbers are node's threads on this machine; the stage runs it in quick
# mode as a smoke test only (scripts/stages/wasm.sh).
set(BENCH_DIR ${CMAKE_CURRENT_SOURCE_DIR})
add_library(bench_parker_wasm STATIC ${BENCH_DIR}/libparker_impl.c)
target_compile_definitions(bench_parker_wasm PRIVATE BENCH_VARIANT=wasm BENCH_HAVE_LOT)
target_include_directories(bench_parker_wasm PRIVATE ${BENCH_DIR})
target_link_libraries(bench_parker_wasm PUBLIC parker::parker)
set_target_properties(bench_parker_wasm PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
parker_target_warnings(bench_parker_wasm)

add_executable(parker_bench ${BENCH_DIR}/bench.c ${BENCH_DIR}/peers.c)
target_include_directories(parker_bench PRIVATE ${BENCH_DIR})
set_target_properties(parker_bench PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
target_compile_definitions(parker_bench PRIVATE BENCH_HAVE_LIBPARKER_WASM BENCH_HAVE_LOT
  "BENCH_SKIP_FUTEX=\"no futex in WebAssembly\""
  "BENCH_SKIP_CXX=\"not built for wasm\""
  "BENCH_SKIP_RUST=\"not built for wasm\"" "BENCH_SKIP_PLC=\"not built for wasm\"")
target_link_libraries(parker_bench PRIVATE bench_parker_wasm Threads::Threads m)
parker_target_warnings(parker_bench)

if(PARKER_BUILD_TESTS)
  add_test(NAME bench_quick COMMAND parker_bench --quick)
  set_tests_properties(bench_quick PROPERTIES TIMEOUT 300)
endif()
