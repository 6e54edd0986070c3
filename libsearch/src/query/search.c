/*
 * search.c - srch_search(): run the scorers of each segment, keep the top
 * k, and turn the winners into hits (ids, texts, snippets).
 *
 * Two drivers, both exact (they return what exhaustive evaluation would):
 *  - a disjunction at the root runs block-max MaxScore: in each window of
 *    passages where every child's block bound holds, children are sorted by
 *    bound; those whose bounds together cannot beat the current k-th score
 *    (theta) are "non-essential": candidates come only from the others, and
 *    the non-essential ones are consulted, largest bound first, only while
 *    the candidate can still enter (counting only those not yet past it);
 *    a child whose next passage is past the window bounds nothing in it;
 *    a window whose total bound cannot beat theta is skipped whole;
 *  - any other root runs block-max skipping on its own bound (for a
 *    conjunction, the sum of its children's block bounds).
 * Passages are visited in increasing id and segments in order, so a
 * candidate whose score only equals theta cannot enter (ties go to the
 * smaller id): bounds are compared with <=.
 */
#include <stdlib.h>
#include <string.h>

#include "query/plan.h"
#include "query/snippet.h"
#include "util/error.h"

typedef struct entry {
    double score;
    uint32_t gid;             /* global passage id */
    uint64_t dockey;          /* segment << 32 | the document's first passage */
} entry;

typedef struct collector {
    entry *heap;              /* min-heap: the worst entry on top */
    size_t n, cap;
    int per_doc;
    uint64_t total;
    uint64_t last_dockey;
    int pruned;               /* something was skipped: total is a lower bound */
    int exact_total;
} collector;

static inline int worse(const entry *a, const entry *b)
{
    return a->score < b->score || (a->score == b->score && a->gid > b->gid);
}

static void sift_down(collector *c, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < c->n && worse(&c->heap[l], &c->heap[m]))
            m = l;
        if (r < c->n && worse(&c->heap[r], &c->heap[m]))
            m = r;
        if (m == i)
            return;
        entry t = c->heap[i];
        c->heap[i] = c->heap[m];
        c->heap[m] = t;
        i = m;
    }
}

static void sift_up(collector *c, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!worse(&c->heap[i], &c->heap[parent]))
            return;
        entry t = c->heap[i];
        c->heap[i] = c->heap[parent];
        c->heap[parent] = t;
        i = parent;
    }
}

static inline int full(const collector *c)
{
    return c->n == c->cap && !c->exact_total;
}

static inline double theta(const collector *c)
{
    return c->heap[0].score;
}

static void offer(collector *c, double score, uint32_t gid, uint64_t dockey)
{
    entry e = {score, gid, dockey};
    if (c->per_doc) {
        for (size_t i = 0; i < c->n; i++)
            if (c->heap[i].dockey == dockey) {
                if (worse(&c->heap[i], &e)) {
                    c->heap[i] = e;
                    sift_down(c, i);   /* better: may sink (it is a min-heap) */
                    sift_up(c, i);
                }
                return;
            }
    }
    if (c->n < c->cap) {
        c->heap[c->n++] = e;
        sift_up(c, c->n - 1);
    } else if (worse(&c->heap[0], &e)) {
        c->heap[0] = e;
        sift_down(c, 0);
    }
}

typedef struct segrun {
    collector *c;
    const ls_rseg *seg;
    size_t segno;
} segrun;

/* Count and offer a matching passage. */
static void found(segrun *r, uint32_t doc, double score)
{
    collector *c = r->c;
    uint64_t dockey = 0;
    if (c->per_doc) {
        char id[SRCH_MAX_ID_BYTES + 1];
        size_t id_len;
        uint32_t number = 1;
        ls_store_id(&r->seg->seg->store, doc, id, sizeof id, &id_len, &number);
        dockey = (uint64_t)r->segno << 32 | (doc - (number - 1));
        if (dockey != c->last_dockey || c->total == 0)
            c->total++;
        c->last_dockey = dockey;
    } else {
        c->total++;
    }
    offer(c, score, r->seg->base + doc, dockey);
}

