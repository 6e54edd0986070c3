/*
 * writer.c - srch_index_*: the single writer of an index.
 *
 * The writer holds the directory's lock, the last commit (its manifest),
 * and its view of the index: the committed segments, segments flushed
 * since (not yet in any manifest), and for each segment its current
 * deletions, copied on first write so that the committed bitmap stays as
 * readers see it. New documents go to the in-memory segment (memseg.c),
 * which is flushed when it outgrows the RAM budget or at commit.
 *
 * Commit: flush; write a new deletion file for each segment whose deletions
 * changed; write the manifest of the next generation (the commit point,
 * manifest.c); then remove the files no longer referenced. If anything
 * fails before the manifest is in place, the files written by this attempt
 * are removed and the pending changes stay, so the commit can be retried.
 * Merges (merger.c), chosen by the policy (policy.c), are committed as
 * commits of their own.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/analyzer.h"
#include "index/idfilter.h"
#include "index/manifest.h"
#include "index/memseg.h"
#include "index/merger.h"
#include "index/pairs.h"
#include "index/pipeline.h"
#include "index/policy.h"
#include "index/segment.h"
#include "util/error.h"
#include "util/file.h"
#include "util/varint.h"

#define DEFAULT_RAM (64u << 20)
#define DEFAULT_PASSAGE 4096

/* A memseg being written by a thread of its own while the writer fills
 * the next one (a writer with a pipeline): its documents are in the view
 * from the hand-off on; deletions of them go to `del` until the segment
 * joins the view (reap_flush()). */
typedef struct bg_flush {
    ls_memseg *mem;           /* NULL: none */
    int running;              /* the thread is started */
    int failed;               /* it failed: mem is flushed again, here,
                                 before anything after it */
    pthread_t thread;
    uint64_t id;
    const char *dir;
    int durable;
    int rc;
    ls_err err;
    ls_segment_meta meta;
    ls_deletes *del;          /* its deletions (NULL: none), the writer's */
} bg_flush;

typedef struct wseg {
    ls_segment *seg;
    ls_deletes *del;          /* current deletions (NULL: none) */
    ls_deletes *committed_del;   /* as of the last commit */
    int del_dirty;
    int committed;            /* listed in the last manifest */
    ls_segment_meta meta;     /* as in the last manifest (or as flushed) */
    ls_idfilter *ids;         /* built on first use */
} wseg;

struct srch_index {
    ls_err err;
    char *dir;
    int lock_fd;
    int durable;
    int auto_merge;
    size_t ram_budget;
    ls_policy policy;
    srch_analyzer *an;
    ls_memseg *mem;
    ls_memseg *spare;         /* for the next hand-off, or NULL */
    bg_flush bg;
    size_t retry_at;          /* after a failed flush: the memseg's size at
                                 which to try again */
    ls_pipeline *pipe;        /* background analysis, or NULL */
    ls_prep prep;             /* analysis in the calling thread */
    ls_manifest man;          /* last commit */
    wseg *segs;
    size_t nsegs, cap;
    ls_idfilter all_ids;      /* ids of every segment of the view (or a
                                 superset: merges and rollbacks only take
                                 ids away); built on first use */
    int dirty;                /* changes since the last commit */
};

SRCH_API const char *srch_index_errmsg(const srch_index *ix)
{
    return ix ? ix->err.msg : "";
}

SRCH_API const char *srch_index_language(const srch_index *ix)
{
    return ix ? ix->man.language : "";
}

static void wseg_release(wseg *w)
{
    if (w->ids) {
        ls_idfilter_free(w->ids);
        free(w->ids);
    }
    ls_segment_unref(w->seg);
    ls_deletes_unref(w->del);
    ls_deletes_unref(w->committed_del);
    memset(w, 0, sizeof *w);
}

static int push_seg(srch_index *ix, const wseg *w)
{
    if (ix->nsegs == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 16;
        wseg *v = realloc(ix->segs, cap * sizeof *v);
        if (!v)
            return ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory");
        ix->segs = v;
        ix->cap = cap;
    }
    ix->segs[ix->nsegs++] = *w;
    return SRCH_OK;
}

static void remove_segment_files(const char *dir, uint64_t id)
{
    char name[64], path[PATH_MAX];
    for (int k = 0; k < LS_SEGMENT_FILES; k++) {
        ls_segment_file(name, sizeof name, id, k);
        remove(ls_path(path, dir, name));
    }
}

/* Is `name` a file this library writes (and may therefore delete)? */
static int is_index_file(const char *name)
{
    if (strncmp(name, LS_MANIFEST_PREFIX, strlen(LS_MANIFEST_PREFIX)) == 0)
        return 1;   /* manifests and their temporary files */
    if (name[0] != 's')
        return 0;
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    if (strcmp(dot, ".del") == 0)
        return 1;
    for (int k = 0; k < LS_SEGMENT_FILES; k++)
        if (strcmp(dot + 1, ls_file_ext[k]) == 0)
            return 1;
    return 0;
}

/* A directory we may turn into an index: nothing but index files in it. */
static int dir_is_free(const char *dir)
{
    char **names;
    size_t n;
    if (ls_list_dir(dir, &names, &n, NULL) != SRCH_OK)
        return 0;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++)
        ok = strcmp(names[i], "LOCK") == 0 || is_index_file(names[i]);
    ls_free_names(names, n);
    return ok;
}

/* Remove every index file that neither the last commit nor the writer's
 * view references (crash leftovers, merged-away segments, old manifests and
 * deletion files). Failures are ignored: a leftover is retried next time. */
