/*
 * Windows child processes.
 *
 * Sections: argument quoting (the MS C runtime's rules), the kill-on-close
 * job object, spawn (CreateProcessW with an explicit handle list), wait,
 * signal, release.
 *
 * What a child inherits: inheritable duplicates of the parent's standard
 * handles and of its two channel ends, named in a
 * PROC_THREAD_ATTRIBUTE_HANDLE_LIST, and nothing else -- not even handles the
 * user's code made inheritable, which bInheritHandles=TRUE alone (APR's
 * apr_proc_create) would pass on. The duplicates live only for the duration
 * of the spawn: outside it nothing mproc holds is inheritable. (Inside it, a
 * foreign CreateProcess(bInheritHandles=TRUE) without a handle list on another
 * thread could still pick them up; only DuplicateHandle into the child, as
 * CPython does, would close that window.)
 *
 * Exit codes follow CPython on Windows: terminate() and kill() end the child
 * with 0x10000 + SIGTERM/SIGKILL, and wait reports that back as -15/-9; a
 * crash's NTSTATUS reads as the signal it stands for (internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- argument quoting -------------------------------------------------- */

static void put(char *out, size_t *n, char c, size_t count) {
  while (count--) {
    if (out)
      out[*n] = c;
    (*n)++;
  }
}

/*
 * The CRT's rules: 2n backslashes before a quote are n backslashes and the
 * quote delimits; 2n+1 are n backslashes and a literal quote; backslashes
 * anywhere else are literal. So: double the backslashes that precede a quote
 * (including the closing one we add) and escape the quote itself.
 *
 * The executable is quoted with the same function although the CRT reads
 * argv[0] by a simpler rule (up to the next quote, no escapes): Windows file
 * names cannot contain quotes and an executable's path does not end with a
 * backslash, so for a path both rules read back the same string.
 */
size_t mproc__win32_quote_arg(char *out, const char *arg) {
  size_t n = 0;
  int quote = *arg == '\0' || strpbrk(arg, " \t\n\v") != NULL;
  const char *p = arg;
  if (quote)
    put(out, &n, '"', 1);
  for (;;) {
    size_t backslashes = 0;
    while (*p == '\\') {
      backslashes++;
      p++;
    }
    if (*p == '\0') {
      /* Before our closing quote they must be doubled; otherwise literal. */
      put(out, &n, '\\', quote ? 2 * backslashes : backslashes);
      break;
    }
    if (*p == '"') {
      put(out, &n, '\\', 2 * backslashes + 1);
      put(out, &n, '"', 1);
    } else {
      put(out, &n, '\\', backslashes);
      put(out, &n, *p, 1);
    }
    p++;
  }
  if (quote)
    put(out, &n, '"', 1);
  if (out)
    out[n] = '\0';
  return n;
}

/* ---- the job object ---------------------------------------------------- */

/*
 * Every child goes into one process-wide job that kills its members when its
 * last handle closes -- that is, when this process ends, however it ends.
 * Created on first use; NULL if the OS refused (the spawn goes on: the
 * channel watchdog in the child is the guarantee, the job a faster backstop).
 */
static INIT_ONCE job_once = INIT_ONCE_STATIC_INIT;
static HANDLE job;

static BOOL CALLBACK create_job(PINIT_ONCE once, PVOID param, PVOID *context) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
  /* NULL security attributes: the job handle is not inheritable, so no child
   * can keep the job (and so its siblings) alive after this process is gone. */
  HANDLE h = CreateJobObjectW(NULL, NULL);
  (void)once;
  (void)param;
  (void)context;
  if (h) {
    memset(&info, 0, sizeof info);
    /* BREAKAWAY_OK: a user's child may still start a process that must
     * outlive the pool, by asking for CREATE_BREAKAWAY_FROM_JOB. */
    info.BasicLimitInformation.LimitFlags =
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_BREAKAWAY_OK;
    if (!SetInformationJobObject(h, JobObjectExtendedLimitInformation, &info, sizeof info)) {
      CloseHandle(h);
      h = NULL;
    }
  }
  job = h;
  return TRUE;
}

