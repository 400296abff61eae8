/* Tests of runtime/array.c (Value, Array) across processes. */
#include <stdio.h>
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

/* args: [array, event, index, n]: once the event is set, adds 1 to element
 * @index n times (mproc_array_add: any integer type). */
static int child_array_add_at(const mproc_args *a, mproc_args *r) {
  mproc_array *c = NULL;
  mproc_event *e = NULL;
  int64_t index = 0, n = 0, i;
  (void)r;
  if (mproc_args_open_array(a, 0, &c) || mproc_args_open_event(a, 1, &e) ||
      mproc_args_get_i64(a, 2, &index) || mproc_args_get_i64(a, 3, &n))
    return 2;
  if (mproc_event_wait(e, T_BOUND_MS) != MPROC_OK)
    return 3;
  for (i = 0; i < n; i++)
    if (mproc_array_add(c, (size_t)index, 1, NULL) != MPROC_OK)
      return 4;
  mproc_array_close(c);
  mproc_event_close(e);
  return 0;
}

/* A record as a program would share it. */
typedef struct point {
  int32_t id;
  double x;
  char tag[8];
} point;

/* args: [array of points]: checks record 0, writes record 1. */
static int child_array_records(const mproc_args *a, mproc_args *r) {
  mproc_array *d = NULL;
  point p;
  int rc = 0;
  (void)r;
  if (mproc_args_open_array(a, 0, &d))
    return 2;
  memset(&p, 0, sizeof p);
  if (mproc_array_elem(d) != MPROC_ELEM_RECORD || mproc_array_elem_size(d) != sizeof(point) ||
      mproc_array_get(d, 0, &p) || p.id != 7 || p.x != 2.5 || strcmp(p.tag, "seven"))
    rc = 3;
  p.id = 8;
  p.x = -1.25;
  snprintf(p.tag, sizeof p.tag, "eight");
  if (rc == 0 && mproc_array_set(d, 1, &p))
    rc = 4;
  mproc_array_close(d);
  return rc;
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
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, 5, NULL));
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
  T_OK(mproc_array_create(&d, MPROC_ELEM_F64, 3, NULL));
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
  T_OK(mproc_array_create(&v, MPROC_ELEM_F64, 1, NULL));
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
  mproc_array_options options = {.lock = 0};
  int64_t v = 0;
  int i;
  options.lock = locked;
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, 1, &options));
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
  mproc_array_options locked = {.lock = 1}, unlocked = {.lock = 0};
  int64_t t0;
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, 1, &unlocked));
  T_STATUS(mproc_array_lock(c, 0), MPROC_ESTATE);
  T_STATUS(mproc_array_unlock(c), MPROC_ESTATE);
  T_OK(mproc_array_destroy(c));
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, 1, NULL)); /* no options: no lock */
  T_STATUS(mproc_array_lock(c, 0), MPROC_ESTATE);
  T_OK(mproc_array_destroy(c));
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, 1, &locked));
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
  mproc_array_options locked = {.lock = 1};
  int64_t v = 0;
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, 1, &locked));
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

/* Every integer type wraps in its own width, reads back sign- or
 * zero-extended, and leaves its neighbours alone. */
static void test_integer_types(void) {
  static const struct {
    mproc_elem elem;
    size_t size;
    int64_t start, delta, after, previous;
  } cases[] = {
      {MPROC_ELEM_U8, 1, 250, 10, 4, 250},
      {MPROC_ELEM_I8, 1, 127, 1, -128, 127},
      {MPROC_ELEM_I16, 2, -32768, -1, 32767, -32768},
      {MPROC_ELEM_U16, 2, 65535, 2, 1, 65535},
      {MPROC_ELEM_I32, 4, INT32_MAX, 1, INT32_MIN, INT32_MAX},
      {MPROC_ELEM_U32, 4, 0, -1, 4294967295LL, 0},
      {MPROC_ELEM_U64, 8, -1 /* UINT64_MAX */, 1, 0, -1},
      {MPROC_ELEM_I64, 8, INT64_MAX, 1, INT64_MIN, INT64_MAX},
  };
  size_t i, k;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mproc_array *c = NULL;
    uint8_t raw[8], zero[8], mark[8];
    int64_t prev = 0, got = 0;
    T_OK(mproc_array_create(&c, cases[i].elem, 5, NULL));
    if (!c)
      continue;
    CU_ASSERT_EQUAL(mproc_array_elem_size(c), cases[i].size);
    memset(mark, 0xa5, sizeof mark);
    T_OK(mproc_array_set(c, 1, mark)); /* neighbours of element 2 */
    T_OK(mproc_array_set(c, 3, mark));
    /* start, as the element's own C type: the low bytes of an int64 in host order */
    T_OK(mproc_array_add(c, 2, cases[i].start, NULL));
    T_OK(mproc_array_add(c, 2, cases[i].delta, &prev));
    CU_ASSERT_EQUAL(prev, cases[i].previous);
    T_OK(mproc_array_add(c, 2, 0, &got));
    CU_ASSERT_EQUAL(got, cases[i].after);
    memset(zero, 0, sizeof zero);
    for (k = 0; k < 5; k++) {
      T_OK(mproc_array_get(c, k, raw));
      if (k == 1 || k == 3)
        CU_ASSERT_EQUAL(memcmp(raw, mark, cases[i].size), 0);
      if (k == 0 || k == 4)
        CU_ASSERT_EQUAL(memcmp(raw, zero, cases[i].size), 0);
    }
    T_OK(mproc_array_destroy(c));
  }
}

