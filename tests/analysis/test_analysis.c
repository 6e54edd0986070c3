/*
 * test_analysis.c - the analysis pipeline through the public API: French
 * elisions, hyphens, case/accent/ligature folding, stemming of the accented
 * form, numbers, bad input (invalid UTF-8, NUL bytes, huge words, random
 * bytes), and the fast folding path against ICU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#include "analysis/analyzer.h"
#include "analysis/breaker.h"
#include "analysis/fold.h"
#include "libsearch.h"
#include "test.h"
#include "util/hash.h"

static srch_analyzer *fr;

static int init(void)
{
    return srch_analyzer_new(&fr, NULL) == SRCH_OK ? 0 : -1;
}

static int clean(void)
{
    srch_analyzer_free(fr);
    return 0;
}

typedef struct collect {
    char buf[65536];
    size_t len;
    int with_details;
    size_t count;
} collect;

static int collect_cb(void *ctx, const srch_token *t)
{
    collect *c = ctx;
    c->count++;
    if (c->with_details)
        c->len += (size_t)snprintf(c->buf + c->len, sizeof c->buf - c->len, "%s%s@%u[%zu,%zu)",
                                   c->len ? " " : "", t->term, t->position, t->start, t->end);
    else
        c->len += (size_t)snprintf(c->buf + c->len, sizeof c->buf - c->len, "%s%s",
                                   c->len ? " " : "", t->term);
    if (c->len >= sizeof c->buf)
        c->len = sizeof c->buf - 1;
    return 0;
}

/* The terms of text, space-separated (static buffer). */
static const char *terms_n(srch_analyzer *a, const char *text, size_t len)
{
    static collect c;
    c.len = 0;
    c.buf[0] = '\0';
    c.with_details = 0;
    CU_ASSERT_EQUAL(srch_analyze(a, text, len, collect_cb, &c), SRCH_OK);
    return c.buf;
}

static const char *terms(const char *text)
{
    return terms_n(fr, text, strlen(text));
}

static const char *details(const char *text)
{
    static collect c;
    c.len = 0;
    c.buf[0] = '\0';
    c.with_details = 1;
    CU_ASSERT_EQUAL(srch_analyze(fr, text, strlen(text), collect_cb, &c), SRCH_OK);
    return c.buf;
}

#define ASSERT_SAME_TERMS(a, b)                                         \
    do {                                                                \
        char first_[65536];                                              \
        snprintf(first_, sizeof first_, "%s", terms(a));                \
        CU_ASSERT_STRING_EQUAL(first_, terms(b));                       \
    } while (0)

