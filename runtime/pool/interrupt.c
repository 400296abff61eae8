/*
 * Ending signals (Ctrl-C, SIGTERM...): every live pool is registered here,
 * and when the process is asked to end (bootstrap.c watches the signals)
 * every pool is cancelled, its running tasks get their grace, and its
 * workers are terminated and reaped, before the process ends.
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

static mproc_pool *all_pools; /* under mproc__lock() */
/* Set (under mproc__lock(), never cleared) once an interrupt is being
 * handled: the handler works on the pools it found registered, so none of
 * them may be freed until it ends the process. Atomic: pools read it under
 * their own lock, which mproc__lock() must not nest in. */
static volatile uint32_t interrupting;

static int busy_workers(mproc_pool *p) {
  int i, n = 0;
  apr_thread_mutex_lock(p->lock);
  for (i = 0; i < p->nworkers; i++)
    n += p->workers[i].state == MPROC__W_BUSY;
  apr_thread_mutex_unlock(p->lock);
  return n;
}

/*
 * Workers (in their own process group) do not see a terminal's Ctrl-C: the
 * parent cancels every pool, lets running tasks notice within their grace
 * period (the monitors kill stragglers), then terminates and reaps the
 * workers; the caller then ends the process.
 */
void mproc__pools_interrupted(void) {
  mproc_pool *snapshot[64];
  int n = 0, i;
  int64_t deadline = mproc__now_ms() + MPROC__POOL_DEFAULT_GRACE_MS + 2000;
  mproc_pool *p;
  mproc__lock();
  mproc__store32(&interrupting, 1);
  for (p = all_pools; p && n < 64; p = p->next_pool)
    snapshot[n++] = p;
  mproc__unlock();
  if (n)
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
}

int mproc__pools_interrupting(void) { return mproc__load32(&interrupting) != 0; }

void mproc__interrupt_register(mproc_pool *p, int add) {
  mproc_pool **pp;
  mproc__lock();
  /* A pool being destroyed during an interrupt waits for the handler, which
   * ends the process: the program's own reaction to the cancellation (destroy
   * the pool when its map returns MPROC_ECANCELED) must not free a pool the
   * handler is cancelling. */
  while (!add && mproc__load32(&interrupting)) {
    mproc__unlock();
    apr_sleep(10000);
    mproc__lock();
  }
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
