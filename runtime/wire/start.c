/*
 * START, the first frame every child reads: built by the parent's spawn
 * (process/process.c) and read by the child's bootstrap (bootstrap.c), here
 * side by side so the two cannot drift apart. The layout is in protocol.h.
 */
#include "wire/args.h"
#include "wire/protocol.h"

enum { START_FUNCTION, START_NAME, START_IDENTITY, START_DAEMON, START_PARENT, START_ARGS };

mproc_status mproc__start_encode(const mproc__start *s, uint8_t **buf, size_t *len) {
  mproc__writer w;
  mproc__writer_init(&w, 64 + s->args_len);
  mproc__writer_str(&w, s->function);
  mproc__writer_str(&w, s->name);
  mproc__writer_str(&w, s->identity);
  mproc__writer_bool(&w, s->daemon);
  mproc__writer_i64(&w, s->parent_pid);
  mproc__writer_bytes(&w, s->args, s->args_len);
  return mproc__writer_finish(&w, buf, len);
}

mproc_status mproc__start_decode(const uint8_t *buf, size_t len, mproc__start *s,
                                 mproc_args **keep) {
  const void *args;
  mproc_status st = mproc__args_decode(buf, len, keep);
  if (st != MPROC_OK)
    return st;
  s->new_group = 0;
  if (mproc_args_get_str(*keep, START_FUNCTION, &s->function) ||
      mproc_args_get_str(*keep, START_NAME, &s->name) ||
      mproc_args_get_str(*keep, START_IDENTITY, &s->identity) ||
      mproc_args_get_bool(*keep, START_DAEMON, &s->daemon) ||
      mproc_args_get_i64(*keep, START_PARENT, &s->parent_pid) ||
      mproc_args_get_bytes(*keep, START_ARGS, &args, &s->args_len) ||
      mproc_args_count(*keep, &len) || len != START_ARGS + 1) {
    mproc_args_destroy(*keep);
    *keep = NULL;
    return mproc__fail(MPROC_EPROTO, "START frame: wrong fields: %s", mproc_last_error());
  }
  s->args = args;
  return MPROC_OK;
}
