/*
 * Process pools, parent side (the worker side is runtime/worker.c).
 *
 * Sections: futures; tasks and dispatch; the per-worker thread; the monitor
 * (timeouts, cancellation, grace); the public API.
 *
 * Each worker has its own channel and a parent thread blocked reading it, so
 * the parent always knows which task a worker holds: when the channel ends,
 * that task (and only it) completes as CRASHED, TIMED_OUT or CANCELLED, and
 * the same thread spawns a replacement. No call waits on all workers at once
 * (no 64-handle limit on Windows). One mutex (nested, so callbacks may call
 * the pool) guards the pool; futures use a process-wide mutex and condition
 * so that they outlive their pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "object.h"
#include "pool_internal.h"

/* ---- futures ---- */

static apr_thread_mutex_t *flock;
static apr_thread_cond_t *fcond;

static mproc_status futures_init(void) {
  mproc_status st = MPROC_OK;
  mproc__lock();
  if (!flock && (apr_thread_mutex_create(&flock, APR_THREAD_MUTEX_DEFAULT, mproc__apr_pool()) ||
                 apr_thread_cond_create(&fcond, mproc__apr_pool())))
    st = mproc__fail(MPROC_ENOMEM, "pool: cannot create the futures' lock");
  mproc__unlock();
  return st;
}

static void future_release(mproc_future *f) {
  int last;
  apr_thread_mutex_lock(flock);
  last = --f->refs == 0;
  apr_thread_mutex_unlock(flock);
  if (last) {
    if (f->result)
      mproc_args_destroy(f->result);
    free(f);
  }
}

/* Completes a future (once) and runs its callback; called with the pool lock held. */
static void future_complete(mproc_future *f, mproc_status st, const char *msg, int64_t pid,
                            int exitcode, mproc_args *result) {
  apr_thread_mutex_lock(flock);
  f->info.status = st;
  f->info.pid = pid;
  f->info.exitcode = exitcode;
  snprintf(f->message, sizeof f->message, "%s", msg ? msg : "");
  f->result = result;
  f->done = 1;
  apr_thread_cond_broadcast(fcond);
  apr_thread_mutex_unlock(flock);
  if (st == MPROC_OK && f->opts.callback)
    f->opts.callback(f, f->opts.user);
  else if (st != MPROC_OK && f->opts.error_callback)
    f->opts.error_callback(f, f->opts.user);
  future_release(f); /* the pool's reference */
}

/* Waits on the futures' condition until *done or the deadline. */
static mproc_status wait_done(const volatile int *done, int64_t timeout_ms) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = MPROC_OK;
  apr_thread_mutex_lock(flock);
  while (!*done) {
    int64_t left = mproc__remaining(deadline);
    if (left == 0) {
      st = MPROC_ETIMEDOUT;
      break;
    }
    if (left < 0)
      apr_thread_cond_wait(fcond, flock);
    else
      apr_thread_cond_timedwait(fcond, flock, (apr_interval_time_t)left * 1000);
  }
  apr_thread_mutex_unlock(flock);
  return st;
}

/* ---- tasks ---- */

static void task_free(task *t) {
  if (!t)
    return;
  free(t->payload);
  free(t);
}

/* Completes call @i of @t (a future's single call, or one item of a map). */
static void call_complete(mproc_pool *p, task *t, size_t i, mproc_status st, const char *msg,
                          int64_t pid, int exitcode, mproc_args *result) {
  if (st != MPROC_OK && st != MPROC_ECANCELED && mproc_event_is_set(p->cancel))
    st = MPROC_ECANCELED; /* it failed because it was told to stop */
  if (st != MPROC_OK && st != MPROC_ECANCELED && p->opts.cancel_on_error)
    mproc__pool_cancel_locked(p);
  if (t->future) {
    future_complete(t->future, st, msg, pid, exitcode, result);
    return;
  }
  t->map->statuses[t->first + i] = st;
  t->map->results[t->first + i] = result;
  apr_thread_mutex_lock(flock);
  if (--t->map->remaining == 0) {
    t->map->done = 1;
    apr_thread_cond_broadcast(fcond);
  }
  apr_thread_mutex_unlock(flock);
}

