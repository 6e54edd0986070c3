/*
 * varint.h - LEB128 unsigned varints and little-endian fixed-width
 * integers, the two integer encodings of every file (docs/FORMAT.md).
 *
 * Decoders take an end pointer and never read past it: a varint that runs
 * off the end, or is longer than 10 bytes, makes them return NULL, which the
 * callers turn into SRCH_ECORRUPT.
 */
#ifndef LS_VARINT_H
#define LS_VARINT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LS_VARINT_MAX 10

/* Write v at p; returns the byte after it. p needs LS_VARINT_MAX bytes. */
static inline unsigned char *ls_put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static inline size_t ls_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Read a varint from [p, end); NULL if malformed or truncated. */
static inline const unsigned char *ls_get_varint(const unsigned char *p, const unsigned char *end,
                                                 uint64_t *out)
{
    if (p < end && *p < 0x80) {   /* the common one-byte case */
        *out = *p;
        return p + 1;
    }
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end)
            return NULL;
        unsigned char b = *p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (b < 0x80) {
            *out = v;
            return p;
        }
    }
    return NULL;
}

/* The same for a value that must fit in 32 bits. */
static inline const unsigned char *ls_get_varint32(const unsigned char *p,
                                                   const unsigned char *end, uint32_t *out)
{
    uint64_t v;
    p = ls_get_varint(p, end, &v);
    if (!p || v > UINT32_MAX)
        return NULL;
    *out = (uint32_t)v;
    return p;
}

static inline void ls_put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static inline void ls_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void ls_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint16_t ls_get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t ls_get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);   /* little-endian hosts only (checked in format.h) */
    return v;
}

static inline uint64_t ls_get_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

#endif
