/*
 * mproc's benchmark, its scenarios defined in bench/README.md: each scenario
 * reports the median, min and max over repeated trials and, measured by the
 * same program in the same run, the limit the bare OS mechanism reaches.
 * Figures are read as ratios to their limit (the machines are shared and
 * noisy).
 *
 *   bench [--quick] [--only KEY]      prints one JSON object on stdout
 *
 * A scenario may add an "extra" object (its own fields: counts, statuses,
 * secondary limits) through bench_extra() / bench_extra_stats().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const bench_scenario *const scenarios[] = {
    &bench_s1_pool_start,   &bench_s2_roundtrip,      &bench_s3_map,
    &bench_s3b_map_chunk1,  &bench_s3c_map_i64,       &bench_s4_cancel,
    &bench_s5_is_set,       &bench_s6_bailout,        &bench_s7_killed,
    &bench_s8_rss,          &bench_event_wake,        &bench_s9_queue,
    &bench_s9b_queue_batch, &bench_s10_queue_latency, &bench_s11_queue_mpsc,
    &bench_s12_joinable};
#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

void bench_stats(double *v, int n, bench_stats_t *out) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  out->min = v[0];
  out->max = v[n - 1];
  out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Appends whole members only, so that the JSON stays valid when one does not fit. */
void bench_extra(bench_result *r, const char *key, const char *fmt, ...) {
  char value[512];
  size_t used = strlen(r->extra);
  int n;
  va_list ap;
  va_start(ap, fmt);
  n = vsnprintf(value, sizeof value, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof value || used + strlen(key) + (size_t)n + 6 >= sizeof r->extra)
    return;
  snprintf(r->extra + used, sizeof r->extra - used, "%s\"%s\": %s", used ? ", " : "", key, value);
}

void bench_extra_stats(bench_result *r, const char *key, const bench_stats_t *s) {
  bench_extra(r, key, "{\"median\": %.3f, \"min\": %.3f, \"max\": %.3f}", s->median, s->min,
              s->max);
}

static void print_stats(const char *key, const bench_stats_t *s) {
  printf("\"%s\": {\"median\": %.3f, \"min\": %.3f, \"max\": %.3f}", key, s->median, s->min,
         s->max);
}

static void print_result(const bench_scenario *sc, const bench_result *r, double wall_s) {
  printf("  \"%s\": {\"unit\": \"%s\", ", sc->key, sc->unit);
  print_stats("value", &r->value);
  printf(", ");
  print_stats("limit", &r->limit);
  printf(", \"ratio_to_limit\": %.3f, \"limit_is\": \"%s\", \"target\": \"%s\"",
         r->limit.median != 0 ? r->value.median / r->limit.median : 0.0, sc->limit_is, sc->target);
  if (r->extra[0])
    printf(", \"extra\": {%s}", r->extra);
  printf(", \"wall_s\": %.2f}", wall_s);
}

int main(int argc, char **argv) {
  static mproc_function registry[64];
  const char *only = NULL;
  int quick = 0, a, first = 1;
  size_t i, n = 0;
  const mproc_function *f;
  /* A bare child of a limit (limits.c) runs no mproc code: it must not bootstrap. */
  if (argc >= 2 && strncmp(argv[1], BENCH_LIMIT_MARKER, strlen(BENCH_LIMIT_MARKER)) == 0)
    return bench_limit_child_main(argv[1] + strlen(BENCH_LIMIT_MARKER));
  for (i = 0; i < NSCENARIOS; i++)
    for (f = scenarios[i]->functions; f && f->name; f++)
      registry[n++] = *f;
  if (mproc_init(&argc, &argv, registry) != MPROC_OK) {
    fprintf(stderr, "bench: %s\n", mproc_last_error());
    return 2;
  }
  for (a = 1; a < argc; a++) {
    if (strcmp(argv[a], "--quick") == 0)
      quick = 1;
    else if (strcmp(argv[a], "--only") == 0 && a + 1 < argc)
      only = argv[++a];
    else {
      fprintf(stderr, "usage: %s [--quick] [--only KEY]\n", argv[0]);
      return 2;
    }
  }
  printf("{\n  \"quick\": %s, \"cpus\": %d,\n", quick ? "true" : "false", mproc_cpu_count());
  for (i = 0; i < NSCENARIOS; i++) {
    bench_result r;
    mproc_status st;
    double t0;
    if (only && strcmp(only, scenarios[i]->key) != 0)
      continue;
    memset(&r, 0, sizeof r);
    t0 = bench_now();
    st = scenarios[i]->run(quick, &r);
    if (st != MPROC_OK) {
      fprintf(stderr, "bench: %s failed: %s (%s)\n", scenarios[i]->key, mproc_strerror(st),
              mproc_last_error());
      return 1;
    }
    printf("%s", first ? "" : ",\n");
    first = 0;
    print_result(scenarios[i], &r, bench_now() - t0);
  }
  printf("\n}\n");
  return 0;
}
