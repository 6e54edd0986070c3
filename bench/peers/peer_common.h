/*
 * peer_common.h - command-line driver shared by the benchmark peers
 * (header-only, compiles as C and as C++).
 *
 * Everything that is not engine-specific lives here so that the three
 * peers read the corpus, prepare the index directory, time queries and
 * compute statistics in exactly the same way:
 *
 *   PEER index [--store-text] CORPUS.jsonl INDEXDIR
 *   PEER query INDEXDIR QUERIES.txt [-k 10] [--warmup 50]
 *   PEER version
 *
 * An engine supplies a peer_indexer (begin/add/finish callbacks) and a
 * translate + search callback pair; see the *_peer.c[c] files.
 *
 * The corpus is parsed by cli/jsonl.c, the JSON Lines parser of the
 * `search` CLI (compiled as C and linked into every peer, see Makefile), in
 * its lenient mode: bytes that are not UTF-8 and unpaired surrogates become
 * U+FFFD, and \u0000 becomes a space here, so that every engine receives
 * the same valid UTF-8 without NULs.
 */
#ifndef PEERS_COMMON_H
#define PEERS_COMMON_H

#include "../../cli/jsonl.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#if defined(__GNUC__)
#define PEER_FN static __attribute__((unused))
#else
#define PEER_FN static
#endif

/* Marker file written into every INDEXDIR we create: it records which
 * engine built the index and is what allows "index" to wipe the directory
 * on the next run.  It is not counted in index_bytes. */
#define PEER_MARKER ".peer-index"

static const char *peer_prog = "peer";

/* index --store-text: store the title and the text too, not only the id
 * (Xapian: in the document data; Lucene: STORE_YES; FTS5 always stores
 * them). Set by peer_parse_index_args(), reported in the index line. */
static int peer_store_text = 0;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn, unused))
#endif
static void peer_die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: error: ", peer_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* ---------------------------------------------------------------- buffers */

/* A growable string; out of memory ends the program. */
typedef struct {
    char *s;    /* always NUL-terminated once anything was written */
    size_t len;
    size_t cap;
} peer_buf;

PEER_FN void peer_buf_reserve(peer_buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        char *p;
        while (nc < b->len + extra + 1)
            nc *= 2;
        p = (char *)realloc(b->s, nc);
        if (!p)
            peer_die("out of memory");
        b->s = p;
        b->cap = nc;
    }
}

PEER_FN void peer_buf_clear(peer_buf *b)
{
    b->len = 0;
    peer_buf_reserve(b, 0);
    b->s[0] = '\0';
}

