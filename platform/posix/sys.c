/*
 * POSIX process-wide facts: executable path, pid, CPUs, liveness, exit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#if defined(__linux__) && !defined(MPROC_PORTABLE_POSIX)
#include <sched.h>
#include <sys/prctl.h>
#elif defined(__linux__)
#include <sys/auxv.h>
#endif
#ifdef __APPLE__
#include <libproc.h>
#include <mach-o/dyld.h>
#include <mach/mach.h>
#include <sys/proc.h> /* SZOMB */
#include <sys/proc_info.h>
#endif

#include "internal.h"

MPROC__NORETURN void mproc__exit_now(int code) { _exit(code); }

mproc_status mproc__exit_with_parent(int64_t parent_pid) {
#ifdef MPROC__LINUX
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
    return mproc__fail_os(errno, "prctl", "PR_SET_PDEATHSIG");
  /* Armed after the parent died: this process was handed to a reaper. */
  if ((int64_t)getppid() != parent_pid)
    return mproc__fail(MPROC_ECLOSED, "the parent %lld is gone", (long long)parent_pid);
  return MPROC_OK;
#else
  (void)parent_pid;
  return mproc__fail(MPROC_ENOTSUP, "ending with the parent");
#endif
}
/* getpid() is a system call (glibc no longer caches it), and a lock takes
 * this on every acquire: kept once read. mproc never forks (every child is a
 * new execution), so a process's pid never changes under it. */
int64_t mproc__self_pid(void) {
  static volatile uint32_t pid;
  uint32_t p = mproc__load32(&pid);
  if (!p) {
    p = (uint32_t)getpid();
    mproc__store32(&pid, p);
  }
  return (int64_t)p;
}

int64_t mproc__now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
int64_t mproc__now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int mproc__last_os_error(void) { return errno; }

void mproc__stdio_line_buffered(void) { setvbuf(stdout, NULL, _IOLBF, BUFSIZ); }

int mproc__cpu_count(void) {
  long n;
#ifdef MPROC__LINUX
  cpu_set_t set;
  /* The CPUs this process may use, not the machine's: what a pool should size to. */
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set);
#endif
  n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

mproc_status mproc__exe_path(char **path) {
  char buf[PATH_MAX + 1];
#ifdef __APPLE__
  char real[PATH_MAX + 1];
  uint32_t size = sizeof buf;
  if (_NSGetExecutablePath(buf, &size) != 0)
    return mproc__fail(MPROC_ERANGE, "_NSGetExecutablePath: path longer than %d", PATH_MAX);
  if (!realpath(buf, real))
    return mproc__fail_os(errno, "realpath", "%s", buf);
  *path = mproc__strdup(real);
#elif defined(MPROC__LINUX)
  ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX);
  if (n < 0)
    return mproc__fail_os(errno, "readlink", "/proc/self/exe");
  buf[n] = 0;
  *path = mproc__strdup(buf);
#else
  /* Linux lacks _NSGetExecutablePath, and the macOS path reads no /proc: the
   * path the kernel executed, made absolute while the working directory is
   * still the one it was started in (mproc_init() looks it up first thing). */
  const char *run = (const char *)getauxval(AT_EXECFN);
  if (!run || !realpath(run, buf))
    return mproc__fail_os(run ? errno : ENOENT, "realpath", "%s", run ? run : "AT_EXECFN");
  *path = mproc__strdup(buf);
#endif
  return *path ? MPROC_OK : mproc__fail(MPROC_ENOMEM, "executable path: out of memory");
}

/* Whether @pid has exited but is not reaped yet (a zombie), which kill(0)
 * cannot tell: a lock owner that died must count as dead even while its
 * parent has not joined it. */
static int is_zombie(int64_t pid) {
#ifdef MPROC__LINUX
  char path[64], buf[512];
  FILE *f;
  char *paren;
  int zombie = 0;
  snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
  f = fopen(path, "r");
  if (!f)
    return 0;
  if (fgets(buf, sizeof buf, f) && (paren = strrchr(buf, ')')) != NULL)
    zombie = paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
  fclose(f);
  return zombie;
#elif defined(__APPLE__)
  struct proc_bsdinfo info;
  return proc_pidinfo((pid_t)pid, PROC_PIDTBSDINFO, 0, &info, PROC_PIDTBSDINFO_SIZE) ==
             PROC_PIDTBSDINFO_SIZE &&
         info.pbi_status == SZOMB;
#else
  /* Linux lacks proc_pidinfo, and the macOS path reads no /proc: a child of
   * this process is asked without being reaped (WNOWAIT); of others, only
   * kill(0) tells, and their parents reap them. */
  siginfo_t info;
  memset(&info, 0, sizeof info);
  return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == (pid_t)pid;
#endif
}

int mproc__pid_alive(int64_t pid) {
  if (pid <= 0)
    return 0;
  if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
    return 0;
  return !is_zombie(pid);
}

/* Linux keeps named segments in /dev/shm as "<name>" and semaphores as
 * "sem.<name>-w"; macOS has no way to list either. */
mproc_status mproc__names_list(mproc__name_fn fn, void *arg) {
#ifdef MPROC__LINUX
  DIR *d = opendir("/dev/shm");
  struct dirent *e;
  if (!d)
    return mproc__fail(MPROC_ENOTSUP, "listing shared objects: no /dev/shm");
  while ((e = readdir(d)) != NULL) {
    char name[256];
    const char *n = e->d_name;
    size_t len;
    if (strncmp(n, "sem.", 4) == 0)
      n += 4;
    if (strncmp(n, "mproc-", 6) != 0 || (len = strlen(n)) >= sizeof name)
      continue;
    memcpy(name, n, len + 1);
    if (n != e->d_name && len > 2 && strcmp(name + len - 2, "-w") == 0)
      name[len - 2] = 0;
    fn(name, arg);
  }
  closedir(d);
  return MPROC_OK;
#else
  (void)fn;
  (void)arg;
  return mproc__fail(MPROC_ENOTSUP, "listing shared objects: macOS cannot list them");
#endif
}

int64_t mproc__self_rss_kib(void) {
#ifdef MPROC__LINUX
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = 0;
  fclose(f);
  return (int64_t)resident * (sysconf(_SC_PAGESIZE) / 1024);
#elif defined(__APPLE__)
  mach_task_basic_info_data_t info;
  mach_msg_type_number_t count = MACH_TASK_BASIC_INFO_COUNT;
  if (task_info(mach_task_self(), MACH_TASK_BASIC_INFO, (task_info_t)&info, &count) != KERN_SUCCESS)
    return 0;
  return (int64_t)(info.resident_size / 1024);
#else
  /* Linux lacks task_info, and the macOS path reads no /proc: the peak
   * resident size (KiB on Linux; macOS would give bytes), which only grows,
   * as a recycling limit needs. */
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? (int64_t)ru.ru_maxrss : 0;
#endif
}
