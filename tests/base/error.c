/* Tests of runtime/error.c: the status table and the per-thread detail. */
#include <errno.h>
#include <string.h>

#include "tests.h"

static void test_every_code_has_a_distinct_message(void) {
  int a, b;
  for (a = MPROC_ERRSPACE_START + 1; a < MPROC__STATUS_END; a++) {
    const char *m = mproc_strerror(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT(strlen(m) > 3);
    CU_ASSERT_STRING_NOT_EQUAL(mproc_status_name(a), "OS");
    for (b = a + 1; b < MPROC__STATUS_END; b++)
      CU_ASSERT_STRING_NOT_EQUAL(mproc_strerror(a), mproc_strerror(b));
  }
  CU_ASSERT_STRING_EQUAL(mproc_status_name(MPROC_ETIMEDOUT), "MPROC_ETIMEDOUT");
  CU_ASSERT_STRING_EQUAL(mproc_strerror(MPROC_OK), "success");
}

static void test_os_codes_pass_through(void) {
  /* APR's space: OS codes are described by APR, not mistaken for mproc's. */
  CU_ASSERT_STRING_EQUAL(mproc_status_name(ENOENT), "OS");
  CU_ASSERT(strlen(mproc_strerror(ENOENT)) > 3);
  CU_ASSERT_STRING_NOT_EQUAL(mproc_strerror(ENOENT), mproc_strerror(MPROC_EINVAL));
}

static void test_last_error_names_the_call(void) {
  mproc_process *p;
  T_STATUS(mproc_process_create(&p, "no_such_function", NULL, NULL), MPROC_ENOFUNC);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "mproc_process_create"));
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "no_such_function"));
  T_STATUS(mproc_args_create(NULL), MPROC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "mproc_args_create"));
}

/* "I hold the lock now": MPROC_OK and MPROC_EOWNERDEAD, nothing else. */
static void test_status_held(void) {
  int s, held = 0;
  CU_ASSERT(mproc_status_held(MPROC_OK));
  CU_ASSERT(mproc_status_held(MPROC_EOWNERDEAD));
  for (s = MPROC_ERRSPACE_START + 1; s < MPROC__STATUS_END; s++)
    held += mproc_status_held(s) != 0;
  CU_ASSERT_EQUAL(held, 1);
  CU_ASSERT(!mproc_status_held(ENOENT));
}

static const CU_TestInfo tests[] = {
    {"mproc_status_held: OK and EOWNERDEAD only", test_status_held},
    {"every code has a distinct message", test_every_code_has_a_distinct_message},
    {"OS codes pass through", test_os_codes_pass_through},
    {"last error names the call", test_last_error_names_the_call},
    CU_TEST_INFO_NULL};

const test_suite suite_error = {"error", tests, NULL};
