#!/usr/bin/env python3
"""List, per dev-set clip, which decision went wrong: missed cut, false cut, two groups merged, a
group split, a group without exemplar, a redundant exemplar, a labelled copy not joined, a labelled
look-alike merged.

    scripts/devset-errors.py [--devset DIR] [--results DIR] [--split tune|sealed|all] [--tolerance 0.5] [--json FILE]

Reads the truth files and index.json of the dev set (default .cache/devset) and the result folders
that scripts/devset-eval.sh wrote (default .cache/devset-results/<clip>/: scenes.json, unique/).
Python standard library only. The rules follow `framededupe eval`:

- boundaries: true = every shot's start but the first, detected = every scene's start but the
  first; matched one to one, closest pair first, within the tolerance; a true boundary inside a
  labelled transition matches a detection anywhere in the transition widened by the tolerance, and
  an unmatched detection inside a transition is ignored. Unmatched true: "missed cut at t (type)";
  unmatched detected: "false cut at t" (with the shot it falls in).
- clusters, on the sampled frames outside transitions (`cluster: null` is a cluster of its own):
  two content groups "merged" when one cluster holds at least 2 frames and 25% of the frames of
  each; a group "split" when at least two clusters each hold 2 frames and 20% of its frames.
- exemplars (unique/, timed by their names): a group with none in any of its shots; an exemplar
  of a group that already has one (redundant) or in a transition.
- labelled pairs (truth "pairs"): the majority clusters of the two shots' frames; a "copy" pair in
  two clusters is "copy not joined", a "lookalike" pair in one is "look-alike merged".

The summary at the end counts each kind of error per part (tune, sealed).
"""
import argparse
import collections
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLACK = 1e-6


def in_trans(t, trans, widen=0.0):
    return next((x for x in trans if x["start"] - widen - SLACK <= t <= x["end"] + widen + SLACK), None)


def shot_at(t, shots):
    return next((s for s in shots if s["start"] - SLACK <= t < s["end"] - SLACK), None)


def match(truth_b, det, trans, tol):
    cands = []
    for i, t in enumerate(truth_b):
        tr = in_trans(t, trans)
        lo, hi = (tr["start"] - tol, tr["end"] + tol) if tr else (t - tol, t + tol)
        for j, d in enumerate(det):
            if lo - SLACK <= d <= hi + SLACK:
                cands.append((0.0 if tr and tr["start"] <= d <= tr["end"] else abs(d - t), i, j))
    used_t, used_d = set(), set()
    for _, i, j in sorted(cands):
        if i not in used_t and j not in used_d:
            used_t.add(i)
            used_d.add(j)
    return used_t, used_d


