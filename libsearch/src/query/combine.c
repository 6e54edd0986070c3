/*
 * combine.c - scorers that combine others: disjunction (sum of the
 * children that match), conjunction (all must match), and the boolean
 * scorer of MUST / SHOULD / MUST NOT children (see scorer.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/scorer.h"

/* ------------------------------------------------------------ disjunction */

typedef struct or_scorer {
    ls_scorer base;
    ls_scorer **kids;
    size_t n;
    /* dep[i] >= 0: kid i matches only passages kid dep[i] matches (a
     * word's exact form and its stem): it never leads, and is moved only
     * to score a passage its master is on. NULL: none. */
    int *dep;
    int started;
    uint32_t clauses;         /* coordination over this many query clauses; 0: none */
    double power;
} or_scorer;

double ls_coord_pow(uint32_t matched, uint32_t clauses, double power)
{
    return pow((double)matched / (double)clauses, power);
}

static uint32_t or_min(or_scorer *o)
{
    uint32_t m = LS_NO_DOC;
    for (size_t i = 0; i < o->n; i++) {
        if (o->dep && o->dep[i] >= 0)
            continue;
        if (o->kids[i]->doc < m)
            m = o->kids[i]->doc;
        o->base.corrupt |= o->kids[i]->corrupt;
    }
    return o->base.doc = m;
}

static uint32_t or_seek(ls_scorer *s, uint32_t target)
{
    or_scorer *o = (or_scorer *)s;
    if (o->started && (s->doc == LS_NO_DOC || s->doc >= target))
        return s->doc;
    uint32_t m = LS_NO_DOC;
    int corrupt = 0;
    for (size_t i = 0; i < o->n; i++) {
        ls_scorer *k = o->kids[i];
        if (o->dep && o->dep[i] >= 0) {
            if (!o->started)   /* positioned once, then moved by or_score() */
                ls_seek(k, target);
            continue;
        }
        uint32_t d = !o->started || k->doc < target ? ls_seek(k, target) : k->doc;
        if (d < m)
            m = d;
        corrupt |= k->corrupt;
    }
    o->started = 1;
    o->base.corrupt |= corrupt;
    return o->base.doc = m;
}

static uint32_t or_next(ls_scorer *s)
{
    or_scorer *o = (or_scorer *)s;
    if (!o->started)
        return or_seek(s, 0);
    if (s->doc == LS_NO_DOC)
        return LS_NO_DOC;
    uint32_t d = s->doc;
    for (size_t i = 0; i < o->n; i++)
        if (o->kids[i]->doc == d && !(o->dep && o->dep[i] >= 0))
            ls_next(o->kids[i]);
    return or_min(o);
}

static double or_score(ls_scorer *s)
{
    or_scorer *o = (or_scorer *)s;
    double sum = 0;
    uint32_t m = 0;
    for (size_t i = 0; i < o->n; i++) {
        ls_scorer *k = o->kids[i];
        if (o->dep && o->dep[i] >= 0) {
            /* moved here only: a passage of its master's */
            if (o->kids[o->dep[i]]->doc != s->doc)
                continue;
            if (k->doc < s->doc)
                ls_seek(k, s->doc);
            o->base.corrupt |= k->corrupt;
        }
        if (k->doc == s->doc) {
            sum += ls_score(k);
            m++;
        }
    }
    return o->clauses ? sum * ls_coord(m, o->clauses, o->power) : sum;
}

static double or_block_max(ls_scorer *s, uint32_t target, uint32_t *upto)
{
    or_scorer *o = (or_scorer *)s;
    double sum = 0;
    uint32_t u = LS_NO_DOC - 1;
    for (size_t i = 0; i < o->n; i++) {
        uint32_t ku;
        sum += ls_block_max(o->kids[i], target, &ku);
        if (ku < u)
            u = ku;
    }
    *upto = u;
    return sum;
}

