/*
 * postings.c - postings writer and iterator (format in postings.h and
 * docs/FORMAT.md).
 */
#include "postings.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/varint.h"

#define HEADER_FIXED 12      /* u32 last_doc + 4 x u16 */
#define SKIP_SIZE 16
#define SHORT_BLOCK 0xFF     /* a block's first byte: fewer than 128 entries, as varints */
#define SHORT_LIST 0x80000000u   /* in the header's last passage: the blocks are counted */

static inline uint16_t sat16(uint32_t v)
{
    return v > 0xFFFF ? 0xFFFF : (uint16_t)v;
}

/* The end of the n varints from q (q itself for none), or NULL when end
 * comes first: count the bytes below 0x80 (the varints' last bytes),
 * eight at a time while a word holds fewer of them than are left. */
static const unsigned char *skip_varints(const unsigned char *q, const unsigned char *end,
                                         uint64_t n)
{
    while (n >= 8 && end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        /* one bit per byte that ends a varint, summed by a multiply */
        uint64_t ends = (((~w & 0x8080808080808080ull) >> 7) * 0x0101010101010101ull) >> 56;
        if (ends > n)
            break;
        n -= ends;
        q += 8;
    }
    while (n && q < end)
        n -= *q++ < 0x80;
    return n ? NULL : q;
}

/* ------------------------------------------------------------------ writer */

void ls_pw_init(ls_postings_writer *w, ls_wfile *doc, ls_wfile *pos)
{
    memset(w, 0, sizeof *w);
    w->doc = doc;
    w->pos = pos;
}

void ls_pw_free(ls_postings_writer *w)
{
    free(w->skips);
    w->skips = NULL;
}

/* ---- block bounds ---- */

static void blk_reset(ls_postings_writer *w)
{
    for (int t = 0; t < LS_BOUND_TFS; t++)
        w->blk_len[t] = 0xFFFF;
    w->blk_have = 0;
    w->blk_big_tf = 0;
    w->blk_big_len = 0xFFFF;
}

/* The pending block holds entries under (tf, len). */
static void blk_take(ls_postings_writer *w, uint16_t tf, uint16_t len)
{
    if (tf < LS_BOUND_TFS) {
        tf = tf ? tf : 1;
        if (len < w->blk_len[tf])
            w->blk_len[tf] = len;
        w->blk_have |= (uint16_t)(1u << tf);
    } else {
        if (tf > w->blk_big_tf)
            w->blk_big_tf = tf;
        if (len < w->blk_big_len)
            w->blk_big_len = len;
    }
}

/* One corner over the pending block: (largest tf, least length). */
static void blk_corner(const ls_postings_writer *w, uint16_t *tf, uint16_t *len)
{
    *tf = w->blk_big_tf;
    *len = w->blk_big_len;
    for (int t = 1; t < LS_BOUND_TFS; t++)
        if (w->blk_have >> t & 1) {
            if (t > *tf)
                *tf = (uint16_t)t;
            if (w->blk_len[t] < *len)
                *len = w->blk_len[t];
        }
}

/* BM25's tf part at the default k1 = 1.2, b = 0.75 (to compare corners). */
static double corner_score(double tf, double len, double avglen)
{
    return tf / (tf + 1.2 * (0.25 + 0.75 * len / avglen));
}

/* The pending block's two corners: its staircase (the (tf, length) pairs
 * no other entry has both a larger tf and a smaller length than) cut in
 * two, where that gives the least bound for a field of average length
 * w->len_hint. As stored: a byte each. */
static void blk_cover(const ls_postings_writer *w, ls_block_bound *b)
{
    uint16_t tf[LS_BOUND_TFS + 1], len[LS_BOUND_TFS + 1];
    int m = 0;
    /* the staircase from the largest tf down: each step a smaller length */
    uint16_t least = 0xFFFF;
    if (w->blk_big_tf) {
        tf[m] = w->blk_big_tf;
        len[m++] = least = w->blk_big_len;
    }
    for (int t = LS_BOUND_TFS - 1; t >= 1; t--)
        if ((w->blk_have >> t & 1) && (m == 0 || w->blk_len[t] < least)) {
            tf[m] = (uint16_t)t;
            len[m++] = least = w->blk_len[t];
        }
    if (m == 0) {   /* (no entry: not written) */
        tf[m] = 0;
        len[m++] = 0xFFFF;
    }
    /* steps m-1 (least tf) .. 0 (largest tf); a cut after step k: corners
     * (tf[k + 1], len[m - 1]) and (tf[0], len[k]) */
    b->tf[0] = b->tf[1] = tf[0];
    b->len[0] = b->len[1] = len[m - 1];
    double best = corner_score(tf[0], len[m - 1], w->len_hint);
    for (int k = 0; k + 1 < m; k++) {
        double lo = corner_score(tf[k + 1], len[m - 1], w->len_hint);
        double hi = corner_score(tf[0], len[k], w->len_hint);
        double v = lo > hi ? lo : hi;
        if (v < best) {
            best = v;
            b->tf[0] = tf[k + 1];
            b->len[0] = len[m - 1];
            b->tf[1] = tf[0];
            b->len[1] = len[k];
        }
    }
}

