/*
 * No futex on Windows: WaitOnAddress/WakeByAddress* only work between the
 * threads of one process (the kernel keys waiters by virtual address, not by
 * the shared page), and the waiters here are other processes. So
 * mproc__futex_available() is 0 and the runtime parks every object on its
 * named semaphore (sem.c, runtime/shared/park.c).
 */
#include "internal.h"

int mproc__futex_available(void) { return 0; }

mproc_status mproc__futex_wait(volatile uint32_t *word, uint32_t expected, int64_t timeout_ms) {
  (void)word;
  (void)expected;
  (void)timeout_ms;
  return mproc__fail(MPROC_ENOTSUP, "futex: no cross-process futex on Windows");
}

void mproc__futex_wake(volatile uint32_t *word, int all) {
  (void)word;
  (void)all;
}
