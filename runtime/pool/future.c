/*
 * Futures (Python's AsyncResult) and the task outcomes they are made from.
 *
 * Every future and map waits on one process-wide mutex and condition, so
 * that they stay valid after their pool is destroyed; a completion
 * broadcasts, and each waiter re-checks its own state. A completion also
 * bumps a counter that a waiter spins on (unlocked, MPROC__SPIN_US at most,
 * and only while waits have been that short) before it sleeps: a short task's
 * result then costs no wake-up of the waiting thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic.h"
#include "shared/object.h"
#include "core/core.h"
#include "pool/pool.h"
#include "process/process.h"
#include "wire/args.h" /* the per-call path: see there */
#include "wire/frame.h"

static apr_thread_mutex_t *flock;
static apr_thread_cond_t *fcond;
static volatile uint32_t completions;  /* bumped under flock by every broadcast */
static volatile uint64_t last_wait_us; /* how long the latest wait took (any thread) */
static int never_spin;                 /* MPROC_POOL_DISABLE has "spin" (set with flock) */

mproc_status mproc__futures_init(void) {
  mproc_status st = MPROC_OK;
  unsigned fast;
  mproc__lock();
  if (!flock && mproc__fast_paths(&fast) == MPROC_OK)
    never_spin = !(fast & MPROC__FAST_SPIN);
  if (!flock && (apr_thread_mutex_create(&flock, APR_THREAD_MUTEX_DEFAULT, mproc__apr_pool()) ||
                 apr_thread_cond_create(&fcond, mproc__apr_pool())))
    st = mproc__fail(MPROC_ENOMEM, "pool: cannot create the futures' lock");
  mproc__unlock();
  return st;
}

void mproc__futures_lock(void) { apr_thread_mutex_lock(flock); }
void mproc__futures_unlock(void) { apr_thread_mutex_unlock(flock); }
void mproc__futures_broadcast(void) {
  mproc__add32(&completions, 1);
  apr_thread_cond_broadcast(fcond);
}

static int completed_since(const void *seen) {
  return mproc__load32(&completions) != *(const uint32_t *)seen;
}

/* Futures' lock held, and held again on return. Spins unlocked until a
 * completion; non-zero if one came. A completion after the spin cannot be
 * missed: it bumps the counter under the lock, which is checked again. */
static int spin_for_completion(uint32_t seen, int64_t start) {
  apr_thread_mutex_unlock(flock);
  mproc__spin_until(completed_since, &seen, start);
  apr_thread_mutex_lock(flock);
  return completed_since(&seen);
}

mproc_status mproc__futures_wait(int64_t deadline) {
  int64_t left = mproc__remaining(deadline), start = mproc__now_us();
  uint32_t seen = mproc__load32(&completions);
  if (left == 0)
    return MPROC_ETIMEDOUT;
  if (never_spin || mproc__load64(&last_wait_us) > (uint64_t)MPROC__SPIN_AGAIN_US ||
      !spin_for_completion(seen, start)) {
    if (left < 0)
      apr_thread_cond_wait(fcond, flock);
    else
      apr_thread_cond_timedwait(fcond, flock, (apr_interval_time_t)left * 1000);
  }
  mproc__store64(&last_wait_us, (uint64_t)(mproc__now_us() - start));
  return MPROC_OK;
}

mproc__outcome *mproc__outcome_new(size_t calls) {
  mproc__outcome *o = calloc(1, sizeof *o);
  if (o)
    o->calls = calls;
  return o;
}

void mproc__outcome_fail(mproc__outcome *o, mproc_status st, const char *msg) {
  if (msg)
    snprintf(o->text, sizeof o->text, "%s", msg);
  o->whole = st;
  if (o->values)
    mproc_args_destroy(o->values);
  o->values = NULL;
  free(o->call);
  o->call = NULL;
}

mproc__call mproc__outcome_call(const mproc__outcome *o, size_t i) {
  mproc__call c;
  if (o->call)
    return o->call[i];
  c.status = o->whole;
  c.at = o->whole ? 0 : i;
  c.n = o->whole ? 0 : 1;
  c.message = o->whole ? o->text : "";
  return c;
}

int mproc__outcome_plain(const mproc__outcome *o) { return !o->whole && !o->call && o->values; }

