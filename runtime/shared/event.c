/*
 * Event: a flag word in shared memory. is_set is one atomic load; set wakes
 * every sleeper at once.
 */
#include "shared/object.h"

struct mproc_event {
  mproc__obj obj;
};

typedef struct event_state {
  uint32_t flag;
} event_state;

static event_state *state(const mproc_event *e) { return mproc__obj_state(&e->obj); }

mproc_status mproc_event_create(mproc_event **event) {
  mproc_status st = mproc__obj_new((mproc__obj **)event, sizeof(mproc_event), MPROC__KIND_EVENT,
                                   sizeof(event_state), 0, "mproc_event_create");
  if (st == MPROC_OK)
    mproc__obj_publish(&(*event)->obj);
  return st;
}

static mproc_status open_event(mproc_event **event, const char *name, uint64_t size) {
  return mproc__obj_open_new((mproc__obj **)event, sizeof(mproc_event), MPROC__KIND_EVENT, name,
                             size, sizeof(event_state), "mproc_args_open_event");
}

MPROC__DEFINE_ARGS_OBJECT(event, MPROC__KIND_EVENT)

mproc_status mproc_event_set(mproc_event *e) {
  mproc_status st = mproc__obj_check((mproc__obj *)e, MPROC__KIND_EVENT, "mproc_event_set");
  if (st != MPROC_OK)
    return st;
  if (mproc__xchg32(&state(e)->flag, 1) == 0)
    mproc__park_wake(&e->obj, &state(e)->flag, 1);
  return MPROC_OK;
}

mproc_status mproc_event_clear(mproc_event *e) {
  mproc_status st = mproc__obj_check((mproc__obj *)e, MPROC__KIND_EVENT, "mproc_event_clear");
  if (st == MPROC_OK)
    mproc__store32(&state(e)->flag, 0);
  return st;
}

const volatile uint32_t *mproc__event_flag(const mproc_event *e) { return &state(e)->flag; }

int mproc_event_is_set(const mproc_event *e) {
  return e && e->obj.live == MPROC__OBJ_LIVE && mproc__load32(&state(e)->flag) != 0;
}

mproc_status mproc_event_wait(mproc_event *e, int64_t timeout_ms) {
  int64_t deadline = mproc__deadline(timeout_ms);
  mproc_status st = mproc__obj_check((mproc__obj *)e, MPROC__KIND_EVENT, "mproc_event_wait");
  if (st != MPROC_OK)
    return st;
  for (;;) {
    int64_t left;
    if (mproc__load32(&state(e)->flag))
      return MPROC_OK;
    left = mproc__remaining(deadline);
    if (left == 0)
      return mproc__fail(MPROC_ETIMEDOUT, "mproc_event_wait: %s not set after %lld ms", e->obj.name,
                         (long long)timeout_ms);
    mproc__park_wait(&e->obj, &state(e)->flag, 0, left);
  }
}

mproc_status mproc_event_close(mproc_event *e) {
  return mproc__obj_close((mproc__obj *)e, MPROC__KIND_EVENT, "mproc_event_close");
}

mproc_status mproc_event_destroy(mproc_event *e) {
  return mproc__obj_destroy((mproc__obj *)e, MPROC__KIND_EVENT, "mproc_event_destroy");
}
