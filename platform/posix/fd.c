/*
 * POSIX descriptors: close-on-exec, the channel's socket pairs, and the
 * child's sweep of descriptors its spawn could not close. Both chan.c and
 * proc.c build on these; neither calls the other for them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

mproc_status mproc__posix_set_cloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
    return mproc__fail_os(errno, "fcntl", "%d, FD_CLOEXEC", fd);
  return MPROC_OK;
}

mproc_status mproc__posix_socketpair(int sv[2]) {
  int i;
#if defined(SOCK_CLOEXEC) && !defined(MPROC_PORTABLE_POSIX)
  /* Atomic close-on-exec: no window in which another thread's spawn inherits it. */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return mproc__posix_fail_fd(errno, "socketpair", "AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC");
#else
  /* The portable path: the window before FD_CLOEXEC is closed by the spawn
   * itself (POSIX_SPAWN_CLOEXEC_DEFAULT, closefrom, or the child's sweep). */
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
    return mproc__posix_fail_fd(errno, "socketpair", "AF_UNIX, SOCK_STREAM");
#endif
  for (i = 0; i < 2; i++) {
    mproc_status st = mproc__posix_set_cloexec(sv[i]);
#ifdef SO_NOSIGPIPE
    int one = 1;
    if (st == MPROC_OK && setsockopt(sv[i], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) < 0)
      st = mproc__fail_os(errno, "setsockopt", "SO_NOSIGPIPE");
#endif
    if (st != MPROC_OK) {
      close(sv[0]);
      close(sv[1]);
      return st;
    }
  }
  return MPROC_OK;
}

void mproc__posix_close_inherited(int rd, int wr) {
#ifndef MPROC__SPAWN_CLOSES_FDS
  long fd, max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536)
    max = 65536;
  for (fd = 3; fd < max; fd++)
    if (fd != rd && fd != wr)
      close((int)fd);
#else
  (void)rd;
  (void)wr;
#endif
}

int64_t mproc__fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return -1;
  return (int64_t)rl.rlim_cur;
}

mproc_status mproc__posix_fail_fd(int err, const char *call, const char *fmt, ...) {
  char what[256];
  mproc_status st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  st = mproc__fail_os(err, call, "%s", what);
  if (err == EMFILE)
    mproc__fail(st,
                "%s; this process may hold %lld descriptors (RLIMIT_NOFILE): a pool's parent "
                "holds up to 3 per worker and, on macOS, 1 per open shared object (raise it with "
                "ulimit -n or setrlimit)",
                mproc_last_error(), (long long)mproc__fd_limit());
  return st;
}
