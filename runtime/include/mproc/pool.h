/**
 * @file mproc/pool.h
 * @brief Process pools: Python's multiprocessing.Pool and its AsyncResult,
 * with cancellation, crash recovery and per-task timeouts.
 *
 * A pool owns its workers (fresh executions of the program, as every mproc
 * child) and one channel per worker. Tasks are registered functions
 * (::mproc_fn); their arguments and results are ::mproc_args. A worker that
 * crashes or is killed fails only the task it held (MPROC_ECRASHED) and is
 * replaced; the pool never hangs.
 *
 * Cancellation: every pool has a cancellation flag in shared memory.
 * mproc_cancelled() inside a task is one atomic load of it. After
 * mproc_pool_cancel(), queued tasks complete as MPROC_ECANCELED without
 * starting, running ones see the flag at their next check, and those still
 * running after the grace period are killed (their workers replaced). A
 * running task that then returns non-zero completes as MPROC_ECANCELED; one
 * that returns 0 finished its work, and keeps its result and MPROC_OK.
 *
 * Workers are not daemonic (unlike Python's, which may not have children):
 * a task may start Processes and pools of its own, and must end them
 * before it returns.
 *
 * Ctrl-C: workers run in their own process group (console group on
 * Windows), so a terminal's interrupt reaches only the parent. If the program
 * leaves SIGINT (or SIGTERM, SIGHUP, SIGQUIT: see process.h) at its default,
 * then on Ctrl-C every pool is cancelled, running tasks get their grace
 * period, what is left is killed and reaped (no replacement worker starts),
 * and the program exits with status 130, every named object removed.
 * Meanwhile the program's own waits return MPROC_ECANCELED, and a pool it
 * destroys then waits for this to end the process. What decides the exit
 * status is the signal alone: 130 for Ctrl-C (the other signals end it as
 * they would), even when main() returns its own status or calls exit()
 * meanwhile. A program that handles or ignores the signal itself is left
 * alone, and its own exit status stands.
 *
 * Thread safety: a pool and its futures may be used from any threads.
 */
#ifndef MPROC_POOL_H
#define MPROC_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "mproc/args.h"
#include "mproc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A pool of worker processes (Python's Pool): mproc_pool_create(), mproc_pool_destroy(). */
typedef struct mproc_pool mproc_pool;
/** One task of a pool (Python's AsyncResult): from mproc_pool_submit(); the
 *  caller frees it with mproc_future_destroy(). */
typedef struct mproc_future mproc_future;
/** A map of a pool (Python's MapResult, or the iterator of imap): from
 *  mproc_pool_map_async(), mproc_pool_starmap_async(), mproc_pool_imap() or
 *  mproc_pool_imap_source(); the caller frees it with mproc_map_destroy(). */
typedef struct mproc_map mproc_map;

