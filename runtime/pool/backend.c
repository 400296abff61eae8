/*
 * A pool's workers as processes: spawned, signalled, reaped and released by
 * the pool itself, or by its backend (mproc/backend.h). The rest of the pool
 * calls these and never asks which: a backend's worker is a channel whose
 * handles the start hook gave, and an id that is no local pid (nothing is
 * swept for it here: its host sweeps what it reaps).
 *
 * Also the backend's streams: one end for the pool, one for the backend.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mproc/backend.h"
#include "pool/pool.h"
#include "process/process.h"
#include "shared/object.h" /* mproc__sweep */

mproc_status mproc__worker_spawn(mproc_pool *p, mproc__worker *w, const mproc__start *spec,
                                 mproc__proc *proc) {
  uint8_t *start = NULL;
  size_t len = 0;
  intptr_t rd = MPROC__NO_HANDLE, wr = MPROC__NO_HANDLE;
  int64_t id = 0;
  mproc_status st;
  memset(proc, 0, sizeof *proc);
  if (!p->backend)
    return mproc__child_start(proc, spec);
  if ((st = mproc__start_encode(spec, &start, &len)) != MPROC_OK)
    return st;
  st = p->backend->start(p->backend_state, w->index, start, len, &rd, &wr, &id);
  free(start);
  proc->handle = MPROC__NO_HANDLE;
  proc->chan.rd = rd;
  proc->chan.wr = wr;
  if (st != MPROC_OK) { /* handles the hook gave before it failed are the pool's too */
    mproc__chan_close(&proc->chan);
    return st;
  }
  proc->pid = id;
  /* A worker starts with its flag cleared: one that starts while the pool
   * is cancelled is told so (a local one would open the pool's, set). */
  if (mproc_event_is_set(p->cancel))
    p->backend->cancel(p->backend_state, 1);
  return MPROC_OK;
}

void mproc__worker_signal(mproc__worker *w, int force) {
  mproc_pool *p = w->pool;
  if (!p->backend)
    mproc__proc_signal(&w->proc, force);
  else if (!w->proc.exited)
    p->backend->signal(p->backend_state, w->proc.pid, force);
}

mproc_status mproc__worker_wait(mproc__worker *w, int64_t timeout_ms) {
  mproc_pool *p = w->pool;
  int code = 0;
  mproc_status st;
  if (!p->backend || w->proc.exited)
    return mproc__proc_wait(&w->proc, timeout_ms);
  st = p->backend->wait(p->backend_state, w->proc.pid, timeout_ms, &code);
  if (st == MPROC_OK) {
    w->proc.exitcode = code;
    w->proc.exited = 1;
  }
  return st;
}

void mproc__worker_release(mproc__worker *w) {
  if (w->pool->backend)
    mproc__chan_close(&w->proc.chan);
  else
    mproc__proc_release(&w->proc);
}

void mproc__worker_sweep(mproc__worker *w) {
  if (!w->pool->backend && w->proc.exitcode != 0)
    mproc__sweep(w->proc.pid);
}

void mproc__pool_cancel_flag(mproc_pool *p, int on) {
  /* A backend hears of changes only: a cancel that each of many workers'
   * CANCEL frames repeats would otherwise cross to every host each time. */
  int changed = (mproc_event_is_set(p->cancel) != 0) != (on != 0);
  if (on)
    mproc_event_set(p->cancel);
  else
    mproc_event_clear(p->cancel);
  if (p->backend && changed)
    p->backend->cancel(p->backend_state, on);
}

mproc_status mproc_backend_fail(mproc_status status, const char *format, ...) {
  char msg[512];
  va_list ap;
  if (!format)
    return mproc__fail(status, "(a backend failed without a message)");
  va_start(ap, format);
  vsnprintf(msg, sizeof msg, format, ap);
  va_end(ap);
  return mproc__fail(status, "%s", msg);
}

static mproc_status check_backend(const mproc_backend *b) {
  size_t i;
  if (!b->name || !b->start || !b->signal || !b->wait || !b->cancel || !b->destroy)
    return mproc__fail(MPROC_EINVAL, "mproc_pool_create_with: backend %s has no %s hook",
                       b->name ? b->name : "(unnamed)",
                       !b->name     ? "name"
                       : !b->start  ? "start"
                       : !b->signal ? "signal"
                       : !b->wait   ? "wait"
                       : !b->cancel ? "cancel"
                                    : "destroy");
  for (i = 0; i < sizeof b->reserved / sizeof b->reserved[0]; i++)
    if (b->reserved[i])
      return mproc__fail(MPROC_EINVAL, "mproc_pool_create_with: backend %s: reserved[%zu] is set",
                         b->name, i);
  return MPROC_OK;
}

mproc_status mproc_pool_create_with(mproc_pool **pool, const mproc_pool_options *options,
                                    const mproc_backend *backend, void *state) {
  mproc_status st;
  if (!pool || !backend)
    return mproc__pool_bad("mproc_pool_create_with", !pool ? "pool" : "backend");
  if ((st = check_backend(backend)) != MPROC_OK)
    return st;
  return mproc__pool_create(pool, options, backend, state, "mproc_pool_create_with");
}

/* ---- streams ---- */

struct mproc_backend_stream {
  mproc__chan chan;
};

mproc_status mproc_backend_stream_create(mproc_backend_stream **stream, intptr_t *pool_rd,
                                         intptr_t *pool_wr) {
  mproc__chan pool_end = MPROC__CHAN_INIT;
  mproc_backend_stream *s;
  mproc_status st;
  if (!stream || !pool_rd || !pool_wr)
    return mproc__pool_bad("mproc_backend_stream_create", !stream    ? "stream"
                                                          : !pool_rd ? "pool_rd"
                                                                     : "pool_wr");
  if ((s = malloc(sizeof *s)) == NULL)
    return mproc__fail(MPROC_ENOMEM, "mproc_backend_stream_create: out of memory");
  if ((st = mproc__chan_pair(&pool_end, &s->chan)) != MPROC_OK) {
    free(s);
    return st;
  }
  *pool_rd = pool_end.rd;
  *pool_wr = pool_end.wr;
  *stream = s;
  return MPROC_OK;
}

mproc_status mproc_backend_stream_read(mproc_backend_stream *stream, void *buf, size_t n,
                                       size_t *got) {
  if (!stream || !buf || !got)
    return mproc__pool_bad("mproc_backend_stream_read", !stream ? "stream" : !buf ? "buf" : "got");
  return mproc__chan_read(&stream->chan, buf, n, got);
}

mproc_status mproc_backend_stream_write(mproc_backend_stream *stream, const void *buf, size_t n) {
  if (!stream || (!buf && n))
    return mproc__pool_bad("mproc_backend_stream_write", !stream ? "stream" : "buf");
  return mproc__chan_write(&stream->chan, buf, n);
}

mproc_status mproc_backend_stream_end(mproc_backend_stream *stream) {
  if (!stream)
    return mproc__pool_bad("mproc_backend_stream_end", "stream");
  mproc__chan_close_write(&stream->chan);
  return MPROC_OK;
}

mproc_status mproc_backend_stream_destroy(mproc_backend_stream *stream) {
  if (!stream)
    return mproc__pool_bad("mproc_backend_stream_destroy", "stream");
  mproc__chan_close(&stream->chan);
  free(stream);
  return MPROC_OK;
}
