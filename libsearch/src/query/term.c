/*
 * term.c - the scorer of one term in one field: a postings iterator with
 * BM25, and block bounds from the postings' skip data (see scorer.h).
 */
#include <math.h>
#include <stdlib.h>

#include "query/scorer.h"

typedef struct term_scorer {
    ls_scorer base;
    ls_postings p;
    ls_bm25 w;
    const ls_segment *seg;
    int field;
    uint32_t stem_len;        /* ls_term_info.stem_len */
} term_scorer;

void ls_bm25_init(ls_bm25 *w, double idf, double boost, double k1, double b, double avglen)
{
    if (avglen <= 0)
        avglen = 1;
    w->idf = idf;
    w->weight = boost * idf * (k1 + 1);
    w->avglen = avglen;
    w->base = k1 * (1 - b);
    w->slope = k1 * b / avglen;
}

double ls_bm25_idf(uint64_t df, uint64_t n)
{
    if (df > n)
        df = n;
    return log(1.0 + ((double)n - (double)df + 0.5) / ((double)df + 0.5));
}

static uint32_t t_next(ls_scorer *s)
{
    term_scorer *t = (term_scorer *)s;
    s->doc = ls_postings_next_fast(&t->p);
    s->corrupt |= t->p.corrupt;
    /* the length is read when the passage is scored: start loading it, and
     * that of a passage a few entries ahead (the norms are far larger
     * than the caches; a miss costs more than the whole scoring) */
    __builtin_prefetch(t->seg->norms + 4 * (size_t)(s->doc & 0x7FFFFFFF));
    if (t->p.i + 8 < t->p.n) {
        if (t->p.i == 0)   /* a new block: the entries up to 8 ahead too */
            for (int k = 1; k < 8; k++)
                __builtin_prefetch(t->seg->norms + 4 * (size_t)t->p.docs[k]);
        __builtin_prefetch(t->seg->norms + 4 * (size_t)t->p.docs[t->p.i + 8]);
    }
    return s->doc;
}

static uint32_t t_seek(ls_scorer *s, uint32_t target)
{
    term_scorer *t = (term_scorer *)s;
    s->doc = ls_postings_seek_fast(&t->p, target);
    s->corrupt |= t->p.corrupt;
    return s->doc;
}

static double t_score(ls_scorer *s)
{
    term_scorer *t = (term_scorer *)s;
    return ls_bm25_score(&t->w, ls_postings_freq(&t->p),
                         ls_segment_norm(t->seg, s->doc, t->field));
}

static double t_block_max(ls_scorer *s, uint32_t target, uint32_t *upto)
{
    term_scorer *t = (term_scorer *)s;
    uint32_t last;
    ls_block_bound b;
    if (ls_postings_block_bound(&t->p, target, &last, &b) != 0) {
        *upto = LS_NO_DOC - 1;   /* nothing left: no score until the end */
        return 0;
    }
    *upto = last;
    if (t->p.df == 1)
        return ls_inflate(
            ls_bm25_score(&t->w, b.tf[0], ls_segment_norm(t->seg, t->p.docs[0], t->field)));
    double lo = ls_bm25_score(&t->w, b.tf[0], b.len[0]);
    double hi = ls_bm25_score(&t->w, b.tf[1], b.len[1]);
    return ls_inflate(lo > hi ? lo : hi);
}

static void t_free(ls_scorer *s)
{
    free(s);
}

static const ls_scorer_vt term_vt = {t_next, t_seek, t_score, t_block_max, t_free};

/* The bound over every passage, from the whole list's bound (the single
 * entry's own length when there is one). */
static void set_max(term_scorer *t)
{
    uint32_t tf, len;
    ls_term_bound(&t->base, &tf, &len);
    t->base.max = ls_inflate(ls_bm25_score(&t->w, tf, len));
}

int ls_term_scorer(ls_scorer **out, const ls_segment *seg, const ls_deletes *del,
                   const unsigned char *key, size_t klen, const ls_term_info *ti,
                   const ls_bm25 *w, int field, ls_err *err)
{
    (void)del;
    (void)klen;
    *out = NULL;
    term_scorer *t = calloc(1, sizeof *t);
    if (!t)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory");
    int rc = ls_segment_postings(seg, key, ti, &t->p, err);
    if (rc != SRCH_OK) {
        free(t);
        return rc;
    }
    t->base.vt = &term_vt;
    t->base.doc = 0;
    t->base.cost = ti->df;
    t->w = *w;
    t->seg = seg;
    t->field = field;
    t->stem_len = ti->stem_len;
    set_max(t);
    *out = &t->base;
    return SRCH_OK;
}

int ls_term_block_bound(ls_scorer *s, uint32_t target, uint32_t *upto, uint32_t *tf,
                        uint32_t *len)
{
    term_scorer *t = (term_scorer *)s;
    uint32_t last;
    ls_block_bound b;
    if (ls_postings_block_bound(&t->p, target, &last, &b) != 0) {
        *upto = LS_NO_DOC - 1;
        *tf = 0;
        *len = 0xFFFF;
        return -1;
    }
    uint16_t ctf, clen;
    ls_block_bound_corner(&b, &ctf, &clen);
    *upto = last;
    *tf = ctf;
    *len = t->p.df == 1 ? ls_segment_norm(t->seg, t->p.docs[0], t->field) : clen;
    return 0;
}

void ls_term_bound(const ls_scorer *s, uint32_t *tf, uint32_t *len)
{
    const term_scorer *t = (const term_scorer *)s;
    *tf = t->p.max_tf;
    *len = t->p.df == 1 ? ls_segment_norm(t->seg, t->p.docs[0], t->field) : t->p.min_len;
}

int ls_term_scorer_absorb(ls_scorer *s, const ls_scorer *other)
{
    term_scorer *t = (term_scorer *)s;
    const term_scorer *o = (const term_scorer *)other;
    if (t->seg != o->seg || t->field != o->field || t->w.base != o->w.base ||
        t->w.slope != o->w.slope || !ls_postings_same(&t->p, &o->p, LS_ABSORB_MAX_BYTES))
        return 0;
    /* both score tf / (tf + base + slope * len): one division for the two */
    t->w.weight += o->w.weight;
    set_max(t);
    return 1;
}

ls_postings *ls_term_scorer_postings(ls_scorer *s)
{
    return &((term_scorer *)s)->p;
}

uint32_t ls_term_scorer_freq(ls_scorer *s)
{
    return ls_postings_freq(&((term_scorer *)s)->p);
}

uint32_t ls_term_scorer_stem_len(const ls_scorer *s)
{
    return ((const term_scorer *)s)->stem_len;
}

const ls_bm25 *ls_term_scorer_weights(const ls_scorer *s)
{
    return &((const term_scorer *)s)->w;
}

void ls_scorer_free(ls_scorer *s)
{
    if (s)
        s->vt->free(s);
}

int ls_scorer_corrupt(const ls_scorer *s)
{
    return s && s->corrupt;
}
