/**
 * @file mproc/args.h
 * @brief Typed argument lists: what crosses to a child, and back.
 *
 * An ::mproc_args is an ordered list of typed values (64-bit integer, double,
 * bool, string, bytes, none, a shared object's reference, and a list: records
 * and lists of records). It is copied into a versioned, length-prefixed
 * encoding when it crosses to another process, and the receiving side decodes
 * it with full validation: a truncated, oversized or garbled message is
 * MPROC_EPROTO, never undefined behaviour.
 *
 * Ownership: whoever creates an ::mproc_args destroys it. Values added are
 * copied; pointers returned by the getters stay valid until the list is
 * destroyed, cleared or changed.
 */
#ifndef MPROC_ARGS_H
#define MPROC_ARGS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "mproc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An ordered list of typed values. */
typedef struct mproc_args mproc_args;

/** The type of one value in an ::mproc_args. */
typedef enum mproc_type {
  MPROC_TYPE_I64 = 1,   /**< int64_t: mproc_args_add_i64(), mproc_args_get_i64() */
  MPROC_TYPE_F64 = 2,   /**< double: mproc_args_add_f64(), mproc_args_get_f64() */
  MPROC_TYPE_BOOL = 3,  /**< true or false: mproc_args_add_bool(), mproc_args_get_bool() */
  MPROC_TYPE_STR = 4,   /**< a NUL-terminated string: mproc_args_add_str(), mproc_args_get_str() */
  MPROC_TYPE_BYTES = 5, /**< bytes and their size: mproc_args_add_bytes(), mproc_args_get_bytes() */
  /** A shared object (see mproc/shared.h): added with mproc_args_add_<kind>(),
   *  re-opened with mproc_args_open_<kind>(). */
  MPROC_TYPE_OBJECT = 6,
  /** No value (Python's None): e.g. the result of a failed or cancelled map item. */
  MPROC_TYPE_NONE = 7,
  /** A nested list (a record, a list of records): added with mproc_args_add_list(),
   *  read with mproc_args_get_list(). */
  MPROC_TYPE_LIST = 8
} mproc_type;

/** Most values one list may hold (2,097,152): also the most items of one
 *  mproc_pool_map(); a longer input goes through mproc_pool_imap_source(). */
#define MPROC_ARGS_MAX_COUNT (1u << 21)
/** Most bytes one encoded list may take (strings and bytes included). */
#define MPROC_ARGS_MAX_SIZE (64u * 1024u * 1024u)
/** Most levels of lists inside lists (32): a list with no nested list is 1
 *  deep, one holding such a list 2. A decoder refuses deeper input. */
#define MPROC_ARGS_MAX_DEPTH 32u

/**
 * Creates an empty list.
 * @param[out] args the new list.
 * @return MPROC_OK, MPROC_EINVAL (args NULL), MPROC_ENOMEM.
 */
MPROC_API mproc_status mproc_args_create(mproc_args **args);

/**
 * Destroys a list and every value it holds. Using the list afterwards, or
 * destroying it twice, is undefined (a use of freed memory): a list is on
 * every per-call path of a map, where a check would cost, unlike a process
 * or a pool, whose use after destroy is a clean MPROC_ECLOSED.
 * @return MPROC_OK, MPROC_EINVAL (args NULL).
 */
MPROC_API mproc_status mproc_args_destroy(mproc_args *args);

/**
 * Empties a list, keeping its memory: one list serves message after message
 * (a queue's producer, a pool task's result) without an allocation each.
 * @return MPROC_OK, MPROC_EINVAL (args NULL).
 */
MPROC_API mproc_status mproc_args_clear(mproc_args *args);

/** @name Appending one value
 * @{ */
/**
 * Appends a value. Strings are copied up to their NUL; bytes are copied.
 * @return MPROC_OK; MPROC_EINVAL (NULL list, NULL string, NULL data with a
 *         non-zero size); MPROC_ERANGE (more than MPROC_ARGS_MAX_COUNT values,
 *         or an encoding larger than MPROC_ARGS_MAX_SIZE); MPROC_ENOMEM.
 */
