/*
 * Typed argument lists (the encoding is args_codec.c's).
 */
#include <stdlib.h>
#include <string.h>

#include "wire/args.h"

typedef mproc__item item;

/* Whether a value owns memory: a buffer, or (LIST) a nested list. */
static int owns_buffer(mproc_type t) {
  return (t >= MPROC_TYPE_STR && t <= MPROC_TYPE_OBJECT) || t == MPROC_TYPE_LIST;
}

/* Frees what @it owns (see owns_buffer()). A nested list is destroyed in
 * turn: the recursion is at most MPROC_ARGS_MAX_DEPTH deep, since no list
 * nests deeper (mproc__args_push_list() and the decoder refuse it). */
static void release(item *it) {
  if (it->type == MPROC_TYPE_LIST)
    mproc_args_destroy(it->v.list);
  else
    free(it->v.data);
}

mproc_status mproc_args_create(mproc_args **args) {
  mproc_args *a = NULL;
  if (!args)
    return mproc__fail(MPROC_EINVAL, "mproc_args_create: args is NULL");
  a = calloc(1, sizeof *a);
  if (!a)
    return mproc__fail(MPROC_ENOMEM, "mproc_args_create: out of memory");
  a->encoded_size = MPROC__ARGS_HEADER;
  *args = a;
  return MPROC_OK;
}

/* ---- objects opened from the list (mproc_args_get_<kind>()) ---- */

typedef struct cache_entry {
  size_t index;
  void *handle;
  void (*release)(void *handle);
} cache_entry;

struct mproc__args_cache {
  size_t n, cap;
  cache_entry *e;
};

void *mproc__args_cached(const mproc_args *a, size_t index) {
  size_t i;
  for (i = 0; a->cache && i < a->cache->n; i++)
    if (a->cache->e[i].index == index)
      return a->cache->e[i].handle;
  return NULL;
}

/* The cache is the list's side table, not its value: a getter of a const
 * list fills it (every list is a heap object, never a const one). */
mproc_status mproc__args_cache_put(const mproc_args *a, size_t index, void *handle,
                                   void (*close_fn)(void *handle)) {
  mproc_args *w = (mproc_args *)(uintptr_t)a;
  struct mproc__args_cache *c = w->cache;
  if (!c && (c = w->cache = calloc(1, sizeof *c)) == NULL)
    return mproc__fail(MPROC_ENOMEM, "out of memory for an opened object's entry");
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 4;
    cache_entry *e = realloc(c->e, cap * sizeof *e);
    if (!e)
      return mproc__fail(MPROC_ENOMEM, "out of memory for an opened object's entry");
    c->e = e;
    c->cap = cap;
  }
  c->e[c->n].index = index;
  c->e[c->n].release = close_fn;
  c->e[c->n++].handle = handle;
  return MPROC_OK;
}

/* Releases every object opened from @a: its values change or go. */
static void drop_cache(mproc_args *a) {
  size_t i;
  if (!a->cache)
    return;
  for (i = 0; i < a->cache->n; i++)
    a->cache->e[i].release(a->cache->e[i].handle);
  free(a->cache->e);
  free(a->cache);
  a->cache = NULL;
}

mproc_status mproc_args_destroy(mproc_args *args) {
  size_t i;
  if (!args)
    return mproc__fail(MPROC_EINVAL, "mproc_args_destroy: args is NULL");
  drop_cache(args);
  for (i = 0; args->buffers && i < args->count; i++)
    if (owns_buffer(args->items[i].type))
      release(&args->items[i]);
  if (!args->view)
    free(args->items);
  free(args);
  return MPROC_OK;
}

/* Room for @n more values (a decoder knows how many are coming). */
static mproc_status reserve(mproc_args *a, size_t n, const char *fn) {
  size_t cap = a->capacity ? a->capacity : 8;
  item *grown;
  if (a->count + n <= a->capacity)
    return MPROC_OK;
  if (a->view)
    return mproc__fail(MPROC_ERANGE, "%s: a view of %zu values is full", fn, a->capacity);
  while (cap < a->count + n)
    cap *= 2;
  if ((grown = realloc(a->items, cap * sizeof *grown)) == NULL)
    return mproc__fail(MPROC_ENOMEM, "%s: out of memory", fn);
  a->items = grown;
  a->capacity = cap;
  return MPROC_OK;
}

