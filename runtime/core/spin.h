/*
 * Hand-offs on the hot paths. A wake-up from sleep costs 10-50 us on small
 * VMs (more where system calls are dear), a spin on a shared word well under
 * 1 us; but a spin burns a CPU that tasks need. So a waiter spins at most
 * MPROC__SPIN_US, only when its previous wait took at most
 * MPROC__SPIN_AGAIN_US (long tasks and idle pools never spin), and yields the
 * CPU on every turn. The second bound is the larger because a wait that slept
 * includes its wake-up: with one bound, one late frame made every later wait
 * sleep, and every such wait too long to spin again.
 */
#ifndef MPROC_SPIN_H
#define MPROC_SPIN_H

#include <stdint.h>

#include "platform.h"

#define MPROC__SPIN_US 50
#define MPROC__SPIN_AGAIN_US 200
typedef struct mproc__spin {
  int64_t last_us; /* how long the previous wait took; starts at 0: try spinning */
  int off;         /* never spin (the pool's "spin" fast path is switched off) */
} mproc__spin;
/* Whether a waiter with this history spins before it sleeps. */
static inline int mproc__spin_wanted(const mproc__spin *s) {
  return !s->off && s->last_us <= MPROC__SPIN_AGAIN_US;
}
/* Spin budgets are timed on the platform's monotonic microsecond clock
 * (mproc__now_us(): a wall clock such as APR's moves in 15.6 ms steps on
 * Windows, longer than a whole budget); hence this layer, above the
 * platform's. */
/* Spins, yielding, until ready(arg) or MPROC__SPIN_US after @start; ready's last answer. */
int mproc__spin_until(int (*ready)(const void *arg), const void *arg, int64_t start);

#endif /* MPROC_SPIN_H */
