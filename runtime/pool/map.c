/*
 * map, starmap, map_async, imap and imap_unordered: one engine.
 *
 * A map pulls items from its source (a list of values, an array of argument
 * lists, or a user callback), queues them in chunks as pool tasks, and keeps
 * each finished chunk's outcome (one decoded RESULT: no per-item allocation)
 * until its items are handed out.
 *
 * Invariants:
 *  - Only the iterating thread queues ("feeds") and hands out: fed and handed
 *    change there alone, and a user source is only ever called there.
 *  - fed - handed <= cap: at most a window of items is queued, running, or
 *    done and waiting. Every chunk but a map's last holds m->chunk items, so
 *    chunk j holds items [j * chunk, ...). Finished chunks are kept whole,
 *    one entry per chunk (a map of a million items keeps a few, not a
 *    million): an ordered map keeps chunk j in ring[j % nring], which the
 *    invariant makes collision-free (nring = cap / chunk rounded up, + 1);
 *    an unordered one keeps a FIFO of finished chunks in the same ring and
 *    hands its head out call by call.
 *  - Every task in the pool holds a reference, so destroying a map whose
 *    chunks still run is safe: their outcomes are discarded on arrival.
 *  - Once the pool is cancelled or terminated while the map is being fed (a
 *    bail-out, mproc_pool_cancel, cancel-on-error; every item that comes back
 *    cancelled comes from one), the map queues nothing more: the rest of a
 *    known input completes as cancelled, and a callback source is not called
 *    again.
 * Slots, the FIFO, settled, refs and the flags live under the futures' lock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/object.h"
#include "core/core.h"
#include "pool/pool.h"
#include "process/process.h"
#include "wire/args.h" /* the per-call path: see there */
#include "wire/frame.h"

typedef enum source_kind { SRC_ITEMS, SRC_LISTS, SRC_CALLBACK } source_kind;

/* A finished chunk: items [first, first + o->calls). */
typedef struct piece {
  size_t first;
  mproc__outcome *o; /* NULL: not done yet */
} piece;

/* One item being handed out: call @call of @o. */
typedef struct slot {
  size_t index;
  mproc__outcome *o;
  size_t call;
} slot;

struct mproc_map {
  mproc_pool *pool;
  char *function;
  mproc_map_options opts;
  source_kind kind;
  const mproc_args *items;
  mproc_args *owned_items; /* the copy behind items, for maps that outlive the call */
  const void *numbers;     /* instead of items: a typed map's C array (borrowed) */
  mproc_type number_type;
  const mproc_args *const *lists;
  mproc_args **owned_lists; /* the copies behind lists (starmap_async) */
  mproc_map_source source;
  void *user;
  size_t total; /* known once source_ended */
  size_t chunk, cap;
  int is_async;
  /* the iterating thread's */
  size_t fed;
  mproc_status stop;  /* nothing more is queued; known items settle with it */
  char stop_msg[256]; /* why, when a queueing failed ("" else: stop's own message) */
  int source_ended;
  mproc_status end_status;
  char end_msg[256]; /* why: the detail when end_status was set */
  mproc_args *current;
  mproc__outcome *cur_o;
  /* under the futures' lock */
  piece *ring;
  size_t nring;
  size_t ready_head, ready_count; /* unordered: a FIFO of chunks in ring */
  size_t head_call;               /* unordered: the next call of the head chunk */
  size_t handed, settled;
  int refs, iterating, getting, gathered, gone, called_back, in_callback;
  /* the failed item of lowest index so far, for error_callback (SIZE_MAX: none) */
  size_t failed_at;
  mproc_status failed_status;
  char failed_msg[256];
  /* map_async: the results, made at the start with room for every item so
   * that chunks decode straight into them (direct: see mproc__map_view());
   * out_chunks: the chunks whose values are in them (mproc_map_get). */
  mproc_args *out;
  int direct;
  size_t out_chunks;
  uint64_t cancels;            /* the pool's cancellations when the map began */
  struct mproc_map *next_live; /* every map not yet destroyed, for mproc__maps_detach() */
};

static mproc_map *live_maps; /* under the futures' lock */

static void live_remove(mproc_map *m) {
  mproc_map **pp;
  for (pp = &live_maps; *pp; pp = &(*pp)->next_live)
    if (*pp == m) {
      *pp = m->next_live;
      return;
    }
}

void mproc__maps_detach(mproc_pool *p) {
  mproc_map *m;
  mproc__futures_lock();
  for (m = live_maps; m; m = m->next_live)
    if (m->pool == p)
      m->pool = NULL;
  mproc__futures_unlock();
}

/* The map's pool, or NULL once it was destroyed. */
static mproc_pool *pool_of(mproc_map *m) {
  mproc_pool *p;
  mproc__futures_lock();
  p = m->pool;
  mproc__futures_unlock();
  return p;
}

