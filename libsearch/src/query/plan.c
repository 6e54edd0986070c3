/*
 * plan.c - weights, prefix expansion, and the scorer tree of a query for
 * each segment (see plan.h).
 */
#include "query/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define DEFAULT_LIMIT 10
#define DEFAULT_K1 1.2
#define DEFAULT_B 0.75
/* Tuned on known-item queries over the Littré passages (bench/eval):
 * success@10 76.0% with title 1.0, exact 0.3 and no coordination, 84.7%
 * with these. */
#define DEFAULT_TITLE_WEIGHT 0.3
#define DEFAULT_EXACT_WEIGHT 1.0
#define DEFAULT_COORDINATION 1.0
#define DEFAULT_EXPANSION 1024
#define DEFAULT_SNIPPET 180

int ls_opts_from(ls_opts *o, const srch_search_options *opts, ls_err *err)
{
    srch_search_options d = SRCH_SEARCH_OPTIONS_INIT;
    if (!opts)
        opts = &d;
    if (opts->version < 1 || opts->version > SRCH_SEARCH_OPTIONS_VERSION)
        return ls_err_set(err, SRCH_EINVAL, "srch_search_options: unknown version %u",
                          opts->version);
    memset(o, 0, sizeof *o);
    o->limit = opts->limit ? opts->limit : DEFAULT_LIMIT;
    o->offset = opts->offset;
    if (o->limit > 1000000 || o->offset > 1000000)
        return ls_err_set(err, SRCH_EINVAL, "limit and offset are at most 1000000");
    o->default_and = opts->default_and;
    o->per_document = opts->per_document;
    o->fields = opts->fields & (SRCH_FIELD_BODY | SRCH_FIELD_TITLE);
    if (!o->fields)
        o->fields = SRCH_FIELD_BODY | SRCH_FIELD_TITLE;
    o->k1 = opts->k1 > 0 ? opts->k1 : DEFAULT_K1;
    o->b = opts->b > 0 ? opts->b : DEFAULT_B;
    if (o->b > 1)
        return ls_err_set(err, SRCH_EINVAL, "BM25 b must be within [0, 1]");
    o->title_weight = opts->title_weight >= 0 ? opts->title_weight : DEFAULT_TITLE_WEIGHT;
    o->exact_weight = opts->exact_weight >= 0 ? opts->exact_weight : DEFAULT_EXACT_WEIGHT;
    o->coord = opts->coordination >= 0 ? opts->coordination : DEFAULT_COORDINATION;
    if (o->coord > 10)
        return ls_err_set(err, SRCH_EINVAL, "coordination must be within [0, 10]");
    o->max_expansion = opts->max_expansion ? opts->max_expansion : DEFAULT_EXPANSION;
    o->exact_total = opts->exact_total;
    o->stored = opts->stored;
    o->snippets = opts->stored && opts->snippets;
    o->snippet_bytes = opts->snippet_bytes ? opts->snippet_bytes : DEFAULT_SNIPPET;
    o->mark_open = opts->mark_open ? opts->mark_open : "<b>";
    o->mark_close = opts->mark_close ? opts->mark_close : "</b>";
    return SRCH_OK;
}

/* ------------------------------------------------------------- weights */

/* What the plan knows of a key: its idf over the snapshot, and its term
 * info in each segment (df 0: absent), looked up once per search. */
typedef struct key_info {
    double idf;
    uint64_t df;              /* live passages with the key */
    ls_term_info ti[];
} key_info;

/* The key's entry from its term infos in every segment (tis[i].df == 0:
 * absent from segment i). */
static int key_info_add(ls_plan *p, const unsigned char *key, size_t klen,
                        const ls_term_info *tis, key_info **out)
{
    size_t nsegs = p->r->nsegs;
    key_info *ki = ls_arena_alloc(&p->idf.arena, sizeof *ki + nsegs * sizeof ki->ti[0]);
    if (!ki)
        return ls_err_set(p->err, SRCH_ENOMEM, "out of memory planning a query");
    memcpy(ki->ti, tis, nsegs * sizeof *tis);
    int rc = ls_reader_tis_df(p->r, key, klen, ki->ti, &ki->df, p->err);
    if (rc != SRCH_OK)
        return rc;
    ki->idf = ls_bm25_idf(ki->df, p->n);
    int inserted;
    ls_strmap_slot *s = ls_strmap_upsert(&p->idf, (const char *)key, klen, &inserted);
    if (!s)
        return ls_err_set(p->err, SRCH_ENOMEM, "out of memory planning a query");
    s->value = ki;
    if (out)
        *out = ki;
    return SRCH_OK;
}

