/*
 * Tests of runtime/queue/pipe.c (Pipe connections) with real processes:
 * both directions, simplex rules, bytes, poll, the other end closing,
 * exiting or being killed, and large messages both ways at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/object.h" /* names */
#include "tests.h"

#define MIB (1024 * 1024)

static const char *end_name(const mproc_conn *c) { return ((const mproc__obj *)c)->name; }

/* ---- helpers, usable in children (no CUnit there) ---- */

static mproc_status send_seq(mproc_conn *c, int64_t seq, size_t len) {
  mproc_args *m = t_seq_message(seq, len);
  mproc_status st;
  if (!m)
    return MPROC_ENOMEM;
  st = mproc_conn_send(c, m);
  mproc_args_destroy(m);
  return st;
}

/* Receives one message and checks it is t_seq_message(seq, len) (else MPROC_EPROTO). */
static mproc_status recv_seq(mproc_conn *c, int64_t seq, size_t len, int64_t timeout) {
  mproc_args *m = NULL;
  mproc_status st;
  if (mproc_args_create(&m) != MPROC_OK)
    return MPROC_ENOMEM;
  st = mproc_conn_recv(c, m, timeout);
  if (st == MPROC_OK && !t_is_seq_message(m, seq, len)) {
    fprintf(stderr, "message %lld is not what was sent\n", (long long)seq);
    st = MPROC_EPROTO;
  }
  mproc_args_destroy(m);
  return st;
}

static size_t seq_len(int64_t seq) { return (size_t)(seq * 37 % 3001); }

/* ---- child functions ---- */

/* args: [conn]: sends back every message it receives until the other end
 * closes (exit 0). The end is the list's (mproc_args_get_conn): one handle
 * however often it is got, closed with the arguments. */
static int p_echo(const mproc_args *a, mproc_args *r) {
  mproc_conn *c = NULL, *again = NULL;
  mproc_args *m = NULL;
  mproc_status st;
  (void)r;
  if (mproc_args_get_conn(a, 0, &c) || mproc_args_get_conn(a, 0, &again) || again != c ||
      mproc_args_create(&m))
    return 2;
  for (;;) {
    st = mproc_conn_recv(c, m, T_BOUND_MS);
    if (st == MPROC_ECLOSED)
      break;
    if (st != MPROC_OK || mproc_conn_send(c, m) != MPROC_OK) {
      fprintf(stderr, "p_echo: %s\n", mproc_last_error());
      return 3;
    }
  }
  mproc_args_destroy(m);
  return 0;
}

/* args: [conn, n, how, event or none, delay ms]: after the delay sends
 * messages 0..n (seq_len()), then: how 0 closes its end and exits, 1 exits
 * without closing, 2 sets the event and sleeps until killed, 3 sleeps
 * 300 ms and kills itself. */
static int p_send_n(const mproc_args *a, mproc_args *r) {
  mproc_conn *c = NULL;
  mproc_event *e = NULL;
  mproc_type type = MPROC_TYPE_NONE;
  int64_t n = 0, how = 0, delay = 0, i;
  (void)r;
  if (mproc_args_open_conn(a, 0, &c) || mproc_args_get_i64(a, 1, &n) ||
      mproc_args_get_i64(a, 2, &how) || mproc_args_type(a, 3, &type) ||
      mproc_args_get_i64(a, 4, &delay))
    return 2;
  if (type == MPROC_TYPE_OBJECT && mproc_args_open_event(a, 3, &e))
    return 2;
  t_sleep_ms(delay);
  for (i = 0; i < n; i++)
    if (send_seq(c, i, seq_len(i)) != MPROC_OK) {
      fprintf(stderr, "p_send_n: %s\n", mproc_last_error());
      return 3;
    }
  if (how == 0)
    return mproc_conn_close(c) == MPROC_OK ? 0 : 4;
  if (how == 2) {
    mproc_event_set(e);
    t_sleep_ms(T_FOREVER_MS);
  }
  if (how == 3) {
    t_sleep_ms(300);
    t_hard_kill_pid(mproc_self_pid());
    t_sleep_ms(T_FOREVER_MS);
  }
  return 0;
}

/* args: [conn, n]: receives messages 0..n in order, then exits 0. */
static int p_recv_n(const mproc_args *a, mproc_args *r) {
  mproc_conn *c = NULL;
  int64_t n = 0, i;
  mproc_status st;
  (void)r;
  if (mproc_args_open_conn(a, 0, &c) || mproc_args_get_i64(a, 1, &n))
    return 2;
  for (i = 0; i < n; i++) {
    st = recv_seq(c, i, seq_len(i), T_BOUND_MS);
    if (st != MPROC_OK) {
      fprintf(stderr, "p_recv_n: %lld: %s\n", (long long)i, mproc_last_error());
      return 3;
    }
  }
  mproc_conn_close(c);
  return 0;
}

