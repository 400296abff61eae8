/*
 * Private to the pool's rooms (pool.c says which is which): the task and
 * worker records, futures, maps, lanes, mailboxes, and what each room
 * calls in another.
 *
 * Lock order: a pool's lock, then the futures' lock (future.c); never the
 * other way round. Futures and maps live under the futures' lock so that they
 * outlive their pool.
 */
#ifndef MPROC_POOL_INTERNAL_H
#define MPROC_POOL_INTERNAL_H

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "core/spin.h"
#include "mproc/backend.h"
#include "mproc/pool.h"
#include "mproc/shared.h"
#include "platform.h"
#include "wire/protocol.h"
#include "wire/result.h"

/* Deepest nesting of pools (a task creating a pool, whose task creates one...). */
#define MPROC__POOL_MAX_DEPTH 3
/* How long cancelled tasks may run on by default before they are killed. */
#define MPROC__POOL_DEFAULT_GRACE_MS 1000

/* How the calls of one task ended. Allocated with the task, so that settling
 * a task (even after a crash, under memory pressure) never allocates.
 * Three shapes, so that a chunk of a million calls that each returned one
 * value keeps no per-call record at all:
 *  - whole != MPROC_OK: every call ended so, text says why (no values);
 *  - call == NULL ("plain"): call i succeeded with the one value values[i];
 *  - otherwise call[i] says. */
typedef struct mproc__outcome {
  mproc_args *values; /* the decoded RESULT; NULL when the task failed whole */
  size_t calls;
  mproc_status whole;
  mproc__call *call;
  int64_t pid;
  int exitcode;
  size_t unread; /* maps: calls not handed out yet */
  char text[256];
} mproc__outcome;

mproc__outcome *mproc__outcome_new(size_t calls);
void mproc__outcome_free(mproc__outcome *o);
/* Every call of @o ended with @st, @msg (NULL: keep the text) saying why. */
void mproc__outcome_fail(mproc__outcome *o, mproc_status st, const char *msg);
/* Call @i of @o. */
mproc__call mproc__outcome_call(const mproc__outcome *o, size_t i);
/* Whether every call succeeded with one value, call i's at values[i]. */
int mproc__outcome_plain(const mproc__outcome *o);

/* ---- lanes (lane.c): a worker's large frames through shared memory ---- */
/* Frames from MPROC__LANE_MIN to MPROC__LANE_MAX bytes take a lane: below,
 * the channel costs less than the copy; above, it holds more. */
#define MPROC__LANE_MIN (64u << 10)
#define MPROC__LANE_MAX MPROC__BUF_KEEP
typedef struct mproc__lane {
  mproc_shm *shm; /* NULL: none */
  size_t cap;     /* the largest payload it holds */
  int owner;      /* made here (the parent) */
} mproc__lane;
/* A lane for payloads up to @cap bytes, its memory reserved now. */
mproc_status mproc__lane_create(mproc__lane *l, size_t cap);
/* Opens the lane passed as value @index of @a (a worker). */
mproc_status mproc__lane_open(mproc__lane *l, const mproc_args *a, size_t index);
/* Destroys (the parent) or closes (a worker) the lane, if any. */
void mproc__lane_drop(mproc__lane *l);
/* Copies @len bytes into a free lane and marks it full; 0: it was not free
 * (or is too small, or there is none): send the frame through the channel. */
int mproc__lane_put(mproc__lane *l, const uint8_t *buf, size_t len);
/* A worker: the full lane's payload, in place (the parent is trusted); NULL: none. */
const uint8_t *mproc__lane_view(const mproc__lane *l, size_t *len);
/* The parent: copies the full lane's payload into @into (checked: a worker
 * is not trusted), then frees the lane. */
mproc_status mproc__lane_take(mproc__lane *l, mproc__buf *into, size_t *len);
/* Marks the lane free (done with its payload; or a worker replaced). */
void mproc__lane_release(const mproc__lane *l);

/* ---- mailboxes (mbox.c): a worker's small frames while the receiver spins ---- */
typedef struct mproc__mbox_dir mproc__mbox_dir; /* one direction, in the segment */
typedef struct mproc__mbox_tx {
  mproc__mbox_dir *d; /* NULL: every frame takes the channel */
  uint64_t sent;      /* frames sent since attached */
} mproc__mbox_tx;
typedef struct mproc__mbox_rx {
  mproc__mbox_dir *d; /* NULL: every frame comes through the channel */
  uint64_t taken;     /* frames received since attached */
} mproc__mbox_rx;
/* The parent's side of a worker's mailbox: made at the worker's first quick
 * tasks, passed in an MBOX frame, kept for its replacements. */
