#!/usr/bin/env python3
"""Fits framededupe's cut rule (issue 17: cuts from all signals together) on the TUNE part of the dev set.

    framededupe tune --truth-dir DEVSET --signals DIR ...   # writes DIR/<clip>.signals.csv (see below)
    python3 scripts/fit-cut-rule.py --signals DIR [DIR...] [--devset DIR] [--swift]

Input: one CSV per clip from `framededupe tune --signals`, a row per sampled frame k >= 1 with the changes the
scorers measure between frame k-1 and k (`e`: embedding cosine distance, `p`: 1 - SSIM at the 32 px SSIM scale,
`h`: perceptual-hash Hamming distance, 0-128), between k-1 and k+1 (`e2`, `p2`, `h2`: does the picture come back
after frame k?), the frame's time and exposure. The clip's truth (`<clip>.truth.json`) labels each pair: a cut
when a shot boundary lies in (t[k-1], t[k]]; pairs touching a labelled transition are left out.

Features (segmentation-independent, so the same numbers are computed at run time whatever was cut before):
each change against its recent level (the median of its values over the previous `LEVEL_SECONDS` seconds, at
least 2 frames), the change itself, the next frame's change relative to this one (a cut into a steady shot is
followed by calm; motion goes on), and whether the picture comes back (flash). One input is not the signals':
whether the pair before holds a cut (`after_cut_features`), from the labels here and from the detector's verdict at
run time. See `features`; the Swift side (`CutEvidence.features(scorer:withGap:)`) computes exactly these.

Model: L2-regularised logistic regression, fitted by Newton's method (numpy only), for three scorers: both
(embedding + pixels + hash), embed (embedding + hash), ssim (pixels + hash). The L2 penalty and the decision
threshold are chosen together by 5-fold cross-validation over TUNE clips (a clip's pairs in one fold): the pair
that maximises the pooled F1 of out-of-fold probabilities. Reported: pair-level precision/recall/F1 on TUNE and,
where its signals were dumped, SEALED. Nobody tunes on SEALED: its figures are printed, never used; `--tune-only`
does not read them even where the folders hold them. `--swift` prints the coefficients as Swift literals.
"""
import argparse, csv, hashlib, json, math, os, sys

import numpy as np

LEVEL_SECONDS = 3.0
EPS_E, EPS_P, EPS_H = 0.005, 0.01, 1.0


def load_clip(path):
    rows = list(csv.DictReader(open(path)))
    return [{k: float(v) if v not in ("", None) else None for k, v in r.items()} for r in rows]


