/* Tests of runtime/wire/result.c: a RESULT written as a worker writes it and
 * read back as the parent reads it, and every malformed one refused. */
#include <stdlib.h>
#include <string.h>

#include "tests.h"
#include "wire/result.h"

/* The calls of a chunk: two plain, one failed with a message and a value,
 * one not run, one succeeded with two values. */
static void write_sample(uint8_t **buf, size_t *len, int64_t id) {
  mproc__result_writer rw;
  mproc__buf mem = {NULL, 0};
  mproc_args *v;
  T_OK(mproc_args_create(&v));
  mproc__result_begin(&rw, &mem, 0, id);
  T_OK(mproc_args_add_i64(v, 10));
  CU_ASSERT(mproc__result_plain(&rw, v));
  mproc__args_reset(v);
  T_OK(mproc_args_add_str(v, "eleven"));
  CU_ASSERT(mproc__result_plain(&rw, v));
  mproc__args_reset(v);
  T_OK(mproc_args_add_f64(v, 1.5));
  mproc__result_call(&rw, MPROC__CALL_FAILED, "it broke", v);
  CU_ASSERT(!mproc__result_plain(&rw, v)); /* no short form after a full record */
  mproc__result_call(&rw, MPROC__CALL_NOT_RUN, NULL, v);
  T_OK(mproc_args_add_i64(v, 7));
  mproc__result_call(&rw, MPROC__CALL_OK, NULL, v);
  T_OK(mproc__result_finish(&rw, 1234, buf, len));
  mproc_args_destroy(v);
}

static void test_round_trip(void) {
  uint8_t *buf;
  size_t len, n = 0;
  mproc__reader r;
  mproc__result_head h;
  mproc__call c;
  mproc_args *values;
  const char *s;
  int64_t i;
  double f;
  write_sample(&buf, &len, 42);
  T_OK(mproc_args_create(&values));
  T_OK(mproc__result_open(&r, buf, len, 42, 5, &h));
  CU_ASSERT_EQUAL(h.rss_kib, 1234);
  CU_ASSERT_EQUAL(h.plain, 2);
  T_OK(mproc__reader_take(&r, 2, values));
  T_OK(mproc_args_get_i64(values, 0, &i));
  CU_ASSERT_EQUAL(i, 10);
  T_OK(mproc_args_get_str(values, 1, &s));
  CU_ASSERT_STRING_EQUAL(s, "eleven");
  T_OK(mproc__result_read_call(&r, values, &c));
  CU_ASSERT_EQUAL(c.status, MPROC_EFAILED);
  CU_ASSERT_STRING_EQUAL(c.message, "it broke");
  CU_ASSERT(c.at == 3 && c.n == 1);
  T_OK(mproc_args_get_f64(values, c.at, &f));
  CU_ASSERT_EQUAL(f, 1.5);
  T_OK(mproc__result_read_call(&r, values, &c));
  CU_ASSERT_EQUAL(c.status, MPROC_ECANCELED);
  CU_ASSERT_EQUAL(c.n, 0);
  T_OK(mproc__result_read_call(&r, values, &c));
  CU_ASSERT_EQUAL(c.status, MPROC_OK);
  CU_ASSERT_EQUAL(c.n, 2);
  T_OK(mproc_args_get_i64(values, c.at + 1, &i));
  CU_ASSERT_EQUAL(i, 7);
  T_OK(mproc__reader_end(&r));
  T_OK(mproc_args_count(values, &n));
  CU_ASSERT_EQUAL(n, 6); /* 2 plain, a message and a value, 2 values */
  mproc_args_destroy(values);
  free(buf);
}

static void test_header_checked(void) {
  uint8_t *buf;
  size_t len;
  mproc__reader r;
  mproc__result_head h;
  write_sample(&buf, &len, 42);
  T_STATUS(mproc__result_open(&r, buf, len, 41, 5, &h), MPROC_EPROTO); /* another task's */
  T_STATUS(mproc__result_open(&r, buf, len, 42, 4, &h), MPROC_EPROTO); /* calls differ */
  mproc__args_patch_i64(buf, MPROC__ARGS_HEADER + 3 * 9 + 1, 6);       /* plain > calls */
  T_STATUS(mproc__result_open(&r, buf, len, 42, 5, &h), MPROC_EPROTO);
  mproc__args_patch_i64(buf, MPROC__ARGS_HEADER + 3 * 9 + 1, -1);
  T_STATUS(mproc__result_open(&r, buf, len, 42, 5, &h), MPROC_EPROTO);
  free(buf);
}

/* Reads one call record made of @header (and nothing else) from a list. */
static mproc_status read_forged(int64_t header, size_t extra_values) {
  mproc_args *a, *values;
  uint8_t *buf;
  size_t len, k;
  mproc__reader r;
  mproc__call c;
  mproc_status st;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_create(&values));
  T_OK(mproc_args_add_i64(a, header));
  for (k = 0; k < extra_values; k++)
    T_OK(mproc_args_add_i64(a, (int64_t)k));
  T_OK(mproc__args_encode(a, &buf, &len));
  T_OK(mproc__reader_open(&r, buf, len));
  st = mproc__result_read_call(&r, values, &c);
  free(buf);
  mproc_args_destroy(values);
  mproc_args_destroy(a);
  return st;
}

static void test_forged_calls_refused(void) {
  T_OK(read_forged(MPROC__CALL_HEADER(1, MPROC__CALL_OK), 1));
  T_STATUS(read_forged(MPROC__CALL_HEADER(2, MPROC__CALL_OK), 1), MPROC_EPROTO); /* too many */
  T_STATUS(read_forged(MPROC__CALL_HEADER(0, 3), 0), MPROC_EPROTO);              /* no such code */
  T_STATUS(read_forged(MPROC__CALL_HEADER(1, MPROC__CALL_NOT_RUN), 1), MPROC_EPROTO);
  T_STATUS(read_forged(-4, 0), MPROC_EPROTO);
  T_STATUS(read_forged(INT64_MAX, 3), MPROC_EPROTO);
  /* a failed call's message must be a string */
  T_STATUS(read_forged(MPROC__CALL_HEADER(0, MPROC__CALL_FAILED), 1), MPROC_EPROTO);
}

/* Every truncation of a valid RESULT is refused somewhere along the read. */
static void test_truncations_refused(void) {
  uint8_t *buf;
  size_t len, cut;
  write_sample(&buf, &len, 9);
  for (cut = 0; cut < len; cut++) {
    mproc__reader r;
    mproc__result_head h;
    mproc__call c;
    mproc_args *values;
    mproc_status st;
    int64_t i;
    T_OK(mproc_args_create(&values));
    st = mproc__result_open(&r, buf, cut, 9, 5, &h);
    if (st == MPROC_OK)
      st = mproc__reader_take(&r, (size_t)h.plain, values);
    for (i = h.plain; st == MPROC_OK && i < h.calls; i++)
      st = mproc__result_read_call(&r, values, &c);
    if (st == MPROC_OK)
      st = mproc__reader_end(&r);
    CU_ASSERT_NOT_EQUAL(st, MPROC_OK);
    mproc_args_destroy(values);
  }
  free(buf);
}

static const CU_TestInfo tests[] = {{"a RESULT reads back as written", test_round_trip},
                                    {"the header names its task", test_header_checked},
                                    {"forged call records are refused", test_forged_calls_refused},
                                    {"every truncation is refused", test_truncations_refused},
                                    CU_TEST_INFO_NULL};

const test_suite suite_result = {"result", tests, NULL};
