/*
 * cmd_query.c - `search query INDEX QUERY`: ranked passages, for people
 * (rank, score, id and passage, title, snippet with the matched words
 * highlighted; colour on a terminal) or scripts (--json, and --batch: one
 * query per line, one JSON object per line).
 *
 * Exit status: 0 with results, 1 when nothing matched (like grep), 2 for a
 * usage error or a malformed query, 3 for an index error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char usage[] =
    "usage: search query [OPTIONS] INDEX QUERY\n"
    "       search query [OPTIONS] INDEX --batch FILE|-\n"
    "\n"
    "Search INDEX; print the best passages. Query language: words (default\n"
    "OR), AND OR NOT ( ), +must -mustnot, \"a phrase\", a NEAR/5 b, prefix*,\n"
    "title:word (see 'man search').\n"
    "\n"
    "  -n, --limit N       passages to show (default 10)\n"
    "      --offset K      skip the first K (paging)\n"
    "      --and           adjacent words must all match (default: any)\n"
    "      --per-doc       only the best passage of each document\n"
    "      --json          one JSON object: query, total, total_is_exact, hits\n"
    "      --batch FILE    one query per line (- for standard input); one JSON\n"
    "                      line per query, with its time in microseconds\n"
    "      --explain       how each score was made\n"
    "      --exact-total   count every match (the total is otherwise a lower\n"
    "                      bound when pruning skipped passages)\n"
    "      --no-text       ids, passage numbers and scores only (faster)\n"
    "      --color WHEN    auto (default), always or never; NO_COLOR is honoured\n"
    "      --k1 X, --b X   BM25 parameters (default 1.2 and 0.75)\n"
    "      --title-weight X, --exact-weight X\n"
    "                      weight of title matches (0.3) and of exact word forms (1)\n"
    "      --coordination X  passages matching m of n alternatives score\n"
    "                      (m/n)^X times their sum (default 1; 0: plain BM25 sums)\n";

typedef struct qopts {
    srch_search_options so;
    int json, explain, color;
} qopts;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void print_json_hits(srch_reader *r, const srch_query *q, srch_results *res,
                            const qopts *o)
{
    int exact;
    uint64_t total = srch_results_total(res, &exact);
    printf("\"total\": %llu, \"total_is_exact\": %s, \"hits\": [",
           (unsigned long long)total, exact ? "true" : "false");
    for (size_t i = 0; i < srch_results_count(res); i++) {
        const srch_hit *h = srch_results_hit(res, i);
        printf("%s{\"rank\": %zu, \"id\": ", i ? ", " : "", o->so.offset + i + 1);
        cli_json_string(stdout, h->id, strlen(h->id));
        printf(", \"passage\": %u, \"score\": %.6f", h->passage, h->score);
        if (o->so.stored) {
            printf(", \"title\": ");
            cli_json_string(stdout, h->title, strlen(h->title));
            printf(", \"text\": ");
            cli_json_string(stdout, h->text, h->text_len);
            printf(", \"snippet\": ");
            cli_json_string(stdout, h->snippet, strlen(h->snippet));
        }
        if (o->explain) {
            char *e = NULL;
            if (srch_explain(&e, r, q, h->id, h->passage, &o->so) == SRCH_OK) {
                printf(", \"explain\": ");
                cli_json_string(stdout, e, strlen(e));
            }
            free(e);
        }
        printf("}");
    }
    printf("]");
}

/* The snippet with marks turned into colour (or brackets). */
static void print_snippet(const char *s, int color)
{
    const char *open = color ? "\033[1;31m" : "[", *close = color ? "\033[0m" : "]";
    while (*s) {
        const char *a = strstr(s, "\x01"), *b;
        if (!a) {
            fputs(s, stdout);
            break;
        }
        fwrite(s, 1, (size_t)(a - s), stdout);
        b = strstr(a + 1, "\x02");
        if (!b)
            b = a + strlen(a);
        fputs(open, stdout);
        fwrite(a + 1, 1, (size_t)(b - a - 1), stdout);
        fputs(close, stdout);
        s = *b ? b + 1 : b;
    }
}

