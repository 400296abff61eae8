/*
 * Tests of runtime/bootstrap.c: the registry, the bootstrap's handling of bad
 * parents, explicit inheritance, exit handling and "no orphans".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "wire/protocol.h"
#include "tests.h"
#ifdef _WIN32
#include "../platform/win32/internal.h"
#endif

/* args: [path, handle]: exits 0 when the handle is NOT the parent's file. */
static int child_check_inherit(const mproc_args *a, mproc_args *r) {
  const char *path;
  int64_t h;
  (void)r;
  if (mproc_args_get_str(a, 0, &path) || mproc_args_get_i64(a, 1, &h))
    return 1;
  return t_handle_is_file((intptr_t)h, path) ? 1 : 0;
}

static mproc_process *start_sleeper(int daemon) {
  mproc_args *a = NULL;
  mproc_process_options o = {.name = NULL};
  mproc_process *p = NULL;
  o.daemon = daemon;
  mproc_args_create(&a);
  mproc_args_add_i64(a, T_FOREVER_MS);
  if (mproc_process_create(&p, "child_sleep", a, &o) == MPROC_OK)
    mproc_process_start(p);
  mproc_args_destroy(a);
  return p;
}

/* args: [path]: starts a daemonic and a non-daemonic sleeper, writes
 * "<daemon pid> <other pid>" to path, then sleeps until killed. */
static int child_middle(const mproc_args *a, mproc_args *r) {
  const char *path;
  char text[64];
  int64_t dpid = 0, npid = 0;
  mproc_process *d = start_sleeper(1), *n = start_sleeper(0);
  (void)r;
  if (mproc_args_get_str(a, 0, &path) || mproc_process_pid(d, &dpid) || mproc_process_pid(n, &npid))
    return 1;
  snprintf(text, sizeof text, "%lld %lld", (long long)dpid, (long long)npid);
  t_write_file(path, text);
  t_sleep_ms(T_FOREVER_MS);
  return 0;
}

/* args: [path]: starts a daemonic sleeper and a short non-daemonic child that
 * records its pid, writes "<daemon pid>" to path, and returns: at exit, mproc
 * must terminate the daemon and join the other. */
static int child_leaves_children(const mproc_args *a, mproc_args *r) {
  const char *path;
  char text[32];
  int64_t dpid = 0;
  mproc_args *sa = NULL;
  mproc_process *d = start_sleeper(1), *n = NULL;
  (void)r;
  mproc_args_create(&sa);
  mproc_args_add_i64(sa, 300);
  if (mproc_process_create(&n, "child_sleep", sa, NULL) || mproc_process_start(n))
    return 1;
  mproc_args_destroy(sa);
  if (mproc_args_get_str(a, 0, &path) || mproc_process_pid(d, &dpid))
    return 1;
  snprintf(text, sizeof text, "%lld", (long long)dpid);
  t_write_file(path, text);
  return 0;
}

static void test_registry_is_validated(void) {
  static const mproc_function dup[] = {
      MPROC_FUNCTION(child_middle), {"child_middle", child_middle}, MPROC_FUNCTIONS_END};
  static const mproc_function unnamed[] = {{"", child_middle}, MPROC_FUNCTIONS_END};
  static const mproc_function good[] = {MPROC_FUNCTION(child_middle), MPROC_FUNCTIONS_END};
  int argc = 1;
  char *args[] = {(char *)"x", NULL};
  char **argv = args;
  T_STATUS(mproc_init(&argc, &argv, dup), MPROC_EINVAL);
  T_STATUS(mproc_init(&argc, &argv, unnamed), MPROC_EINVAL);
  T_STATUS(mproc_init(&argc, &argv, NULL), MPROC_EINVAL);
  T_STATUS(mproc_init(&argc, &argv, good), MPROC_ESTATE);
}

static void test_no_accidental_inheritance(void) {
  char *path = t_temp_path("inherit");
  intptr_t h = t_open_inheritable(path);
  mproc_args *a = NULL;
  CU_ASSERT_FATAL(h != -1);
  CU_ASSERT(t_handle_is_file(h, path)); /* the probe works in this process */
  T_OK(mproc_args_create(&a));
  mproc_args_add_str(a, path);
  mproc_args_add_i64(a, (int64_t)h);
  CU_ASSERT_EQUAL(t_finish(t_start("child_check_inherit", a, NULL)), 0);
  mproc_args_destroy(a);
  t_close_handle(h);
  remove(path);
  free(path);
}

