/*
 * Pool scenarios S1-S4, defined in bench/README.md, each beside its bare
 * limit from limits.c, measured in the same run.
 *   S1_pool_start_2      create a 2-worker pool, each worker runs one task, destroy; ms
 *   S2_roundtrip_us      sequential apply of x+1 on 1 worker; us per call
 *   S3_map_throughput    map x*x over 1,000,000 int64, 2 workers, default chunks; items/s
 *   S3b_map_chunk1       the same over 100,000 items, chunksize 1; items/s
 *   S3c_map_i64          S3 through mproc_pool_map_i64, C arrays in and out; items/s
 *   S4_cancel_latency_us 2 workers spin on mproc_cancelled(); cancel -> both results; us
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_time.h>

#include "bench.h"

enum { MAX_TRIALS = 64 };

/* ---- tasks ---- */

/* [x] -> x + 1 */
static int bench_inc(const mproc_args *a, mproc_args *r) {
  int64_t x;
  if (mproc_args_get_i64(a, 0, &x))
    return 2;
  return mproc_args_add_i64(r, x + 1) != MPROC_OK;
}

/* [x] -> x * x */
static int bench_square(const mproc_args *a, mproc_args *r) {
  int64_t x;
  if (mproc_args_get_i64(a, 0, &x))
    return 2;
  return mproc_args_add_i64(r, x * x) != MPROC_OK;
}

/* [array, event]: the second of two tasks to arrive sets the event, the first
 * waits for it, so that two tasks run on two distinct workers. -> pid */
static int bench_s1_task(const mproc_args *a, mproc_args *r) {
  mproc_array *arr = NULL;
  mproc_event *ev = NULL;
  int64_t before = 0;
  int rc = 0;
  if (mproc_args_open_array(a, 0, &arr) || mproc_args_open_event(a, 1, &ev) ||
      mproc_array_add_i64(arr, 0, 1, &before))
    rc = 2;
  else if (before + 1 >= 2)
    rc = mproc_event_set(ev) != MPROC_OK;
  else
    rc = mproc_event_wait(ev, 10000) != MPROC_OK;
  if (rc == 0)
    mproc_args_add_i64(r, mproc_self_pid());
  if (ev)
    mproc_event_close(ev);
  if (arr)
    mproc_array_close(arr);
  return rc;
}

/* [array]: counts itself in, then spins until the pool is cancelled. -> 1 */
static int bench_spin_cancel(const mproc_args *a, mproc_args *r) {
  mproc_array *arr = NULL;
  if (mproc_args_open_array(a, 0, &arr) || mproc_array_add_i64(arr, 0, 1, NULL))
    return 2;
  while (!mproc_cancelled())
    ;
  mproc_array_close(arr);
  return mproc_args_add_i64(r, 1) != MPROC_OK;
}

static mproc_status new_pool(mproc_pool **p, int workers) {
  mproc_pool_options o;
  memset(&o, 0, sizeof o);
  o.workers = workers;
  return mproc_pool_create(p, &o);
}

/* Applies x+1 @n times (checking each result); also warms a pool up. */
static mproc_status apply_inc(mproc_pool *p, int n) {
  mproc_status st = MPROC_OK;
  int i;
  for (i = 0; i < n && st == MPROC_OK; i++) {
    mproc_args *a = NULL, *r = NULL;
    int64_t y = -1;
    if ((st = mproc_args_create(&a)) != MPROC_OK)
      break;
    mproc_args_add_i64(a, i);
    if ((st = mproc_pool_apply(p, "bench_inc", a, &r)) == MPROC_OK &&
        (mproc_args_get_i64(r, 0, &y) || y != i + 1))
      st = MPROC_EPROTO;
    if (r)
      mproc_args_destroy(r);
    mproc_args_destroy(a);
  }
  return st;
}

/* ---- S1 ---- */

