#!/usr/bin/env bash
# Builds the mixed real set of issue 19's end-to-end criterion, NOT committed: eight clips of 60 s,
# 360p to 1080p, in H.264, VP9 and MPEG-4 (Part 2), each the dev set's real clips of one kind of
# footage played one after the other, fitted to the target size (scaled, padded with black where the
# shape differs), resampled to 25 fps and encoded once:
#
#   clip                    codec            size       made of (dev-set clips, all of the `tune` part)
#   h264-360p.mp4           H.264 (x264)     640x360    abacb-360p, revisits-30s-360p, city-night-360p, sports-scorebug-360p
#   h264-720p.mp4           H.264 (x264)     1280x720   variants-720p, crossfade-720p, multiview-leuven-720p, stills-720p
#   h264-1080p.mp4          H.264 (x264)     1920x1080  bbb-1080p, film-sintel-tos-1080p, slides-fades-1080p, variants-1080p
#   h264-static-480p.mp4    H.264 (x264)     640x480    static-vtest-30s-480p, static-vtest-pillarbox-720p (a surveillance feed)
#   vp9-480p.webm           VP9 (libvpx)     854x480    vp9-480p, offset5s-480p, multiview-graf-aero-480p, hardneg-textures-360p
#   vp9-720p.webm           VP9 (libvpx)     1280x720   slides-vfr-720p, hardneg-regions-720p, film-tos-logo-720p, static-caminandes-360p
#   mpeg4-360p.mp4          MPEG-4 Part 2    640x360    mixed-mpeg4-360p, film-sintel-360p, film-intercut-360p, fadeblack-360p, vfr-360p
#   mpeg4-480p.avi          MPEG-4 Part 2    854x480    variants-480p, letterbox-mixed-sd-480p, film-tos-letterbox-sd-480p,
#                                                       film-sintel-letterbox-sd-480p, film-tos-lowbitrate-360p
#
# The dev-set clips come from `scripts/make-devset.py` (their sources and licences: the dev set's
# LICENSES.md). Encoders: x264 preset medium CRF 23 (B-frames, keyint 250); libvpx-vp9 CRF 32,
# -deadline good -cpu-used 4, row-mt; mpeg4 -q:v 4 with 2 B-frames. yuv420p, no audio.
# Only `tune` clips are used, although speed is not a score (nothing is tuned on these timings).
#
#   scripts/make-mixed-bench-clips.sh [--force]
#
# Reads $DEVSET (default /work/devset), writes $FRAMEDEDUPE_CACHE/bench/mixed/ (default .cache/),
# prints the clips' paths on stdout. An existing clip is kept unless --force is given.
# Takes ~6 min of CPU on 2 cores (VP9 encoding most of it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEVSET="${DEVSET:-/work/devset}"
CACHE="${FRAMEDEDUPE_CACHE:-$ROOT/.cache}"
OUT="$CACHE/bench/mixed"
DURATION=60
FORCE=0
case "${1:-}" in
  --force) FORCE=1 ;;
  "") ;;
  *) echo "usage: scripts/make-mixed-bench-clips.sh [--force]" >&2; exit 2 ;;
esac
[[ -f "$DEVSET/index.json" ]] || { echo "make-mixed-bench-clips: no dev set at $DEVSET (set DEVSET)" >&2; exit 3; }
mkdir -p "$OUT"
FF=(ffmpeg -hide_banner -loglevel error -nostdin -y)

build() { # build NAME W H ENCODER-ARGS... -- CLIPS...
  local name="$1" w="$2" h="$3"; shift 3
  local enc=()
  while [[ "$1" != "--" ]]; do enc+=("$1"); shift; done
  shift
  local out="$OUT/$name"
  if [[ -f "$out" && $FORCE -eq 0 ]]; then printf '%s\n' "$out"; return; fi
  echo "make-mixed-bench-clips: building $out" >&2
  local inputs=() graph="" labels="" i=0
  for clip in "$@"; do
    [[ -f "$DEVSET/$clip" ]] || { echo "make-mixed-bench-clips: $DEVSET/$clip missing" >&2; exit 3; }
    inputs+=(-i "$DEVSET/$clip")
    graph+="[$i:v]scale=$w:$h:force_original_aspect_ratio=decrease:flags=lanczos,pad=$w:$h:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p,setpts=PTS-STARTPTS[v$i];"
    labels+="[v$i]"
    i=$((i + 1))
  done
  graph+="${labels}concat=n=$i:v=1:a=0[v]"
  local ext="${name##*.}"
  "${FF[@]}" "${inputs[@]}" -filter_complex "$graph" -map '[v]' -t "$DURATION" -r 25 -an \
    "${enc[@]}" -pix_fmt yuv420p -map_metadata -1 "$out.partial.$ext"
  mv "$out.partial.$ext" "$out"
  printf '%s\n' "$out"
}

X264=(-c:v libx264 -preset medium -crf 23 -movflags +faststart)
VP9=(-c:v libvpx-vp9 -crf 32 -b:v 0 -deadline good -cpu-used 4 -row-mt 1)
MPEG4=(-c:v mpeg4 -q:v 4 -bf 2)

build h264-360p.mp4 640 360 "${X264[@]}" -- abacb-360p.mp4 revisits-30s-360p.mp4 city-night-360p.mp4 sports-scorebug-360p.mp4
build h264-720p.mp4 1280 720 "${X264[@]}" -- variants-720p.mp4 crossfade-720p.mp4 multiview-leuven-720p.mp4 stills-720p.mp4
build h264-1080p.mp4 1920 1080 "${X264[@]}" -- bbb-1080p.mp4 film-sintel-tos-1080p.mp4 slides-fades-1080p.mp4 variants-1080p.mp4
build h264-static-480p.mp4 640 480 "${X264[@]}" -- static-vtest-30s-480p.mp4 static-vtest-pillarbox-720p.mp4
build vp9-480p.webm 854 480 "${VP9[@]}" -- vp9-480p.webm offset5s-480p.mkv multiview-graf-aero-480p.mp4 hardneg-textures-360p.mp4
build vp9-720p.webm 1280 720 "${VP9[@]}" -- slides-vfr-720p.mp4 hardneg-regions-720p.mp4 film-tos-logo-720p.mp4 static-caminandes-360p.mp4
build mpeg4-360p.mp4 640 360 "${MPEG4[@]}" -- mixed-mpeg4-360p.mp4 film-sintel-360p.mp4 film-intercut-360p.mp4 fadeblack-360p.mp4 vfr-360p.mp4
build mpeg4-480p.avi 854 480 "${MPEG4[@]}" -- variants-480p.avi letterbox-mixed-sd-480p.mp4 film-tos-letterbox-sd-480p.mp4 \
  film-sintel-letterbox-sd-480p.mp4 film-tos-lowbitrate-360p.mp4
