/*
 * lucenepp_peer.cc - Lucene++ 3.0 benchmark peer.
 *
 * Index (INDEXDIR is the Lucene FSDirectory):
 *   FrenchAnalyzer(LUCENE_CURRENT); IndexWriter(create, MaxFieldLengthUNLIMITED)
 *   with setRAMBufferSizeMB(64); fields
 *     id    STORE_YES, INDEX_NOT_ANALYZED_NO_NORMS
 *     title STORE_NO,  INDEX_ANALYZED
 *     text  STORE_NO,  INDEX_ANALYZED
 *   (one Document and its Fields are reused, as the Lucene docs advise);
 *   optimize() then close().  Only the id is stored, unless
 *   `index --store-text`: title and text are then STORE_YES too (so that
 *   index sizes "stored text included" compare like with like).
 *
 * Query: QueryParser(LUCENE_CURRENT, "text", same analyzer), default operator
 *   OR (a second parser with AND_OPERATOR for the "and" class);
 *   IndexSearcher(read-only IndexReader)::search(query, k); the id of each hit
 *   is read with IndexSearcher::doc().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "peer_common.h"

#include <LuceneHeaders.h>
#include <FrenchAnalyzer.h>

#include <string>

#define ENGINE "lucene++"

#ifndef LUCENEPP_VERSION
#define LUCENEPP_VERSION "unknown"
#endif

using namespace Lucene;

namespace {

void set_err(peer_buf *err, const std::string &msg)
{
    peer_buf_clear(err);
    peer_buf_append(err, msg.data(), msg.size());
}

std::string lucene_error(const LuceneException &e)
{
    return StringUtils::toUTF8(e.getError());
}

String to_wide(const char *s, size_t n)
{
    if (n == 0)
        return String();
    return StringUtils::toUnicode(reinterpret_cast<const uint8_t *>(s), (int32_t)n);
}

struct LuceneIndex {
    IndexWriterPtr writer;
    DocumentPtr doc;
    FieldPtr id, title, text;
    bool store_text = false;   /* index --store-text */
};

