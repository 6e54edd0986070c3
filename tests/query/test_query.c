/*
 * test_query.c - the query evaluator: the parser (operators, errors with
 * positions), the seed article's example queries, boolean / phrase / NEAR /
 * prefix / field / paging semantics, the pruned top-k against the
 * exhaustive one and against a brute-force BM25 scorer over random indexes,
 * scores before and after a merge, and searches from several threads.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index/format.h"
#include "index/manifest.h"
#include "index/pairs.h"
#include "index/reader.h"
#include "index/termdict.h"
#include "libsearch.h"
#include "test.h"

static char root[PATH_MAX];
static char seed_ix[PATH_MAX + 16];
static char rand_ix[PATH_MAX + 16];

/* ------------------------------------------------------------ fixtures */

/* A random corpus: Zipf-distributed words, so that common words span many
 * postings blocks and rare ones are singletons. */
#define VOCAB 120
#define NDOCS 1500

static char vocab[VOCAB][16];
static char *texts[NDOCS];
static char titles[NDOCS][48];
static int live[NDOCS];

static void make_vocab(void)
{
    static const char *syll[] = {"ma", "ti", "lo", "ré", "su", "né", "ca", "do", "vé", "pi",
                                 "ra", "mo", "tu", "lé", "sa", "no"};
    for (int i = 0; i < VOCAB; i++) {
        int n = 1 + i % 3;
        vocab[i][0] = '\0';
        unsigned v = (unsigned)i * 7 + 3;
        for (int k = 0; k < n; k++) {
            strcat(vocab[i], syll[v % 16]);
            v /= 3;
            v += (unsigned)k * 5;
        }
        char suffix[8];
        snprintf(suffix, sizeof suffix, "%c", 'a' + i % 26);
        strcat(vocab[i], suffix);
    }
    /* French common words among the most frequent, so that phrases go
     * through the common-word pairs (index/pairs.h) and are checked
     * against the model like the others */
    static const struct {
        int i;
        const char *word;
    } common[] = {{0, "de"}, {2, "la"}, {4, "et"}, {7, "une"}, {11, "dans"}};
    for (size_t k = 0; k < sizeof common / sizeof common[0]; k++)
        strcpy(vocab[common[k].i], common[k].word);
}

static int zipf(unsigned long long *st)
{
    /* P(i) ~ 1/(i+1): inverse transform on a harmonic table */
    static double cum[VOCAB];
    static int ready;
    if (!ready) {
        double s = 0;
        for (int i = 0; i < VOCAB; i++)
            cum[i] = s += 1.0 / (i + 1);
        for (int i = 0; i < VOCAB; i++)
            cum[i] /= s;
        ready = 1;
    }
    double u = (double)(test_rand(st) % 1000000) / 1e6;
    int lo = 0, hi = VOCAB - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cum[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int build_random_index(void)
{
    unsigned long long st = test_seed() ^ 0x5eed;
    make_vocab();
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.durable = 0;
    o.auto_merge = 0;
    o.ram_budget = 1 << 20;
    if (srch_index_open(&ix, rand_ix, &o) != SRCH_OK)
        return -1;
    for (int d = 0; d < NDOCS; d++) {
        char buf[4096];
        size_t len = 0;
        int paras = 1 + (int)(test_rand(&st) % 3);
        for (int p = 0; p < paras; p++) {
            int n = 3 + (int)(test_rand(&st) % 40);
            for (int w = 0; w < n && len + 40 < sizeof buf; w++)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", w ? " " : "",
                                        vocab[zipf(&st)]);
            if (p + 1 < paras)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "\n\n");
        }
        texts[d] = strdup(buf);
        snprintf(titles[d], sizeof titles[d], "%s %s", vocab[zipf(&st)], vocab[zipf(&st)]);
        char id[32];
        snprintf(id, sizeof id, "r%04d", d);
        srch_document doc = SRCH_DOCUMENT_INIT;
        doc.id = id;
        doc.title = titles[d];
        doc.text = texts[d];
        doc.text_len = len;
        if (srch_index_add(ix, &doc) != SRCH_OK)
            return -1;
        live[d] = 1;
        if (d % 300 == 299 && srch_index_commit(ix) != SRCH_OK)
            return -1;
    }
    /* some deletions, so that statistics must exclude them */
    for (int d = 0; d < NDOCS; d += 17) {
        char id[32];
        snprintf(id, sizeof id, "r%04d", d);
        if (srch_index_delete(ix, id) != SRCH_OK)
            return -1;
        live[d] = 0;
    }
    int rc = srch_index_commit(ix);
    srch_index_close(ix);
    return rc == SRCH_OK ? 0 : -1;
}

