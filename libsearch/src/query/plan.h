/*
 * plan.h - from a parsed query to scorers, segment by segment.
 *
 * The weights (BM25 idf of every key, from the snapshot's global document
 * frequencies) and the prefix expansions are computed once per search in a
 * plan; scorers are then built for each segment from its own postings.
 * A query word becomes the disjunction of its keys in the fields searched:
 * B:term (body), T:term (title, times title_weight), and W:word (the exact
 * form, times exact_weight); a phrase, the disjunction of its body and title
 * phrases. In the body, a phrase's words side by side one of which is a
 * common word are looked up as their pair key (index/pairs.h) in segments
 * indexed with the same list.
 */
#ifndef LS_PLAN_H
#define LS_PLAN_H

#include "index/pairs.h"
#include "index/reader.h"
#include "query/query.h"
#include "query/scorer.h"
#include "util/strmap.h"

typedef struct ls_plan {
    srch_reader *r;
    const srch_query *q;
    double k1, b, title_weight, exact_weight;
    double coord;             /* coordination power, 0 = none */
    int fields;               /* default field mask */
    size_t max_expansion;
    double avglen[LS_NORM_FIELDS];
    uint64_t n;               /* live passages */
    const ls_pairs *pairs;    /* the index language's common words, or NULL */
    ls_strmap idf;            /* key -> double* (arena of the map) */
    struct plan_ext *ext;     /* prefix expansions */
    ls_err *err;
} ls_plan;

/* Normalized options (defaults filled in). */
typedef struct ls_opts {
    size_t limit, offset;
    int default_and, per_document, fields, exact_total, stored, snippets;
    double k1, b, title_weight, exact_weight, coord;
    size_t max_expansion, snippet_bytes;
    const char *mark_open, *mark_close;
} ls_opts;

int ls_opts_from(ls_opts *o, const srch_search_options *opts, ls_err *err);

int ls_plan_init(ls_plan *p, srch_reader *r, const srch_query *q, const ls_opts *o,
                 ls_err *err);
void ls_plan_free(ls_plan *p);

/* The scorer of the query for one segment; *out is NULL when nothing can
 * match there. */
int ls_plan_scorer(ls_plan *p, const ls_rseg *seg, ls_scorer **out);

/* The scorer of one node of the query (for explain). */
int ls_plan_node_scorer(ls_plan *p, const ls_rseg *seg, const qnode *n, ls_scorer **out);

/* The BM25 weights of a key with a boost (for explain). */
/* The words of prefix node n in field (LS_FIELD_WORD or LS_FIELD_TITLE),
 * sorted, and the estimated df and idf of the group: 1, or 0 if the
 * prefix was not expanded in that field. */
int ls_plan_expansion(const ls_plan *p, const qnode *n, unsigned char field,
                      char *const **keys, size_t *nkeys, double *df, double *idf);

int ls_plan_weights(ls_plan *p, const unsigned char *key, size_t klen, double boost,
                    int field, ls_bm25 *w);

/* The live passages with a key (the snapshot's), and its term info in one
 * segment (df 0: absent), as the plan looked them up (for explain). */
int ls_plan_key(ls_plan *p, const unsigned char *key, size_t klen, const ls_rseg *seg,
                uint64_t *df, ls_term_info *ti);

#endif
