/*
 * Length-prefixed, versioned frames over a channel.
 *
 * Header (12 bytes, little-endian): magic "MPRC", protocol version:u16,
 * type:u16, payload length:u32. A reader trusts nothing: a wrong magic or
 * version, or a length over MPROC__FRAME_MAX, is MPROC_EPROTO before any
 * payload is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FRAME_HEADER 12u

static void put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

mproc_status mproc__frame_send(mproc__chan *chan, uint16_t type, const uint8_t *payload,
                               size_t len) {
  uint8_t h[FRAME_HEADER];
  mproc_status st;
  if (len > MPROC__FRAME_MAX)
    return mproc__fail(MPROC_ERANGE, "frame of %zu bytes exceeds %u", len, MPROC__FRAME_MAX);
  memcpy(h, "MPRC", 4);
  put_u16(h + 4, MPROC_PROTOCOL_VERSION);
  put_u16(h + 6, type);
  put_u16(h + 8, (uint16_t)len);
  put_u16(h + 10, (uint16_t)(len >> 16));
  st = mproc__chan_write(chan, h, sizeof h);
  if (st == MPROC_OK && len)
    st = mproc__chan_write(chan, payload, len);
  return st;
}

/* Reads exactly @n bytes; *eof is set when the stream ended before the first one. */
static mproc_status read_exact(mproc__chan *chan, uint8_t *buf, size_t n, int *eof) {
  size_t done = 0, got;
  *eof = 0;
  while (done < n) {
    mproc_status st = mproc__chan_read(chan, buf + done, n - done, &got);
    if (st != MPROC_OK)
      return st;
    if (got == 0) {
      *eof = done == 0;
      return mproc__fail(MPROC_EPROTO, "channel closed inside a frame (%zu of %zu bytes)", done, n);
    }
    done += got;
  }
  return MPROC_OK;
}

mproc_status mproc__frame_recv(mproc__chan *chan, uint16_t *type, uint8_t **payload, size_t *len) {
  uint8_t h[FRAME_HEADER];
  uint8_t *body = NULL;
  uint32_t n;
  int eof;
  mproc_status st = read_exact(chan, h, sizeof h, &eof);
  if (st != MPROC_OK)
    return eof ? mproc__fail(MPROC_ECLOSED, "channel closed by the peer") : st;
  if (memcmp(h, "MPRC", 4) != 0)
    return mproc__fail(MPROC_EPROTO, "frame: bad magic");
  if (get_u16(h + 4) != MPROC_PROTOCOL_VERSION)
    return mproc__fail(MPROC_EPROTO, "frame: protocol version %u, expected %u",
                       (unsigned)get_u16(h + 4), (unsigned)MPROC_PROTOCOL_VERSION);
  n = (uint32_t)get_u16(h + 8) | (uint32_t)get_u16(h + 10) << 16;
  if (n > MPROC__FRAME_MAX)
    return mproc__fail(MPROC_EPROTO, "frame: length %u exceeds %u", n, MPROC__FRAME_MAX);
  if (n) {
    body = malloc(n);
    if (!body)
      return mproc__fail(MPROC_ENOMEM, "frame: out of memory for %u bytes", n);
    st = read_exact(chan, body, n, &eof);
    if (st != MPROC_OK) {
      free(body);
      return st;
    }
  }
  *type = get_u16(h + 6);
  *payload = body;
  *len = n;
  return MPROC_OK;
}
