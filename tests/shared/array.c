/* Tests of runtime/array.c (Value, Array) across processes. */
#include <stdlib.h>
#include <string.h>

#include "shared/mutex.h"
#include "tests.h"

enum { CHILDREN = 4, LOCKED_PER_CHILD = 2000, ADDS_PER_CHILD = 50000 };

/* args: [i64 array, event, n, locked]: once the event is set (so that the
 * children overlap), n times increments element 0: with a get and a set
 * under the array's lock when @locked, else with one atomic add. */
static int child_array_count(const mproc_args *a, mproc_args *r) {
  mproc_array *c = NULL;
  mproc_event *e = NULL;
  int64_t n = 0, i, v;
  int locked = 0;
  (void)r;
  if (mproc_args_open_array(a, 0, &c) || mproc_args_open_event(a, 1, &e) ||
      mproc_args_get_i64(a, 2, &n) || mproc_args_get_bool(a, 3, &locked))
    return 2;
  if (mproc_event_wait(e, T_BOUND_MS) != MPROC_OK)
    return 3;
  for (i = 0; i < n; i++) {
    if (!locked) {
      if (mproc_array_add_i64(c, 0, 1, NULL))
        return 4;
      continue;
    }
    if (mproc_array_lock(c, T_BOUND_MS) != MPROC_OK)
      return 5;
    if (mproc_array_get_i64(c, 0, &v) || mproc_array_set_i64(c, 0, v + 1) || mproc_array_unlock(c))
      return 6;
  }
  mproc_array_close(c);
  mproc_event_close(e);
  return 0;
}

/* args: [f64 array of 3]: checks the parent's values, then writes its own. */
static int child_array_f64(const mproc_args *a, mproc_args *r) {
  mproc_array *d = NULL;
  double x = 0, y = 0;
  int64_t i = 0;
  int rc = 0;
  (void)r;
  if (mproc_args_open_array(a, 0, &d))
    return 2;
  if (mproc_array_length(d) != 3 || mproc_array_get_f64(d, 0, &x) ||
      mproc_array_get_f64(d, 2, &y) || x != 1.5 || y != -0.25)
    rc = 3;
  else if (mproc_array_get_i64(d, 0, &i) != MPROC_ETYPE || mproc_array_lock(d, 0) != MPROC_ESTATE)
    rc = 4; /* the type and the absence of a lock crossed too */
  else if (mproc_array_set_f64(d, 1, 6.02214076e23) || mproc_array_set_f64(d, 2, 0.1))
    rc = 5;
  mproc_array_close(d);
  return rc;
}

/* args: [array with a lock, event]: takes the lock, sets the event, sleeps
 * until killed. */
static int child_array_hold(const mproc_args *a, mproc_args *r) {
  mproc_array *c = NULL;
  mproc_event *e = NULL;
  (void)r;
  if (mproc_args_open_array(a, 0, &c) || mproc_args_open_event(a, 1, &e))
    return 2;
  if (mproc_array_lock(c, T_BOUND_MS) != MPROC_OK)
    return 3;
  mproc_array_set_i64(c, 0, 42);
  mproc_event_set(e);
  t_sleep_ms(T_FOREVER_MS);
  return 0;
}

static void test_i64_local(void) {
  mproc_array *c = NULL;
  int64_t v = -1, prev = -1, *data;
  size_t i;
  T_OK(mproc_array_create(&c, MPROC_TYPE_I64, 5, NULL));
  CU_ASSERT_FATAL(c != NULL);
  CU_ASSERT_EQUAL(mproc_array_length(c), 5);
  data = mproc_array_data(c);
  CU_ASSERT_FATAL(data != NULL);
  for (i = 0; i < 5; i++) {
    T_OK(mproc_array_get_i64(c, i, &v));
    CU_ASSERT_EQUAL(v, 0);
  }
  T_OK(mproc_array_set_i64(c, 4, INT64_MIN));
  T_OK(mproc_array_get_i64(c, 4, &v));
  CU_ASSERT(v == INT64_MIN);
  CU_ASSERT(data[4] == INT64_MIN); /* the data pointer sees the same values */
  data[2] = 7;
  T_OK(mproc_array_add_i64(c, 2, 5, &prev));
  CU_ASSERT_EQUAL(prev, 7);
  T_OK(mproc_array_add_i64(c, 2, -20, NULL));
  T_OK(mproc_array_get_i64(c, 2, &v));
  CU_ASSERT_EQUAL(v, -8);
  T_OK(mproc_array_set_i64(c, 0, INT64_MAX));
  T_OK(mproc_array_add_i64(c, 0, 1, &prev)); /* wraps, as a C int64 */
  CU_ASSERT(prev == INT64_MAX);
  T_OK(mproc_array_get_i64(c, 0, &v));
  CU_ASSERT(v == INT64_MIN);
  T_STATUS(mproc_array_get_i64(c, 5, &v), MPROC_ERANGE);
  T_STATUS(mproc_array_set_i64(c, SIZE_MAX, 1), MPROC_ERANGE);
  T_STATUS(mproc_array_add_i64(c, 5, 1, NULL), MPROC_ERANGE);
  T_STATUS(mproc_array_get_f64(c, 0, NULL), MPROC_EINVAL);
  T_STATUS(mproc_array_get_i64(c, 0, NULL), MPROC_EINVAL);
  T_OK(mproc_array_destroy(c));
}

