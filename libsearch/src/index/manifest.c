/*
 * manifest.c - reading and atomically writing commit records (manifest.h).
 */
#include "manifest.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/varint.h"

#define SEG_RECORD 116   /* bytes per segment record */

void ls_manifest_name(char *buf, size_t cap, uint64_t generation)
{
    snprintf(buf, cap, LS_MANIFEST_PREFIX "%016" PRIx64, generation);
}

uint64_t ls_manifest_parse_name(const char *name)
{
    size_t pl = strlen(LS_MANIFEST_PREFIX);
    if (strncmp(name, LS_MANIFEST_PREFIX, pl) != 0 || strlen(name) != pl + 16)
        return 0;
    uint64_t g = 0;
    for (const char *p = name + pl; *p; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0)
            return 0;
        g = g << 4 | (uint64_t)d;
    }
    return g;
}

void ls_manifest_free(ls_manifest *m)
{
    free(m->segs);
    memset(m, 0, sizeof *m);
}

int ls_manifest_copy(ls_manifest *dst, const ls_manifest *src)
{
    *dst = *src;
    dst->segs = NULL;
    if (src->nsegs) {
        dst->segs = malloc(src->nsegs * sizeof *dst->segs);
        if (!dst->segs)
            return SRCH_ENOMEM;
        memcpy(dst->segs, src->segs, src->nsegs * sizeof *dst->segs);
    }
    return SRCH_OK;
}

int ls_manifest_read(ls_manifest *m, const char *dir, uint64_t generation, ls_err *err)
{
    char name[64], path[PATH_MAX];
    memset(m, 0, sizeof *m);
    ls_manifest_name(name, sizeof name, generation);
    ls_map map;
    int rc = ls_map_open(&map, ls_path(path, dir, name), name, LS_MAGIC_MANIFEST, generation,
                         LS_MAP_VERIFY, err);
    if (rc != SRCH_OK)
        return rc;
    const unsigned char *p = map.body, *end = map.body + map.body_len;
    if (map.body_len < 17)
        goto corrupt;
    m->generation = ls_get_u64(p);
    m->next_segment = ls_get_u64(p + 8);
    size_t ll = p[16];
    p += 17;
    if (ll >= sizeof m->language || (size_t)(end - p) < ll + 8)
        goto corrupt;
    memcpy(m->language, p, ll);
    m->language[ll] = '\0';
    p += ll;
    m->max_passage_bytes = ls_get_u32(p);
    m->nsegs = ls_get_u32(p + 4);
    p += 8;
    if (m->generation != generation || (size_t)(end - p) != m->nsegs * SEG_RECORD)
        goto corrupt;
    m->segs = calloc(m->nsegs ? m->nsegs : 1, sizeof *m->segs);
    if (!m->segs) {
        ls_map_close(&map);
        return ls_err_set(err, SRCH_ENOMEM, "out of memory reading %s", name);
    }
    for (size_t i = 0; i < m->nsegs; i++, p += SEG_RECORD) {
        ls_segment_meta *s = &m->segs[i];
        s->id = ls_get_u64(p);
        s->npassages = ls_get_u32(p + 8);
        s->ndocs = ls_get_u32(p + 12);
        s->ndeleted = ls_get_u32(p + 16);
        s->ndeleted_docs = ls_get_u32(p + 20);
        s->del_gen = ls_get_u64(p + 24);
        s->nterms = ls_get_u64(p + 32);
        s->sum_len[0] = ls_get_u64(p + 40);
        s->sum_len[1] = ls_get_u64(p + 48);
        for (int k = 0; k < LS_SEGMENT_FILES; k++)
            s->sizes[k] = ls_get_u64(p + 56 + 8 * k);
        s->del_size = ls_get_u64(p + 96);
        s->pairs = ls_get_u32(p + 104);
        /* p + 108: reserved (8 bytes, zero) */
        if (s->id >= m->next_segment || s->ndeleted > s->npassages || s->ndocs > s->npassages ||
            s->ndeleted_docs > s->ndocs || s->npassages > LS_MAX_PASSAGES_PER_SEGMENT ||
            s->del_gen > generation || (s->del_gen == 0) != (s->ndeleted == 0))
            goto corrupt;
        for (size_t j = 0; j < i; j++)
            if (m->segs[j].id == s->id)
                goto corrupt;
    }
    m->size = map.size;
    ls_map_close(&map);
    return SRCH_OK;
corrupt:
    ls_map_close(&map);
    ls_manifest_free(m);
    return ls_err_set(err, SRCH_ECORRUPT, "%s: malformed", name);
}

int ls_manifest_read_latest(ls_manifest *m, const char *dir, ls_err *err)
{
    char **names;
    size_t n;
    memset(m, 0, sizeof *m);
    int rc = ls_list_dir(dir, &names, &n, err);
    if (rc != SRCH_OK)
        return rc;
    uint64_t best = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t g = ls_manifest_parse_name(names[i]);
        if (g > best)
            best = g;
    }
    ls_free_names(names, n);
    if (best == 0)
        return ls_err_set(err, SRCH_ENOTFOUND, "%s: no index here (no manifest)", dir);
    return ls_manifest_read(m, dir, best, err);
}

int ls_manifest_write(ls_manifest *m, const char *dir, int durable, int *in_place, ls_err *err)
{
    *in_place = 0;
    char name[64], tmp[80], path[PATH_MAX];
    ls_manifest_name(name, sizeof name, m->generation);
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    ls_wfile w;
    int rc = ls_wfile_open(&w, ls_path(path, dir, tmp), LS_MAGIC_MANIFEST, m->generation,
                           durable, err);
    if (rc != SRCH_OK) {
        ls_wfile_abort(&w);
        return rc;
    }
    size_t ll = strlen(m->language);
    ls_wfile_u64(&w, m->generation);
    ls_wfile_u64(&w, m->next_segment);
    unsigned char l = (unsigned char)ll;
    ls_wfile_write(&w, &l, 1);
    ls_wfile_write(&w, m->language, ll);
    ls_wfile_u32(&w, m->max_passage_bytes);
    ls_wfile_u32(&w, (uint32_t)m->nsegs);
    for (size_t i = 0; i < m->nsegs; i++) {
        const ls_segment_meta *s = &m->segs[i];
        unsigned char r[SEG_RECORD] = {0};
        ls_put_u64(r, s->id);
        ls_put_u32(r + 8, s->npassages);
        ls_put_u32(r + 12, s->ndocs);
        ls_put_u32(r + 16, s->ndeleted);
        ls_put_u32(r + 20, s->ndeleted_docs);
        ls_put_u64(r + 24, s->del_gen);
        ls_put_u64(r + 32, s->nterms);
        ls_put_u64(r + 40, s->sum_len[0]);
        ls_put_u64(r + 48, s->sum_len[1]);
        for (int k = 0; k < LS_SEGMENT_FILES; k++)
            ls_put_u64(r + 56 + 8 * k, s->sizes[k]);
        ls_put_u64(r + 96, s->del_size);
        ls_put_u32(r + 104, s->pairs);
        ls_wfile_write(&w, r, sizeof r);
    }
    rc = ls_wfile_finish(&w, &m->size);
    if (rc != SRCH_OK)
        return rc;
    rc = ls_rename(dir, tmp, name, 0, err);
    if (rc != SRCH_OK) {
        remove(ls_path(path, dir, tmp));
        return rc;
    }
    *in_place = 1;   /* the commit point is passed */
    return durable ? ls_fsync_dir(dir, err) : SRCH_OK;
}
