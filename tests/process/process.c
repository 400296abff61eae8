/* Tests of runtime/process/process.c: the Process API against real children. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/object.h" /* names */
#include "tests.h"

/* ---- child functions ---- */

static int child_ok(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  return 0;
}

static int child_fail(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  return 5; /* any non-zero return is failure: exit code 1 */
}

static int child_exit(const mproc_args *a, mproc_args *r) {
  int64_t code = 0;
  (void)r;
  mproc_args_get_i64(a, 0, &code);
  exit((int)code);
}

static int child_abort(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  t_abort();
}

static int child_segfault(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  t_segfault();
}

static int child_sleep(const mproc_args *a, mproc_args *r) {
  int64_t ms = 0;
  (void)r;
  mproc_args_get_i64(a, 0, &ms);
  t_sleep_ms(ms);
  return 0;
}

/* Returns 0 only if it received exactly what test_args_cross sent. */
static int child_check_args(const mproc_args *a, mproc_args *r) {
  int64_t i;
  double f;
  int b;
  const char *s;
  const void *d;
  size_t n, count;
  (void)r;
  if (mproc_args_count(a, &count) || count != 5)
    return 1;
  if (mproc_args_get_i64(a, 0, &i) || i != -1234567890123LL)
    return 1;
  if (mproc_args_get_f64(a, 1, &f) || f != 0.125)
    return 1;
  if (mproc_args_get_bool(a, 2, &b) || !b)
    return 1;
  if (mproc_args_get_str(a, 3, &s) || strcmp(s, "spawn, not fork") != 0)
    return 1;
  if (mproc_args_get_bytes(a, 4, &d, &n) || n != 3 || memcmp(d, "\0\1\2", 3) != 0)
    return 1;
  return 0;
}

/* args: [expected name, expected parent pid, expected daemon flag] */
static int child_self_info(const mproc_args *a, mproc_args *r) {
  const char *name;
  int64_t ppid;
  int daemon;
  (void)r;
  if (mproc_args_get_str(a, 0, &name) || mproc_args_get_i64(a, 1, &ppid) ||
      mproc_args_get_bool(a, 2, &daemon))
    return 1;
  if (strcmp(mproc_self_name(), name) != 0) {
    fprintf(stderr, "child name %s, expected %s\n", mproc_self_name(), name);
    return 1;
  }
  return mproc_self_parent_pid() == ppid && mproc_self_is_daemon() == daemon &&
                 mproc_self_pid() != ppid && mproc_cpu_count() >= 1
             ? 0
             : 1;
}

/* Starts a grandchild; exits 0 if start returned args[0] and, when it started,
 * the grandchild ran with the expected hierarchical default name. */
static int child_spawn(const mproc_args *a, mproc_args *r) {
  int64_t want;
  mproc_process *p;
  mproc_status st;
  int code = -1;
  (void)r;
  mproc_args_get_i64(a, 0, &want);
  if (mproc_process_create(&p, "child_ok", NULL, NULL) != MPROC_OK)
    return 1;
  st = mproc_process_start(p);
  if (st == MPROC_OK) {
    char expect[64];
    snprintf(expect, sizeof expect, "Process-%s:1", mproc_self_name() + strlen("Process-"));
    if (strcmp(mproc_process_name(p), expect) != 0)
      return 1;
    mproc_process_join(p, MPROC_WAIT_FOREVER);
    mproc_process_exitcode(p, &code);
  }
  mproc_process_destroy(p);
  return st == (mproc_status)want && (st != MPROC_OK || code == 0) ? 0 : 1;
}

/* Exits 0 if its standard streams are open (a closed one would be the
 * first file it opens). */
static int child_std_streams_open(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  return t_std_streams_open() ? 0 : 3;
}

/* As a daemon with closed stdio: closes its standard streams, then starts
 * a grandchild; exits with the grandchild's exit code, 9 if it could not
 * start it. */
static int child_closed_stdio(const mproc_args *a, mproc_args *r) {
  mproc_process *p;
  int code = 9;
  (void)a;
  (void)r;
  t_close_std_streams();
  if (mproc_process_create(&p, "child_std_streams_open", NULL, NULL) != MPROC_OK)
    return 9;
  if (mproc_process_start(p) == MPROC_OK && mproc_process_join(p, T_BOUND_MS) == MPROC_OK)
    mproc_process_exitcode(p, &code);
  mproc_process_destroy(p);
  return code;
}

