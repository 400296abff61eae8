/*
 * Example "daemon children": a daemonic child runs a background loop
 * and is terminated when the main process exits; a non-daemonic child is
 * waited for. A daemonic child may not start children of its own.
 * Python:
 *     d = Process(target=heartbeat, daemon=True); d.start()
 *     n = Process(target=job); n.start()
 *     n.join()   # at exit, d is terminated (and any child not joined yet, joined)
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

static int heartbeat(const mproc_args *args, mproc_args *result) {
  mproc_process *p;
  int i;
  (void)args;
  (void)result;
  if (mproc_process_create(&p, "job", NULL, NULL))
    return example_fail("heartbeat");
  /* The start is refused (MPROC_EDAEMON): its status is what this shows. */
  printf("  [%s] daemon=%d; may it start a child? %s\n", mproc_self_name(), mproc_self_is_daemon(),
         mproc_strerror(mproc_process_start(p)));
  mproc_process_destroy(p);    /* never started: always succeeds */
  for (i = 1; i <= 600; i++) { /* a minute at most, should nobody stop it */
    printf("  [%s] heartbeat %d\n", mproc_self_name(), i);
    example_sleep_ms(100);
  }
  return 0;
}

static int job(const mproc_args *args, mproc_args *result) {
  (void)args;
  (void)result;
  printf("  [%s] working for 350 ms\n", mproc_self_name());
  example_sleep_ms(350);
  printf("  [%s] done\n", mproc_self_name());
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(heartbeat), MPROC_FUNCTION(job),
                                           MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_process *d, *n;
  int code;
  if (mproc_init(&argc, &argv, functions) ||
      mproc_process_create(&d, "heartbeat", NULL,
                           &(mproc_process_options){.name = "heartbeat", .daemon = 1}) ||
      mproc_process_create(&n, "job", NULL, NULL) || mproc_process_start(d) ||
      mproc_process_start(n) || mproc_process_join(n, MPROC_WAIT_FOREVER) ||
      mproc_process_exitcode(n, &code))
    return example_fail("start");
  printf("[MainProcess] %s joined; returning from main terminates daemonic %s\n",
         mproc_process_name(n), mproc_process_name(d));
  return code;
}
