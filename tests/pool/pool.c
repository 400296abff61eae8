/* Tests of runtime/pool/: the parent side and the worker: real workers, real crashes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic.h"
#include "platform.h"
#include "shared/object.h" /* names */
#include "wire/args.h"
#include "tests.h"

static mproc_event *init_event; /* set by pool_init in each worker */

static int pool_square(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  if (mproc_args_get_i64(a, 0, &x))
    return 1;
  return mproc_args_add_i64(r, x * x) ? 1 : 0;
}

static int pool_pid(const mproc_args *a, mproc_args *r) {
  (void)a;
  return mproc_args_add_i64(r, mproc_self_pid()) ? 1 : 0;
}

static int pool_fail(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  mproc_task_fail("no luck");
  return 7;
}

/* x < 0: die by a signal; otherwise sleep x ms, then return x. */
static int pool_sleep_or_die(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  mproc_args_get_i64(a, 0, &x);
  if (x < 0)
    t_abort();
  t_sleep_ms(x);
  return mproc_args_add_i64(r, x) ? 1 : 0;
}

/* Returns its arguments. */
static int pool_echo(const mproc_args *a, mproc_args *r) {
  size_t n = 0;
  mproc_args_count(a, &n);
  return mproc__args_append(r, a, 0, n) ? 1 : 0;
}

/* Item 10 finds "the answer" and cancels the rest; the others work ~20 ms,
 * checking for cancellation as they go. */
static int pool_bailout(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  int i;
  mproc_args_get_i64(a, 0, &x);
  if (x == 10) {
    mproc_task_cancel_pool();
    return mproc_args_add_i64(r, x) ? 1 : 0;
  }
  for (i = 0; i < 20; i++) {
    if (mproc_cancelled())
      return 1;
    t_sleep_ms(1);
  }
  return mproc_args_add_i64(r, x) ? 1 : 0;
}

static int pool_init(const mproc_args *a, mproc_args *r) {
  (void)r;
  return mproc_args_open_event(a, 0, &init_event) == MPROC_OK ? 0 : 1;
}

/* An initializer that takes its time (ms in arg 0). */
static int pool_init_slow(const mproc_args *a, mproc_args *r) {
  int64_t ms = 0;
  (void)r;
  mproc_args_get_i64(a, 0, &ms);
  t_sleep_ms(ms);
  return 0;
}

/* [counter array]: the pool's first two workers start at once; every
 * replacement blocks in its initializer until it is killed. */
static int pool_init_block_replacements(const mproc_args *a, mproc_args *r) {
  mproc_array *c = NULL;
  int64_t before = 0;
  (void)r;
  if (mproc_args_open_array(a, 0, &c) || mproc_array_add_i64(c, 0, 1, &before))
    return 1;
  if (before >= 2)
    t_sleep_ms(T_FOREVER_MS);
  return 0;
}

/* Destroys a pool right after one of its workers crashed: the replacement,
 * blocked in its initializer, must not keep destroy waiting. Exits 0. */
static int pool_destroy_after_crash(const mproc_args *a, mproc_args *r) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_array *c = NULL;
  mproc_args *init = NULL, *x = NULL;
  mproc_future *f = NULL;
  mproc_status st = MPROC_EFAILED;
  (void)a;
  (void)r;
  if (mproc_array_create(&c, MPROC_ELEM_I64, 1, NULL) || mproc_args_create(&init) ||
      mproc_args_add_array(init, c) || mproc_args_create(&x) || mproc_args_add_i64(x, -1))
    return 2;
  memset(&o, 0, sizeof o);
  o.workers = 2;
  o.initializer = "pool_init_block_replacements";
  o.initargs = init;
  if (mproc_pool_create(&p, &o) || mproc_pool_submit(p, &f, "pool_sleep_or_die", x, NULL))
    return 3;
  st = mproc_future_get(f, T_BOUND_MS, NULL);
  mproc_future_destroy(f);
  mproc_pool_destroy(p); /* bounded: the parent's t_finish() says if not */
  mproc_args_destroy(x);
  mproc_args_destroy(init);
  mproc_array_destroy(c);
  return st == MPROC_ECRASHED ? 0 : 4;
}

/* [array of 9]: records this worker's pid in the next slot (slot 0 counts
 * them) and creates an Event it never destroys: the names a killed worker
 * leaves behind. */
static int pool_init_leak_event(const mproc_args *a, mproc_args *r) {
  mproc_array *c = NULL;
  mproc_event *e = NULL;
  int64_t before = 0;
  (void)r;
  if (mproc_args_open_array(a, 0, &c) || mproc_array_add_i64(c, 0, 1, &before) ||
      mproc_event_create(&e))
    return 1;
  if (before < 8)
    mproc_array_set_i64(c, (size_t)before + 1, mproc_self_pid());
  return 0;
}

/* Returns one value as large as a list may hold, so that the RESULT, which
 * adds its header, is over the limit. */
static int pool_too_large_result(const mproc_args *a, mproc_args *r) {
  size_t n = MPROC_ARGS_MAX_SIZE - 13; /* the list's 8-byte header, a value's 5 */
  char *big = calloc(1, n);
  int rc;
  (void)a;
  rc = !big || mproc_args_add_bytes(r, big, n) != MPROC_OK;
  free(big);
  return rc;
}

/* [path]: with stderr in @path, a worker whose RESULT cannot be written
 * ends, and says why there. Exits 0 if the task crashed and the message is
 * there. */
static int pool_worker_says_why(const mproc_args *a, mproc_args *r) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_future *f = NULL;
  const char *path = NULL;
  char text[2048] = "";
  mproc_status st;
  (void)r;
  if (mproc_args_get_str(a, 0, &path) || !freopen(path, "w", stderr))
    return 2;
  memset(&o, 0, sizeof o);
  o.workers = 1;
  if (mproc_pool_create(&p, &o) || mproc_pool_submit(p, &f, "pool_too_large_result", NULL, NULL))
    return 3;
  st = mproc_future_get(f, T_BOUND_MS, NULL);
  mproc_future_destroy(f);
  mproc_pool_destroy(p);
  fflush(stderr);
  t_read_file(path, text, sizeof text);
  return st == MPROC_ECRASHED && strstr(text, "pool worker") && strstr(text, "the RESULT") ? 0 : 4;
}

static int pool_init_fails(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  mproc_task_fail("initializer says no");
  return 1;
}

/* Returns whether the initializer's event is set. */
/* A record [name, age, scores (a list of f64)], with an array last if it
 * carries one, as the row [name, age + 1, [sum of scores, their count]];
 * a carried array, opened from the nested list, gets the sum added to its
 * element 0. */
static int record_row(const mproc_args *rec, mproc_args *row) {
  const char *name = NULL;
  const mproc_args *scores = NULL;
  mproc_args *stats = NULL;
  mproc_array *arr = NULL;
  int64_t age = 0;
  double sum = 0, x = 0;
  size_t n = 0, fields = 0, i;
  int bad;
  if (mproc_args_unpack(rec, "str i64 list ...", &name, &age, &scores) ||
      mproc_args_count(scores, &n) || mproc_args_count(rec, &fields))
    return 1;
  for (i = 0; i < n; i++) {
    if (mproc_args_get_f64(scores, i, &x))
      return 1;
    sum += x;
  }
  if (fields == 4 && (mproc_args_open_array(rec, 3, &arr) ||
                      mproc_array_add_i64(arr, 0, (int64_t)sum, NULL) || mproc_array_close(arr)))
    return 1;
  bad = mproc_args_create_packed(&stats, "f64 i64", sum, (int64_t)n) ||
        mproc_args_pack(row, "str i64 list", name, age + 1, stats);
  if (stats)
    mproc_args_destroy(stats);
  return bad;
}

/* [records] -> [rows]: one list of records in, one list of lists out. */
static int pool_records(const mproc_args *a, mproc_args *r) {
  const mproc_args *records = NULL, *rec = NULL;
  mproc_args *rows = NULL, *row = NULL;
  size_t n = 0, i;
  int bad = mproc_args_unpack(a, "list", &records) || mproc_args_count(records, &n) ||
            mproc_args_create(&rows) || mproc_args_create(&row);
  for (i = 0; i < n && !bad; i++)
    bad = mproc_args_clear(row) || mproc_args_get_list(records, i, &rec) || record_row(rec, row) ||
          mproc_args_add_list(rows, row);
  if (!bad)
    bad = mproc_args_add_list(r, rows);
  if (rows)
    mproc_args_destroy(rows);
  if (row)
    mproc_args_destroy(row);
  return bad;
}

/* A map item: [record] -> [row]. */
static int pool_record(const mproc_args *a, mproc_args *r) {
  const mproc_args *rec = NULL;
  mproc_args *row = NULL;
  int bad = mproc_args_unpack(a, "list", &rec) || mproc_args_create(&row) || record_row(rec, row) ||
            mproc_args_add_list(r, row);
  if (row)
    mproc_args_destroy(row);
  return bad;
}

static int pool_check_init(const mproc_args *a, mproc_args *r) {
  (void)a;
  return mproc_args_add_bool(r, init_event && mproc_event_is_set(init_event)) ? 1 : 0;
}

/* A task that runs a pool of its own. */
static int pool_nested(const mproc_args *a, mproc_args *r) {
  mproc_pool *p = NULL;
  mproc_pool_options o;
  mproc_args *res = NULL;
  int64_t v = 0;
  memset(&o, 0, sizeof o);
  o.workers = 1;
  if (mproc_pool_create(&p, &o) || mproc_pool_apply(p, "pool_square", a, &res) ||
      mproc_args_get_i64(res, 0, &v))
    return 1;
  mproc_args_destroy(res);
  mproc_pool_destroy(p);
  return mproc_args_add_i64(r, v) ? 1 : 0;
}

/* A task that runs a Process of its own (pool_fail fails: exit code 1) and
 * returns that process's exit code: workers are not daemonic. */
static int pool_runs_process(const mproc_args *a, mproc_args *r) {
  mproc_process *p = NULL;
  int code = -1;
  (void)a;
  if (mproc_process_create(&p, "pool_fail", NULL, NULL) || mproc_process_start(p) ||
      mproc_process_join(p, T_BOUND_MS) || mproc_process_exitcode(p, &code))
    return 1;
  mproc_process_destroy(p);
  return mproc_args_add_i64(r, code) ? 1 : 0;
}

/* args: [rc, event]: sets the event (it runs), waits until the pool is
 * cancelled, then returns rc with the result [42]. */
static int pool_rc_after_cancel(const mproc_args *a, mproc_args *r) {
  mproc_event *running = NULL;
  int64_t rc = 1, waited = 0;
  if (mproc_args_get_i64(a, 0, &rc) || mproc_args_open_event(a, 1, &running) ||
      mproc_event_set(running))
    return 1;
  mproc_event_close(running);
  while (!mproc_cancelled() && waited++ < T_BOUND_MS / 5)
    t_sleep_ms(5);
  return mproc_args_add_i64(r, 42) ? 1 : (int)rc;
}

static char pid_prefix[1024]; /* set in workers by pool_set_prefix */

static int pool_set_prefix(const mproc_args *a, mproc_args *r) {
  const char *prefix;
  (void)r;
  if (mproc_args_get_str(a, 0, &prefix))
    return 1;
  snprintf(pid_prefix, sizeof pid_prefix, "%s", prefix);
  return 0;
}

