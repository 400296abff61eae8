/*
 * The test runner:
 *   mproc_tests                    every suite
 *   mproc_tests --suite NAME       one suite
 *   mproc_tests --test SUITE/TEST  one test, by its full name (CTest runs each so)
 *   mproc_tests --list             the suites' names
 *   mproc_tests --list-tests       every test's full name "suite/test", one a line
 *   mproc_tests --init-only        mproc_init() and nothing else
 *   mproc_tests --check-no-names   no mproc name left behind (after the suites)
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "shared/object.h" /* names */
#include "tests.h"

static const test_suite *const suites[] = {
    &suite_error,        &suite_version, &suite_args,    &suite_result, &suite_process,
    &suite_init,         &suite_object,  &suite_event,   &suite_lock,   &suite_storm,
    &suite_semaphore,    &suite_cond,    &suite_barrier, &suite_shm,    &suite_array,
    &suite_pool,         &suite_map,     &suite_handoff, &suite_queue,  &suite_queue_faults,
    &suite_queue_stress, &suite_pipe,    &suite_wait,    &suite_backend};
#define NSUITES (sizeof suites / sizeof suites[0])

void t_check_status(mproc_status got, mproc_status want, const char *what, const char *file,
                    int line) {
  if (got != want)
    fprintf(stderr, "\n%s:%d: %s returned %s (%d: %s), wanted %s; detail: %s\n", file, line, what,
            mproc_status_name(got), got, mproc_strerror(got), mproc_status_name(want),
            mproc_last_error());
  CU_assertImplementation(got == want, (unsigned)line, what, file, "", CU_FALSE);
}

/* Every suite's child functions, merged into the one registry mproc_init() takes. */
static mproc_function *merged_registry(void) {
  static mproc_function all[256];
  size_t n = 0, i;
  const mproc_function *f;
  for (i = 0; i < NSUITES; i++)
    for (f = suites[i]->functions; f && f->name; f++)
      if (n < sizeof all / sizeof all[0] - 1)
        all[n++] = *f;
  all[n].name = NULL;
  all[n].fn = NULL;
  return all;
}

/* Prints every mproc name on this machine; used after the whole suite (before
 * mproc_init(), whose sweep would hide what was left behind). */
static void print_name(const char *name, void *arg) {
  /* A live creator's names are in use (another mproc program may be running):
   * only a dead creator's names are leaks. */
  if (mproc__name_creator_lives(name)) {
    printf("in use by a live process: %s\n", name);
    return;
  }
  printf("left behind: %s\n", name);
  ++*(int *)arg;
}

static int check_no_names(void) {
  int n = 0;
  if (mproc__names_list(print_name, &n) == MPROC_ENOTSUP) {
    printf("SKIP: this OS cannot list named objects (%s)\n", mproc_last_error());
    return 77;
  }
  printf("%d mproc names left behind\n", n);
  return n ? 1 : 0;
}

/* Prints every test's full name; needs no runtime, so tests/CMakeLists.txt's
 * discovery runs it before anything else could fail. */
static int list_tests(void) {
  size_t i;
  const CU_TestInfo *t;
  for (i = 0; i < NSUITES; i++)
    for (t = suites[i]->tests; t && t->pName; t++)
      printf("%s/%s\n", suites[i]->name, t->pName);
  return 0;
}

/* Splits "suite/test" at its first '/' (suite names have none; test names may)
 * into the suite's index and the test's name; -1 if there is no such test. */
static int find_test(const char *full, const char **test) {
  const char *slash = strchr(full, '/');
  size_t i, len;
  const CU_TestInfo *t;
  if (!slash)
    return -1;
  len = (size_t)(slash - full);
  for (i = 0; i < NSUITES; i++) {
    if (strlen(suites[i]->name) != len || strncmp(suites[i]->name, full, len) != 0)
      continue;
    for (t = suites[i]->tests; t && t->pName; t++)
      if (strcmp(t->pName, slash + 1) == 0) {
        *test = t->pName;
        return (int)i;
      }
  }
  return -1;
}

int main(int argc, char **argv) {
  const char *only = NULL, *one = NULL, *test = NULL;
  unsigned failures;
  size_t i;
  int a, one_suite = -1;
  mproc_status st;
  if (argc == 2 && strcmp(argv[1], "--check-no-names") == 0)
    return check_no_names();
  if (argc == 2 && strcmp(argv[1], "--list-tests") == 0)
    return list_tests();
  st = mproc_init(&argc, &argv, merged_registry());
  if (st != MPROC_OK) {
    fprintf(stderr, "mproc_init: %s\n", mproc_last_error());
    return 2;
  }
  for (a = 1; a < argc; a++) {
    if (strcmp(argv[a], "--init-only") == 0)
      return 0; /* mproc_init() ran (and swept): the object suite needs just that */
    else if (strcmp(argv[a], "--suite") == 0 && a + 1 < argc)
      only = argv[++a];
    else if (strcmp(argv[a], "--test") == 0 && a + 1 < argc)
      one = argv[++a];
    else if (strcmp(argv[a], "--list") == 0) {
      for (i = 0; i < NSUITES; i++)
        printf("%s\n", suites[i]->name);
      return 0;
    } else if (strcmp(argv[a], "--list-tests") == 0) {
      return list_tests();
    } else {
      fprintf(stderr,
              "usage: %s [--suite NAME | --test SUITE/TEST | --list | --list-tests |"
              " --init-only | --check-no-names]\n",
              argv[0]);
      return 2;
    }
  }
  if (only && one) {
    fprintf(stderr, "--suite and --test exclude each other\n");
    return 2;
  }
  if (one) {
    one_suite = find_test(one, &test);
    if (one_suite < 0) {
      fprintf(stderr, "no test named \"%s\" (full names are \"suite/test\": see --list-tests)\n",
              one);
      return 2;
    }
  }
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 2;
  for (i = 0; i < NSUITES; i++) {
    CU_SuiteInfo info[2] = {{NULL, NULL, NULL, NULL, NULL, NULL}, CU_SUITE_INFO_NULL};
    if (only && strcmp(only, suites[i]->name) != 0)
      continue;
    if (one && (size_t)one_suite != i)
      continue;
    info[0].pName = suites[i]->name;
    info[0].pTests = (CU_TestInfo *)suites[i]->tests;
    if (CU_register_suites(info) != CUE_SUCCESS)
      return 2;
  }
  if (CU_get_registry()->uiNumberOfSuites == 0) {
    fprintf(stderr, "no suite named %s\n", only ? only : "(none)");
    CU_cleanup_registry();
    return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  if (one) {
    CU_pSuite suite = CU_get_suite(suites[one_suite]->name);
    CU_pTest t = suite ? CU_get_test(suite, test) : NULL;
    if (!t) {
      fprintf(stderr, "CUnit lost test \"%s\"\n", one);
      CU_cleanup_registry();
      return 2;
    }
    CU_basic_run_test(suite, t);
  } else {
    CU_basic_run_tests();
  }
  failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}
