/*
 * test_index.c - the index through its public API, checked against a
 * brute-force model: adds, replaces, deletes, commits, rollbacks,
 * snapshots and reopen, merges (the merged index holds exactly what the
 * unmerged one held, with the same statistics), the writer lock, a full
 * disk, flipped bytes and truncated files, crash recovery, and a writer
 * killed with SIGKILL at random moments.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "index/format.h"
#include "index/memseg.h"
#include "index/pairs.h"
#include "index/pipeline.h"
#include "index/termdict.h"
#include "index/reader.h"
#include "index/segment.h"
#include "libsearch.h"
#include "test.h"
#include "util/file.h"

static char root[PATH_MAX];
static int counter;

static int init(void)
{
    snprintf(root, sizeof root, "/tmp/ls-index-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int clean(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* A fresh index directory path (not created). */
static const char *new_dir(void)
{
    static char buf[PATH_MAX + 32];
    snprintf(buf, sizeof buf, "%s/ix%d", root, counter++);
    return buf;
}

/* ---------------------------------------------------------------- model */

#define MAXDOCS 400

typedef struct mdoc {
    char id[32];
    char title[64];
    char text[2048];
    int live;
} mdoc;

typedef struct model {
    mdoc d[MAXDOCS];
    int n;
} model;

static const char *words[] = {
    "migration", "migrations", "Équateur", "equateur", "l'Organisation", "forum", "sous-forum",
    "gouvernance", "mondiale", "de", "la", "le", "les", "politique", "ouverte", "Chine", "œuvre",
    "vidéo", "message", "directrice", "générale", "2024", "aujourd'hui", "État", "etat", "qu'il",
};

static void random_text(unsigned long long *st, char *out, size_t cap)
{
    size_t len = 0;
    int paras = 1 + (int)(test_rand(st) % 3);
    out[0] = '\0';
    for (int p = 0; p < paras; p++) {
        int n = (int)(test_rand(st) % 25);
        for (int w = 0; w < n && len + 40 < cap; w++)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", w ? " " : "",
                                    words[test_rand(st) % (sizeof words / sizeof words[0])]);
        if (p + 1 < paras && len + 4 < cap)
            len += (size_t)snprintf(out + len, cap - len, "\n\n");
    }
}

static int add_doc(srch_index *ix, model *m, int k, unsigned long long *st)
{
    mdoc *d = &m->d[k];
    snprintf(d->id, sizeof d->id, "doc-%d", k);
    snprintf(d->title, sizeof d->title, "%s %d", words[test_rand(st) % 5], k % 7);
    random_text(st, d->text, sizeof d->text);
    srch_document doc = SRCH_DOCUMENT_INIT;
    doc.id = d->id;
    doc.title = d->title;
    doc.text = d->text;
    doc.text_len = strlen(d->text);
    int rc = srch_index_add(ix, &doc);
    if (rc == SRCH_OK)
        d->live = 1;
    if (k >= m->n)
        m->n = k + 1;
    return rc;
}

static int quiet;   /* reader_matches() without messages */

/* The reader holds exactly the model's live documents, with their text. */
static int reader_matches(srch_reader *r, const model *m)
{
    srch_index_stats st;
    srch_reader_stats(r, &st);
    uint64_t live = 0;
    int ok = 1;
    for (int k = 0; k < m->n; k++) {
        const mdoc *d = &m->d[k];
        char id[32];
        snprintf(id, sizeof id, "doc-%d", k);
        srch_document_view *v = NULL;
        int rc = srch_reader_document(r, id, &v);
        if (d->live) {
            live++;
            if (rc != SRCH_OK || strcmp(v->text, d->text) != 0 || strcmp(v->title, d->title) != 0) {
                if (ok && !quiet)
                    fprintf(stderr, "  %s: rc %d, text differs\n", id, rc);
                ok = 0;
            }
        } else if (rc != SRCH_ENOTFOUND) {
            if (ok && !quiet)
                fprintf(stderr, "  %s: deleted but found (rc %d)\n", id, rc);
            ok = 0;
        }
        srch_document_view_free(v);
    }
    if (st.documents != live) {
        if (!quiet)
            fprintf(stderr, "  %llu documents, model has %llu\n", (unsigned long long)st.documents,
                (unsigned long long)live);
        ok = 0;
    }
    return ok;
}

/* ---------------------------------------------------------------- dumps */

/* Everything a query can see, in a canonical order: per term key, the live
 * entries as (document id, passage number, freq, positions). */
typedef struct dump {
    char *buf;
    size_t len, cap;
    size_t nlines;
    char **lines;
} dump;

static void dump_line(dump *d, const char *s)
{
    size_t n = strlen(s) + 1;
    if (d->len + n > d->cap) {
        d->cap = (d->len + n) * 2 + 4096;
        d->buf = realloc(d->buf, d->cap);
    }
    memcpy(d->buf + d->len, s, n);
    d->len += n;
    d->nlines++;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump_reader(srch_reader *r, dump *d)
{
    memset(d, 0, sizeof *d);
    char line[8192];
    for (size_t s = 0; s < r->nsegs; s++) {
        const ls_rseg *rs = &r->segs[s];
        ls_term_iter it;
        ls_term_iter_seek(&it, &rs->seg->td, (const unsigned char *)"", 0);
        while (ls_term_iter_next(&it) == 1) {
            if (it.key[0] == LS_FIELD_ID)
                continue;
            ls_postings p;
            CU_ASSERT_EQUAL_FATAL(ls_segment_postings(rs->seg, it.key, &it.ti, &p, NULL), 0);
            for (uint32_t doc = ls_postings_next(&p); doc != LS_NO_DOC; doc = ls_postings_next(&p)) {
                if (ls_deleted(rs->del, doc))
                    continue;
                char id[SRCH_MAX_ID_BYTES + 1];
                size_t id_len;
                uint32_t number;
                CU_ASSERT_EQUAL_FATAL(ls_store_id(&rs->seg->store, doc, id, sizeof id, &id_len, &number), 0);
                int n = snprintf(line, sizeof line, "%.*s %s/%u f%u len%u:", (int)it.klen, it.key, id,
                                 number, ls_postings_freq(&p),
                                 ls_segment_norm(rs->seg, doc, it.key[0] == LS_FIELD_TITLE));
                if (ls_field_has_positions(it.key[0])) {
                    uint32_t pos[512];
                    int k = ls_postings_positions(&p, pos, 512);
                    for (int i = 0; i < k && n < (int)sizeof line - 16; i++)
                        n += snprintf(line + n, sizeof line - (size_t)n, " %u", pos[i]);
                }
                dump_line(d, line);
            }
        }
    }
    d->lines = malloc((d->nlines + 1) * sizeof *d->lines);
    size_t off = 0;
    for (size_t i = 0; i < d->nlines; i++) {
        d->lines[i] = d->buf + off;
        off += strlen(d->buf + off) + 1;
    }
    qsort(d->lines, d->nlines, sizeof *d->lines, cmp_lines);
}

static void dump_free(dump *d)
{
    free(d->buf);
    free(d->lines);
}

static int dumps_equal(const dump *a, const dump *b)
{
    if (a->nlines != b->nlines) {
        fprintf(stderr, "  dumps: %zu vs %zu lines\n", a->nlines, b->nlines);
        return 0;
    }
    for (size_t i = 0; i < a->nlines; i++)
        if (strcmp(a->lines[i], b->lines[i]) != 0) {
            fprintf(stderr, "  dumps differ: %s | %s\n", a->lines[i], b->lines[i]);
            return 0;
        }
    return 1;
}

/* Brute-force statistics from the model: df of a body term, body length
 * sum and live passage count, by analyzing the live documents' passages. */
typedef struct bf_ctx {
    const char *term;
    int hit;
    uint64_t tokens;
} bf_ctx;

static int bf_cb(void *ctx, const srch_token *t)
{
    bf_ctx *c = ctx;
    c->tokens++;
    if (strcmp(t->term, c->term) == 0)
        c->hit = 1;
    return 0;
}

static void brute_stats(const model *m, const char *term, uint64_t *df, uint64_t *len_sum,
                        uint64_t *passages)
{
    srch_analyzer *a;
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&a, NULL), 0);
    *df = *len_sum = *passages = 0;
    for (int k = 0; k < m->n; k++) {
        if (!m->d[k].live)
            continue;
        /* paragraphs split on blank lines, as the index does */
        const char *t = m->d[k].text;
        int any = 0;
        for (;;) {
            const char *e = strstr(t, "\n\n");
            size_t n = e ? (size_t)(e - t) : strlen(t);
            bf_ctx c = {.term = term};
            srch_analyze(a, t, n, bf_cb, &c);
            int blank = 1;
            for (size_t i = 0; i < n; i++)
                if (t[i] != ' ' && t[i] != '\n')
                    blank = 0;
            if (!blank) {
                (*passages)++;
                any = 1;
                *df += (uint64_t)c.hit;
                *len_sum += c.tokens;
            }
            if (!e)
                break;
            t = e + 2;
        }
        if (!any)
            (*passages)++;   /* an empty body is one empty passage */
    }
    srch_analyzer_free(a);
}

