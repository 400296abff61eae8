/*
 * The MPI backend's suite (libmproc_mpi), run by CTest under mpiexec:
 *   mpiexec -n 3 mproc_mpi_tests            static: ranks 1 and 2 are hosts
 *   mproc_mpi_tests --spawn                 spawn: 2 hosts spawned (a singleton)
 *   mpiexec -n 1 mproc_mpi_tests --spawn    the same under mpiexec
 * Only rank 0 runs the tests; the hosts serve its pools. The cases are the
 * pool's that make sense remotely: tasks and maps, cancellation (the pool's,
 * a task's bail-out), a timeout and a crash (the host kills and replaces
 * the worker), a failing initializer, bad input.
 */
#include <CUnit/Basic.h>
#ifndef _WIN32
#include <signal.h>
#include <sys/types.h>
#include <unistd.h> /* sysconf */
#endif
#include <apr_time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mproc/mpi.h"
#include "pool/remote_tasks.h"

#define BOUND_MS 30000
#define WORKERS 2

/* MPI_TESTS_SANITIZED (from CMake): ASan holds freed memory back (its
 * quarantine), TSan keeps state of every thread there was, so resident
 * sizes prove nothing. */
#ifdef MPI_TESTS_SANITIZED
#define UNDER_SANITIZER 1
#else
#define UNDER_SANITIZER 0
#endif

static mproc_mpi_mode mode = MPROC_MPI_STATIC;
static int chosen; /* the launch chose the backend: --mproc-backend=mpi */

static void check(mproc_status got, mproc_status want, const char *what, int line) {
  if (got != want)
    fprintf(stderr, "\nline %d: %s returned %s, wanted %s: %s\n", line, what,
            mproc_status_name(got), mproc_status_name(want), mproc_last_error());
  CU_assertImplementation(got == want, (unsigned)line, what, __FILE__, "", CU_FALSE);
}
#define T_OK(e) check((e), MPROC_OK, #e, __LINE__)
#define T_STATUS(e, w) check((e), (w), #e, __LINE__)

static void sleep_ms(int64_t ms) { apr_sleep((apr_interval_time_t)ms * 1000); }

static mproc_pool *new_pool(const mproc_pool_options *o) {
  mproc_pool *p = NULL;
  T_OK(mproc_mpi_pool_create(&p, o, &(mproc_mpi_options){.mode = mode}));
  CU_ASSERT_FATAL(p != NULL);
  return p;
}

/* ---- tests ---- */

static void test_tasks_and_maps(void) {
  mproc_pool *p = new_pool(&(mproc_pool_options){.workers = WORKERS});
  mproc_args *a = NULL;
  mproc_future *f = NULL;
  const mproc_args *fr = NULL;
  int64_t y = 0;
  CU_ASSERT(rt_check_squares(p, 500, 7) == 0);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)12));
  T_OK(mproc_pool_submit(p, &f, "rt_square", a, NULL));
  T_OK(mproc_future_get(f, BOUND_MS, &fr));
  T_OK(mproc_args_unpack(fr, "i64", &y));
  CU_ASSERT_EQUAL(y, 144);
  mproc_future_destroy(f);
  mproc_args_destroy(a);
  T_OK(mproc_pool_destroy(p));
}

/* Items 0..n-1 of a lazy source: [index]. */
static mproc_status ten_items(void *user, size_t index, mproc_args *item) {
  (void)user;
  return index < 10 ? mproc_args_add_i64(item, (int64_t)index) : MPROC_EEND;
}

static void count_call(mproc_map *map, void *user) {
  (void)map;
  ++*(int *)user;
}

static void future_call(mproc_future *future, void *user) {
  (void)future;
  ++*(int *)user;
}

/* The rest of the pool's API on MPI, unchanged: imap_unordered, a lazy
 * source, starmap, map_async with its callback, a submit's callback,
 * close and join. */
