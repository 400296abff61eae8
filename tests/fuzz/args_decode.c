/*
 * libFuzzer target: the arguments decoder must reject any input it does not
 * accept with a status, never crash, and re-encode whatever it accepts to the
 * very same bytes (the encoding is canonical).
 */
#include <stdlib.h>
#include <string.h>

#include "wire/args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mproc_args *args = NULL;
  uint8_t *again;
  size_t len;
  if (mproc__args_decode(data, size, &args) != MPROC_OK)
    return 0;
  if (mproc__args_encode(args, &again, &len) != MPROC_OK)
    abort();
  if (len != size || memcmp(again, data, size) != 0)
    abort();
  free(again);
  mproc_args_destroy(args);
  return 0;
}
