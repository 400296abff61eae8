/*
 * Process pools, parent side: the public API and a pool's lifecycle
 * (create, close, terminate, join, destroy), over the pool's rooms:
 * task.c (tasks and the queue), dispatch.c (who runs what, pipelining,
 * claims, lanes, mailboxes), reader.c (a worker's reader thread),
 * monitor.c (timeouts and grace), interrupt.c (Ctrl-C), future.c (single
 * tasks), map.c (map, imap, starmap); the worker process is worker_main.c.
 *
 * One mutex (nested, so callbacks may call the pool) guards the pool;
 * futures use a process-wide mutex and condition so that they outlive their
 * pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "core/core.h"
#include "pool/pool.h"
#include "process/process.h"
#include "shared/object.h"
#include "wire/args.h"
#include "wire/frame.h"
#include "wire/result.h"

mproc_status mproc__pool_bad(const char *fn, const char *what) {
  return mproc__fail(MPROC_EINVAL, "%s: %s is NULL", fn, what);
}

static mproc_status pool_alloc(mproc_pool **out, const mproc_pool_options *o, int n) {
  mproc_pool *p = calloc(1, sizeof *p);
  mproc_status st = MPROC_OK;
  if (!p || (p->workers = calloc((size_t)n, sizeof *p->workers)) == NULL)
    st = mproc__fail(MPROC_ENOMEM, "mproc_pool_create: out of memory");
  else if (apr_pool_create(&p->apool, mproc__apr_pool()) ||
           apr_thread_mutex_create(&p->lock, APR_THREAD_MUTEX_NESTED, p->apool) ||
           apr_thread_cond_create(&p->changed, p->apool))
    st = mproc__fail(MPROC_ENOMEM, "mproc_pool_create: cannot create its lock");
  if (st == MPROC_OK && o) {
    p->opts = *o;
    p->opts.initargs = NULL;
    if (o->initializer && (p->initializer = mproc__strdup(o->initializer)) == NULL)
      st = mproc__fail(MPROC_ENOMEM, "mproc_pool_create: out of memory");
  }
  if (st == MPROC_OK)
    st = mproc__args_encode(o ? o->initargs : NULL, &p->initargs, &p->initargs_len);
  if (st == MPROC_OK)
    st = mproc_event_create(&p->cancel);
  if (st != MPROC_OK && p) {
    if (p->apool)
      apr_pool_destroy(p->apool);
    free(p->workers);
    free(p->initializer);
    free(p->initargs);
    free(p);
    return st;
  }
  p->live = MPROC__POOL_LIVE;
  p->nworkers = n;
  p->cancel_deadline = -1;
  *out = p;
  return MPROC_OK;
}

/* Descriptors a pool's parent holds: per worker, its channel's two ends
 * and a handle on its process (Linux's pidfd), and, where named objects hold one each (no futex:
 * macOS), its two lanes' and its mailbox's; for the pool, its cancel event and claim words, and
 * room for what the program holds (stdio and a few). */
#define FDS_PER_WORKER 3
#define FDS_PER_WORKER_OBJECTS 3
#define FDS_RESERVED 16

/* A pool the descriptor limit cannot hold is refused, rather than started
 * with the workers it happens to get. */
static mproc_status check_descriptors(int n) {
  int64_t limit = mproc__fd_limit(), per = FDS_PER_WORKER;
  if (!mproc__futex_available())
    per += FDS_PER_WORKER_OBJECTS;
  if (limit < 0 || (int64_t)n * per + FDS_RESERVED <= limit)
    return MPROC_OK;
  return mproc__fail(MPROC_ERANGE,
                     "mproc_pool_create: %d workers need %lld descriptors, and this process may "
                     "hold %lld (RLIMIT_NOFILE): raise it with ulimit -n or setrlimit, or use "
                     "at most %lld workers",
                     n, (long long)(n * per + FDS_RESERVED), (long long)limit,
                     (long long)((limit - FDS_RESERVED) / per));
}

