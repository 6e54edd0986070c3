#!/usr/bin/env bash
# test_cli.sh - the `search` command line: global options and `analyze`.
# Usage: tests/cli/test_cli.sh PATH/TO/search
set -u
SEARCH=${1:?usage: test_cli.sh SEARCH}
suite=cli
. "$(dirname "$0")/lib.sh"

# --- global --------------------------------------------------------------
run "$SEARCH" --version
ok "version" [ "$status" -eq 0 ]
ok "version text" has "$out" "search (libsearch) 0."
run "$SEARCH" --help
ok "help exit 0" [ "$status" -eq 0 ]
ok "help lists analyze" has "$out" "analyze"
run "$SEARCH"
ok "no command is a usage error" [ "$status" -eq 2 ]
run "$SEARCH" frobnicate
ok "unknown command exit 2" [ "$status" -eq 2 ]
ok "unknown command message" has "$err" "search: unknown command 'frobnicate'"

# --- analyze ---------------------------------------------------------------
run "$SEARCH" analyze "L’Organisation internationale"
ok "analyze exit 0" [ "$status" -eq 0 ]
ok "analyze columns" [ "$(printf '%s\n' "$out" | head -1)" = "$(printf '0\torganis\t4-16\tOrganisation')" ]
ok "analyze second token" has "$out" "$(printf '1\tinternational\t17-31\tinternationale')"

run "$SEARCH" analyze "Sous-forum, l'Équateur, 2024-09-12"
ok "hyphen parts consecutive" has "$out" "$(printf '0\tsous\t0-4\tSous\n1\tforum\t5-10\tforum')"
ok "accents folded" has "$out" "$(printf '2\tequateur\t14-23\tÉquateur')"
ok "date parts" has "$out" "$(printf '3\t2024\t25-29\t2024')"

run bash -c "printf 'oeuvre \\xff \\xc5\\x93uvre' | '$SEARCH' analyze -"
ok "stdin and invalid utf-8" [ "$status" -eq 0 ]
ok "invalid byte dropped" [ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]
ok "ligature folded" has "$out" "$(printf '1\toeuvr\t9-15')"

run bash -c "echo 'les migrations' | '$SEARCH' analyze"
ok "stdin without -" has "$out" "$(printf '1\tmigrat')"

run "$SEARCH" analyze --lang none "Migrations"
ok "lang none" has "$out" "$(printf '0\tmigrations\t0-10\tMigrations')"
run "$SEARCH" analyze --lang=english "running"
ok "lang english" has "$out" "$(printf '0\trun\t')"
run "$SEARCH" analyze --lang list
ok "lang list" has "$out" "french"
ok "lang list has none" has "$out" "none"
run "$SEARCH" analyze --lang klingon "x"
ok "unknown language exit 2" [ "$status" -eq 2 ]
ok "unknown language message" has "$err" "klingon"
run "$SEARCH" analyze --bogus
ok "unknown option exit 2" [ "$status" -eq 2 ]
run "$SEARCH" analyze --help
ok "analyze help" has "$out" "usage: search analyze"
run "$SEARCH" analyze ""
ok "empty text" [ "$status" -eq 0 ] && [ -z "$out" ]

# --- query ----------------------------------------------------------------
QX="$tmp/qx"
"$SEARCH" index -q "$QX" corpus/seed/forum-migration-2024.txt
run "$SEARCH" query "$QX" "message vidéo de la directrice générale"
ok "query exit 0" [ "$status" -eq 0 ]
ok "query first hit is the IOM message" python3 -c '
import sys
lines = sys.argv[1].splitlines()
assert lines[0].startswith("1. ") and "#8" in lines[0], lines[0]
assert "[message] [vidéo]" in lines[1], lines[1]
' "$out"
ok "query prints the count" has "$out" "matching passages"
ok "no colour off a terminal" lacks "$out" $'\033['
run "$SEARCH" query --color=always "$QX" "Amy Pope"
ok "colour when asked" has "$out" $'\033[1;31mAmy'
run env NO_COLOR=1 "$SEARCH" query --color=auto "$QX" "Amy Pope"
ok "NO_COLOR" lacks "$out" $'\033['
run "$SEARCH" query --json "$QX" "equateur tanzanie"
ok "json query exit 0" [ "$status" -eq 0 ]
ok "json fields" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["query"] == "equateur tanzanie" and d["total"] == 1 and d["total_is_exact"] is True
h = d["hits"][0]
for k in ("rank", "id", "passage", "score", "title", "text", "snippet"):
    assert k in h, k
