/*
 * Queue and Pipe scenarios S9-S12, defined in bench/README.md, each beside
 * its bare limit measured in the same run, their trials interleaved.
 *   S9_queue_throughput   1 producer -> 1 consumer process, 200,000 int64
 *                         messages, one put and one get each; items/s
 *   S9b_queue_batch       the same with put_many / get_many, 256 a batch; items/s
 *   S10_queue_latency_us  ping-pong through two queues between two processes;
 *                         us per round trip (extra: a duplex Pipe's)
 *   S11_queue_mpsc        4 producer processes -> 1 consumer, 200,000
 *                         messages in all; items/s
 *   S12_joinable          20,000 items to 4 consumer processes, each
 *                         task_done'd, then join; items/s
 * The limits of S9, S9b, S11 and S12 are bare shared-memory rings
 * (ring.c); S10's is S2's, the best blocking ping-pong (pingpong.c,
 * limits.c). Both sides start and end their trials through a team (ring.c),
 * so that what the scenario's control costs is the same on both.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* HANG_MS: a wait this long is a hang, reported as a failure; the parent
 * waits in slices of SLICE_MS, checking between them that its children live. */
enum { MAX_TRIALS = 16, BATCH = 256, HANG_MS = 60000, SLICE_MS = 1000 };
enum { PRODUCERS = 4, CONSUMERS = 4 };

static int trials(int quick) { return quick ? 3 : 7; }

/* How many items S9, S9b and S11 move per trial, --quick too: a trial takes
 * tens of milliseconds. */
enum { STREAM_ITEMS = 200000 };

static const char *wake_primitive(void) { return mproc__futex_available() ? "futex" : "semaphore"; }

static void extra_items(bench_result *res, int64_t items) {
  bench_extra(res, "items", "%lld", (long long)items);
  bench_extra(res, "wake", "\"%s\"", wake_primitive());
}

/* A child's failed call: the reason goes to standard error (the parent's),
 * since a function's exit code only says that it failed (1). A queue shut
 * down under it (MPROC_ECLOSED) is the parent ending a failed run, whose
 * cause the parent reports: not repeated here. */
static int child_failed(const char *call, mproc_status st) {
  if (st != MPROC_ECLOSED)
    fprintf(stderr, "bench: child %s: %s: %s (%s)\n", mproc_self_name(), call, mproc_strerror(st),
            mproc_last_error());
  return 1;
}

/* mproc__fail(st, "<the last error's detail><more>"): the detail is copied
 * first, since the new one is written where the old one is. */
static mproc_status fail_more(mproc_status st, const char *more) {
  char detail[512];
  snprintf(detail, sizeof detail, "%s", mproc_last_error());
  return mproc__fail(st, "%s%s", detail, more);
}

/* ---- producing and consuming ---- */

/* Takes up to @max messages into @m (@batch lists; 1: mproc_queue_get),
 * waiting for them without a limit, as a consumer does. */
static mproc_status get_values(mproc_queue *q, mproc_args **m, size_t batch, size_t max,
                               size_t *got) {
  if (batch == 1) {
    *got = 1;
    return mproc_queue_get(q, m[0], MPROC_WAIT_FOREVER);
  }
  return mproc_queue_get_many(q, m, max < batch ? max : batch, MPROC_WAIT_FOREVER, got);
}

static void destroy_lists(mproc_args **m, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (m[i])
      mproc_args_destroy(m[i]);
}

static mproc_status create_lists(mproc_args **m, size_t n) {
  mproc_status st = MPROC_OK;
  size_t i;
  memset(m, 0, n * sizeof *m);
  for (i = 0; i < n && st == MPROC_OK; i++)
    st = mproc_args_create(&m[i]);
  return st;
}

/* Puts @n messages [i], @batch a hand-off (1: mproc_queue_put, more:
 * mproc_queue_put_many). The lists are made once and emptied with
 * mproc_args_clear() for each message, as a program sending value after
 * value does. No timeout: a put to an unbounded queue never waits (and a
 * timeout would read the clock on every put). */
