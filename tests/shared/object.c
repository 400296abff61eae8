/*
 * Tests of runtime/shared/object.c: names, permissions, exclusivity, and that no
 * name outlives its creator (destroy, exit, kill + sweep).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/object.h"
#include "tests.h"

static const char *name_of(const void *object) { return ((const mproc__obj *)object)->name; }

/* Whether a named segment can still be opened by name. */
static int segment_exists(const char *name) {
  mproc__shm shm;
  memset(&shm, 0, sizeof shm);
  shm.h = MPROC__NO_HANDLE;
  if (mproc__shm_open(&shm, name, MPROC__SEG_HEADER) != MPROC_OK)
    return 0;
  mproc__shm_close(&shm);
  return 1;
}

static void ignore_name(const char *name, void *arg) {
  (void)name;
  (void)arg;
}

static int can_list_names(void) {
  if (mproc__names_list(ignore_name, NULL) == MPROC_ENOTSUP) {
    printf("SKIP (%s) ", mproc_last_error());
    return 0;
  }
  return 1;
}

/* args: [path, how]: creates an event, writes its name to path, then exits
 * without destroying it (how 0) or sleeps until killed (how 1). */
static int child_create_and_leave(const mproc_args *a, mproc_args *r) {
  mproc_event *e = NULL;
  const char *path;
  int64_t how = 0;
  (void)r;
  if (mproc_args_get_str(a, 0, &path) || mproc_args_get_i64(a, 1, &how) ||
      mproc_event_create(&e) != MPROC_OK)
    return 2;
  t_write_file(path, name_of(e));
  if (how == 1)
    t_sleep_ms(T_FOREVER_MS);
  return 0;
}

static void test_names_are_unique_and_owner_only(void) {
  mproc_event *a = NULL, *b = NULL;
  char prefix[32];
  int mode, old = t_set_umask(0); /* mproc must not depend on the umask */
  T_OK(mproc_event_create(&a));
  t_set_umask(old);
  T_OK(mproc_event_create(&b));
  mproc__name_prefix(prefix, sizeof prefix, mproc_self_pid());
  CU_ASSERT_EQUAL(strncmp(name_of(a), prefix, strlen(prefix)), 0);
  CU_ASSERT_STRING_NOT_EQUAL(name_of(a), name_of(b));
  CU_ASSERT(strlen(name_of(a)) >= strlen(prefix) + 2); /* random bits, serial */
  mode = t_object_mode(name_of(a));
  if (mode < 0)
    printf("SKIP (no file modes on this OS) ");
  else
    CU_ASSERT_EQUAL(mode, 0600); /* despite umask 0 */
  T_OK(mproc_event_destroy(a));
  T_OK(mproc_event_destroy(b));
}

static void test_creation_is_exclusive(void) {
  mproc_event *e = NULL;
  mproc__shm shm;
  memset(&shm, 0, sizeof shm);
  T_OK(mproc_event_create(&e));
  CU_ASSERT_NOT_EQUAL(mproc__shm_create(&shm, name_of(e), 4096), MPROC_OK);
  CU_ASSERT_PTR_NULL(shm.base);
  T_OK(mproc_event_set(e)); /* the original is untouched */
  CU_ASSERT_TRUE(mproc_event_is_set(e));
  T_OK(mproc_event_destroy(e));
}

static void test_other_users_cannot_open(void) {
  mproc_event *e = NULL;
  int r;
  T_OK(mproc_event_create(&e));
  r = t_other_user_can_open(name_of(e));
  if (r < 0)
    printf("SKIP (%s) ", t_skip_reason());
  else
    CU_ASSERT_EQUAL(r, 0);
  T_OK(mproc_event_destroy(e));
}

static char *leave_object(int64_t how, mproc_process **proc) {
  char *path = t_temp_path("name");
  static char name[MPROC__NAME_MAX + 8];
  mproc_args *a = NULL;
  int64_t end = t_now_ms() + T_BOUND_MS;
  mproc_args_create(&a);
  mproc_args_add_str(a, path);
  mproc_args_add_i64(a, how);
  *proc = t_start("child_create_and_leave", a, NULL);
  mproc_args_destroy(a);
  name[0] = 0;
  while (!t_read_file(path, name, sizeof name) && t_now_ms() < end)
    t_sleep_ms(10);
  remove(path);
  free(path);
  return name;
}

static void test_names_removed_at_exit(void) {
  mproc_process *p;
  char *name = leave_object(0, &p);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  CU_ASSERT_FATAL(name[0] != 0);
  CU_ASSERT_FALSE(segment_exists(name));
}

static void test_killed_creator_swept_on_reap(void) {
  mproc_process *p;
  char *name = leave_object(1, &p);
  CU_ASSERT_FATAL(name[0] != 0);
  CU_ASSERT_TRUE(segment_exists(name));
  T_OK(mproc_process_kill(p));
  CU_ASSERT_EQUAL(t_finish(p), -9);
  if (can_list_names())
    CU_ASSERT_FALSE(segment_exists(name));
}

