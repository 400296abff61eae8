/* Tests of runtime/pool/map.c: map, starmap, map_async, imap, imap_unordered, lazy sources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_thread_mutex.h>

#include "base/atomic.h"
#include "pool/pool.h" /* which fast paths a worker got */
#include "tests.h"

static int map_square(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  if (mproc_args_get_i64(a, 0, &x))
    return 1;
  return mproc_args_add_i64(r, x * x) ? 1 : 0;
}

/* [x] (a double) -> x / 2. */
static int map_half(const mproc_args *a, mproc_args *r) {
  double x = 0;
  if (mproc_args_get_f64(a, 0, &x))
    return 1;
  return mproc_args_add_f64(r, x / 2) ? 1 : 0;
}

/* [a, b] -> a * b, and the count of its arguments. */
static int map_mul(const mproc_args *a, mproc_args *r) {
  int64_t x = 0, y = 0;
  size_t n = 0;
  mproc_args_count(a, &n);
  if (mproc_args_get_i64(a, 0, &x) || mproc_args_get_i64(a, 1, &y))
    return 1;
  return mproc_args_add_i64(r, x * y) || mproc_args_add_i64(r, (int64_t)n) ? 1 : 0;
}

/* [ms]: sleeps, returns ms; a negative value fails with a message, -999 aborts. */
static int map_sleep(const mproc_args *a, mproc_args *r) {
  int64_t ms = 0;
  mproc_args_get_i64(a, 0, &ms);
  if (ms == -999)
    t_abort();
  if (ms < 0) {
    mproc_task_fail("negative");
    return 1;
  }
  t_sleep_ms(ms);
  return mproc_args_add_i64(r, ms) ? 1 : 0;
}

/* [x] -> x * x; -999 aborts the worker. */
static int map_square_or_abort(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  mproc_args_get_i64(a, 0, &x);
  if (x == -999)
    t_abort();
  return mproc_args_add_i64(r, x * x) ? 1 : 0;
}

/* [x] -> "item <x>" (a value with a buffer); a negative x fails. */
static int map_text(const mproc_args *a, mproc_args *r) {
  char text[32];
  int64_t x = 0;
  if (mproc_args_get_i64(a, 0, &x) || x < 0)
    return 1;
  snprintf(text, sizeof text, "item %lld", (long long)x);
  return mproc_args_add_str(r, text) ? 1 : 0;
}

/* Item 10 answers and cancels the rest; the others take ~5 ms. */
static int map_bailout(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  mproc_args_get_i64(a, 0, &x);
  if (x == 10)
    mproc_task_cancel_pool();
  else
    t_sleep_ms(5);
  return mproc_args_add_i64(r, x) ? 1 : 0;
}

/* Item 10 cancels the rest; the others return at once. */
static int map_bailout_fast(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  mproc_args_get_i64(a, 0, &x);
  if (x == 10)
    mproc_task_cancel_pool();
  return mproc_args_add_i64(r, x) ? 1 : 0;
}

static mproc_pool *new_pool(int workers) {
  mproc_pool *p = NULL;
  mproc_pool_options o;
  memset(&o, 0, sizeof o);
  o.workers = workers;
  T_OK(mproc_pool_create(&p, &o));
  return p;
}

static mproc_args *range_args(int64_t n) {
  mproc_args *a = NULL;
  int64_t i;
  T_OK(mproc_args_create(&a));
  for (i = 0; i < n; i++)
    T_OK(mproc_args_add_i64(a, i));
  return a;
}

/* A counting source: item i is [i] (or [i, i + 1] when pairs), @end items,
 * then MPROC_EEND, or @fail at item @fail_at. */
typedef struct counter {
  size_t calls, end, fail_at;
  mproc_status fail;
  int pairs;
} counter;

static mproc_status count_source(void *user, size_t index, mproc_args *item) {
  counter *c = user;
  c->calls++;
  if (c->fail && index == c->fail_at)
    return c->fail;
  if (index >= c->end)
    return MPROC_EEND;
  mproc_args_add_i64(item, (int64_t)index);
  return c->pairs ? mproc_args_add_i64(item, (int64_t)index + 1) : MPROC_OK;
}

