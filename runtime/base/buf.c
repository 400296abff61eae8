/*
 * Byte buffers and small helpers with no state beyond the thread's own.
 */
#include <stdlib.h>
#include <string.h>

#include "base/atomic.h"
#include "base/base.h"

char *mproc__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}

void mproc__buf_trim(mproc__buf *b, int all) {
  if (all || b->cap > MPROC__BUF_KEEP) {
    free(b->data);
    b->data = NULL;
    b->cap = 0;
  }
}

mproc_status mproc__buf_reserve(mproc__buf *b, size_t n) {
  if (n <= b->cap)
    return MPROC_OK;
  mproc__buf_trim(b, 1);
  if ((b->data = malloc(n)) == NULL)
    return mproc__fail(MPROC_ENOMEM, "out of memory for a frame of %zu bytes", n);
  b->cap = n;
  return MPROC_OK;
}

uint64_t mproc__thread_id(void) {
  static uint32_t next;
  static MPROC__TLS uint64_t id;
  if (!id)
    id = (uint64_t)mproc__add32(&next, 1) + 1;
  return id;
}