static void test_the_rest_of_the_api(void) {
  mproc_pool *p = new_pool(&(mproc_pool_options){.workers = WORKERS});
  mproc_args *items = NULL, *lists[5], *results = NULL, *a = NULL;
  mproc_map *m = NULL;
  mproc_map_item it;
  mproc_future *f = NULL;
  const mproc_args *fr = NULL;
  int64_t sum = 0, y = 0;
  int i, seen = 0, mapped = 0, called = 0;
  size_t n = 0;
  T_OK(mproc_args_create(&items));
  for (i = 0; i < 20; i++)
    T_OK(mproc_args_add_i64(items, i));
  T_OK(mproc_pool_imap(p, &m, "rt_square", items,
                       &(mproc_map_options){.chunksize = 1, .unordered = 1}));
  while (mproc_map_next(m, BOUND_MS, &it) == MPROC_OK) {
    T_OK(it.status);
    T_OK(mproc_args_unpack(it.result, "i64", &y));
    CU_ASSERT_EQUAL(y, (int64_t)it.index * (int64_t)it.index);
    sum += y;
    seen++;
  }
  CU_ASSERT(seen == 20 && sum == 2470); /* 0^2 + ... + 19^2 */
  T_OK(mproc_map_destroy(m));
  T_OK(mproc_pool_imap_source(p, &m, "rt_square", ten_items, NULL, NULL));
  for (seen = 0; mproc_map_next(m, BOUND_MS, &it) == MPROC_OK; seen++)
    CU_ASSERT(it.status == MPROC_OK && it.index == (size_t)seen);
  CU_ASSERT_EQUAL(seen, 10);
  T_OK(mproc_map_destroy(m));
  for (i = 0; i < 5; i++)
    T_OK(mproc_args_create_packed(&lists[i], "i64", (int64_t)i + 1));
  T_OK(mproc_pool_starmap(p, "rt_square", (const mproc_args *const *)lists, 5, NULL, &results,
                          NULL));
  T_OK(mproc_args_count(results, &n));
  CU_ASSERT_EQUAL(n, 5);
  mproc_args_destroy(results);
  T_OK(mproc_pool_map_async(p, &m, "rt_square", items,
                            &(mproc_map_options){.callback = count_call, .user = &mapped}));
  T_OK(mproc_map_wait(m, BOUND_MS));
  CU_ASSERT_EQUAL(mapped, 1);
  T_OK(mproc_map_destroy(m));
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)6));
  T_OK(mproc_pool_submit(p, &f, "rt_square", a,
                         &(mproc_task_options){.callback = future_call, .user = &called}));
  T_OK(mproc_future_get(f, BOUND_MS, &fr));
  T_OK(mproc_args_unpack(fr, "i64", &y));
  CU_ASSERT(y == 36 && called == 1);
  mproc_future_destroy(f);
  T_OK(mproc_pool_close(p));
  T_OK(mproc_pool_join(p, BOUND_MS));
  T_STATUS(mproc_pool_apply(p, "rt_square", a, NULL), MPROC_ESTATE); /* closed */
  mproc_args_destroy(a);
  for (i = 0; i < 5; i++)
    mproc_args_destroy(lists[i]);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

/* mproc_pool_cancel(): running tasks see mproc_cancelled() on their hosts. */
static void test_cancel(void) {
  mproc_pool *p = new_pool(&(mproc_pool_options){.workers = WORKERS});
  mproc_future *f[WORKERS];
  mproc_args *a = NULL;
  apr_time_t t0;
  int i;
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)BOUND_MS));
  for (i = 0; i < WORKERS; i++)
    T_OK(mproc_pool_submit(p, &f[i], "rt_nap", a, NULL));
  sleep_ms(300);
  t0 = apr_time_now();
  T_OK(mproc_pool_cancel(p));
  for (i = 0; i < WORKERS; i++) {
    T_OK(mproc_future_wait(f[i], BOUND_MS));
    T_STATUS(mproc_future_get(f[i], 0, NULL), MPROC_ECANCELED);
    mproc_future_destroy(f[i]);
  }
  CU_ASSERT(apr_time_now() - t0 < apr_time_from_sec(5)); /* they saw it, no grace expired */
  mproc_args_destroy(a);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)10)); /* then work goes on */
  T_OK(mproc_pool_apply(p, "rt_nap", a, NULL));
  mproc_args_destroy(a);
  T_OK(mproc_pool_destroy(p));
}

