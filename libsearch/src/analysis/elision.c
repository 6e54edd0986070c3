/*
 * elision.c - detection of French elided prefixes (see elision.h).
 */
#include "elision.h"

#include <string.h>

static const char *const prefixes[] = {
    "l", "d", "j", "m", "n", "s", "t", "c", "qu",
    "jusqu", "lorsqu", "puisqu", "quoiqu",
};

/* Bytes of an apostrophe at w[0, n), or 0. */
static size_t apostrophe_len(const unsigned char *w, size_t n)
{
    if (n >= 1 && w[0] == '\'')
        return 1;
    if (n >= 3 && w[0] == 0xE2 && w[1] == 0x80 && w[2] == 0x99)
        return 3;
    if (n >= 2 && w[0] == 0xCA && w[1] == 0xBC)
        return 2;
    return 0;
}

/* Whether an apostrophe may start at w[i] (its first byte). */
static inline int apostrophe_at(const unsigned char *w, size_t n, size_t i)
{
    return i < n && (w[i] == '\'' || w[i] == 0xE2 || w[i] == 0xCA);
}

size_t ls_elision_len(const char *w, size_t n)
{
    const unsigned char *u = (const unsigned char *)w;
    /* the prefixes have 1, 2, 5 or 6 letters: most words are turned away
     * by four bytes */
    if (!apostrophe_at(u, n, 1) && !apostrophe_at(u, n, 2) && !apostrophe_at(u, n, 5) &&
        !apostrophe_at(u, n, 6))
        return 0;
    size_t k = 0;
    char lower[8];
    while (k < n && k < 6 && ((u[k] | 0x20) >= 'a' && (u[k] | 0x20) <= 'z')) {
        lower[k] = (char)(u[k] | 0x20);
        k++;
    }
    if (k == 0 || k > 6)
        return 0;
    size_t a = apostrophe_len(u + k, n - k);
    if (a == 0 || k + a >= n)
        return 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strlen(prefixes[i]) == k && memcmp(prefixes[i], lower, k) == 0)
            return k + a;
    return 0;
}