static HANDLE the_job(void) {
  if (!InitOnceExecuteOnce(&job_once, create_job, NULL, NULL))
    return NULL;
  return job;
}

/* ---- spawn ------------------------------------------------------------- */

/* Everything a spawn holds until CreateProcessW has run. */
typedef struct spawn_ctx {
  HANDLE parent_rd, parent_wr; /* the parent's ends, non-inheritable */
  HANDLE child_rd, child_wr;   /* inheritable copies of the child's ends */
  HANDLE std[3];               /* inheritable copies of stdin/out/err, or NULL */
  HANDLE list[5];              /* what the child inherits: no duplicates */
  DWORD nlist;
  LPPROC_THREAD_ATTRIBUTE_LIST attrs;
  WCHAR *wexe, *wcmd;
} spawn_ctx;

/* An inheritable duplicate of @h in *copy (NULL on failure); with
 * @close_source the source is closed too -- even when the call fails. */
static BOOL inheritable_copy(HANDLE h, HANDLE *copy, int close_source) {
  if (DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), copy, 0, TRUE,
                      DUPLICATE_SAME_ACCESS | (close_source ? DUPLICATE_CLOSE_SOURCE : 0)))
    return TRUE;
  *copy = NULL;
  return FALSE;
}

/* Two pipes; the child's ends are turned into inheritable copies (the
 * non-inheritable originals are closed by DuplicateHandle). */
static mproc_status make_channel(spawn_ctx *s) {
  HANDLE to_child_rd, from_child_wr;
  mproc_status st = mproc__win32_pipe(&to_child_rd, &s->parent_wr);
  if (st != MPROC_OK)
    return st;
  st = mproc__win32_pipe(&s->parent_rd, &from_child_wr);
  if (st != MPROC_OK) {
    CloseHandle(to_child_rd);
    return st;
  }
  if (!inheritable_copy(to_child_rd, &s->child_rd, 1)) {
    DWORD err = GetLastError();
    CloseHandle(from_child_wr);
    return mproc__fail_os((int)err, "DuplicateHandle", "channel read end, inheritable");
  }
  if (!inheritable_copy(from_child_wr, &s->child_wr, 1))
    return mproc__fail_os((int)GetLastError(), "DuplicateHandle", "channel write end, inheritable");
  return MPROC_OK;
}

static void list_add(spawn_ctx *s, HANDLE h) {
  DWORD i;
  /* Windows 7 console handles are pseudo-handles (low two bits set) that the
   * console passes on by itself and that a handle list rejects. */
  if (!h || ((uintptr_t)h & 3) == 3)
    return;
  for (i = 0; i < s->nlist; i++)
    if (s->list[i] == h)
      return;
  s->list[s->nlist++] = h;
}

/* The standard handles the child gets: inheritable copies of ours, one copy
 * per distinct handle (stdout and stderr are often the same). A missing or
 * unusable one is skipped: the child simply has no such stream, as ours. */
static void copy_std_handles(spawn_ctx *s) {
  static const DWORD ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
  HANDLE src[3];
  int i, j;
  for (i = 0; i < 3; i++) {
    src[i] = GetStdHandle(ids[i]);
    s->std[i] = NULL;
    if (src[i] == NULL || src[i] == INVALID_HANDLE_VALUE)
      continue;
    for (j = 0; j < i; j++)
      if (src[j] == src[i] && s->std[j])
        s->std[i] = s->std[j];
    if (!s->std[i])
      inheritable_copy(src[i], &s->std[i], 0);
  }
}