/* A task's bail-out (mproc_task_cancel_pool) ends a map early. */
static void test_bailout(void) {
  mproc_pool *p = new_pool(&(mproc_pool_options){.workers = WORKERS});
  int64_t in[200], out[200];
  mproc_status st[200];
  int i, cancelled = 0;
  for (i = 0; i < 200; i++)
    in[i] = i;
  T_STATUS(
      mproc_pool_map_i64(p, "rt_search", in, 200, &(mproc_map_options){.chunksize = 1}, out, st),
      MPROC_ECANCELED);
  CU_ASSERT(st[10] == MPROC_OK && out[10] == 10);
  for (i = 0; i < 200; i++)
    cancelled += st[i] == MPROC_ECANCELED;
  CU_ASSERT(cancelled > 100); /* most never ran */
  T_OK(mproc_pool_destroy(p));
}

/* A task over its timeout: its host kills the worker and starts another;
 * a crash the same. */
static void test_timeout_and_crash(void) {
  mproc_pool *p = new_pool(&(mproc_pool_options){.workers = 1, .task_timeout_ms = 500});
  mproc_args *a = NULL, *r = NULL;
  int64_t y = 0;
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)BOUND_MS));
  T_STATUS(mproc_pool_apply(p, "rt_nap", a, NULL), MPROC_ETIMEDOUT);
  T_STATUS(mproc_pool_apply(p, "rt_crash", NULL, NULL), MPROC_ECRASHED);
  mproc_args_destroy(a);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)9));
  T_OK(mproc_pool_apply(p, "rt_square", a, &r));
  T_OK(mproc_args_unpack(r, "i64", &y));
  CU_ASSERT_EQUAL(y, 81);
  mproc_args_destroy(a);
  mproc_args_destroy(r);
  T_OK(mproc_pool_destroy(p));
}

/* A failing initializer on a host is reported once, with its message. */
static void test_initializer_fails(void) {
  mproc_pool *p = new_pool(&(mproc_pool_options){.workers = WORKERS, .initializer = "rt_bad_init"});
  T_STATUS(mproc_pool_apply(p, "rt_square", NULL, NULL), MPROC_EINITFAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "no database"));
  T_OK(mproc_pool_destroy(p));
}

/* Task @fn [args] on the pool: its i64 result (-1 when it failed). */
static int64_t apply_i64(mproc_pool *p, const char *fn, int64_t k, int64_t on, int64_t ms) {
  mproc_args *a = NULL, *r = NULL;
  int64_t y = -1;
  T_OK(mproc_args_create_packed(&a, "i64 i64 i64", k, on, ms));
  T_OK(mproc_pool_apply(p, fn, a, &r));
  if (r)
    T_OK(mproc_args_unpack(r, "i64", &y));
  mproc_args_destroy(a);
  mproc_args_destroy(r);
  return y;
}

/* Events in the initargs (nested too) are mirrored: a worker's set reaches
 * the parent and the other workers, the parent's clear and set reach the
 * workers, and a worker started later (after a crash) starts in the
 * current state. */