static void test_analysis_elision__both_apostrophes(void)
{
    const char *forms[] = {
        "l'Organisation", "L'Organisation", "l\xE2\x80\x99Organisation",
        "L\xE2\x80\x99ORGANISATION", "l\xCA\xBCorganisation", "organisation",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        CU_ASSERT_STRING_EQUAL(terms(forms[i]), "organis");
    CU_ASSERT_STRING_EQUAL(terms("d'un j'ai m'a n'est s'il t'en c'est qu'il"),
                           "un ai a est il en est il");
    CU_ASSERT_STRING_EQUAL(terms("jusqu'\xC3\xA0 lorsqu'on puisqu'elle quoiqu\xE2\x80\x99il"),
                           "a on elle il");
    /* Not elisions: the word stays whole, whatever the apostrophe. */
    ASSERT_SAME_TERMS("aujourd'hui", "aujourd\xE2\x80\x99hui");
    CU_ASSERT_STRING_EQUAL(terms("aujourd'hui"), "aujourd'hui");
    CU_ASSERT_STRING_EQUAL(terms("prud'homme"), "prud'homm");
    /* The byte range excludes the elided article. */
    CU_ASSERT_STRING_EQUAL(details("l\xE2\x80\x99Organisation"), "organis@0[4,16)");
    CU_ASSERT_STRING_EQUAL(details("l'OIM"), "oim@0[2,5)");
}

static void test_analysis_hyphen__parts_at_consecutive_positions(void)
{
    CU_ASSERT_STRING_EQUAL(details("Sous-forum de"), "sous@0[0,4) forum@1[5,10) de@2[11,13)");
    CU_ASSERT_STRING_EQUAL(terms("c'est-\xC3\xA0-dire"), "est a dir");
}

static void test_analysis_fold__accents_case_ligatures(void)
{
    ASSERT_SAME_TERMS("Equateur", "\xC3\x89quateur");   /* Équateur */
    ASSERT_SAME_TERMS("equateur", "\xC3\x89QUATEUR");
    ASSERT_SAME_TERMS("etat", "\xC3\x89tat");            /* État */
    ASSERT_SAME_TERMS("\xC3\xA9tat", "ETAT");
    ASSERT_SAME_TERMS("\xC5\x93uvre", "oeuvre");         /* œuvre */
    ASSERT_SAME_TERMS("\xC5\x92UVRE", "oeuvre");         /* ŒUVRE */
    ASSERT_SAME_TERMS("ex \xC3\xA6quo", "ex aequo");     /* æquo */
    ASSERT_SAME_TERMS("gar\xC3\xA7on", "GARCON");        /* garçon */
    ASSERT_SAME_TERMS("Stra\xC3\x9F" "e", "strasse");    /* Straße (case fold) */
    ASSERT_SAME_TERMS("\xEF\xAC\x81n", "fin");           /* ﬁ ligature (NFKC) */
    ASSERT_SAME_TERMS("e\xCC\x81tat", "\xC3\xA9tat");    /* decomposed é */
    ASSERT_SAME_TERMS("\xEF\xBC\xA5\xEF\xBC\xB4\xEF\xBC\xA1\xEF\xBC\xB4", "etat"); /* fullwidth */
    /* Non-Latin scripts keep their marks: a Cyrillic й is not и. */
    srch_analyzer *none;
    srch_analyzer_options o = SRCH_ANALYZER_OPTIONS_INIT;
    o.language = "none";
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&none, &o), SRCH_OK);
    CU_ASSERT_STRING_EQUAL(terms_n(none, "\xD0\x99", 2), "\xD0\xB9");
    srch_analyzer_free(none);
}

static void test_analysis_stem__sees_accented_form(void)
{
    /* Snowball's French rules depend on accents: stemming the folded word
     * would give "abandonne" and "absurdit". */
    CU_ASSERT_STRING_EQUAL(terms("abandonn\xC3\xA9" "e"), "abandon");
    CU_ASSERT_STRING_EQUAL(terms("absurdit\xC3\xA9s"), "absurd");
    CU_ASSERT_STRING_EQUAL(terms("migrations migration"), "migrat migrat");
    CU_ASSERT_STRING_EQUAL(terms("g\xC3\xA9n\xC3\xA9rale g\xC3\xA9n\xC3\xA9raux"), "general general");
}

static int word_cb(void *ctx, const srch_token *t)
{
    snprintf(ctx, 64, "%s", t->word);
    CU_ASSERT_EQUAL(strlen(t->word), t->word_len);
    CU_ASSERT_EQUAL(strlen(t->term), t->term_len);
    return 0;
}

static void test_analysis_token__word_is_folded_unstemmed(void)
{
    char word[64] = "";
    CU_ASSERT_EQUAL(srch_analyze(fr, "l'\xC3\x89quateur", 11, word_cb, word), SRCH_OK);
    CU_ASSERT_STRING_EQUAL(word, "equateur");
}

static void test_analysis_numbers__dates_decimals_acronyms(void)
{
    CU_ASSERT_STRING_EQUAL(details("2024-09-12"), "2024@0[0,4) 09@1[5,7) 12@2[8,10)");
    CU_ASSERT_STRING_EQUAL(terms("3,5 % et 1.000"), "3,5 et 1.000");
    CU_ASSERT_STRING_EQUAL(terms("ONUDC (ANI)"), terms("onudc ani"));
    CU_ASSERT_STRING_EQUAL(terms("ONUDC"), "onudc");
}

static void test_analysis_separators__nbsp_guillemets_punctuation(void)
{
    /* « migration » with non-breaking spaces, as the seed article writes it */
    CU_ASSERT_STRING_EQUAL(details("\xC2\xAB\xC2\xA0migration\xC2\xA0\xC2\xBB."),
                           "migrat@0[4,13)");
    CU_ASSERT_STRING_EQUAL(terms(" \t\n!?;:,.()[]{}\xE2\x80\x94\xE2\x80\xA6 "), "");
    CU_ASSERT_STRING_EQUAL(terms(""), "");
}