/* Drops one unread call of @o; frees it after the last (futures' lock held). */
static mproc__outcome *unread_drop(mproc__outcome *o) { return o && --o->unread == 0 ? o : NULL; }

/* Drops the calls of @p not handed out yet: its outcome, if that was the
 * last reference to it (an unordered map's head chunk is partly handed). */
static mproc__outcome *unread_left(const mproc_map *m, const piece *p) {
  size_t from = m->opts.unordered && p == &m->ring[m->ready_head] ? m->head_call : 0;
  size_t left = p->o->calls - from;
  p->o->unread -= left;
  return p->o->unread == 0 ? p->o : NULL;
}

static void map_free(mproc_map *m) {
  size_t i;
  mproc__futures_lock();
  live_remove(m);
  mproc__futures_unlock();
  for (i = 0; m->ring && i < m->nring; i++)
    if (m->ring[i].o)
      mproc__outcome_free(unread_left(m, &m->ring[i]));
  if (m->owned_items)
    mproc_args_destroy(m->owned_items);
  for (i = 0; m->owned_lists && i < m->total; i++)
    if (m->owned_lists[i])
      mproc_args_destroy(m->owned_lists[i]);
  free(m->owned_lists);
  if (m->current)
    mproc_args_destroy(m->current);
  if (m->out) /* after the outcomes: their views point into it */
    mproc_args_destroy(m->out);
  free(m->function);
  free(m->ring);
  free(m);
}

/* Drops one reference (futures' lock not held). */
static void map_release(mproc_map *m) {
  int last;
  mproc__futures_lock();
  last = --m->refs == 0;
  mproc__futures_unlock();
  if (last)
    map_free(m);
}

static int all_settled(const mproc_map *m) { return m->source_ended && m->settled == m->total; }

/* Keeps the failed item of lowest index, for error_callback (futures' lock held). */
static void note_failures(mproc_map *m, size_t first, const mproc__outcome *o) {
  size_t i;
  for (i = 0; !mproc__outcome_plain(o) && i < o->calls && first + i < m->failed_at; i++) {
    mproc__call c = mproc__outcome_call(o, i);
    if (c.status != MPROC_OK) {
      m->failed_at = first + i;
      m->failed_status = c.status;
      snprintf(m->failed_msg, sizeof m->failed_msg, "%s", c.message ? c.message : "");
    }
  }
}

/* map_async's callback if every item succeeded, else its error_callback
 * with the failed item of lowest index (as Python: one or the other). */
static void call_back(mproc_map *m) {
  mproc_map_item failed;
  if (m->failed_at == SIZE_MAX) {
    if (m->opts.callback)
      m->opts.callback(m, m->opts.user);
    return;
  }
  if (!m->opts.error_callback)
    return;
  memset(&failed, 0, sizeof failed);
  failed.index = m->failed_at;
  failed.status = m->failed_status;
  failed.result = NULL;
  failed.message = m->failed_msg;
  m->opts.error_callback(m, &failed, m->opts.user);
}

void mproc__map_settle(mproc_map *m, size_t first, mproc__outcome *o) {
  int calling = 0, discard;
  mproc__futures_lock();
  o->unread = o->calls;
  note_failures(m, first, o);
  if (!m->gone) {
    piece *p = &m->ring[m->opts.unordered ? (m->ready_head + m->ready_count++) % m->nring
                                          : (first / m->chunk) % m->nring];
    p->first = first;
    p->o = o;
  }
  m->settled += o->calls;
  discard = m->gone; /* else @o belongs to the slots now: the taker frees it */
  if (!m->gone && (m->opts.callback || m->opts.error_callback) && !m->called_back && all_settled(m))
    calling = m->called_back = m->in_callback = 1;
  /* Wake waiters only when what they wait for may have come: an iterator
   * for any item, mproc_map_wait() and mproc_map_get() for the last (a map
   * of 100,000 items would otherwise wake its waiter 100,000 times). */
  if ((m->iterating && !m->getting) || (all_settled(m) && !calling))
    mproc__futures_broadcast();
  mproc__futures_unlock();
  if (discard)
    mproc__outcome_free(o);
  if (calling) { /* as Python: the callback runs before waiters are released */
    call_back(m);
    mproc__futures_lock();
    m->in_callback = 0;
    mproc__futures_broadcast();
    mproc__futures_unlock();
  }
  map_release(m); /* the task's reference */
}

