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
  content groups "merged" when one cluster holds at least 2 frames and 25% of the frames of each
  of them (one error per cluster, naming the groups); a group "split" when at least two clusters each hold 2 frames and 20% of its frames.
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
    """The transition a boundary at t lies in, widened by `widen` (closed, as `framededupe eval` matches boundaries)."""
    return next((x for x in trans if x["start"] - widen - SLACK <= t <= x["end"] + widen + SLACK), None)


def frame_in_trans(t, trans):
    """The transition a frame at t belongs to: start <= t < end, `end` being the first clean frame after the mix
    (as `framededupe eval` leaves frames and exemplars out)."""
    return next((x for x in trans if x["start"] - SLACK <= t < x["end"] - SLACK), None)


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
    frames = [(f["time"], f["cluster"]) for f in res["frames"] if not frame_in_trans(f["time"], trans)]
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
        if len(gs) > 1:
            notes = "".join(pair_note(gs[i], gs[j]) for i in range(len(gs)) for j in range(i + 1, len(gs)))
            out.append(("groups merged", f"{len(gs)} groups merged in cluster {c}: "
                                         + ", ".join(gname(g) for g in gs) + notes))
    for g, cnt in sorted(by_g.items()):
        cs = [c for c, n in cnt.items() if n >= 2 and n >= 0.2 * size[g]]
        if len(cs) > 1:
            out.append(("group split", f"group {gname(g)} split over clusters {', '.join(map(str, sorted(cs, key=str)))}"))
    # exemplars
    covered = collections.Counter()
    for t in res["exemplars"]:
        s = shot_at(t, shots)
        if s is None or frame_in_trans(t, trans):
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
        out.append(("pair " + p["relation"], "right" if same == (p["relation"] == "copy") else "wrong"))
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


BEGIN, END = "<!-- devset-v2:begin (written by scripts/devset-errors.py --benchmarks; do not edit by hand) -->", \
    "<!-- devset-v2:end -->"


