/*
 * input.c - the documents to index (see input.h): a queue of paths given,
 * a stack of directories being walked, and the file being read, through
 * one read buffer that serves the three formats: a whole TEXT file, or the
 * lines of a JSONL or TSV file, streamed so that only the current line is
 * in memory. JSON is parsed by jsonl.c; this file turns the members, the
 * TSV columns or the file into an srch_document and checks it.
 *
 * Directories are walked twice: once by input_open() to add up the sizes
 * of the files to read (for a progress bar), and again, one directory at a
 * time, as records are read; both walks apply the same filter (list_dir()).
 */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonl.h"

#define CHUNK ((size_t)64 << 10)   /* first size of the read buffer */
#define STDIN_NAME "<stdin>"

/* An entry of a directory that will be read: a file with a known
 * extension (or a link to one), or a directory to walk. */
typedef struct entry {
    char *name;
    int is_dir;
    uint64_t size;
} entry;

/* A directory being walked. */
typedef struct frame {
    char *path;
    entry *ents;
    size_t n, next;
} frame;

struct input {
    input_format fmt;            /* as asked (INPUT_AUTO: per file) */
    char **paths;                /* the paths given, copied */
    int npaths, next_path;
    frame *stack;                /* directories being walked, innermost last */
    size_t depth, stack_cap;

    FILE *f;                     /* the file being read, or NULL */
    char *name;                  /* its path as given or built, for ids and
                                    messages ("-" for standard input) */
    input_format ffmt;           /* its format */
    unsigned long line;          /* lines of it consumed */
    int eof;

    char *buf;                   /* read buffer: [start, end) not consumed
                                    yet, [start, scan) holds no '\n'; one
                                    spare byte after end for a NUL */
    size_t start, scan, end, cap;
    size_t max_line;

    jsonl_parser jp;
    srch_field *fields;
    const jsonl_member **order;  /* to sort members by name */
    size_t fields_cap;

    char *where, *msg;           /* formatted "path:line", message */
    size_t where_cap, msg_cap;
    const char *error;           /* msg, a static string, or "" */
    int fatal;
    uint64_t bytes_read, bytes_total;
};

int input_format_parse(const char *name)
{
    static const struct {
        const char *name;
        input_format fmt;
    } names[] = {{"auto", INPUT_AUTO},   {"text", INPUT_TEXT},   {"txt", INPUT_TEXT},
                 {"jsonl", INPUT_JSONL}, {"json", INPUT_JSONL},  {"ndjson", INPUT_JSONL},
                 {"tsv", INPUT_TSV}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].fmt;
    return -1;
}

/* The format of a file from its name's extension (ASCII case ignored), or
 * -1. A leading dot does not start an extension (".md" has none). */
static int format_of(const char *path)
{
    static const struct {
        const char *ext;
        input_format fmt;
    } exts[] = {{"jsonl", INPUT_JSONL}, {"ndjson", INPUT_JSONL}, {"tsv", INPUT_TSV},
                {"txt", INPUT_TEXT},    {"text", INPUT_TEXT},    {"md", INPUT_TEXT}};
    const char *base = strrchr(path, '/'), *dot;
    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    if (!dot || dot == base)
        return -1;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        const char *a = dot + 1, *b = exts[i].ext;
        while (*a && *b && (*a | 0x20) == *b)
            a++, b++;
        if (!*a && !*b)
            return exts[i].fmt;
    }
    return -1;
}

/* ------------------------------------------------------------ messages */