/* args: [send-only end]: receiving and polling there is MPROC_ESTATE;
 * sends 3 messages and a 5-byte one. */
static int p_simplex_sender(const mproc_args *a, mproc_args *r) {
  mproc_conn *c = NULL;
  mproc_args *m = NULL;
  char buf[8];
  size_t size = 0;
  int ready = 0, i;
  (void)r;
  if (mproc_args_open_conn(a, 0, &c) || mproc_args_create(&m))
    return 2;
  if (mproc_conn_recv(c, m, 0) != MPROC_ESTATE ||
      mproc_conn_recv_bytes(c, buf, sizeof buf, &size, 0) != MPROC_ESTATE ||
      mproc_conn_poll(c, 0, &ready) != MPROC_ESTATE)
    return 4;
  for (i = 0; i < 3; i++)
    if (send_seq(c, i, seq_len(i)) != MPROC_OK)
      return 3;
  if (mproc_conn_send_bytes(c, "hello", 5) != MPROC_OK)
    return 3;
  mproc_args_destroy(m);
  mproc_conn_close(c);
  return 0;
}

/* args: [conn]: opens it, closes it, exits. */
static int p_close_and_exit(const mproc_args *a, mproc_args *r) {
  mproc_conn *c = NULL;
  (void)r;
  if (mproc_args_open_conn(a, 0, &c))
    return 2;
  return mproc_conn_close(c) == MPROC_OK ? 0 : 3;
}

/* args: [conn, n, size]: sends n messages of size bytes, then receives n
 * (seq 1000 + i) and checks them. */
static int p_swap_big(const mproc_args *a, mproc_args *r) {
  mproc_conn *c = NULL;
  int64_t n = 0, size = 0, i;
  (void)r;
  if (mproc_args_open_conn(a, 0, &c) || mproc_args_get_i64(a, 1, &n) ||
      mproc_args_get_i64(a, 2, &size))
    return 2;
  for (i = 0; i < n; i++)
    if (send_seq(c, i, (size_t)size) != MPROC_OK)
      return 3;
  for (i = 0; i < n; i++)
    if (recv_seq(c, 1000 + i, (size_t)size, T_BOUND_MS) != MPROC_OK) {
      fprintf(stderr, "p_swap_big: %lld: %s\n", (long long)i, mproc_last_error());
      return 4;
    }
  mproc_conn_close(c);
  return 0;
}

/* args: [path, event, how]: creates a pipe, sends 1 MiB from a to b (a
 * grown ring), writes both ends' names to path, waits for the event, then
 * exits without closing them (how 0) or sleeps until killed (how 1). */
static int p_create_and_leave(const mproc_args *a, mproc_args *r) {
  mproc_conn *x = NULL, *y = NULL;
  mproc_event *e = NULL;
  const char *path = NULL;
  char names[2 * MPROC__NAME_MAX + 4];
  int64_t how = 0;
  (void)r;
  if (mproc_args_get_str(a, 0, &path) || mproc_args_open_event(a, 1, &e) ||
      mproc_args_get_i64(a, 2, &how) || mproc_pipe_create(&x, &y, 1))
    return 2;
  if (send_seq(x, 1, MIB) != MPROC_OK)
    return 3;
  snprintf(names, sizeof names, "%s %s", end_name(x), end_name(y));
  t_write_file(path, names);
  if (mproc_event_wait(e, T_BOUND_MS) != MPROC_OK)
    return 4;
  if (how == 1)
    t_sleep_ms(T_FOREVER_MS);
  return 0;
}

/* ---- parent helpers ---- */

static void new_pipe(mproc_conn **a, mproc_conn **b, int duplex) {
  *a = *b = NULL;
  T_OK(mproc_pipe_create(a, b, duplex));
  CU_ASSERT_FATAL(*a != NULL && *b != NULL);
}

/* Starts p_send_n with its arguments. */
static mproc_process *start_sender(mproc_conn *end, int64_t n, int64_t how, mproc_event *e,
                                   int64_t delay) {
  mproc_args *a = NULL;
  mproc_process *p;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_conn(a, end));
  mproc_args_add_i64(a, n);
  mproc_args_add_i64(a, how);
  if (e)
    T_OK(mproc_args_add_event(a, e));
  else
    mproc_args_add_none(a);
  mproc_args_add_i64(a, delay);
  p = t_start("p_send_n", a, NULL);
  mproc_args_destroy(a);
  return p;
}

