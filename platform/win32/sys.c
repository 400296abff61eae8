/*
 * Windows process-wide facts: UTF-8/UTF-16 conversion, executable path, pid,
 * CPUs, liveness, immediate exit, stdout buffering; and what every named
 * object shares: the owner-only security descriptor, the Local\ names, the
 * (absent) listing of names.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#include <psapi.h> /* after <windows.h> */

/* ---- UTF-8 <-> UTF-16 -------------------------------------------------- */

mproc_status mproc__win32_utf8_to_wide(const char *s, WCHAR **out) {
  WCHAR *w;
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  if (n <= 0)
    return mproc__fail_os((int)GetLastError(), "MultiByteToWideChar", "\"%.200s\"", s);
  w = malloc((size_t)n * sizeof *w);
  if (!w)
    return mproc__fail(MPROC_ENOMEM, "UTF-16 conversion: out of memory");
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
    DWORD err = GetLastError();
    free(w);
    return mproc__fail_os((int)err, "MultiByteToWideChar", "\"%.200s\"", s);
  }
  *out = w;
  return MPROC_OK;
}

mproc_status mproc__win32_wide_to_utf8(const WCHAR *w, char **out) {
  char *s;
  int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, NULL, 0, NULL, NULL);
  if (n <= 0)
    return mproc__fail_os((int)GetLastError(), "WideCharToMultiByte", "UTF-16 to UTF-8");
  s = malloc((size_t)n);
  if (!s)
    return mproc__fail(MPROC_ENOMEM, "UTF-8 conversion: out of memory");
  if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, s, n, NULL, NULL) != n) {
    DWORD err = GetLastError();
    free(s);
    return mproc__fail_os((int)err, "WideCharToMultiByte", "UTF-16 to UTF-8");
  }
  *out = s;
  return MPROC_OK;
}

/* ---- process-wide facts ------------------------------------------------ */

/* TerminateProcess, not exit()/ExitProcess(): no atexit handler, no CRT
 * teardown and no DLL_PROCESS_DETACH, which could deadlock on a loader or CRT
 * lock held by a thread the dead parent left mid-call. */
MPROC__NORETURN void mproc__exit_now(int code) {
  TerminateProcess(GetCurrentProcess(), (UINT)code);
  ExitProcess((UINT)code); /* not reached: TerminateProcess on self does not return */
}

mproc_status mproc__exit_with_parent(int64_t parent_pid) {
  /* A job object would end children with their parent's process, but not
   * with the thread that spawned them: the worker keeps its reading thread. */
  (void)parent_pid;
  return mproc__fail(MPROC_ENOTSUP, "ending with the parent");
}

int64_t mproc__self_pid(void) { return (int64_t)GetCurrentProcessId(); }

/* The performance counter, not GetTickCount64(), which moves in steps of the
 * timer interrupt (~15.6 ms): a 10 ms timeout must not end after 0 or 15.
 * Whole seconds and the remainder are scaled apart, so ticks * 1000 never
 * overflows whatever the frequency (fixed at boot; 10 MHz since Windows 10,
 * the TSC's GHz before). Neither call fails since Windows XP. */
int64_t mproc__now_ms(void) {
  LARGE_INTEGER now, freq;
  QueryPerformanceCounter(&now);
  QueryPerformanceFrequency(&freq);
  return now.QuadPart / freq.QuadPart * 1000 + now.QuadPart % freq.QuadPart * 1000 / freq.QuadPart;
}

int64_t mproc__now_us(void) {
  LARGE_INTEGER now, freq;
  QueryPerformanceCounter(&now);
  QueryPerformanceFrequency(&freq);
  return now.QuadPart / freq.QuadPart * 1000000 +
         now.QuadPart % freq.QuadPart * 1000000 / freq.QuadPart;
}

int64_t mproc__fd_limit(void) { return -1; }
int mproc__last_os_error(void) { return (int)GetLastError(); }

/* The MS CRT has no line buffering (_IOLBF is full buffering), so unbuffered
 * is the only way to keep parents' and children's lines from mixing late. */
void mproc__stdio_line_buffered(void) { setvbuf(stdout, NULL, _IONBF, 0); }

int mproc__cpu_count(void) {
  DWORD_PTR mine, system;
  DWORD n;
  /* With one processor group, the process affinity mask says which CPUs this
   * process may use (what a pool should size to, as sched_getaffinity on
   * Linux); with several groups the mask covers only one, so count them all. */
  if (GetActiveProcessorGroupCount() == 1 &&
      GetProcessAffinityMask(GetCurrentProcess(), &mine, &system) && mine) {
    int bits = 0;
    for (; mine; mine &= mine - 1)
      bits++;
    return bits;
  }
  n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
  if (n == 0) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    n = si.dwNumberOfProcessors;
  }
  return n > 0 ? (int)n : 1;
}

