#!/bin/sh
# Makes docs/report.png, the README's picture of report.html: the first screen of the report of a run on
# the bundled sample (samples/shots-360p.mp4, default options), 1100 × 1020 px.
#
#   scripts/make-report-picture.sh [PNG]      default: docs/report.png
#
# Needs, for this script only (not for building, testing or using framededupe): Debian's chromium (headless)
# and ffmpeg. As root it installs chromium with apt-get when missing; otherwise it prints the command.
# Binary: FRAMEDEDUPE=path, else .build/release/framededupe, else .build/debug/framededupe, else `make release`.
# Like scripts/check-report.sh, chromium runs with the network switched off (the page fetches nothing).
# The run is in a temporary folder and from the checkout's root, so the report's heading reads
# "samples/shots-360p.mp4". The picture is quantised to a 256-colour palette to keep it small (~60 KB).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
png=${1:-$root/docs/report.png}
case $png in /*) ;; *) png=$(pwd)/$png ;; esac
width=1100      # CSS px; the picture is this wide
height=1020     # the first screen or so: the summary, the timeline, the clusters, the scores (not the map below)

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y chromium >/dev/null || { apt-get update -qq && apt-get install -y chromium >/dev/null; }
    else
        echo "make-report-picture: chromium is missing; run: sudo apt-get install -y chromium" >&2
        exit 3
    fi
fi
command -v ffmpeg >/dev/null 2>&1 || { echo "make-report-picture: ffmpeg is missing (make deps)" >&2; exit 3; }

cd "$root"
bin=${FRAMEDEDUPE:-}
if [ -z "$bin" ]; then
    if [ -x .build/release/framededupe ]; then bin=.build/release/framededupe
    elif [ -x .build/debug/framededupe ]; then bin=.build/debug/framededupe
    else make release >&2 && bin=.build/release/framededupe
    fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" -q -o "$tmp/run" samples/shots-360p.mp4
[ -s "$tmp/run/report.html" ] || { echo "make-report-picture: no report.html in $tmp/run" >&2; exit 1; }

# A throw-away profile; no network; no scrollbar.
chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" \
    --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server="127.0.0.1:9" \
    --hide-scrollbars --force-device-scale-factor=1 --window-size=$width,$height \
    --screenshot="$tmp/full.png" "file://$tmp/run/report.html" >/dev/null 2>&1
[ -s "$tmp/full.png" ] || { echo "make-report-picture: chromium wrote no screenshot" >&2; exit 1; }

mkdir -p "$(dirname "$png")"
ffmpeg -v error -y -i "$tmp/full.png" \
    -filter_complex "[0]split[a][b];[a]palettegen=max_colors=256:stats_mode=full[p];[b][p]paletteuse=dither=none" \
    -frames:v 1 "$png"
echo "$png ($(wc -c <"$png") bytes)"
