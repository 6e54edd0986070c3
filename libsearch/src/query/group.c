/*
 * group.c - several terms of one field scored as one term: the expansions
 * of a prefix (see scorer.h, ls_group_scorer).
 *
 * A passage's frequency is the sum of the frequencies of the group's terms
 * in it, and the group has one idf, that of the estimated union of the
 * terms' passages (Xapian scores its wildcard expansions the same way, as
 * an OP_SYNONYM). A prefix can expand to hundreds of words: merging their
 * lists passage by passage would cost a heap operation per posting, and
 * scoring each word as its own clause would make top-k pruning juggle
 * hundreds of bounds. Instead the lists are read once, each sequentially,
 * into one list of (passage, summed frequency), in one of two forms:
 *  - sparse (few postings for the segment's size): the entries are
 *    gathered, radix-sorted by passage and summed: 8 bytes per posting;
 *  - dense: a bitmap of the segment's passages and an array of summed
 *    frequencies, 2 bytes + 1 bit per passage, allocated zeroed by the
 *    system (pages are filled only when touched).
 * Either way the maximum frequency of each block (128 entries, or 512
 * passages) gives block bounds, so that top-k pruning skips the blocks of
 * passages that hold only a stray occurrence.
 */
#include <stdlib.h>
#include <string.h>

#include "query/scorer.h"

#define SPARSE_BLOCK 128      /* entries */
#define DENSE_SHIFT 9         /* 512 passages */

typedef struct group_scorer {
    ls_scorer base;
    int dense;
    int started;
    /* sparse */
    uint32_t *docs;
    uint16_t *freqs;
    size_t n, i;
    /* dense */
    uint64_t *bits;
    uint16_t *tf;
    size_t nwords;
    /* block maxima of the frequency */
    uint16_t *bmax;
    size_t nblocks;
    uint16_t min_len;
    ls_bm25 w;
    const ls_segment *seg;
    int field;
} group_scorer;

/* The first matched passage >= from, or LS_NO_DOC (dense). */
static uint32_t first_from(group_scorer *g, uint64_t from)
{
    size_t i = (size_t)(from >> 6);
    if (i >= g->nwords)
        return LS_NO_DOC;
    uint64_t word = g->bits[i] & (~0ull << (from & 63));
    while (!word) {
        if (++i >= g->nwords)
            return LS_NO_DOC;
        word = g->bits[i];
    }
    return (uint32_t)(i * 64 + (size_t)__builtin_ctzll(word));
}

