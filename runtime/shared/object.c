/*
 * Shared objects: naming, segments, the registry of live handles, the
 * quarantine of released ones, and the sweep of dead creators' names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "shared/object.h"

#define SEG_MAGIC 0x424f504du /* "MPOB" */
#define SEG_VERSION 2         /* 2: a mutex word holds its owner's pid */

static mproc__obj *live;
static uint32_t next_serial;
/* This process's creator key, "mproc-<pid>-<random>", every name it makes
 * begins with, and the name of its life (mproc__life_hold): made with its
 * first object (under mproc__lock()). "" until then. */
static char key[32]; /* "mproc-" + at most 13 + "-" + 7 */
static uint64_t key_random;
static int key_life; /* the key's life is held: where lives exist (Linux) */

static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* @v in base @base (36 or 62), lowest digit first, at most @max digits. */
static size_t put_digits(char *out, uint64_t v, unsigned base, size_t max) {
  size_t n = 0;
  do
    out[n++] = digits[v % base];
  while ((v /= base) != 0 && n < max);
  return n;
}

size_t mproc__name_prefix(char *out, size_t cap, int64_t pid) {
  char p[16];
  size_t n = put_digits(p, (uint64_t)pid, 36, sizeof p), len = 6;
  if (cap < 6 + n + 2)
    return 0;
  memcpy(out, MPROC__NAME_PREFIX, 6);
  while (n)
    out[len++] = p[--n]; /* most significant first: the pid reads as a number */
  out[len++] = '-';
  out[len] = 0;
  return len;
}

int64_t mproc__name_pid(const char *name) {
  char *end;
  long long pid;
  if (strncmp(name, MPROC__NAME_PREFIX, 6) != 0)
    return -1;
  pid = strtoll(name + 6, &end, 36);
  return end > name + 6 && *end == '-' && pid > 0 ? (int64_t)pid : -1;
}

static void put_serial(char *out, uint32_t serial) {
  out[put_digits(out, serial % MPROC__NAME_SERIALS, 36, 6)] = 0;
}

/* A creator's key, "mproc-<pid>-<random>" (the name of its life); its length. */
static size_t key_make(char *out, int64_t pid, uint64_t random) {
  size_t len = mproc__name_prefix(out, MPROC__NAME_MAX, pid);
  len += put_digits(out + len, random, 62, MPROC__NAME_RANDOM);
  out[len] = 0;
  return len;
}

void mproc__name_make(char *out, int64_t pid, uint32_t serial, uint64_t random) {
  size_t len = key_make(out, pid, random);
  out[len] = '-';
  put_serial(out + len + 1, serial);
}

/* The creator's key of @name into @out (MPROC__NAME_MAX bytes): a life is
 * "mproc-<pid>-<random>" (two dashes), an object's name that plus
 * "-<serial>". 0 when @name is no mproc name. */
static int creator_of(const char *name, char *out) {
  const char *last = strrchr(name, '-');
  size_t n = strlen(name);
  if (mproc__name_pid(name) <= 0 || n >= MPROC__NAME_MAX)
    return 0;
  if (last && last - name > 6 && memchr(name + 6, '-', (size_t)(last - name - 6)))
    n = (size_t)(last - name);
  memcpy(out, name, n);
  out[n] = 0;
  return 1;
}

int mproc__name_creator_lives(const char *name) {
  char creator[MPROC__NAME_MAX];
  return creator_of(name, creator) && mproc__life_held(creator);
}

/* This process's key and life, at its first object (lock held): a name
 * whose creator's life is not held is swept, so none is made without one
 * (where names are swept at all). */
static mproc_status make_key(const char *fn) {
  unsigned char rnd[8];
  uint64_t r = 0;
  mproc_status st;
  int i;
  apr_status_t ast = apr_generate_random_bytes(rnd, sizeof rnd);
  if (ast != APR_SUCCESS)
    return mproc__fail(ast, "%s: no random bytes for a name", fn);
  for (i = 0; i < 8; i++)
    r = r << 8 | rnd[i];
  key_make(key, mproc__self_pid(), r);
  key_random = r;
  st = mproc__life_hold(key);
  if (st != MPROC_OK && st != MPROC_ENOTSUP) {
    key[0] = 0;
    return st;
  }
  key_life = st == MPROC_OK;
  return MPROC_OK;
}

