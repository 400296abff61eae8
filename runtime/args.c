/*
 * Typed argument lists and their wire encoding.
 *
 * Encoding, version 1 (all integers little-endian):
 *   "MA" version:u8 flags:u8(=0) count:u32
 *   count x ( tag:u8 value )
 *     I64   8 bytes, two's complement      F64  8 bytes, IEEE-754 binary64
 *     BOOL  1 byte, 0 or 1                 STR  len:u32, len bytes, no NUL among them
 *     BYTES len:u32, len bytes
 *     OBJECT kind:u8, size:u64, len:u32, name (len bytes of [A-Za-z0-9-])
 *     NONE  nothing
 * The decoder accepts exactly this and nothing else: every length is checked
 * against what remains before it is used, the count against the limits, and
 * trailing bytes are an error. Its allocations are bounded by the input size.
 */
#include <stdlib.h>
#include <string.h>

#include "object.h"

#define ARGS_MAGIC0 'M'
#define ARGS_MAGIC1 'A'
#define ARGS_VERSION 1
#define ARGS_HEADER 8u

typedef struct item {
  mproc_type type;
  uint8_t kind;  /* OBJECT: the mproc__kind */
  uint64_t size; /* OBJECT: the segment size */
  union {
    int64_t i64;
    double f64;
    int b;
    struct {
      uint8_t *data; /* NUL-terminated; NULL when empty */
      size_t size;   /* without the terminator */
    } buf;
  } v;
} item;

struct mproc_args {
  item *items;
  size_t count;
  size_t capacity;
  size_t encoded_size; /* the size mproc__args_encode() will produce */
};

static size_t item_encoded_size(const item *it) {
  switch (it->type) {
  case MPROC_TYPE_I64:
  case MPROC_TYPE_F64:
    return 1 + 8;
  case MPROC_TYPE_BOOL:
    return 1 + 1;
  case MPROC_TYPE_NONE:
    return 1;
  case MPROC_TYPE_OBJECT:
    return 1 + 1 + 8 + 4 + it->v.buf.size;
  default:
    return 1 + 4 + it->v.buf.size;
  }
}

mproc_status mproc_args_create(mproc_args **args) {
  mproc_args *a = NULL;
  if (!args)
    return mproc__fail(MPROC_EINVAL, "mproc_args_create: args is NULL");
  a = calloc(1, sizeof *a);
  if (!a)
    return mproc__fail(MPROC_ENOMEM, "mproc_args_create: out of memory");
  a->encoded_size = ARGS_HEADER;
  *args = a;
  return MPROC_OK;
}

mproc_status mproc_args_destroy(mproc_args *args) {
  size_t i;
  if (!args)
    return mproc__fail(MPROC_EINVAL, "mproc_args_destroy: args is NULL");
  for (i = 0; i < args->count; i++)
    if (args->items[i].type >= MPROC_TYPE_STR && args->items[i].type <= MPROC_TYPE_OBJECT)
      free(args->items[i].v.buf.data);
  free(args->items);
  free(args);
  return MPROC_OK;
}

/* Appends a copy of @it, enforcing the limits; on failure the list is unchanged. */
static mproc_status push(mproc_args *a, const item *it, const char *fn) {
  size_t size = item_encoded_size(it);
  if (a->count >= MPROC_ARGS_MAX_COUNT)
    return mproc__fail(MPROC_ERANGE, "%s: more than %u values", fn, MPROC_ARGS_MAX_COUNT);
  if (size > MPROC_ARGS_MAX_SIZE - a->encoded_size)
    return mproc__fail(MPROC_ERANGE, "%s: encoding would exceed %u bytes", fn, MPROC_ARGS_MAX_SIZE);
  if (a->count == a->capacity) {
    size_t cap = a->capacity ? a->capacity * 2 : 8;
    item *grown = realloc(a->items, cap * sizeof *grown);
    if (!grown)
      return mproc__fail(MPROC_ENOMEM, "%s: out of memory", fn);
    a->items = grown;
    a->capacity = cap;
  }
  a->items[a->count++] = *it;
  a->encoded_size += size;
  return MPROC_OK;
}

/* Copies @size bytes into a new NUL-terminated buffer and appends it as
 * @type; objects also carry their kind and segment size. */
