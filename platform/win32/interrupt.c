/*
 * Windows ending signals: the console runs control handlers on a thread of
 * its own, so the runtime's callback can run there directly. Pool workers
 * are created with CREATE_NEW_PROCESS_GROUP, so the console's Ctrl-C
 * reaches only the parent, which cancels them. A second event while the
 * callback runs ends the process at once.
 */
#include "internal.h"

static void (*on_signal)(int sig);
static volatile LONG handling;
static volatile LONG received;

static BOOL WINAPI handler(DWORD type) {
  int sig;
  if (type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT)
    sig = MPROC__SIGINT;
  else if (type == CTRL_CLOSE_EVENT || type == CTRL_LOGOFF_EVENT || type == CTRL_SHUTDOWN_EVENT)
    sig = MPROC__SIGTERM;
  else
    return FALSE;
  if (InterlockedExchange(&handling, 1) != 0)
    mproc__exit_signalled(sig); /* the second one: now */
  InterlockedExchange(&received, sig);
  on_signal(sig); /* does not return: it ends the process */
  return TRUE;
}

int mproc__signal_received(void) { return (int)received; }

MPROC__NORETURN void mproc__exit_signalled(int sig) {
  TerminateProcess(GetCurrentProcess(), MPROC__WIN32_SIGNAL_BASE + (UINT)sig);
  ExitProcess(MPROC__WIN32_SIGNAL_BASE + (UINT)sig); /* not reached */
}

mproc_status mproc__signals_watch(void (*fn)(int sig)) {
  if (on_signal)
    return MPROC_OK;
  on_signal = fn;
  if (!SetConsoleCtrlHandler(handler, TRUE))
    return mproc__fail_os((int)GetLastError(), "SetConsoleCtrlHandler", "install");
  return MPROC_OK;
}
