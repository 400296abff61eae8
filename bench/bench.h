/* The benchmark's scenario interface: one file per scenario family. */
#ifndef MPROC_BENCH_H
#define MPROC_BENCH_H

#include <stddef.h>

#include "mproc.h"
#include "platform.h"

typedef struct bench_stats_t {
  double median, min, max;
} bench_stats_t;

typedef struct bench_result {
  bench_stats_t value; /* what mproc achieves */
  bench_stats_t limit; /* what the bare OS mechanism achieves, same run */
  char extra[1024];    /* optional JSON members (no braces) printed as "extra": {...} */
} bench_result;

typedef struct bench_scenario {
  const char *key, *unit, *limit_is, *target;
  mproc_status (*run)(int quick, bench_result *out);
  const mproc_function *functions; /* child functions, may be NULL */
} bench_scenario;

/* Sorts v and fills median/min/max. */
void bench_stats(double *v, int n, bench_stats_t *out);
/* Appends one JSON member to r->extra: `"key": <printf-formatted value>`. */
void bench_extra(bench_result *r, const char *key, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Appends `"key": {"median": .., "min": .., "max": ..}` to r->extra. */
void bench_extra_stats(bench_result *r, const char *key, const bench_stats_t *s);
/* Monotonic seconds. */
double bench_now(void);

/* ---- bare limits (limits.c) ----
 * A bare child is this executable spawned by mproc__proc_spawn() with
 * argv[1] = BENCH_LIMIT_MARKER "<mode>:<channel spec>"; main() hands it to
 * bench_limit_child_main() before mproc_init(), so it runs no mproc code
 * beyond the platform layer's thin wrappers. */
#define BENCH_LIMIT_MARKER "--bench-limit="
int bench_limit_child_main(const char *arg);

/* S1: ms to spawn two bare children that each write one byte, read both, reap both. */
mproc_status bench_limit_spawn2(double *ms);
/* One bare echo child: us per 1-byte round trip over its channel, @rounds per
 * trial, after an untimed trial (this and the futex ping-pong). */
mproc_status bench_limit_chan_pingpong(int trials, int rounds, double *us);
/* 16-byte messages/s one way through a channel: @batch messages per write
 * (the reader reads at most @batch messages per read); the reader acks the
 * end. This one and the next run one untimed trial first (a warm child). */
mproc_status bench_limit_stream(int trials, size_t msgs, size_t batch, double *per_s);
/* 16-byte messages/s echoed back, @batch messages per request (request-reply). */
mproc_status bench_limit_echo(int trials, size_t msgs, size_t batch, double *per_s);
/* S4: us to wake two bare children sleeping on a futex (semaphores) and read a
 * one-byte reply from each one's channel. */
mproc_status bench_limit_wake2(int trials, double *us);
/* S8: KiB resident in an idle bare child (0 where unknown). */
mproc_status bench_limit_idle_rss(double *kib);

/* ---- the bare futex / named-semaphore ping-pong (pingpong.c), shared by
 * event.c and S2: word[0] parent->child, word[1] child->parent, or the two
 * semaphores. */
typedef struct bench_raw_pair {
  volatile uint32_t *word;
  mproc__sem sem[2];
} bench_raw_pair;
void bench_raw_signal(bench_raw_pair *rp, int i);
void bench_raw_wait(bench_raw_pair *rp, int i);
/* us per round trip of that ping-pong with an mproc child running
 * bench_raw_pong_child (the scenario registers it). */
mproc_status bench_limit_futex_pingpong(int trials, int rounds, double *us);
int bench_raw_pong_child(const mproc_args *args, mproc_args *result);

/* ---- the bare shared-memory rings and the teams of the queue scenarios
 * (ring.c, queue.c) ----
 * A team: a segment of shared memory holding a control block (and, for a
 * limit, a ring of 16-byte slots), the children that open it, and wake
 * words that sleep on a futex (named semaphores where there is none). Both
 * sides of S9-S12 start and end their trials through one; a limit's
 * children are bare: they touch nothing of mproc but the team. */
enum { BENCH_TEAM_MAX = 4, BENCH_RING_SLOTS = 16384 /* 256 KiB, a queue's first ring */ };
enum { BENCH_WAITERS = BENCH_TEAM_MAX + 1 }; /* the children 0.., the parent last */
enum { BENCH_WAKE_DATA, BENCH_WAKE_GO, BENCH_WAKE_DONE, BENCH_WAKES };
enum { BENCH_SPSC = 1, BENCH_MPSC, BENCH_MPMC };
typedef struct bench_ctl bench_ctl;
typedef struct bench_slot bench_slot;
typedef struct bench_team {
  mproc_shm *shm;
  bench_ctl *ctl;
  bench_slot *slot;
  uint64_t mask;
  uint64_t pos; /* this process's position when it is the ring's only producer or consumer */
  int me;       /* this process's number: its bit in a wake word, its semaphore, its sum */
  int multi_put, multi_take, fx, sems, kids, kind;
  char tag;
  int64_t n, gen;                /* a limit's items per trial, and trials run */
  mproc__sem sem[BENCH_WAITERS]; /* one per process: where there is no futex */
  char sem_name[BENCH_WAITERS][48];
  mproc_process *kid[BENCH_TEAM_MAX];
} bench_team;
/* The parent: a team with a ring of @slots (a power of two, or 0), its
 * semaphores named after @tag. */
mproc_status bench_team_create(bench_team *t, size_t slots, char tag);
/* Adds what child number @kid opens the team from (the first values of its args). */
mproc_status bench_team_add_args(const bench_team *t, mproc_args *a, int kid);
/* A child: opens the team; *next is the index of its own first argument. */
mproc_status bench_team_attach(bench_team *t, const mproc_args *a, size_t *next);
void bench_team_detach(bench_team *t);
/* Starts an mproc child running @fn (at most BENCH_TEAM_MAX). */
mproc_status bench_team_spawn(bench_team *t, const char *fn, const mproc_args *a);
/* Stops and reaps the children (a non-zero exit or a wrong value fails it)
 * and removes the team. */
mproc_status bench_team_finish(bench_team *t);
/* Trial @gen starts (parent); a child waits for it at most @timeout_ms (-1:
 * no limit): MPROC_OK, MPROC_ECLOSED (stopped instead), MPROC_ETIMEDOUT. */
void bench_team_go(bench_team *t, uint64_t gen);
mproc_status bench_team_await_go(bench_team *t, uint64_t gen, int64_t timeout_ms);
/* The parent expects the done count to reach @done; children count; the
 * parent waits at most @timeout_ms: MPROC_OK, MPROC_ETIMEDOUT. */
void bench_team_expect(bench_team *t, uint64_t done);
void bench_team_count(bench_team *t, uint64_t n);
mproc_status bench_team_await_done(bench_team *t, int64_t timeout_ms);
void bench_team_mark_bad(bench_team *t);
int bench_team_bad(const bench_team *t);
/* A child adds a value it took to its own sum; the parent reads the totals. */
void bench_team_add_sum(bench_team *t, int64_t value);
void bench_team_sums(const bench_team *t, uint64_t *sum, uint64_t *count);
/* The ring: put (yields while full), take (0 once stopped, or after
 * @timeout_ms, -1: never). */
void bench_ring_put(bench_team *t, int64_t value);
int bench_ring_take(bench_team *t, int64_t *value, int64_t timeout_ms);
/* The bare children of the limits (the scenarios register them). */
int bench_ring_consumer_child(const mproc_args *args, mproc_args *result);
int bench_ring_producer_child(const mproc_args *args, mproc_args *result);
int bench_ring_worker_child(const mproc_args *args, mproc_args *result);
/* S11's check: value kid << 32 | j arrives as producer kid's next. */
int bench_mpsc_in_order(int64_t *next, int producers, int64_t value);
/* A limit of @kind (BENCH_SPSC: 1 bare consumer; MPSC: 4 bare producers;
 * MPMC: 4 bare workers), @n items per trial, for @trials trials; one trial
 * gives items/s; bench_team_finish() ends it. */
mproc_status bench_limit_ring_open(bench_team *t, int kind, int trials, int64_t n);
mproc_status bench_limit_ring_trial(bench_team *t, double *per_s);

/* ---- per OS (os.c) ---- */
/* Resident KiB of process @pid (Linux: VmRSS of /proc/<pid>/status; Windows:
 * its working set); 0 where the OS does not tell. */
int64_t bench_rss_kib(int64_t pid);
/* SIGKILL / TerminateProcess of any process by id. */
mproc_status bench_kill_pid(int64_t pid);

extern const bench_scenario bench_s5_is_set;
extern const bench_scenario bench_event_wake;
extern const bench_scenario bench_s1_pool_start;
extern const bench_scenario bench_s2_roundtrip;
extern const bench_scenario bench_s3_map;
extern const bench_scenario bench_s3b_map_chunk1;
extern const bench_scenario bench_s3c_map_i64;
extern const bench_scenario bench_s4_cancel;
extern const bench_scenario bench_s6_bailout;
extern const bench_scenario bench_s7_killed;
extern const bench_scenario bench_s8_rss;
extern const bench_scenario bench_s9_queue;
extern const bench_scenario bench_s9b_queue_batch;
extern const bench_scenario bench_s10_queue_latency;
extern const bench_scenario bench_s11_queue_mpsc;
extern const bench_scenario bench_s12_joinable;

#endif
