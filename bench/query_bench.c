/*
 * query_bench.c - query latency of libsearch on the benchmark's neutral
 * query set, through the public API (libsearch.h), measured and reported
 * exactly as the peers measure Xapian, SQLite FTS5 and Lucene++.
 *
 *   query_bench INDEX QUERIES.txt [-k 10] [--warmup 50] [--per-doc]
 *   query_bench version
 *
 * The query file, the warm-up, the timer, the JSON lines and the summary
 * (median, nearest-rank p95/p99, mean, qps = n / sum of times) are the
 * peers' own: this program includes bench/peers/peer_common.h and calls its
 * peer_read_queries() and peer_run_queries(), so the four engines share one
 * definition of every figure (bench/peers/README.md, "query"). Only the
 * translation and the search callback are ours.
 *
 * Translation of each class (CLASS<TAB>QUERY, words separated by blanks):
 *
 *   word    w            w
 *   or      w1 w2        w1 w2            (our default operator is OR)
 *   and     w1 w2        w1 w2            parsed with default_and = 1 (the
 *                                         CLI's --and), as Xapian and Lucene
 *                                         set their default operator to AND
 *   phrase  w1 w2 w3     "w1 w2 w3"
 *   prefix  pre          pre*
 *
 * A word that is exactly an upper-case operator keyword (AND OR NOT NEAR,
 * and the peers' XOR ADJ TO) is lower-cased so that it stays a word, as the
 * peers do. The `engine_query` field of the output shows the translation;
 * for the and class it reads "w1 w2 [default AND]".
 *
 * The timed callback (one call per query, CLOCK_MONOTONIC around it, in
 * peer_run_queries()) does what a program using the library does with a
 * query string: srch_query_parse() with the index's language,
 * srch_search() with limit k, stored = 0 and snippets = 0 (ids, passage
 * numbers and scores only: the peers fetch ids only), exact_total = 0 (the
 * default: the total may be a lower bound), then copies the id of each hit
 * and frees the results and the query. These options change no hit and no
 * rank, only what is fetched.
 *
 * Ids: the id of a hit is its document's id. On the corpora of the
 * benchmark where a record is one passage (Littré passages, the seed by
 * paragraph) it compares directly with the peers' document ids; a record
 * longer than the maximum passage length (4096 bytes) is several passages,
 * and two of them may both be in the top k (the same id twice). With
 * --per-doc (.per_document = 1) only the best passage of each document is
 * returned: the ranking of documents, for corpora of long documents (the
 * Littré entries).
 *
 * `total` is srch_results_total(): a lower bound when pruning skipped
 * counting (add "exact" to know; not printed, as the peers' line has a
 * fixed shape).
 *
 * Exit status 0, or 1 when the index or the query file cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libsearch.h"
#include "peers/peer_common.h"

#define ENGINE "libsearch"

typedef struct {
    srch_reader *r;
    const char *lang;
    srch_search_options opts;
    const peer_query *qs;     /* the query set ... */
    char **text;              /* ... and the string we parse for each */
} ls_ctx;

/* Our query string for q (malloc'ed). */
static char *translate(const peer_query *q)
{
    peer_buf b = {NULL, 0, 0};
    peer_buf_clear(&b);
    if (q->cls == PQ_PHRASE)
        peer_buf_putc(&b, '"');
    for (int i = 0; i < q->nwords; i++) {
        const char *w = q->words[i];
        if (i)
            peer_buf_putc(&b, ' ');
        if (peer_is_operator_word(w)) {
            for (const char *p = w; *p; p++)
                peer_buf_putc(&b, (char)(*p - 'A' + 'a'));   /* ASCII upper case only */
        } else {
            peer_buf_puts(&b, w);
        }
    }
    if (q->cls == PQ_PHRASE)
        peer_buf_putc(&b, '"');
    else if (q->cls == PQ_PREFIX)
        peer_buf_putc(&b, '*');
    return b.s;
}

static void set_error(peer_buf *err, int rc, const char *msg)
{
    peer_buf_clear(err);
    peer_buf_puts(err, srch_strerror(rc));
    if (msg && *msg) {
        peer_buf_puts(err, ": ");
        peer_buf_puts(err, msg);
    }
}

