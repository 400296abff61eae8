/*
 * The representation of an mproc_args (args.c: the list; args_codec.c: its
 * encoding, whole or value by value), the internal operations on lists, and
 * the number fast paths shared with a pool worker's per-call loop
 * (pool/worker_main.c), inline: a map's call costs a few instructions
 * around the user's function, not a chain of calls.
 */
#ifndef MPROC_WIRE_ARGS_H
#define MPROC_WIRE_ARGS_H

#include "base/base.h"
#include "base/endian.h"
#include "mproc/args.h"

/* 16 bytes: a list of a million numbers is 16 MB. An object's segment size
 * is kept after its name's NUL (see mproc__item_objsize()). A LIST owns its
 * nested list, which never changes once inside (only a const view of it is
 * handed out), so the size its encoding takes is fixed: len keeps it, and
 * a LIST's encoded size is a string's rule, tag + u32 + len. */
typedef struct mproc__item {
  uint8_t type; /* mproc_type */
  uint8_t kind; /* OBJECT: the mproc__kind */
  uint32_t len; /* STR, BYTES, OBJECT: the buffer's size, without the terminator;
                 * LIST: the nested list's encoded_size */
  union {
    int64_t i64;
    double f64;
    int b;
    uint8_t *data;    /* NUL-terminated; NULL when empty */
    mproc_args *list; /* LIST: owned */
  } v;
} mproc__item;

struct mproc_args {
  mproc__item *items;
  size_t count;
  size_t capacity;
  size_t encoded_size; /* the size its encoding takes */
  size_t buffers;      /* values that own a buffer or a list: destroy walks only if any */
  int view;            /* items is a range of another list's array (mproc__args_view()) */
  /* Objects mproc_args_get_<kind>() opened from this list (index ->
   * handle), released when a value is dropped or the list destroyed. */
  struct mproc__args_cache *cache;
};

/* The opened-object cache (mproc_args_get_<kind>(), shared/object.h): wire
 * keeps the table; each entry says how its handle is released. */
void *mproc__args_cached(const mproc_args *a, size_t index);
mproc_status mproc__args_cache_put(const mproc_args *a, size_t index, void *handle,
                                   void (*close_fn)(void *handle));

/* The header of an encoding: "MA" version flags count:u32. */
#define MPROC__ARGS_HEADER 8u

/* An OBJECT's segment size. */
uint64_t mproc__item_objsize(const mproc__item *it);
/* What value @it takes encoded, its tag included (inline: it is on every
 * value's path, encoding and decoding). */
static inline size_t mproc__item_size(const mproc__item *it) {
  switch (it->type) {
  case MPROC_TYPE_I64:
  case MPROC_TYPE_F64:
    return 1 + 8;
  case MPROC_TYPE_BOOL:
    return 1 + 1;
  case MPROC_TYPE_NONE:
    return 1;
  case MPROC_TYPE_OBJECT:
    return 1 + 1 + 8 + 4 + (size_t)it->len;
  default: /* STR, BYTES, LIST: length-prefixed */
    return 1 + 4 + (size_t)it->len;
  }
}
/* Appends a copy of @it (a buffer it holds is taken over, not copied),
 * enforcing the limits; on failure the list is unchanged. */
mproc_status mproc__args_push(mproc_args *a, const mproc__item *it, const char *fn);
/* Appends a copy of @size bytes as @type (objects: with @kind and segment @objsize). */
mproc_status mproc__args_push_copy(mproc_args *a, mproc_type type, uint8_t kind, uint64_t objsize,
                                   const void *data, size_t size, const char *fn);
/* Appends a deep copy of @list as one LIST value (mproc_args_add_list()'s
 * checks: MPROC_ERANGE past MPROC_ARGS_MAX_DEPTH or the list's limits). */
mproc_status mproc__args_push_list(mproc_args *a, const mproc_args *list, const char *fn);
/* A new, empty list with room for exactly @n values: a nested list never
 * grows once it is inside another (a million records of three fields keep
 * three items each, not eight). */
mproc_status mproc__args_create_exact(size_t n, mproc_args **out, const char *fn);

