/* Tests of runtime/barrier.c (Barrier) across processes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_general.h>

#include "core/core.h"
#include "tests.h"

/* Exit codes of the children: the index (0..parties-1) after MPROC_OK. */
enum { X_BROKEN = 10, X_TIMEDOUT = 11, X_FAILED = 12, X_SETUP = 20, X_OTHER = 21, X_ORDER = 22 };

static int exit_code(mproc_status st, uint32_t index) {
  switch (st) {
  case MPROC_OK:
    return (int)index;
  case MPROC_EBROKEN:
    return X_BROKEN;
  case MPROC_ETIMEDOUT:
    return X_TIMEDOUT;
  case MPROC_EFAILED:
    return X_FAILED;
  default:
    return X_OTHER;
  }
}

/* The actions get no arguments, so they log to a file named after the test
 * program's main process, which every process of a test can compute. */
static void action_log_path(char *out, size_t cap) {
  apr_pool_t *pool;
  const char *dir = NULL;
  int64_t main_pid = mproc__self_identity()[0] ? mproc_self_parent_pid() : mproc_self_pid();
  apr_pool_create(&pool, NULL);
  if (apr_temp_dir_get(&dir, pool) != APR_SUCCESS)
    dir = ".";
  snprintf(out, cap, "%s/mproc-test-%lld-barrier-actions", dir, (long long)main_pid);
  apr_pool_destroy(pool);
}

/* The number of lines in the action log (0 when there is none). */
static int actions_run(void) {
  char path[1024], text[4096] = "";
  int n = 0;
  const char *p;
  action_log_path(path, sizeof path);
  t_read_file(path, text, sizeof text);
  for (p = text; (p = strchr(p, '\n')) != NULL; p++)
    n++;
  return n;
}

/* A barrier action: appends a line to the log. Only one runs at a time. */
static int barrier_action_log(const mproc_args *a, mproc_args *r) {
  char path[1024];
  FILE *f;
  (void)a;
  (void)r;
  action_log_path(path, sizeof path);
  f = fopen(path, "a");
  if (!f)
    return 1;
  fprintf(f, "%lld\n", (long long)mproc_self_pid());
  return fclose(f) == 0 ? 0 : 1;
}

/* A barrier action with arguments given at create: [array, k] adds k to
 * element 0 of the shared array. */
static int barrier_action_add(const mproc_args *a, mproc_args *r) {
  mproc_array *c = NULL;
  int64_t k = 0;
  int rc;
  (void)r;
  if (mproc_args_open_array(a, 0, &c) || mproc_args_get_i64(a, 1, &k))
    return 1;
  rc = mproc_array_add_i64(c, 0, k, NULL) != MPROC_OK;
  mproc_array_close(c);
  return rc;
}

/* args: [barrier, rounds]: waits that many times, nothing else. */
static int child_barrier_plain_rounds(const mproc_args *a, mproc_args *r) {
  mproc_barrier *b = NULL;
  int64_t rounds = 0, i;
  (void)r;
  if (mproc_args_open_barrier(a, 0, &b) || mproc_args_get_i64(a, 1, &rounds))
    return 2;
  for (i = 0; i < rounds; i++)
    if (mproc_barrier_wait(b, T_BOUND_MS, NULL) != MPROC_OK)
      return 3;
  mproc_barrier_close(b);
  return 0;
}

/* A barrier action that fails. */
static int barrier_action_fail(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  return 1;
}

/* A barrier action that kills the child running it, holding the barrier's mutex. */
static int barrier_action_die(const mproc_args *a, mproc_args *r) {
  (void)a;
  (void)r;
  if (mproc__self_identity()[0])
    exit(7);
  return 0;
}

/* The barrier the re-entering action calls, in the parent, and what it got. */
static mproc_barrier *reenter_target;
static mproc_status reenter_got[3];

/* A barrier action that calls its own barrier: refused, not a deadlock. */
static int barrier_action_reenter(const mproc_args *a, mproc_args *r) {
  uint32_t n = 99;
  (void)a;
  (void)r;
  reenter_got[0] = mproc_barrier_wait(reenter_target, 0, NULL);
  reenter_got[1] = mproc_barrier_abort(reenter_target);
  reenter_got[2] = mproc_barrier_reset(reenter_target);
  return mproc_barrier_n_waiting(reenter_target, &n) == MPROC_OK && n == 1 ? 0 : 1;
}

static void action_log_clear(void) {
  char path[1024];
  action_log_path(path, sizeof path);
  remove(path);
}