static int key_info_of(ls_plan *p, const unsigned char *key, size_t klen, key_info **out)
{
    ls_strmap_slot *s = ls_strmap_find(&p->idf, (const char *)key, klen);
    if (s) {
        *out = s->value;
        return SRCH_OK;
    }
    size_t nsegs = p->r->nsegs;
    ls_term_info one[8], *tis = nsegs <= 8 ? one : calloc(nsegs, sizeof *tis);
    if (!tis)
        return ls_err_set(p->err, SRCH_ENOMEM, "out of memory planning a query");
    int rc = ls_reader_lookup(p->r, key, klen, tis, p->err);
    if (rc == SRCH_OK)
        rc = key_info_add(p, key, klen, tis, out);
    if (tis != one)
        free(tis);
    return rc;
}

/* The keys of the query's words and phrases, looked up together in each
 * segment before any scorer is made: the term dictionary's memory loads of
 * all of them overlap (ls_termdict_get_batch), and the postings headers of
 * those found start loading. Prefixes are expanded apart. */
#define BATCH_KEYS 64
typedef struct keyset {
    unsigned char buf[BATCH_KEYS * 48];
    const unsigned char *key[BATCH_KEYS];
    size_t len[BATCH_KEYS], used, n;
} keyset;

static void keyset_add(ls_plan *p, keyset *ks, unsigned char field, const char *s, size_t n,
                       double boost)
{
    if (boost <= 0 || ks->n == BATCH_KEYS || ks->used + n + 1 > sizeof ks->buf)
        return;
    unsigned char *k = ks->buf + ks->used;
    k[0] = field;
    memcpy(k + 1, s, n);
    for (size_t i = 0; i < ks->n; i++)
        if (ks->len[i] == n + 1 && memcmp(ks->key[i], k, n + 1) == 0)
            return;
    if (ls_strmap_find(&p->idf, (const char *)k, n + 1))
        return;
    ks->key[ks->n] = k;
    ks->len[ks->n++] = n + 1;
    ks->used += n + 1;
}

/* Which words of a phrase start a pair (index/pairs.h): is_pair[i] when
 * words i and i + 1 stand side by side and one of them is common. Returns
 * the number of pairs. */
static size_t phrase_pairs(const ls_plan *p, const qnode *n, unsigned char *is_pair)
{
    size_t np = 0;
    for (size_t i = 0; i < n->ntoks; i++) {
        const qtoken *a = &n->toks[i], *b = &n->toks[i + 1];
        is_pair[i] = p->pairs && i + 1 < n->ntoks &&
                     ls_pairs_join(ls_pairs_common(p->pairs, a->term, a->term_len),
                                   ls_pairs_common(p->pairs, b->term, b->term_len), a->pos, b->pos,
                                   a->term_len, b->term_len);
        np += is_pair[i];
    }
    return np;
}

static void keyset_add_pairs(ls_plan *p, keyset *ks, const qnode *n)
{
    unsigned char is_pair[64], key[LS_MAX_TERM_BYTES];
    if (n->ntoks > sizeof is_pair || !phrase_pairs(p, n, is_pair))
        return;
    for (size_t i = 0; i + 1 < n->ntoks; i++) {
        const qtoken *a = &n->toks[i], *b = &n->toks[i + 1];
        if (is_pair[i]) {
            size_t kl = ls_pairs_key(key, a->term, a->term_len, b->term, b->term_len);
            keyset_add(p, ks, key[0], (const char *)key + 1, kl - 1, 1);
        }
    }
}

