/*
 * Linux futexes on words of shared segments (not FUTEX_PRIVATE: the waiters
 * are other processes mapping the same pages). The portable build has none,
 * so the runtime parks on named semaphores as on macOS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <time.h>
#if defined(__linux__) && !defined(MPROC_PORTABLE_POSIX)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#define HAVE_FUTEX 1
#endif

#include "internal.h"

#ifdef HAVE_FUTEX
int mproc__futex_available(void) { return 1; }

mproc_status mproc__futex_wait(volatile uint32_t *word, uint32_t expected, int64_t timeout_ms) {
  struct timespec ts, *tp = NULL;
  if (timeout_ms >= 0) {
    ts.tv_sec = (time_t)(timeout_ms / 1000);
    ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
    tp = &ts;
  }
  if (syscall(SYS_futex, word, FUTEX_WAIT, expected, tp, NULL, 0) < 0 && errno == ETIMEDOUT)
    return MPROC_ETIMEDOUT;
  return MPROC_OK; /* woken, value changed (EAGAIN) or interrupted: the caller re-checks */
}

void mproc__futex_wake(volatile uint32_t *word, int all) {
  syscall(SYS_futex, word, FUTEX_WAKE, all ? INT_MAX : 1, NULL, NULL, 0);
}
#else
int mproc__futex_available(void) { return 0; }

mproc_status mproc__futex_wait(volatile uint32_t *word, uint32_t expected, int64_t timeout_ms) {
  (void)word;
  (void)expected;
  (void)timeout_ms;
  return mproc__fail(MPROC_ENOTSUP, "futex: not available on this platform");
}

void mproc__futex_wake(volatile uint32_t *word, int all) {
  (void)word;
  (void)all;
}
#endif
