/*
 * The bottom layer: what every other layer, the platform layer included, may
 * use. It makes no OS call of its own (APR and the C library only) and
 * holds no process-wide state that needs setting up (a thread's last error
 * and the thread-id counter are all): failure recording, byte buffers,
 * thread ids.
 *
 * The error convention, for the whole runtime: a fallible function returns
 * an mproc_status and, when it is not MPROC_OK, has recorded a detail with
 * mproc__fail() or mproc__fail_os() first, naming the failing call (and the
 * OS error), so that mproc_last_error() tells the user what went wrong.
 *
 * The ownership rule: whoever creates or allocates a thing frees it; a
 * function that hands memory over says so ("malloc'ed", "takes").
 */
#ifndef MPROC_BASE_H
#define MPROC_BASE_H

#include <stddef.h>
#include <stdint.h>

#include "mproc/status.h"

#if defined(__MINGW32__) && !defined(__clang__)
/* mingw builds use its C99 printf (__USE_MINGW_ANSI_STDIO): check GNU formats. */
#define MPROC__PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__) || defined(__clang__)
#define MPROC__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MPROC__PRINTF(f, a)
#endif

#if defined(_MSC_VER)
#define MPROC__TLS __declspec(thread)
#else
#define MPROC__TLS _Thread_local
#endif

#if defined(_MSC_VER)
#define MPROC__NORETURN __declspec(noreturn)
#else
#define MPROC__NORETURN _Noreturn
#endif

/* Internal invariants only; user and OS errors are returned, never asserted. */
#ifdef NDEBUG
#define MPROC_ASSERT(x) ((void)0)
#else
#include <assert.h>
#define MPROC_ASSERT(x) assert(x)
#endif

/* Records "<formatted detail>" for mproc_last_error() and returns @status. */
mproc_status mproc__fail(mproc_status status, const char *fmt, ...) MPROC__PRINTF(2, 3);
/* Records "<call>(<formatted detail>): <OS message> (<OS code>)" and returns
 * the OS error as a status (APR_FROM_OS_ERROR). */
mproc_status mproc__fail_os(int os_error, const char *call, const char *fmt, ...)
    MPROC__PRINTF(3, 4);

/* A malloc'ed copy of s, or NULL. */
char *mproc__strdup(const char *s);

/* A buffer kept from frame to frame by a reader or writer that handles one frame
 * at a time: the frames of a map are each as large as the last, and a fresh
 * buffer for each one costs its page faults every time (an allocator gives
 * a freed megabyte back to the OS). Up to MPROC__BUF_KEEP bytes are kept. */
typedef struct mproc__buf {
  uint8_t *data;
  size_t cap;
} mproc__buf;
#define MPROC__BUF_KEEP (4u << 20)
/* Frees @b's memory if it holds more than MPROC__BUF_KEEP bytes (after a
 * frame larger than that), or @all. */
void mproc__buf_trim(mproc__buf *b, int all);
/* Room for @n bytes in @b: a larger buffer replaces it (nothing is copied). */
mproc_status mproc__buf_reserve(mproc__buf *b, size_t n);

/* mproc.h's rule for structs that grow: every reserved word a caller
 * passes is zero. MPROC__CHECK_RESERVED(s, fn, what) is MPROC_OK, or
 * MPROC_EINVAL naming @what (s may be NULL: nothing to check). */
mproc_status mproc__check_reserved(const uint64_t *words, size_t n, const char *fn,
                                   const char *what);
#define MPROC__CHECK_RESERVED(s, fn, what)                                                         \
  ((s) ? mproc__check_reserved((s)->reserved, sizeof((s)->reserved) / sizeof((s)->reserved[0]),    \
                               (fn), (what))                                                       \
       : MPROC_OK)

/* A number identifying the calling thread in this process, never reused
 * (RLock and Condition owners are pid + this). */
uint64_t mproc__thread_id(void);

#endif /* MPROC_BASE_H */
