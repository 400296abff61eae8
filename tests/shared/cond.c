/* Tests of runtime/cond.c (Condition) across processes. */
#include <stdio.h>
#include <stdlib.h>

#include "tests.h"

/* args: [cond, ready event, timeout ms]: under the lock, sets ready and waits.
 * Exits 0 if notified, 1 if the wait timed out, 2 on a setup failure, 3 on
 * any other status. Setting ready while holding the lock means: once the
 * parent holds the lock, this child surely waits. */
static int child_cond_wait(const mproc_args *a, mproc_args *r) {
  mproc_cond *c = NULL;
  mproc_event *ready = NULL;
  int64_t ms = 0;
  mproc_status st;
  (void)r;
  if (mproc_args_open_cond(a, 0, &c) || mproc_args_open_event(a, 1, &ready) ||
      mproc_args_get_i64(a, 2, &ms) || mproc_cond_acquire(c, T_BOUND_MS))
    return 2;
  mproc_event_set(ready);
  st = mproc_cond_wait(c, ms);
  if (mproc_cond_release(c) != MPROC_OK)
    return 2; /* the wait must return with the lock held */
  mproc_cond_close(c);
  mproc_event_close(ready);
  exit(st == MPROC_OK ? 0 : st == MPROC_ETIMEDOUT ? 1 : 3);
}

/* args: [cond, event]: under the lock, sets the event and notifies one waiter. */
static int child_cond_notify_one(const mproc_args *a, mproc_args *r) {
  mproc_cond *c = NULL;
  mproc_event *e = NULL;
  int ok;
  (void)r;
  if (mproc_args_open_cond(a, 0, &c) || mproc_args_open_event(a, 1, &e) ||
      mproc_cond_acquire(c, T_BOUND_MS))
    return 2;
  mproc_event_set(e);
  ok = mproc_cond_notify(c, 1) == MPROC_OK;
  ok &= mproc_cond_release(c) == MPROC_OK;
  mproc_cond_close(c);
  mproc_event_close(e);
  return ok ? 0 : 1;
}

/* args: [cond, event, how]: acquires, sets the event, then sleeps until
 * killed (how 0), or notifies all and exits holding the lock (how 1). */
static int child_cond_hold(const mproc_args *a, mproc_args *r) {
  mproc_cond *c = NULL;
  mproc_event *e = NULL;
  int64_t how = 0;
  (void)r;
  if (mproc_args_open_cond(a, 0, &c) || mproc_args_open_event(a, 1, &e) ||
      mproc_args_get_i64(a, 2, &how) || mproc_cond_acquire(c, T_BOUND_MS))
    return 2;
  mproc_event_set(e);
  if (how == 0)
    t_sleep_ms(T_FOREVER_MS);
  else if (mproc_cond_notify_all(c) != MPROC_OK)
    return 3;
  exit(0); /* holding it */
}

/* args: [cond, got event, done event]: holds the lock for 300 ms, and sets
 * done just before releasing it. */
static int child_cond_hold_briefly(const mproc_args *a, mproc_args *r) {
  mproc_cond *c = NULL;
  mproc_event *got = NULL, *done = NULL;
  (void)r;
  if (mproc_args_open_cond(a, 0, &c) || mproc_args_open_event(a, 1, &got) ||
      mproc_args_open_event(a, 2, &done) || mproc_cond_acquire(c, T_BOUND_MS))
    return 2;
  mproc_event_set(got);
  t_sleep_ms(300);
  mproc_event_set(done);
  mproc_cond_release(c);
  mproc_cond_close(c);
  mproc_event_close(got);
  mproc_event_close(done);
  return 0;
}

/* args: [cond, path, n]: n times, under the lock, writes the next number to
 * the file and notifies all. */