static void test_events_mirrored(void) {
  mproc_event *e[2];
  mproc_args *init = NULL, *inner = NULL, *a = NULL;
  const mproc_args *r = NULL;
  mproc_future *waiting = NULL;
  mproc_pool *p;
  int64_t reached = -1;
  T_OK(mproc_event_create(&e[0]));
  T_OK(mproc_event_create(&e[1]));
  T_OK(mproc_args_create(&init));
  T_OK(mproc_args_create(&inner));
  T_OK(mproc_args_add_event(init, e[0]));
  T_OK(mproc_args_add_event(inner, e[1]));
  T_OK(mproc_args_add_list(init, inner));
  p = new_pool(
      &(mproc_pool_options){.workers = WORKERS, .initializer = "rt_keep_events", .initargs = init});
  /* one worker waits for Event 0; the other sets it */
  T_OK(mproc_args_create_packed(&a, "i64 i64 i64", (int64_t)0, (int64_t)1, (int64_t)BOUND_MS));
  T_OK(mproc_pool_submit(p, &waiting, "rt_event_await", a, NULL));
  sleep_ms(200);
  mproc_args_destroy(a);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)0));
  T_OK(mproc_pool_apply(p, "rt_event_set", a, NULL));
  T_OK(mproc_future_get(waiting, BOUND_MS, &r));
  T_OK(mproc_args_unpack(r, "i64", &reached));
  CU_ASSERT_EQUAL(reached, 1);
  T_OK(mproc_event_wait(e[0], BOUND_MS)); /* the parent's own */
  CU_ASSERT(!mproc_event_is_set(e[1]));
  /* the parent clears 0 and sets 1: every worker follows */
  T_OK(mproc_event_clear(e[0]));
  T_OK(mproc_event_set(e[1]));
  CU_ASSERT_EQUAL(apply_i64(p, "rt_event_await", 0, 0, BOUND_MS), 1);
  CU_ASSERT_EQUAL(apply_i64(p, "rt_event_await", 1, 1, BOUND_MS), 1);
  /* a worker after a crash starts with the current states */
  T_STATUS(mproc_pool_apply(p, "rt_crash", NULL, NULL), MPROC_ECRASHED);
  T_STATUS(mproc_pool_apply(p, "rt_crash", NULL, NULL), MPROC_ECRASHED);
  CU_ASSERT_EQUAL(apply_i64(p, "rt_event_await", 1, 1, 0), 1);
  CU_ASSERT_EQUAL(apply_i64(p, "rt_event_await", 0, 0, 0), 1);
  mproc_future_destroy(waiting);
  mproc_args_destroy(a);
  T_OK(mproc_pool_destroy(p));
  mproc_args_destroy(inner);
  mproc_args_destroy(init);
  T_OK(mproc_event_destroy(e[0]));
  T_OK(mproc_event_destroy(e[1]));
}

/* mproc_pool_create() makes an MPI pool when the launch chose the backend
 * (its workers' parents are hosts), else a local one (their parent is us). */
static void test_plain_pool_create(void) {
  mproc_pool *p = NULL;
  mproc_args *r = NULL;
  int64_t parent = 0;
  T_OK(mproc_pool_create(&p, &(mproc_pool_options){.workers = 1}));
  CU_ASSERT_FATAL(p != NULL);
  T_OK(mproc_pool_apply(p, "rt_parent_pid", NULL, &r));
  T_OK(mproc_args_unpack(r, "i64", &parent));
  CU_ASSERT(chosen ? parent != mproc_self_pid() && parent > 0 : parent == mproc_self_pid());
  mproc_args_destroy(r);
  T_OK(mproc_pool_destroy(p));
}

/* [ms] -> the worker's parent's pid (its host's), after a nap of @ms */
static int nap_parent(const mproc_args *a, mproc_args *r) {
  int64_t ms;
  if (mproc_args_unpack(a, "i64", &ms))
    return 2;
  sleep_ms(ms);
  return mproc_args_pack(r, "i64", mproc_self_parent_pid()) != MPROC_OK;
}

/* A host that stops answering (SIGSTOP: alive to MPI, silent to the pool)
 * is lost after host_silence_ms: the task it ran fails (ECRASHED), the map
 * ends, and the pool goes on with the other host. Resumed, it ends its
 * worker and serves again at the next pool. */
