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

#define UNPACK_CASE(B)                                                   \
    case B: {                                                            \
        const uint64_t mask = B == 32 ? 0xFFFFFFFFull : ((1ull << B) - 1); \
        for (int i = 0; i < LS_BLOCK; i++) {                             \
            uint64_t w;                                                  \
            memcpy(&w, in + (i * B) / 8, 8);                             \
            v[i] = (uint32_t)((w >> ((i * B) % 8)) & mask);              \
        }                                                                \
        return;                                                          \
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
