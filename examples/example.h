/* What the examples need beyond mproc: a portable sleep. */
#ifndef MPROC_EXAMPLE_H
#define MPROC_EXAMPLE_H

#ifdef _WIN32
#include <windows.h>
static inline void example_sleep_ms(int ms) { Sleep((DWORD)ms); }
#else
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <time.h>
static inline void example_sleep_ms(int ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}
#endif

#endif
