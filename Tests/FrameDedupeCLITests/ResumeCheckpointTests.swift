import Foundation
import Testing
import _FrameDedupeTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `--resume` (issue 7): the real binary killed with SIGKILL at seeded random moments and at planned points
/// (while an image is written, mid-record, while the results are moved into place, right at the end), then
/// resumed, gives every output file byte for byte as a run that was never stopped; a torn checkpoint record
/// is dropped; a checkpoint made with other options is discarded, with a line saying so.
@Suite("Resuming a killed run from its checkpoint", .temporaryFolders, .serialized)
struct ResumeCheckpointTests {
    /// Small batches and `--keep diverse`, so that a 10 s clip logs many batches, scenes and candidate images.
    static let options = ["--keep", "diverse", "--batch", "2", "-q"]
    static var input: String { Fixtures.sample("shots-360p.mp4").path }

    /// The results of a run that was never stopped, every file's bytes by path (made once per options).
    private static func clean(_ options: [String]) throws -> [String: Data] {
        if let known = CleanResults.shared.get(options) { return known }
        let out = Fixtures.temporaryFolder("resume-clean").appendingPathComponent("out")
        let run = try BoundedRun(Fixtures.binary.path, [input, "-o", out.path] + options)
        try run.expectFinished()
        try #require(run.status == 0, "stderr: \(run.stderr)")
        let snapshot = try OutputCheck.snapshot(out)
        CleanResults.shared.set(options, snapshot)
        return snapshot
    }

    /// Clean runs' results by options, made once per test process.
    final class CleanResults: @unchecked Sendable {
        static let shared = CleanResults()
        private let lock = NSLock()
        private var results: [[String]: [String: Data]] = [:]
        func get(_ options: [String]) -> [String: Data]? { lock.withLock { results[options] } }
        func set(_ options: [String], _ snapshot: [String: Data]) { lock.withLock { results[options] = snapshot } }
    }

    /// Runs the binary into `out` and kills it with SIGKILL after `seconds`; true if it was killed (not finished first).
    private func killAfter(_ seconds: Double, out: URL, arguments: [String]) throws -> Bool {
        let run = try BoundedRun(Fixtures.binary.path, [Self.input, "-o", out.path] + arguments, timeLimit: seconds)
        return run.timedOut && run.signal == SIGKILL
    }

    /// Runs the binary into `out` with `FRAMEDEDUPE_TEST_KILL=plan`: it kills itself with SIGKILL there. Every batch
    /// of embeddings is logged (`FRAMEDEDUPE_CHECKPOINT_RECOMPUTE=0`; by default only a long scene's are), so that
    /// the log holds many records and the resumed run reads embeddings back.
    private func killAt(_ plan: String, out: URL, arguments: [String], environment: [String] = []) throws -> BoundedRun {
        let run = try BoundedRun(["/usr/bin/env", "FRAMEDEDUPE_TEST_KILL=\(plan)", "FRAMEDEDUPE_CHECKPOINT_RECOMPUTE=0"] + environment
                                 + [Fixtures.binary.path, Self.input, "-o", out.path] + arguments)
        try #require(!run.timedOut, "hung: \(plan)")
        return run
    }

    private func resume(_ out: URL, arguments: [String] = ResumeCheckpointTests.options, environment: [String] = []) throws -> BoundedRun {
        let run = try BoundedRun(["/usr/bin/env"] + environment + [Fixtures.binary.path, Self.input, "-o", out.path, "--resume"] + arguments)
        try run.expectFinished()
        return run
    }

    private var checkpointName: String { ".framededupe-checkpoint" }

