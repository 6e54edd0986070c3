/*
 * cmd_admin.c - the maintenance commands:
 *   search delete INDEX ID...          delete documents by id, commit
 *   search merge INDEX [--max-segments N]
 *   search stats INDEX [--json]
 *   search check INDEX                 verify checksums and structure
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char delete_usage[] =
    "usage: search delete INDEX ID...\n"
    "\n"
    "Delete the documents with these ids and commit. Exit status 1 if an id\n"
    "was not found (the others are still deleted).\n";

static const char merge_usage[] =
    "usage: search merge INDEX [--max-segments N]\n"
    "\n"
    "Merge the index's segments until at most N remain (default 1: one\n"
    "segment, deleted passages reclaimed), and commit.\n";

static const char stats_usage[] =
    "usage: search stats INDEX [--json]\n"
    "\n"
    "Print the index's segments, counts and sizes by file kind.\n";

static const char check_usage[] =
    "usage: search check INDEX\n"
    "\n"
    "Verify every checksum and the structure of every file of the last\n"
    "commit. Exit status 0 if the index is sound, 3 with a message naming the\n"
    "first fault otherwise.\n";

/* argv[1] = INDEX, then the rest; handles -h/--help. Returns -1 to go on. */
static int want_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++)
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
    return -1;
}

int cmd_delete(int argc, char **argv)
{
    int h = want_help(argc, argv, delete_usage);
    if (h >= 0)
        return h;
    if (argc < 3)
        return cli_usage_error("delete", delete_usage, "needs INDEX and at least one ID");
    srch_index_options opts = SRCH_INDEX_OPTIONS_INIT;
    opts.create = 0;
    srch_index *ix;
    int rc = srch_index_open(&ix, argv[1], &opts);
    if (rc != SRCH_OK)
        return cli_lib_error(argv[1], rc, srch_errmsg());
    int missing = 0, status = EXIT_OK;
    for (int i = 2; i < argc; i++) {
        rc = srch_index_delete(ix, argv[i]);
        if (rc == SRCH_ENOTFOUND) {
            cli_error(argv[1], "no document '%s'", argv[i]);
            missing = 1;
        } else if (rc != SRCH_OK) {
            status = cli_lib_error(argv[1], rc, srch_index_errmsg(ix));
            break;
        }
    }
    if (status == EXIT_OK && (rc = srch_index_commit(ix)) != SRCH_OK)
        status = cli_lib_error(argv[1], rc, srch_index_errmsg(ix));
    srch_index_close(ix);
    return status == EXIT_OK && missing ? EXIT_NOMATCH : status;
}

