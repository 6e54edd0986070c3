/*
 * segment.c - segment files: writer, validated reader, deletion bitmaps
 * (see segment.h).
 */
#include "segment.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/varint.h"

const char *const ls_file_ext[] = {"ter", "doc", "pos", "nrm", "sto"};

static const uint32_t file_magic[LS_SEGMENT_FILES] = {
    LS_MAGIC_TERMS, LS_MAGIC_POSTINGS, LS_MAGIC_POSITIONS, LS_MAGIC_NORMS, LS_MAGIC_STORE,
};

void ls_segment_name(char *buf, size_t cap, uint64_t id)
{
    snprintf(buf, cap, LS_SEGMENT_NAME_FMT, (unsigned long long)id);
}

void ls_segment_file(char *buf, size_t cap, uint64_t id, int kind)
{
    snprintf(buf, cap, LS_SEGMENT_NAME_FMT ".%s", (unsigned long long)id, ls_file_ext[kind]);
}

void ls_deletes_file(char *buf, size_t cap, uint64_t id, uint64_t gen)
{
    snprintf(buf, cap, LS_SEGMENT_NAME_FMT "_%llu.del", (unsigned long long)id,
             (unsigned long long)gen);
}

/* ------------------------------------------------------------------ writer */

int ls_segw_open(ls_segment_writer *w, const char *dir, uint64_t id, int durable, ls_err *err)
{
    memset(w, 0, sizeof *w);
    w->err = err;
    w->id = id;
    w->meta.id = id;
    w->dir = strdup(dir);
    if (!w->dir)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory");
    char name[64], path[PATH_MAX];
    for (int k = 0; k < LS_SEGMENT_FILES; k++) {
        ls_segment_file(name, sizeof name, id, k);
        int rc = ls_wfile_open(&w->files[k], ls_path(path, dir, name), file_magic[k], id,
                               durable, err);
        w->opened = k + 1;
        if (rc != SRCH_OK) {
            ls_segw_abort(w);
            return rc;
        }
    }
    ls_pw_init(&w->pw, &w->files[1], &w->files[2]);
    ls_tdw_init(&w->tw, &w->files[0]);
    int rc = ls_store_writer_init(&w->sw, &w->files[4]);
    if (rc != SRCH_OK)
        ls_segw_abort(w);
    return rc;
}

int ls_segw_open_half(ls_segment_writer *h, const char *tmp_dir, ls_err *err)
{
    memset(h, 0, sizeof *h);
    h->err = err;
    for (int k = 0; k < LS_SEGMENT_FILES; k++)
        h->files[k].fd = -1;
    for (int k = 0; k < 3; k++) {
        int rc = tmp_dir ? ls_wfile_open_tmp(&h->files[k], tmp_dir, err)
                         : ls_wfile_open_mem(&h->files[k], 0, err);
        if (rc != SRCH_OK) {
            ls_segw_free_half(h);
            return rc;
        }
    }
    ls_pw_init(&h->pw, &h->files[1], &h->files[2]);
    ls_tdw_init(&h->tw, &h->files[0]);
    return SRCH_OK;
}

void ls_segw_free_half(ls_segment_writer *h)
{
    ls_pw_free(&h->pw);
    ls_tdw_free(&h->tw);
    for (int k = 0; k < 3; k++)
        ls_wfile_scratch_free(&h->files[k]);
}

static int term_add(ls_segment_writer *w, const unsigned char *key, size_t klen,
                    ls_term_info *ti, uint32_t stem_len)
{
    ti->stem_len = key[0] == LS_FIELD_WORD && stem_len < klen ? stem_len : 0;
    int rc = ls_tdw_add(&w->tw, key, klen, ti);
    if (rc == SRCH_OK && key[0] != LS_FIELD_ID)
        w->meta.nterms++;
    return rc;
}

int ls_segw_append_half(ls_segment_writer *w, ls_segment_writer *h)
{
    uint64_t ter_base = ls_wfile_offset(&w->files[0]);
    uint64_t doc_base = ls_wfile_offset(&w->files[1]);
    uint64_t pos_base = ls_wfile_offset(&w->files[2]);
    for (int k = 0; k < 3; k++) {
        int rc = ls_wfile_copy(&w->files[k], &h->files[k]);
        if (rc != SRCH_OK)
            return rc;
    }
    int rc = ls_tdw_append(&w->tw, &h->tw, ter_base, doc_base, pos_base);
    if (rc == SRCH_OK)
        w->meta.nterms += h->meta.nterms;
    return rc;
}

