/*
 * Condition: a recursive shared mutex (Python's default Condition(RLock()))
 * plus three words, all changed only by the mutex's holder:
 *
 *   seq      bumped by every notify that hands out wake-ups; sleepers park on it
 *   waiters  threads between entering wait and leaving it (asleep or re-locking)
 *   signals  wake-ups handed out and not yet taken
 *
 * A notify hands out k = min(n, waiters - signals) tokens and wakes every
 * sleeper (on the portable path all words of an object share one semaphore,
 * so a targeted wake is impossible anyway). Each woken waiter re-takes the
 * mutex and takes a token if one is left; the others sleep again. So exactly
 * k waiters return OK, whatever order they wake in.
 *
 * Invariant: signals <= the number of *eligible* waiters, those that entered
 * before the latest token-giving notify (their entry seq differs from seq).
 * Only eligible waiters take tokens, so a thread that starts waiting after a
 * notify cannot steal the wake-up meant for one that was already waiting.
 * An eligible waiter never times out while a token is left (it takes it
 * instead), which keeps the invariant when waiters leave.
 *
 * Limits: a process killed while waiting stays counted in `waiters`, so a
 * later notify_all may hand it a token nobody takes until the next notify
 * (then one extra waiter wakes). Eligibility compares 32-bit sequence
 * numbers: a waiter that sleeps through exactly 2^32 notifies is not eligible.
 */
#include "shared/mutex.h"

struct mproc_cond {
  mproc__obj obj;
};

typedef struct cond_state {
  mproc__mutex mutex;
  uint32_t seq;
  uint32_t waiters;
  uint32_t signals;
} cond_state;

static cond_state *state(const mproc_cond *c) { return mproc__obj_state(&c->obj); }

static mproc_status check(const mproc_cond *c, const char *fn) {
  return mproc__obj_check((const mproc__obj *)c, MPROC__KIND_COND, fn);
}

/* The common precondition of wait and notify: a live handle whose lock the caller holds. */
static mproc_status check_mine(const mproc_cond *c, const char *fn) {
  mproc_status st = check(c, fn);
  if (st != MPROC_OK)
    return st;
  if (!mproc__mutex_mine(&state(c)->mutex))
    return mproc__fail(MPROC_EPERM, "%s: the caller does not hold %s", fn, c->obj.name);
  return MPROC_OK;
}

mproc_status mproc_cond_create(mproc_cond **cond) {
  /* All-zero state is a free mutex and no waiters: ready as created. */
  mproc_status st = mproc__obj_new((mproc__obj **)cond, sizeof(mproc_cond), MPROC__KIND_COND,
                                   sizeof(cond_state), 0, "mproc_cond_create");
  if (st == MPROC_OK)
    mproc__obj_publish(&(*cond)->obj);
  return st;
}

static mproc_status open_cond(mproc_cond **cond, const char *name, uint64_t size) {
  return mproc__obj_open_new((mproc__obj **)cond, sizeof(mproc_cond), MPROC__KIND_COND, name, size,
                             sizeof(cond_state), "mproc_args_open_cond");
}

MPROC__DEFINE_ARGS_OBJECT(cond, MPROC__KIND_COND)

/* Takes the mutex for a thread that does not hold it, and never gives up:
 * a waiter must return with the lock held in every case (as Python's). A
 * dead previous owner may have died between bumping seq and waking the
 * sleepers, so the new owner wakes them all: they re-check and sleep again. */
static mproc_status relock(mproc_cond *c) {
  cond_state *s = state(c);
  mproc_status st = mproc__mutex_lock(&c->obj, &s->mutex, MPROC_WAIT_FOREVER);
  if (st == MPROC_EOWNERDEAD)
    mproc__park_wake(&c->obj, &s->seq, 1);
  return st;
}

mproc_status mproc_cond_acquire(mproc_cond *c, int64_t timeout_ms) {
  mproc_status st = check(c, "mproc_cond_acquire");
  if (st != MPROC_OK)
    return st;
  st = mproc__mutex_lock_recursive(&c->obj, &state(c)->mutex, timeout_ms);
  if (st == MPROC_EOWNERDEAD)
    mproc__park_wake(&c->obj, &state(c)->seq, 1); /* see relock() */
  return st;
}

mproc_status mproc_cond_release(mproc_cond *c) {
  mproc_status st = check(c, "mproc_cond_release");
  return st ? st : mproc__mutex_unlock_recursive(&c->obj, &state(c)->mutex, "mproc_cond_release");
}

