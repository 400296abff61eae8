/* A program built against an installed mproc: starts a child and checks its exit code. */
#include <stdio.h>

#include <mproc.h>

static int answer(const mproc_args *args, mproc_args *result) {
  int64_t x = 0;
  (void)result;
  mproc_args_get_i64(args, 0, &x);
  return x == 42 ? 0 : 1;
}

static const mproc_function functions[] = {MPROC_FUNCTION(answer), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_process *p;
  mproc_args *a;
  int code = -1;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK)
    return 2;
  if (mproc_version() != MPROC_VERSION) {
    fprintf(stderr, "consumer: headers %d, library %s\n", MPROC_VERSION, mproc_version_string());
    return 3;
  }
  printf("consumer: mproc %s\n", mproc_version_string());
  mproc_args_create(&a);
  mproc_args_add_i64(a, 42);
  if (mproc_process_create(&p, "answer", a, NULL) || mproc_process_start(p) ||
      mproc_process_join(p, MPROC_WAIT_FOREVER) || mproc_process_exitcode(p, &code))
    fprintf(stderr, "consumer: %s\n", mproc_last_error());
  mproc_process_destroy(p);
  mproc_args_destroy(a);
  printf("consumer: child exited with %d\n", code);
  return code;
}