static void keyset_collect(ls_plan *p, keyset *ks, const qnode *n)
{
    if (!n)
        return;
    int f = n->fields ? n->fields : p->fields;
    switch (n->type) {
    case Q_TERM:
    case Q_PHRASE:
        for (size_t i = 0; i < n->ntoks; i++) {
            const qtoken *t = &n->toks[i];
            if (f & SRCH_FIELD_BODY)
                keyset_add(p, ks, LS_FIELD_BODY, t->term, t->term_len, 1);
            if (f & SRCH_FIELD_TITLE)
                keyset_add(p, ks, LS_FIELD_TITLE, t->term, t->term_len, p->title_weight);
            if (n->type == Q_TERM && (f & SRCH_FIELD_BODY))
                keyset_add(p, ks, LS_FIELD_WORD, t->word, t->word_len, p->exact_weight);
        }
        if (n->type == Q_PHRASE && (f & SRCH_FIELD_BODY))
            keyset_add_pairs(p, ks, n);
        break;
    case Q_PREFIX:
        break;
    default:
        for (size_t i = 0; i < n->nkids; i++)
            keyset_collect(p, ks, n->kids[i]);
    }
}

static int prefetch_keys(ls_plan *p)
{
    keyset *ks = malloc(sizeof *ks);
    if (!ks)
        return ls_err_set(p->err, SRCH_ENOMEM, "out of memory planning a query");
    ks->used = ks->n = 0;
    keyset_collect(p, ks, p->q->root);
    size_t nsegs = p->r->nsegs, n = ks->n;
    int rc = SRCH_OK;
    if (n == 0 || nsegs == 0) {
        free(ks);
        return rc;
    }
    ls_term_info *tis = calloc(n * nsegs, sizeof *tis);
    ls_term_info *row = calloc(n, sizeof *row);
    signed char *found = calloc(n, 1);
    if (!tis || !row || !found)
        rc = ls_err_set(p->err, SRCH_ENOMEM, "out of memory planning a query");
    for (size_t s = 0; s < nsegs && rc == SRCH_OK; s++) {
        const ls_segment *seg = p->r->segs[s].seg;
        if (ls_termdict_get_batch(&seg->td, ks->key, ks->len, n, row, found) != 0) {
            rc = ls_err_set(p->err, SRCH_ECORRUPT, "segment %s: malformed term dictionary",
                            seg->name);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (found[i] == 1) {
                tis[i * nsegs + s] = row[i];
                if (row[i].df > 1)   /* the postings header and skip entries */
                    __builtin_prefetch(seg->maps[1].data + row[i].doc_off);
            }
        }
    }
    for (size_t i = 0; i < n && rc == SRCH_OK; i++)
        rc = key_info_add(p, ks->key[i], ks->len[i], &tis[i * nsegs], NULL);
    free(tis);
    free(row);
    free(found);
    free(ks);
    return rc;
}

int ls_plan_key(ls_plan *p, const unsigned char *key, size_t klen, const ls_rseg *seg,
                uint64_t *df, ls_term_info *ti)
{
    key_info *ki;
    int rc = key_info_of(p, key, klen, &ki);
    if (rc != SRCH_OK)
        return rc;
    *df = ki->df;
    *ti = ki->ti[seg - p->r->segs];
    return SRCH_OK;
}

int ls_plan_weights(ls_plan *p, const unsigned char *key, size_t klen, double boost,
                    int field, ls_bm25 *w)
{
    key_info *ki;
    int rc = key_info_of(p, key, klen, &ki);
    if (rc != SRCH_OK)
        return rc;
    ls_bm25_init(w, ki->idf, boost, p->k1, p->b, p->avglen[field]);
    return SRCH_OK;
}

/* ------------------------------------------------------------- prefixes */

/* The words of a prefix in one field, scored as one term (query/group.c)
 * whose passages are the union of theirs: the union's size is estimated
 * from the words' document frequencies as if they were independent,
 * df = N (1 - prod(1 - df_i / N)), from the snapshot's statistics only, so
 * that scores do not depend on the segmentation. */
typedef struct expansion {
    const qnode *node;
    unsigned char field;
    char **keys;
    size_t n;
    double df, idf;
} expansion;

