/*
 * pipeline.c - a ring of document batches between the writer's thread and
 * one analysis worker (see pipeline.h).
 *
 * Batch states: FREE -> FILLING (the writer copies documents in) -> QUEUED
 * (some of its documents not yet taken) -> ANALYZING (all taken, some not
 * yet analyzed) -> DONE (analyzed) -> consumed -> FREE. Documents are
 * taken CHUNK at a time, by the worker or by the writer's thread while it
 * waits for the oldest batch: the two share a batch's documents, so that
 * neither idles while the other analyzes a whole batch alone. The writer
 * fills batch `head`, documents are taken in order from batch `work`, the
 * writer consumes from `tail`; all three move forward around the ring.
 */
#include "index/pipeline.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RING 4
#define BATCH_DOCS 256
#define BATCH_BYTES (256u << 10)
/* Documents taken at a time: a few microseconds of analysis each, against
 * a lock taken twice per chunk. */
#define CHUNK 16

enum { B_FREE, B_FILLING, B_QUEUED, B_ANALYZING, B_DONE };

typedef struct batch {
    int state;
    ls_buf bytes;             /* copies: id, title, text, field names and values */
    srch_document *docs;      /* pointers resolved when the batch is queued */
    size_t *offs;             /* per document: offsets of id, title (SIZE_MAX:
                                 none), text, then text length, first field,
                                 field count */
    srch_field *fields;
    size_t *field_offs;       /* per field: name offset, value offset, length */
    size_t ndocs, docs_cap, nfields, fields_cap;
    ls_prep *preps;           /* analysis results, one per document */
    size_t preps_cap;
    size_t taken, analyzed;   /* documents taken for analysis, and those
                                 whose analysis is over (under mu) */
} batch;

struct ls_pipeline {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch ring[RING];
    size_t head, work, tail;  /* monotonic counters, mod RING */
    int stop;
    srch_analyzer *an;        /* the worker's */
    srch_analyzer *own_an;    /* the writer thread's (not owned), or NULL */
    size_t max_passage_bytes;
    ls_consume_fn consume;
    void *ctx;
    size_t pending;
};

/* Documents are waiting to be taken (mu held). */
static int takeable(const ls_pipeline *pl)
{
    return pl->work < pl->head && pl->ring[pl->work % RING].state == B_QUEUED;
}

/* Take the next chunk of batch `work` (takeable()) and analyze it with
 * analyzer an; called with mu held, which is released meanwhile. */
static void analyze_next(ls_pipeline *pl, srch_analyzer *an)
{
    batch *b = &pl->ring[pl->work % RING];
    size_t from = b->taken, n = b->ndocs - from < CHUNK ? b->ndocs - from : CHUNK;
    b->taken += n;
    if (b->taken == b->ndocs) {
        b->state = B_ANALYZING;
        pl->work++;
    }
    pthread_mutex_unlock(&pl->mu);
    for (size_t i = from; i < from + n; i++) {
        ls_err err;
        ls_prep_analyze(&b->preps[i], an, &b->docs[i], pl->max_passage_bytes, &err);
    }
    pthread_mutex_lock(&pl->mu);
    b->analyzed += n;
    if (b->analyzed == b->ndocs) {
        b->state = B_DONE;
        pthread_cond_broadcast(&pl->cv);
    }
}

static void *worker(void *arg)
{
    ls_pipeline *pl = arg;
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        while (!pl->stop && !takeable(pl))
            pthread_cond_wait(&pl->cv, &pl->mu);
        if (pl->stop)
            break;
        analyze_next(pl, pl->an);
    }
    pthread_mutex_unlock(&pl->mu);
    return NULL;
}

int ls_pipeline_new(ls_pipeline **out, const char *language, size_t max_passage_bytes,
                    srch_analyzer *own_an, ls_consume_fn consume, void *ctx, ls_err *err)
{
    *out = NULL;
    ls_pipeline *pl = calloc(1, sizeof *pl);
    if (!pl)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory starting the analysis thread");
    srch_analyzer_options ao = SRCH_ANALYZER_OPTIONS_INIT;
    ao.language = language;
    int rc = srch_analyzer_new(&pl->an, &ao);
    if (rc != SRCH_OK) {
        free(pl);
        return ls_err_set(err, rc, "%s", srch_errmsg());
    }
    pl->max_passage_bytes = max_passage_bytes;
    pl->own_an = own_an;
    pl->consume = consume;
    pl->ctx = ctx;
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv, NULL);
    if (pthread_create(&pl->thread, NULL, worker, pl) != 0) {
        ls_pipeline_free(pl);
        return ls_err_set(err, SRCH_ERROR, "cannot start the analysis thread");
    }
    pl->started = 1;
    *out = pl;
    return SRCH_OK;
}

