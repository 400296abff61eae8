/*
 * Tests of runtime/queue/queue.c (Queue, SimpleQueue, JoinableQueue) with
 * real processes: order, timeouts, maxsize, growth past the ring, shutdown,
 * joins, crossing to processes and pools, bad input, and the queue's names.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/object.h" /* names */
#include "tests.h"

#define BIG_SIZE (1024 * 1024) /* a message far larger than a 4 KiB ring */

/* The queue's handle begins with the object core, as every shared object's. */
static const char *queue_name(const mproc_queue *q) { return ((const mproc__obj *)q)->name; }

/* ---- helpers, usable in children (no CUnit there) ---- */

static mproc_status put_seq(mproc_queue *q, int64_t seq, size_t len, int64_t timeout) {
  mproc_args *m = t_seq_message(seq, len);
  mproc_status st;
  if (!m)
    return MPROC_ENOMEM;
  st = mproc_queue_put(q, m, timeout);
  mproc_args_destroy(m);
  return st;
}

/* Gets one message and checks it is t_seq_message(seq, len): MPROC_EPROTO if not. */
static mproc_status get_seq(mproc_queue *q, int64_t seq, size_t len, int64_t timeout) {
  mproc_args *m = NULL;
  mproc_status st;
  if (mproc_args_create(&m) != MPROC_OK)
    return MPROC_ENOMEM;
  st = mproc_queue_get(q, m, timeout);
  if (st == MPROC_OK && !t_is_seq_message(m, seq, len)) {
    fprintf(stderr, "message %lld is not what was put\n", (long long)seq);
    st = MPROC_EPROTO;
  }
  mproc_args_destroy(m);
  return st;
}

static mproc_status put_i64(mproc_queue *q, int64_t v, int64_t timeout) {
  mproc_args *m = NULL;
  mproc_status st;
  if (mproc_args_create(&m) != MPROC_OK)
    return MPROC_ENOMEM;
  st = mproc_args_add_i64(m, v);
  if (st == MPROC_OK)
    st = mproc_queue_put(q, m, timeout);
  mproc_args_destroy(m);
  return st;
}

/* Gets a one-value i64 message into *v (MPROC_ETYPE if it is another). */
static mproc_status get_i64(mproc_queue *q, int64_t *v, int64_t timeout) {
  mproc_args *m = NULL;
  mproc_status st;
  size_t n = 0;
  *v = INT64_MIN;
  if (mproc_args_create(&m) != MPROC_OK)
    return MPROC_ENOMEM;
  st = mproc_queue_get(q, m, timeout);
  if (st == MPROC_OK &&
      (mproc_args_count(m, &n) != MPROC_OK || n != 1 || mproc_args_get_i64(m, 0, v) != MPROC_OK))
    st = MPROC_ETYPE;
  mproc_args_destroy(m);
  return st;
}

/* A per-message length that varies, so records wrap the ring at every offset. */
static size_t seq_len(int64_t seq) { return (size_t)(seq % 97); }

/* ---- child functions ---- */

/* args: [queue, first, n, tag]: puts t_seq_message(tag * 1e9 + i) for i in
 * first..first+n. Exits 0 when every put succeeded. */
static int q_producer(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  int64_t first = 0, n = 0, tag = 0, i;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_get_i64(a, 1, &first) ||
      mproc_args_get_i64(a, 2, &n) || mproc_args_get_i64(a, 3, &tag))
    return 2;
  for (i = first; i < first + n; i++)
    if (put_seq(q, tag * 1000000000 + i, seq_len(i), T_BOUND_MS) != MPROC_OK) {
      fprintf(stderr, "q_producer: put %lld: %s\n", (long long)i, mproc_last_error());
      return 3;
    }
  mproc_queue_close(q);
  return 0;
}

/* args: [queue, first, n]: gets n messages and checks they are
 * t_seq_message(i) for i in first..first+n, in order. */
static int q_consumer(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  int64_t first = 0, n = 0, i;
  mproc_status st;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_get_i64(a, 1, &first) ||
      mproc_args_get_i64(a, 2, &n))
    return 2;
  for (i = first; i < first + n; i++) {
    st = get_seq(q, i, seq_len(i), T_BOUND_MS);
    if (st != MPROC_OK) {
      fprintf(stderr, "q_consumer: get %lld: %s (%s)\n", (long long)i, mproc_status_name(st),
              mproc_last_error());
      return st == MPROC_EPROTO ? 4 : 3;
    }
  }
  mproc_queue_close(q);
  return 0;
}

/* args: [queue, value, array]: array[1] = 1, then puts value (waiting for
 * room); array[0] = how long the put took (ms, at least 1). */
static int q_put_timed(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_array *arr = NULL;
  int64_t v = 0, t0;
  mproc_status st;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_get_i64(a, 1, &v) ||
      mproc_args_open_array(a, 2, &arr))
    return 2;
  mproc_array_set_i64(arr, 1, 1);
  t0 = t_now_ms();
  st = put_i64(q, v, T_BOUND_MS);
  mproc_array_set_i64(arr, 0, t_now_ms() - t0 + 1);
  mproc_queue_close(q);
  mproc_array_close(arr);
  return st == MPROC_OK ? 0 : 3;
}

/* args: [queue, event, op, want status]: sets the event, then gets (op 0),
 * puts (op 1) or joins (op 2) with a T_BOUND_MS timeout; exits 0 if the
 * status is @want. */
static int q_block_expect(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_event *e = NULL;
  int64_t op = 0, want = 0, v = 0;
  mproc_status st;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_open_event(a, 1, &e) ||
      mproc_args_get_i64(a, 2, &op) || mproc_args_get_i64(a, 3, &want))
    return 2;
  mproc_event_set(e);
  if (op == 1)
    st = put_i64(q, 99, T_BOUND_MS);
  else if (op == 2)
    st = mproc_queue_join(q, T_BOUND_MS);
  else
    st = get_i64(q, &v, T_BOUND_MS);
  if (st != want)
    fprintf(stderr, "q_block_expect: %s, wanted %s\n", mproc_status_name(st),
            mproc_status_name((mproc_status)want));
  mproc_queue_close(q);
  mproc_event_close(e);
  return st == want ? 0 : 1;
}

/* args: [queue, seq, len, event or none]: puts t_seq_message(seq, len); then
 * exits, or (with an event) sets it and sleeps until killed. */
static int q_put_and_leave(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_event *e = NULL;
  mproc_type type = MPROC_TYPE_NONE;
  int64_t seq = 0, len = 0;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_get_i64(a, 1, &seq) ||
      mproc_args_get_i64(a, 2, &len) || mproc_args_type(a, 3, &type))
    return 2;
  if (type == MPROC_TYPE_OBJECT && mproc_args_open_event(a, 3, &e))
    return 2;
  if (put_seq(q, seq, (size_t)len, T_BOUND_MS) != MPROC_OK)
    return 3;
  if (e) {
    mproc_event_set(e);
    t_sleep_ms(T_FOREVER_MS);
  }
  return 0; /* exits holding its handle: the runtime releases it */
}

/* args: [in queue, out queue]: gets one message from in and puts it into out. */
static int q_echo(const mproc_args *a, mproc_args *r) {
  mproc_queue *in = NULL, *out = NULL;
  mproc_args *m = NULL;
  int rc = 0;
  (void)r;
  if (mproc_args_open_queue(a, 0, &in) || mproc_args_open_queue(a, 1, &out) ||
      mproc_args_create(&m))
    return 2;
  if (mproc_queue_get(in, m, T_BOUND_MS) != MPROC_OK || mproc_queue_put(out, m, 0) != MPROC_OK) {
    fprintf(stderr, "q_echo: %s\n", mproc_last_error());
    rc = 3;
  }
  mproc_args_destroy(m);
  mproc_queue_close(in);
  mproc_queue_close(out);
  return rc;
}

/* args: [queue]: puts ("seven", 7, 7.5) with one call. */
static int q_put_packed(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  (void)r;
  if (mproc_args_get_queue(a, 0, &q) ||
      mproc_queue_put_packed(q, 0, "str i64 f64", "seven", (int64_t)7, 7.5)) {
    fprintf(stderr, "q_put_packed: %s\n", mproc_last_error());
    return 2;
  }
  return 0;
}

/* args: [queue, value]: passes the queue it opened on to a child of its
 * own, which puts value (q_pool_put_arg); exits with that child's code. */
static int q_relay(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_args *b = NULL;
  mproc_process *p = NULL;
  int64_t v = 0;
  int code = -1;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_get_i64(a, 1, &v) || mproc_args_create(&b) ||
      mproc_args_add_queue(b, q) || mproc_args_add_i64(b, v))
    return 2;
  if (mproc_process_create(&p, "q_pool_put_arg", b, NULL) || mproc_process_start(p) ||
      mproc_process_join(p, T_BOUND_MS) || mproc_process_exitcode(p, &code))
    return 3;
  mproc_process_destroy(p);
  mproc_args_destroy(b);
  mproc_queue_close(q);
  return code;
}

/* args: [joinable queue, array, index]: gets until the queue is shut down;
 * for each message adds 1 to array[index], then calls task_done. */
