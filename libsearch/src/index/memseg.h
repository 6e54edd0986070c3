/*
 * memseg.h - the writer's in-memory segment: documents added since the
 * last flush, analyzed and inverted, until they are written as a segment.
 *
 * Each term (field byte + term) has two byte streams in a slice pool, as
 * in Lucene's in-memory postings (two term stores, each with its table and
 * pool: the common-word pairs' and the rest's, so that another thread can
 * invert the pairs meanwhile: ls_memseg_add_pairs()): passage entries (varint delta
 * << 1 | freq == 1, then freq if not 1) and positions (varints: first
 * absolute, then gaps). A stream is a chain of slices of growing size whose
 * last 4 bytes point to the next slice. The entry of a term's current
 * passage is written when the term shows up in a later passage (which
 * starts its passage stream: most terms never get one), or at flush. Stored data (document and passage records) and field lengths are
 * kept in flat buffers. ls_memseg_bytes() is what the RAM budget counts.
 *
 * Speed: a passage's tokens are analyzed into a batch, whose hash slots are
 * prefetched before the lookups; a token costs one lookup, of its word's
 * entry, which links to its stem's entry (and one more when it starts a
 * common-word pair); a title's entries are looked up once per document.
 * The flush reads the entries from the arenas in allocation order, sorts
 * them on 12-byte key prefixes (in buckets of their first two bytes) and
 * loads ahead the entries and slices it is about to write. Document ids are kept apart (a map from id to the
 * document's passages) and become the id terms at flush.
 *
 * Indexed per passage: body terms (stemmed, with positions), body words
 * (folded, unstemmed, no positions), with a common-word list the pairs of
 * body terms side by side one of which is common (positions; their keys
 * and hashes made by the analysis too), title terms (with positions) and
 * title words (no positions, for prefixes), the document's title repeated
 * for each of its passages, and for the document's first passage its id
 * (freq = number of passages).
 */
#ifndef LS_MEMSEG_H
#define LS_MEMSEG_H

#include <stddef.h>
#include <stdint.h>

#include "index/pairs.h"
#include "index/passage.h"
#include "index/segment.h"
#include "libsearch.h"
#include "util/arena.h"
#include "util/strmap.h"

typedef struct ls_memseg ls_memseg;

/* A token waiting to be inverted: its keys ("W" + word, "B" + term) in a
 * scratch buffer, and its position. */
typedef struct ls_pend {
    uint32_t word_off, word_len;
    uint32_t term_off, term_len;
    uint32_t pos;
    uint32_t word_hash;       /* of the keys (computed by the analysis, so */
    uint32_t term_hash;       /* that the writer's thread only looks up) */
    uint32_t pair_off, pair_len;   /* the pair key this token starts, or */
    uint32_t pair_hash;            /* pair_len 0 (index/pairs.h) */
} ls_pend;

/* A document analyzed and ready to be added: ls_prep_analyze() fills it
 * (in any thread, with that thread's analyzer), ls_memseg_add_prepared()
 * adds it (in the writer's thread). The document's memory is borrowed and
 * must outlive both calls. Buffers are kept for reuse; ls_prep_free()
 * releases them. */
typedef struct ls_prep {
    const srch_document *doc;
    uint32_t first;           /* its first passage in the memseg, once added */
    int added;                /* its records are in the memseg */
    int rc;                   /* of the analysis */
    ls_span *spans;           /* passages */
    size_t nspans;
    uint32_t *pstart;         /* pends[pstart[i], pstart[i + 1]): passage i */
    size_t pstart_cap;
    ls_pend *pends;
    size_t npend, pend_cap;
    ls_buf scratch;
    ls_pend *title;           /* title tokens (stem and word keys in tscratch) */
    size_t ntitle, title_cap;
    ls_buf tscratch;
    int failed;
    const ls_pairs *pairs;    /* the analyzer language's common words */
    size_t span_first;        /* pends index of the passage's first token */
    int prev_common;          /* the previous token's term is common */
} ls_prep;

