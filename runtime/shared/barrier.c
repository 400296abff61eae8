/*
 * Barrier: an internal shared mutex and a generation counter. Parties of
 * generation g park on `generation` until it moves past g; the outcome of g
 * (released, or broken by abort, reset, a timeout, a failed action or a
 * dead lock holder) is kept in bit g % 64 of `broken_gens`, written when g
 * ends. So nobody who leaves ever touches `count`: a new generation can fill
 * while the parties of the old one are still waking up (Python's Barrier
 * instead blocks new arrivals until the old parties have drained, which a
 * killed party would block forever).
 *
 * A process that dies holding the mutex (inside the action, typically)
 * breaks the barrier: the next one to take the mutex sees MPROC_EOWNERDEAD,
 * and sleeping parties look for a dead holder every MPROC__OWNER_CHECK_MS.
 *
 * Invariants, under the mutex: count < parties between calls (the last
 * arrival ends the generation and zeroes it); `broken` is set only together
 * with ending the generation, so a broken barrier has count 0 and waits
 * fail at once until a reset.
 *
 * The action's arguments (options.action_args), encoded at create, follow
 * the state; the party that runs the action copies and decodes them then,
 * as it would any bytes another process could have written.
 *
 * Limit: a party that is not scheduled while 64 later generations end reads
 * a reused bit and may report the wrong outcome (Python cannot be lapped,
 * at the price above).
 */
#include <stdlib.h>
#include <string.h>

#include "shared/mutex.h"
#include "wire/args.h"

#define PARTIES_MAX 65535u
#define ACTION_MAX 64 /* bytes of a registered function's name, with its NUL */
#define HISTORY 64    /* generations whose outcome is remembered */

struct mproc_barrier {
  mproc__obj obj;
  mproc_fn action; /* looked up in this process's registry; NULL for none */
};

typedef struct barrier_state {
  mproc__mutex mutex;
  uint64_t broken_gens; /* bit g % HISTORY: generation g ended broken */
  uint32_t parties;     /* fixed at create */
  uint32_t count;       /* parties arrived in the current generation */
  uint32_t generation;
  uint32_t broken; /* 1 after abort, a timeout or a failed action, until reset */
  char action[ACTION_MAX];
  uint32_t args_len; /* bytes of the action's encoded arguments, after the state */
  uint32_t pad;
} barrier_state;

static barrier_state *state(const mproc_barrier *b) { return mproc__obj_state(&b->obj); }

static mproc_status check(const mproc_barrier *b, const char *fn) {
  return mproc__obj_check((const mproc__obj *)b, MPROC__KIND_BARRIER, fn);
}

/* Finds @name in this process's registry (function pointers differ per process). */
static mproc_status find_action(const char *name, mproc_fn *fn, const char *caller) {
  const mproc_function *f;
  *fn = NULL;
  if (!name[0])
    return MPROC_OK;
  f = mproc__registry_find(name);
  if (!f)
    return mproc__fail(MPROC_ENOFUNC, "%s: action \"%s\" is not in this program's registry", caller,
                       name);
  *fn = f->fn;
  return MPROC_OK;
}

static mproc_status check_create(mproc_barrier **barrier, uint32_t parties, const char *action,
                                 const mproc_args *args) {
  if (args && !action[0])
    return mproc__fail(MPROC_EINVAL, "mproc_barrier_create: action_args without an action");
  if (!barrier)
    return mproc__fail(MPROC_EINVAL, "mproc_barrier_create: barrier is NULL");
  if (parties == 0 || parties > PARTIES_MAX)
    return mproc__fail(MPROC_ERANGE, "mproc_barrier_create: %u parties (1..%u)", parties,
                       PARTIES_MAX);
  if (!mproc__is_initialized())
    return mproc__fail(MPROC_ENOTINIT, "mproc_barrier_create: call mproc_init() first");
  if (strlen(action) >= ACTION_MAX)
    return mproc__fail(MPROC_EINVAL, "mproc_barrier_create: action name longer than %d bytes",
                       ACTION_MAX - 1);
  return MPROC_OK;
}

