#!/usr/bin/env bash
# run.sh - `make bench`: every benchmark, reproducible from this one command
# (bench/README.md says what each figure means).
#
#   BUILD=build bash bench/run.sh          the full run (make bench, < 30 min on 2 cores)
#   BENCH_QUICK=1 BUILD=build bash ...     seed + a 100,000-passage slice (make bench-quick)
#
# 1. Tools: the peers' Debian packages and gnuplot are installed if missing
#    (make -C bench/peers deps; apt-get install gnuplot-nox), the peers built
#    into $BUILD/peers.
# 2. Corpora: the Littré (corpus/littre/build.sh), the seed as JSON Lines
#    (one record per paragraph), the slice (quick).
# 3. Query sets (bench/queries.py, fixed seed), one per corpus.
# 4. Indexing: libsearch (bench/ls_index.py: `search index`, then `search
#    merge --max-segments 1`) and each peer, repeated, engines interleaved.
# 5. Queries: each engine in its own process per repetition (libsearch:
#    bench/query_bench.c), order of the engines rotated between repetitions;
#    once through `search query --batch` with the CLI's default options.
# 6. Microbenchmarks (analysis, postings decoding, merge) and, if perf is
#    installed, short profiles of libsearch (indexing, each query class).
# 7. bench/report.py: REPORT.md and the PNG plots.
#
# Raw outputs (JSON) and indexes stay in $BUILD/bench/{full,quick}/; the
# full run writes bench/results/REPORT.md, analysis.md and *.png (committed),
# the quick run writes its report into $BUILD/bench/quick/ only, so that it
# never replaces the figures of a full run.
set -euo pipefail
BUILD=${BUILD:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

quick=${BENCH_QUICK:-}
t0=$(date +%s)
if [ -n "$quick" ]; then
    out=$BUILD/bench/quick
    results=$out
else
    out=$BUILD/bench/full
    results=bench/results
fi
raw=$out/raw
idx=$out/idx
corp=$BUILD/bench/corpus
qdir=$BUILD/bench/queries
rm -rf "$raw"
mkdir -p "$raw" "$idx" "$corp" "$qdir" "$results"
PEERS=$BUILD/peers

# One run measures one build: the programs are copied now (make has just
# built them) and the copies are used throughout, so that a rebuild of the
# library during the run (another session working in the tree) does not
# mix two builds in one report. The commit, and whether the library's
# sources differ from it, are recorded now too.
bin=$out/bin
rm -rf "$bin"
mkdir -p "$bin"
cp "$BUILD/search" "$BUILD/bench/query_bench" "$BUILD/bench/micro_bench" \
   "$BUILD/bench/analysis_bench" "$bin/"
SEARCH=$bin/search
git_state="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if git --no-optional-locks status --porcelain -- libsearch cli stemmers Makefile 2>/dev/null | grep -q .; then
    git_state="$git_state, with uncommitted changes to the library or the CLI"
fi

log() { printf '[bench %4ds] %s\n' "$(($(date +%s) - t0))" "$*" >&2; }

# ---------------------------------------------------------------- 1. tools
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
missing_pkgs() {
    local p m=
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || m="$m $p"
    done
    echo "$m"
}
m=$(missing_pkgs pkg-config libxapian-dev libsqlite3-dev liblucene++-dev libboost-dev)
if [ -n "$m" ]; then
    log "installing the peers' packages:$m"
    make -C bench/peers deps >&2
fi
m=$(missing_pkgs gnuplot-nox)
if [ -n "$m" ] && ! command -v gnuplot >/dev/null; then
    log "installing gnuplot-nox (plots)"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -q --no-install-recommends gnuplot-nox >&2 ||
        { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q --no-install-recommends gnuplot-nox >&2; }
fi
make -s -C bench/peers OUT="$root/$PEERS" >&2

# -------------------------------------------------------------- 2. corpora
bash corpus/littre/build.sh >&2
passages=corpus/littre/data/littre-passages.jsonl
entries=corpus/littre/data/littre-entries.jsonl
seed_txt=corpus/seed/forum-migration-2024.txt

# The seed as JSON Lines for every engine: one record per paragraph
# (paragraphs are separated by blank lines, as `search index` splits a text
# file into passages), id "forum-migration-2024/N", no title, the
# paragraph's text without its indentation. Records and passages coincide,
# so the ids of every engine compare directly.
seed=$corp/seed.jsonl
if [ ! -s "$seed" ] || [ "$seed_txt" -nt "$seed" ] || [ "$0" -nt "$seed" ]; then
    python3 - "$seed_txt" "$seed.tmp" <<'EOF'
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
paras = [p.strip() for p in re.split(r"\n[ \t\u00a0]*\n", text) if p.strip()]
with open(sys.argv[2], "w", encoding="utf-8") as o:
    for i, p in enumerate(paras, 1):
        o.write(json.dumps({"id": "forum-migration-2024/%d" % i, "title": "", "text": p},
                           ensure_ascii=False) + "\n")
EOF
    mv "$seed.tmp" "$seed"
fi

# One passage per line for the analysis benchmark.
text=$BUILD/bench/littre-passages.txt
if [ ! -s "$text" ] || [ "$passages" -nt "$text" ]; then
    python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as o:
    for line in f:
        o.write(json.loads(line)["text"].replace("\n", " ") + "\n")
' "$passages" "$text.tmp" && mv "$text.tmp" "$text"
fi

# The corpora of this run: NAME FILE QUERYSET LIBSEARCH-QUERY-OPTION
# (entries: documents of many passages; libsearch ranks documents by their
# best passage, --per-doc, since the peers rank whole documents).
if [ -n "$quick" ]; then
    slice=$corp/littre-passages-100k.jsonl
    if [ ! -s "$slice" ] || [ "$passages" -nt "$slice" ]; then
        head -n 100000 "$passages" > "$slice.tmp" && mv "$slice.tmp" "$slice"
    fi
    corpora=("seed $seed seed -" "littre-passages-100k $slice littre-passages-100k -")
    main=littre-passages-100k
else
    corpora=("seed $seed seed -" "littre-passages $passages littre-passages -"
             "littre-entries $entries littre-passages --per-doc")
    main=littre-passages
fi

# ----------------------------------------------------------- 3. query sets
for c in "${corpora[@]}"; do
    read -r name file qs _ <<< "$c"
    [ "$name" = "$qs" ] || continue          # borrows another corpus's set
    q=$qdir/$name.q
    n=200
    [ "$name" = seed ] && n=50
    if [ ! -s "$q" ] || [ "$file" -nt "$q" ] || [ bench/queries.py -nt "$q" ]; then
        log "drawing the query set of $name"
        python3 bench/queries.py "$file" "$q.tmp" --n "$n" --seed 42 && mv "$q.tmp" "$q"
    fi
done

# ------------------------------------------------------------- 4. indexing
engines=(libsearch fts5 xapian lucenepp)
peer_bin() { echo "$PEERS/${1}_peer"; }

# runs_for CORPUS ENGINE: how many indexing runs (the figure is their median)
runs_for() {
    case "$1" in
        seed) echo 5 ;;
        littre-passages-100k) case "$2" in libsearch|fts5) echo 3 ;; *) echo 1 ;; esac ;;
        # five: the machine varies by 10-20% between runs of the same work
        *) case "$2" in libsearch|fts5) echo 5 ;; *) echo 1 ;; esac ;;
    esac
}

