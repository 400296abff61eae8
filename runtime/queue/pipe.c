/*
 * Pipe (mproc/queue.h): two ends, each a shared object of kind CONN whose
 * segment holds the stream of messages *to* that end and the table of the
 * processes that hold it. A handle maps its own end (to receive) and the
 * peer end (to send into the peer's stream, and to see whether the peer
 * is still held).
 *
 * An end is open while some live process holds a handle of it or has added
 * it to an mproc_args that nobody opened yet ("pending"). Each holder is a
 * slot: pid, key (its life: see shared/object.h), handles, pending. `open`
 * sums handles and pending over the slots, so that the common question
 * "is the peer held?" is one load; a holder that died is found by a full
 * look at the slots, at most every CHECK_MS per handle (and before a
 * receiver sleeps, in slices of CHECK_MS), which removes it.
 */
#include <stdlib.h>
#include <string.h>

#include "queue/stream.h"

#define CONN_RECV 1 /* the segment header's flags: what the end may do */
#define CONN_SEND 2
#define HOLDERS 16
#define CHECK_MS 100

typedef struct holder {
  int64_t pid; /* 0: a free slot */
  uint32_t handles;
  uint32_t pending;
  uint32_t has_life;
  char key[32];
} holder;

typedef struct end_state {
  mproc__stream_ctl in; /* messages to this end (when it receives) */
  mproc__mutex lock;    /* guards the slots */
  uint32_t open;        /* handles + pending over the slots */
  char peer[MPROC__NAME_MAX];
  uint64_t peer_size;
  holder holders[HOLDERS];
} end_state;

struct mproc_conn {
  mproc__obj obj;
  mproc__obj *peer; /* the other end, opened */
  mproc__stream in, out;
  uint64_t checked_ms; /* the last full look at the peer's holders (any thread's) */
};

static end_state *state_of(const mproc__obj *o) { return mproc__obj_state(o); }
static int can(const mproc_conn *c, unsigned what) { return mproc__obj_flags(&c->obj) & what; }

static void unlink_rings(const mproc__obj *o) {
  if (mproc__obj_flags(o) & CONN_RECV)
    mproc__stream_unlink(o->name, &state_of(o)->in);
}

/* ---- holders ---- */

/* Adds @handles and @pending (each 1, 0 or -1) to this process's slot of
 * @end; a @take_pending of 1 also removes one pending of any slot (an
 * open from an mproc_args). */
static mproc_status hold(mproc__obj *end, int handles, int pending, int take_pending,
                         const char *fn) {
  end_state *e = state_of(end);
  char key[MPROC__NAME_MAX];
  int has_life = 0, i, mine = -1, free_slot = -1;
  int64_t pid = mproc__self_pid();
  mproc_status st = mproc__self_key(key, &has_life, fn);
  if (st != MPROC_OK)
    return st;
  mproc__mutex_lock(end, &e->lock, MPROC_WAIT_FOREVER);
  for (i = 0; i < HOLDERS; i++) {
    holder *h = &e->holders[i];
    if (h->pid == pid && strcmp(h->key, key) == 0)
      mine = i;
    else if (!h->pid && free_slot < 0)
      free_slot = i;
    if (take_pending && h->pending && h->pid) {
      h->pending--;
      mproc__add32(&e->open, (uint32_t)-1);
      take_pending = 0;
    }
  }
  if (mine < 0 && (handles > 0 || pending > 0)) {
    if (free_slot < 0) {
      mproc__mutex_unlock(end, &e->lock, fn);
      return mproc__fail(MPROC_ERANGE, "%s: %s is held by %d processes, the most it may", fn,
                         end->name, HOLDERS);
    }
    mine = free_slot;
    memset(&e->holders[mine], 0, sizeof(holder));
    memcpy(e->holders[mine].key, key, sizeof e->holders[mine].key - 1);
    e->holders[mine].has_life = (uint32_t)has_life;
    e->holders[mine].pid = pid;
  }
  if (mine >= 0) {
    holder *h = &e->holders[mine];
    h->handles += (uint32_t)handles;
    h->pending += (uint32_t)pending;
    mproc__add32(&e->open, (uint32_t)(handles + pending));
    if (!h->handles && !h->pending)
      h->pid = 0;
  }
  mproc__mutex_unlock(end, &e->lock, fn);
  return MPROC_OK;
}

/* Removes the slots of holders that died; whether the end is still open. */
static int still_open(mproc__obj *end) {
  end_state *e = state_of(end);
  int i;
  if (mproc__load32(&e->open) == 0)
    return 0;
  mproc__mutex_lock(end, &e->lock, MPROC_WAIT_FOREVER);
  for (i = 0; i < HOLDERS; i++) {
    holder *h = &e->holders[i];
    h->key[sizeof h->key - 1] = 0;
    if (h->pid && !mproc__process_lives(h->pid, h->key, (int)h->has_life)) {
      mproc__add32(&e->open, (uint32_t)0 - (h->handles + h->pending));
      memset(h, 0, sizeof *h);
    }
  }
  mproc__mutex_unlock(end, &e->lock, "mproc_conn");
  return mproc__load32(&e->open) != 0;
}