int ls_segw_norms(ls_segment_writer *w, uint32_t body_len, uint32_t title_len)
{
    w->meta.sum_len[LS_NORM_BODY] += body_len > 0xFFFF ? 0xFFFF : body_len;
    w->meta.sum_len[LS_NORM_TITLE] += title_len > 0xFFFF ? 0xFFFF : title_len;
    w->meta.npassages++;
    ls_wfile_u16(&w->files[3], body_len > 0xFFFF ? 0xFFFF : (uint16_t)body_len);
    return ls_wfile_u16(&w->files[3], title_len > 0xFFFF ? 0xFFFF : (uint16_t)title_len);
}

void ls_segw_term_begin(ls_segment_writer *w, const unsigned char *key, size_t klen)
{
    memcpy(w->key, key, klen);
    w->klen = klen;
    w->stem_len = 0;
    ls_pw_begin(&w->pw, ls_field_has_positions(key[0]));
    /* the block bounds' corners are chosen for the field's lengths */
    int f = ls_field_norm(key[0]);
    ls_pw_length_hint(&w->pw, w->len_hint[f] > 0 ? w->len_hint[f] : f == LS_NORM_TITLE ? 2.0 : 15.0);
}

void ls_segw_length_hint(ls_segment_writer *w, const uint64_t sum_len[LS_NORM_FIELDS],
                         uint64_t npassages)
{
    for (int f = 0; f < LS_NORM_FIELDS; f++)
        w->len_hint[f] = npassages ? (double)sum_len[f] / (double)npassages : 0;
}

int ls_segw_term_end(ls_segment_writer *w)
{
    if (w->pw.df == 0)
        return w->files[1].rc;
    ls_term_info ti;
    int rc = ls_pw_end(&w->pw, &ti);
    if (rc != SRCH_OK)
        return rc;
    return term_add(w, w->key, w->klen, &ti, w->stem_len);
}

int ls_segw_finish(ls_segment_writer *w, ls_segment_meta *meta)
{
    int rc = SRCH_OK;
    ls_tdw_finish(&w->tw);
    ls_store_finish(&w->sw);
    ls_wfile_u32(&w->files[3], w->meta.npassages);
    w->meta.ndocs = w->sw.ndocs;
    if (w->sw.npassages != w->meta.npassages && rc == SRCH_OK)
        rc = ls_err_set(w->err, SRCH_ERROR, "segment %llu: %u stored passages, %u norms",
                        (unsigned long long)w->id, w->sw.npassages, w->meta.npassages);
    for (int k = 0; k < LS_SEGMENT_FILES; k++) {
        int r = ls_wfile_finish(&w->files[k], &w->meta.sizes[k]);
        if (rc == SRCH_OK)
            rc = r;
    }
    w->opened = 0;
    if (rc != SRCH_OK) {
        ls_segw_abort(w);
        return rc;
    }
    *meta = w->meta;
    ls_pw_free(&w->pw);
    ls_tdw_free(&w->tw);
    ls_store_writer_free(&w->sw);
    free(w->dir);
    w->dir = NULL;
    return SRCH_OK;
}

void ls_segw_abort(ls_segment_writer *w)
{
    char name[64], path[PATH_MAX];
    for (int k = 0; k < w->opened; k++)
        ls_wfile_abort(&w->files[k]);
    if (w->dir)
        for (int k = 0; k < LS_SEGMENT_FILES; k++) {
            ls_segment_file(name, sizeof name, w->id, k);
            remove(ls_path(path, w->dir, name));
        }
    w->opened = 0;
    ls_pw_free(&w->pw);
    ls_tdw_free(&w->tw);
    ls_store_writer_free(&w->sw);
    free(w->dir);
    w->dir = NULL;
}

static void *store_run(void *arg)
{
    ls_store_thread *t = arg;
    int rc = t->write(t->arg, &t->err);
    if (rc != SRCH_OK && !t->err.msg[0])   /* reported to this thread only */
        ls_err_set(&t->err, rc, "%s", srch_errmsg());
    t->rc = rc;
    return NULL;
}