index_once() {   # CORPUS FILE ENGINE RUN [--store-text]
    local name=$1 file=$2 e=$3 i=$4 st=${5:-} dir o
    dir=$idx/$name/$e${st:+-stored}
    o=$raw/$name/index-$e${st:+-stored}-$i.json
    mkdir -p "$raw/$name" "$idx/$name"
    log "index $name with $e${st:+ $st} (run $i)"
    # the previous engine's writes reach the disk first (untimed): a run
    # does not pay for the writeback of another's files
    sync
    if [ "$e" = libsearch ]; then
        python3 bench/ls_index.py "$SEARCH" "$file" "$dir" > "$o"
    else
        "$(peer_bin "$e")" index $st "$file" "$dir" > "$o"
    fi
}

for c in "${corpora[@]}"; do
    read -r name file _ _ <<< "$c"
    max=0
    for e in "${engines[@]}"; do r=$(runs_for "$name" "$e"); [ "$r" -gt "$max" ] && max=$r; done
    for ((i = 1; i <= max; i++)); do
        for e in "${engines[@]}"; do
            [ "$i" -le "$(runs_for "$name" "$e")" ] && index_once "$name" "$file" "$e" "$i"
        done
    done
    # Index sizes with the stored text, like with like: Xapian and Lucene++
    # store only the ids in the configuration above; once more with the
    # title and text stored (FTS5 and libsearch always store them). Not on
    # the entries: the same text as the passages.
    if [ "$name" != littre-entries ]; then
        for e in xapian lucenepp; do index_once "$name" "$file" "$e" 1 --store-text; done
    fi
done

