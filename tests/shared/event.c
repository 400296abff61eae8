/* Tests of runtime/event.c (and the object core it stands on) across processes. */
#include <stdlib.h>
#include <string.h>

#include "wire/args.h"
#include "tests.h"

/* args: [event, timeout ms]: exits 0 if the event got set within the timeout. */
static int child_event_wait(const mproc_args *a, mproc_args *r) {
  mproc_event *e = NULL;
  int64_t ms = 0;
  int rc;
  (void)r;
  if (mproc_args_open_event(a, 0, &e) != MPROC_OK || mproc_args_get_i64(a, 1, &ms))
    return 2;
  rc = mproc_event_wait(e, ms) == MPROC_OK && mproc_event_is_set(e) ? 0 : 1;
  mproc_event_close(e);
  return rc;
}

/* args: [event]: sets it. */
static int child_event_set(const mproc_args *a, mproc_args *r) {
  mproc_event *e = NULL;
  int rc;
  (void)r;
  if (mproc_args_open_event(a, 0, &e) != MPROC_OK)
    return 2;
  rc = mproc_event_set(e) == MPROC_OK ? 0 : 1;
  mproc_event_close(e);
  return rc;
}

static void test_local_semantics(void) {
  mproc_event *e = NULL;
  int64_t t0;
  T_OK(mproc_event_create(&e));
  CU_ASSERT_FATAL(e != NULL);
  CU_ASSERT_FALSE(mproc_event_is_set(e));
  t0 = t_now_ms();
  T_STATUS(mproc_event_wait(e, 100), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 90);
  CU_ASSERT(t_now_ms() - t0 < 10000);
  T_STATUS(mproc_event_wait(e, 0), MPROC_ETIMEDOUT);
  T_OK(mproc_event_set(e));
  CU_ASSERT_TRUE(mproc_event_is_set(e));
  T_OK(mproc_event_set(e));
  T_OK(mproc_event_wait(e, 0));
  T_OK(mproc_event_wait(e, MPROC_WAIT_FOREVER));
  T_OK(mproc_event_clear(e));
  CU_ASSERT_FALSE(mproc_event_is_set(e));
  T_OK(mproc_event_destroy(e));
}

static void test_set_wakes_every_waiter(void) {
  enum { N = 3 };
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  mproc_process *p[N];
  int i;
  int64_t t0;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_event(a, e));
  mproc_args_add_i64(a, T_BOUND_MS);
  for (i = 0; i < N; i++)
    p[i] = t_start("child_event_wait", a, NULL);
  t_sleep_ms(200); /* let them sleep */
  t0 = t_now_ms();
  T_OK(mproc_event_set(e));
  for (i = 0; i < N; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
  CU_ASSERT(t_now_ms() - t0 < 10000); /* woken, not timed out */
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
}

static void test_child_sets_parent_waits(void) {
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  mproc_process *p;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_event(a, e));
  p = t_start("child_event_set", a, NULL);
  T_OK(mproc_event_wait(e, T_BOUND_MS));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
}

static void test_bad_input_and_lifetime(void) {
  mproc_event *e = NULL, *o = NULL;
  const char *str = NULL;
  mproc_args *a = NULL;
  T_STATUS(mproc_event_create(NULL), MPROC_EINVAL);
  T_STATUS(mproc_event_set(NULL), MPROC_EINVAL);
  T_STATUS(mproc_event_wait(NULL, 0), MPROC_EINVAL);
  CU_ASSERT_FALSE(mproc_event_is_set(NULL));
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_create(&a));
  T_STATUS(mproc_args_add_event(a, NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_add_event(a, (mproc_event *)&a), MPROC_ENOTSHAREABLE); /* foreign */
  T_OK(mproc_args_add_event(a, e));
  T_STATUS(mproc_args_get_str(a, 0, &str), MPROC_ETYPE); /* an object is not a string */
  T_STATUS(mproc_args_open_event(a, 1, &o), MPROC_ERANGE);
  T_STATUS(mproc_event_close(e), MPROC_EPERM); /* the creator destroys */
  T_OK(mproc_args_open_event(a, 0, &o));       /* a second handle in this process */
  T_STATUS(mproc_event_destroy(o), MPROC_EPERM);
  T_OK(mproc_event_set(o));
  CU_ASSERT_TRUE(mproc_event_is_set(e)); /* same shared flag */
  T_OK(mproc_event_close(o));
  T_STATUS(mproc_event_close(o), MPROC_ECLOSED);
  T_OK(mproc_event_destroy(e));
  T_STATUS(mproc_event_destroy(e), MPROC_ECLOSED);
  T_STATUS(mproc_event_set(e), MPROC_ECLOSED);
  T_STATUS(mproc_event_wait(e, 0), MPROC_ECLOSED);
  CU_ASSERT_FALSE(mproc_event_is_set(e));
  T_STATUS(mproc_args_add_event(a, e), MPROC_ENOTSHAREABLE); /* destroyed */
  /* the name is gone: re-opening fails with the OS's status */
  CU_ASSERT_NOT_EQUAL(mproc_args_open_event(a, 0, &o), MPROC_OK);
  mproc_args_destroy(a);
}

