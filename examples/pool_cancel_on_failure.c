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

/* In each worker, set once by the initializer and kept for the worker's life. */
static mproc_event *event;

static int init_worker(const mproc_args *args, mproc_args *result) {
  (void)result;
  return mproc_args_open_event(args, 0, &event) == MPROC_OK ? 0 : 1;
}

static int task(const mproc_args *args, mproc_args *result) {
  int64_t i = 0;
  int step;
  char text[64];
  if (mproc_args_get_i64(args, 0, &i))
    return 1;
  for (step = 0; step < STEPS; step++) {
    if (mproc_event_is_set(event)) {
      printf("  [task %lld] stopping at step %d: another task failed\n", (long long)i, step);
      snprintf(text, sizeof text, "stopped at step %d", step);
      return mproc_args_add_str(result, text) ? 1 : 0;
    }
    if (i == FAILING && step == 2) { /* halfway through the step: no tie with the checks */
      example_sleep_ms(25);
      printf("  [task %lld] something bad happened: cancelling the others\n", (long long)i);
      mproc_event_set(event);
      snprintf(text, sizeof text, "task %lld failed at step %d", (long long)i, step);
      mproc_task_fail(text);
      return 1;
    }
    example_sleep_ms(50);
  }
  printf("  [task %lld] finished\n", (long long)i);
  return mproc_args_add_str(result, "finished") ? 1 : 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(init_worker), MPROC_FUNCTION(task),
                                           MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_pool_options o = {0};
  mproc_pool *pool = NULL;
  mproc_future *futures[N];
  mproc_event *shared_event;
  mproc_args *initargs;
  int i, stopped = 0, ok = 1;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK ||
      mproc_event_create(&shared_event) != MPROC_OK || mproc_args_create(&initargs) != MPROC_OK)
    return 1;
  mproc_args_add_event(initargs, shared_event);
  o.workers = WORKERS;
  o.initializer = "init_worker";
  o.initargs = initargs; /* copied: every worker, respawned ones too, gets the event */
  if (mproc_pool_create(&pool, &o) != MPROC_OK) {
    fprintf(stderr, "cannot create the pool: %s\n", mproc_last_error());
    return 1;
  }
  for (i = 0; i < N; i++) {
    mproc_args *a;
    mproc_args_create(&a);
    mproc_args_add_i64(a, i);
    if (mproc_pool_submit(pool, &futures[i], "task", a, NULL) != MPROC_OK) {
      fprintf(stderr, "cannot submit: %s\n", mproc_last_error());
      return 1;
    }
    mproc_args_destroy(a);
  }
  for (i = 0; i < N; i++) {
    const mproc_args *r = NULL;
    const char *text = "";
    mproc_task_info info;
    mproc_status st = mproc_future_get(futures[i], MPROC_WAIT_FOREVER, &r);
    mproc_future_info(futures[i], &info);
    if (st == MPROC_OK)
      mproc_args_get_str(r, 0, &text);
    printf("[MainProcess] task %d: %s %s\n", i, mproc_status_name(info.status),
           st == MPROC_OK ? text : info.message);
    if (i == FAILING ? st != MPROC_EFAILED || !strstr(info.message, "failed") : st != MPROC_OK)
      ok = 0;
    stopped += st == MPROC_OK && strncmp(text, "stopped", 7) == 0;
    mproc_future_destroy(futures[i]);
  }
  printf("[MainProcess] %d tasks stopped early\n", stopped);
  if (stopped == 0)
    ok = 0;
  mproc_pool_close(pool);
  if (mproc_pool_join(pool, 5000) != MPROC_OK)
    ok = 0;
  mproc_pool_destroy(pool);
  mproc_args_destroy(initargs);
  mproc_event_destroy(shared_event);
  return ok ? 0 : 1;
}
