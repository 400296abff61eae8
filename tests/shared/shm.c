/* Tests of runtime/shm.c (raw shared memory) across processes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h" /* mproc__exit_now */
#include "tests.h"

/* A byte pattern that varies with the offset, within and across pages;
 * @salt tells the parent's bytes from the child's. */
static uint8_t pattern(size_t i, uint8_t salt) {
  return (uint8_t)((i ^ (i >> 8) ^ (i >> 16) ^ (i >> 24)) + salt);
}

static void fill(uint8_t *p, size_t n, uint8_t salt) {
  size_t i;
  for (i = 0; i < n; i++)
    p[i] = pattern(i, salt);
}

/* The first offset where @p differs from the pattern, or @n. */
static size_t first_mismatch(const uint8_t *p, size_t n, uint8_t salt) {
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] != pattern(i, salt))
      return i;
  return n;
}

static int all_zero(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i])
      return 0;
  return 1;
}

/* args: [shm, size]: checks the size and the parent's pattern (salt 1), then
 * writes its own (salt 2). */
static int child_shm_verify(const mproc_args *a, mproc_args *r) {
  mproc_shm *s = NULL;
  int64_t size = 0;
  size_t n;
  uint8_t *p;
  int rc = 0;
  (void)r;
  if (mproc_args_open_shm(a, 0, &s) || mproc_args_get_i64(a, 1, &size))
    return 2;
  n = mproc_shm_size(s);
  p = mproc_shm_base(s);
  if (n != (size_t)size || !p)
    rc = 3;
  else if (first_mismatch(p, n, 1) != n)
    rc = 4;
  else
    fill(p, n, 2);
  mproc_shm_close(s);
  return rc;
}

/* args: [shm]: exits 0 if opening fails cleanly (the name was destroyed). */
static int child_shm_open_fails(const mproc_args *a, mproc_args *r) {
  mproc_shm *s = NULL;
  mproc_status st;
  (void)r;
  st = mproc_args_open_shm(a, 0, &s);
  if (st == MPROC_OK) {
    mproc_shm_close(s);
    return 1;
  }
  return s == NULL && mproc_last_error()[0] ? 0 : 3;
}

/* The parent writes, a child verifies and writes back, the parent verifies. */
static void round_trip(size_t size) {
  mproc_shm *s = NULL;
  mproc_args *a = NULL;
  uint8_t *p;
  T_OK(mproc_shm_create(&s, size, NULL));
  CU_ASSERT_FATAL(s != NULL);
  p = mproc_shm_base(s);
  CU_ASSERT_FATAL(p != NULL);
  CU_ASSERT_EQUAL(mproc_shm_size(s), size);
  CU_ASSERT(all_zero(p, size));
  fill(p, size, 1);
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_shm(a, s));
  mproc_args_add_i64(a, (int64_t)size);
  CU_ASSERT_EQUAL(t_finish(t_start("child_shm_verify", a, NULL)), 0);
  CU_ASSERT_EQUAL(first_mismatch(p, size, 2), size);
  mproc_args_destroy(a);
  T_OK(mproc_shm_destroy(s));
}

static void test_small_round_trip(void) { round_trip(4096); }
static void test_odd_size_round_trip(void) { round_trip(4097); }
static void test_one_byte(void) { round_trip(1); }
static void test_64_mib_round_trip(void) { round_trip((size_t)64 << 20); }

static void test_sizes_out_of_range(void) {
  mproc_shm *s = NULL;
  T_STATUS(mproc_shm_create(&s, 0, NULL), MPROC_ERANGE);
  T_STATUS(mproc_shm_create(&s, SIZE_MAX, NULL), MPROC_ERANGE);
  T_STATUS(mproc_shm_create(&s, SIZE_MAX - 8, NULL), MPROC_ERANGE); /* the header would wrap */
#if SIZE_MAX > 0xffffffffu /* (a 32-bit size_t cannot say it; #if: MSVC's C4127) */
  T_STATUS(mproc_shm_create(&s, (size_t)(MPROC_SHM_MAX_SIZE + 1), NULL), MPROC_ERANGE);
#endif
  CU_ASSERT_PTR_NULL(s);
}