static mproc_status put_values(mproc_queue *q, int64_t n, size_t batch) {
  mproc_args *m[BATCH];
  mproc_status st = create_lists(m, batch);
  int64_t i = 0;
  while (i < n && st == MPROC_OK) {
    size_t k = (size_t)(n - i) < batch ? (size_t)(n - i) : batch, j, put = 0;
    for (j = 0; j < k && st == MPROC_OK; j++) {
      mproc_args_clear(m[j]);
      st = mproc_args_add_i64(m[j], i + (int64_t)j);
    }
    if (st == MPROC_OK && batch == 1)
      st = mproc_queue_put(q, m[0], MPROC_WAIT_FOREVER);
    else if (st == MPROC_OK)
      st = mproc_queue_put_many(q, (const mproc_args *const *)m, k, MPROC_WAIT_FOREVER, &put);
    i += (int64_t)k;
  }
  destroy_lists(m, batch);
  return st;
}

/* ---- S9 / S9b ---- */

/* args: [team, queue, trials, n, batch]: takes n messages a trial, checks
 * they are 0..n-1 in order, counts the trial done. */
static int bench_queue_consumer(const mproc_args *a, mproc_args *r) {
  bench_team t;
  mproc_queue *q = NULL;
  mproc_args *m[BATCH];
  int64_t trials_ = 0, n = 0, batch = 0, g, i, v;
  size_t k, got, j;
  (void)r;
  if (bench_team_attach(&t, a, &k) != MPROC_OK || mproc_args_open_queue(a, k, &q) != MPROC_OK ||
      mproc_args_get_i64(a, k + 1, &trials_) || mproc_args_get_i64(a, k + 2, &n) ||
      mproc_args_get_i64(a, k + 3, &batch) || batch < 1 || batch > BATCH ||
      create_lists(m, (size_t)batch) != MPROC_OK)
    return 2;
  for (g = 0; g < trials_; g++) {
    for (i = 0; i < n; i += (int64_t)got) {
      mproc_status st = get_values(q, m, (size_t)batch, (size_t)(n - i), &got);
      if (st != MPROC_OK)
        return child_failed(batch == 1 ? "mproc_queue_get" : "mproc_queue_get_many", st);
      for (j = 0; j < got; j++)
        if (mproc_args_get_i64(m[j], 0, &v) != MPROC_OK || v != i + (int64_t)j)
          bench_team_mark_bad(&t);
    }
    bench_team_count(&t, 1);
  }
  destroy_lists(m, (size_t)batch);
  mproc_queue_close(q);
  bench_team_detach(&t);
  return 0;
}

/* One side of a scenario: its team (and its queue, on mproc's side). */
typedef struct side {
  bench_team team;
  mproc_queue *q;
  int64_t n, gen;
  size_t batch;
} side;

static mproc_status spawn_with_queue(side *s, const char *fn, int kid, int64_t trials_, int64_t n,
                                     int64_t batch) {
  mproc_args *a = NULL;
  mproc_status st = mproc_args_create(&a);
  if (st == MPROC_OK)
    st = bench_team_add_args(&s->team, a, kid);
  if (st == MPROC_OK)
    st = mproc_args_add_queue(a, s->q);
  if (st == MPROC_OK && trials_ > 0)
    st = mproc_args_add_i64(a, trials_);
  if (st == MPROC_OK && n > 0)
    st = mproc_args_add_i64(a, n);
  if (st == MPROC_OK && batch > 0)
    st = mproc_args_add_i64(a, batch);
  if (st == MPROC_OK)
    st = bench_team_spawn(&s->team, fn, a);
  if (a)
    mproc_args_destroy(a);
  return st;
}

/* The team (no ring: control only) and the queue. */
static mproc_status side_open(side *s, int64_t n, size_t batch, const mproc_queue_options *o) {
  mproc_status st;
  memset(s, 0, sizeof *s);
  s->n = n;
  s->batch = batch;
  if ((st = bench_team_create(&s->team, 0, 'm')) != MPROC_OK)
    return st;
  return mproc_queue_create(&s->q, o);
}

/* Shuts the queue down first: a child still blocked in a get (a failed run)
 * then ends instead of waiting for ever. */
static mproc_status side_close(side *s) {
  mproc_status st;
  if (s->q)
    mproc_queue_shutdown(s->q);
  st = bench_team_finish(&s->team);
  if (s->q)
    mproc_queue_destroy(s->q);
  return st;
}

/* Ends both sides of a scenario. A failed run keeps its own status and
 * detail (the children's exits it causes would replace the detail);
 * otherwise the first failure of the cleanup is the result. */