# -------------------------------------------------------------- 5. queries
query_reps=3
for c in "${corpora[@]}"; do
    read -r name _ qs lsopt <<< "$c"
    q=$qdir/$qs.q
    for ((rep = 1; rep <= query_reps; rep++)); do
        # rotate the order of the engines between repetitions
        for ((k = 0; k < ${#engines[@]}; k++)); do
            e=${engines[$(((k + rep - 1) % ${#engines[@]}))]}
            o=$raw/$name/query-$e-$rep.jsonl
            log "queries on $name with $e (repetition $rep)"
            if [ "$e" = libsearch ]; then
                opt=()
                [ "$lsopt" = - ] || opt=("$lsopt")
                "$bin/query_bench" "$idx/$name/libsearch" "$q" "${opt[@]}" > "$o"
            else
                "$(peer_bin "$e")" query "$idx/$name/$e" "$q" > "$o"
            fi
        done
    done
done

# The CLI as a user runs it: `search query --batch` with its default
# options (text and snippets fetched), the same queries translated as
# query_bench does (and: "w1 AND w2"), the first 50 lines a warm-up.
python3 - "$qdir/$main.q" "$raw/$main/cli-batch.in" <<'EOF'
import sys
qs = []
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    cls, q = line.split("\t", 1)
    w = q.split()
    w = [x.lower() if x in ("AND", "OR", "NOT", "NEAR") else x for x in w]
    t = {"word": " ".join(w), "or": " ".join(w), "and": " AND ".join(w),
         "phrase": '"%s"' % " ".join(w), "prefix": " ".join(w) + "*"}[cls]
    qs.append((cls, t))
with open(sys.argv[2], "w", encoding="utf-8") as o:
    for cls, t in qs[:50] + qs:
        o.write(t + "\n")
with open(sys.argv[2] + ".classes", "w") as o:
    o.write("\n".join(["warmup"] * min(50, len(qs)) + [c for c, _ in qs]) + "\n")
EOF
log "queries on $main through search query --batch"
"$SEARCH" query "$idx/$main/libsearch" --batch "$raw/$main/cli-batch.in" > "$raw/$main/cli-batch.jsonl" || true

# -------------------------------------------------------- 6. microbenchmarks
log "microbenchmarks"
if [ -n "$quick" ]; then mb=10; npass=100000; else mb=100; npass=200000; fi
{
    echo "# libsearch benchmarks"
    echo
    echo "$(date -u +%Y-%m-%d), $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo
    "$bin/analysis_bench" "$text" --mb "$mb" --runs 3
} > "$results/analysis.md"
"$bin/micro_bench" postings "$idx/$main/libsearch" --runs 5 > "$raw/micro.jsonl"
"$bin/micro_bench" merge "$passages" "$out/work" --passages "$npass" --ram-mb 2 --runs 3 >> "$raw/micro.jsonl"

# Profiles (perf, if installed): what to read when a target is missed.
if command -v perf >/dev/null && perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
    log "profiles (perf)"
    mkdir -p "$out/prof"
    pfile=$passages
    [ -n "$quick" ] && pfile=$slice
    head -n 100000 "$pfile" > "$out/prof/slice.jsonl"
    rm -rf "$out/prof/index.idx"
    perf record -e cpu-clock -F 999 -o "$out/prof/index.data" -- \
        "$SEARCH" index -q "$out/prof/index.idx" "$out/prof/slice.jsonl" >/dev/null 2>&1 || true
    perf report -i "$out/prof/index.data" --stdio --no-children --sort symbol 2>/dev/null |
        grep '%' | grep -v '^#' | head -25 > "$raw/profile-index.txt" || true
    # each class's queries repeated to last about 2 s (from the first
    # repetition's mean time), for enough samples
    for cls in word or and phrase prefix; do
        grep -P "^$cls\t" "$qdir/$main.q" > "$out/prof/$cls.once" || continue
        reps=$(python3 -c '
import json, math, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])["classes"].get(sys.argv[2])
print(max(1, min(500, math.ceil(2e6 / (s["n"] * s["mean_us"])))) if s else 1)
' "$raw/$main/query-libsearch-1.jsonl" "$cls")
        for ((r = 0; r < reps; r++)); do cat "$out/prof/$cls.once"; done > "$out/prof/$cls.q"
        perf record -e cpu-clock -F 999 -o "$out/prof/query-$cls.data" -- \
            "$bin/query_bench" "$idx/$main/libsearch" "$out/prof/$cls.q" >/dev/null 2>&1 || true
        perf report -i "$out/prof/query-$cls.data" --stdio --no-children --sort symbol 2>/dev/null |
            grep '%' | grep -v '^#' | head -25 > "$raw/profile-query-$cls.txt" || true
    done
    rm -rf "$out/prof/index.idx" "$out/prof/slice.jsonl" "$out/prof"/*.once "$out/prof"/*.q
fi

# ------------------------------------------------------------- 7. the report
{
    echo "{\"start\":$t0,\"end\":$(date +%s),\"quick\":$([ -n "$quick" ] && echo true || echo false),"
    echo "\"main\":\"$main\",\"results\":\"$results\",\"out\":\"$out\","
    echo "\"engines\":{"
    echo "\"libsearch\":$("$bin/query_bench" version),"
    echo "\"fts5\":$("$PEERS/fts5_peer" version),"
    echo "\"xapian\":$("$PEERS/xapian_peer" version),"
    echo "\"lucenepp\":$("$PEERS/lucenepp_peer" version)},"
    echo "\"gnuplot\":\"$(gnuplot --version 2>/dev/null || echo none)\","
    echo "\"cc\":\"$(${CC:-cc} --version | head -n 1)\","
    echo "\"git\":\"$git_state\"}"
} > "$raw/run.json"
python3 bench/report.py "$out" "$results"
log "done in $(($(date +%s) - t0)) s: $results/REPORT.md"
