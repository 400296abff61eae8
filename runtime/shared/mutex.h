/*
 * The mutex inside Lock, RLock, Condition, Barrier and locked arrays: one
 * word in shared memory that is 0 when free and otherwise holds its owner's
 * pid, with MPROC__MUTEX_WAITERS set when someone may sleep on it (as Linux
 * robust futexes hold the owner's TID). Taking the lock and recording who
 * took it are one compare-and-swap, so a process killed at any instruction
 * leaves either a free lock or one that names it: a lock whose owner died is
 * always detected and handed over (MPROC_EOWNERDEAD), never held by nobody.
 * The owner's thread and the recursion count are written after, by the
 * owner alone; a waiter that claims a dead owner's lock rewrites them.
 *
 * Waiters re-check the owner's pid at least every MPROC__OWNER_CHECK_MS.
 */
#ifndef MPROC_MUTEX_H
#define MPROC_MUTEX_H

#include "shared/object.h"

#define MPROC__MUTEX_WAITERS 0x80000000u
#define MPROC__OWNER_CHECK_MS 100

typedef struct mproc__mutex {
  uint32_t state; /* 0, or the owner's pid | MPROC__MUTEX_WAITERS */
  uint32_t pad0;
  uint64_t owner_tid;
  uint32_t count; /* recursion depth (RLock, Condition); 1 for a plain lock */
  uint32_t pad;
} mproc__mutex;

/* MPROC_OK; MPROC_EOWNERDEAD (acquired from a dead owner); MPROC_ETIMEDOUT. */
mproc_status mproc__mutex_lock(mproc__obj *o, mproc__mutex *m, int64_t timeout_ms);
/* Releases it whoever holds it; MPROC_ESTATE when it is not locked. */
mproc_status mproc__mutex_unlock(mproc__obj *o, mproc__mutex *m, const char *fn);
/* The pid of the process holding it; 0 when it is free. */
static inline uint32_t mproc__mutex_owner(const mproc__mutex *m) {
  return mproc__load32(&m->state) & ~MPROC__MUTEX_WAITERS;
}
/* Non-zero when the calling thread of this process holds it. */
int mproc__mutex_mine(const mproc__mutex *m);

/* Opens the Lock or RLock (@kind) named @name, of segment @size, for a
 * Condition built on it: its handle in *out (released with
 * mproc__obj_release()) and its mutex in *m. */
mproc_status mproc__lock_open(mproc__kind kind, const char *name, uint64_t size, mproc__obj **out,
                              mproc__mutex **m);

/* Recursive use (RLock, Condition): lock again if mine, else as mproc__mutex_lock. */
mproc_status mproc__mutex_lock_recursive(mproc__obj *o, mproc__mutex *m, int64_t timeout_ms);
/* MPROC_EPERM unless mine; unlocks when the count reaches 0. */
mproc_status mproc__mutex_unlock_recursive(mproc__obj *o, mproc__mutex *m, const char *fn);

#endif
