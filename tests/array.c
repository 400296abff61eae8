/* Tests of runtime/array.c. */
#include "tests.h"

static const CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

const test_suite suite_array = {"array", tests, NULL};
