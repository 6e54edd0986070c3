/*
 * bitpack.h - fixed-width bit-packing of blocks of 128 unsigned 32-bit
 * integers, the codec of full postings blocks (passage-id deltas and
 * frequencies).
 *
 * A block packed with b bits (0 to 32) takes exactly 16 * b bytes: value i
 * occupies bits [i*b, i*b + b) of the little-endian bit stream. b = 0 means
 * every value is 0 and takes no space. Unpacking reads up to 7 bytes past
 * the packed block; callers guarantee the bytes are mapped (every file ends
 * with a 16-byte footer).
 */
#ifndef LS_BITPACK_H
#define LS_BITPACK_H

#include <stddef.h>
#include <stdint.h>

#define LS_BLOCK 128

/* Bits needed for the largest of n values (0 if all are 0). */
unsigned ls_bits_needed(const uint32_t *v, size_t n);

/* Pack 128 values of at most b bits into out (16 * b bytes). */
void ls_pack128(const uint32_t *v, unsigned b, unsigned char *out);

/* Unpack 128 values of b bits from in. */
void ls_unpack128(const unsigned char *in, unsigned b, uint32_t *v);

/* Turn 128 gaps-minus-one into running values: v[i] = start + the sum of
 * (v[j] + 1) for j <= i, in 32-bit arithmetic (the caller makes sure it
 * cannot wrap); returns v[127]. */
uint32_t ls_prefix_sum128(uint32_t *v, uint32_t start);

#endif
