/* Tests of runtime/lock.c (Lock, RLock) and runtime/mutex.c across processes. */
#include <stdio.h>
#include <stdlib.h>

#include "tests.h"

/* args: [lock, path, n]: n times, under the lock, increments the number in the file. */
static int child_lock_count(const mproc_args *a, mproc_args *r) {
  mproc_lock *l = NULL;
  const char *path;
  int64_t n = 0, i;
  (void)r;
  if (mproc_args_open_lock(a, 0, &l) || mproc_args_get_str(a, 1, &path) ||
      mproc_args_get_i64(a, 2, &n))
    return 2;
  for (i = 0; i < n; i++) {
    char text[32] = "0";
    if (mproc_lock_acquire(l, T_BOUND_MS) != MPROC_OK)
      return 3;
    t_read_file(path, text, sizeof text);
    snprintf(text, sizeof text, "%ld", atol(text) + 1);
    t_write_file(path, text);
    mproc_lock_release(l);
  }
  mproc_lock_close(l);
  return 0;
}

/* args: [lock, want status]: exits 0 if acquire(100 ms) returns the wanted status. */
static int child_lock_try(const mproc_args *a, mproc_args *r) {
  mproc_lock *l = NULL;
  int64_t want = 0;
  mproc_status st;
  (void)r;
  if (mproc_args_open_lock(a, 0, &l) || mproc_args_get_i64(a, 1, &want))
    return 2;
  st = mproc_lock_acquire(l, 100);
  if (st == MPROC_OK)
    mproc_lock_release(l);
  mproc_lock_close(l);
  return st == want ? 0 : 1;
}

/* args: [lock]: releases a lock someone else holds (allowed for a Lock). */
static int child_lock_release(const mproc_args *a, mproc_args *r) {
  mproc_lock *l = NULL;
  int rc;
  (void)r;
  if (mproc_args_open_lock(a, 0, &l))
    return 2;
  rc = mproc_lock_release(l) == MPROC_OK ? 0 : 1;
  mproc_lock_close(l);
  return rc;
}

/* args: [lock or rlock, event, is rlock, how]: acquires, sets the event, then
 * either sleeps until killed (how 0) or exits holding it (how 1). */
static int child_lock_hold(const mproc_args *a, mproc_args *r) {
  mproc_lock *l = NULL;
  mproc_rlock *rl = NULL;
  mproc_event *e = NULL;
  int is_rlock = 0;
  int64_t how = 0;
  mproc_status st;
  (void)r;
  if (mproc_args_get_bool(a, 2, &is_rlock) || mproc_args_get_i64(a, 3, &how) ||
      mproc_args_open_event(a, 1, &e))
    return 2;
  st = is_rlock ? mproc_args_open_rlock(a, 0, &rl) : mproc_args_open_lock(a, 0, &l);
  if (st != MPROC_OK)
    return 2;
  st = is_rlock ? mproc_rlock_acquire(rl, T_BOUND_MS) : mproc_lock_acquire(l, T_BOUND_MS);
  if (st != MPROC_OK)
    return 3;
  mproc_event_set(e);
  if (how == 0)
    t_sleep_ms(T_FOREVER_MS);
  exit(0); /* holding it */
}

/* args: [rlock]: releasing another process's RLock is EPERM; acquiring times out. */
static int child_rlock_foreign(const mproc_args *a, mproc_args *r) {
  mproc_rlock *l = NULL;
  int ok;
  (void)r;
  if (mproc_args_open_rlock(a, 0, &l))
    return 2;
  ok = mproc_rlock_release(l) == MPROC_EPERM && mproc_rlock_acquire(l, 100) == MPROC_ETIMEDOUT;
  mproc_rlock_close(l);
  return ok ? 0 : 1;
}

static mproc_args *args_with_lock(mproc_lock *l) {
  mproc_args *a = NULL;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_lock(a, l));
  return a;
}

