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
 * On a caller's Lock or RLock (Condition(lock)), the mutex is that object's:
 * the segment names it, and each handle opens its own handle on it (so its
 * wake channel is the lock's own, and the lock may be destroyed by its
 * creator while conditions still use it). A Lock's mutex is taken without
 * recursion, as Python's Condition(Lock()) does.
 *
 * Limits: a process killed while waiting stays counted in `waiters`, so a
 * later notify_all may hand it a token nobody takes until the next notify
 * (then one extra waiter wakes). Eligibility compares 32-bit sequence
 * numbers: a waiter that sleeps through exactly 2^32 notifies is not eligible.
 */
#include <stdio.h>
#include <string.h>

#include "shared/mutex.h"

struct mproc_cond {
  mproc__obj obj;
  mproc__obj *lock; /* the caller's Lock or RLock (this handle's own handle); NULL: none */
  mproc__obj *mobj; /* the object whose mutex it is: lock, or obj */
  mproc__mutex *m;  /* that mutex */
  int recursive;    /* not on a Lock */
};

typedef struct cond_state {
  mproc__mutex mutex; /* unused on a caller's lock */
  uint32_t seq;
  uint32_t waiters;
  uint32_t signals;
  uint32_t lock_kind; /* 0: its own mutex; MPROC__KIND_LOCK or _RLOCK: that object's */
  uint64_t lock_size;
  char lock_name[MPROC__NAME_MAX];
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
  if (!mproc__mutex_mine(c->m))
    return mproc__fail(MPROC_EPERM, "%s: the caller does not hold %s", fn, c->obj.name);
  return MPROC_OK;
}

/* Points the handle at its mutex: its own, or (lock_kind set) the named
 * lock's, opened for this handle. */
static mproc_status attach_mutex(mproc_cond *c, uint32_t kind, const char *name, uint64_t size) {
  mproc_status st;
  c->mobj = &c->obj;
  c->m = &state(c)->mutex;
  c->recursive = kind != MPROC__KIND_LOCK;
  if (kind == 0)
    return MPROC_OK;
  st = mproc__lock_open((mproc__kind)kind, name, size, &c->lock, &c->m);
  if (st == MPROC_OK)
    c->mobj = c->lock;
  return st;
}

/* The caller's lock from @o, checked: its kind, name and size in *kind, @name, *size. */
static mproc_status lock_of(const mproc_cond_options *o, uint32_t *kind, const char **name,
                            uint64_t *size) {
  const mproc__obj *l =
      o && o->lock ? (const mproc__obj *)o->lock : (const mproc__obj *)(o ? o->rlock : NULL);
  mproc_status st;
  *kind = 0;
  if (!l)
    return MPROC_OK;
  if (o->lock && o->rlock)
    return mproc__fail(MPROC_EINVAL, "mproc_cond_create: both a lock and an rlock");
  *kind = o->lock ? MPROC__KIND_LOCK : MPROC__KIND_RLOCK;
  st = mproc__obj_check(l, (mproc__kind)*kind, "mproc_cond_create");
  *name = l->name;
  *size = l->shm.size;
  return st;
}

static void release_lock(mproc_cond *c) {
  if (c->lock)
    (void)mproc__obj_release(c->lock, (mproc__kind)state(c)->lock_kind, 0, "mproc_cond_close");
  c->lock = NULL;
}

mproc_status mproc_cond_create(mproc_cond **cond, const mproc_cond_options *options) {
  static const char fn[] = "mproc_cond_create";
  uint32_t kind = 0;
  const char *name = "";
  uint64_t size = 0;
  cond_state *s;
  mproc_status st = cond ? MPROC__CHECK_RESERVED(options, fn, "options")
                         : mproc__fail(MPROC_EINVAL, "%s: cond is NULL", fn);
  if (st == MPROC_OK)
    st = lock_of(options, &kind, &name, &size);
  /* All-zero state is a free mutex and no waiters: ready as created. */
  if (st == MPROC_OK)
    st = mproc__obj_new((mproc__obj **)cond, sizeof(mproc_cond), MPROC__KIND_COND,
                        sizeof(cond_state), 0, fn);
  if (st != MPROC_OK)
    return st;
  s = state(*cond);
  s->lock_kind = kind;
  s->lock_size = size;
  snprintf(s->lock_name, sizeof s->lock_name, "%s", name);
  st = attach_mutex(*cond, kind, name, size);
  if (st != MPROC_OK) {
    (void)mproc__obj_destroy(&(*cond)->obj, MPROC__KIND_COND, fn);
    *cond = NULL;
    return st;
  }
  mproc__obj_publish(&(*cond)->obj);
  return MPROC_OK;
}

