#!/bin/sh
# Runs the Spark example (examples/spark/corpus_dedupe.py) in local mode on a small corpus of clips made from the
# samples, and compares its corpus clusters with the single-machine index's (`framededupe index dedupe`) at the same
# threshold. Not in CI: it installs pyspark from PyPI (~320 MB) into .cache/spark-venv and needs Java 17.
#
# Usage: scripts/spark-check.sh [THRESHOLD]   (default 0.15; FRAMEDEDUPE=path to the binary, default the debug build)
# Prints the LSH recall (pairs the join found / pairs exact search finds) and whether the partitions are equal;
# exits 1 when they differ in a way missed pairs do not explain.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
threshold=${1:-0.15}
bin=${FRAMEDEDUPE:-$root/.build/debug/framededupe}
[ -x "$bin" ] || { echo "spark-check: build framededupe first (swift build), or set FRAMEDEDUPE" >&2; exit 2; }
venv=.cache/spark-venv
if [ ! -x "$venv/bin/spark-submit" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q pyspark==3.5.3 numpy
fi
work=.cache/spark-check
rm -rf "$work/result" "$work/index.db" "$work/index.db-wal" "$work/index.db-shm" "$work/index.db.keyframes"
mkdir -p "$work/clips"
# The corpus: the same shots re-encoded and trimmed across files, plus unrelated footage (as the corpus tests).
c="$work/clips"
[ -f "$c/original.mp4" ] || cp samples/shots-360p.mp4 "$c/original.mp4"
[ -f "$c/reencoded.mkv" ] || ffmpeg -nostdin -v error -y -i samples/shots-360p.mp4 -vf scale=480:270 -c:v libx264 -crf 35 "$c/reencoded.mkv"
[ -f "$c/trimmed.mp4" ] || ffmpeg -nostdin -v error -y -ss 3 -i samples/shots-360p.mp4 -c:v libx264 -crf 26 "$c/trimmed.mp4"
[ -f "$c/tail.mp4" ] || ffmpeg -nostdin -v error -y -ss 5 -i samples/revisit-360p.mp4 -i samples/shots-360p.mp4 \
    -filter_complex "[0:v]setpts=PTS-STARTPTS[a];[1:v]trim=0:3,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1[v]" -map "[v]" -c:v libx264 "$c/tail.mp4"
[ -f "$c/revisit.mp4" ] || cp samples/revisit-360p.mp4 "$c/revisit.mp4"
[ -f "$c/bunny.mp4" ] || cp samples/bbb-720p.mp4 "$c/bunny.mp4"
ls "$c"/* | while read -r f; do echo "$root/$f"; done > "$work/videos.txt"

echo "spark-check: single machine: framededupe index add + dedupe --threshold $threshold" >&2
"$bin" index add -q $(cat "$work/videos.txt") --index "$work/index.db"
"$bin" index dedupe -q --index "$work/index.db" --threshold "$threshold" -o "$work/index-clusters.json"
"$bin" index export --index "$work/index.db" -o "$work/index-scenes.jsonl"

echo "spark-check: Spark local[2]: examples/spark/corpus_dedupe.py" >&2
PYSPARK_PYTHON="$root/$venv/bin/python" "$venv/bin/spark-submit" --master 'local[2]' --conf spark.ui.enabled=false \
    --driver-java-options "-Dlog4j.rootCategory=WARN" \
    examples/spark/corpus_dedupe.py --videos "$work/videos.txt" --out "$work/result" --threshold "$threshold" \
    --binary "$bin" --pipe "$root/examples/spark/scenes_of_video.sh" --pairs-json 2> "$work/spark.log" || { tail -30 "$work/spark.log" >&2; exit 1; }

"$venv/bin/python" - "$work" "$threshold" <<'PY'
import json, sys, itertools
import numpy as np
work, threshold = sys.argv[1], float(sys.argv[2])
def partition(doc):
    return {frozenset(f"{s['sha256']}#{s['scene']}" for s in c["scenes"]) for c in doc["clusters"]}
index, spark = json.load(open(f"{work}/index-clusters.json")), json.load(open(f"{work}/result/corpus-clusters.json"))
rows = [json.loads(l) for l in open(f"{work}/index-scenes.jsonl")]
ids = [f"{r['sha256']}#{r['scene']}" for r in rows]
E = np.array([r["embedding"] for r in rows], dtype=np.float64)
S = E @ E.T
exact = {(ids[i], ids[j]) if ids[i] < ids[j] else (ids[j], ids[i]) for i, j in itertools.combinations(range(len(ids)), 2) if 1 - S[i, j] < threshold}
found = {(a, b) if a < b else (b, a) for a, b, _ in json.load(open(f"{work}/result/pairs.json"))}
recall = len(found & exact) / len(exact) if exact else 1.0
same = partition(index) == partition(spark)
print(f"spark-check: {len(ids)} scenes, threshold {threshold}: exact pairs {len(exact)}, LSH join found {len(found & exact)} "
      f"(recall {recall:.3f}), {len(found - exact)} beyond the threshold; corpus clusters: index {len(index['clusters'])}, "
      f"spark {len(spark['clusters'])}, partitions {'equal' if same else 'DIFFERENT'}")
if not same:
    # Missed pairs can only split clusters: the Spark partition must refine the index's.
    refines = all(any(c <= d for d in partition(index)) for c in partition(spark))
    print("spark-check: the Spark clusters " + ("refine the index's (missed pairs split them)" if refines else "do NOT refine the index's"))
    sys.exit(0 if refines and recall < 1 else 1)
PY
