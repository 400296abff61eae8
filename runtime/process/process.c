/*
 * The Process API: create, start, join, signal and reap children, and the
 * list of this process's children that at-exit handling and
 * mproc_children_active() walk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_time.h>

#include "core/core.h"
#include "process/process.h"
#include "shared/object.h"
#include "wire/args.h"
#include "wire/frame.h"

typedef enum process_state { P_CREATED, P_STARTED, P_EXITED } process_state;

#define PROCESS_LIVE 0x50524f43u /* "PROC"; 0 once destroyed */

struct mproc_process {
  uint32_t live; /* PROCESS_LIVE while usable */
  mproc__proc os;
  process_state state;
  int daemon;
  int waiting;      /* a thread is inside join(); others must not reap (under the lock) */
  int no_bootstrap; /* it exited 0 without saying STARTED: not an mproc program */
  char *name;
  char *identity;
  char *function;
  uint8_t *args;
  size_t args_len;
  mproc_process *prev, *next; /* the children list, while started */
};

static mproc_process *children;

/* A child was reaped: if it was killed, names it created may be left behind. */
/* A child that ran mproc's bootstrap said STARTED before its function (the
 * frame waits in the channel after its end). One that exited 0 without
 * saying it never ran it: its executable is not an mproc program, or
 * exits before mproc_init(). That is a failed bootstrap, exit code 1. */
static int said_started(mproc_process *p) {
  char saved[512];
  uint16_t type = 0;
  uint8_t *payload = NULL;
  size_t len = 0;
  int started;
  snprintf(saved, sizeof saved, "%s", mproc_last_error());
  started = mproc__frame_recv(&p->os.chan, &type, &payload, &len) == MPROC_OK &&
            type == MPROC__FRAME_STARTED;
  free(payload);
  mproc__fail(0, "%s", saved); /* housekeeping: the caller's last failure stays */
  return started;
}

/* Records that @p was reaped (the lock held: an ending signal's handler
 * reads the state of every child). Non-zero when its names must be swept
 * (it did not exit cleanly, so it may have left some): the caller sweeps,
 * after the lock where it can (a sweep lists /dev/shm). */
static int exited(mproc_process *p) {
  p->state = P_EXITED;
  if (p->os.exitcode == 0 && !said_started(p)) {
    p->no_bootstrap = 1;
    p->os.exitcode = 1;
  }
  return p->os.exitcode != 0 && !p->no_bootstrap;
}

static void exited_and_swept(mproc_process *p) {
  if (exited(p))
    mproc__sweep(p->os.pid);
}
static unsigned long child_counter;

/* MPROC_OK if @p is a usable process: MPROC_EINVAL for NULL, MPROC_ECLOSED
 * for one destroyed (caught while its memory is in quarantine). */
static mproc_status check(const mproc_process *p, const char *fn) {
  if (!p)
    return mproc__fail(MPROC_EINVAL, "%s: process is NULL", fn);
  if (p->live != PROCESS_LIVE)
    return mproc__fail(MPROC_ECLOSED, "%s: the process was destroyed", fn);
  return MPROC_OK;
}

/* A child's identity extends its parent's: "3" in the main process, "3:1" below it. */
static mproc_status make_identity(mproc_process *p, const char *name) {
  char buf[256];
  const char *mine = mproc__self_identity();
  unsigned long n;
  mproc__lock();
  n = ++child_counter;
  mproc__unlock();
  snprintf(buf, sizeof buf, "%s%s%lu", mine, *mine ? ":" : "", n);
  p->identity = mproc__strdup(buf);
  if (name)
    p->name = mproc__strdup(name);
  else {
    char def[300];
    snprintf(def, sizeof def, "Process-%s", buf);
    p->name = mproc__strdup(def);
  }
  return p->identity && p->name ? MPROC_OK : MPROC_ENOMEM;
}

static void process_free(mproc_process *p) {
  free(p->name);
  free(p->identity);
  free(p->function);
  free(p->args);
  p->live = 0;
  mproc__quarantine(p);
}