/* [path]: makes an Event (a name to remove), starts a child that is not a
 * daemon and never ends, writes that child's pid to @path, then waits to be
 * told to end. */
static int child_parent_of_sleeper(const mproc_args *a, mproc_args *r) {
  const char *path = NULL;
  mproc_event *e = NULL;
  mproc_process *p = NULL;
  mproc_args *forever = NULL;
  int64_t pid = 0;
  char text[32];
  (void)r;
  if (mproc_args_get_str(a, 0, &path) || mproc_event_create(&e) || mproc_args_create(&forever) ||
      mproc_args_add_i64(forever, T_FOREVER_MS) ||
      mproc_process_create(&p, "child_sleep", forever, NULL) || mproc_process_start(p) ||
      mproc_process_pid(p, &pid))
    return 2;
  snprintf(text, sizeof text, "%lld", (long long)pid);
  t_write_file(path, text);
  mproc_process_join(p, MPROC_WAIT_FOREVER); /* as a program waits for its worker */
  return 3;
}

/* ---- tests ---- */

static int run_exit_code(const char *fn, mproc_args *args) {
  return t_finish(t_start(fn, args, NULL));
}

static void test_exit_codes(void) {
  mproc_args *a = NULL;
  CU_ASSERT_EQUAL(run_exit_code("child_ok", NULL), 0);
  CU_ASSERT_EQUAL(run_exit_code("child_fail", NULL), 1);
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, 7));
  CU_ASSERT_EQUAL(run_exit_code("child_exit", a), 7);
  mproc_args_destroy(a);
  CU_ASSERT_EQUAL(run_exit_code("child_abort", NULL), t_signal_exitcode(SIGABRT));
  /* A crash reads the same on every OS: on Windows, as the signal its
   * exception stands for (an access violation: SIGSEGV). */
  CU_ASSERT_EQUAL(run_exit_code("child_segfault", NULL), -SIGSEGV);
}

static void test_args_cross(void) {
  mproc_args *a = NULL;
  T_OK(mproc_args_create(&a));
  mproc_args_add_i64(a, -1234567890123LL);
  mproc_args_add_f64(a, 0.125);
  mproc_args_add_bool(a, 1);
  mproc_args_add_str(a, "spawn, not fork");
  mproc_args_add_bytes(a, "\0\1\2", 3);
  CU_ASSERT_EQUAL(run_exit_code("child_check_args", a), 0);
  mproc_args_destroy(a);
}

static mproc_process *start_sleeper(int64_t ms, int daemon) {
  mproc_args *a = NULL;
  mproc_process_options o = {.name = NULL};
  mproc_process *p;
  o.daemon = daemon;
  mproc_args_create(&a);
  mproc_args_add_i64(a, ms);
  p = t_start("child_sleep", a, &o);
  mproc_args_destroy(a);
  return p;
}

static void test_join_timeout_and_terminate(void) {
  mproc_process *p = start_sleeper(T_FOREVER_MS, 0);
  int alive = 0, code;
  int64_t t0 = t_now_ms();
  T_STATUS(mproc_process_join(p, 200), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 150);
  CU_ASSERT(t_now_ms() - t0 < 10000);
  T_OK(mproc_process_is_alive(p, &alive));
  CU_ASSERT_EQUAL(alive, 1);
  T_STATUS(mproc_process_exitcode(p, &code), MPROC_ESTATE);
  T_STATUS(mproc_process_destroy(p), MPROC_ESTATE); /* still running: nothing lost */
  T_OK(mproc_process_terminate(p));
  code = t_finish(p);
  if (code != -15)
    printf("(exit code %d: %s) ", code, mproc_last_error());
  CU_ASSERT_EQUAL(code, -15);
}