static void test_map_beyond_old_limit(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = range_args(100000), *res = NULL;
  int64_t v = 0, sum = 0, want = 0, i;
  size_t n = 0;
  T_OK(mproc_pool_map(p, "map_square", items, NULL, &res, NULL));
  T_OK(mproc_args_count(res, &n));
  CU_ASSERT_EQUAL(n, 100000);
  for (i = 0; i < 100000; i++) {
    T_OK(mproc_args_get_i64(res, (size_t)i, &v));
    sum += v;
    want += i * i;
  }
  CU_ASSERT_EQUAL(sum, want);
  mproc_args_destroy(res);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static void test_imap_ordered(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = range_args(50);
  mproc_map_options o;
  mproc_map *m = NULL;
  mproc_map_item it;
  int64_t v = -1;
  size_t i;
  memset(&o, 0, sizeof o);
  o.chunksize = 3;
  o.window = 6;
  T_OK(mproc_pool_imap(p, &m, "map_square", items, &o));
  mproc_args_destroy(items); /* the map holds its own copy */
  for (i = 0; i < 50; i++) {
    T_OK(mproc_map_next(m, T_BOUND_MS, &it));
    CU_ASSERT_EQUAL(it.index, i);
    CU_ASSERT_EQUAL(it.status, MPROC_OK);
    T_OK(mproc_args_get_i64(it.result, 0, &v));
    CU_ASSERT_EQUAL(v, (int64_t)(i * i));
  }
  T_STATUS(mproc_map_next(m, T_BOUND_MS, &it), MPROC_EEND);
  T_STATUS(mproc_map_next(m, T_BOUND_MS, &it), MPROC_EEND);
  T_STATUS(mproc_map_wait(m, 0), MPROC_ESTATE);
  T_OK(mproc_map_destroy(m));
  T_OK(mproc_pool_destroy(p));
}

/* Item 0 sleeps long, the others not at all: unordered hands them out first. */
static void test_imap_unordered(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = NULL;
  mproc_map_options o;
  mproc_map *m = NULL;
  mproc_map_item it;
  int seen[12] = {0};
  size_t i, first = 99;
  T_OK(mproc_args_create(&items));
  T_OK(mproc_args_add_i64(items, 800));
  for (i = 1; i < 12; i++)
    T_OK(mproc_args_add_i64(items, 0));
  memset(&o, 0, sizeof o);
  o.chunksize = 1;
  o.unordered = 1;
  T_OK(mproc_pool_imap(p, &m, "map_sleep", items, &o));
  for (i = 0; i < 12; i++) {
    T_OK(mproc_map_next(m, T_BOUND_MS, &it));
    CU_ASSERT_EQUAL(it.status, MPROC_OK);
    if (it.index < 12)
      seen[it.index]++;
    if (i == 0)
      first = it.index;
  }
  for (i = 0; i < 12; i++)
    CU_ASSERT_EQUAL(seen[i], 1);
  CU_ASSERT_NOT_EQUAL(first, 0);
  T_STATUS(mproc_map_next(m, T_BOUND_MS, &it), MPROC_EEND);
  mproc_map_destroy(m);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

/* The source is pulled only as the window allows: never far ahead of the consumer. */
static void test_imap_source_is_lazy(void) {
  mproc_pool *p = new_pool(2);
  counter c = {0, 1000, 0, MPROC_OK, 0};
  mproc_map_options o;
  mproc_map *m = NULL;
  mproc_map_item it;
  size_t taken = 0;
  int64_t v;
  memset(&o, 0, sizeof o);
  o.chunksize = 2;
  o.window = 8;
  T_OK(mproc_pool_imap_source(p, &m, "map_square", count_source, &c, &o));
  CU_ASSERT_EQUAL(c.calls, 0); /* nothing pulled before the first next() */
  while (mproc_map_next(m, T_BOUND_MS, &it) == MPROC_OK) {
    CU_ASSERT_EQUAL(it.index, taken);
    T_OK(mproc_args_get_i64(it.result, 0, &v));
    CU_ASSERT_EQUAL(v, (int64_t)(taken * taken));
    taken++;
    CU_ASSERT(c.calls <= taken + 8); /* the window, never the whole input */
  }
  CU_ASSERT_EQUAL(taken, 1000);
  CU_ASSERT_EQUAL(c.calls, 1001); /* 1000 items, then the end */
  mproc_map_destroy(m);
  T_OK(mproc_pool_destroy(p));
}

static void test_starmap(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *lists[20], *res = NULL;
  const mproc_args *const *cl = (const mproc_args *const *)lists;
  mproc_status st[20];
  counter c = {0, 30, 0, MPROC_OK, 1};
  mproc_map *m = NULL;
  mproc_map_item it;
  int64_t v = 0, nargs = 0;
  size_t i;
  for (i = 0; i < 20; i++) {
    T_OK(mproc_args_create(&lists[i]));
    mproc_args_add_i64(lists[i], (int64_t)i);
    mproc_args_add_i64(lists[i], 3);
  }
  T_OK(mproc_pool_starmap(p, "map_mul", cl, 20, &(mproc_map_options){.chunksize = 3}, &res, st));
  for (i = 0; i < 20; i++) {
    CU_ASSERT_EQUAL(st[i], MPROC_OK);
    T_OK(mproc_args_get_i64(res, i, &v));
    CU_ASSERT_EQUAL(v, (int64_t)(3 * i));
    mproc_args_destroy(lists[i]);
  }
  mproc_args_destroy(res);
  /* a lazy starmap: each source item is a whole argument list */
  T_OK(mproc_pool_imap_source(p, &m, "map_mul", count_source, &c, NULL));
  for (i = 0; mproc_map_next(m, T_BOUND_MS, &it) == MPROC_OK; i++) {
    T_OK(mproc_args_get_i64(it.result, 0, &v));
    T_OK(mproc_args_get_i64(it.result, 1, &nargs));
    CU_ASSERT_EQUAL(v, (int64_t)(i * (i + 1)));
    CU_ASSERT_EQUAL(nargs, 2);
  }
  CU_ASSERT_EQUAL(i, 30);
  mproc_map_destroy(m);
  T_OK(mproc_pool_destroy(p));
}

static int async_calls;
static void on_map_done(mproc_map *m, void *user) {
  size_t done = 0, total = 0;
  (void)user;
  mproc_map_progress(m, &done, &total);
  if (done == total && total == 40)
    async_calls++;
}

static void test_map_async(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = range_args(40), *res = NULL;
  mproc_map_options o;
  mproc_map *m = NULL;
  mproc_map_item it;
  size_t done = 0, total = 0;
  int64_t v = 0;
  memset(&o, 0, sizeof o);
  o.callback = on_map_done;
  async_calls = 0;
  T_OK(mproc_pool_map_async(p, &m, "map_square", items, &o));
  mproc_args_destroy(items);
  T_OK(mproc_map_wait(m, T_BOUND_MS));
  T_OK(mproc_map_progress(m, &done, &total));
  CU_ASSERT_EQUAL(done, 40);
  CU_ASSERT_EQUAL(total, 40);
  T_OK(mproc_map_get(m, T_BOUND_MS, &res, NULL));
  T_OK(mproc_args_get_i64(res, 39, &v));
  CU_ASSERT_EQUAL(v, 39 * 39);
  CU_ASSERT_EQUAL(async_calls, 1);
  T_STATUS(mproc_map_get(m, 0, NULL, NULL), MPROC_ESTATE);
  T_STATUS(mproc_map_next(m, 0, &it), MPROC_ESTATE);
  mproc_args_destroy(res);
  mproc_map_destroy(m);
  T_OK(mproc_pool_destroy(p));
}

/* What the map callbacks saw. */
typedef struct seen {
  volatile uint32_t ok, failed;
  size_t index;
  mproc_status status;
  char message[64];
} seen;
static void on_all_ok(mproc_map *m, void *user) {
  (void)m;
  mproc__add32(&((seen *)user)->ok, 1);
}
static void on_failed(mproc_map *m, const mproc_map_item *failed, void *user) {
  seen *s = user;
  (void)m;
  s->index = failed->index;
  s->status = failed->status;
  snprintf(s->message, sizeof s->message, "%s", failed->message);
  mproc__add32(&s->failed, 1);
}

/* As Python's: callback when every item succeeded, else error_callback
 * once, with the failed item of lowest index; for the blocking map too. */
static void test_map_error_callback(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = NULL, *res = NULL;
  mproc_map_options o;
  mproc_map *m = NULL;
  seen s;
  int64_t ms[6] = {5, 0, -1, 0, -1, 0}, i;
  memset(&s, 0, sizeof s);
  memset(&o, 0, sizeof o);
  o.callback = on_all_ok;
  o.error_callback = on_failed;
  o.user = &s;
  o.chunksize = 1;
  T_OK(mproc_args_create(&items));
  for (i = 0; i < 6; i++)
    mproc_args_add_i64(items, ms[i]);
  T_OK(mproc_pool_map_async(p, &m, "map_sleep", items, &o));
  T_STATUS(mproc_map_get(m, T_BOUND_MS, NULL, NULL), MPROC_EFAILED);
  T_OK(mproc_map_destroy(m));
  CU_ASSERT_EQUAL(mproc__load32(&s.ok), 0);
  CU_ASSERT_EQUAL(mproc__load32(&s.failed), 1);
  CU_ASSERT_EQUAL(s.index, 2);
  CU_ASSERT_EQUAL(s.status, MPROC_EFAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(s.message, "negative"));
  /* the blocking map takes the same options: all succeed, so callback */
  mproc_args_clear(items);
  for (i = 0; i < 6; i++)
    mproc_args_add_i64(items, i);
  T_OK(mproc_pool_map(p, "map_sleep", items, &o, &res, NULL));
  CU_ASSERT_EQUAL(mproc__load32(&s.ok), 1);
  CU_ASSERT_EQUAL(mproc__load32(&s.failed), 1);
  mproc_args_destroy(res);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

/* starmap_async copies the lists (the caller frees them at once) and gives
 * results as starmap; a NULL list is refused before anything is queued. */
static void test_starmap_async(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *lists[10], *res = NULL;
  mproc_status st[10];
  mproc_map *m = NULL;
  int64_t v = 0;
  size_t i;
  for (i = 0; i < 10; i++) {
    T_OK(mproc_args_create(&lists[i]));
    mproc_args_add_i64(lists[i], (int64_t)i);
    mproc_args_add_i64(lists[i], 7);
  }
  T_OK(mproc_pool_starmap_async(p, &m, "map_mul", (const mproc_args *const *)lists, 10, NULL));
  for (i = 0; i < 10; i++)
    mproc_args_destroy(lists[i]);
  T_OK(mproc_map_get(m, T_BOUND_MS, &res, st));
  for (i = 0; i < 10; i++) {
    CU_ASSERT_EQUAL(st[i], MPROC_OK);
    T_OK(mproc_args_get_i64(res, i, &v));
    CU_ASSERT_EQUAL(v, (int64_t)(7 * i));
  }
  mproc_args_destroy(res);
  T_OK(mproc_map_destroy(m));
  lists[0] = NULL;
  T_STATUS(mproc_pool_starmap_async(p, &m, "map_mul", (const mproc_args *const *)lists, 1, NULL),
           MPROC_EINVAL);
  T_STATUS(mproc_pool_starmap_async(p, NULL, "map_mul", NULL, 0, NULL), MPROC_EINVAL);
  T_OK(mproc_pool_destroy(p));
}

/* C arrays in and out: the numeric case in one call, each item checked;
 * a failed item and a result of another type show in its status. */
static void test_typed_maps(void) {
  enum { N = 1000 };
  static int64_t xs[N], ys[N];
  static double ds[N], hs[N];
  static mproc_status sts[N];
  mproc_pool *p = new_pool(2);
  mproc_status st[4];
  int64_t mixed[4] = {5, -1, 3, 4}, got[4] = {9, 9, 9, 9};
  int i, ok = 1;
  for (i = 0; i < N; i++) {
    xs[i] = i - 500;
    ds[i] = i * 1.5;
  }
  T_OK(mproc_pool_map_i64(p, "map_square", xs, N, NULL, ys, NULL));
  T_OK(mproc_pool_map_f64(p, "map_half", ds, N, NULL, hs, NULL));
  for (i = 0; i < N; i++)
    ok &= ys[i] == xs[i] * xs[i] && hs[i] == ds[i] / 2;
  CU_ASSERT(ok);
  /* item 1 fails (map_sleep: negative), the others sleep a few ms */
  T_STATUS(mproc_pool_map_i64(p, "map_sleep", mixed, 4, NULL, got, st), MPROC_EFAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "negative")); /* the item's own message */
  CU_ASSERT(st[0] == MPROC_OK && st[1] == MPROC_EFAILED && st[2] == MPROC_OK && st[3] == MPROC_OK);
  CU_ASSERT(got[0] == 5 && got[1] == 0 && got[2] == 3 && got[3] == 4);
  /* a text result is not an int64 */
  T_STATUS(mproc_pool_map_i64(p, "map_text", xs + 500, 2, NULL, got, st), MPROC_ETYPE);
  CU_ASSERT(st[0] == MPROC_ETYPE && st[1] == MPROC_ETYPE && got[0] == 0);
  /* without statuses: the wrong type and the failed item are still told apart */
  T_STATUS(mproc_pool_map_i64(p, "map_text", xs + 500, 2, NULL, got, NULL), MPROC_ETYPE);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "item 0 did not return one int64"));
  T_STATUS(mproc_pool_map_i64(p, "map_sleep", mixed, 4, NULL, got, NULL), MPROC_EFAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "negative"));
  /* chunks of 7: every chunk's items read from its own place in the arrays */
  memset(hs, 0, sizeof hs);
  for (i = 0; i < N; i++)
    sts[i] = MPROC_EFAILED;
  T_OK(mproc_pool_map_f64(p, "map_half", ds, N, &(mproc_map_options){.chunksize = 7}, hs, sts));
  for (i = 0; i < N; i++)
    ok &= hs[i] == ds[i] / 2 && sts[i] == MPROC_OK;
  CU_ASSERT(ok);
  T_STATUS(mproc_pool_map_i64(p, "map_square", NULL, 3, NULL, got, st), MPROC_EINVAL);
  CU_ASSERT(st[0] == MPROC_EINVAL && st[2] == MPROC_EINVAL); /* a refusal writes each status */
  T_STATUS(mproc_pool_map_f64(p, "map_half", ds, 3, NULL, NULL, NULL), MPROC_EINVAL);
  T_OK(mproc_pool_map_i64(p, "map_square", NULL, 0, NULL, NULL, NULL));
  T_STATUS(mproc_pool_map_i64(p, "no_such_fn", xs, 4, NULL, got, st), MPROC_ENOFUNC);
  CU_ASSERT(st[3] == MPROC_ENOFUNC && got[3] == 0);
  T_OK(mproc_pool_destroy(p));
}