/* Format into *buf (grown as needed); NULL if memory runs out. */
static char *vformat(char **buf, size_t *cap, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(*buf, *cap, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    if ((size_t)n >= *cap) {
        char *nb = realloc(*buf, (size_t)n + 1);
        if (!nb)
            return NULL;
        *buf = nb;
        *cap = (size_t)n + 1;
        vsnprintf(*buf, *cap, fmt, ap);
    }
    return *buf;
}

/* Set the message and return `code` (-1 bad record, -2 fatal). */
static int report(input *in, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int report(input *in, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    in->error = vformat(&in->msg, &in->msg_cap, fmt, ap);
    va_end(ap);
    if (!in->error) {
        in->error = "out of memory";
        code = -2;
    }
    if (code == -2)
        in->fatal = 1;
    return code;
}

static int out_of_memory(input *in)
{
    in->error = "out of memory";
    in->fatal = 1;
    return -2;
}

static const char *display(const input *in)
{
    return strcmp(in->name, "-") == 0 ? STDIN_NAME : in->name;
}

/* --------------------------------------------------------- directories */

/* dir + "/" + name, without doubling a '/' at the end of dir. */
static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir), m = strlen(name);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    int slash = dir[n - 1] != '/';
    char *s = malloc(n + (size_t)slash + m + 1);
    if (!s)
        return NULL;
    memcpy(s, dir, n);
    if (slash)
        s[n] = '/';
    memcpy(s + n + (size_t)slash, name, m + 1);
    return s;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->name, ((const entry *)b)->name);
}

static void free_entries(entry *ents, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ents[i].name);
    free(ents);
}

/* The entries of `dir` to read, sorted. A link to a file is kept (if the
 * link dangles, opening it will say so), a link to a directory is not.
 * 0, or -1 with errno (cannot read dir), or -2 (out of memory). */
static int list_dir(const char *dir, entry **out, size_t *out_n)
{
    DIR *d = opendir(dir);
    entry *ents = NULL;
    size_t n = 0, cap = 0;
    char *path = NULL;
    int rc = -1, saved = 0;
    struct dirent *de;
    *out = NULL;
    *out_n = 0;
    if (!d)
        return -1;
    for (;;) {
        struct stat st;
        int is_dir = 0;
        errno = 0;
        if (!(de = readdir(d))) {
            if ((saved = errno) != 0)
                goto fail;
            break;
        }
        if (de->d_name[0] == '.')
            continue;
        if (!(path = join(dir, de->d_name)))
            goto oom;
        int keep = lstat(path, &st) == 0;   /* else gone since readdir */
        if (keep && S_ISDIR(st.st_mode)) {
            is_dir = 1;
        } else if (keep && S_ISLNK(st.st_mode)) {
            /* a link to a file is followed, a link to a directory is not; a
             * dangling link is kept so that opening it reports it */
            if (stat(path, &st) != 0) {
                st.st_mode = S_IFREG;
                st.st_size = 0;
            }
            keep = S_ISREG(st.st_mode);
        } else {
            keep = keep && S_ISREG(st.st_mode);   /* no devices, FIFOs, ... */
        }
        free(path);
        path = NULL;
        if (!keep || (!is_dir && format_of(de->d_name) < 0))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            entry *ne = realloc(ents, nc * sizeof *ne);
            if (!ne)
                goto oom;
            ents = ne;
            cap = nc;
        }
        if (!(ents[n].name = strdup(de->d_name)))
            goto oom;
        ents[n].is_dir = is_dir;
        ents[n].size = is_dir ? 0 : (uint64_t)st.st_size;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(ents, n, sizeof *ents, cmp_entry);
    *out = ents;
    *out_n = n;
    return 0;
oom:
    rc = -2;
    saved = ENOMEM;
fail:
    free(path);
    free_entries(ents, n);
    closedir(d);
    errno = saved;
    return rc;
}

/* The size of the files a walk of `dir` will read. Directories that cannot
 * be read count for nothing here; the walk proper reports them. */
static uint64_t dir_total(const char *dir)
{
    entry *ents;
    size_t n;
    uint64_t total = 0;
    if (list_dir(dir, &ents, &n) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!ents[i].is_dir) {
            total += ents[i].size;
            continue;
        }
        char *sub = join(dir, ents[i].name);
        if (sub)
            total += dir_total(sub);
        free(sub);
    }
    free_entries(ents, n);
    return total;
}

/* Start walking `path` (taken over: freed here on failure). 0, -1, -2. */
static int push_dir(input *in, char *path)
{
    frame *fr;
    int rc;
    if (in->depth == in->stack_cap) {
        size_t nc = in->stack_cap ? in->stack_cap * 2 : 8;
        frame *ns = realloc(in->stack, nc * sizeof *ns);
        if (!ns) {
            rc = out_of_memory(in);
            goto fail;
        }
        in->stack = ns;
        in->stack_cap = nc;
    }
    fr = &in->stack[in->depth];
    rc = list_dir(path, &fr->ents, &fr->n);
    if (rc == -2) {
        rc = out_of_memory(in);
        goto fail;
    }
    if (rc != 0) {
        rc = report(in, -1, "%s: %s", path, strerror(errno));
        goto fail;
    }
    fr->path = path;
    fr->next = 0;
    in->depth++;
    return 0;
fail:
    free(path);
    return rc;
}

