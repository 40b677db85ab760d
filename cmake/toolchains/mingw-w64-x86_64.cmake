# Cross-compile for 64-bit Windows with Debian's mingw-w64 (package
# gcc-mingw-w64-x86-64) and run the results with wine (package wine64):
#   cmake -S . -B build/win -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake
# ctest then runs every test program through CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(PARKER_MINGW_PREFIX x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${PARKER_MINGW_PREFIX}-gcc)
set(CMAKE_CXX_COMPILER ${PARKER_MINGW_PREFIX}-g++)
set(CMAKE_RC_COMPILER ${PARKER_MINGW_PREFIX}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${PARKER_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Link the compiler's runtime (libgcc, winpthread) statically so that the
# programs run under wine without mingw DLLs on the search path.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc")

find_program(PARKER_WINE NAMES wine wine64)
if(PARKER_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PARKER_WINE})
endif()
