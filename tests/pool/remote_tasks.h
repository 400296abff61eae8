/*
 * The tasks a pool whose workers run elsewhere is tested with: by the
 * loopback backend's suite (pool/backend.c) and the MPI backend's
 * (mpi/mpi_tests.c), so that both prove the same behaviours. Each file
 * registers them all with REMOTE_TASKS in its function table.
 */
#ifndef MPROC_TESTS_REMOTE_TASKS_H
#define MPROC_TESTS_REMOTE_TASKS_H

#include <apr_time.h>
#include <stdlib.h>

#include "mproc.h"

/* [x] -> x * x */
static int rt_square(const mproc_args *a, mproc_args *r) {
  int64_t x;
  return mproc_args_unpack(a, "i64", &x) || mproc_args_pack(r, "i64", x * x);
}

/* [ms]: naps that long in 5 ms steps, checking mproc_cancelled(): 1 if it was. */
static int rt_nap(const mproc_args *a, mproc_args *r) {
  int64_t ms, t;
  (void)r;
  if (mproc_args_unpack(a, "i64", &ms))
    return 2;
  for (t = 0; t < ms; t += 5) {
    if (mproc_cancelled())
      return 1;
    apr_sleep(5000);
  }
  return 0;
}

/* [x] -> x: item 10 finds the answer and cancels the pool; the others work
 * 20 ms, or stop when cancelled. */
static int rt_search(const mproc_args *a, mproc_args *r) {
  int64_t x, t;
  if (mproc_args_unpack(a, "i64", &x))
    return 2;
  if (x == 10)
    return mproc_task_cancel_pool() || mproc_args_pack(r, "i64", x);
  for (t = 0; t < 20; t += 2) {
    if (mproc_cancelled())
      return 1;
    apr_sleep(2000);
  }
  return mproc_args_pack(r, "i64", x) != MPROC_OK;
}

/* []: ends its worker as a crash would. */
static int rt_crash(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  abort();
}

/* []: cancels the pool, as a task that found the answer. */
static int rt_cancel_pool(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  return mproc_task_cancel_pool() != MPROC_OK;
}

/* an initializer that fails: "no database" */
static int rt_bad_init(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  mproc_task_fail("no database");
  return 1;
}

/* The Events of an initializer's arguments [event, [event]], kept for the
 * worker's life (a backend's host may give its own stand-ins). */
static mproc_event *rt_events[2];

static int rt_keep_events(const mproc_args *a, mproc_args *r) {
  const mproc_args *inner = NULL;
  (void)r;
  return mproc_args_open_event(a, 0, &rt_events[0]) || mproc_args_get_list(a, 1, &inner) ||
         mproc_args_open_event(inner, 0, &rt_events[1]);
}

/* [k]: sets Event k. */
static int rt_event_set(const mproc_args *a, mproc_args *r) {
  int64_t k;
  (void)r;
  return mproc_args_unpack(a, "i64", &k) || k < 0 || k > 1 || mproc_event_set(rt_events[k]);
}

/* [k, on, ms] -> 1 if Event k's state became @on within @ms, else 0. */
static int rt_event_await(const mproc_args *a, mproc_args *r) {
  int64_t k, on, ms, t = 0;
  if (mproc_args_unpack(a, "i64 i64 i64", &k, &on, &ms) || k < 0 || k > 1)
    return 2;
  while (mproc_event_is_set(rt_events[k]) != (on != 0) && t < ms) {
    apr_sleep(1000);
    t++;
  }
  return mproc_args_pack(r, "i64", (int64_t)(mproc_event_is_set(rt_events[k]) == (on != 0))) !=
         MPROC_OK;
}

/* [] -> the worker's parent's pid (a host's, when it runs on one) */
static int rt_parent_pid(const mproc_args *a, mproc_args *r) {
  (void)a;
  return mproc_args_pack(r, "i64", mproc_self_parent_pid()) != MPROC_OK;
}

/* What both suites check first: a map of x*x over @n values in chunks of
 * @chunk, and an apply of 12. 0 when every result is right; else -1, and
 * mproc_last_error() says why if a call failed. */
static int rt_check_squares(mproc_pool *p, size_t n, size_t chunk) {
  int64_t *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out), y = 0;
  mproc_args *a = NULL, *r = NULL;
  size_t i;
  int ok = in && out;
  for (i = 0; ok && i < n; i++)
    in[i] = (int64_t)i - (int64_t)n / 2;
  ok = ok && mproc_pool_map_i64(p, "rt_square", in, n, &(mproc_map_options){.chunksize = chunk},
                                out, NULL) == MPROC_OK;
  for (i = 0; ok && i < n; i++)
    ok = out[i] == in[i] * in[i];
  ok = ok && mproc_args_create_packed(&a, "i64", (int64_t)12) == MPROC_OK &&
       mproc_pool_apply(p, "rt_square", a, &r) == MPROC_OK &&
       mproc_args_unpack(r, "i64", &y) == MPROC_OK && y == 144;
  mproc_args_destroy(a);
  mproc_args_destroy(r);
  free(in);
  free(out);
  return ok ? 0 : -1;
}

#define REMOTE_TASKS                                                                               \
  MPROC_FUNCTION(rt_square), MPROC_FUNCTION(rt_nap), MPROC_FUNCTION(rt_search),                    \
      MPROC_FUNCTION(rt_crash), MPROC_FUNCTION(rt_cancel_pool), MPROC_FUNCTION(rt_bad_init),       \
      MPROC_FUNCTION(rt_keep_events), MPROC_FUNCTION(rt_event_set),                                \
      MPROC_FUNCTION(rt_event_await), MPROC_FUNCTION(rt_parent_pid)

#endif /* MPROC_TESTS_REMOTE_TASKS_H */
