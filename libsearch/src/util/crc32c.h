/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum in every file's footer.
 *
 * Uses the SSE 4.2 crc32 instruction when the CPU has it (about 10 GB/s
 * with three interleaved streams), a slicing-by-8 table otherwise; both give
 * the same values (the tests compare them).
 */
#ifndef LS_CRC32C_H
#define LS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (0 to start) with n bytes. */
uint32_t ls_crc32c(uint32_t crc, const void *data, size_t n);

/* The CRC of A then B, from crc_a (A's), crc_b (B's) and B's length: so
 * that a file's checksum covers bytes copied in without reading them
 * (ls_wfile_copy). O(log len_b). */
uint32_t ls_crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

/* The portable implementation alone, for tests. */
uint32_t ls_crc32c_sw(uint32_t crc, const void *data, size_t n);

#endif
