/*
 * The bare-OS limits of the pool scenarios (defined in bench/README.md),
 * built only on the platform layer's thin wrappers: mproc__proc_spawn of this
 * same executable, its channel (an AF_UNIX socket / a pair of pipes), named
 * shared memory, futexes or named semaphores.
 *
 * A bare child (see bench.h) runs one of these modes and nothing of mproc:
 *   byte   write one byte, exit                               (S1)
 *   echo   write back whatever it reads, until end-of-stream  (S2, S3 extras)
 *   sink   per header {bytes, read size}: read that many bytes in reads of at
 *          most read size, then write one ack byte            (S3, S3b)
 *   sleep  write one byte, then block reading until end-of-stream (S8)
 *   wake   read "<segment> <semaphore>\n"; then sleep on word 0 of the segment
 *          (or on the semaphore) and write one byte per wake-up, until word 1
 *          is set                                             (S4)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_time.h>

#include "bench.h"
#include "base/atomic.h"
#include "core/core.h"
#include "shared/object.h" /* names */

enum { MSG = 16, IOBUF = 65536 };

static mproc_status read_full(mproc__chan *c, void *buf, size_t n) {
  char *p = buf;
  while (n) {
    size_t got = 0;
    mproc_status st = mproc__chan_read(c, p, n, &got);
    if (st != MPROC_OK)
      return st;
    if (got == 0)
      return mproc__fail(MPROC_EPROTO, "bench: a bare child closed its channel");
    p += got;
    n -= got;
  }
  return MPROC_OK;
}

/* ---- the bare child ---- */

static int child_echo(mproc__chan *c) {
  static char buf[IOBUF];
  size_t got;
  while (mproc__chan_read(c, buf, sizeof buf, &got) == MPROC_OK && got)
    if (mproc__chan_write(c, buf, got) != MPROC_OK)
      return 1;
  return 0;
}

static int child_sink(mproc__chan *c) {
  static char buf[IOBUF];
  uint64_t hdr[2];
  while (read_full(c, hdr, sizeof hdr) == MPROC_OK) {
    uint64_t left = hdr[0];
    size_t each = hdr[1] && hdr[1] < sizeof buf ? (size_t)hdr[1] : sizeof buf;
    while (left) {
      size_t got = 0;
      if (mproc__chan_read(c, buf, left < each ? (size_t)left : each, &got) != MPROC_OK || !got)
        return 1;
      left -= got;
    }
    if (mproc__chan_write(c, "k", 1) != MPROC_OK)
      return 1;
  }
  return 0;
}

static int child_sleep(mproc__chan *c) {
  char buf[64];
  size_t got;
  if (mproc__chan_write(c, "r", 1) != MPROC_OK)
    return 1;
  while (mproc__chan_read(c, buf, sizeof buf, &got) == MPROC_OK && got)
    ;
  return 0;
}

static int child_wake(mproc__chan *c) {
  char line[256], *sem_name;
  size_t i = 0;
  mproc__shm seg;
  mproc__sem sem;
  volatile uint32_t *w;
  uint32_t seen = 0;
  int fx = mproc__futex_available();
  memset(&sem, 0, sizeof sem);
  for (;;) {
    if (i == sizeof line - 1 || read_full(c, &line[i], 1) != MPROC_OK)
      return 1;
    if (line[i] == '\n')
      break;
    i++;
  }
  line[i] = 0;
  sem_name = strchr(line, ' ');
  if (!sem_name)
    return 1;
  *sem_name++ = 0;
  if (mproc__shm_open(&seg, line, 64) != MPROC_OK)
    return 1;
  if (!fx && mproc__sem_open(&sem, sem_name) != MPROC_OK)
    return 1;
  w = seg.base;
  if (mproc__chan_write(c, "r", 1) != MPROC_OK)
    return 1;
  for (;;) {
    uint32_t g;
    if (fx) {
      while ((g = mproc__load32(&w[0])) == seen)
        mproc__futex_wait(&w[0], seen, -1);
    } else {
      mproc__sem_wait(&sem, -1);
      g = mproc__load32(&w[0]);
    }
    if (mproc__load32(&w[1]))
      break;
    seen = g;
    if (mproc__chan_write(c, "w", 1) != MPROC_OK)
      return 1;
  }
  if (!fx)
    mproc__sem_close(&sem);
  mproc__shm_close(&seg);
  return 0;
}

