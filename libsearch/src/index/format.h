/*
 * format.h - constants of the on-disk format shared by the codecs: file
 * magics and names, fields, limits. docs/FORMAT.md is the byte-level
 * specification; every codec repeats the part it writes at its top.
 */
#ifndef LS_FORMAT_H
#define LS_FORMAT_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "libsearch's file readers assume a little-endian host"
#endif

/* Magic numbers: four ASCII bytes, read as a little-endian u32. */
#define LS_MAGIC(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define LS_MAGIC_TERMS LS_MAGIC('L', 'S', 'T', 'D')
#define LS_MAGIC_POSTINGS LS_MAGIC('L', 'S', 'P', 'D')
#define LS_MAGIC_POSITIONS LS_MAGIC('L', 'S', 'P', 'P')
#define LS_MAGIC_NORMS LS_MAGIC('L', 'S', 'N', 'R')
#define LS_MAGIC_STORE LS_MAGIC('L', 'S', 'S', 'T')
#define LS_MAGIC_DELETES LS_MAGIC('L', 'S', 'D', 'L')
#define LS_MAGIC_MANIFEST LS_MAGIC('L', 'S', 'M', 'F')

/* File name extensions of a segment's files, indexed by srch_file_kind. */
#define LS_SEGMENT_FILES 5   /* terms, postings, positions, norms, store */
extern const char *const ls_file_ext[];

/* Names: segment files "s%08llu.<ext>", deletions "s%08llu_%llu.del",
 * manifests "MANIFEST-%016llx" (hex so that names sort by generation). */
#define LS_SEGMENT_NAME_FMT "s%08llu"
#define LS_MANIFEST_PREFIX "MANIFEST-"

/* Fields: the first byte of every term key. Sorted: B < I < P < T < V < W. */
#define LS_FIELD_BODY 'B'      /* body, stemmed terms, with positions */
#define LS_FIELD_ID 'I'        /* external document id, no positions */
#define LS_FIELD_PAIR 'P'      /* body, two stems side by side (index/pairs.h) */
#define LS_FIELD_TITLE 'T'     /* title, stemmed terms, with positions */
#define LS_FIELD_TITLE_WORD 'V'   /* title, exact (unstemmed, folded) words */
#define LS_FIELD_WORD 'W'      /* body, exact (unstemmed, folded) words */

static inline int ls_field_has_positions(unsigned char field)
{
    return field == LS_FIELD_BODY || field == LS_FIELD_TITLE || field == LS_FIELD_PAIR;
}

/* Fields with a length (norm) per passage, in .nrm order. */
enum { LS_NORM_BODY = 0, LS_NORM_TITLE = 1, LS_NORM_FIELDS = 2 };

/* The length a field's terms are scored with. */
static inline int ls_field_norm(unsigned char field)
{
    return field == LS_FIELD_TITLE || field == LS_FIELD_TITLE_WORD ? LS_NORM_TITLE : LS_NORM_BODY;
}

/* Limits. */
#define LS_MAX_PASSAGES_PER_SEGMENT 0x7FFFFFF0u
#define LS_NO_DOC UINT32_MAX            /* end of a postings list */
#define LS_MAX_TERM_BYTES 1100          /* field byte + id or word */

/* Term dictionary blocks hold this many terms. */
#define LS_TERMS_PER_BLOCK 32

#endif
