/*
 * The parent's reader thread of one worker (mproc__worker_thread): it spawns
 * the worker, reads its frames, decodes its RESULTs, and, when the channel
 * ends, settles the task the worker held (CRASHED, TIMED_OUT or CANCELLED)
 * and spawns the replacement. Each worker has its own channel and thread,
 * so the parent always knows which task a worker holds, and no call waits on
 * all workers at once (no 64-handle limit on Windows).
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

/* Worker START args: [initializer, encoded initargs, cancel Event, depth,
 * report RSS] (the RSS costs the worker system calls on every task). */
static mproc_status spawn_worker(mproc_pool *p, mproc__worker *w) {
  mproc__start spec;
  mproc_args *a = NULL;
  uint8_t *buf = NULL;
  size_t len = 0;
  char name[64], identity[64];
  const char *mine = mproc__self_identity();
  mproc__proc proc;
  mproc_status st = mproc_args_create(&a);
  if (st != MPROC_OK)
    return st;
  mproc_args_add_str(a, p->initializer ? p->initializer : "");
  mproc_args_add_bytes(a, p->initargs, p->initargs_len);
  if ((st = mproc_args_add_event(a, p->cancel)) == MPROC_OK &&
      (st = mproc_args_add_i64(a, mproc__pool_depth() + 1)) == MPROC_OK &&
      (st = mproc_args_add_i64(a, p->opts.max_memory_kib != 0)) == MPROC_OK)
    st = mproc__args_encode(a, &buf, &len);
  mproc_args_destroy(a);
  if (st != MPROC_OK)
    return st;
  apr_thread_mutex_lock(p->lock);
  snprintf(identity, sizeof identity, "%s%sw%lu", mine, *mine ? ":" : "", ++p->spawned);
  apr_thread_mutex_unlock(p->lock);
  snprintf(name, sizeof name, "PoolWorker-%d", w->index + 1);
  spec.function = MPROC__WORKER_FN;
  spec.name = name;
  spec.identity = identity;
  spec.daemon = 0;
  spec.new_group = 1; /* a terminal's Ctrl-C goes to the parent, which cancels */
  spec.args = buf;
  spec.args_len = len;
  st = mproc__worker_spawn(p, w, &spec, &proc);
  free(buf);
  if (st == MPROC_OK) { /* others read w->proc under the lock */
    apr_thread_mutex_lock(p->lock);
    w->proc = proc;
    apr_thread_mutex_unlock(p->lock);
  }
  return st;
}

/* Gives @o per-call records once call @i is not plain (calls before it were). */
static mproc_status records_from(mproc__outcome *o, size_t i) {
  size_t j;
  mproc__call *call;
  if (o->call)
    return MPROC_OK;
  if ((call = malloc(o->calls * sizeof *call)) == NULL)
    return mproc__fail(MPROC_ENOMEM, "pool: out of memory for a result");
  for (j = 0; j < i; j++) /* (read while o->call is NULL: the plain layout) */
    call[j] = mproc__outcome_call(o, j);
  o->call = call;
  return MPROC_OK;
}

/* Reads a RESULT for @t into t->outcome. Nothing from a worker is trusted:
 * every count, index and status is checked. Per-call records are made only
 * once a call is not plain (see mproc__outcome). */
static mproc_status parse_result(mproc__task *t, const uint8_t *buf, size_t len, int64_t pid,
                                 int64_t *rss) {
  mproc__outcome *o = t->outcome;
  mproc__reader r;
  mproc__result_head h;
  mproc__call c;
  mproc_status st = MPROC_OK;
  size_t i;
  if (mproc__result_open(&r, buf, len, t->id, t->calls, &h))
    return mproc__fail(MPROC_EPROTO, "pool: worker %lld sent a result for no task of its own",
                       (long long)pid);
  *rss = h.rss_kib;
  o->pid = pid;
  if (t->map && h.plain == h.calls) /* a map's chunk of plain calls: into the map's results */
    o->values = mproc__map_view(t->map, t->first, t->calls);
  if (!o->values && (mproc_args_create(&o->values) ||
                     mproc__args_reserve(o->values, r.values > t->calls ? r.values - t->calls : 0)))
    st = mproc__fail(MPROC_ENOMEM, "pool: out of memory for a result");
  if (st == MPROC_OK) /* the first calls, one value each: call i's is values[i] */
    st = mproc__reader_take(&r, (size_t)h.plain, o->values) ? MPROC_EPROTO : MPROC_OK;
  for (i = (size_t)h.plain; i < t->calls && st == MPROC_OK; i++) {
    if ((st = mproc__result_read_call(&r, o->values, &c)) != MPROC_OK)
      break;
    if ((c.status != MPROC_OK || c.n != 1 || c.at != i) && (st = records_from(o, i)) != MPROC_OK)
      break;
    if (o->call)
      o->call[i] = c;
  }
  if (st == MPROC_OK)
    st = mproc__reader_end(&r);
  if (st != MPROC_OK && st != MPROC_ENOMEM)
    st = mproc__fail(MPROC_EPROTO, "pool: malformed result from worker %lld", (long long)pid);
  if (st != MPROC_OK)
    mproc__outcome_fail(o, st, NULL); /* drops what was read; the caller says why the task failed */
  return st;
}

