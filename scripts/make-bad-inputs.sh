#!/usr/bin/env bash
# Builds the corpus of bad inputs of issue 7 from the bundled real samples (samples/) with ffmpeg,
# into a cache folder (not committed). Deterministic: the same ffmpeg gives the same bytes, and the
# "random" bytes come from awk's generator with a fixed seed. Used by
# Tests/FrameDedupeCLITests/BadInputCorpusTests.swift, which runs the real binary on every file.
#
#   scripts/make-bad-inputs.sh [DIR]    build into DIR (default .cache/bad-inputs); prints DIR
#
# Matroska is written with -fflags +bitexact (no random segment UID, no date). Inputs the fuzzer
# crashed on (scripts/fuzz/regressions/, kept once fixed) join the corpus as fuzz-<name>.
# Rebuilt only when this script or those inputs change (DIR/.complete holds their checksum).
# Needs bash, ffmpeg with libx264, awk, od, dd, sha256sum. What each file is: the list below and DIR/MANIFEST.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/.cache/bad-inputs}"
SHOTS="$ROOT/samples/shots-360p.mp4"    # 640x360 H.264, 25 fps, 10 s, index (moov) first
BBB="$ROOT/samples/bbb-720p.mp4"        # 1280x720 H.264 + AAC, 10.56 s
REGRESSIONS="$ROOT/scripts/fuzz/regressions"   # inputs the fuzzer crashed on (scripts/fuzz.sh), once fixed
STAMP="$(cat "${BASH_SOURCE[0]}" $(find "$REGRESSIONS" -type f 2>/dev/null | sort) | sha256sum | cut -c1-16)"

if [ -f "$OUT/.complete" ] && [ "$(cat "$OUT/.complete")" = "$STAMP" ]; then echo "$OUT"; exit 0; fi
mkdir -p "$OUT"
# Undo what an earlier build made unreadable, then start clean.
chmod -R u+rwX "$OUT" 2>/dev/null || true
find "$OUT" -mindepth 1 -delete
cd "$OUT"

ff() { ffmpeg -nostdin -hide_banner -v error -y "$@"; }
# A 360p H.264 excerpt of the shots sample with x264's defaults: ff_shots FROM SECONDS OUT [more options].
ff_shots() { local from="$1" len="$2" out="$3"; shift 3; ff -ss "$from" -t "$len" -i "$SHOTS" -an -c:v libx264 -preset veryfast -pix_fmt yuv420p "$@" "$out"; }
# COUNT pseudo-random bytes from a fixed seed: random_bytes SEED COUNT.
random_bytes() { LC_ALL=C awk -v seed="$1" -v n="$2" 'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%c", int(rand() * 256) }'; }
# Overwrites bytes of FILE at OFFSET with bytes given as a list of decimal values: poke FILE OFFSET 255 255 ...
poke() {
  local file="$1" offset="$2"; shift 2
  local bytes="" b
  for b in "$@"; do bytes+="$(printf '\\x%02x' "$b")"; done
  printf "$bytes" | dd of="$file" bs=1 seek="$offset" conv=notrunc status=none
}
# Byte offsets of a byte pattern (grep -P escapes) in FILE.
offsets() { LC_ALL=C grep -obUaP "$2" "$1" | cut -d: -f1; }
# The first half of a file: half IN OUT.
half() { head -c $(( $(stat -c %s "$1") / 2 )) "$1" > "$2"; }
manifest() { printf '%s\t%s\n' "$1" "$2" >> MANIFEST; }

# --- truncated files -----------------------------------------------------------------------------
ff -i "$SHOTS" -c copy -f mp4 index-at-end.full.mp4          # the mp4 muxer puts the index last unless +faststart
half index-at-end.full.mp4 truncated-index-at-end.mp4
rm index-at-end.full.mp4
manifest truncated-index-at-end.mp4 "MP4 with its index (moov) at the end, cut at half its size: the index is gone"
half "$SHOTS" truncated-faststart.mp4
manifest truncated-faststart.mp4 "faststart MP4 cut at half its size: index complete, the second half of the frames missing"

