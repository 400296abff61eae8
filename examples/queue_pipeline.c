/*
 * Example "producers and consumers through a Queue": 3 producer processes
 * put numbers into a work queue, 2 consumers take them until each gets its
 * sentinel (-1), and send their count and sum back through a second queue,
 * which the parent reads and checks. Python:
 *     def producer(q, p):
 *         for k in range(20): q.put(p * 100 + k)
 *     def consumer(q, results, c):
 *         n = total = 0
 *         while (item := q.get()) != -1: n += 1; total += item
 *         results.put((c, n, total))
 *     work, results = Queue(8), Queue()
 *     ... start the consumers and producers, join the producers ...
 *     for _ in consumers: work.put(-1)        # one sentinel per consumer
 *     got = [results.get(timeout=5) for _ in consumers]
 * A put is complete when it returns (no feeder thread), so a producer may
 * exit at once, and the parent may join the processes in any order.
 */
#include <stdio.h>

#include "mproc.h"

enum { PRODUCERS = 3, CONSUMERS = 2, ITEMS = 20, MAXSIZE = 8, TIMEOUT_MS = 2000 };

static int producer(const mproc_args *args, mproc_args *result) {
  mproc_queue *work = NULL;
  mproc_args *msg = NULL;
  int64_t p = 0, k;
  int rc = 0;
  (void)result;
  if (mproc_args_get_queue(args, 0, &work) || mproc_args_get_i64(args, 1, &p) ||
      mproc_args_create(&msg)) {
    fprintf(stderr, "producer: %s\n", mproc_last_error());
    return 1;
  }
  for (k = 0; k < ITEMS && rc == 0; k++) {
    /* A message is a whole mproc_args list (here one value), copied by the
     * put: one list serves every message. The queue has a maxsize, so a put
     * waits for room while the consumers lag. (pack takes an int64_t for
     * "i64", unconverted: p * 100 + k is one.) */
    if (mproc_args_clear(msg) || mproc_args_pack(msg, "i64", p * 100 + k) ||
        mproc_queue_put(work, msg, TIMEOUT_MS)) {
      fprintf(stderr, "producer %lld: %s\n", (long long)p, mproc_last_error());
      rc = 1;
    }
  }
  mproc_args_destroy(msg);
  if (rc == 0)
    printf("  [producer %lld] put %d items\n", (long long)p, ITEMS);
  return rc;
}

static int consumer(const mproc_args *args, mproc_args *result) {
  mproc_queue *work = NULL, *results = NULL;
  mproc_args *msg = NULL;
  int64_t c = 0, item = 0, n = 0, total = 0;
  mproc_status st;
  int rc = 1;
  (void)result;
  if (mproc_args_get_queue(args, 0, &work) || mproc_args_get_queue(args, 1, &results) ||
      mproc_args_get_i64(args, 2, &c) || mproc_args_create(&msg)) {
    fprintf(stderr, "consumer: %s\n", mproc_last_error());
    return 1;
  }
  for (;;) { /* each get replaces the list's values with the next message */
    st = mproc_queue_get(work, msg, TIMEOUT_MS);
    if (st == MPROC_OK)
      st = mproc_args_get_i64(msg, 0, &item);
    if (st != MPROC_OK || item == -1)
      break;
    n++;
    total += item;
  }
  if (st != MPROC_OK) {
    fprintf(stderr, "consumer %lld: %s: %s\n", (long long)c, mproc_status_name(st),
            mproc_last_error());
  } else { /* the sentinel: report (c, n, total) in one message */
    printf("  [consumer %lld] got its sentinel after %lld items\n", (long long)c, (long long)n);
    if (mproc_args_clear(msg) || mproc_args_pack(msg, "i64 i64 i64", c, n, total) ||
        mproc_queue_put(results, msg, TIMEOUT_MS))
      fprintf(stderr, "consumer %lld: %s\n", (long long)c, mproc_last_error());
    else
      rc = 0;
  }
  mproc_args_destroy(msg);
  return rc;
}

static const mproc_function functions[] = {MPROC_FUNCTION(producer), MPROC_FUNCTION(consumer),
                                           MPROC_FUNCTIONS_END};