static mproc_status push_copy(mproc_args *a, mproc_type type, uint8_t kind, uint64_t objsize,
                              const void *data, size_t size, const char *fn) {
  item it;
  mproc_status st;
  it.type = type;
  it.kind = kind;
  it.size = objsize;
  it.v.buf.size = size;
  it.v.buf.data = NULL;
  if (size > MPROC_ARGS_MAX_SIZE)
    return mproc__fail(MPROC_ERANGE, "%s: %zu bytes exceed %u", fn, size, MPROC_ARGS_MAX_SIZE);
  if (size) { /* an empty string or bytes allocates nothing: data stays NULL */
    it.v.buf.data = malloc(size + 1);
    if (!it.v.buf.data)
      return mproc__fail(MPROC_ENOMEM, "%s: out of memory", fn);
    memcpy(it.v.buf.data, data, size);
    it.v.buf.data[size] = 0;
  }
  st = push(a, &it, fn);
  if (st != MPROC_OK)
    free(it.v.buf.data);
  return st;
}

static mproc_status push_buf(mproc_args *a, mproc_type type, const void *data, size_t size,
                             const char *fn) {
  return push_copy(a, type, 0, 0, data, size, fn);
}

mproc_status mproc__args_add_object(mproc_args *args, const mproc__obj *o, const char *fn) {
  if (!args)
    return mproc__fail(MPROC_EINVAL, "%s: args is NULL", fn);
  return push_copy(args, MPROC_TYPE_OBJECT, o->kind, mproc__obj_header(o)->size, o->name,
                   strlen(o->name), fn);
}

mproc_status mproc__args_get_object(const mproc_args *args, size_t index, mproc__kind kind,
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
  *name = (const char *)it->v.buf.data;
  *size = it->size;
  return MPROC_OK;
}

