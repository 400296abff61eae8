/*
 * The one bounded, yielding spin every hand-off on a hot path uses (the
 * worker's next frame, the parent's next result, a future's completion).
 * See core/spin.h for why it spins at all and why it yields.
 */
#include <apr_thread_proc.h>

#include "core/spin.h"

/* Bound on the turns, should the clock stand still or jump back. */
#define SPIN_TURNS_MAX (1u << 20)

int mproc__spin_until(int (*ready)(const void *arg), const void *arg, int64_t start) {
  unsigned i;
  for (i = 0; i < SPIN_TURNS_MAX; i++) {
    if (ready(arg))
      return 1;
    apr_thread_yield(); /* polite: a thread with work on this CPU (often the one
                         * bringing what we wait for) runs first */
    if (i % 16 == 15) {
      int64_t now = mproc__now_us();
      if (now - start > MPROC__SPIN_US || now < start)
        return ready(arg);
    }
  }
  return ready(arg);
}