/* The args codec (args_codec.c). Encoding: see the comment there.
 * NULL @args encodes as an empty list. */
mproc_status mproc__args_encode(const mproc_args *args, uint8_t **buf, size_t *len);
mproc_status mproc__args_decode(const uint8_t *buf, size_t len, mproc_args **args);
/* Writes @args's encoding (args->encoded_size bytes) at @out. */
void mproc__args_encode_to(const mproc_args *args, uint8_t *out);
/* Decodes into @into, whose values it replaces; on failure @into is left empty. */
mproc_status mproc__args_decode_into(const uint8_t *buf, size_t len, mproc_args *into);

/* Writes an encoding value by value. Errors are sticky (the calls after one
 * do nothing) and reported once, by mproc__writer_finish(), which frees the
 * buffer then; @hint: the size expected. */
typedef struct mproc__writer {
  uint8_t *buf;
  size_t len, cap;
  uint32_t count;
  mproc_status st;
} mproc__writer;
void mproc__writer_init(mproc__writer *w, size_t hint);
/* mproc__writer_init() into @from's memory, which the writer takes (and
 * grows if @hint needs it): @from is left empty. */
void mproc__writer_init_buf(mproc__writer *w, mproc__buf *from, size_t hint);
/* @return where the value's 8 bytes are, for mproc__args_patch_i64(). */
size_t mproc__writer_i64(mproc__writer *w, int64_t v);
/* Overwrites the i64 at @at (see mproc__writer_i64) of a finished encoding. */
void mproc__args_patch_i64(uint8_t *encoding, size_t at, int64_t v);
void mproc__writer_str(mproc__writer *w, const char *s);
void mproc__writer_bool(mproc__writer *w, int v);
void mproc__writer_bytes(mproc__writer *w, const void *data, size_t len);
/* Values [at, at + n) of @a (NULL: none). */
void mproc__writer_list(mproc__writer *w, const mproc_args *a, size_t at, size_t n);
/* One BYTES value holding the encoding of values [at, at + n) of @a. */
void mproc__writer_nested(mproc__writer *w, const mproc_args *a, size_t at, size_t n);
/* As mproc__writer_nested(), of @n numbers from a C array: int64_t for
 * MPROC_TYPE_I64, double for MPROC_TYPE_F64 (the typed maps' items). */
void mproc__writer_nested_numbers(mproc__writer *w, mproc_type type, const void *values, size_t n);
mproc_status mproc__writer_finish(mproc__writer *w, uint8_t **buf, size_t *len);

/* Reads an encoding value by value, checking everything a decoder checks;
 * mproc__reader_end() checks that nothing is left over. */
typedef struct mproc__reader {
  const uint8_t *p;
  size_t left;     /* bytes */
  uint32_t values; /* values not read yet */
  uint32_t depth;  /* the list being read: 1 at the top, one more per nested list */
} mproc__reader;
mproc_status mproc__reader_open(mproc__reader *r, const uint8_t *buf, size_t len);
mproc_status mproc__reader_i64(mproc__reader *r, int64_t *v);
/* A BYTES value, as a view into the encoding. */
mproc_status mproc__reader_bytes(mproc__reader *r, const uint8_t **data, size_t *len);
/* Appends the next @n values to @dst (all or nothing). */
mproc_status mproc__reader_take(mproc__reader *r, size_t n, mproc_args *dst);
mproc_status mproc__reader_end(const mproc__reader *r);

/* New lists copying values [at, at + n) / all of @src. */
mproc_status mproc__args_slice(const mproc_args *src, size_t at, size_t n, mproc_args **out);
mproc_status mproc__args_copy(const mproc_args *src, mproc_args **out);
/* mproc_args_create_packed() with a va_list; @fn names the caller in errors
 * (the functions that send a message packed in one call). */
mproc_status mproc__args_create_packedv(mproc_args **args, const char *format, va_list ap,
                                        const char *fn);
/* Appends copies of values [at, at + n) of @src to @dst (all or nothing). */
mproc_status mproc__args_append(mproc_args *dst, const mproc_args *src, size_t at, size_t n);
/* Room for @n more values (a hint: fewer if the limits say so). */
mproc_status mproc__args_reserve(mproc_args *a, size_t n);
/* A view: a list whose values are written straight into @of's array, at
 * [at, at + n) of its room, so that a decoder fills @of without a copy
 * (a map's chunks, decoded into the map's results). It never grows, and
 * destroying it frees only the values it still holds. */