PEER_FN void peer_buf_append(peer_buf *b, const char *s, size_t n)
{
    peer_buf_reserve(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

PEER_FN void peer_buf_puts(peer_buf *b, const char *s)
{
    peer_buf_append(b, s, strlen(s));
}

PEER_FN void peer_buf_putc(peer_buf *b, char c)
{
    peer_buf_reserve(b, 1);
    b->s[b->len++] = c;
    b->s[b->len] = '\0';
}

PEER_FN void peer_buf_free(peer_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* Append s[0..n) to b, each byte that is not part of valid UTF-8 replaced
 * by U+FFFD (as the corpus reader does). */
PEER_FN void peer_append_utf8_clean(peer_buf *b, const char *s, size_t n)
{
    while (n > 0) {
        size_t ok = jsonl_utf8_valid(s, n);
        peer_buf_append(b, s, ok);
        s += ok;
        n -= ok;
        if (n > 0) {
            peer_buf_append(b, "\xEF\xBF\xBD", 3);
            s++;
            n--;
        }
    }
}

/* ------------------------------------------------------------ corpus reader */

typedef struct {
    FILE *f;
    const char *path;
    char *line;
    size_t linecap;
    long lineno;
    jsonl_parser jp;
    /* the record read by peer_reader_next(): valid until the next call */
    const char *id, *title, *text;
    size_t id_len, title_len, text_len;
    peer_buf err;
} peer_reader;

/* Open path ("-" = stdin).  Returns 0, or -1 (errno says why). */
PEER_FN int peer_reader_open(peer_reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    jsonl_init(&r->jp);
    r->path = path;
    r->f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    return r->f ? 0 : -1;
}

/* The string member `name` (NULs made spaces): 1 if it is a string, 0 if
 * it is absent or null (*s = ""), -1 for another type. */
PEER_FN int peer_member(peer_reader *r, const char *name, const char **s, size_t *len)
{
    const jsonl_member *m = jsonl_find(&r->jp, name);
    *s = "";
    *len = 0;
    if (!m || m->type == JSONL_NULL)
        return 0;
    if (m->type != JSONL_STRING)
        return -1;
    for (size_t i = 0; i < m->value_len; i++)
        if (m->value[i] == '\0')
            m->value[i] = ' ';
    *s = m->value;
    *len = m->value_len;
    return 1;
}

/* Read the next record.  Returns 1 (record in r->id/title/text), 0 at end
 * of file, -1 on error (r->err.s says "PATH:LINE: what").  A record without
 * an "id" (string or number) is an error; a missing "title"/"text" reads as
 * "". */
PEER_FN int peer_reader_next(peer_reader *r)
{
    for (;;) {
        ssize_t n = getline(&r->line, &r->linecap, r->f);
        const char *p;
        size_t len, i;
        const jsonl_member *id;
        int rc;
        char pos[64];
        if (n < 0) {
            if (ferror(r->f)) {
                peer_buf_clear(&r->err);
                peer_buf_puts(&r->err, r->path);
                peer_buf_puts(&r->err, ": read error");
                return -1;
            }
            return 0;
        }
        r->lineno++;
        p = r->line;
        len = (size_t)n;
        if (len > 0 && p[len - 1] == '\n')
            len--;
        if (r->lineno == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3; /* UTF-8 BOM */
            len -= 3;
        }
        for (i = 0; i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'); i++)
            ;
        if (i == len)
            continue; /* blank line */
        peer_buf_clear(&r->err);
        snprintf(pos, sizeof pos, ":%ld: ", r->lineno);
        peer_buf_puts(&r->err, r->path);
        peer_buf_puts(&r->err, pos);
        rc = jsonl_parse(&r->jp, p, len, JSONL_REPLACE_INVALID);
        if (rc == JSONL_ENOMEM)
            peer_die("out of memory");
        if (rc != JSONL_OK) {
            snprintf(pos, sizeof pos, " at column %zu", r->jp.error_column);
            peer_buf_puts(&r->err, "invalid JSON: ");
            peer_buf_puts(&r->err, r->jp.error);
            peer_buf_puts(&r->err, pos);
            return -1;
        }
        id = jsonl_find(&r->jp, "id");
        if (id && id->type == JSONL_NUMBER) {
            r->id = id->value; /* verbatim */
            r->id_len = id->value_len;
        } else if ((rc = peer_member(r, "id", &r->id, &r->id_len)) <= 0) {
            peer_buf_puts(&r->err, rc < 0 ? "invalid JSON: member \"id\" is not a string or number"
                                          : "record has no \"id\"");
            return -1;
        }
        if (peer_member(r, "title", &r->title, &r->title_len) < 0 ||
            peer_member(r, "text", &r->text, &r->text_len) < 0) {
            peer_buf_puts(&r->err, "invalid JSON: member \"title\"/\"text\" is not a string");
            return -1;
        }
        return 1;
    }
}

PEER_FN void peer_reader_close(peer_reader *r)
{
    if (r->f && r->f != stdin)
        fclose(r->f);
    r->f = NULL;
    free(r->line);
    r->line = NULL;
    jsonl_free(&r->jp);
    peer_buf_free(&r->err);
}

PEER_FN double peer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* user + system CPU seconds of the whole process (all threads) */
PEER_FN double peer_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

PEER_FN long peer_peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* kilobytes on Linux */
}

/* ---------------------------------------------------------- directories */

static long long peer_du_total;

PEER_FN int peer_du_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    if (type == FTW_F && !(ftw->level == 1 && strcmp(path + ftw->base, PEER_MARKER) == 0))
        peer_du_total += (long long)st->st_size;
    return 0;
}

/* Total size in bytes of the regular files under dir (marker excluded). */
PEER_FN long long peer_dir_bytes(const char *dir)
{
    peer_du_total = 0;
    if (nftw(dir, peer_du_cb, 32, FTW_PHYS) != 0)
        peer_die("cannot walk %s: %s", dir, strerror(errno));
    return peer_du_total;
}

PEER_FN int peer_rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    if (ftw->level == 0)
        return 0; /* keep the directory itself */
    if (remove(path) != 0) {
        fprintf(stderr, "%s: error: cannot remove %s: %s\n", peer_prog, path, strerror(errno));
        return -1;
    }
    return 0;
}

PEER_FN int peer_dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int empty = 1;
    if (!d)
        peer_die("cannot open directory %s: %s", dir, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    return empty;
}

PEER_FN void peer_mkdir_p(const char *dir)
{
    peer_buf b = {NULL, 0, 0};
    size_t i;
    peer_buf_puts(&b, dir);
    for (i = 1; i <= b.len; i++) {
        if (b.s[i] == '/' || b.s[i] == '\0') {
            char c = b.s[i];
            b.s[i] = '\0';
            if (mkdir(b.s, 0777) != 0 && errno != EEXIST)
                peer_die("cannot create directory %s: %s", b.s, strerror(errno));
            b.s[i] = c;
        }
    }
    peer_buf_free(&b);
}

PEER_FN void peer_marker_path(peer_buf *b, const char *dir)
{
    peer_buf_clear(b);
    peer_buf_puts(b, dir);
    peer_buf_putc(b, '/');
    peer_buf_puts(b, PEER_MARKER);
}

/* Read the marker of dir into out (engine name); returns 0 if present. */
PEER_FN int peer_read_marker(const char *dir, char *out, size_t outlen)
{
    peer_buf mp = {NULL, 0, 0};
    FILE *f;
    size_t n;
    peer_marker_path(&mp, dir);
    f = fopen(mp.s, "r");
    peer_buf_free(&mp);
    if (!f)
        return -1;
    n = fread(out, 1, outlen - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return 0;
}

/* Make dir an empty directory holding only our marker.  An existing
 * directory is wiped only if it is empty or carries our marker (i.e. was
 * made by a peer): we never rm -rf a directory we did not create. */
PEER_FN void peer_prepare_index_dir(const char *dir, const char *engine)
{
    struct stat st;
    peer_buf mp = {NULL, 0, 0};
    FILE *f;
    char old[64];
    if (lstat(dir, &st) != 0) {
        if (errno != ENOENT)
            peer_die("cannot stat %s: %s", dir, strerror(errno));
        peer_mkdir_p(dir);
    } else if (!S_ISDIR(st.st_mode)) {
        peer_die("%s exists and is not a directory", dir);
    } else if (!peer_dir_is_empty(dir)) {
        if (peer_read_marker(dir, old, sizeof old) != 0)
            peer_die("refusing to wipe non-empty directory %s: it has no %s marker, so it was "
                     "not created by a peer; remove it yourself or choose another INDEXDIR",
                     dir, PEER_MARKER);
        if (nftw(dir, peer_rm_cb, 32, FTW_DEPTH | FTW_PHYS) != 0)
            peer_die("cannot empty %s", dir);
    }
    peer_marker_path(&mp, dir);
    f = fopen(mp.s, "w");
    if (!f || fprintf(f, "%s\n", engine) < 0 || fclose(f) != 0)
        peer_die("cannot write %s: %s", mp.s, strerror(errno));
    peer_buf_free(&mp);
}

/* Check that dir exists and, if it has a marker, that engine built it. */
PEER_FN void peer_check_index_dir(const char *dir, const char *engine)
{
    struct stat st;
    char old[64];
    if (stat(dir, &st) != 0)
        peer_die("index directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        peer_die("%s is not a directory", dir);
    if (peer_read_marker(dir, old, sizeof old) == 0 && strcmp(old, engine) != 0)
        peer_die("%s holds a \"%s\" index, not a \"%s\" one", dir, old, engine);
}

/* ---------------------------------------------------------------- index */

typedef struct {
    const char *engine;
    /* Create the index in dir (which exists, holding only the marker). */
    int (*begin)(void *ctx, const char *dir, peer_buf *err);
    /* Add one document; strings are UTF-8 with explicit lengths (no NUL
     * inside).  title_len is 0 when the title is absent or empty. */
    int (*add)(void *ctx, const char *id, size_t id_len, const char *title, size_t title_len,
               const char *text, size_t text_len, peer_buf *err);
    /* Commit / optimize / close everything: after this returns, the index
     * files must be complete on disk. */
    int (*finish)(void *ctx, peer_buf *err);
} peer_indexer;

PEER_FN int peer_index_main(const peer_indexer *ix, void *ctx, const char *corpus, const char *dir,
                            const char *version)
{
    peer_reader r;
    peer_buf err = {NULL, 0, 0};
    long long docs = 0, text_bytes = 0, index_bytes;
    double t0, t_read = 0, wall, cpu0, cpu;
    int rc;

    if (peer_reader_open(&r, corpus) != 0)
        peer_die("cannot open %s: %s", corpus, strerror(errno));
    peer_prepare_index_dir(dir, ix->engine);
    peer_buf_clear(&err);

    t0 = peer_now();
    cpu0 = peer_cpu_s();
    if (ix->begin(ctx, dir, &err) != 0)
        peer_die("cannot create index in %s: %s", dir, err.s);
    for (;;) {
        double tr = peer_now();
        rc = peer_reader_next(&r);
        t_read += peer_now() - tr;
        if (rc == 0)
            break;
        if (rc < 0)
            peer_die("%s", r.err.s);
        if (ix->add(ctx, r.id, r.id_len, r.title, r.title_len, r.text, r.text_len, &err) != 0)
            peer_die("%s:%ld: cannot index document: %s", corpus, r.lineno, err.s);
        docs++;
        text_bytes += (long long)(r.title_len + r.text_len);
    }
    if (ix->finish(ctx, &err) != 0)
        peer_die("cannot finish index: %s", err.s);
    wall = peer_now() - t0;
    cpu = peer_cpu_s() - cpu0;
    peer_reader_close(&r);
    index_bytes = peer_dir_bytes(dir);

    printf("{\"engine\":\"%s\",\"docs\":%lld,\"text_bytes\":%lld,\"wall_s\":%.3f,\"cpu_s\":%.3f,"
           "\"peak_rss_kb\":%ld,\"index_bytes\":%lld,\"read_s\":%.3f,\"store_text\":%s,"
           "\"version\":",
           ix->engine, docs, text_bytes, wall, cpu, peer_peak_rss_kb(), index_bytes, t_read,
           peer_store_text ? "true" : "false");
    jsonl_write_string(stdout, version, strlen(version));
    printf("}\n");
    peer_buf_free(&err);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- query */

enum { PQ_WORD, PQ_OR, PQ_AND, PQ_PHRASE, PQ_PREFIX, PQ_NCLASS };
static const char *const peer_class_names[PQ_NCLASS] = {"word", "or", "and", "phrase", "prefix"};

typedef struct {
    int cls;          /* PQ_*, or -1 when the line is malformed */
    char *cls_name;   /* class as written */
    char *text;       /* QUERY as written (UTF-8 cleaned) */
    char **words;     /* text split on blanks */
    int nwords;
    char *eq;         /* the query in the engine's own syntax */
    char *error;      /* malformed line or engine error, NULL if fine */
    long lineno;
} peer_query;

PEER_FN char *peer_strndup(const char *s, size_t n)
{
    char *p = (char *)malloc(n + 1);
    if (!p)
        peer_die("out of memory");
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

PEER_FN char *peer_strdup(const char *s)
{
    return peer_strndup(s, strlen(s));
}

/* Read QUERIES.txt.  Blank lines and lines starting with '#' are ignored.
 * Malformed lines are kept, with cls = -1 and error set, so that they are
 * reported in the output (and not run). */
PEER_FN peer_query *peer_read_queries(const char *path, size_t *nq_out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *line = NULL;
    size_t cap = 0, nq = 0, qcap = 0;
    long lineno = 0;
    ssize_t n;
    peer_query *qs = NULL;
    peer_buf clean = {NULL, 0, 0};

    if (!f)
        peer_die("cannot open %s: %s", path, strerror(errno));
    while ((n = getline(&line, &cap, f)) >= 0) {
        peer_query *q;
        char *tab, *p;
        int i;
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        peer_buf_clear(&clean);
        peer_append_utf8_clean(&clean, line, (size_t)n);
        if (nq == qcap) {
            qcap = qcap ? qcap * 2 : 256;
            qs = (peer_query *)realloc(qs, qcap * sizeof *qs);
            if (!qs)
                peer_die("out of memory");
        }
        q = &qs[nq++];
        memset(q, 0, sizeof *q);
        q->lineno = lineno;
        q->cls = -1;
        tab = strchr(clean.s, '\t');
        if (!tab) {
            q->cls_name = peer_strdup("");
            q->text = peer_strdup(clean.s);
            q->error = peer_strdup("malformed line: expected CLASS<TAB>QUERY");
            continue;
        }
        q->cls_name = peer_strndup(clean.s, (size_t)(tab - clean.s));
        q->text = peer_strdup(tab + 1);
        for (i = 0; i < PQ_NCLASS; i++)
            if (strcmp(q->cls_name, peer_class_names[i]) == 0)
                q->cls = i;
        if (q->cls < 0) {
            q->error = peer_strdup("unknown query class (expected word, or, and, phrase or prefix)");
            continue;
        }
        /* split into words */
        p = q->text;
        for (;;) {
            size_t l;
            while (*p == ' ' || *p == '\t')
                p++;
            if (!*p)
                break;
            l = strcspn(p, " \t");
            q->words = (char **)realloc(q->words, (size_t)(q->nwords + 1) * sizeof(char *));
            if (!q->words)
                peer_die("out of memory");
            q->words[q->nwords++] = peer_strndup(p, l);
            p += l;
        }
        if (q->nwords == 0)
            q->error = peer_strdup("empty query");
        else if ((q->cls == PQ_WORD || q->cls == PQ_PREFIX) && q->nwords != 1)
            q->error = peer_strdup("this class takes exactly one word");
        if (q->error)
            q->cls = -1;
    }
    if (ferror(f))
        peer_die("read error on %s", path);
    if (f != stdin)
        fclose(f);
    free(line);
    peer_buf_free(&clean);
    *nq_out = nq;
    return qs;
}

/* Is w (exactly) an upper-case boolean operator keyword of a query parser? */
PEER_FN int peer_is_operator_word(const char *w)
{
    static const char *const ops[] = {"AND", "OR", "NOT", "XOR", "NEAR", "ADJ", "TO"};
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(w, ops[i]) == 0)
            return 1;
    return 0;
}

/* List of result ids of one query. */
typedef struct {
    peer_buf buf;  /* ids, each NUL-terminated */
    size_t *off;
    size_t n, cap;
} peer_ids;

PEER_FN void peer_ids_clear(peer_ids *ids)
{
    ids->n = 0;
    peer_buf_clear(&ids->buf);
}

PEER_FN void peer_ids_add(peer_ids *ids, const char *s, size_t len)
{
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? ids->cap * 2 : 64;
        ids->off = (size_t *)realloc(ids->off, ids->cap * sizeof(size_t));
        if (!ids->off)
            peer_die("out of memory");
    }
    ids->off[ids->n++] = ids->buf.len;
    peer_buf_append(&ids->buf, s, len);
    peer_buf_putc(&ids->buf, '\0');
}

/* Run one query: fill ids with at most k ids, *total with the engine's
 * match count (or -1 if unknown).  On error return non-zero with a message
 * in err.  This whole call is what is timed. */
typedef int (*peer_search_fn)(void *ctx, const peer_query *q, int k, peer_ids *ids,
                              long long *total, peer_buf *err);

typedef struct {
    int k;
    int warmup;
} peer_query_opts;

PEER_FN void peer_usage(void)
{
    fprintf(stderr,
            "usage: %s index [--store-text] CORPUS.jsonl INDEXDIR\n"
            "       %s query INDEXDIR QUERIES.txt [-k 10] [--warmup 50]\n"
            "       %s version\n",
            peer_prog, peer_prog, peer_prog);
    exit(1);
}

PEER_FN int peer_parse_int(const char *s, const char *what, long lo, long hi)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        peer_die("bad value for %s: \"%s\" (expected an integer in %ld..%ld)", what, s, lo, hi);
    return (int)v;
}

/* Parse "[--store-text] CORPUS INDEXDIR" (argv after "index"; the option
 * may come anywhere); sets peer_store_text. */
PEER_FN void peer_parse_index_args(int argc, char **argv, const char **corpus, const char **dir)
{
    int i, npos = 0;
    *corpus = *dir = NULL;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--store-text") == 0)
            peer_store_text = 1;
        else if (a[0] == '-' && a[1] != '\0')
            peer_die("unknown option %s", a);
        else if (npos == 0 && ++npos)
            *corpus = a;
        else if (npos == 1 && ++npos)
            *dir = a;
        else
            peer_usage();
    }
    if (npos != 2)
        peer_usage();
}

/* Parse "INDEXDIR QUERIES [-k N] [--warmup N]" (argv after "query"). */
PEER_FN void peer_parse_query_args(int argc, char **argv, const char **dir, const char **queries,
                                   peer_query_opts *o)
{
    int i, npos = 0;
    o->k = 10;
    o->warmup = 50;
    *dir = *queries = NULL;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-k") == 0 || strcmp(a, "--k") == 0) {
            if (++i >= argc)
                peer_die("%s needs a value", a);
            o->k = peer_parse_int(argv[i], "-k", 1, 1000000);
        } else if (strncmp(a, "-k=", 3) == 0) {
            o->k = peer_parse_int(a + 3, "-k", 1, 1000000);
        } else if (strcmp(a, "--warmup") == 0) {
            if (++i >= argc)
                peer_die("%s needs a value", a);
            o->warmup = peer_parse_int(argv[i], "--warmup", 0, 100000000);
        } else if (strncmp(a, "--warmup=", 9) == 0) {
            o->warmup = peer_parse_int(a + 9, "--warmup", 0, 100000000);
        } else if (a[0] == '-' && a[1] != '\0') {
            peer_die("unknown option %s", a);
        } else if (npos == 0) {
            *dir = a;
            npos++;
        } else if (npos == 1) {
            *queries = a;
            npos++;
        } else {
            peer_die("unexpected argument %s", a);
        }
    }
    if (npos != 2)
        peer_usage();
}