static int child_cond_count(const mproc_args *a, mproc_args *r) {
  mproc_cond *c = NULL;
  const char *path;
  int64_t n = 0, i;
  (void)r;
  if (mproc_args_open_cond(a, 0, &c) || mproc_args_get_str(a, 1, &path) ||
      mproc_args_get_i64(a, 2, &n))
    return 2;
  for (i = 1; i <= n; i++) {
    char text[32];
    if (mproc_cond_acquire(c, T_BOUND_MS) != MPROC_OK)
      return 3;
    snprintf(text, sizeof text, "%ld", (long)i);
    t_write_file(path, text);
    mproc_cond_notify_all(c);
    mproc_cond_release(c);
    t_sleep_ms(30);
  }
  mproc_cond_close(c);
  return 0;
}

/* Starts @n child_cond_wait children on @c, each with its own ready event,
 * and returns once all of them wait (the caller then holds the lock). */
static void start_waiters(mproc_cond *c, int n, mproc_process **p, mproc_event **ready,
                          int64_t timeout_ms) {
  int i;
  for (i = 0; i < n; i++) {
    mproc_args *a = NULL;
    T_OK(mproc_event_create(&ready[i]));
    T_OK(mproc_args_create(&a));
    T_OK(mproc_args_add_cond(a, c));
    T_OK(mproc_args_add_event(a, ready[i]));
    T_OK(mproc_args_add_i64(a, timeout_ms));
    p[i] = t_start("child_cond_wait", a, NULL);
    mproc_args_destroy(a);
  }
  for (i = 0; i < n; i++)
    T_OK(mproc_event_wait(ready[i], T_BOUND_MS));
  /* Each child set its event holding the lock and keeps it until its wait
   * releases it: once we hold it, every child is inside its wait. */
  T_OK(mproc_cond_acquire(c, T_BOUND_MS));
}

static int count_alive(mproc_process **p, int n) {
  int i, alive, count = 0;
  for (i = 0; i < n; i++) {
    alive = 0;
    T_OK(mproc_process_is_alive(p[i], &alive));
    count += alive != 0;
  }
  return count;
}

/* Polls until at most @want of the processes are alive; returns how many are. */
static int wait_alive_at_most(mproc_process **p, int n, int want) {
  int64_t end = t_now_ms() + T_BOUND_MS;
  int alive;
  while ((alive = count_alive(p, n)) > want && t_now_ms() < end)
    t_sleep_ms(10);
  return alive;
}

static void test_notify_one_wakes_exactly_one(void) {
  enum { N = 3 };
  mproc_cond *c = NULL;
  mproc_process *p[N];
  mproc_event *ready[N];
  int i;
  T_OK(mproc_cond_create(&c, NULL));
  start_waiters(c, N, p, ready, T_BOUND_MS);
  T_OK(mproc_cond_notify(c, 1));
  T_OK(mproc_cond_release(c));
  CU_ASSERT_EQUAL(wait_alive_at_most(p, N, N - 1), N - 1);
  t_sleep_ms(300); /* time for a second, wrong wake-up to show */
  CU_ASSERT_EQUAL(count_alive(p, N), N - 1);
  T_OK(mproc_cond_acquire(c, T_BOUND_MS));
  T_OK(mproc_cond_notify_all(c));
  T_OK(mproc_cond_release(c));
  for (i = 0; i < N; i++) {
    CU_ASSERT_EQUAL(t_finish(p[i]), 0); /* notified, not timed out */
    T_OK(mproc_event_destroy(ready[i]));
  }
  T_OK(mproc_cond_destroy(c));
}

/* Python's Condition tutorial: tasks wait until the parent notifies all. */
static void test_tasks_wait_for_notify_all(void) {
  enum { N = 3 };
  mproc_cond *c = NULL;
  mproc_process *p[N];
  mproc_event *ready[N];
  int i;
  int64_t t0;
  T_OK(mproc_cond_create(&c, NULL));
  start_waiters(c, N, p, ready, T_BOUND_MS);
  T_OK(mproc_cond_release(c));
  t_sleep_ms(200);
  CU_ASSERT_EQUAL(count_alive(p, N), N); /* nobody runs before the notify */
  t0 = t_now_ms();
  T_OK(mproc_cond_acquire(c, T_BOUND_MS));
  T_OK(mproc_cond_notify_all(c));
  T_OK(mproc_cond_release(c));
  for (i = 0; i < N; i++) {
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
    T_OK(mproc_event_destroy(ready[i]));
  }
  CU_ASSERT(t_now_ms() - t0 < 10000); /* woken, not timed out */
  T_OK(mproc_cond_destroy(c));
}