/* Settles items [fed, fed + k) with @st without running them. */
static mproc_status settle_unrun(mproc_map *m, size_t k, mproc_status st) {
  mproc__outcome *o = mproc__outcome_new(k);
  if (!o)
    return mproc__fail(MPROC_ENOMEM, "map: out of memory");
  mproc__outcome_fail(o, st,
                      st == MPROC_ECANCELED             ? "cancelled before it started"
                      : st == m->stop && m->stop_msg[0] ? m->stop_msg
                                                        : mproc_strerror(st));
  mproc__futures_lock();
  m->refs++;
  mproc__futures_unlock();
  mproc__map_settle(m, m->fed, o);
  m->fed += k;
  return MPROC_OK;
}

/* Records why a callback source's map ends early, for mproc_map_next() to
 * report after the items before it (the detail would be stale by then). */
static void end_with(mproc_map *m, mproc_status st) {
  m->end_status = st;
  snprintf(m->end_msg, sizeof m->end_msg, "%s", mproc_last_error());
}

/* Adds up to @k items of a callback source to @body (count, values); ends
 * the source at MPROC_EEND or an error. @return how many. */
static size_t pull(mproc_map *m, size_t k, mproc_args *body) {
  mproc_args *item = NULL;
  size_t got = 0, n = 0;
  mproc_status st = mproc_args_create(&item);
  while (st == MPROC_OK && got < k) {
    mproc__args_clear(item);
    st = m->source(m->user, m->fed + got, item);
    if (st != MPROC_OK && st != MPROC_EEND)
      mproc__fail(st, "the source returned %s for item %zu", mproc_strerror(st), m->fed + got);
    if (st == MPROC_OK) {
      mproc_args_count(item, &n);
      if ((st = mproc_args_add_i64(body, (int64_t)n)) == MPROC_OK &&
          (st = mproc__args_append(body, item, 0, n)) == MPROC_OK)
        got++;
    }
  }
  if (item)
    mproc_args_destroy(item);
  if (st != MPROC_OK) {
    m->source_ended = 1;
    m->total = m->fed + got;
    if (st != MPROC_EEND)
      end_with(m, st);
  }
  return got;
}

/* Builds the next chunk's body of argument lists: @k items from fed
 * (callback: up to @k). Plain items need none: they go from the list. */
static mproc_status chunk_body(mproc_map *m, size_t *k, mproc_args **body) {
  size_t i;
  mproc_status st = mproc_args_create(body);
  for (i = 0; st == MPROC_OK && m->kind == SRC_LISTS && i < *k; i++) {
    size_t n = 0;
    mproc_args_count(m->lists[m->fed + i], &n);
    if ((st = mproc_args_add_i64(*body, (int64_t)n)) == MPROC_OK)
      st = mproc__args_append(*body, m->lists[m->fed + i], 0, n);
  }
  if (m->kind == SRC_CALLBACK) /* nothing pulled unless the body exists */
    *k = st == MPROC_OK ? pull(m, *k, *body) : 0;
  return st;
}

/* Queues the next chunk of @k items (callback: up to @k); @k: how many. */
static mproc_status queue_chunk(mproc_map *m, size_t *k) {
  mproc_args *body = NULL;
  size_t n = 0;
  mproc_status st = MPROC_OK;
  if (m->kind != SRC_ITEMS && (st = chunk_body(m, k, &body)) == MPROC_OK)
    mproc_args_count(body, &n);
  if (st == MPROC_OK && *k) {
    mproc__futures_lock();
    m->refs++;
    mproc__futures_unlock();
    mproc__submit sub = {.mode = MPROC__TASK_ITEMS};
    sub.function = m->function;
    sub.calls = *k;
    sub.timeout_ms = m->opts.timeout_ms;
    sub.map = m;
    sub.first = m->fed;
    if (m->kind == SRC_ITEMS) {
      sub.body = m->items;
      sub.numbers = m->numbers;
      sub.number_type = m->number_type;
      sub.at = m->fed;
      sub.n = *k;
    } else {
      sub.mode = MPROC__TASK_GROUPS;
      sub.body = body;
      sub.n = n;
    }
    st = mproc__pool_queue(m->pool, &sub, "map");
    if (st == MPROC_OK)
      m->fed += *k;
    else
      map_release(m);
  }
  if (body)
    mproc_args_destroy(body);
  return st;
}

