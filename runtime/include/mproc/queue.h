/**
 * @file mproc/queue.h
 * @brief Queue, SimpleQueue, JoinableQueue and Pipe: messages between
 * processes through shared memory.
 *
 * A message is one ::mproc_args list (one value, or a whole record). A
 * queue is a named shared object like an Event (mproc/shared.h): no feeder
 * thread, no manager process, nothing inherited. Pass it explicitly with
 * mproc_args_add_queue() / mproc_args_open_queue() to a Process, a pool's
 * initializer or a pool task.
 *
 * Compared with Python's multiprocessing.Queue:
 * - a put is complete when it returns: the message is in shared memory, so
 *   a process that put messages exits at once (no "joining processes that
 *   use queues" deadlock), and a message outlives the process that put it;
 * - qsize(), empty() and full() are exact on every OS (counts in shared
 *   memory, not a semaphore macOS lacks);
 * - a process killed at any instruction of a put or a get loses at most
 *   that one message and never corrupts the queue or blocks the others:
 *   each side's state changes in one atomic store, under a lock whose dead
 *   owner is detected (mproc/shared.h's Lock);
 * - a message larger than the ring goes through: the queue grows by
 *   chaining a larger ring, and shrinks back once it is empty.
 *
 * Layout: a queue's segment holds its counters and locks; its messages are
 * in rings, further segments named after it. The rings live as long as the
 * queue's name (its creator's destroy or exit, or the sweep of a killed
 * creator), not as long as the process that wrote into them.
 *
 * Timeouts are milliseconds: 0 tries once, MPROC_WAIT_FOREVER waits without
 * limit. As in Python, a get that finds nothing in time is MPROC_EEMPTY and
 * a put that finds no room is MPROC_EFULL, whether it tried once or waited.
 *
 * Cancellation: a get or put blocked in a pool task is not woken when the
 * pool is cancelled (a cancel never interrupts a call mid-way; see
 * mproc/pool.h). A task that must stop promptly waits with a timeout and
 * checks mproc_cancelled() between waits, or waits with mproc_wait() on the
 * queue and an Event set on cancel.
 */
#ifndef MPROC_QUEUE_H
#define MPROC_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "mproc/args.h"
#include "mproc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A Queue, SimpleQueue or JoinableQueue: mproc_queue_create(); the creator
 *  destroys it (mproc_queue_destroy()), an opener closes its handle
 *  (mproc_queue_close()). */
typedef struct mproc_queue mproc_queue;
/** One end of a pipe (Python's Connection): mproc_pipe_create(); every
 *  process that holds it releases it with mproc_conn_close(). */
typedef struct mproc_conn mproc_conn;

/** The largest maxsize, and the most messages one queue holds (2^30). */
#define MPROC_QUEUE_MAX_ITEMS (1u << 30)
/** A ring's default size: 256 KiB. */
#define MPROC_QUEUE_DEFAULT_CAPACITY (256u * 1024u)