void ls_pw_begin(ls_postings_writer *w, int with_pos)
{
    w->with_pos = with_pos && w->pos;
    w->df = 0;
    w->prev = UINT32_MAX;
    w->data_start = ls_wfile_offset(w->doc);
    w->pos_start = w->with_pos ? ls_wfile_offset(w->pos) : 0;
    w->max_tf = 0;
    w->min_len = 0xFFFF;
    blk_reset(w);
    w->len_hint = 10;
    w->n = 0;
    w->nskips = 0;
    w->has_short = 0;
}

static inline unsigned char bound_tf_byte(uint16_t tf)
{
    return tf >= 255 ? 255 : (unsigned char)tf;
}

static inline unsigned char bound_len_byte(uint16_t len)
{
    return len >= 255 ? 255 : (unsigned char)len;
}

static void get_bound(const unsigned char *e, ls_block_bound *b)
{
    for (int k = 0; k < 2; k++) {
        b->tf[k] = e[2 * k] == 255 ? 0xFFFF : e[2 * k];
        b->len[k] = e[2 * k + 1];
    }
}

/* A skip entry: a block of last passage `last`, ending at doc_end and
 * pos_end (offsets in the term's data), with its bound. */
static int put_skip(ls_postings_writer *w, uint32_t last, uint64_t doc_end, uint64_t pos_end,
                    const ls_block_bound *b)
{
    if (doc_end > UINT32_MAX || pos_end > UINT32_MAX)
        return ls_err_set(w->doc->err, SRCH_ELIMIT, "postings of one term exceed 4 GiB");
    if (w->nskips == w->skips_cap) {
        size_t cap = w->skips_cap ? w->skips_cap * 2 : 64;
        unsigned char *s = realloc(w->skips, cap * SKIP_SIZE);
        if (!s)
            return ls_err_set(w->doc->err, SRCH_ENOMEM, "out of memory writing postings");
        w->skips = s;
        w->skips_cap = cap;
    }
    unsigned char *e = w->skips + w->nskips++ * SKIP_SIZE;
    ls_put_u32(e, last);
    ls_put_u32(e + 4, (uint32_t)doc_end);
    ls_put_u32(e + 8, (uint32_t)pos_end);
    for (int k = 0; k < 2; k++) {
        e[12 + 2 * k] = bound_tf_byte(b->tf[k]);
        e[13 + 2 * k] = bound_len_byte(b->len[k]);
    }
    return SRCH_OK;
}

/* A skip entry for the pending block, which ends here (the files' offsets
 * now); the next block starts empty. */
static int add_skip(ls_postings_writer *w, uint32_t last)
{
    uint64_t doc_end = ls_wfile_offset(w->doc) - w->data_start;
    uint64_t pos_end = w->with_pos ? ls_wfile_offset(w->pos) - w->pos_start : 0;
    ls_block_bound b;
    blk_cover(w, &b);
    blk_reset(w);
    return put_skip(w, last, doc_end, pos_end, &b);
}

/* The pending entries' varints (a tail, or a short block's). */
static void put_entries(ls_postings_writer *w)
{
    for (int i = 0; i < w->n; i++) {
        uint32_t delta = w->deltas[i] + 1, freq = w->freqs[i] + 1;
        ls_wfile_varint(w->doc, (uint64_t)delta << 1 | (freq == 1));
        if (freq != 1)
            ls_wfile_varint(w->doc, freq);
    }
}

static int flush_block(ls_postings_writer *w)
{
    unsigned bd = ls_bits_needed(w->deltas, LS_BLOCK);
    unsigned bf = ls_bits_needed(w->freqs, LS_BLOCK);
    unsigned char *p = w->packed;
    *p++ = (unsigned char)bd;
    *p++ = (unsigned char)bf;
    ls_pack128(w->deltas, bd, p);
    p += 16 * bd;
    ls_pack128(w->freqs, bf, p);
    p += 16 * bf;
    int rc = ls_wfile_write(w->doc, w->packed, (size_t)(p - w->packed));
    if (rc != SRCH_OK || (rc = add_skip(w, w->prev)) != SRCH_OK)
        return rc;
    w->n = 0;
    return SRCH_OK;
}

