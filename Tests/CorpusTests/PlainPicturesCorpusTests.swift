import Foundation
import FrameDedupe
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

/// Issue 17 in the corpus index: two plain keyframes whose verification cannot decide link by the threshold only when
/// their lumas are laid out alike (``CopyVerification/plainLayoutChange``), as `run` keeps them apart. Real renders: two
/// views of a flat-coloured box and ball, 18° apart, and the first again, around cutaways (``Fixtures/plainViewsClip(copyZoom:)``).
/// (With the first view zoomed 1.1× instead, as `PlainPicturesTests` has it, the index's single linkage joins view D to
/// that copy: their layouts differ by only 0.08, and `run`'s average linkage keeps D apart from the two A's together.)
@Suite("Corpus: plain pictures", .temporaryFolders)
struct PlainPicturesCorpusTests {
    @Test func twoViewsOfAPlainObjectStayApartAndTheSameViewJoins() throws {
        let folder = Fixtures.temporaryFolder("plain")
        let clip = try Fixtures.plainViewsClip(copyZoom: 1.05)
        let video = try OtherPicturesTests.analysed(clip, root: folder.appendingPathComponent("keyframes"))
        #expect(video.scenes.map(\.start) == [0, 2, 4, 6, 8])
        guard video.scenes.count == 5 else { return }
        let index = try CorpusIndex(path: folder.appendingPathComponent("c.db").path)
        let name = clip.lastPathComponent
        let cluster = try OtherPicturesTests.clusters([video], index: index)
        #expect(cluster["\(name)#0"] != nil && cluster["\(name)#0"] == cluster["\(name)#4"], "view A and view A again: \(cluster)")
        #expect(cluster["\(name)#0"] != cluster["\(name)#2"], "view D apart: \(cluster)")
        // Without the check the threshold links the two views (their embeddings are closer than it).
        var without = OtherPicturesTests.allPictures
        without.plainLayoutChange = nil
        let joined = try OtherPicturesTests.clusters([], verification: without, index: index)
        #expect(joined["\(name)#0"] != nil && joined["\(name)#0"] == joined["\(name)#2"], "\(joined)")
    }
}
