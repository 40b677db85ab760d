# Windows-only tests (included by tests/CMakeLists.txt on WIN32).
# test_windows.c is built twice: the test program, and test_windows_dll.dll
# (with its own copy of the static library) whose DllMain uses the parker
# under the loader lock and whose DLL_PROCESS_DETACH unparks during exit.
parker_add_test(test_windows test_windows.c)

if(NOT BUILD_SHARED_LIBS)
  add_library(test_windows_dll SHARED test_windows.c)
  set_target_properties(test_windows_dll PROPERTIES PREFIX "" OUTPUT_NAME test_windows_dll
    C_STANDARD 11 C_STANDARD_REQUIRED ON)
  target_compile_definitions(test_windows_dll PRIVATE PARKER_TEST_WINDOWS_DLL)
  target_link_libraries(test_windows_dll PRIVATE parker::parker)
  if(NOT MSVC)
    # No mingw runtime DLLs needed next to it under wine.
    target_link_options(test_windows_dll PRIVATE -static)
  endif()
  parker_target_warnings(test_windows_dll)
  add_dependencies(test_windows test_windows_dll)
else()
  # A shared libparker is one copy for the program and any DLL: the DllMain
  # tests would not see a first use.
  target_compile_definitions(test_windows PRIVATE PARKER_TEST_NO_DLL)
endif()
