/*
 * test_codecs.c - round trips of every codec, randomized and at the edges:
 * varints, CRC-32C, bit-packing, postings (with positions, skip data and
 * block bounds, seek), the term dictionary (lookup, prefix iteration), the
 * store; and the framing of files (magic, version, checksum).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "index/format.h"
#include "index/postings.h"
#include "index/store.h"
#include "index/termdict.h"
#include "test.h"
#include "util/bitpack.h"
#include "util/crc32c.h"
#include "util/file.h"
#include "util/varint.h"

static char tmpdir[PATH_MAX];

static int init(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ls-codecs-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int clean(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name)
{
    static char buf[PATH_MAX];
    return ls_path(buf, tmpdir, name);
}

static void test_codecs_varint__round_trip_and_malformed(void)
{
    unsigned long long st = test_seed();
    unsigned char buf[LS_VARINT_MAX * 1000];
    uint64_t vals[1000];
    unsigned char *p = buf;
    for (int i = 0; i < 1000; i++) {
        int bits = (int)(test_rand(&st) % 65);
        vals[i] = bits == 64 ? test_rand(&st) : test_rand(&st) & ((1ull << bits) - 1);
        if (i < 4)
            vals[i] = i == 0 ? 0 : i == 1 ? 127 : i == 2 ? 128 : UINT64_MAX;
        unsigned char *q = ls_put_varint(p, vals[i]);
        CU_ASSERT_EQUAL((size_t)(q - p), ls_varint_len(vals[i]));
        p = q;
    }
    const unsigned char *r = buf;
    for (int i = 0; i < 1000; i++) {
        uint64_t v;
        r = ls_get_varint(r, p, &v);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        CU_ASSERT_EQUAL(v, vals[i]);
    }
    CU_ASSERT_PTR_EQUAL(r, p);
    uint64_t v;
    unsigned char bad[11];
    memset(bad, 0xFF, sizeof bad);
    CU_ASSERT_PTR_NULL(ls_get_varint(bad, bad + 11, &v));   /* too long */
    CU_ASSERT_PTR_NULL(ls_get_varint(bad, bad + 3, &v));    /* truncated */
    CU_ASSERT_PTR_NULL(ls_get_varint(bad, bad, &v));        /* empty */
    uint32_t v32;
    unsigned char big[LS_VARINT_MAX];
    unsigned char *e = ls_put_varint(big, 1ull << 32);
    CU_ASSERT_PTR_NULL(ls_get_varint32(big, e, &v32));
}

static void test_codecs_crc32c__known_values_and_hw(void)
{
    /* RFC 3720 test vector: 32 bytes of zeros -> 0x8a9136aa */
    unsigned char zeros[32] = {0};
    CU_ASSERT_EQUAL(ls_crc32c(0, zeros, 32), 0x8a9136aa);
    CU_ASSERT_EQUAL(ls_crc32c(0, "123456789", 9), 0xe3069283);
    unsigned long long st = test_seed();
    unsigned char buf[4099];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)test_rand(&st);
    for (size_t off = 0; off < 9; off++)
        CU_ASSERT_EQUAL(ls_crc32c(0, buf + off, sizeof buf - off),
                        ls_crc32c_sw(0, buf + off, sizeof buf - off));
    /* incremental == whole */
    uint32_t c = ls_crc32c(0, buf, 1000);
    c = ls_crc32c(c, buf + 1000, sizeof buf - 1000);
    CU_ASSERT_EQUAL(c, ls_crc32c(0, buf, sizeof buf));
    /* the CRC of a concatenation from its parts' CRCs (cuts 0..70, then every 997 bytes, and the end) */
    for (size_t cut = 0; cut <= sizeof buf;
         cut = cut == sizeof buf ? cut + 1 : cut < 70 ? cut + 1 : cut + 997 > sizeof buf ? sizeof buf : cut + 997) {
        uint32_t a = ls_crc32c(0, buf, cut), b = ls_crc32c(0, buf + cut, sizeof buf - cut);
        CU_ASSERT_EQUAL(ls_crc32c_combine(a, b, sizeof buf - cut), ls_crc32c(0, buf, sizeof buf));
    }
    CU_ASSERT_EQUAL(ls_crc32c_combine(0x12345678, 0, 0), 0x12345678);
    /* long buffers (the interleaved streams of 3 x 8 KiB, with a tail of
     * every length class), at every alignment, from a nonzero CRC too */
    static unsigned char big[3 * 3 * 8192 + 77];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)test_rand(&st);
    size_t lens[] = {3 * 8192 - 1, 3 * 8192, 3 * 8192 + 5, 6 * 8192 + 8, sizeof big - 8};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++)
        for (size_t off = 0; off < 8; off++) {
            CU_ASSERT_EQUAL(ls_crc32c(0, big + off, lens[k]), ls_crc32c_sw(0, big + off, lens[k]));
            CU_ASSERT_EQUAL(ls_crc32c(0xdeadbeef, big + off, lens[k]),
                            ls_crc32c_sw(0xdeadbeef, big + off, lens[k]));
        }
}

static void test_codecs_bitpack__every_width(void)
{
    unsigned long long st = test_seed();
    uint32_t in[LS_BLOCK], out[LS_BLOCK];
    unsigned char packed[16 * 32 + 8];
    for (unsigned b = 0; b <= 32; b++) {
        for (int rep = 0; rep < 20; rep++) {
            for (int i = 0; i < LS_BLOCK; i++) {
                uint32_t mask = b == 32 ? UINT32_MAX : (1u << b) - 1;
                in[i] = (uint32_t)test_rand(&st) & mask;
                if (rep == 0)
                    in[i] = mask;   /* all bits set */
            }
            CU_ASSERT(ls_bits_needed(in, LS_BLOCK) <= b);
            memset(packed, 0xEE, sizeof packed);
            ls_pack128(in, b, packed);
            CU_ASSERT_EQUAL(packed[16 * b], 0xEE);   /* exactly 16 * b bytes */
            ls_unpack128(packed, b, out);
            CU_ASSERT_EQUAL(memcmp(in, out, sizeof in), 0);
            /* the running sums of the gaps (the vector kernel against
             * the definition), from -1 and from another start */
            if (b <= 24) {
                uint32_t start = rep & 1 ? UINT32_MAX : (uint32_t)test_rand(&st) % 1000000;
                uint32_t sum = start, want[LS_BLOCK];
                for (int i = 0; i < LS_BLOCK; i++)
                    want[i] = sum += in[i] + 1;
                CU_ASSERT_EQUAL(ls_prefix_sum128(out, start), want[LS_BLOCK - 1]);
                CU_ASSERT_EQUAL(memcmp(out, want, sizeof want), 0);
            }
        }
    }
}

/* A random postings list: n entries of ids below ndocs. */
typedef struct plist {
    uint32_t n;
    uint32_t *docs, *freqs, *lens;
    uint32_t **pos;
} plist;

static void plist_make(plist *l, unsigned long long *st, uint32_t n, uint32_t ndocs, int maxf)
{
    l->n = n;
    l->docs = calloc(n + 1, sizeof *l->docs);
    l->freqs = calloc(n + 1, sizeof *l->freqs);
    l->lens = calloc(n + 1, sizeof *l->lens);
    l->pos = calloc(n + 1, sizeof *l->pos);
    /* choose n distinct sorted ids in [0, ndocs) */
    uint32_t d = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t room = ndocs - d - (n - i);
        uint32_t gap = room ? (uint32_t)(test_rand(st) % (room / (n - i) * 2 + 1)) : 0;
        if (gap > room)
            gap = room;
        d += gap;
        l->docs[i] = d++;
        l->freqs[i] = 1 + (uint32_t)(test_rand(st) % 3 == 0 ? test_rand(st) % (uint32_t)maxf : 0);
        if (maxf > 3 && test_rand(st) % 200 == 0)   /* past what a bound's byte holds */
            l->freqs[i] = 250 + (uint32_t)(test_rand(st) % 100);
        /* lengths mostly below what a bound's byte holds, some far above */
        l->lens[i] = l->freqs[i] + (uint32_t)(test_rand(st) % 4 ? test_rand(st) % 60
                                                                : test_rand(st) % 70000);
        l->pos[i] = malloc(l->freqs[i] * sizeof(uint32_t));
        uint32_t p = (uint32_t)(test_rand(st) % 5);
        for (uint32_t k = 0; k < l->freqs[i]; k++) {
            l->pos[i][k] = p;
            p += 1 + (uint32_t)(test_rand(st) % 300);
        }
    }
}

