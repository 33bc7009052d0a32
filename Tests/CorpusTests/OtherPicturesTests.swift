import Foundation
import FrameDedupe
import GRDB
import Similarity
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

/// Issue 17 in the corpus index: `index dedupe` verifies a pair as `run` does — keyframes, then the scenes' other moments,
/// then their shots' first frames — on what the index stores of each scene (migration v4). Real footage: `run`'s fixtures
/// of a mirrored copy of a moving shot (``Fixtures/movingCopiesClip()``) and of a fast shot sampled at other moments
/// (``Fixtures/shotStartCopiesClip()``), each clip indexed as one video (its copies are within-clip pairs).
@Suite("Corpus: copies by other moments and shot starts", .temporaryFolders)
struct OtherPicturesTests {
    /// `clip` analysed as `index add` does (default options), its keyframes under `root`.
    static func analysed(_ clip: URL, root: URL) throws -> IndexedVideo {
        let analysis = VideoAnalysis(options: DedupeOptions())
        return try #require(try analysis.analyse(path: clip.path, keyframeRoot: root, network: loadNetwork(analysis.options)))
    }

    /// Verification on every picture `run` verifies (the index's default; `index dedupe --no-other-pictures` leaves them out).
    static let allPictures = CopyVerification.standard

    /// Each scene's corpus cluster (by scene number) after `dedupe` with `verification` of an index holding `videos`.
    static func clusters(_ videos: [IndexedVideo], verification: CopyVerification = allPictures, index: CorpusIndex) throws -> [String: Int] {
        for video in videos { _ = try index.add(video) }
        _ = try index.dedupe(threshold: 0.15, rebuild: true, verification: verification)
        return Dictionary(uniqueKeysWithValues: try index.clusters().flatMap { c in
            c.scenes.map { ("\(($0.video.path as NSString).lastPathComponent)#\($0.scene.number)", c.number) }
        })
    }

    @Test func aMirroredCopyOfAMovingShotJoinsByItsOtherMoments() throws {
        let folder = Fixtures.temporaryFolder("moving")
        let clip = try Fixtures.movingCopiesClip()
        let video = try Self.analysed(clip, root: folder.appendingPathComponent("keyframes"))
        #expect(video.scenes.map(\.number) == Array(0..<7), "\(video.scenes.map(\.start))")
        #expect([0, 2, 4, 6].allSatisfy { video.scenes[$0].moments.count == 1 }, "each pan has another moment")
        let index = try CorpusIndex(path: folder.appendingPathComponent("c.db").path)
        let cluster = try Self.clusters([video], index: index)
        let scene = { (n: Int) in cluster["\(clip.lastPathComponent)#\(n)"] }
        #expect(scene(0) != nil && scene(0) == scene(6), "the pan and its mirrored copy a second later join: \(cluster)")
        // The pans over the top and the bottom halves (look-alikes) stay apart from it and from each other.
        #expect(Set([0, 2, 4].map(scene)).count == 3, "look-alikes stay apart: \(cluster)")
        // What the index stores is what the run verified: the copy's other moment reads back as it was.
        let row = try #require(try index.scenes().first { $0.scene.number == 6 })
        #expect(try index.pictures(ofScene: row.id)?.moments == video.scenes[6].moments)
        // On keyframes (and shot starts) only, the copy stays apart: its moments join it.
        try Self.expectApart(0, 6, of: clip, index: index) { $0.moments = false }
        // On keyframes only (`--no-other-pictures`), and with no nearest to verify other pictures with (as in run, they are
        // verified only between a scene and its nearest: CopyVerification.verifiedNeighbours), it stays apart too.
        try Self.expectApart(0, 6, of: clip, index: index) { $0.moments = false; $0.shotStarts = false }
        try Self.expectApart(0, 6, of: clip, index: index) { $0.verifiedNeighbours = 0 }
    }

