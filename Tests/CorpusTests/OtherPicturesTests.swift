import Foundation
import FrameDedupe
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

    /// Each scene's corpus cluster (by scene number) after `dedupe` with `verification` of an index holding `videos`.
    static func clusters(_ videos: [IndexedVideo], verification: CopyVerification = .standard, index: CorpusIndex) throws -> [String: Int] {
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
        var keyframes = CopyVerification.standard
        keyframes.moments = false
        let apart = try Self.clusters([], verification: keyframes, index: index)
        #expect(apart["\(clip.lastPathComponent)#0"] != apart["\(clip.lastPathComponent)#6"], "without moments: \(apart)")
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
        var noStarts = CopyVerification.standard
        noStarts.shotStarts = false
        let apart = try Self.clusters([], verification: noStarts, index: index)
        #expect(apart["\(clip.lastPathComponent)#\(pan)"] != apart["\(clip.lastPathComponent)#\(copy)"], "without shot starts: \(apart)")
    }
}