void ls_pipeline_free(ls_pipeline *pl)
{
    if (!pl)
        return;
    if (pl->started) {
        pthread_mutex_lock(&pl->mu);
        pl->stop = 1;
        pthread_cond_broadcast(&pl->cv);
        pthread_mutex_unlock(&pl->mu);
        pthread_join(pl->thread, NULL);
    }
    for (int i = 0; i < RING; i++) {
        batch *b = &pl->ring[i];
        ls_buf_free(&b->bytes);
        free(b->docs);
        free(b->offs);
        free(b->fields);
        free(b->field_offs);
        for (size_t k = 0; k < b->preps_cap; k++)
            ls_prep_free(&b->preps[k]);
        free(b->preps);
    }
    srch_analyzer_free(pl->an);
    pthread_mutex_destroy(&pl->mu);
    pthread_cond_destroy(&pl->cv);
    free(pl);
}

size_t ls_pipeline_pending(const ls_pipeline *pl)
{
    return pl->pending;
}

static void set_free(ls_pipeline *pl, batch *b)
{
    pthread_mutex_lock(&pl->mu);
    b->state = B_FREE;
    pthread_mutex_unlock(&pl->mu);
}

/* Consume batch `tail` once it is analyzed; meanwhile, analyze here the
 * documents nobody has taken, if any. */
static int consume_one(ls_pipeline *pl)
{
    batch *b = &pl->ring[pl->tail % RING];
    pthread_mutex_lock(&pl->mu);
    while (b->state != B_DONE) {
        /* rather than wait, analyze the next chunk nobody has taken */
        if (pl->own_an && takeable(pl)) {
            analyze_next(pl, pl->own_an);
            continue;
        }
        pthread_cond_wait(&pl->cv, &pl->mu);
    }
    pthread_mutex_unlock(&pl->mu);
    int first = pl->consume(pl->ctx, b->preps, b->ndocs);
    for (size_t i = 0; i < b->ndocs; i++) {
        b->preps[i].doc = NULL;
        ls_prep_trim(&b->preps[i]);
    }
    pl->pending -= b->ndocs;
    b->ndocs = 0;
    b->nfields = 0;
    b->bytes.len = 0;
    pthread_mutex_lock(&pl->mu);
    b->state = B_FREE;
    pl->tail++;
    pthread_mutex_unlock(&pl->mu);
    return first;
}

/* Resolve the copies' pointers and hand the batch to the worker. */
static void submit(ls_pipeline *pl)
{
    batch *b = &pl->ring[pl->head % RING];
    const char *base = (const char *)b->bytes.p;
    for (size_t f = 0; f < b->nfields; f++) {
        b->fields[f].name = base + b->field_offs[3 * f];
        b->fields[f].value = base + b->field_offs[3 * f + 1];
        b->fields[f].value_len = b->field_offs[3 * f + 2];
    }
    for (size_t i = 0; i < b->ndocs; i++) {
        const size_t *o = &b->offs[6 * i];
        srch_document *d = &b->docs[i];
        d->version = SRCH_DOCUMENT_VERSION;
        d->id = base + o[0];
        d->title = o[1] == SIZE_MAX ? NULL : base + o[1];
        d->text = base + o[2];
        d->text_len = o[3];
        d->fields = o[5] ? &b->fields[o[4]] : NULL;
        d->nfields = o[5];
    }
    pthread_mutex_lock(&pl->mu);
    b->taken = b->analyzed = 0;
    b->state = B_QUEUED;
    pl->head++;
    pthread_cond_broadcast(&pl->cv);
    pthread_mutex_unlock(&pl->mu);
}

/* Room for n documents (their arrays grow together). */
static int ensure_docs(batch *b, size_t n)
{
    if (n <= b->docs_cap)
        return 0;
    size_t c = b->docs_cap ? b->docs_cap * 2 : 64;
    while (c < n)
        c *= 2;
    srch_document *d = realloc(b->docs, c * sizeof *d);
    if (!d)
        return -1;
    b->docs = d;
    size_t *o = realloc(b->offs, 6 * c * sizeof *o);
    if (!o)
        return -1;
    b->offs = o;
    ls_prep *p = realloc(b->preps, c * sizeof *p);
    if (!p)
        return -1;
    memset(p + b->preps_cap, 0, (c - b->preps_cap) * sizeof *p);
    b->preps = p;
    b->preps_cap = c;
    b->docs_cap = c;
    return 0;
}

/* Room for n fields. */
static int ensure_fields(batch *b, size_t n)
{
    if (n <= b->fields_cap)
        return 0;
    size_t c = b->fields_cap ? b->fields_cap * 2 : 64;
    while (c < n)
        c *= 2;
    srch_field *f = realloc(b->fields, c * sizeof *f);
    if (!f)
        return -1;
    b->fields = f;
    size_t *o = realloc(b->field_offs, 3 * c * sizeof *o);
    if (!o)
        return -1;
    b->field_offs = o;
    b->fields_cap = c;
    return 0;
}