typedef struct plan_ext {
    expansion *v;
    size_t n, cap;
} plan_ext;

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int expand(ls_plan *p, const qnode *n, unsigned char field, plan_ext *x)
{
    unsigned char pre[LS_MAX_TERM_BYTES];
    size_t plen = n->prefix_len + 1;
    if (plen > sizeof pre)
        return ls_err_set(p->err, SRCH_EINVAL, "prefix too long");
    pre[0] = field;
    memcpy(pre + 1, n->prefix, n->prefix_len);
    ls_strmap seen;
    if (ls_strmap_init(&seen, 64) != 0)
        return ls_err_set(p->err, SRCH_ENOMEM, "out of memory expanding a prefix");
    int rc = SRCH_OK;
    for (size_t s = 0; s < p->r->nsegs && rc == SRCH_OK; s++) {
        ls_term_iter it;
        ls_term_iter_seek(&it, &p->r->segs[s].seg->td, pre, plen);
        int more;
        while ((more = ls_term_iter_next(&it)) > 0 && it.klen >= plen &&
               memcmp(it.key, pre, plen) == 0) {
            int inserted;
            ls_strmap_slot *slot = ls_strmap_upsert(&seen, (const char *)it.key, it.klen,
                                                    &inserted);
            if (!slot) {
                rc = ls_err_set(p->err, SRCH_ENOMEM, "out of memory expanding a prefix");
                break;
            }
            uint64_t df;   /* live passages with the word in this segment */
            if ((rc = ls_reader_seg_df(p->r, s, it.key, it.klen, &it.ti, &df, p->err)) !=
                SRCH_OK)
                break;
            slot->value = (void *)((uintptr_t)slot->value + (uintptr_t)df);
            if (seen.count > p->max_expansion) {
                rc = ls_err_set(p->err, SRCH_ELIMIT,
                                "prefix '%.*s*' matches more than %zu words: make it longer",
                                (int)n->prefix_len, n->prefix, p->max_expansion);
                break;
            }
        }
        if (more < 0 && rc == SRCH_OK)
            rc = ls_err_set(p->err, SRCH_ECORRUPT, "segment %s: malformed term dictionary",
                            p->r->segs[s].seg->name);
    }
    if (rc == SRCH_OK) {
        if (x->n == x->cap) {
            size_t cap = x->cap ? x->cap * 2 : 4;
            expansion *v = realloc(x->v, cap * sizeof *v);
            if (!v) {
                ls_strmap_free(&seen);
                return ls_err_set(p->err, SRCH_ENOMEM, "out of memory expanding a prefix");
            }
            x->v = v;
            x->cap = cap;
        }
        expansion *e = &x->v[x->n];
        e->node = n;
        e->field = field;
        e->n = 0;
        e->keys = calloc(seen.count ? seen.count : 1, sizeof *e->keys);
        for (size_t i = 0; e->keys && i <= seen.mask; i++)
            if (seen.slots[i].key && !(e->keys[e->n++] = strdup(seen.slots[i].key)))
                rc = SRCH_ENOMEM;
        if (!e->keys || rc != SRCH_OK) {
            for (size_t i = 0; e->keys && i < e->n; i++)
                free(e->keys[i]);
            free(e->keys);
            ls_strmap_free(&seen);
            return ls_err_set(p->err, SRCH_ENOMEM, "out of memory expanding a prefix");
        }
        qsort(e->keys, e->n, sizeof *e->keys, cmp_keys);
        /* the union's estimated size, in key order (the same sum always) */
        double n_live = (double)p->n, log_out = 0;
        for (size_t i = 0; i < e->n; i++) {
            ls_strmap_slot *slot = ls_strmap_find(&seen, e->keys[i], strlen(e->keys[i]));
            double df = (double)(uintptr_t)slot->value;
            log_out += df >= n_live ? -INFINITY : log1p(-df / n_live);
        }
        e->df = n_live * -expm1(log_out);
        if (e->df > n_live)
            e->df = n_live;
        if (!(e->df > 0))   /* no word, or -0 */
            e->df = 0;
        e->idf = log(1.0 + (n_live - e->df + 0.5) / (e->df + 0.5));
        x->n++;
    }
    ls_strmap_free(&seen);
    return rc;
}

static int field_mask(const ls_plan *p, const qnode *n)
{
    return n->fields ? n->fields : p->fields;
}

static int expand_all(ls_plan *p, const qnode *n, plan_ext *x)
{
    if (!n)
        return SRCH_OK;
    if (n->type == Q_PREFIX) {
        int f = field_mask(p, n), rc = SRCH_OK;
        if (f & SRCH_FIELD_BODY)
            rc = expand(p, n, LS_FIELD_WORD, x);
        if (rc == SRCH_OK && (f & SRCH_FIELD_TITLE))
            rc = expand(p, n, LS_FIELD_TITLE_WORD, x);
        return rc;
    }
    for (size_t i = 0; i < n->nkids; i++) {
        int rc = expand_all(p, n->kids[i], x);
        if (rc != SRCH_OK)
            return rc;
    }
    return SRCH_OK;
}

