/*
 * store.h - stored data of a segment (.sto): for every passage its
 * document's external id and its number (uncompressed, for result lists),
 * and, compressed with zstd in blocks, the passage records (document,
 * byte range, text) and the document records (id, title, fields).
 *
 * Format (docs/FORMAT.md, "Store"), body of .sto, sections in any order:
 *   id blocks, LS_IDS_PER_BLOCK passages each, entries:
 *     varint shared, varint suffix_len, suffix (the document id,
 *     prefix-compressed against the previous entry of the block),
 *     varint passage number (1-based)
 *   compressed blocks: u32 raw_len, u32 comp_len, zstd frame; the raw bytes
 *   are records, which number documents and passages from their block's
 *   base (so that a merge can copy a block as it is):
 *     passage record: varint doc - base, varint start, varint end, varint
 *       stored_len, stored bytes = body[start, start + stored_len): the
 *       passage and the separator after it, so that a body is rebuilt
 *       exactly by its lead and the stored bytes of its passages
 *     document record: varint id_len, id, varint title_len, title,
 *       varint lead_len, lead (body bytes before the first passage),
 *       varint first passage - base, varint passage count, varint field count,
 *       then per field varint name_len, name, varint value_len, value
 *   index: passage blocks (u32 first passage, u32 base: the document of the
 *     first passage, u64 offset) each, document blocks (u32 first document,
 *     u32 base: the first passage of the first document, u64 offset) each,
 *     id blocks (u64 offset)
 *   trailer: u32 passages, u32 documents, u32 passage blocks, u32 document
 *     blocks, u64 passage index offset, u64 document index offset, u64 id
 *     index offset
 * Documents are numbered in order within the segment; a document's
 * passages are contiguous and in order.
 */
#ifndef LS_STORE_H
#define LS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/file.h"

#define LS_IDS_PER_BLOCK 16
#define LS_STORE_BLOCK_RAW (16 * 1024)
#define LS_STORE_INDEX_ENTRY 16   /* bytes of a block index entry */

typedef struct ls_buf {
    unsigned char *p;
    size_t len, cap;
} ls_buf;

int ls_buf_grow(ls_buf *b, size_t n);
/* Room for n more bytes. 0, or -1 when out of memory. */
static inline int ls_buf_reserve(ls_buf *b, size_t n)
{
    return b->len + n <= b->cap ? 0 : ls_buf_grow(b, n);
}
/* Append n bytes (inlined: the analysis appends a few bytes per word). */
static inline int ls_buf_add(ls_buf *b, const void *p, size_t n)
{
    if (ls_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}
int ls_buf_varint(ls_buf *b, uint64_t v);
void ls_buf_free(ls_buf *b);

typedef struct ls_store_writer {
    ls_wfile *f;
    ls_buf praw, draw;        /* pending raw passage / document records */
    ls_buf pidx, didx, iidx;  /* serialized index entries */
    ls_buf ids;               /* pending id block */
    ls_buf zbuf;              /* compression output */
    uint32_t npassages, ndocs, npblocks, ndblocks;
    uint32_t pblock_first, dblock_first;
    uint32_t pblock_base, dblock_base;
    unsigned char cur_id[1100];   /* id of the current document */
    size_t cur_id_len;
    unsigned char ent_id[1100];   /* id of the last id table entry */
    size_t ent_id_len;
    void *zctx;
} ls_store_writer;

int ls_store_writer_init(ls_store_writer *w, ls_wfile *f);
void ls_store_writer_free(ls_store_writer *w);
/* Forget everything added (the file is the caller's to reset); keeps the
 * compressor. */
void ls_store_writer_reset(ls_store_writer *w);
/* The memory the writer's buffers hold (not its compressor's, a fixed
 * megabyte or so). */
size_t ls_store_writer_bytes(const ls_store_writer *w);

/* A document's record; its passages follow with ls_store_add_passage(). */
typedef struct ls_doc_rec {
    const char *id;
    size_t id_len;
    const char *title;
    size_t title_len;
    const char *lead;
    size_t lead_len;
    uint32_t first_passage, npassages;
    uint32_t nfields;
    const unsigned char *fields;   /* serialized fields (name/value varint pairs) */
    size_t fields_len;
} ls_doc_rec;

int ls_store_add_doc(ls_store_writer *w, const ls_doc_rec *d);
/* A passage of the last added document: its number within it, byte range
 * and stored bytes. Passages get ids 0, 1, 2, ... in the order added. */
int ls_store_add_passage(ls_store_writer *w, uint32_t number, uint32_t start, uint32_t end,
                         const char *stored, size_t stored_len);
int ls_store_finish(ls_store_writer *w);

/* A store built in memory before its segment is written (a writer's
 * memseg): the writer's file is a memory scratch writer whose offsets
 * start after a file header (ls_wfile_open_mem(.., LS_HEADER_SIZE)).
 * ls_store_writer_copy() makes w, a writer of a new store file with
 * nothing added yet, hold what `from` holds (the bytes of from_file, its
 * file, and its pending records and indexes), `from` unchanged: w then
 * goes on, or finishes, as `from` would. */
int ls_store_writer_copy(ls_store_writer *w, const ls_store_writer *from, ls_wfile *from_file);

typedef struct ls_store ls_store;
/* Append every document and passage of store `in`, in order, after those
 * added so far: its compressed blocks are copied as they are, without
 * decompression (for merges of segments without deletions). */
int ls_store_append(ls_store_writer *w, const ls_store *in, ls_err *err);

struct ls_store {
    const ls_map *map;
    uint32_t npassages, ndocs, npblocks, ndblocks;
    const unsigned char *pidx, *didx, *iidx;
};

int ls_store_open(ls_store *s, const ls_map *m, ls_err *err);

/* Start loading what ls_store_id() reads for a passage: stage 0 its id
 * block's offset, stage 1 the block (after stage 0 for every passage of a
 * batch, so that their loads overlap). */
void ls_store_id_prefetch(const ls_store *s, uint32_t passage, int stage);

/* The document id and passage number of a passage, without decompression.
 * id is copied into buf (cap bytes, NUL-terminated). */
int ls_store_id(const ls_store *s, uint32_t passage, char *buf, size_t cap, size_t *id_len,
                uint32_t *number);

typedef struct ls_passage_rec {
    uint32_t doc, start, end;
    const char *stored;       /* stored bytes, stored_len of them */
    size_t stored_len;
} ls_passage_rec;

/* Decompress the block of a passage into *raw (grown as needed; the caller
 * frees it) and point *out into it. */
int ls_store_passage(const ls_store *s, uint32_t passage, ls_buf *raw, ls_passage_rec *out,
                     ls_err *err);
/* The same for a document record (fields stay serialized). */
int ls_store_doc(const ls_store *s, uint32_t doc, ls_buf *raw, ls_doc_rec *out, ls_err *err);

/* Sequential reading of every passage or document record, for merges and
 * checks: call with index 0, 1, 2, ... ; decompresses each block once. */
typedef struct ls_store_cursor {
    const ls_store *s;
    int docs;                 /* iterate documents instead of passages */
    uint32_t block, next;     /* current block, next record index */
    uint32_t base;            /* the current block's base */
    const unsigned char *p, *end;
    ls_buf raw;
} ls_store_cursor;

void ls_store_cursor_init(ls_store_cursor *c, const ls_store *s, int docs);
int ls_store_cursor_passage(ls_store_cursor *c, ls_passage_rec *out, ls_err *err);
int ls_store_cursor_doc(ls_store_cursor *c, ls_doc_rec *out, ls_err *err);
void ls_store_cursor_free(ls_store_cursor *c);

#endif
