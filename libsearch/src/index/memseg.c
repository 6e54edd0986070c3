/*
 * memseg.c - in-memory inversion of added documents and their flush to a
 * segment (see memseg.h).
 */
#include "memseg.h"

#include <stdlib.h>
#include <string.h>

#include "index/pairs.h"
#include "index/passage.h"
#include "util/hash.h"
#include "util/varint.h"

/* Slice sizes by level; the last 4 bytes of a slice link to the next. */
static const uint32_t slice_size[] = {16, 32, 64, 128, 256, 512, 1024, 2048};
#define MAX_LEVEL (sizeof slice_size / sizeof slice_size[0] - 1)

/* A byte stream in the pool (its slice level is kept by its owner, to
 * pack the entry). */
typedef struct stream {
    uint32_t head, cur, end;  /* pool offsets; end = link field of the slice */
} stream;

/* A term's entry: 57 bytes and its key. Most terms of a segment occur in
 * one passage only: their passage stream is started by their second
 * passage (docs.end == 0 until then), and their one entry stays here. */
typedef struct memterm {
    uint32_t df;
    uint32_t last_doc;        /* passage being accumulated, UINT32_MAX none */
    uint32_t written_doc;     /* passage of the last entry written, -1 */
    uint32_t freq;            /* in last_doc */
    uint32_t last_pos;
    stream docs;              /* end == 0: not started */
    union {
        stream pos;           /* fields with positions */
        struct memterm *stem; /* word entries: the body entry of their stem */
    } u;
    uint32_t hash;
    uint16_t klen;
    uint8_t docs_level, pos_level;
    uint8_t mixed;            /* word entries: some occurrence had another stem */
    unsigned char key[];      /* field byte + term */
} memterm;

/* The term table: open addressing, 16-byte slots holding the hash, so that
 * a probe touches the slot array only until the entry is found. */
typedef struct tslot {
    uint32_t hash;
    memterm *t;
} tslot;

/* A title token resolved once per document. */
typedef struct title_tok {
    memterm *t;
    uint32_t pos;
} title_tok;

/* A document's id, for the flush. */
typedef struct id_ref {
    const char *id;
    uint32_t len;
    uint32_t first, count;
} id_ref;

/* Terms and their streams. The memseg has two: the pairs' can be filled
 * by another thread while the writer's fills the other (see
 * ls_memseg_add_pairs()). */
typedef struct termstore {
    tslot *slots;             /* term table */
    size_t mask, nterms;
    ls_arena arena;           /* memterms only: the flush walks it */
    unsigned char *pool;      /* slices */
    size_t pool_len, pool_cap;
} termstore;

struct ls_memseg {
    size_t max_passage_bytes;
    const ls_pairs *pairs;    /* common-word list, NULL: no pairs */
    termstore ts;             /* every term but the pairs */
    termstore pts;            /* the pairs */
    int pairs_lost;           /* a pair could not be added: no pairs written */
    ls_strmap ids;            /* document id -> last document with it */
    ls_buf docs;              /* document records (see add_doc_record) */
    ls_buf passages;          /* passage records */
    uint16_t *norms;          /* body, title per passage */
    size_t norms_cap;
    uint64_t *deleted;        /* bitmap of deleted passages */
    size_t del_cap;           /* words */
    uint32_t ndeleted, ndeleted_docs;
    uint32_t npassages, ndocs;
    int rc;                   /* sticky allocation failure while adding */
    /* scratch */
    unsigned char key[LS_MAX_TERM_BYTES];
    title_tok *title_toks;
    size_t ntitle, title_cap;
};

/* ------------------------------------------------------------------ slices */

static int pool_alloc(termstore *m, uint32_t size, uint32_t *off)
{
    if (m->pool_len + size > m->pool_cap) {
        size_t cap = m->pool_cap ? m->pool_cap * 2 : 256 << 10;
        while (cap < m->pool_len + size)
            cap *= 2;
        if (cap > UINT32_MAX)
            return -1;
        unsigned char *p = realloc(m->pool, cap);
        if (!p)
            return -1;
        m->pool = p;
        m->pool_cap = cap;
    }
    *off = (uint32_t)m->pool_len;
    m->pool_len += size;
    return 0;
}

static int stream_init(termstore *m, stream *s, uint8_t *level)
{
    uint32_t off;
    if (pool_alloc(m, slice_size[0], &off) != 0)
        return -1;
    s->head = s->cur = off;
    s->end = off + slice_size[0] - 4;
    *level = 0;
    return 0;
}

static inline int stream_byte(termstore *m, stream *s, uint8_t *slevel, unsigned char b)
{
    if (s->cur == s->end) {
        uint8_t level = (uint8_t)(*slevel < MAX_LEVEL ? *slevel + 1u : MAX_LEVEL);
        uint32_t off;
        if (pool_alloc(m, slice_size[level], &off) != 0)
            return -1;
        ls_put_u32(m->pool + s->end, off);
        s->cur = off;
        s->end = off + slice_size[level] - 4;
        *slevel = level;
    }
    m->pool[s->cur++] = b;
    return 0;
}

static inline int stream_varint(termstore *m, stream *s, uint8_t *level, uint64_t v)
{
    while (v >= 0x80) {
        if (stream_byte(m, s, level, (unsigned char)(v | 0x80)) != 0)
            return -1;
        v >>= 7;
    }
    return stream_byte(m, s, level, (unsigned char)v);
}

typedef struct stream_reader {
    const unsigned char *pool;
    uint32_t cur, end, stop;
    uint8_t level;
} stream_reader;

static void reader_init(stream_reader *r, const termstore *m, const stream *s)
{
    r->pool = m->pool;
    r->cur = s->head;
    r->end = s->head + slice_size[0] - 4;
    r->stop = s->cur;
    r->level = 0;
}

static inline uint64_t reader_varint(stream_reader *r)
{
    uint64_t v = 0;
    for (int shift = 0; r->cur != r->stop; shift += 7) {
        if (r->cur == r->end) {
            r->cur = ls_get_u32(r->pool + r->end);
            r->level = (uint8_t)(r->level < MAX_LEVEL ? r->level + 1u : MAX_LEVEL);
            r->end = r->cur + slice_size[r->level] - 4;
        }
        unsigned char b = r->pool[r->cur++];
        v |= (uint64_t)(b & 0x7F) << shift;
        if (b < 0x80)
            break;
    }
    return v;
}