PEER_FN int peer_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* nearest-rank percentile of sorted v[0..n) */
PEER_FN double peer_pct(const double *v, size_t n, double p)
{
    size_t r = (size_t)(p / 100.0 * (double)n + 0.999999999);
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return v[r - 1];
}

PEER_FN void peer_print_stats(const char *name, double *v, size_t n)
{
    double sum = 0, median;
    size_t i;
    qsort(v, n, sizeof *v, peer_cmp_double);
    for (i = 0; i < n; i++)
        sum += v[i];
    median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    printf("\"%s\":{\"n\":%zu,\"median_us\":%.1f,\"p95_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f,"
           "\"qps\":%.1f}",
           name, n, median, peer_pct(v, n, 95), peer_pct(v, n, 99), sum / (double)n,
           sum > 0 ? (double)n / (sum * 1e-6) : 0.0);
}

PEER_FN void peer_print_query_head(const peer_query *q)
{
    printf("{\"class\":");
    jsonl_write_string(stdout, q->cls_name, strlen(q->cls_name));
    printf(",\"query\":");
    jsonl_write_string(stdout, q->text, strlen(q->text));
    if (q->eq) {
        printf(",\"engine_query\":");
        jsonl_write_string(stdout, q->eq, strlen(q->eq));
    }
}