/* Completes every call of @t the same way (cancelled, crashed, timed out). */
static void task_fail(mproc_pool *p, task *t, mproc_status st, const char *msg, int64_t pid,
                      int exitcode) {
  size_t i;
  for (i = 0; i < t->calls; i++)
    call_complete(p, t, i, st, msg, pid, exitcode, NULL);
  task_free(t);
}

void mproc__pool_fail_queued(mproc_pool *p, mproc_status st, const char *msg) {
  while (p->head) {
    task *t = p->head;
    p->head = t->next;
    task_fail(p, t, st, msg, 0, 0);
  }
  p->tail = NULL;
}

/* Sends the next queued task to every idle worker (pool lock held). */
void mproc__pool_dispatch(mproc_pool *p) {
  int i;
  if (!p->cancelling && mproc_event_is_set(p->cancel))
    mproc__pool_cancel_locked(p); /* a task cancelled the pool: nothing queued may start */
  for (i = 0; i < p->nworkers; i++) {
    worker *w = &p->workers[i];
    if (w->state != W_IDLE)
      continue;
    if (!p->head) {
      if (p->state != POOL_OPEN &&
          mproc__frame_send(&w->proc.chan, MPROC__FRAME_EXIT, NULL, 0) == MPROC_OK)
        w->state = W_RETIRING; /* closed and drained: let it go */
      continue;
    }
    if (p->cancelling)
      return; /* nothing starts until the cancelled tasks are gone */
    w->current = p->head;
    p->head = w->current->next;
    if (!p->head)
      p->tail = NULL;
    w->current->next = NULL;
    w->state = W_BUSY;
    w->kill_reason = MPROC_OK;
    w->deadline = w->current->timeout_ms > 0 ? mproc__now_ms() + w->current->timeout_ms : -1;
    if (mproc__frame_send(&w->proc.chan, MPROC__FRAME_TASK, w->current->payload, w->current->len) !=
        MPROC_OK)
      mproc__proc_signal(&w->proc, 1); /* its thread sees the end and fails the task */
  }
}

/* TASK: [id, function, mode, body] (see runtime/worker.c). */
static mproc_status task_new(task **out, const char *function, int mode, const mproc_args *body,
                             size_t calls, int64_t timeout_ms, uint64_t id) {
  mproc_args *m = NULL;
  uint8_t *buf = NULL;
  size_t len = 0;
  task *t = calloc(1, sizeof *t);
  mproc_status st = t ? mproc__args_encode(body, &buf, &len) : MPROC_ENOMEM;
  if (st == MPROC_OK && (st = mproc_args_create(&m)) == MPROC_OK) {
    mproc_args_add_i64(m, (int64_t)id);
    mproc_args_add_str(m, function);
    mproc_args_add_i64(m, mode);
    if ((st = mproc_args_add_bytes(m, buf, len)) == MPROC_OK)
      st = mproc__args_encode(m, &t->payload, &t->len);
    mproc_args_destroy(m);
  }
  free(buf);
  if (st != MPROC_OK) {
    free(t);
    return st == MPROC_ENOMEM ? mproc__fail(st, "pool: out of memory") : st;
  }
  t->id = id;
  t->calls = calls;
  t->timeout_ms = timeout_ms;
  *out = t;
  return MPROC_OK;
}

/* Queues @t (pool lock held). */
static void enqueue(mproc_pool *p, task *t) {
  if (p->tail)
    p->tail->next = t;
  else
    p->head = t;
  p->tail = t;
  mproc__pool_dispatch(p);
}

/* ---- the per-worker thread ---- */

/* Worker START args: [initializer, encoded initargs, cancel Event, depth]. */
static mproc_status spawn_worker(mproc_pool *p, worker *w) {
  mproc__child_spec spec;
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
      (st = mproc_args_add_i64(a, mproc__pool_depth() + 1)) == MPROC_OK)
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
  memset(&proc, 0, sizeof proc);
  st = mproc__child_start(&proc, &spec);
  free(buf);
  if (st == MPROC_OK) { /* others read w->proc under the lock */
    apr_thread_mutex_lock(p->lock);
    w->proc = proc;
    apr_thread_mutex_unlock(p->lock);
  }
  return st;
}

