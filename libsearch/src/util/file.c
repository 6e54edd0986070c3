/*
 * file.c - framed files, validated mappings, directory operations, the
 * writer lock, fault injection (see file.h).
 */
#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/crc32c.h"
#include "util/varint.h"

#define WBUF_SIZE (1 << 16)
#define WRITEBACK_STEP ((uint64_t)4 << 20)

/* Writes and fsyncs of every thread count down together. */
static _Atomic long fault_countdown;
static _Atomic int fault_errno, fault_sticky;

void ls_io_fail_after(long n, int err)
{
    fault_errno = err;
    fault_sticky = 0;
    fault_countdown = n;
}

void ls_io_fail_from(long n, int err)
{
    fault_errno = err;
    fault_sticky = 1;
    fault_countdown = n;
}

static int fault_now(void)
{
    long c = atomic_load(&fault_countdown);
    do {
        if (c <= 0)
            return 0;
        if (c == 1 && fault_sticky) {   /* it stays at 1: every later one fails */
            errno = fault_errno;
            return 1;
        }
    } while (!atomic_compare_exchange_weak(&fault_countdown, &c, c - 1));
    if (c != 1)
        return 0;
    errno = fault_errno;
    return 1;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        if (fault_now())
            return -1;
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int do_fsync(int fd)
{
    if (fault_now())
        return -1;
    return fsync(fd);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int fail_errno(ls_wfile *w, const char *what)
{
    int e = errno;
    if (w->rc == SRCH_OK)
        w->rc = ls_err_set(w->err, ls_err_from_errno(e), "%s: %s: %s", base_name(w->path), what,
                           strerror(e));
    return w->rc;
}

/* A file to be fsynced: start writing back what it has so far, so that
 * the disk works while we do and the final fsync waits little (advice
 * only: its failure is the fsync's to report). */
static void kick_writeback(ls_wfile *w)
{
    if (w->durable && w->flushed - w->kicked >= WRITEBACK_STEP) {
        sync_file_range(w->fd, (off_t)w->kicked, (off_t)(w->flushed - w->kicked),
                        SYNC_FILE_RANGE_WRITE);
        w->kicked = w->flushed;
    }
}

static int flush_buf(ls_wfile *w)
{
    if (w->rc != SRCH_OK || w->len == 0)
        return w->rc;
    if (write_all(w->fd, w->buf, w->len) != 0)
        return fail_errno(w, "write");
    w->crc = ls_crc32c(w->crc, w->buf, w->len);
    w->flushed += w->len;
    w->len = 0;
    kick_writeback(w);
    return SRCH_OK;
}

/* A file-backed writer's start: no descriptor yet, its path (kept for
 * messages) and buffer. -1 when out of memory (nothing is kept). */
static int wfile_init(ls_wfile *w, const char *path, ls_err *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->err = err;
    w->path = strdup(path);
    w->buf = malloc(WBUF_SIZE);
    w->cap = WBUF_SIZE;
    if (!w->path || !w->buf) {
        free(w->path);
        free(w->buf);
        w->path = NULL;
        w->buf = NULL;
        w->cap = 0;
        return -1;
    }
    return 0;
}

int ls_wfile_open(ls_wfile *w, const char *path, uint32_t magic, uint64_t owner, int durable,
                  ls_err *err)
{
    if (wfile_init(w, path, err) != 0)
        return w->rc = ls_err_set(err, SRCH_ENOMEM, "out of memory opening %s", path);
    w->durable = durable;
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return fail_errno(w, "create");
    unsigned char h[LS_HEADER_SIZE];
    ls_put_u32(h, magic);
    ls_put_u32(h + 4, LS_FORMAT_VERSION);
    ls_put_u64(h + 8, owner);
    return ls_wfile_write(w, h, sizeof h);
}

int ls_wfile_open_mem(ls_wfile *w, uint64_t base, ls_err *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->err = err;
    w->mem = 1;
    w->flushed = base;
    w->cap = 16 << 10;
    if (!(w->buf = ls_big_alloc(w->cap))) {
        w->cap = 0;
        return w->rc = ls_err_set(err, SRCH_ENOMEM, "out of memory writing a segment");
    }
    return SRCH_OK;
}

int ls_wfile_open_tmp(ls_wfile *w, const char *dir, ls_err *err)
{
    if (wfile_init(w, dir, err) != 0)
        return w->rc = ls_err_set(err, SRCH_ENOMEM, "out of memory writing a segment");
    w->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (w->fd < 0) {   /* a file system without O_TMPFILE: a name, removed at once */
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/.merge-XXXXXX", dir);
        w->fd = mkstemp(path);
        if (w->fd >= 0)
            unlink(path);
    }
    if (w->fd < 0)
        return fail_errno(w, "create a temporary file");
    return SRCH_OK;
}

/* Copy the temporary file src into dst by copy_file_range(2): the kernel
 * moves the pages, and dst's checksum is extended with src's
 * (ls_crc32c_combine) instead of reading the bytes. *off: how much was
 * copied (all of it, or 0 where the file system cannot: the caller then
 * reads and writes). */
static int copy_in_kernel(ls_wfile *dst, ls_wfile *src, uint64_t *off)
{
    if (dst->mem || src->flushed == 0 || flush_buf(dst) != SRCH_OK)
        return dst->rc;
    off_t in = 0;
    while ((uint64_t)in < src->flushed) {
        if (fault_now())
            return fail_errno(dst, "write");
        uint64_t left = src->flushed - (uint64_t)in;
        ssize_t k = copy_file_range(src->fd, &in, dst->fd, NULL,
                                    left < ((size_t)1 << 30) ? (size_t)left : (size_t)1 << 30, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0 && in == 0 && (k == 0 || errno == EXDEV || errno == ENOSYS ||
                                  errno == EINVAL || errno == EOPNOTSUPP || errno == EBADF))
            return SRCH_OK;   /* not here: the bytes are read and written */
        if (k < 0)
            return fail_errno(dst, "copy_file_range");
        if (k == 0) {
            errno = EIO;
            return fail_errno(dst, "copy_file_range (short)");
        }
    }
    dst->crc = ls_crc32c_combine(dst->crc, src->crc, src->flushed);
    dst->flushed += src->flushed;
    *off = src->flushed;
    kick_writeback(dst);
    return SRCH_OK;
}

int ls_wfile_copy(ls_wfile *dst, ls_wfile *src)
{
    if (src->rc != SRCH_OK || (!src->mem && flush_buf(src) != SRCH_OK))   /* its own message */
        return ls_err_set(dst->err, src->rc, "%s",
                          src->err && src->err->msg[0] ? src->err->msg : "writing a segment failed");
    if (src->mem)
        return ls_wfile_write(dst, src->buf, src->len);
    uint64_t off = 0;
    if (copy_in_kernel(dst, src, &off) != SRCH_OK)
        return dst->rc;
    unsigned char *chunk = src->buf;   /* its buffer, now empty */
    for (; off < src->flushed;) {
        size_t want = src->flushed - off < src->cap ? (size_t)(src->flushed - off) : src->cap;
        ssize_t got = pread(src->fd, chunk, want, (off_t)off);
        if (got <= 0) {
            if (got < 0 && errno == EINTR)
                continue;
            return ls_err_set(dst->err, SRCH_EIO, "reading a temporary file: %s",
                              got < 0 ? strerror(errno) : "short read");
        }
        if (ls_wfile_write(dst, chunk, (size_t)got) != SRCH_OK)
            return dst->rc;
        off += (uint64_t)got;
    }
    return dst->rc;
}

void ls_wfile_scratch_free(ls_wfile *w)
{
    if (w->mem) {
        ls_big_free(w->buf, w->cap);
    } else {
        if (w->fd >= 0)
            close(w->fd);
        free(w->buf);
        free(w->path);
    }
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

/* A memory writer grows its mapping by a quarter, or to `need` bytes
 * (ls_big_realloc(): no copy, and the memory goes back to the system when
 * freed). */
static int grow_mem(ls_wfile *w, size_t need)
{
    size_t cap = w->cap + w->cap / 4;
    if (cap < need)
        cap = need;
    cap = (cap + 4095) & ~(size_t)4095;
    void *p = ls_big_realloc(w->buf, w->cap, cap);
    if (!p)
        return w->rc = ls_err_set(w->err, SRCH_ENOMEM, "out of memory writing a segment");
    w->buf = p;
    w->cap = cap;
    return SRCH_OK;
}


int ls_wfile_write_slow(ls_wfile *w, const void *p, size_t n)
{
    if (w->rc != SRCH_OK)
        return w->rc;
    const unsigned char *s = p;
    while (n) {
        if (w->len == w->cap && (w->mem ? grow_mem(w, w->len + n) : flush_buf(w)) != SRCH_OK)
            return w->rc;
        size_t k = w->cap - w->len < n ? w->cap - w->len : n;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        s += k;
        n -= k;
    }
    return SRCH_OK;
}

int ls_wfile_varint_slow(ls_wfile *w, uint64_t v)
{
    unsigned char b[LS_VARINT_MAX];
    return ls_wfile_write(w, b, (size_t)(ls_put_varint(b, v) - b));
}

int ls_wfile_u16(ls_wfile *w, uint16_t v)
{
    unsigned char b[2];
    ls_put_u16(b, v);
    return ls_wfile_write(w, b, 2);
}

int ls_wfile_u32(ls_wfile *w, uint32_t v)
{
    unsigned char b[4];
    ls_put_u32(b, v);
    return ls_wfile_write(w, b, 4);
}

int ls_wfile_u64(ls_wfile *w, uint64_t v)
{
    unsigned char b[8];
    ls_put_u64(b, v);
    return ls_wfile_write(w, b, 8);
}

static void wfile_release(ls_wfile *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    free(w->buf);
    free(w->path);
    w->buf = NULL;
    w->path = NULL;
}

int ls_wfile_finish(ls_wfile *w, uint64_t *size)
{
    if (w->rc == SRCH_OK) {
        unsigned char f[12];
        ls_put_u64(f, ls_wfile_offset(w));
        ls_put_u32(f + 8, LS_FOOTER_MAGIC);
        ls_wfile_write(w, f, sizeof f);
        flush_buf(w);
    }
    if (w->rc == SRCH_OK) {
        unsigned char c[4];
        ls_put_u32(c, w->crc);
        if (write_all(w->fd, c, 4) != 0)
            fail_errno(w, "write");
        else
            w->flushed += 4;
    }
    if (w->rc == SRCH_OK && w->durable && do_fsync(w->fd) != 0)
        fail_errno(w, "fsync");
    if (w->rc == SRCH_OK && close(w->fd) != 0)
        fail_errno(w, "close");
    else if (w->rc != SRCH_OK && w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    if (w->rc != SRCH_OK)
        unlink(w->path);
    else if (size)
        *size = w->flushed;
    int rc = w->rc;
    wfile_release(w);
    return rc;
}

void ls_wfile_abort(ls_wfile *w)
{
    if (w->path) {
        if (w->fd >= 0)
            close(w->fd);
        w->fd = -1;
        unlink(w->path);
    }
    wfile_release(w);
}

int ls_map_verify(const ls_map *m, const char *name, ls_err *err)
{
    uint32_t stored = ls_get_u32(m->data + m->size - 4);
    uint32_t actual = ls_crc32c(0, m->data, m->size - 4);
    if (stored != actual)
        return ls_err_set(err, SRCH_ECORRUPT,
                          "%s: checksum mismatch (stored %08x, computed %08x over %zu bytes)",
                          name, stored, actual, m->size - 4);
    return SRCH_OK;
}

int ls_map_open(ls_map *m, const char *path, const char *name, uint32_t magic, uint64_t owner,
                int flags, ls_err *err)
{
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return ls_err_set(err, e == ENOENT ? SRCH_ENOTFOUND : SRCH_EIO, "%s: %s", name,
                          strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ls_err_set(err, SRCH_EIO, "%s: %s", name, strerror(e));
    }
    if (st.st_size < LS_HEADER_SIZE + LS_FOOTER_SIZE) {
        close(fd);
        return ls_err_set(err, SRCH_ECORRUPT, "%s: truncated (%lld bytes)", name,
                          (long long)st.st_size);
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED)
        return ls_err_set(err, ls_err_from_errno(e), "%s: mmap: %s", name, strerror(e));
    m->data = p;
    m->size = (size_t)st.st_size;
    int rc;
    const unsigned char *f = m->data + m->size - LS_FOOTER_SIZE;
    if (ls_get_u32(m->data) != magic) {
        rc = ls_err_set(err, SRCH_ECORRUPT, "%s: bad magic %08x (expected %08x)", name,
                        ls_get_u32(m->data), magic);
    } else if (((flags & LS_MAP_VERIFY) || ((flags & LS_MAP_VERIFY_SMALL) && m->size <= LS_MAP_SMALL)) &&
               (rc = ls_map_verify(m, name, err)) != SRCH_OK) {
        /* reported */
    } else if (ls_get_u32(m->data + 4) != LS_FORMAT_VERSION) {
        rc = ls_err_set(err, SRCH_EVERSION, "%s: format version %u, this library reads %u",
                        name, ls_get_u32(m->data + 4), LS_FORMAT_VERSION);
    } else if (ls_get_u64(f) != m->size - LS_FOOTER_SIZE || ls_get_u32(f + 8) != LS_FOOTER_MAGIC) {
        rc = ls_err_set(err, SRCH_ECORRUPT, "%s: bad footer", name);
    } else if (owner != UINT64_MAX && ls_get_u64(m->data + 8) != owner) {
        rc = ls_err_set(err, SRCH_ECORRUPT, "%s: belongs to %llu, expected %llu", name,
                        (unsigned long long)ls_get_u64(m->data + 8), (unsigned long long)owner);
    } else {
        m->owner = ls_get_u64(m->data + 8);
        m->body = m->data + LS_HEADER_SIZE;
        m->body_len = m->size - LS_HEADER_SIZE - LS_FOOTER_SIZE;
        if (flags & LS_MAP_RELEASE)
            ls_map_release(m);   /* the checksum read every page */
        return SRCH_OK;
    }
    ls_map_close(m);
    return rc;
}

void ls_map_release(const ls_map *m)
{
    if (m->data)
        madvise((void *)m->data, m->size, MADV_DONTNEED);
}

void ls_map_release_range(const ls_map *m, uint64_t off, uint64_t len)
{
    if (m->data && off < m->size) {
        if (len > m->size - off)
            len = m->size - off;
        madvise((void *)(m->data + off), len, MADV_DONTNEED);
    }
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21   /* Linux 5.4 */
#endif

void ls_map_evict_range(const ls_map *m, uint64_t off, uint64_t len)
{
    /* reclaims the clean pages no other process maps (dirty ones stay: it
     * does not write them); then what stayed leaves our RSS */
    if (m->data && off < m->size)
        madvise((void *)(m->data + off), len > m->size - off ? m->size - off : len,
                MADV_PAGEOUT);
    ls_map_release_range(m, off, len);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22   /* Linux 5.14 */
#endif

void ls_map_populate(const ls_map *m)
{
    if (!m->data || madvise((void *)m->data, m->size, MADV_POPULATE_READ) == 0)
        return;
    /* an older kernel: touch every page */
    long pg = sysconf(_SC_PAGESIZE);
    size_t step = pg > 0 ? (size_t)pg : 4096;
    volatile unsigned char sink = 0;
    for (size_t off = 0; off < m->size; off += step)
        sink ^= m->data[off];
    (void)sink;
}

void ls_map_close(ls_map *m)
{
    if (m->data)
        munmap((void *)m->data, m->size);
    memset(m, 0, sizeof *m);
}

char *ls_path(char *buf, const char *dir, const char *name)
{
    snprintf(buf, PATH_MAX, "%s/%s", dir, name);
    return buf;
}

int64_t ls_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

int ls_fsync_dir(const char *dir, ls_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || do_fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ls_err_set(err, ls_err_from_errno(e), "%s: fsync of directory: %s", dir,
                          strerror(e));
    }
    close(fd);
    return SRCH_OK;
}

int ls_mkdir_p(const char *path, ls_err *err)
{
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof buf)
        return ls_err_set(err, SRCH_EINVAL, "path too long: %s", path);
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                int e = errno;
                return ls_err_set(err, ls_err_from_errno(e), "%s: mkdir: %s", buf, strerror(e));
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return ls_err_set(err, SRCH_EINVAL, "%s: not a directory", path);
    return SRCH_OK;
}

int ls_rename(const char *dir, const char *from, const char *to, int durable, ls_err *err)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (rename(ls_path(a, dir, from), ls_path(b, dir, to)) != 0) {
        int e = errno;
        return ls_err_set(err, ls_err_from_errno(e), "%s: rename to %s: %s", from, to,
                          strerror(e));
    }
    return durable ? ls_fsync_dir(dir, err) : SRCH_OK;
}

void ls_free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

int ls_list_dir(const char *dir, char ***names, size_t *count, ls_err *err)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        return ls_err_set(err, e == ENOENT ? SRCH_ENOTFOUND : SRCH_EIO, "%s: %s", dir,
                          strerror(e));
    }
    size_t n = 0, cap = 16;
    char **v = malloc(cap * sizeof *v);
    struct dirent *de;
    while (v && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv) {
                ls_free_names(v, n);
                v = NULL;
                break;
            }
            v = nv;
        }
        if (!(v[n] = strdup(de->d_name))) {
            ls_free_names(v, n);
            v = NULL;
            break;
        }
        n++;
    }
    closedir(d);
    if (!v)
        return ls_err_set(err, SRCH_ENOMEM, "out of memory listing %s", dir);
    *names = v;
    *count = n;
    return SRCH_OK;
}

