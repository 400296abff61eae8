/*
 * Little-endian integers, the byte order of everything mproc puts on a
 * channel or in a shared segment's wire format, whatever the host's. The one
 * copy: frames, the args codec and the protocol's payloads all use it.
 */
#ifndef MPROC_ENDIAN_H
#define MPROC_ENDIAN_H

#include <stdint.h>

static inline void mproc__put_u16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline uint16_t mproc__get_u16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] | (unsigned)p[1] << 8);
}
static inline void mproc__put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline uint32_t mproc__get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void mproc__put_u64(uint8_t *p, uint64_t v) {
  mproc__put_u32(p, (uint32_t)v);
  mproc__put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t mproc__get_u64(const uint8_t *p) {
  return mproc__get_u32(p) | (uint64_t)mproc__get_u32(p + 4) << 32;
}

#endif /* MPROC_ENDIAN_H */