static mproc_status close_both(side *s, bench_team *ring, mproc_status st) {
  char detail[512];
  mproc_status f, g;
  snprintf(detail, sizeof detail, "%s", mproc_last_error());
  f = side_close(s);
  g = bench_team_finish(ring);
  if (st != MPROC_OK)
    return mproc__fail(st, "%s", detail);
  return f != MPROC_OK ? f : g;
}

/* After a wait of SLICE_MS that timed out: MPROC_OK to wait again, or the
 * failure that ends the trial: a child has ended (its reason is on standard
 * error), or @since is HANG_MS ago. */
static mproc_status still_waiting(const side *s, const char *what, double since) {
  int i;
  for (i = 0; i < s->team.kids; i++) {
    int alive = 1;
    if (mproc_process_is_alive(s->team.kid[i], &alive) == MPROC_OK && !alive)
      return mproc__fail(MPROC_EFAILED, "bench: %s: child %s ended in the middle of a trial", what,
                         mproc_process_name(s->team.kid[i]));
  }
  if (bench_now() - since > HANG_MS / 1e3)
    return mproc__fail(MPROC_ETIMEDOUT, "bench: %s: still waiting after %d s", what,
                       HANG_MS / 1000);
  return MPROC_OK;
}

static mproc_status spsc_trial(side *s, double *per_s) {
  double t0 = bench_now();
  mproc_status st;
  s->gen++;
  bench_team_expect(&s->team, (uint64_t)s->gen);
  if ((st = put_values(s->q, s->n, s->batch)) == MPROC_OK)
    while ((st = bench_team_await_done(&s->team, SLICE_MS)) == MPROC_ETIMEDOUT)
      if ((st = still_waiting(s, "the consumer's count", t0)) != MPROC_OK)
        break;
  *per_s = (double)s->n / (bench_now() - t0);
  if (st == MPROC_OK && bench_team_bad(&s->team))
    st = mproc__fail(MPROC_EPROTO, "bench: the consumer got a message out of order");
  return st;
}

/* What building one message costs the producer (part of the scenario's
 * figure; the ring's producer writes a bare value). */
static double message_build_ns(void) {
  enum { N = 20000 };
  mproc_args *m = NULL;
  double t0 = bench_now(), took;
  int i;
  if (mproc_args_create(&m) != MPROC_OK)
    return 0;
  for (i = 0; i < N; i++) {
    mproc_args_clear(m);
    mproc_args_add_i64(m, i);
  }
  took = bench_now() - t0;
  mproc_args_destroy(m);
  return took * 1e9 / N;
}

/* S9 and S9b: @batch 1 or BATCH; trials interleaved with the SPSC ring's. */
static mproc_status run_spsc(int quick, size_t batch, bench_result *res) {
  double v[MAX_TRIALS], l[MAX_TRIALS], ignored;
  int n = trials(quick), t;
  int64_t items = STREAM_ITEMS;
  side s;
  bench_team ring;
  mproc_status st = side_open(&s, items, batch, NULL);
  if (st == MPROC_OK)
    st = spawn_with_queue(&s, "bench_queue_consumer", 0, n + 1, items, (int64_t)batch);
  memset(&ring, 0, sizeof ring);
  if (st == MPROC_OK)
    st = bench_limit_ring_open(&ring, BENCH_SPSC, n + 1, items);
  for (t = -1; t < n && st == MPROC_OK; t++) /* t -1: a warm-up of both */
    if ((st = spsc_trial(&s, t < 0 ? &ignored : &v[t])) == MPROC_OK)
      st = bench_limit_ring_trial(&ring, t < 0 ? &ignored : &l[t]);
  if ((st = close_both(&s, &ring, st)) != MPROC_OK)
    return st;
  bench_stats(v, n, &res->value);
  bench_stats(l, n, &res->limit);
  extra_items(res, items);
  if (batch > 1)
    bench_extra(res, "batch", "%d", (int)batch);
  bench_extra(res, "message_build_ns", "%.1f", message_build_ns());
  return MPROC_OK;
}

static mproc_status run_s9(int quick, bench_result *res) { return run_spsc(quick, 1, res); }
static mproc_status run_s9b(int quick, bench_result *res) { return run_spsc(quick, BATCH, res); }

static const mproc_function s9_functions[] = {MPROC_FUNCTION(bench_queue_consumer),
                                              MPROC_FUNCTION(bench_ring_consumer_child),
                                              MPROC_FUNCTIONS_END};

