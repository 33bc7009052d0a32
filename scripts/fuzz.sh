#!/usr/bin/env bash
# Fuzzes the decoder's entry point (VideoReader on a file's bytes) with libFuzzer under AddressSanitizer,
# for a bounded time, seeded with the samples and the bad-input corpus (scripts/make-bad-inputs.sh).
#
#   scripts/fuzz.sh [SECONDS]        default 300; extra libFuzzer flags in FUZZ_ARGS
#
# Builds Decoder with coverage (-sanitize=fuzzer,address) into .build-fuzz and links the harness
# scripts/fuzz/DecoderFuzz.swift against it. libav itself is not instrumented: coverage guides only
# through our code, so libav is exercised by mutation of the seeds rather than explored. Work folders in
# .cache/fuzz: corpus/ (inputs that found new coverage), crashes/ (what failed, with the reason in
# crashes/*.log). A crash becomes a regression fixture once fixed: copy it to scripts/fuzz/regressions/;
# make-bad-inputs.sh adds it to the corpus and BadInputCorpusTests runs the binary on it (no crash, no
# hang, status 0 or 3). Exit status 1 when something crashed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_TO_RUN="${1:-300}"
WORK="$ROOT/.cache/fuzz"
SCRATCH="$ROOT/.build-fuzz"
mkdir -p "$WORK/corpus" "$WORK/seeds" "$WORK/crashes"

echo "fuzz: building Decoder with -sanitize=fuzzer,address" >&2
swift build --scratch-path "$SCRATCH" --target Decoder -Xswiftc -sanitize=fuzzer,address >&2
build="$SCRATCH/debug"
swiftc -parse-as-library -sanitize=fuzzer,address -g -Onone \
  -I "$build/Modules" -Xcc -fmodule-map-file="$ROOT/Sources/CFFmpeg/module.modulemap" \
  $(pkg-config --cflags-only-I libavformat libavcodec libswscale libavutil | sed 's/-I/-Xcc -I/g') \
  "$ROOT/scripts/fuzz/DecoderFuzz.swift" "$build"/Decoder.build/*.swift.o "$build"/Pixels.build/*.swift.o \
  $(pkg-config --libs libavformat libavcodec libswscale libavutil) \
  -o "$SCRATCH/decoder-fuzz" 2> >(grep -v "Cannot export local symbol" >&2)

# Seeds: the small samples and every file of the bad-input corpus.
corpus="$(scripts/make-bad-inputs.sh "$WORK/bad-inputs")"
rm -f "$WORK/seeds"/*
cp samples/shots-360p.mp4 samples/revisit-360p.mp4 "$WORK/seeds/"
find "$corpus" -type f ! -name MANIFEST ! -name .complete -perm -u=r -print0 |
  while IFS= read -r -d '' f; do cp "$f" "$WORK/seeds/$(printf '%s' "${f#"$corpus"/}" | tr -c 'A-Za-z0-9._-' '_')"; done

echo "fuzz: $SECONDS_TO_RUN s, seeds $(ls "$WORK/seeds" | wc -l), corpus $(ls "$WORK/corpus" | wc -l)" >&2
before=$(ls "$WORK/crashes" | grep -c -v '\.log$' || true)
# The Swift runtime's own backtracer would attach to a crashing harness and hold it; libFuzzer reports instead.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=0"
set +e
"$SCRATCH/decoder-fuzz" "$WORK/corpus" "$WORK/seeds" -max_total_time="$SECONDS_TO_RUN" -timeout=20 -rss_limit_mb=3072 \
  -max_len=600000 -artifact_prefix="$WORK/crashes/" -print_final_stats=1 ${FUZZ_ARGS:-} 2> "$WORK/last-run.log"
status=$?
set -e
grep -E '^(stat::|Done|#[0-9]+.*(DONE|pulse))' "$WORK/last-run.log" | tail -12 >&2
after=$(ls "$WORK/crashes" | grep -c -v '\.log$' || true)
if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ]; then
  for f in "$WORK/crashes"/*; do case "$f" in *.log) ;; *) [ -f "$f.log" ] || cp "$WORK/last-run.log" "$f.log" ;; esac; done
  echo "fuzz: FAILED (status $status); inputs in $WORK/crashes, libFuzzer's report in $WORK/last-run.log" >&2
  grep -E 'ERROR|Fatal error|deadly|timeout|SUMMARY' "$WORK/last-run.log" | head -10 >&2
  exit 1
fi
echo "fuzz: no crash in $SECONDS_TO_RUN s" >&2
