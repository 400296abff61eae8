/**
 * @file mproc/status.h
 * @brief The one error convention of mproc.
 *
 * Every mproc function that can fail returns an ::mproc_status. Zero is
 * success. The value space is APR's `apr_status_t`: operating-system and APR
 * codes pass through unchanged (so `APR_STATUS_IS_*` tests keep working for
 * programs that also use APR), and mproc's own codes live in the block APR
 * reserves for applications (`APR_OS_START_USERERR`).
 *
 * On failure a function also records, per thread, a detailed message naming
 * the failing call and, for OS failures, the OS call and its error code; read
 * it with mproc_last_error() before the next mproc call on that thread.
 */
#ifndef MPROC_STATUS_H
#define MPROC_STATUS_H

#include "mproc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A status: 0 on success, an APR/OS code or one of `MPROC_E*`. */
typedef int mproc_status;

/** Start of mproc's own codes; equal to APR's `APR_OS_START_USERERR`. */
#define MPROC_ERRSPACE_START 120000

/**
 * The list of mproc's own codes: X(name, offset, message). The enum below,
 * mproc_strerror() and mproc_status_name() are all generated from it.
 */
#define MPROC_STATUS_MAP(X)                                                                        \
  X(EINVAL, 1, "invalid argument")                                                                 \
  X(ENOMEM, 2, "out of memory")                                                                    \
  X(ETIMEDOUT, 3, "timed out")                                                                     \
  X(ESTATE, 4, "operation not valid in the object's current state")                                \
  X(ENOFUNC, 5, "no function of that name is registered")                                          \
  X(EPROTO, 6, "protocol error: malformed or incompatible message")                                \
  X(EDAEMON, 7, "daemonic processes are not allowed to have children")                             \
  X(ERANGE, 8, "index or size out of range")                                                       \
  X(ETYPE, 9, "value has another type")                                                            \
  X(ENOTINIT, 10, "mproc_init() has not been called")                                              \
  X(ECANCELED, 11, "cancelled")                                                                    \
  X(ECRASHED, 12, "worker process crashed")                                                        \
  X(ENOTSHAREABLE, 13, "object cannot be passed to another process")                               \
  X(EOWNERDEAD, 14, "previous owner died holding the lock")                                        \
  X(ECLOSED, 15, "object is closed")                                                               \
  X(EEMPTY, 16, "empty")                                                                           \
  X(EFULL, 17, "full")                                                                             \
  X(EBROKEN, 18, "broken (aborted or reset while waiting)")                                        \
  X(EPERM, 19, "not permitted: caller does not own the object")                                    \
  X(EEXIST, 20, "object already exists")                                                           \
  X(ENOTSUP, 21, "not supported on this platform")                                                 \
  X(EFAILED, 22, "the function reported failure")                                                  \
  X(EEND, 23, "no more items")                                                                     \
  X(EINITFAILED, 24, "the pool's initializer failed")

/** mproc's own status codes: MPROC_OK, and one `MPROC_<name>` per row of
 *  MPROC_STATUS_MAP, equal to MPROC_ERRSPACE_START plus its offset, whose
 *  message mproc_strerror() gives. */
enum mproc_status_code {
  MPROC_OK = 0,
#define MPROC__STATUS_ENUM(name, off, msg) MPROC_##name = MPROC_ERRSPACE_START + (off),
  MPROC_STATUS_MAP(MPROC__STATUS_ENUM)
#undef MPROC__STATUS_ENUM
      MPROC__STATUS_END
};

/**
 * A static, human-readable description of @p status.
 *
 * Covers mproc's own codes and, through APR, every OS and APR code.
 * @return never NULL; for an mproc code a string literal, otherwise a
 *         thread-local buffer valid until the next call on this thread.
 */
MPROC_API const char *mproc_strerror(mproc_status status);

/** The symbolic name of an mproc code ("MPROC_ETIMEDOUT"), or "OS" for others. */
MPROC_API const char *mproc_status_name(mproc_status status);

/**
 * Non-zero when @p status, returned by an acquire or a wait of a Lock, RLock
 * or Condition (or mproc_array_lock()), means the caller holds the lock now:
 * MPROC_OK, and
 * MPROC_EOWNERDEAD (acquired from a holder that died; what it protected may
 * be half-changed). The test to write after every acquire:
 *     mproc_status st = mproc_lock_acquire(lock, 1000);
 *     if (!mproc_status_held(st)) return st;      // not held: nothing to release
 *     if (st == MPROC_EOWNERDEAD) repair_state();  // held, from a dead owner
 *     ...
 *     mproc_lock_release(lock);
 */
MPROC_API int mproc_status_held(mproc_status status);

/**
 * The detail of this thread's last mproc failure, e.g.
 * `"mproc_process_start: posix_spawn(/usr/bin/app): Permission denied (errno 13)"`.
 * @return never NULL; "" when nothing has failed on this thread yet.
 */
MPROC_API const char *mproc_last_error(void);

#ifdef __cplusplus
}
#endif
#endif /* MPROC_STATUS_H */
