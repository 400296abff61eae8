/*
 * Private to platform/posix: helpers shared between its files.
 */
#ifndef MPROC_POSIX_INTERNAL_H
#define MPROC_POSIX_INTERNAL_H

#include "../../runtime/internal.h"

/* The descriptors a child finds its channel at: it reads at the first and
 * writes at the second (CHILD_CHAN_FD + 1). */
#define MPROC__CHILD_CHAN_FD 3

mproc_status mproc__posix_set_cloexec(int fd);
/* A connected AF_UNIX stream pair, both ends close-on-exec and SIGPIPE-free. */
mproc_status mproc__posix_socketpair(int sv[2]);
/* Child side, when the spawn could not close them: closes every descriptor
 * above 2 except @rd and @wr, so nothing the parent leaked survives into user code. */
void mproc__posix_close_inherited(int rd, int wr);

#endif
