import Foundation
import Testing
import _FrameDedupeTestSupport

/// `--print` through the built binary, read back by the real ffmpeg and ffprobe.
@Suite("--print: results on standard output, for pipes and ffmpeg", .temporaryFolders)
struct PipeOutputTests {
    /// Runs a bash script (`$1`, `$2`… are `arguments`); bash for `PIPESTATUS`.
    private func bash(_ script: String, _ arguments: [String]) throws -> Fixtures.Result {
        try Fixtures.run("/bin/bash", ["-c", script, "bash"] + arguments)
    }

    private func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    /// `ffprobe` of the first video stream: its decoded frame count and duration in seconds.
    private func probeFrames(_ url: URL) throws -> (frames: Int, duration: Double) {
        let result = try Fixtures.run("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                  "-show_entries", "stream=nb_read_frames:format=duration", "-of", "default=nw=1", url.path])
        #expect(result.status == 0, "ffprobe: \(result.stderr)")
        var values: [String: String] = [:]
        for line in lines(result.stdout) {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        return (Int(values["nb_read_frames"] ?? "") ?? -1, Double(values["duration"] ?? "") ?? -1)
    }

    @Test func ffmpegPipesIntoPrintUniqueTimestamps() throws {
        let out = Fixtures.temporaryFolder("pipe-ts")
        // A real pipe between two processes: ffmpeg re-encodes the sample to NUT on its stdout.
        let result = try bash("ffmpeg -nostdin -v error -i \"$1\" -f nut - | \"$2\" - --print unique --format timestamps -q -o \"$3\"; exit ${PIPESTATUS[1]}",
                              [Fixtures.sample("shots-360p.mp4").path, Fixtures.binary.path, out.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty, "stderr: \(result.stderr)")
        let times = lines(result.stdout)
        // One exemplar per shot (0–3 s, 3–6 s, 6–10 s), in seconds with exactly three decimals.
        #expect(times.count == 3, "stdout: \(result.stdout)")
        #expect(times.allSatisfy { $0.wholeMatch(of: /\d+\.\d{3}/) != nil })
        let seconds = times.compactMap(Double.init)
        #expect(seconds.count == 3 && (0..<3).contains(seconds[0]) && (3..<6).contains(seconds[1]) && (6..<10).contains(seconds[2]))
        // The same frames as the exemplars in clusters.json (whose times are exact).
        let clusters = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("clusters.json"))) as? [String: Any])
        let exemplars = ((clusters["clusters"] as? [[String: Any]]) ?? []).compactMap { ($0["exemplar"] as? [String: Any])?["time"] as? Double }
        #expect(exemplars.map { String(format: "%.3f", ($0 * 1000 + 1e-4).rounded(.down) / 1000) } == times)
    }

