/*
 * S13, the MPI backend beside the local one and beside bare MPI, in one
 * run (bench/README.md defines it):
 *   mpiexec -n 3 bench_mpi [--quick]        prints one JSON object
 * Rank 0 measures; ranks 1 and 2 are the hosts. Each figure's limit is
 * measured by this program in the same run, through the hosts:
 *   S13a_start_ms    a 2-worker pool from its creation until both workers
 *                    ran a task (the task's 20 ms taken off), static and
 *                    spawn (the first spawn-mode pool spawns its hosts, the
 *                    later ones reuse them); limit: MPI_Comm_spawn of 2
 *                    bare processes
 *   S13b_roundtrip_us  sequential apply of x+1 on 1 worker; limit: a 1-byte
 *                    MPI_Send/MPI_Recv ping-pong with a host
 *   S13c_map_per_s   map_i64 of x*x over 100,000 in chunks of 1000, 2
 *                    workers; limit: 16-byte messages/s to a host, 1024 per
 *                    MPI_Send (a batched stream)
 *   S13c_map_1m_per_s  the same over 1,000,000 with the default chunking
 *                    (S3's map); limit: that stream, as many messages
 *   S13d_cancel_us   2 workers in tasks that poll mproc_cancelled(); the
 *                    parent cancels: us until it holds both results; limit:
 *                    one MPI round trip
 *   S13e_bailout_ms  S6's bail-out: map_i64 over 200 items, chunksize 1, 2
 *                    workers, each item 20 ms polling mproc_cancelled()
 *                    every ms; item 20 calls mproc_task_cancel_pool() 5 ms
 *                    in: ms until the map returns MPROC_ECANCELED, the
 *                    statuses checked; limit: the ideal, computed: item 20
 *                    starts after 20 items ran 2 at a time (10 x 20 ms)
 *                    and the map ends as it cancels: 205 ms
 * "local" in each is the same on a local pool (mproc_pool_create).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_time.h>

#include "protocol.h" /* mpi/: the hosts answer PING and SINK */
#include "mproc/mpi.h"

#define BARE "--bench-bare-spawn" /* argv[1] of the bare processes the spawn limit starts */
enum { MAX_TRIALS = 16, MAP_N = 100000, MAP_CHUNK = 1000, MAP_1M = 1000000 };
/* S13e: E_ITEMS items of E_TASK_MS each; item E_AT cancels the pool E_BAIL_MS in */
enum { E_ITEMS = 200, E_AT = 20, E_TASK_MS = 20, E_BAIL_MS = 5, E_WORKERS = 2 };

static int quick, failed;

