/*
 * Test helpers: process shortcuts, time, temp files, and the per-OS probes
 * the inheritance tests need (the only #ifdef _WIN32 in tests/).
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* unshare(), for a private /dev/shm */
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_env.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_time.h>

#include "core/core.h"
#include "platform.h"
#include "tests.h"

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sched.h>
#include <sys/mount.h>
#endif
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

int64_t t_bound_ms(void) {
  /* Read each time (no static to race on in pool threads); getenv is cheap. */
  const char *s = getenv("MPROC_TEST_TIMEOUT_SCALE");
  char *end = NULL;
  long scale = s ? strtol(s, &end, 10) : 1;
  if (!s || end == s || *end || scale < 1 || scale > 1000)
    scale = 1;
  return (int64_t)30000 * scale;
}

mproc_process *t_start(const char *fn, mproc_args *args, const mproc_process_options *opts) {
  mproc_process *p = NULL;
  T_OK(mproc_process_create(&p, fn, args, opts));
  if (p)
    T_OK(mproc_process_start(p));
  return p;
}

int t_finish(mproc_process *p) {
  int code = -1000;
  if (!p)
    return code;
  if (mproc_process_join(p, T_BOUND_MS) != MPROC_OK) {
    CU_FAIL("child did not exit in time; killing it");
    mproc_process_kill(p);
    mproc_process_join(p, MPROC_WAIT_FOREVER);
  }
  T_OK(mproc_process_exitcode(p, &code));
  T_OK(mproc_process_destroy(p));
  return code;
}

/* The runtime's monotonic clock: apr_time_now() is the wall clock, which may
 * jump, and on Windows moves in ~15.6 ms steps. */
int64_t t_now_ms(void) { return mproc__now_ms(); }
void t_sleep_ms(int64_t ms) { apr_sleep((apr_interval_time_t)ms * 1000); }

int t_wait_pid_gone(int64_t pid, int64_t timeout_ms) {
  int64_t end = t_now_ms() + timeout_ms;
  while (mproc__pid_alive(pid)) {
    if (t_now_ms() > end)
      return 0;
    t_sleep_ms(10);
  }
  return 1;
}

char *t_temp_path(const char *tag) {
  static unsigned serial;
  apr_pool_t *pool;
  const char *dir = NULL;
  char *path = malloc(1024);
  apr_pool_create(&pool, NULL);
  if (apr_temp_dir_get(&dir, pool) != APR_SUCCESS)
    dir = ".";
  snprintf(path, 1024, "%s/mproc-test-%lld-%u-%s", dir, (long long)mproc_self_pid(), ++serial, tag);
  apr_pool_destroy(pool);
  return path;
}

int t_read_file(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  size_t n;
  if (!f)
    return 0;
  n = fread(buf, 1, cap - 1, f);
  buf[n] = 0;
  fclose(f);
  return 1;
}

int t_write_file(const char *path, const char *text) {
  char tmp[1100];
  FILE *f;
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  f = fopen(tmp, "wb");
  if (!f)
    return 0;
  fputs(text, f);
  fclose(f);
  remove(path);
  return rename(tmp, path) == 0;
}

int64_t t_array_wait_i64(mproc_array *array, size_t index, int64_t least, int64_t timeout_ms) {
  int64_t end = t_now_ms() + timeout_ms, v = 0;
  while (mproc_array_get_i64(array, index, &v) == MPROC_OK && v < least && t_now_ms() < end)
    t_sleep_ms(5);
  return v;
}

static const char *skip_reason = "";
const char *t_skip_reason(void) { return skip_reason; }

char *t_getenv(const char *name) {
  const char *v = getenv(name);
  size_t n = v ? strlen(v) + 1 : 0;
  char *copy = v ? malloc(n) : NULL;
  if (copy)
    memcpy(copy, v, n);
  return copy;
}

void t_child_passes(const char *fn, const char *why) {
  int code = t_finish(t_start(fn, NULL, NULL));
  if (code == 77)
    printf("SKIP (%s) ", why);
  else
    CU_ASSERT_EQUAL(code, 0);
}

int t_run_self(const char *arg) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "\"%s\" %s", mproc__executable(), arg);
  fflush(NULL);
  return system(cmd) == 0 ? 0 : 1;
}

static void chan_reset(mproc__chan *c) {
  memset(c, 0, sizeof *c);
  c->rd = c->wr = MPROC__NO_HANDLE;
}