static int init(void)
{
    snprintf(root, sizeof root, "/tmp/ls-query-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(seed_ix, sizeof seed_ix, "%s/seed", root);
    snprintf(rand_ix, sizeof rand_ix, "%s/rand", root);
    size_t len;
    char *text = test_read_file(test_data_path("../../corpus/seed/forum-migration-2024.txt"), &len);
    if (!text)
        return -1;
    srch_index *ix;
    if (srch_index_open(&ix, seed_ix, NULL) != SRCH_OK)
        return -1;
    srch_document d = SRCH_DOCUMENT_INIT;
    d.id = "seed";
    d.title = "Forum mondial sur la coopération en matière de sécurité publique";
    d.text = text;
    d.text_len = len;
    int rc = srch_index_add(ix, &d) || srch_index_commit(ix);
    srch_index_close(ix);
    free(text);
    if (rc)
        return -1;
    return build_random_index();
}

static int clean(void)
{
    for (int d = 0; d < NDOCS; d++)
        free(texts[d]);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ helpers */

static srch_results *search(srch_reader *r, const char *q, const srch_search_options *o)
{
    srch_results *res = NULL;
    int rc = srch_search_text(&res, r, q, o);
    if (rc != SRCH_OK)
        fprintf(stderr, "  search '%s': %s\n", q, srch_errmsg());
    CU_ASSERT_EQUAL(rc, SRCH_OK);
    return res;
}

/* Does the text of the first hit contain `needle`? */
static int first_has(srch_reader *r, const char *q, const char *needle)
{
    srch_results *res = search(r, q, NULL);
    int ok = res && srch_results_count(res) && strstr(srch_results_hit(res, 0)->text, needle);
    if (!ok && res && srch_results_count(res))
        fprintf(stderr, "  '%s': first hit is passage %u: %.60s\n", q,
                srch_results_hit(res, 0)->passage, srch_results_hit(res, 0)->text);
    srch_results_free(res);
    return ok;
}

/* ------------------------------------------------------------ parser */

static void test_query_parse__operators_and_describe(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"migrations", "migrat~migrations"},
        {"l’Organisation", "organis~organisation"},
        {"a b c", "(a b c)"},
        {"a AND b", "(+a +b)"},
        {"a OR b AND c", "(a (+b +c))"},
        {"a NOT b", "(+a -b)"},
        {"+a b -c", "(+a b -c)"},
        {"a AND NOT b", "(+a -b)"},
        {"NOT b a", "(-b a)"},
        {"(a OR b) AND c", "(+(a b) +c)"},
        {"\"sous forum\"", "\"sous forum\""},
        {"Sous-forum", "\"sous forum\""},
        {"2024-09-12", "\"2024 09 12\""},
        {"title:forum", "title:forum"},
        {"title:\"la chine\" body:a", "(title:\"la chin\" body:a)"},
        {"TITLE:(a b)", "(title:a title:b)"},
        {"12:30", "\"12 30\""},
        {"migr*", "migr*"},
        {"Équat*", "equat*"},
        {"a NEAR/3 b", "(NEAR/3 a b)"},
        {"a NEAR b", "(NEAR/10 a b)"},
        {"or et", "(or et)"},
        {"«\xC2\xA0»", "(nothing to search)"},
        {"", "(nothing to search)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srch_query *q;
        int rc = srch_query_parse(&q, cases[i].in, "french", 0, NULL);
        CU_ASSERT_EQUAL(rc, SRCH_OK);
        if (rc != SRCH_OK) {
            fprintf(stderr, "  parse '%s': %s\n", cases[i].in, srch_errmsg());
            continue;
        }
        if (strcmp(srch_query_describe(q), cases[i].out) != 0)
            fprintf(stderr, "  '%s' -> %s, expected %s\n", cases[i].in, srch_query_describe(q),
                    cases[i].out);
        CU_ASSERT_STRING_EQUAL(srch_query_describe(q), cases[i].out);
        srch_query_free(q);
    }
    /* with the default AND */
    srch_query *q;
    CU_ASSERT_EQUAL_FATAL(srch_query_parse(&q, "a b OR c", "french", 1, NULL), 0);
    CU_ASSERT_STRING_EQUAL(srch_query_describe(q), "((+a +b) c)");
    srch_query_free(q);
}

static void test_query_parse__errors_with_positions(void)
{
    static const struct {
        const char *in;
        size_t off;
        const char *msg;
    } cases[] = {
        {"a (b", 2, "missing closing parenthesis"},
        {"a b)", 3, "')' without a matching '('"},
        {"\"abc", 0, "missing closing quote"},
        {"a AND", 2, "AND needs something on its right"},
        {"OR b", 0, "expected a word"},
        {"a OR", 2, "OR needs something on its right"},
        {"()", 0, "empty parentheses"},
        {"title:", 0, "needs a word"},
        {"-a", 0, "only negative"},
        {"NOT a", 0, "only negative"},
        {"*", 0, "prefix needs"},
        {"a NEAR/x b", 2, "NEAR/n takes a distance"},
        {"a NEAR/5000 b", 2, "NEAR/n takes a distance"},
        {"a NEAR (b c)", 2, "NEAR joins words or phrases"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srch_query *q = (srch_query *)1;
        size_t off = 99;
        int rc = srch_query_parse(&q, cases[i].in, "french", 0, &off);
        if (rc != SRCH_ESYNTAX)
            fprintf(stderr, "  '%s' parsed: %s\n", cases[i].in, srch_query_describe(q));
        CU_ASSERT_EQUAL(rc, SRCH_ESYNTAX);
        CU_ASSERT_PTR_NULL(q);
        if (rc == SRCH_ESYNTAX) {
            if (off != cases[i].off || !strstr(srch_errmsg(), cases[i].msg))
                fprintf(stderr, "  '%s': offset %zu '%s'\n", cases[i].in, off, srch_errmsg());
            CU_ASSERT_EQUAL(off, cases[i].off);
            CU_ASSERT_PTR_NOT_NULL(strstr(srch_errmsg(), cases[i].msg));
            char col[32];
            snprintf(col, sizeof col, "column %zu", cases[i].off + 1);
            CU_ASSERT_PTR_NOT_NULL(strstr(srch_errmsg(), col));
        } else {
            srch_query_free(q);
        }
    }
    /* deep nesting is refused, not a stack overflow */
    char deep[1000];
    memset(deep, '(', 500);
    deep[500] = 'a';
    memset(deep + 501, ')', 498);
    deep[999] = '\0';
    srch_query *q;
    CU_ASSERT_EQUAL(srch_query_parse(&q, deep, "french", 0, NULL), SRCH_ESYNTAX);
}

/* ------------------------------------------------------------ seed */

/* Words that fold to the same exact form but stem differently, in one
 * segment: each keeps its own stem ("abandonnée" stems to abandon,
 * "abandonnee" to abandonne), so phrases find both. And a prefix finds a
 * word of a title by its exact form, not its stem. */
/* Add a document of one body text (and a title, or NULL). */
static int add_text(srch_index *ix, const char *id, const char *title, const char *text)
{
    srch_document d = SRCH_DOCUMENT_INIT;
    d.id = id;
    d.title = title;
    d.text = text;
    d.text_len = strlen(text);
    return srch_index_add(ix, &d);
}

static void test_query_semantics__accent_variants_keep_their_stems(void)
{
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/variants", root);
    srch_index *ix;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, NULL), 0);
    static const char *docs[][2] = {
        {"a", "une maison abandonnee"}, {"b", "une maison abandonnée"},
        {"c", "tu es là"},              {"d", "il se tenait ès plus grands"},
        {"e", "D’une manière aiguë."},
    };
    for (size_t i = 0; i < 5; i++)   /* "AIGUMENT": a word only in a title */
        CU_ASSERT_EQUAL_FATAL(add_text(ix, docs[i][0], i == 4 ? "AIGUMENT" : NULL, docs[i][1]), 0);
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    srch_index_close(ix);
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    static const char *cases[][2] = {
        {"\"maison abandonnée\"", "b"}, {"\"maison abandonnee\"", "a"},
        {"\"ès plus\"", "d"},           {"\"tu es\"", "c"},
        {"aigum*", "e"},   /* a prefix longer than the title word's stem */
    };
    for (size_t i = 0; i < 5; i++) {
        srch_results *res = search(r, cases[i][0], NULL);
        CU_ASSERT_FATAL(res != NULL);
        CU_ASSERT_EQUAL(srch_results_count(res), 1);
        if (srch_results_count(res) == 1)
            CU_ASSERT_STRING_EQUAL(srch_results_hit(res, 0)->id, cases[i][1]);
        srch_results_free(res);
    }
    srch_reader_close(r);
}

/* stem_len of W:word in segment i of r (-1: absent) */
static int w_stem_len(srch_reader *r, size_t i, const char *word)
{
    unsigned char key[64];
    key[0] = LS_FIELD_WORD;
    memcpy(key + 1, word, strlen(word));
    ls_term_info ti;
    if (ls_termdict_get(&r->segs[i].seg->td, key, strlen(word) + 1, &ti) != 1)
        return -1;
    return (int)ti.stem_len;
}

static void expect_ids(srch_reader *r, const char *q, int and, const char *want)
{
    srch_search_options o = SRCH_SEARCH_OPTIONS_INIT;
    o.stored = 0;
    o.default_and = and;
    srch_results *res = search(r, q, &o);
    CU_ASSERT_FATAL(res != NULL);
    char got[256] = "";
    /* ids sorted, for a stable comparison */
    const char *ids[16];
    size_t n = srch_results_count(res);
    for (size_t i = 0; i < n && i < 16; i++)
        ids[i] = srch_results_hit(res, i)->id;
    for (size_t i = 1; i < n && i < 16; i++)
        for (size_t j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
            const char *t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    for (size_t i = 0; i < n && i < 16; i++) {
        strcat(got, i ? " " : "");
        strcat(got, ids[i]);
    }
    if (strcmp(got, want) != 0)
        fprintf(stderr, "\n  %s: got [%s], want [%s]\n", q, got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    srch_results_free(res);
}

/* An exact form whose occurrences all stem to a prefix of it is marked so
 * (ls_term_info.stem_len) and evaluated only among its stem's passages;
 * mixed stems, or a query stem other than the marked one, keep it a full
 * key of its own. Matches must not depend on which case holds. */
static void test_query_semantics__exact_form_within_its_stem(void)
{
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/exactstem", root);
    srch_index *ix;
    srch_index_options io = SRCH_INDEX_OPTIONS_INIT;
    io.auto_merge = 0;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &io), 0);
    static const char *docs[][2] = {
        {"x1", "une maison abandonnée"}, {"y1", "la maison blanche"},   /* segment 0 */
        {"x2", "maison abandonnee"},     {"x3", "maison abandonnée"},   /* segment 1 */
    };
    for (size_t i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL_FATAL(add_text(ix, docs[i][0], NULL, docs[i][1]), 0);
        if (i == 1)
            CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    }
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    for (int merged = 0; merged < 2; merged++) {
        srch_reader *r;
        CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
        if (!merged) {
            CU_ASSERT_EQUAL_FATAL(r->nsegs, 2);
            CU_ASSERT_EQUAL(w_stem_len(r, 0, "abandonnee"), 7);   /* "abandon" */
            CU_ASSERT_EQUAL(w_stem_len(r, 0, "maison"), 6);
            CU_ASSERT_EQUAL(w_stem_len(r, 1, "abandonnee"), 0);   /* two stems */
        } else {
            CU_ASSERT_EQUAL_FATAL(r->nsegs, 1);
            CU_ASSERT_EQUAL(w_stem_len(r, 0, "abandonnee"), 0);
            CU_ASSERT_EQUAL(w_stem_len(r, 0, "maison"), 6);
        }
        for (int and = 0; and < 2; and++) {
            const char *want = and ? "x1 x2 x3" : "x1 x2 x3 y1";
            expect_ids(r, "abandonnee maison", and, want);
            expect_ids(r, "abandonnée maison", and, want);
            expect_ids(r, "maison abandonnee", and, want);
        }
        expect_ids(r, "abandonnee", 0, "x1 x2 x3");
        expect_ids(r, "abandonnée", 0, "x1 x2 x3");
        expect_ids(r, "abandonnee blanche", 0, "x1 x2 x3 y1");
        expect_ids(r, "abandonnee AND NOT blanche", 0, "x1 x2 x3");
        expect_ids(r, "+abandonnee blanche", 0, "x1 x2 x3");
        srch_reader_close(r);
        if (!merged)
            CU_ASSERT_EQUAL_FATAL(srch_index_merge(ix, 1), 0);
    }
    srch_index_close(ix);
}

