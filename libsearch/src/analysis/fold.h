/*
 * fold.h - normalization of one word: case folding and accent folding.
 *
 * ls_fold_lower(): Unicode NFKC_Casefold, then the ligatures œ -> oe and
 * æ -> ae, and the apostrophes ’ ‘ ʼ -> '. This is the form the stemmer
 * sees: lower case, accents kept.
 *
 * ls_fold_accents(): removes the diacritics of Latin letters (é -> e,
 * ç -> c, ø -> o, ł -> l, ...), and combining marks that follow a Latin
 * letter. Other scripts are left alone: a Cyrillic й or a Devanagari vowel
 * sign is part of the letter, not an accent.
 *
 * Words made of code points below U+0250 (ASCII, Latin-1, Latin Extended
 * A and B: nearly all French) take a table-driven fast path whose result is
 * identical to ICU's; anything else goes through ICU's normalizer.
 * Invalid UTF-8 becomes U+FFFD. The output is cut at a character boundary
 * to fit `cap` bytes (cap >= 4). Both return the output length; the output
 * is NUL-terminated (dst needs cap + 1 bytes).
 */
#ifndef LS_FOLD_H
#define LS_FOLD_H

#include <stddef.h>

#include "util/error.h"

/* Build the tables (once per process; thread-safe). */
int ls_fold_init(ls_err *err);

size_t ls_fold_lower(const char *w, size_t n, char *dst, size_t cap);
size_t ls_fold_accents(const char *w, size_t n, char *dst, size_t cap);

/* The slow path of ls_fold_lower() alone (ICU for every word); exposed so
 * that tests can check the fast path against it. */
size_t ls_fold_lower_icu(const char *w, size_t n, char *dst, size_t cap);

/* Length of the longest prefix of s[0, n) that is at most `max` bytes and
 * ends on a UTF-8 character boundary. */
size_t ls_utf8_cut(const char *s, size_t n, size_t max);

#endif