/* Receives messages 0..n in order. */
static void expect_run(mproc_conn *c, int64_t n) {
  int64_t i;
  for (i = 0; i < n; i++) {
    mproc_status st = recv_seq(c, i, seq_len(i), T_BOUND_MS);
    if (st != MPROC_OK) {
      T_OK(st);
      return;
    }
  }
}

/* ---- tests ---- */

/* send_packed: a message built and sent in one call; a bad format or an
 * end that only receives sends nothing. */
static void test_send_packed(void) {
  mproc_conn *a, *b, *rx, *tx;
  mproc_args *got = NULL;
  int64_t n = 0;
  int ready = 1;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&got));
  T_OK(mproc_conn_send_packed(a, "i64 none", (int64_t)81));
  T_OK(mproc_conn_recv(b, got, 0));
  T_OK(mproc_args_unpack(got, "i64 none", &n));
  CU_ASSERT_EQUAL(n, 81);
  T_STATUS(mproc_conn_send_packed(a, "i64 nosuch", (int64_t)1), MPROC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "mproc_conn_send_packed"));
  T_STATUS(mproc_conn_send_packed(NULL, "i64", (int64_t)1), MPROC_EINVAL);
  T_OK(mproc_conn_poll(b, 0, &ready));
  CU_ASSERT_EQUAL(ready, 0); /* nothing of the refused ones was sent */
  new_pipe(&rx, &tx, 0);
  T_STATUS(mproc_conn_send_packed(rx, "i64", (int64_t)1), MPROC_ESTATE);
  T_OK(mproc_conn_close(a));
  T_STATUS(mproc_conn_send_packed(a, "i64", (int64_t)1), MPROC_ECLOSED);
  T_OK(mproc_conn_close(b));
  T_OK(mproc_conn_close(rx));
  T_OK(mproc_conn_close(tx));
  mproc_args_destroy(got);
}

static void test_duplex_in_one_process(void) {
  mproc_conn *a, *b;
  new_pipe(&a, &b, 1);
  T_OK(send_seq(a, 1, 10));
  T_OK(send_seq(a, 2, 20));
  T_OK(send_seq(b, 3, 30));
  T_OK(recv_seq(b, 1, 10, 0));
  T_OK(recv_seq(a, 3, 30, 0));
  T_OK(recv_seq(b, 2, 20, 0));
  T_OK(mproc_conn_close(a));
  T_OK(mproc_conn_close(b));
}

/* Messages both ways between the parent and a child (an echo), in order. */
static void test_duplex_with_a_child(void) {
  mproc_conn *a, *b;
  mproc_args *args = NULL;
  mproc_process *p;
  int64_t i;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&args));
  T_OK(mproc_args_add_conn(args, b));
  p = t_start("p_echo", args, NULL);
  mproc_args_destroy(args);
  T_OK(mproc_conn_close(b));
  for (i = 0; i < 200; i++) {
    T_OK(send_seq(a, i, seq_len(i)));
    if (i % 10 == 9) { /* ten in flight, then their echoes */
      int64_t j;
      for (j = i - 9; j <= i; j++)
        T_OK(recv_seq(a, j, seq_len(j), T_BOUND_MS));
    }
  }
  T_OK(mproc_conn_close(a)); /* the echo sees the end and exits 0 */
  CU_ASSERT_EQUAL(t_finish(p), 0);
}

static void test_simplex_direction(void) {
  mproc_conn *a, *b;
  mproc_args *m = NULL, *args = NULL;
  char buf[8];
  size_t size = 0;
  int ready = 0;
  new_pipe(&a, &b, 0);
  T_OK(mproc_args_create(&m));
  T_OK(mproc_args_add_i64(m, 1));
  T_STATUS(mproc_conn_send(a, m), MPROC_ESTATE); /* a only receives */
  T_STATUS(mproc_conn_send_bytes(a, "x", 1), MPROC_ESTATE);
  T_STATUS(mproc_conn_recv(b, m, 0), MPROC_ESTATE); /* b only sends */
  T_STATUS(mproc_conn_recv_bytes(b, buf, sizeof buf, &size, 0), MPROC_ESTATE);
  T_STATUS(mproc_conn_poll(b, 0, &ready), MPROC_ESTATE);
  T_OK(mproc_conn_poll(a, 0, &ready));
  CU_ASSERT_EQUAL(ready, 0);
  /* b in a child: it sends, the parent receives on a */
  T_OK(mproc_args_create(&args));
  T_OK(mproc_args_add_conn(args, b));
  CU_ASSERT_EQUAL(t_finish(t_start("p_simplex_sender", args, NULL)), 0);
  mproc_args_destroy(args);
  expect_run(a, 3);
  T_OK(mproc_conn_recv_bytes(a, buf, sizeof buf, &size, T_BOUND_MS));
  CU_ASSERT(size == 5 && memcmp(buf, "hello", 5) == 0);
  T_OK(mproc_conn_close(b));
  T_STATUS(mproc_conn_recv(a, m, T_BOUND_MS), MPROC_ECLOSED);
  T_OK(mproc_conn_close(a));
  mproc_args_destroy(m);
}