const bench_scenario bench_s9_queue = {
    "S9_queue_throughput",
    "items/s",
    "a bare single-producer single-consumer ring of 16-byte slots in shared memory, a futex "
    "(named semaphore) wake only when the consumer sleeps",
    ">= 25% of limit",
    run_s9,
    s9_functions};

const bench_scenario bench_s9b_queue_batch = {
    "S9b_queue_batch",
    "items/s",
    "the bare ring of S9_queue_throughput, one value per put and take",
    ">= 50% of limit",
    run_s9b,
    NULL};

/* ---- S10 ---- */

/* [x + 1], the reply to [x] in @m; NULL on a failure. */
static mproc_args *reply_to(const mproc_args *m) {
  mproc_args *r = NULL;
  int64_t x = 0;
  if (mproc_args_get_i64(m, 0, &x) != MPROC_OK || mproc_args_create(&r) != MPROC_OK)
    return NULL;
  if (mproc_args_add_i64(r, x + 1) != MPROC_OK) {
    mproc_args_destroy(r);
    return NULL;
  }
  return r;
}

/* Answers @rounds messages from @in with their replies on @out (a queue
 * pair) or on the same end @c (a pipe). 0, or 1 on a failure. */
static int pong(mproc_queue *in, mproc_queue *out, mproc_conn *c, int64_t rounds) {
  mproc_args *m = NULL, *reply;
  int64_t i;
  int rc = 0;
  if (mproc_args_create(&m) != MPROC_OK)
    return 2;
  for (i = 0; i < rounds && rc == 0; i++) {
    mproc_status st =
        c ? mproc_conn_recv(c, m, MPROC_WAIT_FOREVER) : mproc_queue_get(in, m, MPROC_WAIT_FOREVER);
    if (st != MPROC_OK)
      rc = child_failed(c ? "mproc_conn_recv" : "mproc_queue_get", st);
    else if ((reply = reply_to(m)) == NULL)
      rc = child_failed("a reply [x + 1]", MPROC_EPROTO);
    else {
      st = c ? mproc_conn_send(c, reply) : mproc_queue_put(out, reply, MPROC_WAIT_FOREVER);
      mproc_args_destroy(reply);
      if (st != MPROC_OK)
        rc = child_failed(c ? "mproc_conn_send" : "mproc_queue_put", st);
    }
  }
  mproc_args_destroy(m);
  return rc;
}

/* args: [queue in, queue out, rounds]. */
static int bench_queue_pong(const mproc_args *a, mproc_args *r) {
  mproc_queue *in = NULL, *out = NULL;
  int64_t rounds = 0;
  int rc;
  (void)r;
  if (mproc_args_open_queue(a, 0, &in) != MPROC_OK ||
      mproc_args_open_queue(a, 1, &out) != MPROC_OK || mproc_args_get_i64(a, 2, &rounds))
    return 2;
  rc = pong(in, out, NULL, rounds);
  mproc_queue_close(in);
  mproc_queue_close(out);
  return rc;
}

/* args: [conn, rounds]: the same on one duplex end of a pipe. */
static int bench_pipe_pong(const mproc_args *a, mproc_args *r) {
  mproc_conn *c = NULL;
  int64_t rounds = 0;
  int rc;
  (void)r;
  if (mproc_args_open_conn(a, 0, &c) != MPROC_OK || mproc_args_get_i64(a, 1, &rounds))
    return 2;
  rc = pong(NULL, NULL, c, rounds);
  mproc_conn_close(c);
  return rc;
}

/* The parent's side of S10: the queues to and from the queue child, one end
 * of the pipe, and the one message that goes round, [x]. */
typedef struct pingpong {
  mproc_queue *to, *from;
  mproc_conn *end, *other;
  mproc_process *qchild, *pchild;
  mproc_args *qm, *pm; /* [x] of the queue's round trips, and of the pipe's */
  int64_t qx, px;      /* the x each holds */
  int rounds;
} pingpong;

static mproc_status start_child(mproc_process **p, const char *fn, mproc_args *a) {
  mproc_status st = mproc_process_create(p, fn, a, NULL);
  if (st == MPROC_OK)
    st = mproc_process_start(*p);
  mproc_args_destroy(a);
  return st;
}

