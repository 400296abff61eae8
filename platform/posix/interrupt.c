/*
 * POSIX Ctrl-C: a SIGINT handler that only writes one byte to a pipe (all it
 * may safely do), and a thread that reads the pipe and runs the runtime's
 * callback with no async-signal restrictions.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>

#include "internal.h"

static int wake_fd[2] = {-1, -1};
static void (*on_interrupt)(void);

static void handler(int sig) {
  int saved = errno;
  char c = 1;
  (void)sig;
  if (write(wake_fd[1], &c, 1) < 0) {
    /* nothing to do: a byte is already pending */
  }
  errno = saved;
}

/* A plain detached thread: it lives as long as the process. */
static void *watcher(void *data) {
  char c;
  (void)data;
  for (;;) {
    ssize_t r = read(wake_fd[0], &c, 1);
    if (r == 1)
      on_interrupt();
    else if (r < 0 && errno != EINTR)
      return NULL;
  }
}

mproc_status mproc__interrupt_watch(void (*fn)(void)) {
  struct sigaction old, sa;
  pthread_t thread;
  int err;
  if (on_interrupt)
    return MPROC_OK;
  if (sigaction(SIGINT, NULL, &old) < 0)
    return mproc__fail_os(errno, "sigaction", "SIGINT");
  if (old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO))
    return mproc__fail(MPROC_ESTATE, "SIGINT is handled by the program: mproc leaves it alone");
  if (pipe(wake_fd) < 0)
    return mproc__posix_fail_fd(errno, "pipe", "interrupt wake-up");
  mproc__posix_set_cloexec(wake_fd[0]);
  mproc__posix_set_cloexec(wake_fd[1]);
  fcntl(wake_fd[1], F_SETFL, O_NONBLOCK);
  on_interrupt = fn;
  if ((err = pthread_create(&thread, NULL, watcher, NULL)) != 0)
    return mproc__fail_os(err, "pthread_create", "interrupt watcher");
  pthread_detach(thread);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &sa, NULL) < 0)
    return mproc__fail_os(errno, "sigaction", "SIGINT");
  return MPROC_OK;
}
