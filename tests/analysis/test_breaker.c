/*
 * test_breaker.c - our word breaking against Unicode's conformance suite,
 * WordBreakTest.txt (Unicode 15.0, the version of Debian 12's ICU 72), from
 * Debian's unicode-data package (not vendored; `make deps` installs it).
 *
 * Each test line is a sequence of code points with ÷ (boundary) or × (no
 * boundary) between them. We encode the line as UTF-8, run the breaker, and
 * compare the set of boundaries (as byte offsets) with the expected one.
 *
 * Lines treated differently, on purpose: ICU's default rules take the colon
 * out of MidLetter (U+003A COLON, U+FE55 SMALL COLON, U+FF1A FULLWIDTH
 * COLON; only its Swedish and Finnish rules keep it), so "a:b" is two words
 * where UAX #29 says one. That is right for French ("exemple:voir", "Note:")
 * and we keep ICU's choice: the 15 lines of the suite whose result depends
 * on it are accepted, and no other difference is. The analyzer above it then departs from UAX #29 on purpose in one place: it
 * splits French elisions (l'Organisation -> organisation), which UAX #29
 * keeps as one word (rule WB6/WB7: apostrophe between letters); see
 * test_analysis.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#include "analysis/breaker.h"
#include "test.h"

#define WORD_BREAK_TEST "/usr/share/unicode/auxiliary/WordBreakTest.txt"

static void test_breaker_uax29__word_break_test(void)
{
    FILE *f = fopen(WORD_BREAK_TEST, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);   /* unicode-data missing: run make deps */
    ls_breaker *b;
    CU_ASSERT_EQUAL_FATAL(ls_breaker_new(&b, NULL), SRCH_OK);
    char line[4096];
    int cases = 0, failures = 0, colon_lines = 0;
    while (fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char text[1024];
        size_t len = 0;
        unsigned char expect[1024] = {0};   /* expect[offset] = boundary */
        size_t ncp = 0;
        for (char *p = line; *p;) {
            if (strncmp(p, "\xC3\xB7", 2) == 0) {          /* ÷ */
                expect[len] = 1;
                p += 2;
            } else if (strncmp(p, "\xC3\x97", 2) == 0) {   /* × */
                p += 2;
            } else if ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F')) {
                unsigned long cp = strtoul(p, &p, 16);
                int32_t k = (int32_t)len;
                U8_APPEND_UNSAFE(text, k, (UChar32)cp);
                len = (size_t)k;
                ncp++;
            } else {
                p++;
            }
        }
        if (ncp == 0)
            continue;
        cases++;
        unsigned char got[1024] = {0};
        got[0] = 1;
        CU_ASSERT_EQUAL_FATAL(ls_breaker_set_text(b, text, len, NULL), SRCH_OK);
        size_t s, e;
        ls_seg_kind kind;
        while (ls_breaker_next(b, &s, &e, &kind) > 0)
            got[e] = 1;
        if (memcmp(got, expect, len + 1) != 0) {
            if (strstr(line, "003A") || strstr(line, "FE55") || strstr(line, "FF1A"))
                colon_lines++;
            else if (failures++ < 10)
                fprintf(stderr, "  WordBreakTest mismatch: %s\n", line);
        }
    }
    fclose(f);
    ls_breaker_free(b);
    CU_ASSERT(cases > 1800);
    CU_ASSERT_EQUAL(failures, 0);
    CU_ASSERT(colon_lines <= 15);
}

/* Collect "kind:text" of each segment, separated by '|'. */
static void segments(ls_breaker *b, const char *text, char *out, size_t cap)
{
    size_t s, e, o = 0;
    ls_seg_kind kind;
    out[0] = '\0';
    CU_ASSERT_EQUAL_FATAL(ls_breaker_set_text(b, text, strlen(text), NULL), SRCH_OK);
    while (ls_breaker_next(b, &s, &e, &kind) > 0) {
        if (kind == LS_SEG_OTHER)
            continue;
        o += (size_t)snprintf(out + o, cap - o, "%s%c:%.*s", o ? "|" : "",
                              kind == LS_SEG_NUMBER ? 'N' : 'W', (int)(e - s), text + s);
    }
}

