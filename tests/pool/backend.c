/*
 * A pool on a backend (mproc/backend.h), through a loopback backend that
 * does in this process what a remote one does across machines: its start
 * hook makes a stream, starts the worker with mproc_host_worker_start() and
 * relays between the two with a thread per direction; signal, wait and
 * cancel go to the host worker. The pool's cancellation reaches the
 * workers only through the cancel hook (the host gives each worker an
 * Event of its own), as it would on another machine.
 */
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mproc/backend.h"
#include "pool/remote_tasks.h"
#include "tests.h"

#define LB_MAX 64 /* workers started, respawns included */

typedef struct lb_worker {
  mproc_host_worker *host;
  mproc_backend_stream *stream;
  apr_thread_t *down, *up; /* pool -> worker, worker -> pool */
} lb_worker;

typedef struct loopback {
  apr_pool_t *apool;
  apr_thread_mutex_t *lock;
  lb_worker w[LB_MAX];
  int n;                    /* started */
  int cancels[2];           /* cancel hook calls: clear, set */
  int signals, waited;      /* signal and successful wait calls */
  mproc_event *stand_in[2]; /* set: the hosts' stand-ins for the initargs' Events */
  char names[2][80];        /* the names they stand for */
} loopback;

/* mproc_host_options.event: Event @index of the initargs becomes stand_in[index]. */
static mproc_status lb_event(void *state, size_t index, const char *name, mproc_event **local) {
  loopback *lb = state;
  if (index >= 2)
    return mproc_backend_fail(MPROC_ERANGE, "loopback: Event %zu", index);
  snprintf(lb->names[index], sizeof lb->names[index], "%s", name);
  *local = lb->stand_in[index];
  return MPROC_OK;
}

static void *APR_THREAD_FUNC relay_down(apr_thread_t *t, void *arg) {
  lb_worker *w = arg;
  char buf[4096];
  size_t got = 0;
  (void)t;
  while (mproc_backend_stream_read(w->stream, buf, sizeof buf, &got) == MPROC_OK && got &&
         mproc_host_worker_write(w->host, buf, got) == MPROC_OK)
    ;
  return NULL;
}

/* Ends the pool's stream once the worker's ends: the pool reads end-of-stream. */
static void *APR_THREAD_FUNC relay_up(apr_thread_t *t, void *arg) {
  lb_worker *w = arg;
  char buf[4096];
  size_t got = 0;
  (void)t;
  while (mproc_host_worker_read(w->host, buf, sizeof buf, &got) == MPROC_OK && got &&
         mproc_backend_stream_write(w->stream, buf, got) == MPROC_OK)
    ;
  mproc_backend_stream_end(w->stream); /* relay_down may still be reading it */
  return NULL;
}

static mproc_status lb_start(void *state, int slot, const void *start, size_t len, intptr_t *rd,
                             intptr_t *wr, int64_t *id) {
  loopback *lb = state;
  lb_worker *w;
  mproc_host_worker *host = NULL;
  mproc_status st;
  (void)slot;
  apr_thread_mutex_lock(lb->lock); /* its entry (hooks run on several threads) */
  *id = lb->n < LB_MAX ? lb->n++ : -1;
  apr_thread_mutex_unlock(lb->lock);
  if (*id < 0)
    return mproc_backend_fail(MPROC_ENOMEM, "loopback: over %d workers", LB_MAX);
  w = &lb->w[*id];
  if ((st = mproc_backend_stream_create(&w->stream, rd, wr)) != MPROC_OK)
    return st;
  if ((st = mproc_host_worker_start(
           &host, start, len,
           lb->stand_in[0] ? &(mproc_host_options){.event = lb_event, .state = lb} : NULL)) !=
      MPROC_OK) {
    mproc_backend_stream_destroy(w->stream);
    return st; /* (its entry stays unused: host NULL) */
  }
  /* lb_cancel() reads w->host; and an APR pool is one thread's at a time,
   * while the pool starts its workers from several */
  apr_thread_mutex_lock(lb->lock);
  w->host = host;
  apr_thread_create(&w->down, NULL, relay_down, w, lb->apool);
  apr_thread_create(&w->up, NULL, relay_up, w, lb->apool);
  apr_thread_mutex_unlock(lb->lock);
  return MPROC_OK;
}

