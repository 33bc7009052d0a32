import Foundation
import Testing
import _FrameDedupeTestSupport

/// Frames unchanged since the last frame the network saw take its embedding (issue 19, part 2): counted in the
/// summary line and in scenes.json, and a run killed and resumed gives the same results. With every frame offered
/// to the network (`--network-frames all`): the default cascade keeps other frames off it too (its own tests,
/// `NetworkCascadeRunTests`).
@Suite("Unchanged frames skip the network", .temporaryFolders)
struct UnchangedFramesRunTests {
    @Test func threeStillsCostThreeNetworkCalls() throws {
        let clip = try Fixtures.threeStills().path
        let out = Fixtures.temporaryFolder("stills").appendingPathComponent("out")
        let run = try Fixtures.framededupe([clip, "-o", out.path, "--batch", "2", "--network-frames", "all", "--keep", "diverse"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("25 frames → 3 scenes → 2 clusters") && run.stderr.contains("; 22 unchanged frames took an earlier frame's embedding; "),
                "stderr: \(run.stderr)")
        let scenes = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("scenes.json"))) as? [String: Any]
        let counts = scenes?["counts"] as? [String: Any]
        #expect(counts?["embeddings_reused"] as? Int == 22 && counts?["sampled_frames"] as? Int == 25)

        // Killed at the third image (two scenes closed), resumed: the checkpoint logged no embeddings (short scenes);
        // the frames before the restart take the embedding of a frame in a batch the resumed run skips, which it
        // computes again as it was computed.
        let clean = try OutputCheck.snapshot(out)
        let killed = Fixtures.temporaryFolder("stills").appendingPathComponent("killed")
        _ = try BoundedRun(["/usr/bin/env", "FRAMEDEDUPE_TEST_KILL=image:3", Fixtures.binary.path, clip, "-o", killed.path, "--batch", "2", "--network-frames", "all", "--keep", "diverse", "-q"])
        let resumed = try BoundedRun(Fixtures.binary.path, [clip, "-o", killed.path, "--batch", "2", "--network-frames", "all", "--keep", "diverse", "--resume"])
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming: 2 scenes closed up to 8.000 s kept, 0 frames' embeddings kept"),
                "stderr: \(resumed.stderr)")
        #expect(try OutputCheck.snapshot(killed) == clean, "resumed results differ from a clean run's")

        let pixels = try Fixtures.framededupe([clip, "-o", out.path, "--scorer", "ssim", "--overwrite", "-q"])
        #expect(pixels.status == 0)
        let ssimCounts = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("scenes.json"))) as? [String: Any]
        #expect((ssimCounts?["counts"] as? [String: Any])?["embeddings_reused"] is NSNull, "no network: null")
    }

    /// A moving clip (issue 19): the frames that take an earlier frame's embedding leave the cuts where embedding every
    /// frame puts them (`--unchanged-frames off`, hidden, for measuring rules: every frame through the network).
    @Test func aMovingClipKeepsItsCuts() throws {
        let clip = Fixtures.sample("shots-360p.mp4").path
        let folder = Fixtures.temporaryFolder("moving")
        var results: [(reused: Int?, scenes: [[Double]])] = []
        for rule in [[], ["--unchanged-frames", "off"]] {
            let out = folder.appendingPathComponent("out-\(results.count)")
            // Every frame the network would see without the rule (the default cascade keeps some off it: its own tests).
            let run = try Fixtures.framededupe([clip, "-o", out.path, "-q", "--network-frames", "all"] + rule)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("scenes.json"))) as? [String: Any]
            let scenes = (json?["scenes"] as? [[String: Any]] ?? []).map { [($0["start"] as? NSNumber)?.doubleValue ?? -1, ($0["end"] as? NSNumber)?.doubleValue ?? -1] }
            results.append(((json?["counts"] as? [String: Any])?["embeddings_reused"] as? Int, scenes))
        }
        #expect(results[0].reused == 4 && results[1].reused == 0, "the rocket shot ends still (from 8.5 s); off: none")
        #expect(results[0].scenes == [[0, 3], [3, 6], [6, 10]] && results[1].scenes == results[0].scenes)
        let bad = try Fixtures.framededupe([clip, "-o", folder.appendingPathComponent("bad").path, "--unchanged-frames", "0.999,65"])
        #expect(bad.status == 2 && bad.stderr.contains("--unchanged-frames must be SSIM[,BITS]"), "stderr: \(bad.stderr)")
    }

    /// The checkpoint logs the open scene's embeddings only past the network work a resume may redo
    /// (FRAMEDEDUPE_CHECKPOINT_RECOMPUTE, 240 frames by default): with 4, the open scene's batches after its first 4
    /// network calls are logged, and the resumed run reads them back and computes the rest again, to the same results.
    @Test func aLongOpenSceneIsLoggedPastTheBudget() throws {
        let clip = Fixtures.sample("shots-360p.mp4").path
        let folder = Fixtures.temporaryFolder("budget")
        let clean = folder.appendingPathComponent("clean"), killed = folder.appendingPathComponent("killed")
        #expect(try Fixtures.framededupe([clip, "-o", clean.path, "--batch", "2", "--network-frames", "all", "-q"]).status == 0)
        _ = try BoundedRun(["/usr/bin/env", "FRAMEDEDUPE_TEST_KILL=image:2", "FRAMEDEDUPE_CHECKPOINT_RECOMPUTE=4", Fixtures.binary.path, clip,
                            "-o", killed.path, "--batch", "2", "--network-frames", "all", "-q"])
        let resumed = try BoundedRun(Fixtures.binary.path, [clip, "-o", killed.path, "--batch", "2", "--network-frames", "all", "--resume"])
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming: 1 scenes closed up to 3.000 s kept, 6 frames' embeddings kept"),
                "stderr: \(resumed.stderr)")
        #expect(try OutputCheck.snapshot(killed) == OutputCheck.snapshot(clean), "resumed results differ from a clean run's")
    }
}
