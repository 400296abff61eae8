/*
 * Dispatch: which worker runs which task, and the fast paths around it.
 *
 * Sections: sending to a worker (frames, lanes for large tasks); pipelining
 * and claims (a busy worker's short tasks queued behind its current one, and
 * taking them back for an idle worker); mailboxes; starting a task; the
 * dispatch loop. Everything here runs under the pool's lock.
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

/* Sends a frame to @w; a send that fails ends the worker (its channel may
 * hold part of the frame), whose thread then fails its tasks. */
int mproc__worker_send(mproc__worker *w, uint16_t type, const uint8_t *buf, size_t len) {
  if (mproc__mbox_send(&w->mbox.tx, &w->proc.chan, type, buf, len) == MPROC_OK)
    return 1;
  mproc__worker_signal(w, 1);
  return 0;
}

/* Sends @w a frame of @type that passes it @first and @second (NULL: none),
 * shared segments made for it (LANES, MBOX); zero if it could not. */
static int send_shms(mproc__worker *w, uint16_t type, mproc_shm *first, mproc_shm *second) {
  mproc_args *a = NULL;
  uint8_t *buf = NULL;
  size_t len = 0;
  int sent = mproc_args_create(&a) == MPROC_OK && mproc_args_add_shm(a, first) == MPROC_OK &&
             (!second || mproc_args_add_shm(a, second) == MPROC_OK) &&
             mproc__args_encode(a, &buf, &len) == MPROC_OK && mproc__worker_send(w, type, buf, len);
  free(buf);
  if (a)
    mproc_args_destroy(a);
  return sent;
}

/* The worker has lanes for a payload of @need bytes and was sent them; 0:
 * a large frame takes the channel. Lanes are as large as the largest task
 * sent so far, rounded up (the results are sized as the tasks), made again
 * larger when a task needs it. Called only for a worker that is idle (large
 * tasks are never pipelined): the LANES frame joins no queue, and neither
 * the worker nor its reader thread is using a lane. */
#define LANE_ROUND (256u << 10)
static int lanes_ready(mproc__worker *w, size_t need) {
  size_t cap = (need + LANE_ROUND - 1) / LANE_ROUND * LANE_ROUND;
  int i;
  if (!(w->pool->fast & MPROC__FAST_LANES))
    w->lanes = -1;
  if (w->lanes < 0 || (w->lanes > 0 && w->lane[0].cap >= need))
    return w->lanes > 0;
  if (cap > MPROC__LANE_MAX)
    return 0;
  w->lanes = 0; /* until they are made and sent */
  for (i = 0; i < 2; i++) {
    if (w->lane[i].shm && w->lane[i].cap >= cap)
      continue;
    mproc__lane_drop(&w->lane[i]);
    if (mproc__lane_create(&w->lane[i], cap) != MPROC_OK) {
      mproc__lane_drop(&w->lane[0]); /* no room for them: this worker's frames take */
      mproc__lane_drop(&w->lane[1]); /* its channel, and nothing is held for them */
      w->lanes = -1;
      return 0;
    }
  }
  if (send_shms(w, MPROC__FRAME_LANES, w->lane[0].shm, w->lane[1].shm))
    w->lanes = 1; /* else: tried again (the worker is ended if the send failed) */
  return w->lanes > 0;
}

static void send_task(mproc__worker *w, mproc__task *t) {
  mproc__args_patch_i64(t->payload, t->slot_at, t->slot);
  if (t->len >= MPROC__LANE_MIN && lanes_ready(w, t->len) &&
      mproc__lane_put(&w->lane[0], t->payload, t->len))
    mproc__worker_send(w, MPROC__FRAME_TASK_LANE, NULL, 0);
  else
    mproc__worker_send(w, MPROC__FRAME_TASK, t->payload, t->len);
}

/*
 * Pipelining: a busy worker whose tasks are short gets the next task before
 * it has finished its current one, so that it never waits a round trip for
 * work (a map with chunksize 1). Only where nothing can go wrong with a
 * task that is in the worker but not started: no timeout to time, no memory
 * or task limit that could retire the worker, no cancel-on-error, no
 * cancellation under way (the worker itself skips a call once the pool is
 * cancelled). Only for short tasks, so long ones stay balanced across the
 * workers: a task queued behind a long one could not be taken by an idle
 * worker.
 */
