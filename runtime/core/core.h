/*
 * Process-wide state (core/state.c): above the platform layer, below
 * everything that needs to know which process this is.
 */
#ifndef MPROC_CORE_H
#define MPROC_CORE_H

#include "mproc.h"
#include "platform.h"

/* Starts APR and the global lock and records @registry; a @child skips the
 * executable's lookup until it needs it. Called once, by mproc_init(). */
mproc_status mproc__core_start(const mproc_function *registry, int child);
int mproc__is_initialized(void);
const mproc_function *mproc__registry_find(const char *name);
/* The executable children are spawned from; owned by the runtime. A child
 * process looks it up on first use: *exe, or the lookup's failure. */
mproc_status mproc__executable_get(const char **exe);
/* The same, NULL if the lookup failed. */
const char *mproc__executable(void);
/* This process's identity ("" in the main process, "1:2" in a grandchild). */
const char *mproc__self_identity(void);
void mproc__self_set(const char *name, const char *identity, int daemon, int64_t parent_pid);

/* The one process-wide mutex: children list, executable path, object registry. */
void mproc__lock(void);
void mproc__unlock(void);

/* Frees @p (malloc'ed) later: the last MPROC__QUARANTINE handles released
 * are kept, so that a use soon after destroy reads a dead handle's magic (a
 * clean MPROC_ECLOSED) instead of freed memory. NULL: nothing. */
#define MPROC__QUARANTINE 256
void mproc__quarantine(void *p);

/* The process-wide APR pool (threads, mutexes and conditions hang off it). */
struct apr_pool_t;
struct apr_pool_t *mproc__apr_pool(void);

#endif /* MPROC_CORE_H */
