import Foundation
import Testing
import _FrameDedupeTestSupport

/// SIGINT and SIGTERM sent to the real binary mid-run: valid partial results, exit 130 / 143.
@Suite("Interrupting a run", .temporaryFolders)
struct InterruptTests {

    private func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func sigintWritesValidPartialResultsAndExits130() throws {
        let work = Fixtures.temporaryFolder("sigint")
        let out = work.appendingPathComponent("out"), stats = work.appendingPathComponent("stats.csv")
        let log = work.appendingPathComponent("stderr.txt")
        let process = try Fixtures.startFramededupe([try Fixtures.longClip().path, "-o", out.path, "--stats", stats.path], stderr: log)
        // Mid-run: some 20 s of the 120 s input scored (the stats file grows frame by frame, under a temporary
        // name until the run ends).
        let growing = work.appendingPathComponent(".stats.csv.tmp-\(process.processIdentifier)")
        Fixtures.wait { ((try? String(contentsOf: growing, encoding: .utf8))?.split(separator: "\n").count ?? 0) > 40 }
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        let stderr = try String(contentsOf: log, encoding: .utf8)
        #expect(stderr.contains("SIGINT: finishing the frames in flight"), "stderr: \(stderr)")

        let scenes = try json(out.appendingPathComponent("scenes.json")), clusters = try json(out.appendingPathComponent("clusters.json"))
        #expect(scenes["complete"] as? Bool == false && clusters["complete"] as? Bool == false)
        let until = try #require(scenes["analysed_until"] as? Double)
        #expect(until > 19 && until < 118, "analysed until \(until) s")
        let frames = try #require(scenes["frames"] as? [[String: Any]]), list = try #require(scenes["scenes"] as? [[String: Any]])
        #expect(frames.count >= 40 && (frames.last?["time"] as? Double ?? .infinity) < until)
        // The stats file is complete for what was analysed: a row per frame of scenes.json.
        #expect(try String(contentsOf: stats, encoding: .utf8).split(separator: "\n").count == frames.count + 1)
        // Scenes tile the analysed span, each with its keyframe image on disk; clusters name only these scenes.
        #expect(list.first?["start"] as? Double == 0 && list.last?["end"] as? Double == until)
        for (a, b) in zip(list, list.dropFirst()) { #expect(a["end"] as? Double == b["start"] as? Double) }
        for scene in list {
            let path = try #require((scene["keyframe"] as? [String: Any])?["path"] as? String)
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(path).path))
        }
        let clustered = ((clusters["clusters"] as? [[String: Any]]) ?? []).flatMap { ($0["scenes"] as? [Int]) ?? [] }
        #expect(Set(clustered) == Set(list.compactMap { $0["id"] as? Int }.filter { id in list[id]["transition"] as? Bool == false }))
        #expect((scenes["warnings"] as? [String])?.contains { $0.hasPrefix("interrupted") } == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).allSatisfy { !$0.hasPrefix(".framededupe-staging") })
    }

    @Test func sigtermStopsABatchAndExits143() throws {
        let work = Fixtures.temporaryFolder("sigterm")
        let out = work.appendingPathComponent("out"), log = work.appendingPathComponent("stderr.txt")
        let short = work.appendingPathComponent("short.mp4")
        try FileManager.default.copyItem(at: Fixtures.sample("revisit-360p.mp4"), to: short)
        let long = work.appendingPathComponent("long.mp4")
        try FileManager.default.copyItem(at: try Fixtures.longClip(), to: long)
        let process = try Fixtures.startFramededupe([long.path, short.path, "--into", out.path], stderr: log)
        // Mid-run: a few scenes of the long input closed (their keyframes are in its checkpoint, see ResumeCheckpointTests).
        let keyframes = out.appendingPathComponent("long/.framededupe-checkpoint/keyframes")
        Fixtures.wait { ((try? FileManager.default.contentsOfDirectory(atPath: keyframes.path))?.filter { !$0.hasPrefix(".") }.count ?? 0) >= 4 }
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 143)
        let stderr = try String(contentsOf: log, encoding: .utf8)
        #expect(stderr.contains("2 inputs: 0 analysed, 0 skipped (complete results already there), 0 failed, 1 interrupted (partial results), 1 not started (stopped by a signal)"),
                "stderr: \(stderr)")
        #expect(try json(out.appendingPathComponent("long/scenes.json"))["complete"] as? Bool == false)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("short").path), "no input starts after the signal")
    }
}
