/*
 * The MPI backend (mproc/mpi.h): a pool backend (mproc/backend.h) whose
 * hosts are MPI processes.
 *
 * The parent talks to host h (a rank of `comm`) with messages whose tag says
 * what they carry; MPI keeps the order of a sender's messages to one
 * receiver, which both sides rely on:
 *   parent -> host: START (the worker's START bytes), DATA (stream bytes),
 *                   SIGNAL [force], CANCEL [on], SHUTDOWN.
 *   host -> parent: STARTED [status, ticket, message], DATA, EOF (the
 *                   worker's stream ended), EXITED [exit code] (reaped: the
 *                   last of a worker).
 *   either way:     EVENT [index, on]: an Event of the initargs changed;
 *                   ALIVE: a beat, while a worker runs.
 * A START's ticket comes back in its STARTED: what a host sent before that
 * is an earlier worker's (one the parent stopped waiting for: a lost
 * host's), and is dropped. A host silent too long (host_silence_ms) is
 * lost: its worker counts as crashed, and no worker starts there again.
 * (protocol.h; PING and SINK are the benchmark's bare limits.)
 * One worker per host at a time: the pool starts a slot's next worker only
 * after it waited for the last (EXITED).
 *
 * Threads: on each side one thread receives everything (probing with a
 * short sleep when idle, so that an idle pool costs little CPU), and one thread
 * per worker moves what its stream gives to MPI. Hence MPI_THREAD_MULTIPLE.
 * This file uses only mproc's public API and the backend SPI.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_atomic.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "mproc/mpi.h"

#include "protocol.h"
enum { CHUNK = 65536, MAX_HOSTS = 4096, MSG_MAX = 256, MAX_EVENTS = 64 };
#define START_TIMEOUT_S 60    /* a host that does not answer a START by then fails it */
#define SPIN_US 300           /* a receiver probes this long before it naps */
#define BUSY_MS 100           /* for this long after a message (a pool at work) */
#define BUSY_NAP_MAX_US 50    /* it naps at most this long between probes, */
#define IDLE_SLEEP_MAX_US 250 /* and then at most this long */
#define BEAT_MS 500           /* each side tells the other it lives this often */
#define SILENCE_MS 30000      /* a peer silent this long is taken for dead (by default) */
#define REAP_MS 2000          /* an orphaned host waits this long for its worker's end */

/* ---- process state ---- */

static struct {
  int initialized, finalized;
  int rank, size;
  volatile apr_uint32_t tickets; /* the STARTs sent, by any pool */
  MPI_Comm spawned;              /* the last spawn's intercomm, to its hosts */
  int spawned_hosts;             /* how many (0: none) */
  int busy;                      /* a pool uses the hosts */
  char *exe;                     /* argv[0], for MPI_Comm_spawn */
} g;

/* When this process last sent what is answered within a round trip or so
 * (a task's bytes, a result, which the next task follows, a cancel): its
 * receiver spins and naps short from then, as after a message of its own. */
static volatile apr_uint64_t awaited;

static void await_reply(void) { apr_atomic_set64(&awaited, (apr_uint64_t)apr_time_now()); }

/* What a receiver does between probes, at the probe's time @now (beats,
 * silences, the Events' mirroring). */
typedef struct idle_fn {
  void (*fn)(void *arg, apr_time_t now);
  void *arg;
} idle_fn;

/* A thread that moves a worker's stream, one per worker start, with an APR
 * pool of its own: a thread made in a long-lived pool leaves memory there
 * that only that pool's end frees (some KB per start, for as long as the
 * host or the pool lives). */
typedef struct relay {
  apr_pool_t *apool;
  apr_thread_t *thread; /* NULL: none */
} relay;

static int relay_start(relay *r, apr_thread_start_t fn, void *arg) {
  r->thread = NULL;
  if (apr_pool_create(&r->apool, NULL) != APR_SUCCESS)
    return -1;
  if (apr_thread_create(&r->thread, NULL, fn, arg, r->apool) == APR_SUCCESS)
    return 0;
  r->thread = NULL; /* (APR may have written it) */
  apr_pool_destroy(r->apool);
  return -1;
}

static void relay_join(relay *r) {
  apr_status_t ignored;
  if (!r->thread)
    return;
  apr_thread_join(&ignored, r->thread);
  apr_pool_destroy(r->apool);
  r->thread = NULL;
}

/* Receives whatever comes next from @source on @comm into a buffer it
 * grows, calling @idle between probes. A reply mostly follows a message
 * within a round trip, so it probes for SPIN_US first, yielding the CPU
 * between probes; then it naps between probes, longer each time up to
 * BUSY_NAP_MAX_US while tasks of a few ms may be running (each nap delays
 * the next one's dispatch), then up to IDLE_SLEEP_MAX_US (an idle pool
 * costs little CPU, where MPI's own blocking receives spin). @return 0 when @stop
 * became non-zero first. */
static int recv_any(MPI_Comm comm, int source, volatile apr_uint32_t *stop, idle_fn idle,
                    char **buf, int *cap, MPI_Status *status, int *len) {
  apr_time_t start = apr_time_now(), now, since;
  int flag = 0, nap = 10, most;
  while (!flag) {
    MPI_Iprobe(source, MPI_ANY_TAG, comm, &flag, status);
    if (flag)
      break;
    if (stop && apr_atomic_read32(stop))
      return 0;
    now = apr_time_now();
    idle.fn(idle.arg, now);
    since = (apr_time_t)apr_atomic_read64(&awaited);
    since = since > start ? since : start;
    if (now - since < SPIN_US) {
      apr_thread_yield();
      continue;
    }
    apr_sleep(nap);
    most = now - since < apr_time_from_msec(BUSY_MS) ? BUSY_NAP_MAX_US : IDLE_SLEEP_MAX_US;
    nap = nap * 2 > most ? most : nap * 2;
  }
  MPI_Get_count(status, MPI_BYTE, len);
  if (*len > *cap) {
    char *grown = realloc(*buf, (size_t)*len);
    if (!grown) { /* a message we cannot take breaks the stream: nothing sane is left */
      fprintf(stderr, "mproc mpi: no memory for a message of %d bytes: aborting\n", *len);
      abort();
    }
    *buf = grown;
    *cap = *len;
  }
  MPI_Recv(*buf, *len, MPI_BYTE, status->MPI_SOURCE, status->MPI_TAG, comm, MPI_STATUS_IGNORE);
  return 1;
}

