/*
 * Pool scenarios S6-S8, defined in bench/README.md: bail-out, a killed
 * worker, and the resident memory of an idle worker.
 *   S6_bailout        map of 1,000 x ~2 ms busy tasks, 2 workers, chunksize 1;
 *                     task #100 cancels the pool; ms until the map returns and
 *                     how many tasks did their work; limit: the ideal 101/2 x 2 ms
 *   S7_worker_killed  map of 100 x 50 ms tasks, 2 workers, chunksize 1; one
 *                     worker SIGKILLed / terminated at 200 ms; ms until the map
 *                     returns, the statuses, and whether the pool is usable after
 *   S8_spawn_rss      resident KiB of an idle worker; limit: an idle bare child
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_thread_proc.h>
#include <apr_time.h>

#include "bench.h"

enum { MAX_TRIALS = 16, S6_TASKS = 1000, S6_ANSWER = 100, S7_TASK_MS = 50, S7_KILL_MS = 200 };
#define S6_WORK_S 0.002

/* ---- S6 ---- */

/* [i]: ~2 ms of busy work that gives up (returns 1) once the pool is
 * cancelled; task #S6_ANSWER "finds the answer" and cancels the pool. -> i */
static int bench_s6_task(const mproc_args *a, mproc_args *r) {
  int64_t i;
  double end = bench_now() + S6_WORK_S;
  if (mproc_args_get_i64(a, 0, &i))
    return 2;
  while (bench_now() < end)
    if (mproc_cancelled())
      return 1;
  if (i == S6_ANSWER && mproc_task_cancel_pool() != MPROC_OK)
    return 2;
  return mproc_args_add_i64(r, i) != MPROC_OK;
}

static mproc_status run_s6(int quick, bench_result *res) {
  static mproc_status statuses[S6_TASKS];
  double v[MAX_TRIALS], l[MAX_TRIALS], did[MAX_TRIALS];
  int n = quick ? 3 : 7, t, i, ok = 0, cancelled = 0, other = 0;
  mproc_args *items = NULL;
  mproc_pool *p = NULL;
  mproc_pool_options o;
  bench_stats_t sd;
  mproc_status st = mproc_args_create(&items);
  memset(&o, 0, sizeof o);
  o.workers = 2;
  for (i = 0; i < S6_TASKS && st == MPROC_OK; i++)
    st = mproc_args_add_i64(items, i);
  if (st == MPROC_OK)
    st = mproc_pool_create(&p, &o);
  for (t = 0; t < n && st == MPROC_OK; t++) {
    double t0 = bench_now();
    mproc_status mst = mproc_pool_map(p, "bench_s6_task", items,
                                      &(mproc_map_options){.chunksize = 1}, NULL, statuses);
    v[t] = (bench_now() - t0) * 1e3;
    l[t] = (S6_ANSWER + 1) / 2.0 * S6_WORK_S * 1e3;
    if (mst != MPROC_OK && mst != MPROC_ECANCELED)
      st = mst;
    ok = cancelled = other = 0;
    for (i = 0; i < S6_TASKS; i++) {
      ok += statuses[i] == MPROC_OK;
      cancelled += statuses[i] == MPROC_ECANCELED;
    }
    other = S6_TASKS - ok - cancelled;
    did[t] = ok;
    if (statuses[S6_ANSWER] != MPROC_OK)
      st = MPROC_EPROTO; /* the answer itself must count */
  }
  if (p)
    mproc_pool_destroy(p);
  if (items)
    mproc_args_destroy(items);
  if (st != MPROC_OK)
    return st;
  bench_stats(v, n, &res->value);
  bench_stats(l, n, &res->limit);
  bench_stats(did, n, &sd);
  bench_extra_stats(res, "tasks_did_work", &sd);
  bench_extra(res, "last_trial_statuses", "{\"ok\": %d, \"cancelled\": %d, \"other\": %d}", ok,
              cancelled, other);
  bench_extra(res, "target_tasks_did_work", "\"<= 104\"");
  return MPROC_OK;
}

static const mproc_function s6_functions[] = {MPROC_FUNCTION(bench_s6_task), MPROC_FUNCTIONS_END};

const bench_scenario bench_s6_bailout = {"S6_bailout",
                                         "ms",
                                         "the ideal: (101 tasks / 2 workers) x 2 ms",
                                         "<= 1.1x limit; at most 104 tasks did their work",
                                         run_s6,
                                         s6_functions};

/* ---- S7 ---- */

/* Slots [0, n): the pid that started item i; [n, 2n): 1 once item i is done. */
static mproc_array *s7_slots;

/* The pool's initializer: [array]. */
static int bench_s7_init(const mproc_args *a, mproc_args *r) {
  (void)r;
  return mproc_args_open_array(a, 0, &s7_slots) != MPROC_OK;
}