/* Queues chunks while the window has room (the iterating thread only). */
static mproc_status feed(mproc_map *m) {
  for (;;) {
    size_t room, k;
    mproc_status st;
    mproc__futures_lock();
    room = m->cap - (m->fed - m->handed);
    mproc__futures_unlock();
    if (m->source_ended && m->fed == m->total)
      return MPROC_OK;
    k = m->source_ended && m->total - m->fed < m->chunk ? m->total - m->fed : m->chunk;
    if (room < k)
      return MPROC_OK; /* wait until results are taken */
    if (m->stop && m->kind == SRC_CALLBACK) {
      m->source_ended = 1;
      m->total = m->fed;
      if (m->stop != MPROC_ECANCELED)
        end_with(m, m->stop);
      continue;
    }
    if (m->stop) {
      if ((st = settle_unrun(m, k, m->stop)) != MPROC_OK)
        return st;
      continue;
    }
    if (!pool_of(m)) {
      m->stop = mproc__fail(MPROC_ESTATE, "map: its pool was destroyed");
      continue;
    }
    if (mproc__pool_cancels(m->pool) != m->cancels) {
      m->stop = MPROC_ECANCELED; /* a bail-out while this map was being fed */
      continue;
    }
    if ((st = queue_chunk(m, &k)) != MPROC_OK) {
      m->stop = st; /* the rest (and these k, pulled already) settle with it */
      snprintf(m->stop_msg, sizeof m->stop_msg, "%s", mproc_last_error());
      if (m->kind == SRC_CALLBACK && k && (st = settle_unrun(m, k, m->stop)) != MPROC_OK)
        return st;
    }
  }
}

/* Validates and allocates a map of @kind over @n items (callback: unknown). */
static mproc_status map_new(mproc_map **out, mproc_pool *p, const char *function,
                            const mproc_map_options *o, source_kind kind, size_t n,
                            const char *fn) {
  mproc_map *m;
  size_t workers;
  mproc_status st;
  if (!out || !p || !function)
    return mproc__pool_bad(fn, !out ? "map" : !p ? "pool" : "function");
  if ((st = MPROC__CHECK_RESERVED(o, fn, "options")) != MPROC_OK)
    return st;
  if ((st = mproc__futures_init()) != MPROC_OK)
    return st;
  if ((m = calloc(1, sizeof *m)) == NULL || (m->function = mproc__strdup(function)) == NULL) {
    free(m);
    return mproc__fail(MPROC_ENOMEM, "%s: out of memory", fn);
  }
  if (o)
    m->opts = *o;
  m->failed_at = SIZE_MAX;
  m->pool = p;
  m->kind = kind;
  m->refs = 1;
  m->source_ended = kind != SRC_CALLBACK;
  m->total = kind != SRC_CALLBACK ? n : 0;
  m->chunk = m->opts.chunksize;
  workers = (size_t)p->nworkers;
  /* Eight chunks per worker (Python: four, for its costlier chunks): the
   * workers start sooner and end closer together. */
  if (!m->chunk && kind != SRC_CALLBACK)
    m->chunk = (n + 8 * workers - 1) / (8 * workers);
  if (!m->chunk)
    m->chunk = 1;
  m->cap = m->opts.window ? m->opts.window : 8 * m->chunk * workers;
  if (m->cap < m->chunk)
    m->cap = m->chunk;
  mproc__futures_lock();
  m->next_live = live_maps;
  live_maps = m;
  mproc__futures_unlock();
  *out = m;
  return MPROC_OK;
}

/* map_async's results, with room for every item before any is queued, so
 * that its array never moves while chunks decode into it. Without room for
 * them (more than a list holds, or no memory), mproc_map_get copies each
 * chunk's values instead, and reports what is wrong. */
static void make_out(mproc_map *m) {
  if (m->kind == SRC_CALLBACK || !m->total || m->total > MPROC_ARGS_MAX_COUNT ||
      mproc_args_create(&m->out) != MPROC_OK)
    return;
  if (mproc__args_reserve(m->out, m->total) != MPROC_OK) {
    mproc_args_destroy(m->out);
    m->out = NULL;
    return;
  }
  m->direct = 1;
}

mproc_args *mproc__map_view(mproc_map *m, size_t first, size_t calls) {
  mproc_args *v = NULL;
  int direct;
  mproc__futures_lock();
  direct = m->direct && !m->gone;
  mproc__futures_unlock();
  if (direct && mproc__args_view(m->out, first, calls, &v) != MPROC_OK)
    v = NULL; /* its own list, then */
  return v;
}

/* Checks the pool before anything is queued, then feeds the first window:
 * every item for map, starmap and map_async. On failure nothing is queued. */
static mproc_status start(mproc_map *m, int all, const char *fn) {
  mproc_status st = mproc__pool_check(m->pool, m->function, fn);
  m->cancels = mproc__pool_cancels(m->pool);
  if (all) {
    m->is_async = 1;
    m->opts.unordered = 0;
    m->cap = m->total ? m->total : 1;
  }
  m->nring = (m->cap + m->chunk - 1) / m->chunk + 1;
  if (st == MPROC_OK && (m->ring = calloc(m->nring, sizeof *m->ring)) == NULL)
    st = mproc__fail(MPROC_ENOMEM, "%s: out of memory for %zu chunks", fn, m->nring);
  if (st == MPROC_OK && all)
    make_out(m);
  if (st == MPROC_OK && m->kind != SRC_CALLBACK)
    st = feed(m); /* a callback source is pulled by the iterating thread only */
  if (st != MPROC_OK && m->fed == 0) {
    map_free(m);
    return st;
  }
  return MPROC_OK; /* a later chunk's failure settled the rest with it */
}