static void print_human(srch_reader *r, const srch_query *q, srch_results *res, const qopts *o)
{
    int exact;
    uint64_t total = srch_results_total(res, &exact);
    const char *bold = o->color ? "\033[1m" : "", *dim = o->color ? "\033[2m" : "",
               *green = o->color ? "\033[32m" : "", *reset = o->color ? "\033[0m" : "";
    for (size_t i = 0; i < srch_results_count(res); i++) {
        const srch_hit *h = srch_results_hit(res, i);
        printf("%s%zu.%s %s%.3f%s  %s%s%s #%u", bold, o->so.offset + i + 1, reset, dim, h->score,
               reset, green, h->id, reset, h->passage);
        if (*h->title)
            printf("  %s%s%s", bold, h->title, reset);
        printf("\n");
        if (o->so.stored) {
            printf("   ");
            print_snippet(h->snippet, o->color);
            printf("\n");
        }
        if (o->explain) {
            char *e = NULL;
            if (srch_explain(&e, r, q, h->id, h->passage, &o->so) == SRCH_OK)
                printf("%s", e);
            free(e);
        }
    }
    printf("%s%llu%s matching passage%s%s\n", dim, (unsigned long long)total,
           exact ? "" : "+", total == 1 ? "" : "s", reset);
}

/* Parse and run one query; report a malformed one. */
static int run(srch_reader *r, const char *index, const char *text, qopts *o, int batch)
{
    srch_query *q;
    size_t off;
    const char *lang;
    srch_index_stats st;
    srch_reader_stats(r, &st);
    lang = st.language;
    double t0 = now_us();
    int rc = srch_query_parse(&q, text, lang, o->so.default_and, &off);
    if (rc != SRCH_OK) {
        if (batch) {
            printf("{\"query\": ");
            cli_json_string(stdout, text, strlen(text));
            printf(", \"error\": ");
            cli_json_string(stdout, srch_errmsg(), strlen(srch_errmsg()));
            printf("}\n");
            return EXIT_USAGE;
        }
        cli_error("query", "%s", srch_errmsg());
        fprintf(stderr, "  %s\n  %*s^\n", text, (int)off, "");
        return EXIT_USAGE;
    }
    srch_results *res;
    rc = srch_search(&res, r, q, &o->so);
    double took = now_us() - t0;
    if (rc != SRCH_OK) {
        int status = rc == SRCH_ELIMIT || rc == SRCH_EINVAL ? EXIT_USAGE : EXIT_FAIL;
        if (batch) {
            printf("{\"query\": ");
            cli_json_string(stdout, text, strlen(text));
            printf(", \"error\": ");
            cli_json_string(stdout, srch_errmsg(), strlen(srch_errmsg()));
            printf("}\n");
        } else if (status == EXIT_USAGE) {
            cli_error("query", "%s", srch_errmsg());
        } else {
            cli_lib_error(index, rc, srch_errmsg());
        }
        srch_query_free(q);
        return status;
    }
    if (o->json || batch) {
        printf("{\"query\": ");
        cli_json_string(stdout, text, strlen(text));
        printf(", ");
        print_json_hits(r, q, res, o);
        if (batch)
            printf(", \"took_us\": %.1f", took);
        printf("}\n");
    } else {
        print_human(r, q, res, o);
    }
    int status = srch_results_count(res) || srch_results_total(res, NULL) ? EXIT_OK : EXIT_NOMATCH;
    srch_results_free(res);
    srch_query_free(q);
    return status;
}

static int run_batch(srch_reader *r, const char *index, const char *path, qopts *o)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        cli_error(path, "cannot open: %s", strerror(errno));
        return EXIT_FAIL;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int status = EXIT_OK;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        int rc = run(r, index, line, o, 1);
        if (rc == EXIT_FAIL) {
            status = EXIT_FAIL;
            break;
        }
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return status;
}

