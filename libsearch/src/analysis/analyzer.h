/*
 * analyzer.h - internal entry points of the analyzer beyond libsearch.h.
 */
#ifndef LS_ANALYZER_H
#define LS_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "libsearch.h"
#include "util/error.h"

/* What srch_analyze() passes its callback: the public token first (the
 * callback's srch_token * points at it: always an ls_token), then, when
 * `hashed`, the low 32 bits of ls_hash_bytes() of the token's type bytes
 * "word NUL term". The token cache keeps that hash with each word, so that
 * the writer's in-memory segment does not hash again the words it has
 * seen (memseg.c, put_type()). */
typedef struct ls_token {
    srch_token tok;
    uint32_t type_hash;
    int hashed;
} ls_token;

/* Bound the analyzer's caches to 1/2^shift of their usual size (an
 * analyzer that serves a minority of the words: the writer thread's, which
 * helps a pipeline's worker only when that one falls behind). Before its
 * first use. */
void ls_analyzer_shrink_caches(srch_analyzer *a, unsigned shift);

/* Stem cache statistics of the analyzer (for benchmarks and tests). */
void ls_analyzer_stem_stats(const srch_analyzer *a, size_t *calls, size_t *hits);

#endif
