/*
 * Example "two-way communication with a Pipe": the parent and a child hold
 * the two ends of a duplex pipe; the parent sends numbers and the child
 * answers each with its square. The parent ends the conversation by closing
 * its end: the child receives what was still in the pipe, then gets
 * MPROC_ECLOSED (Python's EOFError) and exits. Python:
 *     def child(conn):
 *         while True:
 *             try: msg = conn.recv()
 *             except EOFError: break           # the parent closed its end
 *             if isinstance(msg, int): conn.send(msg * msg)
 *             else: print(f'child got {msg!r}')
 *     parent_conn, child_conn = Pipe()          # duplex
 *     p = Process(target=child, args=(child_conn,)); p.start(); child_conn.close()
 *     for x in (3, 4, 5):
 *         parent_conn.send(x)
 *         if parent_conn.poll(5): print(parent_conn.recv())
 *     parent_conn.send('goodbye'); parent_conn.close(); p.join()
 */
#include <stdio.h>

#include "mproc.h"

enum { TIMEOUT_MS = 5000 };

static int child(const mproc_args *args, mproc_args *result) {
  mproc_conn *conn = NULL;
  mproc_args *msg = NULL, *reply = NULL;
  mproc_type type = MPROC_TYPE_NONE;
  const char *text = "";
  int64_t x = 0;
  mproc_status st;
  (void)result;
  if (mproc_args_open_conn(args, 0, &conn) || mproc_args_create(&msg) ||
      mproc_args_create(&reply)) {
    fprintf(stderr, "child: %s\n", mproc_last_error());
    return 1;
  }
  for (;;) {
    st = mproc_conn_recv(conn, msg, TIMEOUT_MS);
    if (st != MPROC_OK || mproc_args_type(msg, 0, &type) != MPROC_OK)
      break;
    if (type == MPROC_TYPE_I64 && mproc_args_get_i64(msg, 0, &x) == MPROC_OK) {
      if (mproc_args_clear(reply) || mproc_args_add_i64(reply, x * x) ||
          mproc_conn_send(conn, reply)) {
        fprintf(stderr, "child: cannot reply: %s\n", mproc_last_error());
        st = MPROC_EFAILED;
        break;
      }
    } else if (mproc_args_get_str(msg, 0, &text) == MPROC_OK) {
      printf("  [child] got \"%s\" (no answer expected)\n", text);
    }
  }
  if (st == MPROC_ECLOSED) /* everything the parent sent was received */
    printf("  [child] the parent closed its end: exiting\n");
  else
    fprintf(stderr, "child: %s: %s\n", mproc_status_name(st), mproc_last_error());
  mproc_args_destroy(msg);
  mproc_args_destroy(reply);
  mproc_conn_close(conn);
  return st == MPROC_ECLOSED ? 0 : 1;
}

static const mproc_function functions[] = {MPROC_FUNCTION(child), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_conn *parent_end = NULL, *child_end = NULL;
  mproc_process *p = NULL;
  mproc_args *a = NULL, *msg = NULL;
  int64_t x, y = 0;
  int ready = 0, code = -1, ok = 1;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK)
    return 1;
  if (mproc_pipe_create(&parent_end, &child_end, 1) != MPROC_OK || /* duplex */
      mproc_args_create(&msg) != MPROC_OK || mproc_args_create(&a) != MPROC_OK ||
      mproc_args_add_conn(a, child_end) != MPROC_OK ||
      mproc_process_create(&p, "child", a, NULL) != MPROC_OK ||
      mproc_process_start(p) != MPROC_OK) {
    fprintf(stderr, "cannot start: %s\n", mproc_last_error());
    return 1;
  }
  /* As in Python, the parent lets go of the child's end at once: it stays
   * held for the child (an end added to an args list counts as held until a
   * process opens it from there), and the parent's copy must not keep it
   * open once the child is gone. */
  if (mproc_conn_close(child_end) != MPROC_OK)
    ok = 0;
  for (x = 3; x <= 5 && ok; x++) {
    if (mproc_args_clear(msg) || mproc_args_add_i64(msg, x) || mproc_conn_send(parent_end, msg) ||
        mproc_conn_poll(parent_end, TIMEOUT_MS, &ready)) {
      fprintf(stderr, "exchange %lld failed: %s\n", (long long)x, mproc_last_error());
      ok = 0;
      break;
    }
    if (!ready) { /* poll() said: nothing to receive within TIMEOUT_MS */
      fprintf(stderr, "no answer to %lld in time\n", (long long)x);
      ok = 0;
      break;
    }
    if (mproc_conn_recv(parent_end, msg, 0) || mproc_args_get_i64(msg, 0, &y)) {
      fprintf(stderr, "cannot read the answer: %s\n", mproc_last_error());
      ok = 0;
      break;
    }
    printf("[MainProcess] sent %lld, the child answered %lld\n", (long long)x, (long long)y);
    ok &= y == x * x;
  }
  /* A last one-way message, then close: the child still receives it. */
  if (mproc_args_clear(msg) || mproc_args_add_str(msg, "goodbye") ||
      mproc_conn_send(parent_end, msg) || mproc_conn_close(parent_end)) {
    fprintf(stderr, "cannot say goodbye: %s\n", mproc_last_error());
    ok = 0;
  }
  if (mproc_process_join(p, TIMEOUT_MS) != MPROC_OK || mproc_process_exitcode(p, &code) != MPROC_OK)
    fprintf(stderr, "the child did not end: %s\n", mproc_last_error());
  printf("[MainProcess] the child exited with code %d\n", code);
  mproc_process_destroy(p);
  mproc_args_destroy(msg);
  mproc_args_destroy(a);
  return ok && code == 0 ? 0 : 1;
}
