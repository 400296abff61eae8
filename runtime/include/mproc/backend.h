/**
 * @file mproc/backend.h
 * @brief For pool backends (such as the MPI one), not for applications: a
 * pool whose workers another mechanism starts, and the host side that runs
 * a worker for it.
 *
 * A pool talks to each worker over a byte stream of frames (START, TASK,
 * RESULT...). By default it spawns the worker itself and owns that stream.
 * A backend takes the spawning over: mproc_pool_create_with() hands each
 * worker's encoded START to the backend's start hook, which returns the two
 * handles of a stream whose far end reaches a *host*: a process, maybe on
 * another machine, that calls mproc_host_worker_start() with those START
 * bytes and relays the stream to and from the worker it starts. The pool then works
 * as ever (tasks, maps, timeouts, crashes, cancellation), without the fast
 * paths that share memory with its workers.
 *
 * Across machines nothing is shared but the stream: the pool's cancellation
 * flag reaches the workers through the cancel hook (the host then calls
 * mproc_host_worker_cancel()), and a worker's task that cancels the pool
 * tells the parent by a frame. Objects passed in initargs or task arguments
 * must exist where the worker runs: that is the backend's to check
 * (mproc_backend_objects()); an Event in the initargs can be mirrored, the
 * host giving its worker a stand-in (mproc_host_options).
 *
 * Errors and ownership follow mproc.h: every function returns a status with
 * a message (mproc_last_error()); who creates a thing destroys it.
 */
#ifndef MPROC_BACKEND_H
#define MPROC_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "mproc/export.h"
#include "mproc/pool.h"
#include "mproc/process.h"
#include "mproc/shared.h"
#include "mproc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * What mproc_backend_objects() calls for each shared object: @p kind is its
 * kind's name ("Event", "Lock", "Queue"...), @p path where it sits
 * ("initargs[1][0]"), and value @p index of @p list is the object (for
 * mproc_args_open_<kind>()). Anything but MPROC_OK stops the walk.
 */
typedef mproc_status (*mproc_backend_visit)(void *state, const mproc_args *list, size_t index,
                                            const char *kind, const char *path);

/**
 * What a backend does for a pool. Each hook is called from the pool's
 * threads, possibly several at once for different workers; @p state is the
 * pointer given to mproc_pool_create_with().
 */
typedef struct mproc_backend {
  /** Its name, used in messages (e.g. "mpi"). */
  const char *name;
  /**
   * Starts the worker of slot @p slot (0..workers-1) with the encoded START
   * @p start of @p len bytes. @p *rd and @p *wr are the pool's ends of the
   * worker's stream (file descriptors on POSIX, HANDLEs on Windows), which
   * the pool reads, writes and closes; reading end-of-stream means the
   * worker ended. Whatever the hook returns, the pool closes the handles it
   * wrote there (they start as -1): a hook that fails after
   * mproc_backend_stream_create() leaves them to the pool. @p *id names the worker in the other
   * hooks and in messages (the pool never takes it for a local pid).
   */
  mproc_status (*start)(void *state, int slot, const void *start, size_t len, intptr_t *rd,
                        intptr_t *wr, int64_t *id);
  /** Ends worker @p id: asks it (force 0) or forces it. */
  void (*signal)(void *state, int64_t id, int force);
  /**
   * Waits at most @p timeout_ms (MPROC_WAIT_FOREVER: no limit) for worker
   * @p id to end: MPROC_OK with its exit code in @p *exitcode (Python's
   * convention: -N for a signal), or MPROC_ETIMEDOUT. Called after the pool
   * read end-of-stream or signalled it; once it returns MPROC_OK the id is
   * not used again.
   */
  mproc_status (*wait)(void *state, int64_t id, int64_t timeout_ms, int *exitcode);
  /** The pool's cancellation flag was set (@p on 1) or cleared (0): every
   *  worker's mproc_cancelled() must follow it. A worker starts with it
   *  cleared; one started while the flag is set is told after its start
   *  (a second call with @p on 1). Maybe called with the pool's lock held:
   *  it must not wait for a worker or call the pool. */
  void (*cancel)(void *state, int on);
  /** The pool is gone, every worker waited for: release @p state. */
  void (*destroy)(void *state);
  /**
   * Optional (NULL: every object passes): called for each shared object in
   * a task's arguments as it is queued ("args[0]", or "items[5]" for a
   * map's item 5), before anything is sent; a status other than MPROC_OK
   * refuses the task (or the map's chunk) with it.
   */
  mproc_backend_visit objects;
  /** Reserved for hooks to come: must be NULL. */
  void (*reserved[3])(void);
} mproc_backend;

