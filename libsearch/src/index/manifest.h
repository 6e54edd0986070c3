/*
 * manifest.h - the commit record: which segments (and which deletion
 * generation of each) make up the index as of one commit.
 *
 * File MANIFEST-<generation, 16 hex digits>, body (docs/FORMAT.md):
 *   u64 generation, u64 next segment id, u8 language length, language,
 *   u32 max passage bytes, u32 segment count, then per segment:
 *   u64 id, u32 passages, u32 documents, u32 deleted passages, u32 deleted
 *   documents, u64 deletion generation (0: none), u64 terms,
 *   u64 body length sum, u64 title length sum, 5 x u64 file sizes,
 *   u64 deletion file size.
 *
 * A commit writes the new manifest under a temporary name, fsyncs it,
 * renames it into place and fsyncs the directory: the rename is the commit
 * point. Readers open the manifest with the highest generation.
 */
#ifndef LS_MANIFEST_H
#define LS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "index/segment.h"

typedef struct ls_manifest {
    uint64_t generation;
    uint64_t next_segment;
    char language[64];
    uint32_t max_passage_bytes;
    size_t nsegs;
    ls_segment_meta *segs;    /* malloc'ed */
    uint64_t size;            /* bytes of the manifest file */
} ls_manifest;

void ls_manifest_name(char *buf, size_t cap, uint64_t generation);

/* Generation of a manifest file name, or 0 if the name is not one. */
uint64_t ls_manifest_parse_name(const char *name);

/* Find and read the newest manifest of dir. SRCH_ENOTFOUND if there is
 * none (no index here). */
int ls_manifest_read_latest(ls_manifest *m, const char *dir, ls_err *err);
int ls_manifest_read(ls_manifest *m, const char *dir, uint64_t generation, ls_err *err);

/* Write m as MANIFEST-<m->generation>. *in_place tells whether the rename
 * (the commit point) happened: a failure after it (the fsync of the
 * directory) leaves the commit visible, if perhaps not durable. */
int ls_manifest_write(ls_manifest *m, const char *dir, int durable, int *in_place, ls_err *err);

int ls_manifest_copy(ls_manifest *dst, const ls_manifest *src);
void ls_manifest_free(ls_manifest *m);

#endif
