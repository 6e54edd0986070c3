/*
 * xapian_peer.cc - Xapian 1.4 benchmark peer.
 *
 * Index (INDEXDIR is the Xapian database directory, glass backend):
 *   TermGenerator with Stem("french"), default stemming strategy STEM_SOME;
 *   per document: index_text(title, 1, "S"); index_text(title);
 *   increase_termpos(); index_text(text); set_data(id); add_document().
 *   One commit() at the end (Xapian also flushes by itself every
 *   XAPIAN_FLUSH_THRESHOLD documents, default 10000).
 *   Only the id is stored (document data), unless `index --store-text`:
 *   the data is then id NUL title NUL text (so that index sizes "stored
 *   text included" compare like with like; the id is read up to the first
 *   NUL).  Positions are stored (phrases).
 *
 * Query: QueryParser with Stem("french"), STEM_SOME, database set (needed for
 *   wildcards), default op OR (AND for the "and" class), flags
 *   FLAG_PHRASE|FLAG_BOOLEAN|FLAG_WILDCARD|FLAG_LOVEHATE; Enquire with
 *   BM25Weight() (default parameters); get_mset(0, k); id = get_data().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "peer_common.h"

#include <xapian.h>

#include <memory>
#include <new>
#include <string>

#define ENGINE "xapian"

namespace {

void set_err(peer_buf *err, const std::string &msg)
{
    peer_buf_clear(err);
    peer_buf_append(err, msg.data(), msg.size());
}

struct XapianIndex {
    std::unique_ptr<Xapian::WritableDatabase> db;
    Xapian::TermGenerator tg;
    bool store_text = false;   /* index --store-text */
};

int ix_begin(void *vc, const char *dir, peer_buf *err)
{
    XapianIndex *c = static_cast<XapianIndex *>(vc);
    try {
        c->db.reset(new Xapian::WritableDatabase(dir, Xapian::DB_CREATE_OR_OVERWRITE));
        c->tg.set_stemmer(Xapian::Stem("french"));
        c->tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME); /* the default */
    } catch (const Xapian::Error &e) {
        set_err(err, e.get_description());
        return -1;
    } catch (const std::exception &e) {
        set_err(err, e.what());
        return -1;
    }
    return 0;
}

int ix_add(void *vc, const char *id, size_t id_len, const char *title, size_t title_len,
           const char *text, size_t text_len, peer_buf *err)
{
    XapianIndex *c = static_cast<XapianIndex *>(vc);
    try {
        Xapian::Document doc;
        c->tg.set_document(doc);
        if (title_len) {
            std::string t(title, title_len);
            c->tg.index_text(t, 1, "S");
            c->tg.index_text(t);
            c->tg.increase_termpos();
        }
        c->tg.index_text(std::string(text, text_len));
        std::string data(id, id_len);
        if (c->store_text) {
            data.push_back('\0');
            data.append(title, title_len);
            data.push_back('\0');
            data.append(text, text_len);
        }
        doc.set_data(data);
        c->db->add_document(doc);
    } catch (const Xapian::Error &e) {
        set_err(err, e.get_description());
        return -1;
    } catch (const std::exception &e) {
        set_err(err, e.what());
        return -1;
    }
    return 0;
}

int ix_finish(void *vc, peer_buf *err)
{
    XapianIndex *c = static_cast<XapianIndex *>(vc);
    try {
        c->db->commit();
        c->db->close();
        c->db.reset();
    } catch (const Xapian::Error &e) {
        set_err(err, e.get_description());
        return -1;
    }
    return 0;
}

struct XapianSearch {
    Xapian::Database db;
    Xapian::QueryParser qp;
    std::unique_ptr<Xapian::Enquire> enq;
    unsigned flags;
};

/* The QueryParser syntax.  Words never contain quotes or operators by
 * contract; an upper-case word that would read as a boolean keyword
 * (AND, OR, NOT, ...) is lower-cased to stay a plain word. */
std::string word_for_parser(const char *w)
{
    std::string s(w);
    if (peer_is_operator_word(w))
        for (char &ch : s)
            ch = (char)(ch - 'A' + 'a');
    return s;
}

