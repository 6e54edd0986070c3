/*
 * micro_bench.c - microbenchmarks of two parts of the index, one thread:
 *
 *   micro_bench postings INDEX [--runs R]
 *   micro_bench merge CORPUS.jsonl WORKDIR [--passages N] [--ram-mb M] [--runs R]
 *
 * Each prints one JSON line per measurement (bench/report.py turns them into
 * tables); every figure is the median of R runs (default 5 and 3).
 *
 * postings: how fast are postings lists decoded? INDEX is an existing index
 * (bench/run.sh passes the merged Littré index). The lists of every term
 * with df >= 2 (the fields body, title and exact words; a df-1 term is
 * inlined in the dictionary and has no list), in every segment, are
 * collected first (untimed), then decoded from start to end through the
 * reader's iterator (index/postings.h, the code the query evaluator uses),
 * the file pages already in memory (one untimed pass first):
 *   - "ids": ls_postings_next() only (passage ids; the frequencies of full
 *     blocks are then never unpacked, as in a conjunction that only seeks);
 *   - "ids+freqs": ls_postings_next() and ls_postings_freq() for each entry.
 * Integers per second count one per id, plus one per frequency in the
 * second mode. Also "bitpack": the raw kernel ls_unpack128() on blocks of
 * 1 to 24 bits (the widths of the index), integers/s.
 *
 * merge: how fast are segments merged? The first N passages (records) of
 * CORPUS.jsonl (default 200000) are indexed into WORKDIR/merge.idx with
 * the public API, a small RAM budget (default 2 MB, so many segments),
 * auto_merge = 0 and durable = 0 (no fsync: the merge code, not the disk),
 * committed; then srch_index_merge(ix, 1) is timed (wall and CPU of the
 * process). MB/s is the input bytes (the segments' files before the merge)
 * per wall second; passages/s the same for passages. The index is rebuilt
 * for each run. The records are read with the peers' reader (cli/jsonl.c
 * through bench/peers/peer_common.h), id, title and text.
 *
 * Internal headers (libsearch/src) are used for postings: the static
 * library holds the internal symbols. These are not part of the API and
 * may change with the code they measure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/format.h"
#include "index/postings.h"
#include "index/reader.h"
#include "index/segment.h"
#include "index/termdict.h"
#include "libsearch.h"
#include "peers/peer_common.h"
#include "util/bitpack.h"

static volatile uint64_t sink;   /* keeps decoded values alive */

