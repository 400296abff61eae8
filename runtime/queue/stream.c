/*
 * The message stream under Queue and Pipe: see stream.h for its layout and
 * the invariants that make a killed process harmless.
 *
 * A record is one 8-byte header, len:u32 | tag:u8 | check:u24, then len
 * bytes padded to 8. The check (a hash of len and tag) lets a reader tell a
 * header from garbage. A WRAP record says "continue at unit 0": a record
 * never straddles a ring's end. Readers copy a record out of the ring before
 * decoding it, so a peer writing the ring meanwhile cannot change what the
 * decoder already checked.
 */
#include <stdio.h>
#include <string.h>

#include "queue/stream.h"

int mproc__stream_die_at;

#define SLEEPING 0x80000000u
#define RING_MAGIC 0x4752504du /* "MPRG" */
#define RING_HEADER 64u
#define UNIT 8u
#define NAME_SERIALS 1296u    /* serials count modulo two base-36 digits */
#define POS_LIMIT 0x7fffffffu /* units in flight (16 GiB): positions stay comparable */
#define TAG_WRAP 3u
#define SHRINK_PROBE 64

typedef struct ring_header {
  uint32_t magic;
  uint32_t id;     /* its own id: log2(units) << 24 | serial */
  uint32_t start;  /* the stream position of its unit 0 */
  uint32_t sealed; /* 1 once producers moved on: end, end_count and next are valid */
  uint32_t end;    /* the position where it ends */
  uint32_t end_count;
  uint32_t next; /* the next ring's id */
  uint32_t pad;
  uint64_t pin; /* mproc__shm_pin()'s token: the ring lives with the stream's owner */
  uint8_t pad2[24];
} ring_header;

static void die_at(int step) {
  if (mproc__stream_die_at == step)
    mproc__exit_now(137);
}

static uint32_t w_count(uint64_t w) { return (uint32_t)(w >> 32); }
static uint32_t w_pos(uint64_t w) { return (uint32_t)w; }
static uint64_t w_make(uint32_t count, uint32_t pos) { return (uint64_t)count << 32 | pos; }
static uint32_t id_units(uint32_t id) { return 1u << (id >> 24); }
static uint32_t id_serial(uint32_t id) { return (id & 0xffffffu) % NAME_SERIALS; }
/* How far ring @b's serial is ahead of ring @a's. */
static uint32_t serial_gap(uint32_t a, uint32_t b) {
  return (id_serial(b) + NAME_SERIALS - id_serial(a)) % NAME_SERIALS;
}

static uint64_t record_header(uint32_t len, uint32_t tag) {
  uint32_t check = (len * 0x9e3779b1u ^ tag * 0x85ebca6bu ^ 0x5bd1e995u) & 0xffffffu;
  return (uint64_t)len | (uint64_t)tag << 32 | (uint64_t)check << 40;
}
static uint32_t record_units(size_t len) { return 1 + (uint32_t)((len + UNIT - 1) / UNIT); }
static size_t msg_len(const mproc__msg *m) {
  return m->type == MPROC__MSG_ARGS ? m->args->encoded_size : m->size;
}

/* ---- rings ---- */

/* "<owner>.<serial in two base-36 digits>": an owner's name leaves room
 * (object.h: at most 27 characters of MPROC__NAME_MAX). */