/* A get that times out while chunks still run gives nothing and keeps the
 * map gatherable: a later get returns every result, in order. */
static void test_map_get_timeout(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = NULL, *res = NULL;
  mproc_status st[6];
  mproc_map_options o;
  mproc_map *m = NULL;
  int64_t v = 0, ms[6] = {0, 0, 0, 300, 0, 0};
  size_t i, n = 0;
  T_OK(mproc_args_create(&items));
  for (i = 0; i < 6; i++)
    mproc_args_add_i64(items, ms[i]);
  memset(&o, 0, sizeof o);
  o.chunksize = 2; /* the first chunk settles at once, the second after 300 ms */
  T_OK(mproc_pool_map_async(p, &m, "map_sleep", items, &o));
  mproc_args_destroy(items);
  T_STATUS(mproc_map_get(m, 50, &res, st), MPROC_ETIMEDOUT);
  CU_ASSERT_PTR_NULL(res);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "not every item is done"));
  T_OK(mproc_map_get(m, T_BOUND_MS, &res, st));
  T_OK(mproc_args_count(res, &n));
  CU_ASSERT_EQUAL(n, 6);
  for (i = 0; i < 6; i++) {
    CU_ASSERT_EQUAL(st[i], MPROC_OK);
    T_OK(mproc_args_get_i64(res, i, &v));
    CU_ASSERT_EQUAL(v, ms[i]);
  }
  mproc_args_destroy(res);
  mproc_map_destroy(m);
  T_OK(mproc_pool_destroy(p));
}

