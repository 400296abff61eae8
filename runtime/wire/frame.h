/*
 * Framed messages over a channel (frame.c): the one way bytes cross between
 * mproc processes. The frame types and payloads are in protocol.h.
 */
#ifndef MPROC_FRAME_H
#define MPROC_FRAME_H

#include "core/spin.h"
#include "platform.h"
#include "wire/protocol.h"

mproc_status mproc__frame_send(mproc__chan *chan, uint16_t type, const uint8_t *payload,
                               size_t len);
/* Writes a frame of @len <= 4084 bytes into @out (MPROC__FRAME_HEADER + @len
 * bytes, returned), for several frames in one write. */
size_t mproc__frame_pack(uint8_t *out, uint16_t type, const uint8_t *payload, size_t len);
/* MPROC_ECLOSED when the stream ends cleanly before a frame; *payload is malloc'ed. */
mproc_status mproc__frame_recv(mproc__chan *chan, uint16_t *type, uint8_t **payload, size_t *len);

/* mproc__frame_recv() after an adaptive spin on @chan,
 * into @buf: the payload is buf->data, valid until the next receive. */
mproc_status mproc__frame_recv_spin(mproc__chan *chan, mproc__spin *spin, uint16_t *type,
                                    mproc__buf *buf, size_t *len);

#endif /* MPROC_FRAME_H */
