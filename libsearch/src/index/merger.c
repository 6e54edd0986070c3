/*
 * merger.c - merge segments into one, streaming (see merger.h).
 *
 * Passages keep their order: input 0's live passages first, then input
 * 1's, and so on; a live passage's new id is its input's base plus its rank
 * among the live passages of its input. Terms are merged k-way from the
 * inputs' dictionaries in key order; for each term the inputs' postings are
 * read in input order, deleted passages dropped, ids remapped, positions
 * copied, and written through the same postings writer a flush uses (so the
 * block bounds are recomputed from the lengths of the surviving passages).
 * Of an input without deletions, whose passages all move by its base, the
 * blocks after the first are copied as they are stored (ls_pw_copy_blocks:
 * deltas, frequencies, positions and bounds hold; only the skip entries
 * move): on the Littré's six segments, half the entries. Its first block
 * and its tail are added a block at a time (ls_pw_add_block: decoded,
 * with their positions and stored bound as they are, no passage length
 * read) where they fit in the output's pending block; entry by entry
 * only what does not, the inputs with deletions and single entries.
 * Stored records are decompressed and recompressed block by block, by a
 * second thread when asked (threads > 1), meanwhile. With threads, the
 * terms from a key near the middle of the work on are merged by a third
 * thread into a half of the segment (ls_segw_open_half: unnamed temporary
 * files), copied in after the first half.
 *
 * Memory: one decoded block per input (postings and store), the output
 * buffers, the skip entries of the term being written (16 bytes per 128
 * passages of that term) and a rank table of 4 bytes per 64 passages per
 * input (per merging thread): bounded by constants and the largest posting
 * list, not by the size of the index.
 */
#include "merger.h"

#include <stdlib.h>
#include <string.h>

#include "util/varint.h"

typedef struct input {
    const ls_segment *seg;
    const ls_deletes *del;
    uint32_t base;            /* new id of its first live passage */
    uint32_t *rank;           /* live passages before each 64-passage word */
    ls_term_iter it;
    int has;                  /* it holds a current term */
    /* .ter, .doc, .pos: the offset reached, and up to where the pages were
     * dropped from our RSS (see release_behind) */
    uint64_t reached[3], released[3];
} input;

static inline uint32_t new_id(const input *in, uint32_t p)
{
    if (!in->del)
        return in->base + p;
    uint64_t w = in->del->words[p >> 6];
    uint64_t below = (p & 63) ? ~w & ((1ull << (p & 63)) - 1) : 0;
    return in->base + in->rank[p >> 6] + (uint32_t)__builtin_popcountll(below);
}

static int key_cmp(const ls_term_iter *a, const ls_term_iter *b)
{
    return ls_key_cmp(a->key, a->klen, b->key, b->klen);
}

static int advance(input *in, ls_err *err)
{
    int r = ls_term_iter_next(&in->it);
    if (r < 0)
        return ls_err_set(err, SRCH_ECORRUPT, "segment %s: malformed term dictionary",
                          in->seg->name);
    in->has = r;
    if (r) {   /* the files are read in key order: offsets only grow */
        in->reached[0] = (uint64_t)(in->it.p - in->seg->maps[0].data);
        if (in->it.ti.df >= 2 && in->it.ti.doc_off > in->reached[1])
            in->reached[1] = in->it.ti.doc_off;
        if (in->it.ti.pos_off > in->reached[2])
            in->reached[2] = in->it.ti.pos_off;
    }
    /* a single passage (most terms): its lengths start loading now */
    if (r && in->it.ti.df == 1 && in->it.ti.single_doc < in->seg->meta.npassages)
        __builtin_prefetch(in->seg->norms + 4 * (size_t)in->it.ti.single_doc);
    return SRCH_OK;
}

/* Copy entries of p from the current one on, live ones renumbered, their
 * positions copied as stored (ls_postings_positions_raw()): to the end of
 * the list, or (block_only) of the current block. */