static void send_i32(MPI_Comm comm, int dest, int tag, int32_t v) {
  MPI_Send(&v, (int)sizeof v, MPI_BYTE, dest, tag, comm);
}

/* An Event's new state: [index:i32, on:i32], either way. */
static void send_event(MPI_Comm comm, int dest, int32_t index, int32_t on) {
  int32_t v[2];
  v[0] = index;
  v[1] = on;
  MPI_Send(v, (int)sizeof v, MPI_BYTE, dest, T_EVENT, comm);
}

/* Reads an EVENT message into *index, *on: 0 when it is not one. */
static int read_event(const char *buf, int len, int n, int32_t *index, int32_t *on) {
  if (len != 8)
    return 0;
  memcpy(index, buf, 4);
  memcpy(on, buf + 4, 4);
  return *index >= 0 && *index < n;
}

/* ---- the host: a rank that runs one worker at a time for the parent ---- */

/* A host's stand-in for an Event of the pool's initargs: the worker opens
 * it, and the host mirrors its changes with the parent's. */
typedef struct mirror {
  char *name;         /* the pool's Event it stands for (a new pool's: a new one) */
  mproc_event *local; /* NULL: none yet */
  int last;           /* its state as last sent or heard */
} mirror;

typedef struct host {
  MPI_Comm comm;
  int parent;
  mproc_host_worker *worker; /* NULL: none runs */
  relay up;                  /* its relay, to the parent */
  int cancel;                /* the pool's flag, for a worker started after it changed */
  mirror events[MAX_EVENTS]; /* by the Events' number in the initargs */
  const char *states;        /* the parent's Events' states, as the START came */
  int32_t n_states;
  /* liveness: beats sent, the parent last heard, this loop last run */
  apr_time_t beat, heard, polled;
  apr_interval_time_t silence;   /* the parent's, from the START (0: never taken for dead) */
  volatile apr_uint32_t serving; /* a worker runs: a silent parent matters */
} host;

/* The worker's stream ended: it is reaped, and the parent told (EOF, EXITED). */
static void host_reap(host *h) {
  int code = -1;
  MPI_Send(NULL, 0, MPI_BYTE, h->parent, T_EOF, h->comm);
  mproc_host_worker_wait(h->worker, MPROC_WAIT_FOREVER, &code);
  apr_atomic_set32(&h->serving, 0);
  send_i32(h->comm, h->parent, T_EXITED, code);
}

/* Moves what the worker writes to the parent, then reaps it. */
static void *APR_THREAD_FUNC host_up(apr_thread_t *t, void *arg) {
  host *h = arg;
  char buf[CHUNK]; /* (on the relay's own stack: no allocation to fail) */
  size_t got = 0;
  (void)t;
  while (mproc_host_worker_read(h->worker, buf, CHUNK, &got) == MPROC_OK && got) {
    MPI_Send(buf, (int)got, MPI_BYTE, h->parent, T_DATA, h->comm);
    await_reply(); /* (the next task) */
  }
  host_reap(h);
  return NULL;
}

/* Ends the last worker's relay and frees it (it was reaped, or is killed now). */
static void host_drop(host *h) {
  if (!h->worker)
    return;
  mproc_host_worker_signal(h->worker, 1);
  relay_join(&h->up);
  mproc_host_worker_destroy(h->worker);
  h->worker = NULL;
}

/* The parent is gone, and MPI did not end the job: neither may the worker
 * outlive it. It is killed, and reaped by its relay (which sweeps the names
 * it left) when its stream ends, unless the relay is stuck in a send to the
 * parent: then, after REAP_MS, the OS's reaper takes it. (A parent silent
 * only because this host did not run, stopped or starved, is not taken for
 * gone: see host_poll().) */
static void host_orphaned(host *h) {
  apr_time_t until = apr_time_now() + apr_time_from_msec(REAP_MS);
  fprintf(stderr, "mproc mpi host: the parent was silent for %lld ms: ending its worker\n",
          (long long)apr_time_as_msec(h->silence));
  mproc_host_worker_signal(h->worker, 1);
  while (apr_atomic_read32(&h->serving) && apr_time_now() < until)
    apr_sleep(1000);
  exit(1);
}

/* Between probes, at @now: beats, a silent parent, and what the worker
 * changed of its Events (sent to the parent). */
static void host_poll(void *arg, apr_time_t now) {
  host *h = arg;
  int i, on;
  if (now - h->polled > apr_time_from_msec(BEAT_MS))
    h->heard = now; /* this host did not run: the parent's silence proves nothing */
  h->polled = now;
  if (apr_atomic_read32(&h->serving) && now - h->beat >= apr_time_from_msec(BEAT_MS)) {
    MPI_Send(NULL, 0, MPI_BYTE, h->parent, T_ALIVE, h->comm); /* (only to a pool's receiver) */
    h->beat = now;
  }
  if (h->silence && apr_atomic_read32(&h->serving) && now - h->heard > h->silence)
    host_orphaned(h);
  for (i = 0; i < MAX_EVENTS && h->events[i].local; i++)
    if ((on = mproc_event_is_set(h->events[i].local)) != h->events[i].last) {
      h->events[i].last = on;
      send_event(h->comm, h->parent, i, on);
    }
}

static void mirror_drop(mirror *m) {
  if (m->local)
    mproc_event_destroy(m->local);
  free(m->name);
  memset(m, 0, sizeof *m);
}

