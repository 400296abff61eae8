/*
 * Process pools, parent side (the worker side is runtime/worker.c; futures
 * in runtime/future.c; map, imap and starmap in runtime/map.c).
 *
 * Sections: tasks and dispatch; the per-worker thread; the monitor
 * (timeouts, cancellation, grace); Ctrl-C; the public API.
 *
 * The monitor thread starts only when a task with a timeout starts or a
 * cancellation begins: a pool that uses neither has no thread that wakes on
 * its own (and starts a little faster). Once started it sleeps until the next
 * deadline, not on a tick: a pool with a default timeout and idle workers
 * costs no wake-ups.
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

#include "shared/object.h"
#include "core/core.h"
#include "pool/pool.h"
#include "process/process.h"
#include "wire/args.h" /* the per-call path: see there */
#include "wire/frame.h"
#include "wire/result.h"

/* ---- tasks ---- */

static void task_free(task *t) {
  if (!t)
    return;
  mproc__outcome_free(t->outcome);
  free(t->payload);
  free(t);
}

/* A call that failed because it was told to stop counts as cancelled;
 * @return whether it failed otherwise. */
static int settle_status(mproc_pool *p, mproc_status *st) {
  if (*st != MPROC_OK && *st != MPROC_ECANCELED && mproc_event_is_set(p->cancel))
    *st = MPROC_ECANCELED;
  return *st != MPROC_OK && *st != MPROC_ECANCELED;
}

/* Settles every call of @t from t->outcome (pool lock held) and frees @t. */
static void task_settle(mproc_pool *p, task *t) {
  mproc__outcome *o = t->outcome;
  size_t i;
  int failed = o->whole ? settle_status(p, &o->whole) : 0;
  for (i = 0; o->call && i < o->calls; i++)
    failed |= settle_status(p, &o->call[i].status);
  if (failed && p->opts.cancel_on_error)
    mproc__pool_cancel_locked(p);
  t->outcome = NULL;
  if (t->future) {
    mproc__future_settle(t->future, o);
    mproc__outcome_free(o);
  } else {
    mproc__map_settle(t->map, t->first, o);
  }
  task_free(t);
}

/* Completes every call of @t the same way (cancelled, crashed, timed out). */
static void task_fail(mproc_pool *p, task *t, mproc_status st, const char *msg, int64_t pid,
                      int exitcode) {
  mproc__outcome *o = t->outcome;
  mproc__outcome_fail(o, st, msg ? msg : "");
  o->pid = pid;
  o->exitcode = exitcode;
  task_settle(p, t);
}

void mproc__pool_fail_queued(mproc_pool *p, mproc_status st, const char *msg) {
  while (p->head) {
    task *t = p->head;
    p->head = t->next;
    task_fail(p, t, st, msg, 0, 0);
  }
  p->tail = NULL;
}

/* Pops the pool queue's head (pool lock held). */
static task *pop_head(mproc_pool *p) {
  task *t = p->head;
  p->head = t->next;
  if (!p->head)
    p->tail = NULL;
  t->next = NULL;
  return t;
}

/* Sends a frame to @w; a send that fails ends the worker (its channel may
 * hold part of the frame), whose thread then fails its tasks. */
static int send_frame(worker *w, uint16_t type, const uint8_t *buf, size_t len) {
  if (mproc__mbox_send(&w->mbox.tx, &w->proc.chan, type, buf, len) == MPROC_OK)
    return 1;
  mproc__proc_signal(&w->proc, 1);
  return 0;
}

/* Sends @w a frame of @type that passes it @first and @second (NULL: none),
 * shared segments made for it (LANES, MBOX); zero if it could not. */