/* The list's bound widened to cover (tf, len). */
static void widen_list(ls_postings_writer *w, uint16_t tf, uint16_t len)
{
    if (tf > w->max_tf)
        w->max_tf = tf;
    if (len < w->min_len)
        w->min_len = len;
}

/* Entries just added bound by (tf, len): the pending block's and the
 * list's bounds widened; the block written if it is full. */
static int take_bound(ls_postings_writer *w, uint16_t tf, uint16_t len)
{
    blk_take(w, tf, len);
    widen_list(w, tf, len);
    if (w->n == LS_BLOCK)
        return flush_block(w);
    return w->doc->rc;
}

/* The entry's passage and frequency, once its positions are written. */
static int add_entry(ls_postings_writer *w, uint32_t doc, uint32_t freq, uint32_t len)
{
    if (w->df == 0) {
        w->first_doc = doc;
        w->first_freq = freq;
    }
    w->deltas[w->n] = doc - w->prev - 1;   /* prev starts at -1 */
    w->freqs[w->n] = freq - 1;
    w->n++;
    w->df++;
    w->prev = doc;
    return take_bound(w, sat16(freq), sat16(len));
}

int ls_pw_add(ls_postings_writer *w, uint32_t doc, uint32_t freq, const uint32_t *positions,
              uint32_t len)
{
    if (w->with_pos) {
        uint32_t last = 0;
        for (uint32_t i = 0; i < freq; i++) {
            ls_wfile_varint(w->pos, i ? positions[i] - last : positions[i]);
            last = positions[i];
        }
    }
    return add_entry(w, doc, freq, len);
}

int ls_pw_add_raw(ls_postings_writer *w, uint32_t doc, uint32_t freq, const unsigned char *pos,
                  size_t pos_len, uint32_t len)
{
    if (w->with_pos && pos_len)
        ls_wfile_write(w->pos, pos, pos_len);
    return add_entry(w, doc, freq, len);
}

int ls_pw_add_block(ls_postings_writer *w, const ls_postings *p, uint32_t base,
                    const unsigned char *pos, size_t pos_len, const ls_block_bound *bound)
{
    if (w->doc->rc != SRCH_OK || p->n <= 0)
        return w->doc->rc;
    if (w->n + p->n > LS_BLOCK || (w->df && p->docs[0] + base <= w->prev))
        return ls_err_set(w->doc->err, SRCH_EINVAL, "postings block does not fit");
    if (w->with_pos && pos_len)
        ls_wfile_write(w->pos, pos, pos_len);
    if (w->df == 0) {
        w->first_doc = p->docs[0] + base;
        w->first_freq = p->freqs[0];
    }
    uint32_t prev = w->prev;
    for (int i = 0; i < p->n; i++) {
        uint32_t doc = p->docs[i] + base;
        w->deltas[w->n + i] = doc - prev - 1;   /* prev starts at -1 */
        w->freqs[w->n + i] = p->freqs[i] - 1;
        prev = doc;
    }
    w->prev = prev;
    w->n += p->n;
    w->df += (uint32_t)p->n;
    /* the list's bound widened by both corners, the block's by each */
    uint16_t tf, len;
    ls_block_bound_corner(bound, &tf, &len);
    widen_list(w, tf, len);
    blk_take(w, bound->tf[0], bound->len[0]);
    return take_bound(w, bound->tf[1], bound->len[1]);
}

int ls_pw_cut(ls_postings_writer *w)
{
    if (w->n == 0 || w->n == LS_BLOCK)
        return w->doc->rc;
    /* packed as a full block would be, the values past n zero, and only
     * the bytes that hold the first n kept */
    for (int i = w->n; i < LS_BLOCK; i++)
        w->deltas[i] = w->freqs[i] = 0;
    unsigned bd = ls_bits_needed(w->deltas, LS_BLOCK);
    unsigned bf = ls_bits_needed(w->freqs, LS_BLOCK);
    unsigned char h[4] = {SHORT_BLOCK, (unsigned char)(w->n - 1), (unsigned char)bd,
                          (unsigned char)bf};
    ls_wfile_write(w->doc, h, 4);
    ls_pack128(w->deltas, bd, w->packed);
    ls_wfile_write(w->doc, w->packed, ((size_t)w->n * bd + 7) / 8);
    ls_pack128(w->freqs, bf, w->packed);
    ls_wfile_write(w->doc, w->packed, ((size_t)w->n * bf + 7) / 8);
    int rc = add_skip(w, w->prev);
    if (rc != SRCH_OK)
        return rc;
    w->n = 0;
    w->has_short = 1;
    return w->doc->rc;
}