# --- not video at all ----------------------------------------------------------------------------
random_bytes 1 65536 > random.mp4
random_bytes 2 65536 > random.bin
random_bytes 3 65536 > random.dat
manifest random.mp4 "64 KiB of random bytes"; manifest random.bin "64 KiB of random bytes"; manifest random.dat "64 KiB of random bytes"
: > empty.mp4
manifest empty.mp4 "zero bytes"
for i in $(seq 1 200); do echo "line $i: just some text, not a video"; done > text.mp4
cp text.mp4 notes.txt
manifest text.mp4 "a text file named .mp4"; manifest notes.txt "a text file"
ff -i "$BBB" -vn -c:a copy audio-only.m4a
manifest audio-only.m4a "the sample's AAC audio alone: no video stream"

# --- damaged streams -----------------------------------------------------------------------------
# Every video packet's bytes scrambled by the noise bitstream filter; the container and the codec's
# headers (avcC) are intact, so it opens, but no packet decodes.
ff -i "$SHOTS" -c copy -bsf:v noise=amount=1 -fflags +bitexact -f matroska all-packets-corrupt.mkv
manifest all-packets-corrupt.mkv "valid Matroska and codec headers, every video packet scrambled"
# Raw H.264 (Annex B) with 16 runs of 64 random bytes, 1 KiB apart, from the middle on.
ff -i "$SHOTS" -c copy -bsf:v h264_mp4toannexb -f h264 damaged-middle.h264
size=$(stat -c %s damaged-middle.h264)
for k in $(seq 0 15); do
  random_bytes $((100 + k)) 64 | dd of=damaged-middle.h264 bs=1 seek=$(( size / 2 + 1024 * k )) conv=notrunc status=none
done
manifest damaged-middle.h264 "raw H.264, 16 runs of random bytes in the middle"
# The same damage inside an MP4 (sample sizes from the index stay right, payloads are damaged).
cp "$SHOTS" damaged-middle.mp4
size=$(stat -c %s damaged-middle.mp4)
for k in $(seq 0 15); do
  random_bytes $((200 + k)) 64 | dd of=damaged-middle.mp4 bs=1 seek=$(( size / 2 + 1024 * k )) conv=notrunc status=none
done
manifest damaged-middle.mp4 "faststart MP4, 16 runs of random bytes in the middle of the media data"

# --- odd but valid -------------------------------------------------------------------------------
ff -ss 7.5 -i "$SHOTS" -frames:v 1 -c:v libx264 -pix_fmt yuv420p one-frame.mp4
manifest one-frame.mp4 "a single frame"
ff_shots 0 2 tiny-2x2.mp4 -vf scale=2:2
manifest tiny-2x2.mp4 "2x2 pixels"
ff_shots 0 2 thin-2048x16.mkv -vf scale=2048:16 -fflags +bitexact
manifest thin-2048x16.mkv "2048x16 pixels"

# --- absurd declared dimensions ------------------------------------------------------------------
# Container: the MP4's track header (tkhd, 16.16 fixed point) and sample entry (avc1) say 65535x65535;
# the H.264 parameter sets still say 640x360.
cp "$SHOTS" huge-dimensions-container.mp4
for off in $(offsets huge-dimensions-container.mp4 'avc1\x00\x00\x00\x00\x00\x00\x00\x01'); do
  poke huge-dimensions-container.mp4 $((off + 28)) 255 255 255 255
done
for off in $(offsets huge-dimensions-container.mp4 'tkhd\x00'); do  # version 0: width at +76, height at +80
  poke huge-dimensions-container.mp4 $((off + 76)) 255 255 0 0 255 255 0 0
done
manifest huge-dimensions-container.mp4 "MP4 headers (tkhd, avc1) declare 65535x65535, the H.264 stream is 640x360"
# Codec: Motion JPEG whose every frame header (SOF0) declares a huge size; the AVI header says 640x360.
ff -ss 4 -t 2 -i "$SHOTS" -c:v mjpeg -q:v 5 -f avi mjpeg.avi
for dims in "65500 65500 huge-dimensions-codec.avi" "16000 16000 large-dimensions-codec.avi"; do
  set -- $dims
  cp mjpeg.avi "$3"
  for off in $(offsets mjpeg.avi '\xff\xc0\x00\x11\x08'); do  # SOF0: length 17, 8 bits, then height, width
    poke "$3" $((off + 5)) $(($1 >> 8)) $(($1 & 255)) $(($2 >> 8)) $(($2 & 255))
  done