/* Copy the next n varints of the stream to w as they are stored. */
static void reader_copy_varints(stream_reader *r, uint64_t n, ls_wfile *w)
{
    while (n && r->cur != r->stop) {
        if (r->cur == r->end) {
            r->cur = ls_get_u32(r->pool + r->end);
            r->level = (uint8_t)(r->level < MAX_LEVEL ? r->level + 1u : MAX_LEVEL);
            r->end = r->cur + slice_size[r->level] - 4;
        }
        /* the bytes of this slice, up to the stream's end if it is here */
        uint32_t lim = r->stop >= r->cur && r->stop < r->end ? r->stop : r->end;
        const unsigned char *p = r->pool + r->cur;
        uint32_t k = 0, avail = lim - r->cur;
        while (k < avail && n)
            n -= p[k++] < 0x80;
        ls_wfile_write(w, p, k);
        r->cur += k;
    }
}

/* ------------------------------------------------------------------ memseg */

static int store_init(termstore *ts)
{
    ts->mask = (1 << 12) - 1;
    ts->slots = calloc(ts->mask + 1, sizeof *ts->slots);
    ls_arena_init(&ts->arena, 256 << 10);
    return ts->slots ? 0 : -1;
}

static void store_free(termstore *ts)
{
    free(ts->slots);
    ls_arena_free(&ts->arena);
    free(ts->pool);
}

static void store_reset(termstore *ts)
{
    memset(ts->slots, 0, (ts->mask + 1) * sizeof *ts->slots);
    ts->nterms = 0;
    ls_arena_reset(&ts->arena);
    ts->pool_len = 0;
}

static size_t store_bytes(const termstore *ts)
{
    return (ts->mask + 1) * sizeof *ts->slots + ls_arena_bytes(&ts->arena) + ts->pool_len;
}

int ls_memseg_new(ls_memseg **out, size_t max_passage_bytes, ls_err *err)
{
    ls_memseg *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory creating the write buffer");
    if (store_init(&m->ts) != 0 || store_init(&m->pts) != 0 ||
        ls_strmap_init(&m->ids, 1024) != 0) {
        store_free(&m->ts);
        store_free(&m->pts);
        free(m);
        return ls_err_set(err, SRCH_ENOMEM, "out of memory creating the write buffer");
    }
    m->max_passage_bytes = max_passage_bytes;
    *out = m;
    return SRCH_OK;
}

void ls_memseg_free(ls_memseg *m)
{
    if (!m)
        return;
    store_free(&m->ts);
    store_free(&m->pts);
    ls_strmap_free(&m->ids);
    ls_buf_free(&m->docs);
    ls_buf_free(&m->passages);
    free(m->title_toks);
    free(m->norms);
    free(m->deleted);
    free(m);
}

void ls_memseg_set_pairs(ls_memseg *m, const ls_pairs *pairs)
{
    m->pairs = pairs;
}

void ls_memseg_reset(ls_memseg *m)
{
    store_reset(&m->ts);
    store_reset(&m->pts);
    m->pairs_lost = 0;
    ls_strmap_clear(&m->ids);
    m->docs.len = 0;
    m->passages.len = 0;
    if (m->deleted)
        memset(m->deleted, 0, m->del_cap * sizeof *m->deleted);
    m->ndeleted = 0;
    m->ndeleted_docs = 0;
    m->npassages = 0;
    m->ndocs = 0;
}

uint32_t ls_memseg_passages(const ls_memseg *m)
{
    return m->npassages;
}

uint32_t ls_memseg_docs(const ls_memseg *m)
{
    return m->ndocs;
}

/* What the RAM budget counts: the bytes in use. The hash tables count
 * whole; the growing buffers (slices, records, norms) count their length,
 * not their capacity: the capacity a reset keeps for the next segment is
 * at most twice the largest length seen, and counting it would make every
 * segment after the first much smaller than the budget allows. */
size_t ls_memseg_bytes(const ls_memseg *m)
{
    return store_bytes(&m->ts) + store_bytes(&m->pts) + ls_strmap_bytes(&m->ids) +
           m->docs.len + m->passages.len +
           (size_t)m->npassages * 2 * sizeof *m->norms + ((size_t)m->npassages + 63) / 64 * 8;
}

/* The hash of a key of which 8 bytes are readable up to end. */
static inline uint32_t key_hash_in(const unsigned char *key, size_t klen, const unsigned char *end)
{
    return (uint32_t)ls_hash_bytes_in(key, klen, end);
}

static int grow_table(termstore *m)
{
    size_t cap = (m->mask + 1) * 2;
    tslot *ns = calloc(cap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].t) {
            size_t j = m->slots[i].hash & (cap - 1);
            while (ns[j].t)
                j = (j + 1) & (cap - 1);
            ns[j] = m->slots[i];
        }
    free(m->slots);
    m->slots = ns;
    m->mask = cap - 1;
    return 0;
}

/* The entry of key, created if absent; NULL when out of memory. */
static memterm *get_term(termstore *m, const unsigned char *key, size_t klen, uint32_t h)
{
    size_t i = h & m->mask;
    for (; m->slots[i].t; i = (i + 1) & m->mask) {
        memterm *t = m->slots[i].t;
        if (m->slots[i].hash == h && t->klen == klen && memcmp(t->key, key, klen) == 0)
            return t;
    }
    if ((m->nterms + 1) * 4 > (m->mask + 1) * 3) {   /* at most 3/4 full */
        if (grow_table(m) != 0)
            return NULL;
        for (i = h & m->mask; m->slots[i].t; i = (i + 1) & m->mask)
            ;
    }
    memterm *t = ls_arena_alloc(&m->arena, sizeof *t + klen);
    if (!t)
        return NULL;
    t->klen = (uint16_t)klen;   /* first: the flush walks the arena (collect) */
    t->df = 0;
    t->docs.head = t->docs.cur = t->docs.end = 0;   /* started by a second passage */
    t->docs_level = 0;
    if (ls_field_has_positions(key[0])) {
        if (stream_init(m, &t->u.pos, &t->pos_level) != 0)
            return NULL;
    } else {
        t->u.stem = NULL;
    }
    t->df = 0;
    t->last_doc = UINT32_MAX;
    t->written_doc = UINT32_MAX;
    t->freq = 0;
    t->last_pos = 0;
    t->mixed = 0;
    t->hash = h;
    memcpy(t->key, key, klen);
    m->slots[i].hash = h;
    m->slots[i].t = t;
    m->nterms++;
    return t;
}

/* One occurrence of term t in passage p (at position pos if it has
 * positions). */
