/*
 * cli.h - what the subcommands of `search` share: exit statuses, error
 * reporting, reading whole inputs. The CLI is a thin layer over libsearch.h;
 * it includes nothing else from the library.
 */
#ifndef SEARCH_CLI_H
#define SEARCH_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "libsearch.h"

/* Exit statuses (documented in search.1). */
enum {
    EXIT_OK = 0,
    EXIT_NOMATCH = 1,   /* a query matched nothing (like grep) */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_FAIL = 3       /* the library reported an error (index, I/O, ...) */
};

extern const char *cli_prog;   /* "search" */

/* "search: <context>: <message>" on stderr. */
void cli_error(const char *context, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report a library failure: the code's name and the detailed message. */
int cli_lib_error(const char *context, int code, const char *detail);

/* Read a whole file ("-" = standard input) into a malloc'ed buffer with a
 * NUL after the last byte. Returns 0, or -1 after reporting the error. */
int cli_read_file(const char *path, char **out, size_t *out_len);

/* True if arg is "-h" or "--help". */
int cli_is_help(const char *arg);

/* Write s[0, n) as a JSON string (quoted, escaped; invalid UTF-8 as
 * U+FFFD). */
void cli_json_string(FILE *f, const char *s, size_t n);

/* Parse a non-negative integer option value; -1 if it is not one. */
long long cli_parse_count(const char *s);

/* A usage error for `cmd`: message, then the command's usage on stderr. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int cmd_analyze(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_query(int argc, char **argv);

#endif