mproc_status mproc_barrier_create(mproc_barrier **barrier, uint32_t parties,
                                  const mproc_barrier_options *options) {
  const char *action = options && options->action ? options->action : "";
  const mproc_args *args = options ? options->action_args : NULL;
  size_t args_len = args ? args->encoded_size : 0;
  mproc_fn fn = NULL;
  barrier_state *s;
  mproc_status st = check_create(barrier, parties, action, args);
  if (st == MPROC_OK)
    st = MPROC__CHECK_RESERVED(options, "mproc_barrier_create", "options");
  if (st == MPROC_OK)
    st = find_action(action, &fn, "mproc_barrier_create");
  if (st == MPROC_OK)
    st = mproc__obj_new((mproc__obj **)barrier, sizeof(mproc_barrier), MPROC__KIND_BARRIER,
                        sizeof(barrier_state) + args_len, 0, "mproc_barrier_create");
  if (st != MPROC_OK)
    return st;
  (*barrier)->action = fn;
  s = state(*barrier);
  s->parties = parties;
  memcpy(s->action, action, strlen(action) + 1);
  s->args_len = (uint32_t)args_len;
  if (args)
    mproc__args_encode_to(args, (uint8_t *)(s + 1));
  mproc__obj_publish(&(*barrier)->obj);
  return MPROC_OK;
}

/* The segment comes from another process: its fixed fields are checked
 * before this process relies on them. */
static mproc_status validate(mproc__obj *o) {
  mproc_barrier *b = (mproc_barrier *)o;
  barrier_state *s = state(b);
  uint32_t parties = mproc__load32(&s->parties);
  if (parties == 0 || parties > PARTIES_MAX)
    return mproc__fail(MPROC_EPROTO, "mproc_args_open_barrier: %s has %u parties", b->obj.name,
                       parties);
  if (!memchr(s->action, 0, sizeof s->action))
    return mproc__fail(MPROC_EPROTO, "mproc_args_open_barrier: %s has an unterminated action name",
                       b->obj.name);
  if (mproc__load32(&s->args_len) > b->obj.shm.size - MPROC__SEG_HEADER - sizeof(barrier_state))
    return mproc__fail(MPROC_EPROTO, "mproc_args_open_barrier: %s: action arguments past its end",
                       b->obj.name);
  return find_action(s->action, &b->action, "mproc_args_open_barrier");
}

static mproc_status open_barrier(mproc_barrier **barrier, const char *name, uint64_t size) {
  return mproc__obj_open_adopt((mproc__obj **)barrier, sizeof(mproc_barrier), MPROC__KIND_BARRIER,
                               name, size, sizeof(barrier_state), validate,
                               "mproc_args_open_barrier");
}

MPROC__DEFINE_ARGS_OBJECT(barrier, MPROC__KIND_BARRIER)

/* Ends the current generation, waking its parties; they learn @broken from
 * the history bit. Called with the mutex held. */
static void end_generation(mproc_barrier *b, int broken) {
  barrier_state *s = state(b);
  uint32_t gen = s->generation;
  uint64_t bit = (uint64_t)1 << (gen % HISTORY);
  s->broken_gens = broken ? s->broken_gens | bit : s->broken_gens & ~bit;
  mproc__store32(&s->count, 0);
  mproc__store32(&s->generation, gen + 1);
  mproc__park_wake(&b->obj, &s->generation, 1);
}

/* Breaks the barrier: the current parties get EBROKEN, later ones too until a reset. */
static void break_barrier(mproc_barrier *b) {
  end_generation(b, 1);
  mproc__store32(&state(b)->broken, 1);
}

/* Takes the internal mutex; it is held only for a few steps (and the action),
 * so without a timeout. A holder that died may have left the state half
 * updated: the barrier is then broken, as a party dying inside it deserves. */
