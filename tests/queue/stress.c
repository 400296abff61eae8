/*
 * Stress of the queue's stream (runtime/queue/stream.c) with messages of
 * random sizes through a small first ring, so that every put may wrap,
 * grow or shrink a ring: across processes (what the rings are for) and
 * across threads sharing one handle (what the tsan preset watches).
 * Every message carries its sequence number and bytes derived from it, so
 * a lost, doubled, reordered or torn message fails the test.
 */
#include <stdio.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_thread_proc.h>

#include "base/atomic.h"
#include "tests.h"

#define MAX_BYTES 3000 /* most of a 4 KiB ring: many wraps and growths */

static uint32_t mix(uint64_t i) {
  uint64_t x = i * 0x9e3779b97f4a7c15ull;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ull;
  return (uint32_t)(x >> 32);
}
static size_t size_of(int64_t i) { return mix((uint64_t)i) % MAX_BYTES; }
static void fill(unsigned char *b, size_t n, int64_t i) {
  size_t k;
  for (k = 0; k < n; k++)
    b[k] = (unsigned char)(i * 31 + (int64_t)k);
}

/* Message @i: [i, bytes of size_of(i)]. */
static mproc_status put_seq(mproc_queue *q, mproc_args *m, int64_t i) {
  unsigned char buf[MAX_BYTES];
  size_t n = size_of(i);
  fill(buf, n, i);
  mproc_args_clear(m);
  mproc_args_add_i64(m, i);
  mproc_args_add_bytes(m, buf, n);
  return mproc_queue_put(q, m, MPROC_WAIT_FOREVER);
}

/* The sequence number of message @m, or -1 when it is not intact. */
static int64_t check_seq(const mproc_args *m) {
  unsigned char buf[MAX_BYTES];
  const void *d = NULL;
  size_t n = 0;
  int64_t i = -1;
  if (mproc_args_get_i64(m, 0, &i) != MPROC_OK || mproc_args_get_bytes(m, 1, &d, &n) != MPROC_OK ||
      i < 0 || n != size_of(i))
    return -1;
  fill(buf, n, i);
  return n == 0 || memcmp(d, buf, n) == 0 ? i : -1;
}

/* args: [queue, first, count, stride]: puts messages first, first+stride, ... */
static int child_put_range(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_args *m = NULL;
  int64_t first = 0, count = 0, stride = 1, k;
  int rc = 0;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) != MPROC_OK || mproc_args_get_i64(a, 1, &first) ||
      mproc_args_get_i64(a, 2, &count) || mproc_args_get_i64(a, 3, &stride) ||
      mproc_args_create(&m))
    return 2;
  for (k = 0; k < count && rc == 0; k++)
    rc = put_seq(q, m, first + k * stride) == MPROC_OK ? 0 : 1;
  mproc_args_destroy(m);
  mproc_queue_close(q);
  return rc;
}

/* One producer process, the parent consuming: order and content exact. */
static void stress_one_producer(uint32_t maxsize) {
  enum { N = 20000 };
  mproc_queue_options o = {.maxsize = maxsize, .capacity_bytes = 4096};
  mproc_queue *q = NULL;
  mproc_args *a = NULL, *m = NULL;
  mproc_process *p;
  int64_t i, bad = -1;
  T_OK(mproc_queue_create(&q, &o));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_create(&m));
  mproc_args_add_queue(a, q);
  mproc_args_add_i64(a, 0);
  mproc_args_add_i64(a, N);
  mproc_args_add_i64(a, 1);
  p = t_start("child_put_range", a, NULL);
  for (i = 0; i < N && bad < 0; i++) {
    mproc_status st = mproc_queue_get(q, m, T_BOUND_MS);
    if (st != MPROC_OK || check_seq(m) != i)
      bad = i;
  }
  CU_ASSERT_EQUAL(bad, -1);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  CU_ASSERT_TRUE(mproc_queue_empty(q));
  T_OK(mproc_queue_destroy(q));
  mproc_args_destroy(a);
  mproc_args_destroy(m);
}

static void test_random_sizes_unbounded(void) { stress_one_producer(0); }
static void test_random_sizes_bounded(void) { stress_one_producer(8); }

/* Four producer processes (message i from producer i % 4), two consumer
 * threads of the parent taking batches: each message exactly once, and
 * each producer's messages in its order. */
