/*
 * pairs.c - the common-word lists and the pair keys (see pairs.h).
 */
#include "pairs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "index/format.h"
#include "util/crc32c.h"

/* French: the stems of the most frequent function words (articles,
 * prepositions, conjunctions, pronouns, auxiliaries) as srch_analyze()
 * gives them ("les" -> le, "des" -> de, "à" -> a, "dans" -> dan, "ses" ->
 * se). Sorted bytewise. Changing the list changes its id: segments made
 * with another list are then searched without their pairs. */
static const char *const french[] = {
    "a",  "au",  "ce",  "dan", "de",   "du",   "en",  "est", "et",  "il",  "la",  "le",  "ne",
    "on", "ou",  "par", "pas", "plus", "pour", "que", "qui", "se",  "son", "sur", "un",  "une",
};

static uint64_t french_packed[sizeof french / sizeof french[0]];
static ls_pairs french_pairs = {0, french, french_packed, sizeof french / sizeof french[0], 0};
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_ids(void)
{
    uint32_t crc = ls_crc32c(0, "french", sizeof "french");
    for (size_t i = 0; i < french_pairs.n; i++) {
        size_t len = strlen(french[i]);
        crc = ls_crc32c(crc, french[i], len + 1);
        if (len > french_pairs.maxlen)
            french_pairs.maxlen = len;
        uint64_t v = 0;
        memcpy(&v, french[i], len);   /* len <= 7 (checked below) */
        french_packed[i] = v | (uint64_t)len << 56;
    }
    french_pairs.id = crc ? crc : 1;
    if (french_pairs.maxlen > 7)   /* a list word would not fit ls_pairs_common's number */
        abort();
}

const ls_pairs *ls_pairs_for(const char *language)
{
    if (!language || strcmp(language, "french") != 0)
        return NULL;
    pthread_once(&once, init_ids);
    return &french_pairs;
}

int ls_pairs_common(const ls_pairs *p, const char *term, size_t len)
{
    if (!p || len == 0 || len > p->maxlen)
        return 0;
    /* most terms are longer than every common word: only short ones get
     * here, and their bytes (at most 8) are compared as one number */
    uint64_t v = 0;
    memcpy(&v, term, len);
    v |= (uint64_t)len << 56;
    for (size_t i = 0; i < p->n; i++)
        if (p->packed[i] == v)
            return 1;
    return 0;
}

size_t ls_pairs_key(unsigned char *buf, const char *t1, size_t l1, const char *t2, size_t l2)
{
    if (l1 + l2 + 2 > LS_MAX_TERM_BYTES)
        return 0;
    buf[0] = LS_FIELD_PAIR;
    memcpy(buf + 1, t1, l1);
    buf[1 + l1] = ' ';
    memcpy(buf + 2 + l1, t2, l2);
    return l1 + l2 + 2;
}
