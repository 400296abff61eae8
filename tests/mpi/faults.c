/*
 * The MPI backend's faults: when a process of the job dies, nothing hangs
 * and nothing is left behind, whatever the MPI implementation does about it
 * (Open MPI 4.1 ends the whole job when a rank dies: that is fine, so long
 * as it ends, and ends everything).
 *
 * One program, two roles:
 *   mproc_mpi_faults --driver <test|all> <mpiexec> <numproc flag> [flags...]
 *     the CUnit suite, run by CTest directly (not under mpiexec). Each test
 *     starts a job, waits until its processes wrote their pids, kills one of
 *     them, then bounds everything: the job must end within JOB_END_S, and
 *     every process it had be gone within GONE_S after.
 *   mproc_mpi_faults <pid file> <static|spawn> <long ms> <short ms> <items>
 *                    [<host_silence_ms>]
 *     the job's program, under mpiexec (static) or alone (spawn): rank 0
 *     maps items over a pool of 2 workers, each holding an Event of its own
 *     (a name it leaves if killed); items 0 and 1 nap <long ms>, the
 *     others <short ms>. Rank 0 writes "parent <pid>", each task "task <item>
 *     worker <pid> host <its parent's pid>" when it starts (a worker is its
 *     host's local child), and rank 0 the map's outcome at the end.
 * The tests:
 *   host_killed    a static job's host rank SIGKILLed mid-map
 *   parent_killed  a static job's rank 0 SIGKILLed mid-map
 *   ctrl_c         SIGINT to mpiexec mid-map
 *   spawn_parent_killed  a singleton's spawned hosts, their parent SIGKILLed
 *   parent_stopped a static job's rank 0 SIGSTOPped mid-map: its hosts, the
 *                  parent silent, end their workers, which leave no name
 *   worker_killed  a host's worker SIGKILLed mid-task: that task is
 *                  MPROC_ECRASHED, the host starts another, the map completes
 * "Gone" is: no such pid, or a zombie (an orphan whose reaper does not reap,
 * as PID 1 in some containers). Besides the pids written, every process
 * whose environment carries this run's MPROC_FAULTS_TAG counts (MPI's own
 * daemons too). A test that fails kills whatever is left.
 * POSIX (Linux's /proc) only, as the MPI backend's suites are.
 */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L /* kill(), fork(), mkdtemp(), realpath()... */
#endif
#include <CUnit/Basic.h>
#include <apr_time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "mproc/mpi.h"

#define WORKERS 2
#define TAG_VAR "MPROC_FAULTS_TAG"

/* ---- the job's program ---- */

#ifndef _WIN32
static char pid_file[4096];
static int64_t long_ms, short_ms;
static mproc_event *held; /* the worker's own named object */

/* One line, in one write (O_APPEND: lines of several processes never mix). */
static void record(const char *path, const char *line) {
  size_t n = strlen(line);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0)
    return;
  if (write(fd, line, n) != (ssize_t)n)
    fprintf(stderr, "faults: a short write to %s\n", path);
  close(fd);
}

/* The initializer: [pid file, long ms, short ms]. */
static int f_init(const mproc_args *a, mproc_args *r) {
  const char *path = NULL;
  (void)r;
  if (mproc_args_unpack(a, "str i64 i64", &path, &long_ms, &short_ms) != MPROC_OK)
    return 1;
  snprintf(pid_file, sizeof pid_file, "%s", path);
  return mproc_event_create(&held) != MPROC_OK;
}

/* [x] -> x, after it wrote who runs it and napped. */
static int f_task(const mproc_args *a, mproc_args *r) {
  int64_t x = 0;
  apr_time_t until;
  char line[128];
  if (mproc_args_unpack(a, "i64", &x) != MPROC_OK)
    return 2;
  snprintf(line, sizeof line, "task %lld worker %ld host %ld\n", (long long)x, (long)getpid(),
           (long)getppid());
  record(pid_file, line);
  until = apr_time_now() + apr_time_from_msec(x < 2 ? long_ms : short_ms);
  while (apr_time_now() < until)
    apr_sleep(10000);
  return mproc_args_pack(r, "i64", x) != MPROC_OK;
}

