/*
 * Windows Ctrl-C: the console runs control handlers on a thread of its own,
 * so the runtime's callback can run there directly. Pool workers are created
 * with CREATE_NEW_PROCESS_GROUP, so the console's Ctrl-C reaches only the
 * parent, which cancels them.
 */
#include "internal.h"

static void (*on_interrupt)(void);

static BOOL WINAPI handler(DWORD type) {
  if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT)
    return FALSE;
  on_interrupt(); /* does not return: it ends the process */
  return TRUE;
}

mproc_status mproc__interrupt_watch(void (*fn)(void)) {
  if (on_interrupt)
    return MPROC_OK;
  on_interrupt = fn;
  if (!SetConsoleCtrlHandler(handler, TRUE))
    return mproc__fail_os((int)GetLastError(), "SetConsoleCtrlHandler", "install");
  return MPROC_OK;
}
