import Foundation
import Testing
import _FrameDedupeTestSupport

/// `framededupe eval` run as a user would, on a real run of a bundled sample.
@Suite("framededupe eval", .temporaryFolders)
struct EvalCommandTests {
    /// Writes `json` to `folder/name` and returns its path.
    func write(_ json: String, _ name: String, in folder: URL) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(json.utf8).write(to: url)
        return url.path
    }

    @Test func scoresARealRunAgainstAHandWrittenTruth() throws {
        // samples/revisit-360p.mp4: astronaut 0–2 s, cat 2–4 s, the astronaut's pan continuing 4–6 s; framededupe
        // finds scenes at 0, 2, 4 s in clusters {0, 2} and {1} (samples/README.md). The truth written here calls
        // the two astronaut shots different groups (0, 1, 2), so the merge is a mistake, and labels a transition
        // (a flash, say) at [1.4, 1.6], whose frame is left out.
        let work = Fixtures.temporaryFolder("eval-cli")
        let results = work.appendingPathComponent("results")
        let run = try Fixtures.framededupe([Fixtures.sample("revisit-360p.mp4").path, "-o", results.appendingPathComponent("revisit.mp4").path, "-q"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let truths = work.appendingPathComponent("truth")
        try FileManager.default.createDirectory(at: truths, withIntermediateDirectories: true)
        _ = try write("""
            {"version": 1, "clip": "revisit.mp4", "duration": 6.0,
             "shots": [{"id": 0, "start": 0.0, "end": 2.0, "content": 0}, {"id": 1, "start": 2.0, "end": 4.0, "content": 1},
                       {"id": 2, "start": 4.0, "end": 6.0, "content": 2}],
             "transitions": [{"start": 1.4, "end": 1.6, "kind": "flash"}]}
            """, "revisit.mp4.truth.json", in: truths)
        let report = work.appendingPathComponent("report.json")
        let result = try Fixtures.framededupe(["eval", "--truth-dir", truths.path, results.path, "--report", report.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.isEmpty, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("revisit.mp4") && result.stdout.contains("mean over clips"))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect(json["version"] as? Int == 1 && json["tolerance"] as? Double == 0.5)
        let clips = try #require(json["clips"] as? [[String: Any]])
        #expect(clips.count == 1 && clips.first?["clip"] as? String == "revisit.mp4")
        let clip = try #require(clips.first)
        // Boundaries 2 and 4, detected at 2 and 4: TP 2, P = R = F1 = 1.
        let boundaries = try #require(clip["boundaries"] as? [String: Any])
        #expect(boundaries["true_positives"] as? Int == 2 && boundaries["false_positives"] as? Int == 0 && boundaries["false_negatives"] as? Int == 0)
        #expect(boundaries["f1"] as? Double == 1)
        // 13 frames: 12 at 2 fps (0, 0.5, … 5.5) and the last, 5.96; 1.5 is inside the transition: 12 scored. Groups:
        // g0 = 3 (0–1), g1 = 4 (2–3.5), g2 = 5 (4–5.96); clusters: c0 = g0 + g2 = 8, c1 = g1 = 4.
        // Both: C(3,2) + C(4,2) + C(5,2) = 3 + 6 + 10 = 19; same cluster: C(8,2) + C(4,2) = 28 + 6 = 34; same group: 19.
        // P = 19/34 = 0.558824, R = 1, F1 = 38/53 = 0.716981.
        // ARI: C(12,2) = 66, expected = 34·19/66 = 323/33, max = 26.5: (19 − 323/33)/(26.5 − 323/33) = 608/1103 = 0.551224.
        let clusters = try #require(clip["clusters"] as? [String: Any])
        #expect(clusters["frames"] as? Int == 12 && clusters["frames_in_transitions"] as? Int == 1)
        #expect(clusters["pairs_both"] as? Int == 19 && clusters["pairs_same_cluster"] as? Int == 34 && clusters["pairs_same_group"] as? Int == 19)
        #expect(clusters["precision"] as? Double == 0.558824 && clusters["recall"] as? Double == 1 && clusters["f1"] as? Double == 0.716981)
        #expect(clusters["adjusted_rand_index"] as? Double == 0.551224)
        // unique/ has one exemplar per cluster: one astronaut shot's group and the cat's are covered, 2 of 3
        // groups; no exemplar is redundant.
        let exemplars = try #require(clip["exemplars"] as? [String: Any])
        #expect(exemplars["exemplars"] as? Int == 2 && exemplars["covered_groups"] as? Int == 2 && exemplars["redundant"] as? Int == 0)
        #expect(exemplars["coverage"] as? Double == 0.666667 && exemplars["redundancy"] as? Double == 0)
        let total = try #require(json["total"] as? [String: Any])
        #expect((total["clusters"] as? [String: Any])?["adjusted_rand_index_pooled"] as? Double == 0.551224)
        #expect(total["clips"] as? Int == 1)

        // The same with --truth on the one result folder, the report on stdout (the table then on stderr).
        let single = try Fixtures.framededupe(["eval", "--truth", truths.appendingPathComponent("revisit.mp4.truth.json").path,
                                               results.appendingPathComponent("revisit.mp4").path, "--report", "-"])
        #expect(single.status == 0, "stderr: \(single.stderr)")
        #expect(single.stdout == (try String(contentsOf: report, encoding: .utf8)))
        #expect(single.stderr.contains("revisit.mp4"))

        // A second truth whose result folder does not exist: an error naming the folder, unless --skip-missing.
        _ = try write(#"{"version": 1, "clip": "other.mp4", "shots": [{"start": 0, "end": 1, "content": 0}]}"#, "other.mp4.truth.json", in: truths)
        let missing = try Fixtures.framededupe(["eval", "--truth-dir", truths.path, results.path])
        #expect(missing.status == 3)
        #expect(missing.stderr.split(separator: "\n").count == 1 && missing.stderr.contains(results.appendingPathComponent("other.mp4").path)
                && missing.stderr.contains("--skip-missing"), "stderr: \(missing.stderr)")
        let skipping = try Fixtures.framededupe(["eval", "--truth-dir", truths.path, results.path, "--skip-missing", "-q", "--report", "-"])
        #expect(skipping.status == 0, "stderr: \(skipping.stderr)")
        let skipped = try #require(try JSONSerialization.jsonObject(with: Data(skipping.stdout.utf8)) as? [String: Any])
        #expect(skipped["skipped"] as? [String] == ["other.mp4"] && (skipped["clips"] as? [Any])?.count == 1)
    }

    @Test func badTruthOrUsageFails() throws {
        let work = Fixtures.temporaryFolder("eval-bad")
        let bad = try write(#"{"version": 1, "shots": [{"start": 0, "content": 0}]}"#, "bad.truth.json", in: work)
        let result = try Fixtures.framededupe(["eval", "--truth", bad, work.path])
        #expect(result.status == 3)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(bad) && lines[0].contains("shots[0].end: missing"), "stderr: \(result.stderr)")
        let notJSON = try write("nothing", "x.truth.json", in: work)
        let garbage = try Fixtures.framededupe(["eval", "--truth", notJSON, work.path])
        #expect(garbage.status == 3 && garbage.stderr.contains(notJSON) && garbage.stderr.contains("not valid JSON"), "stderr: \(garbage.stderr)")
        for arguments in [["eval", work.path], ["eval", "--truth", bad, "--truth-dir", work.path, work.path],
                          ["eval", "--truth", bad, "--tolerance", "-1", work.path], ["eval", "--truth", bad, "--skip-missing", work.path]] {
            let usage = try Fixtures.framededupe(arguments)
            #expect(usage.status == 2, "\(arguments): \(usage.stderr)")
        }
    }
}