static void pop_dir(input *in)
{
    frame *fr = &in->stack[--in->depth];
    free_entries(fr->ents, fr->n);
    free(fr->path);
}

/* ---------------------------------------------------------------- files */

/* Start reading `path` (taken over) in format `fmt`. 0, -1 (cannot open:
 * a bad record), -2. */
static int open_file(input *in, char *path, input_format fmt)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        int rc = report(in, -1, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    in->f = f;
    in->name = path;
    in->ffmt = fmt;
    in->line = 0;
    in->eof = 0;
    in->start = in->scan = in->end = 0;
    return 0;
}

static void close_file(input *in)
{
    if (in->f && in->f != stdin)
        fclose(in->f);
    in->f = NULL;
    free(in->name);
    in->name = NULL;
}

/* Read more of the file after in->end, making room first: the bytes not
 * consumed move to the front, the buffer grows up to `limit` bytes.
 * 1: read some; 0: end of file (in->eof set); -2: fatal. */
static int fill(input *in, size_t limit)
{
    if (in->start > 0) {
        memmove(in->buf, in->buf + in->start, in->end - in->start);
        in->end -= in->start;
        in->scan -= in->start;
        in->start = 0;
    }
    if (in->end + 1 >= in->cap) {
        size_t nc = in->cap < CHUNK ? CHUNK : in->cap * 2;
        if (nc < in->cap || nc > limit)
            nc = limit;
        if (nc <= in->end + 1)
            return report(in, -2, "%s: a document is too large for memory", display(in));
        char *nb = realloc(in->buf, nc);
        if (!nb)
            return out_of_memory(in);
        in->buf = nb;
        in->cap = nc;
    }
    size_t n = fread(in->buf + in->end, 1, in->cap - in->end - 1, in->f);
    in->end += n;
    if (n > 0)
        return 1;
    if (ferror(in->f))
        return report(in, -2, "%s: read error: %s", display(in), strerror(errno));
    in->eof = 1;
    return 0;
}

/* The next line of the file, without its "\n" or "\r\n", NUL-terminated
 * in the buffer. 1: a line in *line, *len; 0: end of file; -1: a line
 * over the bound (consumed; in->line is its number); -2: fatal. */
static int next_line(input *in, char **line, size_t *len)
{
    size_t limit = in->max_line + 3 > CHUNK ? in->max_line + 3 : CHUNK;
    int too_long = 0;
    for (;;) {
        char *nl = memchr(in->buf + in->scan, '\n', in->end - in->scan);
        if (nl || (in->eof && (in->start < in->end || too_long))) {
            size_t stop = nl ? (size_t)(nl - in->buf) : in->end;
            size_t n = stop - in->start;
            char *l = in->buf + in->start;
            in->line++;
            in->bytes_read += n + (nl != NULL);
            in->start = in->scan = stop + (nl != NULL);
            if (nl && n > 0 && l[n - 1] == '\r')
                n--;
            if (too_long || n > in->max_line)
                return -1;
            l[n] = '\0';
            *line = l;
            *len = n;
            return 1;
        }
        if (in->eof)
            return 0;
        in->scan = in->end;
        if (in->end - in->start > in->max_line + 1) {
            /* over the bound even if a '\r' ends it: drop it, look for
             * its end */
            in->bytes_read += in->end - in->start;
            in->start = in->scan = in->end = 0;
            too_long = 1;
        }
        if (fill(in, limit) < 0)
            return -2;
    }
}

/* ------------------------------------------------------------- records */