mproc_status mproc__exe_path(char **path) {
  /* Paths may exceed MAX_PATH (long-path aware systems, \\?\ prefixes): grow
   * until the whole name fits, up to the 32767-character limit. */
  DWORD cap = MAX_PATH, n;
  WCHAR *buf = NULL;
  mproc_status st;
  for (;;) {
    WCHAR *grown = realloc(buf, cap * sizeof *buf);
    if (!grown) {
      free(buf);
      return mproc__fail(MPROC_ENOMEM, "executable path: out of memory");
    }
    buf = grown;
    n = GetModuleFileNameW(NULL, buf, cap);
    if (n == 0) {
      DWORD err = GetLastError();
      free(buf);
      return mproc__fail_os((int)err, "GetModuleFileNameW", "NULL");
    }
    if (n < cap)
      break; /* n == cap means truncated */
    if (cap >= 65536) {
      free(buf);
      return mproc__fail(MPROC_ERANGE, "GetModuleFileNameW: path longer than %lu characters",
                         (unsigned long)cap);
    }
    cap *= 2;
  }
  st = mproc__win32_wide_to_utf8(buf, path);
  free(buf);
  return st;
}

int mproc__pid_alive(int64_t pid) {
  HANDLE h;
  DWORD r;
  if (pid <= 0 || pid > (int64_t)0xFFFFFFFF)
    return 0;
  h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
  if (!h)
    /* Someone else's (or a protected) process exists but may not be opened. */
    return GetLastError() == ERROR_ACCESS_DENIED;
  /* A process object outlives the process while handles to it are open:
   * signalled means exited (the Windows counterpart of a zombie). */
  r = WaitForSingleObject(h, 0);
  CloseHandle(h);
  return r == WAIT_TIMEOUT;
}

/* ---- named objects: security, names, listing --------------------------- */

/* The SID of this process's token user. The process token, not a thread's
 * impersonation token: the children that open the objects run with it. */
static mproc_status token_user(mproc__win32_owner_only *o) {
  HANDLE token;
  DWORD len = 0, err;
  BOOL ok;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    return mproc__fail_os((int)GetLastError(), "OpenProcessToken", "TOKEN_QUERY");
  ok = GetTokenInformation(token, TokenUser, o->user.bytes, (DWORD)sizeof o->user.bytes, &len);
  err = GetLastError();
  CloseHandle(token);
  if (!ok)
    return mproc__fail_os((int)err, "GetTokenInformation", "TokenUser");
  return MPROC_OK;
}

/* One ACE: all access for @sid. The object manager maps GENERIC_ALL to the
 * object type's own all-access right when it stores the descriptor. */
static mproc_status owner_dacl(mproc__win32_owner_only *o, PSID sid) {
  if (!InitializeAcl(&o->dacl.acl, (DWORD)sizeof o->dacl.bytes, ACL_REVISION))
    return mproc__fail_os((int)GetLastError(), "InitializeAcl", "%u bytes",
                          (unsigned)sizeof o->dacl.bytes);
  if (!AddAccessAllowedAce(&o->dacl.acl, ACL_REVISION, GENERIC_ALL, sid))
    return mproc__fail_os((int)GetLastError(), "AddAccessAllowedAce", "GENERIC_ALL, token user");
  return MPROC_OK;
}

mproc_status mproc__win32_owner_only_sa(mproc__win32_owner_only *o) {
  mproc_status st = token_user(o);
  if (st == MPROC_OK)
    st = owner_dacl(o, o->user.user.User.Sid);
  if (st != MPROC_OK)
    return st;
  if (!InitializeSecurityDescriptor(&o->sd, SECURITY_DESCRIPTOR_REVISION) ||
      !SetSecurityDescriptorDacl(&o->sd, TRUE, &o->dacl.acl, FALSE) ||
      /* Protected: the object gets exactly this DACL, no ACE inherited from
       * the BaseNamedObjects directory. */
      !SetSecurityDescriptorControl(&o->sd, SE_DACL_PROTECTED, SE_DACL_PROTECTED))
    return mproc__fail_os((int)GetLastError(), "SetSecurityDescriptorDacl", "owner-only");
  o->sa.nLength = (DWORD)sizeof o->sa;
  o->sa.lpSecurityDescriptor = &o->sd;
  o->sa.bInheritHandle = FALSE; /* a spawn passes exactly the handles it names */
  return MPROC_OK;
}

mproc_status mproc__win32_object_name(const char *name, const char *suffix, WCHAR **out) {
  char buf[96]; /* runtime names are under 48 characters */
  int n = snprintf(buf, sizeof buf, "Local\\%s%s", name, suffix);
  if (n < 0 || (size_t)n >= sizeof buf)
    return mproc__fail(MPROC_EINVAL, "object name \"%.60s\": too long", name);
  return mproc__win32_utf8_to_wide(buf, out);
}

/* Windows destroys a named object with its last handle, and a process's
 * handles are closed when it ends however it ends (even TerminateProcess):
 * a killed creator leaves no name behind, so there is nothing to sweep, and
 * no API lists a namespace directory short of the native NtQueryDirectoryObject.
 * The leftover-names test fixture SKIPs on ENOTSUP by design. */
mproc_status mproc__names_list(mproc__name_fn fn, void *arg) {
  (void)fn;
  (void)arg;
  return mproc__fail(MPROC_ENOTSUP, "listing named objects: not needed on Windows, where an "
                                    "object vanishes with its last handle");
}

/* K32GetProcessMemoryInfo lives in kernel32 since Windows 7: no psapi link. */
int64_t mproc__self_rss_kib(void) {
  PROCESS_MEMORY_COUNTERS pmc;
  if (!K32GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc))
    return 0;
  return (int64_t)(pmc.WorkingSetSize / 1024);
}
