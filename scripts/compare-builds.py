#!/usr/bin/env python3
"""Prove that two builds of framededupe write byte-identical outputs.

    scripts/compare-builds.py [--devset] [--devset-dir DIR] [--old-binary B] [--new-binary B] OLD_REV NEW_REV

A revision is anything `git rev-parse` takes (main, HEAD~3, a sha) or WORKTREE for the working tree as it
is. Each is built in release (`swift build -c release`, the same flags for both) in its own scratch path,
.build-compare/<sha> (.build-compare/worktree for WORKTREE), from a `git archive` of the revision unpacked
into .cache/compare/src/<sha> (kept: a second comparison of the same revision builds nothing). Then a fixed
battery of commands (below) is run with each binary, and the two result trees are compared: every file, its
bytes, every symlink's target, and the files only on one side. Exit status 0 when they are identical, 1 on
any difference (with a summary and `diff -r` excerpts), 2 when a build or the set-up fails. Both trees are
kept in .cache/compare/runs/<old>-<new>/ to look into; .build-compare/ and .cache/compare/ may be removed at
any time (the next comparison builds again).

The battery (BATTERY below), run the same way with both binaries:
  - on each clip of samples/: `run` with defaults, --scorer ssim, --scorer embed, --keep scene, --keep
    diverse, --dendrogram, --stats FILE, --decode keyframes, --fps 0.5, --start/--end, png at --max-side;
  - on samples/shots-360p.mp4: every --print kind with every --format (the invalid pairs too: their
    message and status are compared), --print0, --select-file, -o -, --progress jsonl, -v, -vv;
  - a folder of images (PNG frames ffmpeg extracts from a sample), --raw from a file and from stdin, a
    container on stdin, several inputs with -j 2 and again (skipped), a partly failing batch (--into: a
    revision before issue 20 has no --into and -o there, so those steps differ across that change), missing
    inputs and bad options (exit statuses), a rerun with --resume over complete results and into an
    empty folder, --force;
  - `embed` (npy + sidecar, jsonl to a file and to stdout);
  - `index add` (one by one, again for an indexed file, and -j 2 into a second index), `index dedupe`
    (with --export, incrementally, --rebuild to stdout), `index export` (jsonl, csv, --no-embeddings),
    `index search` (an image, a video), `index stats` (lines and --json), `index remove`;
  - `eval` (--truth-dir and --truth) on hand-written truths of the samples (samples/README.md's shots),
    and `tune` over them (default grid, and --scorer ssim on a small grid), whose ranking is also
    written out as tune-ranking.txt;
  - with --devset: scripts/devset-eval.sh over the labelled dev set (built with scripts/make-devset.py
    into .cache/devset when absent) with defaults and with --scorer ssim, each followed by `eval` (the
    script's own), then `tune` on it (report and ranking).
Every command's stdout, stderr and exit status are kept in _commands/ and compared like the outputs.

How the runs are made comparable without normalising paths: both sides run, one after the other, in the
same absolute folder (.cache/compare/runs/<old>-<new>/run, moved aside to old/ and new/ afterwards), with
the binary copied to the same path (run-bin/framededupe), the same inputs (made once, in inputs/), the same
environment (FRAMEDEDUPE_* variables removed, LC_ALL=C.UTF-8, TMPDIR an emptied folder of its own) and one
command at a time. So absolute paths in outputs (input paths in scenes.json, image paths on stdout) are the
same on both sides and need no rewriting.

What is normalised, and why (everything else must be byte-identical):
  - wall-clock durations on stderr: "... in 0.9 s" at the end of the per-input, batch, index add/dedupe
    and approximate-index lines, and "embedded in 0.4 s" (Date() differences: they change from run to run);
  - with --progress jsonl, the "seconds", "fps" and "eta" values of events (wall clock) and the "progress"
    events themselves (emitted at most 10 times a second: how many depends on speed);
  - stderr lines of commands that analyse inputs in parallel (-j 2) are sorted: the per-input lines come
    in the order inputs finish, which depends on scheduling;
  - SQLite index files (*.db) are compared through a dump of their rows (SELECTs in rowid order) with the
    ISO 8601 timestamps replaced: the index records when each video was added and when its approximate
    index was built (wall clock). The database files' bytes are not compared. The index made with
    `index add -j 2` stores videos in the order they finish: in its dump the "id", "video" and "scene" columns are
    masked and the rows sorted; in its `index stats --json` the "database_bytes" value is masked (it counts
    the write-ahead log, whose size depends on how the two threads' reads and writes interleaved).
The raw captures are kept beside the normalised ones (*.raw, not compared).
"""
import argparse
import filecmp
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = ["bbb-720p.mp4", "revisit-360p.mp4", "shots-360p.mp4"]
TIMEOUT = 1800  # seconds for one command (tune over the dev set is the longest)

