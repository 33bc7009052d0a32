import Foundation
@testable import FrameDedupe
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Issue 17: a mirrored copy of a moving shot inside one clip joins although its keyframe shows another moment of the
/// shot, by verifying the scenes' other moments (``ClusterOptions/verifiesMoments``); look-alikes (the same pan over
/// two halves of one photograph that never overlap) stay apart.
@Suite("Copies of a moving shot", .temporaryFolders)
struct MovingCopiesTests {
    @Test func aMirroredCopyAtOtherMomentsJoinsAndLookAlikesStayApart() throws {
        let list = try findScenes(input: Fixtures.movingCopiesClip().path, options: DedupeOptions(), output: nil)
        let names = Fixtures.movingCopiesClipScenes
        #expect(list.scenes.count == names.count, "\(list.scenes.map(\.start))")
        guard list.scenes.count == names.count else { return }
        let (pan, copy) = (0, names.count - 1)
        #expect(list.scenes[pan].keyframe.frameIndex != list.scenes[pan].momentFrames.first, "\(list.scenes[pan].momentFrames)")
        let scenes = try list.scenesWithLocalFeatures()
        #expect([0, 2, 4, 6].allSatisfy { scenes[$0].momentFeatures.count == 1 && list.scenes[$0].momentFrames.count == 1 }, "each pan has another moment")
        // Each moment is thinned to its budget, while the keyframes keep the extractor's (more keypoints than a moment's).
        #expect(scenes.allSatisfy { $0.momentFeatures.allSatisfy { $0.count <= LocalFeatureExtractor.momentKeypoints } })
        #expect(scenes[pan].features!.count > LocalFeatureExtractor.momentKeypoints, "\(scenes[pan].features!.count)")
        let cluster = list.clusters.clusterOfScene
        #expect(cluster[pan] == cluster[copy], "the pan and its mirrored copy a second later join: \(cluster)")
        // Their keyframes alone are not copies: the moments join them.
        var keyframesOnly = ClusterOptions()
        keyframesOnly.verifiesMoments = false
        let apart = clusterScenes(scenes, options: keyframesOnly).clusterOfScene
        #expect(apart[pan] != apart[copy], "keyframes only: \(apart)")
        // Every other shot is content of its own (the bottle twice), the top and bottom halves' pans included, although
        // they are close enough for verification.
        let distinct = names.indices.filter { $0 != copy && $0 != 5 }
        #expect(Set(distinct.map { cluster[$0] }).count == distinct.count, "look-alikes stay apart: \(cluster)")
        let (top, bottom) = (2, 4)
        let a = list.scenes[top].embedding!, b = list.scenes[bottom].embedding!
        let cosine = 1 - zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(cosine < ClusterOptions().copyRadius, "the two halves are verified: \(cosine)")
    }
}
