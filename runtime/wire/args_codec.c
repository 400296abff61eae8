/*
 * The encoding of an mproc_args: whole, or value by value.
 *
 * Encoding, version 1 (all integers little-endian):
 *   "MA" version:u8 flags:u8(=0) count:u32
 *   count x ( tag:u8 value )
 *     I64   8 bytes, two's complement      F64  8 bytes, IEEE-754 binary64
 *     BOOL  1 byte, 0 or 1                 STR  len:u32, len bytes, no NUL among them
 *     BYTES len:u32, len bytes
 *     OBJECT kind:u8, size:u64, len:u32, name (len bytes of [A-Za-z0-9-])
 *     NONE  nothing
 *     LIST  len:u32, then len bytes: the nested list's whole encoding, header
 *           included (so it is read, and checked, as any list is)
 * The reader accepts exactly this and nothing else: every length is checked
 * against what remains before it is used, the count against the limits, and
 * trailing bytes are an error; a nested list must take exactly its len
 * bytes, and lists nest at most MPROC_ARGS_MAX_DEPTH deep (the recursion
 * that reads them is bounded so). Its allocations are bounded by the input
 * size.
 *
 * The pool's frames are written and read value by value (a writer, a
 * reader), so that a chunk of a million items is never a list of a million
 * values on one side and another list on the other: the TASK takes its items
 * straight from the caller's list, and a RESULT's values go straight into
 * the list that keeps them.
 */
#include <stdlib.h>
#include <string.h>

#include "wire/args.h"
#include "wire/protocol.h"

#define ARGS_MAGIC0 'M'
#define ARGS_MAGIC1 'A'
#define ARGS_VERSION 1

typedef mproc__item item;

static void put_list_header(uint8_t *p, uint32_t count) {
  p[0] = ARGS_MAGIC0;
  p[1] = ARGS_MAGIC1;
  p[2] = ARGS_VERSION;
  p[3] = 0;
  mproc__put_u32(p + 4, count);
}

/* Writes @it at @p (mproc__item_size(it) bytes); returns the end. */
static uint8_t *put_item(uint8_t *p, const item *it) {
  uint64_t bits;
  *p++ = (uint8_t)it->type;
  switch (it->type) {
  case MPROC_TYPE_I64:
    mproc__put_u64(p, (uint64_t)it->v.i64);
    return p + 8;
  case MPROC_TYPE_F64:
    memcpy(&bits, &it->v.f64, 8);
    mproc__put_u64(p, bits);
    return p + 8;
  case MPROC_TYPE_BOOL:
    *p++ = (uint8_t)it->v.b;
    return p;
  case MPROC_TYPE_NONE:
    return p;
  case MPROC_TYPE_LIST: /* len is the nested list's encoded_size */
    mproc__put_u32(p, it->len);
    mproc__args_encode_to(it->v.list, p + 4);
    return p + 4 + it->len;
  case MPROC_TYPE_OBJECT:
    *p++ = it->kind;
    mproc__put_u64(p, mproc__item_objsize(it));
    p += 8;
    break;
  default:
    break;
  }
  mproc__put_u32(p, (uint32_t)it->len);
  p += 4;
  if (it->len)
    memcpy(p, it->v.data, it->len);
  return p + it->len;
}

/* ---- writer ---- */

void mproc__writer_init_buf(mproc__writer *w, mproc__buf *from, size_t hint) {
  size_t want = hint < 64 ? 64 : hint < MPROC_ARGS_MAX_SIZE ? hint : MPROC_ARGS_MAX_SIZE;
  memset(w, 0, sizeof *w);
  /* (never more than the limit: see grow()) */
  mproc__buf_trim(from, from->cap < want || from->cap > MPROC_ARGS_MAX_SIZE);
  w->buf = from->data;
  w->cap = from->cap;
  from->data = NULL;
  from->cap = 0;
  if (!w->buf) {
    w->cap = want;
    if ((w->buf = malloc(want)) == NULL)
      w->st = mproc__fail(MPROC_ENOMEM, "encoding arguments: out of memory");
  }
  w->len = MPROC__ARGS_HEADER;
}

void mproc__writer_init(mproc__writer *w, size_t hint) {
  mproc__buf none = {NULL, 0};
  mproc__writer_init_buf(w, &none, hint);
}

