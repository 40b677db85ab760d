# Install rules and packages for consumers: the library, every public header,
# a CMake package (parkerConfig.cmake, version file, exported targets) and
# parker.pc, in GNUInstallDirs locations.  Everything installed refers to the
# prefix relatively, so an install tree can be moved or packaged as is.
#
# The exported name is parker::parker, the same as the ALIAS that
# add_subdirectory users link, so one target_link_libraries line works in
# every mode (vendored, build tree, installed).
#
# Parents that vendor us and do not want our files in their install set
# PARKER_INSTALL=OFF.

option(PARKER_INSTALL "Install libparker and its CMake and pkg-config packages" ON)
if(NOT PARKER_INSTALL)
  return()
endif()

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PARKER_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/parker")

# INCLUDES DESTINATION is the installed target's only include directory (the
# target itself names just its BUILD_INTERFACE one), so a custom
# CMAKE_INSTALL_INCLUDEDIR is honoured.
install(TARGETS parker EXPORT parkerTargets
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT parker_Runtime
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT parker_Runtime
          NAMELINK_COMPONENT parker_Development
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT parker_Development
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# A directory rule is evaluated at install time, so every public header
# present then is installed, also ones added after configuring.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT parker_Development
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT parker_Runtime)

# CMake package, installed.
install(EXPORT parkerTargets NAMESPACE parker::
  DESTINATION "${PARKER_CMAKE_DIR}" COMPONENT parker_Development)
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/parkerConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/install-package/parkerConfig.cmake"
  INSTALL_DESTINATION "${PARKER_CMAKE_DIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/parkerConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/install-package/parkerConfig.cmake"
  "${PROJECT_BINARY_DIR}/parkerConfigVersion.cmake"
  DESTINATION "${PARKER_CMAKE_DIR}" COMPONENT parker_Development)

# CMake package, build tree: find_package(parker) with parker_DIR set to this
# build directory uses the library in place.
export(EXPORT parkerTargets NAMESPACE parker::
  FILE "${PROJECT_BINARY_DIR}/parkerTargets.cmake")
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/parkerConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/parkerConfig.cmake"
  INSTALL_DESTINATION "${PROJECT_BINARY_DIR}"
  INSTALL_PREFIX "${PROJECT_BINARY_DIR}")

# pkg-config.  prefix is derived from ${pcfiledir} (the directory the .pc
# file is found in; pkg-config and pkgconf both define it), which keeps the
# file valid after the tree is moved.  An absolute CMAKE_INSTALL_* directory
# given by the user is used as is and is then, by request, not relocatable.
function(parker_pc_dir out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(PARKER_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH PARKER_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" PARKER_PC_UP "${PARKER_PC_UP}")
  set(PARKER_PC_PREFIX "\${pcfiledir}/${PARKER_PC_UP}")
endif()
parker_pc_dir(PARKER_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
parker_pc_dir(PARKER_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")

# Threads go to Libs.private: a shared libparker carries its own dependency,
# a static one needs `pkg-config --static`.  FindThreads may report no flag
# when the C library has pthreads built in; -pthread is still right for GCC
# and Clang and keeps the file valid for older C libraries.
set(PARKER_PC_LIBS_PRIVATE "${CMAKE_THREAD_LIBS_INIT}")
if(PARKER_PC_LIBS_PRIVATE STREQUAL "" AND NOT WIN32
   AND CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  set(PARKER_PC_LIBS_PRIVATE "-pthread")
endif()
if(PARKER_ATOMICS_LIBATOMIC)
  string(APPEND PARKER_PC_LIBS_PRIVATE " -latomic")
endif()
set(PARKER_PC_CFLAGS "")
if(WIN32 AND BUILD_SHARED_LIBS)
  set(PARKER_PC_CFLAGS " -DPARKER_SHARED")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/parker.pc.in"
  "${PROJECT_BINARY_DIR}/parker.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/parker.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig" COMPONENT parker_Development)

# Section 3 manual pages (docs/man).
include("${PROJECT_SOURCE_DIR}/cmake/man.cmake")
