# mproc_warnings(target): the project's warning set; errors with MPROC_WERROR.
function(mproc_warnings target)
  if(MSVC)
    # The CRT's "use the _s variants" advice (C4996) is not portable C11.
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${MPROC_WERROR}>:/WX>)
    target_compile_definitions(${target} PRIVATE _CRT_SECURE_NO_WARNINGS)
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wstrict-prototypes
      -Wmissing-prototypes -Wshadow -Wformat=2 $<$<BOOL:${MPROC_WERROR}>:-Werror>)
  endif()
endfunction()