mproc_status mproc__self_key(char *out, int *has_life, const char *fn) {
  mproc_status st = MPROC_OK;
  mproc__lock();
  if (!key[0])
    st = make_key(fn);
  if (st == MPROC_OK) {
    memcpy(out, key, sizeof key);
    *has_life = key_life;
  }
  mproc__unlock();
  return st;
}

int mproc__process_lives(int64_t pid, const char *life, int has_life) {
  return has_life ? mproc__life_held(life) : mproc__pid_alive(pid);
}

static mproc_status make_name(char *out, const char *fn) {
  mproc_status st = MPROC_OK;
  uint32_t n;
  mproc__lock();
  if (!key[0])
    st = make_key(fn);
  n = ++next_serial;
  if (st == MPROC_OK)
    mproc__name_make(out, mproc__self_pid(), n, key_random);
  mproc__unlock();
  return st;
}

/* Names come from other processes: only the characters make_name() produces. */
static int valid_name(const char *name) {
  size_t i, n = strlen(name);
  if (n < 8 || n >= MPROC__NAME_MAX || mproc__name_pid(name) < 0)
    return 0;
  for (i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
      return 0;
  }
  return 1;
}

/* Allocates a handle of @size bytes (the kind's struct, mproc__obj first). */
static mproc__obj *mproc__obj_alloc(size_t size, mproc__kind kind) {
  mproc__obj *o = calloc(1, size);
  if (o) {
    o->kind = (uint8_t)kind;
    o->shm.h = MPROC__NO_HANDLE;
    o->sem.h = MPROC__NO_HANDLE;
  }
  return o;
}

static void registry_add(mproc__obj *o) {
  mproc__lock();
  o->prev = NULL;
  o->next = live;
  if (live)
    live->prev = o;
  live = o;
  mproc__unlock();
}

/* Removes @o if it is registered; returns whether it was. */
static int registry_remove(mproc__obj *o) {
  mproc__obj *p;
  int found = 0;
  mproc__lock();
  for (p = live; p && !found; p = p->next)
    found = p == o;
  if (found) {
    if (o->prev)
      o->prev->next = o->next;
    else
      live = o->next;
    if (o->next)
      o->next->prev = o->prev;
    o->live = 0;
  }
  mproc__unlock();
  return found;
}

mproc_status mproc__obj_registered(const mproc__obj *o, mproc__kind kind, const char *fn) {
  const mproc__obj *p;
  int found = 0;
  if (!o)
    return mproc__fail(MPROC_EINVAL, "%s: object is NULL", fn);
  mproc__lock();
  for (p = live; p && !found; p = p->next)
    found = p == o && p->kind == kind;
  mproc__unlock();
  return found ? MPROC_OK
               : mproc__fail(MPROC_ENOTSHAREABLE,
                             "%s: not a live object of that kind in this process (destroyed, "
                             "closed, or not an mproc object)",
                             fn);
}

/* Removes the object's names: its segment's, its semaphore's, and those
 * its kind owns besides (while the segment is still mapped). */
static void unlink_names(const mproc__obj *o) {
  if (o->unlink_more && o->shm.base)
    o->unlink_more(o);
  mproc__shm_unlink(o->name);
  if (!mproc__futex_available())
    mproc__sem_unlink(o->name);
}

static void release_os(mproc__obj *o) {
  mproc__shm_close(&o->shm);
  if (!mproc__futex_available())
    mproc__sem_close(&o->sem);
}

/* Releases a handle that failed half-way through create or open. */
static void mproc__obj_abandon(mproc__obj *o) {
  if (!o)
    return;
  if (o->shm.base)
    release_os(o);
  if (o->creator && o->name[0])
    unlink_names(o);
  free(o);
}

/* Creates the segment (header + @state_size zeroed bytes) under a fresh name,
 * and the wake channel. The caller initialises the state, then publishes. */