mproc_status mproc_process_create(mproc_process **process, const char *function,
                                  const mproc_args *args, const mproc_process_options *options) {
  mproc_process *p;
  mproc_status st;
  if (!process || !function)
    return mproc__fail(MPROC_EINVAL, "mproc_process_create: %s is NULL",
                       process ? "function" : "process");
  if (!mproc__is_initialized())
    return mproc__fail(MPROC_ENOTINIT, "mproc_process_create: call mproc_init() first");
  if ((st = MPROC__CHECK_RESERVED(options, "mproc_process_create", "options")) != MPROC_OK)
    return st;
  if (!mproc__registry_find(function))
    return mproc__fail(MPROC_ENOFUNC,
                       "mproc_process_create: \"%s\" is not in the registry given to mproc_init()",
                       function);
  p = calloc(1, sizeof *p);
  if (!p)
    return mproc__fail(MPROC_ENOMEM, "mproc_process_create: out of memory");
  p->live = PROCESS_LIVE;
  p->os.chan.rd = p->os.chan.wr = p->os.handle = MPROC__NO_HANDLE;
  p->daemon = options && options->daemon;
  p->function = mproc__strdup(function);
  st = make_identity(p, options ? options->name : NULL);
  if (st == MPROC_OK && !p->function)
    st = MPROC_ENOMEM;
  if (st != MPROC_OK)
    st = mproc__fail(st, "mproc_process_create: out of memory");
  if (st == MPROC_OK)
    st = mproc__args_encode(args, &p->args, &p->args_len);
  if (st != MPROC_OK) {
    process_free(p);
    return st;
  }
  *process = p;
  return MPROC_OK;
}

mproc_status mproc__child_start(mproc__proc *os, const mproc__start *spec) {
  mproc__start c = *spec;
  uint8_t *start;
  size_t len;
  char marker[64];
  const char *exe;
  mproc_status st = mproc__executable_get(&exe);
  c.parent_pid = mproc__self_pid();
  if (st != MPROC_OK || (st = mproc__start_encode(&c, &start, &len)) != MPROC_OK)
    return st;
  snprintf(marker, sizeof marker, "%s%d:", MPROC__MARKER_PREFIX, MPROC_PROTOCOL_VERSION);
  /* Output the parent wrote before the child existed must come out first. */
  fflush(stdout);
  fflush(stderr);
  /* No lock: a spawn passes only the handles it names (an explicit list on
   * Windows, dup2 + close-from or close-on-exec on POSIX), so the workers of a
   * pool start in parallel. */
  st = mproc__proc_spawn(os, exe, marker, c.new_group);
  if (st == MPROC_OK) {
    st = mproc__frame_send(&os->chan, MPROC__FRAME_START, start, len);
    if (st != MPROC_OK) {
      /* The child cannot run without START: make sure it is gone. A child
       * gone already never read it: no mproc program does that. */
      int gone = mproc__proc_wait(os, 0) == MPROC_OK;
      mproc__proc_signal(os, 1);
      mproc__proc_wait(os, MPROC_WAIT_FOREVER);
      mproc__proc_release(os);
      if (gone)
        st = mproc__fail(MPROC_EPROTO,
                         "the child ended before it read its START, so it never ran mproc's "
                         "bootstrap: is %s an mproc program whose main() calls mproc_init() "
                         "first? (%s)",
                         exe, mproc_last_error());
    }
  }
  free(start);
  return st;
}

static void list_add(mproc_process *p) {
  mproc__lock();
  p->prev = NULL;
  p->next = children;
  if (children)
    children->prev = p;
  children = p;
  mproc__unlock();
}

static void list_remove(mproc_process *p) {
  mproc__lock();
  if (p->prev)
    p->prev->next = p->next;
  else
    children = p->next;
  if (p->next)
    p->next->prev = p->prev;
  mproc__unlock();
}

mproc_status mproc_process_start(mproc_process *p) {
  mproc__start spec;
  mproc_status st = check(p, "mproc_process_start");
  if (st != MPROC_OK)
    return st;
  if (p->state != P_CREATED)
    return mproc__fail(MPROC_ESTATE, "mproc_process_start: %s was already started", p->name);
  if (mproc_self_is_daemon())
    return mproc__fail(MPROC_EDAEMON, "mproc_process_start: %s is daemonic", mproc_self_name());
  spec.function = p->function;
  spec.name = p->name;
  spec.identity = p->identity;
  spec.daemon = p->daemon;
  spec.new_group = 0;
  spec.args = p->args;
  spec.args_len = p->args_len;
  st = mproc__child_start(&p->os, &spec);
  if (st != MPROC_OK)
    return st;
  p->state = P_STARTED;
  list_add(p);
  return MPROC_OK;
}