/* RESULT: [id, calls, rss_kib, then per call status, message, result]. */
static mproc_status take_result(mproc_pool *p, worker *w, const uint8_t *buf, size_t len) {
  mproc_args *m = NULL;
  task *t = w->current;
  int64_t id = -1, calls = -1, rss, st64;
  size_t i;
  mproc_status st = mproc__args_decode(buf, len, &m);
  if (st == MPROC_OK && (mproc_args_get_i64(m, 0, &id) || mproc_args_get_i64(m, 1, &calls) ||
                         mproc_args_get_i64(m, 2, &rss) || !t || (uint64_t)id != t->id ||
                         (uint64_t)calls != t->calls))
    st = mproc__fail(MPROC_EPROTO, "pool: worker %lld sent a result for no task of its own",
                     (long long)w->proc.pid);
  /* Validate every call before completing any: a half-settled task could not
   * be failed cleanly afterwards. */
  for (i = 0; st == MPROC_OK && i < t->calls; i++) {
    const char *msg;
    const void *res;
    size_t res_len;
    if (mproc_args_get_i64(m, 3 + 3 * i, &st64) || mproc_args_get_str(m, 4 + 3 * i, &msg) ||
        mproc_args_get_bytes(m, 5 + 3 * i, &res, &res_len))
      st = mproc__fail(MPROC_EPROTO, "pool: malformed result from worker %lld",
                       (long long)w->proc.pid);
  }
  for (i = 0; st == MPROC_OK && i < t->calls; i++) {
    const char *msg = "";
    const void *res = NULL;
    size_t res_len = 0;
    mproc_args *result = NULL;
    mproc_args_get_i64(m, 3 + 3 * i, &st64);
    mproc_args_get_str(m, 4 + 3 * i, &msg);
    mproc_args_get_bytes(m, 5 + 3 * i, &res, &res_len);
    if (mproc__args_decode(res, res_len, &result) != MPROC_OK)
      st64 = MPROC_EPROTO; /* this call's result was garbage; the others stand */
    call_complete(p, t, i, (mproc_status)st64, msg, w->proc.pid, 0, result);
  }
  if (m)
    mproc_args_destroy(m);
  if (st != MPROC_OK)
    return st; /* the caller kills the worker; its task fails as crashed */
  task_free(t);
  w->current = NULL;
  w->done++;
  if (w->kill_reason) {
    w->state = W_RETIRING; /* already killed: its end is on the way; never reuse it */
  } else if ((p->opts.max_tasks_per_child && w->done >= p->opts.max_tasks_per_child) ||
             (p->opts.max_memory_kib && rss > 0 && (uint64_t)rss > p->opts.max_memory_kib)) {
    mproc__frame_send(&w->proc.chan, MPROC__FRAME_EXIT, NULL, 0);
    w->state = W_RETIRING; /* replaced when its channel ends */
  } else {
    w->state = W_IDLE;
  }
  return MPROC_OK;
}

/* The channel ended (pool lock held): settle its task, say whether to respawn. */
static int worker_ended(mproc_pool *p, worker *w) {
  char msg[128];
  if (w->current && p->broken) { /* it never ran: the initializer failed */
    task_fail(p, w->current, MPROC_EFAILED, p->broken_msg, w->proc.pid, w->proc.exitcode);
    w->current = NULL;
  } else if (w->current) {
    mproc_status why = w->kill_reason ? w->kill_reason : MPROC_ECRASHED;
    snprintf(msg, sizeof msg, "worker %lld %s (exit code %d)", (long long)w->proc.pid,
             why == MPROC_ETIMEDOUT   ? "killed: task timed out"
             : why == MPROC_ECANCELED ? "killed: task cancelled"
                                      : "died",
             w->proc.exitcode);
    task_fail(p, w->current, why, msg, w->proc.pid, w->proc.exitcode);
    w->current = NULL;
  }
  mproc__proc_release(&w->proc);
  w->spawned = 0;
  w->state = W_RETIRING; /* neither dispatchable nor killable until respawned */
  w->kill_reason = MPROC_OK;
  w->done = 0;
  return !p->broken && (p->state == POOL_OPEN || (p->state == POOL_CLOSED && p->head));
}

