/*
 * jsonl.h - one line of JSON Lines: a strict parser for a JSON object whose
 * top-level members are returned in order, plus the two UTF-8 helpers and
 * the string writer that go with it. Used by the `search` CLI (cli/input.c)
 * and by the benchmark peers (bench/peers), so that both read a corpus with
 * the same code. Plain C11 and libc only; callable from C++.
 *
 * The syntax is RFC 8259, strictly: no trailing commas, no comments, no raw
 * control characters in strings, no leading zeros or bare "." in numbers,
 * nothing but whitespace after the object. Strings are decoded to UTF-8
 * (every escape, \uXXXX with surrogate pairs); \u0000 gives a NUL byte, so a
 * decoded string has a length and may contain NULs. What to do with bytes
 * that are not UTF-8 and with unpaired surrogates is the caller's choice
 * (the flags of jsonl_parse()): an error, or U+FFFD.
 */
#ifndef SEARCH_JSONL_H
#define SEARCH_JSONL_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The type of a member's value. */
typedef enum jsonl_type {
    JSONL_STRING = 0,
    JSONL_NUMBER,
    JSONL_TRUE,
    JSONL_FALSE,
    JSONL_NULL,
    JSONL_ARRAY,
    JSONL_OBJECT
} jsonl_type;

/* One top-level member of the object, as parsed by jsonl_parse(). The
 * pointers point into the parser and stay valid until the next
 * jsonl_parse() or jsonl_free() on it. */
typedef struct jsonl_member {
    const char *name;     /* decoded, NUL-terminated; may hold a NUL of its
                             own (\u0000): then strlen(name) < name_len */
    size_t name_len;
    jsonl_type type;
    char *value;          /* JSONL_STRING: the decoded string; any other
                             type: the value's JSON text exactly as in the
                             line ("-1.5e3", "[1, {\"a\": null}]").
                             NUL-terminated; the caller may change the bytes
                             in place */
    size_t value_len;
    size_t name_column;   /* 1-based byte columns in the line of the name's */
    size_t value_column;  /* opening quote and of the value's first byte */
} jsonl_member;

/* Return codes of jsonl_parse(). */
enum {
    JSONL_OK = 0,
    JSONL_ESYNTAX = -1,   /* not a JSON object (see error, error_column) */
    JSONL_ENOMEM = -2,    /* out of memory */
    JSONL_EUTF8 = -3      /* a byte that is not UTF-8 inside a string (only
                             without JSONL_REPLACE_INVALID) */
};

/* Flags of jsonl_parse(). */
#define JSONL_REPLACE_INVALID 1u   /* decode a byte that is not part of valid
                                      UTF-8 (each such byte) and an unpaired
                                      \uD800-\uDFFF escape as U+FFFD instead
                                      of failing; the raw text of non-string
                                      values is still copied as is */

/* A parser: the members of the last line parsed and the buffers behind
 * them. Zero it (or call jsonl_init()) before the first use; reuse it for
 * every line, then jsonl_free(). One parser per thread. */
typedef struct jsonl_parser {
    jsonl_member *members;   /* nmembers members, in the order of the line
                                (duplicate names included) */
    size_t nmembers;
    const char *error;       /* after a failure: what, a static string
                                ("expected ',' or '}'") */
    size_t error_column;     /* and where: the 1-based byte column of the
                                offending byte (one past the end for a line
                                that ends too early; the opening quote for an
                                unterminated string) */
    /* private */
    char *buf;               /* decoded names and values, back to back */
    size_t buf_len, buf_cap;
    size_t members_cap;
} jsonl_parser;

void jsonl_init(jsonl_parser *p);
void jsonl_free(jsonl_parser *p);

/* Parse one line (`len` bytes, without its '\n'; a '\r' at the end is
 * whitespace like any other) holding one JSON object. Nested arrays and
 * objects are checked completely (strings in them too) down to 512 levels.
 * Returns JSONL_OK with p->members set, or a negative code with p->error
 * and p->error_column set (and nmembers 0). */
int jsonl_parse(jsonl_parser *p, const char *line, size_t len, unsigned flags);

/* The last member named `name` (names with a NUL in them never match), or
 * NULL. */
const jsonl_member *jsonl_find(const jsonl_parser *p, const char *name);

/* "string", "number", "true", "false", "null", "array", "object". */
const char *jsonl_type_name(jsonl_type t);

/* The length of the longest prefix of s[0..len) that is valid UTF-8
 * (shortest forms of scalar values only: no surrogates, nothing over
 * U+10FFFF); len if all of it is. */
size_t jsonl_utf8_valid(const char *s, size_t len);

/* Write s[0..len) to f as a JSON string literal, quotes included. Bytes that
 * are not valid UTF-8 are written as \ufffd; control characters, '"' and
 * '\\' are escaped. Check ferror(f) afterwards. */
void jsonl_write_string(FILE *f, const char *s, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SEARCH_JSONL_H */