static mproc_status pingpong_open(pingpong *pp, int rounds, int64_t total) {
  mproc_args *a = NULL;
  mproc_status st;
  memset(pp, 0, sizeof *pp);
  pp->rounds = rounds;
  if ((st = mproc_queue_create(&pp->to, NULL)) != MPROC_OK ||
      (st = mproc_queue_create(&pp->from, NULL)) != MPROC_OK ||
      (st = mproc_pipe_create(&pp->end, &pp->other, 1)) != MPROC_OK ||
      (st = mproc_args_create(&pp->qm)) != MPROC_OK ||
      (st = mproc_args_add_i64(pp->qm, 0)) != MPROC_OK ||
      (st = mproc_args_create(&pp->pm)) != MPROC_OK ||
      (st = mproc_args_add_i64(pp->pm, 0)) != MPROC_OK || (st = mproc_args_create(&a)) != MPROC_OK)
    return st;
  mproc_args_add_queue(a, pp->to);
  mproc_args_add_queue(a, pp->from);
  mproc_args_add_i64(a, total);
  if ((st = start_child(&pp->qchild, "bench_queue_pong", a)) != MPROC_OK ||
      (st = mproc_args_create(&a)) != MPROC_OK)
    return st;
  mproc_args_add_conn(a, pp->other);
  mproc_args_add_i64(a, total);
  if ((st = start_child(&pp->pchild, "bench_pipe_pong", a)) != MPROC_OK)
    return st;
  st = mproc_conn_close(pp->other); /* the child holds it now (see mproc_pipe_create) */
  pp->other = NULL;
  return st;
}

static mproc_status check_reply(mproc_args *m, int64_t *x) {
  int64_t y = -1;
  if (mproc_args_get_i64(m, 0, &y) != MPROC_OK || y != *x + 1)
    return mproc__fail(MPROC_EPROTO, "bench: ping-pong reply %lld, expected %lld", (long long)y,
                       (long long)(*x + 1));
  *x = y;
  return MPROC_OK;
}

/* One trial of each mproc ping-pong: us per round trip into @q_us, @pipe_us.
 * A get replaces the list's values, so one list goes round and round. The
 * gets wait at most HANG_MS (a clock read per round trip is noise here). */
static mproc_status pingpong_trial(pingpong *pp, double *q_us, double *pipe_us) {
  mproc_status st = MPROC_OK;
  double t0 = bench_now();
  int i;
  for (i = 0; i < pp->rounds && st == MPROC_OK; i++)
    if ((st = mproc_queue_put(pp->to, pp->qm, MPROC_WAIT_FOREVER)) == MPROC_OK &&
        (st = mproc_queue_get(pp->from, pp->qm, HANG_MS)) == MPROC_OK)
      st = check_reply(pp->qm, &pp->qx);
  *q_us = (bench_now() - t0) * 1e6 / pp->rounds;
  t0 = bench_now();
  for (i = 0; i < pp->rounds && st == MPROC_OK; i++)
    if ((st = mproc_conn_send(pp->end, pp->pm)) == MPROC_OK &&
        (st = mproc_conn_recv(pp->end, pp->pm, HANG_MS)) == MPROC_OK)
      st = check_reply(pp->pm, &pp->px);
  *pipe_us = (bench_now() - t0) * 1e6 / pp->rounds;
  return st;
}

static mproc_status join_child(mproc_process *p, mproc_status st) {
  int code = -1;
  mproc_status j;
  if (!p)
    return st;
  if ((j = mproc_process_join(p, st == MPROC_OK ? HANG_MS : 0)) != MPROC_OK) {
    mproc_process_kill(p); /* a failed run: it waits for rounds that will not come */
    mproc_process_join(p, MPROC_WAIT_FOREVER);
  } else if ((j = mproc_process_exitcode(p, &code)) == MPROC_OK && code != 0) {
    j = mproc__fail(MPROC_EFAILED, "bench: %s exited with %d", mproc_process_name(p), code);
  }
  mproc_process_destroy(p);
  return st != MPROC_OK ? st : j;
}

