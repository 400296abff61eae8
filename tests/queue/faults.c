/*
 * Faults of runtime/queue/stream.c: a process that dies at each step of a
 * put, a get, a ring switch or a ring advance (mproc__stream_die_at), one
 * killed at random moments, a consumer that dies before its task_done, and
 * garbage written into a ring. After each, other processes put and get
 * normally: nothing hangs, qsize is exact, order holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/stream.h"  /* the die-at hook */
#include "shared/object.h" /* names, segments */
#include "tests.h"

/* How a process ends at a die-at step (stream.c: mproc__exit_now(137), no
 * unlock, no atexit: as a SIGKILL would leave things). */
#define DIED_AT_STEP 137
#define SMALL 20
#define BIG (64 * 1024) /* far larger than a 4 KiB ring: it makes the queue switch rings */

static const char *queue_name(const mproc_queue *q) { return ((const mproc__obj *)q)->name; }

/* ---- helpers, usable in children (no CUnit there) ---- */

static uint8_t pattern(int64_t seq, size_t i) { return (uint8_t)((uint64_t)seq * 131u + i * 3u); }

static mproc_status put_seq(mproc_queue *q, int64_t seq, size_t len, int64_t timeout) {
  mproc_args *m = NULL;
  uint8_t *data = malloc(len ? len : 1);
  mproc_status st = MPROC_ENOMEM;
  size_t i;
  if (data && mproc_args_create(&m) == MPROC_OK) {
    for (i = 0; i < len; i++)
      data[i] = pattern(seq, i);
    st = mproc_args_add_i64(m, seq);
    if (st == MPROC_OK)
      st = mproc_args_add_bytes(m, data, len);
    if (st == MPROC_OK)
      st = mproc_queue_put(q, m, timeout);
    mproc_args_destroy(m);
  }
  free(data);
  return st;
}

/* Gets one message: *seq its number; MPROC_EPROTO if its bytes are not its pattern. */
static mproc_status get_any(mproc_queue *q, int64_t *seq, size_t *len, int64_t timeout) {
  mproc_args *m = NULL;
  const void *raw = NULL;
  const uint8_t *data;
  size_t n = 0, size = 0, i;
  mproc_status st;
  *seq = -1;
  if (mproc_args_create(&m) != MPROC_OK)
    return MPROC_ENOMEM;
  st = mproc_queue_get(q, m, timeout);
  if (st == MPROC_OK) {
    if (mproc_args_count(m, &n) != MPROC_OK || n != 2 || mproc_args_get_i64(m, 0, seq) ||
        mproc_args_get_bytes(m, 1, &raw, &size)) {
      st = MPROC_ETYPE;
    } else {
      data = raw;
      for (i = 0; i < size; i++)
        if (data[i] != pattern(*seq, i)) {
          st = MPROC_ETYPE;
          break;
        }
    }
  }
  if (len)
    *len = size;
  mproc_args_destroy(m);
  return st;
}

/* The size of message @seq in the random-kill tests: now and then one that
 * needs a new ring. */
static size_t varied_len(int64_t seq) { return seq % 37 == 5 ? 12000 : (size_t)(seq % 61); }

/* ---- child functions ---- */

/* args: [queue, step, put (bool), seq, len, array or none]: sets the die-at
 * step and puts seq (of len bytes), or gets (recording in array[0] how many
 * it got, and in array[1 + i] each one's seq) until it dies. Exit 5: it did
 * not die. */
static int f_die(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_array *arr = NULL;
  mproc_type type = MPROC_TYPE_NONE;
  int64_t step = 0, seq = 0, len = 0, got = 0, v = 0;
  int put = 0;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_get_i64(a, 1, &step) ||
      mproc_args_get_bool(a, 2, &put) || mproc_args_get_i64(a, 3, &seq) ||
      mproc_args_get_i64(a, 4, &len) || mproc_args_type(a, 5, &type))
    return 2;
  if (type == MPROC_TYPE_OBJECT && mproc_args_open_array(a, 5, &arr))
    return 2;
  mproc__stream_die_at = (int)step;
  if (put) {
    if (put_seq(q, seq, (size_t)len, T_BOUND_MS) != MPROC_OK)
      return 3;
    exit(5);
  }
  for (got = 0; got < 8; got++) {
    if (get_any(q, &v, NULL, T_BOUND_MS) != MPROC_OK)
      return 3;
    if (arr) {
      mproc_array_set_i64(arr, (size_t)(1 + got), v);
      mproc_array_set_i64(arr, 0, got + 1);
    }
  }
  exit(5);
}

