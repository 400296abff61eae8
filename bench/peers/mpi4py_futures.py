"""S13's figures for a peer: mpi4py.futures.MPIPoolExecutor (bench/README.md).

Static mode, 2 workers (rank 0 runs this script, ranks 1 and 2 are the
workers), as bench_mpi is run:

    mpiexec -n 3 --oversubscribe python3 -m mpi4py.futures \
        bench/peers/mpi4py_futures.py [--quick]

Spawn mode, each executor spawning its 2 workers with MPI_Comm_spawn:

    mpiexec -n 1 --oversubscribe python3 bench/peers/mpi4py_futures.py [--quick]

Prints one JSON object with the S13 keys that translate, each the median,
minimum and maximum of its trials (7, or 3 with --quick, interleaved as
bench_mpi's). There is no limit here: bench_mpi measures the bare-MPI limits
on the same machine, and the two are read side by side.

  S13a_start_ms      a new MPIPoolExecutor until both workers ran a 20 ms task
                     (a map over 2 items, chunksize 1), 20 ms taken off, and its
                     shutdown. Static mode: the executor uses the job's workers
                     (the first one also sends them its options: reported alone
                     as S13a_first_start_ms). Spawn mode: every executor spawns 2
                     Python processes (mproc's later spawn-mode pools reuse
                     their hosts instead).
  S13b_roundtrip_us  executor.submit(inc, x).result(), one after another, us per
                     call (only one task is ever in flight, so the second worker
                     idles, as with mproc's 1-worker pool).
  S13c_map_per_s     list(executor.map(square, range(N), chunksize=1000)), N =
                     100,000 (20,000 with --quick), items/s.
  S13d_cancel_us     not expressible: Future.cancel() succeeds only for a task
                     not yet sent to a worker, and a worker has no flag to poll;
                     a running task ends when it returns. Reported as null.
  S13e_bailout_ms    200 submits of a 20 ms task (time.sleep: nothing to poll);
                     item 20 returns after 5 ms with "the answer". The parent
                     waits for item 20's result, cancels every future (only the
                     pending ones can be) and waits for all: ms from the first
                     submit until then. That includes the item running beside
                     item 20 finishing its 20 ms, which nothing can shorten, so
                     mpi4py's own best is 10 x 20 + 20 = 220 ms where mproc's
                     ideal (S13e's limit) is 205 ms. extra.answer_ms is when the
                     parent held item 20's result and had cancelled the rest.
                     Checked as bench_mpi checks it, but one item later: item 20
                     returned 20, every future has its own value or was
                     cancelled, every one after item 22 was cancelled (item 22
                     may be under way: the executor's thread gives item 20's
                     worker the next task as it hands over the result, before
                     the parent can cancel it).
Exit status: 0, 1 when a check fails (why: on standard error), 2 for usage.
"""

import concurrent.futures
import json
import statistics
import sys
import time

import mpi4py
from mpi4py import MPI
from mpi4py.futures import MPIPoolExecutor

WORKERS = 2
MAP_N, MAP_CHUNK = 100000, 1000
E_ITEMS, E_AT, E_TASK_S, E_BAIL_S = 200, 20, 0.020, 0.005


# ---- tasks (the workers import this module as __main__'s stand-in) ----


def inc(x):
    return x + 1


def square(x):
    return x * x


def sleep20(x):
    time.sleep(0.020)
    return x


def bail(i):
    """Item E_AT "finds the answer" after 5 ms; every other item works 20 ms."""
    time.sleep(E_BAIL_S if i == E_AT else E_TASK_S)
    return i


# ---- the figures ----


def new_executor(static):
    return MPIPoolExecutor() if static else MPIPoolExecutor(max_workers=WORKERS)


def start_ms(static):
    t0 = time.perf_counter()
    ex = new_executor(static)
    if list(ex.map(sleep20, range(WORKERS), chunksize=1)) != list(range(WORKERS)):
        raise AssertionError("start: a wrong result")
    ms = (time.perf_counter() - t0) * 1e3 - 20
    ex.shutdown(wait=True)
    return ms


def roundtrip_us(ex, rounds):
    x = 0
    t0 = time.perf_counter()
    for _ in range(rounds):
        x = ex.submit(inc, x).result()
    us = (time.perf_counter() - t0) * 1e6 / rounds
    if x != rounds:
        raise AssertionError("roundtrip: %d after %d calls" % (x, rounds))
    return us