int bench_limit_child_main(const char *arg) {
  mproc__chan c = MPROC__CHAN_INIT;
  const char *colon = strchr(arg, ':');
  char mode[16];
  if (!colon || (size_t)(colon - arg) >= sizeof mode)
    return 3;
  memcpy(mode, arg, (size_t)(colon - arg));
  mode[colon - arg] = 0;
  if (mproc__chan_attach(&c, colon + 1) != MPROC_OK)
    return 3;
  if (strcmp(mode, "byte") == 0)
    return mproc__chan_write(&c, "b", 1) == MPROC_OK ? 0 : 1;
  if (strcmp(mode, "echo") == 0)
    return child_echo(&c);
  if (strcmp(mode, "sink") == 0)
    return child_sink(&c);
  if (strcmp(mode, "sleep") == 0)
    return child_sleep(&c);
  if (strcmp(mode, "wake") == 0)
    return child_wake(&c);
  return 3;
}

/* ---- parent side ---- */

static mproc_status spawn_bare(mproc__proc *p, const char *mode) {
  char marker[48];
  snprintf(marker, sizeof marker, "%s%s:", BENCH_LIMIT_MARKER, mode);
  memset(p, 0, sizeof *p);
  return mproc__proc_spawn(p, mproc__executable(), marker, 0);
}

/* Ends its input (the child then exits) and reaps it. */
static void reap_bare(mproc__proc *p) {
  mproc__chan_close(&p->chan);
  mproc__proc_wait(p, MPROC_WAIT_FOREVER);
  mproc__proc_release(p);
}

mproc_status bench_limit_spawn2(double *ms) {
  mproc__proc k[2];
  char b[2];
  int i;
  mproc_status st = MPROC_OK;
  double t0 = bench_now();
  for (i = 0; i < 2 && st == MPROC_OK; i++)
    st = spawn_bare(&k[i], "byte");
  if (st != MPROC_OK) {
    if (i == 2)
      reap_bare(&k[0]);
    return st;
  }
  for (i = 0; i < 2; i++)
    if (st == MPROC_OK)
      st = read_full(&k[i].chan, &b[i], 1);
  for (i = 0; i < 2; i++) {
    mproc__proc_wait(&k[i], MPROC_WAIT_FOREVER);
    mproc__proc_release(&k[i]);
  }
  *ms = (bench_now() - t0) * 1e3;
  return st;
}

mproc_status bench_limit_chan_pingpong(int trials, int rounds, double *us) {
  mproc__proc k;
  char b = 'p';
  int t, i;
  mproc_status st = spawn_bare(&k, "echo");
  for (t = -1; t < trials && st == MPROC_OK; t++) { /* t -1: a warm-up */
    double t0 = bench_now(), per;
    for (i = 0; i < rounds && st == MPROC_OK; i++)
      if ((st = mproc__chan_write(&k.chan, &b, 1)) == MPROC_OK)
        st = read_full(&k.chan, &b, 1);
    per = (bench_now() - t0) * 1e6 / rounds;
    if (t >= 0)
      us[t] = per;
  }
  if (k.pid > 0)
    reap_bare(&k);
  return st;
}

mproc_status bench_limit_stream(int trials, size_t msgs, size_t batch, double *per_s) {
  mproc__proc k;
  char *buf = calloc(batch, MSG), ack;
  int t;
  mproc_status st = buf ? spawn_bare(&k, "sink") : MPROC_ENOMEM;
  double untimed;
  for (t = -1; t < trials && st == MPROC_OK; t++) { /* t -1: a warm-up, as the maps have */
    uint64_t hdr[2];
    size_t sent = 0;
    double t0 = bench_now();
    hdr[0] = (uint64_t)msgs * MSG;
    hdr[1] = (uint64_t)batch * MSG;
    st = mproc__chan_write(&k.chan, hdr, sizeof hdr);
    while (st == MPROC_OK && sent < msgs) {
      size_t n = msgs - sent < batch ? msgs - sent : batch;
      st = mproc__chan_write(&k.chan, buf, n * MSG);
      sent += n;
    }
    if (st == MPROC_OK)
      st = read_full(&k.chan, &ack, 1);
    *(t < 0 ? &untimed : &per_s[t]) = (double)msgs / (bench_now() - t0);
  }
  if (buf && k.pid > 0)
    reap_bare(&k);
  free(buf);
  return st;
}