mproc_status mproc__args_view(mproc_args *of, size_t at, size_t n, mproc_args **view) {
  mproc_status st;
  if (n == 0 || at > of->capacity || n > of->capacity - at || of->view)
    return mproc__fail(MPROC_ERANGE, "a view of %zu values at %zu: the list has room for %zu", n,
                       at, of->capacity);
  if ((st = mproc_args_create(view)) != MPROC_OK)
    return st;
  (*view)->items = of->items + at;
  (*view)->capacity = n;
  (*view)->view = 1;
  return MPROC_OK;
}

int mproc__args_view_next(const mproc_args *a, const mproc_args *view) {
  return view->view && view->items == a->items + a->count;
}

mproc_status mproc__args_adopt(mproc_args *a, mproc_args *view) {
  size_t size = view->encoded_size - MPROC__ARGS_HEADER;
  if (!mproc__args_view_next(a, view) || view->count > a->capacity - a->count)
    return mproc__fail(MPROC_EINVAL, "adopting values: not a view of the list's next values");
  if (size > MPROC_ARGS_MAX_SIZE - a->encoded_size)
    return mproc__fail(MPROC_ERANGE, "results: encoding would exceed %u bytes",
                       MPROC_ARGS_MAX_SIZE);
  a->count += view->count;
  a->encoded_size += size;
  a->buffers += view->buffers;
  view->count = 0; /* they are @a's now */
  view->buffers = 0;
  view->encoded_size = MPROC__ARGS_HEADER;
  view->capacity = 0;
  return MPROC_OK;
}

mproc_status mproc__args_reserve(mproc_args *a, size_t n) {
  if (n > MPROC_ARGS_MAX_COUNT - a->count)
    n = MPROC_ARGS_MAX_COUNT - a->count; /* a hint: the limits are push's to enforce */
  return reserve(a, n, "reserving values");
}

/* mproc__args_push(), inline here: a scalar's adder (a task's result, often)
 * then pushes a value whose type it knows, with nothing read back. */
static inline mproc_status push_item(mproc_args *a, const item *it, const char *fn) {
  size_t size = mproc__item_size(it);
  item *dst;
  mproc_status st;
  if (a->count >= MPROC_ARGS_MAX_COUNT)
    return mproc__fail(MPROC_ERANGE, "%s: more than %u values", fn, MPROC_ARGS_MAX_COUNT);
  if (size > MPROC_ARGS_MAX_SIZE - a->encoded_size)
    return mproc__fail(MPROC_ERANGE, "%s: encoding would exceed %u bytes", fn, MPROC_ARGS_MAX_SIZE);
  if (a->count == a->capacity && (st = reserve(a, 1, fn)) != MPROC_OK)
    return st;
  dst = &a->items[a->count++];
  /* Field by field: the caller built @it in parts, and reading it back as
   * one 16-byte block stalls on store forwarding. */
  dst->type = it->type;
  dst->kind = it->kind;
  dst->len = it->len;
  dst->v = it->v;
  a->encoded_size += size;
  a->buffers += owns_buffer(it->type);
  return MPROC_OK;
}

mproc_status mproc__args_push(mproc_args *a, const item *it, const char *fn) {
  return push_item(a, it, fn);
}

/* Copies @size bytes into a new NUL-terminated buffer and appends it as
 * @type; objects also carry their kind and segment size. */
mproc_status mproc__args_push_copy(mproc_args *a, mproc_type type, uint8_t kind, uint64_t objsize,
                                   const void *data, size_t size, const char *fn) {
  size_t extra = type == MPROC_TYPE_OBJECT ? sizeof objsize : 0;
  item it;
  mproc_status st;
  memset(&it, 0, sizeof it);
  it.type = (uint8_t)type;
  it.kind = kind;
  if (size > MPROC_ARGS_MAX_SIZE)
    return mproc__fail(MPROC_ERANGE, "%s: %zu bytes exceed %u", fn, size, MPROC_ARGS_MAX_SIZE);
  it.len = (uint32_t)size;
  if (size || extra) { /* an empty string or bytes allocates nothing: data stays NULL */
    it.v.data = malloc(size + 1 + extra);
    if (!it.v.data)
      return mproc__fail(MPROC_ENOMEM, "%s: out of memory", fn);
    if (size)
      memcpy(it.v.data, data, size);
    it.v.data[size] = 0;
    if (extra) /* after the name's NUL */
      memcpy(it.v.data + size + 1, &objsize, sizeof objsize);
  }
  st = mproc__args_push(a, &it, fn);
  if (st != MPROC_OK)
    free(it.v.data);
  return st;
}

uint64_t mproc__item_objsize(const item *it) {
  uint64_t size;
  memcpy(&size, it->v.data + it->len + 1, sizeof size);
  return size;
}

static mproc_status push_buf(mproc_args *a, mproc_type type, const void *data, size_t size,
                             const char *fn) {
  return mproc__args_push_copy(a, type, 0, 0, data, size, fn);
}

