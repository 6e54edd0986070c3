/*
 * parser.c - the query language (libsearch.h, "Searching") into a tree of
 * analyzed nodes (query.h).
 *
 * Grammar, lowest precedence first:
 *   or_expr   := and_expr ( "OR" and_expr )*
 *   and_expr  := seq ( ("AND" | "NOT") seq )*        a NOT b = a AND NOT b
 *   seq       := item+                  adjacent items: the default operator
 *   item      := ["+" | "-" | "NOT"] near_expr
 *   near_expr := primary ( NEAR[/n] primary )*
 *   primary   := "(" or_expr ")" | FIELD ":" primary | "phrase" | word | prefix*
 * In a seq, "+x" must match, "-x" and "NOT x" must not, and a plain item is
 * SHOULD with the default OR, MUST with the default AND (as Lucene).
 * Operators are upper case; "or" and "et" are words. A field prefix is only
 * recognized for a known field (title, body), so "12:30" stays a word.
 * Errors name the byte column (1-based) of the fault.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "query/query.h"
#include "util/error.h"

#define MAX_NEAR 1000
#define MAX_DEPTH 100

typedef enum ttype {
    T_EOF, T_LPAREN, T_RPAREN, T_PHRASE, T_WORD, T_PREFIX, T_FIELD,
    T_AND, T_OR, T_NOT, T_NEAR, T_PLUS, T_MINUS
} ttype;

typedef struct tok {
    ttype t;
    size_t start, end;        /* the token's text (a phrase: inside the quotes) */
    int field;                /* T_FIELD */
    uint32_t n;               /* T_NEAR */
} tok;

typedef struct parser {
    const char *s;
    size_t len, pos;
    tok cur;
    int have;
    srch_query *q;
    int default_and;
    int depth;
    int rc;
    size_t err_off;
} parser;

/* ----------------------------------------------------------- analyzers */

typedef struct tl_analyzer {
    char lang[64];
    srch_analyzer *a;
} tl_analyzer;

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;

static void tl_free(void *p)
{
    tl_analyzer *t = p;
    if (t) {
        srch_analyzer_free(t->a);
        free(t);
    }
}

static void tl_init(void)
{
    pthread_key_create(&tl_key, tl_free);
}

int ls_query_analyze(const char *language, const char *text, size_t len, srch_token_cb cb,
                     void *ctx)
{
    pthread_once(&tl_once, tl_init);
    tl_analyzer *t = pthread_getspecific(tl_key);
    if (!t || strcmp(t->lang, language) != 0) {
        srch_analyzer_options o = SRCH_ANALYZER_OPTIONS_INIT;
        o.language = language;
        srch_analyzer *a;
        int rc = srch_analyzer_new(&a, &o);
        if (rc != SRCH_OK)
            return rc;
        if (!t && !(t = calloc(1, sizeof *t))) {
            srch_analyzer_free(a);
            return SRCH_ENOMEM;
        }
        srch_analyzer_free(t->a);
        t->a = a;
        snprintf(t->lang, sizeof t->lang, "%s", language);
        pthread_setspecific(tl_key, t);
    }
    return srch_analyze(t->a, text, len, cb, ctx);
}

/* ---------------------------------------------------------------- lexer */