static void test_analysis_bad_input__invalid_utf8_and_nul(void)
{
    CU_ASSERT_STRING_EQUAL(details("abc\xFF" "def"), "abc@0[0,3) def@1[4,7)");
    CU_ASSERT_STRING_EQUAL(details("caf\xC3"), "caf@0[0,3)");           /* truncated */
    CU_ASSERT_STRING_EQUAL(details("\xED\xA0\x80x"), "x@0[3,4)");       /* surrogate */
    CU_ASSERT_STRING_EQUAL(terms_n(fr, "abc\0def", 7), "abc def");
    CU_ASSERT_STRING_EQUAL(terms_n(fr, NULL, 0), "");
    CU_ASSERT_EQUAL(srch_analyze(fr, NULL, 3, collect_cb, NULL), SRCH_EINVAL);
    CU_ASSERT_EQUAL(srch_analyze(NULL, "a", 1, collect_cb, NULL), SRCH_EINVAL);
}

static int check_cb(void *ctx, const srch_token *t)
{
    size_t *len = ctx;
    CU_ASSERT(t->start < t->end && t->end <= *len);
    CU_ASSERT(t->term_len > 0 && t->term_len <= 4 * SRCH_MAX_WORD_BYTES);
    CU_ASSERT_EQUAL(strlen(t->term), t->term_len);
    /* the term is valid UTF-8 */
    int32_t i = 0;
    while (i < (int32_t)t->term_len) {
        UChar32 c;
        U8_NEXT(t->term, i, (int32_t)t->term_len, c);
        CU_ASSERT(c >= 0);
    }
    return 0;
}

static void test_analysis_bad_input__huge_word(void)
{
    size_t n = 100000;
    char *w = malloc(n);
    memset(w, 'a', n);
    collect c = {.with_details = 1};
    CU_ASSERT_EQUAL(srch_analyze(fr, w, n, collect_cb, &c), SRCH_OK);
    CU_ASSERT_EQUAL(c.count, 1);
    char expect[64];
    snprintf(expect, sizeof expect, "@0[0,%zu)", n);
    CU_ASSERT_PTR_NOT_NULL(strstr(c.buf, expect));
    /* multi-byte letters: the cut falls on a character boundary */
    for (size_t i = 0; i + 1 < n; i += 2)
        w[i] = '\xC3', w[i + 1] = '\xA9';
    CU_ASSERT_EQUAL(srch_analyze(fr, w, n, check_cb, &n), SRCH_OK);
    free(w);
}

static void test_analysis_bad_input__random_bytes(void)
{
    unsigned long long st = test_seed();
    static const char *pieces[] = {
        "l'", "\xE2\x80\x99", "\xC3\xA9", "\xC5\x93", "-", " ", "\xC2\xA0", "\xFF", "\xC3",
        "\xE2\x80", "\0", "a", "Z", "9", ",", ".", "\xF0\x9F\x98\x80", "\xE4\xB8\xAD",
        "\xCC\x81", "qu'", "\xF4\x90\x80\x80", "\xED\xA0\x80",
    };
    char buf[512];
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = 0;
        int n = (int)(test_rand(&st) % 60);
        for (int k = 0; k < n; k++) {
            if (test_rand(&st) % 4 == 0) {
                buf[len++] = (char)(test_rand(&st) & 0xFF);
            } else {
                const char *p = pieces[test_rand(&st) % (sizeof pieces / sizeof pieces[0])];
                size_t pl = p[0] ? strlen(p) : 1;
                memcpy(buf + len, p, pl);
                len += pl;
            }
        }
        CU_ASSERT_EQUAL_FATAL(srch_analyze(fr, buf, len, check_cb, &len), SRCH_OK);
    }
}

static int stop_cb(void *ctx, const srch_token *t)
{
    int *n = ctx;
    return ++*n == 2;
}