/** Options of mproc_queue_create(); NULL means all zero. */
typedef struct mproc_queue_options {
  /** Most messages the queue holds; a put waits for room beyond that
   *  (Python's maxsize). 0: unbounded (a put never waits). */
  uint32_t maxsize;
  /** Bytes of its first ring, rounded up to a power of two between 4 KiB
   *  and 1 GiB; 0: MPROC_QUEUE_DEFAULT_CAPACITY. Memory for messages beyond
   *  it is found by growing, never by waiting. */
  size_t capacity_bytes;
  /** Non-zero: a JoinableQueue (mproc_queue_task_done(), mproc_queue_join()). */
  int joinable;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_queue_options;

/**
 * Creates a queue. Python's Queue(maxsize) is `{.maxsize = n}`, its
 * SimpleQueue NULL options, its JoinableQueue `{.joinable = 1}`.
 * @return MPROC_OK; MPROC_EINVAL (NULL); MPROC_ERANGE (maxsize over
 *         MPROC_QUEUE_MAX_ITEMS, capacity over 1 GiB); MPROC_ENOTINIT; an OS status.
 */
MPROC_API mproc_status mproc_queue_create(mproc_queue **queue, const mproc_queue_options *options);

/**
 * Puts a copy of @p message at the tail, waiting at most @p timeout_ms for
 * room (only a queue with a maxsize waits).
 * @return MPROC_OK; MPROC_EFULL (no room in time); MPROC_ECLOSED (the handle
 *         is closed, or the queue shut down); MPROC_EINVAL (NULL); an OS
 *         status when a larger ring cannot be made (nothing was put).
 */
MPROC_API mproc_status mproc_queue_put(mproc_queue *queue, const mproc_args *message,
                                       int64_t timeout_ms);
/**
 * mproc_queue_put() of a message built from @p format and the values after
 * it (mproc_args_pack()'s table), e.g. Python's `q.put((i, x))` as
 * `mproc_queue_put_packed(q, 1000, "i64 f64", i, x)`.
 * @return as mproc_queue_put() and mproc_args_pack() (a bad format: nothing
 *         is put).
 */
MPROC_API mproc_status mproc_queue_put_packed(mproc_queue *queue, int64_t timeout_ms,
                                              const char *format, ...);
/**
 * Takes the message at the head into @p message (its values replace the
 * list's), waiting at most @p timeout_ms for one.
 * @return MPROC_OK; MPROC_EEMPTY (none in time); MPROC_ECLOSED (shut down
 *         and drained); MPROC_EPROTO (garbled in shared memory by a buggy
 *         writer: a message whose bytes do not decode is dropped alone; a
 *         record whose header is not one makes the rest of its ring
 *         unreadable, so that rest is dropped and counted, and the queue
 *         goes on with what follows);
 *         MPROC_ERANGE (the list cannot hold the message); MPROC_EINVAL.
 */
MPROC_API mproc_status mproc_queue_get(mproc_queue *queue, mproc_args *message, int64_t timeout_ms);
/**
 * Puts @p n messages in order for the price of one hand-off: they become
 * visible together. With a maxsize, puts as many as there is room for,
 * waiting at most @p timeout_ms in all. *put (may be NULL) gets how many.
 * @return MPROC_OK (all of them); MPROC_EFULL (fewer); as mproc_queue_put().
 */
MPROC_API mproc_status mproc_queue_put_many(mproc_queue *queue, const mproc_args *const *messages,
                                            size_t n, int64_t timeout_ms, size_t *put);
/**
 * Waits at most @p timeout_ms for a message, then takes up to @p n that are
 * there at once into messages[0..*got) for the price of one hand-off.
 * @return MPROC_OK (*got >= 1); as mproc_queue_get() (*got is what was taken
 *         before the failure).
 */
MPROC_API mproc_status mproc_queue_get_many(mproc_queue *queue, mproc_args *const *messages,
                                            size_t n, int64_t timeout_ms, size_t *got);

/** The number of messages in the queue, exact when nobody is putting or
 *  getting. @return MPROC_OK, MPROC_EINVAL, MPROC_ECLOSED. */
MPROC_API mproc_status mproc_queue_qsize(const mproc_queue *queue, size_t *size);
/** Non-zero when it holds no message (and for an invalid handle). */
MPROC_API int mproc_queue_empty(const mproc_queue *queue);
/** Non-zero when a maxsize queue holds maxsize messages (0 for an invalid handle). */
MPROC_API int mproc_queue_full(const mproc_queue *queue);

/**
 * Shuts the queue down for every process (Python 3.13's Queue.shutdown()):
 * puts get MPROC_ECLOSED, gets take what is left and then get MPROC_ECLOSED,
 * and every blocked put or get wakes. Any process holding it may call it;
 * it cannot be undone.
 * @return MPROC_OK, MPROC_EINVAL, MPROC_ECLOSED (this handle is closed).
 */
MPROC_API mproc_status mproc_queue_shutdown(mproc_queue *queue);

/** @name JoinableQueue
 * @{ */
/**
 * JoinableQueue: a consumer's mproc_queue_task_done() says one message it
 * got is processed; mproc_queue_join() waits until every message ever put
 * is.
 * @return task_done: MPROC_OK; MPROC_ESTATE (more calls than messages put,
 *         Python's ValueError); MPROC_EINVAL (NULL, not joinable);
 *         MPROC_ECLOSED. join: MPROC_OK; MPROC_ETIMEDOUT; MPROC_EINVAL (NULL,
 *         not joinable); MPROC_ECLOSED. unfinished: MPROC_OK; MPROC_EINVAL;
 *         MPROC_ECLOSED.
 *
 * A consumer that dies between its get and its task_done leaves that
 * message unfinished: join would wait for it forever. So join takes a
 * timeout, and mproc_queue_unfinished() says how many are outstanding; the
 * program decides (e.g. calls task_done for the dead consumer's message).
 */
MPROC_API mproc_status mproc_queue_task_done(mproc_queue *queue);
MPROC_API mproc_status mproc_queue_join(mproc_queue *queue, int64_t timeout_ms);
/** Messages put and not yet task_done'd. */
MPROC_API mproc_status mproc_queue_unfinished(const mproc_queue *queue, size_t *n);
/** @} */

/** Releases an opener's handle (mproc_args_open_queue()). The queue lives on.
 *  @return MPROC_OK; MPROC_EINVAL; MPROC_ECLOSED; MPROC_EPERM (the creator's
 *  handle: destroy it). */
MPROC_API mproc_status mproc_queue_close(mproc_queue *queue);
/** Removes the queue's name and rings and releases the creator's handle.
 *  Openers' handles keep working on the memory they have mapped.
 *  @return MPROC_OK; MPROC_EINVAL; MPROC_ECLOSED; MPROC_EPERM (an opener's
 *  handle: close it). */
MPROC_API mproc_status mproc_queue_destroy(mproc_queue *queue);

/** @name Passing a queue to another process
 * @{ */
/** A queue as a value of @p args (see mproc/shared.h's crossing rules). */
MPROC_API mproc_status mproc_args_add_queue(mproc_args *args, const mproc_queue *queue);
MPROC_API mproc_status mproc_args_open_queue(const mproc_args *args, size_t index,
                                             mproc_queue **queue);
MPROC_API mproc_status mproc_args_get_queue(const mproc_args *args, size_t index,
                                            mproc_queue **queue);
/** @} */

/* ---- Pipe ------------------------------------------------------------------- */

/**
 * Creates a pipe: two connected ends. With @p duplex both ends send and
 * receive; without, @p a only receives and @p b only sends (Python's
 * Pipe(duplex=False) order). A message sent is never refused for lack of
 * room (the direction grows as a queue does): two processes sending each
 * other large messages cannot deadlock.
 *
 * Each end is passed to other processes with mproc_args_add_conn() and
 * released with mproc_conn_close() by every process that holds it (the
 * creator too: an end has no destroy). An end is closed once no live
 * process holds it: a process that dies releases its handles. An end added
 * to an mproc_args counts as held until a process opens it from that list,
 * or until the process that added it ends, so that closing it right after
 * starting the child that will receive it is safe. The names go when both
 * ends are closed, or with their creator.
 *
 * @return MPROC_OK; MPROC_EINVAL (NULL); MPROC_ENOTINIT; an OS status.
 */
MPROC_API mproc_status mproc_pipe_create(mproc_conn **a, mproc_conn **b, int duplex);
/**
 * Sends a copy of @p message.
 * @return MPROC_OK; MPROC_ECLOSED (this end is closed, or the other end is:
 *         Python's BrokenPipeError); MPROC_ESTATE (this end only receives);
 *         MPROC_EINVAL.
 */
MPROC_API mproc_status mproc_conn_send(mproc_conn *conn, const mproc_args *message);
/** mproc_conn_send() of a message built from @p format and the values after
 *  it (mproc_args_pack()'s table), e.g. `mproc_conn_send_packed(c, "i64", (int64_t)x * x)`.
 *  @return as mproc_conn_send() and mproc_args_pack() (a bad format: nothing
 *  is sent). */
MPROC_API mproc_status mproc_conn_send_packed(mproc_conn *conn, const char *format, ...);
/** The most bytes one mproc_conn_send_bytes() message holds: what one
 *  BYTES value of an ::mproc_args can (the list's and the value's headers
 *  take 13 bytes of MPROC_ARGS_MAX_SIZE), so that mproc_conn_recv() can
 *  always deliver it. */
#define MPROC_CONN_MAX_BYTES (MPROC_ARGS_MAX_SIZE - 13u)
/** Sends @p size bytes as one message (@p data may be NULL when size is 0).
 *  @return as mproc_conn_send(); MPROC_ERANGE (over MPROC_CONN_MAX_BYTES). */
MPROC_API mproc_status mproc_conn_send_bytes(mproc_conn *conn, const void *data, size_t size);
/**
 * Receives the next message into @p message, waiting at most @p timeout_ms.
 * A message sent with mproc_conn_send_bytes() arrives as one BYTES value.
 * @return MPROC_OK; MPROC_ETIMEDOUT; MPROC_ECLOSED (the other end is closed
 *         and everything it sent was received: Python's EOFError); MPROC_ESTATE
 *         (this end only sends); MPROC_EPROTO (a garbled message, dropped:
 *         see mproc_queue_get()); MPROC_EINVAL.
 */
MPROC_API mproc_status mproc_conn_recv(mproc_conn *conn, mproc_args *message, int64_t timeout_ms);
/**
 * Receives the next message, which mproc_conn_send_bytes() sent, into
 * @p buf. *size gets its length. When it does not fit (or @p buf is NULL),
 * the message stays in the pipe and MPROC_ERANGE says *size.
 * @return as mproc_conn_recv(); MPROC_ERANGE; MPROC_ETYPE (the next message
 *         was sent with mproc_conn_send(); it stays in the pipe).
 */
MPROC_API mproc_status mproc_conn_recv_bytes(mproc_conn *conn, void *buf, size_t cap, size_t *size,
                                             int64_t timeout_ms);
/**
 * Waits at most @p timeout_ms until a receive would not wait: *ready is 1
 * when there is a message or the other end is closed (as Python's poll()).
 * @return MPROC_OK (whether ready or not); MPROC_ESTATE; MPROC_EINVAL; MPROC_ECLOSED.
 */
MPROC_API mproc_status mproc_conn_poll(mproc_conn *conn, int64_t timeout_ms, int *ready);
/** Releases this process's handle of the end. @return MPROC_OK, MPROC_EINVAL, MPROC_ECLOSED. */
MPROC_API mproc_status mproc_conn_close(mproc_conn *conn);

/** @name Passing a pipe end to another process
 * @{ */
/** An end as a value of @p args; mproc_args_open_conn() opens it in the receiver. */
MPROC_API mproc_status mproc_args_add_conn(mproc_args *args, const mproc_conn *conn);
MPROC_API mproc_status mproc_args_open_conn(const mproc_args *args, size_t index,
                                            mproc_conn **conn);
/** The end at @p index opened on the first call, the same handle after, and
 *  closed when @p args is destroyed: no open/close pair in a receiver (as
 *  mproc_args_get_queue(); see mproc/shared.h). Do not close it yourself. */
MPROC_API mproc_status mproc_args_get_conn(const mproc_args *args, size_t index, mproc_conn **conn);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* MPROC_QUEUE_H */
