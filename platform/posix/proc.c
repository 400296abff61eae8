/*
 * POSIX child processes.
 *
 * Sections: spawn (posix_spawn, never fork: a fork of a large parent costs
 * ~100x more), wait (pidfd on Linux, channel end-of-stream plus WNOHANG
 * polling on the portable path), signal, release.
 *
 * What a child inherits: fds 0-2 and its channel at fds 3 (read) and 4
 * (write), nothing else. On
 * glibc >= 2.34 posix_spawn closes fds >= 5 itself (closefrom); on macOS
 * POSIX_SPAWN_CLOEXEC_DEFAULT does it; elsewhere mproc creates every fd
 * close-on-exec and the child sweeps the rest before running user code.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__) && !defined(MPROC_PORTABLE_POSIX)
#include <sys/syscall.h>
#if defined(SYS_pidfd_open)
#define MPROC__HAVE_PIDFD 1
#endif
#endif

#include "internal.h"

extern char **environ;

/* Moves a child's end off fds 3 and 4, its places in the child: dup2(3, 3)
 * would not clear close-on-exec, and the other dup2 could overwrite it. */
static mproc_status child_end_above(int *fd) {
  int moved;
  if (*fd != MPROC__CHILD_CHAN_FD && *fd != MPROC__CHILD_CHAN_FD + 1)
    return MPROC_OK;
  moved = fcntl(*fd, F_DUPFD_CLOEXEC, MPROC__CHILD_CHAN_FD + 2);
  if (moved < 0)
    return mproc__posix_fail_fd(errno, "fcntl", "F_DUPFD_CLOEXEC of fd %d", *fd);
  close(*fd);
  *fd = moved;
  return MPROC_OK;
}

/* Whether @fd is open in this process and not one of @ours (the channel's
 * four ends, which take the lowest free numbers when the standard streams
 * are closed). */
static int std_stream_open(int fd, const int ours[4]) {
  int i;
  for (i = 0; i < 4; i++)
    if (ours[i] == fd)
      return 0;
  return fcntl(fd, F_GETFD) >= 0;
}

/* The child's standard streams: the parent's where it has them; /dev/null
 * where it closed them (a daemon), so that the child's first open() never
 * becomes its stdout, and so that XNU's addinherit_np, which fails with
 * EBADF on a closed descriptor, is never asked for one. */
static int std_streams(posix_spawn_file_actions_t *fa, const int ours[4]) {
  int fd, err = 0;
  for (fd = 0; fd < 3 && !err; fd++) {
    if (!std_stream_open(fd, ours))
      err = posix_spawn_file_actions_addopen(fa, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY, 0);
#if defined(POSIX_SPAWN_CLOEXEC_DEFAULT) && !defined(MPROC__SPAWN_CLOSES_FDS_BY_CLOSEFROM)
    else
      err = posix_spawn_file_actions_addinherit_np(fa, fd);
#endif
  }
  return err;
}

static int setup_spawn(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, const int ours[4],
                       int new_group) {
  sigset_t none;
  short flags = POSIX_SPAWN_SETSIGMASK;
  int err = posix_spawn_file_actions_adddup2(fa, ours[2], MPROC__CHILD_CHAN_FD);
  if (!err)
    err = posix_spawn_file_actions_adddup2(fa, ours[3], MPROC__CHILD_CHAN_FD + 1);
#ifdef MPROC__SPAWN_CLOSES_FDS_BY_CLOSEFROM
  if (!err)
    err = posix_spawn_file_actions_addclosefrom_np(fa, MPROC__CHILD_CHAN_FD + 2);
#elif defined(POSIX_SPAWN_CLOEXEC_DEFAULT)
  flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;
#endif
  if (!err) /* after the dup2s: a closed stream's number may be a channel end's */
    err = std_streams(fa, ours);
  /* A thread that blocks signals must not hand that mask to the child. */
  sigemptyset(&none);
  if (!err)
    err = posix_spawnattr_setsigmask(attr, &none);
  if (!err && new_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    err = posix_spawnattr_setpgroup(attr, 0);
  }
  if (!err)
    err = posix_spawnattr_setflags(attr, flags);
  return err;
}

/* Two socket pairs, one per direction: a reader then never shares its socket
 * with the writes going the other way (on Linux, consuming a frame wakes
 * whoever sleeps on the sender's socket: with one pair per channel, that was
 * the other side's blocked reader, a needless wake-up per frame). @down:
 * parent -> child, @up: child -> parent; [0] the parent's, [1] the child's. */
static mproc_status channel_pairs(int down[2], int up[2]) {
  mproc_status st = mproc__posix_socketpair(down);
  if (st == MPROC_OK && (st = mproc__posix_socketpair(up)) != MPROC_OK) {
    close(down[0]);
    close(down[1]);
  }
  if (st == MPROC_OK && ((st = child_end_above(&down[1])) != MPROC_OK ||
                         (st = child_end_above(&up[1])) != MPROC_OK)) {
    close(down[0]);
    close(down[1]);
    close(up[0]);
    close(up[1]);
  }
  return st;
}

