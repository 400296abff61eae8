/*
 * Private to platform/posix: helpers shared between its files.
 */
#ifndef MPROC_POSIX_INTERNAL_H
#define MPROC_POSIX_INTERNAL_H

#include <spawn.h>

#include "base/atomic.h"
#include "platform.h"

/*
 * Two paths. MPROC__LINUX: Linux's own calls (/proc, pidfd, prctl, futex,
 * posix_fallocate, closefrom). Otherwise the portable path, which is the
 * macOS path exactly: the portable-posix preset builds it on Linux so that
 * CI runs what macOS runs, and tests/darwin imposes XNU's rules on it. It
 * falls back to a Linux call only where Linux lacks the macOS one, each
 * such place marked "Linux lacks".
 */
#if defined(__linux__) && !defined(MPROC_PORTABLE_POSIX)
#define MPROC__LINUX 1
#endif

/* Whether posix_spawn itself closes every descriptor above the child's
 * channel (glibc's closefrom action, or macOS's POSIX_SPAWN_CLOEXEC_DEFAULT);
 * elsewhere the child sweeps them (mproc__posix_close_inherited). */
#if defined(MPROC_HAVE_ADDCLOSEFROM) && defined(MPROC__LINUX)
#define MPROC__SPAWN_CLOSES_FDS 1
#define MPROC__SPAWN_CLOSES_FDS_BY_CLOSEFROM 1
#elif defined(POSIX_SPAWN_CLOEXEC_DEFAULT)
#define MPROC__SPAWN_CLOSES_FDS 1
#endif

/* The descriptors a child finds its channel at: it reads at the first and
 * writes at the second (CHILD_CHAN_FD + 1). */
#define MPROC__CHILD_CHAN_FD 3

mproc_status mproc__posix_set_cloexec(int fd);
/* A connected AF_UNIX stream pair, both ends close-on-exec and SIGPIPE-free. */
mproc_status mproc__posix_socketpair(int sv[2]);
/* mproc__fail_os() for a call that may fail for want of descriptors: on
 * EMFILE the message says how many the process may hold and what holds
 * them, so that the fix (a higher limit) is in the error. */
mproc_status mproc__posix_fail_fd(int err, const char *call, const char *fmt, ...)
    MPROC__PRINTF(3, 4);

/* Child side, when the spawn could not close them: closes every descriptor
 * above 2 except @rd and @wr, so nothing the parent leaked survives into user code. */
void mproc__posix_close_inherited(int rd, int wr);

#endif
