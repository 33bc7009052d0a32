import Foundation
import FrameDedupe
import GRDB
import Pixels
import Similarity
import Testing
import _FrameDedupeTestSupport
@_spi(Testing) @testable import Corpus

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
                try db.execute(sql: "DROP TABLE scene_moment")
                try db.execute(sql: "DROP TABLE scene_features")
                for migration in CorpusIndex.knownMigrations[2...] {
                    try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [migration])
                }
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

    /// An index made before scenes kept their other moments and shot starts (schema v3: keyframe features only) opens,
    /// migrates to v4 and dedupes on keyframes: the moving shot's mirrored copy (``OtherPicturesTests``) stays apart
    /// there. Its file removed and added again, the index holds the moments and the copy joins.
    @Test func anIndexMadeBeforeOtherPicturesOpensAndDedupesOnKeyframes() throws {
        let folder = Fixtures.temporaryFolder("older-v3")
        let path = folder.appendingPathComponent("c.db").path
        let clip = try Fixtures.movingCopiesClip()
        let video = try OtherPicturesTests.analysed(clip, root: folder.appendingPathComponent("c.db.keyframes"))
        var keyframesOnly = video
        for i in keyframesOnly.scenes.indices {
            keyframesOnly.scenes[i].moments = []
            keyframesOnly.scenes[i].shotStart = nil
            keyframesOnly.scenes[i].shotStartIsKeyframe = false
        }
        do { _ = try CorpusIndex(path: path).add(keyframesOnly) }
        // Back to schema v3, as an earlier framededupe left it.
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "DROP TABLE scene_moment")
                try db.execute(sql: "ALTER TABLE scene_features DROP COLUMN shot_start")
                try db.execute(sql: "ALTER TABLE scene_features DROP COLUMN shot_start_is_keyframe")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [CorpusIndex.knownMigrations[3]])
            }
            #expect(try queue.read { db in try db.tableExists("scene_moment") } == false)
        }
        // Read-only (not migrated), then for writing (migrated).
        let readOnly = try CorpusIndex(path: path, access: .read)
        let first = try #require(try readOnly.scenes().first)
        #expect(try readOnly.pictures(ofScene: first.id).map { $0.moments.isEmpty && $0.shotStart == nil } == true)
        let index = try CorpusIndex(path: path)
        let migrated = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(migrated.contains(CorpusIndex.knownMigrations[3]))
        let name = clip.lastPathComponent
        let before = try OtherPicturesTests.clusters([], index: index)
        #expect(before.count == 7 && before["\(name)#0"] != before["\(name)#6"], "keyframes only: \(before)")
        #expect(try index.add(video) == .alreadyIndexed(try #require(try index.video(sha256: video.sha256))))
        // Removed and added again: the moments are stored, and the copy joins.
        #expect(try index.remove(path: clip.path) != nil)
        let after = try OtherPicturesTests.clusters([video], index: index)
        #expect(after["\(name)#0"] != nil && after["\(name)#0"] == after["\(name)#6"], "\(after)")
    }

    /// An index clustered under other verdict thresholds (issue 17: the inlier ratio was 0.30 and no second motion counted
    /// until session 12) keeps none of its clusters: its links were decided by another rule, so the next `dedupe`
    /// clusters every scene again.
    @Test func anIndexClusteredUnderAnotherVerdictClustersAgain() throws {
        let path = Fixtures.temporaryFolder("older-verdict").appendingPathComponent("c.db").path
        do {
            let index = try CorpusIndex(path: path)
            _ = try index.add(video(features: true))
            let first = try index.dedupe(threshold: 0.15)
            #expect(first.newScenes == 1 && !first.incremental)
            #expect(try index.dedupe(threshold: 0.15).incremental, "same settings: the clusters are kept")
        }
        let rule = GeometricVerifier.Rule.standard
        let now = CopyVerification.standard.description
        #expect(now.hasSuffix("verdict \(rule.minimumInliers) \(rule.minimumInlierRatio) \(rule.minimumCoverage) \(rule.minimumSpan) \(rule.minimumCellCoverage)"
            + " motion \(GeometricVerifier.minimumMotionInliers) one-patch \(rule.maximumChangedShare ?? -1) \(rule.maximumUnreachedCells)"
            + " plain-layout \(CopyVerification.standard.plainLayoutChange ?? -1)"), "\(now)")
        // As an index clustered before the verdict was recorded left it.
        let cut = try #require(now.range(of: " verdict"))
        let before = String(now[..<cut.lowerBound])
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE setting SET value = ? WHERE key = 'verification'", arguments: [before])
        }
        let again = try CorpusIndex(path: path).dedupe(threshold: 0.15)
        #expect(!again.incremental && again.newScenes == 1, "\(again)")
    }
}
