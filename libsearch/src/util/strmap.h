/*
 * strmap.h - an open-addressing hash map from byte strings to a pointer.
 *
 * Keys are copied into the map's arena; the caller owns what the values
 * point to (often memory of the same arena). Lookups compare the stored
 * hash first, then the bytes. Not thread-safe.
 */
#ifndef LS_STRMAP_H
#define LS_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef struct ls_strmap_slot {
    const char *key;          /* NULL: empty slot; else NUL-terminated copy */
    uint32_t klen;
    uint32_t hash;            /* low 32 bits of the key's hash */
    void *value;
} ls_strmap_slot;

typedef struct ls_strmap {
    ls_strmap_slot *slots;
    size_t mask;              /* capacity - 1 (capacity a power of two) */
    size_t count;
    ls_arena arena;           /* key copies */
} ls_strmap;

int ls_strmap_init(ls_strmap *m, size_t initial_capacity);
void ls_strmap_free(ls_strmap *m);
/* Remove every entry and free the keys; keeps the slot array. */
void ls_strmap_clear(ls_strmap *m);

/* The slot of key, or NULL if absent. */
ls_strmap_slot *ls_strmap_find(const ls_strmap *m, const char *key, size_t klen);

/* The slot of key, inserting it (value NULL) if absent; *inserted tells
 * which. NULL on allocation failure (the map is unchanged). The returned
 * pointer is valid until the next insertion. */
ls_strmap_slot *ls_strmap_upsert(ls_strmap *m, const char *key, size_t klen, int *inserted);

/* Bytes held by the map (slot array and key copies). */
size_t ls_strmap_bytes(const ls_strmap *m);

#endif