int cmd_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"limit", required_argument, NULL, 'n'},  {"offset", required_argument, NULL, 'o'},
        {"and", no_argument, NULL, 'a'},          {"per-doc", no_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},         {"batch", required_argument, NULL, 'b'},
        {"explain", no_argument, NULL, 'e'},      {"exact-total", no_argument, NULL, 't'},
        {"no-text", no_argument, NULL, 'x'},      {"color", required_argument, NULL, 'c'},
        {"colour", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {"k1", required_argument, NULL, '1'},     {"b", required_argument, NULL, '2'},
        {"title-weight", required_argument, NULL, '3'},
        {"exact-weight", required_argument, NULL, '4'},
        {"coordination", required_argument, NULL, '5'},
        {NULL, 0, NULL, 0},
    };
    qopts o = {.so = SRCH_SEARCH_OPTIONS_INIT};
    const char *batch = NULL, *color = "auto";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
        long long v;
        switch (c) {
        case 'n':
            if ((v = cli_parse_count(optarg)) < 1 || v > 1000000)
                return cli_usage_error("query", usage, "--limit takes a count from 1");
            o.so.limit = (size_t)v;
            break;
        case 'o':
            if ((v = cli_parse_count(optarg)) < 0 || v > 1000000)
                return cli_usage_error("query", usage, "--offset takes a count");
            o.so.offset = (size_t)v;
            break;
        case 'a':
            o.so.default_and = 1;
            break;
        case 'p':
            o.so.per_document = 1;
            break;
        case 'j':
            o.json = 1;
            break;
        case 'b':
            batch = optarg;
            break;
        case 'e':
            o.explain = 1;
            break;
        case 't':
            o.so.exact_total = 1;
            break;
        case 'x':
            o.so.stored = 0;
            break;
        case 'c':
            if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never"))
                return cli_usage_error("query", usage, "--color takes auto, always or never");
            color = optarg;
            break;
        case '1':
        case '2':
        case '3':
        case '4':
        case '5': {
            char *end;
            double x = strtod(optarg, &end);
            if (*end || end == optarg || x < 0 || x > 100 || (c == '2' && x > 1) ||
                (c == '1' && x == 0) || (c == '5' && x > 10))
                return cli_usage_error("query", usage, "bad value '%s' for %s", optarg,
                                       c == '1' ? "--k1" : c == '2' ? "--b" : "a weight");
            if (c == '1')
                o.so.k1 = x;
            else if (c == '2')
                o.so.b = x > 0 ? x : 1e-12;   /* 0 means the default in the options */
            else if (c == '3')
                o.so.title_weight = x;
            else if (c == '4')
                o.so.exact_weight = x;
            else
                o.so.coordination = x;
            break;
        }
        case 'h':
            fputs(usage, stdout);
            return EXIT_OK;
        default:
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
    }
    int need = batch ? 1 : 2;
    if (argc - optind != need)
        return cli_usage_error("query", usage, batch ? "needs INDEX (and --batch FILE)"
                                                     : "needs INDEX and QUERY");
    const char *index = argv[optind];
    if (strcmp(color, "always") == 0)
        o.color = 1;
    else if (strcmp(color, "auto") == 0)
        o.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    if (!o.json && !batch) {
        /* the CLI renders the marks itself */
        o.so.mark_open = "\x01";
        o.so.mark_close = "\x02";
    }
    srch_reader *r;
    int rc = srch_reader_open(&r, index);
    if (rc != SRCH_OK)
        return cli_lib_error(index, rc, srch_errmsg());
    if (batch)
        srch_reader_preload(r);   /* many queries: no page faults on the way */
    int status = batch ? run_batch(r, index, batch, &o) : run(r, index, argv[optind + 1], &o, 0);
    srch_reader_close(r);
    if (fflush(stdout) != 0)
        status = EXIT_FAIL;
    return status;
}
