/*
 * The test program: one executable, one CUnit suite per runtime concept.
 * It is an mproc program itself: main() calls mproc_init() with the child
 * functions every suite contributes, so tests spawn their own executable as
 * users' programs do. Children report through exit codes and files; parents
 * assert.
 */
#ifndef MPROC_TESTS_H
#define MPROC_TESTS_H

#include <CUnit/CUnit.h>
#include <stdint.h>

#include "base/base.h" /* MPROC__NORETURN */
#include "mproc.h"

/* A suite: its name (the CTest entry), its tests, and the child functions it needs. */
typedef struct test_suite {
  const char *name;
  const CU_TestInfo *tests;
  const mproc_function *functions; /* may be NULL */
} test_suite;

extern const test_suite suite_error;
extern const test_suite suite_version;
extern const test_suite suite_args;
extern const test_suite suite_result;
extern const test_suite suite_process;
extern const test_suite suite_init;
extern const test_suite suite_event;
extern const test_suite suite_object;
extern const test_suite suite_lock;
extern const test_suite suite_storm;
extern const test_suite suite_semaphore;
extern const test_suite suite_cond;
extern const test_suite suite_barrier;
extern const test_suite suite_shm;
extern const test_suite suite_array;
extern const test_suite suite_pool;
extern const test_suite suite_map;
extern const test_suite suite_handoff;
extern const test_suite suite_queue;
extern const test_suite suite_queue_faults;
extern const test_suite suite_queue_stress;
extern const test_suite suite_pipe;
extern const test_suite suite_wait;
extern const test_suite suite_backend;

/* The generous bound a test puts on anything that should happen promptly (a
 * join, a wait, a poll for a child's report): it only catches hangs, failing
 * the test where it hangs, before CTest's TIMEOUT would (tests/CMakeLists.txt
 * keeps that above it). 30 s, times MPROC_TEST_TIMEOUT_SCALE when that is a
 * positive integer in the environment (a slow machine, valgrind; as libuv's
 * UV_TEST_TIMEOUT_MULTIPLIER), which scales CTest's timeouts too. Children
 * inherit the environment, so a bound computed in a child agrees. Where a
 * number is the behaviour under test (a task that must time out, "woken well
 * before the wait's bound"), it stays a number. */
#define T_BOUND_MS t_bound_ms()
/* How long a child sleeps when it is meant to be killed or interrupted: past
 * every bound a test could wait for it with. */
#define T_FOREVER_MS (4 * T_BOUND_MS)
int64_t t_bound_ms(void);

/* Asserts st == MPROC_OK and prints the detail when it is not. */
#define T_OK(expr) t_check_status((expr), MPROC_OK, #expr, __FILE__, __LINE__)
/* Asserts the status equals want. */
#define T_STATUS(expr, want) t_check_status((expr), (want), #expr, __FILE__, __LINE__)
void t_check_status(mproc_status got, mproc_status want, const char *what, const char *file,
                    int line);

/* ---- process helpers (tests/support.c) ---- */
/* Creates and starts @fn with @args; asserts success. */
mproc_process *t_start(const char *fn, mproc_args *args, const mproc_process_options *opts);
/* Joins (bounded by T_BOUND_MS), returns the exit code, destroys. */
int t_finish(mproc_process *p);
/* Runs child function @fn (no arguments) and asserts it exits 0; an exit
 * code of 77 is a skip, said with @skip_reason. */
void t_child_passes(const char *fn, const char *skip_reason);
/* Milliseconds since an arbitrary start. */
int64_t t_now_ms(void);
void t_sleep_ms(int64_t ms);
/* Polls until the process is gone or @timeout_ms passes; non-zero if gone. */
int t_wait_pid_gone(int64_t pid, int64_t timeout_ms);
/* Kills a process by pid (cleanup after a failed test). */
void t_kill_pid(int64_t pid);
/* Kills @pid at once as mproc_process_kill() does (SIGKILL; on Windows
 * TerminateProcess with the status mproc reads as -9); non-zero on success. */
int t_hard_kill_pid(int64_t pid);
/* Crash this process as a bug would, for the crash tests. t_abort() calls
 * abort(), on Windows without the CRT's message box or fault report (which
 * would start Windows Error Reporting), so it ends with _exit(3) under every
 * CRT. t_segfault() writes to an address that is never mapped: SIGSEGV, or
 * on Windows an access violation. */
