#!/usr/bin/env python3
"""Find shot-boundary candidates in real footage, for labelling the dev set frame-exactly.

    scripts/devset-cuts.py VIDEO [--ratio 3] [--min 6] [--strip N[,N...]] [--out DIR]

How the film excerpts of `make-devset.py` were labelled: every frame is decoded (at the file's own
rate, no resampling) to 64x36 luma; each frame's change is the mean absolute luma difference to the
previous frame (0-255). A frame is a candidate when its change is at least --min and at least
--ratio times the median change of the 6 frames around it (a cut is one large change among small
ones; motion keeps the neighbours high). ffmpeg's scene score (select's `scene`) is printed beside
it. Candidates are then looked at: `--strip N` writes DIR/strip-N.png with frames N-2 .. N+1 side
by side (the file viewer shows PNG), so that the first frame of the new shot (or the first and last
mixed frame of a dissolve, a flash) can be read off by eye. Frame N's time is N / rate from the
first frame. Python standard library + ffmpeg/ffprobe.
"""
import argparse
import os
import statistics
import subprocess
import sys
from fractions import Fraction

W, H = 64, 36


def rate(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=r_frame_rate", "-of", "csv=p=0", path], capture_output=True, text=True, check=True)
    return Fraction(r.stdout.strip().split(",")[0])


def frames(path):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-vf", f"scale={W}:{H}:flags=area,format=gray",
                          "-fps_mode", "passthrough", "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    n = W * H
    return [raw[i:i + n] for i in range(0, len(raw) - n + 1, n)]


def scene_scores(path):
    err = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-i", path, "-vf",
                          "scale=160:-2,select='gte(scene,0)',metadata=print:key=lavfi.scene_score", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    return [float(line.split("=")[1]) for line in err.splitlines() if "lavfi.scene_score=" in line]


def strip(path, n, fps, out):
    os.makedirs(out, exist_ok=True)
    a = max(n - 2, 0)
    dst = os.path.join(out, f"strip-{n}.png")
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", path, "-vf",
                    f"select='between(n,{a},{n + 1})',scale=240:-2,drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:"
                    f"text='%{{eif\\:n+{a}\\:d}}':fontcolor=yellow:fontsize=20:x=4:y=4,tile={n + 2 - a}x1",
                    "-fps_mode", "passthrough", "-frames:v", "1", dst], check=True)
    return dst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("video")
    ap.add_argument("--ratio", type=float, default=3.0)
    ap.add_argument("--min", type=float, default=6.0)
    ap.add_argument("--strip", default="", help="frame numbers to show (N-2 .. N+1)")
    ap.add_argument("--out", default="/tmp/devset-cuts")
    a = ap.parse_args()
    fps = rate(a.video)
    fr = frames(a.video)
    sc = scene_scores(a.video)
    change = [0.0] + [sum(abs(x - y) for x, y in zip(p, q)) / (W * H) for p, q in zip(fr, fr[1:])]
    print(f"{a.video}: {len(fr)} frames at {fps} fps")
    print("frame  time       change  median  scene")
    for i in range(1, len(fr)):
        around = [change[j] for j in range(max(1, i - 3), min(len(fr), i + 4)) if j != i]
        med = statistics.median(around) if around else 0.0
        if change[i] >= a.min and change[i] >= a.ratio * max(med, 0.5):
            s = sc[i] if i < len(sc) else float("nan")
            print(f"{i:5d}  {float(i / fps):9.5f}  {change[i]:6.1f}  {med:6.1f}  {s:.3f}")
    for n in filter(None, a.strip.split(",")):
        print("wrote", strip(a.video, int(n), fps, a.out))


if __name__ == "__main__":
    sys.exit(main())
