/**
 * @file mproc/shared.h
 * @brief Named shared objects: shared memory, typed arrays (Value/Array),
 * Event, Lock, RLock, Semaphore, BoundedSemaphore, Condition, Barrier.
 *
 * Every object lives in a named shared-memory segment (its state: `is_set`
 * is one atomic load, no system call) plus, where a sleeper must be woken, a
 * kernel wait mechanism (futex on Linux, a named semaphore on the portable
 * POSIX path and Windows). Objects are passed to children *explicitly*: add
 * one to an ::mproc_args with `mproc_args_add_<kind>()`, and the child
 * re-opens it with `mproc_args_open_<kind>()`. Nothing is inherited.
 *
 * Names are `mproc-<creator pid>-<64 random bits>-<serial>`, created
 * exclusively (an existing name is an error, never reused) and owner-only
 * (POSIX mode 0600 set with fchmod against the umask; Windows `Local\` with
 * an owner-only DACL): another user cannot open or signal them.
 *
 * Lifetime: the creator's `destroy` removes the name and releases the handle;
 * an opener's `close` releases only its handle. Each process must release
 * what it holds. Names a process created and did not destroy are removed when
 * it exits normally; names of a creator that was killed are swept by the next
 * mproc_init() and by a parent reaping that child (Linux; macOS cannot list
 * its named objects, and Windows removes them with the last handle).
 *
 * A process that dies holding a Lock, RLock or Condition: the next acquirer
 * gets MPROC_EOWNERDEAD *with the lock held* (the protected state may be
 * inconsistent; the lock is usable again). Detection checks the recorded
 * owner pid while waiting, so it takes up to ~100 ms. So test an acquire's
 * status with mproc_status_held(), never `!= MPROC_OK`, which would leave
 * the lock held.
 *
 * Handles are per process and used from any thread. Destroying or closing an
 * object while another thread of the same process still uses it is an error
 * of the caller. A destroyed or closed handle given to any function yields
 * MPROC_ECLOSED (best effort: the memory is kept in a quarantine for a while,
 * not forever).
 */
#ifndef MPROC_SHARED_H
#define MPROC_SHARED_H

#include <stddef.h>
#include <stdint.h>

#include "mproc/args.h"
#include "mproc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Raw shared memory (shared_memory.SharedMemory): mproc_shm_create(). */
typedef struct mproc_shm mproc_shm;
/** A typed shared array (Value, Array, RawValue, RawArray): mproc_array_create(). */
typedef struct mproc_array mproc_array;
/** An Event: mproc_event_create(). */
typedef struct mproc_event mproc_event;
/** A Lock: mproc_lock_create(). */
typedef struct mproc_lock mproc_lock;
/** An RLock (a recursive lock): mproc_rlock_create(). */
typedef struct mproc_rlock mproc_rlock;
/** A Semaphore or BoundedSemaphore: mproc_sem_create(). */
typedef struct mproc_sem mproc_sem;
/** A Condition, with its own recursive lock: mproc_cond_create(). */
typedef struct mproc_cond mproc_cond;
/** A Barrier: mproc_barrier_create(). */
typedef struct mproc_barrier mproc_barrier;

/** Largest segment one object may have (1 TiB; the OS may allow less). */
#define MPROC_SHM_MAX_SIZE ((uint64_t)1 << 40)

/* ---- raw shared memory (shared_memory.SharedMemory) ---------------------- */

/** Longest name mproc_shm_options::name may have (macOS allows 31
 *  characters in a segment's whole name). */
#define MPROC_SHM_NAME_MAX 20

