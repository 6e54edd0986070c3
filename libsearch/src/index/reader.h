/*
 * reader.h - the internals of a reader snapshot that the query evaluator
 * uses: its segments with their deletions and global passage ids, and the
 * collection statistics that span all segments.
 *
 * Statistics exclude deleted passages, so that a score does not depend on
 * how the index happens to be segmented: the passage count and the field
 * length sums are computed when the snapshot is opened; a term's document
 * frequency is the sum over segments of its dictionary df, minus, in
 * segments with deletions, the deleted passages of its postings (counted
 * once per snapshot and term, and cached).
 */
#ifndef LS_READER_H
#define LS_READER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "index/manifest.h"
#include "index/segment.h"
#include "libsearch.h"
#include "util/strmap.h"

typedef struct ls_rseg {
    ls_segment *seg;
    ls_deletes *del;          /* NULL: no deletions */
    uint32_t base;            /* global id of its passage 0 */
    pthread_mutex_t df_lock;  /* guards df_cache */
    ls_strmap df_cache;       /* key -> deleted passages with the term + 1 */
} ls_rseg;

struct srch_reader {
    atomic_int refs;
    char *dir;
    ls_manifest man;
    ls_rseg *segs;
    size_t nsegs;
    uint64_t total;           /* passage ids: [0, total) */
    uint64_t live_passages, live_docs, deleted;
    uint64_t live_len[LS_NORM_FIELDS];   /* sums of field lengths, live passages */
    srch_analyzer_options analyzer;       /* language of the index */
    atomic_int preload;       /* srch_reader_preload(): new segments of reopened readers too */
};

/* The number of live passages of the snapshot that contain key. Returns
 * SRCH_OK or an error (malformed postings). Thread-safe. */
int ls_reader_df(srch_reader *r, const unsigned char *key, size_t klen, uint64_t *df,
                 ls_err *err);
/* key's term info in every segment of the snapshot into tis[nsegs] (df 0:
 * absent), and the live passages from such term infos. */
int ls_reader_lookup(srch_reader *r, const unsigned char *key, size_t klen, ls_term_info *tis,
                     ls_err *err);
int ls_reader_tis_df(srch_reader *r, const unsigned char *key, size_t klen,
                     const ls_term_info *tis, uint64_t *df, ls_err *err);
/* The same in segment i only, whose dictionary gave ti for key. */
int ls_reader_seg_df(srch_reader *r, size_t i, const unsigned char *key, size_t klen,
                     const ls_term_info *ti, uint64_t *df, ls_err *err);

/* Average length of a field over live passages (0 if no passage). */
double ls_reader_avg_len(const srch_reader *r, int field);

/* The live document `id`: its segment, first passage and passage count.
 * SRCH_ENOTFOUND if there is none. */
int ls_reader_find_doc(const srch_reader *r, const char *id, const ls_rseg **seg,
                       uint32_t *first, uint32_t *count, ls_err *err);

/* The segment holding global passage id g (and the local id). */
const ls_rseg *ls_reader_locate(const srch_reader *r, uint32_t g, uint32_t *local);

#endif