static void test_silent_host(void) {
#ifndef _WIN32
  mproc_pool *p = NULL;
  mproc_future *f[WORKERS];
  const mproc_args *r = NULL;
  mproc_args *a = NULL;
  int64_t host[WORKERS], in[40], out[40];
  mproc_status st[40];
  apr_time_t t0;
  int i, crashed = 0, ok = 0;
  T_OK(mproc_mpi_pool_create(&p, &(mproc_pool_options){.workers = WORKERS},
                             &(mproc_mpi_options){.mode = mode, .host_silence_ms = 1500}));
  CU_ASSERT_FATAL(p != NULL);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)300));
  for (i = 0; i < WORKERS; i++)
    T_OK(mproc_pool_submit(p, &f[i], "nap_parent", a, NULL));
  for (i = 0; i < WORKERS; i++) {
    T_OK(mproc_future_get(f[i], BOUND_MS, &r));
    T_OK(mproc_args_unpack(r, "i64", &host[i]));
    mproc_future_destroy(f[i]);
  }
  mproc_args_destroy(a);
  CU_ASSERT_FATAL(host[0] != host[1] && host[0] > 1 && host[0] != mproc_self_pid());
  CU_ASSERT_FATAL(kill((pid_t)host[0], SIGSTOP) == 0);
  for (i = 0; i < 40; i++)
    in[i] = i;
  t0 = apr_time_now();
  T_STATUS(
      mproc_pool_map_i64(p, "rt_square", in, 40, &(mproc_map_options){.chunksize = 1}, out, st),
      MPROC_ECRASHED);
  CU_ASSERT(apr_time_now() - t0 < apr_time_from_sec(20)); /* no hang */
  for (i = 0; i < 40; i++) {
    crashed += st[i] == MPROC_ECRASHED;
    ok += st[i] == MPROC_OK && out[i] == in[i] * in[i];
  }
  CU_ASSERT(crashed >= 1 && crashed + ok == 40);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)5)); /* the pool goes on */
  T_OK(mproc_pool_apply(p, "rt_square", a, NULL));
  mproc_args_destroy(a);
  CU_ASSERT(kill((pid_t)host[0], SIGCONT) == 0);
  T_OK(mproc_pool_destroy(p));
  p = new_pool(&(mproc_pool_options){.workers = WORKERS}); /* both hosts serve again */
  CU_ASSERT(rt_check_squares(p, 100, 1) == 0); /* (nothing of the lost worker's leaks in) */
  T_OK(mproc_pool_destroy(p));
#endif
}

/* Resident KB of process @pid (0: this one), from Linux's /proc: -1 elsewhere. */
static int64_t rss_kb(int64_t pid) {
  char path[64];
  long pages = -1, resident = -1, page_kb = 4;
  FILE *f;
#ifndef _WIN32
  page_kb = sysconf(_SC_PAGESIZE) / 1024;
#endif
  if (pid)
    snprintf(path, sizeof path, "/proc/%lld/statm", (long long)pid);
  else
    snprintf(path, sizeof path, "/proc/self/statm");
  if ((f = fopen(path, "r")) == NULL)
    return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = -1;
  fclose(f);
  return resident < 0 ? -1 : (int64_t)resident * page_kb;
}

/* [] -> its host's resident KB */
static int host_rss(const mproc_args *a, mproc_args *r) {
  (void)a;
  return mproc_args_pack(r, "i64", rss_kb(mproc_self_parent_pid())) != MPROC_OK;
}

/* The host's and this process's resident KB, after @tasks more tasks
 * on @p (each on a worker of its own). */
static void churn(mproc_pool *p, int tasks, int64_t *host_kb, int64_t *own_kb) {
  mproc_args *a = NULL, *r = NULL;
  int i;
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)3));
  for (i = 0; i < tasks; i++)
    T_OK(mproc_pool_apply(p, "rt_square", a, NULL));
  mproc_args_destroy(a);
  T_OK(mproc_pool_apply(p, "host_rss", NULL, &r));
  T_OK(mproc_args_unpack(r, "i64", host_kb));
  mproc_args_destroy(r);
  *own_kb = rss_kb(0);
}

/* Each worker's start on a host (a relay thread on both sides) costs
 * nothing that stays: 300 starts on one host grow neither the host nor the
 * parent by 400 KB (a thread's pool kept per start would be 4 KB each). */
static void test_worker_starts_keep_nothing(void) {
  mproc_pool *p = new_pool(&(mproc_pool_options){.workers = 1, .max_tasks_per_child = 1});
  int64_t host0 = 0, own0 = 0, host1 = 0, own1 = 0;
  churn(p, 60, &host0, &own0); /* (warmed up: MPI's and the allocator's own buffers) */
  churn(p, 300, &host1, &own1);
  T_OK(mproc_pool_destroy(p));
  if (host0 < 0 || own0 < 0 || UNDER_SANITIZER)
    return; /* (no /proc, or a sanitizer: nothing to measure) */
  fprintf(stderr, "\n  host %lld -> %lld KB, parent %lld -> %lld KB ", (long long)host0,
          (long long)host1, (long long)own0, (long long)own1);
  CU_ASSERT(host1 - host0 < 400);
  CU_ASSERT(own1 - own0 < 400);
}

