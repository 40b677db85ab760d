# parker.hpp's conformance test: a plain C++ program (cmocka is C) that
# returns non-zero when a check fails, built once per C++ standard the
# header promises (C++11, and C++20 where the compiler has it).  Skipped,
# with a message, when no C++ compiler is installed.  Included by
# tests/CMakeLists.txt.
if(EMSCRIPTEN)
  # The wasm tests run as node programs with their own thread set-up
  # (tests/wasm.cmake); parker.hpp there is covered by compiling it only.
  message(STATUS "parker.hpp tests skipped: WebAssembly")
  return()
endif()
include(CheckLanguage)
check_language(CXX)
if(NOT CMAKE_CXX_COMPILER)
  message(STATUS "parker.hpp tests skipped: no C++ compiler")
  return()
endif()
# A toolchain file may name a C++ compiler that is not installed (mingw-w64's
# g++ is a package of its own); check_language then still reports the name.
if(NOT IS_ABSOLUTE "${CMAKE_CXX_COMPILER}")
  find_program(PARKER_CXX_PROGRAM "${CMAKE_CXX_COMPILER}")
  if(NOT PARKER_CXX_PROGRAM)
    message(STATUS "parker.hpp tests skipped: ${CMAKE_CXX_COMPILER} not found")
    return()
  endif()
endif()
enable_language(CXX)
# A cross C++ compiler may lack std::thread (mingw-w64's win32 thread model
# before GCC 13): the test needs it, the header does not.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_LIBRARIES Threads::Threads)
check_cxx_source_compiles("#include <thread>\n#include <mutex>\n#include <atomic>
int main(){std::mutex m;std::atomic<int> a{0};std::thread t([&]{std::lock_guard<std::mutex> g(m);++a;});t.join();return a.load()-1;}"
  PARKER_CXX_HAS_THREADS)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT PARKER_CXX_HAS_THREADS)
  message(STATUS "parker.hpp tests skipped: the C++ compiler has no std::thread")
  return()
endif()

function(parker_add_cxx_test name std)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/test_cxx.cpp)
  target_link_libraries(${name} PRIVATE parker::parker Threads::Threads)
  set_target_properties(${name} PROPERTIES CXX_STANDARD ${std} CXX_STANDARD_REQUIRED ON
                                           CXX_EXTENSIONS OFF)
  # The project's warnings (-Wshadow included), as for every test program.
  parker_target_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${PARKER_TEST_TIMEOUT})
  if(PARKER_SANITIZER STREQUAL "thread")
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "TSAN_OPTIONS=halt_on_error=1")
  elseif(PARKER_SANITIZER STREQUAL "address")
    set_tests_properties(${name} PROPERTIES ENVIRONMENT
      "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1 halt_on_error=1")
  endif()
endfunction()

parker_add_cxx_test(test_cxx11 11)
if("cxx_std_20" IN_LIST CMAKE_CXX_COMPILE_FEATURES)
  parker_add_cxx_test(test_cxx20 20)
endif()
