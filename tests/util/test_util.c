/*
 * test_util.c - arena and string map, the latter against a brute-force
 * reference (a plain array searched linearly).
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/memo.h"
#include "util/strmap.h"

static void test_util_arena__alignment_and_large(void)
{
    ls_arena a;
    ls_arena_init(&a, 1024);
    for (int i = 0; i < 1000; i++) {
        size_t n = (size_t)(i % 37) + 1;
        unsigned char *p = ls_arena_alloc(&a, n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_EQUAL((uintptr_t)p % 8, 0);
        memset(p, 0xAB, n);
    }
    char *big = ls_arena_alloc(&a, 100000);   /* larger than a chunk */
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(big, 1, 100000);
    char *s = ls_arena_strndup(&a, "abcdef", 3);
    CU_ASSERT_STRING_EQUAL(s, "abc");
    CU_ASSERT(ls_arena_bytes(&a) >= 100000);
    ls_arena_reset(&a);
    CU_ASSERT_EQUAL(ls_arena_bytes(&a), 0);
    CU_ASSERT_PTR_NOT_NULL(ls_arena_alloc(&a, 10));   /* usable again */
    ls_arena_free(&a);
}

/* Objects that record their own size (first byte) are all found again by
 * walking the chunks, oversized ones included. */
typedef struct walk {
    unsigned long count, sum;
    int bad;
} walk;

static void walk_chunk(void *ctx, unsigned char *data, size_t used)
{
    walk *w = ctx;
    for (size_t o = 0; o < used; o += ((size_t)data[o] * 16 + 7) & ~(size_t)7) {
        size_t n = (size_t)data[o] * 16;
        if (n == 0 || o + n > used || data[o + n - 1] != (unsigned char)(n / 16 + 1)) {
            w->bad = 1;
            return;
        }
        w->count++;
        w->sum += n;
    }
}

static void test_util_arena__each_walks_every_object(void)
{
    ls_arena a;
    ls_arena_init(&a, 1024);
    unsigned long count = 0, sum = 0;
    for (int i = 0; i < 3000; i++) {
        size_t n = (size_t)(1 + (i * 7) % 13) * 16;
        if (i == 1500)
            n = 255 * 16;   /* more than a quarter of a chunk: a block of its own */
        unsigned char *p = ls_arena_alloc(&a, n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        p[0] = (unsigned char)(n / 16);
        p[n - 1] = (unsigned char)(n / 16 + 1);
        count++;
        sum += n;
    }
    walk w = {0, 0, 0};
    ls_arena_each(&a, walk_chunk, &w);
    CU_ASSERT_FALSE(w.bad);
    CU_ASSERT_EQUAL(w.count, count);
    CU_ASSERT_EQUAL(w.sum, sum);
    ls_arena_free(&a);
}

static void test_util_strmap__random_against_reference(void)
{
    enum { N = 20000 };
    unsigned long long st = test_seed();
    ls_strmap m;
    CU_ASSERT_EQUAL_FATAL(ls_strmap_init(&m, 4), 0);
    char (*ref)[12] = calloc(N, sizeof *ref);
    size_t *refval = calloc(N, sizeof *refval);
    size_t nref = 0;
    for (int i = 0; i < N; i++) {
        char key[12];
        int klen = 1 + (int)(test_rand(&st) % 4);
        for (int k = 0; k < klen; k++)
            key[k] = (char)('a' + test_rand(&st) % 6);   /* many repeats */
        key[klen] = '\0';
        size_t j;
        for (j = 0; j < nref; j++)
            if (strcmp(ref[j], key) == 0)
                break;
        int inserted;
        ls_strmap_slot *s = ls_strmap_upsert(&m, key, (size_t)klen, &inserted);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_EQUAL(inserted, j == nref);
        if (j == nref) {
            strcpy(ref[nref], key);
            refval[nref] = 0;
            nref++;
        }
        refval[j]++;
        s->value = (void *)refval[j];
    }
    CU_ASSERT_EQUAL(m.count, nref);
    for (size_t j = 0; j < nref; j++) {
        ls_strmap_slot *s = ls_strmap_find(&m, ref[j], strlen(ref[j]));
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_EQUAL((size_t)s->value, refval[j]);
    }
    CU_ASSERT_PTR_NULL(ls_strmap_find(&m, "zzzzz", 5));
    CU_ASSERT_PTR_NULL(ls_strmap_find(&m, "", 0));
    ls_strmap_clear(&m);
    CU_ASSERT_EQUAL(m.count, 0);
    CU_ASSERT_PTR_NULL(ls_strmap_find(&m, ref[0], strlen(ref[0])));
    ls_strmap_free(&m);
    free(ref);
    free(refval);
}

static void test_util_strmap__binary_keys(void)
{
    ls_strmap m;
    CU_ASSERT_EQUAL_FATAL(ls_strmap_init(&m, 0), 0);
    int ins;
    ls_strmap_slot *a = ls_strmap_upsert(&m, "a\0b", 3, &ins);
    CU_ASSERT(ins);
    a->value = (void *)1;
    ls_strmap_slot *b = ls_strmap_upsert(&m, "a\0c", 3, &ins);
    CU_ASSERT(ins);
    b->value = (void *)2;
    CU_ASSERT_EQUAL((size_t)ls_strmap_find(&m, "a\0b", 3)->value, 1);
    CU_ASSERT_EQUAL((size_t)ls_strmap_find(&m, "a\0c", 3)->value, 2);
    CU_ASSERT_PTR_NULL(ls_strmap_find(&m, "a", 1));
    ls_strmap_free(&m);
}

static void test_util_error__messages(void)
{
    ls_err e;
    ls_err_clear(&e);
    CU_ASSERT_EQUAL(ls_err_set(&e, SRCH_ECORRUPT, "segment %d: bad checksum", 3), SRCH_ECORRUPT);
    CU_ASSERT_STRING_EQUAL(e.msg, "segment 3: bad checksum");
    CU_ASSERT_STRING_EQUAL(srch_errmsg(), "segment 3: bad checksum");
    CU_ASSERT_EQUAL(ls_err_from_errno(28 /* ENOSPC */), SRCH_ENOSPC);
    for (int c = 0; c >= -20; c--)
        CU_ASSERT_PTR_NOT_NULL(srch_strerror(c));
    CU_ASSERT_STRING_EQUAL(srch_strerror(SRCH_ELOCKED), "index is locked by another writer");
    CU_ASSERT_STRING_EQUAL(srch_strerror(12345), "unknown error code");
    CU_ASSERT_STRING_EQUAL(srch_version(), SRCH_VERSION_STRING);
    CU_ASSERT_EQUAL(srch_version_number(), SRCH_VERSION_NUMBER);
}

static void test_util_memo__random_against_reference(void)
{
    enum { N = 5000 };
    unsigned long long st = test_seed();
    ls_memo m;
    CU_ASSERT_EQUAL_FATAL(ls_memo_init(&m, 1 << 24), 0);
    char (*keys)[16] = calloc(N, sizeof *keys);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "k%llx", test_rand(&st));
        size_t vlen;
        if (ls_memo_get(&m, keys[i], strlen(keys[i]), &vlen))
            continue;   /* a repeated random key */
        char v[40];
        int n = snprintf(v, sizeof v, "value-of-%s", keys[i]);
        const char *kept = ls_memo_put(&m, keys[i], strlen(keys[i]), v, (size_t)n);
        CU_ASSERT_PTR_NOT_NULL(kept);
        CU_ASSERT_STRING_EQUAL(kept, v);
    }
    for (int i = 0; i < N; i++) {
        size_t vlen;
        uint64_t h = ls_memo_hash(keys[i], strlen(keys[i]));
        ls_memo_prefetch(&m, h);
        const char *v = ls_memo_get_hashed(&m, keys[i], strlen(keys[i]), h, &vlen);
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        CU_ASSERT_EQUAL(vlen, strlen(v));
        CU_ASSERT_STRING_EQUAL(v + 9, keys[i]);
    }
    size_t vlen;
    CU_ASSERT_PTR_NULL(ls_memo_get(&m, "absent", 6, &vlen));
    /* keys over 255 bytes are never stored */
    char big[300];
    memset(big, 'x', sizeof big);
    CU_ASSERT_PTR_NULL(ls_memo_put(&m, big, sizeof big, "v", 1));
    CU_ASSERT_PTR_NULL(ls_memo_get(&m, big, sizeof big, &vlen));
    ls_memo_free(&m);
    free(keys);
}

