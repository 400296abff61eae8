/*
 * Windows named shared memory: a pagefile-backed file mapping named
 * Local\<name>, created exclusively with an owner-only DACL (sys.c).
 *
 * Lifetime differs from POSIX: a named kernel object exists exactly as long
 * as some handle to it is open. So every mapping keeps its section handle in
 * shm->h until mproc__shm_close, and there is nothing to unlink: the name
 * goes with the last close, including the implicit one when a process dies.
 */
#include <stdlib.h>

#include "internal.h"

/* Maps the whole section and records it in @shm; the caller checks the size. */
static mproc_status map(mproc__shm *shm, HANDLE h, size_t size, const char *name) {
  void *p = MapViewOfFile(h, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
  if (!p)
    return mproc__fail_os((int)GetLastError(), "MapViewOfFile", "%s", name);
  shm->base = p;
  shm->size = size;
  shm->h = MPROC__WIN32_HANDLE(h);
  return MPROC_OK;
}

/* CreateFileMappingW succeeds on an existing name too (returning a handle to
 * that object): here that is a failure, never a silent reuse. */
static mproc_status create_section(HANDLE *out, const WCHAR *wname, size_t size, const char *name) {
  mproc__win32_owner_only sec;
  uint64_t bytes = size;
  HANDLE h = NULL;
  DWORD err;
  mproc_status st = mproc__win32_owner_only_sa(&sec);
  if (st != MPROC_OK)
    return st;
  SetLastError(ERROR_SUCCESS);
  /* Pagefile-backed sections are zero-filled on first touch. */
  h = CreateFileMappingW(INVALID_HANDLE_VALUE, &sec.sa, PAGE_READWRITE, (DWORD)(bytes >> 32),
                         (DWORD)(bytes & 0xFFFFFFFFu), wname);
  err = GetLastError();
  if (!h)
    return mproc__fail_os((int)err, "CreateFileMappingW", "%s, %llu bytes", name,
                          (unsigned long long)bytes);
  if (err == ERROR_ALREADY_EXISTS) {
    CloseHandle(h);
    return mproc__fail_os(ERROR_ALREADY_EXISTS, "CreateFileMappingW", "%s: the name exists", name);
  }
  *out = h;
  return MPROC_OK;
}

mproc_status mproc__shm_create(mproc__shm *shm, const char *name, size_t size) {
  WCHAR *wname;
  HANDLE h = NULL;
  mproc_status st = mproc__win32_object_name(name, "", &wname);
  if (st != MPROC_OK)
    return st;
  st = create_section(&h, wname, size, name);
  free(wname);
  if (st != MPROC_OK)
    return st;
  st = map(shm, h, size, name);
  if (st != MPROC_OK)
    CloseHandle(h); /* the last handle: the name is gone again */
  return st;
}

/* Windows has no documented way to ask a section its size; the view of the
 * whole section is its size rounded up to pages. So the check has page
 * granularity: the bytes past a smaller section's end up to its last page
 * boundary are mapped (zeroed) memory, never a fault. */
static mproc_status check_size(const mproc__shm *shm, size_t size, const char *name) {
  MEMORY_BASIC_INFORMATION mbi;
  if (VirtualQuery(shm->base, &mbi, sizeof mbi) == 0)
    return mproc__fail_os((int)GetLastError(), "VirtualQuery", "%s", name);
  if (mbi.RegionSize < size)
    return mproc__fail(MPROC_EPROTO, "OpenFileMappingW(%s): %llu bytes, expected %llu", name,
                       (unsigned long long)mbi.RegionSize, (unsigned long long)size);
  return MPROC_OK;
}

mproc_status mproc__shm_open(mproc__shm *shm, const char *name, size_t size) {
  WCHAR *wname;
  HANDLE h = NULL;
  mproc_status st = mproc__win32_object_name(name, "", &wname);
  if (st != MPROC_OK)
    return st;
  /* Read and write is all a view needs; no WRITE_DAC and the like. */
  h = OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, FALSE, wname);
  free(wname);
  if (!h)
    return mproc__fail_os((int)GetLastError(), "OpenFileMappingW", "%s", name);
  st = map(shm, h, size, name);
  if (st != MPROC_OK) {
    CloseHandle(h);
    return st;
  }
  st = check_size(shm, size, name);
  if (st != MPROC_OK)
    mproc__shm_close(shm);
  return st;
}

void mproc__shm_close(mproc__shm *shm) {
  if (!shm->base)
    return; /* never mapped, or closed already: base and h are set together */
  UnmapViewOfFile(shm->base);
  CloseHandle(MPROC__WIN32_H(shm->h));
  shm->base = NULL;
  shm->size = 0;
  shm->h = MPROC__NO_HANDLE;
}

/* Nothing to do: a named kernel object vanishes with its last handle, so the
 * name lives exactly while the creator or an opener still has it open. */
void mproc__shm_unlink(const char *name) { (void)name; }

mproc_status mproc__shm_pin(const mproc__shm *shm, int64_t pid, uint64_t *token) {
  HANDLE proc = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)pid), dup = NULL;
  BOOL ok;
  *token = 0;
  if (!proc)
    return mproc__fail_os((int)GetLastError(), "OpenProcess", "pid %lld, PROCESS_DUP_HANDLE",
                          (long long)pid);
  ok = DuplicateHandle(GetCurrentProcess(), (HANDLE)shm->h, proc, &dup, 0, FALSE,
                       DUPLICATE_SAME_ACCESS);
  CloseHandle(proc);
  if (!ok)
    return mproc__fail_os((int)GetLastError(), "DuplicateHandle", "a section into pid %lld",
                          (long long)pid);
  *token = (uint64_t)(uintptr_t)dup;
  return MPROC_OK;
}

void mproc__shm_unpin(int64_t pid, uint64_t token) {
  HANDLE proc;
  if (!token)
    return;
  proc = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)pid);
  if (!proc)
    return; /* gone: its handles went with it */
  DuplicateHandle(proc, (HANDLE)(uintptr_t)token, NULL, NULL, 0, FALSE, DUPLICATE_CLOSE_SOURCE);
  CloseHandle(proc);
}

/* Windows never leaves a name behind (an object ends with its last handle):
 * there is nothing to sweep, so no process needs a life. */
mproc_status mproc__life_hold(const char *name) {
  (void)name;
  return mproc__fail(MPROC_ENOTSUP, "lives: not needed on Windows");
}

int mproc__life_held(const char *name) {
  (void)name;
  return 1;
}