/* args: [barrier, timeout ms]: waits once; exits with exit_code(). */
static int child_barrier_wait(const mproc_args *a, mproc_args *r) {
  mproc_barrier *b = NULL;
  int64_t ms = 0;
  uint32_t index = 99;
  mproc_status st;
  (void)r;
  if (mproc_args_open_barrier(a, 0, &b) || mproc_args_get_i64(a, 1, &ms))
    exit(X_SETUP);
  st = mproc_barrier_wait(b, ms, &index);
  mproc_barrier_close(b);
  exit(exit_code(st, index));
}

/* args: [barrier, timeout ms]: waits once, as the last party (it lets the
 * others arrive first); exits with exit_code(). */
static int child_barrier_wait_last(const mproc_args *a, mproc_args *r) {
  mproc_barrier *b = NULL;
  int64_t ms = 0, end = t_now_ms() + T_BOUND_MS;
  uint32_t index = 99, parties = 0, n = 0;
  mproc_status st;
  (void)r;
  if (mproc_args_open_barrier(a, 0, &b) || mproc_args_get_i64(a, 1, &ms) ||
      mproc_barrier_parties(b, &parties))
    exit(X_SETUP);
  while (mproc_barrier_n_waiting(b, &n) == MPROC_OK && n + 1 < parties && t_now_ms() < end)
    t_sleep_ms(5);
  st = mproc_barrier_wait(b, ms, &index);
  mproc_barrier_close(b);
  exit(exit_code(st, index));
}

/* Waits @rounds times; after round r the action must have run r+1 times
 * (it runs before anyone is released). Returns 0 or an exit code. */
static int pass_rounds(mproc_barrier *b, int64_t rounds) {
  int64_t r;
  for (r = 0; r < rounds; r++) {
    uint32_t index = 99;
    mproc_status st = mproc_barrier_wait(b, T_BOUND_MS, &index);
    if (st != MPROC_OK)
      return exit_code(st, index);
    if (actions_run() < r + 1)
      return X_ORDER;
  }
  return 0;
}

/* args: [barrier, rounds]: pass_rounds(). */
static int child_barrier_rounds(const mproc_args *a, mproc_args *r) {
  mproc_barrier *b = NULL;
  int64_t rounds = 0;
  int rc;
  (void)r;
  if (mproc_args_open_barrier(a, 0, &b) || mproc_args_get_i64(a, 1, &rounds))
    exit(X_SETUP);
  rc = pass_rounds(b, rounds);
  mproc_barrier_close(b);
  exit(rc);
}

static mproc_process *start_child(const char *fn, mproc_barrier *b, int64_t timeout_ms) {
  mproc_args *a = NULL;
  mproc_process *p;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_barrier(a, b));
  T_OK(mproc_args_add_i64(a, timeout_ms));
  p = t_start(fn, a, NULL);
  mproc_args_destroy(a);
  return p;
}

static mproc_process *start_wait(mproc_barrier *b, int64_t timeout_ms) {
  return start_child("child_barrier_wait", b, timeout_ms);
}

/* Polls until @n parties wait; non-zero if they do within the bound. */
static int wait_n_waiting(mproc_barrier *b, uint32_t n) {
  int64_t end = t_now_ms() + T_BOUND_MS;
  uint32_t now = 0;
  while (mproc_barrier_n_waiting(b, &now) == MPROC_OK && now != n && t_now_ms() < end)
    t_sleep_ms(5);
  return now == n;
}

static int is_broken(mproc_barrier *b) {
  int broken = -1;
  T_OK(mproc_barrier_broken(b, &broken));
  return broken;
}

