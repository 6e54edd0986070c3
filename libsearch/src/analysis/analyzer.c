/*
 * analyzer.c - the analysis pipeline behind srch_analyze(): word breaking,
 * elision, case folding, stemming, accent folding (the steps are described
 * in libsearch.h; each lives in its own file of this folder).
 *
 * The analyzer owns scratch buffers for the three forms of the current word
 * (lower-cased, folded, stemmed-and-folded), so analysis allocates nothing
 * per token. Two caches make repeated words cheap: the token cache maps a
 * word as written (after elision) to its folded form and term, skipping the
 * whole chain; behind it, the stemmer's cache (stemmers/) stems each distinct
 * lower-cased word once. Both are bounded memo tables (util/memo.c).
 */
#include "analyzer.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/breaker.h"
#include "analysis/elision.h"
#include "analysis/fold.h"
#include "stemmers/stemmer.h"
#include "util/hash.h"
#include "util/memo.h"

#define WORD_CAP (4 * SRCH_MAX_WORD_BYTES)
/* 8 MB hold the frequent words of a large corpus (32 MB were no faster on
 * the Littré, and a writer's peak memory counts them). */
#define TOKEN_CACHE_MAX_BYTES (8u << 20)

struct srch_analyzer {
    ls_err err;
    ls_breaker *brk;
    ls_stemmer *stem;
    int elision;              /* strip French elisions */
    int use_cache;
    ls_memo tokens;           /* surface word -> u8 word length, "word\0term\0",
                                 the type hash (4 bytes, native order) */
    char lower[WORD_CAP + 1];
    char word[WORD_CAP + 1];
    char term[WORD_CAP + 1];
};

SRCH_API int srch_analyzer_new(srch_analyzer **out, const srch_analyzer_options *opts)
{
    srch_analyzer_options defaults = SRCH_ANALYZER_OPTIONS_INIT;
    int rc;
    if (!out)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_analyzer_new: out is NULL");
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (opts->version < 1 || opts->version > SRCH_ANALYZER_OPTIONS_VERSION)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_analyzer_options: unknown version %u",
                          opts->version);
    if ((rc = ls_fold_init(NULL)) != SRCH_OK)
        return rc;
    srch_analyzer *a = calloc(1, sizeof *a);
    if (!a || ls_memo_init(&a->tokens, TOKEN_CACHE_MAX_BYTES) != 0) {
        free(a);
        return ls_err_set(NULL, SRCH_ENOMEM, "out of memory creating an analyzer");
    }
    a->use_cache = opts->stem_cache;
    if ((rc = ls_breaker_new(&a->brk, NULL)) != SRCH_OK ||
        (rc = ls_stemmer_new(&a->stem, opts->language, opts->stem_cache, NULL)) != SRCH_OK) {
        srch_analyzer_free(a);
        return rc;
    }
    const char *name = ls_stemmer_name(a->stem);
    a->elision = strcmp(name, "french") == 0 || strcmp(name, "none") == 0;
    *out = a;
    return SRCH_OK;
}

SRCH_API void srch_analyzer_free(srch_analyzer *a)
{
    if (!a)
        return;
    ls_breaker_free(a->brk);
    ls_stemmer_free(a->stem);
    ls_memo_free(&a->tokens);
    free(a);
}

SRCH_API const char *srch_analyzer_language(const srch_analyzer *a)
{
    return a ? ls_stemmer_name(a->stem) : "";
}

SRCH_API const char *srch_analyzer_errmsg(const srch_analyzer *a)
{
    return a ? a->err.msg : "";
}

void ls_analyzer_shrink_caches(srch_analyzer *a, unsigned shift)
{
    a->tokens.max_bytes >>= shift;
    ls_stemmer_shrink_cache(a->stem, shift);
}

void ls_analyzer_stem_stats(const srch_analyzer *a, size_t *calls, size_t *hits)
{
    ls_stemmer_stats(a->stem, calls, hits);
}

/* The type hash of a token (see ls_token). */
static uint32_t type_hash(const srch_token *tok, char *scratch)
{
    memcpy(scratch, tok->word, tok->word_len);
    scratch[tok->word_len] = '\0';
    memcpy(scratch + tok->word_len + 1, tok->term, tok->term_len);
    return (uint32_t)ls_hash_bytes(scratch, tok->word_len + 1 + tok->term_len);
}

/* The folded word and term of the word w[0, n) into lt (pointing into the
 * analyzer's buffers; hashed when cached), and into the token cache.
 * Returns 0, 1 if the word folds to nothing (skip it), or an error code. */