static void test_bytes(void) {
  mproc_conn *a, *b;
  mproc_args *m = NULL;
  uint8_t out[1000], in[1000];
  const void *data = NULL;
  size_t size = 0, n = 0, i;
  mproc_type type = MPROC_TYPE_NONE;
  new_pipe(&a, &b, 1);
  for (i = 0; i < sizeof out; i++)
    out[i] = (uint8_t)(i * 7);
  T_OK(mproc_args_create(&m));
  T_OK(mproc_conn_send_bytes(a, out, sizeof out));
  /* too small a buffer: ERANGE with the size, the message stays */
  T_STATUS(mproc_conn_recv_bytes(b, in, 10, &size, 0), MPROC_ERANGE);
  CU_ASSERT_EQUAL(size, sizeof out);
  size = 0;
  T_STATUS(mproc_conn_recv_bytes(b, NULL, 0, &size, 0), MPROC_ERANGE);
  CU_ASSERT_EQUAL(size, sizeof out);
  size = 0;
  T_OK(mproc_conn_recv_bytes(b, in, sizeof in, &size, 0));
  CU_ASSERT_EQUAL(size, sizeof out);
  CU_ASSERT_EQUAL(memcmp(in, out, sizeof out), 0);
  /* a send_bytes message received as a list: one BYTES value */
  T_OK(mproc_conn_send_bytes(a, out, 100));
  T_OK(mproc_args_add_str(m, "replaced"));
  T_OK(mproc_conn_recv(b, m, 0));
  T_OK(mproc_args_count(m, &n));
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT(mproc_args_type(m, 0, &type) == MPROC_OK && type == MPROC_TYPE_BYTES);
  CU_ASSERT(mproc_args_get_bytes(m, 0, &data, &size) == MPROC_OK && size == 100 &&
            memcmp(data, out, 100) == 0);
  /* zero bytes: one empty BYTES value */
  T_OK(mproc_conn_send_bytes(a, NULL, 0));
  T_OK(mproc_conn_recv(b, m, 0));
  T_OK(mproc_args_count(m, &n));
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT(mproc_args_get_bytes(m, 0, &data, &size) == MPROC_OK && size == 0);
  T_OK(mproc_conn_send_bytes(a, NULL, 0));
  size = 99;
  T_STATUS(mproc_conn_recv_bytes(b, NULL, 0, &size, 0), MPROC_ERANGE); /* NULL: never fits */
  CU_ASSERT_EQUAL(size, 0);
  size = 99;
  T_OK(mproc_conn_recv_bytes(b, in, 0, &size, 0)); /* room for 0 bytes is enough */
  CU_ASSERT_EQUAL(size, 0);
  /* a list where bytes are asked for: ETYPE, and it stays */
  T_OK(send_seq(a, 5, 50));
  T_STATUS(mproc_conn_recv_bytes(b, in, sizeof in, &size, 0), MPROC_ETYPE);
  T_OK(recv_seq(b, 5, 50, 0));
  /* bytes the other way */
  T_OK(mproc_conn_send_bytes(b, "pong", 4));
  T_OK(mproc_conn_recv_bytes(a, in, 4, &size, 0));
  CU_ASSERT(size == 4 && memcmp(in, "pong", 4) == 0);
  T_STATUS(mproc_conn_recv_bytes(a, in, sizeof in, &size, 0), MPROC_ETIMEDOUT);
  mproc_args_destroy(m);
  T_OK(mproc_conn_close(a));
  T_OK(mproc_conn_close(b));
}

/* The largest message send_bytes takes (MPROC_CONN_MAX_BYTES) goes through,
 * as bytes and as a list of one BYTES value; one more byte is MPROC_ERANGE. */
