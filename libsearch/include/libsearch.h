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

/* ---------------------------------------------------------------------------
 * Documents and passages
 *
 * A document has an external id (unique in the index: adding an id again
 * replaces the document), an optional title, a body and optional extra
 * stored fields. The body is split into passages: paragraphs (separated by
 * one or more blank lines), and a paragraph longer than the index's
 * max_passage_bytes into windows cut at a sentence end or a space. The
 * passage is the unit that is indexed, scored and returned; passages are
 * numbered from 1 within their document and know their byte range in the
 * body. Every passage is indexed with its document's title (field "title").
 * ------------------------------------------------------------------------- */

#define SRCH_MAX_ID_BYTES 1024          /* longest external id */
#define SRCH_MAX_TITLE_BYTES 65535      /* longest title */

/* An extra stored field: kept with the document and returned with it, not
 * indexed. */
typedef struct srch_field {
    const char *name;         /* NUL-terminated */
    const char *value;        /* value_len bytes (UTF-8 expected) */
    size_t value_len;
} srch_field;

/* A document to add. All pointers are borrowed for the duration of the
 * call only: the index copies what it keeps. */
typedef struct srch_document {
    unsigned int version;     /* SRCH_DOCUMENT_VERSION */
    const char *id;           /* external id, NUL-terminated, 1 to
                                 SRCH_MAX_ID_BYTES bytes */
    const char *title;        /* NULL or NUL-terminated */
    const char *text;         /* the body: text_len bytes of UTF-8 (invalid
                                 sequences are kept in the stored text and
                                 separate words, see srch_analyze()) */
    size_t text_len;
    const srch_field *fields; /* nfields extra stored fields, or NULL */
    size_t nfields;
} srch_document;

#define SRCH_DOCUMENT_VERSION 1
#define SRCH_DOCUMENT_INIT { SRCH_DOCUMENT_VERSION, NULL, NULL, NULL, 0, NULL, 0 }

/* ---------------------------------------------------------------------------
 * Writing an index
 *
 * An index is a directory of immutable segments and a manifest naming the
 * segments of the last commit. One writer at a time per index (a lock file
 * enforces it, across processes and within one); any number of readers,
 * each searching the snapshot of one commit while the writer works.
 *
 * Added and deleted documents are buffered in memory up to ram_budget, then
 * written as a new segment. srch_index_commit() makes everything so far
 * durable and visible atomically; until then nothing is visible to readers
 * and srch_index_rollback() (or closing without commit) forgets it. A
 * crash at any moment leaves the index as of the last completed commit.
 * ------------------------------------------------------------------------- */

typedef struct srch_index srch_index;

typedef struct srch_index_options {
    unsigned int version;       /* SRCH_INDEX_OPTIONS_VERSION */
    int create;                 /* 1 (default): create the index if missing;
                                   0: SRCH_ENOTFOUND if missing */
    const char *language;       /* stemming language of a new index (NULL =
                                   "french"); an existing index keeps the
                                   language it was created with */
    size_t ram_budget;          /* bytes buffered before a segment is
                                   written; 0 = default (64 MiB) */
    size_t max_passage_bytes;   /* longer paragraphs are split; 0 = default
                                   (4096); stored in a new index */
    int auto_merge;             /* 1 (default): merge segments after each
                                   commit as the merge policy says */
    int segments_per_tier;      /* merge policy; 0 = default (10) */
    int max_merge_at_once;      /* 0 = default (10) */
    uint64_t floor_segment_bytes;  /* smaller segments count as this size;
                                      0 = default (2 MiB) */
    uint64_t max_merged_bytes;  /* no merge produces a larger segment;
                                   0 = default (5 GiB) */
    int durable;                /* 1 (default): fsync files and directory at
                                   commit; 0 skips the fsyncs (faster, for
                                   throwaway indexes: a power loss may then
                                   lose the last commits, never corrupt) */
    int threads;                /* 0 (default): analyze added documents in a
                                   background thread when the machine has
                                   more than one CPU; 1: all in the calling
                                   thread; 2: always with a background thread */
} srch_index_options;

#define SRCH_INDEX_OPTIONS_VERSION 1
#define SRCH_INDEX_OPTIONS_INIT { SRCH_INDEX_OPTIONS_VERSION, 1, NULL, 0, 0, 1, 0, 0, 0, 0, 1, 0 }