/* A RESULT for @t arrived: may the worker take its next task before @t's
 * result is decoded, so that it works while this thread decodes (pool lock
 * held)? As for pipelining, and not its last task. */
static int release_early(const mproc_pool *p, const mproc__worker *w) {
  return w->current && mproc__worker_may_run_ahead(p, w) &&
         !(p->opts.max_tasks_per_child && w->done + 1 >= p->opts.max_tasks_per_child);
}

/* Decodes and checks a RESULT for @t without the pool lock: only the worker's
 * own thread (this one) settles its task, and @t stays alive until it does. */
static mproc_status decode_result(const mproc__worker *w, mproc__task *t, const uint8_t *buf,
                                  size_t len, int64_t *rss) {
  if (!t)
    return mproc__fail(MPROC_EPROTO, "pool: worker %lld sent a result with no task",
                       (long long)w->proc.pid);
  return parse_result(t, buf, len, w->proc.pid, rss);
}

/* Unlinks and returns the last of @w's queued tasks. */
static mproc__task *last_queued(mproc__worker *w) {
  mproc__task **tp = &w->queued, *t;
  while ((*tp)->next)
    tp = &(*tp)->next;
  t = *tp;
  *tp = NULL;
  w->nqueued--;
  w->queued_bytes -= t->len + MPROC__FRAME_HEADER;
  t->slot = -1;
  return t;
}

/* The worker's current task is done: its first queued one (if any) runs now. */
static void next_task(mproc__worker *w) {
  int64_t now = mproc__now_us();
  w->last_us = now - w->start_us;
  w->start_us = now;
  while (w->queued && w->queued->ghost) /* the worker skips those (see mproc__pool_take_back()) */
    free(mproc__worker_pop_queued(w));
  w->current = w->queued ? mproc__worker_pop_queued(w) : NULL;
  w->deadline = -1; /* a pipelined task has no timeout */
  w->done++;
}

/* A worker finished a task: retire it, go on, or make it idle (pool lock held). */
static void after_task(mproc_pool *p, mproc__worker *w, int64_t rss) {
  if (w->current) {
    w->state =
        w->kill_reason ? MPROC__W_RETIRING : MPROC__W_BUSY; /* it went on to its queued task */
  } else if (w->kill_reason) {
    w->state = MPROC__W_RETIRING; /* already killed: its end is on the way; never reuse it */
  } else if ((p->opts.max_tasks_per_child && w->done >= p->opts.max_tasks_per_child) ||
             (p->opts.max_memory_kib && rss > 0 && (uint64_t)rss > p->opts.max_memory_kib)) {
    mproc__worker_send(w, MPROC__FRAME_EXIT, NULL, 0);
    w->state = MPROC__W_RETIRING; /* replaced when its channel ends */
  } else {
    w->state = MPROC__W_IDLE;
  }
}

/* Settles @t from its decoded result (pool lock held); @released: the worker
 * already went on to its next task. */
static void took_result(mproc_pool *p, mproc__worker *w, mproc__task *t, int released,
                        mproc_status st, int64_t rss) {
  char msg[128];
  if (st != MPROC_OK) {
    if (released) {
      snprintf(msg, sizeof msg, "worker %lld sent a malformed result", (long long)w->proc.pid);
      mproc__task_fail(p, t, MPROC_ECRASHED, msg, w->proc.pid, 0);
    }
    mproc__worker_signal(w, 1); /* nonsense from a worker: end it; its task fails */
    return;
  }
  if (!released)
    next_task(w);
  mproc__task_settle(p, t);
  if (!released)
    after_task(p, w, rss);
  mproc__pool_dispatch(p);
}