MPROC__NORETURN void t_abort(void);
MPROC__NORETURN void t_segfault(void);
/* The exit code mproc reports for a child ended by t_abort() (SIGABRT),
 * t_segfault() (SIGSEGV) or t_hard_kill_pid() (9): minus the signal, but 3,
 * an ordinary exit code, for t_abort() on Windows. */
int t_signal_exitcode(int sig);
/* Polls value @index of an i64 array until it is at least @least or
 * @timeout_ms passes (a bound that only catches hangs); returns the last value. */
int64_t t_array_wait_i64(mproc_array *array, size_t index, int64_t least, int64_t timeout_ms);
/* A fresh path in the temporary directory (malloc'ed). */
char *t_temp_path(const char *tag);
/* Reads a whole small file into buf (NUL-terminated); non-zero on success. */
int t_read_file(const char *path, char *buf, size_t cap);
/* Writes text to a file atomically enough for tests (write then rename). */
int t_write_file(const char *path, const char *text);

/* ---- inheritance probes (tests/support.c, per OS) ---- */
/* Opens @path as an inheritable fd/handle (deliberately, as careless user code would). */
intptr_t t_open_inheritable(const char *path);
void t_close_handle(intptr_t h);
/* Non-zero if handle/fd @h is open in this process and refers to @path. */
int t_handle_is_file(intptr_t h, const char *path);

/* ---- named-object probes (tests/support.c, per OS) ---- */
/* The permission bits of object @name's file(s): the widest of its segment
 * and its semaphore; -1 where objects have no file modes. */
int t_object_mode(const char *name);
/* Sets the process umask (no-op where there is none); returns the old one. */
int t_set_umask(int mask);
/* 1 if another user (nobody) can open object @name, 0 if not, -1 if this
 * cannot be tested here (see t_skip_reason()). */
int t_other_user_can_open(const char *name);
const char *t_skip_reason(void);
/* Whether this test run can interrupt one process (see t_skip_reason()). */
int t_can_interrupt(void);
/* Sends an interrupt (SIGINT) to @pid; non-zero on success. */
int t_interrupt_pid(int64_t pid);
/* Asks @pid to end (SIGTERM), where t_can_interrupt(); non-zero on success. */
int t_terminate_pid(int64_t pid);

/* Sets (value != NULL) or removes an environment variable of this process. */
void t_setenv(const char *name, const char *value);
/* A malloc'ed copy of an environment variable's value; NULL when unset. */
char *t_getenv(const char *name);

/* Sets this process's descriptor limit (RLIMIT_NOFILE's soft limit); 0
 * where the OS has none to set (Windows). */
int t_set_fd_limit(int n);
/* Gives this process a private /dev/shm of @kib KiB (a tmpfs in a new mount
 * namespace: Linux, as root); 0 where that cannot be done (t_skip_reason()). */
int t_private_shm(int kib);
/* Opens the null device (a descriptor to spend); -1 when none is left. */
int t_open_null(void);
void t_close_fd(int fd);
/* A program that exits 0 at once and is no mproc program (/bin/true); NULL
 * where there is none. */
const char *t_true_program(void);
/* Closes this process's standard streams (as a daemon does). */
void t_close_std_streams(void);
/* Whether all three standard streams are open. */
int t_std_streams_open(void);

/* Runs this test program with one argument as a fresh main process; its exit code. */
int t_run_self(const char *arg);

/* ---- channels (tests/support.c, per OS) ---- */
/* Two connected ends of a channel (platform.h) in this process, as a parent
 * and its child hold them: what one writes the other reads. Non-zero on
 * success; close each end with mproc__chan_close(). */
struct mproc__chan;
int t_chan_pair(struct mproc__chan *a, struct mproc__chan *b);

/* ---- pattern messages (tests/support.c; usable in children) ---- */
/* A new message [seq, @len bytes derived from seq]; NULL when out of memory. */
mproc_args *t_seq_message(int64_t seq, size_t len);
/* Whether @m is exactly t_seq_message(seq, len). */
int t_is_seq_message(const mproc_args *m, int64_t seq, size_t len);

#endif