static void test_breaker_french__words_numbers_punctuation(void)
{
    ls_breaker *b;
    char out[1024];
    CU_ASSERT_EQUAL_FATAL(ls_breaker_new(&b, NULL), SRCH_OK);
    segments(b, "« Sous-forum » (ANI), le 2024-09-12 : 3,5 %\xC2\xA0!", out, sizeof out);
    CU_ASSERT_STRING_EQUAL(out, "W:Sous|W:forum|W:ANI|W:le|N:2024|N:09|N:12|N:3,5");
    segments(b, "l'Organisation aujourd\xE2\x80\x99hui", out, sizeof out);
    CU_ASSERT_STRING_EQUAL(out, "W:l'Organisation|W:aujourd\xE2\x80\x99hui");
    segments(b, "Note:voir a\xEF\xBC\x9A" "b", out, sizeof out);   /* ICU's colon */
    CU_ASSERT_STRING_EQUAL(out, "W:Note|W:voir|W:a|W:b");
    segments(b, "", out, sizeof out);
    CU_ASSERT_STRING_EQUAL(out, "");
    ls_breaker_free(b);
}

/* All segments of text, "start-end-kind;" each, with the fast path allowed
 * or not; returns whether the fast path read it. */
static int all_segments(ls_breaker *b, int fast, const char *text, size_t len, char *out,
                        size_t cap)
{
    size_t s, e, o = 0;
    ls_seg_kind kind;
    out[0] = '\0';
    ls_breaker_set_fast(b, fast);
    CU_ASSERT_EQUAL_FATAL(ls_breaker_set_text(b, text, len, NULL), SRCH_OK);
    int used = ls_breaker_is_fast(b);
    while (ls_breaker_next(b, &s, &e, &kind) > 0 && o + 64 < cap)
        o += (size_t)snprintf(out + o, cap - o, "%zu-%zu-%d;", s, e, (int)kind);
    return used;
}

/* The fast path against ICU on random strings drawn from characters of
 * every class it knows (letters of three scripts, digits, the middle
 * characters, spaces, line ends, other punctuation) and some it must leave
 * to ICU (combining mark, underscore, Hebrew letter, pictograph, colon
 * variants, ill-formed bytes): the segments and their kinds must be the
 * same, and most strings must have taken the fast path. */
static void test_breaker_fast__same_segments_as_icu(void)
{
    static const char *const simple[] = {
        "a", "b", "Z", "\xC3\xA9" /* é */, "\xC5\x93" /* œ */, "\xCE\xB1" /* α */,
        "\xD0\xB6" /* ж */, "0", "7", "\xD9\xA3" /* Arabic-Indic 3 */,
        "'", "\xE2\x80\x99" /* ’ */, "\xE2\x80\x98" /* ‘ */, ".", ",", ";", ":",
        "\xC2\xB7" /* · */, "\xE2\x80\xA4" /* one dot leader */, " ", " ", " ",
        "\xE2\x80\x83" /* em space */, "\xC2\xA0" /* nbsp */, "\t", "\r", "\n",
        "\x0B", "\xC2\x85", "\xE2\x80\xA8", "-", "\xE2\x80\x94" /* — */,
        "\xC2\xAB" /* « */, "(", "/", "%", "$", "\xE2\x80\xA6" /* … */, "@",
        "\xCE\x87" /* Greek ano teleia */, "\xD5\x9F" /* Armenian abbreviation mark */,
    };
    static const char *const rare[] = {
        "\xCC\x81" /* combining acute */, "_", "\xD7\x90" /* alef */, "\"",
        "\xC2\xA9" /* © */, "\xE2\x80\x8D" /* ZWJ */, "\xEF\xBC\x9A" /* fullwidth : */,
        "\xFF", "\xC3", "\xE3\x81\x8B" /* か */, "\xE2\x80\xAF" /* nnbsp */,
    };
    const size_t nsimple = sizeof simple / sizeof simple[0];
    const size_t nrare = sizeof rare / sizeof rare[0];
    unsigned long long st = test_seed();
    ls_breaker *b;
    CU_ASSERT_EQUAL_FATAL(ls_breaker_new(&b, NULL), SRCH_OK);
    static char text[512], want[8192], got[8192];
    int fast = 0, mismatches = 0;
    const int rounds = 40000;
    for (int r = 0; r < rounds && mismatches < 5; r++) {
        size_t len = 0, n = 1 + test_rand(&st) % 24;
        /* a few characters only, so that every pair and triple shows up */
        size_t alpha = 2 + test_rand(&st) % 6, pick[8];
        for (size_t k = 0; k < alpha; k++)
            pick[k] = test_rand(&st) % nsimple;
        int with_rare = test_rand(&st) % 8 == 0;
        for (size_t k = 0; k < n; k++) {
            const char *c = with_rare && test_rand(&st) % 6 == 0
                                ? rare[test_rand(&st) % nrare]
                                : simple[pick[test_rand(&st) % alpha]];
            size_t cl = strlen(c);
            memcpy(text + len, c, cl);
            len += cl;
        }
        all_segments(b, 0, text, len, want, sizeof want);
        fast += all_segments(b, 1, text, len, got, sizeof got);
        if (strcmp(want, got) != 0) {
            CU_FAIL("fast path and ICU differ");
            fprintf(stderr, "  text [%.*s]\n  icu  %s\n  fast %s\n", (int)len, text, want, got);
            mismatches++;
        }
    }
    CU_ASSERT(fast > rounds / 2);
    ls_breaker_free(b);
}