static void test_f64_across_processes(void) {
  mproc_array *d = NULL;
  mproc_args *a = NULL;
  double x = 0, *data;
  int64_t i = 0;
  T_OK(mproc_array_create(&d, MPROC_TYPE_F64, 3, NULL));
  T_OK(mproc_array_get_f64(d, 1, &x));
  CU_ASSERT(x == 0.0);
  T_OK(mproc_array_set_f64(d, 0, 1.5));
  T_OK(mproc_array_set_f64(d, 2, -0.25));
  T_STATUS(mproc_array_get_i64(d, 0, &i), MPROC_ETYPE);
  T_STATUS(mproc_array_set_i64(d, 0, 1), MPROC_ETYPE);
  T_STATUS(mproc_array_add_i64(d, 0, 1, NULL), MPROC_ETYPE);
  T_STATUS(mproc_array_get_f64(d, 3, &x), MPROC_ERANGE);
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_array(a, d));
  CU_ASSERT_EQUAL(t_finish(t_start("child_array_f64", a, NULL)), 0);
  T_OK(mproc_array_get_f64(d, 1, &x));
  CU_ASSERT(x == 6.02214076e23);
  data = mproc_array_data(d);
  CU_ASSERT(data[0] == 1.5 && data[1] == 6.02214076e23 && data[2] == 0.1);
  mproc_args_destroy(a);
  T_OK(mproc_array_destroy(d));
}

static void test_value(void) {
  mproc_array *v = NULL;
  double x = 0;
  T_OK(mproc_array_create(&v, MPROC_TYPE_F64, 1, NULL));
  CU_ASSERT_EQUAL(mproc_array_length(v), 1);
  T_OK(mproc_array_set_f64(v, 0, -1e-300));
  T_OK(mproc_array_get_f64(v, 0, &x));
  CU_ASSERT(x == -1e-300);
  T_STATUS(mproc_array_set_f64(v, 1, 0), MPROC_ERANGE);
  T_STATUS(mproc_array_set_i64(v, 0, 0), MPROC_ETYPE);
  T_OK(mproc_array_destroy(v));
}

/* CHILDREN processes increment one element at the same time; the total is exact. */
static void counters_add_up(int locked, int64_t per_child) {
  mproc_array *c = NULL;
  mproc_event *go = NULL;
  mproc_args *a = NULL;
  mproc_process *p[CHILDREN];
  mproc_array_options options;
  int64_t v = 0;
  int i;
  options.lock = locked;
  T_OK(mproc_array_create(&c, MPROC_TYPE_I64, 1, &options));
  T_OK(mproc_event_create(&go));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_array(a, c));
  T_OK(mproc_args_add_event(a, go));
  mproc_args_add_i64(a, per_child);
  mproc_args_add_bool(a, locked);
  for (i = 0; i < CHILDREN; i++)
    p[i] = t_start("child_array_count", a, NULL);
  T_OK(mproc_event_set(go));
  for (i = 0; i < CHILDREN; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
  T_OK(mproc_array_get_i64(c, 0, &v));
  CU_ASSERT_EQUAL(v, CHILDREN * per_child);
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(go));
  T_OK(mproc_array_destroy(c));
}

static void test_locked_counter_adds_up(void) { counters_add_up(1, LOCKED_PER_CHILD); }
static void test_atomic_add_adds_up(void) { counters_add_up(0, ADDS_PER_CHILD); }

