/*
 * Queue, SimpleQueue and JoinableQueue (mproc/queue.h): a shared object
 * whose state is one stream (stream.c).
 */
#include <string.h>

#include "queue/stream.h"

#define QUEUE_JOINABLE 1 /* the segment header's flags */
#define CAPACITY_MAX ((size_t)1 << 30)

struct mproc_queue {
  mproc__obj obj;
  mproc__stream s;
};

static mproc__stream_ctl *ctl_of(const mproc_queue *q) { return mproc__obj_state(&q->obj); }

static void unlink_rings(const mproc__obj *o) {
  mproc__stream_unlink(o->name, mproc__obj_state(o));
}

/* The shift of a first ring of @bytes (rounded up to a power of two). */
static uint32_t shift_for(size_t bytes) {
  uint32_t shift = MPROC__RING_MIN_SHIFT;
  while (shift < MPROC__RING_MAX_SHIFT && ((size_t)8 << shift) < bytes)
    shift++;
  return shift;
}

mproc_status mproc_queue_create(mproc_queue **queue, const mproc_queue_options *options) {
  static const char fn[] = "mproc_queue_create";
  mproc_queue_options o;
  mproc_status st;
  mproc_queue *q;
  if (!queue)
    return mproc__fail(MPROC_EINVAL, "%s: queue is NULL", fn);
  if ((st = MPROC__CHECK_RESERVED(options, fn, "options")) != MPROC_OK)
    return st;
  memset(&o, 0, sizeof o);
  if (options)
    o = *options;
  if (o.maxsize > MPROC_QUEUE_MAX_ITEMS)
    return mproc__fail(MPROC_ERANGE, "%s: maxsize %u is over MPROC_QUEUE_MAX_ITEMS (%u)", fn,
                       o.maxsize, MPROC_QUEUE_MAX_ITEMS);
  if (o.capacity_bytes > CAPACITY_MAX)
    return mproc__fail(MPROC_ERANGE, "%s: capacity_bytes %zu is over 1 GiB", fn, o.capacity_bytes);
  st = mproc__obj_new((mproc__obj **)&q, sizeof *q, MPROC__KIND_QUEUE, sizeof(mproc__stream_ctl),
                      o.joinable ? QUEUE_JOINABLE : 0, fn);
  if (st != MPROC_OK)
    return st;
  q->obj.unlink_more = unlink_rings;
  st = mproc__stream_init(
      &q->s, &q->obj, ctl_of(q), o.maxsize,
      shift_for(o.capacity_bytes ? o.capacity_bytes : MPROC_QUEUE_DEFAULT_CAPACITY));
  if (st != MPROC_OK) {
    mproc__stream_detach(&q->s);
    mproc__obj_destroy(&q->obj, MPROC__KIND_QUEUE, fn);
    return st;
  }
  mproc__obj_publish(&q->obj);
  *queue = q;
  return MPROC_OK;
}

static mproc_status open_queue(mproc_queue **queue, const char *name, uint64_t size) {
  mproc_status st =
      mproc__obj_open_new((mproc__obj **)queue, sizeof **queue, MPROC__KIND_QUEUE, name, size,
                          sizeof(mproc__stream_ctl), "mproc_args_open_queue");
  if (st == MPROC_OK) {
    (*queue)->obj.unlink_more = unlink_rings;
    mproc__stream_attach(&(*queue)->s, &(*queue)->obj, ctl_of(*queue));
  }
  return st;
}

MPROC__DEFINE_ARGS_OBJECT(queue, MPROC__KIND_QUEUE)

static mproc_status check(const mproc_queue *q, const char *fn) {
  return mproc__obj_check((const mproc__obj *)q, MPROC__KIND_QUEUE, fn);
}

/* The messages of a put: lists checked, wrapped for the stream. */
static mproc_status wrap_messages(const mproc_args *const *in, size_t n, mproc__msg *out,
                                  const char *fn) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (!in[i])
      return mproc__fail(MPROC_EINVAL, "%s: message %zu is NULL", fn, i);
    out[i].type = MPROC__MSG_ARGS;
    out[i].args = in[i];
  }
  return MPROC_OK;
}

/* Puts in slices of this many messages (a slice's wrappers on the stack). */
#define PUT_SLICE 256

static mproc_status put_many(mproc_queue *q, const mproc_args *const *messages, size_t n,
                             int64_t timeout_ms, size_t *put, const char *fn) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = check(q, fn);
  size_t done = 0;
  if (st == MPROC_OK && !messages && n)
    st = mproc__fail(MPROC_EINVAL, "%s: messages is NULL", fn);
  while (st == MPROC_OK && done < n) {
    mproc__msg msgs[PUT_SLICE];
    size_t k = n - done < PUT_SLICE ? n - done : PUT_SLICE, got = 0;
    st = wrap_messages(messages + done, k, msgs, fn);
    if (st == MPROC_OK)
      st = mproc__stream_put(&q->s, msgs, k, deadline, &got, fn);
    done += got;
  }
  if (put)
    *put = done;
  return st;
}

mproc_status mproc_queue_put(mproc_queue *queue, const mproc_args *message, int64_t timeout_ms) {
  if (!message)
    return mproc__fail(MPROC_EINVAL, "mproc_queue_put: message is NULL");
  return put_many(queue, &message, 1, timeout_ms, NULL, "mproc_queue_put");
}