int cmd_merge(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"max-segments", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long long max = 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'm') {
            max = cli_parse_count(optarg);
            if (max < 1 || max > 1000000)
                return cli_usage_error("merge", merge_usage, "--max-segments takes a count >= 1");
        } else if (c == 'h') {
            fputs(merge_usage, stdout);
            return EXIT_OK;
        } else {
            fputs(merge_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("merge", merge_usage, "needs INDEX");
    const char *path = argv[optind];
    srch_index_options opts = SRCH_INDEX_OPTIONS_INIT;
    opts.create = 0;
    srch_index *ix;
    int rc = srch_index_open(&ix, path, &opts);
    if (rc != SRCH_OK)
        return cli_lib_error(path, rc, srch_errmsg());
    rc = srch_index_merge(ix, (int)max);
    int status = rc == SRCH_OK ? EXIT_OK : cli_lib_error(path, rc, srch_index_errmsg(ix));
    srch_index_close(ix);
    return status;
}

static void print_bytes_json(const uint64_t *bytes)
{
    printf("{");
    uint64_t total = 0;
    for (int k = 0; k < SRCH_FILE_KINDS; k++) {
        printf("\"%s\": %llu, ", srch_file_kind_name(k), (unsigned long long)bytes[k]);
        total += bytes[k];
    }
    printf("\"total\": %llu}", (unsigned long long)total);
}

int cmd_stats(int argc, char **argv)
{
    int h = want_help(argc, argv, stats_usage);
    if (h >= 0)
        return h;
    int json = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("stats", stats_usage, "unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_usage_error("stats", stats_usage, "one INDEX at a time");
    }
    if (!path)
        return cli_usage_error("stats", stats_usage, "needs INDEX");
    srch_reader *r;
    int rc = srch_reader_open(&r, path);
    if (rc != SRCH_OK)
        return cli_lib_error(path, rc, srch_errmsg());
    srch_index_stats st;
    srch_reader_stats(r, &st);
    if (json) {
        printf("{\"index\": ");
        cli_json_string(stdout, path, strlen(path));
        printf(", \"generation\": %llu, \"language\": ", (unsigned long long)st.generation);
        cli_json_string(stdout, st.language, strlen(st.language));
        printf(", \"passages\": %llu, \"documents\": %llu, \"deleted\": %llu, \"terms\": %llu, "
               "\"avg_passage_length\": %.3f, \"bytes\": ",
               (unsigned long long)st.passages, (unsigned long long)st.documents,
               (unsigned long long)st.deleted, (unsigned long long)st.terms,
               st.avg_passage_length);
        print_bytes_json(st.bytes);
        printf(", \"segments\": [");
        for (size_t i = 0; i < st.segments; i++) {
            srch_segment_info si;
            srch_reader_segment(r, i, &si);
            printf("%s{\"name\": \"%s\", \"passages\": %llu, \"documents\": %llu, "
                   "\"deleted\": %llu, \"terms\": %llu, \"bytes\": ",
                   i ? ", " : "", si.name, (unsigned long long)si.passages,
                   (unsigned long long)si.documents, (unsigned long long)si.deleted,
                   (unsigned long long)si.terms);
            print_bytes_json(si.bytes);
            printf("}");
        }
        printf("]}\n");
    } else {
        printf("index        %s\n", path);
        printf("generation   %llu\n", (unsigned long long)st.generation);
        printf("language     %s\n", st.language);
        printf("documents    %llu\n", (unsigned long long)st.documents);
        printf("passages     %llu (%.1f tokens on average)\n", (unsigned long long)st.passages,
               st.avg_passage_length);
        printf("deleted      %llu passages awaiting a merge\n", (unsigned long long)st.deleted);
        printf("terms        %llu\n", (unsigned long long)st.terms);
        printf("size         %.2f MB:", st.total_bytes / 1e6);
        for (int k = 0; k < SRCH_FILE_KINDS; k++)
            printf(" %s %.2f", srch_file_kind_name(k), st.bytes[k] / 1e6);
        printf("\nsegments     %zu\n", st.segments);
        for (size_t i = 0; i < st.segments; i++) {
            srch_segment_info si;
            srch_reader_segment(r, i, &si);
            uint64_t total = 0;
            for (int k = 0; k < SRCH_FILE_KINDS; k++)
                total += si.bytes[k];
            printf("  %s  %llu passages  %llu documents  %llu deleted  %llu terms  %.2f MB\n",
                   si.name, (unsigned long long)si.passages, (unsigned long long)si.documents,
                   (unsigned long long)si.deleted, (unsigned long long)si.terms, total / 1e6);
        }
    }
    srch_reader_close(r);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

int cmd_check(int argc, char **argv)
{
    int h = want_help(argc, argv, check_usage);
    if (h >= 0)
        return h;
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error("check", check_usage, "needs INDEX");
    int rc = srch_index_check(argv[1]);
    if (rc != SRCH_OK)
        return cli_lib_error(argv[1], rc, srch_errmsg());
    srch_reader *r;
    if ((rc = srch_reader_open(&r, argv[1])) != SRCH_OK)
        return cli_lib_error(argv[1], rc, srch_errmsg());
    srch_index_stats st;
    srch_reader_stats(r, &st);
    printf("%s: ok (generation %llu, %zu segments, %llu documents, %llu passages, %.2f MB)\n",
           argv[1], (unsigned long long)st.generation, st.segments,
           (unsigned long long)st.documents, (unsigned long long)st.passages,
           st.total_bytes / 1e6);
    srch_reader_close(r);
    return EXIT_OK;
}