static int add_occurrence(termstore *m, memterm *t, uint32_t p, uint32_t pos)
{
    if (t->last_doc != p) {
        if (t->last_doc != UINT32_MAX) {
            uint32_t delta = t->last_doc - t->written_doc;
            if ((t->docs.end == 0 && stream_init(m, &t->docs, &t->docs_level) != 0) ||
                stream_varint(m, &t->docs, &t->docs_level,
                              (uint64_t)delta << 1 | (t->freq == 1)) != 0 ||
                (t->freq != 1 && stream_varint(m, &t->docs, &t->docs_level, t->freq) != 0))
                return -1;
            t->written_doc = t->last_doc;
        }
        t->last_doc = p;
        t->freq = 0;
        t->df++;
        t->last_pos = 0;
    }
    t->freq++;
    if (ls_field_has_positions(t->key[0])) {
        if (stream_varint(m, &t->u.pos, &t->pos_level,
                          t->freq == 1 ? pos : pos - t->last_pos) != 0)
            return -1;
        t->last_pos = pos;
    }
    return 0;
}

/* ----------------------------------------------------------- analysis */

/* Keys are stored in the scratch buffer as field byte + bytes: a token's
 * two keys (f1 + s1, then f2 + s2), at *off1 and *off2. */
static int put_keys(ls_buf *b, unsigned char f1, const char *s1, size_t n1, uint32_t *off1,
                    unsigned char f2, const char *s2, size_t n2, uint32_t *off2)
{
    if (ls_buf_reserve(b, 2 + n1 + n2 + 8) != 0)   /* + 8: key_hash_in() reads ahead */
        return -1;
    unsigned char *o = b->p + b->len;
    *off1 = (uint32_t)b->len;
    *off2 = (uint32_t)(b->len + 1 + n1);
    o[0] = f1;
    memcpy(o + 1, s1, n1);
    o[1 + n1] = f2;
    memcpy(o + 2 + n1, s2, n2);
    b->len += 2 + n1 + n2;
    return 0;
}

static int body_cb(void *ctx, const srch_token *t)
{
    ls_prep *p = ctx;
    if (p->npend == p->pend_cap) {
        size_t cap = p->pend_cap ? p->pend_cap * 2 : 256;
        ls_pend *v = realloc(p->pends, cap * sizeof *v);
        if (!v)
            return p->failed = 1, -1;
        p->pends = v;
        p->pend_cap = cap;
    }
    ls_pend *q = &p->pends[p->npend];
    if (put_keys(&p->scratch, LS_FIELD_WORD, t->word, t->word_len, &q->word_off, LS_FIELD_BODY,
                 t->term, t->term_len, &q->term_off))
        return p->failed = 1, -1;
    q->word_len = (uint32_t)t->word_len + 1;
    q->term_len = (uint32_t)t->term_len + 1;
    q->pos = t->position;
    const unsigned char *sc = p->scratch.p, *sc_end = sc + p->scratch.cap;
    q->word_hash = key_hash_in(sc + q->word_off, q->word_len, sc_end);
    q->term_hash = key_hash_in(sc + q->term_off, q->term_len, sc_end);
    q->pair_len = 0;
    p->npend++;
    if (!p->pairs)
        return 0;
    /* the pair of the previous token and this one (index/pairs.h) */
    int common = ls_pairs_common(p->pairs, t->term, t->term_len);
    ls_pend *a = q - 1;
    if (p->npend - 1 > p->span_first &&
        ls_pairs_join(p->prev_common, common, a->pos, q->pos, a->term_len - 1u, t->term_len)) {
        unsigned char key[LS_MAX_TERM_BYTES];
        size_t kl = ls_pairs_key(key, (const char *)p->scratch.p + a->term_off + 1,
                                 a->term_len - 1u, t->term, t->term_len);
        a->pair_off = (uint32_t)p->scratch.len;
        a->pair_len = (uint32_t)kl;
        a->pair_hash = key_hash_in(key, kl, key + sizeof key);
        if (ls_buf_add(&p->scratch, key, kl))
            return p->failed = 1, -1;
    }
    p->prev_common = common;
    return 0;
}

static int title_cb(void *ctx, const srch_token *t)
{
    ls_prep *p = ctx;
    if (p->ntitle == p->title_cap) {
        size_t cap = p->title_cap ? p->title_cap * 2 : 32;
        ls_pend *v = realloc(p->title, cap * sizeof *v);
        if (!v)
            return p->failed = 1, -1;
        p->title = v;
        p->title_cap = cap;
    }
    ls_pend *q = &p->title[p->ntitle];
    if (put_keys(&p->tscratch, LS_FIELD_TITLE, t->term, t->term_len, &q->term_off,
                 LS_FIELD_TITLE_WORD, t->word, t->word_len, &q->word_off))
        return p->failed = 1, -1;
    q->term_len = (uint32_t)t->term_len + 1;
    q->word_len = (uint32_t)t->word_len + 1;
    q->pos = t->position;
    const unsigned char *sc = p->tscratch.p, *sc_end = sc + p->tscratch.cap;
    q->term_hash = key_hash_in(sc + q->term_off, q->term_len, sc_end);
    q->word_hash = key_hash_in(sc + q->word_off, q->word_len, sc_end);
    p->ntitle++;
    return 0;
}

void ls_prep_free(ls_prep *p)
{
    free(p->spans);
    free(p->pends);
    free(p->pstart);
    free(p->title);
    ls_buf_free(&p->scratch);
    ls_buf_free(&p->tscratch);
    memset(p, 0, sizeof *p);
}

void ls_prep_trim(ls_prep *p)
{
    if (p->pend_cap > LS_PREP_KEEP_TOKENS) {
        free(p->pends);
        p->pends = NULL;
        p->pend_cap = p->npend = 0;
    }
    if (p->pstart_cap > LS_PREP_KEEP_TOKENS) {
        free(p->pstart);
        p->pstart = NULL;
        p->pstart_cap = 0;
    }
    if (p->title_cap > LS_PREP_KEEP_TOKENS) {
        free(p->title);
        p->title = NULL;
        p->title_cap = p->ntitle = 0;
    }
    if (p->scratch.cap > LS_PREP_KEEP_BYTES)
        ls_buf_free(&p->scratch);
    if (p->tscratch.cap > LS_PREP_KEEP_BYTES)
        ls_buf_free(&p->tscratch);
    free(p->spans);
    p->spans = NULL;
    p->nspans = 0;
}