# Hand-written ground truth of the samples, from samples/README.md (times in seconds, content groups).
TRUTHS = {
    "bbb-720p.mp4": (10.56, [(0.0, 10.56, 0)]),
    "revisit-360p.mp4": (6.0, [(0.0, 2.0, 0), (2.0, 4.0, 1), (4.0, 6.0, 0)]),
    "shots-360p.mp4": (10.0, [(0.0, 3.0, 0), (3.0, 6.0, 1), (6.0, 10.0, 2)]),
}

# Folders of the files the battery names (made before it runs, on both sides).
PARENTS = ["embeddings", "index", "index-j2", "eval", "tune", "devset", "stats", "print"]

PRINT_KINDS = ["scenes", "clusters", "keyframes", "unique"]
PRINT_FORMATS = ["json", "jsonl", "csv", "tsv", "timestamps", "paths", "ffconcat", "select", "chapters"]


class Step:
    """One command of the battery: argv with {bin}, {in} (the inputs folder) and {devset} placeholders; the
    output paths in it are relative to the run folder. `stdin` names a file of the inputs folder."""

    def __init__(self, name, argv, stdin=None, unordered=False, env=None, masked=()):
        self.name, self.argv, self.stdin, self.unordered, self.env = name, argv, stdin, unordered, env or {}
        self.masked = masked  # JSON keys of stdout whose values are run-dependent