static void lb_signal(void *state, int64_t id, int force) {
  loopback *lb = state;
  apr_thread_mutex_lock(lb->lock);
  lb->signals++;
  apr_thread_mutex_unlock(lb->lock);
  mproc_host_worker_signal(lb->w[id].host, force);
}

static mproc_status lb_wait(void *state, int64_t id, int64_t timeout_ms, int *exitcode) {
  loopback *lb = state;
  mproc_status st = mproc_host_worker_wait(lb->w[id].host, timeout_ms, exitcode);
  apr_thread_mutex_lock(lb->lock);
  lb->waited += st == MPROC_OK;
  apr_thread_mutex_unlock(lb->lock);
  return st;
}

static void lb_cancel(void *state, int on) {
  loopback *lb = state;
  int i;
  apr_thread_mutex_lock(lb->lock);
  lb->cancels[on != 0]++;
  for (i = 0; i < lb->n; i++)
    if (lb->w[i].host) /* (one being started: the pool tells it after its start) */
      mproc_host_worker_cancel(lb->w[i].host, on);
  apr_thread_mutex_unlock(lb->lock);
}

/* Every worker was waited for and the pool closed its ends: the relays end. */
static void lb_destroy(void *state) {
  loopback *lb = state;
  apr_status_t ignored;
  int i;
  for (i = 0; i < lb->n; i++) {
    if (!lb->w[i].host)
      continue;
    apr_thread_join(&ignored, lb->w[i].down);
    apr_thread_join(&ignored, lb->w[i].up);
    mproc_backend_stream_destroy(lb->w[i].stream);
    mproc_host_worker_destroy(lb->w[i].host);
  }
  lb->n = -lb->n - 1; /* destroyed (and how many it had) */
}

static const mproc_backend lb_ops = {.name = "loopback",
                                     .start = lb_start,
                                     .signal = lb_signal,
                                     .wait = lb_wait,
                                     .cancel = lb_cancel,
                                     .destroy = lb_destroy};

static void lb_init(loopback *lb) {
  memset(lb, 0, sizeof *lb);
  CU_ASSERT_FATAL(apr_pool_create(&lb->apool, NULL) == APR_SUCCESS);
  CU_ASSERT_FATAL(apr_thread_mutex_create(&lb->lock, APR_THREAD_MUTEX_DEFAULT, lb->apool) ==
                  APR_SUCCESS);
}

static mproc_pool *lb_pool(loopback *lb, int workers, int64_t timeout_ms) {
  mproc_pool *p = NULL;
  lb_init(lb);
  T_OK(mproc_pool_create_with(
      &p, &(mproc_pool_options){.workers = workers, .task_timeout_ms = timeout_ms}, &lb_ops, lb));
  CU_ASSERT_FATAL(p != NULL);
  return p;
}

static void lb_end(loopback *lb, mproc_pool *p) {
  T_OK(mproc_pool_destroy(p));
  CU_ASSERT(lb->n < 0); /* the destroy hook ran */
  apr_pool_destroy(lb->apool);
}

/* ---- tests ---- */

/* Tasks and maps through the backend's streams: every result right, each
 * worker started by the start hook. */
static void test_tasks_and_maps(void) {
  loopback lb;
  mproc_pool *p = lb_pool(&lb, 2, 0);
  CU_ASSERT(rt_check_squares(p, 100, 3) == 0);
  CU_ASSERT_EQUAL(lb.n, 2);
  lb_end(&lb, p);
}

/* mproc_pool_cancel() reaches running tasks through the cancel hook alone
 * (each worker's flag is its host's), and the flag is cleared after. */
static void test_cancel_through_the_hook(void) {
  loopback lb;
  mproc_pool *p = lb_pool(&lb, 2, 0);
  mproc_future *f[2];
  mproc_args *a = NULL;
  int i;
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)T_BOUND_MS));
  for (i = 0; i < 2; i++)
    T_OK(mproc_pool_submit(p, &f[i], "rt_nap", a, NULL));
  t_sleep_ms(200); /* both run */
  T_OK(mproc_pool_cancel(p));
  for (i = 0; i < 2; i++) {
    T_STATUS(mproc_future_wait(f[i], T_BOUND_MS), MPROC_OK);
    T_STATUS(mproc_future_get(f[i], 0, NULL), MPROC_ECANCELED);
    mproc_future_destroy(f[i]);
  }
  CU_ASSERT(lb.cancels[1] >= 1);
  CU_ASSERT_EQUAL(lb.signals, 0); /* they saw the flag: nobody was killed */
  /* once the cancellation is over, new tasks run to their end */
  mproc_args_destroy(a);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)20));
  T_OK(mproc_pool_apply(p, "rt_nap", a, NULL));
  CU_ASSERT(lb.cancels[0] >= 1);
  mproc_args_destroy(a);
  lb_end(&lb, p);
}

