/* Tests of runtime/wire/args.c: typed lists and the validating decoder. */
#include <stdarg.h>
#include <stdio.h>
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

/* sample()'s seven values, at the start of @a. */
static void check_sample_values(const mproc_args *a) {
  int64_t i;
  double f;
  int b;
  const char *s;
  const void *d;
  size_t n;
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

static void check_sample(const mproc_args *a) {
  size_t count;
  T_OK(mproc_args_count(a, &count));
  CU_ASSERT_EQUAL(count, 7);
  check_sample_values(a);
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

/* Copying nothing: an empty list (whose array may be NULL), or a range
 * past the end, copies to an empty list (UBSan: no arithmetic on NULL). */
static void test_copy_nothing(void) {
  mproc_args *empty = NULL, *copy = NULL, *a = sample();
  size_t n = 1;
  T_OK(mproc_args_create(&empty));
  T_OK(mproc__args_copy(empty, &copy));
  T_OK(mproc_args_count(copy, &n));
  CU_ASSERT_EQUAL(n, 0);
  T_OK(mproc__args_append(copy, a, 7, 3));
  T_OK(mproc__args_append(a, empty, 0, 5));
  T_OK(mproc_args_count(copy, &n));
  CU_ASSERT_EQUAL(n, 0);
  check_sample(a);
  mproc_args_destroy(copy);
  mproc_args_destroy(empty);
  mproc_args_destroy(a);
}

/* Every strict prefix of the encoding @buf is refused, with no list made. */
static void check_prefixes(const uint8_t *buf, size_t len) {
  mproc_args *b;
  size_t cut;
  for (cut = 0; cut < len; cut++) {
    b = NULL;
    T_STATUS(mproc__args_decode(buf, cut, &b), MPROC_EPROTO);
    CU_ASSERT_PTR_NULL(b);
  }
}

/* Every strict prefix of a valid encoding is rejected, and so is one more byte. */
static void test_decoder_rejects_truncation(void) {
  mproc_args *a = sample(), *b;
  uint8_t *buf, *longer;
  size_t len;
  T_OK(mproc__args_encode(a, &buf, &len));
  check_prefixes(buf, len);
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

/* Flips each bit of @buf in turn: the decoder never crashes, and whatever
 * it accepts re-encodes to exactly the same bytes. */
static void check_bit_flips(uint8_t *buf, size_t len) {
  mproc_args *b;
  uint8_t *again;
  size_t len2, bit;
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
}

/* Flipping any bit of a valid encoding never crashes the decoder. */
static void test_decoder_survives_bit_flips(void) {
  mproc_args *a = sample();
  uint8_t *buf;
  size_t len;
  T_OK(mproc__args_encode(a, &buf, &len));
  check_bit_flips(buf, len);
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

/* Numbers from C arrays (a typed map's chunk) encode as the same numbers
 * added one by one and nested; a count over the limit fails the writer. */
static void test_writer_c_numbers(void) {
  const int64_t xs[3] = {-1, 0, INT64_MAX};
  const double ds[2] = {-0.5, 1e300};
  mproc_args *whole = NULL, *range = NULL;
  uint8_t *written, *flat, *range_buf;
  size_t written_len, flat_len, range_len;
  mproc__writer w;
  mproc__writer_init(&w, 0);
  mproc__writer_nested_numbers(&w, MPROC_TYPE_I64, xs + 1, 2);
  mproc__writer_nested_numbers(&w, MPROC_TYPE_F64, ds, 2);
  mproc__writer_nested_numbers(&w, MPROC_TYPE_I64, xs, 0);
  T_OK(mproc__writer_finish(&w, &written, &written_len));
  T_OK(mproc_args_create(&whole));
  T_OK(mproc_args_create_packed(&range, "i64 i64", xs[1], xs[2]));
  T_OK(mproc__args_encode(range, &range_buf, &range_len));
  T_OK(mproc_args_add_bytes(whole, range_buf, range_len));
  free(range_buf);
  mproc_args_destroy(range);
  T_OK(mproc_args_create_packed(&range, "f64 f64", ds[0], ds[1]));
  T_OK(mproc__args_encode(range, &range_buf, &range_len));
  T_OK(mproc_args_add_bytes(whole, range_buf, range_len));
  free(range_buf);
  mproc_args_destroy(range);
  T_OK(mproc_args_create(&range));
  T_OK(mproc__args_encode(range, &range_buf, &range_len));
  T_OK(mproc_args_add_bytes(whole, range_buf, range_len));
  T_OK(mproc__args_encode(whole, &flat, &flat_len));
  CU_ASSERT(written_len == flat_len && memcmp(written, flat, flat_len) == 0);
  free(written);
  free(flat);
  free(range_buf);
  mproc_args_destroy(range);
  mproc_args_destroy(whole);
  mproc__writer_init(&w, 0);
  mproc__writer_nested_numbers(&w, MPROC_TYPE_I64, xs, (size_t)MPROC_ARGS_MAX_COUNT + 1);
  mproc__writer_i64(&w, 1);
  written = NULL;
  CU_ASSERT_EQUAL(mproc__writer_finish(&w, &written, &written_len), MPROC_ERANGE);
  CU_ASSERT_PTR_NULL(written);
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

/* ---- mproc_args_pack() / mproc_args_unpack() ---- */

/* Whether the last error contains @part (a message names what failed). */
static int said(const char *part) {
  if (strstr(mproc_last_error(), part))
    return 1;
  fprintf(stderr, "\n  \"%s\" is not in: %s\n", part, mproc_last_error());
  return 0;
}

static const unsigned char blob[] = {0, 'a', 0, 0, 255, 0}; /* zeros inside and at both ends */

/* Every token packs the value the adder would, after what the list held. */
static void test_pack_every_token(void) {
  mproc_args *a = NULL;
  int64_t i = 0;
  double f = 0;
  int b = 0;
  const char *s = NULL;
  const void *d = NULL;
  size_t n = 0;
  mproc_type t = MPROC_TYPE_I64;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_str(a, "before"));
  T_OK(mproc_args_pack(a, "i64 f64 bool str bytes none", INT64_MIN, -2.5e300, 42, "h\xc3\xa9llo",
                       (const void *)blob, sizeof blob));
  T_OK(mproc_args_count(a, &n));
  CU_ASSERT_EQUAL(n, 7);
  T_OK(mproc_args_get_str(a, 0, &s)); /* appended: the list's value is still first */
  CU_ASSERT_STRING_EQUAL(s, "before");
  T_OK(mproc_args_get_i64(a, 1, &i));
  CU_ASSERT(i == INT64_MIN);
  T_OK(mproc_args_get_f64(a, 2, &f));
  CU_ASSERT(f == -2.5e300);
  T_OK(mproc_args_get_bool(a, 3, &b));
  CU_ASSERT_EQUAL(b, 1);
  T_OK(mproc_args_get_str(a, 4, &s));
  CU_ASSERT_STRING_EQUAL(s, "h\xc3\xa9llo");
  T_OK(mproc_args_get_bytes(a, 5, &d, &n));
  CU_ASSERT(n == sizeof blob && memcmp(d, blob, sizeof blob) == 0);
  CU_ASSERT(d != (const void *)blob); /* copied */
  T_OK(mproc_args_type(a, 6, &t));
  CU_ASSERT_EQUAL(t, MPROC_TYPE_NONE);
  T_OK(mproc_args_pack(a, "")); /* no token: no value */
  T_OK(mproc_args_count(a, &n));
  CU_ASSERT_EQUAL(n, 7);
  mproc_args_destroy(a);
}

/* What pack wrote, unpack reads back, through the pointers it is given. */
static void test_unpack_every_token(void) {
  mproc_args *a = NULL;
  int64_t i = 0;
  double f = 0;
  int b = 7, b0 = 7;
  const char *s = NULL, *e = NULL, *got = NULL;
  const void *d = NULL, *d0 = blob;
  size_t n = 0, n0 = 99;
  T_OK(mproc_args_create_packed(&a, "i64 f64 bool bool str bytes none str bytes", (int64_t)-7, 0.1,
                                1, 0, "x y", (const void *)blob, sizeof blob, "",
                                (const void *)NULL, (size_t)0));
  CU_ASSERT_FATAL(a != NULL);
  T_OK(mproc_args_unpack(a, "i64 f64 bool bool str bytes none str bytes", &i, &f, &b, &b0, &s, &d,
                         &n, &e, &d0, &n0));
  CU_ASSERT(i == -7);
  CU_ASSERT(f == 0.1);
  CU_ASSERT(b == 1 && b0 == 0);
  CU_ASSERT_STRING_EQUAL(s, "x y");
  CU_ASSERT(n == sizeof blob && memcmp(d, blob, sizeof blob) == 0);
  CU_ASSERT_STRING_EQUAL(e, "");
  CU_ASSERT(n0 == 0);
  /* Borrowed: the very pointers the getters give, into the list. */
  T_OK(mproc_args_get_str(a, 4, &got));
  CU_ASSERT_PTR_EQUAL(s, got);
  T_OK(mproc_args_get_bytes(a, 5, &d0, &n0));
  CU_ASSERT_PTR_EQUAL(d, d0);
  mproc_args_destroy(a);
}

/* A value the format does not want: ? skips it, whatever its type (an
 * object too); ... allows more values, none included. */
static void test_unpack_skip_and_rest(void) {
  mproc_args *a = NULL;
  int64_t i = 0;
  const char *s = NULL;
  T_OK(mproc_args_create(&a));
  T_OK(mproc__args_add_object(a, 1, "mproc-obj", 64, "test")); /* as a queue's would be */
  T_OK(mproc_args_pack(a, "i64 str f64", (int64_t)5, "five", 5.0));
  T_OK(mproc_args_unpack(a, "? i64 ...", &i));
  CU_ASSERT_EQUAL(i, 5);
  T_OK(mproc_args_unpack(a, "? ? str ?", &s));
  CU_ASSERT_STRING_EQUAL(s, "five");
  T_OK(mproc_args_unpack(a, "? i64 str f64 ...", &i, &s, &(double){0})); /* nothing more: fine */
  T_OK(mproc_args_unpack(a, "..."));
  T_STATUS(mproc_args_unpack(a, "str ...", &s), MPROC_ETYPE);
  CU_ASSERT(said("wants str, but value 0 is object"));
  mproc_args_destroy(a);
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_unpack(a, ""));
  T_OK(mproc_args_unpack(a, "..."));
  mproc_args_destroy(a);
}

/* Whatever fails, pack leaves the list as it was: the same values, the same
 * encoding (its size accounting included). */
static void test_pack_failure_changes_nothing(void) {
  mproc_args *a = NULL;
  uint8_t *before, *after;
  size_t len, len2, n;
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_pack(a, "i64 str", (int64_t)1, "keep"));
  T_OK(mproc__args_encode(a, &before, &len));
  T_STATUS(mproc_args_pack(a, "i64 str str", (int64_t)2, "a", (const char *)NULL), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_pack: format token 3 \"str\": the string is NULL"));
  T_STATUS(mproc_args_pack(a, "str bytes", "a", (const void *)NULL, (size_t)3), MPROC_EINVAL);
  CU_ASSERT(said("format token 2 \"bytes\""));
  T_STATUS(mproc_args_pack(a, "i64 bytes", (int64_t)2, (const void *)"x",
                           (size_t)MPROC_ARGS_MAX_SIZE + 1),
           MPROC_ERANGE); /* (the size is refused before the data is read) */
  CU_ASSERT(said("(format token 2 \"bytes\")"));
  T_STATUS(mproc_args_pack(a, "i64 i46", (int64_t)2, (int64_t)3), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_pack: format token 2 \"i46\" is unknown"));
  T_OK(mproc_args_count(a, &n));
  CU_ASSERT_EQUAL(n, 2);
  T_OK(mproc__args_encode(a, &after, &len2));
  CU_ASSERT(len2 == len && memcmp(after, before, len) == 0);
  free(after);
  free(before);
  mproc_args_destroy(a);
}