/* Writes its pid to "<prefix>.<item>", then works until cancelled. */
static int pool_until_cancelled(const mproc_args *a, mproc_args *r) {
  char path[1100], text[32];
  int64_t item = 0;
  (void)r;
  if (mproc_args_get_i64(a, 0, &item))
    return 1;
  snprintf(path, sizeof path, "%s.%lld", pid_prefix, (long long)item);
  snprintf(text, sizeof text, "%lld", (long long)mproc_self_pid());
  t_write_file(path, text);
  while (!mproc_cancelled())
    t_sleep_ms(10);
  return 1;
}

/* args: [item]: as pool_until_cancelled, but never ends by itself: after a
 * cancel the grace runs out and the monitor kills it. */
static int pool_ignores_cancel(const mproc_args *a, mproc_args *r) {
  pool_until_cancelled(a, r);
  t_sleep_ms(T_FOREVER_MS);
  return 1;
}

/* args: [prefix, how]: a pool whose map runs until cancelled (a Ctrl-C
 * ends this process). When the map returns (MPROC_ECANCELED), how 0 carries
 * on; how 1 destroys the pool (the ordinary reaction), racing the
 * interrupt's own handling; how 2 returns 3 at once, as a program returning
 * from main() with its own status would; how 3 writes its standard error
 * (and its workers') to <prefix>.err and runs tasks that ignore the cancel,
 * so that their workers are killed while the interrupt is handled. */
static int pool_ctrlc_victim(const mproc_args *a, mproc_args *r) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_args *items = NULL, *init = NULL;
  const char *prefix = "";
  int64_t how = 0;
  (void)r;
  mproc_args_get_str(a, 0, &prefix);
  mproc_args_get_i64(a, 1, &how);
  if (how == 3) {
    char path[1100];
    snprintf(path, sizeof path, "%s.err", prefix);
    if (!freopen(path, "w", stderr))
      return 5;
    setvbuf(stderr, NULL, _IONBF, 0);
  }
  mproc_args_create(&init);
  mproc_args_add_str(init, prefix);
  memset(&o, 0, sizeof o);
  o.workers = 2;
  o.initializer = "pool_set_prefix";
  o.initargs = init;
  o.cancel_grace_ms = how == 3 ? 50 : 0;
  if (mproc_pool_create(&p, &o))
    return 2;
  mproc_args_create(&items);
  mproc_args_add_i64(items, 0);
  mproc_args_add_i64(items, 1);
  if (mproc_pool_map(p, how == 3 ? "pool_ignores_cancel" : "pool_until_cancelled", items,
                     &(mproc_map_options){.chunksize = 1}, NULL, NULL) != MPROC_ECANCELED)
    return 4;
  if (how == 1)
    mproc_pool_destroy(p);
  if (how == 2)
    return 3;
  t_sleep_ms(T_FOREVER_MS); /* the program carries on; the interrupt ends it */
  return 3;
}

/* ---- tasks that report through a shared i64 array (the counters) ---- */

/* Slots of the counters: tasks that started, tasks that saw the cancel, the
 * pid of the last blocker (or map victim) that started. */
enum { C_STARTED, C_SAW_CANCEL, C_PID, C_SLOTS };

/* args [counters, x]: counts its start, returns x * x. */
static int pool_count(const mproc_args *a, mproc_args *r) {
  mproc_array *c = NULL;
  int64_t x = 0;
  int rc = 1;
  if (mproc_args_open_array(a, 0, &c) == MPROC_OK && mproc_args_get_i64(a, 1, &x) == MPROC_OK) {
    mproc_array_add_i64(c, C_STARTED, 1, NULL);
    rc = mproc_args_add_i64(r, x * x) ? 1 : 0;
  }
  if (c)
    mproc_array_close(c);
  return rc;
}

/* args [counters, ignore]: publishes its pid, counts its start, then waits
 * for the pool's cancel and fails with "saw the cancel"; with ignore != 0 it
 * never looks, so only a kill ends it. Gives up after T_BOUND_MS (returns 2). */
static int pool_block(const mproc_args *a, mproc_args *r) {
  mproc_array *c = NULL;
  int64_t ignore = 0, cancels = 0, end = t_now_ms() + T_BOUND_MS;
  int rc = 2;
  (void)r;
  if (mproc_args_open_array(a, 0, &c) || mproc_args_get_i64(a, 1, &ignore))
    return 1;
  mproc_args_get_i64(a, 2, &cancels); /* absent: 0 */
  mproc_array_set_i64(c, C_PID, mproc_self_pid());
  mproc_array_add_i64(c, C_STARTED, 1, NULL);
  if (cancels && mproc_task_cancel_pool() != MPROC_OK)
    rc = 1;
  while (rc == 2 && t_now_ms() < end) {
    if (!ignore && mproc_cancelled()) {
      mproc_array_add_i64(c, C_SAW_CANCEL, 1, NULL);
      mproc_task_fail("saw the cancel");
      rc = 1;
    }
    t_sleep_ms(5);
  }
  mproc_array_close(c);
  return rc;
}

static mproc_array *worker_counters; /* opened by pool_open_counters in each worker */

static int pool_open_counters(const mproc_args *a, mproc_args *r) {
  (void)r;
  return mproc_args_open_array(a, 0, &worker_counters) == MPROC_OK ? 0 : 1;
}

/* A map item: x < 0 publishes its pid in the worker's counters and waits to be
 * killed (T_BOUND_MS at most); otherwise returns x * x. */
static int pool_map_victim(const mproc_args *a, mproc_args *r) {
  int64_t x = 0, end = t_now_ms() + T_BOUND_MS;
  mproc_args_get_i64(a, 0, &x);
  if (x >= 0)
    return mproc_args_add_i64(r, x * x) ? 1 : 0;
  mproc_array_set_i64(worker_counters, C_PID, mproc_self_pid());
  while (t_now_ms() < end)
    t_sleep_ms(5);
  return 1;
}

/* A separate process, args [counters]: waits for a pid in C_PID and kills it. */
static int pool_killer(const mproc_args *a, mproc_args *r) {
  mproc_array *c = NULL;
  int64_t pid;
  (void)r;
  if (mproc_args_open_array(a, 0, &c))
    return 2;
  pid = t_array_wait_i64(c, C_PID, 1, T_BOUND_MS);
  mproc_array_close(c);
  return pid > 0 && t_hard_kill_pid(pid) ? 0 : 1;
}

/* args [event]: waits for the event (T_BOUND_MS at most); fails if it was not set. */
static int pool_wait_event(const mproc_args *a, mproc_args *r) {
  mproc_event *e = NULL;
  mproc_status st;
  (void)r;
  if (mproc_args_open_event(a, 0, &e))
    return 2;
  st = mproc_event_wait(e, T_BOUND_MS);
  mproc_event_close(e);
  return st == MPROC_OK ? 0 : 1;
}

/* [event]: sets it. -> this worker's pid */
static int pool_set_event(const mproc_args *a, mproc_args *r) {
  mproc_event *e = NULL;
  mproc_status st;
  if (mproc_args_open_event(a, 0, &e))
    return 2;
  st = mproc_event_set(e);
  mproc_event_close(e);
  return st != MPROC_OK || mproc_args_add_i64(r, mproc_self_pid());
}

/* [event]: waits for it, then fails ("no luck"). */
static int pool_fail_after(const mproc_args *a, mproc_args *r) {
  int rc = pool_wait_event(a, r);
  mproc_task_fail(rc == 0 ? "no luck" : "the gate never opened");
  return 7;
}

static int pool_segv(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  t_segfault();
}

static void *hoard; /* what pool_hog keeps */

/* args [mib]: allocates that many MiB, touches every page and keeps them;
 * returns its pid. */
static int pool_hog(const mproc_args *a, mproc_args *r) {
  int64_t mib = 0;
  void **block;
  if (mproc_args_get_i64(a, 0, &mib) || mib <= 0 || (block = malloc((size_t)mib << 20)) == NULL)
    return 1;
  memset(block, 1, (size_t)mib << 20);
  block[0] = hoard; /* a chain: every block stays reachable */
  hoard = block;
  return mproc_args_add_i64(r, mproc_self_pid()) ? 1 : 0;
}

static mproc_pool *make_pool(int workers, mproc_pool_options *o) {
  mproc_pool *p = NULL;
  mproc_pool_options d;
  memset(&d, 0, sizeof d);
  if (!o)
    o = &d;
  o->workers = workers;
  T_OK(mproc_pool_create(&p, o));
  return p;
}

static mproc_args *ints(int64_t from, int64_t n) {
  mproc_args *a = NULL;
  int64_t i;
  mproc_args_create(&a);
  for (i = 0; i < n; i++)
    mproc_args_add_i64(a, from + i);
  return a;
}

static mproc_array *counters(void) {
  mproc_array *c = NULL;
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, C_SLOTS, NULL));
  return c;
}

static int64_t counter(mproc_array *c, size_t slot) {
  int64_t v = -1;
  T_OK(mproc_array_get_i64(c, slot, &v));
  return v;
}

/* [counters, x]: the arguments of pool_count, pool_block and pool_killer. */
static mproc_args *with_counters(mproc_array *c, int64_t x) {
  mproc_args *a = NULL;
  mproc_args_create(&a);
  T_OK(mproc_args_add_array(a, c));
  mproc_args_add_i64(a, x);
  return a;
}

/* Submits @fn(@a) with @o and destroys @a; asserts success. */
static mproc_future *submit(mproc_pool *p, const char *fn, mproc_args *a,
                            const mproc_task_options *o) {
  mproc_future *f = NULL;
  T_OK(mproc_pool_submit(p, &f, fn, a, o));
  mproc_args_destroy(a);
  return f;
}

/* Waits for @f (the bound only catches a hang), checks its status through
 * mproc_future_get() and mproc_future_info() and, unless @part is NULL, that
 * its message contains @part; destroys it; returns its info, message dropped. */
static mproc_task_info settle(mproc_future *f, mproc_status want, const char *part) {
  mproc_task_info info;
  memset(&info, 0, sizeof info);
  if (!f)
    return info;
  T_STATUS(mproc_future_get(f, T_BOUND_MS, NULL), want);
  T_OK(mproc_future_info(f, &info));
  CU_ASSERT_EQUAL(info.status, want);
  if (part && (!info.message || !strstr(info.message, part)))
    fprintf(stderr, "\nmessage \"%s\" lacks \"%s\"\n", info.message ? info.message : "", part);
  CU_ASSERT(!part || (info.message && strstr(info.message, part)));
  info.message = "";
  mproc_future_destroy(f);
  return info;
}

/* The pid of the worker that runs the next task of @p. */
static int64_t worker_pid(mproc_pool *p) {
  mproc_args *res = NULL;
  int64_t pid = 0;
  T_OK(mproc_pool_apply(p, "pool_pid", NULL, &res));
  mproc_args_get_i64(res, 0, &pid);
  mproc_args_destroy(res);
  return pid;
}

