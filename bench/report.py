#!/usr/bin/env python3
"""report.py - the benchmark report: reads the raw outputs of bench/run.sh
and writes REPORT.md and the PNG plots (gnuplot).

    report.py OUT RESULTS

OUT is the run's directory ($BUILD/bench/full or quick): OUT/raw/ holds
  run.json                          start and end, versions, the main corpus
  CORPUS/index-ENGINE[-stored]-N.json   one JSON line per indexing run
  CORPUS/query-ENGINE-N.jsonl       one query run (per-query lines + summary)
  MAIN/cli-batch.jsonl (+ .in.classes)  `search query --batch`, default options
  micro.jsonl                       postings, bitpack and merge microbenchmarks
  profile-*.txt                     perf's top symbols (if perf ran)
RESULTS gets REPORT.md, latency.png, indexing.png and size.png; it also
holds analysis.md (written by run.sh), which the report quotes. The
plots' data and gnuplot scripts go to OUT/plots/.

How figures are combined (the report says it again):
* indexing: the median over runs of wall, CPU, peak RSS and size; docs/s
  and MB/s are docs and text bytes over the median wall time;
* queries: each engine runs the whole set in one process per repetition;
  per class, the median over repetitions of each run's median, p95, p99
  and qps (nearest-rank percentiles, qps = n / sum of times);
* agreement: from the first repetition, per query the share of libsearch's
  top-10 ids found in the peer's top-10, averaged over the queries of a
  class where libsearch returned something.
Nothing is quoted that the raw files do not hold. Standard library only.
"""

import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ENGINES = ("libsearch", "fts5", "xapian", "lucenepp")
PEERS = ("fts5", "xapian", "lucenepp")
NAMES = {"libsearch": "libsearch", "fts5": "SQLite FTS5", "xapian": "Xapian",
         "lucenepp": "Lucene++"}
CLASSES = ("word", "or", "and", "phrase", "prefix")
# latency targets: our median at least this many times faster than the best peer's
LAT_TARGET = {"word": 2.0, "and": 2.0, "phrase": 2.0, "or": 5.0}
INDEX_TARGET = 2.0


def load_json_lines(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=1):
    if x is None:
        return "–"
    if isinstance(x, int):
        return "{:,}".format(x)
    if abs(x) >= 100:
        return "{:,.0f}".format(x)
    return "{:,.{}f}".format(x, nd)


def fmt_s(x):
    """Seconds: milliseconds visible below 10 s."""
    return "–" if x is None else ("%.3f" % x if x < 10 else "%.1f" % x)


def fmt_mb(b):
    """Bytes as MB, three decimals below 1 MB."""
    if b is None:
        return "–"
    return "%.3f" % (b / 1e6) if b < 1e6 else "{:,.2f}".format(b / 1e6)


def fmt_ratio(x):
    return "–" if x is None else ("%.2f×" % x)


def mb(b):
    return None if b is None else b / 1e6


# ------------------------------------------------------------------ loading

def load_index(rawdir, corpus):
    """{variant: [runs]} where variant is engine, engine-stored, libsearch."""
    runs = {}
    for p in sorted(glob.glob(os.path.join(rawdir, corpus, "index-*.json"))):
        m = re.match(r"index-(.+)-(\d+)\.json$", os.path.basename(p))
        if not m:
            continue
        rec = load_json_lines(p)
        if rec:
            runs.setdefault(m.group(1), []).append(rec[-1])
    return runs


def load_queries(rawdir, corpus):
    """{engine: [(per-query lines, summary)] in repetition order}."""
    out = {}
    for p in sorted(glob.glob(os.path.join(rawdir, corpus, "query-*.jsonl")),
                    key=lambda s: int(re.search(r"-(\d+)\.jsonl$", s).group(1))):
        m = re.match(r"query-(.+)-(\d+)\.jsonl$", os.path.basename(p))
        lines = load_json_lines(p)
        if not lines or not lines[-1].get("summary"):
            continue
        out.setdefault(m.group(1), []).append((lines[:-1], lines[-1]))
    return out


