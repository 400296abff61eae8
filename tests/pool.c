/* Tests of runtime/pool.c and runtime/worker.c: real workers, real crashes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tests.h"

static mproc_event *init_event; /* set by pool_init in each worker */

static int pool_square(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  if (mproc_args_get_i64(a, 0, &x))
    return 1;
  return mproc_args_add_i64(r, x * x) ? 1 : 0;
}

static int pool_pid(const mproc_args *a, mproc_args *r) {
  (void)a;
  return mproc_args_add_i64(r, mproc_self_pid()) ? 1 : 0;
}

static int pool_fail(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  mproc_task_fail("no luck");
  return 7;
}

/* x < 0: die by a signal; otherwise sleep x ms, then return x. */
static int pool_sleep_or_die(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  mproc_args_get_i64(a, 0, &x);
  if (x < 0)
    abort();
  t_sleep_ms(x);
  return mproc_args_add_i64(r, x) ? 1 : 0;
}

/* Item 10 finds "the answer" and cancels the rest; the others work ~20 ms,
 * checking for cancellation as they go. */
static int pool_bailout(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  int i;
  mproc_args_get_i64(a, 0, &x);
  if (x == 10) {
    mproc_task_cancel_pool();
    return mproc_args_add_i64(r, x) ? 1 : 0;
  }
  for (i = 0; i < 20; i++) {
    if (mproc_cancelled())
      return 1;
    t_sleep_ms(1);
  }
  return mproc_args_add_i64(r, x) ? 1 : 0;
}

static int pool_init(const mproc_args *a, mproc_args *r) {
  (void)r;
  return mproc_args_open_event(a, 0, &init_event) == MPROC_OK ? 0 : 1;
}

static int pool_init_fails(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  mproc_task_fail("initializer says no");
  return 1;
}

/* Returns whether the initializer's event is set. */
static int pool_check_init(const mproc_args *a, mproc_args *r) {
  (void)a;
  return mproc_args_add_bool(r, init_event && mproc_event_is_set(init_event)) ? 1 : 0;
}

/* A task that runs a pool of its own. */
static int pool_nested(const mproc_args *a, mproc_args *r) {
  mproc_pool *p = NULL;
  mproc_pool_options o;
  mproc_args *res = NULL;
  int64_t v = 0;
  memset(&o, 0, sizeof o);
  o.workers = 1;
  if (mproc_pool_create(&p, &o) || mproc_pool_apply(p, "pool_square", a, &res) ||
      mproc_args_get_i64(res, 0, &v))
    return 1;
  mproc_args_destroy(res);
  mproc_pool_destroy(p);
  return mproc_args_add_i64(r, v) ? 1 : 0;
}

static char pid_prefix[1024]; /* set in workers by pool_set_prefix */

static int pool_set_prefix(const mproc_args *a, mproc_args *r) {
  const char *prefix;
  (void)r;
  if (mproc_args_get_str(a, 0, &prefix))
    return 1;
  snprintf(pid_prefix, sizeof pid_prefix, "%s", prefix);
  return 0;
}

/* Writes its pid to "<prefix>.<item>", then works until cancelled. */
static int pool_until_cancelled(const mproc_args *a, mproc_args *r) {
  char path[1100], text[32];
  int64_t item = 0;
  (void)r;
  if (mproc_args_get_i64(a, 0, &item))
    return 1;
  snprintf(path, sizeof path, "%s.%lld", pid_prefix, (long long)item);
  snprintf(text, sizeof text, "%lld", (long long)mproc_self_pid());
  t_write_file(path, text);
  while (!mproc_cancelled())
    t_sleep_ms(10);
  return 1;
}

/* args: [prefix]: runs a pool of 2 until a Ctrl-C (SIGINT) ends this process. */
static int pool_ctrlc_victim(const mproc_args *a, mproc_args *r) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_args *items = NULL;
  (void)r;
  memset(&o, 0, sizeof o);
  o.workers = 2;
  o.initializer = "pool_set_prefix";
  o.initargs = a;
  if (mproc_pool_create(&p, &o))
    return 2;
  mproc_args_create(&items);
  mproc_args_add_i64(items, 0);
  mproc_args_add_i64(items, 1);
  mproc_pool_map(p, "pool_until_cancelled", items, 1, NULL, NULL);
  t_sleep_ms(30000); /* the program carries on; the interrupt ends it */
  return 3;
}