static void test_lock_rules(void) {
  mproc_array *c = NULL;
  mproc_array_options locked = {1}, unlocked = {0};
  int64_t t0;
  T_OK(mproc_array_create(&c, MPROC_TYPE_I64, 1, &unlocked));
  T_STATUS(mproc_array_lock(c, 0), MPROC_ESTATE);
  T_STATUS(mproc_array_unlock(c), MPROC_ESTATE);
  T_OK(mproc_array_destroy(c));
  T_OK(mproc_array_create(&c, MPROC_TYPE_I64, 1, NULL)); /* no options: no lock */
  T_STATUS(mproc_array_lock(c, 0), MPROC_ESTATE);
  T_OK(mproc_array_destroy(c));
  T_OK(mproc_array_create(&c, MPROC_TYPE_I64, 1, &locked));
  T_STATUS(mproc_array_unlock(c), MPROC_ESTATE); /* not locked */
  T_OK(mproc_array_lock(c, 0));
  t0 = t_now_ms();
  T_STATUS(mproc_array_lock(c, 150), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 140 && t_now_ms() - t0 < 10000);
  T_OK(mproc_array_set_i64(c, 0, 3)); /* element access never needs the lock */
  T_OK(mproc_array_unlock(c));
  T_OK(mproc_array_lock(c, MPROC_WAIT_FOREVER));
  T_OK(mproc_array_unlock(c));
  T_OK(mproc_array_destroy(c));
}

static void test_lock_owner_killed(void) {
  mproc_array *c = NULL;
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  mproc_process *p;
  mproc_array_options locked = {1};
  int64_t v = 0;
  T_OK(mproc_array_create(&c, MPROC_TYPE_I64, 1, &locked));
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_array(a, c));
  T_OK(mproc_args_add_event(a, e));
  p = t_start("child_array_hold", a, NULL);
  T_OK(mproc_event_wait(e, T_BOUND_MS));
  T_OK(mproc_process_kill(p));
  t_finish(p);
  T_STATUS(mproc_array_lock(c, T_BOUND_MS), MPROC_EOWNERDEAD);
  T_OK(mproc_array_get_i64(c, 0, &v));
  CU_ASSERT_EQUAL(v, 42);
  T_OK(mproc_array_unlock(c));
  T_OK(mproc_array_lock(c, 0)); /* usable again */
  T_OK(mproc_array_unlock(c));
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
  T_OK(mproc_array_destroy(c));
}

/* The segment comes from another process: a type, a length or flags it
 * cannot have are refused, so later index checks rest on trusted numbers. */
static void test_corrupt_segment_refused(void) {
  typedef struct {
    mproc__mutex mutex;
    uint32_t type, reserved;
    uint64_t length;
  } layout; /* as array_state in runtime/array.c */
  mproc_array *c = NULL, *o = NULL;
  mproc_args *a = NULL;
  layout *s;
  T_OK(mproc_array_create(&c, MPROC_TYPE_I64, 4, NULL));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_array(a, c));
  s = mproc__obj_state((mproc__obj *)c);
  CU_ASSERT_FATAL(s->type == MPROC_TYPE_I64 && s->length == 4);
  s->length = 5; /* past the segment */
  T_STATUS(mproc_args_open_array(a, 0, &o), MPROC_EPROTO);
  s->length = 0;
  T_STATUS(mproc_args_open_array(a, 0, &o), MPROC_EPROTO);
  s->length = 4;
  s->type = MPROC_TYPE_STR;
  T_STATUS(mproc_args_open_array(a, 0, &o), MPROC_EPROTO);
  CU_ASSERT_PTR_NULL(o);
  s->type = MPROC_TYPE_I64;
  mproc__obj_header((mproc__obj *)c)->flags = 0x80; /* an unknown flag */
  T_STATUS(mproc_args_open_array(a, 0, &o), MPROC_EPROTO);
  mproc__obj_header((mproc__obj *)c)->flags = 0;
  T_OK(mproc_args_open_array(a, 0, &o));
  s->length = 1000; /* after the open: this handle keeps the length it checked */
  CU_ASSERT_EQUAL(mproc_array_length(o), 4);
  T_STATUS(mproc_array_set_i64(o, 4, 1), MPROC_ERANGE);
  T_OK(mproc_array_close(o));
  mproc_args_destroy(a);
  T_OK(mproc_array_destroy(c));
}

