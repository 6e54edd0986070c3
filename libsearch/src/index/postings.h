/*
 * postings.h - the postings codec: for each term, the passages it occurs
 * in, with frequencies, positions and per-block score bounds.
 *
 * Format (docs/FORMAT.md, "Postings"). A term with df >= 2 has in .doc:
 *
 *   data:   blocks, then a tail of entries
 *     full block: bits_d u8, bits_f u8, 128 (delta - 1) packed with bits_d,
 *                 128 (freq - 1) packed with bits_f (bitpack.h)
 *     short block (only where a merge copies the blocks of an input after
 *                 entries that do not fill a block): u8 0xFF, u8 n - 1,
 *                 u8 bits_d, u8 bits_f, then the n < 128 values packed as in
 *                 a full block, only the bytes that hold them:
 *                 ceil(n * bits_d / 8) bytes, then ceil(n * bits_f / 8)
 *     tail entry: varint (delta << 1 | (freq == 1)), varint freq if != 1
 *     delta = passage id - previous id (the first previous is -1)
 *   header (the term info's doc_off points here):
 *     varint data_len          bytes of data just before the header
 *     u32 last_doc | s << 31   the list's last passage; s = 1: short blocks
 *     u16 max_tf, u16 min_len  bound over the whole list
 *     u16 max_tf, u16 min_len  bound over the tail
 *     if s: varint nblocks, varint ntail   the blocks and the tail's entries
 *                              (s = 0: df / 128 full blocks, df % 128 in
 *                              the tail)
 *     skip entries, one per block, 16 bytes each:
 *       u32 last_doc, u32 doc_end (data offset after the block),
 *       u32 pos_end (offset after the block's positions, from pos_off),
 *       u8 tf0, u8 len0, u8 tf1, u8 len1: the block's bound (below)
 *
 * A term with df == 1 keeps its passage and frequency in the dictionary.
 * Positions (fields that have them) go to .pos from the term's pos_off:
 * for each entry in order, freq varints: the first position, then the
 * gaps (>= 1) to the next.
 *
 * The bound (max_tf, min_len) of a list or a tail holds for any BM25
 * parameters: the score grows with tf and falls with the length, so no
 * entry scores above tf = max_tf at length min_len. A block's bound is two
 * such corners (ls_block_bound): each entry lies under one of them, which
 * follows the staircase of the block's (tf, length) pairs closer than one
 * corner does (a block's longest entry often holds its largest tf). The
 * writer picks the two corners that give the least bound for the default
 * BM25 parameters; any two that cover the entries are a bound.
 *
 * The writer streams: entries come in passage order and only the current
 * block, its positions and the skip entries are held in memory. The reader
 * is an iterator with next/seek over a mapped file, checking every bound it
 * reads; on malformed data it stops (LS_NO_DOC) and sets `corrupt`.
 */
#ifndef LS_POSTINGS_H
#define LS_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "index/format.h"
#include "util/bitpack.h"
#include "util/file.h"

typedef struct ls_term_info {
    uint32_t df;              /* passages containing the term */
    uint32_t single_doc;      /* df == 1: the passage */
    uint32_t single_freq;     /* df == 1: its frequency */
    uint64_t doc_off;         /* df >= 2: file offset of the header in .doc */
    uint64_t pos_off;         /* file offset of the positions in .pos */
    uint32_t stem_len;        /* exact-word (W) terms: > 0 if every occurrence
                                 of the word in the segment stems to its first
                                 stem_len bytes (its passages are then among
                                 those of B:<that stem>); 0 otherwise */
} ls_term_info;

typedef struct ls_postings ls_postings;

/* A block's bound: every entry it covers has tf <= tf[k] and length >=
 * len[k], for k = 0 or 1 (the same corner twice when one is enough). On
 * disk each is a byte: a tf of 255 stands for any tf (0xFFFF here), and a
 * length above 255 is stored as 255. */