/* The entries of block b of p (the block's first byte tells a short one). */
static uint32_t block_entries(const ls_postings *p, uint32_t b)
{
    uint32_t start = b ? ls_get_u32(p->skip + (size_t)(b - 1) * SKIP_SIZE + 4) : 0;
    const unsigned char *s = p->data + start;
    return s[0] == SHORT_BLOCK ? (uint32_t)s[1] + 1 : LS_BLOCK;
}

int ls_pw_copy_blocks(ls_postings_writer *w, const ls_postings *p, uint32_t from, uint32_t to,
                      uint32_t base)
{
    if (w->doc->rc != SRCH_OK || from >= to || to > p->nfull)
        return w->doc->rc;
    int rc = ls_pw_cut(w);
    if (rc != SRCH_OK)
        return rc;
    const unsigned char *skip = p->skip;
    uint32_t dstart = from ? ls_get_u32(skip + (size_t)(from - 1) * SKIP_SIZE + 4) : 0;
    uint32_t pstart = from ? ls_get_u32(skip + (size_t)(from - 1) * SKIP_SIZE + 8) : 0;
    uint32_t dend = ls_get_u32(skip + (size_t)(to - 1) * SKIP_SIZE + 4);
    uint32_t pend = ls_get_u32(skip + (size_t)(to - 1) * SKIP_SIZE + 8);
    if (dend < dstart || dend > (size_t)(p->data_end - p->data) ||
        (w->with_pos && (!p->with_pos || pend < pstart ||
                         pend > (size_t)(p->pos_limit - p->pos_base))))
        return ls_err_set(w->doc->err, SRCH_ECORRUPT, "postings blocks out of range");
    uint64_t out_d = ls_wfile_offset(w->doc) - w->data_start;
    uint64_t out_p = w->with_pos ? ls_wfile_offset(w->pos) - w->pos_start : 0;
    ls_wfile_write(w->doc, p->data + dstart, dend - dstart);
    if (w->with_pos)
        ls_wfile_write(w->pos, p->pos_base + pstart, pend - pstart);
    for (uint32_t b = from; b < to; b++) {
        const unsigned char *e = skip + (size_t)b * SKIP_SIZE;
        uint64_t d_end = out_d + (ls_get_u32(e + 4) - dstart);
        uint64_t p_end = w->with_pos ? out_p + (ls_get_u32(e + 8) - pstart) : 0;
        uint32_t last = ls_get_u32(e) + base;
        ls_block_bound bb;
        get_bound(e + 12, &bb);
        if ((rc = put_skip(w, last, d_end, p_end, &bb)) != SRCH_OK)
            return rc;
        uint16_t tf, len;
        ls_block_bound_corner(&bb, &tf, &len);
        uint32_t n = block_entries(p, b);
        if (w->df == 0) {   /* (not used: a list of more than one entry) */
            w->first_doc = last;
            w->first_freq = 1;
        }
        w->df += n;
        w->prev = last;
        widen_list(w, tf, len);
        w->has_short |= n != LS_BLOCK;
    }
    return w->doc->rc;
}

int ls_pw_end(ls_postings_writer *w, ls_term_info *ti)
{
    memset(ti, 0, sizeof *ti);
    ti->df = w->df;
    ti->pos_off = w->pos_start;
    if (w->df == 1) {
        ti->single_doc = w->first_doc;
        ti->single_freq = w->first_freq;
        return w->doc->rc;
    }
    /* the tail: entries of the pending partial block as varints */
    put_entries(w);
    uint64_t header = ls_wfile_offset(w->doc);
    unsigned char h[HEADER_FIXED];
    /* the last passage's top bit (passages stay below 2^31) says that the
     * blocks and the tail are counted after the bounds: with short blocks,
     * they do not follow from df */
    ls_put_u32(h, w->prev | (w->has_short ? SHORT_LIST : 0));
    ls_put_u16(h + 4, w->max_tf);
    ls_put_u16(h + 6, w->min_len);
    uint16_t tail_tf, tail_len;
    blk_corner(w, &tail_tf, &tail_len);
    ls_put_u16(h + 8, tail_tf);
    ls_put_u16(h + 10, w->n ? tail_len : 0xFFFF);
    ls_wfile_varint(w->doc, header - w->data_start);
    ls_wfile_write(w->doc, h, sizeof h);
    if (w->has_short) {
        ls_wfile_varint(w->doc, w->nskips);
        ls_wfile_varint(w->doc, (uint64_t)w->n);
    }
    ls_wfile_write(w->doc, w->skips, w->nskips * SKIP_SIZE);
    ti->doc_off = header;
    return w->doc->rc;
}

/* ------------------------------------------------------------------ reader */