int ls_plan_init(ls_plan *p, srch_reader *r, const srch_query *q, const ls_opts *o,
                 ls_err *err)
{
    memset(p, 0, sizeof *p);
    p->r = r;
    p->q = q;
    p->err = err;
    p->k1 = o->k1;
    p->b = o->b;
    p->title_weight = o->title_weight;
    p->exact_weight = o->exact_weight;
    p->coord = o->coord;
    p->fields = o->fields;
    p->max_expansion = o->max_expansion;
    p->pairs = ls_pairs_for(r->man.language);
    p->n = r->live_passages;
    for (int f = 0; f < LS_NORM_FIELDS; f++)
        p->avglen[f] = ls_reader_avg_len(r, f);
    if (ls_strmap_init(&p->idf, 64) != 0)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory planning a query");
    plan_ext *x = p->ext = calloc(1, sizeof *x);
    if (!x) {
        ls_strmap_free(&p->idf);
        return ls_err_set(err, SRCH_ENOMEM, "out of memory planning a query");
    }
    int rc = prefetch_keys(p);
    if (rc == SRCH_OK)
        rc = expand_all(p, q->root, x);
    if (rc != SRCH_OK)
        ls_plan_free(p);
    return rc;
}

void ls_plan_free(ls_plan *p)
{
    plan_ext *x = p->ext;
    p->ext = NULL;
    if (x) {
        for (size_t i = 0; i < x->n; i++) {
            for (size_t k = 0; k < x->v[i].n; k++)
                free(x->v[i].keys[k]);
            free(x->v[i].keys);
        }
        free(x->v);
        free(x);
    }
    if (p->idf.slots)
        ls_strmap_free(&p->idf);
}

/* ------------------------------------------------------------- scorers */

/* A term scorer for key in this segment, or NULL (absent) */
static int key_scorer(ls_plan *p, const ls_rseg *seg, const unsigned char *key, size_t klen,
                      double boost, ls_scorer **out)
{
    *out = NULL;
    if (boost <= 0)
        return SRCH_OK;
    key_info *ki;
    int rc = key_info_of(p, key, klen, &ki);
    if (rc != SRCH_OK)
        return rc;
    const ls_term_info *ti = &ki->ti[seg - p->r->segs];
    if (ti->df == 0)
        return SRCH_OK;
    int field = ls_field_norm(key[0]);
    ls_bm25 w;
    ls_bm25_init(&w, ki->idf, boost, p->k1, p->b, p->avglen[field]);
    return ls_term_scorer(out, seg->seg, seg->del, key, klen, ti, &w, field, p->err);
}

static size_t make_key(unsigned char *key, unsigned char field, const char *s, size_t n)
{
    key[0] = field;
    memcpy(key + 1, s, n);
    return n + 1;
}

static int node_scorer(ls_plan *p, const ls_rseg *seg, const qnode *n, ls_scorer **out);

/* Collects non-NULL scorers; frees them all on failure. */
typedef struct kids {
    ls_scorer **v;
    size_t n, cap;
} kids;

static int kids_add(kids *k, ls_scorer *s)
{
    if (!s)
        return SRCH_OK;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        ls_scorer **v = realloc(k->v, cap * sizeof *v);
        if (!v) {
            ls_scorer_free(s);
            return SRCH_ENOMEM;
        }
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = s;
    return SRCH_OK;
}

static void kids_free(kids *k)
{
    for (size_t i = 0; i < k->n; i++)
        ls_scorer_free(k->v[i]);
    free(k->v);
    k->v = NULL;
    k->n = 0;
}

/* The disjunction of the collected scorers (a single one as it is, none:
 * *out stays NULL); on rc != SRCH_OK they are freed and rc returned. */
static int kids_or(kids *k, int rc, ls_scorer **out)
{
    if (rc != SRCH_OK || k->n == 0) {
        kids_free(k);
        return rc;
    }
    rc = ls_or_scorer(out, k->v, k->n);
    free(k->v);
    k->v = NULL;
    k->n = 0;
    return rc;
}