int ix_begin(void *vc, const char *dir, peer_buf *err)
{
    LuceneIndex *c = static_cast<LuceneIndex *>(vc);
    try {
        AnalyzerPtr analyzer = newLucene<FrenchAnalyzer>(LuceneVersion::LUCENE_CURRENT);
        DirectoryPtr d = FSDirectory::open(to_wide(dir, strlen(dir)));
        c->writer = newLucene<IndexWriter>(d, analyzer, true, IndexWriter::MaxFieldLengthUNLIMITED);
        c->writer->setRAMBufferSizeMB(64);
        c->doc = newLucene<Document>();
        c->id = newLucene<Field>(L"id", L"", Field::STORE_YES, Field::INDEX_NOT_ANALYZED_NO_NORMS);
        Field::Store store = c->store_text ? Field::STORE_YES : Field::STORE_NO;
        c->title = newLucene<Field>(L"title", L"", store, Field::INDEX_ANALYZED);
        c->text = newLucene<Field>(L"text", L"", store, Field::INDEX_ANALYZED);
        c->doc->add(c->id);
        c->doc->add(c->title);
        c->doc->add(c->text);
    } catch (const LuceneException &e) {
        set_err(err, lucene_error(e));
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
    LuceneIndex *c = static_cast<LuceneIndex *>(vc);
    try {
        c->id->setValue(to_wide(id, id_len));
        c->title->setValue(to_wide(title, title_len));
        c->text->setValue(to_wide(text, text_len));
        c->writer->addDocument(c->doc);
    } catch (const LuceneException &e) {
        set_err(err, lucene_error(e));
        return -1;
    } catch (const std::exception &e) {
        set_err(err, e.what());
        return -1;
    }
    return 0;
}

int ix_finish(void *vc, peer_buf *err)
{
    LuceneIndex *c = static_cast<LuceneIndex *>(vc);
    try {
        c->writer->optimize();
        c->writer->close();
        c->writer.reset();
    } catch (const LuceneException &e) {
        set_err(err, lucene_error(e));
        return -1;
    }
    return 0;
}

struct LuceneSearch {
    IndexReaderPtr reader;
    IndexSearcherPtr searcher;
    QueryParserPtr qp_or, qp_and;
};

/* Lucene QueryParser syntax: every word escaped with QueryParser::escape
 * (done in search(), on the wide string); an upper-case AND/OR/NOT is
 * lower-cased so that it stays a word (the analyzer lower-cases anyway). */
std::string plain_word(const char *w)
{
    std::string s(w);
    if (peer_is_operator_word(w))
        for (char &ch : s)
            ch = (char)(ch - 'A' + 'a');
    return s;
}

/* Lucene++ 3.0.8 declares QueryParser::escape() protected (it is public in
 * Java Lucene); re-export it rather than re-implementing it. */
struct ParserEscape : public QueryParser {
    using QueryParser::escape;
};

String escaped(const char *w)
{
    std::string s = plain_word(w);
    return ParserEscape::escape(to_wide(s.data(), s.size()));
}

/* q->eq holds the UTF-8 form of the Lucene query (for the output); the
 * wide string actually parsed is rebuilt from it in search(). */
void translate(peer_query *q)
{
    String s;
    switch (q->cls) {
    case PQ_WORD:
        s = escaped(q->words[0]);
        break;
    case PQ_OR:
    case PQ_AND:
        for (int i = 0; i < q->nwords; i++) {
            if (i)
                s += L" ";
            s += escaped(q->words[i]);
        }
        break;
    case PQ_PHRASE:
        s = L"\"";
        for (int i = 0; i < q->nwords; i++) {
            if (i)
                s += L" ";
            s += escaped(q->words[i]);
        }
        s += L"\"";
        break;
    case PQ_PREFIX:
        s = escaped(q->words[0]) + L"*";
        break;
    }
    std::string u = StringUtils::toUTF8(s);
    q->eq = peer_strndup(u.data(), u.size());
}

int search(void *vc, const peer_query *q, int k, peer_ids *ids, long long *total, peer_buf *err)
{
    LuceneSearch *c = static_cast<LuceneSearch *>(vc);
    try {
        QueryParserPtr qp = q->cls == PQ_AND ? c->qp_and : c->qp_or;
        QueryPtr query = qp->parse(to_wide(q->eq, strlen(q->eq)));
        if (!query) { /* e.g. only stop words: nothing to search */
            *total = 0;
            return 0;
        }
        TopDocsPtr td = c->searcher->search(query, k);
        *total = td->totalHits;
        for (Collection<ScoreDocPtr>::iterator it = td->scoreDocs.begin(); it != td->scoreDocs.end();
             ++it) {
            DocumentPtr d = c->searcher->doc((*it)->doc);
            std::string id = StringUtils::toUTF8(d->get(L"id"));
            peer_ids_add(ids, id.data(), id.size());
        }
    } catch (const LuceneException &e) {
        set_err(err, lucene_error(e));
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
    LuceneSearch c;
    try {
        AnalyzerPtr analyzer = newLucene<FrenchAnalyzer>(LuceneVersion::LUCENE_CURRENT);
        DirectoryPtr d = FSDirectory::open(to_wide(dir, strlen(dir)));
        c.reader = IndexReader::open(d, true);
        c.searcher = newLucene<IndexSearcher>(c.reader);
        c.qp_or = newLucene<QueryParser>(LuceneVersion::LUCENE_CURRENT, L"text", analyzer);
        c.qp_and = newLucene<QueryParser>(LuceneVersion::LUCENE_CURRENT, L"text", analyzer);
        c.qp_and->setDefaultOperator(QueryParser::AND_OPERATOR);
    } catch (const LuceneException &e) {
        peer_die("cannot open Lucene index %s: %s", dir, lucene_error(e).c_str());
    }
    size_t nq;
    peer_query *qs = peer_read_queries(qfile, &nq);
    for (size_t i = 0; i < nq; i++)
        if (qs[i].cls >= 0)
            translate(&qs[i]);
    int rc = peer_run_queries(ENGINE, qs, nq, &o, search, &c);
    peer_free_queries(qs, nq);
    try {
        c.searcher->close();
        c.reader->close();
    } catch (const LuceneException &) {
    }
    return rc;
}

} // namespace

int main(int argc, char **argv)
{
    peer_prog = "lucenepp_peer";
    try {
        if (argc < 2)
            peer_usage();
        if (strcmp(argv[1], "version") == 0 && argc == 2) {
            printf("{\"engine\":\"%s\",\"version\":\"%s\",\"boost\":\"%d.%d.%d\"}\n", ENGINE,
                   LUCENEPP_VERSION, BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                   BOOST_VERSION % 100);
            return 0;
        }
        if (strcmp(argv[1], "index") == 0) {
            static const peer_indexer ix = {ENGINE, ix_begin, ix_add, ix_finish};
            LuceneIndex c;
            const char *corpus, *dir;
            peer_parse_index_args(argc - 2, argv + 2, &corpus, &dir);
            c.store_text = peer_store_text != 0;
            return peer_index_main(&ix, &c, corpus, dir, LUCENEPP_VERSION);
        }
        if (strcmp(argv[1], "query") == 0)
            return cmd_query(argc - 2, argv + 2);
        peer_usage();
    } catch (const LuceneException &e) {
        peer_die("%s", lucene_error(e).c_str());
    } catch (const std::exception &e) {
        peer_die("%s", e.what());
    }
    return 1;
}
