/*
 * The mutex inside Lock, RLock, Condition, Barrier and locked arrays: a word
 * in shared memory (0 free, 1 locked, 2 locked with sleepers) plus its
 * owner's pid and thread, so that a lock whose owner died is detected and
 * handed over (MPROC_EOWNERDEAD) instead of deadlocking.
 *
 * Waiters re-check the owner's pid at least every OWNER_CHECK_MS. There is a
 * window of a few instructions, between taking the word and recording the
 * owner, in which a dying owner cannot be detected; the lock then stays held
 * by nobody (documented limitation, as with any user-space owner record).
 */
#ifndef MPROC_MUTEX_H
#define MPROC_MUTEX_H

#include "shared/object.h"

typedef struct mproc__mutex {
  uint32_t state;
  uint32_t owner_pid;
  uint64_t owner_tid;
  uint32_t count; /* recursion depth (RLock, Condition); 1 for a plain lock */
  uint32_t pad;
} mproc__mutex;

/* MPROC_OK; MPROC_EOWNERDEAD (acquired from a dead owner); MPROC_ETIMEDOUT. */
mproc_status mproc__mutex_lock(mproc__obj *o, mproc__mutex *m, int64_t timeout_ms);
/* Releases it whoever holds it; MPROC_ESTATE when it is not locked. */
mproc_status mproc__mutex_unlock(mproc__obj *o, mproc__mutex *m, const char *fn);
/* Non-zero when the calling thread of this process holds it. */
int mproc__mutex_mine(const mproc__mutex *m);

/* Recursive use (RLock, Condition): lock again if mine, else as mproc__mutex_lock. */
mproc_status mproc__mutex_lock_recursive(mproc__obj *o, mproc__mutex *m, int64_t timeout_ms);
/* MPROC_EPERM unless mine; unlocks when the count reaches 0. */
mproc_status mproc__mutex_unlock_recursive(mproc__obj *o, mproc__mutex *m, const char *fn);

#endif
