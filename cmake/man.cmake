# Manual pages, section 3: docs/man/*.3 are the one source (mdoc, written
# by hand, linted by scripts/stages/man.sh).  A page may document several
# calls; every name in its NAME section (.Nm) gets a one-line ".so" page so
# that `man parker_unpark` finds parker_park(3), as liburing ships its
# aliases.  The alias stubs are written into the build tree from the pages
# themselves, so they cannot drift from them.
option(PARKER_INSTALL_MAN "Install the section 3 manual pages" ON)
if(NOT PARKER_INSTALL_MAN)
  return()
endif()

file(GLOB PARKER_MAN_PAGES CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/docs/man/*.3")
set(PARKER_MAN_ALIAS_DIR "${PROJECT_BINARY_DIR}/man-aliases")
file(REMOVE_RECURSE "${PARKER_MAN_ALIAS_DIR}")
file(MAKE_DIRECTORY "${PARKER_MAN_ALIAS_DIR}")
foreach(page IN LISTS PARKER_MAN_PAGES)
  get_filename_component(page_name "${page}" NAME_WE)
  file(STRINGS "${page}" lines)
  set(in_name OFF)
  foreach(line IN LISTS lines)
    if(line MATCHES "^\\.Sh ")
      if(line STREQUAL ".Sh NAME")
        set(in_name ON)
      else()
        set(in_name OFF)
      endif()
    elseif(in_name AND line MATCHES "^\\.Nm ([A-Za-z_][A-Za-z0-9_]*)")
      set(alias "${CMAKE_MATCH_1}")
      if(NOT alias STREQUAL page_name)
        file(WRITE "${PARKER_MAN_ALIAS_DIR}/${alias}.3" ".so man3/${page_name}.3\n")
      endif()
    endif()
  endforeach()
endforeach()

install(FILES ${PARKER_MAN_PAGES}
  DESTINATION "${CMAKE_INSTALL_MANDIR}/man3" COMPONENT parker_Development)
install(DIRECTORY "${PARKER_MAN_ALIAS_DIR}/"
  DESTINATION "${CMAKE_INSTALL_MANDIR}/man3" COMPONENT parker_Development
  FILES_MATCHING PATTERN "*.3")