static void test_apply_and_submit(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *a = ints(12, 1), *res = NULL;
  mproc_future *f[10];
  const mproc_args *r;
  int64_t v = 0;
  int i;
  T_OK(mproc_pool_apply(p, "pool_square", a, &res));
  T_OK(mproc_args_get_i64(res, 0, &v));
  CU_ASSERT_EQUAL(v, 144);
  mproc_args_destroy(res);
  mproc_args_destroy(a);
  for (i = 0; i < 10; i++) {
    a = ints(i, 1);
    T_OK(mproc_pool_submit(p, &f[i], "pool_square", a, NULL));
    mproc_args_destroy(a);
  }
  for (i = 0; i < 10; i++) {
    T_OK(mproc_future_get(f[i], T_BOUND_MS, &r));
    CU_ASSERT(mproc_future_done(f[i]));
    v = -1;
    mproc_args_get_i64(r, 0, &v);
    CU_ASSERT_EQUAL(v, i * i);
    mproc_future_destroy(f[i]);
  }
  T_OK(mproc_pool_destroy(p));
}

/* Three records [name, age, [1.0 .. i + 1.0]]; the last carries @c. */
static mproc_args *records(mproc_array *c) {
  static const char *const names[3] = {"ann", "bob", "cy"};
  mproc_args *recs = NULL, *rec = NULL, *scores = NULL;
  int i, j;
  T_OK(mproc_args_create(&recs));
  for (i = 0; i < 3; i++) {
    T_OK(mproc_args_create(&scores));
    for (j = 0; j <= i; j++)
      T_OK(mproc_args_add_f64(scores, j + 1.0));
    T_OK(mproc_args_create_packed(&rec, "str i64 list", names[i], (int64_t)(30 + 11 * i), scores));
    if (i == 2)
      T_OK(mproc_args_add_array(rec, c));
    T_OK(mproc_args_add_list(recs, rec));
    mproc_args_destroy(rec);
    mproc_args_destroy(scores);
  }
  return recs;
}

/* Whether @row is record i's: [name, age + 1, [sum, count]]. */
static int row_is(const mproc_args *row, int i) {
  static const char *const names[3] = {"ann", "bob", "cy"};
  const char *name = NULL;
  const mproc_args *stats = NULL;
  int64_t age = 0, n = 0;
  double sum = 0;
  if (!row || mproc_args_unpack(row, "str i64 list", &name, &age, &stats) ||
      mproc_args_unpack(stats, "f64 i64", &sum, &n))
    return 0;
  return strcmp(name, names[i]) == 0 && age == 31 + 11 * i && n == i + 1 &&
         sum == (i + 1) * (i + 2) / 2.0;
}

/* Lists inside lists cross to a worker and back: apply sends a list of
 * records and gets a list of lists; a map sends one record per item (in
 * chunks of two: a TASK's range and a RESULT's values hold lists) and gets
 * one row per item. The third record's array, opened from the nested list
 * by the worker, gets its sum (6) added each time. */
static void test_nested_lists(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_array *c = counters();
  mproc_args *recs = records(c), *a = NULL, *res = NULL;
  const mproc_args *rows = NULL, *row = NULL;
  mproc_status sts[3];
  size_t n = 0;
  int i;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_list(a, recs));
  T_OK(mproc_pool_apply(p, "pool_records", a, &res));
  T_OK(mproc_args_unpack(res, "list", &rows));
  if (rows)
    T_OK(mproc_args_count(rows, &n));
  CU_ASSERT_EQUAL(n, 3);
  for (i = 0; i < 3 && n == 3; i++) {
    row = NULL;
    T_OK(mproc_args_get_list(rows, (size_t)i, &row));
    CU_ASSERT(row_is(row, i));
  }
  mproc_args_destroy(res);
  res = NULL;
  T_OK(mproc_pool_map(p, "pool_record", recs, &(mproc_map_options){.chunksize = 2}, &res, sts));
  T_OK(mproc_args_count(res, &n));
  CU_ASSERT_EQUAL(n, 3);
  for (i = 0; i < 3 && n == 3; i++) {
    row = NULL;
    CU_ASSERT_EQUAL(sts[i], MPROC_OK);
    T_OK(mproc_args_get_list(res, (size_t)i, &row));
    CU_ASSERT(row_is(row, i));
  }
  CU_ASSERT_EQUAL(counter(c, 0), 12);
  mproc_args_destroy(res);
  mproc_args_destroy(a);
  mproc_args_destroy(recs);
  T_OK(mproc_pool_destroy(p));
  T_OK(mproc_array_destroy(c));
}

static void test_map_order_and_chunks(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *items = ints(0, 1000), *res = NULL;
  mproc_status *sts = calloc(1000, sizeof *sts);
  size_t n = 0, i, chunk;
  for (chunk = 0; chunk <= 7; chunk += 7) { /* the default, and 7 */
    int64_t v = 0;
    int ok = 1;
    T_OK(mproc_pool_map(p, "pool_square", items, &(mproc_map_options){.chunksize = chunk}, &res,
                        sts));
    T_OK(mproc_args_count(res, &n));
    CU_ASSERT_EQUAL(n, 1000);
    for (i = 0; i < n; i++)
      ok &=
          mproc_args_get_i64(res, i, &v) == MPROC_OK && v == (int64_t)(i * i) && sts[i] == MPROC_OK;
    CU_ASSERT(ok);
    mproc_args_destroy(res);
  }
  free(sts);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_failure_and_crash(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *a = ints(-1, 1), *items = ints(1, 20), *res = NULL;
  mproc_future *f = NULL;
  mproc_task_info info;
  mproc_status sts[21];
  int i, crashed = 0;
  T_STATUS(mproc_pool_apply(p, "pool_fail", NULL, NULL), MPROC_EFAILED);
  T_OK(mproc_pool_submit(p, &f, "pool_fail", NULL, NULL));
  T_STATUS(mproc_future_get(f, T_BOUND_MS, NULL), MPROC_EFAILED);
  T_OK(mproc_future_info(f, &info));
  CU_ASSERT_STRING_EQUAL(info.message, "no luck");
  mproc_future_destroy(f);
  /* a worker that dies fails only its own task, and is replaced */
  T_OK(mproc_pool_submit(p, &f, "pool_sleep_or_die", a, NULL));
  T_STATUS(mproc_future_get(f, T_BOUND_MS, NULL), MPROC_ECRASHED);
  T_OK(mproc_future_info(f, &info));
  CU_ASSERT(info.pid > 0);
  CU_ASSERT_EQUAL(info.exitcode, t_signal_exitcode(SIGABRT));
  mproc_future_destroy(f);
  mproc_args_destroy(a);
  /* mid-map: one item dies, the rest succeed */
  mproc_args_destroy(items);
  items = ints(1, 20);
  {
    mproc_args *mixed = NULL;
    mproc_args_create(&mixed);
    for (i = 0; i < 21; i++)
      mproc_args_add_i64(mixed, i == 7 ? -1 : 10);
    T_STATUS(mproc_pool_map(p, "pool_sleep_or_die", mixed, &(mproc_map_options){.chunksize = 1},
                            &res, sts),
             MPROC_ECRASHED);
    for (i = 0; i < 21; i++) {
      crashed += sts[i] == MPROC_ECRASHED;
      if (i != 7)
        CU_ASSERT_EQUAL(sts[i], MPROC_OK);
    }
    CU_ASSERT_EQUAL(crashed, 1);
    mproc_args_destroy(mixed);
    mproc_args_destroy(res);
  }
  T_OK(mproc_pool_map(p, "pool_square", items, NULL, NULL, NULL)); /* still usable */
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_timeout(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_args *a = ints(20000, 1);
  int64_t t0 = t_now_ms();
  memset(&o, 0, sizeof o);
  o.task_timeout_ms = 200;
  p = make_pool(1, &o);
  T_STATUS(mproc_pool_apply(p, "pool_sleep_or_die", a, NULL), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 < 15000);
  mproc_args_destroy(a);
  a = ints(3, 1);
  T_OK(mproc_pool_apply(p, "pool_square", a, NULL)); /* a new worker took over */
  mproc_args_destroy(a);
  T_OK(mproc_pool_destroy(p));
}

/* MPROC_WAIT_FOREVER as a task's timeout exempts it from the pool's (it
 * used to be read as "the pool's"); a map's option does the same. */
static void test_timeout_exempt(void) {
  mproc_pool_options o;
  mproc_task_options to;
  mproc_map_options mo;
  mproc_pool *p;
  mproc_map *m = NULL;
  mproc_args *slow = ints(400, 1);
  mproc_status sts[1] = {MPROC_EINVAL};
  memset(&o, 0, sizeof o);
  o.task_timeout_ms = 100;
  memset(&to, 0, sizeof to);
  to.timeout_ms = MPROC_WAIT_FOREVER;
  memset(&mo, 0, sizeof mo);
  mo.timeout_ms = MPROC_WAIT_FOREVER;
  p = make_pool(1, &o);
  settle(submit(p, "pool_sleep_or_die", ints(400, 1), &to), MPROC_OK, "");
  if (mproc_pool_map_async(p, &m, "pool_sleep_or_die", slow, &mo) == MPROC_OK) {
    T_OK(mproc_map_get(m, T_BOUND_MS, NULL, sts));
    CU_ASSERT_EQUAL(sts[0], MPROC_OK);
    T_OK(mproc_map_destroy(m));
  }
  mproc_args_destroy(slow);
  settle(submit(p, "pool_sleep_or_die", ints(400, 1), NULL), MPROC_ETIMEDOUT, NULL); /* pool's */
  T_OK(mproc_pool_destroy(p));
}

/* The timeout counts from when the worker is ready: a worker whose start-up
 * (here its initializer) takes longer than the timeout still runs its first
 * task, before and after a replacement. */
static void test_timeout_after_ready(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_args *init = ints(600, 1), *a = ints(7, 1), *r = NULL;
  int64_t y = 0;
  memset(&o, 0, sizeof o);
  o.task_timeout_ms = 200;
  o.initializer = "pool_init_slow";
  o.initargs = init;
  p = make_pool(1, &o);
  T_OK(mproc_pool_apply(p, "pool_square", a, &r));
  mproc_args_get_i64(r, 0, &y);
  CU_ASSERT_EQUAL(y, 49);
  mproc_args_destroy(r);
  mproc_args_destroy(a);
  a = ints(20000, 1);
  T_STATUS(mproc_pool_apply(p, "pool_sleep_or_die", a, NULL), MPROC_ETIMEDOUT);
  mproc_args_destroy(a);
  a = ints(3, 1);
  T_OK(mproc_pool_apply(p, "pool_square", a, NULL)); /* the replacement starts slowly too */
  mproc_args_destroy(a);
  mproc_args_destroy(init);
  T_OK(mproc_pool_destroy(p));
}

static void test_bailout(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *items = ints(0, 500), *res = NULL;
  mproc_status *sts = calloc(500, sizeof *sts);
  int i, ok = 0, cancelled = 0;
  T_STATUS(
      mproc_pool_map(p, "pool_bailout", items, &(mproc_map_options){.chunksize = 1}, &res, sts),
      MPROC_ECANCELED);
  for (i = 0; i < 500; i++) {
    ok += sts[i] == MPROC_OK;
    cancelled += sts[i] == MPROC_ECANCELED;
  }
  CU_ASSERT_EQUAL(sts[10], MPROC_OK);
  CU_ASSERT_EQUAL(ok + cancelled, 500);
  CU_ASSERT(cancelled > 400); /* the loop really broke off */
  mproc_args_destroy(res);
  /* the pool is usable afterwards */
  T_OK(mproc_pool_map(p, "pool_square", items, NULL, NULL, NULL));
  free(sts);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_initializer(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_event *e = NULL;
  mproc_args *ia = NULL, *res = NULL;
  int set = 0;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_event_set(e));
  mproc_args_create(&ia);
  T_OK(mproc_args_add_event(ia, e));
  memset(&o, 0, sizeof o);
  o.initializer = "pool_init";
  o.initargs = ia;
  p = make_pool(2, &o);
  T_OK(mproc_pool_apply(p, "pool_check_init", NULL, &res));
  mproc_args_get_bool(res, 0, &set);
  CU_ASSERT_EQUAL(set, 1);
  mproc_args_destroy(res);
  T_OK(mproc_pool_destroy(p));
  /* a failing initializer is reported once, as the pool's error, with a
   * status of its own and a message naming it */
  o.initializer = "pool_init_fails";
  p = make_pool(2, &o);
  T_STATUS(mproc_pool_apply(p, "pool_square", NULL, NULL), MPROC_EINITFAILED);
  T_STATUS(mproc_pool_apply(p, "pool_square", NULL, NULL), MPROC_EINITFAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "initializer says no"));
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "pool_init_fails"));
  T_OK(mproc_pool_destroy(p));
  mproc_args_destroy(ia);
  T_OK(mproc_event_destroy(e));
}

