/*
 * libsearch.h - the public API of libsearch, a full-text search library.
 *
 * This header is the contract. Everything a program may use is declared here;
 * nothing else in the tree is part of the API.
 *
 * Conventions, set once for every module:
 *
 *  - Names: functions and types start with `srch_`, macros with `SRCH_`.
 *  - Handles are opaque (`srch_analyzer`, ...). They are made by `*_new` or
 *    `*_open` and released by `*_free` or `*_close`, which accept NULL.
 *  - Functions that can fail return `int`: SRCH_OK (0) or one of the negative
 *    codes of `srch_error`. They never return a raw errno. `srch_strerror()`
 *    names a code; the detailed message of the last failure ("segment 3:
 *    checksum mismatch at offset 81920") is kept per handle
 *    (`srch_analyzer_errmsg()`, ...) and per thread (`srch_errmsg()`).
 *  - Out-parameters come first and are named `out`. On failure `*out` is set
 *    to NULL (or zero) and nothing needs freeing.
 *  - Option structs start with a `version` field and have an `*_INIT`
 *    initializer; always start from the initializer, then set fields, so that
 *    a program compiled today keeps working when fields are added.
 *  - Every comment states who owns what a pointer points to and how long a
 *    borrowed pointer stays valid, and which handles may be shared between
 *    threads.
 *  - Text is UTF-8. Invalid sequences are never fatal: they are treated as
 *    U+FFFD (a separator between words), see srch_analyze().
 */
#ifndef LIBSEARCH_H
#define LIBSEARCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(SRCH_STATIC)
#define SRCH_API __attribute__((visibility("default")))
#else
#define SRCH_API
#endif

/* ---------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------- */

#define SRCH_VERSION_MAJOR 0
#define SRCH_VERSION_MINOR 1
#define SRCH_VERSION_PATCH 0
#define SRCH_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, for compile-time comparisons. */
#define SRCH_VERSION_NUMBER \
    (SRCH_VERSION_MAJOR * 10000 + SRCH_VERSION_MINOR * 100 + SRCH_VERSION_PATCH)

/* The version of the library actually linked, as "MAJOR.MINOR.PATCH"
 * (a static string). Compare with SRCH_VERSION_STRING to detect a program
 * built against another header. */
SRCH_API const char *srch_version(void);

/* The same as a number, MAJOR * 10000 + MINOR * 100 + PATCH. */
SRCH_API int srch_version_number(void);

/* ---------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------- */

/* Return codes. The numbers are stable: new codes are only ever added. */
typedef enum srch_error {
    SRCH_OK = 0,
    SRCH_ERROR = -1,      /* unclassified failure (see the message) */
    SRCH_ENOMEM = -2,     /* out of memory */
    SRCH_EIO = -3,        /* a system call on a file failed */
    SRCH_ECORRUPT = -4,   /* a file is damaged: bad checksum, bad structure */
    SRCH_ELOCKED = -5,    /* another writer holds the index */
    SRCH_EVERSION = -6,   /* a file was written by an unknown format version */
    SRCH_EINVAL = -7,     /* an argument or option is invalid */
    SRCH_ESYNTAX = -8,    /* a query is malformed */
    SRCH_ENOTFOUND = -9,  /* no such index, language, document or field */
    SRCH_ENOSPC = -10,    /* the disk is full; nothing committed was lost */
    SRCH_ELIMIT = -11,    /* a configured bound was reached (e.g. prefix expansion) */
    SRCH_EABORT = -12,    /* a callback asked to stop */
    SRCH_EBACKEND = -13   /* the storage backend (e.g. Xapian) reported an error */
} srch_error;

/* A short English description of a code ("index is locked by another
 * writer"). Static string; never NULL, also for unknown codes. */
SRCH_API const char *srch_strerror(int code);

/* The detailed message of the last failure of a libsearch call made by the
 * calling thread, or "" if none. Useful when a constructor fails and there is
 * no handle to ask. The string belongs to the library and stays valid until
 * the next libsearch call in the same thread. */
SRCH_API const char *srch_errmsg(void);

/* ---------------------------------------------------------------------------
 * Languages
 * ------------------------------------------------------------------------- */

/* The stemming languages available, as a NULL-terminated array of canonical
 * Snowball names ("arabic", ..., "french", ...), plus "none" (no stemming).
 * Static storage; do not free. Thread-safe. */
SRCH_API const char *const *srch_languages(void);

