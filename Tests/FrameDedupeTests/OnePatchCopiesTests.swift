import Foundation
@testable import FrameDedupe
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Issue 17 through a real run: two moments of a fixed camera on a plain wall (Intel's `bottle-detection.mp4`, CC BY 4.0;
/// `Tests/SimilarityTests/Fixtures/geometry/`), one bottle and then that bottle and another, around a cutaway. Their
/// keyframes match on the bottle that stayed, in one small patch; the rest of the two pictures (the wall, the table)
/// agrees under that transform, so they are one content (``GeometricVerifier/confirmByPictures(_:_:_:_:_:)``).
@Suite("A fixed camera on a plain wall in a run", .temporaryFolders)
struct OnePatchCopiesTests {
    @Test func twoMomentsOfThePlainWallJoinAcrossACutaway() throws {
        let list = try findScenes(input: try Fixtures.plainWallCutawayClip().path, options: DedupeOptions(), output: nil)
        #expect(list.scenes.map(\.start) == [0, 2, 4], "\(list.scenes.map(\.start))")
        guard list.scenes.count == 3 else { return }
        let cluster = list.clusters.clusterOfScene
        #expect(cluster[0] == cluster[2] && cluster[0] != cluster[1], "\(cluster)")
        // The join is the pictures' doing: the keyframes' features alone are no copy, their inliers one patch.
        let scenes = try list.scenesWithLocalFeatures()
        let verifier = GeometricVerifier()
        let a = try #require(scenes[0].features), b = try #require(scenes[2].features)
        var match = verifier.verify(a, b)
        #expect(!match.isCopy && verifier.rule.isOnePatch(match), "\(match)")
        verifier.confirmByPictures(&match, try #require(scenes[0].keyframeLuma), a, try #require(scenes[2].keyframeLuma), b)
        #expect(match.isCopyByPictures, "\(match)")
    }
}
