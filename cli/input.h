/*
 * input.h - the documents to index, read from files, directories and
 * standard input in three formats, as srch_document records ready for
 * srch_index_add(). Depends on libsearch.h (for the structs) and libc only.
 *
 * Formats:
 *  - TEXT: a whole file is one document; id = the path as given, or as
 *    built during a directory walk ("dir/sub/file.txt"), "-" for standard
 *    input; no title; text = the file's bytes.
 *  - JSONL: one JSON object per line: "id" (string, or a number whose JSON
 *    text is the id; required), "title" (string, null or absent), "text"
 *    (string, required); any other member becomes a stored field (a string
 *    decoded, any other value as its JSON text). Blank lines are skipped.
 *  - TSV: one document per line, id<TAB>title<TAB>text, backslash escapes
 *    \t \n \r \\ decoded (any other backslash kept as is); a first line
 *    "id\ttitle\ttext" is a header and skipped; empty lines are skipped.
 * INPUT_AUTO chooses by extension: .jsonl .ndjson -> JSONL, .tsv -> TSV,
 * .txt .text .md -> TEXT (case-insensitive); a file named explicitly with
 * any other extension is TEXT; in a directory walk other files are skipped.
 * Standard input with INPUT_AUTO is JSONL if its first byte that is not
 * whitespace is '{', else TEXT.
 *
 * Every format: a line may end with "\r\n"; a UTF-8 byte order mark at the
 * start of a JSONL or TSV file is skipped (a TEXT file keeps it); invalid
 * UTF-8 in an id, title, text or field, an empty id, an id over
 * SRCH_MAX_ID_BYTES, a title over SRCH_MAX_TITLE_BYTES, a NUL in an id, a
 * title or a field name, a line over the line bound (256 MiB) make a bad
 * record. An empty title is given as NULL (no title). In JSONL, when a
 * member name repeats, the last one wins (for id, title, text and fields
 * alike).
 *
 * Messages name a file as given or built ("docs/a.jsonl"), standard input
 * as "<stdin>", and a position as "path:line" (1 for a TEXT record).
 *
 * An input belongs to one thread at a time.
 */
#ifndef SEARCH_INPUT_H
#define SEARCH_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "libsearch.h"

typedef enum input_format { INPUT_AUTO = 0, INPUT_TEXT, INPUT_JSONL, INPUT_TSV } input_format;

/* Parse "auto"/"text"/"txt"/"jsonl"/"json"/"ndjson"/"tsv" (exact, lower
 * case); -1 if unknown. */
int input_format_parse(const char *name);

/* The longest line read by default in JSONL and TSV; longer lines are bad
 * records. */
#define INPUT_MAX_LINE ((size_t)256 << 20)

typedef struct input_record {
    srch_document doc;   /* ready for srch_index_add(); every pointer valid
                            until the next input_next()/input_close() */
    unsigned long line;  /* the line of the JSONL or TSV record; 1 for a
                            text file (input_where() formats "path:line") */
} input_record;

typedef struct input input;

/* Iterate over the records of `paths` (npaths of them; the strings are
 * copied) in order; "-" is standard input. A directory is walked
 * recursively: entries sorted by name (bytewise), hidden entries (starting
 * with '.') skipped, symbolic links to directories not followed (links to
 * files are), only files with a known extension read (with `fmt` if it is
 * not INPUT_AUTO), other entries (devices, FIFOs, ...) skipped.
 * Returns 0, or -1 with a message in *err (malloc'ed, caller frees; NULL on
 * success) if a path given does not exist or cannot be opened, or if memory
 * runs out. Paths given are checked here; files found in directories when
 * they are reached (see input_next()). */
int input_open(input **out, char *const *paths, int npaths, input_format fmt, char **err);

/* The next record.
 *  1: a record in *rec;
 *  0: no more records;
 * -1: a bad record: input_error() says what and where
 *     ("docs.jsonl:12: invalid JSON: expected ',' or '}' at column 40");
 *     also a file or directory found in a walk that cannot be opened or
 *     read ("docs/a.txt: Permission denied"). Call input_next() again to go
 *     on with the next record;
 * -2: a fatal error (I/O error reading, out of memory): input_error() says
 *     what; do not call again (it would return -2 again). */
int input_next(input *in, input_record *rec);

/* "path:line" of rec, the record input_next() returned last, for
 * messages (formatted on demand: most records need none). Valid until the
 * next call on the input. */
const char *input_where(input *in, const input_record *rec);

/* The message of the last -1/-2 of input_next(), or "". Valid until the
 * next call on the input. */
const char *input_error(const input *in);

/* Bytes consumed so far, and the total size of the regular files in the
 * input, counted by input_open() (directories walked once ahead for it;
 * standard input counts if it is a regular file, a pipe does not): for a
 * progress bar. bytes_read reaches bytes_total at the end unless a file
 * changed size meanwhile. */
uint64_t input_bytes_read(const input *in);
uint64_t input_bytes_total(const input *in);

/* Set the line bound (default INPUT_MAX_LINE), e.g. to test it cheaply. */
void input_set_max_line(input *in, size_t max_line);

/* Release everything (closes the current file). NULL is accepted. */
void input_close(input *in);

#endif
