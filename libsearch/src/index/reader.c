/*
 * reader.c - srch_reader_*: snapshots of a commit (see reader.h).
 *
 * Opening reads the newest manifest and opens its segments. A writer in
 * another process may commit and remove the files of the previous commit
 * between the two steps; the open then finds a newer manifest and starts
 * again. Segments are reference-counted so that srch_reader_reopen()
 * shares the unchanged ones with the old snapshot.
 */
#include "index/reader.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/varint.h"

static void rseg_release(ls_rseg *s)
{
    ls_segment_unref(s->seg);
    ls_deletes_unref(s->del);
    if (s->seg) {
        pthread_mutex_destroy(&s->df_lock);
        ls_strmap_free(&s->df_cache);
    }
    memset(s, 0, sizeof *s);
}

static void reader_free(srch_reader *r)
{
    for (size_t i = 0; i < r->nsegs; i++)
        rseg_release(&r->segs[i]);
    free(r->segs);
    ls_manifest_free(&r->man);
    free(r->dir);
    free(r);
}

SRCH_API void srch_reader_close(srch_reader *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1)
        reader_free(r);
}

SRCH_API const char *srch_reader_errmsg(const srch_reader *r)
{
    (void)r;
    return srch_errmsg();
}

/* Build a snapshot of manifest m, taking segments from `old` when they are
 * the same. */
static void preload_segment(const ls_segment *s)
{
    for (int k = 0; k < LS_SEGMENT_FILES; k++)
        ls_map_populate(&s->maps[k]);
}

static int build(srch_reader **out, const char *dir, ls_manifest *m, const srch_reader *old,
                 ls_err *err)
{
    srch_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->dir = strdup(dir)) ||
        !(r->segs = calloc(m->nsegs ? m->nsegs : 1, sizeof *r->segs))) {
        if (r)
            free(r->dir);
        free(r);
        return ls_err_set(err, SRCH_ENOMEM, "out of memory opening a reader");
    }
    atomic_init(&r->refs, 1);
    atomic_init(&r->preload, old ? atomic_load(&old->preload) : 0);
    r->man = *m;
    memset(m, 0, sizeof *m);
    int rc = SRCH_OK;
    uint64_t base = 0;
    for (size_t i = 0; i < r->man.nsegs && rc == SRCH_OK; i++) {
        const ls_segment_meta *meta = &r->man.segs[i];
        ls_rseg *s = &r->segs[i];
        const ls_rseg *same = NULL;
        for (size_t j = 0; old && j < old->nsegs; j++)
            if (old->segs[j].seg->meta.id == meta->id)
                same = &old->segs[j];
        if (same) {
            s->seg = same->seg;
            ls_segment_ref(s->seg);
        } else if ((rc = ls_segment_open(&s->seg, dir, meta, LS_MAP_VERIFY_SMALL, err)) != SRCH_OK) {
            break;
        } else if (old && atomic_load(&old->preload)) {
            preload_segment(s->seg);
        }
        if (same && (same->del ? same->del->gen : 0) == meta->del_gen) {
            s->del = same->del;
            ls_deletes_ref(s->del);
        } else if ((rc = ls_deletes_read(&s->del, dir, meta, err)) != SRCH_OK) {
            ls_segment_unref(s->seg);
            s->seg = NULL;
            break;
        }
        pthread_mutex_init(&s->df_lock, NULL);
        if (ls_strmap_init(&s->df_cache, 16) != 0) {
            pthread_mutex_destroy(&s->df_lock);
            rseg_release(s);
            rc = ls_err_set(err, SRCH_ENOMEM, "out of memory opening a reader");
            break;
        }
        r->nsegs = i + 1;
        s->base = (uint32_t)base;
        base += meta->npassages;
        if (base > UINT32_MAX - 1) {
            rc = ls_err_set(err, SRCH_ELIMIT, "%s: more than 4 billion passages", dir);
            break;
        }
        r->live_passages += meta->npassages - meta->ndeleted;
        r->live_docs += meta->ndocs - meta->ndeleted_docs;
        r->deleted += meta->ndeleted;
        for (int f = 0; f < LS_NORM_FIELDS; f++) {
            uint64_t sum = meta->sum_len[f];
            if (s->del)
                for (uint32_t p = 0; p < meta->npassages; p++)
                    if (ls_deleted(s->del, p))
                        sum -= ls_segment_norm(s->seg, p, f);
            r->live_len[f] += sum;
        }
    }
    if (rc != SRCH_OK) {
        reader_free(r);
        return rc;
    }
    r->total = base;
    srch_analyzer_options ao = SRCH_ANALYZER_OPTIONS_INIT;
    ao.language = r->man.language;
    r->analyzer = ao;
    *out = r;
    return SRCH_OK;
}