static void test_util_memo__bounded_by_budget(void)
{
    ls_memo m;
    size_t budget = 256 * 1024;
    CU_ASSERT_EQUAL_FATAL(ls_memo_init(&m, budget), 0);
    char key[32];
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(key, sizeof key, "word%d", i);
        ls_memo_put(&m, key, (size_t)n, key, (size_t)n);
        CU_ASSERT(ls_memo_bytes(&m) <= budget);
    }
    /* the most recent key is still there after the table was emptied */
    size_t vlen;
    CU_ASSERT_PTR_NOT_NULL(ls_memo_get(&m, key, strlen(key), &vlen));
    CU_ASSERT(m.count < 200000);
    ls_memo_free(&m);
}

/* The one-load hash of short strings is the hash itself, at every length
 * and wherever the string ends in its buffer. */
static void test_util_hash__short_read_same_value(void)
{
    unsigned long long st = test_seed();
    unsigned char buf[64];
    for (int rep = 0; rep < 2000; rep++) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = (unsigned char)test_rand(&st);
        size_t n = (size_t)(test_rand(&st) % 20);
        size_t at = (size_t)(test_rand(&st) % (sizeof buf - n + 1));
        const unsigned char *end = buf + at + n + (size_t)(test_rand(&st) % 10);
        if (end > buf + sizeof buf)
            end = buf + sizeof buf;
        CU_ASSERT_EQUAL(ls_hash_bytes_in(buf + at, n, end), ls_hash_bytes(buf + at, n));
        CU_ASSERT_EQUAL(ls_memo_hash_in(buf + at, n, end), ls_memo_hash(buf + at, n));
    }
    /* the bytes after the string do not count */
    unsigned char a[16] = "abc\x01\x02\x03\x04\x05", b[16] = "abc\xff\xfe\xfd\xfc\xfb";
    CU_ASSERT_EQUAL(ls_hash_bytes_in(a, 3, a + 16), ls_hash_bytes_in(b, 3, b + 16));
    CU_ASSERT_NOT_EQUAL(ls_hash_bytes_in(a, 4, a + 16), ls_hash_bytes_in(b, 4, b + 16));
}

static const ls_test tests[] = {
    {"test_util_hash__short_read_same_value", test_util_hash__short_read_same_value},
    {"test_util_memo__random_against_reference", test_util_memo__random_against_reference},
    {"test_util_memo__bounded_by_budget", test_util_memo__bounded_by_budget},
    {"test_util_arena__alignment_and_large", test_util_arena__alignment_and_large},
    {"test_util_arena__each_walks_every_object", test_util_arena__each_walks_every_object},
    {"test_util_strmap__random_against_reference", test_util_strmap__random_against_reference},
    {"test_util_strmap__binary_keys", test_util_strmap__binary_keys},
    {"test_util_error__messages", test_util_error__messages},
    {NULL, NULL},
};

void suite_util(void)
{
    test_register_suite("util", NULL, NULL, tests);
}
