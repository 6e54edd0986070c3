/*
 * segment.h - one immutable segment: its files listed in one place, the
 * writer that produces them (used by flushes and merges alike), the reader
 * that maps and validates them, and its deletion bitmaps.
 *
 * A segment's files: s<id>.ter (term dictionary), .doc (postings), .pos
 * (positions), .nrm (field lengths), .sto (stored data), plus at most one
 * live deletion file s<id>_<gen>.del per commit that deleted passages from
 * it. The manifest records for each segment its counts, statistics and file
 * sizes (ls_segment_meta).
 *
 * Norms format (.nrm body): per passage u16 body length, u16 title length
 * (tokens, saturated at 65535); then u32 passage count.
 * Deletions format (.del body): u32 passages, u32 deleted count, then the
 * bitmap as ceil(passages / 64) u64 words (bit i of word i / 64 = passage
 * i deleted).
 */
#ifndef LS_SEGMENT_H
#define LS_SEGMENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "index/format.h"
#include "index/postings.h"
#include "index/store.h"
#include "index/termdict.h"
#include "util/file.h"

typedef struct ls_segment_meta {
    uint64_t id;
    uint32_t npassages, ndocs;
    uint32_t ndeleted;        /* passages deleted as of this commit */
    uint32_t ndeleted_docs;
    uint64_t del_gen;         /* generation of the .del file, 0 = none */
    uint64_t nterms;          /* terms, ids excluded */
    uint64_t sum_len[LS_NORM_FIELDS];   /* over all passages, deleted too */
    uint64_t sizes[LS_SEGMENT_FILES];
    uint64_t del_size;
    uint32_t pairs;           /* id of the common-word list of its P keys
                                 (index/pairs.h), 0 = none */
} ls_segment_meta;

void ls_segment_name(char *buf, size_t cap, uint64_t id);
void ls_segment_file(char *buf, size_t cap, uint64_t id, int kind);
void ls_deletes_file(char *buf, size_t cap, uint64_t id, uint64_t gen);

/* ---- writer ---- */

typedef struct ls_segment_writer {
    char *dir;
    uint64_t id;
    ls_err *err;
    ls_wfile files[LS_SEGMENT_FILES];
    int opened;
    ls_postings_writer pw;
    ls_termdict_writer tw;
    ls_store_writer sw;
    unsigned char key[LS_MAX_TERM_BYTES];
    size_t klen;
    uint32_t stem_len;        /* of the current term (ls_term_info.stem_len) */
    double len_hint[LS_NORM_FIELDS];   /* average field lengths, 0: unknown */
    ls_segment_meta meta;
} ls_segment_writer;

/* The segment's average field lengths (the sums over npassages), for the
 * postings' block bounds (ls_pw_length_hint()); without them a title's
 * and a paragraph's are assumed. */
void ls_segw_length_hint(ls_segment_writer *w, const uint64_t sum_len[LS_NORM_FIELDS],
                         uint64_t npassages);

int ls_segw_open(ls_segment_writer *w, const char *dir, uint64_t id, int durable, ls_err *err);

/* The last terms of a segment written by another thread: a writer of terms
 * only (begin, ls_pw_add() on w->pw, end), whose postings, positions and
 * dictionary blocks go to memory (tmp_dir NULL) or to unnamed temporary
 * files in tmp_dir (a merge: memory bounded). Once the segment's own
 * writer has written every term before them, ls_segw_append_half() copies
 * the three in: postings data and dictionary blocks are
 * position-independent, only the dictionary's index entries move (the
 * segment's last block before them may be short). */
int ls_segw_open_half(ls_segment_writer *h, const char *tmp_dir, ls_err *err);
int ls_segw_append_half(ls_segment_writer *w, ls_segment_writer *h);
void ls_segw_free_half(ls_segment_writer *h);
/* Field lengths of the next passage (passages in id order). */
int ls_segw_norms(ls_segment_writer *w, uint32_t body_len, uint32_t title_len);
/* Terms in strictly increasing key order: begin, ls_pw_add() entries on
 * w->pw, end. A term whose entries were all dropped is skipped at end. */
