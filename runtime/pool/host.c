/*
 * The host side of a pool backend (mproc/backend.h): a worker started here
 * for a pool that runs elsewhere, from the START the pool gave its backend.
 *
 * The START names the pool's cancellation Event, which need not exist on
 * this machine: the host gives the worker an Event of its own instead (the
 * START's arguments re-encoded with it), which mproc_host_worker_cancel()
 * sets when the backend relays the pool's flag. So too, when the backend
 * asks, for the Events in the initargs (crossing.c): the backend mirrors
 * each with the pool's. Everything else of the START (the initializer, the
 * rest of its arguments, the worker's name) is the pool's.
 */
#include <stdlib.h>
#include <string.h>

#include "mproc/backend.h"
#include "pool/pool.h"
#include "process/process.h"
#include "shared/object.h" /* mproc__sweep */
#include "wire/args.h"

struct mproc_host_worker {
  mproc__proc proc;
  mproc_event *cancel;
};

static mproc_status bad(const char *fn, const char *what) {
  return mproc__fail(MPROC_EINVAL, "%s: %s is NULL", fn, what);
}

/* The worker's START arguments (protocol.h's MPROC__WSTART_*) for this
 * host, encoded into *out: @cancel in place of the pool's Event and, with
 * options->event, the initargs' Events replaced by the host's stand-ins. */
static mproc_status host_args(const mproc__start *spec, mproc_event *cancel,
                              const mproc_host_options *options, uint8_t **out, size_t *len) {
  mproc_args *in = NULL, *args = NULL;
  size_t n = 0, init_len = 0;
  const char *name;
  const void *init = NULL;
  uint8_t *rebuilt = NULL;
  uint64_t size;
  mproc_status st = mproc__args_decode(spec->args, spec->args_len, &in);
  if (st == MPROC_OK)
    mproc_args_count(in, &n);
  if (st == MPROC_OK && (n <= MPROC__WSTART_REPORT_RSS ||
                         mproc_args_get_bytes(in, MPROC__WSTART_INITARGS, &init, &init_len) ||
                         mproc__args_get_object(in, MPROC__WSTART_CANCEL, MPROC__KIND_EVENT, &name,
                                                &size, "mproc_host_worker_start") != MPROC_OK))
    st = mproc__fail(MPROC_EPROTO, "mproc_host_worker_start: not a pool worker's arguments");
  if (st == MPROC_OK && options && options->event && init_len &&
      (st = mproc__host_initargs(init, init_len, options, &rebuilt, &init_len)) == MPROC_OK)
    init = rebuilt;
  if (st == MPROC_OK && (st = mproc_args_create(&args)) == MPROC_OK &&
      (st = mproc__args_append(args, in, 0, MPROC__WSTART_INITARGS)) == MPROC_OK &&
      (st = mproc_args_add_bytes(args, init, init_len)) == MPROC_OK &&
      (st = mproc_args_add_event(args, cancel)) == MPROC_OK &&
      (st = mproc__args_append(args, in, MPROC__WSTART_CANCEL + 1, n - MPROC__WSTART_CANCEL - 1)) ==
          MPROC_OK)
    st = mproc__args_encode(args, out, len);
  free(rebuilt);
  if (args)
    mproc_args_destroy(args);
  if (in)
    mproc_args_destroy(in);
  return st;
}

/* Decodes @start, checks it is a pool worker's, and starts it in @w. */
static mproc_status spawn(mproc_host_worker *w, const void *start, size_t len,
                          const mproc_host_options *options) {
  mproc__start spec;
  mproc_args *keep = NULL;
  uint8_t *args = NULL;
  size_t args_len = 0;
  mproc_status st = mproc__start_decode((const uint8_t *)start, len, &spec, &keep);
  if (st == MPROC_OK && strcmp(spec.function, MPROC__WORKER_FN) != 0)
    st = mproc__fail(MPROC_EPROTO, "mproc_host_worker_start: the START is not a pool worker's");
  if (st == MPROC_OK && (st = host_args(&spec, w->cancel, options, &args, &args_len)) == MPROC_OK) {
    spec.args = args;
    spec.args_len = args_len;
    spec.new_group = 1; /* as the pool's own: a terminal's Ctrl-C goes to the host */
    st = mproc__child_start(&w->proc, &spec);
  }
  free(args);
  if (keep)
    mproc_args_destroy(keep);
  return st;
}

