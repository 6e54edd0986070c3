#!/usr/bin/env python3
"""queries.py - the neutral query set of the benchmark, drawn reproducibly
from a corpus.

    queries.py CORPUS.jsonl OUT.txt [--n N] [--seed S]

Writes one `CLASS<TAB>QUERY` per line (the format of bench/peers/README.md,
read by the peers and by bench/query_bench.c), N queries per class (default
200), the classes interleaved (word, or, and, phrase, prefix, word, ...) so
that a warm-up of the first queries touches every class. The same corpus,
N and seed always give the same file, byte for byte.

How the words are drawn (Python 3, standard library only):

* Words are runs of letters (no digits, no apostrophe or hyphen inside) of
  at least 3 letters, lower-cased, accents kept as in the corpus; the French
  elisions l' d' qu' ... are taken off ("l'état" counts as "état"). A word
  that is part of a longer apostrophe or hyphen compound ("aujourd'hui",
  "peut-être") is not a candidate. French stop words (the Snowball list
  and a few more function words) are never candidates.
* Token frequency (occurrences in titles and texts) over the whole
  corpus. Frequency bands by token mass: the candidate words,
  most frequent first, are cut where they have covered 50% and 90% of the
  candidate tokens: "frequent" (the head that makes half of the text),
  "medium" (the next 40%) and "rare" (the tail, the last 10%). The bands
  scale with the corpus, so the seed article and the Littré get sensible
  bands alike.
* word: a third of the queries from each band.
* or: two distinct words, each from a band drawn at random.
* and: a first word (a third from each band), then a passage containing it
  and at least one other candidate word (drawn at random among them), and
  a second word from that passage: the two co-occur at least once, so the
  AND is never empty. A first word that is never in such a passage (a
  passage "DARBON / (dar-bon ou dèr-bon) s. m." has no other candidate) is
  replaced by the next of 8 backup words drawn from the same band (with
  generators of their own, so that the other classes do not depend on
  them).
* phrase: half of 2 words, half of 3, copied from a random passage (title
  or text, case kept): consecutive words separated by one space only (no
  punctuation between them: every engine sees the same sequence), each made
  of letters only, at least one of them a candidate word (so no phrase is
  made only of stop words such as "de la").
* prefix: the first 3, 4 or 5 letters (drawn at random) of a candidate word
  (a third from each band) longer than the prefix. The prefix is lengthened
  (up to 5 letters) while more than 500 distinct words of the corpus start
  with it; accents and case are folded for that count, as libsearch folds
  them (so "éta" counts "état" and "etage"), and every run of letters is
  counted, stop words and short words included. A word whose 5-letter prefix
  still starts more than 500 words is skipped. libsearch refuses a prefix
  that expands to more than 1024 terms, so the set never triggers it.

The choice of each query uses random.Random(seed), and the corpus is read
in file order, so the output depends only on the corpus, N and the seed.
"""

import argparse
import bisect
import json
import random
import re
import sys
import unicodedata

CLASSES = ("word", "or", "and", "phrase", "prefix")
MAX_PREFIX_WORDS = 500

# Snowball's French stop word list, plus frequent function words and
# forms of être/avoir it leaves out. Only words of 3 letters or more matter
# (shorter ones are never candidates anyway).
STOP = set("""
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui
ma mais me même mes moi mon ne nos notre nous on ou par pas pour qu que qui
sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l à m n s t
y été étée étées étés étant étante étants étantes suis es est sommes êtes
sont serai seras sera serons serez seront serais serait serions seriez
seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois
soit soyons soyez soient fusse fusses fût fussions fussiez fussent ayant
ayante ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura
aurons aurez auront aurais aurait aurions auriez auraient avais avait
avions aviez avaient eut eûmes eûtes eurent aie aies ait ayons ayez aient
eusse eusses eût eussions eussiez eussent
cette cet celui celle ceux celles ceci cela ça aussi alors ainsi comme
donc dont elles encore entre leurs lorsque mêmes moins peu plus quand
quel quelle quels quelles quelque quelques sans selon sous tous tout
toute toutes très vers voici voilà car chez contre depuis dès puis non
oui peut fait faire dit autre autres après avant bien même fort point
rien sont ici où là aussi être avoir
""".split())

ELISIONS = ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu")