static mproc_status check_options(const mproc_pool_options *o, int *n) {
  *n = o && o->workers > 0 ? o->workers : mproc_cpu_count();
  if (o && (o->workers < 0 || o->workers > 4096))
    return mproc__fail(MPROC_ERANGE, "mproc_pool_create: %d workers (1..4096, or 0 for the CPUs)",
                       o->workers);
  if (o && o->initializer && !mproc__registry_find(o->initializer))
    return mproc__fail(MPROC_ENOFUNC, "mproc_pool_create: initializer \"%s\" is not registered",
                       o->initializer);
  if (mproc__pool_depth() >= MPROC__POOL_MAX_DEPTH)
    return mproc__fail(MPROC_ERANGE, "mproc_pool_create: pools nest %d deep at most",
                       MPROC__POOL_MAX_DEPTH);
  return check_descriptors(*n);
}

mproc_status mproc__pool_create(mproc_pool **pool, const mproc_pool_options *options,
                                const mproc_backend *backend, void *state, const char *fn) {
  mproc_pool *p;
  int n, i;
  unsigned fast;
  mproc_status st;
  if (!pool)
    return mproc__pool_bad(fn, "pool");
  if (!mproc__is_initialized())
    return mproc__fail(MPROC_ENOTINIT, "%s: call mproc_init() first", fn);
  if ((st = MPROC__CHECK_RESERVED(options, fn, "options")) != MPROC_OK ||
      (st = check_options(options, &n)) != MPROC_OK ||
      (st = mproc__fast_paths(&fast)) != MPROC_OK || (st = mproc__futures_init()) != MPROC_OK ||
      (st = pool_alloc(&p, options, n)) != MPROC_OK)
    return st;
  /* A backend's workers may be on other machines: nothing but their stream
   * is shared with them (no lanes, mailboxes, claim words or spinning). */
  p->fast = backend ? 0 : fast;
  if (backend) {
    p->backend_ops = *backend;
    p->backend = &p->backend_ops;
    p->backend_state = state;
  }
  apr_thread_mutex_lock(p->lock);
  for (i = 0; i < n; i++) {
    mproc__worker *w = &p->workers[i];
    w->pool = p;
    w->index = i;
    w->state = MPROC__W_RETIRING; /* until its thread has spawned it */
    w->last_us = INT64_MAX;       /* no pipelining before a short task was seen */
    if (apr_thread_create(&w->thread, NULL, mproc__worker_thread, w, p->apool) != APR_SUCCESS) {
      w->thread = NULL;
      w->state = MPROC__W_DEAD;
    }
  }
  apr_thread_mutex_unlock(p->lock);
  *pool = p;
  mproc__interrupt_register(p, 1);
  if (!p->workers[0].thread) { /* the OS refused threads: the first tells */
    mproc_pool_destroy(p);
    *pool = NULL;
    return mproc__fail(MPROC_ENOMEM, "mproc_pool_create: cannot start its threads");
  }
  return MPROC_OK;
}

mproc_status mproc_pool_create(mproc_pool **pool, const mproc_pool_options *options) {
  const mproc_backend_plugin *chosen = mproc__plugin_selected();
  if (chosen) /* the launch chose a backend (plugin.c) */
    return chosen->pool_create(pool, options);
  return mproc__pool_create(pool, options, NULL, NULL, "mproc_pool_create");
}

static int all_dead(const mproc_pool *p) {
  int i;
  for (i = 0; i < p->nworkers; i++)
    if (p->workers[i].state != MPROC__W_DEAD)
      return 0;
  return 1;
}