/* The floor of a scorer whose companions can add at most `others`: what
 * it must score above for a passage to beat theta, lowered by a margin
 * far above the rounding of the subtraction. */
static inline double floor_for(double th, double others)
{
    return th - others - 1e-9 * (th + others) - 1e-12;
}

/* Any root: block-max skipping on the root's own bounds. */
static void run_generic(segrun *r, ls_scorer *root)
{
    collector *c = r->c;
    uint32_t upto = 0, doc = ls_seek(root, 0);
    double bound = 0;
    int have_bound = 0;
    while (doc != LS_NO_DOC) {
        if (full(c)) {
            root->floor = root->floor_rest = floor_for(theta(c), 0);   /* theta only grows */
            root->floor_upto = LS_NO_DOC - 1;
            if (!have_bound || doc > upto) {
                bound = ls_block_max(root, doc, &upto);
                have_bound = 1;
            }
            if (bound <= theta(c)) {
                c->pruned = 1;
                if (upto >= LS_NO_DOC - 1)
                    break;
                doc = ls_seek(root, upto + 1);
                continue;
            }
        }
        if (!ls_deleted(r->seg->del, doc))
            found(r, doc, ls_score(root));
        doc = ls_next(root);
    }
    if (root->floored)
        c->pruned = 1;
}

/* The children of a root disjunction, flattened one level: a child that
 * is itself a plain disjunction (a word's body, title and exact-form keys)
 * gives its own children, so that MaxScore bounds each key separately.
 * grp[i] is the root child (the query clause) of flat child i; the
 * coordination counts distinct clauses. */
typedef struct flat {
    ls_scorer **kids;
    uint32_t *grp;
    int *dep;                 /* flat index of the child whose passages
                                 include this one's (ls_or_scorer_dep), or -1 */
    size_t n;
    int masks;                /* at most 64 clauses: distinct counts by mask */
} flat;

static int flatten(ls_scorer *root, flat *f, uint32_t *clauses, double *power)
{
    ls_scorer **top;
    size_t nr = ls_or_children(root, &top, clauses, power), n = 0;
    f->masks = nr <= 64;
    for (size_t i = 0; i < nr; i++) {
        ls_scorer **sub;
        uint32_t c;
        double pw;
        n += f->masks && ls_is_or(top[i]) && (ls_or_children(top[i], &sub, &c, &pw), c == 0)
                 ? ls_or_children(top[i], &sub, &c, &pw)
                 : 1;
    }
    f->kids = malloc(n * sizeof *f->kids);
    f->grp = malloc(n * sizeof *f->grp);
    f->dep = malloc(n * sizeof *f->dep);
    if (!f->kids || !f->grp || !f->dep)
        return -1;
    f->n = 0;
    for (size_t i = 0; i < nr; i++) {
        ls_scorer **sub;
        uint32_t c = 1;
        double pw;
        size_t ns = f->masks && ls_is_or(top[i]) ? ls_or_children(top[i], &sub, &c, &pw) : 0;
        if (ns && c == 0) {
            const int *dep = ls_or_deps(top[i]);
            size_t first = f->n;
            for (size_t k = 0; k < ns; k++) {
                f->kids[f->n] = sub[k];
                f->dep[f->n] = dep && dep[k] >= 0 ? (int)(first + (size_t)dep[k]) : -1;
                f->grp[f->n++] = (uint32_t)i;
            }
        } else {
            f->kids[f->n] = top[i];
            f->dep[f->n] = -1;
            f->grp[f->n++] = (uint32_t)i;
        }
    }
    return 0;
}

/* Clauses matched: the distinct clauses of mask, or beyond 64 clauses the
 * count of children matched. */
static inline uint32_t clause_count(const flat *f, uint64_t mask, uint32_t nkids)
{
    if (!f->masks)
        return nkids;
    uint32_t c = 0;
    for (; mask; mask &= mask - 1)   /* a few bits: no popcount call */
        c++;
    return c;
}