MPROC_API mproc_status mproc_args_add_i64(mproc_args *args, int64_t value);
MPROC_API mproc_status mproc_args_add_f64(mproc_args *args, double value);
MPROC_API mproc_status mproc_args_add_bool(mproc_args *args, int value);
MPROC_API mproc_status mproc_args_add_str(mproc_args *args, const char *value);
MPROC_API mproc_status mproc_args_add_bytes(mproc_args *args, const void *data, size_t size);
MPROC_API mproc_status mproc_args_add_none(mproc_args *args);
/** @} */

/**
 * Appends a deep copy of @p list as one value (a record, or a list of
 * records, as a task's argument or result). The copy is made before it is
 * appended, so a list may be added to itself: it then holds, last, a copy
 * of what it held before. Shared objects in @p list are copied as
 * references; a child opens one from the nested list as from any, with
 * mproc_args_open_<kind>(nested, i, &object).
 *
 * Limits, checked here and by every decoder: lists nest at most
 * MPROC_ARGS_MAX_DEPTH deep, the outermost counting as 1 (so @p list may
 * nest MPROC_ARGS_MAX_DEPTH - 1 deep); MPROC_ARGS_MAX_COUNT bounds each
 * list's own values, a nested list counting as one value of the list that
 * holds it; MPROC_ARGS_MAX_SIZE bounds the whole encoding, nested lists
 * included (a nested list takes its own encoding plus 5 bytes).
 * @return MPROC_OK; MPROC_EINVAL (args or list NULL); MPROC_ERANGE (too
 *         deep, or over the count or size limit); MPROC_ENOMEM. On failure
 *         @p args is unchanged.
 */
MPROC_API mproc_status mproc_args_add_list(mproc_args *args, const mproc_args *list);

/**
 * The number of values in the list.
 * @return MPROC_OK, MPROC_EINVAL (NULL argument).
 */
MPROC_API mproc_status mproc_args_count(const mproc_args *args, size_t *count);

/**
 * The type of value @p index.
 * @return MPROC_OK, MPROC_EINVAL, MPROC_ERANGE (no such index).
 */
MPROC_API mproc_status mproc_args_type(const mproc_args *args, size_t index, mproc_type *type);

/** @name Reading one value
 * @{ */
/**
 * Reads value @p index. The string and bytes getters return pointers into the
 * list (strings are NUL-terminated; bytes may be NULL when the size is 0).
 * @return MPROC_OK; MPROC_EINVAL (NULL argument); MPROC_ERANGE (no such
 *         index); MPROC_ETYPE (the value has another type).
 */
MPROC_API mproc_status mproc_args_get_i64(const mproc_args *args, size_t index, int64_t *value);
MPROC_API mproc_status mproc_args_get_f64(const mproc_args *args, size_t index, double *value);
MPROC_API mproc_status mproc_args_get_bool(const mproc_args *args, size_t index, int *value);
MPROC_API mproc_status mproc_args_get_str(const mproc_args *args, size_t index, const char **value);
MPROC_API mproc_status mproc_args_get_bytes(const mproc_args *args, size_t index, const void **data,
                                            size_t *size);
/** @} */

/**
 * Reads value @p index as a nested list: borrowed and read-only, valid while
 * @p args lives and is not cleared or refilled (as a string's pointer). Read
 * it with the getters or mproc_args_unpack(); to keep it longer, copy it
 * into a list of your own with mproc_args_add_list().
 * @return MPROC_OK; MPROC_EINVAL (NULL argument); MPROC_ERANGE (no such
 *         index); MPROC_ETYPE (the value is not a list).
 */
MPROC_API mproc_status mproc_args_get_list(const mproc_args *args, size_t index,
                                           const mproc_args **list);

