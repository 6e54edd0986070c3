/*
 * termdict.h - the term dictionary: sorted term keys (field byte + term)
 * to their term info (document frequency, where the postings are).
 *
 * Format (docs/FORMAT.md, "Term dictionary"), body of .ter:
 *   blocks of up to LS_TERMS_PER_BLOCK entries, each entry:
 *     varint shared       bytes shared with the previous key of the block
 *     varint suffix_len, suffix bytes
 *     varint df
 *     df == 1: varint passage, varint freq          (postings inlined)
 *     df >= 2: varint doc_off - previous doc_off     (previous: block's doc_base)
 *     if the field has positions: varint pos_off - previous pos_off
 *     if the field is W (exact words): varint stem_len (ls_term_info)
 *   index, one entry per block:
 *     varint key_len, key (the block's first key), varint block offset,
 *     varint doc_base, varint pos_base
 *   trailer: u64 index offset, u32 block count, u64 term count,
 *            u64 id term count
 * Offsets are file offsets. The reader keeps the index in memory (pointers
 * into the mapping, and each block's first 8 bytes as a number), finds a
 * key's block by binary search, then scans at most LS_TERMS_PER_BLOCK
 * entries.
 */
#ifndef LS_TERMDICT_H
#define LS_TERMDICT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "index/format.h"
#include "index/postings.h"
#include "util/file.h"

typedef struct ls_termdict_writer {
    ls_wfile *f;
    unsigned char *idx;       /* serialized index entries */
    size_t idx_len, idx_cap;
    int in_block;             /* entries in the current block */
    unsigned char prev[LS_MAX_TERM_BYTES];
    size_t prev_len;
    uint64_t prev_doc, prev_pos;
    uint64_t nterms, nid_terms;
    uint32_t nblocks;
} ls_termdict_writer;

void ls_tdw_init(ls_termdict_writer *w, ls_wfile *f);
/* Add a key (strictly greater than the previous one). */
int ls_tdw_add(ls_termdict_writer *w, const unsigned char *key, size_t klen,
               const ls_term_info *ti);
/* Append the blocks another writer h wrote (into a scratch file, with
 * offsets from 0) after this one's terms: the caller has copied h's bytes
 * into this writer's file at off_base, and its postings and positions at
 * doc_base and pos_base; h's keys all follow this writer's. The blocks
 * are taken as they are (this writer's last block may stay short): only
 * the index entries move. */
int ls_tdw_append(ls_termdict_writer *w, const ls_termdict_writer *h, uint64_t off_base,
                  uint64_t doc_base, uint64_t pos_base);
/* Write the index and trailer (the caller then finishes the file). */
int ls_tdw_finish(ls_termdict_writer *w);
void ls_tdw_free(ls_termdict_writer *w);

/* Key order: bytewise, the shorter first on a tie (docs/FORMAT.md). */
static inline int ls_key_cmp(const unsigned char *a, size_t alen, const unsigned char *b,
                             size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

typedef struct ls_termdict {
    const ls_map *map;
    uint32_t nblocks;
    const unsigned char **first;   /* first key of each block */
    uint16_t *first_len;
    uint64_t *first8;              /* its first 8 bytes, big-endian, zero-padded */
    uint64_t *block_off, *doc_base, *pos_base;   /* file offsets */
    uint64_t index_off;
    uint64_t nterms, nid_terms;
} ls_termdict;

int ls_termdict_open(ls_termdict *td, const ls_map *m, ls_err *err);
void ls_termdict_close(ls_termdict *td);

/* Look a key up: 1 found (*ti set), 0 absent, -1 malformed block. */
int ls_termdict_get(const ls_termdict *td, const unsigned char *key, size_t klen,
                    ls_term_info *ti);

/* Look n keys up at once (their binary searches interleaved, so that the
 * memory loads of one overlap those of the others): found[i] is 1 (ti[i]
 * set), 0 or -1 as ls_termdict_get() would return. Returns 0, or -1 if a
 * block is malformed. */
int ls_termdict_get_batch(const ls_termdict *td, const unsigned char *const *keys,
                          const size_t *klens, size_t n, ls_term_info *ti, signed char *found);

/* Iteration in key order, from the first key >= a given key. */
typedef struct ls_term_iter {
    const ls_termdict *td;
    uint32_t block;
    const unsigned char *p, *end;   /* remaining entries of the block */
    uint64_t prev_doc, prev_pos;
    unsigned char key[LS_MAX_TERM_BYTES];
    size_t klen;
    ls_term_info ti;
    int corrupt;
} ls_term_iter;

void ls_term_iter_seek(ls_term_iter *it, const ls_termdict *td, const unsigned char *key,
                       size_t klen);
/* 1: it->key/klen/ti hold the next term; 0: no more; -1: malformed. */
int ls_term_iter_next(ls_term_iter *it);

#endif
