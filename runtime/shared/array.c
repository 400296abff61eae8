/*
 * Typed shared arrays (Python's Value, Array, RawValue, RawArray): 64-bit
 * values after a small state, with an optional shared mutex for compound
 * updates. Each single-element get/set/add is one 64-bit atomic operation,
 * so it is safe without the lock; doubles travel as their bit patterns.
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
  mproc_type type;
  size_t length;
  int has_lock;
};

/* The values follow the state; its size is a multiple of 8 (checked below),
 * so they are 8-byte aligned in the page-aligned mapping. */
typedef struct array_state {
  mproc__mutex mutex; /* used only with ARRAY_LOCKED */
  uint32_t type;
  uint32_t reserved;
  uint64_t length;
} array_state;

_Static_assert(sizeof(array_state) % 8 == 0, "the values must stay 8-byte aligned");

/* The most values a segment may hold (MPROC_SHM_MAX_SIZE bytes of state). */
#define MAX_LENGTH ((MPROC_SHM_MAX_SIZE - sizeof(array_state)) / 8)

static array_state *state(const mproc_array *a) { return mproc__obj_state(&a->obj); }

static volatile uint64_t *values(const mproc_array *a) {
  return (volatile uint64_t *)(state(a) + 1);
}

static int usable(const mproc_array *a) {
  return a && a->obj.live == MPROC__OBJ_LIVE && a->obj.kind == MPROC__KIND_ARRAY;
}

mproc_status mproc_array_create(mproc_array **array, mproc_type type, size_t length,
                                const mproc_array_options *options) {
  static const char fn[] = "mproc_array_create";
  int locked = options && options->lock;
  mproc_array *a = NULL;
  mproc_status st;
  if (!array)
    return mproc__fail(MPROC_EINVAL, "%s: array is NULL", fn);
  if (type != MPROC_TYPE_I64 && type != MPROC_TYPE_F64)
    return mproc__fail(MPROC_ETYPE, "%s: type %d is not MPROC_TYPE_I64 or MPROC_TYPE_F64", fn,
                       (int)type);
  /* Also keeps sizeof(array_state) + 8 * length from overflowing a 32-bit size_t. */
  if (length == 0 || (uint64_t)length > MAX_LENGTH ||
      length > (SIZE_MAX - MPROC__SEG_HEADER - sizeof(array_state)) / 8)
    return mproc__fail(MPROC_ERANGE, "%s: length %llu is 0 or too large", fn,
                       (unsigned long long)length);
  st = mproc__obj_new((mproc__obj **)&a, sizeof(mproc_array), MPROC__KIND_ARRAY,
                      sizeof(array_state) + 8 * length, locked ? ARRAY_LOCKED : 0, fn);
  if (st != MPROC_OK)
    return st;
  a->type = type;
  a->length = length;
  a->has_lock = locked;
  state(a)->type = (uint32_t)type;
  state(a)->length = length;
  mproc__obj_publish(&a->obj); /* the mutex and the values are ready as zeros */
  *array = a;
  return MPROC_OK;
}

/* Takes the type, length and lock flag from what another process wrote,
 * reading each field once (it may be rewritten meanwhile): known flags, a
 * valid type, and a length whose values fit in this process's own mapping.
 * Non-zero when valid. */
static int adopt_segment(mproc_array *a) {
  array_state *s = state(a);
  uint8_t flags = mproc__obj_flags(&a->obj);
  uint32_t type = mproc__load32(&s->type);
  uint64_t length = mproc__load64(&s->length);
  uint64_t room = (a->obj.shm.size - MPROC__SEG_HEADER - sizeof(array_state)) / 8;
  if ((flags & ~ARRAY_LOCKED) != 0 || (type != MPROC_TYPE_I64 && type != MPROC_TYPE_F64) ||
      length == 0 || length > room)
    return 0;
  a->type = (mproc_type)type;
  a->length = (size_t)length;
  a->has_lock = (flags & ARRAY_LOCKED) != 0;
  return 1;
}