    /// Expects scenes `a` and `b` of `clip` in different clusters after `dedupe` of `index` with ``allPictures`` changed by `change`.
    static func expectApart(_ a: Int, _ b: Int, of clip: URL, index: CorpusIndex, _ change: (inout CopyVerification) -> Void,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        var verification = allPictures
        change(&verification)
        let cluster = try clusters([], verification: verification, index: index)
        #expect(cluster["\(clip.lastPathComponent)#\(a)"] != cluster["\(clip.lastPathComponent)#\(b)"], "\(verification): \(cluster)",
                sourceLocation: sourceLocation)
    }

    @Test func aMirroredCopyOfAFastShotJoinsByItsFirstFrame() throws {
        let folder = Fixtures.temporaryFolder("fast")
        let clip = try Fixtures.shotStartCopiesClip()
        let video = try Self.analysed(clip, root: folder.appendingPathComponent("keyframes"))
        #expect(video.scenes.map(\.number) == Array(0..<5), "\(video.scenes.map(\.start))")
        let (pan, top, copy) = (0, 2, 4)
        #expect(video.scenes[copy].shotStart != nil && !video.scenes[copy].shotStartIsKeyframe)
        let index = try CorpusIndex(path: folder.appendingPathComponent("c.db").path)
        let cluster = try Self.clusters([video], index: index)
        let scene = { (n: Int) in cluster["\(clip.lastPathComponent)#\(n)"] }
        #expect(scene(pan) != nil && scene(pan) == scene(copy), "the pan and its mirrored copy join: \(cluster)")
        #expect(Set((0..<copy).map(scene)).count == copy, "every other shot is content of its own, the look-alike pan too: \(cluster)")
        #expect(scene(top) != scene(pan))
        let row = try #require(try index.scenes().first { $0.scene.number == copy })
        let stored = try #require(try index.pictures(ofScene: row.id))
        #expect(stored.shotStart == video.scenes[copy].shotStart && !stored.shotStartIsKeyframe)
        // Without shot starts, neither keyframes nor other moments join them.
        try Self.expectApart(pan, copy, of: clip, index: index) { $0.shotStarts = false }
        try Self.expectApart(pan, copy, of: clip, index: index) { $0.verifiedNeighbours = 0 }
    }

    /// As `run` (``StaticGraphics``, ``ClusterOptions/ignoreStaticGraphics``), `dedupe` leaves the keypoints of a video's
    /// static graphics out of each of its pictures before verifying: on `run`'s fixture of stills under a lower third and
    /// a station mark (``Fixtures/overlayClip()``), every picture with the graphics loses at least 50 keypoints, exactly
    /// those `run` leaves out, and the one without loses none; the cup with and without graphics still join, the two
    /// halves of the rocket photograph and the other stills under the same graphics stay apart.
    @Test func staticGraphicsAreLeftOutOfAVideosPictures() throws {
        let folder = Fixtures.temporaryFolder("graphics")
        let clip = try Fixtures.overlayClip()
        let video = try Self.analysed(clip, root: folder.appendingPathComponent("keyframes"))
        let names = Fixtures.overlayClipScenes
        #expect(video.scenes.map(\.number) == Array(names.indices), "\(video.scenes.map(\.start))")
        guard video.scenes.count == names.count else { return }
        let path = folder.appendingPathComponent("c.db").path
        let index = try CorpusIndex(path: path)
        let cluster = try Self.clusters([video], index: index)
        let scene = { (n: Int) in cluster["\(clip.lastPathComponent)#\(n)"] }
        let cups = names.indices.filter { names[$0].hasPrefix("X") }
        #expect(scene(cups[0]) != nil && scene(cups[0]) == scene(cups[1]), "the cup with and without graphics join: \(cluster)")
        let others = names.indices.filter { !names[$0].hasPrefix("X") }
        #expect(Set((others + [cups[0]]).map(scene)).count == others.count + 1, "other stills under one overlay stay apart: \(cluster)")
        // What verification is given: the stored pictures without the graphics' keypoints.
        let rows = try index.scenes().sorted { $0.scene.number < $1.scene.number }
        let stored = try rows.map { try #require(try index.pictures(ofScene: $0.id)) }
        let stripped = try DatabaseQueue(path: path).read { db in
            try CorpusIndex.videoPictures(video: rows[0].video.id, moments: true, shotStarts: true, staticGraphicsBeyond: 0.45, precision: .half, db: db)
        }
        let vectors = rows.map(\.scene.embedding)
        let byRun = StaticGraphics.removingStatic(stored.map(\.keyframe)) { i, j in
            1 - zip(normalised(vectors[i]), normalised(vectors[j])).reduce(0) { $0 + $1.0 * $1.1 } > 0.45
        }
        for (k, name) in names.enumerated() {
            let kept = try #require(stripped[k].pictures)
            let removed = stored[k].keyframe.count - kept.keyframe.count
            #expect(name.hasSuffix("no graphics") ? removed == 0 : removed >= 50, "\(name): \(removed) keypoints left out")
            #expect(kept.keyframe == byRun[k], "\(name): as run leaves them out")
            if kept.shotStartIsKeyframe { #expect(kept.shotStart == kept.keyframe, "\(name): its shot start is its keyframe's picture") }
        }
    }
}
