/*
 * The bare shared-memory rings: the limits of the queue scenarios S9-S12
 * (queue.c, defined in bench/README.md), and the team those scenarios run
 * their trials with on both sides.
 *
 * A team is a segment of shared memory (an mproc_shm, so that it reaches
 * mproc children as pingpong.c's does) holding a control block and, for a
 * limit, a ring of 16-byte slots; the children that open it; and one wake
 * word per kind of wait: data in the ring (consumers), the start of a trial
 * (producers), the end of one (the parent). A wake word sleeps on a futex,
 * or, where there is none, each sleeper on a named semaphore of its own
 * (platform.h's thin wrappers); a wake costs a system call only when
 * someone sleeps.
 *
 * The ring is Vyukov's bounded queue: each slot carries a sequence number
 * that says whose turn it is, so a slot's own word is its ready flag and no
 * side reads the other's position to find out. One producer or consumer
 * keeps its position to itself; several reserve a slot by CAS on the shared
 * tail or head. Limits of the ring (what the bare children and the parent do
 * in one trial):
 *   SPSC  the parent puts n values, one bare consumer takes and checks them,
 *         then counts one trial done                           (S9, S9b)
 *   MPSC  bare producers, started by a go, put n/k values each; the parent
 *         takes them and checks each producer's order          (S11)
 *   MPMC  the parent puts n values; bare workers take them by CAS, each
 *         adds it to its sum and counts it done; the parent waits until
 *         all n are done                                       (S12)
 */
#include <stdio.h>
#include <string.h>

#include <apr_thread_proc.h>

#include "bench.h"
#include "base/atomic.h"
#include "shared/object.h" /* names */

/* A word the waits of one kind sleep on. */
typedef struct wake_word {
  uint32_t seq;      /* the futex word: bumped by every wake */
  uint32_t sleepers; /* a bit per registered sleeper (bench_team.me), taken by the next wake */
  uint8_t pad[56];
} wake_word;

/* The slots follow it in the segment; each field a writer updates often has a line of its own. */
struct bench_ctl {
  wake_word wake[BENCH_WAKES];
  uint64_t tail; /* the next position to reserve (several producers) */
  uint8_t pad0[56];
  uint64_t head; /* the next position to take (several consumers) */
  uint8_t pad1[56];
  uint64_t done; /* counted by children: trials (SPSC) or items (MPMC) */
  uint8_t pad2[56];
  uint64_t go, target, stop, slots;
  uint32_t bad; /* a child saw a wrong value */
  uint8_t pad3[28];
  struct {
    uint64_t sum, count;
    uint8_t pad[48];
  } kid[BENCH_TEAM_MAX];
};

typedef struct bench_slot {
  uint64_t seq; /* == position: free for it; position + 1: holds its value */
  int64_t value;
} bench_slot;

enum { HANG_MS = 60000 }; /* a parent's wait this long is a hang, reported */

/* ---- waiting ----
 *
 * A sleeper sets its bit in the word's sleepers, then checks once more
 * before it sleeps; a waker stores what it publishes, then takes the bits
 * (one load when there are none). Every atomic here is sequentially
 * consistent, so one of them sees the other: no lost wake-up. With a
 * futex, the waker bumps seq and wakes all (a sleeper read seq before it
 * registered). With semaphores, each process sleeps on its own, and the
 * waker posts once per bit it took: a post meant for one process cannot be
 * taken by another (with one shared semaphore, a process going back to
 * sleep for the next trial could take a post meant for one still asleep
 * for this one). */

typedef int (*ready_fn)(const bench_team *t, uint64_t arg);

/* Sets (@on) or clears this process's bit in @w's sleepers; 0 when it was
 * already clear (a waker took it, and posts for it). */