static void check_stats(srch_reader *r, const model *m)
{
    static const char *terms[] = {"migrat", "equateur", "de", "forum", "etat"};
    for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++) {
        uint64_t df, len_sum, passages, got;
        brute_stats(m, terms[i], &df, &len_sum, &passages);
        unsigned char key[64];
        key[0] = LS_FIELD_BODY;
        memcpy(key + 1, terms[i], strlen(terms[i]));
        CU_ASSERT_EQUAL(ls_reader_df(r, key, strlen(terms[i]) + 1, &got, NULL), 0);
        CU_ASSERT_EQUAL(got, df);
        CU_ASSERT_EQUAL(r->live_passages, passages);
        CU_ASSERT_EQUAL(r->live_len[LS_NORM_BODY], len_sum);
    }
}

/* ---------------------------------------------------------------- tests */

static void test_index_basic__add_commit_read(void)
{
    const char *dir = new_dir();
    srch_index *ix;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, NULL), 0);
    CU_ASSERT_STRING_EQUAL(srch_index_language(ix), "french");
    srch_field fields[2] = {{"url", "http://x", 8}, {"bin", "a\0b", 3}};
    srch_document d = SRCH_DOCUMENT_INIT;
    d.id = "seed";
    d.title = "Forum";
    d.text = "  Premier paragraphe.\n\n\n  Second paragraphe,\ntoujours.\n\n";
    d.text_len = strlen(d.text);
    d.fields = fields;
    d.nfields = 2;
    CU_ASSERT_EQUAL(srch_index_add(ix, &d), 0);
    /* nothing visible before commit */
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    srch_index_stats st;
    srch_reader_stats(r, &st);
    CU_ASSERT_EQUAL(st.documents, 0);
    srch_reader_close(r);
    CU_ASSERT_EQUAL(srch_index_commit(ix), 0);
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    srch_reader_stats(r, &st);
    CU_ASSERT_EQUAL(st.documents, 1);
    CU_ASSERT_EQUAL(st.passages, 2);
    CU_ASSERT_EQUAL(st.segments, 1);
    srch_document_view *v;
    CU_ASSERT_EQUAL_FATAL(srch_reader_document(r, "seed", &v), 0);
    CU_ASSERT_EQUAL(v->text_len, d.text_len);
    CU_ASSERT_EQUAL(memcmp(v->text, d.text, d.text_len), 0);   /* body rebuilt exactly */
    CU_ASSERT_STRING_EQUAL(v->title, "Forum");
    CU_ASSERT_EQUAL(v->passages, 2);
    CU_ASSERT_EQUAL_FATAL(v->nfields, 2);
    CU_ASSERT_STRING_EQUAL(v->fields[0].name, "url");
    CU_ASSERT_EQUAL(v->fields[1].value_len, 3);
    CU_ASSERT_EQUAL(memcmp(v->fields[1].value, "a\0b", 3), 0);
    srch_document_view_free(v);
    CU_ASSERT_EQUAL(srch_reader_document(r, "nope", &v), SRCH_ENOTFOUND);
    /* passages know their byte ranges */
    ls_buf raw = {0};
    ls_passage_rec pr;
    CU_ASSERT_EQUAL(ls_store_passage(&r->segs[0].seg->store, 1, &raw, &pr, NULL), 0);
    CU_ASSERT_EQUAL(pr.start, 26);
    CU_ASSERT_EQUAL(memcmp(d.text + pr.start, "Second paragraphe,\ntoujours.", pr.end - pr.start), 0);
    ls_buf_free(&raw);
    srch_reader_close(r);
    /* invalid documents change nothing */
    d.id = "";
    CU_ASSERT_EQUAL(srch_index_add(ix, &d), SRCH_EINVAL);
    d.id = NULL;
    CU_ASSERT_EQUAL(srch_index_add(ix, &d), SRCH_EINVAL);
    char longid[SRCH_MAX_ID_BYTES + 2];
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    d.id = longid;
    CU_ASSERT_EQUAL(srch_index_add(ix, &d), SRCH_EINVAL);
    d.id = "x";
    d.version = 0;
    CU_ASSERT_EQUAL(srch_index_add(ix, &d), SRCH_EINVAL);
    CU_ASSERT_EQUAL(srch_index_delete(ix, "nope"), SRCH_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(srch_index_errmsg(ix), "nope"));
    srch_index_close(ix);
    CU_ASSERT_EQUAL(srch_index_check(dir), 0);
}

static void test_index_basic__empty_body_and_options(void)
{
    const char *dir = new_dir();
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.create = 0;
    CU_ASSERT_EQUAL(srch_index_open(&ix, dir, &o), SRCH_ENOTFOUND);
    o.create = 1;
    o.language = "klingon";
    CU_ASSERT_EQUAL(srch_index_open(&ix, dir, &o), SRCH_ENOTFOUND);
    o.language = "english";
    o.version = 77;
    CU_ASSERT_EQUAL(srch_index_open(&ix, dir, &o), SRCH_EINVAL);
    o.version = SRCH_INDEX_OPTIONS_VERSION;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    CU_ASSERT_STRING_EQUAL(srch_index_language(ix), "english");
    srch_document d = SRCH_DOCUMENT_INIT;
    d.id = "empty";
    d.title = "only a title";
    CU_ASSERT_EQUAL(srch_index_add(ix, &d), 0);
    CU_ASSERT_EQUAL(srch_index_commit(ix), 0);
    srch_index_close(ix);
    /* the language stays with the index */
    o.language = "french";
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    CU_ASSERT_STRING_EQUAL(srch_index_language(ix), "english");
    srch_index_close(ix);
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    srch_document_view *v;
    CU_ASSERT_EQUAL_FATAL(srch_reader_document(r, "empty", &v), 0);
    CU_ASSERT_EQUAL(v->text_len, 0);
    CU_ASSERT_EQUAL(v->passages, 1);
    srch_document_view_free(v);
    srch_reader_close(r);
    /* a non-empty directory that is not an index is refused */
    char other[PATH_MAX + 32], file[PATH_MAX + 64];
    snprintf(other, sizeof other, "%s", new_dir());
    mkdir(other, 0755);
    snprintf(file, sizeof file, "%s/notes.txt", other);
    FILE *f = fopen(file, "w");
    fputs("mine", f);
    fclose(f);
    CU_ASSERT_EQUAL(srch_index_open(&ix, other, NULL), SRCH_EINVAL);
    CU_ASSERT_EQUAL(srch_reader_open(&r, other), SRCH_ENOTFOUND);
    CU_ASSERT_EQUAL(access(file, F_OK), 0);
}