static int fail(parser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(parser *p, size_t off, const char *fmt, ...)
{
    if (p->rc != SRCH_OK)
        return p->rc;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->err_off = off;
    return p->rc = ls_err_set(NULL, SRCH_ESYNTAX, "column %zu: %s", off + 1, msg);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int ends_word(char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"';
}

static int field_of(const char *s, size_t n)
{
    if (n == 5 && strncasecmp(s, "title", 5) == 0)
        return SRCH_FIELD_TITLE;
    if (n == 4 && strncasecmp(s, "body", 4) == 0)
        return SRCH_FIELD_BODY;
    return 0;
}

static void lex(parser *p)
{
    const char *s = p->s;
    while (p->pos < p->len && is_space(s[p->pos]))
        p->pos++;
    tok *t = &p->cur;
    memset(t, 0, sizeof *t);
    t->start = t->end = p->pos;
    if (p->pos >= p->len) {
        t->t = T_EOF;
        return;
    }
    char c = s[p->pos];
    if (c == '(' || c == ')') {
        t->t = c == '(' ? T_LPAREN : T_RPAREN;
        t->end = ++p->pos;
        return;
    }
    if (c == '"') {
        const char *close = memchr(s + p->pos + 1, '"', p->len - p->pos - 1);
        if (!close) {
            fail(p, p->pos, "missing closing quote");
            t->t = T_EOF;
            return;
        }
        t->t = T_PHRASE;
        t->start = p->pos + 1;
        t->end = (size_t)(close - s);
        p->pos = t->end + 1;
        return;
    }
    if ((c == '+' || c == '-') && p->pos + 1 < p->len && !is_space(s[p->pos + 1]) &&
        s[p->pos + 1] != ')') {
        t->t = c == '+' ? T_PLUS : T_MINUS;
        t->end = ++p->pos;
        return;
    }
    size_t b = p->pos, e = b;
    while (e < p->len && !ends_word(s[e]))
        e++;
    /* a known field name before ':' */
    const char *colon = memchr(s + b, ':', e - b);
    if (colon) {
        int f = field_of(s + b, (size_t)(colon - (s + b)));
        if (f) {
            t->t = T_FIELD;
            t->field = f;
            t->end = (size_t)(colon - s);
            p->pos = t->end + 1;
            return;
        }
    }
    p->pos = e;
    t->end = e;
    size_t n = e - b;
    if ((n == 3 && memcmp(s + b, "AND", 3) == 0)) {
        t->t = T_AND;
    } else if (n == 2 && memcmp(s + b, "OR", 2) == 0) {
        t->t = T_OR;
    } else if (n == 3 && memcmp(s + b, "NOT", 3) == 0) {
        t->t = T_NOT;
    } else if (n >= 4 && memcmp(s + b, "NEAR", 4) == 0 && (n == 4 || s[b + 4] == '/')) {
        t->t = T_NEAR;
        t->n = 10;
        if (n > 4) {
            uint64_t v = 0;
            size_t i = b + 5;
            if (i == e)
                fail(p, b, "NEAR/ needs a distance, as in NEAR/5");
            for (; i < e; i++) {
                if (s[i] < '0' || s[i] > '9' || v > MAX_NEAR) {
                    fail(p, b, "NEAR/n takes a distance from 0 to %d", MAX_NEAR);
                    break;
                }
                v = v * 10 + (uint64_t)(s[i] - '0');
            }
            if (v > MAX_NEAR)
                fail(p, b, "NEAR/n takes a distance from 0 to %d", MAX_NEAR);
            t->n = (uint32_t)v;
        }
    } else if (s[e - 1] == '*') {
        t->t = T_PREFIX;
        t->end = e - 1;
        while (t->end > b && s[t->end - 1] == '*')
            t->end--;
        if (t->end == b)
            fail(p, b, "a prefix needs at least one letter before '*'");
    } else {
        t->t = T_WORD;
    }
}

static tok *peek(parser *p)
{
    if (!p->have) {
        lex(p);
        p->have = 1;
    }
    return &p->cur;
}

static tok take(parser *p)
{
    tok t = *peek(p);
    p->have = 0;
    return t;
}

static const char *tok_name(const tok *t)
{
    switch (t->t) {
    case T_EOF: return "the end of the query";
    case T_RPAREN: return "')'";
    case T_AND: return "AND";
    case T_OR: return "OR";
    case T_NOT: return "NOT";
    case T_NEAR: return "NEAR";
    default: return "this";
    }
}

/* ---------------------------------------------------------------- nodes */

static qnode *new_node(parser *p, qtype type, size_t start, size_t end)
{
    qnode *n = ls_arena_alloc(&p->q->arena, sizeof *n);
    if (!n) {
        p->rc = ls_err_set(NULL, SRCH_ENOMEM, "out of memory parsing a query");
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->type = type;
    n->start = start;
    n->end = end;
    return n;
}

typedef struct toks {
    parser *p;
    qtoken *v;
    size_t n, cap;
    int failed;
} toks;

static int collect_cb(void *ctx, const srch_token *t)
{
    toks *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        qtoken *v = ls_arena_alloc(&c->p->q->arena, cap * sizeof *v);
        if (!v)
            return c->failed = 1, -1;
        if (c->n)
            memcpy(v, c->v, c->n * sizeof *v);
        c->v = v;
        c->cap = cap;
    }
    qtoken *q = &c->v[c->n++];
    q->term = ls_arena_strndup(&c->p->q->arena, t->term, t->term_len);
    q->word = ls_arena_strndup(&c->p->q->arena, t->word, t->word_len);
    if (!q->term || !q->word)
        return c->failed = 1, -1;
    q->term_len = t->term_len;
    q->word_len = t->word_len;
    q->pos = t->position;
    return 0;
}

/* A word or a quoted phrase: analyzed; NULL if it holds no searchable
 * word. */
static qnode *text_node(parser *p, size_t start, size_t end)
{
    toks c = {.p = p};
    int rc = ls_query_analyze(p->q->language, p->s + start, end - start, collect_cb, &c);
    if (rc != SRCH_OK || c.failed) {
        p->rc = ls_err_set(NULL, c.failed ? SRCH_ENOMEM : rc, "cannot analyze the query");
        return NULL;
    }
    if (c.n == 0)
        return NULL;
    qnode *n = new_node(p, c.n == 1 ? Q_TERM : Q_PHRASE, start, end);
    if (n) {
        n->toks = c.v;
        n->ntoks = c.n;
        uint32_t base = c.v[0].pos;
        for (size_t i = 0; i < c.n; i++)
            c.v[i].pos -= base;
    }
    return n;
}

static qnode *prefix_node(parser *p, const tok *t)
{
    toks c = {.p = p};
    int rc = ls_query_analyze(p->q->language, p->s + t->start, t->end - t->start, collect_cb, &c);
    if (rc != SRCH_OK || c.failed) {
        p->rc = ls_err_set(NULL, c.failed ? SRCH_ENOMEM : rc, "cannot analyze the query");
        return NULL;
    }
    if (c.n == 0) {
        fail(p, t->start, "a prefix needs letters or digits before '*'");
        return NULL;
    }
    if (c.n > 1) {
        fail(p, t->start, "a prefix must be a single word");
        return NULL;
    }
    qnode *n = new_node(p, Q_PREFIX, t->start, t->end + 1);
    if (n) {
        n->prefix = c.v[0].word;
        n->prefix_len = c.v[0].word_len;
    }
    return n;
}

static void set_fields(qnode *n, int fields)
{
    if (!n || n->fields)
        return;
    n->fields = fields;
    for (size_t i = 0; i < n->nkids; i++)
        set_fields(n->kids[i], fields);
}

/* A Q_BOOL of the given children (NULLs skipped), flattening children of
 * the same shape; a single positive child stands for itself. */
static qnode *make_bool(parser *p, qnode **kids, size_t n, size_t start, size_t end)
{
    size_t total = 0, positive = 0;
    for (size_t i = 0; i < n; i++)
        if (kids[i]) {
            total++;
            positive += kids[i]->occur != OCC_NOT;
        }
    if (total == 0)
        return NULL;
    if (total == 1 && positive == 1)
        for (size_t i = 0; i < n; i++)
            if (kids[i]) {
                kids[i]->occur = OCC_SHOULD;
                return kids[i];
            }
    if (positive == 0) {
        fail(p, start, "a query or group cannot be only negative (add a word to match)");
        return NULL;
    }
    qnode *b = new_node(p, Q_BOOL, start, end);
    if (!b)
        return NULL;
    /* count after flattening */
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        qnode *k = kids[i];
        if (!k)
            continue;
        int all_same = k->type == Q_BOOL && k->occur != OCC_NOT;
        for (size_t j = 0; all_same && j < k->nkids; j++)
            all_same = (k->occur == OCC_SHOULD && k->kids[j]->occur == OCC_SHOULD) ||
                       (k->occur == OCC_MUST && k->kids[j]->occur != OCC_SHOULD);
        cap += all_same ? k->nkids : 1;
    }
    b->kids = ls_arena_alloc(&p->q->arena, cap * sizeof *b->kids);
    if (!b->kids) {
        p->rc = ls_err_set(NULL, SRCH_ENOMEM, "out of memory parsing a query");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        qnode *k = kids[i];
        if (!k)
            continue;
        int all_same = k->type == Q_BOOL && k->occur != OCC_NOT;
        for (size_t j = 0; all_same && j < k->nkids; j++)
            all_same = (k->occur == OCC_SHOULD && k->kids[j]->occur == OCC_SHOULD) ||
                       (k->occur == OCC_MUST && k->kids[j]->occur != OCC_SHOULD);
        if (all_same)
            for (size_t j = 0; j < k->nkids; j++)
                b->kids[b->nkids++] = k->kids[j];
        else
            b->kids[b->nkids++] = k;
    }
    return b;
}

/* ---------------------------------------------------------------- grammar */

static qnode *or_expr(parser *p);

static qnode *primary(parser *p)
{
    tok t = take(p);
    if (p->rc)
        return NULL;
    switch (t.t) {
    case T_LPAREN: {
        if (++p->depth > MAX_DEPTH) {
            fail(p, t.start, "too many nested parentheses");
            return NULL;
        }
        if (peek(p)->t == T_RPAREN) {
            fail(p, t.start, "empty parentheses");
            return NULL;
        }
        qnode *n = or_expr(p);
        p->depth--;
        if (p->rc)
            return NULL;
        tok c = take(p);
        if (c.t != T_RPAREN) {
            fail(p, t.start, "missing closing parenthesis");
            return NULL;
        }
        return n;
    }
    case T_FIELD: {
        tok *nx = peek(p);
        if (nx->t == T_EOF || nx->t == T_RPAREN || nx->t == T_AND || nx->t == T_OR) {
            fail(p, t.start, "%.*s: needs a word, a phrase or a group", (int)(t.end - t.start),
                 p->s + t.start);
            return NULL;
        }
        qnode *n = primary(p);
        set_fields(n, t.field);
        return n;
    }
    case T_PHRASE:
        return text_node(p, t.start, t.end);
    case T_WORD:
        return text_node(p, t.start, t.end);
    case T_PREFIX:
        return prefix_node(p, &t);
    default:
        fail(p, t.start, "unexpected %s", tok_name(&t));
        return NULL;
    }
}

static qnode *near_expr(parser *p)
{
    size_t start = peek(p)->start;
    qnode *first = primary(p);
    if (p->rc || peek(p)->t != T_NEAR)
        return first;
    qnode *kids[64];
    size_t n = 0;
    uint32_t dist = 0;
    kids[n++] = first;
    while (peek(p)->t == T_NEAR) {
        tok op = take(p);
        dist = op.n;
        tok *nx = peek(p);
        if (nx->t != T_WORD && nx->t != T_PHRASE && nx->t != T_FIELD) {
            fail(p, op.start, "NEAR joins words or phrases");
            return NULL;
        }
        qnode *k = primary(p);
        if (p->rc)
            return NULL;
        if (n == sizeof kids / sizeof kids[0]) {
            fail(p, op.start, "too many NEAR operands");
            return NULL;
        }
        kids[n++] = k;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (kids[i] && kids[i]->type != Q_TERM && kids[i]->type != Q_PHRASE) {
            fail(p, kids[i]->start, "NEAR joins words or phrases");
            return NULL;
        }
        if (kids[i])
            kids[m++] = kids[i];
    }
    if (m < 2)
        return m ? kids[0] : NULL;
    qnode *nn = new_node(p, Q_NEAR, start, p->cur.start);
    if (!nn)
        return NULL;
    nn->dist = dist;
    nn->kids = ls_arena_alloc(&p->q->arena, m * sizeof *nn->kids);
    if (!nn->kids) {
        p->rc = ls_err_set(NULL, SRCH_ENOMEM, "out of memory parsing a query");
        return NULL;
    }
    memcpy(nn->kids, kids, m * sizeof *kids);
    nn->nkids = m;
    return nn;
}

static int starts_item(ttype t)
{
    return t == T_LPAREN || t == T_PHRASE || t == T_WORD || t == T_PREFIX || t == T_FIELD ||
           t == T_PLUS || t == T_MINUS;
}

/* Adjacent items with the default operator and +/- modifiers. */
static qnode *seq(parser *p)
{
    size_t start = peek(p)->start;
    qnode **kids = NULL;
    size_t n = 0, cap = 0;
    int first = 1;
    for (;;) {
        tok *t = peek(p);
        int occ = p->default_and ? OCC_MUST : OCC_SHOULD;
        size_t at = t->start;
        if (t->t == T_PLUS || t->t == T_MINUS || (first && t->t == T_NOT)) {
            occ = t->t == T_PLUS ? OCC_MUST : OCC_NOT;
            take(p);
            t = peek(p);
            if (!starts_item(t->t) || t->t == T_PLUS || t->t == T_MINUS) {
                fail(p, at, "%s must be followed by a word, a phrase or a group",
                     occ == OCC_MUST ? "'+'" : "negation");
                break;
            }
        } else if (!starts_item(t->t)) {
            if (first)
                fail(p, t->start, "expected a word, a phrase or a group, found %s", tok_name(t));
            break;
        }
        qnode *k = near_expr(p);
        if (p->rc)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            qnode **v = ls_arena_alloc(&p->q->arena, cap * sizeof *v);
            if (!v) {
                p->rc = ls_err_set(NULL, SRCH_ENOMEM, "out of memory parsing a query");
                break;
            }
            if (n)
                memcpy(v, kids, n * sizeof *v);
            kids = v;
        }
        if (k)
            k->occur = occ;
        kids[n++] = k;
        first = 0;
    }
    if (p->rc)
        return NULL;
    return make_bool(p, kids, n, start, p->cur.start);
}