/* Is key (field byte + text) in the dictionary of segment i of r? */
static int has_key(srch_reader *r, size_t i, const char *key)
{
    ls_term_info ti;
    return ls_termdict_get(&r->segs[i].seg->td, (const unsigned char *)key, strlen(key), &ti) == 1;
}

static void pair_phrases(srch_reader *r)
{
    expect_ids(r, "\"la maison de verre\"", 0, "p1");
    expect_ids(r, "\"de la\"", 0, "p2 p3 p5");
    expect_ids(r, "\"maison de\"", 0, "p1 p5");
    expect_ids(r, "\"de verre\"", 0, "p1 p5");
    expect_ids(r, "\"verre de la\"", 0, "p3");
    expect_ids(r, "\"maison verre\"", 0, "p3");           /* no common word: no pair */
    expect_ids(r, "\"de la maison\" verre", 1, "");
    expect_ids(r, "\"la maison\" NEAR/2 verre", 0, "p1");
    /* a pair stands for two words: "la maison" ends where "de verre" starts */
    expect_ids(r, "\"la maison\" NEAR/0 \"de verre\"", 0, "p1");
    expect_ids(r, "\"de la\" NEAR/0 ville", 0, "p5");
}

/* Common-word pairs (index/pairs.h): indexed with the list's id in the
 * manifest, used by phrases; a segment made with another list is searched
 * through its words alone, and a merge with it drops the pairs. */
static void test_query_semantics__common_word_pairs(void)
{
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/pairs", root);
    srch_index *ix;
    srch_index_options io = SRCH_INDEX_OPTIONS_INIT;
    io.auto_merge = 0;
    io.durable = 0;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &io), 0);
    static const char *docs[][2] = {
        {"p1", "la maison de verre"}, {"p2", "de la maison"}, {"p3", "maison verre de la"},
        {"p4", "verre"},   /* segment 1 */
        {"p5", "une maison de la ville de verre"},
    };
    for (size_t i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL_FATAL(add_text(ix, docs[i][0], NULL, docs[i][1]), 0);
        if (i == 2)
            CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    }
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    srch_index_close(ix);
    const ls_pairs *fr = ls_pairs_for("french");
    CU_ASSERT_FATAL(fr != NULL && fr->id != 0);
    CU_ASSERT(ls_pairs_for("english") == NULL);
    for (size_t i = 0; i < fr->n; i++)
        CU_ASSERT(ls_pairs_common(fr, fr->words[i], strlen(fr->words[i])));
    static const char *not_common[] = {"", "d", "dans", "les", "lee", "plu", "plusx", "pourquoi"};
    for (size_t i = 0; i < sizeof not_common / sizeof not_common[0]; i++)
        CU_ASSERT(!ls_pairs_common(fr, not_common[i], strlen(not_common[i])));
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    CU_ASSERT_EQUAL_FATAL(r->nsegs, 2);
    for (size_t i = 0; i < 2; i++)
        CU_ASSERT_EQUAL(r->segs[i].seg->meta.pairs, fr->id);
    CU_ASSERT(has_key(r, 0, "Pla maison"));
    CU_ASSERT(has_key(r, 0, "Pmaison de"));
    CU_ASSERT(has_key(r, 0, "Pde verr"));
    CU_ASSERT(has_key(r, 0, "Pverr de"));
    CU_ASSERT(!has_key(r, 0, "Pmaison verr"));   /* neither is common */
    CU_ASSERT(has_key(r, 1, "Pde la"));
    pair_phrases(r);
    srch_reader_close(r);

    /* segment 1 as if made with another list */
    ls_manifest m;
    ls_err err = {0};
    int in_place = 0;
    CU_ASSERT_EQUAL_FATAL(ls_manifest_read_latest(&m, dir, &err), 0);
    m.segs[1].pairs = fr->id ^ 1;
    m.generation++;
    CU_ASSERT_EQUAL_FATAL(ls_manifest_write(&m, dir, 0, &in_place, &err), 0);
    ls_manifest_free(&m);
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    CU_ASSERT_EQUAL(r->segs[1].seg->meta.pairs, fr->id ^ 1);
    pair_phrases(r);
    srch_reader_close(r);

    /* the merge of the two keeps no pair */
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &io), 0);
    CU_ASSERT_EQUAL_FATAL(srch_index_merge(ix, 1), 0);
    srch_index_close(ix);
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    CU_ASSERT_EQUAL_FATAL(r->nsegs, 1);
    CU_ASSERT_EQUAL(r->segs[0].seg->meta.pairs, 0);
    CU_ASSERT(!has_key(r, 0, "Pla maison"));
    CU_ASSERT(!has_key(r, 0, "Pde la"));
    CU_ASSERT(has_key(r, 0, "Bmaison"));
    pair_phrases(r);
    srch_reader_close(r);
    CU_ASSERT_EQUAL(srch_index_check(dir), SRCH_OK);
}

static void test_query_seed__examples_rank_first(void)
{
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, seed_ix), 0);
    CU_ASSERT(first_has(r, "message vidéo de la directrice générale", "Dans un message vidéo, Amy Pope"));
    CU_ASSERT(first_has(r, "politique plus ouverte sur les mouvements transfrontaliers",
                        "Le responsable de l'Administration nationale de l'immigration (ANI)"));
    CU_ASSERT(first_has(r, "\"gouvernance mondiale de migration\"",
                        "Le responsable de l'Administration nationale de l'immigration (ANI)"));
    CU_ASSERT(first_has(r, "equateur tanzanie", "Du 9 au 10 septembre"));
    /* and with the typographic apostrophe, accents, elisions */
    CU_ASSERT(first_has(r, "l’OIM Amy Pope", "Dans un message vidéo"));
    CU_ASSERT(first_has(r, "ETAT ACTUEL DE LA GESTION", "Au cours du Sous-forum"));
    CU_ASSERT(first_has(r, "ANI Chine", "Le responsable de l'Administration"));
    /* the table of tests/data/seed-queries.tsv */
    size_t len;
    char *table = test_read_file(test_data_path("seed-queries.tsv"), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(table);
    int checked = 0;
    char *save;
    for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        CU_ASSERT_PTR_NOT_NULL_FATAL(tab);
        uint32_t want = (uint32_t)atoi(line);
        srch_results *res = search(r, tab + 1, NULL);
        uint32_t got = res && srch_results_count(res) ? srch_results_hit(res, 0)->passage : 0;
        if (got != want)
            fprintf(stderr, "  seed query '%s': passage %u first, expected %u\n", tab + 1, got, want);
        CU_ASSERT_EQUAL(got, want);
        srch_results_free(res);
        checked++;
    }
    free(table);
    CU_ASSERT(checked >= 30);
    srch_results *res = search(r, "l’Équateur", NULL);
    CU_ASSERT_FATAL(res && srch_results_count(res) == 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(srch_results_hit(res, 0)->snippet, "l'<b>Équateur</b>"));
    srch_results_free(res);
    srch_reader_close(r);
}

/* A passage holding the word as typed ranks above one holding only another
 * form of its stem, also when the query has no accents. */