static int mark(bench_team *t, int w, int on) {
  volatile uint32_t *bits = &t->ctl->wake[w].sleepers;
  uint32_t me = 1u << t->me;
  for (;;) {
    uint32_t old = mproc__load32(bits);
    if (!on && !(old & me))
      return 0;
    if (mproc__cas32(bits, old, on ? old | me : old & ~me))
      return 1;
  }
}

/* Sleeps on wake word @w until ready(t, arg); MPROC_ETIMEDOUT after
 * @timeout_ms (-1: never). */
static mproc_status await(bench_team *t, int w, ready_fn ready, uint64_t arg, int64_t timeout_ms) {
  wake_word *ww = &t->ctl->wake[w];
  double end = bench_now() + (double)timeout_ms / 1e3;
  while (!ready(t, arg)) {
    uint32_t seq = mproc__load32(&ww->seq);
    int64_t left = timeout_ms < 0 ? -1 : (int64_t)((end - bench_now()) * 1e3);
    if (timeout_ms >= 0 && left <= 0)
      return mproc__fail(MPROC_ETIMEDOUT, "bench: no wake-up in %lld ms", (long long)timeout_ms);
    mark(t, w, 1);
    if (ready(t, arg)) {
      if (!mark(t, w, 0) && !t->fx) /* a waker took the bit: absorb its post */
        mproc__sem_wait(&t->sem[t->me], HANG_MS);
      break;
    }
    if (t->fx)
      mproc__futex_wait(&ww->seq, seq, left);
    else
      mproc__sem_wait(&t->sem[t->me], left);
  }
  return MPROC_OK;
}

/* Wakes every sleeper of @w. */
static void wake(bench_team *t, int w) {
  wake_word *ww = &t->ctl->wake[w];
  uint32_t bits;
  int i;
  if (mproc__load32(&ww->sleepers) == 0)
    return;
  bits = mproc__xchg32(&ww->sleepers, 0);
  if (bits && t->fx) {
    mproc__add32(&ww->seq, 1);
    mproc__futex_wake(&ww->seq, 1);
  }
  for (i = 0; i < BENCH_WAITERS && bits && !t->fx; i++)
    if (bits & (1u << i))
      mproc__sem_post(&t->sem[i], 1);
}

/* ---- the team ---- */

static size_t ctl_size(void) { return (sizeof(bench_ctl) + 63) / 64 * 64; }

static void sem_name(char *out, size_t cap, char tag, int i) {
  char tail[16];
  mproc__name_prefix(out, cap, mproc_self_pid());
  snprintf(tail, sizeof tail, "benchq%c%d-1", tag, i);
  strncat(out, tail, cap - strlen(out) - 1);
}

/* Maps what the segment holds into @t's pointers. */
static void team_map(bench_team *t) {
  t->ctl = mproc_shm_base(t->shm);
  t->slot = (bench_slot *)((char *)t->ctl + ctl_size());
  t->mask = t->ctl->slots ? t->ctl->slots - 1 : 0;
  t->fx = mproc__futex_available();
}

mproc_status bench_team_create(bench_team *t, size_t slots, char tag) {
  mproc_status st;
  size_t i;
  int w;
  memset(t, 0, sizeof *t);
  t->tag = tag;
  t->me = BENCH_TEAM_MAX; /* the parent; children are 0.. */
  st = mproc_shm_create(&t->shm, ctl_size() + slots * sizeof(bench_slot), NULL);
  if (st != MPROC_OK)
    return st;
  team_map(t);
  t->ctl->slots = slots; /* a power of two, or 0: no ring */
  t->mask = slots ? slots - 1 : 0;
  for (i = 0; i < slots; i++)
    t->slot[i].seq = i;
  for (w = 0; w < BENCH_WAITERS && !t->fx; w++) {
    sem_name(t->sem_name[w], sizeof t->sem_name[w], tag, w);
    mproc__sem_unlink(t->sem_name[w]); /* a crashed run's */
    if ((st = mproc__sem_create(&t->sem[w], t->sem_name[w])) != MPROC_OK)
      return st;
    t->sems = w + 1;
  }
  return MPROC_OK;
}