typedef struct ls_block_bound {
    uint16_t tf[2], len[2];
} ls_block_bound;

static inline int ls_block_bound_covers(const ls_block_bound *b, uint32_t tf, uint32_t len)
{
    tf = tf > 0xFFFF ? 0xFFFF : tf;
    len = len > 0xFFFF ? 0xFFFF : len;
    return (tf <= b->tf[0] && len >= b->len[0]) || (tf <= b->tf[1] && len >= b->len[1]);
}

/* The one corner over both of b's: (the larger tf, the smaller length). */
static inline void ls_block_bound_corner(const ls_block_bound *b, uint16_t *tf, uint16_t *len)
{
    *tf = b->tf[0] > b->tf[1] ? b->tf[0] : b->tf[1];
    *len = b->len[0] < b->len[1] ? b->len[0] : b->len[1];
}

/* Frequencies below this one are told apart when a block's corners are
 * chosen; the entries at or above it count as one step of the staircase. */
#define LS_BOUND_TFS 16

/* ---- writer ---- */

typedef struct ls_postings_writer {
    ls_wfile *doc, *pos;      /* the segment's files (shared by all terms) */
    int with_pos;             /* current term has positions */
    uint32_t df, prev;        /* entries so far, last passage (or -1) */
    uint64_t data_start;      /* doc file offset of the term's data */
    uint64_t pos_start;       /* pos file offset of the term's positions */
    uint32_t first_doc, first_freq;
    uint16_t max_tf, min_len; /* whole term */
    /* the pending block's staircase: blk_len[t] the least length of its
     * entries of frequency t (1 <= t < LS_BOUND_TFS; 0xFFFF: none), and of
     * those at or above, the largest frequency and the least length */
    uint16_t blk_len[LS_BOUND_TFS];
    uint16_t blk_have;        /* bit t: an entry of frequency t */
    uint16_t blk_big_tf, blk_big_len;
    double len_hint;          /* a typical length of the term's field (the
                                 corners are chosen for it; 10 by default) */
    int n;                    /* entries in the pending block */
    int has_short;            /* a short block was written */
    uint32_t deltas[LS_BLOCK], freqs[LS_BLOCK];
    unsigned char *skips;     /* 16 bytes per full block */
    size_t nskips, skips_cap;
    unsigned char packed[16 * 32 * 2 + 2];
} ls_postings_writer;

void ls_pw_init(ls_postings_writer *w, ls_wfile *doc, ls_wfile *pos);
void ls_pw_free(ls_postings_writer *w);
void ls_pw_begin(ls_postings_writer *w, int with_pos);
/* After ls_pw_begin(): the term's field is about len long on average. */
static inline void ls_pw_length_hint(ls_postings_writer *w, double len) { w->len_hint = len; }
/* One entry: passage `doc` (increasing), `freq` >= 1, its positions
 * (freq of them, increasing; ignored without positions), and the passage's
 * length in the term's field (for the score bounds). */
int ls_pw_add(ls_postings_writer *w, uint32_t doc, uint32_t freq, const uint32_t *positions,
              uint32_t len);
/* The same with the positions as they are stored (freq varints: the first
 * position, then the gaps; see ls_postings_positions_raw()), copied as
 * they are: a merge moves positions without decoding them. */
int ls_pw_add_raw(ls_postings_writer *w, uint32_t doc, uint32_t freq, const unsigned char *pos,
                  size_t pos_len, uint32_t len);
/* The positions file, for a caller that writes an entry's stored positions
 * there itself, then adds the entry with ls_pw_add_raw(.., NULL, 0, ..). */
static inline ls_wfile *ls_pw_positions(ls_postings_writer *w) { return w->pos; }
/* Finish the term; fills *ti. A term with no entry must not be ended. */
int ls_pw_end(ls_postings_writer *w, ls_term_info *ti);

