import Foundation
import Testing
import _FrameDedupeTestSupport

/// Frames unchanged since the last frame the network saw take its embedding (issue 19, part 2): counted in the
/// summary line and in scenes.json, and a run killed and resumed gives the same results.
@Suite("Unchanged frames skip the network", .temporaryFolders)
struct UnchangedFramesRunTests {
    @Test func threeStillsCostThreeNetworkCalls() throws {
        let clip = try Fixtures.threeStills().path
        let out = Fixtures.temporaryFolder("stills").appendingPathComponent("out")
        let run = try Fixtures.framededupe([clip, "-o", out.path, "--batch", "2", "--keep", "diverse"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("24 frames → 3 scenes → 2 clusters") && run.stderr.contains("; 21 unchanged frames took an earlier frame's embedding; "),
                "stderr: \(run.stderr)")
        let scenes = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("scenes.json"))) as? [String: Any]
        let counts = scenes?["counts"] as? [String: Any]
        #expect(counts?["embeddings_reused"] as? Int == 21 && counts?["sampled_frames"] as? Int == 24)

        // Killed after the second scene's record, resumed: the frames before the checkpoint's restart take the
        // embedding of a frame in a batch the resumed run does not embed again.
        let clean = try OutputCheck.snapshot(out)
        let killed = Fixtures.temporaryFolder("stills").appendingPathComponent("killed")
        _ = try BoundedRun(["/usr/bin/env", "FRAMEDEDUPE_TEST_KILL=record:14", Fixtures.binary.path, clip, "-o", killed.path, "--batch", "2", "--keep", "diverse", "-q"])
        let resumed = try BoundedRun(Fixtures.binary.path, [clip, "-o", killed.path, "--batch", "2", "--keep", "diverse", "--resume"])
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming: 2 scenes closed"), "stderr: \(resumed.stderr)")
        #expect(try OutputCheck.snapshot(killed) == clean, "resumed results differ from a clean run's")

        let pixels = try Fixtures.framededupe([clip, "-o", out.path, "--scorer", "ssim", "--overwrite", "-q"])
        #expect(pixels.status == 0)
        let ssimCounts = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("scenes.json"))) as? [String: Any]
        #expect((ssimCounts?["counts"] as? [String: Any])?["embeddings_reused"] is NSNull, "no network: null")
    }
}
