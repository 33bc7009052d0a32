#!/usr/bin/env python3
"""Peers on the labelled dev set, scored by framededupe's own scorer (issue 6, "Peers, same set, same scorer").

    python3 scripts/bench-peers.py [--peers NAME,...] [--clips CLIP,...] [--no-write]
    make bench-peers                # the same

Not part of CI. Creates its own virtual environment (.cache/peers-venv, `python3 -m venv`, pinned versions below;
imagededup pulls in torch, several GB), builds the dev set if missing (scripts/make-devset.py), runs every peer on
every clip, writes each result folder in framededupe's own schema to .cache/peers-results/<peer>/<clip>/, scores
each peer with `framededupe eval --truth-dir .cache/devset .cache/peers-results/<peer> --report
.cache/peers-results/<peer>.eval.json`, and writes the table between the `peers` markers of BENCHMARKS.md.

A result folder holds what eval reads: `scenes.json` ({"version": 1, "scenes": [{"id", "start", "end"}],
"frames": [{"index", "time", "scene", "cluster"}]}, times in seconds from the clip's first frame) and `unique/`,
one empty file per exemplar named as framededupe names them (`cluster-0003_t000012.520.jpg`: the time is what eval
reads). The frames are the clip's 2 fps samples, chosen as framededupe chooses them: for slot k the first frame
(in presentation order, times from ffprobe) at or after k/2 s from the first frame, a frame filling several slots
taken once. Cuts and kept frames that a peer reports by frame number or time are put on the exact time of that frame.

The adapters (what each peer gives, and how it becomes scenes, clusters and exemplars):

- `pyscenedetect-content`, `pyscenedetect-adaptive`: `scenedetect -i CLIP detect-content|detect-adaptive list-scenes`
  with the detectors' defaults. Cuts only: each scene is its own cluster and its exemplar is the scene's middle
  sampled frame (a scene with no sampled frame gets none). Scene starts are its "Start Time (seconds)".
- `ffmpeg-scene`: `ffmpeg -i CLIP -vf "select='gt(scene,0.3)',showinfo" -f null -`: each selected frame is a cut.
  Cuts only, as above.
- `ffmpeg-mpdecimate`: `ffmpeg -i CLIP -vf mpdecimate,showinfo -f null -` (defaults): the kept frames are its
  exemplars; every dropped frame is a duplicate of the kept frame before it. Taken literally: each kept frame with
  the dropped frames after it is one cluster, and one scene (mpdecimate has no notion of a shot: a new kept frame
  means "this frame differs from the last one kept", which on moving footage is nearly every frame).
- `imagededup-phash`: imagededup's `PHash` on the 2 fps samples (PNG files extracted with ffmpeg `select`),
  `find_duplicates` with its default `max_distance_threshold` (10); clusters are the connected components of the
  duplicate map, the exemplar of each is its earliest frame; scenes are the runs of consecutive samples in one
  cluster (a scene starts where the cluster changes). Its CNN mode needs downloaded weights and cannot run here.
- `framededupe`: `framededupe CLIP -o DIR -q` with default options (release build).

Run time is each peer's wall time summed over the clips, as a user would run it: one process per clip (so Python
start-up and imports count: the imagededup worker imports torch), plus the frame extraction for imagededup.
"""
import argparse
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("FRAMEDEDUPE_CACHE", os.path.join(ROOT, ".cache"))
VENV = os.path.join(CACHE, "peers-venv")
RESULTS = os.path.join(CACHE, "peers-results")
WORK = os.path.join(CACHE, "peers-work")
# Pinned: what the table was made with. scenedetect 0.7.2 depends on opencv-python (not -headless); torch and
# torchvision are imagededup's, pinned so that a rerun does not pull a newer multi-GB torch.
PINS = ["scenedetect==0.7.2", "opencv-python==5.0.0.93", "imagededup==0.3.3.post2",
        "torch==2.15.0", "torchvision==0.29.2"]
PEERS = ("pyscenedetect-content", "pyscenedetect-adaptive", "ffmpeg-scene", "ffmpeg-mpdecimate",
         "imagededup-phash", "framededupe")
FF = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "info"]
SAMPLING_FPS = 2