/* Random operations over several commits with a tiny RAM budget (many
 * segments), checked against the model after every commit; then a forced
 * merge must change nothing a reader can see. */
static void model_random_operations_then_merge(int threads)
{
    unsigned long long st = test_seed();
    const char *dir = new_dir();
    model *m = calloc(1, sizeof *m);
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.ram_budget = 700 * 1024;   /* flush every few dozen documents */
    o.auto_merge = 0;
    o.durable = 0;
    o.threads = threads;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    for (int round = 0; round < 8; round++) {
        for (int op = 0; op < 60; op++) {
            int k = (int)(test_rand(&st) % 150);
            if (test_rand(&st) % 4 == 0) {
                int rc = srch_index_delete(ix, m->d[k].id[0] ? m->d[k].id : "doc-none");
                CU_ASSERT_EQUAL(rc, m->d[k].live ? SRCH_OK : SRCH_ENOTFOUND);
                m->d[k].live = 0;
            } else {
                CU_ASSERT_EQUAL(add_doc(ix, m, k, &st), 0);
            }
        }
        if (round == 5) {
            /* changes that are rolled back: the model returns to the last
             * commit */
            CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
            model *saved = malloc(sizeof *saved);
            memcpy(saved, m, sizeof *m);
            for (int op = 0; op < 30; op++)
                add_doc(ix, m, (int)(test_rand(&st) % 200), &st);
            srch_index_delete(ix, "doc-3");
            CU_ASSERT_EQUAL(srch_index_rollback(ix), 0);
            memcpy(m, saved, sizeof *m);
            free(saved);
        }
        CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
        srch_reader *r;
        CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
        CU_ASSERT(reader_matches(r, m));
        check_stats(r, m);
        srch_reader_close(r);
    }
    srch_reader *before;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&before, dir), 0);
    CU_ASSERT(before->nsegs > 3);
    CU_ASSERT(before->deleted > 0);
    dump a, b;
    dump_reader(before, &a);
    CU_ASSERT_EQUAL(srch_index_merge(ix, 1), 0);
    srch_reader *after;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&after, dir), 0);
    CU_ASSERT_EQUAL(after->nsegs, 1);
    CU_ASSERT_EQUAL(after->deleted, 0);
    dump_reader(after, &b);
    CU_ASSERT(dumps_equal(&a, &b));
    CU_ASSERT_EQUAL(after->live_passages, before->live_passages);
    CU_ASSERT_EQUAL(after->live_docs, before->live_docs);
    CU_ASSERT_EQUAL(after->live_len[0], before->live_len[0]);
    CU_ASSERT_EQUAL(after->live_len[1], before->live_len[1]);
    CU_ASSERT(reader_matches(after, m));
    check_stats(after, m);
    /* the old snapshot still reads although its files are gone */
    CU_ASSERT(reader_matches(before, m));
    dump_free(&a);
    dump_free(&b);
    srch_reader_close(before);
    srch_reader_close(after);
    /* partial merge: --max-segments 2 after more segments */
    for (int k = 0; k < 40; k++) {
        add_doc(ix, m, 200 + k, &st);
        if (k % 10 == 9)
            srch_index_commit(ix);
    }
    CU_ASSERT_EQUAL(srch_index_merge(ix, 2), 0);
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&after, dir), 0);
    CU_ASSERT_EQUAL(after->nsegs, 2);
    CU_ASSERT(reader_matches(after, m));
    srch_reader_close(after);
    srch_index_close(ix);
    CU_ASSERT_EQUAL(srch_index_check(dir), 0);
    free(m);
}

/* Long lists over several segments, one of them with deletions: the merge
 * copies the blocks of the others as they are (short blocks made before
 * them), and a reader sees exactly what it saw before the merge. */
static void test_index_merge__blocks_copied_read_the_same(void)
{
    unsigned long long st = test_seed();
    const char *dir = new_dir();
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.ram_budget = 512 * 1024;
    o.auto_merge = 0;
    o.durable = 0;
    o.threads = 1;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    static const char *voc[] = {"le", "chat", "noir", "dort", "sur", "la", "table", "de",
                                "bois", "et", "un", "chien", "blanc", "court", "vers", "maison"};
    char id[32], text[512];
    for (int k = 0; k < 6000; k++) {
        size_t len = 0;
        for (int w = 0; w < 14; w++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", w ? " " : "",
                                    voc[test_rand(&st) % 16]);
        snprintf(id, sizeof id, "d%d", k);
        srch_document d = {SRCH_DOCUMENT_VERSION, id, NULL, text, len, NULL, 0};
        CU_ASSERT_EQUAL_FATAL(srch_index_add(ix, &d), 0);
    }
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    for (int k = 2000; k < 2600; k += 7) {   /* deletions, in one segment or two */
        snprintf(id, sizeof id, "d%d", k);
        CU_ASSERT_EQUAL(srch_index_delete(ix, id), 0);
    }
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    srch_reader *before, *after;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&before, dir), 0);
    CU_ASSERT(before->nsegs >= 3);
    dump a, b;
    dump_reader(before, &a);
    CU_ASSERT_EQUAL(srch_index_merge(ix, 1), 0);
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&after, dir), 0);
    CU_ASSERT_EQUAL_FATAL(after->nsegs, 1);
    dump_reader(after, &b);
    CU_ASSERT(dumps_equal(&a, &b));
    /* the long lists hold short blocks: blocks were copied */
    const ls_segment *seg = after->segs[0].seg;
    ls_term_iter it;
    int short_lists = 0;
    ls_term_iter_seek(&it, &seg->td, (const unsigned char *)"", 0);
    while (ls_term_iter_next(&it) == 1) {
        ls_postings p;
        CU_ASSERT_EQUAL_FATAL(ls_segment_postings(seg, it.key, &it.ti, &p, NULL), 0);
        short_lists += p.df >= 2 && p.nfull * LS_BLOCK + p.ntail != p.df;
    }
    CU_ASSERT(short_lists > 5);
    dump_free(&a);
    dump_free(&b);
    srch_reader_close(before);
    srch_reader_close(after);
    srch_index_close(ix);
    CU_ASSERT_EQUAL(srch_index_check(dir), 0);
}

/* All analysis in the calling thread. */
static void test_index_model__random_operations_then_merge(void)
{
    model_random_operations_then_merge(1);
}

/* The same with the background analysis thread (index/pipeline.c): adds
 * queue, deletes and commits drain, the rollback discards the queue. */
static void test_index_model__random_operations_pipelined(void)
{
    model_random_operations_then_merge(2);
}

/* Replacing ids spread over many segments: the writer-wide id filter
 * (index/idfilter.c) is built, grows past its capacity and is rebuilt on
 * the way, and never hides an id. */
