/*
 * analyzer.h - internal entry points of the analyzer beyond libsearch.h.
 */
#ifndef LS_ANALYZER_H
#define LS_ANALYZER_H

#include <stddef.h>

#include "libsearch.h"
#include "util/error.h"

/* Bound the analyzer's caches to 1/2^shift of their usual size (an
 * analyzer that serves a minority of the words: the writer thread's, which
 * helps a pipeline's worker only when that one falls behind). Before its
 * first use. */
void ls_analyzer_shrink_caches(srch_analyzer *a, unsigned shift);

/* Stem cache statistics of the analyzer (for benchmarks and tests). */
void ls_analyzer_stem_stats(const srch_analyzer *a, size_t *calls, size_t *hits);

#endif