static int q_join_consumer(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_array *arr = NULL;
  int64_t idx = 0, v = 0;
  mproc_status st;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_open_array(a, 1, &arr) ||
      mproc_args_get_i64(a, 2, &idx))
    return 2;
  for (;;) {
    st = get_i64(q, &v, T_BOUND_MS);
    if (st == MPROC_ECLOSED)
      break;
    if (st != MPROC_OK) {
      fprintf(stderr, "q_join_consumer: %s\n", mproc_last_error());
      return 3;
    }
    t_sleep_ms(v % 3); /* some work */
    mproc_array_add_i64(arr, (size_t)idx, 1, NULL);
    if (mproc_queue_task_done(q) != MPROC_OK)
      return 4;
  }
  mproc_queue_close(q);
  mproc_array_close(arr);
  return 0;
}

/* args: [queue]: an opener's handle after close is MPROC_ECLOSED everywhere;
 * an opener may not destroy the queue. */
static int q_close_opener(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_args *m = NULL;
  size_t n = 0;
  int64_t v = 0;
  int bad = 0;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_create(&m) || mproc_args_add_i64(m, 5))
    return 2;
  bad |= mproc_queue_destroy(q) != MPROC_EPERM;
  bad |= (mproc_queue_put(q, m, 0) != MPROC_OK) << 1; /* still usable */
  bad |= (mproc_queue_close(q) != MPROC_OK) << 2;
  bad |= (mproc_queue_put(q, m, 0) != MPROC_ECLOSED) << 3;
  bad |= (get_i64(q, &v, 0) != MPROC_ECLOSED) << 4;
  bad |= (mproc_queue_qsize(q, &n) != MPROC_ECLOSED) << 5;
  bad |= (mproc_queue_shutdown(q) != MPROC_ECLOSED) << 6;
  bad |= (mproc_queue_close(q) != MPROC_ECLOSED) << 7;
  bad |= (mproc_queue_put_many(q, (const mproc_args *const *)&m, 1, 0, NULL) != MPROC_ECLOSED) << 8;
  bad |= (!mproc_queue_empty(q)) << 9;
  bad |= (mproc_queue_full(q) != 0) << 10;
  mproc_args_destroy(m);
  if (bad)
    fprintf(stderr, "q_close_opener: failed checks 0x%x\n", (unsigned)bad);
  return bad ? 1 : 0;
}

/* args: [path, event, how]: creates a queue with a 4 KiB ring, puts a big
 * message into it (a second ring) and a small one, writes the queue's name
 * to path, waits for the event, then exits (how 0) or sleeps until killed
 * (how 1). */
static int q_create_and_leave(const mproc_args *a, mproc_args *r) {
  mproc_queue_options o;
  mproc_queue *q = NULL;
  mproc_event *e = NULL;
  const char *path = NULL;
  int64_t how = 0;
  (void)r;
  memset(&o, 0, sizeof o);
  o.capacity_bytes = 4096;
  if (mproc_args_get_str(a, 0, &path) || mproc_args_open_event(a, 1, &e) ||
      mproc_args_get_i64(a, 2, &how) || mproc_queue_create(&q, &o))
    return 2;
  if (put_seq(q, 1, 100, 0) != MPROC_OK || put_seq(q, 2, BIG_SIZE / 4, 0) != MPROC_OK ||
      put_seq(q, 3, 100, 0) != MPROC_OK)
    return 3;
  t_write_file(path, queue_name(q));
  if (mproc_event_wait(e, T_BOUND_MS) != MPROC_OK)
    return 4;
  if (how == 1)
    t_sleep_ms(T_FOREVER_MS);
  return 0; /* without destroying it */
}

/* ---- pool tasks ---- */

static mproc_queue *init_queue; /* opened by q_pool_init in each worker */

/* initargs: [queue]. */
static int q_pool_init(const mproc_args *a, mproc_args *r) {
  (void)r;
  return mproc_args_open_queue(a, 0, &init_queue) == MPROC_OK ? 0 : 1;
}

/* [value]: puts it into the initializer's queue. */
static int q_pool_put_init(const mproc_args *a, mproc_args *r) {
  int64_t v = 0;
  (void)r;
  if (!init_queue || mproc_args_get_i64(a, 0, &v))
    return 2;
  return put_i64(init_queue, v, T_BOUND_MS) == MPROC_OK ? 0 : 3;
}

/* [queue, value]: puts value into the queue it was given. */
static int q_pool_put_arg(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  int64_t v = 0;
  mproc_status st;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_get_i64(a, 1, &v))
    return 2;
  st = put_i64(q, v, T_BOUND_MS);
  mproc_queue_close(q);
  return st == MPROC_OK ? 0 : 3;
}

/* [x]: returns 2x. */
static int q_pool_double(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  if (mproc_args_get_i64(a, 0, &x))
    return 2;
  return mproc_args_add_i64(r, 2 * x) ? 1 : 0;
}

/* ---- parent helpers ---- */

static mproc_queue *new_queue(uint32_t maxsize, size_t capacity, int joinable) {
  mproc_queue_options o;
  mproc_queue *q = NULL;
  memset(&o, 0, sizeof o);
  o.maxsize = maxsize;
  o.capacity_bytes = capacity;
  o.joinable = joinable;
  T_OK(mproc_queue_create(&q, &o));
  CU_ASSERT_FATAL(q != NULL);
  return q;
}

static mproc_args *args_with_queue(mproc_queue *q) {
  mproc_args *a = NULL;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_queue(a, q));
  return a;
}

static size_t qsize(mproc_queue *q) {
  size_t n = 12345678;
  T_OK(mproc_queue_qsize(q, &n));
  return n;
}

/* Gets @n one-value messages and asserts they are first, first+1, ... */
static void expect_i64_run(mproc_queue *q, int64_t first, int64_t n) {
  int64_t i, v = 0;
  int wrong = 0;
  for (i = first; i < first + n; i++) {
    mproc_status st = get_i64(q, &v, T_BOUND_MS);
    if (st != MPROC_OK || v != i) {
      T_OK(st);
      CU_ASSERT_EQUAL(v, i);
      if (++wrong > 3)
        break;
    }
  }
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

/* The names of a queue's rings: "<queue name>.<serial, base 36>". */
typedef struct ring_names {
  const char *queue;
  int n;
  char names[16][MPROC__NAME_MAX + 16];
  int malformed;
} ring_names;

static void collect_ring(const char *name, void *arg) {
  ring_names *rn = arg;
  size_t len = strlen(rn->queue), i;
  if (strncmp(name, rn->queue, len) != 0 || name[len] != '.')
    return;
  if (name[len + 1] == 0)
    rn->malformed++;
  for (i = len + 1; name[i]; i++)
    if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'z')))
      rn->malformed++;
  if (rn->n < 16)
    snprintf(rn->names[rn->n], sizeof rn->names[0], "%s", name);
  rn->n++;
}

/* Lists @queue's rings into @rn; 0 (and says SKIP) where names cannot be listed. */
static int list_rings(const char *queue, ring_names *rn) {
  memset(rn, 0, sizeof *rn);
  rn->queue = queue;
  if (mproc__names_list(collect_ring, rn) == MPROC_ENOTSUP) {
    printf("SKIP (this OS cannot list names: %s) ", mproc_last_error());
    return 0;
  }
  return 1;
}

/* ---- tests ---- */

static void test_fifo_one_process(void) {
  mproc_queue *q = new_queue(0, 0, 0);
  int64_t i, v = 0;
  for (i = 0; i < 1000; i++)
    T_OK(put_seq(q, i, seq_len(i), 0));
  CU_ASSERT_EQUAL(qsize(q), 1000);
  for (i = 0; i < 1000; i++) {
    mproc_status st = get_seq(q, i, seq_len(i), 0);
    if (st != MPROC_OK) {
      T_OK(st);
      break;
    }
  }
  T_STATUS(get_i64(q, &v, 0), MPROC_EEMPTY);
  CU_ASSERT_EQUAL(qsize(q), 0);
  T_OK(mproc_queue_destroy(q));
}

/* A producer child and a consumer child, running at once: 10,000 messages
 * of varying size, each checked. */
static void fifo_across(size_t capacity) {
  mproc_queue *q = new_queue(0, capacity, 0);
  mproc_args *a = args_with_queue(q);
  mproc_process *prod, *cons;
  int64_t v = 0;
  mproc_args_add_i64(a, 0);
  mproc_args_add_i64(a, 10000);
  mproc_args_add_i64(a, 0);
  cons = t_start("q_consumer", a, NULL);
  prod = t_start("q_producer", a, NULL);
  CU_ASSERT_EQUAL(t_finish(prod), 0);
  CU_ASSERT_EQUAL(t_finish(cons), 0);
  CU_ASSERT_EQUAL(qsize(q), 0);
  T_STATUS(get_i64(q, &v, 0), MPROC_EEMPTY);
  mproc_args_destroy(a);
  T_OK(mproc_queue_destroy(q));
}

static void test_fifo_across_processes(void) { fifo_across(0); }
static void test_fifo_across_processes_small_ring(void) { fifo_across(4096); }

