# parker_find_cmocka(): set CMOCKA_INCLUDE_DIR and CMOCKA_LIBRARY (cache
# variables, so a cross build can point them at its own cmocka), or leave
# them NOTFOUND.  -DCMAKE_DISABLE_FIND_PACKAGE_cmocka=ON hides a cmocka that
# is installed, to test the build without one.
macro(parker_find_cmocka)
  if(CMAKE_DISABLE_FIND_PACKAGE_cmocka)
    set(CMOCKA_INCLUDE_DIR CMOCKA_INCLUDE_DIR-NOTFOUND)
    set(CMOCKA_LIBRARY CMOCKA_LIBRARY-NOTFOUND)
  else()
    find_path(CMOCKA_INCLUDE_DIR cmocka.h)
    find_library(CMOCKA_LIBRARY NAMES cmocka cmocka-static libcmocka)
  endif()
endmacro()
