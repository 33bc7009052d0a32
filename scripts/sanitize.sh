#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and ThreadSanitizer (issue 7) and reports what they find.
#
#   scripts/sanitize.sh                  both, one after the other
#   scripts/sanitize.sh address          ASan only (.build-asan); `thread` for TSan only (.build-tsan)
#   scripts/sanitize.sh address -- --filter BadInputCorpus     extra arguments for `swift test`
#
# Each sanitizer builds into its own scratch folder with `-Xswiftc -sanitize=…`; the framededupe binary the
# CLI tests run is built the same way, so its runs are checked too. Reports go to files (log_path), one per
# process, so the ones from the binary's runs are not lost in the stderr the tests capture; they are printed
# at the end, with the suite's own outcome. Exit status 0 only when the tests pass and nothing is reported.
# Suppressions (scripts/sanitizers/*.supp) are for libav and OpenBLAS only, each with its reason.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

sanitizers=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sanitizers+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#sanitizers[@]} -eq 0 ] && sanitizers=(address thread)

failed=0
for sanitizer in "${sanitizers[@]}"; do
  case "$sanitizer" in
    address) scratch=.build-asan ;;
    thread) scratch=.build-tsan ;;
    *) echo "sanitize.sh: unknown sanitizer '$sanitizer' (address or thread)" >&2; exit 2 ;;
  esac
  reports="$ROOT/$scratch/sanitizer-reports"
  rm -rf "$reports"; mkdir -p "$reports"
  supp="$ROOT/scripts/sanitizers"
  # ASan: leaks are checked too (LeakSanitizer), libav's and OpenBLAS's suppressed by lsan.supp.
  export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=0"
  export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
  export TSAN_OPTIONS="log_path=$reports/tsan:suppressions=$supp/tsan.supp:print_suppressions=0:halt_on_error=0"
  echo "== $sanitizer: swift test --scratch-path $scratch -Xswiftc -sanitize=$sanitizer $*" >&2
  started=$(date +%s)
  swift test --scratch-path "$scratch" -Xswiftc -sanitize="$sanitizer" "$@" > "$ROOT/$scratch/sanitize-test.log" 2>&1
  status=$?
  seconds=$(( $(date +%s) - started ))
  found=$(cat "$reports"/* 2>/dev/null | grep -cE '^(==[0-9]+==ERROR: |WARNING: ThreadSanitizer:|SUMMARY: )' || true)
  files=$(ls "$reports" | wc -l)
  summary=$(grep -E '^(✔|✘) Test run|Executed [0-9]+ tests' "$ROOT/$scratch/sanitize-test.log" | tail -1)
  echo "== $sanitizer: swift test exit $status in ${seconds} s; ${summary:-no summary (build failed?)}; $files report file(s)" >&2
  if [ "$files" -gt 0 ]; then
    for f in "$reports"/*; do echo "--- $f" >&2; head -80 "$f" >&2; done
  fi
  if [ $status -ne 0 ]; then
    grep -E '✘|error:' "$ROOT/$scratch/sanitize-test.log" | head -40 >&2
    failed=1
  fi
  [ "$files" -gt 0 ] && failed=1
  unset ASAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS
done
exit $failed