static void test_index_ids__replace_across_many_segments(void)
{
    unsigned long long st = test_seed();
    const char *dir = new_dir();
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.ram_budget = 128 * 1024;
    o.auto_merge = 0;
    o.durable = 0;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    enum { N = 20000 };
    char id[32], text[64];
    for (int k = 0; k < N; k++) {
        snprintf(id, sizeof id, "d%d", k);
        snprintf(text, sizeof text, "premier texte du document %d", k);
        srch_document d = {SRCH_DOCUMENT_VERSION, id, NULL, text, strlen(text), NULL, 0};
        CU_ASSERT_EQUAL_FATAL(srch_index_add(ix, &d), 0);
        if (k == 2000)   /* the filter is built after the first flush, sized for
                            the ids then, and rebuilt larger twice later */
            CU_ASSERT_EQUAL(srch_index_delete(ix, "absent"), SRCH_ENOTFOUND);
    }
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    static unsigned char replaced[N];
    int nrep = 0;
    for (int r = 0; r < 300; r++) {
        int k = (int)(test_rand(&st) % N);
        snprintf(id, sizeof id, "d%d", k);
        snprintf(text, sizeof text, "second texte remplacé %d", k);
        srch_document d = {SRCH_DOCUMENT_VERSION, id, NULL, text, strlen(text), NULL, 0};
        CU_ASSERT_EQUAL(srch_index_add(ix, &d), 0);
        nrep += !replaced[k];
        replaced[k] = 1;
    }
    CU_ASSERT_EQUAL(srch_index_delete(ix, "d-none"), SRCH_ENOTFOUND);
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    CU_ASSERT(r->nsegs > 10);
    CU_ASSERT_EQUAL(r->live_docs, N);
    CU_ASSERT_EQUAL(r->live_passages, N);
    /* each replacement deleted one passage (a committed one, or for an id
     * replaced twice, one still in memory) */
    CU_ASSERT_EQUAL(r->deleted, 300);
    CU_ASSERT(nrep > 250);
    srch_reader_close(r);
    srch_index_close(ix);
}

static void test_index_policy__auto_merge_keeps_segments_few(void)
{
    unsigned long long st = test_seed();
    const char *dir = new_dir();
    model *m = calloc(1, sizeof *m);
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.durable = 0;
    o.segments_per_tier = 3;
    o.max_merge_at_once = 3;
    o.floor_segment_bytes = 1024;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    size_t max_segs = 0;
    for (int c = 0; c < 60; c++) {
        add_doc(ix, m, c % MAXDOCS, &st);
        CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
        srch_reader *r;
        CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
        if (r->nsegs > max_segs)
            max_segs = r->nsegs;
        srch_reader_close(r);
    }
    /* 60 commits of one document each: logarithmic, not 60 */
    CU_ASSERT(max_segs <= 12);
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    CU_ASSERT(reader_matches(r, m));
    srch_reader_close(r);
    srch_index_close(ix);
    free(m);
}

static void test_index_snapshot__reader_isolation_and_reopen(void)
{
    unsigned long long st = test_seed();
    const char *dir = new_dir();
    model *m = calloc(1, sizeof *m);
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.auto_merge = 0;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    for (int k = 0; k < 20; k++)
        add_doc(ix, m, k, &st);
    CU_ASSERT_EQUAL(srch_index_commit(ix), 0);
    srch_reader *r1, *r2, *r3;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r1, dir), 0);
    /* preloading maps pages and changes nothing else; readers reopened
     * from a preloaded one preload their new segments */
    CU_ASSERT_EQUAL(srch_reader_preload(NULL), SRCH_EINVAL);
    CU_ASSERT_EQUAL(srch_reader_preload(r1), 0);
    model *m1 = malloc(sizeof *m1);
    memcpy(m1, m, sizeof *m);
    /* nothing new: reopen gives the same snapshot */
    CU_ASSERT_EQUAL_FATAL(srch_reader_reopen(&r2, r1), 0);
    CU_ASSERT_PTR_EQUAL(r2, r1);
    srch_reader_close(r2);
    for (int k = 20; k < 30; k++)
        add_doc(ix, m, k, &st);
    CU_ASSERT_EQUAL(srch_index_delete(ix, "doc-4"), 0);
    m->d[4].live = 0;
    CU_ASSERT_EQUAL(srch_index_commit(ix), 0);
    CU_ASSERT(reader_matches(r1, m1));   /* the old snapshot */
    CU_ASSERT_EQUAL_FATAL(srch_reader_reopen(&r3, r1), 0);
    CU_ASSERT_PTR_NOT_EQUAL(r3, r1);
    CU_ASSERT_EQUAL(atomic_load(&r3->preload), 1);
    CU_ASSERT(reader_matches(r3, m));
    /* the unchanged segment is shared */
    CU_ASSERT_PTR_EQUAL(r3->segs[0].seg, r1->segs[0].seg);
    CU_ASSERT_EQUAL(srch_index_merge(ix, 1), 0);
    CU_ASSERT(reader_matches(r1, m1));
    CU_ASSERT(reader_matches(r3, m));
    srch_reader_close(r1);
    srch_reader_close(r3);
    srch_index_close(ix);
    free(m);
    free(m1);
}

typedef struct thread_arg {
    srch_reader *r;
    const model *m;
    int ok;
} thread_arg;

static void *reader_thread(void *p)
{
    thread_arg *a = p;
    a->ok = 1;
    for (int rep = 0; rep < 20 && a->ok; rep++)
        a->ok = reader_matches(a->r, a->m);
    return NULL;
}

static void test_index_snapshot__threads_share_a_reader(void)
{
    unsigned long long st = test_seed();
    const char *dir = new_dir();
    model *m = calloc(1, sizeof *m);
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.ram_budget = 32 * 1024;
    o.auto_merge = 0;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    for (int k = 0; k < 60; k++)
        add_doc(ix, m, k, &st);
    srch_index_delete(ix, "doc-7");
    m->d[7].live = 0;
    CU_ASSERT_EQUAL(srch_index_commit(ix), 0);
    srch_index_close(ix);
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    pthread_t t[4];
    thread_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i].r = r;
        a[i].m = m;
        pthread_create(&t[i], NULL, reader_thread, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT(a[i].ok);
    }
    srch_reader_close(r);
    free(m);
}

static void test_index_lock__second_writer_refused(void)
{
    const char *dir = new_dir();
    srch_index *a, *b = (srch_index *)1;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&a, dir, NULL), 0);
    CU_ASSERT_EQUAL(srch_index_open(&b, dir, NULL), SRCH_ELOCKED);
    CU_ASSERT_PTR_NULL(b);
    CU_ASSERT_PTR_NOT_NULL(strstr(srch_errmsg(), "locked by another writer"));
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    CU_ASSERT_PTR_NOT_NULL(strstr(srch_errmsg(), pid));
    /* from another process too */
    pid_t child = fork();
    if (child == 0) {
        srch_index *c;
        _exit(srch_index_open(&c, dir, NULL) == SRCH_ELOCKED ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    srch_index_close(a);
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&b, dir, NULL), 0);   /* released */
    srch_index_close(b);
}

static void test_index_recovery__leftovers_removed(void)
{
    const char *dir = new_dir();
    srch_index *ix;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, NULL), 0);
    srch_index_close(ix);
    static const char *junk[] = {"s00000099.ter", "s00000099.doc", "s00000001_7.del",
                                 "MANIFEST-00000000000000ff.tmp", "MANIFEST-0000000000000000"};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        FILE *f = fopen(ls_path(path, dir, junk[i]), "w");
        fputs("leftover", f);
        fclose(f);
    }
    FILE *f = fopen(ls_path(path, dir, "README.mine"), "w");
    fputs("user file", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, NULL), 0);
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        CU_ASSERT_EQUAL(access(ls_path(path, dir, junk[i]), F_OK), -1);
    CU_ASSERT_EQUAL(access(ls_path(path, dir, "README.mine"), F_OK), 0);
    srch_index_close(ix);
}