/* Distinct clauses among the flat children order[from .. to), but those
 * that cannot match in the window (dead[i]). */
static uint32_t distinct(const flat *f, const unsigned char *dead, const size_t *order,
                         size_t from, size_t to)
{
    uint64_t mask = 0;
    uint32_t c = 0;
    for (size_t k = from; k < to; k++)
        if (!dead[order[k]]) {
            mask |= f->masks ? 1ull << f->grp[order[k]] : 0;
            c++;
        }
    return clause_count(f, mask, c);
}

/* One part of a window's children (run_maxscore): the scorers, their
 * bounds in the window, their clause's bit (0 beyond 64 clauses) and
 * their flat index. */
typedef struct part {
    ls_scorer **k;
    double *b;
    uint64_t *bit;
    size_t *ix;
} part;

/* The children of p[0 .. n) at cand move on. */
static inline void advance_at(const part *p, size_t n, uint32_t cand)
{
    for (size_t e = 0; e < n; e++)
        if (p->k[e]->doc == cand)
            ls_next(p->k[e]);
}

/* The clauses of a live set (run_maxscore) that seen lacks. */
static inline uint32_t more_clauses(const flat *f, uint64_t set, uint64_t seen)
{
    return clause_count(f, set & ~seen, (uint32_t)set);
}

/* The most a passage can score when it matches some of the children whose
 * bounds are b[order[from .. to)]: at most all their bounds, times the
 * coordination of the range's distinct clauses (bounds are never negative
 * and the coordination grows with the clauses matched, so matching fewer
 * never scores more). */
static double subset_bound(const flat *f, const unsigned char *dead, const double *b,
                           const size_t *order, size_t from, size_t to, uint32_t clauses,
                           double power)
{
    if (from == to)
        return 0;
    double sum = 0;
    for (size_t k = from; k < to; k++)
        sum += b[order[k]];
    uint32_t g = clauses ? distinct(f, dead, order, from, to) : 0;
    return ls_inflate(sum * ls_coord(g, clauses, power));
}

/* Children that match only passages of an essential child (order[ness ..
 * n)) never need to propose candidates: move them to the non-essential
 * part (order[0 .. ness)), to be probed at candidates only. Returns the
 * new ness. */
static size_t demote_dependents(const flat *f, size_t *order, size_t ness)
{
    size_t n = f->n, w = ness;
    for (size_t e = ness; e < n; e++) {
        size_t i = order[e];
        int m = f->dep[i];
        if (m < 0)
            continue;
        int master_essential = 0;
        for (size_t x = ness; x < n; x++)
            master_essential |= order[x] == (size_t)m;
        if (!master_essential)
            continue;
        /* rotate order[w .. e] right by one: i goes to w */
        memmove(order + w + 1, order + w, (e - w) * sizeof *order);
        order[w++] = i;
    }
    return w;
}

/* With coordination, a clause whose children together cannot make a
 * passage enter when it is the only clause matched (their bounds times
 * coord(1)) may be non-essential as a whole: every passage that can enter
 * matches another clause too. When that spares more postings (by cost,
 * of the children not dead in the window) than the prefix found by bound,
 * order[] is rebuilt with that clause's children first (ascending bounds)
 * and its size returned; else ness. */
static size_t clause_non_essential(const flat *f, const unsigned char *dead, const double *bm,
                                   size_t *order, size_t ness, uint32_t clauses, double power,
                                   double th)
{
    size_t n = f->n;
    if (!f->masks || clauses < 2)
        return ness;
    uint64_t best_cost = 0;
    for (size_t e = 0; e < ness; e++)
        best_cost += dead[order[e]] ? 0 : f->kids[order[e]]->cost;
    size_t best_from = n, best_to = n;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double sum = 0;
        uint64_t cost = 0;
        for (; j < n && f->grp[j] == f->grp[i]; j++) {
            sum += bm[j];
            cost += dead[j] ? 0 : f->kids[j]->cost;
        }
        if (cost > best_cost && ls_inflate(sum * ls_coord(1, clauses, power)) <= th) {
            best_cost = cost;
            best_from = i;
            best_to = j;
        }
        i = j;
    }
    if (best_from == n)
        return ness;
    /* the clause's children first, then the others, each part in the
     * ascending order of bounds order[] had */
    size_t tmp[64], w = 0, m = 0;
    if (n > 64)
        return ness;
    for (size_t e = 0; e < n; e++)
        if (order[e] >= best_from && order[e] < best_to)
            tmp[w++] = order[e];
    m = w;
    for (size_t e = 0; e < n; e++)
        if (order[e] < best_from || order[e] >= best_to)
            tmp[w++] = order[e];
    memcpy(order, tmp, n * sizeof *order);
    return m;
}