static void plist_free(plist *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        free(l->pos[i]);
    free(l->docs);
    free(l->freqs);
    free(l->lens);
    free(l->pos);
}

/* A postings writer over new files docname and posname. */
static void pw_open(ls_postings_writer *w, ls_wfile *doc, ls_wfile *pos, const char *docname,
                    const char *posname)
{
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open(doc, tpath(docname), LS_MAGIC_POSTINGS, 7, 0, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open(pos, tpath(posname), LS_MAGIC_POSITIONS, 7, 0, NULL), 0);
    ls_pw_init(w, doc, pos);
}

/* Finish pw_open()'s files and map them (verified) into dm and pm. */
static void pw_close_map(ls_postings_writer *w, ls_wfile *doc, ls_wfile *pos,
                         const char *docname, const char *posname, ls_map *dm, ls_map *pm)
{
    ls_pw_free(w);
    CU_ASSERT_EQUAL_FATAL(ls_wfile_finish(doc, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ls_wfile_finish(pos, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ls_map_open(dm, tpath(docname), docname, LS_MAGIC_POSTINGS, 7, LS_MAP_VERIFY, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ls_map_open(pm, tpath(posname), posname, LS_MAGIC_POSITIONS, 7, LS_MAP_VERIFY, NULL), 0);
}

/* Write lists[0, nl) as terms of a postings file and a positions file
 * (owner 7), their infos into ti, and map the two files into dm and pm. */
static void write_lists(const plist *lists, int nl, ls_term_info *ti, const char *docname,
                        const char *posname, ls_map *dm, ls_map *pm)
{
    ls_wfile doc, pos;
    ls_postings_writer w;
    pw_open(&w, &doc, &pos, docname, posname);
    for (int l = 0; l < nl; l++) {
        ls_pw_begin(&w, 1);
        for (uint32_t i = 0; i < lists[l].n; i++)
            CU_ASSERT_EQUAL(ls_pw_add(&w, lists[l].docs[i], lists[l].freqs[i], lists[l].pos[i],
                                      lists[l].lens[i]), 0);
        CU_ASSERT_EQUAL(ls_pw_end(&w, &ti[l]), 0);
        CU_ASSERT_EQUAL(ti[l].df, lists[l].n);
    }
    pw_close_map(&w, &doc, &pos, docname, posname, dm, pm);
}

static void test_codecs_postings__random_round_trip(void)
{
    unsigned long long st = test_seed();
    static const uint32_t sizes[] = {1, 2, 3, 127, 128, 129, 255, 256, 257, 1000, 5000};
    enum { NL = sizeof sizes / sizeof sizes[0] };
    plist lists[NL];
    ls_term_info ti[NL];
    uint32_t ndocs = 200000;
    for (int l = 0; l < NL; l++)
        plist_make(&lists[l], &st, sizes[l], l == NL - 1 ? 5000 : ndocs, l % 2 ? 40 : 3);
    ls_map dm, pm;
    write_lists(lists, NL, ti, "p.doc", "p.pos", &dm, &pm);
    uint32_t got[100];
    for (int l = 0; l < NL; l++) {
        plist *L = &lists[l];
        ls_postings p;
        CU_ASSERT_EQUAL_FATAL(ls_postings_open(&p, &ti[l], &dm, &pm, ndocs, 1, NULL), 0);
        /* next() over everything, with positions of every other entry */
        uint32_t i = 0;
        for (uint32_t d = ls_postings_next(&p); d != LS_NO_DOC; d = ls_postings_next(&p), i++) {
            CU_ASSERT_EQUAL_FATAL(d, L->docs[i]);
            CU_ASSERT_EQUAL(ls_postings_freq(&p), L->freqs[i]);
            if (i % 2 == 0) {
                int n = ls_postings_positions(&p, got, 100);
                CU_ASSERT_EQUAL(n, (int)(L->freqs[i] < 100 ? L->freqs[i] : 100));
                CU_ASSERT_EQUAL(memcmp(got, L->pos[i], (size_t)n * 4), 0);
            }
        }
        CU_ASSERT_EQUAL(i, L->n);
        CU_ASSERT_FALSE(p.corrupt);
        /* seek() to random targets, checking the answer and the bounds */
        for (int rep = 0; rep < 20; rep++) {
            CU_ASSERT_EQUAL_FATAL(ls_postings_open(&p, &ti[l], &dm, &pm, ndocs, 1, NULL), 0);
            uint32_t target = 0;
            uint32_t j = 0;
            for (;;) {
                target += (uint32_t)(test_rand(&st) % 3000);
                while (j < L->n && L->docs[j] < target)
                    j++;
                uint32_t last;
                ls_block_bound bnd;
                int bb = ls_postings_block_bound(&p, target, &last, &bnd);
                uint32_t d = ls_postings_seek(&p, target);
                if (j == L->n) {
                    CU_ASSERT_EQUAL(d, LS_NO_DOC);
                    CU_ASSERT_EQUAL(bb, -1);
                    break;
                }
                CU_ASSERT_EQUAL_FATAL(d, L->docs[j]);
                CU_ASSERT_EQUAL(ls_postings_freq(&p), L->freqs[j]);
                CU_ASSERT_EQUAL(bb, 0);
                CU_ASSERT(last >= d);
                /* every entry up to `last` from d is within the bound */
                for (uint32_t k = j; k < L->n && L->docs[k] <= last; k++)
                    CU_ASSERT(ls_block_bound_covers(&bnd, L->freqs[k], L->n > 1 ? L->lens[k] : 0xFFFF));
                int n = ls_postings_positions(&p, got, 100);
                CU_ASSERT_EQUAL(memcmp(got, L->pos[j], (size_t)(n > 0 ? n : 0) * 4), 0);
                /* seeking backwards or to the current entry stays */
                CU_ASSERT_EQUAL(ls_postings_seek(&p, target > 5 ? target - 5 : 0), d);
            }
        }
        plist_free(L);
    }
    ls_map_close(&dm);
    ls_map_close(&pm);
}

/* Positions moved as stored bytes (what a merge does): a postings file
 * written through ls_pw_add_raw() from another's raw positions is the
 * same file, byte for byte; raw and decoded reads mix on one iterator. */
static void test_codecs_postings__raw_positions_copy(void)
{
    unsigned long long st = test_seed();
    static const uint32_t sizes[] = {1, 2, 127, 128, 129, 300, 2000};
    enum { NL = sizeof sizes / sizeof sizes[0] };
    plist lists[NL];
    ls_term_info ti[NL], ti2[NL];
    uint32_t ndocs = 100000;
    /* frequencies up to 400: more positions than a buffer's room */
    for (int l = 0; l < NL; l++)
        plist_make(&lists[l], &st, sizes[l], ndocs, l % 2 ? 400 : 3);
    ls_map dm, pm;
    write_lists(lists, NL, ti, "a.doc", "a.pos", &dm, &pm);
    ls_wfile doc, pos;
    ls_postings_writer w;
    pw_open(&w, &doc, &pos, "b.doc", "b.pos");
    uint32_t got[512];
    for (int l = 0; l < NL; l++) {
        plist *L = &lists[l];
        ls_postings p;
        CU_ASSERT_EQUAL_FATAL(ls_postings_open(&p, &ti[l], &dm, &pm, ndocs, 1, NULL), 0);
        ls_pw_begin(&w, 1);
        uint32_t i = 0;
        for (uint32_t d = ls_postings_next(&p); d != LS_NO_DOC; d = ls_postings_next(&p), i++) {
            CU_ASSERT_EQUAL_FATAL(d, L->docs[i]);
            int mode = (int)(test_rand(&st) % 4);
            if (mode == 1) {   /* decoded first: the raw read that follows starts there */
                int n = ls_postings_positions(&p, got, 512);
                CU_ASSERT_EQUAL(n, (int)L->freqs[i]);
                CU_ASSERT_EQUAL(memcmp(got, L->pos[i], (size_t)(n > 0 ? n : 0) * 4), 0);
            }
            const unsigned char *raw = NULL;
            size_t raw_len = 0;
            CU_ASSERT_EQUAL_FATAL(ls_postings_positions_raw(&p, &raw, &raw_len), 0);
            CU_ASSERT(raw_len >= L->freqs[i] && raw_len <= 5 * (size_t)L->freqs[i]);
            if (mode == 2) {   /* asked again: the same bytes, and decoded after */
                const unsigned char *again;
                size_t again_len;
                CU_ASSERT_EQUAL(ls_postings_positions_raw(&p, &again, &again_len), 0);
                CU_ASSERT(again == raw && again_len == raw_len);
                int n = ls_postings_positions(&p, got, 512);
                CU_ASSERT_EQUAL(n, (int)L->freqs[i]);
                CU_ASSERT_EQUAL(memcmp(got, L->pos[i], (size_t)(n > 0 ? n : 0) * 4), 0);
            }
            CU_ASSERT_EQUAL(ls_pw_add_raw(&w, d, ls_postings_freq(&p), raw, raw_len, L->lens[i]), 0);
        }
        CU_ASSERT_EQUAL(i, L->n);
        CU_ASSERT_FALSE(p.corrupt);
        CU_ASSERT_EQUAL(ls_pw_end(&w, &ti2[l]), 0);
        CU_ASSERT_EQUAL(ti2[l].doc_off, ti[l].doc_off);
        CU_ASSERT_EQUAL(ti2[l].pos_off, ti[l].pos_off);
        /* skipping entries: the raw read of a later one finds its bytes */
        CU_ASSERT_EQUAL_FATAL(ls_postings_open(&p, &ti[l], &dm, &pm, ndocs, 1, NULL), 0);
        for (uint32_t j = 0; j < L->n; j += 1 + (uint32_t)(test_rand(&st) % 200)) {
            CU_ASSERT_EQUAL_FATAL(ls_postings_seek(&p, L->docs[j]), L->docs[j]);
            const unsigned char *raw;
            size_t raw_len;
            CU_ASSERT_EQUAL_FATAL(ls_postings_positions_raw(&p, &raw, &raw_len), 0);
            uint32_t v = 0, k = 0;
            for (size_t b = 0, shift = 0; b < raw_len; b++) {   /* the first varint */
                v |= (uint32_t)(raw[b] & 0x7F) << shift;
                shift += 7;
                if (raw[b] < 0x80) {
                    k = 1;
                    break;
                }
            }
            CU_ASSERT(k == 1 && v == L->pos[j][0]);
        }
        plist_free(L);
    }
    ls_map dm2, pm2;
    pw_close_map(&w, &doc, &pos, "b.doc", "b.pos", &dm2, &pm2);
    CU_ASSERT_EQUAL(dm2.size, dm.size);
    CU_ASSERT_EQUAL(pm2.size, pm.size);
    CU_ASSERT(dm2.size == dm.size && memcmp(dm2.data, dm.data, dm.size) == 0);
    CU_ASSERT(pm2.size == pm.size && memcmp(pm2.data, pm.data, pm.size) == 0);
    ls_map_close(&dm);
    ls_map_close(&pm);
    ls_map_close(&dm2);
    ls_map_close(&pm2);
}

/* What a merge does where it cannot copy an input's blocks (the tails,
 * short lists): each block, and the tail, added whole (ls_pw_add_block(),
 * with the bound stored for it) while it fits in the pending block, then
 * entry by entry from there. The files are those made when every entry is
 * added one by one with its length, but for the blocks' bounds (made from
 * the bounds of the blocks added whole, not from their entries): the same
 * size, positions, entries, and every entry under its block's bound. */
static void test_codecs_postings__blocks_added_whole(void)
{
    unsigned long long st = test_seed();
    static const uint32_t sizes[] = {1, 2, 3, 50, 127, 128, 129, 200, 255, 256, 300, 700};
    enum { NL = sizeof sizes / sizeof sizes[0], NT = 60, NDOCS = 20000 };
    plist lists[NL];
    ls_term_info ti[NL];
    for (int l = 0; l < NL; l++)
        plist_make(&lists[l], &st, sizes[l], NDOCS, l % 2 ? 30 : 3);
    ls_map dm, pm;
    write_lists(lists, NL, ti, "e.doc", "e.pos", &dm, &pm);
    ls_wfile doc[2], pos[2];
    ls_postings_writer w[2];   /* 0: entry by entry; 1: blocks whole */
    pw_open(&w[0], &doc[0], &pos[0], "f.doc", "f.pos");
    pw_open(&w[1], &doc[1], &pos[1], "g.doc", "g.pos");
    int whole = 0, refused = 0;
    /* each term's entries: passage, frequency, length */
    uint32_t *ex[NT][3], nex[NT];
    ls_term_info tinfo[NT][2];
    for (int t = 0; t < NT; t++) {
        ls_pw_begin(&w[0], 1);
        ls_pw_begin(&w[1], 1);
        nex[t] = 0;
        for (int c = 0; c < 3; c++)
            ex[t][c] = malloc(5 * 700 * sizeof(uint32_t));
        int nsrc = 1 + (int)(test_rand(&st) % 5);
        uint32_t base = 0;
        for (int k = 0; k < nsrc; k++, base += NDOCS) {
            int l = (int)(test_rand(&st) % NL);
            const plist *L = &lists[l];
            for (uint32_t i = 0; i < L->n; i++) {
                CU_ASSERT_EQUAL(ls_pw_add(&w[0], L->docs[i] + base, L->freqs[i], L->pos[i],
                                          L->lens[i]), 0);
                ex[t][0][nex[t]] = L->docs[i] + base;
                ex[t][1][nex[t]] = L->freqs[i];
                ex[t][2][nex[t]++] = L->lens[i];
            }
            ls_postings p;
            CU_ASSERT_EQUAL_FATAL(ls_postings_open(&p, &ti[l], &dm, &pm, NDOCS, 1, NULL), 0);
            uint32_t i = 0;
            for (uint32_t b = 0; p.df >= 2 && (b < p.nfull || (b == p.nfull && p.ntail)); b++) {
                CU_ASSERT_EQUAL_FATAL(ls_postings_to_block(&p, b), 0);
                const unsigned char *raw;
                size_t raw_len;
                ls_block_bound bound;
                CU_ASSERT_EQUAL_FATAL(ls_postings_block_raw(&p, &raw, &raw_len, &bound), 0);
                if (w[1].n + p.n > LS_BLOCK) {   /* refused; from its first entry on */
                    CU_ASSERT_EQUAL(ls_pw_add_block(&w[1], &p, base, raw, raw_len, &bound),
                                    SRCH_EINVAL);
                    refused++;
                    break;
                }
                CU_ASSERT_EQUAL(ls_pw_add_block(&w[1], &p, base, raw, raw_len, &bound), 0);
                i += (uint32_t)p.n;
                whole++;
            }
            for (; i < L->n; i++) {   /* next() goes on from the block refused */
                uint32_t d = ls_postings_next(&p);
                CU_ASSERT_EQUAL_FATAL(d, L->docs[i]);
                const unsigned char *raw;
                size_t raw_len;
                CU_ASSERT_EQUAL_FATAL(ls_postings_positions_raw(&p, &raw, &raw_len), 0);
                CU_ASSERT_EQUAL(ls_pw_add_raw(&w[1], d + base, ls_postings_freq(&p), raw, raw_len,
                                              L->lens[i]), 0);
            }
            CU_ASSERT_FALSE(p.corrupt);
        }
        ls_term_info *a = &tinfo[t][0], *b = &tinfo[t][1];
        CU_ASSERT_EQUAL(ls_pw_end(&w[0], a), 0);
        CU_ASSERT_EQUAL(ls_pw_end(&w[1], b), 0);
        CU_ASSERT(a->df == b->df && a->doc_off == b->doc_off && a->pos_off == b->pos_off &&
                  a->single_doc == b->single_doc && a->single_freq == b->single_freq);
    }
    CU_ASSERT(whole > 50);
    CU_ASSERT(refused > 5);
    ls_map dm2[2], pm2[2];
    pw_close_map(&w[0], &doc[0], &pos[0], "f.doc", "f.pos", &dm2[0], &pm2[0]);
    pw_close_map(&w[1], &doc[1], &pos[1], "g.doc", "g.pos", &dm2[1], &pm2[1]);
    CU_ASSERT(dm2[0].size == dm2[1].size);
    CU_ASSERT(pm2[0].size == pm2[1].size && memcmp(pm2[0].data, pm2[1].data, pm2[0].size) == 0);
    for (int t = 0; t < NT; t++) {
        for (int k = 0; k < 2; k++) {
            ls_postings p;
            CU_ASSERT_EQUAL_FATAL(
                ls_postings_open(&p, &tinfo[t][k], &dm2[k], &pm2[k], 5 * NDOCS, 1, NULL), 0);
            uint32_t i = 0;
            for (uint32_t d = ls_postings_next(&p); d != LS_NO_DOC; d = ls_postings_next(&p), i++) {
                CU_ASSERT_FATAL(i < nex[t]);
                CU_ASSERT_EQUAL(d, ex[t][0][i]);
                CU_ASSERT_EQUAL(ls_postings_freq(&p), ex[t][1][i]);
                uint32_t last;
                ls_block_bound bb;
                CU_ASSERT_EQUAL(ls_postings_block_bound(&p, d, &last, &bb), 0);
                CU_ASSERT(last >= d);
                CU_ASSERT(ls_block_bound_covers(&bb, ex[t][1][i], nex[t] > 1 ? ex[t][2][i] : 0xFFFF));
            }
            CU_ASSERT_EQUAL(i, nex[t]);
            CU_ASSERT_FALSE(p.corrupt);
        }
        for (int c = 0; c < 3; c++)
            free(ex[t][c]);
    }
    for (int k = 0; k < 2; k++) {
        ls_map_close(&dm2[k]);
        ls_map_close(&pm2[k]);
    }
    for (int l = 0; l < NL; l++)
        plist_free(&lists[l]);
    ls_map_close(&dm);
    ls_map_close(&pm);
}

/* What a merge does with inputs without deletions: lists of several inputs
 * (passages moved up by each one's base) appended into one, each input's
 * blocks copied as they are stored (its first block entry by entry unless
 * the list so far ends just before the input), after entries cut into a
 * short block. The result reads as the concatenation of the inputs, by
 * next() and seek(), positions and bounds included, and with the blocks
 * of the inputs kept. */
static void test_codecs_postings__blocks_copied(void)
{
    unsigned long long st = test_seed();
    static const uint32_t sizes[] = {1, 2, 127, 128, 129, 255, 256, 300, 513, 1000, 3000};
    enum { NL = sizeof sizes / sizeof sizes[0], NT = 40, NDOCS = 20000 };
    plist lists[NL];
    ls_term_info ti[NL];
    for (int l = 0; l < NL; l++)
        plist_make(&lists[l], &st, sizes[l], NDOCS, l % 2 ? 30 : 3);
    ls_map dm, pm;
    write_lists(lists, NL, ti, "c.doc", "c.pos", &dm, &pm);
    /* NT targets, each 1 to 5 inputs (a list each, of consecutive ranges
     * of NDOCS passages, some of them empty) */
    ls_wfile doc, pos;
    ls_postings_writer w;
    pw_open(&w, &doc, &pos, "d.doc", "d.pos");
    int src[NT][5], nsrc[NT];
    uint32_t base[NT][5];
    ls_term_info tt[NT];
    int copied = 0, cut = 0;
    for (int t = 0; t < NT; t++) {
        ls_pw_begin(&w, 1);
        nsrc[t] = 1 + (int)(test_rand(&st) % 5);
        uint32_t b = 0;
        for (int k = 0; k < nsrc[t]; k++) {
            b += (uint32_t)(test_rand(&st) % 3) * NDOCS;   /* inputs without the term */
            src[t][k] = (int)(test_rand(&st) % NL);
            base[t][k] = b;
            b += NDOCS;
            const plist *L = &lists[src[t][k]];
            ls_postings p;
            CU_ASSERT_EQUAL_FATAL(ls_postings_open(&p, &ti[src[t][k]], &dm, &pm, NDOCS, 1, NULL), 0);
            uint32_t from = w.prev + 1 == base[t][k] ? 0 : 1, i = 0;
            int fast = p.df >= 2 && p.nfull > from;
            for (uint32_t d = fast && from == 0 ? LS_NO_DOC : ls_postings_next(&p); d != LS_NO_DOC;
                 d = ls_postings_next(&p), i++) {
                if (fast && i == 0) {
                    cut += w.n > 0;
                    CU_ASSERT_EQUAL(ls_pw_cut(&w), 0);
                }
                const unsigned char *raw;
                size_t raw_len;
                CU_ASSERT_EQUAL_FATAL(ls_postings_positions_raw(&p, &raw, &raw_len), 0);
                CU_ASSERT_EQUAL(ls_pw_add_raw(&w, d + base[t][k], ls_postings_freq(&p), raw,
                                              raw_len, L->lens[i]), 0);
                if (fast && ls_postings_block_end(&p))
                    break;
            }
            if (!fast)
                continue;
            CU_ASSERT_EQUAL(ls_pw_copy_blocks(&w, &p, from, p.nfull, base[t][k]), 0);
            copied++;
            if (p.ntail) {
                CU_ASSERT_EQUAL_FATAL(ls_postings_to_block(&p, p.nfull), 0);
                i = L->n - p.ntail;
                for (uint32_t d = ls_postings_next(&p); d != LS_NO_DOC; d = ls_postings_next(&p), i++) {
                    const unsigned char *raw;
                    size_t raw_len;
                    CU_ASSERT_EQUAL_FATAL(ls_postings_positions_raw(&p, &raw, &raw_len), 0);
                    CU_ASSERT_EQUAL(ls_pw_add_raw(&w, d + base[t][k], ls_postings_freq(&p), raw,
                                                  raw_len, L->lens[i]), 0);
                }
            }
            CU_ASSERT_FALSE(p.corrupt);
        }
        CU_ASSERT_EQUAL(ls_pw_end(&w, &tt[t]), 0);
    }
    CU_ASSERT(copied > 20);
    CU_ASSERT(cut > 5);   /* short blocks were made */
    ls_map dm2, pm2;
    pw_close_map(&w, &doc, &pos, "d.doc", "d.pos", &dm2, &pm2);
    uint32_t got[64];
    for (int t = 0; t < NT; t++) {
        /* the expected entries: the inputs' in order, moved up */
        uint32_t n = 0;
        for (int k = 0; k < nsrc[t]; k++)
            n += lists[src[t][k]].n;
        CU_ASSERT_EQUAL_FATAL(tt[t].df, n);
        uint32_t ndocs = base[t][nsrc[t] - 1] + NDOCS;
        ls_postings p;
        CU_ASSERT_EQUAL_FATAL(ls_postings_open(&p, &tt[t], &dm2, &pm2, ndocs, 1, NULL), 0);
        for (int k = 0; k < nsrc[t]; k++) {
            const plist *L = &lists[src[t][k]];
            for (uint32_t i = 0; i < L->n; i++) {
                CU_ASSERT_EQUAL_FATAL(ls_postings_next(&p), L->docs[i] + base[t][k]);
                CU_ASSERT_EQUAL(ls_postings_freq(&p), L->freqs[i]);
                int np = ls_postings_positions(&p, got, 64);
                CU_ASSERT_EQUAL(np, (int)(L->freqs[i] < 64 ? L->freqs[i] : 64));
                CU_ASSERT_EQUAL(memcmp(got, L->pos[i], (size_t)(np > 0 ? np : 0) * 4), 0);
            }
        }
        CU_ASSERT_EQUAL(ls_postings_next(&p), LS_NO_DOC);
        CU_ASSERT_FALSE(p.corrupt);
        /* seeks, and the bound of the block each lands in */
        CU_ASSERT_EQUAL_FATAL(ls_postings_open(&p, &tt[t], &dm2, &pm2, ndocs, 1, NULL), 0);
        for (uint32_t target = 0;; target += 1 + (uint32_t)(test_rand(&st) % 4000)) {
            int k = 0;
            uint32_t i = 0;
            const plist *L = NULL;
            for (; k < nsrc[t]; k++) {   /* the first expected entry >= target */
                L = &lists[src[t][k]];
                for (i = 0; i < L->n && L->docs[i] + base[t][k] < target; i++)
                    ;
                if (i < L->n)
                    break;
            }
            uint32_t last;
            ls_block_bound bnd;
            int bb = ls_postings_block_bound(&p, target, &last, &bnd);
            uint32_t d = ls_postings_seek(&p, target);
            if (k == nsrc[t]) {
                CU_ASSERT_EQUAL(d, LS_NO_DOC);
                CU_ASSERT_EQUAL(bb, -1);
                break;
            }
            CU_ASSERT_EQUAL_FATAL(d, L->docs[i] + base[t][k]);
            CU_ASSERT_EQUAL(ls_postings_freq(&p), L->freqs[i]);
            CU_ASSERT_EQUAL(bb, 0);
            CU_ASSERT(last >= d);
            if (tt[t].df > 1)
                CU_ASSERT(ls_block_bound_covers(&bnd, L->freqs[i], L->lens[i]));
        }
    }
    for (int l = 0; l < NL; l++)
        plist_free(&lists[l]);
    ls_map_close(&dm);
    ls_map_close(&pm);
    ls_map_close(&dm2);
    ls_map_close(&pm2);
}

static void test_codecs_postings__corrupt_header_detected(void)
{
    ls_term_info ti = {.df = 300, .doc_off = 3};
    ls_wfile f;
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open(&f, tpath("c.doc"), LS_MAGIC_POSTINGS, 1, 0, NULL), 0);
    unsigned char junk[100];
    memset(junk, 0x81, sizeof junk);
    ls_wfile_write(&f, junk, sizeof junk);
    CU_ASSERT_EQUAL_FATAL(ls_wfile_finish(&f, NULL), 0);
    ls_map m;
    CU_ASSERT_EQUAL_FATAL(ls_map_open(&m, tpath("c.doc"), "c.doc", LS_MAGIC_POSTINGS, 1, LS_MAP_VERIFY, NULL), 0);
    ls_postings p;
    CU_ASSERT_EQUAL(ls_postings_open(&p, &ti, &m, &m, 1000, 0, NULL), SRCH_ECORRUPT);
    ti.doc_off = LS_HEADER_SIZE + 50;
    CU_ASSERT_EQUAL(ls_postings_open(&p, &ti, &m, &m, 1000, 0, NULL), SRCH_ECORRUPT);
    ti.df = 1;
    ti.single_doc = 5000;
    ti.single_freq = 1;
    CU_ASSERT_EQUAL(ls_postings_open(&p, &ti, &m, &m, 1000, 0, NULL), SRCH_ECORRUPT);
    ls_map_close(&m);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The same dictionary written by one writer (split 0), or by two: the
 * keys [s1, s2) by a second writer into a scratch file with offsets from
 * 0, appended (ls_tdw_append), then the rest by the first again. */
static void termdict_check(int split)
{
    unsigned long long st = test_seed() + (unsigned long long)split;
    enum { N = 3000 };
    char **keys = calloc(N, sizeof *keys);
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        char k[40];
        static const char fields[] = "BITW";
        int len = 1 + (int)(test_rand(&st) % 12);
        k[0] = fields[test_rand(&st) % 4];
        for (int j = 1; j <= len; j++)
            k[j] = (char)('a' + test_rand(&st) % 4);
        k[len + 1] = '\0';
        keys[n++] = strdup(k);
    }
    qsort(keys, n, sizeof *keys, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(keys[u - 1], keys[i]) != 0)
            keys[u++] = keys[i];
        else
            free(keys[i]);
    n = u;
    ls_wfile f;
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open(&f, tpath("t.ter"), LS_MAGIC_TERMS, 9, 0, NULL), 0);
    ls_termdict_writer w, h;
    ls_wfile hf;
    ls_tdw_init(&w, &f);
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open_mem(&hf, 0, NULL), 0);
    ls_tdw_init(&h, &hf);
    /* the half: from a block boundary of the first writer or not */
    size_t s1 = split ? (test_rand(&st) % 2 ? 5 * LS_TERMS_PER_BLOCK : 1 + test_rand(&st) % (n / 2)) : n;
    size_t s2 = split ? s1 + test_rand(&st) % (n - s1) : n;
    uint64_t doc_off = 100, pos_off = 200, doc_base = 0, pos_base = 0;
    for (size_t i = 0; i < n; i++) {
        if (split && i == s1) {   /* the half's offsets count from here */
            doc_base = doc_off;
            pos_base = pos_off;
        }
        int in_half = i >= s1 && i < s2;
        ls_term_info ti = {0};
        ti.df = i % 3 == 0 ? 1 : (uint32_t)(2 + i);
        if (ti.df == 1) {
            ti.single_doc = (uint32_t)i * 7;
            ti.single_freq = 1 + (uint32_t)i % 5;
        } else {
            ti.doc_off = (doc_off += 10 + i) - (in_half ? doc_base : 0);
        }
        if (ls_field_has_positions((unsigned char)keys[i][0]))
            ti.pos_off = (pos_off += 3 + i) - (in_half ? pos_base : 0);
        CU_ASSERT_EQUAL(ls_tdw_add(in_half ? &h : &w, (const unsigned char *)keys[i],
                                   strlen(keys[i]), &ti), 0);
        if (split && i + 1 == s2) {
            uint64_t off_base = ls_wfile_offset(&f);
            CU_ASSERT_EQUAL(ls_wfile_copy(&f, &hf), 0);
            CU_ASSERT_EQUAL(ls_tdw_append(&w, &h, off_base, doc_base, pos_base), 0);
        }
    }
    CU_ASSERT_EQUAL(ls_tdw_finish(&w), 0);
    ls_tdw_free(&w);
    ls_tdw_free(&h);
    ls_wfile_scratch_free(&hf);
    CU_ASSERT_EQUAL_FATAL(ls_wfile_finish(&f, NULL), 0);
    ls_map m;
    ls_termdict td;
    CU_ASSERT_EQUAL_FATAL(ls_map_open(&m, tpath("t.ter"), "t.ter", LS_MAGIC_TERMS, 9, LS_MAP_VERIFY, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ls_termdict_open(&td, &m, NULL), 0);
    CU_ASSERT_EQUAL(td.nterms, n);
    /* every key is found with its info; absent keys are not */
    doc_off = 100, pos_off = 200;
    for (size_t i = 0; i < n; i++) {
        ls_term_info ti;
        CU_ASSERT_EQUAL_FATAL(ls_termdict_get(&td, (const unsigned char *)keys[i], strlen(keys[i]), &ti), 1);
        CU_ASSERT_EQUAL(ti.df, i % 3 == 0 ? 1 : 2 + i);
        if (ti.df == 1) {
            CU_ASSERT_EQUAL(ti.single_doc, i * 7);
        } else {
            CU_ASSERT_EQUAL(ti.doc_off, doc_off += 10 + i);
        }
        if (ls_field_has_positions((unsigned char)keys[i][0]))
            CU_ASSERT_EQUAL(ti.pos_off, pos_off += 3 + i);
        char absent[48];
        snprintf(absent, sizeof absent, "%sz", keys[i]);
        CU_ASSERT_EQUAL(ls_termdict_get(&td, (const unsigned char *)absent, strlen(absent), &ti), 0);
    }
    /* random probes, present or not, against a binary search of the keys
     * (the lookup compares only what differs from the previous entry) */
    for (int i = 0; i < 20000; i++) {
        char k[40];
        static const char pf[] = "BITWV";
        int len = (int)(test_rand(&st) % 14);
        k[0] = pf[test_rand(&st) % 5];
        for (int j = 1; j <= len; j++)
            k[j] = (char)('a' + test_rand(&st) % 5);
        k[len + 1] = '\0';
        const char *kp = k;
        char **hit = bsearch(&kp, keys, n, sizeof *keys, cmp_str);
        ls_term_info ti;
        int got = ls_termdict_get(&td, (const unsigned char *)k, strlen(k), &ti);
        CU_ASSERT_EQUAL(got, hit != NULL);
        if (hit && got == 1) {
            size_t at = (size_t)(hit - keys);
            CU_ASSERT_EQUAL(ti.df, at % 3 == 0 ? 1 : 2 + at);
        }
    }
    ls_term_info ti;
    CU_ASSERT_EQUAL(ls_termdict_get(&td, (const unsigned char *)"A", 1, &ti), 0);
    CU_ASSERT_EQUAL(ls_termdict_get(&td, (const unsigned char *)"Z", 1, &ti), 0);
    /* prefix iteration equals a scan of the sorted keys */
    static const char *prefixes[] = {"B", "Ba", "Iab", "Tdd", "W", "Wdddd", "A", "X", ""};
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
        const char *pre = prefixes[k];
        size_t pl = strlen(pre), expect = 0, first = n;
        for (size_t i = 0; i < n; i++)
            if (strncmp(keys[i], pre, pl) == 0) {
                if (first == n)
                    first = i;
                expect++;
            }
        ls_term_iter it;
        ls_term_iter_seek(&it, &td, (const unsigned char *)pre, pl);
        size_t got = 0;
        while (ls_term_iter_next(&it) == 1 && it.klen >= pl && memcmp(it.key, pre, pl) == 0) {
            CU_ASSERT_EQUAL(it.klen, strlen(keys[first + got]));
            CU_ASSERT_EQUAL(memcmp(it.key, keys[first + got], it.klen), 0);
            got++;
        }
        CU_ASSERT_EQUAL(got, expect);
    }
    ls_termdict_close(&td);
    ls_map_close(&m);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

static void test_codecs_termdict__lookup_and_iteration(void)
{
    termdict_check(0);
}

static void test_codecs_termdict__blocks_appended(void)
{
    for (int split = 1; split <= 6; split++)
        termdict_check(split);
}

static void test_codecs_store__round_trip(void)
{
    unsigned long long st = test_seed();
    ls_wfile f;
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open(&f, tpath("s.sto"), LS_MAGIC_STORE, 3, 0, NULL), 0);
    ls_store_writer w;
    CU_ASSERT_EQUAL_FATAL(ls_store_writer_init(&w, &f), 0);
    enum { D = 700 };
    uint32_t first[D], count[D];
    char text[5000];
    uint32_t passage = 0;
    for (int d = 0; d < D; d++) {
        char id[64], title[64];
        snprintf(id, sizeof id, "doc/%05d", d);
        snprintf(title, sizeof title, "Title %d", d);
        unsigned char fields[64];
        size_t fl = 0;
        fields[fl++] = 1, fields[fl++] = 'k', fields[fl++] = 3;
        memcpy(fields + fl, "v\0x", 3), fl += 3;
        ls_doc_rec r = {.id = id, .id_len = strlen(id), .title = title, .title_len = strlen(title),
                        .lead = "  ", .lead_len = 2, .first_passage = passage,
                        .npassages = 1 + (uint32_t)(test_rand(&st) % 5), .nfields = 1,
                        .fields = fields, .fields_len = fl};
        first[d] = passage;
        count[d] = r.npassages;
        CU_ASSERT_EQUAL_FATAL(ls_store_add_doc(&w, &r), 0);
        for (uint32_t i = 0; i < r.npassages; i++) {
            int len = (int)(test_rand(&st) % 3000);
            for (int k = 0; k < len; k++)
                text[k] = (char)('a' + (passage + (uint32_t)k) % 26);
            CU_ASSERT_EQUAL_FATAL(ls_store_add_passage(&w, i + 1, 10, 10 + (uint32_t)len / 2,
                                                       text, (size_t)len), 0);
            passage++;
        }
    }
    CU_ASSERT_EQUAL(ls_store_finish(&w), 0);
    ls_store_writer_free(&w);
    CU_ASSERT_EQUAL_FATAL(ls_wfile_finish(&f, NULL), 0);
    ls_map m;
    ls_store s;
    CU_ASSERT_EQUAL_FATAL(ls_map_open(&m, tpath("s.sto"), "s.sto", LS_MAGIC_STORE, 3, LS_MAP_VERIFY, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ls_store_open(&s, &m, NULL), 0);
    CU_ASSERT_EQUAL(s.ndocs, D);
    CU_ASSERT_EQUAL(s.npassages, passage);
    ls_buf raw = {0};
    for (int d = 0; d < D; d += 7) {
        char want[64], id[64];
        size_t id_len;
        uint32_t number;
        snprintf(want, sizeof want, "doc/%05d", d);
        for (uint32_t i = 0; i < count[d]; i++) {
            CU_ASSERT_EQUAL(ls_store_id(&s, first[d] + i, id, sizeof id, &id_len, &number), 0);
            CU_ASSERT_STRING_EQUAL(id, want);
            CU_ASSERT_EQUAL(number, i + 1);
            ls_passage_rec pr;
            CU_ASSERT_EQUAL_FATAL(ls_store_passage(&s, first[d] + i, &raw, &pr, NULL), 0);
            CU_ASSERT_EQUAL(pr.doc, (uint32_t)d);
            CU_ASSERT_EQUAL(pr.start, 10);
            CU_ASSERT_EQUAL(pr.end, 10 + pr.stored_len / 2);
            for (size_t k = 0; k < pr.stored_len; k++)
                if (pr.stored[k] != (char)('a' + (first[d] + i + k) % 26)) {
                    CU_FAIL("stored text differs");
                    break;
                }
        }
        ls_doc_rec dr;
        CU_ASSERT_EQUAL_FATAL(ls_store_doc(&s, (uint32_t)d, &raw, &dr, NULL), 0);
        CU_ASSERT_EQUAL(dr.id_len, strlen(want));
        CU_ASSERT_EQUAL(memcmp(dr.id, want, dr.id_len), 0);
        CU_ASSERT_EQUAL(dr.first_passage, first[d]);
        CU_ASSERT_EQUAL(dr.npassages, count[d]);
        CU_ASSERT_EQUAL(dr.nfields, 1);
        CU_ASSERT_EQUAL(dr.fields_len, 6);
    }
    /* sequential cursors see every record */
    ls_store_cursor c;
    ls_store_cursor_init(&c, &s, 0);
    ls_passage_rec pr;
    for (uint32_t p = 0; p < passage; p++)
        CU_ASSERT_EQUAL_FATAL(ls_store_cursor_passage(&c, &pr, NULL), 0);
    CU_ASSERT_NOT_EQUAL(ls_store_cursor_passage(&c, &pr, NULL), 0);
    ls_store_cursor_free(&c);
    ls_buf_free(&raw);
    ls_map_close(&m);
}

/* Documents for the append test, numbered globally: document g has
 * np_of(g) passages; global passage q has len_of(q) bytes of text made
 * from q. */
static uint32_t np_of(uint32_t g)
{
    return 1 + (g * 2654435761u >> 7) % 5;
}

static size_t len_of(uint32_t q)
{
    return (q * 40503u) % 3000;
}

/* Add documents [g0, g1) to w, whose first passage is global passage *q. */
static void add_docs(ls_store_writer *w, uint32_t g0, uint32_t g1, uint32_t *q)
{
    static char text[3000];
    for (uint32_t g = g0; g < g1; g++) {
        char id[32], title[32];
        snprintf(id, sizeof id, "doc/%05u", g);
        snprintf(title, sizeof title, "T%u", g);
        ls_doc_rec r = {.id = id, .id_len = strlen(id), .title = title,
                        .title_len = strlen(title), .first_passage = w->npassages,
                        .npassages = np_of(g)};
        CU_ASSERT_EQUAL_FATAL(ls_store_add_doc(w, &r), 0);
        for (uint32_t i = 0; i < r.npassages; i++, (*q)++) {
            size_t len = len_of(*q);
            for (size_t k = 0; k < len; k++)
                text[k] = (char)('a' + (*q + k) % 26);
            CU_ASSERT_EQUAL_FATAL(ls_store_add_passage(w, i + 1, 3, 3 + (uint32_t)len / 2, text,
                                                       len), 0);
        }
    }
}

static void open_store(const char *name, ls_map *m, ls_store *s)
{
    CU_ASSERT_EQUAL_FATAL(ls_map_open(m, tpath(name), name, LS_MAGIC_STORE, 3, LS_MAP_VERIFY,
                                      NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ls_store_open(s, m, NULL), 0);
}

/* A store made of records added one by one and of two whole stores
 * appended (their blocks copied, as a merge does) reads exactly as the
 * same documents added one by one: ids, passage numbers, documents of
 * passages, first passages of documents, text; by random access and by
 * the cursors. */
static void test_codecs_store__append_copies_blocks(void)
{
    enum { G1 = 90, G2 = 700, G3 = 760, G4 = 1500 };
    /* the two stores to append: documents [G1, G2) and [G3, G4) */
    uint32_t q = 0, qa, qb;
    for (uint32_t g = 0; g < G1; g++)
        q += np_of(g);
    qa = q;
    for (uint32_t g = G1; g < G3; g++)
        q += np_of(g);
    qb = q;
    const char *names[2] = {"a.sto", "b.sto"};
    uint32_t from[2] = {G1, G3}, to[2] = {G2, G4}, qs[2] = {qa, qb};
    for (int k = 0; k < 2; k++) {
        ls_wfile f;
        ls_store_writer w;
        CU_ASSERT_EQUAL_FATAL(ls_wfile_open(&f, tpath(names[k]), LS_MAGIC_STORE, 3, 0, NULL), 0);
        CU_ASSERT_EQUAL_FATAL(ls_store_writer_init(&w, &f), 0);
        add_docs(&w, from[k], to[k], &qs[k]);
        CU_ASSERT_EQUAL(ls_store_finish(&w), 0);
        ls_store_writer_free(&w);
        CU_ASSERT_EQUAL_FATAL(ls_wfile_finish(&f, NULL), 0);
    }
    ls_map ma, mb, mc;
    ls_store sa, sb, sc;
    open_store("a.sto", &ma, &sa);
    open_store("b.sto", &mb, &sb);
    CU_ASSERT(sa.npblocks > 10);
    /* c = [0, G1) added, a, [G2, G3) added, b */
    ls_wfile f;
    ls_store_writer w;
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open(&f, tpath("c.sto"), LS_MAGIC_STORE, 3, 0, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(ls_store_writer_init(&w, &f), 0);
    q = 0;
    add_docs(&w, 0, G1, &q);
    CU_ASSERT_EQUAL_FATAL(ls_store_append(&w, &sa, NULL), 0);
    q = qa + sa.npassages;
    add_docs(&w, G2, G3, &q);
    CU_ASSERT_EQUAL_FATAL(ls_store_append(&w, &sb, NULL), 0);
    q += sb.npassages;
    CU_ASSERT_EQUAL(ls_store_finish(&w), 0);
    ls_store_writer_free(&w);
    CU_ASSERT_EQUAL_FATAL(ls_wfile_finish(&f, NULL), 0);
    open_store("c.sto", &mc, &sc);
    CU_ASSERT_EQUAL(sc.ndocs, G4);
    CU_ASSERT_EQUAL(sc.npassages, q);

    ls_buf raw = {0};
    ls_store_cursor dc, pc;
    ls_store_cursor_init(&dc, &sc, 1);
    ls_store_cursor_init(&pc, &sc, 0);
    uint32_t p = 0;
    int bad = 0;
    for (uint32_t g = 0; g < G4 && bad < 5; g++) {
        char want[32], id[64];
        snprintf(want, sizeof want, "doc/%05u", g);
        ls_doc_rec dr, dr2;
        CU_ASSERT_EQUAL_FATAL(ls_store_doc(&sc, g, &raw, &dr, NULL), 0);
        CU_ASSERT_EQUAL_FATAL(ls_store_cursor_doc(&dc, &dr2, NULL), 0);
        if (dr.first_passage != p || dr2.first_passage != p || dr.npassages != np_of(g) ||
            dr.id_len != strlen(want) || memcmp(dr.id, want, dr.id_len) != 0) {
            CU_FAIL("document record differs");
            fprintf(stderr, "  document %u: first passage %u/%u, want %u\n", g,
                    dr.first_passage, dr2.first_passage, p);
            bad++;
        }
        for (uint32_t i = 0; i < np_of(g); i++, p++) {
            size_t id_len;
            uint32_t number;
            ls_passage_rec pr, pr2;
            CU_ASSERT_EQUAL_FATAL(ls_store_id(&sc, p, id, sizeof id, &id_len, &number), 0);
            CU_ASSERT_EQUAL_FATAL(ls_store_passage(&sc, p, &raw, &pr, NULL), 0);
            CU_ASSERT_EQUAL_FATAL(ls_store_cursor_passage(&pc, &pr2, NULL), 0);
            int ok = strcmp(id, want) == 0 && number == i + 1 && pr.doc == g && pr2.doc == g &&
                     pr.stored_len == len_of(p) && pr.end == 3 + pr.stored_len / 2;
            for (size_t k = 0; ok && k < pr.stored_len; k++)
                ok = pr.stored[k] == (char)('a' + (p + k) % 26);
            if (!ok) {
                CU_FAIL("passage differs");
                fprintf(stderr, "  passage %u: id %s #%u, document %u/%u, want %s #%u, %u\n", p,
                        id, number, pr.doc, pr2.doc, want, i + 1, g);
                bad++;
            }
        }
    }
    ls_store_cursor_free(&dc);
    ls_store_cursor_free(&pc);
    ls_buf_free(&raw);
    ls_map_close(&ma);
    ls_map_close(&mb);
    ls_map_close(&mc);
}

static void test_codecs_file__framing_checked(void)
{
    ls_wfile f;
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open(&f, tpath("f.bin"), LS_MAGIC_NORMS, 42, 0, NULL), 0);
    ls_wfile_write(&f, "hello world", 11);
    uint64_t size;
    CU_ASSERT_EQUAL_FATAL(ls_wfile_finish(&f, &size), 0);
    CU_ASSERT_EQUAL(size, LS_HEADER_SIZE + 11 + LS_FOOTER_SIZE);
    ls_map m;
    ls_err e;
    CU_ASSERT_EQUAL(ls_map_open(&m, tpath("f.bin"), "f.bin", LS_MAGIC_NORMS, 42, LS_MAP_VERIFY, &e), 0);
    CU_ASSERT_EQUAL(m.body_len, 11);
    CU_ASSERT_EQUAL(memcmp(m.body, "hello world", 11), 0);
    ls_map_close(&m);
    CU_ASSERT_EQUAL(ls_map_open(&m, tpath("f.bin"), "f.bin", LS_MAGIC_STORE, 42, LS_MAP_VERIFY, &e), SRCH_ECORRUPT);
    CU_ASSERT_EQUAL(ls_map_open(&m, tpath("f.bin"), "f.bin", LS_MAGIC_NORMS, 41, LS_MAP_VERIFY, &e), SRCH_ECORRUPT);
    CU_ASSERT_EQUAL(ls_map_open(&m, tpath("nope"), "nope", LS_MAGIC_NORMS, 42, LS_MAP_VERIFY, &e), SRCH_ENOTFOUND);
    /* flip every byte in turn: always detected */
    FILE *fp = fopen(tpath("f.bin"), "r+b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    for (long i = 0; i < (long)size; i++) {
        int c;
        fseek(fp, i, SEEK_SET);
        c = fgetc(fp);
        fseek(fp, i, SEEK_SET);
        fputc(c ^ 0x10, fp);
        fflush(fp);
        int rc = ls_map_open(&m, tpath("f.bin"), "f.bin", LS_MAGIC_NORMS, 42, LS_MAP_VERIFY, &e);
        CU_ASSERT(rc == SRCH_ECORRUPT || rc == SRCH_EVERSION);
        if (rc == SRCH_OK)
            ls_map_close(&m);
        fseek(fp, i, SEEK_SET);
        fputc(c, fp);
        fflush(fp);
    }
    /* truncation */
    CU_ASSERT_EQUAL(ftruncate(fileno(fp), (off_t)size - 1), 0);
    fclose(fp);
    CU_ASSERT_EQUAL(ls_map_open(&m, tpath("f.bin"), "f.bin", LS_MAGIC_NORMS, 42, LS_MAP_VERIFY, &e), SRCH_ECORRUPT);
    /* an injected write failure is sticky and reported as a full disk */
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open(&f, tpath("g.bin"), LS_MAGIC_NORMS, 1, 0, NULL), 0);
    char big[100000] = {0};
    ls_io_fail_after(1, ENOSPC);
    ls_wfile_write(&f, big, sizeof big);
    CU_ASSERT_EQUAL(ls_wfile_write(&f, "x", 1), SRCH_ENOSPC);
    CU_ASSERT_EQUAL(ls_wfile_finish(&f, NULL), SRCH_ENOSPC);
    ls_io_fail_after(0, 0);
    CU_ASSERT_EQUAL(access(tpath("g.bin"), F_OK), -1);   /* removed */
}

/* Pages of m resident in the page cache (mincore), of the first n. */
static size_t resident(const ls_map *m, size_t *n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), np = (m->size + pg - 1) / pg, r = 0;
    unsigned char *v = malloc(np);
    if (!v || mincore((void *)m->data, m->size, v) != 0) {
        free(v);
        *n = 0;
        return 0;
    }
    for (size_t i = 0; i < np; i++)
        r += v[i] & 1;
    free(v);
    *n = np;
    return r;
}

