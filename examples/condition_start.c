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

enum { N = 4 };

static int task(const mproc_args *args, mproc_args *result) {
  mproc_cond *cond = NULL;
  mproc_event *waiting = NULL;
  int64_t i = 0;
  (void)result;
  if (mproc_args_get_cond(args, 0, &cond) || mproc_args_get_event(args, 1, &waiting) ||
      mproc_args_get_i64(args, 2, &i))
    return 1;
  /* Held also after MPROC_EOWNERDEAD (a holder died): mproc_status_held() says it. */
  if (!mproc_status_held(mproc_cond_acquire(cond, MPROC_WAIT_FOREVER)))
    return 1;
  printf("  [task %lld] waiting for the signal\n", (long long)i);
  mproc_event_set(waiting); /* the main process knows one more is (about to be) waiting */
  mproc_cond_wait(cond, MPROC_WAIT_FOREVER); /* it holds the lock again on return, in every case */
  mproc_cond_release(cond);
  printf("  [task %lld] running\n", (long long)i);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(task), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_process *p[N];
  mproc_event *waiting[N];
  mproc_cond *cond;
  int i;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK || mproc_cond_create(&cond, NULL) != MPROC_OK)
    return 1;
  for (i = 0; i < N; i++) {
    mproc_args *a;
    mproc_event_create(&waiting[i]);
    mproc_args_create(&a);
    mproc_args_add_cond(a, cond);
    mproc_args_add_event(a, waiting[i]);
    mproc_args_add_i64(a, i);
    if (mproc_process_create(&p[i], "task", a, NULL) || mproc_process_start(p[i])) {
      fprintf(stderr, "cannot start: %s\n", mproc_last_error());
      return 1;
    }
    mproc_args_destroy(a);
  }
  for (i = 0; i < N; i++)
    mproc_event_wait(waiting[i], MPROC_WAIT_FOREVER);
  /* Each task set its event while holding the lock: once we hold it, all wait. */
  if (!mproc_status_held(mproc_cond_acquire(cond, MPROC_WAIT_FOREVER)))
    return 1;
  printf("[MainProcess] all %d tasks wait; notifying all\n", N);
  mproc_cond_notify_all(cond);
  mproc_cond_release(cond);
  for (i = 0; i < N; i++) {
    mproc_process_join(p[i], MPROC_WAIT_FOREVER);
    mproc_process_destroy(p[i]);
    mproc_event_destroy(waiting[i]);
  }
  mproc_cond_destroy(cond);
  printf("[MainProcess] done\n");
  return 0;
}
