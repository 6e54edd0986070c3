/*
 * explain.c - srch_explain(): how the score of one passage was made.
 *
 * Walks the parsed query: for each word, the BM25 parts of each of its keys
 * (body term, title term, exact word) in this passage; for a prefix, its
 * words as one term per field (summed frequency, the union's idf); for
 * phrases and NEAR, their score as a whole. The total is the root scorer's
 * score, the same number srch_search() reports.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/plan.h"
#include "util/error.h"

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 256) * 2;
        char *p = realloc(t->p, cap);
        if (!p)
            return;
        t->p = p;
        t->cap = cap;
    }
}

/* The end of a key's line: its weight if not 1, and what it adds. */
static void put_contribution(text *t, const ls_bm25 *w, double boost, uint32_t tf, uint32_t len)
{
    if (boost != 1)
        put(t, " weight=%.2f", boost);
    if (tf)
        put(t, "  -> %.4f\n", ls_bm25_score(w, tf, len));
    else
        put(t, "  (no match)\n");
}

static void explain_key(ls_plan *p, const ls_rseg *seg, uint32_t local, text *t,
                        unsigned char field, const char *s, size_t n, double boost,
                        const char *label)
{
    unsigned char key[LS_MAX_TERM_BYTES];
    if (n + 1 > sizeof key || boost <= 0)
        return;
    key[0] = field;
    memcpy(key + 1, s, n);
    int norm = ls_field_norm(field);
    ls_bm25 w;
    uint64_t df = 0;
    ls_term_info ti;
    if (ls_plan_weights(p, key, n + 1, boost, norm, &w) != SRCH_OK ||
        ls_plan_key(p, key, n + 1, seg, &df, &ti) != SRCH_OK)
        return;
    uint32_t tf = 0;
    if (ti.df > 0) {
        ls_postings post;
        if (ls_segment_postings(seg->seg, key, &ti, &post, NULL) == SRCH_OK &&
            ls_postings_seek(&post, local) == local)
            tf = ls_postings_freq(&post);
    }
    uint32_t len = ls_segment_norm(seg->seg, local, norm);
    put(t, "    %-6s %c:%.*s  tf=%u df=%llu idf=%.4f len=%u avglen=%.2f", label, field, (int)n, s,
        tf, (unsigned long long)df, w.idf, len, w.avglen);
    put_contribution(t, &w, boost, tf, len);
}

/* A prefix in one field: its words as one term (query/group.c). */
static void explain_group(ls_plan *p, const ls_rseg *seg, uint32_t local, text *t,
                          const qnode *n, unsigned char field, double boost, const char *label)
{
    char *const *keys;
    size_t nkeys;
    double df, idf;
    if (boost <= 0 || !ls_plan_expansion(p, n, field, &keys, &nkeys, &df, &idf))
        return;
    int norm = ls_field_norm(field);
    ls_bm25 w;
    ls_bm25_init(&w, idf, boost, p->k1, p->b, p->avglen[norm]);
    uint32_t tf = 0, words = 0;
    for (size_t i = 0; i < nkeys; i++) {
        const unsigned char *key = (const unsigned char *)keys[i];
        ls_term_info ti;
        ls_postings post;
        if (ls_termdict_get(&seg->seg->td, key, strlen(keys[i]), &ti) == 1 &&
            ls_segment_postings(seg->seg, key, &ti, &post, NULL) == SRCH_OK &&
            ls_postings_seek(&post, local) == local) {
            tf += ls_postings_freq(&post);
            words++;
        }
    }
    uint32_t len = ls_segment_norm(seg->seg, local, norm);
    put(t, "    %-6s %c:%.*s*  %zu words (%u here), tf=%u df~%.1f idf=%.4f len=%u avglen=%.2f",
        label, field, (int)n->prefix_len, n->prefix, nkeys, words, tf, df, idf, len, w.avglen);
    put_contribution(t, &w, boost, tf, len);
}

