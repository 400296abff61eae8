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

#endif /* MPROC_PROCESS_INTERNAL_H */
