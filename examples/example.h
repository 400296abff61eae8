/* What the examples need beyond mproc: one way to report a failure, a
 * portable sleep and a monotonic clock. */
#ifndef MPROC_EXAMPLE_H
#define MPROC_EXAMPLE_H

#include <stdint.h>
#include <stdio.h>

#include "mproc.h"

/* Reports the last mproc failure on stderr as "what: detail" and returns 1,
 * which is both main()'s exit status and a task's "failed", so that every
 * error path of an example is one line:
 *     if (mproc_queue_put(q, msg, 1000))
 *       return example_fail("put");
 * Call it right after the call that failed: mproc_last_error() is the
 * detail of this thread's last failure. */
static inline int example_fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, mproc_last_error());
  return 1;
}

#ifdef _WIN32
#include <windows.h>
static inline void example_sleep_ms(int ms) { Sleep((DWORD)ms); }
static inline int64_t example_now_ms(void) {
  LARGE_INTEGER now, freq;
  QueryPerformanceCounter(&now);
  QueryPerformanceFrequency(&freq);
  return (int64_t)(now.QuadPart / freq.QuadPart * 1000 +
                   now.QuadPart % freq.QuadPart * 1000 / freq.QuadPart);
}
#else
#include <time.h>
static inline void example_sleep_ms(int ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}
static inline int64_t example_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
#endif

#endif
