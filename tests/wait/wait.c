/*
 * Tests of runtime/wait/wait.c (mproc_wait) over a mix of every kind it
 * takes: a queue, a pipe end, a process, an event and a pool future, each
 * made ready by another process while the parent waits; timeouts; more
 * than 64 items; bad input.
 */
#include <stdio.h>
#include <string.h>

#include "tests.h"

enum { K_QUEUE, K_CONN, K_PROCESS, K_EVENT, K_FUTURE, KINDS };

/* ---- child functions and pool tasks ---- */

/* args: [event]: waits for it (T_BOUND_MS); exit 0 if it was set. */
static int w_wait_event(const mproc_args *a, mproc_args *r) {
  mproc_event *e = NULL;
  int rc;
  (void)r;
  if (mproc_args_open_event(a, 0, &e))
    return 2;
  rc = mproc_event_wait(e, T_BOUND_MS) == MPROC_OK ? 0 : 3;
  mproc_event_close(e);
  return rc;
}

/* args: [kind, object, ms]: after ms, makes the object ready: puts into a
 * queue, sends through a pipe end, sets an event. */
static int w_ready_after(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_conn *c = NULL;
  mproc_event *e = NULL;
  mproc_args *m = NULL;
  int64_t kind = 0, ms = 0;
  mproc_status st = MPROC_EINVAL;
  (void)r;
  if (mproc_args_get_i64(a, 0, &kind) || mproc_args_get_i64(a, 2, &ms) || mproc_args_create(&m) ||
      mproc_args_add_i64(m, 42))
    return 2;
  if (kind == K_QUEUE && mproc_args_open_queue(a, 1, &q) == MPROC_OK) {
    t_sleep_ms(ms);
    st = mproc_queue_put(q, m, 0);
  } else if (kind == K_CONN && mproc_args_open_conn(a, 1, &c) == MPROC_OK) {
    t_sleep_ms(ms);
    st = mproc_conn_send(c, m);
  } else if (kind == K_EVENT && mproc_args_open_event(a, 1, &e) == MPROC_OK) {
    t_sleep_ms(ms);
    st = mproc_event_set(e);
  }
  mproc_args_destroy(m);
  if (st != MPROC_OK)
    fprintf(stderr, "w_ready_after: %s\n", mproc_last_error());
  return st == MPROC_OK ? 0 : 3;
}

/* args: [kind, object, ms]: after ms, shuts the queue down (K_QUEUE), or
 * SIGKILLs itself holding the pipe end (K_CONN). */
static int w_end_after(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_conn *c = NULL;
  int64_t kind = 0, ms = 0;
  (void)r;
  if (mproc_args_get_i64(a, 0, &kind) || mproc_args_get_i64(a, 2, &ms))
    return 2;
  if (kind == K_QUEUE) {
    if (mproc_args_open_queue(a, 1, &q))
      return 2;
    t_sleep_ms(ms);
    return mproc_queue_shutdown(q) == MPROC_OK ? 0 : 3;
  }
  if (mproc_args_open_conn(a, 1, &c))
    return 2;
  t_sleep_ms(ms);
  t_hard_kill_pid(mproc_self_pid());
  t_sleep_ms(T_FOREVER_MS);
  return 3;
}

/* A pool task: [event]: returns once the event is set. */
static int w_task_wait_event(const mproc_args *a, mproc_args *r) { return w_wait_event(a, r); }

/* ---- the mix: one object of every kind, none ready ---- */

typedef struct mix {
  mproc_queue *q;
  mproc_conn *a, *b; /* the parent holds both: a is never at EOF */
  mproc_event *e;
  mproc_event *release_proc, *release_task;
  mproc_process *proc;
  mproc_pool *pool;
  mproc_future *f;
  mproc_wait_item items[KINDS];
} mix;

static mproc_args *one_object_args(int kind, void *object) {
  mproc_args *a = NULL;
  T_OK(mproc_args_create(&a));
  switch (kind) {
  case K_QUEUE:
    T_OK(mproc_args_add_queue(a, object));
    break;
  case K_CONN:
    T_OK(mproc_args_add_conn(a, object));
    break;
  default:
    T_OK(mproc_args_add_event(a, object));
    break;
  }
  return a;
}