static void test_counter_adds_up(void) {
  enum { N = 4, PER = 100 };
  char *path = t_temp_path("count");
  char text[32] = "";
  mproc_lock *l = NULL;
  mproc_args *a;
  mproc_process *p[N];
  int i;
  T_OK(mproc_lock_create(&l));
  a = args_with_lock(l);
  mproc_args_add_str(a, path);
  mproc_args_add_i64(a, PER);
  t_write_file(path, "0");
  for (i = 0; i < N; i++)
    p[i] = t_start("child_lock_count", a, NULL);
  for (i = 0; i < N; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
  CU_ASSERT(t_read_file(path, text, sizeof text));
  CU_ASSERT_EQUAL(atol(text), N * PER);
  mproc_args_destroy(a);
  T_OK(mproc_lock_destroy(l));
  remove(path);
  free(path);
}

static void test_timeout_and_foreign_release(void) {
  mproc_lock *l = NULL;
  mproc_args *a;
  int64_t t0;
  T_OK(mproc_lock_create(&l));
  T_OK(mproc_lock_acquire(l, 0));
  t0 = t_now_ms();
  T_STATUS(mproc_lock_acquire(l, 150), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 140 && t_now_ms() - t0 < 10000);
  a = args_with_lock(l);
  mproc_args_add_i64(a, MPROC_ETIMEDOUT);
  CU_ASSERT_EQUAL(t_finish(t_start("child_lock_try", a, NULL)), 0);
  mproc_args_destroy(a);
  /* any process may release a Lock, as in Python */
  a = args_with_lock(l);
  CU_ASSERT_EQUAL(t_finish(t_start("child_lock_release", a, NULL)), 0);
  mproc_args_destroy(a);
  T_OK(mproc_lock_acquire(l, 0));
  T_OK(mproc_lock_release(l));
  T_STATUS(mproc_lock_release(l), MPROC_ESTATE);
  T_OK(mproc_lock_destroy(l));
}

/* A holder that dies (killed, or exiting) never deadlocks the others. */
static void owner_dies(int is_rlock, int64_t how) {
  mproc_lock *l = NULL;
  mproc_rlock *rl = NULL;
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  mproc_process *p;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_create(&a));
  if (is_rlock) {
    T_OK(mproc_rlock_create(&rl));
    T_OK(mproc_args_add_rlock(a, rl));
  } else {
    T_OK(mproc_lock_create(&l));
    T_OK(mproc_args_add_lock(a, l));
  }
  mproc_args_add_event(a, e);
  mproc_args_add_bool(a, is_rlock);
  mproc_args_add_i64(a, how);
  p = t_start("child_lock_hold", a, NULL);
  T_OK(mproc_event_wait(e, T_BOUND_MS));
  if (how == 0)
    T_OK(mproc_process_kill(p));
  t_finish(p);
  if (is_rlock) {
    mproc_status st = mproc_rlock_acquire(rl, T_BOUND_MS);
    T_STATUS(st, MPROC_EOWNERDEAD);
    CU_ASSERT(mproc_status_held(st)); /* the documented test says: held */
    T_OK(mproc_rlock_release(rl));
    T_OK(mproc_rlock_acquire(rl, 0)); /* usable again */
    T_OK(mproc_rlock_release(rl));
    T_OK(mproc_rlock_destroy(rl));
  } else {
    mproc_status st = mproc_lock_acquire(l, T_BOUND_MS);
    T_STATUS(st, MPROC_EOWNERDEAD);
    CU_ASSERT(mproc_status_held(st));
    T_OK(mproc_lock_release(l));
    CU_ASSERT(mproc_status_held(mproc_lock_acquire(l, 0)));
    /* held by this process: another try does not get it, and says so */
    CU_ASSERT(!mproc_status_held(mproc_lock_acquire(l, 0)));
    T_OK(mproc_lock_release(l));
    T_OK(mproc_lock_acquire(l, 0));
    T_OK(mproc_lock_release(l));
    T_OK(mproc_lock_destroy(l));
  }
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
}

static void test_owner_killed(void) { owner_dies(0, 0); }
static void test_owner_exits_holding(void) { owner_dies(0, 1); }
static void test_rlock_owner_killed(void) { owner_dies(1, 0); }

static void test_rlock_recursion_and_ownership(void) {
  mproc_rlock *l = NULL;
  mproc_args *a = NULL;
  T_OK(mproc_rlock_create(&l));
  T_OK(mproc_rlock_acquire(l, 0));
  T_OK(mproc_rlock_acquire(l, 0));
  T_OK(mproc_rlock_acquire(l, 0));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_rlock(a, l));
  CU_ASSERT_EQUAL(t_finish(t_start("child_rlock_foreign", a, NULL)), 0);
  T_OK(mproc_rlock_release(l));
  T_OK(mproc_rlock_release(l));
  T_OK(mproc_rlock_release(l));
  T_STATUS(mproc_rlock_release(l), MPROC_EPERM);
  mproc_args_destroy(a);
  T_OK(mproc_rlock_destroy(l));
}

static void test_bad_input(void) {
  mproc_lock *l = NULL;
  mproc_rlock *rl = NULL;
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  T_STATUS(mproc_lock_create(NULL), MPROC_EINVAL);
  T_STATUS(mproc_rlock_create(NULL), MPROC_EINVAL);
  T_STATUS(mproc_lock_acquire(NULL, 0), MPROC_EINVAL);
  T_STATUS(mproc_rlock_release(NULL), MPROC_EINVAL);
  T_OK(mproc_lock_create(&l));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_lock(a, l));
  T_STATUS(mproc_args_open_event(a, 0, &e), MPROC_ETYPE); /* a Lock is not an Event */
  T_STATUS(mproc_args_open_rlock(a, 0, &rl), MPROC_ETYPE);
  T_STATUS(mproc_args_add_rlock(a, (mproc_rlock *)l), MPROC_ENOTSHAREABLE);
  T_OK(mproc_lock_destroy(l));
  T_STATUS(mproc_lock_acquire(l, 0), MPROC_ECLOSED);
  T_STATUS(mproc_lock_destroy(l), MPROC_ECLOSED);
  mproc_args_destroy(a);
}

static const CU_TestInfo tests[] = {
    {"counter under a lock adds up", test_counter_adds_up},
    {"timeout, release by another process", test_timeout_and_foreign_release},
    {"owner killed: EOWNERDEAD, usable again", test_owner_killed},
    {"owner exits holding it", test_owner_exits_holding},
    {"rlock owner killed", test_rlock_owner_killed},
    {"rlock recursion and ownership", test_rlock_recursion_and_ownership},
    {"bad input", test_bad_input},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {
    MPROC_FUNCTION(child_lock_count),    MPROC_FUNCTION(child_lock_try),
    MPROC_FUNCTION(child_lock_release),  MPROC_FUNCTION(child_lock_hold),
    MPROC_FUNCTION(child_rlock_foreign), MPROC_FUNCTIONS_END};

const test_suite suite_lock = {"lock", tests, functions};