static void test_query_ranking__exact_form_first(void)
{
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/exact", root);
    srch_index *ix;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, NULL), 0);
    static const char *docs[][2] = {
        {"a", "Les migrations de printemps."},
        {"b", "La migration de printemps."},
        {"c", "Une politique abandonnée."},
        {"d", "Un abandon de la politique."},
    };
    for (size_t i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(add_text(ix, docs[i][0], NULL, docs[i][1]), 0);
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    srch_index_close(ix);
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    static const char *cases[][2] = {
        {"migrations", "a"}, {"migration", "b"}, {"MIGRATIONS", "a"},
        {"abandonnée", "c"}, {"abandonnee", "c"}, {"abandon", "d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        srch_results *res = search(r, cases[i][0], NULL);
        CU_ASSERT_FATAL(res && srch_results_count(res) >= 1);
        if (strcmp(srch_results_hit(res, 0)->id, cases[i][1]) != 0)
            fprintf(stderr, "  '%s': %s first\n", cases[i][0], srch_results_hit(res, 0)->id);
        CU_ASSERT_STRING_EQUAL(srch_results_hit(res, 0)->id, cases[i][1]);
        srch_results_free(res);
    }
    srch_reader_close(r);
}

/* ------------------------------------------------------------ semantics */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The passage ids ("r0001/2") matching q, sorted, as one string. */
static char *match_set(srch_reader *r, const char *q)
{
    srch_search_options o = SRCH_SEARCH_OPTIONS_INIT;
    o.limit = 100000;
    o.stored = 0;
    o.exact_total = 1;
    srch_results *res = search(r, q, &o);
    if (!res)
        return strdup("?");
    size_t n = srch_results_count(res);
    char **v = malloc((n + 1) * sizeof *v);
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        const srch_hit *h = srch_results_hit(res, i);
        char buf[64];
        snprintf(buf, sizeof buf, "%s/%u", h->id, h->passage);
        v[i] = strdup(buf);
        total += strlen(buf) + 1;
    }
    qsort(v, n, sizeof *v, cmp_str);
    char *s = malloc(total);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(s, v[i]);
        strcat(s, " ");
        free(v[i]);
    }
    free(v);
    srch_results_free(res);
    return s;
}

/* Brute force: does passage text (one paragraph) contain word w
 * (analyzed terms equal)? */
typedef struct has_ctx {
    const char *term;
    int found;
} has_ctx;

static int has_cb(void *ctx, const srch_token *t)
{
    has_ctx *h = ctx;
    if (strcmp(t->term, h->term) == 0)
        h->found = 1;
    return 0;
}

static srch_analyzer *an;

static int contains(const char *text, size_t len, const char *term)
{
    has_ctx h = {term, 0};
    srch_analyze(an, text, len, has_cb, &h);
    return h.found;
}

/* The model's matching passage ids for a predicate over (body, title). */
typedef int (*pred_fn)(const char *body, size_t len, const char *title, void *ctx);

static char *model_set(pred_fn pred, void *ctx)
{
    char **v = malloc(NDOCS * 4 * sizeof *v);
    size_t n = 0, total = 1;
    for (int d = 0; d < NDOCS; d++) {
        if (!live[d])
            continue;
        const char *t = texts[d];
        for (int p = 1;; p++) {
            const char *e = strstr(t, "\n\n");
            size_t len = e ? (size_t)(e - t) : strlen(t);
            if (pred(t, len, titles[d], ctx)) {
                char buf[64];
                snprintf(buf, sizeof buf, "r%04d/%d", d, p);
                v[n++] = strdup(buf);
                total += strlen(buf) + 1;
            }
            if (!e)
                break;
            t = e + 2;
        }
    }
    qsort(v, n, sizeof *v, cmp_str);
    char *s = malloc(total);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(s, v[i]);
        strcat(s, " ");
        free(v[i]);
    }
    free(v);
    return s;
}

typedef struct words2 {
    const char *a, *b;
    int op;   /* 0 OR, 1 AND, 2 a NOT b, 3 body-only a, 4 title-only a */
} words2;

static int pred_words(const char *body, size_t len, const char *title, void *ctx)
{
    words2 *w = ctx;
    size_t tl = strlen(title);
    int a_body = contains(body, len, w->a), a_title = contains(title, tl, w->a);
    int b = w->b ? contains(body, len, w->b) || contains(title, tl, w->b) : 0;
    int a = a_body || a_title;
    switch (w->op) {
    case 0: return a || b;
    case 1: return a && b;
    case 2: return a && !b;
    case 3: return a_body;
    default: return a_title;
    }
}

static void test_query_semantics__boolean_fields_against_model(void)
{
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, rand_ix), 0);
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&an, NULL), 0);
    unsigned long long st = test_seed();
    for (int i = 0; i < 40; i++) {
        words2 w = {vocab[test_rand(&st) % 60], vocab[test_rand(&st) % 60], (int)(i % 5)};
        char q[128];
        /* every model predicate compares stemmed terms */
        char ta[64], tb[64];
        snprintf(ta, sizeof ta, "%s", w.a);
        snprintf(tb, sizeof tb, "%s", w.b);
        switch (w.op) {
        case 0: snprintf(q, sizeof q, "%s OR %s", w.a, w.b); break;
        case 1: snprintf(q, sizeof q, "%s AND %s", w.a, w.b); break;
        case 2: snprintf(q, sizeof q, "%s -%s", w.a, w.b); break;
        case 3: snprintf(q, sizeof q, "body:%s", w.a); w.b = NULL; break;
        default: snprintf(q, sizeof q, "title:%s", w.a); w.b = NULL; break;
        }
        /* the model needs the terms, not the words */
        typedef struct { char term[64]; } one;
        one oa = {{0}}, ob = {{0}};
        srch_query *pq;
        CU_ASSERT_EQUAL_FATAL(srch_query_parse(&pq, ta, "french", 0, NULL), 0);
        snprintf(oa.term, sizeof oa.term, "%s", srch_query_describe(pq));
        *strchrnul(oa.term, '~') = '\0';
        srch_query_free(pq);
        CU_ASSERT_EQUAL_FATAL(srch_query_parse(&pq, tb, "french", 0, NULL), 0);
        snprintf(ob.term, sizeof ob.term, "%s", srch_query_describe(pq));
        *strchrnul(ob.term, '~') = '\0';
        srch_query_free(pq);
        w.a = oa.term;
        if (w.b)
            w.b = ob.term;
        char *got = match_set(r, q), *want = model_set(pred_words, &w);
        if (strcmp(got, want) != 0)
            fprintf(stderr, "  '%s': got %.80s\n    want %.80s\n", q, got, want);
        CU_ASSERT_STRING_EQUAL(got, want);
        free(got);
        free(want);
    }
    srch_analyzer_free(an);
    srch_reader_close(r);
}

typedef struct phrase_ctx {
    char terms[3][64];
    int n;
    int near;                 /* NEAR/near instead of a phrase; -1: phrase */
} phrase_ctx;

typedef struct posv {
    const char *want[3];
    int n;
    int pos[3][512];
    int npos[3];
    int at;
} posv;

static int pos_cb(void *ctx, const srch_token *t)
{
    posv *p = ctx;
    for (int i = 0; i < p->n; i++)
        if (strcmp(t->term, p->want[i]) == 0 && p->npos[i] < 512)
            p->pos[i][p->npos[i]++] = (int)t->position;
    return 0;
}

static int pred_phrase(const char *body, size_t len, const char *title, void *ctx)
{
    phrase_ctx *c = ctx;
    (void)title;
    posv p = {.n = c->n};
    for (int i = 0; i < c->n; i++)
        p.want[i] = c->terms[i];
    srch_analyze(an, body, len, pos_cb, &p);
    if (c->near < 0) {
        for (int k = 0; k < p.npos[0]; k++) {
            int ok = 1;
            for (int i = 1; i < c->n && ok; i++) {
                ok = 0;
                for (int j = 0; j < p.npos[i]; j++)
                    ok |= p.pos[i][j] == p.pos[0][k] + i;
            }
            if (ok)
                return 1;
        }
        return 0;
    }
    /* two words within `near` words of each other */
    for (int a = 0; a < p.npos[0]; a++)
        for (int b = 0; b < p.npos[1]; b++)
            if (abs(p.pos[0][a] - p.pos[1][b]) - 1 <= c->near)
                return 1;
    return 0;
}