/* args: [queue, put seq, head seq]: puts seq (SMALL bytes), then gets one
 * message and checks it is @head. */
static int f_put_get(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  int64_t seq = 0, head = 0, v = 0;
  mproc_status st;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_get_i64(a, 1, &seq) ||
      mproc_args_get_i64(a, 2, &head))
    return 2;
  if (put_seq(q, seq, SMALL, T_BOUND_MS) != MPROC_OK)
    return 3;
  st = get_any(q, &v, NULL, T_BOUND_MS);
  if (st != MPROC_OK || v != head) {
    fprintf(stderr, "f_put_get: %s, seq %lld, wanted %lld (%s)\n", mproc_status_name(st),
            (long long)v, (long long)head, mproc_last_error());
    return 4;
  }
  mproc_queue_close(q);
  return 0;
}

/* args: [queue, array]: puts messages 0, 1, 2, ... (varied_len()),
 * recording in array[0] how many returned, until killed. */
static int f_produce_forever(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_array *arr = NULL;
  int64_t i;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_open_array(a, 1, &arr))
    return 2;
  for (i = 0;; i++) {
    if (put_seq(q, i, varied_len(i), T_BOUND_MS) != MPROC_OK)
      return 3;
    mproc_array_set_i64(arr, 0, i + 1);
  }
}

/* args: [queue, array]: gets messages, which must be 0, 1, 2, ... in order,
 * recording in array[0] how many returned, until killed (or the queue is
 * empty for T_BOUND_MS: exit 3). */
static int f_consume_forever(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_array *arr = NULL;
  int64_t i, v = 0;
  size_t len = 0;
  mproc_status st;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_open_array(a, 1, &arr))
    return 2;
  for (i = 0;; i++) {
    st = get_any(q, &v, &len, T_BOUND_MS);
    if (st != MPROC_OK)
      return 3;
    if (v != i || len != varied_len(i))
      return 4;
    mproc_array_set_i64(arr, 0, i + 1);
  }
}

/* args: [queue, event]: gets one message, sets the event, sleeps until killed. */
static int f_get_and_hang(const mproc_args *a, mproc_args *r) {
  mproc_queue *q = NULL;
  mproc_event *e = NULL;
  int64_t v = 0;
  (void)r;
  if (mproc_args_open_queue(a, 0, &q) || mproc_args_open_event(a, 1, &e))
    return 2;
  if (get_any(q, &v, NULL, T_BOUND_MS) != MPROC_OK)
    return 3;
  mproc_event_set(e);
  t_sleep_ms(T_FOREVER_MS);
  return 0;
}

/* ---- parent helpers ---- */

static mproc_queue *new_queue(size_t capacity, int joinable) {
  mproc_queue_options o;
  mproc_queue *q = NULL;
  memset(&o, 0, sizeof o);
  o.capacity_bytes = capacity;
  o.joinable = joinable;
  T_OK(mproc_queue_create(&q, &o));
  CU_ASSERT_FATAL(q != NULL);
  return q;
}

static size_t qsize(mproc_queue *q) {
  size_t n = 12345678;
  T_OK(mproc_queue_qsize(q, &n));
  return n;
}

static mproc_args *args_with_queue(mproc_queue *q) {
  mproc_args *a = NULL;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_queue(a, q));
  return a;
}

/* Gets the messages @seqs[0..n), in order, each checked. */
static void expect_seqs(mproc_queue *q, const int64_t *seqs, size_t n) {
  size_t i;
  int64_t v = 0;
  for (i = 0; i < n; i++) {
    T_OK(get_any(q, &v, NULL, T_BOUND_MS));
    CU_ASSERT_EQUAL(v, seqs[i]);
    if (v != seqs[i])
      return;
  }
}

static int count_ring(const char *name, const char *queue) {
  size_t len = strlen(queue);
  return strncmp(name, queue, len) == 0 && name[len] == '.';
}

typedef struct ring_count {
  const char *queue;
  int n;
} ring_count;

