#!/usr/bin/env python3
"""Exemplar coverage at sparse sampling against the default rate, on the dev set's clips where every shot gets a
sample (issue 18: "at --fps 0.5 and with --decode keyframes, exemplar coverage within 0.02 of the 2 fps figure on
the clips where every shot gets a sample").

    DEVSET=... RESULTS=R2  scripts/devset-eval.sh                          # the default, 2 a second
    DEVSET=... RESULTS=R05 scripts/devset-eval.sh --fps 0.5
    DEVSET=... RESULTS=RK  scripts/devset-eval.sh --decode keyframes
    python3 scripts/devset-sparse.py --devset DIR --base R2 --sparse R05 RK

A clip counts for a sparse run when each of its shots holds at least one of that run's sampled frames outside the
labelled transitions (scenes.json `frames[].time`, the truth's `shots` and `transitions`): only then can every
content be found. Coverage is pooled (covered content groups / groups, from each results folder's
eval-<part>.json) over those clips, for the sparse run and for the base run on the same clips, per part of the dev
set (tune, sealed) and in all.
"""
import argparse, json, os


def sampled_every_shot(truth, times):
    transitions = truth.get("transitions", [])
    def in_transition(t):
        return any(tr["start"] - 1e-6 <= t < tr["end"] - 1e-6 for tr in transitions)
    for shot in truth["shots"]:
        if not any(shot["start"] - 1e-6 <= t < shot["end"] - 1e-6 and not in_transition(t) for t in times):
            return False
    return True


def per_clip(results):
    """clip -> (covered groups, groups) from the eval-<part>.json files of a results folder."""
    scores = {}
    for part in ("tune", "sealed", "all"):
        path = os.path.join(results, f"eval-{part}.json")
        if os.path.exists(path):
            for c in json.load(open(path))["clips"]:
                scores[c["clip"]] = (c["exemplars"]["covered_groups"], c["exemplars"]["groups"])
    return scores


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devset", required=True)
    ap.add_argument("--base", required=True, help="results folder of the default rate")
    ap.add_argument("--sparse", nargs="+", required=True, help="results folders of sparse runs")
    args = ap.parse_args()
    index = json.load(open(os.path.join(args.devset, "index.json")))
    base = per_clip(args.base)
    print("| run | part | clips with every shot sampled | coverage, sparse | coverage, base rate | difference |")
    print("|---|---|---:|---:|---:|---:|")
    for run in args.sparse:
        sparse = per_clip(run)
        for part in ("tune", "sealed", "all"):
            clips = [c for c in index["clips"] if part == "all" or c.get("split", "tune") == part]
            kept, s_cov, s_n, b_cov, b_n = 0, 0, 0, 0, 0
            for c in clips:
                name = c["clip"]
                scenes = os.path.join(run, name, "scenes.json")
                if name not in sparse or name not in base or not os.path.exists(scenes):
                    continue
                truth = json.load(open(os.path.join(args.devset, c["truth"])))
                times = [f["time"] for f in json.load(open(scenes))["frames"]]
                if not sampled_every_shot(truth, times):
                    continue
                kept += 1
                s_cov += sparse[name][0]; s_n += sparse[name][1]
                b_cov += base[name][0]; b_n += base[name][1]
            if kept:
                s, b = s_cov / s_n, b_cov / b_n
                print(f"| {os.path.basename(run.rstrip('/'))} | {part} | {kept} of {len(clips)} | {s:.3f} | {b:.3f} | {s - b:+.3f} |")


if __name__ == "__main__":
    main()
