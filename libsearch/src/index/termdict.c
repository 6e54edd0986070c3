/*
 * termdict.c - term dictionary writer, lookup and iteration (termdict.h).
 */
#include "termdict.h"

#include <stdlib.h>
#include <string.h>

#include "util/varint.h"

#define TRAILER_SIZE 28

/* ------------------------------------------------------------------ writer */

void ls_tdw_init(ls_termdict_writer *w, ls_wfile *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
}

void ls_tdw_free(ls_termdict_writer *w)
{
    free(w->idx);
    w->idx = NULL;
}

static int idx_reserve(ls_termdict_writer *w, size_t n)
{
    if (w->idx_len + n <= w->idx_cap)
        return 0;
    size_t cap = w->idx_cap ? w->idx_cap * 2 : 4096;
    while (cap < w->idx_len + n)
        cap *= 2;
    unsigned char *p = realloc(w->idx, cap);
    if (!p)
        return -1;
    w->idx = p;
    w->idx_cap = cap;
    return 0;
}

int ls_tdw_add(ls_termdict_writer *w, const unsigned char *key, size_t klen,
               const ls_term_info *ti)
{
    if (klen == 0 || klen > LS_MAX_TERM_BYTES)
        return ls_err_set(w->f->err, SRCH_EINVAL, "term of %zu bytes", klen);
    if (w->in_block == LS_TERMS_PER_BLOCK)
        w->in_block = 0;
    if (w->in_block == 0) {
        /* new block: an index entry, and the delta bases restart */
        if (idx_reserve(w, klen + 4 * LS_VARINT_MAX) != 0)
            return ls_err_set(w->f->err, SRCH_ENOMEM, "out of memory writing terms");
        unsigned char *p = w->idx + w->idx_len;
        p = ls_put_varint(p, klen);
        memcpy(p, key, klen);
        p += klen;
        p = ls_put_varint(p, ls_wfile_offset(w->f));
        p = ls_put_varint(p, w->prev_doc);
        p = ls_put_varint(p, w->prev_pos);
        w->idx_len = (size_t)(p - w->idx);
        w->prev_len = 0;
        w->nblocks++;
    }
    size_t shared = 0;
    while (shared < klen && shared < w->prev_len && key[shared] == w->prev[shared])
        shared++;
    unsigned char buf[8 * LS_VARINT_MAX], *p = buf;
    p = ls_put_varint(p, shared);
    p = ls_put_varint(p, klen - shared);
    ls_wfile_write(w->f, buf, (size_t)(p - buf));
    ls_wfile_write(w->f, key + shared, klen - shared);
    p = buf;
    p = ls_put_varint(p, ti->df);
    if (ti->df == 1) {
        p = ls_put_varint(p, ti->single_doc);
        p = ls_put_varint(p, ti->single_freq);
    } else {
        p = ls_put_varint(p, ti->doc_off - w->prev_doc);
        w->prev_doc = ti->doc_off;
    }
    if (ls_field_has_positions(key[0])) {
        p = ls_put_varint(p, ti->pos_off - w->prev_pos);
        w->prev_pos = ti->pos_off;
    }
    if (key[0] == LS_FIELD_WORD)
        p = ls_put_varint(p, ti->stem_len);
    ls_wfile_write(w->f, buf, (size_t)(p - buf));
    memcpy(w->prev, key, klen);
    w->prev_len = klen;
    w->in_block++;
    w->nterms++;
    if (key[0] == LS_FIELD_ID)
        w->nid_terms++;
    return w->f->rc;
}

