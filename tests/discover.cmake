# Registers one CTest entry per CUnit test. ctest runs this script each time
# it reads the test list (tests/CMakeLists.txt adds it to TEST_INCLUDE_FILES
# through a generated file that sets the _mproc_* variables below), so the
# list comes from the test program itself, run the way the tests run
# (through the cross-compiling emulator, in ctest's environment).
#
#   _mproc_exe       the built mproc_tests
#   _mproc_emulator  CROSSCOMPILING_EMULATOR (a list; may be empty)
#   _mproc_cache     where the listing is kept between ctest runs
#   _mproc_timeout   the CTest TIMEOUT of a test, in seconds
#   _mproc_long      "ctest-name=seconds" pairs: tests that need more
#   _mproc_fixture   the fixture every test requires
#
# MPROC_TEST_TIMEOUT_SCALE (a positive integer in the environment, as
# libuv's UV_TEST_TIMEOUT_MULTIPLIER) multiplies the timeouts, as it does
# the tests' own hang bound (T_BOUND_MS in tests.h).

# ctest reads its files with every policy unset; include() scopes this one.
cmake_policy(VERSION 3.20)

if(NOT EXISTS "${_mproc_exe}")
  # ctest reports it as a test that cannot run: build first.
  add_test(mproc_tests_NOT_BUILT mproc_tests_NOT_BUILT)
  return()
endif()

# The listing is cached: only a newer mproc_tests is asked again.
if("${_mproc_exe}" IS_NEWER_THAN "${_mproc_cache}")
  execute_process(COMMAND ${_mproc_emulator} "${_mproc_exe}" --list-tests
                  OUTPUT_VARIABLE _mproc_out ERROR_VARIABLE _mproc_err
                  RESULT_VARIABLE _mproc_rc TIMEOUT 300)
  if(NOT _mproc_rc STREQUAL "0" OR _mproc_out STREQUAL "")
    # A test that runs the listing again, so the failure and its output are
    # in ctest's report rather than only in a warning.
    message(WARNING "mproc_tests --list-tests failed (${_mproc_rc}): ${_mproc_err}")
    file(REMOVE "${_mproc_cache}")
    add_test(mproc_tests_list_tests ${_mproc_emulator} "${_mproc_exe}" --list-tests)
    set_tests_properties(mproc_tests_list_tests PROPERTIES FIXTURES_REQUIRED "${_mproc_fixture}")
    return()
  endif()
  file(WRITE "${_mproc_cache}" "${_mproc_out}")
endif()

set(_mproc_scale 1)
if("$ENV{MPROC_TEST_TIMEOUT_SCALE}" MATCHES "^[1-9][0-9]*$")
  set(_mproc_scale "$ENV{MPROC_TEST_TIMEOUT_SCALE}")
endif()

file(READ "${_mproc_cache}" _mproc_out)
string(REPLACE "\r" "" _mproc_out "${_mproc_out}") # Windows programs write CRLF
set(_mproc_ids "")
# Line by line without CMake lists: a test's name may hold ';' or '['.
while(NOT _mproc_out STREQUAL "")
  string(FIND "${_mproc_out}" "\n" _mproc_nl)
  if(_mproc_nl EQUAL -1)
    set(_mproc_name "${_mproc_out}")
    set(_mproc_out "")
  else()
    string(SUBSTRING "${_mproc_out}" 0 ${_mproc_nl} _mproc_name)
    math(EXPR _mproc_nl "${_mproc_nl} + 1")
    string(SUBSTRING "${_mproc_out}" ${_mproc_nl} -1 _mproc_out)
  endif()
  if(_mproc_name STREQUAL "")
    continue()
  endif()
  # The CTest name keeps letters, digits, '-' and the suite's '/', and turns
  # every other run into one '_': ctest (until a 2025 fix; 3.25 here) splits
  # CTestCostData.txt's lines at spaces, so names with spaces lose their
  # costs and -j cannot start the long tests first; and ()+ would be regex
  # operators in ctest -R. The program is given the real name.
  string(REGEX REPLACE "[^A-Za-z0-9/-]+" "_" _mproc_id "${_mproc_name}")
  string(REGEX REPLACE "_$" "" _mproc_id "${_mproc_id}")
  set(_mproc_base "${_mproc_id}")
  set(_mproc_n 1)
  while("${_mproc_id}" IN_LIST _mproc_ids)
    math(EXPR _mproc_n "${_mproc_n} + 1")
    set(_mproc_id "${_mproc_base}_${_mproc_n}")
  endwhile()
  list(APPEND _mproc_ids "${_mproc_id}")

  set(_mproc_t ${_mproc_timeout})
  foreach(_mproc_pair IN LISTS _mproc_long)
    if(_mproc_pair MATCHES "^(.*)=([0-9]+)$" AND CMAKE_MATCH_1 STREQUAL _mproc_id)
      set(_mproc_t ${CMAKE_MATCH_2})
    endif()
  endforeach()
  math(EXPR _mproc_t "${_mproc_t} * ${_mproc_scale}")

  add_test("${_mproc_id}" ${_mproc_emulator} "${_mproc_exe}" --test "${_mproc_name}")
  set_tests_properties("${_mproc_id}" PROPERTIES TIMEOUT ${_mproc_t}
                                                 FIXTURES_REQUIRED "${_mproc_fixture}")
endwhile()