static mproc_pool *make_pool(int workers, mproc_pool_options *o) {
  mproc_pool *p = NULL;
  mproc_pool_options d;
  memset(&d, 0, sizeof d);
  if (!o)
    o = &d;
  o->workers = workers;
  T_OK(mproc_pool_create(&p, o));
  return p;
}

static mproc_args *ints(int64_t from, int64_t n) {
  mproc_args *a = NULL;
  int64_t i;
  mproc_args_create(&a);
  for (i = 0; i < n; i++)
    mproc_args_add_i64(a, from + i);
  return a;
}

static void test_apply_and_submit(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *a = ints(12, 1), *res = NULL;
  mproc_future *f[10];
  const mproc_args *r;
  int64_t v = 0;
  int i;
  T_OK(mproc_pool_apply(p, "pool_square", a, &res));
  T_OK(mproc_args_get_i64(res, 0, &v));
  CU_ASSERT_EQUAL(v, 144);
  mproc_args_destroy(res);
  mproc_args_destroy(a);
  for (i = 0; i < 10; i++) {
    a = ints(i, 1);
    T_OK(mproc_pool_submit(p, &f[i], "pool_square", a, NULL));
    mproc_args_destroy(a);
  }
  for (i = 0; i < 10; i++) {
    T_OK(mproc_future_get(f[i], 30000, &r));
    CU_ASSERT(mproc_future_done(f[i]));
    v = -1;
    mproc_args_get_i64(r, 0, &v);
    CU_ASSERT_EQUAL(v, i * i);
    mproc_future_destroy(f[i]);
  }
  T_OK(mproc_pool_destroy(p));
}