static void explain_node(ls_plan *p, const ls_rseg *seg, uint32_t local, const qnode *n,
                         text *t, int depth)
{
    static const char *occ[] = {"", "+", "-"};
    if (n->type == Q_BOOL) {
        put(t, "%*s%s(group of %zu)\n", 2 * depth, "", occ[n->occur], n->nkids);
        for (size_t i = 0; i < n->nkids; i++)
            explain_node(p, seg, local, n->kids[i], t, depth + 1);
        return;
    }
    ls_scorer *s = NULL;
    double score = 0;
    int match = 0;
    if (ls_plan_node_scorer(p, seg, n, &s) == SRCH_OK && s) {
        match = ls_seek(s, local) == local;
        if (match)
            score = ls_score(s);
    }
    ls_scorer_free(s);
    const char *kind = n->type == Q_PHRASE ? "phrase" : n->type == Q_NEAR ? "near"
                     : n->type == Q_PREFIX ? "prefix" : "word";
    put(t, "%*s%s%s ", 2 * depth, "", occ[n->occur], kind);
    if (n->type == Q_PREFIX)
        put(t, "%.*s*", (int)n->prefix_len, n->prefix);
    else if (n->type == Q_NEAR)
        put(t, "NEAR/%u", n->dist);
    for (size_t i = 0; i < n->ntoks; i++)
        put(t, "%s%s", i ? " " : "", n->toks[i].term);
    if (match)
        put(t, ": %.4f%s\n", score, n->occur == OCC_NOT ? " (excludes the passage)" : "");
    else
        put(t, ": no match\n");
    if (n->type == Q_PREFIX) {
        explain_group(p, seg, local, t, n, LS_FIELD_WORD, 1, "words");
        explain_group(p, seg, local, t, n, LS_FIELD_TITLE_WORD, p->title_weight, "title");
    }
    if (n->type == Q_TERM) {
        int f = n->fields ? n->fields : p->fields;
        const qtoken *k = &n->toks[0];
        if (f & SRCH_FIELD_BODY)
            explain_key(p, seg, local, t, LS_FIELD_BODY, k->term, k->term_len, 1, "body");
        if (f & SRCH_FIELD_TITLE)
            explain_key(p, seg, local, t, LS_FIELD_TITLE, k->term, k->term_len,
                        p->title_weight, "title");
        if (f & SRCH_FIELD_BODY)
            explain_key(p, seg, local, t, LS_FIELD_WORD, k->word, k->word_len,
                        p->exact_weight, "exact");
    }
}

SRCH_API int srch_explain(char **out, srch_reader *r, const srch_query *q, const char *id,
                          uint32_t passage, const srch_search_options *opts)
{
    ls_err err;
    ls_err_clear(&err);
    if (!out || !r || !q || !id)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_explain: NULL argument");
    *out = NULL;
    ls_opts o;
    int rc = ls_opts_from(&o, opts, &err);
    if (rc != SRCH_OK)
        return rc;
    const ls_rseg *seg;
    uint32_t first, count;
    if ((rc = ls_reader_find_doc(r, id, &seg, &first, &count, &err)) != SRCH_OK)
        return ls_err_set(NULL, rc, "%s", err.msg);
    if (passage < 1 || passage > count)
        return ls_err_set(NULL, SRCH_ENOTFOUND, "document '%s' has %u passages, not %u", id,
                          count, passage);
    uint32_t local = first + passage - 1;
    ls_plan plan;
    if ((rc = ls_plan_init(&plan, r, q, &o, &err)) != SRCH_OK)
        return ls_err_set(NULL, rc, "%s", err.msg);
    text t = {0};
    ls_scorer *root = NULL;
    double total = 0;
    int match = 0;
    if ((rc = ls_plan_scorer(&plan, seg, &root)) == SRCH_OK && root) {
        match = ls_seek(root, local) == local;
        if (match)
            total = ls_score(root);
    }
    ls_scorer_free(root);
    if (rc != SRCH_OK) {
        ls_plan_free(&plan);
        return ls_err_set(NULL, rc, "%s", err.msg);
    }
    put(&t, "%s/%u: %s %.4f\n", id, passage, match ? "score" : "does not match; score",
        total);
    put(&t, "query: %s\n", srch_query_describe(q));
    put(&t, "BM25 k1=%.2f b=%.2f, %llu live passages, average length body %.2f title %.2f\n",
        plan.k1, plan.b, (unsigned long long)plan.n, plan.avglen[0], plan.avglen[1]);
    if (q->root)
        explain_node(&plan, seg, local, q->root, &t, 0);
    ls_plan_free(&plan);
    if (!t.p)
        return ls_err_set(NULL, SRCH_ENOMEM, "out of memory");
    *out = t.p;
    return SRCH_OK;
}
