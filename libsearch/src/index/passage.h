/*
 * passage.h - splitting a document body into passages.
 *
 * A passage is a paragraph: lines separated from the next paragraph by one
 * or more blank lines (lines of spaces and tabs only). Leading and trailing
 * white space (no-break spaces included) is not part of the passage. A
 * paragraph longer than max_bytes is cut into windows of at most
 * max_bytes, each cut placed after the last
 * sentence end (". ", "! ", "? ", "… " or a line end) in the window, else
 * after the last space, else at a character boundary.
 *
 * Each passage also gets a stored range [start, stored_end): itself and the
 * separator up to the next passage, so that the lead (bytes before the first
 * passage) and the stored ranges rebuild the body exactly. A body with no
 * text gives one empty passage, so that every document has a passage to
 * carry its title and id.
 */
#ifndef LS_PASSAGE_H
#define LS_PASSAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ls_span {
    uint32_t start, end;      /* the passage */
    uint32_t stored_end;      /* stored bytes: [start, stored_end) */
} ls_span;

/* Split text[0, len) (len < 4 GiB) into (*v)[0, *n). *v is an array of
 * *cap spans (NULL and 0 at first), reused and grown with realloc: the
 * caller frees it, also after a failure. Returns 0, or -1 when out of
 * memory. */
int ls_split_passages(const char *text, size_t len, size_t max_bytes, ls_span **v, size_t *cap,
                      size_t *n);

#endif
