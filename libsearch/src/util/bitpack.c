/*
 * bitpack.c - pack and unpack blocks of 128 integers (see bitpack.h).
 *
 * Unpacking is specialized per bit width with a macro, so that the shift
 * and mask are constants and the compiler can unroll and vectorize the
 * loop; it is the inner loop of every postings scan.
 */
#include "bitpack.h"

#include <string.h>

unsigned ls_bits_needed(const uint32_t *v, size_t n)
{
    uint32_t all = 0;
    for (size_t i = 0; i < n; i++)
        all |= v[i];
    return all ? 32 - (unsigned)__builtin_clz(all) : 0;
}

void ls_pack128(const uint32_t *v, unsigned b, unsigned char *out)
{
    memset(out, 0, 16 * b);
    if (b == 0)
        return;
    uint64_t acc = 0;
    unsigned fill = 0;
    size_t o = 0;
    for (int i = 0; i < LS_BLOCK; i++) {
        acc |= (uint64_t)v[i] << fill;
        fill += b;
        while (fill >= 8) {
            out[o++] = (unsigned char)acc;
            acc >>= 8;
            fill -= 8;
        }
    }
    if (fill)
        out[o] = (unsigned char)acc;
}

/* Eight values of B bits take exactly B bytes: a block is 16 groups of 8,
 * and within a group every byte offset and shift is a constant. Each value
 * is read with one unaligned 8-byte load (B <= 32 bits at a shift < 8 fit
 * in 64 bits); the packed data is never at the very end of a file (the
 * frequencies or the file's footer follow), so the loads stay in the map. */
static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

#define UNPACK_ONE(B, K) \
    o[K] = (uint32_t)((load64(q + ((K) * (B)) / 8) >> (((K) * (B)) % 8)) & mask);

#define UNPACK_CASE(B)                                                     \
    case B: {                                                              \
        const uint64_t mask = B == 32 ? 0xFFFFFFFFull : ((1ull << B) - 1); \
        for (int g = 0; g < LS_BLOCK / 8; g++) {                           \
            const unsigned char *q = in + g * B;                           \
            uint32_t *o = v + 8 * g;                                       \
            UNPACK_ONE(B, 0) UNPACK_ONE(B, 1) UNPACK_ONE(B, 2)             \
            UNPACK_ONE(B, 3) UNPACK_ONE(B, 4) UNPACK_ONE(B, 5)             \
            UNPACK_ONE(B, 6) UNPACK_ONE(B, 7)                              \
        }                                                                  \
        return;                                                            \
    }

void ls_unpack128(const unsigned char *in, unsigned b, uint32_t *v)
{
    switch (b) {
    case 0:
        memset(v, 0, LS_BLOCK * sizeof *v);
        return;
    UNPACK_CASE(1) UNPACK_CASE(2) UNPACK_CASE(3) UNPACK_CASE(4)
    UNPACK_CASE(5) UNPACK_CASE(6) UNPACK_CASE(7) UNPACK_CASE(8)
    UNPACK_CASE(9) UNPACK_CASE(10) UNPACK_CASE(11) UNPACK_CASE(12)
    UNPACK_CASE(13) UNPACK_CASE(14) UNPACK_CASE(15) UNPACK_CASE(16)
    UNPACK_CASE(17) UNPACK_CASE(18) UNPACK_CASE(19) UNPACK_CASE(20)
    UNPACK_CASE(21) UNPACK_CASE(22) UNPACK_CASE(23) UNPACK_CASE(24)
    UNPACK_CASE(25) UNPACK_CASE(26) UNPACK_CASE(27) UNPACK_CASE(28)
    UNPACK_CASE(29) UNPACK_CASE(30) UNPACK_CASE(31) UNPACK_CASE(32)
    default:
        memset(v, 0, LS_BLOCK * sizeof *v);
    }
}

#if defined(__SSE2__)
#include <emmintrin.h>

uint32_t ls_prefix_sum128(uint32_t *v, uint32_t start)
{
    /* four lanes at a time: add the vector shifted by one lane, then by
     * two, then the last value of the previous four */
    __m128i carry = _mm_set1_epi32((int)start), one = _mm_set1_epi32(1);
    for (int i = 0; i < LS_BLOCK; i += 4) {
        __m128i x = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(v + i)), one);
        x = _mm_add_epi32(x, _mm_slli_si128(x, 4));
        x = _mm_add_epi32(x, _mm_slli_si128(x, 8));
        x = _mm_add_epi32(x, carry);
        _mm_storeu_si128((__m128i *)(v + i), x);
        carry = _mm_shuffle_epi32(x, 0xFF);
    }
    return v[LS_BLOCK - 1];
}
#else
uint32_t ls_prefix_sum128(uint32_t *v, uint32_t start)
{
    uint32_t sum = start;
    for (int i = 0; i < LS_BLOCK; i++)
        v[i] = sum += v[i] + 1;
    return sum;
}
#endif
