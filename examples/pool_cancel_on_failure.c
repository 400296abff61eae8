/*
 * Example "cancel all tasks if one fails", with a Pool: a shared Event
 * reaches every worker through the pool's initializer; the task that fails
 * sets it, and the others check it between their steps and stop early.
 * Python:
 *     def init_worker(shared_event):
 *         global event; event = shared_event
 *     def task(i):
 *         for step in range(8):
 *             if event.is_set(): print(f'task {i} stopping'); return 'stopped'
 *             if i == 5 and step == 2:          # halfway through step 2
 *                 sleep(0.025); event.set(); raise Exception('task 5 failed')
 *             sleep(0.05)
 *         return 'finished'
 *     with Pool(4, initializer=init_worker, initargs=(event,)) as pool:
 *         futures = [pool.apply_async(task, (i,)) for i in range(10)]
 *         for f in futures: f.wait()
 * (mproc_pool_options.cancel_on_error does the same for the pool's own tasks.)
 */
#include <stdio.h>
#include <string.h>

#include "example.h"
#include "mproc.h"

enum { N = 10, WORKERS = 4, STEPS = 8, FAILING = 5 };

/* In each worker, set once by the initializer and kept for the worker's
 * life: opened, as an object kept past its argument list must be. */
static mproc_event *event;

static int init_worker(const mproc_args *args, mproc_args *result) {
  (void)result;
  return mproc_args_open_event(args, 0, &event) ? example_fail("init_worker") : 0;
}

static int task(const mproc_args *args, mproc_args *result) {
  int64_t i;
  int step;
  char text[64];
  if (mproc_args_get_i64(args, 0, &i))
    return example_fail("task");
  for (step = 0; step < STEPS; step++) {
    if (mproc_event_is_set(event)) {
      printf("  [task %lld] stopping at step %d: another task failed\n", (long long)i, step);
      snprintf(text, sizeof text, "stopped at step %d", step);
      return mproc_args_add_str(result, text) ? example_fail("task") : 0;
    }
    if (i == FAILING && step == 2) { /* halfway through the step: no tie with the checks */
      example_sleep_ms(25);
      printf("  [task %lld] something bad happened: cancelling the others\n", (long long)i);
      snprintf(text, sizeof text, "task %lld failed at step %d", (long long)i, step);
      return mproc_event_set(event) || mproc_task_fail(text) ? example_fail("task") : 1;
    }
    example_sleep_ms(50);
  }
  printf("  [task %lld] finished\n", (long long)i);
  return mproc_args_add_str(result, "finished") ? example_fail("task") : 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(init_worker), MPROC_FUNCTION(task),
                                           MPROC_FUNCTIONS_END};

/* Prints how task i ended; 0 when as expected (only FAILING fails), else 1. */
static int report(int i, mproc_future *future, int *stopped) {
  const mproc_args *r;
  const char *text = "";
  mproc_task_info info;
  mproc_status st = mproc_future_get(future, MPROC_WAIT_FOREVER, &r);
  if (mproc_future_info(future, &info) || (st == MPROC_OK && mproc_args_get_str(r, 0, &text)))
    return example_fail("result");
  printf("[MainProcess] task %d: %s %s\n", i, mproc_status_name(st),
         st == MPROC_OK ? text : info.message);
  *stopped += strncmp(text, "stopped", 7) == 0;
  return i == FAILING ? st != MPROC_EFAILED || !strstr(info.message, "failed") : st != MPROC_OK;
}

int main(int argc, char **argv) {
  mproc_pool *pool;
  mproc_future *futures[N];
  mproc_event *shared_event;
  mproc_args *initargs;
  int i, stopped = 0, failed = 0;
  /* The initargs are copied: every worker, respawned ones too, gets the event. */
  if (mproc_init(&argc, &argv, functions) || mproc_event_create(&shared_event) ||
      mproc_args_create(&initargs) || mproc_args_add_event(initargs, shared_event) ||
      mproc_pool_create(&pool, &(mproc_pool_options){.workers = WORKERS,
                                                     .initializer = "init_worker",
                                                     .initargs = initargs}))
    return example_fail("pool");
  for (i = 0; i < N; i++) {
    mproc_args *a;
    if (mproc_args_create_packed(&a, "i64", (int64_t)i) ||
        mproc_pool_submit(pool, &futures[i], "task", a, NULL))
      return example_fail("submit");
    mproc_args_destroy(a);
  }
  for (i = 0; i < N; i++) {
    failed |= report(i, futures[i], &stopped);
    mproc_future_destroy(futures[i]);
  }
  printf("[MainProcess] %d tasks stopped early\n", stopped);
  mproc_args_destroy(initargs);
  if (mproc_pool_destroy(pool) || mproc_event_destroy(shared_event))
    return example_fail("destroy");
  return failed || !stopped;
}