/**
 * Appends values as a format says: a row of mproc_args_add_<type>() calls in
 * one, e.g. `mproc_args_pack(msg, "i64 str", (int64_t)42, "x")`. To fill a
 * list anew, mproc_args_clear() it first.
 *
 * A format is tokens with one space between them ("" is no value); each
 * takes these arguments, in order (mproc_args_unpack()'s are pointers):
 *
 * | token   | pack                                  | unpack                                  |
 * |---------|---------------------------------------|-----------------------------------------|
 * | `i64`   | `int64_t`                             | `int64_t *`                             |
 * | `f64`   | `double`                              | `double *`                              |
 * | `bool`  | `int` (non-zero: true)                | `int *` (0 or 1)                        |
 * | `str`   | `const char *`, copied                | `const char **`, borrowed               |
 * | `bytes` | `const void *`, `size_t`, copied      | `const void **`, `size_t *`, borrowed   |
 * | `none`  | no argument                           | no argument (the value must be none)    |
 * | `list`  | `const mproc_args *`, deep-copied     | `const mproc_args **`, borrowed         |
 * | `?`     | (unpack only)                         | no argument: skips a value of any type  |
 * | `...`   | (unpack only)                         | the last token: more values may follow  |
 *
 * Variadic arguments are not converted to what a token takes: pass exactly
 * that type, `(int64_t)42` and not `42`, `1.0` and not `1`, a `size_t` size
 * (`sizeof` is one), else the behaviour is undefined. Shared objects have no
 * token: add them with their own mproc_args_add_<kind>(), skip them with `?`.
 *
 * @return MPROC_OK; MPROC_EINVAL (args or format NULL; a token unknown,
 *         empty, or for unpacking only; a NULL string or list; NULL bytes of
 *         a non-zero size: the message names the token and its position,
 *         from 1); MPROC_ERANGE (the list's limits, MPROC_ARGS_MAX_DEPTH
 *         included); MPROC_ENOMEM. On failure the list holds what it held
 *         before the call.
 */
MPROC_API mproc_status mproc_args_pack(mproc_args *args, const char *format, ...);
/** mproc_args_pack() with a `va_list` (a wrapper's own variadic arguments). */
MPROC_API mproc_status mproc_args_packv(mproc_args *args, const char *format, va_list ap);

/**
 * Creates a list holding the values of mproc_args_pack(): the common case in
 * one line, e.g. `mproc_args_create_packed(&a, "str", "Bob")`.
 * @param[out] args the new list, left as it was on failure (nothing is
 *             created then).
 * @param format as mproc_args_pack()'s, the values following it.
 * @return as mproc_args_create() and mproc_args_pack().
 */
MPROC_API mproc_status mproc_args_create_packed(mproc_args **args, const char *format, ...);

/**
 * Reads values from index 0 as a format says (the table at mproc_args_pack()),
 * into the pointers that follow it, e.g.
 * `mproc_args_unpack(msg, "i64 str", &n, &s)` for `int64_t n; const char *s;`.
 * The format must name every value of the list, unless it ends with `...`.
 * Strings, bytes and lists are borrowed: the pointers point into the list
 * and stay valid until it is cleared, refilled (a queue get into it) or
 * destroyed; an empty string is "", empty bytes may be NULL.
 *
 * Every value and every pointer is checked before any is written: on failure
 * nothing is written.
 * @return MPROC_OK; MPROC_EINVAL (args or format NULL; a token unknown or
 *         empty, or `...` not the last; a NULL pointer: the message names the
 *         token and its position, from 1); MPROC_ERANGE (the list has fewer
 *         values than the format reads, or more without `...`); MPROC_ETYPE
 *         (a value has another type than its token: the message names the
 *         value's index, from 0, and both types).
 */
MPROC_API mproc_status mproc_args_unpack(const mproc_args *args, const char *format, ...);
/** mproc_args_unpack() with a `va_list`. */
MPROC_API mproc_status mproc_args_unpackv(const mproc_args *args, const char *format, va_list ap);

#ifdef __cplusplus
}
#endif
#endif /* MPROC_ARGS_H */
