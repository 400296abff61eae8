/*
 * Mailboxes: a pool worker's small frames through shared memory while the
 * receiver spins for them (see pool.h).
 *
 * Through the channel, a frame costs a write and a read even when the
 * receiver is spinning for it, and every spin turn polls the channel: system
 * calls, which on some VMs cost more than the wake-up they avoid. A mailbox
 * holds one frame per direction; a spinning receiver watches its words, so a
 * quick hand-off makes no system call at all. The channel stays the
 * authority: a receiver that stops spinning blocks on it (so it still sees
 * the peer's end), and every frame the mailbox does not carry takes it.
 *
 * Per direction: `spinning` (the receiver is watching), `full` (SLOT_EMPTY, SLOT_FULL,
 * or SLOT_TAKING while the receiver copies it), `sent` and `taken` (frames since
 * each side attached, whichever way they went), then the frame. Rules:
 * - The sender puts a frame only if the receiver is spinning, the slot is
 *   SLOT_EMPTY and taken == sent: nothing it sent before is unread, so the slot's
 *   frame is the next one in order.
 * - After putting (full = SLOT_FULL) it reads `spinning` again. A receiver that
 *   stopped in between may have missed it: the sender takes it back
 *   (SLOT_FULL -> SLOT_EMPTY) and sends it through the channel. A receiver clears
 *   `spinning` before its last look at `full`, and all these accesses are
 *   sequentially consistent, so one of the two always sees the other: a
 *   frame is neither lost nor read twice.
 * - A receiver takes a frame by swapping SLOT_FULL -> SLOT_TAKING; the swap decides a
 *   race with a sender taking it back.
 * A parent trusts nothing a worker wrote: it checks the length and copies
 * the frame out before it decodes it, as it does a lane's.
 */
#include <string.h>

#include "base/atomic.h"
#include "core/core.h"
#include "pool/pool.h"
#include "process/process.h"
#include "wire/args.h" /* the per-call path: see there */
#include "wire/frame.h"

enum { SLOT_EMPTY = 0, SLOT_FULL = 1, SLOT_TAKING = 2 };

#define MBOX_DIR 4096u /* bytes per direction, header included */
#define MBOX_HEAD 32u

struct mproc__mbox_dir {
  volatile uint32_t spinning, full;
  volatile uint64_t sent, taken;
  volatile uint32_t type, len;
  uint8_t data[MBOX_DIR - MBOX_HEAD];
};

mproc_status mproc__mbox_create(mproc__mbox *m) {
  mproc_status st;
  memset(m, 0, sizeof *m);
  st = mproc_shm_create(&m->shm, 2 * MBOX_DIR, NULL);
  if (st != MPROC_OK)
    m->shm = NULL;
  return st;
}

void mproc__mbox_drop(mproc__mbox *m) {
  if (m->shm)
    mproc_shm_destroy(m->shm);
  memset(m, 0, sizeof *m);
}

/* Direction 0: parent -> worker; 1: worker -> parent. */
static mproc__mbox_dir *dir_of(mproc_shm *shm, int up) {
  return (mproc__mbox_dir *)((uint8_t *)mproc_shm_base(shm) + (up ? MBOX_DIR : 0));
}

mproc_status mproc__mbox_check(mproc_shm *shm) {
  if (mproc_shm_size(shm) < 2 * MBOX_DIR)
    return mproc__fail(MPROC_EPROTO, "mailbox: a segment of %zu bytes", mproc_shm_size(shm));
  return MPROC_OK;
}

void mproc__mbox_attach(mproc_shm *shm, int up, mproc__mbox_tx *tx, mproc__mbox_rx *rx) {
  if (tx) {
    tx->d = dir_of(shm, up);
    tx->sent = 0;
  }
  if (rx) {
    rx->d = dir_of(shm, !up);
    rx->taken = 0;
  }
}

void mproc__mbox_reset(mproc__mbox *m) {
  if (m->shm)
    memset(mproc_shm_base(m->shm), 0, 2 * MBOX_DIR);
  m->tx.d = NULL;
  m->tx.sent = 0;
}

