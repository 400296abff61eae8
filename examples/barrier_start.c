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
  mproc_barrier *b;
  int64_t i;
  uint32_t arrival;
  (void)result;
  if (mproc_args_get_barrier(args, 0, &b) || mproc_args_get_i64(args, 1, &i))
    return example_fail("runner");
  example_sleep_ms((int)(100 * (i + 1)));
  printf("  [runner %lld] ready after %lld ms\n", (long long)i, (long long)(100 * (i + 1)));
  if (mproc_barrier_wait(b, 10000, &arrival))
    return example_fail("runner");
  printf("  [runner %lld] go! (arrival %u)\n", (long long)i, arrival);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(runner), MPROC_FUNCTION(starting_gun),
                                           MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_barrier *b;
  mproc_process *p[N];
  int64_t i;
  int failed = 0;
  if (mproc_init(&argc, &argv, functions) ||
      mproc_barrier_create(&b, N, &(mproc_barrier_options){.action = "starting_gun"}))
    return example_fail("barrier");
  for (i = 0; i < N; i++) {
    mproc_args *a; /* (b, i): a shared object has no pack token, so it is added alone */
    if (mproc_args_create(&a) || mproc_args_add_barrier(a, b) || mproc_args_pack(a, "i64", i) ||
        mproc_process_create(&p[i], "runner", a, NULL) || mproc_process_start(p[i]))
      return example_fail("start");
    mproc_args_destroy(a);
  }
  for (i = 0; i < N; i++) {
    int code;
    if (mproc_process_join(p[i], MPROC_WAIT_FOREVER) || mproc_process_exitcode(p[i], &code) ||
        mproc_process_destroy(p[i]))
      return example_fail("join");
    failed += code != 0;
  }
  return mproc_barrier_destroy(b) ? example_fail("destroy") : failed;
}
