/*
 * A pool worker: the child side of pool.c.
 *
 * A worker ends at once when its parent dies, even in the middle of a task.
 * Where the OS can end it with the pool's thread that spawned it (Linux's
 * parent-death signal), the worker has one thread, which reads the frames
 * itself: a frame costs one wake-up, and starting or killing a worker wakes
 * no second thread. Elsewhere a reader thread reads the frames, hands them to
 * the main thread, and exits the worker when the channel ends (the parent is
 * gone). Either way the main thread spins briefly (MPROC__SPIN_US) for the
 * next frame when frames have been coming that fast, watching the mailbox
 * (mbox.c), where the parent then puts small frames. The main thread runs the
 * initializer, then loops: take a TASK, run each call, send one RESULT.
 *
 * Every frame and payload it reads or writes is defined in wire/protocol.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "base/atomic.h"
#include "shared/object.h"
#include "core/core.h"
#include "pool/pool.h"
#include "process/process.h"
#include "wire/args.h" /* the per-call path: see there */
#include "wire/frame.h"
#include "wire/result.h"

typedef struct frame {
  uint16_t type;
  uint8_t *payload;
  size_t len;
  struct frame *next;
} frame;

static struct {
  mproc__chan *chan;
  mproc_event *cancel;
  const volatile uint32_t *cancelled; /* its flag */
  mproc_array *claims;
  mproc_args *header, *args, *result; /* a TASK's header, a call's arguments and results: reused */
  mproc__buf in, out;                 /* the frame read directly, the RESULT: reused */
  frame read;                         /* the frame read directly (in w.in) */
  mproc__lane lane[2];                /* large TASKs in, large RESULTs out (lane.c) */
  mproc_shm *mbox;                    /* small frames while the receiver spins (mbox.c) */
  mproc__mbox_tx tx;                  /* to the parent (under `writing`) */
  mproc__mbox_rx rx;                  /* from it (the main thread's, when it reads) */
  apr_thread_mutex_t *lock;
  apr_thread_cond_t *arrived;
  frame *head, *tail;
  volatile uint32_t queued;  /* frames handed over and not taken yet (spun on) */
  volatile uint32_t writing; /* a frame is being sent: a task's own threads may cancel */
  int direct;                /* the main thread reads the channel itself */
  int report_rss;
  mproc__spin spin;
  char message[256];
  int depth;
} w;

int mproc__pool_depth(void) { return w.depth; }

int mproc_cancelled(void) { return w.cancelled != NULL && mproc__load32(w.cancelled) != 0; }

static void writing(int begin) {
  if (!begin)
    mproc__store32(&w.writing, 0);
  else
    while (mproc__xchg32(&w.writing, 1))
      apr_thread_yield();
}

static mproc_status send_up(uint16_t type, const uint8_t *buf, size_t len) {
  mproc_status st;
  writing(1);
  st = mproc__mbox_send(&w.tx, w.chan, type, buf, len);
  writing(0);
  return st;
}

mproc_status mproc_task_cancel_pool(void) {
  mproc_status st;
  if (!w.cancel)
    return mproc__fail(MPROC_ESTATE, "mproc_task_cancel_pool: not inside a pool task");
  if (mproc_event_is_set(w.cancel))
    return MPROC_OK; /* whoever set it told the parent, or is the parent */
  if ((st = mproc_event_set(w.cancel)) == MPROC_OK)
    send_up(MPROC__FRAME_CANCEL, NULL, 0); /* if the parent is gone, so is this worker soon */
  return st;
}

mproc_status mproc_task_fail(const char *message) {
  if (!message)
    return mproc__fail(MPROC_EINVAL, "mproc_task_fail: message is NULL");
  snprintf(w.message, sizeof w.message, "%s", message);
  return MPROC_OK;
}

/* Reads frames and hands them to the main thread; exits when the parent is gone. */
/* Ends this worker when its parent sent what no mproc parent sends, saying
 * so on stderr (a parent that is merely gone ends it silently: nobody is
 * left to tell). */
static MPROC__NORETURN void broken(const char *what) {
  fprintf(stderr, "mproc: pool worker %lld: %s: %s\n", (long long)mproc__self_pid(), what,
          mproc_last_error());
  mproc__exit_now(MPROC__EXIT_ORPHANED);
}

/* After a failed receive: the parent's end (silent), or a bad frame. */
static MPROC__NORETURN void lost(mproc_status st) {
  if (st == MPROC_ECLOSED)
    mproc__exit_now(MPROC__EXIT_ORPHANED);
  broken("reading a frame from the parent");
}