mproc_status mproc__proc_spawn(mproc__proc *proc, const char *exe, const char *marker,
                               int new_group) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  char arg[96];
  char *argv[3];
  int down[2], up[2], ours[4], err;
  pid_t pid;
  mproc_status st = channel_pairs(down, up);
  if (st != MPROC_OK)
    return st;
  snprintf(arg, sizeof arg, "%s%d,%d", marker, MPROC__CHILD_CHAN_FD, MPROC__CHILD_CHAN_FD + 1);
  argv[0] = (char *)exe;
  argv[1] = arg;
  argv[2] = NULL;
  ours[0] = down[0];
  ours[1] = up[0];
  ours[2] = down[1]; /* the child's ends */
  ours[3] = up[1];
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  err = setup_spawn(&fa, &attr, ours, new_group);
  if (!err)
    err = posix_spawn(&pid, exe, &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(down[1]);
  close(up[1]);
  if (err) {
    close(down[0]);
    close(up[0]);
    return mproc__fail_os(err, "posix_spawn", "%s", exe);
  }
  proc->pid = pid;
  mproc__store32(&proc->exited, 0);
  proc->exitcode = 0;
  proc->chan.rd = up[0];
  proc->chan.wr = down[0];
  proc->handle = MPROC__NO_HANDLE;
#ifdef MPROC__HAVE_PIDFD
  {
    /* A pidfd turns "wait with a timeout" into one poll(); without one (old
     * kernels) the portable loop below does the job. */
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0)
      proc->handle = (mproc__handle)fd;
  }
#endif
  return MPROC_OK;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* One non-blocking reap: 1 when reaped, 0 when still running, -1 on error (*st set). */
static int try_reap(mproc__proc *proc, mproc_status *st) {
  int status;
  pid_t r;
  do
    r = waitpid((pid_t)proc->pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return 0;
  if (r < 0) {
    *st = mproc__fail_os(errno, "waitpid", "%lld", (long long)proc->pid);
    return -1;
  }
  mproc__store32(&proc->exited, 1);
  if (WIFEXITED(status))
    proc->exitcode = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    proc->exitcode = -WTERMSIG(status);
  return 1;
}

/* Sleeps until something may have changed: the pidfd or the channel becomes
 * readable, or a short backoff passes. Returns the new "channel ended" flag. */
static int wait_a_little(mproc__proc *proc, int64_t ms, int chan_ended, int *backoff) {
  struct pollfd pfd;
  int fd = proc->handle != MPROC__NO_HANDLE ? (int)proc->handle : (int)proc->chan.rd;
  if (fd >= 0 && (proc->handle != MPROC__NO_HANDLE || !chan_ended)) {
    pfd.fd = fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (poll(&pfd, 1, ms > 1000 ? 1000 : (int)ms) > 0 && proc->handle == MPROC__NO_HANDLE)
      chan_ended = 1; /* the child closed its end: it is exiting, so poll its status */
    return chan_ended;
  }
  sleep_ms(ms < *backoff ? ms : *backoff);
  if (*backoff < 20)
    *backoff *= 2;
  return chan_ended;
}

mproc_status mproc__proc_wait(mproc__proc *proc, int64_t timeout_ms) {
  int64_t deadline = mproc__deadline(timeout_ms);
  int chan_ended = 0, backoff = 1;
  if (mproc__load32(&proc->exited))
    return MPROC_OK;
  for (;;) {
    int64_t left;
    mproc_status st = MPROC_OK;
    int r = try_reap(proc, &st);
    if (r > 0)
      return MPROC_OK;
    if (r < 0)
      return st;
    left = deadline < 0 ? 1000 : deadline - mproc__now_ms();
    if (left <= 0)
      return MPROC_ETIMEDOUT;
    chan_ended = wait_a_little(proc, left, chan_ended, &backoff);
  }
}

mproc_status mproc__proc_signal(mproc__proc *proc, int force) {
  if (mproc__load32(&proc->exited))
    return MPROC_OK;
  if (proc->pid <= 0) /* kill(0 or -1) would hit a whole process group: never */
    return mproc__fail(MPROC_ESTATE, "kill: no child process (pid %lld)", (long long)proc->pid);
  if (kill((pid_t)proc->pid, force ? SIGKILL : SIGTERM) < 0 && errno != ESRCH)
    return mproc__fail_os(errno, "kill", "%lld, %s", (long long)proc->pid,
                          force ? "SIGKILL" : "SIGTERM");
  return MPROC_OK;
}

void mproc__proc_release(mproc__proc *proc) {
  mproc__chan_close(&proc->chan);
  if (proc->handle != MPROC__NO_HANDLE)
    close((int)proc->handle);
  proc->handle = MPROC__NO_HANDLE;
}
