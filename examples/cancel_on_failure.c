/*
 * Example "cancel all tasks if one fails", with plain processes: every
 * task gets the same shared Event; a task that fails sets it, and the others
 * check it between steps (one atomic load) and stop early. Python:
 *     def task(event, i):
 *         for step in range(10):
 *             if event.is_set(): print(f'{i} cancelled'); return
 *             sleep(0.1)
 *             if i == 2 and step == 3: print(f'{i} failed'); event.set(); return
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 4, STEPS = 10 };

static int task(const mproc_args *args, mproc_args *result) {
  mproc_event *cancel;
  int64_t i;
  int step;
  (void)result;
  if (mproc_args_get_event(args, 0, &cancel) || mproc_args_get_i64(args, 1, &i))
    return example_fail("task");
  for (step = 0; step < STEPS; step++) {
    if (mproc_event_is_set(cancel)) {
      printf("  [task %lld] cancelled at step %d\n", (long long)i, step);
      return 0;
    }
    example_sleep_ms(100);
    if (i == 2 && step == 3) {
      printf("  [task %lld] failed at step %d: cancelling the others\n", (long long)i, step);
      return mproc_event_set(cancel) ? example_fail("task") : 1;
    }
  }
  printf("  [task %lld] finished\n", (long long)i);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(task), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_event *cancel;
  mproc_process *p[N];
  int i;
  if (mproc_init(&argc, &argv, functions) || mproc_event_create(&cancel))
    return example_fail("event");
  for (i = 0; i < N; i++) {
    mproc_args *a; /* (cancel, i): a shared object has no pack token, so it is added alone */
    if (mproc_args_create(&a) || mproc_args_add_event(a, cancel) ||
        mproc_args_pack(a, "i64", (int64_t)i) || mproc_process_create(&p[i], "task", a, NULL) ||
        mproc_process_start(p[i]))
      return example_fail("start");
    mproc_args_destroy(a);
  }
  for (i = 0; i < N; i++) {
    int code;
    if (mproc_process_join(p[i], MPROC_WAIT_FOREVER) || mproc_process_exitcode(p[i], &code) ||
        mproc_process_destroy(p[i]))
      return example_fail("join");
    printf("[MainProcess] task %d exit code %d\n", i, code);
  }
  return mproc_event_destroy(cancel) ? example_fail("destroy") : 0;
}
