/*
 * mproc_wait() (mproc/wait.h): the first of many objects.
 *
 * One object is waited on with its own blocking wait. Several are polled:
 * each has a cheap readiness test (a load or two in shared memory, a
 * non-blocking reap), and rounds that find nothing sleep for a time that
 * doubles from FIRST_NAP_US to LAST_NAP_US. Nothing here holds an OS
 * handle per object, so no count limit applies (unlike Windows'
 * WaitForMultipleObjects and its 64 handles).
 */
#include <apr_time.h>

#include "mproc/pool.h"
#include "process/process.h"
#include "queue/stream.h"

#define FIRST_NAP_US 50
#define LAST_NAP_US 1000

static const char fn[] = "mproc_wait";

/* Whether @it is ready now: MPROC_OK with *ready set, or why it is no valid item. */
static mproc_status probe(const mproc_wait_item *it, int *ready) {
  mproc_status st;
  if (!it->object)
    return mproc__fail(MPROC_EINVAL, "%s: an item's object is NULL", fn);
  switch (it->kind) {
  case MPROC_WAIT_QUEUE:
    st = mproc__obj_check(it->object, MPROC__KIND_QUEUE, fn);
    *ready = st == MPROC_OK && mproc__queue_ready(it->object);
    return st;
  case MPROC_WAIT_CONN:
    return mproc_conn_poll(it->object, 0, ready);
  case MPROC_WAIT_PROCESS:
    return mproc__process_ended(it->object, ready, fn);
  case MPROC_WAIT_EVENT:
    st = mproc__obj_check(it->object, MPROC__KIND_EVENT, fn);
    *ready = st == MPROC_OK && mproc_event_is_set(it->object);
    return st;
  case MPROC_WAIT_FUTURE:
    *ready = mproc_future_done(it->object);
    return MPROC_OK;
  default:
    return mproc__fail(MPROC_EINVAL, "%s: unknown kind %d", fn, (int)it->kind);
  }
}

/* Probes every item; how many are ready (-1 on an invalid item: *st says why). */
static long round_of(mproc_wait_item *items, size_t n, mproc_status *st) {
  long ready = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    *st = probe(&items[i], &items[i].ready);
    if (*st != MPROC_OK)
      return -1;
    ready += items[i].ready != 0;
  }
  return ready;
}

/* One item: its own blocking wait, up to @deadline. */
static void wait_one(mproc_wait_item *it, int64_t deadline) {
  int64_t left = mproc__remaining(deadline);
  int ready = 0;
  switch (it->kind) {
  case MPROC_WAIT_QUEUE:
    mproc__queue_wait_ready(it->object, deadline);
    break;
  case MPROC_WAIT_CONN:
    mproc_conn_poll(it->object, left, &ready);
    break;
  case MPROC_WAIT_PROCESS:
    mproc_process_join(it->object, left);
    break;
  case MPROC_WAIT_EVENT:
    mproc_event_wait(it->object, left);
    break;
  default:
    mproc_future_wait(it->object, left);
    break;
  }
}

/* Every item's reserved words are zero (mproc.h: structs that grow). */
static mproc_status check_items(const mproc_wait_item *items, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (MPROC__CHECK_RESERVED(&items[i], fn, "an item") != MPROC_OK)
      return mproc__fail(MPROC_EINVAL, "%s: item %zu: %s", fn, i, mproc_last_error());
  return MPROC_OK;
}

mproc_status mproc_wait(mproc_wait_item *items, size_t n, int64_t timeout_ms, size_t *n_ready) {
  int64_t deadline = mproc__deadline(timeout_ms);
  int64_t nap = FIRST_NAP_US;
  mproc_status st = MPROC_OK;
  long ready;
  if (n_ready)
    *n_ready = 0;
  if (n == 0)
    return mproc__fail(MPROC_ERANGE, "%s: no items", fn);
  if (!items)
    return mproc__fail(MPROC_EINVAL, "%s: items is NULL", fn);
  if ((st = check_items(items, n)) != MPROC_OK)
    return st;
  for (;;) {
    int64_t left;
    ready = round_of(items, n, &st);
    if (ready != 0)
      break;
    left = mproc__remaining(deadline);
    if (left == 0)
      return mproc__fail(MPROC_ETIMEDOUT, "%s: none of %zu items ready after %lld ms", fn, n,
                         (long long)timeout_ms);
    if (n == 1) {
      wait_one(items, deadline);
      continue;
    }
    apr_sleep(left < 0 || left * 1000 > nap ? nap : left * 1000);
    nap = nap * 2 > LAST_NAP_US ? LAST_NAP_US : nap * 2;
  }
  if (ready < 0)
    return st;
  if (n_ready)
    *n_ready = (size_t)ready;
  return MPROC_OK;
}
