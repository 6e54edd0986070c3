/*
 * snippet.c - choosing and marking the best window of a passage (see
 * snippet.h).
 */
#include "query/snippet.h"

#include <stdlib.h>
#include <string.h>

typedef struct tokv {
    size_t start, end;
    int match;                /* index of the matched query term + 1, or 0 */
    char *term;               /* kept when the query has phrases */
    size_t term_len;
} tokv;

typedef struct phr {
    const qtoken *toks;
    size_t n;
} phr;

typedef struct collect {
    const srch_query *q;
    tokv *v;
    size_t n, cap;
    phr *phrases;             /* marked only where they occur whole */
    size_t nphrases, phrases_cap;
    const char **tterm;       /* per token: its term (owned copies) */
    size_t *tterm_len;
    const char **terms;       /* distinct query terms/words/prefixes */
    size_t *lens;
    int *kinds;               /* 0 term, 1 word, 2 prefix */
    size_t nterms, terms_cap;
    int failed;
} collect;

static int add_term(collect *c, const char *s, size_t len, int kind)
{
    for (size_t i = 0; i < c->nterms; i++)
        if (c->kinds[i] == kind && c->lens[i] == len && memcmp(c->terms[i], s, len) == 0)
            return 0;
    if (c->nterms == c->terms_cap) {
        size_t cap = c->terms_cap ? c->terms_cap * 2 : 16;
        const char **t = realloc(c->terms, cap * sizeof *t);
        size_t *l = t ? realloc(c->lens, cap * sizeof *l) : NULL;
        int *k = l ? realloc(c->kinds, cap * sizeof *k) : NULL;
        if (t)
            c->terms = t;
        if (l)
            c->lens = l;
        if (!k)
            return -1;
        c->kinds = k;
        c->terms_cap = cap;
    }
    c->terms[c->nterms] = s;
    c->lens[c->nterms] = len;
    c->kinds[c->nterms] = kind;
    c->nterms++;
    return 0;
}

static int gather(collect *c, const qnode *n)
{
    if (!n || n->occur == OCC_NOT)
        return 0;
    if (n->type == Q_PHRASE) {
        if (c->nphrases == c->phrases_cap) {
            size_t cap = c->phrases_cap ? c->phrases_cap * 2 : 4;
            phr *v = realloc(c->phrases, cap * sizeof *v);
            if (!v)
                return -1;
            c->phrases = v;
            c->phrases_cap = cap;
        }
        c->phrases[c->nphrases].toks = n->toks;
        c->phrases[c->nphrases].n = n->ntoks;
        c->nphrases++;
        /* its words, for the window's count of distinct matches */
        return add_term(c, n->toks[0].term, n->toks[0].term_len, 3);
    }
    for (size_t i = 0; i < n->ntoks; i++)
        if (add_term(c, n->toks[i].term, n->toks[i].term_len, 0) ||
            add_term(c, n->toks[i].word, n->toks[i].word_len, 1))
            return -1;
    if (n->type == Q_PREFIX && add_term(c, n->prefix, n->prefix_len, 2))
        return -1;
    for (size_t i = 0; i < n->nkids; i++)
        if (gather(c, n->kids[i]))
            return -1;
    return 0;
}

static int token_cb(void *ctx, const srch_token *t)
{
    collect *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        tokv *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return c->failed = 1, -1;
        c->v = v;
        c->cap = cap;
    }
    tokv *k = &c->v[c->n++];
    k->start = t->start;
    k->end = t->end;
    k->match = 0;
    k->term = NULL;
    if (c->nphrases && !(k->term = strndup(t->term, t->term_len)))
        return c->failed = 1, -1;
    k->term_len = t->term_len;
    for (size_t i = 0; i < c->nterms; i++) {
        if (c->kinds[i] == 3)
            continue;   /* phrase words match only in place */
        const char *s = c->kinds[i] == 0 ? t->term : t->word;
        size_t l = c->kinds[i] == 0 ? t->term_len : t->word_len;
        if (c->kinds[i] == 2 ? l >= c->lens[i] && memcmp(s, c->terms[i], c->lens[i]) == 0
                             : l == c->lens[i] && memcmp(s, c->terms[i], l) == 0) {
            /* a term and its word count as one: match on the term's slot */
            k->match = (int)i + 1;
            break;
        }
    }
    return 0;
}

static void collect_free(collect *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].term);
    free(c->phrases);
    free(c->v);
    free(c->terms);
    free(c->lens);
    free(c->kinds);
}

