/*
 * Example "Barrier start line": processes get ready at different
 * speeds, then all start at the same moment. Python:
 *     def runner(barrier, i):
 *         sleep(random()); print(f'{i} ready'); barrier.wait(); print(f'{i} go')
 * The barrier's action (a registered function) runs once, when all are in.
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 3 };

static int starting_gun(const mproc_args *args, mproc_args *result) {
  (void)args;
  (void)result;
  printf("  [%s] *** bang: everybody is in ***\n", mproc_self_name());
  return 0;
}

static int runner(const mproc_args *args, mproc_args *result) {
  mproc_barrier *b = NULL;
  int64_t i = 0;
  uint32_t index = 0;
  mproc_status st;
  (void)result;
  if (mproc_args_get_barrier(args, 0, &b) || mproc_args_get_i64(args, 1, &i))
    return 1;
  example_sleep_ms((int)(100 * (i + 1)));
  printf("  [runner %lld] ready after %lld ms\n", (long long)i, (long long)(100 * (i + 1)));
  st = mproc_barrier_wait(b, 10000, &index);
  printf("  [runner %lld] go! (arrival %u)\n", (long long)i, index);
  return st == MPROC_OK ? 0 : 1;
}

static const mproc_function functions[] = {MPROC_FUNCTION(runner), MPROC_FUNCTION(starting_gun),
                                           MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_barrier_options opts = {.action = "starting_gun"};
  mproc_barrier *b;
  mproc_process *p[N];
  int i, failed = 0;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK ||
      mproc_barrier_create(&b, N, &opts) != MPROC_OK)
    return 1;
  for (i = 0; i < N; i++) {
    mproc_args *a;
    mproc_args_create(&a);
    mproc_args_add_barrier(a, b);
    mproc_args_add_i64(a, i);
    if (mproc_process_create(&p[i], "runner", a, NULL) || mproc_process_start(p[i]))
      return 1;
    mproc_args_destroy(a);
  }
  for (i = 0; i < N; i++) {
    int code = 1;
    mproc_process_join(p[i], MPROC_WAIT_FOREVER);
    mproc_process_exitcode(p[i], &code);
    failed += code != 0;
    mproc_process_destroy(p[i]);
  }
  mproc_barrier_destroy(b);
  return failed;
}
