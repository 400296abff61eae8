/* Tests of runtime/wire/args.c: typed lists and the validating decoder. */
#include <stdlib.h>
#include <string.h>

#include "wire/args.h" /* reader_next, writer_one */
#include "tests.h"

static mproc_args *sample(void) {
  mproc_args *a = NULL;
  static const unsigned char blob[] = {0, 1, 2, 255, 0, 7};
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, INT64_MIN));
  T_OK(mproc_args_add_f64(a, -2.5e300));
  T_OK(mproc_args_add_bool(a, 42));
  T_OK(mproc_args_add_str(a, "h\xc3\xa9llo"));
  T_OK(mproc_args_add_bytes(a, blob, sizeof blob));
  T_OK(mproc_args_add_str(a, ""));
  T_OK(mproc_args_add_bytes(a, NULL, 0));
  return a;
}

static void check_sample(const mproc_args *a) {
  int64_t i;
  double f;
  int b;
  const char *s;
  const void *d;
  size_t n, count;
  T_OK(mproc_args_count(a, &count));
  CU_ASSERT_EQUAL(count, 7);
  T_OK(mproc_args_get_i64(a, 0, &i));
  CU_ASSERT(i == INT64_MIN);
  T_OK(mproc_args_get_f64(a, 1, &f));
  CU_ASSERT(f == -2.5e300);
  T_OK(mproc_args_get_bool(a, 2, &b));
  CU_ASSERT_EQUAL(b, 1);
  T_OK(mproc_args_get_str(a, 3, &s));
  CU_ASSERT_STRING_EQUAL(s, "h\xc3\xa9llo");
  T_OK(mproc_args_get_bytes(a, 4, &d, &n));
  CU_ASSERT_EQUAL(n, 6);
  CU_ASSERT(memcmp(d, "\0\1\2\377\0\7", 6) == 0);
  T_OK(mproc_args_get_str(a, 5, &s));
  CU_ASSERT_STRING_EQUAL(s, "");
  T_OK(mproc_args_get_bytes(a, 6, &d, &n));
  CU_ASSERT_EQUAL(n, 0);
}

static void test_round_trip(void) {
  mproc_args *a = sample(), *b = NULL;
  uint8_t *buf;
  size_t len;
  T_OK(mproc__args_encode(a, &buf, &len));
  T_OK(mproc__args_decode(buf, len, &b));
  check_sample(a);
  if (b)
    check_sample(b);
  free(buf);
  mproc_args_destroy(a);
  if (b)
    mproc_args_destroy(b);
}

