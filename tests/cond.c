/* Tests of runtime/cond.c. */
#include "tests.h"

static const CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

const test_suite suite_cond = {"cond", tests, NULL};
