#!/usr/bin/env python3
"""Score `framededupe index dedupe` on the dev set: are labelled copies across clips joined, and labelled
look-alikes kept apart, in the corpus clusters?

    make release && DEVSET=/work/devset python3 scripts/devset-corpus.py [--index FILE] [--reuse] [--json FILE]
        [-- dedupe options...]

Adds every clip of the dev set to an index (default .cache/devset-corpus/corpus.db; `--reuse` keeps one made
before, e.g. to compare dedupe options without decoding again), runs `index dedupe --rebuild` with the options
after `--`, and maps each truth shot to the corpus cluster that holds most of its time (over the scenes of its
clip that overlap it; transition scenes are not indexed). Then, per part (a pair is `sealed` when either clip
is; NOBODY TUNES ON THE SEALED PART):

- cross-clip copies: index.json's `copies` (a shot and the shot it copies, with the kind of copy): joined when
  both shots are in one cluster;
- within-clip labelled pairs (the truths' `pairs`): a copy joined, a look-alike apart;
- shot pairs by content: two shots (of any clips) show the same content when their content groups carry the
  same description (the dev set names a source shot the same way in every clip that uses it: an approximation —
  two zooms on one photograph share a description); precision, recall and F1 of "in one cluster" over all
  pairs of shots, and the number of clusters that join different descriptions.

Python standard library only. Environment: FRAMEDEDUPE (default .build/release/framededupe), DEVSET.
"""
import argparse
import collections
import itertools
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def shot_clusters(document):
    """{(clip, shot id): cluster id} from corpus-clusters.json and the truths."""
    scenes = collections.defaultdict(list)  # clip -> [(start, end, cluster)]
    for c in document["clusters"]:
        for s in c["scenes"]:
            scenes[os.path.basename(s["file"])].append((s["start"], s["end"], c["id"]))
    return scenes


def majority(shot, spans):
    """The cluster holding most of the shot's time, None when no indexed scene overlaps it."""
    overlap = collections.Counter()
    for start, end, cluster in spans:
        o = min(end, shot["end"]) - max(start, shot["start"])
        if o > 1e-6:
            overlap[cluster] += o
    return overlap.most_common(1)[0][0] if overlap else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devset", default=os.environ.get("DEVSET", os.path.join(ROOT, ".cache", "devset")))
    ap.add_argument("--index", default=os.path.join(ROOT, ".cache", "devset-corpus", "corpus.db"))
    ap.add_argument("--reuse", action="store_true", help="keep an index made before (do not add the clips again)")
    ap.add_argument("--json", help="also write the scores as JSON")
    ap.add_argument("dedupe", nargs="*", help="options for index dedupe (after --)")
    a = ap.parse_args()
    binary = os.environ.get("FRAMEDEDUPE", os.path.join(ROOT, ".build", "release", "framededupe"))
    with open(os.path.join(a.devset, "index.json")) as fh:
        index = json.load(fh)
    split = {c["clip"]: c.get("split", "tune") for c in index["clips"]}
    truths = {}
    for c in index["clips"]:
        with open(os.path.join(a.devset, c["truth"])) as fh:
            truths[c["clip"]] = json.load(fh)
    os.makedirs(os.path.dirname(os.path.abspath(a.index)), exist_ok=True)
    if not a.reuse:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(a.index + suffix):
                os.remove(a.index + suffix)
        subprocess.run([binary, "index", "add", "--quiet", "--index", a.index]
                       + [os.path.join(a.devset, c["clip"]) for c in index["clips"]], check=True)
    out = a.index + ".clusters.json"
    subprocess.run([binary, "index", "dedupe", "--quiet", "--rebuild", "--index", a.index, "-o", out] + a.dedupe, check=True)
    with open(out) as fh:
        document = json.load(fh)
    spans = shot_clusters(document)
    cluster = {}
    for clip, truth in truths.items():
        for shot in truth["shots"]:
            cluster[clip, shot["id"]] = majority(shot, spans.get(clip, []))

    def part(*clips):
        return "sealed" if any(split[c] == "sealed" for c in clips) else "tune"

    scores = {p: collections.Counter() for p in ("tune", "sealed")}
    wrong = {p: [] for p in ("tune", "sealed")}
    # Cross-clip copies.
    for copy in index.get("copies", []):
        a_, b_ = (copy["clip"], copy["shot"]), (copy["copy_of"]["clip"], copy["copy_of"]["shot"])
        p = part(a_[0], b_[0])
        ca, cb = cluster.get(a_), cluster.get(b_)
        if ca is None or cb is None:
            continue
        ok = ca == cb
        scores[p]["cross-clip copy", ok] += 1
        scores[p][f"cross-clip copy ({copy['detail']})", ok] += 1
        if not ok:
            wrong[p].append(f"copy not joined: {a_[0]}#{a_[1]} and {b_[0]}#{b_[1]} ({copy['detail']})")
    # Within-clip labelled pairs.
    for clip, truth in truths.items():
        for pair in truth.get("pairs", []):
            ca, cb = cluster.get((clip, pair["a"])), cluster.get((clip, pair["b"]))
            if ca is None or cb is None:
                continue
            ok = (ca == cb) == (pair["relation"] == "copy")
            scores[part(clip)][f"within-clip {pair['relation']}", ok] += 1
            if not ok:
                what = "copy not joined" if pair["relation"] == "copy" else "look-alike joined"
                wrong[part(clip)].append(f"{what}: {clip}#{pair['a']} and #{pair['b']} ({pair['detail']})")
    # Shot pairs by description.
    shots = []
    for clip, truth in truths.items():
        groups = truth.get("content_groups", {})
        for shot in truth["shots"]:
            c = cluster.get((clip, shot["id"]))
            if c is not None:
                shots.append((clip, shot["id"], groups.get(str(shot["content"]), f"{clip}/{shot['content']}"), c))
    for x, y in itertools.combinations(shots, 2):
        same, joined = x[2] == y[2], x[3] == y[3]
        scores[part(x[0], y[0])]["pairs " + ("tp" if same and joined else "fn" if same else "fp" if joined else "tn")] += 1
    descriptions = collections.defaultdict(set)
    for clip, shot, desc, c in shots:
        descriptions[c].add(desc)
    mixed = sum(1 for d in descriptions.values() if len(d) > 1)

    result = {"clusters": len(document["clusters"]), "clusters_mixing_descriptions": mixed, "parts": {}}
    print(f"{len(document['clusters'])} corpus clusters of {document['scenes']} scenes from {document['videos']} clips "
          f"({mixed} join shots of different descriptions); dedupe options: {' '.join(a.dedupe) or '(defaults)'}")
    for p in ("tune", "sealed"):
        s = scores[p]
        tp, fp, fn = s["pairs tp"], s["pairs fp"], s["pairs fn"]
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        kinds = sorted({k[0] for k in s if isinstance(k, tuple)})
        part_result = {k: {"right": s[k, True], "of": s[k, True] + s[k, False]} for k in kinds}
        part_result["shot_pairs"] = {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}
        part_result["wrong"] = wrong[p]
        result["parts"][p] = part_result
        print(f"== {p}: shot pairs by description P {precision:.3f} R {recall:.3f} F1 {f1:.3f}")
        for k in kinds:
            print(f"   {k}: {s[k, True]}/{s[k, True] + s[k, False]}")
        for w in wrong[p]:
            print(f"   {w}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(result, fh, indent=1)
            fh.write("\n")


if __name__ == "__main__":
    sys.exit(main())