static void test_largest_bytes(void) {
  const size_t max = MPROC_CONN_MAX_BYTES;
  mproc_conn *a, *b;
  mproc_args *m = NULL;
  uint8_t *out = malloc(max + 1), *in = malloc(max);
  size_t size = 0, i;
  CU_ASSERT_FATAL(out != NULL && in != NULL);
  memset(out, 0, max + 1);
  for (i = 0; i <= max; i += 4096)
    out[i] = (uint8_t)(i >> 12);
  out[max - 1] = 0x5a;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&m));
  T_STATUS(mproc_conn_send_bytes(a, out, max + 1), MPROC_ERANGE);
  T_OK(mproc_conn_send_bytes(a, out, max));
  T_OK(mproc_conn_recv_bytes(b, in, max, &size, 0));
  CU_ASSERT_EQUAL(size, max);
  CU_ASSERT_EQUAL(memcmp(in, out, max), 0);
  T_OK(mproc_conn_send_bytes(a, out, max));
  T_OK(mproc_conn_recv(b, m, 0));
  {
    const void *data = NULL;
    CU_ASSERT(mproc_args_get_bytes(m, 0, &data, &size) == MPROC_OK && size == max &&
              memcmp(data, out, max) == 0);
  }
  mproc_args_destroy(m);
  T_OK(mproc_conn_close(a));
  T_OK(mproc_conn_close(b));
  free(out);
  free(in);
}

/* poll: not ready for 100 ms, ready when a child's message arrives (not
 * taken), ready at the end. */
static void test_poll(void) {
  mproc_conn *a, *b;
  mproc_args *m = NULL;
  mproc_process *p;
  int ready = 7;
  int64_t t0, dt;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&m));
  t0 = t_now_ms();
  T_OK(mproc_conn_poll(a, 100, &ready));
  dt = t_now_ms() - t0;
  CU_ASSERT_EQUAL(ready, 0);
  CU_ASSERT(dt >= 90 && dt < 10000);
  T_STATUS(mproc_conn_recv(a, m, 100), MPROC_ETIMEDOUT);
  p = start_sender(b, 1, 0, NULL, 200);
  T_OK(mproc_conn_close(b));
  t0 = t_now_ms();
  T_OK(mproc_conn_poll(a, T_BOUND_MS, &ready));
  CU_ASSERT_EQUAL(ready, 1);
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
  T_OK(mproc_conn_poll(a, 0, &ready)); /* still there */
  CU_ASSERT_EQUAL(ready, 1);
  T_OK(recv_seq(a, 0, seq_len(0), 0));
  CU_ASSERT_EQUAL(t_finish(p), 0); /* it closed its end */
  t0 = t_now_ms();
  T_OK(mproc_conn_poll(a, T_BOUND_MS, &ready));
  CU_ASSERT_EQUAL(ready, 1); /* at EOF */
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
  T_STATUS(mproc_conn_recv(a, m, 0), MPROC_ECLOSED);
  mproc_args_destroy(m);
  T_OK(mproc_conn_close(a));
}

/* The child sends 5 and then ends its end (how: closes it, or exits
 * without closing): recv drains the 5, then MPROC_ECLOSED, promptly. */
static void other_end_goes(int64_t how) {
  mproc_conn *a, *b;
  mproc_args *m = NULL;
  mproc_process *p;
  int64_t t0;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&m));
  p = start_sender(b, 5, how, NULL, 0);
  T_OK(mproc_conn_close(b));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  expect_run(a, 5);
  t0 = t_now_ms();
  T_STATUS(mproc_conn_recv(a, m, T_BOUND_MS), MPROC_ECLOSED);
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
  T_STATUS(mproc_conn_recv(a, m, 0), MPROC_ECLOSED); /* and stays so */
  mproc_args_destroy(m);
  T_OK(mproc_conn_close(a));
}

static void test_other_end_closed(void) { other_end_goes(0); }
static void test_other_end_exits(void) { other_end_goes(1); }

/* The other end's process is SIGKILLed: after it, or while the parent
 * waits in recv. */
static void test_other_end_killed(void) {
  mproc_conn *a, *b;
  mproc_event *e = NULL;
  mproc_args *m = NULL;
  mproc_process *p;
  int64_t pid = 0, t0;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&m));
  T_OK(mproc_event_create(&e));
  p = start_sender(b, 5, 2, e, 0);
  T_OK(mproc_conn_close(b));
  T_OK(mproc_event_wait(e, T_BOUND_MS));
  T_OK(mproc_process_pid(p, &pid));
  CU_ASSERT(t_hard_kill_pid(pid));
  CU_ASSERT_EQUAL(t_finish(p), t_signal_exitcode(9));
  expect_run(a, 5);
  t0 = t_now_ms();
  T_STATUS(mproc_conn_recv(a, m, T_BOUND_MS), MPROC_ECLOSED);
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
  T_OK(mproc_conn_close(a));
  mproc_args_destroy(m);
  T_OK(mproc_event_destroy(e));
}

