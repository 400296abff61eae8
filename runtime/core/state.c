/*
 * Process-wide state: the registry of functions, this process's identity, the
 * executable children are spawned from, the APR pool and the one global lock.
 * Everything here is set once by mproc_init() (bootstrap.c) through
 * mproc__core_start() and read by the layers above.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_thread_mutex.h>

#include "core/core.h"

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
} g;

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

mproc_status mproc__core_start(const mproc_function *registry, int child) {
  apr_status_t ast = apr_initialize();
  mproc_status st;
  if (ast == APR_SUCCESS)
    ast = apr_pool_create(&g.pool, NULL);
  if (ast == APR_SUCCESS)
    ast = apr_thread_mutex_create(&g.lock, APR_THREAD_MUTEX_DEFAULT, g.pool);
  if (ast != APR_SUCCESS)
    return mproc__fail(ast, "mproc_init: APR failed to start");
  /* A child looks its executable up only if it starts processes itself
   * (mproc__executable): in a new process, resolving /proc/self/exe costs
   * ~40 us of its start-up. */
  if (!child && (st = mproc__exe_path(&g.executable)) != MPROC_OK)
    return st;
  g.registry = registry;
  g.initialized = 1;
  return MPROC_OK;
}

void mproc__self_set(const char *name, const char *identity, int daemon, int64_t parent_pid) {
  free(g.name);
  free(g.identity);
  g.name = mproc__strdup(name);
  g.identity = mproc__strdup(identity);
  g.daemon = daemon;
  g.parent_pid = parent_pid;
}

void mproc__quarantine(void *p) {
  static void *kept[MPROC__QUARANTINE];
  static unsigned next;
  void *old;
  if (!p)
    return;
  mproc__lock();
  old = kept[next];
  kept[next] = p;
  next = (next + 1) % MPROC__QUARANTINE;
  mproc__unlock();
  free(old);
}