/* Rank 0: the map, then its outcome in the pid file. */
static int job(int argc, char **argv) {
  mproc_mpi_options mo = {.mode = MPROC_MPI_STATIC};
  mproc_pool *p = NULL;
  mproc_args *init = NULL;
  int64_t in[64], out[64];
  mproc_status sts[64], st;
  char line[128];
  int n, i;
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: %s <pid file> <static|spawn> <long ms> <short ms> <items> [silence]\n",
            argv[0]);
    return 2;
  }
  mo.mode = strcmp(argv[2], "spawn") == 0 ? MPROC_MPI_SPAWN : MPROC_MPI_STATIC;
  mo.host_silence_ms = argc == 7 ? (uint32_t)atol(argv[6]) : 0;
  n = atoi(argv[5]);
  if (n < 1 || n > 64)
    return 2;
  snprintf(line, sizeof line, "parent %ld\n", (long)getpid());
  record(argv[1], line);
  if (mproc_args_create_packed(&init, "str i64 i64", argv[1], (int64_t)atoll(argv[3]),
                               (int64_t)atoll(argv[4])) != MPROC_OK ||
      mproc_mpi_pool_create(
          &p, &(mproc_pool_options){.workers = WORKERS, .initializer = "f_init", .initargs = init},
          &mo) != MPROC_OK) {
    fprintf(stderr, "faults: the pool: %s\n", mproc_last_error());
    return 1;
  }
  for (i = 0; i < n; i++)
    in[i] = i;
  st = mproc_pool_map_i64(p, "f_task", in, (size_t)n, &(mproc_map_options){.chunksize = 1}, out,
                          sts);
  for (i = 0; i < n; i++) {
    snprintf(line, sizeof line, "item %d %s %lld\n", i, mproc_status_name(sts[i]),
             (long long)out[i]);
    record(argv[1], line);
  }
  snprintf(line, sizeof line, "map %s\n", mproc_status_name(st));
  record(argv[1], line);
  printf("faults: the map returned %s\n", mproc_status_name(st));
  mproc_args_destroy(init);
  st = mproc_pool_destroy(p);
  return st == MPROC_OK ? 0 : 1;
}
#endif

static const mproc_function functions[] = {
#ifndef _WIN32
    MPROC_FUNCTION(f_init), MPROC_FUNCTION(f_task),
#endif
    MPROC_FUNCTIONS_END};

#ifndef _WIN32
/* ---- the driver ---- */

#define JOB_END_S 60  /* from the kill to the end of the job (mpiexec, or the singleton's all) */
#define GONE_S 10     /* then, to every process of the job gone */
#define STARTED_S 60  /* the job's start: its pids written */
#define POLL_US 20000 /* how often a bounded wait looks */
#define FOREVER_MS 600000 /* an item meant to be interrupted: past every bound */

static const char *self_exe;
static char **mpiexec_argv; /* mpiexec, its -n flag, its flags: from CMake */
static int mpiexec_argc;

typedef struct job_run {
  char dir[64], pids[128], log[128], tag[128];
  pid_t pid;      /* mpiexec, or the singleton */
  int silence_ms; /* the job's host_silence_ms (0: its default) */
  int status;     /* its waitpid() status, once reaped */
  int reaped;
  double t0, t_kill; /* seconds: started, killed */
} job_run;

static double now_s(void) { return (double)apr_time_now() / (double)APR_USEC_PER_SEC; }

/* Gone: no such process, or a zombie nobody reaps. */
static int gone(long pid) {
  char path[64], buf[512], *close_paren;
  FILE *f;
  size_t got;
  if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
    return 1;
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  if ((f = fopen(path, "r")) == NULL)
    return 1;
  got = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[got] = '\0';
  close_paren = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold anything */
  return close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
}

