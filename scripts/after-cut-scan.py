#!/usr/bin/env python3
"""Lists, on the TUNE part, the pairs of samples the calibrated cut model (`--scorer both`, with the frames decoded
between the samples) calls a cut, or nearly (probability at least --floor), that hold no labelled cut, and every
labelled cut right after another one (issue 17, "False cuts inside fast film shots" in BENCHMARKS.md).

Each row: clip, time, label (1: a labelled cut in the pair), whether the pair before holds a labelled cut, the
model's probability, the embedding change, 1 - SSIM, the hash distance, and the frames between the samples: the
largest step between their thumbnails, the second largest, their ratio, their sum and how many. The probabilities
are the model's as the signals give them (`scripts/fit-cut-rule.py`'s features, with a labelled cut in the pair before
as "after a cut", the coefficients read from
Sources/FrameDedupe/Scenes/CutModelCoefficients.swift); the detector's other rules (flashes, the stand-out rule,
gradual changes) are not applied. Pairs touching a labelled dissolve, fade or flash are left out.

    python3 scripts/after-cut-scan.py --signals /work/signals-cuts-0-2fps --devset /work/devset [--floor 0.3]
"""
import argparse, importlib.util, json, math, os, re

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fit_cut_rule", os.path.join(here, "fit-cut-rule.py"))
fit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fit)

ap = argparse.ArgumentParser()
ap.add_argument("--signals", required=True, help="a folder of <clip>.signals.csv (CutSignalsTool, every frame embedded)")
ap.add_argument("--devset", default=".cache/devset")
ap.add_argument("--floor", type=float, default=0.3)
args = ap.parse_args()

source = open(os.path.join(here, "..", "Sources", "FrameDedupe", "Scenes", "CutModelCoefficients.swift")).read()
m = re.search(r"static let both = CutModel\(\s*weights: \[([^\]]*)\],\s*bias: ([-0-9.e]+), threshold: ([0-9.]+)\)", source)
weights, bias, threshold = [float(w) for w in m.group(1).split(",")], float(m.group(2)), float(m.group(3))
print(f"model both (threshold {threshold}); clip, time, label, previous pair labelled, p, e, 1-SSIM, hash, peak, second, peak/second, total, steps")
for clip in json.load(open(os.path.join(args.devset, "index.json")))["clips"]:
    if clip.get("split") != "tune":
        continue
    path = os.path.join(args.signals, clip["clip"] + ".signals.csv")
    if not os.path.exists(path):
        print(f"{clip['clip']}: no signals")
        continue
    rows = fit.load_clip(path)
    truth = json.load(open(os.path.join(args.devset, clip["truth"])))
    y, keep = fit.labels(rows, truth)
    x = fit.features(rows, "both", fit.after_cuts(y))
    for k in range(1, len(rows)):
        r = rows[k]
        if not keep[k] or r["g_steps"] is None or r["g_steps"] < 3:
            continue
        p = 1 / (1 + math.exp(-(bias + sum(w * v for w, v in zip(weights, x[k])))))
        if (y[k] == 0 and p >= args.floor) or (y[k] == 1 and y[k - 1] == 1):
            print(f"{clip['clip']:36} {r['time']:7.3f} {int(y[k])} {int(y[k - 1])} {p:.3f} {r['e']:.3f} {r['p']:.3f} {r['h']:2.0f}"
                  f" {r['g_peak']:.3f} {r['g_second']:.3f} {r['g_peak'] / max(r['g_second'], 1e-9):5.2f} {r['g_total']:.3f} {r['g_steps']:.0f}")