/* The first entry >= target from entry i on (sparse): galloping. */
static size_t entry_from(const group_scorer *g, size_t i, uint32_t target)
{
    size_t step = 1, lo = i, hi = i;
    while (hi < g->n && g->docs[hi] < target) {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    if (hi > g->n)
        hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->docs[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t g_seek(ls_scorer *s, uint32_t target)
{
    group_scorer *g = (group_scorer *)s;
    if (g->started && (s->doc == LS_NO_DOC || s->doc >= target))
        return s->doc;
    g->started = 1;
    if (g->dense)
        return s->doc = first_from(g, target);
    g->i = entry_from(g, g->i, target);
    return s->doc = g->i < g->n ? g->docs[g->i] : LS_NO_DOC;
}

static uint32_t g_next(ls_scorer *s)
{
    group_scorer *g = (group_scorer *)s;
    if (!g->started)
        return g_seek(s, 0);
    if (s->doc == LS_NO_DOC)
        return LS_NO_DOC;
    if (g->dense)
        return s->doc = first_from(g, (uint64_t)s->doc + 1);
    g->i++;
    return s->doc = g->i < g->n ? g->docs[g->i] : LS_NO_DOC;
}

static double g_score(ls_scorer *s)
{
    group_scorer *g = (group_scorer *)s;
    uint32_t tf = g->dense ? g->tf[s->doc] : g->freqs[g->i];
    return ls_bm25_score(&g->w, tf, ls_segment_norm(g->seg, s->doc, g->field));
}

static double g_block_max(ls_scorer *s, uint32_t target, uint32_t *upto)
{
    group_scorer *g = (group_scorer *)s;
    size_t b;
    if (g->dense) {
        b = target >> DENSE_SHIFT;
        if (b >= g->nblocks) {
            *upto = LS_NO_DOC - 1;
            return 0;
        }
        *upto = (uint32_t)(((uint64_t)b + 1) << DENSE_SHIFT) - 1;
    } else {
        size_t i = entry_from(g, g->started && s->doc != LS_NO_DOC && s->doc <= target ? g->i : 0,
                              target);
        if (i >= g->n) {
            *upto = LS_NO_DOC - 1;
            return 0;
        }
        b = i / SPARSE_BLOCK;
        size_t last = (b + 1) * SPARSE_BLOCK - 1;
        *upto = g->docs[last < g->n ? last : g->n - 1];
    }
    return ls_inflate(ls_bm25_score(&g->w, g->bmax[b], g->min_len));
}

static void g_free(ls_scorer *s)
{
    group_scorer *g = (group_scorer *)s;
    free(g->docs);
    free(g->freqs);
    free(g->bits);
    free(g->tf);
    free(g->bmax);
    free(g);
}

static const ls_scorer_vt group_vt = {g_next, g_seek, g_score, g_block_max, g_free};

/* LSD radix sort of (passage << 32 | freq) entries by passage, 11 bits a
 * pass; tmp has room for n. Returns the sorted array (v or tmp). */
static uint64_t *radix_sort(uint64_t *v, uint64_t *tmp, size_t n, uint32_t max_doc)
{
    static const int bits = 11;
    size_t count[1 << 11];
    for (int shift = 32; shift < 64 && (max_doc >> (shift - 32)) != 0; shift += bits) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[(v[i] >> shift) & ((1u << bits) - 1)]++;
        size_t sum = 0;
        for (size_t k = 0; k < (1u << bits); k++) {
            size_t c = count[k];
            count[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(v[i] >> shift) & ((1u << bits) - 1)]++] = v[i];
        uint64_t *t = v;
        v = tmp;
        tmp = t;
    }
    return v;
}

static int build_sparse(group_scorer *g, ls_postings *lists, size_t n, uint64_t total)
{
    uint64_t *v = malloc((size_t)total * sizeof *v), *tmp = malloc((size_t)total * sizeof *tmp);
    if (!v || !tmp) {
        free(v);
        free(tmp);
        return -1;
    }
    size_t k = 0;
    uint32_t max_doc = 0;
    for (size_t i = 0; i < n; i++) {
        ls_postings *p = &lists[i];
        for (uint32_t d = ls_postings_next(p); d != LS_NO_DOC && k < total;
             d = ls_postings_next(p)) {
            v[k++] = (uint64_t)d << 32 | ls_postings_freq(p);
            if (d > max_doc)
                max_doc = d;
        }
        g->base.corrupt |= p->corrupt;
    }
    uint64_t *sorted = radix_sort(v, tmp, k, max_doc);
    g->docs = malloc((k ? k : 1) * sizeof *g->docs);
    g->freqs = malloc((k ? k : 1) * sizeof *g->freqs);
    if (!g->docs || !g->freqs) {
        free(v);
        free(tmp);
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < k;) {
        uint32_t d = (uint32_t)(sorted[i] >> 32);
        uint64_t f = 0;
        for (; i < k && (uint32_t)(sorted[i] >> 32) == d; i++)
            f += (uint32_t)sorted[i];
        g->docs[m] = d;
        g->freqs[m++] = f > 0xFFFF ? 0xFFFF : (uint16_t)f;
    }
    free(v);
    free(tmp);
    g->n = m;
    g->nblocks = (m + SPARSE_BLOCK - 1) / SPARSE_BLOCK;
    if (!(g->bmax = calloc(g->nblocks ? g->nblocks : 1, sizeof *g->bmax)))
        return -1;
    for (size_t i = 0; i < m; i++)
        if (g->freqs[i] > g->bmax[i / SPARSE_BLOCK])
            g->bmax[i / SPARSE_BLOCK] = g->freqs[i];
    return 0;
}

static int build_dense(group_scorer *g, ls_postings *lists, size_t n, uint32_t np)
{
    g->nwords = ((size_t)np + 63) / 64;
    g->nblocks = ((size_t)np >> DENSE_SHIFT) + 1;
    g->bits = calloc(g->nwords ? g->nwords : 1, sizeof *g->bits);
    g->tf = calloc(np ? np : 1, sizeof *g->tf);
    g->bmax = calloc(g->nblocks, sizeof *g->bmax);
    if (!g->bits || !g->tf || !g->bmax)
        return -1;
    for (size_t i = 0; i < n; i++) {
        ls_postings *p = &lists[i];
        for (uint32_t d = ls_postings_next(p); d != LS_NO_DOC; d = ls_postings_next(p)) {
            if (d >= np) {   /* lists are checked against np when opened */
                p->corrupt = 1;
                break;
            }
            uint32_t f = g->tf[d] + ls_postings_freq(p);
            uint16_t t = f > 0xFFFF ? 0xFFFF : (uint16_t)f;
            g->tf[d] = t;
            g->bits[d >> 6] |= 1ull << (d & 63);
            if (t > g->bmax[d >> DENSE_SHIFT])
                g->bmax[d >> DENSE_SHIFT] = t;
        }
        g->base.corrupt |= p->corrupt;
    }
    return 0;
}

int ls_group_scorer(ls_scorer **out, const ls_segment *seg, ls_postings *lists, size_t n,
                    const ls_bm25 *w, int field, ls_err *err)
{
    *out = NULL;
    uint32_t np = seg->meta.npassages;
    group_scorer *g = calloc(1, sizeof *g);
    if (!g)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory");
    g->base.vt = &group_vt;
    g->w = *w;
    g->seg = seg;
    g->field = field;
    uint64_t total = 0;
    g->min_len = 0xFFFF;
    for (size_t i = 0; i < n; i++) {
        ls_postings *p = &lists[i];
        total += p->df;
        /* a single entry's list keeps no length bound: its passage's is it */
        uint32_t len = p->df == 1 ? ls_segment_norm(seg, p->last_doc, field) : p->min_len;
        if (len < g->min_len)
            g->min_len = (uint16_t)len;
    }
    /* sparse while its 16 bytes per posting stay under the dense form's
     * cost, counted as the passages it would scan (a word per 64) and the
     * pages it would touch */
    g->dense = total > np / 32;
    int bad = g->dense ? build_dense(g, lists, n, np) : build_sparse(g, lists, n, total);
    if (bad) {
        g_free(&g->base);
        return ls_err_set(err, SRCH_ENOMEM, "out of memory");
    }
    uint16_t max_tf = 0;
    for (size_t b = 0; b < g->nblocks; b++)
        if (g->bmax[b] > max_tf)
            max_tf = g->bmax[b];
    g->base.cost = total;
    g->base.max = ls_inflate(ls_bm25_score(w, max_tf, g->min_len));
    *out = &g->base;
    return SRCH_OK;
}
