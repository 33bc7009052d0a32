import Foundation
import Testing
import _FrameDedupeTestSupport

/// The pixels-first cascade (issue 19, the default; hidden `--network-frames all` turns it off): frames whose cut decisions the pixels
/// settle take no network call; cuts stay where embedding every frame puts them, and a resumed run equals an
/// uninterrupted one.
@Suite("Pixels-first cascade", .temporaryFolders)
struct NetworkCascadeRunTests {
    /// A real still (the rocket of `shots-360p.mp4`) with fresh noise in every frame, 6 s at 25 fps: a static
    /// camera's feed, too noisy for the unchanged-frame rule (SSIM under 0.999), with nothing for the network to decide.
    static func noisyStill() throws -> URL {
        try Fixtures.ffmpegFixture("noisy-still-6s.mp4", [
            ["-ss", "7.5", "-i", Fixtures.sample("shots-360p.mp4").path, "-frames:v", "1", "-f", "image2", "-c:v", "png", "{work}/still.png"],
            ["-loop", "1", "-framerate", "25", "-i", "{work}/still.png", "-t", "6", "-vf", "noise=alls=12:allf=t", "-c:v", "libx264",
             "-pix_fmt", "yuv420p", "-f", "mp4", "{out}"],
        ])
    }

    private func run(_ clip: String, _ out: URL, _ arguments: [String]) throws -> (counts: [String: Any], scenes: [[Double]]) {
        let run = try Fixtures.framededupe([clip, "-o", out.path, "-q"] + arguments)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("scenes.json"))) as? [String: Any]
        let scenes = (json?["scenes"] as? [[String: Any]] ?? []).map { [($0["start"] as? NSNumber)?.doubleValue ?? -1, ($0["end"] as? NSNumber)?.doubleValue ?? -1] }
        return (json?["counts"] as? [String: Any] ?? [:], scenes)
    }

    /// 13 sampled frames, none unchanged (with `--network-frames all` every one goes through the network): under the
    /// cascade only the first, the last and one every 2 s (5), and `embeddings_skipped` counts the others.
    @Test func aNoisyStillTakesFewNetworkCalls() throws {
        let clip = try Self.noisyStill().path
        let cascade = try run(clip, Fixtures.temporaryFolder("still").appendingPathComponent("cascade"), [])
        #expect(cascade.counts["sampled_frames"] as? Int == 13)
        #expect(cascade.counts["embeddings_skipped"] as? Int == 8 && cascade.counts["embeddings_reused"] as? Int == 0, "\(cascade.counts)")
        #expect(cascade.scenes == [[0, 6]])
        let all = try run(clip, Fixtures.temporaryFolder("still").appendingPathComponent("all"), ["--network-frames", "all"])
        #expect(all.counts["embeddings_skipped"] == nil, "every frame goes through the network: \(all.counts)")
    }

    /// A clip of three shots with motion: the cascade skips the network for some frames and the cuts stay; killed after
    /// its first image and resumed, the results equal an uninterrupted run's.
    @Test func aMovingClipKeepsItsCutsAndResumes() throws {
        let clip = Fixtures.sample("shots-360p.mp4").path
        let folder = Fixtures.temporaryFolder("moving")
        let cascadeOptions = ["--batch", "2"]
        let clean = folder.appendingPathComponent("clean")
        let cascade = try run(clip, clean, cascadeOptions)
        #expect((cascade.counts["embeddings_skipped"] as? Int ?? 0) >= 3, "counts: \(cascade.counts)")
        #expect(cascade.scenes == [[0, 3], [3, 6], [6, 10]])

        let killed = folder.appendingPathComponent("killed")
        _ = try BoundedRun(["/usr/bin/env", "FRAMEDEDUPE_TEST_KILL=image:2", "FRAMEDEDUPE_CHECKPOINT_RECOMPUTE=2", Fixtures.binary.path, clip,
                            "-o", killed.path, "-q"] + cascadeOptions)
        let resumed = try BoundedRun(Fixtures.binary.path, [clip, "-o", killed.path, "--resume"] + cascadeOptions)
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming: 1 scenes closed"), "stderr: \(resumed.stderr)")
        #expect(try OutputCheck.snapshot(killed) == OutputCheck.snapshot(clean), "resumed results differ from a clean run's")
    }
}