/* The scalar adds: one NULL check, one push. */
static mproc_status push_scalar(mproc_args *a, item *it, mproc_type type, const char *fn) {
  if (!a)
    return mproc__fail(MPROC_EINVAL, "%s: args is NULL", fn);
  it->type = type;
  return push(a, it, fn);
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

static void drop_last(mproc_args *a) {
  item *it = &a->items[--a->count];
  a->encoded_size -= item_encoded_size(it);
  if (it->type >= MPROC_TYPE_STR && it->type <= MPROC_TYPE_OBJECT)
    free(it->v.buf.data);
}

/* Appends a copy of @it (from another list) to @dst. */
static mproc_status append_item(mproc_args *dst, const item *it) {
  switch (it->type) {
  case MPROC_TYPE_STR:
  case MPROC_TYPE_BYTES:
  case MPROC_TYPE_OBJECT:
    return push_copy(dst, it->type, it->kind, it->size, it->v.buf.data, it->v.buf.size,
                     "copying arguments");
  default:
    return push(dst, it, "copying arguments");
  }
}

mproc_status mproc__args_append(mproc_args *dst, const mproc_args *src, size_t at, size_t n) {
  size_t i, before = dst->count;
  mproc_status st = MPROC_OK;
  for (i = at; st == MPROC_OK && i < at + n && i < src->count; i++)
    st = append_item(dst, &src->items[i]);
  while (st != MPROC_OK && dst->count > before) /* all or nothing */
    drop_last(dst);
  return st;
}

void mproc__args_set_i64(mproc_args *a, size_t i, int64_t v) {
  if (i < a->count && a->items[i].type == MPROC_TYPE_I64)
    a->items[i].v.i64 = v; /* same encoded size */
}

void mproc__args_clear(mproc_args *a) {
  while (a->count)
    drop_last(a);
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

mproc_status mproc__args_encode_or_empty(const mproc_args *args, uint8_t **buf, size_t *len) {
  mproc_args *empty = NULL;
  mproc_status st;
  if (args)
    return mproc__args_encode(args, buf, len);
  st = mproc_args_create(&empty);
  if (st == MPROC_OK)
    st = mproc__args_encode(empty, buf, len);
  if (empty)
    mproc_args_destroy(empty);
  return st;
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
    *value = it->v.buf.data ? (const char *)it->v.buf.data : "";
  return st;
}

mproc_status mproc_args_get_bytes(const mproc_args *args, size_t index, const void **data,
                                  size_t *size) {
  const item *it = NULL;
  mproc_status st = lookup(args, index, MPROC_TYPE_BYTES, data, &it, "mproc_args_get_bytes");
  if (st == MPROC_OK && !size)
    st = mproc__fail(MPROC_EINVAL, "mproc_args_get_bytes: size is NULL");
  if (st == MPROC_OK) {
    *data = it->v.buf.data;
    *size = it->v.buf.size;
  }
  return st;
}

/* ---- wire format ---- */

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u64(uint8_t *p, uint64_t v) {
  put_u32(p, (uint32_t)v);
  put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

/* Writes @args's encoding at @p, its count raised by @extra values that the
 * caller writes after it; returns the end. */
static uint8_t *write_list(uint8_t *p, const mproc_args *args, size_t extra) {
  size_t i;
  *p++ = ARGS_MAGIC0;
  *p++ = ARGS_MAGIC1;
  *p++ = ARGS_VERSION;
  *p++ = 0;
  put_u32(p, (uint32_t)(args->count + extra));
  p += 4;
  for (i = 0; i < args->count; i++) {
    const item *it = &args->items[i];
    uint64_t bits;
    *p++ = (uint8_t)it->type;
    switch (it->type) {
    case MPROC_TYPE_I64:
      put_u64(p, (uint64_t)it->v.i64);
      p += 8;
      break;
    case MPROC_TYPE_F64:
      memcpy(&bits, &it->v.f64, 8);
      put_u64(p, bits);
      p += 8;
      break;
    case MPROC_TYPE_BOOL:
      *p++ = (uint8_t)it->v.b;
      break;
    case MPROC_TYPE_NONE:
      break;
    case MPROC_TYPE_OBJECT:
      *p++ = it->kind;
      put_u64(p, it->size);
      p += 8;
      put_u32(p, (uint32_t)it->v.buf.size);
      p += 4;
      memcpy(p, it->v.buf.data, it->v.buf.size);
      p += it->v.buf.size;
      break;
    default:
      put_u32(p, (uint32_t)it->v.buf.size);
      p += 4;
      if (it->v.buf.size)
        memcpy(p, it->v.buf.data, it->v.buf.size);
      p += it->v.buf.size;
    }
  }
  return p;
}

mproc_status mproc__args_encode(const mproc_args *args, uint8_t **buf, size_t *len) {
  uint8_t *out = malloc(args->encoded_size), *end;
  if (!out)
    return mproc__fail(MPROC_ENOMEM, "encoding arguments: out of memory");
  end = write_list(out, args, 0);
  MPROC_ASSERT(end == out + args->encoded_size);
  (void)end;
  *buf = out;
  *len = args->encoded_size;
  return MPROC_OK;
}

mproc_status mproc__args_encode_nested(const mproc_args *head, const mproc_args *tail,
                                       uint8_t **buf, size_t *len) {
  size_t size = head->encoded_size + 1 + 4 + tail->encoded_size;
  uint8_t *out, *p;
  if (head->count >= MPROC_ARGS_MAX_COUNT || tail->encoded_size > MPROC_ARGS_MAX_SIZE ||
      size > MPROC_ARGS_MAX_SIZE)
    return mproc__fail(MPROC_ERANGE, "encoding arguments: over %u bytes", MPROC_ARGS_MAX_SIZE);
  if (!(out = malloc(size)))
    return mproc__fail(MPROC_ENOMEM, "encoding arguments: out of memory");
  p = write_list(out, head, 1);
  *p++ = (uint8_t)MPROC_TYPE_BYTES;
  put_u32(p, (uint32_t)tail->encoded_size);
  p = write_list(p + 4, tail, 0);
  MPROC_ASSERT(p == out + size);
  (void)p;
  *buf = out;
  *len = size;
  return MPROC_OK;
}

/* Decodes an object reference: kind, size and a name of safe characters only
 * (the receiver opens it by name). */
static mproc_status decode_object(mproc_args *a, const uint8_t **p, size_t *left) {
  const uint8_t *q = *p;
  uint64_t size;
  uint32_t n, i;
  uint8_t kind;
  if (*left < 1 + 8 + 4)
    return mproc__fail(MPROC_EPROTO, "arguments: truncated object reference");
  kind = q[0];
  size = get_u64(q + 1);
  n = get_u32(q + 9);
  q += 13;
  *left -= 13;
  if (kind < MPROC__KIND_SHM || kind >= MPROC__KIND_END || size < MPROC__SEG_HEADER ||
      size > MPROC__SEG_HEADER + MPROC_SHM_MAX_SIZE)
    return mproc__fail(MPROC_EPROTO, "arguments: object of kind %u and size %llu is not valid",
                       kind, (unsigned long long)size);
  if (n == 0 || n >= MPROC__NAME_MAX || n > *left)
    return mproc__fail(MPROC_EPROTO, "arguments: object name of %u bytes is not valid", n);
  for (i = 0; i < n; i++) {
    uint8_t c = q[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
      return mproc__fail(MPROC_EPROTO, "arguments: object name holds byte %u", c);
  }
  *p = q + n;
  *left -= n;
  return push_copy(a, MPROC_TYPE_OBJECT, kind, size, q, n, "decoding arguments");
}

/* Decodes one value at *p (with @left bytes left) and appends it. */
static mproc_status decode_item(mproc_args *a, const uint8_t **p, size_t *left) {
  const uint8_t *q = *p;
  item it;
  uint64_t bits;
  uint32_t n;
  mproc_status st;
  if (*left < 1)
    return mproc__fail(MPROC_EPROTO, "arguments: truncated before a value tag");
  it.type = (mproc_type)q[0];
  q++;
  (*left)--;
  switch (q[-1]) {
  case MPROC_TYPE_I64:
  case MPROC_TYPE_F64:
    if (*left < 8)
      return mproc__fail(MPROC_EPROTO, "arguments: truncated number");
    bits = get_u64(q);
    if (it.type == MPROC_TYPE_I64)
      it.v.i64 = (int64_t)bits;
    else
      memcpy(&it.v.f64, &bits, 8);
    q += 8;
    *left -= 8;
    st = push(a, &it, "decoding arguments");
    break;
  case MPROC_TYPE_BOOL:
    if (*left < 1 || q[0] > 1)
      return mproc__fail(MPROC_EPROTO, "arguments: truncated or invalid bool");
    it.v.b = q[0];
    q++;
    (*left)--;
    st = push(a, &it, "decoding arguments");
    break;
  case MPROC_TYPE_STR:
  case MPROC_TYPE_BYTES:
    if (*left < 4)
      return mproc__fail(MPROC_EPROTO, "arguments: truncated length");
    n = get_u32(q);
    q += 4;
    *left -= 4;
    if (n > *left)
      return mproc__fail(MPROC_EPROTO, "arguments: length %u exceeds the %zu bytes left", n, *left);
    if (it.type == MPROC_TYPE_STR && n && memchr(q, 0, n))
      return mproc__fail(MPROC_EPROTO, "arguments: string holds a NUL byte");
    st = push_buf(a, it.type, q, n, "decoding arguments");
    q += n;
    *left -= n;
    break;
  case MPROC_TYPE_OBJECT:
    st = decode_object(a, &q, left);
    break;
  case MPROC_TYPE_NONE:
    st = push(a, &it, "decoding arguments");
    break;
  default:
    return mproc__fail(MPROC_EPROTO, "arguments: unknown value tag %u", (unsigned)q[-1]);
  }
  if (st == MPROC_ERANGE)
    st = mproc__fail(MPROC_EPROTO, "arguments: over the size limits");
  *p = q;
  return st;
}

mproc_status mproc__args_decode(const uint8_t *buf, size_t len, mproc_args **out) {
  mproc_args *a = NULL;
  uint32_t count, i;
  size_t left;
  mproc_status st;
  if (!buf || len < ARGS_HEADER || len > MPROC_ARGS_MAX_SIZE)
    return mproc__fail(MPROC_EPROTO, "arguments: %zu bytes is not a valid size", len);
  if (buf[0] != ARGS_MAGIC0 || buf[1] != ARGS_MAGIC1 || buf[3] != 0)
    return mproc__fail(MPROC_EPROTO, "arguments: bad magic or flags");
  if (buf[2] != ARGS_VERSION)
    return mproc__fail(MPROC_EPROTO, "arguments: encoding version %u, expected %u", buf[2],
                       ARGS_VERSION);
  count = get_u32(buf + 4);
  /* Every value takes at least one byte: a count that cannot fit is rejected
   * before anything is allocated. */
  if (count > MPROC_ARGS_MAX_COUNT || count > len - ARGS_HEADER)
    return mproc__fail(MPROC_EPROTO, "arguments: count %u does not fit %zu bytes", count, len);
  st = mproc_args_create(&a);
  if (st != MPROC_OK)
    return st;
  buf += ARGS_HEADER;
  left = len - ARGS_HEADER;
  for (i = 0; i < count && st == MPROC_OK; i++)
    st = decode_item(a, &buf, &left);
  if (st == MPROC_OK && left)
    st = mproc__fail(MPROC_EPROTO, "arguments: %zu trailing bytes", left);
  if (st != MPROC_OK) {
    mproc_args_destroy(a);
    return st;
  }
  *out = a;
  return MPROC_OK;
}