/* A task that cancels the pool tells the parent by a frame; the others see
 * it through the hook. */
static void test_task_cancels_the_pool(void) {
  loopback lb;
  mproc_pool *p = lb_pool(&lb, 2, 0);
  mproc_future *nap = NULL;
  mproc_args *a = NULL;
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)T_BOUND_MS));
  T_OK(mproc_pool_submit(p, &nap, "rt_nap", a, NULL));
  t_sleep_ms(100);
  T_OK(mproc_pool_apply(p, "rt_cancel_pool", NULL, NULL));
  T_OK(mproc_future_wait(nap, T_BOUND_MS));
  T_STATUS(mproc_future_get(nap, 0, NULL), MPROC_ECANCELED);
  CU_ASSERT(lb.cancels[1] >= 1);
  mproc_future_destroy(nap);
  mproc_args_destroy(a);
  lb_end(&lb, p);
}

/* A task over its timeout: the signal hook ends its worker, the wait hook
 * reaps it, and the start hook starts the next; a crash the same. */
static void test_timeout_and_crash_respawn(void) {
  loopback lb;
  mproc_pool *p = lb_pool(&lb, 1, 300);
  mproc_args *a = NULL, *r = NULL;
  int64_t y = 0;
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)T_BOUND_MS));
  T_STATUS(mproc_pool_apply(p, "rt_nap", a, NULL), MPROC_ETIMEDOUT);
  CU_ASSERT(lb.signals >= 1);
  T_STATUS(mproc_pool_apply(p, "rt_crash", NULL, NULL), MPROC_ECRASHED);
  mproc_args_destroy(a);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)7));
  T_OK(mproc_pool_apply(p, "rt_square", a, &r));
  T_OK(mproc_args_unpack(r, "i64", &y));
  CU_ASSERT_EQUAL(y, 49);
  CU_ASSERT(lb.n >= 3 && lb.waited >= 2); /* two ended, each reaped; a third runs */
  mproc_args_destroy(a);
  mproc_args_destroy(r);
  lb_end(&lb, p);
}

/* The initargs' Events, nested ones too, are the host's stand-ins in the
 * workers, numbered in mproc_backend_objects()'s order. */
static void test_events_stand_in(void) {
  loopback lb;
  mproc_pool *p = NULL;
  mproc_event *pools[2], *stand_in[2];
  mproc_args *init = NULL, *inner = NULL, *a = NULL, *r = NULL;
  int64_t reached = -1;
  int i;
  for (i = 0; i < 2; i++) {
    T_OK(mproc_event_create(&pools[i]));
    T_OK(mproc_event_create(&stand_in[i]));
  }
  T_OK(mproc_args_create(&init));
  T_OK(mproc_args_create(&inner));
  T_OK(mproc_args_add_event(init, pools[0]));
  T_OK(mproc_args_add_event(inner, pools[1]));
  T_OK(mproc_args_add_list(init, inner));
  lb_init(&lb);
  lb.stand_in[0] = stand_in[0];
  lb.stand_in[1] = stand_in[1];
  T_OK(mproc_pool_create_with(
      &p, &(mproc_pool_options){.workers = 1, .initializer = "rt_keep_events", .initargs = init},
      &lb_ops, &lb));
  CU_ASSERT_FATAL(p != NULL);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)1));
  T_OK(mproc_pool_apply(p, "rt_event_set", a, NULL)); /* the worker's Event 1 */
  CU_ASSERT(mproc_event_is_set(stand_in[1]) && !mproc_event_is_set(pools[1]));
  CU_ASSERT(!mproc_event_is_set(stand_in[0]));
  CU_ASSERT(lb.names[0][0] && lb.names[1][0] && strcmp(lb.names[0], lb.names[1]) != 0);
  mproc_args_destroy(a);
  T_OK(mproc_event_set(stand_in[0])); /* what a host hears: its worker sees */
  T_OK(mproc_args_create_packed(&a, "i64 i64 i64", (int64_t)0, (int64_t)1, (int64_t)T_BOUND_MS));
  T_OK(mproc_pool_apply(p, "rt_event_await", a, &r));
  T_OK(mproc_args_unpack(r, "i64", &reached));
  CU_ASSERT_EQUAL(reached, 1);
  mproc_args_destroy(a);
  mproc_args_destroy(r);
  lb_end(&lb, p);
  for (i = 0; i < 2; i++) {
    T_OK(mproc_event_destroy(pools[i]));
    T_OK(mproc_event_destroy(stand_in[i]));
  }
  mproc_args_destroy(inner);
  mproc_args_destroy(init);
}

