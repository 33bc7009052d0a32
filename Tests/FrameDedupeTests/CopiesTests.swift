import Foundation
@testable import FrameDedupe
import Similarity
import Testing
import _FrameDedupeTestSupport

/// Issue 17 through the clustering of a real run: copies of one picture (with bars, cropped) join; look-alikes (two
/// regions of one photograph, a zoom on a corner) stay apart; each scene records the picture inside its bars.
@Suite("Copies and look-alikes in a run", .temporaryFolders)
struct CopiesTests {
    @Test func copiesWithBarsJoinAndLookAlikesStayApart() throws {
        let list = try findScenes(input: Fixtures.copiesClip().path, options: DedupeOptions(), output: nil)
        let names = Fixtures.copiesClipScenes
        #expect(list.scenes.count == names.count, "\(list.scenes.map(\.start))")
        guard list.scenes.count == names.count else { return }
        let cluster = list.clusters.clusterOfScene
        let x = names.indices.filter { names[$0].hasPrefix("X") }
        #expect(Set(x.map { cluster[$0] }).count == 1, "windowbox, pillarbox and letterbox copies must join X: \(cluster)")
        let others = names.indices.filter { !names[$0].hasPrefix("X") }
        #expect(Set((others + [x[0]]).map { cluster[$0] }).count == others.count + 1, "look-alikes stay apart: \(cluster)")
        for (scene, area) in zip(list.scenes, Fixtures.copiesClipActiveAreas) {
            let found = try #require(scene.activeArea)
            let expected = PictureRect(x: area.0, y: area.1, width: area.2, height: area.3)
            // Within the analysis scale's rounding (640×360 analysed at 455×256: 1.4 pixels a step, rounded outwards).
            #expect(abs(found.x - expected.x) <= 3 && abs(found.y - expected.y) <= 3 && abs(found.width - expected.width) <= 5
                    && abs(found.height - expected.height) <= 5, "\(names[scene.id]): \(found) vs \(expected)")
        }
        // Without the geometric check, the zoom on the cup's corner is not told from the cup by the 3×3 grids.
        var options = DedupeOptions()
        options.clustering.geometricCheck = false
        let unchecked = try findScenes(input: Fixtures.copiesClip().path, options: options, output: nil)
        #expect(unchecked.clusters.clusters.count <= list.clusters.clusters.count, "\(unchecked.clusters.clusterOfScene)")
    }
}
