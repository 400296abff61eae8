/*
 * RESULT: the worker writes it, the parent reads it; see result.h.
 */
#include "wire/result.h"

/* ---- the writer ---- */

void mproc__result_begin(mproc__result_writer *rw, mproc__buf *from, size_t hint, int64_t id) {
  mproc__writer_init_buf(&rw->w, from, hint);
  mproc__writer_i64(&rw->w, id);
  rw->calls_at = mproc__writer_i64(&rw->w, 0);
  rw->rss_at = mproc__writer_i64(&rw->w, 0); /* after the calls, which may have grown it */
  rw->plain_at = mproc__writer_i64(&rw->w, 0);
  rw->calls = rw->plain = 0;
}

void mproc__result_call(mproc__result_writer *rw, int code, const char *message,
                        const mproc_args *values) {
  size_t n = 0;
  if (values && code != MPROC__CALL_NOT_RUN)
    mproc_args_count(values, &n);
  mproc__writer_i64(&rw->w, MPROC__CALL_HEADER(n, code));
  if (code == MPROC__CALL_FAILED)
    mproc__writer_str(&rw->w, message ? message : "");
  if (n)
    mproc__writer_list(&rw->w, values, 0, n);
  rw->calls++;
}

mproc_status mproc__result_finish(mproc__result_writer *rw, int64_t rss_kib, uint8_t **buf,
                                  size_t *len) {
  mproc_status st = mproc__writer_finish(&rw->w, buf, len);
  if (st != MPROC_OK)
    return st;
  mproc__args_patch_i64(*buf, rw->calls_at, (int64_t)rw->calls);
  mproc__args_patch_i64(*buf, rw->rss_at, rss_kib);
  mproc__args_patch_i64(*buf, rw->plain_at, (int64_t)rw->plain);
  return MPROC_OK;
}

/* ---- the reader ---- */

mproc_status mproc__result_open(mproc__reader *r, const uint8_t *buf, size_t len, uint64_t want_id,
                                size_t want_calls, mproc__result_head *h) {
  h->id = h->calls = h->plain = -1;
  h->rss_kib = 0;
  if (mproc__reader_open(r, buf, len) || mproc__reader_i64(r, &h->id) ||
      mproc__reader_i64(r, &h->calls) || mproc__reader_i64(r, &h->rss_kib) ||
      mproc__reader_i64(r, &h->plain) || (uint64_t)h->id != want_id ||
      (uint64_t)h->calls != want_calls || h->plain < 0 || h->plain > h->calls ||
      (uint64_t)h->plain > r->values)
    return MPROC_EPROTO;
  return MPROC_OK;
}

mproc_status mproc__result_read_call(mproc__reader *r, mproc_args *values, mproc__call *c) {
  int64_t h = -1;
  size_t at = 0;
  int code;
  if (mproc__reader_i64(r, &h) || h < 0)
    return MPROC_EPROTO;
  code = MPROC__CALL_HEADER_CODE(h);
  if (code > MPROC__CALL_NOT_RUN || (code == MPROC__CALL_NOT_RUN && MPROC__CALL_HEADER_N(h)) ||
      MPROC__CALL_HEADER_N(h) > r->values)
    return MPROC_EPROTO;
  c->status = code == MPROC__CALL_FAILED    ? MPROC_EFAILED
              : code == MPROC__CALL_NOT_RUN ? MPROC_ECANCELED
                                            : MPROC_OK;
  c->message = code == MPROC__CALL_NOT_RUN ? "cancelled before it started" : "";
  mproc_args_count(values, &at);
  if (code == MPROC__CALL_FAILED &&
      (mproc__reader_take(r, 1, values) || mproc_args_get_str(values, at++, &c->message)))
    return MPROC_EPROTO;
  c->at = at;
  c->n = (size_t)MPROC__CALL_HEADER_N(h);
  return mproc__reader_take(r, c->n, values) ? MPROC_EPROTO : MPROC_OK;
}
