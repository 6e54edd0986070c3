/*
 * memo.h - a bounded memo table from short byte strings to short byte
 * strings, built for the hot path of analysis (the analyzer's token cache,
 * the stemmer's stem cache).
 *
 * A lookup probes one 8-byte slot (32 bits of hash and a record offset),
 * then reads one contiguous record: [key length: 1][value length: 2][key]
 * [value][NUL]. Keys up to 255 bytes and values up to 65535 bytes are
 * stored; longer ones are simply not remembered. When slots and records
 * exceed the byte budget the table is emptied, so memory stays bounded on
 * any input. Not thread-safe.
 */
#ifndef LS_MEMO_H
#define LS_MEMO_H

#include <stddef.h>
#include <stdint.h>

typedef struct ls_memo {
    uint64_t *slots;          /* (hash32 << 32) | (record offset + 1); 0 = empty */
    size_t mask;              /* slot count - 1 */
    size_t count;
    unsigned char *pool;      /* records */
    size_t pool_len, pool_cap;
    size_t max_bytes;
} ls_memo;

int ls_memo_init(ls_memo *m, size_t max_bytes);
void ls_memo_free(ls_memo *m);
void ls_memo_clear(ls_memo *m);

/* The value remembered for key (*value_len bytes, NUL-terminated), or NULL.
 * Valid until the next ls_memo_put() or ls_memo_clear(). */
const char *ls_memo_get(const ls_memo *m, const void *key, size_t klen, size_t *value_len);

/* The same in two steps, so that a caller with many keys at hand can hash
 * them all and prefetch their slots before the lookups: the table is large
 * and a lookup is otherwise two cache misses. */
uint64_t ls_memo_hash(const void *key, size_t klen);
/* The same, when 8 bytes from key are readable (up to end): faster for a
 * short key. */
uint64_t ls_memo_hash_in(const void *key, size_t klen, const void *end);
void ls_memo_prefetch(const ls_memo *m, uint64_t hash);
/* The second miss: the record the key's first slot points to (its slot
 * should have been prefetched a while before, or this waits for it). */
void ls_memo_prefetch_rec(const ls_memo *m, uint64_t hash);
const char *ls_memo_get_hashed(const ls_memo *m, const void *key, size_t klen, uint64_t hash,
                               size_t *value_len);

/* Remember key -> value (the key must not be present). Returns the stored
 * copy of the value, or NULL if it was not stored (too long, out of memory),
 * which is harmless: the memo only forgets. */
const char *ls_memo_put(ls_memo *m, const void *key, size_t klen,
                        const void *value, size_t value_len);

size_t ls_memo_bytes(const ls_memo *m);

#endif
