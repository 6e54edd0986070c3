/*
 * breaker.c - word segmentation (see breaker.h): ICU's word break iterator
 * over a UTF-8 UText, and a fast path that gives the same segments for the
 * common case of text made only of "simple" characters.
 *
 * ICU's UTF-8 UText maps ill-formed sequences to U+FFFD, whose Word_Break
 * property is Other: invalid bytes therefore end up in LS_SEG_OTHER
 * segments, never inside a word.
 *
 * The fast path. Most text (French prose included) uses only characters
 * for which ICU's word rules reduce to a few: a word is a run of letters
 * and digits, where a MidLetter, MidNumLet or Single_Quote character joins
 * two letters (WB6/WB7: "aujourd'hui") and a MidNum, MidNumLet or
 * Single_Quote character joins two digits (WB11/WB12: "3,5"); spaces stick
 * together (WB3d); CR LF is one segment (WB3); every other character is a
 * segment of its own (WB999). ICU's rule status for a word is that of its
 * last character: 200 (letter) after a letter, 100 (number) after a digit.
 * The classes come from ICU's own Word_Break property at start-up, for the
 * code points below U+0800 and the General Punctuation block; ICU's default
 * rules take the colons out of MidLetter and put '@' among the letters, and
 * so do we. A text with any
 * other character, or one whose class brings more rules (Extend, Format,
 * ZWJ, ExtendNumLet, Hebrew letters, quotation marks, pictographs, ...), or
 * with ill-formed UTF-8, goes to ICU whole. test_breaker.c checks the fast
 * path against ICU on random strings of every class, and on the corpus.
 */
#include "breaker.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/utext.h>

enum {
    C_COMPLEX = 0,   /* not handled by the fast path: the text goes to ICU */
    C_OTHER,
    C_LETTER,        /* ALetter */
    C_DIGIT,         /* Numeric */
    C_MIDLETTER,     /* MidLetter (colons excluded, as ICU's rules do) */
    C_MIDNUM,        /* MidNum */
    C_MIDBOTH,       /* MidNumLet, Single_Quote */
    C_SPACE,         /* WSegSpace */
    C_CR,
    C_NEWLINE        /* LF, Newline */
};

#define PUNCT_FIRST 0x2000   /* General Punctuation */
#define PUNCT_LAST 0x206F

static uint8_t cls_low[0x800];
static uint8_t cls_punct[PUNCT_LAST - PUNCT_FIRST + 1];
static pthread_once_t cls_once = PTHREAD_ONCE_INIT;

static uint8_t icu_class(UChar32 c)
{
    if (c == 0x3A)                     /* ICU: the colon is not MidLetter */
        return C_OTHER;
    if (c == 0x40)                     /* ICU: '@' is a letter (e-mail addresses) */
        return C_LETTER;
    if (u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC))
        return C_COMPLEX;              /* WB3c */
    switch (u_getIntPropertyValue(c, UCHAR_WORD_BREAK)) {
    case U_WB_OTHER: return C_OTHER;
    case U_WB_ALETTER: return C_LETTER;
    case U_WB_NUMERIC: return C_DIGIT;
    case U_WB_MIDLETTER: return C_MIDLETTER;
    case U_WB_MIDNUM: return C_MIDNUM;
    case U_WB_MIDNUMLET:
    case U_WB_SINGLE_QUOTE: return C_MIDBOTH;
    case U_WB_WSEGSPACE: return C_SPACE;
    case U_WB_CR: return C_CR;
    case U_WB_LF:
    case U_WB_NEWLINE: return C_NEWLINE;
    default: return C_COMPLEX;
    }
}

/* 1 when the ASCII characters the fast path does not take are exactly '"'
 * and '_' (as in every ICU so far): all_simple() then tests eight bytes
 * at once. */
static int ascii_complex_known;

static void cls_init(void)
{
    for (UChar32 c = 0; c < 0x800; c++)
        cls_low[c] = icu_class(c);
    for (UChar32 c = PUNCT_FIRST; c <= PUNCT_LAST; c++)
        cls_punct[c - PUNCT_FIRST] = icu_class(c);
    ascii_complex_known = 1;
    for (int c = 0; c < 0x80; c++)
        if ((cls_low[c] == C_COMPLEX) != (c == '"' || c == '_'))
            ascii_complex_known = 0;
}