/* As close_both(): a failed run keeps its own detail. */
static mproc_status pingpong_close(pingpong *pp, mproc_status st) {
  char detail[512];
  snprintf(detail, sizeof detail, "%s", mproc_last_error());
  st = join_child(pp->qchild, st);
  st = join_child(pp->pchild, st);
  if (pp->end)
    mproc_conn_close(pp->end);
  if (pp->other)
    mproc_conn_close(pp->other);
  if (pp->to)
    mproc_queue_destroy(pp->to);
  if (pp->from)
    mproc_queue_destroy(pp->from);
  if (pp->qm)
    mproc_args_destroy(pp->qm);
  if (pp->pm)
    mproc_args_destroy(pp->pm);
  return st != MPROC_OK ? mproc__fail(st, "%s", detail) : st;
}

static mproc_status run_s10(int quick, bench_result *res) {
  double v[MAX_TRIALS], p[MAX_TRIALS], chan[MAX_TRIALS], fx[MAX_TRIALS], ignored[2];
  int n = quick ? 3 : 9, rounds = quick ? 1000 : 10000, t;
  bench_stats_t sp, sc, sf;
  pingpong pp;
  mproc_status st = pingpong_open(&pp, rounds, (int64_t)(n + 1) * rounds);
  for (t = -1; t < n && st == MPROC_OK; t++) { /* t -1: a warm-up; the limits warm their own */
    st = pingpong_trial(&pp, t < 0 ? &ignored[0] : &v[t], t < 0 ? &ignored[1] : &p[t]);
    if (st == MPROC_OK && t >= 0 &&
        (st = bench_limit_chan_pingpong(1, rounds, &chan[t])) == MPROC_OK)
      st = bench_limit_futex_pingpong(1, rounds, &fx[t]);
  }
  st = pingpong_close(&pp, st);
  if (st != MPROC_OK)
    return st;
  bench_stats(v, n, &res->value);
  bench_stats(p, n, &sp);
  bench_stats(chan, n, &sc);
  bench_stats(fx, n, &sf);
  res->limit = sc.median <= sf.median ? sc : sf;
  bench_extra_stats(res, "pipe_us", &sp);
  bench_extra(res, "pipe_ratio_to_limit", "%.3f", sp.median / res->limit.median);
  bench_extra(res, "limit_used", "\"%s\"", sc.median <= sf.median ? "channel" : wake_primitive());
  bench_extra_stats(res, "channel_pingpong_us", &sc);
  bench_extra_stats(res, mproc__futex_available() ? "futex_pingpong_us" : "semaphore_pingpong_us",
                    &sf);
  bench_extra(res, "rounds_per_trial", "%d", rounds);
  return MPROC_OK;
}

/* bench_raw_pong_child, the futex ping-pong's child, is S2's: registered there. */
static const mproc_function s10_functions[] = {
    MPROC_FUNCTION(bench_queue_pong), MPROC_FUNCTION(bench_pipe_pong), MPROC_FUNCTIONS_END};

const bench_scenario bench_s10_queue_latency = {
    "S10_queue_latency_us",
    "us per round trip",
    "S2_roundtrip_us's: the best blocking 1-byte round trip between two processes, over a channel "
    "(socket/pipe) or over shared memory with futex (named semaphore) wake-ups",
    "<= 1.5x limit",
    run_s10,
    s10_functions};

/* ---- S11 ---- */

/* Puts [kid << 32 | j] for j < @n, one list reused (mproc_args_clear). */
static mproc_status produce(mproc_queue *q, int64_t kid, int64_t n) {
  mproc_args *m = NULL;
  mproc_status st = mproc_args_create(&m);
  int64_t j;
  for (j = 0; j < n && st == MPROC_OK; j++) {
    mproc_args_clear(m);
    if ((st = mproc_args_add_i64(m, kid << 32 | j)) == MPROC_OK)
      st = mproc_queue_put(q, m, MPROC_WAIT_FOREVER);
  }
  if (m)
    mproc_args_destroy(m);
  return st;
}

/* args: [team, queue, trials, n]: at each go, puts its n messages. The
 * parent takes them with no timeout (a timeout reads the clock on every
 * get), so the producers watch for a hang: the next trial not starting in
 * HANG_MS means the parent waits for messages that never came, and a
 * producer then shuts the queue down, which ends the parent's get. */
