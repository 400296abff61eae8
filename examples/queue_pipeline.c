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

#include "example.h"
#include "mproc.h"

enum { PRODUCERS = 3, CONSUMERS = 2, ITEMS = 20, MAXSIZE = 8, TIMEOUT_MS = 2000 };

static int producer(const mproc_args *args, mproc_args *result) {
  mproc_queue *work;
  int64_t p, k;
  (void)result;
  if (mproc_args_get_queue(args, 0, &work) || mproc_args_get_i64(args, 1, &p))
    return example_fail("producer");
  /* A message is a whole mproc_args list (here one value), which the put
   * builds from a pack format. The queue has a maxsize, so a put waits for
   * room while the consumers lag. (The format takes an int64_t for "i64",
   * unconverted: p * 100 + k is one.) */
  for (k = 0; k < ITEMS; k++)
    if (mproc_queue_put_packed(work, TIMEOUT_MS, "i64", p * 100 + k))
      return example_fail("producer");
  printf("  [producer %lld] put %d items\n", (long long)p, ITEMS);
  return 0;
}

static int consumer(const mproc_args *args, mproc_args *result) {
  mproc_queue *work, *results;
  mproc_args *msg;
  int64_t c, item = 0, n = 0, total = 0;
  (void)result;
  if (mproc_args_get_queue(args, 0, &work) || mproc_args_get_queue(args, 1, &results) ||
      mproc_args_get_i64(args, 2, &c) || mproc_args_create(&msg))
    return example_fail("consumer");
  /* Each get replaces the list's values with the next message. */
  while (mproc_queue_get(work, msg, TIMEOUT_MS) == MPROC_OK &&
         mproc_args_get_i64(msg, 0, &item) == MPROC_OK && item != -1) {
    n++;
    total += item;
  }
  if (item != -1) /* the loop ended on a failure, not on the sentinel */
    return example_fail("consumer");
  printf("  [consumer %lld] got its sentinel after %lld items\n", (long long)c, (long long)n);
  /* The report (c, n, total) is one message. */
  if (mproc_queue_put_packed(results, TIMEOUT_MS, "i64 i64 i64", c, n, total))
    return example_fail("consumer");
  mproc_args_destroy(msg);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(producer), MPROC_FUNCTION(consumer),
                                           MPROC_FUNCTIONS_END};

/* Starts function(work, [results,] i): queues have no pack token, so each is
 * added alone. 0, or 1 on a failure. */
static int start(mproc_process **p, const char *function, mproc_queue *work, mproc_queue *results,
                 int64_t i) {
  mproc_args *a;
  if (mproc_args_create(&a) || mproc_args_add_queue(a, work) ||
      (results && mproc_args_add_queue(a, results)) || mproc_args_pack(a, "i64", i) ||
      mproc_process_create(p, function, a, NULL) || mproc_process_start(*p))
    return example_fail(function);
  mproc_args_destroy(a);
  return 0;
}

/* Joins and frees a process: 0 when it succeeded, else 1. */
static int join(mproc_process *p) {
  int code;
  if (mproc_process_join(p, TIMEOUT_MS) || mproc_process_exitcode(p, &code) ||
      mproc_process_destroy(p))
    return example_fail("join");
  return code != 0;
}

int main(int argc, char **argv) {
  mproc_queue *work, *results;
  mproc_process *producers[PRODUCERS], *consumers[CONSUMERS];
  mproc_args *msg;
  int64_t n = 0, total = 0, expected = 0, c, got_n, got_total;
  int i, k, failed = 0;
  /* Queue(8) is {.maxsize = 8}; NULL options are an unbounded SimpleQueue. */
  if (mproc_init(&argc, &argv, functions) ||
      mproc_queue_create(&work, &(mproc_queue_options){.maxsize = MAXSIZE}) ||
      mproc_queue_create(&results, NULL) || mproc_args_create(&msg))
    return example_fail("create");
  printf("[MainProcess] %d producers of %d items, %d consumers, work queue of maxsize %d\n",
         PRODUCERS, ITEMS, CONSUMERS, MAXSIZE);
  for (i = 0; i < CONSUMERS; i++)
    if (start(&consumers[i], "consumer", work, results, i))
      return 1;
  for (i = 0; i < PRODUCERS; i++)
    if (start(&producers[i], "producer", work, NULL, i))
      return 1;
  for (i = 0; i < PRODUCERS; i++)
    failed |= join(producers[i]);
  /* Every item was put: the sentinels go behind them (FIFO), one per consumer. */
  for (i = 0; i < CONSUMERS; i++)
    if (mproc_queue_put_packed(work, TIMEOUT_MS, "i64", (int64_t)-1))
      return example_fail("sentinel");
  for (i = 0; i < CONSUMERS; i++) {
    if (mproc_queue_get(results, msg, TIMEOUT_MS) ||
        mproc_args_unpack(msg, "i64 i64 i64", &c, &got_n, &got_total))
      return example_fail("result");
    printf("[MainProcess] consumer %lld: %lld items, sum %lld\n", (long long)c, (long long)got_n,
           (long long)got_total);
    n += got_n;
    total += got_total;
  }
  for (i = 0; i < CONSUMERS; i++)
    failed |= join(consumers[i]);
  for (i = 0; i < PRODUCERS; i++)
    for (k = 0; k < ITEMS; k++)
      expected += i * 100 + k;
  printf("[MainProcess] %lld items, sum %lld (expected %d items, sum %lld); queue empty: %d\n",
         (long long)n, (long long)total, PRODUCERS * ITEMS, (long long)expected,
         mproc_queue_empty(work));
  failed |= n != PRODUCERS * ITEMS || total != expected || !mproc_queue_empty(work);
  mproc_args_destroy(msg);
  if (mproc_queue_destroy(work) || mproc_queue_destroy(results))
    return example_fail("destroy");
  return failed;
}
