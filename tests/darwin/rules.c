/*
 * XNU's rules on Linux, for tests: an LD_PRELOAD library that makes the
 * calls mproc's portable path makes behave as macOS's kernel and libc do,
 * where Linux is more lenient, so that CI (which has no Mac) catches what
 * would fail there. Loaded into every process of a test run (children
 * inherit LD_PRELOAD); the portable-posix preset runs every test under it.
 *
 * The rules, each from XNU's source or macOS's documented behaviour:
 * - fchmod() on a POSIX shared-memory descriptor fails with EINVAL (a
 *   segment is not a vnode); a second ftruncate() of a segment that already
 *   has a size fails with EINVAL.
 * - shm_open() names longer than 31 characters (PSHMNAMLEN) and sem_open()
 *   names longer than 30 (31 with the NUL) fail with ENAMETOOLONG. A name
 *   is judged as if its creator's pid were as long as it can be (5 base-36
 *   digits), so a test machine's short pids cannot hide a long name.
 * - There is no /proc, and /dev/shm cannot be listed (opendir fails).
 * - Every open semaphore holds a file descriptor until sem_close().
 * Nothing else changes: every other call goes to libc.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_TRACKED 4096
#define PID_DIGITS_MAX 5

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char shm_fd[MAX_TRACKED]; /* descriptors shm_open returned */
static struct {
  sem_t *sem;
  int fd;
} sems[MAX_TRACKED];

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

/* The name's length as XNU would see it from a process with the longest pid
 * (a name with no pid in it, a named segment's alias "mproc-_<name>", is as
 * long everywhere). */
static size_t judged_length(const char *name) {
  size_t n = strlen(name), digits;
  const char *p = strstr(name, "mproc-");
  if (!p)
    return n;
  digits = strspn(p + 6, "0123456789abcdefghijklmnopqrstuvwxyz");
  return digits && digits < PID_DIGITS_MAX ? n + PID_DIGITS_MAX - digits : n;
}

static int is_proc(const char *path) {
  return path && (strcmp(path, "/proc") == 0 || strncmp(path, "/proc/", 6) == 0);
}

static void track_shm(int fd, int on) {
  if (fd >= 0 && fd < MAX_TRACKED) {
    pthread_mutex_lock(&lock);
    shm_fd[fd] = (unsigned char)on;
    pthread_mutex_unlock(&lock);
  }
}

static int tracked_shm(int fd) {
  int on = 0;
  if (fd >= 0 && fd < MAX_TRACKED) {
    pthread_mutex_lock(&lock);
    on = shm_fd[fd];
    pthread_mutex_unlock(&lock);
  }
  return on;
}

int shm_open(const char *name, int oflag, mode_t mode) {
  int fd;
  if (judged_length(name) > 31) {
    errno = ENAMETOOLONG;
    return -1;
  }
  fd = REAL(shm_open)(name, oflag, mode);
  track_shm(fd, 1);
  return fd;
}

int close(int fd) {
  track_shm(fd, 0);
  return REAL(close)(fd);
}

int fchmod(int fd, mode_t mode) {
  if (tracked_shm(fd)) {
    errno = EINVAL;
    return -1;
  }
  return REAL(fchmod)(fd, mode);
}

int ftruncate(int fd, off_t length) {
  struct stat sb;
  if (tracked_shm(fd) && fstat(fd, &sb) == 0 && sb.st_size != 0) {
    errno = EINVAL;
    return -1;
  }
  return REAL(ftruncate)(fd, length);
}

sem_t *sem_open(const char *name, int oflag, ...) {
  sem_t *s;
  int i;
  if (judged_length(name) > 30) {
    errno = ENAMETOOLONG;
    return SEM_FAILED;
  }
  if (oflag & O_CREAT) {
    va_list ap;
    mode_t mode;
    unsigned value;
    va_start(ap, oflag);
    mode = (mode_t)va_arg(ap, int);
    value = va_arg(ap, unsigned);
    va_end(ap);
    s = REAL(sem_open)(name, oflag, mode, value);
  } else {
    s = REAL(sem_open)(name, oflag);
  }
  if (s == SEM_FAILED)
    return s;
  pthread_mutex_lock(&lock);
  for (i = 0; i < MAX_TRACKED && sems[i].sem; i++)
    ;
  if (i < MAX_TRACKED) {
    /* the descriptor macOS's sem_open holds: it counts against the limit */
    int fd = REAL(open)("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      pthread_mutex_unlock(&lock);
      REAL(sem_close)(s);
      errno = EMFILE;
      return SEM_FAILED;
    }
    sems[i].sem = s;
    sems[i].fd = fd;
  }
  pthread_mutex_unlock(&lock);
  return s;
}

int sem_close(sem_t *s) {
  int i;
  pthread_mutex_lock(&lock);
  for (i = 0; i < MAX_TRACKED; i++)
    if (sems[i].sem == s) {
      REAL(close)(sems[i].fd);
      sems[i].sem = NULL;
      break;
    }
  pthread_mutex_unlock(&lock);
  return REAL(sem_close)(s);
}

/* ---- no /proc, no listing of /dev/shm ---- */

int open(const char *path, int flags, ...) {
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (is_proc(path)) {
    errno = ENOENT;
    return -1;
  }
  return REAL(open)(path, flags, mode);
}

FILE *fopen(const char *path, const char *how) {
  if (is_proc(path)) {
    errno = ENOENT;
    return NULL;
  }
  return REAL(fopen)(path, how);
}

ssize_t readlink(const char *path, char *buf, size_t cap) {
  if (is_proc(path)) {
    errno = ENOENT;
    return -1;
  }
  return REAL(readlink)(path, buf, cap);
}

DIR *opendir(const char *path) {
  if (is_proc(path) || (path && strncmp(path, "/dev/shm", 8) == 0)) {
    errno = ENOENT;
    return NULL;
  }
  return REAL(opendir)(path);
}
