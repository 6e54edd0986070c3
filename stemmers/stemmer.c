/*
 * stemmer.c - libstemmer behind a registry and a stem cache (see stemmer.h).
 *
 * The cache is a memo table (util/memo.c). Stemming is by far the most expensive
 * step of analysis (a Snowball run per word) while natural text repeats a
 * small vocabulary, so a hit rate above 95% is usual.
 */
#include "stemmer.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/memo.h"

struct ls_stemmer {
    struct sb_stemmer *sb;    /* NULL for "none" */
    const char *name;         /* canonical name (static) */
    int use_cache;
    ls_memo cache;
    size_t calls, hits;
};

/* ISO 639-1 codes for the canonical names (libstemmer accepts them, but has
 * no call to map a code back to its name). */
static const char *const iso_codes[][2] = {
    {"ar", "arabic"},     {"hy", "armenian"},   {"eu", "basque"},
    {"ca", "catalan"},    {"da", "danish"},     {"nl", "dutch"},
    {"en", "english"},    {"fi", "finnish"},    {"fr", "french"},
    {"de", "german"},     {"el", "greek"},      {"hi", "hindi"},
    {"hu", "hungarian"},  {"id", "indonesian"}, {"ga", "irish"},
    {"it", "italian"},    {"lt", "lithuanian"}, {"ne", "nepali"},
    {"no", "norwegian"},  {"pt", "portuguese"}, {"ro", "romanian"},
    {"ru", "russian"},    {"sr", "serbian"},    {"es", "spanish"},
    {"sv", "swedish"},    {"ta", "tamil"},      {"tr", "turkish"},
    {"yi", "yiddish"},    {"fra", "french"},    {"fre", "french"},
};

static const char **languages;
static pthread_once_t languages_once = PTHREAD_ONCE_INIT;
static const char *const none_only[] = {"none", NULL};

static void init_languages(void)
{
    const char **list = sb_stemmer_list();
    size_t n = 0;
    while (list[n])
        n++;
    const char **l = malloc((n + 2) * sizeof *l);
    if (!l)
        return;
    memcpy(l, list, n * sizeof *l);
    l[n] = "none";
    l[n + 1] = NULL;
    languages = l;       /* lives as long as the process */
}

const char *const *ls_stemmer_languages(void)
{
    pthread_once(&languages_once, init_languages);
    return languages ? (const char *const *)languages : none_only;
}

const char *ls_stemmer_canonical(const char *name)
{
    if (!name)
        return NULL;
    for (const char *const *l = ls_stemmer_languages(); *l; l++)
        if (strcmp(*l, name) == 0)
            return *l;
    for (size_t i = 0; i < sizeof iso_codes / sizeof iso_codes[0]; i++)
        if (strcmp(iso_codes[i][0], name) == 0)
            return ls_stemmer_canonical(iso_codes[i][1]);
    return NULL;
}

int ls_stemmer_new(ls_stemmer **out, const char *language, int use_cache, ls_err *err)
{
    *out = NULL;
    const char *name = ls_stemmer_canonical(language ? language : "french");
    if (!name)
        return ls_err_set(err, SRCH_ENOTFOUND,
                          "unknown stemming language '%s' (see 'search analyze --lang list')",
                          language);
    ls_stemmer *s = calloc(1, sizeof *s);
    if (!s)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory creating a stemmer");
    s->name = name;
    s->use_cache = use_cache;
    if (strcmp(name, "none") != 0) {
        s->sb = sb_stemmer_new(name, NULL);
        if (!s->sb) {
            free(s);
            return ls_err_set(err, SRCH_ENOMEM, "libstemmer could not create '%s'", name);
        }
    }
    if (ls_memo_init(&s->cache, LS_STEM_CACHE_MAX_BYTES) != 0) {
        sb_stemmer_delete(s->sb);
        free(s);
        return ls_err_set(err, SRCH_ENOMEM, "out of memory creating a stem cache");
    }
    *out = s;
    return SRCH_OK;
}

void ls_stemmer_shrink_cache(ls_stemmer *s, unsigned shift)
{
    s->cache.max_bytes >>= shift;
}

void ls_stemmer_free(ls_stemmer *s)
{
    if (!s)
        return;
    sb_stemmer_delete(s->sb);
    ls_memo_free(&s->cache);
    free(s);
}

const char *ls_stemmer_name(const ls_stemmer *s)
{
    return s->name;
}

void ls_stemmer_stats(const ls_stemmer *s, size_t *calls, size_t *hits)
{
    *calls = s->calls;
    *hits = s->hits;
}

/* Run libstemmer itself. *out is owned by libstemmer (or is `word`). */
static int run_stemmer(ls_stemmer *s, const char *word, size_t n,
                       const char **out, size_t *out_len)
{
    if (!s->sb || n > INT32_MAX) {
        *out = word;
        *out_len = n;
        return 0;
    }
    const sb_symbol *r = sb_stemmer_stem(s->sb, (const sb_symbol *)word, (int)n);
    if (!r)
        return -1;
    *out = (const char *)r;
    *out_len = (size_t)sb_stemmer_length(s->sb);
    return 0;
}

int ls_stemmer_stem(ls_stemmer *s, const char *word, size_t n,
                    const char **out, size_t *out_len)
{
    s->calls++;
    if (!s->sb || !s->use_cache)
        return run_stemmer(s, word, n, out, out_len);

    size_t len;
    const char *stem = ls_memo_get(&s->cache, word, n, &len);
    if (stem) {
        s->hits++;
        *out = stem;
        *out_len = len;
        return 0;
    }
    if (run_stemmer(s, word, n, &stem, &len) != 0)
        return -1;
    const char *kept = ls_memo_put(&s->cache, word, n, stem, len);
    *out = kept ? kept : stem;
    *out_len = len;
    return 0;
}