/* Waits for a child's report file: "<pid> [<pid>]". */
static int read_pids(const char *path, int64_t *a, int64_t *b) {
  char text[64];
  long long x = 0, y = 0;
  int64_t end = t_now_ms() + T_BOUND_MS;
  while (t_now_ms() < end) {
    if (t_read_file(path, text, sizeof text) && sscanf(text, "%lld %lld", &x, &y) >= 1) {
      *a = x;
      *b = y;
      return 1;
    }
    t_sleep_ms(10);
  }
  return 0;
}

static void test_killed_parent_leaves_no_orphans(void) {
  char *path = t_temp_path("pids");
  mproc_args *a = NULL;
  mproc_process *mid;
  int64_t dpid = 0, npid = 0;
  T_OK(mproc_args_create(&a));
  mproc_args_add_str(a, path);
  mid = t_start("child_middle", a, NULL);
  mproc_args_destroy(a);
  CU_ASSERT_FATAL(read_pids(path, &dpid, &npid));
  CU_ASSERT(mproc__pid_alive(dpid) && mproc__pid_alive(npid));
  T_OK(mproc_process_kill(mid)); /* SIGKILL / TerminateProcess: no clean-up runs */
  CU_ASSERT_EQUAL(t_finish(mid), -9);
  CU_ASSERT(t_wait_pid_gone(dpid, T_BOUND_MS)); /* daemonic */
  CU_ASSERT(t_wait_pid_gone(npid, T_BOUND_MS)); /* and not */
  t_kill_pid(dpid);
  t_kill_pid(npid);
  remove(path);
  free(path);
}

static void test_exit_terminates_daemons_joins_others(void) {
  char *path = t_temp_path("daemon");
  mproc_args *a = NULL;
  mproc_process *p;
  int64_t dpid = 0, unused = 0, t0;
  T_OK(mproc_args_create(&a));
  mproc_args_add_str(a, path);
  t0 = t_now_ms();
  p = t_start("child_leaves_children", a, NULL);
  mproc_args_destroy(a);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  CU_ASSERT(t_now_ms() - t0 >= 250); /* it waited for its 300 ms child */
  CU_ASSERT_FATAL(read_pids(path, &dpid, &unused));
  CU_ASSERT(t_wait_pid_gone(dpid, T_BOUND_MS));
  t_kill_pid(dpid);
  remove(path);
  free(path);
}

/* Spawns this executable with a raw marker, optionally sends a frame, and
 * returns the child's exit code: the bootstrap must fail cleanly, not crash. */
static int bootstrap_with(const char *marker, const uint8_t *frame, size_t len) {
  mproc__proc proc;
  memset(&proc, 0, sizeof proc);
  T_OK(mproc__proc_spawn(&proc, mproc__executable(), marker, 0));
  if (frame)
    mproc__chan_write(&proc.chan, frame, len);
  mproc__chan_close(&proc.chan); /* end-of-stream after what was sent */
  T_OK(mproc__proc_wait(&proc, T_BOUND_MS));
  mproc__proc_release(&proc);
  return proc.exitcode;
}

static void test_bootstrap_rejects_bad_parents(void) {
  static const uint8_t bad_magic[12] = {'X', 'P', 'R', 'C', 1, 0, 1, 0, 0, 0, 0, 0};
  static const uint8_t bad_version[12] = {'M', 'P', 'R', 'C', 9, 0, 1, 0, 0, 0, 0, 0};
  static const uint8_t too_long[12] = {'M', 'P', 'R', 'C', 1, 0, 1, 0, 0xff, 0xff, 0xff, 0x7f};
  static const uint8_t truncated[16] = {'M', 'P', 'R', 'C', 1, 0, 1, 0, 100, 0, 0, 0, 'M', 'A'};
  static const uint8_t garbage_start[20] = {'M', 'P', 'R', 'C', 1, 0, 1, 0, 8, 0,
                                            0,   0,   'M', 'A', 1, 0, 0, 0, 0, 0};
  CU_ASSERT_EQUAL(bootstrap_with(MPROC__MARKER_PREFIX "999:", NULL, 0), 1);
  CU_ASSERT_EQUAL(bootstrap_with(MPROC__MARKER_PREFIX "1:", NULL, 0), 1);
  CU_ASSERT_EQUAL(bootstrap_with(MPROC__MARKER_PREFIX "1:", bad_magic, 12), 1);
  CU_ASSERT_EQUAL(bootstrap_with(MPROC__MARKER_PREFIX "1:", bad_version, 12), 1);
  CU_ASSERT_EQUAL(bootstrap_with(MPROC__MARKER_PREFIX "1:", too_long, 12), 1);
  CU_ASSERT_EQUAL(bootstrap_with(MPROC__MARKER_PREFIX "1:", truncated, 16), 1);
  CU_ASSERT_EQUAL(bootstrap_with(MPROC__MARKER_PREFIX "1:", garbage_start, 20), 1);
}

