/*
 * Windows named semaphores: the wake channel of every shared object (there
 * is no cross-process futex; see futex.c). Named Local\<name>-w: file
 * mappings and semaphores share one namespace, so the object's segment
 * already holds Local\<name>. Created exclusively with an owner-only DACL.
 *
 * As with shm.c, the semaphore exists while any handle to it is open, so
 * there is nothing to unlink.
 */
#include <limits.h>
#include <stdlib.h>

#include "internal.h"

/* The longest single wait: INFINITE (0xFFFFFFFF) itself means no limit. */
#define MAX_WAIT_MS ((int64_t)INFINITE - 1)

mproc_status mproc__sem_create(mproc__sem *sem, const char *name) {
  mproc__win32_owner_only sec;
  WCHAR *wname = NULL; /* set only if st is OK: MSVC's C4703 cannot tell */
  HANDLE h = NULL;
  DWORD err;
  mproc_status st = mproc__win32_owner_only_sa(&sec);
  if (st == MPROC_OK)
    st = mproc__win32_object_name(name, "-w", &wname);
  if (st != MPROC_OK)
    return st;
  SetLastError(ERROR_SUCCESS);
  h = CreateSemaphoreW(&sec.sa, 0, LONG_MAX, wname);
  err = GetLastError();
  free(wname);
  if (!h)
    return mproc__fail_os((int)err, "CreateSemaphoreW", "%s-w", name);
  /* An existing name opens that semaphore: a failure here, never a reuse. */
  if (err == ERROR_ALREADY_EXISTS) {
    CloseHandle(h);
    return mproc__fail_os(ERROR_ALREADY_EXISTS, "CreateSemaphoreW", "%s-w: the name exists", name);
  }
  sem->h = MPROC__WIN32_HANDLE(h);
  return MPROC_OK;
}

mproc_status mproc__sem_open(mproc__sem *sem, const char *name) {
  WCHAR *wname;
  HANDLE h = NULL;
  mproc_status st = mproc__win32_object_name(name, "-w", &wname);
  if (st != MPROC_OK)
    return st;
  /* Posting and waiting is all the runtime does: no WRITE_DAC and the like. */
  h = OpenSemaphoreW(SEMAPHORE_MODIFY_STATE | SYNCHRONIZE, FALSE, wname);
  free(wname);
  if (!h)
    return mproc__fail_os((int)GetLastError(), "OpenSemaphoreW", "%s-w", name);
  sem->h = MPROC__WIN32_HANDLE(h);
  return MPROC_OK;
}

mproc_status mproc__sem_post(mproc__sem *sem, uint32_t n) {
  LONG count = n > (uint32_t)LONG_MAX ? LONG_MAX : (LONG)n;
  DWORD err;
  if (n == 0)
    return MPROC_OK; /* ReleaseSemaphore rejects a count of 0 */
  for (;;) {
    if (ReleaseSemaphore(MPROC__WIN32_H(sem->h), count, NULL))
      return MPROC_OK;
    err = GetLastError();
    if (err != ERROR_TOO_MANY_POSTS)
      return mproc__fail_os((int)err, "ReleaseSemaphore", "handle %lld, %ld", (long long)sem->h,
                            (long)count);
    /* The sum would pass LONG_MAX and the release added nothing. Add what
     * fits (halving), so the count ends near saturation and every sleeper
     * finds a token; a single token failing means it is at LONG_MAX. */
    if (count == 1)
      return MPROC_OK;
    count /= 2;
  }
}

/* One WaitForSingleObject; waits longer than MAX_WAIT_MS are split by the caller. */
static mproc_status wait_once(mproc__sem *sem, DWORD ms) {
  DWORD r = WaitForSingleObject(MPROC__WIN32_H(sem->h), ms);
  if (r == WAIT_OBJECT_0)
    return MPROC_OK;
  if (r == WAIT_TIMEOUT)
    return MPROC_ETIMEDOUT; /* a plain outcome: no failure detail */
  /* WAIT_FAILED; WAIT_ABANDONED is for mutexes and cannot happen here. */
  return mproc__fail_os(r == WAIT_FAILED ? (int)GetLastError() : ERROR_INVALID_HANDLE,
                        "WaitForSingleObject", "handle %lld, %lu ms", (long long)sem->h,
                        (unsigned long)ms);
}

mproc_status mproc__sem_wait(mproc__sem *sem, int64_t timeout_ms) {
  if (timeout_ms < 0)
    return wait_once(sem, INFINITE);
  /* More than ~49.7 days does not fit a DWORD below INFINITE: wait in parts. */
  for (;;) {
    DWORD ms = (DWORD)(timeout_ms > MAX_WAIT_MS ? MAX_WAIT_MS : timeout_ms);
    mproc_status st = wait_once(sem, ms);
    if (st != MPROC_ETIMEDOUT || timeout_ms <= MAX_WAIT_MS)
      return st;
    timeout_ms -= MAX_WAIT_MS;
  }
}

void mproc__sem_close(mproc__sem *sem) {
  /* NULL too: a zero-filled struct holds no handle. */
  if (sem->h != MPROC__NO_HANDLE && sem->h != 0)
    CloseHandle(MPROC__WIN32_H(sem->h));
  sem->h = MPROC__NO_HANDLE;
}

/* Nothing to do: the semaphore vanishes with its last handle (see shm.c). */
void mproc__sem_unlink(const char *name) { (void)name; }
