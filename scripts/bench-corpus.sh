#!/bin/sh
# Corpus nearest-neighbour benchmark: build time (k-means + self-tuning), query time, recall@10 (against exact search,
# on 200 sampled queries that are not in the index's self-check sample) and peak memory of the inverted-file index at
# its shipped defaults (nprobe self-tuned to recall 0.95, or exact search), on random and on real-based embeddings,
# one process per size and data set (so peak RSS is each one's). Writes the table into BENCHMARKS.md between
# <!-- corpus:begin --> and <!-- corpus:end --> (BENCHMARKS=FILE to write elsewhere, BENCHMARKS=- not at all).
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
command="scripts/bench-corpus.sh $*"
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
: > "$out/rows.md"
for n in "$@"; do
    "$out/bench-corpus" "$n" random >> "$out/rows.md"
    "$out/bench-corpus" "$n" "real:$real" >> "$out/rows.md"
done
frames=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); h=d[10:10+(d[8]|d[9]<<8)].decode(); print(h.split("(")[1].split(",")[0])' "$real")
target=${BENCHMARKS:-BENCHMARKS.md}
[ "$target" = "-" ] && { cat "$out/rows.md"; exit 0; }
python3 - "$target" "$out/rows.md" "$command" "$load" "$OPENBLAS_NUM_THREADS" "$frames" <<'PY'
import datetime, os, re, sys
path, rows, command, load, threads, frames = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
body = f"""Machine: {os.cpu_count()} cores, {cpu}, load average {load} at the start; {threads} OpenBLAS thread(s); {datetime.date.today()}.

Command: `{command}` (200 queries, k = 10; real-based rows from {int(frames):,} real frame embeddings).

| rows | data | lists | probes chosen (tried probes:self-measured recall) | build (s) | self-measured recall | exact (ms/query) | search (ms/query) | recall@10 | recall@10 at default probes | peak RSS (MB) |
|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|
{open(rows).read().strip()}"""
section = f"<!-- corpus:begin (written by scripts/bench-corpus.sh; do not edit by hand) -->\n{body}\n<!-- corpus:end -->"
text = open(path).read() if os.path.exists(path) else ""
if "<!-- corpus:begin" in text:
    text = re.sub(r"<!-- corpus:begin.*?<!-- corpus:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n## Corpus index: nearest-neighbour search\n\n" + section + "\n"
tmp = path + ".tmp"
open(tmp, "w").write(text)
os.replace(tmp, path)
print(f"bench-corpus: wrote the table into {path}", file=sys.stderr)
PY