/* A child's arguments start with these: the segment, its number @kid, and
 * the semaphores' names. */
mproc_status bench_team_add_args(const bench_team *t, mproc_args *a, int kid) {
  mproc_status st = mproc_args_add_shm(a, t->shm);
  int i;
  if (st == MPROC_OK)
    st = mproc_args_add_i64(a, kid);
  for (i = 0; i < BENCH_WAITERS && st == MPROC_OK; i++)
    st = mproc_args_add_str(a, t->fx ? "-" : t->sem_name[i]);
  return st;
}

mproc_status bench_team_attach(bench_team *t, const mproc_args *a, size_t *next) {
  mproc_status st;
  int64_t kid = -1;
  int i;
  memset(t, 0, sizeof *t);
  if ((st = mproc_args_open_shm(a, 0, &t->shm)) != MPROC_OK ||
      (st = mproc_args_get_i64(a, 1, &kid)) != MPROC_OK)
    return st;
  if (kid < 0 || kid >= BENCH_TEAM_MAX)
    return MPROC_EINVAL;
  t->me = (int)kid;
  team_map(t);
  for (i = 0; i < BENCH_WAITERS; i++) {
    const char *name = NULL;
    if ((st = mproc_args_get_str(a, 2 + (size_t)i, &name)) != MPROC_OK)
      return st;
    if (!t->fx) {
      if ((st = mproc__sem_open(&t->sem[i], name)) != MPROC_OK)
        return st;
      t->sems = i + 1;
    }
  }
  *next = 2 + BENCH_WAITERS;
  return MPROC_OK;
}

void bench_team_detach(bench_team *t) {
  int i;
  for (i = 0; i < t->sems; i++)
    mproc__sem_close(&t->sem[i]);
  if (t->shm)
    mproc_shm_close(t->shm);
}

mproc_status bench_team_spawn(bench_team *t, const char *fn, const mproc_args *a) {
  mproc_process *p = NULL;
  mproc_status st;
  if (t->kids == BENCH_TEAM_MAX)
    return mproc__fail(MPROC_ERANGE, "bench: a team has at most %d children", BENCH_TEAM_MAX);
  if ((st = mproc_process_create(&p, fn, a, NULL)) != MPROC_OK)
    return st;
  if ((st = mproc_process_start(p)) != MPROC_OK) {
    mproc_process_destroy(p);
    return st;
  }
  t->kid[t->kids++] = p;
  return MPROC_OK;
}

/* Ends a child that is still there after a failed run: the run failed. */
static mproc_status reap(mproc_process *p) {
  int code = -1;
  mproc_status st = mproc_process_join(p, HANG_MS);
  if (st == MPROC_ETIMEDOUT) {
    mproc_process_kill(p);
    mproc_process_join(p, MPROC_WAIT_FOREVER);
    st = mproc__fail(MPROC_ETIMEDOUT, "bench: a child of %s did not end", mproc_process_name(p));
  } else if (st == MPROC_OK && (st = mproc_process_exitcode(p, &code)) == MPROC_OK && code != 0) {
    st = mproc__fail(MPROC_EFAILED, "bench: child %s exited with %d", mproc_process_name(p), code);
  }
  mproc_process_destroy(p);
  return st;
}

/* Stops the children, reaps them (their exit status is the result) and
 * removes the team. The first failure is returned. */
mproc_status bench_team_finish(bench_team *t) {
  mproc_status st = MPROC_OK, s;
  int i, w;
  if (t->ctl) {
    mproc__store64(&t->ctl->stop, 1);
    for (w = 0; w < BENCH_WAKES; w++)
      wake(t, w);
  }
  for (i = 0; i < t->kids; i++)
    if ((s = reap(t->kid[i])) != MPROC_OK && st == MPROC_OK)
      st = s;
  if (st == MPROC_OK && t->ctl && mproc__load32(&t->ctl->bad))
    st = mproc__fail(MPROC_EPROTO, "bench: a child of team '%c' saw a wrong value", t->tag);
  for (i = 0; i < t->sems; i++) {
    mproc__sem_close(&t->sem[i]);
    mproc__sem_unlink(t->sem_name[i]);
  }
  if (t->shm)
    mproc_shm_destroy(t->shm);
  memset(t, 0, sizeof *t);
  return st;
}