/** Options of mproc_pool_create(). Zero-initialise, then set what you need. */
typedef struct mproc_pool_options {
  /** Number of workers; 0: mproc_cpu_count(). */
  int workers;
  /** A registered function every worker runs once before any task (respawned
   *  workers too), with @ref initargs; NULL for none. If it fails, the pool is
   *  broken: the failure is reported once and no worker is respawned in a
   *  loop. Every task then completes as MPROC_EINITFAILED, with a message
   *  naming the initializer and giving its mproc_task_fail() text, and the
   *  functions that queue work return MPROC_EINITFAILED. */
  const char *initializer;
  /** Arguments of the initializer (copied); may carry shared objects. */
  const mproc_args *initargs;
  /** Replace a worker after this many tasks; 0: never. */
  uint32_t max_tasks_per_child;
  /** Replace a worker whose resident memory exceeds this (KiB) after a task; 0: never. */
  uint64_t max_memory_kib;
  /** Default per-task timeout (ms): a task running longer is killed with its
   *  worker and completes as MPROC_ETIMEDOUT; 0: none. It counts from when
   *  the task's worker is ready (started, its initializer run), not from a
   *  new worker's spawn. A task's own option overrides it either way. */
  int64_t task_timeout_ms;
  /** Non-zero: the first task that fails (or crashes, or times out) cancels the rest. */
  int cancel_on_error;
  /** After a cancel, how long running tasks may take to notice before they are
   *  killed (ms); 0: the default, 1000 ms; negative: never kill, wait for them. */
  int64_t cancel_grace_ms;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_pool_options;

/**
 * Creates a pool and starts its workers.
 *
 * Descriptors: the parent holds up to 3 per worker (its channel, and on
 * Linux a process descriptor) on every POSIX system, and on macOS also 3
 * per worker for its fast paths' segments (each
 * named object holds a descriptor there, until it is closed), plus a few
 * for the pool itself. A pool that RLIMIT_NOFILE's soft limit cannot hold
 * (macOS's default is 256: about 50 workers) is refused here, with the
 * numbers; a later lack of descriptors is an error naming the limit too.
 * @return MPROC_OK; MPROC_EINVAL; MPROC_ENOTINIT; MPROC_ENOFUNC (unknown
 *         initializer); MPROC_ERANGE (workers < 0, too many, or more than the
 *         descriptor limit can hold); an OS status.
 */
MPROC_API mproc_status mproc_pool_create(mproc_pool **pool, const mproc_pool_options *options);

/** Per-call options of mproc_pool_submit(). */
typedef struct mproc_task_options {
  /** Overrides the pool's task timeout (ms); 0: the pool's; MPROC_WAIT_FOREVER
   *  (any negative value): none for this task, whatever the pool's. */
  int64_t timeout_ms;
  /** Called when the task succeeds / fails (any other status), on a pool
   *  thread, or on the thread that cancels, terminates or destroys the pool
   *  for a task it settles without running; they must not block for long.
   *  As in Python, the future is done (mproc_future_done(), _wait(), _get(),
   *  mproc_wait()) only once its callback has returned; inside the callback
   *  it already reads as done, so the callback may get its result. */
  void (*callback)(mproc_future *future, void *user);
  /** The callback for a failure (see callback); NULL for none. */
  void (*error_callback)(mproc_future *future, void *user);
  /** Passed to callback and error_callback. */
  void *user;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_task_options;

/**
 * Queues @p function(@p args) and returns at once (apply_async).
 * @return MPROC_OK; MPROC_EINVAL; MPROC_ENOFUNC; MPROC_ESTATE (closed or
 *         terminated, or no worker could be started); MPROC_EINITFAILED (the
 *         initializer failed); MPROC_ENOMEM (out of memory, or the pool's
 *         monitor thread could not start); MPROC_ECLOSED (a destroyed pool).
 *         The functions below that queue work can give these too.
 */
MPROC_API mproc_status mproc_pool_submit(mproc_pool *pool, mproc_future **future,
                                         const char *function, const mproc_args *args,
                                         const mproc_task_options *options);

/**
 * Runs @p function(@p args) on a worker and waits for it (apply).
 * @param pool        the pool.
 * @param function    a name in the registry.
 * @param args        the arguments, or NULL for none; copied.
 * @param[out] result the task's result values (the caller destroys it); may be NULL.
 * @return the task's status (mproc_task_info::status); a mproc_pool_submit()
 *         error; MPROC_ENOMEM (the result could not be copied for @p result).
 */
MPROC_API mproc_status mproc_pool_apply(mproc_pool *pool, const char *function,
                                        const mproc_args *args, mproc_args **result);

/**
 * A lazy source of map items, called on the thread that iterates the map
 * (inside mproc_map_next()), never by the pool: add the arguments of item
 * @p index to the empty list @p item and return MPROC_OK; return MPROC_EEND
 * when there are no more; any other status ends the map with that error.
 */
typedef mproc_status (*mproc_map_source)(void *user, size_t index, mproc_args *item);

/** One result of mproc_map_next(). */
typedef struct mproc_map_item {
  /** The item's position in the input. */
  size_t index;
  /** As mproc_task_info::status. */
  mproc_status status;
  /** The values the call returned; owned by the map, valid until the next
   *  mproc_map_next() or mproc_map_destroy(). Empty (not NULL) on failure;
   *  NULL in the item an error_callback gets. */
  const mproc_args *result;
  /** "" on success; the failure, crash or timeout otherwise. */
  const char *message;
  /** Reserved for later versions: mproc sets it to zero (mproc.h: structs that grow). */
  uint64_t reserved[2];
} mproc_map_item;

/** Options of every map function; NULL or zero-initialised: the defaults. */
typedef struct mproc_map_options {
  /** Items per task; 0: the default for a known count
   *  (ceil(n / (8 * workers)), see mproc_pool_map()), 1 for a source. */
  size_t chunksize;
  /** imap: at most this many items are queued, running, or done but not yet
   *  taken by mproc_map_next() (back-pressure on the source and on memory);
   *  0: 8 chunks per worker. The other maps queue every item and ignore it. */
  size_t window;
  /** imap: hand results out as they complete rather than in order (imap_unordered). */
  int unordered;
  /** Per-task timeout (ms); 0: the pool's; MPROC_WAIT_FOREVER: none, as in
   *  mproc_task_options. */
  int64_t timeout_ms;
  /** map_async, starmap_async, and the blocking maps: called once, when
   *  every item succeeded, on the thread that completes the last one
   *  (normally a pool thread), before mproc_map_wait() / _get() return; it
   *  may call mproc_map_progress() but must not wait for the map. */
  void (*callback)(mproc_map *map, void *user);
  /** As callback, but when some item did not succeed (failed, crashed,
   *  timed out, cancelled), instead of callback (as Python's error_callback):
   *  @p failed is the failed item of lowest index (its result NULL). */
  void (*error_callback)(mproc_map *map, const mproc_map_item *failed, void *user);
  /** Passed to callback and error_callback. */
  void *user;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_map_options;

/**
 * Calls @p function once per value of @p items (each call gets a list with
 * that one value), in chunks of options->chunksize (NULL options, or 0: the
 * default, ceil(n / (8 * workers)): Python's rule, with twice its chunks per
 * worker since a chunk costs mproc less), and waits for all (map). The
 * options' timeout and callbacks apply as in mproc_pool_map_async(). At most
 * MPROC_ARGS_MAX_COUNT items: a longer input goes through
 * mproc_pool_imap_source(), which never holds it whole.
 * @param pool         the pool.
 * @param function     a name in the registry.
 * @param items        one value per call; n is their count.
 * @param options      NULL for the defaults.
 * @param[out] results one value per item, in order: the first value each
 *             call returned (MPROC_TYPE_NONE for a failed or cancelled item,
 *             or one that returned nothing); the caller destroys it; may be NULL.
 * @param[out] statuses one status per item (may be NULL); array of n. It is
 *             written whatever the call returns: a map refused or failed as
 *             a whole (a bad argument, a pool that takes no work) writes
 *             its status into each (with items NULL there is no n: nothing).
 * @return MPROC_OK when all succeeded, else the first failing item's status,
 *         or a mproc_pool_submit() error for the whole map.
 */
MPROC_API mproc_status mproc_pool_map(mproc_pool *pool, const char *function,
                                      const mproc_args *items, const mproc_map_options *options,
                                      mproc_args **results, mproc_status *statuses);

/**
 * mproc_pool_map() over a C array: call i gets the list [in[i]] and must
 * return one int64 (its first result value), which goes to out[i]. The
 * common numeric case in one line, e.g.
 * `mproc_pool_map_i64(pool, "square", xs, n, NULL, squares, NULL)`.
 * @param pool, function, options  as mproc_pool_map()'s.
 * @param n        how many values in and out hold.
 * @param in, out  n values each (may be NULL when n is 0).
 * @param statuses as mproc_pool_map()'s (may be NULL); an item whose result
 *                 is not one int64 gets MPROC_ETYPE. out[i] is 0 for an
 *                 item that did not succeed.
 * @return as mproc_pool_map(); MPROC_ETYPE (a result of another type);
 *         MPROC_ERANGE (n over MPROC_ARGS_MAX_COUNT).
 */
MPROC_API mproc_status mproc_pool_map_i64(mproc_pool *pool, const char *function, const int64_t *in,
                                          size_t n, const mproc_map_options *options, int64_t *out,
                                          mproc_status *statuses);
/** mproc_pool_map_i64() for doubles: each call gets [in[i]] and returns one double. */
MPROC_API mproc_status mproc_pool_map_f64(mproc_pool *pool, const char *function, const double *in,
                                          size_t n, const mproc_map_options *options, double *out,
                                          mproc_status *statuses);

/**
 * As mproc_pool_map(), but call i gets the whole list @p arglists[i] as its
 * arguments (starmap). statuses are written as there, except when n is over
 * MPROC_ARGS_MAX_COUNT (MPROC_ERANGE: n itself is refused).
 */
MPROC_API mproc_status mproc_pool_starmap(mproc_pool *pool, const char *function,
                                          const mproc_args *const *arglists, size_t n,
                                          const mproc_map_options *options, mproc_args **results,
                                          mproc_status *statuses);

/**
 * Queues a map of @p items (copied) and returns at once (map_async). Wait
 * with mproc_map_wait() / mproc_map_get(), or iterate with mproc_map_next().
 * @return MPROC_OK; MPROC_ERANGE; a mproc_pool_submit() error.
 */
MPROC_API mproc_status mproc_pool_map_async(mproc_pool *pool, mproc_map **map, const char *function,
                                            const mproc_args *items,
                                            const mproc_map_options *options);

/**
 * As mproc_pool_map_async(), but call i gets the whole list @p arglists[i]
 * (copied) as its arguments (starmap_async).
 * @return as mproc_pool_map_async(); MPROC_EINVAL (a NULL list).
 */
MPROC_API mproc_status mproc_pool_starmap_async(mproc_pool *pool, mproc_map **map,
                                                const char *function,
                                                const mproc_args *const *arglists, size_t n,
                                                const mproc_map_options *options);

/**
 * An iterator over @p function applied to each value of @p items (copied):
 * imap (in order) or imap_unordered (options->unordered). Chunks are queued
 * lazily, within the window, as mproc_map_next() takes results. A
 * cancellation of the pool (a task's bail-out too) ends every map it meets:
 * what was not queued yet completes as MPROC_ECANCELED.
 */
MPROC_API mproc_status mproc_pool_imap(mproc_pool *pool, mproc_map **map, const char *function,
                                       const mproc_args *items, const mproc_map_options *options);

/**
 * As mproc_pool_imap(), with items pulled from @p source only as the window
 * allows: an input of any length is never held whole. Each item is the whole
 * argument list of its call (so this is also a lazy starmap).
 */
MPROC_API mproc_status mproc_pool_imap_source(mproc_pool *pool, mproc_map **map,
                                              const char *function, mproc_map_source source,
                                              void *user, const mproc_map_options *options);

/**
 * The next result: in input order, or in completion order for an unordered
 * map. One thread at a time may iterate a map.
 * @return MPROC_OK (@p item filled, whatever the call's own status);
 *         MPROC_EEND after the last item; MPROC_ETIMEDOUT; MPROC_ESTATE (another
 *         thread is iterating, or the results were taken by mproc_map_get());
 *         the status that ended the source, or that stopped queuing, once
 *         every item before it was handed out.
 */
MPROC_API mproc_status mproc_map_next(mproc_map *map, int64_t timeout_ms, mproc_map_item *item);

/** map_async: waits until every item is done. @return MPROC_OK, MPROC_ETIMEDOUT,
 *  MPROC_ESTATE (an imap: iterate it instead). */
MPROC_API mproc_status mproc_map_wait(mproc_map *map, int64_t timeout_ms);

/**
 * map_async: waits, then gives the results as mproc_pool_map() does (once;
 * not after mproc_map_next() took any), statuses by the same rule: a get
 * that fails as a whole (MPROC_ETIMEDOUT, MPROC_ESTATE) writes its status
 * into each.
 * @return MPROC_OK; the first failing item's status; MPROC_ETIMEDOUT;
 *         MPROC_ESTATE; MPROC_EINVAL; MPROC_ENOMEM.
 */
MPROC_API mproc_status mproc_map_get(mproc_map *map, int64_t timeout_ms, mproc_args **results,
                                     mproc_status *statuses);

/** Items done so far, and the total (0 while a source has not ended). */
MPROC_API mproc_status mproc_map_progress(const mproc_map *map, size_t *done, size_t *total);

/**
 * Frees a map. Its queued items are dropped; running ones finish and their
 * results are discarded (to stop them too, mproc_pool_cancel()). A map may
 * outlive its pool: what the pool finished can still be taken, and what was
 * never queued completes as MPROC_ESTATE.
 */
MPROC_API mproc_status mproc_map_destroy(mproc_map *map);

/** Stops accepting tasks; queued ones still run. @return MPROC_OK, MPROC_EINVAL. */
MPROC_API mproc_status mproc_pool_close(mproc_pool *pool);
/** Cancels everything (as mproc_pool_cancel) and kills the workers at once. */
MPROC_API mproc_status mproc_pool_terminate(mproc_pool *pool);
/** Waits until every worker has exited (after close or terminate).
 *  @return MPROC_OK, MPROC_ETIMEDOUT, MPROC_ESTATE (neither closed nor terminated). */
MPROC_API mproc_status mproc_pool_join(mproc_pool *pool, int64_t timeout_ms);
/**
 * Cancels queued and running tasks (see the file comment). The pool stays
 * usable: tasks submitted afterwards run normally.
 */
MPROC_API mproc_status mproc_pool_cancel(mproc_pool *pool);
/** Terminates (if not joined), joins and frees the pool: no child process and
 *  no named object is left behind. Futures stay valid until destroyed. A use
 *  of the pool afterwards, or a second destroy, is MPROC_ECLOSED (its memory
 *  is kept a while for this: best effort, never a use of freed memory for
 *  the next hundreds of releases). */
MPROC_API mproc_status mproc_pool_destroy(mproc_pool *pool);

/** Inside a task: non-zero once the pool was cancelled (one atomic load). */
MPROC_API int mproc_cancelled(void);
/**
 * Inside a task: cancels the pool it runs in (breaking out of a parallel
 * loop: the rest of a map completes as MPROC_ECANCELED). The parent learns at
 * once, not when the caller returns: queued tasks complete as cancelled and
 * the grace period starts even if the caller goes on. The caller's own
 * result still counts.
 * @return MPROC_OK; MPROC_ESTATE outside a pool task.
 */
MPROC_API mproc_status mproc_task_cancel_pool(void);
/** Inside a task: the message the parent sees if the task then returns non-zero. */
MPROC_API mproc_status mproc_task_fail(const char *message);

/**
 * Waits for the task, at most @p timeout_ms, and gives its result.
 * @param future       the task.
 * @param timeout_ms   in ms; MPROC_WAIT_FOREVER: no limit; 0: just check.
 * @param[out] result the result values, owned by the future (valid until it
 *             is destroyed); may be NULL.
 * @return the task's status; MPROC_ETIMEDOUT if it is not done yet;
 *         MPROC_EINVAL (NULL).
 */
MPROC_API mproc_status mproc_future_get(mproc_future *future, int64_t timeout_ms,
                                        const mproc_args **result);
/** Waits without taking the result.
 *  @return MPROC_OK (done); MPROC_ETIMEDOUT; MPROC_EINVAL (NULL). */
MPROC_API mproc_status mproc_future_wait(mproc_future *future, int64_t timeout_ms);
/** Non-zero once the task has completed in any way. */
MPROC_API int mproc_future_done(const mproc_future *future);

/** How a task ended. */
typedef struct mproc_task_info {
  /** MPROC_OK, MPROC_EFAILED (the function returned non-zero), MPROC_ECANCELED,
   *  MPROC_ECRASHED, MPROC_ETIMEDOUT, or a protocol/OS status. */
  mproc_status status;
  /** The worker's pid (0 if it never started). */
  int64_t pid;
  /** For MPROC_ECRASHED: the worker's exit code (minus the signal number). */
  int exitcode;
  /** A human-readable reason ("" on success). */
  const char *message;
  /** Reserved for later versions: mproc sets it to zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_task_info;

/** @return MPROC_OK, MPROC_EINVAL, MPROC_ESTATE (not done yet). */
MPROC_API mproc_status mproc_future_info(const mproc_future *future, mproc_task_info *info);
/** Frees a future (waiting for it is not required: the task keeps running).
 *  Using it afterwards, or destroying it twice, is undefined (a use of freed
 *  memory); a pool's use after mproc_pool_destroy() is MPROC_ECLOSED. */
MPROC_API mproc_status mproc_future_destroy(mproc_future *future);

#ifdef __cplusplus
}
#endif
#endif /* MPROC_POOL_H */
