/*
 * Sleeping on a word of a shared object until another process changes it.
 *
 * Linux: a futex on the word itself (no kernel object, precise wake-ups).
 * Elsewhere: the object's named semaphore. A sleeper counts itself in the
 * header's `sleepers` *before* re-checking the word, and a waker changes the
 * word *before* reading `sleepers` (all sequentially consistent), so one of
 * them always sees the other: no lost wake-up. A wake posts one token per
 * sleeper, since every word of the object shares the one semaphore. A token
 * can still be taken by a sleeper that arrived after the post; sleeping in
 * slices of at most SLICE_MS bounds the delay that can cause, and callers
 * re-check their condition in a loop anyway. A sleeper that wakes with a
 * token while its word is unchanged and others sleep took someone else's:
 * it posts it back (a queue would otherwise lose 100 ms a hand-off).
 */
#include <apr_time.h>

#include "shared/object.h"

#define SLICE_MS 100
#define RETURNED_TOKEN_NAP_US 200

mproc_status mproc__park_wait(mproc__obj *o, volatile uint32_t *word, uint32_t expected,
                              int64_t timeout_ms) {
  mproc__seg_header *h;
  mproc_status st;
  if (mproc__futex_available())
    return mproc__futex_wait(word, expected, timeout_ms);
  h = mproc__obj_header(o);
  mproc__add32(&h->sleepers, 1);
  if (mproc__load32(word) != expected) {
    mproc__add32(&h->sleepers, (uint32_t)-1);
    return MPROC_OK;
  }
  if (timeout_ms < 0 || timeout_ms > SLICE_MS) {
    st = mproc__sem_wait(&o->sem, SLICE_MS);
    if (st == MPROC_ETIMEDOUT)
      st = MPROC_OK; /* a slice ended, not the caller's timeout */
  } else {
    st = mproc__sem_wait(&o->sem, timeout_ms);
  }
  if (st == MPROC_OK && mproc__load32(word) == expected && mproc__load32(&h->sleepers) > 1) {
    /* A token for a sleeper on another word of this object (a queue's
     * getter and putter share it): give it back, and let that sleeper
     * take it before this one looks again. */
    mproc__sem_post(&o->sem, 1);
    mproc__add32(&h->sleepers, (uint32_t)-1);
    apr_sleep(RETURNED_TOKEN_NAP_US);
    return MPROC_OK;
  }
  mproc__add32(&h->sleepers, (uint32_t)-1);
  return st;
}

void mproc__park_wake(mproc__obj *o, volatile uint32_t *word, int all) {
  uint32_t n;
  if (mproc__futex_available()) {
    mproc__futex_wake(word, all);
    return;
  }
  n = mproc__load32(&mproc__obj_header(o)->sleepers);
  if (n)
    mproc__sem_post(&o->sem, n);
}
