/*
 * Example "lock-protected critical section": processes update a shared
 * counter; under a Lock no update is lost. Python:
 *     def work(lock, counter):
 *         for _ in range(1000):
 *             with lock: counter.value += 1
 * Here the counter is a shared array of one int64 (a Value) with its own lock.
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 4, PER = 1000 };

static int work(const mproc_args *args, mproc_args *result) {
  mproc_array *counter;
  int64_t v;
  int i;
  (void)result;
  if (mproc_args_get_array(args, 0, &counter))
    return example_fail("work");
  for (i = 0; i < PER; i++)
    /* Held also after MPROC_EOWNERDEAD (a holder died): mproc_status_held() says
     * it. The get and set are a read-modify-write: they need the lock. */
    if (!mproc_status_held(mproc_array_lock(counter, MPROC_WAIT_FOREVER)) ||
        mproc_array_get_i64(counter, 0, &v) || mproc_array_set_i64(counter, 0, v + 1) ||
        mproc_array_unlock(counter))
      return example_fail("work");
  printf("  [%s] added %d\n", mproc_self_name(), PER);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(work), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_array *counter;
  mproc_process *p[N];
  mproc_args *a;
  int64_t total;
  int i;
  if (mproc_init(&argc, &argv, functions) ||
      mproc_array_create(&counter, MPROC_ELEM_I64, 1, &(mproc_array_options){.lock = 1}) ||
      mproc_args_create(&a) || mproc_args_add_array(a, counter))
    return example_fail("create");
  for (i = 0; i < N; i++)
    if (mproc_process_create(&p[i], "work", a, NULL) || mproc_process_start(p[i]))
      return example_fail("start");
  /* A child that failed added less than PER: the total says it. */
  for (i = 0; i < N; i++)
    if (mproc_process_join(p[i], MPROC_WAIT_FOREVER) || mproc_process_destroy(p[i]))
      return example_fail("join");
  if (mproc_array_get_i64(counter, 0, &total))
    return example_fail("get");
  printf("[MainProcess] counter = %lld (expected %d)\n", (long long)total, N * PER);
  mproc_args_destroy(a);
  if (mproc_array_destroy(counter))
    return example_fail("destroy");
  return total == N * PER ? 0 : 1;
}