typedef struct mproc__mbox {
  mproc_shm *shm;    /* NULL: none */
  mproc__mbox_tx tx; /* to the worker (pool lock) */
  int given;         /* 1: the current worker was sent it; -1: it cannot be made */
} mproc__mbox;
/* A mailbox for one worker; mproc__mbox_drop() destroys it. */
mproc_status mproc__mbox_create(mproc__mbox *m);
void mproc__mbox_drop(mproc__mbox *m);
/* Empties it for a new worker (the last one is gone) and detaches @m->tx. */
void mproc__mbox_reset(mproc__mbox *m);
/* A worker: whether a segment it was given is a mailbox. */
mproc_status mproc__mbox_check(mproc_shm *shm);
/* Attaches a side to the segment's directions: @up is whether this side
 * (@tx) sends to the parent; @tx or @rx may be NULL. Counting starts now:
 * a side attaches right after it sent, or right after it read, the frame
 * that tells the peer to attach (MBOX down, MBOX_ACK up). */
void mproc__mbox_attach(mproc_shm *shm, int up, mproc__mbox_tx *tx, mproc__mbox_rx *rx);
/* mproc__frame_send() through the mailbox when the receiver is spinning for it. */
mproc_status mproc__mbox_send(mproc__mbox_tx *tx, mproc__chan *chan, uint16_t type,
                              const uint8_t *payload, size_t len);
/* Writes @frames frames packed in @bytes (mproc__frame_pack()) to the channel. */
mproc_status mproc__mbox_send_packed(mproc__mbox_tx *tx, mproc__chan *chan, const uint8_t *bytes,
                                     size_t len, unsigned frames);
/* The receiving side's parts, for a receiver that also waits elsewhere (a
 * worker whose reader thread reads the channel): whether the slot holds a
 * frame; whether this side is spinning for one (senders put only then);
 * the slot's frame into @buf (*got: whether there was one); a frame came
 * through the channel instead. All do nothing while @rx is not attached. */
int mproc__mbox_full(const mproc__mbox_rx *rx);
void mproc__mbox_watch(mproc__mbox_rx *rx, int on);
mproc_status mproc__mbox_take(mproc__mbox_rx *rx, int *got, uint16_t *type, mproc__buf *buf,
                              size_t *len);
void mproc__mbox_counted(mproc__mbox_rx *rx);
/* mproc__frame_recv_spin() that spins on the mailbox, not the channel. */
mproc_status mproc__mbox_recv(mproc__mbox_rx *rx, mproc__chan *chan, mproc__spin *spin,
                              uint16_t *type, mproc__buf *buf, size_t *len);

/* ---- futures (future.c) ---- */
struct mproc_future {
  uint32_t done;    /* atomic (base/atomic.h): mproc_future_done() reads it without the lock;
                       set after the callback has returned */
  uint32_t settled; /* info and result are final (the callback may run) */
  uint64_t callback_thread; /* the thread running the callback: to it, settled is done */
  int refs;                 /* the pool's and the user's */
  mproc_task_info info;
  char message[256];
  mproc_args *result;
  mproc_task_options opts;
};

mproc_status mproc__futures_init(void);
void mproc__futures_lock(void);
void mproc__futures_unlock(void);
void mproc__futures_broadcast(void); /* futures' lock held */
/* One wait on the futures' condition (lock held); MPROC_ETIMEDOUT once the
 * deadline (mproc__deadline()) has passed. */
mproc_status mproc__futures_wait(int64_t deadline);
/* Completes @f from call 0 of @o and runs its callback; pool lock held. */
void mproc__future_settle(mproc_future *f, const mproc__outcome *o);

/* ---- maps (map.c) ---- */
/* The pool is being destroyed: its maps queue nothing more (ESTATE). */
void mproc__maps_detach(mproc_pool *p);
/* Takes @o, the outcome of items [first, first + o->calls) of @m; any thread. */
void mproc__map_settle(mproc_map *m, size_t first, mproc__outcome *o);
/* A view (mproc__args_view()) of @m's results for items [first, first +
 * calls), to decode them into; NULL: decode them into a list of their own. */