/* The timed part: parse, search, fetch the ids of the top k. */
static int ls_search(void *vc, const peer_query *q, int k, peer_ids *ids, long long *total,
                     peer_buf *err)
{
    ls_ctx *c = (ls_ctx *)vc;
    srch_query *pq;
    srch_results *res;
    int rc = srch_query_parse(&pq, c->text[q - c->qs], c->lang, q->cls == PQ_AND, NULL);
    if (rc != SRCH_OK) {
        set_error(err, rc, srch_errmsg());
        return -1;
    }
    srch_search_options o = c->opts;
    o.limit = (size_t)k;
    o.default_and = q->cls == PQ_AND;
    rc = srch_search(&res, c->r, pq, &o);
    if (rc != SRCH_OK) {
        set_error(err, rc, srch_reader_errmsg(c->r));
        srch_query_free(pq);
        return -1;
    }
    size_t n = srch_results_count(res);
    for (size_t i = 0; i < n; i++) {
        const srch_hit *h = srch_results_hit(res, i);
        peer_ids_add(ids, h->id, strlen(h->id));
    }
    *total = (long long)srch_results_total(res, NULL);
    srch_results_free(res);
    srch_query_free(pq);
    return 0;
}

int main(int argc, char **argv)
{
    peer_prog = "query_bench";
    if (argc == 2 && strcmp(argv[1], "version") == 0) {
        printf("{\"engine\":\"%s\",\"version\":\"%s\",\"compiled_against\":\"%s\"}\n", ENGINE,
               srch_version(), SRCH_VERSION_STRING);
        return 0;
    }

    /* --per-doc is ours; the rest is the peers' "query" command line */
    int per_doc = 0, nargs = 0;
    char **args = (char **)malloc((size_t)argc * sizeof *args);
    if (!args)
        peer_die("out of memory");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--per-doc") == 0)
            per_doc = 1;
        else
            args[nargs++] = argv[i];
    }
    if (nargs < 2) {
        fprintf(stderr, "usage: query_bench INDEX QUERIES.txt [-k 10] [--warmup 50] [--per-doc]\n"
                        "       query_bench version\n");
        return 1;
    }
    const char *dir, *qfile;
    peer_query_opts qo;
    peer_parse_query_args(nargs, args, &dir, &qfile, &qo);

    ls_ctx c;
    int rc = srch_reader_open(&c.r, dir);
    if (rc != SRCH_OK)
        peer_die("cannot open index %s: %s: %s", dir, srch_strerror(rc), srch_errmsg());
    /* as a server or a batch does: the whole index mapped before the first
     * query (Lucene's MMapDirectory preload); the peers read through their
     * own caches of the page cache */
    srch_reader_preload(c.r);
    srch_index_stats st;
    srch_reader_stats(c.r, &st);
    c.lang = st.language;
    srch_search_options def = SRCH_SEARCH_OPTIONS_INIT;
    c.opts = def;
    c.opts.stored = 0;
    c.opts.snippets = 0;
    c.opts.exact_total = 0;
    c.opts.per_document = per_doc;

    size_t nq;
    peer_query *qs = peer_read_queries(qfile, &nq);
    c.qs = qs;
    c.text = (char **)calloc(nq + 1, sizeof *c.text);
    if (!c.text)
        peer_die("out of memory");
    for (size_t i = 0; i < nq; i++) {
        if (qs[i].cls < 0)
            continue;
        c.text[i] = translate(&qs[i]);
        peer_buf b = {NULL, 0, 0};
        peer_buf_puts(&b, c.text[i]);
        if (qs[i].cls == PQ_AND)
            peer_buf_puts(&b, " [default AND]");
        qs[i].eq = b.s;
    }
    /* the summary's "engine" carries the mode, so that a report can tell the
     * passage ranking from the document ranking */
    rc = peer_run_queries(per_doc ? ENGINE "-per-doc" : ENGINE, qs, nq, &qo, ls_search, &c);
    for (size_t i = 0; i < nq; i++)
        free(c.text[i]);
    free(c.text);
    peer_free_queries(qs, nq);
    srch_reader_close(c.r);
    free(args);
    return rc;
}
