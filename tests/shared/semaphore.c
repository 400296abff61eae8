/* Tests of runtime/semaphore.c (Semaphore, BoundedSemaphore) across processes. */
#include <stdio.h>

#include "shared/object.h"
#include "tests.h"

/* Indexes of the shared counters of the concurrency test. */
enum { STARTED, INSIDE, SEEN1, SEEN2, SEEN3, SEEN4, NCOUNTERS };

/* args: [sem, counters]: counts itself started, then, holding the semaphore
 * for 200 ms, records how many holders there are (SEEN<n> counts sightings of n). */
static int child_sem_hold(const mproc_args *a, mproc_args *r) {
  mproc_sem *s = NULL;
  mproc_array *c = NULL;
  int64_t before = 0;
  int rc = 0;
  (void)r;
  if (mproc_args_open_sem(a, 0, &s) || mproc_args_open_array(a, 1, &c))
    return 2;
  mproc_array_add_i64(c, STARTED, 1, NULL);
  if (mproc_sem_acquire(s, T_BOUND_MS) != MPROC_OK)
    return 3;
  mproc_array_add_i64(c, INSIDE, 1, &before);
  if (before + 1 >= 1 && before + 1 <= 4)
    mproc_array_add_i64(c, (size_t)(SEEN1 + before), 1, NULL);
  else
    rc = 4;
  t_sleep_ms(200);
  mproc_array_add_i64(c, INSIDE, -1, NULL);
  if (mproc_sem_release(s) != MPROC_OK)
    rc = 5;
  mproc_array_close(c);
  mproc_sem_close(s);
  return rc;
}

/* args: [sem, timeout ms]: exits 0 if it acquired within the timeout. */
static int child_sem_acquire(const mproc_args *a, mproc_args *r) {
  mproc_sem *s = NULL;
  int64_t ms = 0;
  int rc;
  (void)r;
  if (mproc_args_open_sem(a, 0, &s) || mproc_args_get_i64(a, 1, &ms))
    return 2;
  rc = mproc_sem_acquire(s, ms) == MPROC_OK ? 0 : 1;
  mproc_sem_close(s);
  return rc;
}

/* args: [sem, want status]: exits 0 if one release returns the wanted status. */
static int child_sem_release(const mproc_args *a, mproc_args *r) {
  mproc_sem *s = NULL;
  int64_t want = 0;
  int rc;
  (void)r;
  if (mproc_args_open_sem(a, 0, &s) || mproc_args_get_i64(a, 1, &want))
    return 2;
  rc = mproc_sem_release(s) == want ? 0 : 1;
  mproc_sem_close(s);
  return rc;
}

/* args: [ping, pong, n]: n times, takes a unit of ping and gives one to pong. */
static int child_sem_pong(const mproc_args *a, mproc_args *r) {
  mproc_sem *ping = NULL, *pong = NULL;
  int64_t n = 0, i;
  int rc = 0;
  (void)r;
  if (mproc_args_open_sem(a, 0, &ping) || mproc_args_open_sem(a, 1, &pong) ||
      mproc_args_get_i64(a, 2, &n))
    return 2;
  for (i = 0; i < n && rc == 0; i++)
    if (mproc_sem_acquire(ping, T_BOUND_MS) != MPROC_OK || mproc_sem_release(pong) != MPROC_OK)
      rc = 3;
  mproc_sem_close(pong);
  mproc_sem_close(ping);
  return rc;
}

static mproc_args *args_with_sem(mproc_sem *s) {
  mproc_args *a = NULL;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_sem(a, s));
  return a;
}

static uint32_t value_of(const mproc_sem *s) {
  uint32_t v = UINT32_MAX;
  T_OK(mproc_sem_value(s, &v));
  return v;
}

/* At most two holders at once, and two are reached: the parent holds both
 * units until all four children wait, then lets them through. */