/* Whether the peer is closed: its count says so at once; holders that died
 * are looked for at most every CHECK_MS. */
static int peer_closed(mproc_conn *c) {
  uint64_t t;
  if (mproc__load32(&state_of(c->peer)->open) == 0)
    return 1;
  t = (uint64_t)mproc__now_ms();
  if (t - mproc__load64(&c->checked_ms) < CHECK_MS)
    return 0;
  mproc__store64(&c->checked_ms, t);
  return !still_open(c->peer);
}

/* ---- making and opening ends ---- */

static mproc_status new_end(mproc_conn **out, unsigned flags, const char *fn) {
  mproc_status st = mproc__obj_new((mproc__obj **)out, sizeof **out, MPROC__KIND_CONN,
                                   sizeof(end_state), (uint8_t)flags, fn);
  if (st != MPROC_OK)
    return st;
  (*out)->obj.unlink_more = unlink_rings;
  if (flags & CONN_RECV)
    st = mproc__stream_init(&(*out)->in, &(*out)->obj, &state_of(&(*out)->obj)->in, 0,
                            MPROC__RING_MIN_SHIFT + 3);
  if (st == MPROC_OK)
    st = hold(&(*out)->obj, 1, 0, 0, fn);
  return st;
}

/* Maps the peer end named in @c's state, and the stream into it. */
static mproc_status open_peer(mproc_conn *c, const char *fn) {
  end_state *e = state_of(&c->obj);
  char name[MPROC__NAME_MAX];
  mproc_status st;
  memcpy(name, e->peer, sizeof name);
  name[sizeof name - 1] = 0;
  st = mproc__obj_open_new(&c->peer, sizeof(mproc__obj), MPROC__KIND_CONN, name, e->peer_size,
                           sizeof(end_state), fn);
  if (st != MPROC_OK)
    return st;
  c->peer->unlink_more = unlink_rings;
  if (can(c, CONN_SEND))
    mproc__stream_attach(&c->out, c->peer, &state_of(c->peer)->in);
  return MPROC_OK;
}

static void link_to(mproc_conn *c, const mproc_conn *peer) {
  end_state *e = state_of(&c->obj);
  memcpy(e->peer, peer->obj.name, sizeof e->peer);
  e->peer_size = mproc__obj_header(&peer->obj)->size;
}

/* Releases what a handle holds; with @unlink the names too. */
static void drop(mproc_conn *c, int unlink, const char *fn) {
  mproc__stream_detach(&c->in);
  mproc__stream_detach(&c->out);
  if (c->peer)
    mproc__obj_release(c->peer, MPROC__KIND_CONN, unlink, fn);
  c->peer = NULL;
  mproc__obj_release(&c->obj, MPROC__KIND_CONN, unlink, fn);
}

mproc_status mproc_pipe_create(mproc_conn **a, mproc_conn **b, int duplex) {
  static const char fn[] = "mproc_pipe_create";
  mproc_conn *x = NULL, *y = NULL;
  mproc_status st;
  if (!a || !b)
    return mproc__fail(MPROC_EINVAL, "%s: NULL argument", fn);
  st = new_end(&x, duplex ? CONN_RECV | CONN_SEND : CONN_RECV, fn);
  if (st == MPROC_OK)
    st = new_end(&y, duplex ? CONN_RECV | CONN_SEND : CONN_SEND, fn);
  if (st == MPROC_OK) {
    link_to(x, y);
    link_to(y, x);
    mproc__obj_publish(&x->obj);
    mproc__obj_publish(&y->obj);
    st = open_peer(x, fn);
  }
  if (st == MPROC_OK)
    st = open_peer(y, fn);
  if (st != MPROC_OK) {
    if (x)
      drop(x, 1, fn);
    if (y)
      drop(y, 1, fn);
    return st;
  }
  *a = x;
  *b = y;
  return MPROC_OK;
}

static mproc_status open_conn(mproc_conn **conn, const char *name, uint64_t size) {
  static const char fn[] = "mproc_args_open_conn";
  mproc_conn *c = NULL;
  mproc_status st = mproc__obj_open_new((mproc__obj **)&c, sizeof *c, MPROC__KIND_CONN, name, size,
                                        sizeof(end_state), fn);
  if (st != MPROC_OK)
    return st;
  c->obj.unlink_more = unlink_rings;
  if (can(c, CONN_RECV))
    mproc__stream_attach(&c->in, &c->obj, &state_of(&c->obj)->in);
  st = open_peer(c, fn);
  if (st == MPROC_OK)
    st = hold(&c->obj, 1, 0, 1, fn);
  if (st != MPROC_OK) {
    drop(c, 0, fn);
    return st;
  }
  *conn = c;
  return MPROC_OK;
}