static int term_node(ls_plan *p, const ls_rseg *seg, const qnode *n, ls_scorer **out)
{
    const qtoken *t = &n->toks[0];
    int f = field_mask(p, n);
    unsigned char key[LS_MAX_TERM_BYTES];
    kids k = {0};
    ls_scorer *s;
    int rc = SRCH_OK;
    if (t->term_len + 1 > sizeof key || t->word_len + 1 > sizeof key)
        return SRCH_OK;
    int body = -1;            /* index of B:term among the kids */
    if (f & SRCH_FIELD_BODY) {
        rc = key_scorer(p, seg, key, make_key(key, LS_FIELD_BODY, t->term, t->term_len), 1, &s);
        if (rc == SRCH_OK && s)
            body = (int)k.n;
        if (rc == SRCH_OK)
            rc = kids_add(&k, s);
    }
    if (rc == SRCH_OK && (f & SRCH_FIELD_TITLE)) {
        rc = key_scorer(p, seg, key, make_key(key, LS_FIELD_TITLE, t->term, t->term_len),
                        p->title_weight, &s);
        if (rc == SRCH_OK)
            rc = kids_add(&k, s);
    }
    int dep[3] = {-1, -1, -1};
    if (rc == SRCH_OK && (f & SRCH_FIELD_BODY)) {
        size_t klen = make_key(key, LS_FIELD_WORD, t->word, t->word_len);
        rc = key_scorer(p, seg, key, klen, p->exact_weight, &s);
        /* The exact form's passages are among its stem's when every
         * occurrence in the segment stems to the query's term (a prefix of
         * the word): it then never needs to lead. */
        if (rc == SRCH_OK && s && body >= 0 && ls_term_scorer_stem_len(s) == t->term_len &&
            t->term_len <= t->word_len && memcmp(t->word, t->term, t->term_len) == 0) {
            /* and when they are the very same passages and frequencies (the
             * word is the only form of its stem here), one list scores both */
            if (ls_term_scorer_absorb(k.v[body], s)) {
                ls_scorer_free(s);
                s = NULL;
            } else {
                dep[k.n] = body;
            }
        }
        if (rc == SRCH_OK)
            rc = kids_add(&k, s);
    }
    if (rc != SRCH_OK || k.n < 2 || (dep[1] < 0 && dep[2] < 0))
        return kids_or(&k, rc, out);
    rc = ls_or_scorer_dep(out, k.v, k.n, dep);
    free(k.v);
    return rc;
}

/* The phrase of node n (a Q_TERM is a phrase of one) in one field. In the
 * body of a segment indexed with the plan's common words, each pair of the
 * phrase (phrase_pairs) is one key at the offset of its first word, and
 * only the words no pair covers are looked up alone; the score is the
 * same, with the idf of every word. */
static int phrase_in(ls_plan *p, const ls_rseg *seg, const qnode *n, unsigned char field,
                     double boost, ls_scorer **out)
{
    *out = NULL;
    if (boost <= 0)
        return SRCH_OK;
    unsigned char key[LS_MAX_TERM_BYTES];
    ls_scorer **terms = calloc(n->ntoks, sizeof *terms);
    uint32_t *offsets = calloc(n->ntoks, sizeof *offsets);
    unsigned char *is_pair = calloc(n->ntoks, 1);
    int rc = SRCH_OK, norm = field == LS_FIELD_TITLE ? LS_NORM_TITLE : LS_NORM_BODY;
    ls_bm25 w = {0};
    double idf = 0;
    size_t nt = 0;
    uint32_t span = 0;
    if (!terms || !offsets || !is_pair) {
        rc = ls_err_set(p->err, SRCH_ENOMEM, "out of memory planning a query");
        goto done;
    }
    if (field == LS_FIELD_BODY && p->pairs && seg->seg->meta.pairs == p->pairs->id)
        phrase_pairs(p, n, is_pair);
    for (size_t i = 0; i < n->ntoks; i++) {
        const qtoken *t = &n->toks[i];
        if (t->term_len + 1 > sizeof key)
            goto done;
        if (t->pos + 1 > span)
            span = t->pos + 1;
        size_t klen = make_key(key, field, t->term, t->term_len);
        if (is_pair[i] || (i > 0 && is_pair[i - 1])) {   /* in a pair: its idf only */
            key_info *ki;
            if ((rc = key_info_of(p, key, klen, &ki)) != SRCH_OK)
                goto done;
            idf += ki->idf;
            if (!is_pair[i])
                continue;
            const qtoken *b = &n->toks[i + 1];
            klen = ls_pairs_key(key, t->term, t->term_len, b->term, b->term_len);
        } else {
            rc = key_scorer(p, seg, key, klen, 1, &terms[nt]);
            if (rc != SRCH_OK || !terms[nt])
                goto done;
            idf += ls_term_scorer_weights(terms[nt])->idf;
            offsets[nt++] = t->pos;
            continue;
        }
        rc = key_scorer(p, seg, key, klen, 1, &terms[nt]);
        if (rc != SRCH_OK || !terms[nt])
            goto done;
        offsets[nt++] = t->pos;
    }
    ls_bm25_init(&w, idf, boost, p->k1, p->b, p->avglen[norm]);
    rc = ls_phrase_scorer(out, terms, offsets, nt, span, &w, seg->seg, norm);
    free(terms);
    free(offsets);
    free(is_pair);
    return rc;
done:
    for (size_t i = 0; terms && i < nt; i++)
        ls_scorer_free(terms[i]);
    free(terms);
    free(offsets);
    free(is_pair);
    return rc;
}

