#!/usr/bin/env python3
"""The pixels-first cascade's gate (issue 19): which sampled frames need the network, fitted on the TUNE part only.

    python3 scripts/cascade-estimate.py [--devset DIR] [--signals DIR] [--write-swift PATH]
    # signals from `framededupe tune --signals` at 2 frames/s (default /work/signals-cuts-0-2fps: the 39 tune clips, twins included)
    # PATH: Sources/FrameDedupe/Stages/NetworkGateCoefficients.swift

The gate judges the pair of samples (k-1, k) from the pixels alone, before the network: a logistic model over
scripts/fit-cut-rule.py's pixel-only features without the look-ahead ones (the change in 1 - SSIM and its ratio to
its recent level, the hash distance and its ratio to its level, the frames decoded between the two samples), so
that it decides as soon as frame k arrives. Its positives are every pair the network must see: a labelled cut, or
a pair touching a labelled transition (dissolve, fade, flash) -- fit-cut-rule.py leaves the latter out, the gate
may not. A pair is settled when its probability is below TAU; only pairs with at least 2 frames decoded between
the samples (3 steps) and samples at most 1 s apart can be settled (elsewhere the gate leaves everything open).

TAU: the largest of a grid for which, scoring each clip with a model fitted without it (5 folds by clip), no
positive pair is settled, divided by SAFETY for a margin. The coefficients written are the model fitted on every
tune pair.

A frame then needs the network (Embedder's ``NetworkGate``) when a pair within two of it is open (pairs k-1..k+2
for frame k: the open pair's own change, its next and across changes and the one before, as the cut rules read
them), when it is the input's first or last frame, or when KEEP_SECONDS have passed since the last frame that
went through the network (scene means and levels from a few frames a scene). Printed: the share of tune frames
that skip the network under that rule, clip by clip. TUNE only: nothing here reads the sealed part.
"""
import argparse, importlib.util, json, os

import numpy as np

spec = importlib.util.spec_from_file_location("fcr", os.path.join(os.path.dirname(os.path.abspath(__file__)), "fit-cut-rule.py"))
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)

GAP_STEPS = 3          # CutEvidence.minimumGapSteps
LONGEST_INTERVAL = 1.0  # CutModel.sparseInterval: samples farther apart are never settled
PIXEL_ONLY = [0, 1, 4, 5, 6, 7, 8]  # of fit-cut-rule.py's "ssim" features with the gap: no next/across change
L2 = 1.0
SAFETY = 2.0
TAUS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05]
# At most CutEvidence.isDissolve's least ends' distance (0.06): a settled pair, whose embedding change the cut rules
# do not see, can then never pass for a dissolve's middle on its pixels' change (with 0.08, moving 360p footage,
# 1 - SSIM ~0.18 between samples, was read as eight dissolves on the tune part).
GUARDS = [0.03, 0.04, 0.05, 0.06]
MOVED = 0.05  # embedding change of a transition pair that must stay open
KEEP_SECONDS = 2.0
REACH = (-1, 1)  # frame k needs the network when a pair k-1 .. k+1 is open (k-1 .. k+2 before issue 19's second step)


def gate_features(rows):
    m.USE_GAP = True
    return [[x[i] for i in PIXEL_ONLY] for x in m.features(rows, "ssim")]


def positives(rows, truth):
    """Per pair: 1 for a labelled cut, 0 otherwise, and whether it touches a labelled transition."""
    return m.labels(rows, truth)


def ends_distance(r):
    """The root mean square difference of the two samples' thumbnails, 0-1 (CutEvidence.blend's distance)."""
    return r.get("b_distance") if r.get("b_distance") is not None else 1.0


def settleable(r):
    return (r.get("g_steps") or 0) >= GAP_STEPS and r["time"] - r["previous_time"] <= LONGEST_INTERVAL + 1e-9


