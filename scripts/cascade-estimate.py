#!/usr/bin/env python3
"""How many sampled frames could skip the network if the cut decision asked for an embedding only where the pixel
signals leave it open (issue 19, next step): fits scripts/fit-cut-rule.py's pixel-only model ("ssim": SSIM, hash and
the thumbnails between samples) on the TUNE part's signal dumps, scores each clip with a model fitted without it
(5 folds by clip), and counts the pairs it settles as "no cut" below a probability and the true cuts among them.

    python3 scripts/cascade-estimate.py [--devset DIR] [--signals DIR]   # signals from `framededupe tune --signals`

An estimate for a design, not a rule: embeddings also feed the dissolve checks, the scene means (clusters,
keyframes) and the transition flags, which a cascade would have to serve with fewer frames. TUNE only.
"""
import importlib.util, json, os, sys
import numpy as np
spec = importlib.util.spec_from_file_location("fcr", os.path.join(os.path.dirname(os.path.abspath(__file__)), "fit-cut-rule.py")); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
import argparse
ap = argparse.ArgumentParser()
ap.add_argument("--devset", default=os.environ.get("DEVSET", "/work/devset"))
ap.add_argument("--signals", default="/work/signals-geom17-2fps")
args = ap.parse_args()
devset, folder = args.devset, args.signals
index = json.load(open(os.path.join(devset, "index.json")))
for gap in (True,):
    m.USE_GAP = gap
    X, y, keep_all, clipof = [], [], [], []
    for c in index["clips"]:
        if c["split"] != "tune": continue
        path = os.path.join(folder, c["clip"] + ".signals.csv")
        if not os.path.exists(path): continue
        rows = m.load_clip(path); truth = json.load(open(os.path.join(devset, c["clip"] + ".truth.json")))
        F = m.features(rows, "ssim"); yy, kk = m.labels(rows, truth)
        for r, x, a, k in zip(rows, F, yy, kk):
            if k and (r.get("g_steps") or 0) >= 3:
                X.append(x); y.append(a); clipof.append(c["clip"])
    X, y = np.array(X), np.array(y)
    # 5-fold out-of-clip probabilities (honest: a clip's pairs are scored by a model fitted without it)
    clips = sorted(set(clipof)); fold = {c: i % 5 for i, c in enumerate(clips)}
    p = np.zeros(len(y))
    for f in range(5):
        test = np.array([fold[c] == f for c in clipof])
        w = m.fit(X[~test], y[~test], l2=1.0)
        p[test] = m.scores(w, X[test])
    print(f"tune pairs {len(y)}, cuts {int(y.sum())}")
    for tau in (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05):
        low = p < tau
        print(f"p_pixels < {tau}: {low.mean()*100:.1f}% of pairs settled as 'no cut' by pixels alone; true cuts among them: {int(y[low].sum())}")
    # frames whose both adjacent pairs are settled (needs pairs in order per clip; recompute without the gap filter)
    settled_frames = 0; frames = 0
    idx = 0
    order = {}
    for i, c in enumerate(clipof): order.setdefault(c, []).append(i)
    for c, ids in order.items():
        low = [p[i] < 0.005 for i in ids]
        for j in range(len(ids)):
            frames += 1
            if low[j] and (j + 1 >= len(ids) or low[j + 1]): settled_frames += 1
    print(f"frames whose pair before and pair after are both settled (p < 0.005): {settled_frames}/{frames} = {settled_frames/frames*100:.1f}%")
