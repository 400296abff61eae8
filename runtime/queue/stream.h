/*
 * A message stream in shared memory: what a Queue is, and each direction of
 * a Pipe (queue.c, pipe.c).
 *
 * Its control block sits in its owner object's segment; its messages in
 * rings, segments named "<owner name>.<serial, base 36>". Positions count
 * 8-byte units along the whole stream (32 bits, wrapping); a ring covers the
 * positions from its `start`, wraps inside itself, and once producers move
 * to a newer ring it is sealed at `end`.
 *
 * Invariants that make a killed process harmless:
 * - Each side changes its state in one 64-bit store: producers `tail`,
 *   consumers `head`, each (messages << 32 | position). Records are written
 *   before the tail that covers them, read before the head that frees them.
 *   A producer killed before its store loses only its own messages; a
 *   consumer's leave the messages it was taking in the stream.
 * - Each side has a lock whose dead owner is detected (shared/mutex.h); the
 *   next owner repairs the only multi-step change, a ring switch, which is
 *   made in an order it can finish (see stream.c).
 * - A side commits what it has done before it switches rings, so `tail` is
 *   always inside the producers' ring and `head` inside the consumers'.
 * - Sleepers set bit 31 of the word they sleep on before their last check,
 *   and the other side clears it and wakes them after its store: no lost
 *   wake-up, and a sleeper that died leaves at most one useless wake.
 */
#ifndef MPROC_QUEUE_STREAM_H
#define MPROC_QUEUE_STREAM_H

#include "core/spin.h"
#include "mproc/queue.h"
#include "shared/mutex.h"
#include "shared/object.h"

/* One cache line per word group by who writes it and who reads it: a
 * producer's lock stays in its CPU's cache while a consumer polls the
 * tail, and the reverse. */
#define MPROC__LINE 64
typedef struct mproc__stream_ctl {
  mproc__mutex put_lock; /* producers only */
  uint32_t put_ring;     /* the producers' ring: log2(units) << 24 | serial */
  uint8_t pad0[MPROC__LINE - sizeof(mproc__mutex) - 4];
  uint64_t tail; /* written by producers, polled by consumers */
  uint8_t pad1[MPROC__LINE - 8];
  mproc__mutex get_lock; /* consumers only */
  uint32_t get_ring;     /* the consumers' ring, as put_ring */
  uint32_t retiring;     /* a ring left and not yet removed (see advance()); 0: none */
  uint8_t pad2[MPROC__LINE - sizeof(mproc__mutex) - 8];
  uint64_t head; /* written by consumers, read by producers when short of room */
  uint8_t pad3[MPROC__LINE - 8];
  /* read on every put and get, written when someone sleeps */
  uint32_t data_seq; /* bumped when messages arrive; bit 31: a getter sleeps */
  uint32_t room_seq; /* bumped when messages leave; bit 31: a putter sleeps */
  uint32_t maxsize;  /* 0: unbounded */
  uint32_t shift0;   /* log2 of the first ring's units: the size it shrinks back to */
  uint32_t shut;     /* 1 once shut down */
  uint32_t pad4;
  int64_t owner_pid; /* the process that keeps the rings alive (mproc__shm_pin) */
  uint8_t pad5[MPROC__LINE - 32];
  uint32_t done;     /* task_done calls (JoinableQueue), modulo 2^32 */
  uint32_t join_seq; /* bumped when nothing is unfinished; bit 31: a joiner sleeps */
} mproc__stream_ctl;

/* A process's mapping of one ring. */
typedef struct mproc__ring_map {
  uint32_t id; /* as put_ring; 0: none mapped */
  mproc__shm shm;
} mproc__ring_map;

/* A process's handle on a stream. */
typedef struct mproc__stream {
  mproc__obj *owner; /* the object whose segment holds ctl (wakes go through it) */
  mproc__stream_ctl *ctl;
  mproc__ring_map put_map, get_map;
  uint64_t head_seen; /* a lower bound of the consumers' word (put lock held) */
  /* A tail this handle saw: some thread's last look, so a lower bound of the
   * tail. Atomic: a get looks at it before it locks (threads may share a
   * handle); a reader takes one snapshot, since another thread may store an
   * older look meanwhile. */
  uint64_t tail_seen;
  mproc__buf scratch;    /* a message copied out of the ring */
  uint32_t spin_last_us; /* a getter's last wait (core/spin.h) */
  uint32_t shrink_probe; /* puts since the head was looked at (put lock held) */
} mproc__stream;

/* A message as put: an encoded list (ARGS) or raw bytes (RAW). */
enum { MPROC__MSG_ARGS = 1, MPROC__MSG_RAW = 2 };
typedef struct mproc__msg {
  int type;
  const mproc_args *args; /* ARGS */
  const void *data;       /* RAW */
  size_t size;            /* RAW */
} mproc__msg;