static mproc_status check_submit(mproc_pool *p, const char *function, const char *fn) {
  if (!p)
    return mproc__pool_bad(fn, "pool");
  if (!function)
    return mproc__pool_bad(fn, "function");
  if (!mproc__registry_find(function))
    return mproc__fail(MPROC_ENOFUNC, "%s: \"%s\" is not registered", fn, function);
  if (p->state != MPROC__POOL_OPEN)
    return mproc__fail(MPROC_ESTATE, "%s: the pool is closed", fn);
  if (p->broken)
    return mproc__fail(MPROC__POOL_BROKEN_STATUS(p), "%s: %s", fn, p->broken_msg);
  if (all_dead(p))
    return mproc__fail(MPROC_ESTATE, "%s: no worker could be started: %s", fn, p->dead_msg);
  return MPROC_OK;
}

mproc_status mproc__pool_usable(const mproc_pool *p, const char *fn) {
  if (!p)
    return mproc__pool_bad(fn, "pool");
  if (p->live != MPROC__POOL_LIVE)
    return mproc__fail(MPROC_ECLOSED, "%s: the pool was destroyed", fn);
  return MPROC_OK;
}

mproc_status mproc__pool_check(mproc_pool *p, const char *function, const char *fn) {
  mproc_status st = mproc__pool_usable(p, fn);
  if (st != MPROC_OK)
    return st;
  apr_thread_mutex_lock(p->lock);
  st = check_submit(p, function, fn);
  apr_thread_mutex_unlock(p->lock);
  return st;
}

mproc_status mproc__pool_queue(mproc_pool *p, const mproc__submit *s, const char *fn) {
  mproc__task *t = NULL;
  mproc_status st = mproc__pool_usable(p, fn);
  if (st != MPROC_OK)
    return st;
  if (s->function && !s->numbers) /* what cannot cross to the backend's workers */
    st = mproc__task_objects(p->backend, p->backend_state, s->body, s->at, s->n,
                             s->mode == MPROC__TASK_CALL ? "args" : "items");
  if (st == MPROC_OK && s->function) /* outside the lock: a chunk may hold a million values */
    st = mproc__task_new(&t, s);
  apr_thread_mutex_lock(p->lock);
  if (st == MPROC_OK)
    st = check_submit(p, s->function, fn);
  if (st == MPROC_OK) {
    mproc__task_set_id(t, ++p->next_id);
    t->timeout_ms = s->timeout_ms != 0 ? s->timeout_ms : p->opts.task_timeout_ms; /* <0: none */
    t->future = s->future;
    t->map = s->map;
    t->first = s->first;
    mproc__pool_enqueue(p, t);
    t = NULL;
  }
  apr_thread_mutex_unlock(p->lock);
  mproc__task_free(t);
  return st;
}

mproc_status mproc_pool_cancel(mproc_pool *p) {
  mproc_status usable = mproc__pool_usable(p, "mproc_pool_cancel");
  if (usable != MPROC_OK)
    return usable;
  apr_thread_mutex_lock(p->lock);
  mproc__pool_cancel_locked(p);
  apr_thread_mutex_unlock(p->lock);
  return MPROC_OK;
}

mproc_status mproc_pool_close(mproc_pool *p) {
  mproc_status usable = mproc__pool_usable(p, "mproc_pool_close");
  if (usable != MPROC_OK)
    return usable;
  apr_thread_mutex_lock(p->lock);
  if (p->state == MPROC__POOL_OPEN)
    p->state = MPROC__POOL_CLOSED;
  mproc__pool_dispatch(p); /* idle workers retire now */
  apr_thread_mutex_unlock(p->lock);
  return MPROC_OK;
}

mproc_status mproc_pool_terminate(mproc_pool *p) {
  int i;
  mproc_status usable = mproc__pool_usable(p, "mproc_pool_terminate");
  if (usable != MPROC_OK)
    return usable;
  apr_thread_mutex_lock(p->lock);
  p->state = MPROC__POOL_TERMINATED;
  p->cancels++; /* its maps stop feeding: their rest completes as cancelled */
  mproc__pool_cancel_flag(p, 1);
  mproc__pool_fail_queued(p, MPROC_ECANCELED, "the pool was terminated");
  for (i = 0; i < p->nworkers; i++) {
    mproc__worker *w = &p->workers[i];
    if (w->spawned && w->state != MPROC__W_DEAD && w->state != MPROC__W_ENDING) {
      if (!w->kill_reason)
        w->kill_reason = MPROC_ECANCELED;
      mproc__worker_signal(w, 1);
    }
  }
  apr_thread_cond_broadcast(p->changed);
  apr_thread_mutex_unlock(p->lock);
  return MPROC_OK;
}