static qnode *and_expr(parser *p)
{
    size_t start = peek(p)->start;
    qnode *left = seq(p);
    if (p->rc)
        return NULL;
    tok *t = peek(p);
    if (t->t != T_AND && t->t != T_NOT)
        return left;
    qnode **kids = NULL;
    size_t n = 0, cap = 0;
    int occ = OCC_MUST;
    qnode *k = left;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            qnode **v = ls_arena_alloc(&p->q->arena, cap * sizeof *v);
            if (!v) {
                p->rc = ls_err_set(NULL, SRCH_ENOMEM, "out of memory parsing a query");
                return NULL;
            }
            if (n)
                memcpy(v, kids, n * sizeof *v);
            kids = v;
        }
        if (k)
            k->occur = occ;
        kids[n++] = k;
        t = peek(p);
        if (t->t != T_AND && t->t != T_NOT)
            break;
        tok op = take(p);
        occ = OCC_MUST;
        if (op.t == T_NOT) {
            occ = OCC_NOT;
        } else if (peek(p)->t == T_NOT) {   /* a AND NOT b */
            take(p);
            occ = OCC_NOT;
        }
        if (!starts_item(peek(p)->t)) {
            fail(p, op.start, "%s needs something on its right", op.t == T_NOT ? "NOT" : "AND");
            return NULL;
        }
        k = seq(p);
        if (p->rc)
            return NULL;
    }
    return make_bool(p, kids, n, start, p->cur.start);
}

