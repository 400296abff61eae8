/**
 * @file mproc/process.h
 * @brief The bootstrap, the function registry and the Process API.
 *
 * A child is always a fresh execution of the program (spawn semantics on
 * every OS, never a fork-copy). It finds the code it must run by name in the
 * registry given to mproc_init(), which must be the first thing main() does:
 *
 * @code
 * static int greet(const mproc_args *args, mproc_args *result) {
 *   const char *who;
 *   (void)result;
 *   if (mproc_args_get_str(args, 0, &who) != MPROC_OK) return 1;
 *   printf("hello, %s from %lld\n", who, (long long)mproc_self_pid());
 *   return 0;
 * }
 * static const mproc_function functions[] = {MPROC_FUNCTION(greet), MPROC_FUNCTIONS_END};
 *
 * int main(int argc, char **argv) {
 *   mproc_process *p;
 *   mproc_args *a;
 *   int code;
 *   if (mproc_init(&argc, &argv, functions) != MPROC_OK) return 1;  // a child never returns
 *   mproc_args_create(&a);
 *   mproc_args_add_str(a, "world");
 *   mproc_process_create(&p, "greet", a, NULL);
 *   mproc_process_start(p);
 *   mproc_process_join(p, MPROC_WAIT_FOREVER);
 *   mproc_process_exitcode(p, &code);
 *   mproc_process_destroy(p);
 *   mproc_args_destroy(a);
 *   return code;
 * }
 * @endcode
 *
 * Inheritance is explicit: every descriptor and handle mproc creates is
 * close-on-exec / non-inheritable, and a child receives only the standard
 * streams and its own channel to the parent. A child never outlives its parent
 * by accident: when the parent dies in any way (even SIGKILL), its children
 * see their channel close and exit at once. When the parent exits normally,
 * mproc (like Python) terminates its daemonic children and joins the others.
 *
 * Ending signals: mproc_init() watches SIGINT (Ctrl-C), SIGTERM, SIGHUP and
 * SIGQUIT, each only if the program leaves it at its default (one it handles
 * or ignores, before or after mproc_init(), stays its own); on Windows, the
 * console's Ctrl-C/Ctrl-Break (as SIGINT) and close/logoff/shutdown events
 * (as SIGTERM). When one arrives, everything mproc started ends first: every
 * pool is cancelled (see pool.h); children that are not daemons get 1 s to
 * finish, then are terminated (and killed a second later), daemons at once;
 * every named object this process created is removed. Then the process ends
 * with status 130 for Ctrl-C, as a shell reports an interrupted program, and
 * by the signal itself for the others, so its exit status stays honest. A
 * second such signal while this runs ends the process at once. Unlike
 * Python, whose exit joins a child that never ends forever, this always
 * ends. A pool worker does not watch them: its pool ends it.
 *
 * Thread safety: the functions here may be called from any thread, but one
 * ::mproc_process must not be used by two threads at once.
 */
#ifndef MPROC_PROCESS_H
#define MPROC_PROCESS_H

#include <stdint.h>

#include "mproc/args.h"
#include "mproc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A function a child may run. @p args are the arguments the parent passed
 * (never NULL; possibly empty). @p result may be filled with values to return
 * (used by pools; NULL for a plain process). Return 0 on success; anything
 * else means failure, which makes a process's exit code 1 (as an exception
 * does in Python). Call exit(n) to end the process with status n.
 */
typedef int (*mproc_fn)(const mproc_args *args, mproc_args *result);

/** One entry of the registry of functions children may run. */
typedef struct mproc_function {
  /** The name a parent asks for (unique and non-empty in a registry). */
  const char *name;
  /** The function run under that name. */
  mproc_fn fn;
} mproc_function;

