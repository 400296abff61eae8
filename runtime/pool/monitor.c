/*
 * The pool's monitor thread: task timeouts, and the grace period after a
 * cancellation, after which tasks still running are killed.
 *
 * It starts only when a task with a timeout starts or a cancellation begins:
 * a pool that uses neither has no thread that wakes on its own (and starts a
 * little faster). Once started it sleeps until the next deadline, not on a
 * tick: a pool with a default timeout and idle workers costs no wake-ups.
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

static void *APR_THREAD_FUNC monitor_thread(apr_thread_t *thread, void *data);

/* Starts the monitor unless it runs (pool lock held). Zero if it cannot be
 * started: the pool is then broken, since it could neither time a task nor
 * end a cancellation (rare: the OS refused a thread). */
int mproc__monitor_start(mproc_pool *p) {
  if (p->monitor || p->stopping)
    return p->monitor != NULL;
  if (apr_thread_create(&p->monitor, NULL, monitor_thread, p, p->apool) == APR_SUCCESS)
    return 1;
  p->monitor = NULL;
  if (!p->broken) {
    p->broken = MPROC__POOL_BROKEN_MONITOR;
    snprintf(p->broken_msg, sizeof p->broken_msg, "cannot start the pool's monitor thread");
    mproc__pool_fail_queued(p, MPROC_ENOMEM, p->broken_msg);
  }
  return 0;
}

void mproc__pool_cancel_locked(mproc_pool *p) {
  mproc__pool_cancel_flag(p, 1);
  if (p->cancelling)
    return;
  mproc__monitor_start(p); /* it kills stragglers after the grace and ends the cancellation */
  p->cancelling = 1;
  p->cancels++;
  p->cancel_deadline = mproc__deadline(p->opts.cancel_grace_ms ? p->opts.cancel_grace_ms
                                                               : MPROC__POOL_DEFAULT_GRACE_MS);
  mproc__pool_fail_queued(p, MPROC_ECANCELED, "cancelled before it started");
  apr_thread_cond_broadcast(p->changed);
}

/* The monitor looks at least this often (ms) even with nothing to time: a
 * net under the rule that whatever brings a deadline nearer, or may end a
 * cancellation, broadcasts p->changed. */
#define MONITOR_NAP_MS 1000

static int64_t earlier(int64_t a, int64_t b) { return a < 0 || (b >= 0 && b < a) ? b : a; }

/* Kills what is past its deadline and ends a settled cancellation. */
static void monitor_tick(mproc_pool *p) {
  int64_t now = mproc__now_ms();
  int i, busy = 0;
  if (!p->cancelling && mproc_event_is_set(p->cancel))
    mproc__pool_cancel_locked(p); /* a task cancelled the pool */
  for (i = 0; i < p->nworkers; i++) {
    mproc__worker *w = &p->workers[i];
    busy += w->state == MPROC__W_ENDING && w->current; /* its task is not settled yet */
    if (w->state != MPROC__W_BUSY)
      continue;
    busy++; /* killed or not, its task is not settled yet */
    if (w->kill_reason)
      continue;
    if (w->deadline >= 0 && now >= w->deadline)
      w->kill_reason = MPROC_ETIMEDOUT;
    else if (p->cancelling && p->cancel_deadline >= 0 && now >= p->cancel_deadline)
      w->kill_reason = MPROC_ECANCELED;
    if (w->kill_reason)
      mproc__worker_signal(w, 1);
  }
  if (p->cancelling && busy == 0 && !p->stopping && p->state != MPROC__POOL_TERMINATED) {
    /* Every cancelled task is settled: the pool is usable again. */
    mproc__pool_cancel_flag(p, 0);
    p->cancelling = 0;
    mproc__pool_dispatch(p);
  }
}

/* The next time a running task is to be killed (ms, -1: none). */
static int64_t next_deadline(const mproc_pool *p) {
  int64_t next = -1;
  int i, busy = 0;
  for (i = 0; i < p->nworkers; i++) {
    const mproc__worker *w = &p->workers[i];
    if (w->state != MPROC__W_BUSY || w->kill_reason)
      continue;
    next = earlier(next, w->deadline);
    busy = 1;
  }
  return busy && p->cancelling ? earlier(next, p->cancel_deadline) : next;
}

static void *APR_THREAD_FUNC monitor_thread(apr_thread_t *thread, void *data) {
  mproc_pool *p = data;
  (void)thread;
  apr_thread_mutex_lock(p->lock);
  while (!p->stopping) {
    int64_t next, now, nap = MONITOR_NAP_MS;
    monitor_tick(p);
    next = next_deadline(p);
    now = mproc__now_ms();
    if (next >= 0 && next - now < nap)
      nap = next > now ? next - now : 1;
    p->monitor_wake = now + nap;
    apr_thread_cond_timedwait(p->changed, p->lock, apr_time_from_msec(nap));
  }
  apr_thread_mutex_unlock(p->lock);
  return NULL;
}
