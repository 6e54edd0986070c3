/*
 * query.h - the parsed query: a tree of nodes, each word already analyzed
 * (term and exact word), produced by parser.c and consumed by plan.c.
 *
 * Boolean structure follows Lucene's BooleanQuery: a Q_BOOL node has
 * children that MUST match, SHOULD match (at least one if no MUST), or
 * MUST NOT match; a passage's score is the sum of its matching MUST and
 * SHOULD children. Nested boolean nodes of the same kind are flattened, so
 * that "a b c" is one disjunction of three words (what block-max pruning
 * works best on).
 */
#ifndef LS_QUERY_H
#define LS_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "libsearch.h"
#include "util/arena.h"

typedef enum qtype {
    Q_TERM,       /* one analyzed word */
    Q_PHRASE,     /* analyzed words at consecutive positions */
    Q_NEAR,       /* children (terms, phrases) within `dist` words */
    Q_PREFIX,     /* words starting with `prefix` */
    Q_BOOL
} qtype;

enum { OCC_SHOULD = 0, OCC_MUST = 1, OCC_NOT = 2 };

typedef struct qtoken {
    const char *term;         /* stemmed, folded ("migrat") */
    size_t term_len;
    const char *word;         /* folded, unstemmed ("migrations") */
    size_t word_len;
    uint32_t pos;             /* position within a phrase */
} qtoken;

typedef struct qnode {
    qtype type;
    int occur;                /* role in the parent Q_BOOL */
    int fields;               /* SRCH_FIELD_* mask; 0 = the search's default */
    size_t start, end;        /* byte range in the query text */
    qtoken *toks;             /* Q_TERM: 1, Q_PHRASE: ntoks */
    size_t ntoks;
    const char *prefix;       /* Q_PREFIX: folded, unstemmed */
    size_t prefix_len;
    uint32_t dist;            /* Q_NEAR */
    struct qnode **kids;      /* Q_NEAR, Q_BOOL */
    size_t nkids;
} qnode;

struct srch_query {
    ls_arena arena;           /* every node and string */
    qnode *root;              /* NULL: the query has no searchable word */
    _Atomic(char *) describe; /* made on the first srch_query_describe() */
    char language[64];
};

/* Run the analyzer of `language` on text (thread-local analyzers are
 * cached, one per thread and language). */
int ls_query_analyze(const char *language, const char *text, size_t len, srch_token_cb cb,
                     void *ctx);

#endif
