/*
 * Example "Condition tutorial": every task waits on a shared Condition
 * until the main process notifies all of them, then they run together.
 * Python:
 *     def task(cond, i):
 *         with cond: cond.wait()
 *         print(f'task {i} running')
 *     cond = Condition()
 *     ... start 4 processes with args=(cond, i); sleep(1)
 *     with cond: cond.notify_all()
 * The Condition crosses to each child explicitly, as an argument.
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 4, TIMEOUT_MS = 10000 };

static int task(const mproc_args *args, mproc_args *result) {
  mproc_cond *cond;
  mproc_sem *waiting;
  int64_t i;
  (void)result;
  /* Held also after MPROC_EOWNERDEAD (a holder died): mproc_status_held() says it. */
  if (mproc_args_get_cond(args, 0, &cond) || mproc_args_get_sem(args, 1, &waiting) ||
      mproc_args_get_i64(args, 2, &i) || !mproc_status_held(mproc_cond_acquire(cond, TIMEOUT_MS)))
    return example_fail("task");
  printf("  [task %lld] waiting for the signal\n", (long long)i);
  /* Counted under the lock: the main process, once it holds the lock, knows
   * that this task waits. The wait holds the lock again when it returns (a
   * task that fails holding it dies holding it: the next acquirer is told). */
  if (mproc_sem_release(waiting) || !mproc_status_held(mproc_cond_wait(cond, TIMEOUT_MS)) ||
      mproc_cond_release(cond))
    return example_fail("task");
  printf("  [task %lld] running\n", (long long)i);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(task), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_process *p[N];
  mproc_cond *cond;
  mproc_sem *waiting;
  int64_t i;
  int failed = 0;
  if (mproc_init(&argc, &argv, functions) || mproc_cond_create(&cond, NULL) ||
      mproc_sem_create(&waiting, 0, NULL))
    return example_fail("create");
  for (i = 0; i < N; i++) {
    mproc_args *a; /* shared objects have no pack token: each is added alone */
    if (mproc_args_create(&a) || mproc_args_add_cond(a, cond) || mproc_args_add_sem(a, waiting) ||
        mproc_args_pack(a, "i64", i) || mproc_process_create(&p[i], "task", a, NULL) ||
        mproc_process_start(p[i]))
      return example_fail("start");
    mproc_args_destroy(a);
  }
  for (i = 0; i < N; i++)
    if (mproc_sem_acquire(waiting, TIMEOUT_MS))
      return example_fail("waiting");
  if (!mproc_status_held(mproc_cond_acquire(cond, TIMEOUT_MS)))
    return example_fail("acquire");
  printf("[MainProcess] all %d tasks wait; notifying all\n", N);
  if (mproc_cond_notify_all(cond) || mproc_cond_release(cond))
    return example_fail("notify");
  for (i = 0; i < N; i++) {
    int code;
    if (mproc_process_join(p[i], MPROC_WAIT_FOREVER) || mproc_process_exitcode(p[i], &code) ||
        mproc_process_destroy(p[i]))
      return example_fail("join");
    failed += code != 0;
  }
  if (mproc_sem_destroy(waiting) || mproc_cond_destroy(cond))
    return example_fail("destroy");
  printf("[MainProcess] done\n");
  return failed;
}
