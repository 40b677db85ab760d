# The Windows backend (included by the top-level CMakeLists.txt when
# PARKER_BACKEND resolves to "windows").  WaitOnAddress is found at run time,
# with NT keyed events as the fallback; the option below skips the lookup so
# that the keyed-event path is used everywhere (tests, or programs that must
# behave the same on Windows 7 as on 10).
option(PARKER_WINDOWS_FORCE_KEYED_EVENTS
       "Windows: always use NT keyed events, never WaitOnAddress" OFF)

list(APPEND PARKER_SOURCES src/windows/sync.c src/windows/tls.c)

# Source properties rather than target ones: this file is included before
# add_library(parker) (same directory scope, so they apply to the target).
if(PARKER_WINDOWS_FORCE_KEYED_EVENTS)
  set(PARKER_WINDOWS_DEFINITIONS PARKER_WINDOWS_FORCE_KEYED_EVENTS)
  if(NOT DEFINED PARKER_EXPECT_BACKEND_NAME)
    set(PARKER_EXPECT_BACKEND_NAME "keyedevent")
  endif()
else()
  set(PARKER_WINDOWS_DEFINITIONS "")
  # wine 8 and Windows 8+ have WaitOnAddress; the suite checks it is used.
  if(NOT DEFINED PARKER_EXPECT_BACKEND_NAME)
    set(PARKER_EXPECT_BACKEND_NAME "waitonaddress")
  endif()
endif()
set_source_files_properties(src/windows/sync.c src/windows/tls.c PROPERTIES
  COMPILE_DEFINITIONS "${PARKER_WINDOWS_DEFINITIONS}")
