/*
 * Private to platform/win32: helpers shared between its files.
 */
#ifndef MPROC_WIN32_INTERNAL_H
#define MPROC_WIN32_INTERNAL_H

#include <windows.h>

#include "base/atomic.h"
#include "platform.h"

/* mproc__handle <-> HANDLE: the runtime stores HANDLEs as intptr_t. */
#define MPROC__WIN32_H(h) ((HANDLE)(h))
#define MPROC__WIN32_HANDLE(h) ((mproc__handle)(h))

/*
 * CPython's convention for terminate()/kill() on Windows: the child ends with
 * exit code 0x10000 + the POSIX signal number, and wait reports -signal, so
 * exit codes mean the same thing on every OS.
 */
#define MPROC__WIN32_SIGNAL_BASE 0x10000u
#define MPROC__WIN32_SIGNAL_MAX 64u
#define MPROC__WIN32_SIGTERM 15u
#define MPROC__WIN32_SIGKILL 9u

/*
 * The exit code mproc reports for a Windows exit status: Python's convention,
 * where minus N means "ended by signal N" (POSIX numbers: the MS CRT's SIGABRT
 * is 22, not 6). Windows has no signals; a crash ends a process with the
 * NTSTATUS of its exception, and those that mean what a POSIX signal means
 * read as that signal:
 *   0x10000 + N (N = 1..64)                 -N   mproc's terminate()/kill()
 *   0xC0000005 STATUS_ACCESS_VIOLATION      -11  SIGSEGV
 *   0xC00000FD STATUS_STACK_OVERFLOW        -11  SIGSEGV, as on POSIX
 *   0xC0000409 STATUS_STACK_BUFFER_OVERRUN  -6   SIGABRT: a fast fail, which is
 *                                                how the UCRT's abort() ends
 *   0xC000013A STATUS_CONTROL_C_EXIT        -2   SIGINT
 *   0xC000001D STATUS_ILLEGAL_INSTRUCTION   -4   SIGILL
 *   0xC0000094/95 STATUS_INTEGER_DIVIDE_BY_ZERO/_OVERFLOW, STATUS_FLOAT_*
 *                                           -8   SIGFPE
 * Nothing else reads as a signal. An exit status that is what exit(-N) leaves
 * (0xFFFFFFC0 to 0xFFFFFFFF) reads as 256 - N, POSIX's 8-bit status for it;
 * every other status is the int the DWORD converts to: 0 to 0x7FFFFFFF as
 * they are (msvcrt's abort() is a plain exit code 3), and the remaining
 * statuses, NTSTATUS errors included, negative but below -64.
 */
int mproc__win32_exit_code(DWORD status);

/*
 * Quotes one argument so that the MS C runtime's (and CommandLineToArgvW's)
 * command-line parser gives it back unchanged. Writes the quoted form and a
 * NUL to @out when @out is not NULL; returns its length without the NUL, so a
 * first call with out == NULL sizes the buffer. Byte-oriented: UTF-8 passes
 * through, as every special character is ASCII.
 */
size_t mproc__win32_quote_arg(char *out, const char *arg);

/* UTF-8 <-> UTF-16 conversions; the result is malloc'ed. Invalid input is an
 * error (ERROR_NO_UNICODE_TRANSLATION), never a silently different path. */
mproc_status mproc__win32_utf8_to_wide(const char *s, WCHAR **out);
mproc_status mproc__win32_wide_to_utf8(const WCHAR *w, char **out);

/* An anonymous pipe whose two handles are both non-inheritable. */
mproc_status mproc__win32_pipe(HANDLE *rd, HANDLE *wr);

/*
 * Security attributes for the named objects mproc creates: not inheritable,
 * and a protected DACL with one ACE granting all access to the user of this
 * process's token, so no other account (not even one in the same session,
 * e.g. started with runas) can open or signal them. Everything lives inside
 * the struct, which must stay where it was filled in while `sa` is used
 * (sa points into it); there is nothing to free.
 */
typedef struct mproc__win32_owner_only {
  SECURITY_ATTRIBUTES sa;
  SECURITY_DESCRIPTOR sd;
  union {
    TOKEN_USER user;
    BYTE bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  } user;
  union {
    ACL acl;
    BYTE bytes[sizeof(ACL) + sizeof(ACCESS_ALLOWED_ACE) + SECURITY_MAX_SID_SIZE];
  } dacl;
} mproc__win32_owner_only;

mproc_status mproc__win32_owner_only_sa(mproc__win32_owner_only *o);

/* The kernel-object name Local\<name><suffix> in UTF-16 (malloc'ed), for a
 * bare runtime name. Local\ is the namespace of this (Terminal Services)
 * session, so objects never meet another session's. */
mproc_status mproc__win32_object_name(const char *name, const char *suffix, WCHAR **out);

#endif
