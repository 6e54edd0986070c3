/*
 * phrase.c - phrases (terms at consecutive positions) and NEAR (groups
 * within a distance), over term scorers that have positions.
 *
 * A phrase is a conjunction of its terms whose passages are then filtered
 * by positions: the phrase frequency is the number of positions p where
 * every term i occurs at p + offset[i]. It is scored as one pseudo-term:
 * BM25 with that frequency and the sum of the terms' idf (as Lucene's
 * PhraseQuery). Its bounds: the frequency is at most the smallest term
 * frequency, and the passage at least as long as the longest of the terms'
 * minimum lengths.
 *
 * The phrase aligns its terms itself (the rarest leads, the others seek)
 * so that, given a floor by the driver (scorer.h), a passage is dropped as
 * soon as a bound shows it cannot enter the top k: first from the lead's
 * frequency and the passage's length (before seeking the other terms),
 * then from the smallest frequency (before reading positions). In longer
 * phrases the two rarest terms must stand at their distance before the
 * others are sought (pair_ok()). A phrase that is one key (a common-word
 * pair, index/pairs.h) takes its frequency from the postings, without
 * positions, unless a NEAR reads its start positions.
 */
#include <stdlib.h>
#include <string.h>

#include "query/scorer.h"

typedef struct phrase_scorer {
    ls_scorer base;
    ls_scorer **terms;        /* in phrase order (owned) */
    ls_scorer **by_cost;      /* the same, rarest first: by_cost[0] leads */
    ls_postings **post;       /* their postings, in by_cost order */
    size_t *phr;              /* phrase index of by_cost[i] */
    uint32_t *pos_doc;        /* per term (phrase order): passage whose
                                 positions pos[] holds, or LS_NO_DOC */
    uint32_t *pos_n;
    uint32_t *offsets;
    size_t n;
    uint32_t span;            /* words of the phrase (a pair key stands
                                 for two) */
    ls_bm25 w;
    const ls_segment *seg;
    int field;
    uint32_t freq;            /* at the current passage */
    int started;
    int need_starts;          /* a NEAR group: starts[] is read */
    uint32_t **pos;           /* per term, its positions at the passage */
    size_t *pos_cap;
    uint32_t *starts;         /* start positions of the matches */
    size_t nstarts, starts_cap;
} phrase_scorer;