static void remove_unreferenced(srch_index *ix)
{
    char **names;
    size_t n;
    if (ls_list_dir(ix->dir, &names, &n, NULL) != SRCH_OK)
        return;
    char keep[64], path[PATH_MAX];
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        if (!is_index_file(name))
            continue;
        ls_manifest_name(keep, sizeof keep, ix->man.generation);
        int referenced = strcmp(name, keep) == 0;
        for (size_t s = 0; s < ix->nsegs && !referenced; s++) {
            const wseg *w = &ix->segs[s];
            for (int k = 0; k < LS_SEGMENT_FILES && !referenced; k++) {
                ls_segment_file(keep, sizeof keep, w->meta.id, k);
                referenced = strcmp(name, keep) == 0;
            }
            if (!referenced && w->committed && w->meta.del_gen) {
                ls_deletes_file(keep, sizeof keep, w->meta.id, w->meta.del_gen);
                referenced = strcmp(name, keep) == 0;
            }
        }
        if (!referenced)
            remove(ls_path(path, ix->dir, name));
    }
    ls_free_names(names, n);
}

/* Open (and verify: every byte is read) the committed segments [from, n)
 * by steps of `step` into ws. */
typedef struct open_job {
    const srch_index *ix;
    wseg *ws;
    int *rcs;
    ls_err *errs;
    size_t from, step, n;
} open_job;

static void open_some(const open_job *j)
{
    for (size_t i = j->from; i < j->n; i += j->step) {
        wseg *w = &j->ws[i];
        w->meta = j->ix->man.segs[i];
        w->committed = 1;
        int rc = ls_segment_open(&w->seg, j->ix->dir, &w->meta, LS_MAP_VERIFY | LS_MAP_RELEASE,
                                 &j->errs[i]);
        if (rc == SRCH_OK && (rc = ls_deletes_read(&w->committed_del, j->ix->dir, &w->meta,
                                                   &j->errs[i])) != SRCH_OK) {
            ls_segment_unref(w->seg);
            w->seg = NULL;
        }
        if (rc == SRCH_OK) {
            w->del = w->committed_del;
            ls_deletes_ref(w->del);
        }
        j->rcs[i] = rc;
    }
}

static void *open_main(void *arg)
{
    open_some(arg);
    return NULL;
}

/* The committed segments, opened by two threads when asked (threads > 1:
 * verifying them is reading them whole, 50 ms for the Littré's six); the
 * first failure, in the manifest's order, is the one reported. */
static int open_committed_segments(srch_index *ix, int threads)
{
    size_t n = ix->man.nsegs;
    if (n == 0)
        return SRCH_OK;
    wseg *ws = calloc(n, sizeof *ws);
    int *rcs = calloc(n, sizeof *rcs);
    ls_err *errs = calloc(n, sizeof *errs);
    if (!ws || !rcs || !errs) {
        free(ws);
        free(rcs);
        free(errs);
        return ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory");
    }
    open_job a = {ix, ws, rcs, errs, 0, 1, n}, b = a;
    pthread_t t;
    int started = 0;
    if (threads > 1 && n > 1) {
        a.step = b.step = 2;
        b.from = 1;
        started = pthread_create(&t, NULL, open_main, &b) == 0;
        if (!started)
            a.step = 1;
    }
    open_some(&a);
    if (started)
        pthread_join(t, NULL);
    int rc = SRCH_OK;
    size_t i = 0;
    for (; i < n && rc == SRCH_OK; i++) {
        if (rcs[i] != SRCH_OK) {
            rc = ls_err_set(&ix->err, rcs[i], "%s", errs[i].msg);
            wseg_release(&ws[i]);
        } else if ((rc = push_seg(ix, &ws[i])) != SRCH_OK) {
            wseg_release(&ws[i]);
        }
    }
    for (; i < n; i++)   /* after a failure: those not pushed */
        wseg_release(&ws[i]);
    free(ws);
    free(rcs);
    free(errs);
    return rc;
}

SRCH_API void srch_index_close(srch_index *ix)
{
    if (!ix)
        return;
    if (ix->dirty)
        srch_index_rollback(ix);
    ls_pipeline_free(ix->pipe);
    ls_prep_free(&ix->prep);
    ls_idfilter_free(&ix->all_ids);
    for (size_t i = 0; i < ix->nsegs; i++)
        wseg_release(&ix->segs[i]);
    free(ix->segs);
    if (ix->bg.running)
        pthread_join(ix->bg.thread, NULL);
    ls_memseg_free(ix->bg.mem);
    ls_deletes_unref(ix->bg.del);
    ls_memseg_free(ix->mem);
    ls_memseg_free(ix->spare);
    srch_analyzer_free(ix->an);
    ls_manifest_free(&ix->man);
    ls_lock_release(ix->lock_fd);
    free(ix->dir);
    free(ix);
}

static int consume_prepared(void *ctx, ls_prep *preps, size_t n);

static int new_memseg(srch_index *ix, ls_memseg **out)
{
    int rc = ls_memseg_new(out, ix->man.max_passage_bytes, &ix->err);
    if (rc == SRCH_OK)
        ls_memseg_set_pairs(*out, ls_pairs_for(ix->man.language));
    return rc;
}