int ls_prep_analyze(ls_prep *p, srch_analyzer *a, const srch_document *doc,
                    size_t max_passage_bytes, ls_err *err);
void ls_prep_free(ls_prep *p);
/* Release the buffers a large document grew beyond what an ordinary one
 * needs (LS_PREP_KEEP_*), once it is consumed: the pipeline keeps a prep
 * per document of every batch in flight, and each would otherwise keep the
 * largest size it ever held (on the Littré entries, 25 MB more per
 * segment written, without bound). */
#define LS_PREP_KEEP_TOKENS 256
#define LS_PREP_KEEP_BYTES (8u << 10)
void ls_prep_trim(ls_prep *p);

int ls_memseg_new(ls_memseg **out, size_t max_passage_bytes, ls_err *err);
/* Index common-word pairs with this list (index/pairs.h; NULL: none, the
 * default). Set before the first document, never changed after. */
void ls_memseg_set_pairs(ls_memseg *m, const ls_pairs *pairs);
void ls_memseg_free(ls_memseg *m);
/* Forget every document (after a flush or a rollback). */
void ls_memseg_reset(ls_memseg *m);

/* Add an analyzed document. If a live document of the memseg had the same
 * id, it is deleted and *replaced set to 1 (else 0): on failure nothing
 * changes. */
int ls_memseg_add_prepared(ls_memseg *m, ls_prep *p, int *replaced, ls_err *err);

/* The same in three steps, so that another thread can invert the pairs
 * while this one inverts the rest:
 *  - ls_memseg_add_records(): the document's records (and the replacement
 *    of its id), its passages numbered (p->first, p->added);
 *  - ls_memseg_invert(): its terms, with its pairs or not (on failure its
 *    passages stay, deleted);
 *  - ls_memseg_add_pairs(): the pairs of documents added by the first step,
 *    in the order they were added. It touches nothing of the memseg but
 *    the pairs' own store, so it may run in another thread while this one
 *    calls ls_memseg_invert(p, 0) (but nothing else on the memseg); out of
 *    memory, it drops every pair of the memseg: the segment is then written
 *    without pairs (its phrases are then read from positions). */
int ls_memseg_add_records(ls_memseg *m, ls_prep *p, int *replaced, ls_err *err);
int ls_memseg_invert(ls_memseg *m, const ls_prep *p, int with_pairs, ls_err *err);
void ls_memseg_add_pairs(ls_memseg *m, const ls_prep *preps, size_t n);
/* Write the memseg (until its reset) without pairs: what
 * ls_memseg_add_pairs() does when memory runs out. */
void ls_memseg_drop_pairs(ls_memseg *m);
size_t ls_memseg_max_passage(const ls_memseg *m);

/* The passages of the live document with this id: 1 if there is one, 0
 * if not. */
int ls_memseg_find(const ls_memseg *m, const char *id, size_t id_len, uint32_t *first,
                   uint32_t *count);
/* Delete a document found by ls_memseg_find(). */
void ls_memseg_delete_doc(ls_memseg *m, uint32_t first, uint32_t count);

/* Call fn with the id of every document of the memseg (deleted ones
 * too), in the order they were added. */
void ls_memseg_each_id(const ls_memseg *m, void (*fn)(void *ctx, const char *id, size_t len),
                       void *ctx);

uint32_t ls_memseg_passages(const ls_memseg *m);
uint32_t ls_memseg_docs(const ls_memseg *m);
size_t ls_memseg_bytes(const ls_memseg *m);

/* Write the memseg as segment `id` in dir (with threads > 1, the stored
 * records are written by a second thread meanwhile). *deletes receives the bitmap of
 * passages deleted while in memory (NULL if none). The memseg is unchanged
 * (reset it once the segment is safely part of the writer's view). */
int ls_memseg_flush(ls_memseg *m, const char *dir, uint64_t id, int durable, int threads,
                    ls_segment_meta *meta, ls_deletes **deletes, ls_err *err);

#endif
