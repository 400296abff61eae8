/*
 * A pool backend chosen at launch (mproc/backend.h's plugins): the
 * program's command line (--mproc-backend=NAME) or environment
 * (MPROC_BACKEND=NAME) names it, mproc_init() starts it, and
 * mproc_pool_create() then creates its pools on it, so that a program runs
 * on a cluster with no change to its code.
 *
 * A plugin is found among those the program registered, else in the module
 * mproc_NAME (the platform's shared-library name for it), loaded from
 * $MPROC_PLUGIN_PATH, the loader's own search, then the install's library
 * folder. A module links the shared runtime: its plugin's core must be this
 * runtime's mproc_init, or two runtimes would run side by side.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_dso.h>

#include "core/core.h"
#include "mproc/backend.h"
#include "pool/pool.h"

/* The build gives the platform's names (CMake's); these only serve
 * compile checks that do not. */
#ifndef MPROC__MODULE_PREFIX
#define MPROC__MODULE_PREFIX "lib"
#endif
#ifndef MPROC__MODULE_SUFFIX
#define MPROC__MODULE_SUFFIX ".so"
#endif
#ifndef MPROC__MODULE_DIR
#define MPROC__MODULE_DIR ""
#endif

#define OPTION "--mproc-backend="
enum { MAX_PLUGINS = 8, NAME_MAX_LEN = 32 };

static const mproc_backend_plugin *registered[MAX_PLUGINS];
static int n_registered;
static const mproc_backend_plugin *selected; /* set by mproc_init(), then read only */

static int name_ok(const char *name) {
  size_t i, n = strlen(name);
  for (i = 0; i < n; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
          name[i] == '_'))
      return 0;
  return n > 0 && n <= NAME_MAX_LEN;
}

mproc_status mproc_backend_register(const mproc_backend_plugin *plugin) {
  size_t i;
  int k;
  if (!plugin || !plugin->name || !plugin->core || !plugin->init || !plugin->pool_create)
    return mproc__fail(MPROC_EINVAL, "mproc_backend_register: %s is NULL",
                       !plugin         ? "plugin"
                       : !plugin->name ? "plugin->name"
                       : !plugin->core ? "plugin->core"
                       : !plugin->init ? "plugin->init"
                                       : "plugin->pool_create");
  if (!name_ok(plugin->name))
    return mproc__fail(MPROC_EINVAL,
                       "mproc_backend_register: name \"%s\": 1 to %d of a-z, 0-9 and _",
                       plugin->name, NAME_MAX_LEN);
  for (i = 0; i < sizeof plugin->reserved / sizeof plugin->reserved[0]; i++)
    if (plugin->reserved[i])
      return mproc__fail(MPROC_EINVAL, "mproc_backend_register: reserved[%zu] is set", i);
  if (mproc__is_initialized()) /* (so, one thread: nothing else runs yet) */
    return mproc__fail(MPROC_ESTATE, "mproc_backend_register: call it before mproc_init()");
  for (k = 0; k < n_registered && strcmp(registered[k]->name, plugin->name) != 0; k++)
    ;
  if (k < MAX_PLUGINS) /* (the same name again: the later one) */
    registered[k] = plugin;
  n_registered += k == n_registered && k < MAX_PLUGINS;
  return k < MAX_PLUGINS
             ? MPROC_OK
             : mproc__fail(MPROC_ERANGE, "mproc_backend_register: over %d plugins", MAX_PLUGINS);
}

/* The backend the launch names: --mproc-backend=NAME, taken out of argv,
 * else $MPROC_BACKEND; NULL for none. */
static const char *launch_choice(int *argc, char ***argv) {
  const char *name = NULL;
  int i, j;
  for (i = 1; i < *argc && !name; i++)
    if (strncmp((*argv)[i], OPTION, strlen(OPTION)) == 0) {
      name = (*argv)[i] + strlen(OPTION);
      for (j = i; j < *argc; j++) /* (argv[argc] is NULL: it moves too) */
        (*argv)[j] = (*argv)[j + 1];
      (*argc)--;
    }
  return name ? name : getenv("MPROC_BACKEND");
}