/* A map over the values of @items, copied when the map outlives the call. */
static mproc_status over_items(mproc_pool *p, mproc_map **out, const char *function,
                               const mproc_args *items, int copy, const mproc_map_options *o,
                               int all, const char *fn) {
  mproc_map *m = NULL;
  size_t n = 0;
  mproc_status st;
  if (!out || !items)
    return mproc__pool_bad(fn, out ? "items" : "map");
  mproc_args_count(items, &n);
  if ((st = map_new(&m, p, function, o, SRC_ITEMS, n, fn)) != MPROC_OK)
    return st;
  m->items = items;
  if (copy && (st = mproc__args_copy(items, &m->owned_items)) != MPROC_OK) {
    map_free(m);
    return st;
  }
  if (copy)
    m->items = m->owned_items;
  if ((st = start(m, all, fn)) == MPROC_OK)
    *out = m;
  return st;
}

mproc_status mproc_pool_map_async(mproc_pool *p, mproc_map **map, const char *function,
                                  const mproc_args *items, const mproc_map_options *options) {
  return over_items(p, map, function, items, 1, options, 1, "mproc_pool_map_async");
}

mproc_status mproc_pool_imap(mproc_pool *p, mproc_map **map, const char *function,
                             const mproc_args *items, const mproc_map_options *options) {
  return over_items(p, map, function, items, 1, options, 0, "mproc_pool_imap");
}

mproc_status mproc_pool_imap_source(mproc_pool *p, mproc_map **map, const char *function,
                                    mproc_map_source source, void *user,
                                    const mproc_map_options *options) {
  mproc_map *m = NULL;
  mproc_status st;
  if (!map || !source)
    return mproc__pool_bad("mproc_pool_imap_source", map ? "source" : "map");
  st = map_new(&m, p, function, options, SRC_CALLBACK, 0, "mproc_pool_imap_source");
  if (st != MPROC_OK)
    return st;
  m->source = source;
  m->user = user;
  if ((st = start(m, 0, "mproc_pool_imap_source")) == MPROC_OK)
    *map = m;
  return st;
}

/* The rule of the blocking maps and mproc_map_get(): whatever they return,
 * each of the @n statuses is written; a map refused or failed as a whole
 * writes its status into each. */
static mproc_status refused(mproc_status *statuses, size_t n, mproc_args **results,
                            mproc_status st) {
  size_t i;
  for (i = 0; statuses && i < n; i++)
    statuses[i] = st;
  if (results)
    *results = NULL;
  return st;
}

/* Blocking map and starmap: queue everything, gather, free. */
static mproc_status run_all(mproc_map *m, mproc_args **results, mproc_status *statuses,
                            const char *fn) {
  size_t n = m->total;
  mproc_status st = start(m, 1, fn); /* frees @m when it fails */
  if (st != MPROC_OK)
    return refused(statuses, n, results, st);
  st = mproc_map_get(m, MPROC_WAIT_FOREVER, results, statuses);
  mproc_map_destroy(m);
  return st;
}

mproc_status mproc_pool_map(mproc_pool *p, const char *function, const mproc_args *items,
                            const mproc_map_options *options, mproc_args **results,
                            mproc_status *statuses) {
  mproc_map *m = NULL;
  size_t n = 0;
  mproc_status st;
  if (results)
    *results = NULL;
  if (!items) /* no count: no status to write */
    return mproc__pool_bad("mproc_pool_map", "items");
  mproc_args_count(items, &n);
  if ((st = map_new(&m, p, function, options, SRC_ITEMS, n, "mproc_pool_map")) != MPROC_OK)
    return refused(statuses, n, results, st);
  m->items = items; /* borrowed: the call outlives the map */
  return run_all(m, results, statuses, "mproc_pool_map");
}

mproc_status mproc__pool_map_numbers(mproc_pool *p, const char *function, mproc_type type,
                                     const void *in, size_t n, const mproc_map_options *options,
                                     mproc_args **results, mproc_status *statuses, const char *fn) {
  mproc_map *m = NULL;
  mproc_status st;
  *results = NULL;
  if ((st = map_new(&m, p, function, options, SRC_ITEMS, n, fn)) != MPROC_OK)
    return refused(statuses, n, results, st);
  m->numbers = in; /* borrowed: the call outlives the map */
  m->number_type = type;
  return run_all(m, results, statuses, fn);
}