#define PIPELINE_BELOW_US 1000
#define PIPELINE_DEPTH 8  /* tasks queued in a worker behind the one it runs */
#define PIPELINE_REFILL 4 /* ... topped up once it runs down to this many */
/* A send to a busy worker must never block: it holds the pool lock, and the
 * worker may itself be blocked writing a large result that the thread
 * waiting for that lock would read (a deadlock). So the frames queued in a
 * worker stay within the smallest channel buffer of any OS (macOS: 8 KiB). */
#define PIPELINE_MAX_BYTES 4096

/*
 * Taking back: a pipelined task has not started, so an idle worker must
 * still be able to run it; otherwise it would wait behind a long task while
 * a worker idles, forever if that task waits for it (tasks that wait for one
 * another run on a Python Pool as long as there are workers for them). Each
 * pipelined task owns a claim word in shared memory that holds its id: the
 * worker swaps it to 0 before it starts the task, the pool swaps it to 0 to
 * take the task back, and whoever swaps first has it. A worker skips a task
 * taken back and sends nothing for it; the pool leaves a "ghost" (the
 * frame's size) in that worker's queue until the worker is past it, so that
 * what a channel holds is still counted exactly. The claim words are made
 * at the first pipelined task and sent to each worker once, in a CLAIMS
 * frame (counted as a ghost too).
 */
#define CLAIM_SLOTS 16 /* per worker: its queued tasks and the one it may be starting */

static volatile uint64_t *claim_word(const mproc_pool *p, int slot) {
  return (volatile uint64_t *)mproc_array_data(p->claims) + slot;
}

static void append_queued(mproc__worker *w, mproc__task *t) {
  mproc__task **end = &w->queued;
  while (*end)
    end = &(*end)->next;
  *end = t;
  w->nqueued++;
  w->queued_bytes += t->len + MPROC__FRAME_HEADER;
}

mproc__task *mproc__worker_pop_queued(mproc__worker *w) {
  mproc__task *t = w->queued;
  w->queued = t->next;
  t->next = NULL;
  w->nqueued--;
  w->queued_bytes -= t->len + MPROC__FRAME_HEADER;
  return t;
}

static mproc__task *ghost_of(size_t len) {
  mproc__task *g = calloc(1, sizeof *g);
  if (g) {
    g->ghost = 1;
    g->len = len;
    g->slot = -1;
  }
  return g;
}

/* Makes the claim words and the CLAIMS frame every worker is sent. */
static int make_claims(mproc_pool *p) {
  mproc_args *a = NULL;
  int ok = mproc_array_create(&p->claims, MPROC_ELEM_I64, (size_t)p->nworkers * CLAIM_SLOTS,
                              NULL) == MPROC_OK &&
           mproc_args_create(&a) == MPROC_OK && mproc_args_add_array(a, p->claims) == MPROC_OK &&
           mproc__args_encode(a, &p->claims_frame, &p->claims_len) == MPROC_OK;
  if (a)
    mproc_args_destroy(a);
  if (!ok && p->claims) {
    mproc_array_destroy(p->claims);
    p->claims = NULL;
  }
  return ok;
}

/* The claim words exist and @w was sent them (pool lock held); 0: it cannot
 * be given pipelined tasks. */
static int claims_ready(mproc_pool *p, mproc__worker *w) {
  mproc__task *g;
  if (!p->claims && !make_claims(p))
    return 0;
  if (w->has_claims)
    return 1;
  if (w->queued_bytes + p->claims_len + MPROC__FRAME_HEADER > PIPELINE_MAX_BYTES ||
      (g = ghost_of(p->claims_len)) == NULL)
    return 0;
  if (!mproc__worker_send(w, MPROC__FRAME_CLAIMS, p->claims_frame, p->claims_len)) {
    free(g);
    return 0;
  }
  append_queued(w, g);
  w->has_claims = 1;
  return 1;
}