/* Warm up, then run and time every query once, printing one JSON line per
 * query and a summary line. */
PEER_FN int peer_run_queries(const char *engine, peer_query *qs, size_t nq,
                             const peer_query_opts *o, peer_search_fn fn, void *ctx)
{
    peer_ids ids;
    peer_buf err = {NULL, 0, 0};
    double *lat[PQ_NCLASS], *all;
    size_t nlat[PQ_NCLASS] = {0}, nall = 0, nvalid = 0, i, nerr = 0;
    long long total;
    double t_start, wall;
    int c;

    memset(&ids, 0, sizeof ids);
    for (c = 0; c < PQ_NCLASS; c++) {
        lat[c] = (double *)malloc((nq + 1) * sizeof(double));
        if (!lat[c])
            peer_die("out of memory");
    }
    all = (double *)malloc((nq + 1) * sizeof(double));
    if (!all)
        peer_die("out of memory");
    for (i = 0; i < nq; i++)
        if (qs[i].cls >= 0)
            nvalid++;

    /* warm-up: the first `warmup` valid queries, wrapping around */
    if (nvalid > 0) {
        int done = 0;
        i = 0;
        while (done < o->warmup) {
            peer_query *q = &qs[i % nq];
            i++;
            if (q->cls < 0)
                continue;
            peer_ids_clear(&ids);
            peer_buf_clear(&err);
            (void)fn(ctx, q, o->k, &ids, &total, &err);
            done++;
        }
    }

    t_start = peer_now();
    for (i = 0; i < nq; i++) {
        peer_query *q = &qs[i];
        double t0, us;
        int rc;
        if (q->cls < 0) {
            peer_print_query_head(q);
            printf(",\"error\":");
            jsonl_write_string(stdout, q->error, strlen(q->error));
            printf(",\"line\":%ld}\n", q->lineno);
            nerr++;
            continue;
        }
        peer_ids_clear(&ids);
        peer_buf_clear(&err);
        total = -1;
        t0 = peer_now();
        rc = fn(ctx, q, o->k, &ids, &total, &err);
        us = (peer_now() - t0) * 1e6;
        peer_print_query_head(q);
        if (rc != 0) {
            printf(",\"error\":");
            jsonl_write_string(stdout, err.s, err.len);
            printf(",\"line\":%ld}\n", q->lineno);
            nerr++;
            continue;
        }
        lat[q->cls][nlat[q->cls]++] = us;
        all[nall++] = us;
        printf(",\"us\":%.1f,\"total\":%lld,\"ids\":[", us, total);
        {
            size_t j;
            for (j = 0; j < ids.n; j++) {
                const char *s = ids.buf.s + ids.off[j];
                if (j)
                    putchar(',');
                jsonl_write_string(stdout, s, strlen(s));
            }
        }
        printf("]}\n");
    }
    wall = peer_now() - t_start;

    printf("{\"summary\":true,\"engine\":\"%s\",\"k\":%d,\"warmup\":%d,\"queries\":%zu,"
           "\"ok\":%zu,\"errors\":%zu,\"wall_s\":%.3f,\"classes\":{",
           engine, o->k, o->warmup, nq, nall, nerr, wall);
    {
        int first = 1;
        for (c = 0; c < PQ_NCLASS; c++) {
            if (!nlat[c])
                continue;
            if (!first)
                putchar(',');
            first = 0;
            peer_print_stats(peer_class_names[c], lat[c], nlat[c]);
        }
    }
    printf("}");
    if (nall) {
        putchar(',');
        peer_print_stats("all", all, nall);
    }
    printf("}\n");

    for (c = 0; c < PQ_NCLASS; c++)
        free(lat[c]);
    free(all);
    peer_buf_free(&ids.buf);
    free(ids.off);
    peer_buf_free(&err);
    return fflush(stdout) == 0 ? 0 : 1;
}

PEER_FN void peer_free_queries(peer_query *qs, size_t nq)
{
    size_t i;
    int j;
    for (i = 0; i < nq; i++) {
        for (j = 0; j < qs[i].nwords; j++)
            free(qs[i].words[j]);
        free(qs[i].words);
        free(qs[i].cls_name);
        free(qs[i].text);
        free(qs[i].eq);
        free(qs[i].error);
    }
    free(qs);
}

#endif /* PEERS_COMMON_H */