/* Checks starmap's lists: MPROC_ERANGE (n itself refused), MPROC_EINVAL. */
static mproc_status check_lists(const mproc_args *const *arglists, size_t n, const char *fn) {
  size_t i;
  if (n > MPROC_ARGS_MAX_COUNT) /* before touching n entries of the caller's arrays */
    return mproc__fail(MPROC_ERANGE, "%s: %zu items (at most %u)", fn, n, MPROC_ARGS_MAX_COUNT);
  if (!arglists && n)
    return mproc__pool_bad(fn, "arglists");
  for (i = 0; i < n; i++)
    if (!arglists[i])
      return mproc__fail(MPROC_EINVAL, "%s: arglists[%zu] is NULL", fn, i);
  return MPROC_OK;
}

mproc_status mproc_pool_starmap(mproc_pool *p, const char *function,
                                const mproc_args *const *arglists, size_t n,
                                const mproc_map_options *options, mproc_args **results,
                                mproc_status *statuses) {
  static const char fn[] = "mproc_pool_starmap";
  mproc_map *m = NULL;
  mproc_status st = check_lists(arglists, n, fn);
  if (results)
    *results = NULL;
  if (st == MPROC_ERANGE)
    return st;
  if (st == MPROC_OK)
    st = map_new(&m, p, function, options, SRC_LISTS, n, fn);
  if (st != MPROC_OK)
    return refused(statuses, n, results, st);
  m->lists = arglists; /* borrowed: the call outlives the map */
  return run_all(m, results, statuses, fn);
}

/* The map's own copies of @arglists (starmap_async outlives the call). */
static mproc_status copy_lists(mproc_map *m, const mproc_args *const *arglists, size_t n) {
  size_t i;
  mproc_status st = MPROC_OK;
  if (n && (m->owned_lists = calloc(n, sizeof *m->owned_lists)) == NULL)
    return mproc__fail(MPROC_ENOMEM, "mproc_pool_starmap_async: out of memory");
  for (i = 0; i < n && st == MPROC_OK; i++)
    st = mproc__args_copy(arglists[i], &m->owned_lists[i]);
  m->lists = (const mproc_args *const *)m->owned_lists;
  return st;
}

mproc_status mproc_pool_starmap_async(mproc_pool *p, mproc_map **map, const char *function,
                                      const mproc_args *const *arglists, size_t n,
                                      const mproc_map_options *options) {
  static const char fn[] = "mproc_pool_starmap_async";
  mproc_map *m = NULL;
  mproc_status st = check_lists(arglists, n, fn);
  if (st == MPROC_OK && !map)
    st = mproc__pool_bad(fn, "map");
  if (st == MPROC_OK)
    st = map_new(&m, p, function, options, SRC_LISTS, n, fn);
  if (st != MPROC_OK)
    return st;
  if ((st = copy_lists(m, arglists, n)) != MPROC_OK) {
    map_free(m);
    return st;
  }
  if ((st = start(m, 1, fn)) == MPROC_OK) /* frees @m when it fails */
    *map = m;
  return st;
}

/* ---- taking results ---- */

/* Claims the map for the calling thread (futures' lock held). */
static mproc_status claim(mproc_map *m, const char *fn) {
  if (m->iterating)
    return mproc__fail(MPROC_ESTATE, "%s: another thread is using the map", fn);
  if (m->gathered)
    return mproc__fail(MPROC_ESTATE, "%s: the results were taken already", fn);
  m->iterating = 1;
  return MPROC_OK;
}

/* Takes the next finished item into @s, if there is one (futures' lock held). */
static int take(mproc_map *m, slot *s) {
  piece *p;
  if (m->opts.unordered) {
    if (!m->ready_count)
      return 0;
    p = &m->ring[m->ready_head];
    s->call = m->head_call++;
  } else {
    p = &m->ring[(m->handed / m->chunk) % m->nring];
    if (!p->o)
      return 0;
    s->call = m->handed - p->first;
  }
  s->o = p->o;
  s->index = p->first + s->call;
  if (s->call + 1 == p->o->calls) { /* its last item: the entry is free */
    p->o = NULL;
    if (m->opts.unordered) {
      m->ready_head = (m->ready_head + 1) % m->nring;
      m->ready_count--;
      m->head_call = 0;
    }
  }
  m->handed++;
  return 1;
}

/* Lets go of the item handed out last. */
static void release_current(mproc_map *m) {
  mproc__outcome *o;
  mproc__futures_lock();
  o = unread_drop(m->cur_o);
  m->cur_o = NULL;
  mproc__futures_unlock();
  mproc__outcome_free(o);
}

