#!/bin/sh
# Corpus nearest-neighbour benchmark: build time, query time, recall@10 and peak memory of the inverted-file index at
# its shipped defaults against exact search, on random and on real-based embeddings, one process per size.
#
# Usage: scripts/bench-corpus.sh [N ...]            (default: 100000 1000000)
#   REAL=FILE.npy: real frame embeddings to build the real-based corpus from (default: made once with
#   `framededupe embed --fps 5` over the samples and the dev set, into .cache/bench-corpus/real.npy).
#   Memory: 2 x N x 1280 x 4 bytes at most (10 GB at a million rows). OPENBLAS_NUM_THREADS=1 unless set.
#
# Compiled with `swiftc -O` together with Sources/Similarity/NearestNeighbours (they depend only on OpenBLAS), so it
# needs no change to Package.swift and measures what the release build runs.
set -eu
cd "$(dirname "$0")/.."
out=${TMPDIR:-/tmp}/framededupe-bench-corpus
mkdir -p "$out" .cache/bench-corpus
swiftc -O -parse-as-library -module-name CorpusBenchmark \
    -I Sources/COpenBLAS $(pkg-config --cflags-only-I openblas | sed 's/-I/-Xcc -I/g') \
    $(pkg-config --libs openblas) \
    Sources/Similarity/NearestNeighbours/*.swift scripts/bench-corpus.swift scripts/bench-support.swift \
    -o "$out/bench-corpus"
real=${REAL:-.cache/bench-corpus/real.npy}
if [ ! -f "$real" ]; then
    bin=.build/release/framededupe
    [ -x "$bin" ] || bin=.build/debug/framededupe
    parts=""
    for clip in samples/*.mp4 .cache/devset/*.mp4; do
        [ -f "$clip" ] || continue
        part=".cache/bench-corpus/$(basename "$clip").npy"
        [ -f "$part" ] || "$bin" embed -q --fps 5 "$clip" -o "$part"
        parts="$parts $part"
    done
    python3 - "$real" $parts <<'PY'
import sys, struct
out, parts = sys.argv[1], sys.argv[2:]
rows, body = 0, b""
for p in parts:
    data = open(p, "rb").read()
    hl = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + hl].decode()
    n = int(header.split("(")[1].split(",")[0])
    rows += n
    body += data[10 + hl:]
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 1280), }" % rows
header += " " * (63 - (10 + len(header)) % 64) + "\n"
open(out, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body)
PY
fi
[ $# -gt 0 ] || set -- 100000 1000000
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
for n in "$@"; do
    "$out/bench-corpus" "$n" random
    "$out/bench-corpus" "$n" "real:$real"
done