/* Checks shared by the formats, on the id and the title. 0 or -1. */
static int check_doc(input *in, const srch_document *doc, size_t id_len, size_t title_len)
{
    const char *where = display(in);
    if (id_len == 0)
        return report(in, -1, "%s:%lu: empty id", where, in->line);
    if (id_len > SRCH_MAX_ID_BYTES)
        return report(in, -1, "%s:%lu: id longer than %d bytes", where, in->line,
                      SRCH_MAX_ID_BYTES);
    if (strlen(doc->id) != id_len)
        return report(in, -1, "%s:%lu: NUL character in the id", where, in->line);
    if (doc->title && title_len > SRCH_MAX_TITLE_BYTES)
        return report(in, -1, "%s:%lu: title longer than %d bytes", where, in->line,
                      SRCH_MAX_TITLE_BYTES);
    if (doc->title && strlen(doc->title) != title_len)
        return report(in, -1, "%s:%lu: NUL character in the title", where, in->line);
    return 0;
}

static int set_line(input_record *rec, unsigned long line)
{
    rec->line = line;
    return 1;
}

const char *input_where(input *in, const input_record *rec)
{
    int n = snprintf(in->where, in->where_cap, "%s:%lu", display(in), rec->line);
    if (n >= 0 && (size_t)n >= in->where_cap) {
        char *nw = realloc(in->where, (size_t)n + 1);
        if (!nw)   /* the file's name alone, then */
            return display(in);
        in->where = nw;
        in->where_cap = (size_t)n + 1;
        snprintf(in->where, in->where_cap, "%s:%lu", display(in), rec->line);
    }
    return in->where ? in->where : display(in);
}

/* The whole file as one document. 1, -1, -2. */
static int text_record(input *in, input_record *rec)
{
    srch_document doc = SRCH_DOCUMENT_INIT;
    const char *where = display(in);
    size_t len, v;
    while (!in->eof)
        if (fill(in, SIZE_MAX) < 0)
            return -2;
    doc.text = in->buf + in->start;
    doc.text_len = len = in->end - in->start;
    in->bytes_read += len;
    in->start = in->scan = in->end;
    in->line = 1;
    doc.id = in->name;
    if ((v = jsonl_utf8_valid(doc.text, len)) < len) {
        /* say where in the file: the line and column of the byte */
        unsigned long line = 1;
        size_t bol = 0;
        for (size_t i = 0; i < v; i++)
            if (doc.text[i] == '\n') {
                line++;
                bol = i + 1;
            }
        return report(in, -1, "%s:%lu: invalid UTF-8 at column %zu", where, line, v - bol + 1);
    }
    if ((v = jsonl_utf8_valid(doc.id, strlen(doc.id))) < strlen(doc.id))
        return report(in, -1, "%s:1: the file name (the id) is not valid UTF-8 at byte %zu",
                      where, v + 1);
    int rc = check_doc(in, &doc, strlen(doc.id), 0);
    if (rc < 0)
        return rc;
    rec->doc = doc;
    return set_line(rec, 1);
}

static int cmp_name(const void *a, const void *b)
{
    const jsonl_member *x = *(const jsonl_member *const *)a, *y = *(const jsonl_member *const *)b;
    int c = memcmp(x->name, y->name, x->name_len < y->name_len ? x->name_len : y->name_len);
    if (c)
        return c;
    if (x->name_len != y->name_len)
        return x->name_len < y->name_len ? -1 : 1;
    return (x > y) - (x < y);   /* same name: in line order */
}

static int cmp_place(const void *a, const void *b)
{
    const jsonl_member *x = *(const jsonl_member *const *)a, *y = *(const jsonl_member *const *)b;
    return (x > y) - (x < y);
}

/* The members other than id, title and text, as fields in in->fields (the
 * last of the members with the same name). Returns their number, or -1 or
 * -2. */
