/*
 * Example "multiply the results of 20 calls, but bail out when one
 * returns zero": a Pool of 4 maps a task over 0..19; the call for 7 finds a
 * zero, so the product is 0 and the calls still queued or running are
 * pointless. Python:
 *     def task(x):
 *         if x == 7: return 0          # found quickly
 *         sleep(0.05); return x + 1
 *     with Pool(4) as pool:
 *         product = 1
 *         for r in pool.imap_unordered(task, range(20)):
 *             product *= r
 *             if r == 0: pool.terminate(); break
 * In mproc the task that finds the zero breaks out of the map itself with
 * mproc_task_cancel_pool(); the others check mproc_cancelled() while they
 * work and stop early. The rest of the map completes as MPROC_ECANCELED.
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 20, WORKERS = 4, ZERO_AT = 7, STEPS = 10, STEP_MS = 5 };

static int task(const mproc_args *args, mproc_args *result) {
  int64_t x;
  int step;
  if (mproc_args_get_i64(args, 0, &x))
    return example_fail("task");
  if (x == ZERO_AT) {
    example_sleep_ms(10);
    /* The product is 0: stop the others. */
    return mproc_task_cancel_pool() || mproc_args_add_i64(result, 0) ? example_fail("task") : 0;
  }
  for (step = 0; step < STEPS; step++) { /* ~50 ms of "work" */
    if (mproc_cancelled()) {
      mproc_task_fail("stopped: the pool was cancelled");
      return 1; /* a task that fails after a cancel completes as MPROC_ECANCELED */
    }
    example_sleep_ms(STEP_MS);
  }
  return mproc_args_add_i64(result, x + 1) ? example_fail("task") : 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(task), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_pool *pool;
  mproc_status statuses[N], st;
  int64_t xs[N], results[N], product = 1;
  int i, finished = 0, cancelled = 0;
  if (mproc_init(&argc, &argv, functions) ||
      mproc_pool_create(&pool, &(mproc_pool_options){.workers = WORKERS}))
    return example_fail("pool");
  for (i = 0; i < N; i++)
    xs[i] = i;
  printf("[MainProcess] mapping task over 0..%d on %d workers\n", N - 1, WORKERS);
  st = mproc_pool_map_i64(pool, "task", xs, N, &(mproc_map_options){.chunksize = 1}, results,
                          statuses);
  printf("[MainProcess] map returned %s\n", mproc_status_name(st));
  if (st != MPROC_OK && st != MPROC_ECANCELED)
    return example_fail("map");
  for (i = 0; i < N; i++) {
    if (statuses[i] == MPROC_OK) {
      printf("  item %2d: finished, result %lld\n", i, (long long)results[i]);
      product *= results[i];
      finished++;
    } else if (statuses[i] == MPROC_ECANCELED) {
      printf("  item %2d: CANCELLED\n", i);
      cancelled++;
    } else {
      printf("  item %2d: unexpected %s\n", i, mproc_status_name(statuses[i]));
    }
  }
  printf("[MainProcess] %d finished, %d cancelled; product = %lld\n", finished, cancelled,
         (long long)product);
  if (mproc_pool_destroy(pool)) /* as leaving Python's `with Pool`: terminate */
    return example_fail("pool");
  /* Every item finished or was cancelled; the zero was seen, and it spared us some work. */
  return finished + cancelled != N || statuses[ZERO_AT] != MPROC_OK || product != 0 || !cancelled;
}