    @Test func killedAnywhereThenResumedGivesTheSameResults() throws {
        let clean = try Self.clean(Self.options)
        #expect(clean.keys.contains { $0.hasPrefix("unique/") } && !clean.keys.contains { $0.hasPrefix(checkpointName) })
        var random = SplitMix64(state: 20261121)
        // Planned points first (each must find the process there), then random moments over a run's length.
        var resumedFromScenes = 0
        // The last one with the log compacted at every scene's close (normally past 64 MB of dead embeddings), and with
        // every scene's keyframe state in the log: at 360p the others hold it in memory, and the resumed run computes
        // it again from the keyframes' frames.
        let planned = [("image:3", false), ("record:9", false), ("commit:1", false), ("end:1", false), ("image:1", false), ("record:14", true)]
        for (plan, compacting) in planned {
            let environment = compacting ? ["FRAMEDEDUPE_CHECKPOINT_COMPACT=1", "FRAMEDEDUPE_CHECKPOINT_HELD=0"] : []
            let out = Fixtures.temporaryFolder("resume-kill").appendingPathComponent("out")
            let killed = try killAt(plan, out: out, arguments: Self.options, environment: environment)
            #expect(killed.signal == SIGKILL, "\(plan): not killed there; stderr: \(killed.stderr)")
            if plan != "end:1" && plan != "commit:1" {
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(checkpointName + "/log").path), "\(plan): no checkpoint left")
            }
            let resumed = try resume(out, environment: environment)
            #expect(resumed.status == 0, "\(plan): stderr: \(resumed.stderr)")
            if resumed.stderr.contains("scenes closed up to") { resumedFromScenes += 1 }
            #expect(try OutputCheck.snapshot(out) == clean, "\(plan): resumed results differ from a clean run's")
        }
        #expect(resumedFromScenes >= 2, "the planned kills left scenes to resume from")
        // Runs take 1–10 s here depending on the machine's load: moments spread over the first few seconds.
        for _ in 0..<3 {
            let seconds = Double.random(in: 0.3...4, using: &random)
            let out = Fixtures.temporaryFolder("resume-kill").appendingPathComponent("out")
            let killed = try killAfter(seconds, out: out, arguments: Self.options)
            let resumed = try resume(out)
            #expect(resumed.status == 0, "killed after \(seconds) s (\(killed ? "killed" : "had finished")): stderr: \(resumed.stderr)")
            #expect(try OutputCheck.snapshot(out) == clean, "killed after \(seconds) s: resumed results differ from a clean run's")
        }
        // Killed twice: once, then again while resuming.
        let out = Fixtures.temporaryFolder("resume-kill").appendingPathComponent("out")
        _ = try killAt("image:2", out: out, arguments: Self.options)
        let again = try BoundedRun(["/usr/bin/env", "FRAMEDEDUPE_TEST_KILL=image:2", Fixtures.binary.path, Self.input, "-o", out.path, "--resume"] + Self.options)
        try #require(!again.timedOut)
        #expect(again.signal == SIGKILL)
        #expect(try resume(out).status == 0)
        #expect(try OutputCheck.snapshot(out) == clean, "killed twice: resumed results differ from a clean run's")
    }

    /// A record cut short by the kill, or bytes of garbage after the last record, are dropped: the log is read up to
    /// its last whole record and the run goes on from there.
    @Test func tornRecordIsDropped() throws {
        let clean = try Self.clean(Self.options)
        for damage in ["torn by the kill", "garbage appended"] {
            let out = Fixtures.temporaryFolder("resume-torn").appendingPathComponent("out")
            let killed = try killAt("record:10", out: out, arguments: Self.options)  // of 11 with the default cascade
            #expect(killed.signal == SIGKILL)
            let log = out.appendingPathComponent(checkpointName + "/log")
            var bytes = try Data(contentsOf: log)
            let before = bytes.count
            switch damage {
            case "garbage appended": bytes.append(contentsOf: (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37) })
            default: break
            }
            try bytes.write(to: log)
            let resumed = try resume(out)
            #expect(resumed.status == 0, "\(damage): stderr: \(resumed.stderr)")
            #expect(resumed.stderr.contains("resuming: "), "\(damage): the checkpoint was used: \(resumed.stderr)")
            #expect(try OutputCheck.snapshot(out) == clean, "\(damage): resumed results differ from a clean run's")
            #expect(before > 8)
        }
    }

    /// A checkpoint made with other options (or for another version of the input) is not resumed: a line says so
    /// and the input is analysed from the start, giving what a clean run with the new options gives.
    @Test func otherOptionsStartAfresh() throws {
        let other = ["--batch", "2", "-q", "--ssim-size", "48"]
        let clean = try Self.clean(other)
        let out = Fixtures.temporaryFolder("resume-options").appendingPathComponent("out")
        let killed = try killAt("image:3", out: out, arguments: Self.options)
        #expect(killed.signal == SIGKILL)
        let resumed = try resume(out, arguments: other)
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(resumed.stderrLines.count == 1 && resumed.stderr.contains(".framededupe-checkpoint: made for another input, another version of it or other options; analysing from the start"),
                "stderr: \(resumed.stderr)")
        #expect(try OutputCheck.snapshot(out) == clean, "results differ from a clean run with the new options")

        // The input changed since (here: another file under the same name): also a fresh start.
        let work = Fixtures.temporaryFolder("resume-input")
        let copy = work.appendingPathComponent("clip.mp4")
        try FileManager.default.copyItem(at: Fixtures.sample("shots-360p.mp4"), to: copy)
        let out2 = work.appendingPathComponent("out")
        let first = try BoundedRun(["/usr/bin/env", "FRAMEDEDUPE_TEST_KILL=image:3", Fixtures.binary.path, copy.path, "-o", out2.path] + Self.options)
        #expect(first.signal == SIGKILL)
        try FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: Fixtures.sample("revisit-360p.mp4"), to: copy)
        let second = try BoundedRun(Fixtures.binary.path, [copy.path, "-o", out2.path, "--resume"] + Self.options)
        try second.expectFinished()
        #expect(second.status == 0 && second.stderr.contains("analysing from the start"), "stderr: \(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out2.appendingPathComponent(checkpointName).path), "complete results leave no checkpoint")
    }

    /// Standard input cannot be read again: `--resume` says so and analyses it from the start, leaving no checkpoint.
    @Test func standardInputIsNotResumed() throws {
        let out = Fixtures.temporaryFolder("resume-stdin").appendingPathComponent("out")
        let bytes = try Data(contentsOf: Fixtures.sample("shots-360p.mp4"))
        let run = try BoundedRun(Fixtures.binary.path, ["-", "-o", out.path, "--resume", "--scorer", "ssim", "-q"], stdin: .bytes(bytes))
        try run.expectFinished()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderrLines.count == 1 && run.stderr.contains("-: standard input cannot be resumed"), "stderr: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(checkpointName).path))
    }
}