static double median_of(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, peer_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------- postings */

typedef struct {
    const ls_segment *seg;
    unsigned char field;
    ls_term_info ti;
} plist;

static uint64_t decode_all(const plist *ls, size_t n, int with_freqs, uint64_t *entries)
{
    uint64_t sum = 0, cnt = 0;
    ls_err err;
    for (size_t i = 0; i < n; i++) {
        ls_postings p;
        if (ls_segment_postings(ls[i].seg, &ls[i].field, &ls[i].ti, &p, &err) != SRCH_OK)
            peer_die("postings: %s", err.msg);
        uint32_t d;
        if (with_freqs) {
            while ((d = ls_postings_next(&p)) != LS_NO_DOC) {
                sum += d + ls_postings_freq(&p);
                cnt++;
            }
        } else {
            while ((d = ls_postings_next(&p)) != LS_NO_DOC) {
                sum += d;
                cnt++;
            }
        }
        if (p.corrupt)
            peer_die("postings: corrupt list");
    }
    *entries = cnt;
    return sum;
}

static int cmd_postings(const char *dir, int runs)
{
    srch_reader *r;
    if (srch_reader_open(&r, dir) != SRCH_OK)
        peer_die("cannot open %s: %s", dir, srch_errmsg());
    plist *ls = NULL;
    size_t n = 0, cap = 0;
    uint64_t full_entries = 0;
    for (size_t s = 0; s < r->nsegs; s++) {
        const ls_segment *seg = r->segs[s].seg;
        ls_term_iter it;
        int rc;
        ls_term_iter_seek(&it, &seg->td, (const unsigned char *)"", 0);
        while ((rc = ls_term_iter_next(&it)) == 1) {
            unsigned char f = it.key[0];
            if (f == LS_FIELD_ID || it.ti.df < 2)
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 4096;
                ls = (plist *)realloc(ls, cap * sizeof *ls);
                if (!ls)
                    peer_die("out of memory");
            }
            ls[n].seg = seg;
            ls[n].field = f;
            ls[n].ti = it.ti;
            n++;
            full_entries += it.ti.df / LS_BLOCK * LS_BLOCK;
        }
        if (rc < 0)
            peer_die("%s: malformed term dictionary", dir);
    }

    uint64_t entries = 0;
    sink += decode_all(ls, n, 1, &entries);   /* pages in, untimed */
    for (int mode = 0; mode < 2; mode++) {
        double *t = (double *)malloc((size_t)runs * sizeof *t);
        if (!t)
            peer_die("out of memory");
        for (int i = 0; i < runs; i++) {
            double t0 = peer_now();
            sink += decode_all(ls, n, mode, &entries);
            t[i] = peer_now() - t0;
        }
        double med = median_of(t, runs);
        uint64_t ints = entries * (mode ? 2 : 1);
        printf("{\"bench\":\"postings\",\"mode\":\"%s\",\"lists\":%zu,\"entries\":%llu,"
               "\"entries_in_full_blocks\":%llu,\"integers\":%llu,\"runs\":%d,\"median_s\":%.4f,"
               "\"integers_per_s\":%.0f,\"ns_per_entry\":%.2f}\n",
               mode ? "ids+freqs" : "ids", n, (unsigned long long)entries,
               (unsigned long long)full_entries, (unsigned long long)ints, runs, med,
               (double)ints / med, med * 1e9 / (double)entries);
        free(t);
    }
    free(ls);
    srch_reader_close(r);

    /* the kernel alone: 4096 blocks of each width from 1 to 24 bits */
    enum { NBLK = 4096, MAXB = 24 };
    unsigned char *packed = (unsigned char *)calloc((size_t)NBLK * 16 * 32 + 64, 1);
    uint32_t v[LS_BLOCK];
    if (!packed)
        peer_die("out of memory");
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < (size_t)NBLK * 16 * 32; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        packed[i] = (unsigned char)x;
    }
    double *t = (double *)malloc((size_t)runs * sizeof *t);
    if (!t)
        peer_die("out of memory");
    for (int i = 0; i < runs; i++) {
        double t0 = peer_now();
        for (unsigned b = 1; b <= MAXB; b++)
            for (size_t k = 0; k < NBLK; k++) {
                ls_unpack128(packed + k * 16 * b, b, v);
                sink += v[k % LS_BLOCK];
            }
        t[i] = peer_now() - t0;
    }
    double med = median_of(t, runs);
    double ints = (double)NBLK * MAXB * LS_BLOCK;
    printf("{\"bench\":\"bitpack\",\"mode\":\"unpack128, widths 1-%d\",\"integers\":%.0f,"
           "\"runs\":%d,\"median_s\":%.4f,\"integers_per_s\":%.0f}\n",
           MAXB, ints, runs, med, ints / med);
    free(t);
    free(packed);
    return 0;
}

/* ---------------------------------------------------------------- merge */

static void wipe_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0 && nftw(dir, peer_rm_cb, 32, FTW_DEPTH | FTW_PHYS) != 0)
        peer_die("cannot empty %s", dir);
}

static void check(int rc, srch_index *ix, const char *what)
{
    if (rc != SRCH_OK)
        peer_die("%s: %s: %s", what, srch_strerror(rc), ix ? srch_index_errmsg(ix) : srch_errmsg());
}

static void index_stats(const char *dir, srch_index_stats *st)
{
    srch_reader *r;
    check(srch_reader_open(&r, dir), NULL, "reader");
    srch_reader_stats(r, st);
    srch_reader_close(r);
}

