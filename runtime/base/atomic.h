/*
 * Sequentially consistent atomics on words that live in shared memory, and
 * one release store (mproc__store_rel64): the stores before it are seen
 * before it, but a later load may pass it. It is for a word whose writer
 * makes a full-barrier exchange next anyway (queue/stream.c's commit words,
 * then the lock's release), where a second barrier would only wait.
 *
 * Not <stdatomic.h>: MSVC's C11 mode lacks it (before VS 2022 17.5, and then
 * only as experimental), and the words are plain uint32_t/uint64_t fields of
 * structs mapped by several processes. GCC/Clang builtins and MSVC
 * intrinsics are both lock-free for aligned 32- and 64-bit words on every
 * target mproc supports, so they work across processes. clang-cl takes the
 * MSVC branch too (it has both): the branch MSVC compiles is then compiled in
 * CI, by scripts/msvc-check.sh.
 */
#ifndef MPROC_ATOMIC_H
#define MPROC_ATOMIC_H

#include <stdint.h>

#if defined(_MSC_VER)
#ifndef _WIN64 /* (CMakeLists.txt refuses it first) */
#error "mproc needs a 64-bit Windows target: the 64-bit _Interlocked intrinsics exist only there"
#endif
#include <intrin.h>
static __inline uint32_t mproc__load32(const volatile uint32_t *p) {
  return (uint32_t)_InterlockedOr((volatile long *)p, 0);
}
static __inline void mproc__store32(volatile uint32_t *p, uint32_t v) {
  _InterlockedExchange((volatile long *)p, (long)v);
}
static __inline uint32_t mproc__xchg32(volatile uint32_t *p, uint32_t v) {
  return (uint32_t)_InterlockedExchange((volatile long *)p, (long)v);
}
/* Returns non-zero if *p was @expected and is now @desired. */
static __inline int mproc__cas32(volatile uint32_t *p, uint32_t expected, uint32_t desired) {
  return (uint32_t)_InterlockedCompareExchange((volatile long *)p, (long)desired, (long)expected) ==
         expected;
}
static __inline uint32_t mproc__add32(volatile uint32_t *p, uint32_t v) {
  return (uint32_t)_InterlockedExchangeAdd((volatile long *)p, (long)v);
}
static __inline uint64_t mproc__load64(const volatile uint64_t *p) {
  return (uint64_t)_InterlockedOr64((volatile __int64 *)p, 0);
}
static __inline void mproc__store64(volatile uint64_t *p, uint64_t v) {
  _InterlockedExchange64((volatile __int64 *)p, (__int64)v);
}
static __inline void mproc__store_rel64(volatile uint64_t *p, uint64_t v) {
#if defined(_M_X64)
  _ReadWriteBarrier(); /* x64 stores are release; only the compiler must keep the order */
  *p = v;
#else
  _InterlockedExchange64((volatile __int64 *)p, (__int64)v);
#endif
}
static __inline int mproc__cas64(volatile uint64_t *p, uint64_t expected, uint64_t desired) {
  return (uint64_t)_InterlockedCompareExchange64((volatile __int64 *)p, (__int64)desired,
                                                 (__int64)expected) == expected;
}
static __inline uint64_t mproc__add64(volatile uint64_t *p, uint64_t v) {
  return (uint64_t)_InterlockedExchangeAdd64((volatile __int64 *)p, (__int64)v);
}
#else
#define MPROC__SC __ATOMIC_SEQ_CST
static inline uint32_t mproc__load32(const volatile uint32_t *p) {
  return __atomic_load_n(p, MPROC__SC);
}
static inline void mproc__store32(volatile uint32_t *p, uint32_t v) {
  __atomic_store_n(p, v, MPROC__SC);
}
static inline uint32_t mproc__xchg32(volatile uint32_t *p, uint32_t v) {
  return __atomic_exchange_n(p, v, MPROC__SC);
}
/* Returns non-zero if *p was @expected and is now @desired. */
static inline int mproc__cas32(volatile uint32_t *p, uint32_t expected, uint32_t desired) {
  return __atomic_compare_exchange_n(p, &expected, desired, 0, MPROC__SC, MPROC__SC);
}
static inline uint32_t mproc__add32(volatile uint32_t *p, uint32_t v) {
  return __atomic_fetch_add(p, v, MPROC__SC);
}
static inline uint64_t mproc__load64(const volatile uint64_t *p) {
  return __atomic_load_n(p, MPROC__SC);
}
static inline void mproc__store64(volatile uint64_t *p, uint64_t v) {
  __atomic_store_n(p, v, MPROC__SC);
}
static inline void mproc__store_rel64(volatile uint64_t *p, uint64_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline int mproc__cas64(volatile uint64_t *p, uint64_t expected, uint64_t desired) {
  return __atomic_compare_exchange_n(p, &expected, desired, 0, MPROC__SC, MPROC__SC);
}
static inline uint64_t mproc__add64(volatile uint64_t *p, uint64_t v) {
  return __atomic_fetch_add(p, v, MPROC__SC);
}
#endif

/* A hint inside a busy-wait loop: lets the sibling hyperthread run and
 * saves power (x86 PAUSE, Arm YIELD); nothing elsewhere. */
#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <emmintrin.h> /* _mm_pause (MSVC's <intrin.h> has it; clang-cl's does not) */
#define mproc__cpu_relax() _mm_pause()
#elif defined(_MSC_VER) && defined(_M_ARM64)
#define mproc__cpu_relax() __yield()
#elif defined(__x86_64__) || defined(__i386__)
#define mproc__cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define mproc__cpu_relax() __asm__ __volatile__("yield")
#else
#define mproc__cpu_relax() ((void)0)
#endif

#endif /* MPROC_ATOMIC_H */