static void ring_name(char *out, const char *owner, uint32_t id) {
  static const char d[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  uint32_t s = id_serial(id);
  size_t n = strlen(owner);
  if (n > MPROC__NAME_MAX - 4)
    n = MPROC__NAME_MAX - 4;
  memcpy(out, owner, n);
  out[n] = '.';
  out[n + 1] = d[s / 36];
  out[n + 2] = d[s % 36];
  out[n + 3] = 0;
}

static ring_header *ring_of(const mproc__ring_map *m) { return (ring_header *)m->shm.base; }
static uint64_t *ring_units(const mproc__ring_map *m) {
  return (uint64_t *)((char *)m->shm.base + RING_HEADER);
}
static size_t ring_size(uint32_t id) { return RING_HEADER + (size_t)id_units(id) * UNIT; }

static void unmap(mproc__ring_map *m) {
  if (m->id)
    mproc__shm_close(&m->shm);
  m->id = 0;
}

/* Maps ring @id into @m (kept while @m already maps it). */
static mproc_status map_ring(mproc__stream *s, mproc__ring_map *m, uint32_t id, const char *fn) {
  char name[MPROC__NAME_MAX];
  mproc__shm shm;
  mproc_status st;
  const ring_header *h;
  if (m->id == id)
    return MPROC_OK;
  unmap(m);
  if ((id >> 24) < MPROC__RING_MIN_SHIFT || (id >> 24) > MPROC__RING_MAX_SHIFT)
    return mproc__fail(MPROC_EPROTO, "%s: %s: ring id %#x is not valid", fn, s->owner->name, id);
  ring_name(name, s->owner->name, id);
  memset(&shm, 0, sizeof shm);
  shm.h = MPROC__NO_HANDLE;
  st = mproc__shm_open(&shm, name, ring_size(id));
  if (st != MPROC_OK)
    return st;
  h = shm.base;
  if (h->magic != RING_MAGIC || h->id != id) {
    mproc__shm_close(&shm);
    return mproc__fail(MPROC_EPROTO, "%s: %s is not the ring it should be", fn, name);
  }
  m->shm = shm;
  m->id = id;
  return MPROC_OK;
}

/* Makes ring @id starting at stream position @start, pinned to the owner,
 * and maps it into @m. A leftover of the same name (a producer killed
 * between making a ring and sealing the old one) is no live ring, as the
 * serial gap check guarantees: it is removed, or where it cannot be (a
 * pinned Windows section), reused. A ring that cannot be pinned (its owner
 * is gone) lives while it is mapped. */
static mproc_status make_ring(mproc__stream *s, mproc__ring_map *m, uint32_t id, uint32_t start) {
  char name[MPROC__NAME_MAX];
  ring_header *h;
  uint64_t pin = 0;
  mproc_status st;
  unmap(m);
  ring_name(name, s->owner->name, id);
  mproc__shm_unlink(name);
  memset(&m->shm, 0, sizeof m->shm);
  m->shm.h = MPROC__NO_HANDLE;
  st = mproc__shm_create(&m->shm, name, ring_size(id));
  if (st != MPROC_OK) {
    char why[512];
    snprintf(why, sizeof why, "%s", mproc_last_error());
    if (mproc__shm_open(&m->shm, name, ring_size(id)) != MPROC_OK)
      return mproc__fail(st, "%s: a ring of %zu bytes for more messages: %s", s->owner->name,
                         ring_size(id), why);
    pin = ring_of(m)->pin;
  } else if (mproc__shm_pin(&m->shm, s->ctl->owner_pid, &pin) != MPROC_OK) {
    pin = 0;
  }
  m->id = id;
  h = ring_of(m);
  memset(h, 0, sizeof *h);
  h->id = id;
  h->start = start;
  h->pin = pin;
  mproc__store32(&h->magic, RING_MAGIC);
  return MPROC_OK;
}

/* Releases a ring the stream is done with: its pin, then its name. */
static void retire(const char *owner, int64_t owner_pid, const ring_header *h) {
  char name[MPROC__NAME_MAX];
  ring_name(name, owner, h->id);
  mproc__shm_unpin(owner_pid, h->pin);
  mproc__shm_unlink(name);
}

/* ---- sleeping and waking ---- */

/* A sleep lasts this long at most: a process killed between its store and
 * its wake (MPROC__DIE_PUT_COMMITTED) leaves sleepers no wake, so they
 * look again by themselves. */
#define NAP_MS 100

/* Sleeps on @word until it changes, @ready(s) holds, NAP_MS pass, or
 * @deadline passes; the callers look again in a loop. */
static void sleep_on(mproc__stream *s, volatile uint32_t *word, int (*ready)(mproc__stream *),
                     int64_t deadline) {
  uint32_t v = mproc__load32(word);
  int64_t left;
  while (!(v & SLEEPING) && !mproc__cas32(word, v, v | SLEEPING))
    v = mproc__load32(word);
  if (ready(s))
    return;
  left = mproc__remaining(deadline);
  if (left < 0 || left > NAP_MS)
    left = NAP_MS;
  if (left != 0)
    mproc__park_wait(s->owner, word, v | SLEEPING, left);
}

/* After a store the sleepers of @word wait for: wakes them if any. */
static void bump(mproc__stream *s, volatile uint32_t *word) {
  uint32_t v = mproc__load32(word);
  while (v & SLEEPING) {
    if (mproc__cas32(word, v, (v + 1) & ~SLEEPING)) {
      mproc__park_wake(s->owner, word, 1);
      return;
    }
    v = mproc__load32(word);
  }
}

void mproc__stream_wake_all(mproc__stream *s) {
  bump(s, &s->ctl->data_seq);
  bump(s, &s->ctl->room_seq);
  bump(s, &s->ctl->join_seq);
}

/* ---- locks ---- */

/* A dead producer may have sealed its ring without moving on (see
 * switch_ring): finish that. Consumers may even have read the sealed ring
 * and removed it since: then theirs is the producers' ring. */
static void repair_put(mproc__stream *s, const char *fn) {
  mproc__stream_ctl *c = s->ctl;
  uint32_t put = mproc__load32(&c->put_ring), get = mproc__load32(&c->get_ring);
  if (map_ring(s, &s->put_map, put, fn) != MPROC_OK) {
    if (get != put)
      mproc__store32(&c->put_ring, get);
    return;
  }
  if (mproc__load32(&ring_of(&s->put_map)->sealed))
    mproc__store32(&c->put_ring, ring_of(&s->put_map)->next);
}

/* Locks one side (without limit: holders never sleep holding it, and a dead
 * one is detected). A consumer needs no repair: its state is its head word,
 * and a ring it left behind is found sealed and left again. */
static void lock_side(mproc__stream *s, mproc__mutex *m, int put, const char *fn) {
  if (mproc__mutex_lock(s->owner, m, MPROC_WAIT_FOREVER) == MPROC_EOWNERDEAD && put)
    repair_put(s, fn);
}
static void unlock_side(mproc__stream *s, mproc__mutex *m, const char *fn) {
  mproc__mutex_unlock(s->owner, m, fn);
}

/* ---- setting up ---- */

mproc_status mproc__stream_init(mproc__stream *s, mproc__obj *owner, mproc__stream_ctl *ctl,
                                uint32_t maxsize, uint32_t shift) {
  uint32_t id = shift << 24 | 1u;
  mproc_status st;
  mproc__stream_attach(s, owner, ctl);
  ctl->maxsize = maxsize;
  ctl->shift0 = shift;
  ctl->owner_pid = mproc__self_pid();
  st = make_ring(s, &s->put_map, id, 0);
  if (st != MPROC_OK)
    return st;
  ctl->put_ring = id;
  ctl->get_ring = id;
  return MPROC_OK;
}

void mproc__stream_attach(mproc__stream *s, mproc__obj *owner, mproc__stream_ctl *ctl) {
  memset(s, 0, sizeof *s);
  s->owner = owner;
  s->ctl = ctl;
}

void mproc__stream_detach(mproc__stream *s) {
  unmap(&s->put_map);
  unmap(&s->get_map);
  mproc__buf_trim(&s->scratch, 1);
}

/* Retires ring @id of @owner if it still exists (its header gives the
 * pin); the next ring's id if it was sealed, else 0 (no id is 0). */
static uint32_t retire_id(const char *owner, int64_t owner_pid, uint32_t id) {
  char name[MPROC__NAME_MAX];
  mproc__shm shm = {NULL, 0, MPROC__NO_HANDLE};
  const ring_header *h;
  uint32_t next = 0;
  ring_name(name, owner, id);
  if (mproc__shm_open(&shm, name, ring_size(id)) != MPROC_OK)
    return 0;
  h = shm.base;
  if (h->magic == RING_MAGIC && h->id == id) {
    if (mproc__load32(&h->sealed))
      next = h->next;
    retire(owner, owner_pid, h);
  }
  mproc__shm_close(&shm);
  return next;
}

/* Follows the chain from the consumers' ring, retiring each; then removes
 * the names a killed process may have left around it (see advance() and
 * switch_ring()). Housekeeping of a successful destroy: the last error's
 * detail is kept. */
void mproc__stream_unlink(const char *owner_name, const mproc__stream_ctl *ctl) {
  char name[MPROC__NAME_MAX], saved[512];
  uint32_t id = mproc__load32(&ctl->get_ring), i;
  uint32_t first = id_serial(id) + NAME_SERIALS - 1, last = id_serial(ctl->put_ring) + 1;
  snprintf(saved, sizeof saved, "%s", mproc_last_error());
  for (i = 0; id != 0 && i < NAME_SERIALS; i++)
    id = retire_id(owner_name, ctl->owner_pid, id);
  if (ctl->retiring)
    retire_id(owner_name, ctl->owner_pid, ctl->retiring);
  ring_name(name, owner_name, first);
  mproc__shm_unlink(name);
  ring_name(name, owner_name, last);
  mproc__shm_unlink(name);
  mproc__fail(0, "%s", saved);
}

/* ---- putting ---- */

/* Where one side's put or get has got to: its commit word as it will be,
 * and how many records since that word was last stored. */
typedef struct cursor {
  uint32_t count, pos;
  uint32_t pending;
} cursor;

static cursor cursor_at(const uint64_t *word) {
  uint64_t w = mproc__load64(word);
  cursor c;
  c.count = w_count(w);
  c.pos = w_pos(w);
  c.pending = 0;
  return c;
}

/* Stores @c into its side's commit word (tail or head), if it moved: a
 * release store, so the records it covers are seen first. The other side's
 * sleepers also need it seen before this side looks for them (bump());
 * the side lock's release, an exchange, comes between and orders both. */
static void commit(uint64_t *word, cursor *c) {
  if (!c->pending)
    return;
  mproc__store_rel64(word, w_make(c->count, c->pos));
  c->pending = 0;
}

/* Units of ring @h in use at producer position @pos, by the head last seen. */
static uint32_t used_units(const mproc__stream *s, const ring_header *h, uint32_t pos) {
  uint32_t hp = w_pos(s->head_seen);
  return (int32_t)(hp - h->start) >= 0 ? pos - hp : pos - h->start;
}

static void write_record(uint64_t *at, const mproc__msg *m, uint32_t len) {
  at[0] = record_header(len, (uint32_t)m->type);
  if (m->type == MPROC__MSG_ARGS)
    mproc__args_encode_to(m->args, (uint8_t *)(at + 1));
  else if (len)
    memcpy(at + 1, m->data, len);
}

/* Moves producers to a new ring of 2^shift units, after committing what is
 * written: made, then the old one sealed, then put_ring moved, so that a
 * producer killed at any step leaves what repair_put() finishes. */
static mproc_status switch_ring(mproc__stream *s, cursor *p, uint32_t shift, const char *fn) {
  mproc__stream_ctl *c = s->ctl;
  ring_header *old;
  uint32_t old_id = c->put_ring;
  uint32_t id = shift << 24 | (id_serial(old_id) + 1) % NAME_SERIALS;
  mproc__ring_map fresh = {0, {NULL, 0, MPROC__NO_HANDLE}};
  mproc_status st;
  if (serial_gap(mproc__load32(&c->get_ring), id) == 0)
    return mproc__fail(MPROC_EFULL, "%s: %s holds %u rings, the most it may", fn, s->owner->name,
                       NAME_SERIALS - 1);
  commit(&s->ctl->tail, p);
  st = make_ring(s, &fresh, id, p->pos);
  if (st != MPROC_OK)
    return st;
  die_at(MPROC__DIE_SWITCH_CREATED);
  old = ring_of(&s->put_map);
  old->end = p->pos;
  old->end_count = p->count;
  old->next = id;
  mproc__store32(&old->sealed, 1);
  die_at(MPROC__DIE_SWITCH_SEALED);
  mproc__store32(&c->put_ring, id);
  unmap(&s->put_map);
  s->put_map = fresh;
  return MPROC_OK;
}

/* The shift of a ring for a record of @need units after one of 2^shift was
 * too small: double it, and more when the record needs it; at the largest
 * size, chain another of that size. */
static uint32_t grown_shift(uint32_t shift, uint32_t need) {
  uint32_t to = shift + 1;
  while (to < MPROC__RING_MAX_SHIFT && (1u << to) < 2 * (uint64_t)need)
    to++;
  return to > MPROC__RING_MAX_SHIFT ? MPROC__RING_MAX_SHIFT : to;
}

/* A large ring is given up for one of the first size once the stream is
 * empty and the message is small for that size. */
static int shrink_wanted(mproc__stream *s, const cursor *p, uint32_t shift, uint32_t need) {
  if (shift <= s->ctl->shift0 || 4 * need > (1u << s->ctl->shift0) || p->pending)
    return 0;
  /* The head is the consumers' cache line: look at it every SHRINK_PROBE
   * puts, not on each one (the cached head may say "empty" in between). */
  if (w_pos(s->head_seen) != p->pos && ++s->shrink_probe % SHRINK_PROBE == 0)
    s->head_seen = mproc__load64(&s->ctl->head);
  return w_pos(s->head_seen) == p->pos;
}

/* Writes one record at the producers' ring, growing or shrinking it as
 * needed (see mproc/queue.h). */
static mproc_status place(mproc__stream *s, cursor *p, const mproc__msg *m, const char *fn) {
  mproc__stream_ctl *c = s->ctl;
  uint32_t len = (uint32_t)msg_len(m), need = record_units(len);
  int fresh = 0;
  for (;;) {
    uint32_t units, off, used, contig, shift;
    ring_header *h;
    uint64_t *base;
    mproc_status st = map_ring(s, &s->put_map, c->put_ring, fn);
    if (st != MPROC_OK)
      return st;
    h = ring_of(&s->put_map);
    base = ring_units(&s->put_map);
    shift = s->put_map.id >> 24;
    units = 1u << shift;
    off = (p->pos - h->start) & (units - 1);
    used = used_units(s, h, p->pos);
    contig = units - off;
    if (shrink_wanted(s, p, shift, need)) {
      st = switch_ring(s, p, c->shift0, fn);
      if (st != MPROC_OK)
        return st;
      continue;
    }
    if (need <= contig && used <= units - need) {
      write_record(base + off, m, len);
      p->pos += need;
      return MPROC_OK;
    }
    if (need > contig && need <= units - contig && used <= units - contig - need) {
      base[off] = record_header(0, TAG_WRAP);
      write_record(base, m, len);
      p->pos += contig + need;
      return MPROC_OK;
    }
    if (!fresh) { /* the head seen may be old: look again before growing */
      s->head_seen = mproc__load64(&c->head);
      fresh = 1;
      continue;
    }
    st = switch_ring(s, p, grown_shift(shift, need), fn);
    if (st != MPROC_OK)
      return st;
    fresh = 0;
  }
}

/* Whether a producer at tail (@count, @pos) may put one more message, the
 * consumers being at @head: maxsize, and the stream's limits. */
static int room_at(const mproc__stream_ctl *c, uint32_t count, uint32_t pos, uint64_t head) {
  uint32_t max = c->maxsize ? c->maxsize : MPROC_QUEUE_MAX_ITEMS;
  return count - w_count(head) < max && pos - w_pos(head) < POS_LIMIT / 2;
}

/* room_at(), by the head last seen, then by a fresh look (put lock held). */
static int room(mproc__stream *s, const cursor *p) {
  if (room_at(s->ctl, p->count, p->pos, s->head_seen))
    return 1;
  s->head_seen = mproc__load64(&s->ctl->head);
  return room_at(s->ctl, p->count, p->pos, s->head_seen);
}

static int has_room(mproc__stream *s) {
  uint64_t t = mproc__load64(&s->ctl->tail);
  return mproc__load32(&s->ctl->shut) ||
         room_at(s->ctl, w_count(t), w_pos(t), mproc__load64(&s->ctl->head));
}

mproc_status mproc__stream_put(mproc__stream *s, const mproc__msg *msgs, size_t n, int64_t deadline,
                               size_t *put, const char *fn) {
  mproc__stream_ctl *c = s->ctl;
  mproc_status st = MPROC_OK;
  size_t done = 0;
  while (done < n) {
    cursor p;
    lock_side(s, &c->put_lock, 1, fn);
    die_at(MPROC__DIE_PUT_LOCKED);
    p = cursor_at(&c->tail);
    while (done < n && st == MPROC_OK && !mproc__load32(&c->shut) && room(s, &p)) {
      st = place(s, &p, &msgs[done], fn);
      if (st == MPROC_OK) {
        p.count++;
        p.pending++;
        done++;
      }
    }
    die_at(MPROC__DIE_PUT_WRITTEN);
    commit(&c->tail, &p);
    die_at(MPROC__DIE_PUT_COMMITTED);
    unlock_side(s, &c->put_lock, fn);
    bump(s, &c->data_seq);
    if (st != MPROC_OK || done == n)
      break;
    if (mproc__load32(&c->shut)) {
      st = mproc__fail(MPROC_ECLOSED, "%s: %s is shut down", fn, s->owner->name);
      break;
    }
    if (mproc__remaining(deadline) == 0) {
      st = mproc__fail(MPROC_EFULL, "%s: %s is full", fn, s->owner->name);
      break;
    }
    sleep_on(s, &c->room_seq, has_room, deadline);
  }
  if (put)
    *put = done;
  return st;
}

/* ---- getting ---- */

/* Leaves a sealed ring the consumers have read to its end. `retiring`
 * names it until it is removed: a consumer killed in between leaves it to
 * the next (finish_retiring()). */
static void advance(mproc__stream *s, cursor *g) {
  commit(&s->ctl->head, g);
  mproc__store32(&s->ctl->retiring, s->get_map.id);
  mproc__store32(&s->ctl->get_ring, ring_of(&s->get_map)->next);
  die_at(MPROC__DIE_ADVANCE_MOVED);
  retire(s->owner->name, s->ctl->owner_pid, ring_of(&s->get_map));
  mproc__store32(&s->ctl->retiring, 0);
  unmap(&s->get_map);
}

/* Removes the ring a killed consumer left behind (get lock held). */
static void finish_retiring(mproc__stream *s) {
  uint32_t id = mproc__load32(&s->ctl->retiring);
  if (id == 0)
    return;
  retire_id(s->owner->name, s->ctl->owner_pid, id);
  mproc__store32(&s->ctl->retiring, 0);
}

/* Drops what cannot be read after a garbled header: the rest of the ring. */
static mproc_status drop_garbled(mproc__stream *s, cursor *g, const ring_header *h,
                                 const char *fn) {
  uint32_t lost;
  if (mproc__load32(&h->sealed)) {
    lost = h->end_count - g->count;
    g->count = h->end_count;
    g->pos = h->end;
  } else {
    uint64_t t = mproc__load64(&s->ctl->tail);
    lost = w_count(t) - g->count;
    g->count = w_count(t);
    g->pos = w_pos(t);
  }
  g->pending++;
  return mproc__fail(MPROC_EPROTO,
                     "%s: %s: a garbled record in shared memory; %u message(s) dropped", fn,
                     s->owner->name, lost);
}

/* The next record's payload into the scratch buffer: MPROC_OK (its tag in
 * *tag, its length in *len), MPROC_EEMPTY, MPROC_EPROTO (dropped). */
static mproc_status next_record(mproc__stream *s, cursor *g, uint32_t *tag, uint32_t *len,
                                const char *fn) {
  for (;;) {
    mproc__stream_ctl *c = s->ctl;
    const ring_header *h;
    const uint64_t *base;
    uint64_t hdr;
    uint32_t units, off, avail, need;
    mproc_status st;
    /* The tail seen is this handle's: other consumers may have taken
     * past it since, so it bounds nothing unless it is ahead of the head. */
    uint64_t seen = mproc__load64(&s->tail_seen); /* one snapshot: see stream.h */
    if ((int32_t)(w_count(seen) - g->count) <= 0) {
      seen = mproc__load64(&c->tail);
      mproc__store_rel64(&s->tail_seen, seen);
      if (g->count == w_count(seen))
        return MPROC_EEMPTY;
    }
    st = map_ring(s, &s->get_map, mproc__load32(&c->get_ring), fn);
    if (st != MPROC_OK)
      return st;
    h = ring_of(&s->get_map);
    base = ring_units(&s->get_map);
    if (mproc__load32(&h->sealed) && g->pos == h->end) {
      advance(s, g);
      continue;
    }
    units = id_units(s->get_map.id);
    off = (g->pos - h->start) & (units - 1);
    avail = (mproc__load32(&h->sealed) ? h->end : w_pos(seen)) - g->pos;
    hdr = base[off];
    *tag = (uint32_t)(hdr >> 32) & 0xff;
    *len = (uint32_t)hdr;
    if (hdr != record_header(*len, *tag) || avail > POS_LIMIT)
      return drop_garbled(s, g, h, fn);
    if (*tag == TAG_WRAP) {
      if (off == 0 || units - off > avail)
        return drop_garbled(s, g, h, fn);
      g->pos += units - off;
      continue;
    }
    need = record_units(*len);
    if ((*tag != MPROC__MSG_ARGS && *tag != MPROC__MSG_RAW) || *len > MPROC__FRAME_MAX ||
        need > units - off || need > avail)
      return drop_garbled(s, g, h, fn);
    st = mproc__buf_reserve(&s->scratch, *len ? *len : 1);
    if (st != MPROC_OK)
      return st;
    memcpy(s->scratch.data, base + off + 1, *len);
    return MPROC_OK;
  }
}

/* Moves the head past the record next_record() just read. */
static void consume(cursor *g, uint32_t len) {
  g->pos += record_units(len);
  g->count++;
  g->pending++;
}

/* Decodes the scratch copy of a record into @into. */
static mproc_status deliver(mproc__stream *s, uint32_t tag, uint32_t len, mproc_args *into,
                            const char *fn) {
  mproc_status st;
  if (tag == MPROC__MSG_RAW) {
    mproc__args_reset(into);
    st = mproc_args_add_bytes(into, s->scratch.data, len);
  } else {
    st = mproc__args_decode_into(s->scratch.data, len, into);
  }
  if (st == MPROC_EPROTO)
    return mproc__fail(MPROC_EPROTO, "%s: %s: a garbled message, dropped", fn, s->owner->name);
  return st;
}

/* Takes into the caller's raw buffer, or leaves the message (see stream.h). */
static mproc_status take_raw(mproc__stream *s, cursor *g, mproc__raw_out *raw, uint32_t tag,
                             uint32_t len, const char *fn) {
  raw->size = len;
  if (tag != MPROC__MSG_RAW)
    return mproc__fail(MPROC_ETYPE, "%s: the next message was sent as a list, not as bytes", fn);
  if (!raw->buf || raw->cap < len)
    return mproc__fail(MPROC_ERANGE, "%s: the next message has %u bytes, the buffer room for %zu",
                       fn, len, raw->cap);
  if (len)
    memcpy(raw->buf, s->scratch.data, len);
  consume(g, len);
  return MPROC_OK;
}

static mproc_status take(mproc__stream *s, mproc_args *const *into, size_t n, mproc__raw_out *raw,
                         size_t *got, const char *fn) {
  mproc_status st = MPROC_OK;
  cursor g;
  finish_retiring(s);
  g = cursor_at(&s->ctl->head);
  while (*got < n && st == MPROC_OK) {
    uint32_t tag = 0, len = 0;
    st = next_record(s, &g, &tag, &len, fn);
    if (st != MPROC_OK)
      break;
    die_at(MPROC__DIE_GET_READ);
    if (raw) {
      st = take_raw(s, &g, raw, tag, len, fn);
      *got += st == MPROC_OK;
      break;
    }
    consume(&g, len);
    st = deliver(s, tag, len, into[*got], fn);
    *got += st == MPROC_OK;
  }
  commit(&s->ctl->head, &g);
  die_at(MPROC__DIE_GET_COMMITTED);
  if (*got && st == MPROC_EEMPTY)
    st = MPROC_OK;
  return st;
}

int mproc__stream_ready(const mproc__stream *s) {
  return mproc__load32(&s->ctl->shut) ||
         w_count(mproc__load64(&s->ctl->head)) != w_count(mproc__load64(&s->ctl->tail));
}
static int ready_fn(mproc__stream *s) { return mproc__stream_ready(s); }
static int ready_spin(const void *s) { return mproc__stream_ready(s); }

/* Turns of the busy spin a waiter makes first: a few microseconds, about
 * what a message takes to come when a producer is busy on another CPU.
 * Shorter than a system call's cost on small VMs (sched_yield ~1.5 us). */
#define BUSY_TURNS 64
/* PAUSEs between two looks: each look at the tail pulls the producers'
 * cache line over, and the next put must take it back; looking less often
 * lets several puts go by per transfer, and the getter then takes them
 * together. */
#define BUSY_GAP 4

static int busy_spin(const mproc__stream *s) {
  int i, k;
  for (i = 0; i < BUSY_TURNS; i++) {
    if (mproc__stream_ready(s))
      return 1;
    for (k = 0; k < BUSY_GAP; k++)
      mproc__cpu_relax();
  }
  return 0;
}

/* Spins a few microseconds, then, when the last wait of this handle was
 * short, in the yielding spin (core/spin.h), then sleeps. The history is
 * advisory, kept in one atomic word per handle. */
int mproc__stream_wait_ready(mproc__stream *s, int64_t deadline) {
  int64_t start, took;
  mproc__spin spin = {0, 0};
  int ready;
  if (busy_spin(s))
    return 1;
  start = mproc__now_us();
  spin.last_us = mproc__load32(&s->spin_last_us);
  if (mproc__spin_wanted(&spin) && mproc__spin_until(ready_spin, s, start)) {
    ready = 1;
  } else {
    while (!mproc__stream_ready(s) && mproc__remaining(deadline) != 0)
      sleep_on(s, &s->ctl->data_seq, ready_fn, deadline);
    ready = mproc__stream_ready(s);
  }
  took = mproc__now_us() - start;
  mproc__store32(&s->spin_last_us, took > 1000000 ? 1000000u : (uint32_t)took);
  return ready;
}

/* Whether a get may find a message, without the lock: by the tail this
 * handle saw last, else by a fresh look that the take then reuses. */
static int seen_ready(mproc__stream *s) {
  uint32_t head = w_count(mproc__load64(&s->ctl->head));
  uint64_t seen = mproc__load64(&s->tail_seen);
  if ((int32_t)(w_count(seen) - head) > 0)
    return 1;
  seen = mproc__load64(&s->ctl->tail);
  mproc__store_rel64(&s->tail_seen, seen);
  return w_count(seen) != head || mproc__load32(&s->ctl->shut);
}

/* Waits (without the lock) until there is something to take, then takes. */
mproc_status mproc__stream_get(mproc__stream *s, mproc_args *const *into, size_t n,
                               mproc__raw_out *raw, int64_t deadline, size_t *got, const char *fn) {
  mproc__stream_ctl *c = s->ctl;
  *got = 0;
  for (;;) {
    mproc_status st;
    if (!seen_ready(s) && mproc__remaining(deadline) != 0)
      mproc__stream_wait_ready(s, deadline);
    lock_side(s, &c->get_lock, 0, fn);
    die_at(MPROC__DIE_GET_LOCKED);
    st = take(s, into, n, raw, got, fn);
    unlock_side(s, &c->get_lock, fn);
    if (*got)
      bump(s, &c->room_seq);
    if (st != MPROC_EEMPTY)
      return st;
    if (mproc__load32(&c->shut))
      return mproc__fail(MPROC_ECLOSED, "%s: %s is shut down and drained", fn, s->owner->name);
    if (mproc__remaining(deadline) == 0)
      return mproc__fail(MPROC_EEMPTY, "%s: %s is empty", fn, s->owner->name);
  }
}

/* ---- counts, shutdown, join ---- */

uint32_t mproc__stream_count(const mproc__stream_ctl *ctl) {
  uint64_t h = mproc__load64(&ctl->head);
  return w_count(mproc__load64(&ctl->tail)) - w_count(h);
}

void mproc__stream_shutdown(mproc__stream *s) {
  mproc__store32(&s->ctl->shut, 1);
  mproc__stream_wake_all(s);
}

uint32_t mproc__stream_unfinished(const mproc__stream_ctl *ctl) {
  uint32_t done = mproc__load32(&ctl->done);
  return w_count(mproc__load64(&ctl->tail)) - done;
}

mproc_status mproc__stream_task_done(mproc__stream *s, const char *fn) {
  for (;;) {
    uint32_t done = mproc__load32(&s->ctl->done);
    uint32_t left = w_count(mproc__load64(&s->ctl->tail)) - done;
    if (left == 0 || left > MPROC_QUEUE_MAX_ITEMS)
      return mproc__fail(MPROC_ESTATE, "%s: called more times than messages were put", fn);
    if (mproc__cas32(&s->ctl->done, done, done + 1)) {
      if (left == 1)
        bump(s, &s->ctl->join_seq);
      return MPROC_OK;
    }
  }
}

static int joined(mproc__stream *s) { return mproc__stream_unfinished(s->ctl) == 0; }

mproc_status mproc__stream_join(mproc__stream *s, int64_t deadline) {
  while (!joined(s)) {
    if (mproc__remaining(deadline) == 0)
      return MPROC_ETIMEDOUT;
    sleep_on(s, &s->ctl->join_seq, joined, deadline);
  }
  return MPROC_OK;
}