mproc_args *mproc__map_view(mproc_map *m, size_t first, size_t calls);
/* mproc_pool_map() over @n numbers of @type (MPROC_TYPE_I64: int64_t,
 * MPROC_TYPE_F64: double) read straight from the C array @in as chunks are
 * encoded: no list of the items is built. @fn names the caller in errors. */
mproc_status mproc__pool_map_numbers(mproc_pool *p, const char *function, mproc_type type,
                                     const void *in, size_t n, const mproc_map_options *options,
                                     mproc_args **results, mproc_status *statuses, const char *fn);

/* ---- the records: a task, a worker, a pool ---- */
typedef struct mproc__task {
  uint64_t id;
  uint8_t *payload; /* the TASK frame */
  size_t len;
  size_t id_at, slot_at; /* where in it the id and the claim slot go */
  int slot;              /* its claim word while pipelined (see dispatch.c); -1: none */
  int ghost;             /* only a frame's bytes left in a worker's channel (see dispatch.c) */
  size_t calls;
  int64_t timeout_ms;
  mproc__outcome *outcome;
  mproc_future *future; /* a single call, or */
  mproc_map *map;       /* items [first, first + calls) of a map */
  size_t first;
  struct mproc__task *next;
} mproc__task;

/* MPROC__W_ENDING: its channel ended and its thread is reaping it; nobody else may
 * touch w->proc then (a signal after the reap could hit a recycled pid). */
typedef enum mproc__wstate {
  MPROC__W_IDLE,
  MPROC__W_BUSY,
  MPROC__W_RETIRING,
  MPROC__W_ENDING,
  MPROC__W_DEAD
} mproc__wstate;

typedef struct mproc__worker {
  struct mproc_pool *pool;
  int index;
  mproc__proc proc;
  int spawned;
  int starting; /* its thread is spawning it (pool lock) */
  mproc__wstate state;
  mproc__task *current; /* the task it runs */
  mproc__task *queued;  /* sent behind it, not started, in order (pipelining, see dispatch.c) */
  int nqueued;
  int has_claims;           /* it was sent the claim words */
  mproc__lane lane[2];      /* tasks to it, results from it: made at its first large task */
  int lanes;                /* 1: it was sent them; -1: they cannot be made */
  mproc__mbox mbox;         /* small frames while the receiver spins (mbox.c) */
  mproc__mbox_rx rx;        /* from the worker: its thread's alone */
  size_t queued_bytes;      /* their frames' size: kept within any OS's channel buffer */
  int64_t start_us;         /* when the current task started (spin clock) */
  int64_t last_us;          /* how long its previous task took; INT64_MAX: unknown */
  int64_t deadline;         /* of the current task; -1: none */
  mproc_status kill_reason; /* why the parent killed it: ETIMEDOUT, ECANCELED */
  uint32_t done;
  int ready; /* it sent READY: started, its initializer run */
  apr_thread_t *thread;
} mproc__worker;

typedef enum mproc__pool_state {
  MPROC__POOL_OPEN,
  MPROC__POOL_CLOSED,
  MPROC__POOL_TERMINATED
} mproc__pool_state;
/* Why a pool is broken (its broken_msg says it to every task refused). */
enum { MPROC__POOL_BROKEN_INIT = 1, MPROC__POOL_BROKEN_MONITOR };
/* The status of the tasks a broken pool refuses or fails: MPROC_EINITFAILED
 * (its initializer failed) or MPROC_ENOMEM (no monitor thread). */
#define MPROC__POOL_BROKEN_STATUS(p)                                                               \
  ((p)->broken == MPROC__POOL_BROKEN_INIT ? MPROC_EINITFAILED : MPROC_ENOMEM)

