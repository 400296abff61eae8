/*
 * Raw shared memory (Python's shared_memory.SharedMemory): the user's bytes
 * are the object's state, right after the segment header.
 *
 * The usable size is derived from this process's own mapping, never from the
 * header: the header is writable by every process that maps the segment, the
 * mapping's length is not.
 *
 * A segment created with a name (options.name) gets a second, small segment
 * besides its own: the alias "mproc-_<name>", which holds the creator's pid
 * and the segment's own name and size. mproc_shm_attach() reads the alias,
 * checks it, and opens the segment as any opener does. The creator keeps
 * the alias mapped (so Windows, whose names end with their last handle,
 * keeps it) and removes it with the segment's own name; an alias whose
 * creator died (POSIX keeps the name) is refused by attach and replaced by
 * the next create of that name.
 */
#include <stdio.h>
#include <string.h>

#include "shared/object.h"

/* Not "mproc-<base 36 pid>-": the sweep judges those by the pid in the
 * name, and an alias's name holds none (its creator's pid is inside). */
#define ALIAS_PREFIX "mproc-_"
#define ALIAS_MAGIC 0x53414e4du /* "MNAS" */

/* The alias segment's contents. */
typedef struct alias {
  uint32_t magic;
  uint32_t pad;
  int64_t pid;   /* the creator */
  uint64_t size; /* the segment's (its opener's size argument) */
  char name[MPROC__NAME_MAX];
} alias;

struct mproc_shm {
  mproc__obj obj;
  mproc__shm alias;               /* the creator's mapping of its alias; base NULL: none */
  char alias_os[MPROC__NAME_MAX]; /* that alias's OS name */
};

/* Non-zero for a live handle of this kind; the value getters' check, which
 * records no error since they have no status to return. */
static int usable(const mproc_shm *s) {
  return s && s->obj.live == MPROC__OBJ_LIVE && s->obj.kind == MPROC__KIND_SHM;
}