/* Floats, bools and records: get and set only; the typed shortcuts refuse
 * another type. */
static void test_other_types(void) {
  mproc_array *f = NULL, *b = NULL, *r = NULL;
  mproc_array_options ro = {.lock = 0, .record_size = sizeof(point)};
  float x = 1.5f, y = 0;
  uint8_t t = 5, u = 0;
  point p = {3, 0.5, "three"}, q;
  int64_t v = 0;
  T_OK(mproc_array_create(&f, MPROC_ELEM_F32, 3, NULL));
  T_OK(mproc_array_set(f, 2, &x));
  T_OK(mproc_array_get(f, 2, &y));
  CU_ASSERT_EQUAL(y, 1.5f);
  T_STATUS(mproc_array_add(f, 0, 1, NULL), MPROC_ETYPE);
  T_STATUS(mproc_array_get_f64(f, 0, NULL), MPROC_EINVAL);
  T_STATUS(mproc_array_get_i64(f, 0, &v), MPROC_ETYPE);
  T_OK(mproc_array_create(&b, MPROC_ELEM_BOOL, 2, NULL));
  T_OK(mproc_array_set(b, 1, &t));
  T_OK(mproc_array_get(b, 1, &u));
  CU_ASSERT_EQUAL(u, 1); /* any non-zero is stored as 1 */
  T_STATUS(mproc_array_add(b, 1, 1, NULL), MPROC_ETYPE);
  T_OK(mproc_array_create(&r, MPROC_ELEM_RECORD, 4, &ro));
  T_OK(mproc_array_set(r, 3, &p));
  memset(&q, 0, sizeof q);
  T_OK(mproc_array_get(r, 3, &q));
  CU_ASSERT(q.id == 3 && q.x == 0.5 && strcmp(q.tag, "three") == 0);
  T_STATUS(mproc_array_add(r, 0, 1, NULL), MPROC_ETYPE);
  T_STATUS(mproc_array_get(r, 4, &q), MPROC_ERANGE);
  T_STATUS(mproc_array_get(r, 0, NULL), MPROC_EINVAL);
  T_OK(mproc_array_destroy(f));
  T_OK(mproc_array_destroy(b));
  T_OK(mproc_array_destroy(r));
  ro.record_size = 0;
  T_STATUS(mproc_array_create(&r, MPROC_ELEM_RECORD, 1, &ro), MPROC_ERANGE);
  ro.record_size = 65537;
  T_STATUS(mproc_array_create(&r, MPROC_ELEM_RECORD, 1, &ro), MPROC_ERANGE);
  T_STATUS(mproc_array_create(&r, (mproc_elem)99, 1, NULL), MPROC_ETYPE);
  CU_ASSERT_EQUAL(mproc_array_elem(NULL), MPROC_ELEM_NONE);
  CU_ASSERT_EQUAL(mproc_array_elem_size(NULL), 0);
}

/* Four processes add to four adjacent bytes (one 4-byte word), and two to
 * two adjacent 16-bit values, at once: no add of a neighbour is lost. */