/* Starts function(work, [results,] i). */
static int start(mproc_process **p, const char *function, mproc_queue *work, mproc_queue *results,
                 int64_t i) {
  mproc_args *a = NULL;
  int ok = mproc_args_create(&a) == MPROC_OK && mproc_args_add_queue(a, work) == MPROC_OK &&
           (!results || mproc_args_add_queue(a, results) == MPROC_OK) &&
           mproc_args_add_i64(a, i) == MPROC_OK &&
           mproc_process_create(p, function, a, NULL) == MPROC_OK &&
           mproc_process_start(*p) == MPROC_OK;
  if (!ok)
    fprintf(stderr, "cannot start %s: %s\n", function, mproc_last_error());
  mproc_args_destroy(a);
  return ok;
}

static int join(mproc_process *p) {
  int code = -1;
  if (mproc_process_join(p, TIMEOUT_MS) != MPROC_OK || mproc_process_exitcode(p, &code) != MPROC_OK)
    fprintf(stderr, "%s did not end: %s\n", mproc_process_name(p), mproc_last_error());
  mproc_process_destroy(p);
  return code == 0;
}

int main(int argc, char **argv) {
  mproc_queue_options bounded = {0};
  mproc_queue *work = NULL, *results = NULL;
  mproc_process *producers[PRODUCERS], *consumers[CONSUMERS];
  mproc_args *msg = NULL, *sentinel = NULL;
  int64_t n = 0, total = 0, expected = 0, c, got_n, got_total;
  int i, k, ok = 1;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK)
    return 1;
  bounded.maxsize = MAXSIZE; /* Queue(8); NULL options would be an unbounded SimpleQueue */
  if (mproc_queue_create(&work, &bounded) != MPROC_OK ||
      mproc_queue_create(&results, NULL) != MPROC_OK || mproc_args_create(&msg) != MPROC_OK ||
      mproc_args_create(&sentinel) != MPROC_OK) {
    fprintf(stderr, "cannot create the queues: %s\n", mproc_last_error());
    return 1;
  }
  printf("[MainProcess] %d producers of %d items, %d consumers, work queue of maxsize %d\n",
         PRODUCERS, ITEMS, CONSUMERS, MAXSIZE);
  for (i = 0; i < CONSUMERS; i++)
    if (!start(&consumers[i], "consumer", work, results, i))
      return 1;
  for (i = 0; i < PRODUCERS; i++)
    if (!start(&producers[i], "producer", work, NULL, i))
      return 1;
  for (i = 0; i < PRODUCERS; i++)
    ok &= join(producers[i]);
  /* Every item was put: the sentinels go behind them (FIFO), one per consumer. */
  if (mproc_args_add_i64(sentinel, -1) != MPROC_OK)
    return 1;
  for (i = 0; i < CONSUMERS; i++)
    if (mproc_queue_put(work, sentinel, TIMEOUT_MS) != MPROC_OK) {
      fprintf(stderr, "cannot put a sentinel: %s\n", mproc_last_error());
      return 1;
    }
  for (i = 0; i < CONSUMERS; i++) {
    mproc_status st = mproc_queue_get(results, msg, TIMEOUT_MS);
    if (st != MPROC_OK || mproc_args_unpack(msg, "i64 i64 i64", &c, &got_n, &got_total)) {
      fprintf(stderr, "no result: %s: %s\n", mproc_status_name(st), mproc_last_error());
      return 1;
    }
    printf("[MainProcess] consumer %lld: %lld items, sum %lld\n", (long long)c, (long long)got_n,
           (long long)got_total);
    n += got_n;
    total += got_total;
  }
  for (i = 0; i < CONSUMERS; i++)
    ok &= join(consumers[i]);
  for (i = 0; i < PRODUCERS; i++)
    for (k = 0; k < ITEMS; k++)
      expected += i * 100 + k;
  printf("[MainProcess] %lld items, sum %lld (expected %d items, sum %lld); queue empty: %d\n",
         (long long)n, (long long)total, PRODUCERS * ITEMS, (long long)expected,
         mproc_queue_empty(work));
  ok &= n == PRODUCERS * ITEMS && total == expected && mproc_queue_empty(work);
  mproc_args_destroy(msg);
  mproc_args_destroy(sentinel);
  mproc_queue_destroy(work);
  mproc_queue_destroy(results);
  return ok ? 0 : 1;
}