static void or_free(ls_scorer *s)
{
    or_scorer *o = (or_scorer *)s;
    for (size_t i = 0; i < o->n; i++)
        ls_scorer_free(o->kids[i]);
    free(o->kids);
    free(o->dep);
    free(o);
}

static const ls_scorer_vt or_vt = {or_next, or_seek, or_score, or_block_max, or_free};

static void free_kids(ls_scorer **kids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ls_scorer_free(kids[i]);
}

int ls_or_scorer(ls_scorer **out, ls_scorer **kids, size_t n)
{
    return ls_or_scorer_coord(out, kids, n, 0, 1.0);
}

int ls_or_scorer_coord(ls_scorer **out, ls_scorer **kids, size_t n, uint32_t clauses,
                       double power)
{
    *out = NULL;
    if (n == 1 && (clauses <= 1 || power == 0)) {
        *out = kids[0];
        return SRCH_OK;
    }
    or_scorer *o = calloc(1, sizeof *o);
    if (!o || !(o->kids = malloc((n ? n : 1) * sizeof *kids))) {
        free(o);
        free_kids(kids, n);
        return SRCH_ENOMEM;
    }
    memcpy(o->kids, kids, n * sizeof *kids);
    o->n = n;
    o->clauses = power > 0 ? clauses : 0;
    o->power = power;
    o->base.vt = &or_vt;
    for (size_t i = 0; i < n; i++) {
        o->base.max += kids[i]->max;
        o->base.cost += kids[i]->cost;
    }
    *out = &o->base;
    return SRCH_OK;
}

int ls_or_scorer_dep(ls_scorer **out, ls_scorer **kids, size_t n, const int *dep)
{
    int *d = NULL;
    int any = 0;
    for (size_t i = 0; i < n; i++)
        any |= dep[i] >= 0;
    if (any && n > 1) {
        if (!(d = malloc(n * sizeof *d))) {
            free_kids(kids, n);
            return SRCH_ENOMEM;
        }
        memcpy(d, dep, n * sizeof *d);
    }
    int rc = ls_or_scorer_coord(out, kids, n, 0, 1.0);
    if (rc != SRCH_OK || !d) {
        free(d);
        return rc;
    }
    or_scorer *o = (or_scorer *)*out;
    o->dep = d;
    return SRCH_OK;
}

const int *ls_or_deps(const ls_scorer *s)
{
    return ((const or_scorer *)s)->dep;
}

int ls_is_or(const ls_scorer *s)
{
    return s->vt == &or_vt;
}

size_t ls_or_children(ls_scorer *s, ls_scorer ***kids, uint32_t *clauses, double *power)
{
    or_scorer *o = (or_scorer *)s;
    *kids = o->kids;
    *clauses = o->clauses;
    *power = o->power;
    return o->n;
}

/* ------------------------------------------------------------ conjunction */

typedef struct and_scorer {
    ls_scorer base;
    ls_scorer **kids;         /* in the given order (for scoring) */
    ls_scorer **by_cost;      /* the rarest first (for iteration) */
    size_t n;
} and_scorer;

/* From the lead's current passage, find the next passage all share. */
static uint32_t and_align(and_scorer *a)
{
    ls_scorer *lead = a->by_cost[0];
    uint32_t d = lead->doc;
    for (;;) {
        if (d == LS_NO_DOC)
            break;
        size_t i = 1;
        for (; i < a->n; i++) {
            uint32_t di = ls_seek(a->by_cost[i], d);
            if (di != d) {
                d = di == LS_NO_DOC ? LS_NO_DOC : ls_seek(lead, di);
                break;
            }
        }
        if (i == a->n)
            break;
    }
    for (size_t i = 0; i < a->n; i++)
        a->base.corrupt |= a->kids[i]->corrupt;
    return a->base.doc = d;
}

static uint32_t and_next(ls_scorer *s)
{
    and_scorer *a = (and_scorer *)s;
    if (s->doc == LS_NO_DOC)
        return LS_NO_DOC;
    ls_next(a->by_cost[0]);
    return and_align(a);
}