/* ms[0]: the whole; ms[1..3]: create, tasks done, destroy. */
static mproc_status pool_start_once(double *ms) {
  mproc_array *arr = NULL;
  mproc_event *ev = NULL;
  mproc_args *a = NULL;
  mproc_pool *p = NULL;
  mproc_future *f[2] = {NULL, NULL};
  mproc_task_info info[2];
  double t0, t1, t2;
  int i;
  mproc_status st;
  if ((st = mproc_array_create(&arr, MPROC_ELEM_I64, 1, NULL)) != MPROC_OK ||
      (st = mproc_event_create(&ev)) != MPROC_OK || (st = mproc_args_create(&a)) != MPROC_OK)
    goto out;
  mproc_args_add_array(a, arr);
  mproc_args_add_event(a, ev);
  t0 = bench_now();
  if ((st = new_pool(&p, 2)) != MPROC_OK)
    goto out;
  t1 = bench_now();
  for (i = 0; i < 2 && st == MPROC_OK; i++)
    st = mproc_pool_submit(p, &f[i], "bench_s1_task", a, NULL);
  for (i = 0; i < 2 && st == MPROC_OK; i++)
    if ((st = mproc_future_get(f[i], MPROC_WAIT_FOREVER, NULL)) == MPROC_OK)
      st = mproc_future_info(f[i], &info[i]);
  t2 = bench_now();
  mproc_pool_destroy(p);
  ms[0] = (bench_now() - t0) * 1e3;
  ms[1] = (t1 - t0) * 1e3;
  ms[2] = (t2 - t1) * 1e3;
  ms[3] = ms[0] - ms[1] - ms[2];
  if (st == MPROC_OK && info[0].pid == info[1].pid)
    st = MPROC_EPROTO; /* cannot happen: the first task waits for the second */
out:
  for (i = 0; i < 2; i++)
    if (f[i])
      mproc_future_destroy(f[i]);
  if (a)
    mproc_args_destroy(a);
  if (ev)
    mproc_event_destroy(ev);
  if (arr)
    mproc_array_destroy(arr);
  return st;
}

static mproc_status run_s1(int quick, bench_result *res) {
  static const char *const phase[] = {"create_ms", "until_both_ran_ms", "destroy_ms"};
  double v[4][MAX_TRIALS], l[MAX_TRIALS], ms[4] = {0, 0, 0, 0};
  int n = quick ? 5 : 61, t, i;
  mproc_status st = MPROC_OK;
  /* Interleaved, so that both see the same noise; trials -2 and -1 are an
   * untimed warm-up (the first spawns of a run pay for cold caches). */
  for (t = -2; t < n && st == MPROC_OK; t++)
    if ((st = bench_limit_spawn2(&l[t < 0 ? 0 : t])) == MPROC_OK &&
        (st = pool_start_once(ms)) == MPROC_OK)
      for (i = 0; i < 4; i++)
        v[i][t < 0 ? 0 : t] = ms[i];
  if (st != MPROC_OK)
    return st;
  bench_stats(v[0], n, &res->value);
  bench_stats(l, n, &res->limit);
  for (i = 1; i < 4; i++) {
    bench_stats_t s;
    bench_stats(v[i], n, &s);
    bench_extra_stats(res, phase[i - 1], &s);
  }
  return MPROC_OK;
}

static const mproc_function s1_functions[] = {MPROC_FUNCTION(bench_s1_task), MPROC_FUNCTIONS_END};

const bench_scenario bench_s1_pool_start = {
    "S1_pool_start_2",
    "ms",
    "posix_spawn/CreateProcess of this executable twice, each child writes one byte on its "
    "channel; read both, reap both",
    "<= 1.5x limit",
    run_s1,
    s1_functions};

/* ---- S2 ---- */

