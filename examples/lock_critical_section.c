/*
 * Example "lock-protected critical section": processes update a shared
 * counter; under a Lock no update is lost. Python:
 *     def work(lock, counter):
 *         for _ in range(1000):
 *             with lock: counter.value += 1
 * Here the counter is a shared array of one int64 (a Value) with its own lock.
 */
#include <stdio.h>

#include "mproc.h"

enum { N = 4, PER = 1000 };

static int work(const mproc_args *args, mproc_args *result) {
  mproc_array *counter = NULL;
  int i;
  (void)result;
  if (mproc_args_get_array(args, 0, &counter))
    return 1;
  for (i = 0; i < PER; i++) {
    int64_t v;
    /* Held also after MPROC_EOWNERDEAD (a holder died): mproc_status_held() says it. */
    if (!mproc_status_held(mproc_array_lock(counter, MPROC_WAIT_FOREVER)))
      return 1;
    mproc_array_get_i64(counter, 0, &v); /* read-modify-write: needs the lock */
    mproc_array_set_i64(counter, 0, v + 1);
    mproc_array_unlock(counter);
  }
  printf("  [%s] added %d\n", mproc_self_name(), PER);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(work), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_array_options locked = {.lock = 1};
  mproc_array *counter;
  mproc_process *p[N];
  mproc_args *a;
  int64_t total = 0;
  int i;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK ||
      mproc_array_create(&counter, MPROC_ELEM_I64, 1, &locked) != MPROC_OK)
    return 1;
  mproc_args_create(&a);
  mproc_args_add_array(a, counter);
  for (i = 0; i < N; i++)
    if (mproc_process_create(&p[i], "work", a, NULL) || mproc_process_start(p[i]))
      return 1;
  for (i = 0; i < N; i++) {
    mproc_process_join(p[i], MPROC_WAIT_FOREVER);
    mproc_process_destroy(p[i]);
  }
  mproc_array_get_i64(counter, 0, &total);
  printf("[MainProcess] counter = %lld (expected %d)\n", (long long)total, N * PER);
  mproc_args_destroy(a);
  mproc_array_destroy(counter);
  return total == N * PER ? 0 : 1;
}
