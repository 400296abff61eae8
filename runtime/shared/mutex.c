/*
 * The shared mutex (see mutex.h): Drepper's three-state futex mutex, with the
 * owner recorded for dead-owner detection.
 */
#include "shared/mutex.h"

#define OWNER_CHECK_MS 100

static void take(mproc__mutex *m) {
  m->owner_tid = mproc__thread_id();
  m->count = 1;
  /* The pid last: whoever sees it sees a complete owner record. */
  mproc__store32(&m->owner_pid, (uint32_t)mproc__self_pid());
}

/* Claims the lock if its recorded owner is dead; non-zero when claimed. */
static int claim_from_dead(mproc__mutex *m) {
  uint32_t pid = mproc__load32(&m->owner_pid);
  uint32_t me = (uint32_t)mproc__self_pid();
  if (pid == 0 || pid == me || mproc__pid_alive(pid))
    return 0;
  if (!mproc__cas32(&m->owner_pid, pid, me))
    return 0; /* another waiter claimed it first */
  m->owner_tid = mproc__thread_id();
  m->count = 1;
  mproc__xchg32(&m->state, 2); /* there may be sleepers: make unlock wake them */
  return 1;
}

mproc_status mproc__mutex_lock(mproc__obj *o, mproc__mutex *m, int64_t timeout_ms) {
  int64_t deadline;
  if (mproc__cas32(&m->state, 0, 1)) {
    take(m);
    return MPROC_OK;
  }
  deadline = mproc__deadline(timeout_ms);
  for (;;) {
    int64_t left;
    if (mproc__xchg32(&m->state, 2) == 0) {
      take(m);
      return MPROC_OK;
    }
    if (claim_from_dead(m))
      return mproc__fail(MPROC_EOWNERDEAD, "lock %s: its owner died holding it; now yours",
                         o->name);
    left = mproc__remaining(deadline);
    if (left == 0)
      return MPROC_ETIMEDOUT;
    mproc__park_wait(o, &m->state, 2, left < 0 || left > OWNER_CHECK_MS ? OWNER_CHECK_MS : left);
  }
}

mproc_status mproc__mutex_unlock(mproc__obj *o, mproc__mutex *m, const char *fn) {
  if (mproc__load32(&m->state) == 0)
    return mproc__fail(MPROC_ESTATE, "%s: %s is not locked", fn, o->name);
  m->owner_tid = 0;
  m->count = 0;
  mproc__store32(&m->owner_pid, 0);
  if (mproc__xchg32(&m->state, 0) == 2)
    mproc__park_wake(o, &m->state, 0);
  return MPROC_OK;
}

int mproc__mutex_mine(const mproc__mutex *m) {
  return mproc__load32(&m->state) != 0 &&
         mproc__load32(&m->owner_pid) == (uint32_t)mproc__self_pid() &&
         m->owner_tid == mproc__thread_id();
}

mproc_status mproc__mutex_lock_recursive(mproc__obj *o, mproc__mutex *m, int64_t timeout_ms) {
  if (mproc__mutex_mine(m)) {
    if (m->count == UINT32_MAX)
      return mproc__fail(MPROC_ERANGE, "lock %s: recursion too deep", o->name);
    m->count++;
    return MPROC_OK;
  }
  return mproc__mutex_lock(o, m, timeout_ms);
}

mproc_status mproc__mutex_unlock_recursive(mproc__obj *o, mproc__mutex *m, const char *fn) {
  if (!mproc__mutex_mine(m))
    return mproc__fail(MPROC_EPERM, "%s: the caller does not hold %s", fn, o->name);
  if (--m->count > 0)
    return MPROC_OK;
  return mproc__mutex_unlock(o, m, fn);
}