mproc_status bench_limit_echo(int trials, size_t msgs, size_t batch, double *per_s) {
  mproc__proc k;
  char *buf = calloc(batch, MSG);
  int t;
  mproc_status st = buf ? spawn_bare(&k, "echo") : MPROC_ENOMEM;
  double untimed;
  for (t = -1; t < trials && st == MPROC_OK; t++) { /* t -1: a warm-up */
    size_t done = 0;
    double t0 = bench_now();
    while (st == MPROC_OK && done < msgs) {
      size_t n = msgs - done < batch ? msgs - done : batch;
      if ((st = mproc__chan_write(&k.chan, buf, n * MSG)) == MPROC_OK)
        st = read_full(&k.chan, buf, n * MSG);
      done += n;
    }
    *(t < 0 ? &untimed : &per_s[t]) = (double)msgs / (bench_now() - t0);
  }
  if (buf && k.pid > 0)
    reap_bare(&k);
  free(buf);
  return st;
}

mproc_status bench_limit_wake2(int trials, double *us) {
  mproc__proc k[2];
  mproc__shm seg;
  mproc__sem sem[2];
  char shm_name[64], sem_name[2][64], line[256], b;
  int fx = mproc__futex_available(), i, t, spawned = 0, sems = 0;
  volatile uint32_t *w;
  long long me = (long long)mproc_self_pid();
  mproc_status st;
  memset(sem, 0, sizeof sem);
  mproc__name_prefix(shm_name, sizeof shm_name, me);
  strcat(shm_name, "benchwake2-1");
  for (i = 0; i < 2; i++) {
    mproc__name_prefix(sem_name[i], sizeof sem_name[i], me);
    strcat(sem_name[i], i ? "benchwake2s1-1" : "benchwake2s0-1");
  }
  if ((st = mproc__shm_create(&seg, shm_name, 64)) != MPROC_OK)
    return st;
  w = seg.base;
  while (!fx && sems < 2 && (st = mproc__sem_create(&sem[sems], sem_name[sems])) == MPROC_OK)
    sems++;
  while (st == MPROC_OK && spawned < 2 && (st = spawn_bare(&k[spawned], "wake")) == MPROC_OK) {
    snprintf(line, sizeof line, "%s %s\n", shm_name, sem_name[spawned]);
    if ((st = mproc__chan_write(&k[spawned].chan, line, strlen(line))) == MPROC_OK)
      st = read_full(&k[spawned].chan, &b, 1);
    spawned++;
  }
  for (t = 0; t < trials && st == MPROC_OK; t++) {
    double t0;
    apr_sleep(2000); /* both are asleep again */
    t0 = bench_now();
    mproc__store32(&w[0], (uint32_t)t + 1);
    if (fx)
      mproc__futex_wake(&w[0], 1);
    else
      for (i = 0; i < 2; i++)
        mproc__sem_post(&sem[i], 1);
    for (i = 0; i < 2 && st == MPROC_OK; i++)
      st = read_full(&k[i].chan, &b, 1);
    us[t] = (bench_now() - t0) * 1e6;
  }
  mproc__store32(&w[1], 1);
  mproc__store32(&w[0], (uint32_t)trials + 2);
  if (fx)
    mproc__futex_wake(&w[0], 1);
  for (i = 0; i < 2; i++) {
    if (i < sems)
      mproc__sem_post(&sem[i], 1);
    if (i < spawned)
      reap_bare(&k[i]);
    if (!fx) {
      mproc__sem_close(&sem[i]);
      mproc__sem_unlink(sem_name[i]);
    }
  }
  mproc__shm_close(&seg);
  mproc__shm_unlink(shm_name);
  return st;
}

mproc_status bench_limit_idle_rss(double *kib) {
  mproc__proc k;
  char b;
  mproc_status st = spawn_bare(&k, "sleep");
  if (st != MPROC_OK)
    return st;
  if ((st = read_full(&k.chan, &b, 1)) == MPROC_OK) {
    apr_sleep(20000); /* settled in its blocking read */
    *kib = (double)bench_rss_kib(k.pid);
  }
  reap_bare(&k);
  return st;
}