static void count_rings_of(const char *name, void *arg) {
  ring_count *rc = arg;
  if (count_ring(name, rc->queue)) {
    rc->n++;
    fprintf(stderr, "\nleft behind: %s\n", name);
  }
}

/* Destroys @q and asserts none of its rings is left (where names can be listed). */
static void destroy_no_rings_left(mproc_queue *q) {
  char qname[MPROC__NAME_MAX + 8];
  ring_count rc;
  snprintf(qname, sizeof qname, "%s", queue_name(q));
  T_OK(mproc_queue_destroy(q));
  rc.queue = qname;
  rc.n = 0;
  if (mproc__names_list(count_rings_of, &rc) == MPROC_OK)
    CU_ASSERT_EQUAL(rc.n, 0);
}

/* A child dies at @step doing a put (of @len bytes) or a get: exit code DIED_AT_STEP. */
static void die_in_child(mproc_queue *q, int step, int put, int64_t seq, int64_t len,
                         mproc_array *progress) {
  mproc_args *a = args_with_queue(q);
  mproc_args_add_i64(a, step);
  mproc_args_add_bool(a, put);
  mproc_args_add_i64(a, seq);
  mproc_args_add_i64(a, len);
  if (progress)
    T_OK(mproc_args_add_array(a, progress));
  else
    mproc_args_add_none(a);
  CU_ASSERT_EQUAL(t_finish(t_start("f_die", a, NULL)), DIED_AT_STEP);
  mproc_args_destroy(a);
}

/* After a death: the queue holds exactly @left[0..n); the parent puts (a
 * small and a big message), another child puts and gets the head, and
 * everything comes back in order. Nothing waits beyond a bound. */
static void goes_on(mproc_queue *q, const int64_t *left, size_t n) {
  int64_t all[16], t0, v = 0;
  mproc_args *a;
  size_t i, k = 0;
  CU_ASSERT_EQUAL(qsize(q), n);
  for (i = 0; i < n && k < 12; i++)
    all[k++] = left[i];
  t0 = t_now_ms();
  T_OK(put_seq(q, 100, SMALL, T_BOUND_MS)); /* takes a lock a dead process may hold */
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
  all[k++] = 100;
  T_OK(put_seq(q, 101, BIG, T_BOUND_MS));
  all[k++] = 101;
  a = args_with_queue(q);
  mproc_args_add_i64(a, 102);
  mproc_args_add_i64(a, all[0]);
  CU_ASSERT_EQUAL(t_finish(t_start("f_put_get", a, NULL)), 0);
  mproc_args_destroy(a);
  all[k++] = 102;
  CU_ASSERT_EQUAL(qsize(q), k - 1);
  expect_seqs(q, all + 1, k - 1);
  T_STATUS(get_any(q, &v, NULL, 0), MPROC_EEMPTY);
  CU_ASSERT_EQUAL(qsize(q), 0);
  /* and once more, through the rings it has now */
  for (i = 0; i < 200; i++)
    T_OK(put_seq(q, 200 + (int64_t)i, (i % 50 == 7) ? BIG : SMALL, 0));
  for (i = 0; i < 200; i++) {
    T_OK(get_any(q, &v, NULL, 0));
    if (v != 200 + (int64_t)i) {
      CU_ASSERT_EQUAL(v, 200 + (int64_t)i);
      break;
    }
  }
}

/* A putter dies at @step: its message is in the queue iff @kept. */
static void putter_dies(int step, int64_t len, int kept) {
  static const int64_t with[] = {1, 2, 3}, without[] = {1, 2};
  mproc_queue *q = new_queue(4096, 0);
  T_OK(put_seq(q, 1, SMALL, 0));
  T_OK(put_seq(q, 2, SMALL, 0));
  die_in_child(q, step, 1, 3, len, NULL);
  if (kept)
    goes_on(q, with, 3);
  else
    goes_on(q, without, 2);
  destroy_no_rings_left(q);
}

/* A getter dies at @step: the head message is gone iff @taken. */
static void getter_dies(int step, int taken) {
  static const int64_t all[] = {1, 2, 3};
  mproc_queue *q = new_queue(4096, 0);
  int64_t i;
  for (i = 1; i <= 3; i++)
    T_OK(put_seq(q, i, SMALL, 0));
  die_in_child(q, step, 0, 0, 0, NULL);
  goes_on(q, taken ? all + 1 : all, taken ? 2 : 3);
  destroy_no_rings_left(q);
}

