/*
 * analysis_bench.c - analysis throughput, single thread: MB/s of UTF-8 text
 * through the whole pipeline (word breaking, elisions, folding, stemming),
 * with and without the caches (token cache and stem cache).
 *
 *   analysis_bench FILE [--mb N] [--runs R] [--cache on|off]
 *
 * FILE is plain text, one passage per line (bench/run.sh extracts the
 * Littré passages into such a file). Each line is analyzed as one text, as
 * the indexer will. Each run uses a fresh analyzer (an empty cache), and the
 * median of R runs is reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/analyzer.h"
#include "libsearch.h"

static int count_cb(void *ctx, const srch_token *t)
{
    (void)t;
    (*(size_t *)ctx)++;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: analysis_bench FILE [--mb N] [--runs R] [--cache on|off]\n");
        return 2;
    }
    size_t max = 0;
    int runs = 5;
    int only = -1;   /* both cache settings */
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--mb") == 0)
            max = (size_t)atof(argv[i + 1]) * 1000000;
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--cache") == 0)
            only = strcmp(argv[i + 1], "on") == 0;
    }
    if (runs < 1 || runs > 100)
        runs = 5;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    rewind(f);
    if (max && len > max)
        len = max;
    char *text = malloc(len + 1);
    if (!text || fread(text, 1, len, f) != len) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    text[len] = '\0';

    printf("# analysis throughput, one thread, %s (%.1f MB), median of %d runs\n",
           argv[1], len / 1e6, runs);
    printf("| caches | MB/s | tokens/s (M) | ns/token | Snowball runs per 100 tokens |\n");
    printf("|---|---|---|---|---|\n");
    for (int cache = 1; cache >= 0; cache--) {
        if (only >= 0 && cache != only)
            continue;
        double *secs = calloc((size_t)runs, sizeof *secs);
        size_t tokens = 0, calls = 0, hits = 0;
        for (int r = 0; r < runs; r++) {
            srch_analyzer_options o = SRCH_ANALYZER_OPTIONS_INIT;
            o.stem_cache = cache;
            srch_analyzer *a;
            if (srch_analyzer_new(&a, &o) != SRCH_OK) {
                fprintf(stderr, "%s\n", srch_errmsg());
                return 1;
            }
            tokens = 0;
            double t0 = now();
            for (char *p = text, *end = text + len; p < end;) {
                char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                srch_analyze(a, p, n, count_cb, &tokens);
                p += n + 1;
            }
            secs[r] = now() - t0;
            ls_analyzer_stem_stats(a, &calls, &hits);
            srch_analyzer_free(a);
        }
        qsort(secs, (size_t)runs, sizeof *secs, cmp_double);
        double s = secs[runs / 2];
        printf("| %s | %.1f | %.2f | %.0f | %.2f |\n", cache ? "on" : "off", len / s / 1e6,
               tokens / s / 1e6, s * 1e9 / (double)tokens,
               tokens ? 100.0 * (double)(calls - hits) / (double)tokens : 0.0);
        free(secs);
    }
    free(text);
    return 0;
}