/* For a merge: end the pending block where it is (a short block, when it
 * holds entries and is not full), so that the next entry starts a block. */
int ls_pw_cut(ls_postings_writer *w);
/* For a merge: append blocks [from, to) of list p (< p->nfull), as they are
 * stored, with their positions, for an input whose passages all move up by
 * `base` (none deleted). The pending entries are cut first; when `from` is
 * 0 the entry before the first one copied must be passage base - 1 of the
 * output or none with base 0 (the first delta is relative to it): else
 * add block 0's entries one by one. */
int ls_pw_copy_blocks(ls_postings_writer *w, const ls_postings *p, uint32_t from, uint32_t to,
                      uint32_t base);

/* For a merge: append the entries of p's loaded block (or tail; see
 * ls_postings_block_raw()) renumbered by `base`, with their positions as
 * stored (pos_len bytes) and the block's bound, which holds for these
 * entries: no passage length is read (the new block's bound covers the
 * old one's corners). They must fit in the pending block (n + p->n <=
 * LS_BLOCK) and follow the last entry. */
int ls_pw_add_block(ls_postings_writer *w, const ls_postings *p, uint32_t base,
                    const unsigned char *pos, size_t pos_len, const ls_block_bound *bound);

/* ---- reader ---- */

struct ls_postings {
    /* list */
    const unsigned char *data, *data_end;   /* the term's data */
    const unsigned char *skip;              /* skip entries */
    const unsigned char *pos_base, *pos_limit;
    uint32_t df, nfull, ndocs;              /* nfull: blocks; ndocs: passages
                                               in segment */
    uint32_t ntail;                         /* entries after the blocks */
    uint32_t last_doc;                      /* of the whole list */
    uint16_t max_tf, min_len;               /* whole list */
    uint16_t tail_max_tf, tail_min_len;
    int with_pos;
    /* cursor */
    uint32_t block;           /* current block (nfull = the tail) */
    uint32_t base;            /* id before the current block's first entry */
    int started;              /* next() or seek() was called */
    int loaded;               /* current block's passages decoded into docs */
    int freqs_ready;          /* its frequencies decoded into freqs */
    const unsigned char *fpack;   /* packed frequencies of a full block */
    unsigned fbits;
    int n, i;                 /* entries in the block, current index */
    uint32_t doc;             /* current passage, LS_NO_DOC at the end */
    uint32_t docs[LS_BLOCK], freqs[LS_BLOCK];
    /* positions: the block's positions are read lazily */
    const unsigned char *pos_ptr;   /* start of the positions of entry pos_i */
    const unsigned char *pos_next;  /* their end, once known; else NULL */
    int pos_i;
    int corrupt;
};

/* Open the list of a term. `doc_map`/`pos_map` are the segment's files,
 * ndocs its passage count. Returns SRCH_OK or SRCH_ECORRUPT (the header does
 * not fit). The iterator starts before the first entry. */
int ls_postings_open(ls_postings *p, const ls_term_info *ti, const ls_map *doc_map,
                     const ls_map *pos_map, uint32_t ndocs, int with_pos, ls_err *err);

/* 1 if the two lists, just opened, hold the same entries (passages and
 * frequencies): the same count and layout and the same bytes (a list may
 * be stored twice, as a stem's and as its only word's); 0 if they differ
 * or their data is longer than max_bytes (not compared). */
int ls_postings_same(const ls_postings *a, const ls_postings *b, size_t max_bytes);

/* Advance to the next entry; returns its passage or LS_NO_DOC. */
uint32_t ls_postings_next(ls_postings *p);

/* Go to block b (p->nfull: the tail): the next ls_postings_next() returns
 * its first entry. 0, or -1 when there is no such block or it is
 * malformed. */
int ls_postings_to_block(ls_postings *p, uint32_t b);

