/*
 * RESULT, a pool worker's answer to a TASK (layout in protocol.h): the
 * worker's writer and the parent's reader, side by side in result.c so that
 * the two cannot drift apart. The reader trusts nothing: a worker is another
 * process, and a bad RESULT is that worker's fault, never the parent's crash.
 */
#ifndef MPROC_RESULT_H
#define MPROC_RESULT_H

#include "wire/args.h"
#include "wire/protocol.h"

/* One call's outcome: its values are [at, at + n) of a values list. */
typedef struct mproc__call {
  mproc_status status; /* MPROC_OK, MPROC_EFAILED, MPROC_ECANCELED (not run) */
  size_t at, n;
  const char *message; /* in the values list, or static text */
} mproc__call;

/* ---- the writer (a pool worker) ---- */
typedef struct mproc__result_writer {
  mproc__writer w;
  size_t calls_at, rss_at, plain_at; /* where the header's counts go */
  size_t calls, plain;
} mproc__result_writer;

/* Starts the RESULT of task @id in @from's memory (see mproc__writer_init_buf). */
void mproc__result_begin(mproc__result_writer *rw, mproc__buf *from, size_t hint, int64_t id);
/* Records a call that returned @values with the short form (its one value)
 * while every call so far did: 1; else 0, writing nothing. Inline: it is
 * on a map's per-call path. */
static inline int mproc__result_plain(mproc__result_writer *rw, const mproc_args *values) {
  if (rw->plain != rw->calls || !mproc__writer_one(&rw->w, values))
    return 0;
  rw->plain++;
  rw->calls++;
  return 1;
}
/* Records a call in full: @code (MPROC__CALL_*), its @message if it failed,
 * its @values (NULL: none). */
void mproc__result_call(mproc__result_writer *rw, int code, const char *message,
                        const mproc_args *values);
/* Finishes the RESULT into *buf (the writer's memory): MPROC_ERANGE over the
 * size limits, MPROC_ENOMEM. */
mproc_status mproc__result_finish(mproc__result_writer *rw, int64_t rss_kib, uint8_t **buf,
                                  size_t *len);

/* ---- the reader (the parent) ---- */
typedef struct mproc__result_head {
  int64_t id, calls, rss_kib, plain;
} mproc__result_head;

/* Opens a RESULT and reads its header, checked for @want_id and @want_calls:
 * MPROC_EPROTO otherwise. Then the first h->plain calls' values follow
 * (mproc__reader_take), then mproc__result_read_call() for each other call,
 * then mproc__reader_end(). */
mproc_status mproc__result_open(mproc__reader *r, const uint8_t *buf, size_t len, uint64_t want_id,
                                size_t want_calls, mproc__result_head *h);
/* Reads one call's record into @c, its message and values appended to
 * @values: MPROC_EPROTO when it is malformed or claims more than is left. */
mproc_status mproc__result_read_call(mproc__reader *r, mproc_args *values, mproc__call *c);

#endif /* MPROC_RESULT_H */
