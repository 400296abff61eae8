/*
 * Semaphore and BoundedSemaphore: a counter word in shared memory. Acquire
 * takes a unit with a CAS and sleeps on the word only while it is 0; release
 * adds one and wakes one sleeper.
 *
 * The bound (the initial value of a BoundedSemaphore) and the flag saying
 * there is one are copied into the handle when it is created or opened: the
 * segment can be written by any process that maps it, so a limit read from it
 * once and validated is the only one trusted afterwards.
 */
#include "shared/object.h"

/* Header flag: a BoundedSemaphore. */
#define SEM_BOUNDED 0x01u
/* Longest sleep between looks at the value. A wake-up is lost if the waiter
 * it went to is killed before taking the unit, or the releaser is killed
 * between adding the unit and waking anyone; sleeping in slices bounds the
 * delay that costs the others (as the mutex's dead-owner checks do). */
#define RECHECK_MS 100

struct mproc_sem {
  mproc__obj obj;
  int bounded;
  uint32_t max; /* the initial value of a bounded semaphore; 0 otherwise */
};

typedef struct sem_state {
  uint32_t value;
  uint32_t max;
  /* Acquirers about to sleep or sleeping; lets release skip the wake-up
   * system call when nobody waits. A waiter killed while counted only costs
   * later releases a spurious wake. */
  uint32_t waiters;
} sem_state;

static sem_state *state(const mproc_sem *s) { return mproc__obj_state(&s->obj); }

static mproc_status check(const mproc_sem *s, const char *fn) {
  return mproc__obj_check((const mproc__obj *)s, MPROC__KIND_SEM, fn);
}

mproc_status mproc_sem_create(mproc_sem **sem, uint32_t value, const mproc_sem_options *options) {
  int bounded = options && options->bounded;
  mproc_status st;
  if (!sem)
    return mproc__fail(MPROC_EINVAL, "mproc_sem_create: sem is NULL");
  if ((st = MPROC__CHECK_RESERVED(options, "mproc_sem_create", "options")) != MPROC_OK)
    return st;
  /* INT32_MAX as POSIX SEM_VALUE_MAX and Windows' LONG counts, so the
   * value fits any OS semaphore and release's v + 1 never wraps. */
  if (value > INT32_MAX)
    return mproc__fail(MPROC_ERANGE, "mproc_sem_create: value %lu is over INT32_MAX",
                       (unsigned long)value);
  st = mproc__obj_new((mproc__obj **)sem, sizeof(mproc_sem), MPROC__KIND_SEM, sizeof(sem_state),
                      bounded ? SEM_BOUNDED : 0, "mproc_sem_create");
  if (st != MPROC_OK)
    return st;
  (*sem)->bounded = bounded;
  (*sem)->max = bounded ? value : 0;
  state(*sem)->value = value;
  state(*sem)->max = (*sem)->max;
  mproc__obj_publish(&(*sem)->obj);
  return MPROC_OK;
}

/* Takes the bound from what another process wrote, reading each field once
 * (it may be rewritten meanwhile): known flags, a bound within INT32_MAX, and
 * none for an unbounded semaphore. Non-zero when valid. */
static int adopt_segment(mproc_sem *s) {
  uint8_t flags = mproc__obj_flags(&s->obj);
  uint32_t max = mproc__load32(&state(s)->max);
  int bounded = (flags & SEM_BOUNDED) != 0;
  if ((flags & ~SEM_BOUNDED) != 0 || max > INT32_MAX || (!bounded && max != 0))
    return 0;
  s->bounded = bounded;
  s->max = max;
  return 1;
}

static mproc_status open_sem(mproc_sem **sem, const char *name, uint64_t size) {
  static const char fn[] = "mproc_args_open_sem";
  mproc_sem *s = NULL;
  mproc_status st = mproc__obj_open_new((mproc__obj **)&s, sizeof(mproc_sem), MPROC__KIND_SEM, name,
                                        size, sizeof(sem_state), fn);
  if (st != MPROC_OK)
    return st;
  if (!adopt_segment(s)) {
    mproc__obj_close(&s->obj, MPROC__KIND_SEM, fn);
    return mproc__fail(MPROC_EPROTO, "%s: %s holds an invalid semaphore state", fn, name);
  }
  *sem = s;
  return MPROC_OK;
}

MPROC__DEFINE_ARGS_OBJECT(sem, MPROC__KIND_SEM)

/* Takes one unit if there is one; non-zero when taken. */
static int try_take(sem_state *ss) {
  for (;;) {
    uint32_t v = mproc__load32(&ss->value);
    if (v == 0)
      return 0;
    if (mproc__cas32(&ss->value, v, v - 1))
      return 1;
  }
}

mproc_status mproc_sem_acquire(mproc_sem *s, int64_t timeout_ms) {
  mproc_status st = check(s, "mproc_sem_acquire");
  sem_state *ss;
  int64_t deadline;
  if (st != MPROC_OK)
    return st;
  ss = state(s);
  if (try_take(ss))
    return MPROC_OK; /* the uncontended path reads no clock */
  deadline = mproc__deadline(timeout_ms);
  for (;;) {
    int64_t left = mproc__remaining(deadline);
    if (left == 0)
      return mproc__fail(MPROC_ETIMEDOUT, "semaphore %s: no count after %lld ms", s->obj.name,
                         (long long)timeout_ms);
    /* Counted before parking, which re-checks the word: a release that
     * misses the count has already made the word non-zero. */
    mproc__add32(&ss->waiters, 1);
    mproc__park_wait(&s->obj, &ss->value, 0, left < 0 || left > RECHECK_MS ? RECHECK_MS : left);
    mproc__add32(&ss->waiters, (uint32_t)-1);
    /* Before the deadline is looked at again: a waiter woken just as its
     * time runs out still takes the unit it was woken for. */
    if (try_take(ss))
      return MPROC_OK;
  }
}

mproc_status mproc_sem_release(mproc_sem *s) {
  mproc_status st = check(s, "mproc_sem_release");
  sem_state *ss;
  uint32_t v;
  if (st != MPROC_OK)
    return st;
  ss = state(s);
  do {
    v = mproc__load32(&ss->value);
    if (s->bounded && v >= s->max)
      return mproc__fail(MPROC_ERANGE, "mproc_sem_release: %s released too many times",
                         s->obj.name);
    if (v >= INT32_MAX)
      return mproc__fail(MPROC_ERANGE, "mproc_sem_release: %s is at INT32_MAX", s->obj.name);
  } while (!mproc__cas32(&ss->value, v, v + 1));
  if (mproc__load32(&ss->waiters) != 0)
    mproc__park_wake(&s->obj, &ss->value, 0);
  return MPROC_OK;
}

mproc_status mproc_sem_value(const mproc_sem *s, uint32_t *value) {
  mproc_status st = check(s, "mproc_sem_value");
  if (st != MPROC_OK)
    return st;
  if (!value)
    return mproc__fail(MPROC_EINVAL, "mproc_sem_value: value is NULL");
  *value = mproc__load32(&state(s)->value);
  return MPROC_OK;
}

mproc_status mproc_sem_close(mproc_sem *s) {
  return mproc__obj_close((mproc__obj *)s, MPROC__KIND_SEM, "mproc_sem_close");
}

mproc_status mproc_sem_destroy(mproc_sem *s) {
  return mproc__obj_destroy((mproc__obj *)s, MPROC__KIND_SEM, "mproc_sem_destroy");
}