def battery(devset):
    steps = []

    def run(name, *args, **kw):
        steps.append(Step(name, ["{bin}", *args], **kw))

    for clip in SAMPLES:
        src = "{in}/" + clip
        run(f"default-{clip}", "run", src, "-o", f"default/{clip}")
        run(f"ssim-{clip}", "run", src, "--scorer", "ssim", "-o", f"ssim/{clip}")
        run(f"embed-{clip}", "run", src, "--scorer", "embed", "-o", f"embed/{clip}")
        run(f"keep-scene-{clip}", "run", src, "--keep", "scene", "-o", f"keep-scene/{clip}")
        run(f"keep-diverse-{clip}", "run", src, "--keep", "diverse", "-o", f"keep-diverse/{clip}")
        run(f"dendrogram-{clip}", "run", src, "--dendrogram", "-o", f"dendrogram/{clip}")
        run(f"stats-{clip}", "run", src, "--stats", f"stats/{clip}.csv", "-o", f"stats/{clip}")
        run(f"keyframes-{clip}", "run", src, "--decode", "keyframes", "-o", f"decode-keyframes/{clip}")
        run(f"fps-{clip}", "run", src, "--fps", "0.5", "-o", f"fps0.5/{clip}")
        run(f"start-end-{clip}", "run", src, "--start", "2", "--end", "7.5", "-o", f"start-end/{clip}")
        run(f"png-{clip}", "run", src, "--image-format", "png", "--max-side", "200", "-o", f"png/{clip}")

    shots = "{in}/shots-360p.mp4"
    for kind in PRINT_KINDS:
        for fmt in PRINT_FORMATS:
            run(f"print-{kind}-{fmt}", "run", shots, "--print", kind, "--format", fmt, "-o", f"print/{kind}-{fmt}")
    run("print0", "run", shots, "--print0", "-o", "print/print0")
    run("select-file", "run", shots, "--select-file", "print/select.txt", "--no-output")
    run("output-stdout", "run", shots, "-o", "-")
    run("progress-jsonl", "run", shots, "--progress", "jsonl", "-o", "progress/jsonl")
    run("verbose", "run", shots, "-v", "-o", "progress/v")
    run("very-verbose", "run", shots, "-vv", "-o", "progress/vv")

    run("image-folder", "run", "{in}/frames", "-o", "images/frames")
    run("image-folder-scene", "run", "{in}/frames", "--keep", "scene", "--scorer", "ssim", "-o", "images/frames-ssim")
    run("raw-file", "run", "{in}/shots.gray", "--raw", "320x180:gray:25", "-o", "raw/file")
    run("raw-stdin", "run", "-", "--raw", "320x180:gray:25", "-o", "raw/stdin", stdin="shots.gray")
    run("container-stdin", "run", "-", "-o", "stdin/nut", stdin="shots.nut")

    every = ["{in}/" + c for c in SAMPLES]
    run("batch-j2", "run", "-j", "2", "--into", "batch", *every, unordered=True)
    run("batch-j2-again", "run", "-j", "2", "--into", "batch", *every, unordered=True)
    run("batch-partial", "run", "--into", "batch-partial", shots, "{in}/missing.mp4")
    run("missing-input", "run", "{in}/missing.mp4", "-o", "missing")
    run("bad-option", "run", shots, "--fps", "0", "-o", "bad-option")
    run("bad-threshold", "run", shots, "--ssim-threshold", "2", "-o", "bad-option")

    run("resume-first", "run", shots, "-o", "resume/complete")
    run("resume-complete", "run", shots, "--resume", "-o", "resume/complete")
    run("resume-empty", "run", "{in}/revisit-360p.mp4", "--resume", "-o", "resume/empty")
    run("force", "run", shots, "--force", "-o", "resume/complete")

    run("embed-npy", "embed", shots, "-o", "embeddings/shots.npy")
    run("embed-jsonl", "embed", "{in}/revisit-360p.mp4", "--format", "jsonl", "-o", "embeddings/revisit.jsonl")
    run("embed-stdout", "embed", "{in}/revisit-360p.mp4", "--format", "jsonl", "-o", "-")
    run("embed-bbb", "embed", "{in}/bbb-720p.mp4", "--fps", "1", "-o", "embeddings/bbb.npy")

    db = "index/corpus.db"
    run("index-add", "index", "add", shots, "{in}/revisit-360p.mp4", "--index", db)
    run("index-add-more", "index", "add", "{in}/bbb-720p.mp4", "--index", db)
    run("index-add-again", "index", "add", shots, "--index", db)
    run("index-dedupe", "index", "dedupe", "--index", db, "-o", "index/clusters.json", "--export", "index/export")
    run("index-dedupe-again", "index", "dedupe", "--index", db, "-o", "index/clusters-again.json")
    run("index-dedupe-rebuild", "index", "dedupe", "--index", db, "--rebuild", "--threshold", "0.3", "-o", "-")
    run("index-export-jsonl", "index", "export", "--index", db, "--format", "jsonl", "-o", "index/scenes.jsonl")
    run("index-export-csv", "index", "export", "--index", db, "--format", "csv", "-o", "index/scenes.csv")
    run("index-export-stdout", "index", "export", "--index", db, "--no-embeddings")
    run("index-search-image", "index", "search", "{in}/frames/0007.png", "--index", db, "--top", "5")
    run("index-search-video", "index", "search", "{in}/revisit-360p.mp4", "--index", db, "--top", "3")
    run("index-stats", "index", "stats", "--index", db)
    run("index-stats-json", "index", "stats", "--index", db, "--json")
    run("index-remove", "index", "remove", "{in}/revisit-360p.mp4", "--index", db)
    run("index-stats-after-remove", "index", "stats", "--index", db, "--json")
    run("index-add-j2", "index", "add", "-j", "2", *every, "--index", "index-j2/corpus.db", unordered=True)
    run("index-j2-stats-json", "index", "stats", "--index", "index-j2/corpus.db", "--json", masked=["database_bytes"])

    run("eval-truth-dir", "eval", "--truth-dir", "{in}/truth", "default", "--report", "eval/report.json")
    run("eval-truth", "eval", "--truth", "{in}/truth/shots-360p.mp4.truth.json", "default/shots-360p.mp4")
    run("eval-report-stdout", "eval", "--truth-dir", "{in}/truth", "ssim", "--report", "-")
    run("tune", "tune", "--truth-dir", "{in}/truth", "--clips", "{in}", "--report", "tune/report.json")
    run("tune-ssim", "tune", "--truth-dir", "{in}/truth", "--clips", "{in}", "--scorer", "ssim", "--cut-ratios", "1.5,2",
        "--cluster-thresholds", "0.5,0.7", "--linkages", "average,single", "--report", "tune/ssim.json")

    if devset:
        script = os.path.join(ROOT, "scripts", "devset-eval.sh")
        for name, extra in [("devset-eval", []), ("devset-eval-ssim", ["--scorer", "ssim"])]:
            steps.append(Step(name, ["sh", script, *extra], env={
                "FRAMEDEDUPE": "{bin}", "DEVSET": "{devset}", "RESULTS": f"devset/{name}", "REPORT": f"devset/{name}.json"}))
        run("devset-tune", "tune", "--truth-dir", "{devset}", "--report", "devset/tune.json")
    return steps


