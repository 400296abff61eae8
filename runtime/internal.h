/*
 * Runtime-internal helpers shared by runtime/ and platform/: error recording,
 * the args codec, channel framing and the process-wide state.
 */
#ifndef MPROC_INTERNAL_H
#define MPROC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "mproc.h"
#include "platform.h"

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

/* The args codec (runtime/args_wire.c). Encoding: see the comment there.
 * NULL @args encodes as an empty list. */
mproc_status mproc__args_encode(const mproc_args *args, uint8_t **buf, size_t *len);
mproc_status mproc__args_decode(const uint8_t *buf, size_t len, mproc_args **args);

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

/* Writes an encoding value by value. Errors are sticky (the calls after one
 * do nothing) and reported once, by mproc__writer_finish(), which frees the
 * buffer then; @hint: the size expected. */
typedef struct mproc__writer {
  uint8_t *buf;
  size_t len, cap;
  uint32_t count;
  mproc_status st;
} mproc__writer;
void mproc__writer_init(mproc__writer *w, size_t hint);
/* mproc__writer_init() into @from's memory, which the writer takes (and
 * grows if @hint needs it): @from is left empty. */
void mproc__writer_init_buf(mproc__writer *w, mproc__buf *from, size_t hint);
/* @return where the value's 8 bytes are, for mproc__args_patch_i64(). */
size_t mproc__writer_i64(mproc__writer *w, int64_t v);
/* Overwrites the i64 at @at (see mproc__writer_i64) of a finished encoding. */
void mproc__args_patch_i64(uint8_t *encoding, size_t at, int64_t v);
void mproc__writer_str(mproc__writer *w, const char *s);
/* Values [at, at + n) of @a (NULL: none). */
void mproc__writer_list(mproc__writer *w, const mproc_args *a, size_t at, size_t n);
/* One BYTES value holding the encoding of values [at, at + n) of @a. */
void mproc__writer_nested(mproc__writer *w, const mproc_args *a, size_t at, size_t n);
mproc_status mproc__writer_finish(mproc__writer *w, uint8_t **buf, size_t *len);

/* Reads an encoding value by value, checking everything a decoder checks;
 * mproc__reader_end() checks that nothing is left over. */
typedef struct mproc__reader {
  const uint8_t *p;
  size_t left;     /* bytes */
  uint32_t values; /* values not read yet */
} mproc__reader;
mproc_status mproc__reader_open(mproc__reader *r, const uint8_t *buf, size_t len);
mproc_status mproc__reader_i64(mproc__reader *r, int64_t *v);
/* A BYTES value, as a view into the encoding. */
mproc_status mproc__reader_bytes(mproc__reader *r, const uint8_t **data, size_t *len);
/* Appends the next @n values to @dst (all or nothing). */
mproc_status mproc__reader_take(mproc__reader *r, size_t n, mproc_args *dst);
mproc_status mproc__reader_end(const mproc__reader *r);

/* New lists copying values [at, at + n) / all of @src. */
mproc_status mproc__args_slice(const mproc_args *src, size_t at, size_t n, mproc_args **out);
mproc_status mproc__args_copy(const mproc_args *src, mproc_args **out);
/* Appends copies of values [at, at + n) of @src to @dst (all or nothing). */
mproc_status mproc__args_append(mproc_args *dst, const mproc_args *src, size_t at, size_t n);
/* Room for @n more values (a hint: fewer if the limits say so). */
mproc_status mproc__args_reserve(mproc_args *a, size_t n);
/* A view: a list whose values are written straight into @of's array, at
 * [at, at + n) of its room, so that a decoder fills @of without a copy
 * (a map's chunks, decoded into the map's results). It never grows, and
 * destroying it frees only the values it still holds. */
mproc_status mproc__args_view(mproc_args *of, size_t at, size_t n, mproc_args **view);
/* Whether @view is a view of @a's next values (at a's count). */
int mproc__args_view_next(const mproc_args *a, const mproc_args *view);
/* Makes the values of @view (see mproc__args_view_next()) @a's, within @a's
 * limits; @view is left empty. */
mproc_status mproc__args_adopt(mproc_args *a, mproc_args *view);
void mproc__args_drop_last(mproc_args *a);
/* Empties @a (keeps its storage). */
void mproc__args_clear(mproc_args *a);

/* Pool nesting: 0 in a process that is not a pool worker (runtime/worker.c). */
int mproc__pool_depth(void);

