/*
 * util.c - helpers shared by the subcommands (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_prog = "search";

void cli_error(const char *context, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    if (context && *context)
        fprintf(stderr, "%s: ", context);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_lib_error(const char *context, int code, const char *detail)
{
    if (detail && *detail)
        cli_error(context, "%s", detail);
    else
        cli_error(context, "%s", srch_strerror(code));
    return EXIT_FAIL;
}

int cli_read_file(const char *path, char **out, size_t *out_len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    *out = NULL;
    *out_len = 0;
    if (!f) {
        cli_error(path, "%s", strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int failed = !buf || ferror(f);
    int saved = errno;
    if (f != stdin)
        fclose(f);
    if (failed) {
        cli_error(strcmp(path, "-") == 0 ? "standard input" : path, "%s",
                  buf ? strerror(saved) : "out of memory");
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}