int ls_postings_open(ls_postings *p, const ls_term_info *ti, const ls_map *doc_map,
                     const ls_map *pos_map, uint32_t ndocs, int with_pos, ls_err *err)
{
    /* all but the block's arrays, which load_block() fills before use */
    memset(p, 0, offsetof(ls_postings, docs));
    p->pos_ptr = p->pos_next = NULL;
    p->pos_i = 0;
    p->corrupt = 0;
    p->df = ti->df;
    p->ndocs = ndocs;
    p->with_pos = with_pos;
    p->doc = LS_NO_DOC;
    if (with_pos) {
        if (ti->pos_off < LS_HEADER_SIZE || ti->pos_off > LS_HEADER_SIZE + pos_map->body_len)
            return ls_err_set(err, SRCH_ECORRUPT, "positions offset %llu out of range",
                              (unsigned long long)ti->pos_off);
        p->pos_base = pos_map->data + ti->pos_off;
        p->pos_limit = pos_map->body + pos_map->body_len;
    }
    if (ti->df == 0)
        return ls_err_set(err, SRCH_ECORRUPT, "term with no postings");
    if (ti->df == 1) {
        if (ti->single_doc >= ndocs || ti->single_freq == 0)
            return ls_err_set(err, SRCH_ECORRUPT, "postings entry out of range");
        p->docs[0] = ti->single_doc;
        p->freqs[0] = ti->single_freq;
        p->n = 1;
        p->loaded = 1;
        p->freqs_ready = 1;
        p->last_doc = ti->single_doc;
        p->max_tf = p->tail_max_tf = sat16(ti->single_freq);
        p->min_len = p->tail_min_len = 0;   /* the length is not known here */
        p->pos_ptr = p->pos_base;
        p->pos_next = NULL;
        return SRCH_OK;
    }
    const unsigned char *lo = doc_map->body, *hi = doc_map->body + doc_map->body_len;
    if (ti->doc_off < LS_HEADER_SIZE || ti->doc_off >= LS_HEADER_SIZE + doc_map->body_len)
        return ls_err_set(err, SRCH_ECORRUPT, "postings offset %llu out of range",
                          (unsigned long long)ti->doc_off);
    const unsigned char *h = doc_map->data + ti->doc_off;
    uint64_t data_len, nblocks = ti->df / LS_BLOCK, ntail = ti->df % LS_BLOCK;
    const unsigned char *q = ls_get_varint(h, hi, &data_len), *sk = NULL;
    if (q && (size_t)(hi - q) >= HEADER_FIXED) {
        sk = q + HEADER_FIXED;
        if (ls_get_u32(q) & SHORT_LIST) {   /* short blocks: their count and the tail's */
            if ((sk = ls_get_varint(sk, hi, &nblocks)) != NULL)
                sk = ls_get_varint(sk, hi, &ntail);
            if (sk && (nblocks > ti->df || ntail >= LS_BLOCK || ntail > ti->df - nblocks ||
                       ti->df - ntail > nblocks * LS_BLOCK))
                sk = NULL;
        }
    }
    p->nfull = (uint32_t)nblocks;
    p->ntail = (uint32_t)ntail;
    if (!sk || data_len > (uint64_t)(h - lo) || (size_t)(hi - sk) / SKIP_SIZE < p->nfull)
        return ls_err_set(err, SRCH_ECORRUPT, "postings header at %llu is malformed",
                          (unsigned long long)ti->doc_off);
    p->data = h - data_len;
    p->data_end = h;
    p->last_doc = ls_get_u32(q) & ~SHORT_LIST;
    p->max_tf = ls_get_u16(q + 4);
    p->min_len = ls_get_u16(q + 6);
    p->tail_max_tf = ls_get_u16(q + 8);
    p->tail_min_len = ls_get_u16(q + 10);
    p->skip = sk;
    if (p->last_doc >= ndocs)
        return ls_err_set(err, SRCH_ECORRUPT, "postings at %llu point past the segment",
                          (unsigned long long)ti->doc_off);
    /* the first block is read soon: start loading it while the query's
     * other lists are opened */
    __builtin_prefetch(p->data);
    __builtin_prefetch(p->data + 64);
    __builtin_prefetch(p->data + 128);
    __builtin_prefetch(p->skip + 64);
    return SRCH_OK;
}

int ls_postings_same(const ls_postings *a, const ls_postings *b, size_t max_bytes)
{
    if (a->df != b->df)
        return 0;
    if (a->df == 1)
        return a->docs[0] == b->docs[0] && a->freqs[0] == b->freqs[0];
    size_t len = (size_t)(a->data_end - a->data);
    return a->nfull == b->nfull && a->ntail == b->ntail && a->last_doc == b->last_doc &&
           len == (size_t)(b->data_end - b->data) && len <= max_bytes &&
           memcmp(a->data, b->data, len) == 0;
}