void ls_segw_term_begin(ls_segment_writer *w, const unsigned char *key, size_t klen);
int ls_segw_term_end(ls_segment_writer *w);
/* For an exact-word term, between begin and end: see ls_term_info.stem_len. */
static inline void ls_segw_term_stem(ls_segment_writer *w, uint32_t stem_len)
{
    w->stem_len = stem_len;
}
/* Stored documents and passages go to w->sw (store.h). */
int ls_segw_finish(ls_segment_writer *w, ls_segment_meta *meta);
void ls_segw_abort(ls_segment_writer *w);

/* The stored records of a segment being written, by a second thread while
 * the caller writes the postings (they go to their own file; their zstd
 * compression is a third of a flush), or at once in this thread when
 * threads <= 1 or no thread can be started. write(arg, err) adds them to
 * w->sw; its errors, and the store file's, are kept apart until the join. */
typedef struct ls_store_thread {
    ls_segment_writer *w;
    int (*write)(void *arg, ls_err *err);
    void *arg;
    pthread_t th;
    int threaded, rc;
    ls_err err;
} ls_store_thread;

void ls_segw_store_start(ls_store_thread *t, ls_segment_writer *w, int threads,
                         int (*write)(void *arg, ls_err *err), void *arg);
/* Wait for the stored records. Returns rc when it is an error already,
 * else the writing's result (its message in w's error). */
int ls_segw_store_join(ls_store_thread *t, int rc);

/* ---- reader ---- */

typedef struct ls_segment {
    atomic_int refs;
    ls_segment_meta meta;     /* as committed when opened (del fields unused) */
    char name[16];
    ls_map maps[LS_SEGMENT_FILES];
    ls_termdict td;
    ls_store store;
    const unsigned char *norms;   /* 4 bytes per passage */
} ls_segment;

/* Open the files of a segment and validate them against its meta; flags
 * as for ls_map_open() (the checksum policy). */
int ls_segment_open(ls_segment **out, const char *dir, const ls_segment_meta *meta, int flags,
                    ls_err *err);
void ls_segment_ref(ls_segment *s);
void ls_segment_unref(ls_segment *s);

static inline uint32_t ls_segment_norm(const ls_segment *s, uint32_t passage, int field)
{
    const unsigned char *p = s->norms + 4 * (size_t)passage + 2 * field;
    return (uint32_t)(p[0] | p[1] << 8);
}

/* Open the postings of a term of this segment. */
int ls_segment_postings(const ls_segment *s, const unsigned char *key, const ls_term_info *ti,
                        ls_postings *p, ls_err *err);

/* ---- deletions ---- */

typedef struct ls_deletes {
    atomic_int refs;
    uint64_t gen;
    uint32_t n, count;        /* passages, deleted passages */
    uint32_t docs;            /* deleted documents (kept in the manifest) */
    uint64_t *words;          /* malloc'ed */
} ls_deletes;

/* A new empty bitmap for n passages. */
ls_deletes *ls_deletes_new(uint32_t n);
ls_deletes *ls_deletes_copy(const ls_deletes *d);
int ls_deletes_read(ls_deletes **out, const char *dir, const ls_segment_meta *meta, ls_err *err);
int ls_deletes_write(const ls_deletes *d, const char *dir, uint64_t seg_id, uint64_t gen,
                     int durable, uint64_t *size, ls_err *err);
void ls_deletes_ref(ls_deletes *d);
void ls_deletes_unref(ls_deletes *d);

static inline int ls_deleted(const ls_deletes *d, uint32_t i)
{
    return d && (d->words[i >> 6] >> (i & 63)) & 1;
}

/* Delete one document: mark passages [first, first + count) deleted;
 * returns how many were live (the document counts as deleted if any). */
uint32_t ls_deletes_mark(ls_deletes *d, uint32_t first, uint32_t count);

#endif