static void test_indices_are_a_permutation(void) {
  mproc_barrier *b = NULL;
  mproc_process *p[2];
  uint32_t index = 99, parties = 0, n = 99;
  int seen[3] = {0, 0, 0}, i, code;
  T_OK(mproc_barrier_create(&b, 3, NULL));
  T_OK(mproc_barrier_parties(b, &parties));
  CU_ASSERT_EQUAL(parties, 3);
  T_OK(mproc_barrier_n_waiting(b, &n));
  CU_ASSERT_EQUAL(n, 0);
  for (i = 0; i < 2; i++)
    p[i] = start_wait(b, T_BOUND_MS);
  T_OK(mproc_barrier_wait(b, T_BOUND_MS, &index));
  CU_ASSERT(index < 3);
  if (index < 3)
    seen[index]++;
  for (i = 0; i < 2; i++) {
    code = t_finish(p[i]);
    CU_ASSERT(code >= 0 && code < 3);
    if (code >= 0 && code < 3)
      seen[code]++;
  }
  CU_ASSERT(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
  T_OK(mproc_barrier_n_waiting(b, &n));
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_EQUAL(is_broken(b), 0);
  T_OK(mproc_barrier_destroy(b));
}

static void test_action_once_per_generation(void) {
  enum { ROUNDS = 5 };
  mproc_barrier_options opts = {.action = "barrier_action_log"};
  mproc_barrier *b = NULL;
  mproc_args *a = NULL;
  mproc_process *p[2];
  int i;
  action_log_clear();
  T_OK(mproc_barrier_create(&b, 3, &opts));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_barrier(a, b));
  T_OK(mproc_args_add_i64(a, ROUNDS));
  for (i = 0; i < 2; i++)
    p[i] = t_start("child_barrier_rounds", a, NULL);
  CU_ASSERT_EQUAL(pass_rounds(b, ROUNDS), 0);
  for (i = 0; i < 2; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
  CU_ASSERT_EQUAL(actions_run(), ROUNDS);
  mproc_args_destroy(a);
  T_OK(mproc_barrier_destroy(b));
  action_log_clear();
}

/* The action gets the arguments given at create, whichever process runs
 * it (as Python's Barrier(action=partial(f, ...))). */
static void test_action_args(void) {
  enum { ROUNDS = 4, K = 7 };
  mproc_barrier_options opts = {.action = "barrier_action_add"};
  mproc_barrier *b = NULL;
  mproc_array *sum = NULL;
  mproc_args *aa = NULL, *a = NULL;
  mproc_process *p[2];
  int64_t total = 0, r;
  int i;
  T_OK(mproc_array_create(&sum, MPROC_ELEM_I64, 1, NULL));
  T_OK(mproc_args_create(&aa));
  T_OK(mproc_args_add_array(aa, sum));
  T_OK(mproc_args_add_i64(aa, K));
  opts.action_args = aa;
  T_OK(mproc_barrier_create(&b, 3, &opts));
  mproc_args_destroy(aa); /* copied */
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_barrier(a, b));
  T_OK(mproc_args_add_i64(a, ROUNDS));
  for (i = 0; i < 2; i++)
    p[i] = t_start("child_barrier_plain_rounds", a, NULL);
  for (r = 0; r < ROUNDS; r++)
    T_OK(mproc_barrier_wait(b, T_BOUND_MS, NULL));
  for (i = 0; i < 2; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), 0);
  T_OK(mproc_array_get_i64(sum, 0, &total));
  CU_ASSERT_EQUAL(total, ROUNDS * K);
  mproc_args_destroy(a);
  T_OK(mproc_barrier_destroy(b));
  T_OK(mproc_array_destroy(sum));
  /* arguments without an action are refused */
  T_OK(mproc_args_create(&aa));
  opts.action = NULL;
  opts.action_args = aa;
  T_STATUS(mproc_barrier_create(&b, 2, &opts), MPROC_EINVAL);
  mproc_args_destroy(aa);
}

/* One party: every wait passes at once, with index 0, running the action. */
static void test_single_party(void) {
  mproc_barrier_options opts = {.action = "barrier_action_log"};
  mproc_barrier *b = NULL;
  uint32_t index = 99;
  action_log_clear();
  T_OK(mproc_barrier_create(&b, 1, &opts));
  T_OK(mproc_barrier_wait(b, 0, &index));
  CU_ASSERT_EQUAL(index, 0);
  T_OK(mproc_barrier_wait(b, 0, NULL));
  CU_ASSERT_EQUAL(actions_run(), 2);
  T_OK(mproc_barrier_destroy(b));
  action_log_clear();
}

