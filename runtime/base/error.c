/*
 * The status table and the per-thread detail of the last failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <apr_errno.h>

#include "base/base.h"

#if MPROC_ERRSPACE_START != APR_OS_START_USERERR
#error "MPROC_ERRSPACE_START must equal APR_OS_START_USERERR"
#endif

static MPROC__TLS char last_error[512];
static MPROC__TLS char os_message[256];

static const char *own_message(mproc_status status) {
  switch (status) {
#define MPROC__STATUS_MSG(name, off, msg)                                                          \
  case MPROC_##name:                                                                               \
    return msg;
    MPROC_STATUS_MAP(MPROC__STATUS_MSG)
#undef MPROC__STATUS_MSG
  default:
    return NULL;
  }
}

const char *mproc_strerror(mproc_status status) {
  const char *own;
  if (status == MPROC_OK)
    return "success";
  own = own_message(status);
  if (own)
    return own;
  return apr_strerror(status, os_message, sizeof os_message);
}

const char *mproc_status_name(mproc_status status) {
  switch (status) {
  case MPROC_OK:
    return "MPROC_OK";
#define MPROC__STATUS_NAME(name, off, msg)                                                         \
  case MPROC_##name:                                                                               \
    return "MPROC_" #name;
    MPROC_STATUS_MAP(MPROC__STATUS_NAME)
#undef MPROC__STATUS_NAME
  default:
    return "OS";
  }
}

mproc_status mproc__check_reserved(const uint64_t *words, size_t n, const char *fn,
                                   const char *what) {
  size_t i;
  for (i = 0; i < n; i++)
    if (words[i])
      return mproc__fail(MPROC_EINVAL,
                         "%s: %s has a non-zero reserved word: zero-initialise it ({0} or "
                         "designated initializers)",
                         fn, what);
  return MPROC_OK;
}

int mproc_status_held(mproc_status status) {
  return status == MPROC_OK || status == MPROC_EOWNERDEAD;
}

const char *mproc_last_error(void) { return last_error; }

/* Formats into a local buffer first: callers may pass mproc_last_error() itself
 * as an argument, to wrap the detail of a deeper failure. */
mproc_status mproc__fail(mproc_status status, const char *fmt, ...) {
  char buf[sizeof last_error];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  memcpy(last_error, buf, sizeof buf);
  return status;
}

mproc_status mproc__fail_os(int os_error, const char *call, const char *fmt, ...) {
  char what[256];
  char msg[200];
  size_t n;
  mproc_status status = APR_FROM_OS_ERROR(os_error);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  apr_strerror(status, msg, sizeof msg);
  /* Windows' system messages end in ".  \r\n"-style padding. */
  for (n = strlen(msg); n && (msg[n - 1] == ' ' || msg[n - 1] == '\r' || msg[n - 1] == '\n'); n--)
    msg[n - 1] = 0;
  mproc__fail(status, "%s(%s): %s (OS error %d)", call, what, msg, os_error);
  return status ? status : MPROC_EINVAL;
}