void translate(peer_query *q)
{
    std::string s;
    switch (q->cls) {
    case PQ_WORD:
        s = word_for_parser(q->words[0]);
        break;
    case PQ_OR:
    case PQ_AND: /* default operator set per query in search() */
        for (int i = 0; i < q->nwords; i++) {
            if (i)
                s += ' ';
            s += word_for_parser(q->words[i]);
        }
        break;
    case PQ_PHRASE:
        s = "\"";
        for (int i = 0; i < q->nwords; i++) {
            if (i)
                s += ' ';
            s += q->words[i];
        }
        s += '"';
        break;
    case PQ_PREFIX:
        s = word_for_parser(q->words[0]) + "*";
        break;
    }
    q->eq = peer_strdup(s.c_str());
}

int search(void *vc, const peer_query *q, int k, peer_ids *ids, long long *total, peer_buf *err)
{
    XapianSearch *c = static_cast<XapianSearch *>(vc);
    try {
        c->qp.set_default_op(q->cls == PQ_AND ? Xapian::Query::OP_AND : Xapian::Query::OP_OR);
        Xapian::Query query = c->qp.parse_query(q->eq, c->flags);
        c->enq->set_query(query);
        Xapian::MSet mset = c->enq->get_mset(0, (Xapian::doccount)k);
        *total = (long long)mset.get_matches_estimated();
        for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
            std::string data = it.get_document().get_data();
            /* the id, up to the NUL that starts the stored text (--store-text) */
            peer_ids_add(ids, data.data(), strnlen(data.data(), data.size()));
        }
    } catch (const Xapian::Error &e) {
        set_err(err, e.get_description());
        return -1;
    } catch (const std::exception &e) {
        set_err(err, e.what());
        return -1;
    }
    return 0;
}

int cmd_query(int argc, char **argv)
{
    const char *dir, *qfile;
    peer_query_opts o;
    peer_parse_query_args(argc, argv, &dir, &qfile, &o);
    peer_check_index_dir(dir, ENGINE);
    XapianSearch c;
    try {
        c.db = Xapian::Database(dir);
        c.qp.set_stemmer(Xapian::Stem("french"));
        c.qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        c.qp.set_database(c.db);
        c.flags = Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_BOOLEAN |
                  Xapian::QueryParser::FLAG_WILDCARD | Xapian::QueryParser::FLAG_LOVEHATE;
        c.enq.reset(new Xapian::Enquire(c.db));
        c.enq->set_weighting_scheme(Xapian::BM25Weight());
    } catch (const Xapian::Error &e) {
        peer_die("cannot open Xapian database %s: %s", dir, e.get_description().c_str());
    }
    size_t nq;
    peer_query *qs = peer_read_queries(qfile, &nq);
    for (size_t i = 0; i < nq; i++)
        if (qs[i].cls >= 0)
            translate(&qs[i]);
    int rc = peer_run_queries(ENGINE, qs, nq, &o, search, &c);
    peer_free_queries(qs, nq);
    return rc;
}

} // namespace

int main(int argc, char **argv)
{
    peer_prog = "xapian_peer";
    try {
        if (argc < 2)
            peer_usage();
        if (strcmp(argv[1], "version") == 0 && argc == 2) {
            printf("{\"engine\":\"%s\",\"version\":\"%s\",\"compiled_against\":\"%s\"}\n", ENGINE,
                   Xapian::version_string(), XAPIAN_VERSION);
            return 0;
        }
        if (strcmp(argv[1], "index") == 0) {
            static const peer_indexer ix = {ENGINE, ix_begin, ix_add, ix_finish};
            XapianIndex c;
            const char *corpus, *dir;
            peer_parse_index_args(argc - 2, argv + 2, &corpus, &dir);
            c.store_text = peer_store_text != 0;
            return peer_index_main(&ix, &c, corpus, dir, Xapian::version_string());
        }
        if (strcmp(argv[1], "query") == 0)
            return cmd_query(argc - 2, argv + 2);
        peer_usage();
    } catch (const Xapian::Error &e) {
        peer_die("%s", e.get_description().c_str());
    } catch (const std::exception &e) {
        peer_die("%s", e.what());
    }
    return 1;
}