static void test_pack_bad_format(void) {
  mproc_args *a = NULL, *b = NULL, *kept;
  size_t n = 1;
  T_OK(mproc_args_create(&a));
  T_STATUS(mproc_args_pack(a, " i64", (int64_t)1), MPROC_EINVAL);
  CU_ASSERT(said("format token 1 is empty"));
  T_STATUS(mproc_args_pack(a, "i64  i64", (int64_t)1, (int64_t)2), MPROC_EINVAL);
  CU_ASSERT(said("format token 2 is empty"));
  T_STATUS(mproc_args_pack(a, "i64 ", (int64_t)1), MPROC_EINVAL);
  CU_ASSERT(said("format token 2 is empty"));
  T_STATUS(mproc_args_pack(a, "I64", (int64_t)1), MPROC_EINVAL);
  CU_ASSERT(said("format token 1 \"I64\" is unknown"));
  T_STATUS(mproc_args_pack(a, "i64,str", (int64_t)1, "x"), MPROC_EINVAL);
  T_STATUS(mproc_args_pack(a, "i64\tstr", (int64_t)1, "x"), MPROC_EINVAL);
  T_STATUS(mproc_args_pack(a, "?"), MPROC_EINVAL);
  CU_ASSERT(said("format token 1 \"?\" is for unpacking only"));
  T_STATUS(mproc_args_pack(a, "i64 ...", (int64_t)1), MPROC_EINVAL);
  CU_ASSERT(said("format token 2 \"...\" is for unpacking only"));
  T_STATUS(mproc_args_pack(a, NULL), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_pack: format is NULL"));
  T_STATUS(mproc_args_pack(NULL, "i64", (int64_t)1), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_pack: args is NULL"));
  T_OK(mproc_args_count(a, &n));
  CU_ASSERT_EQUAL(n, 0);
  /* create_packed creates nothing then, and leaves its output alone. */
  kept = b = a;
  T_STATUS(mproc_args_create_packed(&b, "str i46", "x", (int64_t)1), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_create_packed: format token 2 \"i46\" is unknown"));
  T_STATUS(mproc_args_create_packed(&b, "str", (const char *)NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_create_packed(&b, NULL), MPROC_EINVAL);
  T_STATUS(mproc_args_create_packed(NULL, "i64", (int64_t)1), MPROC_EINVAL);
  CU_ASSERT_PTR_EQUAL(b, kept);
  mproc_args_destroy(a);
}

/* Unpack refuses a format that does not fit the list, and writes nothing
 * then, not even the values before the one that does not fit. */
static void test_unpack_refuses_and_writes_nothing(void) {
  mproc_args *a = NULL;
  int64_t i = 99;
  const char *s = "untouched";
  int b = 99;
  const void *d = NULL;
  size_t n = 99;
  T_OK(mproc_args_create_packed(&a, "i64 str bool", (int64_t)1, "x", 1));
  T_STATUS(mproc_args_unpack(a, "i64 str", &i, &s), MPROC_ERANGE); /* too many values */
  CU_ASSERT(said("mproc_args_unpack: the format reads 2 values, the list has 3"));
  T_STATUS(mproc_args_unpack(a, "i64 str bool i64", &i, &s, &b, &i), MPROC_ERANGE); /* too few */
  CU_ASSERT(said("the format reads 4 values, the list has 3"));
  T_STATUS(mproc_args_unpack(a, "i64 i64 bool", &i, &i, &b), MPROC_ETYPE);
  CU_ASSERT(said("mproc_args_unpack: format token 2 wants i64, but value 1 is str"));
  T_STATUS(mproc_args_unpack(a, "i64 str bytes", &i, &s, &d, &n), MPROC_ETYPE);
  CU_ASSERT(said("format token 3 wants bytes, but value 2 is bool"));
  T_STATUS(mproc_args_unpack(a, "i64 str none", &i, &s), MPROC_ETYPE);
  CU_ASSERT(said("wants none, but value 2 is bool"));
  T_STATUS(mproc_args_unpack(a, "i64 str bool", &i, &s, (int *)NULL), MPROC_EINVAL);
  CU_ASSERT(said("format token 3 \"bool\": a NULL pointer"));
  T_STATUS(mproc_args_unpack(a, "i64 ... str", &i, &s), MPROC_EINVAL);
  CU_ASSERT(said("format token 2 \"...\" is not the last"));
  T_STATUS(mproc_args_unpack(a, "i64 str boolean", &i, &s, &b), MPROC_EINVAL);
  CU_ASSERT(said("format token 3 \"boolean\" is unknown"));
  T_STATUS(mproc_args_unpack(a, "i64 str  bool", &i, &s, &b), MPROC_EINVAL);
  T_STATUS(mproc_args_unpack(a, NULL), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_unpack: format is NULL"));
  T_STATUS(mproc_args_unpack(NULL, "i64 ...", &i), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_unpack: args is NULL"));
  CU_ASSERT(i == 99 && b == 99 && n == 99 && d == NULL);
  CU_ASSERT_STRING_EQUAL(s, "untouched");
  mproc_args_destroy(a);
}

/* A wrapper with a format of its own, as packv and unpackv are for. */
static mproc_status pack_into(mproc_args *a, const char *format, ...) {
  va_list ap;
  mproc_status st;
  va_start(ap, format);
  st = mproc_args_packv(a, format, ap);
  va_end(ap);
  return st;
}

static mproc_status unpack_from(const mproc_args *a, const char *format, ...) {
  va_list ap;
  mproc_status st;
  va_start(ap, format);
  st = mproc_args_unpackv(a, format, ap);
  va_end(ap);
  return st;
}

static void test_packv_and_unpackv(void) {
  mproc_args *a = NULL;
  int64_t i = 0, j = 0;
  const char *s = NULL, *t = NULL;
  T_OK(mproc_args_create(&a));
  T_OK(pack_into(a, "i64 str", (int64_t)3, "three"));
  T_OK(pack_into(a, "i64 str", (int64_t)4, "four"));
  T_OK(unpack_from(a, "i64 str i64 str", &i, &s, &j, &t));
  CU_ASSERT(i == 3 && j == 4);
  CU_ASSERT_STRING_EQUAL(s, "three");
  CU_ASSERT_STRING_EQUAL(t, "four");
  T_STATUS(unpack_from(a, "i64 str i64 f64", &i, &s, &j, &(double){0}), MPROC_ETYPE);
  CU_ASSERT(said("mproc_args_unpackv: format token 4 wants f64, but value 3 is str"));
  T_STATUS(pack_into(a, "str", (const char *)NULL), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_packv:"));
  mproc_args_destroy(a);
}

/* ---- nested lists ---- */

/* sample()'s values, then none, an object reference and, while @depth > 1,
 * a list built the same way one level less deep: every type at every level. */
static mproc_args *nested(int depth) {
  mproc_args *a = sample(), *inner;
  T_OK(mproc_args_add_none(a));
  T_OK(mproc__args_add_object(a, 1, "mproc-obj", 64, "test")); /* shm; a header's size */
  if (depth > 1) {
    inner = nested(depth - 1);
    T_OK(mproc_args_add_list(a, inner));
    mproc_args_destroy(inner);
  }
  return a;
}

static void check_nested(const mproc_args *a, int depth) {
  const mproc_args *inner = NULL;
  const char *name = NULL;
  uint64_t size = 0;
  mproc_type t = MPROC_TYPE_I64;
  size_t count = 0;
  T_OK(mproc_args_count(a, &count));
  CU_ASSERT_EQUAL(count, depth > 1 ? 10u : 9u);
  check_sample_values(a);
  T_OK(mproc_args_type(a, 7, &t));
  CU_ASSERT_EQUAL(t, MPROC_TYPE_NONE);
  T_OK(mproc__args_get_object(a, 8, 1, &name, &size, "test"));
  CU_ASSERT(name && strcmp(name, "mproc-obj") == 0 && size == 64);
  if (depth > 1) {
    T_OK(mproc_args_type(a, 9, &t));
    CU_ASSERT_EQUAL(t, MPROC_TYPE_LIST);
    T_OK(mproc_args_get_list(a, 9, &inner));
    if (inner)
      check_nested(inner, depth - 1);
  }
}

/* A list @depth levels deep: an empty list inside a list... (1: empty). */
static mproc_args *chain(size_t depth) {
  mproc_args *a = NULL, *outer;
  T_OK(mproc_args_create(&a));
  while (--depth > 0) {
    T_OK(mproc_args_create(&outer));
    T_OK(mproc_args_add_list(outer, a));
    mproc_args_destroy(a);
    a = outer;
  }
  return a;
}

/* The same, encoded by hand: no encoder's limit stands in the way. Each
 * level is a header of count 1, the LIST tag and the length of the rest;
 * the innermost an empty list's header. */
static uint8_t *chain_bytes(size_t depth, size_t *len) {
  uint8_t *b, *p;
  size_t k;
  *len = 8 + 13 * (depth - 1);
  b = calloc(1, *len);
  CU_ASSERT_FATAL(b != NULL);
  for (k = 0; k < depth; k++) {
    p = b + 13 * k;
    memcpy(p, "MA\1\0", 4);
    if (k + 1 == depth)
      break;
    p[4] = 1;
    p[8] = MPROC_TYPE_LIST;
    mproc__put_u32(p + 9, (uint32_t)(*len - 13 * (k + 1)));
  }
  return b;
}

/* The encoding is a tag, a u32 length and the nested list's own encoding,
 * header included; encode_to, the accounting and encode agree. */
static void test_list_encoding(void) {
  static const uint8_t want[] = {'M',
                                 'A',
                                 1,
                                 0,
                                 2,
                                 0,
                                 0,
                                 0,
                                 MPROC_TYPE_LIST,
                                 17,
                                 0,
                                 0,
                                 0,
                                 'M',
                                 'A',
                                 1,
                                 0,
                                 1,
                                 0,
                                 0,
                                 0,
                                 MPROC_TYPE_I64,
                                 7,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 MPROC_TYPE_NONE};
  mproc_args *a = NULL, *inner = NULL;
  uint8_t *buf, to[sizeof want];
  size_t len;
  T_OK(mproc_args_create_packed(&inner, "i64", (int64_t)7));
  T_OK(mproc_args_create_packed(&a, "list none", inner));
  T_OK(mproc__args_encode(a, &buf, &len));
  CU_ASSERT(len == sizeof want && memcmp(buf, want, sizeof want) == 0);
  CU_ASSERT_EQUAL(a->encoded_size, sizeof want);
  if (a->encoded_size == sizeof want) {
    mproc__args_encode_to(a, to);
    CU_ASSERT(memcmp(to, want, sizeof want) == 0);
  }
  free(buf);
  mproc_args_destroy(a);
  mproc_args_destroy(inner);
}

/* Lists three deep, every type at every level, survive encode and decode,
 * and re-encode to the same bytes. */
static void test_nested_round_trip(void) {
  mproc_args *a = nested(3), *b = NULL;
  uint8_t *buf, *again;
  size_t len, len2;
  T_OK(mproc__args_encode(a, &buf, &len));
  CU_ASSERT_EQUAL(len, a->encoded_size);
  T_OK(mproc__args_decode(buf, len, &b));
  check_nested(a, 3);
  CU_ASSERT_FATAL(b != NULL);
  check_nested(b, 3);
  CU_ASSERT_EQUAL(b->encoded_size, len);
  T_OK(mproc__args_encode(b, &again, &len2));
  CU_ASSERT(len2 == len && memcmp(again, buf, len) == 0);
  free(again);
  free(buf);
  mproc_args_destroy(a);
  mproc_args_destroy(b);
}

/* Whether @a's accounting is its encoding's size. */
static int size_right(const mproc_args *a) {
  uint8_t *buf;
  size_t len = 0;
  if (mproc__args_encode(a, &buf, &len) != MPROC_OK)
    return 0;
  free(buf);
  return len == a->encoded_size;
}

/* Copies, slices and appends copy nested lists whole: each list outlives
 * the one it came from and destroys its own (ASan and valgrind: no double
 * free, no leak). */
static void test_nested_copy_slice_append(void) {
  mproc_args *a = nested(3), *copy = NULL, *slice = NULL, *dst = NULL;
  const mproc_args *l1 = NULL, *l2 = NULL;
  size_t n = 0;
  T_OK(mproc__args_copy(a, &copy));
  T_OK(mproc__args_slice(a, 7, 3, &slice)); /* none, object, list */
  T_OK(mproc_args_create(&dst));
  T_OK(mproc_args_add_i64(dst, 1));
  T_OK(mproc__args_append(dst, a, 9, 1));
  T_OK(mproc_args_get_list(a, 9, &l1));
  T_OK(mproc_args_get_list(copy, 9, &l2));
  CU_ASSERT(l1 != NULL && l1 != l2);
  mproc_args_destroy(a);
  check_nested(copy, 3);
  T_OK(mproc_args_count(slice, &n));
  CU_ASSERT_EQUAL(n, 3);
  l1 = NULL;
  T_OK(mproc_args_get_list(slice, 2, &l1));
  if (l1)
    check_nested(l1, 2);
  l1 = NULL;
  T_OK(mproc_args_get_list(dst, 1, &l1));
  if (l1)
    check_nested(l1, 2);
  CU_ASSERT(size_right(copy) && size_right(slice) && size_right(dst));
  /* Cleared, the list frees its lists and serves again. */
  T_OK(mproc_args_clear(copy));
  CU_ASSERT_EQUAL(copy->encoded_size, MPROC__ARGS_HEADER);
  CU_ASSERT_EQUAL(copy->buffers, 0);
  T_OK(mproc_args_add_list(copy, slice));
  T_OK(mproc_args_add_list(copy, dst));
  CU_ASSERT(size_right(copy));
  mproc_args_destroy(slice);
  mproc_args_destroy(dst);
  mproc_args_destroy(copy);
}

/* A decoder writing into a view (a map's results) takes lists too; the
 * owner adopts them, or a view dropped frees the ones it holds. */
static void test_nested_view_and_adopt(void) {
  mproc_args *src = NULL, *inner = nested(2), *of = NULL, *v = NULL;
  const mproc_args *l = NULL;
  uint8_t *buf;
  size_t len, n = 0;
  int64_t x = 0;
  mproc__reader r;
  T_OK(mproc_args_create(&src));
  T_OK(mproc_args_add_list(src, inner));
  T_OK(mproc_args_add_i64(src, 5));
  T_OK(mproc_args_add_list(src, inner));
  T_OK(mproc__args_encode(src, &buf, &len));
  T_OK(mproc_args_create(&of));
  T_OK(mproc__args_reserve(of, 6));
  T_OK(mproc__args_view(of, 0, 3, &v));
  T_OK(mproc__reader_open(&r, buf, len));
  T_OK(mproc__reader_take(&r, 3, v));
  T_OK(mproc__reader_end(&r));
  T_OK(mproc__args_adopt(of, v));
  mproc_args_destroy(v);
  T_OK(mproc_args_count(of, &n));
  CU_ASSERT_EQUAL(n, 3);
  CU_ASSERT_EQUAL(of->encoded_size, len);
  T_OK(mproc_args_get_i64(of, 1, &x));
  CU_ASSERT_EQUAL(x, 5);
  T_OK(mproc_args_get_list(of, 2, &l));
  if (l)
    check_nested(l, 2);
  v = NULL;
  T_OK(mproc__args_view(of, 3, 3, &v)); /* filled, then dropped */
  T_OK(mproc__reader_open(&r, buf, len));
  T_OK(mproc__reader_take(&r, 3, v));
  mproc_args_destroy(v);
  T_OK(mproc_args_count(of, &n));
  CU_ASSERT_EQUAL(n, 3);
  free(buf);
  mproc_args_destroy(of);
  mproc_args_destroy(src);
  mproc_args_destroy(inner);
}

/* A map moves items one by one (reader_next, writer_one) and a TASK's range
 * nested as bytes (writer_nested): lists go through both unchanged. */
static void test_nested_value_by_value(void) {
  mproc_args *a = NULL, *inner = nested(2), *empty = NULL, *one = NULL, *back = NULL;
  const mproc_args *l = NULL;
  const uint8_t *view;
  uint8_t *buf, *copy;
  size_t len, copy_len, view_len;
  mproc__reader r;
  mproc__writer w;
  T_OK(mproc_args_create(&empty));
  T_OK(mproc_args_create_packed(&a, "list i64 list", inner, (int64_t)3, empty));
  T_OK(mproc__args_encode(a, &buf, &len));
  T_OK(mproc_args_create(&one));
  T_OK(mproc__reader_open(&r, buf, len));
  mproc__writer_init(&w, 0);
  while (r.values > 0) {
    T_OK(mproc__reader_next(&r, one));
    CU_ASSERT_EQUAL(mproc__writer_one(&w, one), 1);
  }
  T_OK(mproc__reader_end(&r));
  T_OK(mproc__writer_finish(&w, &copy, &copy_len));
  CU_ASSERT(copy_len == len && memcmp(copy, buf, len) == 0);
  free(copy);
  mproc__writer_init(&w, 0);
  mproc__writer_nested(&w, a, 0, 3);
  T_OK(mproc__writer_finish(&w, &copy, &copy_len));
  T_OK(mproc__reader_open(&r, copy, copy_len));
  T_OK(mproc__reader_bytes(&r, &view, &view_len));
  CU_ASSERT(view_len == len && memcmp(view, buf, len) == 0);
  T_OK(mproc__args_decode(view, view_len, &back));
  if (back && mproc_args_get_list(back, 0, &l) == MPROC_OK)
    check_nested(l, 2);
  free(copy);
  free(buf);
  if (back)
    mproc_args_destroy(back);
  mproc_args_destroy(one);
  mproc_args_destroy(a);
  mproc_args_destroy(empty);
  mproc_args_destroy(inner);
}

/* get_list lends a view into the list: the same pointer each time, a copy
 * of what was added (not the caller's list), checked index and type. */
static void test_get_list_borrowed(void) {
  mproc_args *a = NULL, *rec = NULL, *b = NULL;
  const mproc_args *l = NULL, *again = NULL;
  int64_t i = 0;
  const char *s = NULL;
  size_t n = 0;
  T_OK(mproc_args_create_packed(&rec, "str i64", "ann", (int64_t)31));
  T_OK(mproc_args_create(&a));
  T_OK(mproc_args_add_list(a, rec));
  T_OK(mproc_args_add_i64(rec, 99)); /* a copy was added: it does not change */
  T_OK(mproc_args_get_list(a, 0, &l));
  T_OK(mproc_args_get_list(a, 0, &again));
  CU_ASSERT_PTR_EQUAL(l, again);
  CU_ASSERT(l != rec);
  T_OK(mproc_args_unpack(l, "str i64", &s, &i));
  CU_ASSERT(i == 31 && s && strcmp(s, "ann") == 0);
  T_STATUS(mproc_args_get_list(a, 1, &again), MPROC_ERANGE);
  T_STATUS(mproc_args_get_list(NULL, 0, &again), MPROC_EINVAL);
  T_STATUS(mproc_args_get_list(a, 0, NULL), MPROC_EINVAL);
  T_OK(mproc_args_add_i64(a, 5));
  T_STATUS(mproc_args_get_list(a, 1, &again), MPROC_ETYPE);
  T_STATUS(mproc_args_get_i64(a, 0, &i), MPROC_ETYPE);
  /* A borrowed list added elsewhere is copied: it outlives its owner. */
  T_OK(mproc_args_create(&b));
  T_OK(mproc_args_add_list(b, l));
  mproc_args_destroy(a);
  l = NULL;
  T_OK(mproc_args_get_list(b, 0, &l));
  if (l)
    T_OK(mproc_args_count(l, &n));
  CU_ASSERT_EQUAL(n, 2);
  mproc_args_destroy(b);
  mproc_args_destroy(rec);
}

/* A list added to itself gets a copy of what it held; NULLs, too deep and
 * too large are refused and leave the list as it was. */
static void test_add_list_errors(void) {
  mproc_args *a = NULL, *deep, *big = NULL, *b = NULL;
  const mproc_args *l = NULL, *ll = NULL;
  uint8_t *before, *after;
  size_t len, len2, n = 0;
  void *huge;
  T_OK(mproc_args_create_packed(&a, "i64 str", (int64_t)1, "x"));
  T_STATUS(mproc_args_add_list(NULL, a), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_add_list: args is NULL"));
  T_STATUS(mproc_args_add_list(a, NULL), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_add_list: list is NULL"));
  T_OK(mproc_args_add_list(a, a)); /* [1, "x", [1, "x"]] */
  T_OK(mproc_args_add_list(a, a)); /* [1, "x", [1, "x"], [1, "x", [1, "x"]]] */
  T_OK(mproc_args_count(a, &n));
  CU_ASSERT_EQUAL(n, 4);
  T_OK(mproc_args_get_list(a, 3, &l));
  if (l && mproc_args_get_list(l, 2, &ll) == MPROC_OK)
    T_OK(mproc_args_unpack(ll, "i64 str", &(int64_t){0}, &(const char *){NULL}));
  CU_ASSERT(size_right(a));
  /* Deep: a list 31 deep fits inside another (32); one 32 deep does not. */
  deep = chain(MPROC_ARGS_MAX_DEPTH - 1);
  T_OK(mproc_args_add_list(a, deep)); /* a is 32 deep now */
  T_OK(mproc_args_create(&b));
  T_STATUS(mproc_args_add_list(b, a), MPROC_ERANGE);
  CU_ASSERT(said("mproc_args_add_list: the list nests 32 deep"));
  T_OK(mproc_args_count(b, &n));
  CU_ASSERT_EQUAL(n, 0);
  mproc_args_destroy(b);
  b = NULL;
  T_OK(mproc__args_encode(a, &before, &len));
  T_OK(mproc__args_decode(before, len, &b)); /* 32 deep decodes */
  if (b)
    mproc_args_destroy(b);
  /* Large: a list of exactly the size limit cannot be a value of another. */
  huge = calloc(1, MPROC_ARGS_MAX_SIZE);
  CU_ASSERT_FATAL(huge != NULL);
  T_OK(mproc_args_create(&big));
  T_OK(mproc_args_add_bytes(big, huge, MPROC_ARGS_MAX_SIZE - MPROC__ARGS_HEADER - 5));
  CU_ASSERT_EQUAL(big->encoded_size, MPROC_ARGS_MAX_SIZE);
  T_STATUS(mproc_args_add_list(a, big), MPROC_ERANGE);
  CU_ASSERT(said("mproc_args_add_list: encoding would exceed"));
  T_OK(mproc__args_encode(a, &after, &len2));
  CU_ASSERT(len2 == len && memcmp(after, before, len) == 0);
  free(after);
  free(before);
  free(huge);
  mproc_args_destroy(big);
  mproc_args_destroy(deep);
  mproc_args_destroy(a);
}

/* @buf is refused, by decode (no list) and by decode_into (its list left
 * empty, lists it held freed). */
static void check_refused(const uint8_t *buf, size_t len) {
  mproc_args *b = NULL, *into = NULL;
  size_t n = 99;
  T_STATUS(mproc__args_decode(buf, len, &b), MPROC_EPROTO);
  CU_ASSERT_PTR_NULL(b);
  T_OK(mproc_args_create_packed(&into, "str", "old"));
  T_OK(mproc_args_add_list(into, into));
  T_STATUS(mproc__args_decode_into(buf, len, into), MPROC_EPROTO);
  T_OK(mproc_args_count(into, &n));
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_EQUAL(into->encoded_size, MPROC__ARGS_HEADER);
  mproc_args_destroy(into);
}

/* The numbers-only fast path of decode_into (a list with room and no
 * buffers): the same values as the general path, and the same refusals,
 * with the list left empty. */
static void test_decode_numbers_fast_path(void) {
  mproc_args *src = NULL, *into = NULL;
  uint8_t buf[8 + 9 * 3];
  int64_t x = 0;
  double y = 0;
  size_t n = 0;
  T_OK(mproc_args_create_packed(&src, "i64 f64 i64", (int64_t)-5, 2.5, (int64_t)INT64_MAX));
  if (!src || src->encoded_size != sizeof buf)
    return;
  mproc__args_encode_to(src, buf);
  T_OK(mproc_args_create(&into));
  T_OK(mproc__args_decode_into(buf, sizeof buf, into)); /* general path: makes room */
  T_OK(mproc__args_decode_into(buf, sizeof buf, into)); /* fast path: room, no buffers */
  T_OK(mproc_args_unpack(into, "i64 f64 i64", &x, &y, &x));
  T_OK(mproc_args_get_i64(into, 0, &x));
  CU_ASSERT(x == -5 && y == 2.5);
  CU_ASSERT_EQUAL(into->encoded_size, sizeof buf);
  buf[8 + 9] = MPROC_TYPE_STR; /* a tag that is no number: the general path refuses */
  T_STATUS(mproc__args_decode_into(buf, sizeof buf, into), MPROC_EPROTO);
  T_OK(mproc_args_count(into, &n));
  CU_ASSERT_EQUAL(n, 0);
  buf[8 + 9] = MPROC_TYPE_F64;
  buf[4] = 4; /* a count the bytes do not hold */
  T_STATUS(mproc__args_decode_into(buf, sizeof buf, into), MPROC_EPROTO);
  buf[4] = 2; /* a count smaller than the bytes */
  T_STATUS(mproc__args_decode_into(buf, sizeof buf, into), MPROC_EPROTO);
  T_OK(mproc_args_count(into, &n));
  CU_ASSERT_EQUAL(n, 0);
  mproc_args_destroy(into);
  mproc_args_destroy(src);
}

/* Hostile nested lists, built by hand. */
static void test_decoder_rejects_nested(void) {
#define H(count) 'M', 'A', 1, 0, count, 0, 0, 0
#define I64_7 MPROC_TYPE_I64, 7, 0, 0, 0, 0, 0, 0, 0
  static const uint8_t past_end[] = {H(1), MPROC_TYPE_LIST, 0xff, 0xff, 0xff, 0x0f, H(0)};
  static const uint8_t len_short[] = {H(1), MPROC_TYPE_LIST, 12, 0, 0, 0, H(1), I64_7};
  static const uint8_t len_long[] = {H(1), MPROC_TYPE_LIST, 18, 0, 0, 0, H(1), I64_7, 0};
  static const uint8_t count_high[] = {H(1), MPROC_TYPE_LIST, 17, 0, 0, 0, H(2), I64_7};
  static const uint8_t count_low[] = {H(1), MPROC_TYPE_LIST, 17, 0, 0, 0, H(0), I64_7};
  static const uint8_t count_huge[] = {H(1), MPROC_TYPE_LIST, 17, 0, 0, 0, H(200), I64_7};
  static const uint8_t no_header[] = {H(1), MPROC_TYPE_LIST, 0, 0, 0, 0};
  static const uint8_t bad_magic[] = {H(1), MPROC_TYPE_LIST, 8, 0, 0, 0, 'M', 'B', 1, 0, 0, 0, 0,
                                      0};
  static const uint8_t bad_inside[] = {H(1), MPROC_TYPE_LIST, 10, 0, 0, 0,
                                       H(1), MPROC_TYPE_BOOL, 2};
  static const uint8_t outer_lie[] = {H(2), MPROC_TYPE_LIST, 8, 0, 0, 0, H(0)};
  static const uint8_t ok[] = {H(1), MPROC_TYPE_LIST, 17, 0, 0, 0, H(1), I64_7};
#undef H
#undef I64_7
  mproc_args *b = NULL;
  uint8_t *deep;
  size_t len;
  check_refused(past_end, sizeof past_end);
  check_refused(len_short, sizeof len_short);
  check_refused(len_long, sizeof len_long);
  check_refused(count_high, sizeof count_high);
  check_refused(count_low, sizeof count_low);
  check_refused(count_huge, sizeof count_huge);
  check_refused(no_header, sizeof no_header);
  check_refused(bad_magic, sizeof bad_magic);
  check_refused(bad_inside, sizeof bad_inside);
  check_refused(outer_lie, sizeof outer_lie);
  T_OK(mproc__args_decode(ok, sizeof ok, &b));
  if (b)
    mproc_args_destroy(b);
  /* Depth: MPROC_ARGS_MAX_DEPTH levels decode, one more is refused. */
  b = NULL;
  deep = chain_bytes(MPROC_ARGS_MAX_DEPTH, &len);
  T_OK(mproc__args_decode(deep, len, &b));
  if (b)
    mproc_args_destroy(b);
  free(deep);
  deep = chain_bytes(MPROC_ARGS_MAX_DEPTH + 1, &len);
  check_refused(deep, len);
  CU_ASSERT(said("nested over 32 deep"));
  free(deep);
  deep = chain_bytes(100000, &len); /* the stack is never at stake */
  check_refused(deep, len);
  free(deep);
}

/* Every strict prefix of a nested encoding is refused; any bit flipped is
 * refused or re-encodes to the same bytes. */
static void test_nested_truncation_and_bit_flips(void) {
  mproc_args *a = nested(3);
  uint8_t *buf;
  size_t len;
  T_OK(mproc__args_encode(a, &buf, &len));
  check_prefixes(buf, len);
  check_bit_flips(buf, len);
  free(buf);
  mproc_args_destroy(a);
}

/* The list token: pack deep-copies, unpack lends; a NULL, a misfit and a
 * list too deep are refused, and change nothing. */
static void test_pack_unpack_list(void) {
  mproc_args *rec = NULL, *a = NULL, *deep = chain(MPROC_ARGS_MAX_DEPTH);
  const mproc_args *l = NULL, *got = NULL;
  int64_t i = 0;
  double f = 0;
  const char *s = NULL;
  size_t n = 0;
  T_OK(mproc_args_create_packed(&rec, "str f64", "ann", 1.5));
  T_OK(mproc_args_create_packed(&a, "i64 list list", (int64_t)2, rec, rec));
  T_OK(mproc_args_unpack(a, "i64 list ...", &i, &l));
  CU_ASSERT_EQUAL(i, 2);
  T_OK(mproc_args_get_list(a, 1, &got));
  CU_ASSERT(l == got && l != rec);
  if (l) {
    T_OK(mproc_args_unpack(l, "str f64", &s, &f));
    CU_ASSERT(s && strcmp(s, "ann") == 0 && f == 1.5);
  }
  T_STATUS(mproc_args_pack(a, "i64 list", (int64_t)1, (const mproc_args *)NULL), MPROC_EINVAL);
  CU_ASSERT(said("mproc_args_pack: format token 2 \"list\": the list is NULL"));
  T_STATUS(mproc_args_pack(a, "i64 list", (int64_t)1, deep), MPROC_ERANGE);
  CU_ASSERT(said("(format token 2 \"list\")"));
  T_OK(mproc_args_count(a, &n));
  CU_ASSERT_EQUAL(n, 3);
  T_STATUS(mproc_args_unpack(a, "list ...", &l), MPROC_ETYPE);
  CU_ASSERT(said("format token 1 wants list, but value 0 is i64"));
  T_STATUS(mproc_args_unpack(a, "i64 str ...", &i, &s), MPROC_ETYPE);
  CU_ASSERT(said("format token 2 wants str, but value 1 is list"));
  T_STATUS(mproc_args_unpack(a, "i64 list ...", &i, (const mproc_args **)NULL), MPROC_EINVAL);
  CU_ASSERT(said("format token 2 \"list\": a NULL pointer"));
  T_OK(mproc_args_unpack(a, "i64 ? list", &i, &l)); /* ? skips a list */
  mproc_args_destroy(deep);
  mproc_args_destroy(a);
  mproc_args_destroy(rec);
}

static const CU_TestInfo tests[] = {
    {"decode_into: the numbers-only fast path", test_decode_numbers_fast_path},
    {"round trip of every type", test_round_trip},
    {"getters check index and type", test_getters_check_index_and_type},
    {"bad input to adders", test_bad_input_to_adders},
    {"count limit", test_count_limit},
    {"copying nothing: an empty list, a range past the end", test_copy_nothing},
    {"writer: a pool task's frame, value by value", test_writer},
    {"writer: numbers from C arrays, nested", test_writer_c_numbers},
    {"writer: a value over the size limit", test_writer_value_too_long},
    {"reader: value by value, checked", test_reader},
    {"reader_next and writer_one: one value at a time", test_one_value_at_a_time},
    {"decoder rejects every truncation", test_decoder_rejects_truncation},
    {"decoder rejects garbage", test_decoder_rejects_garbage},
    {"decoder survives bit flips", test_decoder_survives_bit_flips},
    {"pack: every token", test_pack_every_token},
    {"unpack: every token, strings and bytes borrowed", test_unpack_every_token},
    {"unpack: ? skips a value, ... allows more", test_unpack_skip_and_rest},
    {"pack: a failure leaves the list as it was", test_pack_failure_changes_nothing},
    {"pack: a bad format or a NULL is refused", test_pack_bad_format},
    {"unpack: a misfit is refused and nothing written", test_unpack_refuses_and_writes_nothing},
    {"packv and unpackv: a wrapper's own format", test_packv_and_unpackv},
    {"list: the encoding, byte by byte", test_list_encoding},
    {"list: three deep, every type, round trip", test_nested_round_trip},
    {"list: copy, slice, append and clear copy whole", test_nested_copy_slice_append},
    {"list: decoded into a view, adopted or dropped", test_nested_view_and_adopt},
    {"list: value by value, as a map moves it", test_nested_value_by_value},
    {"list: get_list lends a view", test_get_list_borrowed},
    {"list: added to itself; NULL, too deep, too large refused", test_add_list_errors},
    {"list: decoder rejects hostile nesting", test_decoder_rejects_nested},
    {"list: decoder rejects truncation, survives bit flips", test_nested_truncation_and_bit_flips},
    {"list: pack and unpack the list token", test_pack_unpack_list},
    CU_TEST_INFO_NULL};

const test_suite suite_args = {"args", tests, NULL};