static void test_abort(void) {
  mproc_barrier *b = NULL;
  mproc_process *p[2];
  uint32_t n = 99;
  int i;
  T_OK(mproc_barrier_create(&b, 3, NULL));
  for (i = 0; i < 2; i++)
    p[i] = start_wait(b, T_BOUND_MS);
  CU_ASSERT(wait_n_waiting(b, 2));
  CU_ASSERT_EQUAL(is_broken(b), 0);
  T_OK(mproc_barrier_abort(b));
  for (i = 0; i < 2; i++)
    CU_ASSERT_EQUAL(t_finish(p[i]), X_BROKEN);
  CU_ASSERT_EQUAL(is_broken(b), 1);
  T_OK(mproc_barrier_n_waiting(b, &n));
  CU_ASSERT_EQUAL(n, 0);
  T_STATUS(mproc_barrier_wait(b, T_BOUND_MS, NULL), MPROC_EBROKEN); /* at once */
  CU_ASSERT_EQUAL(t_finish(start_wait(b, T_BOUND_MS)), X_BROKEN);
  T_OK(mproc_barrier_abort(b)); /* again: still broken */
  T_OK(mproc_barrier_reset(b));
  CU_ASSERT_EQUAL(is_broken(b), 0);
  /* usable again */
  for (i = 0; i < 2; i++)
    p[i] = start_wait(b, T_BOUND_MS);
  T_OK(mproc_barrier_wait(b, T_BOUND_MS, NULL));
  for (i = 0; i < 2; i++) {
    int code = t_finish(p[i]);
    CU_ASSERT(code >= 0 && code < 3);
  }
  T_OK(mproc_barrier_destroy(b));
}

static void test_reset_while_waiting(void) {
  mproc_barrier *b = NULL;
  mproc_process *p;
  uint32_t index = 99;
  T_OK(mproc_barrier_create(&b, 2, NULL));
  p = start_wait(b, T_BOUND_MS);
  CU_ASSERT(wait_n_waiting(b, 1));
  T_OK(mproc_barrier_reset(b));
  CU_ASSERT_EQUAL(t_finish(p), X_BROKEN);
  CU_ASSERT_EQUAL(is_broken(b), 0); /* reset leaves it usable */
  p = start_wait(b, T_BOUND_MS);
  T_OK(mproc_barrier_wait(b, T_BOUND_MS, &index));
  CU_ASSERT_EQUAL(t_finish(p) + (int)index, 1); /* indices 0 and 1 */
  T_OK(mproc_barrier_reset(b));                 /* nobody waiting: nothing to break */
  CU_ASSERT_EQUAL(is_broken(b), 0);
  T_OK(mproc_barrier_destroy(b));
}

/* A party that times out gets ETIMEDOUT and breaks the barrier for the others. */
static void test_timeout_breaks_it(void) {
  mproc_barrier *b = NULL;
  mproc_process *p;
  int64_t t0;
  T_OK(mproc_barrier_create(&b, 3, NULL));
  p = start_wait(b, T_BOUND_MS);
  CU_ASSERT(wait_n_waiting(b, 1));
  t0 = t_now_ms();
  T_STATUS(mproc_barrier_wait(b, 150, NULL), MPROC_ETIMEDOUT);
  CU_ASSERT(t_now_ms() - t0 >= 140);
  CU_ASSERT(t_now_ms() - t0 < 10000);
  CU_ASSERT_EQUAL(t_finish(p), X_BROKEN);
  CU_ASSERT_EQUAL(is_broken(b), 1);
  T_STATUS(mproc_barrier_wait(b, T_BOUND_MS, NULL), MPROC_EBROKEN);
  T_OK(mproc_barrier_reset(b));
  /* the other way round: the child times out while the parent waits */
  p = start_wait(b, 150);
  T_STATUS(mproc_barrier_wait(b, T_BOUND_MS, NULL), MPROC_EBROKEN);
  CU_ASSERT_EQUAL(t_finish(p), X_TIMEDOUT);
  T_OK(mproc_barrier_destroy(b));
}

static void test_failing_action(void) {
  mproc_barrier_options opts = {.action = "barrier_action_fail"};
  mproc_barrier *b = NULL;
  mproc_process *p;
  T_OK(mproc_barrier_create(&b, 2, &opts));
  p = start_wait(b, T_BOUND_MS);
  CU_ASSERT(wait_n_waiting(b, 1));
  T_STATUS(mproc_barrier_wait(b, T_BOUND_MS, NULL), MPROC_EFAILED); /* the last runs it */
  CU_ASSERT_EQUAL(t_finish(p), X_BROKEN);
  CU_ASSERT_EQUAL(is_broken(b), 1);
  /* a child runs it: it gets EFAILED, the parent EBROKEN (the child waits
   * until the parent is waiting, so that it is last even when the parent is
   * slow, e.g. under valgrind) */
  T_OK(mproc_barrier_reset(b));
  p = start_child("child_barrier_wait_last", b, T_BOUND_MS);
  T_STATUS(mproc_barrier_wait(b, T_BOUND_MS, NULL), MPROC_EBROKEN);
  CU_ASSERT_EQUAL(t_finish(p), X_FAILED);
  T_OK(mproc_barrier_destroy(b));
}

