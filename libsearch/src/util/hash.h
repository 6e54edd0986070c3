/*
 * hash.h - a fast 64-bit hash of short byte strings (terms, words).
 *
 * Not cryptographic and not stable across versions: never store it on disk.
 */
#ifndef LS_HASH_H
#define LS_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t ls_hash_mix(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h;
}

/* The state before any byte of an n-byte string, and the last step: its
 * final 1 to 7 bytes as a little-endian number v. */
static inline uint64_t hash_start(size_t n)
{
    return 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
}

static inline uint64_t hash_tail(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x94d049bb133111ebull;
}

static inline uint64_t ls_hash_bytes(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = hash_start(n);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xbf58476d1ce4e5b9ull;
        h = (h << 27) | (h >> 37);
        p += 8;
        n -= 8;
    }
    if (n) {
        /* the last n bytes as a little-endian number, without a call: an
         * 8-byte load ending at the last byte when the whole is that long */
        uint64_t v = 0;
        if (p - (const unsigned char *)data >= 8 - (ptrdiff_t)n) {
            memcpy(&v, p + n - 8, 8);
            v >>= 8 * (8 - n);   /* (little-endian: the same number as the loop) */
        } else {
            for (size_t i = 0; i < n; i++)
                v |= (uint64_t)p[i] << (8 * i);
        }
        h = hash_tail(h, v);
    }
    return ls_hash_mix(h);
}

/* The same hash, for a string of which at least 8 bytes from data are
 * readable (up to `end`): a short one is read with one load. */
static inline uint64_t ls_hash_bytes_in(const void *data, size_t n, const void *end)
{
    if (n - 1 < 7 && (const unsigned char *)end - (const unsigned char *)data >= 8) {
        uint64_t v;   /* 1 to 7 bytes: the low n bytes of a load */
        memcpy(&v, data, 8);
        v &= ~0ull >> (8 * (8 - n));
        return ls_hash_mix(hash_tail(hash_start(n), v));
    }
    return ls_hash_bytes(data, n);
}

#endif