/* A claim word of @w that none of its tasks holds (the current one holds
 * its word until its result comes: the worker may not have swapped it yet),
 * or -1. */
static int free_slot(const mproc__worker *w) {
  int slot;
  for (slot = w->index * CLAIM_SLOTS; slot < (w->index + 1) * CLAIM_SLOTS; slot++) {
    const mproc__task *t = w->current;
    int used = t && t->slot == slot;
    for (t = w->queued; t && !used; t = t->next)
      used = t->slot == slot;
    if (!used)
      return slot;
  }
  return -1;
}

/* Takes back the last task queued behind a busy worker's current one, if
 * that worker has not started it (pool lock held). */
mproc__task *mproc__pool_take_back(mproc_pool *p) {
  mproc__worker *v = NULL;
  mproc__task **tp, **last = NULL, *t, *g;
  int i;
  for (i = 0; i < p->nworkers; i++) { /* the busy worker with the most queued */
    mproc__worker *x = &p->workers[i];
    mproc__task **xl = NULL;
    for (tp = &x->queued; x->state == MPROC__W_BUSY && *tp; tp = &(*tp)->next)
      if (!(*tp)->ghost)
        xl = tp;
    if (xl && (!v || x->nqueued > v->nqueued)) {
      v = x;
      last = xl;
    }
  }
  if (!v || (g = ghost_of((*last)->len)) == NULL)
    return NULL;
  t = *last;
  if (!mproc__cas64(claim_word(p, t->slot), t->id, 0)) { /* it started: all before it too */
    free(g);
    return NULL;
  }
  g->next = t->next; /* the ghost takes its place: same bytes in the channel */
  *last = g;
  t->next = NULL;
  t->slot = -1;
  return t;
}

/*
 * May a busy worker run ahead of the parent's bookkeeping (be given work
 * before its current task is settled)? Only when nothing a result can say
 * changes what happens next: no memory limit to check, no cancel-on-error,
 * not killed, and no cancellation under way (a task that runs ahead no longer
 * counts as busy for the monitor, which could end the cancellation before the
 * calls that failed because of it are settled as cancelled).
 */
int mproc__worker_may_run_ahead(const mproc_pool *p, const mproc__worker *w) {
  return (p->fast & MPROC__FAST_PIPELINE) && w->state == MPROC__W_BUSY && !w->kill_reason &&
         !p->opts.max_memory_kib && !p->opts.cancel_on_error && !p->cancelling &&
         !mproc_event_is_set(p->cancel);
}

static int can_pipeline(const mproc_pool *p, const mproc__worker *w) {
  if (!p->head)
    return 0;
  return mproc__worker_may_run_ahead(p, w) && !p->opts.max_tasks_per_child &&
         w->nqueued < PIPELINE_DEPTH &&
         w->queued_bytes + p->head->len + MPROC__FRAME_HEADER <= PIPELINE_MAX_BYTES &&
         w->deadline < 0 && p->head->timeout_ms <= 0 && w->last_us < PIPELINE_BELOW_US;
}

/* A worker whose tasks come back quickly gets a mailbox (mbox.c), so that a
 * spinning side is handed frames without a system call; one that runs long
 * tasks would only ever block, and gets none. Called for an idle worker. */
#define MBOX_AFTER_TASKS 2
static void give_mbox(mproc__worker *w) {
  if (w->mbox.given || w->done < MBOX_AFTER_TASKS || w->last_us >= PIPELINE_BELOW_US ||
      !(w->pool->fast & MPROC__FAST_MBOX))
    return;
  if (!w->mbox.shm && mproc__mbox_create(&w->mbox) != MPROC_OK)
    w->mbox.given = -1; /* frames take the channel, as before */
  else if (send_shms(w, MPROC__FRAME_MBOX, w->mbox.shm, NULL)) {
    mproc__mbox_attach(w->mbox.shm, 0, &w->mbox.tx, NULL);
    w->mbox.given = 1;
  }
}