static int grow(uint32_t **v, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    uint32_t *p = realloc(*v, c * sizeof *p);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

/* The positions of term i (phrase order) at its current passage, read
 * once per passage. */
static int load_positions(phrase_scorer *ph, size_t i, uint32_t *n)
{
    ls_postings *p = ls_term_scorer_postings(ph->terms[i]);
    if (ph->pos_doc[i] == p->doc) {
        *n = ph->pos_n[i];
        return 0;
    }
    uint32_t f = ls_postings_freq(p);
    if (grow(&ph->pos[i], &ph->pos_cap[i], f) != 0 ||
        ls_postings_positions(p, ph->pos[i], f) != (int)f)
        return -1;
    ph->pos_doc[i] = p->doc;
    ph->pos_n[i] = *n = f;
    return 0;
}

/* Do the lead and the first other term (by cost) stand at their distance
 * in the phrase somewhere in the passage? Checked before the rarer-still
 * third term is sought: a passage with both words apart costs no seek in a
 * long list. */
static int pair_ok(phrase_scorer *ph)
{
    size_t a = ph->phr[0], b = ph->phr[1];
    uint32_t na, nb;
    if (load_positions(ph, a, &na) != 0 || load_positions(ph, b, &nb) != 0) {
        ph->base.corrupt = 1;
        return 0;
    }
    const uint32_t *pa = ph->pos[a], *pb = ph->pos[b];
    uint32_t oa = ph->offsets[a], ob = ph->offsets[b];
    size_t j = 0;
    for (size_t k = 0; k < na; k++) {
        if (pa[k] < oa)
            continue;
        uint64_t want = (uint64_t)pa[k] - oa + ob;
        while (j < nb && pb[j] < want)
            j++;
        if (j < nb && pb[j] == want)
            return 1;
    }
    return 0;
}

/* The matches at the conjunction's current passage; 0 if none. */
static uint32_t match(phrase_scorer *ph)
{
    if (ph->n == 1 && !ph->need_starts)   /* one key (a pair): its frequency */
        return ls_postings_freq(ph->post[0]);
    size_t nc = 0;
    for (size_t i = 0; i < ph->n; i++) {
        uint32_t f;
        if (load_positions(ph, i, &f) != 0)
            return ph->base.corrupt = 1, 0;
        if (i == 0) {
            if (grow(&ph->starts, &ph->starts_cap, f) != 0)
                return ph->base.corrupt = 1, 0;
            for (uint32_t k = 0; k < f; k++)
                if (ph->pos[0][k] >= ph->offsets[0])
                    ph->starts[nc++] = ph->pos[0][k] - ph->offsets[0];
            continue;
        }
        /* keep the starts s with s + offset[i] among the term's positions */
        size_t out = 0, j = 0;
        for (size_t k = 0; k < nc; k++) {
            uint64_t want = (uint64_t)ph->starts[k] + ph->offsets[i];
            while (j < f && ph->pos[i][j] < want)
                j++;
            if (j < f && ph->pos[i][j] == want)
                ph->starts[out++] = ph->starts[k];
        }
        nc = out;
        if (nc == 0)
            break;
    }
    ph->nstarts = nc;
    return (uint32_t)nc;
}

/* Can a passage of length len where the phrase occurs at most tf times
 * enter? (only asked with a floor) */
static inline int below_floor(const phrase_scorer *ph, double floor, uint32_t tf, uint32_t len)
{
    return ls_inflate(ls_bm25_score(&ph->w, tf, len)) <= floor;
}

/* The lead's next entry; the length of the one 8 entries ahead starts
 * loading (the floor checks read the length of every lead entry). */
static inline uint32_t lead_next(phrase_scorer *ph)
{
    ls_postings *lead = ph->post[0];
    uint32_t d = ls_postings_next_fast(lead);
    if (lead->i + 8 < lead->n)
        __builtin_prefetch(ph->seg->norms + 4 * (size_t)lead->docs[lead->i + 8]);
    return d;
}

/* From the lead's current passage on, the next passage with the phrase.
 * The terms' postings are driven directly (their scorers' doc is not kept
 * up to date inside a phrase). */
static uint32_t settle(phrase_scorer *ph)
{
    ls_postings *lead = ph->post[0];
    uint32_t d = lead->doc;
    while (d != LS_NO_DOC) {
        double floor = d <= ph->base.floor_upto ? ph->base.floor : ph->base.floor_rest;
        int floored = floor > 0;
        uint32_t len = 0;
        if (floored) {
            len = ls_segment_norm(ph->seg, d, ph->field);
            if (below_floor(ph, floor, ls_postings_freq(lead), len)) {
                ph->base.floored = 1;
                d = lead_next(ph);
                continue;
            }
        }
        size_t i = 1;
        uint32_t di = d;
        int apart = 0;
        for (; i < ph->n; i++) {
            if ((di = ls_postings_seek_fast(ph->post[i], d)) != d)
                break;
            if (i == 1 && ph->n > 2 && !pair_ok(ph)) {
                apart = 1;
                break;
            }
        }
        if (apart) {
            if (ph->base.corrupt)
                break;
            d = lead_next(ph);
            continue;
        }
        if (i < ph->n) {
            d = di == LS_NO_DOC ? LS_NO_DOC : ls_postings_seek_fast(lead, di);
            continue;
        }
        if (floored) {
            uint32_t tf = UINT32_MAX;
            for (i = 0; i < ph->n; i++) {
                uint32_t f = ls_postings_freq(ph->post[i]);
                if (f < tf)
                    tf = f;
            }
            if (below_floor(ph, floor, tf, len)) {
                ph->base.floored = 1;
                d = lead_next(ph);
                continue;
            }
        }
        __builtin_prefetch(ph->seg->norms + 4 * (size_t)d);   /* for the score */
        for (i = 0; (ph->n > 1 || ph->need_starts) && i < ph->n; i++) {
            __builtin_prefetch(ph->post[i]->pos_ptr);   /* every term's positions */
            __builtin_prefetch(ph->post[i]->pos_ptr + 64);
        }
        if ((ph->freq = match(ph)) != 0 || ph->base.corrupt)
            break;
        d = lead_next(ph);
    }
    for (size_t i = 0; i < ph->n; i++)
        ph->base.corrupt |= ph->post[i]->corrupt;
    if (ph->base.corrupt)
        d = LS_NO_DOC;
    return ph->base.doc = d;
}

static uint32_t ph_next(ls_scorer *s)
{
    phrase_scorer *ph = (phrase_scorer *)s;
    if (!ph->started) {
        ph->started = 1;
        ls_postings_seek(ph->post[0], 0);
        return settle(ph);
    }
    if (s->doc == LS_NO_DOC)
        return LS_NO_DOC;
    lead_next(ph);
    return settle(ph);
}

static uint32_t ph_seek(ls_scorer *s, uint32_t target)
{
    phrase_scorer *ph = (phrase_scorer *)s;
    if (ph->started && (s->doc == LS_NO_DOC || s->doc >= target))
        return s->doc;
    ph->started = 1;
    ls_postings_seek_fast(ph->post[0], target);
    return settle(ph);
}

static double ph_score(ls_scorer *s)
{
    phrase_scorer *ph = (phrase_scorer *)s;
    return ls_bm25_score(&ph->w, ph->freq, ls_segment_norm(ph->seg, s->doc, ph->field));
}

static double ph_block_max(ls_scorer *s, uint32_t target, uint32_t *upto)
{
    phrase_scorer *ph = (phrase_scorer *)s;
    uint32_t tf = UINT32_MAX, len = 0, u = LS_NO_DOC - 1;
    for (size_t i = 0; i < ph->n; i++) {
        uint32_t ku, ktf, klen;
        if (ls_term_block_bound(ph->terms[i], target, &ku, &ktf, &klen) != 0) {
            *upto = LS_NO_DOC - 1;
            return 0;
        }
        if (ku < u)
            u = ku;
        if (ktf < tf)
            tf = ktf;
        if (klen > len)
            len = klen;
    }
    *upto = u;
    return ls_inflate(ls_bm25_score(&ph->w, tf, len));
}

static void ph_free(ls_scorer *s)
{
    phrase_scorer *ph = (phrase_scorer *)s;
    for (size_t i = 0; ph->terms && i < ph->n; i++)
        ls_scorer_free(ph->terms[i]);
    for (size_t i = 0; ph->pos && i < ph->n; i++)
        free(ph->pos[i]);
    free(ph->pos);
    free(ph->pos_cap);
    free(ph->terms);
    free(ph->by_cost);
    free(ph->post);
    free(ph->phr);
    free(ph->pos_doc);
    free(ph->pos_n);
    free(ph->offsets);
    free(ph->starts);
    free(ph);
}

static const ls_scorer_vt phrase_vt = {ph_next, ph_seek, ph_score, ph_block_max, ph_free};

static int by_cost(const void *x, const void *y)
{
    const ls_scorer *a = *(ls_scorer *const *)x, *b = *(ls_scorer *const *)y;
    return (a->cost > b->cost) - (a->cost < b->cost);
}

int ls_phrase_scorer(ls_scorer **out, ls_scorer **terms, const uint32_t *offsets, size_t n,
                     uint32_t span, const ls_bm25 *w, const ls_segment *seg, int field)
{
    *out = NULL;
    phrase_scorer *ph = calloc(1, sizeof *ph);
    if (!ph || !(ph->terms = malloc(n * sizeof *terms)) ||
        !(ph->by_cost = malloc(n * sizeof *terms)) || !(ph->post = malloc(n * sizeof *ph->post)) ||
        !(ph->phr = malloc(n * sizeof *ph->phr)) || !(ph->pos_doc = malloc(n * sizeof *ph->pos_doc)) ||
        !(ph->pos_n = malloc(n * sizeof *ph->pos_n)) ||
        !(ph->offsets = malloc(n * sizeof *offsets)) || !(ph->pos = calloc(n, sizeof *ph->pos)) ||
        !(ph->pos_cap = calloc(n, sizeof *ph->pos_cap))) {
        if (ph) {
            free(ph->terms);
            free(ph->by_cost);
            free(ph->post);
            free(ph->phr);
            free(ph->pos_doc);
            free(ph->pos_n);
            free(ph->offsets);
            free(ph->pos);
        }
        free(ph);
        for (size_t i = 0; i < n; i++)
            ls_scorer_free(terms[i]);
        return SRCH_ENOMEM;
    }
    memcpy(ph->terms, terms, n * sizeof *terms);
    memcpy(ph->by_cost, terms, n * sizeof *terms);
    qsort(ph->by_cost, n, sizeof *terms, by_cost);
    for (size_t i = 0; i < n; i++) {
        ph->post[i] = ls_term_scorer_postings(ph->by_cost[i]);
        for (size_t k = 0; k < n; k++)
            if (terms[k] == ph->by_cost[i])
                ph->phr[i] = k;
        ph->pos_doc[i] = LS_NO_DOC;
    }
    memcpy(ph->offsets, offsets, n * sizeof *offsets);
    ph->n = n;
    ph->w = *w;
    ph->seg = seg;
    ph->field = field;
    ph->span = span;
    ph->base.vt = &phrase_vt;
    ph->base.cost = ph->by_cost[0]->cost;
    uint32_t tf = UINT32_MAX, len = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ktf, klen;
        ls_term_bound(terms[i], &ktf, &klen);
        if (ktf < tf)
            tf = ktf;
        if (klen > len)
            len = klen;
    }
    ph->base.max = ls_inflate(ls_bm25_score(w, tf, len));
    *out = &ph->base;
    return SRCH_OK;
}