mproc_status mproc_pool_join(mproc_pool *p, int64_t timeout_ms) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = MPROC_OK;
  mproc_status usable = mproc__pool_usable(p, "mproc_pool_join");
  if (usable != MPROC_OK)
    return usable;
  apr_thread_mutex_lock(p->lock);
  if (p->state == MPROC__POOL_OPEN)
    st = mproc__fail(MPROC_ESTATE, "mproc_pool_join: close or terminate the pool first");
  while (st == MPROC_OK && !all_dead(p)) {
    int64_t left = mproc__remaining(deadline);
    if (left == 0)
      st = mproc__fail(MPROC_ETIMEDOUT, "mproc_pool_join: workers still running after %lld ms",
                       (long long)timeout_ms);
    else
      apr_thread_cond_timedwait(p->changed, p->lock,
                                (apr_interval_time_t)(left < 0 || left > 100 ? 100 : left) * 1000);
  }
  apr_thread_mutex_unlock(p->lock);
  return st;
}

mproc_status mproc_pool_destroy(mproc_pool *p) {
  apr_status_t ignored;
  int i;
  mproc_status usable = mproc__pool_usable(p, "mproc_pool_destroy");
  if (usable != MPROC_OK)
    return usable;
  mproc__interrupt_register(p, 0);
  mproc__maps_detach(p); /* its maps may live on; they queue nothing more */
  if (p->state == MPROC__POOL_OPEN)
    mproc_pool_terminate(p);
  apr_thread_mutex_lock(p->lock);
  if (p->state == MPROC__POOL_TERMINATED) {
    /* Every worker was killed: nothing is left to time or cancel, so the
     * monitor ends now, beside the workers (a closed pool still times its
     * last tasks: its monitor ends last). */
    p->stopping = 1;
    apr_thread_cond_broadcast(p->changed);
  }
  apr_thread_mutex_unlock(p->lock);
  /* A worker's thread returns once its worker is dead for good (MPROC__W_DEAD), so
   * joining them is mproc_pool_join(MPROC_WAIT_FOREVER), without a wake-up
   * through the pool's condition after each worker's end. */
  for (i = 0; i < p->nworkers; i++)
    if (p->workers[i].thread)
      apr_thread_join(&ignored, p->workers[i].thread);
  apr_thread_mutex_lock(p->lock);
  p->stopping = 1;
  apr_thread_cond_broadcast(p->changed);
  apr_thread_mutex_unlock(p->lock);
  if (p->monitor)
    apr_thread_join(&ignored, p->monitor);
  mproc__pool_fail_queued(p, MPROC_ECANCELED, "the pool was destroyed");
  for (i = 0; i < p->nworkers; i++) {
    mproc__lane_drop(&p->workers[i].lane[0]);
    mproc__lane_drop(&p->workers[i].lane[1]);
    mproc__mbox_drop(&p->workers[i].mbox);
  }
  mproc_event_destroy(p->cancel);
  if (p->claims)
    mproc_array_destroy(p->claims);
  free(p->claims_frame);
  apr_pool_destroy(p->apool);
  free(p->workers);
  free(p->initializer);
  free(p->initargs);
  if (p->backend) /* every worker was waited for */
    p->backend->destroy(p->backend_state);
  p->live = 0;
  mproc__quarantine(p); /* a use after destroy: a clean MPROC_ECLOSED */
  return MPROC_OK;
}