/* Whether any of the 8 bytes at t is not ASCII, '"' or '_' (may say so
 * of others after such a byte: the caller then looks byte by byte). */
static inline int special8(const unsigned char *t)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, t, 8);
    uint64_t quote = w ^ (ones * '"'), under = w ^ (ones * '_');
    return ((w | ((quote - ones) & ~quote) | ((under - ones) & ~under)) & highs) != 0;
}

/* Class of the character at t[i] (i < n) and its length in *w. */
static inline uint8_t cls_at(const unsigned char *t, size_t i, size_t n, size_t *w)
{
    unsigned char c = t[i];
    if (c < 0x80) {
        *w = 1;
        return cls_low[c];
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if (i + 1 >= n || (t[i + 1] & 0xC0) != 0x80)
            return C_COMPLEX;
        *w = 2;
        return cls_low[((c & 0x1F) << 6) | (t[i + 1] & 0x3F)];
    }
    if (c == 0xE2 && i + 2 < n && (t[i + 1] == 0x80 || t[i + 1] == 0x81) &&
        (t[i + 2] & 0xC0) == 0x80) {
        unsigned cp = ((unsigned)(t[i + 1] & 0x3F) << 6) | (t[i + 2] & 0x3F);
        if (cp + 0x2000 > PUNCT_LAST)
            return C_COMPLEX;
        *w = 3;
        return cls_punct[cp];
    }
    return C_COMPLEX;
}

/* 1 if the fast path gives ICU's segments for the whole of t[0, n). */
static int all_simple(const unsigned char *t, size_t n)
{
    size_t i = 0, w = 0;
    while (i < n) {
        /* ASCII runs: eight bytes at a time, or a table lookup per byte */
        if (ascii_complex_known)
            while (n - i >= 8 && !special8(t + i))
                i += 8;
        while (i < n && t[i] < 0x80) {
            if (cls_low[t[i]] == C_COMPLEX)
                return 0;
            i++;
        }
        if (i < n) {
            if (cls_at(t, i, n, &w) == C_COMPLEX)
                return 0;
            i += w;
        }
    }
    return 1;
}

struct ls_breaker {
    UBreakIterator *bi;
    UText ut;
    const char *text;         /* whole text */
    size_t len;
    size_t chunk_start;       /* offset of the current chunk in text */
    size_t chunk_len;
    int32_t pos;              /* last boundary within the chunk */
    int open;                 /* a chunk is attached */
    size_t chunk_max;         /* LS_BREAK_CHUNK, smaller in tests */
    int fast;                 /* the fast path reads the text, not ICU */
    int fast_allowed;         /* 0 in tests that compare with ICU */
    size_t fpos;              /* fast path: end of the last segment */
};

int ls_breaker_new(ls_breaker **out, ls_err *err)
{
    *out = NULL;
    ls_breaker *b = calloc(1, sizeof *b);
    if (!b)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory creating a word breaker");
    UErrorCode st = U_ZERO_ERROR;
    b->bi = ubrk_open(UBRK_WORD, "fr", NULL, 0, &st);
    if (U_FAILURE(st)) {
        free(b);
        return ls_err_set(err, st == U_MEMORY_ALLOCATION_ERROR ? SRCH_ENOMEM : SRCH_ERROR,
                          "ICU word break iterator: %s", u_errorName(st));
    }
    UText init = UTEXT_INITIALIZER;
    b->ut = init;
    b->chunk_max = LS_BREAK_CHUNK;
    b->fast_allowed = 1;
    pthread_once(&cls_once, cls_init);
    *out = b;
    return SRCH_OK;
}

void ls_breaker_free(ls_breaker *b)
{
    if (!b)
        return;
    ubrk_close(b->bi);
    utext_close(&b->ut);
    free(b);
}

/* Where to end a chunk starting at `from`: after the last '\n' or ' ' in
 * the allowed window, else at the last UTF-8 lead byte. */
