#!/usr/bin/env bash
# run.sh - `make bench`: benchmarks, reproducible from this one command.
# Builds the corpora it needs (corpus/littre/build.sh), then runs each
# benchmark. Results are printed and written under bench/results/.
#   BENCH_QUICK=1  smaller inputs (make bench-quick)
set -euo pipefail
BUILD=${BUILD:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"
mkdir -p "$BUILD/bench" bench/results

bash corpus/littre/build.sh >&2
littre=corpus/littre/data/littre-passages.jsonl
text=$BUILD/bench/littre-passages.txt
if [ ! -s "$text" ] || [ "$littre" -nt "$text" ]; then
    python3 -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as o:
    for line in f:
        o.write(json.loads(line)["text"].replace("\n", " ") + "\n")
' "$littre" "$text.tmp" && mv "$text.tmp" "$text"
fi

mb=100
runs=5
if [ -n "${BENCH_QUICK:-}" ]; then mb=10; runs=3; fi

{
    echo "# libsearch benchmarks"
    echo
    echo "$(date -u +%Y-%m-%d), $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo
    "$BUILD/bench/analysis_bench" "$text" --mb "$mb" --runs "$runs"
} | tee bench/results/analysis.md