def level(values, times, k, seconds=LEVEL_SECONDS):
    """Median of values[j] for the frames j < k within `seconds` before frame k (at least the last 2)."""
    window = [values[j] for j in range(k - 1, -1, -1) if times[k] - times[j] <= seconds or k - j <= 2]
    window = [v for v in window if v is not None]
    if not window:
        return None
    window.sort()
    n = len(window)
    return window[n // 2] if n % 2 else 0.5 * (window[n // 2 - 1] + window[n // 2])


def features(rows, scorer, after_cut=None):
    """One feature vector per row (frame k >= 1), in FEATURES order for the scorer. `after_cut[k]`: the pair before
    row k holds a cut (`CutEvidence.afterCut`; from the labels when fitting, `after_cuts`); none when not given."""
    t = [r["time"] for r in rows]
    e = [r["e"] for r in rows]; p = [r["p"] for r in rows]; h = [r["h"] for r in rows]
    out = []
    for k, r in enumerate(rows):
        le, lp, lh = level(e, t, k), level(p, t, k), level(h, t, k)
        nxt = rows[k + 1] if k + 1 < len(rows) else None
        x = []
        if scorer in ("both", "embed"):
            ev = e[k] or 0.0
            x += [math.log(ev + EPS_E), math.log((ev + EPS_E) / ((le or 0) + EPS_E)),
                  math.log(((nxt["e"] if nxt else ev) + EPS_E) / (ev + EPS_E)),
                  math.log(((r["e2"] if r["e2"] is not None else ev) + EPS_E) / (ev + EPS_E))]
        if scorer in ("both", "ssim"):
            pv = p[k] or 0.0
            x += [pv, math.log((pv + EPS_P) / ((lp or 0) + EPS_P)),
                  math.log(((nxt["p"] if nxt else pv) + EPS_P) / (pv + EPS_P)),
                  math.log(((r["p2"] if r["p2"] is not None else pv) + EPS_P) / (pv + EPS_P))]
        hv = h[k] or 0.0
        x += [hv / 64, math.log((hv + EPS_H) / ((lh or 0) + EPS_H))]
        if USE_GAP:
            x += gap_features(r)
        if AFTER_CUT:
            x += after_cut_features(r, bool(after_cut and after_cut[k]))
        out.append(x)
    return out


USE_GAP = True
EPS_G = 0.01


def gap_features(r):
    """The frames decoded between two samples: the largest step between consecutive thumbnails, how far it stands
    out from the second largest (a cut is one step; motion, many alike), and its share of all the change. The
    model with these is used where at least 2 frames were decoded between the samples (3 steps); the one without
    them elsewhere (every frame sampled, key frames only)."""
    peak, second, total = r["g_peak"], r["g_second"], r["g_total"]
    return [math.log(peak + EPS_G), math.log((peak + EPS_G) / (second + EPS_G)), peak / (total + EPS_G)]


AFTER_CUT = True


def after_cut_features(r, after):
    """Right after a cut the recent levels are the previous shot's: a new shot that moves fast at once changes as
    much as a cut against them (issue 17: every TUNE pair at 2 frames/s the models gave >= 0.3 without a cut was the
    first or second pair of a fast Sintel shot). Two features let the model judge those pairs otherwise: the pair
    before holds a cut (1/0), and that flag times how far the largest step between the thumbnails stands out from
    the second largest (the gap's second feature; with the frames between samples only): a cut is one step, the
    first motion of a shot many alike. At run time the flag is the detector's own verdict on the previous pair (any
    rule); fitting, a labelled shot boundary in it (`after_cuts`). Only in the models of samples at most 1 s apart: the
    sparse ones (`--suffix Sparse`) leave them out (`AFTER_CUT`): two seconds after a cut the recent levels hold the
    new shot's changes, and with the features cross-validation over TUNE clips gained nothing there (F1 within 0.004)."""
    x = [1.0 if after else 0.0]
    if USE_GAP:
        x.append(gap_features(r)[1] if after else 0.0)
    return x


def after_cuts(y):
    """Per row, whether the pair before it holds a labelled shot boundary (the labels of `labels`)."""
    return [k > 0 and y[k - 1] == 1 for k in range(len(y))]


STANDS_OUT_RATIO, STANDS_OUT_MINIMUM = 4.0, 0.06


def stands_out(rows):
    """Per row, whether the embedding's change stands out from both its recent level and the next change
    (`CutEvidence.standsOut`: at least 0.06 and 4x max(level, next), each + EPS_E) while the frames between the
    samples are no dissolve's blend of their ends (`gapBlends`): a cut whatever the model says."""
    t = [r["time"] for r in rows]; e = [r["e"] for r in rows]
    out = []
    for k, r in enumerate(rows):
        ev = e[k]
        blends = r.get("b_residual") is not None and r["b_residual"] <= 0.12 and r["b_step"] <= 0.35
        if ev is None or ev < STANDS_OUT_MINIMUM or blends:
            out.append(False); continue
        nxt = rows[k + 1]["e"] if k + 1 < len(rows) and rows[k + 1]["e"] is not None else ev
        before = e[k - 1] if k > 0 and e[k - 1] is not None else 0
        out.append(ev + EPS_E >= STANDS_OUT_RATIO * (max(level(e, t, k) or 0, before, nxt) + EPS_E))
    return out


def labels(rows, truth):
    """1 for a pair (t[k-1], t[k]] holding a shot boundary, else 0; pairs touching a labelled gradual transition
    or flash are left out (the cut model is for cuts; gradual transitions have a rule of their own)."""
    bounds = [s["start"] for s in truth["shots"][1:]]
    trans = [(x["start"], x["end"]) for x in truth.get("transitions", [])]
    y, keep = [], []
    for k, r in enumerate(rows):
        a, b = r["previous_time"], r["time"]
        y.append(1.0 if any(a + 1e-6 < x <= b + 1e-6 for x in bounds) else 0.0)
        keep.append(not any(a < e + 1e-6 and b > s - 1e-6 for s, e in trans))
    return y, keep


def fit(X, y, l2=1.0, iterations=50):
    """Logistic regression on standardised features (so that the L2 penalty weighs every feature alike), by
    Newton's method; returns weights for the raw features and the bias last."""
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std == 0] = 1
    X = (X - mean) / std
    X = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(X.shape[1])
    for _ in range(iterations):
        z = X @ w
        pr = 1 / (1 + np.exp(-z))
        g = X.T @ (pr - y) + l2 * np.r_[w[:-1], 0]
        H = (X * (pr * (1 - pr))[:, None]).T @ X + l2 * np.diag(np.r_[np.ones(len(w) - 1), 0])
        w -= np.linalg.solve(H, g)
    raw = w[:-1] / std
    return np.r_[raw, w[-1] - (raw * mean).sum()]