mproc_status mproc_args_add_conn(mproc_args *args, const mproc_conn *conn) {
  static const char fn[] = "mproc_args_add_conn";
  mproc_status st = mproc__obj_registered((const mproc__obj *)conn, MPROC__KIND_CONN, fn);
  if (st == MPROC_OK)
    st = mproc__obj_add_to(args, &conn->obj, fn);
  if (st == MPROC_OK)
    st = hold((mproc__obj *)&conn->obj, 0, 1, 0, fn);
  return st;
}

mproc_status mproc_args_open_conn(const mproc_args *args, size_t index, mproc_conn **conn) {
  const char *name;
  uint64_t size;
  mproc_status st;
  if (!conn)
    return mproc__fail(MPROC_EINVAL, "mproc_args_open_conn: conn is NULL");
  st = mproc__args_get_object(args, index, MPROC__KIND_CONN, &name, &size, "mproc_args_open_conn");
  return st != MPROC_OK ? st : open_conn(conn, name, size);
}

MPROC__DEFINE_ARGS_GETTER(conn, MPROC__KIND_CONN)

/* A pipe's names go with their creator, as every object's: an end its
 * creator closes while the pipe lives on is kept registered (mapped, with
 * no handle) until both ends are closed here or the creator exits. */
typedef struct keeper {
  mproc__obj *obj;
  struct keeper *next;
} keeper;
static keeper *keepers; /* under mproc__lock() */

static void keep(const mproc_conn *c, const char *fn) {
  keeper *k = calloc(1, sizeof *k);
  if (!k ||
      mproc__obj_open_new(&k->obj, sizeof(mproc__obj), MPROC__KIND_CONN, c->obj.name,
                          mproc__obj_header(&c->obj)->size, sizeof(end_state), fn) != MPROC_OK) {
    free(k);
    return;
  }
  k->obj->creator = 1;
  k->obj->unlink_more = unlink_rings;
  mproc__lock();
  k->next = keepers;
  keepers = k;
  mproc__unlock();
}

/* Releases the keepers of @a and @b (both ends are closed: names gone). */
static void unkeep(const char *a, const char *b, const char *fn) {
  keeper **p, *gone = NULL;
  mproc__lock();
  for (p = &keepers; *p;) {
    keeper *k = *p;
    if (strcmp(k->obj->name, a) == 0 || strcmp(k->obj->name, b) == 0) {
      *p = k->next;
      k->next = gone;
      gone = k;
    } else {
      p = &k->next;
    }
  }
  mproc__unlock();
  while (gone) {
    keeper *k = gone;
    gone = k->next;
    mproc__obj_release(k->obj, MPROC__KIND_CONN, 1, fn);
    free(k);
  }
}

mproc_status mproc_conn_close(mproc_conn *conn) {
  static const char fn[] = "mproc_conn_close";
  mproc_status st = mproc__obj_check((mproc__obj *)conn, MPROC__KIND_CONN, fn);
  int both_closed;
  if (st != MPROC_OK)
    return st;
  hold(&conn->obj, -1, 0, 0, fn);
  both_closed = !still_open(&conn->obj) && !still_open(conn->peer);
  if (can(conn, CONN_SEND))
    mproc__stream_wake_all(&conn->out); /* the peer's receivers see the end */
  if (both_closed)
    unkeep(conn->obj.name, conn->peer->name, fn);
  else if (conn->obj.creator)
    keep(conn, fn);
  drop(conn, both_closed, fn);
  return MPROC_OK;
}

/* ---- sending and receiving ---- */

static mproc_status check(mproc_conn *c, unsigned what, const char *fn) {
  mproc_status st = mproc__obj_check((mproc__obj *)c, MPROC__KIND_CONN, fn);
  if (st == MPROC_OK && !can(c, what))
    st = mproc__fail(MPROC_ESTATE, "%s: this end only %s", fn,
                     what == CONN_SEND ? "receives" : "sends");
  return st;
}

static mproc_status send_msg(mproc_conn *c, const mproc__msg *m, const char *fn) {
  mproc_status st = check(c, CONN_SEND, fn);
  size_t put = 0;
  if (st != MPROC_OK)
    return st;
  if (peer_closed(c))
    return mproc__fail(MPROC_ECLOSED, "%s: the other end is closed", fn);
  return mproc__stream_put(&c->out, m, 1, -1, &put, fn);
}

