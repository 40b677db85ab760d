# Cross-compile for another Linux architecture with Debian's cross gcc and run
# the results under qemu-user.  One file for every target, chosen by cache
# variables:
#
#   cmake -S . -B build/xa-aarch64 \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/linux-cross.cmake \
#     -DPARKER_CROSS_TRIPLE=aarch64-linux-gnu      # gcc-aarch64-linux-gnu
#     [-DPARKER_QEMU=qemu-aarch64]                 # default: from the triple
#     [-DPARKER_CROSS_FLAGS="-D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64"]
#
# Executables are linked -static: Debian 12's qemu-user hangs in
# pthread_create for dynamically linked guests, and a static binary needs no
# target sysroot (-L) at run time.  CMAKE_CROSSCOMPILING_EMULATOR makes plain
# `ctest` run every test program under qemu.
#
# CMake reads this file again for every try_compile project, where the
# caller's cache is not visible; CMAKE_TRY_COMPILE_PLATFORM_VARIABLES carries
# the three settings over.

set(CMAKE_SYSTEM_NAME Linux)

set(PARKER_CROSS_TRIPLE "${PARKER_CROSS_TRIPLE}" CACHE STRING
    "GNU triple of the cross toolchain, e.g. aarch64-linux-gnu")
set(PARKER_QEMU "${PARKER_QEMU}" CACHE STRING
    "qemu-user program that runs the target's executables (default: from the triple)")
set(PARKER_CROSS_FLAGS "${PARKER_CROSS_FLAGS}" CACHE STRING
    "Extra C preprocessor/compiler flags for the target (e.g. -D_TIME_BITS=64)")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
     PARKER_CROSS_TRIPLE PARKER_QEMU PARKER_CROSS_FLAGS)

if(NOT PARKER_CROSS_TRIPLE)
  message(FATAL_ERROR "linux-cross.cmake: set -DPARKER_CROSS_TRIPLE=<triple> "
                      "(aarch64-linux-gnu, arm-linux-gnueabihf, i686-linux-gnu, "
                      "riscv64-linux-gnu, s390x-linux-gnu, powerpc64le-linux-gnu)")
endif()

string(REGEX MATCH "^[^-]+" _parker_cpu "${PARKER_CROSS_TRIPLE}")
set(CMAKE_SYSTEM_PROCESSOR ${_parker_cpu})

if(NOT PARKER_QEMU)
  if(_parker_cpu MATCHES "^i[3-6]86$")
    set(PARKER_QEMU qemu-i386)
  elseif(_parker_cpu MATCHES "^arm")
    set(PARKER_QEMU qemu-arm)
  elseif(_parker_cpu STREQUAL "powerpc64le")
    set(PARKER_QEMU qemu-ppc64le)
  elseif(_parker_cpu STREQUAL "powerpc64")
    set(PARKER_QEMU qemu-ppc64)
  else()
    set(PARKER_QEMU qemu-${_parker_cpu})
  endif()
endif()

find_program(PARKER_CROSS_CC ${PARKER_CROSS_TRIPLE}-gcc)
if(NOT PARKER_CROSS_CC)
  message(FATAL_ERROR "${PARKER_CROSS_TRIPLE}-gcc not found (Debian: gcc-${PARKER_CROSS_TRIPLE})")
endif()
find_program(PARKER_QEMU_PROGRAM ${PARKER_QEMU})
if(NOT PARKER_QEMU_PROGRAM)
  message(FATAL_ERROR "${PARKER_QEMU} not found (Debian: qemu-user)")
endif()

set(CMAKE_C_COMPILER ${PARKER_CROSS_CC})
find_program(PARKER_CROSS_CXX ${PARKER_CROSS_TRIPLE}-g++)
if(PARKER_CROSS_CXX)
  set(CMAKE_CXX_COMPILER ${PARKER_CROSS_CXX})
endif()
# -E hands the guest PARKER_TEST_EMULATOR (tests/common.h), by which the tests
# that cannot run under qemu-user (strict seccomp, threads in a child
# of a multi-threaded process) report themselves SKIPPED with the reason.
set(CMAKE_CROSSCOMPILING_EMULATOR
    ${PARKER_QEMU_PROGRAM} -E PARKER_TEST_EMULATOR=${PARKER_QEMU})

set(CMAKE_C_FLAGS_INIT "${PARKER_CROSS_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${PARKER_CROSS_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# The cross gcc knows its own sysroot (/usr/<triple>); never pick up the
# build machine's libraries or headers.
set(CMAKE_FIND_ROOT_PATH /usr/${PARKER_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
