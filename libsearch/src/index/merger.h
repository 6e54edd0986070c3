/*
 * merger.h - merging segments into a new one (the k-way merge).
 */
#ifndef LS_MERGER_H
#define LS_MERGER_H

#include <stddef.h>
#include <stdint.h>

#include "index/segment.h"

/* Merge segs[0..n) (with their deletions dels[i], NULL for none) into a
 * new segment `id` in dir, dropping deleted passages; with threads > 1 the
 * stored records are merged by a second thread. On failure nothing of the
 * new segment is left on disk. */
int ls_merge(const char *dir, ls_segment *const *segs, ls_deletes *const *dels, size_t n,
             uint64_t id, int durable, int threads, ls_segment_meta *meta, ls_err *err);

#endif
