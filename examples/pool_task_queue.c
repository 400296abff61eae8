/*
 * Example "a queue passed to pool tasks": each task of a map gets the queue
 * in its own arguments and reports its progress through it; the parent
 * reads the reports while the map runs, and the results at the end. Python
 * cannot pass a multiprocessing.Queue to a pool task ("Queue objects should
 * only be shared between processes through inheritance"): it needs a
 * Manager's proxy, a server process. Python:
 *     def task(q, i):
 *         for step in range(3): sleep(0.03); q.put((i, step, os.getpid()))
 *         return i * i
 *     with Manager() as m, Pool(3) as pool:
 *         q = m.Queue()
 *         res = pool.starmap_async(task, [(q, i) for i in range(8)])
 *         for _ in range(8 * 3):
 *             i, step, pid = q.get(timeout=5)
 *             if step == 2: print(f'task {i} done on {pid}')
 *         print(sum(res.get()))
 */
#include <stdio.h>

#include "example.h"
#include "mproc.h"

enum { N = 8, STEPS = 3, WORKERS = 3, TIMEOUT_MS = 5000 };

static int task(const mproc_args *args, mproc_args *result) {
  mproc_queue *q;
  int64_t i, step;
  if (mproc_args_get_queue(args, 0, &q) || mproc_args_get_i64(args, 1, &i))
    return example_fail("task");
  for (step = 0; step < STEPS; step++) {
    example_sleep_ms(30); /* the work */
    if (mproc_queue_put_packed(q, TIMEOUT_MS, "i64 i64 i64", i, step, mproc_self_pid()))
      return example_fail("task");
  }
  return mproc_args_add_i64(result, i * i) ? example_fail("task") : 0;
}

/* The map's lazy input (a starmap): item i is the argument list (q, i). */
static mproc_status source(void *user, size_t index, mproc_args *item) {
  mproc_status st;
  if (index >= N)
    return MPROC_EEND;
  st = mproc_args_add_queue(item, user);
  return st ? st : mproc_args_add_i64(item, (int64_t)index);
}

static const mproc_function functions[] = {MPROC_FUNCTION(task), MPROC_FUNCTIONS_END};

/* Reads a report, waiting a little, and prints a task's last one. 0, or 1 on a failure. */
static int read_report(mproc_queue *q, mproc_args *report, int *reports) {
  int64_t i, step, pid;
  mproc_status st = mproc_queue_get(q, report, 50);
  if (st == MPROC_EEMPTY)
    return 0;
  if (st || mproc_args_unpack(report, "i64 i64 i64", &i, &step, &pid))
    return example_fail("report");
  ++*reports;
  if (step == STEPS - 1)
    printf("  [queue] task %lld finished its steps on worker pid %lld\n", (long long)i,
           (long long)pid);
  return 0;
}

/* Takes the results that are ready, without waiting (which also lets the map
 * queue more). MPROC_EEND once the map has ended, MPROC_ETIMEDOUT while it
 * runs; another status is a failure. */
static mproc_status take_results(mproc_map *map, int *results, int64_t *sum) {
  mproc_map_item item;
  int64_t v;
  for (;;) {
    mproc_status st = mproc_map_next(map, 0, &item);
    if (st)
      return st;
    ++*results;
    if (item.status == MPROC_OK && mproc_args_get_i64(item.result, 0, &v) == MPROC_OK)
      *sum += v;
    else
      fprintf(stderr, "task %lld: %s %s\n", (long long)item.index, mproc_status_name(item.status),
              item.message);
  }
}

int main(int argc, char **argv) {
  mproc_pool *pool;
  mproc_map *map;
  mproc_queue *q;
  mproc_args *report;
  mproc_status st = MPROC_ETIMEDOUT;
  int64_t i, sum = 0, expected = 0;
  size_t left;
  int reports = 0, results = 0;
  if (mproc_init(&argc, &argv, functions) || mproc_queue_create(&q, NULL) ||
      mproc_args_create(&report) ||
      mproc_pool_create(&pool, &(mproc_pool_options){.workers = WORKERS}) ||
      mproc_pool_imap_source(pool, &map, "task", source, q, &(mproc_map_options){.unordered = 1}))
    return example_fail("start");
  printf("[MainProcess] %d tasks of %d steps on %d workers, reporting through one queue\n", N,
         STEPS, WORKERS);
  /* While the map runs: read a report, then take whatever results are ready. */
  while (st == MPROC_ETIMEDOUT) {
    if (read_report(q, report, &reports))
      return 1;
    st = take_results(map, &results, &sum);
  }
  /* After the map: every task put its reports before it returned, so they
   * are all in the queue now, and qsize() counts them exactly. */
  if (st != MPROC_EEND || mproc_queue_qsize(q, &left))
    return example_fail("map");
  printf("[MainProcess] map ended: %d results, %d reports read, %lld still in the queue\n", results,
         reports, (long long)left);
  for (; left > 0; left--, reports++)
    if (mproc_queue_get(q, report, 0)) /* get_nowait() */
      return example_fail("get");
  for (i = 0; i < N; i++)
    expected += i * i;
  printf("[MainProcess] %d reports in all (expected %d); sum of squares %lld (expected %lld)\n",
         reports, N * STEPS, (long long)sum, (long long)expected);
  mproc_map_destroy(map);
  mproc_args_destroy(report);
  if (mproc_pool_destroy(pool) || mproc_queue_destroy(q))
    return example_fail("destroy");
  return results != N || reports != N * STEPS || sum != expected;
}