static void test_analysis_api__abort_options_languages(void)
{
    int n = 0;
    CU_ASSERT_EQUAL(srch_analyze(fr, "un deux trois", 13, stop_cb, &n), SRCH_EABORT);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_STRING_EQUAL(srch_analyzer_language(fr), "french");

    srch_analyzer *a = (srch_analyzer *)1;
    srch_analyzer_options o = SRCH_ANALYZER_OPTIONS_INIT;
    o.language = "klingon";
    CU_ASSERT_EQUAL(srch_analyzer_new(&a, &o), SRCH_ENOTFOUND);
    CU_ASSERT_PTR_NULL(a);
    CU_ASSERT_PTR_NOT_NULL(strstr(srch_errmsg(), "klingon"));
    o.language = "fr";
    o.version = 99;
    CU_ASSERT_EQUAL(srch_analyzer_new(&a, &o), SRCH_EINVAL);

    o.version = SRCH_ANALYZER_OPTIONS_VERSION;
    o.language = "english";
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&a, &o), SRCH_OK);
    CU_ASSERT_STRING_EQUAL(terms_n(a, "running l'amour", 15), "run l'amour"); /* no French elision */
    srch_analyzer_free(a);

    o.language = "none";
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&a, &o), SRCH_OK);
    CU_ASSERT_STRING_EQUAL(terms_n(a, "L'\xC3\x89tat des Migrations", 22), "etat des migrations");
    srch_analyzer_free(a);

    const char *const *langs = srch_languages();
    int found = 0;
    for (; *langs; langs++)
        found += strcmp(*langs, "french") == 0 || strcmp(*langs, "none") == 0;
    CU_ASSERT_EQUAL(found, 2);
    srch_analyzer_free(NULL);
}

static void test_analysis_cache__same_terms_without_cache(void)
{
    size_t len;
    char *text = test_read_file(test_data_path("../../corpus/seed/forum-migration-2024.txt"), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    srch_analyzer *nc;
    srch_analyzer_options o = SRCH_ANALYZER_OPTIONS_INIT;
    o.stem_cache = 0;
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&nc, &o), SRCH_OK);
    char *with = strdup(terms(text));
    CU_ASSERT_STRING_EQUAL(with, terms_n(nc, text, len));
    /* the seed article: some words we rely on later */
    CU_ASSERT_PTR_NOT_NULL(strstr(with, "amy pop"));
    CU_ASSERT_PTR_NOT_NULL(strstr(with, "equateur"));
    CU_ASSERT_PTR_NOT_NULL(strstr(with, "sous forum"));
    free(with);
    srch_analyzer_free(nc);
    free(text);
}

/* The type hash the analyzer passes with a token (ls_token: from the
 * token cache, or made when the word enters it) is the hash of its
 * "word NUL term" bytes, as the in-memory segment would compute it; the
 * words seen twice come from the cache. */
typedef struct hash_check {
    size_t tokens, hashed, bad;
} hash_check;

static int hash_cb(void *ctx, const srch_token *t)
{
    hash_check *c = ctx;
    const ls_token *lt = (const ls_token *)t;
    c->tokens++;
    if (!lt->hashed)
        return 0;
    c->hashed++;
    char b[3 * SRCH_MAX_WORD_BYTES + 8];
    memcpy(b, t->word, t->word_len);
    b[t->word_len] = '\0';
    memcpy(b + t->word_len + 1, t->term, t->term_len);
    if (lt->type_hash != (uint32_t)ls_hash_bytes(b, t->word_len + 1 + t->term_len) ||
        t->term[t->term_len] != '\0' || t->word[t->word_len] != '\0')
        c->bad++;
    return 0;
}

static void test_analysis_cache__type_hash_of_word_and_term(void)
{
    size_t len;
    char *text = test_read_file(test_data_path("../../corpus/seed/forum-migration-2024.txt"), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    srch_analyzer *a;
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&a, NULL), SRCH_OK);
    hash_check c = {0, 0, 0};
    for (int round = 0; round < 2; round++)   /* the second from the cache */
        CU_ASSERT_EQUAL(srch_analyze(a, text, len, hash_cb, &c), SRCH_OK);
    CU_ASSERT(c.tokens > 1000);
    CU_ASSERT(c.hashed * 10 > c.tokens * 9);   /* all but the numbers */
    CU_ASSERT_EQUAL(c.bad, 0);
    srch_analyzer_free(a);
    free(text);
}

