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
  mproc_queue *q = NULL;
  mproc_args *msg = NULL;
  mproc_type type = MPROC_TYPE_NONE;
  const char *text = "";
  int items = 0, timeouts = 0;
  mproc_status st;
  (void)result;
  if (mproc_args_get_queue(args, 0, &q) || mproc_args_create(&msg)) {
    fprintf(stderr, "consumer: %s\n", mproc_last_error());
    return 1;
  }
  for (;;) {
    int64_t start = example_now_ms();
    st = mproc_queue_get(q, msg, GET_TIMEOUT_MS);
    if (st == MPROC_EEMPTY) { /* nothing within the time limit: not an error */
      timeouts++;
      printf("  [consumer] nothing after %lld ms, doing other work\n",
             (long long)(example_now_ms() - start));
      continue;
    }
    if (st != MPROC_OK || mproc_args_type(msg, 0, &type) != MPROC_OK)
      break;
    if (type == MPROC_TYPE_NONE) /* the producer's "no more" */
      break;
    if (mproc_args_get_str(msg, 0, &text) != MPROC_OK)
      break;
    items++;
    printf("  [consumer] got %s\n", text);
  }
  if (st != MPROC_OK)
    fprintf(stderr, "consumer: %s: %s\n", mproc_status_name(st), mproc_last_error());
  else
    printf("  [consumer] done: %d items, %d timeouts on the way\n", items, timeouts);
  mproc_args_destroy(msg);
  return st == MPROC_OK && type == MPROC_TYPE_NONE && items == ITEMS && timeouts > 0 ? 0 : 1;
}

static int producer(const mproc_args *args, mproc_args *result) {
  mproc_queue *q = NULL;
  mproc_args *msg = NULL;
  char text[32];
  int i, rc = 0;
  (void)result;
  if (mproc_args_get_queue(args, 0, &q) || mproc_args_create(&msg)) {
    fprintf(stderr, "producer: %s\n", mproc_last_error());
    return 1;
  }
  for (i = 0; i <= ITEMS && rc == 0; i++) {
    if (i < ITEMS)
      example_sleep_ms(PRODUCER_PAUSE_MS); /* slower than the consumer's time limit */
    snprintf(text, sizeof text, "item %d", i);
    if (mproc_args_clear(msg) ||
        (i < ITEMS ? mproc_args_add_str(msg, text) : mproc_args_add_none(msg)) ||
        mproc_queue_put(q, msg, MPROC_WAIT_FOREVER)) { /* unbounded: never waits */
      fprintf(stderr, "producer: %s\n", mproc_last_error());
      rc = 1;
    }
  }
  mproc_args_destroy(msg);
  return rc;
}

static const mproc_function functions[] = {MPROC_FUNCTION(consumer), MPROC_FUNCTION(producer),
                                           MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  static const char *const names[2] = {"consumer", "producer"};
  mproc_queue *q = NULL;
  mproc_process *p[2];
  mproc_args *a = NULL;
  int i, failed = 0;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK)
    return 1;
  if (mproc_queue_create(&q, NULL) != MPROC_OK || mproc_args_create(&a) != MPROC_OK ||
      mproc_args_add_queue(a, q) != MPROC_OK) {
    fprintf(stderr, "cannot create the queue: %s\n", mproc_last_error());
    return 1;
  }
  printf("[MainProcess] the consumer waits %d ms per get; the producer puts every %d ms\n",
         GET_TIMEOUT_MS, PRODUCER_PAUSE_MS);
  for (i = 0; i < 2; i++)
    if (mproc_process_create(&p[i], names[i], a, NULL) != MPROC_OK ||
        mproc_process_start(p[i]) != MPROC_OK) {
      fprintf(stderr, "cannot start the %s: %s\n", names[i], mproc_last_error());
      return 1;
    }
  for (i = 0; i < 2; i++) {
    int code = -1;
    if (mproc_process_join(p[i], JOIN_MS) != MPROC_OK ||
        mproc_process_exitcode(p[i], &code) != MPROC_OK)
      fprintf(stderr, "the %s did not end: %s\n", names[i], mproc_last_error());
    printf("[MainProcess] %s exit code %d\n", names[i], code);
    failed += code != 0;
    mproc_process_destroy(p[i]);
  }
  mproc_args_destroy(a);
  mproc_queue_destroy(q);
  return failed ? 1 : 0;
}