static void test_put_locked(void) { putter_dies(MPROC__DIE_PUT_LOCKED, SMALL, 0); }
static void test_put_written(void) { putter_dies(MPROC__DIE_PUT_WRITTEN, SMALL, 0); }
static void test_put_committed(void) { putter_dies(MPROC__DIE_PUT_COMMITTED, SMALL, 1); }
static void test_get_locked(void) { getter_dies(MPROC__DIE_GET_LOCKED, 0); }
static void test_get_read(void) { getter_dies(MPROC__DIE_GET_READ, 0); }
static void test_get_committed(void) { getter_dies(MPROC__DIE_GET_COMMITTED, 1); }
/* A big message makes the putter switch to a larger ring. */
static void test_switch_created(void) { putter_dies(MPROC__DIE_SWITCH_CREATED, BIG, 0); }
static void test_switch_sealed(void) { putter_dies(MPROC__DIE_SWITCH_SEALED, BIG, 0); }
/* The big message a putter dies after committing went into a new ring. */
static void test_put_committed_big(void) { putter_dies(MPROC__DIE_PUT_COMMITTED, BIG, 1); }

/* A consumer dies as it moves from a sealed ring to the next: 1 is in the
 * first ring, 2 (big) made the second, 3 follows it. */
static void test_advance_moved(void) {
  static const int64_t all[] = {1, 2, 3};
  mproc_queue *q = new_queue(4096, 0);
  mproc_array *progress = NULL;
  int64_t got = 0, first = 0;
  T_OK(mproc_array_create(&progress, MPROC_ELEM_I64, 10, NULL));
  T_OK(put_seq(q, 1, SMALL, 0));
  T_OK(put_seq(q, 2, BIG, 0));
  T_OK(put_seq(q, 3, SMALL, 0));
  die_in_child(q, MPROC__DIE_ADVANCE_MOVED, 0, 0, 0, progress);
  T_OK(mproc_array_get_i64(progress, 0, &got));
  T_OK(mproc_array_get_i64(progress, 1, &first));
  CU_ASSERT_EQUAL(got, 1); /* it got 1, then died crossing to 2's ring */
  CU_ASSERT_EQUAL(first, 1);
  if (got >= 0 && got <= 3)
    goes_on(q, all + got, (size_t)(3 - got));
  destroy_no_rings_left(q);
  T_OK(mproc_array_destroy(progress));
}

/* The die-at hook itself: a step nobody reaches changes nothing. */
static void test_hook_off_changes_nothing(void) {
  static const int64_t all[] = {1, 2};
  mproc_queue *q = new_queue(4096, 0);
  mproc_args *a = args_with_queue(q);
  T_OK(put_seq(q, 1, SMALL, 0));
  mproc_args_add_i64(a, MPROC__DIE_ADVANCE_MOVED); /* a put never advances */
  mproc_args_add_bool(a, 1);
  mproc_args_add_i64(a, 2);
  mproc_args_add_i64(a, SMALL);
  mproc_args_add_none(a);
  CU_ASSERT_EQUAL(t_finish(t_start("f_die", a, NULL)), 5); /* returned: did not die */
  mproc_args_destroy(a);
  goes_on(q, all, 2);
  destroy_no_rings_left(q);
}

/* A producer killed at random moments (some of its messages need a new
 * ring): at most the message it was putting is lost, and the queue holds
 * 0, 1, ... in order. */