/* Reaps without waiting when no other thread is joining; MPROC_OK once exited. */
static mproc_status poll_exit(mproc_process *p) {
  mproc_status st = MPROC_ETIMEDOUT;
  int sweep = 0;
  if (p->state == P_EXITED)
    return MPROC_OK;
  mproc__lock();
  if (!p->waiting)
    st = mproc__proc_wait(&p->os, 0);
  if (st == MPROC_OK)
    sweep = exited(p);
  mproc__unlock();
  if (sweep)
    mproc__sweep(p->os.pid);
  return st;
}

mproc_status mproc_process_join(mproc_process *p, int64_t timeout_ms) {
  int sweep = 0;
  mproc_status st = check(p, "mproc_process_join");
  if (st != MPROC_OK)
    return st;
  if (p->state == P_CREATED)
    return mproc__fail(MPROC_ESTATE, "mproc_process_join: %s was not started", p->name);
  if (p->state == P_EXITED)
    return MPROC_OK;
  mproc__lock();
  p->waiting++;
  mproc__unlock();
  st = mproc__proc_wait(&p->os, timeout_ms < 0 ? MPROC_WAIT_FOREVER : timeout_ms);
  mproc__lock();
  p->waiting--;
  if (st == MPROC_OK)
    sweep = exited(p);
  mproc__unlock();
  if (sweep)
    mproc__sweep(p->os.pid);
  if (st == MPROC_ETIMEDOUT)
    mproc__fail(st, "mproc_process_join: %s still running after %lld ms", p->name,
                (long long)timeout_ms);
  if (st == MPROC_OK && p->no_bootstrap)
    st = mproc__fail(MPROC_EPROTO,
                     "mproc_process_join: %s (pid %lld) ended without running mproc's bootstrap: "
                     "is %s an mproc program whose main() calls mproc_init() first? (exit code "
                     "1)",
                     p->name, (long long)p->os.pid, mproc__executable());
  return st;
}

mproc_status mproc_process_is_alive(mproc_process *p, int *alive) {
  mproc_status st = check(p, "mproc_process_is_alive");
  if (st != MPROC_OK)
    return st;
  if (!alive)
    return mproc__fail(MPROC_EINVAL, "mproc_process_is_alive: alive is NULL");
  *alive = p->state == P_STARTED && poll_exit(p) != MPROC_OK;
  return MPROC_OK;
}

mproc_status mproc__process_ended(mproc_process *p, int *ended, const char *fn) {
  mproc_status st = check(p, fn);
  if (st == MPROC_OK && p->state == P_CREATED)
    st = mproc__fail(MPROC_ESTATE, "%s: %s was not started", fn, p->name);
  if (st == MPROC_OK)
    *ended = poll_exit(p) == MPROC_OK;
  return st;
}

mproc_status mproc_process_exitcode(mproc_process *p, int *exitcode) {
  mproc_status st = check(p, "mproc_process_exitcode");
  if (st != MPROC_OK)
    return st;
  if (!exitcode)
    return mproc__fail(MPROC_EINVAL, "mproc_process_exitcode: exitcode is NULL");
  if (p->state == P_CREATED)
    return mproc__fail(MPROC_ESTATE, "mproc_process_exitcode: %s was not started", p->name);
  if (poll_exit(p) != MPROC_OK)
    return mproc__fail(MPROC_ESTATE, "mproc_process_exitcode: %s is still running", p->name);
  *exitcode = p->os.exitcode;
  return MPROC_OK;
}

mproc_status mproc_process_pid(const mproc_process *p, int64_t *pid) {
  mproc_status st = check(p, "mproc_process_pid");
  if (st != MPROC_OK)
    return st;
  if (!pid)
    return mproc__fail(MPROC_EINVAL, "mproc_process_pid: pid is NULL");
  if (p->state == P_CREATED)
    return mproc__fail(MPROC_ESTATE, "mproc_process_pid: %s was not started", p->name);
  *pid = p->os.pid;
  return MPROC_OK;
}

const char *mproc_process_name(const mproc_process *p) {
  return !p ? "(null)" : p->live != PROCESS_LIVE ? "(destroyed)" : p->name;
}

static mproc_status signal_process(mproc_process *p, int force, const char *fn) {
  mproc_status st = check(p, fn);
  if (st != MPROC_OK)
    return st;
  if (p->state == P_CREATED)
    return mproc__fail(MPROC_ESTATE, "%s: %s was not started", fn, p->name);
  if (p->state == P_EXITED)
    return MPROC_OK;
  return mproc__proc_signal(&p->os, force);
}