/** A registry entry whose name is the function's own name. */
#define MPROC_FUNCTION(fn)                                                                         \
  { #fn, fn }
/** Ends a registry. */
#define MPROC_FUNCTIONS_END                                                                        \
  { 0, 0 }

/** A timeout meaning "wait as long as it takes". Timeouts are milliseconds. */
#define MPROC_WAIT_FOREVER (-1)

/** Version of the parent-child protocol; a mismatch is MPROC_EPROTO. */
#define MPROC_PROTOCOL_VERSION 2

/**
 * Initialises mproc. Call it first thing in main(), before any other mproc
 * call and before the program acts on its arguments.
 *
 * In a process mproc spawned, this runs the requested function and exits the
 * process with its result: it never returns there. In any other process it
 * records the registry and returns.
 *
 * @param argc,argv  main()'s arguments (reserved for future flags; not changed now).
 * @param registry   the functions children may run, ended by MPROC_FUNCTIONS_END;
 *                   it must stay valid for the life of the program. Names must be
 *                   unique and non-empty.
 * @return MPROC_OK; MPROC_EINVAL (NULL argument, empty or duplicate name);
 *         MPROC_ESTATE (called twice); an APR/OS status if APR fails to start.
 */
MPROC_API mproc_status mproc_init(int *argc, char ***argv, const mproc_function *registry);

/**
 * Sets the executable children are spawned from (Python's set_executable).
 * The default is this program's own executable. The program named must call
 * mproc_init() with a registry that has the functions it will be asked to run.
 * @param path an existing executable, or NULL to restore the default.
 * @return MPROC_OK, MPROC_ENOTINIT, MPROC_ENOMEM.
 */
MPROC_API mproc_status mproc_set_executable(const char *path);

/** A child process: Python's multiprocessing.Process. */
typedef struct mproc_process mproc_process;

/** Options of mproc_process_create(). Zero-initialise, then set what you need. */
typedef struct mproc_process_options {
  /** The process name; default "Process-N" ("Process-1:2" in a child). */
  const char *name;
  /** Non-zero: a daemonic process, terminated when its parent exits; it may not
   *  create children of its own. */
  int daemon;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_process_options;

/**
 * Creates (without starting) a process that will run @p function with a copy
 * of @p args.
 * @param[out] process the new process.
 * @param function     a name in the registry.
 * @param args         the arguments, or NULL for none; copied.
 * @param options      NULL for the defaults.
 * @return MPROC_OK; MPROC_EINVAL; MPROC_ENOTINIT; MPROC_ENOFUNC (no such name
 *         in this program's registry: checked before anything is spawned);
 *         MPROC_ENOMEM.
 */
MPROC_API mproc_status mproc_process_create(mproc_process **process, const char *function,
                                            const mproc_args *args,
                                            const mproc_process_options *options);

/**
 * Spawns the child and sends it its function and arguments.
 * @return MPROC_OK; MPROC_EINVAL; MPROC_ESTATE (already started);
 *         MPROC_EDAEMON (the caller is a daemonic process); an OS status when
 *         the spawn fails (detail in mproc_last_error()).
 */
MPROC_API mproc_status mproc_process_start(mproc_process *process);

/**
 * Waits until the child exits, at most @p timeout_ms milliseconds
 * (MPROC_WAIT_FOREVER: no limit; 0: just check).
 * @return MPROC_OK (it has exited); MPROC_ETIMEDOUT (still running);
 *         MPROC_EPROTO (it exited 0 without running mproc's bootstrap: the
 *         executable is not an mproc program, or exits before mproc_init();
 *         its exit code is then 1); MPROC_EINVAL; MPROC_ESTATE (not started).
 */
MPROC_API mproc_status mproc_process_join(mproc_process *process, int64_t timeout_ms);

/**
 * Whether the child is running (started and not exited). Does not block.
 * @return MPROC_OK, MPROC_EINVAL.
 */
MPROC_API mproc_status mproc_process_is_alive(mproc_process *process, int *alive);

/**
 * The child's exit code, as Python defines it: 0; the status it passed to
 * exit(); 1 when its function failed; minus the signal number (POSIX's
 * numbers) when a signal ended it.
 *
 * Windows has no signals, so the ends that stand for one read as it:
 * terminate and kill give -15 and -9; a crash's exception status gives -11
 * (access violation, stack overflow), -6 (a fast fail, which is how the
 * UCRT's abort() ends), -4 (illegal instruction), -8 (integer or
 * floating-point exception) and -2 (Ctrl-C). Nothing else reads as a signal:
 * other exit codes are reported as the process's exit code converted to int
 * (0 to 0x7FFFFFFF as they are, the rest negative and below -64), except
 * that exit(-N) for N up to 64 gives 256 - N, as on POSIX. So abort() is -6
 * under the UCRT (unless _set_abort_behavior() turned its fault report off:
 * then it is _exit(3)), and 3, an ordinary exit code, under msvcrt
 * (mingw-w64's default C runtime), whose abort() is _exit(3).
 * @return MPROC_OK; MPROC_EINVAL; MPROC_ESTATE (not started, or still
 *         running: join it first).
 */
MPROC_API mproc_status mproc_process_exitcode(mproc_process *process, int *exitcode);

/**
 * The child's OS process id.
 * @return MPROC_OK, MPROC_EINVAL, MPROC_ESTATE (not started).
 */
MPROC_API mproc_status mproc_process_pid(const mproc_process *process, int64_t *pid);

/** The process's name (never NULL for a valid process). */
MPROC_API const char *mproc_process_name(const mproc_process *process);

/**
 * Asks the child to end: SIGTERM on POSIX; on Windows TerminateProcess (there
 * is no portable graceful request), reported as exit code -15. A child that
 * already exited is left alone.
 * @return MPROC_OK, MPROC_EINVAL, MPROC_ESTATE (not started), an OS status.
 */
MPROC_API mproc_status mproc_process_terminate(mproc_process *process);

/**
 * Ends the child at once: SIGKILL on POSIX, TerminateProcess on Windows
 * (reported as exit code -9).
 * @return MPROC_OK, MPROC_EINVAL, MPROC_ESTATE (not started), an OS status.
 */
MPROC_API mproc_status mproc_process_kill(mproc_process *process);

/**
 * Releases the process object. The child must not be running: join it (or
 * kill and join it) first; a process never started may always be destroyed.
 * A use of it afterwards, or a second destroy, is MPROC_ECLOSED (its memory
 * is kept a while for this: best effort).
 * @return MPROC_OK; MPROC_EINVAL; MPROC_ESTATE (still running: nothing freed);
 *         MPROC_ECLOSED (destroyed already).
 */
MPROC_API mproc_status mproc_process_destroy(mproc_process *process);

/**
 * Lists the children of this process that are still running, reaping the
 * ones that have exited (Python's active_children()).
 * @param[out] list   up to @p capacity live children (may be NULL if capacity is 0).
 * @param capacity    the room in @p list.
 * @param[out] count  the number of live children (may exceed capacity).
 * @return MPROC_OK, MPROC_EINVAL, MPROC_ENOTINIT.
 */
MPROC_API mproc_status mproc_children_active(mproc_process **list, size_t capacity, size_t *count);

/** This process's id. */
MPROC_API int64_t mproc_self_pid(void);
/** The id of the mproc parent that spawned this process; 0 in a process mproc did not spawn. */
MPROC_API int64_t mproc_self_parent_pid(void);
/** This process's name: "MainProcess", or the name its parent gave it. */
MPROC_API const char *mproc_self_name(void);
/** Non-zero in a daemonic child. */
MPROC_API int mproc_self_is_daemon(void);
/** The number of CPUs this process may run on (at least 1). */
MPROC_API int mproc_cpu_count(void);

#ifdef __cplusplus
}
#endif
#endif /* MPROC_PROCESS_H */