static mproc_status run_s2(int quick, bench_result *res) {
  double v[MAX_TRIALS], pipe_us[MAX_TRIALS], futex_us[MAX_TRIALS];
  int n = quick ? 3 : 9, calls = quick ? 1000 : 10000, t;
  bench_stats_t sp, sf;
  mproc_pool *p = NULL;
  mproc_status st = new_pool(&p, 1);
  if (st == MPROC_OK)
    st = apply_inc(p, 100);                   /* warm */
  for (t = 0; t < n && st == MPROC_OK; t++) { /* interleaved, as S3's */
    double t0 = bench_now();
    st = apply_inc(p, calls);
    v[t] = (bench_now() - t0) * 1e6 / calls;
    if (st == MPROC_OK)
      st = bench_limit_chan_pingpong(1, calls, &pipe_us[t]);
    if (st == MPROC_OK)
      st = bench_limit_futex_pingpong(1, calls, &futex_us[t]);
  }
  if (p)
    mproc_pool_destroy(p);
  if (st != MPROC_OK)
    return st;
  bench_stats(v, n, &res->value);
  bench_stats(pipe_us, n, &sp);
  bench_stats(futex_us, n, &sf);
  res->limit = sp.median <= sf.median ? sp : sf;
  bench_extra(res, "limit_used", "\"%s\"", sp.median <= sf.median ? "pipe" : "futex");
  bench_extra_stats(res, "pipe_pingpong_us", &sp);
  bench_extra_stats(res, mproc__futex_available() ? "futex_pingpong_us" : "semaphore_pingpong_us",
                    &sf);
  bench_extra(res, "calls_per_trial", "%d", calls);
  return MPROC_OK;
}

static const mproc_function s2_functions[] = {
    MPROC_FUNCTION(bench_inc), MPROC_FUNCTION(bench_raw_pong_child), MPROC_FUNCTIONS_END};

const bench_scenario bench_s2_roundtrip = {
    "S2_roundtrip_us",
    "us per call",
    "the best blocking 1-byte round trip between two processes: over a channel (socket/pipe), "
    "or over shared memory with futex (named semaphore) wake-ups",
    "<= 1.5x limit; stretch <= 2 us",
    run_s2,
    s2_functions};

/* ---- S3 / S3b ---- */

/* S3 and S3b's map: x*x over @n items in one map (@chunk 0: default
 * chunking), every result checked. */
typedef struct map_bench {
  mproc_pool *pool;
  mproc_args *items;
  size_t n, chunk;
  int64_t *in, *out; /* S3c's: the same items as C arrays (NULL otherwise) */
} map_bench;

/* S3c's map: the items from a C array into a C array, every result checked. */
static mproc_status map_i64_once(map_bench *b, double *per_s) {
  size_t i;
  double t0 = bench_now();
  mproc_status st = mproc_pool_map_i64(b->pool, "bench_square", b->in, b->n,
                                       &(mproc_map_options){.chunksize = b->chunk}, b->out, NULL);
  *per_s = (double)b->n / (bench_now() - t0);
  for (i = 0; i < b->n && st == MPROC_OK; i++)
    if (b->out[i] != (int64_t)i * (int64_t)i)
      st = MPROC_EPROTO;
  return st;
}

static mproc_status map_once(map_bench *b, double *per_s) {
  mproc_args *r = NULL;
  size_t i, got = 0;
  double t0;
  mproc_status st;
  if (b->in)
    return map_i64_once(b, per_s);
  t0 = bench_now();
  st = mproc_pool_map(b->pool, "bench_square", b->items,
                      &(mproc_map_options){.chunksize = b->chunk}, &r, NULL);
  *per_s = (double)b->n / (bench_now() - t0);
  if (st == MPROC_OK && (mproc_args_count(r, &got) || got != b->n))
    st = MPROC_EPROTO;
  for (i = 0; i < b->n && st == MPROC_OK; i++) {
    int64_t y = -1;
    if (mproc_args_get_i64(r, i, &y) || y != (int64_t)i * (int64_t)i)
      st = MPROC_EPROTO;
  }
  if (r)
    mproc_args_destroy(r);
  return st;
}