int ls_prep_analyze(ls_prep *p, srch_analyzer *a, const srch_document *doc,
                    size_t max_passage_bytes, ls_err *err)
{
    p->doc = doc;
    p->pairs = ls_pairs_for(srch_analyzer_language(a));
    p->nspans = 0;
    p->npend = 0;
    p->ntitle = 0;
    p->scratch.len = 0;
    p->tscratch.len = 0;
    p->failed = 0;
    if (doc->text_len >= UINT32_MAX)
        return p->rc = ls_err_set(err, SRCH_EINVAL,
                                  "document '%s': body of %zu bytes (limit 4 GiB)", doc->id,
                                  doc->text_len);
    free(p->spans);
    p->spans = NULL;
    if (ls_split_passages(doc->text ? doc->text : "", doc->text_len, max_passage_bytes,
                          &p->spans, &p->nspans) != 0)
        return p->rc = ls_err_set(err, SRCH_ENOMEM, "out of memory splitting '%s'", doc->id);
    if (p->nspans + 1 > p->pstart_cap) {
        size_t cap = p->nspans + 16;
        uint32_t *v = realloc(p->pstart, cap * sizeof *v);
        if (!v)
            return p->rc = ls_err_set(err, SRCH_ENOMEM, "out of memory indexing '%s'", doc->id);
        p->pstart = v;
        p->pstart_cap = cap;
    }
    size_t title_len = doc->title ? strlen(doc->title) : 0;
    int rc = SRCH_OK;
    if (title_len)
        rc = srch_analyze(a, doc->title, title_len, title_cb, p);
    for (size_t i = 0; i < p->nspans && rc == SRCH_OK; i++) {
        p->pstart[i] = (uint32_t)p->npend;
        p->span_first = p->npend;
        p->prev_common = 0;
        rc = srch_analyze(a, doc->text + p->spans[i].start, p->spans[i].end - p->spans[i].start,
                          body_cb, p);
    }
    p->pstart[p->nspans] = (uint32_t)p->npend;
    if (rc != SRCH_OK || p->failed)
        return p->rc = ls_err_set(err, p->failed || rc == SRCH_EABORT ? SRCH_ENOMEM : rc,
                                  "out of memory analyzing '%s'", doc->id);
    return p->rc = SRCH_OK;
}

/* Invert the pairs of the tokens pends[from, to) of passage p (their keys
 * made by the analysis) into the pairs' store. */
static int invert_pairs(termstore *m, const ls_prep *pr, size_t from, size_t to, uint32_t p)
{
    const unsigned char *sc = pr->scratch.p;
    const ls_pend *pends = pr->pends;
    for (size_t i = from; i < to; i++)
        if (pends[i].pair_len)
            __builtin_prefetch(&m->slots[pends[i].pair_hash & m->mask]);
    for (size_t i = from; i < to; i++) {
        const tslot *s = &m->slots[pends[i].pair_hash & m->mask];
        if (pends[i].pair_len && s->t && s->hash == pends[i].pair_hash)
            __builtin_prefetch(s->t);
    }
    for (size_t i = from; i < to; i++) {
        const ls_pend *q = &pends[i];
        if (!q->pair_len)
            continue;
        memterm *t = get_term(m, sc + q->pair_off, q->pair_len, q->pair_hash);
        if (!t || add_occurrence(m, t, p, q->pos) != 0)
            return -1;
    }
    return 0;
}

/* Invert the tokens pends[from, to) of passage p, but their pairs:
 * prefetch the slots of the whole batch first (the table is far larger
 * than the caches), then the entries the slots point to, then find each
 * word's entry, and through its link, its stem's entry. */
static int invert_passage(termstore *m, const ls_prep *pr, size_t from, size_t to, uint32_t p)
{
    const unsigned char *sc = pr->scratch.p;
    const ls_pend *pends = pr->pends;
    for (size_t i = from; i < to; i++)
        __builtin_prefetch(&m->slots[pends[i].word_hash & m->mask]);
    for (size_t i = from; i < to; i++) {
        const tslot *s = &m->slots[pends[i].word_hash & m->mask];
        if (s->t && s->hash == pends[i].word_hash)
            __builtin_prefetch(s->t);
    }
    for (size_t i = from; i < to; i++) {
        const ls_pend *q = &pends[i];
        memterm *w = get_term(m, sc + q->word_off, q->word_len, q->word_hash);
        if (!w)
            return -1;
        /* The word's entry links to its stem's. Words that fold to the
         * same key may stem differently ("abandonnée" and "abandonnee",
         * "ès" and "es": stems come from the accented form): the link
         * serves only the stem it was made for. */
        memterm *stem = w->u.stem;
        const unsigned char *k = sc + q->term_off;
        if (!stem || stem->hash != q->term_hash || stem->klen != q->term_len ||
            memcmp(stem->key, k, q->term_len) != 0) {
            if (!(stem = get_term(m, k, q->term_len, q->term_hash)))
                return -1;
            if (!w->u.stem)
                w->u.stem = stem;
            else
                w->mixed = 1;
        }
        if (add_occurrence(m, w, p, 0) != 0 || add_occurrence(m, stem, p, q->pos) != 0)
            return -1;
    }
    return 0;
}

static int grow_per_passage(ls_memseg *m, size_t need)
{
    if (need > m->norms_cap) {
        size_t cap = m->norms_cap ? m->norms_cap : 1024;
        while (cap < need)
            cap *= 2;
        uint16_t *n = realloc(m->norms, cap * 2 * sizeof *n);
        if (!n)
            return -1;
        m->norms = n;
        m->norms_cap = cap;
    }
    size_t words = (need + 63) / 64;
    if (words > m->del_cap) {
        size_t cap = m->del_cap ? m->del_cap : 64;
        while (cap < words)
            cap *= 2;
        uint64_t *d = realloc(m->deleted, cap * sizeof *d);
        if (!d)
            return -1;
        memset(d + m->del_cap, 0, (cap - m->del_cap) * sizeof *d);
        m->deleted = d;
        m->del_cap = cap;
    }
    return 0;
}

/* Delete the passages of one document. */
static void mark_deleted(ls_memseg *m, uint32_t first, uint32_t count)
{
    uint32_t newly = 0;
    for (uint32_t i = first; i < first + count; i++) {
        uint64_t bit = 1ull << (i & 63);
        if (!(m->deleted[i >> 6] & bit)) {
            m->deleted[i >> 6] |= bit;
            newly++;
        }
    }
    m->ndeleted += newly;
    m->ndeleted_docs += newly > 0;
}

/* Document record: u32 id_len, id, u32 title_len, title, u32 lead_len,
 * lead, u32 nfields, u32 fields_len, fields (store format), u32 first
 * passage, u32 passage count. Passage record: u32 start, u32 end, u32
 * stored_len, stored. */
static int put_u32(ls_buf *b, uint32_t v)
{
    unsigned char x[4];
    ls_put_u32(x, v);
    return ls_buf_add(b, x, 4);
}