#ifdef _WIN32
/* Anonymous pipes, one per direction, as platform/win32 makes for a child. */
int t_chan_pair(mproc__chan *a, mproc__chan *b) {
  HANDLE down_rd, down_wr, up_rd, up_wr;
  chan_reset(a);
  chan_reset(b);
  if (!CreatePipe(&down_rd, &down_wr, NULL, 65536))
    return 0;
  if (!CreatePipe(&up_rd, &up_wr, NULL, 65536)) {
    CloseHandle(down_rd);
    CloseHandle(down_wr);
    return 0;
  }
  a->wr = (mproc__handle)down_wr;
  b->rd = (mproc__handle)down_rd;
  b->wr = (mproc__handle)up_wr;
  a->rd = (mproc__handle)up_rd;
  return 1;
}

/* _putenv, not apr_env_set(): APR sets the OS's environment block
 * (SetEnvironmentVariable), which this process's getenv() never reads: the
 * CRT keeps its own copy. _putenv sets both, as a user's would. */
void t_setenv(const char *name, const char *value) {
  char assignment[1024]; /* "NAME=" removes it */
  snprintf(assignment, sizeof assignment, "%s=%s", name, value ? value : "");
  CU_ASSERT(_putenv(assignment) == 0);
}

int t_object_mode(const char *name) {
  (void)name;
  return -1;
}

int t_set_umask(int mask) {
  (void)mask;
  return 0;
}

int t_can_interrupt(void) {
  skip_reason = "a console Ctrl-C cannot be sent to one process of a test run";
  return 0;
}

int t_interrupt_pid(int64_t pid) {
  (void)pid;
  return 0;
}

int t_terminate_pid(int64_t pid) {
  (void)pid;
  return 0;
}

int t_other_user_can_open(const char *name) {
  (void)name;
  skip_reason = "needs a second user account; Windows objects carry an owner-only DACL";
  return -1;
}

void t_kill_pid(int64_t pid) {
  HANDLE h = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)pid);
  if (h) {
    TerminateProcess(h, 1);
    CloseHandle(h);
  }
}

/* platform/win32 ends a child "by signal n" with status 0x10000 + n. */
#define T_WIN32_SIGNAL_BASE 0x10000u

int t_hard_kill_pid(int64_t pid) {
  HANDLE h = pid > 0 ? OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)pid) : NULL;
  int ok;
  if (!h)
    return 0;
  ok = TerminateProcess(h, T_WIN32_SIGNAL_BASE + 9) != 0;
  CloseHandle(h);
  return ok;
}

/* The UCRT's abort() fast-fails (mproc reads that as -6) unless its fault
 * report is off. It is turned off here, as googletest's death tests and
 * CPython do: a fast fail starts Windows Error Reporting, which may wait for
 * someone to click. abort() then ends with _exit(3), as msvcrt's does. */
void t_abort(void) {
#if defined(_MSC_VER) || defined(_UCRT)
  _set_abort_behavior(0, _WRITE_ABORT_MSG | _CALL_REPORTFAULT);
#endif
  abort();
}

void t_segfault(void) {
  volatile uintptr_t bad = 16; /* in the first 64 KiB, never mapped; volatile: unknown */
  /* No "stopped working" box: the access violation just ends the process. */
  SetErrorMode(GetErrorMode() | SEM_NOGPFAULTERRORBOX);
  *(volatile int *)bad = 1;
  abort(); /* not reached */
}

int t_signal_exitcode(int sig) { return sig == SIGABRT ? 3 : -sig; }

intptr_t t_open_inheritable(const char *path) {
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  HANDLE h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                         &sa, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  return h == INVALID_HANDLE_VALUE ? -1 : (intptr_t)h;
}

void t_close_handle(intptr_t h) { CloseHandle((HANDLE)h); }

/* The handle is "the file" if it is a disk file whose size matches the
 * distinctive size the test gave it: handle values are small integers that
 * the child may reuse for its own objects, so validity alone proves nothing. */
int t_private_shm(int kib) {
  (void)kib;
  skip_reason = "Windows commits a section when it is created";
  return 0;
}

const char *t_true_program(void) { return NULL; /* no such program in a Windows install */ }

int t_open_null(void) { return -1; }
void t_close_fd(int fd) { (void)fd; }

int t_set_fd_limit(int n) {
  (void)n;
  return 0; /* handles have no such per-process limit */
}