static int copy_entries(ls_segment_writer *w, input *in, ls_postings *p, int block_only)
{
    const unsigned char *key = in->it.key;
    int with_pos = ls_field_has_positions(key[0]);
    int field = ls_field_norm(key[0]);
    for (uint32_t d = ls_postings_next(p); d != LS_NO_DOC; d = ls_postings_next(p)) {
        if (p->i + 8 < p->n)   /* the lengths are read at random: load ahead */
            __builtin_prefetch(in->seg->norms + 4 * (size_t)p->docs[p->i + 8]);
        if (!ls_deleted(in->del, d)) {
            uint32_t f = ls_postings_freq(p);
            const unsigned char *pos = NULL;
            size_t pos_len = 0;
            if (with_pos && ls_postings_positions_raw(p, &pos, &pos_len) != 0)
                break;
            uint32_t len = key[0] == LS_FIELD_ID ? 0 : ls_segment_norm(in->seg, d, field);
            int rc = ls_pw_add_raw(&w->pw, new_id(in, d), f, pos, pos_len, len);
            if (rc != SRCH_OK)
                return rc;
        }
        if (block_only && ls_postings_block_end(p))
            break;
    }
    return SRCH_OK;
}

/* The loaded block of p (or its tail) added whole, with the bound it
 * holds (ls_pw_add_block()): none of its passages' lengths is read. */
static int add_block(ls_segment_writer *w, input *in, ls_postings *p)
{
    const unsigned char *pos;
    size_t pos_len;
    ls_block_bound bound;
    if (ls_postings_block_raw(p, &pos, &pos_len, &bound) != 0)
        return SRCH_OK;   /* p->corrupt: the caller says so */
    return ls_pw_add_block(&w->pw, p, in->base, pos, pos_len, &bound);
}

/* The entries of the input's current term. Of an input without deletions
 * the blocks are copied as they are stored (ls_pw_copy_blocks()): but the
 * first, whose first delta counts from another passage (unless the list
 * so far ends just before this input's passages), which is added whole
 * (add_block()) after the pending entries are cut. What is left (the
 * tail; a list of one block and a tail whose first delta must change) is
 * added a block at a time while each fits in the pending block, then
 * entry by entry: the segment is the same as if every entry was added one
 * by one, but for the blocks copied. Of an input with deletions, or a
 * term of one passage (its length is not stored with it), entry by
 * entry. */
static int copy_postings(ls_segment_writer *w, input *in, ls_err *err)
{
    ls_postings p;
    int rc = ls_segment_postings(in->seg, in->it.key, &in->it.ti, &p, err);
    if (rc != SRCH_OK)
        return rc;
    uint32_t from = w->pw.prev + 1 == in->base ? 0 : 1;
    if (!in->del && p.df >= 2) {
        uint32_t b = 0;
        if (p.nfull > from) {
            if (from == 1 && (rc = ls_pw_cut(&w->pw)) == SRCH_OK &&
                ls_postings_to_block(&p, 0) == 0)
                rc = add_block(w, in, &p);
            if (rc == SRCH_OK && !p.corrupt)
                rc = ls_pw_copy_blocks(&w->pw, &p, from, p.nfull, in->base);
            b = p.nfull;
        }
        for (; rc == SRCH_OK && !p.corrupt && (b < p.nfull || (b == p.nfull && p.ntail)); b++) {
            if (ls_postings_to_block(&p, b) != 0)
                break;
            if (w->pw.n + p.n > LS_BLOCK) {   /* from its first entry on */
                rc = copy_entries(w, in, &p, 0);
                break;
            }
            rc = add_block(w, in, &p);
        }
    } else {
        rc = copy_entries(w, in, &p, 0);
    }
    if (rc == SRCH_OK && p.corrupt)
        return ls_err_set(err, SRCH_ECORRUPT, "segment %s: malformed postings",
                          in->seg->name);
    return rc;
}