static void test_index_faults__full_disk_keeps_last_commit(void)
{
    unsigned long long st = test_seed();
    const char *dir = new_dir();
    model *m = calloc(1, sizeof *m);
    srch_index *ix;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, NULL), 0);
    for (int k = 0; k < 30; k++)
        add_doc(ix, m, k, &st);
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    model *committed = malloc(sizeof *committed);
    memcpy(committed, m, sizeof *m);
    int failures = 0;
    for (long n = 1; n < 60; n++) {
        for (int k = 30; k < 40; k++)
            add_doc(ix, m, k, &st);
        srch_index_delete(ix, "doc-1");
        m->d[1].live = 0;
        ls_io_fail_after(n, ENOSPC);
        int rc = srch_index_commit(ix);
        ls_io_fail_after(0, 0);
        int late = rc != SRCH_OK && strstr(srch_index_errmsg(ix), "visible but may not");
        srch_reader *r;
        int orc = srch_reader_open(&r, dir);
        if (orc != SRCH_OK)
            fprintf(stderr, "  after a failed write #%ld (commit: %s): %s\n", n,
                    srch_index_errmsg(ix), srch_errmsg());
        CU_ASSERT_EQUAL_FATAL(orc, 0);
        if (rc == SRCH_OK || late) {
            /* done, or failed after the commit point (an fsync of the
             * directory): the commit is visible */
            CU_ASSERT(reader_matches(r, m));
            memcpy(committed, m, sizeof *m);
            failures += late;
        } else {
            failures++;
            CU_ASSERT_EQUAL(rc, SRCH_ENOSPC);
            CU_ASSERT_PTR_NOT_NULL(strstr(srch_index_errmsg(ix), "No space left"));
            CU_ASSERT(reader_matches(r, committed));   /* the last commit is intact */
            /* the pending changes stay: a retry commits them */
            CU_ASSERT_EQUAL(srch_index_commit(ix), 0);
            srch_reader_close(r);
            CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
            CU_ASSERT(reader_matches(r, m));
            memcpy(committed, m, sizeof *m);
        }
        srch_reader_close(r);
    }
    CU_ASSERT(failures > 5);
    srch_index_close(ix);
    CU_ASSERT_EQUAL(srch_index_check(dir), 0);
    free(m);
    free(committed);
}

/* A full disk while documents are added to a pipelined writer whose memsegs
 * are flushed in the background: the flush that fails keeps its documents
 * (an add or the commit reports the error), and once there is room again a
 * commit writes every document added, in order (a replaced one stays
 * replaced), and the last commit was intact meanwhile. */
static void test_index_faults__full_disk_during_background_flushes(void)
{
    unsigned long long st = test_seed();
    const char *dir = new_dir();
    model *m = calloc(1, sizeof *m);
    model *committed = malloc(sizeof *committed);
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.ram_budget = 256 * 1024;   /* a flush every hundred documents or so */
    o.threads = 2;
    o.auto_merge = 0;
    o.durable = 0;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    for (int k = 0; k < 40; k++)
        add_doc(ix, m, k, &st);
    CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);
    memcpy(committed, m, sizeof *m);
    int failures = 0;
    int bg_failures = 0;
    for (long n = 1; n < 100; n += 11) {
        ls_io_fail_from(n, ENOSPC);   /* the disk is full from the n-th write on */
        int failed = 0;
        for (int j = 0; j < 1500; j++) {   /* batches consumed on the way */
            int k = (int)(test_rand(&st) % 190);
            /* an error here is an earlier flush's: the document is in */
            if (add_doc(ix, m, k, &st) != SRCH_OK)
                failed = bg_failures = 1;
            m->d[k].live = 1;
        }
        int rc = srch_index_commit(ix);
        ls_io_fail_after(0, 0);
        srch_reader *r;
        if (rc != SRCH_OK) {
            failed = 1;
            CU_ASSERT_EQUAL(rc, SRCH_ENOSPC);
            CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
            CU_ASSERT(reader_matches(r, committed));   /* the last commit is intact */
            srch_reader_close(r);
            CU_ASSERT_EQUAL(srch_index_commit(ix), 0);   /* room again: everything goes */
        }
        failures += failed;
        CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
        CU_ASSERT(reader_matches(r, m));
        srch_reader_close(r);
        memcpy(committed, m, sizeof *m);
    }
    CU_ASSERT(failures > 5);
    CU_ASSERT(bg_failures);   /* some failed while documents were added */
    srch_index_close(ix);
    CU_ASSERT_EQUAL(srch_index_check(dir), 0);
    free(m);
    free(committed);
}

/* Flip bytes of every file of a small index: opening or checking reports
 * SRCH_ECORRUPT (or SRCH_EVERSION), never crashes, never succeeds. */
static void test_index_faults__flipped_bytes_detected(void)
{
    unsigned long long st = test_seed();
    const char *dir = new_dir();
    model *m = calloc(1, sizeof *m);
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.durable = 0;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    for (int k = 0; k < 12; k++)
        add_doc(ix, m, k, &st);
    CU_ASSERT_EQUAL(srch_index_commit(ix), 0);
    srch_index_delete(ix, "doc-2");
    CU_ASSERT_EQUAL(srch_index_commit(ix), 0);
    srch_index_close(ix);
    char **names;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(ls_list_dir(dir, &names, &n, NULL), 0);
    int flips = 0, undetected = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "LOCK") == 0)
            continue;
        char path[PATH_MAX];
        ls_path(path, dir, names[i]);
        int64_t size = ls_file_size(path);
        int fd = open(path, O_RDWR);
        CU_ASSERT_FATAL(fd >= 0);
        for (int64_t off = 0; off < size; off += 1 + (int64_t)(test_rand(&st) % 7)) {
            unsigned char c, x;
            CU_ASSERT_EQUAL_FATAL(pread(fd, &c, 1, off), 1);
            x = c ^ (unsigned char)(1u << (test_rand(&st) % 8));
            CU_ASSERT_EQUAL_FATAL(pwrite(fd, &x, 1, off), 1);
            srch_reader *r = NULL;
            int rc = srch_reader_open(&r, dir);
            int rc2 = srch_index_check(dir);
            flips++;
            if (rc == SRCH_OK || rc2 == SRCH_OK) {
                undetected++;
                if (undetected < 5)
                    fprintf(stderr, "  undetected flip: %s offset %lld (%d/%d)\n", names[i],
                            (long long)off, rc, rc2);
            } else {
                CU_ASSERT(rc == SRCH_ECORRUPT || rc == SRCH_EVERSION);
                CU_ASSERT(rc2 == SRCH_ECORRUPT || rc2 == SRCH_EVERSION);
                CU_ASSERT(strlen(srch_errmsg()) > 0);
            }
            srch_reader_close(r);
            CU_ASSERT_EQUAL_FATAL(pwrite(fd, &c, 1, off), 1);
        }
        /* truncation */
        CU_ASSERT_EQUAL(ftruncate(fd, size - 1), 0);
        srch_reader *r = NULL;
        CU_ASSERT_NOT_EQUAL(srch_reader_open(&r, dir), SRCH_OK);
        CU_ASSERT_NOT_EQUAL(srch_index_check(dir), SRCH_OK);
        srch_reader_close(r);
        /* restore the last byte */
        close(fd);
    }
    ls_free_names(names, n);
    CU_ASSERT(flips > 500);
    CU_ASSERT_EQUAL(undetected, 0);
    free(m);
}

/* A writer opens (and verifies) its committed segments with two threads:
 * a flipped byte in any one of them, whichever thread reads it, fails the
 * open with SRCH_ECORRUPT naming that segment, and the index opens again
 * once the byte is restored, with every document. */