/* mproc_host_options.event: the stand-in for the parent's Event @index,
 * made when a pool's first worker starts here, in the state the START told. */
static mproc_status host_event(void *state, size_t index, const char *name, mproc_event **local) {
  host *h = state;
  mirror *m = &h->events[index < MAX_EVENTS ? index : 0];
  mproc_status st;
  int on = (int)index < h->n_states && h->states[index];
  if (index >= MAX_EVENTS || (int)index >= h->n_states)
    return mproc_backend_fail(MPROC_EPROTO, "mpi: the START told %d Events' states, not %zu's",
                              (int)h->n_states, index);
  if (!m->local || strcmp(m->name, name) != 0) {
    mirror_drop(m);
    if ((m->name = malloc(strlen(name) + 1)) == NULL)
      return mproc_backend_fail(MPROC_ENOMEM, "mpi: out of memory");
    strcpy(m->name, name);
    if ((st = mproc_event_create(&m->local)) != MPROC_OK)
      return st;
  }
  st = on ? mproc_event_set(m->local) : mproc_event_clear(m->local);
  m->last = on;
  *local = m->local;
  return st;
}

/* A START: [silence_ms:i32, ticket:i32, n:i32, the parent's n Events'
 * states: n bytes, the START's bytes]; the STARTED answer: [status:i32,
 * ticket:i32, message]. */
static void host_start(host *h, const char *msg, int len) {
  char reply[8 + MSG_MAX];
  int32_t st, n = -1, silence = 0, ticket = 0;
  if (len >= 12) {
    memcpy(&silence, msg, 4);
    memcpy(&ticket, msg + 4, 4);
    memcpy(&n, msg + 8, 4);
    msg += 8;
    len -= 8;
  }
  host_drop(h);                 /* (the parent waited for it: it is reaped) */
  host_poll(h, apr_time_now()); /* (what the last worker set, before the START's states land) */
  /* A worker starts with its flag cleared, maybe for another pool: the
   * parent sends the flag again after the start if it is set. */
  h->cancel = 0;
  h->states = msg + 4;
  h->n_states = n;
  if (n < 0 || n > MAX_EVENTS || len < 4 + n)
    st = mproc_backend_fail(MPROC_EPROTO, "mpi: a START of %d bytes", len);
  else
    st = (int32_t)mproc_host_worker_start(&h->worker, msg + 4 + n, (size_t)(len - 4 - n),
                                          &(mproc_host_options){.event = host_event, .state = h});
  if (st != MPROC_OK)
    h->worker = NULL;
  h->silence = silence > 0 ? apr_time_from_msec(silence) : 0;
  apr_atomic_set32(&h->serving, st == MPROC_OK);
  memcpy(reply, &st, 4);
  memcpy(reply + 4, &ticket, 4);
  snprintf(reply + 8, MSG_MAX, "%s", st == MPROC_OK ? "" : mproc_last_error());
  MPI_Send(reply, 8 + (int)strlen(reply + 8) + 1, MPI_BYTE, h->parent, T_STARTED, h->comm);
  if (st == MPROC_OK && relay_start(&h->up, host_up, h) != 0) {
    /* no relay (after STARTED: what the worker writes must follow it): the
     * worker ends at once, and the parent sees a worker that died */
    fprintf(stderr, "mproc mpi host: no thread to relay a worker: ending it\n");
    mproc_host_worker_signal(h->worker, 1);
    host_reap(h);
    mproc_host_worker_destroy(h->worker);
    h->worker = NULL;
  }
}

/* The host's loop: until SHUTDOWN, then MPI is finalized and the process exits. */
static void host_serve(MPI_Comm comm, int parent) {
  host h;
  char *buf = NULL;
  int cap = 0, len = 0, i;
  MPI_Status s;
  memset(&h, 0, sizeof h);
  h.comm = comm;
  h.parent = parent;
  for (;;) {
    int32_t v = 0, on = 0;
    recv_any(comm, parent, NULL, (idle_fn){host_poll, &h}, &buf, &cap, &s, &len);
    h.heard = apr_time_now(); /* (whatever it says: the parent lives) */
    host_poll(&h, h.heard);   /* (a busy host beats too) */
    if (len >= 4)
      memcpy(&v, buf, 4);
    if (s.MPI_TAG == T_START)
      host_start(&h, buf, len);
    else if (s.MPI_TAG == T_DATA && h.worker)
      mproc_host_worker_write(h.worker, buf, (size_t)len); /* a worker gone: its EOF tells */
    else if (s.MPI_TAG == T_SIGNAL && h.worker)
      mproc_host_worker_signal(h.worker, v);
    else if (s.MPI_TAG == T_CANCEL) {
      h.cancel = v != 0;
      if (h.worker)
        mproc_host_worker_cancel(h.worker, h.cancel);
    } else if (s.MPI_TAG == T_EVENT && read_event(buf, len, MAX_EVENTS, &v, &on) &&
               h.events[v].local) {
      h.events[v].last = on;
      (void)(on ? mproc_event_set(h.events[v].local) : mproc_event_clear(h.events[v].local));
    } else if (s.MPI_TAG == T_PING) {
      MPI_Send(buf, len, MPI_BYTE, parent, T_PONG, comm);
    } else if (s.MPI_TAG == T_SINK && len == 0) {
      MPI_Send(NULL, 0, MPI_BYTE, parent, T_PONG, comm); /* (a stream's end: acked) */
    } else if (s.MPI_TAG == T_SHUTDOWN) {
      break;
    }
  }
  host_drop(&h);
  for (i = 0; i < MAX_EVENTS; i++)
    mirror_drop(&h.events[i]);
  free(buf);
  if (comm != MPI_COMM_WORLD)
    MPI_Comm_disconnect(&comm);
  MPI_Finalize();
  exit(0);
}

/* ---- the parent: the backend's hooks ---- */

