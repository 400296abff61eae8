/*
 * Example "wait for whichever is ready first" (multiprocessing.connection.
 * wait): one call waits on a queue, a pipe end and a process at once, and
 * says which are ready; the parent handles each and waits on the rest.
 * Python:
 *     def putter(q): sleep(0.2); q.put('from the queue')
 *     def sender(conn): sleep(0.4); conn.send('from the pipe'); conn.close()
 *     def sleeper(): sleep(0.6)
 *     pending = [q._reader, reader_conn, sleeper_process.sentinel]
 *     while pending:
 *         for obj in wait(pending, timeout=5):
 *             ...   # get, recv (EOFError: drop it), or the process ended: drop it
 * Nothing is consumed by the wait: a ready queue still holds its message.
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { TIMEOUT_MS = 5000 };

static int putter(const mproc_args *args, mproc_args *result) {
  mproc_queue *q = NULL;
  mproc_args *msg = NULL;
  int rc = 0;
  (void)result;
  example_sleep_ms(200);
  if (mproc_args_get_queue(args, 0, &q) || mproc_args_create(&msg) ||
      mproc_args_add_str(msg, "a message from the queue") || mproc_queue_put(q, msg, TIMEOUT_MS)) {
    fprintf(stderr, "putter: %s\n", mproc_last_error());
    rc = 1;
  }
  mproc_args_destroy(msg);
  return rc;
}

static int sender(const mproc_args *args, mproc_args *result) {
  mproc_conn *conn = NULL;
  mproc_args *msg = NULL;
  int rc = 0;
  (void)result;
  example_sleep_ms(400);
  if (mproc_args_open_conn(args, 0, &conn) || mproc_args_create(&msg) ||
      mproc_args_add_str(msg, "a message from the pipe") || mproc_conn_send(conn, msg)) {
    fprintf(stderr, "sender: %s\n", mproc_last_error());
    rc = 1;
  }
  mproc_args_destroy(msg);
  mproc_conn_close(conn); /* the reader sees ECLOSED once it has received the message */
  return rc;
}

static int sleeper(const mproc_args *args, mproc_args *result) {
  (void)args;
  (void)result;
  example_sleep_ms(600);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(putter), MPROC_FUNCTION(sender),
                                           MPROC_FUNCTION(sleeper), MPROC_FUNCTIONS_END};

static int start(mproc_process **p, const char *function, mproc_args *args) {
  if (mproc_process_create(p, function, args, NULL) != MPROC_OK ||
      mproc_process_start(*p) != MPROC_OK) {
    fprintf(stderr, "cannot start %s: %s\n", function, mproc_last_error());
    return 0;
  }
  return 1;
}

/* Handles a ready item (without waiting: it is ready): 1 to wait on it
 * again, 0 to drop it, -1 on a failure. */
static int handle(const mproc_wait_item *item, mproc_args *msg, int64_t start_ms) {
  long long ms = (long long)(example_now_ms() - start_ms);
  const char *text = "";
  mproc_status st;
  if (item->kind == MPROC_WAIT_PROCESS) {
    printf("  [%4lld ms] the sleeper process ended\n", ms);
    return 0;
  }
  if (item->kind == MPROC_WAIT_QUEUE)
    st = mproc_queue_get((mproc_queue *)item->object, msg, 0);
  else
    st = mproc_conn_recv((mproc_conn *)item->object, msg, 0);
  if (st == MPROC_ECLOSED) { /* the pipe: the sender closed its end, all was received */
    printf("  [%4lld ms] the pipe's other end is closed\n", ms);
    return 0;
  }
  if (st != MPROC_OK || mproc_args_get_str(msg, 0, &text) != MPROC_OK) {
    fprintf(stderr, "receive: %s: %s\n", mproc_status_name(st), mproc_last_error());
    return -1;
  }
  printf("  [%4lld ms] got \"%s\"\n", ms, text);
  return item->kind == MPROC_WAIT_CONN; /* a pipe is ready again at its end */
}

int main(int argc, char **argv) {
  mproc_queue *q = NULL;
  mproc_conn *reader = NULL, *writer = NULL;
  mproc_process *p[3];
  mproc_args *qargs = NULL, *cargs = NULL, *msg = NULL;
  mproc_wait_item items[3] = {{0}};
  size_t n = 3, k, kept;
  int64_t start_ms;
  int i, handled = 0, failed = 0;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK)
    return 1;
  if (mproc_queue_create(&q, NULL) != MPROC_OK ||
      mproc_pipe_create(&reader, &writer, 0) != MPROC_OK || /* one-way: reader, writer */
      mproc_args_create(&qargs) != MPROC_OK || mproc_args_add_queue(qargs, q) != MPROC_OK ||
      mproc_args_create(&cargs) != MPROC_OK || mproc_args_add_conn(cargs, writer) != MPROC_OK ||
      mproc_args_create(&msg) != MPROC_OK) {
    fprintf(stderr, "cannot create: %s\n", mproc_last_error());
    return 1;
  }
  start_ms = example_now_ms();
  if (!start(&p[0], "putter", qargs) || !start(&p[1], "sender", cargs) ||
      !start(&p[2], "sleeper", NULL))
    return 1;
  if (mproc_conn_close(writer) != MPROC_OK) { /* the sender holds it now */
    fprintf(stderr, "close: %s\n", mproc_last_error());
    return 1;
  }
  items[0].kind = MPROC_WAIT_QUEUE;
  items[0].object = q;
  items[1].kind = MPROC_WAIT_CONN;
  items[1].object = reader;
  items[2].kind = MPROC_WAIT_PROCESS;
  items[2].object = p[2];
  while (n > 0) {
    mproc_status st = mproc_wait(items, n, TIMEOUT_MS, NULL);
    if (st != MPROC_OK) {
      fprintf(stderr, "wait: %s: %s\n", mproc_status_name(st), mproc_last_error());
      failed = 1;
      break;
    }
    /* Handle every ready item; keep waiting on the others and on those that
     * may be ready again. */
    for (k = kept = 0; k < n; k++) {
      int keep = items[k].ready ? handle(&items[k], msg, start_ms) : 1;
      handled += items[k].ready && keep >= 0;
      failed |= keep < 0;
      if (keep > 0)
        items[kept++] = items[k];
    }
    n = kept;
  }
  for (i = 0; i < 3; i++) {
    int code = -1;
    if (mproc_process_join(p[i], TIMEOUT_MS) != MPROC_OK ||
        mproc_process_exitcode(p[i], &code) != MPROC_OK || code != 0)
      failed = 1;
    mproc_process_destroy(p[i]);
  }
  printf("[MainProcess] %d events handled (expected 4)\n", handled);
  mproc_conn_close(reader);
  mproc_queue_destroy(q);
  mproc_args_destroy(qargs);
  mproc_args_destroy(cargs);
  mproc_args_destroy(msg);
  return failed || handled != 4 ? 1 : 0;
}