/* The pool and the items, then one untimed map: the first touch of the
 * memory a map of this size needs (results, chunk frames, decoded values)
 * costs the first map thousands of page faults that a program mapping
 * repeatedly pays once. */
static mproc_status map_setup(map_bench *b, size_t n, size_t chunk, int typed) {
  double ignored;
  size_t i;
  mproc_status st = mproc_args_create(&b->items);
  b->pool = NULL;
  b->n = n;
  b->chunk = chunk;
  b->in = typed ? malloc(n * sizeof *b->in) : NULL;
  b->out = typed ? malloc(n * sizeof *b->out) : NULL;
  if (typed && (!b->in || !b->out))
    st = MPROC_ENOMEM;
  for (i = 0; i < n && st == MPROC_OK; i++)
    if (typed)
      b->in[i] = (int64_t)i;
    else
      st = mproc_args_add_i64(b->items, (int64_t)i);
  if (st == MPROC_OK && (st = new_pool(&b->pool, 2)) == MPROC_OK)
    st = apply_inc(b->pool, 10); /* warm */
  return st == MPROC_OK ? map_once(b, &ignored) : st;
}

static void map_teardown(map_bench *b) {
  if (b->pool)
    mproc_pool_destroy(b->pool);
  if (b->items)
    mproc_args_destroy(b->items);
  free(b->in);
  free(b->out);
}

/* (%llu: mingw's default printf has no %zu) */
static void extra_items(bench_result *res, size_t items, size_t full, int quick) {
  bench_extra(res, "items", "%llu", (unsigned long long)items);
  bench_extra(res, "maps",
              "\"one map of %llu items per trial, after one untimed map; trials interleaved "
              "with the limit's\"",
              (unsigned long long)items);
  if (quick && items != full)
    bench_extra(res, "quick_note", "\"--quick maps %llu items, the scenario %llu\"",
                (unsigned long long)items, (unsigned long long)full);
}

/* S3 and S3b: @n trials of one map of @items (chunk 0: default), each
 * beside a trial of the one-way stream limit and of the echo (request-reply)
 * figure, @batch per write: interleaved, so that a host whose speed drifts
 * (a shared VM) moves both sides of the ratio alike. */
static mproc_status run_map(int n, size_t items, size_t full, int quick, size_t chunk, size_t batch,
                            size_t echoes, const char *echo_key, int typed, bench_result *res) {
  double v[MAX_TRIALS], l[MAX_TRIALS], e[MAX_TRIALS];
  bench_stats_t se;
  map_bench b;
  int t;
  mproc_status st = map_setup(&b, items, chunk, typed);
  for (t = 0; t < n && st == MPROC_OK; t++)
    if ((st = map_once(&b, &v[t])) == MPROC_OK &&
        (st = bench_limit_stream(1, items, batch, &l[t])) == MPROC_OK)
      st = bench_limit_echo(1, echoes, batch, &e[t]);
  map_teardown(&b);
  if (st != MPROC_OK)
    return st;
  bench_stats(v, n, &res->value);
  bench_stats(l, n, &res->limit);
  bench_stats(e, n, &se);
  extra_items(res, items, full, quick);
  bench_extra_stats(res, echo_key, &se);
  return MPROC_OK;
}

static mproc_status run_s3(int quick, bench_result *res) {
  size_t items = quick ? 200000 : 1000000;
  return run_map(quick ? 3 : 7, items, 1000000, quick, 0, 1024, items, "echo_batch1024_per_s", 0,
                 res);
}

static const mproc_function s3_functions[] = {MPROC_FUNCTION(bench_square), MPROC_FUNCTIONS_END};

const bench_scenario bench_s3_map = {
    "S3_map_throughput",
    "items/s",
    "16-byte messages/s one way through a channel, 1024 per write and read (extra: echoed back "
    "per batch of 1024)",
    ">= 25% of limit",
    run_s3,
    s3_functions};

