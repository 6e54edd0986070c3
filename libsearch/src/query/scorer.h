/*
 * scorer.h - document-at-a-time evaluation: one iterator ("scorer") per
 * query operator, each with next/seek over segment-local passage ids, the
 * score of its current passage, and upper bounds of its scores for pruning:
 * `max` over the whole list, and block_max() over a range of passages
 * (Xapian's skip_to with w_min, Tantivy's DocSet/Scorer).
 *
 * Scores are doubles. Combined scorers sum their children's scores in child
 * order, so that a passage's score does not depend on the evaluation
 * strategy (the pruned and the exhaustive top-k are equal, bit for bit).
 * Bounds are inflated by a relative 1e-9 so that rounding can never make a
 * bound lower than a score it covers.
 */
#ifndef LS_SCORER_H
#define LS_SCORER_H

#include <stddef.h>
#include <stdint.h>

#include "index/postings.h"
#include "index/segment.h"

typedef struct ls_scorer ls_scorer;

typedef struct ls_scorer_vt {
    uint32_t (*next)(ls_scorer *s);
    uint32_t (*seek)(ls_scorer *s, uint32_t target);   /* never backwards */
    double (*score)(ls_scorer *s);                      /* current passage */
    /* An upper bound of the scores of passages in [target, *upto]; does not
     * move the iterator. */
    double (*block_max)(ls_scorer *s, uint32_t target, uint32_t *upto);
    void (*free)(ls_scorer *s);
} ls_scorer_vt;

struct ls_scorer {
    const ls_scorer_vt *vt;
    uint32_t doc;             /* current passage; LS_NO_DOC at the end; 0 before start */
    double max;               /* bound over every passage */
    uint64_t cost;            /* about how many passages it matches */
    int corrupt;              /* malformed data met: the search fails */
    /* Set by the driver (search.c) once the top k is full: passages whose
     * score here would be at most floor (up to passage floor_upto; after
     * it, floor_rest) cannot enter, and the scorer may pass over them
     * without matching them fully (phrases skip their positions, often
     * their seeks). 0: none. */
    double floor, floor_rest;
    uint32_t floor_upto;
    int floored;              /* set by a scorer that passed over a match */
};

static inline uint32_t ls_next(ls_scorer *s) { return s->vt->next(s); }
static inline uint32_t ls_seek(ls_scorer *s, uint32_t t) { return s->vt->seek(s, t); }
static inline double ls_score(ls_scorer *s) { return s->vt->score(s); }
static inline double ls_block_max(ls_scorer *s, uint32_t t, uint32_t *upto)
{
    return s->vt->block_max(s, t, upto);
}
void ls_scorer_free(ls_scorer *s);
int ls_scorer_corrupt(const ls_scorer *s);

static inline double ls_inflate(double b)
{
    return b * (1.0 + 1e-9) + 1e-12;
}

/* BM25 for one term in one field:
 *   weight * tf / (tf + k1 * (1 - b + b * len / avglen)),
 *   weight = boost * idf * (k1 + 1),
 * with the length part folded into two constants. */
typedef struct ls_bm25 {
    double weight;
    double idf;
    double avglen;
    double base, slope;       /* k1 * (1 - b), k1 * b / avglen */
} ls_bm25;

void ls_bm25_init(ls_bm25 *w, double idf, double boost, double k1, double b, double avglen);

static inline double ls_bm25_score(const ls_bm25 *w, uint32_t tf, uint32_t len)
{
    return w->weight * (double)tf / ((double)tf + w->base + w->slope * (double)len);
}

/* The idf of a term seen in df of n passages (Lucene's BM25 idf, always
 * positive). */
double ls_bm25_idf(uint64_t df, uint64_t n);

/* A term's postings in one field. `field` is LS_NORM_BODY or LS_NORM_TITLE
 * for the lengths. Takes over nothing: the postings are opened here. */
int ls_term_scorer(ls_scorer **out, const ls_segment *seg, const ls_deletes *del,
                   const unsigned char *key, size_t klen, const ls_term_info *ti,
                   const ls_bm25 *w, int field, ls_err *err);

/* The block bound of a term scorer as (tf, length) rather than a score,
 * for phrases: 0, or -1 past the last entry (upto = LS_NO_DOC - 1). */
int ls_term_block_bound(ls_scorer *s, uint32_t target, uint32_t *upto, uint32_t *tf,
                        uint32_t *len);