/* Checks the strings map_text returned for items [0, n), item @bad failed. */
static void check_texts(const mproc_args *res, size_t n, size_t bad) {
  char want[32];
  const char *got = NULL;
  mproc_type type = MPROC_TYPE_I64;
  size_t i, count = 0;
  T_OK(mproc_args_count(res, &count));
  CU_ASSERT_EQUAL(count, n);
  for (i = 0; i < n && i < count; i++) {
    if (i == bad) {
      T_OK(mproc_args_type(res, i, &type));
      CU_ASSERT_EQUAL(type, MPROC_TYPE_NONE);
      continue;
    }
    snprintf(want, sizeof want, "item %zu", i);
    T_OK(mproc_args_get_str(res, i, &got));
    CU_ASSERT_STRING_EQUAL(got, want);
  }
}

/* map_async decodes its chunks straight into its results (see map.c):
 * values that own buffers, beside a chunk with a failed item that is
 * copied; read by mproc_map_next() instead of a get; or never read. Each
 * way gives every value once, in order (and leaks nothing: asan, valgrind). */
static void test_map_async_into_results(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = NULL, *good = range_args(100), *res = NULL;
  mproc_status st[100];
  mproc_map_options o;
  mproc_map *m = NULL;
  mproc_map_item it;
  const char *got = NULL;
  char want[32];
  size_t i;
  memset(&o, 0, sizeof o);
  o.chunksize = 8;
  T_OK(mproc_args_create(&items));
  for (i = 0; i < 100; i++) /* item 50 fails: chunk 6 is not plain */
    T_OK(mproc_args_add_i64(items, i == 50 ? -1 : (int64_t)i));
  T_OK(mproc_pool_map_async(p, &m, "map_text", items, &o));
  T_STATUS(mproc_map_get(m, T_BOUND_MS, &res, st), MPROC_EFAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "item 50"));
  check_texts(res, 100, 50);
  for (i = 0; i < 100; i++)
    CU_ASSERT_EQUAL(st[i], i == 50 ? MPROC_EFAILED : MPROC_OK);
  mproc_args_destroy(res);
  mproc_map_destroy(m);
  mproc_args_destroy(items);
  items = good;
  T_OK(mproc_pool_map_async(p, &m, "map_text", items, &o));
  for (i = 0; i < 100; i++) {
    T_OK(mproc_map_next(m, T_BOUND_MS, &it));
    snprintf(want, sizeof want, "item %zu", it.index);
    T_OK(mproc_args_get_str(it.result, 0, &got));
    CU_ASSERT_STRING_EQUAL(got, want);
  }
  T_STATUS(mproc_map_get(m, 0, &res, NULL), MPROC_ESTATE);
  mproc_map_destroy(m);
  T_OK(mproc_pool_map_async(p, &m, "map_text", items, &o));
  T_OK(mproc_map_wait(m, T_BOUND_MS));
  mproc_map_destroy(m); /* settled, never read */
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