    @Test func ffconcatListGivesTheDeduplicatedCut() throws {
        let work = Fixtures.temporaryFolder("ffconcat")
        let list = work.appendingPathComponent("unique cut.ffconcat")  // a space: the list is passed as one argument
        let result = try bash("\"$1\" \"$2\" -q -o \"$3\" --print unique --format ffconcat > \"$4\"",
                              [Fixtures.binary.path, try Fixtures.returningShots().path, work.appendingPathComponent("r").path, list.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let text = try String(contentsOf: list, encoding: .utf8)
        #expect(text.hasPrefix("ffconcat version 1.0\n"))
        // A B A C B: the cut keeps the first A, the first B and C (one scene per cluster), in time order.
        let points = lines(text).filter { $0.hasPrefix("inpoint ") || $0.hasPrefix("outpoint ") }.compactMap { Double($0.split(separator: " ")[1]) }
        #expect(points == [0, 2, 2, 4, 6, 8], "list: \(text)")
        let expected = stride(from: 0, to: points.count, by: 2).map { points[$0 + 1] - points[$0] }.reduce(0, +)

        // Re-encoded, with the demuxer's segment times passed to select: exactly the frames of each segment.
        let cut = work.appendingPathComponent("cut.mp4")
        try Fixtures.ffmpeg(["-f", "concat", "-safe", "0", "-segment_time_metadata", "1", "-i", list.path,
                             "-vf", "select=concatdec_select", "-c:v", "libx264", "-pix_fmt", "yuv420p", cut.path])
        let encoded = try probeFrames(cut)
        #expect(abs(encoded.duration - expected) <= 2.0 / 25, "lasts \(encoded.duration) s, segments sum to \(expected) s")
        #expect(abs(encoded.frames - Int((expected * 25).rounded())) <= 2, "\(encoded.frames) frames")

        // Stream copy, as the README shows it: decodes, and differs by at most a frame or two per segment
        // (packets are cut by decoding time, so B-frames can carry past an outpoint).
        let copied = work.appendingPathComponent("copy.mp4")
        try Fixtures.ffmpeg(["-f", "concat", "-safe", "0", "-i", list.path, "-c", "copy", copied.path])
        let copy = try probeFrames(copied)
        #expect(copy.frames > 0 && abs(copy.duration - expected) <= 3 * 2.0 / 25, "copy lasts \(copy.duration) s, segments sum to \(expected) s")
    }

    @Test func selectExpressionExtractsExactlyTheFrames() throws {
        // The video starts 1.521 s after the file (an audio track comes first): the expression is on ffmpeg's timeline.
        let clip = try Fixtures.lateVideo()
        let work = Fixtures.temporaryFolder("select")
        let printed = try Fixtures.framededupe([clip.path, "-q", "-o", work.appendingPathComponent("r").path, "--print", "keyframes", "--format", "select"])
        #expect(printed.status == 0, "stderr: \(printed.stderr)")
        let expression = printed.stdout.trimmingCharacters(in: .newlines)
        #expect(!expression.isEmpty && !expression.contains("\n"))
        let times = try Fixtures.framededupe([clip.path, "-q", "--no-output", "--print", "keyframes", "--format", "timestamps"])
        #expect(times.status == 0, "stderr: \(times.stderr)")
        let expected = lines(times.stdout).compactMap(Double.init)
        #expect(expected.count == 5 && abs(expected[0] - 1.521) < 0.002, "timestamps: \(times.stdout)")

        // Which frames pass: showinfo prints each one's time.
        let shown = try Fixtures.run("ffmpeg", ["-nostdin", "-hide_banner", "-i", clip.path, "-vf", "select='\(expression)',showinfo", "-f", "null", "-"])
        #expect(shown.status == 0, "ffmpeg: \(shown.stderr)")
        let passed = shown.stderr.matches(of: /pts_time:([0-9.]+)/).compactMap { Double($0.1) }
        #expect(passed.count == expected.count, "passed \(passed), expected \(expected)")
        #expect(zip(passed, expected).allSatisfy { abs($0 - $1) < 0.001 }, "passed \(passed), expected \(expected)")

        // As -vf with setpts: exactly one image per keyframe.
        let images = work.appendingPathComponent("keyframes", isDirectory: true)
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try Fixtures.ffmpeg(["-i", clip.path, "-vf", "select='\(expression)',setpts=N/FRAME_RATE/TB", images.appendingPathComponent("%03d.png").path])
        #expect(try FileManager.default.contentsOfDirectory(atPath: images.path).count == 5)

        // --select-file: a filter script for -filter_script:v, of the unique images (3 clusters) when there is no --print.
        let scripted = try Fixtures.framededupe([clip.path, "-q", "--no-output", "--select-file", work.appendingPathComponent("unique.txt").path])
        #expect(scripted.status == 0 && scripted.stdout.isEmpty, "stderr: \(scripted.stderr)")
        let script = try String(contentsOf: work.appendingPathComponent("unique.txt"), encoding: .utf8)
        #expect(script.hasPrefix("select='") && script.hasSuffix("',setpts=N/FRAME_RATE/TB\n"))
        let unique = work.appendingPathComponent("unique", isDirectory: true)
        try FileManager.default.createDirectory(at: unique, withIntermediateDirectories: true)
        try Fixtures.ffmpeg(["-i", clip.path, "-filter_script:v", work.appendingPathComponent("unique.txt").path, unique.appendingPathComponent("%03d.png").path])
        #expect(try FileManager.default.contentsOfDirectory(atPath: unique.path).count == 3)
    }

    @Test func chaptersAreAcceptedAndListedByFFprobe() throws {
        let work = Fixtures.temporaryFolder("chapters")
        let clip = try Fixtures.returningShots()
        let metadata = work.appendingPathComponent("chapters.txt")
        let result = try bash("\"$1\" \"$2\" -q --no-output --print scenes --format chapters > \"$3\"", [Fixtures.binary.path, clip.path, metadata.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try String(contentsOf: metadata, encoding: .utf8).hasPrefix(";FFMETADATA1\n"))
        let out = work.appendingPathComponent("with chapters.mkv")
        try Fixtures.ffmpeg(["-i", clip.path, "-i", metadata.path, "-map_metadata", "1", "-c", "copy", out.path])
        let probe = try Fixtures.run("ffprobe", ["-v", "error", "-show_chapters", "-of", "json", out.path])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(probe.stdout.utf8)) as? [String: Any])
        let chapters = try #require(json["chapters"] as? [[String: Any]])
        #expect(chapters.count == 5)
        #expect(chapters.compactMap { ($0["start_time"] as? String).flatMap(Double.init) } == [0, 2, 4, 6, 8])
        #expect(chapters.compactMap { ($0["tags"] as? [String: Any])?["title"] as? String }
                == ["Scene 0 (cluster 0)", "Scene 1 (cluster 1)", "Scene 2 (cluster 0)", "Scene 3 (cluster 2)", "Scene 4 (cluster 1)"])
    }