static void test_index_faults__writer_open_verifies_every_segment(void)
{
    const char *dir = new_dir();
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.durable = 0;
    o.auto_merge = 0;
    CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
    char id[32], text[96];
    for (int k = 0; k < 50; k++) {
        snprintf(id, sizeof id, "d%d", k);
        snprintf(text, sizeof text, "le document numéro %d du segment %d", k, k / 10);
        srch_document d = {SRCH_DOCUMENT_VERSION, id, NULL, text, strlen(text), NULL, 0};
        CU_ASSERT_EQUAL_FATAL(srch_index_add(ix, &d), 0);
        if (k % 10 == 9)
            CU_ASSERT_EQUAL_FATAL(srch_index_commit(ix), 0);   /* a segment each */
    }
    srch_index_close(ix);
    for (int threads = 1; threads <= 2; threads++) {
        o.threads = threads;
        for (int seg = 1; seg <= 5; seg++) {
            char name[64], path[PATH_MAX];
            snprintf(name, sizeof name, "s%08d.doc", seg);
            ls_path(path, dir, name);
            int fd = open(path, O_RDWR);
            CU_ASSERT_FATAL(fd >= 0);
            unsigned char c, x;
            off_t off = (off_t)(ls_file_size(path) / 2);
            CU_ASSERT_EQUAL_FATAL(pread(fd, &c, 1, off), 1);
            x = c ^ 0x10;
            CU_ASSERT_EQUAL_FATAL(pwrite(fd, &x, 1, off), 1);
            ix = NULL;
            CU_ASSERT_EQUAL(srch_index_open(&ix, dir, &o), SRCH_ECORRUPT);
            CU_ASSERT_PTR_NULL(ix);
            CU_ASSERT_PTR_NOT_NULL(strstr(srch_errmsg(), name));
            CU_ASSERT_EQUAL_FATAL(pwrite(fd, &c, 1, off), 1);
            close(fd);
        }
        CU_ASSERT_EQUAL_FATAL(srch_index_open(&ix, dir, &o), 0);
        srch_index_close(ix);
    }
    srch_reader *r;
    CU_ASSERT_EQUAL_FATAL(srch_reader_open(&r, dir), 0);
    CU_ASSERT_EQUAL(r->nsegs, 5);
    CU_ASSERT_EQUAL(r->live_docs, 50);
    srch_reader_close(r);
}

/* A child process adds, deletes, commits and merges in a loop, noting each
 * completed commit; it is killed with SIGKILL at a random moment. The
 * index must then open, pass check, and hold exactly the documents of the
 * last completed commit (or of the commit in flight, if its manifest made it
 * to disk before the note did). */
static void crash_child(const char *dir, const char *note, unsigned long long seed)
{
    unsigned long long st = seed;
    model *m = calloc(1, sizeof *m);
    srch_index *ix;
    srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
    o.ram_budget = 48 * 1024;
    o.durable = 0;   /* a kill, not a power loss: the page cache survives */
    o.segments_per_tier = 2;
    o.max_merge_at_once = 3;
    if (srch_index_open(&ix, dir, &o) != SRCH_OK)
        _exit(2);
    for (int batch = 1;; batch++) {
        for (int i = 0; i < 15; i++) {
            int k = (int)(test_rand(&st) % 300);
            if (test_rand(&st) % 5 == 0) {
                srch_index_delete(ix, m->d[k].id);
                m->d[k].live = 0;
            } else {
                add_doc(ix, m, k, &st);
            }
        }
        if (batch % 7 == 0)
            srch_index_merge(ix, 1 + batch % 3);
        else if (srch_index_commit(ix) != SRCH_OK)
            _exit(3);
        /* note the batch number only once the commit is done */
        char tmp[PATH_MAX + 128];
        snprintf(tmp, sizeof tmp, "%s.tmp", note);
        FILE *f = fopen(tmp, "w");
        fprintf(f, "%d\n", batch);
        fclose(f);
        rename(tmp, note);
    }
}

/* Replay the child's operations up to `batch` into a model. */
static void replay(model *m, unsigned long long seed, int batch)
{
    unsigned long long st = seed;
    memset(m, 0, sizeof *m);
    for (int b = 1; b <= batch; b++)
        for (int i = 0; i < 15; i++) {
            int k = (int)(test_rand(&st) % 300);
            if (test_rand(&st) % 5 == 0) {
                m->d[k].live = 0;
            } else {
                mdoc *d = &m->d[k];
                snprintf(d->id, sizeof d->id, "doc-%d", k);
                snprintf(d->title, sizeof d->title, "%s %d", words[test_rand(&st) % 5], k % 7);
                random_text(&st, d->text, sizeof d->text);
                d->live = 1;
                if (k >= m->n)
                    m->n = k + 1;
            }
        }
    if (m->n < 300)
        m->n = 300;
}

static void test_index_crash__sigkill_at_random_moments(void)
{
    unsigned long long st = test_seed();
    const char *dir_s = new_dir();
    char dir[PATH_MAX + 64], note[PATH_MAX + 80];
    snprintf(dir, sizeof dir, "%s", dir_s);
    snprintf(note, sizeof note, "%s.note", dir);
    model *m = calloc(1, sizeof *m);
    int kills = 0, checked = 0;
    for (int round = 0; round < 25; round++) {
        unsigned long long seed = test_rand(&st);
        /* start from an empty index each round: the replay needs it */
        char cmd[PATH_MAX * 3];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, note);
        CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
        pid_t child = fork();
        if (child == 0)
            crash_child(dir, note, seed);
        struct timespec ts = {0, (long)(20 + test_rand(&st) % 400) * 1000000L};
        nanosleep(&ts, NULL);
        kill(child, SIGKILL);
        int status;
        waitpid(child, &status, 0);
        kills += WIFSIGNALED(status);
        int batch = 0;
        FILE *f = fopen(note, "r");
        if (f) {
            if (fscanf(f, "%d", &batch) != 1)
                batch = 0;
            fclose(f);
        }
        srch_reader *r;
        int rc = srch_reader_open(&r, dir);
        if (rc == SRCH_ENOTFOUND && batch == 0)
            continue;   /* killed before the index was created */
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_EQUAL(srch_index_check(dir), 0);
        replay(m, seed, batch);
        quiet = 1;
        int ok = reader_matches(r, m);
        quiet = 0;
        if (!ok) {   /* the next commit may have landed before the note */
            replay(m, seed, batch + 1);
            ok = reader_matches(r, m);
        }
        CU_ASSERT(ok);
        checked++;
        srch_reader_close(r);
        /* a writer opens it (cleaning up) and the result still checks */
        srch_index *ix;
        CU_ASSERT_EQUAL(srch_index_open(&ix, dir, NULL), 0);
        srch_index_close(ix);
        CU_ASSERT_EQUAL(srch_index_check(dir), 0);
    }
    CU_ASSERT(kills >= 20);
    CU_ASSERT(checked >= 15);
    free(m);
}

/* A prep that held a large document gives its buffers back once trimmed
 * (the pipeline keeps one prep per document in flight), keeps those of an
 * ordinary one, and analyzes the same way after either. */
