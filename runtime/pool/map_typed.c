/*
 * Typed bulk maps (mproc_pool_map_i64/f64): a C array in, a C array out,
 * for the common numeric case that would otherwise build an argument list
 * and read results back by index. Each call gets [x] and returns [y]; the
 * map itself is mproc_pool_map()'s, its chunks encoded straight from @in.
 */
#include <string.h>

#include "pool/pool.h"
#include "wire/args.h"

/* The results into @out, read in place (a map's results are a million
 * values: no call per value); MPROC_OK, the map's own failure @st, or
 * MPROC_ETYPE for a result that is not one number of @type (its status
 * updated). A failed item's result is a NONE: its out[i] is 0. */
static mproc_status gather(const mproc_args *results, size_t n, mproc_type type, void *out,
                           mproc_status *statuses, mproc_status st, const char *fn) {
  size_t i, bad = SIZE_MAX;
  for (i = 0; i < n; i++) {
    const mproc__item *it = i < results->count ? &results->items[i] : NULL;
    uint8_t *o = (uint8_t *)out + 8 * i; /* int64_t and double: 8 bytes */
    if (it && it->type == type) {
      memcpy(o, &it->v, 8);
      continue;
    }
    memset(o, 0, 8);
    if (statuses && statuses[i] == MPROC_OK)
      statuses[i] = MPROC_ETYPE;
    /* without statuses, a failed item is told from a wrong type by @st:
     * a map that succeeded has no failed item */
    if ((statuses ? statuses[i] == MPROC_ETYPE : st == MPROC_OK) && bad == SIZE_MAX)
      bad = i;
  }
  if (st == MPROC_OK && bad != SIZE_MAX)
    return mproc__fail(MPROC_ETYPE, "%s: item %zu did not return one %s", fn, bad,
                       type == MPROC_TYPE_I64 ? "int64" : "double");
  return st;
}

static mproc_status map_typed(mproc_pool *p, const char *function, const void *in, size_t n,
                              const mproc_map_options *options, void *out, mproc_status *statuses,
                              mproc_type type, const char *fn) {
  mproc_args *results = NULL;
  mproc_status st;
  size_t i;
  if (n > MPROC_ARGS_MAX_COUNT) /* n itself refused: nothing of the arrays is touched */
    return mproc__fail(MPROC_ERANGE, "%s: %zu items (at most %u)", fn, n, MPROC_ARGS_MAX_COUNT);
  if ((!in || !out) && n)
    st = mproc__fail(MPROC_EINVAL, "%s: %s is NULL", fn, !in ? "in" : "out");
  else
    st = mproc__pool_map_numbers(p, function, type, in, n, options, &results, statuses, fn);
  if (results) {
    st = gather(results, n, type, out, statuses, st, fn);
    mproc_args_destroy(results);
  } else { /* refused as a whole: as mproc_pool_map(), every status says so */
    for (i = 0; statuses && i < n; i++)
      statuses[i] = st;
    if (out && n)
      memset(out, 0, n * 8);
  }
  return st;
}

mproc_status mproc_pool_map_i64(mproc_pool *pool, const char *function, const int64_t *in, size_t n,
                                const mproc_map_options *options, int64_t *out,
                                mproc_status *statuses) {
  return map_typed(pool, function, in, n, options, out, statuses, MPROC_TYPE_I64,
                   "mproc_pool_map_i64");
}

mproc_status mproc_pool_map_f64(mproc_pool *pool, const char *function, const double *in, size_t n,
                                const mproc_map_options *options, double *out,
                                mproc_status *statuses) {
  return map_typed(pool, function, in, n, options, out, statuses, MPROC_TYPE_F64,
                   "mproc_pool_map_f64");
}