static int go_ready(const bench_team *t, uint64_t gen) {
  return mproc__load64(&t->ctl->go) >= gen || mproc__load64(&t->ctl->stop);
}

static int done_ready(const bench_team *t, uint64_t unused) {
  (void)unused;
  return mproc__load64(&t->ctl->done) >= mproc__load64(&t->ctl->target);
}

void bench_team_go(bench_team *t, uint64_t gen) {
  mproc__store64(&t->ctl->go, gen);
  wake(t, BENCH_WAKE_GO);
}

mproc_status bench_team_await_go(bench_team *t, uint64_t gen, int64_t timeout_ms) {
  mproc_status st = await(t, BENCH_WAKE_GO, go_ready, gen, timeout_ms);
  if (st == MPROC_OK && mproc__load64(&t->ctl->stop))
    st = MPROC_ECLOSED;
  return st;
}

void bench_team_expect(bench_team *t, uint64_t done) { mproc__store64(&t->ctl->target, done); }

/* Only the count that reaches the target wakes the parent (as a queue's
 * join is woken only when nothing is unfinished). */
void bench_team_count(bench_team *t, uint64_t n) {
  uint64_t done = mproc__add64(&t->ctl->done, n) + n;
  if (done >= mproc__load64(&t->ctl->target))
    wake(t, BENCH_WAKE_DONE);
}

mproc_status bench_team_await_done(bench_team *t, int64_t timeout_ms) {
  return await(t, BENCH_WAKE_DONE, done_ready, 0, timeout_ms);
}

void bench_team_mark_bad(bench_team *t) { mproc__store32(&t->ctl->bad, 1); }

int bench_team_bad(const bench_team *t) { return mproc__load32(&t->ctl->bad) != 0; }

void bench_team_add_sum(bench_team *t, int64_t value) {
  /* only this child writes its line: a plain add, published by the next count */
  t->ctl->kid[t->me].sum += (uint64_t)value;
  t->ctl->kid[t->me].count++;
}

void bench_team_sums(const bench_team *t, uint64_t *sum, uint64_t *count) {
  int i;
  *sum = *count = 0;
  for (i = 0; i < BENCH_TEAM_MAX; i++) {
    *sum += t->ctl->kid[i].sum;
    *count += t->ctl->kid[i].count;
  }
}

/* ---- the ring ---- */

static int data_ready(const bench_team *t, uint64_t unused) {
  uint64_t h = t->multi_take ? mproc__load64(&t->ctl->head) : t->pos;
  (void)unused;
  return mproc__load64(&t->slot[h & t->mask].seq) == h + 1 || mproc__load64(&t->ctl->stop);
}

/* A producer that finds the ring full yields until the consumer frees the
 * slot: it never sleeps (a queue's producer never waits: it grows the
 * ring), and with rings of 16,384 slots it is rare. 0 when the team was
 * stopped meanwhile (a failed run: nobody takes any more). */
static int room_wait(bench_team *t) {
  if (mproc__load64(&t->ctl->stop))
    return 0;
  apr_thread_yield();
  return 1;
}

