/*
 * Example "all tasks wait on a shared Condition, then start together",
 * with a Pool: the initializer gives every worker the Condition and a shared
 * state [waiting, go]; each task registers as waiting under the Condition's
 * lock and waits for `go`; the main process, holding the same lock, sees all
 * of them waiting, sets `go` and notifies all. Python:
 *     def init_worker(c, s):
 *         global cond, state; cond, state = c, s
 *     def task(i):
 *         with cond:
 *             state[0] += 1; print(f'task {i} waiting')
 *             cond.wait_for(lambda: state[1])
 *         print(f'task {i} running')
 *     cond, state = Condition(), Array('q', 2)
 *     with Pool(4, initializer=init_worker, initargs=(cond, state)) as pool:
 *         futures = [pool.apply_async(task, (i,)) for i in range(4)]
 *         while True:
 *             with cond:
 *                 if state[0] == 4: state[1] = 1; cond.notify_all(); break
 *             sleep(0.005)
 *         for f in futures: f.get()
 * As many tasks as workers: a task queued behind a waiting one would never start.
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 4, WAITING = 0, GO = 1, TIMEOUT_MS = 10000 };

/* In each worker, set once by the initializer and kept for the worker's life. */
static mproc_cond *cond;
static mproc_array *state;

static int init_worker(const mproc_args *args, mproc_args *result) {
  (void)result;
  return mproc_args_open_cond(args, 0, &cond) || mproc_args_open_array(args, 1, &state) ? 1 : 0;
}

static int go_is_set(void *arg) {
  int64_t go = 0;
  (void)arg;
  mproc_array_get_i64(state, GO, &go);
  return go != 0;
}

static int task(const mproc_args *args, mproc_args *result) {
  int64_t i = 0;
  mproc_status st;
  if (mproc_args_get_i64(args, 0, &i) || !mproc_status_held(mproc_cond_acquire(cond, TIMEOUT_MS)))
    return 1;
  mproc_array_add_i64(state, WAITING, 1, NULL); /* under the lock: the main process sees it */
  printf("  [task %lld] waiting for the signal\n", (long long)i);
  st = mproc_cond_wait_for(cond, go_is_set, NULL, TIMEOUT_MS); /* releases the lock meanwhile */
  mproc_cond_release(cond);
  if (st != MPROC_OK) {
    mproc_task_fail("no signal came");
    return 1;
  }
  printf("  [task %lld] running\n", (long long)i);
  return mproc_args_add_i64(result, mproc_self_pid()) ? 1 : 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(init_worker), MPROC_FUNCTION(task),
                                           MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_pool_options o = {0};
  mproc_pool *pool = NULL;
  mproc_future *futures[N];
  mproc_cond *c;
  mproc_array *s;
  mproc_args *initargs;
  int64_t waiting = 0;
  int i, tries, ok = 1;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK || mproc_cond_create(&c, NULL) != MPROC_OK ||
      mproc_array_create(&s, MPROC_ELEM_I64, 2, NULL) != MPROC_OK ||
      mproc_args_create(&initargs) != MPROC_OK)
    return 1;
  mproc_args_add_cond(initargs, c);
  mproc_args_add_array(initargs, s);
  o.workers = N;
  o.initializer = "init_worker";
  o.initargs = initargs;
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
  /* Each task counts itself while holding the lock, and gives it up only by
   * waiting: once we hold it and the count is N, all N wait. */
  for (tries = 0; tries < TIMEOUT_MS / 5; tries++) {
    if (!mproc_status_held(mproc_cond_acquire(c, TIMEOUT_MS)))
      break;
    mproc_array_get_i64(s, WAITING, &waiting);
    if (waiting == N) {
      printf("[MainProcess] all %d tasks wait; notifying all\n", N);
      mproc_array_set_i64(s, GO, 1);
      mproc_cond_notify_all(c);
    }
    mproc_cond_release(c);
    if (waiting == N)
      break;
    example_sleep_ms(5);
  }
  if (waiting != N) {
    fprintf(stderr, "only %lld of %d tasks came to wait\n", (long long)waiting, N);
    mproc_pool_terminate(pool); /* their futures complete as cancelled */
  }
  for (i = 0; i < N; i++) {
    const mproc_args *r = NULL;
    int64_t pid = 0;
    mproc_status st = mproc_future_get(futures[i], MPROC_WAIT_FOREVER, &r);
    if (st == MPROC_OK && mproc_args_get_i64(r, 0, &pid) == MPROC_OK)
      printf("[MainProcess] task %d ran in worker %lld\n", i, (long long)pid);
    else
      ok = 0;
    mproc_future_destroy(futures[i]);
  }
  mproc_pool_close(pool);
  if (mproc_pool_join(pool, 5000) != MPROC_OK)
    ok = 0;
  mproc_pool_destroy(pool);
  mproc_args_destroy(initargs);
  mproc_array_destroy(s);
  mproc_cond_destroy(c);
  printf("[MainProcess] done\n");
  return ok ? 0 : 1;
}