typedef struct slot {
  int rank;                     /* its host in b->comm */
  int64_t gen;                  /* which worker of the slot is current */
  uint32_t ticket;              /* its START's: a STARTED answers it if it echoes it */
  mproc_backend_stream *stream; /* the current worker's (or the last one's) */
  relay down;                   /* its relay, to the host */
  int started;                  /* STARTED came: its status in start_st */
  int32_t start_st;
  char start_msg[MSG_MAX];
  /* No worker runs there: 1 until a START goes, then once its EXITED came
   * (its code), its start failed or its host was lost. Read unlocked by the
   * receiver's beats; written under the lock. */
  volatile apr_uint32_t exited;
  int code;
  volatile apr_uint32_t heard; /* ms (since the backend began) it last sent anything */
  volatile apr_uint32_t lost;  /* silent too long: taken for dead, for good */
} slot;

typedef struct mpi_backend {
  MPI_Comm comm;
  int n;
  slot *slots;
  apr_pool_t *apool;
  apr_thread_mutex_t *lock;
  apr_thread_cond_t *changed;
  apr_thread_t *receiver;
  volatile apr_uint32_t stop;      /* the receiver ends (mpi_destroy()) */
  apr_time_t t0, beat;             /* the backend began; beats last sent */
  apr_uint32_t silence_ms;         /* a host silent this long is lost (0: never) */
  mproc_event *events[MAX_EVENTS]; /* the initargs' Events, in their order */
  int last[MAX_EVENTS];            /* each one's state as last sent or heard */
  int n_events;
} mpi_backend;

/* ids: the slot and its worker's generation */
#define ID(slot, gen) ((int64_t)(gen)*MAX_HOSTS + (slot))
#define ID_SLOT(id) ((int)((id) % MAX_HOSTS))

/* ms since the backend began, at @now: what slots' `heard` counts in */
static apr_uint32_t ms_at(const mpi_backend *b, apr_time_t now) {
  return (apr_uint32_t)apr_time_as_msec(now - b->t0);
}

/* Memory of sends given up on: MPI may read a send's buffer until the send
 * completes, which to a lost host may be never, so each is freed only once
 * MPI is finalized (a block lost with its host, at most one per host). */
typedef struct abandoned {
  struct abandoned *next;
  void *block;
} abandoned;

static volatile void *abandoned_blocks; /* (APR's atomics take volatile void **) */

static void abandon(void *block) {
  abandoned *a = malloc(sizeof *a);
  void *head;
  if (!a)
    return; /* (the block is left to the process's end) */
  a->block = block;
  do
    a->next = head = apr_atomic_casptr(&abandoned_blocks, NULL, NULL);
  while (apr_atomic_casptr(&abandoned_blocks, a, head) != head);
}

/* After MPI_Finalize: nothing reads them now. */
static void free_abandoned(void) {
  abandoned *a = apr_atomic_xchgptr(&abandoned_blocks, NULL), *next;
  for (; a; a = next) {
    next = a->next;
    free(a->block);
    free(a);
  }
}

/* MPI_Send of @buf, which lies in the heap block @block, that gives up when
 * slot @s's host is lost (a send to a host that does not run may never
 * end): 0 sent; -1 not, and @block is then MPI's (abandon()), not the
 * caller's to free. */
static int send_watched(mpi_backend *b, slot *s, void *block, const void *buf, int len, int tag) {
  MPI_Request req;
  int done = 0, spins = 0;
  MPI_Isend(buf, len, MPI_BYTE, s->rank, tag, b->comm, &req);
  await_reply();
  for (;;) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done)
      return 0;
    if (apr_atomic_read32(&s->lost)) {
      MPI_Request_free(&req); /* (MPI completes or drops it: nobody waits) */
      abandon(block);
      return -1;
    }
    if (spins++ < 100)
      apr_thread_yield();
    else
      apr_sleep(50);
  }
}

/* Moves what the pool writes to slot @s's host, until the pool closes it;
 * its buffer is allocated with it (mpi_start()), to be abandoned with a
 * send to a lost host. */
typedef struct down_arg {
  mpi_backend *b;
  slot *s;
  mproc_backend_stream *stream;
  char buf[CHUNK];
} down_arg;

static void *APR_THREAD_FUNC parent_down(apr_thread_t *t, void *arg) {
  down_arg *a = arg;
  size_t got = 0;
  (void)t;
  while (mproc_backend_stream_read(a->stream, a->buf, CHUNK, &got) == MPROC_OK && got)
    if (send_watched(a->b, a->s, a, a->buf, (int)got, T_DATA) != 0)
      return NULL; /* (a is MPI's now) */
  free(a);
  return NULL;
}

/* Event @i is @on here: every host hears it. */
static void parent_tell(mpi_backend *b, int i, int on) {
  int k;
  b->last[i] = on;
  for (k = 0; k < b->n; k++)
    if (!apr_atomic_read32(&b->slots[k].lost)) /* (see host_lost()) */
      send_event(b->comm, b->slots[k].rank, i, on);
}

/* Slot @s's host was silent too long: its worker is taken for crashed (the
 * pool reads its stream's end), no worker starts there again, and nothing
 * is sent to it but one last SIGNAL, which nothing waits for. */
static void host_lost(mpi_backend *b, slot *s) {
  static int32_t force = 1; /* (the SIGNAL's: MPI may read it whenever) */
  MPI_Request req;
  mproc_backend_stream *stream;
  apr_atomic_set32(&s->lost, 1);
  apr_thread_mutex_lock(b->lock);
  if (!s->started) {
    s->started = 1;
    s->start_st = MPROC_ECRASHED;
    snprintf(s->start_msg, sizeof s->start_msg, "no answer in %u ms", (unsigned)b->silence_ms);
  }
  apr_atomic_set32(&s->exited, 1);
  s->code = -9; /* (as a worker killed) */
  stream = s->stream;
  apr_thread_cond_broadcast(b->changed);
  apr_thread_mutex_unlock(b->lock);
  if (stream)
    mproc_backend_stream_end(stream);
  /* should it run again, it ends the worker (and no longer waits for us) */
  MPI_Isend(&force, (int)sizeof force, MPI_BYTE, s->rank, T_SIGNAL, b->comm, &req);
  MPI_Request_free(&req);
}