static void test_bad_input_and_lifetime(void) {
  mproc_shm *s = NULL, *o = NULL;
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  T_STATUS(mproc_shm_create(NULL, 16, NULL), MPROC_EINVAL);
  CU_ASSERT_PTR_NULL(mproc_shm_base(NULL));
  CU_ASSERT_EQUAL(mproc_shm_size(NULL), 0);
  CU_ASSERT_STRING_EQUAL(mproc_shm_name(NULL), "");
  T_STATUS(mproc_shm_close(NULL), MPROC_EINVAL);
  T_STATUS(mproc_shm_destroy(NULL), MPROC_EINVAL);
  T_OK(mproc_shm_create(&s, 16, NULL));
  CU_ASSERT(strncmp(mproc_shm_name(s), "mproc-", 6) == 0);
  T_OK(mproc_args_create(&a));
  T_STATUS(mproc_args_add_shm(a, NULL), MPROC_EINVAL);
  T_OK(mproc_args_add_shm(a, s));
  T_STATUS(mproc_args_open_event(a, 0, &e), MPROC_ETYPE); /* shared memory is not an Event */
  T_STATUS(mproc_shm_close(s), MPROC_EPERM);              /* the creator destroys */
  T_OK(mproc_args_open_shm(a, 0, &o));                    /* a second mapping, same bytes */
  CU_ASSERT_EQUAL(mproc_shm_size(o), 16);
  CU_ASSERT_STRING_EQUAL(mproc_shm_name(o), mproc_shm_name(s));
  ((uint8_t *)mproc_shm_base(o))[15] = 0xA5;
  CU_ASSERT_EQUAL(((uint8_t *)mproc_shm_base(s))[15], 0xA5);
  T_STATUS(mproc_shm_destroy(o), MPROC_EPERM);
  T_OK(mproc_shm_close(o));
  T_STATUS(mproc_shm_close(o), MPROC_ECLOSED);
  CU_ASSERT_PTR_NULL(mproc_shm_base(o));
  T_OK(mproc_shm_destroy(s));
  T_STATUS(mproc_shm_destroy(s), MPROC_ECLOSED);
  T_STATUS(mproc_shm_close(s), MPROC_ECLOSED);
  CU_ASSERT_PTR_NULL(mproc_shm_base(s));
  CU_ASSERT_EQUAL(mproc_shm_size(s), 0);
  CU_ASSERT_STRING_EQUAL(mproc_shm_name(s), "");
  T_STATUS(mproc_args_add_shm(a, s), MPROC_ENOTSHAREABLE);
  mproc_args_destroy(a);
}

/* A child given the name of a destroyed segment gets an error, not a crash. */
static void test_child_open_after_destroy(void) {
  mproc_shm *s = NULL;
  mproc_args *a = NULL;
  T_OK(mproc_shm_create(&s, 4096, NULL));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_shm(a, s));
  T_OK(mproc_shm_destroy(s));
  CU_ASSERT_EQUAL(t_finish(t_start("child_shm_open_fails", a, NULL)), 0);
  mproc_args_destroy(a);
}

/* In a private /dev/shm of 1 MiB: objects run out with an error naming
 * /dev/shm, never a SIGBUS at their first touch, and a segment larger than
 * the room left is refused. Exits 0; 77 where no private /dev/shm can be
 * had. */
static int shm_full_child(const mproc_args *a, mproc_args *r) {
  mproc_event *ev[1024];
  mproc_shm *big = NULL;
  mproc_status st = MPROC_OK;
  int n = 0, code = 0;
  (void)a;
  (void)r;
  if (!t_private_shm(1024))
    exit(77); /* a function's non-zero return is exit code 1 */
  while (n < 1024 && (st = mproc_event_create(&ev[n])) == MPROC_OK)
    n++;
  if (st == MPROC_OK || !strstr(mproc_last_error(), "/dev/shm"))
    code = 1;
  printf("(%d events, then: %s) ", n, mproc_last_error());
  while (n > 0)
    mproc_event_destroy(ev[--n]);
  if (mproc_shm_create(&big, 4u << 20, NULL) == MPROC_OK) {
    memset(mproc_shm_base(big), 1, 4u << 20); /* the SIGBUS this used to be */
    code = 2;
  }
  return code;
}

static void test_full_dev_shm(void) {
  t_child_passes("shm_full_child", "no private /dev/shm here: needs Linux and root");
}

/* A name no other test run uses at the same time (names are per user). */
static void unique_name(char *out, size_t cap, const char *tag) {
  snprintf(out, cap, "%s%llx", tag, (unsigned long long)mproc_self_pid());
}

/* args: [name, size]: attaches by name only (as an unrelated process
 * would), checks the parent's pattern, writes its own. */
static int child_shm_attach(const mproc_args *a, mproc_args *r) {
  mproc_shm *s = NULL;
  const char *name = NULL;
  int64_t size = 0;
  int rc = 0;
  (void)r;
  if (mproc_args_unpack(a, "str i64", &name, &size) || mproc_shm_attach(&s, name))
    return 2;
  if (mproc_shm_size(s) != (size_t)size ||
      first_mismatch(mproc_shm_base(s), (size_t)size, 1) != (size_t)size)
    rc = 3;
  else
    fill(mproc_shm_base(s), (size_t)size, 2);
  mproc_shm_close(s);
  return rc;
}

/* args: [name]: creates a segment of that name, then dies holding it. */
static int child_shm_named_dies(const mproc_args *a, mproc_args *r) {
  mproc_shm *s = NULL;
  const char *name = NULL;
  (void)r;
  if (mproc_args_get_str(a, 0, &name) ||
      mproc_shm_create(&s, 64, &(mproc_shm_options){.name = name}))
    return 2;
  mproc__exit_now(9); /* no destroy, no exit handlers: as a kill */
  return 0;
}

