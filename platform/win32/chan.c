/*
 * Windows channels: a pair of anonymous pipes per child, one per direction,
 * so rd and wr are different handles (an anonymous pipe is one-way, and a
 * named pipe would need a name another process could guess and open).
 *
 * Sections: pipe creation, read/write/close, the child-side attach.
 *
 * End-of-stream: a read on a pipe whose write end is closed everywhere fails
 * with ERROR_BROKEN_PIPE; that is how each side sees the other die. It only
 * works because every pipe handle is created non-inheritable and a spawn
 * hands the child nothing but its own two ends (see proc.c).
 */
#include <stdlib.h>

#include "internal.h"

/* The pipe's buffer: big enough that a START frame rarely waits for the child. */
#define PIPE_BUFFER 65536u
/* One ReadFile/WriteFile moves at most this much (the APIs take a DWORD). */
#define IO_CHUNK (1u << 30)

/* ---- creation ---------------------------------------------------------- */

mproc_status mproc__win32_pipe(HANDLE *rd, HANDLE *wr) {
  SECURITY_ATTRIBUTES sa;
  sa.nLength = sizeof sa;
  sa.lpSecurityDescriptor = NULL;
  sa.bInheritHandle = FALSE; /* inheritable copies are made per spawn, for the child only */
  if (!CreatePipe(rd, wr, &sa, PIPE_BUFFER))
    return mproc__fail_os((int)GetLastError(), "CreatePipe", "channel, %u bytes", PIPE_BUFFER);
  return MPROC_OK;
}

mproc_status mproc__chan_pair(mproc__chan *a, mproc__chan *b) {
  HANDLE ab_rd, ab_wr, ba_rd, ba_wr;
  mproc_status st = mproc__win32_pipe(&ab_rd, &ab_wr);
  if (st == MPROC_OK && (st = mproc__win32_pipe(&ba_rd, &ba_wr)) != MPROC_OK) {
    CloseHandle(ab_rd);
    CloseHandle(ab_wr);
  }
  if (st != MPROC_OK)
    return st;
  a->wr = (mproc__handle)ab_wr;
  b->rd = (mproc__handle)ab_rd;
  b->wr = (mproc__handle)ba_wr;
  a->rd = (mproc__handle)ba_rd;
  a->ahead_pos = a->ahead_len = b->ahead_pos = b->ahead_len = 0;
  return MPROC_OK;
}

/* ---- read, write, close ------------------------------------------------ */

mproc_status mproc__chan_read(mproc__chan *chan, void *buf, size_t n, size_t *got) {
  DWORD want = n > IO_CHUNK ? IO_CHUNK : (DWORD)n, r = 0, err;
  *got = 0;
  if (n == 0)
    return MPROC_OK;
  if (ReadFile(MPROC__WIN32_H(chan->rd), buf, want, &r, NULL)) {
    /* Success with 0 bytes would only mean the peer wrote 0 bytes, which
     * mproc__chan_write never does; taking it as end-of-stream (as read()
     * returning 0) rather than retrying can never spin. */
    *got = r;
    return MPROC_OK;
  }
  err = GetLastError();
  if (err == ERROR_BROKEN_PIPE)
    return MPROC_OK; /* the peer's end is closed everywhere: end-of-stream */
  return mproc__fail_os((int)err, "ReadFile", "channel handle %lld", (long long)chan->rd);
}

mproc_status mproc__chan_write(mproc__chan *chan, const void *buf, size_t n) {
  const char *p = buf;
  while (n) {
    DWORD want = n > IO_CHUNK ? IO_CHUNK : (DWORD)n, w = 0;
    /* A closed reader fails the write with ERROR_NO_DATA or ERROR_BROKEN_PIPE:
     * a status for the caller, as EPIPE is on POSIX. */
    if (!WriteFile(MPROC__WIN32_H(chan->wr), p, want, &w, NULL))
      return mproc__fail_os((int)GetLastError(), "WriteFile", "channel handle %lld",
                            (long long)chan->wr);
    p += w;
    n -= w;
  }
  return MPROC_OK;
}

int mproc__chan_readable(mproc__chan *chan) {
  DWORD avail = 0;
  /* A failed peek (the writer is gone) is readable: the read reports the end. */
  if (!PeekNamedPipe(MPROC__WIN32_H(chan->rd), NULL, 0, NULL, &avail, NULL))
    return 1;
  return avail > 0;
}

void mproc__chan_close(mproc__chan *chan) {
  if (chan->rd != MPROC__NO_HANDLE)
    CloseHandle(MPROC__WIN32_H(chan->rd));
  if (chan->wr != MPROC__NO_HANDLE && chan->wr != chan->rd)
    CloseHandle(MPROC__WIN32_H(chan->wr));
  chan->rd = chan->wr = MPROC__NO_HANDLE;
}

void mproc__chan_close_write(mproc__chan *chan) {
  if (chan->wr != MPROC__NO_HANDLE && chan->wr != chan->rd)
    CloseHandle(MPROC__WIN32_H(chan->wr));
  chan->wr = MPROC__NO_HANDLE;
}

/* ---- child side -------------------------------------------------------- */

/* One decimal handle value ending at @stop; handle values fit in 32 bits even
 * in 64-bit processes (Windows keeps them interoperable with 32-bit code). */
static int parse_handle(const char **s, char stop, HANDLE *h) {
  const char *p = *s;
  unsigned long long v = 0;
  if (*p < '0' || *p > '9')
    return 0;
  while (*p >= '0' && *p <= '9') {
    v = v * 10 + (unsigned long long)(*p - '0');
    if (v > 0xFFFFFFFFull)
      return 0;
    p++;
  }
  if (*p != stop || v == 0)
    return 0;
  *h = (HANDLE)(uintptr_t)v;
  *s = stop ? p + 1 : p;
  return 1;
}

/* The handle must be open in this process and be a pipe: a garbage value
 * from a bad parent could otherwise name any object the child has. */
static mproc_status check_end(HANDLE h) {
  DWORD flags;
  if (!GetHandleInformation(h, &flags))
    return mproc__fail_os((int)GetLastError(), "GetHandleInformation", "channel handle %llu",
                          (unsigned long long)(uintptr_t)h);
  if (GetFileType(h) != FILE_TYPE_PIPE)
    return mproc__fail(MPROC_EPROTO, "channel handle %llu is not a pipe",
                       (unsigned long long)(uintptr_t)h);
  /* Not inheritable again: the child's own children must never hold its
   * channel, or they would keep the parent from seeing this child's death. */
  if (!SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0))
    return mproc__fail_os((int)GetLastError(), "SetHandleInformation",
                          "channel handle %llu, no inherit", (unsigned long long)(uintptr_t)h);
  return MPROC_OK;
}

/* The spec is "<read handle>,<write handle>" in decimal (proc.c writes it). */
mproc_status mproc__chan_attach(mproc__chan *chan, const char *spec) {
  const char *p = spec;
  HANDLE rd, wr;
  mproc_status st;
  if (!parse_handle(&p, ',', &rd) || !parse_handle(&p, '\0', &wr) || rd == wr)
    return mproc__fail(MPROC_EPROTO, "bad channel spec \"%s\"", spec);
  st = check_end(rd);
  if (st == MPROC_OK)
    st = check_end(wr);
  if (st != MPROC_OK)
    return st;
  chan->rd = MPROC__WIN32_HANDLE(rd);
  chan->wr = MPROC__WIN32_HANDLE(wr);
  return MPROC_OK;
}