static int merge_store(ls_segment_writer *w, input *in, ls_err *err)
{
    const ls_store *s = &in->seg->store;
    if (!in->del || in->del->count == 0) {
        /* nothing to drop: the compressed blocks are copied as they are */
        int rc = ls_store_append(&w->sw, s, err);
        for (uint32_t p = 0; p < s->npassages && rc == SRCH_OK; p++)
            rc = ls_segw_norms(w, ls_segment_norm(in->seg, p, LS_NORM_BODY),
                               ls_segment_norm(in->seg, p, LS_NORM_TITLE));
        return rc;
    }
    ls_store_cursor dc, pc;
    ls_store_cursor_init(&dc, s, 1);
    ls_store_cursor_init(&pc, s, 0);
    int rc = SRCH_OK;
    for (uint32_t k = 0; k < s->ndocs && rc == SRCH_OK; k++) {
        ls_doc_rec doc;
        if ((rc = ls_store_cursor_doc(&dc, &doc, err)) != SRCH_OK)
            break;
        if (doc.first_passage != pc.next || doc.npassages == 0 ||
            doc.npassages > s->npassages - doc.first_passage) {
            rc = ls_err_set(err, SRCH_ECORRUPT, "segment %s: document %u has bad passages",
                            in->seg->name, k);
            break;
        }
        int live = !ls_deleted(in->del, doc.first_passage);
        if (live) {
            doc.first_passage = new_id(in, doc.first_passage);
            rc = ls_store_add_doc(&w->sw, &doc);
        }
        for (uint32_t i = 0; i < doc.npassages && rc == SRCH_OK; i++) {
            ls_passage_rec pr;
            uint32_t p = pc.next;
            if ((rc = ls_store_cursor_passage(&pc, &pr, err)) != SRCH_OK)
                break;
            if (live)
                rc = ls_store_add_passage(&w->sw, i + 1, pr.start, pr.end, pr.stored,
                                          pr.stored_len);
            if (rc == SRCH_OK && live)
                rc = ls_segw_norms(w, ls_segment_norm(in->seg, p, LS_NORM_BODY),
                                   ls_segment_norm(in->seg, p, LS_NORM_TITLE));
        }
    }
    ls_store_cursor_free(&dc);
    ls_store_cursor_free(&pc);
    return rc;
}

/* The stored records of every input, in order (ls_segw_store_start()). */
typedef struct store_job {
    ls_segment_writer *w;
    input *in;
    ls_segment *const *segs;
    size_t n;
} store_job;

static int merge_stores(void *arg, ls_err *err)
{
    store_job *j = arg;
    int rc = SRCH_OK;
    for (size_t i = 0; i < j->n && rc == SRCH_OK; i++) {
        rc = merge_store(j->w, &j->in[i], err);
        ls_map_evict_range(&j->segs[i]->maps[4], 0, UINT64_MAX);
    }
    return rc;
}

/* The terms [from, to) of the inputs (from NULL: the first; to NULL: to
 * the last), merged into w. Each thread has its own inputs' iterators,
 * and drops the pages behind them (release_behind). */
typedef struct term_range {
    ls_segment_writer *w;
    input *in;
    ls_segment *const *segs;
    size_t n;
    uint32_t pairs;           /* the output's pairs id (0: drop the pairs) */
    const unsigned char *from, *to;
    size_t from_len, to_len;
    int rc;
    ls_err err;
} term_range;

/* Keep the inputs' pages out of our RSS and out of the page cache (they
 * are deleted after the merge; the pages the merge writes take their
 * memory): drop those of the term dictionary, postings and positions
 * behind what this thread has read, by steps of RELEASE_STEP (once each: a
 * page ahead is never dropped, so none is read twice). Not the store's
 * (the store thread's, dropped per input) nor the norms' (4 bytes a
 * passage, read at random for every entry copied). Pages another process
 * maps (a reader's) stay cached. */
#define RELEASE_STEP ((uint64_t)256 << 10)

static void release_behind(input *in)
{
    for (int k = 0; k < 3; k++) {
        uint64_t upto = in->reached[k] & ~(uint64_t)4095;
        if (upto > in->released[k] && upto - in->released[k] >= RELEASE_STEP) {
            ls_map_evict_range(&in->seg->maps[k], in->released[k], upto - in->released[k]);
            in->released[k] = upto;
        }
    }
}

