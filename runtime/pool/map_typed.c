/*
 * Typed bulk maps (mproc_pool_map_i64/f64): a C array in, a C array out,
 * for the common numeric case that would otherwise build an argument list
 * and read results back by index. Each call gets [x] and returns [y]; the
 * map itself is mproc_pool_map()'s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool/pool.h"
#include "wire/args.h"

typedef enum { AS_I64, AS_F64 } as_kind;

/* The items list: [x0, x1, ...] of @in. */
static mproc_status items_of(const void *in, size_t n, as_kind kind, mproc_args **items,
                             const char *fn) {
  mproc_status st = mproc_args_create(items);
  size_t i;
  if (st == MPROC_OK)
    st = mproc__args_reserve(*items, n);
  for (i = 0; i < n && st == MPROC_OK; i++)
    st = kind == AS_I64 ? mproc_args_add_i64(*items, ((const int64_t *)in)[i])
                        : mproc_args_add_f64(*items, ((const double *)in)[i]);
  if (st != MPROC_OK) {
    mproc_args_destroy(*items);
    *items = NULL;
    return mproc__fail(st, "%s: the items: %s", fn, mproc_last_error());
  }
  return MPROC_OK;
}

/* out[i] from result i, which must be a number of @kind: MPROC_ETYPE
 * otherwise (out[i] 0). */
static mproc_status take_result(const mproc_args *results, size_t i, as_kind kind, void *out) {
  if (kind == AS_I64) {
    int64_t *o = (int64_t *)out + i;
    *o = 0;
    return mproc_args_get_i64(results, i, o);
  } else {
    double *o = (double *)out + i;
    *o = 0;
    return mproc_args_get_f64(results, i, o);
  }
}

/* The results into @out, item by item; MPROC_OK, the map's own failure
 * @st, or MPROC_ETYPE for a result of another type (its status updated). */
static mproc_status gather(const mproc_args *results, size_t n, as_kind kind, void *out,
                           mproc_status *statuses, mproc_status st, const char *fn) {
  char detail[512]; /* the map's: reading a failed item's result would replace it */
  size_t i, bad = SIZE_MAX;
  snprintf(detail, sizeof detail, "%s", mproc_last_error());
  for (i = 0; i < n; i++) {
    mproc_status item = statuses[i];
    /* a failed item's result is a NONE: take_result() zeroes out[i] */
    if (take_result(results, i, kind, out) != MPROC_OK && item == MPROC_OK) {
      statuses[i] = MPROC_ETYPE;
      bad = bad == SIZE_MAX ? i : bad;
    }
  }
  if (st == MPROC_OK && bad != SIZE_MAX)
    return mproc__fail(MPROC_ETYPE, "%s: item %zu did not return one %s", fn, bad,
                       kind == AS_I64 ? "int64" : "double");
  return st == MPROC_OK ? st : mproc__fail(st, "%s", detail);
}

static mproc_status map_typed(mproc_pool *p, const char *function, const void *in, size_t n,
                              const mproc_map_options *options, void *out, mproc_status *statuses,
                              as_kind kind, const char *fn) {
  mproc_args *items = NULL, *results = NULL;
  mproc_status *sts = statuses, st = MPROC_OK;
  size_t i, width = kind == AS_I64 ? sizeof(int64_t) : sizeof(double);
  if (n > MPROC_ARGS_MAX_COUNT) /* n itself refused: nothing of the arrays is touched */
    return mproc__fail(MPROC_ERANGE, "%s: %zu items (at most %u)", fn, n, MPROC_ARGS_MAX_COUNT);
  if ((!in || !out) && n)
    st = mproc__fail(MPROC_EINVAL, "%s: %s is NULL", fn, !in ? "in" : "out");
  else if (!sts && n && (sts = malloc(n * sizeof *sts)) == NULL)
    st = mproc__fail(MPROC_ENOMEM, "%s: out of memory", fn);
  else if ((st = items_of(in, n, kind, &items, fn)) == MPROC_OK) {
    st = mproc_pool_map(p, function, items, options, &results, sts);
    mproc_args_destroy(items);
  }
  if (results) {
    st = gather(results, n, kind, out, sts, st, fn);
    mproc_args_destroy(results);
  } else { /* refused as a whole: as mproc_pool_map(), every status says so */
    for (i = 0; statuses && i < n; i++)
      statuses[i] = st;
    if (out && n)
      memset(out, 0, n * width);
  }
  if (sts != statuses)
    free(sts);
  return st;
}

mproc_status mproc_pool_map_i64(mproc_pool *pool, const char *function, const int64_t *in, size_t n,
                                const mproc_map_options *options, int64_t *out,
                                mproc_status *statuses) {
  return map_typed(pool, function, in, n, options, out, statuses, AS_I64, "mproc_pool_map_i64");
}

mproc_status mproc_pool_map_f64(mproc_pool *pool, const char *function, const double *in, size_t n,
                                const mproc_map_options *options, double *out,
                                mproc_status *statuses) {
  return map_typed(pool, function, in, n, options, out, statuses, AS_F64, "mproc_pool_map_f64");
}