static void test_analysis_fold__fast_path_equals_icu(void)
{
    unsigned long long st = test_seed();
    char w[64], a[600], b[600];
    for (int iter = 0; iter < 20000; iter++) {
        int32_t len = 0;
        int n = 1 + (int)(test_rand(&st) % 8);
        for (int k = 0; k < n; k++) {
            UChar32 c;
            unsigned r = (unsigned)(test_rand(&st) % 100);
            if (r < 3)
                c = 0x2019;
            else if (r < 40)
                c = 'A' + (UChar32)(test_rand(&st) % 58);
            else
                c = 0xA0 + (UChar32)(test_rand(&st) % (0x250 - 0xA0));
            U8_APPEND_UNSAFE(w, len, c);
        }
        size_t la = ls_fold_lower(w, (size_t)len, a, 512);
        size_t lb = ls_fold_lower_icu(w, (size_t)len, b, 512);
        CU_ASSERT_EQUAL(la, lb);
        if (la != lb || memcmp(a, b, la) != 0) {
            fprintf(stderr, "  fold mismatch on %.*s: %s vs %s\n", (int)len, w, a, b);
            break;
        }
    }
}

static void test_analysis_breaker__chunked_equals_whole(void)
{
    /* Long texts are broken in chunks cut at spaces; the tokens must be the
     * same as with one pass. */
    size_t len;
    char *text = test_read_file(test_data_path("../../corpus/seed/forum-migration-2024.txt"), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    ls_breaker *b;
    CU_ASSERT_EQUAL_FATAL(ls_breaker_new(&b, NULL), SRCH_OK);
    size_t s, e, whole = 0, chunked = 0;
    ls_seg_kind k;
    unsigned long long sum1 = 0, sum2 = 0;
    ls_breaker_set_text(b, text, len, NULL);
    while (ls_breaker_next(b, &s, &e, &k) > 0)
        if (k != LS_SEG_OTHER)
            whole++, sum1 += s * 31 + e;
    ls_breaker_set_chunk(b, 100);
    ls_breaker_set_text(b, text, len, NULL);
    while (ls_breaker_next(b, &s, &e, &k) > 0)
        if (k != LS_SEG_OTHER)
            chunked++, sum2 += s * 31 + e;
    CU_ASSERT(whole > 900);
    CU_ASSERT_EQUAL(whole, chunked);
    CU_ASSERT_EQUAL(sum1, sum2);
    ls_breaker_free(b);
    free(text);
}

static const ls_test tests[] = {
    {"test_analysis_elision__both_apostrophes", test_analysis_elision__both_apostrophes},
    {"test_analysis_hyphen__parts_at_consecutive_positions", test_analysis_hyphen__parts_at_consecutive_positions},
    {"test_analysis_fold__accents_case_ligatures", test_analysis_fold__accents_case_ligatures},
    {"test_analysis_stem__sees_accented_form", test_analysis_stem__sees_accented_form},
    {"test_analysis_token__word_is_folded_unstemmed", test_analysis_token__word_is_folded_unstemmed},
    {"test_analysis_numbers__dates_decimals_acronyms", test_analysis_numbers__dates_decimals_acronyms},
    {"test_analysis_separators__nbsp_guillemets_punctuation", test_analysis_separators__nbsp_guillemets_punctuation},
    {"test_analysis_bad_input__invalid_utf8_and_nul", test_analysis_bad_input__invalid_utf8_and_nul},
    {"test_analysis_bad_input__huge_word", test_analysis_bad_input__huge_word},
    {"test_analysis_bad_input__random_bytes", test_analysis_bad_input__random_bytes},
    {"test_analysis_api__abort_options_languages", test_analysis_api__abort_options_languages},
    {"test_analysis_cache__same_terms_without_cache", test_analysis_cache__same_terms_without_cache},
    {"test_analysis_cache__type_hash_of_word_and_term", test_analysis_cache__type_hash_of_word_and_term},
    {"test_analysis_fold__fast_path_equals_icu", test_analysis_fold__fast_path_equals_icu},
    {"test_analysis_breaker__chunked_equals_whole", test_analysis_breaker__chunked_equals_whole},
    {NULL, NULL},
};

void suite_analysis(void)
{
    test_register_suite("analysis", init, clean, tests);
}
