/**
 * @file mproc/export.h
 * @brief The MPROC_API export macro (symbols are hidden by default).
 *
 * Define MPROC_SHARED when using mproc as a shared library on Windows; the
 * CMake package and the pkg-config file do that for you.
 */
#ifndef MPROC_EXPORT_H
#define MPROC_EXPORT_H

#if defined(_WIN32) && defined(MPROC_SHARED)
#ifdef MPROC_BUILDING
#define MPROC_API __declspec(dllexport)
#else
#define MPROC_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define MPROC_API __attribute__((visibility("default")))
#else
#define MPROC_API
#endif

#endif /* MPROC_EXPORT_H */