mproc_status mproc__mbox_send(mproc__mbox_tx *tx, mproc__chan *chan, uint16_t type,
                              const uint8_t *payload, size_t len) {
  mproc__mbox_dir *d = tx->d;
  mproc_status st = MPROC_OK;
  int put = d && len <= sizeof d->data && mproc__load32(&d->spinning) &&
            mproc__load32(&d->full) == SLOT_EMPTY && mproc__load64(&d->taken) == tx->sent;
  if (put) {
    if (len)
      memcpy(d->data, payload, len);
    mproc__store32(&d->type, type);
    mproc__store32(&d->len, (uint32_t)len);
    mproc__store32(&d->full, SLOT_FULL);
    if (!mproc__load32(&d->spinning) && mproc__cas32(&d->full, SLOT_FULL, SLOT_EMPTY))
      put = 0; /* the receiver stopped looking: the channel carries it */
  }
  if (!put)
    st = mproc__frame_send(chan, type, payload, len);
  if (d && st == MPROC_OK)
    mproc__store64(&d->sent, ++tx->sent);
  return st;
}

mproc_status mproc__mbox_send_packed(mproc__mbox_tx *tx, mproc__chan *chan, const uint8_t *bytes,
                                     size_t len, unsigned frames) {
  mproc_status st = mproc__chan_write(chan, bytes, len);
  if (tx->d && st == MPROC_OK)
    mproc__store64(&tx->d->sent, tx->sent += frames);
  return st;
}

int mproc__mbox_full(const mproc__mbox_rx *rx) {
  return rx->d && mproc__load32(&rx->d->full) == SLOT_FULL;
}

void mproc__mbox_watch(mproc__mbox_rx *rx, int on) {
  if (rx->d)
    mproc__store32(&rx->d->spinning, (uint32_t)on);
}

void mproc__mbox_counted(mproc__mbox_rx *rx) {
  if (rx->d)
    mproc__store64(&rx->d->taken, ++rx->taken);
}

mproc_status mproc__mbox_take(mproc__mbox_rx *rx, int *got, uint16_t *type, mproc__buf *buf,
                              size_t *len) {
  mproc__mbox_dir *d = rx->d;
  mproc_status st;
  uint32_t n;
  *got = d && mproc__cas32(&d->full, SLOT_FULL, SLOT_TAKING);
  if (!*got)
    return MPROC_OK;
  n = mproc__load32(&d->len); /* read once: a worker may change it */
  if (n > sizeof d->data)
    return mproc__fail(MPROC_EPROTO, "mailbox: a frame of %u bytes (at most %u)", n,
                       (unsigned)sizeof d->data);
  if ((st = mproc__buf_reserve(buf, n ? n : 1)) != MPROC_OK)
    return st;
  *type = (uint16_t)mproc__load32(&d->type);
  memcpy(buf->data, d->data, n);
  *len = n;
  mproc__mbox_counted(rx);
  mproc__store32(&d->full, SLOT_EMPTY);
  return MPROC_OK;
}

static int arrived(const void *arg) {
  const mproc__mbox_rx *rx = arg;
  return mproc__mbox_full(rx) || mproc__load64(&rx->d->sent) != rx->taken;
}

mproc_status mproc__mbox_recv(mproc__mbox_rx *rx, mproc__chan *chan, mproc__spin *spin,
                              uint16_t *type, mproc__buf *buf, size_t *len) {
  mproc__spin none = {INT64_MAX, 1};
  int64_t start = mproc__now_us();
  mproc_status st;
  int got;
  if (!rx->d)
    return mproc__frame_recv_spin(chan, spin, type, buf, len);
  if (mproc__spin_wanted(spin)) {
    mproc__mbox_watch(rx, 1);
    mproc__spin_until(arrived, rx, start);
    mproc__mbox_watch(rx, 0);
  }
  if ((st = mproc__mbox_take(rx, &got, type, buf, len)) != MPROC_OK) /* the last look */
    return st;
  if (!got && (st = mproc__frame_recv_spin(chan, &none, type, buf, len)) != MPROC_OK)
    return st;
  if (!got)
    mproc__mbox_counted(rx);
  spin->last_us = mproc__now_us() - start;
  return MPROC_OK;
}