/* ------------------------------------------------------------------- NEAR */

typedef struct near_scorer {
    ls_scorer base;
    ls_scorer *conj;          /* conjunction of the groups (owns them) */
    phrase_scorer **groups;
    size_t n;
    uint32_t dist;
    size_t *idx;              /* scratch: a cursor per group */
    int started;
} near_scorer;

/* Is there one match of each group with at most `dist` words between the
 * first and the last? Classic smallest window over k sorted lists. */
static int within(near_scorer *nr)
{
    uint64_t total_len = 0;
    for (size_t g = 0; g < nr->n; g++) {
        nr->idx[g] = 0;
        total_len += nr->groups[g]->span;
        if (nr->groups[g]->nstarts == 0)
            return 0;
    }
    for (;;) {
        uint64_t lo = UINT64_MAX, hi = 0;
        size_t lo_g = 0;
        for (size_t g = 0; g < nr->n; g++) {
            phrase_scorer *ph = nr->groups[g];
            uint64_t s = ph->starts[nr->idx[g]], e = s + ph->span - 1;
            if (s < lo) {
                lo = s;
                lo_g = g;
            }
            if (e > hi)
                hi = e;
        }
        if (hi - lo + 1 <= total_len + nr->dist)
            return 1;
        if (++nr->idx[lo_g] >= nr->groups[lo_g]->nstarts)
            return 0;
    }
}