/* Two producers at once: each one's messages arrive in its order, all arrive. */
static void test_two_producers(void) {
  enum { N = 5000 };
  mproc_queue *q = new_queue(0, 4096, 0);
  mproc_args *a[2];
  mproc_process *p[2];
  mproc_args *m = NULL;
  int64_t next[2] = {0, 0}, i, seq = 0;
  int t, bad = 0;
  for (t = 0; t < 2; t++) {
    a[t] = args_with_queue(q);
    mproc_args_add_i64(a[t], 0);
    mproc_args_add_i64(a[t], N);
    mproc_args_add_i64(a[t], t + 1);
    p[t] = t_start("q_producer", a[t], NULL);
  }
  T_OK(mproc_args_create(&m));
  for (i = 0; i < 2 * N && !bad; i++) {
    const void *data = NULL;
    size_t size = 0;
    if (mproc_queue_get(q, m, T_BOUND_MS) != MPROC_OK || mproc_args_get_i64(m, 0, &seq) ||
        mproc_args_get_bytes(m, 1, &data, &size)) {
      CU_FAIL("get");
      bad = 1;
      break;
    }
    t = (int)(seq / 1000000000) - 1;
    if (t < 0 || t > 1 || seq % 1000000000 != next[t] ||
        !t_is_seq_message(m, seq, seq_len(next[t]))) {
      CU_FAIL("a producer's messages out of order or garbled");
      bad = 1;
      break;
    }
    next[t]++;
  }
  CU_ASSERT_EQUAL(next[0], N);
  CU_ASSERT_EQUAL(next[1], N);
  for (t = 0; t < 2; t++) {
    CU_ASSERT_EQUAL(t_finish(p[t]), 0);
    mproc_args_destroy(a[t]);
  }
  mproc_args_destroy(m);
  T_OK(mproc_queue_destroy(q));
}

/* Two processes take turns getting from one queue: each sees where the
 * other left the head. */
static void test_getters_take_turns(void) {
  mproc_queue *q = new_queue(0, 0, 0);
  mproc_args *a = args_with_queue(q);
  int64_t i;
  mproc_args_add_i64(a, 0);
  mproc_args_add_i64(a, 2);
  for (i = 0; i < 4; i++)
    T_OK(put_seq(q, i, seq_len(i), 0));
  CU_ASSERT_EQUAL(t_finish(t_start("q_consumer", a, NULL)), 0); /* gets 0, 1 */
  CU_ASSERT_EQUAL(qsize(q), 2);
  T_OK(get_seq(q, 2, seq_len(2), 0));
  T_OK(get_seq(q, 3, seq_len(3), 0));
  T_STATUS(get_seq(q, 4, seq_len(4), 0), MPROC_EEMPTY);
  mproc_args_destroy(a);
  /* the child gets first this time: the parent's last look is older than the head */
  a = args_with_queue(q);
  mproc_args_add_i64(a, 4);
  mproc_args_add_i64(a, 1);
  for (i = 4; i < 6; i++)
    T_OK(put_seq(q, i, seq_len(i), 0));
  CU_ASSERT_EQUAL(t_finish(t_start("q_consumer", a, NULL)), 0); /* gets 4 */
  T_OK(put_seq(q, 6, seq_len(6), 0));
  CU_ASSERT_EQUAL(qsize(q), 2);
  T_OK(get_seq(q, 5, seq_len(5), 0));
  T_OK(get_seq(q, 6, seq_len(6), 0));
  T_STATUS(get_seq(q, 7, seq_len(7), 0), MPROC_EEMPTY);
  CU_ASSERT_EQUAL(qsize(q), 0);
  mproc_args_destroy(a);
  T_OK(mproc_queue_destroy(q));
}

static void test_timeouts(void) {
  mproc_queue *q = new_queue(1, 0, 0);
  int64_t v = 0, t0, dt;
  t0 = t_now_ms();
  T_STATUS(get_i64(q, &v, 0), MPROC_EEMPTY);
  CU_ASSERT(t_now_ms() - t0 < 1000);
  t0 = t_now_ms();
  T_STATUS(get_i64(q, &v, 100), MPROC_EEMPTY);
  dt = t_now_ms() - t0;
  CU_ASSERT(dt >= 90);
  CU_ASSERT(dt < 10000);
  T_OK(put_i64(q, 1, 0));
  t0 = t_now_ms();
  T_STATUS(put_i64(q, 2, 0), MPROC_EFULL);
  CU_ASSERT(t_now_ms() - t0 < 1000);
  t0 = t_now_ms();
  T_STATUS(put_i64(q, 2, 100), MPROC_EFULL);
  dt = t_now_ms() - t0;
  CU_ASSERT(dt >= 90);
  CU_ASSERT(dt < 10000);
  CU_ASSERT_EQUAL(qsize(q), 1);
  T_OK(get_i64(q, &v, 0));
  CU_ASSERT_EQUAL(v, 1); /* the refused puts left nothing */
  T_STATUS(get_i64(q, &v, 0), MPROC_EEMPTY);
  T_OK(mproc_queue_destroy(q));
}

/* A putter child blocks on a full queue until the parent gets. */
static void test_maxsize_blocks_putter(void) {
  mproc_queue *q = new_queue(2, 0, 0);
  mproc_array *arr = NULL;
  mproc_args *a = args_with_queue(q);
  mproc_process *p;
  int64_t took = 0, v = 0;
  int alive = 0;
  T_OK(mproc_array_create(&arr, MPROC_ELEM_I64, 2, NULL));
  mproc_args_add_i64(a, 3);
  T_OK(mproc_args_add_array(a, arr));
  T_OK(put_i64(q, 1, 0));
  T_OK(put_i64(q, 2, 0));
  CU_ASSERT_TRUE(mproc_queue_full(q));
  p = t_start("q_put_timed", a, NULL);
  CU_ASSERT_EQUAL(t_array_wait_i64(arr, 1, 1, T_BOUND_MS), 1);
  t_sleep_ms(300);
  T_OK(mproc_array_get_i64(arr, 0, &took));
  CU_ASSERT_EQUAL(took, 0); /* still blocked */
  T_OK(mproc_process_is_alive(p, &alive));
  CU_ASSERT_TRUE(alive);
  CU_ASSERT_EQUAL(qsize(q), 2);
  T_OK(get_i64(q, &v, 0));
  CU_ASSERT_EQUAL(v, 1);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  T_OK(mproc_array_get_i64(arr, 0, &took));
  CU_ASSERT(took >= 250);
  CU_ASSERT_EQUAL(qsize(q), 2);
  expect_i64_run(q, 2, 2);
  mproc_args_destroy(a);
  T_OK(mproc_array_destroy(arr));
  T_OK(mproc_queue_destroy(q));
}

static void test_qsize_empty_full(void) {
  mproc_queue *q = new_queue(3, 0, 0), *u = new_queue(0, 4096, 0);
  int64_t v = 0, i;
  CU_ASSERT_EQUAL(qsize(q), 0);
  CU_ASSERT_TRUE(mproc_queue_empty(q));
  CU_ASSERT_FALSE(mproc_queue_full(q));
  T_OK(put_i64(q, 1, 0));
  CU_ASSERT_EQUAL(qsize(q), 1);
  CU_ASSERT_FALSE(mproc_queue_empty(q));
  CU_ASSERT_FALSE(mproc_queue_full(q));
  T_OK(put_i64(q, 2, 0));
  T_OK(put_i64(q, 3, 0));
  CU_ASSERT_EQUAL(qsize(q), 3);
  CU_ASSERT_TRUE(mproc_queue_full(q));
  T_STATUS(put_i64(q, 4, 0), MPROC_EFULL);
  CU_ASSERT_EQUAL(qsize(q), 3);
  T_OK(get_i64(q, &v, 0));
  CU_ASSERT_EQUAL(qsize(q), 2);
  CU_ASSERT_FALSE(mproc_queue_full(q));
  T_OK(put_i64(q, 4, 0));
  T_OK(get_i64(q, &v, 0));
  T_OK(get_i64(q, &v, 0));
  CU_ASSERT_EQUAL(qsize(q), 1);
  T_OK(get_i64(q, &v, 0));
  CU_ASSERT_EQUAL(v, 4);
  CU_ASSERT_EQUAL(qsize(q), 0);
  CU_ASSERT_TRUE(mproc_queue_empty(q));
  /* unbounded: never full */
  for (i = 0; i < 3000; i++)
    T_OK(put_i64(u, i, 0));
  CU_ASSERT_EQUAL(qsize(u), 3000);
  CU_ASSERT_FALSE(mproc_queue_full(u));
  CU_ASSERT_FALSE(mproc_queue_empty(u));
  T_OK(mproc_queue_destroy(q));
  T_OK(mproc_queue_destroy(u));
}