static size_t chunk_end(const char *t, size_t from, size_t len, size_t max)
{
    if (len - from <= max)
        return len;
    size_t lim = from + max;
    for (size_t i = lim; i > from + max / 2; i--)
        if (t[i - 1] == '\n' || t[i - 1] == ' ')
            return i;
    size_t i = lim;
    while (i > from + 1 && ((unsigned char)t[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static int attach(ls_breaker *b, size_t from, ls_err *err)
{
    size_t end = chunk_end(b->text, from, b->len, b->chunk_max);
    UErrorCode st = U_ZERO_ERROR;
    utext_openUTF8(&b->ut, b->text + from, (int64_t)(end - from), &st);
    if (U_SUCCESS(st))
        ubrk_setUText(b->bi, &b->ut, &st);
    if (U_FAILURE(st)) {
        b->open = 0;
        return ls_err_set(err, st == U_MEMORY_ALLOCATION_ERROR ? SRCH_ENOMEM : SRCH_ERROR,
                          "ICU word break iterator: %s", u_errorName(st));
    }
    b->chunk_start = from;
    b->chunk_len = end - from;
    b->pos = ubrk_first(b->bi);
    b->open = 1;
    return SRCH_OK;
}

void ls_breaker_set_chunk(ls_breaker *b, size_t max)
{
    b->chunk_max = max < 16 ? 16 : max;
}

void ls_breaker_set_fast(ls_breaker *b, int on)
{
    b->fast_allowed = on;
}

int ls_breaker_set_text(ls_breaker *b, const char *text, size_t len, ls_err *err)
{
    b->text = text ? text : "";
    b->len = text ? len : 0;
    b->fast = b->fast_allowed && all_simple((const unsigned char *)b->text, b->len);
    if (b->fast) {
        b->fpos = 0;
        b->open = 0;
        return SRCH_OK;
    }
    return attach(b, 0, err);
}

int ls_breaker_is_fast(const ls_breaker *b)
{
    return b->fast;
}

/* The fast path's next segment (the text is all simple: see the top). */
static int fast_next(ls_breaker *b, size_t *start, size_t *end, ls_seg_kind *kind)
{
    const unsigned char *t = (const unsigned char *)b->text;
    size_t n = b->len, i = b->fpos, w = 0, w2 = 0;
    if (i >= n)
        return 0;
    *start = i;
    uint8_t c = cls_at(t, i, n, &w);
    i += w;
    *kind = LS_SEG_OTHER;
    if (c == C_LETTER || c == C_DIGIT) {
        uint8_t last = c;
        while (i < n) {
            c = cls_at(t, i, n, &w);
            if (c == C_LETTER || c == C_DIGIT) {
                last = c;
                i += w;
                continue;
            }
            /* a middle character joins two letters or two digits */
            int joins = last == C_LETTER ? (c == C_MIDLETTER || c == C_MIDBOTH)
                                         : (c == C_MIDNUM || c == C_MIDBOTH);
            if (!joins || i + w >= n || cls_at(t, i + w, n, &w2) != last)
                break;
            i += w + w2;
        }
        *kind = last == C_LETTER ? LS_SEG_WORD : LS_SEG_NUMBER;
    } else if (c == C_SPACE) {
        while (i < n && cls_at(t, i, n, &w) == C_SPACE)
            i += w;
    } else if (c == C_CR) {
        if (i < n && t[i] == '\n')
            i++;
    }
    *end = b->fpos = i;
    return 1;
}

int ls_breaker_next(ls_breaker *b, size_t *start, size_t *end, ls_seg_kind *kind)
{
    if (b->fast)
        return fast_next(b, start, end, kind);
    while (b->open) {
        int32_t next = ubrk_next(b->bi);
        if (next != UBRK_DONE) {
            int32_t status = ubrk_getRuleStatus(b->bi);
            *start = b->chunk_start + (size_t)b->pos;
            *end = b->chunk_start + (size_t)next;
            b->pos = next;
            *kind = status >= UBRK_WORD_LETTER ? LS_SEG_WORD
                  : status >= UBRK_WORD_NUMBER ? LS_SEG_NUMBER : LS_SEG_OTHER;
            return 1;
        }
        size_t from = b->chunk_start + b->chunk_len;
        if (from >= b->len) {
            b->open = 0;
            break;
        }
        if (attach(b, from, NULL) != SRCH_OK)
            return -1;
    }
    return 0;
}