static mproc_status fill(mproc_map *m, const slot *s, mproc_map_item *item) {
  mproc__call call = mproc__outcome_call(s->o, s->call);
  const mproc__call *c = &call;
  mproc_status st = m->current ? MPROC_OK : mproc_args_create(&m->current);
  m->cur_o = s->o;
  if (st != MPROC_OK)
    return st;
  mproc__args_clear(m->current);
  if (s->o->values && (st = mproc__args_append(m->current, s->o->values, c->at, c->n)) != MPROC_OK)
    return st;
  memset(item, 0, sizeof *item); /* the reserved words too */
  item->index = s->index;
  item->status = c->status;
  item->result = m->current;
  item->message = c->message ? c->message : "";
  return MPROC_OK;
}

mproc_status mproc_map_next(mproc_map *m, int64_t timeout_ms, mproc_map_item *item) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st;
  slot s;
  if (!m || !item)
    return mproc__pool_bad("mproc_map_next", m ? "item" : "map");
  mproc__futures_lock();
  st = claim(m, "mproc_map_next");
  if (st == MPROC_OK && m->out_chunks) {
    st = mproc__fail(MPROC_ESTATE, "mproc_map_next: mproc_map_get took results already");
    m->iterating = 0;
  }
  mproc__futures_unlock();
  if (st != MPROC_OK)
    return st;
  release_current(m);
  for (;;) {
    int got;
    if ((st = feed(m)) != MPROC_OK)
      break;
    mproc__futures_lock();
    got = take(m, &s);
    if (!got && m->source_ended && m->handed == m->total)
      st = m->end_status ? m->end_status : MPROC_EEND;
    else if (!got)
      st = mproc__futures_wait(deadline);
    mproc__futures_unlock();
    if (got)
      st = fill(m, &s, item);
    if (got || st != MPROC_OK)
      break;
  }
  mproc__futures_lock();
  m->iterating = 0;
  mproc__futures_unlock();
  if (st == MPROC_EEND)
    return mproc__fail(st, "mproc_map_next: no more items");
  if (st == MPROC_ETIMEDOUT)
    return mproc__fail(st, "mproc_map_next: no result within %lld ms", (long long)timeout_ms);
  if (st != MPROC_OK && st == m->end_status)
    return mproc__fail(st, "mproc_map_next: the input ended early: %s", m->end_msg);
  return st;
}

/* Waits until every item is settled and the callback has run (as Python:
 * waiters are released after it). */
static mproc_status all_done(mproc_map *m, int64_t deadline) {
  mproc_status st = MPROC_OK;
  mproc__futures_lock();
  while (st == MPROC_OK && (!all_settled(m) || m->in_callback))
    st = mproc__futures_wait(deadline);
  mproc__futures_unlock();
  return st;
}

mproc_status mproc_map_wait(mproc_map *m, int64_t timeout_ms) {
  mproc_status st;
  if (!m)
    return mproc__pool_bad("mproc_map_wait", "map");
  if (!m->is_async)
    return mproc__fail(MPROC_ESTATE, "mproc_map_wait: an imap is iterated with mproc_map_next()");
  if ((st = all_done(m, mproc__deadline(timeout_ms))) == MPROC_ETIMEDOUT)
    mproc__fail(st, "mproc_map_wait: not every item is done after %lld ms", (long long)timeout_ms);
  return st;
}

/* The outcome of chunk @j once it is settled (the claim is held, so it stays). */
static mproc_status settled_chunk(mproc_map *m, size_t j, int64_t deadline,
                                  const mproc__outcome **o) {
  mproc_status st = MPROC_OK;
  mproc__futures_lock();
  while (st == MPROC_OK && !m->ring[j % m->nring].o)
    st = mproc__futures_wait(deadline);
  *o = m->ring[j % m->nring].o;
  mproc__futures_unlock();
  return st;
}

/* Puts chunk @o's values (one per item) into m->out, after those of the
 * chunks before it: a chunk decoded into m->out is adopted, not copied. */
static mproc_status put_chunk(mproc_map *m, const mproc__outcome *o) {
  size_t i, before;
  mproc_status st = MPROC_OK;
  if (mproc__outcome_plain(o))
    return mproc__args_view_next(m->out, o->values)
               ? mproc__args_adopt(m->out, o->values)
               : mproc__args_append(m->out, o->values, 0, o->calls);
  mproc_args_count(m->out, &before);
  for (i = 0; i < o->calls && st == MPROC_OK; i++) {
    mproc__call c = mproc__outcome_call(o, i);
    st = c.n ? mproc__args_append(m->out, o->values, c.at, 1) : mproc_args_add_none(m->out);
  }
  if (st != MPROC_OK) /* all or nothing: a get tried again puts the chunk again */
    for (mproc_args_count(m->out, &i); i-- > before;)
      mproc__args_drop_last(m->out);
  return st;
}