/* A name whose creator is dead is swept by the next program's mproc_init(). */
static void test_dead_creators_swept_at_init(void) {
  mproc_process *p;
  mproc__shm shm;
  char name[MPROC__NAME_MAX];
  int64_t dead = 0;
  if (!can_list_names())
    return;
  p = t_start("child_ok", NULL, NULL);
  mproc_process_pid(p, &dead);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc__name_prefix(name, sizeof name, dead);
  strcat(name, "SweepTest00-1");
  memset(&shm, 0, sizeof shm);
  T_OK(mproc__shm_create(&shm, name, 4096));
  mproc__shm_close(&shm);
  CU_ASSERT_TRUE(segment_exists(name));
  CU_ASSERT_EQUAL(t_run_self("--init-only"), 0); /* a fresh main process */
  CU_ASSERT_FALSE(segment_exists(name));
  mproc__shm_unlink(name);
}

/* XNU allows semaphore names of 30 characters ("/<name>-w"): the longest
 * name fits, whatever the pid, serial and random bits; and every name
 * gives back its creator. */
static void test_longest_name_fits_macos(void) {
  static const int64_t pids[] = {1, 99999, 4194304};
  static const uint32_t serials[] = {1, 36u * 36 * 36 * 36 - 1, UINT32_MAX};
  char name[MPROC__NAME_MAX];
  size_t i, j;
  for (i = 0; i < 3; i++)
    for (j = 0; j < 3; j++) {
      mproc__name_make(name, pids[i], serials[j], UINT64_MAX);
      CU_ASSERT(1 + strlen(name) + 2 <= 30);
      CU_ASSERT_EQUAL(mproc__name_pid(name), pids[i]);
    }
  CU_ASSERT_EQUAL(mproc__name_pid("mproc--x-1"), -1);
  CU_ASSERT_EQUAL(mproc__name_pid("other-1-x-1"), -1);
}

/* [life, path]: holds the life @life (as a process would in another PID
 * namespace, where its pid means nothing here), says so in @path, and
 * waits to be killed. */
static int child_hold_life(const mproc_args *a, mproc_args *r) {
  const char *life = NULL, *path = NULL;
  (void)r;
  if (mproc_args_get_str(a, 0, &life) || mproc_args_get_str(a, 1, &path) ||
      mproc__life_hold(life) != MPROC_OK)
    return 2;
  t_write_file(path, "held");
  t_sleep_ms(T_FOREVER_MS);
  return 0;
}

/* A name whose creator's pid is dead here but whose creator lives (another
 * PID namespace sharing /dev/shm) is not swept; once its life ends, it is. */
static void test_sweep_asks_the_life(void) {
  mproc_process *p, *holder;
  mproc_args *a = NULL;
  mproc__shm shm;
  char life[MPROC__NAME_MAX], name[MPROC__NAME_MAX + 8], text[16] = "";
  char *path = t_temp_path("life");
  int64_t dead = 0, end = t_now_ms() + T_BOUND_MS;
  if (!can_list_names()) {
    free(path);
    return;
  }
  p = t_start("child_ok", NULL, NULL);
  mproc_process_pid(p, &dead);
  CU_ASSERT_EQUAL(t_finish(p), 0);
  mproc__name_prefix(life, sizeof life, dead);
  strcat(life, "LifeTst");
  snprintf(name, sizeof name, "%s-1", life);
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_str(a, life));
  T_OK(mproc_args_add_str(a, path));
  holder = t_start("child_hold_life", a, NULL);
  mproc_args_destroy(a);
  while (t_now_ms() < end && !t_read_file(path, text, sizeof text))
    t_sleep_ms(5);
  memset(&shm, 0, sizeof shm);
  T_OK(mproc__shm_create(&shm, name, 4096));
  mproc__shm_close(&shm);
  CU_ASSERT_EQUAL(t_run_self("--init-only"), 0); /* a fresh main process sweeps */
  CU_ASSERT_TRUE(segment_exists(name));          /* its creator lives */
  T_OK(mproc_process_kill(holder));
  t_finish(holder);
  CU_ASSERT_EQUAL(t_run_self("--init-only"), 0);
  CU_ASSERT_FALSE(segment_exists(name)); /* its life ended */
  CU_ASSERT_FALSE(segment_exists(life)); /* and the life went with it */
  mproc__shm_unlink(name);
  mproc__shm_unlink(life);
  remove(path);
  free(path);
}

static const CU_TestInfo tests[] = {
    {"the sweep asks a creator's life, not its pid", test_sweep_asks_the_life},
    {"the longest name fits macOS's 30 characters", test_longest_name_fits_macos},
    {"names unique, owner-only", test_names_are_unique_and_owner_only},
    {"creation is exclusive", test_creation_is_exclusive},
    {"other users cannot open", test_other_users_cannot_open},
    {"names removed at exit", test_names_removed_at_exit},
    {"killed creator swept on reap", test_killed_creator_swept_on_reap},
    {"dead creators swept at init", test_dead_creators_swept_at_init},
    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(child_create_and_leave),
                                           MPROC_FUNCTION(child_hold_life), MPROC_FUNCTIONS_END};

const test_suite suite_object = {"object", tests, functions};
