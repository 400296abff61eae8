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

#include "base/endian.h"
#include "wire/frame.h"

#define FRAME_HEADER MPROC__FRAME_HEADER
/* Frames up to this size go out in one write: a reader woken by the header
 * alone would sleep again for the payload (two wake-ups per frame). */
#define FRAME_ONE_WRITE 4096u

static void put_frame_header(uint8_t *h, uint16_t type, size_t len) {
  memcpy(h, "MPRC", 4);
  mproc__put_u16(h + 4, MPROC_PROTOCOL_VERSION);
  mproc__put_u16(h + 6, type);
  mproc__put_u32(h + 8, (uint32_t)len);
}

size_t mproc__frame_pack(uint8_t *out, uint16_t type, const uint8_t *payload, size_t len) {
  put_frame_header(out, type, len);
  if (len)
    memcpy(out + FRAME_HEADER, payload, len);
  return FRAME_HEADER + len;
}

mproc_status mproc__frame_send(mproc__chan *chan, uint16_t type, const uint8_t *payload,
                               size_t len) {
  uint8_t h[FRAME_ONE_WRITE];
  mproc_status st;
  if (len > MPROC__FRAME_MAX)
    return mproc__fail(MPROC_ERANGE, "frame of %zu bytes exceeds %u", len, MPROC__FRAME_MAX);
  if (len <= FRAME_ONE_WRITE - FRAME_HEADER)
    return mproc__chan_write(chan, h, mproc__frame_pack(h, type, payload, len));
  put_frame_header(h, type, len);
  st = mproc__chan_write(chan, h, FRAME_HEADER);
  if (st == MPROC_OK && len)
    st = mproc__chan_write(chan, payload, len);
  return st;
}

/* Up to @n bytes: first what was read ahead, then one read, into @buf
 * directly when @n is at least the read-ahead, else into the read-ahead. */
static mproc_status read_some(mproc__chan *chan, uint8_t *buf, size_t n, size_t *got) {
  mproc_status st;
  if (chan->ahead_pos >= chan->ahead_len) {
    chan->ahead_pos = chan->ahead_len = 0;
    if (n >= sizeof chan->ahead)
      return mproc__chan_read(chan, buf, n, got);
    st = mproc__chan_read(chan, chan->ahead, sizeof chan->ahead, &chan->ahead_len);
    if (st != MPROC_OK || chan->ahead_len == 0) {
      chan->ahead_len = 0;
      *got = 0;
      return st;
    }
  }
  *got = chan->ahead_len - chan->ahead_pos < n ? chan->ahead_len - chan->ahead_pos : n;
  memcpy(buf, chan->ahead + chan->ahead_pos, *got);
  chan->ahead_pos += *got;
  return MPROC_OK;
}

/* Reads exactly @n bytes; *eof is set when the stream ended before the first one. */
static mproc_status read_exact(mproc__chan *chan, uint8_t *buf, size_t n, int *eof) {
  size_t done = 0, got;
  *eof = 0;
  while (done < n) {
    mproc_status st = read_some(chan, buf + done, n - done, &got);
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

/* A frame into @buf, grown (not copied) to fit it. */
static mproc_status recv_into(mproc__chan *chan, uint16_t *type, mproc__buf *buf, size_t *len) {
  uint8_t h[FRAME_HEADER];
  uint32_t n;
  int eof;
  mproc_status st = read_exact(chan, h, sizeof h, &eof);
  if (st != MPROC_OK)
    return eof ? mproc__fail(MPROC_ECLOSED, "channel closed by the peer") : st;
  if (memcmp(h, "MPRC", 4) != 0)
    return mproc__fail(MPROC_EPROTO, "frame: bad magic");
  if (mproc__get_u16(h + 4) != MPROC_PROTOCOL_VERSION)
    return mproc__fail(MPROC_EPROTO, "frame: protocol version %u, expected %u",
                       (unsigned)mproc__get_u16(h + 4), (unsigned)MPROC_PROTOCOL_VERSION);
  n = mproc__get_u32(h + 8);
  if (n > MPROC__FRAME_MAX)
    return mproc__fail(MPROC_EPROTO, "frame: length %u exceeds %u", n, MPROC__FRAME_MAX);
  if ((st = mproc__buf_reserve(buf, n)) != MPROC_OK)
    return st;
  if (n && (st = read_exact(chan, buf->data, n, &eof)) != MPROC_OK)
    return st;
  *type = mproc__get_u16(h + 6);
  *len = n;
  return MPROC_OK;
}

mproc_status mproc__frame_recv(mproc__chan *chan, uint16_t *type, uint8_t **payload, size_t *len) {
  mproc__buf b = {NULL, 0};
  mproc_status st = recv_into(chan, type, &b, len);
  if (st != MPROC_OK)
    free(b.data);
  *payload = st == MPROC_OK ? b.data : NULL;
  return st;
}

/* A frame (or part of one) is read ahead, or the channel has bytes (or its end). */
static int readable(const void *arg) {
  mproc__chan *chan = (mproc__chan *)arg;
  return chan->ahead_pos < chan->ahead_len || mproc__chan_readable(chan);
}

mproc_status mproc__frame_recv_spin(mproc__chan *chan, mproc__spin *spin, uint16_t *type,
                                    mproc__buf *buf, size_t *len) {
  int64_t start = mproc__now_us();
  mproc_status st;
  if (mproc__spin_wanted(spin))
    mproc__spin_until(readable, chan, start);
  st = recv_into(chan, type, buf, len);
  spin->last_us = mproc__now_us() - start;
  return st;
}
