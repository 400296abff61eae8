# Finds APR 1.x and defines the imported target APR::APR.
#
# POSIX: pkg-config's apr-1. Windows: the headers and library of a vcpkg
# install, or of a prefix built by scripts/mingw-deps.sh (set APR_ROOT or
# CMAKE_PREFIX_PATH). A static Windows APR (apr-1.lib / libapr-1.a) needs
# APR_DECLARE_STATIC and the system libraries APR uses; both are added here.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND AND NOT WIN32)
  pkg_check_modules(PC_APR QUIET apr-1)
endif()
find_path(APR_INCLUDE_DIR apr.h HINTS ${PC_APR_INCLUDE_DIRS} PATH_SUFFIXES apr-1 apr-1.0)
find_library(APR_LIBRARY NAMES apr-1 libapr-1 HINTS ${PC_APR_LIBRARY_DIRS})
if(APR_INCLUDE_DIR AND EXISTS "${APR_INCLUDE_DIR}/apr_version.h")
  file(STRINGS "${APR_INCLUDE_DIR}/apr_version.h" _apr_v REGEX "#define APR_(MAJOR|MINOR|PATCH)_VERSION ")
  string(REGEX REPLACE ".*MAJOR_VERSION +([0-9]+).*MINOR_VERSION +([0-9]+).*PATCH_VERSION +([0-9]+).*"
         "\\1.\\2.\\3" APR_VERSION "${_apr_v}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(APR REQUIRED_VARS APR_LIBRARY APR_INCLUDE_DIR
                                  VERSION_VAR APR_VERSION)
if(APR_FOUND AND NOT TARGET APR::APR)
  add_library(APR::APR UNKNOWN IMPORTED)
  set_target_properties(APR::APR PROPERTIES IMPORTED_LOCATION "${APR_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${APR_INCLUDE_DIR}")
  if(PC_APR_CFLAGS_OTHER)
    set_property(TARGET APR::APR PROPERTY INTERFACE_COMPILE_OPTIONS ${PC_APR_CFLAGS_OTHER})
  endif()
  if(WIN32)
    get_filename_component(_apr_name "${APR_LIBRARY}" NAME)
    if(_apr_name MATCHES "^(libapr-1\\.a|apr-1\\.lib)$")
      set_property(TARGET APR::APR PROPERTY INTERFACE_COMPILE_DEFINITIONS APR_DECLARE_STATIC)
      set_property(TARGET APR::APR PROPERTY INTERFACE_LINK_LIBRARIES
                   ws2_32 rpcrt4 mswsock advapi32 shell32 iphlpapi)
    endif()
  endif()
endif()
mark_as_advanced(APR_INCLUDE_DIR APR_LIBRARY)
