/*
 * policy.c - the tiered merge policy (see policy.h).
 */
#include "policy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DELETES_PCT_ALLOWED 20.0

typedef struct ranked {
    size_t idx;
    double size;              /* live-scaled bytes */
    double floored;
} ranked;

static double live_size(const ls_policy_seg *s)
{
    if (s->passages == 0)
        return 0;
    return (double)s->bytes * (double)(s->passages - s->deleted) / (double)s->passages;
}

static int by_size_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_size_t(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

size_t ls_policy_find_merge(const ls_policy *p, const ls_policy_seg *segs, size_t n,
                            size_t *pick)
{
    if (n == 0)
        return 0;
    ranked *r = malloc(n * sizeof *r);
    if (!r)
        return 0;
    size_t m = 0;
    double total = 0, min_size = -1;
    for (size_t i = 0; i < n; i++) {
        double sz = live_size(&segs[i]);
        total += sz;
        /* a segment already over half the maximum is left alone (unless it
         * is mostly deletions, handled below) */
        if (sz > (double)p->max_merged_bytes / 2)
            continue;
        r[m].idx = i;
        r[m].size = sz;
        r[m].floored = sz < (double)p->floor_bytes ? (double)p->floor_bytes : sz;
        if (min_size < 0 || r[m].floored < min_size)
            min_size = r[m].floored;
        m++;
    }
    qsort(r, m, sizeof *r, by_size_desc);

    /* The number of segments the index may have. */
    double level = min_size > 0 ? min_size : (double)p->floor_bytes, left = total;
    double allowed = 0;
    for (;;) {
        double count = left / level;
        if (count < p->segments_per_tier || level <= 0) {
            allowed += ceil(count);
            break;
        }
        allowed += p->segments_per_tier;
        left -= p->segments_per_tier * level;
        level *= p->max_merge_at_once;
    }
    size_t count = 0;
    if ((double)m > allowed && m >= 2) {
        double best = INFINITY;
        size_t best_start = 0, best_len = 0;
        for (size_t start = 0; start + 1 < m; start++) {
            double sum = 0, sum_floored = 0, largest = 0, reclaim = 0;
            size_t len = 0;
            for (size_t k = start; k < m && len < (size_t)p->max_merge_at_once; k++) {
                if (sum + r[k].size > (double)p->max_merged_bytes)
                    continue;
                sum += r[k].size;
                sum_floored += r[k].floored;
                if (r[k].floored > largest)
                    largest = r[k].floored;
                const ls_policy_seg *s = &segs[r[k].idx];
                reclaim += (double)s->bytes - r[k].size;
                len++;
            }
            if (len < 2)
                continue;
            /* lower is better: skew, a mild preference for small merges,
             * and a bonus for reclaiming deletions */
            double skew = largest / sum_floored;
            double score = skew * pow(sum, 0.05) *
                           pow((sum + 1) / (sum + reclaim + 1), 2.0);
            if (score < best) {
                best = score;
                best_start = start;
                best_len = len;
            }
        }
        if (best_len >= 2) {
            double sum = 0;
            for (size_t k = best_start; k < m && count < best_len; k++) {
                if (sum + r[k].size > (double)p->max_merged_bytes)
                    continue;
                sum += r[k].size;
                pick[count++] = r[k].idx;
            }
        }
    }
    if (count == 0) {
        /* reclaim deletions: the segment with the most deleted passages,
         * if over the allowed share */
        double worst = DELETES_PCT_ALLOWED;
        for (size_t i = 0; i < n; i++) {
            if (!segs[i].passages)
                continue;
            double pct = 100.0 * segs[i].deleted / segs[i].passages;
            if (pct > worst) {
                worst = pct;
                pick[0] = i;
                count = 1;
            }
        }
    }
    free(r);
    qsort(pick, count, sizeof *pick, cmp_size_t);
    return count;
}

size_t ls_policy_forced_merge(const ls_policy_seg *segs, size_t n, int max_segments,
                              size_t *pick)
{
    if (max_segments < 1)
        max_segments = 1;
    if (n == 0)
        return 0;
    if (n <= (size_t)max_segments) {
        if (max_segments != 1)
            return 0;
        /* one segment: rewrite it only to reclaim deletions */
        if (segs[0].deleted == 0)
            return 0;
        pick[0] = 0;
        return 1;
    }
    ranked *r = malloc(n * sizeof *r);
    if (!r)
        return 0;
    for (size_t i = 0; i < n; i++) {
        r[i].idx = i;
        r[i].size = live_size(&segs[i]);
    }
    qsort(r, n, sizeof *r, by_size_desc);
    size_t count = n - (size_t)max_segments + 1;
    for (size_t k = 0; k < count; k++)
        pick[k] = r[n - 1 - k].idx;
    free(r);
    qsort(pick, count, sizeof *pick, cmp_size_t);
    return count;
}