/* A notify wakes only threads already waiting: neither an earlier notify
 * nor one made before a wait lets that wait return. */
static void test_notify_is_not_stored(void) {
  mproc_cond *c = NULL;
  T_OK(mproc_cond_create(&c, NULL));
  T_OK(mproc_cond_acquire(c, 0));
  T_OK(mproc_cond_notify(c, 5));
  T_OK(mproc_cond_notify_all(c));
  T_STATUS(mproc_cond_wait(c, 100), MPROC_ETIMEDOUT);
  T_OK(mproc_cond_release(c));
  T_OK(mproc_cond_destroy(c));
}

/* The child waits; the parent notifies one and at once waits itself with
 * timeout 0. The token belongs to the child: the parent's later wait must
 * not take it, even if it gets the lock back first. */
static void test_later_waiter_does_not_steal(void) {
  mproc_cond *c = NULL;
  mproc_process *p;
  mproc_event *ready;
  mproc_status st;
  int round;
  T_OK(mproc_cond_create(&c, NULL));
  for (round = 0; round < 5; round++) {
    start_waiters(c, 1, &p, &ready, T_BOUND_MS);
    T_OK(mproc_cond_notify(c, 1));
    st = mproc_cond_wait(c, 0);
    T_STATUS(st, MPROC_ETIMEDOUT);
    if (st == MPROC_OK)
      T_OK(mproc_cond_notify(c, 1)); /* stolen: free the child at least */
    T_OK(mproc_cond_release(c));
    CU_ASSERT_EQUAL(t_finish(p), 0);
    T_OK(mproc_event_destroy(ready));
    if (st != MPROC_ETIMEDOUT)
      break;
  }
  T_OK(mproc_cond_destroy(c));
}

static void test_wait_timeout_keeps_lock(void) {
  mproc_cond *c = NULL;
  int64_t t0;
  T_OK(mproc_cond_create(&c, NULL));
  T_OK(mproc_cond_acquire(c, 0));
  t0 = t_now_ms();
  T_STATUS(mproc_cond_wait(c, 150), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 140);
  CU_ASSERT(t_now_ms() - t0 < 10000);
  T_STATUS(mproc_cond_wait(c, 0), MPROC_ETIMEDOUT);
  T_OK(mproc_cond_notify(c, 1)); /* still the holder */
  T_OK(mproc_cond_release(c));
  T_STATUS(mproc_cond_release(c), MPROC_EPERM);
  T_OK(mproc_cond_destroy(c));
}

/* A wait whose deadline passes while another process holds the lock returns
 * only once it has the lock back. */
static void test_timed_out_wait_waits_for_the_lock(void) {
  mproc_cond *c = NULL;
  mproc_event *got = NULL, *done = NULL;
  mproc_args *a = NULL;
  mproc_process *p;
  int64_t end = t_now_ms() + T_BOUND_MS;
  T_OK(mproc_cond_create(&c, NULL));
  T_OK(mproc_event_create(&got));
  T_OK(mproc_event_create(&done));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_cond(a, c));
  T_OK(mproc_args_add_event(a, got));
  T_OK(mproc_args_add_event(a, done));
  T_OK(mproc_cond_acquire(c, 0));
  p = t_start("child_cond_hold_briefly", a, NULL);
  /* Each short wait lets the child in; the one during which it got the lock
   * cannot return before the child let go of it. */
  while (!mproc_event_is_set(got) && t_now_ms() < end)
    T_STATUS(mproc_cond_wait(c, 20), MPROC_ETIMEDOUT);
  CU_ASSERT_TRUE(mproc_event_is_set(got));
  CU_ASSERT_TRUE(mproc_event_is_set(done));
  T_OK(mproc_cond_release(c));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(got));
  T_OK(mproc_event_destroy(done));
  T_OK(mproc_cond_destroy(c));
}

static int never(void *arg) {
  ++*(int *)arg;
  return 0;
}