static int cmd_merge(const char *corpus, const char *work, long npass, long ram_mb, int runs)
{
    peer_buf dir = {NULL, 0, 0};
    peer_buf_puts(&dir, work);
    peer_buf_puts(&dir, "/merge.idx");
    peer_mkdir_p(dir.s);

    double *wall = (double *)malloc((size_t)runs * sizeof *wall);
    double *cpu = (double *)malloc((size_t)runs * sizeof *cpu);
    if (!wall || !cpu)
        peer_die("out of memory");
    srch_index_stats before = {0}, after = {0};
    long long text_bytes = 0;
    long docs = 0;
    for (int run = 0; run < runs; run++) {
        wipe_dir(dir.s);
        srch_index_options o = SRCH_INDEX_OPTIONS_INIT;
        o.ram_budget = (size_t)ram_mb << 20;
        o.auto_merge = 0;
        o.durable = 0;
        srch_index *ix;
        check(srch_index_open(&ix, dir.s, &o), NULL, "open");
        peer_reader rd;
        if (peer_reader_open(&rd, corpus) != 0)
            peer_die("cannot open %s: %s", corpus, strerror(errno));
        peer_buf id = {NULL, 0, 0}, title = {NULL, 0, 0};
        docs = 0;
        text_bytes = 0;
        int rc;
        while (docs < npass && (rc = peer_reader_next(&rd)) != 0) {
            if (rc < 0)
                peer_die("%s", rd.err.s);
            peer_buf_clear(&id);
            peer_buf_append(&id, rd.id, rd.id_len);
            peer_buf_clear(&title);
            peer_buf_append(&title, rd.title, rd.title_len);
            srch_document d = SRCH_DOCUMENT_INIT;
            d.id = id.s;
            d.title = title.s;
            d.text = rd.text;
            d.text_len = rd.text_len;
            check(srch_index_add(ix, &d), ix, "add");
            docs++;
            text_bytes += (long long)(rd.title_len + rd.text_len);
        }
        peer_reader_close(&rd);
        peer_buf_free(&id);
        peer_buf_free(&title);
        check(srch_index_commit(ix), ix, "commit");
        index_stats(dir.s, &before);

        double t0 = peer_now(), c0 = peer_cpu_s();
        check(srch_index_merge(ix, 1), ix, "merge");
        wall[run] = peer_now() - t0;
        cpu[run] = peer_cpu_s() - c0;
        srch_index_close(ix);
        index_stats(dir.s, &after);
    }
    double w = median_of(wall, runs), c = median_of(cpu, runs);
    printf("{\"bench\":\"merge\",\"passages\":%llu,\"documents\":%ld,\"text_bytes\":%lld,"
           "\"ram_mb\":%ld,\"segments_before\":%zu,\"bytes_before\":%llu,\"segments_after\":%zu,"
           "\"bytes_after\":%llu,\"runs\":%d,\"wall_s\":%.3f,\"cpu_s\":%.3f,\"mb_per_s\":%.1f,"
           "\"passages_per_s\":%.0f}\n",
           (unsigned long long)before.passages, docs, text_bytes, ram_mb, before.segments,
           (unsigned long long)before.total_bytes, after.segments,
           (unsigned long long)after.total_bytes, runs, w, c,
           (double)before.total_bytes / 1e6 / w, (double)before.passages / w);
    wipe_dir(dir.s);
    rmdir(dir.s);
    free(wall);
    free(cpu);
    peer_buf_free(&dir);
    return 0;
}

/* ----------------------------------------------------------------- main */

static void usage(void)
{
    fprintf(stderr, "usage: micro_bench postings INDEX [--runs R]\n"
                    "       micro_bench merge CORPUS.jsonl WORKDIR [--passages N] [--ram-mb M] "
                    "[--runs R]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    peer_prog = "micro_bench";
    if (argc < 3)
        usage();
    const char *pos[2] = {NULL, NULL};
    int npos = 0, runs = 0;
    long npass = 200000, ram_mb = 2;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = peer_parse_int(argv[++i], "--runs", 1, 1000);
        else if (strcmp(argv[i], "--passages") == 0 && i + 1 < argc)
            npass = peer_parse_int(argv[++i], "--passages", 1, 2000000000);
        else if (strcmp(argv[i], "--ram-mb") == 0 && i + 1 < argc)
            ram_mb = peer_parse_int(argv[++i], "--ram-mb", 1, 65536);
        else if (argv[i][0] != '-' && npos < 2)
            pos[npos++] = argv[i];
        else
            usage();
    }
    if (strcmp(argv[1], "postings") == 0 && npos == 1)
        return cmd_postings(pos[0], runs ? runs : 5);
    if (strcmp(argv[1], "merge") == 0 && npos == 2)
        return cmd_merge(pos[0], pos[1], npass, ram_mb, runs ? runs : 3);
    usage();
    return 2;
}