#define MPROC__RING_MIN_SHIFT 9  /* 512 units: 4 KiB */
#define MPROC__RING_MAX_SHIFT 27 /* 2^27 units: 1 GiB */

/* Creator: initialises @ctl (in @owner's zeroed state) and makes the first
 * ring of 2^shift units. */
mproc_status mproc__stream_init(mproc__stream *s, mproc__obj *owner, mproc__stream_ctl *ctl,
                                uint32_t maxsize, uint32_t shift);
/* Opener: a handle on an existing stream. */
void mproc__stream_attach(mproc__stream *s, mproc__obj *owner, mproc__stream_ctl *ctl);
/* Unmaps what the handle maps. */
void mproc__stream_detach(mproc__stream *s);
/* Removes the names of every ring the stream may have (its owner's destroy). */
void mproc__stream_unlink(const char *owner_name, const mproc__stream_ctl *ctl);

/* Puts @n messages, waiting for room until @deadline (mproc__deadline());
 * *put gets how many. MPROC_OK, MPROC_EFULL, MPROC_ECLOSED (shut down), an OS
 * status (a ring could not be made). */
mproc_status mproc__stream_put(mproc__stream *s, const mproc__msg *msgs, size_t n, int64_t deadline,
                               size_t *put, const char *fn);

/* Takes up to @n messages (waiting until @deadline for the first) into
 * @into: MPROC__MSG_ARGS records decode into into[i]; a RAW one becomes one
 * BYTES value. With @raw (pipes' recv_bytes, n == 1) the one message is
 * copied into raw->buf instead, if it is RAW and fits. *got: how many.
 * MPROC_OK, MPROC_EEMPTY, MPROC_ECLOSED (shut down and drained),
 * MPROC_EPROTO (one garbled message, dropped), MPROC_ERANGE / MPROC_ETYPE
 * (raw: left in place). */
typedef struct mproc__raw_out {
  void *buf;
  size_t cap;
  size_t size; /* the message's size, also on MPROC_ERANGE */
} mproc__raw_out;
mproc_status mproc__stream_get(mproc__stream *s, mproc_args *const *into, size_t n,
                               mproc__raw_out *raw, int64_t deadline, size_t *got, const char *fn);

/* Waits until a get would not wait, or @deadline: 1 ready, 0 not. */
int mproc__stream_wait_ready(mproc__stream *s, int64_t deadline);
/* Non-zero when a get would not wait (a message, or shut down). */
int mproc__stream_ready(const mproc__stream *s);
uint32_t mproc__stream_count(const mproc__stream_ctl *ctl);
void mproc__stream_shutdown(mproc__stream *s);
/* JoinableQueue's counts (see mproc/queue.h). */
mproc_status mproc__stream_task_done(mproc__stream *s, const char *fn);
uint32_t mproc__stream_unfinished(const mproc__stream_ctl *ctl);
mproc_status mproc__stream_join(mproc__stream *s, int64_t deadline);
/* Wakes every sleeper of the stream (a pipe's end closed: receivers re-check). */
void mproc__stream_wake_all(mproc__stream *s);

/* Readiness for mproc_wait() (queue.c, pipe.c): whether a get or a
 * receive would not wait. */
int mproc__queue_ready(const mproc_queue *q);
int mproc__conn_ready(mproc_conn *c);
/* Waits until ready or @deadline: 1 ready, 0 not. */
int mproc__queue_wait_ready(mproc_queue *q, int64_t deadline);

/*
 * Test hook: a process whose mproc__stream_die_at is one of these ends at
 * once (as a SIGKILL would: no unlock, no atexit) when it reaches that step.
 */
enum {
  MPROC__DIE_NONE = 0,
  MPROC__DIE_PUT_LOCKED,     /* holds the put lock, wrote nothing */
  MPROC__DIE_PUT_WRITTEN,    /* wrote its records, before the tail store */
  MPROC__DIE_PUT_COMMITTED,  /* stored the tail, still holds the lock */
  MPROC__DIE_GET_LOCKED,     /* holds the get lock, read nothing */
  MPROC__DIE_GET_READ,       /* copied its message out, before the head store */
  MPROC__DIE_GET_COMMITTED,  /* stored the head, still holds the lock */
  MPROC__DIE_SWITCH_CREATED, /* made a new ring, before sealing the old */
  MPROC__DIE_SWITCH_SEALED,  /* sealed the old ring, before moving to the new */
  MPROC__DIE_ADVANCE_MOVED,  /* a consumer moved to the next ring, before unlinking the old */
  MPROC__DIE_END
};
extern int mproc__stream_die_at;

#endif
