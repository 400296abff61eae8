/**
 * @file mproc/version.h
 * @brief mproc's version: the headers' (these macros, fixed at compile
 * time) and the library's (mproc_version(), the one actually linked or
 * loaded: a program built against one shared library may run with a later
 * one).
 *
 * The numbers follow semantic versioning: a MINOR release adds API and keeps
 * the ABI; a MAJOR release may break either. Before 1.0, a MINOR release may
 * still change the API (CHANGES.md says how). CMakeLists.txt reads the
 * project's version from this file, so it is set in one place.
 */
#ifndef MPROC_VERSION_H
#define MPROC_VERSION_H

#include "mproc/export.h"

/** The headers' major version. */
#define MPROC_VERSION_MAJOR 0
/** The headers' minor version. */
#define MPROC_VERSION_MINOR 2
/** The headers' patch version. */
#define MPROC_VERSION_PATCH 0
/** One number that compares: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define MPROC_VERSION                                                                              \
  (MPROC_VERSION_MAJOR * 10000 + MPROC_VERSION_MINOR * 100 + MPROC_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/** The library's version, as MPROC_VERSION computes it. */
MPROC_API int mproc_version(void);
/** The library's version as text, "MAJOR.MINOR.PATCH" (a static string). */
MPROC_API const char *mproc_version_string(void);

#ifdef __cplusplus
}
#endif
#endif /* MPROC_VERSION_H */
