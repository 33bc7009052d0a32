import Foundation
import Testing
import _FrameDedupeTestSupport

/// `framededupe tune` run as a user would, on a bundled sample with a hand-written truth.
@Suite("framededupe tune", .temporaryFolders)
struct TuneCommandTests {
    @Test func sweepsAGivenGridAndRanksTheSettings() throws {
        // samples/shots-360p.mp4: three real shots, cuts at 3 s and 6 s, three different contents.
        let work = Fixtures.temporaryFolder("tune-cli")
        try FileManager.default.createSymbolicLink(at: work.appendingPathComponent("shots.mp4"), withDestinationURL: Fixtures.sample("shots-360p.mp4"))
        try Data("""
            {"version": 1, "clip": "shots.mp4", "duration": 10.0,
             "shots": [{"id": 0, "start": 0, "end": 3, "content": 0}, {"id": 1, "start": 3, "end": 6, "content": 1},
                       {"id": 2, "start": 6, "end": 10, "content": 2}]}
            """.utf8).write(to: work.appendingPathComponent("shots.mp4.truth.json"))
        let report = work.appendingPathComponent("tune.json")
        // 2 cluster thresholds: 0.35 (the default) keeps the three shots apart; 1.0 merges everything.
        let result = try Fixtures.framededupe([
            "tune", "--truth-dir", work.path, "--cut-probabilities", "model",
            "--cluster-thresholds", "1,0.35", "--linkages", "average", "--alphas", "0", "--grid-thresholds", "0.22",
            "--report", report.path, "-q",
        ])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("defaults (rank 1 of 2)"), "\(result.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect(json["version"] as? Int == 1 && json["defaults_rank"] as? Int == 1)
        let settings = try #require(json["settings"] as? [[String: Any]])
        #expect(settings.map { $0["cluster_threshold"] as? Double } == [0.35, 1])
        #expect(settings.first?["scene_f1"] as? Double == 1 && settings.first?["cluster_f1"] as? Double == 1)
        // Everything in one cluster: every pair predicted together, one exemplar for three contents.
        #expect((settings.last?["coverage"] as? Double).map { abs($0 - 1.0 / 3) < 1e-6 } == true)
        #expect((settings.first?["arguments"] as? [String])?.contains("--cluster-threshold") == true)
    }

    @Test func missingTruthFolderIsAnInputError() throws {
        let result = try Fixtures.framededupe(["tune", "--truth-dir", "/nonexistent/truths"])
        #expect(result.status == 3)
        #expect(result.stderr == "framededupe: /nonexistent/truths: no such folder\n")
    }
}
