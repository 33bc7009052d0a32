import Foundation
import Testing
import _FrameDedupeTestSupport

/// Issue 17 through `index dedupe`: an SD copy with bars, a pillarboxed crop and a mirrored copy join their HD
/// original; two regions of one photograph and a zoom on a corner stay apart from it and from each other.
@Suite("Copies and look-alikes across videos (binary)", .temporaryFolders)
struct CopiesCorpusTests {
    @Test func copiesWithBarsJoinTheirOriginalLookAlikesStayApart() throws {
        let clips = try Fixtures.copiesCorpus()
        let work = Fixtures.temporaryFolder("copies-corpus")
        let db = work.appendingPathComponent("corpus.db").path
        let names = clips.keys.sorted()
        let add = try Fixtures.framededupe(["index", "add", "-j", "2"] + names.map { clips[$0]!.path } + ["--index", db])
        #expect(add.status == 0, "\(add.stderr)")
        let dedupe = try Fixtures.framededupe(["index", "dedupe", "--index", db, "-o", "-"])
        #expect(dedupe.status == 0, "\(dedupe.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(dedupe.stdout.utf8)) as? [String: Any])
        #expect(document["copy_radius"] as? Double == 0.45)
        let clusters = try #require(document["clusters"] as? [[String: Any]])
        // Each file's cluster (one scene a file).
        let nameOfFile = Dictionary(uniqueKeysWithValues: clips.map { ($0.value.lastPathComponent, $0.key) })
        var clusterOf: [String: Int] = [:]
        for c in clusters {
            for s in (c["scenes"] as? [[String: Any]]) ?? [] {
                let file = ((s["file"] as? String ?? "") as NSString).lastPathComponent
                clusterOf[nameOfFile[file] ?? file] = c["id"] as? Int
            }
        }
        #expect(Set(clusterOf.keys) == Set(names), "\(clusterOf)")
        let copies = ["original", "letterbox-sd", "pillarbox", "mirror"], lookAlikes = ["left", "right", "zoom"]
        #expect(Set(copies.map { clusterOf[$0] }).count == 1, "copies join the original: \(clusterOf)")
        #expect(Set((lookAlikes + ["original"]).map { clusterOf[$0] }).count == 4, "look-alikes stay apart: \(clusterOf)")

        // Without the check, by the threshold alone.
        let unchecked = try Fixtures.framededupe(["index", "dedupe", "--index", db, "-o", "-", "--no-geometric-check"])
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(unchecked.stdout.utf8)) as? [String: Any])
        #expect(plain["copy_radius"] is NSNull)
    }
}