/* The same over the whole list. */
void ls_term_bound(const ls_scorer *s, uint32_t *tf, uint32_t *len);

/* When other (a term scorer, just made) has the same entries in the same
 * field of the same segment, with the same length normalization, s takes
 * its weight and scores for both: returns 1 and the caller frees other;
 * else 0 and nothing changes. Lists of more than LS_ABSORB_MAX_BYTES are
 * not compared (reading both whole would cost a query more than it saves). */
#define LS_ABSORB_MAX_BYTES 32768
int ls_term_scorer_absorb(ls_scorer *s, const ls_scorer *other);
/* Access to a term scorer's postings (phrases need the positions). */
ls_postings *ls_term_scorer_postings(ls_scorer *s);
uint32_t ls_term_scorer_freq(ls_scorer *s);
const ls_bm25 *ls_term_scorer_weights(const ls_scorer *s);
/* The stem_len of the term's ls_term_info (exact words). */
uint32_t ls_term_scorer_stem_len(const ls_scorer *s);

/* Terms of one field scored as one term (a prefix's expansions): the
 * frequency in a passage is the sum of theirs; w holds the group's idf.
 * Reads the n lists (opened, not started) to the end while building. */
int ls_group_scorer(ls_scorer **out, const ls_segment *seg, ls_postings *lists, size_t n,
                    const ls_bm25 *w, int field, ls_err *err);

/* Combinations; they take ownership of their children (freed with them,
 * also on failure). */
int ls_or_scorer(ls_scorer **out, ls_scorer **kids, size_t n);
/* The same where dep[i] >= 0 says that kid i matches only passages that kid
 * dep[i] matches too (a word's exact form, among its stem's passages): such
 * a kid never leads the iteration, and is moved only to score. */
int ls_or_scorer_dep(ls_scorer **out, ls_scorer **kids, size_t n, const int *dep);
/* The dep[] of a disjunction, or NULL (no dependent child). */
const int *ls_or_deps(const ls_scorer *s);
/* A disjunction of query clauses with coordination: the sum is multiplied
 * by (matched / clauses)^power, clauses counting every positive clause of
 * the query, also those absent from this segment (power 0: none). Scores
 * only shrink, so every bound stays a bound. */
int ls_or_scorer_coord(ls_scorer **out, ls_scorer **kids, size_t n, uint32_t clauses,
                       double power);
double ls_coord_pow(uint32_t matched, uint32_t clauses, double power);
/* (matched / clauses)^power, 1 without clauses or when all matched. */
static inline double ls_coord(uint32_t matched, uint32_t clauses, double power)
{
    if (!clauses || matched >= clauses)
        return 1.0;
    return power == 1.0 ? (double)matched / (double)clauses
                        : ls_coord_pow(matched, clauses, power);
}
int ls_and_scorer(ls_scorer **out, ls_scorer **kids, size_t n);
/* must: a conjunction or NULL; should: optional extra scores (at least one
 * must match when must is NULL); not: excluded. */
int ls_bool_scorer(ls_scorer **out, ls_scorer *must, ls_scorer **should, size_t nshould,
                   ls_scorer **not, size_t nnot);
/* The same with coordination over the nmust + nshould clauses of the query
 * (`clauses` of them in all). */
int ls_bool_scorer_coord(ls_scorer **out, ls_scorer *must, uint32_t nmust, ls_scorer **should,
                         size_t nshould, ls_scorer **not, size_t nnot, uint32_t clauses,
                         double power);

/* Phrases and proximity over term scorers that have positions. offsets[i]
 * is the position of term i within the phrase (a pair key's is its first
 * word's); span is the number of words of the phrase (for NEAR). */
int ls_phrase_scorer(ls_scorer **out, ls_scorer **terms, const uint32_t *offsets, size_t n,
                     uint32_t span, const ls_bm25 *w, const ls_segment *seg, int field);
/* NEAR: groups (phrase scorers; a single word is a phrase of one) all
 * within `dist` words of each other; the score is the sum of the groups'
 * scores. Takes ownership of the groups. */
int ls_near_scorer(ls_scorer **out, ls_scorer **groups, size_t ngroups, uint32_t dist);

/* The children of a disjunction, for the MaxScore driver (search.c). */
size_t ls_or_children(ls_scorer *s, ls_scorer ***kids, uint32_t *clauses, double *power);
int ls_is_or(const ls_scorer *s);

#endif
