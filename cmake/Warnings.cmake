# mproc_warnings(target): the project's warning set; errors with MPROC_WERROR.
function(mproc_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${MPROC_WERROR}>:/WX>)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wstrict-prototypes
      -Wmissing-prototypes -Wshadow -Wformat=2 $<$<BOOL:${MPROC_WERROR}>:-Werror>)
  endif()
endfunction()