mproc_status mproc_conn_send(mproc_conn *conn, const mproc_args *message) {
  mproc__msg m;
  if (!message)
    return mproc__fail(MPROC_EINVAL, "mproc_conn_send: message is NULL");
  memset(&m, 0, sizeof m);
  m.type = MPROC__MSG_ARGS;
  m.args = message;
  return send_msg(conn, &m, "mproc_conn_send");
}

mproc_status mproc_conn_send_packed(mproc_conn *conn, const char *format, ...) {
  static const char fn[] = "mproc_conn_send_packed";
  mproc__msg m;
  mproc_args *a = NULL;
  va_list ap;
  mproc_status st = check(conn, CONN_SEND, fn); /* before packing: the message is for nothing */
  if (st != MPROC_OK)
    return st;
  va_start(ap, format);
  st = mproc__args_create_packedv(&a, format, ap, fn);
  va_end(ap);
  if (st != MPROC_OK)
    return st;
  memset(&m, 0, sizeof m);
  m.type = MPROC__MSG_ARGS;
  m.args = a;
  st = send_msg(conn, &m, fn);
  mproc_args_destroy(a);
  return st;
}

mproc_status mproc_conn_send_bytes(mproc_conn *conn, const void *data, size_t size) {
  mproc__msg m;
  if (!data && size)
    return mproc__fail(MPROC_EINVAL, "mproc_conn_send_bytes: data is NULL");
  if (size > MPROC_CONN_MAX_BYTES)
    return mproc__fail(MPROC_ERANGE,
                       "mproc_conn_send_bytes: %zu bytes is over MPROC_CONN_MAX_BYTES", size);
  memset(&m, 0, sizeof m);
  m.type = MPROC__MSG_RAW;
  m.data = data;
  m.size = size;
  return send_msg(conn, &m, "mproc_conn_send_bytes");
}

/* Receives one message (into @into, or @raw), waiting until @deadline; the
 * peer's end is looked at before each sleep, which lasts CHECK_MS at most. */
static mproc_status receive(mproc_conn *c, mproc_args *into, mproc__raw_out *raw,
                            int64_t timeout_ms, const char *fn) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = check(c, CONN_RECV, fn);
  while (st == MPROC_OK) {
    size_t got = 0;
    int64_t left;
    st = mproc__stream_get(&c->in, &into, 1, raw, 0, &got, fn);
    if (st != MPROC_EEMPTY)
      return st;
    if (peer_closed(c)) {
      st = mproc__stream_get(&c->in, &into, 1, raw, 0, &got, fn);
      return st != MPROC_EEMPTY ? st
                                : mproc__fail(MPROC_ECLOSED, "%s: the other end is closed", fn);
    }
    left = mproc__remaining(deadline);
    if (left == 0)
      return mproc__fail(MPROC_ETIMEDOUT, "%s: nothing within %lld ms", fn, (long long)timeout_ms);
    mproc__stream_wait_ready(&c->in,
                             mproc__deadline(left < 0 || left > CHECK_MS ? CHECK_MS : left));
    st = MPROC_OK;
  }
  return st;
}

mproc_status mproc_conn_recv(mproc_conn *conn, mproc_args *message, int64_t timeout_ms) {
  if (!message)
    return mproc__fail(MPROC_EINVAL, "mproc_conn_recv: message is NULL");
  return receive(conn, message, NULL, timeout_ms, "mproc_conn_recv");
}

mproc_status mproc_conn_recv_bytes(mproc_conn *conn, void *buf, size_t cap, size_t *size,
                                   int64_t timeout_ms) {
  mproc__raw_out raw;
  mproc_status st;
  if (!size)
    return mproc__fail(MPROC_EINVAL, "mproc_conn_recv_bytes: size is NULL");
  raw.buf = buf;
  raw.cap = buf ? cap : 0;
  raw.size = 0;
  st = receive(conn, NULL, &raw, timeout_ms, "mproc_conn_recv_bytes");
  *size = raw.size;
  return st;
}

int mproc__conn_ready(mproc_conn *c) { return mproc__stream_ready(&c->in) || peer_closed(c); }

mproc_status mproc_conn_poll(mproc_conn *conn, int64_t timeout_ms, int *ready) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = check(conn, CONN_RECV, "mproc_conn_poll");
  if (st == MPROC_OK && !ready)
    st = mproc__fail(MPROC_EINVAL, "mproc_conn_poll: ready is NULL");
  if (st != MPROC_OK)
    return st;
  for (;;) {
    int64_t left;
    *ready = mproc__conn_ready(conn);
    left = mproc__remaining(deadline);
    if (*ready || left == 0)
      return MPROC_OK;
    mproc__stream_wait_ready(&conn->in,
                             mproc__deadline(left < 0 || left > CHECK_MS ? CHECK_MS : left));
  }
}