static long jsonl_fields(input *in, size_t bom)
{
    const jsonl_parser *jp = &in->jp;
    size_t n = 0, k = 0;
    if (jp->nmembers > in->fields_cap) {
        srch_field *nf = realloc(in->fields, jp->nmembers * sizeof *nf);
        if (nf)
            in->fields = nf;
        const jsonl_member **no = realloc(in->order, jp->nmembers * sizeof *no);
        if (no)
            in->order = no;
        if (!nf || !no)
            return out_of_memory(in);
        in->fields_cap = jp->nmembers;
    }
    for (size_t i = 0; i < jp->nmembers; i++) {
        const jsonl_member *m = &jp->members[i];
        if (strlen(m->name) != m->name_len)
            return report(in, -1, "%s:%lu: NUL character in a member name at column %zu",
                          display(in), in->line, m->name_column + bom);
        if (strcmp(m->name, "id") != 0 && strcmp(m->name, "title") != 0 &&
            strcmp(m->name, "text") != 0)
            in->order[n++] = m;
    }
    if (n > 1) {
        /* keep the last of each name, then restore the line order */
        qsort(in->order, n, sizeof *in->order, cmp_name);
        for (size_t i = 0; i < n; i++) {
            const jsonl_member *a = in->order[i], *b = i + 1 < n ? in->order[i + 1] : NULL;
            if (!b || a->name_len != b->name_len || memcmp(a->name, b->name, a->name_len) != 0)
                in->order[k++] = a;
        }
        qsort(in->order, k, sizeof *in->order, cmp_place);
        n = k;
    }
    for (size_t i = 0; i < n; i++) {
        in->fields[i].name = in->order[i]->name;
        in->fields[i].value = in->order[i]->value;
        in->fields[i].value_len = in->order[i]->value_len;
    }
    return (long)n;
}

/* One JSONL line. 1 (a record), 0 (a blank line), -1, -2. */
static int jsonl_record(input *in, char *line, size_t len, input_record *rec)
{
    srch_document doc = SRCH_DOCUMENT_INIT;
    jsonl_parser *jp = &in->jp;
    const char *where = display(in);
    size_t bom = in->line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    size_t i = bom;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len)
        return 0;
    int rc = jsonl_parse(jp, line + bom, len - bom, 0);
    if (rc == JSONL_ENOMEM)
        return out_of_memory(in);
    if (rc == JSONL_EUTF8)
        return report(in, -1, "%s:%lu: invalid UTF-8 at column %zu", where, in->line,
                      jp->error_column + bom);
    if (rc != JSONL_OK)
        return report(in, -1, "%s:%lu: invalid JSON: %s at column %zu", where, in->line,
                      jp->error, jp->error_column + bom);

    const jsonl_member *id = jsonl_find(jp, "id"), *title = jsonl_find(jp, "title"),
                       *text = jsonl_find(jp, "text");
    if (!id)
        return report(in, -1, "%s:%lu: missing \"id\"", where, in->line);
    if (id->type != JSONL_STRING && id->type != JSONL_NUMBER)
        return report(in, -1, "%s:%lu: \"id\" must be a string or a number, not %s", where,
                      in->line, jsonl_type_name(id->type));
    if (!text)
        return report(in, -1, "%s:%lu: missing \"text\"", where, in->line);
    if (text->type != JSONL_STRING)
        return report(in, -1, "%s:%lu: \"text\" must be a string, not %s", where, in->line,
                      jsonl_type_name(text->type));
    if (title && title->type != JSONL_STRING && title->type != JSONL_NULL)
        return report(in, -1, "%s:%lu: \"title\" must be a string or null, not %s", where,
                      in->line, jsonl_type_name(title->type));
    doc.id = id->value;
    doc.title = title && title->type == JSONL_STRING && title->value_len ? title->value : NULL;
    doc.text = text->value;
    doc.text_len = text->value_len;
    if ((rc = check_doc(in, &doc, id->value_len, doc.title ? title->value_len : 0)) < 0)
        return rc;
    long nf = jsonl_fields(in, bom);
    if (nf < 0)
        return (int)nf;
    doc.fields = nf ? in->fields : NULL;
    doc.nfields = (size_t)nf;
    rec->doc = doc;
    return set_line(rec, in->line);
}

/* Decode the escapes of a TSV field s[0..n) in place and put a NUL after
 * it (at most at s[n]); returns its new length. */
static size_t tsv_unescape(char *s, size_t n)
{
    size_t i = 0, j = 0;
    while (i < n) {
        if (s[i] == '\\' && i + 1 < n) {
            char c = s[i + 1];
            char d = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == '\\' ? '\\' : 0;
            if (d) {
                s[j++] = d;
                i += 2;
                continue;
            }
        }
        s[j++] = s[i++];   /* any other backslash stays */
    }
    s[j] = '\0';
    return j;
}

