/*
 * A long map with a live progress line (done/total, rate, ETA), driven by
 * imap_unordered over a lazy source: the input is generated as the window
 * allows, never held whole, and each result redraws the line (at most every
 * 100 ms). Python:
 *     def task(i): sleep((10 + 7 * i % 21) / 1000); return i * i
 *     with Pool(4) as pool:
 *         for done, r in enumerate(pool.imap_unordered(task, range(400)), 1):
 *             total += r
 *             print(f'\r{done}/400 {rate:.0f} tasks/s ETA {eta:.1f} s', end='')
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 400, WORKERS = 4, BAR = 30 };

static int task(const mproc_args *args, mproc_args *result) {
  int64_t i;
  if (mproc_args_get_i64(args, 0, &i))
    return example_fail("task");
  example_sleep_ms(10 + (int)(7 * i % 21)); /* 10..30 ms */
  return mproc_args_add_i64(result, i * i) ? example_fail("task") : 0;
}

/* The lazy input: item i is [i]; called by mproc_map_next() as the window allows. */
static mproc_status source(void *user, size_t index, mproc_args *item) {
  (void)user;
  return index < N ? mproc_args_add_i64(item, (int64_t)index) : MPROC_EEND;
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
  mproc_pool *pool;
  mproc_map *map;
  mproc_map_item item;
  int64_t done = 0, failed = 0, start, drawn, sum = 0, expected = 0, v, i;
  if (mproc_init(&argc, &argv, functions) ||
      mproc_pool_create(&pool, &(mproc_pool_options){.workers = WORKERS}) ||
      mproc_pool_imap_source(pool, &map, "task", source, NULL,
                             &(mproc_map_options){.unordered = 1})) /* results as they finish */
    return example_fail("start");
  printf("[MainProcess] %d tasks of 10-30 ms on %d workers\n", N, WORKERS);
  start = drawn = example_now_ms();
  while (mproc_map_next(map, MPROC_WAIT_FOREVER, &item) == MPROC_OK) {
    if (item.status == MPROC_OK && mproc_args_get_i64(item.result, 0, &v) == MPROC_OK) {
      done++;
      sum += v;
    } else {
      failed++;
      fprintf(stderr, "task %lld: %s\n", (long long)item.index, item.message);
    }
    if (example_now_ms() - drawn >= 100 || done + failed == N) {
      draw(done, failed, example_now_ms() - start);
      drawn = example_now_ms();
    }
  }
  if (done + failed != N) /* the map itself failed */
    return example_fail("map");
  printf("\n[MainProcess] all done in %.2f s\n", (double)(example_now_ms() - start) / 1000.0);
  for (i = 0; i < N; i++)
    expected += i * i;
  printf("[MainProcess] sum of squares %lld (expected %lld)\n", (long long)sum,
         (long long)expected);
  mproc_map_destroy(map);
  if (mproc_pool_destroy(pool))
    return example_fail("pool");
  return failed || sum != expected;
}