int ls_memseg_add_records(ls_memseg *m, ls_prep *pr, int *replaced, ls_err *err)
{
    *replaced = 0;
    pr->added = 0;
    const srch_document *doc = pr->doc;
    if (pr->rc != SRCH_OK)
        return ls_err_set(err, pr->rc, "document '%s' could not be analyzed", doc->id);
    size_t id_len = strlen(doc->id);
    size_t title_len = doc->title ? strlen(doc->title) : 0;
    const ls_span *spans = pr->spans;
    size_t nspans = pr->nspans;
    if ((uint64_t)m->npassages + nspans > LS_MAX_PASSAGES_PER_SEGMENT)
        return ls_err_set(err, SRCH_ELIMIT, "too many passages in one segment");
    /* The records first, so that a failure while inverting leaves a
     * complete (deleted) document behind. */
    size_t docs_len = m->docs.len, passages_len = m->passages.len;
    uint32_t first = m->npassages;
    int inserted;
    ls_strmap_slot *idslot = NULL;
    if (grow_per_passage(m, (size_t)m->npassages + nspans) != 0 ||
        !(idslot = ls_strmap_upsert(&m->ids, doc->id, id_len, &inserted)))
        return ls_err_set(err, SRCH_ENOMEM, "out of memory indexing '%s'", doc->id);
    void *old = idslot->value;
    int bad = put_u32(&m->docs, (uint32_t)id_len) || ls_buf_add(&m->docs, doc->id, id_len) ||
              put_u32(&m->docs, (uint32_t)title_len) ||
              ls_buf_add(&m->docs, doc->title, title_len) ||
              put_u32(&m->docs, spans[0].start) || ls_buf_add(&m->docs, doc->text, spans[0].start) ||
              put_u32(&m->docs, (uint32_t)doc->nfields);
    size_t flen_at = m->docs.len;
    bad = bad || put_u32(&m->docs, 0);
    for (size_t i = 0; !bad && i < doc->nfields; i++) {
        const srch_field *f = &doc->fields[i];
        size_t nl = strlen(f->name);
        bad = ls_buf_varint(&m->docs, nl) || ls_buf_add(&m->docs, f->name, nl) ||
              ls_buf_varint(&m->docs, f->value_len) ||
              ls_buf_add(&m->docs, f->value, f->value_len);
    }
    if (!bad)
        ls_put_u32(m->docs.p + flen_at, (uint32_t)(m->docs.len - flen_at - 4));
    bad = bad || put_u32(&m->docs, first) || put_u32(&m->docs, (uint32_t)nspans);
    for (size_t i = 0; !bad && i < nspans; i++)
        bad = put_u32(&m->passages, spans[i].start) || put_u32(&m->passages, spans[i].end) ||
              put_u32(&m->passages, spans[i].stored_end - spans[i].start) ||
              ls_buf_add(&m->passages, doc->text + spans[i].start,
                         spans[i].stored_end - spans[i].start);
    if (bad) {
        m->docs.len = docs_len;
        m->passages.len = passages_len;
        /* the id slot is unchanged (or new and empty) */
        return ls_err_set(err, SRCH_ENOMEM, "out of memory indexing '%s'", doc->id);
    }
    if (old) {   /* replacing a document of the memseg */
        uint64_t v = (uint64_t)(uintptr_t)old;
        uint32_t p = (uint32_t)v, n = (uint32_t)(v >> 32);
        if (!((m->deleted[p >> 6] >> (p & 63)) & 1)) {
            mark_deleted(m, p, n);
            *replaced = 1;
        }
    }
    /* nspans >= 1, so the value is never NULL */
    idslot->value = (void *)(uintptr_t)((uint64_t)nspans << 32 | first);
    m->ndocs++;
    m->npassages += (uint32_t)nspans;
    pr->first = first;
    pr->added = 1;
    return SRCH_OK;
}

int ls_memseg_invert(ls_memseg *m, const ls_prep *pr, int with_pairs, ls_err *err)
{
    if (!pr->added)
        return SRCH_OK;
    const srch_document *doc = pr->doc;
    size_t nspans = pr->nspans;
    uint32_t first = pr->first;
    with_pairs = with_pairs && m->pairs;
    /* The title's entries once (reused for every passage), then each
     * passage in a batch. */
    if (2 * pr->ntitle > m->title_cap) {
        title_tok *v = realloc(m->title_toks, 2 * pr->ntitle * sizeof *v);
        if (!v)
            goto fail;
        m->title_toks = v;
        m->title_cap = 2 * pr->ntitle;
    }
    /* each title token: its stem (with its position) and its exact form */
    m->ntitle = 0;
    for (size_t k = 0; k < pr->ntitle; k++) {
        const ls_pend *q = &pr->title[k];
        memterm *e = get_term(&m->ts, pr->tscratch.p + q->term_off, q->term_len, q->term_hash);
        memterm *x = e ? get_term(&m->ts, pr->tscratch.p + q->word_off, q->word_len,
                                  q->word_hash)
                       : NULL;
        if (!x)
            goto fail;
        m->title_toks[m->ntitle++] = (title_tok){e, q->pos};
        m->title_toks[m->ntitle++] = (title_tok){x, q->pos};
    }
    for (size_t i = 0; i < nspans; i++) {
        uint32_t p = first + (uint32_t)i;
        if (invert_passage(&m->ts, pr, pr->pstart[i], pr->pstart[i + 1], p) != 0 ||
            (with_pairs && invert_pairs(&m->pts, pr, pr->pstart[i], pr->pstart[i + 1], p) != 0))
            goto fail;
        for (size_t k = 0; k < m->ntitle; k++)
            if (add_occurrence(&m->ts, m->title_toks[k].t, p, m->title_toks[k].pos) != 0)
                goto fail;
        uint32_t ntok = pr->pstart[i + 1] - pr->pstart[i];
        m->norms[2 * p] = ntok > 0xFFFF ? 0xFFFF : (uint16_t)ntok;
        m->norms[2 * p + 1] = pr->ntitle > 0xFFFF ? 0xFFFF : (uint16_t)pr->ntitle;
    }
    return SRCH_OK;

fail:
    /* The passages stay, deleted, so that the records remain consistent. */
    for (size_t i = 0; i < nspans; i++) {
        m->norms[2 * (first + i)] = 0;
        m->norms[2 * (first + i) + 1] = 0;
    }
    mark_deleted(m, first, (uint32_t)nspans);
    return ls_err_set(err, SRCH_ENOMEM, "out of memory indexing '%s'", doc->id);
}

