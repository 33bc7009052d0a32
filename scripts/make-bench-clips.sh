#!/usr/bin/env bash
# Builds three ~60 s real-footage clips for speed benchmarks, NOT committed:
#   .cache/bench/bench-360p.mp4    640x360, 25 fps, 60.00 s
#   .cache/bench/bench-720p.mp4    1280x720, 25 fps, 60.00 s
#   .cache/bench/bench-1080p.mp4   1920x1080, 25 fps, 60.00 s
# H.264 with x264's defaults (preset medium, CRF 23, B-frames, keyint 250),
# yuv420p, faststart, no audio. Prints the paths of the clips on stdout.
#
#   scripts/make-bench-clips.sh [--force] [--loop MINUTES]...
#
# With --loop (repeatable), builds and prints instead the long inputs of the
# memory benchmark: .cache/bench/bench-360p-loop<MINUTES>min.mp4, the 360p clip
# played MINUTES times in a row (-stream_loop, stream copy: no re-encode, so
# even 120 minutes take seconds; 60 s is exactly 6 GOPs, every loop starts on a
# key frame).
#
# Content: a ~34.6 s sequence of the same sources as samples/ (fetched and
# checked by scripts/make-samples.sh --sources-only), upscaled with lanczos,
# then looped (-stream_loop) to 60 s, so the second half repeats the first:
#    0.00- 5.28  bigbuckbunny.mp4 forwards
#    5.28-17.28  box.mp4 1-13 s (OpenCV.js tutorial video, hand turning a box)
#   17.28-25.28  cup.mp4 0-8 s (OpenCV.js tutorial video, hand turning a bottle)
#   25.28-29.28  hubble_deep_field.jpg slow zoom-in
#   29.28-34.56  bigbuckbunny.mp4 backwards
#   34.56-60.00  the above again from the start
# Rerunnable; an existing clip is kept unless --force is given. Takes ~10 min
# of CPU on 2 cores. box.mp4's first frame is damaged at the source: the two
# "non-intra slice in an IDR NAL unit" messages from ffmpeg are expected.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FRAMEDEDUPE_CACHE:-$ROOT/.cache}"
OUT="$CACHE/bench"
DURATION=60
FORCE=0
LOOPS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --force) FORCE=1 ;;
    --loop) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "make-bench-clips: --loop needs a whole number of minutes" >&2; exit 2; }
            LOOPS+=("$2"); shift ;;
    *) echo "usage: scripts/make-bench-clips.sh [--force] [--loop MINUTES]..." >&2; exit 2 ;;
  esac
  shift
done

SRC="$("$ROOT/scripts/make-samples.sh" --sources-only)"
mkdir -p "$OUT"
FF=(ffmpeg -hide_banner -loglevel error -nostdin -y)

build() { # build W H NAME
  local w="$1" h="$2" name="$3"
  local out="$OUT/$name.mp4" mezz="$OUT/.$name-mezzanine.mp4"
  if [[ -f "$out" && $FORCE -eq 0 ]]; then printf '%s\n' "$out"; return; fi
  echo "make-bench-clips: building $out" >&2
  local fit="scale=$w:$h:flags=lanczos,setsar=1,format=yuv420p"
  # Near-lossless mezzanine of the sequence, then loop and encode once.
  "${FF[@]}" \
    -i "$SRC/bigbuckbunny.mp4" \
    -ss 1 -t 12 -i "$SRC/box.mp4" \
    -t 8 -i "$SRC/cup.mp4" \
    -i "$SRC/hubble_deep_field.jpg" \
    -filter_complex "
      [0:v]setpts=PTS-STARTPTS,$fit,split[bf][bb0];[bb0]reverse[bb];
      [1:v]fps=25,crop=640:360:0:60,$fit,trim=end_frame=300,setpts=N/25/TB[box];
      [2:v]fps=25,crop=640:360:0:60,$fit,trim=end_frame=200,setpts=N/25/TB[cup];
      [3:v]crop=1000:562:0:155,scale=$((w * 2)):$((h * 2)):flags=lanczos,
        zoompan=z='1+0.15*on/99':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=100:s=${w}x${h}:fps=25,
        setsar=1,format=yuv420p[hub];
      [bf][box][cup][hub][bb]concat=n=5:v=1:a=0[v]" \
    -map '[v]' -c:v libx264 -preset veryfast -crf 12 -r 25 -an "$mezz"
  "${FF[@]}" -stream_loop -1 -i "$mezz" -t "$DURATION" \
    -c:v libx264 -pix_fmt yuv420p -r 25 -an \
    -map_metadata -1 -movflags +faststart "$out"
  rm -f "$mezz"
  printf '%s\n' "$out"
}

loop() { # loop BASE MINUTES: the 60 s 360p clip played MINUTES times
  local base="$1" minutes="$2" out
  out="$OUT/bench-360p-loop${minutes}min.mp4"
  if [[ -f "$out" && $FORCE -eq 0 ]]; then printf '%s\n' "$out"; return; fi
  echo "make-bench-clips: building $out" >&2
  "${FF[@]}" -stream_loop $((minutes - 1)) -i "$base" -map 0:v -c copy \
    -map_metadata -1 -movflags +faststart "$out.partial.mp4"
  mv "$out.partial.mp4" "$out"
  printf '%s\n' "$out"
}

if [[ ${#LOOPS[@]} -gt 0 ]]; then
  base="$(build 640 360 bench-360p)"
  for m in "${LOOPS[@]}"; do loop "$base" "$m"; done
  exit 0
fi
build 640 360 bench-360p
build 1280 720 bench-720p
build 1920 1080 bench-1080p
