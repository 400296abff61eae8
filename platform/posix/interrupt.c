/*
 * POSIX ending signals: a handler that only writes the signal's number to a
 * pipe (all it may safely do), and a thread that reads the pipe and runs the
 * runtime's callback with no async-signal restrictions. A second signal
 * while the callback runs is the user insisting: the handler ends the
 * process at once, by that signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>

#include "internal.h"

/* The signals watched, with POSIX's numbers for them (the same on every
 * POSIX system mproc knows, but nothing promises it): one table both ways. */
static const struct {
  int os, portable;
} watched[] = {{SIGINT, MPROC__SIGINT},
               {SIGTERM, MPROC__SIGTERM},
               {SIGHUP, MPROC__SIGHUP},
               {SIGQUIT, MPROC__SIGQUIT}};
#define NWATCHED (sizeof watched / sizeof watched[0])

static int wake_fd[2] = {-1, -1};
static void (*on_signal)(int sig);
static volatile sig_atomic_t handling;
static volatile sig_atomic_t received; /* the first one's portable number */

static int portable_number(int os) {
  size_t i;
  for (i = 0; i < NWATCHED; i++)
    if (watched[i].os == os)
      return watched[i].portable;
  return 0;
}

static int os_number(int portable) {
  size_t i;
  for (i = 0; i < NWATCHED; i++)
    if (watched[i].portable == portable)
      return watched[i].os;
  return SIGKILL; /* no such ending signal: still end */
}

static void handler(int sig) {
  int saved = errno;
  unsigned char c = (unsigned char)portable_number(sig);
  if (handling) { /* the second one: now */
    signal(sig, SIG_DFL);
    raise(sig);
  }
  handling = 1;
  received = (sig_atomic_t)c;
  if (write(wake_fd[1], &c, 1) < 0) {
    /* nothing to do: a byte is already pending */
  }
  errno = saved;
}

/* A plain detached thread: it lives as long as the process. */
static void *watcher(void *data) {
  unsigned char c;
  (void)data;
  for (;;) {
    ssize_t r = read(wake_fd[0], &c, 1);
    if (r == 1)
      on_signal(c);
    else if (r < 0 && errno != EINTR)
      return NULL;
  }
}

int mproc__signal_received(void) { return (int)received; }

MPROC__NORETURN void mproc__exit_signalled(int sig) {
  int os = os_number(sig);
  sigset_t set;
  signal(os, SIG_DFL);
  sigemptyset(&set);
  sigaddset(&set, os);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  raise(os);
  _exit(128 + sig); /* not reached: the default action of each ends the process */
}

mproc_status mproc__signals_watch(void (*fn)(int sig)) {
  struct sigaction old, sa;
  pthread_t thread;
  size_t i;
  int err;
  if (on_signal)
    return MPROC_OK;
  if (pipe(wake_fd) < 0)
    return mproc__posix_fail_fd(errno, "pipe", "signal wake-up");
  mproc__posix_set_cloexec(wake_fd[0]);
  mproc__posix_set_cloexec(wake_fd[1]);
  fcntl(wake_fd[1], F_SETFL, O_NONBLOCK);
  on_signal = fn;
  if ((err = pthread_create(&thread, NULL, watcher, NULL)) != 0)
    return mproc__fail_os(err, "pthread_create", "signal watcher");
  pthread_detach(thread);
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (i = 0; i < NWATCHED; i++)
    if (sigaction(watched[i].os, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO))
      sigaction(watched[i].os, &sa, NULL); /* the program's own handling stays its own */
  return MPROC_OK;
}
