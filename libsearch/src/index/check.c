/*
 * check.c - srch_index_check(): verify an index without trusting it.
 *
 * Opening a segment already verifies every checksum and the framing and
 * indexes of its files. This goes through everything else: every term in
 * order, every postings entry (passages in range and increasing, counts
 * matching df, positions increasing, block bounds holding for the entries
 * they cover), the field lengths against the manifest's sums, every stored
 * document and passage against the id table and the id terms, and the
 * deletion bitmaps (whole documents only). It stops at the first fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/manifest.h"
#include "index/segment.h"
#include "util/error.h"

#define FAIL(...) return ls_err_set(err, SRCH_ECORRUPT, __VA_ARGS__)

static int check_postings(const ls_segment *s, const ls_term_iter *it, uint32_t **pos,
                          size_t *cap, uint64_t *id_entries, ls_err *err)
{
    const unsigned char *key = it->key;
    ls_postings p;
    int rc = ls_segment_postings(s, key, &it->ti, &p, err);
    if (rc != SRCH_OK)
        return rc;
    int field = ls_field_norm(key[0]);
    uint32_t count = 0, prev = 0;
    /* block bounds: each entry under one of its block's corners */
    uint32_t blk = 0;
    for (uint32_t d = ls_postings_next(&p); d != LS_NO_DOC; d = ls_postings_next(&p)) {
        uint32_t f = ls_postings_freq(&p);
        if (count && d <= prev)
            FAIL("%s: term %.*s: passages out of order", s->name, (int)it->klen, key);
        prev = d;
        count++;
        if (ls_field_has_positions(key[0])) {
            if (f > *cap) {
                uint32_t *v = realloc(*pos, f * sizeof *v);
                if (!v)
                    return ls_err_set(err, SRCH_ENOMEM, "out of memory checking");
                *pos = v;
                *cap = f;
            }
            if (ls_postings_positions(&p, *pos, f) != (int)f)
                FAIL("%s: term %.*s: malformed positions", s->name, (int)it->klen, key);
            for (uint32_t k = 1; k < f; k++)
                if ((*pos)[k] <= (*pos)[k - 1])
                    FAIL("%s: term %.*s: positions out of order", s->name, (int)it->klen, key);
        }
        if (key[0] == LS_FIELD_ID) {
            if ((uint64_t)d + f > s->meta.npassages)
                FAIL("%s: id %.*s: passages out of range", s->name, (int)it->klen - 1, key + 1);
            (*id_entries)++;
            continue;
        }
        /* (a single entry's length is not stored with it: 0) */
        uint32_t len = it->ti.df > 1 ? ls_segment_norm(s, d, field) : 0xFFFF;
        uint32_t last;
        ls_block_bound bb;
        int end = ls_postings_block_end(&p) || count == it->ti.df;
        if (ls_postings_block_bound(&p, d, &last, &bb) != 0 || (end && last != d) ||
            !ls_block_bound_covers(&bb, f, len))
            FAIL("%s: term %.*s: block %u bound does not hold", s->name, (int)it->klen, key, blk);
        blk += end;
    }
    if (p.corrupt)
        FAIL("%s: term %.*s: malformed postings", s->name, (int)it->klen, key);
    if (count != it->ti.df)
        FAIL("%s: term %.*s: %u entries, df says %u", s->name, (int)it->klen, key, count,
             it->ti.df);
    return SRCH_OK;
}

