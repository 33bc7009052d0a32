#!/usr/bin/env bash
# Fuzzes, each for a bounded time, with libFuzzer under AddressSanitizer:
#   decoder     the decoder's entry point (VideoReader on a file's bytes), seeded with the samples and the
#               bad-input corpus (scripts/make-bad-inputs.sh)
#   truth       eval's truth files (GroundTruth), seeded with scripts/fuzz/seeds/truth/ and the dev set's
#   results     result folders as resume and eval read them (scenes.json + clusters.json), seeded with
#               scripts/fuzz/seeds/results/ (a NUL byte separates the two files)
#   checkpoint  --resume's checkpoint log, seeded with scripts/fuzz/seeds/checkpoint/ (real logs left by
#               killed runs)
# and without libFuzzer:
#   stdin       mutated bytes on standard input to `framededupe -` (scripts/fuzz/pipe-fuzz.py), the binary
#               built with AddressSanitizer
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   SECONDS per target, default 300; all targets by default;
#                                           extra libFuzzer flags in FUZZ_ARGS
#
# Builds Decoder (for decoder) or FrameDedupeEvaluation with FrameDedupe (for the readers) with coverage (-sanitize=fuzzer,address)
# into .build-fuzz and links the harness (scripts/fuzz/DecoderFuzz.swift, scripts/fuzz/JSONFuzz.swift)
# against it; stdin builds the framededupe binary with -sanitize=address into .build-fuzz-stdin.
# libav itself is not instrumented: coverage guides only
# through our code, so libav is exercised by mutation of the seeds rather than explored. Work folders in
# .cache/fuzz: corpus/ (inputs that found new coverage), crashes/ (what failed, with the reason in
# crashes/*.log). A crash becomes a regression fixture once fixed: copy it to scripts/fuzz/regressions/;
# make-bad-inputs.sh adds it to the corpus and BadInputCorpusTests runs the binary on it (no crash, no
# hang, status 0 or 3); a reader's crash goes to scripts/fuzz/regressions/<target>/, which
# FuzzSeedsTests reads back (with the seeds). Exit status 1 when something crashed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_TO_RUN="${1:-300}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decoder truth results checkpoint stdin)
WORK="$ROOT/.cache/fuzz"
SCRATCH="$ROOT/.build-fuzz"
mkdir -p "$WORK/corpus" "$WORK/seeds" "$WORK/crashes"
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=0"
failed=0
build="$SCRATCH/debug"
av_flags() { pkg-config --cflags-only-I libavformat libavcodec libswscale libavutil | sed 's/-I/-Xcc -I/g'; }

