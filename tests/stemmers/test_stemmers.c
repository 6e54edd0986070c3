/*
 * test_stemmers.c - the stemmer registry and cache, and Snowball's official
 * French vocabulary (tests/data/snowball-french: 20,805 words, each with the
 * stem Snowball expects), run through our stemmer module.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stemmers/stemmer.h"
#include "test.h"

/* Stem every word of voc.txt and compare with output.txt; returns the number
 * of words checked, counting mismatches in *bad. */
static size_t check_vocabulary(int use_cache, size_t *bad)
{
    size_t vlen, olen;
    char *voc = test_read_file(test_data_path("snowball-french/voc.txt"), &vlen);
    char *outp = test_read_file(test_data_path("snowball-french/output.txt"), &olen);
    *bad = 0;
    if (!voc || !outp) {
        free(voc);
        free(outp);
        return 0;
    }
    ls_stemmer *s;
    if (ls_stemmer_new(&s, "french", use_cache, NULL) != SRCH_OK)
        return 0;
    size_t n = 0;
    char *vp = voc, *op = outp;
    char *vsave, *osave;
    for (char *w = strtok_r(vp, "\n", &vsave), *e = strtok_r(op, "\n", &osave); w && e;
         w = strtok_r(NULL, "\n", &vsave), e = strtok_r(NULL, "\n", &osave)) {
        const char *stem;
        size_t len;
        /* Stem twice: the second call is served by the cache when enabled. */
        for (int rep = 0; rep < 2; rep++) {
            if (ls_stemmer_stem(s, w, strlen(w), &stem, &len) != 0 || len != strlen(e) ||
                memcmp(stem, e, len) != 0) {
                if (*bad < 10)
                    fprintf(stderr, "  stem(%s) = %.*s, expected %s\n", w, (int)len, stem, e);
                (*bad)++;
            }
        }
        n++;
    }
    size_t calls, hits;
    ls_stemmer_stats(s, &calls, &hits);
    CU_ASSERT_EQUAL(calls, 2 * n);
    if (use_cache) {
        CU_ASSERT(hits >= n);
    } else {
        CU_ASSERT_EQUAL(hits, 0);
    }
    ls_stemmer_free(s);
    free(voc);
    free(outp);
    return n;
}

static void test_stemmers_french__snowball_vocabulary(void)
{
    size_t bad;
    size_t n = check_vocabulary(1, &bad);
    CU_ASSERT_EQUAL(n, 20805);
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_stemmers_french__vocabulary_without_cache(void)
{
    size_t bad;
    size_t n = check_vocabulary(0, &bad);
    CU_ASSERT_EQUAL(n, 20805);
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_stemmers_registry__every_language(void)
{
    const char *const *langs = ls_stemmer_languages();
    size_t n = 0;
    int has_french = 0, has_none = 0;
    for (; langs[n]; n++) {
        ls_stemmer *s;
        CU_ASSERT_EQUAL_FATAL(ls_stemmer_new(&s, langs[n], 1, NULL), SRCH_OK);
        CU_ASSERT_STRING_EQUAL(ls_stemmer_name(s), langs[n]);
        const char *stem;
        size_t len;
        CU_ASSERT_EQUAL(ls_stemmer_stem(s, "testing", 7, &stem, &len), 0);
        CU_ASSERT(len > 0);   /* turkish gives "testingi" */
        ls_stemmer_free(s);
        has_french |= strcmp(langs[n], "french") == 0;
        has_none |= strcmp(langs[n], "none") == 0;
    }
    CU_ASSERT(n >= 20);   /* Debian 12's libstemmer has 29 */
    CU_ASSERT(has_french);
    CU_ASSERT(has_none);
    CU_ASSERT_STRING_EQUAL(langs[n - 1], "none");
}

static void test_stemmers_registry__aliases_and_unknown(void)
{
    CU_ASSERT_STRING_EQUAL(ls_stemmer_canonical("fr"), "french");
    CU_ASSERT_STRING_EQUAL(ls_stemmer_canonical("fra"), "french");
    CU_ASSERT_STRING_EQUAL(ls_stemmer_canonical("de"), "german");
    CU_ASSERT_STRING_EQUAL(ls_stemmer_canonical("french"), "french");
    CU_ASSERT_PTR_NULL(ls_stemmer_canonical("klingon"));
    CU_ASSERT_PTR_NULL(ls_stemmer_canonical(""));
    ls_stemmer *s = (ls_stemmer *)1;
    ls_err e;
    ls_err_clear(&e);
    CU_ASSERT_EQUAL(ls_stemmer_new(&s, "klingon", 1, &e), SRCH_ENOTFOUND);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "klingon"));
    CU_ASSERT_EQUAL(ls_stemmer_new(&s, NULL, 1, &e), SRCH_OK);   /* default */
    CU_ASSERT_STRING_EQUAL(ls_stemmer_name(s), "french");
    ls_stemmer_free(s);
    ls_stemmer_free(NULL);
}

static void test_stemmers_none__identity(void)
{
    ls_stemmer *s;
    CU_ASSERT_EQUAL_FATAL(ls_stemmer_new(&s, "none", 1, NULL), SRCH_OK);
    const char *stem;
    size_t len;
    CU_ASSERT_EQUAL(ls_stemmer_stem(s, "migrations", 10, &stem, &len), 0);
    CU_ASSERT_EQUAL(len, 10);
    CU_ASSERT_NSTRING_EQUAL(stem, "migrations", 10);
    ls_stemmer_free(s);
}

static const ls_test tests[] = {
    {"test_stemmers_french__snowball_vocabulary", test_stemmers_french__snowball_vocabulary},
    {"test_stemmers_french__vocabulary_without_cache", test_stemmers_french__vocabulary_without_cache},
    {"test_stemmers_registry__every_language", test_stemmers_registry__every_language},
    {"test_stemmers_registry__aliases_and_unknown", test_stemmers_registry__aliases_and_unknown},
    {"test_stemmers_none__identity", test_stemmers_none__identity},
    {NULL, NULL},
};

void suite_stemmers(void)
{
    test_register_suite("stemmers", NULL, NULL, tests);
}