static void mix_up(mix *m) {
  mproc_pool_options o;
  mproc_args *a;
  memset(m, 0, sizeof *m);
  T_OK(mproc_queue_create(&m->q, NULL));
  T_OK(mproc_pipe_create(&m->a, &m->b, 1));
  T_OK(mproc_event_create(&m->e));
  T_OK(mproc_event_create(&m->release_proc));
  T_OK(mproc_event_create(&m->release_task));
  a = one_object_args(K_EVENT, m->release_proc);
  m->proc = t_start("w_wait_event", a, NULL);
  mproc_args_destroy(a);
  memset(&o, 0, sizeof o);
  o.workers = 1;
  T_OK(mproc_pool_create(&m->pool, &o));
  a = one_object_args(K_EVENT, m->release_task);
  T_OK(mproc_pool_submit(m->pool, &m->f, "w_task_wait_event", a, NULL));
  mproc_args_destroy(a);
  m->items[K_QUEUE].kind = MPROC_WAIT_QUEUE;
  m->items[K_QUEUE].object = m->q;
  m->items[K_CONN].kind = MPROC_WAIT_CONN;
  m->items[K_CONN].object = m->a;
  m->items[K_PROCESS].kind = MPROC_WAIT_PROCESS;
  m->items[K_PROCESS].object = m->proc;
  m->items[K_EVENT].kind = MPROC_WAIT_EVENT;
  m->items[K_EVENT].object = m->e;
  m->items[K_FUTURE].kind = MPROC_WAIT_FUTURE;
  m->items[K_FUTURE].object = m->f;
}

static void mix_down(mix *m) {
  T_OK(mproc_event_set(m->release_proc));
  T_OK(mproc_event_set(m->release_task));
  CU_ASSERT_EQUAL(t_finish(m->proc), 0);
  T_OK(mproc_future_get(m->f, T_BOUND_MS, NULL));
  T_OK(mproc_future_destroy(m->f));
  T_OK(mproc_pool_destroy(m->pool));
  T_OK(mproc_conn_close(m->a));
  if (m->b)
    T_OK(mproc_conn_close(m->b));
  T_OK(mproc_queue_destroy(m->q));
  T_OK(mproc_event_destroy(m->e));
  T_OK(mproc_event_destroy(m->release_proc));
  T_OK(mproc_event_destroy(m->release_task));
}

/* Starts a child that makes item @k of the mix ready after 100 ms (for a
 * process or a future: sets the event that lets it end). */
static mproc_process *make_ready_later(mix *m, int k) {
  void *object = NULL;
  int kind = k;
  mproc_args *a;
  mproc_process *p;
  switch (k) {
  case K_QUEUE:
    object = m->q;
    break;
  case K_CONN:
    object = m->b;
    break;
  case K_PROCESS:
    object = m->release_proc;
    kind = K_EVENT;
    break;
  case K_EVENT:
    object = m->e;
    break;
  default:
    object = m->release_task;
    kind = K_EVENT;
    break;
  }
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, kind));
  switch (kind) {
  case K_QUEUE:
    T_OK(mproc_args_add_queue(a, object));
    break;
  case K_CONN:
    T_OK(mproc_args_add_conn(a, object));
    break;
  default:
    T_OK(mproc_args_add_event(a, object));
    break;
  }
  T_OK(mproc_args_add_i64(a, 100));
  p = t_start("w_ready_after", a, NULL);
  mproc_args_destroy(a);
  return p;
}

/* Item @k becomes ready while the parent waits on it alone (@single) or on
 * the whole mix: only it is marked, and nothing is consumed. */
