/*
 * Event scenarios.
 *   S5_is_set_per_s: mproc_event_is_set() calls per second inside a child
 *     process; limit: a non-inlined function doing a relaxed atomic load of a
 *     word in shared memory, timed in the same child.
 *   event_wake_us: one-way set -> waiter-wakes latency, from a ping-pong of
 *     two Events between two processes; limit: the same ping-pong on the bare
 *     wake primitive (futex on two shared words on Linux, a pair of named
 *     semaphores elsewhere) through the platform layer's thin wrappers.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "platform.h"
#include "shared/object.h" /* names */

#if defined(_MSC_VER)
#define BENCH_NOINLINE __declspec(noinline)
#else
#define BENCH_NOINLINE __attribute__((noinline))
#endif

enum { MAX_TRIALS = 16 };

static int trials(int quick) { return quick ? 3 : 7; }

BENCH_NOINLINE static uint32_t relaxed_load(const volatile uint32_t *p) {
#if defined(_MSC_VER)
  return *p;
#else
  return __atomic_load_n(p, __ATOMIC_RELAXED);
#endif
}

/* ---- S5 ---- */

/* args: [event, shm, trials, seconds]: writes 2*trials doubles (is_set/s, limit/s). */
static int bench_is_set_child(const mproc_args *a, mproc_args *r) {
  mproc_event *e = NULL;
  mproc_shm *shm = NULL;
  int64_t n = 0, t;
  double secs = 0, *out;
  volatile uint32_t sink = 0;
  (void)r;
  if (mproc_args_open_event(a, 0, &e) || mproc_args_open_shm(a, 1, &shm) ||
      mproc_args_get_i64(a, 2, &n) || mproc_args_get_f64(a, 3, &secs))
    return 2;
  out = mproc_shm_base(shm);
  for (t = 0; t < n; t++) {
    const volatile uint32_t *word = (const volatile uint32_t *)out + 1000;
    double t0 = bench_now(), el;
    uint64_t calls = 0;
    int i;
    do {
      for (i = 0; i < 4096; i++)
        sink += (uint32_t)mproc_event_is_set(e);
      calls += 4096;
    } while ((el = bench_now() - t0) < secs);
    out[2 * t] = (double)calls / el;
    calls = 0;
    t0 = bench_now();
    do {
      for (i = 0; i < 4096; i++)
        sink += relaxed_load(word);
      calls += 4096;
    } while ((el = bench_now() - t0) < secs);
    out[2 * t + 1] = (double)calls / el;
  }
  mproc_event_close(e);
  mproc_shm_close(shm);
  return sink == 12345678 ? 1 : 0;
}

static mproc_status run_is_set(int quick, bench_result *res) {
  mproc_event *e = NULL;
  mproc_shm *shm = NULL;
  mproc_args *a = NULL;
  mproc_process *p = NULL;
  double v[MAX_TRIALS], l[MAX_TRIALS], *out;
  int n = trials(quick), i, code = -1;
  mproc_status st;
  if ((st = mproc_event_create(&e)) != MPROC_OK ||
      (st = mproc_shm_create(&shm, 8192, NULL)) != MPROC_OK ||
      (st = mproc_args_create(&a)) != MPROC_OK)
    return st;
  mproc_args_add_event(a, e);
  mproc_args_add_shm(a, shm);
  mproc_args_add_i64(a, n);
  mproc_args_add_f64(a, quick ? 0.05 : 0.25);
  if ((st = mproc_process_create(&p, "bench_is_set_child", a, NULL)) == MPROC_OK &&
      (st = mproc_process_start(p)) == MPROC_OK &&
      (st = mproc_process_join(p, MPROC_WAIT_FOREVER)) == MPROC_OK)
    st = mproc_process_exitcode(p, &code);
  if (st == MPROC_OK && code != 0)
    st = MPROC_EFAILED;
  out = mproc_shm_base(shm);
  for (i = 0; i < n; i++) {
    v[i] = out[2 * i];
    l[i] = out[2 * i + 1];
  }
  if (st == MPROC_OK) {
    bench_stats(v, n, &res->value);
    bench_stats(l, n, &res->limit);
  }
  if (p)
    mproc_process_destroy(p);
  mproc_args_destroy(a);
  mproc_shm_destroy(shm);
  mproc_event_destroy(e);
  return st;
}

static const mproc_function s5_functions[] = {MPROC_FUNCTION(bench_is_set_child),
                                              MPROC_FUNCTIONS_END};

const bench_scenario bench_s5_is_set = {
    "S5_is_set_per_s", "calls/s",  "non-inlined relaxed atomic load of a shared word, same worker",
    ">= 25% of limit", run_is_set, s5_functions};

/* ---- event wake latency ---- */