/* One TSV line. 1 (a record), 0 (empty line or header), -1, -2. */
static int tsv_record(input *in, char *line, size_t len, input_record *rec)
{
    srch_document doc = SRCH_DOCUMENT_INIT;
    const char *where = display(in);
    size_t bom = in->line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    char *col[3] = {NULL, NULL, NULL};
    size_t clen[3] = {0, 0, 0}, ncols = 0, v;
    line += bom;
    len -= bom;
    if (len == 0 || (in->line == 1 && len == 13 && memcmp(line, "id\ttitle\ttext", 13) == 0))
        return 0;
    if ((v = jsonl_utf8_valid(line, len)) < len)
        return report(in, -1, "%s:%lu: invalid UTF-8 at column %zu", where, in->line, v + 1 + bom);
    for (char *p = line, *e = line + len;; ncols++) {
        char *tab = memchr(p, '\t', (size_t)(e - p));
        if (ncols < 3) {
            col[ncols] = p;
            clen[ncols] = (size_t)((tab ? tab : e) - p);
        }
        if (!tab)
            break;
        p = tab + 1;
    }
    if (++ncols != 3)
        return report(in, -1,
                      "%s:%lu: expected 3 tab-separated columns (id, title, text), found %zu",
                      where, in->line, ncols);
    for (int k = 0; k < 3; k++)
        clen[k] = tsv_unescape(col[k], clen[k]);
    doc.id = col[0];
    doc.title = clen[1] ? col[1] : NULL;
    doc.text = col[2];
    doc.text_len = clen[2];
    int rc = check_doc(in, &doc, clen[0], clen[1]);
    if (rc < 0)
        return rc;
    rec->doc = doc;
    return set_line(rec, in->line);
}

/* ------------------------------------------------------------ iterating */

/* Open the next file: from the directory being walked, else the next path
 * given. 1: a file is open; 0: no more; -1: one could not be opened or a
 * directory read (skipped); -2. */
static int next_file(input *in)
{
    for (;;) {
        char *path;
        int fmt, rc;
        if (in->depth > 0) {
            frame *fr = &in->stack[in->depth - 1];
            if (fr->next == fr->n) {
                pop_dir(in);
                continue;
            }
            const entry *e = &fr->ents[fr->next++];
            if (!(path = join(fr->path, e->name)))
                return out_of_memory(in);
            if (e->is_dir) {
                if ((rc = push_dir(in, path)) < 0)
                    return rc;
                continue;
            }
            fmt = in->fmt != INPUT_AUTO ? (int)in->fmt : format_of(e->name);
        } else {
            struct stat st;
            if (in->next_path == in->npaths)
                return 0;
            if (!(path = strdup(in->paths[in->next_path++])))
                return out_of_memory(in);
            if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
                if ((rc = push_dir(in, path)) < 0)
                    return rc;
                continue;
            }
            /* standard input with INPUT_AUTO is sniffed once open */
            fmt = in->fmt != INPUT_AUTO || strcmp(path, "-") == 0 ? (int)in->fmt : format_of(path);
            if (fmt < 0)
                fmt = INPUT_TEXT;
        }
        return (rc = open_file(in, path, (input_format)fmt)) < 0 ? rc : 1;
    }
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Standard input with INPUT_AUTO: JSONL if the first byte that is not
 * whitespace (after a byte order mark) is '{', else TEXT. The bytes read
 * to see it stay in the buffer. 0 or -2. */