static void test_put_many_get_many(void) {
  enum { N = 10 };
  mproc_queue *q = new_queue(0, 0, 0), *b = new_queue(5, 0, 0);
  mproc_args *msgs[N], *out[N + 5];
  size_t i, put = 99, got = 99;
  int64_t v = 0;
  for (i = 0; i < N; i++) {
    T_OK(mproc_args_create(&msgs[i]));
    T_OK(mproc_args_add_i64(msgs[i], (int64_t)i));
  }
  for (i = 0; i < N + 5; i++)
    T_OK(mproc_args_create(&out[i]));
  T_OK(mproc_queue_put_many(q, (const mproc_args *const *)msgs, N, 0, &put));
  CU_ASSERT_EQUAL(put, N);
  CU_ASSERT_EQUAL(qsize(q), N);
  T_OK(mproc_queue_get_many(q, out, 4, 0, &got));
  CU_ASSERT_EQUAL(got, 4);
  for (i = 0; i < 4; i++) {
    CU_ASSERT(mproc_args_get_i64(out[i], 0, &v) == MPROC_OK && v == (int64_t)i);
  }
  /* asks for more than there is: takes what is there */
  T_OK(mproc_queue_get_many(q, out, N + 5, T_BOUND_MS, &got));
  CU_ASSERT_EQUAL(got, N - 4);
  for (i = 0; i < got && i < N + 5; i++)
    CU_ASSERT(mproc_args_get_i64(out[i], 0, &v) == MPROC_OK && v == (int64_t)(i + 4));
  got = 99;
  T_STATUS(mproc_queue_get_many(q, out, N, 0, &got), MPROC_EEMPTY);
  CU_ASSERT_EQUAL(got, 0);
  /* with a maxsize: a partial put */
  put = 99;
  T_STATUS(mproc_queue_put_many(b, (const mproc_args *const *)msgs, N, 0, &put), MPROC_EFULL);
  CU_ASSERT_EQUAL(put, 5);
  CU_ASSERT_EQUAL(qsize(b), 5);
  CU_ASSERT_TRUE(mproc_queue_full(b));
  put = 99;
  T_STATUS(mproc_queue_put_many(b, (const mproc_args *const *)msgs + 5, 5, 100, &put), MPROC_EFULL);
  CU_ASSERT_EQUAL(put, 0);
  T_OK(mproc_queue_get_many(b, out, N, 0, &got));
  CU_ASSERT_EQUAL(got, 5);
  for (i = 0; i < got && i < N; i++)
    CU_ASSERT(mproc_args_get_i64(out[i], 0, &v) == MPROC_OK && v == (int64_t)i);
  /* the rest go in now; *put may be NULL */
  T_OK(mproc_queue_put_many(b, (const mproc_args *const *)msgs + 5, 5, 0, NULL));
  expect_i64_run(b, 5, 5);
  /* get_many mixes with get: order holds */
  T_OK(mproc_queue_put_many(q, (const mproc_args *const *)msgs, N, 0, NULL));
  T_OK(get_i64(q, &v, 0));
  CU_ASSERT_EQUAL(v, 0);
  T_OK(mproc_queue_get_many(q, out, 3, 0, &got));
  CU_ASSERT_EQUAL(got, 3);
  CU_ASSERT(mproc_args_get_i64(out[2], 0, &v) == MPROC_OK && v == 3);
  expect_i64_run(q, 4, N - 4);
  for (i = 0; i < N; i++)
    mproc_args_destroy(msgs[i]);
  for (i = 0; i < N + 5; i++)
    mproc_args_destroy(out[i]);
  T_OK(mproc_queue_destroy(q));
  T_OK(mproc_queue_destroy(b));
}

/* put_many into a maxsize queue waits for room as a consumer child takes
 * messages: all of them go in, in order, within one timeout. */
static void test_put_many_waits_for_room(void) {
  enum { N = 40 };
  mproc_queue *q = new_queue(3, 0, 0);
  mproc_args *a = args_with_queue(q), *msgs[N];
  mproc_process *p;
  size_t put = 0, i;
  for (i = 0; i < N; i++) {
    msgs[i] = t_seq_message((int64_t)i, seq_len((int64_t)i));
    CU_ASSERT_FATAL(msgs[i] != NULL);
  }
  mproc_args_add_i64(a, 0);
  mproc_args_add_i64(a, N);
  p = t_start("q_consumer", a, NULL);
  T_OK(mproc_queue_put_many(q, (const mproc_args *const *)msgs, N, T_BOUND_MS, &put));
  CU_ASSERT_EQUAL(put, N);
  CU_ASSERT_EQUAL(t_finish(p), 0); /* it got all N, in order */
  CU_ASSERT_EQUAL(qsize(q), 0);
  for (i = 0; i < N; i++)
    mproc_args_destroy(msgs[i]);
  mproc_args_destroy(a);
  T_OK(mproc_queue_destroy(q));
}

/* get_many waits for the first message only: one put by a child wakes it. */
static void test_get_many_waits_for_first(void) {
  mproc_queue *q = new_queue(0, 0, 0);
  mproc_args *a = args_with_queue(q), *out[4];
  mproc_process *p;
  size_t got = 0, i;
  for (i = 0; i < 4; i++)
    T_OK(mproc_args_create(&out[i]));
  mproc_args_add_i64(a, 7);
  mproc_args_add_i64(a, 10);
  mproc_args_add_none(a);
  p = t_start("q_put_and_leave", a, NULL);
  T_OK(mproc_queue_get_many(q, out, 4, T_BOUND_MS, &got));
  CU_ASSERT_EQUAL(got, 1);
  CU_ASSERT_TRUE(t_is_seq_message(out[0], 7, 10));
  CU_ASSERT_EQUAL(t_finish(p), 0);
  for (i = 0; i < 4; i++)
    mproc_args_destroy(out[i]);
  mproc_args_destroy(a);
  T_OK(mproc_queue_destroy(q));
}

static const uint8_t some_bytes[] = {0, 1, 2, 0, 255, 128, 0};

static mproc_args *every_type(void) {
  mproc_args *m = NULL;
  T_OK(mproc_args_create(&m));
  T_OK(mproc_args_add_i64(m, INT64_MIN));
  T_OK(mproc_args_add_i64(m, INT64_MAX));
  T_OK(mproc_args_add_i64(m, 0));
  T_OK(mproc_args_add_f64(m, -0.0));
  T_OK(mproc_args_add_f64(m, DBL_MAX));
  T_OK(mproc_args_add_f64(m, 1.0 / 3.0));
  T_OK(mproc_args_add_bool(m, 1));
  T_OK(mproc_args_add_bool(m, 0));
  T_OK(mproc_args_add_str(m, ""));
  T_OK(mproc_args_add_str(m, "h\xc3\xa9llo, queue"));
  T_OK(mproc_args_add_bytes(m, some_bytes, sizeof some_bytes));
  T_OK(mproc_args_add_bytes(m, NULL, 0));
  T_OK(mproc_args_add_none(m));
  T_OK(mproc_args_add_i64(m, 42));
  return m;
}

static void check_every_type(const mproc_args *m) {
  static const mproc_type want[] = {
      MPROC_TYPE_I64,   MPROC_TYPE_I64,   MPROC_TYPE_I64,  MPROC_TYPE_F64, MPROC_TYPE_F64,
      MPROC_TYPE_F64,   MPROC_TYPE_BOOL,  MPROC_TYPE_BOOL, MPROC_TYPE_STR, MPROC_TYPE_STR,
      MPROC_TYPE_BYTES, MPROC_TYPE_BYTES, MPROC_TYPE_NONE, MPROC_TYPE_I64};
  size_t n = 0, i, size = 99;
  int64_t v = 0;
  double d = 1;
  int b = -1;
  const char *s = NULL;
  const void *data = NULL;
  mproc_type t;
  T_OK(mproc_args_count(m, &n));
  CU_ASSERT_EQUAL_FATAL(n, sizeof want / sizeof want[0]);
  for (i = 0; i < n; i++)
    CU_ASSERT(mproc_args_type(m, i, &t) == MPROC_OK && t == want[i]);
  CU_ASSERT(mproc_args_get_i64(m, 0, &v) == MPROC_OK && v == INT64_MIN);
  CU_ASSERT(mproc_args_get_i64(m, 1, &v) == MPROC_OK && v == INT64_MAX);
  CU_ASSERT(mproc_args_get_i64(m, 2, &v) == MPROC_OK && v == 0);
  CU_ASSERT(mproc_args_get_f64(m, 3, &d) == MPROC_OK && d == 0.0 && signbit(d));
  CU_ASSERT(mproc_args_get_f64(m, 4, &d) == MPROC_OK && d == DBL_MAX);
  CU_ASSERT(mproc_args_get_f64(m, 5, &d) == MPROC_OK && d == 1.0 / 3.0);
  CU_ASSERT(mproc_args_get_bool(m, 6, &b) == MPROC_OK && b == 1);
  CU_ASSERT(mproc_args_get_bool(m, 7, &b) == MPROC_OK && b == 0);
  CU_ASSERT(mproc_args_get_str(m, 8, &s) == MPROC_OK && s && strcmp(s, "") == 0);
  CU_ASSERT(mproc_args_get_str(m, 9, &s) == MPROC_OK && s && strcmp(s, "h\xc3\xa9llo, queue") == 0);
  CU_ASSERT(mproc_args_get_bytes(m, 10, &data, &size) == MPROC_OK && size == sizeof some_bytes &&
            memcmp(data, some_bytes, size) == 0);
  CU_ASSERT(mproc_args_get_bytes(m, 11, &data, &size) == MPROC_OK && size == 0);
  CU_ASSERT(mproc_args_get_i64(m, 13, &v) == MPROC_OK && v == 42);
}