mproc_status mproc_host_worker_start(mproc_host_worker **worker, const void *start, size_t len,
                                     const mproc_host_options *options) {
  mproc_host_worker *w;
  mproc_status st;
  size_t i;
  if (!worker || !start)
    return bad("mproc_host_worker_start", !worker ? "worker" : "start");
  for (i = 0; options && i < sizeof options->reserved / sizeof options->reserved[0]; i++)
    if (options->reserved[i])
      return mproc__fail(MPROC_EINVAL, "mproc_host_worker_start: options->reserved[%zu] is set", i);
  if (!mproc__is_initialized())
    return mproc__fail(MPROC_ENOTINIT, "mproc_host_worker_start: call mproc_init() first");
  if ((w = calloc(1, sizeof *w)) == NULL)
    return mproc__fail(MPROC_ENOMEM, "mproc_host_worker_start: out of memory");
  if ((st = mproc_event_create(&w->cancel)) == MPROC_OK &&
      (st = spawn(w, start, len, options)) == MPROC_OK) {
    *worker = w;
    return MPROC_OK;
  }
  if (w->cancel)
    mproc_event_destroy(w->cancel);
  free(w);
  return st;
}

mproc_status mproc_host_worker_read(mproc_host_worker *worker, void *buf, size_t n, size_t *got) {
  if (!worker || !buf || !got)
    return bad("mproc_host_worker_read", !worker ? "worker" : !buf ? "buf" : "got");
  return mproc__chan_read(&worker->proc.chan, buf, n, got);
}

mproc_status mproc_host_worker_write(mproc_host_worker *worker, const void *buf, size_t n) {
  if (!worker || (!buf && n))
    return bad("mproc_host_worker_write", !worker ? "worker" : "buf");
  return mproc__chan_write(&worker->proc.chan, buf, n);
}

mproc_status mproc_host_worker_cancel(mproc_host_worker *worker, int on) {
  if (!worker)
    return bad("mproc_host_worker_cancel", "worker");
  return on ? mproc_event_set(worker->cancel) : mproc_event_clear(worker->cancel);
}

mproc_status mproc_host_worker_signal(mproc_host_worker *worker, int force) {
  if (!worker)
    return bad("mproc_host_worker_signal", "worker");
  return mproc__proc_signal(&worker->proc, force);
}

mproc_status mproc_host_worker_wait(mproc_host_worker *worker, int64_t timeout_ms, int *exitcode) {
  int reaped;
  mproc_status st;
  if (!worker || !exitcode)
    return bad("mproc_host_worker_wait", !worker ? "worker" : "exitcode");
  reaped = worker->proc.exited != 0;
  if ((st = mproc__proc_wait(&worker->proc, timeout_ms)) != MPROC_OK)
    return st;
  /* as a pool reaping its own: what a worker that did not exit cleanly
   * created, it could not remove */
  if (!reaped && worker->proc.exitcode != 0)
    mproc__sweep(worker->proc.pid);
  *exitcode = worker->proc.exitcode;
  return MPROC_OK;
}

mproc_status mproc_host_worker_destroy(mproc_host_worker *worker) {
  int code;
  if (!worker)
    return bad("mproc_host_worker_destroy", "worker");
  if (!worker->proc.exited)
    mproc__proc_signal(&worker->proc, 1);
  mproc_host_worker_wait(worker, MPROC_WAIT_FOREVER, &code);
  mproc__proc_release(&worker->proc);
  mproc_event_destroy(worker->cancel);
  free(worker);
  return MPROC_OK;
}