/* A disjunction at the root: block-max MaxScore over its children. */
static int run_maxscore(segrun *r, ls_scorer *root)
{
    collector *c = r->c;
    flat f = {0};
    uint32_t clauses;
    double power;
    int bad = flatten(root, &f, &clauses, &power);
    size_t n = f.n;
    ls_scorer **kids = f.kids;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    /* contrib[i]: child i's score at the candidate, 0 when it does not
     * match (all 0 between candidates); gend[g]: the end of clause g's
     * children (they are contiguous) */
    double *bm = malloc((n ? n : 1) * sizeof *bm), *contrib = calloc(n ? n : 1, sizeof *contrib);
    size_t *gend = malloc((n ? n : 1) * sizeof *gend), ngroups = 0;
    /* dead[i]: child i has no passage in the window (its next one is past
     * it); es, ns: the window's essential and non-essential children; at a
     * candidate, live_sum[w] and live_set[w] are the bounds' sum and the
     * clauses (a mask; a count beyond 64 clauses) of the non-essential
     * children ns[w ..] that may still match there */
    unsigned char *dead = calloc(n ? n : 1, 1);
    double *live_sum = malloc((n + 1) * sizeof *live_sum);
    uint64_t *live_set = malloc((n + 1) * sizeof *live_set);
    size_t slot = sizeof(ls_scorer *) + sizeof(double) + sizeof(uint64_t) + sizeof(size_t);
    char *parts = malloc(2 * (n ? n : 1) * slot);
    part es = {0}, ns = {0};
    if (parts) {
        /* each array aligned: the slot sizes are multiples of 8 */
        char *p = parts;
        part *pp[2] = {&es, &ns};
        for (int h = 0; h < 2; h++) {
            pp[h]->k = (ls_scorer **)(void *)p;
            p += (n ? n : 1) * sizeof(ls_scorer *);
            pp[h]->b = (double *)(void *)p;
            p += (n ? n : 1) * sizeof(double);
            pp[h]->bit = (uint64_t *)(void *)p;
            p += (n ? n : 1) * sizeof(uint64_t);
            pp[h]->ix = (size_t *)(void *)p;
            p += (n ? n : 1) * sizeof(size_t);
        }
    }
    if (bad || !order || !bm || !contrib || !gend || !dead || !live_sum || !live_set || !parts) {
        free(parts);
        free(f.kids);
        free(f.grp);
        free(f.dep);
        free(order);
        free(bm);
        free(contrib);
        free(gend);
        free(dead);
        free(live_sum);
        free(live_set);
        return SRCH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (i + 1 == n || f.grp[i + 1] != f.grp[i])
            gend[ngroups++] = i + 1;
    for (size_t i = 0; i < n; i++)
        ls_seek(kids[i], 0);
    uint32_t doc = 0;
    for (;;) {
        /* the window [doc, upto] and its partition */
        uint32_t upto = LS_NO_DOC - 1;
        size_t ness = 0;     /* order[0 .. ness) are non-essential */
        int both = 0;        /* a candidate must match a non-essential child */
        int pruning = full(c);
        if (pruning) {
            for (size_t i = 0; i < n; i++) {
                uint32_t u;
                bm[i] = ls_block_max(kids[i], doc, &u);
                if (u < upto)
                    upto = u;
                order[i] = i;
            }
            /* a child already past the window scores nothing in it (the
             * rare word of two, between its passages) */
            for (size_t i = 0; i < n; i++)
                if ((dead[i] = kids[i]->doc > upto))
                    bm[i] = 0;
            /* insertion sort by bound, ascending */
            for (size_t i = 1; i < n; i++) {
                size_t k = order[i], j = i;
                while (j > 0 && bm[order[j - 1]] > bm[k]) {
                    order[j] = order[j - 1];
                    j--;
                }
                order[j] = k;
            }
            if (subset_bound(&f, dead, bm, order, 0, n, clauses, power) <= theta(c)) {
                c->pruned = 1;
                if (upto >= LS_NO_DOC - 1)
                    break;
                doc = upto + 1;
                continue;
            }
            /* the largest prefix of children that cannot make a passage
             * enter on their own */
            double psum = 0;
            uint64_t pset = 0;   /* the prefix's live clauses, as in live_set[] */
            while (ness < n) {
                size_t i = order[ness];
                double sum = psum + bm[i];
                uint64_t set = dead[i] ? pset : f.masks ? pset | 1ull << f.grp[i] : pset + 1;
                if (ls_inflate(sum * ls_coord(clauses ? clause_count(&f, set, (uint32_t)set) : 0,
                                              clauses, power)) > theta(c))
                    break;
                psum = sum;
                pset = set;
                ness++;
            }
            ness = clause_non_essential(&f, dead, bm, order, ness, clauses, power, theta(c));
            ness = demote_dependents(&f, order, ness);
            if (ness)
                c->pruned = 1;   /* passages only they match are not visited */
            /* when the essential children together cannot make a passage
             * enter, the candidates are the passages both parts match */
            both = ness && subset_bound(&f, dead, bm, order, ness, n, clauses, power) <= theta(c);
            /* each child's floor: theta minus the others' bounds in the
             * window, and their bounds over all passages after it */
            double all = 0, all_max = 0;
            for (size_t i = 0; i < n; i++) {
                all += bm[i];
                all_max += kids[i]->max;
            }
            for (size_t i = 0; i < n; i++) {
                kids[i]->floor = floor_for(theta(c), all - bm[i]);
                kids[i]->floor_rest = floor_for(theta(c), all_max - kids[i]->max);
                kids[i]->floor_upto = upto;
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                order[i] = i;
                bm[i] = kids[i]->max;
                dead[i] = 0;
            }
            ness = demote_dependents(&f, order, 0);
        }
        /* the two parts as the candidates use them: the essential
         * children, and the others largest bound first (the order they
         * are consulted in) */
        size_t ne = n - ness;
        for (size_t e = 0; e < ne; e++) {
            size_t i = order[ness + e];
            es.k[e] = kids[i];
            es.b[e] = bm[i];
            es.bit[e] = f.masks ? 1ull << f.grp[i] : 0;
            es.ix[e] = i;
        }
        for (size_t w = 0; w < ness; w++) {
            size_t i = order[ness - 1 - w];
            ns.k[w] = kids[i];
            ns.b[w] = bm[i];
            ns.bit[w] = f.masks ? 1ull << f.grp[i] : 0;
            ns.ix[w] = i;
        }
        /* candidates from the essential children */
        for (;;) {
            uint32_t cand = LS_NO_DOC;
            for (size_t e = 0; e < ne; e++) {
                ls_scorer *k = es.k[e];
                if (k->doc < doc)
                    ls_seek(k, doc);
                if (k->doc < cand)
                    cand = k->doc;
            }
            if (cand > upto) {
                /* also when the essential children are done: the others
                 * may score more after the window */
                doc = upto >= LS_NO_DOC - 1 ? LS_NO_DOC : upto + 1;
                break;
            }
            doc = cand + 1;
            if (ls_deleted(r->seg->del, cand)) {
                advance_at(&es, ne, cand);
                continue;
            }
            /* When the essential children at cand cannot make it enter on
             * their own (their bounds, whatever the scores), some
             * non-essential child must match too: look for one before
             * scoring anything (for two words, most candidates hold one
             * only, and a miss then costs a seek, not a scoring). */
            if (pruning && ness) {
                double eb = 0;
                uint64_t gm = 0;
                uint32_t nm = 0;
                for (size_t e = 0; e < ne; e++)
                    if (es.k[e]->doc == cand) {
                        eb += es.b[e];
                        gm |= es.bit[e];
                        nm++;
                    }
                uint32_t ng = clause_count(&f, gm, nm);
                /* the bounds and clauses of the non-essential children
                 * from the w-th on that may match at cand: not those
                 * already past it */
                live_sum[ness] = 0;
                live_set[ness] = 0;
                for (size_t w = ness; w-- > 0;) {
                    int live = ns.k[w]->doc <= cand;
                    live_sum[w] = live_sum[w + 1] + (live ? ns.b[w] : 0);
                    live_set[w] = f.masks ? live_set[w + 1] | (live ? ns.bit[w] : 0)
                                          : live_set[w + 1] + (uint64_t)live;
                }
                if (ls_inflate(eb * ls_coord(ng, clauses, power)) <= theta(c)) {
                    if (ls_inflate((eb + live_sum[0]) *
                                   ls_coord(ng + more_clauses(&f, live_set[0], gm), clauses,
                                            power)) <= theta(c)) {
                        /* not even with every child that may match */
                        c->pruned = 1;
                        advance_at(&es, ne, cand);
                        continue;
                    }
                    int any = 0;
                    for (size_t w = 0; w < ness && !any; w++) {
                        ls_scorer *k = ns.k[w];
                        if (k->doc < cand)
                            ls_seek(k, cand);
                        any = k->doc == cand;
                    }
                    if (!any) {
                        c->pruned = 1;
                        if (both) {
                            /* no non-essential child matches before the
                             * least of their passages: the essential ones
                             * skip there (within the window, whose
                             * partition holds only up to upto) */
                            uint32_t next = upto + 1;
                            for (size_t w = 0; w < ness; w++)
                                if (ns.k[w]->doc < next)
                                    next = ns.k[w]->doc;
                            if (next > doc)
                                doc = next;
                        }
                        advance_at(&es, ne, cand);
                        continue;
                    }
                }
            }
            /* every child at cand gets its contrib[] before the final sum */
            double ess = 0;
            uint64_t seen = 0;
            uint32_t nm = 0;   /* children matched so far */
            for (size_t e = 0; e < ne; e++)
                if (es.k[e]->doc == cand) {
                    ess += contrib[es.ix[e]] = ls_score(es.k[e]);
                    seen |= es.bit[e];
                    nm++;
                }
            size_t w = 0;
            for (; w < ness; w++) {
                /* at best every remaining child that may match does, with
                 * the clauses not matched yet */
                uint32_t matched = clause_count(&f, seen, nm);
                if (pruning &&
                    ls_inflate((ess + live_sum[w]) *
                               ls_coord(matched + more_clauses(&f, live_set[w], seen), clauses,
                                        power)) <= theta(c))
                    break;
                ls_scorer *k = ns.k[w];
                if (k->doc < cand)
                    ls_seek(k, cand);
                if (k->doc == cand) {
                    ess += contrib[ns.ix[w]] = ls_score(k);
                    seen |= ns.bit[w];
                    nm++;
                }
            }
            if (w < ness) {
                c->pruned = 1;
                for (size_t e = 0; e < ne; e++)
                    contrib[es.ix[e]] = 0;
                for (size_t x = 0; x < w; x++)
                    contrib[ns.ix[x]] = 0;
            } else {
                /* summed as the nested disjunctions would: each clause's
                 * children in order, then the clauses in order (the zeros
                 * of the children and clauses that do not match change no
                 * bit of the sums); matched counts the clauses that do */
                double score = 0;
                for (size_t g = 0, i = 0; g < ngroups; g++) {
                    double sub = 0;
                    for (; i < gend[g]; i++) {
                        sub += contrib[i];
                        contrib[i] = 0;
                    }
                    score += sub;
                }
                if (clauses)
                    score *= ls_coord(clause_count(&f, seen, nm), clauses, power);
                found(r, cand, score);
            }
            advance_at(&es, ne, cand);
            if (!pruning && full(c))
                break;   /* pruning can start: recompute the window */
        }
        if (doc == LS_NO_DOC)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        root->corrupt |= kids[i]->corrupt;
        if (kids[i]->floored)
            c->pruned = 1;
    }
    free(f.kids);
    free(f.grp);
    free(f.dep);
    free(order);
    free(bm);
    free(contrib);
    free(gend);
    free(dead);
    free(live_sum);
    free(live_set);
    free(parts);
    return SRCH_OK;
}

/* ----------------------------------------------------------------- results */

struct srch_results {
    srch_hit *hits;
    size_t n;
    uint64_t total;
    int exact;
    ls_arena arena;           /* every string of the hits */
};

SRCH_API size_t srch_results_count(const srch_results *res)
{
    return res ? res->n : 0;
}

SRCH_API const srch_hit *srch_results_hit(const srch_results *res, size_t i)
{
    return res && i < res->n ? &res->hits[i] : NULL;
}

SRCH_API uint64_t srch_results_total(const srch_results *res, int *is_exact)
{
    if (is_exact)
        *is_exact = res ? res->exact : 1;
    return res ? res->total : 0;
}

SRCH_API void srch_results_free(srch_results *res)
{
    if (!res)
        return;
    free(res->hits);
    ls_arena_free(&res->arena);
    free(res);
}

static int cmp_entries(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->gid > y->gid) - (x->gid < y->gid);
}