/* Open the newest commit, retrying when a concurrent commit removed files
 * of the one we were reading. */
static int open_latest(srch_reader **out, const char *dir, const srch_reader *old,
                       ls_err *err)
{
    for (int attempt = 0;; attempt++) {
        ls_manifest m;
        int rc = ls_manifest_read_latest(&m, dir, err);
        if (rc != SRCH_OK)
            return rc;
        uint64_t gen = m.generation;
        if (old && gen == old->man.generation) {
            ls_manifest_free(&m);
            return 1;   /* nothing newer */
        }
        rc = build(out, dir, &m, old, err);
        ls_manifest_free(&m);
        if (rc == SRCH_OK || attempt >= 20)
            return rc;
        ls_manifest again;
        ls_err scratch;
        if (ls_manifest_read_latest(&again, dir, &scratch) != SRCH_OK)
            return rc;
        uint64_t now = again.generation;
        ls_manifest_free(&again);
        if (now == gen)
            return rc;   /* a real failure, not a race */
    }
}

SRCH_API int srch_reader_open(srch_reader **out, const char *path)
{
    if (!out || !path)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_reader_open: NULL argument");
    *out = NULL;
    ls_err err;
    ls_err_clear(&err);
    int rc = open_latest(out, path, NULL, &err);
    return rc;
}

SRCH_API int srch_reader_preload(srch_reader *r)
{
    if (!r)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_reader_preload: NULL reader");
    atomic_store(&r->preload, 1);
    for (size_t i = 0; i < r->nsegs; i++)
        preload_segment(r->segs[i].seg);
    return SRCH_OK;
}

SRCH_API int srch_reader_reopen(srch_reader **out, srch_reader *r)
{
    if (!out || !r)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_reader_reopen: NULL argument");
    *out = NULL;
    ls_err err;
    ls_err_clear(&err);
    int rc = open_latest(out, r->dir, r, &err);
    if (rc == 1) {
        atomic_fetch_add(&r->refs, 1);
        *out = r;
        return SRCH_OK;
    }
    return rc;
}

double ls_reader_avg_len(const srch_reader *r, int field)
{
    return r->live_passages ? (double)r->live_len[field] / (double)r->live_passages : 0.0;
}

const ls_rseg *ls_reader_locate(const srch_reader *r, uint32_t g, uint32_t *local)
{
    size_t lo = 0, hi = r->nsegs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->segs[mid].base <= g)
            lo = mid;
        else
            hi = mid;
    }
    if (lo >= r->nsegs || g - r->segs[lo].base >= r->segs[lo].seg->meta.npassages)
        return NULL;
    *local = g - r->segs[lo].base;
    return &r->segs[lo];
}

int ls_reader_seg_df(srch_reader *r, size_t i, const unsigned char *key, size_t klen,
                     const ls_term_info *ti, uint64_t *df, ls_err *err)
{
    ls_rseg *s = &r->segs[i];
    *df = ti->df;
    if (!s->del || key[0] == LS_FIELD_ID)
        return SRCH_OK;
    pthread_mutex_lock(&s->df_lock);
    ls_strmap_slot *slot = ls_strmap_find(&s->df_cache, (const char *)key, klen);
    uintptr_t gone = slot ? (uintptr_t)slot->value - 1 : 0;
    pthread_mutex_unlock(&s->df_lock);
    if (!slot) {
        ls_postings p;
        int rc = ls_segment_postings(s->seg, key, ti, &p, err);
        if (rc != SRCH_OK)
            return rc;
        for (uint32_t d = ls_postings_next(&p); d != LS_NO_DOC; d = ls_postings_next(&p))
            gone += ls_deleted(s->del, d);
        if (p.corrupt)
            return ls_err_set(err, SRCH_ECORRUPT, "segment %s: malformed postings",
                              s->seg->name);
        int inserted;
        pthread_mutex_lock(&s->df_lock);
        slot = ls_strmap_upsert(&s->df_cache, (const char *)key, klen, &inserted);
        if (slot)
            slot->value = (void *)(gone + 1);
        pthread_mutex_unlock(&s->df_lock);
    }
    *df -= gone;
    return SRCH_OK;
}