# run_libfuzzer NAME BINARY SEEDS MAX_LEN: one libFuzzer run with its own corpus, crashes named NAME-*.
run_libfuzzer() {
  local name="$1" binary="$2" seeds="$3" max_len="$4"
  mkdir -p "$WORK/corpus-$name"
  echo "fuzz: $name for $SECONDS_TO_RUN s, seeds $(ls "$seeds" | wc -l), corpus $(ls "$WORK/corpus-$name" | wc -l)" >&2
  local before after status
  before=$(ls "$WORK/crashes" | grep -c -v '\.log$' || true)
  set +e
  "$binary" "$WORK/corpus-$name" "$seeds" -max_total_time="$SECONDS_TO_RUN" -timeout=20 -rss_limit_mb=3072 \
    -max_len="$max_len" -artifact_prefix="$WORK/crashes/$name-" -print_final_stats=1 ${FUZZ_ARGS:-} 2> "$WORK/last-run-$name.log"
  status=$?
  set -e
  grep -E '^(stat::|Done|#[0-9]+.*(DONE|pulse))' "$WORK/last-run-$name.log" | tail -6 >&2
  after=$(ls "$WORK/crashes" | grep -c -v '\.log$' || true)
  if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ]; then
    for f in "$WORK/crashes"/*; do case "$f" in *.log) ;; *) [ -f "$f.log" ] || cp "$WORK/last-run-$name.log" "$f.log" ;; esac; done
    echo "fuzz: $name FAILED (status $status); inputs in $WORK/crashes, libFuzzer's report in $WORK/last-run-$name.log" >&2
    grep -E 'ERROR|Fatal error|deadly|timeout|SUMMARY' "$WORK/last-run-$name.log" | head -10 >&2
    failed=1
  else
    echo "fuzz: $name: no crash in $SECONDS_TO_RUN s" >&2
  fi
}

for target in "${TARGETS[@]}"; do
case "$target" in
decoder)
echo "fuzz: building Decoder with -sanitize=fuzzer,address" >&2
swift build --scratch-path "$SCRATCH" --target Decoder -Xswiftc -sanitize=fuzzer,address >&2
swiftc -parse-as-library -sanitize=fuzzer,address -g -Onone \
  -I "$build/Modules" -Xcc -fmodule-map-file="$ROOT/Sources/CFFmpeg/module.modulemap" $(av_flags) \
  "$ROOT/scripts/fuzz/DecoderFuzz.swift" "$build"/Decoder.build/*.swift.o "$build"/Pixels.build/*.swift.o \
  $(pkg-config --libs libavformat libavcodec libswscale libavutil) \
  -o "$SCRATCH/decoder-fuzz" 2> >(grep -v "Cannot export local symbol" >&2)
# Seeds: the small samples and every file of the bad-input corpus.
corpus="$(scripts/make-bad-inputs.sh "$WORK/bad-inputs")"
rm -f "$WORK/seeds"/*
cp samples/shots-360p.mp4 samples/revisit-360p.mp4 "$WORK/seeds/"
find "$corpus" -type f ! -name MANIFEST ! -name .complete -perm -u=r -print0 |
  while IFS= read -r -d '' f; do cp "$f" "$WORK/seeds/$(printf '%s' "${f#"$corpus"/}" | tr -c 'A-Za-z0-9._-' '_')"; done
# The Swift runtime's own backtracer would attach to a crashing harness and hold it; libFuzzer reports instead.
run_libfuzzer decoder "$SCRATCH/decoder-fuzz" "$WORK/seeds" 600000
;;
truth|results|checkpoint)
if [ ! -x "$SCRATCH/json-fuzz" ] || [ -n "$(find Sources/FrameDedupe Sources/FrameDedupeEvaluation Sources/Decoder Sources/Similarity Sources/Pixels scripts/fuzz/JSONFuzz.swift -newer "$SCRATCH/json-fuzz" -name '*.swift' | head -1)" ]; then
  echo "fuzz: building FrameDedupeEvaluation (and FrameDedupe) with -sanitize=fuzzer,address" >&2
  swift build --scratch-path "$SCRATCH" --target FrameDedupeEvaluation -Xswiftc -sanitize=fuzzer,address >&2
  swiftc -parse-as-library -sanitize=fuzzer,address -g -Onone \
    -I "$build/Modules" -Xcc -fmodule-map-file="$ROOT/Sources/CFFmpeg/module.modulemap" \
    -Xcc -fmodule-map-file="$ROOT/Sources/COpenBLAS/module.modulemap" $(av_flags) \
    "$ROOT/scripts/fuzz/JSONFuzz.swift" "$build"/FrameDedupeEvaluation.build/*.swift.o "$build"/FrameDedupe.build/*.swift.o "$build"/Similarity.build/*.swift.o \
    "$build"/Decoder.build/*.swift.o "$build"/Pixels.build/*.swift.o \
    $(pkg-config --libs libavformat libavcodec libswscale libavutil) -lopenblas \
    -o "$SCRATCH/json-fuzz" 2> >(grep -v "Cannot export local symbol" >&2)
fi
seeds="$WORK/seeds-$target"
rm -rf "$seeds"
mkdir -p "$seeds"
cp "$ROOT/scripts/fuzz/seeds/$target"/* "$seeds/"
if [ "$target" = truth ]; then
  for f in .cache/devset/*.truth.json; do [ -f "$f" ] && cp "$f" "$seeds/"; done
fi
FRAMEDEDUPE_FUZZ_TARGET="$target" run_libfuzzer "$target" "$SCRATCH/json-fuzz" "$seeds" 400000
;;
stdin)
echo "fuzz: building framededupe with -sanitize=address" >&2
swift build --scratch-path "$ROOT/.build-fuzz-stdin" --product framededupe -Xswiftc -sanitize=address >&2
corpus="$(scripts/make-bad-inputs.sh "$WORK/bad-inputs")"
seeds="$WORK/seeds-stdin"
rm -rf "$seeds"
mkdir -p "$seeds"
cp samples/shots-360p.mp4 samples/revisit-360p.mp4 "$seeds/"
ffmpeg -hide_banner -loglevel error -nostdin -y -i samples/shots-360p.mp4 -c copy -f nut "$seeds/shots.nut"
ffmpeg -hide_banner -loglevel error -nostdin -y -i samples/shots-360p.mp4 -c copy -f mpegts "$seeds/shots.ts"
find "$corpus" -maxdepth 1 -type f ! -name MANIFEST ! -name .complete -perm -u=r -size -2M -print0 |
  while IFS= read -r -d '' f; do cp "$f" "$seeds/$(printf '%s' "${f#"$corpus"/}" | tr -c 'A-Za-z0-9._-' '_')"; done
echo "fuzz: stdin for $SECONDS_TO_RUN s" >&2
python3 "$ROOT/scripts/fuzz/pipe-fuzz.py" "$ROOT/.build-fuzz-stdin/debug/framededupe" "$seeds" "$WORK/crashes" "$SECONDS_TO_RUN" || failed=1
;;
*) echo "fuzz: unknown target $target (decoder, truth, results, checkpoint, stdin)" >&2; exit 2 ;;
esac
done
[ "$failed" -eq 0 ] || { echo "fuzz: FAILED" >&2; exit 1; }
echo "fuzz: no crash" >&2