static void on_frame(mproc_pool *p, worker *w, uint16_t type, const uint8_t *buf, size_t len) {
  mproc_args *m = NULL;
  const char *msg = "initializer failed";
  if (type == MPROC__FRAME_RESULT && take_result(p, w, buf, len) == MPROC_OK)
    mproc__pool_dispatch(p);
  else if (type == MPROC__FRAME_INITFAIL) {
    if (mproc__args_decode(buf, len, &m) == MPROC_OK)
      mproc_args_get_str(m, 0, &msg);
    p->broken = 1; /* reported once: no respawn loop */
    snprintf(p->broken_msg, sizeof p->broken_msg, "%s", msg);
    mproc__pool_fail_queued(p, MPROC_EFAILED, p->broken_msg);
    if (m)
      mproc_args_destroy(m);
  } else {
    mproc__proc_signal(&w->proc, 1); /* nonsense from a worker: end it */
  }
}

static void *APR_THREAD_FUNC worker_thread(apr_thread_t *thread, void *data) {
  worker *w = data;
  mproc_pool *p = w->pool;
  (void)thread;
  for (;;) {
    uint16_t type;
    uint8_t *buf = NULL;
    size_t len = 0;
    mproc_status st;
    if (!w->spawned) {
      st = spawn_worker(p, w);
      apr_thread_mutex_lock(p->lock);
      w->spawned = st == MPROC_OK;
      w->state = w->spawned ? W_IDLE : W_DEAD;
      if (w->spawned)
        mproc__pool_dispatch(p);
      else
        mproc__pool_fail_queued(p, st, mproc_last_error());
      apr_thread_cond_broadcast(p->changed);
      apr_thread_mutex_unlock(p->lock);
      if (!w->spawned)
        return NULL;
    }
    st = mproc__frame_recv(&w->proc.chan, &type, &buf, &len);
    if (st != MPROC_OK) {
      int again;
      apr_thread_mutex_lock(p->lock);
      w->state = W_ENDING;
      apr_thread_mutex_unlock(p->lock);
      if (st != MPROC_ECLOSED)
        mproc__proc_signal(&w->proc, 1);
      mproc__proc_wait(&w->proc, MPROC_WAIT_FOREVER);
      apr_thread_mutex_lock(p->lock);
      again = worker_ended(p, w);
      if (!again)
        w->state = W_DEAD;
      apr_thread_cond_broadcast(p->changed);
      apr_thread_mutex_unlock(p->lock);
      if (!again)
        return NULL;
      continue;
    }
    apr_thread_mutex_lock(p->lock);
    on_frame(p, w, type, buf, len);
    apr_thread_cond_broadcast(p->changed);
    apr_thread_mutex_unlock(p->lock);
    free(buf);
  }
}

/* ---- the monitor: timeouts, cancellation, grace ---- */

void mproc__pool_cancel_locked(mproc_pool *p) {
  mproc_event_set(p->cancel);
  if (p->cancelling)
    return;
  p->cancelling = 1;
  p->cancel_deadline =
      p->opts.cancel_grace_ms < 0
          ? -1
          : mproc__now_ms() +
                (p->opts.cancel_grace_ms ? p->opts.cancel_grace_ms : MPROC__POOL_DEFAULT_GRACE_MS);
  mproc__pool_fail_queued(p, MPROC_ECANCELED, "cancelled before it started");
  apr_thread_cond_broadcast(p->changed);
}

static void monitor_tick(mproc_pool *p) {
  int64_t now = mproc__now_ms();
  int i, busy = 0;
  if (!p->cancelling && mproc_event_is_set(p->cancel))
    mproc__pool_cancel_locked(p); /* a task cancelled the pool */
  for (i = 0; i < p->nworkers; i++) {
    worker *w = &p->workers[i];
    busy += w->state == W_ENDING && w->current; /* its task is not settled yet */
    if (w->state != W_BUSY)
      continue;
    busy++; /* killed or not, its task is not settled yet */
    if (w->kill_reason)
      continue;
    if (w->deadline >= 0 && now >= w->deadline)
      w->kill_reason = MPROC_ETIMEDOUT;
    else if (p->cancelling && p->cancel_deadline >= 0 && now >= p->cancel_deadline)
      w->kill_reason = MPROC_ECANCELED;
    if (w->kill_reason)
      mproc__proc_signal(&w->proc, 1);
  }
  if (p->cancelling && busy == 0 && !p->stopping && p->state != POOL_TERMINATED) {
    /* Every cancelled task is settled: the pool is usable again. */
    mproc_event_clear(p->cancel);
    p->cancelling = 0;
    mproc__pool_dispatch(p);
  }
}