int ls_reader_lookup(srch_reader *r, const unsigned char *key, size_t klen, ls_term_info *tis,
                     ls_err *err)
{
    for (size_t i = 0; i < r->nsegs; i++) {
        int found = ls_termdict_get(&r->segs[i].seg->td, key, klen, &tis[i]);
        if (found < 0)
            return ls_err_set(err, SRCH_ECORRUPT, "segment %s: malformed term dictionary",
                              r->segs[i].seg->name);
        if (!found)
            memset(&tis[i], 0, sizeof tis[i]);
    }
    return SRCH_OK;
}

int ls_reader_tis_df(srch_reader *r, const unsigned char *key, size_t klen,
                     const ls_term_info *tis, uint64_t *df, ls_err *err)
{
    uint64_t total = 0;
    for (size_t i = 0; i < r->nsegs; i++) {
        if (tis[i].df == 0)
            continue;
        uint64_t live;
        int rc = ls_reader_seg_df(r, i, key, klen, &tis[i], &live, err);
        if (rc != SRCH_OK)
            return rc;
        total += live;
    }
    *df = total;
    return SRCH_OK;
}

int ls_reader_df(srch_reader *r, const unsigned char *key, size_t klen, uint64_t *df,
                 ls_err *err)
{
    ls_term_info one[8], *tis = r->nsegs <= 8 ? one : calloc(r->nsegs, sizeof *tis);
    if (!tis)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory");
    int rc = ls_reader_lookup(r, key, klen, tis, err);
    if (rc == SRCH_OK)
        rc = ls_reader_tis_df(r, key, klen, tis, df, err);
    if (tis != one)
        free(tis);
    return rc;
}

SRCH_API const char *srch_file_kind_name(int kind)
{
    static const char *const names[SRCH_FILE_KINDS] = {
        "terms", "postings", "positions", "norms", "store", "deletes", "manifest",
    };
    return kind >= 0 && kind < SRCH_FILE_KINDS ? names[kind] : "";
}

static void segment_info(const ls_rseg *s, const ls_segment_meta *m, srch_segment_info *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", s->seg->name);
    out->passages = m->npassages - m->ndeleted;
    out->documents = m->ndocs - m->ndeleted_docs;
    out->deleted = m->ndeleted;
    out->terms = m->nterms;
    for (int k = 0; k < LS_SEGMENT_FILES; k++)
        out->bytes[k] = m->sizes[k];
    out->bytes[SRCH_FILE_DELETES] = m->del_size;
}

SRCH_API void srch_reader_stats(const srch_reader *r, srch_index_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    out->generation = r->man.generation;
    out->language = r->man.language;
    out->segments = r->nsegs;
    out->passages = r->live_passages;
    out->documents = r->live_docs;
    out->deleted = r->deleted;
    for (size_t i = 0; i < r->nsegs; i++) {
        srch_segment_info si;
        segment_info(&r->segs[i], &r->man.segs[i], &si);
        out->terms += si.terms;
        for (int k = 0; k < SRCH_FILE_KINDS; k++)
            out->bytes[k] += si.bytes[k];
    }
    out->bytes[SRCH_FILE_MANIFEST] = r->man.size;
    for (int k = 0; k < SRCH_FILE_KINDS; k++)
        out->total_bytes += out->bytes[k];
    out->avg_passage_length = ls_reader_avg_len(r, LS_NORM_BODY);
}

SRCH_API int srch_reader_segment(const srch_reader *r, size_t i, srch_segment_info *out)
{
    if (!r || !out || i >= r->nsegs)
        return ls_err_set(NULL, SRCH_EINVAL, "segment %zu out of range", i);
    segment_info(&r->segs[i], &r->man.segs[i], out);
    return SRCH_OK;
}

/* ---------------------------------------------------------------- documents */

SRCH_API void srch_document_view_free(srch_document_view *d)
{
    free(d);
}

int ls_reader_find_doc(const srch_reader *r, const char *id, const ls_rseg **seg,
                       uint32_t *first, uint32_t *count, ls_err *err)
{
    size_t id_len = strlen(id);
    unsigned char key[LS_MAX_TERM_BYTES];
    if (id_len == 0 || id_len > SRCH_MAX_ID_BYTES)
        return ls_err_set(err, SRCH_ENOTFOUND, "no document '%s'", id);
    key[0] = LS_FIELD_ID;
    memcpy(key + 1, id, id_len);
    for (size_t i = 0; i < r->nsegs; i++) {
        const ls_rseg *s = &r->segs[i];
        ls_term_info ti;
        int found = ls_termdict_get(&s->seg->td, key, id_len + 1, &ti);
        if (found < 0)
            return ls_err_set(err, SRCH_ECORRUPT, "segment %s: malformed term dictionary",
                              s->seg->name);
        if (!found)
            continue;
        ls_postings p;
        int rc = ls_segment_postings(s->seg, key, &ti, &p, err);
        if (rc != SRCH_OK)
            return rc;
        for (uint32_t d = ls_postings_next(&p); d != LS_NO_DOC; d = ls_postings_next(&p))
            if (!ls_deleted(s->del, d)) {
                *seg = s;
                *first = d;
                *count = ls_postings_freq(&p);
                return SRCH_OK;
            }
    }
    return ls_err_set(err, SRCH_ENOTFOUND, "no document '%s'", id);
}

