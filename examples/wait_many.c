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
  mproc_queue *q;
  (void)result;
  example_sleep_ms(200);
  if (mproc_args_get_queue(args, 0, &q) ||
      mproc_queue_put_packed(q, TIMEOUT_MS, "str", "a message from the queue"))
    return example_fail("putter");
  return 0;
}

static int sender(const mproc_args *args, mproc_args *result) {
  mproc_conn *conn;
  (void)result;
  example_sleep_ms(400);
  /* The end goes with the arguments: the reader then sees ECLOSED, once it
   * has received the message. */
  if (mproc_args_get_conn(args, 0, &conn) ||
      mproc_conn_send_packed(conn, "str", "a message from the pipe"))
    return example_fail("sender");
  return 0;
}

static int sleeper(const mproc_args *args, mproc_args *result) {
  (void)args;
  (void)result;
  example_sleep_ms(600);
  return 0;
}

static const mproc_function functions[] = {MPROC_FUNCTION(putter), MPROC_FUNCTION(sender),
                                           MPROC_FUNCTION(sleeper), MPROC_FUNCTIONS_END};

/* Process(target=function, args=...).start() */
static mproc_status start(mproc_process **p, const char *function, const mproc_args *args) {
  mproc_status st = mproc_process_create(p, function, args, NULL);
  return st ? st : mproc_process_start(*p);
}

/* Handles a ready item (without waiting: it is ready): 1 to wait on it
 * again, 0 to drop it, -1 on a failure. */
static int handle(const mproc_wait_item *item, mproc_args *msg, int64_t start_ms) {
  long long ms = (long long)(example_now_ms() - start_ms);
  const char *text;
  mproc_status st;
  if (item->kind == MPROC_WAIT_PROCESS) {
    printf("  [%4lld ms] the sleeper process ended\n", ms);
    return 0;
  }
  st = item->kind == MPROC_WAIT_QUEUE ? mproc_queue_get(item->object, msg, 0)
                                      : mproc_conn_recv(item->object, msg, 0);
  if (st == MPROC_ECLOSED) { /* the pipe: the sender closed its end, all was received */
    printf("  [%4lld ms] the pipe's other end is closed\n", ms);
    return 0;
  }
  if (st || mproc_args_unpack(msg, "str", &text)) {
    example_fail("receive");
    return -1;
  }
  printf("  [%4lld ms] got \"%s\"\n", ms, text);
  return item->kind == MPROC_WAIT_CONN; /* a pipe is ready again at its end */
}

/* Python's `while pending: for obj in wait(pending, timeout=5)`: waits until
 * every item was dropped. 0, or 1 on a failure; *handled counts the events. */
static int wait_all(mproc_wait_item *items, size_t n, int64_t start_ms, int *handled) {
  mproc_args *msg;
  size_t k, kept;
  if (mproc_args_create(&msg))
    return example_fail("wait");
  while (n > 0) {
    if (mproc_wait(items, n, TIMEOUT_MS, NULL))
      return example_fail("wait");
    /* Handle every ready item; keep waiting on the others and on those that
     * may be ready again. */
    for (k = kept = 0; k < n; k++) {
      int keep = items[k].ready ? handle(&items[k], msg, start_ms) : 1;
      if (keep < 0)
        return 1;
      *handled += items[k].ready;
      if (keep)
        items[kept++] = items[k];
    }
    n = kept;
  }
  mproc_args_destroy(msg);
  return 0;
}

int main(int argc, char **argv) {
  mproc_queue *q;
  mproc_conn *reader, *writer;
  mproc_process *p[3];
  mproc_args *qargs, *cargs;
  int64_t start_ms;
  int i, handled = 0, failed = 0;
  if (mproc_init(&argc, &argv, functions) || mproc_queue_create(&q, NULL) ||
      mproc_pipe_create(&reader, &writer, 0) || /* one-way: reader, writer */
      mproc_args_create(&qargs) || mproc_args_add_queue(qargs, q) || mproc_args_create(&cargs) ||
      mproc_args_add_conn(cargs, writer))
    return example_fail("create");
  start_ms = example_now_ms();
  if (start(&p[0], "putter", qargs) || start(&p[1], "sender", cargs) ||
      start(&p[2], "sleeper", NULL) || mproc_conn_close(writer)) /* the sender holds it now */
    return example_fail("start");
  if (wait_all((mproc_wait_item[]){{.kind = MPROC_WAIT_QUEUE, .object = q},
                                   {.kind = MPROC_WAIT_CONN, .object = reader},
                                   {.kind = MPROC_WAIT_PROCESS, .object = p[2]}},
               3, start_ms, &handled))
    return 1;
  for (i = 0; i < 3; i++) {
    int code;
    if (mproc_process_join(p[i], TIMEOUT_MS) || mproc_process_exitcode(p[i], &code) ||
        mproc_process_destroy(p[i]))
      return example_fail("join");
    failed |= code != 0;
  }
  printf("[MainProcess] %d events handled (expected 4)\n", handled);
  mproc_args_destroy(qargs);
  mproc_args_destroy(cargs);
  if (mproc_conn_close(reader) || mproc_queue_destroy(q))
    return example_fail("close");
  return failed || handled != 4;
}