/* mproc_backend_objects() records "path kind;" here, and stops at "stop". */
typedef struct seen {
  char text[256];
  const char *stop;
} seen;

static mproc_status see(void *state, const mproc_args *list, size_t index, const char *kind,
                        const char *path) {
  seen *s = state;
  mproc_type t;
  size_t used = strlen(s->text);
  if (mproc_args_type(list, index, &t) != MPROC_OK || t != MPROC_TYPE_OBJECT)
    return MPROC_EPROTO;
  snprintf(s->text + used, sizeof s->text - used, "%s %s;", path, kind);
  return s->stop && strcmp(path, s->stop) == 0 ? MPROC_ENOTSHAREABLE : MPROC_OK;
}

/* Every object, nested ones too, depth-first in index order, by kind. */
static void test_objects_walk(void) {
  mproc_args *a = NULL, *inner = NULL, *deeper = NULL;
  mproc_lock *lock = NULL;
  mproc_event *event = NULL;
  seen s = {"", NULL};
  T_OK(mproc_lock_create(&lock));
  T_OK(mproc_event_create(&event));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_create(&inner));
  T_OK(mproc_args_create(&deeper));
  T_OK(mproc_args_add_i64(a, 5));
  T_OK(mproc_args_add_lock(a, lock));
  T_OK(mproc_args_add_event(inner, event));
  T_OK(mproc_args_add_lock(deeper, lock));
  T_OK(mproc_args_add_list(inner, deeper));
  T_OK(mproc_args_add_list(a, inner));
  T_OK(mproc_backend_objects(a, "a", see, &s));
  CU_ASSERT_STRING_EQUAL(s.text, "a[1] Lock;a[2][0] Event;a[2][1][0] Lock;");
  s.text[0] = 0;
  s.stop = "a[2][0]";
  T_STATUS(mproc_backend_objects(a, "a", see, &s), MPROC_ENOTSHAREABLE);
  CU_ASSERT_STRING_EQUAL(s.text, "a[1] Lock;a[2][0] Event;");
  T_STATUS(mproc_backend_objects(NULL, "a", see, &s), MPROC_EINVAL);
  T_STATUS(mproc_backend_objects(a, "a", NULL, &s), MPROC_EINVAL);
  mproc_args_destroy(deeper);
  mproc_args_destroy(inner);
  mproc_args_destroy(a);
  T_OK(mproc_event_destroy(event));
  T_OK(mproc_lock_destroy(lock));
}

/* An objects hook that refuses Locks (and lets Events through). */
static mproc_status no_locks(void *state, const mproc_args *list, size_t index, const char *kind,
                             const char *path) {
  (void)state, (void)list, (void)index;
  return strcmp(kind, "Lock") == 0
             ? mproc_backend_fail(MPROC_ENOTSHAREABLE, "loopback: %s is a %s", path, kind)
             : MPROC_OK;
}

/* The objects hook sees each task's arguments and each map item as they
 * are queued, nested ones too, and its refusal is the call's. */