static void lock(mproc_barrier *b) {
  if (mproc__mutex_lock(&b->obj, &state(b)->mutex, MPROC_WAIT_FOREVER) == MPROC_EOWNERDEAD)
    break_barrier(b);
}

static void unlock(mproc_barrier *b) {
  (void)mproc__mutex_unlock(&b->obj, &state(b)->mutex, "mproc_barrier");
}

/* The barrier's functions, called from its own action, would wait for the
 * mutex this thread holds: refused instead. */
static mproc_status check_usable(const mproc_barrier *b, const char *fn) {
  mproc_status st = check(b, fn);
  if (st == MPROC_OK && mproc__mutex_mine(&state(b)->mutex))
    st = mproc__fail(MPROC_ESTATE, "%s: called from the action of barrier %s", fn, b->obj.name);
  return st;
}

/* The action's arguments, from a private copy of the segment's bytes (the
 * length is re-checked: the segment is writable by every party). */
static mproc_status action_args(const mproc_barrier *b, mproc_args **args) {
  const barrier_state *s = state(b);
  size_t len = mproc__load32(&s->args_len);
  uint8_t *copy;
  mproc_status st;
  if (len == 0)
    return mproc_args_create(args);
  if (len > b->obj.shm.size - MPROC__SEG_HEADER - sizeof(barrier_state))
    return mproc__fail(MPROC_EPROTO, "action arguments past the end of %s", b->obj.name);
  if ((copy = malloc(len)) == NULL)
    return mproc__fail(MPROC_ENOMEM, "out of memory for the action's arguments");
  memcpy(copy, s + 1, len);
  st = mproc__args_decode(copy, len, args);
  free(copy);
  return st;
}

/* The last arrival: runs the action, under the mutex so that nobody enters
 * the next generation before it is done (as Python's runs under its lock). */
static mproc_status release_all(mproc_barrier *b) {
  mproc_args *args = NULL;
  int failed = 0;
  if (b->action) {
    if (action_args(b, &args) != MPROC_OK)
      failed = 1;
    else
      failed = b->action(args, NULL) != 0;
    if (args)
      mproc_args_destroy(args);
  }
  if (failed) {
    break_barrier(b);
    return mproc__fail(MPROC_EFAILED, "mproc_barrier_wait: the action of %s failed", b->obj.name);
  }
  end_generation(b, 0);
  return MPROC_OK;
}

/* Non-zero when the mutex is held by a process that died: the last party
 * killed inside the action, say. The sleepers would otherwise never look at
 * the mutex again before their deadline, which may be never. */
static int holder_died(const barrier_state *s) {
  uint32_t pid = mproc__mutex_owner(&s->mutex);
  return pid != 0 && !mproc__pid_alive(pid);
}

/* Sleeps until generation @gen ends, the deadline passes or the mutex's
 * holder died, re-checking the holder every MPROC__OWNER_CHECK_MS. */
static void sleep_through(mproc_barrier *b, uint32_t gen, int64_t deadline) {
  barrier_state *s = state(b);
  for (;;) {
    int64_t left = mproc__remaining(deadline);
    if (mproc__load32(&s->generation) != gen || left == 0 || holder_died(s))
      return;
    mproc__park_wait(&b->obj, &s->generation, gen,
                     left < 0 || left > MPROC__OWNER_CHECK_MS ? MPROC__OWNER_CHECK_MS : left);
  }
}

/* A party that is not last: sleeps until its generation ends, or breaks the
 * barrier at its deadline. Called and returns with the mutex held. */