/* Room for one more value of @size bytes, growing the buffer if need be,
 * within the limits; errors are sticky. */
static uint8_t *grow(mproc__writer *w, size_t size) {
  size_t cap = w->cap;
  uint8_t *grown;
  if (w->st != MPROC_OK)
    return NULL;
  if (w->count >= MPROC_ARGS_MAX_COUNT || size > MPROC_ARGS_MAX_SIZE - w->len) {
    w->st = mproc__fail(MPROC_ERANGE, "encoding arguments: over %u values or %u bytes",
                        MPROC_ARGS_MAX_COUNT, MPROC_ARGS_MAX_SIZE);
    return NULL;
  }
  while (cap < w->len + size)
    cap *= 2;
  if (cap >
      MPROC_ARGS_MAX_SIZE) /* the buffer never outgrows the limit (write_item() relies on it) */
    cap = MPROC_ARGS_MAX_SIZE;
  if ((grown = realloc(w->buf, cap)) == NULL) {
    w->st = mproc__fail(MPROC_ENOMEM, "encoding arguments: out of memory");
    return NULL;
  }
  w->buf = grown;
  w->cap = cap;
  w->count++;
  return w->buf + w->len;
}

/* Writes @it. The common case is one check: the buffer never outgrows the
 * size limit, so room in it is within that limit. */
static void write_item(mproc__writer *w, const item *it) {
  size_t size = mproc__item_size(it);
  uint8_t *p;
  if (w->st == MPROC_OK && w->count < MPROC_ARGS_MAX_COUNT && size <= w->cap - w->len) {
    w->count++;
    p = w->buf + w->len;
  } else if ((p = grow(w, size)) == NULL) {
    return;
  }
  w->len += (size_t)(put_item(p, it) - p);
}

size_t mproc__writer_i64(mproc__writer *w, int64_t v) {
  item it;
  size_t at = w->len + 1;
  it.type = MPROC_TYPE_I64;
  it.v.i64 = v;
  write_item(w, &it);
  return at;
}

void mproc__args_patch_i64(uint8_t *encoding, size_t at, int64_t v) {
  mproc__put_u64(encoding + at, (uint64_t)v);
}

/* A value longer than a whole encoding may be fails the writer (sticky),
 * before its length is narrowed to the u32 an item keeps. */
static int fits(mproc__writer *w, size_t len) {
  if (len <= MPROC_ARGS_MAX_SIZE)
    return 1;
  if (w->st == MPROC_OK)
    w->st = mproc__fail(MPROC_ERANGE, "encoding arguments: %zu bytes in one value", len);
  return 0;
}

void mproc__writer_str(mproc__writer *w, const char *s) {
  size_t len = strlen(s);
  item it;
  if (!fits(w, len))
    return;
  it.type = MPROC_TYPE_STR;
  it.v.data = (uint8_t *)(uintptr_t)s;
  it.len = (uint32_t)len;
  write_item(w, &it);
}

void mproc__writer_bool(mproc__writer *w, int v) {
  item it;
  it.type = MPROC_TYPE_BOOL;
  it.v.b = v != 0;
  write_item(w, &it);
}

void mproc__writer_bytes(mproc__writer *w, const void *data, size_t len) {
  item it;
  if (!fits(w, len))
    return;
  it.type = MPROC_TYPE_BYTES;
  it.v.data = len ? (uint8_t *)(uintptr_t)data : NULL;
  it.len = (uint32_t)len;
  write_item(w, &it);
}

/* Numbers [*i, end) of @a while they are numbers, where the buffer is known
 * to have room for all of them: one check per value (a map's chunk). */
static void write_numbers(mproc__writer *w, const mproc_args *a, size_t *i, size_t end) {
  const item *it, *stop;
  uint8_t *p;
  if (end <= *i || w->st != MPROC_OK || end - *i > (w->cap - w->len) / 9 ||
      end - *i > MPROC_ARGS_MAX_COUNT - w->count)
    return;
  it = a->items + *i;
  stop = a->items + end;
  p = w->buf + w->len;
  for (; it < stop && mproc__is_number(it->type); it++, p += 9) {
    p[0] = it->type;
    mproc__put_u64(p + 1, (uint64_t)it->v.i64);
  }
  w->count += (uint32_t)(it - (a->items + *i));
  w->len = (size_t)(p - w->buf);
  *i = (size_t)(it - a->items);
}

