#!/usr/bin/env python3
"""ls_index.py - index a JSON Lines corpus with the `search` CLI and measure
it the way the peers measure themselves (bench/peers/README.md, "index").

    ls_index.py SEARCH CORPUS.jsonl INDEXDIR [--no-merge]

1. INDEXDIR is removed first (only if it is empty or holds a libsearch
   index: a MANIFEST-* file), untimed.
2. `SEARCH index -q INDEXDIR CORPUS.jsonl` runs in a child process: wall
   time (time.monotonic around the child, from fork to exit), CPU time
   (user + system of the child, all its threads, from wait4) and peak RSS
   (ru_maxrss of the child). The CLI commits at the end with the default
   durability (fsync), as the peers sync at their final commit.
3. `SEARCH stats --json INDEXDIR` (untimed): segments and bytes by file
   kind; the size on disk is the sum of st_size of the regular files in
   INDEXDIR (the empty LOCK file included), as the peers count theirs.
4. Unless --no-merge: `SEARCH merge INDEXDIR --max-segments 1`, measured
   the same way, then stats again. Lucene and FTS5 optimize to one segment
   before their figure is taken, so "index + merge" is the like-for-like
   figure; the queries run on the merged index.

Prints one JSON line:
  {"engine":"libsearch","docs":..,"passages":..,"version":"0.1.0",
   "index":{"wall_s","cpu_s","peak_rss_kb","index_bytes","segments","bytes":{kind: n}},
   "merge":{... the same after the merge ...},
   "wall_s","cpu_s","peak_rss_kb","index_bytes","stored_bytes"}
where the top-level figures are index + merge (wall and CPU summed, peak
RSS the larger, size after the merge; without --no-merge) and
stored_bytes is the store file kind (.sto: the stored text, titles and
ids), so that "without the stored text" is index_bytes - stored_bytes.

Standard library only. Differences from the peers' own timing: the child's
start (exec, dynamic linking, ICU data) is inside the wall and CPU figures
(a few milliseconds: it matters on the seed only), and the peers' JSON
reader is theirs while the CLI uses its own (the same cli/jsonl.c parser).
"""

import json
import os
import subprocess
import sys
import time


def die(msg):
    sys.stderr.write("ls_index.py: %s\n" % msg)
    sys.exit(1)


def run_measured(argv):
    """Run argv; return (wall_s, cpu_s, peak_rss_kb). Exit on failure."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        die("%s exited with status %d" % (" ".join(argv), proc.returncode))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def dir_bytes(d):
    total = 0
    for root, _dirs, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            if os.path.isfile(p) and not os.path.islink(p):
                total += os.stat(p).st_size
    return total


def stats(search, d):
    out = subprocess.run([search, "stats", "--json", d], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def wipe(d):
    if not os.path.exists(d):
        return
    names = os.listdir(d)
    if names and not any(n.startswith("MANIFEST-") for n in names):
        die("refusing to remove %s: it is not a libsearch index" % d)
    for root, dirs, files in os.walk(d, topdown=False):
        for f in files:
            os.remove(os.path.join(root, f))
        for sub in dirs:
            os.rmdir(os.path.join(root, sub))
    os.rmdir(d)


def phase(search, d, wall, cpu, rss):
    st = stats(search, d)
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "peak_rss_kb": rss,
            "index_bytes": dir_bytes(d), "segments": len(st.get("segments", [])),
            "bytes": st["bytes"]}, st


def main():
    args = [a for a in sys.argv[1:] if a != "--no-merge"]
    merge = "--no-merge" not in sys.argv[1:]
    if len(args) != 3:
        die("usage: ls_index.py SEARCH CORPUS.jsonl INDEXDIR [--no-merge]")
    search, corpus, d = args
    wipe(d)
    version = subprocess.run([search, "--version"], capture_output=True, text=True).stdout.split()
    version = version[-1] if version else "?"

    w, c, r = run_measured([search, "index", "-q", d, corpus])
    ix, st = phase(search, d, w, c, r)
    out = {"engine": "libsearch", "docs": st["documents"], "passages": st["passages"],
           "version": version, "index": ix}
    final = ix
    if merge:
        w, c, r = run_measured([search, "merge", d, "--max-segments", "1"])
        mg, st = phase(search, d, w, c, r)
        out["merge"] = mg
        final = mg
        out["wall_s"] = round(ix["wall_s"] + mg["wall_s"], 3)
        out["cpu_s"] = round(ix["cpu_s"] + mg["cpu_s"], 3)
        out["peak_rss_kb"] = max(ix["peak_rss_kb"], mg["peak_rss_kb"])
    else:
        out.update({k: ix[k] for k in ("wall_s", "cpu_s", "peak_rss_kb")})
    out["index_bytes"] = final["index_bytes"]
    out["stored_bytes"] = final["bytes"].get("store", 0)
    print(json.dumps(out, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