static void *APR_THREAD_FUNC monitor_thread(apr_thread_t *thread, void *data) {
  mproc_pool *p = data;
  (void)thread;
  apr_thread_mutex_lock(p->lock);
  while (!p->stopping) {
    monitor_tick(p);
    apr_thread_cond_timedwait(p->changed, p->lock, 5000);
  }
  apr_thread_mutex_unlock(p->lock);
  return NULL;
}

/* ---- Ctrl-C ---- */

static mproc_pool *all_pools; /* under mproc__lock() */

static void pools_register(mproc_pool *p, int add) {
  mproc_pool **pp;
  mproc__lock();
  if (add) {
    p->next_pool = all_pools;
    all_pools = p;
  } else {
    for (pp = &all_pools; *pp; pp = &(*pp)->next_pool)
      if (*pp == p) {
        *pp = p->next_pool;
        break;
      }
  }
  mproc__unlock();
}

static int busy_workers(mproc_pool *p) {
  int i, n = 0;
  apr_thread_mutex_lock(p->lock);
  for (i = 0; i < p->nworkers; i++)
    n += p->workers[i].state == W_BUSY;
  apr_thread_mutex_unlock(p->lock);
  return n;
}

/*
 * Ctrl-C in a program with pools: workers (in their own process group) do
 * not see it; the parent cancels every pool, lets running tasks notice within
 * their grace period (the monitors kill stragglers), terminates and reaps the
 * workers, and exits with 130 like an interrupted program, through exit() so
 * that at-exit clean-up removes every name it created.
 */
static void on_interrupt(void) {
  mproc_pool *snapshot[64];
  int n = 0, i;
  int64_t deadline = mproc__now_ms() + MPROC__POOL_DEFAULT_GRACE_MS + 2000;
  mproc_pool *p;
  mproc__lock();
  for (p = all_pools; p && n < 64; p = p->next_pool)
    snapshot[n++] = p;
  mproc__unlock();
  fprintf(stderr, "mproc: interrupted: cancelling %d pool(s)\n", n);
  for (i = 0; i < n; i++)
    mproc_pool_cancel(snapshot[i]);
  for (i = 0; i < n; i++)
    while (busy_workers(snapshot[i]) && mproc__now_ms() < deadline)
      apr_sleep(10000);
  for (i = 0; i < n; i++) {
    mproc_pool_terminate(snapshot[i]);
    mproc_pool_join(snapshot[i], 5000);
  }
  exit(130);
}

/* ---- the public API ---- */

static mproc_status bad(const char *fn, const char *what) {
  return mproc__fail(MPROC_EINVAL, "%s: %s is NULL", fn, what);
}

static mproc_status pool_alloc(mproc_pool **out, const mproc_pool_options *o, int n) {
  mproc_pool *p = calloc(1, sizeof *p);
  mproc_status st = MPROC_OK;
  if (!p || !(p->workers = calloc((size_t)n, sizeof *p->workers)))
    st = mproc__fail(MPROC_ENOMEM, "mproc_pool_create: out of memory");
  else if (apr_pool_create(&p->apool, mproc__apr_pool()) ||
           apr_thread_mutex_create(&p->lock, APR_THREAD_MUTEX_NESTED, p->apool) ||
           apr_thread_cond_create(&p->changed, p->apool))
    st = mproc__fail(MPROC_ENOMEM, "mproc_pool_create: cannot create its lock");
  if (st == MPROC_OK && o) {
    p->opts = *o;
    p->opts.initargs = NULL;
    if (o->initializer && !(p->initializer = mproc__strdup(o->initializer)))
      st = mproc__fail(MPROC_ENOMEM, "mproc_pool_create: out of memory");
  }
  if (st == MPROC_OK)
    st = mproc__args_encode_or_empty(o ? o->initargs : NULL, &p->initargs, &p->initargs_len);
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
  p->nworkers = n;
  p->cancel_deadline = -1;
  *out = p;
  return MPROC_OK;
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
  return MPROC_OK;
}

