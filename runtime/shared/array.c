/*
 * Typed shared arrays (Python's Value, Array, RawValue, RawArray): values of
 * one C type (mproc_elem) after a small state, with an optional shared mutex
 * for compound updates. Each single-element get/set/add of a number is one
 * atomic operation on the word that holds it, so it is safe without the
 * lock: 8- and 4-byte values are words themselves; 1- and 2-byte values
 * change by compare-and-swap of their aligned 4-byte word, so a neighbour's
 * concurrent change is never lost. Floats travel as their bit patterns.
 * Records (MPROC_ELEM_RECORD) are plain bytes: consistent under the lock.
 *
 * The element type, the length and whether there is a lock are copied into
 * the handle when it is created or opened, after validation: the segment is
 * writable by every process mapping it, and an index check against a length
 * re-read from it could be bypassed by rewriting that length.
 */
#include <string.h>

#include "shared/mutex.h"

/* Header flag: the array carries a lock. */
#define ARRAY_LOCKED 0x01u

struct mproc_array {
  mproc__obj obj;
  mproc_elem elem;
  size_t size; /* of one element */
  size_t length;
  int has_lock;
};

/* The values follow the state; its size is a multiple of 8 (checked below),
 * so they are 8-byte aligned in the page-aligned mapping. */
typedef struct array_state {
  mproc__mutex mutex; /* used only with ARRAY_LOCKED */
  uint32_t type;      /* the mproc_elem */
  uint32_t size;      /* of one element */
  uint64_t length;
} array_state;

_Static_assert(sizeof(array_state) % 8 == 0, "the values must stay 8-byte aligned");

#define RECORD_MAX 65536u /* bytes of one record */

static array_state *state(const mproc_array *a) { return mproc__obj_state(&a->obj); }

static uint8_t *values(const mproc_array *a) { return (uint8_t *)(state(a) + 1); }

/* One element's size (0: not an element type); records take theirs. */
static size_t elem_size(uint32_t elem, size_t record) {
  switch (elem) {
  case MPROC_ELEM_I8:
  case MPROC_ELEM_U8:
  case MPROC_ELEM_BOOL:
    return 1;
  case MPROC_ELEM_I16:
  case MPROC_ELEM_U16:
    return 2;
  case MPROC_ELEM_I32:
  case MPROC_ELEM_U32:
  case MPROC_ELEM_F32:
    return 4;
  case MPROC_ELEM_I64:
  case MPROC_ELEM_U64:
  case MPROC_ELEM_F64:
    return 8;
  case MPROC_ELEM_RECORD:
    return record >= 1 && record <= RECORD_MAX ? record : 0;
  default:
    return 0;
  }
}