# --- normalisation -------------------------------------------------------------------------------------

WALL_CLOCK = re.compile(r" in \d+\.\d s\b")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)")


def normalise_stream(text, unordered, masked=()):
    for key in masked:
        text = re.sub(r'("%s": )[^,\n}]+' % re.escape(key), r'\1"<run-dependent>"', text)
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("{") and '"event"' in stripped:
            try:
                event = json.loads(stripped)
            except ValueError:
                event = None
            if isinstance(event, dict) and "event" in event:
                if event["event"] == "progress":
                    continue
                for key in ("seconds", "fps", "eta"):
                    if key in event:
                        event[key] = "<wall clock>"
                out.append(json.dumps(event, sort_keys=True, ensure_ascii=False) + "\n")
                continue
        out.append(WALL_CLOCK.sub(" in <wall clock> s", line))
    if unordered:
        out.sort()
    return "".join(out)


def dump_database(path, unordered):
    """The rows of every table of the SQLite file at `path` (rowid order), timestamps replaced."""
    lines = []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = db.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name").fetchall()
        lines += [f"schema {name}: {sql}\n" for name, sql in tables]
        for (name, sql) in tables:
            if sql is None or not sql.upper().startswith("CREATE TABLE"):
                continue
            cursor = db.execute(f'SELECT * FROM "{name}"')
            columns = [c[0] for c in cursor.description]
            body = []
            for row in cursor.fetchall():
                cells = []
                for column, v in zip(columns, row):
                    if unordered and column in ("id", "video", "scene"):
                        cells.append(f"{column}=<order added>")
                    elif isinstance(v, bytes):
                        cells.append("blob:" + hashlib.sha256(v).hexdigest())
                    elif isinstance(v, str):
                        cells.append(json.dumps(TIMESTAMP.sub("<timestamp>", v), ensure_ascii=False))
                    else:
                        cells.append(repr(v))
                body.append(f"{name}: " + ", ".join(cells) + "\n")
            lines += sorted(body) if unordered else body
    finally:
        db.close()
    return "".join(lines)


# --- building --------------------------------------------------------------------------------------------

