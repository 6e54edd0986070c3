/*
 * crc32c.c - CRC-32C with the SSE 4.2 instruction or a table (crc32c.h).
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82f63b78u   /* reflected Castagnoli polynomial */

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void init_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
}

uint32_t ls_crc32c_sw(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&table_once, init_table);
    const unsigned char *p = data;
    crc = ~crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        v ^= crc;
        crc = table[7][v & 0xFF] ^ table[6][(v >> 8) & 0xFF] ^ table[5][(v >> 16) & 0xFF] ^
              table[4][(v >> 24) & 0xFF] ^ table[3][(v >> 32) & 0xFF] ^
              table[2][(v >> 40) & 0xFF] ^ table[1][(v >> 48) & 0xFF] ^ table[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}

/* a * b modulo the polynomial, both reflected (bit 31 holds x^0) */
static uint32_t mult_mod(uint32_t a, uint32_t b)
{
    uint32_t prod = 0;
    for (uint32_t bit = 1u << 31; bit && a; bit >>= 1) {
        if (a & bit) {
            prod ^= b;
            a ^= bit;
        }
        b = b & 1 ? (b >> 1) ^ POLY : b >> 1;   /* b * x */
    }
    return prod;
}

/* x^(8 n) modulo the polynomial (reflected): what appending n zero bytes
 * multiplies a register by. */
static uint32_t xpow8n(uint64_t n)
{
    uint32_t shift = 1u << 31;   /* x^0 */
    uint32_t sq = 1u << 23;      /* x^8: one byte */
    for (; n; n >>= 1) {
        if (n & 1)
            shift = mult_mod(shift, sq);
        sq = mult_mod(sq, sq);
    }
    return shift;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

/* The crc32 instruction takes 3 cycles and a new one can start every
 * cycle: three independent streams of STRIDE bytes are computed side by
 * side, then joined. A register after STRIDE more bytes is its value
 * times x^(8 STRIDE) (a linear map of its 4 bytes: shift_tab) plus the
 * CRC of those bytes from 0. */
#define STRIDE 8192

static uint32_t shift_tab[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

static void init_shift(void)
{
    uint32_t k = xpow8n(STRIDE);
    for (uint32_t b = 0; b < 256; b++)
        for (int j = 0; j < 4; j++)
            shift_tab[j][b] = mult_mod(k, b << (8 * j));
}

static inline uint32_t shift_stride(uint32_t c)
{
    return shift_tab[0][c & 0xFF] ^ shift_tab[1][(c >> 8) & 0xFF] ^
           shift_tab[2][(c >> 16) & 0xFF] ^ shift_tab[3][c >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const void *data,
                                                             size_t n)
{
    const unsigned char *p = data;
    uint64_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        n--;
    }
    if (n >= 3 * STRIDE)
        pthread_once(&shift_once, init_shift);
    while (n >= 3 * STRIDE) {
        uint64_t c1 = 0, c2 = 0;
        for (size_t i = 0; i < STRIDE; i += 8) {
            uint64_t v0, v1, v2;
            memcpy(&v0, p + i, 8);
            memcpy(&v1, p + STRIDE + i, 8);
            memcpy(&v2, p + 2 * STRIDE + i, 8);
            c = _mm_crc32_u64(c, v0);
            c1 = _mm_crc32_u64(c1, v1);
            c2 = _mm_crc32_u64(c2, v2);
        }
        c = shift_stride(shift_stride((uint32_t)c) ^ (uint32_t)c1) ^ (uint32_t)c2;
        p += 3 * STRIDE;
        n -= 3 * STRIDE;
    }
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    while (n--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

uint32_t ls_crc32c(uint32_t crc, const void *data, size_t n)
{
    static int have_sse42 = -1;
    if (have_sse42 < 0)
        have_sse42 = __builtin_cpu_supports("sse4.2");
    return have_sse42 ? crc32c_hw(crc, data, n) : ls_crc32c_sw(crc, data, n);
}
#else
uint32_t ls_crc32c(uint32_t crc, const void *data, size_t n)
{
    return ls_crc32c_sw(crc, data, n);
}
#endif

/* Appending len_b bytes multiplies A's register by x^(8 len_b) (the pre-
 * and post-inversions cancel out in the sum), then B's CRC is added. */
uint32_t ls_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
    return mult_mod(xpow8n(len_b), crc_a) ^ crc_b;
}