/* A task's timeout counts from when its worker is ready (READY: started, its
 * initializer run), not from when it was sent: a worker's start-up takes
 * hundreds of ms on a loaded Windows host, and a short timeout would kill
 * every new worker's first task. A worker that never gets ready still has
 * its task killed, this much later. */
#define BOOT_ALLOWANCE_MS 30000

/* Starts @t on idle worker @w (pool lock held); zero if @t needs a monitor
 * that cannot be started: @t then failed and @w stays idle. */
static int start_on(mproc_pool *p, mproc__worker *w, mproc__task *t) {
  if (t->timeout_ms > 0 && !mproc__monitor_start(p)) {
    mproc__task_fail(p, t, MPROC_ENOMEM, p->broken_msg, 0, 0);
    return 0;
  }
  w->current = t;
  w->state = MPROC__W_BUSY;
  w->kill_reason = MPROC_OK;
  w->start_us = mproc__now_us();
  w->deadline = t->timeout_ms <= 0 ? -1
                : w->ready || t->timeout_ms > INT64_MAX - BOOT_ALLOWANCE_MS
                    ? mproc__deadline(t->timeout_ms) /* saturates: a huge one never expires */
                    : mproc__deadline(t->timeout_ms + BOOT_ALLOWANCE_MS);
  if (w->deadline >= 0 && w->deadline < p->monitor_wake)
    apr_thread_cond_broadcast(p->changed); /* the monitor sleeps past it */
  give_mbox(w);
  send_task(w, t);
  return 1;
}

/* Tops up busy worker @w's queue once it is down to PIPELINE_REFILL tasks,
 * its frames packed into one write: a stream of short tasks then costs the
 * parent a write per few tasks, not one each (pool lock held). */
static void pipeline(mproc_pool *p, mproc__worker *w) {
  uint8_t bytes[PIPELINE_MAX_BYTES];
  size_t len = 0;
  unsigned frames = 0;
  int slot;
  if (w->nqueued > PIPELINE_REFILL)
    return;
  while (can_pipeline(p, w) && claims_ready(p, w) && can_pipeline(p, w) &&
         len + MPROC__FRAME_HEADER + p->head->len <= sizeof bytes && /* as can_pipeline() */
         (slot = free_slot(w)) >= 0) {
    mproc__task *t = mproc__pool_pop(p);
    t->slot = slot;
    mproc__store64(claim_word(p, slot), t->id);
    mproc__args_patch_i64(t->payload, t->slot_at, t->slot);
    append_queued(w, t);
    len += mproc__frame_pack(bytes + len, MPROC__FRAME_TASK, t->payload, t->len);
    frames++;
  }
  if (frames && mproc__mbox_send_packed(&w->mbox.tx, &w->proc.chan, bytes, len, frames) != MPROC_OK)
    mproc__worker_signal(w, 1); /* as mproc__worker_send(): its thread fails its tasks */
}

/* Sends the next queued task to every idle worker (or one taken back from a
 * busy worker's queue), then more to every busy worker that may pipeline
 * (pool lock held). */
void mproc__pool_dispatch(mproc_pool *p) {
  int i;
  if (!p->cancelling && mproc_event_is_set(p->cancel))
    mproc__pool_cancel_locked(p); /* a task cancelled the pool: nothing queued may start */
  for (i = 0; i < p->nworkers; i++) {
    mproc__worker *w = &p->workers[i];
    mproc__task *t;
    if (w->state != MPROC__W_IDLE)
      continue;
    t = p->head || p->cancelling ? NULL : mproc__pool_take_back(p);
    if (!p->head && !t) {
      if (p->state != MPROC__POOL_OPEN && mproc__worker_send(w, MPROC__FRAME_EXIT, NULL, 0))
        w->state = MPROC__W_RETIRING; /* closed and drained: let it go */
      continue;
    }
    if (p->cancelling)
      return; /* nothing starts until the cancelled tasks are gone */
    if (!start_on(p, w, t ? t : mproc__pool_pop(p)))
      i--; /* still idle: the next task, if any */
  }
  for (i = 0; i < p->nworkers && p->head; i++)
    pipeline(p, &p->workers[i]); /* round-robin would be fairer; short tasks */
}