#define MPROC__POOL_LIVE 0x504f4f4cu /* "POOL"; 0 once destroyed */
struct mproc_pool {
  uint32_t live;            /* MPROC__POOL_LIVE while usable */
  apr_thread_mutex_t *lock; /* nested: callbacks may call the pool */
  apr_thread_cond_t *changed;
  apr_pool_t *apool;
  mproc_pool_options opts;
  char *initializer;
  uint8_t *initargs;
  size_t initargs_len;
  mproc_event *cancel;
  mproc_array *claims;   /* claim words for pipelined tasks, made at the first one */
  uint8_t *claims_frame; /* the CLAIMS frame that passes them to a worker */
  size_t claims_len;
  int cancelling;
  uint64_t cancels;        /* how many cancellations began: a map stops at a new one */
  int64_t cancel_deadline; /* -1: no grace limit */
  mproc__pool_state state;
  unsigned fast; /* the fast paths it may use (MPROC__FAST_*) */
  /* Who starts its workers (mproc_pool_create_with): &backend_ops, or NULL
   * for the pool itself. */
  const mproc_backend *backend;
  mproc_backend backend_ops;
  void *backend_state;
  int broken; /* MPROC__POOL_BROKEN_INIT or _MONITOR: it takes no more tasks */
  char broken_msg[256];
  char dead_msg[256]; /* why no worker could be started, once none runs */
  int stopping;       /* the monitor must exit, or not start */
  mproc__worker *workers;
  int nworkers;
  mproc__task *head, *tail;
  uint64_t next_id;
  unsigned long spawned;
  apr_thread_t *monitor;        /* started at the first timeout or cancellation */
  int64_t monitor_wake;         /* when it looks next (ms); 0: it has not looked yet */
  struct mproc_pool *next_pool; /* every live pool, for Ctrl-C */
};

/* What to queue: @calls calls of @function for @map (its items [first,
 * first + calls)) or for @future; values [at, at + n) of @body (NULL: none)
 * hold them as @mode (MPROC__TASK_*) says. @timeout_ms 0: the pool's. */
typedef struct mproc__submit {
  const char *function;
  int mode;
  const mproc_args *body;
  const void *numbers; /* instead of body: a C array of number_type (typed maps) */
  mproc_type number_type;
  size_t at, n;
  size_t calls;
  int64_t timeout_ms;
  mproc_future *future;
  mproc_map *map;
  size_t first;
} mproc__submit;

/* ---- the public API and lifecycle (pool.c) ---- */
/* mproc_pool_create(), its workers started by @backend when not NULL. */
mproc_status mproc__pool_create(mproc_pool **pool, const mproc_pool_options *options,
                                const mproc_backend *backend, void *state, const char *fn);
/* Sets (@on) or clears the pool's cancellation flag, on its backend too. */
void mproc__pool_cancel_flag(mproc_pool *p, int on);

/* ---- a worker's process, the pool's own or its backend's (backend.c) ---- */
/* Starts @w's worker from @spec into @proc. */
mproc_status mproc__worker_spawn(mproc_pool *p, mproc__worker *w, const mproc__start *spec,
                                 mproc__proc *proc);
void mproc__worker_signal(mproc__worker *w, int force);
mproc_status mproc__worker_wait(mproc__worker *w, int64_t timeout_ms);
void mproc__worker_release(mproc__worker *w);
/* Sweeps what a worker that did not exit cleanly left (the pool's own only). */
void mproc__worker_sweep(mproc__worker *w);
mproc_status mproc__pool_bad(const char *fn, const char *what);
/* The backend the launch chose (plugin.c): found and started by
 * mproc_init() (whose own address is @core), taking its option out of argv. */
mproc_status mproc__plugin_start(int *argc, char ***argv, mproc_backend_core core);
/* The plugin chosen, NULL for mproc's own processes. */
const mproc_backend_plugin *mproc__plugin_selected(void);
/* Calls @b's objects hook for each shared object in values [at, at + n) of
 * @body (@path names it): MPROC_OK when none is refused, or no hook. */
mproc_status mproc__task_objects(const mproc_backend *b, void *state, const mproc_args *body,
                                 size_t at, size_t n, const char *path);
/* A host's initargs (crossing.c): the encoded @buf with each Event replaced
 * by options->event's stand-in, encoded into *out (the caller frees it). */
mproc_status mproc__host_initargs(const uint8_t *buf, size_t len, const mproc_host_options *options,
                                  uint8_t **out, size_t *out_len);
/* MPROC_OK if @p is a usable pool: MPROC_EINVAL for NULL, MPROC_ECLOSED for
 * one destroyed (caught while its memory is in quarantine). */
mproc_status mproc__pool_usable(const mproc_pool *p, const char *fn);
/* Whether @p takes tasks of @function now (what a queue checks first). */
mproc_status mproc__pool_check(mproc_pool *p, const char *function, const char *fn);
/* Checks the pool and queues one task; on failure nothing is queued. */
mproc_status mproc__pool_queue(mproc_pool *p, const mproc__submit *s, const char *fn);