/** mproc_init()'s type: how a plugin names the runtime it was built on. */
typedef mproc_status (*mproc_backend_core)(int *argc, char ***argv, const mproc_function *registry);

/**
 * A backend a program's launch can choose, with no change to its code:
 * `--mproc-backend=NAME` on its command line (mproc_init() takes it out of
 * argv) or `MPROC_BACKEND=NAME` in its environment ("local", or neither:
 * mproc's own processes). mproc_init() then finds the plugin: one the
 * program registered (mproc_backend_register()), else the one module
 * `mproc_NAME` (libmproc_NAME.so, .dylib, mproc_NAME.dll) gives with its
 * function `const mproc_backend_plugin *mproc_NAME_plugin(void)`, loaded
 * from the folder $MPROC_PLUGIN_PATH names, the loader's own search, or
 * the install's library folder. It calls the plugin's init in the main
 * process, after its own start, and from then on mproc_pool_create()
 * creates pools with the plugin's pool_create. A module must link mproc as
 * a shared library: a program with mproc linked statically cannot load one
 * (its core would be another runtime's), and is refused.
 */
typedef struct mproc_backend_plugin {
  /** Its name: 1 to 32 of a-z, 0-9 and _. */
  const char *name;
  /** mproc_init, as the plugin was linked with it (two runtimes are refused). */
  mproc_backend_core core;
  /** Starts the backend in the main process (it may never return: an MPI
   *  rank that becomes a host). */
  mproc_status (*init)(int *argc, char ***argv);
  /** What mproc_pool_create() calls while the backend is chosen. */
  mproc_status (*pool_create)(mproc_pool **pool, const mproc_pool_options *options);
  /** Reserved: must be NULL. */
  void (*reserved[4])(void);
} mproc_backend_plugin;

/**
 * Makes @p plugin (kept, not copied) known to this program by its name,
 * before mproc_init(): the launch may then choose it with no module to
 * load. Registering a name again replaces the earlier plugin.
 * @return MPROC_OK; MPROC_EINVAL (NULL, a bad name, reserved set);
 *         MPROC_ERANGE (over 8 plugins); MPROC_ESTATE (after mproc_init()).
 */
MPROC_API mproc_status mproc_backend_register(const mproc_backend_plugin *plugin);

/**
 * For hooks: records the message @p format makes (printf's rules) as this
 * thread's mproc_last_error() and returns @p status, as mproc's own
 * functions do before they return a failure.
 */
MPROC_API mproc_status mproc_backend_fail(mproc_status status, const char *format, ...)
#if defined(__MINGW32__) && !defined(__clang__)
    __attribute__((format(gnu_printf, 2, 3))) /* (mproc's is C99's printf: %zu too) */
#elif defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * mproc_pool_create() with the workers started by @p backend (copied) and
 * its @p state. The pool uses no shared memory with its workers.
 * @return as mproc_pool_create(); MPROC_EINVAL (a hook missing, reserved
 *         ones not NULL). On failure @p backend's destroy is not called.
 */
MPROC_API mproc_status mproc_pool_create_with(mproc_pool **pool, const mproc_pool_options *options,
                                              const mproc_backend *backend, void *state);

/**
 * Visits every shared object in @p args, nested lists included, depth-first
 * in index order (the order in which mproc_host_options::event numbers the
 * Events); @p path names @p args in the paths given.
 * @return MPROC_OK; MPROC_EINVAL (NULL); the first status @p visit returned
 *         other than MPROC_OK.
 */
MPROC_API mproc_status mproc_backend_objects(const mproc_args *args, const char *path,
                                             mproc_backend_visit visit, void *state);

/** The backend's end of a stream whose other end a pool reads and writes
 *  (mproc_backend_stream_create()). */
typedef struct mproc_backend_stream mproc_backend_stream;

/**
 * A stream for a start hook to return: @p *pool_rd and @p *pool_wr are the
 * pool's ends (the pool closes them), @p *stream the backend's, which it
 * relays to the worker's host. Each direction is an OS pipe or socket pair:
 * a write waits while the reader is behind.
 * @return MPROC_OK; MPROC_EINVAL (NULL); MPROC_ENOMEM; an OS status.
 */