static void cmdline(long pid, char *out, size_t cap) {
  char path[64];
  FILE *f;
  size_t got = 0, i;
  snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
  if ((f = fopen(path, "r")) != NULL) {
    got = fread(out, 1, cap - 1, f);
    fclose(f);
  }
  for (i = 0; i + 1 < got; i++)
    if (!out[i])
      out[i] = ' ';
  out[got] = '\0';
}

/* Whether @pid's environment holds @entry ("NAME=value"): 1, 0; -1: unreadable. */
static int has_env(long pid, const char *entry) {
  char path[64];
  static char env[1 << 18];
  size_t got, len = strlen(entry), i;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%ld/environ", pid);
  if ((f = fopen(path, "r")) == NULL)
    return -1;
  got = fread(env, 1, sizeof env - 1, f);
  fclose(f);
  env[got] = '\0';
  for (i = 0; i < got; i += strlen(env + i) + 1)
    if (strncmp(env + i, entry, len) == 0 && env[i + len] == '\0')
      return 1;
  return 0;
}

/* The pids of the job: every pid its file names, and every live process
 * carrying its tag. A named pid whose process provably lacks the tag is
 * another's (pids wrap): left out. @return how many (at most @cap). */
static int job_pids(const job_run *r, long *pids, int cap) {
  char line[256], entry[160];
  FILE *f = fopen(r->pids, "r");
  DIR *d;
  struct dirent *e;
  int n = 0, i;
  long a, b;
  snprintf(entry, sizeof entry, "%s=%s", TAG_VAR, r->tag);
  if (f) {
    while (n + 2 <= cap && fgets(line, sizeof line, f)) {
      if (sscanf(line, "parent %ld", &a) == 1)
        pids[n++] = a;
      else if (sscanf(line, "task %*d worker %ld host %ld", &a, &b) == 2) {
        pids[n++] = a;
        pids[n++] = b;
      }
    }
    fclose(f);
  }
  for (i = 0; i < n; i++)
    if (has_env(pids[i], entry) == 0)
      pids[i--] = pids[--n];
  if ((d = opendir("/proc")) != NULL) {
    while (n < cap && (e = readdir(d)) != NULL) {
      long pid = strtol(e->d_name, NULL, 10);
      if (pid > 0 && pid != (long)getpid() && has_env(pid, entry) == 1)
        pids[n++] = pid;
    }
    closedir(d);
  }
  for (i = 0; i < n; i++) { /* duplicates out */
    int j;
    for (j = 0; j < i && pids[j] != pids[i]; j++)
      ;
    if (j < i)
      pids[i--] = pids[--n];
  }
  return n;
}

/* The live ones among the job's pids, written to @out ("pid cmdline; ..."). */
static int survivors(const job_run *r, char *out, size_t cap) {
  long pids[256];
  int n = job_pids(r, pids, 256), i, live = 0;
  size_t used = 0;
  out[0] = '\0';
  for (i = 0; i < n; i++) {
    char cmd[160];
    if (gone(pids[i]))
      continue;
    live++;
    cmdline(pids[i], cmd, sizeof cmd);
    if (used < cap)
      used += (size_t)snprintf(out + used, cap - used, "%ld (%s); ", pids[i], cmd);
  }
  return live;
}

/* Reaps the job's first process if it ended. @return 1 once reaped. */
static int reap(job_run *r) {
  if (!r->reaped && waitpid(r->pid, &r->status, WNOHANG) == r->pid)
    r->reaped = 1;
  return r->reaped;
}

/* Everything of the job SIGKILLed and the first process reaped: a failed
 * test leaves nothing behind. */
static void kill_all(job_run *r) {
  long pids[256];
  int n = job_pids(r, pids, 256), i;
  for (i = 0; i < n; i++)
    if (!gone(pids[i]))
      kill((pid_t)pids[i], SIGKILL);
  if (!r->reaped) {
    kill(r->pid, SIGKILL);
    if (waitpid(r->pid, &r->status, 0) == r->pid)
      r->reaped = 1;
  }
}

