/*
 * memseg.c - the writer's in-memory segment: a forward index of the added
 * documents, inverted when it is flushed to a segment (see memseg.h).
 */
#include "memseg.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyzer.h"
#include "index/pairs.h"
#include "index/passage.h"
#include "util/hash.h"
#include "util/varint.h"

/* ---------------------------------------------------------------- memory */

/* The memseg's buffers and the flush's arrays are big blocks (util/file.h:
 * mapped, grown by moving pages, returned to the system when freed): what
 * the memseg counts against the budget (their capacities) is what it
 * holds, and a reset memseg holds next to nothing. A block grows by a
 * quarter, so it is rarely more than a quarter too big. */
static int big_room(void *pp, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap + *cap / 4;
    if (c < need)
        c = need;
    c = (c + 4095) & ~(size_t)4095;
    void *p;   /* pp points to the block's pointer, of any type */
    memcpy(&p, pp, sizeof p);
    if (!(p = ls_big_realloc(p, *cap, c)))
        return -1;
    memcpy(pp, &p, sizeof p);
    *cap = c;
    return 0;
}

/* A table that is read before it is written (hash slots, counts), its
 * pages written now (see ls_table_calloc()). */
static void *big_table(size_t bytes)
{
    void *p = ls_big_alloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

static void big_drop(void *p, size_t *cap)
{
    ls_big_free(p, *cap);
    *cap = 0;
}

/* Room for n more bytes in a buffer of big blocks. */
static inline int buf_room(ls_buf *b, size_t n)
{
    return b->len + n <= b->cap ? 0 : big_room(&b->p, &b->cap, b->len + n);
}

static int buf_add(ls_buf *b, const void *s, size_t n)
{
    if (buf_room(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static int buf_varint(ls_buf *b, uint64_t v)
{
    if (buf_room(b, LS_VARINT_MAX) != 0)
        return -1;
    b->len = (size_t)(ls_put_varint(b->p + b->len, v) - b->p);
    return 0;
}

static void buf_drop(ls_buf *b)
{
    big_drop(b->p, &b->cap);
    b->p = NULL;
    b->len = 0;
}

/* ------------------------------------------------------------ vocabulary */

/* A numbered byte string: a type (word NUL term). */
typedef struct vrec {
    uint32_t id;
    uint16_t len;             /* of bytes */
    uint16_t wlen;            /* of the word: the term follows its NUL */
    uint8_t flags;            /* VF_* */
    uint8_t pad[3];
    unsigned char bytes[];
} vrec;

#define VF_BODY 1             /* type: seen in a body */

/* The parts of a type's bytes: the whole, the word, the term. */
enum { PART_ALL, PART_WORD, PART_TERM };

static inline const unsigned char *vrec_part(const vrec *r, int part, size_t *n)
{
    if (part == PART_WORD)
        return *n = r->wlen, r->bytes;
    if (part == PART_TERM)
        return *n = (size_t)r->len - r->wlen - 1u, r->bytes + r->wlen + 1;
    return *n = r->len, r->bytes;
}

/* Strings numbered in order of insertion: an open-addressing table of
 * (hash, record offset + 1) slots, the records in one buffer, and the
 * offset of each number's record. */
typedef struct vocab {
    uint64_t *slots;          /* hash << 32 | (offset + 1); 0 = empty */
    size_t mask, n;
    ls_buf recs;
    uint32_t *offs;           /* id -> record offset */
    size_t offs_cap;          /* bytes */
} vocab;

#define VOCAB_SLOTS (1u << 12)

static int vocab_init(vocab *v)
{
    memset(v, 0, sizeof *v);
    v->mask = VOCAB_SLOTS - 1;
    v->slots = big_table(VOCAB_SLOTS * sizeof *v->slots);
    return v->slots ? 0 : -1;
}

static void vocab_free(vocab *v)
{
    ls_big_free(v->slots, (v->mask + 1) * sizeof *v->slots);
    buf_drop(&v->recs);
    big_drop(v->offs, &v->offs_cap);
    memset(v, 0, sizeof *v);
}

/* Empty, and as small as new (or, out of memory, emptied as it is). */
static void vocab_reset(vocab *v)
{
    vocab fresh;
    if (v->mask + 1 > VOCAB_SLOTS && vocab_init(&fresh) == 0) {
        vocab_free(v);
        *v = fresh;
        return;
    }
    memset(v->slots, 0, (v->mask + 1) * sizeof *v->slots);
    buf_drop(&v->recs);
    big_drop(v->offs, &v->offs_cap);
    v->offs = NULL;
    v->n = 0;
}

static size_t vocab_bytes(const vocab *v)
{
    return (v->mask + 1) * sizeof *v->slots + v->recs.cap + v->offs_cap;
}

static inline vrec *vocab_rec(const vocab *v, uint32_t id)
{
    return (vrec *)(v->recs.p + v->offs[id]);
}

static inline void vocab_prefetch(const vocab *v, uint32_t h)
{
    __builtin_prefetch(&v->slots[h & v->mask]);
}

/* Once its slot is loaded: start loading the record of hash h, found in
 * its slot or the next ones of the same cache line (at 3/4 full, a key is
 * as likely to be one of those as in its own slot); nothing if it is not
 * there. */
static inline void vocab_prefetch_rec(const vocab *v, uint32_t h)
{
    for (size_t i = h & v->mask, last = i | 7;; i++) {   /* 8 slots a line */
        uint64_t s = v->slots[i];
        if (!s)
            return;
        if ((uint32_t)(s >> 32) == h) {
            __builtin_prefetch(v->recs.p + (uint32_t)s - 1);
            return;
        }
        if (i == last)
            return;
    }
}

/* Double an open-addressing table of hash << 32 | value slots (0 =
 * empty; the vocabularies', the document ids'), its slots moved to their
 * places in the new one. -1 when out of memory (the table unchanged). */
static int slots_double(uint64_t **slots, size_t *mask)
{
    size_t cap = (*mask + 1) * 2;
    uint64_t *ns = big_table(cap * sizeof *ns), *os = *slots;
    if (!ns)
        return -1;
    for (size_t i = 0; i <= *mask; i++)
        if (os[i]) {
            size_t j = (os[i] >> 32) & (cap - 1);
            while (ns[j])
                j = (j + 1) & (cap - 1);
            ns[j] = os[i];
        }
    ls_big_free(os, (*mask + 1) * sizeof *os);
    *slots = ns;
    *mask = cap - 1;
    return 0;
}

/* The record of bytes[0, len) (hash h), added if absent (*added = 1, its
 * wlen and flags zero); NULL when out of memory. The pointer is valid
 * until the next addition. */
static vrec *vocab_get(vocab *v, const unsigned char *bytes, size_t len, uint32_t h, int *added)
{
    size_t i = h & v->mask;
    for (uint64_t s; (s = v->slots[i]) != 0; i = (i + 1) & v->mask) {
        if ((uint32_t)(s >> 32) != h)
            continue;
        vrec *r = (vrec *)(v->recs.p + (uint32_t)s - 1);
        if (r->len == len && memcmp(r->bytes, bytes, len) == 0) {
            *added = 0;
            return r;
        }
    }
    size_t size = (sizeof(vrec) + len + 3) & ~(size_t)3;
    if (v->n >= UINT32_MAX - 1 || v->recs.len + size >= UINT32_MAX)
        return NULL;
    if ((v->n + 1) * 4 > (v->mask + 1) * 3) {   /* at most 3/4 full */
        if (slots_double(&v->slots, &v->mask) != 0)
            return NULL;
        for (i = h & v->mask; v->slots[i]; i = (i + 1) & v->mask)
            ;
    }
    if (big_room(&v->offs, &v->offs_cap, (v->n + 1) * sizeof *v->offs) != 0 ||
        buf_room(&v->recs, size) != 0)
        return NULL;
    uint32_t off = (uint32_t)v->recs.len;
    vrec *r = (vrec *)(v->recs.p + off);
    memset(r, 0, sizeof *r);
    r->id = (uint32_t)v->n;
    r->len = (uint16_t)len;
    memcpy(r->bytes, bytes, len);
    v->recs.len += size;
    v->offs[v->n++] = off;
    v->slots[i] = (uint64_t)h << 32 | (off + 1u);
    *added = 1;
    return r;
}

/* ------------------------------------------------------------------ memseg */

/* Per document: its passages, where its title's tokens start, and its
 * record. */
typedef struct doc_info {
    uint32_t first, npassages;
    uint32_t title;           /* offset in the title stream */
    uint32_t pad;
    uint64_t rec;             /* offset in the document records */
} doc_info;

/* Capacities are in bytes. */
struct ls_memseg {
    size_t max_passage_bytes;
    const ls_pairs *pairs;    /* common-word list, NULL: no pairs */
    int pairs_lost;           /* write no pairs */
    vocab types;              /* word NUL term -> type */
    uint32_t *body;           /* the body stream: type ids, passage after passage */
    size_t nbody, body_cap;
    uint32_t *title;          /* the title stream: type ids, document after document */
    size_t ntitle, title_cap;
    uint32_t *pstart;         /* passage -> its first token in body (npassages + 1) */
    size_t pstart_cap;
    uint16_t *norms;          /* body, title per passage */
    size_t norms_cap;
    uint64_t *deleted;        /* bitmap of deleted passages */
    size_t del_cap;
    doc_info *dinfo;
    size_t dinfo_cap;
    uint64_t *ids;            /* document id -> last document with it: an
                                 open-addressing table of hash << 32 |
                                 document + 1 (the ids are in the records) */
    size_t ids_mask;
    ls_buf docs;              /* document ids: varint length, bytes */
    ls_buf raw;               /* the rest of the stored data (see put_raw()),
                                 until the flush compresses it into sto */
    ls_wfile sto;             /* the store, compressed: a memory file (store.h), */
    ls_store_writer sw;       /* kept until the segment is safely written */
    ls_err sto_err;
    int stored;               /* sto holds every document: raw is gone */
    uint32_t ndeleted, ndeleted_docs;
    uint32_t npassages, ndocs;
};

#define ID_SLOTS 1024u

int ls_memseg_new(ls_memseg **out, size_t max_passage_bytes, ls_err *err)
{
    ls_memseg *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory creating the write buffer");
    m->ids_mask = ID_SLOTS - 1;
    m->sto.fd = -1;
    if (vocab_init(&m->types) != 0 || !(m->ids = big_table(ID_SLOTS * sizeof *m->ids)) ||
        ls_wfile_open_mem(&m->sto, LS_HEADER_SIZE, &m->sto_err) != SRCH_OK ||
        ls_store_writer_init(&m->sw, &m->sto) != SRCH_OK) {
        ls_memseg_free(m);
        return ls_err_set(err, SRCH_ENOMEM, "out of memory creating the write buffer");
    }
    m->max_passage_bytes = max_passage_bytes;
    *out = m;
    return SRCH_OK;
}

/* Release the streams and records (the tables stay). */
static void drop_buffers(ls_memseg *m)
{
    big_drop(m->body, &m->body_cap);
    big_drop(m->title, &m->title_cap);
    big_drop(m->pstart, &m->pstart_cap);
    big_drop(m->norms, &m->norms_cap);
    big_drop(m->deleted, &m->del_cap);
    big_drop(m->dinfo, &m->dinfo_cap);
    m->body = m->title = m->pstart = NULL;
    m->norms = NULL;
    m->deleted = NULL;
    m->dinfo = NULL;
    buf_drop(&m->docs);
    buf_drop(&m->raw);
}

void ls_memseg_free(ls_memseg *m)
{
    if (!m)
        return;
    vocab_free(&m->types);
    ls_big_free(m->ids, (m->ids_mask + 1) * sizeof *m->ids);
    drop_buffers(m);
    ls_store_writer_free(&m->sw);
    ls_wfile_scratch_free(&m->sto);
    free(m);
}

void ls_memseg_set_pairs(ls_memseg *m, const ls_pairs *pairs)
{
    m->pairs = pairs;
}

/* The compressed store: empty again (its memory file as new, or, out of
 * memory, emptied). */
static void reset_store(ls_memseg *m)
{
    ls_wfile fresh;
    if (ls_wfile_open_mem(&fresh, LS_HEADER_SIZE, &m->sto_err) == SRCH_OK) {
        ls_wfile_scratch_free(&m->sto);
        m->sto = fresh;
    } else {
        m->sto.len = 0;
        m->sto.rc = SRCH_OK;
    }
    ls_store_writer_reset(&m->sw);
    m->stored = 0;
}

void ls_memseg_reset(ls_memseg *m)
{
    vocab_reset(&m->types);
    uint64_t *ids;
    if (m->ids_mask + 1 > ID_SLOTS && (ids = big_table(ID_SLOTS * sizeof *ids)) != NULL) {
        ls_big_free(m->ids, (m->ids_mask + 1) * sizeof *m->ids);
        m->ids = ids;
        m->ids_mask = ID_SLOTS - 1;
    } else {
        memset(m->ids, 0, (m->ids_mask + 1) * sizeof *m->ids);
    }
    drop_buffers(m);
    reset_store(m);
    m->pairs_lost = 0;
    m->nbody = 0;
    m->ntitle = 0;
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

/* What the RAM budget counts: what the memseg holds (big blocks, counted
 * whole; see big_room()), and the store its flush will compress the raw
 * records into (about half their size), held with them until that is
 * done. */
size_t ls_memseg_bytes(const ls_memseg *m)
{
    return vocab_bytes(&m->types) + (m->ids_mask + 1) * sizeof *m->ids + m->body_cap +
           m->title_cap + m->pstart_cap + m->norms_cap + m->del_cap + m->dinfo_cap +
           m->docs.cap + m->raw.cap + (m->stored ? 0 : m->raw.len / 2) + m->sto.cap +
           ls_store_writer_bytes(&m->sw);
}

/* ----------------------------------------------------------- analysis */

/* A token's type bytes (word NUL term) into the scratch buffer, with 8
 * readable bytes after them (ls_hash_bytes_in()), and their hash (the
 * analyzer's when it has it: tokens come from srch_analyze(), as
 * ls_tokens). */
static int put_type(ls_prep *p, ls_pend *q, const srch_token *t)
{
    const ls_token *lt = (const ls_token *)t;
    size_t len = t->word_len + 1 + t->term_len;
    if (t->word_len > 0xFFFF || t->term_len > 0xFFFF || len > 0xFFFF ||
        ls_buf_reserve(&p->scratch, len + 8) != 0)
        return -1;
    unsigned char *o = p->scratch.p + p->scratch.len;
    memcpy(o, t->word, t->word_len);
    o[t->word_len] = 0;
    memcpy(o + t->word_len + 1, t->term, t->term_len);
    q->off = (uint32_t)p->scratch.len;
    q->wlen = (uint16_t)t->word_len;
    q->tlen = (uint16_t)t->term_len;
    q->hash = lt->hashed ? lt->type_hash : (uint32_t)ls_hash_bytes_in(o, len, o + len + 8);
    p->scratch.len += len;
    return 0;
}

static int grow_pends(ls_pend **v, size_t *cap)
{
    size_t c = *cap ? *cap * 2 : 256;
    ls_pend *n = realloc(*v, c * sizeof *n);
    if (!n)
        return -1;
    *v = n;
    *cap = c;
    return 0;
}

static int body_cb(void *ctx, const srch_token *t)
{
    ls_prep *p = ctx;
    /* the memseg numbers positions itself: a token's rank in its passage */
    if (t->position != p->npend - p->span_first ||
        (p->npend == p->pend_cap && grow_pends(&p->pends, &p->pend_cap) != 0) ||
        put_type(p, &p->pends[p->npend], t) != 0)
        return p->failed = 1, -1;
    p->npend++;
    return 0;
}

static int title_cb(void *ctx, const srch_token *t)
{
    ls_prep *p = ctx;
    if (t->position != p->ntitle ||
        (p->ntitle == p->title_cap && grow_pends(&p->title, &p->title_cap) != 0) ||
        put_type(p, &p->title[p->ntitle], t) != 0)
        return p->failed = 1, -1;
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
    if (p->spans_cap > LS_PREP_KEEP_SPANS) {
        free(p->spans);
        p->spans = NULL;
        p->spans_cap = 0;
    }
    p->nspans = 0;
}

int ls_prep_analyze(ls_prep *p, srch_analyzer *a, const srch_document *doc,
                    size_t max_passage_bytes, ls_err *err)
{
    p->doc = doc;
    p->nspans = 0;
    p->npend = 0;
    p->ntitle = 0;
    p->scratch.len = 0;
    p->failed = 0;
    p->id_hash = ls_hash_bytes(doc->id, strlen(doc->id));
    if (doc->text_len >= UINT32_MAX)
        return p->rc = ls_err_set(err, SRCH_EINVAL,
                                  "document '%s': body of %zu bytes (limit 4 GiB)", doc->id,
                                  doc->text_len);
    /* the spans' array is kept from one document to the next: a malloc and
     * a free per document, often in two threads, contend for the
     * allocator's lock */
    if (ls_split_passages(doc->text ? doc->text : "", doc->text_len, max_passage_bytes,
                          &p->spans, &p->spans_cap, &p->nspans) != 0)
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
        rc = srch_analyze(a, doc->text + p->spans[i].start, p->spans[i].end - p->spans[i].start,
                          body_cb, p);
    }
    p->pstart[p->nspans] = (uint32_t)p->npend;
    if (rc != SRCH_OK || p->failed)
        return p->rc = ls_err_set(err, p->failed || rc == SRCH_EABORT ? SRCH_ENOMEM : rc,
                                  "out of memory analyzing '%s'", doc->id);
    return p->rc = SRCH_OK;
}

/* ------------------------------------------------------------- adding */

/* Room for `need` passages (their starts, lengths and deletion bits; the
 * bits added are 0) and one more document. */
static int grow_per_doc(ls_memseg *m, size_t need)
{
    return big_room(&m->pstart, &m->pstart_cap, (need + 1) * sizeof *m->pstart) ||
           big_room(&m->norms, &m->norms_cap, need * 2 * sizeof *m->norms) ||
           big_room(&m->deleted, &m->del_cap, (need + 63) / 64 * sizeof *m->deleted) ||
           big_room(&m->dinfo, &m->dinfo_cap, (m->ndocs + 1) * sizeof *m->dinfo);
}

/* Room for n more entries of a u32 stream. */
static int stream_room(uint32_t **v, size_t len, size_t *cap, size_t n)
{
    if (len + n > UINT32_MAX)
        return -1;
    return big_room(v, cap, (len + n) * sizeof **v);
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

/* A varint of our own records (well formed). */
static inline const unsigned char *get_uv(const unsigned char *p, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        unsigned char b = *p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (b < 0x80)
            break;
    }
    *out = v;
    return p;
}

/* The document ids: the slot of id (hash h) in the table, which holds the
 * last document added with it (hash << 32 | document + 1) or 0. */
static uint64_t *id_slot(const ls_memseg *m, const char *id, size_t len, uint32_t h)
{
    size_t i = h & m->ids_mask;
    for (uint64_t s; (s = m->ids[i]) != 0; i = (i + 1) & m->ids_mask) {
        if ((uint32_t)(s >> 32) != h)
            continue;
        uint64_t n;
        const unsigned char *r = get_uv(m->docs.p + m->dinfo[(uint32_t)s - 1].rec, &n);
        if (n == len && memcmp(r, id, len) == 0)
            break;
    }
    return &m->ids[i];
}

static int grow_ids(ls_memseg *m)
{
    if ((m->ndocs + 1) * 4 <= (m->ids_mask + 1) * 3)   /* at most 3/4 full */
        return 0;
    return slots_double(&m->ids, &m->ids_mask);
}

/* A document's id goes to the memseg's records (varint length, bytes),
 * the rest of it to the raw store records: varint title_len, title, varint
 * lead_len, lead, varint nfields, varint fields_len, fields (the store's
 * format), then for each passage varint start, varint end, varint
 * stored_len, stored bytes. */
static int put_str(ls_buf *b, const void *s, size_t n)
{
    return buf_varint(b, n) || buf_add(b, s, n);
}

static int put_raw(ls_memseg *m, const srch_document *doc, size_t title_len,
                   const ls_span *spans, size_t nspans)
{
    ls_buf *b = &m->raw;
    size_t fields_len = 0;
    for (size_t i = 0; i < doc->nfields; i++) {
        size_t nl = strlen(doc->fields[i].name);
        fields_len += ls_varint_len(nl) + nl + ls_varint_len(doc->fields[i].value_len) +
                      doc->fields[i].value_len;
    }
    if (put_str(b, doc->title, title_len) || put_str(b, doc->text, spans[0].start) ||
        buf_varint(b, doc->nfields) || buf_varint(b, fields_len))
        return -1;
    for (size_t i = 0; i < doc->nfields; i++) {
        const srch_field *f = &doc->fields[i];
        if (put_str(b, f->name, strlen(f->name)) || put_str(b, f->value, f->value_len))
            return -1;
    }
    for (size_t i = 0; i < nspans; i++)
        if (buf_varint(b, spans[i].start) || buf_varint(b, spans[i].end) ||
            put_str(b, doc->text + spans[i].start, spans[i].stored_end - spans[i].start))
            return -1;
    return 0;
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
     * complete (deleted) document behind; on failure here, nothing
     * changes. */
    size_t docs_len = m->docs.len, raw_len = m->raw.len;
    uint32_t first = m->npassages;
    if (grow_per_doc(m, (size_t)m->npassages + nspans) != 0 || grow_ids(m) != 0 ||
        put_str(&m->docs, doc->id, id_len) || put_raw(m, doc, title_len, spans, nspans) != 0) {
        m->docs.len = docs_len;
        m->raw.len = raw_len;
        return ls_err_set(err, SRCH_ENOMEM, "out of memory indexing '%s'", doc->id);
    }
    uint32_t h = (uint32_t)pr->id_hash;
    uint64_t *slot = id_slot(m, doc->id, id_len, h);
    uint32_t old = (uint32_t)*slot;
    if (old) {   /* replacing a document of the memseg */
        const doc_info *d = &m->dinfo[old - 1];
        uint32_t p = d->first;
        if (!((m->deleted[p >> 6] >> (p & 63)) & 1)) {
            mark_deleted(m, p, d->npassages);
            *replaced = 1;
        }
    }
    *slot = (uint64_t)h << 32 | (m->ndocs + 1u);
    /* until its tokens are in: empty passages, no title */
    for (size_t i = 0; i < nspans; i++) {
        m->pstart[first + i + 1] = (uint32_t)m->nbody;
        m->norms[2 * (first + i)] = 0;
        m->norms[2 * (first + i) + 1] = 0;
    }
    m->dinfo[m->ndocs] = (doc_info){first, (uint32_t)nspans, (uint32_t)m->ntitle, 0, docs_len};
    m->ndocs++;
    m->npassages += (uint32_t)nspans;
    pr->first = first;
    pr->added = 1;
    return SRCH_OK;
}

/* The type of token q (its bytes in sc), made if new; NULL when out of
 * memory. */
static inline vrec *get_type(ls_memseg *m, const unsigned char *sc, const ls_pend *q)
{
    int added;
    vrec *t = vocab_get(&m->types, sc + q->off, (size_t)q->wlen + 1 + q->tlen, q->hash, &added);
    if (t && added)
        t->wlen = q->wlen;
    return t;
}

/* Append the type of each token pends[from, to) to the body stream (room
 * made): the slots of the whole passage are loaded first, then the records
 * they point to, then each type is found. */
static int add_passage(ls_memseg *m, const ls_prep *pr, size_t from, size_t to)
{
    const unsigned char *sc = pr->scratch.p;
    const ls_pend *pends = pr->pends;
    for (size_t i = from; i < to; i++)
        vocab_prefetch(&m->types, pends[i].hash);
    for (size_t i = from; i < to; i++)
        vocab_prefetch_rec(&m->types, pends[i].hash);
    uint32_t *out = m->body + m->nbody;
    for (size_t i = from; i < to; i++) {
        vrec *t = get_type(m, sc, &pends[i]);
        if (!t)
            return -1;
        t->flags |= VF_BODY;
        *out++ = t->id;
    }
    m->nbody += to - from;
    return 0;
}

int ls_memseg_invert(ls_memseg *m, const ls_prep *pr, ls_err *err)
{
    if (!pr->added)
        return SRCH_OK;
    const srch_document *doc = pr->doc;
    size_t nspans = pr->nspans;
    uint32_t first = pr->first;
    size_t body0 = m->nbody, title0 = m->ntitle;
    if (stream_room(&m->body, m->nbody, &m->body_cap, pr->npend) != 0 ||
        stream_room(&m->title, m->ntitle, &m->title_cap, pr->ntitle) != 0)
        goto fail;
    for (size_t k = 0; k < pr->ntitle; k++) {
        vrec *t = get_type(m, pr->scratch.p, &pr->title[k]);
        if (!t)
            goto fail;
        m->title[m->ntitle++] = t->id;
    }
    for (size_t i = 0; i < nspans; i++) {
        uint32_t p = first + (uint32_t)i;
        m->pstart[p] = (uint32_t)m->nbody;
        if (add_passage(m, pr, pr->pstart[i], pr->pstart[i + 1]) != 0)
            goto fail;
        uint32_t ntok = pr->pstart[i + 1] - pr->pstart[i];
        m->norms[2 * p] = ntok > 0xFFFF ? 0xFFFF : (uint16_t)ntok;
        m->norms[2 * p + 1] = pr->ntitle > 0xFFFF ? 0xFFFF : (uint16_t)pr->ntitle;
    }
    m->pstart[first + nspans] = (uint32_t)m->nbody;
    return SRCH_OK;

fail:
    /* The passages stay, empty and deleted, so that the records remain
     * consistent; the types made meanwhile stay too (unused). */
    m->nbody = body0;
    m->ntitle = title0;
    for (size_t i = 0; i < nspans; i++) {
        m->pstart[first + i] = (uint32_t)body0;
        m->norms[2 * (first + i)] = 0;
        m->norms[2 * (first + i) + 1] = 0;
    }
    m->pstart[first + nspans] = (uint32_t)body0;
    mark_deleted(m, first, (uint32_t)nspans);
    return ls_err_set(err, SRCH_ENOMEM, "out of memory indexing '%s'", doc->id);
}

int ls_memseg_add_prepared(ls_memseg *m, ls_prep *pr, int *replaced, ls_err *err)
{
    int rc = ls_memseg_add_records(m, pr, replaced, err);
    return rc == SRCH_OK ? ls_memseg_invert(m, pr, err) : rc;
}

/* Enough tokens to cover an ordinary passage and title (13.9 tokens a
 * passage on the Littré), not so many that the prefetches of a long
 * document crowd each other out. */
#define PREFETCH_TOKENS 32

void ls_memseg_prefetch_id(const ls_memseg *m, uint64_t id_hash)
{
    __builtin_prefetch(&m->ids[(uint32_t)id_hash & m->ids_mask]);
}

void ls_memseg_prefetch(const ls_memseg *m, const ls_prep *pr, int records)
{
    if (pr->rc != SRCH_OK)
        return;
    size_t nt = pr->ntitle < PREFETCH_TOKENS ? pr->ntitle : PREFETCH_TOKENS;
    size_t nb = pr->npend < PREFETCH_TOKENS - nt ? pr->npend : PREFETCH_TOKENS - nt;
    if (!records) {
        ls_memseg_prefetch_id(m, pr->id_hash);
        for (size_t i = 0; i < nt; i++)
            vocab_prefetch(&m->types, pr->title[i].hash);
        for (size_t i = 0; i < nb; i++)
            vocab_prefetch(&m->types, pr->pends[i].hash);
        return;
    }
    for (size_t i = 0; i < nt; i++)
        vocab_prefetch_rec(&m->types, pr->title[i].hash);
    for (size_t i = 0; i < nb; i++)
        vocab_prefetch_rec(&m->types, pr->pends[i].hash);
}

void ls_memseg_drop_pairs(ls_memseg *m)
{
    m->pairs_lost = 1;
}

size_t ls_memseg_max_passage(const ls_memseg *m)
{
    return m->max_passage_bytes;
}

int ls_memseg_lookup(const ls_memseg *m, const char *id, size_t id_len, uint64_t id_hash,
                     uint32_t *first, uint32_t *count)
{
    /* The table holds the last document with this id: earlier ones were
     * deleted when it replaced them. */
    uint32_t d = (uint32_t)*id_slot(m, id, id_len, (uint32_t)id_hash);
    if (!d)
        return 0;
    *first = m->dinfo[d - 1].first;
    *count = m->dinfo[d - 1].npassages;
    return 1;
}

int ls_memseg_find(const ls_memseg *m, const char *id, size_t id_len, uint32_t *first,
                   uint32_t *count)
{
    uint32_t p, n;
    if (!ls_memseg_lookup(m, id, id_len, ls_hash_bytes(id, id_len), &p, &n) || ((m->deleted[p >> 6] >> (p & 63)) & 1))
        return 0;
    *first = p;
    *count = n;
    return 1;
}

void ls_memseg_delete_doc(ls_memseg *m, uint32_t first, uint32_t count)
{
    mark_deleted(m, first, count);
}

const uint64_t *ls_memseg_deleted(const ls_memseg *m)
{
    return m->deleted;
}

void ls_memseg_deletions(const ls_memseg *m, uint32_t *passages, uint32_t *docs)
{
    *passages = m->ndeleted;
    *docs = m->ndeleted_docs;
}

/* ------------------------------------------------------------- sorting */

/* A string to sort: its first 12 bytes as two numbers that compare as
 * the bytes do (zero-padded), and its index, so that the sort reads the
 * strings themselves only to break a tie on 12 bytes, in 16 bytes a
 * string. Pairs are sorted on numbers alone (k0 their two ranks). */
typedef struct sterm {
    uint64_t k0;
    uint32_t k1, i;
} sterm;

static void sterm_init(sterm *s, const unsigned char *b, size_t len, uint32_t i)
{
    unsigned char x[12] = {0};
    memcpy(x, b, len < 12 ? len : 12);
    uint64_t k0 = 0;
    uint32_t k1 = 0;
    for (int k = 0; k < 8; k++)
        k0 = k0 << 8 | x[k];
    for (int k = 8; k < 12; k++)
        k1 = k1 << 8 | x[k];
    s->k0 = k0;
    s->k1 = k1;
    s->i = i;
}

/* What sorted strings are: a part of the records of a vocabulary (NULL:
 * the numbers decide). */
typedef struct sort_of {
    const vocab *v;
    int part;
    const ls_memseg *ids;     /* or: the ids of a memseg's documents */
} sort_of;

static const unsigned char *doc_id(const ls_memseg *m, uint32_t doc, size_t *len);

/* The order of the strings; ties (equal strings) are not less, but for
 * ids, which tie in document order. */
static inline int sterm_lt(sort_of o, const sterm *a, const sterm *b)
{
    if (a->k0 != b->k0)
        return a->k0 < b->k0;
    if (a->k1 != b->k1 || (!o.v && !o.ids))
        return a->k1 < b->k1;
    size_t xn, yn;
    const unsigned char *x, *y;
    if (o.ids) {
        x = doc_id(o.ids, a->i, &xn);
        y = doc_id(o.ids, b->i, &yn);
        int c = ls_key_cmp(x, xn, y, yn);
        return c < 0 || (c == 0 && a->i < b->i);
    }
    x = vrec_part(vocab_rec(o.v, a->i), o.part, &xn);
    y = vrec_part(vocab_rec(o.v, b->i), o.part, &yn);
    return ls_key_cmp(x, xn, y, yn) < 0;
}

/* Sort v[0..n) with tmp[n] as scratch: runs of 16 by insertion, then
 * bottom-up merges, the comparison inlined. Returns the array that holds
 * the result (v or tmp). */
static sterm *sort_run(sort_of o, sterm *v, sterm *tmp, size_t n)
{
    for (size_t lo = 0; lo < n; lo += 16) {
        size_t hi = lo + 16 < n ? lo + 16 : n;
        for (size_t i = lo + 1; i < hi; i++) {
            sterm x = v[i];
            size_t j = i;
            for (; j > lo && sterm_lt(o, &x, &v[j - 1]); j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
    }
    sterm *src = v, *dst = tmp;
    for (size_t width = 16; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, out = lo;
            while (a < mid && b < hi)
                dst[out++] = sterm_lt(o, &src[b], &src[a]) ? src[b++] : src[a++];
            while (a < mid)
                dst[out++] = src[a++];
            while (b < hi)
                dst[out++] = src[b++];
        }
        sterm *x = src;
        src = dst;
        dst = x;
    }
    return src;
}

#define SORT_BUCKETS 0x10000   /* by the first two bytes */

/* Sort v[0..n) the same way, first distributed into buckets by their
 * first two bytes, each then sorted alone: fewer merge passes. Returns
 * the array that holds the result. */
static sterm *sort_terms(sort_of o, sterm *v, sterm *tmp, size_t n)
{
    uint32_t *end = n >= 4096 ? big_table(SORT_BUCKETS * sizeof *end) : NULL;
    if (!end)
        return sort_run(o, v, tmp, n);
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
        if (len > 1 && sort_run(o, tmp + lo, v + lo, len) == v + lo)
            memcpy(tmp + lo, v + lo, len * sizeof *v);
    }
    ls_big_free(end, SORT_BUCKETS * sizeof *end);
    return tmp;
}

/* The distinct values of a part of a vocabulary's records, ranked in byte
 * order: rank[id] for each record, at[rank] = a record with that value;
 * the number of ranks, or -1 when out of memory. */
static long rank_part(const vocab *v, int part, uint32_t *rank, uint32_t *at)
{
    size_t n = v->n, bytes = (n ? n : 1) * 2 * sizeof(sterm);
    sterm *st = ls_big_alloc(bytes);
    if (!st)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const unsigned char *b = vrec_part(vocab_rec(v, (uint32_t)i), part, &len);
        sterm_init(&st[i], b, len, (uint32_t)i);
    }
    sort_of o = {v, part, NULL};
    const sterm *s = sort_terms(o, st, st + n, n);
    long r = -1;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || sterm_lt(o, &s[i - 1], &s[i]))
            at[++r] = s[i].i;
        rank[s[i].i] = (uint32_t)r;
    }
    ls_big_free(st, bytes);
    return r + 1;
}

/* --------------------------------------------------------------- flush */

/* The fields in key order, as the flush writes them. */
enum { F_B, F_I, F_P, F_T, F_V, F_W, NFIELDS };
static const unsigned char field_byte[NFIELDS] = {
    LS_FIELD_BODY, LS_FIELD_ID, LS_FIELD_PAIR, LS_FIELD_TITLE, LS_FIELD_TITLE_WORD, LS_FIELD_WORD,
};

#define NO_STEM UINT32_MAX
#define UNSEEN (UINT32_MAX - 1)

/* What the flush derives from the streams before writing. The stems and
 * the words are the distinct terms and words of the types, ranked in byte
 * order (the order of their B, T, V and W keys). Per type: its stem's and
 * its word's ranks; per rank, each field's occurrence counts (B and T by
 * stem rank, V and W by word rank, P by pair rank); the pairs (two stem
 * ranks, ranked), and the pair rank of each pair occurrence in stream
 * order. */
typedef struct inversion {
    const ls_memseg *m;
    uint32_t *tsr, *twr;      /* type -> stem rank, word rank */
    uint32_t *tpair;          /* type -> stem length << 1 | common, for pairs */
    uint32_t *stem_at, *word_at;   /* rank -> a type with that stem, word */
    uint32_t *word_stem;      /* word rank -> the stem rank of all its body
                                 occurrences, NO_STEM if none or several */
    uint32_t *count[NFIELDS]; /* rank -> occurrences (I: none) */
    uint32_t nranks[NFIELDS];
    uint64_t *pair_key;       /* pair rank -> stem rank 1 << 32 | stem rank 2 */
    uint32_t *pocc;           /* pair occurrences' ranks, in stream order */
    size_t npocc, pocc_cap;
    uint32_t *pplace;         /* with pos_shift, from the table of pairs: each
                                 one's passage << pos_shift | position */
    size_t pplace_cap;
    size_t pair_bytes;        /* of pair_key (count[F_P]: half) */
    size_t scratch;           /* bytes of a round's scatter arrays */
    unsigned pos_shift;       /* B and P: bits of a position in a passage
                                 packed below its passage (0: not packed) */
    int with_pairs;
    void *mem;                /* one block for the other arrays */
    size_t mem_bytes;
} inversion;

/* The bytes of stem rank r. */
static inline const unsigned char *stem_bytes(const inversion *v, uint32_t r, size_t *n)
{
    return vrec_part(vocab_rec(&v->m->types, v->stem_at[r]), PART_TERM, n);
}

static inline int pair_joins(const inversion *v, uint32_t a, uint32_t b)
{
    uint32_t x = v->tpair[a], y = v->tpair[b];
    return ls_pairs_join(x & 1, y & 1, 0, 1, x >> 1, y >> 1);
}

/* The key of pair (stem ranks) k into key; its length. */
static size_t pair_key(const inversion *v, uint64_t k, unsigned char *key)
{
    size_t l1, l2;
    const unsigned char *t1 = stem_bytes(v, (uint32_t)(k >> 32), &l1);
    const unsigned char *t2 = stem_bytes(v, (uint32_t)k, &l2);
    return ls_pairs_key(key, (const char *)t1, l1, (const char *)t2, l2);
}

/* A table of the pairs of a flush: stem ranks -> pair number and count,
 * in 16-byte slots (one cache line holds four). */
typedef struct pair_slot {
    uint64_t key;             /* key + 1 (0: empty) */
    uint32_t idx, count;
} pair_slot;

typedef struct pair_table {
    pair_slot *slots;         /* mask + 1 of them */
    size_t mask, n;
    uint64_t *list;           /* number -> key */
    size_t list_cap;
} pair_table;

static void pair_table_free(pair_table *t)
{
    if (t->slots)
        ls_big_free(t->slots, (t->mask + 1) * sizeof *t->slots);
    t->slots = NULL;
    big_drop(t->list, &t->list_cap);
}

static inline size_t pair_slot_of(const pair_table *t, uint64_t key)
{
    return ls_hash_mix(key + 1) & t->mask;
}

static int pair_table_grow(pair_table *t)
{
    size_t cap = t->slots ? (t->mask + 1) * 2 : 1 << 16;
    pair_slot *ns = big_table(cap * sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; t->slots && i <= t->mask; i++)
        if (t->slots[i].key) {
            size_t j = ls_hash_mix(t->slots[i].key) & (cap - 1);
            while (ns[j].key)
                j = (j + 1) & (cap - 1);
            ns[j] = t->slots[i];
        }
    if (t->slots)
        ls_big_free(t->slots, (t->mask + 1) * sizeof *t->slots);
    t->slots = ns;
    t->mask = cap - 1;
    return 0;
}

/* The number of pair `key`, counted once more; UINT32_MAX when out of
 * memory. */
static uint32_t pair_table_add(pair_table *t, uint64_t key)
{
    if ((!t->slots || (t->n + 1) * 4 > (t->mask + 1) * 3) && pair_table_grow(t) != 0)
        return UINT32_MAX;
    size_t i = pair_slot_of(t, key);
    for (; t->slots[i].key; i = (i + 1) & t->mask)
        if (t->slots[i].key == key + 1) {
            t->slots[i].count++;
            return t->slots[i].idx;
        }
    if (big_room(&t->list, &t->list_cap, (t->n + 1) * sizeof *t->list))
        return UINT32_MAX;
    t->slots[i] = (pair_slot){key + 1, (uint32_t)t->n, 1};
    t->list[t->n] = key;
    return (uint32_t)t->n++;
}

/* The pairs counted in a table indexed by their stems' ranks: every pair
 * holds a common stem (ls_pairs_join()), of which a segment has a few, so
 * that the pairs (c, s) with a common first stem c take a row of ns
 * counters per common stem, and the pairs (s, c) with a common second
 * stem only another. Enumerated in key order (rows of first stems in rank
 * order; in each, the second stems in rank order), the counts give the
 * ranks without a hash table or a sort (inverting a 64 MB memseg of the
 * Littré took 120 ms with them, 97 ms with the table). 1 when done; 0
 * when the table would be too large (count_body() hashes the pairs then);
 * -1 when out of memory. The result is the same either way (a test
 * compares the segments' bytes). */
size_t ls_memseg_pairs_table_max = (size_t)64 << 20;

static int count_pairs_table(inversion *v)
{
    const ls_memseg *m = v->m;
    size_t nt = m->types.n, ns = v->nranks[F_B];
    unsigned char *cidx = calloc(ns ? ns : 1, 1);   /* common index + 1, 0: not common */
    uint32_t crank[255];
    if (!cidx)
        return -1;
    for (size_t t = 0; t < nt; t++)
        if (v->tpair[t] & 1)
            cidx[v->tsr[t]] = 1;
    size_t nc = 0;
    for (size_t r = 0; r < ns; r++)
        if (cidx[r]) {
            if (nc == 255) {
                free(cidx);
                return 0;
            }
            crank[nc] = (uint32_t)r;
            cidx[r] = (unsigned char)++nc;
        }
    size_t cells = 2 * nc * ns;
    if (nc == 0 || cells > ls_memseg_pairs_table_max / sizeof(uint32_t)) {
        free(cidx);
        return 0;
    }
    /* cell (c, s): row c (the common stem first) or nc + c (second) */
    uint32_t *cnt = big_table(cells * sizeof *cnt);
    unsigned sh = v->pos_shift;
    int rc = -1;
    if (!cnt)
        goto done;
    size_t n = 0;
    for (uint32_t p = 0; p < m->npassages; p++) {
        for (uint32_t i = m->pstart[p] + 1; i < m->pstart[p + 1]; i++) {
            uint32_t a = m->body[i - 1], b = m->body[i];
            if (!pair_joins(v, a, b))
                continue;
            uint32_t sa = v->tsr[a], sb = v->tsr[b];
            size_t cell = cidx[sa] ? (size_t)(cidx[sa] - 1) * ns + sb
                                   : (nc + (size_t)(cidx[sb] - 1)) * ns + sa;
            n += cnt[cell]++ == 0;
            if (stream_room(&v->pocc, v->npocc, &v->pocc_cap, 1) != 0 ||
                (sh && stream_room(&v->pplace, v->npocc, &v->pplace_cap, 1) != 0))
                goto done;
            if (sh)   /* where it is, for the P rounds (no scan of the body) */
                v->pplace[v->npocc] = p << sh | (i - 1 - m->pstart[p]);
            v->pocc[v->npocc++] = (uint32_t)cell;
        }
    }
    v->pair_bytes = (n ? n : 1) * sizeof(uint64_t);
    if (!(v->pair_key = ls_big_alloc(v->pair_bytes)) ||
        !(v->count[F_P] = ls_big_alloc(v->pair_bytes / 2)))
        goto done;
    /* in key order; each cell's count becomes its rank */
    uint32_t r = 0;
    for (size_t sa = 0; sa < ns; sa++) {
        if (cidx[sa]) {
            uint32_t *row = cnt + (size_t)(cidx[sa] - 1) * ns;
            for (size_t sb = 0; sb < ns; sb++)
                if (row[sb]) {
                    v->pair_key[r] = (uint64_t)sa << 32 | sb;
                    v->count[F_P][r] = row[sb];
                    row[sb] = r++;
                }
        } else {
            for (size_t c = 0; c < nc; c++) {
                uint32_t *x = cnt + (nc + c) * ns + sa;
                if (*x) {
                    v->pair_key[r] = (uint64_t)sa << 32 | crank[c];
                    v->count[F_P][r] = *x;
                    *x = r++;
                }
            }
        }
    }
    for (size_t j = 0; j < v->npocc; j++)
        v->pocc[j] = cnt[v->pocc[j]];
    v->nranks[F_P] = r;
    rc = 1;
done:
    if (cnt)
        ls_big_free(cnt, cells * sizeof *cnt);
    free(cidx);
    return rc;
}

/* Count each type's body occurrences (into tcount), and find the pairs of
 * adjacent tokens and rank them: v->pair_key, v->count[F_P], v->pocc
 * (with_pairs). Pairs' keys' order is their stems' ranks' since no term
 * holds a byte at or below the space that separates the two
 * (ls_pairs_key()). 0, or -1 when out of memory for the pairs. */
#define PAIR_AHEAD 16

static int count_body(inversion *v, uint32_t *tcount, int with_pairs)
{
    const ls_memseg *m = v->m;
    for (size_t i = 0; i < m->nbody; i++)
        tcount[m->body[i]]++;
    if (!with_pairs)
        return 0;
    int direct = count_pairs_table(v);
    if (direct != 0)
        return direct > 0 ? 0 : -1;
    pair_table t = {0};
    int rc = -1;
    sterm *st = NULL;
    size_t n = 0, st_bytes = 0, rank_bytes = 0;
    uint32_t *rank = NULL;
    uint64_t ahead[PAIR_AHEAD];   /* the keys of the next pairs, their slots loading */
    size_t nahead = 0;
    if (pair_table_grow(&t) != 0)
        goto done;
    for (uint32_t p = 0; p < m->npassages; p++) {
        for (uint32_t i = m->pstart[p] + 1; i < m->pstart[p + 1]; i++) {
            uint32_t a = m->body[i - 1], b = m->body[i];
            if (!pair_joins(v, a, b))
                continue;
            uint64_t key = (uint64_t)v->tsr[a] << 32 | v->tsr[b];
            __builtin_prefetch(&t.slots[pair_slot_of(&t, key)]);
            if (nahead < PAIR_AHEAD) {
                ahead[nahead++] = key;
                continue;
            }
            uint32_t k = pair_table_add(&t, ahead[v->npocc % PAIR_AHEAD]);
            ahead[v->npocc % PAIR_AHEAD] = key;
            if (k == UINT32_MAX || stream_room(&v->pocc, v->npocc, &v->pocc_cap, 1) != 0)
                goto done;
            v->pocc[v->npocc++] = k;
        }
    }
    for (size_t j = 0; j < nahead; j++) {   /* the last ones, in order */
        uint32_t k = pair_table_add(&t, ahead[v->npocc % PAIR_AHEAD]);
        if (k == UINT32_MAX || stream_room(&v->pocc, v->npocc, &v->pocc_cap, 1) != 0)
            goto done;
        v->pocc[v->npocc++] = k;
    }
    n = t.n;
    st_bytes = (n ? n : 1) * 2 * sizeof *st;
    rank_bytes = (n ? n : 1) * sizeof *rank;
    v->pair_bytes = (n ? n : 1) * sizeof(uint64_t);
    if (!(rank = ls_big_alloc(rank_bytes)) || !(v->pair_key = ls_big_alloc(v->pair_bytes)) ||
        !(v->count[F_P] = ls_big_alloc(v->pair_bytes / 2)))
        goto done;
    for (size_t i = 0; i <= t.mask; i++)   /* counts by number, in rank for now */
        if (t.slots[i].key)
            rank[t.slots[i].idx] = t.slots[i].count;
    /* the table's slots are not needed any more */
    ls_big_free(t.slots, (t.mask + 1) * sizeof *t.slots);
    t.slots = NULL;
    if (!(st = ls_big_alloc(st_bytes)))
        goto done;
    for (size_t k = 0; k < n; k++)
        st[k] = (sterm){t.list[k], rank[k], (uint32_t)k};   /* k1: its count */
    sort_of o = {NULL, PART_ALL, NULL};
    const sterm *sorted = sort_terms(o, st, st + n, n);   /* keys are distinct */
    for (size_t r = 0; r < n; r++) {
        v->pair_key[r] = sorted[r].k0;
        v->count[F_P][r] = sorted[r].k1;
        rank[sorted[r].i] = (uint32_t)r;
    }
    for (size_t j = 0; j < v->npocc; j++)
        v->pocc[j] = rank[v->pocc[j]];
    v->nranks[F_P] = (uint32_t)n;
    rc = 0;
done:
    ls_big_free(st, st_bytes);
    ls_big_free(rank, rank_bytes);
    pair_table_free(&t);
    return rc;
}

/* The pairs' arrays (none: the segment is written without pairs). */
static void drop_pairs(inversion *v)
{
    ls_big_free(v->pair_key, v->pair_bytes);
    ls_big_free(v->count[F_P], v->pair_bytes / 2);
    big_drop(v->pocc, &v->pocc_cap);
    big_drop(v->pplace, &v->pplace_cap);
    v->pplace = NULL;
    v->pair_key = NULL;
    v->count[F_P] = NULL;
    v->pocc = NULL;
    v->npocc = 0;
    v->nranks[F_P] = 0;
    v->with_pairs = 0;
}

static void inversion_free(inversion *v)
{
    ls_big_free(v->mem, v->mem_bytes);
    drop_pairs(v);
    memset(v, 0, sizeof *v);
}

static unsigned bits_for(uint32_t x)
{
    return x ? 32u - (unsigned)__builtin_clz(x) : 1u;
}

int ls_memseg_pack_positions = 1;

/* Rank, count and find the pairs of the memseg's streams. SRCH_OK or
 * SRCH_ENOMEM; without memory for the pairs the segment is written
 * without them. */
static int inversion_build(inversion *v, const ls_memseg *m, size_t scratch)
{
    memset(v, 0, sizeof *v);
    v->m = m;
    v->scratch = scratch;
    /* B's and P's positions packed below their passages when both fit in
     * 32 bits (a passage's positions are below its length) */
    uint32_t longest = 0;
    for (uint32_t p = 0; p < m->npassages; p++)
        if (m->pstart[p + 1] - m->pstart[p] > longest)
            longest = m->pstart[p + 1] - m->pstart[p];
    unsigned qb = bits_for(longest ? longest - 1 : 0);
    unsigned pb = bits_for(m->npassages ? m->npassages - 1 : 0);
    v->pos_shift = ls_memseg_pack_positions && qb <= 20 && qb + pb <= 32 ? qb : 0;
    size_t nt = m->types.n;
    /* per type: tsr, twr, tpair, body count; per stem (at most nt):
     * stem_at, B and T counts; per word (at most nt): word_at, word_stem, V
     * and W counts */
    size_t words32 = 4 * nt + 3 * nt + 4 * nt + 1;
    v->mem_bytes = words32 * sizeof(uint32_t);
    uint32_t *a = v->mem = big_table(v->mem_bytes);
    if (!a)
        return SRCH_ENOMEM;
    v->tsr = a, a += nt;
    v->twr = a, a += nt;
    v->tpair = a, a += nt;
    uint32_t *tcount = a;
    a += nt;
    v->stem_at = a, a += nt;
    v->count[F_B] = a, a += nt;
    v->count[F_T] = a, a += nt;
    v->word_at = a, a += nt;
    v->word_stem = a, a += nt;
    v->count[F_W] = a, a += nt;
    v->count[F_V] = a;
    long ns = rank_part(&m->types, PART_TERM, v->tsr, v->stem_at);
    long nw = ns < 0 ? -1 : rank_part(&m->types, PART_WORD, v->twr, v->word_at);
    if (nw < 0)
        return SRCH_ENOMEM;
    v->nranks[F_B] = v->nranks[F_T] = (uint32_t)ns;
    v->nranks[F_W] = v->nranks[F_V] = (uint32_t)nw;
    /* per stem: in the common-word list? (kept in the T counts until they
     * are counted); and does it hold a byte at or below the pairs'
     * separator (the analysis never makes one: should it, the pairs'
     * order would not be their stems', and the segment gets no pairs) */
    int low = 0;
    uint32_t *common = v->count[F_T];
    for (long r = 0; r < ns; r++) {
        size_t len;
        const unsigned char *b = stem_bytes(v, (uint32_t)r, &len);
        common[r] = m->pairs && ls_pairs_common(m->pairs, (const char *)b, len);
        for (size_t i = 0; i < len; i++)
            low |= b[i] <= 0x20;
    }
    for (long w = 0; w < nw; w++)
        v->word_stem[w] = UNSEEN;
    for (size_t t = 0; t < nt; t++) {
        const vrec *r = vocab_rec(&m->types, (uint32_t)t);
        size_t len;
        vrec_part(r, PART_TERM, &len);
        v->tpair[t] = (uint32_t)len << 1 | common[v->tsr[t]];
        if (r->flags & VF_BODY) {   /* the word's stem, over its body occurrences */
            uint32_t *ws = &v->word_stem[v->twr[t]];
            *ws = *ws == UNSEEN || *ws == v->tsr[t] ? v->tsr[t] : NO_STEM;
        }
    }
    memset(common, 0, ns * sizeof *common);
    for (long w = 0; w < nw; w++)
        if (v->word_stem[w] == UNSEEN)
            v->word_stem[w] = NO_STEM;
    /* one pass over the body: the types' counts, and the pairs */
    v->with_pairs = m->pairs && !m->pairs_lost && !low;
    if (count_body(v, tcount, v->with_pairs) != 0)
        drop_pairs(v);
    uint32_t *cb = v->count[F_B], *cw = v->count[F_W], *ct = v->count[F_T], *cv = v->count[F_V];
    for (size_t t = 0; t < nt; t++) {
        cb[v->tsr[t]] += tcount[t];
        cw[v->twr[t]] += tcount[t];
    }
    for (uint32_t d = 0; d < m->ndocs; d++) {
        uint32_t np = m->dinfo[d].npassages;
        size_t end = d + 1 < m->ndocs ? m->dinfo[d + 1].title : m->ntitle;
        for (size_t k = m->dinfo[d].title; k < end; k++) {
            ct[v->tsr[m->title[k]]] += np;
            cv[v->twr[m->title[k]]] += np;
        }
    }
    return SRCH_OK;
}

/* A round's scatter arrays: passages, and positions for fields with them
 * (capacities in bytes); with shift, each position is in the low shift
 * bits of its passage's entry instead (half the bytes, twice the
 * occurrences a round), unpacked into posbuf for the writer. */
typedef struct scatter {
    uint32_t *pass, *pos, *ends, *posbuf;
    size_t pass_cap, pos_cap, ends_cap, posbuf_cap;
    unsigned shift;
} scatter;

static void scatter_free(scatter *s)
{
    big_drop(s->pass, &s->pass_cap);
    big_drop(s->pos, &s->pos_cap);
    big_drop(s->ends, &s->ends_cap);
    big_drop(s->posbuf, &s->posbuf_cap);
}

static int scatter_room(scatter *s, size_t entries, size_t ranks, int with_pos)
{
    return big_room(&s->pass, &s->pass_cap, entries * sizeof *s->pass) ||
           (with_pos && big_room(&s->pos, &s->pos_cap, entries * sizeof *s->pos)) ||
           big_room(&s->ends, &s->ends_cap, ranks * sizeof *s->ends);
}

/* Scatter the occurrences of the field's ranks [lo, hi) from the streams,
 * in passage order, to s->pass (and s->pos for fields with positions):
 * rank r's occurrences go from s->ends[r - lo], which ends at the start of
 * rank r + 1's. */
static void scatter_field(const inversion *v, int field, uint32_t lo, uint32_t hi, scatter *s)
{
    const ls_memseg *m = v->m;
    uint32_t *ends = s->ends, *pass = s->pass, *pos = s->pos, span = hi - lo;
    unsigned sh = s->shift;
    if (field == F_B && sh) {
        for (uint32_t p = 0; p < m->npassages; p++) {
            uint32_t from = m->pstart[p], to = m->pstart[p + 1];
            for (uint32_t i = from; i < to; i++) {
                uint32_t r = v->tsr[m->body[i]] - lo;
                if (r < span)
                    pass[ends[r]++] = p << sh | (i - from);
            }
        }
    } else if (field == F_B || field == F_W) {
        const uint32_t *map = field == F_B ? v->tsr : v->twr;
        for (uint32_t p = 0; p < m->npassages; p++) {
            uint32_t from = m->pstart[p], to = m->pstart[p + 1];
            for (uint32_t i = from; i < to; i++) {
                uint32_t r = map[m->body[i]] - lo;
                if (r < span) {
                    uint32_t k = ends[r]++;
                    pass[k] = p;
                    if (field == F_B)
                        pos[k] = i - from;
                }
            }
        }
    } else if (field == F_P && sh && v->pplace) {
        for (size_t j = 0; j < v->npocc; j++) {
            uint32_t r = v->pocc[j] - lo;
            if (r < span)
                pass[ends[r]++] = v->pplace[j];
        }
    } else if (field == F_P) {
        size_t j = 0;
        for (uint32_t p = 0; p < m->npassages; p++) {
            uint32_t from = m->pstart[p], to = m->pstart[p + 1];
            for (uint32_t i = from + 1; i < to; i++) {
                if (!pair_joins(v, m->body[i - 1], m->body[i]))
                    continue;
                uint32_t r = v->pocc[j++] - lo;
                if (r < span) {
                    uint32_t k = ends[r]++;
                    if (sh) {
                        pass[k] = p << sh | (i - 1 - from);
                    } else {
                        pass[k] = p;
                        pos[k] = i - 1 - from;
                    }
                }
            }
        }
    } else {   /* T, V: a document's title in each of its passages */
        const uint32_t *map = field == F_T ? v->tsr : v->twr;
        for (uint32_t d = 0; d < m->ndocs; d++) {
            const doc_info *di = &m->dinfo[d];
            size_t from = di->title, to = d + 1 < m->ndocs ? m->dinfo[d + 1].title : m->ntitle;
            for (uint32_t p = di->first; p < di->first + di->npassages; p++)
                for (size_t k = from; k < to; k++) {
                    uint32_t r = map[m->title[k]] - lo;
                    if (r < span) {
                        uint32_t e = ends[r]++;
                        pass[e] = p;
                        if (field == F_T)
                            pos[e] = (uint32_t)(k - from);
                    }
                }
        }
    }
}

/* The key of a field's rank r into key; its length. */
static size_t term_key(const inversion *v, int field, uint32_t r, unsigned char *key)
{
    if (field == F_P)
        return pair_key(v, v->pair_key[r], key);
    size_t len;
    const unsigned char *b =
        field == F_B || field == F_T
            ? stem_bytes(v, r, &len)
            : vrec_part(vocab_rec(&v->m->types, v->word_at[r]), PART_WORD, &len);
    key[0] = field_byte[field];
    memcpy(key + 1, b, len);
    return len + 1;
}

/* How far ahead write_term() loads the passages' lengths. */
#define NORM_AHEAD 16

/* Write the term of rank r from its occurrences s->pass[b, e) (s->pos
 * too, or packed; pass holds lim entries: the lengths of those ahead are
 * loaded early). */
static int write_term(const inversion *v, ls_segment_writer *w, int field, uint32_t r,
                      const scatter *s, size_t b, size_t e, size_t lim)
{
    const uint32_t *pass = s->pass, *pos = s->pos;
    unsigned sh = s->shift;
    uint32_t mask = sh ? (1u << sh) - 1 : 0;
    const ls_memseg *m = v->m;
    unsigned char key[LS_MAX_TERM_BYTES];
    size_t klen = term_key(v, field, r, key);
    ls_segw_term_begin(w, key, klen);
    if (field == F_W && v->word_stem[r] != NO_STEM) {
        /* an exact word whose occurrences all stem to a prefix of it */
        size_t sl;
        const unsigned char *st = stem_bytes(v, v->word_stem[r], &sl);
        if (sl <= klen - 1 && memcmp(st, key + 1, sl) == 0)
            ls_segw_term_stem(w, (uint32_t)sl);
    }
    int with_pos = ls_field_has_positions(field_byte[field]);
    int norm = ls_field_norm(field_byte[field]);
    /* a single entry's length is not kept (the entry is inlined in the
     * dictionary, without bounds): not read either */
    int single = pass[b] >> sh == pass[e - 1] >> sh;
    for (size_t k = b; k < e;) {
        uint32_t p = pass[k] >> sh;
        if (k + NORM_AHEAD < lim)   /* read at random: this term's or the next ones' */
            __builtin_prefetch(&m->norms[2 * (size_t)(pass[k + NORM_AHEAD] >> sh)]);
        size_t k2 = k + 1;
        while (k2 < e && pass[k2] >> sh == p)
            k2++;
        const uint32_t *ps = NULL;
        if (with_pos && sh) {
            for (size_t j = k; j < k2; j++)
                s->posbuf[j - k] = pass[j] & mask;
            ps = s->posbuf;
        } else if (with_pos) {
            ps = pos + k;
        }
        uint32_t len = single ? 0 : m->norms[2 * (size_t)p + norm];
        int rc = ls_pw_add(&w->pw, p, (uint32_t)(k2 - k), ps, len);
        if (rc != SRCH_OK)
            return rc;
        k = k2;
    }
    return ls_segw_term_end(w);
}

/* Write the field's ranks [lo, hi) in rounds whose occurrences fit the
 * scratch (a rank's alone may exceed it). */
static int write_field(const inversion *v, ls_segment_writer *w, int field, uint32_t lo,
                       uint32_t hi, scatter *s)
{
    const uint32_t *count = v->count[field];
    int with_pos = ls_field_has_positions(field_byte[field]);
    s->shift = field == F_B || field == F_P ? v->pos_shift : 0;
    if (s->shift && big_room(&s->posbuf, &s->posbuf_cap, (sizeof *s->posbuf) << s->shift))
        return ls_err_set(w->err, SRCH_ENOMEM, "out of memory flushing");
    int separate = with_pos && !s->shift;   /* positions in an array of their own */
    size_t per = separate ? 8 : 4;
    size_t max = v->scratch / per;
    for (uint32_t r = lo; r < hi;) {
        uint32_t e = r;
        size_t total = 0;
        while (e < hi && (e == r || total + count[e] <= max))
            total += count[e++];
        if (total == 0) {
            r = e;
            continue;
        }
        if (scatter_room(s, total, e - r, separate) != 0)
            return ls_err_set(w->err, SRCH_ENOMEM, "out of memory flushing");
        size_t at = 0;
        for (uint32_t k = r; k < e; k++) {
            s->ends[k - r] = (uint32_t)at;
            at += count[k];
        }
        scatter_field(v, field, r, e, s);
        size_t b = 0;
        for (uint32_t k = r; k < e; k++) {
            size_t end = s->ends[k - r];
            if (end > b) {
                int rc = write_term(v, w, field, k, s, b, end, total);
                if (rc != SRCH_OK)
                    return rc;
            }
            b = end;
        }
        r = e;
    }
    return SRCH_OK;
}

/* A place in the flush's order of terms: a field and a rank in it. */
typedef struct term_at {
    int field;
    uint32_t rank;
} term_at;

/* Write the terms from `from` to `to` (exclusive) but the ids. */
static int write_terms(const inversion *v, ls_segment_writer *w, term_at from, term_at to)
{
    scatter s = {0};
    int rc = SRCH_OK;
    for (int f = from.field; f <= to.field && f < NFIELDS && rc == SRCH_OK; f++) {
        if (f == F_I)
            continue;
        uint32_t lo = f == from.field ? from.rank : 0;
        uint32_t hi = f == to.field ? to.rank : v->nranks[f];
        if (lo < hi)
            rc = write_field(v, w, f, lo, hi, &s);
    }
    scatter_free(&s);
    return rc;
}

/* The last terms of a flush, written by a second thread into a half of
 * the segment (ls_segw_open_half) while this one writes the others. */
typedef struct flush_half {
    const inversion *v;
    term_at from, to;
    ls_segment_writer h;
    ls_err err;
    int rc;
    pthread_t thread;
    int started;
} flush_half;

static void *half_main(void *arg)
{
    flush_half *f = arg;
    f->rc = write_terms(f->v, &f->h, f->from, f->to);
    return NULL;
}

/* Start writing the terms from `from` to the end in another thread; 0 if
 * it could not be (the caller writes them itself). */
static int half_start(flush_half *f, const inversion *v, const char *dir, term_at from,
                      const ls_segment_writer *w)
{
    memset(f, 0, sizeof *f);
    f->v = v;
    f->from = from;
    f->to = (term_at){NFIELDS, 0};
    if (ls_segw_open_half(&f->h, dir, &f->err) != SRCH_OK)
        return 0;
    memcpy(f->h.len_hint, w->len_hint, sizeof f->h.len_hint);
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

/* Where the second thread starts: after the ids, where the rest of the
 * work (occurrences, and terms) is halved. A body occurrence counts a
 * quarter more (its position, and the body's scans of B's rounds, which
 * are the most): with even counts, this thread, which writes B, finished
 * about 30 ms after the other on each 64 MB flush of the Littré, 10 to
 * 20 ms with this. */
static term_at split_point(const inversion *v, uint32_t ndocs)
{
    uint64_t cost[NFIELDS] = {0}, total = 0;
    for (int f = 0; f < NFIELDS; f++) {
        for (uint32_t r = 0; f != F_I && r < v->nranks[f]; r++)
            cost[f] += v->count[f][r] + (v->count[f][r] ? 4 : 0);
        if (f == F_B)
            cost[f] += cost[f] / 4;
        total += cost[f];
    }
    cost[F_I] = 3 * (uint64_t)ndocs;
    total += cost[F_I];
    uint64_t half = total / 2, at = cost[F_B] + cost[F_I];
    for (int f = F_P; f < NFIELDS; f++) {
        if (at + cost[f] <= half) {
            at += cost[f];
            continue;
        }
        uint32_t r = 0;
        for (; r < v->nranks[f] && at < half; r++)
            at += v->count[f][r] + (v->count[f][r] ? 4 : 0);
        return (term_at){f, r};
    }
    return (term_at){NFIELDS, 0};
}

/* The id terms: one key per distinct id, an entry per document with it,
 * from the documents sorted by id. */
static int write_ids(ls_segment_writer *w, const ls_memseg *m)
{
    size_t n = m->ndocs, bytes = (n ? n : 1) * 2 * sizeof(sterm);
    sterm *st = ls_big_alloc(bytes);
    if (!st)
        return ls_err_set(w->err, SRCH_ENOMEM, "out of memory flushing");
    for (uint32_t d = 0; d < n; d++) {
        size_t len;
        const unsigned char *id = doc_id(m, d, &len);
        sterm_init(&st[d], id, len, d);
    }
    sort_of o = {NULL, PART_ALL, m};
    const sterm *s = sort_terms(o, st, st + n, n);
    unsigned char key[LS_MAX_TERM_BYTES];
    key[0] = LS_FIELD_ID;
    int rc = SRCH_OK;
    for (size_t i = 0; i < n && rc == SRCH_OK;) {
        size_t len, l2;
        const unsigned char *id = doc_id(m, s[i].i, &len), *id2;
        memcpy(key + 1, id, len);
        ls_segw_term_begin(w, key, len + 1);
        size_t j = i;
        for (; j < n && (id2 = doc_id(m, s[j].i, &l2), l2 == len && memcmp(id2, id, len) == 0) &&
               rc == SRCH_OK;
             j++)
            rc = ls_pw_add(&w->pw, m->dinfo[s[j].i].first, m->dinfo[s[j].i].npassages, NULL, 0);
        if (rc == SRCH_OK)
            rc = ls_segw_term_end(w);
        i = j;
    }
    ls_big_free(st, bytes);
    return rc;
}

/* The id of document `doc`, from its record. */
static const unsigned char *doc_id(const ls_memseg *m, uint32_t doc, size_t *len)
{
    uint64_t n;
    const unsigned char *p = get_uv(m->docs.p + m->dinfo[doc].rec, &n);
    *len = (size_t)n;
    return p;
}

void ls_memseg_each_id(const ls_memseg *m, void (*fn)(void *ctx, const char *id, size_t len),
                       void *ctx)
{
    for (uint32_t k = 0; k < m->ndocs; k++) {
        size_t len;
        const unsigned char *id = doc_id(m, k, &len);
        fn(ctx, (const char *)id, len);
    }
}

/* Compress the raw store records into the memseg's store, then give their
 * memory back: once (a flush retried after a failure finds the store
 * made). */
static int compress_store(ls_memseg *m, ls_err *err)
{
    if (m->stored)
        return SRCH_OK;
    const unsigned char *r = m->raw.p;
    int rc = SRCH_OK;
    for (uint32_t k = 0; k < m->ndocs && rc == SRCH_OK; k++) {
        ls_doc_rec rec;
        memset(&rec, 0, sizeof rec);
        uint64_t n, nf;
        rec.id = (const char *)doc_id(m, k, &rec.id_len);
        r = get_uv(r, &n), rec.title = (const char *)r, rec.title_len = n, r += n;
        r = get_uv(r, &n), rec.lead = (const char *)r, rec.lead_len = n, r += n;
        r = get_uv(r, &nf);
        r = get_uv(r, &n);
        rec.nfields = (uint32_t)nf;
        rec.fields = r;
        rec.fields_len = n;
        r += n;
        rec.first_passage = m->dinfo[k].first;
        rec.npassages = m->dinfo[k].npassages;
        rc = ls_store_add_doc(&m->sw, &rec);
        for (uint32_t i = 0; i < rec.npassages && rc == SRCH_OK; i++) {
            uint64_t start, end, sl;
            r = get_uv(r, &start);
            r = get_uv(r, &end);
            r = get_uv(r, &sl);
            rc = ls_store_add_passage(&m->sw, i + 1, (uint32_t)start, (uint32_t)end,
                                      (const char *)r, sl);
            r += sl;
        }
    }
    if (rc != SRCH_OK) {
        rc = ls_err_set(err, rc, "%s", m->sto_err.msg);
        reset_store(m);
        return rc;
    }
    m->stored = 1;
    buf_drop(&m->raw);
    return SRCH_OK;
}

/* compress_store() in a thread of its own. */
typedef struct store_job {
    ls_memseg *m;
    ls_err err;
    int rc;
    pthread_t thread;
    int started;
} store_job;

static void *store_main(void *arg)
{
    store_job *j = arg;
    j->rc = compress_store(j->m, &j->err);
    return NULL;
}

/* A round's scatter arrays hold at most this share of the memseg's bytes
 * (within bounds): the flush's memory stays proportional to the budget. */
static size_t round_scratch(const ls_memseg *m)
{
    size_t s = ls_memseg_bytes(m) / 8;
    return s < (1u << 20) ? 1u << 20 : s > (64u << 20) ? 64u << 20 : s;
}

int ls_memseg_flush(ls_memseg *m, const char *dir, uint64_t id, int durable, int threads,
                    ls_segment_meta *meta, ls_deletes **deletes, ls_err *err)
{
    *deletes = NULL;
    ls_segment_writer w;
    inversion v;
    memset(&v, 0, sizeof v);
    int rc = SRCH_OK, opened = 0;
    if ((rc = ls_segw_open(&w, dir, id, durable, err)) != SRCH_OK)
        goto done;
    opened = 1;
    flush_half half;
    half.started = 0;
    /* the store compressed, by a second thread meanwhile (or here, first;
     * the thread changes the memseg's size: the scratch is sized before) */
    size_t scratch = round_scratch(m);
    store_job sj = {.m = m};
    sj.started = threads > 1 && !m->stored && pthread_create(&sj.thread, NULL, store_main, &sj) == 0;
    if (!sj.started)
        rc = compress_store(m, err);
    if (rc == SRCH_OK && inversion_build(&v, m, scratch) != SRCH_OK)
        rc = ls_err_set(err, SRCH_ENOMEM, "out of memory flushing");
    w.meta.pairs = v.with_pairs ? m->pairs->id : 0;
    for (uint32_t p = 0; p < m->npassages && rc == SRCH_OK; p++)
        rc = ls_segw_norms(&w, m->norms[2 * p], m->norms[2 * p + 1]);
    ls_segw_length_hint(&w, w.meta.sum_len, w.meta.npassages);
    /* With threads, a second thread writes the last terms meanwhile. */
    term_at split = {NFIELDS, 0};
    if (rc == SRCH_OK && threads > 1) {
        split = split_point(&v, m->ndocs);
        if (split.field < NFIELDS && !half_start(&half, &v, dir, split, &w))
            split = (term_at){NFIELDS, 0};
    }
    if (rc == SRCH_OK)
        rc = write_terms(&v, &w, (term_at){F_B, 0}, (term_at){F_I, 0});
    if (rc == SRCH_OK)
        rc = write_ids(&w, m);
    if (rc == SRCH_OK)
        rc = write_terms(&v, &w, (term_at){F_P, 0}, split);
    if (sj.started) {
        pthread_join(sj.thread, NULL);
        if (rc == SRCH_OK && sj.rc != SRCH_OK)
            rc = ls_err_set(err, sj.rc, "%s", sj.err.msg);
    }
    /* the store as compressed: copied (its last blocks and indexes are
     * written when the segment is finished) */
    if (rc == SRCH_OK)
        rc = ls_store_writer_copy(&w.sw, &m->sw, &m->sto);
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
    inversion_free(&v);
    return rc;
}