mproc_status mproc__args_add_object(mproc_args *args, uint8_t kind, const char *name, uint64_t size,
                                    const char *fn) {
  if (!args)
    return mproc__fail(MPROC_EINVAL, "%s: args is NULL", fn);
  return mproc__args_push_copy(args, MPROC_TYPE_OBJECT, kind, size, name, strlen(name), fn);
}

mproc_status mproc__args_get_object(const mproc_args *args, size_t index, uint8_t kind,
                                    const char **name, uint64_t *size, const char *fn) {
  const item *it;
  if (!args)
    return mproc__fail(MPROC_EINVAL, "%s: args is NULL", fn);
  if (index >= args->count)
    return mproc__fail(MPROC_ERANGE, "%s: index %zu, but the list has %zu values", fn, index,
                       args->count);
  it = &args->items[index];
  if (it->type != MPROC_TYPE_OBJECT || it->kind != kind)
    return mproc__fail(MPROC_ETYPE, "%s: value %zu is not an object of that kind", fn, index);
  *name = (const char *)it->v.data;
  *size = mproc__item_objsize(it);
  return MPROC_OK;
}

/* The scalar adds: one NULL check, one push. */
static mproc_status push_scalar(mproc_args *a, item *it, mproc_type type, const char *fn) {
  if (!a)
    return mproc__fail(MPROC_EINVAL, "%s: args is NULL", fn);
  it->type = (uint8_t)type;
  it->kind = 0;
  it->len = 0;
  return push_item(a, it, fn);
}

mproc_status mproc_args_add_i64(mproc_args *args, int64_t value) {
  item it;
  it.v.i64 = value;
  return push_scalar(args, &it, MPROC_TYPE_I64, "mproc_args_add_i64");
}

mproc_status mproc_args_add_f64(mproc_args *args, double value) {
  item it;
  it.v.f64 = value;
  return push_scalar(args, &it, MPROC_TYPE_F64, "mproc_args_add_f64");
}

mproc_status mproc_args_add_bool(mproc_args *args, int value) {
  item it;
  it.v.b = value != 0;
  return push_scalar(args, &it, MPROC_TYPE_BOOL, "mproc_args_add_bool");
}

mproc_status mproc_args_add_str(mproc_args *args, const char *value) {
  if (!args || !value)
    return mproc__fail(MPROC_EINVAL, "mproc_args_add_str: %s is NULL", args ? "value" : "args");
  return push_buf(args, MPROC_TYPE_STR, value, strlen(value), "mproc_args_add_str");
}

mproc_status mproc_args_add_bytes(mproc_args *args, const void *data, size_t size) {
  if (!args || (!data && size))
    return mproc__fail(MPROC_EINVAL, "mproc_args_add_bytes: %s is NULL", args ? "data" : "args");
  return push_buf(args, MPROC_TYPE_BYTES, data, size, "mproc_args_add_bytes");
}

mproc_status mproc_args_add_none(mproc_args *args) {
  item it;
  memset(&it, 0, sizeof it);
  return push_scalar(args, &it, MPROC_TYPE_NONE, "mproc_args_add_none");
}

mproc_status mproc__args_create_exact(size_t n, mproc_args **out, const char *fn) {
  mproc_status st = mproc_args_create(out);
  if (st != MPROC_OK || n == 0)
    return st;
  (*out)->items = malloc(n * sizeof *(*out)->items);
  if (!(*out)->items) {
    mproc_args_destroy(*out);
    *out = NULL;
    return mproc__fail(MPROC_ENOMEM, "%s: out of memory", fn);
  }
  (*out)->capacity = n;
  return MPROC_OK;
}

/* How many levels of lists @a is: 1, plus its deepest nested list's. Only
 * lists that hold a buffer can hold a list: a list of numbers is not walked. */
static size_t depth_of(const mproc_args *a) {
  size_t deepest = 0, d, i;
  for (i = 0; a->buffers && i < a->count; i++) {
    if (a->items[i].type != MPROC_TYPE_LIST)
      continue;
    d = depth_of(a->items[i].v.list);
    deepest = d > deepest ? d : deepest;
  }
  return 1 + deepest;
}

/* Appends a deep copy of @list as one LIST value; its depth is the
 * caller's to check (a list copied from a valid list is valid). */