int ls_memseg_add_prepared(ls_memseg *m, ls_prep *pr, int *replaced, ls_err *err)
{
    int rc = ls_memseg_add_records(m, pr, replaced, err);
    return rc == SRCH_OK ? ls_memseg_invert(m, pr, 1, err) : rc;
}

void ls_memseg_add_pairs(ls_memseg *m, const ls_prep *preps, size_t n)
{
    if (!m->pairs)
        return;
    for (size_t d = 0; d < n && !m->pairs_lost; d++) {
        const ls_prep *pr = &preps[d];
        for (size_t i = 0; pr->added && i < pr->nspans; i++)
            if (invert_pairs(&m->pts, pr, pr->pstart[i], pr->pstart[i + 1],
                             pr->first + (uint32_t)i) != 0) {
                ls_memseg_drop_pairs(m);
                break;
            }
    }
}

void ls_memseg_drop_pairs(ls_memseg *m)
{
    m->pairs_lost = 1;
}

size_t ls_memseg_max_passage(const ls_memseg *m)
{
    return m->max_passage_bytes;
}

int ls_memseg_find(const ls_memseg *m, const char *id, size_t id_len, uint32_t *first,
                   uint32_t *count)
{
    ls_strmap_slot *slot = ls_strmap_find(&m->ids, id, id_len);
    if (!slot || !slot->value)
        return 0;
    /* The map holds the last document with this id (count << 32 | first):
     * earlier ones were deleted when it replaced them. */
    uint64_t v = (uint64_t)(uintptr_t)slot->value;
    uint32_t p = (uint32_t)v, n = (uint32_t)(v >> 32);
    if ((m->deleted[p >> 6] >> (p & 63)) & 1)
        return 0;
    *first = p;
    *count = n;
    return 1;
}

void ls_memseg_delete_doc(ls_memseg *m, uint32_t first, uint32_t count)
{
    mark_deleted(m, first, count);
}

/* ------------------------------------------------------------------- flush */

/* A term to sort: the first 12 bytes of its key as two numbers that
 * compare as the bytes do (zero-padded), and its index in the array of
 * entries, so that the sort reads the entries themselves only to break a
 * tie on 12 bytes, in 16 bytes a term. */
typedef struct sterm {
    uint64_t k0;
    uint32_t k1, i;
} sterm;

static inline int sterm_lt(memterm *const *terms, const sterm *a, const sterm *b)
{
    if (a->k0 != b->k0)
        return a->k0 < b->k0;
    if (a->k1 != b->k1)
        return a->k1 < b->k1;
    const memterm *x = terms[a->i], *y = terms[b->i];
    return ls_key_cmp(x->key, x->klen, y->key, y->klen) < 0;
}

static void sterm_init(sterm *s, const memterm *t, uint32_t i)
{
    unsigned char b[12] = {0};
    memcpy(b, t->key, t->klen < 12 ? t->klen : 12);
    uint64_t k0 = 0;
    uint32_t k1 = 0;
    for (int k = 0; k < 8; k++)
        k0 = k0 << 8 | b[k];
    for (int k = 8; k < 12; k++)
        k1 = k1 << 8 | b[k];
    s->k0 = k0;
    s->k1 = k1;
    s->i = i;
}

/* Sort v[0..n) (keys distinct) with tmp[n] as scratch: runs of 16 by
 * insertion, then bottom-up merges, the comparison inlined. Returns the
 * array that holds the result (v or tmp). */
static sterm *sort_run(memterm *const *terms, sterm *v, sterm *tmp, size_t n)
{
    for (size_t lo = 0; lo < n; lo += 16) {
        size_t hi = lo + 16 < n ? lo + 16 : n;
        for (size_t i = lo + 1; i < hi; i++) {
            sterm x = v[i];
            size_t j = i;
            for (; j > lo && sterm_lt(terms, &x, &v[j - 1]); j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
    }
    sterm *src = v, *dst = tmp;
    for (size_t width = 16; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                dst[o++] = sterm_lt(terms, &src[b], &src[a]) ? src[b++] : src[a++];
            while (a < mid)
                dst[o++] = src[a++];
            while (b < hi)
                dst[o++] = src[b++];
        }
        sterm *x = src;
        src = dst;
        dst = x;
    }
    return src;
}

#define SORT_BUCKETS 0x10000   /* by the first two key bytes */

/* Sort v[0..n) the same way, first distributed into buckets by their
 * first two bytes (a field byte and a term's first byte: a few hundred
 * buckets in use), each then sorted alone: fewer merge passes. Returns
 * the array that holds the result. */
static sterm *sort_terms(memterm *const *terms, sterm *v, sterm *tmp, size_t n)
{
    uint32_t *end = n >= 4096 ? calloc(SORT_BUCKETS, sizeof *end) : NULL;
    if (!end)
        return sort_run(terms, v, tmp, n);
    for (size_t i = 0; i < n; i++)
        end[v[i].k0 >> 48]++;
    uint32_t at = 0;
    for (size_t b = 0; b < SORT_BUCKETS; b++) {   /* counts -> starts */
        uint32_t c = end[b];
        end[b] = at;
        at += c;
    }
    for (size_t i = 0; i < n; i++)   /* starts -> ends */
        tmp[end[v[i].k0 >> 48]++] = v[i];
    for (size_t b = 0, lo = 0; b < SORT_BUCKETS; lo = end[b++]) {
        size_t len = end[b] - lo;
        if (len > 1 && sort_run(terms, tmp + lo, v + lo, len) == v + lo)
            memcpy(tmp + lo, v + lo, len * sizeof *v);
    }
    free(end);
    return tmp;
}

/* The store a term lives in. */
static inline const termstore *store_of(const ls_memseg *m, const memterm *t)
{
    return t->key[0] == LS_FIELD_PAIR ? &m->pts : &m->ts;
}

/* Write terms[from, to): the entries of those a few places ahead, then
 * their streams' first slices and their last passage's lengths, start
 * loading (terms are in key order, their entries and slices anywhere). */
static int write_term(ls_memseg *m, ls_segment_writer *w, const memterm *t);
static int write_terms(ls_memseg *m, ls_segment_writer *w, memterm *const *terms,
                       size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (i + 16 < to)
            __builtin_prefetch(terms[i + 16]);
        if (i + 8 < to) {
            const memterm *t = terms[i + 8];
            const unsigned char *pool = store_of(m, t)->pool;
            if (t->docs.end)
                __builtin_prefetch(pool + t->docs.head);
            if (ls_field_has_positions(t->key[0]))
                __builtin_prefetch(pool + t->u.pos.head);
            if (t->df > 1)
                __builtin_prefetch(m->norms + 2 * (size_t)t->last_doc);
        }
        int rc = write_term(m, w, terms[i]);
        if (rc != SRCH_OK)
            return rc;
    }
    return SRCH_OK;
}