/* Fill a hit from the store. */
static int make_hit(srch_results *res, srch_reader *r, const srch_query *q, const ls_opts *o,
                    const entry *e, srch_hit *h, ls_buf *raw, ls_err *err)
{
    uint32_t local;
    const ls_rseg *s = ls_reader_locate(r, e->gid, &local);
    if (!s)
        return ls_err_set(err, SRCH_ERROR, "passage %u out of range", e->gid);
    char id[SRCH_MAX_ID_BYTES + 1];
    size_t id_len;
    uint32_t number;
    int rc = ls_store_id(&s->seg->store, local, id, sizeof id, &id_len, &number);
    if (rc != SRCH_OK)
        return ls_err_set(err, SRCH_ECORRUPT, "segment %s: malformed id table", s->seg->name);
    char *idc = ls_arena_strndup(&res->arena, id, id_len);
    if (!idc)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory");
    h->id = idc;
    h->passage = number;
    h->score = e->score;
    h->title = h->text = h->snippet = "";
    if (!o->stored)
        return SRCH_OK;
    ls_passage_rec pr;
    ls_doc_rec dr;
    if ((rc = ls_store_passage(&s->seg->store, local, raw, &pr, err)) != SRCH_OK)
        return rc;
    size_t text_len = pr.end - pr.start;
    char *text = ls_arena_strndup(&res->arena, pr.stored, text_len);
    if (!text)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory");
    h->text = text;
    h->text_len = text_len;
    h->start = pr.start;
    h->end = pr.end;
    if ((rc = ls_store_doc(&s->seg->store, pr.doc, raw, &dr, err)) != SRCH_OK)
        return rc;
    if (!(h->title = ls_arena_strndup(&res->arena, dr.title, dr.title_len)))
        return ls_err_set(err, SRCH_ENOMEM, "out of memory");
    if (o->snippets) {
        char *snip;
        if ((rc = ls_snippet(&snip, q, text, text_len, o->snippet_bytes, o->mark_open,
                             o->mark_close)) != SRCH_OK)
            return ls_err_set(err, rc, "out of memory making a snippet");
        h->snippet = ls_arena_strndup(&res->arena, snip, strlen(snip));
        free(snip);
        if (!h->snippet)
            return ls_err_set(err, SRCH_ENOMEM, "out of memory");
    }
    return SRCH_OK;
}

