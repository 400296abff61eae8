/*
 * The core every shared object is built on (shared/object.c): a named
 * segment with a validated header, the wake mechanism, the process's registry
 * of live handles, and crossing through mproc_args.
 *
 * Segment layout: a 64-byte header (one cache line), then the kind's state.
 * Invariant: a segment is only used once `ready` is 1; the creator sets it
 * last, so an opener never sees a half-initialised object.
 */
#ifndef MPROC_OBJECT_H
#define MPROC_OBJECT_H

#include "base/atomic.h"
#include "core/core.h"
#include "mproc/shared.h"
#include "wire/args.h"
#include "wire/protocol.h"

typedef struct mproc__seg_header {
  uint32_t magic;    /* "MPOB" */
  uint16_t version;  /* the segment layout version */
  uint8_t kind;      /* mproc__kind */
  uint8_t flags;     /* kind-specific */
  uint32_t ready;    /* 1 once the creator has initialised the state */
  uint32_t sleepers; /* threads parked on the semaphore (portable wake path) */
  uint64_t size;     /* the whole segment */
} mproc__seg_header;

/* The handle part every object struct starts with. */
typedef struct mproc__obj {
  uint32_t live; /* MPROC__OBJ_LIVE while usable; anything else: closed */
  uint8_t kind;
  uint8_t creator; /* this process created it: destroy removes the name */
  char name[MPROC__NAME_MAX];
  mproc__shm shm;
  mproc__sem sem; /* the wake channel when there is no futex */
  /* Removes names the object owns besides its own (a queue's rings), where
   * its own name is removed; NULL for none. */
  void (*unlink_more)(const struct mproc__obj *o);
  struct mproc__obj *prev, *next;
} mproc__obj;

#define MPROC__OBJ_LIVE 0x4c495645u

void mproc__obj_publish(mproc__obj *o);
/* MPROC_OK if @o is a usable handle of @kind; MPROC_EINVAL (NULL, wrong kind), MPROC_ECLOSED. */
mproc_status mproc__obj_check(const mproc__obj *o, mproc__kind kind, const char *fn);
/* Releases the handle (and, for destroy, the name). Frees @o into the quarantine. */
mproc_status mproc__obj_close(mproc__obj *o, mproc__kind kind, const char *fn);
/* Releases the handle whoever created it, removing the names with @unlink
 * (objects whose names go by another rule than "the creator destroys"). */
mproc_status mproc__obj_release(mproc__obj *o, mproc__kind kind, int unlink, const char *fn);
mproc_status mproc__obj_destroy(mproc__obj *o, mproc__kind kind, const char *fn);
/* The usual create: allocates a handle of @handle_size bytes, creates its
 * segment with @state_size bytes of zeroed state; the caller initialises the
 * state and calls mproc__obj_publish(). */
mproc_status mproc__obj_new(mproc__obj **out, size_t handle_size, mproc__kind kind,
                            size_t state_size, uint8_t flags, const char *fn);
/* The usual open: allocates a handle and opens @name validating its header against @min_state, the
 * least state size the kind needs. */
mproc_status mproc__obj_open_new(mproc__obj **out, size_t handle_size, mproc__kind kind,
                                 const char *name, uint64_t size, size_t min_state, const char *fn);

/* The open of a kind whose state another process wrote: mproc__obj_open_new,
 * then @adopt checks that state and fills the rest of the handle from it;
 * a refusal releases the handle again and keeps @adopt's status and detail. */
mproc_status mproc__obj_open_adopt(mproc__obj **out, size_t handle_size, mproc__kind kind,
                                   const char *name, uint64_t size, size_t min_state,
                                   mproc_status (*adopt)(mproc__obj *o), const char *fn);

static inline mproc__seg_header *mproc__obj_header(const mproc__obj *o) {
  return (mproc__seg_header *)o->shm.base;
}
static inline void *mproc__obj_state(const mproc__obj *o) {
  return (char *)o->shm.base + MPROC__SEG_HEADER;
}
static inline uint8_t mproc__obj_flags(const mproc__obj *o) { return mproc__obj_header(o)->flags; }

/* Sleeping and waking on a word of an object's state (shared/park.c).
 * wait: MPROC_OK (woken, changed, or spurious: re-check), MPROC_ETIMEDOUT.
 * wake(all=0) wakes at least one sleeper of @word, maybe more. */
mproc_status mproc__park_wait(mproc__obj *o, volatile uint32_t *word, uint32_t expected,
                              int64_t timeout_ms);
void mproc__park_wake(mproc__obj *o, volatile uint32_t *word, int all);

/* An Event's flag word, for a check inlined where it is made per call
 * (a pool worker checks for cancellation before each call of a chunk). */
const volatile uint32_t *mproc__event_flag(const mproc_event *e);

/*
 * Names: "mproc-<creator pid, base 36>-<random, base 62>-<serial, base 36>".
 * Short enough for XNU's semaphore names (30 characters, with the platform's
 * "/" and "-w"), whatever the pid (5 base-36 digits hold Linux's largest,
 * 4 macOS's) and the serial (kept to 6 digits): at most 27 characters. The
 * creator's pid says whose name it is (Process join and pool reaps sweep
 * one pid's); the random part, drawn once per process, keeps a dead
 * process's leftovers from colliding with a new one of the same pid, and
 * "mproc-<pid>-<random>" is also the name of the creator's life (see
 * mproc__life_hold), which tells the sweep whether it lives.
 */
