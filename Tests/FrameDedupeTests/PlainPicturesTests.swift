import Foundation
@testable import FrameDedupe
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Issue 17 through a real run: two views of one plain object (a flat-coloured box and ball, 18° apart) and a copy of
/// the first, around cutaways (``Fixtures/plainViewsClip()``). The pictures have 8–25 corners, too few for geometric
/// verification to decide, and the 3×3 grids find "a box left of a ball" in both views; their lumas at the SSIM scale
/// are laid out otherwise (``ClusterOptions/plainLayoutChange``), the copy's are not.
@Suite("Plain pictures in a run", .temporaryFolders)
struct PlainPicturesTests {
    @Test func twoViewsOfAPlainObjectStayApartAndItsCopyJoins() throws {
        let clip = try Fixtures.plainViewsClip().path
        let list = try findScenes(input: clip, options: DedupeOptions(), output: nil)
        #expect(list.scenes.map(\.start) == [0, 2, 4, 6, 8], "\(list.scenes.map(\.start))")
        guard list.scenes.count == 5 else { return }
        let cluster = list.clusters.clusterOfScene
        #expect(cluster[0] == cluster[4], "view A and its copy: \(cluster)")
        #expect(Set([cluster[0], cluster[1], cluster[2], cluster[3]]).count == 4, "view D apart from A: \(cluster)")
        // Without the check the grids join the two views (the failure it mends).
        var without = DedupeOptions()
        without.clustering.plainLayoutChange = nil
        let joined = try findScenes(input: clip, options: without, output: nil).clusters.clusterOfScene
        #expect(joined[0] == joined[2] && joined[0] == joined[4], "\(joined)")
    }
}
