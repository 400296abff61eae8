/*
 * What crosses to a backend's hosts (mproc/backend.h): the shared objects
 * in a pool's initargs, which name memory of the pool's machine.
 *
 * Both sides walk the arguments in one order, depth-first and in index
 * order, nested lists included: the parent's backend visits every object
 * (mproc_backend_objects()) to refuse what cannot cross and to mirror the
 * Events (and, through its objects hook, those of each task queued), and the host rebuilds a
 * START's initargs with its stand-in for each Event (mproc__host_initargs()). The Events are
 * numbered in that order on both sides, which is how the two name one Event to each other.
 */
#include <stdio.h>
#include <string.h>

#include "mproc/backend.h"
#include "pool/pool.h"
#include "wire/args.h"

/* Each kind's name, as the API names the object. */
static const char *kind_name(uint8_t kind) {
  static const char *const names[MPROC__KIND_END] = {
      [MPROC__KIND_SHM] = "SharedMemory", [MPROC__KIND_ARRAY] = "Array",
      [MPROC__KIND_EVENT] = "Event",      [MPROC__KIND_LOCK] = "Lock",
      [MPROC__KIND_RLOCK] = "RLock",      [MPROC__KIND_SEM] = "Semaphore",
      [MPROC__KIND_COND] = "Condition",   [MPROC__KIND_BARRIER] = "Barrier",
      [MPROC__KIND_QUEUE] = "Queue",      [MPROC__KIND_CONN] = "Connection"};
  return kind < MPROC__KIND_END && names[kind] ? names[kind] : "object";
}

/* Visits the objects in values [at, at + n) of @a (and in their lists). */
static mproc_status visit_list(const mproc_args *a, size_t at, size_t n, const char *path,
                               mproc_backend_visit visit, void *state) {
  char inner[128];
  size_t i;
  mproc_status st = MPROC_OK;
  if (!a->buffers) /* (numbers only: no object, no list) */
    return MPROC_OK;
  for (i = at; st == MPROC_OK && i < a->count && i < at + n; i++) {
    const mproc__item *it = &a->items[i];
    snprintf(inner, sizeof inner, "%s[%zu]", path, i);
    if (it->type == MPROC_TYPE_OBJECT)
      st = visit(state, a, i, kind_name(it->kind), inner);
    else if (it->type == MPROC_TYPE_LIST)
      st = visit_list(it->v.list, 0, it->v.list->count, inner, visit, state);
  }
  return st;
}

mproc_status mproc_backend_objects(const mproc_args *args, const char *path,
                                   mproc_backend_visit visit, void *state) {
  if (!args || !path || !visit)
    return mproc__fail(MPROC_EINVAL, "mproc_backend_objects: %s is NULL",
                       !args   ? "args"
                       : !path ? "path"
                               : "visit");
  return visit_list(args, 0, args->count, path, visit, state);
}

mproc_status mproc__task_objects(const mproc_backend *b, void *state, const mproc_args *body,
                                 size_t at, size_t n, const char *path) {
  return b && b->objects && body ? visit_list(body, at, n, path, b->objects, state) : MPROC_OK;
}

/* Appends to @out the values of @in, each Event replaced by the host's
 * stand-in (@events counts them, in the walk's order). */
static mproc_status rebuild(const mproc_args *in, mproc_args *out,
                            const mproc_host_options *options, size_t *events) {
  size_t i;
  mproc_status st = MPROC_OK;
  for (i = 0; st == MPROC_OK && i < in->count; i++) {
    const mproc__item *it = &in->items[i];
    mproc_args *list = NULL;
    mproc_event *local = NULL;
    if (it->type == MPROC_TYPE_LIST) {
      if ((st = mproc_args_create(&list)) == MPROC_OK &&
          (st = rebuild(it->v.list, list, options, events)) == MPROC_OK)
        st = mproc_args_add_list(out, list);
      if (list)
        mproc_args_destroy(list);
    } else if (it->type == MPROC_TYPE_OBJECT && it->kind == MPROC__KIND_EVENT) {
      if ((st = options->event(options->state, (*events)++, (const char *)it->v.data, &local)) ==
          MPROC_OK)
        st = mproc_args_add_event(out, local);
    } else {
      st = mproc__args_append(out, in, i, 1);
    }
  }
  return st;
}

mproc_status mproc__host_initargs(const uint8_t *buf, size_t len, const mproc_host_options *options,
                                  uint8_t **out, size_t *out_len) {
  mproc_args *in = NULL, *args = NULL;
  size_t events = 0;
  mproc_status st = mproc__args_decode(buf, len, &in);
  if (st == MPROC_OK && (st = mproc_args_create(&args)) == MPROC_OK &&
      (st = rebuild(in, args, options, &events)) == MPROC_OK)
    st = mproc__args_encode(args, out, out_len);
  if (args)
    mproc_args_destroy(args);
  if (in)
    mproc_args_destroy(in);
  return st;
}