mproc_status mproc_pool_create(mproc_pool **pool, const mproc_pool_options *options) {
  mproc_pool *p;
  int n, i;
  mproc_status st;
  if (!pool)
    return bad("mproc_pool_create", "pool");
  if (!mproc__is_initialized())
    return mproc__fail(MPROC_ENOTINIT, "mproc_pool_create: call mproc_init() first");
  if ((st = check_options(options, &n)) || (st = futures_init()) ||
      (st = pool_alloc(&p, options, n)))
    return st;
  apr_thread_mutex_lock(p->lock);
  for (i = 0; i < n; i++) {
    worker *w = &p->workers[i];
    w->pool = p;
    w->index = i;
    w->state = W_RETIRING; /* until its thread has spawned it */
    if (apr_thread_create(&w->thread, NULL, worker_thread, w, p->apool) != APR_SUCCESS) {
      w->thread = NULL;
      w->state = W_DEAD;
    }
  }
  if (apr_thread_create(&p->monitor, NULL, monitor_thread, p, p->apool) != APR_SUCCESS)
    p->monitor = NULL;
  apr_thread_mutex_unlock(p->lock);
  *pool = p;
  pools_register(p, 1);
  mproc__interrupt_watch(on_interrupt); /* left alone if the program handles SIGINT */
  if (!p->monitor) {
    mproc_pool_destroy(p);
    return mproc__fail(MPROC_ENOMEM, "mproc_pool_create: cannot start its threads");
  }
  return MPROC_OK;
}

static int all_dead(const mproc_pool *p) {
  int i;
  for (i = 0; i < p->nworkers; i++)
    if (p->workers[i].state != W_DEAD)
      return 0;
  return 1;
}

static mproc_status check_submit(mproc_pool *p, const char *function, const char *fn) {
  if (!p)
    return bad(fn, "pool");
  if (!function)
    return bad(fn, "function");
  if (!mproc__registry_find(function))
    return mproc__fail(MPROC_ENOFUNC, "%s: \"%s\" is not registered", fn, function);
  if (p->state != POOL_OPEN)
    return mproc__fail(MPROC_ESTATE, "%s: the pool is closed", fn);
  if (p->broken)
    return mproc__fail(MPROC_EFAILED, "%s: %s", fn, p->broken_msg);
  if (all_dead(p))
    return mproc__fail(MPROC_ESTATE, "%s: no worker could be started", fn);
  return MPROC_OK;
}

mproc_status mproc_pool_submit(mproc_pool *p, mproc_future **future, const char *function,
                               const mproc_args *args, const mproc_task_options *options) {
  mproc_future *f;
  mproc_args *empty = NULL;
  task *t = NULL;
  mproc_status st;
  if (!future || !p)
    return bad("mproc_pool_submit", future ? "pool" : "future");
  apr_thread_mutex_lock(p->lock);
  st = check_submit(p, function, "mproc_pool_submit");
  if (st == MPROC_OK && !args)
    st = mproc_args_create(&empty);
  if (st == MPROC_OK)
    st =
        task_new(&t, function, 0, args ? args : empty, 1,
                 options && options->timeout_ms > 0 ? options->timeout_ms : p->opts.task_timeout_ms,
                 ++p->next_id);
  if (st == MPROC_OK && !(f = calloc(1, sizeof *f))) {
    task_free(t);
    st = mproc__fail(MPROC_ENOMEM, "mproc_pool_submit: out of memory");
  }
  if (st == MPROC_OK) {
    f->refs = 2;
    if (options)
      f->opts = *options;
    t->future = f;
    *future = f;
    enqueue(p, t);
  }
  apr_thread_mutex_unlock(p->lock);
  if (empty)
    mproc_args_destroy(empty);
  return st;
}