void mproc__outcome_free(mproc__outcome *o) {
  if (!o)
    return;
  if (o->values)
    mproc_args_destroy(o->values);
  free(o->call);
  free(o);
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

void mproc__future_settle(mproc_future *f, const mproc__outcome *o) {
  mproc__call call = mproc__outcome_call(o, 0);
  const mproc__call *c = &call;
  mproc_args *result = NULL;
  if (o->values && mproc__args_slice(o->values, c->at, c->n, &result) != MPROC_OK)
    result = NULL; /* out of memory: the status stands, the values are lost */
  apr_thread_mutex_lock(flock);
  f->info.status = c->status;
  f->info.pid = o->pid;
  f->info.exitcode = o->exitcode;
  snprintf(f->message, sizeof f->message, "%s", c->message ? c->message : "");
  f->result = result;
  f->callback_thread = mproc__thread_id();
  mproc__store32(&f->settled, 1);
  apr_thread_mutex_unlock(flock);
  /* As Python's: the callback has returned before the future is done, so
   * a caller that saw it done sees the callback's effects too. */
  if (c->status == MPROC_OK && f->opts.callback)
    f->opts.callback(f, f->opts.user);
  else if (c->status != MPROC_OK && f->opts.error_callback)
    f->opts.error_callback(f, f->opts.user);
  apr_thread_mutex_lock(flock);
  mproc__store32(&f->done, 1);
  mproc__futures_broadcast();
  apr_thread_mutex_unlock(flock);
  future_release(f); /* the pool's reference */
}

/* Done, or settled and asked by its own callback (which may read it). */
static int done_for_caller(const mproc_future *f) {
  return mproc__load32(&f->done) ||
         (mproc__load32(&f->settled) && f->callback_thread == mproc__thread_id());
}

static mproc_status wait_done(const mproc_future *f, int64_t timeout_ms, const char *fn) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = MPROC_OK;
  apr_thread_mutex_lock(flock);
  while (!done_for_caller(f) && st == MPROC_OK)
    st = mproc__futures_wait(deadline);
  apr_thread_mutex_unlock(flock);
  if (st == MPROC_ETIMEDOUT)
    mproc__fail(st, "%s: the task is not done after %lld ms", fn, (long long)timeout_ms);
  return st;
}

mproc_status mproc_pool_submit(mproc_pool *p, mproc_future **future, const char *function,
                               const mproc_args *args, const mproc_task_options *options) {
  mproc__submit sub = {.mode = MPROC__TASK_CALL};
  mproc_future *f;
  size_t n = 0;
  mproc_status st;
  if (!future || !p)
    return mproc__pool_bad("mproc_pool_submit", future ? "pool" : "future");
  if ((st = MPROC__CHECK_RESERVED(options, "mproc_pool_submit", "options")) != MPROC_OK)
    return st;
  if ((st = mproc__futures_init()) != MPROC_OK)
    return st;
  if ((f = calloc(1, sizeof *f)) == NULL)
    return mproc__fail(MPROC_ENOMEM, "mproc_pool_submit: out of memory");
  f->refs = 2;
  if (options)
    f->opts = *options;
  if (args)
    mproc_args_count(args, &n);
  sub.function = function;
  sub.mode = MPROC__TASK_CALL;
  sub.body = args;
  sub.n = n;
  sub.calls = 1;
  sub.timeout_ms = options ? options->timeout_ms : 0;
  sub.future = f;
  st = mproc__pool_queue(p, &sub, "mproc_pool_submit");
  if (st != MPROC_OK) {
    free(f);
    return st;
  }
  *future = f;
  return MPROC_OK;
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
    mproc_status copied = MPROC_OK;
    *result = NULL;
    if (r)
      copied = mproc__args_copy(r, result);
    if (copied != MPROC_OK && st == MPROC_OK)
      st = copied; /* the caller asked for the values: losing them is a failure */
  }
  mproc_future_destroy(f);
  return st;
}

mproc_status mproc_future_wait(mproc_future *f, int64_t timeout_ms) {
  if (!f)
    return mproc__pool_bad("mproc_future_wait", "future");
  return wait_done(f, timeout_ms, "mproc_future_wait");
}

mproc_status mproc_future_get(mproc_future *f, int64_t timeout_ms, const mproc_args **result) {
  mproc_status st;
  if (!f)
    return mproc__pool_bad("mproc_future_get", "future");
  st = wait_done(f, timeout_ms, "mproc_future_get");
  if (st != MPROC_OK)
    return st;
  if (result)
    *result = f->result;
  if (f->info.status != MPROC_OK)
    mproc__fail(f->info.status, "task: %s", f->message);
  return f->info.status;
}

int mproc_future_done(const mproc_future *f) { return f && done_for_caller(f); }

mproc_status mproc_future_info(const mproc_future *f, mproc_task_info *info) {
  if (!f || !info)
    return mproc__pool_bad("mproc_future_info", f ? "info" : "future");
  if (!done_for_caller(f))
    return mproc__fail(MPROC_ESTATE, "mproc_future_info: the task is not done");
  *info = f->info;
  info->message = f->message;
  return MPROC_OK;
}

mproc_status mproc_future_destroy(mproc_future *f) {
  if (!f)
    return mproc__pool_bad("mproc_future_destroy", "future");
  future_release(f);
  return MPROC_OK;
}