/* Chunks of 180 KB each way go through the workers' lanes (shared memory,
 * see lane.c): a worker that dies in one fails that chunk alone, its
 * replacement is sent the lanes again, and the next maps are whole. */
static void test_large_chunks(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = NULL, *res = NULL;
  mproc_status *st = calloc(100000, sizeof *st);
  size_t i, crashed = 0, ok = 0, n = 0;
  int64_t v = 0;
  int round;
  T_OK(mproc_args_create(&items));
  for (i = 0; i < 100000; i++) /* chunk 1 of 5 aborts */
    T_OK(mproc_args_add_i64(items, i == 30000 ? -999 : (int64_t)i));
  T_STATUS(mproc_pool_map(p, "map_square_or_abort", items, &(mproc_map_options){.chunksize = 20000},
                          &res, st),
           MPROC_ECRASHED);
  for (i = 0; i < 100000; i++) {
    crashed += st[i] == MPROC_ECRASHED;
    ok += st[i] == MPROC_OK;
  }
  CU_ASSERT_EQUAL(crashed, 20000);
  CU_ASSERT_EQUAL(ok, 80000);
  CU_ASSERT(st[20000] == MPROC_ECRASHED && st[39999] == MPROC_ECRASHED && st[40000] == MPROC_OK);
  T_OK(mproc_args_get_i64(res, 99999, &v));
  CU_ASSERT_EQUAL(v, (int64_t)99999 * 99999);
  mproc_args_destroy(res);
  mproc_args_destroy(items);
  items = range_args(100000);
  for (round = 0; round < 3; round++) { /* both workers, the new one too */
    T_OK(mproc_pool_map(p, "map_square_or_abort", items, &(mproc_map_options){.chunksize = 20000},
                        &res, NULL));
    T_OK(mproc_args_count(res, &n));
    CU_ASSERT_EQUAL(n, 100000);
    for (i = 0; i < n; i += 997) {
      T_OK(mproc_args_get_i64(res, i, &v));
      CU_ASSERT_EQUAL(v, (int64_t)i * (int64_t)i);
    }
    mproc_args_destroy(res);
  }
  mproc_args_destroy(items);
  free(st);
  T_OK(mproc_pool_destroy(p));
}

/* How many of @p's workers were given lanes and a mailbox. */
static void count_fast_paths(mproc_pool *p, int *lanes, int *mboxes) {
  int i;
  *lanes = *mboxes = 0;
  apr_thread_mutex_lock(p->lock);
  for (i = 0; i < p->nworkers; i++) {
    *lanes += p->workers[i].lanes == 1;
    *mboxes += p->workers[i].mbox.given == 1;
  }
  apr_thread_mutex_unlock(p->lock);
}

