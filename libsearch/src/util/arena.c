/*
 * arena.c - chunked bump allocator (see arena.h).
 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ls_arena_chunk {
    ls_arena_chunk *prev;
    size_t used, cap;
    _Alignas(8) unsigned char data[];
};

void ls_arena_init(ls_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->bytes = 0;
}

void *ls_arena_alloc(ls_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    ls_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > a->chunk_size / 4 ? n : a->chunk_size;
        if (cap > SIZE_MAX - sizeof *c)
            return NULL;
        ls_arena_chunk *nc = malloc(sizeof *nc + cap);
        if (!nc)
            return NULL;
        nc->used = 0;
        nc->cap = cap;
        a->bytes += sizeof *nc + cap;
        if (c && cap != a->chunk_size) {
            /* An oversized block goes behind the current chunk, which keeps
             * serving small allocations. */
            nc->prev = c->prev;
            c->prev = nc;
            nc->used = n;
            return nc->data;
        }
        nc->prev = c;
        a->head = c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

char *ls_arena_strndup(ls_arena *a, const char *s, size_t n)
{
    char *p = ls_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void ls_arena_each(const ls_arena *a, void (*fn)(void *ctx, unsigned char *data, size_t used),
                   void *ctx)
{
    for (ls_arena_chunk *c = a->head; c; c = c->prev)
        fn(ctx, c->data, c->used);
}

void ls_arena_reset(ls_arena *a)
{
    ls_arena_chunk *c = a->head;
    while (c) {
        ls_arena_chunk *prev = c->prev;
        free(c);
        c = prev;
    }
    a->head = NULL;
    a->bytes = 0;
}