/* Object names come from other processes: anything but mproc's own form is refused. */
static void test_crafted_names_rejected(void) {
  static const uint8_t dotdot[] = {'M', 'A', 1, 0, 1,   0,   0,   0,   MPROC_TYPE_OBJECT,
                                   3,   128, 0, 0, 0,   0,   0,   0,   0,
                                   5,   0,   0, 0, '.', '.', '/', 'e', 't'};
  static const uint8_t badkind[] = {'M', 'A', 1, 0, 1,   0,   0,  0, MPROC_TYPE_OBJECT,
                                    99,  128, 0, 0, 0,   0,   0,  0, 0,
                                    3,   0,   0, 0, 'a', 'b', 'c'};
  static const uint8_t ok[] = {'M', 'A', 1,   0,   1,   0,   0,   0,   MPROC_TYPE_OBJECT,
                               3,   128, 0,   0,   0,   0,   0,   0,   0,
                               11,  0,   0,   0,   'm', 'p', 'r', 'o', 'c',
                               '-', '1', '-', 'x', '-', '1'};
  mproc_args *a = NULL;
  mproc_event *e = NULL;
  T_STATUS(mproc__args_decode(dotdot, sizeof dotdot, &a), MPROC_EPROTO);
  T_STATUS(mproc__args_decode(badkind, sizeof badkind, &a), MPROC_EPROTO);
  T_OK(mproc__args_decode(ok, sizeof ok, &a));
  if (a) {
    CU_ASSERT_NOT_EQUAL(mproc_args_open_event(a, 0, &e), MPROC_OK); /* no such object */
    mproc_args_destroy(a);
  }
}

/* A timeout says so in mproc_last_error(), not an older failure's detail. */
static void test_timeout_says_so(void) {
  mproc_event *e = NULL;
  mproc_lock *l = NULL;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_lock_create(&l));
  T_STATUS(mproc_event_set(NULL), MPROC_EINVAL); /* an older failure */
  T_STATUS(mproc_event_wait(e, 10), MPROC_ETIMEDOUT);
  CU_ASSERT(strstr(mproc_last_error(), "not set after 10 ms") != NULL);
  T_OK(mproc_lock_acquire(l, 0));
  T_STATUS(mproc_event_set(NULL), MPROC_EINVAL);
  T_STATUS(mproc_lock_acquire(l, 10), MPROC_ETIMEDOUT);
  CU_ASSERT(strstr(mproc_last_error(), "still held") != NULL);
  T_OK(mproc_lock_release(l));
  T_OK(mproc_lock_destroy(l));
  T_OK(mproc_event_destroy(e));
}

/* args: [event, queue]: the short form: no open, no close. Gets the event
 * twice (the same handle), sets it, and puts [42] through the queue. */
static int child_get_objects(const mproc_args *a, mproc_args *r) {
  mproc_event *e = NULL, *again = NULL;
  mproc_queue *q = NULL;
  mproc_args *m = NULL;
  int rc;
  (void)r;
  if (mproc_args_get_event(a, 0, &e) || mproc_args_get_event(a, 0, &again) || e != again ||
      mproc_args_get_queue(a, 1, &q))
    return 2;
  if (mproc_event_set(e) || mproc_args_create_packed(&m, "i64", (int64_t)42))
    return 3;
  rc = mproc_queue_put(q, m, T_BOUND_MS) != MPROC_OK;
  mproc_args_destroy(m);
  return rc;
}

/* mproc_args_get_<kind>(): opened once, the same handle after, closed with
 * the list; the kind and index are checked as open's are. */
static void test_get_opens_once(void) {
  mproc_event *e = NULL, *h = NULL, *h2 = NULL;
  mproc_lock *l = NULL;
  mproc_queue *q = NULL;
  mproc_args *a = NULL, *got = NULL;
  int64_t v = 0;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_queue_create(&q, NULL));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_event(a, e));
  T_OK(mproc_args_add_queue(a, q));
  CU_ASSERT_EQUAL(t_finish(t_start("child_get_objects", a, NULL)), 0);
  CU_ASSERT(mproc_event_is_set(e));
  T_OK(mproc_args_create(&got));
  T_OK(mproc_queue_get(q, got, T_BOUND_MS));
  T_OK(mproc_args_unpack(got, "i64", &v));
  CU_ASSERT_EQUAL(v, 42);
  /* in this process: a second handle on the event, kept by the list */
  T_OK(mproc_args_get_event(a, 0, &h));
  T_OK(mproc_args_get_event(a, 0, &h2));
  CU_ASSERT(h == h2 && h != e);
  T_OK(mproc_event_clear(h));
  CU_ASSERT(!mproc_event_is_set(e)); /* the same event */
  T_STATUS(mproc_args_get_lock(a, 0, &l), MPROC_ETYPE);
  T_STATUS(mproc_args_get_event(a, 5, &h2), MPROC_ERANGE);
  T_STATUS(mproc_args_get_event(a, 0, NULL), MPROC_EINVAL);
  T_OK(mproc_args_clear(a)); /* closes the list's handles */
  T_STATUS(mproc_event_set(h), MPROC_ECLOSED);
  T_OK(mproc_event_set(e)); /* the creator's handle is not the list's */
  mproc_args_destroy(got);
  mproc_args_destroy(a);
  T_OK(mproc_queue_destroy(q));
  T_OK(mproc_event_destroy(e));
}

static const CU_TestInfo tests[] = {
    {"local semantics and timeouts", test_local_semantics},
    {"args_get_<kind>: opened once, closed with the list", test_get_opens_once},
    {"a timeout says so", test_timeout_says_so},
    {"set wakes every waiter", test_set_wakes_every_waiter},
    {"child sets, parent waits", test_child_sets_parent_waits},
    {"bad input and lifetime", test_bad_input_and_lifetime},
    {"crafted names rejected", test_crafted_names_rejected},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(child_event_wait),
                                           MPROC_FUNCTION(child_event_set),
                                           MPROC_FUNCTION(child_get_objects), MPROC_FUNCTIONS_END};

const test_suite suite_event = {"event", tests, functions};
