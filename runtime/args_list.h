/*
 * The representation of an mproc_args, private to runtime/args.c (the list)
 * and runtime/args_wire.c (its encoding, whole or value by value), and the
 * number fast paths they share with a pool worker's per-call loop
 * (runtime/worker.c), inline: a map's call costs a few instructions around
 * the user's function, not a chain of calls.
 */
#ifndef MPROC_ARGS_LIST_H
#define MPROC_ARGS_LIST_H

#include "internal.h"

/* 16 bytes: a list of a million numbers is 16 MB. An object's segment size
 * is kept after its name's NUL (see mproc__item_objsize()). */
typedef struct mproc__item {
  uint8_t type; /* mproc_type */
  uint8_t kind; /* OBJECT: the mproc__kind */
  uint32_t len; /* STR, BYTES, OBJECT: the buffer's size, without the terminator */
  union {
    int64_t i64;
    double f64;
    int b;
    uint8_t *data; /* NUL-terminated; NULL when empty */
  } v;
} mproc__item;

struct mproc_args {
  mproc__item *items;
  size_t count;
  size_t capacity;
  size_t encoded_size; /* the size its encoding takes */
  size_t buffers;      /* values that own a buffer: destroy walks the list only if any */
  int view;            /* items is a range of another list's array (mproc__args_view()) */
};

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
  default:
    return 1 + 4 + (size_t)it->len;
  }
}
/* The encoding's byte order: little-endian, whatever the host's. */
static inline void mproc__put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t mproc__get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void mproc__put_u64(uint8_t *p, uint64_t v) {
  mproc__put_u32(p, (uint32_t)v);
  mproc__put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t mproc__get_u64(const uint8_t *p) {
  return mproc__get_u32(p) | (uint64_t)mproc__get_u32(p + 4) << 32;
}

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

/* Appends a copy of @it (a buffer it holds is taken over, not copied),
 * enforcing the limits; on failure the list is unchanged. */
mproc_status mproc__args_push(mproc_args *a, const mproc__item *it, const char *fn);
/* Appends a copy of @size bytes as @type (objects: with @kind and segment @objsize). */
mproc_status mproc__args_push_copy(mproc_args *a, mproc_type type, uint8_t kind, uint64_t objsize,
                                   const void *data, size_t size, const char *fn);

#endif