/* The last party dies inside the action, holding the barrier's mutex: the
 * sleeping party gets EBROKEN, long before its deadline. */
static void test_party_dies_in_action(void) {
  mproc_barrier_options opts = {.action = "barrier_action_die"};
  mproc_barrier *b = NULL;
  mproc_process *p;
  int64_t t0;
  uint32_t n = 99;
  T_OK(mproc_barrier_create(&b, 2, &opts));
  p = start_child("child_barrier_wait_last", b, T_BOUND_MS);
  t0 = t_now_ms();
  T_STATUS(mproc_barrier_wait(b, T_BOUND_MS, NULL), MPROC_EBROKEN);
  CU_ASSERT(t_now_ms() - t0 < 10000);
  CU_ASSERT_EQUAL(t_finish(p), 7);
  CU_ASSERT_EQUAL(is_broken(b), 1);
  T_OK(mproc_barrier_reset(b));
  T_OK(mproc_barrier_n_waiting(b, &n));
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_EQUAL(is_broken(b), 0);
  T_OK(mproc_barrier_destroy(b));
}

/* A party killed while waiting still counts as arrived (as in Python); a
 * reset recovers the barrier. */
static void test_party_killed_while_waiting(void) {
  mproc_barrier *b = NULL;
  mproc_process *p;
  uint32_t n = 0;
  int code;
  T_OK(mproc_barrier_create(&b, 2, NULL));
  p = start_wait(b, T_BOUND_MS);
  CU_ASSERT(wait_n_waiting(b, 1));
  T_OK(mproc_process_kill(p));
  CU_ASSERT_EQUAL(t_finish(p), -9);
  T_OK(mproc_barrier_n_waiting(b, &n));
  CU_ASSERT_EQUAL(n, 1);
  T_OK(mproc_barrier_reset(b));
  T_OK(mproc_barrier_n_waiting(b, &n));
  CU_ASSERT_EQUAL(n, 0);
  p = start_wait(b, T_BOUND_MS);
  T_OK(mproc_barrier_wait(b, T_BOUND_MS, NULL));
  code = t_finish(p);
  CU_ASSERT(code == 0 || code == 1);
  T_OK(mproc_barrier_destroy(b));
}

static void test_action_cannot_reenter(void) {
  mproc_barrier_options opts = {.action = "barrier_action_reenter"};
  mproc_barrier *b = NULL;
  int i;
  T_OK(mproc_barrier_create(&b, 1, &opts));
  reenter_target = b;
  T_OK(mproc_barrier_wait(b, 0, NULL));
  for (i = 0; i < 3; i++)
    T_STATUS(reenter_got[i], MPROC_ESTATE);
  CU_ASSERT_EQUAL(is_broken(b), 0);
  reenter_target = NULL;
  T_OK(mproc_barrier_destroy(b));
}

static void test_create_checks(void) {
  mproc_barrier_options unknown = {.action = "no_such_function"}, none = {.action = NULL};
  mproc_barrier_options longname = {
      .action = "a_name_far_too_long_for_the_action_field_of_a_barrier_segment_xyz"};
  mproc_barrier *b = NULL;
  T_STATUS(mproc_barrier_create(&b, 0, NULL), MPROC_ERANGE);
  T_STATUS(mproc_barrier_create(&b, 65536, NULL), MPROC_ERANGE);
  T_STATUS(mproc_barrier_create(&b, 2, &unknown), MPROC_ENOFUNC);
  T_STATUS(mproc_barrier_create(&b, 2, &longname), MPROC_EINVAL);
  CU_ASSERT_PTR_NULL(b);
  T_OK(mproc_barrier_create(&b, 65535, &none));
  T_OK(mproc_barrier_destroy(b));
}

