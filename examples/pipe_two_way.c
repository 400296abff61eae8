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

#include "example.h"
#include "mproc.h"

enum { TIMEOUT_MS = 5000 };

static int child(const mproc_args *args, mproc_args *result) {
  mproc_conn *conn;
  mproc_args *msg;
  mproc_status st;
  int64_t x;
  const char *text;
  (void)result;
  if (mproc_args_get_conn(args, 0, &conn) || mproc_args_create(&msg))
    return example_fail("child");
  for (;;) {
    st = mproc_conn_recv(conn, msg, TIMEOUT_MS);
    if (st == MPROC_ECLOSED) /* everything the parent sent was received */
      break;
    if (st)
      return example_fail("child");
    if (mproc_args_unpack(msg, "i64", &x) == MPROC_OK) { /* a number: answer its square */
      if (mproc_conn_send_packed(conn, "i64", x * x))
        return example_fail("child");
    } else if (mproc_args_unpack(msg, "str", &text) == MPROC_OK) {
      printf("  [child] got \"%s\" (no answer expected)\n", text);
    } else {
      return example_fail("child");
    }
  }
  printf("  [child] the parent closed its end: exiting\n");
  mproc_args_destroy(msg);
  return 0; /* the end goes with the arguments */
}

static const mproc_function functions[] = {MPROC_FUNCTION(child), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_conn *parent_end, *child_end;
  mproc_process *p;
  mproc_args *a, *msg;
  int64_t x, y;
  int code, failed = 0;
  if (mproc_init(&argc, &argv, functions) ||
      mproc_pipe_create(&parent_end, &child_end, 1) || /* duplex */
      mproc_args_create(&msg) || mproc_args_create(&a) || mproc_args_add_conn(a, child_end) ||
      mproc_process_create(&p, "child", a, NULL) || mproc_process_start(p))
    return example_fail("start");
  /* As in Python, the parent lets go of the child's end at once: it stays
   * held for the child (an end added to an args list counts as held until a
   * process opens it from there), and the parent's copy must not keep it
   * open once the child is gone. */
  if (mproc_conn_close(child_end))
    return example_fail("close");
  /* Python's poll(5) then recv() is one receive with a time limit here. */
  for (x = 3; x <= 5; x++) {
    if (mproc_conn_send_packed(parent_end, "i64", x) ||
        mproc_conn_recv(parent_end, msg, TIMEOUT_MS) || mproc_args_unpack(msg, "i64", &y))
      return example_fail("exchange");
    printf("[MainProcess] sent %lld, the child answered %lld\n", (long long)x, (long long)y);
    failed |= y != x * x;
  }
  /* A last one-way message, then close: the child still receives it. */
  if (mproc_conn_send_packed(parent_end, "str", "goodbye") || mproc_conn_close(parent_end) ||
      mproc_process_join(p, TIMEOUT_MS) || mproc_process_exitcode(p, &code) ||
      mproc_process_destroy(p))
    return example_fail("goodbye");
  printf("[MainProcess] the child exited with code %d\n", code);
  mproc_args_destroy(msg);
  mproc_args_destroy(a);
  return failed || code != 0;
}
