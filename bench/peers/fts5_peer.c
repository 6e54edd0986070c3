/*
 * fts5_peer.c - SQLite FTS5 benchmark peer.
 *
 * Index: INDEXDIR/fts5.db holding
 *   CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, text,
 *                                        tokenize='unicode61 remove_diacritics 2')
 * filled with one prepared INSERT in a single transaction, then
 *   INSERT INTO docs(docs) VALUES('optimize').
 * FTS5 keeps its own content table, so id, title and text are all stored.
 *
 * Query: SELECT id FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?
 * (rank = bm25() with equal column weights), prepared once and reused.
 * See README.md for the query translation.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "peer_common.h"

#include <sqlite3.h>

#define ENGINE "fts5"
#define DB_FILE "fts5.db"

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *ins;
    sqlite3_stmt *sel;
} fts5_ctx;

static void set_err(peer_buf *err, const char *what, sqlite3 *db)
{
    peer_buf_clear(err);
    peer_buf_puts(err, what);
    if (db) {
        peer_buf_puts(err, ": ");
        peer_buf_puts(err, sqlite3_errmsg(db));
    }
}

static int exec(fts5_ctx *c, const char *sql, peer_buf *err)
{
    char *msg = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        peer_buf_clear(err);
        peer_buf_puts(err, sql);
        peer_buf_puts(err, ": ");
        peer_buf_puts(err, msg ? msg : "unknown error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void db_path(peer_buf *b, const char *dir)
{
    peer_buf_clear(b);
    peer_buf_puts(b, dir);
    peer_buf_puts(b, "/" DB_FILE);
}

/* Is FTS5 compiled into this SQLite?  Returns 1/0. */
static int have_fts5(void)
{
    sqlite3 *db;
    int ok;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return 0;
    ok = sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x)", NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

/* ------------------------------------------------------------------ index */