static void test_bad_input_and_lifetime(void) {
  mproc_barrier_options opts = {.action = "barrier_action_log"};
  mproc_barrier *b = NULL, *o = NULL;
  mproc_event *e = NULL;
  mproc_args *a = NULL;
  uint32_t u = 0;
  int broken = 0;
  T_STATUS(mproc_barrier_create(NULL, 2, NULL), MPROC_EINVAL);
  T_STATUS(mproc_barrier_wait(NULL, 0, &u), MPROC_EINVAL);
  T_STATUS(mproc_barrier_abort(NULL), MPROC_EINVAL);
  T_STATUS(mproc_barrier_reset(NULL), MPROC_EINVAL);
  T_STATUS(mproc_barrier_parties(NULL, &u), MPROC_EINVAL);
  T_STATUS(mproc_barrier_n_waiting(NULL, &u), MPROC_EINVAL);
  T_STATUS(mproc_barrier_broken(NULL, &broken), MPROC_EINVAL);
  T_STATUS(mproc_barrier_close(NULL), MPROC_EINVAL);
  T_STATUS(mproc_barrier_destroy(NULL), MPROC_EINVAL);
  T_OK(mproc_barrier_create(&b, 2, &opts));
  T_STATUS(mproc_barrier_parties(b, NULL), MPROC_EINVAL);
  T_STATUS(mproc_barrier_n_waiting(b, NULL), MPROC_EINVAL);
  T_STATUS(mproc_barrier_broken(b, NULL), MPROC_EINVAL);
  T_OK(mproc_args_create(&a));
  T_STATUS(mproc_args_add_barrier(a, NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_add_barrier(a, (mproc_barrier *)&a), MPROC_ENOTSHAREABLE);
  T_OK(mproc_args_add_barrier(a, b));
  T_STATUS(mproc_args_open_event(a, 0, &e), MPROC_ETYPE);
  T_STATUS(mproc_args_open_barrier(a, 1, &o), MPROC_ERANGE);
  T_STATUS(mproc_barrier_close(b), MPROC_EPERM); /* the creator destroys */
  T_OK(mproc_args_open_barrier(a, 0, &o));       /* a second handle */
  T_STATUS(mproc_barrier_destroy(o), MPROC_EPERM);
  T_OK(mproc_barrier_parties(o, &u));
  CU_ASSERT_EQUAL(u, 2);
  T_OK(mproc_barrier_abort(o));
  CU_ASSERT_EQUAL(is_broken(b), 1); /* the same shared state */
  T_OK(mproc_barrier_close(o));
  T_STATUS(mproc_barrier_close(o), MPROC_ECLOSED);
  T_OK(mproc_barrier_destroy(b));
  T_STATUS(mproc_barrier_destroy(b), MPROC_ECLOSED);
  T_STATUS(mproc_barrier_wait(b, 0, &u), MPROC_ECLOSED);
  T_STATUS(mproc_barrier_abort(b), MPROC_ECLOSED);
  T_STATUS(mproc_barrier_reset(b), MPROC_ECLOSED);
  T_STATUS(mproc_barrier_parties(b, &u), MPROC_ECLOSED);
  T_STATUS(mproc_barrier_n_waiting(b, &u), MPROC_ECLOSED);
  T_STATUS(mproc_barrier_broken(b, &broken), MPROC_ECLOSED);
  T_STATUS(mproc_args_add_barrier(a, b), MPROC_ENOTSHAREABLE);
  CU_ASSERT_NOT_EQUAL(mproc_args_open_barrier(a, 0, &o), MPROC_OK); /* the name is gone */
  mproc_args_destroy(a);
}

static const CU_TestInfo tests[] = {
    {"three processes pass; indices are a permutation", test_indices_are_a_permutation},
    {"action runs once per generation, before release", test_action_once_per_generation},
    {"a single party passes at once", test_single_party},
    {"the action gets the arguments given at create", test_action_args},
    {"abort: EBROKEN now and later, until reset", test_abort},
    {"reset while a party waits", test_reset_while_waiting},
    {"a timeout breaks it for the others", test_timeout_breaks_it},
    {"failing action: EFAILED for its runner, EBROKEN for others", test_failing_action},
    {"a party killed while waiting; reset recovers", test_party_killed_while_waiting},
    {"a party dying inside the action breaks it", test_party_dies_in_action},
    {"the action cannot call its barrier", test_action_cannot_reenter},
    {"create checks parties and the action", test_create_checks},
    {"bad input and lifetime", test_bad_input_and_lifetime},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {
    MPROC_FUNCTION(child_barrier_wait),         MPROC_FUNCTION(child_barrier_rounds),
    MPROC_FUNCTION(child_barrier_wait_last),    MPROC_FUNCTION(barrier_action_log),
    MPROC_FUNCTION(barrier_action_fail),        MPROC_FUNCTION(barrier_action_die),
    MPROC_FUNCTION(barrier_action_reenter),     MPROC_FUNCTION(barrier_action_add),
    MPROC_FUNCTION(child_barrier_plain_rounds), MPROC_FUNCTIONS_END};

const test_suite suite_barrier = {"barrier", tests, functions};