SRCH_API int srch_index_open(srch_index **out, const char *path, const srch_index_options *opts)
{
    srch_index_options defaults = SRCH_INDEX_OPTIONS_INIT;
    if (!out || !path || !*path)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_index_open: NULL argument");
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (opts->version < 1 || opts->version > SRCH_INDEX_OPTIONS_VERSION)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_index_options: unknown version %u",
                          opts->version);
    srch_index *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->dir = strdup(path))) {
        free(ix);
        return ls_err_set(NULL, SRCH_ENOMEM, "out of memory opening %s", path);
    }
    ix->lock_fd = -1;
    ix->durable = opts->durable;
    ix->auto_merge = opts->auto_merge;
    ix->ram_budget = opts->ram_budget ? opts->ram_budget : DEFAULT_RAM;
    ix->policy.segments_per_tier = opts->segments_per_tier > 1 ? opts->segments_per_tier : 10;
    ix->policy.max_merge_at_once = opts->max_merge_at_once > 1 ? opts->max_merge_at_once : 10;
    ix->policy.floor_bytes = opts->floor_segment_bytes ? opts->floor_segment_bytes : 2u << 20;
    ix->policy.max_merged_bytes = opts->max_merged_bytes ? opts->max_merged_bytes : 5ull << 30;
    int rc;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (!opts->create) {
            rc = ls_err_set(&ix->err, SRCH_ENOTFOUND, "%s: no such index", path);
            goto fail;
        }
        if ((rc = ls_mkdir_p(path, &ix->err)) != SRCH_OK)
            goto fail;
    } else if (!S_ISDIR(st.st_mode)) {
        rc = ls_err_set(&ix->err, SRCH_EINVAL, "%s: not a directory", path);
        goto fail;
    }
    if ((rc = ls_lock_acquire(path, &ix->lock_fd, &ix->err)) != SRCH_OK)
        goto fail;
    rc = ls_manifest_read_latest(&ix->man, path, &ix->err);
    if (rc == SRCH_ENOTFOUND) {
        if (!opts->create) {
            rc = ls_err_set(&ix->err, SRCH_ENOTFOUND, "%s: no index here", path);
            goto fail;
        }
        if (!dir_is_free(path)) {
            rc = ls_err_set(&ix->err, SRCH_EINVAL,
                            "%s: not an index, and not empty (refusing to create one there)",
                            path);
            goto fail;
        }
        /* a new index: commit generation 1, empty */
        srch_analyzer_options ao = SRCH_ANALYZER_OPTIONS_INIT;
        ao.language = opts->language;
        if ((rc = srch_analyzer_new(&ix->an, &ao)) != SRCH_OK) {
            ls_err_set(&ix->err, rc, "%s", srch_errmsg());
            goto fail;
        }
        memset(&ix->man, 0, sizeof ix->man);
        ix->man.generation = 1;
        ix->man.next_segment = 1;
        snprintf(ix->man.language, sizeof ix->man.language, "%s",
                 srch_analyzer_language(ix->an));
        ix->man.max_passage_bytes =
            (uint32_t)(opts->max_passage_bytes ? opts->max_passage_bytes : DEFAULT_PASSAGE);
        int in_place;
        if ((rc = ls_manifest_write(&ix->man, path, ix->durable, &in_place, &ix->err)) != SRCH_OK)
            goto fail;
    } else if (rc != SRCH_OK) {
        goto fail;
    } else {
        srch_analyzer_options ao = SRCH_ANALYZER_OPTIONS_INIT;
        ao.language = ix->man.language;
        if ((rc = srch_analyzer_new(&ix->an, &ao)) != SRCH_OK) {
            ls_err_set(&ix->err, SRCH_ECORRUPT, "%s: unknown language '%s' in the manifest",
                       path, ix->man.language);
            rc = SRCH_ECORRUPT;
            goto fail;
        }
        int threads = opts->threads ? opts->threads
                                    : sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
        if ((rc = open_committed_segments(ix, threads)) != SRCH_OK)
            goto fail;
    }
    if ((rc = new_memseg(ix, &ix->mem)) != SRCH_OK)
        goto fail;
    if (rc != SRCH_OK)
        goto fail;
    if (opts->threads == 2 || (opts->threads == 0 && sysconf(_SC_NPROCESSORS_ONLN) > 1))
        if ((rc = ls_pipeline_new(&ix->pipe, ix->man.language, ix->man.max_passage_bytes,
                                  ix->an, consume_prepared, ix, &ix->err)) != SRCH_OK)
            goto fail;
    /* with a pipeline, the worker analyzes most documents: this thread's
     * analyzer, which helps only when the worker falls behind, makes do
     * with smaller caches (they count in the writer's memory) */
    if (ix->pipe)
        ls_analyzer_shrink_caches(ix->an, 2);
    remove_unreferenced(ix);
    *out = ix;
    return SRCH_OK;
fail:
    ls_err_set(NULL, rc, "%s", ix->err.msg);
    srch_index_close(ix);
    return rc;
}

/* The writable deletions of segment w (copied from the committed ones on
 * first write). */
static ls_deletes *writable_deletes(wseg *w)
{
    if (w->del && w->del != w->committed_del)
        return w->del;
    ls_deletes *d = w->del ? ls_deletes_copy(w->del) : ls_deletes_new(w->meta.npassages);
    if (!d)
        return NULL;
    ls_deletes_unref(w->del);
    w->del = d;
    return d;
}

typedef struct found {
    size_t seg;               /* BG_SEG: the memseg being flushed */
    uint32_t first, count;
} found;

#define BG_SEG SIZE_MAX