/* A pool whose initializer failed refuses work with MPROC_EINITFAILED, and
 * a refused map still writes every status (it used to leave them as they
 * were, and submit's status was not in its list). */
static void test_refused_map_writes_statuses(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_args *items = ints(0, 5), *res = NULL;
  const mproc_args *lists[5];
  mproc_status sts[5];
  mproc_future *f = NULL;
  mproc_map *m = NULL;
  size_t i;
  int written = 0;
  memset(&o, 0, sizeof o);
  o.initializer = "pool_init_fails";
  p = make_pool(1, &o);
  T_STATUS(mproc_pool_apply(p, "pool_square", NULL, NULL), MPROC_EINITFAILED);
  T_STATUS(mproc_pool_submit(p, &f, "pool_square", NULL, NULL), MPROC_EINITFAILED);
  for (i = 0; i < 5; i++)
    sts[i] = MPROC_OK;
  T_STATUS(mproc_pool_map(p, "pool_square", items, NULL, &res, sts), MPROC_EINITFAILED);
  CU_ASSERT_PTR_NULL(res);
  for (i = 0; i < 5; i++) {
    written += sts[i] == MPROC_EINITFAILED;
    sts[i] = MPROC_OK;
    lists[i] = items;
  }
  T_STATUS(mproc_pool_starmap(p, "pool_square", lists, 5, NULL, NULL, sts), MPROC_EINITFAILED);
  for (i = 0; i < 5; i++)
    written += sts[i] == MPROC_EINITFAILED;
  CU_ASSERT_EQUAL(written, 10);
  T_OK(mproc_pool_destroy(p));
  /* refused for a bad argument: the same rule */
  lists[2] = NULL;
  T_STATUS(mproc_pool_starmap(NULL, "pool_square", lists, 5, NULL, NULL, sts), MPROC_EINVAL);
  T_STATUS(mproc_pool_map(NULL, "pool_square", items, NULL, NULL, sts), MPROC_EINVAL);
  for (i = 0, written = 0; i < 5; i++)
    written += sts[i] == MPROC_EINVAL;
  CU_ASSERT_EQUAL(written, 5);
  mproc_args_destroy(items);
  /* a get that times out writes MPROC_ETIMEDOUT into each */
  p = make_pool(1, NULL);
  items = ints(300, 2);
  if (items && mproc_pool_map_async(p, &m, "pool_sleep_or_die", items, NULL) == MPROC_OK) {
    T_STATUS(mproc_map_get(m, 10, &res, sts), MPROC_ETIMEDOUT);
    CU_ASSERT(res == NULL && sts[0] == MPROC_ETIMEDOUT && sts[1] == MPROC_ETIMEDOUT);
    T_OK(mproc_map_get(m, T_BOUND_MS, NULL, sts));
    CU_ASSERT(sts[0] == MPROC_OK && sts[1] == MPROC_OK);
    T_OK(mproc_map_destroy(m));
  }
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_max_tasks_per_child(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_args *items = ints(0, 6), *res = NULL;
  int64_t pids[6];
  int i, j, distinct = 1;
  memset(&o, 0, sizeof o);
  o.max_tasks_per_child = 1;
  p = make_pool(2, &o);
  T_OK(mproc_pool_map(p, "pool_pid", items, &(mproc_map_options){.chunksize = 1}, &res, NULL));
  for (i = 0; i < 6; i++)
    mproc_args_get_i64(res, (size_t)i, &pids[i]);
  for (i = 0; i < 6; i++)
    for (j = 0; j < i; j++)
      distinct &= pids[i] != pids[j];
  CU_ASSERT(distinct);
  mproc_args_destroy(res);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_many_workers_and_nesting(void) {
  mproc_pool *p = make_pool(64, NULL);
  mproc_args *items = ints(0, 128), *a = ints(9, 1), *res = NULL;
  int64_t v = 0;
  T_OK(mproc_pool_map(p, "pool_square", items, &(mproc_map_options){.chunksize = 1}, NULL, NULL));
  T_OK(mproc_pool_destroy(p));
  p = make_pool(1, NULL);
  T_OK(mproc_pool_apply(p, "pool_nested", a, &res));
  mproc_args_get_i64(res, 0, &v);
  CU_ASSERT_EQUAL(v, 81);
  mproc_args_destroy(res);
  mproc_args_destroy(a);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

/* Workers are not daemonic: a task may start a Process (and a pool:
 * test_many_workers_and_nesting), which Python forbids. */
static void test_task_starts_a_process(void) {
  mproc_pool *p = make_pool(1, NULL);
  mproc_args *res = NULL;
  int64_t code = -1;
  T_OK(mproc_pool_apply(p, "pool_runs_process", NULL, &res));
  mproc_args_get_i64(res, 0, &code);
  CU_ASSERT_EQUAL(code, 1); /* a failed function: 1, as a Python exception */
  mproc_args_destroy(res);
  T_OK(mproc_pool_destroy(p));
}

/* After a cancel, a running task that returns 0 keeps its result; one that
 * returns non-zero completes as MPROC_ECANCELED (pool.h's rule). */
static void test_cancel_keeps_a_success(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_event *run[2] = {NULL, NULL};
  mproc_future *f[2] = {NULL, NULL};
  const mproc_args *r = NULL;
  int64_t v = 0;
  int i;
  for (i = 0; i < 2; i++) {
    mproc_args *a = ints(i, 1); /* rc 0, then rc 1 */
    T_OK(mproc_event_create(&run[i]));
    T_OK(mproc_args_add_event(a, run[i]));
    f[i] = submit(p, "pool_rc_after_cancel", a, NULL);
  }
  for (i = 0; i < 2; i++)
    T_OK(mproc_event_wait(run[i], T_BOUND_MS));
  T_STATUS(mproc_future_get(f[0], 0, NULL), MPROC_ETIMEDOUT); /* still running */
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "mproc_future_get"));
  T_STATUS(mproc_future_get(NULL, 0, NULL), MPROC_EINVAL);
  T_OK(mproc_pool_cancel(p));
  T_OK(mproc_future_get(f[0], T_BOUND_MS, &r));
  CU_ASSERT(r && mproc_args_get_i64(r, 0, &v) == MPROC_OK && v == 42);
  settle(f[1], MPROC_ECANCELED, NULL);
  mproc_future_destroy(f[0]);
  for (i = 0; i < 2; i++)
    T_OK(mproc_event_destroy(run[i]));
  T_OK(mproc_pool_destroy(p));
}

/* mproc.h's structs that grow: a non-zero reserved word is refused by
 * every function that takes such a struct (so that a later version can
 * give it a meaning), and zeroed in those mproc fills. */
static void test_reserved_words(void) {
  mproc_pool_options po = {.workers = 1};
  mproc_task_options to = {.timeout_ms = 0};
  mproc_map_options mo = {.chunksize = 1};
  mproc_process_options pr = {.name = "x"};
  mproc_queue_options qo = {.maxsize = 1};
  mproc_array_options ao = {.lock = 0};
  mproc_sem_options so = {.bounded = 1};
  mproc_barrier_options bo = {.action = NULL};
  mproc_wait_item wi[2] = {{0}};
  mproc_task_info info;
  mproc_pool *p = NULL;
  mproc_future *f = NULL;
  mproc_map *m = NULL;
  mproc_process *proc = NULL;
  mproc_queue *q = NULL;
  mproc_array *a = NULL;
  mproc_sem *s = NULL;
  mproc_barrier *b = NULL;
  mproc_event *e = NULL;
  mproc_args *items = ints(0, 2);
  size_t n = 0;
  po.reserved[3] = 1;
  T_STATUS(mproc_pool_create(&p, &po), MPROC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "reserved"));
  pr.reserved[0] = 1;
  T_STATUS(mproc_process_create(&proc, "pool_square", NULL, &pr), MPROC_EINVAL);
  qo.reserved[1] = 1;
  T_STATUS(mproc_queue_create(&q, &qo), MPROC_EINVAL);
  ao.reserved[2] = 1;
  T_STATUS(mproc_array_create(&a, MPROC_ELEM_I64, 1, &ao), MPROC_EINVAL);
  so.reserved[0] = 1;
  T_STATUS(mproc_sem_create(&s, 1, &so), MPROC_EINVAL);
  bo.reserved[0] = 1;
  T_STATUS(mproc_barrier_create(&b, 2, &bo), MPROC_EINVAL);
  CU_ASSERT(!p && !proc && !q && !a && !s && !b);
  T_OK(mproc_event_create(&e));
  wi[0].kind = wi[1].kind = MPROC_WAIT_EVENT;
  wi[0].object = wi[1].object = e;
  wi[1].reserved[1] = 1;
  T_STATUS(mproc_wait(wi, 2, 0, &n), MPROC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "item 1"));
  p = make_pool(1, NULL);
  to.reserved[0] = 1;
  T_STATUS(mproc_pool_submit(p, &f, "pool_square", NULL, &to), MPROC_EINVAL);
  mo.reserved[3] = 1;
  T_STATUS(mproc_pool_map_async(p, &m, "pool_square", items, &mo), MPROC_EINVAL);
  T_STATUS(mproc_pool_map(p, "pool_square", items, &mo, NULL, NULL), MPROC_EINVAL);
  CU_ASSERT(!f && !m);
  /* filled by mproc: zero, whatever the caller's struct held */
  memset(&info, 0xff, sizeof info);
  f = submit(p, "pool_square", ints(3, 1), NULL);
  T_OK(mproc_future_wait(f, T_BOUND_MS));
  T_OK(mproc_future_info(f, &info));
  CU_ASSERT(info.reserved[0] == 0 && info.reserved[3] == 0);
  mproc_future_destroy(f);
  mproc_args_destroy(items);
  T_OK(mproc_event_destroy(e));
  T_OK(mproc_pool_destroy(p));
}

