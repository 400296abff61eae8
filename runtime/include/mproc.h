/**
 * @file mproc.h
 * @brief mproc: Python's multiprocessing for C, with spawn semantics on Linux,
 * macOS and Windows. Include this one header.
 *
 * Conventions, stated once for the whole API:
 * - Names: `mproc_<object>_<verb>`; the result argument first, options last.
 * - Errors: every function that can fail returns an ::mproc_status (0 is
 *   success) and leaves the detail in mproc_last_error(). See mproc/status.h.
 * - Ownership: whoever creates an object destroys it. `create` makes a new
 *   object, `destroy` releases it; objects other processes re-open by name
 *   add `open` and `close`, and only their creator's `destroy` removes the name.
 * - Timeouts are milliseconds; MPROC_WAIT_FOREVER waits without limit.
 * - Getters: one that cannot fail returns its value (mproc_queue_empty(),
 *   mproc_array_length(): 0 or NULL for an invalid handle); one that can
 *   fail returns a status and writes its value through a pointer.
 * - Structs that grow (every options struct, mproc_wait_item, and the
 *   mproc_task_info and mproc_map_item mproc fills in) end with `reserved`
 *   words. A later version may give a reserved word a meaning, zero meaning
 *   today's behaviour, so the layout and the size never change within a
 *   major version. So zero-initialise what you pass (`= {0}`, or designated
 *   initializers such as `{.workers = 4}`); mproc refuses a non-zero reserved
 *   word with MPROC_EINVAL rather than guess, and zeroes those it fills.
 */
#ifndef MPROC_H
#define MPROC_H

#include "mproc/args.h"
#include "mproc/export.h"
#include "mproc/pool.h"
#include "mproc/process.h"
#include "mproc/queue.h"
#include "mproc/shared.h"
#include "mproc/status.h"
#include "mproc/version.h"
#include "mproc/wait.h"

#endif /* MPROC_H */
