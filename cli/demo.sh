#!/usr/bin/env bash
# demo.sh - `make demo`: libsearch on the seed article
# (corpus/seed/forum-migration-2024.txt): how the analyzer sees the text,
# then an index of its paragraphs and the searches our ranking is judged on,
# each checked: the expected paragraph must come first.
set -eu
SEARCH=${1:-build/search}
SEED=corpus/seed/forum-migration-2024.txt
INDEX=${DEMO_INDEX:-build/demo-index}

echo "== libsearch $("$SEARCH" --version | awk '{print $3}') on the seed article"
echo "   ($SEED: $(wc -c <"$SEED") bytes, $(grep -c . "$SEED") paragraphs)"
echo
echo "-- the analyzer: elision with the typographic apostrophe, case, accents, stems"
"$SEARCH" analyze "l’Organisation internationale pour les migrations, l'Équateur"
echo
rm -rf "$INDEX"
echo "-- search index $INDEX $SEED"
"$SEARCH" index "$INDEX" "$SEED"
echo

# query, then the paragraph (passage number) that must come first and what it is
fails=0
check() {
    local query=$1 want=$2 what=$3
    echo "-- search query $INDEX '$query' -n 2"
    "$SEARCH" query "$INDEX" "$query" -n 2 || true
    local got
    got=$("$SEARCH" query "$INDEX" "$query" -n 1 --json --no-text |
          sed -n 's/.*"passage": *\([0-9]*\).*/\1/p')
    if [ "$got" = "$want" ]; then
        echo "   ok: $what (paragraph $want) comes first"
    else
        echo "   FAILED: expected $what (paragraph $want) first, got paragraph ${got:-none}"
        fails=$((fails + 1))
    fi
    echo
}
check "message vidéo de la directrice générale" 8 "the IOM message"
check "politique plus ouverte sur les mouvements transfrontaliers" 6 "the China statement"
check '"gouvernance mondiale de migration"' 6 "the China statement"
check "equateur tanzanie" 2 "the paragraph naming l'Équateur, la Tanzanie"

echo "-- search stats $INDEX"
"$SEARCH" stats "$INDEX" | head -7
if [ "$fails" -ne 0 ]; then
    echo "demo: $fails search(es) did not put the expected paragraph first" >&2
    exit 1
fi
