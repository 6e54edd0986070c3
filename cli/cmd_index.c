/*
 * cmd_index.c - `search index INDEX FILE...`: add documents and commit.
 *
 * Records come from cli/input.c (text, JSON Lines, TSV; files, directories,
 * standard input). A bad record is reported with its file and line and
 * skipped, or, with --on-error fail, stops the run before anything of it is
 * committed. Everything read is committed once at the end, so an
 * interrupted run leaves the index as it was.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "input.h"

static const char usage[] =
    "usage: search index [OPTIONS] INDEX FILE...\n"
    "\n"
    "Add the documents of FILEs (directories are walked, - is standard input)\n"
    "to INDEX, created if missing, and commit. A document whose id is already\n"
    "in the index replaces it.\n"
    "\n"
    "  --format F        text, jsonl or tsv (default: by extension; standard\n"
    "                    input: jsonl if it starts with '{', else text)\n"
    "  --lang LANG       stemming language of a new index (default french)\n"
    "  --on-error MODE   skip (default): report a bad record and go on;\n"
    "                    fail: stop at the first one, committing nothing\n"
    "  --ram-mb N        memory for buffered documents (default 64)\n"
    "  --threads N       1: everything in one thread; 2: analysis in a second\n"
    "                    thread (default: 2 when there is a second CPU)\n"
    "  -q, --quiet       no progress bar and no summary\n";

typedef struct progress {
    int on;
    double start, last;
    uint64_t total;
} progress;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fmt_time(char *buf, size_t cap, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%ld:%02ld", t / 60, t % 60);
}

/* One line, redrawn in place: documents, MB, MB/s, elapsed, ETA. */
static void progress_draw(progress *p, uint64_t docs, uint64_t bytes, int final)
{
    if (!p->on)
        return;   /* (not even the clock: once per document) */
    double t = now();
    if (!final && t - p->last < 0.2)
        return;
    p->last = t;
    double el = t - p->start, mb = bytes / 1e6, rate = el > 0 ? mb / el : 0;
    char elapsed[32], eta[48] = "";
    fmt_time(elapsed, sizeof elapsed, el);
    if (p->total && rate > 0 && !final) {
        char e[32];
        fmt_time(e, sizeof e, (p->total / 1e6 - mb) / rate);
        snprintf(eta, sizeof eta, "  ETA %s", e);
    }
    char bar[48] = "";
    if (p->total) {
        int fill = (int)(20.0 * (double)bytes / (double)p->total);
        if (fill > 20)
            fill = 20;
        snprintf(bar, sizeof bar, "[%.*s%.*s] ", fill, "####################", 20 - fill,
                 "                    ");
    }
    fprintf(stderr, "\r%s%llu docs  %.1f MB  %.1f MB/s  %s%s\033[K", bar,
            (unsigned long long)docs, mb, rate, elapsed, eta);
    if (final)
        fputc('\n', stderr);
}

