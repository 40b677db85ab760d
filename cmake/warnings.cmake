# Warnings for our own targets only (PRIVATE), never for a parent project.
# -Werror only when PARKER_WERROR is on (default: when built top-level).
function(parker_target_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4)
    if(PARKER_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
      $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>)
    if(PARKER_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
