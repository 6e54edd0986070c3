/*
 * memseg.h - the writer's in-memory segment: documents added since the
 * last flush, analyzed and kept as a forward index, until they are written
 * (inverted) as a segment.
 *
 * What a token costs while documents are added: one lookup of its type (a
 * distinct word-and-term pair of the analysis: "maisons" -> word "maisons",
 * term "maison"; hashed by the analysis) in the type table, then four bytes,
 * its type's number, appended to the body stream (a title token likewise, to
 * the title stream). A token's position is its rank in its passage:
 * srch_analyze() numbers tokens 0, 1, 2, ... and the memseg relies on it.
 * Document ids are kept in records, found through a table; the rest of
 * what is stored (titles, texts, fields) as raw records until the flush;
 * field lengths per passage. Every buffer is a mapped block, counted whole
 * by ls_memseg_bytes() (what the RAM budget counts) and released at a
 * reset: about 230 bytes a Littré passage of 14 tokens, its 80 bytes of
 * text included.
 *
 * The flush inverts: it ranks the types' distinct terms (stems) and words
 * in byte order (the key order of the B, T, V and W terms), counts each
 * type's occurrences and finds the common-word pairs of adjacent tokens
 * (index/pairs.h) in one pass over the body, ranks the pairs, then writes
 * the fields in key order, B I P T V W, in rounds: a round takes the next
 * terms of a field whose occurrences fit a bounded scratch, scatters those
 * occurrences into it from the streams in passage order (a counting sort),
 * and writes each term's postings from its contiguous run. With threads, a
 * second thread writes the last terms into a half of the segment
 * (ls_segw_open_half()) and a third compresses the stored records into a
 * memory file, which the memseg keeps (the raw records freed) so that a
 * failed flush can be done again. Document ids become the id terms (I).
 *
 * Indexed per passage: body terms (stemmed, with positions), body words
 * (folded, unstemmed, no positions), with a common-word list the pairs of
 * body terms side by side one of which is common (positions), title terms
 * (with positions) and title words (no positions, for prefixes), the
 * document's title repeated for each of its passages, and for the document's
 * first passage its id (freq = number of passages).
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

/* A token of an analyzed document: its type's bytes (the folded word, a
 * NUL, the term) in the prep's scratch buffer, and their hash (computed by
 * the analysis, so that the writer's thread only looks up). */
typedef struct ls_pend {
    uint32_t off;
    uint16_t wlen, tlen;
    uint32_t hash;
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
    size_t nspans, spans_cap;
    uint32_t *pstart;         /* pends[pstart[i], pstart[i + 1]): passage i */
    size_t pstart_cap;
    ls_pend *pends;
    size_t npend, pend_cap;
    ls_buf scratch;
    ls_pend *title;           /* title tokens (their bytes in scratch too) */
    size_t ntitle, title_cap;
    int failed;
    size_t span_first;        /* pends index of the passage's first token */
    uint64_t id_hash;         /* ls_hash_bytes() of the id: the memseg's id
                                 table and the writer's id filters use it */
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
#define LS_PREP_KEEP_SPANS 64
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

/* The same in two steps, for a writer that does something between them:
 *  - ls_memseg_add_records(): the document's records (and the replacement
 *    of its id), its passages numbered (p->first, p->added);
 *  - ls_memseg_invert(): its tokens (on failure its passages stay, empty
 *    and deleted), right after its records: a document's tokens follow
 *    those of the document added before it. */
int ls_memseg_add_records(ls_memseg *m, ls_prep *p, int *replaced, ls_err *err);
int ls_memseg_invert(ls_memseg *m, const ls_prep *p, ls_err *err);
/* Start loading what adding p will read, a document or two ahead of
 * adding it (a writer going through a batch): records 0, the slots of its
 * id and of its first tokens' types; records 1, once those have arrived,
 * the type records they point to. Only hints: nothing changes. */
void ls_memseg_prefetch(const ls_memseg *m, const ls_prep *p, int records);
/* Only the slot of an id (the memseg being flushed, which takes no new
 * documents). */
void ls_memseg_prefetch_id(const ls_memseg *m, uint64_t id_hash);
/* Write the memseg (until its reset) without pairs: what the flush does
 * when memory for them runs out (the segment's phrases are then read from
 * positions). For tests. */
void ls_memseg_drop_pairs(ls_memseg *m);
/* The most bytes the flush's table of pair counts may take (else the
 * pairs are hashed and sorted, to the same result). For tests. */
extern size_t ls_memseg_pairs_table_max;
/* 0: the flush keeps B's and P's positions in an array of their own, as
 * when they do not fit below the passages (the same segment). For tests. */
extern int ls_memseg_pack_positions;
size_t ls_memseg_max_passage(const ls_memseg *m);

/* The passages of the live document with this id: 1 if there is one, 0
 * if not. */
int ls_memseg_find(const ls_memseg *m, const char *id, size_t id_len, uint32_t *first,
                   uint32_t *count);
/* The passages of the last document added with this id (id_hash its
 * ls_hash_bytes()), deleted or not (a writer that keeps its own bitmap of
 * a memseg being flushed). */
int ls_memseg_lookup(const ls_memseg *m, const char *id, size_t id_len, uint64_t id_hash,
                     uint32_t *first, uint32_t *count);
/* The bitmap of deleted passages (ls_memseg_passages() bits), and how
 * many passages and documents it deletes. */
const uint64_t *ls_memseg_deleted(const ls_memseg *m);
void ls_memseg_deletions(const ls_memseg *m, uint32_t *passages, uint32_t *docs);
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