def scores(w, X):
    X = np.hstack([X, np.ones((len(X), 1))])
    return 1 / (1 + np.exp(-(X @ w)))


THRESHOLDS = np.linspace(0.05, 0.95, 91)


def cross_validated(X, y, groups, penalties=(0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0), folds=5):
    """The penalty and the threshold with the best pooled F1 of out-of-fold probabilities over `folds` folds of
    TUNE clips (a clip's pairs stay in one fold, so a clip is always scored by a model fitted without it): both
    chosen on TUNE only, neither on the pairs the final model is fitted on."""
    clips = sorted(set(groups))
    fold_of = {c: i % folds for i, c in enumerate(sorted(clips, key=lambda c: hashlib.sha256(c.encode()).hexdigest()))}
    best = None
    for l2 in penalties:
        out = np.zeros(len(y))
        for f in range(folds):
            test = np.array([fold_of[g] == f for g in groups])
            w = fit(X[~test], y[~test], l2=l2)
            out[test] = scores(w, X[test])
        f1, th = max((prf(out >= th, y)[2], th) for th in THRESHOLDS)
        print(f"  cross-validated F1 at L2 {l2}: {f1:.3f} (threshold {th:.2f})")
        if best is None or f1 > best[0] + 1e-9:
            best = (f1, l2, th)
    return best[1], best[2], best[0]


def prf(pred, y):
    tp = sum(1 for a, b in zip(pred, y) if a and b); fp = sum(1 for a, b in zip(pred, y) if a and not b)
    fn = sum(1 for a, b in zip(pred, y) if b and not a)
    p = tp / (tp + fp) if tp + fp else 1.0; r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--signals", required=True, nargs="+",
                    help="one or more folders of signals (e.g. at 2 and at 0.5 frames/s, and key frames only): their pairs are pooled, each clip's in its part")
    ap.add_argument("--devset", default=os.environ.get("DEVSET", ".cache/devset"))
    ap.add_argument("--swift", action="store_true")
    ap.add_argument("--write-swift", metavar="PATH", help="write the coefficients as a Swift file (Sources/FrameDedupe/Scenes/CutModelCoefficients.swift)")
    ap.add_argument("--suffix", default="", help="appended to the models' names, e.g. Sparse for the models of samples more than 1 s apart (fitted on signals at 0.5 frames/s and key frames only)")
    ap.add_argument("--l2", type=float, default=None, help="the L2 penalty (the threshold is then the best on the TUNE pairs); default: both chosen by 5-fold cross-validation over TUNE clips")
    ap.add_argument("--models", choices=("both", "with", "without"), default="both",
                    help="refit the models with the frames between samples, those without, or both (default); with --write-swift, the others stay as the file has them")
    ap.add_argument("--tune-only", action="store_true", help="read no SEALED clip's signals even where the folders hold them (the lead scores SEALED once, end to end)")
    a = ap.parse_args()
    index = json.load(open(os.path.join(a.devset, "index.json")))
    global AFTER_CUT
    AFTER_CUT = a.suffix != "Sparse"
    models = []
    kinds = {"both": (True, False), "with": (True,), "without": (False,)}[a.models]
    for scorer, gap in [(s, g) for s in ("both", "embed", "ssim") for g in kinds]:
        global USE_GAP
        USE_GAP = gap
        data = {"tune": ([], []), "sealed": ([], [])}
        groups = []
        for c, folder in [(c, folder) for folder in a.signals for c in index["clips"]]:
            path = os.path.join(folder, c["clip"] + ".signals.csv")
            if not os.path.exists(path) or (a.tune_only and c["split"] != "tune"):
                continue
            rows = load_clip(path)
            truth = json.load(open(os.path.join(a.devset, c["clip"] + ".truth.json")))
            y, keep = labels(rows, truth)
            X = features(rows, scorer, after_cuts(y))
            for r, x, yy, kk in zip(rows, X, y, keep):
                if kk and (not gap or (r.get("g_steps") or 0) >= 3):
                    data[c["split"]][0].append(x); data[c["split"]][1].append(yy)
                    if c["split"] == "tune":
                        groups.append(c["clip"])
        Xt, yt = np.array(data["tune"][0]), np.array(data["tune"][1])
        if a.l2 is not None:
            l2, th = a.l2, None
        else:
            l2, th, cv_f1 = cross_validated(Xt, yt, groups)
        w = fit(Xt, yt, l2=l2)
        st = scores(w, Xt)
        if th is None:
            th = max((prf(st >= t, yt)[2], t) for t in THRESHOLDS)[1]
        Xs, ys = np.array(data["sealed"][0]), np.array(data["sealed"][1])
        sealed = prf(scores(w, Xs) >= th, ys) if len(ys) else None
        print(f"{scorer} {'with' if gap else 'without'} the frames between samples: tune pairs {len(yt)} ({int(yt.sum())} cuts), sealed {len(ys)} ({int(ys.sum())} cuts)")
        print("  L2", l2, "weights", np.round(w, 4).tolist(), "threshold", round(th, 3))
        print("  tune   P/R/F1 %.3f %.3f %.3f" % prf(st >= th, yt))
        if sealed:
            print("  sealed P/R/F1 %.3f %.3f %.3f" % sealed)
        models.append((scorer, gap, w, th, l2, prf(st >= th, yt), sealed))
        if a.swift:
            print("  Swift: weights: [" + ", ".join("%.6f" % v for v in w[:-1]) + "], bias: %.6f, threshold: %.4f" % (w[-1], th))
    report_stands_out(a, index)
    if a.write_swift:
        write_swift(a.write_swift, models, a.suffix, a.signals)