static void becomes_ready(int k, int single) {
  mix m;
  mproc_process *p;
  mproc_args *msg = NULL;
  size_t n = 99, qn = 0;
  int64_t t0, dt, v = 0;
  int i, ready = 0;
  mix_up(&m);
  for (i = 0; i < KINDS; i++)
    m.items[i].ready = 7;
  T_STATUS(mproc_wait(m.items, KINDS, 0, &n), MPROC_ETIMEDOUT); /* a quiet mix */
  CU_ASSERT_EQUAL(n, 0);
  for (i = 0; i < KINDS; i++)
    CU_ASSERT_EQUAL(m.items[i].ready, 0);
  t0 = t_now_ms(); /* (before the start: a parent slow after it must not shorten dt) */
  p = make_ready_later(&m, k);
  if (single)
    T_OK(mproc_wait(&m.items[k], 1, T_BOUND_MS, &n));
  else
    T_OK(mproc_wait(m.items, KINDS, T_BOUND_MS, &n));
  dt = t_now_ms() - t0;
  CU_ASSERT(dt >= 90);            /* it waited for the other process */
  CU_ASSERT(dt < T_BOUND_MS / 2); /* and woke when it acted */
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT_NOT_EQUAL(m.items[k].ready, 0);
  for (i = 0; i < KINDS && !single; i++)
    if (i != k)
      CU_ASSERT_EQUAL(m.items[i].ready, 0);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  /* still ready: nothing was consumed */
  T_OK(mproc_wait(m.items, KINDS, 0, &n));
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT_NOT_EQUAL(m.items[k].ready, 0);
  T_OK(mproc_args_create(&msg));
  if (k == K_QUEUE) {
    T_OK(mproc_queue_qsize(m.q, &qn));
    CU_ASSERT_EQUAL(qn, 1);
    T_OK(mproc_queue_get(m.q, msg, 0));
  } else if (k == K_CONN) {
    T_OK(mproc_conn_poll(m.a, 0, &ready));
    CU_ASSERT_EQUAL(ready, 1);
    T_OK(mproc_conn_recv(m.a, msg, 0));
  }
  if (k == K_QUEUE || k == K_CONN) {
    CU_ASSERT(mproc_args_get_i64(msg, 0, &v) == MPROC_OK && v == 42);
    T_STATUS(mproc_wait(m.items, KINDS, 0, &n), MPROC_ETIMEDOUT); /* taken: quiet again */
  }
  mproc_args_destroy(msg);
  mix_down(&m);
}

static void test_queue_mixed(void) { becomes_ready(K_QUEUE, 0); }
static void test_conn_mixed(void) { becomes_ready(K_CONN, 0); }
static void test_process_mixed(void) { becomes_ready(K_PROCESS, 0); }
static void test_event_mixed(void) { becomes_ready(K_EVENT, 0); }
static void test_future_mixed(void) { becomes_ready(K_FUTURE, 0); }
static void test_queue_alone(void) { becomes_ready(K_QUEUE, 1); }
static void test_conn_alone(void) { becomes_ready(K_CONN, 1); }
static void test_process_alone(void) { becomes_ready(K_PROCESS, 1); }
static void test_event_alone(void) { becomes_ready(K_EVENT, 1); }
static void test_future_alone(void) { becomes_ready(K_FUTURE, 1); }

/* A queue shut down by a child (a get would not wait: ECLOSED), and a
 * pipe end whose only other holder is SIGKILLed (EOF), become ready. */
static void ends(int k, int single) {
  mix m;
  mproc_args *a = NULL;
  mproc_process *p;
  size_t n = 0;
  int64_t t0, dt;
  int i;
  mix_up(&m);
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, k));
  if (k == K_QUEUE)
    T_OK(mproc_args_add_queue(a, m.q));
  else
    T_OK(mproc_args_add_conn(a, m.b));
  T_OK(mproc_args_add_i64(a, 200));
  t0 = t_now_ms(); /* (before the start: a parent slow after it must not shorten dt) */
  p = t_start("w_end_after", a, NULL);
  mproc_args_destroy(a);
  if (k == K_CONN) {
    T_OK(mproc_conn_close(m.b)); /* the child is its only holder now */
    m.b = NULL;
  }
  if (single)
    T_OK(mproc_wait(&m.items[k], 1, T_BOUND_MS, &n));
  else
    T_OK(mproc_wait(m.items, KINDS, T_BOUND_MS, &n));
  dt = t_now_ms() - t0;
  CU_ASSERT(dt >= 150);
  CU_ASSERT(dt < T_BOUND_MS / 2);
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT_NOT_EQUAL(m.items[k].ready, 0);
  for (i = 0; i < KINDS && !single; i++)
    if (i != k)
      CU_ASSERT_EQUAL(m.items[i].ready, 0);
  CU_ASSERT_EQUAL(t_finish(p), k == K_QUEUE ? 0 : t_signal_exitcode(9));
  mix_down(&m);
}