static void test_bad_input_and_close(void) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_future *f = NULL;
  memset(&o, 0, sizeof o);
  o.workers = -1;
  T_STATUS(mproc_pool_create(&p, &o), MPROC_ERANGE);
  o.workers = 1;
  o.initializer = "no_such_fn";
  T_STATUS(mproc_pool_create(&p, &o), MPROC_ENOFUNC);
  T_STATUS(mproc_pool_create(NULL, NULL), MPROC_EINVAL);
  p = make_pool(1, NULL);
  T_STATUS(mproc_pool_submit(p, &f, "no_such_fn", NULL, NULL), MPROC_ENOFUNC);
  T_STATUS(mproc_pool_submit(p, &f, NULL, NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_submit(NULL, &f, "pool_square", NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_join(p, 0), MPROC_ESTATE);
  T_OK(mproc_pool_close(p));
  T_STATUS(mproc_pool_submit(p, &f, "pool_pid", NULL, NULL), MPROC_ESTATE);
  T_OK(mproc_pool_join(p, T_BOUND_MS));
  T_OK(mproc_pool_destroy(p));
}

/* OK and EFAILED through mproc_future_info; ESTATE while a task runs. A
 * failure does not cost the worker its life. */
static void test_info_ok_failed_running(void) {
  mproc_pool *p = make_pool(1, NULL);
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  mproc_future *f;
  mproc_task_info ok, failed, info;
  ok = settle(submit(p, "pool_square", ints(12, 1), NULL), MPROC_OK, "");
  CU_ASSERT(ok.pid > 0);
  CU_ASSERT_EQUAL(ok.exitcode, 0);
  failed = settle(submit(p, "pool_fail", NULL, NULL), MPROC_EFAILED, "no luck");
  CU_ASSERT_EQUAL(failed.pid, ok.pid);
  T_OK(mproc_event_create(&e));
  mproc_args_create(&a);
  T_OK(mproc_args_add_event(a, e));
  f = submit(p, "pool_wait_event", a, NULL); /* cannot finish before the event is set */
  T_STATUS(mproc_future_info(f, &info), MPROC_ESTATE);
  CU_ASSERT(!mproc_future_done(f));
  T_STATUS(mproc_future_get(f, 0, NULL), MPROC_ETIMEDOUT);
  CU_ASSERT(strstr(mproc_last_error(), "not done") != NULL);
  T_OK(mproc_event_set(e));
  info = settle(f, MPROC_OK, "");
  CU_ASSERT_EQUAL(info.pid, ok.pid);
  T_OK(mproc_pool_destroy(p));
  T_OK(mproc_event_destroy(e));
}

/* abort() and SIGSEGV: ECRASHED with the pid and minus the signal; each
 * worker is replaced. */
static void test_info_crash_abort_segv(void) {
  mproc_pool *p = make_pool(1, NULL);
  mproc_task_info ab, sv;
  ab = settle(submit(p, "pool_sleep_or_die", ints(-1, 1), NULL), MPROC_ECRASHED, "died");
  CU_ASSERT(ab.pid > 0);
  CU_ASSERT_EQUAL(ab.exitcode, t_signal_exitcode(SIGABRT));
  sv = settle(submit(p, "pool_segv", NULL, NULL), MPROC_ECRASHED, "died");
  CU_ASSERT(sv.pid > 0 && sv.pid != ab.pid);
  CU_ASSERT_EQUAL(sv.exitcode, -SIGSEGV); /* on Windows too: an access violation */
  CU_ASSERT(worker_pid(p) != sv.pid);
  T_OK(mproc_pool_destroy(p));
}

/* A worker SIGKILLed in the middle of its task: ECRASHED, its pid, -9. */
static void test_info_crash_sigkill(void) {
  mproc_pool *p = make_pool(1, NULL);
  mproc_array *c = counters();
  mproc_future *f = submit(p, "pool_block", with_counters(c, 1), NULL);
  mproc_task_info info;
  int64_t pid;
  CU_ASSERT_EQUAL(t_array_wait_i64(c, C_STARTED, 1, T_BOUND_MS), 1);
  pid = counter(c, C_PID);
  CU_ASSERT(t_hard_kill_pid(pid));
  info = settle(f, MPROC_ECRASHED, "died");
  CU_ASSERT_EQUAL(info.pid, pid);
  CU_ASSERT_EQUAL(info.exitcode, t_signal_exitcode(9));
  CU_ASSERT(worker_pid(p) != pid);
  T_OK(mproc_pool_destroy(p));
  T_OK(mproc_array_destroy(c));
}

/* A per-task timeout (mproc_task_options) kills and replaces; it also
 * overrides a shorter pool default. */
static void test_info_task_timeout(void) {
  mproc_pool_options o;
  mproc_pool *p = make_pool(1, NULL);
  mproc_task_options to;
  mproc_task_info info;
  memset(&to, 0, sizeof to);
  to.timeout_ms = 200;
  info = settle(submit(p, "pool_sleep_or_die", ints(30000, 1), &to), MPROC_ETIMEDOUT, "timed out");
  CU_ASSERT(info.pid > 0);
  CU_ASSERT(worker_pid(p) != info.pid);
  T_OK(mproc_pool_destroy(p));
  memset(&o, 0, sizeof o);
  o.task_timeout_ms = 200;
  p = make_pool(1, &o);
  to.timeout_ms = 30000; /* the task needs 400 ms, more than the pool's 200 */
  settle(submit(p, "pool_sleep_or_die", ints(400, 1), &to), MPROC_OK, "");
  T_OK(mproc_pool_destroy(p));
}

#ifdef __linux__
#include <dirent.h>
/* Voluntary context switches so far, summed over this process's threads. */
static long parent_wakeups(void) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  char path[300], line[128];
  long n = 0;
  while (d && (e = readdir(d)) != NULL) {
    FILE *f;
    snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
    if (e->d_name[0] == '.' || (f = fopen(path, "r")) == NULL)
      continue;
    while (fgets(line, sizeof line, f))
      if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0)
        n += atol(line + 24);
    fclose(f);
  }
  if (d)
    closedir(d);
  return n;
}
#endif

/* While a timed task runs, the monitor sleeps until its deadline rather than
 * waking on a tick: on Linux, an idle second costs the parent a few wake-ups
 * (a 5 ms tick would be 200). */
static void test_monitor_sleeps(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_future *f;
  memset(&o, 0, sizeof o);
  o.task_timeout_ms = 60000;
  p = make_pool(1, &o);
  f = submit(p, "pool_sleep_or_die", ints(1500, 1), NULL);
#ifdef __linux__
  {
    long n;
    t_sleep_ms(200); /* the task runs; the monitor times it */
    n = parent_wakeups();
    t_sleep_ms(1000);
    n = parent_wakeups() - n;
    if (n >= 50)
      fprintf(stderr, "%ld wake-ups in an idle second\n", n);
    CU_ASSERT(n < 50);
  }
#endif
  settle(f, MPROC_OK, "");
  T_OK(mproc_pool_destroy(p));
}

/* Applies pool_echo to [i, bytes]: bytes of a size that alternates between
 * frames the mailbox carries and frames too large for it; checks the echo. */
static void echo_round(mproc_pool *p, int64_t i) {
  size_t size = (size_t)(i % 5) * 2000 + 1, got_size = 0, k;
  unsigned char *bytes = malloc(size);
  const void *got = NULL;
  mproc_args *a = NULL, *r = NULL;
  int64_t x = -1;
  for (k = 0; k < size; k++)
    bytes[k] = (unsigned char)(i + (int64_t)k);
  mproc_args_create(&a);
  mproc_args_add_i64(a, i);
  mproc_args_add_bytes(a, bytes, size);
  T_OK(mproc_pool_apply(p, "pool_echo", a, &r));
  mproc_args_get_i64(r, 0, &x);
  mproc_args_get_bytes(r, 1, &got, &got_size);
  CU_ASSERT(x == i && got_size == size && got && memcmp(got, bytes, size) == 0);
  mproc_args_destroy(a);
  mproc_args_destroy(r);
  free(bytes);
}

/* Quick tasks hand their frames over in shared memory (the mailbox) while
 * the receiver spins, larger ones take the channel: every result comes back
 * whole and in order, a worker killed while it has a mailbox fails only its
 * task, and its replacement gets a fresh one. */
static void test_mailbox(void) {
  mproc_pool *p = make_pool(1, NULL);
  int64_t i, first;
  for (i = 0; i < 1500; i++)
    echo_round(p, i);
  first = worker_pid(p);
  settle(submit(p, "pool_sleep_or_die", ints(-1, 1), NULL), MPROC_ECRASHED, NULL);
  CU_ASSERT(worker_pid(p) != first);
  for (i = 0; i < 500; i++)
    echo_round(p, i);
  T_OK(mproc_pool_destroy(p));
}

typedef struct callback_counts {
  volatile uint32_t ok, failed, wrong;
} callback_counts;

static void on_success(mproc_future *f, void *user) {
  callback_counts *n = user;
  mproc_task_info info;
  if (mproc_future_info(f, &info) != MPROC_OK || info.status != MPROC_OK)
    mproc__add32(&n->wrong, 1);
  mproc__add32(&n->ok, 1);
}

static void on_error(mproc_future *f, void *user) {
  callback_counts *n = user;
  mproc_task_info info;
  if (mproc_future_info(f, &info) != MPROC_OK || info.status == MPROC_OK)
    mproc__add32(&n->wrong, 1);
  mproc__add32(&n->failed, 1);
}

/* callback for each success, error_callback for each failure, crash and
 * timeout: exactly once each (the pool's threads are joined before counting). */
static void test_callbacks_once(void) {
  static const mproc_status want[4] = {MPROC_OK, MPROC_EFAILED, MPROC_ECRASHED, MPROC_ETIMEDOUT};
  static const char *const fn[4] = {"pool_square", "pool_fail", "pool_sleep_or_die",
                                    "pool_sleep_or_die"};
  mproc_pool *p = make_pool(2, NULL);
  callback_counts n = {0, 0, 0};
  mproc_task_options to;
  mproc_future *f[12];
  int i;
  memset(&to, 0, sizeof to);
  to.callback = on_success;
  to.error_callback = on_error;
  to.user = &n;
  to.timeout_ms = 30000;
  for (i = 0; i < 12; i++) { /* kinds 0, 1, 2, 3, 0, 1, ... */
    to.timeout_ms = i % 4 == 3 ? 100 : 0;
    f[i] = submit(p, fn[i % 4], ints(i % 4 == 2 ? -1 : i % 4 == 3 ? 30000 : i, 1), &to);
  }
  for (i = 0; i < 12; i++)
    settle(f[i], want[i % 4], NULL);
  T_OK(mproc_pool_destroy(p));
  CU_ASSERT_EQUAL(mproc__load32(&n.ok), 3);
  CU_ASSERT_EQUAL(mproc__load32(&n.failed), 9);
  CU_ASSERT_EQUAL(mproc__load32(&n.wrong), 0);
}

/* A callback that takes a while, then marks its task: whoever sees the
 * future done must see the mark (Python runs the callback before ready()). */
