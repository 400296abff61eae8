/*
 * Example "many processes": start several children at once, each with
 * its own argument, and collect their exit codes.
 * Python:
 *     procs = [Process(target=square, args=(i,)) for i in range(5)]
 *     for p in procs: p.start()
 *     for p in procs: p.join()
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 5 };

static int square(const mproc_args *args, mproc_args *result) {
  int64_t x;
  (void)result;
  if (mproc_args_get_i64(args, 0, &x))
    return example_fail("square");
  printf("  [%s pid %lld] %lld squared is %lld\n", mproc_self_name(), (long long)mproc_self_pid(),
         (long long)x, (long long)(x * x));
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(square), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_process *procs[N];
  int64_t i;
  int failed = 0;
  if (mproc_init(&argc, &argv, functions))
    return example_fail("mproc_init");
  printf("[MainProcess] %d CPUs; starting %d processes\n", mproc_cpu_count(), N);
  for (i = 0; i < N; i++) {
    mproc_args *args;
    if (mproc_args_create_packed(&args, "i64", i) ||
        mproc_process_create(&procs[i], "square", args, NULL) || mproc_process_start(procs[i]))
      return example_fail("start");
    mproc_args_destroy(args); /* the process has its own copy */
  }
  for (i = 0; i < N; i++) {
    int code;
    if (mproc_process_join(procs[i], MPROC_WAIT_FOREVER) ||
        mproc_process_exitcode(procs[i], &code) || mproc_process_destroy(procs[i]))
      return example_fail("join");
    failed += code != 0;
  }
  printf("[MainProcess] all %d joined, %d failed\n", N, failed);
  return failed;
}
