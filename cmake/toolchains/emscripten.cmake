# Build threaded WebAssembly with Emscripten and run the programs under node:
#
#   cmake -S . -B build/wasm -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/emscripten.cmake
#   cmake --build build/wasm && (cd build/wasm && ctest)
#
# (Debian: apt-get install emscripten nodejs.)  This wraps Emscripten's own
# toolchain file, found next to emcc, and adds what a threaded program needs
# and what node needs to run it:
#
#   -pthread everywhere       shared memory and atomics; every object of a
#                             threaded program must have them, or wasm-ld
#                             refuses to link it
#   -sPTHREAD_POOL_SIZE=N     workers created before main() runs.  A thread
#                             whose worker is created later starts only when
#                             the main thread returns to the JS event loop,
#                             which a program blocked in main() never does:
#                             N must cover the threads alive at once
#                             (the sync tests needed more than 24)
#   -sEXIT_RUNTIME=1          node exits when main returns
#   -sINITIAL_MEMORY          room for the thread stacks (growing shared
#                             memory is slow and not needed here)
#   link with -O0             Emscripten 3.1.6's JS optimizer (run by -O2 and
#                             up at link time) fails under node 20; the C
#                             code is still compiled with the build type's -O
#   node --no-experimental-fetch   node 18+ has fetch(), and the generated
#                             loader then tries to fetch() the .wasm file
#                             instead of reading it
#
# PARKER_WASM_POOL_SIZE and PARKER_WASM_MEMORY override the pool and memory.

find_program(PARKER_EMCC emcc)
if(NOT PARKER_EMCC)
  message(FATAL_ERROR "emcc not found (Debian: apt-get install emscripten)")
endif()
# emcc is a script in Emscripten's root (emsdk) or a link to a wrapper there
# (Debian: /usr/bin/emcc -> /usr/share/emscripten/wrapper).
get_filename_component(_parker_emcc_real "${PARKER_EMCC}" REALPATH)
get_filename_component(_parker_em_root "${_parker_emcc_real}" DIRECTORY)
set(_parker_em_toolchain "${_parker_em_root}/cmake/Modules/Platform/Emscripten.cmake")
if(NOT EXISTS "${_parker_em_toolchain}")
  message(FATAL_ERROR "Emscripten's toolchain file not found at ${_parker_em_toolchain}")
endif()

set(PARKER_WASM_POOL_SIZE "64" CACHE STRING "Emscripten PTHREAD_POOL_SIZE for executables")
set(PARKER_WASM_MEMORY "268435456" CACHE STRING "Emscripten INITIAL_MEMORY (bytes) for executables")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PARKER_WASM_POOL_SIZE PARKER_WASM_MEMORY)

find_program(PARKER_NODE NAMES node nodejs)
if(NOT PARKER_NODE)
  message(FATAL_ERROR "node not found (Debian: apt-get install nodejs)")
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR "${PARKER_NODE};--no-experimental-fetch"
    CACHE STRING "Runs the target's programs")

include("${_parker_em_toolchain}")

set(CMAKE_C_FLAGS_INIT "-pthread")
set(CMAKE_CXX_FLAGS_INIT "-pthread")
# -O0 last: it wins over the build type's -O that CMake puts earlier on the
# link line.
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-pthread -sPTHREAD_POOL_SIZE=${PARKER_WASM_POOL_SIZE} -sEXIT_RUNTIME=1 -sINITIAL_MEMORY=${PARKER_WASM_MEMORY} -O0")
