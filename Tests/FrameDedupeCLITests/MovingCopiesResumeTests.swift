import Foundation
import Testing
import _FrameDedupeTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `--resume` with the scenes' other moments (issue 17, ``Scene/momentFeatures``): a run killed after the first scenes
/// closed, their keyframe state held in memory and left out of the log, computes their moments' local features again
/// from the same frames, and ends with the results of a run never stopped, in which a mirrored copy of a moving shot
/// joins only through those moments.
@Suite("Resuming with the scenes' other moments", .temporaryFolders)
struct MovingCopiesResumeTests {
    @Test func aResumedRunJoinsTheMovingCopyAsAnUninterruptedOne() throws {
        let input = try Fixtures.movingCopyClip().path
        let clean = Fixtures.temporaryFolder("moving-clean").appendingPathComponent("out")
        let run = try BoundedRun(Fixtures.binary.path, [input, "-o", clean.path, "-q"])
        try run.expectFinished()
        try #require(run.status == 0, "stderr: \(run.stderr)")
        let clusters = try JSONSerialization.jsonObject(with: Data(contentsOf: clean.appendingPathComponent("scenes.json"))) as? [String: Any]
        let cluster = (clusters?["scenes"] as? [[String: Any]])?.map { $0["cluster"] as? Int }
        #expect(cluster?.first == cluster?.last && cluster?.first != nil, "the pan and its mirrored copy join: \(String(describing: cluster))")

        let out = Fixtures.temporaryFolder("moving-resume").appendingPathComponent("out")
        let killed = try BoundedRun(["/usr/bin/env", "FRAMEDEDUPE_TEST_KILL=image:3", "FRAMEDEDUPE_CHECKPOINT_RECOMPUTE=0",
                                     Fixtures.binary.path, input, "-o", out.path, "-q"])
        try #require(!killed.timedOut)
        #expect(killed.signal == SIGKILL, "not killed: \(killed.stderr)")
        let resumed = try BoundedRun(Fixtures.binary.path, [input, "-o", out.path, "--resume"])
        try resumed.expectFinished()
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(resumed.stderr.contains("scenes closed up to"), "resumed from closed scenes: \(resumed.stderr)")
        #expect(try OutputCheck.snapshot(out) == OutputCheck.snapshot(clean), "resumed results differ from a clean run's")
    }
}
