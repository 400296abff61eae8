/* The benchmark's scenario interface: one file per scenario family. */
#ifndef MPROC_BENCH_H
#define MPROC_BENCH_H

#include "mproc.h"

typedef struct bench_stats_t {
  double median, min, max;
} bench_stats_t;

typedef struct bench_result {
  bench_stats_t value; /* what mproc achieves */
  bench_stats_t limit; /* what the bare OS mechanism achieves, same run */
} bench_result;

typedef struct bench_scenario {
  const char *key, *unit, *limit_is, *target;
  mproc_status (*run)(int quick, bench_result *out);
  const mproc_function *functions; /* child functions, may be NULL */
} bench_scenario;

/* Sorts v and fills median/min/max. */
void bench_stats(double *v, int n, bench_stats_t *out);
/* Monotonic seconds. */
double bench_now(void);

extern const bench_scenario bench_s5_is_set;
extern const bench_scenario bench_event_wake;

#endif
