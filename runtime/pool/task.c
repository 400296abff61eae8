/*
 * A pool's tasks: building a TASK frame, the pool's queue of tasks not yet
 * sent, and settling a task (its future or its map's items) once it ended.
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

void mproc__task_free(mproc__task *t) {
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
void mproc__task_settle(mproc_pool *p, mproc__task *t) {
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
  mproc__task_free(t);
}

/* Completes every call of @t the same way (cancelled, crashed, timed out). */
void mproc__task_fail(mproc_pool *p, mproc__task *t, mproc_status st, const char *msg, int64_t pid,
                      int exitcode) {
  mproc__outcome *o = t->outcome;
  mproc__outcome_fail(o, st, msg ? msg : "");
  o->pid = pid;
  o->exitcode = exitcode;
  mproc__task_settle(p, t);
}

void mproc__pool_fail_queued(mproc_pool *p, mproc_status st, const char *msg) {
  while (p->head) {
    mproc__task *t = p->head;
    p->head = t->next;
    mproc__task_fail(p, t, st, msg, 0, 0);
  }
  p->tail = NULL;
}

/* Pops the pool queue's head (pool lock held). */
mproc__task *mproc__pool_pop(mproc_pool *p) {
  mproc__task *t = p->head;
  p->head = t->next;
  if (!p->head)
    p->tail = NULL;
  t->next = NULL;
  return t;
}

/* TASK: [id, function, mode, claim slot, body] (see wire/protocol.h), the body values
 * [at, at + calls's values) of @body written straight from it; the id is
 * set by mproc__task_set_id() once the task is queued. */
mproc_status mproc__task_new(mproc__task **out, const mproc__submit *s) {
  mproc__writer wr;
  mproc__task *t = calloc(1, sizeof *t);
  mproc_status st = MPROC_ENOMEM;
  if (t && (t->outcome = mproc__outcome_new(s->calls)) != NULL) {
    mproc__writer_init(&wr, 64 + (s->n > 0 ? s->n * 10 : 0));
    t->id_at = mproc__writer_i64(&wr, 0);
    mproc__writer_str(&wr, s->function);
    mproc__writer_i64(&wr, s->mode);
    t->slot_at = mproc__writer_i64(&wr, -1); /* set by send_task() */
    if (s->numbers)                          /* 8 bytes each, int64_t or double */
      mproc__writer_nested_numbers(&wr, s->number_type, (const uint8_t *)s->numbers + 8 * s->at,
                                   s->n);
    else
      mproc__writer_nested(&wr, s->body, s->at, s->n);
    st = mproc__writer_finish(&wr, &t->payload, &t->len);
  }
  if (st != MPROC_OK) {
    mproc__task_free(t);
    return st == MPROC_ENOMEM ? mproc__fail(st, "pool: out of memory") : st;
  }
  t->calls = s->calls;
  t->slot = -1;
  *out = t;
  return MPROC_OK;
}

void mproc__task_set_id(mproc__task *t, uint64_t id) {
  mproc__args_patch_i64(t->payload, t->id_at, (int64_t)id);
  t->id = id;
}

/* Queues @t (pool lock held). */
void mproc__pool_enqueue(mproc_pool *p, mproc__task *t) {
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
void mproc__pool_requeue(mproc_pool *p, mproc__task *t) {
  t->next = p->head;
  p->head = t;
  if (!p->tail)
    p->tail = t;
}

void mproc__pool_drop_map(mproc_pool *p, mproc_map *map) {
  mproc__task **tp = &p->head, *t;
  apr_thread_mutex_lock(p->lock);
  p->tail = NULL;
  while ((t = *tp) != NULL) {
    if (t->map == map) {
      *tp = t->next;
      mproc__task_fail(p, t, MPROC_ECANCELED, "the map was destroyed", 0, 0);
    } else {
      p->tail = t;
      tp = &t->next;
    }
  }
  apr_thread_mutex_unlock(p->lock);
}