int cmd_index(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {"lang", required_argument, NULL, 'l'},
        {"on-error", required_argument, NULL, 'e'}, {"ram-mb", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {"threads", required_argument, NULL, 't'}, {NULL, 0, NULL, 0},
    };
    srch_index_options opts = SRCH_INDEX_OPTIONS_INIT;
    int fmt = INPUT_AUTO, fail_fast = 0, quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if ((fmt = input_format_parse(optarg)) < 0)
                return cli_usage_error("index", usage, "unknown format '%s'", optarg);
            break;
        case 'l':
            opts.language = optarg;
            break;
        case 'e':
            if (strcmp(optarg, "skip") != 0 && strcmp(optarg, "fail") != 0)
                return cli_usage_error("index", usage, "--on-error takes skip or fail");
            fail_fast = strcmp(optarg, "fail") == 0;
            break;
        case 'r': {
            long long mb = cli_parse_count(optarg);
            if (mb < 1 || mb > 1 << 20)
                return cli_usage_error("index", usage, "--ram-mb takes a size in MB");
            opts.ram_budget = (size_t)mb << 20;
            break;
        }
        case 't': {
            long long t = cli_parse_count(optarg);
            if (t != 1 && t != 2)
                return cli_usage_error("index", usage, "--threads takes 1 or 2");
            opts.threads = (int)t;
            break;
        }
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return EXIT_OK;
        default:
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind < 2)
        return cli_usage_error("index", usage, "needs INDEX and at least one FILE");
    const char *path = argv[optind];
    if (opts.language) {
        int known = 0;
        for (const char *const *l = srch_languages(); *l && !known; l++)
            known = strcmp(*l, opts.language) == 0;
        srch_analyzer *probe;
        srch_analyzer_options ao = SRCH_ANALYZER_OPTIONS_INIT;
        ao.language = opts.language;
        if (!known && srch_analyzer_new(&probe, &ao) != SRCH_OK)
            return cli_usage_error("index", usage, "unknown language '%s' (see 'search analyze --lang list')",
                                   opts.language);
        if (!known)
            srch_analyzer_free(probe);
    }

    input *in;
    char *err = NULL;
    if (input_open(&in, argv + optind + 1, argc - optind - 1, (input_format)fmt, &err) != 0) {
        cli_error(NULL, "%s", err ? err : "out of memory");
        free(err);
        return EXIT_FAIL;
    }
    srch_index *ix;
    int rc = srch_index_open(&ix, path, &opts);
    if (rc != SRCH_OK) {
        input_close(in);
        return cli_lib_error(path, rc, srch_errmsg());
    }
    if (opts.language) {
        srch_analyzer *a;
        srch_analyzer_options ao = SRCH_ANALYZER_OPTIONS_INIT;
        ao.language = opts.language;
        if (srch_analyzer_new(&a, &ao) == SRCH_OK) {
            int same = strcmp(srch_analyzer_language(a), srch_index_language(ix)) == 0;
            srch_analyzer_free(a);
            if (!same) {
                cli_error(path, "the index uses %s; --lang applies to new indexes only",
                          srch_index_language(ix));
                srch_index_close(ix);
                input_close(in);
                return EXIT_USAGE;
            }
        }
    }

    progress prog = {.on = !quiet && isatty(STDERR_FILENO), .start = now()};
    prog.total = input_bytes_total(in);
    uint64_t docs = 0, skipped = 0;
    int status = EXIT_OK;
    input_record rec;
    for (;;) {
        int r = input_next(in, &rec);
        if (r == 0)
            break;
        if (r == -2) {
            cli_error(NULL, "%s", input_error(in));
            status = EXIT_FAIL;
            break;
        }
        if (r == -1) {
            if (prog.on)
                fputs("\r\033[K", stderr);
            cli_error(NULL, "%s", input_error(in));
            skipped++;
            if (fail_fast) {
                status = EXIT_FAIL;
                break;
            }
            continue;
        }
        rc = srch_index_add(ix, &rec.doc);
        if (rc == SRCH_EINVAL) {   /* this record only */
            cli_error(NULL, "%s: %s", input_where(in, &rec), srch_index_errmsg(ix));
            skipped++;
            if (fail_fast) {
                status = EXIT_FAIL;
                break;
            }
            continue;
        }
        if (rc != SRCH_OK) {
            status = cli_lib_error(path, rc, srch_index_errmsg(ix));
            break;
        }
        docs++;
        progress_draw(&prog, docs, input_bytes_read(in), 0);
    }
    if (status == EXIT_OK) {
        rc = srch_index_commit(ix);
        if (rc != SRCH_OK)
            status = cli_lib_error(path, rc, srch_index_errmsg(ix));
    } else if (!quiet) {
        cli_error(path, "nothing committed from this run");
    }
    progress_draw(&prog, docs, input_bytes_read(in), 1);
    if (status == EXIT_OK && !quiet) {
        double el = now() - prog.start;
        fprintf(stderr, "%s: %s: indexed %llu document%s (%.1f MB) in %.2f s",
                cli_prog, path, (unsigned long long)docs, docs == 1 ? "" : "s",
                input_bytes_read(in) / 1e6, el);
        if (skipped)
            fprintf(stderr, "; %llu bad records skipped", (unsigned long long)skipped);
        fputc('\n', stderr);
    }
    srch_index_close(ix);
    input_close(in);
    return status;
}