void t_close_std_streams(void) {
  _close(0);
  _close(1);
  _close(2);
  SetStdHandle(STD_INPUT_HANDLE, NULL);
  SetStdHandle(STD_OUTPUT_HANDLE, NULL);
  SetStdHandle(STD_ERROR_HANDLE, NULL);
}

int t_std_streams_open(void) {
  return _get_osfhandle(0) != -1 && _get_osfhandle(1) != -1 && _get_osfhandle(2) != -1;
}

int t_handle_is_file(intptr_t h, const char *path) {
  BY_HANDLE_FILE_INFORMATION mine, theirs;
  HANDLE f;
  int same;
  if (GetFileType((HANDLE)h) != FILE_TYPE_DISK || !GetFileInformationByHandle((HANDLE)h, &mine))
    return 0;
  f = CreateFileA(path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                  OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (f == INVALID_HANDLE_VALUE)
    return 0;
  same = GetFileInformationByHandle(f, &theirs) &&
         mine.dwVolumeSerialNumber == theirs.dwVolumeSerialNumber &&
         mine.nFileIndexHigh == theirs.nFileIndexHigh && mine.nFileIndexLow == theirs.nFileIndexLow;
  CloseHandle(f);
  return same;
}
#else
/* One AF_UNIX socket pair, close-on-exec (other suites spawn children) and,
 * where the OS has it, without SIGPIPE (Linux: chan.c sends MSG_NOSIGNAL). */
static int socket_pair(int sv[2]) {
  int i;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
    return 0;
  for (i = 0; i < 2; i++) {
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(sv[i], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    fcntl(sv[i], F_SETFD, FD_CLOEXEC);
  }
  return 1;
}

/* Two socket pairs, one per direction, as platform/posix makes for a child. */
int t_chan_pair(mproc__chan *a, mproc__chan *b) {
  int down[2], up[2];
  chan_reset(a);
  chan_reset(b);
  if (!socket_pair(down))
    return 0;
  if (!socket_pair(up)) {
    close(down[0]);
    close(down[1]);
    return 0;
  }
  a->wr = down[0];
  b->rd = down[1];
  b->wr = up[0];
  a->rd = up[1];
  return 1;
}

void t_setenv(const char *name, const char *value) {
  apr_pool_t *pool;
  CU_ASSERT_FATAL(apr_pool_create(&pool, NULL) == APR_SUCCESS);
  CU_ASSERT(value ? apr_env_set(name, value, pool) == APR_SUCCESS
                  : apr_env_delete(name, pool) == APR_SUCCESS);
  apr_pool_destroy(pool);
}

/* Linux keeps objects in /dev/shm: the segment as "<name>", the semaphore
 * (portable path) as "sem.<name>-w". */
static void shm_path(char *out, size_t cap, const char *name, int sem) {
  snprintf(out, cap, sem ? "/dev/shm/sem.%s-w" : "/dev/shm/%s", name);
}

int t_object_mode(const char *name) {
  struct stat sb;
  char path[256];
  int mode = -1, sem;
  for (sem = 0; sem < 2; sem++) {
    shm_path(path, sizeof path, name, sem);
    if (stat(path, &sb) == 0 && (int)(sb.st_mode & 0777) > mode)
      mode = (int)(sb.st_mode & 0777);
  }
  return mode;
}

int t_set_umask(int mask) { return (int)umask((mode_t)mask); }

int t_can_interrupt(void) {
  struct sigaction sa;
  /* An ignored SIGINT is inherited through exec: then there is nothing to test. */
  if (sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) {
    skip_reason = "SIGINT is ignored in this test run";
    return 0;
  }
  return 1;
}

int t_interrupt_pid(int64_t pid) { return pid > 0 && kill((pid_t)pid, SIGINT) == 0; }
int t_terminate_pid(int64_t pid) { return pid > 0 && kill((pid_t)pid, SIGTERM) == 0; }

/* Opens @path for reading and writing as uid/gid 65534 (nobody). */
static int nobody_opens(const char *path) {
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'exec 3<>\"%s\"' "
           "2>/dev/null",
           path);
  return system(cmd) == 0;
}

int t_other_user_can_open(const char *name) {
  char path[256];
  int sem, opened = 0;
  FILE *f;
  if (geteuid() != 0) {
    skip_reason = "not running as root: cannot switch to another uid";
    return -1;
  }
  /* The probe must work where access is allowed, or its "no" means nothing. */
  f = fopen("/dev/shm/mproc-probe-world", "w");
  if (f)
    fclose(f);
  chmod("/dev/shm/mproc-probe-world", 0666);
  opened = nobody_opens("/dev/shm/mproc-probe-world");
  remove("/dev/shm/mproc-probe-world");
  if (!opened) {
    skip_reason = "setpriv is missing or cannot switch to uid 65534";
    return -1;
  }
  opened = 0;
  for (sem = 0; sem < 2; sem++) {
    shm_path(path, sizeof path, name, sem);
    if (access(path, F_OK) == 0)
      opened |= nobody_opens(path);
  }
  return opened;
}

void t_kill_pid(int64_t pid) {
  if (pid > 0)
    kill((pid_t)pid, SIGKILL);
}

int t_hard_kill_pid(int64_t pid) { return pid > 0 && kill((pid_t)pid, SIGKILL) == 0; }

void t_abort(void) { abort(); }

void t_segfault(void) {
  volatile uintptr_t bad = 16; /* in the first page, never mapped; volatile: unknown */
  signal(SIGSEGV, SIG_DFL);    /* no sanitizer's handler: die of the signal itself */
  *(volatile int *)bad = 1;
  abort(); /* not reached */
}

int t_signal_exitcode(int sig) { return -sig; }

intptr_t t_open_inheritable(const char *path) {
  /* No O_CLOEXEC on purpose: the careless descriptor a spawn must not pass on. */
  return open(path, O_RDWR | O_CREAT, 0600);
}

void t_close_handle(intptr_t h) { close((int)h); }

int t_private_shm(int kib) {
#ifdef __linux__
  char opts[32];
  snprintf(opts, sizeof opts, "size=%dk,mode=1777", kib);
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount("tmpfs", "/dev/shm", "tmpfs", 0, opts) != 0) {
    skip_reason = "a private /dev/shm needs root (a mount namespace)";
    return 0;
  }
  return 1;
#else
  (void)kib;
  skip_reason = "no tmpfs /dev/shm on this OS";
  return 0;
#endif
}