/* How long a host was silent at @ms, having last been heard at @heard:
 * another thread may have set @heard after @ms was read (a START, a
 * message), and then it is not silent at all. */
static apr_uint32_t silent_ms(apr_uint32_t ms, apr_uint32_t heard) {
  apr_int32_t since = (apr_int32_t)(ms - heard); /* (wraps as the clock does) */
  return since > 0 ? (apr_uint32_t)since : 0;
}

/* Between probes: beats to the hosts, hosts silent too long, and what
 * changed of the Events here (set by this process or another of this
 * machine), told to the hosts. */
static void parent_poll(void *arg, apr_time_t now) {
  mpi_backend *b = arg;
  apr_uint32_t ms = ms_at(b, now);
  int i, on;
  /* (only while a worker runs there: the host, serving it, beats too) */
  if (now - b->beat >= apr_time_from_msec(BEAT_MS)) {
    for (i = 0; i < b->n; i++)
      if (!apr_atomic_read32(&b->slots[i].exited))
        MPI_Send(NULL, 0, MPI_BYTE, b->slots[i].rank, T_ALIVE, b->comm);
    b->beat = now;
  }
  for (i = 0; b->silence_ms && i < b->n; i++)
    if (!apr_atomic_read32(&b->slots[i].exited) &&
        silent_ms(ms, apr_atomic_read32(&b->slots[i].heard)) > b->silence_ms)
      host_lost(b, &b->slots[i]);
  for (i = 0; i < b->n_events; i++)
    if ((on = mproc_event_is_set(b->events[i])) != b->last[i])
      parent_tell(b, i, on);
}

/* Everything the hosts send, until the backend is destroyed. */
static void *APR_THREAD_FUNC parent_receive(apr_thread_t *t, void *arg) {
  mpi_backend *b = arg;
  char *buf = NULL;
  int cap = 0, len = 0;
  MPI_Status st;
  (void)t;
  while (recv_any(b->comm, MPI_ANY_SOURCE, &b->stop, (idle_fn){parent_poll, b}, &buf, &cap, &st,
                  &len)) {
    int index = st.MPI_SOURCE - b->slots[0].rank; /* slot i's host: the next rank up */
    slot *s = index >= 0 && index < b->n ? &b->slots[index] : NULL;
    int32_t v = 0;
    if (!s || apr_atomic_read32(&s->lost))
      continue; /* a host no slot of this pool uses (a static job's spare), or lost */
    apr_atomic_set32(&s->heard, ms_at(b, apr_time_now()));
    if (len >= 4)
      memcpy(&v, buf, 4);
    if (st.MPI_TAG == T_EVENT) { /* a worker changed one: here, then everywhere */
      int32_t on = 0;
      if (read_event(buf, len, b->n_events, &v, &on)) {
        (void)(on ? mproc_event_set(b->events[v]) : mproc_event_clear(b->events[v]));
        parent_tell(b, v, on);
      }
    } else if (st.MPI_TAG == T_DATA || st.MPI_TAG == T_EOF) {
      mproc_backend_stream *stream;
      apr_thread_mutex_lock(b->lock); /* (the worker's: its start set it before START went) */
      stream = s->started ? s->stream : NULL; /* (before: an earlier worker's, stale) */
      apr_thread_mutex_unlock(b->lock);
      if (stream && st.MPI_TAG == T_DATA)
        mproc_backend_stream_write(stream, buf, (size_t)len);
      else if (stream)
        mproc_backend_stream_end(stream);
    } else if (st.MPI_TAG == T_STARTED || st.MPI_TAG == T_EXITED) {
      uint32_t ticket = 0;
      if (len >= 8)
        memcpy(&ticket, buf + 4, 4);
      apr_thread_mutex_lock(b->lock);
      if (st.MPI_TAG == T_STARTED && len >= 8 && ticket == s->ticket && !s->started) {
        s->started = 1;
        s->start_st = v;
        snprintf(s->start_msg, sizeof s->start_msg, "%.*s", len - 8, buf + 8);
      } else if (st.MPI_TAG == T_EXITED && s->started) { /* (before: stale) */
        s->code = v;
        apr_atomic_set32(&s->exited, 1);
      }
      apr_thread_cond_broadcast(b->changed);
      apr_thread_mutex_unlock(b->lock);
    }
  }
  free(buf);
  return NULL;
}

/* Ends the slot's last worker's stream: the pool waited for that worker and
 * closed its ends, so its relay has ended or is ending. */
static void settle(mpi_backend *b, slot *s) {
  mproc_backend_stream *old;
  relay down;
  apr_thread_mutex_lock(b->lock);
  old = s->stream;
  down = s->down;
  s->stream = NULL;
  s->down.thread = NULL;
  apr_thread_mutex_unlock(b->lock);
  relay_join(&down);
  if (old)
    mproc_backend_stream_destroy(old);
}

/* A START with the parent's silence limit and the Events' states before
 * it (host_start()). */
