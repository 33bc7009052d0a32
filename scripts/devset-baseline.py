#!/usr/bin/env python3
"""Interim dev-set baseline: run framededupe on every clip of the labelled dev set and score it.

Until `framededupe eval` exists (issue "Measure quality and speed"), this gives the figures the
defaults are judged by. Standard library only.

    python3 scripts/make-devset.py                 # builds .cache/devset/ once
    python3 scripts/devset-baseline.py [framededupe options...]

Scores, summed over clips:
- scene boundaries: a true boundary (each shot start but the first) matches an unused detected scene
  start within ±0.5 s (±1.5 s inside a labelled transition); detected starts inside a transition are
  not counted as false; precision, recall, F1;
- content clusters: pairwise over the sampled frames that lie in a shot (not a transition):
  a pair is predicted together when the frames share a cluster, truly together when their shots share
  a content group; precision, recall, F1.
"""
import itertools
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
D = os.environ.get("DEVSET", os.path.join(ROOT, ".cache", "devset"))
BIN = os.environ.get("FRAMEDEDUPE", os.path.join(ROOT, ".build", "release", "framededupe"))
extra = sys.argv[1:]
idx = json.load(open(os.path.join(D, "index.json")))
clips = [c if isinstance(c, str) else c.get("clip") for c in (idx["clips"] if isinstance(idx, dict) else idx)]
tot = dict(tp=0, fp=0, fn=0, pp=0, pt=0, pboth=0)
for clip in clips:
    truth = json.load(open(os.path.join(D, clip + ".truth.json")))
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "framededupe-devset-baseline", clip)
    subprocess.run([BIN, os.path.join(D, clip), "-o", out, "-q"] + extra, check=True)
    res = json.load(open(os.path.join(out, "scenes.json")))
    cuts = [s["start"] for s in res["scenes"][1:]]
    tcuts = [s["start"] for s in truth["shots"][1:]]
    trans = [(t["start"], t["end"]) for t in truth.get("transitions", [])]
    def in_trans(x): return any(a - 0.5 <= x <= b + 0.5 for a, b in trans)
    used = set(); tp = 0
    for c in tcuts:
        m = [i for i, x in enumerate(cuts) if i not in used and abs(x - c) <= 0.5 + (1.0 if in_trans(c) else 0)]
        if m: used.add(m[0]); tp += 1
    fp = sum(1 for i, x in enumerate(cuts) if i not in used and not in_trans(x))
    fn = len(tcuts) - tp
    # pairwise cluster agreement on sampled frames (non-transition truth), content group by time
    def group(t):
        for s in truth["shots"]:
            if s["start"] - 1e-6 <= t < s["end"] - 1e-6: return s["content"]
        return None
    frames = [(f["cluster"], group(f["time"])) for f in res["frames"] if f["cluster"] is not None and group(f["time"]) is not None and not in_trans(f["time"])]
    pp = pt = pb = 0
    for (c1, g1), (c2, g2) in itertools.combinations(frames, 2):
        pp += c1 == c2; pt += g1 == g2; pb += (c1 == c2 and g1 == g2)
    for k, v in dict(tp=tp, fp=fp, fn=fn, pp=pp, pt=pt, pboth=pb).items(): tot[k] += v
    ngroups = len(set(s["content"] for s in truth["shots"]))
    print(f"{clip:28} cuts tp={tp} fp={fp} fn={fn}  scenes={len(res['scenes'])}/{len(truth['shots'])}  clusters={len(json.load(open(os.path.join(out,'clusters.json')))['clusters'])}/{ngroups}  pairP={pb/max(pp,1):.2f} pairR={pb/max(pt,1):.2f}")
P = tot["tp"] / max(tot["tp"] + tot["fp"], 1); R = tot["tp"] / max(tot["tp"] + tot["fn"], 1)
cp = tot["pboth"] / max(tot["pp"], 1); cr = tot["pboth"] / max(tot["pt"], 1)
print(f"ALL scene boundaries P={P:.3f} R={R:.3f} F1={2*P*R/max(P+R,1e-9):.3f}; cluster pairs P={cp:.3f} R={cr:.3f} F1={2*cp*cr/max(cp+cr,1e-9):.3f}")