static mproc_status make_attrs(spawn_ctx *s) {
  SIZE_T size = 0;
  list_add(s, s->child_rd);
  list_add(s, s->child_wr);
  list_add(s, s->std[0]);
  list_add(s, s->std[1]);
  list_add(s, s->std[2]);
  /* The sizing call "fails" with ERROR_INSUFFICIENT_BUFFER by design. */
  InitializeProcThreadAttributeList(NULL, 1, 0, &size);
  s->attrs = malloc(size);
  if (!s->attrs)
    return mproc__fail(MPROC_ENOMEM, "spawn: out of memory");
  if (!InitializeProcThreadAttributeList(s->attrs, 1, 0, &size)) {
    DWORD err = GetLastError();
    free(s->attrs);
    s->attrs = NULL;
    return mproc__fail_os((int)err, "InitializeProcThreadAttributeList", "1 attribute");
  }
  if (!UpdateProcThreadAttribute(s->attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, s->list,
                                 s->nlist * sizeof s->list[0], NULL, NULL))
    return mproc__fail_os((int)GetLastError(), "UpdateProcThreadAttribute",
                          "PROC_THREAD_ATTRIBUTE_HANDLE_LIST, %lu handles",
                          (unsigned long)s->nlist);
  return MPROC_OK;
}

/* `"exe" <marker><rd>,<wr>`, in UTF-16. */
static mproc_status make_command_line(spawn_ctx *s, const char *exe, const char *marker) {
  char spec[64];
  char *arg, *cmd;
  size_t mlen = strlen(marker), slen, elen, alen;
  mproc_status st;
  snprintf(spec, sizeof spec, "%llu,%llu", (unsigned long long)(uintptr_t)s->child_rd,
           (unsigned long long)(uintptr_t)s->child_wr);
  slen = strlen(spec);
  arg = malloc(mlen + slen + 1);
  if (!arg)
    return mproc__fail(MPROC_ENOMEM, "spawn: out of memory");
  memcpy(arg, marker, mlen);
  memcpy(arg + mlen, spec, slen + 1);
  elen = mproc__win32_quote_arg(NULL, exe);
  alen = mproc__win32_quote_arg(NULL, arg);
  cmd = malloc(elen + 1 + alen + 1);
  if (!cmd) {
    free(arg);
    return mproc__fail(MPROC_ENOMEM, "spawn: out of memory");
  }
  mproc__win32_quote_arg(cmd, exe);
  cmd[elen] = ' ';
  mproc__win32_quote_arg(cmd + elen + 1, arg);
  free(arg);
  st = mproc__win32_utf8_to_wide(cmd, &s->wcmd);
  free(cmd);
  return st;
}

static void spawn_cleanup(spawn_ctx *s) {
  int i, j;
  if (s->child_rd)
    CloseHandle(s->child_rd);
  if (s->child_wr)
    CloseHandle(s->child_wr);
  for (i = 0; i < 3; i++) {
    int shared = 0;
    for (j = 0; j < i; j++)
      shared |= s->std[j] == s->std[i];
    if (s->std[i] && !shared)
      CloseHandle(s->std[i]);
  }
  if (s->attrs) {
    DeleteProcThreadAttributeList(s->attrs);
    free(s->attrs);
  }
  free(s->wexe);
  free(s->wcmd);
}

