/*
 * jsonl.h - tiny JSON Lines reader for the benchmark peers (header-only,
 * compiles as C99 and as C++).
 *
 * Each non-blank line of the input must be one JSON object.  Only the
 * top-level members "id", "title" and "text" are extracted (strings; a
 * numeric "id" is accepted verbatim); every other member is skipped,
 * whatever its type.  String escapes are decoded to UTF-8: \" \\ \/ \b \f
 * \n \r \t and \uXXXX, including surrogate pairs.  A lone surrogate becomes
 * U+FFFD, \u0000 becomes a space (so the decoded text never contains NUL),
 * and raw bytes that are not valid UTF-8 are replaced by U+FFFD, so every
 * engine receives exactly the same, valid UTF-8 text.
 *
 * Also provides jsonl_write_string() to emit a JSON string literal.
 */
#ifndef PEERS_JSONL_H
#define PEERS_JSONL_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define JSONL_FN static __attribute__((unused))
#else
#define JSONL_FN static
#endif

/* ---------------------------------------------------------------- buffers */

typedef struct {
    char *s;    /* always NUL-terminated once anything was written */
    size_t len;
    size_t cap;
} jsonl_buf;

JSONL_FN void jsonl_buf_reserve(jsonl_buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        char *p;
        while (nc < b->len + extra + 1)
            nc *= 2;
        p = (char *)realloc(b->s, nc);
        if (!p) {
            fprintf(stderr, "error: out of memory\n");
            exit(1);
        }
        b->s = p;
        b->cap = nc;
    }
}

JSONL_FN void jsonl_buf_clear(jsonl_buf *b)
{
    b->len = 0;
    jsonl_buf_reserve(b, 0);
    b->s[0] = '\0';
}

