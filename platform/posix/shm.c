/*
 * POSIX named shared memory: shm_open("/<name>") with O_EXCL and mode 0600,
 * checked after the fact (owner_only()), so no umask or inherited mode can
 * widen it or leave the owner without read and write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "internal.h"

static void os_name(char *out, size_t cap, const char *name) { snprintf(out, cap, "/%s", name); }

static mproc_status map(mproc__shm *shm, int fd, size_t size, const char *what) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    return mproc__fail_os(errno, "mmap", "%s, %zu bytes", what, size);
  shm->base = p;
  shm->size = size;
  return MPROC_OK;
}

/* Mode 0600 exactly. Linux applies the umask to shm_open's mode and lets
 * fchmod set it back. XNU refuses fchmod on a segment (EINVAL: it is no
 * vnode) and keeps shm_open's mode, which a umask can only narrow: fstat
 * then tells whether the owner kept read and write. */
static mproc_status owner_only(int fd, const char *os) {
  struct stat sb;
  if (fchmod(fd, 0600) < 0 && errno != EINVAL)
    return mproc__fail_os(errno, "fchmod", "%s, 0600", os);
  if (fstat(fd, &sb) < 0)
    return mproc__fail_os(errno, "fstat", "%s", os);
  if ((sb.st_mode & 0777) != 0600)
    return mproc__fail_os(EACCES, "shm_open",
                          "%s: mode %03o, not 0600 (the umask takes the owner's read or write "
                          "permission away)",
                          os, (unsigned)(sb.st_mode & 0777));
  return MPROC_OK;
}

/* All the segment's memory now (see platform.h): on Linux, /dev/shm's
 * pages are reserved, so that a full /dev/shm is this error, never a SIGBUS
 * at a page's first touch. */
static mproc_status back(int fd, const char *os, size_t size) {
#ifdef __linux__ /* a tmpfs limit, whichever path: the portable build too */
  struct statvfs fs;
  int err = posix_fallocate(fd, 0, (off_t)size);
  if (err == 0)
    return MPROC_OK;
  if (err == ENOSPC && statvfs("/dev/shm", &fs) == 0)
    return mproc__fail_os(err, "posix_fallocate",
                          "%s, %zu bytes: /dev/shm has %llu of its %llu bytes free", os, size,
                          (unsigned long long)fs.f_bavail * fs.f_frsize,
                          (unsigned long long)fs.f_blocks * fs.f_frsize);
  return mproc__fail_os(err, "posix_fallocate", "%s, %zu bytes", os, size);
#else
  (void)fd;
  (void)os;
  (void)size;
  return MPROC_OK;
#endif
}

mproc_status mproc__shm_create(mproc__shm *shm, const char *name, size_t size) {
  char os[96];
  mproc_status st = MPROC_OK;
  int fd;
  os_name(os, sizeof os, name);
  fd = shm_open(os, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    return mproc__posix_fail_fd(errno, "shm_open", "%s, O_CREAT|O_EXCL", os);
  if ((st = owner_only(fd, os)) != MPROC_OK)
    ;
  else if (ftruncate(fd, (off_t)size) < 0)
    st = mproc__fail_os(errno, "ftruncate", "%s, %zu bytes", os, size);
  else if ((st = back(fd, os, size)) == MPROC_OK)
    st = map(shm, fd, size, os);
  close(fd);
  if (st != MPROC_OK)
    shm_unlink(os);
  return st;
}

mproc_status mproc__shm_open(mproc__shm *shm, const char *name, size_t size) {
  char os[96];
  struct stat sb;
  mproc_status st;
  int fd;
  os_name(os, sizeof os, name);
  fd = shm_open(os, O_RDWR, 0);
  if (fd < 0)
    return mproc__posix_fail_fd(errno, "shm_open", "%s", os);
  if (fstat(fd, &sb) < 0)
    st = mproc__fail_os(errno, "fstat", "%s", os);
  else if ((uint64_t)sb.st_size < (uint64_t)size)
    st = mproc__fail(MPROC_EPROTO, "shm_open(%s): %lld bytes, expected %zu", os,
                     (long long)sb.st_size, size);
  else
    st = map(shm, fd, size, os);
  close(fd);
  return st;
}

void mproc__shm_close(mproc__shm *shm) {
  if (shm->base)
    munmap(shm->base, shm->size);
  shm->base = NULL;
  shm->size = 0;
}

void mproc__shm_unlink(const char *name) {
  char os[96];
  os_name(os, sizeof os, name);
  shm_unlink(os);
}

/* A name lives until it is unlinked: nothing to pin. */
mproc_status mproc__shm_pin(const mproc__shm *shm, int64_t pid, uint64_t *token) {
  (void)shm;
  (void)pid;
  *token = 0;
  return MPROC_OK;
}

void mproc__shm_unpin(int64_t pid, uint64_t token) {
  (void)pid;
  (void)token;
}

/* ---- lives: flock on a segment (Linux) ---- */

mproc_status mproc__life_hold(const char *name) {
#ifdef MPROC__LINUX
  char os[96];
  int fd;
  os_name(os, sizeof os, name);
  fd = shm_open(os, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return mproc__posix_fail_fd(errno, "shm_open", "%s, O_CREAT|O_EXCL", os);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    mproc_status st = mproc__fail_os(errno, "flock", "%s, LOCK_EX", os);
    close(fd);
    shm_unlink(os);
    return st;
  }
  return MPROC_OK; /* fd stays open, and locked, until this process ends */
#else
  (void)name;
  return mproc__fail(MPROC_ENOTSUP, "lives: names are not swept on this OS");
#endif
}

int mproc__life_held(const char *name) {
#ifdef MPROC__LINUX
  char os[96];
  int fd, held;
  os_name(os, sizeof os, name);
  fd = shm_open(os, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0)
    return errno != ENOENT;
  held = flock(fd, LOCK_EX | LOCK_NB) != 0; /* taken: nobody held it */
  close(fd);
  return held;
#else
  (void)name;
  return 1;
#endif
}