def run_group(argv, **kwargs):
    """subprocess.run, its process and all below it killed if this script is stopped (a build's compilers would
    otherwise go on)."""
    process = subprocess.Popen(argv, **kwargs)
    try:
        return process.wait()
    except BaseException:
        # SwiftPM starts its compilers in process groups of their own: every descendant is killed by its pid.
        for pid in descendants(process.pid) + [process.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()
        raise


def descendants(root):
    """The pids of every process below `root` (from /proc), children before their parents' parents."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found[::-1]


def git(*args):
    return subprocess.run(["git", "-C", ROOT, *args], check=True, capture_output=True, text=True).stdout.strip()


def resolve(rev):
    """(key, source folder) of a revision."""
    if rev == "WORKTREE":
        return "worktree", ROOT
    sha = git("rev-parse", "--verify", rev + "^{commit}")
    source = os.path.join(ROOT, ".cache", "compare", "src", sha)
    if not os.path.isdir(source):
        staging = source + f".partial-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        archive = subprocess.Popen(["git", "-C", ROOT, "archive", sha], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", staging], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            raise SystemExit(f"compare-builds: git archive {sha} failed")
        resolved = os.path.join(ROOT, "Package.resolved")  # gitignored: the same dependency versions for both
        if os.path.exists(resolved) and not os.path.exists(os.path.join(staging, "Package.resolved")):
            shutil.copy(resolved, staging)
        os.rename(staging, source)
    return sha, source


def build(key, source):
    scratch = os.path.join(ROOT, ".build-compare", key)
    log = os.path.join(ROOT, ".build-compare", key + ".log")
    os.makedirs(os.path.dirname(scratch), exist_ok=True)
    print(f"compare-builds: building {key[:12]} ({source}) in {os.path.relpath(scratch, ROOT)} ...", flush=True)
    began = time.monotonic()
    with open(log, "w") as out:
        status = run_group(["swift", "build", "-c", "release", "--package-path", source, "--scratch-path", scratch],
                           stdout=out, stderr=subprocess.STDOUT)
    if status != 0:
        sys.stderr.write(open(log).read()[-4000:])
        raise SystemExit(f"compare-builds: the build of {key} failed (log: {log})")
    binary = os.path.join(scratch, "release", "framededupe")
    print(f"compare-builds: built {key[:12]} in {time.monotonic() - began:.0f} s", flush=True)
    return binary


# --- inputs ------------------------------------------------------------------------------------------

def make_inputs(folder):
    """The battery's inputs, made once and shared by both sides (same absolute paths)."""
    if os.path.exists(os.path.join(folder, ".complete")):
        return
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, "truth"))
    for clip in SAMPLES:
        shutil.copy(os.path.join(ROOT, "samples", clip), folder)
    shots = os.path.join(folder, "shots-360p.mp4")
    ff = ["ffmpeg", "-v", "error", "-nostdin", "-i", shots]
    os.makedirs(os.path.join(folder, "frames"))
    subprocess.run(ff + ["-vf", "fps=2", os.path.join(folder, "frames", "%04d.png")], check=True)
    subprocess.run(ff + ["-vf", "scale=320:180", "-f", "rawvideo", "-pix_fmt", "gray", os.path.join(folder, "shots.gray")], check=True)
    subprocess.run(ff + ["-c:v", "copy", "-f", "nut", os.path.join(folder, "shots.nut")], check=True)
    for clip, (duration, shots_) in TRUTHS.items():
        truth = {"version": 1, "clip": clip, "duration": duration,
                 "shots": [{"id": i, "start": s, "end": e, "content": c} for i, (s, e, c) in enumerate(shots_)],
                 "transitions": []}
        with open(os.path.join(folder, "truth", clip + ".truth.json"), "w") as f:
            json.dump(truth, f, indent=1)
    open(os.path.join(folder, ".complete"), "w").close()


