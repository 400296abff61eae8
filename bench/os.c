/* The per-OS pieces of the pool scenarios: another process's resident
 * memory, and killing a process by id. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* kill(), before any system header */
#endif
#include "bench.h"
#include "base/base.h"

#ifdef _WIN32
#include <windows.h>
#include <psapi.h> /* after <windows.h> */

/* K32GetProcessMemoryInfo lives in kernel32 since Windows 7: no psapi link. */
int64_t bench_rss_kib(int64_t pid) {
  PROCESS_MEMORY_COUNTERS pmc;
  int64_t kib = 0;
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
  if (!h)
    return 0;
  if (K32GetProcessMemoryInfo(h, &pmc, sizeof pmc))
    kib = (int64_t)(pmc.WorkingSetSize / 1024);
  CloseHandle(h);
  return kib;
}

mproc_status bench_kill_pid(int64_t pid) {
  HANDLE h;
  BOOL ok;
  if (pid <= 0)
    return mproc__fail(MPROC_EINVAL, "bench_kill_pid: pid %lld", (long long)pid);
  h = OpenProcess(PROCESS_TERMINATE, FALSE, (DWORD)pid);
  if (!h)
    return mproc__fail_os((int)GetLastError(), "OpenProcess", "%lld", (long long)pid);
  ok = TerminateProcess(h, 9);
  CloseHandle(h);
  return ok ? MPROC_OK
            : mproc__fail_os((int)GetLastError(), "TerminateProcess", "%lld", (long long)pid);
}
#else
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

int64_t bench_rss_kib(int64_t pid) {
#ifdef __linux__
  char path[64], line[256];
  long long kib = 0;
  FILE *f;
  snprintf(path, sizeof path, "/proc/%lld/status", (long long)pid);
  if ((f = fopen(path, "r")) == NULL)
    return 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %lld", &kib) == 1)
      break;
  fclose(f);
  return (int64_t)kib;
#else
  (void)pid; /* macOS: proc_pidinfo would do; not wired up here */
  return 0;
#endif
}

mproc_status bench_kill_pid(int64_t pid) {
  if (pid <= 0) /* kill(0 or -1) would hit a whole process group: never */
    return mproc__fail(MPROC_EINVAL, "bench_kill_pid: pid %lld", (long long)pid);
  if (kill((pid_t)pid, SIGKILL) < 0)
    return mproc__fail_os(errno, "kill", "%lld, SIGKILL", (long long)pid);
  return MPROC_OK;
}
#endif