mproc_status mproc__args_view(mproc_args *of, size_t at, size_t n, mproc_args **view);
/* Whether @view is a view of @a's next values (at a's count). */
int mproc__args_view_next(const mproc_args *a, const mproc_args *view);
/* Makes the values of @view (see mproc__args_view_next()) @a's, within @a's
 * limits; @view is left empty. */
mproc_status mproc__args_adopt(mproc_args *a, mproc_args *view);
void mproc__args_drop_last(mproc_args *a);
/* Empties @a (keeps its storage). */
void mproc__args_clear(mproc_args *a);

/* An object reference (MPROC_TYPE_OBJECT): its kind, its name and its
 * segment's size; shared/ gives the kinds their meaning. get: MPROC_ETYPE
 * unless value @index is an object of @kind; *name points into @args. */
mproc_status mproc__args_add_object(mproc_args *args, uint8_t kind, const char *name, uint64_t size,
                                    const char *fn);
mproc_status mproc__args_get_object(const mproc_args *args, size_t index, uint8_t kind,
                                    const char **name, uint64_t *size, const char *fn);

/* ---- the number fast paths ---- */

/* Numbers are most of what a map moves: they skip the general per-value
 * paths where there is room (the union's 8 bytes are the number's bits,
 * whichever its type). */
static inline int mproc__is_number(uint8_t type) {
  return type == MPROC_TYPE_I64 || type == MPROC_TYPE_F64;
}

/* @it written if it is a number and the buffer has room; else 0 (and
 * after an error: see mproc__writer). */
static inline int mproc__write_number(mproc__writer *w, const mproc__item *it) {
  uint8_t *p;
  if (w->st != MPROC_OK || !mproc__is_number(it->type) || w->count >= MPROC_ARGS_MAX_COUNT ||
      9 > w->cap - w->len)
    return 0;
  p = w->buf + w->len;
  p[0] = it->type;
  mproc__put_u64(p + 1, (uint64_t)it->v.i64);
  w->len += 9;
  w->count++;
  return 1;
}

/* The reader's next value appended to @dst if it is a number and @dst has
 * room (as push would); else 0. Leaves r->values to the caller. */
static inline int mproc__take_number(mproc__reader *r, mproc_args *dst) {
  const uint8_t *q = r->p;
  mproc__item *it;
  if (r->left < 9 || !mproc__is_number(q[0]) || dst->count >= dst->capacity ||
      dst->count >= MPROC_ARGS_MAX_COUNT || 9 > MPROC_ARGS_MAX_SIZE - dst->encoded_size)
    return 0;
  it = &dst->items[dst->count++];
  it->type = q[0];
  it->kind = 0;
  it->len = 0;
  it->v.i64 = (int64_t)mproc__get_u64(q + 1);
  dst->encoded_size += 9;
  r->p += 9;
  r->left -= 9;
  return 1;
}

/* Empties @a: a few stores when it holds no buffer. */
static inline void mproc__args_reset(mproc_args *a) {
  if (a->buffers) {
    mproc__args_clear(a);
    return;
  }
  a->count = 0;
  a->encoded_size = MPROC__ARGS_HEADER;
}

/* Makes @dst the list of the reader's next value alone (a map's item per
 * call). */
static inline mproc_status mproc__reader_next(mproc__reader *r, mproc_args *dst) {
  mproc__args_reset(dst);
  if (r->values && mproc__take_number(r, dst)) {
    r->values--;
    return MPROC_OK;
  }
  return mproc__reader_take(r, 1, dst);
}

/* Writes @a's value if it holds exactly one (a map's usual result): 1;
 * else 0, writing nothing. */
static inline int mproc__writer_one(mproc__writer *w, const mproc_args *a) {
  if (a->count != 1)
    return 0;
  if (!mproc__write_number(w, &a->items[0]))
    mproc__writer_list(w, a, 0, 1);
  return 1;
}

#endif
