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

/* In each worker, set once by the initializer and kept for the worker's
 * life: opened, as objects kept past their argument list must be. */
static mproc_cond *cond;
static mproc_array *state;

static int init_worker(const mproc_args *args, mproc_args *result) {
  (void)result;
  if (mproc_args_open_cond(args, 0, &cond) || mproc_args_open_array(args, 1, &state))
    return example_fail("init_worker");
  return 0;
}

/* A failed read counts as "not yet": the wait then times out, and says so. */
static int go_is_set(void *arg) {
  int64_t go = 0;
  (void)arg;
  mproc_array_get_i64(state, GO, &go);
  return go != 0;
}

static int task(const mproc_args *args, mproc_args *result) {
  int64_t i;
  mproc_status st;
  if (mproc_args_get_i64(args, 0, &i) || !mproc_status_held(mproc_cond_acquire(cond, TIMEOUT_MS)))
    return example_fail("task");
  st = mproc_array_add_i64(state, WAITING, 1, NULL); /* under the lock: the main process sees it */
  if (st == MPROC_OK) {
    printf("  [task %lld] waiting for the signal\n", (long long)i);
    st = mproc_cond_wait_for(cond, go_is_set, NULL, TIMEOUT_MS); /* releases the lock meanwhile */
  }
  /* The worker outlives the task: the lock is released whatever happened. */
  if (mproc_cond_release(cond) || st)
    return example_fail("task");
  printf("  [task %lld] running\n", (long long)i);
  return mproc_args_add_i64(result, mproc_self_pid()) ? example_fail("task") : 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(init_worker), MPROC_FUNCTION(task),
                                           MPROC_FUNCTIONS_END};

/* Python's polling loop. Each task counts itself while holding the lock, and
 * gives it up only by waiting: once we hold it and the count is N, all N
 * wait. 0, or 1 on a failure (the lock may stay held then: the program ends). */
static int go_when_all_wait(mproc_cond *c, mproc_array *s) {
  int64_t waiting = 0;
  int tries;
  for (tries = 0; tries < TIMEOUT_MS / 5; tries++) {
    if (!mproc_status_held(mproc_cond_acquire(c, TIMEOUT_MS)) ||
        mproc_array_get_i64(s, WAITING, &waiting))
      return example_fail("count");
    if (waiting == N) {
      printf("[MainProcess] all %d tasks wait; notifying all\n", N);
      if (mproc_array_set_i64(s, GO, 1) || mproc_cond_notify_all(c) || mproc_cond_release(c))
        return example_fail("notify");
      return 0;
    }
    if (mproc_cond_release(c))
      return example_fail("release");
    example_sleep_ms(5);
  }
  fprintf(stderr, "only %lld of %d tasks came to wait\n", (long long)waiting, N);
  return 1;
}

int main(int argc, char **argv) {
  mproc_pool *pool;
  mproc_future *futures[N];
  mproc_cond *c;
  mproc_array *s;
  mproc_args *initargs;
  int i;
  if (mproc_init(&argc, &argv, functions) || mproc_cond_create(&c, NULL) ||
      mproc_array_create(&s, MPROC_ELEM_I64, 2, NULL) || mproc_args_create(&initargs) ||
      mproc_args_add_cond(initargs, c) || mproc_args_add_array(initargs, s) ||
      mproc_pool_create(
          &pool,
          &(mproc_pool_options){.workers = N, .initializer = "init_worker", .initargs = initargs}))
    return example_fail("pool");
  for (i = 0; i < N; i++) {
    mproc_args *a;
    if (mproc_args_create_packed(&a, "i64", (int64_t)i) ||
        mproc_pool_submit(pool, &futures[i], "task", a, NULL))
      return example_fail("submit");
    mproc_args_destroy(a);
  }
  if (go_when_all_wait(c, s))
    return 1;
  for (i = 0; i < N; i++) {
    const mproc_args *r;
    int64_t pid;
    if (mproc_future_get(futures[i], MPROC_WAIT_FOREVER, &r) || mproc_args_get_i64(r, 0, &pid))
      return example_fail("task");
    printf("[MainProcess] task %d ran in worker %lld\n", i, (long long)pid);
    mproc_future_destroy(futures[i]);
  }
  mproc_args_destroy(initargs);
  if (mproc_pool_destroy(pool) || mproc_array_destroy(s) || mproc_cond_destroy(c))
    return example_fail("destroy");
  printf("[MainProcess] done\n");
  return 0;
}