static inline uint32_t skip_last(const ls_postings *p, uint32_t b)
{
    return ls_get_u32(p->skip + (size_t)b * SKIP_SIZE);
}

static inline uint32_t skip_doc_end(const ls_postings *p, uint32_t b)
{
    return ls_get_u32(p->skip + (size_t)b * SKIP_SIZE + 4);
}

static inline uint32_t skip_pos_end(const ls_postings *p, uint32_t b)
{
    return ls_get_u32(p->skip + (size_t)b * SKIP_SIZE + 8);
}

static uint32_t fail(ls_postings *p)
{
    p->corrupt = 1;
    p->doc = LS_NO_DOC;
    p->n = 0;
    return LS_NO_DOC;
}

/* Decode `count` varint entries (the tail's, or a short block's) from
 * [q, end), which they fill exactly, after passage prev. */
static int decode_entries(ls_postings *p, const unsigned char *q, const unsigned char *end,
                          uint32_t count, uint32_t prev)
{
    uint64_t d = prev;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t v, f = 1;
        if (!(q = ls_get_varint(q, end, &v)) || (v >> 1) == 0)
            return -1;
        if (!(v & 1) && (!(q = ls_get_varint(q, end, &f)) || f < 2 || f > UINT32_MAX))
            return -1;
        d = (uint32_t)(d + (v >> 1));
        if (d >= p->ndocs || (i > 0 && d <= p->docs[i - 1]) || (v >> 1) > p->ndocs)
            return -1;
        p->docs[i] = (uint32_t)d;
        p->freqs[i] = (uint32_t)f;
    }
    if (q != end || count == 0)
        return -1;
    p->n = (int)count;
    p->freqs_ready = 1;
    return 0;
}

/* Decode short block b at s (data offsets start, end) after passage prev:
 * its packed bytes are copied into zeroed room for a whole block first
 * (the unpacking reads a whole block's worth). */
static int load_short(ls_postings *p, const unsigned char *s, uint32_t end, uint32_t start,
                      uint32_t prev)
{
    uint32_t n = (uint32_t)s[1] + 1;
    unsigned bd = s[2], bf = s[3];
    size_t nd = ((size_t)n * bd + 7) / 8, nf = ((size_t)n * bf + 7) / 8;
    if (bd > 32 || bf > 32 || end > (size_t)(p->data_end - p->data) || end < start ||
        (size_t)(end - start) != 4 + nd + nf)
        return -1;
    unsigned char room[16 * 32];
    memset(room, 0, 16 * bd);
    memcpy(room, s + 4, nd);
    ls_unpack128(room, bd, p->docs);
    memset(room, 0, 16 * bf);
    memcpy(room, s + 4 + nd, nf);
    ls_unpack128(room, bf, p->freqs);
    uint64_t d = prev == UINT32_MAX ? UINT64_MAX : prev;   /* -1 + 1 = 0 */
    for (uint32_t i = 0; i < n; i++) {
        d += (uint64_t)p->docs[i] + 1;
        p->docs[i] = (uint32_t)d;
        p->freqs[i]++;
        if (p->freqs[i] == 0)   /* 2^32 - 1 + 1: only a damaged block */
            return -1;
    }
    if (d >= p->ndocs || d != skip_last(p, p->block))
        return -1;
    p->n = (int)n;
    p->freqs_ready = 1;
    return 0;
}

/* Decode block p->block into docs/freqs; position the positions cursor. */
static int load_block(ls_postings *p)
{
    uint32_t b = p->block;
    uint32_t start = b ? skip_doc_end(p, b - 1) : 0;
    uint32_t prev = b ? skip_last(p, b - 1) : UINT32_MAX;
    size_t data_len = (size_t)(p->data_end - p->data);
    if (start > data_len)
        return -1;
    const unsigned char *s = p->data + start;
    if (b < p->nfull && start + 4 <= data_len && s[0] == SHORT_BLOCK) {
        if (load_short(p, s, skip_doc_end(p, b), start, prev) != 0)
            return -1;
    } else if (b < p->nfull) {
        uint32_t end = skip_doc_end(p, b);
        if (end > data_len || end < start + 2)
            return -1;
        unsigned bd = s[0], bf = s[1];
        if (bd > 32 || bf > 32 || (size_t)(end - start) != 2 + 16 * (size_t)(bd + bf))
            return -1;
        ls_unpack128(s + 2, bd, p->docs);
        p->fpack = s + 2 + 16 * bd;
        p->fbits = bf;
        p->freqs_ready = 0;
        /* deltas minus one: the ids increase, so checking the last one
         * (against the skip entry, itself below ndocs) checks them all.
         * Up to 24 bits, 32-bit sums cannot wrap: prev < 2^31 (or -1 for
         * the first block) plus 128 gaps of at most 2^24 stays below 2^32;
         * wider deltas (very sparse or damaged lists) are summed in 64
         * bits. */
        uint64_t sum;
        if (bd <= 24 && (!b || prev < 0x80000000u)) {
            sum = ls_prefix_sum128(p->docs, b ? prev : UINT32_MAX);
        } else {
            sum = b ? (uint64_t)prev : UINT64_MAX;
            for (int i = 0; i < LS_BLOCK; i++) {
                sum += (uint64_t)p->docs[i] + 1;
                p->docs[i] = (uint32_t)sum;
            }
        }
        if (sum >= p->ndocs || sum != skip_last(p, b))
            return -1;
        p->n = LS_BLOCK;
    } else if (decode_entries(p, s, p->data_end, p->ntail, prev) != 0) {
        return -1;
    }
    p->loaded = 1;
    if (p->with_pos) {
        uint32_t pstart = b ? skip_pos_end(p, b - 1) : 0;
        if (pstart > (size_t)(p->pos_limit - p->pos_base))
            return -1;
        p->pos_ptr = p->pos_base + pstart;
        p->pos_next = NULL;
        p->pos_i = 0;
    }
    return 0;
}

