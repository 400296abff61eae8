/*
 * The library's own version (mproc/version.h): compiled in, so a program
 * can tell which library it runs with, not only which headers it saw.
 */
#include "mproc/version.h"

#define STR(x) #x
#define XSTR(x) STR(x)

int mproc_version(void) { return MPROC_VERSION; }

const char *mproc_version_string(void) {
  return XSTR(MPROC_VERSION_MAJOR) "." XSTR(MPROC_VERSION_MINOR) "." XSTR(MPROC_VERSION_PATCH);
}