static int analyze_word(srch_analyzer *a, const char *w, size_t n, ls_seg_kind kind,
                        ls_token *lt)
{
    srch_token *tok = &lt->tok;
    lt->hashed = 0;
    size_t ln = ls_fold_lower(w, n, a->lower, WORD_CAP);
    if (ln == 0)
        return 1;
    tok->word_len = ls_fold_accents(a->lower, ln, a->word, WORD_CAP);
    tok->word = a->word;
    if (kind == LS_SEG_NUMBER) {
        tok->term = a->word;
        tok->term_len = tok->word_len;
        return 0;
    }
    const char *stem;
    size_t stem_len;
    if (ls_stemmer_stem(a->stem, a->lower, ln, &stem, &stem_len) != 0)
        return ls_err_set(&a->err, SRCH_ENOMEM, "out of memory while stemming");
    tok->term_len = ls_fold_accents(stem, stem_len, a->term, WORD_CAP);
    tok->term = a->term;
    if (a->use_cache && tok->word_len <= 255 && 7 + tok->word_len + tok->term_len <= WORD_CAP) {
        /* value = u8 word length, word NUL term NUL, type hash, built in
         * the lower buffer, now free */
        size_t tl = 2 + tok->word_len + tok->term_len;
        lt->type_hash = type_hash(tok, a->lower + 1);
        lt->hashed = 1;
        a->lower[0] = (char)tok->word_len;
        a->lower[tl] = '\0';
        memcpy(a->lower + tl + 1, &lt->type_hash, 4);
        ls_memo_put(&a->tokens, w, n, a->lower, tl + 5);
    }
    return 0;
}

/* Segments are read from ICU in batches, so that the token cache's slots
 * for a whole batch, then their records, can be prefetched before the
 * lookups. */
#define BATCH 16

typedef struct pending {
    size_t start, end;        /* word after elision */
    size_t n;                 /* bytes used for the term (cut) */
    uint64_t hash;
    ls_seg_kind kind;
} pending;

SRCH_API int srch_analyze(srch_analyzer *a, const char *text, size_t len,
                          srch_token_cb cb, void *ctx)
{
    if (!a || (!text && len) || !cb)
        return ls_err_set(a ? &a->err : NULL, SRCH_EINVAL, "srch_analyze: NULL argument");
    int rc = ls_breaker_set_text(a->brk, text, len, &a->err);
    if (rc != SRCH_OK)
        return rc;

    pending batch[BATCH];
    ls_token lt;
    srch_token *tok = &lt.tok;
    uint32_t position = 0;
    int more = 1;
    size_t last = 0;
    while (more > 0) {
        /* 1. Read up to BATCH words and numbers; hash and prefetch. */
        int nb = 0;
        while (nb < BATCH) {
            size_t start, end;
            ls_seg_kind kind;
            if ((more = ls_breaker_next(a->brk, &start, &end, &kind)) <= 0)
                break;
            last = end;
            if (kind == LS_SEG_OTHER)
                continue;
            pending *p = &batch[nb++];
            if (a->elision && kind == LS_SEG_WORD)
                start += ls_elision_len(text + start, end - start);
            p->start = start;
            p->end = end;
            p->kind = kind;
            p->n = ls_utf8_cut(text + start, end - start, SRCH_MAX_WORD_BYTES);
            if (a->use_cache && kind == LS_SEG_WORD) {
                p->hash = ls_memo_hash_in(text + start, p->n, text + len);
                ls_memo_prefetch(&a->tokens, p->hash);
            }
        }
        /* 2. Their slots have arrived meanwhile: prefetch the records. */
        if (a->use_cache)
            for (int i = 0; i < nb; i++)
                if (batch[i].kind == LS_SEG_WORD)
                    ls_memo_prefetch_rec(&a->tokens, batch[i].hash);
        /* 3. Turn each into a token, from the cache or the whole chain. */
        for (int i = 0; i < nb; i++) {
            pending *p = &batch[i];
            const char *cached = NULL;
            size_t vlen;
            if (a->use_cache && p->kind == LS_SEG_WORD &&
                (cached = ls_memo_get_hashed(&a->tokens, text + p->start, p->n, p->hash,
                                             &vlen)) != NULL) {
                tok->word_len = (unsigned char)cached[0];
                tok->word = cached + 1;
                tok->term = cached + 2 + tok->word_len;
                tok->term_len = vlen - 7 - tok->word_len;
                memcpy(&lt.type_hash, cached + vlen - 4, 4);
                lt.hashed = 1;
            } else {
                rc = analyze_word(a, text + p->start, p->n, p->kind, &lt);
                if (rc < 0)
                    return rc;
                if (rc > 0)
                    continue;
            }
            tok->position = position;
            tok->start = p->start;
            tok->end = p->end;
            tok->is_number = p->kind == LS_SEG_NUMBER;
            if (cb(ctx, tok) != 0)
                return ls_err_set(&a->err, SRCH_EABORT, "analysis stopped by the callback");
            if (position < UINT32_MAX)
                position++;
        }
    }
    if (more < 0)
        return ls_err_set(&a->err, SRCH_ENOMEM, "word breaker failed after offset %zu", last);
    return SRCH_OK;
}

SRCH_API const char *const *srch_languages(void)
{
    return ls_stemmer_languages();
}
