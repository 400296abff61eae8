/*
 * The internal contract between the portable runtime and the platforms.
 *
 * platform/posix and platform/win32 each implement every function declared
 * here, one file per concept (chan.c, proc.c, sys.c). runtime/ never uses
 * #ifdef _WIN32: whatever differs between operating systems is behind this
 * header. Functions returning mproc_status record their detail with
 * mproc__fail()/mproc__fail_os() (base/base.h) before returning.
 *
 * The platform layer sits just above base/: its files include this header,
 * base/ and their own platform-private internal.h, nothing else of the
 * runtime (scripts/check-layers.py enforces it).
 */
#ifndef MPROC_PLATFORM_H
#define MPROC_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

/* A file descriptor (POSIX) or a HANDLE (Windows), whichever the OS uses. */
typedef intptr_t mproc__handle;
#define MPROC__NO_HANDLE ((mproc__handle)-1)

/*
 * One end of a parent-child channel: a reliable, ordered, bidirectional byte
 * stream. POSIX uses two AF_UNIX socket pairs, one per direction (a
 * reader never shares its socket with the other direction's sender);
 * Windows a pair of anonymous pipes. Invariant: each end exists in exactly one process, so a
 * read returning end-of-stream means the peer process has exited (or closed
 * its end on purpose); this is how parents see child deaths and children see
 * parent deaths.
 */
/* Bytes a channel reads ahead (frame.c), so that a frame's header and a
 * small payload, or several small frames, cost one read. */
#define MPROC__CHAN_READ_AHEAD 4096

typedef struct mproc__chan {
  mproc__handle rd;
  mproc__handle wr;
  size_t ahead_pos, ahead_len; /* ahead[pos, len): read from rd, not consumed yet */
  unsigned char ahead[MPROC__CHAN_READ_AHEAD];
} mproc__chan;

#define MPROC__CHAN_INIT                                                                           \
  {                                                                                                \
    MPROC__NO_HANDLE, MPROC__NO_HANDLE, 0, 0, { 0 }                                                \
  }

/* Reads up to n bytes; *got == 0 means end-of-stream. Retries EINTR. */
mproc_status mproc__chan_read(mproc__chan *chan, void *buf, size_t n, size_t *got);
/* Writes all n bytes. A vanished peer is an OS status (EPIPE/ERROR_NO_DATA), never a signal. */
mproc_status mproc__chan_write(mproc__chan *chan, const void *buf, size_t n);
/* Closes both handles (once) and resets them to MPROC__NO_HANDLE. */
void mproc__chan_close(mproc__chan *chan);
/* Closes the writing handle only (once): the peer reads end-of-stream after
 * what was written, and this end may still read. */
void mproc__chan_close_write(mproc__chan *chan);
/* Two connected ends in this process: what @a writes @b reads, and back
 * (a pool backend's stream: mproc/backend.h). Not inherited by children. */
mproc_status mproc__chan_pair(mproc__chan *a, mproc__chan *b);
/* Non-zero when a read of @chan would not sleep (data, end-of-stream or an
 * error to report): the pool's adaptive spins poll it. */
int mproc__chan_readable(mproc__chan *chan);

/*
 * The OS side of one child. The runtime owns the struct; the platform fills
 * it in mproc__proc_spawn() and releases what it holds in mproc__proc_release().
 */
typedef struct mproc__proc {
  int64_t pid;
  mproc__handle handle;     /* Windows: the process handle; POSIX: unused */
  mproc__chan chan;         /* the parent's end of the channel */
  volatile uint32_t exited; /* set once the child has been reaped (atomic: a thread may
                             * signal a child another thread is reaping) */
  int exitcode;             /* valid when exited: Python's exitcode convention */
} mproc__proc;

/*
 * Spawns a fresh execution of @exe whose command line is
 * `exe <marker><channel spec>`: @marker is the runtime's bootstrap prefix and
 * the platform appends how the child finds its end of a new channel. Only the
 * standard streams and the child's channel end are passed to the child; the
 * parent keeps the other end in proc->chan. With @new_group the child gets its
 * own process group (so a terminal's Ctrl-C does not reach it). On Windows the
 * child is also put in a kill-on-close job object when the OS allows it.
 */
mproc_status mproc__proc_spawn(mproc__proc *proc, const char *exe, const char *marker,
                               int new_group);

/*
 * Waits up to timeout_ms (MPROC_WAIT_FOREVER: no limit) for the child to exit
 * and reaps it: MPROC_OK with proc->exited and proc->exitcode set, or
 * MPROC_ETIMEDOUT. Calling it again after the child was reaped returns MPROC_OK.
 */
mproc_status mproc__proc_wait(mproc__proc *proc, int64_t timeout_ms);