/* For a merge, after ls_postings_to_block(): the loaded block's (or the
 * tail's) positions as stored, all its entries' (*pos_len bytes; none
 * without positions), and its bound. 0, or -1 when they do not fit the
 * file (p->corrupt is set). */
int ls_postings_block_raw(ls_postings *p, const unsigned char **pos, size_t *pos_len,
                          ls_block_bound *bound);

/* Is the current entry the last of its block (or of the tail)? */
static inline int ls_postings_block_end(const ls_postings *p) { return p->i + 1 >= p->n; }

/* Advance to the first entry >= target (never backwards); returns its
 * passage or LS_NO_DOC. */
uint32_t ls_postings_seek(ls_postings *p, uint32_t target);

static inline uint32_t ls_postings_doc(const ls_postings *p) { return p->doc; }

/* The first entry >= target from entry i of the loaded block, which
 * holds one (docs[n - 1] >= target). The next two entries are tried first
 * (conjunctions often seek from one match to a near one), then a
 * branch-free binary search: its comparisons are unpredictable, and
 * conditional moves cost less than mispredicted branches. */
static inline int ls_postings_seek_in_block(const ls_postings *p, int i, uint32_t target)
{
    if (p->docs[i] >= target)
        return i;
    if (i + 1 < p->n && p->docs[i + 1] >= target)
        return i + 1;
    const uint32_t *base = p->docs + i + 1;
    int len = p->n - (i + 1);
    while (len > 1) {
        int half = len / 2;
        base = base[half] < target ? base + half : base;
        len -= half;
    }
    return (int)(base - p->docs) + (*base < target);
}

/* ls_postings_next() and ls_postings_seek() with their common cases
 * (within the loaded block) inline: conjunctions and phrases call them for
 * nearly every entry. */
static inline uint32_t ls_postings_next_fast(ls_postings *p)
{
    if (p->loaded && p->i + 1 < p->n && p->doc != LS_NO_DOC && p->started)
        return p->doc = p->docs[++p->i];
    return ls_postings_next(p);
}

/* The seek's usual cases: already there, or the target in the block at
 * hand. 1 if done (p->doc is the answer), 0 if the skip data is needed. */
static inline int ls_postings_seek_here(ls_postings *p, uint32_t target)
{
    if (!p->started)
        return 0;
    if (p->doc == LS_NO_DOC || p->doc >= target)
        return 1;
    if (p->loaded && p->i < p->n && p->docs[p->n - 1] >= target) {
        p->i = ls_postings_seek_in_block(p, p->i, target);
        p->doc = p->docs[p->i];
        return 1;
    }
    return 0;
}

static inline uint32_t ls_postings_seek_fast(ls_postings *p, uint32_t target)
{
    return ls_postings_seek_here(p, target) ? p->doc : ls_postings_seek(p, target);
}

/* Frequencies of a full block are unpacked on first use: a conjunction
 * that only seeks through a block never pays for them. */
void ls_postings_load_freqs(ls_postings *p);

static inline uint32_t ls_postings_freq(ls_postings *p)
{
    if (!p->freqs_ready)
        ls_postings_load_freqs(p);
    return p->freqs[p->i];
}

/* The positions of the current entry (ls_postings_freq() of them) into
 * out (at most max). Returns the count, or -1 on malformed data. */
int ls_postings_positions(ls_postings *p, uint32_t *out, uint32_t max);
/* The stored bytes of the current entry's positions, not decoded: *bytes
 * and *len span its ls_postings_freq() varints. Returns 0, or -1 on
 * malformed data (fewer varints than the frequency before the end). */
int ls_postings_positions_raw(ls_postings *p, const unsigned char **bytes, size_t *len);

/* Shallow skipping for block-max pruning: without decoding, the bound and
 * the last passage of the block that holds `target` (or would). Returns 0,
 * or -1 if target is past the last entry. */
int ls_postings_block_bound(ls_postings *p, uint32_t target, uint32_t *last_doc,
                            ls_block_bound *bound);

#endif
