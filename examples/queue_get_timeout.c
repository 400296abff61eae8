/*
 * Example "retrieve items from the queue and block with a time limit": a
 * consumer gets with a timeout; when nothing came in time (MPROC_EEMPTY,
 * Python's queue.Empty) it does something else and tries again, and it takes
 * each item a slow producer puts later, until the producer's None. Python:
 *     def consumer(q):
 *         while True:
 *             try: item = q.get(timeout=0.25)
 *             except queue.Empty: print('nothing yet, doing other work'); continue
 *             if item is None: break
 *             print(f'got {item}')
 *     def producer(q):
 *         for i in range(3): sleep(0.6); q.put(f'item {i}')
 *         q.put(None)
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { ITEMS = 3, PRODUCER_PAUSE_MS = 600, GET_TIMEOUT_MS = 250, JOIN_MS = 5000 };

static int consumer(const mproc_args *args, mproc_args *result) {
  mproc_queue *q;
  mproc_args *msg;
  const char *text;
  int items = 0, timeouts = 0;
  (void)result;
  if (mproc_args_get_queue(args, 0, &q) || mproc_args_create(&msg))
    return example_fail("consumer");
  for (;;) {
    int64_t start = example_now_ms();
    mproc_status st = mproc_queue_get(q, msg, GET_TIMEOUT_MS);
    if (st == MPROC_EEMPTY) { /* nothing within the time limit: not an error */
      timeouts++;
      printf("  [consumer] nothing after %lld ms, doing other work\n",
             (long long)(example_now_ms() - start));
      continue;
    }
    if (st)
      return example_fail("consumer");
    if (mproc_args_unpack(msg, "none") == MPROC_OK) /* the producer's "no more" */
      break;
    if (mproc_args_unpack(msg, "str", &text))
      return example_fail("consumer");
    items++;
    printf("  [consumer] got %s\n", text);
  }
  printf("  [consumer] done: %d items, %d timeouts on the way\n", items, timeouts);
  mproc_args_destroy(msg);
  return items != ITEMS || timeouts == 0;
}

static int producer(const mproc_args *args, mproc_args *result) {
  mproc_queue *q;
  char text[32];
  int i;
  (void)result;
  if (mproc_args_get_queue(args, 0, &q))
    return example_fail("producer");
  /* Each put builds its message from a pack format. The queue is unbounded:
   * a put never waits. */
  for (i = 0; i < ITEMS; i++) {
    example_sleep_ms(PRODUCER_PAUSE_MS); /* slower than the consumer's time limit */
    snprintf(text, sizeof text, "item %d", i);
    if (mproc_queue_put_packed(q, MPROC_WAIT_FOREVER, "str", text))
      return example_fail("producer");
  }
  if (mproc_queue_put_packed(q, MPROC_WAIT_FOREVER, "none")) /* Python's None */
    return example_fail("producer");
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(consumer), MPROC_FUNCTION(producer),
                                           MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  static const char *const names[2] = {"consumer", "producer"};
  mproc_queue *q;
  mproc_process *p[2];
  mproc_args *a;
  int i, failed = 0;
  if (mproc_init(&argc, &argv, functions) || mproc_queue_create(&q, NULL) ||
      mproc_args_create(&a) || mproc_args_add_queue(a, q))
    return example_fail("queue");
  printf("[MainProcess] the consumer waits %d ms per get; the producer puts every %d ms\n",
         GET_TIMEOUT_MS, PRODUCER_PAUSE_MS);
  for (i = 0; i < 2; i++)
    if (mproc_process_create(&p[i], names[i], a, NULL) || mproc_process_start(p[i]))
      return example_fail(names[i]);
  for (i = 0; i < 2; i++) {
    int code;
    if (mproc_process_join(p[i], JOIN_MS) || mproc_process_exitcode(p[i], &code) ||
        mproc_process_destroy(p[i]))
      return example_fail(names[i]);
    printf("[MainProcess] %s exit code %d\n", names[i], code);
    failed |= code != 0;
  }
  mproc_args_destroy(a);
  return mproc_queue_destroy(q) ? example_fail("queue") : failed;
}
