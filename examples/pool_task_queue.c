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
  mproc_queue *q = NULL;
  mproc_args *report = NULL;
  int64_t i = 0, step;
  int rc = 0;
  if (mproc_args_get_queue(args, 0, &q) || mproc_args_get_i64(args, 1, &i) ||
      mproc_args_create(&report)) {
    mproc_task_fail(mproc_last_error());
    return 1;
  }
  for (step = 0; step < STEPS && rc == 0; step++) {
    example_sleep_ms(30); /* the work */
    if (mproc_args_clear(report) ||
        mproc_args_pack(report, "i64 i64 i64", i, step, mproc_self_pid()) ||
        mproc_queue_put(q, report, TIMEOUT_MS)) {
      mproc_task_fail(mproc_last_error());
      rc = 1;
    }
  }
  mproc_args_destroy(report);
  return rc == 0 && mproc_args_add_i64(result, i * i) == MPROC_OK ? 0 : 1;
}

/* The map's lazy input (a starmap): item i is the argument list (q, i). */
static mproc_status source(void *user, size_t index, mproc_args *item) {
  mproc_status st;
  if (index >= N)
    return MPROC_EEND;
  st = mproc_args_add_queue(item, (mproc_queue *)user);
  return st ? st : mproc_args_add_i64(item, (int64_t)index);
}

static const mproc_function functions[] = {MPROC_FUNCTION(task), MPROC_FUNCTIONS_END};

int main(int argc, char **argv) {
  mproc_pool_options o = {0};
  mproc_map_options m = {0};
  mproc_pool *pool = NULL;
  mproc_map *map = NULL;
  mproc_queue *q = NULL;
  mproc_args *report = NULL;
  mproc_map_item item;
  mproc_status st = MPROC_OK;
  int64_t i = 0, step = 0, pid = 0, v, sum = 0, expected = 0;
  size_t left = 0;
  int reports = 0, results = 0, ended = 0;
  if (mproc_init(&argc, &argv, functions) != MPROC_OK)
    return 1;
  o.workers = WORKERS;
  m.unordered = 1;
  if (mproc_queue_create(&q, NULL) != MPROC_OK || mproc_args_create(&report) != MPROC_OK ||
      mproc_pool_create(&pool, &o) != MPROC_OK ||
      mproc_pool_imap_source(pool, &map, "task", source, q, &m) != MPROC_OK) {
    fprintf(stderr, "cannot start: %s\n", mproc_last_error());
    return 1;
  }
  printf("[MainProcess] %d tasks of %d steps on %d workers, reporting through one queue\n", N,
         STEPS, WORKERS);
  /* While the map runs: read a report (waiting a little), then take whatever
   * results are ready without waiting (which also lets the map queue more). */
  while (!ended) {
    st = mproc_queue_get(q, report, 50);
    if (st == MPROC_OK) {
      reports++;
      if (mproc_args_unpack(report, "i64 i64 i64", &i, &step, &pid))
        break;
      if (step == STEPS - 1)
        printf("  [queue] task %lld finished its steps on worker pid %lld\n", (long long)i,
               (long long)pid);
    } else if (st != MPROC_EEMPTY) {
      break;
    }
    while ((st = mproc_map_next(map, 0, &item)) == MPROC_OK) {
      results++;
      if (item.status == MPROC_OK && mproc_args_get_i64(item.result, 0, &v) == MPROC_OK)
        sum += v;
      else
        fprintf(stderr, "task %lld: %s %s\n", (long long)item.index, mproc_status_name(item.status),
                item.message);
    }
    if (st == MPROC_EEND)
      ended = 1;
    else if (st != MPROC_ETIMEDOUT)
      break;
    st = MPROC_OK;
  }
  if (st != MPROC_OK)
    fprintf(stderr, "[MainProcess] %s: %s\n", mproc_status_name(st), mproc_last_error());
  /* After the map: every task put its reports before it returned, so they
   * are all in the queue now, and qsize() counts them exactly. */
  if (mproc_queue_qsize(q, &left) != MPROC_OK)
    st = MPROC_EFAILED;
  printf("[MainProcess] map ended: %d results, %d reports read, %lld still in the queue\n", results,
         reports, (long long)left);
  while (st == MPROC_OK && mproc_queue_get(q, report, 0) == MPROC_OK) /* get_nowait() */
    reports++;
  for (i = 0; i < N; i++)
    expected += i * i;
  printf("[MainProcess] %d reports in all (expected %d); sum of squares %lld (expected %lld)\n",
         reports, N * STEPS, (long long)sum, (long long)expected);
  mproc_map_destroy(map);
  mproc_pool_destroy(pool);
  mproc_args_destroy(report);
  mproc_queue_destroy(q);
  return st == MPROC_OK && results == N && reports == N * STEPS && sum == expected ? 0 : 1;
}
