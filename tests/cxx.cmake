# parker.hpp's conformance test: a plain C++ program (cmocka is C) that
# returns non-zero when a check fails, built once per C++ standard the
# header promises (C++11, and C++20 where the compiler has it).  Skipped,
# with a message, when no C++ compiler is installed.  Included by
# tests/CMakeLists.txt.
include(CheckLanguage)
check_language(CXX)
if(NOT CMAKE_CXX_COMPILER)
  message(STATUS "parker.hpp tests skipped: no C++ compiler")
  return()
endif()
enable_language(CXX)

function(parker_add_cxx_test name std)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/test_cxx.cpp)
  target_link_libraries(${name} PRIVATE parker::parker Threads::Threads)
  set_target_properties(${name} PROPERTIES CXX_STANDARD ${std} CXX_STANDARD_REQUIRED ON
                                           CXX_EXTENSIONS OFF)
  if(MSVC)
    target_compile_options(${name} PRIVATE /W4 $<$<BOOL:${PARKER_WERROR}>:/WX>)
  else()
    target_compile_options(${name} PRIVATE -Wall -Wextra -Wpedantic
                           $<$<BOOL:${PARKER_WERROR}>:-Werror>)
  endif()
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
