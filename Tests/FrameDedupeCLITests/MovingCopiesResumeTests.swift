import Foundation
import Testing
import _FrameDedupeTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `--resume` with the scenes' other pictures (issue 17): a run killed after the first scenes closed, their keyframe state
/// held in memory and left out of the log, computes again the local features of their other moments
/// (``Scene/momentFeatures``) from the same frames and of their shots' first frames (``Scene/shotStartFeatures``) from the
/// shot starts their first samples carry, and ends with the results of a run never stopped, in which a copy joins only
/// through those pictures.
@Suite("Resuming with the scenes' other pictures", .temporaryFolders)
struct MovingCopiesResumeTests {
    /// A mirrored copy of a moving shot, joined by the scenes' other moments.
    @Test func aResumedRunJoinsTheMovingCopyAsAnUninterruptedOne() throws {
        try expectResumedAsUninterrupted(Fixtures.movingCopyClip().path, scenes: 3, killAt: "image:3", name: "moving")
    }

    /// A mirrored copy of a fast shot, joined by the shots' first frames.
    @Test func aResumedRunJoinsTheFastCopyByItsFirstFrameAsAnUninterruptedOne() throws {
        try expectResumedAsUninterrupted(Fixtures.shotStartCopiesClip().path, scenes: 5, killAt: "image:4", name: "shot-start")
    }

    /// A clean run of `input` has `scenes` scenes, its first and last in one cluster; a run killed at fault point `killAt`
    /// with its closed scenes' keyframe state left out of the log, then resumed, writes the clean run's results.
    func expectResumedAsUninterrupted(_ input: String, scenes: Int, killAt: String, name: String) throws {
        let clean = Fixtures.temporaryFolder("\(name)-clean").appendingPathComponent("out")
        let run = try BoundedRun(Fixtures.binary.path, [input, "-o", clean.path, "-q"])
        try run.expectFinished()
        try #require(run.status == 0, "stderr: \(run.stderr)")
        let list = try JSONSerialization.jsonObject(with: Data(contentsOf: clean.appendingPathComponent("scenes.json"))) as? [String: Any]
        let cluster = (list?["scenes"] as? [[String: Any]])?.map { $0["cluster"] as? Int }
        #expect(cluster?.count == scenes && cluster?.first == cluster?.last && cluster?.first != nil,
                "the shot and its mirrored copy join: \(String(describing: cluster))")

        let out = Fixtures.temporaryFolder("\(name)-resume").appendingPathComponent("out")
        let killed = try BoundedRun(["/usr/bin/env", "FRAMEDEDUPE_TEST_KILL=\(killAt)", "FRAMEDEDUPE_CHECKPOINT_RECOMPUTE=0",
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