static void test_task_objects(void) {
  loopback lb;
  mproc_backend b = lb_ops;
  mproc_pool *p = NULL;
  mproc_lock *lock = NULL;
  mproc_event *event = NULL;
  mproc_args *a = NULL, *items = NULL, *inner = NULL, *results = NULL;
  mproc_future *f = NULL;
  int i;
  lb_init(&lb);
  b.objects = no_locks;
  T_OK(mproc_pool_create_with(&p, &(mproc_pool_options){.workers = 1}, &b, &lb));
  CU_ASSERT_FATAL(p != NULL);
  T_OK(mproc_lock_create(&lock));
  T_OK(mproc_event_create(&event));
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)3));
  T_OK(mproc_args_add_lock(a, lock));
  T_STATUS(mproc_pool_submit(p, &f, "rt_square", a, NULL), MPROC_ENOTSHAREABLE);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "loopback: args[1] is a Lock"));
  mproc_args_destroy(a);
  T_OK(mproc_args_create_packed(&a, "i64", (int64_t)3)); /* an Event passes */
  T_OK(mproc_args_add_event(a, event));
  T_OK(mproc_pool_apply(p, "rt_parent_pid", a, NULL));
  T_OK(mproc_args_create(&items));
  for (i = 0; i < 4; i++)
    T_OK(mproc_args_add_i64(items, i));
  T_OK(mproc_args_create(&inner));
  T_OK(mproc_args_add_lock(inner, lock));
  T_OK(mproc_args_add_list(items, inner));
  T_STATUS(
      mproc_pool_map(p, "rt_square", items, &(mproc_map_options){.chunksize = 10}, &results, NULL),
      MPROC_ENOTSHAREABLE);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "loopback: items[4][0] is a Lock"));
  if (results) /* (one value per item, whatever the map returned) */
    mproc_args_destroy(results);
  mproc_args_destroy(inner);
  mproc_args_destroy(items);
  mproc_args_destroy(a);
  lb_end(&lb, p);
  T_OK(mproc_event_destroy(event));
  T_OK(mproc_lock_destroy(lock));
}

/* A start hook that made its stream, then finds no host: the pool's ends
 * it wrote are the pool's to close (its own end is kept in w[0] to see). */
static mproc_status no_start(void *s, int slot, const void *b, size_t n, intptr_t *rd, intptr_t *wr,
                             int64_t *id) {
  loopback *lb = s;
  mproc_status st =
      lb->w[0].stream ? MPROC_OK : mproc_backend_stream_create(&lb->w[0].stream, rd, wr);
  (void)b, (void)n, (void)id;
  return st ? st : mproc_backend_fail(MPROC_ENOTSUP, "loopback: no host for slot %d", slot);
}

/* A loopback pool whose start hook is @start. */
static mproc_pool *lb_pool_with(loopback *lb, int workers,
                                mproc_status (*start)(void *, int, const void *, size_t, intptr_t *,
                                                      intptr_t *, int64_t *)) {
  mproc_backend b = lb_ops;
  mproc_pool *p = NULL;
  lb_init(lb);
  b.start = start;
  T_OK(mproc_pool_create_with(&p, &(mproc_pool_options){.workers = workers}, &b, lb));
  CU_ASSERT_FATAL(p != NULL);
  return p;
}

/* Bad input: a backend without a hook or with a reserved one set; a START
 * that is not a pool worker's; NULLs. */
