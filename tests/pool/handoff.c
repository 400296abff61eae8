/*
 * Thread-level stress of the pool's lock-free hand-offs, which the pool
 * suites reach only end to end, through real workers: a mailbox's take-back
 * (runtime/pool/mbox.c) and the claim words of pipelined tasks
 * (runtime/pool/dispatch.c, worker_main.c). Threads of this process play the
 * two sides on real shared memory, racing many thousand times, so that the
 * tsan preset sees every access they make. Threads report in strings; only
 * the test's own thread asserts (CUnit is not thread-safe).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_thread_proc.h>

#include "base/atomic.h"
#include "pool/pool.h"
#include "tests.h"
#include "wire/frame.h"

/* xorshift32: each thread its own, seeded fixed. */
static uint32_t next_rand(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

static void spin_loops(uint32_t n) {
  volatile uint32_t k = n;
  while (k)
    k--;
}

/* Busy loops per microsecond, measured once: a pause of microseconds cannot
 * read a clock that ticks every 1-16 ms (APR's on Windows). */
static double loops_per_us;
static void calibrate(void) {
  int64_t start = mproc__now_us(), now;
  double loops = 0;
  if (loops_per_us > 0)
    return;
  do {
    spin_loops(1000);
    loops += 1000;
  } while ((now = mproc__now_us()) - start < 20000);
  loops_per_us = loops / (double)(now - start);
}

/* Busy for about @us microseconds. */
static void busy_us(uint32_t us) { spin_loops((uint32_t)(us * loops_per_us)); }

/* Starts @fn(@arg) on a new thread of @pool; non-zero on success. */
static int start_thread(apr_thread_t **t, apr_thread_start_t fn, void *arg, apr_pool_t *pool) {
  return apr_thread_create(t, NULL, fn, arg, pool) == APR_SUCCESS;
}

/* Waits until @n threads counted themselves in @ended, or the hang bound passes. */
static int wait_ended(volatile uint32_t *ended, uint32_t n) {
  int64_t start = t_now_ms();
  while (mproc__load32(ended) < n && t_now_ms() - start < T_BOUND_MS)
    t_sleep_ms(2);
  return mproc__load32(ended) >= n;
}

/* ---- the mailbox: a frame put, taken, or taken back and sent through the channel ---- */

#define MB_FRAMES 20000u
/* What one direction's slot holds (MBOX_DIR - MBOX_HEAD in mbox.c): frames
 * above it always take the channel. */
#define MB_SLOT 4064u
#define MB_MAX (MB_SLOT + 6000u)

static uint32_t mb_hash(uint32_t i) {
  i ^= i >> 16;
  i *= 0x7feb352du;
  i ^= i >> 15;
  i *= 0x846ca68bu;
  i ^= i >> 16;
  return i;
}

/* Frame i's size: mostly small, some empty, some at the slot's bound, some above it. */
static size_t mb_len(uint32_t i) {
  uint32_t h = mb_hash(i);
  switch (h % 16) {
  case 0:
    return MB_SLOT + 1 + (h >> 8) % (MB_MAX - MB_SLOT);
  case 1:
    return MB_SLOT;
  case 2:
    return MB_SLOT + 1;
  case 3:
    return 0;
  default:
    return (h >> 8) % 512;
  }
}

/* Frame i's bytes: its number (little-endian, as far as it has room), then a pattern. */
static void mb_fill(uint8_t *p, uint32_t i, size_t len) {
  uint32_t h = mb_hash(i);
  size_t j;
  for (j = 0; j < len; j++)
    p[j] = j < 4 ? (uint8_t)(i >> (8 * j)) : (uint8_t)(h + (uint32_t)j * 131u);
}

/* A worker's up direction, as the pool uses it: the worker sends (the
 * sender thread), its reader thread in the parent receives (the receiver).
 * The channel between them goes through a relay thread that counts the
 * frames the mailbox did not carry: the mailbox API does not tell a sender
 * which way a frame went, nor a receiver which way it came. A take-back
 * (put, then swapped back out and sent through the channel) counts as a
 * channel frame; nothing outside mbox.c can tell it from a frame never put. */
typedef struct mb_run {
  mproc__mbox box;
  mproc__mbox_tx tx;
  mproc__mbox_rx rx;
  mproc__chan out, relay_in, relay_out, in; /* sender -> relay -> receiver */
  volatile uint32_t got;                    /* frames the receiver has */
  volatile uint32_t ended;                  /* threads that ended */
  char send_err[256], relay_err[256], recv_err[512];
  uint32_t received;
  uint64_t relayed, relayed_small; /* through the channel; of them, those the slot would hold */
  uint64_t spins, blocks;          /* the receiver's waits of each kind */
} mb_run;

/* Waits until the receiver has @n frames: 0 if it ended first, or is
 * still missing one after 200 ms (a frame stranded in the slot: the next
 * one, through the channel, then overtakes it). */
static int mb_caught_up(mb_run *m, uint32_t n) {
  int64_t start = mproc__now_us();
  while (mproc__load32(&m->got) < n) {
    if (mproc__load32(&m->ended) || mproc__now_us() - start > 200000)
      return 0;
    apr_thread_yield();
  }
  return 1;
}

static void *APR_THREAD_FUNC mb_sender(apr_thread_t *thread, void *data) {
  mb_run *m = data;
  uint8_t *frame = malloc(MB_MAX);
  uint32_t rng = 0x9e3779b9u, i;
  (void)thread;
  if (!frame)
    snprintf(m->send_err, sizeof m->send_err, "out of memory");
  for (i = 0; frame && i < MB_FRAMES; i++) {
    size_t len = mb_len(i);
    uint32_t r = next_rand(&rng);
    mb_fill(frame, i, len);
    if (mproc__mbox_send(&m->tx, &m->out, (uint16_t)i, frame, len) != MPROC_OK) {
      snprintf(m->send_err, sizeof m->send_err, "frame %u: %s", i, mproc_last_error());
      break;
    }
    /* Mostly, waits until the receiver has every frame sent so far, then
     * about as long as its spin budget (50 us): its spins then often end
     * just as a frame is put, which opens the take-back's window (the
     * receiver stops spinning between the sender's two looks). */
    if (r % 4 != 0 && mb_caught_up(m, i + 1))
      busy_us(20 + (r >> 8) % 70);
    else if (r % 8 == 4)
      apr_thread_yield();
  }
  free(frame);
  mproc__chan_close(&m->out); /* the relay sees the end, then the receiver */
  mproc__add32(&m->ended, 1);
  return NULL;
}

static void *APR_THREAD_FUNC mb_relay(apr_thread_t *thread, void *data) {
  mb_run *m = data;
  mproc__buf buf = {NULL, 0};
  mproc__spin never = {0, 1};
  mproc_status st;
  uint16_t type = 0;
  size_t len = 0;
  (void)thread;
  while ((st = mproc__frame_recv_spin(&m->relay_in, &never, &type, &buf, &len)) == MPROC_OK) {
    m->relayed++;
    if (len <= MB_SLOT)
      m->relayed_small++;
    if ((st = mproc__frame_send(&m->relay_out, type, buf.data, len)) != MPROC_OK)
      break;
  }
  if (st != MPROC_ECLOSED) /* ECLOSED: the sender is done */
    snprintf(m->relay_err, sizeof m->relay_err, "after %llu frames: %s",
             (unsigned long long)m->relayed, mproc_last_error());
  mproc__buf_trim(&buf, 1);
  mproc__chan_close(&m->relay_in);
  mproc__chan_close(&m->relay_out); /* the receiver sees the end */
  mproc__add32(&m->ended, 1);
  return NULL;
}

static void *APR_THREAD_FUNC mb_receiver(apr_thread_t *thread, void *data) {
  mb_run *m = data;
  mproc__buf buf = {NULL, 0};
  uint8_t *want = malloc(MB_MAX);
  uint32_t rng = 0x2545f491u, i;
  mproc_status st;
  uint16_t type = 0;
  size_t len = 0;
  (void)thread;
  for (i = 0; want && i < MB_FRAMES; i++) {
    uint32_t r = next_rand(&rng);
    /* Spins for two frames in three, blocks on the channel at once for the
     * third: a sender then puts nothing, or takes back what it put. */
    mproc__spin spin = {0, r % 3 == 0};
    if (spin.off)
      m->blocks++;
    else
      m->spins++;
    if ((st = mproc__mbox_recv(&m->rx, &m->in, &spin, &type, &buf, &len)) != MPROC_OK) {
      snprintf(m->recv_err, sizeof m->recv_err, "frame %u: %s", i, mproc_last_error());
      break;
    }
    mb_fill(want, i, mb_len(i));
    if (type != (uint16_t)i || len != mb_len(i) || (len && memcmp(buf.data, want, len) != 0)) {
      snprintf(m->recv_err, sizeof m->recv_err,
               "frame %u (%zu bytes) expected; got frame %u of %zu bytes%s (type %u)", i, mb_len(i),
               len >= 4 ? mproc__get_u32(buf.data) : (unsigned)type, len,
               len == mb_len(i) ? ", its bytes wrong" : "", (unsigned)type);
      break;
    }
    mproc__store32(&m->got, i + 1);
    if (r % 8 == 1) /* busy elsewhere: the sender finds nobody spinning */
      busy_us((r >> 8) % 80);
  }
  if (!want)
    snprintf(m->recv_err, sizeof m->recv_err, "out of memory");
  m->received = i;
  if (i == MB_FRAMES) { /* every frame once, in order: then the end, and nothing in the slot */
    mproc__spin spin = {0, 0};
    st = mproc__mbox_recv(&m->rx, &m->in, &spin, &type, &buf, &len);
    if (st == MPROC_OK)
      snprintf(m->recv_err, sizeof m->recv_err,
               "a frame after the last one (type %u, %zu bytes): one came twice", (unsigned)type,
               len);
    else if (st != MPROC_ECLOSED)
      snprintf(m->recv_err, sizeof m->recv_err, "after the last frame: %s", mproc_last_error());
    else if (mproc__mbox_full(&m->rx))
      snprintf(m->recv_err, sizeof m->recv_err, "a frame left in the slot");
  }
  free(want);
  mproc__buf_trim(&buf, 1);
  mproc__chan_close(&m->in); /* on an error: the relay's sends fail, then the sender's */
  mproc__add32(&m->ended, 1);
  return NULL;
}

/* 20000 frames of varying size from one thread to another, the receiver
 * spinning on the mailbox for some and blocking on the channel for others:
 * each arrives exactly once, in order, intact, and both ways were taken. */
static void test_mbox_take_back(void) {
  mb_run *m = calloc(1, sizeof *m);
  apr_pool_t *pool = NULL;
  apr_thread_t *th[3];
  apr_status_t ignored;
  int64_t start;
  int i;
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_FATAL(apr_pool_create(&pool, NULL) == APR_SUCCESS);
  T_OK(mproc__mbox_create(&m->box));
  CU_ASSERT_FATAL(m->box.shm != NULL);
  CU_ASSERT_FATAL(t_chan_pair(&m->out, &m->relay_in));
  CU_ASSERT_FATAL(t_chan_pair(&m->relay_out, &m->in));
  /* As a worker (up: it sends to the parent) and its parent attach. */
  mproc__mbox_attach(m->box.shm, 1, &m->tx, NULL);
  mproc__mbox_attach(m->box.shm, 0, NULL, &m->rx);
  calibrate();
  start = t_now_ms();
  CU_ASSERT_FATAL(start_thread(&th[0], mb_receiver, m, pool));
  CU_ASSERT_FATAL(start_thread(&th[1], mb_relay, m, pool));
  CU_ASSERT_FATAL(start_thread(&th[2], mb_sender, m, pool));
  if (!wait_ended(&m->ended, 3)) {
    /* Left running (with @m and @pool): the test has failed anyway. */
    fprintf(stderr, "\nmailbox: still running after %lld ms, %u frames received\n",
            (long long)T_BOUND_MS, mproc__load32(&m->got));
    CU_FAIL("the mailbox stress hung");
    return;
  }
  for (i = 0; i < 3; i++)
    apr_thread_join(&ignored, th[i]);
  printf("\n  %u frames in %lld ms: %llu through the mailbox, %llu through the channel "
         "(%llu of them small enough for the slot); the receiver spun %llu times, blocked %llu\n  ",
         m->received, (long long)(t_now_ms() - start),
         (unsigned long long)(m->received > m->relayed ? m->received - m->relayed : 0),
         (unsigned long long)m->relayed, (unsigned long long)m->relayed_small,
         (unsigned long long)m->spins, (unsigned long long)m->blocks);
  if (m->send_err[0] || m->relay_err[0] || m->recv_err[0])
    fprintf(stderr, "\nmailbox: receiver: %s; sender: %s; relay: %s\n",
            m->recv_err[0] ? m->recv_err : "ok", m->send_err[0] ? m->send_err : "ok",
            m->relay_err[0] ? m->relay_err : "ok");
  CU_ASSERT_STRING_EQUAL(m->recv_err, "");
  CU_ASSERT_EQUAL(m->received, MB_FRAMES);
  if (!m->recv_err[0]) { /* else theirs are only the echo of its end */
    CU_ASSERT_STRING_EQUAL(m->send_err, "");
    CU_ASSERT_STRING_EQUAL(m->relay_err, "");
  }
  /* Both ways were taken: the slot, and the channel for frames it would have held. */
  CU_ASSERT(m->relayed < m->received);
  CU_ASSERT(m->relayed_small > 0);
  mproc__mbox_drop(&m->box);
  apr_pool_destroy(pool);
  free(m);
}

/* ---- claims: a pipelined task is started by its worker or taken back, never both ---- */

#define CL_WORDS 16     /* a worker's claim words (CLAIM_SLOTS in dispatch.c) */
#define CL_ROUNDS 12500 /* of CL_WORDS tasks each: 200000 tasks */

/* The pool (one thread) fills a worker's claim words with the ids of the
 * tasks it sends ahead, as dispatch.c's pipeline() does; the worker (the
 * other thread) swaps each id to 0 before it would start that task, in
 * order, and skips the tasks it loses; meanwhile the pool takes tasks back
 * from the last one, as mproc__pool_take_back() does, until a swap fails
 * (the worker started that one, hence every one before it). The two meet
 * somewhere in each round of CL_WORDS tasks. */
typedef struct cl_run {
  mproc_array *array;
  volatile uint64_t *word;               /* the array's CL_WORDS values */
  volatile uint64_t published, finished; /* rounds the pool filled in; the worker went through */
  volatile uint32_t stop, ended;
  uint8_t *by_worker, *by_pool; /* per id (from 1): who swapped it to 0 */
  char pool_err[256], worker_err[256];
} cl_run;

/* The one swap both sides make: worker_main.c's claimed() before it starts
 * task @id, dispatch.c's mproc__pool_take_back() to take it back; whoever
 * swaps first has the task. Both are static there, so the protocol is
 * repeated here on the same words (an mproc_array of i64, as make_claims()
 * creates) with the same primitive. */
static int cl_swap(volatile uint64_t *word, uint64_t id) { return mproc__cas64(word, id, 0); }

/* Waits until *@v reaches @want, spinning a little first (a round takes
 * microseconds), then yielding: 0 if the other side gave up or the bound
 * passed. */
static int cl_wait(cl_run *c, volatile uint64_t *v, uint64_t want, int64_t start) {
  unsigned turns = 0;
  while (mproc__load64(v) < want) {
    if (mproc__load32(&c->stop))
      return 0;
    if (++turns % 1024 == 0 && t_now_ms() - start > T_BOUND_MS) {
      mproc__store32(&c->stop, 1);
      return 0;
    }
    if (turns > 256)
      apr_thread_yield();
  }
  return 1;
}

/* A few random nanoseconds to a microsecond or so between two swaps, so
 * that the two sides' swaps interleave rather than one side's all come first. */
static void cl_step(uint32_t *rng) { spin_loops(next_rand(rng) % 64); }

/* A short, random pause at the start of a round: either side may be
 * first, even when the two share one CPU (then only a yield lets the other
 * one go first). */
static void cl_pause(uint32_t *rng) {
  uint32_t r = next_rand(rng);
  if (r % 4 == 0)
    busy_us((r >> 8) % 3);
  else if (r % 4 == 1)
    apr_thread_yield();
  else
    cl_step(rng);
}

static void *APR_THREAD_FUNC cl_pool(apr_thread_t *thread, void *data) {
  cl_run *c = data;
  int64_t start = t_now_ms();
  uint32_t rng = 0x6a09e667u;
  uint64_t r, base, left;
  int j;
  (void)thread;
  for (r = 1; r <= CL_ROUNDS; r++) {
    base = (r - 1) * CL_WORDS;
    if (!cl_wait(c, &c->finished, r - 1, start)) {
      snprintf(c->pool_err, sizeof c->pool_err, "round %llu: the worker never finished the last",
               (unsigned long long)r);
      break;
    }
    for (j = 0; j < CL_WORDS; j++) /* the worker went through them: each is 0 again */
      if ((left = mproc__load64(&c->word[j])) != 0) {
        snprintf(c->pool_err, sizeof c->pool_err, "round %llu: word %d still holds id %llu",
                 (unsigned long long)r, j, (unsigned long long)left);
        mproc__store32(&c->stop, 1);
        goto out;
      }
    for (j = 0; j < CL_WORDS; j++)
      mproc__store64(&c->word[j], base + (uint64_t)j + 1);
    mproc__store64(&c->published, r);
    cl_pause(&rng);
    for (j = CL_WORDS - 1; j >= 0 && cl_swap(&c->word[j], base + (uint64_t)j + 1); j--) {
      c->by_pool[base + (uint64_t)j + 1] = 1;
      cl_step(&rng);
    }
  }
out:
  mproc__add32(&c->ended, 1);
  return NULL;
}

static void *APR_THREAD_FUNC cl_worker(apr_thread_t *thread, void *data) {
  cl_run *c = data;
  int64_t start = t_now_ms();
  uint32_t rng = 0xbb67ae85u;
  uint64_t r, base;
  int j;
  (void)thread;
  for (r = 1; r <= CL_ROUNDS; r++) {
    base = (r - 1) * CL_WORDS;
    if (!cl_wait(c, &c->published, r, start)) {
      snprintf(c->worker_err, sizeof c->worker_err, "round %llu: the pool never filled it in",
               (unsigned long long)r);
      break;
    }
    cl_pause(&rng);
    for (j = 0; j < CL_WORDS; j++) { /* a task lost is skipped: it runs elsewhere */
      if (cl_swap(&c->word[j], base + (uint64_t)j + 1))
        c->by_worker[base + (uint64_t)j + 1] = 1;
      cl_step(&rng); /* it runs the task */
    }
    mproc__store64(&c->finished, r);
  }
  mproc__add32(&c->ended, 1);
  return NULL;
}

/* 200000 tasks raced for by a worker and the pool on real claim words:
 * each is won by exactly one side, the pool's wins are the last tasks of
 * their round, and each side won some. */
static void test_claims(void) {
  cl_run *c = calloc(1, sizeof *c);
  const size_t ids = (size_t)CL_ROUNDS * CL_WORDS + 1;
  apr_pool_t *pool = NULL;
  apr_thread_t *th[2];
  apr_status_t ignored;
  uint64_t worker = 0, pool_won = 0, both = 0, bad = 0, first_bad = 0, r;
  int64_t start;
  int j;
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_FATAL(apr_pool_create(&pool, NULL) == APR_SUCCESS);
  T_OK(mproc_array_create(&c->array, MPROC_ELEM_I64, CL_WORDS, NULL));
  CU_ASSERT_FATAL(c->array != NULL);
  c->word = (volatile uint64_t *)mproc_array_data(c->array);
  c->by_worker = calloc(ids, 1);
  c->by_pool = calloc(ids, 1);
  CU_ASSERT_FATAL(c->by_worker && c->by_pool);
  calibrate();
  start = t_now_ms();
  CU_ASSERT_FATAL(start_thread(&th[0], cl_worker, c, pool));
  CU_ASSERT_FATAL(start_thread(&th[1], cl_pool, c, pool));
  if (!wait_ended(&c->ended, 2)) {
    fprintf(stderr, "\nclaims: still running after %lld ms\n", (long long)T_BOUND_MS);
    CU_FAIL("the claims stress hung");
    return;
  }
  for (j = 0; j < 2; j++)
    apr_thread_join(&ignored, th[j]);
  for (r = 0; r < CL_ROUNDS; r++) {
    int w = 0, p = 0;
    for (j = 0; j < CL_WORDS; j++) {
      uint64_t id = r * CL_WORDS + (uint64_t)j + 1;
      w += c->by_worker[id];
      p += c->by_pool[id];
      /* Exactly one side; and once the pool lost a swap it took no earlier one. */
      if (c->by_worker[id] + c->by_pool[id] != 1 ||
          (j + 1 < CL_WORDS && c->by_pool[id] && !c->by_pool[id + 1])) {
        bad++;
        first_bad = first_bad ? first_bad : id;
      }
    }
    worker += (uint64_t)w;
    pool_won += (uint64_t)p;
    if (w && p)
      both++;
  }
  printf("\n  %llu tasks in %lld ms: %llu started by the worker, %llu taken back; the two "
         "met inside %llu rounds of %d\n  ",
         (unsigned long long)(ids - 1), (long long)(t_now_ms() - start), (unsigned long long)worker,
         (unsigned long long)pool_won, (unsigned long long)both, CL_WORDS);
  if (c->pool_err[0] || c->worker_err[0])
    fprintf(stderr, "\nclaims: pool: %s; worker: %s\n", c->pool_err[0] ? c->pool_err : "ok",
            c->worker_err[0] ? c->worker_err : "ok");
  if (bad)
    fprintf(stderr,
            "\nclaims: %llu tasks won by both sides, or by neither, or out of order; "
            "the first: task %llu (worker %d, pool %d)\n",
            (unsigned long long)bad, (unsigned long long)first_bad, c->by_worker[first_bad],
            c->by_pool[first_bad]);
  CU_ASSERT_STRING_EQUAL(c->pool_err, "");
  CU_ASSERT_STRING_EQUAL(c->worker_err, "");
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(worker > 0);
  CU_ASSERT(pool_won > 0);
  T_OK(mproc_array_destroy(c->array));
  free(c->by_worker);
  free(c->by_pool);
  apr_pool_destroy(pool);
  free(c);
}

static const CU_TestInfo tests[] = {
    {"mailbox: frames taken back, none lost or doubled", test_mbox_take_back},
    {"claims: each task won by one side", test_claims},
    CU_TEST_INFO_NULL};

const test_suite suite_handoff = {"handoff", tests, NULL};