int ls_tdw_append(ls_termdict_writer *w, const ls_termdict_writer *h, uint64_t off_base,
                  uint64_t doc_base, uint64_t pos_base)
{
    if (h->nblocks == 0)
        return w->f->rc;
    /* h's index entries, their offsets moved; its first key follows w's
     * last (the caller's order), so the blocks stay in key order */
    if (idx_reserve(w, h->idx_len + 3 * (size_t)h->nblocks * LS_VARINT_MAX) != 0)
        return ls_err_set(w->f->err, SRCH_ENOMEM, "out of memory writing terms");
    const unsigned char *p = h->idx, *end = h->idx + h->idx_len;
    unsigned char *o = w->idx + w->idx_len;
    for (uint32_t b = 0; b < h->nblocks; b++) {
        uint64_t klen, off, doc, pos;
        if (!(p = ls_get_varint(p, end, &klen)) || klen > (uint64_t)(end - p))
            return ls_err_set(w->f->err, SRCH_ERROR, "term index of a half is malformed");
        o = ls_put_varint(o, klen);
        memcpy(o, p, klen);
        o += klen;
        p += klen;
        if (!(p = ls_get_varint(p, end, &off)) || !(p = ls_get_varint(p, end, &doc)) ||
            !(p = ls_get_varint(p, end, &pos)))
            return ls_err_set(w->f->err, SRCH_ERROR, "term index of a half is malformed");
        o = ls_put_varint(o, off + off_base);
        o = ls_put_varint(o, doc + doc_base);
        o = ls_put_varint(o, pos + pos_base);
    }
    w->idx_len = (size_t)(o - w->idx);
    w->nblocks += h->nblocks;
    w->nterms += h->nterms;
    w->nid_terms += h->nid_terms;
    /* a later key starts a block of its own, from h's last offsets */
    w->in_block = LS_TERMS_PER_BLOCK;
    memcpy(w->prev, h->prev, h->prev_len);
    w->prev_len = h->prev_len;
    w->prev_doc = h->prev_doc + doc_base;
    w->prev_pos = h->prev_pos + pos_base;
    return w->f->rc;
}

int ls_tdw_finish(ls_termdict_writer *w)
{
    uint64_t index_off = ls_wfile_offset(w->f);
    ls_wfile_write(w->f, w->idx, w->idx_len);
    ls_wfile_u64(w->f, index_off);
    ls_wfile_u32(w->f, w->nblocks);
    ls_wfile_u64(w->f, w->nterms);
    ls_wfile_u64(w->f, w->nid_terms);
    return w->f->rc;
}

/* ------------------------------------------------------------------ reader */

void ls_termdict_close(ls_termdict *td)
{
    free(td->first);
    free(td->first_len);
    free(td->first8);
    free(td->block_off);
    memset(td, 0, sizeof *td);
}

/* The first 8 bytes of a key as a big-endian number, zero-padded: keys in
 * byte order have these in numeric order (ties need the whole keys). */
static inline uint64_t key8(const unsigned char *k, size_t klen)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = v << 8 | (i < klen ? k[i] : 0);
    return v;
}

int ls_termdict_open(ls_termdict *td, const ls_map *m, ls_err *err)
{
    memset(td, 0, sizeof *td);
    td->map = m;
    if (m->body_len < TRAILER_SIZE)
        return ls_err_set(err, SRCH_ECORRUPT, "term dictionary too short");
    const unsigned char *t = m->body + m->body_len - TRAILER_SIZE;
    td->index_off = ls_get_u64(t);
    td->nblocks = ls_get_u32(t + 8);
    td->nterms = ls_get_u64(t + 12);
    td->nid_terms = ls_get_u64(t + 20);
    uint64_t body_start = LS_HEADER_SIZE, idx_end = LS_HEADER_SIZE + m->body_len - TRAILER_SIZE;
    if (td->index_off < body_start || td->index_off > idx_end || td->nid_terms > td->nterms ||
        td->nblocks > td->nterms || (td->nterms + LS_TERMS_PER_BLOCK - 1) / LS_TERMS_PER_BLOCK > td->nblocks)
        return ls_err_set(err, SRCH_ECORRUPT, "term dictionary trailer is inconsistent");
    size_t n = td->nblocks ? td->nblocks : 1;
    td->first = calloc(n, sizeof *td->first);
    td->first_len = calloc(n, sizeof *td->first_len);
    td->first8 = calloc(n, sizeof *td->first8);
    td->block_off = calloc(3 * n, sizeof *td->block_off);
    if (!td->first || !td->first_len || !td->first8 || !td->block_off) {
        ls_termdict_close(td);
        return ls_err_set(err, SRCH_ENOMEM, "out of memory reading the term index");
    }
    td->doc_base = td->block_off + n;
    td->pos_base = td->block_off + 2 * n;
    const unsigned char *p = m->data + td->index_off, *end = m->data + idx_end;
    for (uint32_t b = 0; b < td->nblocks; b++) {
        uint64_t klen;
        if (!(p = ls_get_varint(p, end, &klen)) || klen == 0 || klen > LS_MAX_TERM_BYTES ||
            klen > (uint64_t)(end - p))
            goto corrupt;
        td->first[b] = p;
        td->first_len[b] = (uint16_t)klen;
        td->first8[b] = key8(p, klen);
        p += klen;
        if (!(p = ls_get_varint(p, end, &td->block_off[b])) ||
            !(p = ls_get_varint(p, end, &td->doc_base[b])) ||
            !(p = ls_get_varint(p, end, &td->pos_base[b])))
            goto corrupt;
        if (td->block_off[b] < body_start || td->block_off[b] >= td->index_off ||
            (b > 0 && td->block_off[b] <= td->block_off[b - 1]))
            goto corrupt;
        if (b > 0) {
            size_t l = td->first_len[b] < td->first_len[b - 1] ? td->first_len[b] : td->first_len[b - 1];
            int c = memcmp(td->first[b - 1], td->first[b], l);
            if (c > 0 || (c == 0 && td->first_len[b - 1] >= td->first_len[b]))
                goto corrupt;
        }
    }
    if (p != end || (td->nblocks == 0 && td->index_off != body_start))
        goto corrupt;
    return SRCH_OK;
corrupt:
    ls_termdict_close(td);
    return ls_err_set(err, SRCH_ECORRUPT, "term dictionary index is malformed");
}

