#!/usr/bin/env python3
"""Copies vs look-alikes on the dev set, pair by pair: the global embedding, the 3x3 grid check and geometric
verification (issue 17, parts 1 and 3).

    DEVSET=/work/devset scripts/geometry-pairs.py [--binary PATH] [--work DIR] [--reuse] [--markdown FILE]
                                                  [--rule-search] [--benchmarks BENCHMARKS.md]

For every labelled pair of shots of the dev set v2 — the `pairs` of each clip's truth (`copy` or `lookalike`)
and the cross-clip `copies` of index.json (all `copy`) — it takes the sampled frame nearest the middle of each
shot (framededupe's own sampling: 2 frames a second) and reports:

* `cosine`: the cosine distance of the two frames' global embeddings, from `framededupe embed` (jsonl);
* `grid`: the distance of the clustering's spatial check (`sameLayout` in Sources/FrameDedupe/Clusters.swift:
  the smallest mean cell cosine distance of the 3x3 feature grids, direct, mirrored or shifted by a cell; a
  pair is a copy for it at <= 0.22);
* the geometric measures of Sources/Similarity/Geometry (GeometricVerifier): `inliers`, `inlier_ratio`,
  `coverage` (the smaller of the two), `span` (the smaller inlier hull fraction), and its verdict `is_copy`;
  the pictures are the analysis luma (256 pixels on the short side), keypoints taken inside the black bars
  that BlackBarDetector finds over the shot's sampled frames.

The Swift half is the test-only tool Tests/SimilarityTests/GeometryPairsTool.swift (run through `swift test
--filter GeometryPairsTool`, which this script starts), so nothing here needs more than the standard library.

Separation: for each signal, the threshold with the best accuracy on the TUNE pairs (a pair's split is
`sealed` when either clip is sealed), and the accuracy of that same threshold on TUNE and on SEALED. Nothing is
chosen on SEALED. `--rule-search` also searches the verdict's three constants (minimum inliers, inlier ratio,
coverage) on TUNE only, for Sources/Similarity/Geometry/GeometricVerification.swift.

Writes the per-pair table and the summary to stdout (and as Markdown to --markdown FILE); `--benchmarks FILE`
rewrites the part of its section "Copies vs look-alikes: geometric verification" between the markers
`<!-- geometry-pairs:begin ... -->` and `<!-- geometry-pairs:end -->` (the section is added at the end if missing).
Needs the model (`make model`) and a debug build (`swift build --build-tests`).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# signal name, direction: +1 when larger means "copy", -1 when smaller does.
SIGNALS = [("cosine", -1), ("grid", -1), ("inliers", +1), ("inlier_ratio", +1), ("coverage", +1), ("span", +1),
           ("cell_coverage", +1), ("inlier_distance", -1)]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def load_devset(devset):
    index = json.load(open(os.path.join(devset, "index.json")))
    clips = {c["clip"]: c for c in index["clips"]}
    truths = {name: json.load(open(os.path.join(devset, c["truth"]))) for name, c in clips.items()}
    pairs = []
    for name, truth in truths.items():
        for p in truth.get("pairs", []):
            pairs.append({"a": (name, p["a"]), "b": (name, p["b"]), "relation": p["relation"], "detail": p.get("detail", ""),
                          "split": clips[name]["split"], "cross": False})
    for c in index.get("copies", []):
        a = (c["copy_of"]["clip"], c["copy_of"]["shot"])
        b = (c["clip"], c["shot"])
        split = "sealed" if "sealed" in (clips[a[0]]["split"], clips[b[0]]["split"]) else "tune"
        pairs.append({"a": a, "b": b, "relation": "copy", "detail": c.get("detail", ""), "split": split, "cross": True})
    return clips, truths, pairs


def embeddings(binary, clip_path, work, reuse):
    out = os.path.join(work, os.path.basename(clip_path) + ".jsonl")
    if not (reuse and os.path.exists(out)):
        run([binary, "embed", clip_path, "--quiet", "--format", "jsonl", "-o", out])
    rows = [json.loads(line) for line in open(out)]
    return rows


def cosine(u, v):
    dot = sum(x * y for x, y in zip(u, v))
    nu = sum(x * x for x in u) ** 0.5
    nv = sum(y * y for y in v) ** 0.5
    return 1 - dot / (nu * nv)


def best_threshold(values, direction):
    """(threshold, accuracy) maximising accuracy on (value, is_copy) pairs; among equals, the middle one."""
    xs = sorted(set(v for v, _ in values))
    candidates = [xs[0] - 1e-9] + [(a + b) / 2 for a, b in zip(xs, xs[1:])] + [xs[-1] + 1e-9]
    scored = [(accuracy(values, t, direction), t) for t in candidates]
    best = max(s for s, _ in scored)
    ties = [t for s, t in scored if s == best]
    return ties[len(ties) // 2], best


def decide(value, threshold, direction):
    return value >= threshold if direction > 0 else value <= threshold


def accuracy(values, threshold, direction):
    if not values:
        return float("nan")
    return sum(1 for v, copy in values if decide(v, threshold, direction) == copy) / len(values)


def split_counts(rows, predict):
    copies = [r for r in rows if r["relation"] == "copy"]
    looks = [r for r in rows if r["relation"] == "lookalike"]
    joined = sum(1 for r in copies if predict(r))
    apart = sum(1 for r in looks if not predict(r))
    return joined, len(copies), apart, len(looks)


RULE_GRID = {
    "inliers": list(range(4, 41, 2)),
    "inlier_ratio": [x / 100 for x in range(5, 91, 5)],
    # Not below one half: a copy is one transform that explains most of both pictures (issue 17); two regions
    # of one photograph that share a third are look-alikes whatever the tune pairs would allow.
    "coverage": [x / 100 for x in range(50, 91, 5)],
    "span": [x / 100 for x in range(0, 31, 1)],
}


def rule_search(tune):
    """The verdict's four constants with the most TUNE pairs right; among equals, for each constant in turn the
    median of its values over the best combinations (then the others again among those), away from the edges."""
    keys = list(RULE_GRID)
    best, combos = -1, []

    def right(c):
        return sum(1 for r in tune if all(r[k] >= c[k] for k in keys) == (r["relation"] == "copy"))

    import itertools
    for combo in itertools.product(*(RULE_GRID[k] for k in keys)):
        c = dict(zip(keys, combo))
        ok = right(c)
        if ok > best:
            best, combos = ok, [c]
        elif ok == best:
            combos.append(c)
    for k in keys:
        options = sorted(set(c[k] for c in combos))
        middle = options[len(options) // 2]
        combos = [c for c in combos if c[k] == middle]
    return best, combos[0]


def pair_name(r):
    return "%s#%d vs %s#%d" % (r["a"][0], r["a"][1], r["b"][0] if r["cross"] else "", r["b"][1])


BEGIN = "<!-- geometry-pairs:begin (written by scripts/geometry-pairs.py --benchmarks; do not edit by hand) -->"
END = "<!-- geometry-pairs:end -->"


def write_benchmarks(path, text, pairs, load):
    commit = subprocess.run(["git", "log", "-1", "--format=%h", "--", "Sources", "Package.swift"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    head = ("%d labelled pairs of the dev set v2; framededupe at %s (the last commit to Sources/ or Package.swift; debug build, "
            "whose Similarity kernels are always optimised); CPU %s (%d cores), load average %.1f; %s.\n\n"
            "Commands: `make model && swift build --build-tests && DEVSET=/work/devset python3 scripts/geometry-pairs.py "
            "--rule-search --benchmarks BENCHMARKS.md`.\n\n") % (pairs, commit, cpu_name(), os.cpu_count() or 0, load, time.strftime("%Y-%m-%d"))
    block = BEGIN + "\n\n" + head + text + "\n\n" + END
    content = open(path).read()
    if BEGIN in content and END in content:
        content = content[:content.index(BEGIN)] + block + content[content.index(END) + len(END):]
    else:
        content = content.rstrip("\n") + "\n\n## Copies vs look-alikes: geometric verification\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(content)


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "framededupe"))
    parser.add_argument("--work", default=os.path.join(ROOT, ".cache", "geometry-pairs"))
    parser.add_argument("--reuse", action="store_true", help="reuse embeddings and the Swift tool's results from --work")
    parser.add_argument("--markdown", help="also write the summary as Markdown to this file")
    parser.add_argument("--rule-search", action="store_true", help="search the verdict's constants on TUNE")
    parser.add_argument("--split", choices=["tune", "sealed"],
                        help="only the pairs of this part (measure on TUNE without seeing SEALED)")
    parser.add_argument("--benchmarks", help="rewrite this file's geometry-pairs section")
    parser.add_argument("--short-side", type=int, default=256,
                        help="the luma's shorter side for the geometry (default 256, the analysis luma the decoder makes)")
    args = parser.parse_args()
    devset = os.environ.get("DEVSET", os.path.join(ROOT, ".cache", "devset"))
    os.makedirs(args.work, exist_ok=True)
    clips, truths, pairs = load_devset(devset)
    if args.split:
        pairs = [p for p in pairs if p["split"] == args.split]

    # Frames: the sampled frame nearest each shot's middle, and its shot's sampled frames.
    needed = sorted({p["a"] for p in pairs} | {p["b"] for p in pairs})
    rows_of = {}
    for clip in sorted({c for c, _ in needed}):
        rows_of[clip] = embeddings(args.binary, os.path.join(devset, clip), args.work, args.reuse)
    frames = {}
    for clip, shot in needed:
        s = truths[clip]["shots"][shot]
        rows = rows_of[clip]
        inside = [r for r in rows if s["start"] - 1e-6 <= r["time"] < s["end"] - 1e-6]
        middle = (s["start"] + s["end"]) / 2
        pick = min(inside or rows, key=lambda r: abs(r["time"] - middle))
        frames[(clip, shot)] = {"id": "%s#%d" % (clip, shot), "index": pick["index"], "time": pick["time"],
                                "shot_indices": [r["index"] for r in inside] or [pick["index"]], "embedding": pick["embedding"]}
    request = {
        "clips": [{"path": os.path.join(devset, clip), "frames": [
            {k: frames[(c, s)][k] for k in ("id", "index", "shot_indices")} for c, s in needed if c == clip]}
            for clip in sorted({c for c, _ in needed})],
        "pairs": [[frames[p["a"]]["id"], frames[p["b"]]["id"]] for p in pairs],
        "out": os.path.join(args.work, "results-%d.json" % args.short_side),
        "timing_pairs": len(pairs),
        "analysis_short_side": args.short_side,
    }
    request_path = os.path.join(args.work, "request.json")
    json.dump(request, open(request_path, "w"))
    if not (args.reuse and os.path.exists(request["out"])):
        env = dict(os.environ, FRAMEDEDUPE_GEOMETRY_PAIRS=request_path)
        run(["swift", "test", "--filter", "GeometryPairsTool"] + os.environ.get("SWIFT_TEST_ARGS", "").split(), cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL)
    results = json.load(open(request["out"]))
    by_pair = {(r["a"], r["b"]): r for r in results["pairs"]}

    table = []
    worst_disagreement = 0.0
    for p in pairs:
        fa, fb = frames[p["a"]], frames[p["b"]]
        r = dict(by_pair[(fa["id"], fb["id"])])
        embed_cosine = cosine(fa["embedding"], fb["embedding"])
        worst_disagreement = max(worst_disagreement, abs(embed_cosine - r["cosine"]))
        r["cosine"] = embed_cosine
        r.update(p)
        r["time_a"], r["time_b"] = fa["time"], fb["time"]
        table.append(r)

    load = os.getloadavg()[0]
    tune = [r for r in table if r["split"] == "tune"]
    sealed = [r for r in table if r["split"] == "sealed"]
    lines = []
    out = lines.append
    out("Pairs: %d tune (%d copies, %d look-alikes), %d sealed (%d copies, %d look-alikes); %d within clips, %d across clips." % (
        len(tune), sum(r["relation"] == "copy" for r in tune), sum(r["relation"] == "lookalike" for r in tune),
        len(sealed), sum(r["relation"] == "copy" for r in sealed), sum(r["relation"] == "lookalike" for r in sealed),
        sum(not r["cross"] for r in table), sum(r["cross"] for r in table)))
    out("")
    out("| signal | copy when | threshold (chosen on tune) | tune accuracy | tune copies joined | tune look-alikes apart | sealed accuracy | sealed copies joined | sealed look-alikes apart |")
    out("|---|---|---|---|---|---|---|---|---|")
    for name, direction in SIGNALS:
        t, _ = best_threshold([(r[name], r["relation"] == "copy") for r in tune], direction)
        predict = lambda r, n=name, t=t, d=direction: decide(r[n], t, d)
        cells = []
        for part in (tune, sealed):
            j, nc, a, nl = split_counts(part, predict)
            cells += ["%.3f" % ((j + a) / max(1, nc + nl)), "%d/%d" % (j, nc), "%d/%d" % (a, nl)]
        out("| %s | %s | %s | %s |" % (name, "≥" if direction > 0 else "≤", ("%.3f" % t) if name != "inliers" else "%d" % int(t + 0.999),
                                     " | ".join(cells)))
    fixed = [("grid ≤ 0.22 (today's spatial check)", lambda r: r["grid"] <= 0.22),
             ("cosine ≤ 0.35 and grid ≤ 0.22 (today's clustering)", lambda r: r["cosine"] <= 0.35 and r["grid"] <= 0.22),
             ("geometric verdict (Rule.standard)", lambda r: r["is_copy"])]
    for label, predict in fixed:
        cells = []
        for part in (tune, sealed):
            j, nc, a, nl = split_counts(part, predict)
            cells += ["%.3f" % ((j + a) / max(1, nc + nl)), "%d/%d" % (j, nc), "%d/%d" % (a, nl)]
        out("| %s | rule | fixed | %s |" % (label, " | ".join(cells)))
    out("")
    out("Cost on %s (%d cores, load average %.1f at the start; the machine is shared): one verification of a pair whose "
        "features are made, median of %d: %.2f ms (%.2f ms of the thread's CPU time); the features of one picture "
        "(luma of %d px on the short side), median of %d: %.2f ms (%.2f ms CPU). Embedding cosine from "
        "`framededupe embed` against the tool's own run of the network: largest difference %.1e." % (
            cpu_name(), os.cpu_count() or 0, load, results["verify_samples"], results["verify_median_ms"],
            results.get("verify_cpu_median_ms", float("nan")), args.short_side, results["features_samples"], results["features_median_ms"],
            results.get("features_cpu_median_ms", float("nan")), worst_disagreement))
    if args.rule_search:
        ok, c = rule_search(tune)
        out("")
        out("Rule search on TUNE: inliers >= %d, inlier ratio >= %.2f, coverage >= %.2f, span >= %.2f: %d of %d tune pairs right." % (
            c["inliers"], c["inlier_ratio"], c["coverage"], c["span"], ok, len(tune)))
    wrong = [r for r in table if r["is_copy"] != (r["relation"] == "copy")]
    out("")
    out("Wrong decisions of the geometric verdict (%d of %d): %s." % (len(wrong), len(table), "; ".join(
        "%s %s %s (%s, %s: %d inliers, ratio %.2f, coverage %.2f, span %.2f)" % (
            r["split"], pair_name(r), "joined" if r["is_copy"] else "kept apart", r["relation"], r["detail"], r["inliers"],
            r["inlier_ratio"], r["coverage"], r["span"]) for r in sorted(wrong, key=lambda r: (r["split"], pair_name(r))))))
    out("")
    out("<details><summary>All %d pairs</summary>" % len(table))
    out("")
    out("| split | pair | relation | detail | cosine | grid | matches | inliers | inlier ratio | coverage | span | mirrored | verdict |")
    out("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in sorted(table, key=lambda r: (r["split"], r["relation"], r["a"], r["b"])):
        mistaken = r["is_copy"] != (r["relation"] == "copy")
        out("| %s | %s | %s | %s | %.3f | %.3f | %d | %d | %.2f | %.2f | %.2f | %s | %s%s |" % (
            r["split"], pair_name(r), r["relation"], r["detail"], r["cosine"], r["grid"], r["matches"], r["inliers"], r["inlier_ratio"],
            r["coverage"], r["span"], "yes" if r["mirrored"] else "", "copy" if r["is_copy"] else "apart", " **wrong**" if mistaken else ""))
    out("")
    out("</details>")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.benchmarks:
        write_benchmarks(args.benchmarks, text, len(table), load)
    json.dump(table, open(os.path.join(args.work, "table.json"), "w"), indent=1, default=list)
    return 0


if __name__ == "__main__":
    sys.exit(main())