static int phrase_node(ls_plan *p, const ls_rseg *seg, const qnode *n, ls_scorer **out)
{
    int f = field_mask(p, n);
    kids k = {0};
    ls_scorer *s;
    int rc = SRCH_OK;
    if (f & SRCH_FIELD_BODY) {
        rc = phrase_in(p, seg, n, LS_FIELD_BODY, 1, &s);
        if (rc == SRCH_OK)
            rc = kids_add(&k, s);
    }
    if (rc == SRCH_OK && (f & SRCH_FIELD_TITLE)) {
        rc = phrase_in(p, seg, n, LS_FIELD_TITLE, p->title_weight, &s);
        if (rc == SRCH_OK)
            rc = kids_add(&k, s);
    }
    return kids_or(&k, rc, out);
}

static int near_node(ls_plan *p, const ls_rseg *seg, const qnode *n, ls_scorer **out)
{
    /* proximity is checked in the body, or in the title for title: */
    int title = field_mask(p, n) == SRCH_FIELD_TITLE;
    unsigned char field = title ? LS_FIELD_TITLE : LS_FIELD_BODY;
    kids k = {0};
    int rc = SRCH_OK;
    for (size_t i = 0; i < n->nkids && rc == SRCH_OK; i++) {
        ls_scorer *s;
        rc = phrase_in(p, seg, n->kids[i], field, title ? p->title_weight : 1, &s);
        if (rc == SRCH_OK && !s) {   /* a group absent: no match here */
            kids_free(&k);
            return SRCH_OK;
        }
        if (rc == SRCH_OK)
            rc = kids_add(&k, s);
    }
    if (rc != SRCH_OK) {
        kids_free(&k);
        return rc;
    }
    rc = ls_near_scorer(out, k.v, k.n, n->dist);
    free(k.v);
    return rc;
}

/* A prefix: in each field, its words found in this segment as one group
 * scorer (a single word: a term scorer, with the group's weights). */
static int prefix_node(ls_plan *p, const ls_rseg *seg, const qnode *n, ls_scorer **out)
{
    plan_ext *x = p->ext;
    kids k = {0};
    int rc = SRCH_OK;
    ls_postings *lists = NULL;
    size_t cap = 0;
    for (size_t e = 0; x && e < x->n && rc == SRCH_OK; e++) {
        const expansion *ex = &x->v[e];
        double boost = ex->field == LS_FIELD_TITLE_WORD ? p->title_weight : 1;
        if (ex->node != n || boost <= 0)
            continue;
        int field = ls_field_norm(ex->field);
        ls_bm25 w;
        ls_bm25_init(&w, ex->idf, boost, p->k1, p->b, p->avglen[field]);
        if (ex->n > cap) {
            ls_postings *v = realloc(lists, ex->n * sizeof *v);
            if (!v) {
                rc = ls_err_set(p->err, SRCH_ENOMEM, "out of memory");
                break;
            }
            lists = v;
            cap = ex->n;
        }
        size_t nl = 0;
        ls_term_info ti1 = {0};
        const unsigned char *key1 = NULL;
        for (size_t i = 0; i < ex->n && rc == SRCH_OK; i++) {
            const unsigned char *key = (const unsigned char *)ex->keys[i];
            size_t klen = strlen(ex->keys[i]);
            ls_term_info ti;
            int found = ls_termdict_get(&seg->seg->td, key, klen, &ti);
            if (found < 0)
                rc = ls_err_set(p->err, SRCH_ECORRUPT, "segment %s: malformed term dictionary",
                                seg->seg->name);
            else if (found && (rc = ls_segment_postings(seg->seg, key, &ti, &lists[nl],
                                                        p->err)) == SRCH_OK) {
                nl++;
                ti1 = ti;
                key1 = key;
            }
        }
        if (rc != SRCH_OK || nl == 0)
            continue;
        ls_scorer *s;
        if (nl == 1)
            rc = ls_term_scorer(&s, seg->seg, seg->del, key1, strlen((const char *)key1), &ti1,
                                &w, field, p->err);
        else
            rc = ls_group_scorer(&s, seg->seg, lists, nl, &w, field, p->err);
        if (rc == SRCH_OK)
            rc = kids_add(&k, s);
    }
    free(lists);
    return kids_or(&k, rc, out);
}