/* The writer-wide id filter, (re)built when missing or overfull. */
static int ensure_all_ids(srch_index *ix)
{
    if (ix->all_ids.bits && ix->all_ids.count <= ix->all_ids.capacity)
        return SRCH_OK;
    uint64_t n = 0;
    for (size_t s = 0; s < ix->nsegs; s++)
        n += ix->segs[s].seg->td.nid_terms;
    ls_idfilter_free(&ix->all_ids);
    /* room for as many ids again before the next rebuild */
    int rc = ls_idfilter_init(&ix->all_ids, 2 * n + 4096, &ix->err);
    for (size_t s = 0; s < ix->nsegs && rc == SRCH_OK; s++)
        rc = ls_idfilter_add_segment(&ix->all_ids, ix->segs[s].seg, &ix->err);
    if (rc != SRCH_OK)
        ls_idfilter_free(&ix->all_ids);
    return rc;
}

/* The live documents with this id (h: its ls_idfilter_hash()) in the
 * segments (at most a few). */
static int find_id(srch_index *ix, const char *id, size_t id_len, uint64_t h, found *hits,
                   size_t max, size_t *nhits)
{
    unsigned char key[LS_MAX_TERM_BYTES];
    key[0] = LS_FIELD_ID;
    memcpy(key + 1, id, id_len);
    *nhits = 0;
    uint32_t first, count;
    if (ix->bg.mem && ls_memseg_lookup(ix->bg.mem, id, id_len, h, &first, &count) &&
        !ls_deleted(ix->bg.del, first))
        hits[(*nhits)++] = (found){BG_SEG, first, count};
    if (ix->nsegs == 0)
        return SRCH_OK;
    int frc = ensure_all_ids(ix);
    if (frc != SRCH_OK)
        return frc;
    if (!ls_idfilter_maybe(&ix->all_ids, h))
        return SRCH_OK;
    for (size_t s = 0; s < ix->nsegs; s++) {
        wseg *w = &ix->segs[s];
        if (!w->ids) {
            ls_idfilter *f = calloc(1, sizeof *f);
            if (!f)
                return ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory");
            int rc = ls_idfilter_build(f, w->seg, &ix->err);
            if (rc != SRCH_OK) {
                free(f);
                return rc;
            }
            w->ids = f;
        }
        if (!ls_idfilter_maybe(w->ids, h))
            continue;
        ls_term_info ti;
        int r = ls_termdict_get(&w->seg->td, key, id_len + 1, &ti);
        if (r < 0)
            return ls_err_set(&ix->err, SRCH_ECORRUPT, "segment %s: malformed term dictionary",
                              w->seg->name);
        if (r == 0)
            continue;
        ls_postings p;
        int rc = ls_segment_postings(w->seg, key, &ti, &p, &ix->err);
        if (rc != SRCH_OK)
            return rc;
        for (uint32_t d = ls_postings_next(&p); d != LS_NO_DOC; d = ls_postings_next(&p))
            if (!ls_deleted(w->del, d) && *nhits < max) {
                hits[*nhits].seg = s;
                hits[*nhits].first = d;
                hits[*nhits].count = ls_postings_freq(&p);
                (*nhits)++;
            }
        if (p.corrupt)
            return ls_err_set(&ix->err, SRCH_ECORRUPT, "segment %s: malformed postings",
                              w->seg->name);
    }
    return SRCH_OK;
}

/* Deleting an id is prepared (found, bitmaps made writable: everything
 * that can fail) and then applied (cannot fail), so that a failed call
 * changes nothing. */
typedef struct pending_delete {
    found hits[16];
    size_t n;
} pending_delete;

/* The segments' part: the memseg's is done by ls_memseg_add() or
 * ls_memseg_find(). */
static int prepare_delete(srch_index *ix, const char *id, size_t id_len, uint64_t h,
                          pending_delete *pd)
{
    int rc = find_id(ix, id, id_len, h, pd->hits, 16, &pd->n);
    if (rc != SRCH_OK)
        return rc;
    for (size_t i = 0; i < pd->n; i++) {
        if (pd->hits[i].seg == BG_SEG) {
            if (!ix->bg.del && !(ix->bg.del = ls_deletes_new(ls_memseg_passages(ix->bg.mem))))
                return ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory deleting '%s'", id);
        } else if (!writable_deletes(&ix->segs[pd->hits[i].seg])) {
            return ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory deleting '%s'", id);
        }
    }
    return SRCH_OK;
}

static void apply_delete(srch_index *ix, const pending_delete *pd)
{
    for (size_t i = 0; i < pd->n; i++) {
        if (pd->hits[i].seg == BG_SEG) {
            ls_deletes_mark(ix->bg.del, pd->hits[i].first, pd->hits[i].count);
            continue;
        }
        wseg *w = &ix->segs[pd->hits[i].seg];
        ls_deletes_mark(w->del, pd->hits[i].first, pd->hits[i].count);
        w->del_dirty = 1;
    }
}

static void add_to_filter(void *ctx, const char *id, size_t len)
{
    ls_idfilter_add_id(ctx, id, len);
}

/* Add a flushed segment (its deletions in del) to the view. The memseg it
 * was written from is reset, its ids in the writer's filter first (from
 * its records: the segment's own pages are not read). */
static int adopt_segment(srch_index *ix, ls_memseg *mem, const ls_segment_meta *meta,
                         ls_deletes *del)
{
    wseg w = {0};
    w.meta = *meta;
    w.del = del;
    int rc;
    if ((rc = ls_segment_open(&w.seg, ix->dir, &w.meta, 0, &ix->err)) != SRCH_OK ||
        (rc = push_seg(ix, &w)) != SRCH_OK) {
        ls_segment_unref(w.seg);
        ls_deletes_unref(del);
        remove_segment_files(ix->dir, meta->id);
        return rc;
    }
    ix->segs[ix->nsegs - 1].del_dirty = del != NULL;
    if (ix->all_ids.bits)
        ls_memseg_each_id(mem, add_to_filter, &ix->all_ids);
    ls_memseg_reset(mem);
    /* what opening the new segment read need not stay in our RSS: the
     * pages fault back in when used */
    for (int k = 0; k < LS_SEGMENT_FILES; k++)
        ls_map_release(&w.seg->maps[k]);
    return SRCH_OK;
}