static void test_index_prep__trim_releases_large_buffers(void)
{
    srch_analyzer *a;
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&a, NULL), SRCH_OK);
    static char big[40000];
    size_t len = 0;
    for (int i = 0; len + 32 < sizeof big; i++)
        len += (size_t)snprintf(big + len, sizeof big - len,
                                i % 20 == 19 ? "le mot%d de la page\n\n" : "le mot%d de la page ",
                                i % 700);   /* paragraphs of 20 pages: about 100 passages */
    const char *small = "un court texte";
    srch_document db = {SRCH_DOCUMENT_VERSION, "big", "Titre", big, len, NULL, 0};
    srch_document ds = {SRCH_DOCUMENT_VERSION, "small", NULL, small, strlen(small), NULL, 0};
    ls_prep p;
    memset(&p, 0, sizeof p);
    ls_err err;
    uint64_t sum[2] = {0, 0};
    size_t npend[2] = {0, 0};
    for (int round = 0; round < 2; round++) {
        CU_ASSERT_EQUAL_FATAL(ls_prep_analyze(&p, a, &db, 4096, &err), SRCH_OK);
        npend[round] = p.npend;
        for (size_t i = 0; i < p.npend; i++)
            sum[round] = sum[round] * 31 + p.pends[i].hash + p.pends[i].wlen * 7 + p.pends[i].tlen;
        CU_ASSERT(p.pend_cap > LS_PREP_KEEP_TOKENS);
        CU_ASSERT(p.nspans > LS_PREP_KEEP_SPANS);
        ls_prep_trim(&p);
        CU_ASSERT_PTR_NULL(p.pends);
        CU_ASSERT_EQUAL(p.pend_cap, 0);
        CU_ASSERT_EQUAL(p.scratch.cap, 0);
        CU_ASSERT_PTR_NULL(p.spans);
        CU_ASSERT_EQUAL(p.spans_cap, 0);
    }
    CU_ASSERT(npend[0] > 4000);
    CU_ASSERT_EQUAL(npend[0], npend[1]);
    CU_ASSERT_EQUAL(sum[0], sum[1]);
    CU_ASSERT_EQUAL_FATAL(ls_prep_analyze(&p, a, &ds, 4096, &err), SRCH_OK);
    CU_ASSERT_EQUAL(p.npend, 3);
    size_t cap = p.pend_cap;
    ls_prep_trim(&p);
    CU_ASSERT_EQUAL(p.pend_cap, cap);   /* an ordinary document's are kept */
    CU_ASSERT_PTR_NOT_NULL(p.pends);
    CU_ASSERT_PTR_NOT_NULL(p.spans);
    ls_prep_free(&p);
    srch_analyzer_free(a);
}

/* What a pipeline's consumer saw: the documents in order, each analyzed
 * as a lone analyzer analyzes it. */
typedef struct pipe_check {
    srch_analyzer *ref;       /* the reference analyzer */
    ls_prep ref_prep;
    size_t next;              /* documents consumed so far */
    size_t bad_order, bad_prep, batches;
} pipe_check;

static uint64_t prep_digest(const ls_prep *p)
{
    uint64_t h = p->npend * 1000003u + p->ntitle * 7919u + p->nspans;
    for (size_t i = 0; i < p->npend; i++)
        h = h * 31 + p->pends[i].hash + p->pends[i].wlen * 7u + p->pends[i].tlen;
    for (size_t i = 0; i < p->ntitle; i++)
        h = h * 37 + p->title[i].hash;
    return h ^ p->id_hash;
}

static int pipe_consume(void *ctx, ls_prep *preps, size_t n)
{
    pipe_check *c = ctx;
    c->batches++;
    for (size_t i = 0; i < n; i++, c->next++) {
        char want[32];
        snprintf(want, sizeof want, "p%zu", c->next);
        if (!preps[i].doc || strcmp(preps[i].doc->id, want) != 0) {
            c->bad_order++;
            continue;
        }
        ls_err err;
        if (preps[i].rc != SRCH_OK ||
            ls_prep_analyze(&c->ref_prep, c->ref, preps[i].doc, 4096, &err) != SRCH_OK ||
            prep_digest(&c->ref_prep) != prep_digest(&preps[i]))
            c->bad_prep++;
    }
    return SRCH_OK;
}

/* Documents of every size through the pipeline, the writer's thread
 * analyzing the chunks the worker has not taken while it waits (own_an)
 * or always waiting (NULL): each document reaches the consumer once, in
 * order, analyzed as by a lone analyzer; partial batches (drain) too. */
static void test_index_pipeline__order_and_analysis(void)
{
    unsigned long long st = test_seed();
    static char text[20000];
    for (int mode = 0; mode < 2; mode++) {
        pipe_check c;
        memset(&c, 0, sizeof c);
        srch_analyzer *own;
        CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&c.ref, NULL), SRCH_OK);
        CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&own, NULL), SRCH_OK);
        ls_pipeline *pl;
        ls_err err;
        CU_ASSERT_EQUAL_FATAL(ls_pipeline_new(&pl, "french", 4096, mode ? own : NULL,
                                              pipe_consume, &c, &err),
                              SRCH_OK);
        size_t added = 0;
        for (int round = 0; round < 3; round++) {
            size_t n = 1500 + test_rand(&st) % 1500;
            for (size_t k = 0; k < n; k++, added++) {
                /* mostly short texts, now and then a long one (a batch
                 * closed by its bytes, not its count) */
                size_t nwords = test_rand(&st) % 8 == 0 ? 200 + test_rand(&st) % 1500
                                                       : 1 + test_rand(&st) % 30;
                size_t len = 0;
                for (size_t w = 0; w < nwords && len + 40 < sizeof text; w++)
                    len += (size_t)snprintf(text + len, sizeof text - len, "%s%u ",
                                            w % 5 ? "l'Église des mots" : "chemins",
                                            (unsigned)(test_rand(&st) % 5000));
                char id[32];
                snprintf(id, sizeof id, "p%zu", added);
                srch_document d = {SRCH_DOCUMENT_VERSION, id, k % 3 ? "Un titre" : NULL,
                                   text, len, NULL, 0};
                CU_ASSERT_EQUAL_FATAL(ls_pipeline_add(pl, &d), SRCH_OK);
            }
            CU_ASSERT_EQUAL_FATAL(ls_pipeline_drain(pl), SRCH_OK);
            CU_ASSERT_EQUAL(ls_pipeline_pending(pl), 0);
            CU_ASSERT_EQUAL(c.next, added);
        }
        CU_ASSERT_EQUAL(c.bad_order, 0);
        CU_ASSERT_EQUAL(c.bad_prep, 0);
        CU_ASSERT(c.batches > 3 * 1500 / 256);
        ls_pipeline_free(pl);
        ls_prep_free(&c.ref_prep);
        srch_analyzer_free(own);
        srch_analyzer_free(c.ref);
    }
}

/* The pair keys of the segment just flushed into dir, and its pairs id. */
static int pair_keys(const char *dir, const ls_segment_meta *meta, uint32_t *pairs)
{
    ls_segment *seg;
    ls_err err;
    CU_ASSERT_EQUAL_FATAL(ls_segment_open(&seg, dir, meta, LS_MAP_VERIFY, &err), SRCH_OK);
    *pairs = seg->meta.pairs;
    ls_term_iter it;
    int n = 0;
    ls_term_iter_seek(&it, &seg->td, (const unsigned char *)"P", 1);
    while (ls_term_iter_next(&it) == 1 && it.key[0] == LS_FIELD_PAIR)
        n++;
    ls_segment_unref(seg);
    return n;
}

/* Flush a memseg of the n texts (documents d0, d1, ...), the pairs
 * dropped or not, into dir as segment id with two threads; the number of
 * pair keys in the segment, and its pairs id in *pairs. */