#define MPROC__NAME_PREFIX "mproc-"
#define MPROC__NAME_RANDOM 7            /* base-62 digits: 41 bits */
#define MPROC__NAME_SERIALS 2176782336u /* 36^6: the serial wraps, the random part differs */
/* Writes the name's prefix "mproc-<pid>-" into @out: its length, 0 if @cap is too small. */
size_t mproc__name_prefix(char *out, size_t cap, int64_t pid);
/* The creator pid a name gives; -1 when it is no mproc name. */
int64_t mproc__name_pid(const char *name);
/* Writes a name (MPROC__NAME_MAX bytes at most) into @out. */
void mproc__name_make(char *out, int64_t pid, uint32_t serial, uint64_t random);
/* Whether the creator of @name (an object's, or a life's: see
 * mproc__life_hold) lives, by its life's lock, not its pid: a pid means
 * nothing across PID namespaces. 0 for a name that is no mproc name. */
int mproc__name_creator_lives(const char *name);

/* This process's key, "mproc-<pid>-<random>" (MPROC__NAME_MAX bytes at
 * @out), made if need be; *has_life: whether its life (mproc__life_hold)
 * is held, so that mproc__process_lives() can ask it. */
mproc_status mproc__self_key(char *out, int *has_life, const char *fn);
/* Whether the process of @pid and key @life lives: by its life where it has
 * one (a pid means nothing across PID namespaces), else by its pid. */
int mproc__process_lives(int64_t pid, const char *life, int has_life);

/* Crossing: @o as a value of @args (its kind, name and size: see
 * mproc__args_add_object()). */
mproc_status mproc__obj_add_to(mproc_args *args, const mproc__obj *o, const char *fn);
/* MPROC_OK if @o is a live handle of @kind registered in this process. */
mproc_status mproc__obj_registered(const mproc__obj *o, mproc__kind kind, const char *fn);

/* Names: sweep the names of dead creators (all, or only @pid's when pid > 0). */
void mproc__sweep(int64_t pid);
/* At exit: remove the names this process created and did not destroy. */
void mproc__objects_at_exit(void);

/*
 * Defines mproc_args_get_<kind>() for a kind whose file has `static
 * mproc_status open_<kind>(mproc_<kind> **, const char *name, uint64_t
 * size)`: opened on the first get, cached in the list, closed with it.
 */
#define MPROC__DEFINE_ARGS_GETTER(kind, KIND)                                                      \
  static void release_cached_##kind(void *handle_) { (void)mproc_##kind##_close(handle_); }        \
  mproc_status mproc_args_get_##kind(const mproc_args *args, size_t index,                         \
                                     mproc_##kind **object) {                                      \
    const char *name_;                                                                             \
    uint64_t size_;                                                                                \
    mproc_##kind *o_ = NULL;                                                                       \
    mproc_status st_;                                                                              \
    if (!object)                                                                                   \
      return mproc__fail(MPROC_EINVAL, "mproc_args_get_" #kind ": object is NULL");                \
    st_ = mproc__args_get_object(args, index, KIND, &name_, &size_, "mproc_args_get_" #kind);      \
    if (st_ == MPROC_OK && (*object = mproc__args_cached(args, index)) != NULL)                    \
      return MPROC_OK;                                                                             \
    if (st_ == MPROC_OK)                                                                           \
      st_ = open_##kind(&o_, name_, size_);                                                        \
    if (st_ == MPROC_OK &&                                                                         \
        (st_ = mproc__args_cache_put(args, index, o_, release_cached_##kind)) != MPROC_OK)         \
      release_cached_##kind(o_);                                                                   \
    if (st_ == MPROC_OK)                                                                           \
      *object = o_;                                                                                \
    return st_;                                                                                    \
  }

/*
 * Defines mproc_args_add_<kind>(), mproc_args_open_<kind>() and
 * mproc_args_get_<kind>() for a kind whose file has open_<kind>() (above).
 */
#define MPROC__DEFINE_ARGS_OBJECT(kind, KIND)                                                      \
  mproc_status mproc_args_add_##kind(mproc_args *args, const mproc_##kind *object) {               \
    mproc_status st_ =                                                                             \
        mproc__obj_registered((const mproc__obj *)object, KIND, "mproc_args_add_" #kind);          \
    return st_ ? st_                                                                               \
               : mproc__obj_add_to(args, (const mproc__obj *)object, "mproc_args_add_" #kind);     \
  }                                                                                                \
  mproc_status mproc_args_open_##kind(const mproc_args *args, size_t index,                        \
                                      mproc_##kind **object) {                                     \
    const char *name_;                                                                             \
    uint64_t size_;                                                                                \
    mproc_status st_;                                                                              \
    if (!object)                                                                                   \
      return mproc__fail(MPROC_EINVAL, "mproc_args_open_" #kind ": object is NULL");               \
    st_ = mproc__args_get_object(args, index, KIND, &name_, &size_, "mproc_args_open_" #kind);     \
    return st_ ? st_ : open_##kind(object, name_, size_);                                          \
  }                                                                                                \
  MPROC__DEFINE_ARGS_GETTER(kind, KIND)

#endif /* MPROC_OBJECT_H */