/* Large chunks (lanes) and many quick tasks (mailboxes); checks the results. */
static void large_and_quick_maps(mproc_pool *p) {
  mproc_args *items = range_args(100000), *res = NULL;
  mproc_map_options o;
  int64_t v = 0;
  int round;
  for (round = 0; round < 2; round++) {
    T_OK(mproc_pool_map(p, "map_square", items, &(mproc_map_options){.chunksize = 20000}, &res,
                        NULL));
    T_OK(mproc_args_get_i64(res, 77777, &v));
    CU_ASSERT_EQUAL(v, (int64_t)77777 * 77777);
    mproc_args_destroy(res);
  }
  mproc_args_destroy(items);
  items = range_args(300);
  memset(&o, 0, sizeof o);
  o.chunksize = 1;
  T_OK(mproc_pool_map(p, "map_square", items, &(mproc_map_options){.chunksize = 1}, &res, NULL));
  T_OK(mproc_args_get_i64(res, 299, &v));
  CU_ASSERT_EQUAL(v, 299 * 299);
  mproc_args_destroy(res);
  mproc_args_destroy(items);
}

/* MPROC_POOL_DISABLE turns fast paths off, with the same results, and an
 * entry that names no fast path is a clear error. */
static void test_fast_paths_off(void) {
  char *saved = t_getenv("MPROC_POOL_DISABLE");
  mproc_pool *p = NULL;
  mproc_pool_options o;
  int lanes = 0, mboxes = 0;
  memset(&o, 0, sizeof o);
  o.workers = 2;
  t_setenv("MPROC_POOL_DISABLE", "lanes, bogus");
  T_STATUS(mproc_pool_create(&p, &o), MPROC_EINVAL);
  CU_ASSERT(strstr(mproc_last_error(), "\"bogus\"") != NULL);
  t_setenv("MPROC_POOL_DISABLE", "lanes,mbox");
  p = new_pool(2);
  large_and_quick_maps(p);
  count_fast_paths(p, &lanes, &mboxes);
  CU_ASSERT_EQUAL(lanes, 0);
  CU_ASSERT_EQUAL(mboxes, 0);
  T_OK(mproc_pool_destroy(p));
  t_setenv("MPROC_POOL_DISABLE", NULL);
  p = new_pool(2);
  large_and_quick_maps(p);
  count_fast_paths(p, &lanes, &mboxes);
  CU_ASSERT(lanes >= 1); /* a chunk of 20000 numbers is 180 KB: it takes a lane */
  T_OK(mproc_pool_destroy(p));
  t_setenv("MPROC_POOL_DISABLE", saved);
  free(saved);
}

/* A failing item, a crashing chunk and a failing source: each reported where it belongs. */
static void test_failures(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = NULL;
  counter c = {0, 100, 5, MPROC_ERANGE, 0};
  mproc_map_options o;
  mproc_map *m = NULL;
  mproc_map_item it;
  int64_t in[6] = {1, -1, 2, -999, 3, 4};
  size_t i, n = 0;
  T_OK(mproc_args_create(&items));
  for (i = 0; i < 6; i++)
    mproc_args_add_i64(items, in[i]);
  memset(&o, 0, sizeof o);
  o.chunksize = 1;
  T_OK(mproc_pool_imap(p, &m, "map_sleep", items, &o));
  for (i = 0; i < 6; i++) {
    T_OK(mproc_map_next(m, T_BOUND_MS, &it));
    CU_ASSERT_EQUAL(it.status, i == 1 ? MPROC_EFAILED : i == 3 ? MPROC_ECRASHED : MPROC_OK);
    if (i == 1)
      CU_ASSERT_STRING_EQUAL(it.message, "negative");
    mproc_args_count(it.result, &n);
    CU_ASSERT_EQUAL(n, it.status == MPROC_OK ? 1u : 0u);
  }
  mproc_map_destroy(m);
  mproc_args_destroy(items);
  T_OK(mproc_pool_imap_source(p, &m, "map_square", count_source, &c, NULL));
  for (i = 0; mproc_map_next(m, T_BOUND_MS, &it) == MPROC_OK; i++)
    CU_ASSERT_EQUAL(it.status, MPROC_OK);
  CU_ASSERT_EQUAL(i, 5); /* the items before the failure */
  T_STATUS(mproc_map_next(m, T_BOUND_MS, &it), MPROC_ERANGE);
  CU_ASSERT(strstr(mproc_last_error(), "the source returned") != NULL);
  CU_ASSERT(strstr(mproc_last_error(), "item 5") != NULL);
  mproc_map_destroy(m);
  T_OK(mproc_pool_destroy(p));
}

