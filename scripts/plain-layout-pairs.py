#!/usr/bin/env python3
"""Plain pictures on the dev set: the layout of their lumas for same-content and different-content pairs (issue 17,
`ClusterOptions.plainLayoutChange`; BENCHMARKS.md "Plain pictures: the layout of their lumas").

    DEVSET=/work/devset5 scripts/plain-layout-pairs.py [--split tune] [--fps 0.5 | --decode keyframes] [--work DIR]
                                                       [--plain 40] [--limit 0.15]

For every clip of the split it runs the test-only tool `PairFiguresTool` (Tests/FrameDedupeTests/PairFiguresTool.swift,
through `swift test -c release -Xswiftc -enable-testing --skip-build --filter PairFiguresTool`: build it first with
`swift build -c release --build-tests -Xswiftc -enable-testing`), which analyses the clip with the defaults and prints,
for each pair of scenes closer than the copy radius, the grid distance and the geometric measures of their keyframes,
and `layout`: `PictureChange.layoutChange` of the two keyframe lumas (the measure the clustering compares with
`plainLayoutChange` for plain pairs). Each scene is labelled with the content group of the truth's shot holding its
keyframe (transition scenes are left out by the tool).

Prints, for the pairs whose verification did not decide: every pair where either picture has fewer than `--plain`
keypoints (the rule's regime), with its label, grid distance and layout; then the largest layout of a same-content
pair and the smallest of a different-content pair in that regime, and which pairs the rule with `--limit` would
change (those the grids join: grid distance at most 0.22). Nothing here is chosen on the sealed part: `--split sealed`
only reports.
"""

import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def figures(clip, out, args):
    if not os.path.exists(out):
        env = dict(os.environ, FRAMEDEDUPE_PAIR_FIGURES=clip, FRAMEDEDUPE_PAIR_FIGURES_OUT=out)
        if args.fps:
            env["FRAMEDEDUPE_PAIR_FIGURES_FPS"] = args.fps
        if args.decode:
            env["FRAMEDEDUPE_PAIR_FIGURES_DECODE"] = args.decode
        subprocess.run(["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing", "--skip-build", "--filter",
                        "PairFiguresTool"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
    return open(out).read() if os.path.exists(out) else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="tune")
    ap.add_argument("--fps")
    ap.add_argument("--decode")
    ap.add_argument("--work", default="/tmp/plain-layout-pairs")
    ap.add_argument("--plain", type=int, default=40)
    ap.add_argument("--limit", type=float, default=0.15)
    args = ap.parse_args()
    devset = os.environ["DEVSET"]
    index = json.load(open(os.path.join(devset, "index.json")))
    rate = args.fps or args.decode or "2"
    work = os.path.join(args.work, f"{args.split}-{rate}")
    os.makedirs(work, exist_ok=True)
    rows = []
    for c in index["clips"]:
        if c["split"] != args.split:
            continue
        truth = json.load(open(os.path.join(devset, c["truth"])))
        text = figures(os.path.join(devset, c["clip"]), os.path.join(work, c["clip"] + ".txt"), args)
        if text is None:
            print(f"{c['clip']}: no figures", file=sys.stderr)
            continue
        group, pair = {}, None
        for m in re.finditer(r"^scene (\d+) \S+ keyframe \d+ at ([\d.]+) ", text, re.M):
            t = float(m[2])
            shot = next((s for s in truth["shots"] if s["start"] <= t < s["end"]), None)
            group[int(m[1])] = shot["content"] if shot else None
        for line in text.splitlines():
            m = re.match(r"  (\d+)-(\d+) cosine ([\d.]+) grid ([\d.inf]+)", line)
            if m:
                pair = (int(m[1]), int(m[2]), float(m[3]), float(m[4]))
                continue
            m = re.match(r"    \[0,0\] keypoints (\d+)/(\d+) .*decisive (\w+).* layout ([\d.]+)", line)
            if m and pair:
                i, j, cosine, grid = pair
                if group.get(i) is None or group.get(j) is None:
                    continue
                rows.append(dict(clip=c["clip"], i=i, j=j, cosine=cosine, grid=grid, keypoints=min(int(m[1]), int(m[2])),
                                 decisive=m[3] == "true", layout=float(m[4]), same=group[i] == group[j]))
    plain = [r for r in rows if not r["decisive"] and r["keypoints"] < args.plain]
    print(f"{args.split}, {rate} fps: {len(rows)} keyframe pairs, {len(plain)} undecided with fewer than {args.plain} keypoints")
    for r in sorted(plain, key=lambda r: (not r["same"], r["layout"])):
        change = r["grid"] <= 0.22 and r["layout"] > args.limit
        print(f"  {'same' if r['same'] else 'diff'} {r['clip']} {r['i']}-{r['j']} keypoints {r['keypoints']} cosine {r['cosine']:.3f} "
              f"grid {r['grid']:.3f} layout {r['layout']:.3f}{'  kept apart by the rule' if change else ''}")
    same = [r["layout"] for r in plain if r["same"]]
    diff = [r["layout"] for r in plain if not r["same"]]
    print(f"same content: largest layout {max(same):.3f} ({len(same)} pairs)" if same else "same content: none")
    print(f"different content: smallest layout {min(diff):.3f} ({len(diff)} pairs)" if diff else "different content: none")


if __name__ == "__main__":
    main()
