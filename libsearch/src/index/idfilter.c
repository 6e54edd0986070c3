/*
 * idfilter.c - blocked Bloom filter of document ids (see idfilter.h).
 */
#include "idfilter.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

#define K 8

uint64_t ls_idfilter_hash(const char *id, size_t len)
{
    return ls_hash_bytes(id, len);
}

static void add(ls_idfilter *f, uint64_t h)
{
    uint64_t *b = f->bits + 8 * ((h >> 32) % f->nblocks);
    for (int k = 0; k < K; k++) {
        unsigned bit = (unsigned)(h >> (3 * k)) & 511u;   /* 9 bits each, overlapping */
        b[bit >> 6] |= 1ull << (bit & 63);
        h = h * 0x9e3779b97f4a7c15ull + (uint64_t)k;
    }
}

int ls_idfilter_maybe(const ls_idfilter *f, uint64_t h)
{
    if (!f->bits)
        return 1;
    const uint64_t *b = f->bits + 8 * ((h >> 32) % f->nblocks);
    for (int k = 0; k < K; k++) {
        unsigned bit = (unsigned)(h >> (3 * k)) & 511u;
        if (!(b[bit >> 6] >> (bit & 63) & 1))
            return 0;
        h = h * 0x9e3779b97f4a7c15ull + (uint64_t)k;
    }
    return 1;
}

void ls_idfilter_prefetch(const ls_idfilter *f, uint64_t h)
{
    if (f->bits)
        __builtin_prefetch(f->bits + 8 * ((h >> 32) % f->nblocks));
}

int ls_idfilter_init(ls_idfilter *f, uint64_t capacity, ls_err *err)
{
    f->nblocks = (size_t)(capacity * 16 / 512) + 1;
    f->bits = ls_table_calloc(f->nblocks * 8, sizeof *f->bits);
    f->count = 0;
    f->capacity = capacity;
    if (!f->bits)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory building an id filter");
    return SRCH_OK;
}

void ls_idfilter_add_id(ls_idfilter *f, const char *id, size_t len)
{
    add(f, ls_idfilter_hash(id, len));
    f->count++;
}

int ls_idfilter_add_segment(ls_idfilter *f, const ls_segment *s, ls_err *err)
{
    ls_term_iter it;
    unsigned char first = LS_FIELD_ID;
    ls_term_iter_seek(&it, &s->td, &first, 1);
    int r;
    while ((r = ls_term_iter_next(&it)) > 0 && it.key[0] == LS_FIELD_ID) {
        add(f, ls_idfilter_hash((const char *)it.key + 1, it.klen - 1));
        f->count++;
    }
    if (r < 0)
        return ls_err_set(err, SRCH_ECORRUPT, "segment %s: malformed term dictionary", s->name);
    return SRCH_OK;
}

int ls_idfilter_build(ls_idfilter *f, const ls_segment *s, ls_err *err)
{
    int rc = ls_idfilter_init(f, s->td.nid_terms, err);
    if (rc == SRCH_OK && (rc = ls_idfilter_add_segment(f, s, err)) != SRCH_OK)
        ls_idfilter_free(f);
    return rc;
}

void ls_idfilter_free(ls_idfilter *f)
{
    free(f->bits);
    f->bits = NULL;
    f->nblocks = 0;
    f->count = f->capacity = 0;
}