def report_stands_out(a, index):
    """What the rule `CutEvidence.standsOut` adds on TUNE: the pairs it marks, by label (outside labelled transitions)."""
    cuts = others = inside = total = 0
    for folder in a.signals:
        for c in index["clips"]:
            path = os.path.join(folder, c["clip"] + ".signals.csv")
            if c["split"] != "tune" or not os.path.exists(path):
                continue
            rows = load_clip(path)
            y, keep = labels(rows, json.load(open(os.path.join(a.devset, c["clip"] + ".truth.json"))))
            for r, marked, yy, kk in zip(rows, stands_out(rows), y, keep):
                total += yy == 1 and kk
                if marked:
                    if not kk:
                        inside += 1
                        print(f"  stands out touching a labelled transition: {c['clip']} at {r['time']} s")
                    elif yy:
                        cuts += 1
                    else:
                        others += 1
                        print(f"  stands out without a cut: {c['clip']} at {r['time']} s")
    print(f"embedding stands out (CutEvidence.standsOut) on TUNE: {cuts} of {total} cuts, {others} pairs without a cut, "
          f"{inside} pairs touching a labelled transition")


def existing_models(path):
    """The models of an existing generated file, by name: each its doc comment and its three lines of code."""
    if not os.path.exists(path):
        return {}
    lines, out = open(path).read().split("\n"), {}
    for i, line in enumerate(lines):
        if line.startswith("    static let "):
            out[line.split()[2]] = lines[i - 1:i + 3]
    return out


def kept_signals(path):
    """The signals an existing generated file names (for the models kept from it)."""
    for line in open(path).read().split("\n") if os.path.exists(path) else []:
        if line.startswith("// Signals: "):
            return line[len("// Signals: "):].split(" (")[0].rstrip(".").split("; the other models: ")[-1] + "."
    return "unknown."


def write_swift(path, models, suffix="", folders=()):
    names = {"both": "both", "embed": "embed", "ssim": "ssim"}
    kept = existing_models(path)
    fitted = {names[sc] + suffix + ("" if gap else "WithoutGap"): (sc, gap, w, th, l2, tune, sealed)
              for sc, gap, w, th, l2, tune, sealed in models}
    lines = ["// Generated by scripts/fit-cut-rule.py from the TUNE part of the dev set; do not edit (rerun the script).",
             "// Signals: " + ", ".join(os.path.basename(f.rstrip("/")) for f in folders)
             + ("." if len(fitted) == 6 else " (" + ", ".join(sorted(fitted)) + "); the other models: " + kept_signals(path)),
             "// Feature order: CutEvidence.features(scorer:withGap:sparse:). Figures: pair-level precision/recall/F1.", "",
             "extension CutModel {"]
    for name in [names[sc] + suffix + ("" if g else "WithoutGap") for sc in ("both", "embed", "ssim") for g in (True, False)]:
        if name not in fitted:
            if name in kept:
                lines += kept[name]
            continue
        scorer, gap, w, th, l2, tune, sealed = fitted[name]
        lines.append(f"    /// `--scorer {scorer}`, {'with' if gap else 'without'} the frames between samples (L2 {l2}). "
                     f"Tune P/R/F1 {tune[0]:.3f}/{tune[1]:.3f}/{tune[2]:.3f}, "
                     + (f"sealed {sealed[0]:.3f}/{sealed[1]:.3f}/{sealed[2]:.3f}." if sealed else "sealed not read."))
        lines.append(f"    static let {name} = CutModel(")
        lines.append("        weights: [" + ", ".join("%.6f" % v for v in w[:-1]) + "],")
        lines.append(f"        bias: {w[-1]:.6f}, threshold: {th:.4f})")
    lines.append("}")
    open(path, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