static void test_every_type_round_trips(void) {
  mproc_queue *q = new_queue(0, 0, 0), *back = new_queue(0, 0, 0);
  mproc_args *m = every_type(), *got = NULL, *a = args_with_queue(q);
  T_OK(mproc_args_create(&got));
  T_OK(mproc_args_add_str(got, "old")); /* a get replaces what the list held */
  T_OK(mproc_args_add_i64(got, 1));
  T_OK(mproc_queue_put(q, m, 0));
  T_OK(mproc_queue_get(q, got, 0));
  check_every_type(got);
  /* through another process: it decodes and re-encodes it */
  T_OK(mproc_args_add_queue(a, back));
  T_OK(mproc_queue_put(q, m, 0));
  CU_ASSERT_EQUAL(t_finish(t_start("q_echo", a, NULL)), 0);
  T_OK(mproc_queue_get(back, got, T_BOUND_MS));
  check_every_type(got);
  mproc_args_destroy(a);
  mproc_args_destroy(m);
  mproc_args_destroy(got);
  T_OK(mproc_queue_destroy(q));
  T_OK(mproc_queue_destroy(back));
}

/* put_packed: a message built and put in one call, here and by a child; a
 * bad format or a bad handle puts nothing. */
static void test_put_packed(void) {
  mproc_queue *q = new_queue(0, 0, 0);
  mproc_args *got = NULL, *a = args_with_queue(q);
  const char *s = NULL;
  int64_t n = 0;
  double d = 0;
  size_t left = 9;
  T_OK(mproc_args_create(&got));
  T_OK(mproc_queue_put_packed(q, 0, "i64 str", (int64_t)-3, "here"));
  T_OK(mproc_queue_get(q, got, 0));
  T_OK(mproc_args_unpack(got, "i64 str", &n, &s));
  CU_ASSERT(n == -3 && strcmp(s, "here") == 0);
  CU_ASSERT_EQUAL(t_finish(t_start("q_put_packed", a, NULL)), 0);
  T_OK(mproc_queue_get(q, got, T_BOUND_MS));
  T_OK(mproc_args_unpack(got, "str i64 f64", &s, &n, &d));
  CU_ASSERT(strcmp(s, "seven") == 0 && n == 7 && d == 7.5);
  T_STATUS(mproc_queue_put_packed(q, 0, "i64 nosuch", (int64_t)1), MPROC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "mproc_queue_put_packed"));
  T_STATUS(mproc_queue_put_packed(q, 0, NULL), MPROC_EINVAL);
  T_STATUS(mproc_queue_put_packed(NULL, 0, "i64", (int64_t)1), MPROC_EINVAL);
  T_OK(mproc_queue_qsize(q, &left));
  CU_ASSERT_EQUAL(left, 0); /* nothing of the refused ones was put */
  mproc_args_destroy(a);
  mproc_args_destroy(got);
  T_OK(mproc_queue_destroy(q));
  T_STATUS(mproc_queue_put_packed(q, 0, "i64", (int64_t)1), MPROC_ECLOSED);
}

/* A 1 MiB message through a 4 KiB ring, from this process and from a child
 * that then exits; small messages after it keep their order. */
static void test_message_larger_than_ring(void) {
  mproc_queue *q = new_queue(0, 4096, 0);
  mproc_args *a = args_with_queue(q);
  int64_t i, round;
  T_OK(put_seq(q, 1, 10, 0));
  T_OK(put_seq(q, 2, BIG_SIZE, 0));
  T_OK(put_seq(q, 3, 10, 0));
  CU_ASSERT_EQUAL(qsize(q), 3);
  T_OK(get_seq(q, 1, 10, 0));
  T_OK(get_seq(q, 2, BIG_SIZE, 0));
  T_OK(get_seq(q, 3, 10, 0));
  CU_ASSERT_EQUAL(qsize(q), 0);
  mproc_args_add_i64(a, 4);
  mproc_args_add_i64(a, BIG_SIZE);
  mproc_args_add_none(a);
  CU_ASSERT_EQUAL(t_finish(t_start("q_put_and_leave", a, NULL)), 0);
  CU_ASSERT_EQUAL(qsize(q), 1);
  T_OK(get_seq(q, 4, BIG_SIZE, 0));
  /* back to small messages: many rounds of puts and gets, in order */
  for (round = 0; round < 50; round++) {
    for (i = 0; i < 100; i++)
      T_OK(put_seq(q, round * 100 + i, seq_len(i), 0));
    CU_ASSERT_EQUAL(qsize(q), 100);
    for (i = 0; i < 100; i++) {
      mproc_status st = get_seq(q, round * 100 + i, seq_len(i), 0);
      if (st != MPROC_OK) {
        T_OK(st);
        round = 50;
        break;
      }
    }
  }
  CU_ASSERT_TRUE(mproc_queue_empty(q));
  mproc_args_destroy(a);
  T_OK(mproc_queue_destroy(q));
}

/* 100,000 messages with nobody getting: the queue grows, never waits. */
static void test_unbounded_growth(void) {
  enum { N = 100000 };
  mproc_queue *q = new_queue(0, 4096, 0);
  int64_t i;
  int bad = 0;
  for (i = 0; i < N && !bad; i++) {
    mproc_status st = put_i64(q, i, 0);
    if (st != MPROC_OK) {
      T_OK(st);
      bad = 1;
    }
  }
  CU_ASSERT_EQUAL(qsize(q), N);
  expect_i64_run(q, 0, N);
  CU_ASSERT_EQUAL(qsize(q), 0);
  T_OK(mproc_queue_destroy(q));
}

/* A message outlives the process that put it: one that exits, one that is
 * killed, one whose message needed a ring of its own. */
static void test_message_outlives_putter(void) {
  mproc_queue *q = new_queue(0, 4096, 0);
  mproc_event *e = NULL;
  mproc_args *a;
  mproc_process *p;
  T_OK(mproc_event_create(&e));
  a = args_with_queue(q);
  mproc_args_add_i64(a, 11);
  mproc_args_add_i64(a, 50);
  mproc_args_add_none(a);
  CU_ASSERT_EQUAL(t_finish(t_start("q_put_and_leave", a, NULL)), 0);
  mproc_args_destroy(a);
  a = args_with_queue(q);
  mproc_args_add_i64(a, 12);
  mproc_args_add_i64(a, BIG_SIZE);
  T_OK(mproc_args_add_event(a, e));
  p = t_start("q_put_and_leave", a, NULL);
  T_OK(mproc_event_wait(e, T_BOUND_MS));
  T_OK(mproc_process_kill(p));
  CU_ASSERT_EQUAL(t_finish(p), -9);
  mproc_args_destroy(a);
  CU_ASSERT_EQUAL(qsize(q), 2);
  T_OK(get_seq(q, 11, 50, 0));
  T_OK(get_seq(q, 12, BIG_SIZE, 0));
  T_OK(mproc_event_destroy(e));
  T_OK(mproc_queue_destroy(q));
}

static void test_shutdown_local(void) {
  mproc_queue *q = new_queue(0, 0, 0);
  int64_t v = 0, t0;
  T_OK(put_i64(q, 1, 0));
  T_OK(put_i64(q, 2, 0));
  T_OK(mproc_queue_shutdown(q));
  T_STATUS(put_i64(q, 3, 0), MPROC_ECLOSED);
  T_STATUS(put_i64(q, 3, 100), MPROC_ECLOSED);
  CU_ASSERT_EQUAL(qsize(q), 2);
  T_OK(get_i64(q, &v, 0));
  CU_ASSERT_EQUAL(v, 1);
  T_OK(get_i64(q, &v, T_BOUND_MS));
  CU_ASSERT_EQUAL(v, 2);
  T_STATUS(get_i64(q, &v, 0), MPROC_ECLOSED);
  t0 = t_now_ms();
  T_STATUS(get_i64(q, &v, T_BOUND_MS), MPROC_ECLOSED);
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
  CU_ASSERT_TRUE(mproc_queue_empty(q));
  T_OK(mproc_queue_shutdown(q)); /* again: it stays shut */
  T_STATUS(put_i64(q, 3, 0), MPROC_ECLOSED);
  T_OK(mproc_queue_destroy(q));
}

/* Starts @n children blocked in a get (op 0), a put (1) or a join (2),
 * each exiting 0 if its call returns @want; returns once all of them began
 * their call, and 200 ms more (to let them sleep). */
static void start_blocked(mproc_queue *q, int64_t op, mproc_status want, int n, mproc_process **p) {
  int i, alive = 0;
  for (i = 0; i < n; i++) {
    mproc_event *e = NULL;
    mproc_args *a = args_with_queue(q);
    T_OK(mproc_event_create(&e));
    T_OK(mproc_args_add_event(a, e));
    mproc_args_add_i64(a, op);
    mproc_args_add_i64(a, want);
    p[i] = t_start("q_block_expect", a, NULL);
    T_OK(mproc_event_wait(e, T_BOUND_MS));
    mproc_args_destroy(a);
    T_OK(mproc_event_destroy(e));
  }
  t_sleep_ms(200);
  for (i = 0; i < n; i++) {
    T_OK(mproc_process_is_alive(p[i], &alive));
    CU_ASSERT_TRUE(alive); /* still blocked */
  }
}