static mproc_status wait_generation(mproc_barrier *b, uint32_t gen, int64_t deadline) {
  barrier_state *s = state(b);
  for (;;) {
    unlock(b);
    sleep_through(b, gen, deadline);
    lock(b);
    if (s->generation != gen) {
      if (s->broken_gens & (uint64_t)1 << (gen % HISTORY))
        return mproc__fail(MPROC_EBROKEN, "mproc_barrier_wait: %s broke while waiting",
                           b->obj.name);
      return MPROC_OK;
    }
    if (mproc__remaining(deadline) == 0) {
      break_barrier(b); /* as Python's: one party's timeout breaks it for all */
      return mproc__fail(MPROC_ETIMEDOUT, "mproc_barrier_wait: %s timed out, and is broken",
                         b->obj.name);
    }
  }
}

mproc_status mproc_barrier_wait(mproc_barrier *b, int64_t timeout_ms, uint32_t *index) {
  int64_t deadline = mproc__deadline(timeout_ms);
  barrier_state *s;
  uint32_t arrived;
  mproc_status st = check_usable(b, "mproc_barrier_wait");
  if (st != MPROC_OK)
    return st;
  s = state(b);
  lock(b);
  if (s->broken) {
    unlock(b);
    return mproc__fail(MPROC_EBROKEN, "mproc_barrier_wait: %s is broken", b->obj.name);
  }
  arrived = s->count;
  mproc__store32(&s->count, arrived + 1);
  if (index)
    *index = arrived;
  /* >= rather than ==: parties is re-read from shared memory. */
  if (arrived + 1 >= s->parties)
    st = release_all(b);
  else
    st = wait_generation(b, s->generation, deadline);
  unlock(b);
  return st;
}

mproc_status mproc_barrier_abort(mproc_barrier *b) {
  mproc_status st = check_usable(b, "mproc_barrier_abort");
  if (st != MPROC_OK)
    return st;
  lock(b);
  if (!state(b)->broken)
    break_barrier(b);
  unlock(b);
  return MPROC_OK;
}

mproc_status mproc_barrier_reset(mproc_barrier *b) {
  barrier_state *s;
  mproc_status st = check_usable(b, "mproc_barrier_reset");
  if (st != MPROC_OK)
    return st;
  s = state(b);
  lock(b);
  /* A broken barrier already ended its generation; otherwise the parties
   * waiting now are sent away with EBROKEN and a fresh generation starts. */
  if (!s->broken && s->count > 0)
    end_generation(b, 1);
  mproc__store32(&s->broken, 0);
  unlock(b);
  return MPROC_OK;
}

/* The getters read single words without the mutex: snapshots, as Python's. */

mproc_status mproc_barrier_parties(const mproc_barrier *b, uint32_t *parties) {
  mproc_status st = check(b, "mproc_barrier_parties");
  if (st == MPROC_OK && !parties)
    st = mproc__fail(MPROC_EINVAL, "mproc_barrier_parties: parties is NULL");
  if (st == MPROC_OK)
    *parties = mproc__load32(&state(b)->parties);
  return st;
}

mproc_status mproc_barrier_n_waiting(const mproc_barrier *b, uint32_t *n) {
  mproc_status st = check(b, "mproc_barrier_n_waiting");
  if (st == MPROC_OK && !n)
    st = mproc__fail(MPROC_EINVAL, "mproc_barrier_n_waiting: n is NULL");
  if (st == MPROC_OK)
    *n = mproc__load32(&state(b)->count);
  return st;
}

mproc_status mproc_barrier_broken(const mproc_barrier *b, int *broken) {
  mproc_status st = check(b, "mproc_barrier_broken");
  if (st == MPROC_OK && !broken)
    st = mproc__fail(MPROC_EINVAL, "mproc_barrier_broken: broken is NULL");
  if (st == MPROC_OK)
    *broken = mproc__load32(&state(b)->broken) != 0;
  return st;
}

mproc_status mproc_barrier_close(mproc_barrier *b) {
  return mproc__obj_close((mproc__obj *)b, MPROC__KIND_BARRIER, "mproc_barrier_close");
}

mproc_status mproc_barrier_destroy(mproc_barrier *b) {
  return mproc__obj_destroy((mproc__obj *)b, MPROC__KIND_BARRIER, "mproc_barrier_destroy");
}
