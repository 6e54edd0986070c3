/*
 * snippet.h - the best window of a passage, with the words that match the
 * query marked.
 *
 * The passage is analyzed as at index time; a token matches when its term
 * is a term of the query, its exact word is a word of the query, or its
 * word starts with a prefix of the query (negated parts of the query are
 * ignored). The window of about `size` bytes holding the most distinct
 * matched terms (then the most matches, then the earliest) is chosen; it
 * starts and ends on word boundaries, with "…" where the passage was cut.
 * Marks go around the surface form of each matched word, so that accents
 * and elisions highlight what the user sees ("l'<b>Équateur</b>").
 */
#ifndef LS_SNIPPET_H
#define LS_SNIPPET_H

#include <stddef.h>

#include "query/query.h"

/* *out: malloc'ed, NUL-terminated. Returns SRCH_OK or SRCH_ENOMEM. */
int ls_snippet(char **out, const srch_query *q, const char *text, size_t len, size_t size,
               const char *open, const char *close);

/* The byte ranges of the matched words of text (for explain and tests):
 * *ranges holds 2 * *n offsets (start, end), malloc'ed. */
int ls_snippet_matches(const srch_query *q, const char *text, size_t len, size_t **ranges,
                       size_t *n);

#endif