/* Open the index at `path` for writing (a directory, created if needed
 * when opts->create). SRCH_ELOCKED if another writer holds it (the message
 * says which process), SRCH_ENOTFOUND, SRCH_ECORRUPT, SRCH_EVERSION,
 * SRCH_EIO. Files left by a crashed writer (not referenced by the last
 * commit) are removed. The handle belongs to one thread at a time. Close
 * with srch_index_close(). */
SRCH_API int srch_index_open(srch_index **out, const char *path, const srch_index_options *opts);

/* Release the writer and its lock. Uncommitted changes are discarded (call
 * srch_index_commit() first to keep them). NULL is accepted. */
SRCH_API void srch_index_close(srch_index *ix);

/* Add a document; a document with the same id, committed or not, is
 * replaced. SRCH_EINVAL for a missing or too long id or title; the index is
 * unchanged by a failed call. With a background analysis thread (see
 * srch_index_options.threads) the document is copied and indexed a little
 * later: a failure while indexing it (out of memory, a segment full) is
 * then reported by a later call (add, delete, commit), whose message names
 * the document. */
SRCH_API int srch_index_add(srch_index *ix, const srch_document *doc);

/* Delete the document with this id. SRCH_ENOTFOUND if there is none (the
 * index is unchanged). */
SRCH_API int srch_index_delete(srch_index *ix, const char *id);

/* Make every change so far durable and visible to readers opened from now
 * on, atomically; then merge segments if the merge policy asks for it (a
 * merge is committed on its own, and a failed merge does not fail the
 * commit: it is tried again at the next commit, its message left in
 * srch_index_errmsg()). On failure (SRCH_ENOSPC, SRCH_EIO) the last commit
 * is intact and the pending changes are kept, so commit may be tried again;
 * the one exception is a failure of the final fsync of the directory, after
 * the commit point: the commit is then visible but its durability is in
 * doubt, and the message says so. */
SRCH_API int srch_index_commit(srch_index *ix);

/* Forget every change since the last commit. */
SRCH_API int srch_index_rollback(srch_index *ix);

/* Commit, then merge until at most max_segments segments remain (1: one
 * segment; deleted passages are reclaimed), and commit the result. Memory
 * stays bounded whatever the index size. */
SRCH_API int srch_index_merge(srch_index *ix, int max_segments);

/* The detailed message of the writer's last failure, or "". */
SRCH_API const char *srch_index_errmsg(const srch_index *ix);

/* The index's stemming language ("french"). */
SRCH_API const char *srch_index_language(const srch_index *ix);

/* ---------------------------------------------------------------------------
 * Reading an index
 *
 * A reader is a snapshot of one commit: its files are mapped read-only and
 * checked (checksums, structure) before use. A reader may be used by many
 * threads at once. srch_reader_reopen() picks up a newer commit cheaply:
 * segments that did not change are shared with the old reader.
 * ------------------------------------------------------------------------- */

typedef struct srch_reader srch_reader;

/* Open a snapshot of the last commit of the index at `path`.
 * SRCH_ENOTFOUND if there is no index there, SRCH_ECORRUPT, SRCH_EVERSION,
 * SRCH_EIO. Close with srch_reader_close(). */
SRCH_API int srch_reader_open(srch_reader **out, const char *path);

/* A reader on the newest commit. If there is none newer, *out is a new
 * reference to the same snapshot. Either way the caller closes both `r` and
 * *out. */
SRCH_API int srch_reader_reopen(srch_reader **out, srch_reader *r);

/* Map every page of the snapshot's files into the process now, as
 * Lucene's MMapDirectory does with preload: the first search that touches a
 * part of the index then takes no page fault (on the Littré passages a
 * fault-free median query is about a third faster). Costs a few
 * milliseconds per 100 MB (the files must be in the page cache to be
 * cheap) and counts the files in the resident size, as shared, clean,
 * reclaimable memory. For long-lived readers (servers, batches), not for
 * one-shot queries. Readers reopened from this one preload their new
 * segments. Thread-safe. */
SRCH_API int srch_reader_preload(srch_reader *r);

/* Release a reader. NULL is accepted. */
SRCH_API void srch_reader_close(srch_reader *r);

/* The detailed message of the last failure of a call on this reader made by
 * the calling thread, or "". */
SRCH_API const char *srch_reader_errmsg(const srch_reader *r);

/* The kinds of files of a segment, for sizes by kind. */
typedef enum srch_file_kind {
    SRCH_FILE_TERMS = 0,      /* term dictionary (.ter) */
    SRCH_FILE_POSTINGS,       /* passage ids and frequencies, skip data (.doc) */
    SRCH_FILE_POSITIONS,      /* positions (.pos) */
    SRCH_FILE_NORMS,          /* field lengths (.nrm) */
    SRCH_FILE_STORE,          /* stored passages and documents (.sto) */
    SRCH_FILE_DELETES,        /* deletion bitmaps (.del) */
    SRCH_FILE_MANIFEST,       /* the commit's manifest */
    SRCH_FILE_KINDS           /* number of kinds */
} srch_file_kind;