static double now(void) { return (double)apr_time_now() / 1e6; }

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* the median of v[0..n), v left as it was */
static double median(const double *v, int n) {
  double s[MAX_TRIALS];
  memcpy(s, v, (size_t)n * sizeof *s);
  qsort(s, (size_t)n, sizeof *s, cmp);
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- tasks ---- */

static int b_inc(const mproc_args *a, mproc_args *r) {
  int64_t x;
  return mproc_args_unpack(a, "i64", &x) || mproc_args_pack(r, "i64", x + 1);
}

static int b_square(const mproc_args *a, mproc_args *r) {
  int64_t x;
  return mproc_args_unpack(a, "i64", &x) || mproc_args_pack(r, "i64", x * x);
}

/* [x] -> x, after 20 ms */
static int b_sleep20(const mproc_args *a, mproc_args *r) {
  int64_t x;
  apr_sleep(20000);
  return mproc_args_unpack(a, "i64", &x) || mproc_args_pack(r, "i64", x);
}

/* polls mproc_cancelled() until it is set (at most 30 s): 1 then */
static int b_spin(const mproc_args *a, mproc_args *r) {
  double end = now() + 30;
  (void)a;
  (void)r;
  while (now() < end)
    if (mproc_cancelled())
      return 1;
  return 0;
}

/* [i] -> i after E_TASK_MS ms, polling mproc_cancelled() every ms (1 once
 * it is set); item E_AT instead cancels the pool E_BAIL_MS ms in, then
 * returns i: it "found the answer" */
static int b_bail(const mproc_args *a, mproc_args *r) {
  int64_t i;
  double end, left;
  if (mproc_args_unpack(a, "i64", &i))
    return 2;
  end = now() + (i == E_AT ? E_BAIL_MS : E_TASK_MS) / 1e3;
  while ((left = end - now()) > 0) {
    if (mproc_cancelled())
      return 1;
    apr_sleep(left < 1e-3 ? (apr_interval_time_t)(left * 1e6) : 1000);
  }
  if (i == E_AT && mproc_task_cancel_pool() != MPROC_OK)
    return 2;
  return mproc_args_pack(r, "i64", i) != MPROC_OK;
}

/* ---- the pools ---- */

static mproc_status pool_new(mproc_pool **p, int workers, int mpi, mproc_mpi_mode mode) {
  mproc_pool_options o = {.workers = workers};
  return mpi ? mproc_mpi_pool_create(p, &o, &(mproc_mpi_options){.mode = mode})
             : mproc_pool_create(p, &o);
}

/* ms from creation until both workers ran a 20 ms task (20 ms taken off) */
static double start_ms(int mpi, mproc_mpi_mode mode) {
  int64_t in[2] = {0, 1}, out[2];
  mproc_pool *p = NULL;
  double t0 = now(), t = -1;
  if (pool_new(&p, 2, mpi, mode) == MPROC_OK &&
      mproc_pool_map_i64(p, "b_sleep20", in, 2, &(mproc_map_options){.chunksize = 1}, out, NULL) ==
          MPROC_OK)
    t = (now() - t0) * 1e3 - 20;
  else
    fprintf(stderr, "bench_mpi: start: %s\n", mproc_last_error());
  if (p)
    mproc_pool_destroy(p);
  return t;
}

static double roundtrip_us(mproc_pool *p, int rounds) {
  mproc_args *a = NULL, *r = NULL;
  int64_t x = 0;
  double t0;
  int i;
  mproc_args_create(&a);
  t0 = now();
  for (i = 0; i < rounds; i++) {
    mproc_args_clear(a);
    mproc_args_pack(a, "i64", x);
    if (mproc_pool_apply(p, "b_inc", a, &r) || mproc_args_unpack(r, "i64", &x))
      return -1;
    mproc_args_destroy(r);
  }
  mproc_args_destroy(a);
  return x == rounds ? (now() - t0) * 1e6 / rounds : -1;
}

/* map_i64 of x*x over @n values in chunks of @chunk (0: the default), items/s */
static double map_per_s(mproc_pool *p, int n, size_t chunk) {
  static int64_t in[MAP_1M], out[MAP_1M];
  double t0, dt;
  int i;
  for (i = 0; i < n; i++)
    in[i] = i;
  t0 = now();
  if (mproc_pool_map_i64(p, "b_square", in, (size_t)n, &(mproc_map_options){.chunksize = chunk},
                         out, NULL))
    return -1;
  dt = now() - t0; /* (the check below is not the map's time) */
  for (i = 0; i < n; i++)
    if (out[i] != (int64_t)i * i)
      return -1;
  return n / dt;
}

static double cancel_us(mproc_pool *p) {
  mproc_future *f[2];
  double t0;
  int i;
  for (i = 0; i < 2; i++)
    if (mproc_pool_submit(p, &f[i], "b_spin", NULL, NULL))
      return -1;
  apr_sleep(200000); /* both spin */
  t0 = now();
  mproc_pool_cancel(p);
  for (i = 0; i < 2; i++) {
    mproc_future_wait(f[i], 30000);
    mproc_future_destroy(f[i]);
  }
  return (now() - t0) * 1e6;
}

/* S13e's check failed: says why (of item @item, unless -1), and the run
 * will exit 1. @return -1 */
static double fail(int mpi, int item, const char *why, mproc_status st) {
  fprintf(stderr, "bench_mpi: S13e_bailout_ms, %s pool: ", mpi ? "MPI" : "local");
  if (item >= 0)
    fprintf(stderr, "item %d ", item);
  fprintf(stderr, "%s: %s\n", why, mproc_status_name(st));
  failed = 1;
  return -1;
}

/* S13e: ms from the start of a map of b_bail over E_ITEMS items (chunksize
 * 1) until it returns, checked: MPROC_ECANCELED; item E_AT OK with its
 * result; every item OK (with its result) or cancelled; every item after
 * E_AT + 1 (the one that runs beside it) cancelled. Such an item is given
 * out after items E_AT and E_AT + 1, so it could do its E_TASK_MS before
 * the cancel only if item E_AT started over 35 ms after E_AT + 1: a wrong
 * pool, or a badly stalled machine. *did_work: the items that did their
 * work (OK); ideally E_AT + 1. */
static double bailout_ms(mproc_pool *p, int mpi, double *did_work) {
  static int64_t in[E_ITEMS], out[E_ITEMS];
  static mproc_status st[E_ITEMS];
  mproc_status rc;
  double t0, ms;
  int i, ok = 0;
  *did_work = 0;
  for (i = 0; i < E_ITEMS; i++)
    in[i] = i;
  t0 = now();
  rc = mproc_pool_map_i64(p, "b_bail", in, E_ITEMS, &(mproc_map_options){.chunksize = 1}, out, st);
  ms = (now() - t0) * 1e3;
  if (rc != MPROC_ECANCELED)
    return fail(mpi, -1, "the map's status is not MPROC_ECANCELED", rc);
  if (st[E_AT] != MPROC_OK)
    return fail(mpi, E_AT, "(the bail-out) did not succeed", st[E_AT]);
  for (i = 0; i < E_ITEMS; i++) {
    if (st[i] == MPROC_OK && out[i] != i)
      return fail(mpi, i, "returned a wrong value", st[i]);
    if (st[i] != MPROC_OK && st[i] != MPROC_ECANCELED)
      return fail(mpi, i, "has an unexpected status", st[i]);
    if (i > E_AT + 1 && st[i] != MPROC_ECANCELED)
      return fail(mpi, i, "did its work after the bail-out", st[i]);
    ok += st[i] == MPROC_OK;
  }
  *did_work = ok;
  return ms;
}

/* ---- bare MPI, through host rank 1 (no pool running) ---- */

static double pingpong_us(int rounds) {
  char b = 0;
  double t0 = now();
  int i;
  for (i = 0; i < rounds; i++) {
    MPI_Send(&b, 1, MPI_BYTE, 1, T_PING, MPI_COMM_WORLD);
    MPI_Recv(&b, 1, MPI_BYTE, 1, T_PONG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  return (now() - t0) * 1e6 / rounds;
}

static double stream_per_s(int msgs) {
  static char batch[1024 * 16];
  double t0 = now();
  int sent;
  for (sent = 0; sent < msgs; sent += 1024)
    MPI_Send(batch, (int)sizeof batch, MPI_BYTE, 1, T_SINK, MPI_COMM_WORLD);
  MPI_Send(NULL, 0, MPI_BYTE, 1, T_SINK, MPI_COMM_WORLD);
  MPI_Recv(NULL, 0, MPI_BYTE, 1, T_PONG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return sent / (now() - t0);
}

static double spawn2_ms(const char *exe) {
  char *argv[] = {BARE, NULL};
  MPI_Comm c;
  double t0 = now();
  if (MPI_Comm_spawn(exe, argv, 2, MPI_INFO_NULL, 0, MPI_COMM_SELF, &c, MPI_ERRCODES_IGNORE))
    return -1;
  MPI_Barrier(c); /* both run */
  MPI_Comm_disconnect(&c);
  return (now() - t0) * 1e3;
}

/* ---- the report ---- */

/* one key's line: the medians of the trials, and value over limit */
static void row(const char *key, const char *unit, const double *v, const double *local,
                const double *limit, int n, const char *limit_is, const char *target,
                const char *extra, const char *sep) {
  double va = median(v, n), li = median(limit, n);
  printf(
      "  \"%s\": {\"unit\": \"%s\", \"value\": %.3f, \"local\": %.3f, \"limit\": %.3f, "
      "\"ratio_to_limit\": %.3f, \"trials\": %d, \"limit_is\": \"%s\", \"target\": \"%s\"%s}%s\n",
      key, unit, va, median(local, n), li, li > 0 ? va / li : -1, n, limit_is, target, extra, sep);
}

static const mproc_function functions[] = {MPROC_FUNCTION(b_inc),     MPROC_FUNCTION(b_square),
                                           MPROC_FUNCTION(b_sleep20), MPROC_FUNCTION(b_spin),
                                           MPROC_FUNCTION(b_bail),    MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  double v[6][MAX_TRIALS], loc[6][MAX_TRIALS], lim[6][MAX_TRIALS], spawned[MAX_TRIALS];
  double did[2][MAX_TRIALS];
  char extra[256];
  double first_spawn;
  mproc_pool *mp = NULL, *lp = NULL;
  int n, t, i, rounds, map_n, map_1m;
  if (argc > 1 && strcmp(argv[1], BARE) == 0) { /* a bare spawned process: in and out */
    MPI_Comm parent;
    MPI_Init(&argc, &argv);
    MPI_Comm_get_parent(&parent);
    MPI_Barrier(parent);
    MPI_Comm_disconnect(&parent);
    MPI_Finalize();
    return 0;
  }
  if (mproc_mpi_init(&argc, &argv, functions) != MPROC_OK) { /* hosts never return */
    fprintf(stderr, "bench_mpi: %s\n", mproc_last_error());
    return 1;
  }
  for (i = 1; i < argc; i++)
    quick |= strcmp(argv[i], "--quick") == 0;
  n = quick ? 3 : 7;
  rounds = quick ? 200 : 2000;
  map_n = quick ? MAP_N / 5 : MAP_N;
  map_1m = quick ? MAP_1M / 5 : MAP_1M;
  /* spawn mode spawns hosts once: later spawn-mode pools reuse them */
  first_spawn = start_ms(1, MPROC_MPI_SPAWN);
  for (t = 0; t < n; t++) { /* interleaved: a drifting host moves all sides alike */
    v[0][t] = start_ms(1, MPROC_MPI_STATIC);
    spawned[t] = start_ms(1, MPROC_MPI_SPAWN);
    loc[0][t] = start_ms(0, MPROC_MPI_AUTO);
    lim[0][t] = spawn2_ms(argv[0]);
    lim[1][t] = pingpong_us(rounds);
    lim[2][t] = stream_per_s(map_n);
    lim[5][t] = stream_per_s(map_1m);
    lim[3][t] = lim[1][t];
  }
  if (pool_new(&mp, 2, 1, MPROC_MPI_STATIC) || pool_new(&lp, 2, 0, MPROC_MPI_AUTO)) {
    fprintf(stderr, "bench_mpi: %s\n", mproc_last_error());
    return 1;
  }
  for (t = 0; t < n; t++) {
    v[1][t] = roundtrip_us(mp, rounds);
    loc[1][t] = roundtrip_us(lp, rounds);
    v[2][t] = map_per_s(mp, map_n, MAP_CHUNK);
    loc[2][t] = map_per_s(lp, map_n, MAP_CHUNK);
    v[5][t] = map_per_s(mp, map_1m, 0);
    loc[5][t] = map_per_s(lp, map_1m, 0);
    v[3][t] = cancel_us(mp);
    loc[3][t] = cancel_us(lp);
    v[4][t] = bailout_ms(mp, 1, &did[0][t]);
    loc[4][t] = bailout_ms(lp, 0, &did[1][t]);
    /* the ideal: item E_AT starts once the E_AT before it ran, E_WORKERS at
     * a time, and ends its run E_BAIL_MS in; nothing runs on after it */
    lim[4][t] = (E_AT / E_WORKERS) * E_TASK_MS + E_BAIL_MS;
  }
  mproc_pool_destroy(mp);
  mproc_pool_destroy(lp);
  printf("{\n  \"quick\": %s, \"ranks\": 3,\n", quick ? "true" : "false");
  row("S13a_start_ms", "ms", v[0], loc[0], lim[0], n, "MPI_Comm_spawn of 2 bare processes",
      "<= 1.5x limit", "", ",");
  printf("  \"S13a_first_start_spawn_ms\": {\"unit\": \"ms\", \"value\": %.3f, \"limit\": %.3f, "
         "\"ratio_to_limit\": %.3f, \"trials\": 1, \"limit_is\": \"as S13a's\", "
         "\"target\": \"<= 1.5x limit\"},\n",
         first_spawn, median(lim[0], n), first_spawn / median(lim[0], n));
  row("S13a_start_spawn_ms", "ms", spawned, loc[0], lim[0], n,
      "MPI_Comm_spawn of 2 bare processes (these pools reuse the first one's hosts)",
      "<= 1.5x limit", "", ",");
  row("S13b_roundtrip_us", "us", v[1], loc[1], lim[1], n, "1-byte MPI ping-pong with a host",
      "<= 1.5x limit", "", ",");
  row("S13c_map_per_s", "items/s", v[2], loc[2], lim[2], n,
      "16-byte messages/s to a host, 1024 per MPI_Send", ">= 25% of limit", "", ",");
  row("S13c_map_1m_per_s", "items/s", v[5], loc[5], lim[5], n,
      "16-byte messages/s to a host, 1024 per MPI_Send", ">= 25% of limit", "", ",");
  row("S13d_cancel_us", "us", v[3], loc[3], lim[3], n, "one MPI round trip", "<= 3x limit", "",
      ",");
  snprintf(extra, sizeof extra,
           ", \"extra\": {\"did_work\": %.0f, \"local_did_work\": %.0f, "
           "\"ideal_did_work\": %d}",
           median(did[0], n), median(did[1], n), E_AT + 1);
  row("S13e_bailout_ms", "ms", v[4], loc[4], lim[4], n,
      "the ideal: item 20 starts after 10 rounds of 2 x 20 ms and cancels 5 ms in", "<= 1.1x limit",
      extra, "");
  printf("}\n");
  return failed;
}