def devset_folder(path):
    if not os.path.exists(os.path.join(path, "index.json")):
        print(f"compare-builds: no dev set in {path}; building it (python3 scripts/make-devset.py)", flush=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make-devset.py"), "--out", path], check=True)
    return path


# --- running -----------------------------------------------------------------------------------------

def run_side(label, binary, steps, work, inputs, devset):
    """Runs the battery with `binary` in work/run, then moves the folder to work/<label>."""
    run_dir = os.path.join(work, "run")
    tmp = os.path.join(work, "tmp")
    bin_dir = os.path.join(work, "run-bin")
    for d in (run_dir, tmp, bin_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    shutil.copy2(binary, os.path.join(bin_dir, "framededupe"))
    fixed = {"{bin}": os.path.join(bin_dir, "framededupe"), "{in}": inputs, "{devset}": devset or ""}

    def expand(s):
        for k, v in fixed.items():
            s = s.replace(k, v)
        return s

    env = {k: v for k, v in os.environ.items() if not k.startswith("FRAMEDEDUPE")}
    env.update({"LC_ALL": "C.UTF-8", "TMPDIR": tmp})
    env.pop("COLUMNS", None)
    captured = os.path.join(run_dir, "_commands")
    os.makedirs(captured)
    for folder in PARENTS:  # the tool does not create the folders of the files it is asked to write
        os.makedirs(os.path.join(run_dir, folder))
    began = time.monotonic()
    for n, step in enumerate(steps):
        argv = [expand(a) for a in step.argv]
        step_env = dict(env, **{k: expand(v) for k, v in step.env.items()})
        stdin = open(os.path.join(inputs, step.stdin), "rb") if step.stdin else subprocess.DEVNULL
        step_began = time.monotonic()
        try:
            result = subprocess.run(argv, cwd=run_dir, env=step_env, stdin=stdin, capture_output=True, timeout=TIMEOUT)
            stdout, stderr, status = result.stdout, result.stderr, str(result.returncode)
        except subprocess.TimeoutExpired as e:
            stdout, stderr, status = e.stdout or b"", e.stderr or b"", f"timeout after {TIMEOUT} s"
        finally:
            if step.stdin:
                stdin.close()
        base = os.path.join(captured, f"{n:03d}-{step.name}")
        with open(base + ".argv", "w") as f:
            f.write("\n".join(step.argv) + "\n" + "".join(f"{k}={v}\n" for k, v in sorted(step.env.items())))
        with open(base + ".status", "w") as f:
            f.write(status + "\n")
        for stream, data in (("stdout", stdout), ("stderr", stderr)):
            with open(base + f".{stream}.raw", "wb") as f:
                f.write(data)
            with open(base + f".{stream}", "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(normalise_stream(data.decode("utf-8", errors="surrogateescape"), step.unordered,
                                         step.masked if stream == "stdout" else ()))
        print(f"  [{label}] {n + 1}/{len(steps)} {step.name}: {status} ({time.monotonic() - step_began:.1f} s)", flush=True)
    # SQLite files: compared through a dump (see the module's doc comment).
    for folder, _, files in os.walk(run_dir):
        for name in files:
            if name.endswith(".db"):
                path = os.path.join(folder, name)
                unordered = os.path.relpath(path, run_dir).startswith("index-j2" + os.sep)
                with open(path + ".dump.txt", "w", encoding="utf-8") as f:
                    f.write(dump_database(path, unordered))
    leftovers = os.listdir(tmp)
    if leftovers:
        print(f"compare-builds: note: {label} left {len(leftovers)} entries in its TMPDIR: {', '.join(sorted(leftovers)[:5])}")
    target = os.path.join(work, label)
    shutil.rmtree(target, ignore_errors=True)
    os.rename(run_dir, target)
    print(f"compare-builds: {label}: {len(steps)} commands in {time.monotonic() - began:.0f} s", flush=True)


def tune_rankings(tree):
    """tune-ranking.txt beside every tune report: the settings in rank order (what 'tune gives the same ranking' means)."""
    for folder, _, files in os.walk(tree):
        for name in files:
            if name.endswith(".json") and ("tune" in name or os.path.basename(folder) == "tune"):
                try:
                    report = json.load(open(os.path.join(folder, name)))
                except ValueError:
                    continue
                if not isinstance(report, dict) or "settings" not in report:
                    continue
                lines = []
                for rank, s in enumerate(report["settings"], 1):
                    # A setting is named by the options that select it; its scores are compared in the report itself.
                    setting = s.get("arguments", s) if isinstance(s, dict) else s
                    lines.append(f"{rank} {json.dumps(setting, sort_keys=True)}\n")
                with open(os.path.join(folder, name[:-5] + ".ranking.txt"), "w") as f:
                    f.writelines(lines)


# --- comparing ---------------------------------------------------------------------------------------

EXCLUDED = re.compile(r"(\.raw|\.db|\.db-wal|\.db-shm|\.db-journal)$")


def entries(tree):
    out = {}
    for folder, dirs, files in os.walk(tree):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, tree)
            if EXCLUDED.search(name):
                continue
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir", None)
            else:
                out[rel] = ("file", path)
    return out