static mproc_status send_start(mpi_backend *b, slot *s, uint32_t ticket, const void *start,
                               size_t len) {
  char *msg = malloc(12 + MAX_EVENTS + len);
  int32_t n = b->n_events, silence = (int32_t)b->silence_ms;
  int i, sent;
  if (!msg || len > INT32_MAX - 12 - MAX_EVENTS) {
    free(msg);
    return mproc_backend_fail(MPROC_ENOMEM, "mpi: no room for a START of %zu bytes", len);
  }
  memcpy(msg, &silence, 4);
  memcpy(msg + 4, &ticket, 4);
  memcpy(msg + 8, &n, 4);
  for (i = 0; i < n; i++)
    msg[12 + i] = (char)mproc_event_is_set(b->events[i]);
  memcpy(msg + 12 + n, start, len);
  sent = send_watched(b, s, msg, msg, 12 + n + (int)len, T_START);
  if (sent == 0)
    free(msg); /* (else it is MPI's) */
  return sent == 0
             ? MPROC_OK
             : mproc_backend_fail(MPROC_ECRASHED, "mpi: host rank %d stopped answering", s->rank);
}

static mproc_status mpi_start(void *state, int index, const void *start, size_t len, intptr_t *rd,
                              intptr_t *wr, int64_t *id) {
  mpi_backend *b = state;
  slot *s = &b->slots[index];
  mproc_backend_stream *stream = NULL;
  down_arg *a;
  apr_time_t until;
  uint32_t ticket;
  int started;
  mproc_status st;
  if (apr_atomic_read32(&s->lost))
    return mproc_backend_fail(MPROC_ECRASHED,
                              "mpi: host rank %d was silent for over %u ms: the pool goes on "
                              "without it",
                              s->rank, (unsigned)b->silence_ms);
  a = malloc(sizeof *a);
  st = a ? mproc_backend_stream_create(&stream, rd, wr) : MPROC_ENOMEM;
  if (st != MPROC_OK) {
    free(a);
    return st == MPROC_ENOMEM ? mproc_backend_fail(st, "mpi: out of memory") : st;
  }
  settle(b, s);
  apr_thread_mutex_lock(b->lock);
  s->stream = stream;
  s->started = 0;
  s->gen++;
  s->ticket = ticket = apr_atomic_inc32(&g.tickets) + 1;
  apr_atomic_set32(&s->heard, ms_at(b, apr_time_now())); /* (its silence counts from its START) */
  apr_atomic_set32(&s->exited, 0);
  apr_thread_mutex_unlock(b->lock);
  if ((st = send_start(b, s, ticket, start, len)) != MPROC_OK) {
    free(a);
    return st;
  }
  until = apr_time_now() + apr_time_from_sec(START_TIMEOUT_S);
  apr_thread_mutex_lock(b->lock);
  while (!s->started && apr_time_now() < until)
    apr_thread_cond_timedwait(b->changed, b->lock, until - apr_time_now());
  st = s->started ? s->start_st : MPROC_ETIMEDOUT;
  if (!s->started)
    snprintf(s->start_msg, sizeof s->start_msg, "no answer in %d s", START_TIMEOUT_S);
  if (st != MPROC_OK)
    apr_atomic_set32(&s->exited, 1); /* (nothing runs there to be silent about) */
  apr_thread_mutex_unlock(b->lock);
  if (st != MPROC_OK) {
    free(a);
    return mproc_backend_fail(st, "mpi: host rank %d: %s", s->rank, s->start_msg);
  }
  a->b = b;
  a->s = s;
  a->stream = stream;
  apr_thread_mutex_lock(b->lock);
  started = relay_start(&s->down, parent_down, a) == 0;
  apr_thread_mutex_unlock(b->lock);
  if (!started) {
    free(a);
    send_i32(b->comm, s->rank, T_SIGNAL, 1);
    return mproc_backend_fail(MPROC_ENOMEM, "mpi: no thread for host rank %d", s->rank);
  }
  *id = ID(index, s->gen);
  return MPROC_OK;
}

static void mpi_signal(void *state, int64_t id, int force) {
  mpi_backend *b = state;
  slot *s = &b->slots[ID_SLOT(id)];
  if (!apr_atomic_read32(&s->lost))
    send_i32(b->comm, s->rank, T_SIGNAL, force);
  await_reply(); /* (its end) */
}

static mproc_status mpi_wait(void *state, int64_t id, int64_t timeout_ms, int *exitcode) {
  mpi_backend *b = state;
  slot *s = &b->slots[ID_SLOT(id)];
  apr_time_t until = timeout_ms < 0 ? 0 : apr_time_now() + apr_time_from_msec(timeout_ms);
  mproc_status st = MPROC_OK;
  apr_thread_mutex_lock(b->lock);
  while (!s->exited && st == MPROC_OK) {
    if (timeout_ms < 0)
      apr_thread_cond_wait(b->changed, b->lock);
    else if (apr_time_now() >= until)
      st = MPROC_ETIMEDOUT;
    else
      apr_thread_cond_timedwait(b->changed, b->lock, until - apr_time_now());
  }
  if (st == MPROC_OK)
    *exitcode = s->code;
  apr_thread_mutex_unlock(b->lock);
  return st == MPROC_OK ? st
                        : mproc_backend_fail(st, "mpi: host rank %d: worker still runs", s->rank);
}

static void mpi_cancel(void *state, int on) {
  mpi_backend *b = state;
  int i;
  for (i = 0; i < b->n; i++)
    if (!apr_atomic_read32(&b->slots[i].lost))
      send_i32(b->comm, b->slots[i].rank, T_CANCEL, on);
  await_reply(); /* (the tasks' ends) */
}

/* Every worker was waited for and the pool closed its ends. */
static void mpi_destroy(void *state) {
  mpi_backend *b = state;
  apr_status_t ignored;
  int i;
  for (i = 0; i < b->n; i++)
    settle(b, &b->slots[i]);
  apr_atomic_set32(&b->stop, 1);
  apr_thread_join(&ignored, b->receiver);
  for (i = 0; i < b->n_events; i++)
    mproc_event_close(b->events[i]);
  free(b->slots);
  apr_pool_destroy(b->apool);
  free(b);
  g.busy = 0;
}

/* "a Lock", "an Event": the article of an object's kind name. */
static const char *article(const char *kind) { return strchr("AEIOUR", kind[0]) ? "an" : "a"; }