/* A merge's inputs leave the page cache as it reads them (clean pages,
 * mapped by this process only): ls_map_evict_range() drops them, where
 * ls_map_release_range() drops only the mapping. */
static void test_codecs_file__evicted_pages_leave_the_cache(void)
{
    struct statfs fs;
    if (statfs(tmpdir, &fs) != 0 || fs.f_type == 0x01021994 /* tmpfs: no page-out */)
        return;
    void *probe = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CU_ASSERT_FATAL(probe != MAP_FAILED);
    int no_pageout = madvise(probe, 4096, 21 /* MADV_PAGEOUT */) != 0 && errno == EINVAL;
    munmap(probe, 4096);
    if (no_pageout)   /* before Linux 5.4: only the mapping is dropped */
        return;
    static char chunk[1 << 16];
    for (size_t i = 0; i < sizeof chunk; i++)
        chunk[i] = (char)(i * 7);
    ls_wfile f;
    CU_ASSERT_EQUAL_FATAL(ls_wfile_open(&f, tpath("e.doc"), LS_MAGIC_POSTINGS, 1, 1, NULL), 0);
    for (int i = 0; i < 64; i++)   /* 4 MB, made durable: clean pages */
        ls_wfile_write(&f, chunk, sizeof chunk);
    CU_ASSERT_EQUAL_FATAL(ls_wfile_finish(&f, NULL), 0);
    ls_map m;
    CU_ASSERT_EQUAL_FATAL(ls_map_open(&m, tpath("e.doc"), "e.doc", LS_MAGIC_POSTINGS, 1, LS_MAP_VERIFY, NULL), 0);
    size_t n, before = resident(&m, &n);
    CU_ASSERT(n > 1000 && before == n);   /* the check read every page */
    ls_map_release_range(&m, 0, m.size);
    size_t kept = resident(&m, &n);
    CU_ASSERT_EQUAL(kept, n);            /* out of our RSS, still cached */
    /* mapped again (read), then evicted: the first half only */
    uint64_t sum = 0;
    for (size_t i = 0; i < m.size; i += 4096)
        sum += m.data[i];
    CU_ASSERT(sum > 0);
    ls_map_evict_range(&m, 0, m.size / 2);
    size_t after = resident(&m, &n);
    CU_ASSERT(after <= n / 2 + 2);       /* the evicted half left the cache */
    CU_ASSERT(after >= n / 2 - 2);       /* the other half did not */
    size_t at = m.body_len / 4;          /* in the evicted half: read again from disk */
    CU_ASSERT_EQUAL(m.body[at], chunk[at % sizeof chunk]);
    ls_map_close(&m);
}

