#!/bin/sh
# Per-video step of the Spark job, run by RDD.pipe on the executors: reads video paths on standard input, one a line,
# and writes each video's scene records with their embeddings as JSON Lines (the records of `framededupe index
# export`: file, sha256, size, scene, start, end, keyframe_time, keyframe, phash, cluster, embedding).
# Each video goes through its own throw-away index in a temporary folder; keyframes stay there unless
# FRAMEDEDUPE_KEYFRAMES=DIR names a shared folder to keep them in (DIR/<sha256 prefix>/).
# FRAMEDEDUPE is the binary (default: framededupe on PATH); FRAMEDEDUPE_ARGS extra options for `index add` (e.g. --fps 1).
set -u
bin=${FRAMEDEDUPE:-framededupe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
while IFS= read -r video; do
    [ -n "$video" ] || continue
    db="$work/$(printf '%s' "$video" | cksum | cut -d' ' -f1).db"
    # shellcheck disable=SC2086
    if "$bin" index add -q ${FRAMEDEDUPE_ARGS:-} "$video" --index "$db" >&2; then
        "$bin" index export --index "$db"
        if [ -n "${FRAMEDEDUPE_KEYFRAMES:-}" ]; then mkdir -p "$FRAMEDEDUPE_KEYFRAMES" && cp -R "$db.keyframes/." "$FRAMEDEDUPE_KEYFRAMES/"; fi
    else
        echo "scenes_of_video: $video: framededupe failed (status $?), left out" >&2
    fi
    rm -rf "$db" "$db-wal" "$db-shm" "$db.keyframes"
done
