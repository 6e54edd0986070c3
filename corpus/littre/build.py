#!/usr/bin/env python3
"""Build the Littré corpus (JSON Lines) from the StarDict files of Debian's
stardict-xmlittre package.

Usage:
    build.py --dicdir DIR --entries OUT.jsonl --passages OUT.jsonl

DIR holds XMLittre.ifo, XMLittre.idx and XMLittre.dict.dz (or .dict).

Output, one JSON object per line, keys in the order id, title, text:
  passages: {"id": "<entry-id>/<n>", "title": <headword>, "text": <paragraph>}
  entries:  {"id": "<entry-id>",     "title": <headword>, "text": <paragraphs joined by "\n\n">}

Paragraph rule: in this dictionary every block of the Pango markup sits on a
line of its own (pronunciation/part-of-speech line, each numbered sense, each
quotation, each section heading such as ÉTYMOLOGIE or HISTORIQUE, each
century label of the HISTORIQUE section, each etymology/remark text), so each
non-empty line of an entry's body, once the markup is stripped, is one
paragraph.  Blank lines only separate groups of blocks.

Entries are the .idx entries in file order.  Several headwords (spelling
variants with or without accents, "X (À)" forms, ...) point at the same
body; each is kept as an entry of its own, as in the dictionary's index.

Standard library only; the output is streamed, and the dictionary is
decompressed to an anonymous temporary file that is read through mmap, so
memory use does not grow with the size of the dictionary.
"""

import argparse
import gzip
import json
import mmap
import os
import re
import shutil
import struct
import sys
import tempfile

# An element with no content ("<span foreground=...></span>", mostly a
# missing author in HISTORIQUE quotations) together with the ", " that
# separates it from its neighbour; stripping only the tags would leave ", , ".
EMPTY_SPAN_AFTER = re.compile(r', <span\b[^<>]*>\s*</span>')
EMPTY_SPAN_BEFORE = re.compile(r'<span\b[^<>]*>\s*</span>(?:, )?')
TAG = re.compile(r'<[^<>]*>')
ENTITY = re.compile(r'&(?:#[xX]([0-9a-fA-F]+)|#([0-9]+)|(amp|lt|gt|quot|apos));')
NAMED = {'amp': '&', 'lt': '<', 'gt': '>', 'quot': '"', 'apos': "'"}


def _entity(m):
    hexa, dec, name = m.groups()
    if name:
        return NAMED[name]
    try:
        cp = int(hexa, 16) if hexa else int(dec)
        return chr(cp)
    except (ValueError, OverflowError):
        return m.group(0)


def read_ifo(path):
    info = {}
    with open(path, encoding='utf-8') as f:
        first = f.readline().strip()
        if first != "StarDict's dict ifo file":
            sys.exit(f'{path}: not a StarDict .ifo file')
        for line in f:
            key, sep, value = line.rstrip('\n').partition('=')
            if sep:
                info[key.strip()] = value.strip()
    return info


def read_idx(path, offset_bits):
    """Yield (headword, offset, size) in file order."""
    data = open(path, 'rb').read()  # a few MB
    fmt = '>QI' if offset_bits == 64 else '>II'
    width = struct.calcsize(fmt)
    pos = 0
    end = len(data)
    while pos < end:
        nul = data.index(b'\0', pos)
        word = data[pos:nul].decode('utf-8')
        offset, size = struct.unpack_from(fmt, data, nul + 1)
        pos = nul + 1 + width
        yield word, offset, size


def entry_id_base(headword):
    """Lower-cased headword, whitespace runs and '/' replaced by '_'."""
    return '_'.join(headword.lower().replace('/', '_').split())


def paragraphs(body):
    body = EMPTY_SPAN_AFTER.sub('', body)
    body = EMPTY_SPAN_BEFORE.sub('', body)
    out = []
    for line in body.split('\n'):
        text = ' '.join(ENTITY.sub(_entity, TAG.sub('', line)).split())
        if text:
            out.append(text)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--dicdir', required=True, help='directory with XMLittre.{ifo,idx,dict.dz}')
    ap.add_argument('--name', default='XMLittre', help='StarDict base name (default XMLittre)')
    ap.add_argument('--entries', required=True, help='output path for the entries JSONL')
    ap.add_argument('--passages', required=True, help='output path for the passages JSONL')
    args = ap.parse_args()

    base = os.path.join(args.dicdir, args.name)
    info = read_ifo(base + '.ifo')
    if info.get('sametypesequence') != 'g':
        sys.exit(f"{base}.ifo: sametypesequence={info.get('sametypesequence')!r}, "
                 "expected 'g' (Pango markup)")
    offset_bits = int(info.get('idxoffsetbits', '32'))
    index = list(read_idx(base + '.idx', offset_bits))  # ~123k small tuples
    if 'wordcount' in info and int(info['wordcount']) != len(index):
        sys.exit(f"{base}.idx: {len(index)} entries, .ifo says wordcount={info['wordcount']}")

    # Entry ids: base id from the headword; a repeated one gets ".2", ".3", ...
    # in file order, skipping any id that another headword yields by itself
    # (the dictionary already writes homographs as "ADIEU.1", "ADIEU.2").
    natural = {entry_id_base(w) for w, _, _ in index}
    used = set()

    def make_id(word):
        eid = entry_id_base(word)
        if eid in used:
            n = 2
            while f'{eid}.{n}' in used or f'{eid}.{n}' in natural:
                n += 1
            eid = f'{eid}.{n}'
        used.add(eid)
        return eid

    if os.path.exists(base + '.dict.dz'):
        src = gzip.open(base + '.dict.dz', 'rb')  # dictzip is gzip-compatible
    else:
        src = open(base + '.dict', 'rb')
    out_dir = os.path.dirname(os.path.abspath(args.entries))
    n_entries = n_passages = text_bytes = 0
    with src, tempfile.TemporaryFile(dir=out_dir) as raw:
        shutil.copyfileobj(src, raw, 1 << 20)
        raw.flush()
        dict_size = raw.tell()
        with mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ) as dic, \
                open(args.entries, 'w', encoding='utf-8', newline='\n') as fe, \
                open(args.passages, 'w', encoding='utf-8', newline='\n') as fp:
            for word, offset, size in index:
                if offset + size > dict_size:
                    sys.exit(f'{word!r}: offset {offset}+{size} beyond dictionary ({dict_size})')
                eid = make_id(word)
                paras = paragraphs(dic[offset:offset + size].decode('utf-8'))
                for n, text in enumerate(paras, 1):
                    fp.write(json.dumps({'id': f'{eid}/{n}', 'title': word, 'text': text},
                                        ensure_ascii=False))
                    fp.write('\n')
                    text_bytes += len(text.encode('utf-8'))
                fe.write(json.dumps({'id': eid, 'title': word, 'text': '\n\n'.join(paras)},
                                    ensure_ascii=False))
                fe.write('\n')
                n_entries += 1
                n_passages += len(paras)

    # Machine-readable summary for build.sh (last line of stdout).
    print(f'entries={n_entries} passages={n_passages} text_bytes={text_bytes}')


if __name__ == '__main__':
    main()