/* Each child exits 0, soon after @t0: woken, not timed out. */
static void all_woken(mproc_process **p, int n, int64_t t0) {
  int i;
  for (i = 0; i < n; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
}

/* @n getters blocked in other processes, or @n putters blocked on a full
 * queue, all wake with MPROC_ECLOSED. */
static void shutdown_wakes(int put, int n) {
  mproc_queue *q = new_queue(1, 0, 0);
  mproc_process *p[3];
  int64_t t0;
  if (put)
    T_OK(put_i64(q, 1, 0)); /* full */
  start_blocked(q, put, MPROC_ECLOSED, n, p);
  t0 = t_now_ms();
  T_OK(mproc_queue_shutdown(q));
  all_woken(p, n, t0);
  CU_ASSERT_EQUAL(qsize(q), put ? 1 : 0);
  T_OK(mproc_queue_destroy(q));
}

static void test_shutdown_wakes_getter(void) { shutdown_wakes(0, 1); }
static void test_shutdown_wakes_putter(void) { shutdown_wakes(1, 1); }
static void test_shutdown_wakes_every_getter(void) { shutdown_wakes(0, 3); }
static void test_shutdown_wakes_every_putter(void) { shutdown_wakes(1, 3); }

/* Three getters blocked in three processes: three puts, 100 ms apart, wake
 * each of them (no wake-up is lost to another sleeper). */
static void test_puts_wake_every_getter(void) {
  mproc_queue *q = new_queue(0, 0, 0);
  mproc_process *p[3];
  int64_t t0, i;
  start_blocked(q, 0, MPROC_OK, 3, p);
  t0 = t_now_ms();
  for (i = 0; i < 3; i++) {
    T_OK(put_i64(q, i, 0));
    t_sleep_ms(100);
  }
  all_woken(p, 3, t0);
  CU_ASSERT_EQUAL(qsize(q), 0);
  T_OK(mproc_queue_destroy(q));
}

/* Three putters blocked on a full maxsize-1 queue: each get makes room for
 * one of them, and wakes it. */
static void test_gets_wake_every_putter(void) {
  mproc_queue *q = new_queue(1, 0, 0);
  mproc_process *p[3];
  int64_t t0, v = 0;
  int i;
  T_OK(put_i64(q, 1, 0));
  start_blocked(q, 1, MPROC_OK, 3, p);
  t0 = t_now_ms();
  T_OK(get_i64(q, &v, 0));
  CU_ASSERT_EQUAL(v, 1);
  for (i = 0; i < 3; i++) { /* each get waits for a woken putter's message */
    T_OK(get_i64(q, &v, T_BOUND_MS));
    CU_ASSERT_EQUAL(v, 99);
  }
  all_woken(p, 3, t0);
  CU_ASSERT_EQUAL(qsize(q), 0);
  T_OK(mproc_queue_destroy(q));
}

/* Three processes blocked in join: the last task_done wakes them all. */
static void test_task_done_wakes_every_joiner(void) {
  mproc_queue *q = new_queue(0, 0, 1);
  mproc_process *p[3];
  int64_t t0, v = 0;
  T_OK(put_i64(q, 1, 0));
  start_blocked(q, 2, MPROC_OK, 3, p);
  t0 = t_now_ms();
  T_OK(get_i64(q, &v, 0));
  T_OK(mproc_queue_task_done(q));
  all_woken(p, 3, t0);
  T_OK(mproc_queue_destroy(q));
}

/* JoinableQueue: three consumer processes; join returns once every message
 * was task_done'd, not before. */
static void test_joinable_three_consumers(void) {
  enum { N = 300, C = 3 };
  mproc_queue *q = new_queue(0, 0, 1);
  mproc_array *count = NULL;
  mproc_args *a[C];
  mproc_process *p[C];
  int64_t i, sum = 0, v = 0, t0;
  size_t un = 0;
  T_OK(mproc_array_create(&count, MPROC_ELEM_I64, C, NULL));
  T_OK(mproc_queue_join(q, 0)); /* nothing put: nothing to wait for */
  for (i = 0; i < N; i++)
    T_OK(put_i64(q, i, 0));
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, N);
  t0 = t_now_ms();
  T_STATUS(mproc_queue_join(q, 100), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 90);
  for (i = 0; i < C; i++) {
    a[i] = args_with_queue(q);
    T_OK(mproc_args_add_array(a[i], count));
    mproc_args_add_i64(a[i], i);
    p[i] = t_start("q_join_consumer", a[i], NULL);
  }
  T_OK(mproc_queue_join(q, T_BOUND_MS));
  for (i = 0; i < C; i++) {
    T_OK(mproc_array_get_i64(count, (size_t)i, &v));
    sum += v;
  }
  CU_ASSERT_EQUAL(sum, N); /* every one processed before its task_done */
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, 0);
  CU_ASSERT_EQUAL(qsize(q), 0);
  T_OK(mproc_queue_shutdown(q));
  for (i = 0; i < C; i++) {
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
    mproc_args_destroy(a[i]);
  }
  T_OK(mproc_array_destroy(count));
  T_OK(mproc_queue_destroy(q));
}

static void test_joinable_counts(void) {
  mproc_queue *q = new_queue(0, 0, 1), *plain = new_queue(0, 0, 0);
  size_t un = 99;
  int64_t v = 0;
  T_STATUS(mproc_queue_task_done(q), MPROC_ESTATE); /* nothing put */
  T_OK(put_i64(q, 1, 0));
  T_OK(put_i64(q, 2, 0));
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, 2);
  T_OK(get_i64(q, &v, 0));
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, 2); /* a get is not a task_done */
  T_OK(mproc_queue_task_done(q));
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, 1);
  T_STATUS(mproc_queue_join(q, 50), MPROC_ETIMEDOUT);
  T_OK(mproc_queue_task_done(q)); /* for a message not got yet: Python allows it */
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, 0);
  T_OK(mproc_queue_join(q, 0));
  T_STATUS(mproc_queue_task_done(q), MPROC_ESTATE);
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, 0); /* the refused call changed nothing */
  T_OK(put_i64(q, 3, 0));
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, 1);
  /* a plain queue has no task_done */
  T_STATUS(mproc_queue_task_done(plain), MPROC_EINVAL);
  T_OK(mproc_queue_destroy(q));
  T_OK(mproc_queue_destroy(plain));
}

static void test_to_pool_initializer_and_task(void) {
  mproc_queue *q = new_queue(0, 0, 0);
  mproc_args *init = args_with_queue(q), *a = NULL;
  mproc_pool_options o;
  mproc_pool *pool = NULL;
  mproc_future *f = NULL;
  int64_t v = 0, i;
  int seen[4] = {0, 0, 0, 0};
  memset(&o, 0, sizeof o);
  o.workers = 2;
  o.initializer = "q_pool_init";
  o.initargs = init;
  T_OK(mproc_pool_create(&pool, &o));
  CU_ASSERT_FATAL(pool != NULL);
  /* through the initializer's handle */
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, 1));
  T_OK(mproc_pool_apply(pool, "q_pool_put_init", a, NULL));
  mproc_args_destroy(a);
  T_OK(get_i64(q, &v, T_BOUND_MS));
  CU_ASSERT_EQUAL(v, 1);
  /* in the task's own arguments: apply, then submit */
  a = args_with_queue(q);
  T_OK(mproc_args_add_i64(a, 2));
  T_OK(mproc_pool_apply(pool, "q_pool_put_arg", a, NULL));
  mproc_args_destroy(a);
  T_OK(get_i64(q, &v, T_BOUND_MS));
  CU_ASSERT_EQUAL(v, 2);
  a = args_with_queue(q);
  T_OK(mproc_args_add_i64(a, 3));
  T_OK(mproc_pool_submit(pool, &f, "q_pool_put_arg", a, NULL));
  mproc_args_destroy(a);
  T_OK(get_i64(q, &v, T_BOUND_MS)); /* the parent gets while the task may still run */
  CU_ASSERT_EQUAL(v, 3);
  T_OK(mproc_future_get(f, T_BOUND_MS, NULL));
  T_OK(mproc_future_destroy(f));
  /* several tasks at once, on both workers */
  for (i = 0; i < 4; i++) {
    mproc_args *b = args_with_queue(q);
    T_OK(mproc_args_add_i64(b, i));
    T_OK(mproc_pool_submit(pool, &f, "q_pool_put_arg", b, NULL));
    mproc_args_destroy(b);
    T_OK(mproc_future_destroy(f)); /* fire and forget: the queue says it ran */
  }
  for (i = 0; i < 4; i++) {
    T_OK(get_i64(q, &v, T_BOUND_MS));
    if (v >= 0 && v < 4)
      seen[v]++;
  }
  CU_ASSERT(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && seen[3] == 1);
  T_OK(mproc_pool_destroy(pool));
  mproc_args_destroy(init);
  CU_ASSERT_EQUAL(qsize(q), 0);
  T_OK(mproc_queue_destroy(q));
}