static mproc_status run_s3b(int quick, bench_result *res) {
  return run_map(3, quick ? 10000 : 100000, 100000, quick, 1, 1, quick ? 5000 : 20000,
                 "request_reply_per_s", 0, res);
}

const bench_scenario bench_s3b_map_chunk1 = {
    "S3b_map_chunk1",
    "items/s",
    "16-byte messages/s one way through a channel, one per write and read (extra: one "
    "request-reply round trip per message)",
    ">= 25% of limit",
    run_s3b,
    NULL};

static mproc_status run_s3c(int quick, bench_result *res) {
  size_t items = quick ? 200000 : 1000000;
  return run_map(quick ? 3 : 7, items, 1000000, quick, 0, 1024, items, "echo_batch1024_per_s", 1,
                 res);
}

const bench_scenario bench_s3c_map_i64 = {
    "S3c_map_i64",
    "items/s",
    "as S3's: 16-byte messages/s one way through a channel, 1024 per write and read",
    ">= 25% of limit",
    run_s3c,
    NULL};

/* ---- S4 ---- */

static mproc_status cancel_latency(mproc_pool *p, mproc_array *arr, mproc_args *a, int t,
                                   double *us) {
  mproc_future *f[2] = {NULL, NULL};
  int64_t running = 0;
  double t0, deadline = bench_now() + 10;
  int i;
  mproc_status st = MPROC_OK;
  for (i = 0; i < 2 && st == MPROC_OK; i++)
    st = mproc_pool_submit(p, &f[i], "bench_spin_cancel", a, NULL);
  while (st == MPROC_OK && mproc_array_get_i64(arr, 0, &running) == MPROC_OK &&
         running < 2 * (t + 1)) {
    if (bench_now() > deadline)
      st = MPROC_ETIMEDOUT;
    apr_sleep(100);
  }
  t0 = bench_now();
  if (st == MPROC_OK)
    st = mproc_pool_cancel(p);
  for (i = 0; i < 2 && st == MPROC_OK; i++)
    st = mproc_future_get(f[i], MPROC_WAIT_FOREVER, NULL);
  *us = (bench_now() - t0) * 1e6;
  for (i = 0; i < 2; i++)
    if (f[i])
      mproc_future_destroy(f[i]);
  return st;
}

static mproc_status run_s4(int quick, bench_result *res) {
  double v[MAX_TRIALS], l[MAX_TRIALS];
  int n = quick ? 7 : 31, t;
  mproc_array *arr = NULL;
  mproc_args *a = NULL;
  mproc_pool *p = NULL;
  mproc_status st;
  if ((st = mproc_array_create(&arr, MPROC_ELEM_I64, 1, NULL)) != MPROC_OK ||
      (st = mproc_args_create(&a)) != MPROC_OK || (st = mproc_args_add_array(a, arr)) != MPROC_OK ||
      (st = new_pool(&p, 2)) != MPROC_OK || (st = apply_inc(p, 10)) != MPROC_OK)
    goto out;
  for (t = 0; t < n && st == MPROC_OK; t++)
    st = cancel_latency(p, arr, a, t, &v[t]);
  if (st == MPROC_OK)
    st = bench_limit_wake2(n, l);
  if (st == MPROC_OK) {
    bench_stats(v, n, &res->value);
    bench_stats(l, n, &res->limit);
  }
out:
  if (p)
    mproc_pool_destroy(p);
  if (a)
    mproc_args_destroy(a);
  if (arr)
    mproc_array_destroy(arr);
  return st;
}

static const mproc_function s4_functions[] = {MPROC_FUNCTION(bench_spin_cancel),
                                              MPROC_FUNCTIONS_END};

const bench_scenario bench_s4_cancel = {
    "S4_cancel_latency_us",
    "us",
    "wake 2 bare processes sleeping on a futex (named semaphores) and read a 1-byte reply from "
    "each one's channel",
    "<= 3x limit",
    run_s4,
    s4_functions};