/* The objects hook: no shared object crosses in a task's arguments (the
 * initargs' Events are mirrored once per pool; a task's could not be). */
static mproc_status task_cross(void *state, const mproc_args *list, size_t index, const char *kind,
                               const char *path) {
  (void)state, (void)list, (void)index;
  return mproc_backend_fail(MPROC_ENOTSHAREABLE,
                            "%s is %s %s, which cannot cross to the mpi backend's hosts in a "
                            "task's arguments (only Events in the initargs are mirrored): pass "
                            "data instead",
                            path, article(kind), kind);
}

static const mproc_backend mpi_ops = {.name = "mpi",
                                      .start = mpi_start,
                                      .signal = mpi_signal,
                                      .wait = mpi_wait,
                                      .cancel = mpi_cancel,
                                      .destroy = mpi_destroy,
                                      .objects = task_cross};

/* ---- the public functions ---- */

/* Ends the last spawn's hosts, and disconnects them (a disconnect takes
 * both sides). */
static void shutdown_spawned(void) {
  int i;
  for (i = 0; i < g.spawned_hosts; i++)
    MPI_Send(NULL, 0, MPI_BYTE, i, T_SHUTDOWN, g.spawned);
  if (g.spawned_hosts)
    MPI_Comm_disconnect(&g.spawned);
  g.spawned_hosts = 0;
}

/* Spawns @n hosts of this program (g.spawned), unless the last spawn's
 * are enough: a pool's start then costs no spawn, and no disconnect. */
static mproc_status spawn_hosts(int n) {
  int *errors, rc;
  char *argv[] = {"--mproc-backend=mpi", NULL}; /* (mproc_init() starts a host) */
  if (g.spawned_hosts >= n)                     /* the last pool's hosts serve this one: no spawn */
    return MPROC_OK;
  if ((errors = calloc((size_t)n, sizeof *errors)) == NULL)
    return mproc_backend_fail(MPROC_ENOMEM, "mproc_mpi_pool_create: out of memory");
  shutdown_spawned(); /* too few: ended, and as many as needed spawned */
  /* a spawn that fails is a status, not the job's end */
  MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
  rc = MPI_Comm_spawn(g.exe, argv, n, MPI_INFO_NULL, 0, MPI_COMM_SELF, &g.spawned, errors);
  free(errors);
  if (rc != MPI_SUCCESS) {
    char why[MPI_MAX_ERROR_STRING] = "";
    int wlen = 0;
    MPI_Error_string(rc, why, &wlen);
    return mproc_backend_fail(MPROC_ENOTSUP,
                              "mproc_mpi_pool_create: MPI_Comm_spawn of %d x %s failed: %s (for "
                              "more hosts than slots, Open MPI needs "
                              "OMPI_MCA_rmaps_base_oversubscribe=1 or a hostfile)",
                              n, g.exe, why);
  }
  g.spawned_hosts = n;
  return MPROC_OK;
}

/* A pool's initargs: its Events, opened (the backend mirrors them), in
 * the order of mproc_backend_objects(). */
typedef struct crossing {
  mproc_event *events[MAX_EVENTS];
  int n;
} crossing;

static void crossing_close(crossing *c) {
  while (c->n > 0)
    mproc_event_close(c->events[--c->n]);
}

/* The backend of a pool of @n workers: on the spawned hosts, or the job's;
 * on success it owns @c's Events. */
static mproc_status backend_new(mpi_backend **out, int n, int spawned, apr_uint32_t silence_ms,
                                crossing *c) {
  mpi_backend *b = calloc(1, sizeof *b);
  int i;
  if (!b || (b->slots = calloc((size_t)n, sizeof *b->slots)) == NULL ||
      apr_pool_create(&b->apool, NULL) != APR_SUCCESS ||
      apr_thread_mutex_create(&b->lock, APR_THREAD_MUTEX_DEFAULT, b->apool) != APR_SUCCESS ||
      apr_thread_cond_create(&b->changed, b->apool) != APR_SUCCESS) {
    if (b)
      free(b->slots);
    free(b);
    return mproc_backend_fail(MPROC_ENOMEM, "mproc_mpi_pool_create: out of memory");
  }
  b->comm = spawned ? g.spawned : MPI_COMM_WORLD;
  b->n = n;
  b->t0 = apr_time_now();
  b->silence_ms = silence_ms == 0 ? SILENCE_MS : silence_ms == UINT32_MAX ? 0 : silence_ms;
  for (i = 0; i < n; i++) { /* spawned: the remote group's ranks; static: rank 0 is us */
    b->slots[i].rank = spawned ? i : i + 1;
    b->slots[i].exited = 1;
  }
  for (i = 0; i < c->n; i++) { /* (the hosts learn their states with each START) */
    b->events[i] = c->events[i];
    b->last[i] = mproc_event_is_set(b->events[i]);
  }
  b->n_events = c->n;
  if (apr_thread_create(&b->receiver, NULL, parent_receive, b, b->apool) != APR_SUCCESS) {
    apr_pool_destroy(b->apool);
    free(b->slots);
    free(b);
    return mproc_backend_fail(MPROC_ENOMEM, "mproc_mpi_pool_create: no receiving thread");
  }
  c->n = 0;
  *out = b;
  return MPROC_OK;
}

/* Shared objects name memory of this machine: on another host their open
 * would fail, or worse, succeed on this one for some workers only. An
 * Event is mirrored; any other object is refused. */
static mproc_status cross(void *state, const mproc_args *list, size_t index, const char *kind,
                          const char *path) {
  crossing *c = state;
  mproc_status st;
  if (strcmp(kind, "Event") != 0)
    return mproc_backend_fail(MPROC_ENOTSHAREABLE,
                              "mproc_mpi_pool_create: %s is %s %s, which cannot cross to the "
                              "mpi backend's hosts (of shared objects, only an Event is "
                              "mirrored there): pass data instead",
                              path, article(kind), kind);
  if (c->n == MAX_EVENTS)
    return mproc_backend_fail(MPROC_ERANGE,
                              "mproc_mpi_pool_create: %s: the initargs hold more than %d Events",
                              path, MAX_EVENTS);
  if ((st = mproc_args_open_event(list, index, &c->events[c->n])) == MPROC_OK)
    c->n++;
  return st; /* (a failed open's message says why) */
}

