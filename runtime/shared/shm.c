/*
 * Raw shared memory (Python's shared_memory.SharedMemory): the user's bytes
 * are the object's state, right after the segment header.
 *
 * The usable size is derived from this process's own mapping, never from the
 * header: the header is writable by every process that maps the segment, the
 * mapping's length is not.
 */
#include "shared/object.h"

struct mproc_shm {
  mproc__obj obj;
};

/* Non-zero for a live handle of this kind; the value getters' check, which
 * records no error since they have no status to return. */
static int usable(const mproc_shm *s) {
  return s && s->obj.live == MPROC__OBJ_LIVE && s->obj.kind == MPROC__KIND_SHM;
}

mproc_status mproc_shm_create(mproc_shm **shm, size_t size) {
  mproc_status st;
  if (!shm)
    return mproc__fail(MPROC_EINVAL, "mproc_shm_create: shm is NULL");
  /* The second bound matters where size_t is 32 bits: the header must still fit. */
  if (size == 0 || (uint64_t)size > MPROC_SHM_MAX_SIZE || size > SIZE_MAX - MPROC__SEG_HEADER)
    return mproc__fail(MPROC_ERANGE, "mproc_shm_create: size %llu is 0 or too large",
                       (unsigned long long)size);
  st = mproc__obj_new((mproc__obj **)shm, sizeof(mproc_shm), MPROC__KIND_SHM, size, 0,
                      "mproc_shm_create");
  if (st == MPROC_OK)
    mproc__obj_publish(&(*shm)->obj); /* the OS zero-fills the bytes: ready as they are */
  return st;
}

static mproc_status open_shm(mproc_shm **shm, const char *name, uint64_t size) {
  return mproc__obj_open_new((mproc__obj **)shm, sizeof(mproc_shm), MPROC__KIND_SHM, name, size, 1,
                             "mproc_args_open_shm");
}

MPROC__DEFINE_ARGS_OBJECT(shm, MPROC__KIND_SHM)

void *mproc_shm_base(const mproc_shm *s) { return usable(s) ? mproc__obj_state(&s->obj) : NULL; }

size_t mproc_shm_size(const mproc_shm *s) {
  return usable(s) ? s->obj.shm.size - MPROC__SEG_HEADER : 0;
}

const char *mproc_shm_name(const mproc_shm *s) { return usable(s) ? s->obj.name : ""; }

mproc_status mproc_shm_close(mproc_shm *s) {
  return mproc__obj_close((mproc__obj *)s, MPROC__KIND_SHM, "mproc_shm_close");
}

mproc_status mproc_shm_destroy(mproc_shm *s) {
  return mproc__obj_destroy((mproc__obj *)s, MPROC__KIND_SHM, "mproc_shm_destroy");
}
