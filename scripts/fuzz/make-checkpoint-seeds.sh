#!/bin/sh
# Writes the checkpoint-log seeds of scripts/fuzz.sh and FuzzSeedsTests (scripts/fuzz/seeds/checkpoint/): real
# logs, each left by a run killed (FRAMEDEDUPE_TEST_KILL=end:1) after its results were complete and before its
# checkpoint was removed. Rerun after a change of the log's format (CheckpointLog.formatVersion).
#
#     swift build && scripts/fuzz/make-checkpoint-seeds.sh [BINARY]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/.build/debug/framededupe}
seeds=$root/scripts/fuzz/seeds/checkpoint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seed() {  # NAME ARGS...: runs the binary on the shots sample, killed at the end, and keeps its log
    name=$1; shift
    env FRAMEDEDUPE_TEST_KILL=end:1 $seed_env "$bin" "$root/samples/shots-360p.mp4" -o "$work/$name" --quiet --no-report "$@" || true
    cp "$work/$name/.framededupe-checkpoint/log" "$seeds/$name.log"
}
mkdir -p "$seeds"
seed_env=
seed embed-batch1 --batch 1 --end 12  # several scenes, so several records now that short scenes log no batches
seed ssim-keep-diverse --scorer ssim --keep diverse
# Scene records with their keyframe state (luma, local features) in them: at 360p a run holds it in memory instead.
seed_env=FRAMEDEDUPE_CHECKPOINT_HELD=0
seed keyframes-logged --end 12
ls -l "$seeds"