static qnode *or_expr(parser *p)
{
    size_t start = peek(p)->start;
    qnode *first = and_expr(p);
    if (p->rc || peek(p)->t != T_OR)
        return first;
    qnode **kids = NULL;
    size_t n = 0, cap = 0;
    qnode *k = first;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            qnode **v = ls_arena_alloc(&p->q->arena, cap * sizeof *v);
            if (!v) {
                p->rc = ls_err_set(NULL, SRCH_ENOMEM, "out of memory parsing a query");
                return NULL;
            }
            if (n)
                memcpy(v, kids, n * sizeof *v);
            kids = v;
        }
        if (k)
            k->occur = OCC_SHOULD;
        kids[n++] = k;
        if (peek(p)->t != T_OR)
            break;
        tok op = take(p);
        if (!starts_item(peek(p)->t) && peek(p)->t != T_NOT) {
            fail(p, op.start, "OR needs something on its right");
            return NULL;
        }
        k = and_expr(p);
        if (p->rc)
            return NULL;
    }
    return make_bool(p, kids, n, start, p->cur.start);
}

/* ---------------------------------------------------------------- describe */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (b->p && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 64) * 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return;
        b->p = np;
        b->cap = cap;
    }
}

static void describe(sbuf *b, const qnode *n)
{
    static const char *occ[] = {"", "+", "-"};
    put(b, "%s", occ[n->occur]);
    if (n->type != Q_BOOL && n->fields == SRCH_FIELD_TITLE)
        put(b, "title:");
    else if (n->type != Q_BOOL && n->fields == SRCH_FIELD_BODY)
        put(b, "body:");
    switch (n->type) {
    case Q_TERM:
        put(b, "%s", n->toks[0].term);
        if (strcmp(n->toks[0].term, n->toks[0].word) != 0)
            put(b, "~%s", n->toks[0].word);
        break;
    case Q_PHRASE:
        put(b, "\"");
        for (size_t i = 0; i < n->ntoks; i++)
            put(b, "%s%s", i ? " " : "", n->toks[i].term);
        put(b, "\"");
        break;
    case Q_PREFIX:
        put(b, "%s*", n->prefix);
        break;
    case Q_NEAR:
        put(b, "(NEAR/%u", n->dist);
        for (size_t i = 0; i < n->nkids; i++) {
            put(b, " ");
            describe(b, n->kids[i]);
        }
        put(b, ")");
        break;
    case Q_BOOL:
        put(b, "(");
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                put(b, " ");
            describe(b, n->kids[i]);
        }
        put(b, ")");
        break;
    }
}