static void test_query_semantics__phrases_and_near_against_model(void)
{
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, rand_ix), 0);
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&an, NULL), 0);
    unsigned long long st = test_seed();
    for (int i = 0; i < 30; i++) {
        phrase_ctx c = {.n = 2 + i % 2, .near = i % 3 == 0 ? (int)(test_rand(&st) % 6) : -1};
        if (c.near >= 0)
            c.n = 2;
        char q[256] = "";
        const char *w[3];
        for (int k = 0; k < c.n; k++) {
            w[k] = vocab[test_rand(&st) % 12];   /* frequent words: phrases exist */
            srch_query *pq;
            CU_ASSERT_EQUAL_FATAL(srch_query_parse(&pq, w[k], "french", 0, NULL), 0);
            snprintf(c.terms[k], sizeof c.terms[k], "%s", srch_query_describe(pq));
            *strchrnul(c.terms[k], '~') = '\0';
            srch_query_free(pq);
        }
        if (c.near >= 0)
            snprintf(q, sizeof q, "body:%s NEAR/%d body:%s", w[0], c.near, w[1]);
        else
            snprintf(q, sizeof q, "body:\"%s %s%s%s\"", w[0], w[1], c.n > 2 ? " " : "",
                     c.n > 2 ? w[2] : "");
        char *got = match_set(r, q), *want = model_set(pred_phrase, &c);
        if (strcmp(got, want) != 0)
            fprintf(stderr, "  '%s': got %.80s\n    want %.80s\n", q, got, want);
        CU_ASSERT_STRING_EQUAL(got, want);
        free(got);
        free(want);
    }
    srch_analyzer_free(an);
    srch_reader_close(r);
}

static void test_query_semantics__prefix_paging_per_doc_limits(void)
{
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, rand_ix), 0);
    /* paging: pages of 7 tile the full ranking */
    srch_search_options o = SRCH_SEARCH_OPTIONS_INIT;
    o.limit = 1000;
    o.stored = 0;
    srch_results *all = search(r, vocab[3], &o);
    CU_ASSERT_FATAL(all && srch_results_count(all) > 30);
    for (size_t off = 0; off < 30; off += 7) {
        o.limit = 7;
        o.offset = off;
        srch_results *page = search(r, vocab[3], &o);
        CU_ASSERT_FATAL(page != NULL);
        for (size_t i = 0; i < srch_results_count(page); i++) {
            const srch_hit *a = srch_results_hit(page, i), *b = srch_results_hit(all, off + i);
            CU_ASSERT_STRING_EQUAL(a->id, b->id);
            CU_ASSERT_EQUAL(a->passage, b->passage);
            CU_ASSERT_EQUAL(a->score, b->score);
        }
        srch_results_free(page);
    }
    /* deleted documents never appear */
    for (size_t i = 0; i < srch_results_count(all); i++) {
        int d = atoi(srch_results_hit(all, i)->id + 1);
        CU_ASSERT(live[d]);
    }
    srch_results_free(all);
    /* per document: distinct ids, each its best passage */
    o.limit = 50;
    o.offset = 0;
    o.per_document = 1;
    srch_results *pd = search(r, vocab[1], &o);
    CU_ASSERT_FATAL(pd != NULL);
    for (size_t i = 0; i < srch_results_count(pd); i++)
        for (size_t j = 0; j < i; j++)
            CU_ASSERT_STRING_NOT_EQUAL(srch_results_hit(pd, i)->id, srch_results_hit(pd, j)->id);
    srch_results_free(pd);
    /* prefix: the words starting with it; the bound on the expansion */
    char pre[8];
    snprintf(pre, sizeof pre, "%.2s*", vocab[5]);
    o.per_document = 0;
    o.limit = 5;
    srch_results *pr = search(r, pre, &o);
    CU_ASSERT(pr && srch_results_count(pr) > 0);
    srch_results_free(pr);
    o.max_expansion = 2;
    srch_results *res = NULL;
    CU_ASSERT_EQUAL(srch_search_text(&res, r, "m*", &o), SRCH_ELIMIT);
    CU_ASSERT_PTR_NOT_NULL(strstr(srch_errmsg(), "matches more than 2 words"));
    srch_reader_close(r);
}

/* ------------------------------------------------------------ pruning */

static int same_results(srch_results *a, srch_results *b, const char *q)
{
    if (srch_results_count(a) != srch_results_count(b)) {
        fprintf(stderr, "  '%s': %zu vs %zu hits\n", q, srch_results_count(a), srch_results_count(b));
        return 0;
    }
    for (size_t i = 0; i < srch_results_count(a); i++) {
        const srch_hit *x = srch_results_hit(a, i), *y = srch_results_hit(b, i);
        if (strcmp(x->id, y->id) || x->passage != y->passage || x->score != y->score) {
            fprintf(stderr, "  '%s' hit %zu: %s/%u %.17g vs %s/%u %.17g\n", q, i, x->id,
                    x->passage, x->score, y->id, y->passage, y->score);
            return 0;
        }
    }
    return 1;
}

/* Random queries: the pruned top-k equals the exhaustive top-k, bit for
 * bit, for every query shape and k. */
static void test_query_pruning__equals_exhaustive(void)
{
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, rand_ix), 0);
    unsigned long long st = test_seed();
    int pruned_some = 0;
    for (int i = 0; i < 600; i++) {
        char q[256];
        int shape = i % 10;
        const char *a = vocab[zipf(&st)], *b = vocab[zipf(&st)], *c = vocab[zipf(&st)];
        switch (shape) {
        case 0: snprintf(q, sizeof q, "%s", a); break;
        case 1: snprintf(q, sizeof q, "%s %s", a, b); break;
        case 2: snprintf(q, sizeof q, "%s %s %s %s", a, b, c, vocab[test_rand(&st) % VOCAB]); break;
        case 3: snprintf(q, sizeof q, "%s AND %s", a, b); break;
        case 4: snprintf(q, sizeof q, "\"%s %s\" %s", a, b, c); break;
        case 5: snprintf(q, sizeof q, "%s %s -%s", a, b, c); break;
        case 6: snprintf(q, sizeof q, "+%s %s title:%s", a, b, c); break;
        case 8: snprintf(q, sizeof q, "\"%s %s\"", a, b); break;   /* phrase floors */
        case 9: snprintf(q, sizeof q, "\"%s %s %s\"", a, b, c); break;
        default: snprintf(q, sizeof q, "%.2s* %s", a, b); break;
        }
        srch_search_options o = SRCH_SEARCH_OPTIONS_INIT;
        o.stored = 0;
        o.limit = 1 + test_rand(&st) % 30;
        o.per_document = test_rand(&st) % 4 == 0;
        srch_results *pruned = search(r, q, &o);
        o.exact_total = 1;   /* disables every skip */
        srch_results *full = search(r, q, &o);
        CU_ASSERT_FATAL(pruned && full);
        CU_ASSERT(same_results(pruned, full, q));
        int exact;
        uint64_t tp = srch_results_total(pruned, &exact);
        uint64_t tf = srch_results_total(full, NULL);
        pruned_some |= !exact;
        CU_ASSERT(exact ? tp == tf : tp <= tf);
        srch_results_free(pruned);
        srch_results_free(full);
    }
    CU_ASSERT(pruned_some);   /* the test exercised pruning */
    srch_reader_close(r);
}

/* An independent BM25: analyze every live passage, count, score. */
typedef struct tfc {
    const char *term, *word;
    uint32_t tf_b, tf_w, len;
} tfc;

static int tf_cb(void *ctx, const srch_token *t)
{
    tfc *c = ctx;
    c->len++;
    c->tf_b += strcmp(t->term, c->term) == 0;
    c->tf_w += strcmp(t->word, c->word) == 0;
    return 0;
}

typedef struct tlen {
    const char *term;
    uint32_t tf, len;
} tlen;