static int merge_terms(term_range *r, ls_err *err)
{
    input *in = r->in;
    size_t n = r->n;
    ls_segment_writer *w = r->w;
    size_t *eq = malloc((n ? n : 1) * sizeof *eq);
    if (!eq)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory merging");
    int rc = SRCH_OK;
    for (size_t i = 0; i < n && rc == SRCH_OK; i++) {
        ls_term_iter_seek(&in[i].it, &r->segs[i]->td,
                          r->from ? r->from : (const unsigned char *)"", r->from_len);
        memset(in[i].reached, 0, sizeof in[i].reached);
        rc = advance(&in[i], err);
        for (int k = 0; k < 3; k++)   /* this thread's part starts here */
            in[i].released[k] = in[i].reached[k] & ~(uint64_t)4095;
    }
    uint64_t copied = 0;
    while (rc == SRCH_OK) {
        if (++copied % 1024 == 0)
            for (size_t i = 0; i < n; i++)
                release_behind(&in[i]);
        /* the smallest current key, and the inputs at it (in order) */
        input *min = NULL;
        size_t neq = 0;
        for (size_t i = 0; i < n; i++) {
            if (!in[i].has)
                continue;
            int c = min ? key_cmp(&in[i].it, &min->it) : -1;
            if (c < 0) {
                min = &in[i];
                neq = 0;
            }
            if (c <= 0)
                eq[neq++] = i;
        }
        if (!min || (r->to && ls_key_cmp(min->it.key, min->it.klen, r->to, r->to_len) >= 0))
            break;
        unsigned char key[LS_MAX_TERM_BYTES];
        size_t klen = min->it.klen;
        memcpy(key, min->it.key, klen);
        ls_segw_term_begin(w, key, klen);
        /* pairs made with different lists are dropped (written empty) */
        int drop = key[0] == LS_FIELD_PAIR && r->pairs == 0;
        /* an exact word keeps its stem if every input agrees on it */
        uint32_t stem_len = min->it.ti.stem_len;
        for (size_t e = 0; e < neq && rc == SRCH_OK; e++) {
            size_t i = eq[e];
            if (in[i].it.ti.stem_len != stem_len)
                stem_len = 0;
            ls_segw_term_stem(w, stem_len);
            if (!drop)
                rc = copy_postings(w, &in[i], err);
            if (rc == SRCH_OK)
                rc = advance(&in[i], err);
        }
        if (rc == SRCH_OK)
            rc = ls_segw_term_end(w);
    }
    free(eq);
    return rc;
}

static void *range_main(void *arg)
{
    term_range *r = arg;
    r->rc = merge_terms(r, &r->err);
    return NULL;
}

/* A key near the middle of the merge's work: in the input with the most
 * postings and positions, the first key of the block where half of them
 * lie behind (a thread costs little: any merge of more than one block of
 * terms is split). 0 when there is no such key. */
static size_t split_key(ls_segment *const *segs, size_t n, unsigned char *key)
{
    const ls_segment *big = NULL;
    for (size_t i = 0; i < n; i++)
        if (!big || segs[i]->meta.sizes[1] + segs[i]->meta.sizes[2] >
                        big->meta.sizes[1] + big->meta.sizes[2])
            big = segs[i];
    if (!big || big->td.nblocks < 2)
        return 0;
    const ls_termdict *td = &big->td;
    uint64_t half = (big->meta.sizes[1] + big->meta.sizes[2]) / 2;
    uint32_t b = 1;
    while (b + 1 < td->nblocks && td->doc_base[b] + td->pos_base[b] < half)
        b++;
    size_t len = td->first_len[b];
    if (len == 0 || len > LS_MAX_TERM_BYTES)
        return 0;
    memcpy(key, td->first[b], len);
    return len;
}