static void test_queue_shut_down_mixed(void) { ends(K_QUEUE, 0); }
static void test_queue_shut_down_alone(void) { ends(K_QUEUE, 1); }
static void test_conn_peer_killed_mixed(void) { ends(K_CONN, 0); }
static void test_conn_peer_killed_alone(void) { ends(K_CONN, 1); }

/* Nothing ready: MPROC_ETIMEDOUT after the timeout, for the mix and for
 * each kind alone; every ready flag written 0. */
static void test_timeout(void) {
  mix m;
  size_t n = 99;
  int64_t t0, dt;
  int i;
  mix_up(&m);
  for (i = 0; i < KINDS; i++)
    m.items[i].ready = 1;
  t0 = t_now_ms();
  T_STATUS(mproc_wait(m.items, KINDS, 100, &n), MPROC_ETIMEDOUT);
  dt = t_now_ms() - t0;
  CU_ASSERT(dt >= 90 && dt < 10000);
  CU_ASSERT_EQUAL(n, 0);
  for (i = 0; i < KINDS; i++)
    CU_ASSERT_EQUAL(m.items[i].ready, 0);
  for (i = 0; i < KINDS; i++) {
    t0 = t_now_ms();
    T_STATUS(mproc_wait(&m.items[i], 1, 100, NULL), MPROC_ETIMEDOUT);
    dt = t_now_ms() - t0;
    CU_ASSERT(dt >= 90 && dt < 10000);
  }
  mix_down(&m);
}

/* Ready at once: an event set, a process that has exited, before the wait. */
static void test_ready_before_the_wait(void) {
  mix m;
  size_t n = 0;
  int64_t t0;
  mix_up(&m);
  T_OK(mproc_event_set(m.e));
  T_OK(mproc_event_set(m.release_proc));
  T_OK(mproc_process_join(m.proc, T_BOUND_MS));
  t0 = t_now_ms();
  T_OK(mproc_wait(m.items, KINDS, T_BOUND_MS, &n));
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
  CU_ASSERT_EQUAL(n, 2);
  CU_ASSERT(m.items[K_EVENT].ready && m.items[K_PROCESS].ready);
  CU_ASSERT(!m.items[K_QUEUE].ready && !m.items[K_CONN].ready && !m.items[K_FUTURE].ready);
  T_OK(mproc_wait(m.items, KINDS, 0, NULL)); /* n_ready may be NULL */
  mix_down(&m);
}

/* 100 events (no 64-handle limit), one set by a child: only it is marked;
 * the same event twice is marked twice. */
static void test_more_than_64_items(void) {
  enum { N = 100, SET = 73 };
  mproc_event *e[N];
  mproc_wait_item items[N + 1] = {{0}};
  mproc_args *a = NULL;
  mproc_process *p;
  size_t n = 0;
  int i, wrong = 0;
  int64_t t0;
  for (i = 0; i < N; i++) {
    T_OK(mproc_event_create(&e[i]));
    items[i].kind = MPROC_WAIT_EVENT;
    items[i].object = e[i];
    items[i].ready = 1;
  }
  items[N] = items[SET]; /* the same object twice */
  T_STATUS(mproc_wait(items, N + 1, 0, &n), MPROC_ETIMEDOUT);
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, K_EVENT));
  T_OK(mproc_args_add_event(a, e[SET]));
  T_OK(mproc_args_add_i64(a, 100));
  p = t_start("w_ready_after", a, NULL);
  mproc_args_destroy(a);
  t0 = t_now_ms();
  T_OK(mproc_wait(items, N + 1, T_BOUND_MS, &n));
  CU_ASSERT(t_now_ms() - t0 >= 90);
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
  CU_ASSERT_EQUAL(n, 2);
  for (i = 0; i < N; i++)
    wrong += (i == SET) != (items[i].ready != 0);
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT_NOT_EQUAL(items[N].ready, 0);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  for (i = 0; i < N; i++)
    T_OK(mproc_event_destroy(e[i]));
}