assert h["rank"] == 1 and h["passage"] == 2
assert "<b>Équateur</b>" in h["snippet"] and "<b>Tanzanie</b>" in h["snippet"]
assert h["text"].startswith("Du 9 au 10 septembre")
' "$out"
run "$SEARCH" query "$QX" "xyzzy"
ok "no match exits 1" [ "$status" -eq 1 ]
run "$SEARCH" query "$QX" "migration (gestion"
ok "syntax error exits 2" [ "$status" -eq 2 ]
ok "syntax error names the column" has "$err" "column 11: missing closing parenthesis"
ok "syntax error caret" has "$err" "          ^"
run "$SEARCH" query "$tmp/nowhere" "x"
ok "missing index exits 3" [ "$status" -eq 3 ]
run "$SEARCH" query -n 2 --offset 1 --json "$QX" "migration"
ok "paging" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert [h["rank"] for h in d["hits"]] == [2, 3], d["hits"]
' "$out"
run "$SEARCH" query --explain "$QX" "Amy"
ok "explain" has "$out" "tf=1"
printf '%s\n' "migration" '"sous forum"' "a (" "xyzzy" > "$tmp/queries.txt"
run "$SEARCH" query --batch "$tmp/queries.txt" --no-text "$QX"
ok "batch exit 0" [ "$status" -eq 0 ]
ok "batch one line per query" python3 -c '
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines()]
assert len(lines) == 4
assert lines[0]["total"] > 0 and "took_us" in lines[0] and "text" not in lines[0]["hits"][0]
assert "error" in lines[2] and "column" in lines[2]["error"]
assert lines[3]["total"] == 0
' "$out"
run "$SEARCH" query --per-doc --json "$QX" "migration"
ok "per-doc keeps one passage per document" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert len(d["hits"]) == 1, d["hits"]
' "$out"
run "$SEARCH" query "$QX"
ok "query without QUERY exits 2" [ "$status" -eq 2 ]

# --- index, stats, delete, merge, check --------------------------------------
IX="$tmp/ix"
SEED=corpus/seed/forum-migration-2024.txt
run "$SEARCH" index "$IX" "$SEED"
ok "index seed" [ "$status" -eq 0 ]
ok "index summary" has "$err" "indexed 1 document ("
run "$SEARCH" index -q --threads 1 "$tmp/ix1" "$SEED"
ok "index in one thread" [ "$status" -eq 0 ]
ok "one thread: same stats" [ "$("$SEARCH" stats "$tmp/ix1" | sed -n 4,7p)" = "$("$SEARCH" stats "$IX" | sed -n 4,7p)" ]
run "$SEARCH" index --threads 3 "$tmp/ix1" "$SEED"
ok "bad --threads exit 2" [ "$status" -eq 2 ]
ok "no progress bar off a terminal" lacks "$err" $'\r'
run "$SEARCH" stats --json "$IX"
ok "stats json exit 0" [ "$status" -eq 0 ]
ok "stats json valid" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["documents"] == 1 and s["passages"] == 10, s
assert isinstance(s["segments"], list) and len(s["segments"]) == 1
assert s["deleted"] == 0 and s["terms"] > 100
for k in ("terms", "postings", "positions", "norms", "store", "deletes", "manifest", "total"):
    assert k in s["bytes"], k
' "$out"