/*
 * The wait itself; the caller holds the lock (any depth). Returns OK when it
 * took a token, ETIMEDOUT at the deadline, or EOWNERDEAD as soon as the
 * re-lock found a dead owner: the caller must see the possibly inconsistent
 * state at once, before anyone else gets the lock with a plain OK.
 */
static mproc_status wait_until(mproc_cond *c, int64_t deadline) {
  cond_state *s = state(c);
  uint32_t depth = s->mutex.count;
  uint32_t entry = mproc__load32(&s->seq), seen = entry;
  mproc_status st;
  s->waiters++;
  (void)mproc__mutex_unlock(&c->obj, &s->mutex, "mproc_cond_wait"); /* all levels at once */
  for (;;) {
    /* Parking on the seq seen under the lock: a notify made since then
     * changed it, so the park returns at once instead of missing it. The
     * lock is taken again only when seq moved or time is up, not after each
     * spurious return of the park. */
    while (mproc__load32(&s->seq) == seen && mproc__remaining(deadline) != 0)
      mproc__park_wait(&c->obj, &s->seq, seen, mproc__remaining(deadline));
    st = relock(c);
    if (s->signals > 0 && mproc__load32(&s->seq) != entry) {
      s->signals--;
      break; /* notified (st is OK or EOWNERDEAD) */
    }
    if (st == MPROC_EOWNERDEAD)
      break;
    if (mproc__remaining(deadline) == 0) {
      st = mproc__fail(MPROC_ETIMEDOUT, "condition %s: not notified in time", c->obj.name);
      break;
    }
    seen = mproc__load32(&s->seq);
    (void)mproc__mutex_unlock(&c->obj, &s->mutex, "mproc_cond_wait");
  }
  s->waiters--;
  s->mutex.count = depth;
  return st;
}

mproc_status mproc_cond_wait(mproc_cond *c, int64_t timeout_ms) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = check_mine(c, "mproc_cond_wait");
  return st ? st : wait_until(c, deadline);
}

mproc_status mproc_cond_wait_for(mproc_cond *c, mproc_predicate predicate, void *arg,
                                 int64_t timeout_ms) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = check_mine(c, "mproc_cond_wait_for");
  if (st != MPROC_OK)
    return st;
  if (!predicate)
    return mproc__fail(MPROC_EINVAL, "mproc_cond_wait_for: predicate is NULL");
  /* The predicate is evaluated after every wake-up, including the one at the
   * deadline (as Python's wait_for), always with the lock held. */
  while (!predicate(arg)) {
    if (mproc__remaining(deadline) == 0)
      return mproc__fail(MPROC_ETIMEDOUT, "mproc_cond_wait_for: %s: the predicate is still false",
                         c->obj.name);
    st = wait_until(c, deadline);
    if (st != MPROC_OK && st != MPROC_ETIMEDOUT)
      return st; /* EOWNERDEAD: the caller must repair the state first */
  }
  return MPROC_OK;
}

static mproc_status notify(mproc_cond *c, uint32_t n, const char *fn) {
  cond_state *s;
  uint32_t idle, k;
  mproc_status st = check_mine(c, fn);
  if (st != MPROC_OK)
    return st;
  s = state(c);
  /* The state comes from another process: never trust signals <= waiters. */
  idle = s->waiters > s->signals ? s->waiters - s->signals : 0;
  k = n < idle ? n : idle;
  if (k == 0)
    return MPROC_OK; /* nobody to wake; seq stays, so no later waiter becomes eligible */
  s->signals += k;
  mproc__add32(&s->seq, 1);
  mproc__park_wake(&c->obj, &s->seq, 1);
  return MPROC_OK;
}

mproc_status mproc_cond_notify(mproc_cond *c, uint32_t n) {
  return notify(c, n, "mproc_cond_notify");
}

mproc_status mproc_cond_notify_all(mproc_cond *c) {
  return notify(c, UINT32_MAX, "mproc_cond_notify_all");
}

mproc_status mproc_cond_close(mproc_cond *c) {
  return mproc__obj_close((mproc__obj *)c, MPROC__KIND_COND, "mproc_cond_close");
}

mproc_status mproc_cond_destroy(mproc_cond *c) {
  return mproc__obj_destroy((mproc__obj *)c, MPROC__KIND_COND, "mproc_cond_destroy");
}
