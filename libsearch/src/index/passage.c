/*
 * passage.c - paragraphs and bounded windows (see passage.h).
 */
#include "passage.h"

#include <stdlib.h>
#include <string.h>

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Bytes of white space (ASCII, or U+00A0 NO-BREAK SPACE) at t[i], or 0. */
static size_t space_at(const char *t, size_t i, size_t end)
{
    if (i < end && is_space((unsigned char)t[i]))
        return 1;
    if (i + 1 < end && (unsigned char)t[i] == 0xC2 && (unsigned char)t[i + 1] == 0xA0)
        return 2;
    return 0;
}

/* The same for the white space ending at t[i - 1]. */
static size_t space_before(const char *t, size_t i, size_t start)
{
    if (i > start && is_space((unsigned char)t[i - 1]))
        return 1;
    if (i >= start + 2 && (unsigned char)t[i - 2] == 0xC2 && (unsigned char)t[i - 1] == 0xA0)
        return 2;
    return 0;
}

typedef struct spans {
    ls_span *v;
    size_t n, cap;
} spans;

static int push(spans *s, uint32_t start, uint32_t end)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        ls_span *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].start = start;
    s->v[s->n].end = end;
    s->v[s->n].stored_end = end;
    s->n++;
    return 0;
}

/* Where to cut the window text[a, a + max) of a longer paragraph. */
static size_t cut_point(const char *t, size_t a, size_t max)
{
    size_t lim = a + max, best = 0;
    for (size_t i = lim; i > a + max / 4; i--) {
        unsigned char c = (unsigned char)t[i - 1];
        if (c == '\n' || ((c == '.' || c == '!' || c == '?') && is_space((unsigned char)t[i]))) {
            best = i;
            break;
        }
        if (i >= a + 3 && (unsigned char)t[i - 3] == 0xE2 && (unsigned char)t[i - 2] == 0x80 &&
            c == 0xA6 && is_space((unsigned char)t[i])) {   /* … */
            best = i;
            break;
        }
    }
    if (!best)
        for (size_t i = lim; i > a + max / 4; i--)
            if (is_space((unsigned char)t[i - 1])) {
                best = i;
                break;
            }
    if (!best) {
        best = lim;
        while (best > a + 1 && ((unsigned char)t[best] & 0xC0) == 0x80)
            best--;
    }
    return best;
}

/* Add paragraph text[a, b) (trimmed), cut into windows if too long. */
static int add_paragraph(spans *s, const char *t, size_t a, size_t b, size_t max)
{
    size_t k;
    while (a < b) {
        while ((k = space_at(t, a, b)))
            a += k;
        while ((k = space_before(t, b, a)))
            b -= k;
        if (a == b)
            return 0;
        size_t e = b - a > max ? cut_point(t, a, max) : b;
        size_t te = e;
        while ((k = space_before(t, te, a)))
            te -= k;
        if (push(s, (uint32_t)a, (uint32_t)te) != 0)
            return -1;
        a = e;
    }
    return 0;
}

int ls_split_passages(const char *text, size_t len, size_t max_bytes, ls_span **v, size_t *cap,
                      size_t *n)
{
    spans s = {*v, 0, *cap};
    int rc = -1;
    *n = 0;
    if (max_bytes < 64)
        max_bytes = 64;
    size_t para = 0, i = 0;
    while (i < len) {
        /* the line [i, eol) */
        const char *nl = memchr(text + i, '\n', len - i);
        size_t eol = nl ? (size_t)(nl - text) : len;
        size_t k = i;
        while (k < eol && is_space((unsigned char)text[k]))
            k++;
        if (k == eol) {   /* blank line: ends the paragraph */
            if (add_paragraph(&s, text, para, i, max_bytes) != 0)
                goto done;
            para = eol + (nl ? 1 : 0);
        }
        i = eol + (nl ? 1 : 0);
    }
    if (add_paragraph(&s, text, para, len, max_bytes) != 0)
        goto done;
    if (s.n == 0 && push(&s, 0, 0) != 0)
        goto done;
    for (size_t k = 0; k < s.n; k++)
        s.v[k].stored_end = k + 1 < s.n ? s.v[k + 1].start : (uint32_t)len;
    if (s.n == 1 && s.v[0].end == 0)
        s.v[0].stored_end = (uint32_t)len;
    *n = s.n;
    rc = 0;
done:
    *v = s.v;
    *cap = s.cap;
    return rc;
}