int ls_plan_expansion(const ls_plan *p, const qnode *n, unsigned char field,
                      char *const **keys, size_t *nkeys, double *df, double *idf)
{
    const plan_ext *x = p->ext;
    for (size_t e = 0; x && e < x->n; e++)
        if (x->v[e].node == n && x->v[e].field == field) {
            *keys = x->v[e].keys;
            *nkeys = x->v[e].n;
            *df = x->v[e].df;
            *idf = x->v[e].idf;
            return 1;
        }
    return 0;
}

static int bool_node(ls_plan *p, const ls_rseg *seg, const qnode *n, ls_scorer **out)
{
    kids must = {0}, should = {0}, not = {0};
    int rc = SRCH_OK, must_missing = 0;
    uint32_t clauses = 0, nmust = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        clauses += n->kids[i]->occur != OCC_NOT;
        nmust += n->kids[i]->occur == OCC_MUST;
    }
    for (size_t i = 0; i < n->nkids && rc == SRCH_OK; i++) {
        ls_scorer *s;
        rc = node_scorer(p, seg, n->kids[i], &s);
        if (rc != SRCH_OK)
            break;
        switch (n->kids[i]->occur) {
        case OCC_MUST:
            must_missing |= !s;
            rc = kids_add(&must, s);
            break;
        case OCC_NOT:
            rc = kids_add(&not, s);
            break;
        default:
            rc = kids_add(&should, s);
            break;
        }
    }
    if (rc != SRCH_OK || must_missing || (must.n == 0 && should.n == 0)) {
        kids_free(&must);
        kids_free(&should);
        kids_free(&not);
        return rc == SRCH_OK ? SRCH_OK : ls_err_set(p->err, rc, "out of memory");
    }
    ls_scorer *conj = NULL;
    if (must.n) {
        rc = ls_and_scorer(&conj, must.v, must.n);
        free(must.v);
        must.v = NULL;
        if (rc != SRCH_OK) {
            kids_free(&should);
            kids_free(&not);
            return rc;
        }
    }
    rc = ls_bool_scorer_coord(out, conj, nmust, should.v, should.n, not.v, not.n, clauses,
                              p->coord);
    free(should.v);
    free(not.v);
    return rc;
}

int ls_plan_node_scorer(ls_plan *p, const ls_rseg *seg, const qnode *n, ls_scorer **out)
{
    return node_scorer(p, seg, n, out);
}

static int node_scorer(ls_plan *p, const ls_rseg *seg, const qnode *n, ls_scorer **out)
{
    *out = NULL;
    switch (n->type) {
    case Q_TERM:
        return term_node(p, seg, n, out);
    case Q_PHRASE:
        return phrase_node(p, seg, n, out);
    case Q_NEAR:
        return near_node(p, seg, n, out);
    case Q_PREFIX:
        return prefix_node(p, seg, n, out);
    case Q_BOOL:
        return bool_node(p, seg, n, out);
    }
    return SRCH_OK;
}

int ls_plan_scorer(ls_plan *p, const ls_rseg *seg, ls_scorer **out)
{
    *out = NULL;
    if (!p->q->root)
        return SRCH_OK;
    return node_scorer(p, seg, p->q->root, out);
}
