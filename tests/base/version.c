/* Tests of runtime/base/version.c: the headers' and the library's version. */
#include <stdio.h>
#include <string.h>

#include "tests.h"

/* The library linked is the one these headers describe, in both forms. */
static void test_library_matches_headers(void) {
  char want[32];
  CU_ASSERT_EQUAL(mproc_version(), MPROC_VERSION);
  CU_ASSERT_EQUAL(MPROC_VERSION,
                  MPROC_VERSION_MAJOR * 10000 + MPROC_VERSION_MINOR * 100 + MPROC_VERSION_PATCH);
  snprintf(want, sizeof want, "%d.%d.%d", MPROC_VERSION_MAJOR, MPROC_VERSION_MINOR,
           MPROC_VERSION_PATCH);
  CU_ASSERT_STRING_EQUAL(mproc_version_string(), want);
}

/* CMake's project version is read from version.h: the same numbers. */
static void test_cmake_reads_the_header(void) {
  CU_ASSERT_STRING_EQUAL(mproc_version_string(), MPROC_TEST_PROJECT_VERSION);
}

static const CU_TestInfo tests[] = {
    {"the library's version is the headers'", test_library_matches_headers},
    {"CMake's project version is version.h's", test_cmake_reads_the_header},
    CU_TEST_INFO_NULL,
};

const test_suite suite_version = {"version", tests, NULL};