/* ---------------------------------------------------------------------------
 * Analysis: UTF-8 text -> terms with positions and byte offsets
 *
 * The pipeline, used identically at index time and at query time:
 *   1. ICU word breaking (Unicode UAX #29) on the UTF-8 bytes. Words and
 *      numbers are kept; spaces (U+00A0 included) and punctuation (guillemets
 *      included) are dropped. A hyphen separates words, so "Sous-forum" gives
 *      "sous" and "forum" at consecutive positions.
 *   2. French elisions are removed, with the ASCII (') or typographic (’)
 *      apostrophe: l' d' j' m' n' s' t' c' qu' jusqu' lorsqu' puisqu' quoiqu'
 *      (any case). "aujourd'hui" stays one word.
 *   3. Unicode normalization and case folding (NFKC_Casefold); ligatures
 *      folded (œ -> oe, æ -> ae); apostrophes unified to '.
 *   4. Stemming (Snowball, the analyzer's language) of that accented form.
 *   5. Accent folding of Latin letters (é -> e, ç -> c, ...) on the stem.
 *      "État", "état" and "etat" all give the term "etat".
 * Each token gets a position (0, 1, 2, ... in the text) and the byte range of
 * its surface form in the input (the elision excluded).
 *
 * Bad input: invalid UTF-8 sequences and NUL bytes act as separators and
 * never end the analysis. A word longer than SRCH_MAX_WORD_BYTES bytes is
 * cut at a character boundary before normalization (its byte range still
 * covers the whole word).
 * ------------------------------------------------------------------------- */

#define SRCH_MAX_WORD_BYTES 128

typedef struct srch_analyzer srch_analyzer;

typedef struct srch_analyzer_options {
    unsigned int version;     /* SRCH_ANALYZER_OPTIONS_VERSION */
    const char *language;     /* a name from srch_languages() or an ISO 639
                                 code Snowball knows ("fr"); NULL = "french";
                                 "none" disables stemming */
    int stem_cache;           /* 1 (default): stem each distinct word once
                                 per analyzer; 0: call the stemmer per token */
} srch_analyzer_options;

#define SRCH_ANALYZER_OPTIONS_VERSION 1
#define SRCH_ANALYZER_OPTIONS_INIT { SRCH_ANALYZER_OPTIONS_VERSION, NULL, 1 }

/* One token, handed to the callback of srch_analyze(). All pointers are
 * borrowed: they are valid only during the callback. */
typedef struct srch_token {
    const char *term;         /* the indexed term: normalized, stemmed, folded;
                                 NUL-terminated */
    size_t term_len;
    const char *word;         /* the same word folded but not stemmed
                                 ("organisation"); NUL-terminated */
    size_t word_len;
    uint32_t position;        /* 0-based word position in the text */
    size_t start, end;        /* byte range [start, end) of the surface form
                                 in the analyzed text */
    int is_number;            /* 1 if the word is a number ("2024", "3,5") */
} srch_token;

/* Called once per token, in text order. Return 0 to go on; any other value
 * stops the analysis, and srch_analyze() then returns SRCH_EABORT. */
typedef int (*srch_token_cb)(void *ctx, const srch_token *token);

/* Make an analyzer. `opts` may be NULL for the defaults (French, cached).
 * SRCH_ENOTFOUND if the language is unknown. The analyzer belongs to one
 * thread at a time (it holds a break iterator and a stem cache); make one per
 * thread. Free with srch_analyzer_free(). */
SRCH_API int srch_analyzer_new(srch_analyzer **out, const srch_analyzer_options *opts);

/* Release an analyzer. NULL is accepted. */
SRCH_API void srch_analyzer_free(srch_analyzer *a);

/* The canonical language name of the analyzer ("french", "none"). Valid as
 * long as the analyzer. */
SRCH_API const char *srch_analyzer_language(const srch_analyzer *a);

/* Analyze `len` bytes of UTF-8 `text` (NUL bytes included if within len),
 * calling `cb` for each token. Returns SRCH_OK, SRCH_EABORT if the callback
 * stopped it, SRCH_ENOMEM, or SRCH_EINVAL for a NULL argument. */
SRCH_API int srch_analyze(srch_analyzer *a, const char *text, size_t len,
                          srch_token_cb cb, void *ctx);

/* The detailed message of the analyzer's last failure, or "". Valid until
 * the next call on the analyzer. */
SRCH_API const char *srch_analyzer_errmsg(const srch_analyzer *a);

#ifdef __cplusplus
}
#endif

#endif /* LIBSEARCH_H */