mproc_status mproc_mpi_pool_create(mproc_pool **pool, const mproc_pool_options *options,
                                   const mproc_mpi_options *mpi) {
  mproc_pool_options o = options ? *options : (mproc_pool_options){0};
  mproc_mpi_mode mode = mpi ? mpi->mode : MPROC_MPI_AUTO;
  mpi_backend *b = NULL;
  crossing c = {{NULL}, 0};
  int hosts, spawn;
  size_t i;
  mproc_status st;
  if (!pool)
    return mproc_backend_fail(MPROC_EINVAL, "mproc_mpi_pool_create: pool is NULL");
  for (i = 0; mpi && i < sizeof mpi->reserved / sizeof mpi->reserved[0]; i++)
    if (mpi->reserved[i])
      return mproc_backend_fail(MPROC_EINVAL, "mproc_mpi_pool_create: mpi->reserved[%zu] is set",
                                i);
  if (!g.initialized || g.finalized)
    return mproc_backend_fail(MPROC_ENOTINIT, "mproc_mpi_pool_create: call mproc_mpi_init() first");
  if (g.busy)
    return mproc_backend_fail(MPROC_ESTATE,
                              "mproc_mpi_pool_create: another MPI pool uses the hosts");
  spawn = mode == MPROC_MPI_SPAWN || (mode == MPROC_MPI_AUTO && g.size == 1);
  hosts = spawn ? MAX_HOSTS - 1 : g.size - 1;
  if (o.workers == 0)
    o.workers = spawn ? mproc_cpu_count() : hosts;
  if (o.workers < 1 || o.workers > hosts)
    return mproc_backend_fail(MPROC_ERANGE,
                              "mproc_mpi_pool_create: %d workers, and the job has %d hosts "
                              "(mpiexec -n <workers + 1>)",
                              o.workers, hosts);
  st = o.initargs ? mproc_backend_objects(o.initargs, "initargs", cross, &c) : MPROC_OK;
  if (st == MPROC_OK && spawn)
    st = spawn_hosts(o.workers);
  if (st == MPROC_OK)
    st = backend_new(&b, o.workers, spawn, mpi ? mpi->host_silence_ms : 0, &c);
  crossing_close(&c); /* (what backend_new did not take) */
  if (st != MPROC_OK)
    return st;
  g.busy = 1;
  st = mproc_pool_create_with(pool, &o, &mpi_ops, b);
  if (st != MPROC_OK)
    mpi_destroy(b);
  return st;
}

mproc_status mproc_mpi_finalize(void) {
  int i;
  if (!g.initialized || g.finalized)
    return MPROC_OK;
  if (g.busy)
    return mproc_backend_fail(MPROC_ESTATE, "mproc_mpi_finalize: destroy the MPI pool first");
  shutdown_spawned();
  for (i = 1; i < g.size; i++) /* a static job's */
    MPI_Send(NULL, 0, MPI_BYTE, i, T_SHUTDOWN, MPI_COMM_WORLD);
  g.finalized = 1;
  MPI_Finalize();
  free_abandoned();
  return MPROC_OK;
}

static void finalize_at_exit(void) { (void)mproc_mpi_finalize(); }

/* The MPI part of mproc_mpi_init(), in the main process: MPI starts, and
 * every rank but the parent's becomes a host (which never returns). */
static mproc_status mpi_begin(int *argc, char ***argv) {
  int provided = 0;
  MPI_Comm parent = MPI_COMM_NULL;
  if (g.initialized)
    return MPROC_OK;
  g.exe = argv && *argv && (*argv)[0] ? (*argv)[0] : NULL;
  MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
  if (provided < MPI_THREAD_MULTIPLE) {
    MPI_Finalize();
    return mproc_backend_fail(MPROC_ENOTSUP,
                              "mproc_mpi_init: this MPI gives thread level %d, and the backend "
                              "needs MPI_THREAD_MULTIPLE (%d)",
                              provided, MPI_THREAD_MULTIPLE);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g.size);
  MPI_Comm_get_parent(&parent);
  if (parent != MPI_COMM_NULL)
    host_serve(parent, 0); /* a spawned host: never returns */
  if (g.rank != 0)
    host_serve(MPI_COMM_WORLD, 0); /* a static job's host: never returns */
  g.initialized = 1;
  atexit(finalize_at_exit);
  return MPROC_OK;
}

/* The plugin a launch chooses with --mproc-backend=mpi (mproc/backend.h):
 * mproc_init() starts MPI, and mproc_pool_create() makes MPI pools. */
static mproc_status plugin_pool_create(mproc_pool **pool, const mproc_pool_options *options) {
  return mproc_mpi_pool_create(pool, options, NULL);
}

const mproc_backend_plugin *mproc_mpi_plugin(void) {
  static mproc_backend_plugin plugin; /* (filled here: mproc_init may be a DLL's import) */
  plugin.name = "mpi";
  plugin.core = mproc_init;
  plugin.init = mpi_begin;
  plugin.pool_create = plugin_pool_create;
  return &plugin;
}

mproc_status mproc_mpi_init(int *argc, char ***argv, const mproc_function *registry) {
  /* Registered first: a spawned host's command line chooses it, and in a
   * program with mproc linked statically there is no module to load. */
  mproc_status st = mproc_backend_register(mproc_mpi_plugin());
  if (st == MPROC_OK)
    st = mproc_init(argc, argv, registry); /* a worker never returns, nor a host */
  return st == MPROC_OK ? mpi_begin(argc, argv) : st;
}
