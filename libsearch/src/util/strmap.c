/*
 * strmap.c - open-addressing (linear probing) string map, see strmap.h.
 * Grows at 50% load so that probes stay short for the hot lookups of the
 * analyzer's stem cache and the indexer's term table.
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"

int ls_strmap_init(ls_strmap *m, size_t cap)
{
    size_t c = 16;
    while (c < cap)
        c <<= 1;
    m->slots = calloc(c, sizeof *m->slots);
    if (!m->slots)
        return -1;
    m->mask = c - 1;
    m->count = 0;
    ls_arena_init(&m->arena, 64 * 1024);
    return 0;
}

void ls_strmap_free(ls_strmap *m)
{
    free(m->slots);
    m->slots = NULL;
    ls_arena_free(&m->arena);
    m->count = 0;
}

void ls_strmap_clear(ls_strmap *m)
{
    memset(m->slots, 0, (m->mask + 1) * sizeof *m->slots);
    ls_arena_reset(&m->arena);
    m->count = 0;
}

ls_strmap_slot *ls_strmap_find(const ls_strmap *m, const char *key, size_t klen)
{
    uint32_t h = (uint32_t)ls_hash_bytes(key, klen);
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        ls_strmap_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
            return s;
    }
}

static int grow(ls_strmap *m)
{
    size_t ncap = (m->mask + 1) * 2;
    ls_strmap_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i <= m->mask; i++) {
        ls_strmap_slot *s = &m->slots[i];
        if (!s->key)
            continue;
        size_t j = s->hash & (ncap - 1);
        while (ns[j].key)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->mask = ncap - 1;
    return 0;
}

ls_strmap_slot *ls_strmap_upsert(ls_strmap *m, const char *key, size_t klen, int *inserted)
{
    uint32_t h = (uint32_t)ls_hash_bytes(key, klen);
    size_t i;
    for (i = h & m->mask; m->slots[i].key; i = (i + 1) & m->mask) {
        ls_strmap_slot *s = &m->slots[i];
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0) {
            *inserted = 0;
            return s;
        }
    }
    if ((m->count + 1) * 2 > m->mask + 1) {
        if (grow(m) != 0)
            return NULL;
        for (i = h & m->mask; m->slots[i].key; i = (i + 1) & m->mask)
            ;
    }
    char *k = ls_arena_strndup(&m->arena, key, klen);
    if (!k)
        return NULL;
    ls_strmap_slot *s = &m->slots[i];
    s->key = k;
    s->klen = (uint32_t)klen;
    s->hash = h;
    s->value = NULL;
    m->count++;
    *inserted = 1;
    return s;
}

size_t ls_strmap_bytes(const ls_strmap *m)
{
    return (m->mask + 1) * sizeof *m->slots + ls_arena_bytes(&m->arena);
}