static int tl_cb(void *ctx, const srch_token *t)
{
    tlen *c = ctx;
    c->len++;
    c->tf += strcmp(t->term, c->term) == 0;
    return 0;
}

static double bm(double idf, double tf, double len, double avg)
{
    return idf * 2.2 * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * len / avg));
}

static void test_query_bm25__matches_brute_force(void)
{
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, rand_ix), 0);
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&an, NULL), 0);
    /* passages of live documents, their texts */
    enum { MAXP = NDOCS * 3 };
    const char **body = malloc(MAXP * sizeof *body);
    size_t *blen = malloc(MAXP * sizeof *blen);
    int *pdoc = malloc(MAXP * sizeof *pdoc), *pnum = malloc(MAXP * sizeof *pnum);
    size_t np = 0;
    for (int d = 0; d < NDOCS; d++) {
        if (!live[d])
            continue;
        const char *t = texts[d];
        for (int p = 1;; p++) {
            const char *e = strstr(t, "\n\n");
            body[np] = t;
            blen[np] = e ? (size_t)(e - t) : strlen(t);
            pdoc[np] = d;
            pnum[np] = p;
            np++;
            if (!e)
                break;
            t = e + 2;
        }
    }
    unsigned long long st = test_seed();
    for (int qi = 0; qi < 25; qi++) {
        const char *words[2] = {vocab[zipf(&st)], vocab[zipf(&st)]};
        char q[128];
        snprintf(q, sizeof q, "%s %s", words[0], words[1]);
        /* analyzed forms */
        char term[2][64], word[2][64];
        for (int k = 0; k < 2; k++) {
            srch_query *pq;
            CU_ASSERT_EQUAL_FATAL(srch_query_parse(&pq, words[k], "french", 0, NULL), 0);
            const char *ds = srch_query_describe(pq);
            const char *tilde = strchr(ds, '~');
            snprintf(term[k], sizeof term[k], "%.*s", (int)(tilde ? tilde - ds : (long)strlen(ds)), ds);
            snprintf(word[k], sizeof word[k], "%s", tilde ? tilde + 1 : ds);
            srch_query_free(pq);
        }
        /* statistics */
        double n = (double)np, sum_b = 0, sum_t = 0;
        double df_b[2] = {0}, df_t[2] = {0}, df_w[2] = {0};
        double *score = calloc(np, sizeof *score);
        tfc *cb = malloc(np * 2 * sizeof *cb);
        tlen *ct = malloc(np * 2 * sizeof *ct);
        for (size_t p = 0; p < np; p++) {
            const char *title = titles[pdoc[p]];
            for (int k = 0; k < 2; k++) {
                tfc *c = &cb[2 * p + k];
                *c = (tfc){term[k], word[k], 0, 0, 0};
                srch_analyze(an, body[p], blen[p], tf_cb, c);
                tlen *u = &ct[2 * p + k];
                *u = (tlen){term[k], 0, 0};
                srch_analyze(an, title, strlen(title), tl_cb, u);
                df_b[k] += c->tf_b > 0;
                df_w[k] += c->tf_w > 0;
                df_t[k] += u->tf > 0;
            }
            sum_b += cb[2 * p].len;
            sum_t += ct[2 * p].len;
        }
        double avg_b = sum_b / n, avg_t = sum_t / n;
        for (size_t p = 0; p < np; p++) {
            int matched = 0;
            for (int k = 0; k < 2; k++) {
                const tfc *c = &cb[2 * p + k];
                const tlen *u = &ct[2 * p + k];
                double s = 0;
                if (c->tf_b)
                    s += bm(log(1 + (n - df_b[k] + 0.5) / (df_b[k] + 0.5)), c->tf_b, c->len, avg_b);
                if (u->tf)
                    s += 0.3 * bm(log(1 + (n - df_t[k] + 0.5) / (df_t[k] + 0.5)), u->tf, u->len, avg_t);
                if (c->tf_w)
                    s += 1.0 * bm(log(1 + (n - df_w[k] + 0.5) / (df_w[k] + 0.5)), c->tf_w, c->len, avg_b);
                score[p] += s;
                matched += c->tf_b || u->tf || c->tf_w;
            }
            if (strcmp(term[0], term[1]) != 0 || strcmp(word[0], word[1]) != 0)
                score[p] *= matched / 2.0;   /* coordination: two alternatives */
            else
                score[p] *= matched == 2 ? 1.0 : 0.5;
        }
        /* the engine's top 10 must be the brute force's top 10 */
        srch_search_options o = SRCH_SEARCH_OPTIONS_INIT;
        o.stored = 0;
        o.limit = 10;
        srch_results *res = search(r, q, &o);
        CU_ASSERT_FATAL(res != NULL);
        unsigned char *in_top = calloc(np, 1);
        double last = 0;
        for (size_t i = 0; i < srch_results_count(res); i++) {
            const srch_hit *h = srch_results_hit(res, i);
            int d = atoi(h->id + 1);
            size_t p = 0;
            while (p < np && !(pdoc[p] == d && pnum[p] == (int)h->passage))
                p++;
            CU_ASSERT_FATAL(p < np);
            in_top[p] = 1;
            last = h->score;
            if (fabs(score[p] - h->score) >= 1e-9 * (1 + score[p]))
                fprintf(stderr, "  '%s' hit %zu %s/%u: %.12g, brute force %.12g\n", q, i, h->id,
                        h->passage, h->score, score[p]);
            CU_ASSERT(fabs(score[p] - h->score) < 1e-9 * (1 + score[p]));
        }
        /* nothing left out scores above the last hit */
        for (size_t k = 0; k < np && srch_results_count(res) == 10; k++) {
            int ok = in_top[k] || score[k] <= last + 1e-9;
            if (!ok)
                fprintf(stderr, "  '%s': r%04d/%d scores %.12g above the last hit %.12g\n", q,
                        pdoc[k], pnum[k], score[k], last);
            CU_ASSERT(ok);
        }
        free(in_top);
        size_t expect = 0;
        for (size_t p = 0; p < np; p++)
            expect += score[p] > 0;
        CU_ASSERT_EQUAL(srch_results_count(res), expect < 10 ? expect : 10);
        srch_results_free(res);
        free(score);
        free(cb);
        free(ct);
    }
    free(body);
    free(blen);
    free(pdoc);
    free(pnum);
    srch_analyzer_free(an);
    srch_reader_close(r);
}

/* A word that is the only form of its stem in a segment has the same list
 * as the stem (B:richelet and W:richelet): one scorer scores both
 * (ls_term_scorer_absorb). Where the lists differ only in frequencies
 * ("chat" always beside "chats": the same passages, B:chat counts both
 * forms) they stay two. Scores against the formula either way. */
