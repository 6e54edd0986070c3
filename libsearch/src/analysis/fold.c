/*
 * fold.c - case and accent folding of words (see fold.h).
 *
 * The tables are computed at start-up from ICU itself (NFKC_Casefold and
 * NFD of each code point), so the fast path cannot drift from ICU's data.
 */
#include "fold.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#define FAST_LIMIT 0x250          /* fast lower-casing below this */
#define EXT_FIRST 0x1E00          /* Latin Extended Additional */
#define EXT_LAST 0x1EFF

typedef struct fold_entry {
    uint8_t len;
    char s[7];
} fold_entry;

static fold_entry lower_tab[FAST_LIMIT];
static fold_entry accent_tab[FAST_LIMIT];
static fold_entry accent_ext_tab[EXT_LAST - EXT_FIRST + 1];
static const UNormalizer2 *nfkc_cf;
static int init_status = SRCH_ERROR;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static int is_latin(UChar32 c)
{
    return c < FAST_LIMIT || (c >= EXT_FIRST && c <= EXT_LAST);
}

static int is_latin_mark(UChar32 c)
{
    return c >= 0x300 && c <= 0x36F;
}

size_t ls_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t i = max;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Append code point c as UTF-8 if it fits; returns the new length. */
static size_t put_cp(char *dst, size_t len, size_t cap, UChar32 c)
{
    char tmp[4];
    int32_t k = 0;
    U8_APPEND_UNSAFE(tmp, k, c);
    if (len + (size_t)k > cap)
        return len;
    memcpy(dst + len, tmp, (size_t)k);
    return len + (size_t)k;
}

/* Replace ligatures and apostrophes in a UTF-8 string, in place or into a
 * copy: œ -> oe, æ -> ae, ’ ‘ ʼ -> '. Output never grows beyond input for
 * the apostrophes (3 or 2 bytes -> 1) and stays equal for œ/æ (2 -> 2). */
static size_t post_lower(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0xC5 && i + 1 < n && (unsigned char)s[i + 1] == 0x93) {
            s[o++] = 'o', s[o++] = 'e', i += 2;
        } else if (c == 0xC3 && i + 1 < n && (unsigned char)s[i + 1] == 0xA6) {
            s[o++] = 'a', s[o++] = 'e', i += 2;
        } else if (c == 0xCA && i + 1 < n && (unsigned char)s[i + 1] == 0xBC) {
            s[o++] = '\'', i += 2;
        } else if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0x98 || (unsigned char)s[i + 2] == 0x99)) {
            s[o++] = '\'', i += 3;
        } else {
            s[o++] = s[i++];
        }
    }
    return o;
}

size_t ls_fold_lower_icu(const char *w, size_t n, char *dst, size_t cap)
{
    /* The analyzer cuts words to SRCH_MAX_WORD_BYTES before folding; the
     * largest NFKC_Casefold expansion is 18 code units per code unit. */
    UChar in[512], out[512 * 18 / 4 + 64];
    char tmp[sizeof out / sizeof out[0] * 3 + 1];
    int32_t in_len = 0, out_len = 0, tmp_len = 0;
    UErrorCode st = U_ZERO_ERROR;
    n = ls_utf8_cut(w, n, sizeof in / sizeof in[0]);
    u_strFromUTF8WithSub(in, (int32_t)(sizeof in / sizeof in[0]), &in_len, w, (int32_t)n,
                         0xFFFD, NULL, &st);
    if (U_SUCCESS(st))
        out_len = unorm2_normalize(nfkc_cf, in, in_len, out,
                                   (int32_t)(sizeof out / sizeof out[0]), &st);
    if (U_SUCCESS(st))
        u_strToUTF8(tmp, (int32_t)sizeof tmp, &tmp_len, out, out_len, &st);
    if (U_FAILURE(st)) {
        dst[0] = '\0';
        return 0;
    }
    size_t len = post_lower(tmp, (size_t)tmp_len);
    len = ls_utf8_cut(tmp, len, cap);
    memcpy(dst, tmp, len);
    dst[len] = '\0';
    return len;
}

size_t ls_fold_lower(const char *w, size_t n, char *dst, size_t cap)
{
    const unsigned char *p = (const unsigned char *)w;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        const fold_entry *e;
        unsigned char c = p[i];
        if (c < 0x80) {
            e = &lower_tab[c];
            i++;
        } else if (c >= 0xC2 && c <= 0xC9 && i + 1 < n && (p[i + 1] & 0xC0) == 0x80) {
            UChar32 cp = ((c & 0x1F) << 6) | (p[i + 1] & 0x3F);
            if (cp >= FAST_LIMIT)
                return ls_fold_lower_icu(w, n, dst, cap);
            e = &lower_tab[cp];
            i += 2;
        } else if (c == 0xE2 && i + 2 < n && p[i + 1] == 0x80 &&
                   (p[i + 2] == 0x98 || p[i + 2] == 0x99)) {
            e = &lower_tab['\''];
            i += 3;
        } else {
            return ls_fold_lower_icu(w, n, dst, cap);
        }
        if (o + e->len > cap)
            break;
        memcpy(dst + o, e->s, e->len);
        o += e->len;
    }
    dst[o] = '\0';
    return o;
}