    @Test func closingThePipeEarlyEndsQuietly() throws {
        let sample = Fixtures.sample("shots-360p.mp4").path
        let out = Fixtures.temporaryFolder("head")
        let head = try bash("\"$1\" \"$2\" -o \"$3\" --print scenes | head -n 1; exit ${PIPESTATUS[0]}", [Fixtures.binary.path, sample, out.appendingPathComponent("a").path])
        #expect(head.status == 0, "stderr: \(head.stderr)")
        #expect(head.stderr.isEmpty, "stderr: \(head.stderr)")
        #expect(lines(head.stdout).count == 1)
        // A reader that is gone before the first scene closes: the run stops at its first write, quietly.
        let gone = try bash("\"$1\" \"$2\" -o \"$3\" --print scenes | true; exit ${PIPESTATUS[0]}", [Fixtures.binary.path, sample, out.appendingPathComponent("b").path])
        #expect(gone.status == 0 && gone.stderr.isEmpty, "status \(gone.status), stderr: \(gone.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("b/scenes.json").path), "stopped before the end")
        // The same at the end of a run (image paths are printed after the folder is in place).
        let late = try bash("\"$1\" \"$2\" -o \"$3\" --print keyframes | true; exit ${PIPESTATUS[0]}", [Fixtures.binary.path, sample, out.appendingPathComponent("c").path])
        #expect(late.status == 0 && late.stderr.isEmpty, "status \(late.status), stderr: \(late.stderr)")
    }