static uint32_t and_seek(ls_scorer *s, uint32_t target)
{
    and_scorer *a = (and_scorer *)s;
    ls_seek(a->by_cost[0], target);
    return and_align(a);
}

static double and_score(ls_scorer *s)
{
    and_scorer *a = (and_scorer *)s;
    double sum = 0;
    for (size_t i = 0; i < a->n; i++)
        sum += ls_score(a->kids[i]);
    return sum;
}

static double and_block_max(ls_scorer *s, uint32_t target, uint32_t *upto)
{
    and_scorer *a = (and_scorer *)s;
    double sum = 0;
    uint32_t u = LS_NO_DOC - 1;
    for (size_t i = 0; i < a->n; i++) {
        uint32_t ku;
        sum += ls_block_max(a->kids[i], target, &ku);
        if (ku < u)
            u = ku;
    }
    *upto = u;
    return sum;
}

static void and_free(ls_scorer *s)
{
    and_scorer *a = (and_scorer *)s;
    for (size_t i = 0; i < a->n; i++)
        ls_scorer_free(a->kids[i]);
    free(a->kids);
    free(a->by_cost);
    free(a);
}

static const ls_scorer_vt and_vt = {and_next, and_seek, and_score, and_block_max, and_free};

static int by_cost(const void *x, const void *y)
{
    const ls_scorer *a = *(ls_scorer *const *)x, *b = *(ls_scorer *const *)y;
    return (a->cost > b->cost) - (a->cost < b->cost);
}

int ls_and_scorer(ls_scorer **out, ls_scorer **kids, size_t n)
{
    *out = NULL;
    if (n == 1) {
        *out = kids[0];
        return SRCH_OK;
    }
    and_scorer *a = calloc(1, sizeof *a);
    if (!a || !(a->kids = malloc(n * sizeof *kids)) || !(a->by_cost = malloc(n * sizeof *kids))) {
        if (a)
            free(a->kids);
        free(a);
        free_kids(kids, n);
        return SRCH_ENOMEM;
    }
    memcpy(a->kids, kids, n * sizeof *kids);
    memcpy(a->by_cost, kids, n * sizeof *kids);
    qsort(a->by_cost, n, sizeof *kids, by_cost);
    a->n = n;
    a->base.vt = &and_vt;
    a->base.cost = a->by_cost[0]->cost;
    for (size_t i = 0; i < n; i++)
        a->base.max += kids[i]->max;
    *out = &a->base;
    return SRCH_OK;
}

/* ---------------------------------------------------------------- boolean */

typedef struct bool_scorer {
    ls_scorer base;
    ls_scorer *drive;         /* the MUST conjunction, or the SHOULD disjunction */
    int has_must;
    uint32_t nmust, clauses;  /* coordination (with a MUST): clauses in the query */
    double power;
    ls_scorer **should;       /* with a MUST: optional extra scores */
    size_t nshould;
    ls_scorer **not;
    size_t nnot;
} bool_scorer;

static int excluded(bool_scorer *b, uint32_t d)
{
    for (size_t i = 0; i < b->nnot; i++)
        if (ls_seek(b->not[i], d) == d)
            return 1;
    return 0;
}

static uint32_t bool_settle(bool_scorer *b, uint32_t d)
{
    while (d != LS_NO_DOC && excluded(b, d))
        d = ls_next(b->drive);
    b->base.corrupt |= b->drive->corrupt;
    for (size_t i = 0; i < b->nnot; i++)
        b->base.corrupt |= b->not[i]->corrupt;
    return b->base.doc = d;
}

static uint32_t bool_next(ls_scorer *s)
{
    bool_scorer *b = (bool_scorer *)s;
    return bool_settle(b, ls_next(b->drive));
}

static uint32_t bool_seek(ls_scorer *s, uint32_t target)
{
    bool_scorer *b = (bool_scorer *)s;
    return bool_settle(b, ls_seek(b->drive, target));
}

