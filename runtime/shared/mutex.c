/*
 * The shared mutex (see mutex.h): Drepper's futex mutex, whose locked value
 * is the owner's pid, so that taking it records who took it.
 */
#include "shared/mutex.h"

/* The owner's record, once the word names this process: the thread and the
 * recursion count are the owner's alone to write. */
static void take(mproc__mutex *m) {
  m->owner_tid = mproc__thread_id();
  m->count = 1;
}

/* The word as this process owns it; 0 when its pid does not fit (a pid is
 * below 2^31 on every OS mproc supports). */
static uint32_t me(void) {
  int64_t pid = mproc__self_pid();
  return pid > 0 && pid < (int64_t)MPROC__MUTEX_WAITERS ? (uint32_t)pid : 0;
}

/* Busy turns a locker spends before it sleeps: a few microseconds, more
 * than most critical sections (a queue's put or get) hold the lock, and
 * less than a sleep and a wake cost. */
#define SPIN_TURNS 128

/* Spins while the lock is held, taking it if it comes free: 1 if taken. */
static int spin_for(mproc__mutex *m, uint32_t mine) {
  int i;
  for (i = 0; i < SPIN_TURNS; i++) {
    uint32_t s = mproc__load32(&m->state);
    if (s == 0 && mproc__cas32(&m->state, 0, mine))
      return 1;
    if (s & MPROC__MUTEX_WAITERS)
      return 0; /* others sleep on it already: queue behind them */
    mproc__cpu_relax();
  }
  return 0;
}

mproc_status mproc__mutex_lock(mproc__obj *o, mproc__mutex *m, int64_t timeout_ms) {
  uint32_t mine = me(), s;
  int64_t deadline;
  if (!mine)
    return mproc__fail(MPROC_ERANGE, "lock %s: pid %lld does not fit its word", o->name,
                       (long long)mproc__self_pid());
  if (mproc__cas32(&m->state, 0, mine) || (timeout_ms != 0 && spin_for(m, mine))) {
    take(m);
    return MPROC_OK;
  }
  deadline = mproc__deadline(timeout_ms);
  for (;;) {
    int64_t left;
    s = mproc__load32(&m->state);
    if (s == 0) {
      /* Taken after a wait: others may sleep on it still, so unlock must wake. */
      if (mproc__cas32(&m->state, 0, mine | MPROC__MUTEX_WAITERS)) {
        take(m);
        return MPROC_OK;
      }
      continue;
    }
    if ((s & ~MPROC__MUTEX_WAITERS) != mine && !mproc__pid_alive(s & ~MPROC__MUTEX_WAITERS)) {
      if (!mproc__cas32(&m->state, s, mine | MPROC__MUTEX_WAITERS))
        continue; /* it changed: another waiter claimed it, or it was released */
      take(m);
      return mproc__fail(MPROC_EOWNERDEAD, "lock %s: its owner died holding it; now yours",
                         o->name);
    }
    if (!(s & MPROC__MUTEX_WAITERS) && !mproc__cas32(&m->state, s, s | MPROC__MUTEX_WAITERS))
      continue;
    left = mproc__remaining(deadline);
    if (left == 0)
      return mproc__fail(MPROC_ETIMEDOUT, "lock %s: still held by pid %u after %lld ms", o->name,
                         (unsigned)(s & ~MPROC__MUTEX_WAITERS), (long long)timeout_ms);
    mproc__park_wait(o, &m->state, s | MPROC__MUTEX_WAITERS,
                     left < 0 || left > MPROC__OWNER_CHECK_MS ? MPROC__OWNER_CHECK_MS : left);
  }
}

mproc_status mproc__mutex_unlock(mproc__obj *o, mproc__mutex *m, const char *fn) {
  if (mproc__load32(&m->state) == 0)
    return mproc__fail(MPROC_ESTATE, "%s: %s is not locked", fn, o->name);
  m->owner_tid = 0; /* before the word: a new owner of this process writes its own */
  m->count = 0;
  if (mproc__xchg32(&m->state, 0) & MPROC__MUTEX_WAITERS)
    mproc__park_wake(o, &m->state, 0);
  return MPROC_OK;
}

int mproc__mutex_mine(const mproc__mutex *m) {
  return mproc__mutex_owner(m) == me() && m->owner_tid == mproc__thread_id();
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
