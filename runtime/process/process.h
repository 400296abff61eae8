/*
 * The process layer's services to the layers above it (process.c): starting
 * a child through the one bootstrap path, and the exit-time handling of a
 * process's children.
 */
#ifndef MPROC_PROCESS_INTERNAL_H
#define MPROC_PROCESS_INTERNAL_H

#include "platform.h"
#include "wire/protocol.h"

/* Spawns a child of this program and sends it START (@start's parent_pid
 * is filled in here); on failure nothing is left running. */
mproc_status mproc__child_start(mproc__proc *os, const mproc__start *start);

/* At exit: terminate daemonic children, join the others (as Python does). */
void mproc__children_at_exit(void);

/* How long children that are not daemons may run on when the process is
 * asked to end (Ctrl-C, SIGTERM), as a pool's cancelled tasks may. */
#define MPROC__INTERRUPT_GRACE_MS 1000
/* The process is asked to end: daemons are terminated at once; the other
 * children get @grace_ms to finish, then are terminated, and killed a
 * second later. Without this, exit would join a child that never ends. */
void mproc__children_interrupted(int64_t grace_ms);

/* *ended: whether @p has ended (mproc_wait()); MPROC_ESTATE when it was
 * never started, MPROC_EINVAL / MPROC_ECLOSED for a bad handle. */
mproc_status mproc__process_ended(mproc_process *p, int *ended, const char *fn);

#endif /* MPROC_PROCESS_INTERNAL_H */
