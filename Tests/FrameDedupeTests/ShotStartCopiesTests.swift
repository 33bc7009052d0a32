import Foundation
@testable import FrameDedupe
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Issue 17: a mirrored copy of a fast shot, sampled at other moments of it than the original, joins the original by the
/// first frames of the two shots (``Scene/shotStartFeatures``, ``ClusterOptions/verifiesShotStarts``), which are the same
/// picture; the same pan over the band above, a look-alike, stays apart, its first frame no copy of the pan's.
@Suite("Copies of a fast shot by its first frame", .temporaryFolders)
struct ShotStartCopiesTests {
    @Test func aMirroredCopySampledAtOtherMomentsJoinsByItsFirstFrame() throws {
        let list = try findScenes(input: Fixtures.shotStartCopiesClip().path, options: DedupeOptions(), output: nil)
        let names = Fixtures.shotStartCopiesClipScenes
        #expect(list.scenes.count == names.count, "\(list.scenes.map(\.start))")
        guard list.scenes.count == names.count else { return }
        #expect(list.scenes.map { Int(($0.start * 25).rounded()) } == Fixtures.shotStartCopiesClipCuts)
        let (pan, top, copy) = (0, 2, 4)
        let scenes = try list.scenesWithLocalFeatures()
        // The copy's first frame lies between two samples (5.28 s): its own picture. The input's first shot starts with
        // the first sample: the keyframe's picture or its own.
        #expect(scenes[copy].shotStartFeatures != nil && !scenes[copy].shotStartIsKeyframe)
        #expect(scenes[pan].shotStartIsKeyframe || scenes[pan].shotStartFeatures != nil)
        let cluster = list.clusters.clusterOfScene
        #expect(cluster[pan] == cluster[copy], "the pan and its mirrored copy join: \(cluster)")
        #expect(Set((0..<copy).map { cluster[$0] }).count == copy, "every other shot is content of its own: \(cluster)")
        // Neither keyframes nor other moments join them: the first frames do.
        var withoutShotStarts = ClusterOptions()
        withoutShotStarts.verifiesShotStarts = false
        let apart = clusterScenes(scenes, options: withoutShotStarts).clusterOfScene
        #expect(apart[pan] != apart[copy], "without shot starts: \(apart)")
        // The first frames: the copy's is a mirrored copy of the pan's, the look-alike's is none.
        let start = { (s: Scene) in s.shotStartIsKeyframe ? s.features : s.shotStartFeatures }
        let verifier = GeometricVerifier()
        let (p, c, t) = (try #require(start(scenes[pan])), try #require(start(scenes[copy])), try #require(start(scenes[top])))
        let copyMatch = verifier.verify(p, c, mirror: true), lookAlikeMatch = verifier.verify(p, t, mirror: true)
        #expect(copyMatch.isDecisive && copyMatch.isCopy && copyMatch.mirrored, "\(copyMatch)")
        #expect(!lookAlikeMatch.isCopy, "\(lookAlikeMatch)")
    }

    /// Pairs beyond the copy radius, up to the shot-start radius, are verification neighbours only when both scenes have a
    /// shot start (and only with shot starts verified); nearer pairs come first as before.
    @Test func farPairsAreVerifiedOnlyOnTheirShotStarts() {
        let options = ClusterOptions()
        let far = Float((options.copyRadius + options.shotStartRadius) / 2), beyond = Float(options.shotStartRadius + 0.05)
        // Scenes 0-1 and 0-2 far, 1-2 beyond the shot-start radius.
        let distances = CondensedDistances(count: 3, values: [far, far, beyond])
        let neighbours = verificationNeighbours(distances, options: options) { i, j in Set([i, j]) == [0, 1] }
        #expect(neighbours == [[1], [0], []])
        var off = options
        off.verifiesShotStarts = false
        #expect(verificationNeighbours(distances, options: off) { _, _ in true } == [[], [], []])
    }
}