/* Ends the child: force == 0 asks (SIGTERM), force != 0 kills (SIGKILL).
 * A child already reaped is left alone. */
mproc_status mproc__proc_signal(mproc__proc *proc, int force);

/* Closes the channel and any OS handle; the child must have been reaped. */
void mproc__proc_release(mproc__proc *proc);

/*
 * Child side: parses the channel spec the parent appended to the marker,
 * validates it, and makes the handles close-on-exec again so that the child's
 * own children (or a system() call) never inherit them.
 */
mproc_status mproc__chan_attach(mproc__chan *chan, const char *spec);

/* Ends this process at once with @code, running no atexit handler. Used when
 * the parent has died: there is nobody left to report to. */
MPROC__NORETURN void mproc__exit_now(int code);

/* Has the OS end this process the moment the thread that spawned it ends
 * (with its process or alone), so that nothing need watch the channel for
 * the parent's end: MPROC_OK once armed, MPROC_ENOTSUP where the OS cannot
 * (a thread must then read the channel to its end), MPROC_ECLOSED when
 * @parent_pid is gone already. Only for a child whose spawning thread
 * outlives it, as a pool's worker thread does its worker. */
mproc_status mproc__exit_with_parent(int64_t parent_pid);

/* Makes stdout line-buffered (unbuffered where the C runtime has no line
 * buffering) so that the output of parents and children interleaves as lines. */
void mproc__stdio_line_buffered(void);

/* The path of this program's executable; *path is malloc'ed. */
mproc_status mproc__exe_path(char **path);

int64_t mproc__self_pid(void);
/* This process's resident memory in KiB; 0 where the OS does not tell. */
int64_t mproc__self_rss_kib(void);
/* Milliseconds on a clock that never jumps (deadlines must survive clock changes). */
int64_t mproc__now_ms(void);
/* Microseconds on the same clock: spin budgets and task durations. */
int64_t mproc__now_us(void);
/* Deadline arithmetic for timeouts: a negative timeout (MPROC_WAIT_FOREVER)
 * never expires, and a huge one saturates instead of overflowing. */
static inline int64_t mproc__deadline(int64_t timeout_ms) {
  int64_t now;
  if (timeout_ms < 0)
    return -1;
  now = mproc__now_ms();
  return timeout_ms > INT64_MAX - now ? -1 : now + timeout_ms;
}
/* The milliseconds left until @deadline (-1 for none), 0 when past. */
static inline int64_t mproc__remaining(int64_t deadline) {
  int64_t left;
  if (deadline < 0)
    return -1;
  left = deadline - mproc__now_ms();
  return left > 0 ? left : 0;
}
int mproc__cpu_count(void);
/* How many descriptors this process may hold (POSIX's RLIMIT_NOFILE soft
 * limit); -1 where no such limit applies (Windows' handles, an unlimited
 * one). */
int64_t mproc__fd_limit(void);
/* Non-zero while a process with this id exists and has not exited (zombies count as exited). */
int mproc__pid_alive(int64_t pid);
/* The OS's last error code (errno / GetLastError()), for mproc__fail_os(). */
int mproc__last_os_error(void);

/* ---- named shared objects (shm.c, sem.c, futex.c, names in sys.c) ----------
 *
 * Names given to these functions are bare ("mproc-<pid>-<random>-<serial>");
 * each platform decorates them as its OS needs ("/" on POSIX, "Local\\" on
 * Windows, a suffix for the semaphore that shares the object's name). Created
 * objects are exclusive (an existing name is EEXIST-like failure, never a
 * reuse) and owner-only.
 */

/* A mapping of a named shared-memory segment. */
typedef struct mproc__shm {
  void *base;
  size_t size;
  mproc__handle h; /* Windows: the mapping handle; POSIX: unused (the fd is closed after mmap) */
} mproc__shm;

/* Creates a zero-filled segment of @size bytes, with all its memory, and
 * maps it. "With all its memory": on Linux a segment is a sparse tmpfs file,
 * whose first touch of a page /dev/shm has no room for is a SIGBUS, so its
 * pages are reserved here and a full /dev/shm is an error (ENOSPC, naming
 * the filesystem's free space); Windows commits a section when it is
 * created; macOS has no such limit. */
mproc_status mproc__shm_create(mproc__shm *shm, const char *name, size_t size);
/* Maps an existing segment, which must hold at least @size bytes. */
mproc_status mproc__shm_open(mproc__shm *shm, const char *name, size_t size);
/* Unmaps; the segment lives on while others map it or until unlinked. */
void mproc__shm_close(mproc__shm *shm);
/* Removes the name (POSIX shm_unlink; nothing on Windows). Absent names are fine. */
void mproc__shm_unlink(const char *name);

