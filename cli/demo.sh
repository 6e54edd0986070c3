#!/usr/bin/env bash
# demo.sh - `make demo`: what libsearch does today, on the seed article
# (corpus/seed/forum-migration-2024.txt). It grows with the library: for now
# it shows the analysis of the article's first paragraphs.
set -eu
SEARCH=${1:-build/search}
SEED=corpus/seed/forum-migration-2024.txt

echo "== libsearch $("$SEARCH" --version | awk '{print $3}'): analysis of the seed article"
echo "   ($SEED: $(wc -c <"$SEED") bytes, $(grep -c . "$SEED") non-empty lines)"
echo
echo "-- first paragraph, token by token (position, term, byte range, surface):"
awk 'NF {print; exit}' "$SEED" | "$SEARCH" analyze - | head -20
echo "   ..."
echo
echo "-- the IOM message: elision with the typographic apostrophe, accents:"
"$SEARCH" analyze "Dans un message vidéo, Amy Pope, la Directrice générale de l’Organisation internationale pour les migrations (OIM)"
echo
echo "-- accent-insensitive terms: Équateur = equateur, État = etat, œuvre = oeuvre:"
"$SEARCH" analyze "Équateur equateur État etat œuvre oeuvre Sous-forum"
echo
echo "-- the whole article: $("$SEARCH" analyze - <"$SEED" | wc -l) tokens, $("$SEARCH" analyze - <"$SEED" | cut -f2 | sort -u | wc -l) distinct terms"