mproc_status mproc_queue_put_packed(mproc_queue *queue, int64_t timeout_ms, const char *format,
                                    ...) {
  static const char fn[] = "mproc_queue_put_packed";
  mproc_args *m = NULL;
  va_list ap;
  mproc_status st = check(queue, fn); /* before packing: the message is for nothing */
  if (st != MPROC_OK)
    return st;
  va_start(ap, format);
  st = mproc__args_create_packedv(&m, format, ap, fn);
  va_end(ap);
  if (st == MPROC_OK) {
    const mproc_args *msg = m;
    st = put_many(queue, &msg, 1, timeout_ms, NULL, fn);
    mproc_args_destroy(m);
  }
  return st;
}

mproc_status mproc_queue_put_many(mproc_queue *queue, const mproc_args *const *messages, size_t n,
                                  int64_t timeout_ms, size_t *put) {
  return put_many(queue, messages, n, timeout_ms, put, "mproc_queue_put_many");
}

static mproc_status get_many(mproc_queue *q, mproc_args *const *messages, size_t n,
                             int64_t timeout_ms, size_t *got, const char *fn) {
  size_t i, none = 0;
  mproc_status st = check(q, fn);
  if (!got)
    got = &none;
  *got = 0;
  if (st != MPROC_OK)
    return st;
  if (!messages || n == 0)
    return mproc__fail(MPROC_EINVAL, "%s: no list to receive into", fn);
  for (i = 0; i < n; i++)
    if (!messages[i])
      return mproc__fail(MPROC_EINVAL, "%s: list %zu is NULL", fn, i);
  return mproc__stream_get(&q->s, messages, n, NULL, mproc__deadline(timeout_ms), got, fn);
}

mproc_status mproc_queue_get(mproc_queue *queue, mproc_args *message, int64_t timeout_ms) {
  return get_many(queue, &message, 1, timeout_ms, NULL, "mproc_queue_get");
}

mproc_status mproc_queue_get_many(mproc_queue *queue, mproc_args *const *messages, size_t n,
                                  int64_t timeout_ms, size_t *got) {
  return get_many(queue, messages, n, timeout_ms, got, "mproc_queue_get_many");
}

mproc_status mproc_queue_qsize(const mproc_queue *queue, size_t *size) {
  mproc_status st = check(queue, "mproc_queue_qsize");
  if (st == MPROC_OK && !size)
    st = mproc__fail(MPROC_EINVAL, "mproc_queue_qsize: size is NULL");
  if (st == MPROC_OK)
    *size = mproc__stream_count(ctl_of(queue));
  return st;
}

int mproc_queue_empty(const mproc_queue *queue) {
  return !queue || queue->obj.live != MPROC__OBJ_LIVE || mproc__stream_count(ctl_of(queue)) == 0;
}

int mproc_queue_full(const mproc_queue *queue) {
  const mproc__stream_ctl *c;
  if (!queue || queue->obj.live != MPROC__OBJ_LIVE)
    return 0;
  c = ctl_of(queue);
  return c->maxsize && mproc__stream_count(c) >= c->maxsize;
}

int mproc__queue_ready(const mproc_queue *q) { return mproc__stream_ready(&q->s); }
int mproc__queue_wait_ready(mproc_queue *q, int64_t deadline) {
  return mproc__stream_wait_ready(&q->s, deadline);
}

mproc_status mproc_queue_shutdown(mproc_queue *queue) {
  mproc_status st = check(queue, "mproc_queue_shutdown");
  if (st == MPROC_OK)
    mproc__stream_shutdown(&queue->s);
  return st;
}

static mproc_status check_joinable(const mproc_queue *q, const char *fn) {
  mproc_status st = check(q, fn);
  if (st == MPROC_OK && !(mproc__obj_flags(&q->obj) & QUEUE_JOINABLE))
    st = mproc__fail(MPROC_EINVAL, "%s: %s is not a joinable queue", fn, q->obj.name);
  return st;
}

mproc_status mproc_queue_task_done(mproc_queue *queue) {
  mproc_status st = check_joinable(queue, "mproc_queue_task_done");
  return st != MPROC_OK ? st : mproc__stream_task_done(&queue->s, "mproc_queue_task_done");
}

mproc_status mproc_queue_join(mproc_queue *queue, int64_t timeout_ms) {
  mproc_status st = check_joinable(queue, "mproc_queue_join");
  if (st == MPROC_OK && mproc__stream_join(&queue->s, mproc__deadline(timeout_ms)) != MPROC_OK)
    st = mproc__fail(MPROC_ETIMEDOUT,
                     "mproc_queue_join: %u message(s) still unfinished after %lld ms",
                     mproc__stream_unfinished(ctl_of(queue)), (long long)timeout_ms);
  return st;
}

mproc_status mproc_queue_unfinished(const mproc_queue *queue, size_t *n) {
  mproc_status st = check_joinable(queue, "mproc_queue_unfinished");
  if (st == MPROC_OK && !n)
    st = mproc__fail(MPROC_EINVAL, "mproc_queue_unfinished: n is NULL");
  if (st == MPROC_OK)
    *n = mproc__stream_unfinished(ctl_of(queue));
  return st;
}

/* The stream's mappings go first: the object's release frees the handle
 * (a release the object refuses, by the creator rule, leaves them). */
static mproc_status release(mproc_queue *q, int destroy, const char *fn) {
  mproc_status st = check(q, fn);
  if (st != MPROC_OK)
    return st;
  if (destroy == q->obj.creator)
    mproc__stream_detach(&q->s);
  return destroy ? mproc__obj_destroy(&q->obj, MPROC__KIND_QUEUE, fn)
                 : mproc__obj_close(&q->obj, MPROC__KIND_QUEUE, fn);
}

mproc_status mproc_queue_close(mproc_queue *queue) {
  return release(queue, 0, "mproc_queue_close");
}

mproc_status mproc_queue_destroy(mproc_queue *queue) {
  return release(queue, 1, "mproc_queue_destroy");
}