void ls_postings_load_freqs(ls_postings *p)
{
    p->freqs_ready = 1;
    if (!p->fpack || p->fbits > 32) {
        for (int i = 0; i < LS_BLOCK; i++)
            p->freqs[i] = 1;
        p->corrupt = 1;
        return;
    }
    ls_unpack128(p->fpack, p->fbits, p->freqs);
    for (int i = 0; i < LS_BLOCK; i++)
        p->freqs[i]++;
    if (p->fbits == 32)   /* 2^32 - 1 + 1 wraps to 0: only a damaged block */
        for (int i = 0; i < LS_BLOCK; i++)
            if (p->freqs[i] == 0) {
                p->freqs[i] = 1;
                p->corrupt = 1;
            }
}

uint32_t ls_postings_next(ls_postings *p)
{
    if (!p->started) {
        p->started = 1;
        p->block = 0;
        if (p->df > 1 && load_block(p) != 0)
            return fail(p);
        p->i = 0;
        return p->doc = p->n ? p->docs[0] : LS_NO_DOC;
    }
    if (p->doc == LS_NO_DOC)
        return LS_NO_DOC;
    if (++p->i < p->n)
        return p->doc = p->docs[p->i];
    if (p->df == 1 || p->block >= p->nfull ||
        (p->block + 1 == p->nfull && p->ntail == 0)) {   /* no tail */
        p->i = p->n;
        return p->doc = LS_NO_DOC;
    }
    p->block++;
    if (load_block(p) != 0)
        return fail(p);
    p->i = 0;
    return p->doc = p->docs[0];
}

int ls_postings_to_block(ls_postings *p, uint32_t b)
{
    if (p->df < 2 || b > p->nfull || (b == p->nfull && p->ntail == 0))
        return -1;
    p->block = b;
    p->started = 1;
    if (load_block(p) != 0) {
        fail(p);
        return -1;
    }
    p->i = -1;   /* next() returns its first entry */
    p->doc = 0;
    return 0;
}

uint32_t ls_postings_seek(ls_postings *p, uint32_t target)
{
    if (ls_postings_seek_here(p, target))
        return p->doc;
    if (target > p->last_doc) {
        p->started = 1;
        p->i = p->n;
        return p->doc = LS_NO_DOC;
    }
    if (p->df == 1) {
        p->started = 1;
        p->i = 0;
        return p->doc = p->docs[0];
    }
    uint32_t b = p->started ? p->block : 0;
    if (b < p->nfull && skip_last(p, b) < target) {
        /* gallop then binary search over the fixed-width skip entries */
        uint32_t lo = b + 1, step = 1, hi = lo;
        while (hi < p->nfull && skip_last(p, hi) < target) {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        if (hi > p->nfull)
            hi = p->nfull;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (skip_last(p, mid) < target)
                lo = mid + 1;
            else
                hi = mid;
        }
        b = lo;
    }
    if (!p->started || b != p->block || !p->loaded) {
        p->block = b;
        p->started = 1;
        if (load_block(p) != 0)
            return fail(p);
        p->i = 0;
    }
    if (p->i < p->n && p->n > 0 && p->docs[p->n - 1] >= target)
        p->i = ls_postings_seek_in_block(p, p->i, target);
    else if (p->i < p->n)
        p->i = p->n;
    if (p->i == p->n)   /* cannot happen with consistent skip data */
        return fail(p);
    return p->doc = p->docs[p->i];
}

