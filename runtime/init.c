/*
 * mproc_init(): the registry, process-wide state, and the child bootstrap.
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

#include "object.h"

/* Exit code of a child whose bootstrap failed (as an uncaught exception in Python). */
#define EXIT_BOOTSTRAP 1
/* Exit code of a child that ended because its parent died. */
#define EXIT_ORPHANED 1

static struct {
  int initialized;
  const mproc_function *registry;
  apr_pool_t *pool;
  apr_thread_mutex_t *lock;
  char *executable;
  char *name;
  char *identity;
  int daemon;
  int64_t parent_pid;
  mproc__chan parent_chan; /* a child's channel to its parent */
} g = {0, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, MPROC__CHAN_INIT};

char *mproc__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

int64_t mproc__now_ms(void) { return mproc__monotonic_ms(); }

int mproc__is_initialized(void) { return g.initialized; }
apr_pool_t *mproc__apr_pool(void) { return g.pool; }
void mproc__lock(void) { apr_thread_mutex_lock(g.lock); }
void mproc__unlock(void) { apr_thread_mutex_unlock(g.lock); }

const mproc_function *mproc__registry_find(const char *name) {
  const mproc_function *f;
  for (f = g.registry; f && f->name; f++)
    if (strcmp(f->name, name) == 0)
      return f;
  return NULL;
}

mproc_status mproc__executable_get(const char **exe) {
  mproc_status st = MPROC_OK;
  mproc__lock();
  if (!g.executable)
    st = mproc__exe_path(&g.executable);
  *exe = g.executable;
  mproc__unlock();
  return st;
}

const char *mproc__executable(void) {
  const char *exe;
  return mproc__executable_get(&exe) == MPROC_OK ? exe : NULL;
}

const char *mproc__self_identity(void) { return g.identity ? g.identity : ""; }
int64_t mproc_self_pid(void) { return mproc__self_pid(); }
int64_t mproc_self_parent_pid(void) { return g.parent_pid; }
const char *mproc_self_name(void) { return g.name ? g.name : "MainProcess"; }
int mproc_self_is_daemon(void) { return g.daemon; }
int mproc_cpu_count(void) { return mproc__cpu_count(); }

mproc_status mproc_set_executable(const char *path) {
  char *copy;
  mproc_status st;
  if (!g.initialized)
    return mproc__fail(MPROC_ENOTINIT, "mproc_set_executable: call mproc_init() first");
  if (path) {
    copy = mproc__strdup(path);
    if (!copy)
      return mproc__fail(MPROC_ENOMEM, "mproc_set_executable: out of memory");
  } else {
    st = mproc__exe_path(&copy);
    if (st != MPROC_OK)
      return st;
  }
  mproc__lock();
  free(g.executable);
  g.executable = copy;
  mproc__unlock();
  return MPROC_OK;
}

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

static void at_exit(void) {
  mproc__children_at_exit();
  mproc__objects_at_exit();
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
  while (mproc__chan_read(&g.parent_chan, buf, sizeof buf, &got) == MPROC_OK && got)
    ;
  mproc__exit_now(EXIT_ORPHANED);
  return NULL;
}

/* Unpacks START: [function, name, identity, daemon, parent pid, encoded args]. */
static mproc_status decode_start(const uint8_t *payload, size_t len, const mproc_function **fn,
                                 mproc_args **args, mproc_args **start) {
  const char *function, *name, *identity;
  const void *argbuf;
  size_t arglen;
  int daemon;
  int64_t ppid;
  mproc_status st = mproc__args_decode(payload, len, start);
  if (st != MPROC_OK)
    return st;
  if (mproc_args_get_str(*start, 0, &function) || mproc_args_get_str(*start, 1, &name) ||
      mproc_args_get_str(*start, 2, &identity) || mproc_args_get_bool(*start, 3, &daemon) ||
      mproc_args_get_i64(*start, 4, &ppid) || mproc_args_get_bytes(*start, 5, &argbuf, &arglen))
    return mproc__fail(MPROC_EPROTO, "START frame: wrong fields: %s", mproc_last_error());
  *fn = strcmp(function, MPROC__WORKER_FN) == 0 ? NULL : mproc__registry_find(function);
  if (!*fn && strcmp(function, MPROC__WORKER_FN) != 0)
    return mproc__fail(MPROC_ENOFUNC, "function \"%s\" is not in this program's registry",
                       function);
  st = mproc__args_decode(argbuf, arglen, args);
  if (st != MPROC_OK)
    return st;
  mproc__self_set(name, identity, daemon, ppid);
  return MPROC_OK;
}

