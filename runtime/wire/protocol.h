/*
 * Everything that crosses a channel between two mproc processes, in one
 * place: the bootstrap marker, every frame type and every payload's layout.
 *
 * A frame is a 12-byte header (frame.c) and a payload. Unless said otherwise
 * a payload is an encoded mproc_args list (args_codec.c), written and read
 * value by value; "[a:i64, b:str]" lists its values in order. Nothing read
 * from another process is trusted: every reader checks counts, types and
 * ranges, and a parent reading a worker's frame treats a bad one as that
 * worker's crash. Changing a layout means raising MPROC_PROTOCOL_VERSION
 * (mproc/process.h): a child refuses a parent that speaks another version.
 */
#ifndef MPROC_PROTOCOL_H
#define MPROC_PROTOCOL_H

#include <stdint.h>

#include "mproc/args.h"
#include "mproc/process.h"
#include "mproc/shared.h"

/* The bootstrap marker a child finds in argv[1]:
 * "--mproc-child=<protocol version>:<channel spec>", the spec the platform's
 * (mproc__proc_spawn, mproc__chan_attach). */
#define MPROC__MARKER_PREFIX "--mproc-child="

/* The kinds of shared object (shared/), as an object reference in an
 * mproc_args names them: [kind:u8, segment size:u64, name]. */
typedef enum mproc__kind {
  MPROC__KIND_SHM = 1,
  MPROC__KIND_ARRAY,
  MPROC__KIND_EVENT,
  MPROC__KIND_LOCK,
  MPROC__KIND_RLOCK,
  MPROC__KIND_SEM,
  MPROC__KIND_COND,
  MPROC__KIND_BARRIER,
  MPROC__KIND_QUEUE,
  MPROC__KIND_CONN,
  MPROC__KIND_END
} mproc__kind;
/* A segment starts with a header of this many bytes (shared/object.h), so
 * a reference's size is at least that, and at most that plus
 * MPROC_SHM_MAX_SIZE. */
#define MPROC__SEG_HEADER 64u

/* The exit status of a child that ended because its parent is gone (or
 * spoke nonsense to it): there is nobody left to report to. */
#define MPROC__EXIT_ORPHANED 1

/* The longest name of a shared object, its NUL included, as it crosses in
 * an mproc_args (a decoder refuses a longer one). */
#define MPROC__NAME_MAX 48

/* The largest payload a reader accepts; the header's length is checked
 * against it before anything is allocated. */
#define MPROC__FRAME_MAX (MPROC_ARGS_MAX_SIZE + 65536u)
/* Bytes a frame adds to its payload: magic "MPRC", version:u16, type:u16,
 * length:u32, little-endian. */
#define MPROC__FRAME_HEADER 12u

enum mproc__frame_type {
  /* parent -> any child, once, first: what to run. See the START layout. */
  MPROC__FRAME_START = 1,
  /* parent -> pool worker: one call or a chunk of calls. See TASK. */
  MPROC__FRAME_TASK,
  /* pool worker -> parent: a TASK's statuses and results. See RESULT. */
  MPROC__FRAME_RESULT,
  /* pool worker -> parent: the initializer failed; [message:str]. The
   * worker exits after it. */
  MPROC__FRAME_INITFAIL,
  /* parent -> pool worker: retire now; empty. */
  MPROC__FRAME_EXIT,
  /* parent -> pool worker: [the pool's claim words: an Array of i64]
   * (pool/dispatch.c says what a claim is). */
  MPROC__FRAME_CLAIMS,
  /* parent -> pool worker: [down lane: shm, up lane: shm] (pool/lane.c). */
  MPROC__FRAME_LANES,
  /* a TASK whose payload is in the worker's down lane; empty. */
  MPROC__FRAME_TASK_LANE,
  /* a RESULT whose payload is in the worker's up lane; empty. */
  MPROC__FRAME_RESULT_LANE,
  /* pool worker -> parent: a task cancelled the pool; empty. Sent when it
   * does, so the parent cancels what is queued and starts the grace at once. */
  MPROC__FRAME_CANCEL,
  /* parent -> pool worker: [its mailbox: shm] (pool/mbox.c). */
  MPROC__FRAME_MBOX,
  /* pool worker -> parent: it attached the mailbox; empty. Each side counts
   * mailbox frames from this pair of frames on. */
  MPROC__FRAME_MBOX_ACK,
  /* pool worker -> parent: its initializer ran, it takes tasks; empty. A
   * task's timeout counts from here. */
  MPROC__FRAME_READY,
  /* plain child -> parent: it ran the bootstrap and now runs its function;
   * empty. A child that exits 0 without it never ran mproc's bootstrap. */
  MPROC__FRAME_STARTED
};