static void test_getters_check_index_and_type(void) {
  mproc_args *a = sample();
  int64_t i;
  const char *s;
  mproc_type t;
  T_STATUS(mproc_args_get_i64(a, 7, &i), MPROC_ERANGE);
  T_STATUS(mproc_args_get_i64(a, 3, &i), MPROC_ETYPE);
  T_STATUS(mproc_args_get_str(a, 0, &s), MPROC_ETYPE);
  T_STATUS(mproc_args_get_i64(a, 0, NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_get_i64(NULL, 0, &i), MPROC_EINVAL);
  T_OK(mproc_args_type(a, 4, &t));
  CU_ASSERT_EQUAL(t, MPROC_TYPE_BYTES);
  T_STATUS(mproc_args_type(a, 99, &t), MPROC_ERANGE);
  mproc_args_destroy(a);
}

static void test_bad_input_to_adders(void) {
  mproc_args *a = NULL;
  T_OK(mproc_args_create(&a));
  T_STATUS(mproc_args_add_str(a, NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_add_bytes(a, NULL, 3), MPROC_EINVAL);
  T_STATUS(mproc_args_add_i64(NULL, 1), MPROC_EINVAL);
  T_STATUS(mproc_args_add_bytes(a, "x", (size_t)MPROC_ARGS_MAX_SIZE + 1), MPROC_ERANGE);
  T_STATUS(mproc_args_destroy(NULL), MPROC_EINVAL);
  mproc_args_destroy(a);
}

static void test_count_limit(void) {
  mproc_args *a = NULL;
  unsigned i;
  mproc_status st = MPROC_OK;
  size_t n;
  T_OK(mproc_args_create(&a));
  for (i = 0; i < MPROC_ARGS_MAX_COUNT && st == MPROC_OK; i++)
    st = mproc_args_add_bool(a, 1);
  T_OK(st);
  T_STATUS(mproc_args_add_bool(a, 1), MPROC_ERANGE);
  T_OK(mproc_args_count(a, &n));
  CU_ASSERT_EQUAL(n, MPROC_ARGS_MAX_COUNT);
  mproc_args_destroy(a);
}

/* Every strict prefix of a valid encoding is rejected, and so is one more byte. */
static void test_decoder_rejects_truncation(void) {
  mproc_args *a = sample(), *b;
  uint8_t *buf, *longer;
  size_t len, cut;
  T_OK(mproc__args_encode(a, &buf, &len));
  for (cut = 0; cut < len; cut++) {
    b = NULL;
    T_STATUS(mproc__args_decode(buf, cut, &b), MPROC_EPROTO);
    CU_ASSERT_PTR_NULL(b);
  }
  longer = malloc(len + 1);
  memcpy(longer, buf, len);
  longer[len] = 0;
  T_STATUS(mproc__args_decode(longer, len + 1, &b), MPROC_EPROTO);
  free(longer);
  free(buf);
  mproc_args_destroy(a);
}

static void test_decoder_rejects_garbage(void) {
  /* header: "MA", version 1, flags 0, count */
  static const uint8_t bad_version[] = {'M', 'A', 2, 0, 0, 0, 0, 0};
  static const uint8_t bad_magic[] = {'X', 'A', 1, 0, 0, 0, 0, 0};
  static const uint8_t huge_count[] = {'M', 'A', 1, 0, 0xff, 0xff, 0xff, 0xff, 1, 0};
  static const uint8_t bad_tag[] = {'M', 'A', 1, 0, 1, 0, 0, 0, 99, 0};
  static const uint8_t bad_bool[] = {'M', 'A', 1, 0, 1, 0, 0, 0, MPROC_TYPE_BOOL, 2};
  static const uint8_t long_str[] = {'M',  'A',  1,    0,    1,  0, 0, 0, MPROC_TYPE_STR,
                                     0xff, 0xff, 0xff, 0x7f, 'a'};
  static const uint8_t nul_str[] = {'M', 'A', 1, 0, 1,   0, 0,  0, MPROC_TYPE_STR,
                                    3,   0,   0, 0, 'a', 0, 'b'};
  static const uint8_t ok_empty[] = {'M', 'A', 1, 0, 0, 0, 0, 0};
  mproc_args *b = NULL;
  T_STATUS(mproc__args_decode(bad_version, sizeof bad_version, &b), MPROC_EPROTO);
  T_STATUS(mproc__args_decode(bad_magic, sizeof bad_magic, &b), MPROC_EPROTO);
  T_STATUS(mproc__args_decode(huge_count, sizeof huge_count, &b), MPROC_EPROTO);
  T_STATUS(mproc__args_decode(bad_tag, sizeof bad_tag, &b), MPROC_EPROTO);
  T_STATUS(mproc__args_decode(bad_bool, sizeof bad_bool, &b), MPROC_EPROTO);
  T_STATUS(mproc__args_decode(long_str, sizeof long_str, &b), MPROC_EPROTO);
  T_STATUS(mproc__args_decode(nul_str, sizeof nul_str, &b), MPROC_EPROTO);
  T_STATUS(mproc__args_decode(NULL, 8, &b), MPROC_EPROTO);
  CU_ASSERT_PTR_NULL(b);
  T_OK(mproc__args_decode(ok_empty, sizeof ok_empty, &b));
  if (b)
    mproc_args_destroy(b);
}

/* Flipping any bit of a valid encoding never crashes the decoder; whatever it
 * accepts re-encodes to exactly the same bytes. */
static void test_decoder_survives_bit_flips(void) {
  mproc_args *a = sample(), *b;
  uint8_t *buf, *again;
  size_t len, len2, bit;
  T_OK(mproc__args_encode(a, &buf, &len));
  for (bit = 0; bit < len * 8; bit++) {
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    b = NULL;
    if (mproc__args_decode(buf, len, &b) == MPROC_OK) {
      T_OK(mproc__args_encode(b, &again, &len2));
      CU_ASSERT(len2 == len && memcmp(again, buf, len) == 0);
      free(again);
      mproc_args_destroy(b);
    }
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  free(buf);
  mproc_args_destroy(a);
}

/* A writer's encoding (a pool TASK: numbers, a name, then a range of a list
 * nested as bytes) equals the list built and encoded whole. */
static void test_writer(void) {
  mproc_args *head = NULL, *tail = sample(), *range = NULL;
  uint8_t *written, *flat, *range_buf;
  size_t written_len, flat_len, range_len, at;
  mproc__writer w;
  mproc__writer_init(&w, 0); /* grows as it goes */
  at = mproc__writer_i64(&w, 41);
  mproc__writer_str(&w, "f");
  mproc__writer_nested(&w, tail, 1, 5);
  mproc__writer_list(&w, tail, 3, 2);
  T_OK(mproc__writer_finish(&w, &written, &written_len));
  mproc__args_patch_i64(written, at, 42);
  T_OK(mproc__args_slice(tail, 1, 5, &range));
  T_OK(mproc__args_encode(range, &range_buf, &range_len));
  T_OK(mproc_args_create(&head));
  T_OK(mproc_args_add_i64(head, 42));
  T_OK(mproc_args_add_str(head, "f"));
  T_OK(mproc_args_add_bytes(head, range_buf, range_len));
  T_OK(mproc__args_append(head, tail, 3, 2));
  T_OK(mproc__args_encode(head, &flat, &flat_len));
  CU_ASSERT(written_len == flat_len && memcmp(written, flat, flat_len) == 0);
  free(written);
  free(flat);
  free(range_buf);
  mproc_args_destroy(range);
  mproc_args_destroy(head);
  mproc_args_destroy(tail);
}

/* A value over the size limit fails the writer, before its length is cut
 * to the u32 the encoding keeps, and the failure sticks. */
static void test_writer_value_too_long(void) {
  size_t over = (size_t)MPROC_ARGS_MAX_SIZE + 1;
  char *s = malloc(over + 1);
  uint8_t *buf = NULL;
  size_t len = 0;
  mproc__writer w;
  CU_ASSERT_FATAL(s != NULL);
  memset(s, 'x', over);
  s[over] = '\0';
  mproc__writer_init(&w, 0);
  mproc__writer_str(&w, s);
  mproc__writer_i64(&w, 1);
  CU_ASSERT_EQUAL(mproc__writer_finish(&w, &buf, &len), MPROC_ERANGE);
  mproc__writer_init(&w, 0);
  mproc__writer_bytes(&w, s, over);
  mproc__writer_str(&w, "fits");
  CU_ASSERT_EQUAL(mproc__writer_finish(&w, &buf, &len), MPROC_ERANGE);
  CU_ASSERT_PTR_NULL(buf);
  free(s);
}

/* A reader takes values one by one and refuses what is not there. */
static void test_reader(void) {
  mproc_args *a = NULL, *got = NULL;
  uint8_t *buf;
  size_t len, n = 0;
  const uint8_t *view;
  size_t view_len;
  int64_t v = 0;
  mproc__reader r;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, 7));
  T_OK(mproc_args_add_str(a, "x"));
  T_OK(mproc_args_add_bytes(a, "ab", 2));
  T_OK(mproc__args_encode(a, &buf, &len));
  T_OK(mproc_args_create(&got));
  T_OK(mproc__reader_open(&r, buf, len));
  CU_ASSERT_EQUAL(mproc__reader_bytes(&r, &view, &view_len), MPROC_EPROTO); /* an i64 is next */
  T_OK(mproc__reader_i64(&r, &v));
  CU_ASSERT_EQUAL(v, 7);
  CU_ASSERT_EQUAL(mproc__reader_i64(&r, &v), MPROC_EPROTO); /* a string is next */
  CU_ASSERT_EQUAL(mproc__reader_end(&r), MPROC_EPROTO);     /* two values left */
  CU_ASSERT_EQUAL(mproc__reader_take(&r, 3, got), MPROC_EPROTO);
  T_OK(mproc_args_count(got, &n));
  CU_ASSERT_EQUAL(n, 0);
  T_OK(mproc__reader_open(&r, buf, len)); /* (a failed take broke the reader) */
  T_OK(mproc__reader_i64(&r, &v));
  T_OK(mproc__reader_take(&r, 1, got));
  T_OK(mproc__reader_bytes(&r, &view, &view_len));
  CU_ASSERT(view_len == 2 && memcmp(view, "ab", 2) == 0);
  T_OK(mproc__reader_end(&r));
  T_OK(mproc__reader_open(&r, buf, len - 1)); /* the header's count fits, the bytes do not */
  T_OK(mproc__reader_i64(&r, &v));
  T_OK(mproc__reader_take(&r, 1, got));
  CU_ASSERT_EQUAL(mproc__reader_bytes(&r, &view, &view_len), MPROC_EPROTO);
  T_OK(mproc_args_count(got, &n));
  CU_ASSERT_EQUAL(n, 2);
  free(buf);
  mproc_args_destroy(got);
  mproc_args_destroy(a);
}

/* reader_next() makes a list of each value alone, whatever its type and
 * whatever the list held; writer_one() writes a list of one value and
 * nothing else: the two copy a list value by value. */
static void test_one_value_at_a_time(void) {
  mproc_args *a = NULL, *one = NULL, *two = NULL;
  uint8_t *buf, *copy;
  size_t len, copy_len, n = 0;
  int64_t v = 0;
  const char *s = NULL;
  mproc__reader r;
  mproc__writer w;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_i64(a, 7));
  T_OK(mproc_args_add_str(a, "x"));
  T_OK(mproc_args_add_i64(a, -8)); /* a number after a buffer */
  T_OK(mproc_args_add_f64(a, 2.5));
  T_OK(mproc_args_add_bytes(a, "ab", 2));
  T_OK(mproc__args_encode(a, &buf, &len));
  T_OK(mproc_args_create(&one));
  T_OK(mproc_args_create(&two));
  T_OK(mproc_args_add_i64(two, 1));
  T_OK(mproc_args_add_i64(two, 2));
  T_OK(mproc__reader_open(&r, buf, len));
  mproc__writer_init(&w, 0);
  CU_ASSERT_EQUAL(mproc__writer_one(&w, one), 0); /* empty: nothing written */
  CU_ASSERT_EQUAL(mproc__writer_one(&w, two), 0); /* two values: nothing written */
  while (r.values > 0) {
    T_OK(mproc__reader_next(&r, one));
    T_OK(mproc_args_count(one, &n));
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(mproc__writer_one(&w, one), 1);
    if (r.values == 3) {
      T_OK(mproc_args_get_str(one, 0, &s));
      CU_ASSERT_STRING_EQUAL(s, "x");
    } else if (r.values == 2) {
      T_OK(mproc_args_get_i64(one, 0, &v));
      CU_ASSERT_EQUAL(v, -8);
    }
  }
  CU_ASSERT_EQUAL(mproc__reader_next(&r, one), MPROC_EPROTO); /* none left */
  T_OK(mproc__reader_end(&r));
  T_OK(mproc__writer_finish(&w, &copy, &copy_len));
  CU_ASSERT(copy_len == len && memcmp(copy, buf, len) == 0);
  free(copy);
  free(buf);
  mproc_args_destroy(two);
  mproc_args_destroy(one);
  mproc_args_destroy(a);
}

static const CU_TestInfo tests[] = {
    {"round trip of every type", test_round_trip},
    {"getters check index and type", test_getters_check_index_and_type},
    {"bad input to adders", test_bad_input_to_adders},
    {"count limit", test_count_limit},
    {"writer: a pool task's frame, value by value", test_writer},
    {"writer: a value over the size limit", test_writer_value_too_long},
    {"reader: value by value, checked", test_reader},
    {"reader_next and writer_one: one value at a time", test_one_value_at_a_time},
    {"decoder rejects every truncation", test_decoder_rejects_truncation},
    {"decoder rejects garbage", test_decoder_rejects_garbage},
    {"decoder survives bit flips", test_decoder_survives_bit_flips},
    CU_TEST_INFO_NULL};

const test_suite suite_args = {"args", tests, NULL};
