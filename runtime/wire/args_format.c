/*
 * mproc_args_pack() and mproc_args_unpack(): a list built or read as a
 * format says, e.g. "i64 str" (the table is mproc/args.h's).
 *
 * Both check the whole format before they touch anything, so that a typo is
 * an error naming the token, never a half-built list or a half-read one:
 * pack then only fails on a value (a NULL string, the list's limits) and
 * rolls back what it appended; unpack checks every value's type and every
 * pointer in a first pass and writes in a second, so a failure writes
 * nothing. Variadic arguments are walked through a va_copy() per pass,
 * passed by pointer: a va_list handed to a function by value is
 * indeterminate in the caller afterwards (C11 7.16p3).
 */
#include <stdarg.h>
#include <string.h>

#include "wire/args.h"

/* A token: an mproc_type for a value token, or one of these. */
enum { TOK_END = 0, TOK_SKIP = -1, TOK_REST = -2, TOK_EMPTY = -3, TOK_UNKNOWN = -4 };

static const struct {
  const char *name;
  int token;
} tokens[] = {{"i64", MPROC_TYPE_I64},
              {"f64", MPROC_TYPE_F64},
              {"bool", MPROC_TYPE_BOOL},
              {"str", MPROC_TYPE_STR},
              {"bytes", MPROC_TYPE_BYTES},
              {"none", MPROC_TYPE_NONE},
              {"list", MPROC_TYPE_LIST},
              {"?", TOK_SKIP},
              {"...", TOK_REST}};

/* Where a walk over a format is. */
typedef struct cursor {
  const char *next; /* the next token; NULL after the last */
  const char *at;   /* the current token (not NUL-terminated), for messages */
  size_t len;
  size_t n; /* its position, from 1 */
} cursor;

static void cursor_init(cursor *c, const char *format) {
  memset(c, 0, sizeof *c);
  c->next = *format ? format : NULL; /* "" is no token, not one empty token */
}

/* The next token; single spaces separate them, so "a  b", " a" and "a " have
 * an empty one (a stray space is more likely a slip than a style). */