void ls_segw_store_start(ls_store_thread *t, ls_segment_writer *w, int threads,
                         int (*write)(void *arg, ls_err *err), void *arg)
{
    t->w = w;
    t->write = write;
    t->arg = arg;
    t->rc = SRCH_OK;
    ls_err_clear(&t->err);
    w->sw.f->err = &t->err;
    t->threaded = threads > 1 && pthread_create(&t->th, NULL, store_run, t) == 0;
    if (!t->threaded)
        store_run(t);
}

int ls_segw_store_join(ls_store_thread *t, int rc)
{
    if (t->threaded)
        pthread_join(t->th, NULL);
    t->w->sw.f->err = t->w->err;
    if (t->rc != SRCH_OK && rc == SRCH_OK)
        rc = ls_err_copy(t->w->err, &t->err);
    return rc;
}

/* ------------------------------------------------------------------ reader */

static void segment_free(ls_segment *s)
{
    ls_termdict_close(&s->td);
    for (int k = 0; k < LS_SEGMENT_FILES; k++)
        ls_map_close(&s->maps[k]);
    free(s);
}

int ls_segment_open(ls_segment **out, const char *dir, const ls_segment_meta *meta, int flags,
                    ls_err *err)
{
    *out = NULL;
    ls_segment *s = calloc(1, sizeof *s);
    if (!s)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory opening a segment");
    atomic_init(&s->refs, 1);
    s->meta = *meta;
    ls_segment_name(s->name, sizeof s->name, meta->id);
    char name[64], path[PATH_MAX];
    int rc = SRCH_OK;
    for (int k = 0; k < LS_SEGMENT_FILES && rc == SRCH_OK; k++) {
        ls_segment_file(name, sizeof name, meta->id, k);
        rc = ls_map_open(&s->maps[k], ls_path(path, dir, name), name, file_magic[k], meta->id,
                         flags, err);
        if (rc == SRCH_OK && s->maps[k].size != meta->sizes[k])
            rc = ls_err_set(err, SRCH_ECORRUPT, "%s: %zu bytes, the manifest says %llu", name,
                            s->maps[k].size, (unsigned long long)meta->sizes[k]);
    }
    if (rc != SRCH_OK)
        goto fail;
    const ls_map *nm = &s->maps[3];
    if (nm->body_len != 4ull * meta->npassages + 4 ||
        ls_get_u32(nm->body + nm->body_len - 4) != meta->npassages) {
        rc = ls_err_set(err, SRCH_ECORRUPT, "%s.nrm: %zu bytes for %u passages", s->name,
                        nm->body_len, meta->npassages);
        goto fail;
    }
    s->norms = nm->body;
    if ((rc = ls_termdict_open(&s->td, &s->maps[0], err)) != SRCH_OK ||
        (rc = ls_store_open(&s->store, &s->maps[4], err)) != SRCH_OK)
        goto fail;
    if (s->store.npassages != meta->npassages || s->store.ndocs != meta->ndocs ||
        s->td.nterms - s->td.nid_terms != meta->nterms) {
        rc = ls_err_set(err, SRCH_ECORRUPT, "%s: counts differ from the manifest", s->name);
        goto fail;
    }
    *out = s;
    return SRCH_OK;
fail:
    if (rc == SRCH_ECORRUPT || rc == SRCH_EVERSION || rc == SRCH_ENOTFOUND) {
        /* prefix the message with the segment, once */
        char msg[LS_ERRMSG_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->msg : srch_errmsg());
        if (strncmp(msg, s->name, strlen(s->name)) != 0)
            ls_err_set(err, rc == SRCH_ENOTFOUND ? SRCH_ECORRUPT : rc, "segment %s: %s", s->name, msg);
        else if (rc == SRCH_ENOTFOUND)
            ls_err_set(err, SRCH_ECORRUPT, "%s", msg);
        if (rc == SRCH_ENOTFOUND)
            rc = SRCH_ECORRUPT;   /* a file the commit names is missing */
    }
    segment_free(s);
    return rc;
}