mproc_status mproc_pool_apply(mproc_pool *p, const char *function, const mproc_args *args,
                              mproc_args **result) {
  mproc_future *f = NULL;
  const mproc_args *r = NULL;
  mproc_status st = mproc_pool_submit(p, &f, function, args, NULL);
  if (st != MPROC_OK)
    return st;
  st = mproc_future_get(f, MPROC_WAIT_FOREVER, &r);
  if (result) {
    *result = NULL;
    if (r)
      mproc__args_copy(r, result);
  }
  mproc_future_destroy(f);
  return st;
}

/* Queues the chunks of a map (pool lock held); on failure nothing is queued. */
static mproc_status queue_chunks(mproc_pool *p, const char *function, const mproc_args *items,
                                 size_t n, size_t chunk, mapjob *job) {
  task *first = NULL, *last = NULL, *t;
  size_t at;
  mproc_status st = MPROC_OK;
  for (at = 0; at < n && st == MPROC_OK; at += chunk) {
    size_t k = n - at < chunk ? n - at : chunk;
    mproc_args *body = NULL;
    st = mproc__args_slice(items, at, k, &body);
    if (st == MPROC_OK)
      st = task_new(&t, function, 1, body, k, p->opts.task_timeout_ms, ++p->next_id);
    if (body)
      mproc_args_destroy(body);
    if (st != MPROC_OK)
      break;
    t->map = job;
    t->first = at;
    if (last)
      last->next = t;
    else
      first = t;
    last = t;
  }
  if (st != MPROC_OK) {
    while (first) {
      t = first->next;
      task_free(first);
      first = t;
    }
    return st;
  }
  for (t = first; t; t = first) {
    first = t->next;
    t->next = NULL;
    enqueue(p, t);
  }
  return MPROC_OK;
}

/* Gathers a finished map: the first value of each item's result, in order. */
static mproc_status gather(mapjob *job, mproc_args **results, mproc_status *statuses) {
  mproc_status st = MPROC_OK, first_bad = MPROC_OK;
  size_t i;
  if (results)
    st = mproc_args_create(results);
  for (i = 0; i < job->n; i++) {
    if (statuses)
      statuses[i] = job->statuses[i];
    if (first_bad == MPROC_OK && job->statuses[i] != MPROC_OK) {
      first_bad = job->statuses[i];
      mproc__fail(first_bad, "mproc_pool_map: item %zu: %s", i, mproc_strerror(first_bad));
    }
    if (results && st == MPROC_OK)
      st = mproc__args_append_first(*results, job->results[i]);
    if (job->results[i])
      mproc_args_destroy(job->results[i]);
  }
  return st != MPROC_OK ? st : first_bad;
}

mproc_status mproc_pool_map(mproc_pool *p, const char *function, const mproc_args *items,
                            size_t chunksize, mproc_args **results, mproc_status *statuses) {
  mapjob job;
  size_t n = 0;
  mproc_status st;
  if (!p || !items)
    return bad("mproc_pool_map", p ? "items" : "pool");
  mproc_args_count(items, &n);
  memset(&job, 0, sizeof job);
  job.n = job.remaining = n;
  job.done = n == 0;
  job.statuses = calloc(n ? n : 1, sizeof *job.statuses);
  job.results = calloc(n ? n : 1, sizeof *job.results);
  if (!job.statuses || !job.results) {
    free(job.statuses);
    free(job.results);
    return mproc__fail(MPROC_ENOMEM, "mproc_pool_map: out of memory for %zu items", n);
  }
  if (chunksize == 0) /* Python's default: about four chunks per worker */
    chunksize = (n + 4 * (size_t)p->nworkers - 1) / (4 * (size_t)p->nworkers);
  if (chunksize == 0)
    chunksize = 1;
  apr_thread_mutex_lock(p->lock);
  st = check_submit(p, function, "mproc_pool_map");
  if (st == MPROC_OK)
    st = queue_chunks(p, function, items, n, chunksize, &job);
  apr_thread_mutex_unlock(p->lock);
  if (st == MPROC_OK) {
    wait_done(&job.done, MPROC_WAIT_FOREVER);
    st = gather(&job, results, statuses);
  }
  free(job.statuses);
  free(job.results);
  return st;
}

mproc_status mproc_pool_cancel(mproc_pool *p) {
  if (!p)
    return bad("mproc_pool_cancel", "pool");
  apr_thread_mutex_lock(p->lock);
  mproc__pool_cancel_locked(p);
  apr_thread_mutex_unlock(p->lock);
  return MPROC_OK;
}

