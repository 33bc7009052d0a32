import Foundation
import GRDB
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

/// `framededupe index …` end to end, through the built binary, on real clips with known cross-file duplicates.
@Suite("framededupe index (binary)", .temporaryFolders, .serialized)
struct CommandLineIndexTests {
    private func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// The clusters of corpus-clusters.json as sets of "file name#scene".
    private func partition(_ document: [String: Any]) throws -> Set<Set<String>> {
        let clusters = try #require(document["clusters"] as? [[String: Any]])
        return Set(clusters.map { c in
            Set(((c["scenes"] as? [[String: Any]]) ?? []).map { s in
                ((s["file"] as? String ?? "") as NSString).lastPathComponent + "#" + String(s["scene"] as? Int ?? -1)
            })
        })
    }

    @Test func crossFileDuplicatesShareCorpusClusters() throws {
        let clips = try Fixtures.corpusClips()
        let work = Fixtures.temporaryFolder("corpus-cli")
        let db = work.appendingPathComponent("corpus.db").path
        let add = try Fixtures.framededupe(["index", "add", "-j", "2", clips.original.path, clips.reencoded.path, clips.trimmed.path,
                                            clips.revisit.path, clips.bunny.path, "--index", db])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stderr.contains("5 added (12 scenes), 0 already indexed, 0 failed"), "\(add.stderr)")

        // The same bytes under another name: a no-op, said on stderr.
        let copy = work.appendingPathComponent("copy-of-original.mp4")
        try FileManager.default.copyItem(at: clips.original, to: copy)
        let again = try Fixtures.framededupe(["index", "add", copy.path, "--index", db])
        #expect(again.status == 0)
        #expect(again.stderr.contains("already indexed (same content as \(clips.original.path)), nothing to do"), "\(again.stderr)")