static void test_bad_input(void) {
  mproc_pool *p = NULL, *q = NULL;
  mproc_mpi_options o = {.mode = mode};
  T_STATUS(mproc_mpi_pool_create(NULL, NULL, &o), MPROC_EINVAL);
  o.reserved[3] = 1;
  T_STATUS(mproc_mpi_pool_create(&p, NULL, &o), MPROC_EINVAL);
  if (mode == MPROC_MPI_STATIC) {
    T_STATUS(mproc_mpi_pool_create(&p, &(mproc_pool_options){.workers = 99},
                                   &(mproc_mpi_options){.mode = mode}),
             MPROC_ERANGE);
  }
  { /* a shared object other than an Event cannot cross to the hosts, even nested */
    mproc_lock *l = NULL;
    mproc_args *init = NULL, *inner = NULL;
    T_OK(mproc_lock_create(&l));
    T_OK(mproc_args_create_packed(&inner, "i64", (int64_t)1));
    T_OK(mproc_args_add_lock(inner, l));
    T_OK(mproc_args_create_packed(&init, "str list", "x", inner));
    T_STATUS(mproc_mpi_pool_create(&p, &(mproc_pool_options){.workers = 1, .initargs = init},
                                   &(mproc_mpi_options){.mode = mode}),
             MPROC_ENOTSHAREABLE);
    CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "initargs[1][1] is a Lock"));
    CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "mpi backend"));
    mproc_args_destroy(init);
    mproc_args_destroy(inner);
    T_OK(mproc_lock_destroy(l));
  }
  p = new_pool(&(mproc_pool_options){.workers = 1});
  { /* nor, in a task's arguments, any object */
    mproc_event *e = NULL;
    mproc_args *a = NULL;
    T_OK(mproc_event_create(&e));
    T_OK(mproc_args_create_packed(&a, "i64", (int64_t)2));
    T_OK(mproc_args_add_event(a, e));
    T_STATUS(mproc_pool_apply(p, "rt_square", a, NULL), MPROC_ENOTSHAREABLE);
    CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "args[1] is an Event"));
    mproc_args_destroy(a);
    T_OK(mproc_event_destroy(e));
  }
  T_STATUS(mproc_mpi_pool_create(&q, NULL, &(mproc_mpi_options){.mode = mode}), MPROC_ESTATE);
  T_STATUS(mproc_mpi_finalize(), MPROC_ESTATE); /* a pool lives */
  T_OK(mproc_pool_destroy(p));
}

static CU_TestInfo tests[] = {
    {"tasks and maps", test_tasks_and_maps},
    {"imap, a source, starmap, callbacks, close and join", test_the_rest_of_the_api},
    {"cancel reaches the hosts", test_cancel},
    {"a task's bail-out ends a map", test_bailout},
    {"timeout and crash: the host replaces its worker", test_timeout_and_crash},
    {"a failing initializer, reported once", test_initializer_fails},
    {"Events in the initargs are mirrored", test_events_mirrored},
    {"mproc_pool_create() follows the launch's choice", test_plain_pool_create},
    {"a host that stops answering is lost; the pool goes on", test_silent_host},
    {"a worker per task: the host's and the parent's memory stays flat",
     test_worker_starts_keep_nothing},
    {"bad input", test_bad_input},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {REMOTE_TASKS, MPROC_FUNCTION(nap_parent),
                                           MPROC_FUNCTION(host_rss), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  CU_SuiteInfo suites[] = {{"mpi", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
  unsigned failed;
  int i;
  for (i = 1; i < argc; i++)
    chosen |= strcmp(argv[i], "--mproc-backend=mpi") == 0;
  if (mproc_mpi_init(&argc, &argv, functions) != MPROC_OK) { /* hosts never return */
    fprintf(stderr, "mproc_mpi_init: %s\n", mproc_last_error());
    return 1;
  }
  for (i = 1; i < argc; i++)
    if (strcmp(argv[i], "--spawn") == 0)
      mode = MPROC_MPI_SPAWN;
  if (CU_initialize_registry() != CUE_SUCCESS || CU_register_suites(suites) != CUE_SUCCESS)
    return 1;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
