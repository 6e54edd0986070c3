#!/bin/bash
# ab_queries.sh - compare two builds of bench/query_bench on the benchmark's
# query set, in the conditions of `make bench`: before each of our runs a
# peer runs the whole set (so that our data is no longer in the CPU caches),
# the two builds alternate, and the per-class medians of each run are
# printed, then the median over the rounds.
#
#   bench/ab_queries.sh OLD_QUERY_BENCH NEW_QUERY_BENCH [ROUNDS]
#
# Needs a finished `make bench` (its indexes in build/bench/full/idx and
# the peers in build/peers). Runs on these machines differ by about 10%:
# compare medians over 5 rounds or more, never single runs.
set -euo pipefail
old=${1:?usage: ab_queries.sh OLD NEW [ROUNDS]}
new=${2:?usage: ab_queries.sh OLD NEW [ROUNDS]}
rounds=${3:-5}
BUILD=${BUILD:-build}
idx=$BUILD/bench/full/idx/littre-passages
q=$BUILD/bench/queries/littre-passages.q
flush=$BUILD/peers/xapian_peer
for f in "$idx/libsearch" "$idx/xapian" "$q" "$flush"; do
    [ -e "$f" ] || { echo "ab_queries.sh: $f is missing: run make bench first" >&2; exit 1; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((r = 1; r <= rounds; r++)); do
    for which in old new; do
        bin=$old
        [ "$which" = new ] && bin=$new
        "$flush" query "$idx/xapian" "$q" > /dev/null 2>&1
        "$bin" "$idx/libsearch" "$q" 2> /dev/null | tail -1 |
            python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
print(sys.argv[1], " ".join("%s=%.1f" % (c, o["classes"][c]["median_us"])
                            for c in ("word", "or", "and", "phrase", "prefix")))' "$which" |
            tee -a "$out"
    done
done
python3 - "$out" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    which, *pairs = line.split()
    for p in pairs:
        c, v = p.split("=")
        runs.setdefault(c, {}).setdefault(which, []).append(float(v))
print("median over rounds (us):")
for c, d in runs.items():
    o, n = statistics.median(d["old"]), statistics.median(d["new"])
    print("  %-7s old %7.1f  new %7.1f  (%+.1f%%)" % (c, o, n, 100 * (n - o) / o))
PY