    /// `ffmpeg -re` sends the 10 s clip in real time: each scene's line must arrive while it is still coming.
    @Test func sceneLinesStreamBeforeTheInputEnds() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "ffmpeg -nostdin -v error -re -i \"$1\" -c copy -f nut - | \"$2\" - -q -o -", "bash",
                             try Fixtures.returningShots().path, Fixtures.binary.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let began = Date()
        try process.run()
        var arrivals: [Double] = []
        var text = Data()
        while case let chunk = out.fileHandleForReading.availableData, !chunk.isEmpty {
            text += chunk
            while arrivals.count < text.filter({ $0 == UInt8(ascii: "\n") }).count { arrivals.append(Date().timeIntervalSince(began)) }
        }
        let ended = Date().timeIntervalSince(began)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let scenes = lines(String(decoding: text, as: UTF8.self)).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(scenes.compactMap { $0["start"] as? Double } == [0, 2, 4, 6, 8])
        #expect(scenes.allSatisfy { $0["cluster"] == nil }, "clusters are known only at the end")
        // Scene 0 closes when the frame at 2.5 s has come (one frame of lookahead), ~7 s before the input ends.
        let first = try #require(arrivals.first)
        #expect(first < ended - 4, "first line after \(first) s of \(ended) s")
    }

    @Test func recordFormatsForScripts() throws {
        let sample = Fixtures.sample("shots-360p.mp4").path
        let work = Fixtures.temporaryFolder("records")
        let out = work.appendingPathComponent("out dir").path

        let json = try Fixtures.framededupe([sample, "-q", "-o", out, "--print", "clusters", "--format", "json"])
        #expect(json.status == 0, "stderr: \(json.stderr)")
        let clusters = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(clusters.count == 3 && clusters.allSatisfy { $0["input"] as? String == sample })
        // Image paths open from the current directory: the output folder comes first.
        for cluster in clusters {
            let path = try #require((cluster["exemplar"] as? [String: Any])?["path"] as? String)
            #expect(path.hasPrefix(out + "/unique/") && FileManager.default.fileExists(atPath: path))
        }

        let csv = try Fixtures.framededupe([sample, "-q", "-o", out, "--print", "scenes", "--format", "csv"])
        #expect(lines(csv.stdout).first == "input,scene,cluster,start,end,frames,transition,keyframe_time,keyframe_pts,keyframe_path")
        #expect(lines(csv.stdout).count == 4)
        // A path with a space is no problem in CSV; a tab in TSV would be escaped.
        let tsv = try Fixtures.framededupe([sample, "-q", "-o", out, "--print", "unique", "--format", "tsv"])
        let rows = lines(tsv.stdout).map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.first?.last == "source", "unique's columns end with source (empty for a video)")
        #expect(rows.count == 4 && rows.allSatisfy { $0.count == 10 })

        let nul = try Fixtures.framededupe([sample, "-q", "-o", out, "--print0"])
        let paths = nul.stdout.split(separator: "\0").map(String.init)
        #expect(nul.stdout.hasSuffix("\0") && !nul.stdout.contains("\n"))
        #expect(paths.count == 3 && paths.allSatisfy { $0.hasPrefix(out + "/unique/cluster-") && FileManager.default.fileExists(atPath: $0) })

        // -o -: scenes as JSON Lines, and no folder anywhere.
        let cwd = Fixtures.temporaryFolder("no-folder")
        let dash = try bash("cd \"$1\" && \"$2\" -q -o - \"$3\"", [cwd.path, Fixtures.binary.path, sample])
        #expect(dash.status == 0 && lines(dash.stdout).count == 3, "stderr: \(dash.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd.path).isEmpty)
    }

    @Test func impossibleCombinationsAreUsageErrors() throws {
        let sample = Fixtures.sample("shots-360p.mp4").path
        for arguments in [["--print", "clusters", "--format", "chapters"], ["--print", "unique", "--no-output"], ["-o", "-", "--print", "keyframes"],
                          ["--print", "scenes", "--format", "csv", "--print0"], ["--format", "csv"], ["--print", "scenes", "--format", "pdf"]] {
            let result = try Fixtures.framededupe([sample] + arguments)
            #expect(result.status == 2, "\(arguments) gave \(result.status): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let stdin = try Fixtures.framededupe(["-", "--print", "unique", "--format", "ffconcat"], stdin: URL(fileURLWithPath: sample))
        #expect(stdin.status == 2 && stdin.stderr.contains("standard input"))
    }
}