done
rm mjpeg.avi
manifest huge-dimensions-codec.avi "Motion JPEG whose frame headers declare 65500x65500 (beyond libav's limit)"
manifest large-dimensions-codec.avi "Motion JPEG whose frame headers declare 16000x16000 (256 Mpixel, within libav's limit)"

# --- timestamps ----------------------------------------------------------------------------------
ff_shots 0 4 negative-timestamps.ts -output_ts_offset -5 -avoid_negative_ts disabled -f mpegts
manifest negative-timestamps.ts "MPEG-TS whose timestamps start at -5 s"
ff_shots 0 4 negative-timestamps.mkv -output_ts_offset -5 -avoid_negative_ts disabled -fflags +bitexact -f matroska
manifest negative-timestamps.mkv "Matroska muxed with timestamps from -5 s (read back without timestamps)"
ff_shots 0 4 huge-timestamps.mkv -output_ts_offset 1000000000 -fflags +bitexact -f matroska
manifest huge-timestamps.mkv "Matroska starting at 10^9 s (31 years)"
# MPEG-TS timestamps are 33 bits of 90 kHz: they wrap after 95443.7 s. Start 3 s before the wrap.
ff_shots 0 6 timestamp-wrap.ts -output_ts_offset 95440.7 -f mpegts
manifest timestamp-wrap.ts "MPEG-TS whose 33-bit timestamps wrap 3 s in"
# Recordings concatenated byte for byte: a jump forward of 1000 s; forward 100 s then back to the start;
# a restart from a later clock (which libavformat's 33-bit wrap correction reads as a wrap).
ff_shots 0 3 part-a.ts -f mpegts
ff_shots 3 3 part-b.ts -output_ts_offset 1003 -f mpegts
ff_shots 3 3 part-c.ts -output_ts_offset 100 -f mpegts
ff_shots 6 3 part-d.ts -f mpegts
cat part-a.ts part-b.ts > timestamp-jump-forward.ts
cat part-a.ts part-c.ts part-d.ts > timestamp-jump-back.ts
cat part-c.ts part-a.ts > timestamp-reset.ts
rm part-a.ts part-b.ts part-c.ts part-d.ts
manifest timestamp-jump-forward.ts "two MPEG-TS files concatenated: timestamps jump from 3 s to 1003 s"
manifest timestamp-jump-back.ts "three MPEG-TS files concatenated: 0-3 s, 100-103 s, then 0-3 s again (timestamps go back)"
manifest timestamp-reset.ts "two MPEG-TS files concatenated: 100-103 s, then 0-3 s"
# Within one Matroska stream: setpts adds 100 s from frame 100 on.
ff_shots 0 8 setpts-jump.mkv -vf "setpts=PTS+if(gte(N\,100)\,100/TB\,0)" -fps_mode passthrough -fflags +bitexact -f matroska
manifest setpts-jump.mkv "Matroska whose timestamps jump 100 s forward at frame 100 (setpts)"
# Frame rate 25 fps for 3 s, then 50 fps for 3 s, then 5 fps for 3 s, in one MPEG-TS.
ff -ss 0 -t 9 -i "$SHOTS" -an -filter_complex \
  "[0:v]split=3[a][b][c];[a]trim=0:3,fps=25[x];[b]trim=3:6,fps=50[y];[c]trim=6:9,fps=5[z];[x][y][z]concat=n=3:v=1[v]" \
  -map "[v]" -fps_mode passthrough -c:v libx264 -preset veryfast -pix_fmt yuv420p -f mpegts frame-rate-change.ts
manifest frame-rate-change.ts "MPEG-TS at 25 fps, then 50 fps, then 5 fps, 3 s each"