const char *t_true_program(void) {
  static const char *const candidates[] = {"/bin/true", "/usr/bin/true"};
  size_t i;
  for (i = 0; i < 2; i++)
    if (access(candidates[i], X_OK) == 0)
      return candidates[i];
  return NULL;
}

int t_open_null(void) { return open("/dev/null", O_RDONLY | O_CLOEXEC); }
void t_close_fd(int fd) { close(fd); }

int t_set_fd_limit(int n) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 0;
  rl.rlim_cur = (rlim_t)n;
  return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

void t_close_std_streams(void) {
  close(0);
  close(1);
  close(2);
}

int t_std_streams_open(void) {
  return fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0;
}

int t_handle_is_file(intptr_t h, const char *path) {
  struct stat a, b;
  return fstat((int)h, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}
#endif

/* ---- pattern messages (queues, pipes) ---- */

/* A byte of the pattern message @seq carries at offset @i (t_seq_message). */
static uint8_t seq_pattern(int64_t seq, size_t i) {
  return (uint8_t)((uint64_t)seq * 31u + i * 7u);
}

mproc_args *t_seq_message(int64_t seq, size_t len) {
  mproc_args *m = NULL;
  uint8_t *data = malloc(len ? len : 1);
  size_t i;
  if (!data || mproc_args_create(&m) != MPROC_OK) {
    free(data);
    return NULL;
  }
  for (i = 0; i < len; i++)
    data[i] = seq_pattern(seq, i);
  if (mproc_args_add_i64(m, seq) != MPROC_OK || mproc_args_add_bytes(m, data, len) != MPROC_OK) {
    mproc_args_destroy(m);
    m = NULL;
  }
  free(data);
  return m;
}

int t_is_seq_message(const mproc_args *m, int64_t seq, size_t len) {
  const uint8_t *data = NULL;
  const void *raw = NULL;
  size_t n = 0, size = 0, i;
  int64_t v = 0;
  if (mproc_args_count(m, &n) != MPROC_OK || n != 2 || mproc_args_get_i64(m, 0, &v) != MPROC_OK ||
      v != seq || mproc_args_get_bytes(m, 1, &raw, &size) != MPROC_OK || size != len)
    return 0;
  data = raw;
  for (i = 0; i < len; i++)
    if (data[i] != seq_pattern(seq, i))
      return 0;
  return 1;
}
