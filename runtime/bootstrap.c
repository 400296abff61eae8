/*
 * The top of the runtime: mproc_init(), the child bootstrap and the at-exit
 * handler. The only file that knows both a plain Process child and a pool
 * worker: it reads START and hands the child to the one or the other.
 *
 * A spawned child finds "--mproc-child=<protocol>:<channel spec>" as argv[1].
 * It attaches to the channel, reads one START frame (function, name,
 * identity, daemon flag, parent pid, encoded arguments), starts a watchdog
 * thread that ends the process the moment the channel reports end-of-stream
 * (the parent is gone), runs the function and exits. It never returns into
 * the caller's main().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "core/core.h"
#include "pool/pool.h"
#include "process/process.h"
#include "shared/object.h"
#include "wire/args.h"
#include "wire/frame.h"

/* Exit code of a child whose bootstrap failed (as an uncaught exception in Python). */
#define EXIT_BOOTSTRAP 1

static mproc__chan parent_chan = MPROC__CHAN_INIT; /* a child's channel to its parent */

static mproc_status check_registry(const mproc_function *registry) {
  const mproc_function *f, *h;
  for (f = registry; f->name || f->fn; f++) {
    if (!f->name || !f->name[0] || !f->fn)
      return mproc__fail(MPROC_EINVAL, "mproc_init: registry entry %d has no name or function",
                         (int)(f - registry));
    if (strncmp(f->name, "mproc:", 6) == 0)
      return mproc__fail(MPROC_EINVAL, "mproc_init: names starting with \"mproc:\" are reserved");
    for (h = registry; h != f; h++)
      if (strcmp(h->name, f->name) == 0)
        return mproc__fail(MPROC_EINVAL, "mproc_init: function \"%s\" is registered twice",
                           f->name);
  }
  return MPROC_OK;
}

/* The thread that ends the process (mproc__thread_id()), 0: none yet:
 * either the signal watcher or a thread in exit(). Once one has it, any
 * other that comes to end the process waits for it (under mproc__lock()). */
static uint64_t ender;

/* Whether the calling thread ends the process; if another does, it waits
 * for that one to (which never returns). */
static int claim_ending(void) {
  uint64_t me = mproc__thread_id();
  mproc__lock();
  if (!ender)
    ender = me;
  mproc__unlock();
  if (ender == me)
    return 1;
  for (;;)
    apr_sleep(1000000);
}

/*
 * After an ending signal (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT) that the program
 * left at its default, by whichever thread ends the process: everything mproc
 * started ends first (pools are cancelled and their workers reaped; children
 * that are not daemons get a grace, then are terminated), every name this
 * process created is removed, then the process ends at once as the signal
 * asks: 130 for Ctrl-C, as a shell reports it; by the signal for the others.
 * At once, not through exit(): a thread of the program (main() returning as
 * its children end) could then finish the exit first, with its own status.
 * Python ends on Ctrl-C and joins its children, forever if one never ends;
 * this always ends.
 */
static MPROC__NORETURN void end_by(int sig) {
  mproc__pools_interrupted();
  mproc__children_interrupted(MPROC__INTERRUPT_GRACE_MS);
  mproc__objects_at_exit();
  fflush(NULL);
  if (sig == MPROC__SIGINT)
    mproc__exit_now(130);
  mproc__exit_signalled(sig);
}

/* Whichever thread's exit() runs it. A signal is recorded by its handler
 * before any thread runs on, so main() returning first cannot miss it. */
static void at_exit(void) {
  int sig;
  claim_ending();
  sig = mproc__signal_received();
  if (sig)
    end_by(sig);
  mproc__children_at_exit();
  mproc__objects_at_exit();
}

/* The signal watcher's callback. */
static void on_signal(int sig) {
  claim_ending();
  end_by(sig);
}

static void die(const char *what) {
  fprintf(stderr, "mproc: child %lld: %s: %s\n", (long long)mproc__self_pid(), what,
          mproc_last_error());
  exit(EXIT_BOOTSTRAP);
}

/* Reads the channel until the parent is gone, then ends this process at once.
 * A parent sends nothing after START to a plain process; anything it sends is
 * read and dropped so that only end-of-stream matters. */
static void *APR_THREAD_FUNC watchdog(apr_thread_t *thread, void *data) {
  char buf[256];
  size_t got;
  (void)thread;
  (void)data;
  while (mproc__chan_read(&parent_chan, buf, sizeof buf, &got) == MPROC_OK && got)
    ;
  mproc__exit_now(MPROC__EXIT_ORPHANED); /* (no return after it: MSVC's C4702) */
}