static void slow_mark(mproc_future *f, void *user) {
  volatile uint32_t *marks = user;
  int64_t until = mproc__now_us() + 200;
  const mproc_args *r = NULL;
  int64_t x = -1;
  /* Inside its callback the future reads as done: get does not wait. */
  if (!mproc_future_done(f) || mproc_future_get(f, 0, &r) != MPROC_OK ||
      mproc_args_get_i64(r, 0, &x) != MPROC_OK)
    return;
  while (mproc__now_us() < until)
    mproc__cpu_relax();
  mproc__add32(&marks[(size_t)x % 300], 1);
}

/* 300 quick tasks one at a time, each checked after done (spinning), wait
 * and get in turn: the callback has always returned by then. */
static void test_callback_before_done(void) {
  static volatile uint32_t marks[300];
  mproc_pool *p = make_pool(1, NULL);
  mproc_task_options to;
  int i, early = 0;
  memset(&to, 0, sizeof to);
  to.callback = slow_mark;
  to.user = (void *)marks;
  for (i = 0; i < 300; i++) {
    mproc_future *f = submit(p, "pool_echo", ints(i, 1), &to);
    int64_t deadline = mproc__now_us() + (int64_t)T_BOUND_MS * 1000;
    if (!f)
      break;
    if (i % 3 == 0)
      while (!mproc_future_done(f) && mproc__now_us() < deadline)
        mproc__cpu_relax();
    else if (i % 3 == 1)
      T_OK(mproc_future_wait(f, T_BOUND_MS));
    else
      T_OK(mproc_future_get(f, T_BOUND_MS, NULL));
    early += mproc__load32(&marks[i]) != 1;
    T_OK(mproc_future_destroy(f));
  }
  CU_ASSERT_EQUAL(early, 0);
  T_OK(mproc_pool_destroy(p));
}

/* A cancel with nothing running changes nothing: before a batch, the batch
 * runs; after it, its results stand and the next batch runs. */
static void test_cancel_before_and_after(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *items = ints(0, 50);
  mproc_future *f[4];
  mproc_status sts[50];
  int i, ok = 0;
  T_OK(mproc_pool_cancel(p));
  T_OK(mproc_pool_map(p, "pool_square", items, NULL, NULL, sts));
  for (i = 0; i < 50; i++)
    ok += sts[i] == MPROC_OK;
  CU_ASSERT_EQUAL(ok, 50);
  for (i = 0; i < 4; i++)
    f[i] = submit(p, "pool_square", ints(i, 1), NULL);
  for (i = 0; i < 4; i++)
    T_OK(mproc_future_wait(f[i], T_BOUND_MS));
  T_OK(mproc_pool_cancel(p));
  for (i = 0; i < 4; i++)
    settle(f[i], MPROC_OK, "");
  T_OK(mproc_pool_map(p, "pool_square", items, NULL, NULL, NULL));
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

/* Cancel during a batch: both running tasks see mproc_cancelled() and end on
 * their own (no grace kill); the queued ones complete CANCELLED, never
 * started (the shared counter says so); then the pool runs tasks again. */
static void test_cancel_during(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_array *c = counters();
  mproc_future *f[8];
  mproc_task_info info;
  int i;
  memset(&o, 0, sizeof o);
  o.cancel_grace_ms = -1;
  p = make_pool(2, &o);
  for (i = 0; i < 8; i++)
    f[i] = submit(p, i < 2 ? "pool_block" : "pool_count", with_counters(c, i < 2 ? 0 : i), NULL);
  CU_ASSERT_EQUAL(t_array_wait_i64(c, C_STARTED, 2, T_BOUND_MS), 2);
  T_OK(mproc_pool_cancel(p));
  for (i = 0; i < 8; i++) {
    info = settle(f[i], MPROC_ECANCELED, i < 2 ? "saw the cancel" : "before it started");
    CU_ASSERT(i < 2 ? info.pid > 0 : info.pid == 0);
  }
  CU_ASSERT_EQUAL(counter(c, C_STARTED), 2);
  CU_ASSERT_EQUAL(counter(c, C_SAW_CANCEL), 2);
  settle(submit(p, "pool_count", with_counters(c, 3), NULL), MPROC_OK, "");
  CU_ASSERT_EQUAL(counter(c, C_STARTED), 3);
  T_OK(mproc_pool_destroy(p));
  T_OK(mproc_array_destroy(c));
}

/* A task that ignores the cancel is killed after the grace period. */
static void test_cancel_grace_kills(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_array *c = counters();
  mproc_future *f;
  mproc_task_info info;
  memset(&o, 0, sizeof o);
  o.cancel_grace_ms = 100;
  p = make_pool(1, &o);
  f = submit(p, "pool_block", with_counters(c, 1), NULL);
  CU_ASSERT_EQUAL(t_array_wait_i64(c, C_STARTED, 1, T_BOUND_MS), 1);
  T_OK(mproc_pool_cancel(p));
  info = settle(f, MPROC_ECANCELED, "killed");
  CU_ASSERT_EQUAL(info.pid, counter(c, C_PID));
  CU_ASSERT(worker_pid(p) != info.pid);
  T_OK(mproc_pool_destroy(p));
  T_OK(mproc_array_destroy(c));
}

/* A task that cancels the pool and goes on (ignoring it): the parent learns
 * at once, not when the task ends (the task queued behind it is cancelled
 * while it still runs), and kills it after the grace; the pool is usable. */
static void test_task_cancels_and_goes_on(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_array *c = counters();
  mproc_args *a = with_counters(c, 1);
  mproc_future *f, *g;
  mproc_task_info info;
  memset(&o, 0, sizeof o);
  o.cancel_grace_ms = 2000; /* far longer than the parent needs to learn */
  p = make_pool(1, &o);
  mproc_args_add_i64(a, 1); /* [counters, ignore, cancels] */
  f = submit(p, "pool_block", a, NULL);
  g = submit(p, "pool_square", ints(3, 1), NULL);
  CU_ASSERT_EQUAL(t_array_wait_i64(c, C_STARTED, 1, T_BOUND_MS), 1);
  settle(g, MPROC_ECANCELED, "cancelled before it started");
  CU_ASSERT_FALSE(mproc_future_done(f)); /* it runs on, ignoring the cancel */
  info = settle(f, MPROC_ECANCELED, "killed");
  CU_ASSERT_EQUAL(info.pid, counter(c, C_PID));
  CU_ASSERT(worker_pid(p) != info.pid);
  T_OK(mproc_pool_destroy(p));
  T_OK(mproc_array_destroy(c));
}

/* cancel_on_error: one failure cancels the running task and the queued ones
 * (never started); the pool runs tasks again afterwards. */
static void test_cancel_on_error(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_array *c = counters();
  mproc_future *blocker, *failing, *queued[5];
  int i;
  memset(&o, 0, sizeof o);
  o.cancel_on_error = 1;
  o.cancel_grace_ms = -1;
  p = make_pool(2, &o);
  mproc_event *gate = NULL;
  mproc_args *ga = NULL;
  T_OK(mproc_event_create(&gate));
  T_OK(mproc_args_create(&ga));
  T_OK(mproc_args_add_event(ga, gate));
  blocker = submit(p, "pool_block", with_counters(c, 0), NULL);
  CU_ASSERT_EQUAL(t_array_wait_i64(c, C_STARTED, 1, T_BOUND_MS), 1);
  failing = submit(p, "pool_fail_after", ga, NULL); /* fails once all are queued */
  for (i = 0; i < 5; i++)
    queued[i] = submit(p, "pool_count", with_counters(c, i), NULL);
  T_OK(mproc_event_set(gate));
  settle(failing, MPROC_EFAILED, "no luck");
  settle(blocker, MPROC_ECANCELED, "saw the cancel");
  for (i = 0; i < 5; i++)
    CU_ASSERT_EQUAL(settle(queued[i], MPROC_ECANCELED, NULL).pid, 0);
  CU_ASSERT_EQUAL(counter(c, C_STARTED), 1);
  settle(submit(p, "pool_count", with_counters(c, 2), NULL), MPROC_OK, "");
  CU_ASSERT_EQUAL(counter(c, C_STARTED), 2);
  T_OK(mproc_pool_destroy(p));
  T_OK(mproc_array_destroy(c));
  T_OK(mproc_event_destroy(gate));
}

/* The pids of the workers that ran a 64 MiB task (which keeps its memory)
 * and the two tasks after it, on one worker. */
static void pids_after_hog(uint64_t max_memory_kib, int64_t pid[3]) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_args *res = NULL, *a = ints(64, 1);
  memset(&o, 0, sizeof o);
  o.max_memory_kib = max_memory_kib;
  p = make_pool(1, &o);
  pid[0] = 0;
  T_OK(mproc_pool_apply(p, "pool_hog", a, &res));
  mproc_args_get_i64(res, 0, &pid[0]);
  pid[1] = worker_pid(p);
  pid[2] = worker_pid(p);
  CU_ASSERT(pid[0] > 0 && pid[1] > 0 && pid[2] > 0);
  mproc_args_destroy(res);
  mproc_args_destroy(a);
  T_OK(mproc_pool_destroy(p));
}

/* The RSS is measured after the task, so a worker that grew past the limit
 * is replaced before the very next task. */
static void test_max_memory(void) {
  int64_t none[3], limit[3];
  pids_after_hog(0, none);
  CU_ASSERT(none[0] == none[1] && none[1] == none[2]); /* no limit: the same worker */
  pids_after_hog(32 * 1024, limit);                    /* 64 MiB > 32 MiB: replaced */
  CU_ASSERT(limit[1] != limit[0]);
  CU_ASSERT(limit[2] == limit[1]); /* the replacement did not grow: it stays */
}

/* max_tasks_per_child = 2, one worker: pids a a b b c c. */
static void test_max_tasks_two(void) {
  mproc_pool_options o;
  mproc_pool *p;
  int64_t pid[6];
  int i;
  memset(&o, 0, sizeof o);
  o.max_tasks_per_child = 2;
  p = make_pool(1, &o);
  for (i = 0; i < 6; i++)
    pid[i] = worker_pid(p);
  for (i = 0; i < 6; i += 2) {
    CU_ASSERT(pid[i] > 0 && pid[i] == pid[i + 1]);
    CU_ASSERT(i == 0 || pid[i] != pid[i - 1]);
  }
  T_OK(mproc_pool_destroy(p));
}

/* A worker SIGKILLed (by another process) in the middle of mproc_pool_map:
 * exactly the items of its chunk are ECRASHED, the others are right, and the
 * pool (its initializer run again in the replacement) still works. */