def _load_bench_decode():
    """scripts/bench-decode.py (its file name has a hyphen: loaded by path), for machine() and write_section()."""
    spec = importlib.util.spec_from_file_location("bench_decode", os.path.join(ROOT, "scripts", "bench-decode.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_decode = _load_bench_decode()


def log(*a):
    print("bench-peers:", *a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"bench-peers: command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return r


def timed(cmd, **kw):
    start = time.monotonic()
    r = run(cmd, **kw)
    return r, time.monotonic() - start


# ------------------------------------------------------------------------------------------------ the environment

def venv_python():
    """The virtual environment's python, created and given the pinned packages on first use."""
    python = os.path.join(VENV, "bin", "python")
    stamp = os.path.join(VENV, "bench-peers-pins.txt")
    wanted = "\n".join(PINS) + "\n"
    if os.path.exists(stamp) and open(stamp).read() == wanted:
        return python
    if not os.path.exists(python):
        log(f"creating {VENV}")
        run([sys.executable, "-m", "venv", VENV])
    log("installing " + " ".join(PINS) + " (torch: several GB, once)")
    subprocess.run([python, "-m", "pip", "install", "-q", *PINS], check=True)
    open(stamp, "w").write(wanted)
    return python


def peer_versions(python, revision):
    code = ("import json, importlib.metadata as m; print(json.dumps({p: m.version(p) for p in "
            "['scenedetect', 'opencv-python', 'imagededup', 'torch']}))")
    versions = json.loads(run([python, "-c", code]).stdout)
    versions["ffmpeg"] = run(["ffmpeg", "-version"]).stdout.split("\n")[0].split()[2]
    if revision is None:
        revision = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.strip()
        if run(["git", "-C", ROOT, "status", "--porcelain", "--", "Sources", "Package.swift"]).stdout.strip():
            revision += " with uncommitted changes"
    versions["framededupe"] = revision
    return versions


# ------------------------------------------------------------------------------------------ frames and result folders

def frame_times(clip):
    """Every frame's presentation time in seconds from the first frame, in presentation order (packet pts)."""
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time",
               "-of", "csv=p=0", clip]).stdout
    times = sorted(float(x) for x in out.split() if x not in ("", "N/A"))
    return [t - times[0] for t in times]


def samples_of(times, fps=SAMPLING_FPS):
    """framededupe's sampling: (slot index, time, frame ordinal) for the first frame at or after each slot k/fps."""
    samples, slot = [], 0
    for ordinal, t in enumerate(times):
        if t >= slot / fps - 1e-6:
            samples.append((slot, t, ordinal))
            slot = math.floor(t * fps + 1e-6) + 1
    return samples


def nearest_frame(times, t):
    """Index of the frame whose time is nearest to t (times sorted)."""
    lo, hi = 0, len(times)
    while lo < hi:
        mid = (lo + hi) // 2
        if times[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    return min((i for i in (lo - 1, lo) if 0 <= i < len(times)), key=lambda i: abs(times[i] - t))


def write_result(folder, starts, duration, samples, cluster_of_scene=None, frame_clusters=None, exemplars=None):
    """Writes a result folder eval reads. `starts`: scene start times (the first is moved to 0). Clusters: either per
    scene (`cluster_of_scene`, default: each scene its own) or per sample (`frame_clusters`). Exemplars: (cluster,
    time) pairs; default: each scene's middle sample."""
    starts = sorted(set([0.0] + [s for s in starts if s > 1e-6]))
    ends = starts[1:] + [duration]
    scene_of = []
    for _, t, _ in samples:
        k = max(i for i, s in enumerate(starts) if s <= t + 1e-6)
        scene_of.append(k)
    if frame_clusters is None:
        cluster_of_scene = cluster_of_scene or list(range(len(starts)))
        frame_clusters = [cluster_of_scene[k] for k in scene_of]
    if exemplars is None:
        exemplars = []
        for k in range(len(starts)):
            members = [t for (_, t, _), s in zip(samples, scene_of) if s == k]
            if members:
                exemplars.append((k, members[(len(members) - 1) // 2]))
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, "unique"))
    record = {
        "version": 1,
        "scenes": [{"id": i, "start": round(s, 6), "end": round(e, 6)} for i, (s, e) in enumerate(zip(starts, ends))],
        "frames": [{"index": i, "time": round(t, 6), "scene": s, "cluster": c}
                   for (i, t, _), s, c in zip(samples, scene_of, frame_clusters)],
    }
    with open(os.path.join(folder, "scenes.json"), "w") as f:
        json.dump(record, f, indent=1)
    for cluster, t in exemplars:
        open(os.path.join(folder, "unique", f"cluster-{cluster:04d}_t{t:010.3f}.jpg"), "w").close()
    return len(starts), len(exemplars)


# ------------------------------------------------------------------------------------------------------- the peers

def pyscenedetect(detector):
    def adapter(ctx):
        out = os.path.join(ctx["work"], detector)
        shutil.rmtree(out, ignore_errors=True)
        _, seconds = timed([ctx["scenedetect"], "-i", ctx["clip"], "-o", out, detector, "list-scenes", "-s", "-q",
                            "-f", "scenes.csv"])
        rows = open(os.path.join(out, "scenes.csv")).read().splitlines()[1:]
        # "Start Time (seconds)", put on the nearest frame. Not "Start Frame": on VFR video PySceneDetect 0.7 numbers
        # frames by time × average rate, not by decoded frame, while its times are right.
        starts = [ctx["times"][nearest_frame(ctx["times"], float(r.split(",")[3]))] for r in rows if r.strip()]
        return seconds, dict(starts=starts)
    return adapter


def showinfo_times(stderr):
    return [float(m) for m in re.findall(r"\] n: *\d+ pts: *-?\d+ pts_time:(-?[\d.]+)", stderr)]


def ffmpeg_scene(ctx):
    r, seconds = timed(FF + ["-i", ctx["clip"], "-an", "-vf", "select='gt(scene,0.3)',showinfo", "-f", "null", "-"])
    return seconds, dict(starts=[ctx["times"][nearest_frame(ctx["times"], t)] for t in showinfo_times(r.stderr)])


def ffmpeg_mpdecimate(ctx):
    r, seconds = timed(FF + ["-i", ctx["clip"], "-an", "-vf", "mpdecimate,showinfo", "-f", "null", "-"])
    kept = sorted({ctx["times"][nearest_frame(ctx["times"], t)] for t in showinfo_times(r.stderr)})
    # Each kept frame and the dropped frames after it: one scene, one cluster, the kept frame its exemplar.
    return seconds, dict(starts=kept, exemplars=[(i, t) for i, t in enumerate(kept)])


def extract_samples(ctx):
    """The 2 fps samples as PNG files 00000.png… (in sample order); returns the folder and ffmpeg's wall time."""
    folder = os.path.join(ctx["work"], "frames")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    chosen = "+".join(f"eq(n\\,{ordinal})" for _, _, ordinal in ctx["samples"])
    _, seconds = timed(FF + ["-loglevel", "error", "-i", ctx["clip"], "-an", "-vf", f"select='{chosen}'",
                             "-fps_mode", "passthrough", "-start_number", "0", os.path.join(folder, "%05d.png")])
    if len(os.listdir(folder)) != len(ctx["samples"]):
        sys.exit(f"bench-peers: extracted {len(os.listdir(folder))} frames of {ctx['clip']}, expected {len(ctx['samples'])}")
    return folder, seconds


PHASH_WORKER = """
import json, sys
from imagededup.methods import PHash
folder, out = sys.argv[1], sys.argv[2]
phash = PHash(verbose=False)
encodings = phash.encode_images(image_dir=folder)
duplicates = phash.find_duplicates(encoding_map=encodings)
json.dump(duplicates, open(out, "w"))
"""


def imagededup_phash(ctx):
    folder, extract_seconds = extract_samples(ctx)
    out = os.path.join(ctx["work"], "phash-duplicates.json")
    _, seconds = timed([ctx["python"], "-c", PHASH_WORKER, folder, out])
    duplicates = json.load(open(out))
    # Connected components of the duplicate map, numbered by their earliest frame.
    names = sorted(duplicates)
    parent = {n: n for n in names}

    def find(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n
    for n, dups in duplicates.items():
        for d in dups:
            a, b = find(n), find(d)
            if a != b:
                parent[max(a, b)] = min(a, b)
    roots = {}
    frame_clusters = [roots.setdefault(find(n), len(roots)) for n in names]
    times = [t for _, t, _ in ctx["samples"]]
    starts = [times[i] for i in range(1, len(times)) if frame_clusters[i] != frame_clusters[i - 1]]
    exemplars = [(c, times[frame_clusters.index(c)]) for c in range(len(roots))]
    return extract_seconds + seconds, dict(starts=starts, frame_clusters=frame_clusters, exemplars=exemplars)


def framededupe(ctx):
    folder = ctx["folder"]
    shutil.rmtree(folder, ignore_errors=True)
    _, seconds = timed([ctx["binary"], ctx["clip"], "-o", folder, "-q"])
    got = [f["time"] for f in json.load(open(os.path.join(folder, "scenes.json")))["frames"]]
    ours = [round(t, 6) for _, t, _ in ctx["samples"]]
    if len(got) != len(ours) or any(abs(a - b) > 1e-3 for a, b in zip(got, ours)):
        log(f"warning: {os.path.basename(ctx['clip'])}: framededupe sampled {len(got)} frames, the adapters {len(ours)}"
            " (or at other times): the peers' frames are not exactly framededupe's")
    return seconds, None


ADAPTERS = {
    "pyscenedetect-content": pyscenedetect("detect-content"),
    "pyscenedetect-adaptive": pyscenedetect("detect-adaptive"),
    "ffmpeg-scene": ffmpeg_scene,
    "ffmpeg-mpdecimate": ffmpeg_mpdecimate,
    "imagededup-phash": imagededup_phash,
    "framededupe": framededupe,
}
WHAT = {
    "pyscenedetect-content": "PySceneDetect `detect-content` (cuts; clusters = scenes)",
    "pyscenedetect-adaptive": "PySceneDetect `detect-adaptive` (cuts; clusters = scenes)",
    "ffmpeg-scene": "ffmpeg `select='gt(scene,0.3)'` (cuts; clusters = scenes)",
    "ffmpeg-mpdecimate": "ffmpeg `mpdecimate` (kept frames; each kept frame a scene and a cluster)",
    "imagededup-phash": "imagededup PHash at 2 fps (clusters; scenes = runs of one cluster)",
    "framededupe": "**framededupe**, default options",
}


# ------------------------------------------------------------------------------------------------------- scoring

def evaluate(binary, truths, peer):
    report = os.path.join(RESULTS, f"{peer}.eval.json")
    run([binary, "eval", "--truth-dir", truths, os.path.join(RESULTS, peer), "--report", report, "-q"])
    return json.load(open(report))["total"]


def pick(total, *paths):
    """The first of several key paths (a/b/c) present in the eval report's total: eval's key names, as written."""
    for path in paths:
        value = total
        for key in path.split("/"):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            return value
    raise KeyError(f"none of {paths} in the eval report's total: {json.dumps(total)[:2000]}")


def table(results, versions, command, clips, machine):
    rows = ["| peer | scene P | scene R | scene F1 | cluster pair F1 | ARI | exemplar coverage | redundancy | exemplars | run time (s) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for peer, (total, seconds) in results.items():
        b = total["boundaries"]
        rows.append("| " + " | ".join([
            WHAT[peer], f"{b['precision']:.3f}", f"{b['recall']:.3f}", f"{b['f1']:.3f}",
            f"{pick(total, 'clusters/f1'):.3f}",
            f"{pick(total, 'clusters/adjusted_rand_index_pooled', 'clusters/adjusted_rand_index'):.3f}",
            f"{pick(total, 'exemplars/coverage_pooled', 'exemplars/coverage'):.3f}",
            f"{pick(total, 'exemplars/redundancy_pooled', 'exemplars/redundancy'):.3f}",
            f"{pick(total, 'exemplars/exemplars'):,}", f"{seconds:.1f}"]) + " |")
    v = versions
    return "\n".join([
        f"{len(clips)} dev-set clips (`scripts/make-devset.py`), scored by `framededupe eval` (tolerance 0.5 s; totals: "
        "boundary counts and cluster pairs summed over clips, ARI, coverage and redundancy pooled over all clips). "
        f"Versions: PySceneDetect {v['scenedetect']} (OpenCV {v['opencv-python']}), ffmpeg {v['ffmpeg']}, "
        f"imagededup {v['imagededup']} (torch {v['torch']}), framededupe {v['framededupe']} (`make release`); "
        f"{time.strftime('%Y-%m-%d')}.", "",
        f"Command: `{command}` (adapters and their choices: the script's docstring). Run time: wall seconds summed "
        f"over the clips, one process per clip and peer, on {machine or 'this machine'}: a shared machine's times, "
        "to compare within the table only; the quality figures do not depend on the load.", "",
        *rows])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated (default all: {','.join(PEERS)})")
    ap.add_argument("--clips", default="", help="comma-separated clip names (default: every clip of index.json)")
    ap.add_argument("--devset", default=os.path.join(CACHE, "devset"))
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "framededupe"),
                    help="framededupe, for its own row and for `eval` (default the `make release` build)")
    ap.add_argument("--skip-build", action="store_true", help="do not run `make release` first")
    ap.add_argument("--revision", help="what the table calls the framededupe measured (default: this checkout's "
                                       "commit, noting uncommitted changes under Sources/)")
    ap.add_argument("--score-only", action="store_true", help="rescore the result folders already written")
    ap.add_argument("--no-write", action="store_true", help="print the table only; do not touch BENCHMARKS.md")
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    if unknown := [p for p in peers if p not in PEERS]:
        sys.exit(f"bench-peers: unknown peer(s) {', '.join(unknown)}; peers: {', '.join(PEERS)}")

    if not args.skip_build:
        run(["make", "-C", ROOT, "release"])
    if subprocess.run([args.binary, "eval", "--help"], capture_output=True).returncode != 0:
        sys.exit(f"bench-peers: {args.binary} has no 'eval' command yet (it scores the peers)")
    if not os.path.exists(os.path.join(args.devset, "index.json")):
        log("building the dev set")
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make-devset.py"), "--out", args.devset], check=True)
    index = json.load(open(os.path.join(args.devset, "index.json")))
    clips = [c["clip"] for c in index["clips"]]
    if args.clips:
        clips = [c for c in clips if c in args.clips.split(",")]
    python = venv_python()
    versions = peer_versions(python, args.revision)
    # Seconds per peer and clip, kept across runs so that --score-only and --peers subsets still have them all.
    run_file = os.path.join(RESULTS, "run-times.json")
    seconds = json.load(open(run_file)) if os.path.exists(run_file) else {}
    if not args.score_only:
        seconds["_machine"] = bench_decode.machine()
        for clip in clips:
            path = os.path.join(args.devset, clip)
            times = frame_times(path)
            work = os.path.join(WORK, clip)
            os.makedirs(work, exist_ok=True)
            duration = json.load(open(os.path.join(args.devset, clip + ".truth.json")))["duration"]
            for peer in peers:
                folder = os.path.join(RESULTS, peer, clip)
                ctx = dict(clip=path, times=times, samples=samples_of(times), work=work, folder=folder,
                           python=python, scenedetect=os.path.join(VENV, "bin", "scenedetect"), binary=args.binary)
                took, found = ADAPTERS[peer](ctx)
                seconds.setdefault(peer, {})[clip] = took
                if found is not None:
                    scenes, exemplars = write_result(folder, found["starts"], duration, ctx["samples"],
                                                     frame_clusters=found.get("frame_clusters"),
                                                     exemplars=found.get("exemplars"))
                    log(f"{clip:28} {peer:24} {took:6.2f} s  {scenes} scenes, {exemplars} exemplars")
                else:
                    log(f"{clip:28} {peer:24} {took:6.2f} s")
        json.dump(seconds, open(run_file, "w"), indent=1)
    truths = args.devset
    if args.clips:  # eval scores every truth of --truth-dir: give it only the chosen clips'
        truths = os.path.join(WORK, "truths")
        shutil.rmtree(truths, ignore_errors=True)
        os.makedirs(truths)
        for clip in clips:
            os.symlink(os.path.join(os.path.abspath(args.devset), clip + ".truth.json"), os.path.join(truths, clip + ".truth.json"))
    missing = [(p, c) for p in peers for c in clips if c not in seconds.get(p, {})]
    if missing:
        sys.exit(f"bench-peers: no run of {', '.join(f'{p} on {c}' for p, c in missing[:5])}: run without --score-only")
    results = {p: (evaluate(args.binary, truths, p), sum(seconds[p][c] for c in clips)) for p in peers}
    command = "python3 scripts/bench-peers.py" + (f" --peers {args.peers}" if peers != list(PEERS) else "")
    body = table(results, versions, command, clips, seconds.get("_machine"))
    print(body)
    if args.no_write:
        return
    path = os.path.join(ROOT, "BENCHMARKS.md")
    bench_decode.write_section(path, "peers", body, "Peers on the dev set, scored by `framededupe eval`", "scripts/bench-peers.py")
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
