/*
 * jsonl.c - the JSON Lines object parser declared in jsonl.h: one pass over
 * the line, decoding member names and string values into one buffer and
 * copying the text of the other values, with every nested value checked.
 *
 * The buffer is sized before the pass for the worst case, so it never moves
 * while members point into it: decoding never makes a string longer than
 * its JSON text (escapes shrink, quotes pay for the NUL), a non-string value
 * is always followed by a ',' or '}' that pays for its NUL, and with
 * JSONL_REPLACE_INVALID one input byte gives at most 3 (U+FFFD).
 */
#include "jsonl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512   /* nested arrays/objects; recursion stays shallow */

typedef struct cursor {
    jsonl_parser *p;
    const unsigned char *line, *cur, *end;
    unsigned flags;
} cursor;

static int fail(cursor *c, int code, const char *msg, const unsigned char *at)
{
    c->p->error = msg;
    c->p->error_column = (size_t)(at - c->line) + 1;
    return code;
}

/* The buffer was sized by jsonl_parse(): appending cannot overflow it. */
static void put(jsonl_parser *p, const void *s, size_t n)
{
    memcpy(p->buf + p->buf_len, s, n);
    p->buf_len += n;
}

static void put_utf8(jsonl_parser *p, unsigned long cp)
{
    unsigned char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (unsigned char)(0xC0 | (cp >> 6));
        t[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (unsigned char)(0xE0 | (cp >> 12));
        t[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (unsigned char)(0xF0 | (cp >> 18));
        t[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    put(p, t, n);
}

/* Length of the valid UTF-8 sequence at s (s < e, *s >= 0x80), or 0 if it
 * is not the shortest form of a scalar value. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *e)
{
    unsigned c = s[0];
    size_t n = (size_t)(e - s);
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        /* E0 needs A0..BF (no overlong form), ED needs 80..9F (no surrogate) */
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        /* F0 needs 90..BF (no overlong form), F4 needs 80..8F (<= U+10FFFF) */
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
                       (s[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

size_t jsonl_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + len;
    while (p < e) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = utf8_seq(p, e);
        if (!n)
            break;
        p += n;
    }
    return (size_t)(p - (const unsigned char *)s);
}

static void skip_ws(cursor *c)
{
    while (c->cur < c->end &&
           (*c->cur == ' ' || *c->cur == '\t' || *c->cur == '\r' || *c->cur == '\n'))
        c->cur++;
}

static int hex4(const unsigned char *s, const unsigned char *e, unsigned *out)
{
    unsigned v = 0;
    if (e - s < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        unsigned d = s[i];
        if (d >= '0' && d <= '9')
            d -= '0';
        else if (d >= 'a' && d <= 'f')
            d -= 'a' - 10;
        else if (d >= 'A' && d <= 'F')
            d -= 'A' - 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Which of the 8 bytes at s are control characters, quotes, backslashes
 * or not ASCII: bit 7 of each such byte (exact for the first one; a plain
 * byte after it may be flagged too). */
static inline uint64_t special8(const unsigned char *s)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, s, 8);
    uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
    return (w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
            ((bslash - ones) & ~bslash)) & highs;
}

/* The string whose opening quote is at c->cur: checked, and decoded into
 * the buffer (with a NUL after it) if `store`. */
static int string(cursor *c, int store)
{
    jsonl_parser *p = c->p;
    const unsigned char *open = c->cur, *q = c->cur + 1, *e = c->end;
    int replace = (c->flags & JSONL_REPLACE_INVALID) != 0;
    for (;;) {
        /* the run of plain characters: ASCII but controls, quotes and
         * backslashes (eight bytes at a time while none is in them), and
         * well-formed UTF-8 sequences */
        const unsigned char *r = q;
        for (;;) {
            uint64_t m = 0;
            while (e - r >= 8 && !(m = special8(r)))
                r += 8;
            if (m)   /* little-endian: the first flagged byte */
                r += __builtin_ctzll(m) >> 3;
            else
                while (r < e && *r >= 0x20 && *r < 0x80 && *r != '"' && *r != '\\')
                    r++;
            size_t n;
            if (r < e && *r >= 0x80 && (n = utf8_seq(r, e)) != 0) {
                r += n;
                continue;
            }
            break;
        }
        if (store)
            put(p, q, (size_t)(r - q));
        q = r;
        if (q >= e)
            return fail(c, JSONL_ESYNTAX, "unterminated string", open);
        if (*q == '"')
            break;
        if (*q < 0x20)
            return fail(c, JSONL_ESYNTAX, "control character in a string", q);
        if (*q >= 0x80) {
            size_t n = utf8_seq(q, e);
            if (n) {
                if (store)
                    put(p, q, n);
                q += n;
            } else if (replace) {
                if (store)
                    put_utf8(p, 0xFFFD);
                q++;
            } else {
                return fail(c, JSONL_EUTF8, "invalid UTF-8", q);
            }
            continue;
        }
        /* a backslash */
        if (e - q < 2)
            return fail(c, JSONL_ESYNTAX, "unterminated string", open);
        const char *simple = strchr("\"\\/bfnrt", q[1]);
        if (simple && q[1]) {
            static const char decoded[] = "\"\\/\b\f\n\r\t";
            if (store)
                put(p, &decoded[simple - "\"\\/bfnrt"], 1);
            q += 2;
            continue;
        }
        if (q[1] != 'u')
            return fail(c, JSONL_ESYNTAX, "invalid escape", q);
        unsigned u, lo;
        if (hex4(q + 2, e, &u) != 0)
            return fail(c, JSONL_ESYNTAX, "invalid \\u escape", q);
        const unsigned char *esc = q;
        unsigned long cp = u;
        q += 6;
        if (u >= 0xD800 && u <= 0xDFFF) {
            /* only a high surrogate directly followed by a low one is a
             * character; anything else is left for the next round */
            if (u <= 0xDBFF && e - q >= 6 && q[0] == '\\' && q[1] == 'u' &&
                hex4(q + 2, e, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000UL + ((unsigned long)(u - 0xD800) << 10) + (lo - 0xDC00);
                q += 6;
            } else if (replace) {
                cp = 0xFFFD;
            } else {
                return fail(c, JSONL_ESYNTAX, "unpaired surrogate in a \\u escape", esc);
            }
        }
        if (store)
            put_utf8(p, cp);
    }
    if (store)
        put(p, "", 1);
    c->cur = q + 1;
    return JSONL_OK;
}

static int number(cursor *c)
{
    const unsigned char *q = c->cur, *e = c->end;
#define DIGIT(q) ((q) < e && *(q) >= '0' && *(q) <= '9')
    if (*q == '-')
        q++;
    if (q < e && *q == '0') {
        q++;
    } else if (DIGIT(q)) {
        while (DIGIT(q))
            q++;
    } else {
        return fail(c, JSONL_ESYNTAX, "invalid number", q);
    }
    if (q < e && *q == '.') {
        q++;
        if (!DIGIT(q))
            return fail(c, JSONL_ESYNTAX, "invalid number", q);
        while (DIGIT(q))
            q++;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-'))
            q++;
        if (!DIGIT(q))
            return fail(c, JSONL_ESYNTAX, "invalid number", q);
        while (DIGIT(q))
            q++;
    }
#undef DIGIT
    c->cur = q;
    return JSONL_OK;
}

static int value(cursor *c, int depth, jsonl_type *type);

/* The array or object at c->cur, checked and skipped. */
static int container(cursor *c, int depth)
{
    int object = *c->cur == '{', rc;
    unsigned char close = object ? '}' : ']';
    jsonl_type t;
    if (depth >= MAX_DEPTH)
        return fail(c, JSONL_ESYNTAX, "nesting too deep", c->cur);
    c->cur++;
    skip_ws(c);
    if (c->cur < c->end && *c->cur == close) {
        c->cur++;
        return JSONL_OK;
    }
    for (;;) {
        if (object) {
            if (c->cur >= c->end || *c->cur != '"')
                return fail(c, JSONL_ESYNTAX, "expected a member name", c->cur);
            if ((rc = string(c, 0)) != JSONL_OK)
                return rc;
            skip_ws(c);
            if (c->cur >= c->end || *c->cur != ':')
                return fail(c, JSONL_ESYNTAX, "expected ':'", c->cur);
            c->cur++;
            skip_ws(c);
        }
        if ((rc = value(c, depth + 1, &t)) != JSONL_OK)
            return rc;
        skip_ws(c);
        if (c->cur < c->end && *c->cur == ',') {
            c->cur++;
            skip_ws(c);
            continue;
        }
        if (c->cur < c->end && *c->cur == close) {
            c->cur++;
            return JSONL_OK;
        }
        return fail(c, JSONL_ESYNTAX, object ? "expected ',' or '}'" : "expected ',' or ']'",
                    c->cur);
    }
}

/* Any value at c->cur, checked and skipped (strings are not stored). */
static int value(cursor *c, int depth, jsonl_type *type)
{
    static const struct {
        const char *text;
        jsonl_type type;
    } literals[] = {{"true", JSONL_TRUE}, {"false", JSONL_FALSE}, {"null", JSONL_NULL}};
    if (c->cur >= c->end)
        return fail(c, JSONL_ESYNTAX, "expected a value", c->cur);
    unsigned char ch = *c->cur;
    if (ch == '"') {
        *type = JSONL_STRING;
        return string(c, 0);
    }
    if (ch == '{' || ch == '[') {
        *type = ch == '{' ? JSONL_OBJECT : JSONL_ARRAY;
        return container(c, depth);
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        *type = JSONL_NUMBER;
        return number(c);
    }
    for (size_t i = 0; i < sizeof literals / sizeof literals[0]; i++) {
        size_t n = strlen(literals[i].text);
        if (literals[i].text[0] == ch) {
            if ((size_t)(c->end - c->cur) < n || memcmp(c->cur, literals[i].text, n) != 0)
                return fail(c, JSONL_ESYNTAX, "invalid literal", c->cur);
            c->cur += n;
            *type = literals[i].type;
            return JSONL_OK;
        }
    }
    return fail(c, JSONL_ESYNTAX, "expected a value", c->cur);
}

void jsonl_init(jsonl_parser *p)
{
    memset(p, 0, sizeof *p);
}

void jsonl_free(jsonl_parser *p)
{
    free(p->buf);
    free(p->members);
    jsonl_init(p);
}

/* One member at c->cur (the name's quote): appended to p->members. */
static int member(cursor *c)
{
    jsonl_parser *p = c->p;
    jsonl_member m;
    int rc;
    if (p->nmembers == p->members_cap) {
        size_t cap = p->members_cap ? p->members_cap * 2 : 16;
        jsonl_member *nm = realloc(p->members, cap * sizeof *nm);
        if (!nm)
            return fail(c, JSONL_ENOMEM, "out of memory", c->cur);
        p->members = nm;
        p->members_cap = cap;
    }
    memset(&m, 0, sizeof m);
    if (c->cur >= c->end || *c->cur != '"')
        return fail(c, JSONL_ESYNTAX, "expected a member name", c->cur);
    m.name_column = (size_t)(c->cur - c->line) + 1;
    m.name = p->buf + p->buf_len;
    if ((rc = string(c, 1)) != JSONL_OK)
        return rc;
    m.name_len = (size_t)(p->buf + p->buf_len - m.name) - 1;
    skip_ws(c);
    if (c->cur >= c->end || *c->cur != ':')
        return fail(c, JSONL_ESYNTAX, "expected ':'", c->cur);
    c->cur++;
    skip_ws(c);
    m.value_column = (size_t)(c->cur - c->line) + 1;
    m.value = p->buf + p->buf_len;
    if (c->cur < c->end && *c->cur == '"') {
        m.type = JSONL_STRING;
        if ((rc = string(c, 1)) != JSONL_OK)
            return rc;
        m.value_len = (size_t)(p->buf + p->buf_len - m.value) - 1;
    } else {
        const unsigned char *start = c->cur;
        if ((rc = value(c, 0, &m.type)) != JSONL_OK)
            return rc;
        m.value_len = (size_t)(c->cur - start);
        put(p, start, m.value_len);
        put(p, "", 1);
    }
    p->members[p->nmembers++] = m;
    return JSONL_OK;
}

int jsonl_parse(jsonl_parser *p, const char *line, size_t len, unsigned flags)
{
    cursor c = {p, (const unsigned char *)line, (const unsigned char *)line,
                (const unsigned char *)line + len, flags};
    size_t factor = flags & JSONL_REPLACE_INVALID ? 3 : 1;
    int rc;

    p->nmembers = 0;
    p->buf_len = 0;
    p->error = NULL;
    p->error_column = 0;
    if (len > (SIZE_MAX - 16) / factor)
        return fail(&c, JSONL_ENOMEM, "out of memory", c.line);
    if (p->buf_cap < factor * len + 16) {
        /* nothing to keep: free + malloc spares realloc's copy */
        free(p->buf);
        p->buf_cap = factor * len + 16;
        p->buf = malloc(p->buf_cap);
        if (!p->buf) {
            p->buf_cap = 0;
            return fail(&c, JSONL_ENOMEM, "out of memory", c.line);
        }
    }

    skip_ws(&c);
    if (c.cur >= c.end || *c.cur != '{') {
        rc = fail(&c, JSONL_ESYNTAX, "expected '{'", c.cur);
        goto fail;
    }
    c.cur++;
    skip_ws(&c);
    if (c.cur < c.end && *c.cur == '}') {
        c.cur++;
    } else {
        for (;;) {
            if ((rc = member(&c)) != JSONL_OK)
                goto fail;
            skip_ws(&c);
            if (c.cur < c.end && *c.cur == ',') {
                c.cur++;
                skip_ws(&c);
                continue;
            }
            if (c.cur < c.end && *c.cur == '}') {
                c.cur++;
                break;
            }
            rc = fail(&c, JSONL_ESYNTAX, "expected ',' or '}'", c.cur);
            goto fail;
        }
    }
    skip_ws(&c);
    if (c.cur != c.end) {
        rc = fail(&c, JSONL_ESYNTAX, "unexpected data after the object", c.cur);
        goto fail;
    }
    return JSONL_OK;

fail:
    p->nmembers = 0;
    return rc;
}

const jsonl_member *jsonl_find(const jsonl_parser *p, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = p->nmembers; i-- > 0;)
        if (p->members[i].name_len == n && memcmp(p->members[i].name, name, n) == 0)
            return &p->members[i];
    return NULL;
}

const char *jsonl_type_name(jsonl_type t)
{
    static const char *const names[] = {"string", "number", "true", "false",
                                        "null",   "array",  "object"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

void jsonl_write_string(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + len;
    putc('"', f);
    while (p < e) {
        unsigned c = *p;
        if (c >= 0x80) {
            size_t n = utf8_seq(p, e);
            if (n) {
                fwrite(p, 1, n, f);
                p += n;
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