static void describe_status(int status, char *out, size_t cap) {
  if (WIFEXITED(status))
    snprintf(out, cap, "exit code %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(out, cap, "killed by signal %d", WTERMSIG(status));
  else
    snprintf(out, cap, "status %#x", (unsigned)status);
}

/* Prints the job's output and its pid file (for the failure, and the record). */
static void dump(const job_run *r, const char *name) {
  const char *files[2] = {r->log, r->pids};
  int i;
  for (i = 0; i < 2; i++) {
    char line[512];
    FILE *f = fopen(files[i], "r");
    fprintf(stderr, "  -- %s: %s --\n", name, i ? "pid file" : "job output");
    while (f && fgets(line, sizeof line, f))
      fprintf(stderr, "  | %s", line);
    if (f)
      fclose(f);
  }
}

static void cleanup_files(const job_run *r) {
  remove(r->pids);
  remove(r->log);
  rmdir(r->dir);
}

/* Starts the job, its output to r->log, its processes tagged. @static_job: under mpiexec with 3
 * ranks; else alone. */
static int start_job(job_run *r, int static_job, int64_t long_item, int64_t short_item, int items) {
  char *argv[64], nums[4][32];
  int argc = 0, i;
  snprintf(r->dir, sizeof r->dir, "/tmp/mproc-faults-XXXXXX");
  if (!mkdtemp(r->dir))
    return -1;
  snprintf(r->pids, sizeof r->pids, "%s/pids", r->dir);
  snprintf(r->log, sizeof r->log, "%s/log", r->dir);
  snprintf(r->tag, sizeof r->tag, "%s", r->dir);
  snprintf(nums[0], sizeof nums[0], "%lld", (long long)long_item);
  snprintf(nums[1], sizeof nums[1], "%lld", (long long)short_item);
  snprintf(nums[2], sizeof nums[2], "%d", items);
  if (static_job) {
    argv[argc++] = mpiexec_argv[0];
    argv[argc++] = mpiexec_argv[1];
    argv[argc++] = "3";
    for (i = 2; i < mpiexec_argc && argc < 50; i++)
      argv[argc++] = mpiexec_argv[i];
  }
  argv[argc++] = (char *)self_exe;
  argv[argc++] = r->pids;
  argv[argc++] = static_job ? "static" : "spawn";
  argv[argc++] = nums[0];
  argv[argc++] = nums[1];
  argv[argc++] = nums[2];
  snprintf(nums[3], sizeof nums[3], "%d", r->silence_ms);
  if (r->silence_ms)
    argv[argc++] = nums[3];
  argv[argc] = NULL;
  fflush(NULL);
  r->t0 = now_s();
  r->pid = fork();
  if (r->pid < 0)
    return -1;
  if (r->pid == 0) { /* (the driver has one thread: a forked child may call anything) */
    int out = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
      _exit(127);
    setenv(TAG_VAR, r->tag, 1);
    execvp(argv[0], argv);
    fprintf(stderr, "faults: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return 0;
}

typedef struct task_line {
  long item, worker, host;
} task_line;

/* The pid file's task lines (at most @cap) and its parent's pid (0: none yet). */
static int read_tasks(const job_run *r, task_line *t, int cap, long *parent) {
  char line[256];
  FILE *f = fopen(r->pids, "r");
  int n = 0;
  *parent = 0;
  if (!f)
    return 0;
  while (fgets(line, sizeof line, f)) {
    if (sscanf(line, "parent %ld", parent) == 1)
      continue;
    if (n < cap &&
        sscanf(line, "task %ld worker %ld host %ld", &t[n].item, &t[n].worker, &t[n].host) == 3)
      n++;
  }
  fclose(f);
  return n;
}

/* Waits (bounded) until the parent and both workers wrote their pids: both
 * workers are then inside their first, long, task. @return 0; -1 when the
 * bound passed or the job ended first (the test has failed). */
static int wait_started(job_run *r, const char *name, task_line t[WORKERS], long *parent) {
  double until = now_s() + STARTED_S;
  task_line all[64];
  while (now_s() < until) {
    int n = read_tasks(r, all, 64, parent);
    if (*parent && n >= WORKERS && all[0].worker != all[1].worker) {
      memcpy(t, all, WORKERS * sizeof *t);
      return 0;
    }
    if (reap(r)) {
      fprintf(stderr, "\n%s: the job ended before it started its tasks\n", name);
      return -1;
    }
    apr_sleep(POLL_US);
  }
  fprintf(stderr, "\n%s: the job did not start its tasks in %d s\n", name, STARTED_S);
  return -1;
}

/* After the kill: the job's first process must end within JOB_END_S, then
 * every process of the job be gone within GONE_S. Prints what happened.
 * @return 0; -1 (reported, everything killed) otherwise. */
static int wait_all_gone(job_run *r, const char *name, double job_end_s) {
  char live[2048], how[64];
  double until = r->t_kill + job_end_s, t_end, t_gone;
  while (!reap(r) && now_s() < until)
    apr_sleep(POLL_US);
  if (!r->reaped) {
    survivors(r, live, sizeof live);
    fprintf(stderr, "\n%s: HANG: the job did not end %d s after the kill; alive: %s\n", name,
            (int)job_end_s, live);
    dump(r, name);
    kill_all(r);
    return -1;
  }
  t_end = now_s();
  until = t_end + GONE_S;
  while (survivors(r, live, sizeof live) && now_s() < until)
    apr_sleep(POLL_US);
  t_gone = now_s();
  describe_status(r->status, how, sizeof how);
  if (survivors(r, live, sizeof live)) {
    fprintf(stderr, "\n%s: ORPHANS: %d s after the job's end (%s), alive: %s\n", name, GONE_S, how,
            live);
    dump(r, name);
    kill_all(r);
    return -1;
  }
  fprintf(stderr,
          "\n%s: killed at %.2f s after the start; the job ended %.2f s later (%s); every process "
          "of it gone %.2f s after\n",
          name, r->t_kill - r->t0, t_end - r->t_kill, how, t_gone - t_end);
  dump(r, name);
  return 0;
}

/* What rank 0's map returned, if it returned at all. */
static const char *map_outcome(const job_run *r, char *out, size_t cap) {
  char line[256], st[64];
  FILE *f = fopen(r->pids, "r");
  snprintf(out, cap, "the map never returned");
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "map %63s", st) == 1)
      snprintf(out, cap, "the map returned %s", st);
  if (f)
    fclose(f);
  return out;
}

/* The four scenarios where a process of the job dies or is interrupted. */
enum victim { HOST, PARENT, MPIEXEC_SIGINT };

static void kill_mid_map(const char *name, int static_job, enum victim v) {
  job_run r;
  task_line t[WORKERS];
  long parent = 0, target;
  char outcome[128];
  int sig = v == MPIEXEC_SIGINT ? SIGINT : SIGKILL;
  memset(&r, 0, sizeof r);
  CU_ASSERT_FATAL(start_job(&r, static_job, FOREVER_MS, FOREVER_MS, 8) == 0);
  if (wait_started(&r, name, t, &parent) != 0) {
    dump(&r, name);
    kill_all(&r);
    cleanup_files(&r);
    CU_FAIL_FATAL("the job did not start");
  }
  target = v == HOST ? t[0].host : v == PARENT ? parent : (long)r.pid;
  fprintf(stderr, "\n%s: parent %ld, hosts %ld %ld, workers %ld %ld; signal %d to %ld\n", name,
          parent, t[0].host, t[1].host, t[0].worker, t[1].worker, sig, target);
  r.t_kill = now_s();
  CU_ASSERT(kill((pid_t)target, sig) == 0);
  if (wait_all_gone(&r, name, JOB_END_S) != 0)
    CU_FAIL("the job hung or left processes");
  fprintf(stderr, "%s: %s\n", name, map_outcome(&r, outcome, sizeof outcome));
  cleanup_files(&r);
}

/* The names /dev/shm holds that process @pid made (mproc-<pid in base 36>-...),
 * written to @out. @return how many. */
static int names_left(long pid, char *out, size_t cap) {
  char prefix[32], digits[16];
  int n = 0, k = 0;
  size_t used = 0, len = 6;
  DIR *d;
  struct dirent *e;
  do
    digits[k++] = "0123456789abcdefghijklmnopqrstuvwxyz"[pid % 36];
  while ((pid /= 36) != 0);
  memcpy(prefix, "mproc-", len);
  while (k)
    prefix[len++] = digits[--k];
  prefix[len++] = '-';
  prefix[len] = '\0';
  out[0] = '\0';
  if ((d = opendir("/dev/shm")) == NULL)
    return 0;
  while ((e = readdir(d)) != NULL)
    if (strstr(e->d_name, prefix)) {
      n++;
      if (used < cap)
        used += (size_t)snprintf(out + used, cap - used, "%s ", e->d_name);
    }
  closedir(d);
  return n;
}

/* A stopped parent: each host, after host_silence_ms of silence, kills its
 * worker, reaps it (sweeping the names it left) and exits; the job ends. */
static void test_parent_stopped(void) {
  const char *name = "parent_stopped";
  job_run r;
  task_line t[WORKERS];
  long parent = 0;
  char left[1024];
  int i, check_names = 1;
  memset(&r, 0, sizeof r);
  r.silence_ms = 1500;
  CU_ASSERT_FATAL(start_job(&r, 1, FOREVER_MS, FOREVER_MS, 8) == 0);
  if (wait_started(&r, name, t, &parent) != 0) {
    dump(&r, name);
    kill_all(&r);
    cleanup_files(&r);
    CU_FAIL_FATAL("the job did not start");
  }
  for (i = 0; i < WORKERS; i++)
    CU_ASSERT(names_left(t[i].worker, left, sizeof left) > 0); /* (its Event, at least) */
  fprintf(stderr, "\n%s: parent %ld stopped; hosts %ld %ld, workers %ld %ld\n", name, parent,
          t[0].host, t[1].host, t[0].worker, t[1].worker);
  r.t_kill = now_s();
  CU_ASSERT(kill((pid_t)parent, SIGSTOP) == 0);
  if (wait_all_gone(&r, name, JOB_END_S) != 0)
    CU_FAIL("the job hung or left processes");
#ifdef FAULTS_NO_SWEEP
  fprintf(stderr,
          "%s: names not checked: on this path (macOS's) the runtime cannot list names, "
          "so nothing sweeps a killed process's\n",
          name);
  check_names = 0;
#endif
  for (i = 0; check_names && i < WORKERS; i++) {
    int n = names_left(t[i].worker, left, sizeof left);
    if (n)
      fprintf(stderr, "%s: worker %ld left: %s\n", name, t[i].worker, left);
    CU_ASSERT_EQUAL(n, 0);
  }
  cleanup_files(&r);
}

static void test_host_killed(void) { kill_mid_map("host_killed", 1, HOST); }
static void test_parent_killed(void) { kill_mid_map("parent_killed", 1, PARENT); }
static void test_ctrl_c(void) { kill_mid_map("ctrl_c", 1, MPIEXEC_SIGINT); }
static void test_spawn_parent_killed(void) { kill_mid_map("spawn_parent_killed", 0, PARENT); }

/* A worker killed mid-task: that task crashed, its host starts another
 * worker, which takes the rest; the map completes, the job ends well. */
static void test_worker_killed(void) {
  const char *name = "worker_killed";
  enum { ITEMS = 8 };
  job_run r;
  task_line t[WORKERS], all[64];
  long parent = 0, victim_item;
  char line[256], st_name[64];
  int n, i, items_seen = 0, crashed = 0, ok_items = 0, replaced = 0, map_crashed = 0;
  FILE *f;
  memset(&r, 0, sizeof r);
  /* items 0 and 1 (the workers' first) nap long enough to be killed in */
  CU_ASSERT_FATAL(start_job(&r, 1, 5000, 100, ITEMS) == 0);
  if (wait_started(&r, name, t, &parent) != 0) {
    dump(&r, name);
    kill_all(&r);
    cleanup_files(&r);
    CU_FAIL_FATAL("the job did not start");
  }
  victim_item = t[0].item;
  fprintf(stderr, "\n%s: worker %ld (host %ld) SIGKILLed in item %ld\n", name, t[0].worker,
          t[0].host, victim_item);
  r.t_kill = now_s();
  CU_ASSERT(kill((pid_t)t[0].worker, SIGKILL) == 0);
  if (wait_all_gone(&r, name, JOB_END_S) != 0) {
    cleanup_files(&r);
    CU_FAIL_FATAL("the job hung or left processes");
  }
  CU_ASSERT(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
  if ((f = fopen(r.pids, "r")) == NULL) {
    cleanup_files(&r);
    CU_FAIL_FATAL("no pid file");
  }
  while (fgets(line, sizeof line, f)) {
    long item = -1, value = -1;
    if (sscanf(line, "item %ld %63s %ld", &item, st_name, &value) == 3) {
      items_seen++;
      if (item == victim_item)
        crashed = strcmp(st_name, "MPROC_ECRASHED") == 0;
      else
        ok_items += strcmp(st_name, "MPROC_OK") == 0 && value == item;
    } else if (sscanf(line, "map %63s", st_name) == 1) {
      map_crashed = strcmp(st_name, "MPROC_ECRASHED") == 0; /* the first failing item's */
    }
  }
  fclose(f);
  CU_ASSERT_EQUAL(items_seen, ITEMS);
  CU_ASSERT(crashed);
  CU_ASSERT_EQUAL(ok_items, ITEMS - 1);
  CU_ASSERT(map_crashed);
  /* the victim's host ran later items in a new worker */
  n = read_tasks(&r, all, 64, &parent);
  for (i = 0; i < n; i++)
    replaced += all[i].host == t[0].host && all[i].worker != t[0].worker;
  CU_ASSERT(replaced > 0);
  cleanup_files(&r);
}

static CU_TestInfo tests[] = {{"host_killed", test_host_killed},
                              {"parent_killed", test_parent_killed},
                              {"ctrl_c", test_ctrl_c},
                              {"spawn_parent_killed", test_spawn_parent_killed},
                              {"worker_killed", test_worker_killed},
                              {"parent_stopped", test_parent_stopped},
                              CU_TEST_INFO_NULL};

/* --driver <test|all> <mpiexec> <numproc flag> [mpiexec flags...] */
static int driver(int argc, char **argv) {
  static char exe[4096];
  CU_SuiteInfo suites[] = {{"mpi_faults", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
  unsigned failed;
  if (argc < 5) {
    fprintf(stderr, "usage: %s --driver <test|all> <mpiexec> <numproc flag> [flags...]\n", argv[0]);
    return 2;
  }
  if (!realpath(argv[0], exe))
    return 2;
  self_exe = exe;
  mpiexec_argv = argv + 3;
  mpiexec_argc = argc - 3;
  if (apr_initialize() != APR_SUCCESS || CU_initialize_registry() != CUE_SUCCESS ||
      CU_register_suites(suites) != CUE_SUCCESS)
    return 1;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  if (strcmp(argv[2], "all") == 0) {
    CU_basic_run_tests();
  } else {
    CU_pSuite s = CU_get_suite("mpi_faults");
    CU_pTest t = s ? CU_get_test(s, argv[2]) : NULL;
    if (!t) {
      fprintf(stderr, "no test %s\n", argv[2]);
      return 2;
    }
    CU_basic_run_test(s, t);
  }
  failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  apr_terminate();
  return failed ? 1 : 0;
}
#endif

int main(int argc, char **argv) {
#ifdef _WIN32
  (void)argc;
  (void)argv;
  (void)functions;
  return 77; /* POSIX only */
#else
  if (argc >= 2 && strcmp(argv[1], "--driver") == 0)
    return driver(argc, argv);
  /* the job: rank 0 returns; the hosts and the workers never do */
  if (mproc_mpi_init(&argc, &argv, functions) != MPROC_OK) {
    fprintf(stderr, "mproc_mpi_init: %s\n", mproc_last_error());
    return 1;
  }
  return job(argc, argv);
#endif
}
