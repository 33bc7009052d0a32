#!/usr/bin/env python3
"""Regenerate the clustering fixtures of Tests/SimilarityTests/Fixtures/clustering.

Needs (installed by you, not by this script):

    pip install numpy scipy

Run from anywhere:

    python3 scripts/clustering-golden.py

Everything is seeded, so a rerun with the same numpy and scipy writes the same files.

Datasets (the Swift tests read them without Python):

* ``random-60x32``: 60 random directions in 32 dimensions (standard normal rows scaled to unit length), except item 17,
  which is the zero vector (its cosine with anything is taken as 0, so its content distance is 1); spans with random
  starts in 0-300 s and lengths 0-20 s, so some overlap, some touch, most are apart. Time scale 30 s.
* ``blobs-300x32``: 300 scenes of a video that keeps returning to 8 shots: each scene's shot follows a random walk
  over the shots, its embedding is the shot's direction plus Gaussian noise of a per-shot size (so a threshold cuts
  clusters of different tightness), scaled to unit length; spans are consecutive (touching), 1-10 s long. Time scale
  120 s.
* ``random-200x1280``: 200 random directions in 1280 dimensions (the embedding size), stored as float16 to keep the
  fixtures small; the reference uses exactly the float16 values (rows are then not quite unit length, which also
  exercises the normalisation). Consecutive spans as above, time scale 120 s.
* ``ties-40``: no embeddings, a condensed matrix of 40 items whose distances are small integers 0-4, so almost every
  step has ties: SciPy's tie rules are checked, not only its arithmetic. Single and complete linkage are also cut at
  0, 1 and 2, thresholds equal to merge heights (which are input values, exact in any precision): a merge at the
  threshold joins.

Files written:

* ``<dataset>.f32`` / ``<dataset>.f16``: the embeddings, row-major, little-endian float32 or float16.
* ``<dataset>-alpha<a>.f32``: condensed distance matrices (scipy's pdist order), little-endian float32, for alpha 0
  and 0.3, computed in float64 from the stored embeddings and spans and rounded once to float32:
  ``d = (1 - alpha) * clip(1 - cos, 0, 1) + alpha * min(gap / time_scale, 1)``, ``gap = max(0, max(start_i, start_j) -
  min(end_i, end_j))``. These float32 values ARE the clustering input: the linkages below are scipy's on exactly them.
* ``golden.json``: for every matrix and every method in (average, complete, single, ward):
  ``merges`` = ``scipy.cluster.hierarchy.linkage(condensed, method)`` (rows [left, right, height, size]) and ``cuts``
  = ``fcluster(Z, t, criterion="distance")`` for four thresholds. Each threshold is the midpoint of a gap of at least
  1e-4 between consecutive merge heights (near 30 %, 60 %, 85 % and 95 % of the merges), so heights that agree with
  scipy's to 1e-5 must give the same partition.
"""

import json
import os
import sys

import numpy as np
import scipy
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SimilarityTests", "Fixtures", "clustering")
METHODS = ["average", "complete", "single", "ward"]
ALPHAS = [0.0, 0.3]
CUT_FRACTIONS = [0.3, 0.6, 0.85, 0.95]
MIN_GAP = 1e-4