static void test_kill(void) {
  mproc_process *p = start_sleeper(T_FOREVER_MS, 0);
  int alive = 1;
  T_OK(mproc_process_kill(p));
  T_OK(mproc_process_join(p, T_BOUND_MS));
  T_OK(mproc_process_is_alive(p, &alive));
  CU_ASSERT_EQUAL(alive, 0);
  T_OK(mproc_process_kill(p)); /* already gone: a no-op */
  CU_ASSERT_EQUAL(t_finish(p), -9);
}

static void test_states(void) {
  mproc_process *p = NULL;
  int64_t pid;
  int code, alive = 1;
  T_OK(mproc_process_create(&p, "child_ok", NULL, NULL));
  T_STATUS(mproc_process_join(p, 0), MPROC_ESTATE);
  T_STATUS(mproc_process_exitcode(p, &code), MPROC_ESTATE);
  T_STATUS(mproc_process_pid(p, &pid), MPROC_ESTATE);
  T_STATUS(mproc_process_terminate(p), MPROC_ESTATE);
  T_OK(mproc_process_is_alive(p, &alive));
  CU_ASSERT_EQUAL(alive, 0);
  T_OK(mproc_process_start(p));
  T_STATUS(mproc_process_start(p), MPROC_ESTATE);
  T_OK(mproc_process_pid(p, &pid));
  CU_ASSERT(pid > 0 && pid != mproc_self_pid());
  CU_ASSERT_EQUAL(t_finish(p), 0);
  /* never started: destroy is always allowed */
  T_OK(mproc_process_create(&p, "child_ok", NULL, NULL));
  T_OK(mproc_process_destroy(p));
}

