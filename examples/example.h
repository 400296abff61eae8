/* What the examples need beyond mproc: a portable sleep and a monotonic clock. */
#ifndef MPROC_EXAMPLE_H
#define MPROC_EXAMPLE_H

#include <stdint.h>

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