static int check_segment(const ls_segment *s, const ls_deletes *del, ls_err *err)
{
    /* terms */
    ls_term_iter it;
    unsigned char prev[LS_MAX_TERM_BYTES];
    size_t prev_len = 0;
    uint64_t nterms = 0, nid = 0, id_entries = 0;
    uint32_t *pos = NULL;
    size_t cap = 0;
    int r, rc = SRCH_OK;
    ls_term_iter_seek(&it, &s->td, (const unsigned char *)"", 0);
    while ((r = ls_term_iter_next(&it)) > 0) {
        unsigned char f = it.key[0];
        if (f != LS_FIELD_BODY && f != LS_FIELD_ID && f != LS_FIELD_PAIR && f != LS_FIELD_TITLE &&
            f != LS_FIELD_TITLE_WORD && f != LS_FIELD_WORD) {
            rc = ls_err_set(err, SRCH_ECORRUPT, "%s: term with unknown field %u", s->name, f);
            break;
        }
        if (f == LS_FIELD_PAIR) {   /* two non-empty terms, one space between */
            const unsigned char *sp = memchr(it.key + 1, ' ', it.klen - 1);
            if (!sp || sp == it.key + 1 || sp == it.key + it.klen - 1 ||
                memchr(sp + 1, ' ', (size_t)(it.key + it.klen - sp - 1))) {
                rc = ls_err_set(err, SRCH_ECORRUPT, "%s: malformed pair key %.*s", s->name,
                                (int)it.klen, it.key);
                break;
            }
        }
        size_t l = it.klen < prev_len ? it.klen : prev_len;
        int c = memcmp(prev, it.key, l);
        if (nterms && (c > 0 || (c == 0 && prev_len >= it.klen))) {
            rc = ls_err_set(err, SRCH_ECORRUPT, "%s: terms out of order at %.*s", s->name,
                            (int)it.klen, it.key);
            break;
        }
        memcpy(prev, it.key, it.klen);
        prev_len = it.klen;
        nterms++;
        nid += f == LS_FIELD_ID;
        if ((rc = check_postings(s, &it, &pos, &cap, &id_entries, err)) != SRCH_OK)
            break;
    }
    free(pos);
    if (rc != SRCH_OK)
        return rc;
    if (r < 0)
        FAIL("%s: malformed term dictionary block", s->name);
    if (nterms != s->td.nterms || nid != s->td.nid_terms)
        FAIL("%s: %llu terms, the dictionary says %llu", s->name, (unsigned long long)nterms,
             (unsigned long long)s->td.nterms);
    if (id_entries != s->meta.ndocs)
        FAIL("%s: %llu id entries for %u documents", s->name, (unsigned long long)id_entries,
             s->meta.ndocs);

    /* norms */
    uint64_t sum[LS_NORM_FIELDS] = {0};
    for (uint32_t p = 0; p < s->meta.npassages; p++)
        for (int f = 0; f < LS_NORM_FIELDS; f++)
            sum[f] += ls_segment_norm(s, p, f);
    for (int f = 0; f < LS_NORM_FIELDS; f++)
        if (sum[f] != s->meta.sum_len[f])
            FAIL("%s: field lengths sum to %llu, the manifest says %llu", s->name,
                 (unsigned long long)sum[f], (unsigned long long)s->meta.sum_len[f]);

    /* stored documents and passages, id table, deletions by whole document */
    ls_store_cursor dc, pc;
    ls_store_cursor_init(&dc, &s->store, 1);
    ls_store_cursor_init(&pc, &s->store, 0);
    uint32_t deleted_docs = 0;
    for (uint32_t k = 0; k < s->meta.ndocs && rc == SRCH_OK; k++) {
        ls_doc_rec d;
        if ((rc = ls_store_cursor_doc(&dc, &d, err)) != SRCH_OK)
            break;
        if (d.first_passage != pc.next || d.npassages == 0 ||
            d.npassages > s->meta.npassages - d.first_passage) {
            rc = ls_err_set(err, SRCH_ECORRUPT, "%s: document %u: bad passage range", s->name, k);
            break;
        }
        int dead = ls_deleted(del, d.first_passage);
        deleted_docs += dead;
        for (uint32_t i = 0; i < d.npassages && rc == SRCH_OK; i++) {
            ls_passage_rec pr;
            char id[SRCH_MAX_ID_BYTES + 1];
            size_t id_len;
            uint32_t number, p = pc.next;
            if ((rc = ls_store_cursor_passage(&pc, &pr, err)) != SRCH_OK)
                break;
            if (pr.doc != k || ls_deleted(del, p) != dead)
                rc = ls_err_set(err, SRCH_ECORRUPT, "%s: passage %u: wrong document or partly "
                                "deleted document", s->name, p);
            else if (ls_store_id(&s->store, p, id, sizeof id, &id_len, &number) != SRCH_OK ||
                     id_len != d.id_len || memcmp(id, d.id, id_len) != 0 || number != i + 1)
                rc = ls_err_set(err, SRCH_ECORRUPT, "%s: passage %u: id table disagrees",
                                s->name, p);
        }
    }
    if (rc == SRCH_OK && pc.next != s->meta.npassages)
        rc = ls_err_set(err, SRCH_ECORRUPT, "%s: %u passages belong to documents, %u stored",
                        s->name, pc.next, s->meta.npassages);
    ls_store_cursor_free(&dc);
    ls_store_cursor_free(&pc);
    if (rc == SRCH_OK && deleted_docs != s->meta.ndeleted_docs)
        rc = ls_err_set(err, SRCH_ECORRUPT, "%s: %u deleted documents, the manifest says %u",
                        s->name, deleted_docs, s->meta.ndeleted_docs);
    return rc;
}

SRCH_API int srch_index_check(const char *path)
{
    ls_err err;
    ls_err_clear(&err);
    if (!path)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_index_check: NULL path");
    ls_manifest m;
    int rc = ls_manifest_read_latest(&m, path, &err);
    if (rc != SRCH_OK)
        return rc;
    for (size_t i = 0; i < m.nsegs && rc == SRCH_OK; i++) {
        ls_segment *s;
        ls_deletes *d = NULL;
        if ((rc = ls_segment_open(&s, path, &m.segs[i], LS_MAP_VERIFY, &err)) != SRCH_OK)
            break;
        if ((rc = ls_deletes_read(&d, path, &m.segs[i], &err)) == SRCH_OK)
            rc = check_segment(s, d, &err);
        ls_deletes_unref(d);
        ls_segment_unref(s);
    }
    ls_manifest_free(&m);
    if (rc != SRCH_OK)
        ls_err_set(NULL, rc, "%s", err.msg);
    return rc;
}