/* A child passes the queue it opened on to its own child, which puts. */
static void test_passed_on_by_a_child(void) {
  mproc_queue *q = new_queue(0, 0, 0);
  mproc_args *a = args_with_queue(q);
  int64_t v = 0;
  T_OK(mproc_args_add_i64(a, 77));
  CU_ASSERT_EQUAL(t_finish(t_start("q_relay", a, NULL)), 0);
  T_OK(get_i64(q, &v, 0));
  CU_ASSERT_EQUAL(v, 77);
  mproc_args_destroy(a);
  T_OK(mproc_queue_destroy(q));
}

/* A result callback (on a pool thread of the parent) puts into a queue. */
static void put_result(mproc_future *f, void *user) {
  const mproc_args *res = NULL;
  int64_t v = -1;
  if (mproc_future_get(f, 0, &res) == MPROC_OK)
    mproc_args_get_i64(res, 0, &v);
  put_i64(user, v, 0);
}

static void test_pool_callback_puts(void) {
  mproc_queue *q = new_queue(0, 0, 0);
  mproc_pool_options o;
  mproc_task_options to;
  mproc_pool *pool = NULL;
  mproc_future *f[5];
  mproc_args *a = NULL;
  int64_t v = 0, sum = 0, i;
  memset(&o, 0, sizeof o);
  o.workers = 2;
  memset(&to, 0, sizeof to);
  to.callback = put_result;
  to.user = q;
  T_OK(mproc_pool_create(&pool, &o));
  CU_ASSERT_FATAL(pool != NULL);
  for (i = 0; i < 5; i++) {
    T_OK(mproc_args_create(&a));
    T_OK(mproc_args_add_i64(a, i + 1));
    T_OK(mproc_pool_submit(pool, &f[i], "q_pool_double", a, &to));
    mproc_args_destroy(a);
  }
  for (i = 0; i < 5; i++) {
    T_OK(get_i64(q, &v, T_BOUND_MS));
    sum += v;
  }
  CU_ASSERT_EQUAL(sum, 2 * (1 + 2 + 3 + 4 + 5));
  for (i = 0; i < 5; i++)
    T_OK(mproc_future_destroy(f[i]));
  T_OK(mproc_pool_destroy(pool));
  T_OK(mproc_queue_destroy(q));
}

/* Fails with a detail other than the one the next call must leave. */
static void other_failure(void) { T_STATUS(mproc_event_set(NULL), MPROC_EINVAL); }

/* Asserts @expr returned @want and left a detail naming @fn. */
#define T_FAILS(expr, want, fn)                                                                    \
  do {                                                                                             \
    other_failure();                                                                               \
    T_STATUS((expr), (want));                                                                      \
    CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), (fn)));                                      \
  } while (0)

static void test_bad_input(void) {
  mproc_queue_options o;
  mproc_queue *q = NULL, *o2 = NULL;
  mproc_args *m = NULL, *a = NULL, *msgs[2];
  mproc_event *e = NULL, *e2 = NULL;
  size_t n = 0, put = 99, got = 99;
  memset(&o, 0, sizeof o);
  T_FAILS(mproc_queue_create(NULL, NULL), MPROC_EINVAL, "mproc_queue_create");
  o.maxsize = MPROC_QUEUE_MAX_ITEMS + 1;
  T_FAILS(mproc_queue_create(&q, &o), MPROC_ERANGE, "mproc_queue_create");
  CU_ASSERT_PTR_NULL(q);
  o.maxsize = UINT32_MAX;
  T_FAILS(mproc_queue_create(&q, &o), MPROC_ERANGE, "mproc_queue_create");
  o.maxsize = 0;
  o.capacity_bytes = ((size_t)1 << 30) + 1;
  T_FAILS(mproc_queue_create(&q, &o), MPROC_ERANGE, "mproc_queue_create");
  o.capacity_bytes = SIZE_MAX;
  T_FAILS(mproc_queue_create(&q, &o), MPROC_ERANGE, "mproc_queue_create");
  CU_ASSERT_PTR_NULL(q);
  o.capacity_bytes = 1; /* rounded up to 4 KiB */
  o.maxsize = MPROC_QUEUE_MAX_ITEMS;
  T_OK(mproc_queue_create(&q, &o));
  CU_ASSERT_FATAL(q != NULL);
  T_OK(mproc_args_create(&m));
  T_OK(mproc_args_add_i64(m, 1));
  T_FAILS(mproc_queue_put(NULL, m, 0), MPROC_EINVAL, "mproc_queue_put");
  T_FAILS(mproc_queue_put(q, NULL, 0), MPROC_EINVAL, "mproc_queue_put");
  T_FAILS(mproc_queue_get(NULL, m, 0), MPROC_EINVAL, "mproc_queue_get");
  T_FAILS(mproc_queue_get(q, NULL, 0), MPROC_EINVAL, "mproc_queue_get");
  T_FAILS(mproc_queue_put_many(NULL, (const mproc_args *const *)&m, 1, 0, &put), MPROC_EINVAL,
          "mproc_queue_put_many");
  T_FAILS(mproc_queue_put_many(q, NULL, 1, 0, &put), MPROC_EINVAL, "mproc_queue_put_many");
  msgs[0] = m;
  msgs[1] = NULL;
  T_FAILS(mproc_queue_put_many(q, (const mproc_args *const *)msgs, 2, 0, &put), MPROC_EINVAL,
          "mproc_queue_put_many");
  CU_ASSERT_EQUAL(qsize(q), 0); /* checked before anything was put */
  put = 99;
  T_OK(mproc_queue_put_many(q, (const mproc_args *const *)msgs, 0, 0, &put)); /* nothing to do */
  CU_ASSERT_EQUAL(put, 0);
  T_FAILS(mproc_queue_get_many(NULL, msgs, 1, 0, &got), MPROC_EINVAL, "mproc_queue_get_many");
  T_FAILS(mproc_queue_get_many(q, NULL, 1, 0, &got), MPROC_EINVAL, "mproc_queue_get_many");
  T_OK(put_i64(q, 7, 0));
  T_FAILS(mproc_queue_get_many(q, msgs, 2, 0, &got), MPROC_EINVAL, "mproc_queue_get_many");
  got = 99;
  T_FAILS(mproc_queue_get_many(q, msgs, 0, 0, &got), MPROC_EINVAL, "mproc_queue_get_many");
  CU_ASSERT_EQUAL(got, 0);
  CU_ASSERT_EQUAL(qsize(q), 1); /* nothing was taken */
  T_FAILS(mproc_queue_qsize(NULL, &n), MPROC_EINVAL, "mproc_queue_qsize");
  T_FAILS(mproc_queue_qsize(q, NULL), MPROC_EINVAL, "mproc_queue_qsize");
  CU_ASSERT_TRUE(mproc_queue_empty(NULL));
  CU_ASSERT_FALSE(mproc_queue_full(NULL));
  T_FAILS(mproc_queue_shutdown(NULL), MPROC_EINVAL, "mproc_queue_shutdown");
  T_FAILS(mproc_queue_task_done(NULL), MPROC_EINVAL, "mproc_queue_task_done");
  T_FAILS(mproc_queue_join(NULL, 0), MPROC_EINVAL, "mproc_queue_join");
  T_FAILS(mproc_queue_unfinished(NULL, &n), MPROC_EINVAL, "mproc_queue_unfinished");
  T_FAILS(mproc_queue_close(NULL), MPROC_EINVAL, "mproc_queue_close");
  T_FAILS(mproc_queue_destroy(NULL), MPROC_EINVAL, "mproc_queue_destroy");
  T_FAILS(mproc_queue_close(q), MPROC_EPERM, "mproc_queue_close"); /* the creator destroys */
  /* crossing */
  T_OK(mproc_args_create(&a));
  T_FAILS(mproc_args_add_queue(a, NULL), MPROC_EINVAL, "mproc_args_add_queue");
  T_FAILS(mproc_args_add_queue(a, (mproc_queue *)&a), MPROC_ENOTSHAREABLE, "mproc_args_add_queue");
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_add_event(a, e));
  T_FAILS(mproc_args_open_queue(a, 0, &o2), MPROC_ETYPE, "mproc_args_open_queue");
  T_FAILS(mproc_args_open_queue(a, 1, &o2), MPROC_ERANGE, "mproc_args_open_queue");
  T_OK(mproc_args_add_queue(a, q));
  T_FAILS(mproc_args_open_queue(a, 1, NULL), MPROC_EINVAL, "mproc_args_open_queue");
  T_FAILS(mproc_args_open_event(a, 1, &e2), MPROC_ETYPE, "mproc_args_open_event");
  mproc_args_destroy(a);
  /* an opener's handle: closed, it is ECLOSED everywhere (in a child) */
  a = args_with_queue(q);
  CU_ASSERT_EQUAL(t_finish(t_start("q_close_opener", a, NULL)), 0);
  CU_ASSERT_EQUAL(qsize(q), 2); /* the child's put before its close */
  /* the creator's handle after destroy */
  T_OK(mproc_queue_destroy(q));
  T_FAILS(mproc_queue_put(q, m, 0), MPROC_ECLOSED, "mproc_queue_put");
  T_FAILS(mproc_queue_get(q, m, 0), MPROC_ECLOSED, "mproc_queue_get");
  T_FAILS(mproc_queue_qsize(q, &n), MPROC_ECLOSED, "mproc_queue_qsize");
  T_FAILS(mproc_queue_shutdown(q), MPROC_ECLOSED, "mproc_queue_shutdown");
  T_FAILS(mproc_queue_destroy(q), MPROC_ECLOSED, "mproc_queue_destroy");
  T_FAILS(mproc_args_add_queue(a, q), MPROC_ENOTSHAREABLE, "mproc_args_add_queue");
  CU_ASSERT_TRUE(mproc_queue_empty(q));
  CU_ASSERT_FALSE(mproc_queue_full(q));
  CU_ASSERT_NOT_EQUAL(mproc_args_open_queue(a, 0, &o2), MPROC_OK); /* the name is gone */
  mproc_args_destroy(a);
  mproc_args_destroy(m);
  T_OK(mproc_event_destroy(e));
}