static void test_query_bm25__word_with_its_stems_list(void)
{
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/samelist", root);
    srch_index *ix;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, NULL), 0);
    static const char *docs[][2] = {
        {"a", "le chat et les chats dorment"}, {"b", "un chat chats noir"},
        {"c", "selon richelet"},               {"d", "richelet cite richelet encore une fois"},
        {"e", "un chien"},                     {"f", "le vent souffle sur la lande"},
        {"g", "richelet"},
    };
    enum { ND = sizeof docs / sizeof docs[0] };
    for (size_t i = 0; i < ND; i++)
        CU_ASSERT_EQUAL_FATAL(add_text(ix, docs[i][0], NULL, docs[i][1]), 0);
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    srch_index_close(ix);
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    CU_ASSERT_EQUAL_FATAL(r->nsegs, 1);
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&an, NULL), 0);
    /* the codec's comparison of the two lists */
    static const struct {
        const char *word;
        int same;
    } lists[] = {{"richelet", 1}, {"chat", 0}};
    const ls_segment *seg = r->segs[0].seg;
    for (size_t i = 0; i < 2; i++) {
        unsigned char kb[64], kw[64];
        size_t n = strlen(lists[i].word);
        kb[0] = LS_FIELD_BODY;
        kw[0] = LS_FIELD_WORD;
        memcpy(kb + 1, lists[i].word, n);
        memcpy(kw + 1, lists[i].word, n);
        ls_term_info tb, tw;
        CU_ASSERT_EQUAL_FATAL(ls_termdict_get(&seg->td, kb, n + 1, &tb), 1);
        CU_ASSERT_EQUAL_FATAL(ls_termdict_get(&seg->td, kw, n + 1, &tw), 1);
        CU_ASSERT_EQUAL(tb.df, tw.df);
        CU_ASSERT_EQUAL(tw.stem_len, n);   /* W within B: the case absorb is tried */
        ls_postings *pb = malloc(sizeof *pb), *pw = malloc(sizeof *pw);
        CU_ASSERT_FATAL(pb && pw);
        CU_ASSERT_EQUAL_FATAL(ls_segment_postings(seg, kb, &tb, pb, NULL), 0);
        CU_ASSERT_EQUAL_FATAL(ls_segment_postings(seg, kw, &tw, pw, NULL), 0);
        CU_ASSERT_EQUAL(ls_postings_same(pb, pw, 1 << 20), lists[i].same);
        CU_ASSERT_EQUAL(ls_postings_same(pw, pb, 1 << 20), lists[i].same);
        CU_ASSERT_EQUAL(ls_postings_same(pb, pb, 1 << 20), 1);
        CU_ASSERT_EQUAL(ls_postings_same(pb, pb, 0), 0);   /* too long to compare */
        free(pb);
        free(pw);
    }
    /* the scores: body and exact form, each with its own idf */
    double n = ND, sum = 0, len[ND];
    for (size_t d = 0; d < ND; d++) {
        tfc c = {"-", "-", 0, 0, 0};
        srch_analyze(an, docs[d][1], strlen(docs[d][1]), tf_cb, &c);
        sum += len[d] = c.len;
    }
    static const char *terms[][2] = {{"richelet", "richelet"}, {"chat", "chat"}};
    for (size_t qi = 0; qi < 2; qi++) {
        tfc c[ND];
        double df_b = 0, df_w = 0;
        for (size_t d = 0; d < ND; d++) {
            c[d] = (tfc){terms[qi][0], terms[qi][1], 0, 0, 0};
            srch_analyze(an, docs[d][1], strlen(docs[d][1]), tf_cb, &c[d]);
            df_b += c[d].tf_b > 0;
            df_w += c[d].tf_w > 0;
        }
        srch_search_options o = SRCH_SEARCH_OPTIONS_INIT;
        o.stored = 0;
        srch_results *res = search(r, terms[qi][1], &o);
        CU_ASSERT_FATAL(res != NULL);
        CU_ASSERT_EQUAL(srch_results_count(res), (size_t)df_b);
        for (size_t i = 0; i < srch_results_count(res); i++) {
            const srch_hit *h = srch_results_hit(res, i);
            size_t d = (size_t)(h->id[0] - 'a');
            CU_ASSERT_FATAL(d < ND);
            double want = bm(log(1 + (n - df_b + 0.5) / (df_b + 0.5)), c[d].tf_b, len[d], sum / n) +
                          bm(log(1 + (n - df_w + 0.5) / (df_w + 0.5)), c[d].tf_w, len[d], sum / n);
            if (fabs(want - h->score) >= 1e-9 * (1 + want))
                fprintf(stderr, "  '%s' %s: %.12g, formula %.12g\n", terms[qi][1], h->id,
                        h->score, want);
            CU_ASSERT(fabs(want - h->score) < 1e-9 * (1 + want));
        }
        srch_results_free(res);
    }
    srch_analyzer_free(an);
    srch_reader_close(r);
}

/* A prefix is one term per field whose frequency is the sum of its words'
 * (query/group.c), with the idf of the estimated union of their passages:
 * against a brute force over the analyzed passages. */
typedef struct pfx {
    const char *prefix;
    size_t plen;
    uint32_t tf, len;
    int title;                /* unused: both fields count exact forms */
    char (*seen)[32];         /* distinct matching keys of this passage */
    size_t nseen;
} pfx;

static int pfx_cb(void *ctx, const srch_token *t)
{
    pfx *c = ctx;
    c->len++;
    const char *k = t->word;   /* exact forms, in the body and the title */
    size_t kl = t->word_len;
    if (kl < c->plen || memcmp(k, c->prefix, c->plen) != 0 || kl >= 32)
        return 0;
    c->tf++;
    for (size_t i = 0; i < c->nseen; i++)
        if (strncmp(c->seen[i], k, kl) == 0 && c->seen[i][kl] == '\0')
            return 0;
    if (c->nseen < 64) {
        memcpy(c->seen[c->nseen], k, kl);
        c->seen[c->nseen++][kl] = '\0';
    }
    return 0;
}

typedef struct dfmap {
    char key[256][33];        /* field byte + key */
    double df[256];
    size_t n;
} dfmap;

static void df_add(dfmap *m, char field, const char *k)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->key[i][0] == field && strcmp(m->key[i] + 1, k) == 0) {
            m->df[i]++;
            return;
        }
    if (m->n < 256) {
        m->key[m->n][0] = field;
        snprintf(m->key[m->n] + 1, 32, "%s", k);
        m->df[m->n++] = 1;
    }
}

static double union_idf(const dfmap *m, char field, double n)
{
    double lo = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->key[i][0] == field)
            lo += log1p(-m->df[i] / n);
    double df = -n * expm1(lo);
    return log(1 + (n - df + 0.5) / (df + 0.5));
}

static void test_query_bm25__prefix_matches_brute_force(void)
{
    static const char *prefixes[] = {"ma", "ti", "re", "su", "ca", "do", "lon", "pi"};
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, rand_ix), 0);
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&an, NULL), 0);
    for (size_t qi = 0; qi < sizeof prefixes / sizeof *prefixes; qi++) {
        const char *pre = prefixes[qi];
        size_t plen = strlen(pre);
        size_t cap = NDOCS * 3, np = 0;
        double *tfb = calloc(cap, sizeof *tfb), *lb = calloc(cap, sizeof *lb);
        double *tft = calloc(cap, sizeof *tft), *lt = calloc(cap, sizeof *lt);
        char **pid = calloc(cap, sizeof *pid);
        int *pnum = calloc(cap, sizeof *pnum);
        dfmap *dm = calloc(1, sizeof *dm);
        char (*seen)[32] = calloc(64, 32);
        double sum_b = 0, sum_t = 0;
        for (int d = 0; d < NDOCS; d++) {
            if (!live[d])
                continue;
            const char *t = texts[d];
            for (int p = 1;; p++) {
                const char *e = strstr(t, "\n\n");
                size_t len = e ? (size_t)(e - t) : strlen(t);
                pfx b = {pre, plen, 0, 0, 0, seen, 0};
                srch_analyze(an, t, len, pfx_cb, &b);
                for (size_t i = 0; i < b.nseen; i++)
                    df_add(dm, 'W', b.seen[i]);
                pfx h = {pre, plen, 0, 0, 1, seen, 0};
                srch_analyze(an, titles[d], strlen(titles[d]), pfx_cb, &h);
                for (size_t i = 0; i < h.nseen; i++)
                    df_add(dm, 'T', h.seen[i]);
                tfb[np] = b.tf, lb[np] = b.len, tft[np] = h.tf, lt[np] = h.len;
                sum_b += b.len, sum_t += h.len;
                char id[16];
                snprintf(id, sizeof id, "r%04d", d);
                pid[np] = strdup(id);
                pnum[np++] = p;
                if (!e)
                    break;
                t = e + 2;
            }
        }
        double n = (double)np, idf_w = union_idf(dm, 'W', n), idf_t = union_idf(dm, 'T', n);
        double *score = calloc(np, sizeof *score);
        size_t matching = 0;
        for (size_t p = 0; p < np; p++) {
            if (tfb[p])
                score[p] += bm(idf_w, tfb[p], lb[p], sum_b / n);
            if (tft[p])
                score[p] += 0.3 * bm(idf_t, tft[p], lt[p], sum_t / n);
            matching += score[p] > 0;
        }
        char q[16];
        snprintf(q, sizeof q, "%s*", pre);
        srch_search_options o = SRCH_SEARCH_OPTIONS_INIT;
        o.stored = 0;
        o.limit = 10;
        o.exact_total = 1;
        srch_results *res = search(r, q, &o);
        CU_ASSERT_FATAL(res != NULL);
        CU_ASSERT_EQUAL(srch_results_total(res, NULL), matching);
        double last = 1e300;
        for (size_t i = 0; i < srch_results_count(res); i++) {
            const srch_hit *h = srch_results_hit(res, i);
            size_t p = 0;
            while (p < np && !(strcmp(pid[p], h->id) == 0 && pnum[p] == (int)h->passage))
                p++;
            CU_ASSERT_FATAL(p < np);
            if (fabs(score[p] - h->score) >= 1e-9 * (1 + score[p]))
                fprintf(stderr, "  '%s' hit %zu %s/%u: %.12g, brute force %.12g\n", q, i, h->id,
                        h->passage, h->score, score[p]);
            CU_ASSERT(fabs(score[p] - h->score) < 1e-9 * (1 + score[p]));
            last = h->score;
        }
        CU_ASSERT_EQUAL(srch_results_count(res), matching < 10 ? matching : 10);
        /* nothing left out scores above the last hit */
        size_t above = 0;
        for (size_t p = 0; p < np; p++)
            above += score[p] > last + 1e-9;
        CU_ASSERT(above < 10);
        /* with pruning (the group's block bounds), the same hits */
        o.exact_total = 0;
        srch_results *pruned = search(r, q, &o);
        CU_ASSERT_FATAL(pruned != NULL);
        CU_ASSERT(same_results(pruned, res, q));
        srch_results_free(pruned);
        srch_results_free(res);
        for (size_t p = 0; p < np; p++)
            free(pid[p]);
        free(pid), free(pnum), free(tfb), free(lb), free(tft), free(lt), free(score);
        free(dm), free(seen);
    }
    srch_analyzer_free(an);
    srch_reader_close(r);
}