def compare(old, new):
    a, b = entries(old), entries(new)
    only_old = sorted(set(a) - set(b))
    only_new = sorted(set(b) - set(a))
    differing = []
    for rel in sorted(set(a) & set(b)):
        (ka, va), (kb, vb) = a[rel], b[rel]
        if ka != kb or (ka == "link" and va != vb) or (ka == "file" and not filecmp.cmp(va, vb, shallow=False)):
            differing.append(rel)
    return len(a), only_old, only_new, differing


def stopped(number, frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", metavar="OLD_REV")
    parser.add_argument("new", metavar="NEW_REV")
    parser.add_argument("--devset", action="store_true", help="also run scripts/devset-eval.sh and tune over the dev set")
    parser.add_argument("--devset-dir", default=os.path.join(ROOT, ".cache", "devset"), help="default: .cache/devset")
    parser.add_argument("--old-binary", help="a release binary of OLD_REV already built (it is not built again)")
    parser.add_argument("--new-binary", help="a release binary of NEW_REV already built (it is not built again)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stopped)  # as for Ctrl-C: a build in progress is killed with us

    try:
        (old_key, old_src), (new_key, new_src) = resolve(args.old), resolve(args.new)
        old_bin = args.old_binary or build(old_key, old_src)
        new_bin = args.new_binary or (old_bin if new_key == old_key else build(new_key, new_src))
        work = os.path.join(ROOT, ".cache", "compare", "runs", f"{old_key[:12]}-{new_key[:12]}")
        inputs = os.path.join(ROOT, ".cache", "compare", "inputs")
        make_inputs(inputs)
        devset = devset_folder(os.path.abspath(args.devset_dir)) if args.devset else None
    except (subprocess.CalledProcessError, OSError) as e:
        print(f"compare-builds: set-up failed: {e}", file=sys.stderr)
        return 2
    steps = battery(devset is not None)
    print(f"compare-builds: {len(steps)} commands a side; results in {os.path.relpath(work, ROOT)}/{{old,new}}", flush=True)
    run_side("old", old_bin, steps, work, inputs, devset)
    run_side("new", new_bin, steps, work, inputs, devset)
    for side in ("old", "new"):
        tune_rankings(os.path.join(work, side))

    old, new = os.path.join(work, "old"), os.path.join(work, "new")
    count, only_old, only_new, differing = compare(old, new)
    print(f"compare-builds: OLD {args.old} ({old_key[:12]}) against NEW {args.new} ({new_key[:12]}): "
          f"{count} files and folders, {len(steps)} commands (stdout, stderr, status each)")
    if not (only_old or only_new or differing):
        print("compare-builds: identical")
        return 0
    for title, items in (("only in OLD", only_old), ("only in NEW", only_new), ("different", differing)):
        if items:
            print(f"{title} ({len(items)}):")
            for rel in items[:50]:
                print(f"  {rel}")
            if len(items) > 50:
                print(f"  ... and {len(items) - 50} more")
    print("diff -r (first 200 lines):")
    diff = subprocess.run(["diff", "-r", "--no-dereference", "-u", "-x", "*.raw", "-x", "*.db", "-x", "*.db-*", old, new],
                          capture_output=True, text=True, errors="replace").stdout.splitlines()
    print("\n".join(diff[:200]))
    print(f"compare-builds: DIFFERENT: {len(only_old)} only in OLD, {len(only_new)} only in NEW, {len(differing)} differ "
          f"(trees kept in {os.path.relpath(work, ROOT)})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
