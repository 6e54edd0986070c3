/*
 * arena.h - a bump allocator: many small allocations, freed all at once.
 *
 * Used wherever objects share one lifetime (the stem cache, a segment being
 * built in memory). Allocations are 8-byte aligned; ls_arena_alloc() returns
 * NULL only when malloc fails.
 */
#ifndef LS_ARENA_H
#define LS_ARENA_H

#include <stddef.h>

typedef struct ls_arena_chunk ls_arena_chunk;

typedef struct ls_arena {
    ls_arena_chunk *head;     /* current chunk, linked to older ones */
    size_t chunk_size;        /* size of a normal chunk */
    size_t bytes;             /* total bytes obtained from malloc */
} ls_arena;

void ls_arena_init(ls_arena *a, size_t chunk_size);
void *ls_arena_alloc(ls_arena *a, size_t n);
/* Copy n bytes and add a NUL terminator. */
char *ls_arena_strndup(ls_arena *a, const char *s, size_t n);
/* Call fn with each chunk's allocations, data[0, used) (newest chunk
 * first; within a chunk, in allocation order, each rounded up to 8 bytes),
 * for callers that can tell their objects' sizes from their contents. */
void ls_arena_each(const ls_arena *a, void (*fn)(void *ctx, unsigned char *data, size_t used),
                   void *ctx);
/* Free every chunk; the arena may be used again. */
void ls_arena_reset(ls_arena *a);
#define ls_arena_free ls_arena_reset
static inline size_t ls_arena_bytes(const ls_arena *a) { return a->bytes; }

#endif