/* Item 10 ends the map: the source stops being pulled, the rest is CANCELLED. */
static void test_bailout(void) {
  mproc_pool *p = new_pool(2);
  counter c = {0, 10000, 0, MPROC_OK, 0};
  mproc_args *items = range_args(200);
  mproc_map *m = NULL;
  mproc_map_item it;
  mproc_map_options o;
  mproc_status st[200];
  size_t i, ok = 0, cancelled = 0, n = 0;
  memset(&o, 0, sizeof o);
  o.chunksize = 1;
  o.window = 8;
  T_OK(mproc_pool_imap_source(p, &m, "map_bailout", count_source, &c, &o));
  /* Items before 10 that had not started when it cancelled are cancelled
   * too (a slow worker may not have picked one up yet): no count of OK
   * items is promised, only that item 10 is, and nothing else happens. */
  while (mproc_map_next(m, T_BOUND_MS, &it) == MPROC_OK) {
    n++;
    ok += it.status == MPROC_OK;
    cancelled += it.status == MPROC_ECANCELED;
    if (it.index == 10)
      CU_ASSERT_EQUAL(it.status, MPROC_OK);
  }
  CU_ASSERT(n >= 11);
  CU_ASSERT_EQUAL(ok + cancelled, n);
  CU_ASSERT(cancelled >= 1);
  CU_ASSERT(c.calls < 100); /* it stopped pulling well before the 10,000 */
  mproc_map_destroy(m);
  T_STATUS(mproc_pool_map(p, "map_bailout", items, &(mproc_map_options){.chunksize = 1}, NULL, st),
           MPROC_ECANCELED);
  for (i = 0, ok = 0; i < 200; i++)
    ok += st[i] == MPROC_OK;
  CU_ASSERT(st[10] == MPROC_OK);
  CU_ASSERT(ok < 200);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

/* Waits until both workers of @p run tasks (a replaced one has started):
 * two 30 ms tasks at once run on two workers (an idle worker takes back a
 * task queued behind a busy one). */
static void wait_both_up(mproc_pool *p) {
  mproc_args *a = NULL;
  mproc_future *f[2];
  mproc_task_info info[2];
  int tries, i;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, 30));
  for (tries = 0; tries < 200; tries++) {
    for (i = 0; i < 2; i++)
      T_OK(mproc_pool_submit(p, &f[i], "map_sleep", a, NULL));
    for (i = 0; i < 2; i++) {
      T_OK(mproc_future_wait(f[i], T_BOUND_MS));
      T_OK(mproc_future_info(f[i], &info[i]));
      mproc_future_destroy(f[i]);
    }
    if (info[0].pid != info[1].pid)
      break;
  }
  CU_ASSERT(tries < 200);
  mproc_args_destroy(a);
}

/* Short tasks are pipelined (sent to a worker before it finished the one it
 * runs): a crash fails only the call that crashed, the tasks queued behind it
 * run elsewhere; a bail-out cancels them unrun. */
