/*
 * policy.h - the tiered merge policy: which segments to merge, if any.
 *
 * In the spirit of Lucene's TieredMergePolicy. Segment sizes are their
 * bytes on disk scaled by their share of live passages; sizes below the
 * floor count as the floor, so that tiny segments are merged eagerly. The
 * index may hold segments_per_tier segments on each tier, a tier being
 * max_merge_at_once times larger than the one below; when there are more
 * segments than that budget allows, the policy proposes the merge of up to
 * max_merge_at_once segments of similar sizes (the lowest skew: largest
 * over total), never producing more than max_merged_bytes, favouring
 * merges that reclaim deleted passages. A segment with more than a fifth
 * of its passages deleted is also merged (alone if need be) to reclaim
 * them.
 */
#ifndef LS_POLICY_H
#define LS_POLICY_H

#include <stddef.h>
#include <stdint.h>

typedef struct ls_policy {
    int segments_per_tier;
    int max_merge_at_once;
    uint64_t floor_bytes;
    uint64_t max_merged_bytes;
} ls_policy;

typedef struct ls_policy_seg {
    uint64_t bytes;           /* on disk */
    uint32_t passages, deleted;
} ls_policy_seg;

/* Choose one merge among n segments: fills pick[] with segment indices
 * (ascending) and returns their count, or 0 for no merge. pick has room for
 * n entries. */
size_t ls_policy_find_merge(const ls_policy *p, const ls_policy_seg *segs, size_t n,
                            size_t *pick);

/* The merge that brings the index down to at most max_segments segments
 * (and, for max_segments 1, reclaims deletions): the smallest segments.
 * Returns the count of picked segments, 0 if nothing is to be done. */
size_t ls_policy_forced_merge(const ls_policy_seg *segs, size_t n, int max_segments,
                              size_t *pick);

#endif