/* RESULT (see wire/protocol.h): a large one is decoded outside the pool
 * lock, so that the workers' threads decode in parallel and dispatch does not
 * wait for it; a small one decodes faster than the lock would change hands
 * twice (a map with chunksize 1), so it is decoded under it. */
#define DECODE_UNLOCKED_FROM 1024
static void on_result(mproc_pool *p, mproc__worker *w, const uint8_t *buf, size_t len) {
  mproc__task *t;
  int released;
  int64_t rss = 0;
  mproc_status st;
  apr_thread_mutex_lock(p->lock);
  t = w->current;
  released = len >= DECODE_UNLOCKED_FROM && release_early(p, w);
  if (released) {
    next_task(w);
    w->state = w->current ? MPROC__W_BUSY : MPROC__W_IDLE;
    mproc__pool_dispatch(p);
    apr_thread_mutex_unlock(p->lock);
  }
  st = decode_result(w, t, buf, len, &rss);
  if (released)
    apr_thread_mutex_lock(p->lock);
  took_result(p, w, t, released, st, rss);
  if (p->cancelling) /* the monitor ends a cancellation once all is settled; */
    apr_thread_cond_broadcast(p->changed); /* otherwise a result concerns nobody waiting */
  apr_thread_mutex_unlock(p->lock);
}

/* The channel ended (pool lock held): settle its task, say whether to respawn. */
static int worker_ended(mproc_pool *p, mproc__worker *w) {
  char msg[128];
  if (w->current && p->broken == MPROC__POOL_BROKEN_INIT) { /* it never ran */
    mproc__task_fail(p, w->current, MPROC_EINITFAILED, p->broken_msg, w->proc.pid,
                     w->proc.exitcode);
    w->current = NULL;
  } else if (w->current) {
    mproc_status why = w->kill_reason ? w->kill_reason : MPROC_ECRASHED;
    snprintf(msg, sizeof msg, "worker %lld %s (exit code %d)", (long long)w->proc.pid,
             why == MPROC_ETIMEDOUT   ? "killed: task timed out"
             : why == MPROC_ECANCELED ? "killed: task cancelled"
                                      : "died",
             w->proc.exitcode);
    mproc__task_fail(p, w->current, why, msg, w->proc.pid, w->proc.exitcode);
    w->current = NULL;
  }
  while (w->queued) { /* sent, never started: back to the queue, in order */
    mproc__task *t = last_queued(w);
    if (t->ghost)
      free(t);
    else if (p->broken)
      mproc__task_fail(p, t, MPROC__POOL_BROKEN_STATUS(p), p->broken_msg, 0, 0);
    else if (p->cancelling || p->state == MPROC__POOL_TERMINATED)
      mproc__task_fail(p, t, MPROC_ECANCELED, "cancelled before it started", 0, 0);
    else
      mproc__pool_requeue(p, t);
  }
  mproc__worker_release(w);
  w->has_claims = 0;
  w->lanes = w->lanes > 0 ? 0 : w->lanes; /* sent again to the next one, free */
  mproc__lane_release(&w->lane[0]);
  mproc__lane_release(&w->lane[1]);
  mproc__mbox_reset(&w->mbox); /* given again to the next one */
  w->mbox.given = w->mbox.given < 0 ? -1 : 0;
  w->rx.d = NULL;
  w->last_us = INT64_MAX;
  w->spawned = 0;
  w->state = MPROC__W_RETIRING; /* neither dispatchable nor killable until respawned */
  w->kill_reason = MPROC_OK;
  w->done = 0;
  w->ready = 0;
  /* Not while an ending signal is handled: the handler is about to end the
   * worker, which would only start to die reading its START. */
  return !p->broken && !mproc__pools_interrupting() &&
         (p->state == MPROC__POOL_OPEN || (p->state == MPROC__POOL_CLOSED && p->head));
}