static void test_producer_killed_at_random(void) {
  int round;
  srand(12345);
  for (round = 0; round < 8; round++) {
    mproc_queue *q = new_queue(4096, 0);
    mproc_array *arr = NULL;
    mproc_args *a = args_with_queue(q);
    mproc_process *p;
    int64_t done = 0, pid = 0, i, v = 0;
    size_t n, len = 0;
    T_OK(mproc_array_create(&arr, MPROC_ELEM_I64, 1, NULL));
    T_OK(mproc_args_add_array(a, arr));
    p = t_start("f_produce_forever", a, NULL);
    t_array_wait_i64(arr, 0, 50 + round * 40, T_BOUND_MS);
    t_sleep_ms(rand() % 15);
    T_OK(mproc_process_pid(p, &pid));
    CU_ASSERT(t_hard_kill_pid(pid));
    CU_ASSERT_EQUAL(t_finish(p), t_signal_exitcode(9));
    T_OK(mproc_array_get_i64(arr, 0, &done));
    n = qsize(q);
    CU_ASSERT(n == (size_t)done || n == (size_t)done + 1);
    for (i = 0; i < (int64_t)n; i++) {
      mproc_status st = get_any(q, &v, &len, T_BOUND_MS);
      if (st != MPROC_OK || v != i || len != varied_len(i)) {
        T_OK(st);
        CU_ASSERT_EQUAL(v, i);
        break;
      }
    }
    T_STATUS(get_any(q, &v, NULL, 0), MPROC_EEMPTY);
    T_OK(put_seq(q, 7, SMALL, T_BOUND_MS)); /* it goes on */
    T_OK(get_any(q, &v, NULL, T_BOUND_MS));
    CU_ASSERT_EQUAL(v, 7);
    mproc_args_destroy(a);
    T_OK(mproc_array_destroy(arr));
    destroy_no_rings_left(q);
  }
}

/* A consumer killed at random moments, some while crossing rings: at most
 * the message it was taking is gone, the rest stay in order. */
static void test_consumer_killed_at_random(void) {
  enum { N = 20000 };
  int round;
  srand(54321);
  for (round = 0; round < 8; round++) {
    mproc_queue *q = new_queue(4096, 0);
    mproc_array *arr = NULL;
    mproc_args *a = args_with_queue(q);
    mproc_process *p;
    int64_t taken = 0, pid = 0, i, v = 0, first;
    size_t n, len = 0;
    for (i = 0; i < N; i++)
      T_OK(put_seq(q, i, varied_len(i), 0));
    T_OK(mproc_array_create(&arr, MPROC_ELEM_I64, 1, NULL));
    T_OK(mproc_args_add_array(a, arr));
    p = t_start("f_consume_forever", a, NULL);
    t_array_wait_i64(arr, 0, 50 + round * 100, T_BOUND_MS);
    t_sleep_ms(rand() % 5);
    T_OK(mproc_process_pid(p, &pid));
    CU_ASSERT(t_hard_kill_pid(pid));
    CU_ASSERT_EQUAL(t_finish(p), t_signal_exitcode(9)); /* not 4: it saw them in order */
    T_OK(mproc_array_get_i64(arr, 0, &taken));
    n = qsize(q);
    CU_ASSERT(n == (size_t)(N - taken) || n + 1 == (size_t)(N - taken));
    first = N - (int64_t)n;
    for (i = first; i < N; i++) {
      mproc_status st = get_any(q, &v, &len, T_BOUND_MS);
      if (st != MPROC_OK || v != i || len != varied_len(i)) {
        T_OK(st);
        CU_ASSERT_EQUAL(v, i);
        break;
      }
    }
    T_STATUS(get_any(q, &v, NULL, 0), MPROC_EEMPTY);
    T_OK(put_seq(q, 7, SMALL, T_BOUND_MS));
    T_OK(get_any(q, &v, NULL, T_BOUND_MS));
    CU_ASSERT_EQUAL(v, 7);
    mproc_args_destroy(a);
    T_OK(mproc_array_destroy(arr));
    destroy_no_rings_left(q);
  }
}

/* JoinableQueue: a consumer killed between its get and its task_done
 * leaves one message unfinished; join times out until the program calls
 * task_done for it. */
static void test_consumer_dies_before_task_done(void) {
  mproc_queue *q = new_queue(0, 1);
  mproc_event *e = NULL;
  mproc_args *a = args_with_queue(q);
  mproc_process *p;
  size_t un = 0;
  int64_t t0;
  T_OK(mproc_event_create(&e));
  T_OK(mproc_args_add_event(a, e));
  T_OK(put_seq(q, 1, SMALL, 0));
  p = t_start("f_get_and_hang", a, NULL);
  T_OK(mproc_event_wait(e, T_BOUND_MS));
  T_OK(mproc_process_kill(p));
  CU_ASSERT_EQUAL(t_finish(p), -9);
  CU_ASSERT_EQUAL(qsize(q), 0);
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, 1);
  t0 = t_now_ms();
  T_STATUS(mproc_queue_join(q, 100), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 90);
  T_OK(mproc_queue_task_done(q)); /* the program decides, for the dead consumer */
  t0 = t_now_ms();
  T_OK(mproc_queue_join(q, T_BOUND_MS));
  CU_ASSERT(t_now_ms() - t0 < T_BOUND_MS / 2);
  T_OK(mproc_queue_unfinished(q, &un));
  CU_ASSERT_EQUAL(un, 0);
  T_STATUS(mproc_queue_task_done(q), MPROC_ESTATE);
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(e));
  T_OK(mproc_queue_destroy(q));
}