static void test_bad_input(void) {
  mproc_process *p = NULL;
  int x;
  int64_t pid;
  T_STATUS(mproc_process_create(NULL, "child_ok", NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_process_create(&p, NULL, NULL, NULL), MPROC_EINVAL);
  T_STATUS(mproc_process_create(&p, "not_registered", NULL, NULL), MPROC_ENOFUNC);
  T_STATUS(mproc_process_start(NULL), MPROC_EINVAL);
  T_STATUS(mproc_process_join(NULL, 0), MPROC_EINVAL);
  T_STATUS(mproc_process_is_alive(NULL, &x), MPROC_EINVAL);
  T_STATUS(mproc_process_exitcode(NULL, &x), MPROC_EINVAL);
  T_STATUS(mproc_process_pid(NULL, &pid), MPROC_EINVAL);
  T_STATUS(mproc_process_terminate(NULL), MPROC_EINVAL);
  T_STATUS(mproc_process_kill(NULL), MPROC_EINVAL);
  T_STATUS(mproc_process_destroy(NULL), MPROC_EINVAL);
  T_STATUS(mproc_children_active(NULL, 0, NULL), MPROC_EINVAL);
}

static void test_names_and_self(void) {
  mproc_args *a = NULL;
  mproc_process_options o = {.name = "worker-one", .daemon = 1};
  mproc_process *p;
  CU_ASSERT_STRING_EQUAL(mproc_self_name(), "MainProcess");
  CU_ASSERT_EQUAL(mproc_self_parent_pid(), 0);
  CU_ASSERT(mproc_cpu_count() >= 1);
  T_OK(mproc_args_create(&a));
  mproc_args_add_str(a, "worker-one");
  mproc_args_add_i64(a, mproc_self_pid());
  mproc_args_add_bool(a, 1);
  p = t_start("child_self_info", a, &o);
  CU_ASSERT_STRING_EQUAL(mproc_process_name(p), "worker-one");
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc_args_destroy(a);
  /* the default name is Process-N */
  T_OK(mproc_process_create(&p, "child_ok", NULL, NULL));
  CU_ASSERT_EQUAL(strncmp(mproc_process_name(p), "Process-", 8), 0);
  mproc_process_destroy(p);
}

static void test_daemon_may_not_have_children(void) {
  mproc_args *a = NULL;
  mproc_process_options daemon = {.daemon = 1};
  T_OK(mproc_args_create(&a));
  mproc_args_add_i64(a, MPROC_EDAEMON);
  CU_ASSERT_EQUAL(t_finish(t_start("child_spawn", a, &daemon)), 0);
  mproc_args_destroy(a);
  /* ...while a non-daemonic child may, and names it Process-N:1 */
  T_OK(mproc_args_create(&a));
  mproc_args_add_i64(a, MPROC_OK);
  CU_ASSERT_EQUAL(t_finish(t_start("child_spawn", a, NULL)), 0);
  mproc_args_destroy(a);
}

static void test_active_children(void) {
  mproc_process *p[3], *list[8];
  size_t n = 99, i;
  T_OK(mproc_children_active(list, 8, &n));
  CU_ASSERT_EQUAL(n, 0);
  for (i = 0; i < 3; i++)
    p[i] = start_sleeper(T_FOREVER_MS, 0);
  T_OK(mproc_children_active(list, 8, &n));
  CU_ASSERT_EQUAL(n, 3);
  T_OK(mproc_children_active(NULL, 0, &n));
  CU_ASSERT_EQUAL(n, 3);
  mproc_process_kill(p[1]);
  T_OK(mproc_process_join(p[1], T_BOUND_MS));
  T_OK(mproc_children_active(list, 8, &n));
  CU_ASSERT_EQUAL(n, 2);
  for (i = 0; i < 3; i++) {
    mproc_process_kill(p[i]);
    t_finish(p[i]);
  }
  T_OK(mproc_children_active(list, 8, &n));
  CU_ASSERT_EQUAL(n, 0);
}

static void test_many_at_once(void) {
  enum { N = 12 };
  mproc_process *p[N];
  mproc_args *a;
  int i;
  for (i = 0; i < N; i++) {
    mproc_args_create(&a);
    mproc_args_add_i64(a, 10 + i);
    p[i] = t_start("child_exit", a, NULL);
    mproc_args_destroy(a);
  }
  for (i = 0; i < N; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 10 + i);
}

/* A parent with closed stdio (a daemon) still starts children, and they get
 * open standard streams (XNU's spawn refused to inherit a closed one). */
static void test_closed_stdio(void) {
  mproc_process *p = t_start("child_closed_stdio", NULL, NULL);
  CU_ASSERT_EQUAL(t_finish(p), 0);
}

static void count_own_names(const char *name, void *arg) {
  int64_t *a = arg;
  if (mproc__name_pid(name) == a[0])
    a[1]++;
}

/* Asked to end by @sig (SIGINT or SIGTERM) while it joins a child that never
 * ends, a program ends all the same: the child gets its grace, then is
 * terminated; the program's names are removed; it ends with 130 for an
 * interrupt, by the signal for the others. */
static void ended_with_a_child(int sig) {
  char *path = t_temp_path("sleeper");
  char text[32] = "";
  mproc_args *a = NULL;
  mproc_process *v;
  int64_t vpid = 0, cpid = 0, names[2], end = t_now_ms() + T_BOUND_MS;
  int code;
  if (!t_can_interrupt()) {
    printf("SKIP (%s) ", t_skip_reason());
    free(path);
    return;
  }
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_str(a, path));
  v = t_start("child_parent_of_sleeper", a, NULL);
  mproc_args_destroy(a);
  mproc_process_pid(v, &vpid);
  while (t_now_ms() < end && !(t_read_file(path, text, sizeof text) && atoll(text) > 0))
    t_sleep_ms(5);
  cpid = atoll(text);
  CU_ASSERT(cpid > 0);
  CU_ASSERT(sig == 2 ? t_interrupt_pid(vpid) : t_terminate_pid(vpid));
  CU_ASSERT(t_wait_pid_gone(vpid, T_BOUND_MS));
  CU_ASSERT(t_wait_pid_gone(cpid, T_BOUND_MS));
  names[0] = vpid;
  names[1] = 0;
  mproc__names_list(count_own_names, names); /* before the join's sweep could hide it */
  CU_ASSERT_EQUAL(names[1], 0);
  code = t_finish(v);
  if (code != (sig == 2 ? 130 : t_signal_exitcode(sig)))
    printf("(exit code %d) ", code);
  CU_ASSERT_EQUAL(code, sig == 2 ? 130 : t_signal_exitcode(sig));
  remove(path);
  free(path);
}

static void test_interrupted_with_a_child(void) { ended_with_a_child(2); }
static void test_terminated_with_a_child(void) { ended_with_a_child(15); }

/* An executable that is not an mproc program (/bin/true: it exits 0 at once)
 * is no success: join says the child never ran mproc's bootstrap. */
