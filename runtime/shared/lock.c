/*
 * Lock and RLock: one shared mproc__mutex each. A Lock may be released by any
 * thread or process (as Python's); an RLock only by its owner, once per
 * acquire.
 */
#include "shared/mutex.h"

struct mproc_lock {
  mproc__obj obj;
};

struct mproc_rlock {
  mproc__obj obj;
};

static mproc__mutex *mutex_of(const mproc__obj *o) { return mproc__obj_state(o); }

/* Creates the segment of a Lock or RLock: the mutex, all zero, is ready as is. */
static mproc_status create(mproc__obj **out, size_t size, mproc__kind kind, const char *fn) {
  mproc_status st = mproc__obj_new(out, size, kind, sizeof(mproc__mutex), 0, fn);
  if (st == MPROC_OK)
    mproc__obj_publish(*out);
  return st;
}

/* ---- for Condition(lock) (mutex.h) ---- */

mproc_status mproc__lock_open(mproc__kind kind, const char *name, uint64_t size, mproc__obj **out,
                              mproc__mutex **m) {
  mproc_status st = mproc__obj_open_new(
      out, kind == MPROC__KIND_LOCK ? sizeof(struct mproc_lock) : sizeof(struct mproc_rlock), kind,
      name, size, sizeof(mproc__mutex), "mproc_args_open_cond");
  if (st == MPROC_OK)
    *m = mutex_of(*out);
  return st;
}

/* ---- Lock ---- */

mproc_status mproc_lock_create(mproc_lock **lock) {
  return create((mproc__obj **)lock, sizeof(mproc_lock), MPROC__KIND_LOCK, "mproc_lock_create");
}

static mproc_status open_lock(mproc_lock **lock, const char *name, uint64_t size) {
  return mproc__obj_open_new((mproc__obj **)lock, sizeof(mproc_lock), MPROC__KIND_LOCK, name, size,
                             sizeof(mproc__mutex), "mproc_args_open_lock");
}

MPROC__DEFINE_ARGS_OBJECT(lock, MPROC__KIND_LOCK)

mproc_status mproc_lock_acquire(mproc_lock *l, int64_t timeout_ms) {
  mproc_status st = mproc__obj_check((mproc__obj *)l, MPROC__KIND_LOCK, "mproc_lock_acquire");
  return st ? st : mproc__mutex_lock(&l->obj, mutex_of(&l->obj), timeout_ms);
}

mproc_status mproc_lock_release(mproc_lock *l) {
  mproc_status st = mproc__obj_check((mproc__obj *)l, MPROC__KIND_LOCK, "mproc_lock_release");
  return st ? st : mproc__mutex_unlock(&l->obj, mutex_of(&l->obj), "mproc_lock_release");
}

mproc_status mproc_lock_close(mproc_lock *l) {
  return mproc__obj_close((mproc__obj *)l, MPROC__KIND_LOCK, "mproc_lock_close");
}

mproc_status mproc_lock_destroy(mproc_lock *l) {
  return mproc__obj_destroy((mproc__obj *)l, MPROC__KIND_LOCK, "mproc_lock_destroy");
}

/* ---- RLock ---- */

mproc_status mproc_rlock_create(mproc_rlock **rlock) {
  return create((mproc__obj **)rlock, sizeof(mproc_rlock), MPROC__KIND_RLOCK, "mproc_rlock_create");
}

static mproc_status open_rlock(mproc_rlock **rlock, const char *name, uint64_t size) {
  return mproc__obj_open_new((mproc__obj **)rlock, sizeof(mproc_rlock), MPROC__KIND_RLOCK, name,
                             size, sizeof(mproc__mutex), "mproc_args_open_rlock");
}

MPROC__DEFINE_ARGS_OBJECT(rlock, MPROC__KIND_RLOCK)

mproc_status mproc_rlock_acquire(mproc_rlock *l, int64_t timeout_ms) {
  mproc_status st = mproc__obj_check((mproc__obj *)l, MPROC__KIND_RLOCK, "mproc_rlock_acquire");
  return st ? st : mproc__mutex_lock_recursive(&l->obj, mutex_of(&l->obj), timeout_ms);
}

mproc_status mproc_rlock_release(mproc_rlock *l) {
  mproc_status st = mproc__obj_check((mproc__obj *)l, MPROC__KIND_RLOCK, "mproc_rlock_release");
  return st ? st : mproc__mutex_unlock_recursive(&l->obj, mutex_of(&l->obj), "mproc_rlock_release");
}

mproc_status mproc_rlock_close(mproc_rlock *l) {
  return mproc__obj_close((mproc__obj *)l, MPROC__KIND_RLOCK, "mproc_rlock_close");
}

mproc_status mproc_rlock_destroy(mproc_rlock *l) {
  return mproc__obj_destroy((mproc__obj *)l, MPROC__KIND_RLOCK, "mproc_rlock_destroy");
}