/* ---- garbage in a ring ----
 * stream.c's layout: a ring segment "<queue name>.<serial, two base-36
 * digits>" (the first ring's serial is 1) starts with a 64-byte header;
 * then 8-byte units, records from unit 0: an 8-byte header whose low 32
 * bits are the payload's length, then the payload padded to 8 bytes. */
#define RING_HEADER 64
#define UNIT 8

typedef struct ring_view {
  mproc__shm shm;
  uint8_t *units;
} ring_view;

static int map_first_ring(mproc_queue *q, size_t capacity, ring_view *v) {
  char name[MPROC__NAME_MAX + 8];
  snprintf(name, sizeof name, "%s.01", queue_name(q));
  memset(v, 0, sizeof *v);
  v->shm.h = MPROC__NO_HANDLE;
  if (mproc__shm_open(&v->shm, name, RING_HEADER + capacity) != MPROC_OK)
    return 0;
  v->units = (uint8_t *)v->shm.base + RING_HEADER;
  return 1;
}

/* The unit at which record @index (0-based, from the ring's start) begins. */
static size_t record_unit(const ring_view *v, int index) {
  size_t unit = 0;
  int i;
  for (i = 0; i < index; i++) {
    uint32_t len;
    memcpy(&len, v->units + unit * UNIT, sizeof len);
    unit += 1 + (len + UNIT - 1) / UNIT;
  }
  return unit;
}

/* Messages 1..5; message 3's payload (how) or its header garbled: get
 * gives 1, 2, then MPROC_EPROTO, never a crash, and the queue goes on. */
static void garbled(int header) {
  mproc_queue *q = new_queue(4096, 0);
  ring_view v;
  size_t unit, n;
  int64_t i, seq = 0, after;
  mproc_status st;
  for (i = 1; i <= 5; i++)
    T_OK(put_seq(q, i, SMALL, 0));
  CU_ASSERT_FATAL(map_first_ring(q, 4096, &v));
  unit = record_unit(&v, 2);
  if (header)
    memset(v.units + unit * UNIT, 0xa5, UNIT);
  else
    memset(v.units + (unit + 1) * UNIT, 0xff, 2 * UNIT); /* the encoding's own header */
  mproc__shm_close(&v.shm);
  T_OK(get_any(q, &seq, NULL, 0));
  CU_ASSERT_EQUAL(seq, 1);
  T_OK(get_any(q, &seq, NULL, 0));
  CU_ASSERT_EQUAL(seq, 2);
  T_STATUS(get_any(q, &seq, NULL, 0), MPROC_EPROTO);
  CU_ASSERT(strstr(mproc_last_error(), "garbled") != NULL);
  n = qsize(q);
  if (!header)
    CU_ASSERT_EQUAL(n, 2); /* only message 3 was dropped */
  CU_ASSERT(n <= 2);
  after = 5 - (int64_t)n + 1; /* what is left are the last n, in order */
  for (i = after; i <= 5; i++) {
    st = get_any(q, &seq, NULL, 0);
    T_OK(st);
    CU_ASSERT_EQUAL(seq, i);
  }
  T_STATUS(get_any(q, &seq, NULL, 0), MPROC_EEMPTY);
  /* it goes on: puts and gets, a child's too, through new rings */
  {
    static const int64_t none[1] = {0};
    goes_on(q, none, 0);
  }
  destroy_no_rings_left(q);
}

static void test_garbled_payload(void) { garbled(0); }
static void test_garbled_header(void) { garbled(1); }

/* The whole ring overwritten with noise: every get is MPROC_EPROTO or
 * MPROC_EEMPTY, within a few calls, and the queue goes on. */
