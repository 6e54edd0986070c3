/*
 * breaker.h - word segmentation of UTF-8 text with ICU (UAX #29).
 *
 * The text is read in place through a UTF-8 UText, so segment bounds are
 * byte offsets into the caller's buffer. Every segment is reported, words
 * and separators alike, each with its kind; the analyzer keeps words and
 * numbers. ICU addresses text with 32-bit offsets, so the breaker walks a
 * text longer than LS_BREAK_CHUNK in chunks cut at a line break or space
 * (or, failing that, at a character boundary).
 *
 * A text made only of characters whose word rules are simple (Latin,
 * Greek and Cyrillic letters without combining marks, digits, ordinary
 * punctuation and spaces: see breaker.c) skips ICU: a fast path gives the
 * same segments, kinds included, several times faster.
 */
#ifndef LS_BREAKER_H
#define LS_BREAKER_H

#include <stddef.h>

#include "util/error.h"

#define LS_BREAK_CHUNK ((size_t)1 << 28)

typedef enum ls_seg_kind {
    LS_SEG_OTHER = 0,   /* spaces, punctuation, symbols, invalid bytes */
    LS_SEG_NUMBER = 1,  /* ICU rule status UBRK_WORD_NUMBER */
    LS_SEG_WORD = 2     /* letters, kana, ideographs */
} ls_seg_kind;

typedef struct ls_breaker ls_breaker;

int ls_breaker_new(ls_breaker **out, ls_err *err);
void ls_breaker_free(ls_breaker *b);

/* Start segmenting text[0, len). The text must stay alive and unchanged
 * while segments are read. */
int ls_breaker_set_text(ls_breaker *b, const char *text, size_t len, ls_err *err);

/* Use chunks of at most `max` bytes (at least 16) from the next
 * ls_breaker_set_text() on; for tests of the chunking. */
void ls_breaker_set_chunk(ls_breaker *b, size_t max);

/* Allow the fast path (the default) or not, from the next
 * ls_breaker_set_text() on; tests compare the two. */
void ls_breaker_set_fast(ls_breaker *b, int on);

/* 1 if the current text is read by the fast path. */
int ls_breaker_is_fast(const ls_breaker *b);

/* The next segment: 1 with its byte range and kind, 0 at the end, -1 if
 * ICU failed to start the next chunk (out of memory). */
int ls_breaker_next(ls_breaker *b, size_t *start, size_t *end, ls_seg_kind *kind);

#endif