static void test_other_end_killed_during_recv(void) {
  mproc_conn *a, *b;
  mproc_args *m = NULL;
  mproc_process *p;
  int64_t t0, dt;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&m));
  p = start_sender(b, 5, 3, NULL, 0); /* sends, sleeps 300 ms, SIGKILLs itself */
  T_OK(mproc_conn_close(b));
  expect_run(a, 5);
  t0 = t_now_ms();
  T_STATUS(mproc_conn_recv(a, m, T_BOUND_MS), MPROC_ECLOSED);
  dt = t_now_ms() - t0;
  CU_ASSERT(dt < T_BOUND_MS / 2);
  CU_ASSERT_EQUAL(t_finish(p), t_signal_exitcode(9));
  T_OK(mproc_conn_close(a));
  mproc_args_destroy(m);
}

/* The parent closes the child's end at once after starting it: the end is
 * held for the child until it opens it, so the child receives. */
static void test_close_right_after_start(void) {
  mproc_conn *a, *b;
  mproc_args *args = NULL;
  mproc_process *p;
  int64_t i;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&args));
  T_OK(mproc_args_add_conn(args, b));
  mproc_args_add_i64(args, 20);
  p = t_start("p_recv_n", args, NULL);
  mproc_args_destroy(args);
  T_OK(mproc_conn_close(b));
  for (i = 0; i < 20; i++)
    T_OK(send_seq(a, i, seq_len(i))); /* not ECLOSED: the child's end is held */
  CU_ASSERT_EQUAL(t_finish(p), 0);
  T_OK(mproc_conn_close(a));
}

/* One end held by two children: it stays open while either holds it. */
static void test_end_held_by_two_processes(void) {
  mproc_conn *a, *b;
  mproc_args *one = NULL, *two = NULL, *m = NULL;
  mproc_process *closer, *receiver;
  int64_t i;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&m));
  T_OK(mproc_args_create(&one));
  T_OK(mproc_args_add_conn(one, b));
  T_OK(mproc_args_create(&two));
  T_OK(mproc_args_add_conn(two, b));
  T_OK(mproc_args_add_i64(two, 3));
  closer = t_start("p_close_and_exit", one, NULL);
  receiver = t_start("p_recv_n", two, NULL);
  mproc_args_destroy(one);
  mproc_args_destroy(two);
  T_OK(mproc_conn_close(b));
  CU_ASSERT_EQUAL(t_finish(closer), 0);
  for (i = 0; i < 3; i++)
    T_OK(send_seq(a, i, seq_len(i))); /* the receiver still holds b */
  CU_ASSERT_EQUAL(t_finish(receiver), 0);
  T_STATUS(send_seq(a, 3, 1), MPROC_ECLOSED); /* nobody does now */
  T_STATUS(mproc_conn_recv(a, m, T_BOUND_MS), MPROC_ECLOSED);
  T_OK(mproc_conn_close(a));
  mproc_args_destroy(m);
}

static void test_send_to_closed_peer(void) {
  mproc_conn *a, *b;
  mproc_args *m = NULL, *args = NULL;
  mproc_process *p;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&m));
  T_OK(mproc_args_add_i64(m, 1));
  T_OK(mproc_conn_close(b));
  T_STATUS(mproc_conn_send(a, m), MPROC_ECLOSED);
  T_STATUS(mproc_conn_send_bytes(a, "x", 1), MPROC_ECLOSED);
  T_STATUS(mproc_conn_recv(a, m, 0), MPROC_ECLOSED);
  T_OK(mproc_conn_close(a));
  /* the peer's only holder, a child, closed it */
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&args));
  T_OK(mproc_args_add_conn(args, b));
  p = t_start("p_close_and_exit", args, NULL);
  mproc_args_destroy(args);
  T_OK(mproc_conn_close(b));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  T_STATUS(mproc_conn_send(a, m), MPROC_ECLOSED);
  T_STATUS(mproc_conn_send_bytes(a, NULL, 0), MPROC_ECLOSED);
  T_OK(mproc_conn_close(a));
  mproc_args_destroy(m);
}

/* Both sides send 50 messages of 1 MiB before receiving any. */
static void test_large_both_ways(void) {
  enum { N = 50 };
  mproc_conn *a, *b;
  mproc_args *args = NULL;
  mproc_process *p;
  int64_t i;
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&args));
  T_OK(mproc_args_add_conn(args, b));
  mproc_args_add_i64(args, N);
  mproc_args_add_i64(args, MIB);
  p = t_start("p_swap_big", args, NULL);
  mproc_args_destroy(args);
  T_OK(mproc_conn_close(b));
  for (i = 0; i < N; i++)
    T_OK(send_seq(a, 1000 + i, MIB));
  for (i = 0; i < N; i++) {
    mproc_status st = recv_seq(a, i, MIB, T_BOUND_MS);
    if (st != MPROC_OK) {
      T_OK(st);
      break;
    }
  }
  CU_ASSERT_EQUAL(t_finish(p), 0);
  T_OK(mproc_conn_close(a));
}