# a token: letters, optionally joined by apostrophes or hyphens
TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
LETTERS = re.compile(r"[^\W\d_]+")
# phrase material: letter-only words separated by exactly one space
PHRASE_WORD = re.compile(r"[^\W\d_]+")


def fold(s):
    """Case and accent folding, roughly as libsearch does it (for the
    prefix expansion count only)."""
    s = s.casefold().replace("œ", "oe").replace("æ", "ae")
    s = unicodedata.normalize("NFD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def candidates(text):
    """The candidate words of a text (lower-cased, elisions removed)."""
    out = []
    for tok in TOKEN.findall(text.lower()):
        if "'" in tok or "’" in tok or "-" in tok:
            parts = re.split(r"['’]", tok, maxsplit=1)
            if len(parts) == 2 and parts[0] in ELISIONS and LETTERS.fullmatch(parts[1]):
                tok = parts[1]
            else:
                continue
        if len(tok) >= 3 and tok not in STOP:
            out.append(tok)
    return out


def read_corpus(path):
    """Yield (title, text) of each record, in file order."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            yield rec.get("title") or "", rec.get("text") or ""


def bands_by_mass(tf):
    """Split the candidate words into (frequent, medium, rare) by token mass."""
    words = sorted(tf, key=lambda w: (-tf[w], w))
    total = sum(tf.values())
    out = ([], [], [])
    acc = 0
    for w in words:
        band = 0 if acc < 0.5 * total else (1 if acc < 0.9 * total else 2)
        out[band].append(w)
        acc += tf[w]
    # a tiny corpus may leave a band empty: borrow from the neighbours
    for i in range(3):
        if not out[i]:
            out = tuple(b if b else out[(i + 1) % 3] or out[(i + 2) % 3] for b in out)
    return out


def phrase_spans(source):
    """Sequences of 2 and 3 words of `source` usable as phrases: words of
    letters only (not glued to an apostrophe, hyphen or digit), separated by
    exactly one space, at least one of them a candidate word."""
    runs, cur, last_end = [], [], None
    for m in PHRASE_WORD.finditer(source):
        start, end = m.span()
        glued = ((start > 0 and (source[start - 1].isalnum() or source[start - 1] in "'’-_")) or
                 (end < len(source) and (source[end].isalnum() or source[end] in "'’-_")))
        if glued:
            if cur:
                runs.append(cur)
            cur, last_end = [], None
            continue
        if cur and source[last_end:start] == " ":
            cur.append(m.group(0))
        else:
            if cur:
                runs.append(cur)
            cur = [m.group(0)]
        last_end = end
    if cur:
        runs.append(cur)
    out = {2: [], 3: []}
    for r in runs:
        for k in (2, 3):
            for i in range(len(r) - k + 1):
                ws = r[i:i + k]
                if any(len(w) >= 3 and w.lower() not in STOP for w in ws):
                    out[k].append(" ".join(ws))
    return out


def main():
    ap = argparse.ArgumentParser(description="draw the benchmark's neutral query set")
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=200, help="queries per class (default 200)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    a = ap.parse_args()
    if a.n < 1:
        ap.error("--n must be at least 1")
    rng = random.Random(a.seed)

    # ---- pass 1: frequencies, folded vocabulary, passage count
    tf = {}
    raw_vocab = set()
    npass = 0
    for title, text in read_corpus(a.corpus):
        npass += 1
        for part in (title, text):
            for w in candidates(part):
                tf[w] = tf.get(w, 0) + 1
            raw_vocab.update(LETTERS.findall(part))
    if not tf:
        sys.exit("queries.py: no candidate words in %s" % a.corpus)
    bands = bands_by_mass(tf)
    sorted_folded = sorted({fold(w) for w in raw_vocab})
    del raw_vocab

    def prefix_count(p):
        p = fold(p)
        lo = bisect.bisect_left(sorted_folded, p)
        hi = bisect.bisect_left(sorted_folded, p + "\U0010ffff")
        return hi - lo

    def draw(band):
        return rng.choice(bands[band])

    n = a.n
    queries = {c: [] for c in CLASSES}

    # word: a third per band
    for i in range(n):
        queries["word"].append(draw(i % 3))

    # or: two distinct words, random bands
    for i in range(n):
        w1 = draw(rng.randrange(3))
        w2 = w1
        while w2 == w1:
            w2 = draw(rng.randrange(3))
        queries["or"].append(w1 + " " + w2)

    # and: first words now (and backups, from a generator of their own),
    # partners in pass 2
    and_first = [draw(i % 3) for i in range(n)]
    backup_rng = random.Random(a.seed + 2)
    and_backups = [[backup_rng.choice(bands[i % 3]) for _ in range(8)] for i in range(n)]

    # prefix: a third per band, lengthened while too broad
    tries = 0
    while len(queries["prefix"]) < n:
        tries += 1
        if tries > 100 * n:
            sys.exit("queries.py: cannot find %d usable prefixes" % n)
        w = draw(len(queries["prefix"]) % 3)
        plen = rng.randint(3, 5)
        while plen <= 5 and prefix_count(w[:plen]) > MAX_PREFIX_WORDS:
            plen += 1
        if plen > 5 or plen >= len(w):
            continue
        queries["prefix"].append(w[:plen])

    # phrase: random passages (drawn now, read in pass 2); more than needed
    # since some passages hold no usable sequence
    want_len = [2 + (i % 2) for i in range(n)]
    ncand = min(npass, max(20 * n, 1000))
    cand_ids = rng.sample(range(npass), ncand) if ncand < npass else list(range(npass))
    rng.shuffle(cand_ids)
    cand_set = set(cand_ids)

    # and: for each first word, one passage containing it and another
    # candidate word, by reservoir sampling with a generator per word (same
    # result whatever the other words)
    first_set = set(and_first).union(*and_backups)
    chosen = {w: None for w in first_set}
    seen_count = {w: 0 for w in first_set}
    res_rng = {w: random.Random("%d:%s" % (a.seed, w)) for w in first_set}

    # ---- pass 2
    passage_words = {}
    for idx, (title, text) in enumerate(read_corpus(a.corpus)):
        if idx in cand_set:
            passage_words[idx] = (title, text)
        if first_set.isdisjoint(LETTERS.findall(title.lower() + " " + text.lower())):
            continue
        words = set(candidates(title)) | set(candidates(text))
        if len(words) < 2:
            continue
        for w in sorted(words & first_set):
            seen_count[w] += 1
            if res_rng[w].randrange(seen_count[w]) == 0:
                chosen[w] = sorted(words)

    and_rng = random.Random(a.seed + 3)   # partners: the other classes keep their draws
    for i, w0 in enumerate(and_first):
        w1 = next((w for w in [w0] + and_backups[i] if chosen[w]), None)
        if w1 is None:
            sys.stderr.write("queries.py: warning: no passage pairs %s or its backups with "
                             "another word; this AND query may match nothing\n" % w0)
            w1 = w0
            others = [w for w in bands[0] if w != w1][:50] or [w1]
        else:
            others = [w for w in chosen[w1] if w != w1]
        queries["and"].append(w1 + " " + and_rng.choice(others))

    # phrases: one per candidate passage; a small corpus is walked again
    # (other spans of the same passages) until there are enough
    per_len = {2: [], 3: []}
    need = {2: want_len.count(2), 3: want_len.count(3)}
    for _round in range(50):
        for idx in cand_ids:
            if all(len(per_len[k]) >= need[k] for k in per_len):
                break
            title, text = passage_words[idx]
            spans = phrase_spans(text if text.strip() else title)
            k = 2 if len(per_len[3]) >= need[3] else (3 if len(per_len[2]) >= need[2]
                                                       else rng.choice((2, 3)))
            if spans[k]:
                per_len[k].append(rng.choice(spans[k]))
        else:
            continue
        break
    if not per_len[2] and not per_len[3]:
        sys.exit("queries.py: no phrase found in %s" % a.corpus)
    for i in range(n):
        k = want_len[i]
        lst = per_len[k] or per_len[5 - k]
        queries["phrase"].append(lst[(i // 2) % len(lst)])

    with open(a.out, "w", encoding="utf-8", newline="\n") as o:
        o.write("# bench/queries.py %s --n %d --seed %d: %d passages; bands (frequent/medium/rare"
                " by token mass 50/40/10%%): %d/%d/%d words\n"
                % (a.corpus.rsplit("/", 1)[-1], n, a.seed, npass, *map(len, bands)))
        for i in range(n):
            for c in CLASSES:
                o.write("%s\t%s\n" % (c, queries[c][i]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