void ls_segment_ref(ls_segment *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void ls_segment_unref(ls_segment *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        segment_free(s);
}

int ls_segment_postings(const ls_segment *s, const unsigned char *key, const ls_term_info *ti,
                        ls_postings *p, ls_err *err)
{
    return ls_postings_open(p, ti, &s->maps[1], &s->maps[2], s->meta.npassages,
                            ls_field_has_positions(key[0]), err);
}

/* --------------------------------------------------------------- deletions */

ls_deletes *ls_deletes_new(uint32_t n)
{
    ls_deletes *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->words = calloc((n + 63) / 64 + 1, sizeof *d->words);
    if (!d->words) {
        free(d);
        return NULL;
    }
    atomic_init(&d->refs, 1);
    d->n = n;
    return d;
}

ls_deletes *ls_deletes_copy(const ls_deletes *src)
{
    ls_deletes *d = ls_deletes_new(src->n);
    if (d) {
        memcpy(d->words, src->words, ((src->n + 63) / 64) * sizeof *d->words);
        d->count = src->count;
        d->docs = src->docs;
        d->gen = src->gen;
    }
    return d;
}

void ls_deletes_ref(ls_deletes *d)
{
    if (d)
        atomic_fetch_add(&d->refs, 1);
}

void ls_deletes_unref(ls_deletes *d)
{
    if (d && atomic_fetch_sub(&d->refs, 1) == 1) {
        free(d->words);
        free(d);
    }
}

uint32_t ls_deletes_mark(ls_deletes *d, uint32_t first, uint32_t count)
{
    uint32_t newly = 0;
    for (uint64_t i = first; i < (uint64_t)first + count && i < d->n; i++) {
        uint64_t bit = 1ull << (i & 63);
        if (!(d->words[i >> 6] & bit)) {
            d->words[i >> 6] |= bit;
            newly++;
        }
    }
    d->count += newly;
    d->docs += newly > 0;
    return newly;
}

int ls_deletes_read(ls_deletes **out, const char *dir, const ls_segment_meta *meta, ls_err *err)
{
    *out = NULL;
    if (meta->del_gen == 0)
        return SRCH_OK;
    char name[64], path[PATH_MAX];
    ls_deletes_file(name, sizeof name, meta->id, meta->del_gen);
    ls_map m;
    int rc = ls_map_open(&m, ls_path(path, dir, name), name, LS_MAGIC_DELETES, meta->id,
                         LS_MAP_VERIFY, err);
    if (rc == SRCH_ENOTFOUND)
        rc = SRCH_ECORRUPT;
    if (rc != SRCH_OK)
        return rc;
    size_t words = (meta->npassages + 63) / 64;
    if (m.size != meta->del_size || m.body_len != 8 + 8 * words ||
        ls_get_u32(m.body) != meta->npassages || ls_get_u32(m.body + 4) != meta->ndeleted) {
        ls_map_close(&m);
        return ls_err_set(err, SRCH_ECORRUPT, "%s: does not match the manifest", name);
    }
    ls_deletes *d = ls_deletes_new(meta->npassages);
    if (!d) {
        ls_map_close(&m);
        return ls_err_set(err, SRCH_ENOMEM, "out of memory reading %s", name);
    }
    memcpy(d->words, m.body + 8, 8 * words);
    ls_map_close(&m);
    uint32_t count = 0;
    for (size_t i = 0; i < words; i++)
        count += (uint32_t)__builtin_popcountll(d->words[i]);
    if (meta->npassages % 64 && (d->words[words - 1] >> (meta->npassages % 64)))
        count = UINT32_MAX;   /* bits past the end */
    if (count != meta->ndeleted) {
        ls_deletes_unref(d);
        return ls_err_set(err, SRCH_ECORRUPT, "%s: %u bits set, the manifest says %u", name,
                          count, meta->ndeleted);
    }
    d->count = count;
    d->docs = meta->ndeleted_docs;
    d->gen = meta->del_gen;
    *out = d;
    return SRCH_OK;
}

int ls_deletes_write(const ls_deletes *d, const char *dir, uint64_t seg_id, uint64_t gen,
                     int durable, uint64_t *size, ls_err *err)
{
    char name[64], path[PATH_MAX];
    ls_deletes_file(name, sizeof name, seg_id, gen);
    ls_wfile w;
    int rc = ls_wfile_open(&w, ls_path(path, dir, name), LS_MAGIC_DELETES, seg_id, durable, err);
    if (rc != SRCH_OK) {
        ls_wfile_abort(&w);
        return rc;
    }
    ls_wfile_u32(&w, d->n);
    ls_wfile_u32(&w, d->count);
    ls_wfile_write(&w, d->words, 8 * ((d->n + 63) / 64));
    return ls_wfile_finish(&w, size);
}