/* "terms", "postings", "positions", "norms", "store", "deletes",
 * "manifest"; "" for anything else. Static string. */
SRCH_API const char *srch_file_kind_name(int kind);

/* One segment of a snapshot. */
typedef struct srch_segment_info {
    char name[32];            /* "s00000003" */
    uint64_t passages;        /* live passages */
    uint64_t documents;       /* live documents */
    uint64_t deleted;         /* deleted passages still stored */
    uint64_t terms;           /* distinct terms (all fields, ids excluded) */
    uint64_t bytes[SRCH_FILE_KINDS];
} srch_segment_info;

/* The whole snapshot. */
typedef struct srch_index_stats {
    uint64_t generation;      /* commit number */
    const char *language;     /* valid as long as the reader */
    size_t segments;
    uint64_t passages;        /* live passages */
    uint64_t documents;       /* live documents */
    uint64_t deleted;         /* deleted passages still stored */
    uint64_t terms;           /* distinct terms summed over segments */
    uint64_t bytes[SRCH_FILE_KINDS];
    uint64_t total_bytes;
    double avg_passage_length;   /* in tokens, live passages */
} srch_index_stats;

SRCH_API void srch_reader_stats(const srch_reader *r, srch_index_stats *out);

/* Segment i (0 <= i < stats.segments) of the snapshot. SRCH_EINVAL if out
 * of range. */
SRCH_API int srch_reader_segment(const srch_reader *r, size_t i, srch_segment_info *out);

/* A stored document, as returned by srch_reader_document(). Strings are
 * NUL-terminated and belong to the object; free it with
 * srch_document_view_free(). */
typedef struct srch_document_view {
    const char *id;
    const char *title;        /* "" if none */
    const char *text;         /* the body as given, text_len bytes */
    size_t text_len;
    size_t passages;          /* number of passages */
    const srch_field *fields;
    size_t nfields;
} srch_document_view;

/* Look a document up by id. SRCH_ENOTFOUND if the snapshot has no such
 * live document. Thread-safe. */
SRCH_API int srch_reader_document(const srch_reader *r, const char *id,
                                  srch_document_view **out);
SRCH_API void srch_document_view_free(srch_document_view *d);

/* Verify an index without trusting it: every checksum, the structure of
 * every file, and invariants across them (term order, postings in order
 * and within range, counts matching the manifest). SRCH_OK, or
 * SRCH_ECORRUPT (or another code) with a message naming the file and offset
 * of the first fault (srch_errmsg()). */
SRCH_API int srch_index_check(const char *path);

/* ---------------------------------------------------------------------------
 * Searching
 *
 * Query language (words are analyzed exactly as at index time):
 *   migration vidéo        words; the default operator is OR (ranked), or
 *                          AND with SRCH_SEARCH_OPTIONS.default_and
 *   a AND b, a OR b        boolean operators (upper case; "or", "et" are
 *   a NOT b, NOT a         words); precedence NOT > AND > OR; ( ) groups
 *   +a -b                  a must match, b must not
 *   "sous forum"           a phrase: consecutive positions, stop words kept
 *   a NEAR/5 b             both within 5 words of each other, in any order
 *                          (NEAR alone: 10)
 *   migr*                  prefix, expanded through the term dictionary to
 *                          at most max_expansion words (SRCH_ELIMIT beyond)
 *   title:forum            a field: title or body (default: both); also
 *                          title:"..." and title:(...)
 * A word that analyzes into several terms ("sous-forum", "2024-09-12") is a
 * phrase. Stop words are not dropped: BM25 gives them little weight, and
 * a query made only of them still works.
 *
 * Ranking: BM25 (k1, b) over the body and the title (times title_weight),
 * plus exact_weight times BM25 of the word's exact (unstemmed, accent-
 * folded) form, so that a passage holding the word as typed ranks above one
 * holding another form of its stem; passages matching more of the query's
 * alternatives rank higher (coordination). Statistics are global over the
 * snapshot's live passages. Top-k uses block-max pruning; the pruned
 * result equals the exhaustive one.
 * ------------------------------------------------------------------------- */

typedef struct srch_query srch_query;
typedef struct srch_results srch_results;

