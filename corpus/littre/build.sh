#!/usr/bin/env bash
# Build the Littré corpus: corpus/littre/build.sh [OUTDIR]
#
# Fetches Debian's stardict-xmlittre package with apt-get download (into
# OUTDIR/download/, once), extracts it with dpkg-deb and runs build.py, which
# writes OUTDIR/littre-passages.jsonl and OUTDIR/littre-entries.jsonl.
# Default OUTDIR: corpus/littre/data in the repository. See README.md.
set -euo pipefail

PKG=stardict-xmlittre
PKG_VERSION=${LITTRE_PKG_VERSION:-1:1.0-2}   # Debian 12 (bookworm)

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$here/../.." && pwd)
outdir=${1:-$repo_root/corpus/littre/data}
mkdir -p -- "$outdir"
outdir=$(cd -- "$outdir" && pwd)

passages=$outdir/littre-passages.jsonl
entries=$outdir/littre-entries.jsonl
scripts=("$here/build.sh" "$here/build.py")

up_to_date=1
for out in "$passages" "$entries"; do
    [[ -f $out ]] || { up_to_date=0; break; }
    for s in "${scripts[@]}"; do
        [[ $out -nt $s ]] || { up_to_date=0; break 2; }
    done
done
if (( up_to_date )); then
    echo "littre: $passages and $entries are up to date (newer than build.sh and build.py); nothing to do"
    exit 0
fi

start=$(date +%s)

if ! command -v python3 >/dev/null 2>&1; then
    echo "littre: python3 not found, installing it with apt-get"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3
fi

# 1. Download the .deb (once).
download=$outdir/download
mkdir -p -- "$download"
shopt -s nullglob
debs=("$download/${PKG}"_*_all.deb)
if (( ${#debs[@]} == 0 )); then
    echo "littre: downloading $PKG=$PKG_VERSION"
    # apt-get download writes into the current directory. As root, a directory
    # that the _apt user cannot write makes it print a harmless warning.
    if ! (cd -- "$download" && apt-get download "$PKG=$PKG_VERSION"); then
        echo "littre: apt-get download failed, running apt-get update and retrying"
        apt-get update -q
        (cd -- "$download" && apt-get download "$PKG=$PKG_VERSION")
    fi
    debs=("$download/${PKG}"_*_all.deb)
fi
shopt -u nullglob
if (( ${#debs[@]} != 1 )); then
    echo "littre: expected one $PKG .deb in $download, found ${#debs[@]}" >&2
    exit 1
fi
deb=${debs[0]}
echo "littre: using $deb"

# 2. Extract (afresh each time).
extract=$outdir/extract
rm -rf -- "$extract"
dpkg-deb -x "$deb" "$extract"
dicdir=$extract/usr/share/stardict/dic

# 3. Convert, writing to .tmp files and moving them into place on success.
trap 'rm -f -- "$passages.tmp" "$entries.tmp"' EXIT
stats=$(python3 "$here/build.py" --dicdir "$dicdir" \
    --entries "$entries.tmp" --passages "$passages.tmp" | tail -n 1)
mv -f -- "$entries.tmp" "$entries"
mv -f -- "$passages.tmp" "$passages"
trap - EXIT

# 4. Summary.
end=$(date +%s)
read -r n_entries n_passages text_bytes < <(
    sed -E 's/entries=([0-9]+) passages=([0-9]+) text_bytes=([0-9]+)/\1 \2 \3/' <<<"$stats")
mb=$(awk -v b="$text_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "littre: $n_entries entries, $n_passages passages, $mb MB of text" \
     "(passage texts, UTF-8), $((end - start)) s"
echo "littre: wrote $passages ($(du -h -- "$passages" | cut -f1))"
echo "littre: wrote $entries ($(du -h -- "$entries" | cut -f1))"