static int always(void *arg) {
  ++*(int *)arg;
  return 1;
}

/* The predicate reads the number child_cond_count writes. */
typedef struct reached {
  const char *path;
  long want;
} reached;

static int file_reached(void *arg) {
  const reached *r = arg;
  char text[32] = "0";
  t_read_file(r->path, text, sizeof text);
  return atol(text) >= r->want;
}

static void test_wait_for(void) {
  mproc_cond *c = NULL;
  mproc_args *a = NULL;
  mproc_process *p;
  char *path = t_temp_path("cond");
  char text[32] = "";
  reached r;
  int calls = 0;
  int64_t t0;
  T_OK(mproc_cond_create(&c, NULL));
  T_OK(mproc_cond_acquire(c, 0));
  T_OK(mproc_cond_wait_for(c, always, &calls, 0)); /* checked before any wait */
  CU_ASSERT_EQUAL(calls, 1);
  calls = 0;
  t0 = t_now_ms();
  T_STATUS(mproc_cond_wait_for(c, never, &calls, 150), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 140);
  CU_ASSERT(t_now_ms() - t0 < 10000);
  CU_ASSERT(calls >= 2); /* before the wait and at the deadline */
  t_write_file(path, "0");
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_cond(a, c));
  T_OK(mproc_args_add_str(a, path));
  T_OK(mproc_args_add_i64(a, 3));
  p = t_start("child_cond_count", a, NULL);
  r.path = path;
  r.want = 3;
  T_OK(mproc_cond_wait_for(c, file_reached, &r, T_BOUND_MS));
  CU_ASSERT(t_read_file(path, text, sizeof text));
  CU_ASSERT_EQUAL(atol(text), 3); /* true, and read under the lock */
  T_OK(mproc_cond_release(c));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc_args_destroy(a);
  T_OK(mproc_cond_destroy(c));
  remove(path);
  free(path);
}

static void test_needs_the_lock(void) {
  mproc_cond *c = NULL;
  int calls = 0;
  T_OK(mproc_cond_create(&c, NULL));
  T_STATUS(mproc_cond_wait(c, 0), MPROC_EPERM);
  T_STATUS(mproc_cond_wait_for(c, always, &calls, 0), MPROC_EPERM);
  CU_ASSERT_EQUAL(calls, 0); /* the predicate only runs under the lock */
  T_STATUS(mproc_cond_notify(c, 1), MPROC_EPERM);
  T_STATUS(mproc_cond_notify_all(c), MPROC_EPERM);
  T_STATUS(mproc_cond_release(c), MPROC_EPERM);
  T_OK(mproc_cond_destroy(c));
}

/* A wait releases every recursion level (another process gets the lock and
 * notifies) and restores them all. */
static void test_recursion(void) {
  mproc_cond *c = NULL;
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  mproc_process *p;
  T_OK(mproc_cond_create(&c, NULL));
  T_OK(mproc_event_create(&e));
  T_OK(mproc_cond_acquire(c, 0));
  T_OK(mproc_cond_acquire(c, 0));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_cond(a, c));
  T_OK(mproc_args_add_event(a, e));
  p = t_start("child_cond_notify_one", a, NULL);
  T_OK(mproc_cond_wait(c, T_BOUND_MS));
  CU_ASSERT_TRUE(mproc_event_is_set(e));
  T_OK(mproc_cond_release(c));
  T_OK(mproc_cond_release(c));
  T_STATUS(mproc_cond_release(c), MPROC_EPERM);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
  T_OK(mproc_cond_destroy(c));
}

static mproc_process *start_holder(mproc_cond *c, mproc_event *e, int64_t how) {
  mproc_args *a = NULL;
  mproc_process *p;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_cond(a, c));
  T_OK(mproc_args_add_event(a, e));
  T_OK(mproc_args_add_i64(a, how));
  p = t_start("child_cond_hold", a, NULL);
  mproc_args_destroy(a);
  return p;
}