static void test_bad_input_and_lifetime(void) {
  mproc_array *c = NULL, *o = NULL;
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  int64_t v = 0;
  T_STATUS(mproc_array_create(NULL, MPROC_TYPE_I64, 1, NULL), MPROC_EINVAL);
  T_STATUS(mproc_array_create(&c, MPROC_TYPE_STR, 1, NULL), MPROC_ETYPE);
  T_STATUS(mproc_array_create(&c, (mproc_type)0, 1, NULL), MPROC_ETYPE);
  T_STATUS(mproc_array_create(&c, MPROC_TYPE_I64, 0, NULL), MPROC_ERANGE);
  T_STATUS(mproc_array_create(&c, MPROC_TYPE_I64, SIZE_MAX, NULL), MPROC_ERANGE);
  T_STATUS(mproc_array_create(&c, MPROC_TYPE_F64, SIZE_MAX / 8 + 1, NULL), MPROC_ERANGE);
#if SIZE_MAX > 0xffffffffu /* with the state, just over the limit (#if: MSVC's C4127) */
  T_STATUS(mproc_array_create(&c, MPROC_TYPE_I64, (size_t)(MPROC_SHM_MAX_SIZE / 8), NULL),
           MPROC_ERANGE);
#endif
  CU_ASSERT_PTR_NULL(c);
  CU_ASSERT_EQUAL(mproc_array_length(NULL), 0);
  CU_ASSERT_PTR_NULL(mproc_array_data(NULL));
  T_STATUS(mproc_array_get_i64(NULL, 0, &v), MPROC_EINVAL);
  T_STATUS(mproc_array_set_f64(NULL, 0, 1), MPROC_EINVAL);
  T_STATUS(mproc_array_add_i64(NULL, 0, 1, NULL), MPROC_EINVAL);
  T_STATUS(mproc_array_lock(NULL, 0), MPROC_EINVAL);
  T_STATUS(mproc_array_unlock(NULL), MPROC_EINVAL);
  T_STATUS(mproc_array_close(NULL), MPROC_EINVAL);
  T_STATUS(mproc_array_destroy(NULL), MPROC_EINVAL);
  T_OK(mproc_array_create(&c, MPROC_TYPE_I64, 2, NULL));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_array(a, c));
  T_STATUS(mproc_args_open_event(a, 0, &e), MPROC_ETYPE); /* an array is not an Event */
  T_STATUS(mproc_array_close(c), MPROC_EPERM);            /* the creator destroys */
  T_OK(mproc_args_open_array(a, 0, &o));
  T_STATUS(mproc_array_destroy(o), MPROC_EPERM);
  T_OK(mproc_array_set_i64(o, 1, 9));
  T_OK(mproc_array_get_i64(c, 1, &v));
  CU_ASSERT_EQUAL(v, 9); /* the same shared values */
  T_OK(mproc_array_close(o));
  T_STATUS(mproc_array_get_i64(o, 1, &v), MPROC_ECLOSED);
  T_OK(mproc_array_destroy(c));
  T_STATUS(mproc_array_get_i64(c, 0, &v), MPROC_ECLOSED);
  T_STATUS(mproc_array_set_i64(c, 0, 1), MPROC_ECLOSED);
  T_STATUS(mproc_array_lock(c, 0), MPROC_ECLOSED);
  T_STATUS(mproc_array_destroy(c), MPROC_ECLOSED);
  CU_ASSERT_EQUAL(mproc_array_length(c), 0);
  CU_ASSERT_PTR_NULL(mproc_array_data(c));
  T_STATUS(mproc_args_add_array(a, c), MPROC_ENOTSHAREABLE);
  o = NULL;
  CU_ASSERT_NOT_EQUAL(mproc_args_open_array(a, 0, &o), MPROC_OK); /* the name is gone */
  CU_ASSERT_PTR_NULL(o);
  mproc_args_destroy(a);
}

static const CU_TestInfo tests[] = {
    {"i64 array", test_i64_local},
    {"f64 array across processes", test_f64_across_processes},
    {"Value (length 1)", test_value},
    {"get + set under the lock add up exactly", test_locked_counter_adds_up},
    {"lock-free add_i64 adds up exactly", test_atomic_add_adds_up},
    {"lock rules", test_lock_rules},
    {"lock owner killed: EOWNERDEAD", test_lock_owner_killed},
    {"corrupt segment refused", test_corrupt_segment_refused},
    {"bad input and lifetime", test_bad_input_and_lifetime},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(child_array_count),
                                           MPROC_FUNCTION(child_array_f64),
                                           MPROC_FUNCTION(child_array_hold), MPROC_FUNCTIONS_END};

const test_suite suite_array = {"array", tests, functions};