def unit_rows(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def consecutive_spans(rng, n):
    lengths = rng.uniform(1.0, 10.0, n).round(3)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    return np.stack([starts, ends], axis=1)


def random_60x32():
    rng = np.random.default_rng(1109)
    e = unit_rows(rng.standard_normal((60, 32))).astype(np.float32)
    e[17] = 0
    starts = np.sort(rng.uniform(0, 300, 60)).round(2)
    lengths = rng.uniform(0, 20, 60).round(2)
    lengths[5] = 0  # a zero-length span
    spans = np.stack([starts, starts + lengths], axis=1)
    spans[9, 0] = spans[8, 1]  # touching spans have gap 0
    return e, spans, 30.0


def blobs_300x32():
    rng = np.random.default_rng(2378)
    shots = unit_rows(rng.standard_normal((8, 32)))
    spread = np.array([0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3])
    shot = 0
    rows = []
    for _ in range(300):
        if rng.uniform() < 0.6:
            shot = int(rng.integers(0, 8))
        rows.append(shots[shot] + spread[shot] * rng.standard_normal(32))
    e = unit_rows(np.array(rows)).astype(np.float32)
    return e, consecutive_spans(rng, 300), 120.0


def random_200x1280():
    rng = np.random.default_rng(1280)
    e = unit_rows(rng.standard_normal((200, 1280))).astype(np.float16)
    return e, consecutive_spans(rng, 200), 120.0


def scene_distances(e, spans, alpha, time_scale):
    """The scene distance in float64, as a full square matrix."""
    x = e.astype(np.float64)
    lengths = np.linalg.norm(x, axis=1)
    inverse = np.where(lengths > 0, 1 / np.where(lengths > 0, lengths, 1), 0)
    cosine = (x @ x.T) * inverse[:, None] * inverse[None, :]
    content = np.clip(1 - cosine, 0, 1)
    s, t = spans[:, 0], spans[:, 1]
    gap = np.maximum(np.maximum(s[:, None], s[None, :]) - np.minimum(t[:, None], t[None, :]), 0)
    time = np.minimum(gap / time_scale, 1)
    return (1 - alpha) * content + alpha * time


def condensed(square):
    return square[np.triu_indices(square.shape[0], 1)]


def thresholds(heights):
    h = np.sort(heights)
    chosen = []
    for fraction in CUT_FRACTIONS:
        k = int(fraction * (len(h) - 1))
        # The nearest gap of at least MIN_GAP, searching outwards from k.
        for offset in range(len(h)):
            found = None
            for j in (k - offset, k + offset):
                if 0 <= j < len(h) - 1 and h[j + 1] - h[j] >= MIN_GAP:
                    found = j
                    break
            if found is not None:
                t = float((h[found] + h[found + 1]) / 2)
                if t not in chosen:
                    chosen.append(t)
                break
    return chosen


def golden_for(matrix, exact_thresholds=()):
    result = []
    y = matrix.astype(np.float64)
    for method in METHODS:
        z = linkage(y, method=method)
        chosen = thresholds(z[:, 2])
        if method in ("single", "complete"):
            # Their heights are input values, exact in float32 and float64 alike, so a threshold equal to one is fair.
            chosen += [t for t in exact_thresholds if t not in chosen]
        cuts = [{"threshold": t, "labels": fcluster(z, t, criterion="distance").tolist()} for t in chosen]
        merges = [[int(a), int(b), float(h), int(size)] for a, b, h, size in z]
        result.append({"method": method, "merges": merges, "cuts": cuts})
    return result


def write(name, array):
    path = os.path.join(OUT, name)
    array.astype(array.dtype.newbyteorder("<")).tofile(path)
    return name


def main():
    os.makedirs(OUT, exist_ok=True)
    datasets = []
    for name, make in [("random-60x32", random_60x32), ("blobs-300x32", blobs_300x32), ("random-200x1280", random_200x1280)]:
        e, spans, time_scale = make()
        n, dimension = e.shape
        suffix = "f16" if e.dtype == np.float16 else "f32"
        entry = {
            "name": name,
            "count": n,
            "dimension": dimension,
            "embeddings": write(f"{name}.{suffix}", e),
            "spans": spans.tolist(),
            "timeScale": time_scale,
            "matrices": [],
        }
        for alpha in ALPHAS:
            square = scene_distances(e, spans, alpha, time_scale)
            if alpha == 0 and name != "random-60x32":
                # Independent check of the content distance against scipy's own cosine distance.
                assert np.allclose(condensed(square), np.clip(pdist(e.astype(np.float64), "cosine"), 0, 1), atol=1e-12)
            values = condensed(square).astype(np.float32)
            entry["matrices"].append({
                "alpha": alpha,
                "file": write(f"{name}-alpha{alpha:g}.f32", values),
                "linkages": golden_for(values),
            })
        datasets.append(entry)

    rng = np.random.default_rng(40)
    ties = rng.integers(0, 5, 40 * 39 // 2).astype(np.float32)
    datasets.append({
        "name": "ties-40",
        "count": 40,
        "matrices": [{"alpha": 0.0, "file": write("ties-40.f32", ties), "linkages": golden_for(ties, (0.0, 1.0, 2.0))}],
    })

    golden = {
        "comment": "generated by scripts/clustering-golden.py, do not edit",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "datasets": datasets,
    }
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total / 1e6:.2f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
