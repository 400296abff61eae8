/**
 * @file mproc/wait.h
 * @brief Waiting for the first of many objects (multiprocessing.connection.wait).
 */
#ifndef MPROC_WAIT_H
#define MPROC_WAIT_H

#include <stddef.h>
#include <stdint.h>

#include "mproc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What an ::mproc_wait_item refers to, and when it is ready. */
typedef enum mproc_wait_kind {
  /** An ::mproc_queue: a get would not wait (a message, or shut down and drained). */
  MPROC_WAIT_QUEUE = 1,
  /** An ::mproc_conn end: a receive would not wait (as mproc_conn_poll()). */
  MPROC_WAIT_CONN = 2,
  /** An ::mproc_process: it has ended (Python's Process.sentinel). */
  MPROC_WAIT_PROCESS = 3,
  /** An ::mproc_event: it is set. */
  MPROC_WAIT_EVENT = 4,
  /** An ::mproc_future: its task completed (mproc_future_done()). */
  MPROC_WAIT_FUTURE = 5
} mproc_wait_kind;

/** One object to wait for; mproc_wait() sets @p ready. */
typedef struct mproc_wait_item {
  /** What @ref object is. */
  mproc_wait_kind kind;
  /** The object, of the type its kind names (an ::mproc_queue *...). */
  void *object;
  /** Output: non-zero when the object was ready. */
  int ready;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[2];
} mproc_wait_item;

/**
 * Waits at most @p timeout_ms until at least one of @p items is ready, then
 * marks every item that is ready at that moment. Any mix of kinds, any
 * number of items (no 64-handle limit on any OS); the same object may
 * appear twice. Nothing is consumed: a ready queue still holds its message.
 *
 * Waiting on one item sleeps on that object itself. Waiting on several
 * polls them, sleeping between rounds for a time that grows from 50 us to
 * 1 ms while nothing changes: a wake-up comes within about 1 ms.
 *
 * @param items       the objects to wait for; each one's ready is written.
 * @param n           how many items.
 * @param timeout_ms  in ms; MPROC_WAIT_FOREVER: no limit; 0: just check.
 * @param[out] n_ready how many items are ready (may be NULL).
 * @return MPROC_OK (at least one ready); MPROC_ETIMEDOUT (none in time);
 *         MPROC_EINVAL (NULL items with n > 0, an unknown kind, a NULL
 *         object); MPROC_ECLOSED (an item's handle was closed); MPROC_ERANGE (n is 0).
 */
MPROC_API mproc_status mproc_wait(mproc_wait_item *items, size_t n, int64_t timeout_ms,
                                  size_t *n_ready);

#ifdef __cplusplus
}
#endif
#endif /* MPROC_WAIT_H */