static void test_not_an_mproc_program(void) {
  const char *exe = t_true_program();
  mproc_process *p = NULL;
  int code = 0;
  if (!exe) {
    printf("SKIP (no program that exits 0 here) ");
    return;
  }
  T_OK(mproc_set_executable(exe));
  T_OK(mproc_process_create(&p, "child_ok", NULL, NULL));
  /* It may end before START is sent (start fails) or after (join fails):
   * either way the error says why. */
  if (mproc_process_start(p) == MPROC_OK) {
    T_STATUS(mproc_process_join(p, T_BOUND_MS), MPROC_EPROTO);
    CU_ASSERT(strstr(mproc_last_error(), "bootstrap") != NULL);
    T_OK(mproc_process_exitcode(p, &code));
    CU_ASSERT_EQUAL(code, 1);
  } else {
    CU_ASSERT(strstr(mproc_last_error(), "bootstrap") != NULL);
  }
  T_OK(mproc_set_executable(NULL)); /* this program again, for the other tests */
  T_OK(mproc_process_destroy(p));
}

/* A process or a pool used after destroy, or destroyed twice: a clean
 * MPROC_ECLOSED (their memory is kept a while), never a use after free. */
static void test_use_after_destroy(void) {
  mproc_process *p = NULL;
  mproc_pool *pool = NULL;
  mproc_pool_options o;
  int code = 0;
  T_OK(mproc_process_create(&p, "child_ok", NULL, NULL));
  T_OK(mproc_process_destroy(p));
  T_STATUS(mproc_process_destroy(p), MPROC_ECLOSED);
  T_STATUS(mproc_process_start(p), MPROC_ECLOSED);
  T_STATUS(mproc_process_exitcode(p, &code), MPROC_ECLOSED);
  CU_ASSERT_STRING_EQUAL(mproc_process_name(p), "(destroyed)");
  memset(&o, 0, sizeof o);
  o.workers = 1;
  T_OK(mproc_pool_create(&pool, &o));
  T_OK(mproc_pool_destroy(pool));
  T_STATUS(mproc_pool_destroy(pool), MPROC_ECLOSED);
  T_STATUS(mproc_pool_close(pool), MPROC_ECLOSED);
  T_STATUS(mproc_pool_map(pool, "child_ok", NULL, NULL, NULL, NULL), MPROC_EINVAL); /* items */
  T_STATUS(mproc_pool_apply(pool, "child_ok", NULL, NULL), MPROC_ECLOSED);
}

static const CU_TestInfo tests[] = {
    {"use after destroy is MPROC_ECLOSED", test_use_after_destroy},
    {"an executable that is no mproc program is no success", test_not_an_mproc_program},
    {"Ctrl-C ends a program that joins a child that never ends", test_interrupted_with_a_child},
    {"SIGTERM ends a program cleanly, and by the signal", test_terminated_with_a_child},
    {"a parent with closed stdio starts children", test_closed_stdio},
    {"exit codes as Python", test_exit_codes},
    {"typed arguments cross", test_args_cross},
    {"join timeout, is_alive, terminate", test_join_timeout_and_terminate},
    {"kill", test_kill},
    {"state errors", test_states},
    {"bad input", test_bad_input},
    {"names and self", test_names_and_self},
    {"daemons may not have children", test_daemon_may_not_have_children},
    {"active children", test_active_children},
    {"many processes at once", test_many_at_once},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(child_ok),
                                           MPROC_FUNCTION(child_fail),
                                           MPROC_FUNCTION(child_exit),
                                           MPROC_FUNCTION(child_abort),
                                           MPROC_FUNCTION(child_segfault),
                                           MPROC_FUNCTION(child_parent_of_sleeper),
                                           MPROC_FUNCTION(child_sleep),
                                           MPROC_FUNCTION(child_check_args),
                                           MPROC_FUNCTION(child_self_info),
                                           MPROC_FUNCTION(child_spawn),
                                           MPROC_FUNCTION(child_closed_stdio),
                                           MPROC_FUNCTION(child_std_streams_open),
                                           MPROC_FUNCTIONS_END};

const test_suite suite_process = {"process", tests, functions};