/* SharedMemory(name=...): a process that knows only the name attaches; the
 * name is the creator's until its destroy. */
static void test_named_attach(void) {
  enum { SIZE = 10000 };
  char name[32];
  mproc_shm *s = NULL, *again = NULL, *mine = NULL;
  mproc_args *a = NULL;
  unique_name(name, sizeof name, "sa");
  T_OK(mproc_shm_create(&s, SIZE, &(mproc_shm_options){.name = name}));
  if (!s)
    return;
  fill(mproc_shm_base(s), SIZE, 1);
  T_OK(mproc_args_create_packed(&a, "str i64", name, (int64_t)SIZE));
  CU_ASSERT_EQUAL(t_finish(t_start("child_shm_attach", a, NULL)), 0);
  CU_ASSERT_EQUAL(first_mismatch(mproc_shm_base(s), SIZE, 2), SIZE);
  T_STATUS(mproc_shm_create(&again, 16, &(mproc_shm_options){.name = name}), MPROC_EEXIST);
  T_OK(mproc_shm_attach(&mine, name)); /* in the creator's own process too */
  CU_ASSERT(mproc_shm_base(mine) != NULL && mproc_shm_size(mine) == SIZE);
  T_OK(mproc_shm_close(mine));
  T_OK(mproc_shm_destroy(s));
  CU_ASSERT_NOT_EQUAL(mproc_shm_attach(&mine, name), MPROC_OK); /* the name went with it */
  T_OK(mproc_shm_create(&again, 16, &(mproc_shm_options){.name = name})); /* free again */
  T_OK(mproc_shm_destroy(again));
  mproc_args_destroy(a);
}

/* A creator killed holding a name: attach refuses it, and the next create
 * of the name takes it over. */
static void test_named_creator_killed(void) {
  char name[32];
  mproc_shm *s = NULL, *t = NULL;
  mproc_args *a = NULL;
  unique_name(name, sizeof name, "sk");
  T_OK(mproc_args_create_packed(&a, "str", name));
  CU_ASSERT_EQUAL(t_finish(t_start("child_shm_named_dies", a, NULL)), 9);
  CU_ASSERT_NOT_EQUAL(mproc_shm_attach(&t, name), MPROC_OK); /* ESTATE; gone on Windows */
  CU_ASSERT_PTR_NULL(t);
  T_OK(mproc_shm_create(&s, 32, &(mproc_shm_options){.name = name}));
  T_OK(mproc_shm_attach(&t, name));
  T_OK(mproc_shm_close(t));
  T_OK(mproc_shm_destroy(s));
  mproc_args_destroy(a);
}

/* Names are checked before anything is made. */
static void test_named_bad_names(void) {
  static const char *const bad[] = {"", "a-b", "a/b", "a b", "mproc.x", "twenty_one_characters"};
  mproc_shm *s = NULL;
  mproc_shm_options o = {.name = NULL};
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    o.name = bad[i];
    T_STATUS(mproc_shm_create(&s, 16, &o), MPROC_EINVAL);
    T_STATUS(mproc_shm_attach(&s, bad[i]), MPROC_EINVAL);
  }
  CU_ASSERT_PTR_NULL(s);
  T_STATUS(mproc_shm_attach(&s, NULL), MPROC_EINVAL);
  T_STATUS(mproc_shm_attach(NULL, "x"), MPROC_EINVAL);
  CU_ASSERT_NOT_EQUAL(mproc_shm_attach(&s, "no_such_name_here"), MPROC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "no segment named \"no_such_name_here\""));
  CU_ASSERT_PTR_NULL(s);
  o.name = "twenty_characters_ok";
  T_OK(mproc_shm_create(&s, 16, &o)); /* the longest */
  T_OK(mproc_shm_destroy(s));
}

static const CU_TestInfo tests[] = {
    {"SharedMemory(name=): attach by name from another process", test_named_attach},
    {"SharedMemory(name=): a killed creator's name is taken over", test_named_creator_killed},
    {"SharedMemory(name=): bad names refused", test_named_bad_names},
    {"a full /dev/shm is an error, never a SIGBUS", test_full_dev_shm},
    {"4 KiB round trip", test_small_round_trip},
    {"odd size round trip", test_odd_size_round_trip},
    {"one byte", test_one_byte},
    {"64 MiB round trip", test_64_mib_round_trip},
    {"sizes out of range", test_sizes_out_of_range},
    {"bad input and lifetime", test_bad_input_and_lifetime},
    {"child opens after destroy", test_child_open_after_destroy},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {
    MPROC_FUNCTION(child_shm_verify),     MPROC_FUNCTION(child_shm_open_fails),
    MPROC_FUNCTION(shm_full_child),       MPROC_FUNCTION(child_shm_attach),
    MPROC_FUNCTION(child_shm_named_dies), MPROC_FUNCTIONS_END};

const test_suite suite_shm = {"shm", tests, functions};