/* The last terms of a flush, written by a second thread into a half of
 * the segment (ls_segw_open_half) while this one writes the others. */
typedef struct flush_half {
    ls_memseg *m;
    memterm *const *terms;
    size_t from, to;
    ls_segment_writer h;
    ls_err err;
    int rc;
    pthread_t thread;
    int started;
} flush_half;

static void *half_main(void *arg)
{
    flush_half *f = arg;
    f->rc = write_terms(f->m, &f->h, f->terms, f->from, f->to);
    return NULL;
}

/* Start writing terms[from, to) in another thread; 0 if it could not be
 * (the caller writes them itself). */
static int half_start(flush_half *f, ls_memseg *m, memterm *const *terms, size_t from, size_t to)
{
    memset(f, 0, sizeof *f);
    f->m = m;
    f->terms = terms;
    f->from = from;
    f->to = to;
    if (ls_segw_open_half(&f->h, NULL, &f->err) != SRCH_OK)
        return 0;
    if (pthread_create(&f->thread, NULL, half_main, f) != 0) {
        ls_segw_free_half(&f->h);
        return 0;
    }
    f->started = 1;
    return 1;
}

/* Wait for the second half and add it to the segment (rc: the first
 * half's; the half is freed either way). */
static int half_finish(flush_half *f, ls_segment_writer *w, int rc)
{
    pthread_join(f->thread, NULL);
    if (rc == SRCH_OK && f->rc != SRCH_OK)
        rc = ls_err_set(w->err, f->rc, "%s", f->err.msg);
    if (rc == SRCH_OK)
        rc = ls_segw_append_half(w, &f->h);
    ls_segw_free_half(&f->h);
    return rc;
}