/* The lock a segment from another process names, read once and checked. */
static mproc_status adopt(mproc__obj *o) {
  mproc_cond *c = (mproc_cond *)o;
  cond_state *s = state(c);
  char name[MPROC__NAME_MAX];
  uint32_t kind = mproc__load32(&s->lock_kind);
  uint64_t size = mproc__load64(&s->lock_size);
  memcpy(name, s->lock_name, sizeof name);
  if ((kind != 0 && kind != MPROC__KIND_LOCK && kind != MPROC__KIND_RLOCK) ||
      !memchr(name, 0, sizeof name))
    return mproc__fail(MPROC_EPROTO, "mproc_args_open_cond: %s names no valid lock", c->obj.name);
  return attach_mutex(c, kind, name, size);
}

static mproc_status open_cond(mproc_cond **cond, const char *name, uint64_t size) {
  return mproc__obj_open_adopt((mproc__obj **)cond, sizeof(mproc_cond), MPROC__KIND_COND, name,
                               size, sizeof(cond_state), adopt, "mproc_args_open_cond");
}

MPROC__DEFINE_ARGS_OBJECT(cond, MPROC__KIND_COND)

/* Takes the mutex for a thread that does not hold it, and never gives up:
 * a waiter must return with the lock held in every case (as Python's). A
 * dead previous owner may have died between bumping seq and waking the
 * sleepers, so the new owner wakes them all: they re-check and sleep again. */
static mproc_status relock(mproc_cond *c) {
  cond_state *s = state(c);
  mproc_status st = mproc__mutex_lock(c->mobj, c->m, MPROC_WAIT_FOREVER);
  if (st == MPROC_EOWNERDEAD)
    mproc__park_wake(&c->obj, &s->seq, 1);
  return st;
}

mproc_status mproc_cond_acquire(mproc_cond *c, int64_t timeout_ms) {
  mproc_status st = check(c, "mproc_cond_acquire");
  if (st != MPROC_OK)
    return st;
  st = c->recursive ? mproc__mutex_lock_recursive(c->mobj, c->m, timeout_ms)
                    : mproc__mutex_lock(c->mobj, c->m, timeout_ms);
  if (st == MPROC_EOWNERDEAD)
    mproc__park_wake(&c->obj, &state(c)->seq, 1); /* see relock() */
  return st;
}

mproc_status mproc_cond_release(mproc_cond *c) {
  mproc_status st = check(c, "mproc_cond_release");
  if (st != MPROC_OK)
    return st;
  return c->recursive ? mproc__mutex_unlock_recursive(c->mobj, c->m, "mproc_cond_release")
                      : mproc__mutex_unlock(c->mobj, c->m, "mproc_cond_release");
}

/*
 * The wait itself; the caller holds the lock (any depth). Returns OK when it
 * took a token, ETIMEDOUT at the deadline, or EOWNERDEAD as soon as the
 * re-lock found a dead owner: the caller must see the possibly inconsistent
 * state at once, before anyone else gets the lock with a plain OK.
 */
static mproc_status wait_until(mproc_cond *c, int64_t deadline) {
  cond_state *s = state(c);
  uint32_t depth = c->m->count;
  uint32_t entry = mproc__load32(&s->seq), seen = entry;
  mproc_status st;
  s->waiters++;
  (void)mproc__mutex_unlock(c->mobj, c->m, "mproc_cond_wait"); /* all levels at once */
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
    (void)mproc__mutex_unlock(c->mobj, c->m, "mproc_cond_wait");
  }
  s->waiters--;
  c->m->count = depth;
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

/* The lock's handle goes first: the object's release frees this handle (a
 * release the object refuses, by the creator rule, keeps it). */
static mproc_status release(mproc_cond *c, int destroy, const char *fn) {
  mproc_status st = check(c, fn);
  if (st != MPROC_OK)
    return st;
  if (destroy == c->obj.creator)
    release_lock(c);
  return destroy ? mproc__obj_destroy(&c->obj, MPROC__KIND_COND, fn)
                 : mproc__obj_close(&c->obj, MPROC__KIND_COND, fn);
}

mproc_status mproc_cond_close(mproc_cond *c) { return release(c, 0, "mproc_cond_close"); }

mproc_status mproc_cond_destroy(mproc_cond *c) { return release(c, 1, "mproc_cond_destroy"); }