static void *APR_THREAD_FUNC reader(apr_thread_t *thread, void *data) {
  (void)thread;
  (void)data;
  for (;;) {
    frame *f = calloc(1, sizeof *f);
    mproc_status st = f ? mproc__frame_recv(w.chan, &f->type, &f->payload, &f->len) : MPROC_ENOMEM;
    if (st != MPROC_OK)
      lost(st);
    apr_thread_mutex_lock(w.lock);
    if (w.tail)
      w.tail->next = f;
    else
      w.head = f;
    w.tail = f;
    mproc__add32(&w.queued, 1);
    apr_thread_cond_signal(w.arrived);
    apr_thread_mutex_unlock(w.lock);
  }
  return NULL;
}

static int handed_over(const void *arg) {
  (void)arg;
  return mproc__load32(&w.queued) != 0 || mproc__mbox_full(&w.rx);
}

/* The next frame: from the mailbox if the parent put one there while this
 * thread was spinning (it is then the next in order: see mbox.c), else
 * from the reader thread. */
static frame *handed_frame(void) {
  frame *f = &w.read;
  int64_t start = mproc__now_us();
  int got;
  if (mproc__spin_wanted(&w.spin)) {
    mproc__mbox_watch(&w.rx, 1);
    mproc__spin_until(handed_over, NULL, start);
    mproc__mbox_watch(&w.rx, 0);
  }
  if (mproc__mbox_take(&w.rx, &got, &f->type, &w.in, &f->len) != MPROC_OK)
    broken("taking a frame from the mailbox");
  if (got) {
    f->payload = w.in.data;
  } else {
    apr_thread_mutex_lock(w.lock);
    while (!w.head)
      apr_thread_cond_wait(w.arrived, w.lock);
    f = w.head;
    w.head = f->next;
    if (!w.head)
      w.tail = NULL;
    mproc__add32(&w.queued, (uint32_t)-1);
    apr_thread_mutex_unlock(w.lock);
    mproc__mbox_counted(&w.rx);
  }
  w.spin.last_us = mproc__now_us() - start;
  return f;
}

static frame *next_frame(void) {
  frame *f = &w.read;
  if (!w.direct)
    return handed_frame();
  mproc_status st = mproc__mbox_recv(&w.rx, w.chan, &w.spin, &f->type, &w.in, &f->len);
  if (st != MPROC_OK)
    lost(st);
  f->payload = w.in.data;
  return f;
}

static void release_frame(frame *f) {
  if (f == &w.read) {
    mproc__buf_trim(&w.in, 0);
    return;
  }
  free(f->payload);
  free(f);
}

static void send_or_die(uint16_t type, mproc_args *m) {
  uint8_t *buf;
  size_t len;
  if (mproc__args_encode(m, &buf, &len) != MPROC_OK || send_up(type, buf, len) != MPROC_OK)
    mproc__exit_now(MPROC__EXIT_ORPHANED);
  free(buf);
}

/* Runs one call and records it in @out (the short form while it can);
 * a call not started once the pool is cancelled is recorded as not run. */
static void run_call(const mproc_function *fn, const mproc_args *args, mproc_args *result,
                     mproc__result_writer *out) {
  int rc;
  if (mproc_cancelled()) {
    mproc__result_call(out, MPROC__CALL_NOT_RUN, NULL, NULL);
    return;
  }
  w.message[0] = 0;
  mproc__args_reset(result);
  rc = fn->fn(args, result);
  if (rc == 0 && mproc__result_plain(out, result))
    return;
  if (rc != 0 && !w.message[0])
    snprintf(w.message, sizeof w.message, "%s returned %d", fn->name, rc);
  mproc__result_call(out, rc != 0 ? MPROC__CALL_FAILED : MPROC__CALL_OK, w.message, result);
}

/* Runs the calls of the TASK body @in (see protocol.h). Each call's
 * arguments are read straight into one reused list. */
static void run_calls(const mproc_function *fn, int64_t mode, mproc__reader *in,
                      mproc__result_writer *out) {
  int64_t n = (int64_t)in->values;
  do {
    mproc_status st;
    if (mode == MPROC__TASK_ITEMS) {
      st = mproc__reader_next(in, w.args);
    } else if (mode == MPROC__TASK_GROUPS && mproc__reader_i64(in, &n)) {
      st = MPROC_EPROTO;
    } else {
      mproc__args_reset(w.args);
      st = n < 0 ? MPROC_EPROTO : mproc__reader_take(in, (size_t)n, w.args);
    }
    if (st != MPROC_OK)
      broken("a TASK's arguments"); /* the parent validated all this */
    run_call(fn, w.args, w.result, out);
  } while (in->values > 0 && mode != MPROC__TASK_CALL);
}

