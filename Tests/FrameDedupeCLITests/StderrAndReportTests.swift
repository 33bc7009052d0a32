import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import _FrameDedupeTestSupport

/// Progress, logging, report.html and resume with --print, through the built binary.
@Suite("framededupe progress, log, report and resume", .temporaryFolders)
struct StderrAndReportTests {
    private var clip: String { Fixtures.sample("shots-360p.mp4").path }

    private func events(_ stderr: String) throws -> [[String: Any]] {
        try stderr.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
        }
    }

    @Test func jsonlProgressEvents() throws {
        let out = Fixtures.temporaryFolder("jsonl")
        let result = try Fixtures.framededupe([clip, "-o", out.path, "--progress", "jsonl"])
        #expect(result.status == 0 && result.stdout.isEmpty, "stderr: \(result.stderr)")
        let all = try events(result.stderr)
        #expect(all.count == result.stderr.split(separator: "\n").count, "every stderr line is an event: \(result.stderr)")
        #expect(all.first?["event"] as? String == "start" && all.first?["input"] as? String == clip)
        let progress = all.filter { $0["event"] as? String == "progress" }
        #expect(!progress.isEmpty)
        for e in progress {
            for key in ["input", "position", "duration", "frames", "scenes", "fps", "eta"] { #expect(e.keys.contains(key), "\(key) missing in \(e)") }
            #expect((e["duration"] as? Double) == 10)
        }
        let positions = progress.compactMap { $0["position"] as? Double }
        #expect(positions == positions.sorted())
        let finish = try #require(all.last)
        #expect(finish["event"] as? String == "finish")
        #expect(finish["frames"] as? Int == 21 && finish["scenes"] as? Int == 3 && finish["clusters"] as? Int == 3 && finish["complete"] as? Bool == true)
        #expect(finish["output"] as? String == out.path)
    }

    @Test func jsonlErrorSkipAndSummaryEventsInABatch() throws {
        let work = Fixtures.temporaryFolder("jsonl-batch")
        let bad = work.appendingPathComponent("bad.mp4")
        try Data("not a video".utf8).write(to: bad)
        let out = work.appendingPathComponent("out")
        let first = try Fixtures.framededupe(["--into", out.path, "--progress", "jsonl", clip, bad.path])
        #expect(first.status == 5)
        let all = try events(first.stderr)
        let error = try #require(all.first { $0["event"] as? String == "error" })
        #expect(error["input"] as? String == bad.path && error["status"] as? Int == 3 && (error["message"] as? String)?.contains("not a video") == true)
        let summary = try #require(all.last)
        #expect(summary["event"] as? String == "summary" && summary["inputs"] as? Int == 2 && summary["analysed"] as? Int == 1 && summary["failed"] as? Int == 1)
        let again = try Fixtures.framededupe(["--into", out.path, "--progress", "jsonl", clip, bad.path])
        #expect(try events(again.stderr).contains { $0["event"] as? String == "skip" && $0["input"] as? String == clip }, "stderr: \(again.stderr)")
    }

    /// stderr on a pseudo-terminal (`script`): auto and always draw a bar, never does not.
    @Test(arguments: [("auto", true), ("always", true), ("never", false)])
    func aBarOnATerminal(mode: String, drawn: Bool) throws {
        let out = Fixtures.temporaryFolder("tty")
        let command = "'\(Fixtures.binary.path)' '\(clip)' -o '\(out.path)' --progress \(mode)"
        let result = try Fixtures.run("script", ["-qec", command, "/dev/null"])
        #expect(result.status == 0, "output: \(result.stdout)")
        #expect(result.stdout.contains("\u{1B}[K") == drawn, "output: \(result.stdout.debugDescription)")
        #expect(result.stdout.contains("ETA") == drawn && result.stdout.contains("frames/s") == drawn, "output: \(result.stdout.debugDescription)")
        // The line per input comes with the bar; `never` leaves only warnings and errors.
        #expect(result.stdout.contains("21 frames → 3 scenes → 3 clusters in") == drawn, "the summary line: \(result.stdout.debugDescription)")
    }

    @Test func noBarWhenStderrIsNotATerminal() throws {
        let result = try Fixtures.framededupe([clip, "--no-output", "--print", "unique", "--format", "timestamps"])
        #expect(result.status == 0)
        #expect(!result.stderr.contains("\r") && !result.stderr.contains("\u{1B}") && !result.stderr.contains("ETA"), "stderr: \(result.stderr.debugDescription)")
        #expect(result.stderr.contains("21 frames → 3 scenes → 3 clusters in"))
        let always = try Fixtures.framededupe([clip, "--no-output", "--progress", "always"])
        #expect(always.stderr.contains("\r\u{1B}[K") && always.stderr.contains("ETA"), "always draws even into a pipe")
        let quiet = try Fixtures.framededupe([clip, "--no-output", "--progress", "always", "-q"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "-q implies never: \(quiet.stderr.debugDescription)")
    }

    @Test func verbosityLevels() throws {
        let normal = try Fixtures.framededupe([clip, clip, "--no-output"])
        #expect(normal.status == 0 && normal.stdout.isEmpty)
        #expect(normal.stderr.contains("framededupe: \(clip): warning: given more than once; analysed once"), "stderr: \(normal.stderr)")
        #expect(!normal.stderr.contains("scene 1 at") && !normal.stderr.contains("packets,"))
        let quiet = try Fixtures.framededupe([clip, clip, "--no-output", "-q"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "-q: errors only: \(quiet.stderr)")
        let verbose = try Fixtures.framededupe([clip, "--no-output", "-v"])
        #expect(verbose.stderr.contains("framededupe: \(clip): mov,mp4,m4a,3gp,3g2,mj2 / h264 640x360"), "stderr: \(verbose.stderr)")
        #expect(verbose.stderr.contains("framededupe: \(clip): ") && verbose.stderr.contains("21 frames sampled"))
        #expect(!verbose.stderr.contains("scene 1 at"))
        let debug = try Fixtures.framededupe([clip, "--no-output", "-vv"])
        #expect(debug.stdout.isEmpty)
        #expect(debug.stderr.contains("framededupe: \(clip): scene 1 at 3.000 s") && debug.stderr.contains("calibrated cut: change from the previous frame"), "stderr: \(debug.stderr)")
        #expect(try Fixtures.framededupe([clip, "-q", "-v"]).status == 2)
    }

    @Test func reportIsOneSelfContainedPage() throws {
        let out = Fixtures.temporaryFolder("report")
        let input = try Fixtures.returningShots().path
        #expect(try Fixtures.framededupe([input, "-o", out.path, "-q"]).status == 0)
        let url = out.appendingPathComponent("report.html")
        let html = try String(contentsOf: url, encoding: .utf8)
        let scenes = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("scenes.json"))) as? [String: Any])
        let sceneCount = try #require(scenes["scenes"] as? [Any]).count
        let parsed = try ReportElements(url)
        #expect(parsed.wellFormed, "XMLParser: \(parsed.error ?? "")")
        #expect(parsed.sceneBars == sceneCount && sceneCount == 5)
        #expect(parsed.thumbnails == sceneCount, "a thumbnail per scene (none is a transition)")
        #expect(parsed.polylines >= 2 && parsed.thresholdLines >= 3 && parsed.mapPoints == sceneCount)
        #expect(!html.contains("<script") && !html.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("://"), "nothing to fetch")
        let none = Fixtures.temporaryFolder("no-report")
        #expect(try Fixtures.framededupe([input, "-o", none.path, "-q", "--no-report"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: none.appendingPathComponent("report.html").path))
        // Resume counts the report: a folder without it is analysed again when a report is asked for.
        let rerun = try Fixtures.framededupe([input, "-o", none.path])
        #expect(!rerun.stderr.contains("skipped") && FileManager.default.fileExists(atPath: none.appendingPathComponent("report.html").path), "stderr: \(rerun.stderr)")
        #expect(try Fixtures.framededupe([input, "-o", none.path]).stderr.contains("skipped"))
    }

    /// A skipped input prints what an analysis prints.
    @Test(arguments: [("scenes", "jsonl"), ("scenes", "json"), ("clusters", "csv"), ("unique", "paths"), ("keyframes", "tsv"), ("scenes", "chapters"), ("unique", "ffconcat"), ("unique", "select"), ("scenes", "timestamps")])
    func resumedInputsPrintTheirSavedResults(results: String, format: String) throws {
        let out = Fixtures.temporaryFolder("resume-print")
        let input = try Fixtures.returningShots().path
        let print = ["--print", results, "--format", format]
        let analysed = try Fixtures.framededupe([input, "-o", out.path, "--force"] + print)
        #expect(analysed.status == 0 && !analysed.stderr.contains("skipped"), "stderr: \(analysed.stderr)")
        let resumed = try Fixtures.framededupe([input, "-o", out.path] + print)
        #expect(resumed.status == 0 && resumed.stderr.contains("skipped"), "stderr: \(resumed.stderr)")
        #expect(resumed.stdout == analysed.stdout)
        #expect(!resumed.stdout.isEmpty)
    }

    @Test func resumedDiverseImagesPrintTheSame() throws {
        let out = Fixtures.temporaryFolder("resume-diverse")
        let input = try Fixtures.slowZoomAndPan().path
        let print = ["--keep", "diverse", "--print", "unique", "--format", "jsonl"]
        let analysed = try Fixtures.framededupe([input, "-o", out.path, "-q"] + print)
        let resumed = try Fixtures.framededupe([input, "-o", out.path] + print)
        #expect(resumed.stderr.contains("skipped") && resumed.stdout == analysed.stdout, "\(resumed.stdout) vs \(analysed.stdout)")
        #expect(analysed.stdout.split(separator: "\n").count > 1)
    }

    @Test func lineperInputStaysOneLineWhateverTheName() throws {
        let work = Fixtures.temporaryFolder("newline")
        let odd = work.appendingPathComponent("two\nlines.mp4"), plain = work.appendingPathComponent("plain.mp4")
        try FileManager.default.copyItem(at: Fixtures.sample("shots-360p.mp4"), to: odd)
        try FileManager.default.copyItem(at: Fixtures.sample("revisit-360p.mp4"), to: plain)
        let result = try Fixtures.framededupe(["--into", work.appendingPathComponent("out").path, odd.path, plain.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 3, "one line per input and the summary: \(result.stderr.debugDescription)")
        #expect(lines.contains { $0.hasPrefix(work.path + "/two\\nlines.mp4: 21 frames") }, "\(lines)")
        let again = try Fixtures.framededupe(["--into", work.appendingPathComponent("out").path, odd.path, plain.path])
        #expect(again.stderr.split(separator: "\n").count == 3 && again.stderr.contains("two\\nlines.mp4: complete results"), "\(again.stderr.debugDescription)")
    }
}

/// What the report holds, as `XMLParser` reads it (the page is XHTML).
private final class ReportElements: NSObject, XMLParserDelegate {
    var wellFormed = false
    var error: String?
    var sceneBars = 0, thumbnails = 0, polylines = 0, thresholdLines = 0, mapPoints = 0

    init(_ url: URL) throws {
        super.init()
        let parser = XMLParser(data: try Data(contentsOf: url))
        parser.delegate = self
        wellFormed = parser.parse()
        error = parser.parserError.map { "\($0)" }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        let kind = attributes["class"]
        switch (name, kind) {
        case ("rect", "scene"): sceneBars += 1
        case ("img", _) where attributes["src"]?.hasPrefix("data:image/jpeg;base64,") == true: thumbnails += 1
        case ("polyline", "curve"): polylines += 1
        case ("line", "threshold"): thresholdLines += 1
        case ("circle", "point"): mapPoints += 1
        default: break
        }
    }
}