# --- an image folder with a non-image among the images --------------------------------------------
mkdir images
ff -i "$SHOTS" -vf fps=1,scale=320:180 -start_number 0 images/%03d.png
echo "not an image" > images/004.png
echo "a note left among the frames" > images/notes.txt
manifest images/ "10 PNG frames (images/000.png to 009.png, one a second); 004.png is text, and a notes.txt"

# --- names and permissions -----------------------------------------------------------------------
weird="$(printf 'name with spaces é 日本\nsecond line.mp4')"
cp "$SHOTS" "$weird"
manifest "name with spaces é 日本\\nsecond line.mp4" "a valid clip whose name has spaces, non-ASCII letters and a newline"
cp text.mp4 "$(printf 'not a video é 日本\nsecond line.mp4')"
manifest "not a video é 日本\\nsecond line.mp4" "a text file under such a name"
cp "$SHOTS" unreadable.mp4
chmod 000 unreadable.mp4
manifest unreadable.mp4 "a valid clip with mode 000 (root can still read it)"

# --- playlists, special files and names that are not UTF-8 (issue 16) -------------------------------
# Playlists open other files: refused for a local input unless --allow-playlists, which allows no nesting.
printf '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nself-variant.m3u8\n' > self-variant.m3u8
manifest self-variant.m3u8 "an HLS master playlist whose only variant is itself (grew memory by gigabytes)"
printf 'ffconcat version 1.0\nfile self-include.ffconcat\n' > self-include.ffconcat
manifest self-include.ffconcat "an ffconcat list that includes itself (recursed until out of file descriptors)"
# (It names the sample in the checkout, not a file of this folder: the folder is built under another name.)
printf '#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n%s\n#EXT-X-ENDLIST\n' "$SHOTS" > pull-absolute.m3u8
manifest pull-absolute.m3u8 "an HLS playlist pulling a local file (samples/shots-360p.mp4) in by its absolute path"
# A FIFO among pictures: opening it would wait for a writer for ever.
mkdir images-with-fifo
cp images/000.png images/001.png images/002.png images-with-fifo/
mkfifo images-with-fifo/zz-fifo
manifest images-with-fifo/ "3 PNG frames and a FIFO (zz-fifo)"
# Names with bytes that are not UTF-8 (Latin-1 é, a lone 0xFF): a video, and a picture in a folder.
cp "$SHOTS" "$(printf 'latin1-\351-\377.mp4')"
manifest 'latin1-\351-\377.mp4' "a valid clip whose name holds the bytes 0xE9 and 0xFF (not UTF-8)"
mkdir photos-not-utf8
cp images/000.png "photos-not-utf8/$(printf 'a-\351.png')"
cp images/001.png photos-not-utf8/b.png
manifest photos-not-utf8/ "two PNG frames, one named with the byte 0xE9 (not UTF-8)"

# Pictures against the memory budget (--max-memory, default at most 8 GiB): a 16000x16000 YUV4MPEG header (the
# pictures would take ~29 GiB; the file holds 4 KiB of one) is refused before a picture is decoded; 8K fits.
{ printf 'YUV4MPEG2 W16000 H16000 F25:1 Ip A1:1 C420jpeg\nFRAME\n'; head -c 4096 /dev/zero; } > huge-16000x16000.y4m
manifest huge-16000x16000.y4m "a YUV4MPEG stream of 16000x16000 pictures, cut after 4 KiB (over the memory budget)"
ff -f lavfi -i color=black:s=7680x4320:r=1 -frames:v 2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p 8k-black.mp4
manifest 8k-black.mp4 "two black 7680x4320 frames (within --max-memory 4G, not within 2G)"

# --- fuzzing's finds -----------------------------------------------------------------------------
for f in "$REGRESSIONS"/*; do
  [ -f "$f" ] || continue
  cp "$f" "fuzz-$(basename "$f")"
  manifest "fuzz-$(basename "$f")" "an input scripts/fuzz.sh crashed the decoder with (fixed since)"
done

echo "$STAMP" > .complete
echo "$OUT"