static void test_adjacent_adds_across_processes(void) {
  enum { BYTE_ADDS = 250, SHORT_ADDS = 20000 };
  mproc_array *u8 = NULL, *u16 = NULL;
  mproc_event *go = NULL;
  mproc_process *p[6];
  int i;
  uint8_t b = 0;
  uint16_t s = 0;
  T_OK(mproc_array_create(&u8, MPROC_ELEM_U8, 4, NULL));
  T_OK(mproc_array_create(&u16, MPROC_ELEM_U16, 2, NULL));
  T_OK(mproc_event_create(&go));
  for (i = 0; i < 6; i++) {
    mproc_args *a = NULL;
    mproc_args_create(&a);
    mproc_args_add_array(a, i < 4 ? u8 : u16);
    mproc_args_add_event(a, go);
    mproc_args_add_i64(a, i < 4 ? i : i - 4);
    mproc_args_add_i64(a, i < 4 ? BYTE_ADDS : SHORT_ADDS);
    p[i] = t_start("child_array_add_at", a, NULL);
    mproc_args_destroy(a);
  }
  T_OK(mproc_event_set(go));
  for (i = 0; i < 6; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
  for (i = 0; i < 4; i++) {
    T_OK(mproc_array_get(u8, (size_t)i, &b));
    CU_ASSERT_EQUAL(b, BYTE_ADDS);
  }
  for (i = 0; i < 2; i++) {
    T_OK(mproc_array_get(u16, (size_t)i, &s));
    CU_ASSERT_EQUAL(s, SHORT_ADDS);
  }
  T_OK(mproc_event_destroy(go));
  T_OK(mproc_array_destroy(u8));
  T_OK(mproc_array_destroy(u16));
}

/* An array of structs crosses to another process and back. */
static void test_records_across_processes(void) {
  mproc_array *d = NULL;
  mproc_array_options o = {.lock = 1, .record_size = sizeof(point)};
  mproc_args *a = NULL;
  point p = {7, 2.5, "seven"}, q;
  T_OK(mproc_array_create(&d, MPROC_ELEM_RECORD, 2, &o));
  T_OK(mproc_array_set(d, 0, &p));
  mproc_args_create(&a);
  T_OK(mproc_args_add_array(a, d));
  CU_ASSERT_EQUAL(t_finish(t_start("child_array_records", a, NULL)), 0);
  memset(&q, 0, sizeof q);
  T_OK(mproc_array_get(d, 1, &q));
  CU_ASSERT(q.id == 8 && q.x == -1.25 && strcmp(q.tag, "eight") == 0);
  mproc_args_destroy(a);
  T_OK(mproc_array_destroy(d));
}

/* The segment comes from another process: a type, a length or flags it
 * cannot have are refused, so later index checks rest on trusted numbers. */
static void test_corrupt_segment_refused(void) {
  typedef struct {
    mproc__mutex mutex;
    uint32_t type, size;
    uint64_t length;
  } layout; /* as array_state in runtime/shared/array.c */
  mproc_array *c = NULL, *o = NULL;
  mproc_args *a = NULL;
  layout *s;
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, 4, NULL));
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
  s->size = 4; /* not an int64's */
  T_STATUS(mproc_args_open_array(a, 0, &o), MPROC_EPROTO);
  s->size = 8;
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
  T_STATUS(mproc_array_create(NULL, MPROC_ELEM_I64, 1, NULL), MPROC_EINVAL);
  T_STATUS(mproc_array_create(&c, (mproc_elem)MPROC_TYPE_STR, 1, NULL), MPROC_ETYPE);
  T_STATUS(mproc_array_create(&c, (mproc_elem)0, 1, NULL), MPROC_ETYPE);
  T_STATUS(mproc_array_create(&c, MPROC_ELEM_I64, 0, NULL), MPROC_ERANGE);
  T_STATUS(mproc_array_create(&c, MPROC_ELEM_I64, SIZE_MAX, NULL), MPROC_ERANGE);
  T_STATUS(mproc_array_create(&c, MPROC_ELEM_F64, SIZE_MAX / 8 + 1, NULL), MPROC_ERANGE);
#if SIZE_MAX > 0xffffffffu /* with the state, just over the limit (#if: MSVC's C4127) */
  T_STATUS(mproc_array_create(&c, MPROC_ELEM_I64, (size_t)(MPROC_SHM_MAX_SIZE / 8), NULL),
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
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, 2, NULL));
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
    {"integer types: wrap in their width, neighbours kept", test_integer_types},
    {"float, bool and record arrays", test_other_types},
    {"adds to adjacent bytes from 6 processes", test_adjacent_adds_across_processes},
    {"an array of structs across processes", test_records_across_processes},
    {"f64 array across processes", test_f64_across_processes},
    {"Value (length 1)", test_value},
    {"get + set under the lock add up exactly", test_locked_counter_adds_up},
    {"lock-free add_i64 adds up exactly", test_atomic_add_adds_up},
    {"lock rules", test_lock_rules},
    {"lock owner killed: EOWNERDEAD", test_lock_owner_killed},
    {"corrupt segment refused", test_corrupt_segment_refused},
    {"bad input and lifetime", test_bad_input_and_lifetime},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {
    MPROC_FUNCTION(child_array_count),   MPROC_FUNCTION(child_array_f64),
    MPROC_FUNCTION(child_array_hold),    MPROC_FUNCTION(child_array_add_at),
    MPROC_FUNCTION(child_array_records), MPROC_FUNCTIONS_END};

const test_suite suite_array = {"array", tests, functions};