static void on_frame(mproc_pool *p, mproc__worker *w, uint16_t type, const uint8_t *buf,
                     size_t len) {
  mproc_args *m = NULL;
  const char *msg = "initializer failed";
  if (type == MPROC__FRAME_CANCEL && len == 0) {
    mproc__pool_cancel_locked(p); /* a task cancelled the pool: see worker_main.c */
  } else if (type == MPROC__FRAME_READY && len == 0 && !w->ready) {
    w->ready = 1;
    if (w->state == MPROC__W_BUSY && w->current && w->current->timeout_ms > 0 && !w->kill_reason)
      w->deadline =
          mproc__deadline(w->current->timeout_ms); /* nearer: the caller wakes the monitor */
  } else if (type == MPROC__FRAME_MBOX_ACK && len == 0 && w->mbox.given > 0 && !w->rx.d) {
    mproc__mbox_attach(w->mbox.shm, 0, NULL, &w->rx); /* its results may come that way now */
  } else if (type == MPROC__FRAME_INITFAIL) {
    if (mproc__args_decode(buf, len, &m) == MPROC_OK)
      mproc_args_get_str(m, 0, &msg);
    p->broken = MPROC__POOL_BROKEN_INIT; /* reported once: no respawn loop */
    snprintf(p->broken_msg, sizeof p->broken_msg, "the initializer %s failed: %s", p->initializer,
             msg);
    mproc__pool_fail_queued(p, MPROC_EINITFAILED, p->broken_msg);
    if (m)
      mproc_args_destroy(m);
  } else {
    mproc__worker_signal(w, 1); /* nonsense from a worker: end it */
  }
}

/* A RESULT in @w's up lane, copied into @buf (see lane.c). */
static mproc_status lane_result(mproc_pool *p, mproc__worker *w, mproc__buf *buf, size_t *len) {
  mproc__lane up;
  apr_thread_mutex_lock(p->lock);
  up = w->lane[1];
  apr_thread_mutex_unlock(p->lock);
  return *len != 0 ? MPROC_EPROTO : mproc__lane_take(&up, buf, len);
}

/* No worker starts once the pool is terminating (a replacement after a crash
 * or a timeout would otherwise start after terminate looked, and keep
 * destroy waiting on it): non-zero when @w is dead for good. */
static int terminating(mproc_pool *p, mproc__worker *w) {
  int dead;
  apr_thread_mutex_lock(p->lock);
  dead = p->state == MPROC__POOL_TERMINATED;
  if (dead) {
    w->state = MPROC__W_DEAD;
    apr_thread_cond_broadcast(p->changed);
  } else {
    w->starting = 1; /* a sibling whose spawn fails meanwhile retries for it */
  }
  apr_thread_mutex_unlock(p->lock);
  return dead;
}

/* A slot whose spawn failed tries again after this long, doubling up to the
 * most: the cause (no descriptors, no memory, a process limit) may pass. */
#define RESPAWN_FIRST_MS 10
#define RESPAWN_MAX_MS 1000

/* Whether a worker other than @w runs or is being started (pool lock held). */
static int others_run(const mproc_pool *p, const mproc__worker *w) {
  int i;
  for (i = 0; i < p->nworkers; i++)
    if (&p->workers[i] != w && (p->workers[i].spawned || p->workers[i].starting))
      return 1;
  return 0;
}

/* Sleeps @ms unless the pool is terminated first (pool lock held). */
static void respawn_pause(mproc_pool *p, int64_t ms) {
  int64_t deadline = mproc__deadline(ms), left;
  while (p->state != MPROC__POOL_TERMINATED && (left = mproc__remaining(deadline)) > 0)
    apr_thread_cond_timedwait(p->changed, p->lock, (apr_interval_time_t)left * 1000);
}

/* Starts @w's worker: 1 once it runs; 0 when the spawn failed while other
 * workers run (the slot is tried again after *backoff_ms, which doubles:
 * no task fails for it); -1 when @w is dead for good: the pool is
 * terminating, or no worker at all runs, and then the queued tasks fail
 * with the spawn's error (nothing else would ever run them). */