/* ---- tasks and the queue (task.c); the pool's lock held unless said ---- */
/* A task holding the TASK frame of @s (its id set later); no lock needed. */
mproc_status mproc__task_new(mproc__task **out, const mproc__submit *s);
void mproc__task_set_id(mproc__task *t, uint64_t id);
void mproc__task_free(mproc__task *t); /* NULL: nothing */
/* Completes @t from its outcome (its future, or its map's items), then frees it. */
void mproc__task_settle(mproc_pool *p, mproc__task *t);
/* Completes every call of @t as @st (@msg says why; @pid, @exitcode: the worker's). */
void mproc__task_fail(mproc_pool *p, mproc__task *t, mproc_status st, const char *msg, int64_t pid,
                      int exitcode);
void mproc__pool_enqueue(mproc_pool *p, mproc__task *t);
/* Puts @t back at the head of the queue (it was taken back or never sent). */
void mproc__pool_requeue(mproc_pool *p, mproc__task *t);
mproc__task *mproc__pool_pop(mproc_pool *p); /* NULL: the queue is empty */
/* How many cancellations of @p began so far (maps started before one stop). */
uint64_t mproc__pool_cancels(mproc_pool *p);
/* Removes @map's queued tasks, settling them as cancelled. */
void mproc__pool_drop_map(mproc_pool *p, mproc_map *map);
void mproc__pool_fail_queued(mproc_pool *p, mproc_status st, const char *msg);

/* ---- dispatch (dispatch.c); the pool's lock held ---- */
/* Gives idle workers queued tasks, and busy ones pipelined tasks. */
void mproc__pool_dispatch(mproc_pool *p);
/* Sends @w a frame; a send that fails ends the worker: 0. */
int mproc__worker_send(mproc__worker *w, uint16_t type, const uint8_t *buf, size_t len);
/* Whether @w may be given work before its current task is done. */
int mproc__worker_may_run_ahead(const mproc_pool *p, const mproc__worker *w);
/* Unlinks and returns the first of @w's queued tasks (NULL: none). */
mproc__task *mproc__worker_pop_queued(mproc__worker *w);
/* Takes back a pipelined task that has not started, for an idle worker (NULL: none). */
mproc__task *mproc__pool_take_back(mproc_pool *p);

/* ---- fast-path switches (switches.c) ---- */
enum {
  MPROC__FAST_PIPELINE = 1u, /* a busy worker's next short tasks sent ahead (dispatch.c) */
  MPROC__FAST_MBOX = 2u,     /* small frames through shared memory while spinning (mbox.c) */
  MPROC__FAST_LANES = 4u,    /* large frames through shared memory (lane.c) */
  MPROC__FAST_SPIN = 8u,     /* waiters spin briefly before they sleep (core/spin.h) */
  MPROC__FAST_ALL = 15u
};
/* The fast paths MPROC_POOL_DISABLE leaves on; MPROC_EINVAL naming an
 * entry that is no fast path (*on is then all of them). */
mproc_status mproc__fast_paths(unsigned *on);

/* ---- a worker's reader thread (reader.c) ---- */
void *APR_THREAD_FUNC mproc__worker_thread(apr_thread_t *thread, void *data);

/* ---- the monitor (monitor.c); the pool's lock held ---- */
/* Starts the monitor if it is not running: 0 if it cannot be (the pool is broken then). */
int mproc__monitor_start(mproc_pool *p);
void mproc__pool_cancel_locked(mproc_pool *p);

/* ---- ending signals (interrupt.c) ---- */
/* Adds @p to (@add) or removes it from the pools an ending signal cancels;
 * a removal waits while one is being handled (its handler ends the process). */
void mproc__interrupt_register(mproc_pool *p, int add);
/* The process is asked to end: cancels every pool, gives running tasks
 * their grace, then terminates and reaps every worker. */
void mproc__pools_interrupted(void);
/* Non-zero once an ending signal is being handled: no worker is replaced. */
int mproc__pools_interrupting(void);

/* ---- the worker process (worker_main.c) ---- */
/* Pool nesting: 0 in a process that is not a pool worker. */
int mproc__pool_depth(void);
/* A pool worker's main loop, given its START args; never returns. */
MPROC__NORETURN void mproc__worker_main(mproc__chan *chan, const mproc_args *args);

#endif
