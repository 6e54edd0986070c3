#!/usr/bin/env python3
"""Known-item queries over the Littré passages: a few words taken from one
passage, typed with or without accents; success when that passage is in the
top 10.

    known_item.py make PASSAGES.jsonl OUT.tsv [--n 2000] [--seed 42]
        writes "id<TAB>variant<TAB>query" lines
    known_item.py score OUT.tsv RESULTS.jsonl
        RESULTS: one JSON line per query, as `search query --batch` prints
        (or the peers, with "ids"); prints success@10 and MRR per variant

Query words: 2 to 4 words of the passage (letters, at least 3 of them),
drawn at random, in the passage's order; half the queries have their
accents stripped (the "no accents" variant), as a user in a hurry types.
"""
import json
import random
import re
import sys
import unicodedata

WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def make(passages, out, n=2000, seed=42):
    rng = random.Random(seed)
    # reservoir sample of passages with enough words
    sample = []
    seen = 0
    with open(passages, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            words = WORD.findall(d["text"])
            if len(words) < 6:
                continue
            seen += 1
            if len(sample) < n:
                sample.append((d["id"], words))
            else:
                j = rng.randrange(seen)
                if j < n:
                    sample[j] = (d["id"], words)
    with open(out, "w", encoding="utf-8") as o:
        for i, (pid, words) in enumerate(sample):
            k = rng.choice((2, 3, 4))
            idx = sorted(rng.sample(range(len(words)), k))
            q = " ".join(words[j] for j in idx)
            variant = "accents"
            if i % 2:
                q = strip_accents(q).lower()
                variant = "no-accents"
            o.write("%s\t%s\t%s\n" % (pid, variant, q))


def score(queries, results):
    qs = [l.rstrip("\n").split("\t") for l in open(queries, encoding="utf-8")]
    rs = [json.loads(l) for l in open(results, encoding="utf-8")]
    if len(qs) != len(rs):
        sys.exit("%d queries, %d results" % (len(qs), len(rs)))
    stats = {}
    for (pid, variant, q), r in zip(qs, rs):
        ids = r.get("ids") or ["%s/%s" % (h["id"], h["passage"]) if "passage" in h else h["id"]
                               for h in r.get("hits", [])]
        # our ids are document ids + passage numbers; Littré passages are
        # one document each ("abaisser/3"), so both forms name the passage
        ids = [i[:-2] if i.endswith("/1") and i[:-2] == pid else i for i in ids]
        rank = ids.index(pid) + 1 if pid in ids[:10] else 0
        for v in (variant, "all"):
            s = stats.setdefault(v, [0, 0, 0.0])
            s[0] += 1
            s[1] += rank > 0
            s[2] += 1.0 / rank if rank else 0
    for v in sorted(stats):
        n, hit, rr = stats[v]
        print("%-11s %5d queries  success@10 %.1f%%  MRR %.3f" % (v, n, 100.0 * hit / n, rr / n))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "make":
        args = sys.argv[2:]
        n = int(args[args.index("--n") + 1]) if "--n" in args else 2000
        seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 42
        make(args[0], args[1], n, seed)
    elif len(sys.argv) == 4 and sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