static void test_map_worker_killed(void) {
  mproc_pool_options o;
  mproc_pool *p;
  mproc_array *c = counters();
  mproc_args *ia = with_counters(c, 0), *ka = with_counters(c, 0), *items = NULL, *res = NULL;
  mproc_process *killer;
  mproc_status sts[20];
  int64_t v;
  int i, right = 0;
  memset(&o, 0, sizeof o);
  o.initializer = "pool_open_counters";
  o.initargs = ia;
  p = make_pool(2, &o);
  mproc_args_create(&items);
  for (i = 0; i < 20; i++) /* the victim: item 9, in the chunk 8..11 */
    mproc_args_add_i64(items, i == 9 ? -1 : i);
  killer = t_start("pool_killer", ka, NULL);
  T_STATUS(
      mproc_pool_map(p, "pool_map_victim", items, &(mproc_map_options){.chunksize = 4}, &res, sts),
      MPROC_ECRASHED);
  CU_ASSERT_EQUAL(t_finish(killer), 0);
  for (i = 0; i < 20; i++) {
    v = -1;
    mproc_args_get_i64(res, (size_t)i, &v);
    right += i >= 8 && i <= 11 ? sts[i] == MPROC_ECRASHED : sts[i] == MPROC_OK && v == i * i;
  }
  CU_ASSERT_EQUAL(right, 20);
  mproc_args_destroy(res);
  mproc_args_destroy(items);
  items = ints(0, 20);
  T_OK(mproc_pool_map(p, "pool_map_victim", items, &(mproc_map_options){.chunksize = 4}, NULL,
                      NULL));
  mproc_args_destroy(items);
  mproc_args_destroy(ia);
  mproc_args_destroy(ka);
  T_OK(mproc_pool_destroy(p));
  T_OK(mproc_array_destroy(c));
}

/* More bad input: too many workers; 0 workers (the CPU count) is valid;
 * NULL arguments; unknown functions in apply and map; submit after terminate;
 * the task-only calls outside a task. */
static void test_bad_input_more(void) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_future *f = NULL;
  mproc_task_info info;
  mproc_args *items = ints(0, 4);
  memset(&o, 0, sizeof o);
  o.workers = 4097;
  T_STATUS(mproc_pool_create(&p, &o), MPROC_ERANGE);
  p = make_pool(0, NULL);
  T_OK(mproc_pool_map(p, "pool_square", items, NULL, NULL, NULL));
  T_STATUS(mproc_pool_apply(p, "no_such_fn", NULL, NULL), MPROC_ENOFUNC);
  T_STATUS(mproc_pool_apply(p, NULL, NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_map(p, "no_such_fn", items, NULL, NULL, NULL), MPROC_ENOFUNC);
  T_STATUS(mproc_pool_map(p, NULL, items, NULL, NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_submit(p, NULL, "pool_square", NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_future_info(NULL, &info), MPROC_EINVAL);
  T_STATUS(mproc_pool_cancel(NULL), MPROC_EINVAL);
  T_STATUS(mproc_task_cancel_pool(), MPROC_ESTATE);
  CU_ASSERT_EQUAL(mproc_cancelled(), 0);
  T_OK(mproc_pool_terminate(p));
  T_STATUS(mproc_pool_submit(p, &f, "pool_square", NULL, NULL), MPROC_ESTATE);
  T_STATUS(mproc_pool_map(p, "pool_square", items, NULL, NULL, NULL), MPROC_ESTATE);
  T_OK(mproc_pool_join(p, T_BOUND_MS));
  T_OK(mproc_pool_destroy(p));
  mproc_args_destroy(items);
}

static int64_t wait_pid_file(const char *prefix, int item) {
  char path[1100], text[32] = "";
  int64_t end = t_now_ms() + T_BOUND_MS;
  snprintf(path, sizeof path, "%s.%d", prefix, item);
  while (t_now_ms() < end) {
    if (t_read_file(path, text, sizeof text) && atoll(text) > 0) {
      remove(path);
      return atoll(text);
    }
    t_sleep_ms(10);
  }
  return 0;
}

static void count_names_of(const char *name, void *arg) {
  char prefix[32];
  mproc__name_prefix(prefix, sizeof prefix, ((int64_t *)arg)[0]);
  if (strncmp(name, prefix, strlen(prefix)) == 0)
    ((int64_t *)arg)[1]++;
}

/* Ctrl-C in a parent running a pool: it exits (130, whatever its own code
 * returns meanwhile: @how, see pool_ctrlc_victim), and leaves no worker and
 * no named object behind. */
static void ctrl_c(int64_t how) {
  char *prefix = t_temp_path("ctrlc");
  mproc_args *a = NULL;
  mproc_process *v;
  int64_t vpid = 0, w0, w1, names[2];
  if (!t_can_interrupt()) {
    printf("SKIP (%s) ", t_skip_reason());
    free(prefix);
    return;
  }
  mproc_args_create(&a);
  mproc_args_add_str(a, prefix);
  mproc_args_add_i64(a, how);
  v = t_start("pool_ctrlc_victim", a, NULL);
  mproc_args_destroy(a);
  mproc_process_pid(v, &vpid);
  w0 = wait_pid_file(prefix, 0);
  w1 = wait_pid_file(prefix, 1);
  CU_ASSERT(w0 > 0 && w1 > 0);
  CU_ASSERT(t_interrupt_pid(vpid));
  CU_ASSERT(t_wait_pid_gone(vpid, T_BOUND_MS)); /* it ends on its own */
  CU_ASSERT(t_wait_pid_gone(w0, T_BOUND_MS));
  CU_ASSERT(t_wait_pid_gone(w1, T_BOUND_MS));
  names[0] = vpid;
  names[1] = 0;
  mproc__names_list(count_names_of, names); /* before the reap's sweep could hide a leak */
  CU_ASSERT_EQUAL(names[1], 0);
  CU_ASSERT_EQUAL(t_finish(v), 130);
  if (how == 3) { /* nothing said about the workers mproc itself ended */
    char path[1100], text[4096];
    snprintf(path, sizeof path, "%s.err", prefix);
    text[0] = 0;
    t_read_file(path, text, sizeof text);
    if (strstr(text, "mproc: child"))
      fprintf(stderr, "\nthe interrupted program said:\n%s\n", text);
    CU_ASSERT_PTR_NULL(strstr(text, "mproc: child"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "interrupted"));
    remove(path);
  }
  free(prefix);
}

static void test_ctrl_c(void) { ctrl_c(0); }
static void test_ctrl_c_killed_workers(void) { ctrl_c(3); }
static void test_ctrl_c_return(void) { ctrl_c(2); }

static void count_names_of(const char *name, void *arg);

/* Workers whose initializer made an Event are killed (a crash, then the
 * pool's terminate): reaping each sweeps the names it left, as joining a
 * Process does. */
static void test_worker_names_swept(void) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_array *c = NULL;
  mproc_args *init = NULL, *x = NULL;
  mproc_future *f = NULL;
  int64_t n = 0, i, names[2] = {0, 0};
  if (mproc__names_list(count_names_of, names) == MPROC_ENOTSUP) {
    printf("SKIP (this OS cannot list names) ");
    return;
  }
  T_OK(mproc_array_create(&c, MPROC_ELEM_I64, 9, NULL));
  T_OK(mproc_args_create(&init));
  T_OK(mproc_args_add_array(init, c));
  T_OK(mproc_args_create(&x));
  T_OK(mproc_args_add_i64(x, -1));
  memset(&o, 0, sizeof o);
  o.initializer = "pool_init_leak_event";
  o.initargs = init;
  p = make_pool(2, &o);
  T_OK(mproc_pool_submit(p, &f, "pool_sleep_or_die", x, NULL));
  T_STATUS(mproc_future_get(f, T_BOUND_MS, NULL), MPROC_ECRASHED);
  mproc_future_destroy(f);
  t_array_wait_i64(c, 0, 3, T_BOUND_MS); /* the replacement ran its initializer */
  T_OK(mproc_pool_terminate(p));
  T_OK(mproc_pool_destroy(p));
  T_OK(mproc_array_get_i64(c, 0, &n));
  CU_ASSERT(n >= 3);
  for (i = 1; i <= n && i <= 8; i++) {
    T_OK(mproc_array_get_i64(c, (size_t)i, &names[0]));
    names[1] = 0;
    mproc__names_list(count_names_of, names);
    CU_ASSERT_EQUAL(names[1], 0);
  }
  mproc_args_destroy(x);
  mproc_args_destroy(init);
  T_OK(mproc_array_destroy(c));
}

/* Destroy right after a crash: no replacement may start once the pool is
 * terminating, and destroy ends whatever a starting worker does. */
static void test_destroy_after_crash(void) {
  int i;
  for (i = 0; i < 5; i++)
    CU_ASSERT_EQUAL(t_finish(t_start("pool_destroy_after_crash", NULL, NULL)), 0);
}

/* The program destroys the pool the moment its map returns MPROC_ECANCELED,
 * while the interrupt's handler still works on it: no use after free. */
static void test_ctrl_c_destroy(void) {
  int i;
  for (i = 0; i < 3; i++)
    ctrl_c(1);
}

/* A parent SIGKILLed (TerminateProcess) while its pool works: its workers do
 * not linger, and reaping it sweeps the names it could not remove. */
static void test_parent_killed(void) {
  char *prefix = t_temp_path("killed");
  mproc_args *a = NULL;
  mproc_process *v;
  int64_t vpid = 0, w0, w1, names[2];
  mproc_args_create(&a);
  mproc_args_add_str(a, prefix);
  mproc_args_add_i64(a, 0);
  v = t_start("pool_ctrlc_victim", a, NULL);
  mproc_args_destroy(a);
  mproc_process_pid(v, &vpid);
  w0 = wait_pid_file(prefix, 0);
  w1 = wait_pid_file(prefix, 1);
  CU_ASSERT(w0 > 0 && w1 > 0);
  CU_ASSERT(t_hard_kill_pid(vpid));
  CU_ASSERT(t_wait_pid_gone(w0, T_BOUND_MS));
  CU_ASSERT(t_wait_pid_gone(w1, T_BOUND_MS));
  CU_ASSERT_EQUAL(t_finish(v), t_signal_exitcode(9));
  names[0] = vpid;
  names[1] = 0;
  mproc__names_list(count_names_of, names); /* the reap swept them */
  CU_ASSERT_EQUAL(names[1], 0);
  free(prefix);
}

/* A task pipelined behind a running one is taken back when another worker
 * idles: here the running task waits for the one behind it, which (with two
 * workers) must run on the other worker, as on a Python Pool. */
static void test_pipelined_task_taken_back(void) {
  mproc_pool *p = make_pool(2, NULL);
  mproc_args *two = ints(50, 2), *res = NULL, *a = NULL;
  const mproc_args *got = NULL;
  mproc_event *e = NULL;
  mproc_future *waits, *sleeps, *sets;
  int64_t t0, pid = 0, first = 0;
  int i;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_pool_map(p, "pool_sleep_or_die", two, &(mproc_map_options){.chunksize = 1}, &res,
                      NULL)); /* both workers up */
  mproc_args_destroy(res);
  mproc_args_destroy(two);
  for (i = 0; i < 5; i++) /* the first worker's tasks were short: it may pipeline */
    first = worker_pid(p);
  t0 = t_now_ms();
  mproc_args_create(&a);
  T_OK(mproc_args_add_event(a, e));
  waits = submit(p, "pool_wait_event", a, NULL);               /* on the first worker */
  sleeps = submit(p, "pool_sleep_or_die", ints(300, 1), NULL); /* on the second */
  mproc_args_create(&a);
  T_OK(mproc_args_add_event(a, e));
  sets = submit(p, "pool_set_event", a, NULL); /* pipelined behind the waiting one */
  T_OK(mproc_future_get(sets, T_BOUND_MS, &got));
  mproc_args_get_i64(got, 0, &pid);
  CU_ASSERT(pid != 0 && pid != first); /* it ran on the other worker */
  mproc_future_destroy(sets);
  settle(waits, MPROC_OK, NULL);
  settle(sleeps, MPROC_OK, NULL);
  CU_ASSERT(t_now_ms() - t0 < 10000); /* not after the waiting task's T_BOUND_MS */
  T_OK(mproc_pool_destroy(p));
  mproc_event_destroy(e);
}