void bench_ring_put(bench_team *t, int64_t value) {
  bench_slot *s;
  uint64_t p;
  if (!t->multi_put) {
    p = t->pos++;
    s = &t->slot[p & t->mask];
    while (mproc__load64(&s->seq) != p)
      if (!room_wait(t))
        return;
  } else {
    for (;;) {
      uint64_t seq;
      p = mproc__load64(&t->ctl->tail);
      s = &t->slot[p & t->mask];
      seq = mproc__load64(&s->seq);
      if (seq == p && mproc__cas64(&t->ctl->tail, p, p + 1))
        break;
      if (seq < p && !room_wait(t)) /* full (seq > p: another producer took p first) */
        return;
    }
  }
  s->value = value;
  mproc__store64(&s->seq, p + 1);
  wake(t, BENCH_WAKE_DATA);
}

/* 1 and the next value; 0 once the team is stopped (or, with a timeout, on a
 * hang: MPROC_ETIMEDOUT is then recorded). */
int bench_ring_take(bench_team *t, int64_t *value, int64_t timeout_ms) {
  for (;;) {
    uint64_t h = t->multi_take ? mproc__load64(&t->ctl->head) : t->pos;
    bench_slot *s = &t->slot[h & t->mask];
    if (mproc__load64(&s->seq) == h + 1) {
      if (!t->multi_take)
        t->pos++;
      else if (!mproc__cas64(&t->ctl->head, h, h + 1))
        continue;
      *value = s->value;
      mproc__store64(&s->seq, h + t->mask + 1); /* free for the next lap */
      return 1;
    }
    if (mproc__load64(&t->ctl->stop) ||
        await(t, BENCH_WAKE_DATA, data_ready, 0, timeout_ms) != MPROC_OK)
      return 0;
  }
}

/* ---- the bare children ---- */

/* args: [team, trials, n] (SPSC): takes n values a trial, checks they are
 * 0..n-1 in order, counts the trial done. */
int bench_ring_consumer_child(const mproc_args *a, mproc_args *r) {
  bench_team t;
  int64_t trials = 0, n = 0, g, i, v = 0;
  size_t k;
  (void)r;
  if (bench_team_attach(&t, a, &k) != MPROC_OK || mproc_args_get_i64(a, k, &trials) ||
      mproc_args_get_i64(a, k + 1, &n))
    return 2;
  for (g = 0; g < trials; g++) {
    for (i = 0; i < n; i++) {
      if (!bench_ring_take(&t, &v, -1))
        return 3;
      if (v != i)
        bench_team_mark_bad(&t);
    }
    bench_team_count(&t, 1);
  }
  bench_team_detach(&t);
  return 0;
}

/* args: [team, trials, n] (MPSC): at each go, puts kid << 32 | j for j < n. */
int bench_ring_producer_child(const mproc_args *a, mproc_args *r) {
  bench_team t;
  int64_t trials = 0, n = 0, g, j;
  size_t k;
  (void)r;
  if (bench_team_attach(&t, a, &k) != MPROC_OK || mproc_args_get_i64(a, k, &trials) ||
      mproc_args_get_i64(a, k + 1, &n))
    return 2;
  t.multi_put = 1;
  for (g = 1; g <= trials && bench_team_await_go(&t, (uint64_t)g, -1) == MPROC_OK; g++)
    for (j = 0; j < n; j++)
      bench_ring_put(&t, (int64_t)t.me << 32 | j);
  bench_team_detach(&t);
  return 0;
}

/* args: [team] (MPMC): takes values by CAS until stopped, adds each to its
 * sum and counts it done. */
int bench_ring_worker_child(const mproc_args *a, mproc_args *r) {
  bench_team t;
  int64_t v = 0;
  size_t k;
  (void)r;
  if (bench_team_attach(&t, a, &k) != MPROC_OK)
    return 2;
  t.multi_take = 1;
  while (bench_ring_take(&t, &v, -1)) {
    bench_team_add_sum(&t, v);
    bench_team_count(&t, 1);
  }
  bench_team_detach(&t);
  return 0;
}

/* ---- the parent's side of the limits ---- */

/* Checks that @v, which producer v >> 32 sent as its (v & 0xffffffff)-th
 * value, arrives in that producer's order (@next: each producer's next). */
