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