int ls_merge(const char *dir, ls_segment *const *segs, ls_deletes *const *dels, size_t n,
             uint64_t id, int durable, int threads, ls_segment_meta *meta, ls_err *err)
{
    input *in = calloc(n ? n : 1, sizeof *in);
    ls_segment_writer w;
    int rc = SRCH_OK, opened = 0;
    if (!in)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory merging");
    uint64_t base = 0;
    for (size_t i = 0; i < n; i++) {
        in[i].seg = segs[i];
        in[i].del = dels[i] && dels[i]->count ? dels[i] : NULL;
        in[i].base = (uint32_t)base;
        uint32_t np = segs[i]->meta.npassages;
        if (in[i].del) {
            size_t words = (np + 63) / 64;
            in[i].rank = malloc((words + 1) * sizeof *in[i].rank);
            if (!in[i].rank) {
                rc = ls_err_set(err, SRCH_ENOMEM, "out of memory merging");
                goto done;
            }
            uint32_t live = 0;
            for (size_t k = 0; k < words; k++) {
                in[i].rank[k] = live;
                live += 64 - (uint32_t)__builtin_popcountll(in[i].del->words[k]);
            }
            base += np - in[i].del->count;
        } else {
            base += np;
        }
    }
    if (base > LS_MAX_PASSAGES_PER_SEGMENT) {
        rc = ls_err_set(err, SRCH_ELIMIT, "merged segment would hold %llu passages",
                        (unsigned long long)base);
        goto done;
    }
    if ((rc = ls_segw_open(&w, dir, id, durable, err)) != SRCH_OK)
        goto done;
    opened = 1;
    /* the pairs are kept when every input was made with the same list */
    w.meta.pairs = n ? segs[0]->meta.pairs : 0;
    for (size_t i = 1; i < n; i++)
        if (segs[i]->meta.pairs != w.meta.pairs)
            w.meta.pairs = 0;
    uint64_t sum_len[LS_NORM_FIELDS] = {0}, npassages = 0;
    for (size_t i = 0; i < n; i++) {
        for (int f = 0; f < LS_NORM_FIELDS; f++)
            sum_len[f] += segs[i]->meta.sum_len[f];
        npassages += segs[i]->meta.npassages;
    }
    ls_segw_length_hint(&w, sum_len, npassages);
    store_job job = {&w, in, segs, n};
    ls_store_thread st;
    ls_segw_store_start(&st, &w, threads, merge_stores, &job);
    /* With threads, the terms from a key near the middle of the work on are
     * merged by a second thread into a half of the segment. */
    term_range ra = {.w = &w, .in = in, .segs = segs, .n = n, .pairs = w.meta.pairs};
    term_range rb = ra;
    unsigned char split[LS_MAX_TERM_BYTES];
    size_t split_len = threads > 1 ? split_key(segs, n, split) : 0;
    input *in_b = NULL;
    ls_segment_writer half;
    pthread_t thread;
    int started = 0;
    if (split_len && (in_b = malloc(n * sizeof *in_b)) &&
        ls_segw_open_half(&half, dir, &rb.err) == SRCH_OK) {
        ls_segw_length_hint(&half, sum_len, npassages);
        memcpy(in_b, in, n * sizeof *in_b);
        ra.to = rb.from = split;
        ra.to_len = rb.from_len = split_len;
        rb.w = &half;
        rb.in = in_b;
        if (pthread_create(&thread, NULL, range_main, &rb) == 0)
            started = 1;
        else
            ls_segw_free_half(&half);
    }
    if (!started) {
        ra.to = NULL;
        ra.to_len = 0;
    }
    rc = merge_terms(&ra, err);
    if (started) {
        pthread_join(thread, NULL);
        if (rc == SRCH_OK && rb.rc != SRCH_OK)
            rc = ls_err_set(err, rb.rc, "%s", rb.err.msg);
        if (rc == SRCH_OK)
            rc = ls_segw_append_half(&w, &half);
        ls_segw_free_half(&half);
    }
    free(in_b);
    rc = ls_segw_store_join(&st, rc);
    if (rc == SRCH_OK) {
        opened = 0;
        rc = ls_segw_finish(&w, meta);
    }
done:
    if (opened)
        ls_segw_abort(&w);
    for (size_t i = 0; i < n; i++)
        free(in[i].rank);
    free(in);
    return rc;
}