static int cmp_ids(const void *a, const void *b)
{
    const id_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->id, y->id, n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

static uint32_t field_len(const ls_memseg *m, unsigned char field, uint32_t p)
{
    if (field == LS_FIELD_ID)
        return 0;
    return m->norms[2 * p + ls_field_norm(field)];
}

static int write_term(ls_memseg *m, ls_segment_writer *w, const memterm *t)
{
    int with_pos = ls_field_has_positions(t->key[0]);
    stream_reader dr, pr = {0};
    const termstore *ts = store_of(m, t);
    reader_init(&dr, ts, &t->docs);
    if (with_pos)
        reader_init(&pr, ts, &t->u.pos);
    ls_segw_term_begin(w, t->key, t->klen);
    /* an exact word whose occurrences all stem to a prefix of it */
    const memterm *stem = t->key[0] == LS_FIELD_WORD ? t->u.stem : NULL;
    if (stem && !t->mixed && stem->klen <= t->klen &&
        memcmp(stem->key + 1, t->key + 1, stem->klen - 1u) == 0)
        ls_segw_term_stem(w, stem->klen - 1u);
    uint32_t doc = UINT32_MAX;
    for (uint32_t i = 0; i < t->df; i++) {
        uint32_t freq;
        if (i + 1 < t->df) {
            uint64_t v = reader_varint(&dr);
            doc += (uint32_t)(v >> 1);
            freq = v & 1 ? 1 : (uint32_t)reader_varint(&dr);
        } else {
            doc = t->last_doc;   /* the pending entry */
            freq = t->freq;
        }
        if (with_pos)   /* stored as the segment stores them: copied */
            reader_copy_varints(&pr, freq, ls_pw_positions(&w->pw));
        /* a single entry's length is not kept (the entry is inlined in
         * the dictionary, without bounds): not read either */
        uint32_t len = t->df == 1 ? 0 : field_len(m, t->key[0], doc);
        int rc = ls_pw_add_raw(&w->pw, doc, freq, NULL, 0, len);
        if (rc != SRCH_OK)
            return rc;
    }
    return ls_segw_term_end(w);
}

/* The id terms: one key per distinct id, an entry per document with it. */
static int write_ids(ls_segment_writer *w, const id_ref *ids, size_t n)
{
    unsigned char key[LS_MAX_TERM_BYTES];
    key[0] = LS_FIELD_ID;
    for (size_t i = 0; i < n;) {
        memcpy(key + 1, ids[i].id, ids[i].len);
        ls_segw_term_begin(w, key, ids[i].len + 1);
        size_t j = i;
        for (; j < n && ids[j].len == ids[i].len && memcmp(ids[j].id, ids[i].id, ids[i].len) == 0; j++) {
            int rc = ls_pw_add(&w->pw, ids[j].first, ids[j].count, NULL, 0);
            if (rc != SRCH_OK)
                return rc;
        }
        int rc = ls_segw_term_end(w);
        if (rc != SRCH_OK)
            return rc;
        i = j;
    }
    return SRCH_OK;
}

/* The stored records of a flush (ls_segw_store_start()); collects the
 * ids on the way. */
typedef struct store_job {
    const ls_memseg *m;
    ls_segment_writer *w;
    id_ref *ids;
} store_job;

/* The document record at d (written by ls_memseg_add_records) into rec;
 * returns the next record. */
static const unsigned char *next_doc_record(const unsigned char *d, ls_doc_rec *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->id_len = ls_get_u32(d), rec->id = (const char *)d + 4, d += 4 + rec->id_len;
    rec->title_len = ls_get_u32(d), rec->title = (const char *)d + 4, d += 4 + rec->title_len;
    rec->lead_len = ls_get_u32(d), rec->lead = (const char *)d + 4, d += 4 + rec->lead_len;
    rec->nfields = ls_get_u32(d);
    rec->fields_len = ls_get_u32(d + 4);
    rec->fields = d + 8;
    d += 8 + rec->fields_len;
    rec->first_passage = ls_get_u32(d);
    rec->npassages = ls_get_u32(d + 4);
    return d + 8;
}

void ls_memseg_each_id(const ls_memseg *m, void (*fn)(void *ctx, const char *id, size_t len),
                       void *ctx)
{
    const unsigned char *d = m->docs.p;
    for (uint32_t k = 0; k < m->ndocs; k++) {
        ls_doc_rec rec;
        d = next_doc_record(d, &rec);
        fn(ctx, rec.id, rec.id_len);
    }
}

static int write_store(void *arg, ls_err *err)
{
    (void)err;   /* the store file reports to it */
    store_job *j = arg;
    const ls_memseg *m = j->m;
    int rc = SRCH_OK;
    const unsigned char *d = m->docs.p, *pp = m->passages.p;
    for (uint32_t k = 0; k < m->ndocs && rc == SRCH_OK; k++) {
        ls_doc_rec rec;
        d = next_doc_record(d, &rec);
        j->ids[k].id = rec.id;
        j->ids[k].len = (uint32_t)rec.id_len;
        j->ids[k].first = rec.first_passage;
        j->ids[k].count = rec.npassages;
        rc = ls_store_add_doc(&j->w->sw, &rec);
        for (uint32_t i = 0; i < rec.npassages && rc == SRCH_OK; i++) {
            uint32_t start = ls_get_u32(pp), end = ls_get_u32(pp + 4), sl = ls_get_u32(pp + 8);
            rc = ls_store_add_passage(&j->w->sw, i + 1, start, end, (const char *)pp + 12, sl);
            pp += 12 + sl;
        }
    }
    return rc;
}

/* The terms with entries, and the work of writing them (entries + 1),
 * from the arena's chunks: memterms only, each followed by its key. */
typedef struct collect {
    memterm **terms;
    sterm *st8;
    size_t n;
    uint64_t cost_body, cost_rest;
} collect;

static void collect_chunk(void *ctx, unsigned char *data, size_t used)
{
    collect *c = ctx;
    for (size_t o = 0; o < used; o += (sizeof(memterm) + ((memterm *)(data + o))->klen + 7) & ~(size_t)7) {
        memterm *t = (memterm *)(data + o);
        if (!t->df)
            continue;
        sterm_init(&c->st8[c->n], t, (uint32_t)c->n);
        c->terms[c->n++] = t;
        if (t->key[0] < LS_FIELD_ID)
            c->cost_body += 1 + t->df;
        else
            c->cost_rest += 1 + t->df;
    }
}

int ls_memseg_flush(ls_memseg *m, const char *dir, uint64_t id, int durable, int threads,
                    ls_segment_meta *meta, ls_deletes **deletes, ls_err *err)
{
    *deletes = NULL;
    size_t nterms = m->ts.nterms + m->pts.nterms;
    size_t terms_bytes = (nterms ? nterms : 1) * sizeof(memterm *);
    size_t st8_bytes = (nterms ? nterms : 1) * 2 * sizeof(sterm);
    size_t ids_bytes = (m->ndocs ? m->ndocs : 1) * sizeof(id_ref);
    memterm **terms = ls_big_alloc(terms_bytes);
    sterm *st8 = ls_big_alloc(st8_bytes);
    id_ref *ids = ls_big_alloc(ids_bytes);
    ls_segment_writer w;
    int rc = SRCH_OK, opened = 0;
    if (!terms || !st8 || !ids) {
        rc = ls_err_set(err, SRCH_ENOMEM, "out of memory flushing");
        goto done;
    }
    if ((rc = ls_segw_open(&w, dir, id, durable, err)) != SRCH_OK)
        goto done;
    opened = 1;
    flush_half half;
    half.started = 0;
    w.meta.pairs = m->pairs && !m->pairs_lost ? m->pairs->id : 0;
    /* the stored records in a second thread (or here, first) */
    store_job job = {m, &w, ids};
    ls_store_thread st;
    ls_segw_store_start(&st, &w, threads, write_store, &job);
    /* the terms, read sequentially where they were allocated */
    collect c = {terms, st8, 0, 0, 0};
    ls_arena_each(&m->ts.arena, collect_chunk, &c);
    if (!m->pairs_lost)
        ls_arena_each(&m->pts.arena, collect_chunk, &c);
    size_t n = c.n;
    uint64_t cost_body = c.cost_body, cost_rest = c.cost_rest;   /* to split the work */
    const sterm *sorted = sort_terms(terms, st8, st8 + n, n);
    /* terms in key order, in place: the sorted indexes say where each
     * comes from; the array of 8-byte pointers is rebuilt through the
     * sterms (whose index field is free once read) */
    for (size_t i = 0; i < n; i++)
        ((sterm *)sorted)[i].k0 = (uint64_t)(uintptr_t)terms[sorted[i].i];
    for (size_t i = 0; i < n; i++)
        terms[i] = (memterm *)(uintptr_t)sorted[i].k0;
    ls_big_free(st8, st8_bytes);
    st8 = NULL;
    for (uint32_t p = 0; p < m->npassages && rc == SRCH_OK; p++)
        rc = ls_segw_norms(&w, m->norms[2 * p], m->norms[2 * p + 1]);
    /* terms in key order: body (B), ids (I), pairs (P), title (T), title
     * words (V), words (W) */
    size_t nb = 0;   /* the terms before the ids: binary search */
    for (size_t hi = n; nb < hi;) {
        size_t mid = nb + (hi - nb) / 2;
        if (terms[mid]->key[0] < LS_FIELD_ID)
            nb = mid + 1;
        else
            hi = mid;
    }
    /* With threads, a second thread writes the last terms meanwhile: as
     * many (counting entries and terms) as this one writes body terms, ids
     * and the first of the others. */
    size_t split = n;
    if (rc == SRCH_OK && threads > 1 && n > nb) {
        uint64_t mine = cost_body + 2 * (uint64_t)m->ndocs;
        uint64_t share = cost_rest > mine ? (cost_rest - mine) / 2 : 0;
        split = nb + (size_t)((double)(n - nb) * (double)share / (double)(cost_rest ? cost_rest : 1));
        if (split < n && !half_start(&half, m, terms, split, n))
            split = n;
    }
    if (rc == SRCH_OK)
        rc = write_terms(m, &w, terms, 0, nb);
    rc = ls_segw_store_join(&st, rc);
    if (rc == SRCH_OK) {
        qsort(ids, m->ndocs, sizeof *ids, cmp_ids);
        rc = write_ids(&w, ids, m->ndocs);
    }
    if (rc == SRCH_OK)
        rc = write_terms(m, &w, terms, nb, split);
    if (half.started)
        rc = half_finish(&half, &w, rc);
    if (rc == SRCH_OK) {
        opened = 0;
        rc = ls_segw_finish(&w, meta);
    }
    if (rc == SRCH_OK && m->ndeleted) {
        ls_deletes *del = ls_deletes_new(m->npassages);
        if (!del) {
            rc = ls_err_set(err, SRCH_ENOMEM, "out of memory flushing");
        } else {
            memcpy(del->words, m->deleted, ((m->npassages + 63) / 64) * sizeof *del->words);
            del->count = m->ndeleted;
            del->docs = m->ndeleted_docs;
            *deletes = del;
        }
    }
done:
    if (opened)
        ls_segw_abort(&w);
    ls_big_free(terms, terms_bytes);
    ls_big_free(st8, st8_bytes);
    ls_big_free(ids, ids_bytes);
    return rc;
}