/* Once every item is settled: fills @statuses and the first failed item
 * (@bad, @bad_at) and, with @results, puts the values into m->out, in
 * order. Chunks decoded into m->out cost nothing here, so nothing is gained
 * by gathering as they come, which would wake the getter once per chunk. */
static mproc_status gather(mproc_map *m, int64_t deadline, int results, mproc_status *statuses,
                           mproc__call *bad, size_t *bad_at) {
  mproc_status st = MPROC_OK;
  size_t j, i;
  const mproc__outcome *o = NULL;
  if (results && !m->out && (st = mproc_args_create(&m->out)) == MPROC_OK)
    st = mproc__args_reserve(m->out, m->total);
  for (j = 0; st == MPROC_OK && j * m->chunk < m->total; j++) {
    if ((st = settled_chunk(m, j, deadline, &o)) != MPROC_OK)
      break;
    for (i = 0; statuses && mproc__outcome_plain(o) && i < o->calls; i++)
      statuses[j * m->chunk + i] = MPROC_OK;
    for (i = 0; !mproc__outcome_plain(o) && i < o->calls; i++) {
      mproc__call c = mproc__outcome_call(o, i);
      if (statuses)
        statuses[j * m->chunk + i] = c.status;
      if (*bad_at == SIZE_MAX && c.status != MPROC_OK) {
        *bad = c;
        *bad_at = j * m->chunk + i;
      }
    }
    if (results && j == m->out_chunks && (st = put_chunk(m, o)) == MPROC_OK)
      m->out_chunks++;
  }
  return st;
}

/* mproc_map_get() but for the rule on statuses; the first failed item in
 * @bad, @bad_at. */
static mproc_status get_all(mproc_map *m, int64_t timeout_ms, mproc_args **results,
                            mproc_status *statuses, mproc__call *bad, size_t *bad_at) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st;
  if (!m->is_async)
    return mproc__fail(MPROC_ESTATE, "mproc_map_get: an imap is iterated with mproc_map_next()");
  mproc__futures_lock();
  if ((st = claim(m, "mproc_map_get")) == MPROC_OK && m->handed) {
    st = mproc__fail(MPROC_ESTATE, "mproc_map_get: mproc_map_next() took results already");
    m->iterating = 0;
  }
  m->getting = st == MPROC_OK;
  mproc__futures_unlock();
  if (st != MPROC_OK)
    return st;
  if ((st = all_done(m, deadline)) == MPROC_OK)
    st = gather(m, deadline, results != NULL, statuses, bad, bad_at);
  mproc__futures_lock();
  m->iterating = 0;
  m->getting = 0;
  m->gathered = st == MPROC_OK; /* a get that timed out (took nothing) may be tried again */
  if (st == MPROC_OK && results) {
    *results = m->out; /* every chunk is settled: no view is made any more */
    m->out = NULL;
    m->direct = 0;
  }
  mproc__futures_unlock();
  if (st == MPROC_ETIMEDOUT)
    return mproc__fail(st, "mproc_map_get: not every item is done after %lld ms",
                       (long long)timeout_ms);
  return st;
}

mproc_status mproc_map_get(mproc_map *m, int64_t timeout_ms, mproc_args **results,
                           mproc_status *statuses) {
  mproc__call bad = {MPROC_OK, 0, 0, ""};
  size_t bad_at = SIZE_MAX;
  mproc_status st;
  if (results)
    *results = NULL;
  if (!m)
    return mproc__pool_bad("mproc_map_get", "map");
  st = get_all(m, timeout_ms, results, statuses, &bad, &bad_at);
  if (st != MPROC_OK) /* not an item's outcome: each item gets it */
    return refused(statuses, m->source_ended ? m->total : 0, results, st);
  if (bad_at != SIZE_MAX)
    return mproc__fail(bad.status, "map: item %zu: %s", bad_at, bad.message);
  return MPROC_OK;
}

mproc_status mproc_map_progress(const mproc_map *m, size_t *done, size_t *total) {
  if (!m || !done || !total)
    return mproc__pool_bad("mproc_map_progress", !m ? "map" : !done ? "done" : "total");
  mproc__futures_lock();
  *done = m->settled;
  *total = m->source_ended ? m->total : 0;
  mproc__futures_unlock();
  return MPROC_OK;
}

mproc_status mproc_map_destroy(mproc_map *m) {
  mproc_pool *p;
  if (!m)
    return mproc__pool_bad("mproc_map_destroy", "map");
  mproc__futures_lock();
  m->gone = 1;
  live_remove(m);
  p = m->pool;
  mproc__futures_unlock();
  if (p)
    mproc__pool_drop_map(p, m); /* queued chunks settle (discarded) now */
  release_current(m);
  map_release(m);
  return MPROC_OK;
}