static int sniff(input *in)
{
    for (;;) {
        size_t i = in->end >= 3 && memcmp(in->buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        while (i < in->end && is_ws(in->buf[i]))
            i++;
        if (in->eof || (i < in->end && in->end >= 3)) {
            in->ffmt = i < in->end && in->buf[i] == '{' ? INPUT_JSONL : INPUT_TEXT;
            return 0;
        }
        if (fill(in, SIZE_MAX) < 0)
            return -2;
    }
}

int input_next(input *in, input_record *rec)
{
    if (in->fatal)
        return -2;
    in->error = "";
    for (;;) {
        int rc;
        if (in->f && in->eof && in->start == in->end && in->ffmt == INPUT_TEXT)
            close_file(in);   /* kept open until now for the id of its record */
        if (!in->f) {
            if ((rc = next_file(in)) <= 0)
                return rc;
            if (in->ffmt == INPUT_AUTO && sniff(in) < 0)
                return -2;
        }
        if (in->ffmt == INPUT_TEXT)
            return text_record(in, rec);
        char *line;
        size_t len;
        rc = next_line(in, &line, &len);
        if (rc == 0) {
            close_file(in);
            continue;
        }
        if (rc == -1)
            return report(in, -1, "%s:%lu: line longer than %zu bytes", display(in), in->line,
                          in->max_line);
        if (rc < 0)
            return rc;
        rc = in->ffmt == INPUT_JSONL ? jsonl_record(in, line, len, rec)
                                     : tsv_record(in, line, len, rec);
        if (rc != 0)
            return rc;
    }
}

/* malloc'ed message for input_open(), or NULL if memory runs out. */
static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    char *s = NULL;
    size_t cap = 0;
    va_list ap;
    va_start(ap, fmt);
    char *r = vformat(&s, &cap, fmt, ap);
    va_end(ap);
    if (!r)
        free(s);
    return r;
}

int input_open(input **out, char *const *paths, int npaths, input_format fmt, char **err)
{
    input *in = calloc(1, sizeof *in);
    int nstdin = 0;
    *out = NULL;
    *err = NULL;
    if (!in)
        goto oom;
    jsonl_init(&in->jp);
    in->fmt = fmt;
    in->max_line = INPUT_MAX_LINE;
    in->error = "";
    if ((unsigned)fmt > INPUT_TSV || npaths < 0) {
        *err = dup_printf("invalid argument");
        goto fail;
    }
    if (!(in->buf = malloc(CHUNK)) || !(in->paths = calloc((size_t)npaths + 1, sizeof(char *))))
        goto oom;
    in->cap = CHUNK;
    for (int i = 0; i < npaths; i++) {
        const char *p = paths[i];
        struct stat st;
        if (!(in->paths[i] = strdup(p)))
            goto oom;
        in->npaths = i + 1;
        if (strcmp(p, "-") == 0) {
            if (nstdin++) {
                *err = dup_printf("-: standard input can be read only once");
                goto fail;
            }
            if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
                off_t pos = lseek(STDIN_FILENO, 0, SEEK_CUR);
                if (pos >= 0 && pos <= st.st_size)
                    in->bytes_total += (uint64_t)(st.st_size - pos);
            }
            continue;
        }
        if (stat(p, &st) != 0)
            goto fail_errno;
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(p);
            if (!d)
                goto fail_errno;
            closedir(d);
            in->bytes_total += dir_total(p);
        } else {
            /* O_NONBLOCK: a FIFO must not wait for a writer here */
            int fd = open(p, O_RDONLY | O_NONBLOCK);
            if (fd < 0)
                goto fail_errno;
            close(fd);
            if (S_ISREG(st.st_mode))
                in->bytes_total += (uint64_t)st.st_size;
        }
    }
    *out = in;
    return 0;
fail_errno:
    *err = dup_printf("%s: %s", in->paths[in->npaths - 1], strerror(errno));
    goto fail;
oom:
    *err = dup_printf("out of memory");
fail:
    input_close(in);
    return -1;
}

const char *input_error(const input *in)
{
    return in->error;
}

uint64_t input_bytes_read(const input *in)
{
    return in->bytes_read;
}

uint64_t input_bytes_total(const input *in)
{
    return in->bytes_total;
}

void input_set_max_line(input *in, size_t max_line)
{
    /* the buffer is sized from it: keep max_line + a few from overflowing */
    in->max_line = max_line < SIZE_MAX / 2 ? max_line : SIZE_MAX / 2;
}

void input_close(input *in)
{
    if (!in)
        return;
    close_file(in);
    while (in->depth > 0)
        pop_dir(in);
    free(in->stack);
    for (int i = 0; i < in->npaths; i++)
        free(in->paths[i]);
    free(in->paths);
    free(in->buf);
    jsonl_free(&in->jp);
    free(in->fields);
    free(in->order);
    free(in->where);
    free(in->msg);
    free(in);
}
