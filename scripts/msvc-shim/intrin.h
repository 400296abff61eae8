/*
 * For scripts/msvc-check.sh only: clang's own <intrin.h> is written against
 * MSVC's C runtime headers and clashes with mingw-w64's (_setjmp, __stosq...).
 * This stand-in declares, with Microsoft's prototypes, the intrinsics
 * runtime/base/atomic.h uses that clang-cl does not predeclare; clang-cl
 * treats them as its builtins.
 */
#ifndef MPROC_MSVC_SHIM_INTRIN_H
#define MPROC_MSVC_SHIM_INTRIN_H
__int64 _InterlockedOr64(__int64 volatile *value, __int64 mask);
__int64 _InterlockedExchange64(__int64 volatile *target, __int64 value);
__int64 _InterlockedExchangeAdd64(__int64 volatile *addend, __int64 value);
#ifndef _ReadWriteBarrier /* mingw-w64's <windows.h> makes it a macro */
void _ReadWriteBarrier(void);
#endif
#endif