/* [i]: records its pid, sleeps 50 ms, marks itself done. -> i */
static int bench_s7_task(const mproc_args *a, mproc_args *r) {
  int64_t i;
  size_t n;
  if (mproc_args_get_i64(a, 0, &i) || !s7_slots)
    return 2;
  n = mproc_array_length(s7_slots) / 2;
  mproc_array_set_i64(s7_slots, (size_t)i, mproc_self_pid());
  apr_sleep(S7_TASK_MS * 1000);
  mproc_array_set_i64(s7_slots, n + (size_t)i, 1);
  return mproc_args_add_i64(r, i) != MPROC_OK;
}

typedef struct killer {
  mproc_array *slots;
  size_t n;
  double t0;
  int64_t item; /* the item whose worker was killed; -1: none */
  mproc_status st;
} killer;

/* At S7_KILL_MS, kills the worker of the latest item started and not done. */
static void *APR_THREAD_FUNC kill_one(apr_thread_t *thread, void *data) {
  killer *k = data;
  double give_up = k->t0 + 5;
  (void)thread;
  while (bench_now() < k->t0 + S7_KILL_MS / 1e3)
    apr_sleep(1000);
  k->st = MPROC_ETIMEDOUT;
  while (k->item < 0 && bench_now() < give_up) {
    size_t i;
    for (i = k->n; i-- > 0;) {
      int64_t pid = 0, done = 0;
      mproc_array_get_i64(k->slots, i, &pid);
      mproc_array_get_i64(k->slots, k->n + i, &done);
      if (pid > 0 && !done) {
        k->st = bench_kill_pid(pid);
        k->item = (int64_t)i;
        break;
      }
    }
    if (k->item < 0)
      apr_sleep(200);
  }
  return NULL;
}

typedef struct s7_run {
  double ms;
  int ok, crashed, other;
  int64_t killed_item, crashed_item;
} s7_run;

static mproc_status killed_map(mproc_pool *p, mproc_array *slots, mproc_args *items, size_t n,
                               size_t chunk, s7_run *out) {
  mproc_status *statuses = calloc(n, sizeof *statuses);
  apr_pool_t *ap = NULL;
  apr_thread_t *th = NULL;
  apr_status_t ignored;
  killer k;
  size_t i;
  mproc_status st = statuses ? MPROC_OK : MPROC_ENOMEM;
  memset(out, 0, sizeof *out);
  for (i = 0; i < 2 * n && st == MPROC_OK; i++)
    st = mproc_array_set_i64(slots, i, 0);
  k.slots = slots;
  k.n = n;
  k.item = -1;
  k.st = MPROC_OK;
  k.t0 = bench_now();
  if (st == MPROC_OK &&
      (apr_pool_create(&ap, NULL) || apr_thread_create(&th, NULL, kill_one, &k, ap)))
    st = MPROC_ENOMEM;
  if (st == MPROC_OK) {
    mproc_status mst = mproc_pool_map(p, "bench_s7_task", items,
                                      &(mproc_map_options){.chunksize = chunk}, NULL, statuses);
    out->ms = (bench_now() - k.t0) * 1e3;
    apr_thread_join(&ignored, th);
    if (mst != MPROC_OK && mst != MPROC_ECRASHED)
      st = mst;
    else
      st = k.st;
  }
  out->killed_item = k.item;
  out->crashed_item = -1;
  for (i = 0; i < n && statuses; i++) {
    out->ok += statuses[i] == MPROC_OK;
    if (statuses[i] == MPROC_ECRASHED && out->crashed++ == 0)
      out->crashed_item = (int64_t)i;
  }
  out->other = (int)n - out->ok - out->crashed;
  if (ap)
    apr_pool_destroy(ap);
  free(statuses);
  return st;
}

