/*
 * file.h - files of an index: the common framing, a buffered checksumming
 * writer, read-only mappings that are validated before use, and the
 * directory operations a commit needs (fsync, rename, listing, lock).
 *
 * Every file is framed the same way (docs/FORMAT.md):
 *   header  16 bytes: magic u32, format version u32, owner u64
 *   body
 *   footer  16 bytes: body end offset u64, "LSFT" u32, CRC-32C u32 of all
 *           the bytes before the CRC
 * The owner ties a file to its segment (or commit), so a file swapped in
 * from elsewhere is caught even when its checksum is valid.
 *
 * Write errors are sticky: after a failure every later call is a no-op and
 * ls_wfile_finish() reports the first error, so long pipelines check once.
 * Tests can make the N-th write or fsync fail (ls_io_fail_after) to
 * simulate a full disk.
 */
#ifndef LS_FILE_H
#define LS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/error.h"
#include "util/varint.h"

#define LS_FORMAT_VERSION 6
#define LS_HEADER_SIZE 16
#define LS_FOOTER_SIZE 16
#define LS_FOOTER_MAGIC 0x5446534Cu   /* "LSFT" */

typedef struct ls_wfile {
    int fd;
    char *path;
    unsigned char *buf;
    size_t len, cap;
    uint64_t flushed;         /* bytes already written to fd */
    uint64_t kicked;          /* of those, sent to the disk (durable) */
    uint32_t crc;             /* over flushed bytes */
    int durable;              /* fsync at finish */
    int rc;                   /* sticky error code */
    int mem;                  /* a buffer in memory (ls_wfile_open_mem) */
    ls_err *err;
} ls_wfile;

/* Create `path` (truncating) and write the header. */
int ls_wfile_open(ls_wfile *w, const char *path, uint32_t magic, uint64_t owner, int durable,
                  ls_err *err);
int ls_wfile_write_slow(ls_wfile *w, const void *p, size_t n);
/* Append n bytes. Small writes that fit in the buffer are inlined (a
 * segment is written a few bytes at a time). */
static inline int ls_wfile_write(ls_wfile *w, const void *p, size_t n)
{
    if (w->rc == 0 && w->cap - w->len >= n) {
        if (n)   /* p may be NULL then */
            memcpy(w->buf + w->len, p, n);
        w->len += n;
        return 0;
    }
    return ls_wfile_write_slow(w, p, n);
}
/* Scratch writers, without header, whose bytes are then copied into a file
 * writer (ls_wfile_copy): in memory (its offsets counting from base), or,
 * for bounded memory, in an unnamed temporary file of dir (nothing is left
 * behind, even by a crash). ls_wfile_scratch_free() releases either. */
int ls_wfile_open_mem(ls_wfile *w, uint64_t base, ls_err *err);
int ls_wfile_open_tmp(ls_wfile *w, const char *dir, ls_err *err);
int ls_wfile_copy(ls_wfile *dst, ls_wfile *src);
void ls_wfile_scratch_free(ls_wfile *w);

int ls_wfile_varint_slow(ls_wfile *w, uint64_t v);
static inline int ls_wfile_varint(ls_wfile *w, uint64_t v)
{
    if (w->rc == 0 && w->cap - w->len >= LS_VARINT_MAX) {
        w->len = (size_t)(ls_put_varint(w->buf + w->len, v) - w->buf);
        return 0;
    }
    return ls_wfile_varint_slow(w, v);
}
int ls_wfile_u16(ls_wfile *w, uint16_t v);
int ls_wfile_u32(ls_wfile *w, uint32_t v);
int ls_wfile_u64(ls_wfile *w, uint64_t v);
/* Offset of the next byte written, from the start of the file. */
static inline uint64_t ls_wfile_offset(const ls_wfile *w) { return w->flushed + w->len; }
/* Write the footer, flush, fsync if durable, close. Returns the sticky
 * error if any; on error the file is removed. */
int ls_wfile_finish(ls_wfile *w, uint64_t *size);
/* Close and remove an unfinished file. */
void ls_wfile_abort(ls_wfile *w);

typedef struct ls_map {
    const unsigned char *data;   /* whole file */
    size_t size;
    const unsigned char *body;   /* between header and footer */
    size_t body_len;
    uint64_t owner;
} ls_map;

/* Checksum policy of ls_map_open(). Readers verify the CRC of small files
 * only (the framing and every offset are checked regardless, on each
 * access): reading a whole large index at each open would dominate the
 * latency of a one-shot query. Writers (before merging), `search check` and
 * srch_index_check() verify everything. */
