/*
 * main.c - `search`, the command-line tool: dispatch to the subcommands.
 * Each subcommand lives in cmd_<name>.c and parses its own options.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"index", cmd_index, "add documents from files, directories or standard input"},
    {"query", cmd_query, "search: the best passages, with snippets"},
    {"delete", cmd_delete, "delete documents by id"},
    {"merge", cmd_merge, "merge segments (reclaims deleted passages)"},
    {"stats", cmd_stats, "show segments, counts and sizes"},
    {"check", cmd_check, "verify checksums and structure"},
    {"analyze", cmd_analyze, "show the terms a text gives (tokenizer, stemmer)"},
};

static void print_usage(FILE *f)
{
    fprintf(f, "usage: search COMMAND [OPTIONS] [ARGS]\n"
               "       search --version | --help\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'search COMMAND --help' describes a command; 'man search' has it all.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    if (cli_is_help(argv[1])) {
        print_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("search (libsearch) %s\n", srch_version());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    cli_error(NULL, "unknown command '%s'", argv[1]);
    print_usage(stderr);
    return EXIT_USAGE;
}