static int next_token(cursor *c) {
  const char *end;
  size_t i;
  if (!c->next)
    return TOK_END;
  end = strchr(c->next, ' ');
  if (!end)
    end = c->next + strlen(c->next);
  c->at = c->next;
  c->len = (size_t)(end - c->next);
  c->next = *end ? end + 1 : NULL;
  c->n++;
  if (c->len == 0)
    return TOK_EMPTY;
  for (i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
    if (strlen(tokens[i].name) == c->len && memcmp(tokens[i].name, c->at, c->len) == 0)
      return tokens[i].token;
  return TOK_UNKNOWN;
}

static const char *type_name(int type) {
  size_t i;
  if (type == MPROC_TYPE_OBJECT)
    return "object";
  for (i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
    if (tokens[i].token == type)
      return tokens[i].name;
  return "unknown";
}

/* The current token, cut short for a message (a format is no place for a
 * long word, and a message has 512 bytes). */
static int shown(const cursor *c) { return c->len > 32 ? 32 : (int)c->len; }

/* Checks the format's syntax; @unpack allows "?" and a final "...".
 * @values: the values it names; @rest: whether it ends with "...". */
static mproc_status check_format(const char *format, int unpack, size_t *values, int *rest,
                                 const char *fn) {
  cursor c;
  int t;
  cursor_init(&c, format);
  *values = 0;
  *rest = 0;
  while ((t = next_token(&c)) != TOK_END) {
    if (t == TOK_EMPTY)
      return mproc__fail(MPROC_EINVAL, "%s: format token %zu is empty (one space between tokens)",
                         fn, c.n);
    if (t == TOK_UNKNOWN)
      return mproc__fail(MPROC_EINVAL, "%s: format token %zu \"%.*s\" is unknown", fn, c.n,
                         shown(&c), c.at);
    if (!unpack && (t == TOK_SKIP || t == TOK_REST))
      return mproc__fail(MPROC_EINVAL, "%s: format token %zu \"%.*s\" is for unpacking only", fn,
                         c.n, shown(&c), c.at);
    if (t == TOK_REST && c.next)
      return mproc__fail(MPROC_EINVAL, "%s: format token %zu \"...\" is not the last", fn, c.n);
    if (t == TOK_REST)
      *rest = 1;
    else
      (*values)++;
  }
  return MPROC_OK;
}

/* The start of every pack and unpack: the list and the format given, the
 * format checked whole before any value is touched. */
static mproc_status check_call(const mproc_args *a, const char *format, int unpack, size_t *values,
                               int *rest, const char *fn) {
  if (!a || !format)
    return mproc__fail(MPROC_EINVAL, "%s: %s is NULL", fn, a ? "format" : "args");
  return check_format(format, unpack, values, rest, fn);
}

/* ---- pack ---- */

/* Token @t's value, if it owns no buffer, from its argument in @ap. */
static mproc__item scalar(int t, va_list *ap) {
  mproc__item it;
  memset(&it, 0, sizeof it);
  it.type = (uint8_t)t;
  if (t == MPROC_TYPE_I64)
    it.v.i64 = va_arg(*ap, int64_t);
  else if (t == MPROC_TYPE_F64)
    it.v.f64 = va_arg(*ap, double);
  else if (t == MPROC_TYPE_BOOL)
    it.v.b = va_arg(*ap, int) != 0; /* (a bool argument is promoted to int) */
  return it;                        /* none: no argument */
}

/* Appends the value of token @t, taking its arguments from @ap. */
static mproc_status pack_one(mproc_args *a, int t, va_list *ap, const cursor *c, const char *fn) {
  const char *s;
  const void *data;
  const mproc_args *list;
  size_t size;
  mproc__item it;
  mproc_status st;
  if (t == MPROC_TYPE_LIST) {
    list = va_arg(*ap, const mproc_args *);
    if (!list)
      return mproc__fail(MPROC_EINVAL, "%s: format token %zu \"list\": the list is NULL", fn, c->n);
    st = mproc__args_push_list(a, list, fn);
  } else if (t == MPROC_TYPE_STR) {
    s = va_arg(*ap, const char *);
    if (!s)
      return mproc__fail(MPROC_EINVAL, "%s: format token %zu \"str\": the string is NULL", fn,
                         c->n);
    st = mproc__args_push_copy(a, MPROC_TYPE_STR, 0, 0, s, strlen(s), fn);
  } else if (t == MPROC_TYPE_BYTES) {
    data = va_arg(*ap, const void *);
    size = va_arg(*ap, size_t);
    if (!data && size)
      return mproc__fail(MPROC_EINVAL, "%s: format token %zu \"bytes\": NULL data of %zu bytes", fn,
                         c->n, size);
    st = mproc__args_push_copy(a, MPROC_TYPE_BYTES, 0, 0, data, size, fn);
  } else {
    it = scalar(t, ap);
    st = mproc__args_push(a, &it, fn);
  }
  if (st == MPROC_OK)
    return MPROC_OK;
  return mproc__fail(st, "%s (format token %zu \"%.*s\")", mproc_last_error(), c->n, shown(c),
                     c->at);
}

/* Appends the values; on failure drops those it appended. */
static mproc_status pack_values(mproc_args *a, const char *format, va_list *ap, const char *fn) {
  size_t before = a->count;
  mproc_status st = MPROC_OK;
  cursor c;
  int t;
  cursor_init(&c, format);
  while (st == MPROC_OK && (t = next_token(&c)) != TOK_END)
    st = pack_one(a, t, ap, &c, fn);
  while (st != MPROC_OK && a->count > before)
    mproc__args_drop_last(a);
  return st;
}

static mproc_status pack(mproc_args *a, const char *format, va_list ap, const char *fn) {
  size_t values;
  int rest;
  va_list copy;
  mproc_status st = check_call(a, format, 0, &values, &rest, fn);
  if (st != MPROC_OK)
    return st;
  va_copy(copy, ap);
  st = pack_values(a, format, &copy, fn);
  va_end(copy);
  return st;
}

mproc_status mproc_args_packv(mproc_args *args, const char *format, va_list ap) {
  return pack(args, format, ap, "mproc_args_packv");
}

mproc_status mproc_args_pack(mproc_args *args, const char *format, ...) {
  va_list ap;
  mproc_status st;
  va_start(ap, format);
  st = pack(args, format, ap, "mproc_args_pack");
  va_end(ap);
  return st;
}

mproc_status mproc__args_create_packedv(mproc_args **args, const char *format, va_list ap,
                                        const char *fn) {
  mproc_args *a = NULL;
  mproc_status st;
  if (!args)
    return mproc__fail(MPROC_EINVAL, "%s: args is NULL", fn);
  if (!format) /* before creating: nothing to undo */
    return mproc__fail(MPROC_EINVAL, "%s: format is NULL", fn);
  if ((st = mproc_args_create(&a)) != MPROC_OK)
    return st;
  if ((st = pack(a, format, ap, fn)) != MPROC_OK) {
    mproc_args_destroy(a);
    return st;
  }
  *args = a;
  return MPROC_OK;
}

mproc_status mproc_args_create_packed(mproc_args **args, const char *format, ...) {
  va_list ap;
  mproc_status st;
  va_start(ap, format);
  st = mproc__args_create_packedv(args, format, ap, "mproc_args_create_packed");
  va_end(ap);
  return st;
}

/* ---- unpack ---- */

/* Where token @t's value goes: the pointers it takes, each read as the type
 * it is passed as (va_arg() of another pointer type would be undefined). */
typedef struct out {
  int64_t *i64;
  double *f64;
  int *b;
  const char **str;
  const void **data;
  size_t *size;
  const mproc_args **list;
} out;

/* Takes token @t's pointers from @ap: 0 if one is NULL. */
static int take_out(int t, va_list *ap, out *o) {
  memset(o, 0, sizeof *o);
  switch (t) {
  case MPROC_TYPE_I64:
    return (o->i64 = va_arg(*ap, int64_t *)) != NULL;
  case MPROC_TYPE_F64:
    return (o->f64 = va_arg(*ap, double *)) != NULL;
  case MPROC_TYPE_BOOL:
    return (o->b = va_arg(*ap, int *)) != NULL;
  case MPROC_TYPE_STR:
    return (o->str = va_arg(*ap, const char **)) != NULL;
  case MPROC_TYPE_LIST:
    return (o->list = va_arg(*ap, const mproc_args **)) != NULL;
  case MPROC_TYPE_BYTES:
    o->data = va_arg(*ap, const void **);
    o->size = va_arg(*ap, size_t *);
    return o->data && o->size;
  default: /* none, ?: no pointer */
    return 1;
  }
}

static void write_out(const mproc__item *it, const out *o) {
  switch (it->type) {
  case MPROC_TYPE_I64:
    *o->i64 = it->v.i64;
    break;
  case MPROC_TYPE_F64:
    *o->f64 = it->v.f64;
    break;
  case MPROC_TYPE_BOOL:
    *o->b = it->v.b;
    break;
  case MPROC_TYPE_STR:
    *o->str = it->v.data ? (const char *)it->v.data : "";
    break;
  case MPROC_TYPE_BYTES:
    *o->data = it->v.data;
    *o->size = it->len;
    break;
  case MPROC_TYPE_LIST:
    *o->list = it->v.list;
    break;
  default: /* none: nothing to write */
    break;
  }
}

/* Takes token @t's pointers from @ap and checks them against value @index;
 * writes the value through them if @write. */
static mproc_status unpack_one(const mproc__item *it, size_t index, int t, va_list *ap, int write,
                               const cursor *c, const char *fn) {
  out o;
  if (!take_out(t, ap, &o))
    return mproc__fail(MPROC_EINVAL, "%s: format token %zu \"%.*s\": a NULL pointer", fn, c->n,
                       shown(c), c->at);
  if (t == TOK_SKIP)
    return MPROC_OK;
  if (it->type != t)
    return mproc__fail(MPROC_ETYPE, "%s: format token %zu wants %s, but value %zu is %s", fn, c->n,
                       type_name(t), index, type_name(it->type));
  if (write)
    write_out(it, &o);
  return MPROC_OK;
}

/* One pass over the values: check (@write 0) or write (1). */
static mproc_status unpack_values(const mproc_args *a, const char *format, va_list *ap, int write,
                                  const char *fn) {
  mproc_status st = MPROC_OK;
  size_t i = 0;
  cursor c;
  int t;
  cursor_init(&c, format);
  while (st == MPROC_OK && (t = next_token(&c)) != TOK_END && t != TOK_REST) {
    st = unpack_one(&a->items[i], i, t, ap, write, &c, fn);
    i++;
  }
  return st;
}

/* Checks every value before writing any: a failure writes nothing. */
static mproc_status unpack(const mproc_args *a, const char *format, va_list ap, const char *fn) {
  size_t values;
  int rest;
  va_list copy;
  mproc_status st = check_call(a, format, 1, &values, &rest, fn);
  if (st != MPROC_OK)
    return st;
  if (values > a->count || (values < a->count && !rest))
    return mproc__fail(MPROC_ERANGE, "%s: the format reads %zu values, the list has %zu%s", fn,
                       values, a->count,
                       values < a->count ? " (end the format with \"...\" to allow more)" : "");
  va_copy(copy, ap);
  st = unpack_values(a, format, &copy, 0, fn);
  va_end(copy);
  if (st != MPROC_OK)
    return st;
  va_copy(copy, ap);
  st = unpack_values(a, format, &copy, 1, fn);
  va_end(copy);
  return st;
}

mproc_status mproc_args_unpackv(const mproc_args *args, const char *format, va_list ap) {
  return unpack(args, format, ap, "mproc_args_unpackv");
}

mproc_status mproc_args_unpack(const mproc_args *args, const char *format, ...) {
  va_list ap;
  mproc_status st;
  va_start(ap, format);
  st = unpack(args, format, ap, "mproc_args_unpack");
  va_end(ap);
  return st;
}