mproc_status mproc_pool_close(mproc_pool *p) {
  if (!p)
    return bad("mproc_pool_close", "pool");
  apr_thread_mutex_lock(p->lock);
  if (p->state == POOL_OPEN)
    p->state = POOL_CLOSED;
  mproc__pool_dispatch(p); /* idle workers retire now */
  apr_thread_mutex_unlock(p->lock);
  return MPROC_OK;
}

mproc_status mproc_pool_terminate(mproc_pool *p) {
  int i;
  if (!p)
    return bad("mproc_pool_terminate", "pool");
  apr_thread_mutex_lock(p->lock);
  p->state = POOL_TERMINATED;
  mproc_event_set(p->cancel);
  mproc__pool_fail_queued(p, MPROC_ECANCELED, "the pool was terminated");
  for (i = 0; i < p->nworkers; i++) {
    worker *w = &p->workers[i];
    if (w->spawned && w->state != W_DEAD && w->state != W_ENDING) {
      if (!w->kill_reason)
        w->kill_reason = MPROC_ECANCELED;
      mproc__proc_signal(&w->proc, 1);
    }
  }
  apr_thread_cond_broadcast(p->changed);
  apr_thread_mutex_unlock(p->lock);
  return MPROC_OK;
}

mproc_status mproc_pool_join(mproc_pool *p, int64_t timeout_ms) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = MPROC_OK;
  if (!p)
    return bad("mproc_pool_join", "pool");
  apr_thread_mutex_lock(p->lock);
  if (p->state == POOL_OPEN)
    st = mproc__fail(MPROC_ESTATE, "mproc_pool_join: close or terminate the pool first");
  while (st == MPROC_OK && !all_dead(p)) {
    int64_t left = mproc__remaining(deadline);
    if (left == 0)
      st = MPROC_ETIMEDOUT;
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
  if (!p)
    return bad("mproc_pool_destroy", "pool");
  pools_register(p, 0);
  if (p->state == POOL_OPEN)
    mproc_pool_terminate(p);
  mproc_pool_join(p, MPROC_WAIT_FOREVER);
  apr_thread_mutex_lock(p->lock);
  p->stopping = 1;
  apr_thread_cond_broadcast(p->changed);
  apr_thread_mutex_unlock(p->lock);
  for (i = 0; i < p->nworkers; i++)
    if (p->workers[i].thread)
      apr_thread_join(&ignored, p->workers[i].thread);
  if (p->monitor)
    apr_thread_join(&ignored, p->monitor);
  mproc__pool_fail_queued(p, MPROC_ECANCELED, "the pool was destroyed");
  mproc_event_destroy(p->cancel);
  apr_pool_destroy(p->apool);
  free(p->workers);
  free(p->initializer);
  free(p->initargs);
  free(p);
  return MPROC_OK;
}

/* ---- futures, public ---- */

mproc_status mproc_future_wait(mproc_future *f, int64_t timeout_ms) {
  if (!f)
    return bad("mproc_future_wait", "future");
  return wait_done(&f->done, timeout_ms);
}

mproc_status mproc_future_get(mproc_future *f, int64_t timeout_ms, const mproc_args **result) {
  mproc_status st = mproc_future_wait(f, timeout_ms);
  if (st != MPROC_OK)
    return st;
  if (result)
    *result = f->result;
  if (f->info.status != MPROC_OK)
    mproc__fail(f->info.status, "task: %s", f->message);
  return f->info.status;
}

int mproc_future_done(const mproc_future *f) { return f && f->done; }

mproc_status mproc_future_info(const mproc_future *f, mproc_task_info *info) {
  if (!f || !info)
    return bad("mproc_future_info", f ? "info" : "future");
  if (!f->done)
    return mproc__fail(MPROC_ESTATE, "mproc_future_info: the task is not done");
  *info = f->info;
  info->message = f->message;
  return MPROC_OK;
}

mproc_status mproc_future_destroy(mproc_future *f) {
  if (!f)
    return bad("mproc_future_destroy", "future");
  future_release(f);
  return MPROC_OK;
}