static int bench_queue_producer(const mproc_args *a, mproc_args *r) {
  bench_team t;
  mproc_queue *q = NULL;
  int64_t trials_ = 0, n = 0, g;
  size_t k;
  mproc_status st = MPROC_OK;
  (void)r;
  if (bench_team_attach(&t, a, &k) != MPROC_OK || mproc_args_open_queue(a, k, &q) != MPROC_OK ||
      mproc_args_get_i64(a, k + 1, &trials_) || mproc_args_get_i64(a, k + 2, &n))
    return 2;
  for (g = 1; g <= trials_ && st == MPROC_OK; g++) {
    st = bench_team_await_go(&t, (uint64_t)g, g == 1 ? -1 : HANG_MS);
    if (st == MPROC_OK && (st = produce(q, t.me, n)) != MPROC_OK) {
      mproc_queue_shutdown(q);
      return child_failed("mproc_queue_put", st);
    }
  }
  if (st == MPROC_ETIMEDOUT) {
    mproc_queue_shutdown(q);
    return child_failed("the next trial (shutting the queue down)", st);
  }
  mproc_queue_close(q);
  bench_team_detach(&t);
  return 0;
}

/* The parent starts the producers and takes all their messages. */
static mproc_status mpsc_trial(side *s, mproc_args *m, double *per_s) {
  int64_t next[PRODUCERS] = {0, 0, 0, 0}, i, v = -1;
  double t0 = bench_now();
  int ok = 1;
  mproc_status st = MPROC_OK;
  bench_team_go(&s->team, (uint64_t)++s->gen);
  for (i = 0; i < s->n && st == MPROC_OK; i++)
    if ((st = mproc_queue_get(s->q, m, MPROC_WAIT_FOREVER)) == MPROC_OK)
      ok &= mproc_args_get_i64(m, 0, &v) == MPROC_OK && bench_mpsc_in_order(next, PRODUCERS, v);
  *per_s = (double)s->n / (bench_now() - t0);
  if (st != MPROC_OK) {
    char more[96];
    snprintf(more, sizeof more, " (mproc_queue_get, after %lld of %lld messages)",
             (long long)(i - 1), (long long)s->n); /* (the loop counted the failed one) */
    return fail_more(st, more);
  }
  return ok ? MPROC_OK
            : mproc__fail(MPROC_EPROTO, "bench: a producer's messages arrived out of order");
}

static mproc_status run_s11(int quick, bench_result *res) {
  double v[MAX_TRIALS], l[MAX_TRIALS], ignored;
  int n = trials(quick), t, k;
  int64_t items = STREAM_ITEMS;
  side s;
  bench_team ring;
  mproc_args *m = NULL;
  mproc_status st = side_open(&s, items, 1, NULL);
  for (k = 0; k < PRODUCERS && st == MPROC_OK; k++)
    st = spawn_with_queue(&s, "bench_queue_producer", k, n + 1, items / PRODUCERS, 0);
  memset(&ring, 0, sizeof ring);
  if (st == MPROC_OK && (st = mproc_args_create(&m)) == MPROC_OK)
    st = bench_limit_ring_open(&ring, BENCH_MPSC, n + 1, items);
  for (t = -1; t < n && st == MPROC_OK; t++) /* t -1: a warm-up of both */
    if ((st = mpsc_trial(&s, m, t < 0 ? &ignored : &v[t])) == MPROC_OK)
      st = bench_limit_ring_trial(&ring, t < 0 ? &ignored : &l[t]);
  if (m)
    mproc_args_destroy(m);
  if ((st = close_both(&s, &ring, st)) != MPROC_OK)
    return st;
  bench_stats(v, n, &res->value);
  bench_stats(l, n, &res->limit);
  extra_items(res, items);
  bench_extra(res, "producers", "%d", PRODUCERS);
  return MPROC_OK;
}

static const mproc_function s11_functions[] = {MPROC_FUNCTION(bench_queue_producer),
                                               MPROC_FUNCTION(bench_ring_producer_child),
                                               MPROC_FUNCTIONS_END};

const bench_scenario bench_s11_queue_mpsc = {
    "S11_queue_mpsc",
    "items/s",
    "S9's bare ring with 4 bare producers, each reserving a slot by CAS on the tail; a per-slot "
    "ready flag",
    ">= 25% of limit",
    run_s11,
    s11_functions};

/* ---- S12 ---- */

/* args: [team, queue]: gets until the queue is shut down, adds each
 * value to its sum, task_done. */