static void test_ring_full_of_noise(void) {
  mproc_queue *q = new_queue(4096, 0);
  ring_view v;
  size_t i;
  int64_t seq = 0;
  uint32_t x = 2463534242u;
  int tries;
  mproc_status st = MPROC_OK;
  for (i = 1; i <= 20; i++)
    T_OK(put_seq(q, (int64_t)i, SMALL + i, 0));
  CU_ASSERT_FATAL(map_first_ring(q, 4096, &v));
  for (i = 0; i < 4096; i++) { /* xorshift32 */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v.units[i] = (uint8_t)x;
  }
  mproc__shm_close(&v.shm);
  for (tries = 0; tries < 30; tries++) {
    st = get_any(q, &seq, NULL, 0);
    if (st == MPROC_EEMPTY)
      break;
    CU_ASSERT_EQUAL(st, MPROC_EPROTO);
  }
  CU_ASSERT_EQUAL(st, MPROC_EEMPTY);
  CU_ASSERT_EQUAL(qsize(q), 0);
  {
    static const int64_t none[1] = {0};
    goes_on(q, none, 0);
  }
  destroy_no_rings_left(q);
}

/* get_many across a garbled message: what came before it is delivered,
 * with *got, and MPROC_EPROTO; the next call goes on after it. */
static void test_get_many_over_garbage(void) {
  mproc_queue *q = new_queue(4096, 0);
  mproc_args *out[5];
  ring_view v;
  size_t unit, got = 99, i;
  int64_t seq = 0;
  for (i = 1; i <= 5; i++)
    T_OK(put_seq(q, (int64_t)i, SMALL, 0));
  for (i = 0; i < 5; i++)
    T_OK(mproc_args_create(&out[i]));
  CU_ASSERT_FATAL(map_first_ring(q, 4096, &v));
  unit = record_unit(&v, 2);
  memset(v.units + (unit + 1) * UNIT, 0xff, 2 * UNIT);
  mproc__shm_close(&v.shm);
  T_STATUS(mproc_queue_get_many(q, out, 5, 0, &got), MPROC_EPROTO);
  CU_ASSERT_EQUAL(got, 2);
  CU_ASSERT(mproc_args_get_i64(out[1], 0, &seq) == MPROC_OK && seq == 2);
  T_OK(mproc_queue_get_many(q, out, 5, 0, &got));
  CU_ASSERT_EQUAL(got, 2);
  CU_ASSERT(mproc_args_get_i64(out[0], 0, &seq) == MPROC_OK && seq == 4);
  CU_ASSERT(mproc_args_get_i64(out[1], 0, &seq) == MPROC_OK && seq == 5);
  for (i = 0; i < 5; i++)
    mproc_args_destroy(out[i]);
  destroy_no_rings_left(q);
}

static const CU_TestInfo tests[] = {
    {"putter dies holding the put lock: message lost", test_put_locked},
    {"putter dies after writing, before the tail: message lost", test_put_written},
    {"putter dies after committing: message kept", test_put_committed},
    {"putter dies after committing a big message: kept", test_put_committed_big},
    {"getter dies holding the get lock: message stays", test_get_locked},
    {"getter dies after reading, before the head: message stays", test_get_read},
    {"getter dies after committing: message gone", test_get_committed},
    {"putter dies after making a new ring: message lost", test_switch_created},
    {"putter dies after sealing the old ring: message lost", test_switch_sealed},
    {"getter dies moving to the next ring", test_advance_moved},
    {"a step never reached changes nothing", test_hook_off_changes_nothing},
    {"producer killed at random moments", test_producer_killed_at_random},
    {"consumer killed at random moments", test_consumer_killed_at_random},
    {"JoinableQueue: consumer dies before task_done", test_consumer_dies_before_task_done},
    {"garbled payload: EPROTO for it, the rest go on", test_garbled_payload},
    {"garbled record header: EPROTO, the queue goes on", test_garbled_header},
    {"a ring full of noise: EPROTO, never a crash", test_ring_full_of_noise},
    {"get_many over a garbled message", test_get_many_over_garbage},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(f_die),
                                           MPROC_FUNCTION(f_put_get),
                                           MPROC_FUNCTION(f_produce_forever),
                                           MPROC_FUNCTION(f_consume_forever),
                                           MPROC_FUNCTION(f_get_and_hang),
                                           MPROC_FUNCTIONS_END};

const test_suite suite_queue_faults = {"queue_faults", tests, functions};
