/*
 * A long run of short tasks with a live progress line (done/total, rate,
 * ETA): every task is submitted with a callback that counts it; the main
 * thread redraws the line every 100 ms until all are done. Python:
 *     def task(i): sleep((10 + 7 * i % 21) / 1000); return i * i
 *     def on_done(result): global done; done += 1     # on a pool thread
 *     with Pool(4) as pool:
 *         futures = [pool.apply_async(task, (i,), callback=on_done) for i in range(200)]
 *         while done < 200:
 *             rate = done / (time() - start)
 *             print(f'\r{done}/200 {rate:.0f} tasks/s ETA {(200 - done) / rate:.1f} s', end='')
 *             sleep(0.1)
 *         print()
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 200, WORKERS = 4, DONE = 0, FAILED = 1, BAR = 30 };

static int task(const mproc_args *args, mproc_args *result) {
  int64_t i = 0;
  if (mproc_args_get_i64(args, 0, &i))
    return 1;
  example_sleep_ms(10 + (int)(7 * i % 21)); /* 10..30 ms */
  return mproc_args_add_i64(result, i * i) ? 1 : 0;
}

/* Callbacks run on the pool's threads: they count in a Value, whose add is
 * atomic (a portable atomic counter; it could as well be shared with workers). */
static void on_done(mproc_future *future, void *user) {
  (void)future;
  mproc_array_add_i64(user, DONE, 1, NULL);
}

static void on_error(mproc_future *future, void *user) {
  (void)future;
  mproc_array_add_i64(user, FAILED, 1, NULL);
}

static void draw(int64_t done, int64_t failed, int64_t elapsed_ms) {
  char bar[BAR + 1];
  double rate = elapsed_ms > 0 ? (double)done * 1000.0 / (double)elapsed_ms : 0.0;
  int i, filled = (int)(done * BAR / N);
  for (i = 0; i < BAR; i++)
    bar[i] = i < filled ? '#' : '-';
  bar[BAR] = 0;
  printf("\r  [%s] %3lld/%d  %6.1f tasks/s", bar, (long long)done, N, rate);
  if (failed)
    printf("  %lld failed", (long long)failed);
  if (rate > 0)
    printf("  ETA %4.1f s ", (double)(N - done - failed) / rate);
  else
    printf("  ETA    ? s ");
  fflush(stdout);
}

static const mproc_function functions[] = {MPROC_FUNCTION(task), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_pool_options o = {0};
  mproc_task_options t = {0};
  mproc_pool *pool = NULL;
  mproc_future *futures[N];
  mproc_array *counts;
  int64_t done = 0, failed = 0, start, sum = 0, expected = 0;
  int i, ok = 1;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK ||
      mproc_array_create(&counts, MPROC_TYPE_I64, 2, NULL) != MPROC_OK)
    return 1;
  o.workers = WORKERS;
  if (mproc_pool_create(&pool, &o) != MPROC_OK) {
    fprintf(stderr, "cannot create the pool: %s\n", mproc_last_error());
    return 1;
  }
  t.callback = on_done;
  t.error_callback = on_error;
  t.user = counts;
  printf("[MainProcess] %d tasks of 10-30 ms on %d workers\n", N, WORKERS);
  start = example_now_ms();
  for (i = 0; i < N; i++) {
    mproc_args *a;
    mproc_args_create(&a);
    mproc_args_add_i64(a, i);
    if (mproc_pool_submit(pool, &futures[i], "task", a, &t) != MPROC_OK) {
      fprintf(stderr, "cannot submit: %s\n", mproc_last_error());
      return 1;
    }
    mproc_args_destroy(a);
  }
  for (;;) {
    mproc_array_get_i64(counts, DONE, &done);
    mproc_array_get_i64(counts, FAILED, &failed);
    draw(done, failed, example_now_ms() - start);
    if (done + failed >= N)
      break;
    example_sleep_ms(100);
  }
  printf("\n[MainProcess] all done in %.2f s\n", (double)(example_now_ms() - start) / 1000.0);
  for (i = 0; i < N; i++) { /* every callback has run: these return at once */
    const mproc_args *r = NULL;
    int64_t v = 0;
    if (mproc_future_get(futures[i], 0, &r) != MPROC_OK || mproc_args_get_i64(r, 0, &v))
      ok = 0;
    sum += v;
    expected += (int64_t)i * i;
    mproc_future_destroy(futures[i]);
  }
  printf("[MainProcess] sum of squares %lld (expected %lld)\n", (long long)sum,
         (long long)expected);
  mproc_pool_close(pool);
  if (failed || sum != expected || mproc_pool_join(pool, 5000) != MPROC_OK)
    ok = 0;
  mproc_pool_destroy(pool);
  mproc_array_destroy(counts);
  return ok ? 0 : 1;
}
