/**
 * @file mproc/mpi.h
 * @brief The MPI backend (libmproc_mpi): the same pool, its workers on the
 * hosts of an MPI job.
 *
 * A program written against mproc_pool_* runs on a cluster with no change
 * to its code, by its launch alone: with mproc as a shared library,
 *     mpiexec -n 5 ./app --mproc-backend=mpi     (or MPROC_BACKEND=mpi)
 * makes mproc_init() load this library's plugin (mproc_mpi_plugin(), see
 * mproc/backend.h) and start MPI, and mproc_pool_create() create its pools
 * here. In code, a program calls mproc_mpi_init() instead of mproc_init()
 * and mproc_mpi_pool_create() for its MPI pools (mproc_pool_create() stays
 * local unless the launch chose MPI); that works with mproc linked
 * statically too. Every other pool call is unchanged. Two launch modes, as
 * mpi4py.futures has:
 *  - static: `mpiexec -n N+1 ./app`. Rank 0 runs main() as the parent;
 *    every other rank becomes a *host* inside mproc_mpi_init() and never
 *    returns there. A pool has at most N workers, one per host.
 *  - spawn: the program starts alone (or under `mpiexec -n 1`) and
 *    mproc_mpi_pool_create() starts one host per worker with
 *    MPI_Comm_spawn() of its own executable (where: the MPI implementation's
 *    hostfile or the info key "host"). A later pool reuses those hosts
 *    when they are enough, else they end and it spawns its own.
 * A host runs its pool worker as a local mproc child with spawn semantics:
 * initializer, timeouts (the host kills the worker), crashes (ECRASHED, a
 * new worker) and cancellation behave as on one machine; cancellation
 * reaches the hosts as MPI messages, and mproc_cancelled() stays one local
 * load.
 *
 * Shared objects name memory of the parent's machine. An Event in a pool's
 * initargs (at most 64, nested lists too) is mirrored: each host gives its
 * worker an Event of its own, a set or clear by a worker reaches the parent
 * and every other worker, one by the parent (or any process of its
 * machine) reaches every worker, all within a millisecond or so, and
 * mproc_event_is_set() stays a local load. A worker started later starts in
 * the current state. Any other object (Lock, Condition, Barrier, Queue,
 * shm, Array...) cannot cross: a pool whose initargs hold one is refused
 * (MPROC_ENOTSHAREABLE, naming it and where it is), and so is a task (or a
 * map's chunk) whose arguments hold any shared object, an Event too: the
 * call fails before anything is sent. Pass data, not objects.
 *
 * Faults. A worker dying (a crash, a kill, a timeout) is no MPI fault: its
 * host outlives it, the task fails (MPROC_ECRASHED, MPROC_ETIMEDOUT) and
 * the host starts another. A host or the parent dying is one: Open MPI and
 * MPICH by default end the whole job, and with it every worker (a worker
 * ends with its host). Where the job goes on (MPICH's -disable-auto-cleanup,
 * ULFM), or a host hangs or is stopped, the beats decide
 * (mproc_mpi_options.host_silence_ms): a host silent too long is lost, its
 * task fails (MPROC_ECRASHED) and the pool goes on without it; a host
 * whose parent is silent that long ends its worker and exits. Either way
 * nothing waits forever.
 *
 * Errors and ownership follow mproc.h. MPI must provide
 * MPI_THREAD_MULTIPLE (the hosts and the parent relay on threads).
 */
#ifndef MPROC_MPI_H
#define MPROC_MPI_H

#include <stdint.h>

#include "mproc.h"
#include "mproc/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How a pool's hosts are found: in the job (static) or spawned. */
typedef enum mproc_mpi_mode {
  /** Static when the job has more than one rank, else spawn. */
  MPROC_MPI_AUTO = 0,
  /** The job's ranks 1..N are the hosts (`mpiexec -n N+1`). */
  MPROC_MPI_STATIC = 1,
  /** MPI_Comm_spawn() one host per worker. */
  MPROC_MPI_SPAWN = 2
} mproc_mpi_mode;

/** Options of mproc_mpi_pool_create(). Zero-initialise. */
typedef struct mproc_mpi_options {
  /** How the hosts are found (MPROC_MPI_AUTO: see there). */
  mproc_mpi_mode mode;
  /**
   * How long a silent peer is waited for, in ms, before it is taken for dead
   * (0: 30000; UINT32_MAX: never). Each side sends the other a beat every
   * 500 ms. A host silent that long is lost: its worker's task fails
   * (MPROC_ECRASHED) and the pool goes on without it. A host whose parent
   * is silent that long, while its worker runs, ends the worker and exits.
   * Under a debugger, raise it.
   */
  uint32_t host_silence_ms;
  /** Reserved: must be zero. */
  uint32_t reserved[7];
} mproc_mpi_options;

/**
 * mproc_init() for a program that uses the MPI backend, first thing in
 * main(): a worker process never returns from it (as from mproc_init()),
 * then MPI_Init_thread(MPI_THREAD_MULTIPLE). In a static job's ranks other
 * than 0, and in a spawned host, it serves pools until the parent
 * finalizes, then exits the process: only rank 0 returns. The parent's MPI
 * is finalized at its exit (or by mproc_mpi_finalize()).
 * @return MPROC_OK; as mproc_init(); MPROC_ENOTSUP (no MPI_THREAD_MULTIPLE).
 */
mproc_status mproc_mpi_init(int *argc, char ***argv, const mproc_function *registry);

/**
 * mproc_pool_create() with the workers on MPI hosts (the header's modes).
 * In static mode options->workers 0 means one per host; one pool at a time
 * uses the job's hosts. The pool is an ordinary ::mproc_pool, destroyed with
 * mproc_pool_destroy().
 * @return as mproc_pool_create(); MPROC_ENOTINIT (no mproc_mpi_init());
 *         MPROC_ERANGE (more workers than hosts); MPROC_ESTATE (the hosts
 *         serve another pool); MPROC_EINVAL (reserved options set);
 *         MPROC_ENOTSHAREABLE (a shared object other than an Event in the
 *         initargs); MPROC_ERANGE (over 64 Events there).
 */
mproc_status mproc_mpi_pool_create(mproc_pool **pool, const mproc_pool_options *options,
                                   const mproc_mpi_options *mpi);

/** The plugin (mproc/backend.h) that `--mproc-backend=mpi` or
 *  MPROC_BACKEND=mpi loads: its init is mproc_mpi_init()'s MPI part, its
 *  pool_create mproc_mpi_pool_create() in MPROC_MPI_AUTO mode. */
const mproc_backend_plugin *mproc_mpi_plugin(void);

/** Ends the hosts (they exit) and MPI; at the parent's exit if not called.
 *  Pools must be destroyed first. @return MPROC_OK; MPROC_ESTATE (a pool lives). */
mproc_status mproc_mpi_finalize(void);

#ifdef __cplusplus
}
#endif
#endif /* MPROC_MPI_H */