/* Is block b's first key <= key (k8: key8(key))? */
static inline int first_le(const ls_termdict *td, int64_t b, const unsigned char *key, size_t klen,
                           uint64_t k8)
{
    uint64_t f8 = td->first8[b];
    return f8 < k8 || (f8 == k8 && ls_key_cmp(td->first[b], td->first_len[b], key, klen) <= 0);
}

/* The last block whose first key <= key, or -1. */
static int64_t find_block(const ls_termdict *td, const unsigned char *key, size_t klen)
{
    int64_t lo = 0, hi = (int64_t)td->nblocks - 1, found = -1;
    uint64_t k8 = key8(key, klen);
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (first_le(td, mid, key, klen, k8)) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

static void iter_enter_block(ls_term_iter *it, uint32_t b)
{
    const ls_termdict *td = it->td;
    it->block = b;
    if (b >= td->nblocks) {
        it->p = it->end = NULL;
        return;
    }
    uint64_t end = b + 1 < td->nblocks ? td->block_off[b + 1] : td->index_off;
    it->p = td->map->data + td->block_off[b];
    it->end = td->map->data + end;
    it->prev_doc = td->doc_base[b];
    it->prev_pos = td->pos_base[b];
    it->klen = 0;
}

/* Decode the next entry of the current block into it->key/ti. */
static int iter_decode(ls_term_iter *it)
{
    const unsigned char *p = it->p, *end = it->end;
    uint64_t shared, suffix, df, a, b;
    if (!(p = ls_get_varint(p, end, &shared)) || !(p = ls_get_varint(p, end, &suffix)) ||
        shared > it->klen || suffix > (uint64_t)(end - p) || shared + suffix == 0 ||
        shared + suffix > LS_MAX_TERM_BYTES)
        return -1;
    memcpy(it->key + shared, p, suffix);
    it->klen = shared + suffix;
    p += suffix;
    memset(&it->ti, 0, sizeof it->ti);
    if (!(p = ls_get_varint(p, end, &df)) || df == 0 || df > UINT32_MAX)
        return -1;
    it->ti.df = (uint32_t)df;
    if (df == 1) {
        if (!(p = ls_get_varint(p, end, &a)) || !(p = ls_get_varint(p, end, &b)) ||
            a > UINT32_MAX || b == 0 || b > UINT32_MAX)
            return -1;
        it->ti.single_doc = (uint32_t)a;
        it->ti.single_freq = (uint32_t)b;
    } else {
        if (!(p = ls_get_varint(p, end, &a)) || a > UINT64_MAX - it->prev_doc)
            return -1;
        it->prev_doc += a;
        it->ti.doc_off = it->prev_doc;
    }
    if (ls_field_has_positions(it->key[0])) {
        if (!(p = ls_get_varint(p, end, &a)) || a > UINT64_MAX - it->prev_pos)
            return -1;
        it->prev_pos += a;
        it->ti.pos_off = it->prev_pos;
    }
    if (it->key[0] == LS_FIELD_WORD) {
        if (!(p = ls_get_varint(p, end, &a)) || a >= it->klen)
            return -1;
        it->ti.stem_len = (uint32_t)a;
    }
    it->p = p;
    return 0;
}

int ls_term_iter_next(ls_term_iter *it)
{
    if (it->corrupt)
        return -1;
    while (it->p == it->end) {
        if (!it->p || it->block + 1 >= it->td->nblocks) {
            it->p = it->end = NULL;
            return 0;
        }
        iter_enter_block(it, it->block + 1);
    }
    if (iter_decode(it) != 0) {
        it->corrupt = 1;
        return -1;
    }
    return 1;
}

void ls_term_iter_seek(ls_term_iter *it, const ls_termdict *td, const unsigned char *key,
                       size_t klen)
{
    memset(it, 0, sizeof *it);
    it->td = td;
    if (td->nblocks == 0) {
        it->p = it->end = NULL;
        return;
    }
    int64_t b = find_block(td, key, klen);
    iter_enter_block(it, b < 0 ? 0 : (uint32_t)b);
    if (b < 0)
        return;
    /* skip the entries before key; keep the iterator just before it */
    for (;;) {
        const unsigned char *save_p = it->p;
        uint64_t save_doc = it->prev_doc, save_pos = it->prev_pos;
        unsigned char save_key[LS_MAX_TERM_BYTES];
        size_t save_len = it->klen;
        if (it->p == it->end)
            return;   /* key is after this block: next() enters the next block */
        memcpy(save_key, it->key, it->klen);
        if (iter_decode(it) != 0) {
            it->corrupt = 1;
            return;
        }
        if (ls_key_cmp(it->key, it->klen, key, klen) >= 0) {
            it->p = save_p;
            it->prev_doc = save_doc;
            it->prev_pos = save_pos;
            memcpy(it->key, save_key, save_len);
            it->klen = save_len;
            return;
        }
    }
}

/* Look key up in block b. */
static int scan_block(const ls_termdict *td, int64_t b, const unsigned char *key, size_t klen,
                      ls_term_info *ti)
{
    /* Scan the block without rebuilding its keys: m is the length of the
     * common prefix of the previous entry and key (previous < key). An
     * entry sharing more than m bytes with the previous one is below key
     * too; one sharing fewer is above it (its byte at `shared` is greater
     * than the previous entry's, which is key's); only shared == m needs
     * its suffix compared. */
    uint64_t end = (uint64_t)b + 1 < td->nblocks ? td->block_off[b + 1] : td->index_off;
    const unsigned char *p = td->map->data + td->block_off[b], *e = td->map->data + end;
    uint64_t prev_doc = td->doc_base[b], prev_pos = td->pos_base[b];
    size_t m = 0, prev_len = 0;
    int first = 1, pos = 0, word = 0;
    while (p != e) {
        uint64_t shared, suffix, df, x, y;
        if (!(p = ls_get_varint(p, e, &shared)) || !(p = ls_get_varint(p, e, &suffix)) ||
            shared > prev_len || suffix > (uint64_t)(e - p) || shared + suffix == 0 ||
            shared + suffix > LS_MAX_TERM_BYTES || (first && shared != 0))
            return -1;
        const unsigned char *suf = p;
        size_t len = shared + suffix;
        p += suffix;
        if (shared == 0) {   /* a new first byte: the entry's field */
            pos = ls_field_has_positions(suf[0]);
            word = suf[0] == LS_FIELD_WORD;
        }
        first = 0;
        int c;   /* entry vs key */
        if (shared > m) {
            c = -1;
        } else if (shared < m) {
            return 0;
        } else {
            /* entry[0..m) == key[0..m); compare the rest */
            size_t i = 0, kl = klen - m;
            const unsigned char *k = key + m;
            while (i < suffix && i < kl && suf[i] == k[i])
                i++;
            if (i < suffix && i < kl)
                c = suf[i] < k[i] ? -1 : 1;
            else
                c = (suffix > kl) - (suffix < kl);
            if (c < 0)
                m += i;
        }
        prev_len = len;
        if (!(p = ls_get_varint(p, e, &df)) || df == 0 || df > UINT32_MAX)
            return -1;
        ls_term_info t = {0};
        t.df = (uint32_t)df;
        if (df == 1) {
            if (!(p = ls_get_varint(p, e, &x)) || !(p = ls_get_varint(p, e, &y)) ||
                x > UINT32_MAX || y == 0 || y > UINT32_MAX)
                return -1;
            t.single_doc = (uint32_t)x;
            t.single_freq = (uint32_t)y;
        } else {
            if (!(p = ls_get_varint(p, e, &x)) || x > UINT64_MAX - prev_doc)
                return -1;
            prev_doc += x;
            t.doc_off = prev_doc;
        }
        if (pos) {
            if (!(p = ls_get_varint(p, e, &x)) || x > UINT64_MAX - prev_pos)
                return -1;
            prev_pos += x;
            t.pos_off = prev_pos;
        }
        if (word) {
            if (!(p = ls_get_varint(p, e, &x)) || x >= len)
                return -1;
            t.stem_len = (uint32_t)x;
        }
        if (c == 0) {
            *ti = t;
            return 1;
        }
        if (c > 0)
            return 0;
    }
    return 0;
}

int ls_termdict_get(const ls_termdict *td, const unsigned char *key, size_t klen,
                    ls_term_info *ti)
{
    if (td->nblocks == 0 || klen == 0 || klen > LS_MAX_TERM_BYTES)
        return 0;
    int64_t b = find_block(td, key, klen);
    if (b < 0)
        return 0;
    return scan_block(td, b, key, klen, ti);
}

int ls_termdict_get_batch(const ls_termdict *td, const unsigned char *const *keys,
                          const size_t *klens, size_t n, ls_term_info *ti, signed char *found)
{
    enum { MAXB = 64 };
    int64_t lo[MAXB], hi[MAXB], blk[MAXB];
    uint64_t k8[MAXB];
    int rc = 0;
    for (size_t off = 0; off < n; off += MAXB) {
        size_t m = n - off < MAXB ? n - off : MAXB;
        const unsigned char *const *ks = keys + off;
        const size_t *kl = klens + off;
        int active = 0;
        for (size_t i = 0; i < m; i++) {
            blk[i] = -1;
            lo[i] = 0;
            hi[i] = td->nblocks == 0 || kl[i] == 0 || kl[i] > LS_MAX_TERM_BYTES
                        ? -1
                        : (int64_t)td->nblocks - 1;
            k8[i] = key8(ks[i], kl[i]);
            active += lo[i] <= hi[i];
        }
        /* the binary searches of every key in lockstep: each round loads
         * all their probes at once */
        while (active) {
            for (size_t i = 0; i < m; i++)
                if (lo[i] <= hi[i])
                    __builtin_prefetch(&td->first8[lo[i] + (hi[i] - lo[i]) / 2]);
            active = 0;
            for (size_t i = 0; i < m; i++) {
                if (lo[i] > hi[i])
                    continue;
                int64_t mid = lo[i] + (hi[i] - lo[i]) / 2;
                if (first_le(td, mid, ks[i], kl[i], k8[i])) {
                    blk[i] = mid;
                    lo[i] = mid + 1;
                } else {
                    hi[i] = mid - 1;
                }
                active += lo[i] <= hi[i];
            }
        }
        for (size_t i = 0; i < m; i++)
            if (blk[i] >= 0) {
                const unsigned char *bp = td->map->data + td->block_off[blk[i]];
                __builtin_prefetch(bp);
                __builtin_prefetch(bp + 64);
                __builtin_prefetch(bp + 128);
            }
        for (size_t i = 0; i < m; i++) {
            int f = blk[i] < 0 ? 0 : scan_block(td, blk[i], ks[i], kl[i], &ti[off + i]);
            found[off + i] = (signed char)f;
            if (f < 0)
                rc = -1;
        }
    }
    return rc;
}
