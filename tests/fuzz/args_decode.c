/*
 * libFuzzer target: the arguments decoder must reject any input it does not
 * accept with a status, never crash, and re-encode whatever it accepts to the
 * very same bytes (the encoding is canonical); its size accounting must be
 * the input's size, and a deep copy of it (nested lists are copied whole)
 * must encode the same too.
 *
 * Nested lists are reached from any input, but a fuzzer finds a valid one
 * (a tag, a length and a whole list's encoding inside) slowly: given a
 * corpus directory, LLVMFuzzerInitialize() writes a few valid encodings with
 * lists into it to start from, one MPROC_ARGS_MAX_DEPTH deep among them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed.h"
#include "wire/args.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- seeds ---- */

/* Writes @a's encoding to @dir/@name. */
static void write_seed(const char *dir, const char *name, const mproc_args *a) {
  uint8_t *buf = NULL;
  size_t len = 0;
  if (mproc__args_encode(a, &buf, &len) != MPROC_OK)
    abort();
  fuzz_write_seed(dir, name, NULL, 0, buf, len);
  free(buf);
}

static void write_seeds(const char *dir) {
  mproc_args *inner = NULL, *rec = NULL, *top = NULL, *deep = NULL, *outer;
  unsigned i;
  /* [[1, "a", [none, true, 2.5]], b"\0\1", [], object] */
  if (mproc_args_create_packed(&inner, "none bool f64", 1, 2.5) ||
      mproc_args_create_packed(&rec, "i64 str list", (int64_t)1, "a", inner) ||
      mproc_args_create(&deep) ||
      mproc_args_create_packed(&top, "list bytes list", rec, (const void *)"\0\1", (size_t)2,
                               deep) ||
      mproc__args_add_object(top, 1, "mproc-1-x-1", 64, "seed"))
    abort();
  write_seed(dir, "seed-records", top);
  for (i = 1; i < MPROC_ARGS_MAX_DEPTH; i++) { /* an empty list, 32 deep */
    if (mproc_args_create(&outer) || mproc_args_add_list(outer, deep))
      abort();
    mproc_args_destroy(deep);
    deep = outer;
  }
  write_seed(dir, "seed-deepest", deep);
  mproc_args_destroy(deep);
  mproc_args_destroy(top);
  mproc_args_destroy(rec);
  mproc_args_destroy(inner);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *dir = fuzz_corpus_dir(*argc, *argv);
  if (dir)
    write_seeds(dir);
  return 0;
}

/* ---- the target ---- */

/* Whether @a encodes to exactly the @size bytes @data. */
static int encodes_to(const mproc_args *a, const uint8_t *data, size_t size) {
  uint8_t *again;
  size_t len;
  int same;
  if (mproc__args_encode(a, &again, &len) != MPROC_OK)
    abort();
  same = len == size && memcmp(again, data, size) == 0;
  free(again);
  return same;
}

/* One list reused from input to input, as a queue's consumer reuses its
 * list: once it has room, decode_into takes the numbers-only fast path. */
static mproc_args *reused;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mproc_args *args = NULL, *copy = NULL;
  mproc_status into;
  if (!reused && mproc_args_create(&reused) != MPROC_OK)
    abort();
  into = mproc__args_decode_into(data, size, reused);
  if (mproc__args_decode(data, size, &args) != MPROC_OK) {
    if (into == MPROC_OK) /* both paths agree on what is valid */
      abort();
    return 0;
  }
  if (into != MPROC_OK || !encodes_to(reused, data, size))
    abort();
  if (args->encoded_size != size || !encodes_to(args, data, size))
    abort();
  if (mproc__args_copy(args, &copy) != MPROC_OK)
    abort();
  mproc_args_destroy(args); /* the copy shares nothing with it */
  if (!encodes_to(copy, data, size))
    abort();
  mproc_args_destroy(copy);
  return 0;
}