static mproc_status mproc__obj_create(mproc__obj *o, size_t state_size, uint8_t flags,
                                      const char *fn) {
  mproc__seg_header *h;
  mproc_status st;
  if (!mproc__is_initialized())
    return mproc__fail(MPROC_ENOTINIT, "%s: call mproc_init() first", fn);
  if (state_size > MPROC_SHM_MAX_SIZE)
    return mproc__fail(MPROC_ERANGE, "%s: %llu bytes is too large", fn,
                       (unsigned long long)state_size);
  st = make_name(o->name, fn);
  if (st != MPROC_OK)
    return st;
  o->creator = 1;
  st = mproc__shm_create(&o->shm, o->name, MPROC__SEG_HEADER + state_size);
  if (st == MPROC_OK && !mproc__futex_available())
    st = mproc__sem_create(&o->sem, o->name);
  if (st != MPROC_OK)
    return st;
  h = mproc__obj_header(o);
  h->magic = SEG_MAGIC;
  h->version = SEG_VERSION;
  h->kind = o->kind;
  h->flags = flags;
  h->size = MPROC__SEG_HEADER + state_size;
  o->live = MPROC__OBJ_LIVE;
  registry_add(o);
  return MPROC_OK;
}

void mproc__obj_publish(mproc__obj *o) { mproc__store32(&mproc__obj_header(o)->ready, 1); }

/* Opens an existing object by name and validates its header; @min_state is
 * the least state size the kind needs. */
static mproc_status mproc__obj_open(mproc__obj *o, const char *name, uint64_t size,
                                    size_t min_state, const char *fn) {
  mproc__seg_header *h;
  mproc_status st;
  if (!mproc__is_initialized())
    return mproc__fail(MPROC_ENOTINIT, "%s: call mproc_init() first", fn);
  if (!valid_name(name))
    return mproc__fail(MPROC_EPROTO, "%s: \"%.60s\" is not an mproc object name", fn, name);
  if (size < MPROC__SEG_HEADER + min_state || size > MPROC__SEG_HEADER + MPROC_SHM_MAX_SIZE ||
      size > SIZE_MAX)
    return mproc__fail(MPROC_EPROTO, "%s: segment size %llu is not valid for this kind", fn,
                       (unsigned long long)size);
  snprintf(o->name, sizeof o->name, "%s", name);
  st = mproc__shm_open(&o->shm, name, (size_t)size);
  if (st != MPROC_OK)
    return st;
  h = mproc__obj_header(o);
  if (h->magic != SEG_MAGIC || h->version != SEG_VERSION || h->kind != o->kind || h->size != size ||
      mproc__load32(&h->ready) != 1) {
    mproc__shm_close(&o->shm);
    return mproc__fail(MPROC_EPROTO, "%s: %s is not a ready object of the expected kind", fn, name);
  }
  if (!mproc__futex_available()) {
    st = mproc__sem_open(&o->sem, name);
    if (st != MPROC_OK) {
      mproc__shm_close(&o->shm);
      return st;
    }
  }
  o->live = MPROC__OBJ_LIVE;
  registry_add(o);
  return MPROC_OK;
}

mproc_status mproc__obj_new(mproc__obj **out, size_t handle_size, mproc__kind kind,
                            size_t state_size, uint8_t flags, const char *fn) {
  mproc__obj *o;
  mproc_status st;
  if (!out)
    return mproc__fail(MPROC_EINVAL, "%s: NULL argument", fn);
  o = mproc__obj_alloc(handle_size, kind);
  if (!o)
    return mproc__fail(MPROC_ENOMEM, "%s: out of memory", fn);
  st = mproc__obj_create(o, state_size, flags, fn);
  if (st != MPROC_OK) {
    mproc__obj_abandon(o);
    return st;
  }
  *out = o;
  return MPROC_OK;
}

mproc_status mproc__obj_open_new(mproc__obj **out, size_t handle_size, mproc__kind kind,
                                 const char *name, uint64_t size, size_t min_state,
                                 const char *fn) {
  mproc__obj *o = mproc__obj_alloc(handle_size, kind);
  mproc_status st;
  if (!o)
    return mproc__fail(MPROC_ENOMEM, "%s: out of memory", fn);
  st = mproc__obj_open(o, name, size, min_state, fn);
  if (st != MPROC_OK) {
    mproc__obj_abandon(o);
    return st;
  }
  *out = o;
  return MPROC_OK;
}

mproc_status mproc__obj_open_adopt(mproc__obj **out, size_t handle_size, mproc__kind kind,
                                   const char *name, uint64_t size, size_t min_state,
                                   mproc_status (*adopt)(mproc__obj *o), const char *fn) {
  mproc__obj *o = NULL;
  mproc_status st = mproc__obj_open_new(&o, handle_size, kind, name, size, min_state, fn);
  if (st == MPROC_OK)
    st = adopt(o);
  if (st != MPROC_OK && o) {
    char detail[512];
    snprintf(detail, sizeof detail, "%s", mproc_last_error());
    /* Registered by now: released, not abandoned, so the registry forgets it. */
    (void)mproc__obj_release(o, kind, 0, fn);
    return mproc__fail(st, "%s", detail);
  }
  if (st == MPROC_OK)
    *out = o;
  return st;
}

