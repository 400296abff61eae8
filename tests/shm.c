/* Tests of runtime/shm.c. */
#include "tests.h"

static const CU_TestInfo tests[] = {CU_TEST_INFO_NULL};

const test_suite suite_shm = {"shm", tests, NULL};
