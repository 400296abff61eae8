/*
 * POSIX named semaphores: the wake channel of the portable path (macOS has
 * no process-shared futex, condvar or unnamed semaphore). Mode 0600, O_EXCL.
 *
 * macOS has no sem_timedwait: timed waits poll sem_trywait with a short
 * backoff (at most 1 ms between tries). The portable build uses the same
 * code on Linux, so CI runs the macOS path.
 */
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"

#ifndef MPROC__LINUX
#define POLL_TIMED_WAITS 1
#endif

/* "/<name>-w": the semaphore beside the object's segment (31 characters at most on macOS). */
static void os_name(char *out, size_t cap, const char *name) { snprintf(out, cap, "/%s-w", name); }

mproc_status mproc__sem_create(mproc__sem *sem, const char *name) {
  char os[96];
  sem_t *s;
  os_name(os, sizeof os, name);
  s = sem_open(os, O_CREAT | O_EXCL, 0600, 0);
  if (s == SEM_FAILED)
    return mproc__posix_fail_fd(errno, "sem_open", "%s, O_CREAT|O_EXCL", os);
  sem->p = s;
  return MPROC_OK;
}

mproc_status mproc__sem_open(mproc__sem *sem, const char *name) {
  char os[96];
  sem_t *s;
  os_name(os, sizeof os, name);
  s = sem_open(os, 0);
  if (s == SEM_FAILED)
    return mproc__posix_fail_fd(errno, "sem_open", "%s", os);
  sem->p = s;
  return MPROC_OK;
}

mproc_status mproc__sem_post(mproc__sem *sem, uint32_t n) {
  while (n--)
    if (sem_post((sem_t *)sem->p) < 0)
      return mproc__fail_os(errno, "sem_post", "%p", sem->p);
  return MPROC_OK;
}

static void nap_us(long us) {
  struct timespec ts;
  ts.tv_sec = 0;
  ts.tv_nsec = us * 1000L;
  nanosleep(&ts, NULL);
}

mproc_status mproc__sem_wait(mproc__sem *sem, int64_t timeout_ms) {
  sem_t *s = (sem_t *)sem->p;
  if (timeout_ms < 0) {
    while (sem_wait(s) < 0)
      if (errno != EINTR)
        return mproc__fail_os(errno, "sem_wait", "%p", (void *)s);
    return MPROC_OK;
  }
#ifdef POLL_TIMED_WAITS
  {
    int64_t deadline = mproc__deadline(timeout_ms);
    long backoff = 20;
    for (;;) {
      if (sem_trywait(s) == 0)
        return MPROC_OK;
      if (errno != EAGAIN && errno != EINTR)
        return mproc__fail_os(errno, "sem_trywait", "%p", (void *)s);
      if (mproc__remaining(deadline) == 0) /* a huge timeout never expires */
        return MPROC_ETIMEDOUT;
      nap_us(backoff);
      if (backoff < 1000)
        backoff *= 2;
    }
  }
#else
  {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(timeout_ms / 1000);
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    while (sem_timedwait(s, &ts) < 0) {
      if (errno == ETIMEDOUT)
        return MPROC_ETIMEDOUT;
      if (errno != EINTR)
        return mproc__fail_os(errno, "sem_timedwait", "%p", (void *)s);
    }
    (void)nap_us;
    return MPROC_OK;
  }
#endif
}

void mproc__sem_close(mproc__sem *sem) {
  if (sem->p)
    sem_close((sem_t *)sem->p);
  sem->p = NULL;
}

void mproc__sem_unlink(const char *name) {
  char os[96];
  os_name(os, sizeof os, name);
  sem_unlink(os);
}