/* Loads module mproc_@name from @dir ("" for the loader's search): 1
 * loaded, 0 no such module there, -1 one without the plugin; @why says why. */
static int load_from(const char *dir, const char *name, const mproc_backend_plugin **plugin,
                     char *why, size_t why_len) {
  char path[1024], sym_name[64], err[256];
  apr_dso_handle_t *dso = NULL;
  apr_dso_handle_sym_t sym = NULL;
  const mproc_backend_plugin *(*get)(void);
  apr_status_t rv;
  snprintf(path, sizeof path, "%s%s%smproc_%s%s", dir, dir[0] ? "/" : "", MPROC__MODULE_PREFIX,
           name, MPROC__MODULE_SUFFIX);
  snprintf(sym_name, sizeof sym_name, "mproc_%s_plugin", name);
  if ((rv = apr_dso_load(&dso, path, mproc__apr_pool())) != APR_SUCCESS) {
    snprintf(why, why_len, "%.300s: %.200s", path, apr_dso_error(dso, err, sizeof err));
    return 0;
  }
  if ((rv = apr_dso_sym(&sym, dso, sym_name)) != APR_SUCCESS) {
    snprintf(why, why_len, "%.300s has no %.40s(): %.100s", path, sym_name,
             apr_dso_error(dso, err, sizeof err));
    apr_dso_unload(dso);
    return -1;
  }
  memcpy(&get, &sym, sizeof get); /* (a symbol's address as the function it is) */
  *plugin = get();
  return 1; /* (the module stays loaded: the plugin lives in it) */
}

/* Loads the plugin @name from its module, trying each folder in turn. */
static mproc_status load(const char *name, const mproc_backend_plugin **plugin) {
  const char *dirs[3];
  char why[3][512];
  int i, n = 0, got;
  if (getenv("MPROC_PLUGIN_PATH"))
    dirs[n++] = getenv("MPROC_PLUGIN_PATH");
  dirs[n++] = "";
  if (MPROC__MODULE_DIR[0])
    dirs[n++] = MPROC__MODULE_DIR;
  for (i = 0; i < n; i++)
    if ((got = load_from(dirs[i], name, plugin, why[i], sizeof why[i])) != 0)
      return got > 0 ? MPROC_OK
                     : mproc__fail(MPROC_EPROTO, "mproc_init: backend \"%s\": %s", name, why[i]);
  return mproc__fail(MPROC_ENOFUNC,
                     "mproc_init: backend \"%s\" is neither registered nor loadable (%s%s%s; "
                     "MPROC_PLUGIN_PATH names a folder to look in)",
                     name, why[0], n > 1 ? "; " : "", n > 1 ? why[n - 1] : "");
}

mproc_status mproc__plugin_start(int *argc, char ***argv, mproc_backend_core core) {
  const char *name = launch_choice(argc, argv);
  const mproc_backend_plugin *p = NULL;
  mproc_status st;
  int k;
  if (!name || !name[0] || strcmp(name, "local") == 0) /* (an empty MPROC_BACKEND: unset) */
    return MPROC_OK;
  if (!name_ok(name))
    return mproc__fail(MPROC_EINVAL, "mproc_init: backend \"%s\": 1 to %d of a-z, 0-9 and _", name,
                       NAME_MAX_LEN);
  for (k = 0; k < n_registered && !p; k++)
    if (strcmp(registered[k]->name, name) == 0)
      p = registered[k];
  if (!p && (st = load(name, &p)) != MPROC_OK)
    return st;
  if (!p || p->core != core || strcmp(p->name, name) != 0 || !p->init || !p->pool_create)
    return mproc__fail(MPROC_ENOTSUP,
                       "mproc_init: backend \"%s\" was built for another mproc runtime than this "
                       "program's (one linked statically?): link mproc as a shared library, or "
                       "use the backend's own API",
                       name);
  selected = p;
  return p->init(argc, argv);
}

const mproc_backend_plugin *mproc__plugin_selected(void) { return selected; }
