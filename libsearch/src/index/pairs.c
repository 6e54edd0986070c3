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

#define TABLE 64   /* slots of the lookup table: a power of two, > 2 n */

static inline unsigned slot_of(uint64_t v)
{
    return (unsigned)((v * 0x9E3779B97F4A7C15ull) >> 58) & (TABLE - 1);
}

static uint64_t french_table[TABLE];
static ls_pairs french_pairs = {0, french, french_table, sizeof french / sizeof french[0], 0};
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_ids(void)
{
    uint32_t crc = ls_crc32c(0, "french", sizeof "french");
    for (size_t i = 0; i < french_pairs.n; i++) {
        size_t len = strlen(french[i]);
        crc = ls_crc32c(crc, french[i], len + 1);
        if (len > french_pairs.maxlen)
            french_pairs.maxlen = len;
        if (len > 7 || 2 * french_pairs.n >= TABLE)   /* would not fit the table */
            abort();
        uint64_t v = (uint64_t)len << 56;
        for (size_t k = 0; k < len; k++)
            v |= (uint64_t)(unsigned char)french[i][k] << (8 * k);
        unsigned h = slot_of(v);
        while (french_table[h])
            h = (h + 1) & (TABLE - 1);
        french_table[h] = v;
    }
    french_pairs.id = crc ? crc : 1;
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
     * here, their bytes and length as one number, looked up in a small
     * open-addressing table */
    uint64_t v = (uint64_t)len << 56;   /* built bytewise: no store to reload */
    for (size_t i = 0; i < len; i++)
        v |= (uint64_t)(unsigned char)term[i] << (8 * i);
    for (unsigned h = slot_of(v);; h = (h + 1) & (TABLE - 1)) {
        if (p->table[h] == v)
            return 1;
        if (p->table[h] == 0)
            return 0;
    }
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