static const char *elem_name(mproc_elem e) {
  static const char *const names[] = {"",      "int64",  "double", "bool",   "",       "",
                                      "",      "",       "",       "",       "",       "",
                                      "",      "",       "",       "",       "int8",   "uint8",
                                      "int16", "uint16", "int32",  "uint32", "uint64", "float"};
  if (e == MPROC_ELEM_RECORD)
    return "records";
  return (size_t)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

/* Bytes of @length elements of @size, rounded up to 8 (1- and 2-byte
 * values are changed through their 4-byte word, which stays inside). */
static size_t data_bytes(size_t size, size_t length) { return (size * length + 7) & ~(size_t)7; }

static int usable(const mproc_array *a) {
  return a && a->obj.live == MPROC__OBJ_LIVE && a->obj.kind == MPROC__KIND_ARRAY;
}

mproc_status mproc_array_create(mproc_array **array, mproc_elem elem, size_t length,
                                const mproc_array_options *options) {
  static const char fn[] = "mproc_array_create";
  int locked = options && options->lock;
  size_t record = options ? options->record_size : 0;
  size_t size = elem_size((uint32_t)elem, record);
  mproc_array *a = NULL;
  mproc_status st;
  if (!array)
    return mproc__fail(MPROC_EINVAL, "%s: array is NULL", fn);
  if ((st = MPROC__CHECK_RESERVED(options, fn, "options")) != MPROC_OK)
    return st;
  if (elem == MPROC_ELEM_RECORD && size == 0)
    return mproc__fail(MPROC_ERANGE, "%s: a record of %zu bytes (1 to %u)", fn, record, RECORD_MAX);
  if (size == 0)
    return mproc__fail(MPROC_ETYPE, "%s: %d is not an element type (mproc_elem)", fn, (int)elem);
  /* Also keeps the segment's size from overflowing a 32-bit size_t. */
  if (length == 0 || length > (MPROC_SHM_MAX_SIZE - sizeof(array_state)) / size ||
      length > (SIZE_MAX - MPROC__SEG_HEADER - sizeof(array_state) - 8) / size)
    return mproc__fail(MPROC_ERANGE, "%s: length %llu is 0 or too large", fn,
                       (unsigned long long)length);
  st =
      mproc__obj_new((mproc__obj **)&a, sizeof(mproc_array), MPROC__KIND_ARRAY,
                     sizeof(array_state) + data_bytes(size, length), locked ? ARRAY_LOCKED : 0, fn);
  if (st != MPROC_OK)
    return st;
  a->elem = elem;
  a->size = size;
  a->length = length;
  a->has_lock = locked;
  state(a)->type = (uint32_t)elem;
  state(a)->size = (uint32_t)size;
  state(a)->length = length;
  mproc__obj_publish(&a->obj); /* the mutex and the values are ready as zeros */
  *array = a;
  return MPROC_OK;
}

/* Takes the type, length and lock flag from what another process wrote,
 * reading each field once (it may be rewritten meanwhile): known flags, a
 * valid type, and a length whose values fit in this process's own mapping. */
static mproc_status adopt_segment(mproc__obj *o) {
  mproc_array *a = (mproc_array *)o;
  array_state *s = state(a);
  uint8_t flags = mproc__obj_flags(&a->obj);
  uint32_t type = mproc__load32(&s->type), record = mproc__load32(&s->size);
  uint64_t length = mproc__load64(&s->length);
  size_t size = elem_size(type, record);
  uint64_t room = a->obj.shm.size - MPROC__SEG_HEADER - sizeof(array_state);
  if ((flags & ~ARRAY_LOCKED) != 0 || size == 0 || record != size || length == 0 ||
      length > room / size || data_bytes(size, (size_t)length) > room)
    return mproc__fail(MPROC_EPROTO, "mproc_args_open_array: %s holds an invalid array state",
                       o->name);
  a->elem = (mproc_elem)type;
  a->size = size;
  a->length = (size_t)length;
  a->has_lock = (flags & ARRAY_LOCKED) != 0;
  return MPROC_OK;
}

static mproc_status open_array(mproc_array **array, const char *name, uint64_t size) {
  return mproc__obj_open_adopt((mproc__obj **)array, sizeof(mproc_array), MPROC__KIND_ARRAY, name,
                               size, sizeof(array_state) + 8, adopt_segment,
                               "mproc_args_open_array");
}

MPROC__DEFINE_ARGS_OBJECT(array, MPROC__KIND_ARRAY)

size_t mproc_array_length(const mproc_array *a) { return usable(a) ? a->length : 0; }

mproc_elem mproc_array_elem(const mproc_array *a) { return usable(a) ? a->elem : MPROC_ELEM_NONE; }

size_t mproc_array_elem_size(const mproc_array *a) { return usable(a) ? a->size : 0; }

void *mproc_array_data(const mproc_array *a) { return usable(a) ? (void *)values(a) : NULL; }

/* The checks of every element access: a live array, of @elem unless it is
 * MPROC_ELEM_NONE (any), and a valid index. */
static mproc_status check_element(const mproc_array *a, mproc_elem elem, size_t index,
                                  const char *fn) {
  mproc_status st = mproc__obj_check((const mproc__obj *)a, MPROC__KIND_ARRAY, fn);
  if (st != MPROC_OK)
    return st;
  if (elem != MPROC_ELEM_NONE && a->elem != elem)
    return mproc__fail(MPROC_ETYPE, "%s: %s is an array of %s", fn, a->obj.name,
                       elem_name(a->elem));
  if (index >= a->length)
    return mproc__fail(MPROC_ERANGE, "%s: index %llu is past the length %llu", fn,
                       (unsigned long long)index, (unsigned long long)a->length);
  return MPROC_OK;
}

/* As check_element, for getters: also somewhere to put the value. */
static mproc_status check_get(const mproc_array *a, mproc_elem elem, size_t index,
                              const void *value, const char *fn) {
  return value ? check_element(a, elem, index, fn)
               : mproc__fail(MPROC_EINVAL, "%s: value is NULL", fn);
}

static volatile uint64_t *word64(const mproc_array *a, size_t index) {
  return (volatile uint64_t *)(values(a) + 8 * index);
}

mproc_status mproc_array_get_i64(const mproc_array *a, size_t index, int64_t *value) {
  static const char fn[] = "mproc_array_get_i64";
  mproc_status st = check_get(a, MPROC_ELEM_I64, index, value, fn);
  if (st == MPROC_OK)
    *value = (int64_t)mproc__load64(word64(a, index));
  return st;
}

mproc_status mproc_array_set_i64(mproc_array *a, size_t index, int64_t value) {
  static const char fn[] = "mproc_array_set_i64";
  mproc_status st = check_element(a, MPROC_ELEM_I64, index, fn);
  if (st == MPROC_OK)
    mproc__store64(word64(a, index), (uint64_t)value);
  return st;
}

mproc_status mproc_array_get_f64(const mproc_array *a, size_t index, double *value) {
  static const char fn[] = "mproc_array_get_f64";
  mproc_status st = check_get(a, MPROC_ELEM_F64, index, value, fn);
  uint64_t bits;
  if (st != MPROC_OK)
    return st;
  bits = mproc__load64(word64(a, index));
  memcpy(value, &bits, sizeof bits);
  return MPROC_OK;
}

mproc_status mproc_array_set_f64(mproc_array *a, size_t index, double value) {
  static const char fn[] = "mproc_array_set_f64";
  mproc_status st = check_element(a, MPROC_ELEM_F64, index, fn);
  uint64_t bits;
  if (st != MPROC_OK)
    return st;
  memcpy(&bits, &value, sizeof bits);
  mproc__store64(word64(a, index), bits);
  return MPROC_OK;
}

/* ---- any element type ---- */

/* The aligned 4-byte word holding element @index of an array of 1-, 2- or
 * 4-byte values, and the element's bit position in it. */
static volatile uint32_t *word32(const mproc_array *a, size_t index, unsigned *shift) {
  static const uint32_t one = 1;
  size_t at = index * a->size;
  unsigned byte = (unsigned)(at & 3);
  if (*(const uint8_t *)&one == 0) /* big-endian: the first byte is the highest */
    byte = 4 - (unsigned)a->size - byte;
  *shift = 8 * byte;
  return (volatile uint32_t *)(values(a) + (at & ~(size_t)3));
}

static uint32_t mask32(size_t size) { return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1; }

/* Element @index's bits (a number), read atomically. */
static uint64_t load_bits(const mproc_array *a, size_t index) {
  unsigned shift;
  volatile uint32_t *w;
  if (a->size == 8)
    return mproc__load64(word64(a, index));
  w = word32(a, index, &shift);
  return (mproc__load32(w) >> shift) & mask32(a->size);
}

/* Element @index (a number) becomes @v, or old + @v with @add, atomically;
 * the old bits. Smaller values change by compare-and-swap of their word, so
 * a concurrent change of a neighbour in the same word is kept. */
static uint64_t update_bits(mproc_array *a, size_t index, int add, uint64_t v) {
  unsigned shift;
  uint32_t m = mask32(a->size);
  volatile uint32_t *w;
  if (a->size == 8 && add)
    return mproc__add64(word64(a, index), v);
  if (a->size == 8) {
    mproc__store64(word64(a, index), v);
    return 0; /* (a set's old value is not wanted) */
  }
  w = word32(a, index, &shift);
  for (;;) {
    uint32_t old = mproc__load32(w), bits = (old >> shift) & m;
    uint32_t next = (uint32_t)((add ? bits + v : v) & m);
    if (mproc__cas32(w, old, (old & ~(m << shift)) | next << shift))
      return bits;
  }
}

/* The C object at @value (of the element's size) as bits, and back. */
static uint64_t bits_from(const void *value, size_t size) {
  uint8_t b8;
  uint16_t b16;
  uint32_t b32;
  uint64_t b64;
  switch (size) {
  case 1:
    memcpy(&b8, value, 1);
    return b8;
  case 2:
    memcpy(&b16, value, 2);
    return b16;
  case 4:
    memcpy(&b32, value, 4);
    return b32;
  default:
    memcpy(&b64, value, 8);
    return b64;
  }
}
static void bits_to(void *value, size_t size, uint64_t bits) {
  uint8_t b8 = (uint8_t)bits;
  uint16_t b16 = (uint16_t)bits;
  uint32_t b32 = (uint32_t)bits;
  switch (size) {
  case 1:
    memcpy(value, &b8, 1);
    break;
  case 2:
    memcpy(value, &b16, 2);
    break;
  case 4:
    memcpy(value, &b32, 4);
    break;
  default:
    memcpy(value, &bits, 8);
  }
}

mproc_status mproc_array_get(const mproc_array *a, size_t index, void *value) {
  mproc_status st = check_get(a, MPROC_ELEM_NONE, index, value, "mproc_array_get");
  if (st != MPROC_OK)
    return st;
  if (a->elem == MPROC_ELEM_RECORD)
    memcpy(value, values(a) + index * a->size, a->size);
  else
    bits_to(value, a->size, load_bits(a, index));
  return MPROC_OK;
}

mproc_status mproc_array_set(mproc_array *a, size_t index, const void *value) {
  mproc_status st = check_get(a, MPROC_ELEM_NONE, index, value, "mproc_array_set");
  uint64_t bits;
  if (st != MPROC_OK)
    return st;
  if (a->elem == MPROC_ELEM_RECORD) {
    memcpy(values(a) + index * a->size, value, a->size);
    return MPROC_OK;
  }
  bits = bits_from(value, a->size);
  if (a->elem == MPROC_ELEM_BOOL)
    bits = bits != 0;
  update_bits(a, index, 0, bits);
  return MPROC_OK;
}

static int is_integer(mproc_elem e) {
  return e == MPROC_ELEM_I64 || (e >= MPROC_ELEM_I8 && e <= MPROC_ELEM_U64);
}
static int is_signed(mproc_elem e) {
  return e == MPROC_ELEM_I64 || e == MPROC_ELEM_I8 || e == MPROC_ELEM_I16 || e == MPROC_ELEM_I32;
}

/* @bits of a @size-byte integer as an int64: sign-extended when @sign. */
static int64_t widen(uint64_t bits, size_t size, int sign) {
  uint64_t top = size == 8 ? 0 : (uint64_t)1 << (8 * size - 1);
  if (sign && top && (bits & top))
    bits |= ~((top << 1) - 1);
  return (int64_t)bits;
}

/* Adds @delta to integer element @index (checked): unsigned arithmetic in
 * the element's width, so it wraps around as C's does (a ctypes int64 too)
 * instead of being undefined. */
static mproc_status add_at(mproc_array *a, size_t index, int64_t delta, int64_t *previous) {
  uint64_t before = update_bits(a, index, 1, (uint64_t)delta);
  if (previous)
    *previous = widen(before, a->size, is_signed(a->elem));
  return MPROC_OK;
}

mproc_status mproc_array_add(mproc_array *a, size_t index, int64_t delta, int64_t *previous) {
  static const char fn[] = "mproc_array_add";
  mproc_status st = check_element(a, MPROC_ELEM_NONE, index, fn);
  if (st != MPROC_OK)
    return st;
  if (!is_integer(a->elem))
    return mproc__fail(MPROC_ETYPE, "%s: %s is an array of %s, not of integers", fn, a->obj.name,
                       elem_name(a->elem));
  return add_at(a, index, delta, previous);
}

mproc_status mproc_array_add_i64(mproc_array *a, size_t index, int64_t delta, int64_t *previous) {
  mproc_status st = check_element(a, MPROC_ELEM_I64, index, "mproc_array_add_i64");
  return st != MPROC_OK ? st : add_at(a, index, delta, previous);
}

/* The array's mutex, or an error: not a live array, or one without a lock. */
static mproc_status lock_of(mproc_array *a, mproc__mutex **m, const char *fn) {
  mproc_status st = mproc__obj_check((const mproc__obj *)a, MPROC__KIND_ARRAY, fn);
  if (st != MPROC_OK)
    return st;
  if (!a->has_lock)
    return mproc__fail(MPROC_ESTATE, "%s: %s was created without a lock", fn, a->obj.name);
  *m = &state(a)->mutex;
  return MPROC_OK;
}

mproc_status mproc_array_lock(mproc_array *a, int64_t timeout_ms) {
  mproc__mutex *m = NULL;
  mproc_status st = lock_of(a, &m, "mproc_array_lock");
  return st ? st : mproc__mutex_lock(&a->obj, m, timeout_ms);
}

mproc_status mproc_array_unlock(mproc_array *a) {
  mproc__mutex *m = NULL;
  mproc_status st = lock_of(a, &m, "mproc_array_unlock");
  return st ? st : mproc__mutex_unlock(&a->obj, m, "mproc_array_unlock");
}

mproc_status mproc_array_close(mproc_array *a) {
  return mproc__obj_close((mproc__obj *)a, MPROC__KIND_ARRAY, "mproc_array_close");
}

mproc_status mproc_array_destroy(mproc_array *a) {
  return mproc__obj_destroy((mproc__obj *)a, MPROC__KIND_ARRAY, "mproc_array_destroy");
}
