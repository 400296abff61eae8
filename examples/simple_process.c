/*
 * Example "simple process": run one function in a fresh child process.
 * Python:
 *     p = Process(target=greet, args=("Bob",)); p.start(); p.join()
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

static int greet(const mproc_args *args, mproc_args *result) {
  const char *who;
  (void)result;
  if (mproc_args_get_str(args, 0, &who))
    return example_fail("greet");
  printf("  [%s pid %lld] hello, %s (parent pid %lld)\n", mproc_self_name(),
         (long long)mproc_self_pid(), who, (long long)mproc_self_parent_pid());
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(greet), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_process *p;
  mproc_args *args;
  int code;
  if (mproc_init(&argc, &argv, functions)) /* a child never returns from here */
    return example_fail("mproc_init");
  printf("[MainProcess pid %lld] starting a child\n", (long long)mproc_self_pid());
  if (mproc_args_create_packed(&args, "str", "Bob") ||
      mproc_process_create(&p, "greet", args, NULL) || mproc_process_start(p) ||
      mproc_process_join(p, MPROC_WAIT_FOREVER) || mproc_process_exitcode(p, &code))
    return example_fail("greet");
  printf("[MainProcess] %s exited with code %d\n", mproc_process_name(p), code);
  mproc_args_destroy(args);
  return mproc_process_destroy(p) ? example_fail("destroy") : code;
}