static void test_bad_input(void) {
  mproc_wait_item items[2] = {{0}};
  mproc_event *e = NULL, *gone = NULL;
  mproc_queue *q = NULL;
  mproc_conn *a = NULL, *b = NULL;
  size_t n = 99;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_event_create(&gone));
  T_OK(mproc_queue_create(&q, NULL));
  T_OK(mproc_pipe_create(&a, &b, 1));
  T_STATUS(mproc_wait(NULL, 3, 0, &n), MPROC_EINVAL);
  CU_ASSERT_EQUAL(n, 0);
  T_STATUS(mproc_wait(NULL, 0, 0, &n), MPROC_ERANGE);
  items[0].kind = MPROC_WAIT_EVENT;
  items[0].object = e;
  items[0].ready = 0;
  T_STATUS(mproc_wait(items, 0, 0, &n), MPROC_ERANGE);
  items[1].kind = (mproc_wait_kind)99;
  items[1].object = e;
  T_STATUS(mproc_wait(items, 2, 0, &n), MPROC_EINVAL);
  items[1].kind = (mproc_wait_kind)0;
  T_STATUS(mproc_wait(items, 2, 0, &n), MPROC_EINVAL);
  items[1].kind = MPROC_WAIT_QUEUE;
  items[1].object = NULL;
  T_STATUS(mproc_wait(items, 2, 0, &n), MPROC_EINVAL);
  items[1].object = e; /* an event is no queue */
  T_STATUS(mproc_wait(items, 2, 0, &n), MPROC_EINVAL);
  items[1].kind = MPROC_WAIT_EVENT;
  items[1].object = q; /* a queue is no event */
  T_STATUS(mproc_wait(items, 2, 0, &n), MPROC_EINVAL);
  /* a bad item is an error even when another one is ready */
  T_OK(mproc_event_set(e));
  items[1].kind = (mproc_wait_kind)99;
  T_STATUS(mproc_wait(items, 2, T_BOUND_MS, &n), MPROC_EINVAL);
  /* closed handles */
  T_OK(mproc_event_destroy(gone));
  items[1].kind = MPROC_WAIT_EVENT;
  items[1].object = gone;
  T_STATUS(mproc_wait(items, 2, 0, &n), MPROC_ECLOSED);
  T_OK(mproc_conn_close(a));
  items[1].kind = MPROC_WAIT_CONN;
  items[1].object = a;
  T_STATUS(mproc_wait(items, 2, 0, &n), MPROC_ECLOSED);
  T_OK(mproc_queue_destroy(q));
  items[1].kind = MPROC_WAIT_QUEUE;
  items[1].object = q;
  T_STATUS(mproc_wait(items, 2, 0, &n), MPROC_ECLOSED);
  /* fine again */
  T_OK(mproc_wait(items, 1, 0, &n));
  CU_ASSERT_EQUAL(n, 1);
  T_OK(mproc_conn_close(b));
  T_OK(mproc_event_destroy(e));
}

static const CU_TestInfo tests[] = {
    {"a queue in a mix: ready when a child puts", test_queue_mixed},
    {"a pipe end in a mix: ready when a child sends", test_conn_mixed},
    {"a process in a mix: ready when it exits", test_process_mixed},
    {"an event in a mix: ready when a child sets it", test_event_mixed},
    {"a future in a mix: ready when its task is done", test_future_mixed},
    {"a queue alone: ready when a child puts", test_queue_alone},
    {"a pipe end alone: ready when a child sends", test_conn_alone},
    {"a process alone: ready when it exits", test_process_alone},
    {"an event alone: ready when a child sets it", test_event_alone},
    {"a future alone: ready when its task is done", test_future_alone},
    {"a queue shut down by a child, in a mix", test_queue_shut_down_mixed},
    {"a queue shut down by a child, alone", test_queue_shut_down_alone},
    {"a pipe end whose peer is SIGKILLed, in a mix", test_conn_peer_killed_mixed},
    {"a pipe end whose peer is SIGKILLed, alone", test_conn_peer_killed_alone},
    {"nothing ready: ETIMEDOUT after the timeout", test_timeout},
    {"ready before the wait: at once, all marked", test_ready_before_the_wait},
    {"100 items, one set by a child: only it marked", test_more_than_64_items},
    {"bad input, closed handles", test_bad_input},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {
    MPROC_FUNCTION(w_wait_event), MPROC_FUNCTION(w_ready_after), MPROC_FUNCTION(w_end_after),
    MPROC_FUNCTION(w_task_wait_event), MPROC_FUNCTIONS_END};

const test_suite suite_wait = {"wait", tests, functions};