mproc_status mproc_process_terminate(mproc_process *p) {
  return signal_process(p, 0, "mproc_process_terminate");
}

mproc_status mproc_process_kill(mproc_process *p) {
  return signal_process(p, 1, "mproc_process_kill");
}

mproc_status mproc_process_destroy(mproc_process *p) {
  mproc_status st = check(p, "mproc_process_destroy");
  if (st != MPROC_OK)
    return st;
  if (p->state == P_STARTED && poll_exit(p) != MPROC_OK)
    return mproc__fail(MPROC_ESTATE, "mproc_process_destroy: %s is still running; join it first",
                       p->name);
  if (p->state == P_EXITED) {
    list_remove(p);
    mproc__proc_release(&p->os);
  }
  process_free(p);
  return MPROC_OK;
}

mproc_status mproc_children_active(mproc_process **list, size_t capacity, size_t *count) {
  mproc_process *p;
  size_t n = 0;
  if (!count || (!list && capacity))
    return mproc__fail(MPROC_EINVAL, "mproc_children_active: NULL argument");
  if (!mproc__is_initialized())
    return mproc__fail(MPROC_ENOTINIT, "mproc_children_active: call mproc_init() first");
  mproc__lock();
  for (p = children; p; p = p->next) {
    if (p->state == P_STARTED && !p->waiting && mproc__proc_wait(&p->os, 0) == MPROC_OK)
      exited_and_swept(p);
    if (p->state != P_STARTED)
      continue;
    if (n < capacity)
      list[n] = p;
    n++;
  }
  mproc__unlock();
  *count = n;
  return MPROC_OK;
}

/*
 * At exit, as Python: daemonic children are terminated (killed if they ignore
 * it for a second), the others joined. Objects are not freed: the process is
 * ending, and the user may still hold pointers to them in other threads.
 */
void mproc__children_at_exit(void) {
  mproc_process *p;
  mproc__lock();
  for (p = children; p; p = p->next)
    if (p->state == P_STARTED && p->daemon && mproc__proc_wait(&p->os, 0) != MPROC_OK)
      mproc__proc_signal(&p->os, 0);
  for (p = children; p; p = p->next) {
    if (p->state != P_STARTED || p->waiting)
      continue;
    if (p->daemon && mproc__proc_wait(&p->os, 1000) != MPROC_OK)
      mproc__proc_signal(&p->os, 1);
    if (mproc__proc_wait(&p->os, MPROC_WAIT_FOREVER) == MPROC_OK)
      exited_and_swept(p);
  }
  mproc__unlock();
}

/* Ends one child after the grace: asked (SIGTERM), then made to (SIGKILL) a
 * second later; reaped unless another thread is joining it (that thread
 * reaps it; a signal is all this one may send). Lock held. */
static void end_child(mproc_process *p) {
  mproc__proc_signal(&p->os, 0);
  if (p->waiting)
    return;
  if (mproc__proc_wait(&p->os, 1000) != MPROC_OK) {
    mproc__proc_signal(&p->os, 1);
    mproc__proc_wait(&p->os, MPROC_WAIT_FOREVER);
  }
  exited_and_swept(p);
}

/* Reaps the children that ended (but those another thread is joining: it
 * reaps them); how many still run. */
static int still_running(void) {
  mproc_process *p;
  int n = 0;
  mproc__lock();
  for (p = children; p; p = p->next)
    if (p->state == P_STARTED && (p->waiting || mproc__proc_wait(&p->os, 0) != MPROC_OK))
      n++;
    else if (p->state == P_STARTED)
      exited_and_swept(p);
  mproc__unlock();
  return n;
}

void mproc__children_interrupted(int64_t grace_ms) {
  int64_t deadline = mproc__deadline(grace_ms);
  mproc_process *p;
  mproc__lock();
  for (p = children; p; p = p->next) /* daemons end at once, as at exit */
    if (p->state == P_STARTED && p->daemon)
      mproc__proc_signal(&p->os, 0);
  mproc__unlock();
  /* The grace, without the lock: a thread joining a child records its end. */
  while (still_running() > 0 && mproc__remaining(deadline) > 0)
    apr_sleep(10000);
  mproc__lock();
  for (p = children; p; p = p->next)
    if (p->state == P_STARTED)
      end_child(p);
  mproc__unlock();
}