SRCH_API int srch_reader_document(const srch_reader *r, const char *id,
                                  srch_document_view **out)
{
    ls_err err;
    ls_err_clear(&err);
    if (!r || !id || !out)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_reader_document: NULL argument");
    *out = NULL;
    const ls_rseg *s = NULL;
    uint32_t first = 0, count = 0;
    int rc = ls_reader_find_doc(r, id, &s, &first, &count, &err);
    if (rc != SRCH_OK)
        return rc;
    ls_buf raw = {0}, draw = {0}, text = {0}, strings = {0};
    ls_passage_rec pr;
    ls_doc_rec dr;
    srch_document_view *v = NULL;
    if ((rc = ls_store_passage(&s->seg->store, first, &raw, &pr, &err)) != SRCH_OK ||
        (rc = ls_store_doc(&s->seg->store, pr.doc, &draw, &dr, &err)) != SRCH_OK)
        goto done;
    /* strings: id, title, fields (names and values), NUL-terminated */
    rc = SRCH_ENOMEM;
    if (ls_buf_add(&strings, dr.id, dr.id_len) || ls_buf_add(&strings, "", 1) ||
        ls_buf_add(&strings, dr.title, dr.title_len) || ls_buf_add(&strings, "", 1) ||
        ls_buf_add(&text, dr.lead, dr.lead_len))
        goto oom;
    const unsigned char *f = dr.fields, *fend = dr.fields + dr.fields_len;
    for (uint32_t i = 0; i < dr.nfields; i++)
        for (int part = 0; part < 2; part++) {
            uint64_t n = 0;
            f = ls_get_varint(f, fend, &n);
            if (ls_buf_add(&strings, f, (size_t)n) || ls_buf_add(&strings, "", 1))
                goto oom;
            f += n;
        }
    for (uint32_t i = 0; i < count; i++) {
        if ((rc = ls_store_passage(&s->seg->store, first + i, &raw, &pr, &err)) != SRCH_OK)
            goto done;
        if (ls_buf_add(&text, pr.stored, pr.stored_len)) {
            rc = SRCH_ENOMEM;
            goto oom;
        }
    }
    /* one allocation: the view, the field array, the strings, the text */
    size_t fields_bytes = dr.nfields * sizeof(srch_field);
    v = malloc(sizeof *v + fields_bytes + strings.len + text.len + 1);
    if (!v) {
        rc = SRCH_ENOMEM;
        goto oom;
    }
    srch_field *fields = (srch_field *)(v + 1);
    char *sp = (char *)fields + fields_bytes;
    memcpy(sp, strings.p, strings.len);
    char *tp = sp + strings.len;
    if (text.len)
        memcpy(tp, text.p, text.len);
    tp[text.len] = '\0';
    v->id = sp;
    sp += strlen(sp) + 1;
    v->title = sp;
    sp += dr.title_len + 1;
    for (uint32_t i = 0; i < dr.nfields; i++) {
        fields[i].name = sp;
        sp += strlen(sp) + 1;
        fields[i].value = sp;
        /* values may hold NUL bytes: their length comes from the record */
        const unsigned char *q = dr.fields;
        uint64_t n = 0;
        for (uint32_t j = 0; j <= i; j++) {
            q = ls_get_varint(q, fend, &n);
            q += n;
            q = ls_get_varint(q, fend, &n);
            if (j < i)
                q += n;
        }
        fields[i].value_len = (size_t)n;
        sp += n + 1;
    }
    v->fields = fields;
    v->nfields = dr.nfields;
    v->text = tp;
    v->text_len = text.len;
    v->passages = count;
    *out = v;
    rc = SRCH_OK;
    goto done;
oom:
    rc = ls_err_set(&err, SRCH_ENOMEM, "out of memory reading '%s'", id);
done:
    ls_buf_free(&raw);
    ls_buf_free(&draw);
    ls_buf_free(&text);
    ls_buf_free(&strings);
    return rc;
}
