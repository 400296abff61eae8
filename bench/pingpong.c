/*
 * The bare futex / named-semaphore ping-pong: the limit of event_wake_us
 * (event.c) and one of the limits of S2_roundtrip_us (pool.c). word[0] carries
 * parent -> child, word[1] child -> parent; where there is no futex, a pair of
 * named semaphores does (through the platform layer's thin wrappers).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "base/atomic.h"
#include "platform.h"

void bench_raw_signal(bench_raw_pair *rp, int i) {
  if (mproc__futex_available()) {
    mproc__store32(&rp->word[i], 1);
    mproc__futex_wake(&rp->word[i], 0);
  } else {
    mproc__sem_post(&rp->sem[i], 1);
  }
}

void bench_raw_wait(bench_raw_pair *rp, int i) {
  if (mproc__futex_available()) {
    while (mproc__load32(&rp->word[i]) == 0)
      mproc__futex_wait(&rp->word[i], 0, -1);
    mproc__store32(&rp->word[i], 0);
  } else {
    mproc__sem_wait(&rp->sem[i], -1);
  }
}

/* args: [shm, rounds, sem name 0, sem name 1]: answers every ping. */
int bench_raw_pong_child(const mproc_args *a, mproc_args *r) {
  mproc_shm *shm = NULL;
  bench_raw_pair rp;
  const char *n0, *n1;
  int64_t rounds = 0, i;
  int fx = mproc__futex_available();
  (void)r;
  memset(&rp, 0, sizeof rp);
  if (mproc_args_open_shm(a, 0, &shm) || mproc_args_get_i64(a, 1, &rounds) ||
      mproc_args_get_str(a, 2, &n0) || mproc_args_get_str(a, 3, &n1))
    return 2;
  rp.word = mproc_shm_base(shm);
  if (!fx && (mproc__sem_open(&rp.sem[0], n0) || mproc__sem_open(&rp.sem[1], n1)))
    return 3;
  for (i = 0; i < rounds; i++) {
    bench_raw_wait(&rp, 0);
    bench_raw_signal(&rp, 1);
  }
  if (!fx) {
    mproc__sem_close(&rp.sem[0]);
    mproc__sem_close(&rp.sem[1]);
  }
  mproc_shm_close(shm);
  return 0;
}

mproc_status bench_limit_futex_pingpong(int trials, int rounds, double *us) {
  mproc_shm *shm = NULL;
  mproc_args *a = NULL;
  mproc_process *p = NULL;
  bench_raw_pair rp;
  char n[2][48];
  int fx = mproc__futex_available(), t, i;
  mproc_status st;
  memset(&rp, 0, sizeof rp);
  for (i = 0; i < 2; i++)
    snprintf(n[i], sizeof n[i], "mproc-%lld-benchpong%d-1", (long long)mproc_self_pid(), i);
  if ((st = mproc_shm_create(&shm, 64, NULL)) != MPROC_OK ||
      (st = mproc_args_create(&a)) != MPROC_OK)
    goto out;
  if (!fx && ((st = mproc__sem_create(&rp.sem[0], n[0])) != MPROC_OK ||
              (st = mproc__sem_create(&rp.sem[1], n[1])) != MPROC_OK))
    goto out;
  rp.word = mproc_shm_base(shm);
  mproc_args_add_shm(a, shm);
  mproc_args_add_i64(a, (int64_t)(trials + 1) * rounds); /* + a warm-up */
  mproc_args_add_str(a, n[0]);
  mproc_args_add_str(a, n[1]);
  if ((st = mproc_process_create(&p, "bench_raw_pong_child", a, NULL)) != MPROC_OK ||
      (st = mproc_process_start(p)) != MPROC_OK)
    goto out;
  for (t = -1; t < trials; t++) { /* t -1: a warm-up, as the pool's trials have */
    double t0 = bench_now(), per;
    for (i = 0; i < rounds; i++) {
      bench_raw_signal(&rp, 0);
      bench_raw_wait(&rp, 1);
    }
    per = (bench_now() - t0) * 1e6 / rounds;
    if (t >= 0)
      us[t] = per;
  }
  mproc_process_join(p, MPROC_WAIT_FOREVER);
out:
  if (p)
    mproc_process_destroy(p);
  if (!fx) {
    for (i = 0; i < 2; i++) {
      mproc__sem_close(&rp.sem[i]); /* a zero-filled one holds nothing */
      mproc__sem_unlink(n[i]);
    }
  }
  if (a)
    mproc_args_destroy(a);
  if (shm)
    mproc_shm_destroy(shm);
  return st;
}
