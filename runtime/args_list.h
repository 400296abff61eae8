/*
 * The representation of an mproc_args, private to runtime/args.c (the list)
 * and runtime/args_wire.c (its encoding, whole or value by value).
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
/* Appends a copy of @it (a buffer it holds is taken over, not copied),
 * enforcing the limits; on failure the list is unchanged. */
mproc_status mproc__args_push(mproc_args *a, const mproc__item *it, const char *fn);
/* Appends a copy of @size bytes as @type (objects: with @kind and segment @objsize). */
mproc_status mproc__args_push_copy(mproc_args *a, mproc_type type, uint8_t kind, uint64_t objsize,
                                   const void *data, size_t size, const char *fn);

#endif
