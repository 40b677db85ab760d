# The WebAssembly backend (included by the top-level CMakeLists.txt when
# PARKER_BACKEND resolves to "wasm", the default under Emscripten).  The
# thread-local slot is the POSIX one: Emscripten's pthread keys run their
# destructors when a thread exits.
#
# Everything in a threaded wasm program, the library included, must be
# compiled and linked with -pthread (shared memory and atomics); the
# toolchain file cmake/toolchains/emscripten.cmake does that, and
# src/wasm/atomic_wait.c refuses to compile without it.
if(NOT EMSCRIPTEN)
  message(FATAL_ERROR "PARKER_BACKEND=wasm needs Emscripten (emcmake, or "
                      "-DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/emscripten.cmake)")
endif()
list(APPEND PARKER_SOURCES src/wasm/atomic_wait.c src/posix/tls.c)
