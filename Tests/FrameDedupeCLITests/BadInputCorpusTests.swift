import Foundation
import Testing
import _FrameDedupeTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The corpus of bad inputs of issue 7 (`scripts/make-bad-inputs.sh`, built from the samples by the real
/// ffmpeg), each run through the real binary, bounded in time: a one-line error naming the file and the
/// cause with the documented status, or a complete result with its warnings and skip counts; never a
/// crash, a hang, a memory blow-up or a partial output folder.
@Suite("Bad inputs: the corpus through the binary", .temporaryFolders)
struct BadInputCorpusTests {
    /// What a run on one file of the corpus must give.
    enum Outcome: Sendable {
        /// Status 3 and one line on stderr naming the input and holding `cause`; no output folder.
        case unreadable(cause: String)
        /// Status 0, a complete output folder with at least `frames` sampled frames; stderr holds exactly one
        /// warning line per entry of `warnings`, each containing it.
        case result(frames: Int, warnings: [String])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let file: String
        let outcome: Outcome
        var arguments: [String] = []
        var testDescription: String { file.replacingOccurrences(of: "\n", with: "\\n") }
    }

    static let weirdName = "name with spaces é 日本\nsecond line.mp4"
    static let weirdBadName = "not a video é 日本\nsecond line.mp4"

    static let cases: [Case] = [
        Case(file: "truncated-index-at-end.mp4", outcome: .unreadable(cause: "without its index (no 'moov' box): the file is truncated")),
        // Its last frame is cut short: decoded (every frame of the first 96 packets is, whatever the decoder's threads), it is
        // damaged, skipped and counted.
        Case(file: "truncated-faststart.mp4", outcome: .result(frames: 8, warnings: ["input ends at 3.800 s but states a duration of 10.000 s: truncated?",
                                                                                    "1 corrupt frames"])),
        Case(file: "random.mp4", outcome: .unreadable(cause: "not a video file")),
        Case(file: "random.bin", outcome: .unreadable(cause: "not a video file")),
        Case(file: "random.dat", outcome: .unreadable(cause: "not a video file")),
        Case(file: "empty.mp4", outcome: .unreadable(cause: "not a video file (the file is empty)")),
        Case(file: "text.mp4", outcome: .unreadable(cause: "not a video file")),
        Case(file: "notes.txt", outcome: .unreadable(cause: "not a video file")),
        Case(file: "audio-only.m4a", outcome: .unreadable(cause: "has no video stream")),
        Case(file: "all-packets-corrupt.mkv", outcome: .unreadable(cause: "not one frame could be decoded from 250 video packets")),
        Case(file: "damaged-middle.h264", outcome: .result(frames: 19, warnings: ["corrupt frames"])),
        Case(file: "damaged-middle.mp4", outcome: .result(frames: 19, warnings: ["corrupt frames"])),
        Case(file: "one-frame.mp4", outcome: .result(frames: 1, warnings: [])),
        Case(file: "tiny-2x2.mp4", outcome: .result(frames: 4, warnings: [])),
        Case(file: "thin-2048x16.mkv", outcome: .result(frames: 4, warnings: [])),
        Case(file: "huge-dimensions-container.mp4", outcome: .result(frames: 20, warnings: [])),
        Case(file: "huge-dimensions-codec.avi", outcome: .unreadable(cause: "not one frame could be decoded from 50 video packets")),
        Case(file: "large-dimensions-codec.avi", outcome: .unreadable(cause: "not one frame could be decoded from 50 video packets")),
        Case(file: "negative-timestamps.ts", outcome: .result(frames: 8, warnings: [])),
        // Read back without any timestamp: times follow from the frame rate (before, all 100 frames fell in one slot).
        Case(file: "negative-timestamps.mkv", outcome: .result(frames: 8, warnings: [])),
        Case(file: "huge-timestamps.mkv", outcome: .result(frames: 8, warnings: [])),
        Case(file: "timestamp-wrap.ts", outcome: .result(frames: 12, warnings: [])),
        Case(file: "timestamp-jump-forward.ts", outcome: .result(frames: 12, warnings: [])),
        Case(file: "timestamp-jump-back.ts", outcome: .result(frames: 12, warnings: ["timestamps go back (from 102.880 s to 0.000 s)"])),
        Case(file: "timestamp-reset.ts", outcome: .result(frames: 12, warnings: [])),
        Case(file: "setpts-jump.mkv", outcome: .result(frames: 16, warnings: [])),
        Case(file: "frame-rate-change.ts", outcome: .result(frames: 18, warnings: [])),
        // A folder is one sequence of its images (every picture sampled); what is not an image is skipped and named.
        Case(file: "images", outcome: .result(frames: 9, warnings: ["skipped 2 files that are not images: 004.png, notes.txt"])),
        // The text file among the PNGs is one corrupt packet, skipped and counted.
        Case(file: "images/%03d.png", outcome: .result(frames: 9, warnings: ["skipped 1 corrupt packets"]), arguments: ["--fps", "all"]),
        // Issue 16: playlists that open other files are refused for a local input; a FIFO among pictures is skipped, not waited on.
        Case(file: "self-variant.m3u8", outcome: .unreadable(cause: "a playlist that opens other files (HLS, ffconcat, DASH, …): refused")),
        Case(file: "self-include.ffconcat", outcome: .unreadable(cause: "a playlist that opens other files (HLS, ffconcat, DASH, …): refused")),
        Case(file: "pull-absolute.m3u8", outcome: .unreadable(cause: "a playlist that opens other files (HLS, ffconcat, DASH, …): refused")),
        Case(file: "images-with-fifo", outcome: .result(frames: 3, warnings: ["skipped 1 entry that is not a regular file (FIFOs, sockets, devices): zz-fifo"])),
        Case(file: "photos-not-utf8", outcome: .result(frames: 2, warnings: [])),
        // Issue 16: pictures over the memory budget are refused before one is decoded (8k-black.mp4: SafetyTests).
        Case(file: "huge-16000x16000.y4m", outcome: .unreadable(cause: "its 16000×16000 pictures need about")),
        Case(file: weirdName, outcome: .result(frames: 20, warnings: [])),
        Case(file: weirdBadName, outcome: .unreadable(cause: "not a video file")),
    ]

    /// Seconds any one run may take before it is killed and the test fails (normally about one).
    static let timeLimit = 60.0
    /// Peak resident memory any one run may reach (normally 100–130 MB).
    static let memoryLimitKiB = 1_500_000

    @Test(arguments: cases)
    func corpusFile(_ c: Case) throws {
        let corpus = try BadInputCorpus.folder()
        let input = corpus.appendingPathComponent(c.file).path
        let out = Fixtures.temporaryFolder("corpus").appendingPathComponent("out")
        let run = try BoundedRun(Fixtures.binary.path, [input, "-o", out.path, "--progress", "never"] + c.arguments)
        try run.expectFinished()
        let lines = run.stderrLines
        switch c.outcome {
        case .unreadable(let cause):
            #expect(run.status == 3, "status \(String(describing: run.status)); stderr: \(run.stderr)")
            #expect(lines.count == 1, "stderr: \(run.stderr)")
            let escaped = input.replacingOccurrences(of: "\n", with: "\\n")
            #expect(lines.first?.hasPrefix("framededupe: \(escaped): ") == true, "the line names the input: \(run.stderr)")
            #expect(lines.first?.contains(cause) == true, "cause '\(cause)' missing: \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "a failed input leaves no output folder")
        case .result(let frames, let warnings):
            #expect(run.status == 0, "status \(String(describing: run.status)); stderr: \(run.stderr)")
            #expect(lines.count == warnings.count, "stderr: \(run.stderr)")
            for warning in warnings {
                #expect(lines.contains { $0.contains(": warning: ") && $0.contains(warning) }, "warning '\(warning)' missing: \(run.stderr)")
            }
            let list = try OutputCheck.completeResults(in: out)
            let sampled = (list["frames"] as? [Any])?.count ?? 0
            #expect(sampled >= frames, "\(sampled) frames sampled, \(frames) expected")
            #expect(((list["warnings"] as? [String]) ?? []).count == warnings.count)
        }
    }

    /// The frames skipped behind a timestamp jump are counted in `scenes.json` too, not only in the warning.
    @Test func framesBehindAJumpAreCounted() throws {
        let corpus = try BadInputCorpus.folder()
        let out = Fixtures.temporaryFolder("corpus-behind").appendingPathComponent("out")
        let run = try BoundedRun(Fixtures.binary.path, [corpus.appendingPathComponent("timestamp-jump-back.ts").path, "-o", out.path, "--progress", "never", "--scorer", "ssim"])
        try run.expectFinished()
        try #require(run.status == 0, "stderr: \(run.stderr)")
        let counts = try #require(try OutputCheck.completeResults(in: out)["counts"] as? [String: Any])
        let behind = try #require(counts["frames_behind"] as? Int)
        #expect(behind > 0)
        #expect(run.stderr.contains("; \(behind) decoded frames skipped"), "the warning gives the same count: \(run.stderr)")
        // An input without a jump counts none.
        let clean = Fixtures.temporaryFolder("corpus-behind").appendingPathComponent("clean")
        let plain = try BoundedRun(Fixtures.binary.path, [corpus.appendingPathComponent("timestamp-jump-forward.ts").path, "-o", clean.path, "--progress", "never", "--scorer", "ssim"])
        try plain.expectFinished()
        #expect((try OutputCheck.completeResults(in: clean)["counts"] as? [String: Any])?["frames_behind"] as? Int == 0)
    }

    @Test func unreadableFile() throws {
        let corpus = try BadInputCorpus.folder()
        let out = Fixtures.temporaryFolder("corpus-000").appendingPathComponent("out")
        // Root reads a mode-000 file anyway: run as root without the capabilities that override permissions.
        let run = try BoundedRun(try Permissions.asOrdinaryUser(), [Fixtures.binary.path, corpus.appendingPathComponent("unreadable.mp4").path, "-o", out.path, "--progress", "never"])
        try run.expectFinished()
        #expect(run.status == 3, "stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1 && run.stderr.contains("unreadable.mp4: permission denied"), "stderr: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func outputFolderNotWritable() throws {
        let work = Fixtures.temporaryFolder("corpus-ro")
        let readOnly = work.appendingPathComponent("read-only")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        chmod(readOnly.path, 0o555)
        defer { chmod(readOnly.path, 0o755) }
        let wrapper = try Permissions.asOrdinaryUser()
        for (out, cause) in [(readOnly.appendingPathComponent("new"), "cannot create folder (permission denied)"), (readOnly, "folder is not writable")] {
            let run = try BoundedRun(wrapper, [Fixtures.binary.path, Fixtures.sample("shots-360p.mp4").path, "-o", out.path, "--progress", "never", "--scorer", "ssim"])
            try run.expectFinished()
            #expect(run.status == 4, "stderr: \(run.stderr)")
            #expect(run.stderrLines.count == 1 && run.stderr.contains(out.path + ": " + cause), "stderr: \(run.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: readOnly.path).isEmpty)
    }

    /// A full disk while results are replaced: status 4, one line, and the earlier results are still there, byte for byte.
    @Test func fullDiskKeepsTheEarlierResults() throws {
        let work = Fixtures.temporaryFolder("corpus-full")
        let disk = work.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        let small = try SmallDisk(disk)
        defer { small.release() }
        print("full disk: \(small.kind)")
        let out = disk.appendingPathComponent("results")
        let first = try BoundedRun(Fixtures.binary.path, [Fixtures.sample("shots-360p.mp4").path, "-o", out.path, "--progress", "never", "--scorer", "ssim", "--max-side", "160"])
        try first.expectFinished()
        try #require(first.status == 0, "stderr: \(first.stderr)")
        let before = try OutputCheck.snapshot(out)
        try small.fill()
        // Larger images than before (PNG at full size), into the same folder and into a new one.
        for (target, leavesFolder) in [(out, true), (disk.appendingPathComponent("new"), false)] {
            let run = try BoundedRun(small.wrapper + [Fixtures.binary.path, Fixtures.sample("bbb-720p.mp4").path, "-o", target.path, "--progress", "never",
                                                     "--scorer", "ssim", "--image-format", "png"])
            try run.expectFinished()
            #expect(run.status == 4, "stderr: \(run.stderr)")
            #expect(run.stderrLines.count == 1 && run.stderr.contains(target.path) && run.stderr.contains(small.cause), "stderr: \(run.stderr)")
            #expect(FileManager.default.fileExists(atPath: target.path) == leavesFolder, "a failed run leaves no folder it created")
        }
        #expect(try OutputCheck.snapshot(out) == before, "the earlier results changed")
        _ = try OutputCheck.completeResults(in: out)
    }

    /// A move into place that fails halfway (here: the old clusters.json is a mount point) puts the earlier results back.
    @Test func failedCommitPutsTheEarlierResultsBack() throws {
        guard getuid() == 0 else { try Test.cancel("needs root to bind-mount over a result file") }
        let out = Fixtures.temporaryFolder("corpus-commit").appendingPathComponent("results")
        let shots = Fixtures.sample("shots-360p.mp4").path
        let first = try BoundedRun(Fixtures.binary.path, [shots, "-o", out.path, "--progress", "never", "--scorer", "ssim"])
        try first.expectFinished()
        try #require(first.status == 0, "stderr: \(first.stderr)")
        let before = try OutputCheck.snapshot(out)
        let pinned = out.appendingPathComponent("clusters.json")
        let mount = try Fixtures.run("mount", ["--bind", pinned.path, pinned.path])
        guard mount.status == 0 else { try Test.cancel("cannot bind-mount here: \(mount.stderr)") }
        defer { _ = try? Fixtures.run("umount", [pinned.path]) }
        let second = try BoundedRun(Fixtures.binary.path, [shots, "-o", out.path, "--progress", "never", "--scorer", "ssim", "--max-side", "64"])
        try second.expectFinished()
        #expect(second.status == 4 && second.stderr.contains("clusters.json: cannot replace"), "stderr: \(second.stderr)")
        _ = try Fixtures.run("umount", [pinned.path])
        #expect(try OutputCheck.snapshot(out) == before, "the earlier results changed")
    }

    /// Standard input closed by the writer: part way through a file, before any byte, or never opened.
    @Test func standardInputClosedEarly() throws {
        let shots = try Data(contentsOf: Fixtures.sample("shots-360p.mp4"))
        let nut = Fixtures.temporaryFolder("corpus-stdin").appendingPathComponent("shots.nut")
        try Fixtures.ffmpeg(["-i", Fixtures.sample("shots-360p.mp4").path, "-c", "copy", "-f", "nut", nut.path])
        let nutBytes = try Data(contentsOf: nut)
        let cases: [(BoundedRun.Input, Int32, String?)] = [
            (.bytes(shots.prefix(60_000)), 0, "truncated?"),        // faststart MP4, cut by the writer
            (.bytes(nutBytes.prefix(nutBytes.count / 2)), 0, nil),  // NUT, cut by the writer
            (.bytes(Data()), 3, "-: not a video file"),           // nothing written
            (.closed, 3, "-: not a video file"),                  // no standard input at all: read as empty
        ]
        for (stdin, status, message) in cases {
            let out = Fixtures.temporaryFolder("corpus-stdin").appendingPathComponent("out")
            let run = try BoundedRun(Fixtures.binary.path, ["-", "-o", out.path, "--progress", "never"], stdin: stdin)
            try run.expectFinished()
            #expect(run.status == status, "stderr: \(run.stderr)")
            if let message { #expect(run.stderrLines.contains { $0.contains(message) }, "stderr: \(run.stderr)") }
            if status == 0 {
                _ = try OutputCheck.completeResults(in: out)
            } else {
                #expect(run.stderrLines.count == 1 && !FileManager.default.fileExists(atPath: out.path), "stderr: \(run.stderr)")
            }
        }
    }

    /// The whole corpus in one call, two at a time: every bad input is reported on one line and the others finish.
    @Test func wholeCorpusInOneRun() throws {
        let corpus = try BadInputCorpus.folder()
        let out = Fixtures.temporaryFolder("corpus-all").appendingPathComponent("out")
        let inputs = Self.cases.map { corpus.appendingPathComponent($0.file).path }
        let run = try BoundedRun(Fixtures.binary.path, ["-j", "2", "--progress", "never", "--scorer", "ssim", "--into", out.path] + inputs, timeLimit: 4 * Self.timeLimit)
        try run.expectFinished()
        #expect(run.status == 5, "stderr: \(run.stderr)")
        let failing = Self.cases.filter { if case .unreadable = $0.outcome { true } else { false } }
        let errors = run.stderrLines.filter { !$0.contains(": warning: ") }
        #expect(errors.count == failing.count, "stderr: \(run.stderr)")
        let folders = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(folders.count == Self.cases.count - failing.count, "folders: \(folders)")
        for folder in folders { _ = try OutputCheck.completeResults(in: out.appendingPathComponent(folder)) }
    }

    /// Inputs the fuzzer once crashed the decoder with (scripts/fuzz/regressions/, fuzz-* in the corpus): no crash,
    /// no hang, and an error line or complete results.
    @Test func fuzzingRegressions() throws {
        let corpus = try BadInputCorpus.folder()
        for name in try FileManager.default.contentsOfDirectory(atPath: corpus.path) where name.hasPrefix("fuzz-") {
            let out = Fixtures.temporaryFolder("corpus-fuzz").appendingPathComponent("out")
            let run = try BoundedRun(Fixtures.binary.path, [corpus.appendingPathComponent(name).path, "-o", out.path, "--progress", "never"])
            try run.expectFinished()
            #expect(run.status == 0 || run.status == 3, "\(name): stderr: \(run.stderr)")
            if run.status == 0 { try OutputCheck.completeResults(in: out) } else { #expect(!FileManager.default.fileExists(atPath: out.path)) }
        }
    }

    @Test func embedOnAnUndecodableFileLeavesNothing() throws {
        let corpus = try BadInputCorpus.folder()
        let out = Fixtures.temporaryFolder("corpus-embed")
        let npy = out.appendingPathComponent("e.npy")
        let run = try BoundedRun(Fixtures.binary.path, ["embed", corpus.appendingPathComponent("all-packets-corrupt.mkv").path, "-o", npy.path, "--progress", "never"])
        try run.expectFinished()
        #expect(run.status == 3 && run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }
}

/// The corpus, built once per test process by the script.
enum BadInputCorpus {
    private static let built: Result<URL, any Error> = Result {
        let script = Fixtures.packageRoot.appendingPathComponent("scripts/make-bad-inputs.sh").path
        return try Fixtures.cached("bad-inputs", recipe: [["bash", script]]) { folder in
            let result = try Fixtures.run("bash", [script, folder.path])
            guard result.status == 0 else { throw CorpusError(command: "scripts/make-bad-inputs.sh", stderr: result.stderr) }
        }
    }

    static func folder() throws -> URL { try built.get() }
}

struct CorpusError: Error, CustomStringConvertible {
    let command: String
    let stderr: String
    var description: String { "\(command) failed: \(stderr)" }
}

/// Running as an ordinary user would, when the tests run as root (as in containers): root reads and writes
/// through any file permission, so the binary runs under `setpriv` without CAP_DAC_OVERRIDE and
/// CAP_DAC_READ_SEARCH, the capabilities that let it.
enum Permissions {
    /// The command prefix (empty when not root); cancels the test when root cannot drop those capabilities.
    static func asOrdinaryUser() throws -> [String] {
        guard getuid() == 0 else { return [] }
        for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] where FileManager.default.isExecutableFile(atPath: dir + "/setpriv") {
            let prefix = [dir + "/setpriv", "--bounding-set=-dac_override,-dac_read_search"]
            // Dropping from the bounding set needs CAP_SETPCAP, which some containers withhold.
            guard let probe = try? Fixtures.run(prefix[0], Array(prefix.dropFirst()) + ["true"]), probe.status == 0 else { break }
            return prefix
        }
        try Test.cancel("running as root without a working setpriv (util-linux): root ignores file permissions")
    }
}

/// A file system that fills up: a 1 MiB tmpfs mounted over the folder when root may mount here (then filled
/// with a filler file), else a file-size limit (`ulimit -f`, a writer gets EFBIG) on the binary.
final class SmallDisk {
    let folder: URL
    let kind: String
    /// The command prefix that runs the binary on the full disk.
    private(set) var wrapper: [String] = []
    /// What the error line says.
    let cause: String
    private var mounted = false

    init(_ folder: URL) throws {
        self.folder = folder
        if getuid() == 0, let mount = try? Fixtures.run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", folder.path]), mount.status == 0 {
            mounted = true
            kind = "a 1 MiB tmpfs, filled"
            cause = "no space left on device"
        } else {
            kind = "no tmpfs (cannot mount here): a file-size limit of 64 KiB (ulimit -f)"
            cause = "File too large"
        }
    }

    /// Fills the tmpfs to its last byte; with a file-size limit, sets the limit for the next runs.
    func fill() throws {
        guard mounted else {
            wrapper = ["/bin/bash", "-c", "ulimit -f 64 && exec \"$0\" \"$@\""]
            return
        }
        let filler = folder.appendingPathComponent("filler")
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        defer { try? handle.close() }
        let chunk = Data(count: 4096)
        while (try? handle.write(contentsOf: chunk)) != nil {}
    }

    func release() {
        if mounted { _ = try? Fixtures.run("umount", ["-l", folder.path]) }
    }
}

extension BoundedRun {
    /// Fails the test when the run hung (killed at the time limit), crashed (a signal) or used too much memory.
    func expectFinished(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let name = command.map { $0.replacingOccurrences(of: "\n", with: "\\n") }.joined(separator: " ")
        try #require(!timedOut, "hung: killed after \(Int(seconds)) s: \(name)", sourceLocation: sourceLocation)
        try #require(signal == nil, "crashed with signal \(signal ?? 0): \(name)\nstderr: \(stderr)", sourceLocation: sourceLocation)
        #expect(maxRSSKiB < BadInputCorpusTests.memoryLimitKiB, "peak memory \(maxRSSKiB / 1024) MB: \(name)", sourceLocation: sourceLocation)
    }
}