# ------------------------------------------------------------ computations

def index_summary(runs, text_bytes):
    """Median figures of a list of index runs (peer lines or ls_index.py lines)."""
    if not runs:
        return None
    s = {"runs": len(runs)}
    for k in ("wall_s", "cpu_s", "peak_rss_kb", "index_bytes"):
        s[k] = med([r.get(k) for r in runs])
    s["docs"] = runs[0].get("docs")
    s["text_bytes"] = runs[0].get("text_bytes", text_bytes)
    if s["wall_s"]:
        s["docs_per_s"] = s["docs"] / s["wall_s"]
        s["mb_per_s"] = s["text_bytes"] / 1e6 / s["wall_s"] if s["text_bytes"] else None
    return s


def ls_phase_summary(runs, phase, text_bytes):
    """libsearch: the `index` phase alone, as a run list of its own."""
    sub = []
    for r in runs:
        p = dict(r[phase])
        p["docs"] = r["docs"]
        p["text_bytes"] = text_bytes
        sub.append(p)
    return index_summary(sub, text_bytes)


def latency_summary(reps):
    """{class: {median_us, p95_us, p99_us, qps, n, reps}} medians over repetitions."""
    out = {}
    for c in CLASSES + ("all",):
        vals = [(s["classes"].get(c) if c != "all" else s.get("all")) for _, s in reps]
        vals = [v for v in vals if v]
        if not vals:
            continue
        out[c] = {k: med([v[k] for v in vals]) for k in ("median_us", "p95_us", "p99_us", "qps")}
        out[c]["n"] = vals[0]["n"]
        out[c]["reps"] = len(vals)
    return out


def agreement(ours, peer):
    """{class: (mean share, queries)} of our top-k ids found in the peer's."""
    acc = {}
    for a, b in zip(ours, peer):
        if a.get("query") != b.get("query") or a.get("class") != b.get("class"):
            raise SystemExit("report.py: query files of two engines differ")
        if "error" in a or "error" in b or not a.get("ids"):
            continue
        mine = list(dict.fromkeys(a["ids"]))
        share = len(set(mine) & set(b["ids"])) / len(mine)
        acc.setdefault(a["class"], []).append(share)
    return {c: (sum(v) / len(v), len(v)) for c, v in acc.items()}


# ------------------------------------------------------------------ machine