mproc_status mproc__obj_check(const mproc__obj *o, mproc__kind kind, const char *fn) {
  if (!o)
    return mproc__fail(MPROC_EINVAL, "%s: object is NULL", fn);
  if (o->live != MPROC__OBJ_LIVE)
    return mproc__fail(MPROC_ECLOSED, "%s: the object was closed or destroyed", fn);
  if (o->kind != kind)
    return mproc__fail(MPROC_EINVAL, "%s: the object is of another kind", fn);
  return MPROC_OK;
}

mproc_status mproc__obj_release(mproc__obj *o, mproc__kind kind, int unlink, const char *fn) {
  mproc_status st = mproc__obj_check(o, kind, fn);
  if (st != MPROC_OK)
    return st;
  if (!registry_remove(o))
    return mproc__fail(MPROC_ECLOSED, "%s: the object was closed or destroyed", fn);
  if (unlink)
    unlink_names(o);
  release_os(o);
  mproc__quarantine(o);
  return MPROC_OK;
}

static mproc_status release(mproc__obj *o, mproc__kind kind, int destroy, const char *fn) {
  mproc_status st = mproc__obj_check(o, kind, fn);
  if (st != MPROC_OK)
    return st;
  if (destroy != o->creator)
    return mproc__fail(MPROC_EPERM, "%s: %s", fn,
                       destroy ? "only the creator destroys an object; close it instead"
                               : "the creator destroys its objects; it does not close them");
  return mproc__obj_release(o, kind, destroy, fn);
}

mproc_status mproc__obj_close(mproc__obj *o, mproc__kind kind, const char *fn) {
  return release(o, kind, 0, fn);
}

mproc_status mproc__obj_destroy(mproc__obj *o, mproc__kind kind, const char *fn) {
  return release(o, kind, 1, fn);
}

mproc_status mproc__obj_add_to(mproc_args *args, const mproc__obj *o, const char *fn) {
  return mproc__args_add_object(args, o->kind, o->name, mproc__obj_header(o)->size, fn);
}

/* ---- names of dead creators ---- */

/* A sweep's budget: it judges names for this long at most, whatever sits
 * in /dev/shm (anyone may plant names there); what is left is for a later
 * sweep. */
#define SWEEP_BUDGET_MS 20

typedef struct sweep {
  int64_t only;               /* a pid whose names alone are judged; 0: all */
  int64_t deadline;           /* mproc__deadline() of the budget */
  char last[MPROC__NAME_MAX]; /* the creator judged last: a creator's names */
  int last_lives;             /* (its segments, semaphores, life) come together */
} sweep;

static void sweep_one(const char *name, void *arg) {
  sweep *s = arg;
  char creator[MPROC__NAME_MAX];
  int64_t pid = mproc__name_pid(name);
  if (pid <= 0 || (s->only > 0 && pid != s->only) || mproc__remaining(s->deadline) == 0 ||
      !creator_of(name, creator) || strcmp(creator, key) == 0)
    return;
  if (strcmp(creator, s->last) != 0) {
    memcpy(s->last, creator, sizeof creator);
    s->last_lives = mproc__life_held(creator);
  }
  if (s->last_lives)
    return;
  mproc__shm_unlink(name); /* the object's segment, or the life itself */
  mproc__sem_unlink(name);
}

/* The sweep is housekeeping inside successful calls: it must not replace the
 * detail of the caller's last failure (listing is unsupported on some OSes). */
void mproc__sweep(int64_t pid) {
  char saved[512];
  sweep s;
  s.only = pid;
  s.last[0] = 0;
  s.last_lives = 0;
  s.deadline = mproc__deadline(SWEEP_BUDGET_MS);
  snprintf(saved, sizeof saved, "%s", mproc_last_error());
  mproc__names_list(sweep_one, &s);
  mproc__fail(0, "%s", saved);
}

void mproc__objects_at_exit(void) {
  mproc__obj *o;
  mproc__lock();
  for (o = live; o; o = o->next)
    if (o->creator)
      unlink_names(o);
  if (key[0])
    mproc__shm_unlink(key); /* the life: its lock goes with this process */
  mproc__unlock();
}
