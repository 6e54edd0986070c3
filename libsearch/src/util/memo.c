/*
 * memo.c - open-addressing memo table with records in one pool (memo.h).
 */
#include "memo.h"

#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "util/hash.h"

#define REC_HEAD 3

int ls_memo_init(ls_memo *m, size_t max_bytes)
{
    memset(m, 0, sizeof *m);
    m->max_bytes = max_bytes;
    m->mask = 4095;
    m->slots = ls_table_calloc(m->mask + 1, sizeof *m->slots);
    return m->slots ? 0 : -1;
}

void ls_memo_free(ls_memo *m)
{
    free(m->slots);
    free(m->pool);
    memset(m, 0, sizeof *m);
}

void ls_memo_clear(ls_memo *m)
{
    memset(m->slots, 0, (m->mask + 1) * sizeof *m->slots);
    m->count = 0;
    m->pool_len = 0;
}

size_t ls_memo_bytes(const ls_memo *m)
{
    return (m->mask + 1) * sizeof *m->slots + m->pool_cap;
}

static inline int same_bytes(const unsigned char *a, const unsigned char *b, size_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return 0;
        a += 8, b += 8, n -= 8;
    }
    while (n--)
        if (*a++ != *b++)
            return 0;
    return 1;
}

/* The record a non-empty slot points to (its low half: offset + 1). */
static inline const unsigned char *slot_rec(const ls_memo *m, uint64_t s)
{
    return m->pool + (uint32_t)s - 1;
}

static inline size_t rec_vlen(const unsigned char *r)
{
    return (size_t)r[1] | (size_t)r[2] << 8;
}

uint64_t ls_memo_hash(const void *key, size_t klen)
{
    return ls_hash_bytes(key, klen);
}

uint64_t ls_memo_hash_in(const void *key, size_t klen, const void *end)
{
    return ls_hash_bytes_in(key, klen, end);
}

void ls_memo_prefetch(const ls_memo *m, uint64_t h)
{
    __builtin_prefetch(&m->slots[h & m->mask]);
}

void ls_memo_prefetch_rec(const ls_memo *m, uint64_t h)
{
    /* its slot or one of the 7 after it (about a cache line: loaded with
     * it, mostly); nothing if it is further */
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = h & m->mask, last = i | 7;; i++) {
        uint64_t s = m->slots[i];
        if (!s)
            return;
        if ((uint32_t)(s >> 32) == tag) {
            __builtin_prefetch(slot_rec(m, s));
            return;
        }
        if (i == last)
            return;
    }
}

const char *ls_memo_get(const ls_memo *m, const void *key, size_t klen, size_t *value_len)
{
    return ls_memo_get_hashed(m, key, klen, ls_hash_bytes(key, klen), value_len);
}

const char *ls_memo_get_hashed(const ls_memo *m, const void *key, size_t klen, uint64_t h,
                               size_t *value_len)
{
    if (klen > 255)
        return NULL;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        uint64_t s = m->slots[i];
        if (!s)
            return NULL;
        if ((uint32_t)(s >> 32) != tag)
            continue;
        const unsigned char *r = slot_rec(m, s);
        if (r[0] == klen && same_bytes(r + REC_HEAD, key, klen)) {
            *value_len = rec_vlen(r);
            return (const char *)r + REC_HEAD + klen;
        }
    }
}

static int grow_slots(ls_memo *m)
{
    size_t ncap = (m->mask + 1) * 2;
    uint64_t *ns = ls_table_calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i <= m->mask; i++) {
        uint64_t s = m->slots[i];
        if (!s)
            continue;
        const unsigned char *r = slot_rec(m, s);
        size_t j = ls_hash_bytes(r + REC_HEAD, r[0]) & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = s;
    }
    free(m->slots);
    m->slots = ns;
    m->mask = ncap - 1;
    return 0;
}

const char *ls_memo_put(ls_memo *m, const void *key, size_t klen,
                        const void *value, size_t value_len)
{
    if (klen > 255 || value_len > 65535)
        return NULL;
    size_t need = REC_HEAD + klen + value_len + 1;
    /* Make room within the budget; if there is none, forget everything
     * and try once more. */
    for (int attempt = 0;; attempt++) {
        size_t slot_bytes = (m->mask + 1) * sizeof *m->slots;
        int room = 1;
        if ((m->count + 1) * 2 > m->mask + 1) {
            if (2 * slot_bytes + m->pool_cap > m->max_bytes)
                room = 0;
            else if (grow_slots(m) != 0)
                return NULL;
            slot_bytes = (m->mask + 1) * sizeof *m->slots;
        }
        if (room && m->pool_len + need > m->pool_cap) {
            size_t ncap = m->pool_cap ? m->pool_cap * 2 : 1 << 16;
            while (ncap < m->pool_len + need)
                ncap *= 2;
            if (ncap > m->max_bytes - slot_bytes)
                ncap = m->max_bytes > slot_bytes ? m->max_bytes - slot_bytes : 0;
            if (ncap > UINT32_MAX)
                ncap = UINT32_MAX;
            if (ncap < m->pool_len + need) {
                room = 0;
            } else {
                unsigned char *np = realloc(m->pool, ncap);
                if (!np)
                    return NULL;
                m->pool = np;
                m->pool_cap = ncap;
            }
        }
        if (room)
            break;
        if (attempt == 1)
            return NULL;
        ls_memo_clear(m);
    }
    unsigned char *r = m->pool + m->pool_len;
    r[0] = (unsigned char)klen;
    r[1] = (unsigned char)(value_len & 0xFF);
    r[2] = (unsigned char)(value_len >> 8);
    memcpy(r + REC_HEAD, key, klen);
    memcpy(r + REC_HEAD + klen, value, value_len);
    r[REC_HEAD + klen + value_len] = '\0';
    uint64_t h = ls_hash_bytes(key, klen);
    size_t i = h & m->mask;
    while (m->slots[i])
        i = (i + 1) & m->mask;
    m->slots[i] = (h >> 32 << 32) | (uint64_t)(m->pool_len + 1);
    m->pool_len += need;
    m->count++;
    return (const char *)r + REC_HEAD + klen;
}