size_t ls_fold_accents(const char *w, size_t n, char *dst, size_t cap)
{
    const uint8_t *p = (const uint8_t *)w;
    size_t o = 0;
    int after_latin = 0;
    for (int32_t i = 0; (size_t)i < n;) {
        if (p[i] < 0x80) {          /* ASCII: nothing to fold */
            if (o + 1 > cap)
                break;
            dst[o++] = (char)p[i++];
            after_latin = 1;
            continue;
        }
        UChar32 c;
        int32_t start = i;
        U8_NEXT(p, i, (int32_t)n, c);
        const fold_entry *e = NULL;
        if (c >= 0 && c < FAST_LIMIT)
            e = &accent_tab[c];
        else if (c >= EXT_FIRST && c <= EXT_LAST)
            e = &accent_ext_tab[c - EXT_FIRST];
        if (e) {
            if (o + e->len > cap)
                break;
            memcpy(dst + o, e->s, e->len);
            o += e->len;
            after_latin = 1;
        } else if (c < 0) {             /* invalid UTF-8 */
            size_t before = o;
            o = put_cp(dst, o, cap, 0xFFFD);
            if (o == before)
                break;
            after_latin = 0;
        } else if (is_latin_mark(c) && after_latin) {
            /* a diacritic on a Latin letter: dropped */
        } else {
            size_t k = (size_t)(i - start);
            if (o + k > cap)
                break;
            memcpy(dst + o, p + start, k);
            o += k;
            after_latin = 0;
        }
    }
    dst[o] = '\0';
    return o;
}

static void set_entry(fold_entry *e, const UChar *u, int32_t ulen)
{
    char buf[32];
    int32_t len = 0;
    UErrorCode st = U_ZERO_ERROR;
    u_strToUTF8(buf, (int32_t)sizeof buf, &len, u, ulen, &st);
    if (U_FAILURE(st) || len > (int32_t)sizeof e->s)
        len = 0;
    len = (int32_t)post_lower(buf, (size_t)len);
    memcpy(e->s, buf, (size_t)len);
    e->len = (uint8_t)len;
}

/* The accent-free form of c: its NFD base when the rest of the
 * decomposition is Latin diacritics, a few letters with a bar or stroke by
 * hand, else c itself. */
static void set_accent_entry(const UNormalizer2 *nfd, fold_entry *e, UChar32 c)
{
    static const UChar32 strokes[][2] = {
        {0xF8, 'o'}, {0xD8, 'O'}, {0x111, 'd'}, {0x110, 'D'}, {0x142, 'l'},
        {0x141, 'L'}, {0x127, 'h'}, {0x126, 'H'}, {0x167, 't'}, {0x166, 'T'},
        {0x131, 'i'}, {0x180, 'b'}, {0x1B6, 'z'}, {0x1B5, 'Z'},
    };
    UChar in[2], out[16];
    int32_t in_len = 0, out_len;
    UErrorCode st = U_ZERO_ERROR;
    for (size_t k = 0; k < sizeof strokes / sizeof strokes[0]; k++)
        if (strokes[k][0] == c) {
            in[0] = (UChar)strokes[k][1];
            set_entry(e, in, 1);
            return;
        }
    U16_APPEND_UNSAFE(in, in_len, c);
    out_len = unorm2_normalize(nfd, in, in_len, out, 16, &st);
    if (U_SUCCESS(st) && out_len > 1 && is_latin(out[0])) {
        int32_t k = 1;
        while (k < out_len && is_latin_mark(out[k]))
            k++;
        if (k == out_len) {
            set_entry(e, out, 1);
            return;
        }
    }
    set_entry(e, in, in_len);
}

static void init_tables(void)
{
    UErrorCode st = U_ZERO_ERROR;
    nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
    const UNormalizer2 *nfd = unorm2_getNFDInstance(&st);
    if (U_FAILURE(st))
        return;
    for (UChar32 c = 0; c < FAST_LIMIT; c++) {
        UChar in[2] = {(UChar)c, 0}, out[32];
        int32_t out_len = unorm2_normalize(nfkc_cf, in, 1, out, 32, &st);
        if (U_FAILURE(st))
            return;
        set_entry(&lower_tab[c], out, out_len);
        set_accent_entry(nfd, &accent_tab[c], c);
    }
    for (UChar32 c = EXT_FIRST; c <= EXT_LAST; c++)
        set_accent_entry(nfd, &accent_ext_tab[c - EXT_FIRST], c);
    init_status = SRCH_OK;
}

int ls_fold_init(ls_err *err)
{
    pthread_once(&init_once, init_tables);
    if (init_status != SRCH_OK)
        return ls_err_set(err, SRCH_ERROR, "ICU normalization data unavailable");
    return SRCH_OK;
}