def machine():
    info = {"nproc": os.cpu_count()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                info["ram_gb"] = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    info["kernel"] = platform.release()
    try:
        info["debian"] = open("/etc/debian_version").read().strip()
    except OSError:
        info["debian"] = "?"
    return info


# ------------------------------------------------------------------ plots

def gnuplot(script, plotdir, name):
    path = os.path.join(plotdir, name + ".gp")
    with open(path, "w") as f:
        f.write(script)
    try:
        r = subprocess.run(["gnuplot", path], capture_output=True, text=True)
    except FileNotFoundError:
        return "gnuplot not found"
    return r.stderr.strip() if r.returncode else None


def write_dat(path, header, rows):
    with open(path, "w") as f:
        f.write("# " + " ".join(header) + "\n")
        for r in rows:
            f.write(" ".join(("?" if v is None else ('"%s"' % v if isinstance(v, str) else
                                                    "%.6g" % v)) for v in r) + "\n")


def histogram(png, dat, title, ylabel, cols, logscale=False):
    plots = []
    for i, (col, t) in enumerate(cols):
        plots.append("'%s' using %d%s title '%s'" % (dat, col, ":xtic(1)" if i == 0 else "", t))
    return """set terminal pngcairo size 900,500 font 'DejaVu Sans,10' noenhanced
set output '%s'
set title '%s'
set ylabel '%s'
set datafile missing '?'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key outside right top vertical
set grid ytics
set yrange [%s:*]
%s
plot %s
""" % (png, title, ylabel, "1" if logscale else "0",
       "set logscale y" if logscale else "", ", ".join(plots))


# ------------------------------------------------------------------ report

def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: report.py OUT RESULTS")
    out, results = sys.argv[1:]
    rawdir = os.path.join(out, "raw")
    plotdir = os.path.join(out, "plots")
    os.makedirs(plotdir, exist_ok=True)
    os.makedirs(results, exist_ok=True)
    run = json.load(open(os.path.join(rawdir, "run.json")))
    main_corpus = run["main"]
    quick = run.get("quick")
    corpora = [c for c in ("seed", "littre-passages-100k", "littre-passages", "littre-entries")
               if os.path.isdir(os.path.join(rawdir, c))]
    mach = machine()
    md = []
    w = md.append

    # ---- gather
    idx, lat, agr, qreps = {}, {}, {}, {}
    for c in corpora:
        runs = load_index(rawdir, c)
        tb = next((r[0]["text_bytes"] for k, r in runs.items() if r and "text_bytes" in r[0]), None)
        s = {k: index_summary(v, tb) for k, v in runs.items() if k != "libsearch"}
        if "libsearch" in runs:
            s["libsearch"] = index_summary([dict(r, text_bytes=tb) for r in runs["libsearch"]], tb)
            s["libsearch-index"] = ls_phase_summary(runs["libsearch"], "index", tb)
            s["libsearch-runs"] = runs["libsearch"]
        idx[c] = s
        q = load_queries(rawdir, c)
        qreps[c] = q
        lat[c] = {e: latency_summary(v) for e, v in q.items()}
        if "libsearch" in q:
            agr[c] = {e: agreement(q["libsearch"][0][0], q[e][0][0]) for e in PEERS if e in q}

    # ---- header
    start = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(run["start"]))
    took = run["end"] - run["start"]
    w("# libsearch against Xapian, SQLite FTS5 and Lucene++%s" % (" (quick run)" if quick else ""))
    w("")
    w("Written by `make %s` (bench/run.sh, bench/report.py) on %s; the measurements took "
      "%d min %02d s. Every figure below was measured in this run; the peers were measured "
      "in the same run, interleaved with libsearch." % ("bench-quick" if quick else "bench",
                                                         start, took // 60, took % 60))
    w("")
    w("Machine: %s, %d cores, %.0f GB RAM, Linux %s, Debian %s. Commit %s." % (
        mach.get("cpu", "?"), mach["nproc"], mach.get("ram_gb", 0), mach["kernel"],
        mach["debian"], run.get("git", "?")))
    w("")
    ev = run.get("engines", {})
    w("| engine | version | configuration |")
    w("|---|---|---|")
    w("| libsearch | %s | `search index` (default options: French, 64 MB RAM budget, "
      "background analysis thread), then `search merge --max-segments 1`; queries through the "
      "API (bench/query_bench.c): reader preloaded (`srch_reader_preload`), no stored text, "
      "no snippets, inexact totals |" %
      ev.get("libsearch", {}).get("version", "?"))
    w("| SQLite FTS5 | %s | `unicode61 remove_diacritics 2`, one transaction, `optimize`; "
      "`ORDER BY rank` (bm25) |" % ev.get("fts5", {}).get("version", "?"))
    w("| Xapian | %s | glass, TermGenerator Stem(\"french\") STEM_SOME, one commit; QueryParser "
      "default OR, BM25Weight |" % ev.get("xapian", {}).get("version", "?"))
    w("| Lucene++ | %s (Boost %s) | FrenchAnalyzer, 64 MB RAM buffer, optimize; QueryParser "
      "default OR on `text`, IndexSearcher top-k |" % (
          ev.get("lucenepp", {}).get("version", "?"), ev.get("lucenepp", {}).get("boost", "?")))
    w("")
    w("Compiler: %s. Plots: %s. Configurations in detail: bench/peers/README.md; what each "
      "figure means: bench/README.md." % (run.get("cc", "?"), run.get("gnuplot", "?")))
    w("")

    # ---- targets
    targets = []
    mi = idx.get(main_corpus, {})
    ml = lat.get(main_corpus, {})
    prof = os.path.join(out, "prof")

    def prof_ptr(kind):
        txt = os.path.join(rawdir, "profile-%s.txt" % kind)
        if os.path.exists(txt) and os.path.getsize(txt) > 0:
            return ("profile: `perf report -i %s/%s.data` (top symbols under "
                    "[Profiles](#profiles))" % (prof, kind))
        return "profile with `perf record` (perf was not available in this run)"

    ls = mi.get("libsearch")
    peers_ix = {e: mi[e] for e in PEERS if mi.get(e)}
    if ls and peers_ix:
        best_e = max(peers_ix, key=lambda e: peers_ix[e]["docs_per_s"])
        best = peers_ix[best_e]["docs_per_s"]
        r_all = ls["docs_per_s"] / best
        r_ix = mi["libsearch-index"]["docs_per_s"] / best
        ok = r_all >= INDEX_TARGET
        targets.append((
            "indexing %s ≥ %.0f× the fastest peer's throughput" % (main_corpus, INDEX_TARGET),
            "%s docs/s (index + merge; %s index alone) against %s %s docs/s: **%s** (%s index "
            "alone)" % (fmt(ls["docs_per_s"]), fmt(mi["libsearch-index"]["docs_per_s"]),
                        NAMES[best_e], fmt(best), fmt_ratio(r_all), fmt_ratio(r_ix)),
            ok, None if ok else prof_ptr("index")))
    for c in ("word", "and", "phrase", "or"):
        ours = ml.get("libsearch", {}).get(c)
        peer = {e: ml[e][c] for e in PEERS if ml.get(e, {}).get(c)}
        if not ours or not peer:
            continue
        be = min(peer, key=lambda e: peer[e]["median_us"])
        r = peer[be]["median_us"] / ours["median_us"]
        ok = r >= LAT_TARGET[c]
        targets.append((
            "median latency, %s, ≥ %.0f× faster than the best peer" % (c, LAT_TARGET[c]),
            "%s µs against %s %s µs: **%s**" % (fmt(ours["median_us"]), NAMES[be],
                                                  fmt(peer[be]["median_us"]), fmt_ratio(r)),
            ok, None if ok else prof_ptr("query-" + c)))
    if ls:
        stored = {"fts5": mi.get("fts5"), "xapian": mi.get("xapian-stored"),
                  "lucenepp": mi.get("lucenepp-stored")}
        stored = {e: s for e, s in stored.items() if s}
        if stored:
            se = min(stored, key=lambda e: stored[e]["index_bytes"])
            ok = ls["index_bytes"] <= stored[se]["index_bytes"]
            targets.append((
                "index size on disk, stored text included, ≤ the smallest peer's",
                "%s MB against %s %s MB (text stored): **%s**" % (
                    fmt_mb(ls["index_bytes"]), NAMES[se], fmt_mb(stored[se]["index_bytes"]),
                    fmt_ratio(ls["index_bytes"] / stored[se]["index_bytes"])),
                ok, None if ok else "sizes by file kind below"))
    w("## Targets (%s)" % main_corpus)
    w("")
    if targets:
        w("| target | measured | met? |")
        w("|---|---|---|")
        for t, m_, ok, ptr in targets:
            w("| %s | %s | %s |" % (t, m_, "yes" if ok else "**NO** — " + ptr))
        missed = [t for t, _, ok, _ in targets if not ok]
        w("")
        if missed:
            w("**%d of %d targets missed:** %s." % (len(missed), len(targets), "; ".join(missed)))
        else:
            w("All %d targets met." % len(targets))
    else:
        w("No target could be evaluated (a run is missing).")
    w("")
    w("Ratios are the peer's figure over ours for times (above 1: we are faster) and ours "
      "over the peer's for throughput. Prefix queries have no target; their figures are "
      "below.")
    w("")

    # ---- indexing
    w("## Indexing")
    w("")
    w("Wall: from the start of indexing to the last commit (the peers time themselves "
      "from opening the index to the final commit/optimize/close; libsearch is the `search` "
      "process, started and timed by bench/ls_index.py: its start-up, a few ms, is included). "
      "CPU: user + system, all threads. Docs/s and MB/s (title + text, UTF-8) over the median "
      "wall time. Size: the files in the index directory. \"libsearch\" is `search index` "
      "then `search merge --max-segments 1`, the like-for-like figure since FTS5 and Lucene++ "
      "optimize; \"libsearch, index only\" is without the merge. Xapian and Lucene++ store only "
      "the ids here (the sizes with the text stored are in the next table). Ratio: libsearch's "
      "throughput (index + merge) over the engine's.")
    w("")
    for c in corpora:
        s = idx[c]
        if not s.get("libsearch"):
            continue
        w("### %s (%s docs, %s MB of text)" % (c, fmt(s["libsearch"]["docs"]),
                                               fmt(mb(s["libsearch"]["text_bytes"]), 2)))
        w("")
        w("| engine | runs | wall s | CPU s | docs/s | MB/s | peak RSS MB | size MB | "
          "size without stored text MB | libsearch ratio |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        ls = s["libsearch"]
        rows = [("libsearch", ls), ("libsearch, index only", s["libsearch-index"])]
        rows += [(NAMES[e], s[e]) for e in PEERS if s.get(e)]
        for name, r in rows:
            if name == "libsearch":
                nostore = r["index_bytes"] - med([x["stored_bytes"] for x in s["libsearch-runs"]])
            elif name.startswith("libsearch"):
                nostore = r["index_bytes"] - med([x["index"]["bytes"]["store"]
                                                  for x in s["libsearch-runs"]])
            elif name in (NAMES["xapian"], NAMES["lucenepp"]):
                nostore = r["index_bytes"]    # ids only
            else:
                nostore = None                # FTS5 always stores the text
            ratio = None if name.startswith("libsearch") else ls["docs_per_s"] / r["docs_per_s"]
            w("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name, r["runs"], fmt_s(r["wall_s"]), fmt_s(r["cpu_s"]), fmt(r["docs_per_s"]),
                fmt(r["mb_per_s"], 2), fmt(r["peak_rss_kb"] / 1024), fmt_mb(r["index_bytes"]),
                fmt_mb(nostore), fmt_ratio(ratio)))
        w("")
        # by file kind
        last = s["libsearch-runs"][-1]
        kinds = [k for k in ("terms", "postings", "positions", "norms", "store", "deletes",
                             "manifest") if k in last["merge" if "merge" in last else "index"]["bytes"]]
        w("libsearch by file kind (MB; after `index` with %d segment(s), and after the merge):" %
          last["index"]["segments"])
        w("")
        w("| | " + " | ".join(kinds) + " | total |")
        w("|---|" + "---|" * (len(kinds) + 1))
        for ph in ("index", "merge"):
            if ph in last:
                b = last[ph]["bytes"]
                w("| %s | %s | %s |" % (ph, " | ".join(fmt_mb(b[k]) for k in kinds),
                                         fmt_mb(b["total"])))
        w("")
        st = {e: s.get(e + "-stored") for e in ("xapian", "lucenepp")}
        if any(st.values()):
            w("Index size with the title and text stored (Xapian and Lucene++ indexed once more "
              "with `--store-text`; FTS5 and libsearch always store them):")
            w("")
            w("| engine | size MB | libsearch / engine | indexing wall s with the text stored |")
            w("|---|---|---|---|")
            w("| libsearch | %s | | |" % fmt_mb(ls["index_bytes"]))
            cand = [("fts5", s.get("fts5")), ("xapian", st["xapian"]),
                    ("lucenepp", st["lucenepp"])]
            for e, r in cand:
                if r:
                    w("| %s | %s | %s | %s |" % (NAMES[e], fmt_mb(r["index_bytes"]),
                                                 fmt_ratio(ls["index_bytes"] / r["index_bytes"]),
                                                 fmt_s(r["wall_s"])))
            w("")

    # ---- queries
    w("## Query latency")
    w("")
    w("Top 10, one thread, after a warm-up of 50 queries; each engine runs the whole query set "
      "in its own process, %s times, engines in rotated order. The timer covers parsing the "
      "query string, searching and fetching the ids of the top 10. Figures are the median over "
      "the repetitions of each repetition's median, p95, p99 (nearest rank) and qps (queries "
      "over the summed query times). Ratio: the engine's median over libsearch's (above 1: "
      "libsearch is faster). The query sets are drawn by bench/queries.py (seed 42) across "
      "frequency bands; classes as in bench/peers/README.md." %
      max([len(v) for q in qreps.values() for v in q.values()] or [0]))
    w("")
    for c in corpora:
        L = lat.get(c, {})
        if "libsearch" not in L:
            continue
        qs_engine = [e for e in ENGINES if e in L]
        w("### %s%s" % (c, " (libsearch: best passage per document, --per-doc)"
                        if c == "littre-entries" else ""))
        w("")
        w("| class | engine | median µs | p95 µs | p99 µs | qps | ratio |")
        w("|---|---|---|---|---|---|---|")
        for cl in CLASSES + ("all",):
            ours = L["libsearch"].get(cl)
            for e in qs_engine:
                v = L[e].get(cl)
                if not v:
                    continue
                ratio = v["median_us"] / ours["median_us"] if (ours and e != "libsearch") else None
                w("| %s | %s | %s | %s | %s | %s | %s |" % (
                    cl if e == qs_engine[0] else "", NAMES[e], fmt(v["median_us"]),
                    fmt(v["p95_us"]), fmt(v["p99_us"]), fmt(v["qps"]), fmt_ratio(ratio)))
        w("")
        w("Queries per class: %s." % ", ".join("%s %d" % (cl, L["libsearch"][cl]["n"])
                                                for cl in CLASSES if cl in L["libsearch"]))
        w("")

    # CLI batch
    cb = os.path.join(rawdir, main_corpus, "cli-batch.jsonl")
    cc = os.path.join(rawdir, main_corpus, "cli-batch.in.classes")
    if os.path.exists(cb) and os.path.exists(cc):
        lines = load_json_lines(cb)
        classes = [x.strip() for x in open(cc)]
        per = {}
        for cl, l in zip(classes, lines):
            if cl != "warmup" and "took_us" in l:
                per.setdefault(cl, []).append(l["took_us"])
        if per:
            w("`search query --batch` on %s, once, with the CLI's default options (stored text "
              "and snippets fetched; its `took_us` covers parsing and searching, output "
              "excluded): median µs per class: %s. The API figures above fetch ids only." % (
                  main_corpus, ", ".join("%s %s" % (cl, fmt(med(per[cl])))
                                        for cl in CLASSES if cl in per)))
            w("")

    # ---- agreement
    w("## Agreement")
    w("")
    w("Share of libsearch's top-10 ids found in each peer's top-10 (first repetition; mean "
      "over the queries of the class where libsearch found something). A sanity figure, not a "
      "target: the engines analyze and rank differently (stemming, accents, title field, "
      "BM25 variants; bench/peers/README.md).")
    w("")
    for c in corpora:
        A = agr.get(c)
        if not A:
            continue
        w("### %s" % c)
        w("")
        w("| class | " + " | ".join(NAMES[e] for e in PEERS if e in A) + " |")
        w("|---|" + "---|" * len(A))
        for cl in CLASSES:
            cells = []
            for e in PEERS:
                if e in A:
                    v = A[e].get(cl)
                    cells.append("–" if not v else "%.0f%% (%d)" % (100 * v[0], v[1]))
            w("| %s | %s |" % (cl, " | ".join(cells)))
        w("")

    # ---- microbenchmarks
    w("## Microbenchmarks (libsearch, one thread)")
    w("")
    an = os.path.join(results, "analysis.md")
    if os.path.exists(an):
        w("Analysis (bench/analysis_bench.c; `analysis.md`):")
        w("")
        for line in open(an, encoding="utf-8"):
            if line.startswith("|") or line.startswith("# analysis"):
                w(line.rstrip("\n").lstrip("# "))
        w("")
    micro = os.path.join(rawdir, "micro.jsonl")
    if os.path.exists(micro):
        for m_ in load_json_lines(micro):
            if m_["bench"] == "postings":
                w("- Postings decoding (%s), every list of df ≥ 2 of the %s index (%s lists, %s "
                  "entries, %.0f%% in full 128-entry blocks): **%.0f M integers/s** (%.2f ns per "
                  "entry), median of %d." % (
                      m_["mode"], main_corpus, fmt(m_["lists"]), fmt(m_["entries"]),
                      100 * m_["entries_in_full_blocks"] / max(1, m_["entries"]),
                      m_["integers_per_s"] / 1e6, m_["ns_per_entry"], m_["runs"]))
            elif m_["bench"] == "bitpack":
                w("- Bit unpacking kernel (%s): **%.0f M integers/s**, median of %d." % (
                    m_["mode"], m_["integers_per_s"] / 1e6, m_["runs"]))
            elif m_["bench"] == "merge":
                w("- Merge: %s passages indexed with a %d MB RAM budget into %d segments "
                  "(%s MB), merged into %d (%s MB) in %.2f s wall, %.2f s CPU: **%.1f MB/s** of "
                  "input, %s passages/s, median of %d (no fsync)." % (
                      fmt(m_["passages"]), m_["ram_mb"], m_["segments_before"],
                      fmt(mb(m_["bytes_before"]), 1), m_["segments_after"],
                      fmt(mb(m_["bytes_after"]), 1), m_["wall_s"], m_["cpu_s"], m_["mb_per_s"],
                      fmt(m_["passages_per_s"]), m_["runs"]))
        s = idx.get(main_corpus, {})
        if (s.get("libsearch-runs") and "merge" in s["libsearch-runs"][0]
                and s["libsearch-runs"][0]["index"]["segments"] > 1):
            runs = s["libsearch-runs"]
            wall = med([r["merge"]["wall_s"] for r in runs])
            inb = med([r["index"]["index_bytes"] for r in runs])
            w("- `search merge --max-segments 1` of the whole %s index (%d segments, %s MB, "
              "fsync included): %.2f s, %.1f MB/s of input, median of %d." % (
                  main_corpus, runs[0]["index"]["segments"], fmt(mb(inb), 1), wall,
                  inb / 1e6 / wall, len(runs)))
        w("")

    # ---- plots
    errs = []
    L = lat.get(main_corpus, {})
    eng = [e for e in ENGINES if e in L]
    if eng:
        dat = os.path.join(plotdir, "latency.dat")
        write_dat(dat, ["class"] + eng,
                  [[cl] + [L[e].get(cl, {}).get("median_us") for e in eng] for cl in CLASSES])
        errs.append(gnuplot(histogram(
            os.path.join(results, "latency.png"), dat,
            "Median top-10 latency per query class, %s (lower is better)" % main_corpus,
            "microseconds (log scale)", [(i + 2, NAMES[e]) for i, e in enumerate(eng)],
            logscale=True), plotdir, "latency"))
    big = [c for c in corpora if c != "seed" and idx[c].get("libsearch")]
    if big:
        cols = ["libsearch", "libsearch-index"] + list(PEERS)
        titles = {"libsearch": "libsearch (index + merge)", "libsearch-index": "libsearch (index)"}
        dat = os.path.join(plotdir, "indexing.dat")
        write_dat(dat, ["corpus"] + cols,
                  [[c] + [(idx[c].get(k) or {}).get("mb_per_s") for k in cols] for c in big])
        errs.append(gnuplot(histogram(
            os.path.join(results, "indexing.png"), dat,
            "Indexing throughput (higher is better)", "MB of text per second",
            [(i + 2, titles.get(k, NAMES.get(k, k))) for i, k in enumerate(cols)]),
            plotdir, "indexing"))
    s = idx.get(main_corpus, {})
    if s.get("libsearch"):
        ls = s["libsearch"]
        nost = ls["index_bytes"] - med([x["stored_bytes"] for x in s["libsearch-runs"]])
        rows = [["libsearch", mb(nost), mb(ls["index_bytes"])]]
        if s.get("fts5"):
            rows.append([NAMES["fts5"], None, mb(s["fts5"]["index_bytes"])])
        for e in ("xapian", "lucenepp"):
            rows.append([NAMES[e], mb((s.get(e) or {}).get("index_bytes")),
                         mb((s.get(e + "-stored") or {}).get("index_bytes"))])
        dat = os.path.join(plotdir, "size.dat")
        write_dat(dat, ["engine", "without", "with"], rows)
        errs.append(gnuplot(histogram(
            os.path.join(results, "size.png"), dat,
            "Index size on disk, %s (lower is better)" % main_corpus, "MB",
            [(2, "without the stored text"), (3, "with the stored text")]), plotdir, "size"))
    errs = [e for e in errs if e]
    w("## Plots")
    w("")
    if errs:
        w("gnuplot failed: %s" % "; ".join(errs))
        w("")
    for png, alt in (("latency.png", "latency per class and engine"),
                     ("indexing.png", "indexing throughput"), ("size.png", "index size")):
        if os.path.exists(os.path.join(results, png)):
            w("![%s](%s)" % (alt, png))
            w("")

    # ---- profiles
    profs = sorted(glob.glob(os.path.join(rawdir, "profile-*.txt")))
    missed_kinds = set()
    for t, _, ok, ptr in targets:
        if not ok and ptr and "perf report" in ptr:
            missed_kinds.add(re.search(r"prof/(.+?)\.data", ptr).group(1))
    w("## Profiles")
    w("")
    if profs:
        w("perf (cpu-clock, flat) of libsearch: indexing the first 100,000 records of %s with "
          "`search index`, and query_bench on each class of the %s query set. Data in %s/; "
          "`perf report -i FILE` to explore. Top symbols of the profiles of missed targets:" %
          ("the slice" if quick else "littre-passages", main_corpus, prof))
        w("")
        for p in profs:
            kind = os.path.basename(p)[len("profile-"):-len(".txt")]
            if kind not in missed_kinds:
                continue
            w("`%s`:" % kind)
            w("")
            w("```")
            for line in open(p).read().splitlines()[:12]:
                w(re.sub(r"\s+-\s+-\s*$", "", line.rstrip()))
            w("```")
            w("")
        if not missed_kinds:
            w("(no target missed)")
            w("")
    else:
        w("perf was not available: no profile recorded.")
        w("")

    # ---- notes
    w("## Notes")
    w("")
    w("- Runs: each figure is a median; the number of runs is in each table (indexing the "
      "full Littré with Xapian and Lucene++ takes about 2 minutes each, hence one run of "
      "those; libsearch and FTS5 five, as the same work's times vary by 10 to 20% here).")
    w("- The seed is 10 paragraphs: its timings are dominated by fixed costs (libsearch's "
      "include starting the process), shown for completeness, not for comparison.")
    w("- The engines do not find the same passages (see Agreement): FTS5 does not stem, "
      "Xapian and Lucene++ keep accents and elided articles, Lucene++ searches the text field "
      "only; libsearch folds accents, strips elisions, stems, and ranks with BM25 plus exact "
      "forms and coordination.")
    w("- Raw outputs: %s/ (per-query times and ids of every run)." % rawdir)
    w("")

    with open(os.path.join(results, "REPORT.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
