/*
 * analyzer.h - internal entry points of the analyzer beyond libsearch.h.
 */
#ifndef LS_ANALYZER_H
#define LS_ANALYZER_H

#include <stddef.h>

#include "libsearch.h"
#include "util/error.h"

/* Stem cache statistics of the analyzer (for benchmarks and tests). */
void ls_analyzer_stem_stats(const srch_analyzer *a, size_t *calls, size_t *hits);

#endif
