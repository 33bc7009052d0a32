#!/bin/sh
# Clustering benchmark: time and peak memory to build the scene-distance matrix and to cluster it, for random unit
# vectors in 1280 dimensions (the embedding size), one process per size so that peak RSS is per size.
#
# Usage: scripts/bench-clustering.sh [N ...]        (default: 1000 10000 20000)
#   LINKAGE=average|complete|single|ward (default average), DIMENSION (default 1280),
#   OPENBLAS_NUM_THREADS as usual (default: all cores).
#
# The benchmark is compiled with `swiftc -O` together with the clustering sources (they depend only on OpenBLAS), so
# it needs no change to Package.swift and measures exactly what the release build runs.
set -eu
cd "$(dirname "$0")/.."
out=${TMPDIR:-/tmp}/framededupe-bench-clustering
mkdir -p "$out"
swiftc -O -parse-as-library -module-name ClusteringBenchmark \
    -I Sources/COpenBLAS $(pkg-config --cflags-only-I openblas | sed 's/-I/-Xcc -I/g') \
    $(pkg-config --libs openblas) \
    Sources/Similarity/Clustering.swift Sources/Similarity/Clustering/*.swift scripts/bench-clustering.swift scripts/bench-support.swift \
    -o "$out/bench-clustering"
[ $# -gt 0 ] || set -- 1000 10000 20000
for n in "$@"; do
    "$out/bench-clustering" "$n" "${DIMENSION:-1280}" "${LINKAGE:-average}"
done
