/*
 * Kill storms: processes loop on one Lock, RLock or Condition while the
 * parent SIGKILLs one of them every 10-40 ms and starts another. Whatever
 * instruction a process dies at, the object must never be left held by
 * nobody: the others keep making progress (a dead holder is detected and
 * its lock handed over with MPROC_EOWNERDEAD), and after the storm the
 * parent takes it within a bound. Each storm lasts MPROC_TEST_STORM_MS
 * (3 s by default; CI's kill-storm leg gives each 10 s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

enum { STORM_LOCK, STORM_RLOCK, STORM_COND };
#define STORM_PROCS 4
#define STORM_DEFAULT_MS 3000
/* No progress for this long while holders keep dying is a wedged object:
 * a dead holder is found within 100 (MPROC__OWNER_CHECK_MS). */
#define STORM_STUCK_MS 3000

typedef struct storm {
  int kind;
  mproc_lock *lock;
  mproc_rlock *rlock;
  mproc_cond *cond;
  mproc_array *count; /* [0]: turns taken, all processes together */
} storm;

static mproc_status storm_acquire(const storm *s, int64_t timeout_ms) {
  mproc_status st = s->kind == STORM_LOCK    ? mproc_lock_acquire(s->lock, timeout_ms)
                    : s->kind == STORM_RLOCK ? mproc_rlock_acquire(s->rlock, timeout_ms)
                                             : mproc_cond_acquire(s->cond, timeout_ms);
  return st == MPROC_EOWNERDEAD ? MPROC_OK : st; /* the dead holder's lock is ours */
}

static void storm_release(const storm *s) {
  if (s->kind == STORM_LOCK)
    mproc_lock_release(s->lock);
  else if (s->kind == STORM_RLOCK)
    mproc_rlock_release(s->rlock);
  else
    mproc_cond_release(s->cond);
}

/* One turn: take it, count, and (RLock) take it again or (Condition)
 * notify and wait a moment, so a kill can land inside each of those. */
static void storm_turn(const storm *s) {
  if (storm_acquire(s, MPROC_WAIT_FOREVER) != MPROC_OK)
    exit(3);
  mproc_array_add_i64(s->count, 0, 1, NULL);
  if (s->kind == STORM_RLOCK && mproc_rlock_acquire(s->rlock, 0) == MPROC_OK)
    mproc_rlock_release(s->rlock);
  if (s->kind == STORM_COND) {
    mproc_cond_notify_all(s->cond);
    mproc_cond_wait(s->cond, 1); /* releases and takes it back */
  }
  storm_release(s);
}

/* [kind, object, counter]: loops until killed. */
static int storm_child(const mproc_args *a, mproc_args *r) {
  storm s;
  int64_t kind = 0;
  (void)r;
  memset(&s, 0, sizeof s);
  if (mproc_args_get_i64(a, 0, &kind) || mproc_args_open_array(a, 2, &s.count))
    return 2;
  s.kind = (int)kind;
  if ((kind == STORM_LOCK && mproc_args_open_lock(a, 1, &s.lock)) ||
      (kind == STORM_RLOCK && mproc_args_open_rlock(a, 1, &s.rlock)) ||
      (kind == STORM_COND && mproc_args_open_cond(a, 1, &s.cond)))
    return 2;
  for (;;)
    storm_turn(&s);
}

static mproc_process *storm_start(const storm *s) {
  mproc_args *a = NULL;
  mproc_process *p;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, s->kind));
  if (s->kind == STORM_LOCK)
    T_OK(mproc_args_add_lock(a, s->lock));
  else if (s->kind == STORM_RLOCK)
    T_OK(mproc_args_add_rlock(a, s->rlock));
  else
    T_OK(mproc_args_add_cond(a, s->cond));
  T_OK(mproc_args_add_array(a, s->count));
  p = t_start("storm_child", a, NULL);
  mproc_args_destroy(a);
  return p;
}

static int64_t storm_count(const storm *s) {
  int64_t v = 0;
  mproc_array_get_i64(s->count, 0, &v);
  return v;
}

static int64_t storm_ms(void) {
  char *v = t_getenv("MPROC_TEST_STORM_MS");
  int64_t ms = v ? atoll(v) : 0;
  free(v);
  return ms > 0 ? ms : STORM_DEFAULT_MS;
}

/* Kills and replaces processes for storm_ms(); returns the kills. */
static int storm_run(const storm *s, mproc_process *procs[STORM_PROCS]) {
  int64_t end = t_now_ms() + storm_ms(), last = storm_count(s), progress_at = t_now_ms();
  int kills = 0, stuck = 0;
  while (t_now_ms() < end && !stuck) {
    int victim = rand() % STORM_PROCS;
    int64_t now;
    t_sleep_ms(10 + rand() % 31);
    T_OK(mproc_process_kill(procs[victim]));
    CU_ASSERT_EQUAL(t_finish(procs[victim]), t_signal_exitcode(9));
    procs[victim] = storm_start(s);
    kills++;
    now = t_now_ms();
    if (storm_count(s) != last) {
      last = storm_count(s);
      progress_at = now;
    } else if (now - progress_at > STORM_STUCK_MS) {
      stuck = 1;
    }
  }
  CU_ASSERT_FALSE(stuck);
  return kills;
}

static void storm_test(int kind, const char *what) {
  storm s;
  mproc_process *procs[STORM_PROCS];
  int i, kills;
  int64_t turns;
  memset(&s, 0, sizeof s);
  s.kind = kind;
  if (kind == STORM_LOCK)
    T_OK(mproc_lock_create(&s.lock));
  else if (kind == STORM_RLOCK)
    T_OK(mproc_rlock_create(&s.rlock));
  else
    T_OK(mproc_cond_create(&s.cond, NULL));
  T_OK(mproc_array_create(&s.count, MPROC_ELEM_I64, 1, NULL));
  srand((unsigned)t_now_ms());
  for (i = 0; i < STORM_PROCS; i++)
    procs[i] = storm_start(&s);
  kills = storm_run(&s, procs);
  for (i = 0; i < STORM_PROCS; i++) {
    T_OK(mproc_process_kill(procs[i]));
    t_finish(procs[i]);
  }
  turns = storm_count(&s);
  printf("(%s: %d kills, %lld turns) ", what, kills, (long long)turns);
  T_OK(storm_acquire(&s, T_BOUND_MS)); /* nobody holds it for good */
  storm_release(&s);
  if (kind == STORM_LOCK)
    T_OK(mproc_lock_destroy(s.lock));
  else if (kind == STORM_RLOCK)
    T_OK(mproc_rlock_destroy(s.rlock));
  else
    T_OK(mproc_cond_destroy(s.cond));
  T_OK(mproc_array_destroy(s.count));
}

static void test_lock_storm(void) { storm_test(STORM_LOCK, "Lock"); }
static void test_rlock_storm(void) { storm_test(STORM_RLOCK, "RLock"); }
static void test_cond_storm(void) { storm_test(STORM_COND, "Condition"); }

static const CU_TestInfo tests[] = {{"Lock survives a kill storm", test_lock_storm},
                                    {"RLock survives a kill storm", test_rlock_storm},
                                    {"Condition survives a kill storm", test_cond_storm},
                                    CU_TEST_INFO_NULL};

static const mproc_function functions[] = {MPROC_FUNCTION(storm_child), MPROC_FUNCTIONS_END};

const test_suite suite_storm = {"storm", tests, functions};