void mproc__writer_list(mproc__writer *w, const mproc_args *a, size_t at, size_t n) {
  size_t i = at, end;
  if (!a)
    return;
  end = at + n < a->count ? at + n : a->count;
  write_numbers(w, a, &i, end);
  for (; i < end && w->st == MPROC_OK; i++)
    if (!mproc__write_number(w, &a->items[i]))
      write_item(w, &a->items[i]);
}

/* A nested list is one BYTES value whose length and list header are known
 * only once its values are written: nest_begin() leaves room for them and
 * @return where the list starts (0: the writer failed); nest_end() fills them. */
static size_t nest_begin(mproc__writer *w, uint32_t *outer) {
  if (!grow(w, 1 + 4 + MPROC__ARGS_HEADER))
    return 0;
  w->len += 1 + 4 + MPROC__ARGS_HEADER;
  *outer = w->count;
  w->count = 0;
  return w->len - MPROC__ARGS_HEADER;
}

static void nest_end(mproc__writer *w, size_t start, uint32_t outer) {
  uint32_t inner = w->count;
  uint8_t *p;
  w->count = outer;
  if (w->st != MPROC_OK)
    return;
  p = w->buf + start - 5; /* (the buffer may have moved) */
  *p = (uint8_t)MPROC_TYPE_BYTES;
  mproc__put_u32(p + 1, (uint32_t)(w->len - start));
  put_list_header(p + 5, (uint32_t)inner);
}

void mproc__writer_nested(mproc__writer *w, const mproc_args *a, size_t at, size_t n) {
  uint32_t outer;
  size_t start = nest_begin(w, &outer);
  if (!start)
    return;
  mproc__writer_list(w, a, at, n);
  nest_end(w, start, outer);
}

/* @n numbers of @type from a C array, room made once for all of them. */
static void write_c_numbers(mproc__writer *w, mproc_type type, const void *values, size_t n) {
  uint8_t *p;
  size_t i;
  if (n > MPROC_ARGS_MAX_COUNT - w->count || n > (MPROC_ARGS_MAX_SIZE - w->len) / 9) {
    if (w->st == MPROC_OK)
      w->st = mproc__fail(MPROC_ERANGE, "encoding arguments: over %u values or %u bytes",
                          MPROC_ARGS_MAX_COUNT, MPROC_ARGS_MAX_SIZE);
    return;
  }
  if (n == 0 || (p = grow(w, 9 * n)) == NULL) /* grow() counts one value */
    return;
  for (i = 0; i < n; i++, p += 9) {
    uint64_t bits;
    memcpy(&bits, (const uint8_t *)values + 8 * i, 8); /* int64_t and double: 8 bytes */
    p[0] = (uint8_t)type;
    mproc__put_u64(p + 1, bits);
  }
  w->count += (uint32_t)n - 1;
  w->len += 9 * n;
}

void mproc__writer_nested_numbers(mproc__writer *w, mproc_type type, const void *values, size_t n) {
  uint32_t outer;
  size_t start = nest_begin(w, &outer);
  if (!start)
    return;
  write_c_numbers(w, type, values, n);
  nest_end(w, start, outer);
}

mproc_status mproc__writer_finish(mproc__writer *w, uint8_t **buf, size_t *len) {
  if (w->st != MPROC_OK) {
    free(w->buf);
    return w->st;
  }
  put_list_header(w->buf, w->count);
  *buf = w->buf;
  *len = w->len;
  return MPROC_OK;
}

mproc_status mproc__args_encode(const mproc_args *args, uint8_t **buf, size_t *len) {
  mproc__writer w;
  mproc__writer_init(&w, args ? args->encoded_size : 0);
  mproc__writer_list(&w, args, 0, args ? args->count : 0);
  return mproc__writer_finish(&w, buf, len);
}

void mproc__args_encode_to(const mproc_args *args, uint8_t *out) {
  size_t i;
  uint8_t *p = out + MPROC__ARGS_HEADER;
  put_list_header(out, (uint32_t)args->count);
  for (i = 0; i < args->count; i++)
    p = put_item(p, &args->items[i]);
}

/* ---- reader ---- */