/* Reads START and looks its function up (NULL: a pool worker). */
static void read_start(const mproc_function **fn, mproc_args **args) {
  mproc__start start;
  mproc_args *keep = NULL;
  uint8_t *payload = NULL;
  size_t len;
  uint16_t type;
  mproc_status st = mproc__frame_recv(&parent_chan, &type, &payload, &len);
  /* Closed before START: the parent ended this child on purpose (a pool
   * terminated as it started it) or is gone. Nobody needs a message. */
  if (st == MPROC_ECLOSED)
    mproc__exit_now(EXIT_BOOTSTRAP);
  if (st != MPROC_OK)
    die("reading the START message");
  if (type != MPROC__FRAME_START) {
    mproc__fail(MPROC_EPROTO, "expected a START frame, got type %u", (unsigned)type);
    die("bootstrap");
  }
  if (mproc__start_decode(payload, len, &start, &keep) != MPROC_OK)
    die("decoding the START message");
  *fn = strcmp(start.function, MPROC__WORKER_FN) == 0 ? NULL : mproc__registry_find(start.function);
  if (!*fn && strcmp(start.function, MPROC__WORKER_FN) != 0) {
    mproc__fail(MPROC_ENOFUNC, "function \"%s\" is not in this program's registry", start.function);
    die("bootstrap");
  }
  if (mproc__args_decode(start.args, start.args_len, args) != MPROC_OK)
    die("decoding the START message");
  mproc__self_set(start.name, start.identity, start.daemon, start.parent_pid);
  mproc_args_destroy(keep);
  free(payload);
}

static void child_main(const char *marker) {
  const mproc_function *fn;
  mproc_args *args = NULL;
  apr_thread_t *thread;
  char *end;
  long version = strtol(marker, &end, 10);
  int rc;

  if (version != MPROC_PROTOCOL_VERSION || *end != ':') {
    mproc__fail(MPROC_EPROTO, "parent speaks protocol %ld, this program %d", version,
                MPROC_PROTOCOL_VERSION);
    die("bootstrap");
  }
  if (mproc__chan_attach(&parent_chan, end + 1) != MPROC_OK)
    die("attaching to the parent's channel");
  read_start(&fn, &args);
  if (!fn)
    mproc__worker_main(&parent_chan, args); /* it watches for the parent's end itself */
  if (apr_thread_create(&thread, NULL, watchdog, NULL, mproc__apr_pool()) != APR_SUCCESS) {
    mproc__fail(MPROC_ENOMEM, "cannot start the watchdog thread");
    die("bootstrap");
  }
  if (mproc__frame_send(&parent_chan, MPROC__FRAME_STARTED, NULL, 0) != MPROC_OK)
    die("telling the parent it started"); /* the parent tells a bootstrap by it */
  mproc__signals_watch(on_signal);        /* a plain child ends its own children too */
  rc = fn->fn(args, NULL);
  mproc_args_destroy(args);
  exit(rc == 0 ? 0 : 1);
}
mproc_status mproc_init(int *argc, char ***argv, const mproc_function *registry) {
  mproc_status st;
  int child;
  if (!argc || !argv || !*argv || !registry)
    return mproc__fail(MPROC_EINVAL, "mproc_init: NULL argument");
  st = check_registry(registry);
  if (st != MPROC_OK)
    return st;
  if (mproc__is_initialized())
    return mproc__fail(MPROC_ESTATE, "mproc_init: already called");
  child =
      *argc >= 2 && strncmp((*argv)[1], MPROC__MARKER_PREFIX, strlen(MPROC__MARKER_PREFIX)) == 0;
  if ((st = mproc__core_start(registry, child)) != MPROC_OK)
    return st;
  mproc__stdio_line_buffered();
  /* Children of this process are terminated (daemons) or joined at exit, as
   * Python does; APR is deliberately not terminated at exit because user
   * threads may still be running. */
  atexit(at_exit);
  if (child)
    child_main((*argv)[1] + strlen(MPROC__MARKER_PREFIX));
  /* A main process cleans up after earlier runs that were killed. */
  mproc__sweep(0);
  mproc__signals_watch(on_signal);
  return mproc__plugin_start(argc, argv, mproc_init); /* the backend the launch chose, if any */
}
