#!/usr/bin/env python3
"""Checks a `framededupe dataset` folder made from labelled dev-set clips for leaks.

    scripts/dataset-leaks.py DIR [DEVSET]        (DEVSET: /work/devset by default)

Every image of DIR/manifest.jsonl must exist; no corpus cluster may be in two splits; and no labelled content (the
truth files' `content_groups` label of the shot at the image's time, e.g. "tos: Celia, close", which copies of a
clip share with their original) may be in two splits. Prints the counts per split, their fractions, the clusters
and contents, and every leak found; exit status 1 when there is one. Each image of a clip without a truth file is a
content of its own.
"""
import json
import os
import sys
from collections import defaultdict

folder = sys.argv[1]
devset = sys.argv[2] if len(sys.argv) > 2 else "/work/devset"
lines = [json.loads(l) for l in open(os.path.join(folder, "manifest.jsonl"))]
truths = {}


def content(video, time, scene):
    name = os.path.basename(video)
    if name not in truths:
        path = os.path.join(devset, name + ".truth.json")
        truths[name] = json.load(open(path)) if os.path.exists(path) else None
    truth = truths[name]
    if truth is None:
        return "unlabelled: %s scene %d" % (name, scene)
    for shot in truth["shots"]:
        if shot["start"] <= time < shot["end"]:
            return truth["content_groups"].get(str(shot["content"]), name + " shot %d" % shot["id"])
    return name + " after the last shot"


missing = [l["path"] for l in lines if not os.path.exists(os.path.join(folder, l["path"]))]
by_cluster, by_content, per_split = defaultdict(set), defaultdict(set), defaultdict(int)
for l in lines:
    by_cluster[l["cluster"]].add(l["split"])
    by_content[content(l["video"], l["time"], l["scene"])].add(l["split"])
    per_split[l["split"]] += 1
cluster_leaks = {c: s for c, s in by_cluster.items() if len(s) > 1}
content_leaks = {c: s for c, s in by_content.items() if len(s) > 1}
total = max(1, len(lines))
print("images %d: %s" % (len(lines), ", ".join("%s %d (%.1f%%)" % (s, n, 100.0 * n / total) for s, n in sorted(per_split.items()))))
print("clusters %d, labelled contents %d, videos %d" % (len(by_cluster), len(by_content), len({l["sha256"] for l in lines})))
print("missing images: %d, clusters in two splits: %d, contents in two splits: %d" % (len(missing), len(cluster_leaks), len(content_leaks)))
for c, s in sorted(content_leaks.items()):
    print("  leak: %r in %s" % (c, ", ".join(sorted(s))))
sys.exit(1 if missing or cluster_leaks or content_leaks else 0)
