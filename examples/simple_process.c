/*
 * Example "simple process": run one function in a fresh child process.
 * Python:
 *     p = Process(target=greet, args=("Bob",)); p.start(); p.join()
 */
#include <stdio.h>

#include "mproc.h"

static int greet(const mproc_args *args, mproc_args *result) {
  const char *who = "nobody";
  (void)result;
  mproc_args_get_str(args, 0, &who);
  printf("  [%s pid %lld] hello, %s (parent pid %lld)\n", mproc_self_name(),
         (long long)mproc_self_pid(), who, (long long)mproc_self_parent_pid());
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(greet), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_process *p;
  mproc_args *args;
  int code = -1;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK) /* a child never returns from here */
    return 1;
  printf("[MainProcess pid %lld] starting a child\n", (long long)mproc_self_pid());
  mproc_args_create(&args);
  mproc_args_add_str(args, "Bob");
  if (mproc_process_create(&p, "greet", args, NULL) != MPROC_OK ||
      mproc_process_start(p) != MPROC_OK) {
    fprintf(stderr, "cannot start: %s\n", mproc_last_error());
    return 1;
  }
  mproc_process_join(p, MPROC_WAIT_FOREVER);
  mproc_process_exitcode(p, &code);
  printf("[MainProcess] %s exited with code %d\n", mproc_process_name(p), code);
  mproc_process_destroy(p);
  mproc_args_destroy(args);
  return code;
}