MPROC_API mproc_status mproc_backend_stream_create(mproc_backend_stream **stream, intptr_t *pool_rd,
                                                   intptr_t *pool_wr);
/** Reads what the pool wrote, up to @p n bytes, waiting for some: @p *got 0
 *  means the pool closed its end. */
MPROC_API mproc_status mproc_backend_stream_read(mproc_backend_stream *stream, void *buf, size_t n,
                                                 size_t *got);
/** Writes all @p n bytes for the pool to read. */
MPROC_API mproc_status mproc_backend_stream_write(mproc_backend_stream *stream, const void *buf,
                                                  size_t n);
/** Ends what the backend writes: the pool reads end-of-stream after what was
 *  written (its worker ended), while the backend may still read. */
MPROC_API mproc_status mproc_backend_stream_end(mproc_backend_stream *stream);
/** Closes the backend's end (the pool then reads end-of-stream) and frees
 *  @p stream; no other thread may be reading or writing it. */
MPROC_API mproc_status mproc_backend_stream_destroy(mproc_backend_stream *stream);

/** One worker a host runs for a pool elsewhere (mproc_host_worker_start()). */
typedef struct mproc_host_worker mproc_host_worker;

/** Options of mproc_host_worker_start(). Zero-initialise. */
typedef struct mproc_host_options {
  /**
   * Gives the host's stand-in for the Event numbered @p index in the START's
   * initargs (0, 1... in mproc_backend_objects()'s order), which the pool's
   * machine names @p name: the worker opens *@p local instead. The backend
   * keeps it (the worker's handle is its own) and mirrors it with the
   * pool's. NULL: the worker opens the pool's Events (they exist here).
   */
  mproc_status (*event)(void *state, size_t index, const char *name, mproc_event **local);
  /** Given to @p event. */
  void *state;
  /** Reserved: must be NULL. */
  void *reserved[4];
} mproc_host_options;

/**
 * Starts a pool worker on this machine from the START a pool gave its
 * backend. The host then relays the pool's stream: what the pool sends, to
 * mproc_host_worker_write(); what mproc_host_worker_read() gives, to the
 * pool. The worker's cancellation flag is a new one of this host
 * (mproc_host_worker_cancel() sets it), whatever the pool's is.
 * @p options may be NULL.
 * @return MPROC_OK; MPROC_EINVAL (NULL, reserved options set); MPROC_EPROTO
 *         (@p start is not a worker's START); MPROC_ENOTINIT; the event
 *         hook's status; a spawn's status.
 */
MPROC_API mproc_status mproc_host_worker_start(mproc_host_worker **worker, const void *start,
                                               size_t len, const mproc_host_options *options);
/** Reads what the worker sent, up to @p n bytes, waiting for some: @p *got
 *  0 means it ended (end-of-stream). One thread reads a worker at a time. */
MPROC_API mproc_status mproc_host_worker_read(mproc_host_worker *worker, void *buf, size_t n,
                                              size_t *got);
/** Writes all @p n bytes to the worker (what the pool sent it). */
MPROC_API mproc_status mproc_host_worker_write(mproc_host_worker *worker, const void *buf,
                                               size_t n);
/** Sets (@p on 1) or clears the worker's cancellation flag. */
MPROC_API mproc_status mproc_host_worker_cancel(mproc_host_worker *worker, int on);
/** Ends the worker: asks it (@p force 0) or kills it. */
MPROC_API mproc_status mproc_host_worker_signal(mproc_host_worker *worker, int force);
/** Waits at most @p timeout_ms for the worker to end, and reaps it (the names
 *  a worker that did not exit cleanly left are swept): MPROC_OK with its
 *  exit code, or MPROC_ETIMEDOUT. */
MPROC_API mproc_status mproc_host_worker_wait(mproc_host_worker *worker, int64_t timeout_ms,
                                              int *exitcode);
/** Kills the worker if it still runs, reaps it, closes its stream and
 *  frees @p worker. */
MPROC_API mproc_status mproc_host_worker_destroy(mproc_host_worker *worker);

#ifdef __cplusplus
}
#endif
#endif /* MPROC_BACKEND_H */