static void *bg_main(void *arg)
{
    bg_flush *b = arg;
    ls_deletes *del;
    b->rc = ls_memseg_flush(b->mem, b->dir, b->id, b->durable, 2, &b->meta, &del, &b->err);
    ls_deletes_unref(del);   /* b->del has them, and the writer's since */
    return NULL;
}

/* The background flush is over (or was never started): its segment is in
 * the view and its memseg the spare. A failed one is flushed again here;
 * when that fails too its documents stay where they are, for a retry. */
static int reap_flush(srch_index *ix)
{
    bg_flush *b = &ix->bg;
    if (!b->mem)
        return SRCH_OK;
    if (b->running) {
        pthread_join(b->thread, NULL);
        b->running = 0;
        if (b->rc != SRCH_OK) {
            b->failed = 1;
            ls_err_set(&ix->err, b->rc, "%s", b->err.msg);
        }
    }
    if (b->failed) {
        ls_deletes *del;
        int rc = ls_memseg_flush(b->mem, ix->dir, b->id, ix->durable, ix->pipe ? 2 : 1, &b->meta,
                                 &del, &ix->err);
        if (rc != SRCH_OK)
            return rc;
        ls_deletes_unref(del);
        b->failed = 0;
    }
    int rc = adopt_segment(ix, b->mem, &b->meta, b->del);
    b->del = NULL;
    if (rc != SRCH_OK) {
        /* the segment is lost but its documents are not: flush again */
        b->failed = 1;
        return rc;
    }
    ix->spare = b->mem;
    b->mem = NULL;
    return SRCH_OK;
}

/* Forget the background flush (rollback): its files go. */
static void drop_flush(srch_index *ix)
{
    bg_flush *b = &ix->bg;
    if (!b->mem)
        return;
    if (b->running) {
        pthread_join(b->thread, NULL);
        b->running = 0;
    }
    remove_segment_files(ix->dir, b->id);
    ls_deletes_unref(b->del);
    b->del = NULL;
    b->failed = 0;
    ls_memseg_reset(b->mem);
    ix->spare = b->mem;
    b->mem = NULL;
}

/* Write the memseg as a new (uncommitted) segment of the view: with
 * background set (a writer with a pipeline, the budget spent), by a thread
 * of its own while a spare memseg takes the next documents; else here. A
 * background flush still running is waited for first: segments join the
 * view in the order of their documents. */
static int flush(srch_index *ix, int background)
{
    int rc = reap_flush(ix);
    if (rc != SRCH_OK || ls_memseg_docs(ix->mem) == 0)
        return rc;
    uint64_t id = ix->man.next_segment;
    if (background && (ix->spare || new_memseg(ix, &ix->spare) == SRCH_OK)) {
        bg_flush *b = &ix->bg;
        ls_memseg *mem = ix->mem;
        ls_deletes *del = NULL;
        uint32_t np = ls_memseg_passages(mem), ndel, ndel_docs;
        ls_memseg_deletions(mem, &ndel, &ndel_docs);
        if (ndel) {   /* the writer's copy of its deletions */
            if (!(del = ls_deletes_new(np)))
                return ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory flushing");
            memcpy(del->words, ls_memseg_deleted(mem), ((size_t)np + 63) / 64 * 8);
            del->count = ndel;
            del->docs = ndel_docs;
        }
        memset(b, 0, sizeof *b);
        b->mem = mem;
        b->id = id;
        b->dir = ix->dir;
        b->durable = ix->durable;
        b->del = del;
        ix->mem = ix->spare;
        ix->spare = NULL;
        ix->man.next_segment++;
        if (pthread_create(&b->thread, NULL, bg_main, b) == 0) {
            b->running = 1;
            return SRCH_OK;
        }
        b->failed = 1;   /* no thread: here, then */
        return reap_flush(ix);
    }
    ls_segment_meta meta;
    ls_deletes *del;
    if ((rc = ls_memseg_flush(ix->mem, ix->dir, id, ix->durable, ix->pipe ? 2 : 1, &meta, &del,
                              &ix->err)) != SRCH_OK)
        return rc;
    if ((rc = adopt_segment(ix, ix->mem, &meta, del)) == SRCH_OK)
        ix->man.next_segment++;
    return rc;
}

/* After a document: flush if the budget is spent. While a background
 * flush runs, the next memseg may fill up to an eighth of the budget, then
 * waits for it: what the writer holds, the flush's own arrays included,
 * stays within about 1.5 times the budget. */
static int check_budget(srch_index *ix)
{
    size_t bytes = ls_memseg_bytes(ix->mem);
    if (ix->bg.running && bytes >= ix->ram_budget / 8) {
        int rc = reap_flush(ix);
        if (rc != SRCH_OK)
            return rc;
    }
    if (bytes < ix->ram_budget || bytes < ix->retry_at)
        return SRCH_OK;
    int rc = flush(ix, ix->pipe != NULL);
    /* failed (a full disk, say): the documents wait in memory, and the
     * next try comes once another eighth of the budget has come in, not
     * at every document */
    ix->retry_at = rc == SRCH_OK ? 0 : bytes + ix->ram_budget / 8;
    return rc;
}