def errors(truth, res, tol):
    shots, trans = truth["shots"], truth.get("transitions", [])
    groups = truth.get("content_groups", {})
    gname = lambda g: f"{g} ({groups.get(str(g), '?')})"
    out = []
    # boundaries
    tb = [s["start"] for s in shots[1:]]
    det = sorted(s["start"] for s in res["scenes"])[1:]
    mt, md = match(tb, det, trans, tol)
    for i, t in enumerate(tb):
        if i not in mt:
            tr = in_trans(t, trans)
            kind = tr.get("type", tr["kind"]) if tr else "cut"
            out.append(("missed cut", f"missed {kind} at {t:.3f} s (shot {i}, group {gname(shots[i]['content'])} -> "
                                      f"shot {i + 1}, group {gname(shots[i + 1]['content'])})"))
    for j, d in enumerate(det):
        if j not in md and not in_trans(d, trans, tol):
            s = shot_at(d, shots)
            flash = [e for e in truth.get("events", []) if e["type"] == "flash" and abs(e["first"] - d) <= tol]
            out.append(("false cut", f"false cut at {d:.3f} s inside shot {s['id'] if s else '?'}"
                                     + (f", group {gname(s['content'])}" if s else "") + (" (at a flash)" if flash else "")))
    # clusters
    frames = [(f["time"], f["cluster"]) for f in res["frames"] if not in_trans(f["time"], trans)]
    lab = []
    for k, (t, c) in enumerate(frames):
        s = shot_at(t, shots)
        if s is not None:
            lab.append((t, s, c if c is not None else f"none-{k}"))
    by_c = collections.defaultdict(collections.Counter)
    by_g = collections.defaultdict(collections.Counter)
    for _, s, c in lab:
        by_c[c][s["content"]] += 1
        by_g[s["content"]][c] += 1
    size = {g: sum(v.values()) for g, v in by_g.items()}
    pairs = truth.get("pairs", [])
    def pair_note(ga, gb):
        ps = [p for p in pairs if {shots[p["a"]]["content"], shots[p["b"]]["content"]} == {ga, gb}]
        return f" [labelled {ps[0]['relation']}: {ps[0]['detail']}]" if ps else ""
    for c, cnt in sorted(by_c.items(), key=lambda x: str(x[0])):
        gs = sorted(g for g, n in cnt.items() if n >= 2 and n >= 0.25 * size[g])
        for a in range(len(gs)):
            for b in range(a + 1, len(gs)):
                out.append(("groups merged", f"groups {gname(gs[a])} and {gname(gs[b])} merged in cluster {c}"
                                             + pair_note(gs[a], gs[b])))
    for g, cnt in sorted(by_g.items()):
        cs = [c for c, n in cnt.items() if n >= 2 and n >= 0.2 * size[g]]
        if len(cs) > 1:
            out.append(("group split", f"group {gname(g)} split over clusters {', '.join(map(str, sorted(cs, key=str)))}"))
    # exemplars
    covered = collections.Counter()
    for t in res["exemplars"]:
        s = shot_at(t, shots)
        if s is None or in_trans(t, trans):
            out.append(("redundant exemplar", f"exemplar at {t:.3f} s is in a transition or outside every shot"))
            continue
        covered[s["content"]] += 1
        if covered[s["content"]] == 2:
            out.append(("redundant exemplar", f"group {gname(s['content'])} has more than one exemplar (at {t:.3f} s)"))
    for g in sorted({s["content"] for s in shots}):
        if not covered[g]:
            out.append(("no exemplar", f"group {gname(g)} has no exemplar"))
    # labelled pairs
    major = {}
    for _, s, c in lab:
        major.setdefault(s["id"], collections.Counter())[c] += 1
    for p in pairs:
        ca, cb = (major.get(p[k], collections.Counter()).most_common(1) for k in ("a", "b"))
        if not ca or not cb:
            continue
        same = ca[0][0] == cb[0][0]
        if p["relation"] == "copy" and not same:
            out.append(("copy not joined", f"copy not joined: shots {p['a']} and {p['b']} ({p['detail']}), clusters {ca[0][0]} / {cb[0][0]}"))
        if p["relation"] == "lookalike" and same:
            out.append(("look-alike merged", f"look-alike merged: shots {p['a']} (group {gname(shots[p['a']]['content'])}) and "
                                             f"{p['b']} (group {gname(shots[p['b']]['content'])}) ({p['detail']}) in cluster {ca[0][0]}"))
    return out


def load_result(folder):
    with open(os.path.join(folder, "scenes.json")) as fh:
        sc = json.load(fh)
    ex = []
    u = os.path.join(folder, "unique")
    for name in sorted(os.listdir(u)) if os.path.isdir(u) else []:
        m = re.search(r"_t([0-9.]+)\.[A-Za-z0-9]+$", name)
        if m:
            ex.append(float(m.group(1)))
    return {"scenes": sc["scenes"], "frames": sc["frames"], "exemplars": ex}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devset", default=os.environ.get("DEVSET", os.path.join(ROOT, ".cache", "devset")))
    ap.add_argument("--results", default=os.environ.get("RESULTS", os.path.join(ROOT, ".cache", "devset-results")))
    ap.add_argument("--split", default="all", choices=("tune", "sealed", "all"))
    ap.add_argument("--tolerance", type=float, default=0.5)
    ap.add_argument("--json", help="also write the list as JSON")
    a = ap.parse_args()
    with open(os.path.join(a.devset, "index.json")) as fh:
        index = json.load(fh)
    report, summary = [], collections.defaultdict(collections.Counter)
    parts = ("tune", "sealed") if a.split == "all" else (a.split,)
    for part in parts:
        print(f"== {part} part")
        for c in sorted(index["clips"], key=lambda c: c["clip"]):
            if c.get("split", "tune") != part:
                continue
            with open(os.path.join(a.devset, c["truth"])) as fh:
                truth = json.load(fh)
            folder = os.path.join(a.results, truth["clip"])
            if not os.path.isdir(folder):
                print(f"{truth['clip']}: no result folder {folder}")
                continue
            errs = errors(truth, load_result(folder), a.tolerance)
            print(f"{truth['clip']} [{c.get('kind', '?')}]: " + ("ok" if not errs else f"{len(errs)} error(s)"))
            for kind, text in errs:
                print(f"    {text}")
                summary[part][kind] += 1
            report.append({"clip": truth["clip"], "split": part, "kind": c.get("kind"),
                           "errors": [{"kind": k, "text": t} for k, t in errs]})
        print()
    kinds = sorted({k for s in summary.values() for k in s})
    print("error".ljust(20) + "".join(p.rjust(8) for p in parts))
    for k in kinds:
        print(k.ljust(20) + "".join(str(summary[p][k]).rjust(8) for p in parts))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"version": 1, "tolerance": a.tolerance, "clips": report}, fh, indent=1)
            fh.write("\n")


if __name__ == "__main__":
    sys.exit(main())
