#!/bin/sh
# Runs framededupe on every clip of the labelled dev set and scores the results with `framededupe eval`.
#
#     python3 scripts/make-devset.py          # builds .cache/devset/ once
#     make release                            # the binary measured
#     scripts/devset-eval.sh [framededupe run options...]
#
# Each clip's results go to $RESULTS/<clip>/ (default .cache/devset-results/), the scores to the
# table on stdout and to $REPORT as JSON (default $RESULTS/eval.json). Arguments are passed to
# `framededupe run` (e.g. --scorer ssim). Environment: FRAMEDEDUPE (the binary, default
# .build/release/framededupe), DEVSET (default .cache/devset), RESULTS, REPORT, TOLERANCE (default 0.5).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${FRAMEDEDUPE:-$root/.build/release/framededupe}
devset=${DEVSET:-$root/.cache/devset}
results=${RESULTS:-$root/.cache/devset-results}
report=${REPORT:-$results/eval.json}

[ -x "$bin" ] || { echo "devset-eval: $bin not found; run 'make release' (or set FRAMEDEDUPE)" >&2; exit 1; }
[ -f "$devset/index.json" ] || { echo "devset-eval: no dev set in $devset; run 'python3 scripts/make-devset.py'" >&2; exit 1; }
mkdir -p "$results"

for truth in "$devset"/*.truth.json; do
    clip=$(basename "$truth" .truth.json)
    "$bin" run "$devset/$clip" -o "$results/$clip" --quiet "$@"
done
exec "$bin" eval --truth-dir "$devset" --tolerance "${TOLERANCE:-0.5}" --report "$report" "$results"