static int bench_queue_worker(const mproc_args *a, mproc_args *r) {
  bench_team t;
  mproc_queue *q = NULL;
  mproc_args *m = NULL;
  int64_t v = 0;
  size_t k;
  mproc_status st;
  (void)r;
  if (bench_team_attach(&t, a, &k) != MPROC_OK || mproc_args_open_queue(a, k, &q) != MPROC_OK ||
      mproc_args_create(&m) != MPROC_OK)
    return 2;
  while ((st = mproc_queue_get(q, m, MPROC_WAIT_FOREVER)) == MPROC_OK) {
    if ((st = mproc_args_get_i64(m, 0, &v)) != MPROC_OK)
      return child_failed("a message [x]", st);
    bench_team_add_sum(&t, v); /* before task_done: join publishes it */
    if ((st = mproc_queue_task_done(q)) != MPROC_OK)
      return child_failed("mproc_queue_task_done", st);
  }
  if (st != MPROC_ECLOSED) /* the one way out of the loop that is not a failure */
    return child_failed("mproc_queue_get", st);
  mproc_args_destroy(m);
  mproc_queue_close(q);
  bench_team_detach(&t);
  return 0;
}

/* Joins in slices, checking that the consumers live between them. */
static mproc_status join_watched(side *s, double t0) {
  mproc_status st;
  size_t left = 0;
  char more[64];
  while ((st = mproc_queue_join(s->q, SLICE_MS)) == MPROC_ETIMEDOUT)
    if ((st = still_waiting(s, "mproc_queue_join", t0)) != MPROC_OK)
      break;
  if (st == MPROC_OK)
    return st;
  mproc_queue_unfinished(s->q, &left);
  snprintf(more, sizeof more, "; %llu message(s) unfinished", (unsigned long long)left);
  return fail_more(st, more);
}

static mproc_status joinable_trial(side *s, double *per_s) {
  uint64_t sum, count, n = (uint64_t)s->n, g = (uint64_t)++s->gen;
  double t0 = bench_now();
  mproc_status st = put_values(s->q, s->n, 1);
  if (st == MPROC_OK)
    st = join_watched(s, t0);
  *per_s = (double)s->n / (bench_now() - t0);
  if (st != MPROC_OK)
    return st;
  bench_team_sums(&s->team, &sum, &count);
  if (count != g * n || sum != g * (n * (n - 1) / 2))
    return mproc__fail(MPROC_EPROTO, "bench: the workers took %llu messages, summing %llu",
                       (unsigned long long)count, (unsigned long long)sum);
  return MPROC_OK;
}

static mproc_status run_s12(int quick, bench_result *res) {
  enum { ITEMS = 20000 };
  double v[MAX_TRIALS], l[MAX_TRIALS], ignored;
  int n = trials(quick), t, k;
  mproc_queue_options o;
  side s;
  bench_team ring;
  mproc_status st;
  memset(&o, 0, sizeof o);
  o.joinable = 1;
  st = side_open(&s, ITEMS, 1, &o);
  for (k = 0; k < CONSUMERS && st == MPROC_OK; k++)
    st = spawn_with_queue(&s, "bench_queue_worker", k, 0, 0, 0);
  memset(&ring, 0, sizeof ring);
  if (st == MPROC_OK)
    st = bench_limit_ring_open(&ring, BENCH_MPMC, n + 1, ITEMS);
  for (t = -1; t < n && st == MPROC_OK; t++) /* t -1: a warm-up of both */
    if ((st = joinable_trial(&s, t < 0 ? &ignored : &v[t])) == MPROC_OK)
      st = bench_limit_ring_trial(&ring, t < 0 ? &ignored : &l[t]);
  if ((st = close_both(&s, &ring, st)) != MPROC_OK)
    return st;
  bench_stats(v, n, &res->value);
  bench_stats(l, n, &res->limit);
  bench_extra(res, "items", "%d", ITEMS);
  bench_extra(res, "consumers", "%d", CONSUMERS);
  bench_extra(res, "wake", "\"%s\"", wake_primitive());
  return MPROC_OK;
}

static const mproc_function s12_functions[] = {MPROC_FUNCTION(bench_queue_worker),
                                               MPROC_FUNCTION(bench_ring_worker_child),
                                               MPROC_FUNCTIONS_END};

const bench_scenario bench_s12_joinable = {
    "S12_joinable",
    "items/s",
    "the parent puts the items into S9's bare ring; 4 bare workers take them by CAS on the head "
    "and count each in a shared done counter, whose last count wakes the parent (futex / named "
    "semaphore)",
    ">= 25% of limit",
    run_s12,
    s12_functions};