static mproc_status run_s7(int quick, bench_result *res) {
  double v[MAX_TRIALS], l[MAX_TRIALS], crashed[MAX_TRIALS];
  size_t n = quick ? 20 : 100, i;
  int trials = quick ? 1 : 3, t, exact = 1, usable = 1;
  mproc_array *slots = NULL;
  mproc_args *items = NULL, *init = NULL;
  mproc_pool *p = NULL;
  mproc_pool_options o;
  s7_run r, rd;
  bench_stats_t sc;
  mproc_status st;
  memset(&o, 0, sizeof o);
  memset(&r, 0, sizeof r);
  memset(&rd, 0, sizeof rd);
  if ((st = mproc_array_create(&slots, MPROC_ELEM_I64, 2 * n, NULL)) != MPROC_OK ||
      (st = mproc_args_create(&items)) != MPROC_OK || (st = mproc_args_create(&init)) != MPROC_OK ||
      (st = mproc_args_add_array(init, slots)) != MPROC_OK)
    goto out;
  for (i = 0; i < n && st == MPROC_OK; i++)
    st = mproc_args_add_i64(items, (int64_t)i);
  o.workers = 2;
  o.initializer = "bench_s7_init";
  o.initargs = init;
  if (st != MPROC_OK || (st = mproc_pool_create(&p, &o)) != MPROC_OK)
    goto out;
  for (t = 0; t < trials && st == MPROC_OK; t++) {
    mproc_args *small = NULL, *sr = NULL;
    size_t got = 0;
    if ((st = killed_map(p, slots, items, n, 1, &r)) != MPROC_OK)
      break;
    v[t] = r.ms;
    l[t] = (double)n / 2 * S7_TASK_MS;
    crashed[t] = r.crashed;
    exact &= r.crashed == 1 && r.crashed_item == r.killed_item && r.other == 0;
    /* usable afterwards: one more small map */
    if (mproc_args_create(&small) == MPROC_OK) {
      for (i = 0; i < 4; i++)
        mproc_args_add_i64(small, (int64_t)i);
      usable &= mproc_pool_map(p, "bench_inc", small, &(mproc_map_options){.chunksize = 1}, &sr,
                               NULL) == MPROC_OK &&
                mproc_args_count(sr, &got) == MPROC_OK && got == 4;
      if (sr)
        mproc_args_destroy(sr);
      mproc_args_destroy(small);
    }
  }
  /* The same with default chunking (ceil(n / (8 * 2 workers)): see mproc_pool_map()):
   * the whole chunk of the killed worker fails. */
  if (st == MPROC_OK)
    st = killed_map(p, slots, items, n, 0, &rd);
out:
  if (p)
    mproc_pool_destroy(p);
  if (init)
    mproc_args_destroy(init);
  if (items)
    mproc_args_destroy(items);
  if (slots)
    mproc_array_destroy(slots);
  if (st != MPROC_OK)
    return st;
  bench_stats(v, trials, &res->value);
  bench_stats(l, trials, &res->limit);
  bench_stats(crashed, trials, &sc);
  bench_extra(res, "tasks", "%llu", (unsigned long long)n);
  bench_extra_stats(res, "crashed", &sc);
  bench_extra(res, "exactly_the_killed_task_crashed", "%s", exact ? "true" : "false");
  bench_extra(res, "last_trial_statuses",
              "{\"ok\": %d, \"crashed\": %d, \"other\": %d, \"killed_item\": %lld}", r.ok,
              r.crashed, r.other, (long long)r.killed_item);
  bench_extra(res, "usable_after", "%s", usable ? "true" : "false");
  bench_extra(res, "default_chunking",
              "{\"chunksize\": %llu, \"ms\": %.1f, \"ok\": %d, \"crashed\": %d, \"other\": %d}",
              (unsigned long long)((n + 15) / 16), rd.ms, rd.ok, rd.crashed, rd.other);
  return MPROC_OK;
}

static const mproc_function s7_functions[] = {MPROC_FUNCTION(bench_s7_init),
                                              MPROC_FUNCTION(bench_s7_task), MPROC_FUNCTIONS_END};

const bench_scenario bench_s7_killed = {
    "S7_worker_killed",
    "ms",
    "no bare limit: the ideal without the kill, tasks/2 x 50 ms",
    "map returns; exactly the killed task CRASHED; pool usable after",
    run_s7,
    s7_functions};

/* ---- S8 ---- */

/* -> this worker's pid */
static int bench_pid(const mproc_args *a, mproc_args *r) {
  (void)a;
  return mproc_args_add_i64(r, mproc_self_pid()) != MPROC_OK;
}

static mproc_status worker_rss(double *kib) {
  mproc_pool *p = NULL;
  mproc_pool_options o;
  mproc_args *r = NULL;
  int64_t pid = 0;
  mproc_status st;
  memset(&o, 0, sizeof o);
  o.workers = 1;
  if ((st = mproc_pool_create(&p, &o)) != MPROC_OK)
    return st;
  if ((st = mproc_pool_apply(p, "bench_pid", NULL, &r)) == MPROC_OK &&
      (st = mproc_args_get_i64(r, 0, &pid)) == MPROC_OK) {
    apr_sleep(20000); /* idle, as the bare child is */
    *kib = (double)bench_rss_kib(pid);
  }
  if (r)
    mproc_args_destroy(r);
  mproc_pool_destroy(p);
  return st;
}

static mproc_status run_s8(int quick, bench_result *res) {
  double v[MAX_TRIALS], l[MAX_TRIALS];
  int n = quick ? 3 : 7, t;
  mproc_status st = MPROC_OK;
  for (t = 0; t < n && st == MPROC_OK; t++)
    if ((st = bench_limit_idle_rss(&l[t])) == MPROC_OK)
      st = worker_rss(&v[t]);
  if (st != MPROC_OK)
    return st;
  bench_stats(v, n, &res->value);
  bench_stats(l, n, &res->limit);
  bench_extra(res, "value_minus_limit_kib", "%.0f", res->value.median - res->limit.median);
  bench_extra(res, "rss_known", "%s", res->value.median > 0 ? "true" : "false");
  return MPROC_OK;
}

static const mproc_function s8_functions[] = {MPROC_FUNCTION(bench_pid), MPROC_FUNCTIONS_END};

const bench_scenario bench_s8_rss = {
    "S8_spawn_rss",
    "KiB",
    "an idle bare child of this executable that only sleeps in a blocking read (Linux: VmRSS "
    "of /proc/<pid>/status; Windows: working set; elsewhere unknown: 0)",
    "<= limit + 2048 KiB",
    run_s8,
    s8_functions};