/* ---------------------------------------------------------------- API */

SRCH_API void srch_query_free(srch_query *q)
{
    if (!q)
        return;
    free(atomic_load_explicit(&q->describe, memory_order_relaxed));
    ls_arena_free(&q->arena);
    free(q);
}

/* Made on demand (searching does not need it); the query is immutable for
 * its users, who may share it between threads: the first description
 * stored wins, a racing thread frees its own. */
SRCH_API const char *srch_query_describe(const srch_query *q)
{
    if (!q)
        return "";
    srch_query *mq = (srch_query *)q;
    char *d = atomic_load_explicit(&mq->describe, memory_order_acquire);
    if (d)
        return d;
    sbuf b = {0};
    if (q->root)
        describe(&b, q->root);
    else
        put(&b, "(nothing to search)");
    if (!b.p)
        return "";
    char *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&mq->describe, &expected, b.p,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        free(b.p);
        return expected;
    }
    return b.p;
}

SRCH_API int srch_query_parse(srch_query **out, const char *text, const char *language,
                              int default_and, size_t *err_offset)
{
    if (err_offset)
        *err_offset = 0;
    if (!out || !text)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_query_parse: NULL argument");
    *out = NULL;
    srch_query *q = calloc(1, sizeof *q);
    if (!q)
        return ls_err_set(NULL, SRCH_ENOMEM, "out of memory parsing a query");
    ls_arena_init(&q->arena, 4096);
    snprintf(q->language, sizeof q->language, "%s", language ? language : "french");
    parser p = {.s = text, .len = strlen(text), .q = q, .default_and = default_and};
    qnode *root = NULL;
    if (peek(&p)->t != T_EOF && p.rc == SRCH_OK) {
        root = or_expr(&p);
        if (p.rc == SRCH_OK && peek(&p)->t != T_EOF) {
            tok t = *peek(&p);
            if (t.t == T_RPAREN)
                fail(&p, t.start, "')' without a matching '('");
            else
                fail(&p, t.start, "unexpected %s", tok_name(&t));
        }
    }
    if (p.rc != SRCH_OK) {
        if (err_offset)
            *err_offset = p.err_off;
        int rc = p.rc;
        srch_query_free(q);
        return rc;
    }
    if (root)
        root->occur = OCC_SHOULD;
    q->root = root;
    *out = q;
    return SRCH_OK;
}
