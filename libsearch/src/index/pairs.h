/*
 * pairs.h - common-word pairs ("common grams", as Lucene's CommonGramsFilter):
 * a phrase made of a frequent word and its neighbour is looked up as one
 * key instead of aligning two long lists.
 *
 * For each language with a list, the most frequent function words (their
 * stems). At index time, every two body tokens at consecutive positions of
 * a passage, at least one of them common, are indexed once more as the key
 * P<stem1> <stem2> (field byte 'P', the two stems separated by one space,
 * which no term holds), at the position of the first; its frequency is the
 * pair's. At query time a phrase replaces each such pair of its words by
 * that key: the pair's passages and positions are exactly those where both
 * words stand side by side, so the phrase's matches and scores do not
 * change, only the cost of finding them.
 *
 * The list a segment's pairs were made with is identified by a 32-bit id
 * (a CRC-32C of the language and the words; 0 = no pairs) recorded with the
 * segment in the manifest: a query uses a segment's pairs only when its id
 * is the one of the index's language in this library.
 */
#ifndef LS_PAIRS_H
#define LS_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "index/format.h"

typedef struct ls_pairs {
    uint32_t id;              /* never 0 */
    const char *const *words; /* stems, sorted, at most 7 bytes */
    const uint64_t *table;    /* the words' bytes and lengths as numbers,
                                 hashed (64 slots, 0 = empty) */
    size_t n;
    size_t maxlen;            /* of the longest word */
} ls_pairs;

/* The list of a Snowball language name ("french"), or NULL: no pairs. */
const ls_pairs *ls_pairs_for(const char *language);

/* Is the stem term[0..len) one of the list's words? */
int ls_pairs_common(const ls_pairs *p, const char *term, size_t len);

/* The one rule index and queries share: do two terms at positions pos1
 * and pos2, of lengths l1 and l2, one of them common or not, make a pair? */
static inline int ls_pairs_join(int common1, int common2, uint32_t pos1, uint32_t pos2,
                                size_t l1, size_t l2)
{
    return (common1 || common2) && pos2 == pos1 + 1 && l1 + l2 + 2 <= LS_MAX_TERM_BYTES;
}

/* The pair key of two stems into buf (LS_MAX_TERM_BYTES): its length, or
 * 0 when it would exceed LS_MAX_TERM_BYTES (such a pair is not indexed). */
size_t ls_pairs_key(unsigned char *buf, const char *t1, size_t l1, const char *t2, size_t l2);

#endif