static void test_counts_across_processes(void) {
  enum { N = 4 };
  mproc_sem *s = NULL;
  mproc_array *c = NULL;
  mproc_args *a;
  mproc_process *p[N];
  int64_t started = 0, seen[4] = {0, 0, 0, 0}, end;
  int i;
  mproc_sem_options bounded = {.bounded = 1};
  T_OK(mproc_sem_create(&s, 2, &bounded));
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, NCOUNTERS, NULL));
  T_OK(mproc_sem_acquire(s, 0));
  T_OK(mproc_sem_acquire(s, 0));
  a = args_with_sem(s);
  T_OK(mproc_args_add_array(a, c));
  for (i = 0; i < N; i++)
    p[i] = t_start("child_sem_hold", a, NULL);
  end = t_now_ms() + T_BOUND_MS;
  while (mproc_array_get_i64(c, STARTED, &started) == MPROC_OK && started < N && t_now_ms() < end)
    t_sleep_ms(10);
  CU_ASSERT_EQUAL(started, N);
  t_sleep_ms(100); /* into their waits */
  T_OK(mproc_sem_release(s));
  T_OK(mproc_sem_release(s));
  for (i = 0; i < N; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
  for (i = 0; i < 4; i++)
    T_OK(mproc_array_get_i64(c, (size_t)(SEEN1 + i), &seen[i]));
  CU_ASSERT(seen[1] > 0);                  /* two holders at once */
  CU_ASSERT(seen[2] == 0 && seen[3] == 0); /* never more */
  CU_ASSERT_EQUAL(seen[0] + seen[1], N);
  CU_ASSERT_EQUAL(value_of(s), 2);
  mproc_args_destroy(a);
  T_OK(mproc_array_destroy(c));
  T_OK(mproc_sem_destroy(s));
}

static void test_timeout_and_value(void) {
  mproc_sem *s = NULL;
  int64_t t0;
  T_OK(mproc_sem_create(&s, 0, NULL));
  CU_ASSERT_EQUAL(value_of(s), 0);
  T_STATUS(mproc_sem_acquire(s, 0), MPROC_ETIMEDOUT);
  t0 = t_now_ms();
  T_STATUS(mproc_sem_acquire(s, 150), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 140);
  CU_ASSERT(t_now_ms() - t0 < 10000);
  T_OK(mproc_sem_release(s));
  T_OK(mproc_sem_release(s));
  T_OK(mproc_sem_release(s)); /* unbounded: past the initial value */
  CU_ASSERT_EQUAL(value_of(s), 3);
  T_OK(mproc_sem_acquire(s, 0));
  T_OK(mproc_sem_acquire(s, MPROC_WAIT_FOREVER));
  CU_ASSERT_EQUAL(value_of(s), 1);
  T_OK(mproc_sem_destroy(s));
}

static void test_bounded_over_release(void) {
  mproc_sem *s = NULL;
  mproc_args *a;
  mproc_sem_options bounded = {.bounded = 1};
  T_OK(mproc_sem_create(&s, 2, &bounded));
  T_STATUS(mproc_sem_release(s), MPROC_ERANGE);
  CU_ASSERT_EQUAL(value_of(s), 2); /* unchanged */
  T_OK(mproc_sem_acquire(s, 0));
  /* another process sees the bound: one release fits, the next does not */
  a = args_with_sem(s);
  mproc_args_add_i64(a, MPROC_OK);
  CU_ASSERT_EQUAL(t_finish(t_start("child_sem_release", a, NULL)), 0);
  mproc_args_destroy(a);
  CU_ASSERT_EQUAL(value_of(s), 2);
  a = args_with_sem(s);
  mproc_args_add_i64(a, MPROC_ERANGE);
  CU_ASSERT_EQUAL(t_finish(t_start("child_sem_release", a, NULL)), 0);
  mproc_args_destroy(a);
  CU_ASSERT_EQUAL(value_of(s), 2);
  T_OK(mproc_sem_destroy(s));
  /* a BoundedSemaphore(0) never accepts a release */
  T_OK(mproc_sem_create(&s, 0, &bounded));
  T_STATUS(mproc_sem_release(s), MPROC_ERANGE);
  CU_ASSERT_EQUAL(value_of(s), 0);
  T_OK(mproc_sem_destroy(s));
}