mproc_status mproc__reader_open(mproc__reader *r, const uint8_t *buf, size_t len) {
  uint32_t count;
  if (!buf || len < MPROC__ARGS_HEADER || len > MPROC_ARGS_MAX_SIZE)
    return mproc__fail(MPROC_EPROTO, "arguments: %zu bytes is not a valid size", len);
  if (buf[0] != ARGS_MAGIC0 || buf[1] != ARGS_MAGIC1 || buf[3] != 0)
    return mproc__fail(MPROC_EPROTO, "arguments: bad magic or flags");
  if (buf[2] != ARGS_VERSION)
    return mproc__fail(MPROC_EPROTO, "arguments: encoding version %u, expected %u", buf[2],
                       ARGS_VERSION);
  count = mproc__get_u32(buf + 4);
  /* Every value takes at least one byte: a count that cannot fit is rejected
   * before anything is allocated. */
  if (count > MPROC_ARGS_MAX_COUNT || count > len - MPROC__ARGS_HEADER)
    return mproc__fail(MPROC_EPROTO, "arguments: count %u does not fit %zu bytes", count, len);
  r->p = buf + MPROC__ARGS_HEADER;
  r->left = len - MPROC__ARGS_HEADER;
  r->values = count;
  r->depth = 1;
  return MPROC_OK;
}

/* Takes @n bytes (a value's fixed part), or fails as truncated. */
static const uint8_t *take_bytes(mproc__reader *r, size_t n) {
  const uint8_t *q = r->p;
  if (r->left < n)
    return NULL;
  r->p += n;
  r->left -= n;
  return q;
}

/* An object reference: kind, size and a name of safe characters only (the
 * receiver opens it by name). */