static mproc_status create_process(spawn_ctx *s, const char *exe, int new_group,
                                   PROCESS_INFORMATION *pi) {
  STARTUPINFOEXW si;
  DWORD flags = CREATE_SUSPENDED | EXTENDED_STARTUPINFO_PRESENT;
  if (new_group)
    flags |= CREATE_NEW_PROCESS_GROUP;
  memset(&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = s->std[0];
  si.StartupInfo.hStdOutput = s->std[1];
  si.StartupInfo.hStdError = s->std[2];
  si.lpAttributeList = s->attrs;
  /* The application name is given explicitly: no search, and no guessing
   * where an unquoted path with spaces ends. bInheritHandles=TRUE is
   * restricted to the handle list. */
  if (!CreateProcessW(s->wexe, s->wcmd, NULL, NULL, TRUE, flags, NULL, NULL, &si.StartupInfo, pi))
    return mproc__fail_os((int)GetLastError(), "CreateProcessW", "%s", exe);
  return MPROC_OK;
}

/* The child is still suspended: put it in the job before it runs a single
 * instruction, so that nothing it starts can escape the job either. */
static mproc_status start_child(PROCESS_INFORMATION *pi, const char *exe) {
  HANDLE j = the_job();
  /* Failure is tolerated: before Windows 8 a process already in a job (under
   * a CI runner, a service manager, or a nested mproc child) cannot join
   * another, and a sandbox may forbid it. The channel watchdog in the child
   * is the guarantee: it still ends the child when this process dies. */
  if (j)
    AssignProcessToJobObject(j, pi->hProcess);
  if (ResumeThread(pi->hThread) == (DWORD)-1) {
    mproc_status st = mproc__fail_os((int)GetLastError(), "ResumeThread", "%s", exe);
    TerminateProcess(pi->hProcess, 1);
    WaitForSingleObject(pi->hProcess, INFINITE);
    CloseHandle(pi->hThread);
    CloseHandle(pi->hProcess);
    return st;
  }
  CloseHandle(pi->hThread);
  return MPROC_OK;
}

mproc_status mproc__proc_spawn(mproc__proc *proc, const char *exe, const char *marker,
                               int new_group) {
  spawn_ctx s;
  PROCESS_INFORMATION pi;
  mproc_status st;
  memset(&s, 0, sizeof s);
  memset(&pi, 0, sizeof pi); /* (filled in only if st is OK: MSVC's C4701 cannot tell) */
  st = make_channel(&s);
  if (st == MPROC_OK) {
    copy_std_handles(&s);
    st = make_attrs(&s);
  }
  if (st == MPROC_OK)
    st = mproc__win32_utf8_to_wide(exe, &s.wexe);
  if (st == MPROC_OK)
    st = make_command_line(&s, exe, marker);
  if (st == MPROC_OK)
    st = create_process(&s, exe, new_group, &pi);
  /* The child has its copies now (or never will): ours must go, or this
   * process would hold the child's ends and never see its end-of-stream. */
  spawn_cleanup(&s);
  if (st == MPROC_OK)
    st = start_child(&pi, exe);
  if (st != MPROC_OK) {
    if (s.parent_rd)
      CloseHandle(s.parent_rd);
    if (s.parent_wr)
      CloseHandle(s.parent_wr);
    return st;
  }
  proc->pid = (int64_t)pi.dwProcessId;
  proc->handle = MPROC__WIN32_HANDLE(pi.hProcess);
  proc->chan.rd = MPROC__WIN32_HANDLE(s.parent_rd);
  proc->chan.wr = MPROC__WIN32_HANDLE(s.parent_wr);
  mproc__store32(&proc->exited, 0);
  proc->exitcode = 0;
  return MPROC_OK;
}

/* ---- wait -------------------------------------------------------------- */

/* The longest finite wait WaitForSingleObject takes (INFINITE is 0xFFFFFFFF). */
#define MAX_FINITE_WAIT ((int64_t)(INFINITE - 1))

/* The NTSTATUS values that stand for a POSIX signal (see internal.h). */
static const struct {
  DWORD status;
  int sig;
} crash_signals[] = {
    {0xC0000005u, 11}, /* STATUS_ACCESS_VIOLATION: SIGSEGV */
    {0xC00000FDu, 11}, /* STATUS_STACK_OVERFLOW: SIGSEGV, as on POSIX */
    {0xC0000409u, 6},  /* STATUS_STACK_BUFFER_OVERRUN (__fastfail): SIGABRT */
    {0xC000013Au, 2},  /* STATUS_CONTROL_C_EXIT: SIGINT */
    {0xC000001Du, 4},  /* STATUS_ILLEGAL_INSTRUCTION: SIGILL */
    {0xC000008Du, 8},  /* STATUS_FLOAT_DENORMAL_OPERAND: SIGFPE, as the next ones */
    {0xC000008Eu, 8},  /* STATUS_FLOAT_DIVIDE_BY_ZERO */
    {0xC000008Fu, 8},  /* STATUS_FLOAT_INEXACT_RESULT */
    {0xC0000090u, 8},  /* STATUS_FLOAT_INVALID_OPERATION */
    {0xC0000091u, 8},  /* STATUS_FLOAT_OVERFLOW */
    {0xC0000092u, 8},  /* STATUS_FLOAT_STACK_CHECK */
    {0xC0000093u, 8},  /* STATUS_FLOAT_UNDERFLOW */
    {0xC0000094u, 8},  /* STATUS_INTEGER_DIVIDE_BY_ZERO */
    {0xC0000095u, 8},  /* STATUS_INTEGER_OVERFLOW (INT_MIN / -1: SIGFPE on POSIX too) */
    {0xC00002B4u, 8},  /* STATUS_FLOAT_MULTIPLE_FAULTS */
    {0xC00002B5u, 8},  /* STATUS_FLOAT_MULTIPLE_TRAPS */
};

int mproc__win32_exit_code(DWORD status) {
  size_t i;
  if (status > MPROC__WIN32_SIGNAL_BASE &&
      status <= MPROC__WIN32_SIGNAL_BASE + MPROC__WIN32_SIGNAL_MAX)
    return -(int)(status - MPROC__WIN32_SIGNAL_BASE);
  for (i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
    if (status == crash_signals[i].status)
      return -crash_signals[i].sig;
  if (status >= 0xFFFFFFC0u) /* exit(-N), N <= 64: 256 - N, never a signal */
    return (int)(status & 0xFFu);
  return (int)status; /* (the negative ones are at most (int)0xFFFFFFBF, -65) */
}

mproc_status mproc__proc_wait(mproc__proc *proc, int64_t timeout_ms) {
  HANDLE h = MPROC__WIN32_H(proc->handle);
  DWORD code;
  if (mproc__load32(&proc->exited))
    return MPROC_OK;
  /* (HANDLE)-1 is GetCurrentProcess(): waiting on it would never return. */
  if (proc->handle == MPROC__NO_HANDLE)
    return mproc__fail(MPROC_ESTATE, "process %lld: no process handle", (long long)proc->pid);
  for (;;) {
    DWORD ms = timeout_ms < 0                 ? INFINITE
               : timeout_ms > MAX_FINITE_WAIT ? (DWORD)MAX_FINITE_WAIT
                                              : (DWORD)timeout_ms;
    DWORD r = WaitForSingleObject(h, ms);
    if (r == WAIT_OBJECT_0)
      break;
    if (r != WAIT_TIMEOUT)
      return mproc__fail_os((int)GetLastError(), "WaitForSingleObject", "process %lld",
                            (long long)proc->pid);
    /* A plain timeout is an answer, not a failure: no detail is recorded. */
    if (timeout_ms <= MAX_FINITE_WAIT)
      return MPROC_ETIMEDOUT;
    timeout_ms -= MAX_FINITE_WAIT;
  }
  if (!GetExitCodeProcess(h, &code))
    return mproc__fail_os((int)GetLastError(), "GetExitCodeProcess", "process %lld",
                          (long long)proc->pid);
  proc->exitcode = mproc__win32_exit_code(code);
  mproc__store32(&proc->exited, 1);
  return MPROC_OK;
}

/* ---- signal, release --------------------------------------------------- */

mproc_status mproc__proc_signal(mproc__proc *proc, int force) {
  HANDLE h = MPROC__WIN32_H(proc->handle);
  UINT code = MPROC__WIN32_SIGNAL_BASE + (force ? MPROC__WIN32_SIGKILL : MPROC__WIN32_SIGTERM);
  DWORD err;
  if (mproc__load32(&proc->exited))
    return MPROC_OK;
  /* (HANDLE)-1 is GetCurrentProcess(): terminating it would end this process. */
  if (proc->handle == MPROC__NO_HANDLE)
    return mproc__fail(MPROC_ESTATE, "process %lld: no process handle", (long long)proc->pid);
  if (TerminateProcess(h, code))
    return MPROC_OK;
  err = GetLastError();
  /* Terminating a process that has already exited fails with access denied. */
  if (err == ERROR_ACCESS_DENIED && WaitForSingleObject(h, 0) == WAIT_OBJECT_0)
    return MPROC_OK;
  return mproc__fail_os((int)err, "TerminateProcess", "process %lld, %s", (long long)proc->pid,
                        force ? "kill" : "terminate");
}

void mproc__proc_release(mproc__proc *proc) {
  mproc__chan_close(&proc->chan);
  if (proc->handle != MPROC__NO_HANDLE && proc->handle != 0)
    CloseHandle(MPROC__WIN32_H(proc->handle));
  proc->handle = MPROC__NO_HANDLE;
}