/* The alias's OS name for @name, after checking @name. */
static mproc_status alias_name(char *out, const char *name, const char *fn) {
  size_t i, n = name ? strlen(name) : 0;
  if (n == 0 || n > MPROC_SHM_NAME_MAX)
    return mproc__fail(MPROC_EINVAL, "%s: a name of 1 to %d characters", fn, MPROC_SHM_NAME_MAX);
  for (i = 0; i < n; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
          (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
      return mproc__fail(MPROC_EINVAL, "%s: name \"%s\": only letters, digits and _", fn, name);
  snprintf(out, MPROC__NAME_MAX, "%s%s", ALIAS_PREFIX, name);
  return MPROC_OK;
}

/* Maps the alias @os_name and copies it out, checked: MPROC_OK, an OS
 * status (no such name), MPROC_EPROTO, MPROC_ESTATE (its creator is gone). */
static mproc_status read_alias(const char *os_name, alias *out, const char *fn) {
  mproc__shm m = {NULL, 0, MPROC__NO_HANDLE};
  mproc_status st = mproc__shm_open(&m, os_name, sizeof(alias));
  if (st != MPROC_OK) /* say what the caller asked for, then why */
    return mproc__fail(st, "%s: no segment named \"%s\": %s", fn, os_name + strlen(ALIAS_PREFIX),
                       mproc_last_error());
  memcpy(out, m.base, sizeof *out); /* read once: the segment is writable by others */
  mproc__shm_close(&m);
  if (out->magic != ALIAS_MAGIC || !memchr(out->name, 0, sizeof out->name) || out->pid <= 0)
    return mproc__fail(MPROC_EPROTO, "%s: %s is not a segment's name", fn, os_name);
  if (!mproc__pid_alive(out->pid))
    return mproc__fail(MPROC_ESTATE, "%s: %s: its creator (pid %lld) is gone", fn, os_name,
                       (long long)out->pid);
  return MPROC_OK;
}

/* Makes the alias of @s: refused while a live creator holds the name, made
 * again over one whose creator died. */
static mproc_status make_alias(mproc_shm *s, const char *name, const char *fn) {
  char os_name[MPROC__NAME_MAX];
  alias a, *in;
  mproc_status st = alias_name(os_name, name, fn);
  if (st != MPROC_OK)
    return st;
  if (read_alias(os_name, &a, fn) == MPROC_OK)
    return mproc__fail(MPROC_EEXIST, "%s: \"%s\" is held by pid %lld", fn, name, (long long)a.pid);
  mproc__shm_unlink(os_name); /* a dead creator's, if any */
  st = mproc__shm_create(&s->alias, os_name, sizeof(alias));
  if (st != MPROC_OK)
    return st == MPROC_EEXIST ? mproc__fail(MPROC_EEXIST, "%s: \"%s\" is taken", fn, name) : st;
  snprintf(s->alias_os, sizeof s->alias_os, "%s", os_name);
  in = s->alias.base;
  in->pid = mproc__self_pid();
  in->size = s->obj.shm.size;
  snprintf(in->name, sizeof in->name, "%s", s->obj.name);
  mproc__store32(&in->magic, ALIAS_MAGIC);
  return MPROC_OK;
}

/* Removes the alias with the segment's own name (destroy, or the exit). */
static void unlink_alias(const mproc__obj *o) {
  const mproc_shm *s = (const mproc_shm *)o;
  if (s->alias.base)
    mproc__shm_unlink(s->alias_os);
}

mproc_status mproc_shm_create(mproc_shm **shm, size_t size, const mproc_shm_options *options) {
  static const char fn[] = "mproc_shm_create";
  mproc_shm *s = NULL;
  mproc_status st;
  if (!shm)
    return mproc__fail(MPROC_EINVAL, "%s: shm is NULL", fn);
  if ((st = MPROC__CHECK_RESERVED(options, fn, "options")) != MPROC_OK)
    return st;
  /* The second bound matters where size_t is 32 bits: the header must still fit. */
  if (size == 0 || (uint64_t)size > MPROC_SHM_MAX_SIZE || size > SIZE_MAX - MPROC__SEG_HEADER)
    return mproc__fail(MPROC_ERANGE, "%s: size %llu is 0 or too large", fn,
                       (unsigned long long)size);
  st = mproc__obj_new((mproc__obj **)&s, sizeof(mproc_shm), MPROC__KIND_SHM, size, 0, fn);
  if (st != MPROC_OK)
    return st;
  s->alias.h = MPROC__NO_HANDLE;
  if (options && options->name) {
    st = make_alias(s, options->name, fn);
    if (st != MPROC_OK) {
      char why[512];
      snprintf(why, sizeof why, "%s", mproc_last_error());
      (void)mproc__obj_destroy(&s->obj, MPROC__KIND_SHM, fn);
      return mproc__fail(st, "%s", why);
    }
    s->obj.unlink_more = unlink_alias;
  }
  mproc__obj_publish(&s->obj); /* the OS zero-fills the bytes: ready as they are */
  *shm = s;
  return MPROC_OK;
}

static mproc_status open_shm(mproc_shm **shm, const char *name, uint64_t size) {
  mproc_status st = mproc__obj_open_new((mproc__obj **)shm, sizeof(mproc_shm), MPROC__KIND_SHM,
                                        name, size, 1, "mproc_args_open_shm");
  if (st == MPROC_OK)
    (*shm)->alias.h = MPROC__NO_HANDLE;
  return st;
}

MPROC__DEFINE_ARGS_OBJECT(shm, MPROC__KIND_SHM)

mproc_status mproc_shm_attach(mproc_shm **shm, const char *name) {
  static const char fn[] = "mproc_shm_attach";
  char os_name[MPROC__NAME_MAX];
  alias a;
  mproc_status st;
  if (!shm)
    return mproc__fail(MPROC_EINVAL, "%s: shm is NULL", fn);
  if ((st = alias_name(os_name, name, fn)) != MPROC_OK ||
      (st = read_alias(os_name, &a, fn)) != MPROC_OK)
    return st;
  if ((st = open_shm(shm, a.name, a.size)) != MPROC_OK) /* destroyed meanwhile, say */
    return mproc__fail(st, "%s: \"%s\": %s", fn, name, mproc_last_error());
  return MPROC_OK;
}

void *mproc_shm_base(const mproc_shm *s) { return usable(s) ? mproc__obj_state(&s->obj) : NULL; }

size_t mproc_shm_size(const mproc_shm *s) {
  return usable(s) ? s->obj.shm.size - MPROC__SEG_HEADER : 0;
}

const char *mproc_shm_name(const mproc_shm *s) { return usable(s) ? s->obj.name : ""; }

mproc_status mproc_shm_close(mproc_shm *s) {
  return mproc__obj_close((mproc__obj *)s, MPROC__KIND_SHM, "mproc_shm_close");
}

mproc_status mproc_shm_destroy(mproc_shm *s) {
  mproc__shm kept;
  mproc_status st;
  if (!usable(s) || !s->obj.creator)
    return mproc__obj_destroy((mproc__obj *)s, MPROC__KIND_SHM, "mproc_shm_destroy");
  kept = s->alias; /* the destroy removes its name (unlink_more) and frees the handle */
  st = mproc__obj_destroy((mproc__obj *)s, MPROC__KIND_SHM, "mproc_shm_destroy");
  if (st == MPROC_OK && kept.base)
    mproc__shm_close(&kept);
  return st;
}