static void test_pipelined(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = NULL;
  mproc_status st[300];
  size_t i, crashed = 0, ok = 0, cancelled = 0;
  T_OK(mproc_args_create(&items));
  for (i = 0; i < 300; i++)
    mproc_args_add_i64(items, i == 150 ? -999 : 0);
  T_STATUS(mproc_pool_map(p, "map_sleep", items, &(mproc_map_options){.chunksize = 1}, NULL, st),
           MPROC_ECRASHED);
  for (i = 0; i < 300; i++) {
    crashed += st[i] == MPROC_ECRASHED;
    ok += st[i] == MPROC_OK;
  }
  CU_ASSERT_EQUAL(st[150], MPROC_ECRASHED);
  CU_ASSERT_EQUAL(crashed, 1);
  CU_ASSERT_EQUAL(ok, 299);
  mproc_args_destroy(items);
  wait_both_up(p); /* else item 10 may wait for the new worker and run last (TSan) */
  items = range_args(300);
  T_STATUS(
      mproc_pool_map(p, "map_bailout_fast", items, &(mproc_map_options){.chunksize = 1}, NULL, st),
      MPROC_ECANCELED);
  for (i = 0, ok = 0; i < 300; i++) {
    ok += st[i] == MPROC_OK;
    cancelled += st[i] == MPROC_ECANCELED;
  }
  CU_ASSERT_EQUAL(st[10], MPROC_OK);
  CU_ASSERT_EQUAL(ok + cancelled, 300);
  CU_ASSERT(cancelled > 0);
  mproc_args_destroy(items);
  /* fast chunks with large frames both ways: a task must never be pushed at a
   * worker that is busy writing its result (the pool's lock would be held in
   * a send that waits for a reader that waits for that lock) */
  items = range_args(400000);
  T_OK(
      mproc_pool_map(p, "map_square", items, &(mproc_map_options){.chunksize = 25000}, NULL, NULL));
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

/* Destroying a map mid-way drops its queue; the pool goes on. */
static void test_destroy_midway(void) {
  mproc_pool *p = new_pool(2);
  mproc_args *items = NULL, *res = NULL;
  mproc_map *m = NULL;
  mproc_map_item it;
  mproc_map_options o;
  int64_t v = 0;
  size_t i;
  T_OK(mproc_args_create(&items));
  for (i = 0; i < 40; i++)
    mproc_args_add_i64(items, 20);
  memset(&o, 0, sizeof o);
  o.chunksize = 1;
  T_OK(mproc_pool_imap(p, &m, "map_sleep", items, &o));
  T_OK(mproc_map_next(m, T_BOUND_MS, &it));
  T_OK(mproc_map_destroy(m));
  T_OK(mproc_pool_map_async(p, &m, "map_sleep", items, &o));
  T_OK(mproc_map_destroy(m)); /* before anything finished */
  mproc_args_destroy(items);
  T_OK(mproc_args_create(&items));
  mproc_args_add_i64(items, 7);
  T_OK(mproc_pool_apply(p, "map_square", items, &res));
  T_OK(mproc_args_get_i64(res, 0, &v));
  CU_ASSERT_EQUAL(v, 49);
  mproc_args_destroy(res);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

/* A map may outlive its pool: finished items can be taken, the rest is ESTATE. */
static void test_outlives_pool(void) {
  mproc_pool *p = new_pool(1);
  mproc_args *items = range_args(40);
  mproc_map_options o;
  mproc_map *m = NULL;
  mproc_map_item it;
  size_t ok = 0, other = 0;
  memset(&o, 0, sizeof o);
  o.chunksize = 1;
  o.window = 4;
  T_OK(mproc_pool_imap(p, &m, "map_square", items, &o));
  T_OK(mproc_map_next(m, T_BOUND_MS, &it));
  CU_ASSERT_EQUAL(it.status, MPROC_OK);
  T_OK(mproc_pool_destroy(p));
  while (mproc_map_next(m, T_BOUND_MS, &it) == MPROC_OK) {
    ok += it.status == MPROC_OK;
    other += it.status == MPROC_ESTATE || it.status == MPROC_ECANCELED;
  }
  CU_ASSERT_EQUAL(1 + ok + other, 40);
  CU_ASSERT(other >= 35); /* at most the window was queued before the pool went */
  T_OK(mproc_map_destroy(m));
  mproc_args_destroy(items);
}

static void test_bad_input(void) {
  mproc_pool *p = new_pool(1);
  mproc_args *items = range_args(3);
  mproc_map *m = NULL;
  mproc_map_item it;
  size_t d, t;
  T_STATUS(mproc_pool_imap(NULL, &m, "map_square", items, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_imap(p, NULL, "map_square", items, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_imap(p, &m, NULL, items, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_imap(p, &m, "map_square", NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_imap(p, &m, "no_such_function", items, NULL), MPROC_ENOFUNC);
  T_STATUS(mproc_pool_map_async(p, &m, "no_such_function", items, NULL), MPROC_ENOFUNC);
  T_STATUS(mproc_pool_imap_source(p, &m, "map_square", NULL, NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_starmap(p, "map_mul", NULL, 2, NULL, NULL, NULL), MPROC_EINVAL);
  { /* n is checked before the array is read: one list, a wild n (ASan watches) */
    const mproc_args *one[1];
    one[0] = items;
    T_STATUS(mproc_pool_starmap(p, "map_mul", one, (size_t)1 << 40, NULL, NULL, NULL),
             MPROC_ERANGE);
  }
  T_STATUS(mproc_pool_map(p, "map_square", NULL, NULL, NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_map_next(NULL, 0, &it), MPROC_EINVAL);
  T_STATUS(mproc_map_get(NULL, 0, NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_map_progress(NULL, &d, &t), MPROC_EINVAL);
  T_STATUS(mproc_map_destroy(NULL), MPROC_EINVAL);
  T_OK(mproc_pool_close(p));
  T_STATUS(mproc_pool_imap(p, &m, "map_square", items, NULL), MPROC_ESTATE);
  mproc_args_destroy(items);
  T_OK(mproc_pool_destroy(p));
}

static const CU_TestInfo tests[] = {
    {"map of 100,000 items (beyond 65,536)", test_map_beyond_old_limit},
    {"imap: in order, windowed", test_imap_ordered},
    {"imap_unordered: completion order", test_imap_unordered},
    {"imap over a source is lazy", test_imap_source_is_lazy},
    {"starmap, lazy starmap", test_starmap},
    {"map_async: wait, progress, callback, get once", test_map_async},
    {"map callback or error_callback, as Python; blocking map options", test_map_error_callback},
    {"starmap_async: lists copied, results as starmap", test_starmap_async},
    {"typed maps: C arrays of int64 and double in and out", test_typed_maps},
    {"map_async: a get that times out keeps the map; the next gets all", test_map_get_timeout},
    {"map_async decodes into its results: get, next, or neither", test_map_async_into_results},
    {"large chunks through lanes; a worker dies in one", test_large_chunks},
    {"MPROC_POOL_DISABLE turns fast paths off", test_fast_paths_off},
    {"failing item, crashing chunk, failing source", test_failures},
    {"bail-out ends an imap and a map", test_bailout},
    {"pipelined short tasks: a crash, a bail-out", test_pipelined},
    {"destroy mid-way; the pool goes on", test_destroy_midway},
    {"a map outlives its pool", test_outlives_pool},
    {"bad input", test_bad_input},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {
    MPROC_FUNCTION(map_square),  MPROC_FUNCTION(map_mul),
    MPROC_FUNCTION(map_half),    MPROC_FUNCTION(map_sleep),
    MPROC_FUNCTION(map_bailout), MPROC_FUNCTION(map_bailout_fast),
    MPROC_FUNCTION(map_text),    MPROC_FUNCTION(map_square_or_abort),
    MPROC_FUNCTIONS_END};

const test_suite suite_map = {"map", tests, functions};