SRCH_API int srch_search(srch_results **out, srch_reader *r, const srch_query *q,
                         const srch_search_options *opts)
{
    ls_err err;
    ls_err_clear(&err);
    if (!out || !r || !q)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_search: NULL argument");
    *out = NULL;
    if (strcmp(q->language, r->man.language) != 0)
        return ls_err_set(NULL, SRCH_EINVAL,
                          "the query was analyzed for %s, the index is %s", q->language,
                          r->man.language);
    ls_opts o;
    int rc = ls_opts_from(&o, opts, &err);
    if (rc != SRCH_OK)
        return rc;
    srch_results *res = calloc(1, sizeof *res);
    if (!res)
        return ls_err_set(NULL, SRCH_ENOMEM, "out of memory");
    ls_arena_init(&res->arena, 16384);
    collector c = {0};
    c.cap = o.limit + o.offset;
    c.per_doc = o.per_document;
    c.exact_total = o.exact_total;
    c.heap = malloc(c.cap * sizeof *c.heap);
    ls_plan plan;
    int have_plan = 0;
    if (!c.heap) {
        rc = ls_err_set(&err, SRCH_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = ls_plan_init(&plan, r, q, &o, &err)) != SRCH_OK)
        goto done;
    have_plan = 1;
    for (size_t s = 0; s < r->nsegs && rc == SRCH_OK; s++) {
        ls_scorer *root;
        if ((rc = ls_plan_scorer(&plan, &r->segs[s], &root)) != SRCH_OK)
            break;
        if (!root)
            continue;
        segrun run = {&c, &r->segs[s], s};
        if (ls_is_or(root))
            rc = run_maxscore(&run, root);
        else
            run_generic(&run, root);
        if (rc == SRCH_OK && ls_scorer_corrupt(root))
            rc = ls_err_set(&err, SRCH_ECORRUPT, "segment %s: malformed postings",
                            r->segs[s].seg->name);
        else if (rc != SRCH_OK)
            rc = ls_err_set(&err, rc, "out of memory searching");
        ls_scorer_free(root);
    }
    if (rc != SRCH_OK)
        goto done;
    qsort(c.heap, c.n, sizeof *c.heap, cmp_entries);
    res->total = c.total;
    res->exact = !c.pruned;
    size_t first = o.offset < c.n ? o.offset : c.n;
    res->n = c.n - first;
    res->hits = calloc(res->n ? res->n : 1, sizeof *res->hits);
    if (!res->hits) {
        rc = ls_err_set(&err, SRCH_ENOMEM, "out of memory");
        goto done;
    }
    /* the hits' ids: their id blocks' loads overlapped, in two rounds */
    for (int stage = 0; stage < 2; stage++)
        for (size_t i = 0; i < res->n; i++) {
            uint32_t local;
            const ls_rseg *s = ls_reader_locate(r, c.heap[first + i].gid, &local);
            if (s)
                ls_store_id_prefetch(&s->seg->store, local, stage);
        }
    ls_buf raw = {0};
    for (size_t i = 0; i < res->n && rc == SRCH_OK; i++)
        rc = make_hit(res, r, q, &o, &c.heap[first + i], &res->hits[i], &raw, &err);
    ls_buf_free(&raw);
done:
    if (have_plan)
        ls_plan_free(&plan);
    free(c.heap);
    if (rc != SRCH_OK) {
        srch_results_free(res);
        return ls_err_set(NULL, rc, "%s", err.msg);
    }
    *out = res;
    return SRCH_OK;
}

SRCH_API int srch_search_text(srch_results **out, srch_reader *r, const char *text,
                              const srch_search_options *opts)
{
    if (!out || !r || !text)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_search_text: NULL argument");
    *out = NULL;
    srch_query *q;
    int rc = srch_query_parse(&q, text, r->man.language, opts ? opts->default_and : 0, NULL);
    if (rc != SRCH_OK)
        return rc;
    rc = srch_search(out, r, q, opts);
    srch_query_free(q);
    return rc;
}