/* In a child whose descriptor limit is 64: a pool that would need more is
 * refused with the numbers, and events that each hold a descriptor (on
 * macOS, and under tests/darwin) run out with an error naming the limit.
 * Exits 0 on success, 77 where there is no such limit to set. */
static int pool_fd_limit(const mproc_args *a, mproc_args *r) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_event *ev[400];
  mproc_status st = MPROC_OK;
  int n = 0, code = 0;
  (void)a;
  (void)r;
  if (!t_set_fd_limit(64))
    exit(77); /* a function's non-zero return is exit code 1 */
  memset(&o, 0, sizeof o);
  o.workers = 100;
  if (mproc_pool_create(&p, &o) != MPROC_ERANGE || !strstr(mproc_last_error(), "RLIMIT_NOFILE"))
    code = 1;
  while (n < 400 && (st = mproc_event_create(&ev[n])) == MPROC_OK)
    n++;
  if (st != MPROC_OK && !strstr(mproc_last_error(), "RLIMIT_NOFILE"))
    code = 2;
  if (st != MPROC_OK)
    printf("(%d events, then: %s) ", n, mproc_last_error());
  while (n > 0)
    mproc_event_destroy(ev[--n]);
  return code;
}

/* With descriptors for about three workers only, a pool of 8 runs a map
 * of 2000 tasks on the workers it could start: the slots whose spawn failed
 * fail no task and are tried again. Exits 0; 77 without a limit to set. */
static int pool_spawn_fails(const mproc_args *a, mproc_args *r) {
  mproc_pool_options o;
  mproc_pool *p = NULL;
  mproc_args *items = NULL, *res = NULL;
  int fds[64], nfd = 0, i, code = 0;
  size_t n = 0;
  (void)a;
  (void)r;
  if (!t_set_fd_limit(64)) /* what a pool of 8 needs on any POSIX system */
    exit(77);              /* a function's non-zero return is exit code 1 */
  while (nfd < 64 && (fds[nfd] = t_open_null()) >= 0) /* fill the table */
    nfd++;
  for (i = 0; i < 10 && nfd > 0; i++) /* room for about three workers */
    t_close_fd(fds[--nfd]);
  memset(&o, 0, sizeof o);
  o.workers = 8;
  if (mproc_pool_create(&p, &o) != MPROC_OK)
    return 2;
  mproc_args_create(&items);
  for (i = 0; i < 2000; i++)
    mproc_args_add_i64(items, i);
  if (mproc_pool_map(p, "pool_square", items, &(mproc_map_options){.chunksize = 1}, &res, NULL) !=
      MPROC_OK)
    code = 3;
  else if (mproc_args_count(res, &n) || n != 2000)
    code = 4;
  printf("(%d descriptors kept; map: %s) ", nfd, code ? mproc_last_error() : "all 2000 ok");
  while (nfd > 0)
    t_close_fd(fds[--nfd]);
  mproc_pool_destroy(p);
  mproc_args_destroy(items);
  if (res)
    mproc_args_destroy(res);
  return code;
}

static void test_spawn_fails(void) {
  t_child_passes("pool_spawn_fails", "no descriptor limit to set on this OS");
}

/* INT64_MAX for every timeout means "never": no overflow (UBSan watches the
 * asan leg) and no early expiry. */
static void test_huge_timeouts(void) {
  mproc_pool_options o;
  mproc_task_options to;
  mproc_pool *p;
  mproc_process *c;
  const mproc_args *res = NULL;
  mproc_future *f = NULL;
  mproc_args *seven = ints(7, 1), *three = ints(3, 1);
  int64_t v = 0;
  memset(&o, 0, sizeof o);
  o.task_timeout_ms = INT64_MAX;
  o.cancel_grace_ms = INT64_MAX;
  p = make_pool(1, &o);
  memset(&to, 0, sizeof to);
  to.timeout_ms = INT64_MAX;
  T_OK(mproc_pool_submit(p, &f, "pool_square", seven, &to));
  T_OK(mproc_future_get(f, INT64_MAX, &res));
  T_OK(mproc_args_get_i64(res, 0, &v));
  CU_ASSERT_EQUAL(v, 49);
  mproc_future_destroy(f);
  T_OK(mproc_pool_cancel(p));
  T_OK(mproc_pool_destroy(p));
  c = t_start("pool_square", three, NULL);
  T_OK(mproc_process_join(c, INT64_MAX));
  T_OK(mproc_process_destroy(c));
  mproc_args_destroy(seven);
  mproc_args_destroy(three);
}

/* A worker that ends because of what it cannot do (here: write a RESULT
 * over the size limit) says why on stderr; its task is CRASHED. */
static void test_worker_says_why(void) {
  char *path = t_temp_path("stderr");
  mproc_args *a = NULL;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_str(a, path));
  CU_ASSERT_EQUAL(t_finish(t_start("pool_worker_says_why", a, NULL)), 0);
  mproc_args_destroy(a);
  remove(path);
  free(path);
}

static void test_fd_limit(void) {
  t_child_passes("pool_fd_limit", "no descriptor limit to set on this OS");
}

static const CU_TestInfo tests[] = {
    {"a pool the descriptor limit cannot hold is refused", test_fd_limit},
    {"a worker that cannot go on says why on stderr", test_worker_says_why},
    {"INT64_MAX timeouts never overflow", test_huge_timeouts},
    {"workers that cannot be spawned fail no task", test_spawn_fails},
    {"apply and submit", test_apply_and_submit},
    {"records: lists inside lists to a worker and back", test_nested_lists},
    {"map: order, chunks", test_map_order_and_chunks},
    {"failure and crash fail only their task", test_failure_and_crash},
    {"task timeout kills and replaces", test_timeout},
    {"a timeout counts from when the worker is ready", test_timeout_after_ready},
    {"bail-out cancels the rest of a map", test_bailout},
    {"a task's MPROC_WAIT_FOREVER timeout exempts it from the pool's", test_timeout_exempt},
    {"workers are not daemonic: a task starts a Process", test_task_starts_a_process},
    {"structs that grow: a non-zero reserved word is refused", test_reserved_words},
    {"after a cancel a running task's success keeps its result", test_cancel_keeps_a_success},
    {"initializer with a shared event; failing initializer", test_initializer},
    {"a refused map writes every status; EINITFAILED", test_refused_map_writes_statuses},
    {"max tasks per child", test_max_tasks_per_child},
    {"64 workers; nested pool", test_many_workers_and_nesting},
    {"bad input, close, join", test_bad_input_and_close},
    {"Ctrl-C: clean exit, no worker or name left", test_ctrl_c},
    {"Ctrl-C while the program destroys its pool", test_ctrl_c_destroy},
    {"Ctrl-C: 130 even when the program returns its own status", test_ctrl_c_return},
    {"Ctrl-C: workers killed meanwhile are not replaced, nothing said", test_ctrl_c_killed_workers},
    {"destroy right after a crash is bounded", test_destroy_after_crash},
    {"a killed worker's names are swept", test_worker_names_swept},
    {"parent SIGKILLed: no worker lingers, its names are swept", test_parent_killed},
    {"info: OK, EFAILED with its message, ESTATE while running", test_info_ok_failed_running},
    {"info: ECRASHED by abort() and SIGSEGV, pid and exit code", test_info_crash_abort_segv},
    {"info: ECRASHED by SIGKILL mid-task, pid and exit code", test_info_crash_sigkill},
    {"info: ETIMEDOUT from a per-task timeout; it overrides the pool's", test_info_task_timeout},
    {"a monitor timing a task sleeps until its deadline", test_monitor_sleeps},
    {"quick tasks through the mailbox, large ones beside; a crash", test_mailbox},
    {"callback and error_callback run exactly once each", test_callbacks_once},
    {"a future is done only after its callback returned", test_callback_before_done},
    {"cancel before and after a batch changes nothing", test_cancel_before_and_after},
    {"cancel during a batch: running see it, queued never start", test_cancel_during},
    {"cancel: a task that ignores it is killed after the grace", test_cancel_grace_kills},
    {"a task cancels the pool and goes on: the parent learns at once",
     test_task_cancels_and_goes_on},
    {"cancel_on_error cancels running and queued tasks", test_cancel_on_error},
    {"max_memory_kib replaces a worker that grew; no limit keeps it", test_max_memory},
    {"max_tasks_per_child = 2: each worker runs two tasks", test_max_tasks_two},
    {"SIGKILL mid-map: only that chunk ECRASHED, pool usable", test_map_worker_killed},
    {"more bad input: worker counts, NULLs, after terminate", test_bad_input_more},
    {"a pipelined task is taken back when another worker idles", test_pipelined_task_taken_back},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(pool_square),
                                           MPROC_FUNCTION(pool_fd_limit),
                                           MPROC_FUNCTION(pool_worker_says_why),
                                           MPROC_FUNCTION(pool_too_large_result),
                                           MPROC_FUNCTION(pool_spawn_fails),
                                           MPROC_FUNCTION(pool_pid),
                                           MPROC_FUNCTION(pool_fail),
                                           MPROC_FUNCTION(pool_sleep_or_die),
                                           MPROC_FUNCTION(pool_echo),
                                           MPROC_FUNCTION(pool_bailout),
                                           MPROC_FUNCTION(pool_init),
                                           MPROC_FUNCTION(pool_init_fails),
                                           MPROC_FUNCTION(pool_init_slow),
                                           MPROC_FUNCTION(pool_check_init),
                                           MPROC_FUNCTION(pool_records),
                                           MPROC_FUNCTION(pool_record),
                                           MPROC_FUNCTION(pool_nested),
                                           MPROC_FUNCTION(pool_runs_process),
                                           MPROC_FUNCTION(pool_rc_after_cancel),
                                           MPROC_FUNCTION(pool_set_prefix),
                                           MPROC_FUNCTION(pool_until_cancelled),
                                           MPROC_FUNCTION(pool_ignores_cancel),
                                           MPROC_FUNCTION(pool_ctrlc_victim),
                                           MPROC_FUNCTION(pool_destroy_after_crash),
                                           MPROC_FUNCTION(pool_init_block_replacements),
                                           MPROC_FUNCTION(pool_init_leak_event),
                                           MPROC_FUNCTION(pool_count),
                                           MPROC_FUNCTION(pool_block),
                                           MPROC_FUNCTION(pool_open_counters),
                                           MPROC_FUNCTION(pool_map_victim),
                                           MPROC_FUNCTION(pool_set_event),
                                           MPROC_FUNCTION(pool_killer),
                                           MPROC_FUNCTION(pool_wait_event),
                                           MPROC_FUNCTION(pool_fail_after),
                                           MPROC_FUNCTION(pool_segv),
                                           MPROC_FUNCTION(pool_hog),
                                           MPROC_FUNCTIONS_END};

const test_suite suite_pool = {"pool", tests, functions};