static mproc_status push_copy_of(mproc_args *a, const mproc_args *list, const char *fn) {
  mproc_args *copy = NULL;
  item it;
  /* Copied before it is pushed: @list may be @a itself, whose array the
   * push may move. */
  mproc_status st = mproc__args_create_exact(list->count, &copy, fn);
  if (st == MPROC_OK)
    st = mproc__args_append(copy, list, 0, list->count);
  if (st == MPROC_OK) {
    memset(&it, 0, sizeof it);
    it.type = MPROC_TYPE_LIST;
    it.len = (uint32_t)copy->encoded_size; /* (at most MPROC_ARGS_MAX_SIZE) */
    it.v.list = copy;
    st = mproc__args_push(a, &it, fn);
  }
  if (st != MPROC_OK && copy)
    mproc_args_destroy(copy);
  return st;
}

mproc_status mproc__args_push_list(mproc_args *a, const mproc_args *list, const char *fn) {
  size_t depth = depth_of(list);
  if (depth >= MPROC_ARGS_MAX_DEPTH)
    return mproc__fail(MPROC_ERANGE,
                       "%s: the list nests %zu deep; inside another it would exceed %u", fn, depth,
                       MPROC_ARGS_MAX_DEPTH);
  /* The limits push checks, before a copy (of up to the size limit) that
   * would be thrown away. */
  if (a->count >= MPROC_ARGS_MAX_COUNT)
    return mproc__fail(MPROC_ERANGE, "%s: more than %u values", fn, MPROC_ARGS_MAX_COUNT);
  if (1 + 4 + list->encoded_size > MPROC_ARGS_MAX_SIZE - a->encoded_size)
    return mproc__fail(MPROC_ERANGE, "%s: encoding would exceed %u bytes", fn, MPROC_ARGS_MAX_SIZE);
  return push_copy_of(a, list, fn);
}

mproc_status mproc_args_add_list(mproc_args *args, const mproc_args *list) {
  if (!args || !list)
    return mproc__fail(MPROC_EINVAL, "mproc_args_add_list: %s is NULL", args ? "list" : "args");
  return mproc__args_push_list(args, list, "mproc_args_add_list");
}

void mproc__args_drop_last(mproc_args *a) {
  item *it = &a->items[--a->count];
  drop_cache(a);
  a->encoded_size -= mproc__item_size(it);
  if (owns_buffer(it->type)) {
    a->buffers--;
    release(it);
  }
}

/* Appends a copy of @it (from another list) to @dst: a nested list is
 * copied whole, so the two lists share nothing and each destroys its own. */
static mproc_status append_item(mproc_args *dst, const item *it) {
  switch (it->type) {
  case MPROC_TYPE_LIST:
    return push_copy_of(dst, it->v.list, "copying arguments");
  case MPROC_TYPE_STR:
  case MPROC_TYPE_BYTES:
  case MPROC_TYPE_OBJECT:
    return mproc__args_push_copy(dst, (mproc_type)it->type, it->kind,
                                 it->type == MPROC_TYPE_OBJECT ? mproc__item_objsize(it) : 0,
                                 it->v.data, it->len, "copying arguments");
  default:
    return mproc__args_push(dst, it, "copying arguments");
  }
}

/* Values that own no buffer copy as they are, in one go. */
static mproc_status append_plain(mproc_args *dst, const mproc_args *src, size_t at, size_t n) {
  const item *from = src->items + at;
  size_t size = 0, i;
  mproc_status st;
  if (at == 0 && n == src->count) /* (a map's chunk of results: all of it) */
    size = src->encoded_size - MPROC__ARGS_HEADER;
  else
    for (i = 0; i < n; i++)
      size += mproc__item_size(&from[i]);
  if (n > MPROC_ARGS_MAX_COUNT - dst->count || size > MPROC_ARGS_MAX_SIZE - dst->encoded_size)
    return mproc__fail(MPROC_ERANGE, "copying arguments: over %u values or %u bytes",
                       MPROC_ARGS_MAX_COUNT, MPROC_ARGS_MAX_SIZE);
  if ((st = reserve(dst, n, "copying arguments")) != MPROC_OK)
    return st;
  if (n)
    memcpy(dst->items + dst->count, from, n * sizeof *from);
  dst->count += n;
  dst->encoded_size += size;
  return MPROC_OK;
}

mproc_status mproc__args_append(mproc_args *dst, const mproc_args *src, size_t at, size_t n) {
  size_t i, before = dst->count;
  mproc_status st;
  n = at < src->count ? (n < src->count - at ? n : src->count - at) : 0;
  if (n == 0) /* (an empty list's items may be NULL: no pointer arithmetic on it) */
    return MPROC_OK;
  if (!src->buffers)
    return append_plain(dst, src, at, n);
  st = reserve(dst, n, "copying arguments");
  for (i = at; st == MPROC_OK && i < at + n; i++)
    st = append_item(dst, &src->items[i]);
  while (st != MPROC_OK && dst->count > before) /* all or nothing */
    mproc__args_drop_last(dst);
  return st;
}