static void test_bad_input(void) {
  mproc_conn *a = NULL, *b = NULL, *o = NULL;
  mproc_args *m = NULL, *args = NULL;
  mproc_event *e = NULL;
  char buf[4];
  size_t size = 0;
  int ready = 0;
  T_STATUS(mproc_pipe_create(NULL, &b, 1), MPROC_EINVAL);
  T_STATUS(mproc_pipe_create(&a, NULL, 1), MPROC_EINVAL);
  new_pipe(&a, &b, 1);
  T_OK(mproc_args_create(&m));
  T_STATUS(mproc_conn_send(NULL, m), MPROC_EINVAL);
  T_STATUS(mproc_conn_send(a, NULL), MPROC_EINVAL);
  T_STATUS(mproc_conn_send_bytes(NULL, "x", 1), MPROC_EINVAL);
  T_STATUS(mproc_conn_send_bytes(a, NULL, 5), MPROC_EINVAL);
  T_STATUS(mproc_conn_recv(NULL, m, 0), MPROC_EINVAL);
  T_STATUS(mproc_conn_recv(a, NULL, 0), MPROC_EINVAL);
  T_STATUS(mproc_conn_recv_bytes(NULL, buf, sizeof buf, &size, 0), MPROC_EINVAL);
  T_STATUS(mproc_conn_recv_bytes(a, buf, sizeof buf, NULL, 0), MPROC_EINVAL);
  T_STATUS(mproc_conn_poll(NULL, 0, &ready), MPROC_EINVAL);
  T_STATUS(mproc_conn_poll(a, 0, NULL), MPROC_EINVAL);
  T_STATUS(mproc_conn_close(NULL), MPROC_EINVAL);
  T_OK(mproc_args_create(&args));
  T_STATUS(mproc_args_add_conn(NULL, a), MPROC_EINVAL);
  T_STATUS(mproc_args_add_conn(args, NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_add_conn(args, (mproc_conn *)&args), MPROC_ENOTSHAREABLE);
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_add_event(args, e));
  T_STATUS(mproc_args_open_conn(args, 0, &o), MPROC_ETYPE);
  T_STATUS(mproc_args_open_conn(args, 1, &o), MPROC_ERANGE);
  T_STATUS(mproc_args_open_conn(args, 0, NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_get_conn(args, 0, &o), MPROC_ETYPE);
  T_STATUS(mproc_args_get_conn(args, 1, &o), MPROC_ERANGE);
  T_STATUS(mproc_args_get_conn(args, 0, NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_get_conn(NULL, 0, &o), MPROC_EINVAL);
  /* a closed handle */
  T_OK(mproc_conn_close(a));
  T_STATUS(mproc_conn_send(a, m), MPROC_ECLOSED);
  T_STATUS(mproc_conn_recv(a, m, 0), MPROC_ECLOSED);
  T_STATUS(mproc_conn_poll(a, 0, &ready), MPROC_ECLOSED);
  T_STATUS(mproc_conn_close(a), MPROC_ECLOSED);
  T_STATUS(mproc_args_add_conn(args, a), MPROC_ENOTSHAREABLE);
  T_OK(mproc_conn_close(b));
  mproc_args_destroy(args);
  mproc_args_destroy(m);
  T_OK(mproc_event_destroy(e));
}

/* Whether a named segment can still be opened by name. */
static int segment_exists(const char *name) {
  mproc__shm shm;
  memset(&shm, 0, sizeof shm);
  shm.h = MPROC__NO_HANDLE;
  if (mproc__shm_open(&shm, name, 8) != MPROC_OK)
    return 0;
  mproc__shm_close(&shm);
  return 1;
}

/* The ends' names live while either end is held, and go with the last close. */
static void test_names_go_with_the_last_close(void) {
  mproc_conn *a, *b;
  char na[MPROC__NAME_MAX + 8], nb[MPROC__NAME_MAX + 8];
  int mode;
  new_pipe(&a, &b, 1);
  snprintf(na, sizeof na, "%s", end_name(a));
  snprintf(nb, sizeof nb, "%s", end_name(b));
  mode = t_object_mode(na);
  if (mode >= 0) {
    CU_ASSERT_EQUAL(mode, 0600);
    CU_ASSERT_EQUAL(t_object_mode(nb), 0600);
  }
  T_OK(send_seq(a, 1, MIB)); /* a grown ring in b's direction */
  T_OK(mproc_conn_close(a));
  CU_ASSERT_TRUE(segment_exists(na));
  CU_ASSERT_TRUE(segment_exists(nb));
  T_OK(recv_seq(b, 1, MIB, 0)); /* sent before the close: still there */
  T_OK(mproc_conn_close(b));
  CU_ASSERT_FALSE(segment_exists(na));
  CU_ASSERT_FALSE(segment_exists(nb));
}

/* Counts the names beginning with one of two ends' names (the ends and their rings). */
typedef struct name_count {
  const char *a, *b;
  int n;
} name_count;

static void count_names_of(const char *name, void *arg) {
  name_count *c = arg;
  if (strncmp(name, c->a, strlen(c->a)) == 0 || strncmp(name, c->b, strlen(c->b)) == 0)
    c->n++;
}

/* A child creates a pipe and exits without closing it (how 0), or is
 * killed (how 1): the ends' names and rings go with it. */
static void creator_leaves(int64_t how) {
  char *path = t_temp_path("pipe");
  char text[2 * MPROC__NAME_MAX + 4] = "", na[MPROC__NAME_MAX + 4] = "",
                                  nb[MPROC__NAME_MAX + 4] = "";
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  mproc_process *p;
  name_count count;
  int64_t end = t_now_ms() + T_BOUND_MS;
  int listed;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_str(a, path));
  T_OK(mproc_args_add_event(a, e));
  T_OK(mproc_args_add_i64(a, how));
  p = t_start("p_create_and_leave", a, NULL);
  while (!t_read_file(path, text, sizeof text) && t_now_ms() < end)
    t_sleep_ms(10);
  CU_ASSERT(sscanf(text, "%40s %40s", na, nb) == 2);
  count.a = na;
  count.b = nb;
  count.n = 0;
  listed = mproc__names_list(count_names_of, &count) == MPROC_OK;
  if (listed)
    CU_ASSERT(count.n >= 3); /* two ends, a ring at least */
  CU_ASSERT_TRUE(segment_exists(na));
  CU_ASSERT_TRUE(segment_exists(nb));
  T_OK(mproc_event_set(e));
  if (how == 1) {
    T_OK(mproc_process_kill(p));
    CU_ASSERT_EQUAL(t_finish(p), -9);
  } else {
    CU_ASSERT_EQUAL(t_finish(p), 0);
  }
  if (how == 0 || listed) { /* a killed creator's names are swept where they can be listed */
    CU_ASSERT_FALSE(segment_exists(na));
    CU_ASSERT_FALSE(segment_exists(nb));
  }
  if (listed) {
    count.n = 0;
    mproc__names_list(count_names_of, &count);
    CU_ASSERT_EQUAL(count.n, 0);
  } else {
    printf("SKIP (this OS cannot list names) ");
  }
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
  remove(path);
  free(path);
}

static void test_names_gone_at_creator_exit(void) { creator_leaves(0); }
static void test_killed_creator_swept(void) { creator_leaves(1); }

static const CU_TestInfo tests[] = {
    {"duplex in one process", test_duplex_in_one_process},
    {"send_packed: one call; refusals send nothing", test_send_packed},
    {"duplex: both ways with a child", test_duplex_with_a_child},
    {"simplex: a only receives, b only sends", test_simplex_direction},
    {"send_bytes, recv_bytes: ERANGE with the size, ETYPE", test_bytes},
    {"the largest send_bytes goes through, one byte more is ERANGE", test_largest_bytes},
    {"poll: not ready, ready on data, ready at EOF", test_poll},
    {"other end closed: recv drains, then ECLOSED", test_other_end_closed},
    {"other end's process exits: recv drains, then ECLOSED", test_other_end_exits},
    {"other end's process SIGKILLed: drains, then ECLOSED", test_other_end_killed},
    {"other end SIGKILLed during a recv: ECLOSED, no hang", test_other_end_killed_during_recv},
    {"closing the child's end right after its start is safe", test_close_right_after_start},
    {"send to a closed peer is ECLOSED", test_send_to_closed_peer},
    {"an end held by two processes stays open until both let go", test_end_held_by_two_processes},
    {"50 x 1 MiB both ways at once: no deadlock", test_large_both_ways},
    {"bad input, closed handles", test_bad_input},
    {"names go with the last close", test_names_go_with_the_last_close},
    {"names gone when the creator exits", test_names_gone_at_creator_exit},
    {"killed creator: the sweep removes the ends and rings", test_killed_creator_swept},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(p_echo),
                                           MPROC_FUNCTION(p_send_n),
                                           MPROC_FUNCTION(p_recv_n),
                                           MPROC_FUNCTION(p_simplex_sender),
                                           MPROC_FUNCTION(p_close_and_exit),
                                           MPROC_FUNCTION(p_swap_big),
                                           MPROC_FUNCTION(p_create_and_leave),
                                           MPROC_FUNCTIONS_END};

const test_suite suite_pipe = {"pipe", tests, functions};