#define LS_MAP_VERIFY 1          /* always verify the CRC */
#define LS_MAP_VERIFY_SMALL 2    /* verify it if the file is at most LS_MAP_SMALL */
#define LS_MAP_RELEASE 4         /* drop the pages read by the verification */
#define LS_MAP_SMALL ((size_t)4 << 20)

/* Map `path` read-only and validate its framing: magic, version, owner
 * (unless owner is UINT64_MAX: any), footer, and (see flags) the CRC of the
 * whole file. `name` is used in messages ("s00000003.doc: checksum
 * mismatch"). */
int ls_map_open(ls_map *m, const char *path, const char *name, uint32_t magic, uint64_t owner,
                int flags, ls_err *err);
void ls_map_close(ls_map *m);

/* Drop the mapping's pages from this process (they stay in the page cache
 * and come back on the next access): keeps the resident size of a writer
 * that verifies or merges large files within its budget. */
void ls_map_release(const ls_map *m);
/* The same for the pages of [off, off + len) only (off a multiple of the
 * page size). */
void ls_map_release_range(const ls_map *m, uint64_t off, uint64_t len);
/* The same, and the pages leave the page cache too where this process
 * alone maps them and they are clean (Linux's MADV_PAGEOUT): for the
 * inputs of a merge, deleted after it. Their memory is at once free for
 * the pages the merge writes, rather than the page cache holding both
 * (on a virtual machine whose host takes back idle guest memory, a page
 * never used before costs several times a page just freed). */
void ls_map_evict_range(const ls_map *m, uint64_t off, uint64_t len);

/* Map every page of the file into this process now (Linux's
 * MADV_POPULATE_READ, else a read of one byte per page): later accesses
 * take no page fault. The pages are the page cache's, shared and clean. */
void ls_map_populate(const ls_map *m);

/* Large transient arrays (the flush's sort arrays): straight from mmap, so
 * that freeing them returns the memory at once. malloc() would serve the
 * next ones from its heap after the first free (glibc raises its mmap
 * threshold to the size of a freed mapped block), where they stay in the
 * RSS. NULL when out of memory; ls_big_free(NULL, n) does nothing. */
void *ls_big_alloc(size_t n);
void ls_big_free(void *p, size_t n);
/* n zeroed elements of `size` bytes (free() them), their pages written
 * now: for tables that are read before they are written (hash slots,
 * filters), whose first reads would otherwise map the shared zero page
 * that each first write then replaces, a fault and, while other threads
 * run, a TLB shootdown each. NULL when out of memory. */
void *ls_table_calloc(size_t n, size_t size);
/* Grow (or shrink) a block of ls_big_alloc() from old to n bytes, moving
 * its pages rather than copying them (mremap); the bytes added read as 0.
 * NULL when out of memory (the block is unchanged); p NULL: ls_big_alloc. */
void *ls_big_realloc(void *p, size_t old, size_t n);

/* Recompute and compare the CRC of a mapped file (ls_map_open() does it;
 * `search check` calls it again on demand). */
int ls_map_verify(const ls_map *m, const char *name, ls_err *err);

/* Directory operations. */
int ls_fsync_dir(const char *dir, ls_err *err);
int ls_mkdir_p(const char *path, ls_err *err);
/* Atomically replace `to` by `from` (rename), then fsync the directory if
 * durable. */
int ls_rename(const char *dir, const char *from, const char *to, int durable, ls_err *err);
/* Names in dir (excluding . and ..), malloc'ed array of malloc'ed strings. */
int ls_list_dir(const char *dir, char ***names, size_t *count, ls_err *err);
void ls_free_names(char **names, size_t count);
/* dir + "/" + name into buf (PATH_MAX); returns buf. */
char *ls_path(char *buf, const char *dir, const char *name);
/* Size of a file, or -1. */
int64_t ls_file_size(const char *path);

/* The writer lock of an index directory: an exclusive flock() on
 * dir/LOCK, which holds "pid host start-time" of the holder. Works across
 * processes and between two handles of one process. */
int ls_lock_acquire(const char *dir, int *fd, ls_err *err);
void ls_lock_release(int fd);

/* Fault injection for tests: the n-th write(2) or fsync(2) from now, of
 * any thread, fails with errno `err` (n = 0 disables); with
 * ls_io_fail_from(), that one and every one after it, until reset. Tests
 * only. */
void ls_io_fail_after(long n, int err);
void ls_io_fail_from(long n, int err);

#endif
