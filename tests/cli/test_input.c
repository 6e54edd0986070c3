/*
 * test_input.c - the CLI's document reader (cli/input.c) and its JSON Lines
 * parser (cli/jsonl.c): the three formats, every kind of bad record with
 * its exact message and the record after it, directory walks, standard
 * input (redirected with dup2), long lines, progress counters, and a
 * randomized round trip through a JSON writer of our own.
 *
 * Files are made under one temporary directory per suite run (mkdtemp),
 * removed by the suite's cleanup even when a test fails half-way.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/input.h"
#include "cli/jsonl.h"
#include "test.h"

void suite_input(void);

static char base[64];        /* this run's temporary directory */
static int saved_stdin = -1; /* fd 0 while a test redirects it */
static char **kept;          /* strings made by K(), freed by the cleanup */
static size_t nkept;

/* ------------------------------------------------------------- helpers */

/* printf into one of a ring of static buffers: for a message to compare
 * at once (a few live at a time). */
static const char *P(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *P(const char *fmt, ...)
{
    static char ring[16][4096];
    static unsigned next;
    char *b = ring[next++ % 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof ring[0], fmt, ap);
    va_end(ap);
    return b;
}

/* printf into a string kept until the suite's cleanup: for paths. */
static const char *K(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *K(const char *fmt, ...)
{
    char b[4096], **nk = realloc(kept, (nkept + 1) * sizeof *kept);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    if (!nk)
        return "";
    kept = nk;
    return kept[nkept++] = strdup(b);
}

/* A fresh directory base/name for one test. */
static const char *mkdir_test(const char *name)
{
    const char *d = K("%s/%s", base, name);
    CU_ASSERT_EQUAL(mkdir(d, 0755), 0);
    return d;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

static void write_str(const char *path, const char *s)
{
    write_file(path, s, strlen(s));
}

static input *open_paths(char **paths, int n, input_format fmt)
{
    input *in = NULL;
    char *err = NULL;
    if (input_open(&in, paths, n, fmt, &err) != 0) {
        fprintf(stderr, "\ninput_open: %s\n", err ? err : "(null)");
        free(err);
        return NULL;
    }
    CU_ASSERT_PTR_NULL(err);
    return in;
}

static input *open1(const char *path, input_format fmt)
{
    char *paths[1] = {(char *)path};
    return open_paths(paths, 1, fmt);
}

static int same(const char *got, const char *want)
{
    return got == want || (got && want && strcmp(got, want) == 0);
}

/* Checks with the values printed on failure (CUnit prints only the
 * expression). */
static void expect_record_(int line, input *in, const char *where, const char *id,
                           const char *title, const char *text, size_t text_len)
{
    input_record r;
    int rc = input_next(in, &r);
    if (rc != 1) {
        fprintf(stderr, "\nline %d: input_next() = %d: %s\n", line, rc, input_error(in));
        CU_FAIL("expected a record");
        return;
    }
    const char *at = input_where(in, &r);
    int ok = (!where || same(at, where)) && same(r.doc.id, id) &&
             same(r.doc.title, title) && r.doc.text_len == text_len &&
             memcmp(r.doc.text, text, text_len) == 0 && r.doc.version == SRCH_DOCUMENT_VERSION;
    if (!ok)
        fprintf(stderr, "\nline %d: got %s id=[%s] title=[%s] text=[%.*s] (%zu)\n", line, at,
                r.doc.id, r.doc.title ? r.doc.title : "(null)", (int)r.doc.text_len, r.doc.text,
                r.doc.text_len);
    CU_ASSERT(ok);
}
#define expect_record(...) expect_record_(__LINE__, __VA_ARGS__)

static void expect_bad_(int line, input *in, int code, const char *msg)
{
    input_record r;
    int rc = input_next(in, &r);
    if (rc != code || strcmp(input_error(in), msg) != 0) {
        fprintf(stderr, "\nline %d: got %d [%s]\n       want %d [%s]\n", line, rc,
                input_error(in), code, msg);
        CU_FAIL("expected a bad record");
    }
}
#define expect_bad(in, msg) expect_bad_(__LINE__, in, -1, msg)

#define expect_end(in)                          \
    do {                                        \
        input_record r_;                        \
        int rc_ = input_next(in, &r_);          \
        if (rc_ != 0)                           \
            fprintf(stderr, "\nline %d: %d %s\n", __LINE__, rc_, input_error(in)); \
        CU_ASSERT_EQUAL(rc_, 0);                \
    } while (0)

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int suite_init(void)
{
    strcpy(base, "/tmp/ls-input-XXXXXX");
    return mkdtemp(base) ? 0 : -1;
}

static void restore_stdin(void)
{
    if (saved_stdin >= 0) {
        dup2(saved_stdin, STDIN_FILENO);
        close(saved_stdin);
        saved_stdin = -1;
    }
    clearerr(stdin);
}

static int suite_clean(void)
{
    restore_stdin();
    for (size_t i = 0; i < nkept; i++)
        free(kept[i]);
    free(kept);
    kept = NULL;
    nkept = 0;
    return nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Make fd 0 read `fd` (closed here). */
static void redirect_stdin(int fd)
{
    CU_ASSERT_FATAL(fd >= 0);
    if (saved_stdin < 0)
        saved_stdin = dup(STDIN_FILENO);
    dup2(fd, STDIN_FILENO);
    close(fd);
    clearerr(stdin);
}

/* --------------------------------------------------------------- tests */

static void test_input_format__parse(void)
{
    CU_ASSERT_EQUAL(input_format_parse("auto"), INPUT_AUTO);
    CU_ASSERT_EQUAL(input_format_parse("text"), INPUT_TEXT);
    CU_ASSERT_EQUAL(input_format_parse("txt"), INPUT_TEXT);
    CU_ASSERT_EQUAL(input_format_parse("jsonl"), INPUT_JSONL);
    CU_ASSERT_EQUAL(input_format_parse("json"), INPUT_JSONL);
    CU_ASSERT_EQUAL(input_format_parse("ndjson"), INPUT_JSONL);
    CU_ASSERT_EQUAL(input_format_parse("tsv"), INPUT_TSV);
    CU_ASSERT_EQUAL(input_format_parse("csv"), -1);
    CU_ASSERT_EQUAL(input_format_parse(""), -1);
}

static void test_input_text__files(void)
{
    const char *d = mkdir_test("text");
    const char *a = K("%s/a.txt", d), *b = K("%s/b.html", d), *e = K("%s/empty.md", d);
    static const char body[] = "Premier paragraphe.\n\nSecond, avec un NUL \0 dedans.\n";
    write_file(a, body, sizeof body - 1);
    write_str(b, "<p>explicit, unknown extension: text</p>");
    write_str(e, "");
    char *paths[] = {(char *)a, (char *)b, (char *)e};
    input *in = open_paths(paths, 3, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, P("%s:1", a), a, NULL, body, sizeof body - 1);
    expect_record(in, P("%s:1", b), b, NULL, "<p>explicit, unknown extension: text</p>", 40);
    expect_record(in, P("%s:1", e), e, NULL, "", 0);   /* an empty file is an empty document */
    expect_end(in);
    expect_end(in);   /* and stays at the end */
    input_close(in);

    /* a forced format applies to any extension */
    in = open1(a, INPUT_JSONL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_bad(in, P("%s:1: invalid JSON: expected '{' at column 1", a));
    expect_bad(in, P("%s:3: invalid JSON: expected '{' at column 1", a));
    expect_end(in);
    input_close(in);
}

static void test_input_jsonl__records(void)
{
    const char *d = mkdir_test("jsonl");
    const char *f = K("%s/docs.jsonl", d);
    write_str(f, "\xEF\xBB\xBF{\"id\": \"d1\", \"title\": \"Un\", \"text\": \"premier\"}\n"
                 "\n"
                 "  \t \r\n"
                 "{\"text\":\"sans titre\",\"id\":\"d2\"}\r\n"
                 "{\"id\":42,\"title\":null,\"text\":\"\"}\n"
                 "{\"id\":-1.5e+3,\"title\":\"\",\"text\":\"t\"}\n"
                 " { \"id\" : \"d5\" , \"text\" : \"last, no final newline\" } ");
    input *in = open1(f, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, P("%s:1", f), "d1", "Un", "premier", 7);
    expect_record(in, P("%s:4", f), "d2", NULL, "sans titre", 10);
    expect_record(in, P("%s:5", f), "42", NULL, "", 0);
    expect_record(in, P("%s:6", f), "-1.5e+3", NULL, "t", 1);
    expect_record(in, P("%s:7", f), "d5", NULL, "last, no final newline", 22);
    expect_end(in);
    input_close(in);

    /* .ndjson is JSONL too; an empty file has no records */
    const char *g = K("%s/x.NDJSON", d), *e = K("%s/empty.jsonl", d);
    write_str(g, "{\"id\":\"n\",\"text\":\"x\"}");
    write_str(e, "");
    char *paths[] = {(char *)e, (char *)g};
    in = open_paths(paths, 2, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, P("%s:1", g), "n", NULL, "x", 1);
    expect_end(in);
    input_close(in);
}

static void test_input_jsonl__escapes(void)
{
    const char *f = K("%s/esc.jsonl", mkdir_test("escapes"));
    write_str(f, "{\"id\":\"\\u00e9t\\u00C9\",\"title\":\"\\ud83d\\ude00 \\uD834\\uDD1E\","
                 "\"text\":\"q\\\"b\\\\s\\/b\\bf\\fn\\nr\\rt\\t\\u20ac\\u0000z\\u0041\"}\n"
                 "{\"id\":\"raw\",\"text\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}\n");
    input *in = open1(f, INPUT_JSONL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    static const char text[] = "q\"b\\s/b\bf\fn\nr\rt\t\xE2\x82\xAC\0zA";
    expect_record(in, NULL, "\xC3\xA9t\xC3\x89", "\xF0\x9F\x98\x80 \xF0\x9D\x84\x9E", text,
                  sizeof text - 1);
    expect_record(in, NULL, "raw", NULL, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9);
    expect_end(in);
    input_close(in);
}

static void test_input_jsonl__fields(void)
{
    const char *f = K("%s/fields.jsonl", mkdir_test("fields"));
    write_str(f, "{\"id\":\"a\",\"s\":\"caf\\u00e9\\n\",\"n\":-0.5E-7,\"t\":true,\"f\":false,"
                 "\"z\":null,\"arr\":[1, \"x\\\"\", [], {}] ,\"obj\":{ \"k\" : [null] },"
                 "\"text\":\"x\",\"title\":\"T\",\"\":\"empty name\"}\n"
                 "{\"id\":\"first\",\"b\":1,\"a\":2,\"text\":\"1\",\"b\":3,\"id\":\"dup\","
                 "\"title\":\"t1\",\"text\":\"2\",\"title\":null,\"c\":4,\"a\":5}\n");
    input *in = open1(f, INPUT_JSONL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    input_record r;
    CU_ASSERT_EQUAL_FATAL(input_next(in, &r), 1);
    static const struct {
        const char *name, *value;
    } want[] = {{"s", "caf\xC3\xA9\n"}, {"n", "-0.5E-7"}, {"t", "true"},
                {"f", "false"},          {"z", "null"},    {"arr", "[1, \"x\\\"\", [], {}]"},
                {"obj", "{ \"k\" : [null] }"}, {"", "empty name"}};
    CU_ASSERT_EQUAL_FATAL(r.doc.nfields, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < r.doc.nfields; i++) {
        CU_ASSERT_STRING_EQUAL(r.doc.fields[i].name, want[i].name);
        CU_ASSERT_EQUAL(r.doc.fields[i].value_len, strlen(want[i].value));
        CU_ASSERT_STRING_EQUAL(r.doc.fields[i].value, want[i].value);
    }
    CU_ASSERT_STRING_EQUAL(r.doc.title, "T");
    /* duplicates: the last one wins, for id/title/text and fields alike;
     * fields keep the order of their last occurrence */
    CU_ASSERT_EQUAL_FATAL(input_next(in, &r), 1);
    CU_ASSERT_STRING_EQUAL(r.doc.id, "dup");
    CU_ASSERT_PTR_NULL(r.doc.title);
    CU_ASSERT_EQUAL(r.doc.text_len, 1);
    CU_ASSERT_EQUAL(r.doc.text[0], '2');
    CU_ASSERT_EQUAL_FATAL(r.doc.nfields, 3);
    CU_ASSERT_STRING_EQUAL(r.doc.fields[0].name, "b");
    CU_ASSERT_STRING_EQUAL(r.doc.fields[0].value, "3");
    CU_ASSERT_STRING_EQUAL(r.doc.fields[1].name, "c");
    CU_ASSERT_STRING_EQUAL(r.doc.fields[2].name, "a");
    CU_ASSERT_STRING_EQUAL(r.doc.fields[2].value, "5");
    expect_end(in);
    input_close(in);
}

static void test_input_jsonl__bad_records(void)
{
    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"{\"id\":\"a\" \"text\":\"x\"}", "invalid JSON: expected ',' or '}' at column 11"},
        {"{\"id\":\"a\",\"text\":\"x\"} x", "invalid JSON: unexpected data after the object at column 23"},
        {"{\"id\":\"a\",\"text\":\"x\",}", "invalid JSON: expected a member name at column 22"},
        {"[\"id\"]", "invalid JSON: expected '{' at column 1"},
        {"{\"id\":\"a\",\"text\":\"x", "invalid JSON: unterminated string at column 18"},
        {"{\"id\":\"a\",\"text\":\"x\\", "invalid JSON: unterminated string at column 18"},
        {"{\"id\":\"a\",\"text\"}", "invalid JSON: expected ':' at column 17"},
        {"{\"id\":\"a\",\"text\":}", "invalid JSON: expected a value at column 18"},
        {"{\"id\":\"a\",\"text\":\"\\x\"}", "invalid JSON: invalid escape at column 19"},
        {"{\"id\":\"a\",\"text\":\"\\u12G4\"}", "invalid JSON: invalid \\u escape at column 19"},
        {"{\"id\":\"a\",\"text\":\"x\\ud800\"}", "invalid JSON: unpaired surrogate in a \\u escape at column 20"},
        {"{\"id\":\"a\",\"text\":\"\\udc00\\ud800\"}", "invalid JSON: unpaired surrogate in a \\u escape at column 19"},
        {"{\"id\":\"a\",\"text\":\"\\ud800\\u0041\"}", "invalid JSON: unpaired surrogate in a \\u escape at column 19"},
        {"{\"id\":\"a\",\"text\":\"tab\there\"}", "invalid JSON: control character in a string at column 22"},
        {"{\"id\":\"a\",\"text\":\"x\",\"n\":01}", "invalid JSON: expected ',' or '}' at column 27"},
        {"{\"id\":\"a\",\"text\":\"x\",\"n\":-}", "invalid JSON: invalid number at column 27"},
        {"{\"id\":\"a\",\"text\":\"x\",\"n\":1.}", "invalid JSON: invalid number at column 28"},
        {"{\"id\":\"a\",\"text\":\"x\",\"n\":1e+}", "invalid JSON: invalid number at column 29"},
        {"{\"id\":\"a\",\"text\":\"x\",\"n\":tru}", "invalid JSON: invalid literal at column 26"},
        {"{\"id\":\"a\",\"text\":\"x\",\"n\":[1,]}", "invalid JSON: expected a value at column 29"},
        {"{\"id\":\"a\",\"text\":\"x\",\"n\":{\"k\" 1}}", "invalid JSON: expected ':' at column 31"},
        {"{\"id\":\"a\",\"text\":\"x\",\"n\":[1 2]}", "invalid JSON: expected ',' or ']' at column 29"},
        {"{\"id\":\"a\",\"text\":\"x\",\"n\":[\"\xFF\"]}", "invalid UTF-8 at column 28"},
        {"{\"id\":\"a\",\"text\":\"x\xC0\x80\"}", "invalid UTF-8 at column 20"},
        {"{\"id\":\"a\",\"text\":\"\xED\xA0\x80\"}", "invalid UTF-8 at column 19"},
        {"{\"id\":\"a\",\"text\":\"\xF4\x90\x80\x80\"}", "invalid UTF-8 at column 19"},
        {"{\"id\":\"a\",\"text\":\"ok \xE2\x82\"}", "invalid UTF-8 at column 22"},
        {"{\"\xE9t\xE9\":1,\"id\":\"a\",\"text\":\"x\"}", "invalid UTF-8 at column 3"},
        {"{\"title\":\"t\",\"text\":\"x\"}", "missing \"id\""},
        {"{\"id\":null,\"text\":\"x\"}", "\"id\" must be a string or a number, not null"},
        {"{\"id\":true,\"text\":\"x\"}", "\"id\" must be a string or a number, not true"},
        {"{\"id\":[\"a\"],\"text\":\"x\"}", "\"id\" must be a string or a number, not array"},
        {"{\"id\":\"\",\"text\":\"x\"}", "empty id"},
        {"{\"id\":\"a\\u0000b\",\"text\":\"x\"}", "NUL character in the id"},
        {"{\"id\":\"a\"}", "missing \"text\""},
        {"{\"id\":\"a\",\"text\":null}", "\"text\" must be a string, not null"},
        {"{\"id\":\"a\",\"text\":{}}", "\"text\" must be a string, not object"},
        {"{\"id\":\"a\",\"text\":\"x\",\"title\":1}", "\"title\" must be a string or null, not number"},
        {"{\"id\":\"a\",\"text\":\"x\",\"title\":\"\\u0000\"}", "NUL character in the title"},
        {"{\"id\":\"a\",\"text\":\"x\",\"a\\u0000b\":1}", "NUL character in a member name at column 22"},
        {"{}", "missing \"id\""},
        {"x", "invalid JSON: expected '{' at column 1"},
    };
    enum { NBAD = sizeof bad / sizeof bad[0] };
    const char *d = mkdir_test("bad");
    const char *f = K("%s/bad.jsonl", d);
    FILE *out = fopen(f, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    /* each bad line between two good ones: skipping must land on the next */
    for (int i = 0; i < NBAD; i++)
        fprintf(out, "{\"id\":\"ok%d\",\"text\":\"x\"}\n%s\n", i, bad[i].line);
    fprintf(out, "{\"id\":\"end\",\"text\":\"x\"}\n");
    CU_ASSERT_EQUAL(fclose(out), 0);
    input *in = open1(f, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    for (int i = 0; i < NBAD; i++) {
        expect_record(in, P("%s:%d", f, 2 * i + 1), P("ok%d", i), NULL, "x", 1);
        expect_bad(in, P("%s:%d: %s", f, 2 * i + 2, bad[i].msg));
    }
    expect_record(in, NULL, "end", NULL, "x", 1);
    expect_end(in);
    input_close(in);
}

static void test_input_jsonl__limits(void)
{
    const char *f = K("%s/limits.jsonl", mkdir_test("limits"));
    char *id = malloc(SRCH_MAX_ID_BYTES + 2), *title = malloc(SRCH_MAX_TITLE_BYTES + 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(title);
    memset(id, 'i', SRCH_MAX_ID_BYTES + 1);
    memset(title, 't', SRCH_MAX_TITLE_BYTES + 1);
    FILE *out = fopen(f, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    fprintf(out, "{\"id\":\"%.*s\",\"title\":\"%.*s\",\"text\":\"\"}\n", SRCH_MAX_ID_BYTES, id,
            SRCH_MAX_TITLE_BYTES, title);
    fprintf(out, "{\"id\":\"%.*s\",\"text\":\"\"}\n", SRCH_MAX_ID_BYTES + 1, id);
    fprintf(out, "{\"id\":\"x\",\"title\":\"%.*s\",\"text\":\"\"}\n", SRCH_MAX_TITLE_BYTES + 1,
            title);
    CU_ASSERT_EQUAL(fclose(out), 0);
    input *in = open1(f, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    id[SRCH_MAX_ID_BYTES] = title[SRCH_MAX_TITLE_BYTES] = '\0';
    expect_record(in, NULL, id, title, "", 0);
    expect_bad(in, P("%s:2: id longer than 1024 bytes", f));
    expect_bad(in, P("%s:3: title longer than 65535 bytes", f));
    expect_end(in);
    input_close(in);
    free(id);
    free(title);
}

static void test_input_jsonl__long_lines(void)
{
    const char *d = mkdir_test("long");
    const char *f = K("%s/long.jsonl", d);
    size_t n = 5u << 20;
    char *text = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    for (size_t i = 0; i < n; i++)
        text[i] = (char)('a' + i % 26);
    memcpy(text + n / 2, "\xC3\xA9", 2);   /* a character across read chunks */
    FILE *out = fopen(f, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    fprintf(out, "{\"id\":\"big\",\"text\":\"%.*s\"}\n{\"id\":\"small\",\"text\":\"s\"}\n"
            "{\"id\":\"big2\",\"text\":\"%.*s\"}", (int)n, text, (int)n, text);
    CU_ASSERT_EQUAL(fclose(out), 0);
    input *in = open1(f, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, P("%s:1", f), "big", NULL, text, n);
    expect_record(in, P("%s:2", f), "small", NULL, "s", 1);
    expect_record(in, P("%s:3", f), "big2", NULL, text, n);
    expect_end(in);
    input_close(in);

    /* over the bound: a bad record, skipped to the next line, also at the
     * end of a file without a final newline; exactly the bound is fine */
    in = open1(f, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    input_set_max_line(in, 1000);
    expect_bad(in, P("%s:1: line longer than 1000 bytes", f));
    expect_record(in, P("%s:2", f), "small", NULL, "s", 1);
    expect_bad(in, P("%s:3: line longer than 1000 bytes", f));
    expect_end(in);
    input_close(in);
    const char *g = K("%s/bound.tsv", d);
    write_str(g, "a\t\t123456789\r\nb\t\t1234567890\nc\t\t1234567");
    in = open1(g, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    input_set_max_line(in, 12);
    expect_record(in, NULL, "a", NULL, "123456789", 9);
    expect_bad(in, P("%s:2: line longer than 12 bytes", g));
    expect_record(in, NULL, "c", NULL, "1234567", 7);
    expect_end(in);
    input_close(in);
    free(text);
}

/* The real bound (256 MiB): a sparse file whose first line is 256 MiB + 1
 * NUL bytes, then a good record. */
static void test_input_jsonl__line_bound(void)
{
    const char *f = K("%s/huge.jsonl", mkdir_test("huge"));
    static const char tail[] = "\n{\"id\":\"after\",\"text\":\"x\"}\n";
    int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(pwrite(fd, tail, sizeof tail - 1, (off_t)INPUT_MAX_LINE + 1),
                    (ssize_t)(sizeof tail - 1));
    close(fd);
    input *in = open1(f, INPUT_JSONL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_bad(in, P("%s:1: line longer than 268435456 bytes", f));
    expect_record(in, P("%s:2", f), "after", NULL, "x", 1);
    expect_end(in);
    CU_ASSERT_EQUAL(input_bytes_read(in), INPUT_MAX_LINE + sizeof tail);
    input_close(in);
    unlink(f);
}

static void test_input_tsv__records(void)
{
    const char *d = mkdir_test("tsv");
    const char *f = K("%s/docs.tsv", d);
    write_str(f, "id\ttitle\ttext\n"
                 "a\tTitre A\tligne\\nsuite\\ttab\\\\ \\x \\\\n fin\\\n"
                 "\n"
                 "b\t\tsans titre\r\n"
                 "id\ttitle\ttext\n"
                 "c\\t1\tT\\r\t\n"
                 "d\tx\tno final newline");
    input *in = open1(f, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, P("%s:2", f), "a", "Titre A", "ligne\nsuite\ttab\\ \\x \\n fin\\", 27);
    expect_record(in, P("%s:4", f), "b", NULL, "sans titre", 10);
    expect_record(in, P("%s:5", f), "id", "title", "text", 4);   /* a header only on line 1 */
    expect_record(in, P("%s:6", f), "c\t1", "T\r", "", 0);
    expect_record(in, P("%s:7", f), "d", "x", "no final newline", 16);
    expect_end(in);
    input_close(in);

    /* a header after a byte order mark; an empty file */
    const char *g = K("%s/bom.tsv", d), *e = K("%s/empty.tsv", d);
    write_str(g, "\xEF\xBB\xBFid\ttitle\ttext\r\nx\ty\tz\n");
    write_str(e, "");
    char *paths[] = {(char *)g, (char *)e};
    in = open_paths(paths, 2, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, P("%s:2", g), "x", "y", "z", 1);
    expect_end(in);
    input_close(in);
}

static void test_input_tsv__bad_records(void)
{
    const char *f = K("%s/bad.tsv", mkdir_test("tsvbad"));
    static const char data[] = "one column\n"
                               "a\tb\n"
                               "a\tb\tc\td\n"
                               "ok1\t\tx\n"
                               "\tno id\tx\n"
                               "a\\\tb\tc\n" /* a backslash before a real tab */
                               "caf\xC3\xA9\tt\xE9\tx\n"
                               "n\0l\tt\tx\n"
                               "ok2\tt\0\tx\n"
                               "ok3\tt\ttext with a NUL \0 is fine\n";
    write_file(f, data, sizeof data - 1);
    input *in = open1(f, INPUT_TSV);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_bad(in, P("%s:1: expected 3 tab-separated columns (id, title, text), found 1", f));
    expect_bad(in, P("%s:2: expected 3 tab-separated columns (id, title, text), found 2", f));
    expect_bad(in, P("%s:3: expected 3 tab-separated columns (id, title, text), found 4", f));
    expect_record(in, P("%s:4", f), "ok1", NULL, "x", 1);
    expect_bad(in, P("%s:5: empty id", f));
    expect_record(in, P("%s:6", f), "a\\", "b", "c", 1);
    expect_bad(in, P("%s:7: invalid UTF-8 at column 8", f));
    expect_bad(in, P("%s:8: NUL character in the id", f));
    expect_bad(in, P("%s:9: NUL character in the title", f));
    expect_record(in, P("%s:10", f), "ok3", "t", "text with a NUL \0 is fine", 25);
    expect_end(in);
    input_close(in);
}

/* The first invalid byte's line and column, in each format. */
static void test_input_utf8__columns(void)
{
    const char *d = mkdir_test("utf8");
    const char *t = K("%s/bad.txt", d), *j = K("%s/bad.jsonl", d), *s = K("%s/bad.tsv", d);
    const char *n = K("%s/name\xFF.txt", d);
    write_str(t, "ok\n\xC3\xA9t\xC3\xA9\nabcd\x80 and \xFF later\n");
    write_str(j, "\xEF\xBB\xBF{\"id\":\"\xF0\x9F\x98\"}\n");   /* truncated 4-byte sequence */
    write_str(s, "\xEF\xBB\xBF" "a\tb\t\xFE\n");
    write_str(n, "fine");
    char *paths[] = {(char *)t, (char *)j, (char *)s, (char *)n};
    input *in = open_paths(paths, 4, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_bad(in, P("%s:3: invalid UTF-8 at column 5", t));
    expect_bad(in, P("%s:1: invalid UTF-8 at column 11", j));   /* the BOM counts */
    expect_bad(in, P("%s:1: invalid UTF-8 at column 8", s));
    expect_bad(in, P("%s:1: the file name (the id) is not valid UTF-8 at byte %zu", n,
                     strlen(d) + 6));
    expect_end(in);
    input_close(in);
}

static void test_input_dir__walk(void)
{
    const char *d = mkdir_test("walk");
    static const char *const dirs[] = {"sub", "sub/deeper", ".hidden", "b.jsonl.d", "target"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        CU_ASSERT_EQUAL(mkdir(P("%s/%s", d, dirs[i]), 0755), 0);
    write_str(P("%s/b.jsonl", d), "{\"id\":\"j1\",\"text\":\"x\"}\n{\"id\":\"j2\",\"text\":\"y\"}\n");
    write_str(P("%s/a.txt", d), "A");
    write_str(P("%s/B.MD", d), "upper case extension");
    write_str(P("%s/sub/c.tsv", d), "t1\t\tz\n");
    write_str(P("%s/sub/deeper/d.text", d), "D");
    write_str(P("%s/sub/.hidden.txt", d), "hidden");
    write_str(P("%s/.hidden/e.txt", d), "in a hidden directory");
    write_str(P("%s/b.jsonl.d/f.ndjson", d), "{\"id\":\"f\",\"text\":\"x\"}");
    write_str(P("%s/z.bin", d), "unknown extension");
    write_str(P("%s/README", d), "no extension");
    write_str(P("%s/target/t.txt", d), "through a link to a directory");
    CU_ASSERT_EQUAL(symlink("target", P("%s/link-dir", d)), 0);
    CU_ASSERT_EQUAL(symlink("a.txt", P("%s/link.txt", d)), 0);
    CU_ASSERT_EQUAL(symlink("nowhere", P("%s/dangling.txt", d)), 0);
    CU_ASSERT_EQUAL(mkfifo(P("%s/fifo.txt", d), 0644), 0);
    /* given with a trailing slash: ids are built without doubling it */
    input *in = open1(P("%s/", d), INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, NULL, P("%s/B.MD", d), NULL, "upper case extension", 20);
    expect_record(in, NULL, P("%s/a.txt", d), NULL, "A", 1);
    expect_record(in, P("%s/b.jsonl:1", d), "j1", NULL, "x", 1);
    expect_record(in, P("%s/b.jsonl:2", d), "j2", NULL, "y", 1);
    expect_record(in, P("%s/b.jsonl.d/f.ndjson:1", d), "f", NULL, "x", 1);
    expect_bad(in, P("%s/dangling.txt: No such file or directory", d));
    expect_record(in, NULL, P("%s/link.txt", d), NULL, "A", 1);
    expect_record(in, P("%s/sub/c.tsv:1", d), "t1", NULL, "z", 1);
    expect_record(in, NULL, P("%s/sub/deeper/d.text", d), NULL, "D", 1);
    expect_record(in, NULL, P("%s/target/t.txt", d), NULL, "through a link to a directory", 29);
    expect_end(in);
    input_close(in);

    /* a hidden file named explicitly is read; a forced format applies to
     * the files with a known extension only */
    char *paths[] = {(char *)K("%s/sub/.hidden.txt", d), (char *)K("%s/sub", d)};
    in = open_paths(paths, 2, INPUT_TEXT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, NULL, P("%s/sub/.hidden.txt", d), NULL, "hidden", 6);
    expect_record(in, NULL, P("%s/sub/c.tsv", d), NULL, "t1\t\tz\n", 6);
    expect_record(in, NULL, P("%s/sub/deeper/d.text", d), NULL, "D", 1);
    expect_end(in);
    input_close(in);
}

static void test_input_open__errors(void)
{
    const char *d = mkdir_test("errors");
    const char *ok = K("%s/ok.txt", d), *missing = K("%s/missing.jsonl", d);
    write_str(ok, "x");
    char *paths[] = {(char *)ok, (char *)missing};
    input *in = (input *)1;
    char *err = NULL;
    CU_ASSERT_EQUAL(input_open(&in, paths, 2, INPUT_AUTO, &err), -1);
    CU_ASSERT_PTR_NULL(in);
    CU_ASSERT_STRING_EQUAL(err, P("%s: No such file or directory", missing));
    free(err);
    char *twice[] = {"-", "-"};
    CU_ASSERT_EQUAL(input_open(&in, twice, 2, INPUT_AUTO, &err), -1);
    CU_ASSERT_STRING_EQUAL(err, "-: standard input can be read only once");
    free(err);
    /* no paths: no records */
    CU_ASSERT_EQUAL_FATAL(input_open(&in, NULL, 0, INPUT_AUTO, &err), 0);
    expect_end(in);
    input_close(in);
    input_close(NULL);
    if (geteuid() == 0)
        return;   /* root reads anything: no permission errors to test */
    const char *locked = K("%s/locked.txt", d), *ldir = K("%s/ldir", d);
    write_str(locked, "x");
    chmod(locked, 0);
    char *p1[] = {(char *)locked};
    CU_ASSERT_EQUAL(input_open(&in, p1, 1, INPUT_AUTO, &err), -1);
    CU_ASSERT_STRING_EQUAL(err, P("%s: Permission denied", locked));
    free(err);
    /* found in a walk: reported when reached, then skipped */
    CU_ASSERT_EQUAL(mkdir(ldir, 0755), 0);
    CU_ASSERT_EQUAL(mkdir(P("%s/sub", ldir), 0), 0);
    write_str(P("%s/a.txt", ldir), "a");
    write_file(P("%s/b.txt", ldir), "b", 1);
    chmod(P("%s/b.txt", ldir), 0);
    write_str(P("%s/c.txt", ldir), "c");
    char *p2[] = {(char *)ldir};
    in = open_paths(p2, 1, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, NULL, P("%s/a.txt", ldir), NULL, "a", 1);
    expect_bad(in, P("%s/b.txt: Permission denied", ldir));
    expect_record(in, NULL, P("%s/c.txt", ldir), NULL, "c", 1);
    expect_bad(in, P("%s/sub: Permission denied", ldir));
    expect_end(in);
    input_close(in);
}

static void test_input_stdin__autodetect(void)
{
    const char *d = mkdir_test("stdin");
    const char *j = K("%s/in.jsonl", d), *t = K("%s/in.txt", d), *e = K("%s/empty", d);
    static const char jdata[] = "\xEF\xBB\xBF \n\t\n  {\"id\":\"s1\",\"text\":\"x\"}\n{bad\n"
                                "{\"id\":\"s2\",\"text\":\"y\"}";
    write_str(j, jdata);
    write_str(t, "  plain text, not { JSON\n");
    write_str(e, "");
    char *dash[] = {"-"};

    /* a regular file: JSONL, and its size is known */
    redirect_stdin(open(j, O_RDONLY));
    input *in = open_paths(dash, 1, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT_EQUAL(input_bytes_total(in), sizeof jdata - 1);
    expect_record(in, "<stdin>:3", "s1", NULL, "x", 1);
    expect_bad(in, "<stdin>:4: invalid JSON: expected a member name at column 2");
    expect_record(in, "<stdin>:5", "s2", NULL, "y", 1);
    expect_end(in);
    CU_ASSERT_EQUAL(input_bytes_read(in), sizeof jdata - 1);
    input_close(in);
    restore_stdin();

    /* a pipe: TEXT, id "-", size unknown */
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    CU_ASSERT_EQUAL(write(fds[1], "  plain {text}\n", 15), 15);
    close(fds[1]);
    redirect_stdin(fds[0]);
    in = open_paths(dash, 1, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT_EQUAL(input_bytes_total(in), 0);
    expect_record(in, "<stdin>:1", "-", NULL, "  plain {text}\n", 15);
    expect_end(in);
    CU_ASSERT_EQUAL(input_bytes_read(in), 15);
    input_close(in);
    restore_stdin();

    /* empty: a TEXT document with no text; a forced format wins */
    redirect_stdin(open(e, O_RDONLY));
    in = open_paths(dash, 1, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_record(in, "<stdin>:1", "-", NULL, "", 0);
    expect_end(in);
    input_close(in);
    restore_stdin();
    redirect_stdin(open(t, O_RDONLY));
    in = open_paths(dash, 1, INPUT_TSV);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    expect_bad(in, "<stdin>:1: expected 3 tab-separated columns (id, title, text), found 1");
    expect_end(in);
    input_close(in);
    restore_stdin();
}

static void test_input_bytes__progress(void)
{
    const char *d = mkdir_test("bytes");
    CU_ASSERT_EQUAL(mkdir(P("%s/dir", d), 0755), 0);
    write_str(P("%s/one.jsonl", d), "{\"id\":\"a\",\"text\":\"x\"}\r\n\n{oops\n{\"id\":\"b\",\"text\":\"x\"}");
    write_str(P("%s/dir/two.txt", d), "twelve bytes");
    write_str(P("%s/dir/skipped.bin", d), "not counted");
    write_str(P("%s/dir/.hidden.txt", d), "not counted");
    char *paths[] = {(char *)K("%s/one.jsonl", d), (char *)K("%s/dir", d)};
    input *in = open_paths(paths, 2, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    uint64_t total = 23 + 1 + 6 + 21 + 12;
    CU_ASSERT_EQUAL(input_bytes_total(in), total);
    CU_ASSERT_EQUAL(input_bytes_read(in), 0);
    input_record r;
    CU_ASSERT_EQUAL(input_next(in, &r), 1);
    CU_ASSERT_EQUAL(input_bytes_read(in), 23);
    CU_ASSERT_EQUAL(input_next(in, &r), -1);
    CU_ASSERT_EQUAL(input_bytes_read(in), 30);
    CU_ASSERT_EQUAL(input_next(in, &r), 1);
    CU_ASSERT_EQUAL(input_bytes_read(in), 51);
    CU_ASSERT_EQUAL(input_next(in, &r), 1);
    CU_ASSERT_EQUAL(input_bytes_read(in), total);
    CU_ASSERT_EQUAL(input_next(in, &r), 0);
    CU_ASSERT_EQUAL(input_bytes_read(in), total);
    input_close(in);
}

/* The parser on its own, in the mode the benchmark peers use. */
static void test_input_jsonl__replace_invalid(void)
{
    jsonl_parser p;
    jsonl_init(&p);
    static const char line[] = "{\"a\":\"x\\ud800\\u0041\xFF\xE2\x82\",\"b\":[\"\xFF\"]}";
    CU_ASSERT_EQUAL(jsonl_parse(&p, line, sizeof line - 1, 0), JSONL_ESYNTAX);
    CU_ASSERT_EQUAL(p.nmembers, 0);
    CU_ASSERT_EQUAL_FATAL(jsonl_parse(&p, line, sizeof line - 1, JSONL_REPLACE_INVALID), JSONL_OK);
    CU_ASSERT_EQUAL_FATAL(p.nmembers, 2);
    CU_ASSERT_STRING_EQUAL(p.members[0].value,
                           "x\xEF\xBF\xBD" "A\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    CU_ASSERT_EQUAL(p.members[1].type, JSONL_ARRAY);
    CU_ASSERT_STRING_EQUAL(p.members[1].value, "[\"\xFF\"]");   /* raw text as is */
    CU_ASSERT_EQUAL(p.members[1].value_column, 29);
    CU_ASSERT_PTR_NULL(jsonl_find(&p, "c"));
    CU_ASSERT_PTR_EQUAL(jsonl_find(&p, "b"), &p.members[1]);
    /* deep nesting is refused, not a stack overflow */
    char deep[2100];
    size_t n = 0;
    n += (size_t)sprintf(deep, "{\"a\":");
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    CU_ASSERT_EQUAL(jsonl_parse(&p, deep, n, 0), JSONL_ESYNTAX);
    CU_ASSERT_STRING_EQUAL(p.error, "nesting too deep");
    CU_ASSERT_EQUAL(p.error_column, 6 + 512);
    CU_ASSERT_EQUAL(jsonl_utf8_valid("ab\xC3\xA9\xC3", 5), 4);
    jsonl_free(&p);
}

/* Mutated lines: the parser must never read out of bounds (run under
 * ASan) and always answer with an error column inside the line (or just
 * after it). */
static void test_input_jsonl__random_garbage(void)
{
    static const char seed[] = "{\"id\": \"a\\u00e9\\ud83d\\ude00\", \"n\": -1.5e3, "
                               "\"x\": [true, false, null, {\"k\": \"v\\n\"}], \"text\": \"\xC3\xA9\"}";
    static const char alphabet[] = "{}[]\":,\\u0123456789abcdefeE+-.tnul \t\xC3\xA9\xFF\xED\xF0";
    unsigned long long st = test_seed() ^ 0x5eedULL;
    jsonl_parser p;
    char line[sizeof seed + 16];
    int ok = 0, bad = 0;
    jsonl_init(&p);
    for (int i = 0; i < 20000; i++) {
        size_t n = sizeof seed - 1;
        memcpy(line, seed, n);
        for (int m = 0, nm = 1 + (int)(test_rand(&st) % 4); m < nm; m++) {
            size_t at = test_rand(&st) % n;
            char c = alphabet[test_rand(&st) % (sizeof alphabet - 1)];
            switch (test_rand(&st) % 3) {
            case 0:
                line[at] = c;
                break;
            case 1:
                memmove(line + at, line + at + 1, n - at - 1);   /* delete */
                n--;
                break;
            default:
                if (n < sizeof line - 1) {   /* insert */
                    memmove(line + at + 1, line + at, n - at);
                    line[at] = c;
                    n++;
                }
            }
        }
        /* an exact-size copy, so that ASan sees any read past the end */
        char *copy = malloc(n ? n : 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
        memcpy(copy, line, n);
        int rc = jsonl_parse(&p, copy, n, test_rand(&st) % 2 ? JSONL_REPLACE_INVALID : 0);
        if (rc == JSONL_OK) {
            ok++;
            for (size_t k = 0; k < p.nmembers; k++)
                CU_ASSERT_EQUAL(strlen(p.members[k].value) <= p.members[k].value_len, 1);
        } else {
            bad++;
            CU_ASSERT(rc == JSONL_ESYNTAX || rc == JSONL_EUTF8);
            CU_ASSERT(p.error && p.error_column >= 1 && p.error_column <= n + 1);
        }
        free(copy);
    }
    CU_ASSERT(ok > 100 && bad > 100);   /* both kinds were exercised */
    jsonl_free(&p);
}

/* ------------------------------------------------------ random round trip */

typedef struct rstr {
    char *s;
    size_t len;
} rstr;

static void put_utf8(rstr *b, unsigned long cp)
{
    unsigned char *p = (unsigned char *)b->s + b->len;
    if (cp < 0x80) {
        p[0] = (unsigned char)cp;
        b->len += 1;
    } else if (cp < 0x800) {
        p[0] = (unsigned char)(0xC0 | cp >> 6);
        p[1] = (unsigned char)(0x80 | (cp & 0x3F));
        b->len += 2;
    } else if (cp < 0x10000) {
        p[0] = (unsigned char)(0xE0 | cp >> 12);
        p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        p[2] = (unsigned char)(0x80 | (cp & 0x3F));
        b->len += 3;
    } else {
        p[0] = (unsigned char)(0xF0 | cp >> 18);
        p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        p[3] = (unsigned char)(0x80 | (cp & 0x3F));
        b->len += 4;
    }
}

/* Random code points of every kind (NUL only if allowed). */
static unsigned long random_cp(unsigned long long *st, int nul)
{
    unsigned long long r = test_rand(st);
    switch (r % 10) {
    case 0:
        return nul ? r / 16 % 0x20 : 1 + r / 16 % 0x1F;   /* control */
    case 1:
        return "\"\\/'{}[]:,"[r / 16 % 10];
    case 2:
        return 0x80 + r / 16 % (0x800 - 0x80);
    case 3: {
        unsigned long cp = 0x800 + r / 16 % (0x10000 - 0x800);
        return cp >= 0xD800 && cp <= 0xDFFF ? 0xE9 : cp;
    }
    case 4:
        return 0x10000 + r / 16 % (0x110000 - 0x10000);
    default:
        return 0x20 + r / 16 % 0x5F;
    }
}

static rstr random_string(unsigned long long *st, size_t maxlen, int nul)
{
    size_t n = test_rand(st) % (maxlen + 1);
    rstr b = {malloc(4 * n + 1), 0};
    for (size_t i = 0; i < n; i++)
        put_utf8(&b, random_cp(st, nul));
    b.s[b.len] = '\0';
    return b;
}

/* Our own JSON string writer, independent of jsonl.c, taking random but
 * equivalent spellings (raw, short escape, \u with either case). */
static void write_json_string(FILE *f, const rstr *b, unsigned long long *st)
{
    const unsigned char *p = (const unsigned char *)b->s, *e = p + b->len;
    fputc('"', f);
    while (p < e) {
        unsigned long cp = *p;
        size_t n = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
        if (n == 2)
            cp = (unsigned long)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
        else if (n == 3)
            cp = (unsigned long)(p[0] & 0x0F) << 12 | (unsigned long)(p[1] & 0x3F) << 6 |
                 (p[2] & 0x3F);
        else if (n == 4)
            cp = (unsigned long)(p[0] & 0x07) << 18 | (unsigned long)(p[1] & 0x3F) << 12 |
                 (unsigned long)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
        unsigned long long r = test_rand(st) % 4;
        const char *hex = r == 0 ? "\\u%04x" : "\\u%04X";
        const char *shorts = cp && cp < 0x80 ? strchr("\"\\/\b\f\n\r\t", (int)cp) : NULL;
        if (shorts && r != 0 && (cp != '/' || r == 1)) {
            fputc('\\', f);
            fputc("\"\\/bfnrt"[shorts - "\"\\/\b\f\n\r\t"], f);
        } else if (cp < 0x20 || cp == '"' || cp == '\\' || r == 0) {
            if (cp >= 0x10000) {
                fprintf(f, hex, (unsigned)(0xD800 + ((cp - 0x10000) >> 10)));
                fprintf(f, hex, (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
            } else {
                fprintf(f, hex, (unsigned)cp);
            }
        } else {
            fwrite(p, 1, n, f);
        }
        p += n;
    }
    fputc('"', f);
}

static void ws(FILE *f, unsigned long long *st)
{
    static const char *const spaces[] = {"", "", "", " ", "\t", "  \t "};
    fputs(spaces[test_rand(st) % 6], f);
}

typedef struct rrec {
    rstr id, title, text;
    int has_title, id_is_number;
    rstr names[4], values[4];   /* values: decoded strings or JSON text */
    int is_string[4];
    size_t nfields;
} rrec;

static void test_input_jsonl__random_roundtrip(void)
{
    enum { N = 3000 };
    static const char *const raw_values[] = {"0", "-12.5e-3", "true", "false", "null", "[]",
                                             "[1, \"a\\u00e9\", {\"k\": [null]}]", "{}",
                                             "{\"x\":{\"y\":\"\\ud83d\\ude00\"}}"};
    unsigned long long st = test_seed();
    const char *f = K("%s/random.jsonl", mkdir_test("random"));
    rrec *recs = calloc(N, sizeof *recs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(recs);
    FILE *out = fopen(f, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    for (int i = 0; i < N; i++) {
        rrec *r = &recs[i];
        if ((r->id_is_number = test_rand(&st) % 5 == 0)) {
            char num[64];
            snprintf(num, sizeof num, "%s%llu%s", test_rand(&st) % 2 ? "-" : "",
                     test_rand(&st) % 1000000, test_rand(&st) % 2 ? ".25E+2" : "");
            r->id.s = strdup(num);
            r->id.len = strlen(num);
        } else {
            do {
                free(r->id.s);
                r->id = random_string(&st, 30, 0);
            } while (r->id.len == 0);
        }
        r->has_title = (int)(test_rand(&st) % 3);   /* 0 absent, 1 null, 2 string */
        r->title = r->has_title == 2 ? random_string(&st, 40, 0) : (rstr){strdup(""), 0};
        r->text = random_string(&st, 400, 1);
        r->nfields = test_rand(&st) % 5;
        for (size_t k = 0; k < r->nfields; k++) {
            /* distinct names: "f<k>" and random characters */
            rstr tail = random_string(&st, 8, 0);
            r->names[k].s = malloc(tail.len + 8);
            r->names[k].len = (size_t)sprintf(r->names[k].s, "f%zu", k);
            memcpy(r->names[k].s + r->names[k].len, tail.s, tail.len + 1);
            r->names[k].len += tail.len;
            free(tail.s);
            if ((r->is_string[k] = test_rand(&st) % 2)) {
                r->values[k] = random_string(&st, 20, 1);
            } else {
                const char *v = raw_values[test_rand(&st) % 9];
                r->values[k].s = strdup(v);
                r->values[k].len = strlen(v);
            }
        }
        /* members in random order: id, title, text, fields */
        int order[7], n = 0;
        order[n++] = 0;
        if (r->has_title)
            order[n++] = 1;
        order[n++] = 2;
        for (size_t k = 0; k < r->nfields; k++)
            order[n++] = 3 + (int)k;
        for (int k = n - 1; k > 0; k--) {
            int o = (int)(test_rand(&st) % (unsigned)(k + 1)), tmp = order[k];
            order[k] = order[o];
            order[o] = tmp;
        }
        if (test_rand(&st) % 10 == 0)
            fputs(test_rand(&st) % 2 ? "\n" : " \t\r\n", out);   /* blank lines */
        ws(out, &st);
        fputc('{', out);
        for (int k = 0; k < n; k++) {
            static const rstr names[] = {{"id", 2}, {"title", 5}, {"text", 4}};
            int m = order[k];
            if (k)
                fputc(',', out);
            ws(out, &st);
            write_json_string(out, m < 3 ? &names[m] : &r->names[m - 3], &st);
            ws(out, &st);
            fputc(':', out);
            ws(out, &st);
            if (m == 0 && r->id_is_number)
                fputs(r->id.s, out);
            else if (m == 0)
                write_json_string(out, &r->id, &st);
            else if (m == 1 && r->has_title == 1)
                fputs("null", out);
            else if (m == 1)
                write_json_string(out, &r->title, &st);
            else if (m == 2)
                write_json_string(out, &r->text, &st);
            else if (r->is_string[m - 3])
                write_json_string(out, &r->values[m - 3], &st);
            else
                fputs(r->values[m - 3].s, out);
            ws(out, &st);
        }
        fputc('}', out);
        ws(out, &st);
        fputs(test_rand(&st) % 4 ? "\n" : "\r\n", out);
    }
    CU_ASSERT_EQUAL_FATAL(fclose(out), 0);

    input *in = open1(f, INPUT_AUTO);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    int mismatches = 0;
    for (int i = 0; i < N && mismatches < 5; i++) {
        const rrec *r = &recs[i];
        input_record got;
        int rc = input_next(in, &got);
        if (rc != 1) {
            fprintf(stderr, "\nrecord %d: %d %s\n", i, rc, input_error(in));
            mismatches++;
            continue;
        }
        int ok = strcmp(got.doc.id, r->id.s) == 0 &&
                 same(got.doc.title, r->title.len ? r->title.s : NULL) &&
                 got.doc.text_len == r->text.len &&
                 memcmp(got.doc.text, r->text.s, r->text.len) == 0 &&
                 got.doc.nfields == r->nfields;
        for (size_t k = 0; ok && k < r->nfields; k++) {
            /* fields come in line order: find this one by name */
            const srch_field *fld = NULL;
            for (size_t m = 0; m < got.doc.nfields; m++)
                if (strcmp(got.doc.fields[m].name, r->names[k].s) == 0)
                    fld = &got.doc.fields[m];
            ok = fld && fld->value_len == r->values[k].len &&
                 memcmp(fld->value, r->values[k].s, r->values[k].len) == 0;
        }
        if (!ok) {
            fprintf(stderr, "\nrecord %d (line %lu) differs\n", i, got.line);
            mismatches++;
        }
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    expect_end(in);
    CU_ASSERT_EQUAL(input_bytes_read(in), input_bytes_total(in));
    input_close(in);
    for (int i = 0; i < N; i++) {
        free(recs[i].id.s);
        free(recs[i].title.s);
        free(recs[i].text.s);
        for (size_t k = 0; k < recs[i].nfields; k++) {
            free(recs[i].names[k].s);
            free(recs[i].values[k].s);
        }
    }
    free(recs);
}

static const ls_test tests[] = {
    {"test_input_format__parse", test_input_format__parse},
    {"test_input_text__files", test_input_text__files},
    {"test_input_jsonl__records", test_input_jsonl__records},
    {"test_input_jsonl__escapes", test_input_jsonl__escapes},
    {"test_input_jsonl__fields", test_input_jsonl__fields},
    {"test_input_jsonl__bad_records", test_input_jsonl__bad_records},
    {"test_input_jsonl__limits", test_input_jsonl__limits},
    {"test_input_jsonl__long_lines", test_input_jsonl__long_lines},
    {"test_input_jsonl__line_bound", test_input_jsonl__line_bound},
    {"test_input_jsonl__replace_invalid", test_input_jsonl__replace_invalid},
    {"test_input_jsonl__random_roundtrip", test_input_jsonl__random_roundtrip},
    {"test_input_jsonl__random_garbage", test_input_jsonl__random_garbage},
    {"test_input_tsv__records", test_input_tsv__records},
    {"test_input_tsv__bad_records", test_input_tsv__bad_records},
    {"test_input_utf8__columns", test_input_utf8__columns},
    {"test_input_dir__walk", test_input_dir__walk},
    {"test_input_open__errors", test_input_open__errors},
    {"test_input_stdin__autodetect", test_input_stdin__autodetect},
    {"test_input_bytes__progress", test_input_bytes__progress},
    {NULL, NULL},
};

void suite_input(void)
{
    test_register_suite("input", suite_init, suite_clean, tests);
}