static void test_int32_limit(void) {
  mproc_sem *s = NULL;
  T_STATUS(mproc_sem_create(&s, (uint32_t)INT32_MAX + 1, NULL), MPROC_ERANGE);
  CU_ASSERT_PTR_NULL(s);
  T_OK(mproc_sem_create(&s, INT32_MAX, NULL));
  T_STATUS(mproc_sem_release(s), MPROC_ERANGE);
  CU_ASSERT_EQUAL(value_of(s), INT32_MAX);
  T_OK(mproc_sem_acquire(s, 0));
  T_OK(mproc_sem_release(s));
  T_OK(mproc_sem_destroy(s));
}

static void test_release_wakes_other_process(void) {
  mproc_sem *s = NULL;
  mproc_args *a;
  mproc_process *p;
  int64_t t0;
  T_OK(mproc_sem_create(&s, 0, NULL));
  /* a child waits, the parent releases */
  a = args_with_sem(s);
  mproc_args_add_i64(a, T_BOUND_MS);
  p = t_start("child_sem_acquire", a, NULL);
  t_sleep_ms(200);
  t0 = t_now_ms();
  T_OK(mproc_sem_release(s));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  CU_ASSERT(t_now_ms() - t0 < 10000); /* woken, not timed out */
  CU_ASSERT_EQUAL(value_of(s), 0);
  mproc_args_destroy(a);
  /* the parent waits, a child releases */
  a = args_with_sem(s);
  mproc_args_add_i64(a, MPROC_OK);
  p = t_start("child_sem_release", a, NULL);
  T_OK(mproc_sem_acquire(s, T_BOUND_MS));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc_args_destroy(a);
  T_OK(mproc_sem_destroy(s));
}

/* Each release wakes the sleeper at once: 40 hops between two processes take
 * milliseconds; waiters that only noticed on their periodic re-check (every
 * 100 ms) would need about 2 s. */
static void test_wake_ups_are_prompt(void) {
  enum { HOPS = 20 };
  mproc_sem *ping = NULL, *pong = NULL;
  mproc_args *a;
  mproc_process *p;
  int64_t t0, elapsed;
  int i;
  T_OK(mproc_sem_create(&ping, 0, NULL));
  T_OK(mproc_sem_create(&pong, 0, NULL));
  a = args_with_sem(ping);
  T_OK(mproc_args_add_sem(a, pong));
  mproc_args_add_i64(a, HOPS + 1);
  p = t_start("child_sem_pong", a, NULL);
  T_OK(mproc_sem_release(ping)); /* a first round trip: the child is up and running */
  T_OK(mproc_sem_acquire(pong, T_BOUND_MS));
  t0 = t_now_ms();
  for (i = 0; i < HOPS; i++) {
    t_sleep_ms(1); /* so that the child is asleep when the unit comes */
    T_OK(mproc_sem_release(ping));
    T_OK(mproc_sem_acquire(pong, T_BOUND_MS));
  }
  elapsed = t_now_ms() - t0 - HOPS;
  CU_ASSERT(elapsed < 1000);
  if (elapsed >= 1000)
    fprintf(stderr, "\n%d round trips took %lld ms\n", HOPS, (long long)elapsed);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc_args_destroy(a);
  T_OK(mproc_sem_destroy(pong));
  T_OK(mproc_sem_destroy(ping));
}

/* The segment comes from another process: a bound it cannot have is refused. */
static void test_corrupt_segment_refused(void) {
  mproc_sem *s = NULL, *o = NULL;
  mproc_args *a;
  uint32_t *word;
  mproc_sem_options bounded = {.bounded = 1};
  T_OK(mproc_sem_create(&s, 1, &bounded));
  a = args_with_sem(s);
  word = (uint32_t *)mproc__obj_state((mproc__obj *)s) + 1; /* the stored bound */
  *word = (uint32_t)INT32_MAX + 1;
  T_STATUS(mproc_args_open_sem(a, 0, &o), MPROC_EPROTO);
  CU_ASSERT_PTR_NULL(o);
  mproc__obj_header((mproc__obj *)s)->flags = 0; /* unbounded, yet with a bound */
  *word = 1;
  T_STATUS(mproc_args_open_sem(a, 0, &o), MPROC_EPROTO);
  mproc__obj_header((mproc__obj *)s)->flags = 1;
  T_OK(mproc_args_open_sem(a, 0, &o));
  *word = 5; /* after the open: the handle keeps the bound it checked */
  T_STATUS(mproc_sem_release(o), MPROC_ERANGE);
  T_OK(mproc_sem_close(o));
  mproc_args_destroy(a);
  T_OK(mproc_sem_destroy(s));
}