static int flush_texts(const char *dir, uint64_t id, const char *const *texts, size_t n,
                       int drop, uint32_t *pairs)
{
    srch_analyzer *a;
    ls_memseg *m;
    ls_err err;
    CU_ASSERT_EQUAL_FATAL(srch_analyzer_new(&a, NULL), SRCH_OK);
    CU_ASSERT_EQUAL_FATAL(ls_memseg_new(&m, 4096, &err), SRCH_OK);
    ls_memseg_set_pairs(m, ls_pairs_for("french"));
    ls_prep *preps = calloc(n, sizeof *preps);
    srch_document *docs = calloc(n, sizeof *docs);
    char (*ids)[16] = calloc(n, sizeof *ids);
    CU_ASSERT_FATAL(preps && docs && ids);
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "d%zu", i);
        docs[i] = (srch_document){SRCH_DOCUMENT_VERSION, ids[i], NULL, texts[i],
                                  strlen(texts[i]), NULL, 0};
        int replaced;
        CU_ASSERT_EQUAL_FATAL(ls_prep_analyze(&preps[i], a, &docs[i], 4096, &err), SRCH_OK);
        CU_ASSERT_EQUAL_FATAL(ls_memseg_add_records(m, &preps[i], &replaced, &err), SRCH_OK);
        CU_ASSERT_EQUAL_FATAL(ls_memseg_invert(m, &preps[i], &err), SRCH_OK);
    }
    if (drop)
        ls_memseg_drop_pairs(m);
    ls_segment_meta meta;
    ls_deletes *del;
    CU_ASSERT_EQUAL_FATAL(ls_memseg_flush(m, dir, id, 0, 2, &meta, &del, &err), SRCH_OK);
    ls_deletes_unref(del);
    int keys = pair_keys(dir, &meta, pairs);
    for (size_t i = 0; i < n; i++)
        ls_prep_free(&preps[i]);
    free(preps);
    free(docs);
    free(ids);
    ls_memseg_free(m);
    srch_analyzer_free(a);
    return keys;
}

/* Two documents, the pairs dropped or not. */
static int flush_pair_keys(const char *dir, uint64_t id, int drop, uint32_t *pairs)
{
    const char *texts[2] = {"la maison de la ville", "le chemin de fer et la gare"};
    return flush_texts(dir, id, texts, 2, drop, pairs);
}

/* The pairs found at the flush are written with their list's id;
 * dropped (out of memory), the segment has neither pair keys nor the id,
 * so that queries read its positions instead. */
static void test_index_pairs__written_or_dropped(void)
{
    const char *dir = new_dir();
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
    uint32_t id;
    int n = flush_pair_keys(dir, 1, 0, &id);
    CU_ASSERT(n >= 6);   /* la maison, de la, la ville, chemin de, de fer, ... */
    CU_ASSERT_EQUAL(id, ls_pairs_for("french")->id);
    CU_ASSERT_EQUAL(flush_pair_keys(dir, 2, 1, &id), 0);
    CU_ASSERT_EQUAL(id, 0);
}

/* A memseg of 600 documents of common and rarer words (the same for a
 * seed), flushed into dir as segment 1; its pair keys. */
static int flush_random_memseg(const char *dir, unsigned seed)
{
    static const char *common[] = {"de", "la", "le", "les", "des", "et", "du", "un", "une",
                                   "en", "au", "que", "qui", "pour", "dans", "sur"};
    static char texts[600][400];
    const char *t[600];
    for (int d = 0; d < 600; d++) {
        size_t len = 0;
        for (int w = 0; w < 40; w++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 8;
            len += (size_t)(r % 3 ? snprintf(texts[d] + len, sizeof texts[d] - len, "%s ",
                                             common[r / 3 % 16])
                                  : snprintf(texts[d] + len, sizeof texts[d] - len, "mot%u ",
                                             r / 3 % 900));
        }
        t[d] = texts[d];
    }
    uint32_t pairs;
    return flush_texts(dir, 1, t, 600, 0, &pairs);
}

/* The flush's two ways of counting the pairs (a table by stem ranks; a
 * hash table and a sort when that table would be too large) and of
 * scattering positions (packed below their passages; in an array of their
 * own when they do not fit) write the same segment, byte for byte. */
static void test_index_flush__variants_write_the_same(void)
{
    const char *names[] = {"s00000001.ter", "s00000001.doc", "s00000001.pos", "s00000001.nrm",
                           "s00000001.sto"};
    char dirs[3][PATH_MAX];
    size_t table_max = ls_memseg_pairs_table_max;
    for (int k = 0; k < 3; k++) {
        snprintf(dirs[k], sizeof dirs[k], "%.4000s", new_dir());
        CU_ASSERT_EQUAL_FATAL(mkdir(dirs[k], 0755), 0);
        ls_memseg_pairs_table_max = k == 1 ? 0 : table_max;
        ls_memseg_pack_positions = k != 2;
        CU_ASSERT(flush_random_memseg(dirs[k], 7) > 1000);   /* many pairs */
    }
    ls_memseg_pairs_table_max = table_max;
    ls_memseg_pack_positions = 1;
    for (int k = 1; k < 3; k++)
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            char pa[PATH_MAX], pb[PATH_MAX];
            ls_path(pa, dirs[0], names[i]);
            ls_path(pb, dirs[k], names[i]);
            size_t la, lb;
            char *a = test_read_file(pa, &la), *b = test_read_file(pb, &lb);
            CU_ASSERT_PTR_NOT_NULL_FATAL(a);
            CU_ASSERT_PTR_NOT_NULL_FATAL(b);
            CU_ASSERT_EQUAL(la, lb);
            CU_ASSERT(la == lb && memcmp(a, b, la) == 0);
            free(a);
            free(b);
        }
}

static const ls_test tests[] = {
    {"test_index_pairs__written_or_dropped", test_index_pairs__written_or_dropped},
    {"test_index_flush__variants_write_the_same", test_index_flush__variants_write_the_same},
    {"test_index_prep__trim_releases_large_buffers", test_index_prep__trim_releases_large_buffers},
    {"test_index_basic__add_commit_read", test_index_basic__add_commit_read},
    {"test_index_basic__empty_body_and_options", test_index_basic__empty_body_and_options},
    {"test_index_model__random_operations_then_merge", test_index_model__random_operations_then_merge},
    {"test_index_model__random_operations_pipelined", test_index_model__random_operations_pipelined},
    {"test_index_pipeline__order_and_analysis", test_index_pipeline__order_and_analysis},
    {"test_index_merge__blocks_copied_read_the_same", test_index_merge__blocks_copied_read_the_same},
    {"test_index_ids__replace_across_many_segments", test_index_ids__replace_across_many_segments},
    {"test_index_policy__auto_merge_keeps_segments_few", test_index_policy__auto_merge_keeps_segments_few},
    {"test_index_snapshot__reader_isolation_and_reopen", test_index_snapshot__reader_isolation_and_reopen},
    {"test_index_snapshot__threads_share_a_reader", test_index_snapshot__threads_share_a_reader},
    {"test_index_lock__second_writer_refused", test_index_lock__second_writer_refused},
    {"test_index_recovery__leftovers_removed", test_index_recovery__leftovers_removed},
    {"test_index_faults__full_disk_keeps_last_commit", test_index_faults__full_disk_keeps_last_commit},
    {"test_index_faults__full_disk_during_background_flushes", test_index_faults__full_disk_during_background_flushes},
    {"test_index_faults__flipped_bytes_detected", test_index_faults__flipped_bytes_detected},
    {"test_index_faults__writer_open_verifies_every_segment",
     test_index_faults__writer_open_verifies_every_segment},
    {"test_index_crash__sigkill_at_random_moments", test_index_crash__sigkill_at_random_moments},
    {NULL, NULL},
};

void suite_index(void)
{
    test_register_suite("index", init, clean, tests);
}
