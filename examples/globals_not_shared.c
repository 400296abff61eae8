/*
 * Example "spawn vs fork: globals are not shared". A child is a fresh
 * run of the program, so it sees the global's initial value, not what the
 * parent changed it to; and what the child changes stays in the child. To
 * share state, pass it explicitly (in its arguments, or through a shared object).
 * Python (spawn start method):
 *     counter = 0
 *     def work(): global counter; counter += 100; print(counter)   # 100
 *     counter = 5; p = Process(target=work); p.start(); p.join(); print(counter)  # 5
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

static int counter = 0;

static int work(const mproc_args *args, mproc_args *result) {
  int64_t from_parent;
  (void)result;
  if (mproc_args_get_i64(args, 0, &from_parent))
    return example_fail("work");
  printf("  [%s] global counter starts at %d here (the parent's is %lld: passed explicitly)\n",
         mproc_self_name(), counter, (long long)from_parent);
  counter += 100;
  printf("  [%s] child changed its counter to %d\n", mproc_self_name(), counter);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(work), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_process *p;
  mproc_args *args;
  int code;
  if (mproc_init(&argc, &argv, functions))
    return example_fail("mproc_init");
  counter = 5;
  printf("[MainProcess] set the global counter to %d, starting a child\n", counter);
  if (mproc_args_create_packed(&args, "i64", (int64_t)counter) ||
      mproc_process_create(&p, "work", args, NULL) || mproc_process_start(p) ||
      mproc_process_join(p, MPROC_WAIT_FOREVER) || mproc_process_exitcode(p, &code) ||
      mproc_process_destroy(p))
    return example_fail("work");
  mproc_args_destroy(args);
  printf("[MainProcess] after the child: counter is still %d\n", counter);
  return counter == 5 && code == 0 ? 0 : 1;
}