/* Whether this worker may start task @id of claim word @slot (-1: not
 * pipelined), rather than the pool that took it back (see TASK above). */
static int claimed(int64_t slot, int64_t id) {
  if (slot < 0)
    return 1;
  if (!w.claims || (uint64_t)slot >= mproc_array_length(w.claims))
    broken("a pipelined TASK without claim words");
  return mproc__cas64((volatile uint64_t *)mproc_array_data(w.claims) + slot, (uint64_t)id, 0);
}

static void take_claims(const frame *f) {
  mproc_args *a = NULL;
  mproc_array *claims = NULL;
  if (mproc__args_decode(f->payload, f->len, &a) || mproc_args_open_array(a, 0, &claims))
    broken("a CLAIMS frame");
  if (w.claims)
    mproc_array_close(w.claims);
  w.claims = claims;
  mproc_args_destroy(a);
}

/* Sends @buf as a RESULT: through the up lane when it is large and the lane free. */
static void send_result(const uint8_t *buf, size_t len) {
  mproc_status st = len >= MPROC__LANE_MIN && mproc__lane_put(&w.lane[1], buf, len)
                        ? send_up(MPROC__FRAME_RESULT_LANE, NULL, 0)
                        : send_up(MPROC__FRAME_RESULT, buf, len);
  if (st != MPROC_OK)
    mproc__exit_now(MPROC__EXIT_ORPHANED);
}

static void take_lanes(const frame *f) {
  mproc_args *a = NULL;
  int i;
  if (mproc__args_decode(f->payload, f->len, &a))
    broken("a LANES frame");
  for (i = 0; i < 2; i++) {
    mproc__lane_drop(&w.lane[i]);
    if (mproc__lane_open(&w.lane[i], a, (size_t)i))
      broken("a LANES frame");
  }
  mproc_args_destroy(a);
}

/* MBOX: [its segment]. Attaches to it, and tells the parent so (MBOX_ACK):
 * each side counts the frames after that one (a frame handed over by the
 * reader thread counts when the main thread takes it). */
static void take_mbox(const frame *f) {
  mproc_args *a = NULL;
  mproc_shm *shm = NULL;
  if (mproc__args_decode(f->payload, f->len, &a) || mproc_args_open_shm(a, 0, &shm) ||
      mproc__mbox_check(shm))
    broken("an MBOX frame");
  mproc_args_destroy(a);
  writing(1);
  if (w.mbox)
    mproc_shm_close(w.mbox);
  w.mbox = shm;
  w.tx.d = NULL;
  if (mproc__frame_send(w.chan, MPROC__FRAME_MBOX_ACK, NULL, 0) != MPROC_OK)
    mproc__exit_now(MPROC__EXIT_ORPHANED);
  mproc__mbox_attach(shm, 1, &w.tx, &w.rx);
  writing(0);
}

/* Runs the TASK in @payload and sends its RESULT; @from: the lane it is in,
 * freed once the calls have read it. */
static void run_task(const uint8_t *payload, size_t payload_len, const mproc__lane *from) {
  mproc_args *head = w.header;
  mproc__reader in, body;
  mproc__result_writer out;
  const uint8_t *bytes;
  const char *name;
  uint8_t *buf;
  size_t len;
  int64_t id, mode, slot;
  const mproc_function *fn;
  mproc__args_clear(head);
  if (mproc__reader_open(&in, payload, payload_len) ||
      mproc__reader_take(&in, MPROC__TASK_HEAD, head) ||
      mproc_args_get_i64(head, MPROC__TASK_ID, &id) ||
      mproc_args_get_str(head, MPROC__TASK_FUNCTION, &name) ||
      mproc_args_get_i64(head, MPROC__TASK_MODE, &mode) ||
      mproc_args_get_i64(head, MPROC__TASK_SLOT, &slot) || mproc__reader_bytes(&in, &bytes, &len) ||
      mproc__reader_end(&in) || mproc__reader_open(&body, bytes, len) ||
      (fn = mproc__registry_find(name)) == NULL || (mode == MPROC__TASK_ITEMS && body.values == 0))
    broken("a TASK frame"); /* the parent validated all this */
  if (!claimed(slot, id))   /* taken back: it runs elsewhere, and nothing is sent for it */
    return;
  mproc__result_begin(&out, &w.out, len + 64, id);
  run_calls(fn, mode, &body, &out);
  if (mproc__reader_end(&body) ||
      mproc__result_finish(&out, w.report_rss ? mproc__self_rss_kib() : 0, &buf, &len))
    broken("the RESULT"); /* over the size limits: the parent sees a crash */
  if (from)
    mproc__lane_release(from); /* the calls are done with it: free before the RESULT */
  send_result(buf, len);
  w.out.data = buf; /* kept for the next RESULT */
  w.out.cap = out.w.cap;
  mproc__buf_trim(&w.out, 0);
}