/* Fields a query may address. */
#define SRCH_FIELD_BODY 1
#define SRCH_FIELD_TITLE 2

typedef struct srch_search_options {
    unsigned int version;     /* SRCH_SEARCH_OPTIONS_VERSION */
    size_t limit;             /* hits to return (default 10) */
    size_t offset;            /* hits to skip first, for paging */
    int default_and;          /* 1: adjacent words are ANDed (default OR) */
    int per_document;         /* 1: only the best passage of each document */
    int fields;               /* SRCH_FIELD_* mask searched by unqualified
                                 words; 0 = both */
    double k1, b;             /* BM25; 0 = defaults 1.2 and 0.75 */
    double title_weight;      /* < 0 = default (0.3) */
    double exact_weight;      /* < 0 = default (1.0) */
    double coordination;      /* < 0 = default (1.0): a passage's score is
                                 multiplied by (m / n)^coordination when it
                                 matches m of the n clauses of a group of
                                 alternatives; 0 = plain sums */
    size_t max_expansion;     /* prefix terms; 0 = default (1024) */
    int exact_total;          /* 1: count every match (slower); else the
                                 total may be a lower bound, flagged */
    int stored;               /* 1 (default): fetch each hit's title and text
                                 (and snippet); 0: ids, numbers and scores
                                 only (faster) */
    int snippets;             /* 1 (default): make snippets */
    size_t snippet_bytes;     /* about this long; 0 = default (180) */
    const char *mark_open;    /* around matched words in snippets; NULL =
                                 "<b>" and "</b>"; "" for none */
    const char *mark_close;
} srch_search_options;

#define SRCH_SEARCH_OPTIONS_VERSION 1
#define SRCH_SEARCH_OPTIONS_INIT \
    { SRCH_SEARCH_OPTIONS_VERSION, 10, 0, 0, 0, 0, 0, 0, -1, -1, -1, 0, 0, 1, 1, 0, NULL, NULL }

/* Parse a query for an index of the given stemming language (NULL =
 * "french"; use srch_reader_stats().language). default_and as in the
 * options. SRCH_ESYNTAX for a malformed query, with the byte offset of the
 * fault in *err_offset (may be NULL) and a message ("column 9: missing
 * closing parenthesis") from srch_errmsg(). The query is immutable and may
 * be shared between threads. Free with srch_query_free(). */
SRCH_API int srch_query_parse(srch_query **out, const char *text, const char *language,
                              int default_and, size_t *err_offset);
SRCH_API void srch_query_free(srch_query *q);

/* The parsed query as text, with each word's analysis, e.g.
 * (OR body|title:migrat~migrations "sous forum"). Valid as long as q. */
SRCH_API const char *srch_query_describe(const srch_query *q);

/* Run a query on a snapshot. opts may be NULL (defaults). Thread-safe: many
 * threads may search one reader at once. The results belong to the caller
 * (srch_results_free()). SRCH_ELIMIT if a prefix expands too far. */
SRCH_API int srch_search(srch_results **out, srch_reader *r, const srch_query *q,
                         const srch_search_options *opts);

/* Parse (with the reader's language and opts->default_and) and search. */
SRCH_API int srch_search_text(srch_results **out, srch_reader *r, const char *text,
                              const srch_search_options *opts);

/* A result: a passage. Strings are NUL-terminated and live as long as the
 * results. */
typedef struct srch_hit {
    const char *id;           /* the document's external id */
    uint32_t passage;         /* its number within the document, from 1 */
    double score;
    const char *title;        /* "" if none (or not fetched) */
    const char *text;         /* the passage ("" if not fetched) */
    size_t text_len;
    size_t start, end;        /* the passage's byte range in the body */
    const char *snippet;      /* best window, matched words marked; "" if
                                 snippets are off */
} srch_hit;

SRCH_API size_t srch_results_count(const srch_results *res);
SRCH_API const srch_hit *srch_results_hit(const srch_results *res, size_t i);
/* Matching passages (documents with per_document). *is_exact is 0 when
 * pruning skipped counting: the total is then a lower bound. */
SRCH_API uint64_t srch_results_total(const srch_results *res, int *is_exact);
SRCH_API void srch_results_free(srch_results *res);

/* How the score of passage `passage` of document `id` was made for this
 * query: per term and field, tf, idf, length normalization, contribution.
 * *out is a malloc'ed text (free() it). SRCH_ENOTFOUND if there is no such
 * live passage. */
SRCH_API int srch_explain(char **out, srch_reader *r, const srch_query *q, const char *id,
                          uint32_t passage, const srch_search_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* LIBSEARCH_H */