static int start_worker(mproc_pool *p, mproc__worker *w, int64_t *backoff_ms) {
  mproc_status st;
  if (terminating(p, w))
    return -1;
  st = spawn_worker(p, w);
  apr_thread_mutex_lock(p->lock);
  w->starting = 0;
  w->spawned = st == MPROC_OK;
  if (w->spawned) {
    w->state = MPROC__W_IDLE;
    *backoff_ms = RESPAWN_FIRST_MS;
    if (p->state == MPROC__POOL_TERMINATED) {
      /* terminated while it started, which terminate could not see: its
       * initializer may never let it read EXIT, so it ends now */
      w->kill_reason = MPROC_ECANCELED;
      mproc__worker_signal(w, 1);
    } else {
      mproc__pool_dispatch(p);
    }
  } else if (p->state != MPROC__POOL_TERMINATED && others_run(p, w)) {
    w->state = MPROC__W_RETIRING; /* not dispatchable, nothing to kill */
    respawn_pause(p, *backoff_ms);
    *backoff_ms = *backoff_ms * 2 > RESPAWN_MAX_MS ? RESPAWN_MAX_MS : *backoff_ms * 2;
  } else {
    w->state = MPROC__W_DEAD;
    snprintf(p->dead_msg, sizeof p->dead_msg, "%s", mproc_last_error());
    mproc__pool_fail_queued(p, st, p->dead_msg);
  }
  apr_thread_cond_broadcast(p->changed);
  apr_thread_mutex_unlock(p->lock);
  return w->spawned ? 1 : w->state == MPROC__W_DEAD ? -1 : 0;
}

/* Spawns its worker, reads its frames, reaps it and spawns the next. It
 * outlives every worker it spawns, as it must: a worker may end with the
 * thread that spawned it (mproc__exit_with_parent). */
void *APR_THREAD_FUNC mproc__worker_thread(apr_thread_t *thread, void *data) {
  mproc__worker *w = data;
  mproc_pool *p = w->pool;
  mproc__spin spin = {0, 0};  /* results that come back fast are spun for */
  mproc__buf buf = {NULL, 0}; /* a worker's RESULTs: see mproc__buf */
  int64_t backoff_ms = RESPAWN_FIRST_MS;
  (void)thread;
  spin.off = !(p->fast & MPROC__FAST_SPIN);
  for (;;) {
    uint16_t type;
    size_t len = 0;
    mproc_status st;
    if (!w->spawned) {
      int started = start_worker(p, w, &backoff_ms);
      if (started < 0)
        break;
      if (started == 0)
        continue;
      /* A new worker takes a millisecond to start: spinning for its first
       * frame would only take a CPU from it (and from its siblings). */
      spin.last_us = INT64_MAX;
    }
    st = mproc__mbox_recv(&w->rx, &w->proc.chan, &spin, &type, &buf, &len);
    if (st != MPROC_OK) {
      int again;
      apr_thread_mutex_lock(p->lock);
      w->state = MPROC__W_ENDING;
      apr_thread_mutex_unlock(p->lock);
      if (st != MPROC_ECLOSED)
        mproc__worker_signal(w, 1);
      mproc__worker_wait(w, MPROC_WAIT_FOREVER);
      /* A worker that did not exit cleanly (killed, crashed, orphaned) could
       * not remove the names it created: reaping it sweeps them, as joining
       * a Process does. */
      mproc__worker_sweep(w);
      apr_thread_mutex_lock(p->lock);
      again = worker_ended(p, w);
      if (!again)
        w->state = MPROC__W_DEAD;
      apr_thread_cond_broadcast(p->changed);
      apr_thread_mutex_unlock(p->lock);
      if (!again)
        break;
      continue;
    }
    if (type == MPROC__FRAME_RESULT_LANE && (st = lane_result(p, w, &buf, &len)) != MPROC_OK) {
      apr_thread_mutex_lock(p->lock);
      mproc__worker_signal(w, 1); /* nonsense from a worker: end it */
      apr_thread_mutex_unlock(p->lock);
    } else if (type == MPROC__FRAME_RESULT || type == MPROC__FRAME_RESULT_LANE) {
      on_result(p, w, buf.data, len);
    } else {
      apr_thread_mutex_lock(p->lock);
      on_frame(p, w, type, buf.data, len);
      apr_thread_cond_broadcast(p->changed);
      apr_thread_mutex_unlock(p->lock);
    }
    mproc__buf_trim(&buf, 0);
  }
  mproc__buf_trim(&buf, 1);
  return NULL;
}