static int analyze(collect *c, const srch_query *q, const char *text, size_t len)
{
    memset(c, 0, sizeof *c);
    c->q = q;
    if (gather(c, q->root) != 0)
        return SRCH_ENOMEM;
    int rc = ls_query_analyze(q->language, text, len, token_cb, c);
    if (c->failed)
        return SRCH_ENOMEM;
    /* mark the phrases where their terms follow each other (tokens are in
     * position order, one position each) */
    for (size_t f = 0; f < c->nphrases; f++) {
        const phr *ph = &c->phrases[f];
        size_t slot = 0;
        for (size_t i = 0; i < c->nterms; i++)
            if (c->kinds[i] == 3 && c->terms[i] == ph->toks[0].term)
                slot = i + 1;
        for (size_t i = 0; i + ph->n <= c->n; i++) {
            size_t k = 0;
            while (k < ph->n && c->v[i + k].term_len == ph->toks[k].term_len &&
                   memcmp(c->v[i + k].term, ph->toks[k].term, ph->toks[k].term_len) == 0)
                k++;
            if (k == ph->n)
                for (k = 0; k < ph->n; k++)
                    c->v[i + k].match = (int)slot;
        }
    }
    return rc;
}

int ls_snippet_matches(const srch_query *q, const char *text, size_t len, size_t **ranges,
                       size_t *n)
{
    collect c;
    *ranges = NULL;
    *n = 0;
    int rc = analyze(&c, q, text, len);
    if (rc == SRCH_OK) {
        size_t m = 0;
        for (size_t i = 0; i < c.n; i++)
            m += c.v[i].match != 0;
        *ranges = malloc((2 * m + 1) * sizeof **ranges);
        if (!*ranges) {
            rc = SRCH_ENOMEM;
        } else {
            for (size_t i = 0; i < c.n; i++)
                if (c.v[i].match) {
                    (*ranges)[2 * *n] = c.v[i].start;
                    (*ranges)[2 * *n + 1] = c.v[i].end;
                    (*n)++;
                }
        }
    }
    collect_free(&c);
    return rc;
}

typedef struct out {
    char *p;
    size_t len, cap;
    int failed;
} out;

static void put(out *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->len + n + 1) * 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->failed = 1;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

int ls_snippet(char **result, const srch_query *q, const char *text, size_t len, size_t size,
               const char *open, const char *close)
{
    *result = NULL;
    collect c;
    int rc = analyze(&c, q, text, len);
    if (rc != SRCH_OK) {
        collect_free(&c);
        return rc;
    }
    /* the window [first token, last token] of at most `size` bytes with the
     * most distinct matches, then the most matches, then the earliest */
    size_t best_i = 0, best_j = c.n;   /* tokens [i, j) */
    if (len > size && c.n > 0) {
        int best_distinct = -1, best_count = -1;
        unsigned char *seen = calloc(c.nterms + 1, 1);
        if (!seen) {
            collect_free(&c);
            return SRCH_ENOMEM;
        }
        for (size_t i = 0; i < c.n; i++) {
            memset(seen, 0, c.nterms + 1);
            int distinct = 0, count = 0;
            size_t j = i;
            for (; j < c.n && c.v[j].end - c.v[i].start <= size; j++)
                if (c.v[j].match) {
                    count++;
                    if (!seen[c.v[j].match]) {
                        seen[c.v[j].match] = 1;
                        distinct++;
                    }
                }
            if (distinct > best_distinct || (distinct == best_distinct && count > best_count)) {
                best_distinct = distinct;
                best_count = count;
                best_i = i;
                best_j = j;
            }
            if (j == c.n)
                break;   /* later windows only lose words */
        }
        free(seen);
        /* center a window with few matches: start a little before the first */
        if (best_distinct <= 0) {
            best_i = 0;
        } else {
            size_t first = best_i;
            while (first < best_j && !c.v[first].match)
                first++;
            while (best_i > 0 && c.v[best_j - 1].end - c.v[best_i - 1].start <= size &&
                   c.v[first].start - c.v[best_i - 1].start < size / 3)
                best_i--;
        }
        best_j = best_i;
        while (best_j < c.n && c.v[best_j].end - c.v[best_i].start <= size)
            best_j++;
        if (best_j == best_i)
            best_j = best_i + 1;
    }
    out o = {0};
    put(&o, "", 0);
    size_t from = c.n ? (best_i == 0 ? 0 : c.v[best_i].start) : 0;
    size_t to = c.n ? (best_j == c.n ? len : c.v[best_j - 1].end) : len;
    if (from > 0)
        put(&o, "\xE2\x80\xA6", 3);   /* … */
    size_t at = from;
    for (size_t k = best_i; k < best_j && k < c.n; k++) {
        if (!c.v[k].match)
            continue;
        put(&o, text + at, c.v[k].start - at);
        put(&o, open, strlen(open));
        put(&o, text + c.v[k].start, c.v[k].end - c.v[k].start);
        put(&o, close, strlen(close));
        at = c.v[k].end;
    }
    put(&o, text + at, to > at ? to - at : 0);
    if (to < len)
        put(&o, "\xE2\x80\xA6", 3);
    collect_free(&c);
    if (o.failed) {
        free(o.p);
        return SRCH_ENOMEM;
    }
    /* line breaks inside a passage read as spaces in a snippet */
    for (size_t i = 0; i < o.len; i++)
        if (o.p[i] == '\n' || o.p[i] == '\r' || o.p[i] == '\t')
            o.p[i] = ' ';
    *result = o.p;
    return SRCH_OK;
}
