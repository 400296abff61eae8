/*
 * Lanes: a pool worker's large frames through shared memory (see dispatch.c).
 *
 * A map chunk's TASK and RESULT are each a megabyte; through the channel each
 * costs two kernel copies, the socket's buffers and a dozen wake-ups, a
 * large share of a big map's CPU. A lane is a named segment (made by the parent, so it
 * is swept like any of its objects) holding one frame's payload: the sender
 * copies it in and sends a frame of no payload; the receiver takes it. A
 * lane is as large as the frames it has carried (rounded up), and its memory
 * is reserved when it is made (as every segment's): a /dev/shm too small
 * for it means no lane, never a SIGBUS at a page's first touch.
 *
 * Layout: state:u32 (LANE_FREE / LANE_FULL), 4 bytes unused, len:u64, then the
 * payload, LANE_DATA bytes in. The sender writes only into a LANE_FREE lane and
 * marks it LANE_FULL after the payload (release); the receiver marks it LANE_FREE once
 * it is done with the payload. A parent never reads a worker's payload in
 * place: it copies it out first (a worker could change bytes under a
 * decoder), then frees the lane, and checks it as any frame.
 */
#include <string.h>

#include "base/atomic.h"
#include "core/core.h"
#include "pool/pool.h"
#include "process/process.h"
#include "wire/args.h" /* the per-call path: see there */
#include "wire/frame.h"

#define LANE_DATA 64u
enum { LANE_FREE = 0, LANE_FULL = 1 };

static volatile uint32_t *state_of(const mproc__lane *l) {
  return (volatile uint32_t *)mproc_shm_base(l->shm);
}

static volatile uint64_t *len_of(const mproc__lane *l) {
  return (volatile uint64_t *)((uint8_t *)mproc_shm_base(l->shm) + 8);
}

static uint8_t *data_of(const mproc__lane *l) {
  return (uint8_t *)mproc_shm_base(l->shm) + LANE_DATA;
}

mproc_status mproc__lane_create(mproc__lane *l, size_t cap) {
  mproc_status st;
  l->owner = 1;
  l->cap = cap;
  st = mproc_shm_create(&l->shm, LANE_DATA + cap, NULL);
  if (st != MPROC_OK)
    l->shm = NULL;
  return st;
}

mproc_status mproc__lane_open(mproc__lane *l, const mproc_args *a, size_t index) {
  mproc_status st;
  l->owner = 0;
  if ((st = mproc_args_open_shm(a, index, &l->shm)) != MPROC_OK)
    return st;
  if (mproc_shm_size(l->shm) <= LANE_DATA) {
    size_t size = mproc_shm_size(l->shm);
    mproc_shm_close(l->shm);
    l->shm = NULL;
    return mproc__fail(MPROC_EPROTO, "lane: a segment of %zu bytes", size);
  }
  l->cap = mproc_shm_size(l->shm) - LANE_DATA;
  return MPROC_OK;
}

void mproc__lane_drop(mproc__lane *l) {
  if (l->shm) {
    if (l->owner)
      mproc_shm_destroy(l->shm);
    else
      mproc_shm_close(l->shm);
  }
  l->shm = NULL;
}

int mproc__lane_put(mproc__lane *l, const uint8_t *buf, size_t len) {
  if (!l->shm || len > l->cap || mproc__load32(state_of(l)) != LANE_FREE)
    return 0;
  memcpy(data_of(l), buf, len);
  mproc__store64(len_of(l), len);
  mproc__store32(state_of(l), LANE_FULL); /* after the payload (sequentially consistent) */
  return 1;
}

const uint8_t *mproc__lane_view(const mproc__lane *l, size_t *len) {
  if (!l->shm || mproc__load32(state_of(l)) != LANE_FULL)
    return NULL;
  *len = (size_t)mproc__load64(len_of(l));
  return *len <= l->cap ? data_of(l) : NULL;
}

mproc_status mproc__lane_take(mproc__lane *l, mproc__buf *into, size_t *len) {
  mproc_status st;
  uint64_t n;
  if (!l->shm || mproc__load32(state_of(l)) != LANE_FULL)
    return mproc__fail(MPROC_EPROTO, "lane: a frame announced, none there");
  n = mproc__load64(len_of(l)); /* read once: the worker may change it */
  if (n > l->cap)
    return mproc__fail(MPROC_EPROTO, "lane: a frame of %llu bytes", (unsigned long long)n);
  if ((st = mproc__buf_reserve(into, (size_t)n)) != MPROC_OK)
    return st;
  memcpy(into->data, data_of(l), (size_t)n);
  mproc__store32(state_of(l), LANE_FREE);
  *len = (size_t)n;
  return MPROC_OK;
}

void mproc__lane_release(const mproc__lane *l) {
  if (l->shm)
    mproc__store32(state_of(l), LANE_FREE);
}