static void test_bad_input_and_lifetime(void) {
  mproc_sem *s = NULL, *o = NULL;
  mproc_event *e = NULL, *eo = NULL;
  mproc_args *a;
  uint32_t v = 0;
  T_STATUS(mproc_sem_create(NULL, 1, NULL), MPROC_EINVAL);
  T_STATUS(mproc_sem_acquire(NULL, 0), MPROC_EINVAL);
  T_STATUS(mproc_sem_release(NULL), MPROC_EINVAL);
  T_STATUS(mproc_sem_value(NULL, &v), MPROC_EINVAL);
  T_STATUS(mproc_sem_close(NULL), MPROC_EINVAL);
  T_STATUS(mproc_sem_destroy(NULL), MPROC_EINVAL);
  T_OK(mproc_sem_create(&s, 1, NULL));
  T_STATUS(mproc_sem_value(s, NULL), MPROC_EINVAL);
  T_OK(mproc_event_create(&e));
  T_STATUS(mproc_sem_release((mproc_sem *)e), MPROC_EINVAL); /* another kind */
  a = args_with_sem(s);
  T_STATUS(mproc_args_open_event(a, 0, &eo), MPROC_ETYPE); /* a Semaphore is not an Event */
  T_STATUS(mproc_args_add_sem(a, (mproc_sem *)e), MPROC_ENOTSHAREABLE);
  T_STATUS(mproc_sem_close(s), MPROC_EPERM); /* the creator destroys */
  T_OK(mproc_args_open_sem(a, 0, &o));
  T_STATUS(mproc_sem_destroy(o), MPROC_EPERM);
  T_OK(mproc_sem_acquire(o, 0));
  CU_ASSERT_EQUAL(value_of(s), 0); /* the same shared counter */
  T_OK(mproc_sem_close(o));
  T_STATUS(mproc_sem_release(o), MPROC_ECLOSED);
  T_OK(mproc_sem_destroy(s));
  T_STATUS(mproc_sem_acquire(s, 0), MPROC_ECLOSED);
  T_STATUS(mproc_sem_release(s), MPROC_ECLOSED);
  T_STATUS(mproc_sem_value(s, &v), MPROC_ECLOSED);
  T_STATUS(mproc_sem_destroy(s), MPROC_ECLOSED);
  T_STATUS(mproc_args_add_sem(a, s), MPROC_ENOTSHAREABLE);
  o = NULL;
  CU_ASSERT_NOT_EQUAL(mproc_args_open_sem(a, 0, &o), MPROC_OK); /* the name is gone */
  CU_ASSERT_PTR_NULL(o);
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
}

static const CU_TestInfo tests[] = {
    {"at most n holders across processes", test_counts_across_processes},
    {"timeout and value", test_timeout_and_value},
    {"bounded over-release is ERANGE", test_bounded_over_release},
    {"INT32_MAX limit", test_int32_limit},
    {"release wakes another process", test_release_wakes_other_process},
    {"wake-ups are prompt", test_wake_ups_are_prompt},
    {"corrupt segment refused", test_corrupt_segment_refused},
    {"bad input and lifetime", test_bad_input_and_lifetime},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {
    MPROC_FUNCTION(child_sem_hold), MPROC_FUNCTION(child_sem_acquire),
    MPROC_FUNCTION(child_sem_release), MPROC_FUNCTION(child_sem_pong), MPROC_FUNCTIONS_END};

const test_suite suite_semaphore = {"semaphore", tests, functions};