/* Move p->pos_ptr to the start of the current entry's positions (skipping
 * those of the entries before it: count varint ends). 0, or -1 when the
 * data ends first. */
static int seek_positions(ls_postings *p)
{
    const unsigned char *q = p->pos_ptr, *end = p->pos_limit;
    if (!p->freqs_ready)
        ls_postings_load_freqs(p);
    if (p->df == 1)
        p->pos_i = 0, q = p->pos_base;
    if (p->pos_i + 1 == p->i && p->pos_next) {   /* the entry after the one read raw */
        q = p->pos_next;
        p->pos_i = p->i;
    } else if (p->pos_i < p->i) {
        uint64_t skip = 0;
        for (int k = p->pos_i; k < p->i; k++)
            skip += p->freqs[k];
        q = skip_varints(q, end, skip);
        if (!q)
            return p->corrupt = 1, -1;
        p->pos_i = p->i;
    }
    /* stay at the start of this entry: its positions may be asked again */
    if (q != p->pos_ptr)
        p->pos_next = NULL;
    p->pos_ptr = q;
    return 0;
}

int ls_postings_positions(ls_postings *p, uint32_t *out, uint32_t max)
{
    if (!p->with_pos || p->doc == LS_NO_DOC || seek_positions(p) != 0)
        return -1;
    const unsigned char *q = p->pos_ptr, *end = p->pos_limit;
    uint64_t v;
    uint32_t f = p->freqs[p->i], n = 0;
    uint64_t pos = 0;
    for (uint32_t k = 0; k < f; k++) {
        if (!(q = ls_get_varint(q, end, &v)) || (k > 0 && v == 0))
            return p->corrupt = 1, -1;
        pos = k ? pos + v : v;
        if (pos > UINT32_MAX)
            return p->corrupt = 1, -1;
        if (n < max)
            out[n++] = (uint32_t)pos;
    }
    return (int)n;
}

int ls_postings_positions_raw(ls_postings *p, const unsigned char **bytes, size_t *len)
{
    if (!p->with_pos || p->doc == LS_NO_DOC || seek_positions(p) != 0)
        return -1;
    const unsigned char *q = skip_varints(p->pos_ptr, p->pos_limit, p->freqs[p->i]);
    if (!q)
        return p->corrupt = 1, -1;
    *bytes = p->pos_ptr;
    *len = (size_t)(q - p->pos_ptr);
    p->pos_next = q;
    return 0;
}

/* The bound of block b (p->nfull: the tail, one corner). */
static void block_bound_at(const ls_postings *p, uint32_t b, ls_block_bound *bound)
{
    if (b < p->nfull) {
        get_bound(p->skip + (size_t)b * SKIP_SIZE + 12, bound);
    } else {
        bound->tf[0] = bound->tf[1] = p->tail_max_tf;
        bound->len[0] = bound->len[1] = p->tail_min_len;
    }
}

int ls_postings_block_raw(ls_postings *p, const unsigned char **pos, size_t *pos_len,
                          ls_block_bound *bound)
{
    if (p->df < 2 || !p->loaded || p->n <= 0)
        return p->corrupt = 1, -1;
    if (!p->freqs_ready)
        ls_postings_load_freqs(p);
    block_bound_at(p, p->block, bound);
    *pos = NULL;
    *pos_len = 0;
    if (!p->with_pos)
        return 0;
    /* the block's start, which load_block() checked lies in the file
     * (pos_ptr was put there, but reading positions moves it) */
    const unsigned char *start = p->pos_base + (p->block ? skip_pos_end(p, p->block - 1) : 0);
    const unsigned char *end;
    if (p->block < p->nfull) {
        uint32_t pend = skip_pos_end(p, p->block);
        end = pend <= (size_t)(p->pos_limit - p->pos_base) ? p->pos_base + pend : NULL;
    } else {   /* the tail's end is where its entries' positions end */
        uint64_t count = 0;
        for (int i = 0; i < p->n; i++)
            count += p->freqs[i];
        end = skip_varints(start, p->pos_limit, count);
    }
    if (!end || end < start)
        return p->corrupt = 1, -1;
    *pos = start;
    *pos_len = (size_t)(end - start);
    return 0;
}

int ls_postings_block_bound(ls_postings *p, uint32_t target, uint32_t *last_doc,
                            ls_block_bound *bound)
{
    if (target > p->last_doc)
        return -1;
    uint32_t b = p->started && p->block < p->nfull ? p->block : 0;
    if (p->started && p->block >= p->nfull)
        b = p->nfull;
    while (b < p->nfull && skip_last(p, b) < target)
        b++;
    *last_doc = b < p->nfull ? skip_last(p, b) : p->last_doc;
    block_bound_at(p, b, bound);
    return 0;
}