static int check_doc(srch_index *ix, const srch_document *doc)
{
    if (!doc || doc->version < 1 || doc->version > SRCH_DOCUMENT_VERSION)
        return ls_err_set(&ix->err, SRCH_EINVAL, "srch_document: missing or unknown version");
    if (!doc->id || !*doc->id)
        return ls_err_set(&ix->err, SRCH_EINVAL, "document without an id");
    size_t id_len = strlen(doc->id);
    if (id_len > SRCH_MAX_ID_BYTES)
        return ls_err_set(&ix->err, SRCH_EINVAL, "document id of %zu bytes (limit %d)", id_len,
                          SRCH_MAX_ID_BYTES);
    if (doc->title && strlen(doc->title) > SRCH_MAX_TITLE_BYTES)
        return ls_err_set(&ix->err, SRCH_EINVAL, "document '%s': title over %d bytes",
                          doc->id, SRCH_MAX_TITLE_BYTES);
    if (!doc->text && doc->text_len)
        return ls_err_set(&ix->err, SRCH_EINVAL, "document '%s': NULL text", doc->id);
    if (doc->nfields && !doc->fields)
        return ls_err_set(&ix->err, SRCH_EINVAL, "document '%s': NULL fields", doc->id);
    for (size_t i = 0; i < doc->nfields; i++)
        if (!doc->fields[i].name || (!doc->fields[i].value && doc->fields[i].value_len))
            return ls_err_set(&ix->err, SRCH_EINVAL, "document '%s': field %zu is NULL",
                              doc->id, i);
    return SRCH_OK;
}

/* Add an analyzed document: older versions with its id are deleted once
 * it is in (a failure changes nothing); then flush if the budget is
 * spent. */
static int add_prepared(srch_index *ix, ls_prep *pr)
{
    pending_delete pd;
    int rc = prepare_delete(ix, pr->doc->id, strlen(pr->doc->id), pr->id_hash, &pd);
    if (rc != SRCH_OK)
        return rc;
    int replaced;
    if ((rc = ls_memseg_add_prepared(ix->mem, pr, &replaced, &ix->err)) != SRCH_OK)
        return rc;
    apply_delete(ix, &pd);
    ix->dirty = 1;
    return check_budget(ix);
}

/* What adding pr will read, loaded ahead (records: see
 * ls_memseg_prefetch()): the id's slots in the memseg, in the one being
 * flushed and in the writer's id filter; its types' slots or records. */
static void prefetch_prepared(const srch_index *ix, const ls_prep *pr, int records)
{
    ls_memseg_prefetch(ix->mem, pr, records);
    if (records)
        return;
    if (ix->bg.mem)
        ls_memseg_prefetch_id(ix->bg.mem, pr->id_hash);
    ls_idfilter_prefetch(&ix->all_ids, pr->id_hash);
}

/* Add documents analyzed by the pipeline, in order; each one's slots are
 * loaded SLOTS_AHEAD documents ahead and its records RECS_AHEAD ahead (a
 * random memory access per id and per token: the in-passage prefetches of
 * ls_memseg_invert() alone leave too little time on passages of 14 tokens;
 * id_slot() and the id filter fell from 4.6% of indexing to under 1%). */
#define SLOTS_AHEAD 4
#define RECS_AHEAD 2

static int consume_prepared(void *ctx, ls_prep *preps, size_t n)
{
    srch_index *ix = ctx;
    int first = SRCH_OK;
    for (size_t i = 0; i < n && i < SLOTS_AHEAD; i++)
        prefetch_prepared(ix, &preps[i], 0);
    for (size_t i = 0; i < n && i < RECS_AHEAD; i++)
        prefetch_prepared(ix, &preps[i], 1);
    for (size_t i = 0; i < n; i++) {
        if (i + SLOTS_AHEAD < n)
            prefetch_prepared(ix, &preps[i + SLOTS_AHEAD], 0);
        if (i + RECS_AHEAD < n)
            prefetch_prepared(ix, &preps[i + RECS_AHEAD], 1);
        int rc = add_prepared(ix, &preps[i]);
        if (rc != SRCH_OK && first == SRCH_OK)
            first = rc;
    }
    return first;
}

/* Everything queued for the background analysis is in the memseg. */
static int settle_queue(srch_index *ix)
{
    return ix->pipe ? ls_pipeline_drain(ix->pipe) : SRCH_OK;
}

SRCH_API int srch_index_add(srch_index *ix, const srch_document *doc)
{
    if (!ix)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_index_add: NULL index");
    int rc = check_doc(ix, doc);
    if (rc != SRCH_OK)
        return rc;
    if (doc->text_len >= UINT32_MAX)
        return ls_err_set(&ix->err, SRCH_EINVAL, "document '%s': body of %zu bytes (limit 4 GiB)",
                          doc->id, doc->text_len);
    if (ix->pipe && doc->text_len < (8u << 20)) {
        ix->dirty = 1;
        rc = ls_pipeline_add(ix->pipe, doc);
        if (rc != SRCH_OK)
            ls_err_set(&ix->err, rc, "%s", srch_errmsg());
        return rc;
    }
    /* in this thread: after what is queued, to keep the order */
    if ((rc = settle_queue(ix)) != SRCH_OK)
        return rc;
    rc = ls_prep_analyze(&ix->prep, ix->an, doc, ix->man.max_passage_bytes, &ix->err);
    if (rc == SRCH_OK)
        rc = add_prepared(ix, &ix->prep);
    ix->prep.doc = NULL;
    return rc;
}