static const ls_test tests[] = {
    {"test_codecs_varint__round_trip_and_malformed", test_codecs_varint__round_trip_and_malformed},
    {"test_codecs_crc32c__known_values_and_hw", test_codecs_crc32c__known_values_and_hw},
    {"test_codecs_bitpack__every_width", test_codecs_bitpack__every_width},
    {"test_codecs_postings__random_round_trip", test_codecs_postings__random_round_trip},
    {"test_codecs_postings__raw_positions_copy", test_codecs_postings__raw_positions_copy},
    {"test_codecs_postings__blocks_copied", test_codecs_postings__blocks_copied},
    {"test_codecs_postings__blocks_added_whole", test_codecs_postings__blocks_added_whole},
    {"test_codecs_postings__corrupt_header_detected", test_codecs_postings__corrupt_header_detected},
    {"test_codecs_termdict__lookup_and_iteration", test_codecs_termdict__lookup_and_iteration},
    {"test_codecs_termdict__blocks_appended", test_codecs_termdict__blocks_appended},
    {"test_codecs_store__round_trip", test_codecs_store__round_trip},
    {"test_codecs_store__append_copies_blocks", test_codecs_store__append_copies_blocks},
    {"test_codecs_file__framing_checked", test_codecs_file__framing_checked},
    {"test_codecs_file__evicted_pages_leave_the_cache", test_codecs_file__evicted_pages_leave_the_cache},
    {NULL, NULL},
};

void suite_codecs(void)
{
    test_register_suite("codecs", init, clean, tests);
}