static int send_shms(worker *w, uint16_t type, mproc_shm *first, mproc_shm *second) {
  mproc_args *a = NULL;
  uint8_t *buf = NULL;
  size_t len = 0;
  int sent = mproc_args_create(&a) == MPROC_OK && mproc_args_add_shm(a, first) == MPROC_OK &&
             (!second || mproc_args_add_shm(a, second) == MPROC_OK) &&
             mproc__args_encode(a, &buf, &len) == MPROC_OK && send_frame(w, type, buf, len);
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
static int lanes_ready(worker *w, size_t need) {
  size_t cap = (need + LANE_ROUND - 1) / LANE_ROUND * LANE_ROUND;
  int i;
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

static void send_task(worker *w, task *t) {
  mproc__args_patch_i64(t->payload, t->slot_at, t->slot);
  if (t->len >= MPROC__LANE_MIN && lanes_ready(w, t->len) &&
      mproc__lane_put(&w->lane[0], t->payload, t->len))
    send_frame(w, MPROC__FRAME_TASK_LANE, NULL, 0);
  else
    send_frame(w, MPROC__FRAME_TASK, t->payload, t->len);
}

/*
 * Pipelining: a busy worker whose tasks are short gets the next task before
 * it has finished its current one, so that it never waits a round trip for
 * work (S3b: a map with chunksize 1). Only where nothing can go wrong with a
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

static void append_queued(worker *w, task *t) {
  task **end = &w->queued;
  while (*end)
    end = &(*end)->next;
  *end = t;
  w->nqueued++;
  w->queued_bytes += t->len + MPROC__FRAME_HEADER;
}

static task *pop_queued(worker *w) {
  task *t = w->queued;
  w->queued = t->next;
  t->next = NULL;
  w->nqueued--;
  w->queued_bytes -= t->len + MPROC__FRAME_HEADER;
  return t;
}

static task *ghost_of(size_t len) {
  task *g = calloc(1, sizeof *g);
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
  int ok = mproc_array_create(&p->claims, MPROC_TYPE_I64, (size_t)p->nworkers * CLAIM_SLOTS,
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
static int claims_ready(mproc_pool *p, worker *w) {
  task *g;
  if (!p->claims && !make_claims(p))
    return 0;
  if (w->has_claims)
    return 1;
  if (w->queued_bytes + p->claims_len + MPROC__FRAME_HEADER > PIPELINE_MAX_BYTES ||
      !(g = ghost_of(p->claims_len)))
    return 0;
  if (!send_frame(w, MPROC__FRAME_CLAIMS, p->claims_frame, p->claims_len)) {
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
static int free_slot(const worker *w) {
  int slot;
  for (slot = w->index * CLAIM_SLOTS; slot < (w->index + 1) * CLAIM_SLOTS; slot++) {
    const task *t = w->current;
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
static task *take_back(mproc_pool *p) {
  worker *v = NULL;
  task **tp, **last = NULL, *t, *g;
  int i;
  for (i = 0; i < p->nworkers; i++) { /* the busy worker with the most queued */
    worker *x = &p->workers[i];
    task **xl = NULL;
    for (tp = &x->queued; x->state == W_BUSY && *tp; tp = &(*tp)->next)
      if (!(*tp)->ghost)
        xl = tp;
    if (xl && (!v || x->nqueued > v->nqueued)) {
      v = x;
      last = xl;
    }
  }
  if (!v || !(g = ghost_of((*last)->len)))
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
static int may_run_ahead(const mproc_pool *p, const worker *w) {
  return w->state == W_BUSY && !w->kill_reason && !p->opts.max_memory_kib &&
         !p->opts.cancel_on_error && !p->cancelling && !mproc_event_is_set(p->cancel);
}

static int can_pipeline(const mproc_pool *p, const worker *w) {
  if (!p->head)
    return 0;
  return may_run_ahead(p, w) && !p->opts.max_tasks_per_child && w->nqueued < PIPELINE_DEPTH &&
         w->queued_bytes + p->head->len + MPROC__FRAME_HEADER <= PIPELINE_MAX_BYTES &&
         w->deadline < 0 && p->head->timeout_ms <= 0 && w->last_us < PIPELINE_BELOW_US;
}

/* A worker whose tasks come back quickly gets a mailbox (mbox.c), so that a
 * spinning side is handed frames without a system call; one that runs long
 * tasks would only ever block, and gets none. Called for an idle worker. */
#define MBOX_AFTER_TASKS 2
static void give_mbox(worker *w) {
  if (w->mbox.given || w->done < MBOX_AFTER_TASKS || w->last_us >= PIPELINE_BELOW_US)
    return;
  if (!w->mbox.shm && mproc__mbox_create(&w->mbox) != MPROC_OK)
    w->mbox.given = -1; /* frames take the channel, as before */
  else if (send_shms(w, MPROC__FRAME_MBOX, w->mbox.shm, NULL)) {
    mproc__mbox_attach(w->mbox.shm, 0, &w->mbox.tx, NULL);
    w->mbox.given = 1;
  }
}

static int monitor_start(mproc_pool *p);

/* A task's timeout counts from when its worker is ready (READY: started, its
 * initializer run), not from when it was sent: a worker's start-up takes
 * hundreds of ms on a loaded Windows host, and a short timeout would kill
 * every new worker's first task. A worker that never gets ready still has
 * its task killed, this much later. */
#define BOOT_ALLOWANCE_MS 30000

/* Starts @t on idle worker @w (pool lock held); zero if @t needs a monitor
 * that cannot be started: @t then failed and @w stays idle. */
static int start_on(mproc_pool *p, worker *w, task *t) {
  if (t->timeout_ms > 0 && !monitor_start(p)) {
    task_fail(p, t, MPROC_ENOMEM, p->broken_msg, 0, 0);
    return 0;
  }
  w->current = t;
  w->state = W_BUSY;
  w->kill_reason = MPROC_OK;
  w->start_us = mproc__spin_clock_us();
  w->deadline = t->timeout_ms <= 0
                    ? -1
                    : mproc__now_ms() + t->timeout_ms + (w->ready ? 0 : BOOT_ALLOWANCE_MS);
  if (w->deadline >= 0 && w->deadline < p->monitor_wake)
    apr_thread_cond_broadcast(p->changed); /* the monitor sleeps past it */
  give_mbox(w);
  send_task(w, t);
  return 1;
}

/* Tops up busy worker @w's queue once it is down to PIPELINE_REFILL tasks,
 * its frames packed into one write: a stream of short tasks then costs the
 * parent a write per few tasks, not one each (pool lock held). */
static void pipeline(mproc_pool *p, worker *w) {
  uint8_t bytes[PIPELINE_MAX_BYTES];
  size_t len = 0;
  unsigned frames = 0;
  int slot;
  if (w->nqueued > PIPELINE_REFILL)
    return;
  while (can_pipeline(p, w) && claims_ready(p, w) && can_pipeline(p, w) &&
         len + MPROC__FRAME_HEADER + p->head->len <= sizeof bytes && /* as can_pipeline() */
         (slot = free_slot(w)) >= 0) {
    task *t = pop_head(p);
    t->slot = slot;
    mproc__store64(claim_word(p, slot), t->id);
    mproc__args_patch_i64(t->payload, t->slot_at, t->slot);
    append_queued(w, t);
    len += mproc__frame_pack(bytes + len, MPROC__FRAME_TASK, t->payload, t->len);
    frames++;
  }
  if (frames && mproc__mbox_send_packed(&w->mbox.tx, &w->proc.chan, bytes, len, frames) != MPROC_OK)
    mproc__proc_signal(&w->proc, 1); /* as send_frame(): its thread fails its tasks */
}

/* Sends the next queued task to every idle worker (or one taken back from a
 * busy worker's queue), then more to every busy worker that may pipeline
 * (pool lock held). */
void mproc__pool_dispatch(mproc_pool *p) {
  int i;
  if (!p->cancelling && mproc_event_is_set(p->cancel))
    mproc__pool_cancel_locked(p); /* a task cancelled the pool: nothing queued may start */
  for (i = 0; i < p->nworkers; i++) {
    worker *w = &p->workers[i];
    task *t;
    if (w->state != W_IDLE)
      continue;
    t = p->head || p->cancelling ? NULL : take_back(p);
    if (!p->head && !t) {
      if (p->state != POOL_OPEN && send_frame(w, MPROC__FRAME_EXIT, NULL, 0))
        w->state = W_RETIRING; /* closed and drained: let it go */
      continue;
    }
    if (p->cancelling)
      return; /* nothing starts until the cancelled tasks are gone */
    if (!start_on(p, w, t ? t : pop_head(p)))
      i--; /* still idle: the next task, if any */
  }
  for (i = 0; i < p->nworkers && p->head; i++)
    pipeline(p, &p->workers[i]); /* round-robin would be fairer; short tasks */
}

/* TASK: [id, function, mode, claim slot, body] (see wire/protocol.h), the body values
 * [at, at + calls's values) of @body written straight from it; the id is
 * set by set_id() once the task is queued. */
static mproc_status task_new(task **out, const char *function, int mode, const mproc_args *body,
                             size_t at, size_t n, size_t calls) {
  mproc__writer wr;
  task *t = calloc(1, sizeof *t);
  mproc_status st = MPROC_ENOMEM;
  if (t && (t->outcome = mproc__outcome_new(calls)) != NULL) {
    mproc__writer_init(&wr, 64 + (n > 0 ? n * 10 : 0));
    t->id_at = mproc__writer_i64(&wr, 0);
    mproc__writer_str(&wr, function);
    mproc__writer_i64(&wr, mode);
    t->slot_at = mproc__writer_i64(&wr, -1); /* set by send_task() */
    mproc__writer_nested(&wr, body, at, n);
    st = mproc__writer_finish(&wr, &t->payload, &t->len);
  }
  if (st != MPROC_OK) {
    task_free(t);
    return st == MPROC_ENOMEM ? mproc__fail(st, "pool: out of memory") : st;
  }
  t->calls = calls;
  t->slot = -1;
  *out = t;
  return MPROC_OK;
}

static void set_id(task *t, uint64_t id) {
  mproc__args_patch_i64(t->payload, t->id_at, (int64_t)id);
  t->id = id;
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

uint64_t mproc__pool_cancels(mproc_pool *p) {
  uint64_t n;
  apr_thread_mutex_lock(p->lock);
  n = p->cancels;
  apr_thread_mutex_unlock(p->lock);
  return n;
}

/* Puts a task that never started back at the head of the queue. */
static void requeue(mproc_pool *p, task *t) {
  t->next = p->head;
  p->head = t;
  if (!p->tail)
    p->tail = t;
}

void mproc__pool_drop_map(mproc_pool *p, mproc_map *map) {
  task **tp = &p->head, *t;
  apr_thread_mutex_lock(p->lock);
  p->tail = NULL;
  while ((t = *tp) != NULL) {
    if (t->map == map) {
      *tp = t->next;
      task_fail(p, t, MPROC_ECANCELED, "the map was destroyed", 0, 0);
    } else {
      p->tail = t;
      tp = &t->next;
    }
  }
  apr_thread_mutex_unlock(p->lock);
}

/* ---- the per-worker thread ---- */

/* Worker START args: [initializer, encoded initargs, cancel Event, depth,
 * report RSS] (the RSS costs the worker system calls on every task). */
static mproc_status spawn_worker(mproc_pool *p, worker *w) {
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

/* Gives @o per-call records once call @i is not plain (calls before it were). */
static mproc_status records_from(mproc__outcome *o, size_t i) {
  size_t j;
  mproc__call *call;
  if (o->call)
    return MPROC_OK;
  if (!(call = malloc(o->calls * sizeof *call)))
    return mproc__fail(MPROC_ENOMEM, "pool: out of memory for a result");
  for (j = 0; j < i; j++) /* (read while o->call is NULL: the plain layout) */
    call[j] = mproc__outcome_call(o, j);
  o->call = call;
  return MPROC_OK;
}

/* Reads a RESULT for @t into t->outcome. Nothing from a worker is trusted:
 * every count, index and status is checked. Per-call records are made only
 * once a call is not plain (see mproc__outcome). */
static mproc_status parse_result(task *t, const uint8_t *buf, size_t len, int64_t pid,
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
static int release_early(const mproc_pool *p, const worker *w) {
  return w->current && may_run_ahead(p, w) &&
         !(p->opts.max_tasks_per_child && w->done + 1 >= p->opts.max_tasks_per_child);
}

/* Decodes and checks a RESULT for @t without the pool lock: only the worker's
 * own thread (this one) settles its task, and @t stays alive until it does. */
static mproc_status decode_result(const worker *w, task *t, const uint8_t *buf, size_t len,
                                  int64_t *rss) {
  if (!t)
    return mproc__fail(MPROC_EPROTO, "pool: worker %lld sent a result with no task",
                       (long long)w->proc.pid);
  return parse_result(t, buf, len, w->proc.pid, rss);
}

/* Unlinks and returns the last of @w's queued tasks. */
static task *last_queued(worker *w) {
  task **tp = &w->queued, *t;
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
static void next_task(worker *w) {
  int64_t now = mproc__spin_clock_us();
  w->last_us = now - w->start_us;
  w->start_us = now;
  while (w->queued && w->queued->ghost) /* the worker skips those (see take_back()) */
    free(pop_queued(w));
  w->current = w->queued ? pop_queued(w) : NULL;
  w->deadline = -1; /* a pipelined task has no timeout */
  w->done++;
}

/* A worker finished a task: retire it, go on, or make it idle (pool lock held). */
static void after_task(mproc_pool *p, worker *w, int64_t rss) {
  if (w->current) {
    w->state = w->kill_reason ? W_RETIRING : W_BUSY; /* it went on to its queued task */
  } else if (w->kill_reason) {
    w->state = W_RETIRING; /* already killed: its end is on the way; never reuse it */
  } else if ((p->opts.max_tasks_per_child && w->done >= p->opts.max_tasks_per_child) ||
             (p->opts.max_memory_kib && rss > 0 && (uint64_t)rss > p->opts.max_memory_kib)) {
    send_frame(w, MPROC__FRAME_EXIT, NULL, 0);
    w->state = W_RETIRING; /* replaced when its channel ends */
  } else {
    w->state = W_IDLE;
  }
}

/* Settles @t from its decoded result (pool lock held); @released: the worker
 * already went on to its next task. */
static void took_result(mproc_pool *p, worker *w, task *t, int released, mproc_status st,
                        int64_t rss) {
  char msg[128];
  if (st != MPROC_OK) {
    if (released) {
      snprintf(msg, sizeof msg, "worker %lld sent a malformed result", (long long)w->proc.pid);
      task_fail(p, t, MPROC_ECRASHED, msg, w->proc.pid, 0);
    }
    mproc__proc_signal(&w->proc, 1); /* nonsense from a worker: end it; its task fails */
    return;
  }
  if (!released)
    next_task(w);
  task_settle(p, t);
  if (!released)
    after_task(p, w, rss);
  mproc__pool_dispatch(p);
}

/* RESULT (see wire/protocol.h): a large one is decoded outside the pool
 * lock, so that the workers' threads decode in parallel and dispatch does not
 * wait for it; a small one decodes faster than the lock would change hands
 * twice (S3b: a map with chunksize 1), so it is decoded under it. */
#define DECODE_UNLOCKED_FROM 1024
static void on_result(mproc_pool *p, worker *w, const uint8_t *buf, size_t len) {
  task *t;
  int released;
  int64_t rss = 0;
  mproc_status st;
  apr_thread_mutex_lock(p->lock);
  t = w->current;
  released = len >= DECODE_UNLOCKED_FROM && release_early(p, w);
  if (released) {
    next_task(w);
    w->state = w->current ? W_BUSY : W_IDLE;
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
static int worker_ended(mproc_pool *p, worker *w) {
  char msg[128];
  if (w->current && p->broken == POOL_BROKEN_INIT) { /* it never ran */
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
  while (w->queued) { /* sent, never started: back to the queue, in order */
    task *t = last_queued(w);
    if (t->ghost)
      free(t);
    else if (p->broken)
      task_fail(p, t, MPROC_EFAILED, p->broken_msg, 0, 0);
    else if (p->cancelling || p->state == POOL_TERMINATED)
      task_fail(p, t, MPROC_ECANCELED, "cancelled before it started", 0, 0);
    else
      requeue(p, t);
  }
  mproc__proc_release(&w->proc);
  w->has_claims = 0;
  w->lanes = w->lanes > 0 ? 0 : w->lanes; /* sent again to the next one, free */
  mproc__lane_release(&w->lane[0]);
  mproc__lane_release(&w->lane[1]);
  mproc__mbox_reset(&w->mbox); /* given again to the next one */
  w->mbox.given = w->mbox.given < 0 ? -1 : 0;
  w->rx.d = NULL;
  w->last_us = INT64_MAX;
  w->spawned = 0;
  w->state = W_RETIRING; /* neither dispatchable nor killable until respawned */
  w->kill_reason = MPROC_OK;
  w->done = 0;
  w->ready = 0;
  return !p->broken && (p->state == POOL_OPEN || (p->state == POOL_CLOSED && p->head));
}

static void on_frame(mproc_pool *p, worker *w, uint16_t type, const uint8_t *buf, size_t len) {
  mproc_args *m = NULL;
  const char *msg = "initializer failed";
  if (type == MPROC__FRAME_CANCEL && len == 0) {
    mproc__pool_cancel_locked(p); /* a task cancelled the pool: see worker.c */
  } else if (type == MPROC__FRAME_READY && len == 0 && !w->ready) {
    w->ready = 1;
    if (w->state == W_BUSY && w->current && w->current->timeout_ms > 0 && !w->kill_reason)
      w->deadline =
          mproc__now_ms() + w->current->timeout_ms; /* nearer: the caller wakes the monitor */
  } else if (type == MPROC__FRAME_MBOX_ACK && len == 0 && w->mbox.given > 0 && !w->rx.d) {
    mproc__mbox_attach(w->mbox.shm, 0, NULL, &w->rx); /* its results may come that way now */
  } else if (type == MPROC__FRAME_INITFAIL) {
    if (mproc__args_decode(buf, len, &m) == MPROC_OK)
      mproc_args_get_str(m, 0, &msg);
    p->broken = POOL_BROKEN_INIT; /* reported once: no respawn loop */
    snprintf(p->broken_msg, sizeof p->broken_msg, "%s", msg);
    mproc__pool_fail_queued(p, MPROC_EFAILED, p->broken_msg);
    if (m)
      mproc_args_destroy(m);
  } else {
    mproc__proc_signal(&w->proc, 1); /* nonsense from a worker: end it */
  }
}

/* A RESULT in @w's up lane, copied into @buf (see lane.c). */
static mproc_status lane_result(mproc_pool *p, worker *w, mproc__buf *buf, size_t *len) {
  mproc__lane up;
  apr_thread_mutex_lock(p->lock);
  up = w->lane[1];
  apr_thread_mutex_unlock(p->lock);
  return *len != 0 ? MPROC_EPROTO : mproc__lane_take(&up, buf, len);
}

/* Spawns its worker, reads its frames, reaps it and spawns the next. It
 * outlives every worker it spawns, as it must: a worker may end with the
 * thread that spawned it (mproc__exit_with_parent). */
static void *APR_THREAD_FUNC worker_thread(apr_thread_t *thread, void *data) {
  worker *w = data;
  mproc_pool *p = w->pool;
  mproc__spin spin = {0};     /* results that come back fast are spun for */
  mproc__buf buf = {NULL, 0}; /* a worker's RESULTs: see mproc__buf */
  (void)thread;
  for (;;) {
    uint16_t type;
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
        break;
      /* A new worker takes a millisecond to start: spinning for its first
       * frame would only take a CPU from it (and from its siblings). */
      spin.last_us = INT64_MAX;
    }
    st = mproc__mbox_recv(&w->rx, &w->proc.chan, &spin, &type, &buf, &len);
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
        break;
      continue;
    }
    if (type == MPROC__FRAME_RESULT_LANE && (st = lane_result(p, w, &buf, &len)) != MPROC_OK) {
      apr_thread_mutex_lock(p->lock);
      mproc__proc_signal(&w->proc, 1); /* nonsense from a worker: end it */
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

/* ---- the monitor: timeouts, cancellation, grace ---- */

static void *APR_THREAD_FUNC monitor_thread(apr_thread_t *thread, void *data);

/* Starts the monitor unless it runs (pool lock held). Zero if it cannot be
 * started: the pool is then broken, since it could neither time a task nor
 * end a cancellation (rare: the OS refused a thread). */
static int monitor_start(mproc_pool *p) {
  if (p->monitor || p->stopping)
    return p->monitor != NULL;
  if (apr_thread_create(&p->monitor, NULL, monitor_thread, p, p->apool) == APR_SUCCESS)
    return 1;
  p->monitor = NULL;
  if (!p->broken) {
    p->broken = POOL_BROKEN_MONITOR;
    snprintf(p->broken_msg, sizeof p->broken_msg, "cannot start the pool's monitor thread");
    mproc__pool_fail_queued(p, MPROC_ENOMEM, p->broken_msg);
  }
  return 0;
}

void mproc__pool_cancel_locked(mproc_pool *p) {
  mproc_event_set(p->cancel);
  if (p->cancelling)
    return;
  monitor_start(p); /* it kills stragglers after the grace and ends the cancellation */
  p->cancelling = 1;
  p->cancels++;
  p->cancel_deadline =
      p->opts.cancel_grace_ms < 0
          ? -1
          : mproc__now_ms() +
                (p->opts.cancel_grace_ms ? p->opts.cancel_grace_ms : MPROC__POOL_DEFAULT_GRACE_MS);
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

/* The next time a running task is to be killed (ms, -1: none). */
static int64_t next_deadline(const mproc_pool *p) {
  int64_t next = -1;
  int i, busy = 0;
  for (i = 0; i < p->nworkers; i++) {
    const worker *w = &p->workers[i];
    if (w->state != W_BUSY || w->kill_reason)
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

mproc_status mproc__pool_bad(const char *fn, const char *what) {
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
    return mproc__pool_bad("mproc_pool_create", "pool");
  if (!mproc__is_initialized())
    return mproc__fail(MPROC_ENOTINIT, "mproc_pool_create: call mproc_init() first");
  if ((st = check_options(options, &n)) || (st = mproc__futures_init()) ||
      (st = pool_alloc(&p, options, n)))
    return st;
  apr_thread_mutex_lock(p->lock);
  for (i = 0; i < n; i++) {
    worker *w = &p->workers[i];
    w->pool = p;
    w->index = i;
    w->state = W_RETIRING;  /* until its thread has spawned it */
    w->last_us = INT64_MAX; /* no pipelining before a short task was seen */
    if (apr_thread_create(&w->thread, NULL, worker_thread, w, p->apool) != APR_SUCCESS) {
      w->thread = NULL;
      w->state = W_DEAD;
    }
  }
  apr_thread_mutex_unlock(p->lock);
  *pool = p;
  pools_register(p, 1);
  mproc__interrupt_watch(on_interrupt); /* left alone if the program handles SIGINT */
  if (!p->workers[0].thread) {          /* the OS refused threads: the first tells */
    mproc_pool_destroy(p);
    *pool = NULL;
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
    return mproc__pool_bad(fn, "pool");
  if (!function)
    return mproc__pool_bad(fn, "function");
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

mproc_status mproc__pool_queue(mproc_pool *p, const char *function, int mode,
                               const mproc_args *body, size_t at, size_t n, size_t calls,
                               int64_t timeout_ms, mproc_future *future, mproc_map *map,
                               size_t first, const char *fn) {
  task *t = NULL;
  mproc_status st = MPROC_OK;
  if (calls > 0 && function) /* outside the lock: a chunk may hold a million values */
    st = task_new(&t, function, mode, body, at, n, calls);
  apr_thread_mutex_lock(p->lock);
  if (st == MPROC_OK)
    st = check_submit(p, function, fn); /* calls == 0: only this check */
  if (st == MPROC_OK && t) {
    set_id(t, ++p->next_id);
    t->timeout_ms = timeout_ms > 0 ? timeout_ms : p->opts.task_timeout_ms;
    t->future = future;
    t->map = map;
    t->first = first;
    enqueue(p, t);
    t = NULL;
  }
  apr_thread_mutex_unlock(p->lock);
  task_free(t);
  return st;
}

mproc_status mproc_pool_cancel(mproc_pool *p) {
  if (!p)
    return mproc__pool_bad("mproc_pool_cancel", "pool");
  apr_thread_mutex_lock(p->lock);
  mproc__pool_cancel_locked(p);
  apr_thread_mutex_unlock(p->lock);
  return MPROC_OK;
}

mproc_status mproc_pool_close(mproc_pool *p) {
  if (!p)
    return mproc__pool_bad("mproc_pool_close", "pool");
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
    return mproc__pool_bad("mproc_pool_terminate", "pool");
  apr_thread_mutex_lock(p->lock);
  p->state = POOL_TERMINATED;
  p->cancels++; /* its maps stop feeding: their rest completes as cancelled */
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
    return mproc__pool_bad("mproc_pool_join", "pool");
  apr_thread_mutex_lock(p->lock);
  if (p->state == POOL_OPEN)
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
  if (!p)
    return mproc__pool_bad("mproc_pool_destroy", "pool");
  pools_register(p, 0);
  mproc__maps_detach(p); /* its maps may live on; they queue nothing more */
  if (p->state == POOL_OPEN)
    mproc_pool_terminate(p);
  apr_thread_mutex_lock(p->lock);
  if (p->state == POOL_TERMINATED) {
    /* Every worker was killed: nothing is left to time or cancel, so the
     * monitor ends now, beside the workers (a closed pool still times its
     * last tasks: its monitor ends last). */
    p->stopping = 1;
    apr_thread_cond_broadcast(p->changed);
  }
  apr_thread_mutex_unlock(p->lock);
  /* A worker's thread returns once its worker is dead for good (W_DEAD), so
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
  free(p);
  return MPROC_OK;
}
