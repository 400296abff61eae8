/*
 * libFuzzer target: the parent's RESULT reader (wire/result.h, as
 * pool/reader.c uses it) must turn down whatever a worker sends that it
 * does not accept with a status, never crash; and what it accepts must hang
 * together: the header as asked for, every call's values inside the values
 * read, its message non-NULL (and, for a failure, the string read just
 * before its values), and the worker's writer, given what was read, must
 * write the very same bytes again (the encoding is canonical).
 *
 * Input: byte 0 is how many calls the parent expects, the rest the RESULT
 * of task TASK_ID. Given a corpus directory, LLVMFuzzerInitialize() writes
 * a few valid RESULTs into it to start from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed.h"
#include "wire/result.h"

#define TASK_ID 42

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "result_parse: %s (line %d)\n", #cond, __LINE__);                            \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* ---- seeds ---- */

static mproc_args *list(void) {
  mproc_args *a = NULL;
  CHECK(mproc_args_create(&a) == MPROC_OK);
  return a;
}

/* Writes byte @calls then the RESULT @rw holds to @dir/@name (if @dir is a directory). */
static void write_seed(const char *dir, const char *name, mproc__result_writer *rw, size_t calls) {
  uint8_t *buf = NULL, n = (uint8_t)calls;
  size_t len = 0;
  CHECK(mproc__result_finish(rw, 1234, &buf, &len) == MPROC_OK);
  fuzz_write_seed(dir, name, &n, 1, buf, len);
  free(buf);
}

static void write_seeds(const char *dir) {
  mproc__result_writer rw;
  mproc__buf mem = {NULL, 0};
  mproc_args *v[5];
  int i;
  for (i = 0; i < 5; i++)
    v[i] = list();
  mproc_args_add_i64(v[0], -7);
  mproc_args_add_f64(v[1], 2.5);
  mproc_args_add_str(v[2], "three");
  mproc_args_add_bytes(v[3], "\0\1\2", 3);
  mproc_args_add_bool(v[3], 1);
  mproc_args_add_none(v[4]);
  /* Every call returned one value: the short form throughout. */
  mproc__result_begin(&rw, &mem, 64, TASK_ID);
  for (i = 0; i < 3; i++)
    CHECK(mproc__result_plain(&rw, v[i]));
  write_seed(dir, "seed-plain", &rw, 3);
  /* One plain call, then each kind of call record. */
  mproc__result_begin(&rw, &mem, 64, TASK_ID);
  CHECK(mproc__result_plain(&rw, v[0]));
  mproc__result_call(&rw, MPROC__CALL_OK, NULL, v[3]);
  mproc__result_call(&rw, MPROC__CALL_FAILED, "boom", NULL);
  mproc__result_call(&rw, MPROC__CALL_NOT_RUN, NULL, NULL);
  mproc__result_call(&rw, MPROC__CALL_FAILED, "", v[4]);
  mproc__result_call(&rw, MPROC__CALL_OK, NULL, NULL);
  mproc__result_call(&rw, MPROC__CALL_OK, NULL, v[2]);
  write_seed(dir, "seed-mixed", &rw, 7);
  /* No calls at all. */
  mproc__result_begin(&rw, &mem, 64, TASK_ID);
  write_seed(dir, "seed-empty", &rw, 0);
  for (i = 0; i < 5; i++)
    mproc_args_destroy(v[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *dir = fuzz_corpus_dir(*argc, *argv);
  if (dir)
    write_seeds(dir);
  return 0;
}

/* ---- the target ---- */

static int code_of(mproc_status st) {
  return st == MPROC_OK        ? MPROC__CALL_OK
         : st == MPROC_EFAILED ? MPROC__CALL_FAILED
                               : MPROC__CALL_NOT_RUN;
}

/* The worker's writer, given what was read, writes the same @size bytes @data. */
static void check_rewrite(const uint8_t *data, size_t size, const mproc__result_head *h,
                          const mproc_args *values, const mproc__call *call) {
  mproc__result_writer rw;
  mproc__buf mem = {NULL, 0};
  uint8_t *buf = NULL;
  size_t len = 0, i;
  mproc__result_begin(&rw, &mem, size, h->id);
  for (i = 0; i < (size_t)h->calls; i++) {
    mproc_args *some = NULL;
    const mproc__call *c = &call[i];
    if (i < (size_t)h->plain) {
      CHECK(mproc__args_slice(values, i, 1, &some) == MPROC_OK);
      CHECK(mproc__result_plain(&rw, some));
    } else {
      if (c->n)
        CHECK(mproc__args_slice(values, c->at, c->n, &some) == MPROC_OK);
      mproc__result_call(&rw, code_of(c->status), c->message, some);
    }
    if (some)
      mproc_args_destroy(some);
  }
  CHECK(mproc__result_finish(&rw, h->rss_kib, &buf, &len) == MPROC_OK);
  CHECK(len == size && memcmp(buf, data, size) == 0);
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mproc__reader r;
  mproc__result_head h;
  mproc_args *values = NULL;
  mproc__call *call;
  const char *s;
  size_t calls, count = 0, before, i;
  if (size < 1)
    return 0;
  calls = data[0];
  if (mproc__result_open(&r, data + 1, size - 1, TASK_ID, calls, &h) != MPROC_OK)
    return 0;
  CHECK(h.id == TASK_ID && h.calls == (int64_t)calls && h.plain >= 0 && h.plain <= h.calls);
  CHECK((call = calloc(calls + 1, sizeof *call)) != NULL);
  values = list();
  if (mproc__reader_take(&r, (size_t)h.plain, values) != MPROC_OK)
    goto done;
  mproc_args_count(values, &count);
  CHECK(count == (size_t)h.plain);
  for (i = (size_t)h.plain; i < calls; i++) {
    mproc__call *c = &call[i];
    before = count;
    if (mproc__result_read_call(&r, values, c) != MPROC_OK)
      goto done;
    mproc_args_count(values, &count);
    CHECK(c->message != NULL);
    CHECK(c->status == MPROC_OK || c->status == MPROC_EFAILED || c->status == MPROC_ECANCELED);
    CHECK(c->status != MPROC_ECANCELED || c->n == 0);
    /* Its values are the last read; a failure's message is the string just before them. */
    CHECK(c->at <= count && c->n == count - c->at);
    CHECK(c->at == before + (c->status == MPROC_EFAILED));
    CHECK(c->status != MPROC_EFAILED ||
          (mproc_args_get_str(values, c->at - 1, &s) == MPROC_OK && s == c->message));
  }
  if (mproc__reader_end(&r) != MPROC_OK)
    goto done;
  for (i = (size_t)h.plain; i < calls; i++) /* a message stays the list's as the list grows */
    CHECK(call[i].status != MPROC_EFAILED ||
          (mproc_args_get_str(values, call[i].at - 1, &s) == MPROC_OK && s == call[i].message));
  check_rewrite(data + 1, size - 1, &h, values, call);
done:
  mproc_args_destroy(values);
  free(call);
  return 0;
}