/* args: [event a, event b, shm, rounds, raw sem name 0, raw sem name 1]. */
static int bench_wake_child(const mproc_args *a, mproc_args *r) {
  mproc_event *ea = NULL, *eb = NULL;
  mproc_shm *shm = NULL;
  bench_raw_pair rp;
  const char *n0, *n1;
  int64_t rounds = 0, i;
  (void)r;
  memset(&rp, 0, sizeof rp);
  if (mproc_args_open_event(a, 0, &ea) || mproc_args_open_event(a, 1, &eb) ||
      mproc_args_open_shm(a, 2, &shm) || mproc_args_get_i64(a, 3, &rounds) ||
      mproc_args_get_str(a, 4, &n0) || mproc_args_get_str(a, 5, &n1))
    return 2;
  rp.word = mproc_shm_base(shm);
  if (!mproc__futex_available() &&
      (mproc__sem_open(&rp.sem[0], n0) || mproc__sem_open(&rp.sem[1], n1)))
    return 3;
  for (i = 0; i < rounds; i++) { /* mproc events */
    mproc_event_wait(ea, MPROC_WAIT_FOREVER);
    mproc_event_clear(ea);
    mproc_event_set(eb);
  }
  for (i = 0; i < rounds; i++) { /* the bare primitive */
    bench_raw_wait(&rp, 0);
    bench_raw_signal(&rp, 1);
  }
  if (!mproc__futex_available()) {
    mproc__sem_close(&rp.sem[0]);
    mproc__sem_close(&rp.sem[1]);
  }
  mproc_event_close(ea);
  mproc_event_close(eb);
  mproc_shm_close(shm);
  return 0;
}

static mproc_status run_wake(int quick, bench_result *res) {
  enum { ROUNDS_PER_TRIAL = 200 };
  mproc_event *ea = NULL, *eb = NULL;
  mproc_shm *shm = NULL;
  mproc_args *a = NULL;
  mproc_process *p = NULL;
  bench_raw_pair rp;
  char n0[48], n1[48];
  double v[MAX_TRIALS], l[MAX_TRIALS];
  int n = trials(quick), t, i;
  mproc_status st;
  memset(&rp, 0, sizeof rp);
  mproc__name_prefix(n0, sizeof n0, mproc_self_pid());
  mproc__name_prefix(n1, sizeof n1, mproc_self_pid());
  strcat(n0, "benchwake0-1");
  strcat(n1, "benchwake1-1");
  if ((st = mproc_event_create(&ea)) != MPROC_OK || (st = mproc_event_create(&eb)) != MPROC_OK ||
      (st = mproc_shm_create(&shm, 64, NULL)) != MPROC_OK ||
      (st = mproc_args_create(&a)) != MPROC_OK)
    return st;
  if (!mproc__futex_available() && ((st = mproc__sem_create(&rp.sem[0], n0)) != MPROC_OK ||
                                    (st = mproc__sem_create(&rp.sem[1], n1)) != MPROC_OK))
    return st;
  rp.word = mproc_shm_base(shm);
  mproc_args_add_event(a, ea);
  mproc_args_add_event(a, eb);
  mproc_args_add_shm(a, shm);
  mproc_args_add_i64(a, (int64_t)n * ROUNDS_PER_TRIAL);
  mproc_args_add_str(a, n0);
  mproc_args_add_str(a, n1);
  if ((st = mproc_process_create(&p, "bench_wake_child", a, NULL)) != MPROC_OK ||
      (st = mproc_process_start(p)) != MPROC_OK)
    return st;
  for (t = 0; t < n; t++) {
    double t0 = bench_now();
    for (i = 0; i < ROUNDS_PER_TRIAL; i++) {
      mproc_event_set(ea);
      mproc_event_wait(eb, MPROC_WAIT_FOREVER);
      mproc_event_clear(eb);
    }
    v[t] = (bench_now() - t0) * 1e6 / ROUNDS_PER_TRIAL / 2;
  }
  for (t = 0; t < n; t++) {
    double t0 = bench_now();
    for (i = 0; i < ROUNDS_PER_TRIAL; i++) {
      bench_raw_signal(&rp, 0);
      bench_raw_wait(&rp, 1);
    }
    l[t] = (bench_now() - t0) * 1e6 / ROUNDS_PER_TRIAL / 2;
  }
  mproc_process_join(p, MPROC_WAIT_FOREVER);
  mproc_process_destroy(p);
  bench_stats(v, n, &res->value);
  bench_stats(l, n, &res->limit);
  if (!mproc__futex_available()) {
    mproc__sem_close(&rp.sem[0]);
    mproc__sem_close(&rp.sem[1]);
    mproc__sem_unlink(n0);
    mproc__sem_unlink(n1);
  }
  mproc_args_destroy(a);
  mproc_shm_destroy(shm);
  mproc_event_destroy(ea);
  mproc_event_destroy(eb);
  return MPROC_OK;
}

static const mproc_function wake_functions[] = {MPROC_FUNCTION(bench_wake_child),
                                                MPROC_FUNCTIONS_END};

const bench_scenario bench_event_wake = {
    "event_wake_us",
    "us (one way)",
    "ping-pong on the bare wake primitive (futex / named semaphore), same processes",
    "<= 1.5x limit",
    run_wake,
    wake_functions};