enum { P_PROCS = 4, P_EACH = 5000, P_TOTAL = P_PROCS * P_EACH, C_THREADS = 2 };

typedef struct consumer_ctx {
  mproc_queue *q;
  unsigned char *seen; /* P_TOTAL flags, written by one thread per index */
  int64_t last[P_PROCS];
  char error[160];
} consumer_ctx;

static volatile uint32_t total_taken;

static void *APR_THREAD_FUNC consume(apr_thread_t *t, void *arg) {
  consumer_ctx *c = arg;
  mproc_args *m[16];
  size_t k, got;
  int i;
  for (i = 0; i < 16; i++)
    mproc_args_create(&m[i]);
  while (!c->error[0] && mproc__load32(&total_taken) < P_TOTAL) {
    mproc_status st = mproc_queue_get_many(
        c->q, m, 1 + (size_t)(mix(mproc__load32(&total_taken)) % 16), 50, &got);
    if (st == MPROC_EEMPTY)
      continue;
    if (st != MPROC_OK) {
      snprintf(c->error, sizeof c->error, "get_many: %s", mproc_last_error());
      break;
    }
    for (k = 0; k < got && !c->error[0]; k++) {
      int64_t s = check_seq(m[k]);
      if (s < 0 || s >= P_TOTAL || c->seen[s] || s <= c->last[s % P_PROCS])
        snprintf(c->error, sizeof c->error, "message %lld torn, doubled or out of order",
                 (long long)s);
      else {
        c->seen[s] = 1;
        c->last[s % P_PROCS] = s;
      }
    }
    mproc__add32(&total_taken, (uint32_t)got);
  }
  for (i = 0; i < 16; i++)
    mproc_args_destroy(m[i]);
  apr_thread_exit(t, APR_SUCCESS);
  return NULL;
}

static void test_processes_and_threads(void) {
  static unsigned char seen[P_TOTAL];
  mproc_queue_options o = {.capacity_bytes = 4096};
  consumer_ctx ctx[C_THREADS];
  apr_thread_t *th[C_THREADS];
  apr_pool_t *pool = NULL;
  mproc_process *p[P_PROCS];
  mproc_queue *q = NULL;
  int i, j, missing = 0;
  memset(seen, 0, sizeof seen);
  total_taken = 0;
  T_OK(mproc_queue_create(&q, &o));
  for (i = 0; i < P_PROCS; i++) {
    mproc_args *a = NULL;
    mproc_args_create(&a);
    mproc_args_add_queue(a, q);
    mproc_args_add_i64(a, i);
    mproc_args_add_i64(a, P_EACH);
    mproc_args_add_i64(a, P_PROCS);
    p[i] = t_start("child_put_range", a, NULL);
    mproc_args_destroy(a);
  }
  CU_ASSERT_FATAL(apr_pool_create(&pool, NULL) == APR_SUCCESS);
  for (i = 0; i < C_THREADS; i++) {
    memset(&ctx[i], 0, sizeof ctx[i]);
    ctx[i].q = q;
    ctx[i].seen = seen;
    for (j = 0; j < P_PROCS; j++)
      ctx[i].last[j] = -1;
    CU_ASSERT_FATAL(apr_thread_create(&th[i], NULL, consume, &ctx[i], pool) == APR_SUCCESS);
  }
  for (i = 0; i < C_THREADS; i++) {
    apr_status_t rv;
    apr_thread_join(&rv, th[i]);
    if (ctx[i].error[0])
      fprintf(stderr, "consumer %d: %s\n", i, ctx[i].error);
    CU_ASSERT_EQUAL(ctx[i].error[0], 0);
  }
  for (i = 0; i < P_PROCS; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
  for (i = 0; i < P_TOTAL; i++)
    missing += !seen[i];
  CU_ASSERT_EQUAL(missing, 0);
  CU_ASSERT_TRUE(mproc_queue_empty(q));
  T_OK(mproc_queue_destroy(q));
  apr_pool_destroy(pool);
}

static CU_TestInfo tests[] = {
    {"random sizes through a 4 KiB ring arrive intact and in order", test_random_sizes_unbounded},
    {"the same through a queue of maxsize 8", test_random_sizes_bounded},
    {"4 producer processes, 2 consumer threads: each message once, in order per producer",
     test_processes_and_threads},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(child_put_range), MPROC_FUNCTIONS_END};

const test_suite suite_queue_stress = {"queue_stress", tests, functions};