JSONL_FN void jsonl_buf_append(jsonl_buf *b, const char *s, size_t n)
{
    jsonl_buf_reserve(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

JSONL_FN void jsonl_buf_puts(jsonl_buf *b, const char *s)
{
    jsonl_buf_append(b, s, strlen(s));
}

JSONL_FN void jsonl_buf_putc(jsonl_buf *b, char c)
{
    jsonl_buf_reserve(b, 1);
    b->s[b->len++] = c;
    b->s[b->len] = '\0';
}

JSONL_FN void jsonl_buf_free(jsonl_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* Append code point cp (must be a valid scalar value) as UTF-8. */
JSONL_FN void jsonl_put_utf8(jsonl_buf *b, unsigned long cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    jsonl_buf_append(b, t, n);
}

/* Length of the valid UTF-8 sequence starting at s (s < e, *s >= 0x80),
 * or 0 if it is not a valid, shortest-form sequence of a scalar value. */
JSONL_FN size_t jsonl_utf8_seq_len(const unsigned char *s, const unsigned char *e)
{
    unsigned c = s[0];
    size_t n, i;
    unsigned long cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(e - s) < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Append s[0..n) to b, replacing invalid UTF-8 by U+FFFD. */
JSONL_FN void jsonl_append_utf8_clean(jsonl_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        const unsigned char *q = p;
        while (q < e && *q < 0x80)
            q++;
        if (q > p)
            jsonl_buf_append(b, (const char *)p, (size_t)(q - p));
        p = q;
        if (p < e) {
            size_t l = jsonl_utf8_seq_len(p, e);
            if (l) {
                jsonl_buf_append(b, (const char *)p, l);
                p += l;
            } else {
                jsonl_put_utf8(b, 0xFFFD);
                p++;
            }
        }
    }
}

/* ---------------------------------------------------------------- writer */

/* Write s[0..n) as a JSON string literal (with quotes).  Invalid UTF-8 is
 * written as \ufffd. */
JSONL_FN void jsonl_write_string(FILE *f, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    putc('"', f);
    while (p < e) {
        unsigned c = *p;
        if (c >= 0x80) {
            size_t l = jsonl_utf8_seq_len(p, e);
            if (l) {
                fwrite(p, 1, l, f);
                p += l;
            } else {
                fputs("\\ufffd", f);
                p++;
            }
            continue;
        }
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7F)
                fprintf(f, "\\u%04x", c);
            else
                putc((int)c, f);
        }
        p++;
    }
    putc('"', f);
}

/* ---------------------------------------------------------------- parser */

typedef struct {
    FILE *f;
    const char *path;
    char *line;
    size_t linecap;
    long lineno;
    jsonl_buf id, title, text, key;
    int has_id, has_title, has_text;
    char err[512];
} jsonl_reader;

JSONL_FN const char *jsonl_skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

JSONL_FN int jsonl_hex4(const char *p, const char *e, unsigned *out)
{
    unsigned v = 0;
    int i;
    if (e - p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* p points at the opening quote.  Decodes into out (if not NULL).  Returns
 * the pointer after the closing quote, or NULL on error (msg set). */
JSONL_FN const char *jsonl_parse_string(const char *p, const char *e, jsonl_buf *out,
                                        const char **msg)
{
    p++; /* opening quote */
    for (;;) {
        const char *q = p;
        /* fast path: plain ASCII run */
        while (q < e && *q != '"' && *q != '\\' && (unsigned char)*q < 0x80)
            q++;
        if (out && q > p)
            jsonl_buf_append(out, p, (size_t)(q - p));
        p = q;
        if (p >= e) {
            *msg = "unterminated string";
            return NULL;
        }
        if (*p == '"')
            return p + 1;
        if ((unsigned char)*p >= 0x80) {
            size_t l = jsonl_utf8_seq_len((const unsigned char *)p, (const unsigned char *)e);
            if (out) {
                if (l)
                    jsonl_buf_append(out, p, l);
                else
                    jsonl_put_utf8(out, 0xFFFD);
            }
            p += l ? l : 1;
            continue;
        }
        /* backslash escape */
        p++;
        if (p >= e) {
            *msg = "unterminated escape";
            return NULL;
        }
        switch (*p) {
        case '"': if (out) jsonl_buf_putc(out, '"'); p++; break;
        case '\\': if (out) jsonl_buf_putc(out, '\\'); p++; break;
        case '/': if (out) jsonl_buf_putc(out, '/'); p++; break;
        case 'b': if (out) jsonl_buf_putc(out, '\b'); p++; break;
        case 'f': if (out) jsonl_buf_putc(out, '\f'); p++; break;
        case 'n': if (out) jsonl_buf_putc(out, '\n'); p++; break;
        case 'r': if (out) jsonl_buf_putc(out, '\r'); p++; break;
        case 't': if (out) jsonl_buf_putc(out, '\t'); p++; break;
        case 'u': {
            unsigned u, lo;
            unsigned long cp;
            if (jsonl_hex4(p + 1, e, &u) != 0) {
                *msg = "bad \\u escape";
                return NULL;
            }
            p += 5;
            if (u >= 0xD800 && u <= 0xDBFF) {
                /* high surrogate: needs a following \uDC00-\uDFFF */
                if (e - p >= 6 && p[0] == '\\' && p[1] == 'u' && jsonl_hex4(p + 2, e, &lo) == 0 &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000UL + (((unsigned long)u - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                cp = 0xFFFD;
            } else if (u == 0) {
                cp = ' ';
            } else {
                cp = u;
            }
            if (out)
                jsonl_put_utf8(out, cp);
            break;
        }
        default:
            *msg = "invalid escape";
            return NULL;
        }
    }
}

/* Skip any JSON value starting at p.  Returns pointer after it or NULL. */
JSONL_FN const char *jsonl_skip_value(const char *p, const char *e, const char **msg)
{
    if (p >= e) {
        *msg = "missing value";
        return NULL;
    }
    if (*p == '"')
        return jsonl_parse_string(p, e, NULL, msg);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            char c = *p;
            if (c == '"') {
                p = jsonl_parse_string(p, e, NULL, msg);
                if (!p)
                    return NULL;
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        *msg = "unterminated object or array";
        return NULL;
    }
    {
        /* number, true, false, null */
        const char *q = p;
        while (q < e && *q != ',' && *q != '}' && *q != ']' && *q != ' ' && *q != '\t' &&
               *q != '\r' && *q != '\n')
            q++;
        if (q == p) {
            *msg = "unexpected character";
            return NULL;
        }
        return q;
    }
}

/* Parse one line (a JSON object).  Returns 0 on success, -1 on error. */
JSONL_FN int jsonl_parse_line(jsonl_reader *r, const char *p, const char *e, const char **msg)
{
    r->has_id = r->has_title = r->has_text = 0;
    jsonl_buf_clear(&r->id);
    jsonl_buf_clear(&r->title);
    jsonl_buf_clear(&r->text);
    p = jsonl_skip_ws(p, e);
    if (p >= e || *p != '{') {
        *msg = "line is not a JSON object";
        return -1;
    }
    p = jsonl_skip_ws(p + 1, e);
    if (p < e && *p == '}') {
        p++;
    } else {
        for (;;) {
            jsonl_buf *target = NULL;
            int *flag = NULL;
            if (p >= e || *p != '"') {
                *msg = "expected member name";
                return -1;
            }
            jsonl_buf_clear(&r->key);
            p = jsonl_parse_string(p, e, &r->key, msg);
            if (!p)
                return -1;
            p = jsonl_skip_ws(p, e);
            if (p >= e || *p != ':') {
                *msg = "expected ':'";
                return -1;
            }
            p = jsonl_skip_ws(p + 1, e);
            if (p >= e) {
                *msg = "missing value";
                return -1;
            }
            if (strcmp(r->key.s, "id") == 0) {
                target = &r->id;
                flag = &r->has_id;
            } else if (strcmp(r->key.s, "title") == 0) {
                target = &r->title;
                flag = &r->has_title;
            } else if (strcmp(r->key.s, "text") == 0) {
                target = &r->text;
                flag = &r->has_text;
            }
            if (target && *p == '"') {
                jsonl_buf_clear(target);
                p = jsonl_parse_string(p, e, target, msg);
                if (!p)
                    return -1;
                *flag = 1;
            } else if (target == &r->id && (*p == '-' || (*p >= '0' && *p <= '9'))) {
                const char *q = jsonl_skip_value(p, e, msg);
                if (!q)
                    return -1;
                jsonl_buf_clear(target);
                jsonl_buf_append(target, p, (size_t)(q - p));
                *flag = 1;
                p = q;
            } else {
                const char *q = jsonl_skip_value(p, e, msg);
                if (!q)
                    return -1;
                if (target && !(q - p == 4 && memcmp(p, "null", 4) == 0)) {
                    *msg = target == &r->id ? "member \"id\" is not a string or number"
                                            : "member \"title\"/\"text\" is not a string";
                    return -1;
                }
                p = q;
            }
            p = jsonl_skip_ws(p, e);
            if (p < e && *p == ',') {
                p = jsonl_skip_ws(p + 1, e);
                continue;
            }
            if (p < e && *p == '}') {
                p++;
                break;
            }
            *msg = "expected ',' or '}'";
            return -1;
        }
    }
    p = jsonl_skip_ws(p, e);
    if (p != e) {
        *msg = "trailing characters after the object";
        return -1;
    }
    return 0;
}

/* Open path ("-" = stdin).  Returns 0, or -1 with r->err set. */
JSONL_FN int jsonl_open(jsonl_reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "rb");
        if (!r->f) {
            snprintf(r->err, sizeof r->err, "cannot open %s", path);
            return -1;
        }
    }
    return 0;
}

/* Read the next record.  Returns 1 (record in r->id/title/text), 0 at end
 * of file, -1 on error (r->err says "PATH:LINE: what").  A record without
 * an "id" string is an error; a missing "title"/"text" reads as "". */
JSONL_FN int jsonl_next(jsonl_reader *r)
{
    for (;;) {
        ssize_t n = getline(&r->line, &r->linecap, r->f);
        const char *p, *e, *msg = NULL;
        if (n < 0) {
            if (ferror(r->f)) {
                snprintf(r->err, sizeof r->err, "%s: read error", r->path);
                return -1;
            }
            return 0;
        }
        r->lineno++;
        p = r->line;
        e = p + n;
        if (r->lineno == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
            p += 3; /* UTF-8 BOM */
        if (jsonl_skip_ws(p, e) == e)
            continue; /* blank line */
        if (jsonl_parse_line(r, p, e, &msg) != 0) {
            snprintf(r->err, sizeof r->err, "%s:%ld: invalid JSON: %s", r->path, r->lineno, msg);
            return -1;
        }
        if (!r->has_id) {
            snprintf(r->err, sizeof r->err, "%s:%ld: record has no \"id\"", r->path, r->lineno);
            return -1;
        }
        return 1;
    }
}

JSONL_FN void jsonl_close(jsonl_reader *r)
{
    if (r->f && r->f != stdin)
        fclose(r->f);
    r->f = NULL;
    free(r->line);
    r->line = NULL;
    jsonl_buf_free(&r->id);
    jsonl_buf_free(&r->title);
    jsonl_buf_free(&r->text);
    jsonl_buf_free(&r->key);
}

#endif /* PEERS_JSONL_H */