static void test_map_order_and_chunks(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *items = ints(0, 1000), *res = NULL;
  mproc_status *sts = calloc(1000, sizeof *sts);
  size_t n = 0, i, chunk;
  for (chunk = 0; chunk <= 7; chunk += 7) { /* the default, and 7 */
    int64_t v = 0;
    int ok = 1;
    T_OK(mproc_pool_map(p, "pool_square", items, chunk, &res, sts));
    T_OK(mproc_args_count(res, &n));
    CU_ASSERT_EQUAL(n, 1000);
    for (i = 0; i < n; i++)
      ok &=
          mproc_args_get_i64(res, i, &v) == MPROC_OK && v == (int64_t)(i * i) && sts[i] == MPROC_OK;
    CU_ASSERT(ok);
    mproc_args_destroy(res);
  }
  free(sts);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_failure_and_crash(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *a = ints(-1, 1), *items = ints(1, 20), *res = NULL;
  mproc_future *f = NULL;
  mproc_task_info info;
  mproc_status sts[21];
  int i, crashed = 0;
  T_STATUS(mproc_pool_apply(p, "pool_fail", NULL, NULL), MPROC_EFAILED);
  T_OK(mproc_pool_submit(p, &f, "pool_fail", NULL, NULL));
  T_STATUS(mproc_future_get(f, 30000, NULL), MPROC_EFAILED);
  T_OK(mproc_future_info(f, &info));
  CU_ASSERT_STRING_EQUAL(info.message, "no luck");
  mproc_future_destroy(f);
  /* a worker that dies fails only its own task, and is replaced */
  T_OK(mproc_pool_submit(p, &f, "pool_sleep_or_die", a, NULL));
  T_STATUS(mproc_future_get(f, 30000, NULL), MPROC_ECRASHED);
  T_OK(mproc_future_info(f, &info));
  CU_ASSERT(info.pid > 0);
#ifndef _WIN32
  CU_ASSERT_EQUAL(info.exitcode, -SIGABRT);
#endif
  mproc_future_destroy(f);
  mproc_args_destroy(a);
  /* mid-map: one item dies, the rest succeed */
  mproc_args_destroy(items);
  items = ints(1, 20);
  {
    mproc_args *mixed = NULL;
    mproc_args_create(&mixed);
    for (i = 0; i < 21; i++)
      mproc_args_add_i64(mixed, i == 7 ? -1 : 10);
    T_STATUS(mproc_pool_map(p, "pool_sleep_or_die", mixed, 1, &res, sts), MPROC_ECRASHED);
    for (i = 0; i < 21; i++) {
      crashed += sts[i] == MPROC_ECRASHED;
      if (i != 7)
        CU_ASSERT_EQUAL(sts[i], MPROC_OK);
    }
    CU_ASSERT_EQUAL(crashed, 1);
    mproc_args_destroy(mixed);
    mproc_args_destroy(res);
  }
  T_OK(mproc_pool_map(p, "pool_square", items, 0, NULL, NULL)); /* still usable */
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_timeout(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_args *a = ints(20000, 1);
  int64_t t0 = t_now_ms();
  memset(&o, 0, sizeof o);
  o.task_timeout_ms = 200;
  p = make_pool(1, &o);
  T_STATUS(mproc_pool_apply(p, "pool_sleep_or_die", a, NULL), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 < 15000);
  mproc_args_destroy(a);
  a = ints(3, 1);
  T_OK(mproc_pool_apply(p, "pool_square", a, NULL)); /* a new worker took over */
  mproc_args_destroy(a);
  T_OK(mproc_pool_destroy(p));
}

static void test_bailout(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *items = ints(0, 500), *res = NULL;
  mproc_status *sts = calloc(500, sizeof *sts);
  int i, ok = 0, cancelled = 0;
  T_STATUS(mproc_pool_map(p, "pool_bailout", items, 1, &res, sts), MPROC_ECANCELED);
  for (i = 0; i < 500; i++) {
    ok += sts[i] == MPROC_OK;
    cancelled += sts[i] == MPROC_ECANCELED;
  }
  CU_ASSERT_EQUAL(sts[10], MPROC_OK);
  CU_ASSERT_EQUAL(ok + cancelled, 500);
  CU_ASSERT(cancelled > 400); /* the loop really broke off */
  mproc_args_destroy(res);
  /* the pool is usable afterwards */
  T_OK(mproc_pool_map(p, "pool_square", items, 0, NULL, NULL));
  free(sts);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_initializer(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_event *e = NULL;
  mproc_args *ia = NULL, *res = NULL;
  int set = 0;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_event_set(e));
  mproc_args_create(&ia);
  T_OK(mproc_args_add_event(ia, e));
  memset(&o, 0, sizeof o);
  o.initializer = "pool_init";
  o.initargs = ia;
  p = make_pool(2, &o);
  T_OK(mproc_pool_apply(p, "pool_check_init", NULL, &res));
  mproc_args_get_bool(res, 0, &set);
  CU_ASSERT_EQUAL(set, 1);
  mproc_args_destroy(res);
  T_OK(mproc_pool_destroy(p));
  /* a failing initializer is reported once, as the pool's error */
  o.initializer = "pool_init_fails";
  p = make_pool(2, &o);
  T_STATUS(mproc_pool_apply(p, "pool_square", NULL, NULL), MPROC_EFAILED);
  T_STATUS(mproc_pool_apply(p, "pool_square", NULL, NULL), MPROC_EFAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "initializer says no"));
  T_OK(mproc_pool_destroy(p));
  mproc_args_destroy(ia);
  T_OK(mproc_event_destroy(e));
}

static void test_max_tasks_per_child(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_args *items = ints(0, 6), *res = NULL;
  int64_t pids[6];
  int i, j, distinct = 1;
  memset(&o, 0, sizeof o);
  o.max_tasks_per_child = 1;
  p = make_pool(2, &o);
  T_OK(mproc_pool_map(p, "pool_pid", items, 1, &res, NULL));
  for (i = 0; i < 6; i++)
    mproc_args_get_i64(res, (size_t)i, &pids[i]);
  for (i = 0; i < 6; i++)
    for (j = 0; j < i; j++)
      distinct &= pids[i] != pids[j];
  CU_ASSERT(distinct);
  mproc_args_destroy(res);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_many_workers_and_nesting(void) {
  mproc_pool *p = make_pool(64, NULL);
  mproc_args *items = ints(0, 128), *a = ints(9, 1), *res = NULL;
  int64_t v = 0;
  T_OK(mproc_pool_map(p, "pool_square", items, 1, NULL, NULL));
  T_OK(mproc_pool_destroy(p));
  p = make_pool(1, NULL);
  T_OK(mproc_pool_apply(p, "pool_nested", a, &res));
  mproc_args_get_i64(res, 0, &v);
  CU_ASSERT_EQUAL(v, 81);
  mproc_args_destroy(res);
  mproc_args_destroy(a);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_bad_input_and_close(void) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_future *f = NULL;
  memset(&o, 0, sizeof o);
  o.workers = -1;
  T_STATUS(mproc_pool_create(&p, &o), MPROC_ERANGE);
  o.workers = 1;
  o.initializer = "no_such_fn";
  T_STATUS(mproc_pool_create(&p, &o), MPROC_ENOFUNC);
  T_STATUS(mproc_pool_create(NULL, NULL), MPROC_EINVAL);
  p = make_pool(1, NULL);
  T_STATUS(mproc_pool_submit(p, &f, "no_such_fn", NULL, NULL), MPROC_ENOFUNC);
  T_STATUS(mproc_pool_submit(p, &f, NULL, NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_submit(NULL, &f, "pool_square", NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_join(p, 0), MPROC_ESTATE);
  T_OK(mproc_pool_close(p));
  T_STATUS(mproc_pool_submit(p, &f, "pool_pid", NULL, NULL), MPROC_ESTATE);
  T_OK(mproc_pool_join(p, 30000));
  T_OK(mproc_pool_destroy(p));
}

static int64_t wait_pid_file(const char *prefix, int item) {
  char path[1100], text[32] = "";
  int64_t end = t_now_ms() + 30000;
  snprintf(path, sizeof path, "%s.%d", prefix, item);
  while (t_now_ms() < end) {
    if (t_read_file(path, text, sizeof text) && atoll(text) > 0) {
      remove(path);
      return atoll(text);
    }
    t_sleep_ms(10);
  }
  return 0;
}

static void count_names_of(const char *name, void *arg) {
  char prefix[32];
  snprintf(prefix, sizeof prefix, "mproc-%lld-", (long long)((int64_t *)arg)[0]);
  if (strncmp(name, prefix, strlen(prefix)) == 0)
    ((int64_t *)arg)[1]++;
}

/* Ctrl-C in a parent running a pool: it exits (130), and leaves no worker
 * and no named object behind. */
static void test_ctrl_c(void) {
  char *prefix = t_temp_path("ctrlc");
  mproc_args *a = NULL;
  mproc_process *v;
  int64_t vpid = 0, w0, w1, names[2];
  if (!t_can_interrupt()) {
    printf("SKIP (%s) ", t_skip_reason());
    free(prefix);
    return;
  }
  mproc_args_create(&a);
  mproc_args_add_str(a, prefix);
  v = t_start("pool_ctrlc_victim", a, NULL);
  mproc_args_destroy(a);
  mproc_process_pid(v, &vpid);
  w0 = wait_pid_file(prefix, 0);
  w1 = wait_pid_file(prefix, 1);
  CU_ASSERT(w0 > 0 && w1 > 0);
  CU_ASSERT(t_interrupt_pid(vpid));
  CU_ASSERT(t_wait_pid_gone(vpid, 20000)); /* it ends on its own */
  CU_ASSERT(t_wait_pid_gone(w0, 5000));
  CU_ASSERT(t_wait_pid_gone(w1, 5000));
  names[0] = vpid;
  names[1] = 0;
  mproc__names_list(count_names_of, names); /* before the reap's sweep could hide a leak */
  CU_ASSERT_EQUAL(names[1], 0);
  CU_ASSERT_EQUAL(t_finish(v), 130);
  free(prefix);
}

static const CU_TestInfo tests[] = {
    {"apply and submit", test_apply_and_submit},
    {"map: order, chunks", test_map_order_and_chunks},
    {"failure and crash fail only their task", test_failure_and_crash},
    {"task timeout kills and replaces", test_timeout},
    {"bail-out cancels the rest of a map", test_bailout},
    {"initializer with a shared event; failing initializer", test_initializer},
    {"max tasks per child", test_max_tasks_per_child},
    {"64 workers; nested pool", test_many_workers_and_nesting},
    {"bad input, close, join", test_bad_input_and_close},
    {"Ctrl-C: clean exit, no worker or name left", test_ctrl_c},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(pool_square),
                                           MPROC_FUNCTION(pool_pid),
                                           MPROC_FUNCTION(pool_fail),
                                           MPROC_FUNCTION(pool_sleep_or_die),
                                           MPROC_FUNCTION(pool_bailout),
                                           MPROC_FUNCTION(pool_init),
                                           MPROC_FUNCTION(pool_init_fails),
                                           MPROC_FUNCTION(pool_check_init),
                                           MPROC_FUNCTION(pool_nested),
                                           MPROC_FUNCTION(pool_set_prefix),
                                           MPROC_FUNCTION(pool_until_cancelled),
                                           MPROC_FUNCTION(pool_ctrlc_victim),
                                           MPROC_FUNCTIONS_END};

const test_suite suite_pool = {"pool", tests, functions};
