/**
 * @file mproc/args.h
 * @brief Typed argument lists: what crosses to a child, and back.
 *
 * An ::mproc_args is an ordered list of typed values (64-bit integer, double,
 * bool, string, bytes). It is copied into a versioned, length-prefixed
 * encoding when it crosses to another process, and the receiving side decodes
 * it with full validation: a truncated, oversized or garbled message is
 * ::MPROC_EPROTO, never undefined behaviour.
 *
 * Ownership: whoever creates an ::mproc_args destroys it. Values added are
 * copied; pointers returned by the getters stay valid until the list is
 * destroyed.
 */
#ifndef MPROC_ARGS_H
#define MPROC_ARGS_H

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
  MPROC_TYPE_I64 = 1,
  MPROC_TYPE_F64 = 2,
  MPROC_TYPE_BOOL = 3,
  MPROC_TYPE_STR = 4,
  MPROC_TYPE_BYTES = 5,
  /** A shared object (see mproc/shared.h): added with mproc_args_add_<kind>(),
   *  re-opened with mproc_args_open_<kind>(). */
  MPROC_TYPE_OBJECT = 6,
  /** No value (Python's None): e.g. the result of a failed or cancelled map item. */
  MPROC_TYPE_NONE = 7
} mproc_type;

/** Most values one list may hold (2,097,152): also the most items of one
 *  mproc_pool_map(); a longer input goes through mproc_pool_imap_source(). */
#define MPROC_ARGS_MAX_COUNT (1u << 21)
/** Most bytes one encoded list may take (strings and bytes included). */
#define MPROC_ARGS_MAX_SIZE (64u * 1024u * 1024u)

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

#ifdef __cplusplus
}
#endif
#endif /* MPROC_ARGS_H */