static double bool_score(ls_scorer *s)
{
    bool_scorer *b = (bool_scorer *)s;
    double sum = ls_score(b->drive);
    uint32_t m = b->nmust;
    for (size_t i = 0; i < b->nshould; i++) {
        ls_scorer *k = b->should[i];
        if (k->doc <= s->doc)   /* also starts a child not yet positioned */
            ls_seek(k, s->doc);
        if (k->doc == s->doc) {
            sum += ls_score(k);
            m++;
        }
        b->base.corrupt |= k->corrupt;
    }
    return b->has_must && b->clauses ? sum * ls_coord(m, b->clauses, b->power) : sum;
}

static double bool_block_max(ls_scorer *s, uint32_t target, uint32_t *upto)
{
    bool_scorer *b = (bool_scorer *)s;
    double sum = ls_block_max(b->drive, target, upto);
    for (size_t i = 0; i < b->nshould; i++) {
        uint32_t u;
        sum += ls_block_max(b->should[i], target, &u);
        if (u < *upto)
            *upto = u;
    }
    return sum;
}

static void bool_free(ls_scorer *s)
{
    bool_scorer *b = (bool_scorer *)s;
    ls_scorer_free(b->drive);
    free_kids(b->should, b->nshould);
    free_kids(b->not, b->nnot);
    free(b->should);
    free(b->not);
    free(b);
}

static const ls_scorer_vt bool_vt = {bool_next, bool_seek, bool_score, bool_block_max, bool_free};

int ls_bool_scorer(ls_scorer **out, ls_scorer *must, ls_scorer **should, size_t nshould,
                   ls_scorer **not, size_t nnot)
{
    return ls_bool_scorer_coord(out, must, 0, should, nshould, not, nnot, 0, 1.0);
}

int ls_bool_scorer_coord(ls_scorer **out, ls_scorer *must, uint32_t nmust, ls_scorer **should,
                         size_t nshould, ls_scorer **not, size_t nnot, uint32_t clauses,
                         double power)
{
    *out = NULL;
    bool_scorer *b = calloc(1, sizeof *b);
    int rc = SRCH_OK;
    if (!b) {
        ls_scorer_free(must);
        free_kids(should, nshould);
        free_kids(not, nnot);
        return SRCH_ENOMEM;
    }
    b->base.vt = &bool_vt;
    b->nmust = nmust;
    b->clauses = power > 0 ? clauses : 0;
    b->power = power;
    if (nnot && !(b->not = malloc(nnot * sizeof *not)))
        goto oom;
    if (nnot)
        memcpy(b->not, not, nnot * sizeof *not);
    b->nnot = nnot;
    nnot = 0;
    if (must) {
        b->drive = must;
        b->has_must = 1;
        must = NULL;
        if (nshould && !(b->should = malloc(nshould * sizeof *should)))
            goto oom;
        if (nshould)
            memcpy(b->should, should, nshould * sizeof *should);
        b->nshould = nshould;
        nshould = 0;
    } else {
        rc = ls_or_scorer_coord(&b->drive, should, nshould, clauses, power);
        nshould = 0;
        if (rc != SRCH_OK)
            goto oom;
    }
    b->base.max = b->drive->max;
    for (size_t i = 0; i < b->nshould; i++)
        b->base.max += b->should[i]->max;
    b->base.cost = b->drive->cost;
    if (!b->nnot && !b->nshould && (!b->has_must || !b->clauses || b->nmust >= b->clauses)) {
        /* nothing to add: the driver itself */
        *out = b->drive;
        b->drive = NULL;
        bool_free(&b->base);
        return SRCH_OK;
    }
    *out = &b->base;
    return SRCH_OK;
oom:
    ls_scorer_free(must);
    free_kids(should, nshould);
    free_kids(not, nnot);
    bool_free(&b->base);
    return SRCH_ENOMEM;
}