def map_per_s(ex, n):
    t0 = time.perf_counter()
    out = list(ex.map(square, range(n), chunksize=MAP_CHUNK))
    per_s = n / (time.perf_counter() - t0)
    if out != [x * x for x in range(n)]:
        raise AssertionError("map: a wrong result")
    return per_s


def bailout_ms(ex):
    """-> (ms until every future is done, ms until the answer, items that did their work)"""
    t0 = time.perf_counter()
    fs = [ex.submit(bail, i) for i in range(E_ITEMS)]
    answer = fs[E_AT].result()
    for f in fs:
        f.cancel()
    t_answer = time.perf_counter()
    concurrent.futures.wait(fs)
    t_done = time.perf_counter()
    if answer != E_AT:
        raise AssertionError("bail-out: item %d returned %r" % (E_AT, answer))
    did = 0
    for i, f in enumerate(fs):
        if f.cancelled():
            continue
        if f.exception() is not None or f.result() != i:
            raise AssertionError("bail-out: item %d: %r" % (i, f.exception() or f.result()))
        if i > E_AT + WORKERS:
            raise AssertionError("bail-out: item %d did its work after the bail-out" % i)
        did += 1
    return (t_done - t0) * 1e3, (t_answer - t0) * 1e3, did


def stats(v):
    return {"median": round(statistics.median(v), 3), "min": round(min(v), 3),
            "max": round(max(v), 3)}


def key(unit, v, **more):
    d = {"unit": unit, "value": stats(v), "trials": len(v)}
    d.update(more)
    return d


def main(argv):
    quick = "--quick" in argv[1:]
    if [a for a in argv[1:] if a != "--quick"]:
        print("usage: mpi4py_futures.py [--quick]", file=sys.stderr)
        return 2
    world = MPI.COMM_WORLD
    if world.Get_rank() != 0:
        print("mpi4py_futures.py: run it under python3 -m mpi4py.futures "
              "(static) or as a single process (spawn)", file=sys.stderr)
        return 2
    static = world.Get_size() > 1
    if static and world.Get_size() - 1 != WORKERS:
        print("mpi4py_futures.py: static mode needs %d workers (mpiexec -n %d)"
              % (WORKERS, WORKERS + 1), file=sys.stderr)
        return 2
    n = 3 if quick else 7
    rounds = 200 if quick else 2000
    map_n = MAP_N // 5 if quick else MAP_N
    first = start_ms(static)
    starts = [start_ms(static) for _ in range(n)]
    rt, mp, bo, answer, did = [], [], [], [], []
    ex = new_executor(static)
    ex.bootup(wait=True)
    for _ in range(n):  # interleaved, as bench_mpi's
        rt.append(roundtrip_us(ex, rounds))
        mp.append(map_per_s(ex, map_n))
        ms, ans, d = bailout_ms(ex)
        bo.append(ms)
        answer.append(ans)
        did.append(d)
    ex.shutdown(wait=True)
    out = {
        "peer": "mpi4py.futures.MPIPoolExecutor",
        "mode": "static" if static else "spawn",
        "quick": quick,
        "workers": WORKERS,
        "mpi4py": mpi4py.__version__,
        "python": sys.version.split()[0],
        "mpi": MPI.Get_library_version().rstrip("\x00").splitlines()[0].strip(),
        "S13a_first_start_ms": key("ms", [first],
                                   note="static: the first executor also sends the workers "
                                        "its options; spawn: as any other"),
        "S13a_start_ms": key("ms", starts),
        "S13b_roundtrip_us": key("us", rt),
        "S13c_map_per_s": key("items/s", mp),
        "S13d_cancel_us": {"unit": "us", "value": None,
                           "note": "not expressible: Future.cancel() stops only a task not yet "
                                   "sent to a worker; a running one ends when it returns"},
        "S13e_bailout_ms": key("ms", bo, limit=(E_AT // WORKERS) * E_TASK_S * 1e3
                               + E_BAIL_S * 1e3,
                               own_best_ms=(E_AT // WORKERS + 1) * E_TASK_S * 1e3,
                               extra={"answer_ms": stats(answer),
                                      "did_work": statistics.median(did),
                                      "ideal_did_work": E_AT + 1}),
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except AssertionError as e:
        print("mpi4py_futures.py: %s" % e, file=sys.stderr)
        sys.exit(1)
