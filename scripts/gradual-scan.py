#!/usr/bin/env python3
"""Measures the rule for changes over two sampling intervals between moving shots (issue 17,
`CutEvidence.isGradualBetweenMovingShots` in Sources/FrameDedupe/Scenes/Rules.swift) on the TUNE part.

For every sampled frame k in the middle of a change from sample k-1 to sample k+1 with the rule's shape (the change
across at least --across, each step at least 35% of it and neither reaching it) where a run opened no scene at k or
k+1, prints the change across, the steps, and their ratios to the scene's own recent level as the detector keeps it
(`CutDetector.recentLevel`: the mean change of the scene's non-transition frames recorded in the last 2 s before k,
at least two of them, none the change that opened the scene), and whether a labelled transition or cut lies between
k-1 and k+1. The decisions (scene starts, transition frames) come from a run's results (`devset-eval.sh` RESULTS),
the changes from the signals `CutSignalsTool` dumps (every frame embedded).

    python3 scripts/gradual-scan.py --signals /work/signals-cuts-0-2fps --results /work/eval-core27 [--across 0.3]

With --keyframes (no signals needed), lists instead every scene of the tune part whose keyframe lies within --near
seconds of a dissolve or fade at either end of its scene (the keyframe rule of `KeyframePicker`: away from the
transitions at both ends), with the scene's samples, and whether the labels put the keyframe inside a transition:

    python3 scripts/gradual-scan.py --keyframes --results /work/eval-cov-2-fps05 [--near 1.0]
"""
import argparse, csv, json, os

ap = argparse.ArgumentParser()
ap.add_argument("--devset", default=".cache/devset")
ap.add_argument("--signals")
ap.add_argument("--keyframes", action="store_true")
ap.add_argument("--near", type=float, default=1.0)
ap.add_argument("--results", required=True)
ap.add_argument("--across", type=float, default=0.3)
args = ap.parse_args()

if args.keyframes:
    SLACK = 0.002
    for clip in json.load(open(os.path.join(args.devset, "index.json")))["clips"]:
        if clip.get("split") != "tune" or not os.path.exists(os.path.join(args.results, clip["clip"], "scenes.json")):
            continue
        truth = json.load(open(os.path.join(args.devset, clip["truth"])))
        run = json.load(open(os.path.join(args.results, clip["clip"], "scenes.json")))
        for scene in run["scenes"]:
            if scene["transition"]:
                continue
            t = scene["keyframe"]["time"]
            ends = [("closing", x["start"] - t) for x in run["transitions"] if x["before"] == scene["id"] and x["type"] in ("dissolve", "fade")]
            ends += [("opening", t - x["end"]) for x in run["transitions"] if x["after"] == scene["id"] and x["type"] in ("dissolve", "fade")]
            near = [f"{k} {d:+.2f}" for k, d in ends if d <= args.near]
            if not near:
                continue
            samples = [f["time"] for f in run["frames"] if f["scene"] == scene["id"]]
            inside = any(x["start"] - SLACK <= t < x["end"] - SLACK for x in truth.get("transitions", []))
            print(f"{clip['clip']:36s} scene {scene['id']:3d} keyframe {t:7.3f}  {', '.join(near):28s} "
                  f"{'IN A LABELLED TRANSITION' if inside else 'clean':24s} samples {samples}")
    raise SystemExit(0)
if not args.signals:
    ap.error("--signals is needed without --keyframes")

WINDOW = 2.0        # TransitionRule.windowSeconds
MIN_LEVEL = 2       # SceneBoundaryRule.minimumLevelFrames
index = json.load(open(os.path.join(args.devset, "index.json")))
worst = {"labelled": [], "other": []}
for clip in index["clips"]:
    if clip.get("split") != "tune":
        continue
    name = clip["clip"]
    path = os.path.join(args.signals, name + ".signals.csv")
    if not os.path.exists(path):
        continue
    truth = json.load(open(os.path.join(args.devset, clip["truth"])))
    run = json.load(open(os.path.join(args.results, name, "scenes.json")))
    frames = run["frames"]
    opens = {s["first_frame"] for s in run["scenes"][1:]}
    rows = [{k: (float(v) if v != "" else None) for k, v in r.items()} for r in csv.DictReader(open(path))]
    # rows[j] is the change from frame j to frame j+1.
    if len(rows) + 1 != len(frames):
        continue
    for k in range(1, len(frames) - 1):
        into, out, across = rows[k - 1]["e"], rows[k]["e"], rows[k - 1]["e2"]
        if None in (into, out, across) or k in opens or k + 1 in opens:
            continue
        if not (across >= args.across and into < across and out < across and min(into, out) >= 0.35 * across):
            continue
        # The scene's own recent level as frame k was judged: changes into frames j < k of k's scene (j after its first
        # frame), not transition frames, within the window before the newest.
        first = max(s for s in [0] + sorted(opens) if s <= k)
        changes = [(frames[j]["time"], rows[j - 1]["e"]) for j in range(first + 1, k)
                   if not frames[j]["transition"] and rows[j - 1]["e"] is not None]
        if changes:
            newest = changes[-1][0]
            changes = [c for c in changes if newest - c[0] < WINDOW]
        if len(changes) < MIN_LEVEL:
            continue
        level = sum(c for _, c in changes) / len(changes) + 0.005
        t0, t2 = frames[k - 1]["time"], frames[k + 1]["time"]
        events = [e for e in truth["events"] if t0 < e["last"] + 0.02 and e["first"] <= t2 + 0.02]
        kind = ",".join(f"{e['type']}@{e['first']:.2f}" for e in events)
        row = (across / level, max(into, out) / level, name, frames[k]["time"], into, out, across, level - 0.005, kind)
        worst["labelled" if events else "other"].append(row)
for part in ("labelled", "other"):
    print(f"== {part}: across/level, larger step/level, clip, time, steps, across, scene level, labelled events")
    for r in sorted(worst[part], reverse=True):
        print(f"  {r[0]:5.2f} {r[1]:5.2f}  {r[2]:36s} {r[3]:7.3f}  {r[4]:.3f} {r[5]:.3f}  {r[6]:.3f}  {r[7]:.3f}  {r[8]}")