static int ix_begin(void *vc, const char *dir, peer_buf *err)
{
    fts5_ctx *c = (fts5_ctx *)vc;
    peer_buf path = {NULL, 0, 0};
    int rc;
    if (!have_fts5()) {
        set_err(err, "this SQLite library was built without FTS5", NULL);
        return -1;
    }
    db_path(&path, dir);
    rc = sqlite3_open_v2(path.s, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    peer_buf_free(&path);
    if (rc != SQLITE_OK) {
        set_err(err, "sqlite3_open_v2", c->db);
        return -1;
    }
    if (exec(c,
             "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, text, "
             "tokenize='unicode61 remove_diacritics 2')",
             err) != 0)
        return -1;
    if (exec(c, "BEGIN", err) != 0)
        return -1;
    if (sqlite3_prepare_v2(c->db, "INSERT INTO docs(id, title, text) VALUES(?, ?, ?)", -1, &c->ins,
                           NULL) != SQLITE_OK) {
        set_err(err, "prepare INSERT", c->db);
        return -1;
    }
    return 0;
}

static int ix_add(void *vc, const char *id, size_t id_len, const char *title, size_t title_len,
                  const char *text, size_t text_len, peer_buf *err)
{
    fts5_ctx *c = (fts5_ctx *)vc;
    sqlite3_bind_text(c->ins, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_text(c->ins, 2, title, (int)title_len, SQLITE_STATIC);
    sqlite3_bind_text(c->ins, 3, text, (int)text_len, SQLITE_STATIC);
    if (sqlite3_step(c->ins) != SQLITE_DONE) {
        set_err(err, "INSERT", c->db);
        return -1;
    }
    sqlite3_reset(c->ins);
    return 0;
}

static int ix_finish(void *vc, peer_buf *err)
{
    fts5_ctx *c = (fts5_ctx *)vc;
    sqlite3_finalize(c->ins);
    c->ins = NULL;
    if (exec(c, "COMMIT", err) != 0)
        return -1;
    if (exec(c, "INSERT INTO docs(docs) VALUES('optimize')", err) != 0)
        return -1;
    if (sqlite3_close(c->db) != SQLITE_OK) {
        set_err(err, "sqlite3_close", c->db);
        return -1;
    }
    c->db = NULL;
    return 0;
}

/* ------------------------------------------------------------------ query */

/* Append w as an FTS5 string: "w" with embedded quotes doubled. */
static void put_quoted(peer_buf *b, const char *w)
{
    peer_buf_putc(b, '"');
    for (; *w; w++) {
        if (*w == '"')
            peer_buf_putc(b, '"');
        peer_buf_putc(b, *w);
    }
    peer_buf_putc(b, '"');
}

static void translate(peer_query *q)
{
    peer_buf b = {NULL, 0, 0};
    int i;
    peer_buf_clear(&b);
    switch (q->cls) {
    case PQ_WORD:
        put_quoted(&b, q->words[0]);
        break;
    case PQ_OR:
    case PQ_AND:
        for (i = 0; i < q->nwords; i++) {
            if (i)
                peer_buf_puts(&b, q->cls == PQ_OR ? " OR " : " AND ");
            put_quoted(&b, q->words[i]);
        }
        break;
    case PQ_PHRASE:
        peer_buf_putc(&b, '"');
        for (i = 0; i < q->nwords; i++) {
            const char *w;
            if (i)
                peer_buf_putc(&b, ' ');
            for (w = q->words[i]; *w; w++) {
                if (*w == '"')
                    peer_buf_putc(&b, '"');
                peer_buf_putc(&b, *w);
            }
        }
        peer_buf_putc(&b, '"');
        break;
    case PQ_PREFIX:
        put_quoted(&b, q->words[0]);
        peer_buf_putc(&b, '*');
        break;
    }
    q->eq = b.s;
}

static int search(void *vc, const peer_query *q, int k, peer_ids *ids, long long *total,
                  peer_buf *err)
{
    fts5_ctx *c = (fts5_ctx *)vc;
    int rc;
    *total = -1; /* FTS5 has no cheap match count */
    sqlite3_bind_text(c->sel, 1, q->eq, -1, SQLITE_STATIC);
    sqlite3_bind_int(c->sel, 2, k);
    while ((rc = sqlite3_step(c->sel)) == SQLITE_ROW) {
        const unsigned char *s = sqlite3_column_text(c->sel, 0);
        int n = sqlite3_column_bytes(c->sel, 0);
        peer_ids_add(ids, s ? (const char *)s : "", s ? (size_t)n : 0);
    }
    if (rc != SQLITE_DONE) {
        set_err(err, "query failed", c->db);
        sqlite3_reset(c->sel);
        return -1;
    }
    sqlite3_reset(c->sel);
    return 0;
}

static int cmd_query(int argc, char **argv)
{
    const char *dir, *qfile;
    peer_query_opts o;
    fts5_ctx c;
    peer_buf path = {NULL, 0, 0};
    peer_query *qs;
    size_t nq, i;
    int rc;

    peer_parse_query_args(argc, argv, &dir, &qfile, &o);
    peer_check_index_dir(dir, ENGINE);
    memset(&c, 0, sizeof c);
    db_path(&path, dir);
    if (sqlite3_open_v2(path.s, &c.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        peer_die("cannot open %s: %s", path.s, sqlite3_errmsg(c.db));
    if (sqlite3_prepare_v2(c.db, "SELECT id FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?", -1,
                           &c.sel, NULL) != SQLITE_OK)
        peer_die("cannot prepare query on %s: %s", path.s, sqlite3_errmsg(c.db));
    qs = peer_read_queries(qfile, &nq);
    for (i = 0; i < nq; i++)
        if (qs[i].cls >= 0)
            translate(&qs[i]);
    rc = peer_run_queries(ENGINE, qs, nq, &o, search, &c);
    peer_free_queries(qs, nq);
    sqlite3_finalize(c.sel);
    sqlite3_close(c.db);
    peer_buf_free(&path);
    return rc;
}

int main(int argc, char **argv)
{
    peer_prog = "fts5_peer";
    if (argc < 2)
        peer_usage();
    if (strcmp(argv[1], "version") == 0 && argc == 2) {
        printf("{\"engine\":\"%s\",\"version\":\"%s\",\"sqlite_source_id\":\"%s\","
               "\"compiled_against\":\"%s\",\"fts5\":%s}\n",
               ENGINE, sqlite3_libversion(), sqlite3_sourceid(), SQLITE_VERSION,
               have_fts5() ? "true" : "false");
        return 0;
    }
    if (strcmp(argv[1], "index") == 0) {
        /* --store-text changes nothing: FTS5 always stores the text */
        static const peer_indexer ix = {ENGINE, ix_begin, ix_add, ix_finish};
        fts5_ctx c;
        const char *corpus, *dir;
        peer_parse_index_args(argc - 2, argv + 2, &corpus, &dir);
        peer_store_text = 1;
        memset(&c, 0, sizeof c);
        return peer_index_main(&ix, &c, corpus, dir, sqlite3_libversion());
    }
    if (strcmp(argv[1], "query") == 0)
        return cmd_query(argc - 2, argv + 2);
    peer_usage();
    return 1;
}