SRCH_API int srch_index_delete(srch_index *ix, const char *id)
{
    if (!ix || !id)
        return ls_err_set(ix ? &ix->err : NULL, SRCH_EINVAL, "srch_index_delete: NULL argument");
    size_t id_len = strlen(id);
    if (id_len == 0 || id_len > SRCH_MAX_ID_BYTES)
        return ls_err_set(&ix->err, SRCH_ENOTFOUND, "no document '%s'", id);
    int rc = settle_queue(ix);
    if (rc != SRCH_OK)
        return rc;
    pending_delete pd;
    rc = prepare_delete(ix, id, id_len, ls_idfilter_hash(id, id_len), &pd);
    if (rc != SRCH_OK)
        return rc;
    uint32_t first, count;
    int in_mem = ls_memseg_find(ix->mem, id, id_len, &first, &count);
    /* (the memseg being flushed, if any, is one of the segments for this) */
    if (pd.n == 0 && !in_mem)
        return ls_err_set(&ix->err, SRCH_ENOTFOUND, "no document '%s'", id);
    apply_delete(ix, &pd);
    if (in_mem)
        ls_memseg_delete_doc(ix->mem, first, count);
    ix->dirty = 1;
    return SRCH_OK;
}

/* The commit `m` is done: the view becomes the committed state. */
static void adopt_commit(srch_index *ix, ls_manifest *m)
{
    size_t k = 0, j = 0;
    for (size_t i = 0; i < ix->nsegs; i++) {
        wseg *w = &ix->segs[i];
        if (j < m->nsegs && m->segs[j].id == w->meta.id) {
            w->meta = m->segs[j++];
            w->committed = 1;
            w->del_dirty = 0;
            if (w->committed_del != w->del) {
                ls_deletes_unref(w->committed_del);
                w->committed_del = w->del;
                ls_deletes_ref(w->del);
            }
            ix->segs[k++] = *w;
        } else {
            wseg_release(w);
        }
    }
    ix->nsegs = k;
    ls_manifest_free(&ix->man);
    ix->man = *m;
    memset(m, 0, sizeof *m);
    ix->dirty = 0;
    remove_unreferenced(ix);
}

/* Write the view as the next commit. *committed tells whether the commit
 * happened, which a failure after the commit point does not undo. */
static int write_commit(srch_index *ix, int *committed)
{
    *committed = 0;
    ls_manifest m;
    int rc = ls_manifest_copy(&m, &ix->man);
    if (rc != SRCH_OK)
        return ls_err_set(&ix->err, rc, "out of memory committing");
    m.generation = ix->man.generation + 1;
    free(m.segs);
    m.segs = calloc(ix->nsegs ? ix->nsegs : 1, sizeof *m.segs);
    if (!m.segs)
        return ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory committing");
    m.nsegs = 0;
    for (size_t i = 0; i < ix->nsegs && rc == SRCH_OK; i++) {
        wseg *w = &ix->segs[i];
        ls_segment_meta meta = w->meta;
        if (w->del && w->del->count == meta.npassages)
            continue;   /* everything deleted: the segment leaves the index */
        if (w->del_dirty && w->del && w->del->count) {
            rc = ls_deletes_write(w->del, ix->dir, meta.id, m.generation, ix->durable,
                                  &meta.del_size, &ix->err);
            meta.del_gen = m.generation;
            meta.ndeleted = w->del->count;
            meta.ndeleted_docs = w->del->docs;
        }
        m.segs[m.nsegs++] = meta;
    }
    if (rc == SRCH_OK && ix->durable) {
        /* the new segment and deletion files are fsynced; their directory
         * entries are made durable before the manifest names them */
        rc = ls_fsync_dir(ix->dir, &ix->err);
    }
    int in_place = 0;
    if (rc == SRCH_OK)
        rc = ls_manifest_write(&m, ix->dir, ix->durable, &in_place, &ix->err);
    if (rc != SRCH_OK && in_place) {
        /* The manifest is in place: the commit is visible and its files are
         * referenced, so the state is adopted; the caller still learns that
         * durability is in doubt. */
        char why[LS_ERRMSG_MAX];
        snprintf(why, sizeof why, "%s", ix->err.msg);
        int code = rc;
        adopt_commit(ix, &m);
        *committed = 1;
        return ls_err_set(&ix->err, code, "commit %llu is visible but may not survive a "
                          "power loss: %s", (unsigned long long)ix->man.generation, why);
    }
    if (rc != SRCH_OK) {
        /* remove this attempt's deletion files; keep the pending state */
        char name[64], path[PATH_MAX];
        for (size_t i = 0; i < ix->nsegs; i++)
            if (ix->segs[i].del_dirty) {
                ls_deletes_file(name, sizeof name, ix->segs[i].meta.id, m.generation);
                remove(ls_path(path, ix->dir, name));
            }
        ls_manifest_free(&m);
        return rc;
    }
    adopt_commit(ix, &m);
    *committed = 1;
    return SRCH_OK;
}

static void policy_segs(const srch_index *ix, ls_policy_seg *ps)
{
    for (size_t i = 0; i < ix->nsegs; i++) {
        const ls_segment_meta *m = &ix->segs[i].meta;
        ps[i].bytes = 0;
        for (int k = 0; k < LS_SEGMENT_FILES; k++)
            ps[i].bytes += m->sizes[k];
        ps[i].passages = m->npassages;
        ps[i].deleted = ix->segs[i].del ? ix->segs[i].del->count : 0;
    }
}