/* Framed messages over a channel (runtime/frame.c). */
enum mproc__frame_type {
  MPROC__FRAME_START = 1,   /* parent -> child: what to run */
  MPROC__FRAME_TASK,        /* parent -> pool worker: one call or a chunk */
  MPROC__FRAME_RESULT,      /* pool worker -> parent: the statuses and results */
  MPROC__FRAME_INITFAIL,    /* pool worker -> parent: the initializer failed */
  MPROC__FRAME_EXIT,        /* parent -> pool worker: retire now */
  MPROC__FRAME_CLAIMS,      /* parent -> pool worker: the pool's claim words (pool.c) */
  MPROC__FRAME_LANES,       /* parent -> pool worker: its two lanes (lane.c) */
  MPROC__FRAME_TASK_LANE,   /* a TASK whose payload is in the worker's down lane */
  MPROC__FRAME_RESULT_LANE, /* a RESULT whose payload is in the worker's up lane */
  MPROC__FRAME_CANCEL,      /* pool worker -> parent: a task cancelled the pool */
  MPROC__FRAME_MBOX,        /* parent -> pool worker: its mailbox (mbox.c) */
  MPROC__FRAME_MBOX_ACK,    /* pool worker -> parent: it attached the mailbox */
  MPROC__FRAME_READY        /* pool worker -> parent: initialized, taking tasks */
};
#define MPROC__FRAME_MAX (MPROC_ARGS_MAX_SIZE + 65536u)
/* Bytes a frame adds to its payload (magic, type, length). */
#define MPROC__FRAME_HEADER 12u
mproc_status mproc__frame_send(mproc__chan *chan, uint16_t type, const uint8_t *payload,
                               size_t len);
/* Writes a frame of @len <= 4084 bytes into @out (MPROC__FRAME_HEADER + @len
 * bytes, returned), for several frames in one write. */
size_t mproc__frame_pack(uint8_t *out, uint16_t type, const uint8_t *payload, size_t len);
/* MPROC_ECLOSED when the stream ends cleanly before a frame; *payload is malloc'ed. */
mproc_status mproc__frame_recv(mproc__chan *chan, uint16_t *type, uint8_t **payload, size_t *len);

/*
 * Hand-offs on the hot paths (runtime/spin.c). A wake-up from sleep costs
 * 10-50 us on small VMs (more where system calls are dear), a spin on a
 * shared word well under 1 us; but a spin burns a CPU that tasks need. So a
 * waiter spins at most MPROC__SPIN_US, only when its previous wait took at
 * most MPROC__SPIN_AGAIN_US (long tasks and idle pools never spin), and
 * yields the CPU on every turn. The second bound is the larger because a
 * wait that slept includes its wake-up: with one bound, one late frame made
 * every later wait sleep, and every such wait too long to spin again.
 */
#define MPROC__SPIN_US 50
#define MPROC__SPIN_AGAIN_US 200
typedef struct mproc__spin {
  int64_t last_us; /* how long the previous wait took; starts at 0: try spinning */
} mproc__spin;
/* Microseconds on a clock that is cheap to read (spin budgets only). */
int64_t mproc__spin_clock_us(void);
/* Spins, yielding, until ready(arg) or MPROC__SPIN_US after @start; ready's last answer. */
int mproc__spin_until(int (*ready)(const void *arg), const void *arg, int64_t start);
/* mproc__frame_recv() after an adaptive spin on @chan (runtime/frame.c),
 * into @buf: the payload is buf->data, valid until the next receive. */
mproc_status mproc__frame_recv_spin(mproc__chan *chan, mproc__spin *spin, uint16_t *type,
                                    mproc__buf *buf, size_t *len);

/* The bootstrap marker a child finds in argv[1]: "--mproc-child=<version>:<spec>". */
#define MPROC__MARKER_PREFIX "--mproc-child="

/* Process-wide state (runtime/init.c). */
int mproc__is_initialized(void);
const mproc_function *mproc__registry_find(const char *name);
/* The executable children are spawned from; owned by the runtime. A child
 * process looks it up on first use: *exe, or the lookup's failure. */
mproc_status mproc__executable_get(const char **exe);
/* The same, NULL if the lookup failed. */
const char *mproc__executable(void);
/* This process's identity ("" in the main process, "1:2" in a grandchild). */
const char *mproc__self_identity(void);
void mproc__self_set(const char *name, const char *identity, int daemon, int64_t parent_pid);

/* The one process-wide mutex: children list, executable path. */
void mproc__lock(void);
void mproc__unlock(void);

/* What a child is started with (the START frame), and where it goes. */
typedef struct mproc__child_spec {
  const char *function; /* a registry name, or MPROC__WORKER_FN */
  const char *name;
  const char *identity;
  int daemon;
  int new_group;
  const uint8_t *args; /* encoded mproc_args */
  size_t args_len;
} mproc__child_spec;

/* Spawns a child and sends it START; on failure nothing is left running. */
mproc_status mproc__child_start(mproc__proc *os, const mproc__child_spec *spec);

/* The reserved START function of pool workers (registry names may not start with "mproc:"). */
#define MPROC__WORKER_FN "mproc:worker"
/* How a pool TASK frame's payload holds its calls (runtime/worker.c). */
enum { MPROC__TASK_CALL = 0, MPROC__TASK_ITEMS = 1, MPROC__TASK_GROUPS = 2 };
/* A pool worker's main loop (runtime/worker.c); never returns. */
MPROC__NORETURN void mproc__worker_main(mproc__chan *chan, const mproc_args *args);

/* Child bookkeeping for active_children and exit handling (runtime/process.c). */
void mproc__children_at_exit(void);

/* The process-wide APR pool (threads, mutexes and conditions hang off it). */
struct apr_pool_t;
struct apr_pool_t *mproc__apr_pool(void);

/* A malloc'ed copy of s, or NULL. */
char *mproc__strdup(const char *s);

/* Monotonic milliseconds, for deadlines. */
int64_t mproc__now_ms(void);

#endif /* MPROC_INTERNAL_H */
