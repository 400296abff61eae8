# CMake toolchain: cross-compile for Windows x86_64 with mingw-w64, run
# executables (try_run, add_test/ctest) through wine.
#
#   PREFIX=$(scripts/mingw-deps.sh | tail -1)
#   cmake -S . -B build-mingw \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64.cmake \
#         -DMPROC_MINGW_PREFIX="$PREFIX"        # or: export MPROC_MINGW_PREFIX
#   cmake --build build-mingw -j2
#   . scripts/wine-env.sh && ctest --test-dir build-mingw --output-on-failure
#
# Inputs (cache variable wins over environment):
#   MPROC_MINGW_PREFIX   prefix with include/apr-1, include/CUnit, lib/*.a
#                        (if unset and exactly one finished
#                        ~/.cache/mproc/mingw-*/ exists, that one is used)
#   MPROC_MINGW_TRIPLET  compiler prefix (default x86_64-w64-mingw32)
#   MPROC_WINE           emulator program (default: wine found on PATH)
#
# Consumers of the static APR must compile with APR_DECLARE_STATIC and link
#   ws2_32 rpcrt4 mswsock advapi32 shell32 iphlpapi
# (exposed below as MPROC_MINGW_APR_DEFINITIONS / MPROC_MINGW_APR_SYSTEM_LIBS).

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

# Toolchain files are re-read for every try_compile project; forward our
# settings into them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
     MPROC_MINGW_PREFIX MPROC_MINGW_TRIPLET MPROC_WINE)

if(NOT MPROC_MINGW_TRIPLET)
  set(MPROC_MINGW_TRIPLET x86_64-w64-mingw32)
endif()

set(CMAKE_C_COMPILER   ${MPROC_MINGW_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${MPROC_MINGW_TRIPLET}-g++)
set(CMAKE_RC_COMPILER  ${MPROC_MINGW_TRIPLET}-windres)

# --- dependency prefix ------------------------------------------------------
if(NOT MPROC_MINGW_PREFIX AND DEFINED ENV{MPROC_MINGW_PREFIX})
  set(MPROC_MINGW_PREFIX "$ENV{MPROC_MINGW_PREFIX}")
endif()
if(NOT MPROC_MINGW_PREFIX AND DEFINED ENV{HOME})
  # Convenience: exactly one finished default prefix -> use it.
  file(GLOB _mproc_done LIST_DIRECTORIES false "$ENV{HOME}/.cache/mproc/mingw-*/.done")
  list(LENGTH _mproc_done _mproc_n)
  if(_mproc_n EQUAL 1)
    get_filename_component(MPROC_MINGW_PREFIX "${_mproc_done}" DIRECTORY)
    message(STATUS "toolchain-mingw-w64: using MPROC_MINGW_PREFIX=${MPROC_MINGW_PREFIX}")
  elseif(_mproc_n GREATER 1)
    message(WARNING "several mingw prefixes in $ENV{HOME}/.cache/mproc; "
                    "set MPROC_MINGW_PREFIX (scripts/mingw-deps.sh | tail -1)")
  endif()
  unset(_mproc_done)
  unset(_mproc_n)
endif()
if(MPROC_MINGW_PREFIX)
  set(MPROC_MINGW_PREFIX "${MPROC_MINGW_PREFIX}" CACHE PATH
      "Prefix holding the mingw-w64 builds of APR and CUnit (scripts/mingw-deps.sh)")
  if(NOT EXISTS "${MPROC_MINGW_PREFIX}/.done")
    message(WARNING "MPROC_MINGW_PREFIX=${MPROC_MINGW_PREFIX} is not a finished "
                    "scripts/mingw-deps.sh prefix (no .done stamp)")
  endif()
  list(APPEND CMAKE_FIND_ROOT_PATH "${MPROC_MINGW_PREFIX}")
  list(APPEND CMAKE_PREFIX_PATH    "${MPROC_MINGW_PREFIX}")
endif()
# mingw's own sysroot (headers/import libs of the cross compiler).
if(EXISTS /usr/${MPROC_MINGW_TRIPLET})
  list(APPEND CMAKE_FIND_ROOT_PATH /usr/${MPROC_MINGW_TRIPLET})
endif()
if(CMAKE_FIND_ROOT_PATH)
  list(REMOVE_DUPLICATES CMAKE_FIND_ROOT_PATH)
endif()
if(CMAKE_PREFIX_PATH)
  list(REMOVE_DUPLICATES CMAKE_PREFIX_PATH)
endif()

# Programs (wine, code generators) come from the host; libraries, headers
# and packages come only from the find roots, never from the host's /usr
# (BOTH would let find_library()/find_path() pick the host's native
# libapr-1.so and Linux apr.h, which Debian's libapr1-dev installs).
# find_library(NAMES apr-1) / find_path(apr.h PATH_SUFFIXES apr-1) then
# resolve to <prefix>/lib and <prefix>/include/apr-1.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config must not report the host's .pc files; use the prefix's
# (mingw-deps.sh writes apr-1.pc and cunit.pc) or nothing.
if(MPROC_MINGW_PREFIX)
  set(ENV{PKG_CONFIG_LIBDIR} "${MPROC_MINGW_PREFIX}/lib/pkgconfig")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "")
endif()
unset(ENV{PKG_CONFIG_PATH})

# --- static runtime so .exe files run under wine without mingw DLLs ---------
# (-static-libstdc++ is ignored by C-only links.)
set(CMAKE_EXE_LINKER_FLAGS_INIT    "-static -static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")

# --- run target executables through wine ------------------------------------
if(NOT MPROC_WINE AND DEFINED ENV{MPROC_WINE})
  set(MPROC_WINE "$ENV{MPROC_WINE}")
endif()
if(NOT MPROC_WINE)
  find_program(MPROC_WINE NAMES wine wine64 wine-stable
               DOC "Program used to run cross-compiled Windows executables")
endif()
if(MPROC_WINE AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${MPROC_WINE}" CACHE FILEPATH
      "Emulator for cross-compiled executables (ctest/try_run)")
endif()
# try_run()/check_c_source_runs() run wine inside this configure process:
# give it scripts/wine-env.sh's defaults if the caller did not source it
# (otherwise wine silently creates and uses ~/.wine). ctest does not see
# these; source scripts/wine-env.sh before running it.
if(NOT DEFINED ENV{WINEPREFIX} AND DEFINED ENV{HOME})
  set(ENV{WINEPREFIX} "$ENV{HOME}/.cache/mproc/wineprefix")
endif()
if(NOT DEFINED ENV{WINEDEBUG})
  set(ENV{WINEDEBUG} "-all")
endif()
if(NOT DEFINED ENV{WINEDLLOVERRIDES})
  set(ENV{WINEDLLOVERRIDES} "mscoree,mshtml=")
endif()
if(NOT MPROC_WINE AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  message(WARNING "wine not found: tests cannot be run (set MPROC_WINE or "
                  "CMAKE_CROSSCOMPILING_EMULATOR)")
endif()

# --- hints for the project's CMakeLists.txt ---------------------------------
set(MPROC_MINGW_APR_DEFINITIONS APR_DECLARE_STATIC)
set(MPROC_MINGW_APR_SYSTEM_LIBS ws2_32 rpcrt4 mswsock advapi32 shell32 iphlpapi)