#ifdef _WIN32
/* The quoting CreateProcessW's command line needs, checked against the rules
 * of the MS C runtime's parser (which the child uses to rebuild argv). */
static void test_quote_arg_win32(void) {
  static const char *const cases[][2] = {
      {"plain", "plain"},
      {"", "\"\""},
      {"C:\\Program Files\\app.exe", "\"C:\\Program Files\\app.exe\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"dir with space\\", "\"dir with space\\\\\""},
      {"a\\\\b", "a\\\\b"},
      {"tab\there", "\"tab\there\""},
  };
  char out[128];
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = mproc__win32_quote_arg(NULL, cases[i][0]);
    CU_ASSERT_FATAL(n < sizeof out);
    CU_ASSERT_EQUAL(mproc__win32_quote_arg(out, cases[i][0]), n);
    CU_ASSERT_STRING_EQUAL(out, cases[i][1]);
  }
}

/* The rule that turns a Windows exit status into mproc's exit code
 * (platform/win32/internal.h): signals only where a POSIX signal is meant. */
static void test_exit_code_win32(void) {
  static const struct {
    DWORD status;
    int code;
  } cases[] = {
      {0, 0},
      {3, 3}, /* msvcrt's abort(): an ordinary exit code */
      {255, 255},
      {0x7FFFFFFFu, 0x7FFFFFFF},
      {0x10000u + 9, -9}, /* mproc's kill() and terminate() */
      {0x10000u + 15, -15},
      {0x10000u + 64, -64},
      {0x10000u, 0x10000}, /* outside 0x10000 + 1..64: not a signal */
      {0x10000u + 65, 0x10000 + 65},
      {0xC0000005u, -11}, /* access violation: SIGSEGV */
      {0xC00000FDu, -11}, /* stack overflow: SIGSEGV, as on POSIX */
      {0xC0000409u, -6},  /* fast fail (the UCRT's abort()): SIGABRT */
      {0xC000013Au, -2},  /* Ctrl-C: SIGINT */
      {0xC000001Du, -4},  /* illegal instruction: SIGILL */
      {0xC0000094u, -8},  /* integer division by zero: SIGFPE */
      {0xC0000095u, -8},  /* integer overflow */
      {0xC000008Eu, -8},  /* float division by zero */
      {0xC0000093u, -8},  /* float underflow */
      {0xC00002B5u, -8},  /* float multiple traps */
      {0xFFFFFFFFu, 255}, /* exit(-1): 255, as on POSIX */
      {0xFFFFFFC0u, 192}, /* exit(-64) */
      {0xFFFFFFBFu, -65}, /* exit(-65): below -64, never a signal */
  };
  /* Other statuses: no memory, DLL not found, a breakpoint. */
  static const DWORD others[] = {0xC0000000u, 0xC0000017u, 0xC0000135u, 0x80000003u, 0x80000000u};
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CU_ASSERT_EQUAL(mproc__win32_exit_code(cases[i].status), cases[i].code);
  for (i = 0; i < sizeof others / sizeof others[0]; i++) {
    int code = mproc__win32_exit_code(others[i]);
    CU_ASSERT_EQUAL(code, (int)others[i]);
    CU_ASSERT(code < -64);
  }
}
#endif

static const CU_TestInfo tests[] = {
#ifdef _WIN32
    {"argument quoting (win32)", test_quote_arg_win32},
    {"exit status to exit code (win32)", test_exit_code_win32},
#endif
    {"registry is validated", test_registry_is_validated},
    {"no accidental inheritance", test_no_accidental_inheritance},
    {"killed parent leaves no orphans", test_killed_parent_leaves_no_orphans},
    {"exit terminates daemons, joins others", test_exit_terminates_daemons_joins_others},
    {"bootstrap rejects bad parents", test_bootstrap_rejects_bad_parents},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {
    MPROC_FUNCTION(child_check_inherit), MPROC_FUNCTION(child_middle),
    MPROC_FUNCTION(child_leaves_children), MPROC_FUNCTIONS_END};

const test_suite suite_init = {"init", tests, functions};
