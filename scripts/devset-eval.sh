#!/bin/sh
# Runs framededupe on the clips of the labelled dev set and scores the results with `framededupe eval`,
# the tune part, the sealed part and the whole set each in a table of its own.
#
#     python3 scripts/make-devset.py          # builds .cache/devset/ once
#     make release                            # the binary measured
#     scripts/devset-eval.sh [--split tune|sealed|all] [framededupe run options...]
#
# The dev set is split (index.json, each clip's "split"; the rule is in make-devset.py and in
# index.json's "split_rule"): the 15 v1 clips, on which the defaults were tuned, are `tune`, and about
# a third of each kind of new footage is `sealed` (15 of 48 clips). NOBODY TUNES ON THE
# SEALED PART: no default, threshold, rule or model is chosen by looking at its scores or its clips;
# tune on `--split tune` (or `framededupe tune` with a truth folder of the tune part only), and report
# the sealed part beside it, untouched, once the choice is made.
#
# --split all (default) runs every clip and prints three tables: tune, sealed, all. --split tune or
# --split sealed runs and scores that part only. The tune part holds v3's tune twins of the sealed part's failures
# (index.json "set": "v3", clips twin-*); when it does, the tune part is also scored without them ("tune-old",
# the 33 tune clips of v1 and v2) and alone ("tune-twins"), in tables of their own before the part's. Likewise the
# sealed part holds v4's fresh footage (set "v4", clips fresh-*), scored alone ("sealed-fresh") and without it
# ("sealed-old", the 15 sealed clips of v2). Each clip's results go to $RESULTS/<clip>/ (default
# .cache/devset-results/); the scores go to $RESULTS/eval-<part>.json ($REPORT, if set, gets the last
# table's JSON). A part is scored through a temporary truth folder of symbolic links to its truth
# files. Other arguments are passed to `framededupe run` (e.g. --scorer ssim). Environment:
# FRAMEDEDUPE (the binary, default .build/release/framededupe), DEVSET (default .cache/devset),
# RESULTS, REPORT, SCORE_ONLY (set: score the results already in RESULTS, run nothing), TOLERANCE (default 0.5), TOLERANCE_FRAMES (frame-exact scoring: e.g. 1 for one frame either way
# of each clip's frame rate; clips of variable frame rate then use TOLERANCE, which should be set too, e.g. 0.05).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${FRAMEDEDUPE:-$root/.build/release/framededupe}
devset=${DEVSET:-$root/.cache/devset}
results=${RESULTS:-$root/.cache/devset-results}
split=all
if [ "${1:-}" = "--split" ]; then
    split=${2:-}
    shift 2 || { echo "devset-eval: --split needs tune, sealed or all" >&2; exit 2; }
fi
case $split in tune|sealed|all) ;; *) echo "devset-eval: --split $split: expected tune, sealed or all" >&2; exit 2 ;; esac

[ -x "$bin" ] || { echo "devset-eval: $bin not found; run 'make release' (or set FRAMEDEDUPE)" >&2; exit 1; }
[ -f "$devset/index.json" ] || { echo "devset-eval: no dev set in $devset; run 'python3 scripts/make-devset.py'" >&2; exit 1; }
mkdir -p "$results"

# The truth files of a part, one a line (all: every clip in index.json; tune-old / tune-twins: the tune clips of
# v1 and v2 / of v3; sealed-old / sealed-fresh: the sealed clips of v2 / of v4).
part() {
    python3 -c 'import json, sys
p, _, sub = sys.argv[2].partition("-")
added = {"twins": "v3", "fresh": "v4", "old": "v3" if p == "tune" else "v4"}.get(sub)  # the set a sub-part is (or is not)
for c in json.load(open(sys.argv[1]))["clips"]:
    if (p == "all" or c.get("split", "tune") == p) and (not sub or (c.get("set") == added) == (sub != "old")):
        print(c["truth"])' "$devset/index.json" "$1"
}

for truth in $(part "$split"); do
    clip=$(basename "$truth" .truth.json)
    [ -n "${SCORE_ONLY:-}" ] || "$bin" run "$devset/$clip" -o "$results/$clip" --quiet "$@"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
score() {
    mkdir -p "$tmp/$1"
    for truth in $(part "$1"); do ln -s "$devset/$truth" "$tmp/$1/$truth"; done
    echo "== $1 part ($(ls "$tmp/$1" | wc -l) clips)"
    "$bin" eval --truth-dir "$tmp/$1" --tolerance "${TOLERANCE:-0.5}" ${TOLERANCE_FRAMES:+--tolerance-frames "$TOLERANCE_FRAMES"} \
        --report "$results/eval-$1.json" "$results"
}
if [ "$split" != sealed ] && [ -n "$(part tune-twins)" ]; then
    score tune-old
    echo
    score tune-twins
    echo
fi
if [ "$split" != tune ] && [ -n "$(part sealed-fresh)" ]; then
    score sealed-old
    echo
    score sealed-fresh
    echo
fi
if [ "$split" = all ]; then
    score tune
    echo
    score sealed
    echo
fi
score "$split"
[ -z "${REPORT:-}" ] || cp "$results/eval-$split.json" "$REPORT"