def write_benchmarks(a, index, report, summary, pairs, parts):
    """The section between BEGIN and END of a.benchmarks: both parts' totals, per-clip rows, errors."""
    import datetime
    import platform
    import subprocess
    ev = {}
    for p in parts:
        with open(os.path.join(a.results, f"eval-{p}.json")) as fh:
            ev[p] = json.load(fh)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    rev = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h", "--", "Sources", "Package.swift"],
                         capture_output=True, text=True).stdout.strip()     # what the binary is built from
    kinds = {c["clip"]: c.get("kind", "?") for c in index["clips"]}
    f3 = lambda x: f"{x:.3f}"
    L = [BEGIN, "",
         f"{len(index['clips'])} clips of `scripts/make-devset.py` (v2), {sum(ev[p]['total']['clips'] for p in parts)} scored; "
         f"framededupe at {rev} (the last commit to Sources/ or Package.swift; `make release`), default options; CPU {cpu} ({os.cpu_count()} cores); "
         f"{datetime.date.today().isoformat()}; tolerance {a.tolerance} s.", "",
         "Commands: `python3 scripts/make-devset.py && make release && scripts/devset-eval.sh && "
         "python3 scripts/devset-errors.py --benchmarks BENCHMARKS.md`.", "",
         "| part | clips | boundary P / R / F1 | cluster-pair P / R / F1 | ARI pooled | exemplar coverage pooled (mean) | "
         "redundancy pooled (mean) | copies joined | look-alikes apart |",
         "|---|---:|---|---|---:|---|---|---:|---:|"]
    for p in parts:
        t = ev[p]["total"]
        b, c, e = t["boundaries"], t["clusters"], t["exemplars"]
        pc = lambda rel: f"{pairs[p]['pair ' + rel, 'right']}/{pairs[p]['pair ' + rel, 'right'] + pairs[p]['pair ' + rel, 'wrong']}"
        L.append(f"| **{p}** | {t['clips']} | {f3(b['precision'])} / {f3(b['recall'])} / **{f3(b['f1'])}** | "
                 f"{f3(c['precision'])} / {f3(c['recall'])} / **{f3(c['f1'])}** | {f3(c['adjusted_rand_index_pooled'])} | "
                 f"**{f3(e['coverage_pooled'])}** ({f3(e['coverage_mean'])}) | {f3(e['redundancy_pooled'])} "
                 f"({f3(e['redundancy_mean'])}) | {pc('copy')} | {pc('lookalike')} |")
    L += ["", "Per clip (boundaries TP/FP/FN, F1; cluster-pair F1; groups covered / groups; exemplars, redundant):", ""]
    for p in parts:
        L += [f"**{p}**", "", "| clip | kind | boundaries TP/FP/FN | F1 | cluster-pair F1 | covered / groups | exemplars (redundant) |",
              "|---|---|---|---:|---:|---|---|"]
        for c in ev[p]["clips"]:
            b, cl, e = c["boundaries"], c["clusters"], c["exemplars"]
            L.append(f"| {c['clip']} | {kinds.get(c['clip'], '?')} | {b['true_positives']}/{b['false_positives']}/"
                     f"{b['false_negatives']} | {f3(b['f1'])} | {f3(cl['f1'])} | {e['covered_groups']} / {e['groups']} | "
                     f"{e['exemplars']} ({e['redundant']}) |")
        L.append("")
    L += ["Wrong decisions (`scripts/devset-errors.py`; rules in its docstring), counted per part:", "",
          "| error | " + " | ".join(parts) + " |", "|---|" + "---:|" * len(parts)]
    for k in sorted({k for s in summary.values() for k in s}):
        L.append(f"| {k} | " + " | ".join(str(summary[p][k]) for p in parts) + " |")
    L += ["", "Per clip:", ""]
    for r in report:
        if r["errors"]:
            L.append(f"- `{r['clip']}` ({r['split']}, {r['kind']}): " + "; ".join(e["text"] for e in r["errors"]))
    L += ["", END]
    with open(a.benchmarks) as fh:
        text = fh.read()
    if BEGIN.split(" (")[0] in text:
        i, j = text.index(BEGIN.split(" (")[0]), text.index(END) + len(END)
        text = text[:i] + "\n".join(L) + text[j:]
    else:
        text = text.rstrip("\n") + "\n\n## Dev set v2: tune and sealed parts\n\n" + "\n".join(L) + "\n"
    with open(a.benchmarks, "w") as fh:
        fh.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devset", default=os.environ.get("DEVSET", os.path.join(ROOT, ".cache", "devset")))
    ap.add_argument("--results", default=os.environ.get("RESULTS", os.path.join(ROOT, ".cache", "devset-results")))
    ap.add_argument("--split", default="all", choices=("tune", "sealed", "all"))
    ap.add_argument("--tolerance", type=float, default=0.5)
    ap.add_argument("--json", help="also write the list as JSON")
    ap.add_argument("--benchmarks", metavar="FILE", help="rewrite the dev-set v2 section of FILE (BENCHMARKS.md) "
                    "from RESULTS/eval-tune.json, RESULTS/eval-sealed.json (written by devset-eval.sh) and this list")
    a = ap.parse_args()
    with open(os.path.join(a.devset, "index.json")) as fh:
        index = json.load(fh)
    report, summary = [], collections.defaultdict(collections.Counter)
    pairs = collections.defaultdict(collections.Counter)
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
            found = errors(truth, load_result(folder), a.tolerance)
            errs = [e for e in found if not e[0].startswith("pair ")]
            sub = f"{part}-" + ({"v3": "twins", "v4": "fresh"}.get(c.get("set")) or "old")
            for kind, verdict in found:
                if kind.startswith("pair "):
                    pairs[part][kind, verdict] += 1
                    pairs[sub][kind, verdict] += 1
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
    # Each part, then its older clips, v3's tune twins and v4's fresh sealed clips apart when it holds both kinds.
    for p in [q for part in parts for q in (part, f"{part}-old", f"{part}-twins", f"{part}-fresh")
              if q == part or 0 < sum(pairs[q].values()) < sum(pairs[part].values())]:
        print(f"labelled pairs decided right ({p}): " + ", ".join(
            f"{rel} {pairs[p]['pair ' + rel, 'right']}/{pairs[p]['pair ' + rel, 'right'] + pairs[p]['pair ' + rel, 'wrong']}"
            for rel in ("copy", "lookalike")))
    if a.benchmarks:
        write_benchmarks(a, index, report, summary, pairs, parts)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"version": 1, "tolerance": a.tolerance, "clips": report}, fh, indent=1)
            fh.write("\n")


if __name__ == "__main__":
    sys.exit(main())
