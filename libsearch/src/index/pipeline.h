/*
 * pipeline.h - analysis of added documents in a background thread.
 *
 * Analysis (word breaking, folding, stemming) is the larger half of
 * indexing. With a pipeline the writer's thread copies each added document
 * into a batch; a worker thread, with its own analyzer, analyzes the
 * batches once full; the writer's thread then adds the analyzed documents
 * to the in-memory segment in the order they were added. Batches (a few
 * hundred documents or a few hundred KiB of text) keep the synchronization
 * cost per document negligible; a ring of a few batches bounds the memory
 * in flight.
 *
 * The writer's thread alone touches the in-memory segment; each document's
 * analysis results are written by the one thread that took it. Documents
 * are taken a chunk (16) at a time: while the writer's thread waits for
 * the oldest batch, it analyzes (with its own analyzer) the next chunks
 * nobody has taken, so that neither thread idles while the other analyzes
 * a whole batch alone. On the Littré both cores then stay 96% busy between
 * flushes, against 86% when whole batches were taken.
 */
#ifndef LS_PIPELINE_H
#define LS_PIPELINE_H

#include <stddef.h>

#include "index/memseg.h"
#include "libsearch.h"
#include "util/error.h"

typedef struct ls_pipeline ls_pipeline;

/* Called by ls_pipeline_drain()/ls_pipeline_add() with the analyzed
 * documents of a batch, in order, in the writer's thread: it consumes all
 * of them and returns the first error. */
typedef int (*ls_consume_fn)(void *ctx, ls_prep *preps, size_t n);

/* own_an: the writer thread's analyzer (same language), for the batches
 * it analyzes itself; NULL: it always waits for the worker. */
int ls_pipeline_new(ls_pipeline **out, const char *language, size_t max_passage_bytes,
                    srch_analyzer *own_an, ls_consume_fn consume, void *ctx, ls_err *err);
void ls_pipeline_free(ls_pipeline *pl);

/* Queue a document (copied). Batches already analyzed are consumed on the
 * way; the first error of a consumer is returned (the other documents are
 * still consumed). */
int ls_pipeline_add(ls_pipeline *pl, const srch_document *doc);

/* Consume every queued document. */
int ls_pipeline_drain(ls_pipeline *pl);

/* Forget every queued document without consuming it. */
void ls_pipeline_discard(ls_pipeline *pl);

/* Documents queued and not yet consumed. */
size_t ls_pipeline_pending(const ls_pipeline *pl);

#endif