mproc_status mproc_args_clear(mproc_args *args) {
  if (!args)
    return mproc__fail(MPROC_EINVAL, "mproc_args_clear: args is NULL");
  mproc__args_reset(args);
  return MPROC_OK;
}

void mproc__args_clear(mproc_args *a) {
  while (a->buffers)
    mproc__args_drop_last(a);
  a->count = 0; /* the rest are plain values */
  a->encoded_size = MPROC__ARGS_HEADER;
}

mproc_status mproc__args_slice(const mproc_args *src, size_t at, size_t n, mproc_args **out) {
  mproc_status st = mproc_args_create(out);
  if (st == MPROC_OK && (st = mproc__args_append(*out, src, at, n)) != MPROC_OK) {
    mproc_args_destroy(*out);
    *out = NULL;
  }
  return st;
}

mproc_status mproc__args_copy(const mproc_args *src, mproc_args **out) {
  return mproc__args_slice(src, 0, src->count, out);
}

mproc_status mproc_args_count(const mproc_args *args, size_t *count) {
  if (!args || !count)
    return mproc__fail(MPROC_EINVAL, "mproc_args_count: NULL argument");
  *count = args->count;
  return MPROC_OK;
}

/* The item at @index if it exists and has @type (0: any type). */
static mproc_status lookup(const mproc_args *a, size_t index, mproc_type type, const void *out,
                           const item **it, const char *fn) {
  if (!a || !out)
    return mproc__fail(MPROC_EINVAL, "%s: NULL argument", fn);
  if (index >= a->count)
    return mproc__fail(MPROC_ERANGE, "%s: index %zu, but the list has %zu values", fn, index,
                       a->count);
  if (type && a->items[index].type != type)
    return mproc__fail(MPROC_ETYPE, "%s: value %zu has type %d, not %d", fn, index,
                       (int)a->items[index].type, (int)type);
  *it = &a->items[index];
  return MPROC_OK;
}

mproc_status mproc_args_type(const mproc_args *args, size_t index, mproc_type *type) {
  const item *it = NULL;
  mproc_status st = lookup(args, index, (mproc_type)0, type, &it, "mproc_args_type");
  if (st == MPROC_OK)
    *type = it->type;
  return st;
}

mproc_status mproc_args_get_i64(const mproc_args *args, size_t index, int64_t *value) {
  const item *it = NULL;
  mproc_status st = lookup(args, index, MPROC_TYPE_I64, value, &it, "mproc_args_get_i64");
  if (st == MPROC_OK)
    *value = it->v.i64;
  return st;
}

mproc_status mproc_args_get_f64(const mproc_args *args, size_t index, double *value) {
  const item *it = NULL;
  mproc_status st = lookup(args, index, MPROC_TYPE_F64, value, &it, "mproc_args_get_f64");
  if (st == MPROC_OK)
    *value = it->v.f64;
  return st;
}

mproc_status mproc_args_get_bool(const mproc_args *args, size_t index, int *value) {
  const item *it = NULL;
  mproc_status st = lookup(args, index, MPROC_TYPE_BOOL, value, &it, "mproc_args_get_bool");
  if (st == MPROC_OK)
    *value = it->v.b;
  return st;
}

mproc_status mproc_args_get_str(const mproc_args *args, size_t index, const char **value) {
  const item *it = NULL;
  mproc_status st = lookup(args, index, MPROC_TYPE_STR, value, &it, "mproc_args_get_str");
  if (st == MPROC_OK)
    *value = it->v.data ? (const char *)it->v.data : "";
  return st;
}

mproc_status mproc_args_get_list(const mproc_args *args, size_t index, const mproc_args **list) {
  const item *it = NULL;
  mproc_status st = lookup(args, index, MPROC_TYPE_LIST, list, &it, "mproc_args_get_list");
  if (st == MPROC_OK)
    *list = it->v.list;
  return st;
}

mproc_status mproc_args_get_bytes(const mproc_args *args, size_t index, const void **data,
                                  size_t *size) {
  const item *it = NULL;
  mproc_status st = lookup(args, index, MPROC_TYPE_BYTES, data, &it, "mproc_args_get_bytes");
  if (st == MPROC_OK && !size)
    st = mproc__fail(MPROC_EINVAL, "mproc_args_get_bytes: size is NULL");
  if (st == MPROC_OK) {
    *data = it->v.data;
    *size = it->len;
  }
  return st;
}