/* Keeps the segment @shm maps alive while process @pid lives, whoever else
 * closes it: Windows, whose named objects end with their last handle,
 * duplicates the section handle into @pid and gives its value in *token
 * (for mproc__shm_unpin); POSIX, whose names live until unlinked, does
 * nothing (*token 0). A queue's rings are made by any process and must
 * live as long as the queue's creator, not as long as their maker. */
mproc_status mproc__shm_pin(const mproc__shm *shm, int64_t pid, uint64_t *token);
/* Closes the handle a pin gave process @pid (once; token 0: nothing). */
void mproc__shm_unpin(int64_t pid, uint64_t token);

/* A named counting semaphore: the wake channel where there is no futex. */
typedef struct mproc__sem {
  void *p;         /* POSIX: the sem_t* */
  mproc__handle h; /* Windows: the semaphore HANDLE */
} mproc__sem;

/* Creates one with value 0 under @name (the object's name; the platform adds a suffix). */
mproc_status mproc__sem_create(mproc__sem *sem, const char *name);
mproc_status mproc__sem_open(mproc__sem *sem, const char *name);
mproc_status mproc__sem_post(mproc__sem *sem, uint32_t n);
/* MPROC_OK when a count was taken, MPROC_ETIMEDOUT. */
mproc_status mproc__sem_wait(mproc__sem *sem, int64_t timeout_ms);
void mproc__sem_close(mproc__sem *sem);
void mproc__sem_unlink(const char *name);

/*
 * Futex-style sleeping on a 32-bit word in shared memory, where the OS has
 * it across processes (Linux). mproc__futex_wait returns MPROC_OK when woken,
 * when *word != expected, or spuriously; MPROC_ETIMEDOUT. Where there is no
 * such facility, mproc__futex_available() is 0 and the runtime parks on the
 * object's named semaphore instead (shared/park.c).
 */
int mproc__futex_available(void);
mproc_status mproc__futex_wait(volatile uint32_t *word, uint32_t expected, int64_t timeout_ms);
void mproc__futex_wake(volatile uint32_t *word, int all);

/*
 * Lives: a named lock a process holds for as long as it lives, which the
 * kernel releases at its death. The sweep asks it, not the pid, whether a
 * name's creator lives: a pid says nothing across PID namespaces (two
 * containers sharing /dev/shm) and can be reused. Only where names can be
 * listed (and so swept): MPROC_ENOTSUP elsewhere.
 */
/* Creates the lock @name (bare, as an object's) and holds it until this
 * process ends; its descriptor is not inherited. */
mproc_status mproc__life_hold(const char *name);
/* Whether the lock @name is held: 1 (its holder lives, or this process may
 * not open it: another user's), 0 (its holder died, or there is none). */
int mproc__life_held(const char *name);

/* Calls @fn with the bare name of every mproc object that exists on this
 * machine (for the sweep of dead creators' names). MPROC_ENOTSUP where the OS
 * cannot list them (macOS) or never leaves them behind (Windows). */
typedef void (*mproc__name_fn)(const char *name, void *arg);
mproc_status mproc__names_list(mproc__name_fn fn, void *arg);

/* ---- ending signals (interrupt.c) ----
 * The signals that ask a process to end, by their POSIX numbers on every OS. */
#define MPROC__SIGHUP 1
#define MPROC__SIGINT 2
#define MPROC__SIGQUIT 3
#define MPROC__SIGTERM 15

/* Arranges for @fn(sig) to run on an ordinary thread (never in a signal
 * handler) when the process is asked to end: SIGINT (Ctrl-C), SIGTERM,
 * SIGHUP or SIGQUIT on POSIX, each only while the program leaves it at its
 * default (one it handles or ignores stays its own); on a Windows console,
 * CTRL_C and CTRL_BREAK as SIGINT, CTRL_CLOSE, CTRL_LOGOFF and
 * CTRL_SHUTDOWN as SIGTERM. @fn is expected to end the process; a second
 * such signal while it runs ends it at once, by that signal. Installed
 * once (later calls do nothing). */
mproc_status mproc__signals_watch(void (*fn)(int sig));
/* The first ending signal this process received (MPROC__SIG*), 0 if none:
 * recorded by the signal handler itself, before any thread can run on. */
int mproc__signal_received(void);
/* Ends this process as killed by @sig, running no atexit handler: POSIX
 * restores the signal's default action and raises it; Windows exits with
 * 0x10000 + sig, which mproc reads as -sig (process.h). */
MPROC__NORETURN void mproc__exit_signalled(int sig);

#endif /* MPROC_PLATFORM_H */