printf '%s\n' '{"id": "a", "title": "Premier", "text": "Le forum de Suzhou.\n\nSecond paragraphe."}' \
    '{"id": "b", "text": "broken' '{"id": "c", "text": "La gouvernance mondiale."}' > "$tmp/docs.jsonl"
run "$SEARCH" index "$IX" "$tmp/docs.jsonl"
ok "bad line skipped" [ "$status" -eq 0 ]
ok "bad line reported with file and line" has "$err" "docs.jsonl:2:"
ok "skipped count" has "$err" "1 bad records skipped"
run "$SEARCH" stats --json "$IX"
ok "documents after jsonl" has "$out" '"documents": 3'

run "$SEARCH" index --on-error fail "$IX" "$tmp/docs.jsonl"
ok "on-error fail exit 3" [ "$status" -eq 3 ]
ok "on-error fail commits nothing" has "$err" "nothing committed"
run "$SEARCH" stats --json "$IX"
ok "still 3 documents" has "$out" '"documents": 3'

run "$SEARCH" index --lang english "$IX" "$tmp/docs.jsonl"
ok "lang of existing index is a usage error" [ "$status" -eq 2 ]
ok "lang message" has "$err" "uses french"
run "$SEARCH" index --format nope "$IX" "$tmp/docs.jsonl"
ok "unknown format exit 2" [ "$status" -eq 2 ]
run "$SEARCH" index "$IX" "$tmp/missing.jsonl"
ok "missing input exit 3" [ "$status" -eq 3 ]
ok "missing input message" has "$err" "missing.jsonl"

run "$SEARCH" delete "$IX" a nosuch
ok "delete with a missing id exits 1" [ "$status" -eq 1 ]
ok "delete names the missing id" has "$err" "no document 'nosuch'"
run "$SEARCH" stats --json "$IX"
ok "deleted counted" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["documents"] == 2 and s["deleted"] == 2, s
' "$out"
run "$SEARCH" merge "$IX"
ok "merge exit 0" [ "$status" -eq 0 ]
run "$SEARCH" stats --json "$IX"
ok "merged into one segment, deletions reclaimed" python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert len(s["segments"]) == 1 and s["deleted"] == 0 and s["documents"] == 2, s
' "$out"
run "$SEARCH" stats "$IX"
ok "human stats" has "$out" "segments     1"
run "$SEARCH" check "$IX"
ok "check ok" [ "$status" -eq 0 ]
ok "check says ok" has "$out" ": ok ("

f=$(ls "$IX"/*.pos | head -1)
printf '\xff' | dd of="$f" bs=1 seek=20 conv=notrunc 2>/dev/null
run "$SEARCH" check "$IX"
ok "check finds corruption" [ "$status" -eq 3 ]
ok "check names the file" has "$err" "$(basename "$f")"
run "$SEARCH" stats "$IX"
ok "reader refuses corrupt index" [ "$status" -eq 3 ]

run "$SEARCH" stats "$tmp/nowhere"
ok "missing index exit 3" [ "$status" -eq 3 ]
ok "missing index message names path" has "$err" "search: $tmp/nowhere"
run "$SEARCH" merge --max-segments 0 "$IX"
ok "bad max-segments exit 2" [ "$status" -eq 2 ]
run "$SEARCH" delete "$IX"
ok "delete without ids exit 2" [ "$status" -eq 2 ]
for c in index query delete merge stats check; do
    run "$SEARCH" "$c" --help
    ok "$c --help" has "$out" "usage: search $c"
done

# --- make demo: the seed searches put the expected paragraphs first ---------
run env DEMO_INDEX="$tmp/demo" bash cli/demo.sh "$SEARCH"
ok "demo exit 0" [ "$status" -eq 0 ]
ok "demo checks pass" [ "$(printf '%s\n' "$out" | grep -c '^   ok: ')" -eq 4 ]
ok "demo plain output marks words" has "$out" "[Équateur]"

finish