static void run_lane_task(void) {
  size_t len = 0;
  const uint8_t *payload = mproc__lane_view(&w.lane[0], &len);
  if (!payload)
    broken("a TASK_LANE frame with an empty lane");
  run_task(payload, len, &w.lane[0]);
}

/* Runs the initializer; on failure reports it once and exits. */
static void initialize(const mproc_args *args) {
  const char *name;
  const void *buf;
  size_t len;
  mproc_args *initargs = NULL, *out = NULL;
  const mproc_function *fn;
  int rc;
  if (mproc_args_get_str(args, MPROC__WSTART_INITIALIZER, &name) || !name[0])
    return;
  fn = mproc__registry_find(name);
  if (!fn || mproc_args_get_bytes(args, MPROC__WSTART_INITARGS, &buf, &len) ||
      mproc__args_decode(buf, len, &initargs))
    broken("the initializer's arguments");
  w.message[0] = 0;
  rc = fn->fn(initargs, NULL);
  mproc_args_destroy(initargs);
  if (rc == 0)
    return;
  if (!w.message[0])
    snprintf(w.message, sizeof w.message, "it returned %d", rc);
  mproc_args_create(&out);
  mproc_args_add_str(out, w.message);
  send_or_die(MPROC__FRAME_INITFAIL, out);
  exit(1);
}

void mproc__worker_main(mproc__chan *chan, const mproc_args *args) {
  apr_thread_t *thread;
  int64_t depth = 1, rss = 1;
  unsigned fast;
  int first;
  mproc_status st = mproc__exit_with_parent(mproc_self_parent_pid());
  if (st != MPROC_OK && st != MPROC_ENOTSUP)
    mproc__exit_now(MPROC__EXIT_ORPHANED);
  w.direct = st == MPROC_OK;
  mproc__fast_paths(&fast); /* the parent checked the list: every entry is known */
  w.spin.off = !(fast & MPROC__FAST_SPIN);
  w.chan = chan;
  mproc_args_get_i64(args, MPROC__WSTART_DEPTH, &depth);
  w.depth = (int)depth;
  mproc_args_get_i64(args, MPROC__WSTART_REPORT_RSS,
                     &rss); /* reading it costs 3 system calls per task */
  w.report_rss = rss != 0;
  if (mproc_args_open_event(args, MPROC__WSTART_CANCEL, &w.cancel) != MPROC_OK ||
      (w.cancelled = mproc__event_flag(w.cancel)) == NULL || mproc_args_create(&w.header) ||
      mproc_args_create(&w.args) || mproc_args_create(&w.result) ||
      (!w.direct &&
       (apr_thread_mutex_create(&w.lock, APR_THREAD_MUTEX_DEFAULT, mproc__apr_pool()) ||
        apr_thread_cond_create(&w.arrived, mproc__apr_pool()) ||
        apr_thread_create(&thread, NULL, reader, NULL, mproc__apr_pool()))))
    mproc__exit_now(MPROC__EXIT_ORPHANED);
  initialize(args);
  if (send_up(MPROC__FRAME_READY, NULL, 0) != MPROC_OK) /* a task's clock starts now */
    mproc__exit_now(MPROC__EXIT_ORPHANED);
  /* The first frame was sent before this worker started, so how long it took
   * to come says nothing about how fast frames follow each other: neither
   * that wait nor the next one spins (a spin after the first result would
   * only take a CPU from the parent, which often destroys the pool then). */
  w.spin.last_us = INT64_MAX;
  for (first = 1;; first = 0) {
    frame *f = next_frame();
    if (first)
      w.spin.last_us = INT64_MAX;
    if (f->type == MPROC__FRAME_EXIT)
      exit(0);
    if (f->type == MPROC__FRAME_TASK)
      run_task(f->payload, f->len, NULL);
    else if (f->type == MPROC__FRAME_TASK_LANE)
      run_lane_task();
    else if (f->type == MPROC__FRAME_CLAIMS)
      take_claims(f);
    else if (f->type == MPROC__FRAME_LANES)
      take_lanes(f);
    else if (f->type == MPROC__FRAME_MBOX)
      take_mbox(f);
    release_frame(f);
  }
}