        let out = work.appendingPathComponent("corpus-clusters.json"), export = work.appendingPathComponent("dataset")
        let dedupe = try Fixtures.framededupe(["index", "dedupe", "--index", db, "-o", out.path, "--export", export.path])
        #expect(dedupe.status == 0, "\(dedupe.stderr)")
        let document = try json(out)
        #expect(document["version"] as? Int == 1 && document["videos"] as? Int == 5 && document["scenes"] as? Int == 12)
        let p = try partition(document)
        // Cup, bottle, rocket across the files that hold them; the revisit clip's two astronaut halves join
        // (a 0.05 distance); the cat and the bunny stand alone.
        let o = clips.original.lastPathComponent, r = clips.reencoded.lastPathComponent, t = clips.trimmed.lastPathComponent
        let v = clips.revisit.lastPathComponent, b = clips.bunny.lastPathComponent
        #expect(p == [[o + "#0", r + "#0"], [o + "#1", r + "#1", t + "#0"], [o + "#2", r + "#2", t + "#1"],
                      [v + "#0", v + "#2"], [v + "#1"], [b + "#0"]], "\(p)")
        // One exemplar image per cluster, each a real file that is also the cluster's exemplar keyframe.
        let clusters = try #require(document["clusters"] as? [[String: Any]])
        let images = try FileManager.default.contentsOfDirectory(atPath: export.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(FileManager.default.fileExists(atPath: export.appendingPathComponent(".framededupe-manifest.json").path))
        #expect(images == (0..<6).map { String(format: "cluster-%06d.jpg", $0) })
        for c in clusters {
            let image = try #require(c["image"] as? String), keyframe = try #require((c["exemplar"] as? [String: Any])?["keyframe"] as? String)
            #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == Data(contentsOf: URL(fileURLWithPath: keyframe)))
        }

        // stats, export, search, remove.
        let stats = try Fixtures.framededupe(["index", "stats", "--index", db])
        #expect(stats.status == 0 && stats.stdout.contains("videos: 5\nscenes: 12\n") && stats.stdout.contains("clusters: 6\n"), "\(stats.stdout)")
        #expect(stats.stdout.contains("embedding_bytes: \(12 * 2560)\n") && stats.stdout.contains("search_index: exact\n"))
        #expect(!stats.stdout.contains("ann_"))
        let csv = try Fixtures.framededupe(["index", "export", "--index", db, "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(csv.status == 0 && lines.count == 13 && lines[0].split(separator: ",").count == 10 + 1280)
        let jsonl = try Fixtures.framededupe(["index", "export", "--index", db, "--no-embeddings"])
        #expect(jsonl.stdout.split(separator: "\n").count == 12 && !jsonl.stdout.contains("embedding"))
        // A frame of the rocket shot: its nearest scenes are the three rocket scenes.
        let frame = work.appendingPathComponent("rocket.png")
        try Fixtures.ffmpeg(["-ss", "9", "-i", Fixtures.sample("shots-360p.mp4").path, "-frames:v", "1", frame.path])
        let search = try Fixtures.framededupe(["index", "search", frame.path, "--index", db, "--top", "4"])
        #expect(search.status == 0, "\(search.stderr)")
        let hit = try #require(try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any])
        let results = try #require(hit["results"] as? [[String: Any]])
        let top3 = Set(results.prefix(3).map { (($0["file"] as? String ?? "") as NSString).lastPathComponent + "#" + String($0["scene"] as? Int ?? -1) })
        #expect(top3 == [o + "#2", r + "#2", t + "#1"], "\(search.stdout)")
        #expect((results.first?["distance"] as? Double ?? 1) < 0.1 && (results.last?["distance"] as? Double ?? 0) > 0.4)
        #expect(!search.stderr.contains("approximate"), "\(search.stderr)")
        // The approximate path (a hidden option lowers its 100,000-scene threshold): a search builds the index for
        // itself and, reading the index read-only, does not store it (the next 'index add' does: StoredApproximateIndexTests);
        // it gives exact search's results on these 12 scenes.
        let built = try Fixtures.framededupe(["index", "search", frame.path, "--index", db, "--top", "4", "--approximate-above", "0"])
        #expect(built.status == 0 && built.stderr.contains("12 scenes: approximate index built (none was stored)"), "\(built.stderr)")
        #expect(built.stderr.contains("not stored (search only reads the index"), "\(built.stderr)")
        #expect(built.stdout == search.stdout)
        let annStats = try Fixtures.framededupe(["index", "stats", "--index", db])
        #expect(annStats.stdout.contains("search_index: exact\n") && !annStats.stdout.contains("ann_"), "\(annStats.stdout)")

        let remove = try Fixtures.framededupe(["index", "remove", clips.reencoded.path, "--index", db])
        #expect(remove.status == 0, "\(remove.stderr)")
        let missing = try Fixtures.framededupe(["index", "remove", clips.reencoded.path, "--index", db])
        #expect(missing.status == 3 && missing.stderr.contains("not in the index"))
        let after = try Fixtures.framededupe(["index", "dedupe", "--index", db, "-o", "-"])
        let p2 = try partition(try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any]))
        #expect(p2 == [[o + "#0"], [o + "#1", t + "#0"], [o + "#2", t + "#1"], [v + "#0", v + "#2"], [v + "#1"], [b + "#0"]], "\(p2)")
    }

    @Test func badUseIsOneLineWithItsStatus() throws {
        let work = Fixtures.temporaryFolder("corpus-bad")
        let db = work.appendingPathComponent("none.db").path
        let missing = try Fixtures.framededupe(["index", "dedupe", "--index", db])
        #expect(missing.status == 3 && missing.stderr.contains("no such index"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db))
        let threshold = try Fixtures.framededupe(["index", "dedupe", "--index", db, "--threshold", "3"])
        #expect(threshold.status == 2)
        let group = try Fixtures.framededupe(["index", "dedupe", "--index", db, "--group-by", "title"])
        #expect(group.status == 2 && group.stderr.contains("--group-by takes dir, regex:PATTERN or meta:KEY"))
        let text = work.appendingPathComponent("notes.txt")
        try "not a video".write(to: text, atomically: true, encoding: .utf8)
        let bad = try Fixtures.framededupe(["index", "add", text.path, "--index", db])
        #expect(bad.status == 3 && bad.stderr.contains("notes.txt: not a video file"), "\(bad.stderr)")
        let folder = try Fixtures.framededupe(["index", "add", work.path, "--index", db])
        #expect(folder.status == 3 && folder.stderr.contains("not a video file (a folder; the index takes video files, e.g. 'index add \(work.path)/*.mp4')"),
                "\(folder.stderr)")
        let index = try CorpusIndex(path: db, create: false)
        #expect(try index.statistics().videos == 0)
    }


    /// What the index holds, read straight from SQLite: videos' sha256, and each scene's video and number.
    private func contents(_ db: String) throws -> (integrity: String, videos: [String], scenes: [String]) {
        let queue = try DatabaseQueue(path: db)
        return try queue.read { db in
            (try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(),
             try String.fetchAll(db, sql: "SELECT sha256 FROM video ORDER BY id"),
             try String.fetchAll(db, sql: "SELECT video || '#' || number FROM scene ORDER BY id"))
        }
    }

    @Test func killedWhileAddingLeavesTheIndexAsBefore() throws {
        let clips = try Fixtures.corpusClips()
        let long = try Fixtures.corpusLongClip()
        let work = Fixtures.temporaryFolder("corpus-kill")
        let db = work.appendingPathComponent("corpus.db").path
        #expect(try Fixtures.framededupe(["index", "add", clips.original.path, "--index", db, "-q"]).status == 0)
        let before = try contents(db)
        #expect(before.integrity == "ok" && before.videos.count == 1 && before.scenes.count == 3)

        // Killed inside the video's transaction, half its scenes written.
        let log = work.appendingPathComponent("stderr.txt")
        let p = try Fixtures.startFramededupe(["index", "add", clips.trimmed.path, "--index", db, "--pause-in-transaction", "60"], stderr: log)
        Fixtures.wait { (try? String(contentsOf: log, encoding: .utf8))?.contains("paused inside the transaction") == true }
        #expect(try String(contentsOf: log, encoding: .utf8).contains("paused inside the transaction"))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        let afterTransaction = try contents(db)
        #expect(afterTransaction.integrity == "ok")
        #expect(afterTransaction.videos == before.videos && afterTransaction.scenes == before.scenes)

        // Killed while decoding (before its transaction began): as soon as the video's staging folder for its keyframes
        // exists, which it does from the start of the analysis to the transaction. (Waiting for the keyframes themselves
        // raced: at 360p they are written in the run's last moments, a window a 20 ms poll missed on a loaded machine,
        // and then the video went in before the kill.)
        let q = try Fixtures.startFramededupe(["index", "add", long.path, "--index", db], stderr: log)
        let root = URL(fileURLWithPath: db + ".keyframes")
        // Its own staging folder (named by its process id: the one the transaction's kill left behind is another's).
        let staging = ".framededupe-staging-\(q.processIdentifier)"
        func stagingExists() -> Bool { ((try? FileManager.default.subpathsOfDirectory(atPath: root.path)) ?? []).contains { $0.hasSuffix(staging) } }
        Fixtures.wait { stagingExists() }
        #expect(stagingExists(), "no staging folder \(staging) seen")
        kill(q.processIdentifier, SIGKILL)
        q.waitUntilExit()
        let afterDecoding = try contents(db)
        #expect(afterDecoding.integrity == "ok" && afterDecoding.videos == before.videos && afterDecoding.scenes == before.scenes)

        // The index works on: the video killed in its transaction goes in whole.
        let again = try Fixtures.framededupe(["index", "add", clips.trimmed.path, "--index", db])
        #expect(again.status == 0, "\(again.stderr)")
        let after = try contents(db)
        #expect(after.integrity == "ok" && after.videos.count == 2 && after.scenes.count > before.scenes.count)
    }
}
