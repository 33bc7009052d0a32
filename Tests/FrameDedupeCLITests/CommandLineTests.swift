import Foundation
import Testing
import _FrameDedupeTestSupport

/// The built binary, run as a user would: stdout, stderr and the exit code are the contract.
@Suite("framededupe command line", .temporaryFolders)
struct CommandLineTests {
    @Test func helpListsEveryOptionWithDefaults() throws {
        let result = try Fixtures.framededupe(["run", "--help"])
        #expect(result.status == 0)
        for option in ["--fps", "--start", "--end", "--decode", "--stream", "--analysis-size", "--ssim-threshold", "--cut-threshold",
                       "--ssim-size", "--output", "--image-format", "--max-side", "--jpeg-quality", "--quiet", "--scorer",
                       "--embedding-threshold", "--embedding-cut-threshold", "--model", "--model-variant", "--network-input",
                       "--batch", "--blas-threads", "--stats", "--cluster-threshold", "--linkage", "--alpha", "--time-scale",
                       "--spatial-check", "--grid-threshold", "--mirrored-match", "--keep", "--min-cluster-size", "--dendrogram", "--diversity", "--min-scene-length", "--pca", "--shifted-match"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
        for option in ["--raw", "--image-time", "--image-rate", "--progress", "--no-report"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
        #expect(result.stdout.contains("default: auto)") && result.stdout.contains("(default: 256)"))
        let root = try Fixtures.framededupe(["--help"])
        #expect(root.status == 0 && root.stdout.contains("EXIT STATUS"))
    }

    @Test func runsOnASample() throws {
        let out = Fixtures.temporaryFolder("cli")
        let result = try Fixtures.framededupe([Fixtures.sample("shots-360p.mp4").path, "-o", out.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty, "data goes to files; stdout stays empty")
        #expect(result.stderr.contains("21 frames → 3 scenes → 3 clusters"))
        #expect(result.stderr.contains("; unique/ holds 3 pictures, one per cluster"), "stderr: \(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("scenes.json").path))
        let quiet = try Fixtures.framededupe([Fixtures.sample("shots-360p.mp4").path, "-o", out.path, "--quiet"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty)
    }

    @Test func statsHaveEveryFrameAndTheDecisions() throws {
        let out = Fixtures.temporaryFolder("stats")
        let csv = out.appendingPathComponent("stats.csv")
        let result = try Fixtures.framededupe([Fixtures.sample("shots-360p.mp4").path, "-o", out.appendingPathComponent("r").path, "-q", "--stats", csv.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = try #require(rows.first)
        #expect(header.contains("ssim_to_reference") && header.contains("embedding_to_previous") && header.contains("sharpness"))
        #expect(rows.count == 22)  // the header, 20 frames at 2 a second and the last frame
        let decision = try #require(header.firstIndex(of: "decision"))
        let time = try #require(header.firstIndex(of: "time"))
        // The cuts are where the scenes start: 3 s and 6 s.
        #expect(rows.dropFirst().filter { $0[decision] == "cut" }.map { Double($0[time]) } == [3, 6])
        #expect(rows.dropFirst().allSatisfy { $0.count == header.count })
        // docs/output-formats.md quotes the columns of the three CSV files: they are the files' headers.
        let formats = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("docs/output-formats.md"), encoding: .utf8)
        func documented(_ file: String) -> String? {
            formats.split(separator: "\n").first { $0.hasPrefix("| `\(file)` |") }.flatMap { $0.split(separator: "`").dropFirst(3).first.map(String.init) }
        }
        func firstLine(_ url: URL) throws -> String { String(try String(contentsOf: url, encoding: .utf8).prefix { $0 != "\n" }) }
        #expect(documented("--stats FILE") == (try firstLine(csv)), "docs/output-formats.md: the --stats columns")
        for name in ["scenes.csv", "clusters.csv"] {
            #expect(documented(name) == (try firstLine(out.appendingPathComponent("r").appendingPathComponent(name))), "docs/output-formats.md: \(name)'s columns")
        }
    }

    /// `make install-files` (what `make install` runs after building) puts the binary, the man page, completions and
    /// the weights under PREFIX, and the installed binary finds the weights there with no environment to help it.
    @Test func makeInstallPutsEverythingWhereTheBinaryFindsIt() throws {
        let work = Fixtures.temporaryFolder("install")
        let prefix = work.appendingPathComponent("prefix"), home = work.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let install = try Fixtures.run("make", ["-s", "-C", Fixtures.packageRoot.path, "install-files", "PREFIX=\(prefix.path)", "BINARY=\(Fixtures.binary.path)"])
        #expect(install.status == 0, "stderr: \(install.stderr)")
        for file in ["bin/framededupe", "share/man/man1/framededupe.1", "share/bash-completion/completions/framededupe",
                     "share/zsh/site-functions/_framededupe", "share/fish/vendor_completions.d/framededupe.fish",
                     "share/framededupe/models/efficientnet-lite0.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: prefix.appendingPathComponent(file).path), "make install wrote no \(file)")
        }
        let installed = prefix.appendingPathComponent("bin/framededupe").path
        let alone = ["HOME": home.path, "XDG_DATA_HOME": "", "FRAMEDEDUPE_MODEL": ""]
        let embed = ["embed", Fixtures.sample("shots-360p.mp4").path, "--end", "1", "-q", "-o", work.appendingPathComponent("e.npy").path]
        let found = try Fixtures.run(installed, embed, environment: alone)
        #expect(found.status == 0, "the installed binary did not find its weights: \(found.stderr)")
        // Without the weights, the installed binary names the fetch script installed beside it, and --scorer ssim.
        try FileManager.default.removeItem(at: prefix.appendingPathComponent("share/framededupe/models/efficientnet-lite0.safetensors"))
        let missing = try Fixtures.run(installed, embed, environment: alone)
        #expect(missing.status == 3 && missing.stderr.contains("python3 \(prefix.path)/share/framededupe/fetch-model.py")
                && missing.stderr.contains("--scorer ssim"), "stderr: \(missing.stderr)")
        let uninstall = try Fixtures.run("make", ["-s", "-C", Fixtures.packageRoot.path, "uninstall", "PREFIX=\(prefix.path)"])
        #expect(uninstall.status == 0 && !FileManager.default.fileExists(atPath: installed), "stderr: \(uninstall.stderr)")
    }

    /// Separate processes: OpenBLAS's thread count is global to a process, and OpenBLAS 0.3.21 is not safe
    /// for multi-threaded calls made concurrently (as parallel tests in one process would make).
    /// The scenes, clusters and keyframes are the same exactly; per-frame scores may differ in their last
    /// printed digit, because OpenBLAS splits a matrix product differently over 2 threads and float sums
    /// then round differently (seen: an embedding distance 0.04279 against 0.042791), so those are
    /// compared within 1e-5.
    @Test func sameResultsWhateverTheThreadCounts() throws {
        let a = Fixtures.temporaryFolder("threads-a"), b = Fixtures.temporaryFolder("threads-b")
        let input = try Fixtures.returningShots().path
        #expect(try Fixtures.framededupe([input, "-o", a.path, "-q"]).status == 0)
        #expect(try Fixtures.framededupe([input, "-o", b.path, "-q", "--threads", "1", "--blas-threads", "2"]).status == 0)
        for name in ["clusters.json", "scenes.csv", "clusters.csv"] {
            #expect(try Data(contentsOf: a.appendingPathComponent(name)) == Data(contentsOf: b.appendingPathComponent(name)), "\(name) differs")
        }
        let one = try JSONSerialization.jsonObject(with: Data(contentsOf: a.appendingPathComponent("scenes.json")))
        let two = try JSONSerialization.jsonObject(with: Data(contentsOf: b.appendingPathComponent("scenes.json")))
        #expect(sameWithin(1e-5, one, two), "scenes.json differs beyond float rounding")
    }

    @Test func defaultOutputFolderIsNamedAfterTheInput() throws {
        let work = Fixtures.temporaryFolder("default-out")
        let clip = work.appendingPathComponent("my clip.mp4")  // a space in the name
        try FileManager.default.copyItem(at: Fixtures.sample("shots-360p.mp4"), to: clip)
        let result = try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && \"$2\" -q \"my clip.mp4\"", "sh", work.path, Fixtures.binary.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("my clip.framededupe/scenes.json").path))
    }

    @Test func pipeInputGivesTheSameScenes() throws {
        let nut = Fixtures.temporaryFolder("nut").appendingPathComponent("shots.nut")
        try Fixtures.ffmpeg(["-i", Fixtures.sample("shots-360p.mp4").path, "-c", "copy", "-f", "nut", nut.path])
        let fromPipe = Fixtures.temporaryFolder("pipe-out"), fromFile = Fixtures.temporaryFolder("file-out")
        let piped = try Fixtures.framededupe(["-", "-o", fromPipe.path, "-q"], stdin: nut)
        #expect(piped.status == 0, "stderr: \(piped.stderr)")
        #expect(try Fixtures.framededupe([nut.path, "-o", fromFile.path, "-q"]).status == 0)
        #expect(try Data(contentsOf: fromPipe.appendingPathComponent("scenes.csv")) == Data(contentsOf: fromFile.appendingPathComponent("scenes.csv")))
    }

    @Test func usageErrorsExitTwo() throws {
        for arguments in [["--fps", "abc", "x.mp4"], ["--ssim-threshold", "2", "x.mp4"], ["--no-such-option", "x.mp4"], [],
                          ["--scorer", "magic", "x.mp4"], ["embed", "--format", "npy", "-o", "-", "x.mp4"]] {
            let result = try Fixtures.framededupe(arguments)
            #expect(result.status == 2, "\(arguments) gave \(result.status): \(result.stderr)")
            #expect(!result.stderr.isEmpty)
        }
    }

    /// Negative numbers reach the range check; options that contradict each other or the input are refused; in
    /// every case status 2, one line naming the option and the rule, nothing read or written.
    @Test func negativeAndConflictingValuesNameTheOptionAndTheRule() throws {
        let clip = Fixtures.sample("shots-360p.mp4").path
        let work = Fixtures.temporaryFolder("conflicts")
        for (arguments, expected) in [
            (["--fps", "-1", clip], ["--fps", "positive"]), (["--start", "-5", clip], ["--start must be 0 to"]),
            (["-j", "-2", clip], ["-j must be 1 to 64"]), (["embed", "--start", "-1", clip], ["--start must be 0 to"]),
            (["--scorer", "ssim", "--embedding-threshold", "0.3", clip], ["--embedding-threshold", "--scorer ssim"]),
            (["--image-time", "exif", clip], ["--image-time exif", "a video"]),
            (["--keep", "scene", "--diversity", "0.3", clip], ["--diversity is for --keep diverse"]),
            (["--decode", "keyframes", "--fps", "all", clip], ["--fps all", "--decode intra"]),  // the former spelling still parses
            (["-o", work.path + "/out", clip, Fixtures.sample("revisit-360p.mp4").path], ["-o names the folder of one input", "--into"]),
            (["embed", clip, "-o", work.path + "/e.jsonl", "--format", "npy"], ["--format npy", "extension says jsonl"]),
            (["-", "--print0"], ["--format paths", "-o DIR"]),
        ] {
            let result = try Fixtures.framededupe(arguments)
            #expect(result.status == 2, "\(arguments) gave \(result.status): \(result.stderr)")
            let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
            #expect(expected.allSatisfy { first.contains($0) }, "\(arguments): \(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).isEmpty)
        // One rule for where results go: --into DIR puts one input's results in DIR/<name>/, as it would several.
        let into = try Fixtures.framededupe(["--into", work.path + "/train", "--scorer", "ssim", "-q", clip])
        #expect(into.status == 0, "stderr: \(into.stderr)")
        #expect(FileManager.default.fileExists(atPath: work.path + "/train/shots-360p/unique"))
        // A pipe to a pipe writes no ./stdin.framededupe/ unless -o or --into asks for a folder.
        let piped = try Fixtures.run("/bin/sh", ["-c", "cd \"$1\" && \"$2\" - -q --scorer ssim --print scenes --format csv < \"$3\"", "sh", work.path, Fixtures.binary.path, clip])
        #expect(piped.status == 0 && piped.stdout.hasPrefix("input,scene,"), "stderr: \(piped.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path) == ["train"])
    }

    /// Words: `--decode intra` for the codec's key frames (not the scenes' keyframes), counts in the singular.
    @Test func wordsSayWhatTheyMean() throws {
        let out = Fixtures.temporaryFolder("words")
        let still = try Fixtures.run(Fixtures.binary.path, [try Fixtures.heldStill().path, "--decode", "intra", "--scorer", "ssim", "-o", out.path],
                                     environment: ["COLUMNS": "200"])
        #expect(still.status == 0, "stderr: \(still.stderr)")
        #expect(still.stderr.contains(" → 1 scene → 1 cluster in ") && still.stderr.contains("unique/ holds 1 picture, one per cluster"), "stderr: \(still.stderr)")
        let help = try Fixtures.framededupe(["run", "--help"])
        #expect(help.stdout.contains("--decode <all|intra>"))
        // --stream naming the audio stream says so, and which streams are video.
        let audio = try Fixtures.framededupe([Fixtures.sample("bbb-720p.mp4").path, "--stream", "1", "--no-output", "--print", "scenes"])
        #expect(audio.status == 3 && audio.stderr.contains("stream #1 is audio, not video (video: #0)"), "stderr: \(audio.stderr)")
    }

    @Test func unreadableInputExitsThreeWithOneLine() throws {
        let folder = Fixtures.temporaryFolder("unreadable")
        let missing = folder.appendingPathComponent("nothing here.mp4").path
        let text = folder.appendingPathComponent("notes.txt")
        try Data(String(repeating: "plain text\n", count: 100).utf8).write(to: text)
        for (input, cause) in [(missing, "no such file"), (text.path, "not a video"), (folder.path, "folder without any image (1 other file)")] {
            let result = try Fixtures.framededupe([input, "-o", folder.appendingPathComponent("out").path])
            #expect(result.status == 3, "\(input): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(input) && lines[0].contains(cause), "stderr: \(result.stderr)")
        }
    }

    @Test func unwritableOutputExitsFour() throws {
        let folder = Fixtures.temporaryFolder("unwritable")
        let file = folder.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        // A folder inside a regular file cannot be created, even by root.
        let result = try Fixtures.framededupe([Fixtures.sample("shots-360p.mp4").path, "-o", file.appendingPathComponent("out").path])
        #expect(result.status == 4, "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("a-file/out"))
    }
}

@Suite("framededupe embed", .temporaryFolders)
struct EmbedCommandTests {
    @Test func npyWithSidecar() throws {
        let out = Fixtures.temporaryFolder("embed")
        let npy = out.appendingPathComponent("e.npy")
        let result = try Fixtures.framededupe(["embed", Fixtures.sample("revisit-360p.mp4").path, "-o", npy.path, "-q"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let bytes = [UInt8](try Data(contentsOf: npy))
        #expect(bytes.prefix(8) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let header = String(decoding: bytes[10..<128], as: UTF8.self)
        #expect(header.contains("'shape': (13, 1280)") && header.contains("'<f4'"))
        #expect(bytes.count == 128 + 13 * 1280 * 4)
        // Rows are unit vectors.
        let first = (0..<1280).map { i in bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 128 + 4 * i, as: Float.self) } }
        #expect(abs(first.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("e.npy.json"))) as? [String: Any])
        #expect((sidecar["frames"] as? [[String: Any]])?.count == 13)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["e.npy", "e.npy.json"])
    }

    @Test func jsonLinesToAClosedPipeEndsQuietly() throws {
        let result = try Fixtures.run("/bin/sh", ["-c", "\"$1\" embed -q -o - \"$2\" | head -n 1", "sh", Fixtures.binary.path,
                                                  Fixtures.sample("shots-360p.mp4").path])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty, "stderr: \(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect((object["embedding"] as? [Double])?.count == 1280)
        #expect(object["pts"] as? Int == 0)
    }

    /// `--progress` as for `run`: JSON events (start, finish with the frame count and the file), the line per input
    /// on a pipe with `auto`, nothing with `never`.
    @Test func progressModes() throws {
        let out = Fixtures.temporaryFolder("embed-progress")
        let sample = Fixtures.sample("revisit-360p.mp4").path
        let npy = out.appendingPathComponent("e.npy").path
        let events = try Fixtures.framededupe(["embed", sample, "-o", npy, "--progress", "jsonl"])
        #expect(events.status == 0, "stderr: \(events.stderr)")
        let objects = try events.stderr.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not JSON: \($0)")
        }
        #expect(objects.first?["event"] as? String == "start" && objects.first?["input"] as? String == sample)
        let finish = try #require(objects.last)
        #expect(finish["event"] as? String == "finish")
        #expect(finish["frames"] as? Int == 13 && finish["output"] as? String == npy && finish["complete"] as? Bool == true)

        let line = try Fixtures.framededupe(["embed", sample, "-o", npy, "--progress", "auto"])
        #expect(line.status == 0 && line.stderr.contains("13 frames embedded in") && line.stderr.hasSuffix("→ \(npy)\n"), "stderr: \(line.stderr)")
        let never = try Fixtures.framededupe(["embed", sample, "-o", npy, "--progress", "never"])
        #expect(never.status == 0 && never.stderr.isEmpty, "stderr: \(never.stderr)")
    }

    @Test func missingModelSaysWhatToRun() throws {
        let result = try Fixtures.framededupe(["embed", Fixtures.sample("shots-360p.mp4").path, "--model", "/nonexistent/model.safetensors", "-o", "/tmp/x.npy"])
        #expect(result.status == 3)
        // Run from the build folder, the binary has no fetch script beside it: the source's make target is named.
        #expect(result.stderr.contains("make model") && result.stderr.contains("--scorer ssim needs no weights"), "stderr: \(result.stderr)")
    }
}

/// Two parsed JSON values are equal, numbers within `tolerance` (booleans are numbers 0 and 1 here).
private func sameWithin(_ tolerance: Double, _ a: Any, _ b: Any) -> Bool {
    switch (a, b) {
    case let (x as [String: Any], y as [String: Any]):
        return x.keys.sorted() == y.keys.sorted() && x.allSatisfy { key, value in sameWithin(tolerance, value, y[key]!) }
    case let (x as [Any], y as [Any]):
        return x.count == y.count && zip(x, y).allSatisfy { sameWithin(tolerance, $0, $1) }
    case let (x as NSNumber, y as NSNumber):
        return abs(x.doubleValue - y.doubleValue) <= tolerance
    case let (x as String, y as String):
        return x == y
    case (is NSNull, is NSNull):
        return true
    default:
        return false
    }
}
