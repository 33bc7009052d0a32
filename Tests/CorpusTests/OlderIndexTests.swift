import Foundation
import GRDB
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

/// An index made before scenes kept their local features (schema v2): it opens, and `add` of its files again fills
/// the features in.
@Suite("Corpus index made before local features", .temporaryFolders)
struct OlderIndexTests {
    /// A video of one scene, with or without local features (taken from a noise picture: plenty of corners).
    func video(features: Bool) -> IndexedVideo {
        var generator = SplitMix64(state: 5)
        let picture = LumaImage(width: 160, height: 120, pixels: (0..<160 * 120).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        var scene = IndexedScene(number: 0, start: 0, end: 1, keyframeTime: 0, keyframePath: nil,
                                 embedding: normalised((0..<1280).map { Float($0 % 7) }), perceptualHash: nil)
        scene.features = features ? LocalFeatureExtractor().features(of: picture) : nil
        return IndexedVideo(path: "/v.mp4", size: 1, sha256: String(repeating: "ab", count: 32), duration: 1, tags: [:], folder: "abababab", scenes: [scene])
    }

    @Test func anOlderIndexOpensAndAddingItsFilesAgainFillsTheFeatures() throws {
        let path = Fixtures.temporaryFolder("older").appendingPathComponent("c.db").path
        do {
            let index = try CorpusIndex(path: path)
            _ = try index.add(video(features: false))
        }
        // Back to schema v2, as an earlier framededupe left it.
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "DROP TABLE scene_features")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [CorpusIndex.knownMigrations[2]])
            }
        }
        let index = try CorpusIndex(path: path)
        let old = try #require(try index.video(sha256: video(features: true).sha256))
        #expect(try index.lacksFeatures(old))
        // The same content without features: nothing to do; with them: the entry is replaced, same content.
        #expect(try index.add(video(features: false)) == .alreadyIndexed(old))
        guard case .added(let scenes, let replaced) = try index.add(video(features: true)) else {
            Issue.record("not replaced")
            return
        }
        #expect(scenes == 1 && replaced?.sha256 == old.sha256)
        let again = try #require(try index.video(sha256: old.sha256))
        #expect(try !index.lacksFeatures(again))
        let row = try #require(try index.scenes().first)
        #expect(try index.features(ofScene: row.id) == video(features: true).scenes[0].features)
        #expect(try index.add(video(features: true)) == .alreadyIndexed(again))
        _ = try index.dedupe(threshold: 0.15)
    }
}