int ls_lock_acquire(const char *dir, int *out, ls_err *err)
{
    char path[PATH_MAX];
    *out = -1;
    int fd = open(ls_path(path, dir, "LOCK"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        return ls_err_set(err, ls_err_from_errno(e), "%s: %s", path, strerror(e));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char who[256] = "";
        ssize_t k = pread(fd, who, sizeof who - 1, 0);
        close(fd);
        if (e != EWOULDBLOCK)
            return ls_err_set(err, SRCH_EIO, "%s: flock: %s", path, strerror(e));
        who[k > 0 ? k : 0] = '\0';
        who[strcspn(who, "\n")] = '\0';
        return ls_err_set(err, SRCH_ELOCKED, "%s: index is locked by another writer (%s)", dir,
                          *who ? who : "holder unknown");
    }
    char host[128] = "?", stamp[64] = "?", line[320];
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int n = snprintf(line, sizeof line, "pid %ld on %s since %s\n", (long)getpid(), host, stamp);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        /* the lock is held; the note is only informative */
    }
    *out = fd;
    return SRCH_OK;
}

void ls_lock_release(int fd)
{
    if (fd >= 0) {
        if (ftruncate(fd, 0) != 0) {
            /* informative note only */
        }
        close(fd);
    }
}

void *ls_table_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p)
        memset(p, 0, (n ? n : 1) * (size ? size : 1));
    return p;
}

#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer takes an address that one thread unmapped and another
 * mapped again for a race (it does not see the kernel order the two): the
 * allocator's blocks, which it follows, serve such builds instead. */
void *ls_big_alloc(size_t n)
{
    return calloc(1, n ? n : 1);
}

void ls_big_free(void *p, size_t n)
{
    (void)n;
    free(p);
}

void *ls_big_realloc(void *p, size_t old, size_t n)
{
    unsigned char *q = realloc(p, n ? n : 1);
    if (q && n > old)
        memset(q + old, 0, n - old);
    return q;
}
#else
void *ls_big_alloc(size_t n)
{
    void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void ls_big_free(void *p, size_t n)
{
    if (p)
        munmap(p, n ? n : 1);
}

void *ls_big_realloc(void *p, size_t old, size_t n)
{
    if (!p)
        return ls_big_alloc(n);
    void *q = mremap(p, old ? old : 1, n ? n : 1, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
}
#endif