/** Options of mproc_shm_create(); NULL: an unnamed segment. */
typedef struct mproc_shm_options {
  /** Non-NULL: the segment can also be attached by this name, with
   *  mproc_shm_attach(), from any process of the same user, related or
   *  not (Python's SharedMemory(name=..., create=True)). 1 to
   *  MPROC_SHM_NAME_MAX characters of [A-Za-z0-9_]. The name lives as
   *  long as the segment's creator holds it: its destroy, its exit, or (on
   *  Windows at once; on POSIX at the name's next create) its death. */
  const char *name;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_shm_options;

/**
 * Creates a zero-filled shared memory segment of @p size bytes.
 * @return MPROC_OK; MPROC_EINVAL (NULL, a bad name); MPROC_EEXIST (a live
 *         segment has that name); MPROC_ERANGE (size 0 or over
 *         MPROC_SHM_MAX_SIZE); MPROC_ENOTINIT; an OS status (detail in
 *         mproc_last_error()).
 */
MPROC_API mproc_status mproc_shm_create(mproc_shm **shm, size_t size,
                                        const mproc_shm_options *options);
/**
 * Attaches to the segment created with options->name = @p name, from any
 * process of the same user (SharedMemory(name=...)). The handle is an
 * opener's: close it.
 * @return MPROC_OK; MPROC_EINVAL (NULL, a bad name); MPROC_ENOENT-like OS
 *         status (no such name) or MPROC_ESTATE (its creator is gone);
 *         MPROC_EPROTO (the name holds no valid segment).
 */
MPROC_API mproc_status mproc_shm_attach(mproc_shm **shm, const char *name);
/** The first byte of the mapping (never NULL for a live segment). */
MPROC_API void *mproc_shm_base(const mproc_shm *shm);
/** The usable size in bytes (0 for NULL). */
MPROC_API size_t mproc_shm_size(const mproc_shm *shm);
/** The object's name (for diagnostics); "" for NULL. */
MPROC_API const char *mproc_shm_name(const mproc_shm *shm);
/** Releases this process's handle (an opener's call). @return MPROC_OK, MPROC_EINVAL,
 * MPROC_ECLOSED, MPROC_EPERM (the creator: destroy it). */
MPROC_API mproc_status mproc_shm_close(mproc_shm *shm);
/** Removes the name and releases the handle (the creator's call).
 *  @return MPROC_OK, MPROC_EINVAL, MPROC_ECLOSED, MPROC_EPERM (not the creator: close it). */
MPROC_API mproc_status mproc_shm_destroy(mproc_shm *shm);

/* ---- typed arrays (Value / Array / RawValue / RawArray) ---------------------- */

/** The C type of an array's elements (Python's typecodes: 'q', 'd', '?',
 *  'b', 'B', 'h', 'H', 'i', 'I', 'Q', 'f'; and fixed-size records). */
typedef enum mproc_elem {
  MPROC_ELEM_NONE = 0,   /**< no array (mproc_array_elem() of an invalid handle) */
  MPROC_ELEM_I64 = 1,    /**< int64_t (the value of MPROC_TYPE_I64, which is accepted too) */
  MPROC_ELEM_F64 = 2,    /**< double (MPROC_TYPE_F64's value) */
  MPROC_ELEM_BOOL = 3,   /**< one byte, 0 or 1 (uint8_t; a set stores any non-zero as 1) */
  MPROC_ELEM_I8 = 16,    /**< int8_t */
  MPROC_ELEM_U8,         /**< uint8_t */
  MPROC_ELEM_I16,        /**< int16_t */
  MPROC_ELEM_U16,        /**< uint16_t */
  MPROC_ELEM_I32,        /**< int32_t */
  MPROC_ELEM_U32,        /**< uint32_t */
  MPROC_ELEM_U64,        /**< uint64_t */
  MPROC_ELEM_F32,        /**< float */
  MPROC_ELEM_RECORD = 32 /**< a struct of mproc_array_options::record_size bytes */
} mproc_elem;

/** Options of mproc_array_create(). */
typedef struct mproc_array_options {
  /** Non-zero: the array carries a Lock (Python's lock=True); see mproc_array_lock(). */
  int lock;
  /** MPROC_ELEM_RECORD: the size of one record in bytes (1 to 65536), e.g.
   *  sizeof(struct point). Records are plain bytes: keep them to types with
   *  the same layout in every process (all are the same program). */
  size_t record_size;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_array_options;

/**
 * Creates a zero-filled shared array of @p length elements of @p elem. A
 * Value is an array of length 1. Single-element get/set/add of a number are
 * atomic on their own, lock or not (a 1- or 2-byte element changes by a
 * compare-and-swap of its 4-byte word: a neighbour's concurrent change is
 * kept). A record is copied whole but not atomically: hold the lock.
 * @return MPROC_OK; MPROC_EINVAL; MPROC_ETYPE (not an mproc_elem);
 *         MPROC_ERANGE (length 0 or too large, or a record size out of range);
 *         an OS status.
 */
MPROC_API mproc_status mproc_array_create(mproc_array **array, mproc_elem elem, size_t length,
                                          const mproc_array_options *options);
/** The number of elements (0 for an invalid handle). */
MPROC_API size_t mproc_array_length(const mproc_array *array);
/** The element type (MPROC_ELEM_NONE for an invalid handle). */
MPROC_API mproc_elem mproc_array_elem(const mproc_array *array);
/** The size of one element in bytes (0 for an invalid handle). */
MPROC_API size_t mproc_array_elem_size(const mproc_array *array);
/** The elements themselves (int64_t *, double *, struct point *...), for
 *  bulk access under the lock; 8-byte aligned. */
MPROC_API void *mproc_array_data(const mproc_array *array);
/**
 * Copies element @p index into @p value, a C object of the element's type
 * (int16_t for MPROC_ELEM_I16, a struct for records...): any element type.
 * @return MPROC_OK; MPROC_EINVAL; MPROC_ERANGE (index); MPROC_ECLOSED.
 */
MPROC_API mproc_status mproc_array_get(const mproc_array *array, size_t index, void *value);
/** Sets element @p index from @p value, a C object of the element's type. */
MPROC_API mproc_status mproc_array_set(mproc_array *array, size_t index, const void *value);
/**
 * Atomically adds @p delta to an integer element (any of the integer
 * types), wrapping around in the element's width as C's unsigned arithmetic
 * does; *previous (may be NULL) gets the value before, as an int64_t
 * (a uint64_t above INT64_MAX reads back through a cast).
 * @return MPROC_OK; MPROC_ETYPE (floats, bool, records); as mproc_array_get().
 */
MPROC_API mproc_status mproc_array_add(mproc_array *array, size_t index, int64_t delta,
                                       int64_t *previous);
/** @name Typed shortcuts
 * @{ */
/** Typed shortcuts for MPROC_ELEM_I64 and MPROC_ELEM_F64 arrays.
 *  @return MPROC_OK; MPROC_EINVAL; MPROC_ERANGE (index); MPROC_ETYPE (another element type). */
MPROC_API mproc_status mproc_array_get_i64(const mproc_array *array, size_t index, int64_t *value);
MPROC_API mproc_status mproc_array_set_i64(mproc_array *array, size_t index, int64_t value);
/** Atomically adds @p delta; *previous (may be NULL) gets the value before. */
MPROC_API mproc_status mproc_array_add_i64(mproc_array *array, size_t index, int64_t delta,
                                           int64_t *previous);
MPROC_API mproc_status mproc_array_get_f64(const mproc_array *array, size_t index, double *value);
MPROC_API mproc_status mproc_array_set_f64(mproc_array *array, size_t index, double value);
/** @} */
/** Takes the array's lock (created with options.lock). Timeouts in ms.
 *  @return as mproc_lock_acquire(); MPROC_ESTATE when the array has no lock. */
MPROC_API mproc_status mproc_array_lock(mproc_array *array, int64_t timeout_ms);
/** Releases the array's lock; any process may (as mproc_lock_release()).
 *  @return MPROC_OK; MPROC_ESTATE (not locked, or the array has no lock);
 *          MPROC_EINVAL; MPROC_ECLOSED. */
MPROC_API mproc_status mproc_array_unlock(mproc_array *array);
/** An opener's release of its handle; statuses as mproc_shm_close(). */
MPROC_API mproc_status mproc_array_close(mproc_array *array);
/** The creator's release, which removes the name; statuses as mproc_shm_destroy(). */
MPROC_API mproc_status mproc_array_destroy(mproc_array *array);

/* ---- Event ------------------------------------------------------------------- */

/** Creates an Event, not set.
 *  @return MPROC_OK; MPROC_EINVAL (NULL); MPROC_ENOTINIT; MPROC_ENOMEM; an OS status. */
MPROC_API mproc_status mproc_event_create(mproc_event **event);
/** Sets the flag and wakes every waiter at once. */
MPROC_API mproc_status mproc_event_set(mproc_event *event);
/** Clears the flag. @return MPROC_OK, MPROC_EINVAL, MPROC_ECLOSED. */
MPROC_API mproc_status mproc_event_clear(mproc_event *event);
/** One atomic load of the shared flag: no system call. 0 for an invalid handle. */
MPROC_API int mproc_event_is_set(const mproc_event *event);
/**
 * Waits until the flag is set, at most @p timeout_ms.
 * @return MPROC_OK (set), MPROC_ETIMEDOUT, MPROC_EINVAL, MPROC_ECLOSED.
 */
MPROC_API mproc_status mproc_event_wait(mproc_event *event, int64_t timeout_ms);
/** An opener's release of its handle; statuses as mproc_shm_close(). */
MPROC_API mproc_status mproc_event_close(mproc_event *event);
/** The creator's release, which removes the name; statuses as mproc_shm_destroy(). */
MPROC_API mproc_status mproc_event_destroy(mproc_event *event);

/* ---- Lock -------------------------------------------------------------------- */

/** Creates a Lock, not held.
 *  @return MPROC_OK; MPROC_EINVAL (NULL); MPROC_ENOTINIT; MPROC_ENOMEM; an OS status. */
MPROC_API mproc_status mproc_lock_create(mproc_lock **lock);
/**
 * Acquires the lock, waiting at most @p timeout_ms (0: try once).
 * @return MPROC_OK; MPROC_ETIMEDOUT; MPROC_EOWNERDEAD (acquired, but its
 *         previous owner died holding it); MPROC_EINVAL; MPROC_ECLOSED.
 */
MPROC_API mproc_status mproc_lock_acquire(mproc_lock *lock, int64_t timeout_ms);
/** Any process may release a held Lock (as Python's).
 *  @return MPROC_OK; MPROC_ESTATE (not locked); MPROC_EINVAL; MPROC_ECLOSED. */
MPROC_API mproc_status mproc_lock_release(mproc_lock *lock);
/** An opener's release of its handle; statuses as mproc_shm_close(). */
MPROC_API mproc_status mproc_lock_close(mproc_lock *lock);
/** The creator's release, which removes the name; statuses as mproc_shm_destroy(). */
MPROC_API mproc_status mproc_lock_destroy(mproc_lock *lock);

/* ---- RLock ------------------------------------------------------------------- */

/** Creates an RLock, not held.
 *  @return MPROC_OK; MPROC_EINVAL (NULL); MPROC_ENOTINIT; MPROC_ENOMEM; an OS status. */
MPROC_API mproc_status mproc_rlock_create(mproc_rlock **rlock);
/** As mproc_lock_acquire(); the owning thread may acquire again (recursion). */
MPROC_API mproc_status mproc_rlock_acquire(mproc_rlock *rlock, int64_t timeout_ms);
/** @return MPROC_OK; MPROC_EPERM (the caller is not the owner); MPROC_EINVAL; MPROC_ECLOSED. */
MPROC_API mproc_status mproc_rlock_release(mproc_rlock *rlock);
/** An opener's release of its handle; statuses as mproc_shm_close(). */
MPROC_API mproc_status mproc_rlock_close(mproc_rlock *rlock);
/** The creator's release, which removes the name; statuses as mproc_shm_destroy(). */
MPROC_API mproc_status mproc_rlock_destroy(mproc_rlock *rlock);

/* ---- Semaphore / BoundedSemaphore -------------------------------------------- */

/** Options of mproc_sem_create(). */
typedef struct mproc_sem_options {
  /** Non-zero: a BoundedSemaphore: releasing above the initial value is MPROC_ERANGE. */
  int bounded;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_sem_options;

/** @return MPROC_OK; MPROC_EINVAL; MPROC_ERANGE (value > INT32_MAX); an OS status. */
MPROC_API mproc_status mproc_sem_create(mproc_sem **sem, uint32_t value,
                                        const mproc_sem_options *options);
/** @return MPROC_OK, MPROC_ETIMEDOUT, MPROC_EINVAL, MPROC_ECLOSED. */
MPROC_API mproc_status mproc_sem_acquire(mproc_sem *sem, int64_t timeout_ms);
/** @return MPROC_OK; MPROC_ERANGE (over-release of a bounded semaphore, or
 *          INT32_MAX); MPROC_EINVAL; MPROC_ECLOSED. */
MPROC_API mproc_status mproc_sem_release(mproc_sem *sem);
/** The current value (a snapshot). */
MPROC_API mproc_status mproc_sem_value(const mproc_sem *sem, uint32_t *value);
/** An opener's release of its handle; statuses as mproc_shm_close(). */
MPROC_API mproc_status mproc_sem_close(mproc_sem *sem);
/** The creator's release, which removes the name; statuses as mproc_shm_destroy(). */
MPROC_API mproc_status mproc_sem_destroy(mproc_sem *sem);

/* ---- Condition --------------------------------------------------------------- */

/** Options of mproc_cond_create(); NULL: a condition with its own RLock. */
typedef struct mproc_cond_options {
  /** Python's Condition(lock): the condition's lock is this Lock (taken
   *  without recursion) or this RLock, shared with the code that uses the
   *  lock directly; at most one of the two. The condition opens its own
   *  handle on it: the lock may then be closed or destroyed by its owner,
   *  and a process that opens the condition opens the lock with it. */
  mproc_lock *lock;
  mproc_rlock *rlock; /**< see @ref lock */
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_cond_options;

/**
 * Creates a condition: on its own recursive lock (Python's default
 * Condition(RLock())), or on a caller's Lock or RLock (options). Hold it
 * with mproc_cond_acquire()/release().
 * @return MPROC_OK; MPROC_EINVAL (NULL, both a lock and an rlock, a non-zero
 *         reserved word); MPROC_ECLOSED (a closed lock); an OS status.
 */
MPROC_API mproc_status mproc_cond_create(mproc_cond **cond, const mproc_cond_options *options);
/** Acquires the condition's lock, as mproc_rlock_acquire(). */
MPROC_API mproc_status mproc_cond_acquire(mproc_cond *cond, int64_t timeout_ms);
/** Releases the condition's lock, as mproc_rlock_release(). */
MPROC_API mproc_status mproc_cond_release(mproc_cond *cond);
/**
 * Releases the lock (all recursion levels), sleeps until notified or
 * @p timeout_ms passes, and re-acquires it before returning, in every case.
 * @return MPROC_OK (notified); MPROC_ETIMEDOUT; MPROC_EPERM (the caller does
 *         not hold the lock); MPROC_EOWNERDEAD (re-acquired after a dead
 *         owner); MPROC_EINVAL; MPROC_ECLOSED.
 */
MPROC_API mproc_status mproc_cond_wait(mproc_cond *cond, int64_t timeout_ms);
/** A predicate for mproc_cond_wait_for(): non-zero when the wait is over. */
typedef int (*mproc_predicate)(void *arg);
/**
 * Waits until @p predicate returns non-zero (checked under the lock, first
 * before any wait), at most @p timeout_ms in all.
 * @return MPROC_OK (predicate true); MPROC_ETIMEDOUT (still false); as mproc_cond_wait().
 */
MPROC_API mproc_status mproc_cond_wait_for(mproc_cond *cond, mproc_predicate predicate, void *arg,
                                           int64_t timeout_ms);
/** Wakes up to @p n waiters (exactly n if n are waiting). The caller must hold the lock.
 *  @return MPROC_OK, MPROC_EPERM, MPROC_EINVAL, MPROC_ECLOSED. */
MPROC_API mproc_status mproc_cond_notify(mproc_cond *cond, uint32_t n);
/** Wakes every waiter. The caller must hold the lock. @return as mproc_cond_notify(). */
MPROC_API mproc_status mproc_cond_notify_all(mproc_cond *cond);
/** An opener's release of its handle; statuses as mproc_shm_close(). */
MPROC_API mproc_status mproc_cond_close(mproc_cond *cond);
/** The creator's release, which removes the name; statuses as mproc_shm_destroy(). */
MPROC_API mproc_status mproc_cond_destroy(mproc_cond *cond);

/* ---- Barrier ----------------------------------------------------------------- */

/** Options of mproc_barrier_create(). */
typedef struct mproc_barrier_options {
  /** A registered function (see mproc_init()) one party runs when all have
   *  arrived, before any is released; NULL for none. If it fails, the barrier breaks. */
  const char *action;
  /** The action's arguments (copied at create; may carry shared objects,
   *  which the action opens with mproc_args_open_<kind>()); NULL: an empty
   *  list. As Python's Barrier(action=partial(f, ...)). */
  const mproc_args *action_args;
  /** Reserved for later versions: must be zero (mproc.h: structs that grow). */
  uint64_t reserved[4];
} mproc_barrier_options;

/** @return MPROC_OK; MPROC_EINVAL (also: action_args without an action);
 *          MPROC_ERANGE (parties 0 or > 65535); MPROC_ENOFUNC (action not
 *          registered); an OS status. */
MPROC_API mproc_status mproc_barrier_create(mproc_barrier **barrier, uint32_t parties,
                                            const mproc_barrier_options *options);
/**
 * Waits until @p parties processes (or threads) have called it.
 * @param barrier     the barrier.
 * @param timeout_ms  in ms; MPROC_WAIT_FOREVER: no limit.
 * @param[out] index  a distinct number in 0..parties-1 for each party (may be NULL).
 * @return MPROC_OK; MPROC_EBROKEN (aborted, reset while waiting, another
 *         party timed out or died inside the barrier, or the action failed);
 *         MPROC_ETIMEDOUT (this party timed out; the barrier is now broken, as
 *         Python's); MPROC_EFAILED (this party ran the action and it failed);
 *         MPROC_ESTATE (called from the barrier's own action); MPROC_EINVAL;
 *         MPROC_ECLOSED. It never returns MPROC_EOWNERDEAD.
 */
MPROC_API mproc_status mproc_barrier_wait(mproc_barrier *barrier, int64_t timeout_ms,
                                          uint32_t *index);
/** Breaks the barrier: current and future waiters get MPROC_EBROKEN until reset. */
MPROC_API mproc_status mproc_barrier_abort(mproc_barrier *barrier);
/** Returns it to the empty, unbroken state; current waiters get MPROC_EBROKEN. */
MPROC_API mproc_status mproc_barrier_reset(mproc_barrier *barrier);
/** The number of parties the barrier was created for.
 *  @return MPROC_OK, MPROC_EINVAL, MPROC_ECLOSED. */
MPROC_API mproc_status mproc_barrier_parties(const mproc_barrier *barrier, uint32_t *parties);
/** The number of parties waiting now. */
MPROC_API mproc_status mproc_barrier_n_waiting(const mproc_barrier *barrier, uint32_t *n);
/** Non-zero in *broken when the barrier is broken (a snapshot).
 *  @return MPROC_OK, MPROC_EINVAL, MPROC_ECLOSED. */
MPROC_API mproc_status mproc_barrier_broken(const mproc_barrier *barrier, int *broken);
/** An opener's release of its handle; statuses as mproc_shm_close(). */
MPROC_API mproc_status mproc_barrier_close(mproc_barrier *barrier);
/** The creator's release, which removes the name; statuses as mproc_shm_destroy(). */
MPROC_API mproc_status mproc_barrier_destroy(mproc_barrier *barrier);

/* ---- crossing to another process -------------------------------------------- */

/** @name Passing an object to another process
 * @{ */
/**
 * `mproc_args_add_<kind>(args, object)` appends a reference to a live object
 * (its kind, name and size); `mproc_args_open_<kind>(args, index, &object)`
 * re-opens it on the receiving side, giving a new handle of the same kind
 * that the receiver must close.
 *
 * `mproc_args_get_<kind>(args, index, &object)` is the short form for the
 * receiver: it opens the object the first time and gives the same handle
 * on every later call; the handle belongs to the list and is closed with it
 * (when the list is destroyed, cleared or loses that value). So a task
 * writes `mproc_args_get_event(args, 0, &stop)` and nothing else: the
 * runtime destroys its arguments after it returns. Do not close such a
 * handle, and do not keep it past the list (an initializer that stores an
 * object in a global for later tasks opens it: its arguments go when it
 * returns); a list shared by threads needs the caller's own lock for it.
 *
 * add: MPROC_OK; MPROC_EINVAL (NULL); MPROC_ENOTSHAREABLE (not a live mproc
 *      object of that kind in this process: destroyed, closed, or foreign).
 * open: MPROC_OK; MPROC_EINVAL; MPROC_ERANGE (no such index); MPROC_ETYPE (not
 *      an object of that kind); MPROC_EPROTO (the segment is not a valid
 *      object); an OS status (e.g. the creator already destroyed it).
 */
#define MPROC__ARGS_OBJECT_API(kind)                                                               \
  MPROC_API mproc_status mproc_args_add_##kind(mproc_args *args, const mproc_##kind *object);      \
  MPROC_API mproc_status mproc_args_open_##kind(const mproc_args *args, size_t index,              \
                                                mproc_##kind **object);                            \
  MPROC_API mproc_status mproc_args_get_##kind(const mproc_args *args, size_t index,               \
                                               mproc_##kind **object);
MPROC__ARGS_OBJECT_API(shm)
MPROC__ARGS_OBJECT_API(array)
MPROC__ARGS_OBJECT_API(event)
MPROC__ARGS_OBJECT_API(lock)
MPROC__ARGS_OBJECT_API(rlock)
MPROC__ARGS_OBJECT_API(sem)
MPROC__ARGS_OBJECT_API(cond)
MPROC__ARGS_OBJECT_API(barrier)
#undef MPROC__ARGS_OBJECT_API
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* MPROC_SHARED_H */