/* Merge the picked segments of the (fully committed) view and commit. */
static int run_merge(srch_index *ix, const size_t *pick, size_t n)
{
    ls_segment **segs = malloc(n * sizeof *segs);
    ls_deletes **dels = malloc(n * sizeof *dels);
    int rc = SRCH_OK;
    if (!segs || !dels) {
        rc = ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory merging");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        segs[i] = ix->segs[pick[i]].seg;
        dels[i] = ix->segs[pick[i]].del;
    }
    uint64_t id = ix->man.next_segment;
    wseg w = {0};
    if ((rc = ls_merge(ix->dir, segs, dels, n, id, ix->durable, ix->pipe ? 2 : 1, &w.meta,
                       &ix->err)) != SRCH_OK)
        goto done;
    if ((rc = ls_segment_open(&w.seg, ix->dir, &w.meta, 0, &ix->err)) != SRCH_OK) {
        remove_segment_files(ix->dir, id);
        goto done;
    }
    /* New view: the merged segment replaces the first picked one; the
     * others go. Keep the old view to restore it if the commit fails. */
    wseg *old = malloc(ix->nsegs * sizeof *old);
    if (!old) {
        ls_segment_unref(w.seg);
        remove_segment_files(ix->dir, id);
        rc = ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory merging");
        goto done;
    }
    size_t old_n = ix->nsegs;
    memcpy(old, ix->segs, old_n * sizeof *old);
    size_t k = 0;
    for (size_t i = 0, p = 0; i < old_n; i++) {
        if (p < n && pick[p] == i) {
            if (p == 0)
                ix->segs[k++] = w;
            p++;
        } else {
            ix->segs[k++] = old[i];
        }
    }
    ix->nsegs = k;
    ix->man.next_segment++;
    int committed;
    rc = write_commit(ix, &committed);
    if (!committed) {
        memcpy(ix->segs, old, old_n * sizeof *old);
        ix->nsegs = old_n;
        ix->man.next_segment--;
        ls_segment_unref(w.seg);
        remove_segment_files(ix->dir, id);
    } else {
        for (size_t p = 0; p < n; p++)
            wseg_release(&old[pick[p]]);
        remove_unreferenced(ix);
    }
    free(old);
done:
    free(segs);
    free(dels);
    return rc;
}

/* One merge: with forced, the next step down to max_segments segments,
 * else the one the tiered policy asks for. *merged: segments merged, 0
 * when there is nothing (more) to merge. */
static int merge_step(srch_index *ix, int forced, int max_segments, size_t *merged)
{
    *merged = 0;
    ls_policy_seg *ps = malloc((ix->nsegs + 1) * sizeof *ps);
    size_t *pick = malloc((ix->nsegs + 1) * sizeof *pick);
    if (!ps || !pick) {
        free(ps);
        free(pick);
        return ls_err_set(&ix->err, SRCH_ENOMEM, "out of memory choosing merges");
    }
    policy_segs(ix, ps);
    size_t n = forced ? ls_policy_forced_merge(ps, ix->nsegs, max_segments, pick)
                      : ls_policy_find_merge(&ix->policy, ps, ix->nsegs, pick);
    int rc = n ? run_merge(ix, pick, n) : SRCH_OK;
    free(ps);
    free(pick);
    *merged = n;
    return rc;
}

static int auto_merge(srch_index *ix)
{
    for (int rounds = 0; rounds < 64; rounds++) {
        size_t n;
        int rc = merge_step(ix, 0, 0, &n);
        if (rc != SRCH_OK || n == 0)
            return rc;
    }
    return SRCH_OK;
}

SRCH_API int srch_index_commit(srch_index *ix)
{
    if (!ix)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_index_commit: NULL index");
    int rc = settle_queue(ix), committed;
    if (rc != SRCH_OK)
        return rc;
    if (!ix->dirty)
        return SRCH_OK;
    rc = flush(ix, 0);
    if (rc == SRCH_OK)
        rc = write_commit(ix, &committed);
    /* The changes are committed: a failed automatic merge (a full disk, say)
     * does not undo that; it is tried again at the next commit and its
     * message stays in srch_index_errmsg(). */
    if (rc == SRCH_OK && ix->auto_merge)
        auto_merge(ix);
    return rc;
}

SRCH_API int srch_index_rollback(srch_index *ix)
{
    if (!ix)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_index_rollback: NULL index");
    if (ix->pipe)
        ls_pipeline_discard(ix->pipe);
    drop_flush(ix);
    size_t k = 0;
    for (size_t i = 0; i < ix->nsegs; i++) {
        wseg *w = &ix->segs[i];
        if (!w->committed) {
            uint64_t id = w->meta.id;
            wseg_release(w);
            remove_segment_files(ix->dir, id);
            continue;
        }
        if (w->del != w->committed_del) {
            ls_deletes_unref(w->del);
            w->del = w->committed_del;
            ls_deletes_ref(w->del);
        }
        w->del_dirty = 0;
        ix->segs[k++] = *w;
    }
    ix->nsegs = k;
    ls_memseg_reset(ix->mem);
    ix->dirty = 0;
    return SRCH_OK;
}

SRCH_API int srch_index_merge(srch_index *ix, int max_segments)
{
    if (!ix)
        return ls_err_set(NULL, SRCH_EINVAL, "srch_index_merge: NULL index");
    int rc = srch_index_commit(ix);
    size_t n = 1;
    while (rc == SRCH_OK && n)
        rc = merge_step(ix, 1, max_segments, &n);
    return rc;
}