static void test_holder_killed(void) {
  mproc_cond *c = NULL;
  mproc_event *e = NULL;
  mproc_process *p;
  T_OK(mproc_cond_create(&c, NULL));
  T_OK(mproc_event_create(&e));
  p = start_holder(c, e, 0);
  T_OK(mproc_event_wait(e, T_BOUND_MS));
  T_OK(mproc_process_kill(p));
  t_finish(p);
  T_STATUS(mproc_cond_acquire(c, T_BOUND_MS), MPROC_EOWNERDEAD);
  T_OK(mproc_cond_notify_all(c)); /* held: usable as such */
  T_OK(mproc_cond_release(c));
  T_OK(mproc_cond_acquire(c, 0));
  T_STATUS(mproc_cond_wait(c, 50), MPROC_ETIMEDOUT);
  T_OK(mproc_cond_release(c));
  T_OK(mproc_cond_destroy(c));
  T_OK(mproc_event_destroy(e));
}

/* The notifier dies holding the lock: the waiter returns EOWNERDEAD with the
 * lock held and its recursion level restored. */
static void test_waiter_gets_owner_dead(void) {
  mproc_cond *c = NULL;
  mproc_event *e = NULL;
  mproc_process *p;
  int calls = 0;
  T_OK(mproc_cond_create(&c, NULL));
  T_OK(mproc_event_create(&e));
  T_OK(mproc_cond_acquire(c, 0));
  T_OK(mproc_cond_acquire(c, 0));
  p = start_holder(c, e, 1);
  T_STATUS(mproc_cond_wait(c, T_BOUND_MS), MPROC_EOWNERDEAD);
  CU_ASSERT_TRUE(mproc_event_is_set(e));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  T_OK(mproc_cond_release(c));
  T_OK(mproc_cond_release(c));
  T_STATUS(mproc_cond_release(c), MPROC_EPERM);
  T_OK(mproc_cond_acquire(c, 0));
  /* wait_for reports it too, at once, instead of waiting on */
  T_OK(mproc_event_clear(e));
  p = start_holder(c, e, 1);
  T_STATUS(mproc_cond_wait_for(c, never, &calls, T_BOUND_MS), MPROC_EOWNERDEAD);
  CU_ASSERT_TRUE(mproc_event_is_set(e));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  CU_ASSERT_EQUAL(calls, 1); /* not evaluated on the state the dead owner left */
  T_OK(mproc_cond_release(c));
  T_STATUS(mproc_cond_release(c), MPROC_EPERM);
  T_OK(mproc_cond_destroy(c));
  T_OK(mproc_event_destroy(e));
}