def needed_frames(rows, open_pair):
    """Frames 0..n (row j is pair (j, j+1)'s later frame j+1): which need the network."""
    n = len(rows)
    times = [rows[0]["previous_time"]] + [r["time"] for r in rows]
    # The first frame's pair (none) and the pairs after the last frame count as open, as the Embedder has them.
    pair_open = lambda k: k < 1 or k > n or open_pair[k - 1]
    need, last = [], None
    for f in range(n + 1):
        x = any(pair_open(k) for k in range(f + REACH[0], f + REACH[1] + 1))
        if not x and last is not None and times[f] - last >= KEEP_SECONDS - 1e-9:
            x = True
        if x:
            last = times[f]
        need.append(x)
    return need


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devset", default=os.environ.get("DEVSET", "/work/devset"))
    ap.add_argument("--signals", default="/work/signals-cuts-0-2fps")
    ap.add_argument("--write-swift", metavar="PATH")
    args = ap.parse_args()
    index = json.load(open(os.path.join(args.devset, "index.json")))
    pairs = []  # (clip, row, features, cut, outside transitions)
    clips = {}
    for c in index["clips"]:
        if c["split"] != "tune":
            continue
        path = os.path.join(args.signals, c["clip"] + ".signals.csv")
        if not os.path.exists(path):
            continue
        rows = m.load_clip(path)
        truth = json.load(open(os.path.join(args.devset, c["clip"] + ".truth.json")))
        clips[c["clip"]] = rows
        y, keep = positives(rows, truth)
        pairs += [(c["clip"], r, x, a, k) for r, x, a, k in zip(rows, gate_features(rows), y, keep) if settleable(r)]
    names = sorted(clips)
    X = np.array([q[2] for q in pairs]); y = np.array([q[3] for q in pairs]); keep = np.array([q[4] for q in pairs])
    group = [q[0] for q in pairs]
    distance = np.array([ends_distance(q[1]) for q in pairs])
    moved = np.array([(q[1]["e"] or 0) > MOVED for q in pairs])
    print(f"tune clips {len(names)}, settleable pairs {len(y)} (of {sum(len(r) for r in clips.values())}), "
          f"cuts {int(y[keep].sum())}, pairs touching labelled transitions {int((~keep).sum())}")
    # Out-of-clip probabilities: each clip's pairs scored by a model fitted (on cuts, transitions left out, as
    # fit-cut-rule.py does) without it.
    fold = {c: i % 5 for i, c in enumerate(names)}
    p = np.zeros(len(y))
    for f in range(5):
        test = np.array([fold[g] == f for g in group])
        w = m.fit(X[~test & keep], y[~test & keep], l2=L2)
        p[test] = m.scores(w, X[test])
    # The rule: of a grid of probabilities and ends' distances, the pair that settles the most pairs with no cut and
    # no pair of a labelled transition whose content moved (embedding change > MOVED) among them.
    best = (-1.0, 0.0, 0.0)
    for g in GUARDS:
        for tau in TAUS:
            low = (p < tau) & (distance < g)
            cuts, moved_transitions = int(y[low & keep].sum()), int((low & ~keep & moved).sum())
            print(f"  p < {tau}, ends' distance < {g}: {low.mean() * 100:.1f}% of settleable pairs settled, cuts among them {cuts}, "
                  f"transition pairs {int((low & ~keep).sum())} (content moved: {moved_transitions})")
            if cuts == 0 and moved_transitions == 0 and low.mean() > best[0]:
                best = (low.mean(), tau, g)
    _, largest, guard = best
    tau = largest / SAFETY
    print(f"threshold: {largest} (largest with no cut settled) / {SAFETY} = {tau}; guard: ends' distance < {guard}")
    # Frames that skip the network, out of clip, under the frame rule.
    skipped = total = 0
    for c in names:
        rows = clips[c]
        pc = iter(p[[i for i, g in enumerate(group) if g == c]])
        open_pair = [not (settleable(r) and next(pc) < tau and ends_distance(r) < guard) for r in rows]
        need = needed_frames(rows, open_pair)
        s = sum(1 for x in need if not x)
        skipped += s
        total += len(need)
        print(f"  {c}: {s}/{len(need)} frames skip the network")
    print(f"tune frames that skip the network (out of clip): {skipped}/{total} = {skipped / total * 100:.1f}%")
    w = m.fit(X[keep], y[keep], l2=L2)
    print("weights", np.round(w[:-1], 6).tolist(), "bias", round(float(w[-1]), 6))
    if args.write_swift:
        lines = [
            "// Generated by scripts/cascade-estimate.py from the TUNE part of the dev set; do not edit (rerun the script).",
            f"// Signals: {os.path.basename(args.signals.rstrip('/'))}: {len(y)} tune pairs with frames decoded between samples at most",
            f"// {LONGEST_INTERVAL} s apart, {int(y[keep].sum())} cuts; out of clip, no cut settled below {largest}, no transition whose content",
            f"// moved settled with the ends' distance under {guard}. Tune frames that skip the network: {skipped}/{total}.",
            "",
            "extension NetworkGate {",
            f"    /// Pixel-only model of a cut between two samples (``NetworkGate``'s features), fitted on every tune pair (L2 {L2});",
            f"    /// its threshold is the largest probability that settled no cut out of clip ({largest}) over {SAFETY}.",
            "    static let model = CutModel(",
            "        weights: [" + ", ".join("%.6f" % v for v in w[:-1]) + "],",
            "        bias: %.6f, threshold: %.6f)" % (w[-1], tau),
            "    /// A pair whose samples' thumbnails differ by this much or more (root mean square, 0-1) stays open.",
            f"    static let largestSettledDistance = {guard}",
            f"    /// Seconds after which a frame goes through the network however settled its pairs.",
            f"    static let keepSeconds = {KEEP_SECONDS}",
            f"    /// How many pairs after a frame's own must be settled for it to skip the network (the frames the gate waits for).",
            f"    static let pairsAhead = {REACH[1]}",
            "}",
            "",
        ]
        tmp = args.write_swift + ".tmp"
        open(tmp, "w").write("\n".join(lines))
        os.replace(tmp, args.write_swift)


if __name__ == "__main__":
    main()
