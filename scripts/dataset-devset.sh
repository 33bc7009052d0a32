#!/bin/bash
# framededupe dataset on dev-set clips with copies (docs/dataset.md, "Measured on the dev set"): a first run on 20
# clips (the film-tos-* and film-sintel-* copies, film clips that intercut them, and a few others), then two appends
# (one more copy of tears-of-steel, then a clip of film transitions). After each run: every image of the manifest
# exists, no corpus cluster and no labelled content is in two splits (scripts/dataset-leaks.py), and the earlier
# manifest lines are unchanged. Then --keep diverse on the same index with seeds 1-5, with --split-radius 0.3 (the
# default) and 0 (whole corpus clusters only).
#
#   scripts/dataset-devset.sh [OUT]        FRAMEDEDUPE=path (default .build/release/framededupe), DEVSET=/work/devset
#
# Not in CI (it needs the dev set). Prints the runs' summaries and the checks; exit status 1 when a check fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${FRAMEDEDUPE:-$root/.build/release/framededupe}
devset=${DEVSET:-/work/devset}
out=${1:-$(mktemp -d)/set}
first="film-tos-360p.mp4 film-tos-letterbox-sd-480p.mp4 film-tos-mirror-360p.mp4 film-tos-lowbitrate-360p.mp4
film-tos-crop5-480p.mkv film-tos-windowbox-360p.mp4 film-tos-scorebug-360p.mp4 film-tos-vfr-360p.mp4 film-sintel-360p.mp4
film-sintel-letterbox-sd-480p.mp4 film-sintel-mirror-bright-360p.webm film-sintel-tos-1080p.mp4 film-intercut-360p.mp4
copies-within-film-360p.mp4 variants-720p.mp4 variants-480p.avi variants-1080p.mp4 abacb-360p.mp4 city-night-360p.mp4
static-caminandes-360p.mp4"
cd "$devset"
status=0
run() {  # run VIDEOS…: one dataset run, then the checks
    local before=0
    [ -f "$out/manifest.jsonl" ] && { before=$(wc -l < "$out/manifest.jsonl"); cp "$out/manifest.jsonl" "$out.previous"; }
    /usr/bin/time -f "%e s" "$bin" dataset "$@" -o "$out" --format webdataset --seed 1 2>&1 | grep -v "scenes\? indexed$"
    python3 "$root/scripts/dataset-leaks.py" "$out" "$devset" || status=1
    if [ "$before" -gt 0 ]; then
        if cmp -s <(head -n "$before" "$out/manifest.jsonl") "$out.previous"; then echo "earlier $before manifest lines unchanged"
        else echo "EARLIER MANIFEST LINES CHANGED"; status=1; fi
    fi
}
# shellcheck disable=SC2086
run $first
# shellcheck disable=SC2086
run $first film-tos-logo-720p.mp4
# shellcheck disable=SC2086
run $first film-tos-logo-720p.mp4 transitions-film-360p.mp4
for radius in 0.3 0; do
    for seed in 1 2 3 4 5; do
        d="$out-diverse-$radius-$seed"
        rm -rf "$d"; mkdir -p "$d"
        cp -r "$out/.framededupe-corpus.db" "$out/.framededupe-corpus.db.keyframes" "$d/"  # the analysis, not again
        # shellcheck disable=SC2086
        "$bin" dataset $first -o "$d" --keep diverse --seed "$seed" --split-radius "$radius" -q
        echo "--keep diverse --split-radius $radius --seed $seed: $(python3 "$root/scripts/dataset-leaks.py" "$d" "$devset" | tr '\n' ' ')"
    done
done
exit $status