static mproc_status open_array(mproc_array **array, const char *name, uint64_t size) {
  static const char fn[] = "mproc_args_open_array";
  mproc_array *a = NULL;
  mproc_status st = mproc__obj_open_new((mproc__obj **)&a, sizeof(mproc_array), MPROC__KIND_ARRAY,
                                        name, size, sizeof(array_state) + 8, fn);
  if (st != MPROC_OK)
    return st;
  if (!adopt_segment(a)) {
    mproc__obj_close(&a->obj, MPROC__KIND_ARRAY, fn);
    return mproc__fail(MPROC_EPROTO, "%s: %s holds an invalid array state", fn, name);
  }
  *array = a;
  return MPROC_OK;
}

MPROC__DEFINE_ARGS_OBJECT(array, MPROC__KIND_ARRAY)

size_t mproc_array_length(const mproc_array *a) { return usable(a) ? a->length : 0; }

void *mproc_array_data(const mproc_array *a) { return usable(a) ? (void *)values(a) : NULL; }

/* The checks of every element access: a live array of @type and a valid index. */
static mproc_status check_element(const mproc_array *a, mproc_type type, size_t index,
                                  const char *fn) {
  mproc_status st = mproc__obj_check((const mproc__obj *)a, MPROC__KIND_ARRAY, fn);
  if (st != MPROC_OK)
    return st;
  if (a->type != type)
    return mproc__fail(MPROC_ETYPE, "%s: %s is an array of %s", fn, a->obj.name,
                       a->type == MPROC_TYPE_I64 ? "int64" : "double");
  if (index >= a->length)
    return mproc__fail(MPROC_ERANGE, "%s: index %llu is past the length %llu", fn,
                       (unsigned long long)index, (unsigned long long)a->length);
  return MPROC_OK;
}

/* As check_element, for getters: also somewhere to put the value. */
static mproc_status check_get(const mproc_array *a, mproc_type type, size_t index,
                              const void *value, const char *fn) {
  return value ? check_element(a, type, index, fn)
               : mproc__fail(MPROC_EINVAL, "%s: value is NULL", fn);
}

mproc_status mproc_array_get_i64(const mproc_array *a, size_t index, int64_t *value) {
  static const char fn[] = "mproc_array_get_i64";
  mproc_status st = check_get(a, MPROC_TYPE_I64, index, value, fn);
  if (st == MPROC_OK)
    *value = (int64_t)mproc__load64(values(a) + index);
  return st;
}

mproc_status mproc_array_set_i64(mproc_array *a, size_t index, int64_t value) {
  static const char fn[] = "mproc_array_set_i64";
  mproc_status st = check_element(a, MPROC_TYPE_I64, index, fn);
  if (st == MPROC_OK)
    mproc__store64(values(a) + index, (uint64_t)value);
  return st;
}

mproc_status mproc_array_add_i64(mproc_array *a, size_t index, int64_t delta, int64_t *previous) {
  static const char fn[] = "mproc_array_add_i64";
  mproc_status st = check_element(a, MPROC_TYPE_I64, index, fn);
  uint64_t before;
  if (st != MPROC_OK)
    return st;
  /* Unsigned: overflow wraps around (as a C int64 in ctypes) instead of being undefined. */
  before = mproc__add64(values(a) + index, (uint64_t)delta);
  if (previous)
    *previous = (int64_t)before;
  return MPROC_OK;
}

mproc_status mproc_array_get_f64(const mproc_array *a, size_t index, double *value) {
  static const char fn[] = "mproc_array_get_f64";
  mproc_status st = check_get(a, MPROC_TYPE_F64, index, value, fn);
  uint64_t bits;
  if (st != MPROC_OK)
    return st;
  bits = mproc__load64(values(a) + index);
  memcpy(value, &bits, sizeof bits);
  return MPROC_OK;
}

mproc_status mproc_array_set_f64(mproc_array *a, size_t index, double value) {
  static const char fn[] = "mproc_array_set_f64";
  mproc_status st = check_element(a, MPROC_TYPE_F64, index, fn);
  uint64_t bits;
  if (st != MPROC_OK)
    return st;
  memcpy(&bits, &value, sizeof bits);
  mproc__store64(values(a) + index, bits);
  return MPROC_OK;
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
