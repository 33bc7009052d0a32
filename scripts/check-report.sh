#!/bin/sh
# Renders a real run's report.html in a headless browser (Debian's chromium) to a PNG, to look at.
#
#   scripts/check-report.sh [INPUT [PNG]]      default: samples/revisit-360p.mp4 -> .cache/report-check/report.png
#
# Installs chromium with apt-get when it is missing (as root; otherwise prints the command). Runs the built
# framededupe (FRAMEDEDUPE=path, else .build/debug/framededupe, else `swift build`), then
# `chromium --headless --screenshot`. The page must not fetch anything: chromium runs with the network
# switched off (--host-resolver-rules maps every name nowhere and a bogus proxy takes every connection).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
input=${1:-$root/samples/revisit-360p.mp4}
png=${2:-$root/.cache/report-check/report.png}
work=$root/.cache/report-check
mkdir -p "$work" "$(dirname "$png")"

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y chromium >/dev/null
    else
        echo "check-report: chromium is missing; run: sudo apt-get install -y chromium" >&2
        exit 3
    fi
fi

bin=${FRAMEDEDUPE:-}
if [ -z "$bin" ]; then
    bin=$root/.build/debug/framededupe
    [ -x "$bin" ] || (cd "$root" && swift build --product framededupe >/dev/null)
fi

out=$work/run
"$bin" --force -q -o "$out" "$input"
[ -s "$out/report.html" ] || { echo "check-report: no report.html in $out" >&2; exit 1; }

# A throw-away profile; no network; a tall window so the whole page is in the picture.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
    --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server="127.0.0.1:9" \
    --hide-scrollbars --window-size=1200,2000 --screenshot="$png" "file://$out/report.html" >/dev/null 2>&1
[ -s "$png" ] || { echo "check-report: chromium wrote no screenshot" >&2; exit 1; }
echo "$png"