static uint32_t near_settle(near_scorer *nr, uint32_t d)
{
    while (d != LS_NO_DOC && !within(nr))
        d = ls_next(nr->conj);
    nr->base.corrupt |= nr->conj->corrupt;
    return nr->base.doc = d;
}

static uint32_t near_next(ls_scorer *s)
{
    near_scorer *nr = (near_scorer *)s;
    if (!nr->started) {
        nr->started = 1;
        return near_settle(nr, ls_seek(nr->conj, 0));
    }
    if (s->doc == LS_NO_DOC)
        return LS_NO_DOC;
    return near_settle(nr, ls_next(nr->conj));
}

static uint32_t near_seek(ls_scorer *s, uint32_t target)
{
    near_scorer *nr = (near_scorer *)s;
    if (nr->started && (s->doc == LS_NO_DOC || s->doc >= target))
        return s->doc;
    nr->started = 1;
    return near_settle(nr, ls_seek(nr->conj, target));
}

static double near_score(ls_scorer *s)
{
    near_scorer *nr = (near_scorer *)s;
    return ls_score(nr->conj);
}

static double near_block_max(ls_scorer *s, uint32_t target, uint32_t *upto)
{
    near_scorer *nr = (near_scorer *)s;
    return ls_block_max(nr->conj, target, upto);
}

static void near_free(ls_scorer *s)
{
    near_scorer *nr = (near_scorer *)s;
    ls_scorer_free(nr->conj);
    free(nr->groups);
    free(nr->idx);
    free(nr);
}

static const ls_scorer_vt near_vt = {near_next, near_seek, near_score, near_block_max, near_free};

int ls_near_scorer(ls_scorer **out, ls_scorer **groups, size_t ngroups, uint32_t dist)
{
    *out = NULL;
    near_scorer *nr = calloc(1, sizeof *nr);
    if (!nr || !(nr->groups = malloc(ngroups * sizeof *nr->groups)) ||
        !(nr->idx = malloc(ngroups * sizeof *nr->idx))) {
        if (nr)
            free(nr->groups);
        free(nr);
        for (size_t i = 0; i < ngroups; i++)
            ls_scorer_free(groups[i]);
        return SRCH_ENOMEM;
    }
    for (size_t i = 0; i < ngroups; i++) {
        nr->groups[i] = (phrase_scorer *)groups[i];
        nr->groups[i]->need_starts = 1;
    }
    nr->n = ngroups;
    nr->dist = dist;
    ls_scorer **copy = malloc(ngroups * sizeof *copy);
    if (!copy) {
        for (size_t i = 0; i < ngroups; i++)
            ls_scorer_free(groups[i]);
        nr->n = 0;
        near_free(&nr->base);
        return SRCH_ENOMEM;
    }
    memcpy(copy, groups, ngroups * sizeof *copy);
    int rc = ls_and_scorer(&nr->conj, copy, ngroups);
    free(copy);
    if (rc != SRCH_OK) {
        free(nr->groups);
        free(nr->idx);
        free(nr);
        return rc;
    }
    nr->base.vt = &near_vt;
    nr->base.cost = nr->conj->cost;
    nr->base.max = nr->conj->max;
    *out = &nr->base;
    return SRCH_OK;
}
