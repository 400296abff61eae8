/*
 * Switches for the pool's fast paths: MPROC_POOL_DISABLE names the ones a
 * process must not use, as a comma-separated list of pipeline, mbox, lanes,
 * spin, or all. Each fast path only makes a slow path faster, so turning one
 * off changes no result: it lets a user rule a mechanism in or out of a bug,
 * and CI keeps the slow paths tested. A pool reads it when it is created, a
 * worker when it starts (it inherits the parent's environment).
 */
#include <stdlib.h>
#include <string.h>

#include <apr_env.h>
#include <apr_pools.h>

#include "pool/pool.h"

static const struct {
  const char *name;
  unsigned bit;
} paths[] = {{"pipeline", MPROC__FAST_PIPELINE},
             {"mbox", MPROC__FAST_MBOX},
             {"lanes", MPROC__FAST_LANES},
             {"spin", MPROC__FAST_SPIN},
             {"all", MPROC__FAST_ALL}};

/* The bit of the entry [s, s + n), 0 when it names no fast path. */
static unsigned lookup(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
    if (strlen(paths[i].name) == n && strncmp(paths[i].name, s, n) == 0)
      return paths[i].bit;
  return 0;
}

/* The variable as the OS holds it: APR reads Windows' own environment, which
 * children inherit and SetEnvironmentVariable changes, where getenv() reads
 * the C runtime's copy of it. */
mproc_status mproc__fast_paths(unsigned *on) {
  apr_pool_t *tmp = NULL;
  char *s = NULL;
  mproc_status st = MPROC_OK;
  *on = MPROC__FAST_ALL;
  if (apr_pool_create(&tmp, NULL) != APR_SUCCESS)
    return mproc__fail(MPROC_ENOMEM, "MPROC_POOL_DISABLE: out of memory");
  if (apr_env_get(&s, "MPROC_POOL_DISABLE", tmp) != APR_SUCCESS)
    s = NULL;
  while (s && *s && st == MPROC_OK) {
    size_t n = strcspn(s, ", ");
    unsigned bit = lookup(s, n);
    if (n && !bit)
      st = mproc__fail(MPROC_EINVAL,
                       "MPROC_POOL_DISABLE: \"%.*s\" is no fast path "
                       "(pipeline, mbox, lanes, spin, all)",
                       (int)n, s);
    *on &= ~bit;
    s += n;
    s += strspn(s, ", ");
  }
  if (st != MPROC_OK)
    *on = MPROC__FAST_ALL;
  apr_pool_destroy(tmp);
  return st;
}
