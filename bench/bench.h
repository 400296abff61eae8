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
extern const bench_scenario bench_s4_cancel;
extern const bench_scenario bench_s6_bailout;
extern const bench_scenario bench_s7_killed;
extern const bench_scenario bench_s8_rss;

#endif
