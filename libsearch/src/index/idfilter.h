/*
 * idfilter.h - a Bloom filter of the document ids of a segment, so that the
 * writer can tell in a few nanoseconds that an id it is adding is not in a
 * segment (the usual case) instead of searching the segment's dictionary.
 *
 * Blocked layout: each id sets LS_IDFILTER_K bits within one 512-bit block
 * (one cache line); 16 bits per id give a false positive rate near 0.1%.
 * A false positive costs one dictionary lookup, never a wrong answer.
 * Built in memory from the segment's id terms when first needed.
 */
#ifndef LS_IDFILTER_H
#define LS_IDFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "index/segment.h"

typedef struct ls_idfilter {
    uint64_t *bits;           /* nblocks * 8 words */
    size_t nblocks;
    uint64_t count;           /* ids added */
    uint64_t capacity;        /* ids it was sized for */
} ls_idfilter;

/* Build the filter of segment s's ids. */
int ls_idfilter_build(ls_idfilter *f, const ls_segment *s, ls_err *err);

/* An empty filter sized for `capacity` ids (more can be added; the false
 * positive rate then grows: rebuild a larger one once count > capacity). */
int ls_idfilter_init(ls_idfilter *f, uint64_t capacity, ls_err *err);
/* Add the ids of segment s (a filter may hold the ids of many segments,
 * as the writer's does: one probe instead of one per segment). */
int ls_idfilter_add_segment(ls_idfilter *f, const ls_segment *s, ls_err *err);
void ls_idfilter_free(ls_idfilter *f);
uint64_t ls_idfilter_hash(const char *id, size_t len);
int ls_idfilter_maybe(const ls_idfilter *f, uint64_t hash);
/* Start loading the block ls_idfilter_maybe(f, hash) will read. */
void ls_idfilter_prefetch(const ls_idfilter *f, uint64_t hash);
/* Add one id (as ls_idfilter_add_segment() adds each of a segment's). */
void ls_idfilter_add_id(ls_idfilter *f, const char *id, size_t len);

#endif