/* Every code point the fast path's tables cover, in a few contexts (alone,
 * between letters, between digits, doubled, next to a space), against ICU:
 * its class, taken from ICU's property, must also behave as ICU's rules
 * treat it. */
static void test_breaker_fast__every_code_point_in_context(void)
{
    static const char *const ctx[][2] = {
        {"", ""}, {"a", "b"}, {"1", "2"}, {"a", "1"}, {"1", "a"}, {"ab", ""}, {"", "cd"},
        {" ", " "}, {"a\xE2\x80\x99", "b"},
    };
    ls_breaker *b;
    CU_ASSERT_EQUAL_FATAL(ls_breaker_new(&b, NULL), SRCH_OK);
    char text[64], want[2048], got[2048];
    int fast = 0, mismatches = 0;
    for (UChar32 c = 1; c < 0x2070 && mismatches < 5; c++) {
        if (c == 0x800)
            c = 0x2000;
        char u[4];
        int32_t k = 0;
        U8_APPEND_UNSAFE(u, k, c);
        for (size_t x = 0; x < sizeof ctx / sizeof ctx[0]; x++)
            for (int twice = 0; twice < 2; twice++) {
                int n = snprintf(text, sizeof text, "%s%.*s%.*s%s", ctx[x][0], (int)k, u,
                                 twice ? (int)k : 0, u, ctx[x][1]);
                all_segments(b, 0, text, (size_t)n, want, sizeof want);
                fast += all_segments(b, 1, text, (size_t)n, got, sizeof got);
                if (strcmp(want, got) != 0 && mismatches++ < 5) {
                    CU_FAIL("fast path and ICU differ");
                    fprintf(stderr, "  U+%04X in [%s]\n  icu  %s\n  fast %s\n", (unsigned)c, text,
                            want, got);
                }
            }
    }
    CU_ASSERT(fast > 10000);
    ls_breaker_free(b);
}

/* The same comparison on every paragraph of the seed article, which must
 * all take the fast path. */
static void test_breaker_fast__seed_article(void)
{
    size_t len;
    char *text = test_read_file(test_data_path("../../corpus/seed/forum-migration-2024.txt"), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    ls_breaker *b;
    CU_ASSERT_EQUAL_FATAL(ls_breaker_new(&b, NULL), SRCH_OK);
    size_t cap = 64 * len + 64;
    char *want = malloc(cap), *got = malloc(cap);
    CU_ASSERT_FATAL(want && got);
    all_segments(b, 0, text, len, want, cap);
    CU_ASSERT(all_segments(b, 1, text, len, got, cap));
    CU_ASSERT(strlen(want) > 1000);
    CU_ASSERT_STRING_EQUAL(want, got);
    free(want);
    free(got);
    free(text);
    ls_breaker_free(b);
}

static const ls_test tests[] = {
    {"test_breaker_uax29__word_break_test", test_breaker_uax29__word_break_test},
    {"test_breaker_french__words_numbers_punctuation", test_breaker_french__words_numbers_punctuation},
    {"test_breaker_fast__same_segments_as_icu", test_breaker_fast__same_segments_as_icu},
    {"test_breaker_fast__every_code_point_in_context", test_breaker_fast__every_code_point_in_context},
    {"test_breaker_fast__seed_article", test_breaker_fast__seed_article},
    {NULL, NULL},
};

void suite_breaker(void)
{
    test_register_suite("breaker", NULL, NULL, tests);
}
