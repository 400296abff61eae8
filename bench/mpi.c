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
 *   S13d_cancel_us   2 workers in tasks that poll mproc_cancelled(); the
 *                    parent cancels: us until it holds both results; limit:
 *                    one MPI round trip
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
enum { MAX_TRIALS = 16, MAP_N = 100000, MAP_CHUNK = 1000 };

static int quick;

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

static double map_per_s(mproc_pool *p) {
  static int64_t in[MAP_N], out[MAP_N];
  int n = quick ? MAP_N / 5 : MAP_N, i;
  double t0;
  for (i = 0; i < n; i++)
    in[i] = i;
  t0 = now();
  if (mproc_pool_map_i64(p, "b_square", in, (size_t)n, &(mproc_map_options){.chunksize = MAP_CHUNK},
                         out, NULL))
    return -1;
  return n / (now() - t0);
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
                const char *sep) {
  double va = median(v, n), li = median(limit, n);
  printf("  \"%s\": {\"unit\": \"%s\", \"value\": %.3f, \"local\": %.3f, \"limit\": %.3f, "
         "\"ratio_to_limit\": %.3f, \"trials\": %d, \"limit_is\": \"%s\", \"target\": \"%s\"}%s\n",
         key, unit, va, median(local, n), li, li > 0 ? va / li : -1, n, limit_is, target, sep);
}

static const mproc_function functions[] = {MPROC_FUNCTION(b_inc), MPROC_FUNCTION(b_square),
                                           MPROC_FUNCTION(b_sleep20), MPROC_FUNCTION(b_spin),
                                           MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  double v[4][MAX_TRIALS], loc[4][MAX_TRIALS], lim[4][MAX_TRIALS], spawned[MAX_TRIALS];
  double first_spawn;
  mproc_pool *mp = NULL, *lp = NULL;
  int n, t, i, rounds;
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
  /* spawn mode spawns hosts once: later spawn-mode pools reuse them */
  first_spawn = start_ms(1, MPROC_MPI_SPAWN);
  for (t = 0; t < n; t++) { /* interleaved: a drifting host moves all sides alike */
    v[0][t] = start_ms(1, MPROC_MPI_STATIC);
    spawned[t] = start_ms(1, MPROC_MPI_SPAWN);
    loc[0][t] = start_ms(0, MPROC_MPI_AUTO);
    lim[0][t] = spawn2_ms(argv[0]);
    lim[1][t] = pingpong_us(rounds);
    lim[2][t] = stream_per_s(quick ? MAP_N / 5 : MAP_N);
    lim[3][t] = lim[1][t];
  }
  if (pool_new(&mp, 2, 1, MPROC_MPI_STATIC) || pool_new(&lp, 2, 0, MPROC_MPI_AUTO)) {
    fprintf(stderr, "bench_mpi: %s\n", mproc_last_error());
    return 1;
  }
  for (t = 0; t < n; t++) {
    v[1][t] = roundtrip_us(mp, rounds);
    loc[1][t] = roundtrip_us(lp, rounds);
    v[2][t] = map_per_s(mp);
    loc[2][t] = map_per_s(lp);
    v[3][t] = cancel_us(mp);
    loc[3][t] = cancel_us(lp);
  }
  mproc_pool_destroy(mp);
  mproc_pool_destroy(lp);
  printf("{\n  \"quick\": %s, \"ranks\": 3,\n", quick ? "true" : "false");
  row("S13a_start_ms", "ms", v[0], loc[0], lim[0], n, "MPI_Comm_spawn of 2 bare processes",
      "<= 1.5x limit", ",");
  printf("  \"S13a_first_start_spawn_ms\": {\"unit\": \"ms\", \"value\": %.3f, \"limit\": %.3f, "
         "\"ratio_to_limit\": %.3f, \"trials\": 1, \"limit_is\": \"as S13a's\", "
         "\"target\": \"<= 1.5x limit\"},\n",
         first_spawn, median(lim[0], n), first_spawn / median(lim[0], n));
  row("S13a_start_spawn_ms", "ms", spawned, loc[0], lim[0], n,
      "MPI_Comm_spawn of 2 bare processes (these pools reuse the first one's hosts)",
      "<= 1.5x limit", ",");
  row("S13b_roundtrip_us", "us", v[1], loc[1], lim[1], n, "1-byte MPI ping-pong with a host",
      "<= 1.5x limit", ",");
  row("S13c_map_per_s", "items/s", v[2], loc[2], lim[2], n,
      "16-byte messages/s to a host, 1024 per MPI_Send", ">= 25% of limit", ",");
  row("S13d_cancel_us", "us", v[3], loc[3], lim[3], n, "one MPI round trip", "<= 3x limit", "");
  printf("}\n");
  return 0;
}