/*
 * START: [function:str, name:str, identity:str, daemon:bool, parent pid:i64,
 *         args:bytes (an encoded list)]. function is a registry name, or
 * MPROC__WORKER_FN for a pool worker, whose args are the worker's START
 * arguments below. Built and read by mproc__start_encode/_decode (start.c).
 */
#define MPROC__WORKER_FN "mproc:worker" /* registry names may not start with "mproc:" */
typedef struct mproc__start {
  const char *function;
  const char *name;
  const char *identity;
  int daemon;
  int new_group; /* not sent: how the parent spawns the child */
  int64_t parent_pid;
  const uint8_t *args; /* encoded mproc_args */
  size_t args_len;
} mproc__start;

/* Encodes @s as a START payload into *buf (malloc'ed). */
mproc_status mproc__start_encode(const mproc__start *s, uint8_t **buf, size_t *len);
/* Decodes and checks a START payload into @s, whose strings and args point
 * into *keep, the decoded list the caller destroys once done with them. */
mproc_status mproc__start_decode(const uint8_t *buf, size_t len, mproc__start *s,
                                 mproc_args **keep);

/* A pool worker's START args: [initializer:str ("" for none), initargs:bytes
 * (encoded), cancel:Event, nesting depth:i64, report RSS:bool-as-i64]. */
enum {
  MPROC__WSTART_INITIALIZER,
  MPROC__WSTART_INITARGS,
  MPROC__WSTART_CANCEL,
  MPROC__WSTART_DEPTH,
  MPROC__WSTART_REPORT_RSS
};

/*
 * TASK: [id:i64, function:str, mode:i64, slot:i64, body:bytes]. body is an
 * encoded list whose shape mode gives: MPROC__TASK_CALL, the arguments of one
 * call; MPROC__TASK_ITEMS, one call per value, that value its only argument;
 * MPROC__TASK_GROUPS, per call a count:i64, then that many values, its
 * arguments. slot >= 0: a pipelined task, which the worker runs only if it
 * swaps claim word `slot` from id to 0 first (the pool may have taken it
 * back); -1: not pipelined. The id and slot are patched in place after the
 * task is built (mproc__args_patch_i64), so each is written as a full i64.
 */
enum { MPROC__TASK_CALL = 0, MPROC__TASK_ITEMS = 1, MPROC__TASK_GROUPS = 2 };
enum { MPROC__TASK_ID, MPROC__TASK_FUNCTION, MPROC__TASK_MODE, MPROC__TASK_SLOT };
#define MPROC__TASK_HEAD 4 /* values before the body */

/*
 * RESULT: [id:i64, calls:i64, rss_kib:i64, plain:i64, then the one value
 * each of the first `plain` calls returned (they succeeded), then for each
 * call after them a header:i64 (MPROC__CALL_HEADER), its message:str only if
 * it failed, then its n values]. Flat, so that a chunk of a million calls is
 * one list, not a million, and a chunk whose calls each return one value (a
 * map's usual case) is just those values. Written and read in result.c.
 */
enum {
  MPROC__CALL_OK = 0,     /* it succeeded */
  MPROC__CALL_FAILED = 1, /* it failed: a message follows */
  MPROC__CALL_NOT_RUN = 2 /* the pool was cancelled before it started; n is 0 */
};
#define MPROC__CALL_CODE_BITS 2
#define MPROC__CALL_CODE_MASK 3
/* A call's header: its n result values and its code in one i64. */
#define MPROC__CALL_HEADER(n, code) ((int64_t)(n) << MPROC__CALL_CODE_BITS | (code))
#define MPROC__CALL_HEADER_CODE(h) ((int)((h)&MPROC__CALL_CODE_MASK))
#define MPROC__CALL_HEADER_N(h) ((uint64_t)(h) >> MPROC__CALL_CODE_BITS)

#endif /* MPROC_PROTOCOL_H */
