/*
 * breaker.c - ICU word break iterator over a UTF-8 UText (see breaker.h).
 *
 * ICU's UTF-8 UText maps ill-formed sequences to U+FFFD, whose Word_Break
 * property is Other: invalid bytes therefore end up in LS_SEG_OTHER
 * segments, never inside a word.
 */
#include "breaker.h"

#include <stdlib.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>

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

int ls_breaker_set_text(ls_breaker *b, const char *text, size_t len, ls_err *err)
{
    b->text = text ? text : "";
    b->len = text ? len : 0;
    return attach(b, 0, err);
}

int ls_breaker_next(ls_breaker *b, size_t *start, size_t *end, ls_seg_kind *kind)
{
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