static void child_main(const char *marker) {
  const mproc_function *fn;
  mproc_args *args = NULL, *start = NULL;
  uint8_t *payload = NULL;
  size_t len;
  uint16_t type;
  apr_thread_t *thread;
  char *end;
  long version = strtol(marker, &end, 10);
  int rc;

  if (version != MPROC_PROTOCOL_VERSION || *end != ':') {
    mproc__fail(MPROC_EPROTO, "parent speaks protocol %ld, this program %d", version,
                MPROC_PROTOCOL_VERSION);
    die("bootstrap");
  }
  if (mproc__chan_attach(&g.parent_chan, end + 1) != MPROC_OK)
    die("attaching to the parent's channel");
  if (mproc__frame_recv(&g.parent_chan, &type, &payload, &len) != MPROC_OK)
    die("reading the START message");
  if (type != MPROC__FRAME_START) {
    mproc__fail(MPROC_EPROTO, "expected a START frame, got type %u", (unsigned)type);
    die("bootstrap");
  }
  if (decode_start(payload, len, &fn, &args, &start) != MPROC_OK)
    die("decoding the START message");
  free(payload);
  mproc_args_destroy(start);
  if (!fn)
    mproc__worker_main(&g.parent_chan, args); /* it watches for the parent's end itself */
  if (apr_thread_create(&thread, NULL, watchdog, NULL, g.pool) != APR_SUCCESS) {
    mproc__fail(MPROC_ENOMEM, "cannot start the watchdog thread");
    die("bootstrap");
  }
  rc = fn->fn(args, NULL);
  mproc_args_destroy(args);
  exit(rc == 0 ? 0 : 1);
}

void mproc__self_set(const char *name, const char *identity, int daemon, int64_t parent_pid) {
  free(g.name);
  free(g.identity);
  g.name = mproc__strdup(name);
  g.identity = mproc__strdup(identity);
  g.daemon = daemon;
  g.parent_pid = parent_pid;
}

mproc_status mproc_init(int *argc, char ***argv, const mproc_function *registry) {
  apr_status_t ast;
  mproc_status st;
  int child;
  if (!argc || !argv || !*argv || !registry)
    return mproc__fail(MPROC_EINVAL, "mproc_init: NULL argument");
  st = check_registry(registry);
  if (st != MPROC_OK)
    return st;
  if (g.initialized)
    return mproc__fail(MPROC_ESTATE, "mproc_init: already called");
  ast = apr_initialize();
  if (ast == APR_SUCCESS)
    ast = apr_pool_create(&g.pool, NULL);
  if (ast == APR_SUCCESS)
    ast = apr_thread_mutex_create(&g.lock, APR_THREAD_MUTEX_DEFAULT, g.pool);
  if (ast != APR_SUCCESS)
    return mproc__fail(ast, "mproc_init: APR failed to start");
  child =
      *argc >= 2 && strncmp((*argv)[1], MPROC__MARKER_PREFIX, strlen(MPROC__MARKER_PREFIX)) == 0;
  /* A child looks its executable up only if it starts processes itself
   * (mproc__executable): in a new process, resolving /proc/self/exe costs
   * ~40 us of its start-up. */
  if (!child && (st = mproc__exe_path(&g.executable)) != MPROC_OK)
    return st;
  g.registry = registry;
  g.initialized = 1;
  mproc__stdio_line_buffered();
  /* Children of this process are terminated (daemons) or joined at exit, as
   * Python does; APR is deliberately not terminated at exit because user
   * threads may still be running. */
  atexit(at_exit);
  if (child)
    child_main((*argv)[1] + strlen(MPROC__MARKER_PREFIX));
  /* A main process cleans up after earlier runs that were killed. */
  mproc__sweep(0);
  return MPROC_OK;
}