static mproc_status read_object(mproc__reader *r, mproc_args *a) {
  const uint8_t *q = take_bytes(r, 1 + 8 + 4);
  uint64_t size;
  uint32_t n, i;
  uint8_t kind;
  if (!q)
    return mproc__fail(MPROC_EPROTO, "arguments: truncated object reference");
  kind = q[0];
  size = mproc__get_u64(q + 1);
  n = mproc__get_u32(q + 9);
  if (kind < MPROC__KIND_SHM || kind >= MPROC__KIND_END || size < MPROC__SEG_HEADER ||
      size > MPROC__SEG_HEADER + MPROC_SHM_MAX_SIZE)
    return mproc__fail(MPROC_EPROTO, "arguments: object of kind %u and size %llu is not valid",
                       kind, (unsigned long long)size);
  if (n == 0 || n >= MPROC__NAME_MAX || (q = take_bytes(r, n)) == NULL)
    return mproc__fail(MPROC_EPROTO, "arguments: object name of %u bytes is not valid", n);
  for (i = 0; i < n; i++) {
    uint8_t c = q[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
      return mproc__fail(MPROC_EPROTO, "arguments: object name holds byte %u", c);
  }
  return mproc__args_push_copy(a, MPROC_TYPE_OBJECT, kind, size, q, n, "decoding arguments");
}

/* A string or bytes value: its length, then that many bytes. */
static mproc_status read_buffer(mproc__reader *r, mproc_type type, mproc_args *a) {
  const uint8_t *q = take_bytes(r, 4);
  uint32_t n;
  if (!q)
    return mproc__fail(MPROC_EPROTO, "arguments: truncated length");
  n = mproc__get_u32(q);
  if ((q = take_bytes(r, n)) == NULL)
    return mproc__fail(MPROC_EPROTO, "arguments: length %u exceeds the %zu bytes left", n, r->left);
  if (type == MPROC_TYPE_STR && n && memchr(q, 0, n))
    return mproc__fail(MPROC_EPROTO, "arguments: string holds a NUL byte");
  return mproc__args_push_copy(a, type, 0, 0, q, n, "decoding arguments");
}

/* A nested list: its length, then its encoding, read by a reader of its
 * own one level deeper, into a list with room for exactly its values. */
static mproc_status read_list(mproc__reader *r, mproc_args *a) {
  const uint8_t *q = take_bytes(r, 4);
  mproc__reader sub;
  mproc_args *list = NULL;
  item it;
  uint32_t n;
  mproc_status st;
  if (!q)
    return mproc__fail(MPROC_EPROTO, "arguments: truncated length");
  n = mproc__get_u32(q);
  if ((q = take_bytes(r, n)) == NULL)
    return mproc__fail(MPROC_EPROTO, "arguments: list of %u bytes exceeds the %zu bytes left", n,
                       r->left);
  if (r->depth >= MPROC_ARGS_MAX_DEPTH) /* before any recursion */
    return mproc__fail(MPROC_EPROTO, "arguments: lists nested over %u deep", MPROC_ARGS_MAX_DEPTH);
  st = mproc__reader_open(&sub, q, n);
  sub.depth = r->depth + 1;
  if (st == MPROC_OK)
    st = mproc__args_create_exact(sub.values, &list, "decoding arguments");
  if (st == MPROC_OK)
    st = mproc__reader_take(&sub, sub.values, list);
  if (st == MPROC_OK)
    st = mproc__reader_end(&sub);
  if (st == MPROC_OK) {
    memset(&it, 0, sizeof it);
    it.type = MPROC_TYPE_LIST;
    it.len = n; /* = list->encoded_size: the reader took exactly n bytes */
    it.v.list = list;
    st = mproc__args_push(a, &it, "decoding arguments");
  }
  if (st != MPROC_OK && list)
    mproc_args_destroy(list);
  return st;
}

/* Reads the next value and appends it to @a. */
static mproc_status read_item(mproc__reader *r, mproc_args *a) {
  const uint8_t *q = take_bytes(r, 1);
  item it;
  uint64_t bits;
  if (!q)
    return mproc__fail(MPROC_EPROTO, "arguments: truncated before a value tag");
  it.type = q[0];
  switch (q[0]) {
  case MPROC_TYPE_I64:
  case MPROC_TYPE_F64:
    if ((q = take_bytes(r, 8)) == NULL)
      return mproc__fail(MPROC_EPROTO, "arguments: truncated number");
    bits = mproc__get_u64(q);
    if (it.type == MPROC_TYPE_I64)
      it.v.i64 = (int64_t)bits;
    else
      memcpy(&it.v.f64, &bits, 8);
    return mproc__args_push(a, &it, "decoding arguments");
  case MPROC_TYPE_BOOL:
    if ((q = take_bytes(r, 1)) == NULL || q[0] > 1)
      return mproc__fail(MPROC_EPROTO, "arguments: truncated or invalid bool");
    it.v.b = q[0];
    return mproc__args_push(a, &it, "decoding arguments");
  case MPROC_TYPE_STR:
  case MPROC_TYPE_BYTES:
    return read_buffer(r, it.type, a);
  case MPROC_TYPE_OBJECT:
    return read_object(r, a);
  case MPROC_TYPE_NONE:
    memset(&it.v, 0, sizeof it.v);
    return mproc__args_push(a, &it, "decoding arguments");
  case MPROC_TYPE_LIST:
    return read_list(r, a);
  default:
    return mproc__fail(MPROC_EPROTO, "arguments: unknown value tag %u", (unsigned)q[0]);
  }
}

/* Up to @n numbers appended to @dst while they are numbers, where @dst and
 * the bytes left are known to have room for all of them: one check per
 * value (a map's RESULT). @return how many. */
static size_t take_numbers(mproc__reader *r, size_t n, mproc_args *dst) {
  const uint8_t *q = r->p;
  item *it, *stop;
  if (n == 0 || n > r->left / 9 || n > dst->capacity - dst->count ||
      n > MPROC_ARGS_MAX_COUNT - dst->count || n > (MPROC_ARGS_MAX_SIZE - dst->encoded_size) / 9)
    return 0;
  it = dst->items + dst->count;
  stop = it + n;
  for (; it < stop && mproc__is_number(q[0]); it++, q += 9) {
    it->type = q[0];
    it->kind = 0;
    it->len = 0;
    it->v.i64 = (int64_t)mproc__get_u64(q + 1);
  }
  n = (size_t)(it - (dst->items + dst->count));
  dst->count += n;
  dst->encoded_size += 9 * n;
  r->left -= 9 * n;
  r->p = q;
  return n;
}

mproc_status mproc__reader_take(mproc__reader *r, size_t n, mproc_args *dst) {
  size_t before = dst->count, i;
  mproc_status st = MPROC_OK;
  if (n > r->values)
    return mproc__fail(MPROC_EPROTO, "arguments: %zu values wanted, %u left", n, r->values);
  i = take_numbers(r, n, dst);
  for (; i < n && st == MPROC_OK; i++)
    if (!mproc__take_number(r, dst))
      st = read_item(r, dst);
  r->values -= (uint32_t)i;
  if (st == MPROC_ERANGE)
    st = mproc__fail(MPROC_EPROTO, "arguments: over the size limits");
  if (st != MPROC_OK) {
    r->values = 0; /* a broken reader reads nothing more */
    r->left = 0;
    while (dst->count > before)
      mproc__args_drop_last(dst);
  }
  return st;
}

mproc_status mproc__reader_i64(mproc__reader *r, int64_t *v) {
  const uint8_t *q;
  if (!r->values || r->left < 9 || r->p[0] != MPROC_TYPE_I64)
    return mproc__fail(MPROC_EPROTO, "arguments: expected a number");
  q = take_bytes(r, 9);
  r->values--;
  *v = (int64_t)mproc__get_u64(q + 1);
  return MPROC_OK;
}

mproc_status mproc__reader_bytes(mproc__reader *r, const uint8_t **data, size_t *len) {
  uint32_t n;
  if (!r->values || r->left < 5 || r->p[0] != MPROC_TYPE_BYTES ||
      (n = mproc__get_u32(r->p + 1)) > r->left - 5)
    return mproc__fail(MPROC_EPROTO, "arguments: expected bytes");
  take_bytes(r, 5);
  *data = take_bytes(r, n);
  *len = n;
  r->values--;
  return MPROC_OK;
}

mproc_status mproc__reader_end(const mproc__reader *r) {
  if (r->values || r->left)
    return mproc__fail(MPROC_EPROTO, "arguments: %u values and %zu bytes left over", r->values,
                       r->left);
  return MPROC_OK;
}

mproc_status mproc__args_decode(const uint8_t *buf, size_t len, mproc_args **out) {
  mproc__reader r;
  mproc_args *a = NULL;
  mproc_status st = mproc__reader_open(&r, buf, len);
  if (st == MPROC_OK && (st = mproc_args_create(&a)) == MPROC_OK &&
      (st = mproc__args_reserve(a, r.values)) == MPROC_OK &&
      (st = mproc__reader_take(&r, r.values, a)) == MPROC_OK)
    st = mproc__reader_end(&r);
  if (st != MPROC_OK) {
    if (a)
      mproc_args_destroy(a);
    return st;
  }
  *out = a;
  return MPROC_OK;
}

/* A list of numbers only, into a list with room and nothing that owns
 * memory (a queue's usual message): one pass, no reader. 1 when done, 0
 * when the general path must decode it (nothing written then). */
static int decode_numbers(const uint8_t *buf, size_t len, mproc_args *into) {
  uint32_t count, i;
  const uint8_t *q = buf + MPROC__ARGS_HEADER;
  if (len < MPROC__ARGS_HEADER || len > MPROC_ARGS_MAX_SIZE || buf[0] != ARGS_MAGIC0 ||
      buf[1] != ARGS_MAGIC1 || buf[2] != ARGS_VERSION || buf[3] != 0 || into->buffers || into->view)
    return 0;
  count = mproc__get_u32(buf + 4);
  if (count > into->capacity || (size_t)count * 9 != len - MPROC__ARGS_HEADER)
    return 0;
  for (i = 0; i < count; i++)
    if (!mproc__is_number(q[9 * (size_t)i]))
      return 0;
  for (i = 0; i < count; i++, q += 9) {
    mproc__item *it = &into->items[i];
    it->type = q[0];
    it->kind = 0;
    it->len = 0;
    it->v.i64 = (int64_t)mproc__get_u64(q + 1);
  }
  into->count = count;
  into->encoded_size = len;
  return 1;
}

mproc_status mproc__args_decode_into(const uint8_t *buf, size_t len, mproc_args *into) {
  mproc__reader r;
  mproc_status st;
  if (decode_numbers(buf, len, into))
    return MPROC_OK;
  st = mproc__reader_open(&r, buf, len);
  mproc__args_reset(into);
  if (st == MPROC_OK)
    st = mproc__args_reserve(into, r.values);
  if (st == MPROC_OK)
    st = mproc__reader_take(&r, r.values, into);
  if (st == MPROC_OK)
    st = mproc__reader_end(&r);
  if (st != MPROC_OK)
    mproc__args_clear(into);
  return st;
}