int bench_mpsc_in_order(int64_t *next, int producers, int64_t v) {
  int64_t kid = v >> 32, j = v & 0xffffffff;
  if (kid < 0 || kid >= producers || j != next[kid])
    return 0;
  next[kid]++;
  return 1;
}

mproc_status bench_limit_ring_open(bench_team *t, int kind, int trials, int64_t n) {
  mproc_args *a = NULL;
  mproc_status st = bench_team_create(t, BENCH_RING_SLOTS, 'b');
  int i, kids = kind == BENCH_SPSC ? 1 : BENCH_TEAM_MAX;
  t->kind = kind;
  t->n = n;
  t->multi_take = 0; /* the parent is the one consumer of SPSC and MPSC, MPMC's one producer */
  for (i = 0; i < kids && st == MPROC_OK; i++) {
    if ((st = mproc_args_create(&a)) != MPROC_OK)
      break;
    st = bench_team_add_args(t, a, i);
    if (kind != BENCH_MPMC && st == MPROC_OK)
      st = mproc_args_add_i64(a, trials);
    if (kind != BENCH_MPMC && st == MPROC_OK)
      st = mproc_args_add_i64(a, kind == BENCH_MPSC ? n / kids : n);
    if (st == MPROC_OK)
      st = bench_team_spawn(t,
                            kind == BENCH_SPSC   ? "bench_ring_consumer_child"
                            : kind == BENCH_MPSC ? "bench_ring_producer_child"
                                                 : "bench_ring_worker_child",
                            a);
    mproc_args_destroy(a);
  }
  return st;
}

static mproc_status spsc_trial(bench_team *t) {
  int64_t i;
  bench_team_expect(t, (uint64_t)t->gen);
  for (i = 0; i < t->n; i++)
    bench_ring_put(t, i);
  return bench_team_await_done(t, HANG_MS);
}

static mproc_status mpsc_trial(bench_team *t) {
  int64_t next[BENCH_TEAM_MAX] = {0, 0, 0, 0}, i, v = 0;
  int ok = 1;
  bench_team_go(t, (uint64_t)t->gen);
  for (i = 0; i < t->n; i++) {
    if (!bench_ring_take(t, &v, HANG_MS))
      return mproc__fail(MPROC_ETIMEDOUT, "bench: the bare ring's producers stalled");
    ok &= bench_mpsc_in_order(next, BENCH_TEAM_MAX, v);
  }
  return ok ? MPROC_OK : mproc__fail(MPROC_EPROTO, "bench: the bare MPSC ring lost the order");
}

static mproc_status mpmc_trial(bench_team *t) {
  int64_t i;
  uint64_t sum, count, n = (uint64_t)t->n, g = (uint64_t)t->gen;
  mproc_status st;
  bench_team_expect(t, g * n);
  for (i = 0; i < t->n; i++)
    bench_ring_put(t, i);
  if ((st = bench_team_await_done(t, HANG_MS)) != MPROC_OK)
    return st;
  bench_team_sums(t, &sum, &count);
  if (count != g * n || sum != g * (n * (n - 1) / 2))
    return mproc__fail(MPROC_EPROTO, "bench: the bare workers took %llu values, summing %llu",
                       (unsigned long long)count, (unsigned long long)sum);
  return MPROC_OK;
}

mproc_status bench_limit_ring_trial(bench_team *t, double *per_s) {
  double t0 = bench_now();
  mproc_status st;
  t->gen++;
  st = t->kind == BENCH_SPSC   ? spsc_trial(t)
       : t->kind == BENCH_MPSC ? mpsc_trial(t)
                               : mpmc_trial(t);
  *per_s = (double)t->n / (bench_now() - t0);
  if (st == MPROC_OK && bench_team_bad(t))
    st = mproc__fail(MPROC_EPROTO, "bench: the bare consumer saw a wrong value");
  return st;
}