static void test_bad_input(void) {
  mproc_backend b = lb_ops;
  mproc_pool *p = NULL;
  mproc_host_worker *h = NULL;
  mproc_backend_stream *s = NULL;
  intptr_t rd, wr;
  size_t got;
  char junk[40];
  T_STATUS(mproc_pool_create_with(&p, NULL, NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_pool_create_with(NULL, NULL, &b, NULL), MPROC_EINVAL);
  b.cancel = NULL;
  T_STATUS(mproc_pool_create_with(&p, NULL, &b, NULL), MPROC_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "no cancel hook"));
  b = lb_ops;
  b.reserved[2] = (void (*)(void))abort;
  T_STATUS(mproc_pool_create_with(&p, NULL, &b, NULL), MPROC_EINVAL);
  CU_ASSERT_PTR_NULL(p);
  memset(junk, 0x5a, sizeof junk);
  T_STATUS(mproc_host_worker_start(&h, junk, sizeof junk, NULL), MPROC_EPROTO);
  T_STATUS(mproc_host_worker_start(NULL, junk, sizeof junk, NULL), MPROC_EINVAL);
  T_STATUS(
      mproc_host_worker_start(&h, junk, sizeof junk, &(mproc_host_options){.reserved[1] = junk}),
      MPROC_EINVAL);
  T_STATUS(mproc_host_worker_read(NULL, junk, 1, &got), MPROC_EINVAL);
  T_STATUS(mproc_host_worker_cancel(NULL, 1), MPROC_EINVAL);
  T_STATUS(mproc_host_worker_destroy(NULL), MPROC_EINVAL);
  T_STATUS(mproc_backend_stream_create(NULL, &rd, &wr), MPROC_EINVAL);
  T_STATUS(mproc_backend_stream_read(NULL, junk, 1, &got), MPROC_EINVAL);
  T_STATUS(mproc_backend_stream_end(NULL), MPROC_EINVAL);
  T_OK(mproc_backend_stream_create(&s, &rd, &wr));
  T_STATUS(mproc_backend_stream_write(s, NULL, 3), MPROC_EINVAL);
  T_OK(mproc_backend_stream_destroy(s));
  t_close_handle(rd); /* (the pool's ends: here, nobody else's) */
  t_close_handle(wr);
  /* a start hook that fails: with no worker running, a task queued fails
   * with the hook's status, and one submitted after is refused; either way
   * the hook's message says why, and nothing it made is left open */
  {
    loopback lb;
    mproc_status st;
    p = lb_pool_with(&lb, 1, no_start);
    st = mproc_pool_apply(p, "rt_square", NULL, NULL);
    CU_ASSERT(st == MPROC_ENOTSUP || st == MPROC_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "no host for slot 0"));
    T_STATUS(mproc_pool_apply(p, "rt_square", NULL, NULL), MPROC_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(mproc_last_error(), "no host for slot 0"));
    /* the pool closed the ends the failed hook gave it: nobody reads */
    CU_ASSERT_FATAL(lb.w[0].stream != NULL);
    CU_ASSERT(mproc_backend_stream_write(lb.w[0].stream, "x", 1) != MPROC_OK);
    T_OK(mproc_backend_stream_destroy(lb.w[0].stream));
    lb.w[0].stream = NULL;
    lb_end(&lb, p);
  }
}

static mproc_status no_init(int *argc, char ***argv) {
  (void)argc, (void)argv;
  return MPROC_OK;
}

/* The launch's choice of a backend: "local" is mproc's own; a name no
 * plugin has fails mproc_init() (a fresh process each); registering is
 * for before mproc_init(), and checked. */
static void test_launch_choice(void) {
  mproc_backend_plugin plugin = {"loopback", mproc_init, no_init, mproc_pool_create, {NULL}};
  CU_ASSERT_EQUAL(t_run_self("--mproc-backend=local --init-only"), 0);
  CU_ASSERT_EQUAL(t_run_self("--mproc-backend= --init-only"), 0); /* (empty: unset) */
  CU_ASSERT_NOT_EQUAL(t_run_self("--mproc-backend=nosuch --init-only"), 0);
  CU_ASSERT_NOT_EQUAL(t_run_self("--mproc-backend=../x --init-only"), 0);
  T_STATUS(mproc_backend_register(&plugin), MPROC_ESTATE); /* (this process has started) */
  T_STATUS(mproc_backend_register(NULL), MPROC_EINVAL);
  plugin.name = "no/slash";
  T_STATUS(mproc_backend_register(&plugin), MPROC_EINVAL);
  plugin.name = "loopback";
  plugin.pool_create = NULL;
  T_STATUS(mproc_backend_register(&plugin), MPROC_EINVAL);
}

static CU_TestInfo tests[] = {
    {"tasks and maps through the backend's streams", test_tasks_and_maps},
    {"cancel reaches the workers through the hook alone", test_cancel_through_the_hook},
    {"a task that cancels the pool, through a frame and the hook", test_task_cancels_the_pool},
    {"timeout and crash: signal, wait, start again", test_timeout_and_crash_respawn},
    {"the initargs' Events are the host's stand-ins in the workers", test_events_stand_in},
    {"the objects in arguments, walked in one order", test_objects_walk},
    {"the objects hook refuses a task's or a map item's", test_task_objects},
    {"a backend chosen at launch: local, unknown, registered late", test_launch_choice},
    {"bad input: hooks, a START not a worker's, NULLs", test_bad_input},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {REMOTE_TASKS, MPROC_FUNCTIONS_END};

const test_suite suite_backend = {"backend", tests, functions};