/* The queue's name and its rings' are owner-only (despite umask 0) and
 * created exclusively; destroy removes them all. */
static void test_names_owner_only_exclusive(void) {
  mproc_queue *q;
  mproc__shm shm;
  ring_names rn;
  char qname[MPROC__NAME_MAX + 8];
  int i, mode, old = t_set_umask(0);
  q = new_queue(0, 4096, 0);
  T_OK(put_seq(q, 1, BIG_SIZE / 8, 0)); /* a second ring */
  t_set_umask(old);
  snprintf(qname, sizeof qname, "%s", queue_name(q));
  mode = t_object_mode(qname);
  if (mode < 0)
    printf("SKIP (no file modes on this OS) ");
  else
    CU_ASSERT_EQUAL(mode, 0600);
  memset(&shm, 0, sizeof shm);
  CU_ASSERT_NOT_EQUAL(mproc__shm_create(&shm, qname, 4096), MPROC_OK);
  CU_ASSERT_PTR_NULL(shm.base);
  if (list_rings(qname, &rn)) {
    CU_ASSERT(rn.n >= 2);
    CU_ASSERT_EQUAL(rn.malformed, 0);
    for (i = 0; i < rn.n && i < 16; i++) {
      if (mode >= 0)
        CU_ASSERT_EQUAL(t_object_mode(rn.names[i]), 0600);
      memset(&shm, 0, sizeof shm);
      CU_ASSERT_NOT_EQUAL(mproc__shm_create(&shm, rn.names[i], 4096), MPROC_OK);
    }
  }
  T_OK(get_seq(q, 1, BIG_SIZE / 8, 0)); /* untouched */
  T_OK(mproc_queue_destroy(q));
  CU_ASSERT_FALSE(segment_exists(qname));
  if (list_rings(qname, &rn))
    CU_ASSERT_EQUAL(rn.n, 0);
}

/* A child creates a queue with two rings and exits without destroying it
 * (how 0), or is killed (how 1): its names go with it. */
static void creator_leaves(int64_t how) {
  char *path = t_temp_path("qname");
  char qname[MPROC__NAME_MAX + 8] = "";
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  mproc_process *p;
  ring_names rn;
  int64_t end = t_now_ms() + T_BOUND_MS;
  int listed;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_str(a, path));
  T_OK(mproc_args_add_event(a, e));
  T_OK(mproc_args_add_i64(a, how));
  p = t_start("q_create_and_leave", a, NULL);
  while (!t_read_file(path, qname, sizeof qname) && t_now_ms() < end)
    t_sleep_ms(10);
  CU_ASSERT(qname[0] != 0);
  if (qname[0]) {
    CU_ASSERT_TRUE(segment_exists(qname));
    listed = list_rings(qname, &rn);
    if (listed)
      CU_ASSERT(rn.n >= 2);
  }
  T_OK(mproc_event_set(e));
  if (how == 1) {
    t_sleep_ms(50);
    T_OK(mproc_process_kill(p));
    CU_ASSERT_EQUAL(t_finish(p), -9);
  } else {
    CU_ASSERT_EQUAL(t_finish(p), 0);
  }
  if (qname[0] && list_rings(qname, &rn)) {
    CU_ASSERT_FALSE(segment_exists(qname));
    CU_ASSERT_EQUAL(rn.n, 0);
  } else if (qname[0] && how == 0) {
    CU_ASSERT_FALSE(segment_exists(qname));
  }
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
  remove(path);
  free(path);
}

static void test_names_gone_at_creator_exit(void) { creator_leaves(0); }
static void test_killed_creator_swept(void) { creator_leaves(1); }

/* A killed opener that made a ring: the ring is the queue's, not the
 * opener's; it stays with its message until the queue is destroyed. */
static void test_killed_opener_ring_stays(void) {
  mproc_queue *q = new_queue(0, 4096, 0);
  mproc_event *e = NULL;
  mproc_args *a = args_with_queue(q);
  mproc_process *p;
  ring_names rn;
  char qname[MPROC__NAME_MAX + 8];
  snprintf(qname, sizeof qname, "%s", queue_name(q));
  T_OK(mproc_event_create(&e));
  mproc_args_add_i64(a, 5);
  mproc_args_add_i64(a, BIG_SIZE);
  T_OK(mproc_args_add_event(a, e));
  p = t_start("q_put_and_leave", a, NULL);
  T_OK(mproc_event_wait(e, T_BOUND_MS));
  T_OK(mproc_process_kill(p));
  CU_ASSERT_EQUAL(t_finish(p), -9); /* reaped: its own names swept */
  T_OK(put_seq(q, 6, 10, 0));
  CU_ASSERT_EQUAL(qsize(q), 2);
  T_OK(get_seq(q, 5, BIG_SIZE, 0));
  T_OK(get_seq(q, 6, 10, 0));
  T_OK(mproc_queue_destroy(q));
  if (list_rings(qname, &rn))
    CU_ASSERT_EQUAL(rn.n, 0);
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
}

static const CU_TestInfo tests[] = {
    {"FIFO in one process", test_fifo_one_process},
    {"FIFO across processes: 10,000 messages", test_fifo_across_processes},
    {"FIFO across processes through a 4 KiB ring", test_fifo_across_processes_small_ring},
    {"two producers: each one's order holds", test_two_producers},
    {"two processes take turns getting", test_getters_take_turns},
    {"timeouts: EEMPTY and EFULL, at once and after 100 ms", test_timeouts},
    {"maxsize: a putter child blocks until the parent gets", test_maxsize_blocks_putter},
    {"qsize, empty and full are exact", test_qsize_empty_full},
    {"put_many and get_many: order, partial put, what is there", test_put_many_get_many},
    {"put_many waits for room as a child gets", test_put_many_waits_for_room},
    {"get_many waits for the first message only", test_get_many_waits_for_first},
    {"every value type round-trips, through a child too", test_every_type_round_trips},
    {"put_packed: one call, here and from a child", test_put_packed},
    {"a message larger than the ring goes through", test_message_larger_than_ring},
    {"unbounded: 100,000 messages nobody gets", test_unbounded_growth},
    {"a message outlives the process that put it", test_message_outlives_putter},
    {"shutdown: puts ECLOSED, gets drain then ECLOSED", test_shutdown_local},
    {"shutdown wakes a getter blocked in another process", test_shutdown_wakes_getter},
    {"shutdown wakes a putter blocked in another process", test_shutdown_wakes_putter},
    {"shutdown wakes every getter blocked in 3 processes", test_shutdown_wakes_every_getter},
    {"shutdown wakes every putter blocked in 3 processes", test_shutdown_wakes_every_putter},
    {"3 puts wake 3 getters blocked in 3 processes", test_puts_wake_every_getter},
    {"3 gets wake 3 putters blocked in 3 processes", test_gets_wake_every_putter},
    {"task_done wakes 3 processes blocked in join", test_task_done_wakes_every_joiner},
    {"JoinableQueue: join across 3 consumer processes", test_joinable_three_consumers},
    {"JoinableQueue: task_done, unfinished, ESTATE", test_joinable_counts},
    {"to a pool initializer and a pool task", test_to_pool_initializer_and_task},
    {"passed on by a child to its own child", test_passed_on_by_a_child},
    {"a pool result callback puts into a queue", test_pool_callback_puts},
    {"bad input, closed handles", test_bad_input},
    {"names owner-only and exclusive, rings too", test_names_owner_only_exclusive},
    {"names gone when the creator exits", test_names_gone_at_creator_exit},
    {"killed creator: the sweep removes queue and rings", test_killed_creator_swept},
    {"killed opener: the ring it made stays with the queue", test_killed_opener_ring_stays},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {
    MPROC_FUNCTION(q_producer),      MPROC_FUNCTION(q_consumer),
    MPROC_FUNCTION(q_put_timed),     MPROC_FUNCTION(q_block_expect),
    MPROC_FUNCTION(q_put_and_leave), MPROC_FUNCTION(q_echo),
    MPROC_FUNCTION(q_put_packed),    MPROC_FUNCTION(q_join_consumer),
    MPROC_FUNCTION(q_close_opener),  MPROC_FUNCTION(q_create_and_leave),
    MPROC_FUNCTION(q_pool_init),     MPROC_FUNCTION(q_pool_put_init),
    MPROC_FUNCTION(q_pool_put_arg),  MPROC_FUNCTION(q_pool_double),
    MPROC_FUNCTION(q_relay),         MPROC_FUNCTIONS_END};

const test_suite suite_queue = {"queue", tests, functions};