/* Scores do not depend on how the index is segmented. */
static void test_query_merge__same_scores_after_merge(void)
{
    char copy[PATH_MAX + 64], cmd[3 * PATH_MAX];
    snprintf(copy, sizeof copy, "%s/merged", root);
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", rand_ix, copy);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    srch_index *ix;
    srch_index_options io = SRCH_INDEX_OPTIONS_INIT;
    io.threads = 2;   /* the merge in two threads (merger.c, split_key) */
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, copy, &io), 0);
    CU_ASSERT_EQUAL_FATAL(srch_index_merge(ix, 1), 0);
    srch_index_close(ix);
    CU_ASSERT_EQUAL(srch_index_check(copy), SRCH_OK);
    srch_reader *a, *b;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&a, rand_ix), 0);
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&b, copy), 0);
    CU_ASSERT(a->nsegs > 1);
    CU_ASSERT_EQUAL(b->nsegs, 1);
    unsigned long long st = test_seed();
    for (int i = 0; i < 60; i++) {
        char q[128];
        const char *w1 = vocab[zipf(&st)], *w2 = vocab[zipf(&st)];
        if (i % 3 == 2)   /* a prefix: its words' statistics span segments */
            snprintf(q, sizeof q, "%.*s* %s", (w1[1] & 0x80) ? 1 : 2, w1, w2);
        else
            snprintf(q, sizeof q, i % 3 ? "%s %s" : "\"%s %s\"", w1, w2);
        srch_search_options o = SRCH_SEARCH_OPTIONS_INIT;
        o.stored = 0;
        o.limit = 20;
        srch_results *x = search(a, q, &o), *y = search(b, q, &o);
        CU_ASSERT_FATAL(x && y);
        CU_ASSERT(same_results(x, y, q));
        srch_results_free(x);
        srch_results_free(y);
    }
    srch_reader_close(a);
    srch_reader_close(b);
}

typedef struct thr {
    srch_reader *r;
    int ok;
} thr;

static void *search_thread(void *p)
{
    thr *t = p;
    t->ok = 1;
    for (int i = 0; i < 200 && t->ok; i++) {
        char q[64];
        snprintf(q, sizeof q, "%s %s", vocab[i % 20], vocab[(i * 7) % 40]);
        srch_search_options o = SRCH_SEARCH_OPTIONS_INIT;
        o.limit = 5;
        srch_results *x = NULL, *y = NULL;
        if (srch_search_text(&x, t->r, q, &o) || srch_search_text(&y, t->r, q, &o))
            t->ok = 0;
        else
            t->ok = srch_results_count(x) == srch_results_count(y) &&
                    (!srch_results_count(x) ||
                     strcmp(srch_results_hit(x, 0)->snippet, srch_results_hit(y, 0)->snippet) == 0);
        srch_results_free(x);
        srch_results_free(y);
    }
    return NULL;
}

static void test_query_threads__shared_reader(void)
{
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, rand_ix), 0);
    pthread_t t[4];
    thr a[4];
    for (int i = 0; i < 4; i++) {
        a[i].r = r;
        pthread_create(&t[i], NULL, search_thread, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT(a[i].ok);
    }
    srch_reader_close(r);
}

static void test_query_explain__parts_and_total(void)
{
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, seed_ix), 0);
    srch_query *q;
    CU_ASSERT_EQUAL_FATAL(srch_query_parse(&q, "message vidéo", "french", 0, NULL), 0);
    srch_results *res;
    CU_ASSERT_EQUAL_FATAL(srch_search(&res, r, q, NULL), 0);
    const srch_hit *h = srch_results_hit(res, 0);
    char *e;
    CU_ASSERT_EQUAL_FATAL(srch_explain(&e, r, q, h->id, h->passage, NULL), 0);
    char total[64];
    snprintf(total, sizeof total, "score %.4f", h->score);
    CU_ASSERT_PTR_NOT_NULL(strstr(e, total));
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "B:messag  tf=1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "idf="));
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "avglen="));
    free(e);
    CU_ASSERT_EQUAL(srch_explain(&e, r, q, "nope", 1, NULL), SRCH_ENOTFOUND);
    CU_ASSERT_EQUAL(srch_explain(&e, r, q, "seed", 999, NULL), SRCH_ENOTFOUND);
    srch_results_free(res);
    srch_query_free(q);
    /* a query for another language is refused */
    CU_ASSERT_EQUAL_FATAL(srch_query_parse(&q, "running", "english", 0, NULL), 0);
    CU_ASSERT_EQUAL(srch_search(&res, r, q, NULL), SRCH_EINVAL);
    srch_query_free(q);
    srch_reader_close(r);
}

static const ls_test tests[] = {
    {"test_query_parse__operators_and_describe", test_query_parse__operators_and_describe},
    {"test_query_parse__errors_with_positions", test_query_parse__errors_with_positions},
    {"test_query_seed__examples_rank_first", test_query_seed__examples_rank_first},
    {"test_query_ranking__exact_form_first", test_query_ranking__exact_form_first},
    {"test_query_semantics__boolean_fields_against_model", test_query_semantics__boolean_fields_against_model},
    {"test_query_semantics__phrases_and_near_against_model", test_query_semantics__phrases_and_near_against_model},
    {"test_query_semantics__prefix_paging_per_doc_limits", test_query_semantics__prefix_paging_per_doc_limits},
    {"test_query_pruning__equals_exhaustive", test_query_pruning__equals_exhaustive},
    {"test_query_semantics__accent_variants_keep_their_stems", test_query_semantics__accent_variants_keep_their_stems},
    {"test_query_semantics__exact_form_within_its_stem", test_query_semantics__exact_form_within_its_stem},
    {"test_query_semantics__common_word_pairs", test_query_semantics__common_word_pairs},
    {"test_query_bm25__matches_brute_force", test_query_bm25__matches_brute_force},
    {"test_query_bm25__word_with_its_stems_list", test_query_bm25__word_with_its_stems_list},
    {"test_query_bm25__prefix_matches_brute_force", test_query_bm25__prefix_matches_brute_force},
    {"test_query_merge__same_scores_after_merge", test_query_merge__same_scores_after_merge},
    {"test_query_threads__shared_reader", test_query_threads__shared_reader},
    {"test_query_explain__parts_and_total", test_query_explain__parts_and_total},
    {NULL, NULL},
};

void suite_query(void)
{
    test_register_suite("query", init, clean, tests);
}
