/*
 * cmd_analyze.c - `search analyze [--lang L] [TEXT | -]`: show what the
 * index would hold for a text, one token per line:
 *
 *     POSITION <TAB> TERM <TAB> START-END <TAB> SURFACE
 *
 * START-END is the byte range of the surface form in the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: search analyze [--lang LANG] [TEXT | -]\n"
    "\n"
    "Print the tokens the index would hold for TEXT (or standard input, with -\n"
    "or no TEXT): position, indexed term, byte range, surface form.\n"
    "\n"
    "  --lang LANG   stemming language (default: french; 'none' disables\n"
    "                stemming; '--lang list' lists the languages)\n";

static int print_token(void *ctx, const srch_token *t)
{
    const char *text = ctx;
    printf("%u\t%s\t%zu-%zu\t%.*s\n", t->position, t->term, t->start, t->end,
           (int)(t->end - t->start), text + t->start);
    return 0;
}

int cmd_analyze(int argc, char **argv)
{
    srch_analyzer_options opts = SRCH_ANALYZER_OPTIONS_INIT;
    const char *input = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
            opts.language = argv[++i];
        } else if (strncmp(argv[i], "--lang=", 7) == 0) {
            opts.language = argv[i] + 7;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cli_error("analyze", "unknown option '%s'", argv[i]);
            fputs(usage, stderr);
            return EXIT_USAGE;
        } else if (!input) {
            input = argv[i];
        } else {
            cli_error("analyze", "one TEXT at a time (quote it)");
            return EXIT_USAGE;
        }
    }
    if (opts.language && strcmp(opts.language, "list") == 0) {
        for (const char *const *l = srch_languages(); *l; l++)
            puts(*l);
        return EXIT_OK;
    }

    srch_analyzer *a;
    int rc = srch_analyzer_new(&a, &opts);
    if (rc != SRCH_OK) {
        rc = cli_lib_error("analyze", rc, srch_errmsg());
        return rc == EXIT_FAIL && opts.language ? EXIT_USAGE : rc;
    }
    char *text;
    size_t len;
    if (!input || strcmp(input, "-") == 0) {
        if (cli_read_file("-", &text, &len) != 0) {
            srch_analyzer_free(a);
            return EXIT_FAIL;
        }
    } else {
        text = strdup(input);
        len = strlen(input);
    }
    rc = text ? srch_analyze(a, text, len, print_token, text) : SRCH_ENOMEM;
    int status = rc == SRCH_OK ? EXIT_OK : cli_lib_error("analyze", rc, srch_analyzer_errmsg(a));
    free(text);
    srch_analyzer_free(a);
    if (fflush(stdout) != 0)
        status = EXIT_FAIL;
    return status;
}
