/*
 * stemmer.h - Snowball stemmers (libstemmer): the registry of languages and
 * a per-instance cache so that each distinct word is stemmed once.
 *
 * The registry lists every algorithm Debian's libstemmer offers, plus "none"
 * (the identity). A language is named by its canonical Snowball name
 * ("french") or an ISO 639 code ("fr", "fra"); ls_stemmer_canonical() maps
 * either to the canonical name.
 *
 * An ls_stemmer belongs to one thread at a time. Its cache maps a word (the
 * exact bytes given) to its stem; it is cleared when it exceeds its byte
 * budget, so memory stays bounded on any input.
 */
#ifndef LS_STEMMER_H
#define LS_STEMMER_H

#include <stddef.h>

#include "util/error.h"

typedef struct ls_stemmer ls_stemmer;

/* Cache budget (slot array and stored words and stems). */
#define LS_STEM_CACHE_MAX_BYTES (4u << 20)

/* NULL-terminated list of canonical names, "none" last. Static. */
const char *const *ls_stemmer_languages(void);

/* The canonical name for `name` (canonical or ISO code), or NULL if libstemmer
 * knows no such language. Static string. */
const char *ls_stemmer_canonical(const char *name);

/* Make a stemmer; `use_cache` 0 disables the cache. SRCH_ENOTFOUND for an
 * unknown language, SRCH_ENOMEM. */
int ls_stemmer_new(ls_stemmer **out, const char *language, int use_cache, ls_err *err);
void ls_stemmer_free(ls_stemmer *s);
const char *ls_stemmer_name(const ls_stemmer *s);

/* Stem `n` bytes of UTF-8 `word` (lower case expected). On success *out
 * points to the *out_len bytes of the stem (not always NUL-terminated: for
 * "none" it is `word` itself), valid until the next call on `s`.
 * Returns 0, or -1 when out of memory. */
int ls_stemmer_stem(ls_stemmer *s, const char *word, size_t n,
                    const char **out, size_t *out_len);

/* Bound the cache to 1/2^shift of its usual size (before its first use). */
void ls_stemmer_shrink_cache(ls_stemmer *s, unsigned shift);

/* Statistics since creation: calls, and calls served from the cache. */
void ls_stemmer_stats(const ls_stemmer *s, size_t *calls, size_t *hits);

#endif