static void test_bad_input_and_lifetime(void) {
  mproc_cond *c = NULL, *o = NULL;
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  int calls = 0;
  T_STATUS(mproc_cond_create(NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_cond_acquire(NULL, 0), MPROC_EINVAL);
  T_STATUS(mproc_cond_release(NULL), MPROC_EINVAL);
  T_STATUS(mproc_cond_wait(NULL, 0), MPROC_EINVAL);
  T_STATUS(mproc_cond_wait_for(NULL, always, &calls, 0), MPROC_EINVAL);
  T_STATUS(mproc_cond_notify(NULL, 1), MPROC_EINVAL);
  T_STATUS(mproc_cond_notify_all(NULL), MPROC_EINVAL);
  T_STATUS(mproc_cond_close(NULL), MPROC_EINVAL);
  T_STATUS(mproc_cond_destroy(NULL), MPROC_EINVAL);
  T_OK(mproc_cond_create(&c, NULL));
  T_OK(mproc_cond_acquire(c, 0));
  T_STATUS(mproc_cond_wait_for(c, NULL, NULL, 0), MPROC_EINVAL);
  T_OK(mproc_cond_release(c));
  T_OK(mproc_args_create(&a));
  T_STATUS(mproc_args_add_cond(a, NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_add_cond(a, (mproc_cond *)&a), MPROC_ENOTSHAREABLE); /* foreign */
  T_OK(mproc_args_add_cond(a, c));
  T_STATUS(mproc_args_open_event(a, 0, &e), MPROC_ETYPE); /* a Condition is not an Event */
  T_STATUS(mproc_args_open_cond(a, 1, &o), MPROC_ERANGE);
  T_STATUS(mproc_cond_close(c), MPROC_EPERM); /* the creator destroys */
  T_OK(mproc_args_open_cond(a, 0, &o));       /* a second handle, the same lock */
  T_STATUS(mproc_cond_destroy(o), MPROC_EPERM);
  T_OK(mproc_cond_acquire(o, 0));
  T_STATUS(mproc_cond_acquire(c, 0), MPROC_OK); /* this thread again: recursion */
  T_OK(mproc_cond_release(c));
  T_OK(mproc_cond_release(o));
  T_OK(mproc_cond_close(o));
  T_STATUS(mproc_cond_close(o), MPROC_ECLOSED);
  T_OK(mproc_cond_destroy(c));
  T_STATUS(mproc_cond_destroy(c), MPROC_ECLOSED);
  T_STATUS(mproc_cond_acquire(c, 0), MPROC_ECLOSED);
  T_STATUS(mproc_cond_release(c), MPROC_ECLOSED);
  T_STATUS(mproc_cond_wait(c, 0), MPROC_ECLOSED);
  T_STATUS(mproc_cond_wait_for(c, always, &calls, 0), MPROC_ECLOSED);
  T_STATUS(mproc_cond_notify(c, 1), MPROC_ECLOSED);
  T_STATUS(mproc_cond_notify_all(c), MPROC_ECLOSED);
  T_STATUS(mproc_args_add_cond(a, c), MPROC_ENOTSHAREABLE);
  CU_ASSERT_NOT_EQUAL(mproc_args_open_cond(a, 0, &o), MPROC_OK); /* the name is gone */
  CU_ASSERT_EQUAL(calls, 0);
  mproc_args_destroy(a);
}

/* args: [cond on a Lock, that lock, array]: takes the Lock through the lock
 * API, sets element 0, notifies through the condition (allowed: the
 * condition's lock is that Lock, now held), releases through the lock API. */
static int child_notify_through_lock(const mproc_args *a, mproc_args *r) {
  mproc_cond *c = NULL;
  mproc_lock *l = NULL;
  mproc_array *v = NULL;
  int rc = 0;
  (void)r;
  if (mproc_args_open_cond(a, 0, &c) || mproc_args_open_lock(a, 1, &l) ||
      mproc_args_open_array(a, 2, &v))
    return 2;
  if (!mproc_status_held(mproc_lock_acquire(l, T_BOUND_MS)))
    return 3;
  if (mproc_array_set_i64(v, 0, 1) || mproc_cond_notify_all(c))
    rc = 4;
  if (mproc_lock_release(l))
    rc = 5;
  mproc_cond_close(c);
  mproc_lock_close(l);
  mproc_array_close(v);
  return rc;
}

static int flag_set(void *arg) {
  int64_t v = 0;
  mproc_array_get_i64(arg, 0, &v);
  return v == 1;
}

/* Condition(lock): a child holding the Lock through the lock API may
 * notify, and the parent's wait_for sees its change. */
static void test_on_a_lock_across_processes(void) {
  mproc_lock *l = NULL;
  mproc_cond *c = NULL;
  mproc_array *v = NULL;
  mproc_args *a = NULL;
  mproc_process *p;
  mproc_cond_options o = {.lock = NULL};
  T_OK(mproc_lock_create(&l));
  o.lock = l;
  T_OK(mproc_cond_create(&c, &o));
  T_OK(mproc_array_create(&v, MPROC_ELEM_I64, 1, NULL));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_cond(a, c));
  T_OK(mproc_args_add_lock(a, l));
  T_OK(mproc_args_add_array(a, v));
  T_OK(mproc_cond_acquire(c, T_BOUND_MS));
  p = t_start("child_notify_through_lock", a, NULL);
  T_OK(mproc_cond_wait_for(c, flag_set, v, T_BOUND_MS)); /* releases the Lock meanwhile */
  T_OK(mproc_cond_release(c));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc_args_destroy(a);
  T_OK(mproc_cond_destroy(c));
  T_OK(mproc_lock_destroy(l));
  T_OK(mproc_array_destroy(v));
}

/* One mutex behind both APIs: a Lock is not recursive through the
 * condition either; an RLock is; the condition outlives the lock's
 * destroy; bad options are refused. */
static void test_on_a_lock_rules(void) {
  mproc_lock *l = NULL;
  mproc_rlock *rl = NULL;
  mproc_cond *c = NULL, *d = NULL;
  mproc_cond_options o = {.lock = NULL};
  T_OK(mproc_lock_create(&l));
  T_OK(mproc_rlock_create(&rl));
  o.lock = l;
  T_OK(mproc_cond_create(&c, &o));
  T_OK(mproc_cond_acquire(c, T_BOUND_MS));
  T_STATUS(mproc_lock_acquire(l, 0), MPROC_ETIMEDOUT); /* the same mutex, held */
  T_STATUS(mproc_cond_acquire(c, 0), MPROC_ETIMEDOUT); /* not recursive on a Lock */
  T_OK(mproc_lock_release(l));                         /* either API releases it */
  T_STATUS(mproc_cond_notify(c, 1), MPROC_EPERM);      /* not held any more */
  T_OK(mproc_lock_destroy(l));
  T_OK(mproc_cond_acquire(c, T_BOUND_MS)); /* its own handle on the lock */
  T_OK(mproc_cond_release(c));
  T_OK(mproc_cond_destroy(c));
  o.lock = NULL;
  o.rlock = rl;
  T_OK(mproc_cond_create(&d, &o));
  T_OK(mproc_rlock_acquire(rl, T_BOUND_MS));
  T_OK(mproc_cond_acquire(d, T_BOUND_MS)); /* recursion on the RLock */
  T_OK(mproc_cond_release(d));
  T_OK(mproc_cond_notify(d, 1)); /* still held once */
  T_OK(mproc_rlock_release(rl));
  T_OK(mproc_cond_destroy(d));
  d = NULL;
  o.lock = (mproc_lock *)rl; /* the wrong kind */
  o.rlock = NULL;
  T_STATUS(mproc_cond_create(&d, &o), MPROC_EINVAL);
  T_OK(mproc_lock_create(&l));
  o.lock = l;
  o.rlock = rl;
  T_STATUS(mproc_cond_create(&d, &o), MPROC_EINVAL);
  CU_ASSERT_PTR_NULL(d);
  T_OK(mproc_lock_destroy(l));
  T_OK(mproc_rlock_destroy(rl));
}

static const CU_TestInfo tests[] = {
    {"Condition(lock) across processes: notify under the Lock", test_on_a_lock_across_processes},
    {"Condition(lock): one mutex, recursion by kind, bad options", test_on_a_lock_rules},
    {"notify(1) wakes exactly one of three", test_notify_one_wakes_exactly_one},
    {"tasks wait until notify_all", test_tasks_wait_for_notify_all},
    {"a notify is not stored for later waits", test_notify_is_not_stored},
    {"a later waiter does not steal a wake-up", test_later_waiter_does_not_steal},
    {"wait timeout keeps the lock", test_wait_timeout_keeps_lock},
    {"a timed-out wait waits for the lock", test_timed_out_wait_waits_for_the_lock},
    {"wait_for a predicate on shared state", test_wait_for},
    {"wait and notify need the lock", test_needs_the_lock},
    {"wait releases and restores recursion", test_recursion},
    {"holder killed: EOWNERDEAD, usable again", test_holder_killed},
    {"notifier dies holding it: waiter gets EOWNERDEAD", test_waiter_gets_owner_dead},
    {"bad input and lifetime", test_bad_input_and_lifetime},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(child_cond_wait),
                                           MPROC_FUNCTION(child_cond_notify_one),
                                           MPROC_FUNCTION(child_cond_hold),
                                           MPROC_FUNCTION(child_cond_hold_briefly),
                                           MPROC_FUNCTION(child_cond_count),
                                           MPROC_FUNCTION(child_notify_through_lock),
                                           MPROC_FUNCTIONS_END};

const test_suite suite_cond = {"cond", tests, functions};
