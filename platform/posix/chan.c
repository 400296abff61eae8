/*
 * POSIX channels: AF_UNIX stream sockets, one pair per direction (see
 * proc.c). Sockets (not pipes) because they can be written with MSG_NOSIGNAL
 * (or SO_NOSIGPIPE on macOS): a vanished peer must be a status, never a
 * SIGPIPE that kills a user's program.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#ifdef MSG_NOSIGNAL
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0
#endif

mproc_status mproc__chan_read(mproc__chan *chan, void *buf, size_t n, size_t *got) {
  ssize_t r;
  do
    r = read((int)chan->rd, buf, n);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    /* A reset connection is the peer dying mid-stream: report end-of-stream. */
    if (errno == ECONNRESET) {
      *got = 0;
      return MPROC_OK;
    }
    return mproc__fail_os(errno, "read", "channel fd %d", (int)chan->rd);
  }
  *got = (size_t)r;
  return MPROC_OK;
}

mproc_status mproc__chan_write(mproc__chan *chan, const void *buf, size_t n) {
  const char *p = buf;
  while (n) {
    ssize_t r = send((int)chan->wr, p, n, SEND_FLAGS);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return mproc__fail_os(errno, "send", "channel fd %d", (int)chan->wr);
    p += r;
    n -= (size_t)r;
  }
  return MPROC_OK;
}

/* One socket pair per direction, as a parent and child's channel. */
mproc_status mproc__chan_pair(mproc__chan *a, mproc__chan *b) {
  int ab[2], ba[2];
  mproc_status st = mproc__posix_socketpair(ab);
  if (st == MPROC_OK && (st = mproc__posix_socketpair(ba)) != MPROC_OK) {
    close(ab[0]);
    close(ab[1]);
  }
  if (st != MPROC_OK)
    return st;
  a->wr = ab[0];
  b->rd = ab[1];
  b->wr = ba[0];
  a->rd = ba[1];
  a->ahead_pos = a->ahead_len = b->ahead_pos = b->ahead_len = 0;
  return MPROC_OK;
}

int mproc__chan_readable(mproc__chan *chan) {
  struct pollfd p;
  p.fd = (int)chan->rd;
  p.events = POLLIN;
  p.revents = 0;
  return poll(&p, 1, 0) != 0; /* an error too: the read that follows reports it */
}

void mproc__chan_close(mproc__chan *chan) {
  if (chan->rd != MPROC__NO_HANDLE)
    close((int)chan->rd);
  if (chan->wr != MPROC__NO_HANDLE && chan->wr != chan->rd)
    close((int)chan->wr);
  chan->rd = chan->wr = MPROC__NO_HANDLE;
}

void mproc__chan_close_write(mproc__chan *chan) {
  if (chan->wr == MPROC__NO_HANDLE)
    return;
  if (chan->wr == chan->rd) /* one socket both ways: end its sending half */
    shutdown((int)chan->wr, SHUT_WR);
  else
    close((int)chan->wr);
  chan->wr = MPROC__NO_HANDLE;
}

/* The child's side: @spec is "<read fd>,<write fd>" (see proc.c). */
mproc_status mproc__chan_attach(mproc__chan *chan, const char *spec) {
  char *end = NULL, *end2 = NULL;
  long rd = strtol(spec, &end, 10), wr = -1;
  if (*end == ',')
    wr = strtol(end + 1, &end2, 10);
  if (end == spec || !end2 || end2 == end + 1 || *end2 || rd < 3 || wr < 3 || rd == wr ||
      rd > 1 << 20 || wr > 1 << 20)
    return mproc__fail(MPROC_EPROTO, "bad channel spec \"%s\"", spec);
  if (fcntl((int)rd, F_GETFD) < 0 || fcntl((int)wr, F_GETFD) < 0)
    return mproc__fail_os(errno, "fcntl", "channel fds %ld, %ld", rd, wr);
  chan->rd = (mproc__handle)rd;
  chan->wr = (mproc__handle)wr;
  mproc__posix_close_inherited((int)rd, (int)wr);
  {
    mproc_status st = mproc__posix_set_cloexec((int)rd);
    return st != MPROC_OK ? st : mproc__posix_set_cloexec((int)wr);
  }
}
