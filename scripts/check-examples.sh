#!/bin/bash
# Runs the examples of README.md and docs/usage.md (each file's block between <!-- examples:begin --> and
# <!-- examples:end -->) as they stand, on the bundled samples, in a scratch folder holding clip.mp4,
# videos/*.mp4 and photos/:
#
#   scripts/check-examples.sh          FRAMEDEDUPE=path picks the binary (default .build/debug/framededupe)
#
# Each command is echoed (bash -x) and must succeed (errexit, pipefail); then the files the examples
# promise are checked. Exit status 0 when all of them ran and produced what they say.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${FRAMEDEDUPE:-$root/.build/debug/framededupe}
[ -x "$bin" ] || { echo "check-examples: no framededupe at $bin (swift build, or FRAMEDEDUPE=path)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin" "$work/videos" "$work/photos"
ln -s "$bin" "$work/bin/framededupe"
cp "$root/samples/shots-360p.mp4" "$work/clip.mp4"
cp "$root/samples/shots-360p.mp4" "$work/videos/shots.mp4"
cp "$root/samples/revisit-360p.mp4" "$work/videos/revisit.mp4"
# Photographs: frames of the clip a second apart (no EXIF: --image-time exif falls back to file times).
ffmpeg -v error -i "$root/samples/shots-360p.mp4" -vf fps=1 -q:v 3 "$work/photos/IMG_%04d.jpg"

for doc in README.md docs/usage.md; do
    block=$(sed -n '/<!-- examples:begin -->/,/<!-- examples:end -->/p' "$root/$doc" | grep -v -e '^<!--' -e '^```')
    [ "$(grep -cv '^#' <<< "$block")" -ge 5 ] || { echo "check-examples: $doc's examples block not found" >&2; exit 1; }
    echo "$block" >> "$work/examples.sh"
done

cd "$work"
PATH="$work/bin:$PATH" bash -x -euo pipefail examples.sh > stdout.txt 2> stderr.txt || {
    echo "check-examples: an example failed:" >&2; tail -20 stderr.txt >&2; exit 1; }

# What the examples promise.
fail() { echo "check-examples: $*" >&2; exit 1; }
ls clip.framededupe/unique/*.jpg > /dev/null || fail "no unique images"
[ -f clip.framededupe/report.html ] || fail "no report.html"
ls train/shots/unique/*.jpg train/revisit/unique/*.jpg > /dev/null || fail "no training set"
[ -f from-raw/scenes.json ] || fail "no results from raw video"
grep -q '^file ' cut.ffconcat && [ -s cut.mp4 ] || fail "no deduplicated cut"
[ -f stats.csv ] && [ -f stricter/scenes.json ] || fail "no stats or tuned run"
[ -f photos.framededupe/scenes.json ] || fail "no photo results"
grep -q '^[0-9]* [0-9.]* clip.framededupe/unique/' stdout.txt || fail "jq printed no exemplars"
echo "check-examples: $(grep -cv -e '^#' -e '^ ' examples.sh) commands ran"
