/*
 * store.c - stored passages and documents (format in store.h).
 */
#include "store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "util/varint.h"

/* Level 1: on the Littré, 2.5% more store than level 3 for a third less
 * compression time, which a flush waits for. */
#define ZSTD_LEVEL 1
#define MAX_RAW_BLOCK (256u << 20)
#define TRAILER_SIZE 40

int ls_buf_grow(ls_buf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int ls_buf_varint(ls_buf *b, uint64_t v)
{
    if (ls_buf_reserve(b, LS_VARINT_MAX) != 0)
        return -1;
    b->len = (size_t)(ls_put_varint(b->p + b->len, v) - b->p);
    return 0;
}

void ls_buf_free(ls_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------------ writer */

int ls_store_writer_init(ls_store_writer *w, ls_wfile *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
    w->zctx = ZSTD_createCCtx();
    if (!w->zctx)
        return ls_err_set(f->err, SRCH_ENOMEM, "out of memory creating a compressor");
    return SRCH_OK;
}

/* The writer's buffers. */
static void free_bufs(ls_store_writer *w)
{
    ls_buf_free(&w->praw);
    ls_buf_free(&w->draw);
    ls_buf_free(&w->pidx);
    ls_buf_free(&w->didx);
    ls_buf_free(&w->iidx);
    ls_buf_free(&w->ids);
    ls_buf_free(&w->zbuf);
}

void ls_store_writer_reset(ls_store_writer *w)
{
    ls_wfile *f = w->f;
    void *z = w->zctx;
    free_bufs(w);
    memset(w, 0, sizeof *w);
    w->f = f;
    w->zctx = z;
}

size_t ls_store_writer_bytes(const ls_store_writer *w)
{
    return w->praw.cap + w->draw.cap + w->pidx.cap + w->didx.cap + w->iidx.cap + w->ids.cap +
           w->zbuf.cap;
}

void ls_store_writer_free(ls_store_writer *w)
{
    free_bufs(w);
    ZSTD_freeCCtx(w->zctx);
    w->zctx = NULL;
}

static int oom(ls_store_writer *w)
{
    return w->f->rc = ls_err_set(w->f->err, SRCH_ENOMEM, "out of memory writing the store");
}

/* Block b of the passage (docs = 0) or document index of store s: its
 * header and frame at *p, checked to lie within the blocks' section. */
static int block_at(const ls_store *s, int docs, uint32_t b, const unsigned char **p,
                    uint32_t *raw_len, uint32_t *comp_len, ls_err *err)
{
    const unsigned char *idx = docs ? s->didx : s->pidx;
    uint64_t off = ls_get_u64(idx + LS_STORE_INDEX_ENTRY * b + 8);
    *p = s->map->data + off;   /* ls_store_open(): off + 8 <= the indexes */
    *raw_len = ls_get_u32(*p);
    *comp_len = ls_get_u32(*p + 4);
    if (*raw_len > MAX_RAW_BLOCK || *comp_len > (size_t)(s->pidx - *p - 8))
        return ls_err_set(err, SRCH_ECORRUPT, "store block at %llu is malformed",
                          (unsigned long long)off);
    return SRCH_OK;
}

/* A block index entry for a block about to be written at the current
 * offset. */
static int index_entry(ls_store_writer *w, ls_buf *idx, uint32_t first, uint32_t base)
{
    unsigned char e[LS_STORE_INDEX_ENTRY];
    ls_put_u32(e, first);
    ls_put_u32(e + 4, base);
    ls_put_u64(e + 8, ls_wfile_offset(w->f));
    if (ls_buf_add(idx, e, sizeof e) != 0)
        return oom(w);
    return w->f->rc;
}

/* Compress raw into one block of the file; its offset goes to idx with the
 * number of its first record and the base its records count from. */
static int flush_block(ls_store_writer *w, ls_buf *raw, ls_buf *idx, uint32_t first,
                       uint32_t base)
{
    if (raw->len == 0)
        return w->f->rc;
    size_t bound = ZSTD_compressBound(raw->len);
    w->zbuf.len = 0;
    if (ls_buf_reserve(&w->zbuf, bound) != 0)
        return oom(w);
    size_t z = ZSTD_compressCCtx(w->zctx, w->zbuf.p, bound, raw->p, raw->len, ZSTD_LEVEL);
    if (ZSTD_isError(z))
        return w->f->rc = ls_err_set(w->f->err, SRCH_ERROR, "zstd: %s", ZSTD_getErrorName(z));
    if (index_entry(w, idx, first, base) != SRCH_OK)
        return w->f->rc;
    ls_wfile_u32(w->f, (uint32_t)raw->len);
    ls_wfile_u32(w->f, (uint32_t)z);
    ls_wfile_write(w->f, w->zbuf.p, z);
    raw->len = 0;
    return w->f->rc;
}

static int flush_ids(ls_store_writer *w)
{
    if (w->ids.len == 0)
        return w->f->rc;
    unsigned char e[8];
    ls_put_u64(e, ls_wfile_offset(w->f));
    if (ls_buf_add(&w->iidx, e, 8) != 0)
        return oom(w);
    ls_wfile_write(w->f, w->ids.p, w->ids.len);
    w->ids.len = 0;
    return w->f->rc;
}

int ls_store_add_doc(ls_store_writer *w, const ls_doc_rec *d)
{
    if (w->f->rc != SRCH_OK)
        return w->f->rc;
    if (d->id_len > sizeof w->cur_id)
        return ls_err_set(w->f->err, SRCH_EINVAL, "document id too long");
    if (w->draw.len == 0) {
        w->dblock_first = w->ndocs;
        w->dblock_base = d->first_passage;
    }
    if (d->first_passage < w->dblock_base)
        return ls_err_set(w->f->err, SRCH_EINVAL, "documents out of order");
    ls_buf *b = &w->draw;
    if (ls_buf_varint(b, d->id_len) || ls_buf_add(b, d->id, d->id_len) ||
        ls_buf_varint(b, d->title_len) || ls_buf_add(b, d->title, d->title_len) ||
        ls_buf_varint(b, d->lead_len) || ls_buf_add(b, d->lead, d->lead_len) ||
        ls_buf_varint(b, d->first_passage - w->dblock_base) || ls_buf_varint(b, d->npassages) ||
        ls_buf_varint(b, d->nfields) || ls_buf_add(b, d->fields, d->fields_len))
        return oom(w);
    memcpy(w->cur_id, d->id, d->id_len);
    w->cur_id_len = d->id_len;
    w->ndocs++;
    if (b->len >= LS_STORE_BLOCK_RAW) {
        w->ndblocks++;
        return flush_block(w, b, &w->didx, w->dblock_first, w->dblock_base);
    }
    return w->f->rc;
}

/* The id table entry of passage w->npassages (not yet counted),
 * prefix-compressed within its block. */
static int add_id_entry(ls_store_writer *w, const unsigned char *id, size_t id_len,
                        uint32_t number)
{
    size_t shared = 0;
    if (w->npassages % LS_IDS_PER_BLOCK != 0)
        while (shared < id_len && shared < w->ent_id_len && id[shared] == w->ent_id[shared])
            shared++;
    if (ls_buf_varint(&w->ids, shared) || ls_buf_varint(&w->ids, id_len - shared) ||
        ls_buf_add(&w->ids, id + shared, id_len - shared) || ls_buf_varint(&w->ids, number))
        return oom(w);
    memcpy(w->ent_id, id, id_len);
    w->ent_id_len = id_len;
    return w->f->rc;
}

int ls_store_add_passage(ls_store_writer *w, uint32_t number, uint32_t start, uint32_t end,
                         const char *stored, size_t stored_len)
{
    if (w->f->rc != SRCH_OK)
        return w->f->rc;
    if (w->ndocs == 0)
        return ls_err_set(w->f->err, SRCH_EINVAL, "passage before any document");
    if (add_id_entry(w, w->cur_id, w->cur_id_len, number) != SRCH_OK)
        return w->f->rc;
    if (w->praw.len == 0) {
        w->pblock_first = w->npassages;
        w->pblock_base = w->ndocs - 1;
    }
    ls_buf *b = &w->praw;
    if (ls_buf_varint(b, w->ndocs - 1 - w->pblock_base) || ls_buf_varint(b, start) ||
        ls_buf_varint(b, end) || ls_buf_varint(b, stored_len) || ls_buf_add(b, stored, stored_len))
        return oom(w);
    w->npassages++;
    if (w->npassages % LS_IDS_PER_BLOCK == 0 && flush_ids(w) != SRCH_OK)
        return w->f->rc;
    if (b->len >= LS_STORE_BLOCK_RAW) {
        w->npblocks++;
        return flush_block(w, b, &w->pidx, w->pblock_first, w->pblock_base);
    }
    return w->f->rc;
}

/* Write the records pending in the raw buffers as (short) blocks. */
static int flush_pending(ls_store_writer *w)
{
    if (w->praw.len) {
        w->npblocks++;
        flush_block(w, &w->praw, &w->pidx, w->pblock_first, w->pblock_base);
    }
    if (w->draw.len) {
        w->ndblocks++;
        flush_block(w, &w->draw, &w->didx, w->dblock_first, w->dblock_base);
    }
    return w->f->rc;
}

int ls_store_append(ls_store_writer *w, const ls_store *in, ls_err *err)
{
    if (w->f->rc != SRCH_OK || flush_pending(w) != SRCH_OK)
        return w->f->rc;
    /* the blocks, copied: their records count from their block's base */
    for (int docs = 0; docs < 2; docs++) {
        const unsigned char *idx = docs ? in->didx : in->pidx;
        uint32_t n = docs ? in->ndblocks : in->npblocks;
        uint32_t add_first = docs ? w->ndocs : w->npassages;
        uint32_t add_base = docs ? w->npassages : w->ndocs;
        for (uint32_t b = 0; b < n; b++) {
            const unsigned char *e = idx + LS_STORE_INDEX_ENTRY * b;
            const unsigned char *p;
            uint32_t raw_len, comp_len;
            int rc = block_at(in, docs, b, &p, &raw_len, &comp_len, err);
            if (rc != SRCH_OK)
                return rc;
            if (index_entry(w, docs ? &w->didx : &w->pidx, ls_get_u32(e) + add_first,
                            ls_get_u32(e + 4) + add_base) != SRCH_OK)
                return w->f->rc;
            ls_wfile_write(w->f, p, 8 + (size_t)comp_len);
        }
    }
    /* the id entries, decoded and encoded again (their blocks are cut
     * every LS_IDS_PER_BLOCK passages of the whole segment) */
    unsigned char id[sizeof w->ent_id];
    size_t len = 0;
    const unsigned char *end = in->pidx, *p = NULL;
    for (uint32_t k = 0; k < in->npassages && w->f->rc == SRCH_OK; k++) {
        if (k % LS_IDS_PER_BLOCK == 0)
            p = in->map->data + ls_get_u64(in->iidx + 8 * (k / LS_IDS_PER_BLOCK));
        uint64_t shared, suffix, num;
        if (!(p = ls_get_varint(p, end, &shared)) || !(p = ls_get_varint(p, end, &suffix)) ||
            shared > len || suffix > sizeof id - shared || suffix > (uint64_t)(end - p))
            return ls_err_set(err, SRCH_ECORRUPT, "store id entry %u is malformed", k);
        memcpy(id + shared, p, suffix);
        len = shared + suffix;
        p += suffix;
        if (!(p = ls_get_varint(p, end, &num)) || num == 0 || num > UINT32_MAX)
            return ls_err_set(err, SRCH_ECORRUPT, "store id entry %u is malformed", k);
        if (add_id_entry(w, id, len, (uint32_t)num) != SRCH_OK)
            break;
        w->npassages++;
        if (w->npassages % LS_IDS_PER_BLOCK == 0)
            flush_ids(w);
    }
    memcpy(w->cur_id, id, len);
    w->cur_id_len = len;
    w->ndocs += in->ndocs;
    w->npblocks += in->npblocks;
    w->ndblocks += in->ndblocks;
    return w->f->rc;
}

/* A copy of buffer b into c (empty). */
static int buf_copy(ls_buf *c, const ls_buf *b)
{
    memset(c, 0, sizeof *c);
    return ls_buf_add(c, b->p, b->len);
}

int ls_store_writer_copy(ls_store_writer *w, const ls_store_writer *from, ls_wfile *from_file)
{
    if (w->f->rc != SRCH_OK || ls_wfile_offset(w->f) != ls_wfile_offset(from_file) - from_file->len)
        return w->f->rc ? w->f->rc : ls_err_set(w->f->err, SRCH_ERROR, "store copied amiss");
    if (ls_wfile_copy(w->f, from_file) != SRCH_OK)
        return w->f->rc;
    ls_buf bufs[6];
    const ls_buf *src[6] = {&from->praw, &from->draw, &from->pidx, &from->didx, &from->iidx,
                            &from->ids};
    ls_buf *dst[6] = {&w->praw, &w->draw, &w->pidx, &w->didx, &w->iidx, &w->ids};
    int bad = 0;
    for (int k = 0; k < 6; k++)
        bad |= buf_copy(&bufs[k], src[k]);
    if (bad) {
        for (int k = 0; k < 6; k++)
            ls_buf_free(&bufs[k]);
        return oom(w);
    }
    for (int k = 0; k < 6; k++) {
        ls_buf_free(dst[k]);
        *dst[k] = bufs[k];
    }
    w->npassages = from->npassages;
    w->ndocs = from->ndocs;
    w->npblocks = from->npblocks;
    w->ndblocks = from->ndblocks;
    w->pblock_first = from->pblock_first;
    w->dblock_first = from->dblock_first;
    w->pblock_base = from->pblock_base;
    w->dblock_base = from->dblock_base;
    memcpy(w->cur_id, from->cur_id, from->cur_id_len);
    w->cur_id_len = from->cur_id_len;
    memcpy(w->ent_id, from->ent_id, from->ent_id_len);
    w->ent_id_len = from->ent_id_len;
    return SRCH_OK;
}

int ls_store_finish(ls_store_writer *w)
{
    flush_pending(w);
    flush_ids(w);
    uint64_t poff = ls_wfile_offset(w->f);
    ls_wfile_write(w->f, w->pidx.p, w->pidx.len);
    uint64_t doff = ls_wfile_offset(w->f);
    ls_wfile_write(w->f, w->didx.p, w->didx.len);
    uint64_t ioff = ls_wfile_offset(w->f);
    ls_wfile_write(w->f, w->iidx.p, w->iidx.len);
    ls_wfile_u32(w->f, w->npassages);
    ls_wfile_u32(w->f, w->ndocs);
    ls_wfile_u32(w->f, w->npblocks);
    ls_wfile_u32(w->f, w->ndblocks);
    ls_wfile_u64(w->f, poff);
    ls_wfile_u64(w->f, doff);
    ls_wfile_u64(w->f, ioff);
    return w->f->rc;
}

/* ------------------------------------------------------------------ reader */

int ls_store_open(ls_store *s, const ls_map *m, ls_err *err)
{
    memset(s, 0, sizeof *s);
    s->map = m;
    if (m->body_len < TRAILER_SIZE)
        return ls_err_set(err, SRCH_ECORRUPT, "store too short");
    const unsigned char *t = m->body + m->body_len - TRAILER_SIZE;
    s->npassages = ls_get_u32(t);
    s->ndocs = ls_get_u32(t + 4);
    s->npblocks = ls_get_u32(t + 8);
    s->ndblocks = ls_get_u32(t + 12);
    uint64_t poff = ls_get_u64(t + 16), doff = ls_get_u64(t + 24), ioff = ls_get_u64(t + 32);
    uint64_t end = LS_HEADER_SIZE + m->body_len - TRAILER_SIZE;
    uint64_t nid = (s->npassages + LS_IDS_PER_BLOCK - 1) / LS_IDS_PER_BLOCK;
    if (poff < LS_HEADER_SIZE || doff != poff + (uint64_t)LS_STORE_INDEX_ENTRY * s->npblocks ||
        ioff != doff + (uint64_t)LS_STORE_INDEX_ENTRY * s->ndblocks || end != ioff + 8 * nid ||
        s->npblocks > s->npassages || s->ndblocks > s->ndocs || s->ndocs > s->npassages ||
        (s->npassages && (!s->npblocks || !s->ndblocks)))
        return ls_err_set(err, SRCH_ECORRUPT, "store trailer is inconsistent");
    s->pidx = m->data + poff;
    s->didx = m->data + doff;
    s->iidx = m->data + ioff;
    /* block indexes: first records increasing from 0, bases not
     * decreasing and below the other count, offsets in range */
    for (int which = 0; which < 2; which++) {
        const unsigned char *idx = which ? s->didx : s->pidx;
        uint32_t n = which ? s->ndblocks : s->npblocks;
        uint32_t count = which ? s->ndocs : s->npassages;
        uint32_t other = which ? s->npassages : s->ndocs;
        for (uint32_t b = 0; b < n; b++) {
            const unsigned char *e = idx + LS_STORE_INDEX_ENTRY * b;
            uint32_t first = ls_get_u32(e), base = ls_get_u32(e + 4);
            uint64_t off = ls_get_u64(e + 8);
            if ((b == 0 && (first != 0 || base != 0)) ||
                (b > 0 && (first <= ls_get_u32(e - LS_STORE_INDEX_ENTRY) ||
                           base < ls_get_u32(e - LS_STORE_INDEX_ENTRY + 4))) ||
                first >= count || base >= other || off < LS_HEADER_SIZE || off + 8 > poff)
                return ls_err_set(err, SRCH_ECORRUPT, "store block index is malformed");
        }
    }
    for (uint64_t b = 0; b < nid; b++) {
        uint64_t off = ls_get_u64(s->iidx + 8 * b);
        if (off < LS_HEADER_SIZE || off >= poff)
            return ls_err_set(err, SRCH_ECORRUPT, "store id index is malformed");
    }
    return SRCH_OK;
}

void ls_store_id_prefetch(const ls_store *s, uint32_t passage, int stage)
{
    if (passage >= s->npassages)
        return;
    const unsigned char *ix = s->iidx + 8 * (passage / LS_IDS_PER_BLOCK);
    if (stage == 0) {
        __builtin_prefetch(ix);
        return;
    }
    uint64_t off = ls_get_u64(ix);
    if (off < s->map->size)
        __builtin_prefetch(s->map->data + off);
}

int ls_store_id(const ls_store *s, uint32_t passage, char *buf, size_t cap, size_t *id_len,
                uint32_t *number)
{
    if (passage >= s->npassages || cap == 0)
        return SRCH_EINVAL;
    const unsigned char *p = s->map->data + ls_get_u64(s->iidx + 8 * (passage / LS_IDS_PER_BLOCK));
    const unsigned char *end = s->pidx;
    size_t len = 0;
    char tmp[1100];
    for (uint32_t k = 0; k <= passage % LS_IDS_PER_BLOCK; k++) {
        uint64_t shared, suffix, num;
        if (!(p = ls_get_varint(p, end, &shared)) || !(p = ls_get_varint(p, end, &suffix)) ||
            shared > len || suffix > sizeof tmp - shared || suffix > (uint64_t)(end - p))
            return SRCH_ECORRUPT;
        memcpy(tmp + shared, p, suffix);
        len = shared + suffix;
        p += suffix;
        if (!(p = ls_get_varint(p, end, &num)) || num == 0 || num > UINT32_MAX)
            return SRCH_ECORRUPT;
        *number = (uint32_t)num;
    }
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    *id_len = len;
    return SRCH_OK;
}

/* One decompression context per thread, kept: ZSTD_decompress() would set
 * one up for every block (a hit's passage and document are two blocks),
 * which cost more than the decompression itself. */
static pthread_key_t dctx_key;
static pthread_once_t dctx_once = PTHREAD_ONCE_INIT;
static int dctx_key_ok;

static void dctx_free(void *d)
{
    ZSTD_freeDCtx(d);
}

static void dctx_init(void)
{
    dctx_key_ok = pthread_key_create(&dctx_key, dctx_free) == 0;
}

static ZSTD_DCtx *thread_dctx(void)
{
    pthread_once(&dctx_once, dctx_init);
    if (!dctx_key_ok)
        return NULL;
    ZSTD_DCtx *d = pthread_getspecific(dctx_key);
    if (!d && (d = ZSTD_createDCtx()) && pthread_setspecific(dctx_key, d) != 0) {
        ZSTD_freeDCtx(d);
        d = NULL;
    }
    return d;
}

/* Decompress block b of the passage (docs = 0) or document index. */
static int load_block(const ls_store *s, int docs, uint32_t b, ls_buf *raw, ls_err *err)
{
    const unsigned char *p;
    uint32_t raw_len, comp_len;
    int rc = block_at(s, docs, b, &p, &raw_len, &comp_len, err);
    if (rc != SRCH_OK)
        return rc;
    uint64_t off = (uint64_t)(p - s->map->data);
    raw->len = 0;
    if (ls_buf_reserve(raw, raw_len + 1) != 0)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory reading the store");
    ZSTD_DCtx *d = thread_dctx();
    size_t r = d ? ZSTD_decompressDCtx(d, raw->p, raw_len, p + 8, comp_len)
                 : ZSTD_decompress(raw->p, raw_len, p + 8, comp_len);
    if (ZSTD_isError(r) || r != raw_len)
        return ls_err_set(err, SRCH_ECORRUPT, "store block at %llu does not decompress",
                          (unsigned long long)off);
    raw->len = raw_len;
    return SRCH_OK;
}

/* The block holding record k: the last with first <= k. */
static uint32_t find_block(const unsigned char *idx, uint32_t n, uint32_t k)
{
    uint32_t lo = 0, hi = n;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ls_get_u32(idx + LS_STORE_INDEX_ENTRY * mid) <= k)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Records count their document (passage records) or first passage
 * (document records) from their block's base. */
static const unsigned char *parse_passage(const unsigned char *p, const unsigned char *end,
                                          uint32_t base, ls_passage_rec *r)
{
    uint64_t doc, start, stop, len;
    if (!(p = ls_get_varint(p, end, &doc)) || !(p = ls_get_varint(p, end, &start)) ||
        !(p = ls_get_varint(p, end, &stop)) || !(p = ls_get_varint(p, end, &len)) ||
        doc > UINT32_MAX - base || start > UINT32_MAX || stop > UINT32_MAX || stop < start ||
        len > (uint64_t)(end - p) || len < stop - start)
        return NULL;
    r->doc = (uint32_t)doc + base;
    r->start = (uint32_t)start;
    r->end = (uint32_t)stop;
    r->stored = (const char *)p;
    r->stored_len = (size_t)len;
    return p + len;
}

static const unsigned char *parse_bytes(const unsigned char *p, const unsigned char *end,
                                        const char **out, size_t *len)
{
    uint64_t n;
    if (!(p = ls_get_varint(p, end, &n)) || n > (uint64_t)(end - p))
        return NULL;
    *out = (const char *)p;
    *len = (size_t)n;
    return p + n;
}

static const unsigned char *parse_doc(const unsigned char *p, const unsigned char *end,
                                      uint32_t base, ls_doc_rec *d)
{
    uint64_t first, count, nfields;
    memset(d, 0, sizeof *d);
    if (!(p = parse_bytes(p, end, &d->id, &d->id_len)) ||
        !(p = parse_bytes(p, end, &d->title, &d->title_len)) ||
        !(p = parse_bytes(p, end, &d->lead, &d->lead_len)) ||
        !(p = ls_get_varint(p, end, &first)) || !(p = ls_get_varint(p, end, &count)) ||
        !(p = ls_get_varint(p, end, &nfields)) || first > UINT32_MAX - base ||
        count > UINT32_MAX || nfields > UINT32_MAX)
        return NULL;
    d->first_passage = (uint32_t)first + base;
    d->npassages = (uint32_t)count;
    d->nfields = (uint32_t)nfields;
    d->fields = p;
    for (uint64_t i = 0; i < nfields; i++) {
        const char *x;
        size_t n;
        if (!(p = parse_bytes(p, end, &x, &n)) || !(p = parse_bytes(p, end, &x, &n)))
            return NULL;
    }
    d->fields_len = (size_t)(p - d->fields);
    return p;
}

int ls_store_passage(const ls_store *s, uint32_t passage, ls_buf *raw, ls_passage_rec *out,
                     ls_err *err)
{
    if (passage >= s->npassages)
        return ls_err_set(err, SRCH_EINVAL, "passage %u out of range", passage);
    uint32_t b = find_block(s->pidx, s->npblocks, passage);
    int rc = load_block(s, 0, b, raw, err);
    if (rc != SRCH_OK)
        return rc;
    const unsigned char *p = raw->p, *end = raw->p + raw->len;
    const unsigned char *e = s->pidx + LS_STORE_INDEX_ENTRY * b;
    for (uint32_t k = ls_get_u32(e); k <= passage; k++)
        if (!(p = parse_passage(p, end, ls_get_u32(e + 4), out)))
            return ls_err_set(err, SRCH_ECORRUPT, "store: passage %u is malformed", passage);
    if (out->doc >= s->ndocs)
        return ls_err_set(err, SRCH_ECORRUPT, "store: passage %u names document %u", passage,
                          out->doc);
    return SRCH_OK;
}

int ls_store_doc(const ls_store *s, uint32_t doc, ls_buf *raw, ls_doc_rec *out, ls_err *err)
{
    if (doc >= s->ndocs)
        return ls_err_set(err, SRCH_EINVAL, "document %u out of range", doc);
    uint32_t b = find_block(s->didx, s->ndblocks, doc);
    int rc = load_block(s, 1, b, raw, err);
    if (rc != SRCH_OK)
        return rc;
    const unsigned char *p = raw->p, *end = raw->p + raw->len;
    const unsigned char *e = s->didx + LS_STORE_INDEX_ENTRY * b;
    for (uint32_t k = ls_get_u32(e); k <= doc; k++)
        if (!(p = parse_doc(p, end, ls_get_u32(e + 4), out)))
            return ls_err_set(err, SRCH_ECORRUPT, "store: document %u is malformed", doc);
    return SRCH_OK;
}

void ls_store_cursor_init(ls_store_cursor *c, const ls_store *s, int docs)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->docs = docs;
    c->block = UINT32_MAX;
}

void ls_store_cursor_free(ls_store_cursor *c)
{
    ls_buf_free(&c->raw);
}

/* Make sure the record c->next is in the decoded block. */
static int cursor_advance(ls_store_cursor *c, ls_err *err)
{
    const ls_store *s = c->s;
    uint32_t nblocks = c->docs ? s->ndblocks : s->npblocks;
    uint32_t count = c->docs ? s->ndocs : s->npassages;
    const unsigned char *idx = c->docs ? s->didx : s->pidx;
    if (c->next >= count)
        return ls_err_set(err, SRCH_EINVAL, "store cursor past the end");
    uint32_t nb = c->block == UINT32_MAX ? 0 : c->block + 1;
    if (c->block == UINT32_MAX ||
        (nb < nblocks && ls_get_u32(idx + LS_STORE_INDEX_ENTRY * nb) == c->next)) {
        if (c->p != c->end)
            return ls_err_set(err, SRCH_ECORRUPT, "store block has extra bytes");
        int rc = load_block(s, c->docs, nb, &c->raw, err);
        if (rc != SRCH_OK)
            return rc;
        c->block = nb;
        c->base = ls_get_u32(idx + LS_STORE_INDEX_ENTRY * nb + 4);
        c->p = c->raw.p;
        c->end = c->raw.p + c->raw.len;
    }
    return SRCH_OK;
}

int ls_store_cursor_passage(ls_store_cursor *c, ls_passage_rec *out, ls_err *err)
{
    int rc = cursor_advance(c, err);
    if (rc != SRCH_OK)
        return rc;
    if (!(c->p = parse_passage(c->p, c->end, c->base, out)) || out->doc >= c->s->ndocs)
        return ls_err_set(err, SRCH_ECORRUPT, "store: passage %u is malformed", c->next);
    c->next++;
    return SRCH_OK;
}

int ls_store_cursor_doc(ls_store_cursor *c, ls_doc_rec *out, ls_err *err)
{
    int rc = cursor_advance(c, err);
    if (rc != SRCH_OK)
        return rc;
    if (!(c->p = parse_doc(c->p, c->end, c->base, out)))
        return ls_err_set(err, SRCH_ECORRUPT, "store: document %u is malformed", c->next);
    c->next++;
    return SRCH_OK;
}
