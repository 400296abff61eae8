/*
 * Private to runtime/pool.c: the pool's structures.
 */
#ifndef MPROC_POOL_INTERNAL_H
#define MPROC_POOL_INTERNAL_H

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "internal.h"
#include "mproc/pool.h"

/* Deepest nesting of pools (a task creating a pool, whose task creates one...). */
#define MPROC__POOL_MAX_DEPTH 3
/* How long cancelled tasks may run on by default before they are killed. */
#define MPROC__POOL_DEFAULT_GRACE_MS 1000

struct mproc_future {
  volatile int done;
  int refs; /* the pool's and the user's */
  mproc_task_info info;
  char message[256];
  mproc_args *result;
  mproc_task_options opts;
};

typedef struct mapjob {
  size_t n;
  size_t remaining;
  volatile int done;
  mproc_status *statuses;
  mproc_args **results; /* per item, the task's result list (NULL if none) */
} mapjob;

/* A unit of dispatch: one call (mode 0) or a chunk of map items (mode 1). */
typedef struct task {
  uint64_t id;
  uint8_t *payload; /* the TASK frame */
  size_t len;
  size_t calls;
  int64_t timeout_ms;
  mproc_future *future; /* mode 0 */
  mapjob *map;          /* mode 1: items [first, first + calls) */
  size_t first;
  struct task *next;
} task;

/* W_ENDING: its channel ended and its thread is reaping it; nobody else may
 * touch w->proc then (a signal after the reap could hit a recycled pid). */
typedef enum wstate { W_IDLE, W_BUSY, W_RETIRING, W_ENDING, W_DEAD } wstate;

typedef struct worker {
  struct mproc_pool *pool;
  int index;
  mproc__proc proc;
  int spawned;
  wstate state;
  task *current;
  int64_t deadline;         /* of the current task; -1: none */
  mproc_status kill_reason; /* why the parent killed it: ETIMEDOUT, ECANCELED */
  uint32_t done;
  apr_thread_t *thread;
} worker;

typedef enum pstate { POOL_OPEN, POOL_CLOSED, POOL_TERMINATED } pstate;

struct mproc_pool {
  apr_thread_mutex_t *lock; /* nested: callbacks may call the pool */
  apr_thread_cond_t *changed;
  apr_pool_t *apool;
  mproc_pool_options opts;
  char *initializer;
  uint8_t *initargs;
  size_t initargs_len;
  mproc_event *cancel;
  int cancelling;
  int64_t cancel_deadline; /* -1: no grace limit */
  pstate state;
  int broken; /* the initializer failed */
  char broken_msg[256];
  int stopping; /* the monitor must exit */
  worker *workers;
  int nworkers;
  task *head, *tail;
  uint64_t next_id;
  unsigned long spawned;
  apr_thread_t *monitor;
  struct mproc_pool *next_pool; /* every live pool, for Ctrl-C */
};

void mproc__pool_dispatch(mproc_pool *p);
void mproc__pool_fail_queued(mproc_pool *p, mproc_status st, const char *msg);
void mproc__pool_cancel_locked(mproc_pool *p);

#endif