static int copy_str(ls_buf *b, const char *s, size_t n, size_t *off)
{
    *off = b->len;
    return ls_buf_add(b, s, n) || ls_buf_add(b, "", 1);
}

int ls_pipeline_add(ls_pipeline *pl, const srch_document *doc)
{
    int first = SRCH_OK;
    batch *b = &pl->ring[pl->head % RING];
    if (pl->head - pl->tail == RING)
        first = consume_one(pl);   /* the ring is full: free the oldest batch */
    if (b->state == B_FREE) {   /* the worker reads states under the lock */
        pthread_mutex_lock(&pl->mu);
        b->state = B_FILLING;
        pthread_mutex_unlock(&pl->mu);
    }
    size_t i = b->ndocs, bytes = b->bytes.len;
    if (ensure_docs(b, i + 1) || ensure_fields(b, b->nfields + doc->nfields))
        return ls_err_set(NULL, SRCH_ENOMEM, "out of memory queueing '%s'", doc->id);
    size_t *o = &b->offs[6 * i];
    int bad = copy_str(&b->bytes, doc->id, strlen(doc->id), &o[0]);
    o[1] = SIZE_MAX;
    if (doc->title)
        bad = bad || copy_str(&b->bytes, doc->title, strlen(doc->title), &o[1]);
    bad = bad || copy_str(&b->bytes, doc->text ? doc->text : "", doc->text_len, &o[2]);
    o[3] = doc->text_len;
    o[4] = b->nfields;
    o[5] = doc->nfields;
    for (size_t f = 0; f < doc->nfields && !bad; f++) {
        size_t *fo = &b->field_offs[3 * (b->nfields + f)];
        bad = copy_str(&b->bytes, doc->fields[f].name, strlen(doc->fields[f].name), &fo[0]) ||
              copy_str(&b->bytes, doc->fields[f].value ? doc->fields[f].value : "",
                       doc->fields[f].value_len, &fo[1]);
        fo[2] = doc->fields[f].value_len;
    }
    if (bad) {
        b->bytes.len = bytes;
        return ls_err_set(NULL, SRCH_ENOMEM, "out of memory queueing '%s'", doc->id);
    }
    b->nfields += doc->nfields;
    b->ndocs++;
    pl->pending++;
    if (b->ndocs < BATCH_DOCS && b->bytes.len < BATCH_BYTES)
        return first;
    submit(pl);
    /* a batch boundary: consume what the worker finished meanwhile,
     * without waiting (not at every document: the lock is not free) */
    for (;;) {
        batch *t = &pl->ring[pl->tail % RING];
        pthread_mutex_lock(&pl->mu);
        int done = pl->tail < pl->head && t->state == B_DONE;
        pthread_mutex_unlock(&pl->mu);
        if (!done)
            break;
        int rc = consume_one(pl);
        if (rc != SRCH_OK && first == SRCH_OK)
            first = rc;
    }
    return first;
}

int ls_pipeline_drain(ls_pipeline *pl)
{
    if (pl->ring[pl->head % RING].state == B_FILLING && pl->ring[pl->head % RING].ndocs)
        submit(pl);
    else if (pl->ring[pl->head % RING].state == B_FILLING)
        set_free(pl, &pl->ring[pl->head % RING]);
    int first = SRCH_OK;
    while (pl->tail < pl->head) {
        int rc = consume_one(pl);
        if (rc != SRCH_OK && first == SRCH_OK)
            first = rc;
    }
    return first;
}

void ls_pipeline_discard(ls_pipeline *pl)
{
    ls_consume_fn keep = pl->consume;
    pl->consume = NULL;
    /* let the worker finish what it holds, then drop everything */
    if (pl->ring[pl->head % RING].state == B_FILLING && pl->ring[pl->head % RING].ndocs)
        submit(pl);
    else if (pl->ring[pl->head % RING].state == B_FILLING)
        set_free(pl, &pl->ring[pl->head % RING]);
    while (pl->tail < pl->head) {
        batch *b = &pl->ring[pl->tail % RING];
        pthread_mutex_lock(&pl->mu);
        while (b->state != B_DONE)
            pthread_cond_wait(&pl->cv, &pl->mu);
        b->state = B_FREE;
        pl->tail++;
        pthread_mutex_unlock(&pl->mu);
        pl->pending -= b->ndocs;
        for (size_t i = 0; i < b->ndocs; i++) {
            b->preps[i].doc = NULL;
            ls_prep_trim(&b->preps[i]);
        }
        b->ndocs = 0;
        b->nfields = 0;
        b->bytes.len = 0;
    }
    pl->consume = keep;
}
